"""The deploy spec: every answer a deployment needs, each field declared once with its rule and help."""

from __future__ import annotations

import difflib
import functools
import re
import typing
import unicodedata
import zoneinfo
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    Strict,
    ValidationInfo,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from . import providers as platforms
from .entrypoint import check_entry_in_project, parse_entry
from .errors import Problem, SpecInvalid
from .schedule import check_fires, parse_schedule

SECRET_NAME_HINTS = ("_KEY", "_SECRET", "TOKEN", "PASSWORD")
ENV_LIMIT_BYTES = 4096
# Room kept for the variables botship itself sets (mode, state dir, secret reference, bucket…).
ENV_RESERVED_BYTES = 768
ENV_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
# Names the cloud runtime sets or reserves (Lambda's reserved list, Azure's app settings, botship's own).
_RESERVED_ENV = {
    "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ", "MSI_ENDPOINT", "MSI_SECRET", "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER", "ENABLE_ORYX_BUILD",
}
_RESERVED_ENV_PREFIXES = ("BOTSHIP_", "FUNCTIONS_", "AZUREWEBJOBS", "WEBSITE_", "APPSETTING_", "SCM_",
                          "AZURE_STORAGE_", "_")
# Names that change how the Python interpreter or the dynamic loader starts: set on the function, they
# stop the runtime before the bot's code is reached (Lambda's own PYTHONPATH, PATH and LD_LIBRARY_PATH
# point at its runtime).
_INTERPRETER_ENV = {
    "PATH", "PYTHONPATH", "PYTHONHOME", "PYTHONPLATLIBDIR", "PYTHONEXECUTABLE", "PYTHONUSERBASE",
    "PYTHONSAFEPATH", "PYTHONNOUSERSITE", "PYTHONINSPECT", "PYTHONSTARTUP",
}


def _python_setting_problem(name: str, value: str) -> str | None:
    """Why Python would refuse to start with this variable set (CPython's own checks), or None."""
    import codecs

    name = name.upper()
    if name == "PYTHONHASHSEED" and value and value != "random" and not (
            value.strip().isdigit() and int(value) <= 4294967295):
        return "Python starts only with PYTHONHASHSEED set to 'random' or a number 0–4294967295"
    if name == "PYTHONUTF8" and value not in ("", "0", "1"):
        return "Python starts only with PYTHONUTF8 set to 0 or 1"
    if name == "PYTHONMALLOC" and value and value not in (
            "default", "debug", "malloc", "malloc_debug", "pymalloc", "pymalloc_debug", "mimalloc", "mimalloc_debug"):
        return "Python starts only with PYTHONMALLOC set to an allocator it has, e.g. 'malloc' or 'pymalloc'"
    if name == "PYTHONIOENCODING" and (encoding := value.partition(":")[0]):
        try:
            codecs.lookup(encoding)
        except LookupError:
            return f"Python does not start with PYTHONIOENCODING naming an unknown encoding ('{encoding}'); use e.g. 'utf-8'"
    if name == "PYTHONINTMAXSTRDIGITS" and value and not (value.isdigit() and (int(value) == 0 or int(value) >= 640)):
        return "Python starts only with PYTHONINTMAXSTRDIGITS set to 0 (no limit) or a number from 640"
    if name == "PYTHONTRACEMALLOC" and value and not (value.isdigit() and int(value) <= 65535):
        return "Python starts only with PYTHONTRACEMALLOC set to a number of frames 0–65535"
    return None


def _fail(message: str) -> PydanticCustomError:
    # Without a context pydantic does not format the template, so braces in `message` stay as they are.
    return PydanticCustomError("botship", message)


def looks_secret(name: str) -> bool:
    """Whether a variable name suggests a credential (`*_KEY`, `*_SECRET`, `*TOKEN*`, `*PASSWORD*`)."""
    upper = name.upper()
    return upper.endswith(("_KEY", "_SECRET")) or "TOKEN" in upper or "PASSWORD" in upper


# ---- single-field rules -------------------------------------------------------------------

def _check_bot_name(value: str) -> str:
    if not 2 <= len(value) <= 32:
        raise _fail(f"must be 2–32 characters, got {len(value)}")
    if value != value.lower() and re.fullmatch(r"[A-Za-z0-9-]+", value):
        raise _fail(f"use lower-case only, e.g. '{value.lower()}'")
    if not re.fullmatch(r"[a-z0-9-]+", value):
        bad = sorted({c for c in value if not re.fullmatch(r"[a-z0-9-]", c)})
        raise _fail(f"only lower-case letters, digits and hyphens are allowed (not {' '.join(map(repr, bad))})")
    if not value[0].isalpha():
        raise _fail("must start with a letter")
    if value.endswith("-"):
        raise _fail("must not end with a hyphen")
    if "--" in value:
        raise _fail("must not contain two hyphens in a row")
    return value


