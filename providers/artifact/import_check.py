"""The artifact's import check: the handler and the bot imported from the artifact's files alone, as the cloud
runs them — from the code folder as working directory, under Lambda's filesystem rules (the code and its
dependencies read-only), with this machine's environment, the profile's variables and Lambda's, but not the
profile's secret values.

What fails is reported as what it is: a module missing from the package, a write where the cloud refuses it,
the bot's own exception with its traceback, or a network failure on this machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import resources
from pathlib import Path

from botship.errors import BadInput, BotshipError
from botship.ignores import IGNORE_FILE
from botship.runtime.sandbox_fs import RULES_VARIABLE, Rules, from_lists, targets, where_instead, why_refused
from botship.spec import DeploySpec

from ..cloudlike import lambda_env, reaches_network
from .deps import DependencyLayer

# Lambda provides these to every Python function; the import check lends them from this machine.
LAMBDA_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")
# Runtime modules only a run on this machine needs (the local runner and Lambda's filesystem rules): they do not
# ship; a local run or the import check lends them from the installed botship.runtime (`lend_local_runtime`).
LOCAL_RUNTIME = ("local.py", "sandbox_fs.py")
# What a process running a package puts before anything else: the lent modules join its botship_runtime package
# (after the package's own folder, so what the package ships is what runs).
LEND_PREFIX = "import sys, botship_runtime; botship_runtime.__path__.append(sys.argv.pop(1))\n"


def lend_local_runtime(folder: Path) -> Path:
    """A folder holding copies of the runtime's local-only modules, for a run of a package to import."""
    folder.mkdir(parents=True, exist_ok=True)
    runtime = resources.files("botship.runtime")
    for name in LOCAL_RUNTIME:
        (folder / name).write_bytes(runtime.joinpath(name).read_bytes())
    return folder


def materialise(folder: Path, entries: dict[str, Path | bytes]) -> None:
    for name, source in entries.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, bytes):
            target.write_bytes(source)
        else:
            shutil.copyfile(source, target)
            os.utime(target, (0, 0))


_CHECK = r"""
import json, os, sys, traceback
local_runtime, code, site, layout, entry, lend = sys.argv[1:7]
sys.path[:0] = [code, site]
if lend:
    sys.path.append(lend)
found = {}
# Lambda's filesystem from here on: the code and dependencies read-only, only /tmp and the state folder writable.
# The rules' module does not ship: it is lent from the installed botship.
import botship_runtime
botship_runtime.__path__.append(local_runtime)
from botship_runtime import sandbox_fs
sandbox_fs.install(sandbox_fs.Rules.from_env())


def failure(exc):
    # What failed: its type and message, its cause, the last frames of the bot's (or its packages') traceback.
    import importlib
    ours = (os.path.join(code, "botship_runtime") + os.sep, local_runtime + os.sep,
            os.path.dirname(importlib.__file__) + os.sep)
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if f.filename != "<string>" and not f.filename.startswith(("<frozen", *ours))]
    text = "".join(traceback.format_list(frames[-5:])) + "".join(traceback.format_exception_only(type(exc), exc))
    cause = exc.__cause__ or exc.__context__
    if cause is not None:
        text += "caused by " + "".join(traceback.format_exception_only(type(cause), cause))
    text = text.replace(code + os.sep, "").replace(site + os.sep, "site-packages" + os.sep)
    item = {"type": type(exc).__name__, "message": str(exc), "traceback": text.rstrip()}
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        import importlib.util
        top = exc.name.partition(".")[0]
        try:
            item["missing"] = importlib.util.find_spec(top) is None and top
        except Exception:
            item["missing"] = False
    return item


def answer():
    found["refused"] = [r.as_list() for r in sandbox_fs.refused()]
    print(json.dumps(found))
    sys.exit(0)


try:
    if layout == "azure-zip":
        import function_app
        found["functions"] = sorted(f.get_function_name() for f in function_app.app.get_functions())
    else:
        import botship_runtime.aws_handler
except (Exception, SystemExit) as exc:
    found["handler"] = failure(exc)
    answer()
try:
    from botship_runtime.entry import load_entry
    bot = load_entry(entry)
except (Exception, SystemExit) as exc:
    found["bot"] = failure(exc)
else:
    found["bot"] = "ok"
    # The runtime calls the entry as bot(event, context), or bot.run() for an app: it must be one of those.
    try:
        runnable = callable(bot) or callable(getattr(bot, "run", None))
        if isinstance(bot, type) and callable(getattr(bot, "run", None)):
            import inspect, types
            # The runtime calls an app's run() on the entry itself: on a class, run(self) has no instance.
            if isinstance(inspect.getattr_static(bot, "run"), types.FunctionType):
                found["needs_instance"] = bot.__name__
    except Exception:
        runnable = False
    if not runnable:
        shown = f"the module {bot.__name__}" if type(bot).__name__ == "module" else f"a {type(bot).__name__}"
        try:
            value = repr(bot)
        except Exception:
            value = ""
        if value and type(bot).__name__ != "module":
            shown += f" ({value[:60]})"
        found["not_runnable"] = shown
answer()
"""


