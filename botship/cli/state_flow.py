"""`botship state versions|restore`: a bot's earlier state generations, and making one current again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import BadInput, Cancelled, SpecInvalid
from ..profiles import ProfileStore
from .console import Console, mode_badge


def resolve_bot(project: Path, bot: str | None, profile: str | None) -> tuple[str, Any]:
    """The profile (and its spec) a bot named on the command line is deployed by.

    BOT is a bot_name from the project's profiles (or a profile's name); --profile picks one directly.
    """
    store = ProfileStore(project)
    if profile:
        spec = store.spec(store.pick(profile))
        if bot and bot not in (spec.bot_name, profile):
            raise BadInput(f"profile '{profile}' deploys {spec.bot_name}, not {bot}",
                           fix=f"leave out the bot's name, or name {spec.bot_name}")
        return profile, spec
    if bot is None:
        name = store.pick(None)
        return name, store.spec(name)
    matches = []
    for name in store.names():
        try:
            bot_name = store.spec(name).bot_name
        except SpecInvalid:
            bot_name = str(store.raw(name).get("bot_name", ""))
        if bot_name == bot:
            matches.append(name)
    if not matches and bot in store.names():
        matches = [bot]
    if not matches:
        known = sorted({str(store.raw(n).get("bot_name", "?")) for n in store.names()})
        raise BadInput(f"no profile in {store.path} deploys a bot named '{bot}'",
                       f"bots there: {', '.join(known) or 'none'}", "name one of them, or pass --profile NAME")
    if len(matches) > 1:
        raise BadInput(f"{len(matches)} profiles deploy {bot}: {', '.join(matches)}",
                       "each mode (and each cloud) keeps its own state", "pick one with --profile NAME")
    return matches[0], store.spec(matches[0])


class LocalState:
    """The state `botship invoke --local` keeps in the project (.botship/local-state/PROFILE/), as a bot handle offers it."""

    def __init__(self, project: Path, profile: str, spec: Any) -> None:
        from botship.providers.local import local_state_url
        from botship.runtime.stores import open_store

        self.spec = spec
        self.store = open_store(local_state_url(project, profile), spec.mode)

    def state_history_note(self) -> str:
        from botship.runtime.stores import FolderStore

        return f"the last {FolderStore.HISTORY} generations are kept in {self.store.describe}"

    def state_versions(self) -> list[dict[str, Any]]:
        from botship.providers.base import list_state_generations

        return list_state_generations(self.store, self.spec.bot_name)

    def restore_state(self, generation: int) -> dict[str, Any]:
        from botship.providers.base import restore_state_generation

        return restore_state_generation(self.store, generation, self.spec.bot_name)


def _where(project: Path, profile: str, spec: Any, local: bool):
    """What answers for the bot's state generations (the local state, or the deployed bot's handle), and where."""
    if local:
        return LocalState(project, profile, spec), f"local state of profile '{profile}'"
    from botship.providers import provider_class
    from botship.providers.base import STATE_HISTORY

    provider = provider_class(spec.platform)(spec)
    if not provider.cloud_class.can(STATE_HISTORY):
        raise BadInput(f"{spec.platform_title} keeps no generations of a bot's state that botship can list",
                       fix="add --local for the state `botship invoke --local` keeps in the project")
    return provider.handle(), spec.where


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / 1024 / 1024:.1f} MB"


def _show(console: Console, listed: list[dict[str, Any]]) -> None:
    console.line(f"  {'generation':>10}  {'written':<20}  {'files':>5}  {'size':>9}")
    for g in listed:
        generation = str(g["generation"]) if g["valid"] else "?"
        marks = (["current"] if g["current"] else []) + ([] if g["valid"] else [f"DAMAGED: {g['problem']}"])
        restored = f"restored from {g['restored_from']}" if g.get("restored_from") else ""
        console.line(f"  {generation:>10}  {g['written_at']:<20}  {g['files']:>5}  {_size(g['bytes']):>9}  "
                     + "  ".join(marks + ([restored] if restored else [])))


def run_versions(project: Path, bot: str | None, profile: str | None, local: bool, console: Console) -> int:
    name, spec = resolve_bot(project, bot, profile)
    target, where = _where(project, name, spec, local)
    return show_versions(target, spec.bot_name, spec.mode, where, name, console, " --local" if local else "")


def show_versions(target: Any, bot: str, mode: str, where: str, profile: str | None, console: Console,
                  flags: str = "") -> int:
    """A bot's state generations (from `target`: a handle, or the local state), newest first, as lines and records."""
    listed = target.state_versions()
    note = target.state_history_note()
    for g in listed:
        console.record("generation", bot=bot, mode=mode, **g)
    console.record("history", bot=bot, profile=profile, note=note)
    console.line(f"{mode_badge(mode)} state generations of {bot} ({where}), newest first:")
    if not listed:
        console.line("  none: the bot's state was never saved")
    else:
        _show(console, listed)
    if note:
        console.line(f"\n{note}.")
    console.line(f"Restore one with `botship state restore {bot} --generation N{flags}`.")
    return 0


def run_restore(project: Path, bot: str | None, profile: str | None, generation: int, local: bool, yes: bool,
                console: Console, interactive: bool) -> int:
    name, spec = resolve_bot(project, bot, profile)
    target, where = _where(project, name, spec, local)
    return restore_confirmed(target, spec.bot_name, spec.mode, where, name, generation, yes, console, interactive,
                             " --local" if local else "")


def restore_confirmed(target: Any, bot: str, mode: str, where: str, profile: str | None, generation: int, yes: bool,
                      console: Console, interactive: bool, flags: str = "") -> int:
    """Restore a valid generation of a bot's state (from `target`: a handle, or the local state) once confirmed."""
    listed = target.state_versions()
    chosen = next((g for g in listed if g["valid"] and g["generation"] == generation), None)
    if chosen is None:
        kept = sorted({g["generation"] for g in listed if g["valid"]})
        raise BadInput(f"{bot}'s state ({where}) has no valid generation {generation}",
                       f"kept: {', '.join(map(str, kept))}" if kept else "no valid generation is kept",
                       f"list them with `botship state versions {bot}{flags}`")
    console.line(f"{mode_badge(mode)} restore generation {generation} of {bot}'s state ({where}): "
                 f"{chosen['files']} files, {_size(chosen['bytes'])}, written {chosen['written_at']}")
    console.line("  It becomes a new current generation; the generations after it stay listed.")
    if not yes:
        if not interactive:
            raise BadInput(f"restoring {bot}'s state needs confirmation", fix="pass --yes")
        import questionary

        if not questionary.confirm(f"Restore generation {generation}?", default=False).unsafe_ask():
            raise Cancelled("nothing was changed")
    done = target.restore_state(generation)
    console.record("restored", bot=bot, mode=mode, profile=profile, **done)
    console.line(f"Restored generation {generation} as generation {done['generation']} "
                 f"({done['files']} files, {_size(done['bytes'])}). The next run starts from it.")
    return 0