def _check_entry(value: str, info: ValidationInfo) -> str:
    try:
        module, attribute = parse_entry(value)
        context = info.context or {}
        if context.get("project") is not None:
            python = _python_from_toml(context.get("python"))
            check_entry_in_project(Path(context["project"]), module, attribute, python if isinstance(python, str) else None)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    # Stored as the runtime reads it: spaces around the entry would become part of the module's name.
    return f"{module}:{attribute}"


def _python_from_toml(value: Any) -> Any:
    # `python = 3.12` (a TOML float) is a common slip; read it as the string it means.
    return repr(value) if isinstance(value, float) else value


def _check_schedule(value: str) -> str:
    # Whether it fires is checked in UTC here; in the profile's own time zone among the cross-field rules.
    try:
        schedule = parse_schedule(value)
        check_fires(schedule)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    return str(schedule)


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


# Names in the time zone database that are not places: the machine's own setting, placeholders, the
# copies under posix/ and right/ (leap seconds), and the old POSIX-rule zones (EST5EDT, CET…), whose
# meaning changed in tzdata 2024b (they became links to a city) and so differs between the cloud's
# copy of the database and this machine's. A city says the same everywhere.
_NOT_PLACES = {"localtime", "Factory", "posixrules"}
_NOT_PLACE_PREFIXES = ("posix/", "right/", "SystemV/", "posixrules")
_POSIX_RULE_ZONES = {
    "CET": "Europe/Paris", "EET": "Europe/Athens", "MET": "Europe/Paris", "WET": "Europe/Lisbon",
    "EST": "America/Panama", "MST": "America/Phoenix", "HST": "Pacific/Honolulu",
    "EST5EDT": "America/New_York", "CST6CDT": "America/Chicago", "MST7MDT": "America/Denver",
    "PST8PDT": "America/Los_Angeles",
}


@functools.cache
def _places() -> frozenset[str]:
    return frozenset(z for z in _zones() if z not in _NOT_PLACES and z not in _POSIX_RULE_ZONES
                     and not z.startswith(_NOT_PLACE_PREFIXES))


