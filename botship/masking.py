"""Hides secret values in anything botship shows or writes: events, log lines, journals."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# One set of forms for botship and the runtime in the function (which imports nothing of botship).
from botship.runtime.logs import MASK, MIN_SECRET_LENGTH, mask_text, masking_forms, secret_forms

__all__ = ["MASK", "MIN_SECRET_LENGTH", "Masker", "secret_forms"]


class Masker:
    """Replaces every known secret value with `***`, in every form a bot is likely to print it
    (plain, JSON-escaped, repr() with either quote, URL-encoded: see `secret_forms`)."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._values = sorted({v for v in values if v and len(v) >= MIN_SECRET_LENGTH}, key=len, reverse=True)
        self._forms = masking_forms(self._values)

    def __bool__(self) -> bool:
        return bool(self._values)

    def mask(self, text: str) -> str:
        return mask_text(text, self._forms)

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
        return any(form in text for form in self._forms)