def _check_rules(spec: DeploySpec, layout: str, code: list[str], deps: list[str] | None = None,
                 writable: list[str] | None = None) -> Rules:
    if layout == "azure-zip":
        return Rules(code, deps, writable, cloud="Azure Functions")
    return Rules(code, deps, writable, cloud="Lambda", tmp_mb=spec.ephemeral_mb)


def _check_env(spec: DeploySpec, layout: str, tmp: Path, code: Path, deps: list[str]) -> dict[str, str]:
    """The check's environment: as a run's, with the profile's variables, Lambda's and the filesystem rules
    (a scratch TMPDIR and a state folder that are thrown away); the profile's secret values are not given to it."""
    scratch, state = tmp / "tmp", tmp / "state"
    scratch.mkdir()
    state.mkdir()
    rules = _check_rules(spec, layout, [str(code)], deps, [str(scratch), str(state)])
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTSHIP_")}
    if layout != "azure-zip":
        env.update(lambda_env(f"botship-{spec.bot_name}", spec.memory_mb, spec.python))
        env["LAMBDA_TASK_ROOT"] = str(code)
    env.update(spec.env)
    env.update({"BOTSHIP_ENTRY": spec.entry, "BOTSHIP_MODE": spec.mode, "BOTSHIP_BOT_NAME": spec.bot_name,
                "BOTSHIP_STATE_DIR": str(state), "RESOURCE_DIRECTORY": str(state), RULES_VARIABLE: rules.to_env(),
                "TMPDIR": str(scratch), "TEMP": str(scratch), "TMP": str(scratch)})
    return env