def _check_timezone(value: str) -> str:
    if value in _places():
        return value
    if value in _POSIX_RULE_ZONES:
        raise _fail(f"'{value}' is an old rule-based zone, not a place; name the city whose clock you mean, "
                    f"e.g. '{_POSIX_RULE_ZONES[value]}'")
    if value in _NOT_PLACES or value.startswith(_NOT_PLACE_PREFIXES):
        raise _fail(f"'{value}' is not a place the cloud knows; use an IANA name like 'Europe/Amsterdam' or 'UTC'")
    close = difflib.get_close_matches(value, _places(), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else "; use an IANA name like 'Europe/Amsterdam' or 'UTC'"
    raise _fail(f"'{value}' is not a known time zone{hint}")


@functools.cache
def _aws_regions() -> frozenset[str]:
    """The commercial regions where every service a bot uses runs, as the installed AWS SDK knows them."""
    try:
        import botocore.session

        session = botocore.session.get_session()
        services = ("lambda", "scheduler", "s3", "secretsmanager", "logs")
        known = [set(session.get_available_regions(service)) for service in services]
    except Exception:  # noqa: BLE001 - without the SDK's endpoint data, the pattern alone decides
        return frozenset()
    return frozenset(set.intersection(*known)) if all(known) else frozenset()


def _check_region(value: str) -> str:
    regions = _aws_regions()
    if regions and value not in regions:
        close = difflib.get_close_matches(value, sorted(regions), n=1, cutoff=0.7)
        hint = f"did you mean '{close[0]}'?" if close else f"regions botship knows: {', '.join(sorted(regions))}"
        raise _fail(f"'{value}' is not an AWS region where Lambda and EventBridge Scheduler run; {hint} "
                    "(a region newer than this botship's AWS SDK needs an upgrade: pip install -U botship botocore)")
    return value


def _check_aws_profile(value: str) -> str:
    if not value.strip():
        raise _fail("is empty; name a profile from your AWS config, or leave the key out to use the standard "
                    "credential chain")
    if value != value.strip() or any(c in value for c in "[]\n\r\t"):
        raise _fail(f"{value!r} is not a profile name as the AWS config writes them ([profile NAME]); "
                    f"write it without spaces around it or brackets, e.g. '{value.strip(' []') or 'trading'}'")
    return value


def _check_var_name(value: str) -> str:
    if not ENV_NAME.fullmatch(value):
        raise _fail(f"'{value}' is not a valid variable name: start with a letter, then letters, digits or '_'")
    # Azure's app settings ignore case, so a name is reserved whatever its case.
    upper = value.upper()
    if upper.startswith("AWS_"):
        raise _fail(f"'{value}' configures the AWS SDK that syncs the bot's state (AWS_* names are the SDK's "
                    "and Lambda's own); setting it breaks the runtime — choose a name without the AWS_ prefix")
    if upper in _INTERPRETER_ENV or upper.startswith("LD_"):
        raise _fail(f"'{value}' changes how Python or the system loader starts; setting it breaks the cloud "
                    "runtime — choose another name")
    if upper in _RESERVED_ENV or upper.startswith(_RESERVED_ENV_PREFIXES):
        raise _fail(f"'{value}' is reserved by botship or the cloud runtime; choose another name")
    return value


def _check_plain_var_name(value: str) -> str:
    _check_var_name(value)
    if looks_secret(value):
        raise _fail(f"'{value}' looks like a secret: list it under `secrets` so its value never lands in botship.toml")
    return value


def _stringify(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _check_env_value(value: str) -> str:
    if "\x00" in value:
        raise _fail("contains a NUL character (\\0), which no environment variable can hold; remove it")
    return value


def _check_env_size(env: dict[str, str]) -> dict[str, str]:
    size = sum(len(k.encode()) + len(v.encode()) for k, v in env.items())
    budget = ENV_LIMIT_BYTES - ENV_RESERVED_BYTES
    if size > budget:
        raise _fail(
            f"variables take {size} bytes; the cloud allows {ENV_LIMIT_BYTES} in total and botship needs "
            f"{ENV_RESERVED_BYTES} of them, so keep these under {budget}: move large values into files in the project"
        )
    return env


def _check_unique(names: list[str]) -> list[str]:
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise _fail(f"listed more than once: {', '.join(dupes)}")
    return names


# Tags go on the S3 bucket, IAM roles, the Lambda function, its log group, the secret and the ECR
# repository, and on Azure's resources. The strictest rule of them all: letters and digits of any
# script, spaces and `_ . : = + - @` (and `/` in values; Azure refuses it in keys, with `< > % & \ ?`);
# keys 1–128 characters (IAM, S3, Azure storage), values up to 256; keys unique ignoring case (IAM and
# Azure compare them so). Each resource takes 50 tags; botship puts up to 6 of its own on one
# (botship:bot, profile, mode, version, code, config), and keeps a few spare.
TAG_LIMIT = 40
_TAG_KEY_MARKS = set("_.:=+-@ ")
_TAG_VALUE_MARKS = _TAG_KEY_MARKS | {"/"}


def _tag_bad_characters(value: str, marks: set[str]) -> list[str]:
    return sorted({c for c in value if c not in marks and unicodedata.category(c)[0] not in "LN"})


def _show_characters(bad: list[str]) -> str:
    return " ".join(repr(c) if c.isprintable() and c != " " else f"U+{ord(c):04X}" for c in bad)


def _check_tag_key(value: str) -> str:
    if not 1 <= len(value) <= 128:
        raise _fail(f"tag key must be 1–128 characters, got {len(value)}")
    if value.lower().startswith(("aws:", "botship:", "azure", "microsoft", "windows")):
        raise _fail(f"tag key '{value}' uses a reserved prefix")
    if bad := _tag_bad_characters(value, _TAG_KEY_MARKS):
        raise _fail(f"tag key '{value}' has characters a cloud refuses ({_show_characters(bad)}); use letters, "
                    "digits, spaces and _ . : = + - @ only")
    if value != value.strip():
        raise _fail(f"tag key '{value}' starts or ends with a space; remove it")
    return value


def _check_tag_value(value: str) -> str:
    if len(value) > 256:
        raise _fail(f"tag value must be at most 256 characters, got {len(value)}")
    if bad := _tag_bad_characters(value, _TAG_VALUE_MARKS):
        raise _fail(f"tag value has characters a cloud refuses ({_show_characters(bad)}); use letters, digits, "
                    "spaces and _ . : / = + - @ only")
    return value


def _check_tags(tags: dict[str, str]) -> dict[str, str]:
    if len(tags) > TAG_LIMIT:
        raise _fail(f"{len(tags)} tags; botship takes at most {TAG_LIMIT} (a cloud resource holds 50 and "
                    "botship adds its own), so drop some")
    seen: dict[str, str] = {}
    for key in tags:
        if (other := seen.setdefault(key.lower(), key)) != key:
            raise _fail(f"tag keys '{other}' and '{key}' differ only in case; IAM and Azure treat them as one "
                        "key — keep one")
    return tags


def _pattern(regex: str, what: str) -> AfterValidator:
    compiled = re.compile(regex)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise _fail(f"'{value}' is not {what}")
        return value

    return AfterValidator(check)


BotName = Annotated[str, AfterValidator(_check_bot_name)]


def _check_platform(name: str) -> str:
    if platforms.platform(name) is None:
        known = [p.name for p in platforms.platforms()]
        close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"use one of {', '.join(known)}"
        raise _fail(f"unknown platform '{name}'; {hint}")
    return name


PlatformName = Annotated[str, Strict(), AfterValidator(_check_platform)]
Entry = Annotated[str, AfterValidator(_check_entry)]
PythonVersion = Annotated[Literal["3.11", "3.12", "3.13"], BeforeValidator(_python_from_toml)]
ScheduleText = Annotated[str, AfterValidator(_check_schedule)]
Timezone = Annotated[str, AfterValidator(_check_timezone)]
EnvName = Annotated[str, AfterValidator(_check_plain_var_name)]
EnvValue = Annotated[str, BeforeValidator(_stringify), AfterValidator(_check_env_value)]
Env = Annotated[dict[EnvName, EnvValue], AfterValidator(_check_env_size)]
SecretName = Annotated[str, AfterValidator(_check_var_name)]
Secrets = Annotated[list[SecretName], AfterValidator(_check_unique)]
TagKey = Annotated[str, AfterValidator(_check_tag_key)]
TagValue = Annotated[str, BeforeValidator(_stringify), AfterValidator(_check_tag_value)]
Tags = Annotated[dict[TagKey, TagValue], AfterValidator(_check_tags)]
# Sizes are whole numbers: no booleans (`true` would be 1), strings or floats.
Size = Annotated[int, Strict()]
Region = Annotated[str, _pattern(r"(?!us-gov-|us-iso|cn-)[a-z]{2}-[a-z]+-\d{1,2}",
                                 "a commercial AWS region name like 'eu-west-1' (GovCloud, ISO and China regions are not supported)"),
                   AfterValidator(_check_region)]
AwsProfileName = Annotated[str, AfterValidator(_check_aws_profile)]
SubscriptionId = Annotated[
    str, _pattern(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
                  "a subscription id (a GUID like 00000000-0000-0000-0000-000000000000)")
]
ResourceGroup = Annotated[
    str, _pattern(r"[-\w.()]{0,89}[-\w()]", "a resource group name (1–90 letters, digits, - _ . ( ), not ending in '.')")
]
Location = Annotated[str, _pattern(r"[a-z][a-z0-9]{2,29}", "an Azure location like 'westeurope'")]
ImageReference = Annotated[
    str, _pattern(r"(?:[a-zA-Z0-9.-]+(?::\d+)?/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*"
                  r"(?::[\w][\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?",
                  "an image reference like 'public.ecr.aws/lambda/python:3.12' (lower-case repository, optional :tag)")
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=False)


class AwsSettings(_Strict):
    """Where on AWS the bot lives."""

    region: Region = Field(description="AWS region to deploy to, e.g. eu-west-1")
    profile: AwsProfileName | None = Field(
        None, description="profile from your AWS config; left out uses the standard credential chain")
    base_image: ImageReference | None = Field(
        None, description="base of the container image (packaging = \"image\"); empty uses the official Lambda "
                          "Python image for `python`")


class AzureSettings(_Strict):
    """Where on Azure the bot lives."""

    subscription_id: SubscriptionId = Field(description="Azure subscription id (a GUID)")
    resource_group: ResourceGroup = Field(description="resource group to create or reuse")
    location: Location = Field(description="Azure location, e.g. westeurope")
    plan: Literal["flex", "consumption"] = Field("flex", description="hosting plan: Flex Consumption (current) or Consumption (retiring 2028)")


class PaperSettings(_Strict):
    """How paper mode fills an investing-algorithm-framework app's orders (plain bots only read BOTSHIP_MODE)."""

    balance: float | None = Field(
        None, ge=0, le=1e12, allow_inf_nan=False, strict=True,
        description="paper starting balance, in the market's trading symbol, for an app whose add_market has no "
                    "initial_balance")
    fee_pct: float | None = Field(
        None, ge=0, le=10, allow_inf_nan=False, strict=True,
        description="fee of each paper fill in percent (0–10); empty uses add_market's fee_percentage, else 0")
    slippage_pct: float | None = Field(
        None, ge=0, le=10, allow_inf_nan=False, strict=True,
        description="how far each paper fill lands from the market price against the bot, in percent (0–10); "
                    "empty uses add_market's slippage_percentage, else 0")
    send_secrets: bool = Field(
        False, strict=True,
        description="send the profile's secrets to a paper framework app too (e.g. for private read-only data); "
                    "by default a paper app never holds keys that could trade")


class DeploySpec(_Strict):
    """Everything one deployment of one bot needs; secret values are never part of it."""

    platform: PlatformName = Field(
        description="where the bot runs: aws (Lambda), azure (Functions) or sandbox (local AWS emulator, no account)",
        json_schema_extra=lambda schema: schema.update(enum=[p.name for p in platforms.platforms()]))
    bot_name: BotName = Field(
        description="the bot's name, 2–32 lower-case letters, digits and hyphens; cloud resource names derive from it")
    entry: Entry = Field(
        description="module:attribute of the bot's entry point — a (event, context) callable or an app with .run()")
    python: PythonVersion = Field("3.12", description="Python version of the cloud runtime: 3.11, 3.12 or 3.13")
    packaging: Literal["zip", "image"] = Field(
        "zip", description="zip package or container image (image is AWS only; Azure always uses zip)")
    memory_mb: Size = Field(512, description="memory for each run in MB (AWS 128–10240; Azure Flex 512, 2048 or 4096)")
    timeout_s: Size = Field(300, description="longest a run may take, in seconds (AWS 1–900; Azure Consumption 1–600)")
    ephemeral_mb: Size = Field(512, description="/tmp space in MB, AWS only (512–10240)")
    state_retention_days: Size = Field(
        30, ge=1, le=3650,
        description="days an earlier version of the bot's state is kept for `state restore` (1–3650)")
    schedule: ScheduleText | None = Field(
        None, description="when the bot runs: rate(15 minutes) or cron(0 9 * * ? *); empty = only when invoked")
    timezone: Timezone = Field("UTC", description="IANA time zone the schedule is read in, e.g. Europe/Amsterdam")
    env: Env = Field(default_factory=dict, description="plain environment variables passed to the bot (no secrets)")
    secrets: Secrets = Field(
        default_factory=list, description="names of secret variables; values come from the environment, .env, keyring or a prompt")
    mode: Literal["paper", "live"] = Field(
        "paper", description="paper: a framework app's orders fill on paper (botship's paper exchange, enforced); a "
                             "plain bot is only told BOTSHIP_MODE=paper and must honour it itself (botship cannot "
                             "stop its orders). live trades real money and needs explicit confirmation")
    paper: PaperSettings | None = Field(
        None, description="paper trading of a framework app: starting balance, fee, slippage, secrets")
    aws: AwsSettings | None = Field(None, description="AWS settings (region, profile)")
    azure: AzureSettings | None = Field(None, description="Azure settings (subscription, resource group, location, plan)")
    tags: Tags = Field(default_factory=dict, description="extra tags put on every resource botship creates")

    @model_validator(mode="wrap")
    @classmethod
    def _every_problem_at_once(cls, data: Any, handler: Any, info: ValidationInfo) -> DeploySpec:
        # Field errors and cross-field rules are reported together, so one `validate` shows everything.
        try:
            spec = handler(data)
        except ValidationError as exc:
            errors = [(tuple(e["loc"]), _message(e)) for e in exc.errors()]
            values, given = _valid_fields(data, info.context)
        else:
            errors = []
            values, given = dict(spec), set(spec.model_fields_set)
        errors += [(loc, msg) for loc, msg in _cross_field_problems(values, given) if (loc, msg) not in errors]
        if errors:
            raise ValidationError.from_exception_data(
                cls.__name__,
                [InitErrorDetails(type=_fail(msg), loc=loc, input=None) for loc, msg in errors],
            )
        return spec

    @property
    def platform_title(self) -> str:
        return platforms.title(self.platform)

    @property
    def where(self) -> str:
        """Where the bot lives, in words: platform and region or location."""
        if self.platform == "aws" and self.aws:
            return f"{self.platform_title} ({self.aws.region})"
        if self.platform == "azure" and self.azure:
            return f"{self.platform_title} ({self.azure.location}, {self.azure.resource_group})"
        if self.platform == "sandbox":
            return f"{self.platform_title} (local emulator)"
        return self.platform_title

    def describe(self) -> list[tuple[str, str]]:
        """What a plan or summary shows about this spec, mode first."""
        return [
            ("mode", self.mode.upper()),
            ("bot", self.bot_name),
            ("platform", self.where),
            ("entry", self.entry),
            ("python", self.python),
            ("schedule", f"{self.schedule} ({self.timezone})" if self.schedule else "none (runs only when invoked)"),
            ("secrets", ", ".join(self.secrets) or "none"),
        ]


# The profile's nested tables, by key.
TABLES: dict[str, type[BaseModel]] = {"aws": AwsSettings, "azure": AzureSettings, "paper": PaperSettings}


@dataclass(frozen=True)
class Limit:
    """An allowed range, or a set of allowed values, for one sizing field on one platform."""

    low: int = 0
    high: int = 0
    choices: tuple[int, ...] = ()

    def check(self, value: int) -> str | None:
        if self.choices:
            return None if value in self.choices else f"must be one of {', '.join(map(str, self.choices))}"
        return None if self.low <= value <= self.high else f"must be between {self.low} and {self.high}"


_AWS_LIMITS = {"memory_mb": Limit(128, 10240), "timeout_s": Limit(1, 900), "ephemeral_mb": Limit(512, 10240)}
_LIMITS: dict[str, dict[str, Limit]] = {
    "aws": _AWS_LIMITS,
    "azure/flex": {"memory_mb": Limit(choices=(512, 2048, 4096)), "timeout_s": Limit(1, 14400)},
    "azure/consumption": {"timeout_s": Limit(1, 600)},
}


def limits_for(platform: str, azure_plan: str = "flex") -> dict[str, Limit]:
    """The sizing limits on a platform; a field missing here does not apply there."""
    if platform == "azure":
        return _LIMITS[f"azure/{azure_plan}"]
    found = platforms.platform(platform)
    return _LIMITS[(found.limits or found.name) if found else platform]


def _cross_field_problems(values: dict[str, Any], given: set[str]) -> list[tuple[tuple, str]]:
    problems: list[tuple[tuple, str]] = []
    platform = values.get("platform")
    if platform:
        azure = values.get("azure")
        plan = azure.plan if azure else "flex"
        where = platforms.title(platform) + (f" ({plan} plan)" if platform == "azure" else "")
        limits = limits_for(platform, plan)
        for name in ("memory_mb", "timeout_s", "ephemeral_mb"):
            if name not in values:
                continue
            limit = limits.get(name)
            if limit is None:
                if name in given:
                    problems.append(((name,), f"does not apply to {where}; remove it"))
            elif (msg := limit.check(values[name])) is not None:
                problems.append(((name,), f"{msg} on {where} (got {values[name]})"))
        if platform == "azure" and values.get("packaging") == "image":
            problems.append((("packaging",), "Azure Functions deploys zip packages only; use packaging = \"zip\""))
        aws = values.get("aws")
        if aws is not None and aws.base_image and values.get("packaging") != "image":
            problems.append((("aws", "base_image"), "applies to container images only: set packaging = \"image\" "
                                                    "or remove it"))
        if platform in ("aws", "azure") and platform in values and values[platform] is None:
            keys = "region" if platform == "aws" else "subscription_id, resource_group and location"
            problems.append(((platform,), f"required for platform '{platform}': add a [profiles.NAME.{platform}] table with {keys}"))
    schedule, zone = values.get("schedule"), values.get("timezone")
    if schedule and zone and zone != "UTC":
        # The schedule fires in UTC (checked on its own); the zone's daylight-saving gaps can still skip
        # every time it names.
        try:
            check_fires(parse_schedule(schedule), zone)
        except ValueError as exc:
            problems.append((("schedule",), str(exc)))
    env, secrets = values.get("env", {}), values.get("secrets", [])
    both = sorted(set(env) & set(secrets))
    for name in both:
        problems.append((("env", name), "also listed in secrets; keep it in one place (secrets, if it is sensitive)"))
    # Azure's app settings (and Windows) ignore case: API_KEY and api_key would be one variable there.
    seen: dict[str, tuple[tuple, str]] = {}
    for loc, name in [*((("env", n), n) for n in env), *((("secrets", i), n) for i, n in enumerate(secrets))]:
        first = seen.setdefault(name.upper(), (loc, name))
        if first[1] != name:
            where = "env" if first[0][0] == "env" else "secrets"
            problems.append((loc, f"'{name}' and '{first[1]}' (in {where}) differ only in case; the cloud may treat "
                                  "them as one variable — keep one name"))
    for name, value in env.items():
        if problem := _python_setting_problem(name, value):
            problems.append((("env", name), f"{problem}; with {value!r} the function never starts"))
    if platform:
        for other in ("aws", "azure"):
            # Given, and not an explicit empty value (an invalid table is not in `values` and counts as given).
            if other in given and values.get(other, ...) is not None and platform != other and not (
                    other == "aws" and platform == "sandbox"):
                problems.append(((other,), f"the [{other}] settings do not apply to {platforms.title(platform)}; remove "
                                           f"them, or set platform = \"{other}\""))
    aws = values.get("aws")
    base = aws.base_image if aws is not None else None
    python = values.get("python")
    if base and python and values.get("packaging") == "image" and (
            m := re.search(r":(3\.\d+)(?![\d.]*\d)(?:[-_.]|$)", base.partition("@")[0].rsplit("/", 1)[-1])):
        if m.group(1) != python:
            problems.append((("aws", "base_image"), f"is a Python {m.group(1)} image, but python = \"{python}\": the "
                                                    f"dependencies are built for {python} and would not import; use "
                                                    f"the {python} image or set python = \"{m.group(1)}\""))
    return problems


_DEFAULT_PYTHON = DeploySpec.model_fields["python"].default


@functools.cache
def _field_adapter(name: str) -> TypeAdapter:
    info = DeploySpec.model_fields[name]
    if not info.metadata:
        return TypeAdapter(info.annotation)
    return TypeAdapter(Annotated[(info.annotation, *info.metadata)])  # type: ignore[valid-type]


def _valid_fields(data: Any, context: Any) -> tuple[dict[str, Any], set[str]]:
    """Each field of `data` that is valid on its own, plus defaults for the absent ones."""
    if not isinstance(data, dict):
        return {}, set()
    values: dict[str, Any] = {}
    for name, info in DeploySpec.model_fields.items():
        if name not in data:
            if not info.is_required():
                values[name] = info.get_default(call_default_factory=True)
            continue
        try:
            values[name] = _field_adapter(name).validate_python(data[name], context=context)
        except ValidationError:
            pass
    return values, set(data) & set(DeploySpec.model_fields)


# The whole-number fields (`Size`) and their defaults, shown as the example of how to write them.
_SIZE_FIELDS = {name: info.default for name, info in DeploySpec.model_fields.items() if Strict() in info.metadata}
_TABLE_EXAMPLES = {"aws": 'a [profiles.NAME.aws] table with region = "eu-west-1"',
                   "azure": "a [profiles.NAME.azure] table with subscription_id, resource_group and location",
                   "env": 'a table of names and values, e.g. env = { MARKET = "bitvavo" }',
                   "tags": 'a table of keys and values, e.g. tags = { team = "quant" }'}


def _what(given: Any) -> str:
    """A TOML value's kind, in the words of the file."""
    import datetime

    if isinstance(given, bool):
        return "a boolean"
    if isinstance(given, datetime.datetime | datetime.date | datetime.time):
        return "a date or time"
    return {str: "text", int: "a whole number", float: "a decimal number", list: "a list", dict: "a table"}.get(
        type(given), type(given).__name__)


def _shown(given: Any) -> str:
    if isinstance(given, bool):
        return str(given).lower()
    if isinstance(given, dict):
        return "{…}" if given else "{}"
    text = given.isoformat() if hasattr(given, "isoformat") else repr(given)
    return text if len(text) <= 40 else text[:37] + "..."


def _message(error: dict[str, Any]) -> str:
    kind = error["type"]
    loc = error["loc"]
    if kind == "botship":
        return error["msg"]
    if kind == "missing":
        model: type[BaseModel] = DeploySpec
        for part in loc[:-1]:
            model = TABLES.get(str(part), model)
        info = model.model_fields.get(str(loc[-1]))
        return f"required — {info.description}" if info else "required"
    if kind == "extra_forbidden":
        model = TABLES.get(str(loc[0]), DeploySpec) if len(loc) > 1 else DeploySpec
        close = difflib.get_close_matches(str(loc[-1]), model.model_fields, n=1)
        return "unknown key" + (f"; did you mean '{close[0]}'?" if close else f"; known keys: {', '.join(model.model_fields)}")
    if kind == "int_type" and loc and loc[-1] in _SIZE_FIELDS:
        given = error.get("input")
        what = "a boolean" if isinstance(given, bool) else "text" if isinstance(given, str) else type(given).__name__
        shown = str(given).lower() if isinstance(given, bool) else repr(given)
        return (f"must be a whole number, e.g. {loc[-1]} = {_SIZE_FIELDS[loc[-1]]} (got {shown}, {what})"
                + ("; write it without quotes" if isinstance(given, str) else ""))
    if loc == ("secrets",) and kind == "list_type" and isinstance(error.get("input"), dict):
        return "list secret names only, e.g. secrets = [\"API_KEY\"]; values belong in .env or the environment, never here"
    given = error.get("input")
    got = f"(got {_shown(given)}, {_what(given)})"
    key = next((str(part) for part in reversed(loc) if isinstance(part, str) and part != "[key]"), "value")
    if kind == "string_type":
        quoted = given.isoformat() if hasattr(given, "isoformat") else str(given).lower() if isinstance(given, bool) \
            else given if isinstance(given, int | float) else "…"
        example = f"{key} = \"{quoted}\"" if loc and isinstance(loc[-1], str) else f"\"{quoted}\""
        return f"must be text in quotes, e.g. {example} {got}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be {_TABLE_EXAMPLES.get(key, 'a table')} {got}"
    if kind == "list_type":
        return f"must be a list, e.g. {key} = [\"API_KEY\"] {got}"
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", error["msg"])
        close = next((c for c in choices if isinstance(given, str) and c.lower() == given.strip().lower()), None)
        hint = f"; did you mean '{close}'?" if close else ""
        if key == "python":
            hint = "; write it in quotes, e.g. python = \"3.12\" (without them, TOML reads 3.10 as the number 3.1)"
        listed = [repr(c) for c in choices]
        either = listed[0] if len(listed) == 1 else f"{', '.join(listed[:-1])} or {listed[-1]}"
        return f"must be {either} {got}{hint}"
    if kind in ("less_than_equal", "greater_than_equal"):
        bound = error.get("ctx", {}).get("le", error.get("ctx", {}).get("ge"))
        return f"must be {'at most' if kind == 'less_than_equal' else 'at least'} {bound} (got {_shown(given)})"
    return f"{error['msg']} {got}"


def problems_of(exc: ValidationError) -> list[Problem]:
    """A pydantic error as problems, each naming its field path."""
    out = []
    for e in exc.errors():
        path = ""
        for part in e["loc"]:
            if part == "[key]":
                continue
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        out.append(Problem(path, _message(e) if e["type"] != "botship" else e["msg"]))
    return out


def build_spec(data: dict[str, Any], project: Path | None = None, source: str = "the deploy spec") -> DeploySpec:
    """Validate answers into a spec, or raise SpecInvalid listing every problem at once."""
    try:
        context = {"project": project, "python": data.get("python", _DEFAULT_PYTHON)} if project else None
        return DeploySpec.model_validate(data, context=context)
    except ValidationError as exc:
        raise SpecInvalid(problems_of(exc), source) from None


def check_field(name: str, value: Any, answers: dict[str, Any], project: Path | None = None) -> list[Problem]:
    """Problems of one answer given the others — what a wizard input shows as the user types."""
    context = {"project": project, "python": {**answers, name: value}.get("python", _DEFAULT_PYTHON)} if project else None
    try:
        checked = _field_adapter(name).validate_python(value, context=context)
    except ValidationError as exc:
        return [Problem(_join(name, p.field), p.message) for p in problems_of(exc)]
    values, given = _valid_fields({**answers, name: checked}, context)
    return [Problem(".".join(map(str, loc)), msg) for loc, msg in _cross_field_problems(values, given) if loc[0] == name]


@dataclass(frozen=True)
class FieldDoc:
    """One answer as a form, a prompt or a profile key renders it: its key, help, default and choices."""

    key: str
    help: str
    required: bool
    default: Any = None
    choices: tuple[str, ...] = ()


def field_docs() -> list[FieldDoc]:
    """Every key of a profile, nested ones as `aws.region`, in declaration order."""
    docs: list[FieldDoc] = []

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, info in model.model_fields.items():
            nested = TABLES.get(name) if model is DeploySpec else None
            if nested:
                walk(nested, f"{name}.")
                continue
            literal = next((a for a in (info.annotation, *typing.get_args(info.annotation))
                            if typing.get_origin(a) is Literal), None)
            default = None if info.is_required() else info.get_default(call_default_factory=True)
            docs.append(FieldDoc(prefix + name, info.description or "", info.is_required(), default,
                                 typing.get_args(literal) if literal else ()))

    walk(DeploySpec, "")
    return docs


def profiles_schema() -> dict[str, Any]:
    """A JSON schema of botship.toml, for editors that check TOML against one."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "botship.toml",
        "type": "object",
        "properties": {"profiles": {"type": "object", "additionalProperties": {"$ref": "#/$defs/DeploySpec"}}},
        "$defs": {"DeploySpec": DeploySpec.model_json_schema(ref_template="#/$defs/DeploySpec/$defs/{model}")},
    }


def _join(name: str, sub: str) -> str:
    return name if not sub else f"{name}{sub}" if sub.startswith("[") else f"{name}.{sub}"


def to_profile(spec: DeploySpec) -> dict[str, Any]:
    """The spec as a profile table: what was set or differs from the default, plus the identifying keys."""
    data = spec.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    for key in ("platform", "bot_name", "entry", "python", "mode"):
        data[key] = getattr(spec, key)
    order = list(DeploySpec.model_fields)
    return {k: data[k] for k in sorted(data, key=order.index)}
