"""The home screen: what botship found in this folder, the saved profiles, and where to go from here."""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Static

from botship import providers
from botship.errors import BotshipError
from botship.init import PROFILE as TRIAL_PROFILE  # the profile `botship init` writes, `botship sandbox` walks
from botship.profiles import ProfileStore
from botship.project import ProjectScan, scan_project
from botship.session import DeploySession

from .widgets import TopBar
from .workers import ShowsWorkerErrors

TRIAL = providers.trial().title  # the platform to try botship on, with no account


class HomeScreen(ShowsWorkerErrors, Screen):
    BINDINGS = [Binding("n", "new", "New deployment"), Binding("r", "rerun", "Re-run profile"),
                Binding("s", "try", f"Try in {TRIAL.lower()}"), Binding("i", "init", "Create a bot here"),
                Binding("b", "browse", "Browse bots"), Binding("q", "app.quit", "Quit")]

    def compose(self) -> ComposeResult:
        yield TopBar("Home")
        with Horizontal(id="home"):
            with Vertical(id="found"):
                yield Static("In this folder", classes="section-title")
                yield Static("", id="found-text")
            with Vertical(id="profiles"):
                yield Static("Saved profiles", classes="section-title")
                yield DataTable(id="profiles-table", cursor_type="row", zebra_stripes=True)
                yield Static("", id="profiles-note", classes="field-help")
        with Horizontal(id="home-buttons", classes="row"):
            yield Button("Create a bot here", id="init", variant="success")
            yield Button("New deployment", id="new", variant="primary")
            yield Button("Re-run profile", id="rerun")
            yield Button(f"Try in {TRIAL.lower()}", id="try")
            yield Button("Browse bots", id="browse")
            yield Button("Quit", id="quit")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#profiles-table", DataTable)
        table.add_columns("Profile", "Platform", "Bot", "Mode", "Last deployed")
        self.refresh_scan()

    def on_screen_resume(self) -> None:
        self.refresh_scan()

    def refresh_scan(self) -> None:
        scan = scan_project(self.app.project)
        self.query_one("#found-text", Static).update(found_text(scan, self.app.project.name))
        table = self.query_one("#profiles-table", DataTable)
        table.clear()
        for p in scan.profiles:
            mode = f"[b red]{p.mode.upper()}[/]" if p.mode == "live" else p.mode.upper()
            last = f"{p.last_deployed} · {escape(p.where or '')}" if p.last_deployed else "never"
            if p.last_status not in (None, "deployed"):
                last = f"{p.last_status} · {last}"
            table.add_row(p.name, p.platform, escape(p.bot_name), mode, last, key=p.name)
        note = ("Pick one and press r (or Enter) to re-run it." if scan.profiles else
                "None yet: a deployment saves its answers as a profile.")
        self.query_one("#profiles-note", Static).update(note)
        self.query_one("#rerun", Button).disabled = not scan.profiles
        self.query_one("#init", Button).display = scan.empty
        self.query_one("#init" if scan.empty else "#new" if not scan.profiles else "#profiles-table").focus()

    def action_new(self, platform: str | None = None) -> None:
        from .wizard import WizardScreen

        if scan_project(self.app.project).empty:
            self.action_init(then_platform=platform)
            return
        self.app.push_screen(WizardScreen(DeploySession.new(self.app.project, platform)))

    def action_try(self) -> None:
        """The wizard on the platform to try botship on (no account needed): walked through from the project's
        `sandbox` profile when it has one on that platform (`botship init` writes it), else as a new deployment."""
        from .wizard import WizardScreen

        try:
            raw = ProfileStore(self.app.project).raw(TRIAL_PROFILE)
        except BotshipError:
            raw = None
        trial = providers.trial().name
        if not raw or raw.get("platform") != trial:
            self.action_new(trial)
            return
        state = DeploySession.from_profile(self.app.project, TRIAL_PROFILE, raw)
        self.app.push_screen(WizardScreen(state, start="platform"))

    def action_init(self, then_platform: str | None = None) -> None:
        from botship.init import TEMPLATES

        from .dialogs import InitDialog

        def chosen(template: str | None) -> None:
            if template:
                self.scaffold(template, then_platform)

        self.app.push_screen(InitDialog(self.app.project.name, TEMPLATES), chosen)

    def scaffold(self, template: str, then_platform: str | None) -> None:
        from botship.init import scaffold

        try:
            created = scaffold(self.app.project, template)
        except BotshipError as exc:
            self.notify("\n".join(exc.lines()), title="botship init", severity="error")
            return
        self.notify(f"Created {len(created)} files from the {template} template: "
                    + ", ".join(str(p) for p in created[:8]), title="botship init")
        self.refresh_scan()
        if then_platform == providers.trial().name:
            self.action_try()
        elif then_platform:
            self.action_new(then_platform)

    def action_rerun(self) -> None:
        table = self.query_one("#profiles-table", DataTable)
        if table.row_count == 0:
            self.notify("No saved profiles yet: start a new deployment.", severity="warning")
            return
        name = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        self.rerun(name)

    def rerun(self, name: str) -> None:
        from .wizard import WizardScreen

        try:
            raw = ProfileStore(self.app.project).raw(name)
        except BotshipError as exc:
            self.notify("\n".join(exc.lines()), title=f"Profile {name}", severity="error")
            return
        self.app.push_screen(WizardScreen(DeploySession.from_profile(self.app.project, name, raw), start="review"))

    def action_browse(self) -> None:
        """Every deployed bot the clouds hold (the same screen as `botship bots`)."""
        from .bots import BotsScreen

        self.app.push_screen(BotsScreen())

    @on(DataTable.RowSelected, "#profiles-table")
    def picked(self, event: DataTable.RowSelected) -> None:
        self.rerun(str(event.row_key.value))

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        {"new": self.action_new, "rerun": self.action_rerun, "browse": self.action_browse, "init": self.action_init,
         "try": self.action_try, "quit": self.app.action_quit}[event.button.id or "quit"]()


def found_text(scan: ProjectScan, folder: str) -> str:
    lines = [f"[dim]{escape(folder)}[/dim]"]
    if scan.empty:
        lines += ["", "This folder has no bot yet.",
                  "Press [b]i[/b] to create one here (the same as `botship init`):",
                  f"a small moving-average bot that runs offline, ready for the {TRIAL.lower()}."]
        return "\n".join(lines)
    if scan.entries:
        lines.append("Entry points:")
        lines += [f"  [b]{escape(c.entry)}[/b]  [dim]{c.kind}, {escape(c.file)}[/dim]" for c in scan.entries[:6]]
    else:
        lines.append("[yellow]No entry point found[/]: a (event, context) function or an app object")
    lines.append(f"requirements.txt: {len(scan.requirements)} package(s)" if scan.requirements
                 else "requirements.txt: none")
    lines.append(f".env: {len(scan.env_names)} variable(s)" if scan.has_env_file else ".env: none")
    lines.append(f"botship.toml: {len(scan.profiles)} profile(s)" if scan.has_profiles_file else "botship.toml: none yet")
    return "\n".join(lines)
