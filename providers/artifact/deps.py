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

from packaging.utils import canonicalize_name

from botship.errors import BadInput, BotshipError

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


REQUIREMENTS_FILE = "requirements.txt"


@dataclass(frozen=True)
class Requirements:
    """What the layer installs: the project's requirements file, handed to pip whole (`-r`), and the
    runtime's own packages the file does not name. `identity` is what the file means to pip, read with
    pip's own grammar (comments, continuations, includes, markers, hashes), so the cache key follows the
    content of every included file and not its layout."""

    file: Path | None
    extra: list[str]
    identity: list[object]
    count: int

    def pip_arguments(self) -> list[str]:
        return (["-r", str(self.file)] if self.file else []) + self.extra


def read_requirements(project: Path, target: str) -> Requirements:
    """The project's requirements for `target`; a file pip could not read is refused naming it."""
    path = project / REQUIREMENTS_FILE
    runtime = RUNTIME_REQUIREMENTS[target]
    if not path.exists():
        return Requirements(None, list(runtime), [], len(runtime))
    if not path.is_file():
        raise BadInput(f"{path} is not a file", fix=f"make {REQUIREMENTS_FILE} a text file listing the bot's packages")
    from pip_requirements_parser import InstallationError, RequirementsFile

    try:
        parsed = RequirementsFile.from_file(str(path), include_nested=True)
    except InstallationError as exc:
        detail = str(exc).replace("|n", " ").strip()
        raise BadInput(f"{REQUIREMENTS_FILE} cannot be read: {detail}",
                       fix="fix the -r/-c line that names it (included files are found relative to the file "
                           "that includes them)") from None
    except Exception as exc:  # a line the parser does not know: pip reads the file itself, the key its bytes
        return Requirements(path, list(runtime), [{"unparsed": _file_digest(path), "error": type(exc).__name__}],
                            1 + len(runtime))
    identity: list[object] = []
    named: set[str] = set()
    hashed = False
    for requirement in parsed.requirements:
        item = requirement.to_dict()
        item.pop("requirement_line", None)
        identity.append(item)
        hashed = hashed or bool(requirement.hash_options)
        if requirement.name and not requirement.is_constraint:
            named.add(canonicalize_name(requirement.name))
    for option in parsed.options:
        # Where the line is, and the files it includes (their content is in the list above), are not what it means.
        item = {k: v for k, v in option.to_dict().items()
                if k not in ("requirement_line", "line", "line_number", "filename", "requirements", "constraints")}
        if item:
            identity.append({"option": item})
        hashed = hashed or bool(item.get("require_hashes"))
    for invalid in parsed.invalid_lines:  # pip will name them; a fix must still change the key
        identity.append({"invalid": invalid.requirement_line.line})
    identity.sort(key=lambda item: json.dumps(item, sort_keys=True, default=str))
    extra = [r for r in runtime if canonicalize_name(r) not in named]
    if hashed and extra:
        raise BadInput(f"{REQUIREMENTS_FILE} pins hashes, so pip checks every package, and it lacks "
                       f"{', '.join(extra)}, which the runtime needs on this platform",
                       fix=f"add {', '.join(extra)} with their --hash lines to {REQUIREMENTS_FILE} "
                           "(pip-compile --generate-hashes does it)")
    count = sum(1 for r in parsed.requirements if not r.is_constraint) + len(extra)
    return Requirements(path, extra, identity, count)


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def layer_key(requirements: Requirements, python: str, tags: list[str]) -> str:
    doc = json.dumps({"requirements": requirements.identity, "extra": requirements.extra, "python": python,
                      "tags": tags, "format": 2}, sort_keys=True, default=str)
    return hashlib.sha256(doc.encode()).hexdigest()[:24]


def install_dependencies(project: Path, target: str, python: str, report) -> DependencyLayer:
    """Install (or reuse) the layer; `report` has log(message) and progress(done, total, unit)."""
    requirements = read_requirements(project, target)
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
    if requirements.count:
        _pip(requirements, project, site, python, tags, report)
    files_in_site = folder_entries(site)
    digest, size = content_digest(files_in_site)
    files = len(files_in_site)
    (staging / "layer.json").write_text(json.dumps({"digest": digest, "size": size, "files": files,
                                                     "requirements": requirements.identity,
                                                     "extra": requirements.extra, "tags": tags}, default=str))
    shutil.rmtree(home, ignore_errors=True)
    home.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staging, home)
    return DependencyLayer(key, home / "site", digest, size, files)


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
