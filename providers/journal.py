"""The run journal: every event of a run appended as one JSON line under `.botship/runs/`."""

from __future__ import annotations

import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from botship.errors import BotshipError, file_error
from botship.locations import runs_dir
from botship.masking import Masker

from .events import Event


class Journal:
    """An append-only JSON Lines file of run events; secret values are masked before writing.

    A write that fails (a full disk) leaves no cut-short line behind, and the journal stops there: every
    later write raises the same error, so it holds the run's first events in order, never a run with holes.
    """

    def __init__(self, path: Path, masker: Masker) -> None:
        self.path = path
        self._masker = masker
        self.failed: BotshipError | None = None

    @classmethod
    def for_run(cls, project: Path, profile: str, masker: Masker, now: datetime | None = None) -> Journal:
        stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%S.%fZ")
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", profile)
        try:
            folder = runs_dir(project)
        except OSError as exc:
            raise file_error(exc, "making the folder for run journals") from None
        return cls(folder / f"{stamp}-{safe}.jsonl", masker)

    def write(self, record: dict[str, Any]) -> None:
        if self.failed is not None:
            raise self.failed
        line = json.dumps(self._masker.mask_data(record), default=str, sort_keys=True)
        try:
            size: int | None = self.path.stat().st_size
        except FileNotFoundError:
            size = 0
        except OSError:
            size = None
        try:
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line + "\n")
        except OSError as exc:
            # A full disk fails the write (or the close) without naming the file: name it.
            self.failed = file_error(exc if exc.filename else OSError(exc.errno, exc.strerror, str(self.path)),
                                     "writing the run journal")
            self._cut_back(size)
            raise self.failed from None

    def _cut_back(self, size: int | None) -> None:
        """Drop the part of a line a failed write left (truncating frees space, so it works on a full disk)."""
        if size is None:
            return
        try:
            os.truncate(self.path, size)
        except OSError:
            pass  # then its last line may be cut short

    def __call__(self, event: Event) -> None:
        self.write(event.as_dict())

    def read(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]
