"""`botship package` and `botship invoke`: build the artifact; run the deployed bot, or a fresh build here."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import paper
from ..atomic import written_beside
from ..errors import BadInput, file_error
from ..function_log import function_log_lines
from ..profiles import ProfileStore
from ..secret_values import resolve_secrets
from .console import Console
from .deploy_flow import exit_code_of, wait_for_run
from .prompts import ask_masked, require_live_confirmation


def _build(project: Path, name: str, spec, console: Console, out_dir: Path | None = None):
    from botship.providers.artifact import package_step
    from botship.providers.engine import fan_out, start_run
    from botship.providers.journal import Journal
    from botship.providers.plan import Plan

    from ..masking import Masker

    built: list = []
    plan = Plan(f"Package {spec.bot_name}", spec.mode, spec.describe(), [package_step(spec, project, out_dir, built.append)])
    plan.masker = Masker()  # building the package handles no secret values
    journal = Journal.for_run(project, name, plan.masker)
    result = wait_for_run(lambda: start_run(plan, fan_out(console.event, journal)), console)
    return result, (built[0] if built else None)


def run_package(project: Path, profile: str | None, console: Console, output: Path | None) -> int:
    store = ProfileStore(project)
    name = store.pick(profile)
    spec = store.spec(name)
    result, artifact = _build(project, name, spec, console)
    if artifact is None:
        return exit_code_of(result) or 1
    path = artifact.path
    if output is not None:
        copy_output(artifact.path, output, image=artifact.layout == "image")
        path = output
    console.record("artifact", **{**artifact.as_dict(), "path": str(path)})
    console.line(f"{path}")
    console.line(f"  {artifact.layout}, {artifact.unzipped_size / 1e6:.1f} MB unzipped, {artifact.files} files"
                 f"{' (unchanged)' if artifact.reused else ''}")
    console.line(f"  sha256 {artifact.content_hash}")
    for note in artifact.notes:
        console.line(f"  note: {note}")
    return 0


def copy_output(source: Path, output: Path, *, image: bool) -> None:
    """Copy the artifact to `-o`: written beside it under a temporary name, then renamed, so a full disk or an
    interrupted copy never leaves a half-written zip (or build context) where the finished one belongs."""
    import os
    import stat

    try:
        mode = os.stat(output).st_mode
    except OSError:
        mode = 0
    if mode and not stat.S_ISREG(mode) and not stat.S_ISDIR(mode):
        # A device or a pipe (-o /dev/stdout): written into as it is, never replaced by a file.
        try:
            shutil.copyfile(source, output)
        except OSError as exc:
            raise file_error(OSError(exc.errno, exc.strerror, str(output)),
                             f"copying the artifact to {output}") from None
        return
    try:
        with written_beside(output) as tmp:
            if image:
                shutil.copytree(source, tmp)
            else:
                shutil.copyfile(source, tmp)
            if image and output.is_dir():
                shutil.rmtree(output)  # an earlier build context, checked by prepare_output
    except OSError as exc:
        raise file_error(OSError(exc.errno, exc.strerror, str(output)),
                         f"copying the artifact to {output} (nothing was left there)") from None


def _show_log_line(console: Console, masker, line: str) -> None:
    record, shown = function_log_lines(masker, line)
    if console.as_json:
        console.record("function_log", record=record if record is not None else {"line": masker.mask(line)})
        return
    for text in shown:
        console.line(text)


def _event(event: str | None) -> dict[str, Any]:
    try:
        payload = json.loads(event) if event else {}
    except ValueError as exc:
        raise BadInput(f"--event is not JSON: {exc}", fix="pass a JSON object, e.g. --event '{\"dry\": true}'") from None
    if not isinstance(payload, dict):
        raise BadInput("--event must be a JSON object", fix="pass e.g. --event '{\"dry\": true}'")
    return payload


def _prepare(project: Path, profile: str | None, event: str | None, confirm_live: bool, interactive: bool):
    """The profile to invoke, its spec and the event, once a live profile's run is confirmed."""
    store = ProfileStore(project)
    name = store.pick(profile)
    spec = store.spec(name)
    payload = _event(event)
    require_live_confirmation(spec, name, confirmed=confirm_live, interactive=interactive, project=project)
    return name, spec, payload


