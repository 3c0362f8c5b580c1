"""Running a sandbox bot: the package the emulator's Lambda holds, run here in a subprocess with the
function's own configuration, its state in the emulator's S3 and its log lines in the emulator's logs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from botship.errors import BotshipError
from botship.masking import Masker

from ..aws.names import AwsNames
from ..aws.session import AwsSession, error_code, translate
from ..cloudlike import lambda_env
from ..local import RunTimedOut, run_artifact, temp_dir
from ..results import InvokeResult
from .emulator import Emulator
from .image import image_folder

# Variables of this process that a subprocess may see; credentials, endpoints and botship's own never pass.
# A run's lines kept for its answer and the emulator's log stream: the first and the last half of these.
KEEP_LINES = 20_000
_PASS = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "SYSTEMROOT")


def invoke_deployed(session: AwsSession, emulator: Emulator, names: AwsNames, event: dict[str, Any],
                    on_line: Callable[[str], None] | None = None,
                    on_start: Callable[[subprocess.Popen], None] | None = None) -> InvokeResult:
    """Invoke the bot's function once, as Lambda would (a run past its timeout is answered as Lambda answers
    it). Secret values (read from the emulator's secret store) are masked in all of it."""
    function = _function(session, emulator, names)
    config = function["Configuration"]
    variables = config.get("Environment", {}).get("Variables", {})
    package = _package(session, names, function.get("Tags", {}).get("botship:code", ""))
    image = package.endswith(".image")
    masker = _secret_masker(session, variables.get("BOTSHIP_SECRET_ARN"))
    first: list[str] = []
    last: deque[str] = deque(maxlen=KEEP_LINES // 2)
    dropped = 0

    def line(text: str) -> None:
        nonlocal dropped
        text = masker.mask(text)
        if len(first) < KEEP_LINES // 2:
            first.append(text)
        else:
            dropped += len(last) == last.maxlen
            last.append(text)
        if on_line:
            on_line(text)

    request_id = str(uuid.uuid4())
    started = time.time()
    tmp = temp_dir("botship-sandbox-")  # holds a copy of the bot's state: removed however the run ends
    try:
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
        # What Lambda sets, from the function's own configuration (an image's Python is the one running it here).
        runtime = config.get("Runtime") or f"python{sys.version_info.major}.{sys.version_info.minor}"
        env.update(lambda_env(config.get("FunctionName", names.function), config.get("MemorySize", 128),
                              runtime.removeprefix("python"), version=config.get("Version", "$LATEST"),
                              log_stream=log_stream_name(request_id, started)))
        env.update(variables)
        env.update(emulator.client_env())
        env.update({"BOTSHIP_STATE_DIR": str(Path(tmp) / "state"), "BOTSHIP_RUN_TMP": tmp,
                    "BOTSHIP_REQUEST_ID": request_id})
        if config.get("FunctionArn"):
            env["BOTSHIP_FUNCTION_ARN"] = config["FunctionArn"]
        timeout_s = int(config.get("Timeout", 60))
        tmp_mb = int((config.get("EphemeralStorage") or {}).get("Size", 512))
        try:
            result = run_artifact(path, "image" if image else "zip", env, timeout_s=timeout_s, event=event,
                                  on_line=line, on_start=on_start, mask=masker.mask, tmp_mb=tmp_mb)
        except RunTimedOut:
            result = None
            line(f"Task timed out after {timeout_s} seconds")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    duration_ms = (time.time() - started) * 1000
    lines = first + ([f"[{dropped} lines in between not kept]"] if dropped else []) + list(last)
    stream = _write_logs(session, names, request_id, started, lines, duration_ms)
    ran = {"logs": tuple(lines), "duration_ms": round(duration_ms), "extra": {"log_stream": stream}}
    if result is None:  # as Lambda answers a function stopped at its timeout
        return InvokeResult(200, "Unhandled", {"errorType": "Sandbox.Timedout",
                                               "errorMessage": f"Task timed out after {timeout_s} seconds"}, **ran)
    return InvokeResult(200, None, masker.mask_data({"statusCode": result.status_code, "body": result.body}), **ran)


def _secret_masker(session: AwsSession, arn: str | None) -> Masker:
    """A masker for the bot's secret values, as the emulator's secret store holds them."""
    if not arn:
        return Masker()
    try:
        value = session.client("secretsmanager").get_secret_value(SecretId=arn)["SecretString"]
    except Exception as exc:  # noqa: BLE001
        raise translate(exc, f"reading the secret of {arn.rsplit(':', 1)[-1]}") from None
    return Masker(str(v) for v in json.loads(value).values())


def _function(session: AwsSession, emulator: Emulator, names: AwsNames) -> dict[str, Any]:
    try:
        return session.client("lambda").get_function(FunctionName=names.function)
    except Exception as exc:  # noqa: BLE001
        if error_code(exc) == "ResourceNotFoundException":
            raise emulator.not_deployed(names.bot) from None
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


def _batches(messages: list[str]) -> list[list[str]]:
    """Messages in batches CloudWatch accepts (at most 10,000 events and 1 MB, counting 26 bytes each)."""
    batches: list[list[str]] = [[]]
    size = 0
    for message in messages:
        cost = len(message.encode("utf-8")) + 26
        if len(batches[-1]) >= 10_000 or size + cost > 1_000_000:
            batches.append([])
            size = 0
        batches[-1].append(message)
        size += cost
    return batches


def log_stream_name(request_id: str, started: float) -> str:
    """The log stream of one run, named as Lambda names them (the run also sees it in AWS_LAMBDA_LOG_STREAM_NAME)."""
    return f"{time.strftime('%Y/%m/%d', time.gmtime(started))}/[$LATEST]{request_id.replace('-', '')}"


def _write_logs(session: AwsSession, names: AwsNames, request_id: str, started: float, lines: list[str],
                duration_ms: float) -> str | None:
    """The run's lines in the function's log group, framed as Lambda frames them; None if that failed."""
    stream = log_stream_name(request_id, started)
    stamp = int(started * 1000)
    messages = ([f"START RequestId: {request_id} Version: $LATEST"] + lines
                + [f"END RequestId: {request_id}",
                   f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms"])
    try:
        logs = session.client("logs")
        logs.create_log_stream(logGroupName=names.log_group, logStreamName=stream)
        for batch in _batches([m or " " for m in messages]):
            logs.put_log_events(logGroupName=names.log_group, logStreamName=stream,
                                logEvents=[{"timestamp": stamp, "message": m} for m in batch])
    except Exception:  # noqa: BLE001 - the run happened; losing its copy in the emulator's logs is not a failure
        return None
    return stream
