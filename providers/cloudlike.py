"""What a run on this machine borrows from the cloud it stands in for: the variables Lambda sets, and what a
failure reaching the network means here (this machine's network and DNS, not the cloud's)."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any


def lambda_env(function: str, memory_mb: int | str, python: str, *, version: str = "$LATEST",
               region: str | None = None, log_stream: str | None = None) -> dict[str, str]:
    """The variables Lambda sets for a Python function (its reserved ones, and LANG and TZ), for a run here.

    LAMBDA_TASK_ROOT (the code folder) is set where the code is unpacked; the region only when given (the
    sandbox's comes with its emulator's endpoint and keys; a local run keeps the caller's); credentials never.
    """
    stream = log_stream or f"{time.strftime('%Y/%m/%d', time.gmtime())}/[{version}]{uuid.uuid4().hex}"
    env = {"AWS_LAMBDA_FUNCTION_NAME": function, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
           "AWS_LAMBDA_FUNCTION_VERSION": version, "AWS_EXECUTION_ENV": f"AWS_Lambda_python{python}",
           "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand", "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function}",
           "AWS_LAMBDA_LOG_STREAM_NAME": stream, "_HANDLER": LAMBDA_HANDLER, "LANG": "en_US.UTF-8", "TZ": ":UTC"}
    if region:
        env.update({"AWS_REGION": region, "AWS_DEFAULT_REGION": region})
    return env


# The handler every botship Lambda function names (the image's CMD names the same).
LAMBDA_HANDLER = "botship_runtime.aws_handler.handler"


# What a failure to reach the network looks like in an error's type, message or traceback: DNS, refused or
# reset connections, timeouts, unreachable networks, TLS interception; from the standard library, urllib3 and
# requests, botocore, aiohttp, httpx and ccxt.
_NETWORK = re.compile(
    r"gaierror|Name or service not known|nodename nor servname|Temporary failure in name resolution|"
    r"No address associated with hostname|getaddrinfo failed|NameResolutionError|Failed to resolve|"
    r"ConnectionRefusedError|Connection refused|ConnectionResetError|Connection reset|NewConnectionError|"
    r"Failed to establish a new connection|Max retries exceeded|requests\.exceptions\.ConnectionError|"
    r"\bConnectionError\b|ConnectTimeout|ReadTimeout|TimeoutError|timed out|Network is unreachable|"
    r"No route to host|EndpointConnectionError|Could not connect to the endpoint URL|ClientConnectorError|"
    r"Cannot connect to host|ConnectError|NetworkError|ExchangeNotAvailable|RequestTimeout|URLError|"
    r"CERTIFICATE_VERIFY_FAILED|ProxyError", re.IGNORECASE)

NETWORK_NOTE = ("The bot ran on this machine, with this machine's network and DNS, not in the cloud: a name that "
                "does not resolve, a refused connection or a timeout here can have a local cause (no connection, "
                "a VPN, proxy or firewall, the DNS server this machine uses), and the cloud's network can differ. "
                "Check the address from this machine; invoke the deployed bot to see what the cloud meets.")


def reaches_network(*texts: str) -> bool:
    """Whether an error's type, message or traceback says it failed reaching the network."""
    return any(_NETWORK.search(text) for text in texts if text)


def network_note(error: dict[str, Any] | None, output: list[str] = ()) -> str | None:
    """The note for a failed run that could not reach the network (by its error's type and message, or a
    traceback the runtime logged), else None: such a run met this machine's network and DNS, not the cloud's."""
    if not isinstance(error, dict):
        return None
    texts = [f"{error.get('type', '')}: {error.get('message', '')}"]
    for line in output:  # the runtime's error records carry the bot's traceback, chained causes included
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("logger") == "botship" and record.get("traceback"):
            texts.append(str(record["traceback"]))
    return NETWORK_NOTE if reaches_network(*texts) else None
