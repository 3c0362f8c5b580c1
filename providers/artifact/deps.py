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

from ..pids import alive
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

    _check_includes(path, project)
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
        _check_requirement(requirement, project)
        item = requirement.to_dict()
        item.pop("requirement_line", None)
        local = _local_path(requirement, project)
        if local is not None:  # a folder or file on this machine: what pip builds is its content, not its name
            item["content"] = _path_digest(local)
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
        for folder in item.get("find_links") or []:
            local = _local_location(str(folder), project)
            if local is not None:  # wheels found in a local folder: a rebuilt wheel must change the key
                identity.append({"find_links": str(folder), "content": _path_digest(local)})
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


_INCLUDE_OPTIONS = ("requirements", "constraints")


def _check_includes(path: Path, project: Path) -> None:
    """Follow `-r`/`-c` includes before pip does: an include cycle or an unreadable file is refused naming it."""
    from pip_requirements_parser import RequirementsFile

    def visit(file: Path, chain: list[Path], named_at: str = "") -> None:
        if file in chain:
            loop = " → ".join(_shown(p, project) for p in [*chain[chain.index(file):], file])
            raise BadInput(f"{REQUIREMENTS_FILE} includes itself in a loop: {loop}",
                           "pip would follow the -r/-c lines for ever",
                           f"remove the -r or -c line in {_shown(chain[-1], project)} that names "
                           f"{_shown(file, project)}")
        try:
            raw = file.read_bytes()
        except OSError as exc:
            raise BadInput(f"{named_at}{_shown(file, project)} cannot be read: {exc.strerror or exc}",
                           "included files are found relative to the file that includes them",
                           "fix the -r/-c line that names it, or the file itself") from None
        if b"\0" in raw and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise BadInput(f"{_shown(file, project)} is not a text file",
                           fix="save it as UTF-8 text listing one requirement per line")
        try:
            parsed = RequirementsFile.from_file(str(file), include_nested=False)
        except Exception:  # noqa: BLE001 - pip reads the file itself and names what it cannot read
            return
        for option in parsed.options:
            data = option.to_dict()
            for key in _INCLUDE_OPTIONS:
                for name in data.get(key) or []:
                    if "://" in str(name):
                        continue  # a URL: pip fetches it
                    visit((file.parent / str(name)).resolve(), [*chain, file],
                          f"{_shown(file, project)} line {data.get('line_number')} includes ")

    visit(path.resolve(), [])


def _shown(path: Path, project: Path) -> str:
    try:
        return path.relative_to(project.resolve()).as_posix()
    except ValueError:
        return str(path)


def _where(requirement) -> str:
    line = requirement.requirement_line
    name = Path(line.filename).name if line and line.filename else REQUIREMENTS_FILE
    return f"{name} line {line.line_number}" if line and line.line_number else name


def _check_requirement(requirement, project: Path) -> None:
    """Lines pip reads but a package for the cloud cannot hold, refused with what to write instead."""
    where = _where(requirement)
    text = requirement.requirement_line.line.strip() if requirement.requirement_line else str(requirement.link)
    if requirement.is_editable:
        raise BadInput(f"{where}: '{text}' is an editable install (-e)",
                       "an editable install links to source on this machine; the cloud gets only the package, "
                       "where the link would point nowhere (and pip would check out VCS sources into botship's "
                       "own environment)",
                       "drop the '-e ': a local folder is then built into the package, a VCS URL installed as "
                       "'NAME @ git+https://…'; the bot's own files ship anyway and need no line at all")
    if requirement.name and canonicalize_name(requirement.name) in _NOT_REQUIREMENTS:
        raise BadInput(f"{where}: '{text}' asks for {requirement.name} inside the bot's package",
                       "botship is the tool that packages the bot, not a library the bot imports; the package "
                       "gets botship's runtime as botship_runtime by itself",
                       f"remove that line from {where.split(' line')[0]}")
    local = _local_path(requirement, project)
    if requirement.link is not None and requirement.is_local_path and local is None:
        raise BadInput(f"{where}: '{text}' names {requirement.link}, which does not exist",
                       "local paths in requirements are read relative to the project folder",
                       "fix the path, or remove the line")


# Names that are never a bot's requirement: botship itself (its runtime ships as botship_runtime).
_NOT_REQUIREMENTS = frozenset({"botship", "botship-runtime"})


def _local_location(text: str, project: Path) -> Path | None:
    """An existing path on this machine that `text` (a path or a file: URL) names, relative to the project."""
    from urllib.parse import unquote, urlsplit

    if text.startswith("file:"):
        parts = urlsplit(text)
        text = unquote(parts.path if parts.netloc in ("", "localhost") else "")
        if not text:
            return None
    elif "://" in text:
        return None
    path = (project / os.path.expanduser(text)).resolve()
    return path if path.exists() else None


def _local_path(requirement, project: Path) -> Path | None:
    if requirement.link is None or not requirement.is_local_path:
        return None
    url = requirement.link.url if hasattr(requirement.link, "url") else str(requirement.link)
    return _local_location(url.split("#")[0], project)


# Left out of a local requirement's digest: what building it writes, and what never changes what it builds.
_BUILD_LEFTOVERS = frozenset({".git", ".hg", ".svn", "__pycache__", "build", ".tox", ".nox", ".venv", ".eggs",
                              ".pytest_cache", ".mypy_cache", ".ruff_cache"})


def _path_digest(path: Path) -> str:
    """The content of a local requirement (a wheel, an sdist or a project folder) as one hash."""
    if path.is_file():
        return _file_digest(path)
    digest = hashlib.sha256()
    for base, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in _BUILD_LEFTOVERS and not d.endswith(".egg-info"))
        for name in sorted(files):
            file = Path(base) / name
            if not file.is_file():
                continue
            digest.update(f"{file.relative_to(path).as_posix()}\0{_file_digest(file)}\n".encode(
                "utf-8", "surrogateescape"))
    return digest.hexdigest()


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
