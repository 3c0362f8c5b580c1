"""Lambda's filesystem rules, kept by a run on this machine (`botship invoke --local`, the sandbox, the
artifact's import check): the code folder and the dependencies are read-only, and only the run's temporary
folder, /tmp and the state folder can be written.

In the cloud the platform enforces this itself (Lambda's /var/task is a read-only mount), so nothing here
runs there. Here the code is a copy on a writable disk and runs are often made as root, whom file modes do
not stop, so the rule is a Python audit hook (PEP 578): every write Python makes (open for writing, mkdir,
rename, remove, truncate, chmod, a new SQLite file…) in a place the cloud would refuse raises
PermissionError(EROFS, "Read-only file system") as Lambda does, and is remembered so the run's result can
name it. An OSError, so what Python swallows on Lambda (writing bytecode) it swallows here too. Writes made
outside Python (a C library by itself, a program the bot starts) are not seen; for those, the unpacked copy
is made read-only for a user other than root (`make_read_only`).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import stat
import sys
import threading

# The rules, as JSON in this variable of the run's environment (see `Rules`).
RULES_VARIABLE = "BOTSHIP_FS_RULES"
# Always writable, as on Lambda; the run's own temporary folder is TMPDIR.
SCRATCH = "/tmp"
# Devices and /proc are not files a bot keeps (/dev/null, /dev/stdout, /proc/self/…).
_SYSTEM = ("/dev", "/proc")
# How many refused writes one run remembers.
KEEP = 50


class Rules:
    """Where a run may write. `code` and `deps` are refused (with what they are, for the message), `writable`
    allowed, everything else refused as Lambda refuses it; `cloud` names the platform in messages and `tmp_mb`
    is the size of its /tmp (Lambda's ephemeral storage), when known."""

    def __init__(self, code: list[str], deps: list[str] | None = None, writable: list[str] | None = None,
                 cloud: str = "Lambda", tmp_mb: int | None = None) -> None:
        self.code = [_real(p) for p in code if p]
        self.deps = [_real(p) for p in deps or [] if p]
        self.writable: list[str] = []
        self.allow(*(writable or []), SCRATCH, *_SYSTEM)
        self.cloud, self.tmp_mb = cloud, tmp_mb

    def to_env(self) -> str:
        return json.dumps({"code": self.code, "deps": self.deps, "writable": self.writable, "cloud": self.cloud,
                           "tmp_mb": self.tmp_mb})

    @classmethod
    def from_env(cls, environ=None) -> Rules | None:
        text = (os.environ if environ is None else environ).get(RULES_VARIABLE, "")
        if not text:
            return None
        data = json.loads(text)
        return cls(data.get("code", []), data.get("deps", []), data.get("writable", []), data.get("cloud", "Lambda"),
                   data.get("tmp_mb"))

    def allow(self, *paths: str) -> None:
        """Also allow writing under these folders or files (the state folder, the runtime's own result file)."""
        for path in paths:
            if path and _real(path) not in self.writable:
                self.writable.append(_real(path))

    def judge(self, path: str) -> tuple[str, str] | None:
        """None when `path` (absolute, resolved) may be written; else (kind, root): kind is "code", "deps" or
        "outside" (root "")."""
        for kind, roots in (("code", self.code), ("deps", self.deps)):
            for root in roots:
                if _under(path, root):
                    return kind, root
        if any(_under(path, root) for root in self.writable):
            return None
        return "outside", ""


def _real(path: str) -> str:
    return os.path.realpath(os.path.abspath(path))


def _under(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class Refusal:
    """One write the rules refused: what kind of place, the path as the bot will recognise it, the full path."""

    def __init__(self, kind: str, root: str, path: str) -> None:
        self.kind, self.root, self.path = kind, root, path

    @property
    def shown(self) -> str:
        """Inside the code or the dependencies: the path from there (`app_logs.log`); elsewhere the full path."""
        return os.path.relpath(self.path, self.root) if self.kind in ("code", "deps") else self.path

    def as_list(self) -> list[str]:
        return [self.kind, self.root, self.path]


_rules: Rules | None = None
_refused: list[Refusal] = []
_active = False
_inside = threading.local()

# Which arguments of an audit event are paths written (index, index of its dir_fd or None), and whether the
# last part of the path is followed (a symlink is written through) or is itself what changes.
_FOLLOW, _ITSELF = True, False
_EVENTS: dict[str, tuple[tuple[int, int | None, bool], ...]] = {
    "os.mkdir": ((0, 2, _ITSELF),),
    "os.rmdir": ((0, 1, _ITSELF),),
    "os.remove": ((0, 1, _ITSELF),),
    "os.rename": ((0, 2, _ITSELF), (1, 3, _ITSELF)),  # also os.replace
    "os.replace": ((0, 2, _ITSELF), (1, 3, _ITSELF)),
    "os.link": ((1, 3, _ITSELF),),
    "os.symlink": ((1, 2, _ITSELF),),
    "os.truncate": ((0, None, _FOLLOW),),
    "os.chmod": ((0, 2, _FOLLOW),),
    "os.chown": ((0, 3, _FOLLOW),),
    "os.utime": ((0, 3, _FOLLOW),),
    "os.setxattr": ((0, None, _FOLLOW),),
    "os.removexattr": ((0, None, _FOLLOW),),
    "shutil.rmtree": ((0, 1, _ITSELF),),
    "shutil.copytree": ((1, None, _ITSELF),),
    "shutil.move": ((0, None, _ITSELF), (1, None, _ITSELF)),
}
_WATCHED = frozenset(_EVENTS) | {"open", "sqlite3.connect"}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND


def install(rules: Rules | None) -> None:
    """Keep `rules` from now on in this process (once; later calls only replace the rules)."""
    global _rules, _active
    if rules is None:
        return
    first = _rules is None
    _rules, _active = rules, True
    if first:
        sys.addaudithook(_hook)


def suspend() -> None:
    """Stop refusing (botship's runtime removing the run's own folders); an audit hook cannot be removed."""
    global _active
    _active = False


def refused() -> list[Refusal]:
    """The writes refused so far, first first, each path once."""
    return list(_refused)


def _fd_path(fd: int) -> str | None:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except (OSError, ValueError):
        return None


def _absolute(path, dir_fd, follow: bool) -> str | None:
    if isinstance(path, int):
        return _fd_path(path)
    try:
        text = os.fsdecode(path)
    except TypeError:
        return None
    if not os.path.isabs(text):
        try:
            base = _fd_path(dir_fd) if isinstance(dir_fd, int) and dir_fd >= 0 else os.getcwd()
        except OSError:
            base = None
        if base is None:
            return None
        text = os.path.join(base, text)
    if follow:
        return os.path.realpath(text)
    head, tail = os.path.split(os.path.normpath(text))
    return os.path.join(os.path.realpath(head), tail)


def _refusal(path: str, given) -> PermissionError | None:
    """The error for writing `path` (as the bot named it: `given`), remembered; None when it is allowed."""
    assert _rules is not None
    verdict = _rules.judge(path)
    if verdict is None:
        return None
    parts = path.split(os.sep)
    # Python writing bytecode next to the code fails quietly on Lambda: refused, but not the bot's doing.
    if "__pycache__" not in parts and not path.endswith((".pyc", ".pyo")):
        if len(_refused) < KEEP and all(r.path != path for r in _refused):
            _refused.append(Refusal(verdict[0], verdict[1], path))
    shown = os.fsdecode(given) if isinstance(given, str | bytes) else path
    return PermissionError(errno.EROFS, os.strerror(errno.EROFS), shown)


def _sqlite_target(database) -> str | None:
    """The file a sqlite3.connect would create, or None (in memory, read-only, not a file name)."""
    try:
        text = os.fsdecode(database)
    except TypeError:
        return None
    if text in ("", ":memory:"):
        return None
    if text.startswith("file:"):  # a URI (honoured only with uri=True, but a name this odd is rare otherwise)
        name, _, query = text[5:].partition("?")
        if any(option in query for option in ("mode=ro", "mode=memory", "immutable=1")) or not name:
            return None
        text = name
    return text


def _hook(event: str, args: tuple) -> None:
    if event not in _WATCHED or not _active or getattr(_inside, "busy", False):
        return
    _inside.busy = True
    try:
        error = _judge_event(event, args)
    finally:
        _inside.busy = False
    if error is not None:
        raise error  # botship's local run: the cloud's filesystem is read-only here (botship_runtime.sandbox_fs)


def _judge_event(event: str, args: tuple) -> PermissionError | None:
    if event == "open":
        path, mode, flags = (tuple(args) + (None, None, None))[:3]
        writes = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and bool(flags & _WRITE_FLAGS))
        target = _absolute(path, None, _FOLLOW) if writes and path is not None else None
        return _refusal(target, path) if target else None
    if event == "sqlite3.connect":
        name = _sqlite_target(args[0] if args else None)
        target = _absolute(name, None, _FOLLOW) if name else None
        if target and not os.path.exists(target):  # opening an existing database reads it: allowed
            return _refusal(target, name)
        return None
    for index, fd_index, follow in _EVENTS[event]:
        if index >= len(args) or args[index] is None:
            continue
        dir_fd = args[fd_index] if fd_index is not None and fd_index < len(args) else None
        target = _absolute(args[index], dir_fd, follow)
        if not target:
            continue
        if event == "os.mkdir" and os.path.lexists(target):
            continue  # fails as it exists, on Lambda too (os.makedirs(..., exist_ok=True) relies on it)
        error = _refusal(target, args[index])
        if error is not None:
            return error
    return None


# What is said about refused writes.

def targets(refusals: list[Refusal]) -> str:
    """The refused paths, by place: `app_logs.log into its code folder`."""
    parts = []
    for kind in ("code", "deps", "outside"):
        names = [r.shown for r in refusals if r.kind == kind]
        if not names:
            continue
        listed = ", ".join(names[:3]) + (f" (and {len(names) - 3} more)" if len(names) > 3 else "")
        parts.append({"code": f"{listed} into its code folder", "deps": f"{listed} into its installed dependencies",
                      "outside": f"{listed} (outside /tmp and the state folder)"}[kind])
    return "; ".join(parts)


def why_refused(rules: Rules | None) -> str:
    """Why the cloud refuses these writes (a clause)."""
    cloud = rules.cloud if rules else "Lambda"
    if cloud == "Lambda":
        return ("on Lambda the code folder (/var/task, also the working directory) and its dependencies are "
                "read-only, as is everything but /tmp")
    return f"on {cloud} the code runs from the read-only package, and only the temporary folder can be written"


def _logs(refusals: list[Refusal]) -> bool:
    names = [os.path.basename(r.path).lower() for r in refusals]
    return any(name.endswith(".log") or ".log." in name for name in names)


def where_instead(rules: Rules | None, refusals: list[Refusal]) -> str:
    """Where to write instead (a clause starting with a verb)."""
    cloud = rules.cloud if rules else "Lambda"
    size = f"up to {rules.tmp_mb} MB, the profile's ephemeral_mb" if rules and rules.tmp_mb else "its size is limited"
    scratch = (f"to /tmp (scratch, not kept between runs; {size})" if cloud == "Lambda"
               else "to tempfile.gettempdir() (scratch, not kept between runs)")
    return ("write to the state folder (the folder in os.environ['BOTSHIP_STATE_DIR'], kept between runs) "
            f"or {scratch}" + (", or log to the console (the platform keeps what the bot prints)"
                               if _logs(refusals) else ""))


def refusal_note(refusals: list[Refusal], rules: Rules | None) -> str:
    """A run's note on the writes it was refused: what, why, and where to write instead."""
    instead = where_instead(rules, refusals)
    return (f"the bot tried to write {targets(refusals)}; {why_refused(rules)}, so it fails there the same way. "
            f"Instead, {instead}.")


def from_lists(items: list[list[str]]) -> list[Refusal]:
    """Refusals sent as lists (`Refusal.as_list`), e.g. out of the import check's process."""
    return [Refusal(*item) for item in items]


# The unpacked copy of a package, read-only on disk too (a user other than root is then stopped by the
# file modes as well, also outside Python), and removable again.

def make_read_only(root: str) -> None:
    """Files 0444, folders 0555 under `root` (and `root` itself)."""
    for folder, dirs, files in os.walk(root, topdown=False):
        for name in files:
            path = os.path.join(folder, name)
            try:
                if not os.path.islink(path):
                    os.chmod(path, stat.S_IMODE(os.lstat(path).st_mode) & 0o555)
            except OSError:
                pass
        try:
            os.chmod(folder, 0o555)
        except OSError:
            pass


def remove_tree(path: str) -> None:
    """shutil.rmtree that also removes what `make_read_only` left (a folder's entries need it writable)."""

    def retry(function, failed, _exc) -> None:  # noqa: ANN001 - shutil's onexc/onerror signature
        parent = os.path.dirname(failed)
        try:
            for folder in (parent, failed):
                if os.path.isdir(folder) and not os.path.islink(folder):
                    os.chmod(folder, 0o755)
            function(failed)
        except OSError:
            pass

    if not os.path.lexists(path):
        return
    try:
        if sys.version_info >= (3, 12):
            shutil.rmtree(path, onexc=retry)
        else:
            shutil.rmtree(path, onerror=retry)
    except OSError:
        pass
