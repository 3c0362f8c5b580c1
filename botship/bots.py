"""Deployed bots, found from the clouds themselves (their tags), not from local files.

Where to look is a list of `Source`s — a cloud's sign-in and location: one for each distinct place the
project's profiles deploy to, one for each location the user asks for on top (`--region`, `--subscription`:
any setting a cloud declares), and a cloud on this machine (the sandbox) when it holds bots. Each source
lists its bots by itself (the bots screen runs one worker per source, so rows appear as they arrive and a
cloud that fails shows its error in place of its rows), each bot with its last run from its run records.

`find_bot` names one bot for the commands that act on one: by profile, by bot name from the profiles, or
from the clouds, with a platform and location to tell apart bots of the same name.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import providers
from .errors import BadInput, BotshipError, SpecInvalid
from .profiles import ProfileStore

LIST_WORKERS = 8
SHOW_EVERY_S = 0.15  # how often a source hands over what it has found so far


@dataclass(frozen=True)
class Source:
    """One place bots are looked for: a platform, and its cloud's settings (sign-in and location)."""

    platform: str
    settings: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        return self.platform, tuple(sorted((k, str(v)) for k, v in self.settings.items()))

    @property
    def title(self) -> str:
        found = providers.platform(self.platform)
        title = providers.title(self.platform)
        if found is None or not found.where:
            return title
        try:
            where = found.where.format(**{k: v for k, v in self.settings.items()})
        except (KeyError, IndexError):
            where = ", ".join(str(v) for k, v in sorted(self.settings.items()) if k != "profile") or "default"
        return f"{title} · {where}"

    def cloud(self) -> Any:
        return providers.cloud_class(self.platform)(dict(self.settings))

    def list(self, on_rows: Callable[[Listing], None] | None = None) -> Listing:
        """The bots this source holds, each with its last run (read from its run records, side by side).

        `on_rows`, when given, sees the bots found so far as they are read (each call the whole list so far: a
        caller replaces what it showed), then their last runs, the last call with the complete listing."""
        cloud = self.cloud()
        show = on_rows or (lambda rows: None)
        try:
            if cloud.streams_listing:
                bots = cloud.list_bots(on_found=lambda found: show(Listing(found)))
            else:
                bots = cloud.list_bots()
        except BotshipError:
            raise
        except Exception as exc:  # noqa: BLE001 - an SDK error, said as the cloud says it
            raise cloud.failure(exc, f"looking for bots in {self.title}") from None
        if not bots:
            return Listing([], complete=True)
        show(Listing(bots))
        done = list(bots)
        last = time.monotonic()
        with ThreadPoolExecutor(max_workers=min(LIST_WORKERS, len(bots)), thread_name_prefix="botship-runs") as pool:
            for n, bot in enumerate(pool.map(lambda bot: with_last_run(cloud, bot), bots)):
                done[n] = bot
                if time.monotonic() - last >= SHOW_EVERY_S:
                    show(Listing(done))
                    last = time.monotonic()
        listing = Listing(done, complete=True)
        show(listing)
        return listing


class Listing(list):
    """Bots a source listed: `complete` once every bot and its last run are in."""

    def __init__(self, bots: Any = (), complete: bool = False) -> None:
        super().__init__(bots)
        self.complete = complete


def with_last_run(cloud: Any, bot: Any) -> Any:
    """`bot` with its last run (None when it has none, or its records cannot be read); an active bot whose last
    run failed shows as failed."""
    from .providers.base import STATE

    if not cloud.can(STATE):
        return bot
    try:
        runs = cloud.bot(bot.bot_name, bot.mode).runs(1, in_progress=False)  # one request per bot
    except Exception:  # noqa: BLE001 - a bot whose records cannot be read is still listed
        return bot
    last = runs[0] if runs else None
    state = "failed" if last is not None and last.status == "error" and bot.state == "active" else bot.state
    return replace(bot, last_run=last, state=state)


def _profile_specs(project: Path) -> list[tuple[str, Any]]:
    try:
        store = ProfileStore(project)
        names = store.names()
    except BotshipError:
        return []
    found = []
    for name in names:
        try:
            found.append((name, store.spec(name)))
        except (SpecInvalid, BotshipError):
            continue
    return found


def sources(project: Path, asked: Mapping[str, list[str]] | None = None) -> list[Source]:
    """Where to look for bots: the places the project's profiles deploy to, the locations `asked` adds (setting
    name → values, e.g. {"region": ["eu-west-1"]}, for each cloud that declares that setting), and a cloud on
    this machine that holds bots now."""
    found: dict[Any, Source] = {}

    def add(source: Source) -> None:
        found.setdefault(source.key, source)

    signed: dict[str, list[Mapping[str, Any]]] = {}
    for _, spec in _profile_specs(project):
        platform = providers.platform(spec.platform)
        if platform is None or not platform.available:
            continue
        if platform.local:
            continue  # a cloud on this machine is looked in only while it holds bots (below)
        settings = providers.cloud_class(spec.platform).settings_of(spec)
        add(Source(spec.platform, settings))
        signed.setdefault(spec.platform, []).append(settings)
    for key, values in (asked or {}).items():
        for platform in providers.platforms():
            if not platform.available or platform.local:
                continue
            cloud = providers.cloud_class(platform.name)
            declared = {question.key.partition(".")[2] for question in cloud.settings()}
            if key not in declared:
                continue
            bases = signed.get(platform.name) or [{}]
            for value in values:
                for base in bases:
                    add(Source(platform.name, {**base, key: value}))
    for platform in providers.platforms():
        if platform.available and platform.local and _holds_bots(platform):
            add(Source(platform.name, {}))
    return list(found.values())


