"""A thread worker that fails is shown, never lost.

Textual runs `@work(thread=True, exit_on_error=False)` workers and, when one raises, only changes its state
to ERROR: nothing is shown and a screen waiting for its answer waits for ever. A screen (or widget, or the
app) that starts workers mixes `ShowsWorkerErrors` in: every worker of it that raises reaches
`worker_failed` on the app's thread, as lines to show (a BotshipError's what, why and fix; anything else an
internal error), where the screen shows them and makes itself usable again.

Workers themselves touch no widget: they post messages (`post_message` is thread-safe) or hand a callable
to `app.call_from_thread`, and let what they raise end up here.
"""

from __future__ import annotations

import os
import traceback

from rich.markup import escape
from textual.worker import Worker, WorkerState

from botship.errors import DISK_ERRNOS, BotshipError, file_error

DEBUG_HINT = "re-running is safe; run with BOTSHIP_DEBUG=1 to see the traceback and report it"


def error_lines(error: BaseException | None) -> list[str]:
    """What a failed worker's error tells the user, as lines: what, why, and what to do ("→ …")."""
    if isinstance(error, OSError) and (error.filename is not None or error.errno in DISK_ERRNOS):
        error = file_error(error)  # a file or folder botship could not use: named, never "internal"
    if isinstance(error, BotshipError):
        return error.lines()
    lines = [f"internal error: {type(error).__name__}: {error}",
             "this is a bug in botship, not in your bot or profile", f"→ {DEBUG_HINT}"]
    if error is not None and os.environ.get("BOTSHIP_DEBUG"):
        lines += "".join(traceback.format_exception(error)).rstrip().splitlines()
    return lines


def error_markup(lines: list[str]) -> str:
    """The lines as red markup for a Static (their text escaped)."""
    return "[red]" + "\n".join(escape(line) for line in lines) + "[/]"


class ShowsWorkerErrors:
    """Mix into a Screen, Widget or App with thread workers (`class RunScreen(ShowsWorkerErrors, Screen)`; a
    subclass of a class that may mix it in itself lists it last, as `ReviewSection(Section, ShowsWorkerErrors)`):
    a worker of it that raises is shown by `worker_failed`, which a screen overrides to show the error in place
    and stay usable (re-enable its buttons, replace its "waiting…"). By default it is an error notification.

    Textual posts a worker's state changes to the node that started it only (they do not bubble): the screen,
    widget or app whose `@work` method (or `run_worker`) made the worker is the one that mixes this in."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.worker_failed(event.worker, error_lines(event.worker.error))

    def worker_failed(self, worker: Worker, lines: list[str]) -> None:
        title, *rest = lines
        self.notify("\n".join(rest) or title, title=title if rest else "",  # type: ignore[attr-defined]
                    severity="error", timeout=30, markup=False)
