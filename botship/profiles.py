"""Saved answers: `[profiles.NAME]` tables in the project's `botship.toml`, edited without losing comments."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import ParseError, TOMLKitError
from tomlkit.container import OutOfOrderTableProxy
from tomlkit.items import AoT, InlineTable, Table

from .errors import BadInput, Problem, SpecInvalid, file_error
from .locations import PROFILE_FILE
from .masking import Masker
from .spec import DeploySpec, build_spec, to_profile

PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
# Tables written as `[profiles.NAME.KEY]`; other mappings are written inline (`env = { A = "1" }`).
_SUBTABLES = ("aws", "azure", "paper")
# What TOML calls a table: `[a]`, `{ … }`, and a table whose sub-tables come later in the file (`[a]`, `[b]`,
# `[a.c]` is valid TOML; tomlkit reads such an `a` as a proxy).
TABLE_TYPES = (Table, InlineTable, OutOfOrderTableProxy)


def check_profile_name(name: str) -> str:
    if not PROFILE_NAME.fullmatch(name):
        raise BadInput(
            f"'{name}' is not a valid profile name",
            "profile names are 1–32 lower-case letters, digits, '-' or '_', starting with a letter or digit",
            "pick a name like 'prod' or 'paper-eu'",
        )
    return name


def _suggest_name(name: str) -> str:
    suggested = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")[:32]
    return suggested if suggested and PROFILE_NAME.fullmatch(suggested) else "prod"


class ProfileStore:
    """The profiles of one bot project."""

    def __init__(self, project: Path) -> None:
        self.project = project
        self.path = project / PROFILE_FILE

    def _document(self) -> tomlkit.TOMLDocument:
        if self.path.is_dir():
            raise BadInput(f"{self.path} is a folder; botship keeps profiles in a file of that name",
                           fix=f"move or rename the folder {self.path}, then re-run (or run `botship` to create the file)")
        if self.path.is_symlink() and not self.path.exists():
            raise BadInput(f"{self.path} is a symbolic link to {os.readlink(self.path)}, which does not exist",
                           fix=f"point the link at your {PROFILE_FILE}, or remove it (then run `botship` to create one)")
        if not self.path.exists():
            return tomlkit.document()
        if not self.path.is_file():
            raise BadInput(f"{self.path} is not a regular file (a pipe, socket or device)",
                           fix=f"make {PROFILE_FILE} a text file, or remove it")
        try:
            # utf-8-sig: a byte-order mark (as some Windows editors write) is accepted and dropped on the next save.
            doc = tomlkit.parse(self.path.read_text(encoding="utf-8-sig"))
        except ParseError as exc:
            raise BadInput(f"{PROFILE_FILE} line {exc.line}, column {exc.col}: {str(exc).split(' at line')[0]}",
                           "the file is not valid TOML", f"fix line {exc.line} of {self.path}") from None
        except UnicodeDecodeError:
            raise BadInput(f"{self.path} is not UTF-8 text", fix="save it as UTF-8 and re-run") from None
        except OSError as exc:
            raise file_error(exc, f"reading {PROFILE_FILE}") from None
        except TOMLKitError as exc:
            raise BadInput(f"cannot read {PROFILE_FILE}: {exc}", fix=f"check {self.path}") from None
        profiles = doc.get("profiles")
        if profiles is not None and (not isinstance(profiles, TABLE_TYPES) or isinstance(profiles, InlineTable)):
            raise BadInput(f"{PROFILE_FILE}: 'profiles' must be a table of [profiles.NAME] tables",
                           fix="see `botship profiles --help` for the format")
        return doc

    def _profiles(self, doc: tomlkit.TOMLDocument) -> dict[str, Any]:
        return doc.get("profiles") or {}

    def names(self) -> list[str]:
        return sorted(self._profiles(self._document()))

    def pick(self, name: str | None) -> str:
        """`name`, or the only profile when none is given."""
        if name:
            return name
        names = self.names()
        if len(names) == 1:
            return names[0]
        if not names:
            raise BadInput(f"no profiles in {self.path}", fix="run `botship` in the project to create one with the wizard")
        raise BadInput("which profile?", f"{PROFILE_FILE} has {len(names)}: {', '.join(names)}", "pass --profile NAME")

    def raw(self, name: str) -> dict[str, Any]:
        """The profile's table as plain data, unvalidated."""
        profiles = self._profiles(self._document())
        if name not in profiles:
            known = ", ".join(sorted(profiles)) or "none yet"
            raise BadInput(f"no profile '{name}' in {self.path}", f"profiles there: {known}",
                           "run `botship profiles` to list them, or `botship` to create one")
        table = profiles[name]
        if not isinstance(table, TABLE_TYPES):
            raise BadInput(f"profile '{name}' in {PROFILE_FILE} is not a table", fix=f"write it as [profiles.{name}]")
        return table.unwrap()

    def spec(self, name: str) -> DeploySpec:
        """The profile validated into a spec; raises SpecInvalid with every problem at once.

        The profile's name is checked too: it names local files (records, local state) and goes into the
        `botship:profile` tag of every resource, so a name written by hand must follow the rule a saved one does.
        """
        source = f"profile '{name}' in {PROFILE_FILE}"
        data = self.raw(name)
        name_problems = [] if PROFILE_NAME.fullmatch(name) else [Problem(
            "profile name", f"'{name}' is not a profile name botship can use: 1–32 lower-case letters, digits, '-' "
                            "or '_', starting with a letter or digit (it names local files and is a tag on every "
                            f"resource); rename the table, e.g. [profiles.{_suggest_name(name)}]")]
        try:
            spec = build_spec(data, self.project, source=source)
        except SpecInvalid as exc:
            raise SpecInvalid(name_problems + exc.problems, source) from None
        if name_problems:
            raise SpecInvalid(name_problems, source)
        return spec

    def save(self, name: str, spec: DeploySpec, secrets: Masker | None = None) -> None:
        """Write the spec as profile `name`, keeping every other line, comment and profile as it was."""
        check_profile_name(name)
        data = to_profile(spec)
        if secrets and any(secrets.contains_secret(text) for text in _strings(data)):
            raise BadInput(f"refusing to save profile '{name}': it would contain a secret value",
                           f"{PROFILE_FILE} is meant to be committed; secret values never go in it",
                           "list the variable under secrets and keep its value in .env, the environment or the keyring")
        doc = self._document()
        if "profiles" not in doc:
            doc["profiles"] = tomlkit.table(is_super_table=True)
        profiles = doc["profiles"]
        if name not in profiles:
            profiles[name] = tomlkit.table()
        _merge(profiles[name], data)
        self._write(tomlkit.dumps(doc))

    def delete(self, name: str) -> None:
        doc = self._document()
        profiles = self._profiles(doc)
        if name not in profiles:
            self.raw(name)  # raises the helpful "no profile" error
        del profiles[name]
        self._write(tomlkit.dumps(doc))

    def _write(self, text: str) -> None:
        # Write-then-rename so a crash (or a full disk) never leaves a half-written profile file behind. A
        # botship.toml that is a symbolic link is written where it points, keeping the link.
        target = self.path.resolve() if self.path.is_symlink() else self.path
        try:
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{PROFILE_FILE}.", suffix=".tmp")
        except OSError as exc:
            # The temporary file's name means nothing to the user: the folder it goes in does.
            raise file_error(OSError(exc.errno, exc.strerror, str(target.parent)),
                             f"saving {PROFILE_FILE} (nothing was changed)") from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            if target.exists():
                os.chmod(tmp, target.stat().st_mode & 0o777)
            os.replace(tmp, target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            if exc.filename is None or exc.filename == tmp:
                exc = OSError(exc.errno, exc.strerror, str(self.path))
            raise file_error(exc, f"saving {PROFILE_FILE} (it was left as it was)") from None
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _merge(table: Table | InlineTable | OutOfOrderTableProxy, data: dict[str, Any]) -> None:
    """Make `table` hold `data`, touching only keys whose values changed (so comments survive)."""
    for key in [k for k in table if k not in data]:
        del table[key]
    for key, value in data.items():
        current = table.get(key)
        if isinstance(value, dict):
            if isinstance(current, TABLE_TYPES) and not isinstance(current, AoT):
                _merge(current, value)
                continue
            fresh = tomlkit.table() if key in _SUBTABLES else tomlkit.inline_table()
            fresh.update(value)
            table[key] = fresh
        elif current is None or _plain(current) != value:
            table[key] = value


def _strings(data: Any):
    """Every key and string value in nested data, as the plain text TOML would escape."""
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield str(key)
            yield from _strings(value)
    elif isinstance(data, list | tuple):
        for value in data:
            yield from _strings(value)


def _plain(item: Any) -> Any:
    return item.unwrap() if hasattr(item, "unwrap") else item
