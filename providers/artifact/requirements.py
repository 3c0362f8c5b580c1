"""The bot's requirements as pip will read them: the file (and every file it includes) read with pip's own
grammar, what a package for the cloud cannot hold refused naming the line, and the layer's cache key."""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from botship.errors import BadInput

# Packages the runtime itself needs that the platform does not provide (Lambda ships boto3). On Azure, tzdata:
# the timer keeps the bot's local times with zoneinfo, and the Functions images are not sure to carry zone data.
RUNTIME_REQUIREMENTS = {"aws": [], "azure": ["azure-functions", "azure-storage-blob", "tzdata"]}


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