def import_check(entries: dict[str, Path | bytes], deps: DependencyLayer, layout: str, spec: DeploySpec,
                 report, project: Path | None = None) -> list[str]:
    """Import the handler (and the bot) in a fresh interpreter that sees only the artifact's files, as the cloud
    runs it: from the code folder as working directory, which it cannot write into (nor its dependencies)."""
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="botship-check-") as tmp:
        code = Path(tmp) / "code"
        materialise(code, entries)
        lend = ""
        deps_folders = [str(deps.site)]
        if layout != "azure-zip":
            lend = str(Path(tmp) / "lambda-provided")
            lend_lambda_modules(Path(lend))
            deps_folders += [lend, *(os.path.realpath(entry) for entry in Path(lend).iterdir())]
        site = deps.site
        local_runtime = lend_local_runtime(Path(tmp) / "local-runtime")
        # -B: no bytecode written (the rules would refuse it in the code and dependency folders anyway).
        command = [sys.executable, "-I", "-S", "-B", "-c", _CHECK, str(local_runtime), str(code), str(site), layout,
                   spec.entry, lend]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=code,
                                env=_check_env(spec, layout, Path(tmp), code, deps_folders))
    what = "function_app.py" if layout == "azure-zip" else "the Lambda handler"
    try:
        found = json.loads(result.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        found = None
    if result.returncode != 0 or not isinstance(found, dict):
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise BotshipError(f"{what} does not import from the artifact: {last}",
                           "the cloud would fail the same way (on Azure: \"0 functions found\")",
                           "fix the import error above; requirements.txt must list every package the bot imports")
    refusals = from_lists(found.get("refused") or [])
    rules = _check_rules(spec, layout, code=[])
    failed = found.get("handler") or (found["bot"] if found.get("bot") != "ok" else None)
    if failed and refusals:  # whatever the Python: writing where the cloud cannot is why it failed
        raise BotshipError(f"the bot writes {targets(refusals)} at import",
                           f"{why_refused(rules)}, so the import would fail there on every run: "
                           f"{failed['type']}: {failed['message']}",
                           where_instead(rules, refusals))
    if found.get("handler"):
        raise _import_failure(what, found["handler"], spec, project)
    if found.get("needs_instance"):
        name = found["needs_instance"]
        raise BadInput(f"entry '{spec.entry}' is the class {name}, whose run() needs an instance",
                       f"the runtime calls the entry's run() for an app, and on the class itself {name}.run() "
                       "has no self, so every run would fail",
                       f"create the app in the module (e.g. bot = {name}()) and point entry at it")
    if found.get("not_runnable"):
        raise BadInput(f"entry '{spec.entry}' is {found['not_runnable']}, not a function or an app",
                       "the runtime calls the entry as a function (event, context), or its .run() for an app: "
                       "this object has neither, so every run would fail",
                       "point entry at a function taking (event, context) or an app object with .run()")
    if layout == "azure-zip" and not found.get("functions"):
        raise BotshipError("function_app.py registers no functions", "Azure would report \"0 functions found\"",
                           "this is a botship bug: please report it")
    if failed:
        same_python = f"{sys.version_info.major}.{sys.version_info.minor}" == spec.python
        if same_python:
            raise _import_failure("the bot", failed, spec, project)
        notes.append(f"the bot's imports could not be checked here (this is Python {sys.version_info.major}."
                     f"{sys.version_info.minor}, the artifact targets {spec.python}): "
                     f"{failed['type']}: {failed['message']}")
        report.log(notes[-1], "warning")
    else:
        report.log("import check passed: handler" + (f" with {len(found['functions'])} functions" if
                                                       found.get("functions") else "") + " and the bot import")
    if refusals:  # the bot carried on past a write the cloud refuses: it meets the same refusal there
        notes.append(f"at import the bot tried to write {targets(refusals)} and carried on; {why_refused(rules)}, "
                     f"so that write fails there too: {where_instead(rules, refusals)}")
        report.log(notes[-1], "warning")
    return notes


def _import_failure(what: str, failed: dict, spec: DeploySpec, project: Path | None) -> BotshipError:
    """The error for an import that failed: a module missing from the artifact, or what the bot itself raised."""
    error = f"{failed['type']}: {failed['message']}"
    missing = failed.get("missing")
    if missing:
        in_project = project is not None and ((project / f"{missing}.py").is_file() or (project / missing).is_dir())
        if in_project:
            return BotshipError(f"{what} does not import from the artifact: {error}",
                                f"'{missing}' is in the project but not in the package, which the cloud runs",
                                f"let it ship: check {IGNORE_FILE} (and that it is a regular file, not a symlink "
                                "to outside the project)")
        return BotshipError(f"{what} does not import from the artifact: {error}",
                            f"entry '{spec.entry}' imports '{missing}', which is neither in the project nor installed "
                            "from requirements.txt",
                            "add the missing package to requirements.txt (its pip name may differ from the module's)")
    key = failed["message"].strip("'\"")
    if failed["type"] == "KeyError" and key in spec.secrets:
        return BotshipError(f"{what} fails at import: {error}",
                            f"it reads the secret {key} at import; the import check runs without secret values",
                            f"read {key} when the bot runs (in the handler), or with os.environ.get at import")
    if reaches_network(error, failed["traceback"]):
        return BotshipError(f"{what} fails at import reaching the network: {error}",
                            "the import check ran on this machine, with this machine's network and DNS (the cause may "
                            "be local: no connection, a VPN, proxy or firewall); the bot's traceback (last frames):\n"
                            f"{failed['traceback']}",
                            "reach the network when the bot runs (in the handler), not at import: the cloud's network "
                            "can differ from this machine's, and a failure at import fails every run")
    return BotshipError(f"{what} fails at import: {error}",
                        f"the cloud would fail the same way on every run; the bot's traceback (last frames):\n"
                        f"{failed['traceback']}",
                        "fix the error the traceback shows, then build again")


def lend_lambda_modules(folder: Path) -> Path:
    """A folder linking this machine's copies of the modules Lambda provides (boto3 and friends)."""
    import importlib.util

    folder.mkdir(exist_ok=True)
    for name in LAMBDA_PROVIDED:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            continue
        source = Path(spec.origin).parent if spec.submodule_search_locations else Path(spec.origin)
        link = folder / source.name
        if not link.exists():
            link.symlink_to(source)
    return folder
