"""The dependency layer: the bot's requirements installed for the target Linux runtime, cached by what decides them."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from botship.errors import BotshipError

from .digest import content_digest, folder_entries

# The newest glibc each target runtime has (manylinux_2_N runs where glibc >= 2.N).
# Lambda python3.11 is Amazon Linux 2 (glibc 2.26); python3.12/3.13 are Amazon Linux 2023 (2.34).
# Azure Functions' Python images are Debian-based; 2.31 (bullseye) is the oldest still in use.
GLIBC = {("aws", "3.11"): 26, ("aws", "3.12"): 34, ("aws", "3.13"): 34,
         ("azure", "3.11"): 31, ("azure", "3.12"): 31, ("azure", "3.13"): 31}
# Packages the runtime itself needs that the platform does not provide (Lambda ships boto3).
RUNTIME_REQUIREMENTS = {"aws": [], "azure": ["azure-functions", "azure-storage-blob"]}


def platform_tags(target: str, python: str, arch: str = "x86_64") -> list[str]:
    """Every wheel platform tag the target runtime can load, newest first (pip prefers the newest)."""
    newest = GLIBC[(target, python)]
    tags = [f"manylinux_2_{n}_{arch}" for n in range(newest, 16, -1)]
    return tags + [f"manylinux2014_{arch}"]


def cache_root() -> Path:
    base = os.environ.get("BOTSHIP_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "botship")
    return Path(base)


@dataclass(frozen=True)
class DependencyLayer:
    """Installed packages for one (requirements, python, platform) — a folder and the hash of its files."""

    key: str
    site: Path
    digest: str
    size: int
    files: int


def _requirements(project: Path, target: str) -> list[str]:
    path = project / "requirements.txt"
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    wanted = [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]
    return wanted + [r for r in RUNTIME_REQUIREMENTS[target] if r not in wanted]


def layer_key(requirements: list[str], python: str, tags: list[str]) -> str:
    doc = json.dumps({"requirements": requirements, "python": python, "tags": tags, "format": 1}, sort_keys=True)
    return hashlib.sha256(doc.encode()).hexdigest()[:24]


def install_dependencies(project: Path, target: str, python: str, report) -> DependencyLayer:
    """Install (or reuse) the layer; `report` has log(message) and progress(done, total, unit)."""
    requirements = _requirements(project, target)
    tags = platform_tags(target, python)
    key = layer_key(requirements, python, tags)
    home = cache_root() / "deps" / key
    record = home / "layer.json"
    if record.is_file():
        data = json.loads(record.read_text())
        report.log(f"dependencies unchanged: reusing cached layer {key} ({data['files']} files)")
        return DependencyLayer(key, home / "site", data["digest"], data["size"], data["files"])
    staging = home.with_name(f"{key}.tmp{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    site = staging / "site"
    site.mkdir(parents=True)
    if requirements:
        _pip(requirements, site, python, tags, report)
    files_in_site = folder_entries(site)
    digest, size = content_digest(files_in_site)
    files = len(files_in_site)
    (staging / "layer.json").write_text(json.dumps({"digest": digest, "size": size, "files": files,
                                                     "requirements": requirements, "tags": tags}))
    shutil.rmtree(home, ignore_errors=True)
    home.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging, home)
    return DependencyLayer(key, home / "site", digest, size, files)


def _pip(requirements: list[str], site: Path, python: str, tags: list[str], report) -> None:
    command = [sys.executable, "-m", "pip", "install", "--target", str(site), "--only-binary=:all:",
               "--python-version", python, "--implementation", "cp", "--no-compile", "--no-input",
               "--disable-pip-version-check", "--progress-bar", "off", "--upgrade"]
    for tag in tags:
        command += ["--platform", tag]
    command += requirements
    report.log(f"installing {len(requirements)} requirement(s) for Linux, Python {python}")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    collected = 0
    assert process.stdout is not None
    for line in process.stdout:
        output.append(line.rstrip())
        if line.startswith("Collecting "):
            collected += 1
            report.log(line.strip())
            report.progress(collected, None, "packages")
        elif line.startswith("Installing collected packages"):
            report.log(line.strip()[:300])
    if process.wait() != 0:
        raise _pip_error(output, python)


def _pip_error(output: list[str], python: str) -> BotshipError:
    text = "\n".join(output)
    missing = re.search(r"No matching distribution found for ([^\s;]+)", text)
    if missing:
        name = missing.group(1)
        return BotshipError(
            f"no Linux wheel of {name} fits Python {python} on the target runtime",
            "botship installs only pre-built Linux wheels, for the runtime's glibc; this package has none "
            "for that combination (or the version pinned does not exist)",
            f"pin a version of {name} that ships manylinux wheels for Python {python}, choose another Python "
            "version, or set packaging = \"image\"")
    last = [line for line in output if line.startswith("ERROR")][-3:] or output[-5:]
    return BotshipError("installing the requirements failed", "\n".join(last),
                        "check requirements.txt; run `pip install -r requirements.txt` locally to see the details")
