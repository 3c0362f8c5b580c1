"""Running a sandbox bot: the package the emulator's Lambda holds, run here in a subprocess with the
function's own configuration, its state in the emulator's S3 and its log lines in the emulator's logs."""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botship.errors import BotshipError

from ..aws.names import AwsNames
from ..aws.session import AwsSession, error_code, translate
from ..local import run_artifact
from .emulator import Emulator
from .image import image_folder

# Variables of this process that a subprocess may see; credentials, endpoints and botship's own never pass.
_PASS = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "SYSTEMROOT")


def invoke_deployed(session: AwsSession, emulator: Emulator, names: AwsNames, event: dict[str, Any],
                    on_line: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Invoke the bot's function once, as Lambda would; the answer has the shape AWS invokes return, plus `logs`."""
    function = _function(session, names)
    config = function["Configuration"]
    package = _package(session, names, function.get("Tags", {}).get("botship:code", ""))
    image = package.endswith(".image")
    lines: list[str] = []

    def line(text: str) -> None:
        lines.append(text)
        if on_line:
            on_line(text)

    request_id = str(uuid.uuid4())
    started = time.time()
    with tempfile.TemporaryDirectory(prefix="botship-sandbox-") as tmp:
        try:
            if image:
                path = image_folder(session, names, package)
            else:
                path = Path(tmp) / "package.zip"
                session.client("s3").download_file(names.bucket, package, str(path))
        except BotshipError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, f"fetching the package of {names.function}") from None
        env = {k: v for k, v in os.environ.items() if k in _PASS}
        env.update(config.get("Environment", {}).get("Variables", {}))
        env.update(emulator.client_env())
        env.update({"AWS_LAMBDA_FUNCTION_NAME": names.function, "BOTSHIP_STATE_DIR": str(Path(tmp) / "state")})
        result = run_artifact(path, "image" if image else "zip", env, timeout_s=int(config.get("Timeout", 60)), event=event,
                              on_line=line)
    duration_ms = (time.time() - started) * 1000
    stream = _write_logs(session, names, request_id, started, lines, duration_ms)
    payload = {"statusCode": result.status_code, "body": result.body}
    return {"status": 200, "error": None, "result": payload, "logs": lines, "log_stream": stream,
            "duration_ms": round(duration_ms)}


def _function(session: AwsSession, names: AwsNames) -> dict[str, Any]:
    try:
        return session.client("lambda").get_function(FunctionName=names.function)
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) == "ResourceNotFoundException":
            raise BotshipError(f"{names.bot} is not deployed in the sandbox",
                               "the sandbox forgets its bots when the botship that ran it closes",
                               "deploy it first (in the wizard, or `botship deploy`)") from None
        raise translate(exc, f"reading {names.function}") from None


def _package(session: AwsSession, names: AwsNames, code: str) -> str:
    """The key of what the function runs: a zip (sandbox deploys always upload it through the state
    bucket) or the record of an image folder on this machine."""
    try:
        found = session.client("s3").list_objects_v2(Bucket=names.bucket, Prefix=f"deploy/{code}").get("Contents", [])
    except Exception as exc:  # noqa: BLE001
        raise translate(exc, f"finding the package of {names.function}") from None
    if not code or not found:
        raise BotshipError(f"the sandbox holds no package for {names.function}",
                           "it was deployed by something other than botship's sandbox, or only partly",
                           "deploy it again; it is safe")
    return max(found, key=lambda item: item["LastModified"])["Key"]


def _write_logs(session: AwsSession, names: AwsNames, request_id: str, started: float, lines: list[str],
                duration_ms: float) -> str | None:
    """The run's lines in the function's log group, framed as Lambda frames them; None if that failed."""
    day = time.strftime("%Y/%m/%d", time.gmtime(started))
    stream = f"{day}/[$LATEST]{request_id.replace('-', '')}"
    stamp = int(started * 1000)
    messages = ([f"START RequestId: {request_id} Version: $LATEST"] + lines
                + [f"END RequestId: {request_id}",
                   f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms"])
    try:
        logs = session.client("logs")
        logs.create_log_stream(logGroupName=names.log_group, logStreamName=stream)
        logs.put_log_events(logGroupName=names.log_group, logStreamName=stream,
                            logEvents=[{"timestamp": stamp, "message": m or " "} for m in messages])
    except Exception:  # noqa: BLE001 - the run happened; losing its copy in the emulator's logs is not a failure
        return None
    return stream
