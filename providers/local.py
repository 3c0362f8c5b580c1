"""Local invoke: run a built artifact's handler in a subprocess with the environment the cloud would give it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from botship.errors import BotshipError
from botship.locations import work_dir
from botship.secret_values import SecretValues
from botship.spec import DeploySpec

from .artifact.build import AZURE_SITE, Artifact, lend_lambda_modules

# Seconds beyond the bot's timeout before a local run is stopped (the cloud stops it at the timeout).
KILL_MARGIN_S = 5


class RunTimedOut(BotshipError):
    """The handler ran past its timeout and was stopped (what it printed was already passed on)."""


@dataclass
class LocalResult:
    status_code: int
    body: dict[str, Any]


def local_state_url(project: Path, profile: str) -> str:
    """Before a bot is deployed, local runs keep its state here, through the same manifest and lock logic."""
    return f"file://{work_dir(project) / 'local-state' / profile}"


def unpack_path(path: Path, layout: str, into: Path) -> list[Path]:
    """A package's files on disk; returns the folders to put on the import path, code first."""
    if layout == "image":
        return [path / "code", path / "deps"]
    with zipfile.ZipFile(path) as archive:
        archive.extractall(into)
    return [into, into / AZURE_SITE] if layout == "azure-zip" else [into]


def run_local(spec: DeploySpec, artifact: Artifact, *, project: Path, profile: str, secrets: SecretValues,
              state_url: str, event: dict[str, Any], on_line: Callable[[str], None], cold: bool = False,
              state_env: dict[str, str] | None = None) -> LocalResult:
    """Invoke the artifact's handler once; `on_line` receives each line the function logs.

    `state_env` carries what reaching the state store needs beyond the caller's credentials
    (e.g. BOTSHIP_STORAGE_CONNECTION_STRING for Azure).
    """
    run_dir = work_dir(project) / "local-run" / profile
    if cold:
        shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOTSHIP_", "PYTHON"))}
    env.update(spec.env)
    env.update(dict(secrets))
    env.update({
        "BOTSHIP_ENTRY": spec.entry,
        "BOTSHIP_MODE": spec.mode,
        "BOTSHIP_BOT_NAME": spec.bot_name,
        "BOTSHIP_STATE_URL": state_url,
        "BOTSHIP_STATE_DIR": str(run_dir / "state"),
        **(state_env or {}),
    })
    if state_url == local_state_url(project, profile):  # how the runtime's messages name this state
        env["BOTSHIP_STATE_CLI_FLAGS"] = "--local"
    return run_artifact(artifact.path, artifact.layout, env, timeout_s=spec.timeout_s, event=event, on_line=on_line)


def run_artifact(path: Path, layout: str, env: dict[str, str], *, timeout_s: int, event: dict[str, Any],
                 on_line: Callable[[str], None], on_start: Callable[[subprocess.Popen], None] | None = None
                 ) -> LocalResult:
    """Run a package's handler once in a subprocess with exactly `env` (plus the import path it needs).

    The process is stopped a little after `timeout_s`, as the cloud stops a function at its timeout;
    `on_start` receives the process (so an owner can stop it early).
    """
    with tempfile.TemporaryDirectory(prefix="botship-invoke-") as tmp:
        paths = unpack_path(path, layout, Path(tmp) / "task")
        if layout != "azure-zip":
            paths.append(lend_lambda_modules(Path(tmp) / "lambda-provided"))
        result_file = Path(tmp) / "result.json"
        env = {**env, "PYTHONPATH": os.pathsep.join(map(str, paths)), "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONUNBUFFERED": "1",  # lines reach the log as printed, also from a run stopped at its timeout
               "BOTSHIP_TIMEOUT_S": str(timeout_s)}
        command = [sys.executable, "-S", "-m", "botship_runtime.local", str(result_file), json.dumps(event)]
        process = subprocess.Popen(command, cwd=paths[0], env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        if on_start:
            on_start(process)
        # Reading the output blocks until the process ends, so the time limit is a timer that kills it.
        timed_out = threading.Event()
        timer = threading.Timer(timeout_s + KILL_MARGIN_S, lambda: (timed_out.set(), process.kill()))
        timer.start()
        try:
            assert process.stdout is not None
            for line in process.stdout:
                on_line(line.rstrip("\n"))
            process.wait()
        except BaseException:
            process.kill()
            process.wait()
            raise
        finally:
            timer.cancel()
        if timed_out.is_set():
            raise RunTimedOut(f"the local run took longer than {timeout_s} s and was stopped",
                               fix="raise timeout_s in the profile, or make the bot's run shorter")
        if not result_file.is_file():
            raise BotshipError(f"the handler process exited with code {process.returncode} without a result",
                               "the runtime itself could not start", "see the output above")
        response = json.loads(result_file.read_text())
    return LocalResult(response["statusCode"], json.loads(response["body"]))
