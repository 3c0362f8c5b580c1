"""Line prompts (questionary): the session's questions one line at a time, secret values, a live run's confirmation.

A question declared once (botship/questions.py) is asked here as a select, a text with its check
run as it is typed, or a yes/no. Ctrl-C or Ctrl-D cancels before anything changed. questionary is
imported only when a question is asked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from ..checks import CheckLine
from ..errors import BadInput, Cancelled
from ..questions import Answers, Question
from ..spec import DeploySpec
from .console import Console


def ask_masked(name: str) -> str | None:
    """A secret's value typed at a masked prompt, for `resolve_secrets(ask=...)`: None when cancelled."""
    import questionary

    return questionary.password(f"Value for secret {name}:").unsafe_ask()


def require_live_confirmation(spec: DeploySpec, profile: str, *, confirmed: bool, interactive: bool,
                              project: Path | None = None) -> None:
    """A live deploy goes ahead only when confirmed: by flag, or by typing the bot's name.

    With `project`, what going live means for this bot (botship.mode_check) is shown first.
    """
    if spec.mode != "live" or confirmed:
        return
    from ..mode_check import live_switch_brief, live_switch_lines

    if not interactive:
        why = "a live deploy must be confirmed explicitly"
        raise BadInput(
            f"profile '{profile}' deploys {spec.bot_name} in LIVE mode: it will trade real money",
            f"{why}: {live_switch_brief(spec, project)}" if project is not None else why,
            "pass --confirm-live to deploy it live, or set mode = \"paper\" in the profile",
        )
    import questionary

    if project is not None:
        click.echo(f"Going live with {spec.bot_name}:")
        for line in live_switch_lines(spec, project):
            click.echo(f"  {line}")
    typed = questionary.text(
        f"LIVE mode: {spec.bot_name} will trade real money. Type the bot's name to confirm:").unsafe_ask()
    if (typed or "").strip() != spec.bot_name:
        raise Cancelled("live deploy not confirmed", "nothing was changed")


class Prompter:
    """Asks on a terminal and writes headings, help and check results to the console."""

    def __init__(self, console: Console, again: str = "run `botship deploy --guided` again") -> None:
        self.console = console
        self.again = again

    def line(self, text: str = "") -> None:
        self.console.line(text)

    def heading(self, title: str) -> None:
        self.console.line("")
        self.console.line(click.style(f"── {title} ──", bold=True))

    def help(self, key: str, text: str) -> None:
        """A question's help, as a dim line above it."""
        if text:
            self.console.line(click.style(f"  {key}: {text}", dim=True))

    def problem(self, name: str, message: str) -> None:
        self.console.line(f"{click.style('✗', fg='red')} {name}: {message}")

    def checks(self, lines: list[CheckLine]) -> None:
        self.console.checks(lines)

    def question(self, question: Question, answers: Answers, *, message: str | None = None,
                 default: Any = None) -> Any:
        """Ask a declared question: its help above it, its choices or its check; the answer ('' for blank)."""
        import questionary

        self.help(question.key, question.help)
        default = question.current(answers) if default is None else default
        if default in (None, ""):
            default = question.default_for(answers)
        message = message or (question.label if question.label.endswith("?") else f"{question.label}:")
        if question.kind == "choice":
            choices = [questionary.Choice(c.title, value=c.value, disabled=c.disabled or None)
                       for c in question.options(answers)]
            if question.blank is not None:
                choices.insert(0, questionary.Choice(question.blank, value=""))
            if not choices:
                return ""
            return self.select(message, choices, "" if default is None else default)
        answer = self.text(message, question.key, default="" if default is None else str(default),
                           check=lambda value: question.problem(value, answers), blank=question.blank is not None,
                           **({"completer": _completer(question.suggestions(answers)), "complete_while_typing": False}
                              if question.suggestions else {}))
        return int(answer) if question.kind == "number" and answer else answer

    def ask(self, question: Any) -> Any:
        """Ask; Ctrl-C (or Ctrl-D) cancels the whole flow before anything changed."""
        try:
            return question.unsafe_ask()
        except (KeyboardInterrupt, EOFError):
            raise Cancelled("cancelled", "nothing was changed", self.again) from None

    def text(self, message: str, key: str, *, default: str = "", check: Callable[[str], str | None] | None = None,
             blank: bool = False, **kwargs: Any) -> str:
        """A text answer, checked as it is typed; an empty answer cancels unless `blank` allows it."""
        import questionary

        def validate(text: str) -> bool | str:
            text = text.strip()
            if not text or check is None:
                return True
            return check(text) or True

        answer = (self.ask(questionary.text(message, default=default, validate=validate, **kwargs)) or "").strip()
        if not answer and not blank:
            raise Cancelled(f"no answer for {key or message.rstrip(':')}", "nothing was changed",
                            f"{self.again} and answer it")
        return answer

    def select(self, message: str, choices: list[Any], default: Any = None) -> Any:
        import questionary

        values = [getattr(c, "value", c) for c in choices]
        return self.ask(questionary.select(message, choices, default=default if default in values else None,
                                           use_shortcuts=len(choices) <= 9))

    def confirm(self, message: str, default: bool) -> bool:
        import questionary

        return bool(self.ask(questionary.confirm(message, default=default)))

    def secret(self, message: str) -> str:
        """A masked answer ('' when none was typed)."""
        import questionary

        return self.ask(questionary.password(message)) or ""


def _completer(words: list[str]):
    from prompt_toolkit.completion import WordCompleter

    return WordCompleter(words, sentence=True)
