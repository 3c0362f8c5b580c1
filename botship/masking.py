"""Hides secret values in anything botship shows or writes: events, log lines, journals."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MASK = "***"
# Shorter values would mask ordinary text ("1", "on") while protecting nothing.
MIN_SECRET_LENGTH = 4


class Masker:
    """Replaces every known secret value with `***`."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values = sorted({v for v in values if v and len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self._values)

    def mask(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def mask_data(self, data: Any) -> Any:
        """Mask strings inside nested dicts, lists and tuples."""
        if not self._values:
            return data
        if isinstance(data, str):
            return self.mask(data)
        if isinstance(data, dict):
            return {self.mask_data(k): self.mask_data(v) for k, v in data.items()}
        if isinstance(data, list | tuple):
            return type(data)(self.mask_data(v) for v in data)
        return data

    def contains_secret(self, text: str) -> bool:
        return any(value in text for value in self._values)
