"""A bot that writes only where Lambda lets it (the state folder and /tmp) and reports what it sees."""

import os
import tempfile
import time


def handler(event, context):
    state = os.environ["BOTSHIP_STATE_DIR"]
    with open(os.path.join(state, "seen.txt"), "a") as fh:
        fh.write("run\n")
    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as fh:
        fh.write("a,b\n")
        scratch = fh.name
    names = ("LAMBDA_TASK_ROOT", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
             "AWS_LAMBDA_FUNCTION_VERSION", "AWS_EXECUTION_ENV", "AWS_LAMBDA_LOG_GROUP_NAME",
             "AWS_LAMBDA_LOG_STREAM_NAME", "LANG", "TZ", "TMPDIR", "AWS_ENDPOINT_URL")
    return {"cwd": os.getcwd(), "here": os.path.dirname(os.path.abspath(__file__)), "scratch": scratch,
            "tempdir": tempfile.gettempdir(), "env": {name: os.environ.get(name) for name in names},
            "utc_offset": time.localtime().tm_gmtoff, "context_name": context.function_name,
            "context_memory": context.memory_limit_in_mb, "seen": open(os.path.join(state, "seen.txt")).read()}
