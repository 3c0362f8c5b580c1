"""A question, declared once: what it asks, its help, its choices, default and check.

The wizard renders a question as a widget, the line prompts as a prompt, the CLI and profiles
as a key. Nothing here draws anything: choices, defaults and checks are functions of the answers
given so far, so a question can depend on another (an AWS profile's own region as the default).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

Answers = dict[str, Any]
Kind = Literal["text", "choice", "flag", "number"]


@dataclass(frozen=True)
class Choice:
    """One answer a choice question offers; `disabled` says why it cannot be picked ('' when it can)."""

    value: str
    title: str
    disabled: str = ""


@dataclass(frozen=True)
class Question:
    """One answer the session needs.

    `key` is where the answer lives in the answers (`aws.region` is `answers["aws"]["region"]`).
    `blank` is the title of leaving it empty when that is allowed (an AWS profile left empty means the
    default credentials); None means an answer is required. `check` returns the problem with a value
    given the other answers, or None. `suggestions` are completions for a text answer (any valid one may
    still be typed).
    """

    key: str
    label: str
    help: str = ""
    kind: Kind = "text"
    choices: Callable[[Answers], list[Choice]] | None = None
    default: Callable[[Answers], Any] | None = None
    check: Callable[[Any, Answers], str | None] | None = None
    suggestions: Callable[[Answers], list[str]] | None = None
    blank: str | None = None
    placeholder: str = ""
    # Other answers this one's default or choices read: a front end asks again when one of them changes.
    depends_on: tuple[str, ...] = field(default=())
    # Its choices or suggestions ask the network (an Azure subscription's locations): a front end reads them
    # aside, showing that it does, instead of freezing.
    slow: bool = False

    def options(self, answers: Answers) -> list[Choice]:
        return list(self.choices(answers)) if self.choices else []

    def default_for(self, answers: Answers) -> Any:
        return self.default(answers) if self.default else None

    def problem(self, value: Any, answers: Answers) -> str | None:
        if value in (None, "") and self.blank is not None:
            return None
        if self.check:
            return self.check(value, answers)
        return "an answer is needed" if value in (None, "") else None

    def current(self, answers: Answers) -> Any:
        return get_answer(answers, self.key)


def get_answer(answers: Answers, key: str) -> Any:
    """The answer at a dotted key, or None."""
    value: Any = answers
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def set_answer(answers: Answers, key: str, value: Any) -> None:
    """Put an answer at a dotted key; a blank answer removes the key (tables left empty stay, as `{}`)."""
    *tables, last = key.split(".")
    target = answers
    for part in tables:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    if value in (None, ""):
        target.pop(last, None)
    else:
        target[last] = value
