"""Versions a rollback can ship again, the same on every cloud: which one a `--to` names, or the one before the
current. Each cloud lists what it keeps (`BotHandle.versions()`, newest first, the running one marked "current")."""

from __future__ import annotations

from botship.errors import BadInput, BotshipError

from .results import DeployEntry


def same_version(one: str, other: str) -> bool:
    """Whether two version strings name one artifact (a short code tag and a full hash, with or without sha256:)."""
    one, other = one.removeprefix("sha256:"), other.removeprefix("sha256:")
    return bool(one) and bool(other) and (one.startswith(other) or other.startswith(one))


def pick_version(versions: list[DeployEntry], to: str | None, bot: str,
                 history: list[DeployEntry] | None = None) -> DeployEntry:
    """The version `to` names (a prefix of it will do), or the one the bot ran before the current: the newest
    other version its history shipped (a deploy or a rollback) that is still kept; without a history, the newest
    kept before the current one."""
    if not versions:
        raise BotshipError(f"{bot} has no earlier version kept to roll back to",
                           "botship keeps every version it ships from this release on; none is kept for it yet",
                           "deploy the version you want with its profile instead")
    if to:
        matches = [v for v in versions if v.version.startswith(to) or v.version.removeprefix("sha256:").startswith(to)]
        if len(matches) != 1:
            listed = ", ".join(v.version.removeprefix("sha256:")[:12] for v in versions[:8])
            raise BadInput(f"{'no' if not matches else 'more than one'} version of {bot} matches '{to}'",
                           f"kept versions: {listed}", f"name one of them: `botship rollback {bot} --to VERSION`")
        return matches[0]
    current = next((i for i, v in enumerate(versions) if v.detail == "current"), None)
    running = versions[current].version if current is not None else ""
    for entry in history or []:
        if entry.action not in ("deploy", "rollback") or not entry.version or same_version(entry.version, running):
            continue
        kept = [v for v in versions if same_version(v.version, entry.version)]
        if kept:
            return kept[0]
    earlier = versions[current + 1:] if current is not None else versions[1:]
    if not earlier:
        raise BotshipError(f"{bot} has no version older than the one it runs",
                           fix="list the versions with `botship rollback --help`; deploy with its profile instead")
    return earlier[0]
