"""One deploy session: the answers so far, what they make, what is missing — for every front end.

The wizard (`tui/`) and the line prompts (`deploy --guided`) only draw a session and feed it
answers; everything else lives here: the variables the bot gets, loading a profile (secret values
found in one order — the environment, `.env`, the keyring), what switching platform clears, the
credentials check, what going live means, the suggested profile name, remembering secrets.
Nothing here draws or prompts.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import paper, providers
from .answers import SIZE_LABELS, spec_data
from .checks import CheckReport
from .deploy_questions import can, questions
from .envfile import ENV_FILE, read_env_file
from .errors import BotshipError
from .mode_check import live_switch_lines, paper_note
from .questions import Question, get_answer, set_answer
from .secret_values import SecretValue, SecretValues, keyring_remember, resolve_secrets
from .spec import DeploySpec, build_spec, check_field, looks_secret
from .spec_limits import limits_of

STEPS = ("platform", "credentials", "bot", "mode", "environment", "size", "review")


@dataclass
class Variable:
    """One variable the bot gets; a secret's value never leaves memory (or the keyring, when remembered).

    `source` says where its value came from: .env, a profile, the environment, the keyring, typed.
    """

    name: str
    value: str
    secret: bool
    remember: bool = False
    source: str = ENV_FILE


@dataclass
class DeploySession:
    project: Path
    answers: dict[str, Any] = field(default_factory=dict)
    variables: list[Variable] = field(default_factory=list)
    profile: str | None = None  # the profile being re-run, if any
    credentials_ok: bool = False
    platform_changes: int = 0  # counts real platform switches: a form of the cloud's settings drawn before is stale
    # What the user agreed to when a plan asked (see providers.base.ConsentNeeded), by the consent's key.
    consents: dict[str, str] = field(default_factory=dict)

    # ---- starting -------------------------------------------------------------------------------

    @classmethod
    def new(cls, project: Path, platform: str | None = None) -> DeploySession:
        """A fresh deployment: variables from .env, secrets proposed by their names — a secret's value found where
        every deploy finds it (the environment before .env); `platform` preselected."""
        values = read_env_file(project / ENV_FILE).values
        secrets = [name for name in values if looks_secret(name)]
        found = resolve_secrets(secrets, project=project, bot_name="", required=False)
        session = cls(project, {"mode": "paper"},
                      [Variable(name, found[name], True, source=found.source(name)) if name in found
                       else Variable(name, value, looks_secret(name)) for name, value in values.items()])
        if platform:
            session.set_platform(platform)
        return session

    @classmethod
    def from_profile(cls, project: Path, name: str, raw: dict[str, Any]) -> DeploySession:
        """A saved profile to re-run: its answers; its secrets' values found where every deploy finds them
        (the environment, then .env, then the keyring) — a secret found nowhere is left empty, to be asked."""
        variables = [Variable(k, str(v), False, source=f"profile '{name}'") for k, v in (raw.get("env") or {}).items()]
        secrets = [str(s) for s in raw.get("secrets") or []]
        found = resolve_secrets(secrets, project=project, bot_name=str(raw.get("bot_name", "")), required=False)
        for secret in secrets:
            variables.append(Variable(secret, found.get(secret, ""), True,
                                      source=found.source(secret) if secret in found else f"profile '{name}'"))
        answers = {k: copy.deepcopy(v) for k, v in raw.items() if k not in ("env", "secrets")}
        answers.setdefault("mode", "paper")
        return cls(project, answers, variables, profile=name)

    # ---- the answers ------------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return self.answers.get("mode", "paper")

    @property
    def platform(self) -> str | None:
        return self.answers.get("platform")

    def question(self, key: str) -> Question:
        return questions(self.project)[key]

    def answer(self, key: str) -> Any:
        return get_answer(self.answers, key)

    def set(self, key: str, value: Any) -> None:
        """Give an answer; a cloud setting changed means the credentials are checked again."""
        if key == "platform":
            self.set_platform(value)
            return
        if value == self.answer(key):
            return
        set_answer(self.answers, key, value)
        if any(q.key == key for q in self.cloud_settings()):
            self.credentials_ok = False

    def problem(self, key: str, value: Any) -> str | None:
        """The first problem with an answer given the others (a question of the deploy's or of the cloud's)."""
        question = next((q for q in self.cloud_settings() if q.key == key), None) or self.question(key)
        return question.problem(value, self.spec_data())

    def set_platform(self, name: str) -> None:
        """Choose where the bot runs: the settings of every other cloud go (never saved into this profile),
        and a zip package is chosen where the cloud builds no images."""
        if name == self.platform:
            return
        self.answers["platform"] = name
        self.credentials_ok = False
        self.platform_changes += 1
        mine = {q.key for q in self.cloud_settings()}
        tables = {key.partition(".")[0] for key in mine}
        # Every other cloud's sign-in and location go (the rest of its table, e.g. an image's base, stays while
        # the spec allows it); tables left empty go too.
        for other in providers.platforms():
            if other.name != name and other.available:
                for key in {q.key for q in cloud_settings(other.name)} - mine:
                    set_answer(self.answers, key, None)
        for table in {key.partition(".")[0] for p in providers.platforms() if p.available
                      for key in (q.key for q in cloud_settings(p.name))} - tables:
            if self.answers.get(table) == {}:
                self.answers.pop(table)
        # Tables of clouds not built yet (no provider to ask) go too, unless this platform uses them.
        for table in {p.name for p in providers.platforms() if not p.available} - tables:
            self.answers.pop(table, None)
        if not can(name, "image"):
            self.answers["packaging"] = "zip"

    def can(self, feature: str) -> bool:
        """Whether the chosen platform's cloud can do something (a capability it declares)."""
        return bool(self.platform) and can(self.platform, feature)

    def cloud_settings(self) -> list[Question]:
        """The settings the chosen platform's cloud declares (for AWS: profile and region)."""
        return cloud_settings(self.platform or "")

    def cloud_defaults(self) -> None:
        """Fill each cloud setting left empty with its default (an AWS profile's own region)."""
        for question in self.cloud_settings():
            if self.answer(question.key) in (None, "") and (default := question.default_for(self.answers)):
                set_answer(self.answers, question.key, default)
        for question in self.cloud_settings():
            table = question.key.partition(".")[0]
            if "." in question.key:
                self.answers.setdefault(table, {})

    # ---- what the answers make --------------------------------------------------------------------

    def spec_data(self) -> dict[str, Any]:
        """The answers as spec data; a size the chosen platform (and plan) does not take is left out, not refused
        (the wizard holds a /tmp size for every platform; Azure has no such setting)."""
        data = spec_data(self.answers, self.variables)
        if self.platform and providers.platform(self.platform):
            limits = limits_of(data)
            for name in SIZE_LABELS:
                if name not in limits:
                    data.pop(name, None)
        return data

    def spec(self) -> DeploySpec:
        return build_spec(self.spec_data(), self.project, source="the answers")

    def deploy_context(self, profile: str, report: Any = None) -> Any:
        """What a provider plans a deploy with: the project, the profile, the secret values and consents given."""
        from .providers.base import DeployContext, SilentReport

        return DeployContext(self.project, profile, self.secret_values(), report=report or SilentReport(),
                             **self.consents)

    def secret_values(self) -> SecretValues:
        return SecretValues([SecretValue(v.name, v.value, v.source) for v in self.variables if v.secret and v.value])

    def withholds_secrets(self) -> bool:
        """A paper framework app is given no secrets: none are asked for, stored or sent."""
        asked = self.answers.get("paper") or {}
        return paper.withholds_secrets(self.project, mode=self.mode, entry=self.answers.get("entry"),
                                       send_secrets=asked.get("send_secrets") is True)

    def missing_secrets(self) -> list[str]:
        """Secrets without a value that the bot will be given."""
        if self.withholds_secrets():
            return []
        return [v.name for v in self.variables if v.secret and not v.value]

    def find_secret_values(self) -> list[str]:
        """Look for the missing secrets' values where every deploy does (environment, .env, keyring);
        the names still missing, for the front end to ask with a masked prompt."""
        missing = self.missing_secrets()
        if not missing:
            return []
        found = resolve_secrets(missing, project=self.project, bot_name=self.answers.get("bot_name", ""),
                                required=False)
        for var in self.variables:
            if var.name in found and var.secret and not var.value:
                var.value, var.source = found[var.name], found.source(var.name)
        return self.missing_secrets()

    def variable_problems(self) -> list[str]:
        """What is wrong with the variables as a whole (names, sizes, duplicates), each `field: message`."""
        data = self.spec_data()
        return [f"{p.field}: {p.message}" for name in ("env", "secrets") for p in check_field(name, data[name], data)]

    def variable_problem(self, var: Variable) -> str | None:
        return variable_problem(var.name, var.value, var.secret)

    # ---- the credentials check -------------------------------------------------------------------

    def credentials_spec(self) -> DeploySpec:
        """The answers so far with placeholders for what the credentials check does not need."""
        data = self.spec_data()
        return build_spec({**data, "bot_name": data.get("bot_name") or "credentials-check",
                           "entry": "app:handler", "env": {}, "secrets": []}, source="the credentials")

    def credentials_key(self) -> tuple:
        """What a credentials check depends on: a check made for other answers is stale."""
        return (self.platform, *(repr(self.answer(q.key)) for q in self.cloud_settings()))

    def check_credentials(self, spec: DeploySpec | None = None) -> CheckReport:
        """Who we are and whether a deploy may go ahead, changing nothing (blocking: front ends run it aside,
        passing the `credentials_spec()` they made from the answers as they were)."""
        try:
            spec = spec or self.credentials_spec()
            return CheckReport(providers.provider_class(spec.platform)(spec).check_credentials())
        except BotshipError as exc:
            return CheckReport([], exc)

    def checked(self, report: CheckReport) -> None:
        self.credentials_ok = not report.failed

    def sign_in_methods(self) -> list[str]:
        """How botship can sign in to the chosen cloud itself ([] where its own tools do)."""
        found = providers.platform(self.platform) if self.platform else None
        if found is None or not found.available:
            return []
        return providers.cloud_class(self.platform).sign_in_methods()

    def sign_in(self, method: str, on_message) -> str:
        """Sign in to the chosen cloud (blocking; front ends run it aside); returns who signed in."""
        cloud = providers.cloud_class(self.platform or "")
        return cloud.sign_in(method, on_message, dict(self.answers.get(cloud.table or "", {}) or {}))

    def apply_remedy(self, remedy: str, spec: DeploySpec | None = None) -> str:
        """Let the provider put right what a check found (the user agreed); returns what it did."""
        spec = spec or self.credentials_spec()
        return providers.provider_class(spec.platform)(spec).apply_remedy(remedy)

    # ---- mode ---------------------------------------------------------------------------------

    def bot_answers(self) -> dict[str, Any]:
        """The answers so far with the names of the secrets, as the mode notes read them."""
        return {**self.answers, "secrets": [v.name for v in self.variables if v.secret]}

    def paper_note(self):
        return paper_note(self.bot_answers(), self.project)

    def live_summary(self) -> tuple[str, list[str]]:
        """What going live means for this bot: a headline, then what changes at the switch."""
        a = self.bot_answers()
        secrets = a["secrets"]
        when = f"on {a['schedule']}" if a.get("schedule") else "when invoked"
        headline = (f"{a.get('bot_name', '')} will trade real money on {providers.title(a.get('platform', ''))}, "
                    f"{when}, " + (f"with the secrets {', '.join(secrets)}." if secrets else "with no secrets."))
        return headline, live_switch_lines(a, self.project)

    # ---- saving ---------------------------------------------------------------------------------

    def suggested_profile_name(self) -> str:
        return self.profile or ("live" if self.mode == "live" else "paper")

    def remember_secrets(self, bot_name: str) -> list[str]:
        """Put the secrets the user asked to remember in the keyring (after a deploy went well); the names kept."""
        return [v.name for v in self.variables
                if v.secret and v.remember and v.value and keyring_remember(bot_name, v.name, v.value)]


def variable_problem(name: str, value: str, secret: bool) -> str | None:
    """What is wrong with one variable on its own (its name; a plain value's size and effect), or None."""
    problems = check_field("secrets", [name], {}) if secret else check_field("env", {name: value}, {})
    return problems[0].message if problems else None


def cloud_settings(platform: str) -> list[Question]:
    """The settings a platform's cloud declares ([] for one without a provider yet)."""
    return providers.cloud_class(platform).settings() if platform in providers.available() else []
