"""Secret values for a deploy: from the environment, `.env`, the OS keyring or a front end's prompt — never saved."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from .envfile import ENV_FILE, read_env_file
from .errors import BadInput, Cancelled
from .masking import MIN_SECRET_LENGTH, Masker

KEYRING_SERVICE = "botship"


@dataclass(frozen=True)
class SecretValue:
    """One secret's value and where it came from (`environment`, `.env`, `keyring`, `prompt`)."""

    name: str
    value: str
    source: str

    def __repr__(self) -> str:
        return f"SecretValue({self.name!r}, '***', source={self.source!r})"


class SecretValues(Mapping[str, str]):
    """Resolved secret values by name; repr and str never show a value."""

    def __init__(self, items: list[SecretValue] = ()) -> None:  # type: ignore[assignment]
        self._items = {item.name: item for item in items}

    def __getitem__(self, name: str) -> str:
        return self._items[name].value

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"SecretValues({', '.join(self._items)})"

    def only(self, names: list[str]) -> SecretValues:
        """The values of `names` alone (a deploy ships exactly the secrets its spec lists)."""
        return SecretValues([self._items[n] for n in names if n in self._items])

    def source(self, name: str) -> str:
        return self._items[name].source

    def masker(self) -> Masker:
        return Masker(item.value for item in self._items.values())

    def too_short_to_mask(self) -> list[str]:
        """Names of values so short that masking them would wreck every log line (they are shown as printed)."""
        return sorted(name for name, item in self._items.items() if 0 < len(item.value) < MIN_SECRET_LENGTH)


def _keyring_user(bot_name: str, name: str) -> str:
    return f"{bot_name}/{name}"


def keyring_get(bot_name: str, name: str) -> str | None:
    """The value remembered in the OS keyring, or None when absent — or when no keyring is usable."""
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, _keyring_user(bot_name, name))
    except Exception:  # noqa: BLE001 - a missing, locked or broken keyring is skipped quietly, by design
        return None


def keyring_remember(bot_name: str, name: str, value: str) -> bool:
    """Remember a value in the OS keyring; False when no keyring is usable."""
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, _keyring_user(bot_name, name), value)
        return True
    except Exception:  # noqa: BLE001 - same as keyring_get: the keyring is optional
        return False


def resolve_secrets(
    names: list[str],
    *,
    project: Path,
    bot_name: str,
    environ: Mapping[str, str] | None = None,
    interactive: bool | None = None,
    ask: Callable[[str], str | None] | None = None,
    required: bool = True,
) -> SecretValues:
    """Find each secret: process environment, then `.env`, then the keyring, then `ask(name)` on a terminal.

    `ask` is the front end's masked prompt (None: cancelled, '': no value); `interactive=True` needs one, and
    `interactive=None` asks only when one is given and standard input is a terminal. With `required=False`
    (values wanted only to mask output), missing ones are left out, never asked for.
    """
    if interactive and ask is None:
        raise TypeError("resolve_secrets(interactive=True) needs `ask`, the front end's masked prompt")
    environ = os.environ if environ is None else environ
    interactive = required and ask is not None and (sys.stdin.isatty() if interactive is None else interactive)
    env_file = read_env_file(project / ENV_FILE) if names else None
    dotenv = env_file.values if env_file else {}
    found: list[SecretValue] = []
    missing: list[str] = []
    for name in names:
        if environ.get(name):
            found.append(SecretValue(name, environ[name], "environment"))
        elif dotenv.get(name):
            found.append(SecretValue(name, dotenv[name], ENV_FILE))
        elif (value := keyring_get(bot_name, name)) is not None:
            found.append(SecretValue(name, value, "keyring"))
        elif interactive:
            try:
                value = ask(name)
            except KeyboardInterrupt:
                value = None
            if value is None:
                raise Cancelled("cancelled while asking for secret values", "nothing was changed")
            if not value:
                missing.append(name)
            else:
                found.append(SecretValue(name, value, "prompt"))
        else:
            missing.append(name)
    if required and (bad := next((item for item in found if "\x00" in item.value), None)):
        where = {"environment": "the process environment", ENV_FILE: f"the project's {ENV_FILE}",
                 "keyring": "the OS keyring"}.get(bad.source, "what was typed")
        raise BadInput(
            f"the value of secret {bad.name} contains a NUL character (\\0)",
            f"it came from {where}; no environment variable can hold a NUL, so the bot could not run with it",
            f"set {bad.name} again without it",
        )
    if missing and required:
        unreadable = f"; {ENV_FILE} has lines it could not read ({', '.join(p.field for p in env_file.problems)})" \
            if env_file and env_file.problems else ""
        raise BadInput(
            f"no value for secret{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            f"botship looked in the process environment, the project's {ENV_FILE} and the OS keyring{unreadable}",
            f"set {missing[0]}=… in the environment or in .env (never in botship.toml), "
            "or run interactively to be asked",
        )
    return SecretValues(found)


def keyring_usable() -> bool:
    """Whether remembering a value could work: some keyring other than the 'fail' one is configured."""
    try:
        import keyring
        from keyring.backends.fail import Keyring as NoKeyring

        return not isinstance(keyring.get_keyring(), NoKeyring)
    except Exception:  # noqa: BLE001 - no keyring at all is the same as an unusable one
        return False
