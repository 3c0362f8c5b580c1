"""A real terminal for tests: a command run in its own tmux server, typed at and read like a person would."""

from __future__ import annotations

import os
import shlex
import subprocess
import time
import uuid
from pathlib import Path


def terminal_env(home: Path, **extra: str) -> dict[str, str]:
    """The whole environment a program in the test terminal gets: no colour surprises, no user keyring."""
    return {"TERM": "xterm-256color", "PATH": os.environ["PATH"], "HOME": str(home), "LANG": "C.UTF-8",
            "TEXTUAL_ANIMATIONS": "none", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring", **extra}


class Terminal:
    """One tmux server (own socket) with one window running `command`."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str], width: int = 120, height: int = 40) -> None:
        self.socket = f"botship-test-{uuid.uuid4().hex[:8]}"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        self.rc_file = cwd / f".rc-{self.socket}"
        # `env -i`: the program sees only what the test gives it, not the test process's environment.
        shell = (f"cd {shlex.quote(str(cwd))} && env -i {exports} {shlex.join(command)}; "
                 f"echo $? > {shlex.quote(str(self.rc_file))}; sleep 600")
        self._tmux("new-session", "-d", "-x", str(width), "-y", str(height), "bash", "--norc", "-c", shell)

    def _tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True, capture_output=True, text=True).stdout

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-J", "-S", "-200")

    def wait_for(self, text: str, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} did not appear within {timeout}s; screen:\n{screen}")
            time.sleep(0.1)

    def type(self, *keys: str) -> None:
        self._tmux("send-keys", *keys)

    def next_through_the_wizard(self) -> None:
        """From the credentials step, Next through every step (each heading seen) and deploy from the review."""
        for heading in ("Which bot?", "Paper or live?", "Variables the bot gets", "How big, and when?",
                        "nothing changes until you deploy"):
            self.type("C-n")
            self.wait_for(heading)
        self.wait_for("to create", timeout=60)
        self.type("C-n")

    def exit_code(self, timeout: float = 30) -> int:
        deadline = time.monotonic() + timeout
        while not self.rc_file.exists() or not self.rc_file.read_text().strip():
            if time.monotonic() > deadline:
                raise AssertionError(f"the command did not finish within {timeout}s; screen:\n{self.screen()}")
            time.sleep(0.1)
        return int(self.rc_file.read_text())

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)
        self.rc_file.unlink(missing_ok=True)