def _holds_bots(platform: Any) -> bool:
    try:
        if platform.bots_waiting():
            return True
    except Exception:  # noqa: BLE001 - a cheap probe; no answer means no bots there
        return False
    loaded = {cloud.name for cloud in providers.loaded_clouds()}
    if platform.name not in loaded:
        return False
    return providers.cloud_class(platform.name).holds_bots_here()


def list_all(found: list[Source], on_source: Callable[[Source, list[Any] | None, Exception | None], None]) -> None:
    """List every source side by side; `on_source(source, bots, error)` from a worker thread as each answers.

    A source answers once or more: each time with every bot it has found so far (a `Listing`; replace what was
    shown), the last time with `bots.complete` True — or once with the error that stopped it."""
    if not found:
        return

    def one(source: Source) -> None:
        try:
            source.list(lambda rows: on_source(source, rows, None))
        except Exception as exc:  # noqa: BLE001 - handed to the caller, shown in place of the source's rows
            on_source(source, None, exc)

    with ThreadPoolExecutor(max_workers=min(LIST_WORKERS, len(found)), thread_name_prefix="botship-bots") as pool:
        list(pool.map(one, found))


def control_note(mode: str, level: str) -> str:
    """Who holds a bot to a control level, honestly: botship's paper exchange holds an investing-algorithm-framework
    app in paper mode to it; anything else only if the bot's own code reads it."""
    if level == "run":
        return ""
    if mode == "live":
        return ("LIVE: botship cannot hold a live bot to this — only a strategy that reads BOTSHIP_CONTROL (or "
                "algorithm_control.json in its state) stops buying or sells; make sure yours does")
    return ("botship's paper exchange holds an investing-algorithm-framework app to it; a plain bot must read "
            "BOTSHIP_CONTROL itself (the plain template does)")


@dataclass
class Found:
    """One bot named on the command line (or picked on the bots screen): its handle, and its profile here."""

    handle: Any
    profile: str | None = None
    spec: Any = None
    source: Source | None = None

    @property
    def cloud(self) -> Any:
        return self.handle.cloud


def found_by_profile(project: Path, profile: str, spec: Any) -> Found:
    provider = providers.provider_class(spec.platform)(spec)
    return Found(provider.handle(), profile, spec,
                 Source(spec.platform, provider.cloud_class.settings_of(spec)))


def profile_here(project: Path, source: Source, bot: Any) -> Found | None:
    """The profile in this project that deploys `bot` (as a source listed it) to the same place — its mode's
    first — as a Found with its spec; None when no profile here does (the bot was found in the cloud only)."""
    matches = []
    for name, spec in _profile_specs(project):
        if spec.bot_name != bot.bot_name or spec.platform != bot.platform:
            continue
        found = found_by_profile(project, name, spec)
        if found.source is not None and found.source.key == source.key:
            matches.append(found)
    matches.sort(key=lambda found: found.spec.mode != bot.mode)
    return matches[0] if matches else None


def find_bot(project: Path, name: str, *, platform: str | None = None, where: str | None = None,
             asked: Mapping[str, list[str]] | None = None) -> Found:
    """The bot `name` names: a profile of the project, a bot a profile deploys, or a bot the clouds hold.

    Raises BadInput (exit 2) when nothing matches (naming where it looked) or when several do (naming them,
    and how to pick one)."""
    profiles = _profile_specs(project)
    by_profile = [(p, s) for p, s in profiles if p == name]
    by_bot = [(p, s) for p, s in profiles if s.bot_name == name]
    local = [(p, s) for p, s in (by_profile or by_bot)
             if (platform is None or s.platform == platform) and (where is None or where in s.where)]
    if len(local) == 1:
        return found_by_profile(project, *local[0])
    if len(local) > 1:
        raise BadInput(f"{len(local)} profiles deploy a bot named {name}: "
                       + ", ".join(f"{p} ({s.where}, {s.mode})" for p, s in local),
                       "each profile is its own deployment",
                       "name the profile instead of the bot (or add --platform / --where)")
    looked = sources(project, asked)
    matches: list[tuple[Source, Any]] = []
    errors: list[tuple[Source, Exception]] = []

    def seen(source: Source, bots: list[Any] | None, error: Exception | None) -> None:
        if error is not None:
            errors.append((source, error))
            return
        if not getattr(bots, "complete", True):
            return  # the bots found so far: the complete listing follows
        for bot in bots or []:
            if bot.bot_name == name and (platform is None or bot.platform == platform) \
                    and (where is None or where in bot.where):
                matches.append((source, bot))

    list_all([s for s in looked if platform is None or s.platform == platform], seen)
    if len(matches) == 1:
        source, bot = matches[0]
        return Found(source.cloud().bot(bot.bot_name, bot.mode), bot.profile, None, source)
    if len(matches) > 1:
        raise BadInput(f"{len(matches)} bots are named {name}: "
                       + "; ".join(f"{providers.title(b.platform)} in {b.where}" for _, b in matches),
                       fix="pick one with --platform NAME and --where LOCATION")
    if errors:
        # Not found where botship could look, and some places could not be looked in: that is the failure to say
        # (a sign-in or network problem, exit 1), not an unknown name.
        source, error = errors[0]
        if isinstance(error, BotshipError):
            others = [s.title for s, _ in errors[1:]]
            raise BotshipError(f"{name} was not found, and {source.title} could not be looked in: {error.what}",
                               "; ".join(part for part in (error.why, f"nor could {', '.join(others)}" if others
                                                           else "") if part),
                               error.fix) from None
        raise error
    places = ", ".join(s.title for s in looked) or "no cloud (the project has no profiles)"
    raise BadInput(f"no bot named {name}", f"looked in {places}",
                   "name a profile or a bot from `botship bots`; look in another place with --region or "
                   "--subscription")
