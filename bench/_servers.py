"""Local stand-ins for the clouds used by the benchmarks: a free loopback port, Azurite start/stop."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

# Azurite's well-known development account key (public, the same in every Azurite).
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _started(command: list[str], port: int, what: str) -> subprocess.Popen:
    """`command` running, once it accepts connections on 127.0.0.1:port (waits at most 30 s)."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # bounded wait for the port
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    stop(process)
    raise RuntimeError(f"{what} did not start within 30 s")


def start_azurite(binary: Path, folder: Path, port: int) -> subprocess.Popen:
    """Azurite's blob service on 127.0.0.1:port."""
    return _started([str(binary), "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location", str(folder),
                     "--skipApiVersionCheck", "--disableTelemetry", "--silent"], port, "azurite")


def start_moto(port: int) -> subprocess.Popen:
    """moto's server in a process of its own on 127.0.0.1:port (in-process it would share our GIL)."""
    return _started([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port, "moto")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
