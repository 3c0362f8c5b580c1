"""Finding and calling the bot: `module:attribute`, a (event, context) callable or an app with .run()."""

from __future__ import annotations

import importlib
import os
import types
from typing import Any

from . import paper

_ROUTINES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType)

_loaded: dict[str, Any] = {}


def load_entry(spec: str) -> Any:
    """Import the bot's entry point once per container."""
    if spec not in _loaded:
        module, _, attribute = spec.partition(":")
        target = importlib.import_module(module)
        try:
            _loaded[spec] = getattr(target, attribute)
        except AttributeError:
            raise ImportError(f"module '{module}' has no attribute '{attribute}' (entry '{spec}')") from None
    return _loaded[spec]


def saves_state_on_error(spec: str) -> bool:
    """Whether the bot's module opted in to keeping a failed run's state (`BOTSHIP_SAVE_ON_ERROR = True`)."""
    module = importlib.import_module(spec.partition(":")[0])
    return getattr(module, "BOTSHIP_SAVE_ON_ERROR", False) is True


def call_entry(target: Any, event: Any, context: Any, state_dir: str, mode: str = "paper",
               control: str = "run") -> Any:
    """Run the bot once. Apps (anything with .run that is not a plain function) run one iteration.

    An investing-algorithm-framework app in paper mode trades on botship's paper exchange (paper.py), which
    keeps to the control level (control.py).
    """
    # Every framework App this run starts keeps its database in the state folder and, in paper mode, trades on
    # paper, however the entry reaches it.
    paper.prepare_apps(state_dir, paper=mode != "live", control=control)
    run = getattr(target, "run", None)
    if callable(run) and not isinstance(target, _ROUTINES):
        set_config = getattr(target, "set_config", None)
        if callable(set_config):  # investing-algorithm-framework keeps its databases under RESOURCE_DIRECTORY
            set_config("RESOURCE_DIRECTORY", state_dir)
        if mode != "live" and paper.is_framework_app(target):  # also when a subclass's own run() skips App.run
            paper.install(target, state_dir)
        return _settled(run(number_of_iterations=1))
    return _settled(target(event, context))


def _settled(result: Any) -> Any:
    # An `async def` handler (or app run) returns a coroutine: run it to its end, or the bot's code never runs.
    if not isinstance(result, types.CoroutineType):  # what inspect.iscoroutine checks
        return result
    import asyncio  # ~30 ms to import: only a run that needs it pays, not every cold start

    return asyncio.run(result)


def prepare_environment(state_dir: str, extra: dict[str, str]) -> None:
    """Variables the bot reads: its state folder, and those framework bots expect, before it is imported."""
    os.environ["BOTSHIP_STATE_DIR"] = state_dir
    os.environ.setdefault("RESOURCE_DIRECTORY", state_dir)
    os.environ.update(extra)
