"""One JSON object per log line, the shape CloudWatch and Application Insights index."""

from __future__ import annotations

import json
import sys
import time
from typing import Any


def log(level: str, message: str, **fields: Any) -> None:
    record = {"time": round(time.time(), 3), "level": level, "logger": "botship", "message": message, **fields}
    sys.stdout.write(json.dumps(record, default=str) + "\n")
    sys.stdout.flush()


def info(message: str, **fields: Any) -> None:
    log("INFO", message, **fields)


def error(message: str, **fields: Any) -> None:
    log("ERROR", message, **fields)
