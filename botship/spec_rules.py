"""The deploy spec's single-field rules: each field's check, and the annotated type a model field declares with it."""

from __future__ import annotations

import difflib
import functools
import re
import unicodedata
import zoneinfo
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Strict, ValidationInfo
from pydantic_core import PydanticCustomError

from . import providers as platforms
from .entrypoint import check_entry_in_project, parse_entry
from .schedule import check_fires, parse_schedule

SECRET_NAME_HINTS = ("_KEY", "_SECRET", "TOKEN", "PASSWORD")
ENV_LIMIT_BYTES = 4096
# Room kept for the variables botship itself sets (mode, state dir, secret reference, bucket…).
ENV_RESERVED_BYTES = 768
ENV_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Names the cloud runtime sets or reserves (Lambda's reserved list, Azure's app settings, botship's own).
_RESERVED_ENV = {
    "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ", "MSI_ENDPOINT", "MSI_SECRET", "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER", "ENABLE_ORYX_BUILD",
}
_RESERVED_ENV_PREFIXES = ("BOTSHIP_", "FUNCTIONS_", "AZUREWEBJOBS", "WEBSITE_", "APPSETTING_", "SCM_",
                          "AZURE_STORAGE_", "_")
# Names that change how the Python interpreter or the dynamic loader starts: set on the function, they
# stop the runtime before the bot's code is reached (Lambda's own PYTHONPATH, PATH and LD_LIBRARY_PATH
# point at its runtime).
_INTERPRETER_ENV = {
    "PATH", "PYTHONPATH", "PYTHONHOME", "PYTHONPLATLIBDIR", "PYTHONEXECUTABLE", "PYTHONUSERBASE",
    "PYTHONSAFEPATH", "PYTHONNOUSERSITE", "PYTHONINSPECT", "PYTHONSTARTUP",
}


def fail(message: str) -> PydanticCustomError:
    """A rule's refusal, shown as written (also how the model reports its cross-field problems)."""
    # Without a context pydantic does not format the template, so braces in `message` stay as they are.
    return PydanticCustomError("botship", message)


def looks_secret(name: str) -> bool:
    """Whether a variable name suggests a credential (`*_KEY`, `*_SECRET`, `*TOKEN*`, `*PASSWORD*`)."""
    upper = name.upper()
    return upper.endswith(("_KEY", "_SECRET")) or "TOKEN" in upper or "PASSWORD" in upper


# ---- single-field rules -------------------------------------------------------------------

def _check_bot_name(value: str) -> str:
    if not 2 <= len(value) <= 32:
        raise fail(f"must be 2–32 characters, got {len(value)}")
    if value != value.lower() and re.fullmatch(r"[A-Za-z0-9-]+", value):
        raise fail(f"use lower-case only, e.g. '{value.lower()}'")
    if not re.fullmatch(r"[a-z0-9-]+", value):
        bad = sorted({c for c in value if not re.fullmatch(r"[a-z0-9-]", c)})
        raise fail(f"only lower-case letters, digits and hyphens are allowed (not {' '.join(map(repr, bad))})")
    if not value[0].isalpha():
        raise fail("must start with a letter")
    if value.endswith("-"):
        raise fail("must not end with a hyphen")
    if "--" in value:
        raise fail("must not contain two hyphens in a row")
    return value


def _check_entry(value: str, info: ValidationInfo) -> str:
    try:
        module, attribute = parse_entry(value)
        context = info.context or {}
        if context.get("project") is not None:
            python = _python_from_toml(context.get("python"))
            check_entry_in_project(Path(context["project"]), module, attribute, python if isinstance(python, str) else None)
    except ValueError as exc:
        raise fail(str(exc)) from None
    # Stored as the runtime reads it: spaces around the entry would become part of the module's name.
    return f"{module}:{attribute}"


def _python_from_toml(value: Any) -> Any:
    # `python = 3.12` (a TOML float) is a common slip; read it as the string it means.
    return repr(value) if isinstance(value, float) else value


def _check_schedule(value: str) -> str:
    # Whether it fires is checked in UTC here; in the profile's own time zone among the cross-field rules.
    try:
        schedule = parse_schedule(value)
        check_fires(schedule)
    except ValueError as exc:
        raise fail(str(exc)) from None
    return str(schedule)


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


# Names in the time zone database that are not places: the machine's own setting, placeholders, the
# copies under posix/ and right/ (leap seconds), and the old POSIX-rule zones (EST5EDT, CET…), whose
# meaning changed in tzdata 2024b (they became links to a city) and so differs between the cloud's
# copy of the database and this machine's. A city says the same everywhere.
_NOT_PLACES = {"localtime", "Factory", "posixrules"}
_NOT_PLACE_PREFIXES = ("posix/", "right/", "SystemV/", "posixrules")
_POSIX_RULE_ZONES = {
    "CET": "Europe/Paris", "EET": "Europe/Athens", "MET": "Europe/Paris", "WET": "Europe/Lisbon",
    "EST": "America/Panama", "MST": "America/Phoenix", "HST": "Pacific/Honolulu",
    "EST5EDT": "America/New_York", "CST6CDT": "America/Chicago", "MST7MDT": "America/Denver",
    "PST8PDT": "America/Los_Angeles",
}


@functools.cache
def _places() -> frozenset[str]:
    return frozenset(z for z in _zones() if z not in _NOT_PLACES and z not in _POSIX_RULE_ZONES
                     and not z.startswith(_NOT_PLACE_PREFIXES))


def _check_timezone(value: str) -> str:
    if value in _places():
        return value
    if value in _POSIX_RULE_ZONES:
        raise fail(f"'{value}' is an old rule-based zone, not a place; name the city whose clock you mean, "
                    f"e.g. '{_POSIX_RULE_ZONES[value]}'")
    if value in _NOT_PLACES or value.startswith(_NOT_PLACE_PREFIXES):
        raise fail(f"'{value}' is not a place the cloud knows; use an IANA name like 'Europe/Amsterdam' or 'UTC'")
    close = difflib.get_close_matches(value, _places(), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else "; use an IANA name like 'Europe/Amsterdam' or 'UTC'"
    raise fail(f"'{value}' is not a known time zone{hint}")


@functools.cache
def _aws_regions() -> frozenset[str]:
    """The commercial regions where every service a bot uses runs, as the installed AWS SDK knows them."""
    try:
        import botocore.session

        session = botocore.session.get_session()
        services = ("lambda", "scheduler", "s3", "secretsmanager", "logs")
        known = [set(session.get_available_regions(service)) for service in services]
    except Exception:  # noqa: BLE001 - without the SDK's endpoint data, the pattern alone decides
        return frozenset()
    return frozenset(set.intersection(*known)) if all(known) else frozenset()


def _check_region(value: str) -> str:
    regions = _aws_regions()
    if regions and value not in regions:
        close = difflib.get_close_matches(value, sorted(regions), n=1, cutoff=0.7)
        hint = f"did you mean '{close[0]}'?" if close else f"regions botship knows: {', '.join(sorted(regions))}"
        raise fail(f"'{value}' is not an AWS region where Lambda and EventBridge Scheduler run; {hint} "
                    "(a region newer than this botship's AWS SDK needs an upgrade: pip install -U botship botocore)")
    return value


def _check_aws_profile(value: str) -> str:
    if not value.strip():
        raise fail("is empty; name a profile from your AWS config, or leave the key out to use the standard "
                    "credential chain")
    if value != value.strip() or any(c in value for c in "[]\n\r\t"):
        raise fail(f"{value!r} is not a profile name as the AWS config writes them ([profile NAME]); "
                    f"write it without spaces around it or brackets, e.g. '{value.strip(' []') or 'trading'}'")
    return value


def _check_var_name(value: str) -> str:
    if not ENV_NAME.fullmatch(value):
        raise fail(f"'{value}' is not a valid variable name: start with a letter, then letters, digits or '_'")
    # Azure's app settings ignore case, so a name is reserved whatever its case.
    upper = value.upper()
    if upper.startswith("AWS_"):
        raise fail(f"'{value}' configures the AWS SDK that syncs the bot's state (AWS_* names are the SDK's "
                    "and Lambda's own); setting it breaks the runtime — choose a name without the AWS_ prefix")
    if upper in _INTERPRETER_ENV or upper.startswith("LD_"):
        raise fail(f"'{value}' changes how Python or the system loader starts; setting it breaks the cloud "
                    "runtime — choose another name")
    if upper in _RESERVED_ENV or upper.startswith(_RESERVED_ENV_PREFIXES):
        raise fail(f"'{value}' is reserved by botship or the cloud runtime; choose another name")
    return value


def _check_plain_var_name(value: str) -> str:
    _check_var_name(value)
    if looks_secret(value):
        raise fail(f"'{value}' looks like a secret: list it under `secrets` so its value never lands in botship.toml")
    return value


def _stringify(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _check_env_value(value: str) -> str:
    if "\x00" in value:
        raise fail("contains a NUL character (\\0), which no environment variable can hold; remove it")
    return value


def _check_env_size(env: dict[str, str]) -> dict[str, str]:
    size = sum(len(k.encode()) + len(v.encode()) for k, v in env.items())
    budget = ENV_LIMIT_BYTES - ENV_RESERVED_BYTES
    if size > budget:
        raise fail(
            f"variables take {size} bytes; the cloud allows {ENV_LIMIT_BYTES} in total and botship needs "
            f"{ENV_RESERVED_BYTES} of them, so keep these under {budget}: move large values into files in the project"
        )
    return env


def _check_unique(names: list[str]) -> list[str]:
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise fail(f"listed more than once: {', '.join(dupes)}")
    return names


# Tags go on the S3 bucket, IAM roles, the Lambda function, its log group, the secret and the ECR
# repository, and on Azure's resources. The strictest rule of them all: letters and digits of any
# script, spaces and `_ . : = + - @` (and `/` in values; Azure refuses it in keys, with `< > % & \ ?`);
# keys 1–128 characters (IAM, S3, Azure storage), values up to 256; keys unique ignoring case (IAM and
# Azure compare them so). Each resource takes 50 tags; botship puts up to 6 of its own on one
# (botship:bot, profile, mode, version, code, config), and keeps a few spare.
TAG_LIMIT = 40
_TAG_KEY_MARKS = set("_.:=+-@ ")
_TAG_VALUE_MARKS = _TAG_KEY_MARKS | {"/"}


def _tag_bad_characters(value: str, marks: set[str]) -> list[str]:
    return sorted({c for c in value if c not in marks and unicodedata.category(c)[0] not in "LN"})


def _show_characters(bad: list[str]) -> str:
    return " ".join(repr(c) if c.isprintable() and c != " " else f"U+{ord(c):04X}" for c in bad)


def _check_tag_key(value: str) -> str:
    if not 1 <= len(value) <= 128:
        raise fail(f"tag key must be 1–128 characters, got {len(value)}")
    if value.lower().startswith(("aws:", "botship:", "azure", "microsoft", "windows")):
        raise fail(f"tag key '{value}' uses a reserved prefix")
    if bad := _tag_bad_characters(value, _TAG_KEY_MARKS):
        raise fail(f"tag key '{value}' has characters a cloud refuses ({_show_characters(bad)}); use letters, "
                    "digits, spaces and _ . : = + - @ only")
    if value != value.strip():
        raise fail(f"tag key '{value}' starts or ends with a space; remove it")
    return value


def _check_tag_value(value: str) -> str:
    if len(value) > 256:
        raise fail(f"tag value must be at most 256 characters, got {len(value)}")
    if bad := _tag_bad_characters(value, _TAG_VALUE_MARKS):
        raise fail(f"tag value has characters a cloud refuses ({_show_characters(bad)}); use letters, digits, "
                    "spaces and _ . : / = + - @ only")
    return value


def _check_tags(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > TAG_LIMIT:
        raise fail(f"{len(tags)} tags; botship takes at most {TAG_LIMIT} (a cloud resource holds 50 and "
                    "botship adds its own), so drop some")
    seen: dict[str, str] = {}
    for key in tags:
        if (other := seen.setdefault(key.lower(), key)) != key:
            raise fail(f"tag keys '{other}' and '{key}' differ only in case; IAM and Azure treat them as one "
                        "key — keep one")
    return tags


def _pattern(regex: str, what: str) -> AfterValidator:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise fail(f"'{value}' is not {what}")
        return value

    return AfterValidator(check)


BotName = Annotated[str, AfterValidator(_check_bot_name)]


def _check_platform(name: str) -> str:
    if platforms.platform(name) is None:
        known = [p.name for p in platforms.platforms()]
        close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(known)}"
        raise fail(f"unknown platform '{name}'; {hint}")
    return name


PlatformName = Annotated[str, Strict(), AfterValidator(_check_platform)]
Entry = Annotated[str, AfterValidator(_check_entry)]
PythonVersion = Annotated[Literal["3.11", "3.12", "3.13"], BeforeValidator(_python_from_toml)]
ScheduleText = Annotated[str, AfterValidator(_check_schedule)]
Timezone = Annotated[str, AfterValidator(_check_timezone)]
EnvName = Annotated[str, AfterValidator(_check_plain_var_name)]
EnvValue = Annotated[str, BeforeValidator(_stringify), AfterValidator(_check_env_value)]
Env = Annotated[dict[EnvName, EnvValue], AfterValidator(_check_env_size)]
SecretName = Annotated[str, AfterValidator(_check_var_name)]
Secrets = Annotated[list[SecretName], AfterValidator(_check_unique)]
TagKey = Annotated[str, AfterValidator(_check_tag_key)]
TagValue = Annotated[str, BeforeValidator(_stringify), AfterValidator(_check_tag_value)]
Tags = Annotated[dict[TagKey, TagValue], AfterValidator(_check_tags)]
# Sizes are whole numbers: no booleans (`true` would be 1), strings or floats.
Size = Annotated[int, Strict()]
Region = Annotated[str, _pattern(r"(?!us-gov-|us-iso|cn-)[a-z]{2}-[a-z]+-\d{1,2}",
                                 "a commercial AWS region name like 'eu-west-1' (GovCloud, ISO and China regions are not supported)"),
                   AfterValidator(_check_region)]
AwsProfileName = Annotated[str, AfterValidator(_check_aws_profile)]
SubscriptionId = Annotated[
    str, _pattern(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                  "a subscription id (a GUID like 00000000-0000-0000-0000-000000000000)")
]
TenantId = Annotated[
    str, _pattern(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                  "a tenant id (a GUID like 00000000-0000-0000-0000-000000000000)")
]
ResourceGroup = Annotated[
    str, _pattern(r"[-\w.()]{0,89}[-\w()]", "a resource group name (1–90 letters, digits, - _ . ( ), not ending in '.')")
]
Location = Annotated[str, _pattern(r"[a-z][a-z0-9]{2,29}", "an Azure location like 'westeurope'")]
ImageReference = Annotated[
    str, _pattern(r"(?:[a-zA-Z0-9.-]+(?::\d+)?/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*"
                  r"(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?",
                  "an image reference like 'public.ecr.aws/lambda/python:3.12' (lower-case repository, optional :tag)")
]