def run_invoke_deployed(project: Path, profile: str | None, console: Console, *, event: str | None,
                        confirm_live: bool, interactive: bool) -> int:
    """`botship invoke`: run the deployed bot once where it lives and show its log lines and result."""
    from botship.providers import provider_class
    from botship.providers.base import INVOKE

    name, spec, payload = _prepare(project, profile, event, confirm_live, interactive)
    provider = provider_class(spec.platform)(spec)
    if not provider.cloud_class.can(INVOKE):
        raise BadInput(f"invoking a bot on {spec.platform_title} is not supported yet",
                       fix=f"run it here instead: `botship invoke --local --profile {name}`")
    masker = resolve_secrets(paper.sent_secrets(spec, project), project=project, bot_name=spec.bot_name, interactive=False,
                             required=False).masker()
    console.line(f"Invoking {spec.bot_name} on {spec.where} ({spec.mode.upper()})")
    # Lines are shown as the cloud hands them over: as they are printed on the sandbox, after the run on AWS.
    ran = provider.handle().invoke(payload, on_line=lambda line: _show_log_line(console, masker, line)).masked(masker)
    result, body = ran.result, ran.body
    console.record("result", status_code=result.get("statusCode") if isinstance(result, dict) else None,
                   body=body if body is not None else result, error=ran.error)
    console.line(f"\nstatus {ran.error or ran.bot_status}")
    console.line(json.dumps(body if body is not None else result, indent=2, default=str))
    _show_note(console, body)
    return 0 if ran.ok else 1


def _show_note(console: Console, body) -> None:
    """A failed run's note (a write the cloud refuses, a network failure on this machine), where it is read last."""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and error.get("note"):
        console.line(f"\nnote: {error['note']}")


# Which state `botship invoke --local` runs against: the project's own folder, or the deployed bot's store.
STATE_CHOICES = ("local", "deployed")


@dataclass(frozen=True)
class RunState:
    """The state a local run uses: `url` for the runtime, `where` to show, `env` to reach it from here."""

    choice: str  # "local" | "deployed"
    url: str
    where: str
    env: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        if self.choice == "deployed":
            return f"deployed — {self.where} (the bot's own state; this run's changes are saved there)"
        return f"local — {self.where} (separate from the deployed bot's)"

    def as_dict(self) -> dict[str, str]:
        return {"choice": self.choice, "location": self.where}


def run_state(project: Path, profile: str, spec, choice: str) -> RunState:
    """The state a local run of `profile` uses; for "deployed", where its provider says the deployed bot's
    state is (a bot with none is bad input, exit 2, naming the profile and the ways on)."""
    from botship.providers import provider_class
    from botship.providers.base import DEPLOYED_STATE, NotDeployed
    from botship.providers.local import local_state_url

    if choice not in STATE_CHOICES:
        raise BadInput(f"--state {choice} is not a choice", fix="use --state local or --state deployed")
    if choice == "local":
        url = local_state_url(project, profile)
        return RunState("local", url, url[len("file://"):])
    provider = provider_class(spec.platform)(spec)
    if not provider.cloud_class.can(DEPLOYED_STATE):
        raise BadInput(f"running here against the deployed state of a bot on {spec.platform_title} is not "
                       "supported yet", fix=f"run it against the local state: `botship invoke --local --state local "
                                            f"--profile {profile}`")
    try:
        deployed = provider.handle().deployed_state(profile)
    except NotDeployed as exc:
        raise NotDeployed(exc.what, exc.why, f"{exc.fix}; or run it here against its own local state: "
                                             f"`botship invoke --local --state local --profile {profile}`") from None
    return RunState("deployed", deployed.url, deployed.where, dict(deployed.env))


def run_invoke_local(project: Path, profile: str | None, console: Console, *, event: str | None, cold: bool,
                     confirm_live: bool, interactive: bool, state: str = "local") -> int:
    """`botship invoke --local`: build the artifact and run it here once, against the project's local state
    (`state="local"`) or the deployed bot's own state store (`state="deployed"`, under the bot's lock)."""
    from botship.providers.local import run_local

    name, spec, payload = _prepare(project, profile, event, confirm_live, interactive)
    used = run_state(project, name, spec, state)  # before the build: a bot with no deployed state is said at once
    secrets = resolve_secrets(paper.sent_secrets(spec, project), project=project, bot_name=spec.bot_name,
                              interactive=interactive, ask=ask_masked)
    masker = secrets.masker()
    result, artifact = _build(project, name, spec, console)
    if artifact is None:
        return exit_code_of(result) or 1
    console.line(f"\nInvoking {spec.bot_name} locally ({spec.mode.upper()})")
    console.line(f"  state: {used.describe()}")
    console.record("local_run", bot=spec.bot_name, profile=name, mode=spec.mode, state=used.as_dict())
    outcome = run_local(spec, artifact, project=project, profile=name, secrets=secrets, state_url=used.url,
                        state_env=used.env, event=payload, on_line=lambda line: _show_log_line(console, masker, line),
                        cold=cold)
    body = masker.mask_data(outcome.body)
    console.record("result", status_code=outcome.status_code, body=body, state=used.as_dict())
    console.line(f"\nstatus {outcome.status_code}: {body.get('status')}")
    console.line(json.dumps(body, indent=2, default=str))
    _show_note(console, body)
    return 0 if outcome.status_code == 200 else 1
