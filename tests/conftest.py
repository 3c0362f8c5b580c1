"""Shared fixtures: bot projects on disk, the fake provider, and a real moto server over HTTP."""

from __future__ import annotations

import logging
import socket
import subprocess
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from fake_cloud import FAKE_PLATFORM, FakeCloud, FakeProvider
from azure_env import azure_cloud  # noqa: F401  (the strict Azure fake's fixture)

APP_PY = '''\
"""A tiny bot used by the tests."""
import json


def handler(event, context):
    return {"ok": True}


class Bot:
    def run(self, number_of_iterations=1):
        return json.dumps({"ran": number_of_iterations})


app = Bot()
'''


@pytest.fixture(autouse=True, scope="session")
def no_real_azure_sign_in(tmp_path_factory):
    """No test (nor a botship it starts) signs in to a real Azure or probes a cloud's metadata address: no
    managed identity, no az CLI login, no service principal of whoever runs them, no sign-in record of theirs."""
    import os

    keep = {name: os.environ.get(name) for name in (
        "BOTSHIP_AZURE_MANAGED_IDENTITY", "AZURE_CONFIG_DIR", "BOTSHIP_CONFIG_DIR", "AZURE_CLIENT_ID",
        "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_CLIENT_CERTIFICATE_PATH",
        "BOTSHIP_AZURE_CLOUD_CONFIG", "IDENTITY_ENDPOINT", "MSI_ENDPOINT")}
    for name in keep:
        os.environ.pop(name, None)
    os.environ["BOTSHIP_AZURE_MANAGED_IDENTITY"] = "off"
    os.environ["AZURE_CONFIG_DIR"] = str(tmp_path_factory.mktemp("no-az-cli"))
    os.environ["BOTSHIP_CONFIG_DIR"] = str(tmp_path_factory.mktemp("botship-config"))
    yield
    for name, value in keep.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


# moto's server logs every request at INFO; keep failure reports readable.
logging.getLogger("werkzeug").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def dependency_cache(tmp_path_factory) -> Path:
    """One botship dependency cache for the session: real pip runs once per distinct layer."""
    return tmp_path_factory.mktemp("botship-cache")


@pytest.fixture(autouse=True)
def no_user_keyring():
    """Tests never read or write the keyring of whoever runs them; a test may install its own."""
    import keyring
    from keyring.backends.fail import Keyring as NoKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    yield
    keyring.set_keyring(previous)


@pytest.fixture
def make_project(tmp_path: Path):
    """A bot project folder with app.py and the given botship.toml (and .env, if any)."""

    def make(toml: str = "", env: str | None = None, name: str = "bot") -> Path:
        project = tmp_path / name
        project.mkdir()
        (project / "app.py").write_text(APP_PY)
        if toml:
            (project / "botship.toml").write_text(textwrap.dedent(toml))
        if env is not None:
            (project / ".env").write_text(textwrap.dedent(env))
        return project

    return make


@pytest.fixture
def fake_cloud(monkeypatch) -> Iterator[FakeCloud]:
    """The fake provider registered as its own platform, "fake", over a fresh in-memory cloud."""
    from botship import providers

    cloud = FakeCloud()
    monkeypatch.setattr(FakeProvider, "cloud", cloud)
    previous = providers.register("fake", FakeProvider, **FAKE_PLATFORM)
    yield cloud
    providers.restore("fake", previous)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's server on a free loopback port for the whole session."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def sandbox(monkeypatch) -> Iterator[str]:
    """The real sandbox: its emulator started in this process, emptied, and stopped after the test."""
    from botship.providers.sandbox import emulator

    monkeypatch.delenv(emulator.URL_VARIABLE, raising=False)
    url = emulator.emulator().url
    # moto keeps its backends per process: empty them, whatever an earlier test left.
    urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"), timeout=10).close()
    yield url
    emulator.stop()




@pytest.fixture(scope="session")
def azurite(tmp_path_factory) -> Iterator[str]:
    """Azurite's blob service (from the project's npm devDependencies) on a free loopback port, over plain HTTP.

    Yields its connection string. `--disableTelemetry` keeps it from calling out.
    """
    from azure_env import AZURITE_KEY, start_azurite, stop_process

    process, url = start_azurite(tmp_path_factory.mktemp("azurite"))
    yield f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AZURITE_KEY};BlobEndpoint={url};"
    stop_process(process)


