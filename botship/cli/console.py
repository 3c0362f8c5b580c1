"""Plans, run events and errors as terminal text or JSON Lines — the CLI's only way of printing them."""

from __future__ import annotations

import json
import sys
from typing import IO, Any

import click

from ..checks import CheckLine
from ..errors import BotshipError

_MARKS = {"create": ("+", "green"), "update": ("~", "yellow"), "no change": ("=", None), "delete": ("-", "red")}


def mode_badge(mode: str) -> str:
    """PAPER in green, LIVE in bold red: the mode is visible on every plan and summary."""
    if mode.lower() == "live":
        return click.style(" LIVE ", fg="white", bg="red", bold=True)
    return click.style(" PAPER ", fg="black", bg="green")


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


class Console:
    """Writes for a person (text) or a program (`--json`: one JSON object per line on stdout)."""

    def __init__(self, as_json: bool = False, out: IO[str] | None = None, err: IO[str] | None = None) -> None:
        self.as_json = as_json
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.live = not as_json and self.out.isatty()
        self._pending = ""
        self._step_title, self._step_header_shown = "", False
        self._mode = "paper"

    # ---- plain output ---------------------------------------------------------------

    def line(self, text: str = "") -> None:
        if not self.as_json:
            self._clear_pending()
            click.echo(text, file=self.out)

    def checks(self, lines: list[CheckLine]) -> None:
        """Check results (botship/checks.py), each mark in its colour and the check's name bold."""
        for line in lines:
            if line.indent:
                self.line(f"    {line.text}")
            else:
                name = f"{click.style(line.name, bold=True)}: " if line.name else ""
                self.line(f"{click.style(line.mark, fg=line.colour, bold=True)} {name}{line.text}")

    def record(self, kind: str, /, **fields: Any) -> None:
        """A JSON Lines record (JSON mode only)."""
        if self.as_json:
            click.echo(json.dumps({"type": kind, **fields}, default=str), file=self.out)

    def error(self, exc: BotshipError) -> None:
        if self.as_json:
            self.record("error", exit_code=exc.exit_code, **exc.as_dict())
            return
        self._clear_pending()
        lines = exc.lines()
        click.echo(click.style("✗ ", fg="red", bold=True) + lines[0], file=self.err)
        for extra in lines[1:]:
            click.echo(f"  {extra}" if not extra.startswith("  ") else extra, file=self.err)

    def sink_errors(self, errors: list[str]) -> None:
        """What the run's journal (or a display) could not take: the run went on, its record of it did not."""
        if not errors:
            return
        if self.as_json:
            self.record("warning", message="not every event of the run was recorded", errors=errors)
            return
        self._clear_pending()
        click.echo(click.style("⚠ ", fg="yellow", bold=True) + "Not every event of this run was recorded "
                   "(the run itself went on as shown):", file=self.err)
        for error in errors:
            click.echo(f"  {error}", file=self.err)

    # ---- plans ----------------------------------------------------------------------

    def plan(self, plan: Any) -> None:
        if self.as_json:
            self.record("plan", **plan.as_dict())
            return
        self.line(f"{mode_badge(plan.mode)} {click.style(plan.title, bold=True)}")
        width = max(len(k) for k, _ in plan.summary) if plan.summary else 0
        for key, value in plan.summary:
            self.line(f"  {key:<{width}}  {value}")
        self.line("")
        title_width = max((len(s.title) for s in plan.steps), default=0)
        for step in plan.steps:
            mark, colour = _MARKS[step.action.value]
            action = click.style(f"{mark} {step.action.value:<9}", fg=colour)
            resource = click.style(step.resource, dim=True)
            detail = f"  {click.style(step.detail, dim=True)}" if step.detail else ""
            self.line(f"  {action} {step.title:<{title_width}}  {resource}{detail}")
        counts: dict[str, int] = {}
        for step in plan.steps:
            counts[step.action.value] = counts.get(step.action.value, 0) + 1
        self.line("")
        self.line("Plan: " + ", ".join(f"{n} {a}" for a, n in counts.items()) if counts else "Plan: nothing to do")

    # ---- run events -----------------------------------------------------------------

    def event(self, event: Any) -> None:
        if self.as_json:
            click.echo(json.dumps(event.as_dict(), default=str), file=self.out)
            return
        handler = getattr(self, f"_on_{event.kind}", None)
        if handler:
            handler(event)

    def _on_step_started(self, e: Any) -> None:
        self._step_title, self._step_header_shown = e.title, False
        self.show_pending(f"  … {e.title}")

    def _on_log(self, e: Any) -> None:
        # A step's log lines go under a header of their own, so they never read as the previous step's.
        pending = self._pending
        if not self._step_header_shown:
            self.line(f"  ▸ {self._step_title}")
            self._step_header_shown = True
        self.line(click.style(f"      {e.message}", fg="red" if e.level == "error" else None, dim=e.level != "error"))
        if pending:
            self.show_pending(pending)

    def _on_progress(self, e: Any) -> None:
        if not self.live:
            return
        base = self._pending.split("  [")[0] or f"  … {e.step}"
        share = f"{e.done * 100 // e.total}%" if e.total else f"{e.done}"
        self.show_pending(f"{base}  [{share}{' ' + e.unit if e.unit and not e.total else ''}]")

    def _on_step_finished(self, e: Any) -> None:
        if not e.ran:
            self.line(f"  {click.style('=', dim=True)} {e.title}  {click.style('no change', dim=True)}")
            return
        self.line(f"  {click.style('✓', fg='green')} {e.title}  {click.style(e.action + ', ' + _duration(e.duration_s), dim=True)}")

    def _on_step_failed(self, e: Any) -> None:
        self.line(f"  {click.style('✗', fg='red', bold=True)} {e.title}  {click.style('failed after ' + _duration(e.duration_s), dim=True)}")
        self.line(f"      {e.what}")
        if e.why:
            self.line(f"      {e.why}")
        if e.fix:
            self.line(f"      → {e.fix}")

    def _on_step_cancelled(self, e: Any) -> None:
        self.line(f"  {click.style('⊘', fg='yellow')} {e.title}  {click.style('cancelled', fg='yellow')}")

    def _on_run_started(self, e: Any) -> None:
        self._mode = e.mode

    def _on_run_finished(self, e: Any) -> None:
        if e.status == "ok":
            done = click.style(f"Done in {_duration(e.duration_s)}: {e.changed} step(s) changed.", fg="green")
            self.line(f"\n{done} {mode_badge(self._mode)}")
        elif e.status == "cancelled":
            self.line(click.style("\nCancelled. What finished stays finished; re-run to continue.", fg="yellow"))
        else:
            self.line(click.style(f"\nFailed at step '{e.failed_step}'. Re-running is safe once the cause is fixed.", fg="red"))

    # ---- the one line that updates in place on a terminal ---------------------------

    def show_pending(self, text: str) -> None:
        """A status line that the next line replaces (shown on a terminal only)."""
        self._pending = text
        if self.live:
            self.out.write("\r\033[K" + text)
            self.out.flush()

    def _clear_pending(self) -> None:
        if self._pending and self.live:
            self.out.write("\r\033[K")
        self._pending = ""


class ConsoleReport:
    """Local work reported before a plan exists (building the artifact), as dim lines."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def log(self, message: str, level: str = "info") -> None:
        self.console.line(click.style(f"  · {message}", dim=level != "warning", fg="yellow" if level == "warning" else None))

    def progress(self, done: int, total: int | None = None, unit: str = "") -> None:
        if self.console.live:
            share = f"{done * 100 // total}%" if total else str(done)
            self.console.show_pending(f"  · {share} {unit}")
