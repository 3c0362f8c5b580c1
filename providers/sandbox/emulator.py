"""The sandbox's AWS emulator: moto's server in this process, on a free loopback port, started on first use."""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit
from typing import Any

from botship.errors import BadInput, BotshipError

from ..pids import alive
from . import URL_VARIABLE  # an emulator running elsewhere (e.g. `moto_server -p 5000`), outliving one botship

SANDBOX_REGION = "us-east-1"
# The emulator accepts any keys; fixed ones keep the user's real AWS credentials out of the sandbox entirely.
SANDBOX_KEYS = ("sandbox", "sandbox-secret")
# On loopback a refused connection will not heal by waiting: fail fast rather than back off for seconds.
LOCAL_ATTEMPTS = 2


@dataclass
class Emulator:
    url: str
    server: Any = None  # moto's ThreadedMotoServer when this process runs it

    @property
    def embedded(self) -> bool:
        return self.server is not None

    def client_env(self) -> dict[str, str]:
        """What an AWS SDK in a subprocess needs to use this emulator and nothing else."""
        return {"AWS_ENDPOINT_URL": self.url, "AWS_ACCESS_KEY_ID": SANDBOX_KEYS[0],
                "AWS_SECRET_ACCESS_KEY": SANDBOX_KEYS[1], "AWS_DEFAULT_REGION": SANDBOX_REGION,
                "AWS_REGION": SANDBOX_REGION}

    def session(self):
        """An AWS session that talks to this emulator only, with the sandbox's own keys; its errors speak of
        the sandbox emulator, never of AWS accounts or credentials."""
        from ..aws.session import AwsSession, EmulatorWords

        words = EmulatorWords(f"the sandbox emulator at {self.url}", self.restart_fix())
        return AwsSession(SANDBOX_REGION, endpoint_url=self.url, keys=SANDBOX_KEYS, max_attempts=LOCAL_ATTEMPTS,
                          emulator=words)

    def restart_fix(self) -> str:
        if self.embedded:
            return "restart botship: its emulator starts again, empty"
        return f"start the emulator at {self.url} again, or unset {URL_VARIABLE} to use one inside botship"

    def describe(self) -> str:
        if self.embedded:
            return f"AWS emulator inside botship at {self.url}: deployed bots and their state vanish when botship closes"
        return f"AWS emulator at {self.url} ({URL_VARIABLE}): bots live as long as it runs"

    def holder(self) -> dict[str, object]:
        """What a local record keeps of where a sandbox deploy lives (see `holds`)."""
        return {"emulator": self.url, "emulator_pid": os.getpid() if self.embedded else 0}

    def not_deployed(self, bot: str) -> BotshipError:
        """The bot has no function on this emulator: why that is, and how to deploy it."""
        if self.embedded:
            return BotshipError(
                f"{bot} is not deployed on the sandbox emulator this command started",
                "each botship command without BOTSHIP_SANDBOX_URL starts its own emulator, empty, and it ends with "
                "the command: a bot deployed by an earlier `botship deploy` ended with that command",
                f"{KEEP_ONE}; or open `botship sandbox` and deploy and invoke it there")
        return BotshipError(f"{bot} is not deployed on the sandbox emulator at {self.url}",
                            "it was destroyed, never deployed there, or the emulator was restarted since",
                            "deploy it: `botship deploy --profile NAME --yes` (the sandbox profile), then invoke it")

    def closing_notes(self) -> list[str]:
        """Said at the end of a command that deployed to the sandbox: how long what it deployed lives."""
        if self.embedded:
            return ["The sandbox emulator ran inside this command and ended with it: the bot and its state are gone, "
                    "so `botship invoke` will not find it.",
                    f"To keep one: {KEEP_ONE}; or use the wizard (`botship sandbox`), where the bot runs on schedule "
                    "while the app is open."]
        return [f"The bot lives on the sandbox emulator at {self.url} ({URL_VARIABLE}) for as long as it runs."]


# How to keep a sandbox between commands (see the README's sandbox section).
KEEP_ONE = (f"run an emulator that outlives commands (`moto_server -p 5000`) and export "
            f"{URL_VARIABLE}=http://127.0.0.1:5000 before `botship deploy` and `botship invoke`")


def holds(url: str, pid: int = 0) -> bool:
    """Whether the emulator at `url` (run inside botship process `pid`, or external when 0) still runs."""
    current = _emulator
    if current is not None and current.url == url:
        return True
    if pid == os.getpid():
        return False  # it ran in this process, which has stopped it since
    if pid and not alive(pid):
        return False
    parts = urlsplit(url)
    try:
        import socket

        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=0.5):
            return True
    except OSError:
        return False


_lock = threading.Lock()
_emulator: Emulator | None = None


def emulator() -> Emulator:
    """The process's emulator, starting moto's server on first use (about a second)."""
    global _emulator
    with _lock:
        if _emulator is None:
            _emulator = _start()
        return _emulator


def running() -> Emulator | None:
    return _emulator


def stop() -> None:
    """Stop the embedded emulator (what it held is gone); a later `emulator()` starts a fresh one."""
    global _emulator
    with _lock:
        if _emulator is not None and _emulator.server is not None:
            _emulator.server.stop()
        _emulator = None


def _start() -> Emulator:
    _bypass_proxies()
    external = os.environ.get(URL_VARIABLE, "").strip()
    if external:
        parts = urlsplit(external)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise BadInput(f"{URL_VARIABLE}={external} is not a URL",
                           fix=f"set it like {URL_VARIABLE}=http://127.0.0.1:5000, or unset it to use an emulator "
                               "inside botship")
        return Emulator(external.rstrip("/"))
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        raise BotshipError("the sandbox's AWS emulator (moto) is not installed",
                           f"importing it failed: {exc}", "reinstall botship: pip install botship") from None
    # The server would log every request to the terminal; the sandbox's own log says what matters.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return Emulator(f"http://{host}:{port}", server)


def _bypass_proxies() -> None:
    """Calls to an emulator on this machine must not go through an HTTP proxy set for the internet."""
    for name in ("NO_PROXY", "no_proxy"):
        current = [part for part in os.environ.get(name, "").split(",") if part.strip()]
        missing = [host for host in ("127.0.0.1", "localhost") if host not in current]
        if missing:
            os.environ[name] = ",".join(current + missing)