@pytest.fixture
def aws(moto_server: str, monkeypatch) -> str:
    """Every boto3 client pointed at the moto server (through AWS_ENDPOINT_URL), reset to empty."""
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    for var in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    request = urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).close()
    return moto_server


from aws_flow import MOTO_ECR_PASSWORD  # noqa: E402


def _wait_for(check, process: subprocess.Popen, what: str, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"{what} did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def docker_engine(tmp_path_factory) -> Iterator[str]:
    """A Docker engine of the tests' own (Debian's dockerd: vfs, no iptables, no bridge) — yields DOCKER_HOST.

    Builds need no network: the images build FROM a base made locally (see `registry`).
    """
    import shutil

    binary = shutil.which("dockerd")
    assert binary, "dockerd is missing: run ./scripts/test, which installs Debian's docker.io"
    root = tmp_path_factory.mktemp("docker")
    sock, log = root / "docker.sock", root / "dockerd.log"
    process = subprocess.Popen(
        [binary, "--host", f"unix://{sock}", "--data-root", str(root / "data"), "--exec-root", str(root / "exec"),
         "--pidfile", str(root / "dockerd.pid"), "--storage-driver", "vfs", "--iptables=false", "--ip6tables=false",
         "--bridge=none", "--ip-forward=false", "--ip-masq=false", "--userland-proxy=false"],
        stdout=log.open("w"), stderr=subprocess.STDOUT)

    def answers() -> bool:
        try:
            with socket.socket(socket.AF_UNIX) as client:
                client.connect(str(sock))
                client.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
                return b"200 OK" in client.recv(200)
        except OSError:
            return False

    _wait_for(answers, process, "dockerd", log)
    yield f"unix://{sock}"
    _stop(process)


@pytest.fixture(scope="session")
def registry(docker_engine, tmp_path_factory) -> Iterator[dict[str, str]]:
    """Debian's docker-registry on 127.0.0.1, accepting only moto's ECR token, and a local base image.

    Yields {"host": "127.0.0.1:PORT", "docker_host": ..., "base_image": ...}.
    """
    import io
    import shutil
    import tarfile

    import bcrypt
    import docker

    binary = shutil.which("docker-registry")
    assert binary, "docker-registry is missing: run ./scripts/test, which installs Debian's docker-registry"
    root = tmp_path_factory.mktemp("registry")
    port = free_port()
    hashed = bcrypt.hashpw(MOTO_ECR_PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    (root / "htpasswd").write_text(f"AWS:{hashed}\n")
    (root / "config.yml").write_text(textwrap.dedent(f"""\
        version: 0.1
        log:
          level: warn
        storage:
          filesystem:
            rootdirectory: {root / "data"}
        http:
          addr: 127.0.0.1:{port}
        auth:
          htpasswd:
            realm: botship-tests
            path: {root / "htpasswd"}
        """))
    log = root / "registry.log"
    process = subprocess.Popen([binary, "serve", str(root / "config.yml")], stdout=log.open("w"),
                               stderr=subprocess.STDOUT)

    def answers() -> bool:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/v2/", timeout=1)
        except urllib.error.HTTPError as exc:
            return exc.code == 401
        except OSError:
            return False
        return False

    _wait_for(answers, process, "docker-registry", log)
    # A tiny stand-in for the Lambda base image, made here: no network needed to build FROM it.
    rootfs = io.BytesIO()
    with tarfile.open(fileobj=rootfs, mode="w") as tar:
        for name, data in (("etc/os-release", b"NAME=botship-test-base\n"), ("var/task/.keep", b"")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    client = docker.DockerClient(base_url=docker_engine)
    client.api.import_image_from_data(rootfs.getvalue(), repository="botship-tests/lambda-base", tag="1",
                                      changes=["ENV LAMBDA_TASK_ROOT=/var/task", "WORKDIR /var/task"])
    client.close()
    yield {"host": f"127.0.0.1:{port}", "docker_host": docker_engine, "base_image": "botship-tests/lambda-base:1"}
    _stop(process)
