"""The deploy spec's model: DeploySpec and its settings tables, validated so that every problem shows at once."""

from __future__ import annotations

import functools
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, ValidationInfo, model_validator
from pydantic_core import InitErrorDetails

from . import providers as platforms
from .spec_checks import cross_field_problems
from .spec_messages import error_message
from .spec_rules import (
    AwsProfileName,
    BotName,
    Entry,
    Env,
    ImageReference,
    Location,
    PlatformName,
    PythonVersion,
    Region,
    ResourceGroup,
    ScheduleText,
    Secrets,
    Size,
    SubscriptionId,
    Tags,
    TenantId,
    Timezone,
    fail,
)


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
    tenant_id: TenantId | None = Field(
        None, description="Microsoft Entra tenant id (a GUID) holding the subscription; left out uses the sign-in's "
                          "home tenant")
    resource_group: ResourceGroup = Field(description="resource group to create or reuse")
    location: Location = Field(description="Azure location, e.g. westeurope")
    plan: Literal["flex", "consumption"] = Field("flex", description="hosting plan: Flex Consumption (current) or Consumption (retiring 2028)")
    cloud: Literal["public", "china", "usgovernment"] = Field(
        "public", description="which Azure cloud: public, china or usgovernment (a custom cloud is a file named by "
                              "BOTSHIP_AZURE_CLOUD_CONFIG)")


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
    memory_mb: Size = Field(512, description="memory for each run in MB")
    timeout_s: Size = Field(300, description="longest a run may take, in seconds")
    ephemeral_mb: Size = Field(512, description="/tmp space in MB")
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
            errors = [(tuple(e["loc"]), error_message(e, DeploySpec, TABLES)) for e in exc.errors()]
            values, given = valid_fields(data, info.context)
        else:
            errors = []
            values, given = dict(spec), set(spec.model_fields_set)
        errors += [(loc, msg) for loc, msg in cross_field_problems(values, given) if (loc, msg) not in errors]
        if errors:
            raise ValidationError.from_exception_data(
                cls.__name__,
                [InitErrorDetails(type=fail(msg), loc=loc, input=None) for loc, msg in errors],
            )
        return spec

    @property
    def platform_title(self) -> str:
        return platforms.title(self.platform)

    @property
    def where(self) -> str:
        """Where the bot lives, in words: platform and region or location (the platform says how: `where`)."""
        found = platforms.platform(self.platform)
        if found is None or not found.where:
            return self.platform_title
        table = getattr(self, found.required_table, None) if found.required_table else None
        if found.required_table and table is None:
            return self.platform_title
        words = found.where.format(**(table.model_dump() if table is not None else {}))
        return f"{self.platform_title} ({words})"

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


@functools.cache
def field_adapter(name: str) -> TypeAdapter:
    """A validator of one DeploySpec field on its own, with its rules."""
    info = DeploySpec.model_fields[name]
    if not info.metadata:
        return TypeAdapter(info.annotation)
    return TypeAdapter(Annotated[(info.annotation, *info.metadata)])  # type: ignore[valid-type]


def valid_fields(data: Any, context: Any) -> tuple[dict[str, Any], set[str]]:
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
            values[name] = field_adapter(name).validate_python(data[name], context=context)
        except ValidationError:
            pass
    return values, set(data) & set(DeploySpec.model_fields)
