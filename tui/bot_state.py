"""A bot's State tab: the files of its state for its mode (from the manifest), one opened, downloaded, the whole
folder exported, and an earlier generation restored — with the bot paused meanwhile where its cloud can."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static
from textual.worker import Worker

from botship.errors import BadInput
from botship.providers.base import PAUSE, STATE_HISTORY

from .bot_format import size_text
from .dialogs import ConfirmDialog
from .workers import ShowsWorkerErrors, error_markup


class StatePane(Vertical, ShowsWorkerErrors):
    BINDINGS = [Binding("enter", "open_file", "Open", show=False), Binding("d", "download", "Download"),
                Binding("e", "export", "Export all"), Binding("g", "generations", "Generations")]

    class Listed(Message):
        """The state's files were read: the screen looks for a trading database among them."""

        def __init__(self, paths: list[str]) -> None:
            super().__init__()
            self.paths = paths

    def __init__(self, handle: Any, project: Path, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.handle, self.project = handle, project
        self.listing: Any = None
        self.versions: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield Static("reading the state's manifest…", id="state-note", classes="field-help")
        yield DataTable(id="state-table", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.query_one("#state-table", DataTable).add_columns("Path", "Size")
        self.reload()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "generations":
            return self.handle.cloud.can(STATE_HISTORY)
        if action in ("download", "open_file", "export"):
            return bool(self.listing and self.listing.files) or None
        return True

    def reload(self) -> None:
        self.load_listing()

    @work(thread=True, exclusive=True, exit_on_error=False, group="listing")
    def load_listing(self) -> None:
        listing = self.handle.state_files()
        self.app.call_from_thread(self._listed, listing)

    def _listed(self, listing: Any) -> None:
        self.listing = listing
        table = self.query_one("#state-table", DataTable)
        table.clear()
        for path, size in listing.files.items():
            table.add_row(escape(path), size_text(size), key=path)
        mode = self.handle.mode
        if listing.files:
            saved = escape(str(listing.saved_at or "?"))
            note = (f"{mode} state · generation {listing.generation} · saved {saved} · "
                    f"{len(listing.files)} file(s), {size_text(listing.total_bytes)}")
        else:
            note = f"The {mode} state is empty: the bot has written nothing under BOTSHIP_STATE_DIR yet."
        self.query_one("#state-note", Static).update(note)
        self.post_message(self.Listed(list(listing.files)))
        self.screen.refresh_bindings()

    def worker_failed(self, worker: Worker, lines: list[str]) -> None:
        if worker.group == "listing":
            self.query_one("#state-note", Static).update(error_markup(lines))
        else:
            self.notify("\n".join(lines[1:]) or lines[0], title=lines[0] if len(lines) > 1 else "",
                        severity="error", timeout=30, markup=False)

    def chosen(self) -> str | None:
        table = self.query_one("#state-table", DataTable)
        if not self.listing or not self.listing.files or table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    # ---- opening one file -----------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#state-table")
    def action_open_file(self) -> None:
        path = self.chosen()
        if path is not None:
            self.notify(f"Downloading {path}…", timeout=3)
            self.open_file(path)

    @work(thread=True, exclusive=True, exit_on_error=False, group="open")
    def open_file(self, path: str) -> None:
        from .bot_files import prepare_view, viewer_for

        view = prepare_view(path, self.handle.read_state_file(path))
        self.app.call_from_thread(lambda: self.app.push_screen(viewer_for(self.handle, view)))

    # ---- downloading --------------------------------------------------------------------------------

    def folder(self, typed: str) -> Path:
        """A folder typed: relative to the project unless absolute (or under ~)."""
        return self.project / Path(typed).expanduser()

    def default_folder(self) -> str:
        return f"exported-state/{self.handle.bot_name}"

    def action_download(self) -> None:
        from .bot_dialogs import FolderDialog

        path = self.chosen()
        if path is None:
            return
        self.app.push_screen(FolderDialog(f"Download [b]{escape(path)}[/b] into which folder?", self.default_folder()),
                             lambda folder: self.download(path, self.folder(folder)) if folder else None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="download")
    def download(self, path: str, folder: Path) -> None:
        target = folder / path
        if target.exists():
            raise BadInput(f"{target} is already there", fix="pick another folder; nothing was written")
        content = self.handle.read_state_file(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        self.app.call_from_thread(self.notify, f"{path} ({size_text(len(content))}) saved as {self._shown(target)}",
                                  title="Downloaded")

    def action_export(self) -> None:
        from .bot_dialogs import FolderDialog

        if not self.listing or not self.listing.files:
            return
        folder = self.default_folder()
        if (self.project / folder).exists():
            folder += "-" + self.app.clock().strftime("%Y%m%d-%H%M%S")
        self.app.push_screen(FolderDialog(f"Download the whole {self.handle.mode} state of "
                                          f"{escape(self.handle.bot_name)} into which (new or empty) folder?", folder),
                             lambda chosen: self.export(self.folder(chosen)) if chosen else None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="download")
    def export(self, folder: Path) -> None:
        listing = self.handle.export_state(folder)
        self.app.call_from_thread(self.notify, f"{len(listing.files)} file(s), {size_text(listing.total_bytes)}, "
                                  f"copied to {self._shown(folder)}/", title="State exported")

    def _shown(self, path: Path) -> str:
        return str(path.relative_to(self.project)) if path.is_relative_to(self.project) else str(path)

    # ---- generations and restore --------------------------------------------------------------------

    def action_generations(self) -> None:
        self.notify("Reading the state's generations…", timeout=3)
        self.load_versions()

    @work(thread=True, exclusive=True, exit_on_error=False, group="versions")
    def load_versions(self) -> None:
        versions = self.handle.state_versions()
        note = self.handle.state_history_note()
        self.app.call_from_thread(self._pick_generation, versions, note)

    def _pick_generation(self, versions: list[dict[str, Any]], note: str) -> None:
        from .bot_dialogs import PickDialog

        self.versions = versions
        rows, refused = [], {}
        for n, version in enumerate(versions):
            key = str(n)
            generation = version.get("generation")
            rows.append((key, ["—" if generation is None else str(generation), str(version.get("written_at", "?")),
                               str(version.get("files", 0)), size_text(int(version.get("bytes") or 0)),
                               "current" if version.get("current") else
                               "ok" if version.get("valid") else f"✗ {version.get('problem', 'invalid')}"]))
            if version.get("current"):
                refused[key] = "That is the current state already."
            elif not version.get("valid") or generation is None:
                refused[key] = f"Generation {generation} cannot be restored: {version.get('problem', 'invalid')}."
        self.app.push_screen(PickDialog(f"Earlier generations of {escape(self.handle.bot_name)}'s "
                                        f"{self.handle.mode} state — Enter restores one",
                                        ["Gen", "Written (UTC)", "Files", "Size", ""], rows, refused=refused,
                                        note=escape(note)), self._confirm_restore)

    def _confirm_restore(self, key: str | None) -> None:
        if key is None:
            return
        chosen = self.versions[int(key)]
        current = next((v for v in self.versions if v.get("current")), None)
        replaced = (f"generation {current.get('generation')} ({current.get('files', 0)} file(s), "
                    f"{size_text(int(current.get('bytes') or 0))})" if current else "the current state")
        pause = (" The bot's schedule is paused during the restore and resumed after."
                 if self.handle.cloud.can(PAUSE) else "")
        question = (f"Restore generation {chosen['generation']} of {escape(self.handle.bot_name)}'s "
                    f"{self.handle.mode} state ({chosen.get('files', 0)} file(s), written {chosen.get('written_at')})?"
                    f"\nIt replaces {replaced}; the replaced one stays restorable as an earlier generation.{pause}")
        self.app.push_screen(ConfirmDialog(question, yes="Restore", no="Cancel", danger=True),
                             lambda yes: self.restore(int(chosen["generation"])) if yes else None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="restore")
    def restore(self, generation: int) -> None:
        paused = False
        if self.handle.cloud.can(PAUSE):
            status = self.handle.status()
            if status.schedule and status.state == "active":
                self.handle.pause()
                paused = True
        try:
            done = self.handle.restore_state(generation)
        finally:
            if paused:
                self.handle.resume()  # raised here (after a restore that raised too) it is said the same way
        said = f"Generation {generation} restored as generation {done.get('generation', '?')}."
        if paused:
            said += " The schedule was paused meanwhile and is on again."
        self.app.call_from_thread(self._restored, said)

    def _restored(self, said: str) -> None:
        self.notify(said, title="State restored")
        self.reload()
