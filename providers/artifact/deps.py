"""The dependency layer: the bot's requirements installed for the target Linux runtime, cached by what decides them."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from botship.errors import BadInput, BotshipError

from ..pids import alive
from .digest import content_digest, folder_entries
from .requirements import Requirements, layer_key, read_requirements

__all__ = ["DependencyLayer", "install_dependencies", "layer_key", "platform_tags", "read_requirements"]

# The newest glibc each target runtime has (manylinux_2_N runs where glibc >= 2.N).
# Lambda python3.11 is Amazon Linux 2 (glibc 2.26); python3.12/3.13 are Amazon Linux 2023 (2.34).
# Azure Functions' Python images are Debian-based; 2.31 (bullseye) is the oldest still in use.
GLIBC = {("aws", "3.11"): 26, ("aws", "3.12"): 34, ("aws", "3.13"): 34,
         ("azure", "3.11"): 31, ("azure", "3.12"): 31, ("azure", "3.13"): 31}


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


def install_dependencies(project: Path, target: str, python: str, report) -> DependencyLayer:
    """Install (or reuse) the layer; `report` has log(message) and progress(done, total, unit)."""
    requirements = read_requirements(project, target)
    tags = platform_tags(target, python)
    key = layer_key(requirements, python, tags)
    home = cache_root() / "deps" / key
    record = home / "layer.json"
    data = _layer_record(record)
    if data is not None and (home / "site").is_dir():
        report.log(f"dependencies unchanged: reusing cached layer {key} ({data['files']} files)")
        return DependencyLayer(key, home / "site", data["digest"], data["size"], data["files"])
    _sweep_staging(home.parent)
    staging = home.with_name(f"{key}.tmp{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        site = staging / "site"
        site.mkdir(parents=True)
        if requirements.count:
            _pip(requirements, project, site, python, tags, report)
            _check_wheel_tags(site, tags, python, requirements)
        files_in_site = folder_entries(site)
        digest, size = content_digest(files_in_site)
        files = len(files_in_site)
        (staging / "layer.json").write_text(json.dumps({"digest": digest, "size": size, "files": files,
                                                         "requirements": requirements.identity,
                                                         "extra": requirements.extra, "tags": tags}, default=str))
        shutil.rmtree(home, ignore_errors=True)
        home.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, home)
    except BaseException:
        # A failed or interrupted install (pip refused, the disk filled up) leaves nothing in the cache.
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return DependencyLayer(key, home / "site", digest, size, files)


def _layer_record(record: Path) -> dict | None:
    """A cached layer's record, or None when it is missing or damaged (the layer is then installed again)."""
    try:
        data = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(data, dict) and all(isinstance(data.get(k), t) for k, t in
                                        (("digest", str), ("size", int), ("files", int)))
    return data if ok else None


def _sweep_staging(folder: Path) -> None:
    """Remove half-installed layers of botship processes that are gone (killed mid-install)."""
    try:
        leftovers = [p for p in folder.glob("*.tmp*") if p.is_dir()]
    except OSError:
        return
    for path in leftovers:
        pid = path.name.rpartition(".tmp")[2]
        if pid.isdigit() and int(pid) != os.getpid() and not alive(int(pid)):
            shutil.rmtree(path, ignore_errors=True)


def _check_wheel_tags(site: Path, tags: list[str], python: str, requirements: Requirements) -> None:
    """Every installed package must be a wheel the target runtime can load: pip builds local folders, sdists
    (`--no-binary` in the file) and VCS checkouts on *this* machine, for *its* platform."""
    allowed = set(tags) | {"any"}
    foreign: list[str] = []
    for wheel in sorted(site.glob("*.dist-info/WHEEL")):
        platforms = {line.split(":", 1)[1].strip().rsplit("-", 1)[-1]
                     for line in wheel.read_text(encoding="utf-8", errors="replace").splitlines()
                     if line.startswith("Tag:")}
        bad = sorted(p for p in platforms if p not in allowed and not p.startswith(("manylinux", "musllinux")))
        bad += sorted(p for p in platforms if p.startswith("musllinux"))
        if bad:
            foreign.append(f"{wheel.parent.name.removesuffix('.dist-info')} ({', '.join(bad)})")
    if foreign:
        no_binary = any(isinstance(i, dict) and "no_binary" in i.get("option", {}) for i in requirements.identity)
        raise BadInput(
            f"{', '.join(foreign[:3])} {'was' if len(foreign) == 1 else 'were'} built for this machine, "
            f"not for the Linux runtime (Python {python})",
            "pip compiled it here from source (a local folder, an sdist or a VCS URL), so its binary code is for "
            "this machine's platform and would not load in the cloud",
            ("remove the --no-binary line from the requirements, " if no_binary else "") +
            "require a version with manylinux wheels, or build a manylinux wheel of it yourself and list that file")


