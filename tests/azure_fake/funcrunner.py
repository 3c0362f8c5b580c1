"""Run in a fresh interpreter as the Functions Python worker would: `funcrunner.py list|call ROOT WORKER_LIB OUT`.

The package root and its `.python_packages/lib/site-packages` come first on sys.path, then the worker's own library
(azure-functions and its dependencies, copied by the fake). `list` writes {"functions": [...], "error": ...};
`call` reads {"function", "kind": "http"|"timer", request fields} on stdin and writes the HttpResponse as JSON, with
"lines": what the run wrote — stdout and stderr a line at a time, and its logging records — each with when it was
written, as the host captures them for Application Insights. Standalone on purpose: it imports nothing of the tests.
"""

import base64
import io
import json
import logging
import os
import sys
import time
import traceback


class _Console(io.TextIOBase):
    """stdout or stderr as the host captures a worker's console: each line, with when it was written."""

    def __init__(self, lines, stream):
        super().__init__()
        self._lines, self._stream, self._buffer = lines, stream, ""

    def writable(self):
        return True

    def write(self, text):
        self._buffer += text
        while "\n" in self._buffer:
            line, self._buffer = self._buffer.split("\n", 1)
            self._lines.append({"at": time.time(), "stream": self._stream, "text": line})
        return len(text)

    def finish(self):
        if self._buffer:
            self._lines.append({"at": time.time(), "stream": self._stream, "text": self._buffer})
            self._buffer = ""


class _Records(logging.Handler):
    """The function's logging records, as the worker sends them to the host."""

    def __init__(self, lines):
        super().__init__(logging.INFO)
        self._lines = lines

    def emit(self, record):
        self._lines.append({"at": record.created, "stream": "logging", "level": record.levelname,
                            "text": record.getMessage()})


def _load(root, worker_lib):
    sys.path[:0] = [root, os.path.join(root, ".python_packages", "lib", "site-packages")]
    sys.path.append(worker_lib)
    os.chdir(root)
    import function_app  # noqa: the import the host does
    app = getattr(function_app, "app", None)
    if app is None or not hasattr(app, "get_functions"):
        raise RuntimeError("function_app.py defines no FunctionApp named 'app'")
    return app.get_functions()


def _list(root, worker_lib):
    try:
        functions = _load(root, worker_lib)
    except BaseException:  # the host swallows import errors: "0 functions found"
        return {"functions": [], "error": traceback.format_exc()}
    listed = []
    for fn in functions:
        bindings = json.loads(fn.get_function_json())["bindings"]
        listed.append({"name": fn.get_function_name(), "bindings": bindings})
    return {"functions": listed, "error": None}


def _call(root, worker_lib, request):
    functions = {fn.get_function_name(): fn for fn in _load(root, worker_lib)}
    import azure.functions as func  # noqa: the worker's library, after the package's own site-packages
    fn = functions[request["function"]]
    user = fn.get_user_function()
    bindings = json.loads(fn.get_function_json())["bindings"]
    trigger = next(b for b in bindings if str(b.get("direction")).lower() == "in" and b["type"].endswith("Trigger"))
    if request["kind"] == "timer":
        from azure.functions.timer import TimerRequest  # the concrete class the worker builds
        argument = TimerRequest(past_due=bool(request.get("past_due")))
    else:
        argument = func.HttpRequest(method=request["method"], url=request["url"], headers=request["headers"],
                                    params=request["params"], route_params=request.get("route_params") or {},
                                    body=base64.b64decode(request["body"]))
    result = user(**{trigger["name"]: argument})
    if request["kind"] == "timer":
        return {"status": 202, "headers": {}, "body": ""}
    if isinstance(result, str):
        result = func.HttpResponse(result)
    if result is None:
        return {"status": 204, "headers": {}, "body": ""}
    return {"status": result.status_code, "headers": dict(result.headers),
            "body": base64.b64encode(result.get_body() or b"").decode()}


def main():
    command, root, worker_lib, out = sys.argv[1:5]
    if command == "list":
        answer = _list(root, worker_lib)
    else:
        request = json.loads(sys.stdin.read())
        lines = []
        consoles = [_Console(lines, "stdout"), _Console(lines, "stderr")]
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = consoles
        logging.getLogger().addHandler(_Records(lines))
        logging.getLogger().setLevel(logging.INFO)
        try:
            answer = _call(root, worker_lib, request)
        except BaseException:
            answer = {"status": 500, "headers": {}, "body": "", "error": traceback.format_exc()}
        finally:
            sys.stdout, sys.stderr = saved
            for console in consoles:
                console.finish()
        answer["lines"] = lines
    with open(out, "w") as handle:
        json.dump(answer, handle)


if __name__ == "__main__":
    main()
