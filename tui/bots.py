"""The bots screen: every deployed bot the clouds hold, found from the clouds themselves (their tags).

Each place botship looks (`botship.bots.sources`: the clouds the project's profiles deploy to, and the
emulator on this machine while it holds bots) answers on its own: its rows replace its "looking…" row as it
answers, and a place that fails shows its error in place of its rows. Typing filters; Enter opens a bot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.markup import escape
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker

from botship import providers

from .app import BotshipApp
from .bot_format import last_run_text, mode_badge, next_run_text, schedule_text, short, status_text
from .bot_keys import KeysFooter
from .widgets import TopBar
from .workers import ShowsWorkerErrors, error_lines, error_markup

WIDE = 110  # from this many columns on, every column has room; below, the highlighted bot's details go under
WIDE_COLUMNS = ("Bot", "Where", "Mode", "Status", "Schedule · next run", "Last run", "Version")
NARROW_COLUMNS = ("Bot", "Mode", "Status", "Next run", "Last run")


@dataclass
class Row:
    """One row of the table: a bot, a place still being looked in, or a place that could not be looked in."""

    key: str
    source: Any
    bot: Any = None
    error: list[str] | None = None

    @property
    def words(self) -> str:
        """What the filter matches."""
        if self.bot is None:
            return self.source.title.lower()
        bot = self.bot
        return " ".join([bot.bot_name, providers.title(bot.platform), bot.where, bot.mode, bot.state,
                         bot.schedule or "", bot.version or "", bot.profile or ""]).lower()


class BotsScreen(ShowsWorkerErrors, Screen):
    BINDINGS = [Binding("escape", "back", "Back"), Binding("enter", "open", "Open bot", show=False),
                Binding("r", "refresh", "Refresh"), Binding("slash", "filter", "Filter")]

    def __init__(self, asked: Mapping[str, list[str]] | None = None) -> None:
        """`asked`: locations to look in besides the profiles' (setting → values, e.g. {"region": [...]})."""
        super().__init__()
        self.asked = dict(asked or {})
        self.sources: list[Any] | None = None  # None until it is known where to look
        self.rows: dict[Any, list[Row]] = {}  # by source key, each place's rows
        self.answered = 0
        self.generation = 0  # a refresh starts a new one: answers of an earlier listing are dropped
        self.wide: bool | None = None
        self.away = False

    def compose(self) -> ComposeResult:
        yield TopBar("Bots")
        yield Input(id="bots-filter", placeholder="type (or /) to filter: name, cloud, mode, status…",
                    select_on_focus=False)
        yield DataTable(id="bots-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="bots-detail")
        yield Static("", id="bots-note", classes="field-help")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.query_one("#bots-table").focus()

    @property
    def table(self) -> DataTable:
        return self.query_one("#bots-table", DataTable)

    # ---- loading ----------------------------------------------------------------------------------

    def on_screen_suspend(self) -> None:
        self.away = True  # another screen (a bot's) went over this one

    def on_screen_resume(self) -> None:
        """Look when first shown, and again when back from a bot (paused, rolled back, destroyed…): the rows shown
        stay until each place answers again."""
        if self.generation == 0 or self.away:
            self.away = False
            self.action_refresh()

    def action_refresh(self) -> None:
        self.generation += 1
        self.answered = 0
        self.show_rows()
        self.look(self.generation)

    @work(thread=True, exclusive=True, exit_on_error=False, group="bots")
    def look(self, generation: int) -> None:
        """Where to look, then every place side by side (one thread each); each answer reaches the screen."""
        from botship.bots import list_all, sources

        found = sources(self.app.project, self.asked)
        self.app.call_from_thread(self._looking, generation, found)
        list_all(found, lambda source, bots, error: self.app.call_from_thread(
            self._answered, generation, source, bots, error))

    def _looking(self, generation: int, found: list[Any]) -> None:
        """Where bots are looked for: a place shown before keeps its rows until it answers again."""
        if generation != self.generation:
            return
        self.sources = found
        self.rows = {source.key: self.rows.get(source.key) or [Row(f"{row_key(source)}:looking", source)]
                     for source in found}
        self.show_rows()

    def _answered(self, generation: int, source: Any, bots: list[Any] | None, error: Exception | None) -> None:
        """A source handed over what it found so far (every bot so far: it replaces its rows), or its error;
        it has answered once its listing is complete (`bots.complete`) or it failed."""
        if generation != self.generation:
            return
        prefix = row_key(source)
        if error is not None:
            rows = [Row(f"{prefix}:error", source, error=error_lines(error))]
        else:
            rows = [Row(f"{prefix}:{bot.bot_name}:{bot.where}:{bot.mode}", source, bot) for bot in bots or []]
        complete = error is not None or getattr(bots, "complete", True)
        if complete:
            self.answered += 1
        self.rows[source.key] = rows if rows or complete else [Row(f"{prefix}:looking", source)]
        self.show_rows()

    def worker_failed(self, worker: Worker, lines: list[str]) -> None:
        self.query_one("#bots-note", Static).update(error_markup(lines) + "\nPress r to look again.")

    # ---- showing ----------------------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        if (event.size.width >= WIDE) != self.wide:
            self.show_rows()

    def shown(self) -> list[Row]:
        words = self.query_one("#bots-filter", Input).value.lower().split()
        rows = [row for source in self.sources or [] for row in self.rows.get(source.key, [])]
        return [row for row in rows if all(word in row.words for word in words)]

    def show_rows(self) -> None:
        table = self.table
        wide = self.size.width >= WIDE if self.size.width else self.app.size.width >= WIDE
        kept = self.highlighted()
        # Columns made again each time: a column keeps the width of its widest cell ever shown otherwise.
        table.clear(columns=True)
        for title in WIDE_COLUMNS if wide else NARROW_COLUMNS:
            table.add_column(title, key=title)
        self.wide = wide
        now = self.app.clock()
        for row in self.shown():
            table.add_row(*self.cells(row, now, wide), key=row.key)
        if kept is not None and kept.key in table.rows:
            table.move_cursor(row=table.get_row_index(kept.key))
        self.show_note()
        self.show_detail()

    def cells(self, row: Row, now: Any, wide: bool) -> list[str]:
        columns = len(WIDE_COLUMNS if wide else NARROW_COLUMNS)
        if row.bot is None:
            title = escape(row.source.title)
            if row.error is None:
                return [f"[dim]looking in {title}…[/]"] + [""] * (columns - 1)
            if wide:
                return [f"[red]✗ {title}[/]", f"[red]{escape(short(row.error[0], 48))}[/]"] + [""] * (columns - 2)
            # Narrow: the place and the start of its error; the whole error goes under the table when highlighted.
            return [f"[red]✗ {escape(short(row.source.title, 16))}[/]", "", "[red]✗ error[/]", "",
                    f"[red]{escape(short(row.error[0], 19))}[/]"]
        bot = row.bot
        if wide:
            where = f"{escape(providers.title(bot.platform))} · {escape(bot.where)}"
            return [escape(bot.bot_name), where, mode_badge(bot.mode), status_text(bot.state),
                    f"{schedule_text(bot)} · {next_run_text(bot, now)}" if bot.schedule else next_run_text(bot, now),
                    last_run_text(bot.last_run, now, bot.timezone), escape(short_version(bot.version))]
        return [escape(bot.bot_name), mode_badge(bot.mode), status_text(bot.state), next_run_text(bot, now),
                last_run_text(bot.last_run, now, bot.timezone, timed=False)]

    def highlighted(self) -> Row | None:
        table = self.table
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return next((row for rows in self.rows.values() for row in rows if row.key == key), None)

    @on(DataTable.RowHighlighted, "#bots-table")
    def show_detail(self) -> None:
        row = self.highlighted()
        detail = self.query_one("#bots-detail", Static)
        if row is None:
            detail.update("")
        elif row.error is not None:
            detail.update(error_markup([f"{row.source.title}: {row.error[0]}", *row.error[1:]]))
        elif row.bot is None:
            detail.update("")
        else:
            bot = row.bot
            where = f"{escape(providers.title(bot.platform))} · {escape(bot.where)}"
            parts = [f"[b]{escape(bot.bot_name)}[/b]", where,
                     schedule_text(bot), f"version {escape(short_version(bot.version))}"]
            if bot.profile:
                parts.append(f"profile {escape(bot.profile)}")
            if bot.last_run is not None and not self.wide:
                parts.append("last run " + last_run_text(bot.last_run, self.app.clock(), bot.timezone))
            text = "  ·  ".join(parts)
            if bot.last_run is not None and bot.last_run.error:
                text += f"\n[red]last run: {escape(short(bot.last_run.error, 200))}[/]"
            detail.update(text)

    def show_note(self) -> None:
        note = self.query_one("#bots-note", Static)
        trial = providers.trial().title.lower()
        deploy = (f"Deploy one: Escape, then n (a new deployment) or s (try in the {escape(trial)}), or "
                  "`botship deploy --profile NAME`.")
        if self.sources is None:
            note.update("Finding where to look…")
            return
        if not self.sources:
            note.update("No bots: this folder's botship.toml has no profiles to say where to look, and the "
                        f"{escape(trial)} holds none. {deploy}")
            return
        failed = {source.key for source in self.sources
                  if any(row.error is not None for row in self.rows.get(source.key, []))}
        titles = ", ".join(escape(source.title) for source in self.sources if source.key not in failed)
        not_looked = "; could not look in " + ", ".join(escape(source.title) for source in self.sources
                                                          if source.key in failed) if failed else ""
        bots = sum(1 for rows in self.rows.values() for row in rows if row.bot is not None)
        pending = len(self.sources) - self.answered
        if pending:
            titles = ", ".join(escape(source.title) for source in self.sources)
            note.update(f"Looking in {titles}… ({pending} still to answer)")
        elif bots == 0:
            note.update(f"No bots found in {titles or 'any place'}{not_looked}. {deploy}")
        else:
            shown = sum(1 for row in self.shown() if row.bot is not None)
            count = f"{bots} bot(s)" if shown == bots else f"{shown} of {bots} bot(s) shown"
            note.update(f"{count} in {titles}{not_looked}. Enter opens one; r looks again.")

    # ---- filtering and opening --------------------------------------------------------------------

    @on(Input.Changed, "#bots-filter")
    def filtered(self) -> None:
        self.show_rows()

    def action_filter(self) -> None:
        self.query_one("#bots-filter", Input).focus()

    def on_key(self, event: events.Key) -> None:
        """Typing on the table filters: the key goes to the filter (keys the screen binds keep their action)."""
        box = self.query_one("#bots-filter", Input)
        if self.focused is box:
            if event.key in ("down", "enter"):
                event.stop()
                self.table.focus()
                if event.key == "enter":
                    self.action_open()
            elif event.key == "escape" and box.value:
                event.stop()
                box.value = ""
                self.table.focus()
            return
        if self.focused is self.table and event.is_printable and event.character and event.character not in "r/":
            event.stop()
            box.focus()
            box.insert_text_at_cursor(event.character)

    def action_back(self) -> None:
        self.app.pop_screen()

    @on(DataTable.RowSelected, "#bots-table")
    def action_open(self) -> None:
        row = self.highlighted()
        if row is None:
            return
        if row.error is not None:
            self.notify("\n".join(row.error), title=f"Could not look in {row.source.title}", severity="error",
                        timeout=20, markup=False)
            return
        if row.bot is None:
            return
        from .bot_screen import BotScreen

        try:
            screen = BotScreen(row.source, row.bot)
        except Exception as exc:  # noqa: BLE001 - its cloud cannot be opened: said here, as a worker's error is
            title, *rest = error_lines(exc)
            self.notify("\n".join(rest) or title, title=title if rest else "", severity="error", timeout=30,
                        markup=False)
            return
        self.app.push_screen(screen)


def short_version(version: str | None) -> str:
    """A code hash or image digest, short enough for a cell."""
    return (version or "").removeprefix("sha256:")[:12] or "—"


def row_key(source: Any) -> str:
    """A source as the start of its rows' keys."""
    return "/".join([source.platform, *(f"{name}={value}" for name, value in source.key[1])])


class BotsApp(BotshipApp):
    """botship opened straight on the bots screen (`botship bots`); Escape goes to the home screen."""

    def __init__(self, project: Path, *, asked: Mapping[str, list[str]] | None = None, **kwargs: Any) -> None:
        super().__init__(project, **kwargs)
        self.asked = asked

    def on_mount(self) -> None:
        # Textual runs BotshipApp.on_mount too (after this one): the home screen goes first, this on top of it.
        self.call_after_refresh(lambda: self.push_screen(BotsScreen(self.asked)))


def run_bots_app(project: Path, asked: Mapping[str, list[str]] | None = None) -> None:
    """`botship bots` on a terminal: the app, on the bots screen; `asked` adds places to look in (`--region`,
    `--subscription`: setting name → values)."""
    BotsApp(project, asked=asked).run()