def _pip(requirements: Requirements, project: Path, site: Path, python: str, tags: list[str], report) -> None:
    command = [sys.executable, "-m", "pip", "install", "--target", str(site), "--only-binary=:all:",
               "--python-version", python, "--implementation", "cp", "--no-compile", "--no-input",
               "--disable-pip-version-check", "--progress-bar", "off", "--upgrade"]
    for tag in tags:
        command += ["--platform", tag]
    # The file itself goes to pip, which reads it as it always does; local paths in it are relative to the project.
    command += requirements.pip_arguments()
    report.log(f"installing {requirements.count} requirement(s) for Linux, Python {python}")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=project)
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
        raise _pip_error(output, python, requirements)


def _pip_error(output: list[str], python: str, requirements: Requirements | None = None) -> BotshipError:
    text = "\n".join(output)
    missing = re.search(r"No matching distribution found for ([^\s;]+)", text)
    unreachable = re.search(r"(NewConnectionError|Max retries exceeded|ProxyError|SSLError|"
                            r"Could not fetch URL|Name or service not known|Temporary failure in name resolution|"
                            r"Connection refused|Read timed out|connect timeout)", text)
    indexes: list[str] = []
    for item in (requirements.identity if requirements else []):
        option = item.get("option", {}) if isinstance(item, dict) else {}
        indexes += [option["index_url"]] if option.get("index_url") else []
        indexes += list(option.get("extra_index_urls") or [])
    if missing and "(from versions: none)" in text and not unreachable:
        name = re.split(r"[<>=!~;\[ @]", missing.group(1), maxsplit=1)[0] or missing.group(1)
        where = f" ({', '.join(str(i) for i in indexes[:3])}, named in requirements.txt)" if indexes else ""
        return BotshipError(f"pip found no version of {name} at all in the package index{where}",
                            "the name may be misspelt, or the index may be unreachable or not have it",
                            f"check the spelling of {name} and any --index-url line in requirements.txt; "
                            "run `pip download --no-deps NAME` to see what the index offers")
    if missing and not unreachable:
        name = re.split(r"[<>=!~;\[ @]", missing.group(1), maxsplit=1)[0] or missing.group(1)
        return BotshipError(
            f"no Linux wheel of {missing.group(1)} fits Python {python} on the target runtime",
            "botship installs only pre-built Linux wheels, for the runtime's glibc; this package has none "
            "for that combination (or the version pinned does not exist)",
            f"pin a version of {name} that ships manylinux wheels for Python {python}, or choose another Python "
            "version (Python 3.12 and 3.13 run on a newer glibc than 3.11, so more wheels fit; a container image "
            "is built from the same wheels and does not help)")
    if unreachable:
        where = f" ({', '.join(str(i) for i in indexes[:3])}, named in requirements.txt)" if indexes else ""
        return BotshipError(
            f"pip could not reach the package index{where}",
            "\n".join([line for line in output if line.startswith(("ERROR", "WARNING: Retrying"))][-2:]),
            "check the network (and a proxy), and any --index-url, --extra-index-url or --find-links line in "
            "requirements.txt; then re-run")
    if "RecursionError" in text or "maximum recursion depth" in text:
        return BadInput("requirements.txt includes itself in a loop (-r/-c)",
                        fix="remove the -r or -c line that leads back to a file already included")
    last = [line for line in output if line.startswith("ERROR")][-3:] or output[-5:]
    return BotshipError("installing the requirements failed", "\n".join(last),
                        "check requirements.txt; run `pip install -r requirements.txt` locally to see the details")
