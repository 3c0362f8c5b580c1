"""Writing a file (or a folder) whole or not at all: beside its place under a temporary name, then renamed."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .errors import DISK_ERRNOS


@contextmanager
def written_beside(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside `final` to write (a file or a folder); renamed onto `final` when the block
    ends. When it fails (a full disk, Ctrl-C) the temporary path goes away, so nothing half-written is ever left
    where the finished one belongs, and an error that names the temporary path (or a full or read-only disk)
    is raised naming `final`, the path the user knows."""
    tmp = final.with_name(f".{final.name}.botship-tmp{os.getpid()}")
    try:
        yield tmp
        os.replace(tmp, final)
    except BaseException as exc:
        if tmp.is_dir() and not tmp.is_symlink():
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            with suppress(OSError):  # on a read-only disk even removing a file that is not there fails
                tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and (exc.errno in DISK_ERRNOS or str(tmp) in (exc.filename, exc.filename2)):
            raise OSError(exc.errno, exc.strerror, str(final)) from None
        raise
