"""What the user's AWS config offers the wizard — profile names and their regions — read without boto3."""

from __future__ import annotations

import configparser
import os
from pathlib import Path

# Offered as completions; any region the spec accepts can still be typed.
COMMON_REGIONS = ("us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2",
                  "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "ap-south-1",
                  "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2", "sa-east-1")


def _read(env: str, default: str) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    try:
        parser.read(os.environ.get(env) or Path(default).expanduser(), encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        pass  # a broken file offers nothing here; the credential check will say what is wrong
    return parser


def aws_profiles() -> list[str]:
    """Profile names from ~/.aws/config and ~/.aws/credentials (or the files AWS_* variables name)."""
    names = {section.removeprefix("profile ").strip()
             for section in _read("AWS_CONFIG_FILE", "~/.aws/config").sections()
             if section.startswith("profile ") or section == "default"}
    names |= set(_read("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials").sections())
    return sorted(names, key=lambda name: (name != "default", name))


def profile_region(profile: str | None) -> str | None:
    """The region a profile sets, else AWS_REGION / AWS_DEFAULT_REGION."""
    config = _read("AWS_CONFIG_FILE", "~/.aws/config")
    section = "default" if not profile or profile == "default" else f"profile {profile}"
    if config.has_option(section, "region"):
        return config.get(section, "region")
    return os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
