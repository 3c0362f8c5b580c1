"""The bot's secret and IAM roles: one Secrets Manager secret, an execution role and a scheduler role, each scoped."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from botship.secret_values import SecretValues

from ..plan import Action, Step
from .names import AwsNames
from .policies import execution_policy, scheduler_policy, trust
from .session import AwsSession, error_code, translate

POLICY_NAME = "botship"


def _tags(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in sorted(tags.items())]


class BotSecret:
    """All the spec's secret values as one JSON secret; written only when a value changed."""

    def __init__(self, session: AwsSession, names: AwsNames, values: SecretValues, tags: dict[str, str]) -> None:
        self.client = session.client("secretsmanager")
        self.names = names
        self.values = values
        self.tags = tags

    def _current(self) -> dict[str, Any] | None:
        """The secret as stored: ARN, values, version and tags — None when there is no secret yet."""
        try:
            described = self.client.describe_secret(SecretId=self.names.secret)
            stored = self.client.get_secret_value(SecretId=self.names.secret)
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise translate(exc, f"reading secret {self.names.secret}") from None
        return {"arn": described["ARN"], "values": json.loads(stored["SecretString"]), "version": stored["VersionId"],
                "tags": {t["Key"]: t["Value"] for t in described.get("Tags", [])}}

    def _tagged(self, current: dict[str, Any]) -> bool:
        return all(current["tags"].get(k) == v for k, v in self.tags.items())

    def step(self) -> Step | None:
        if not self.values:
            return None
        current = self._current()
        same_values = current is not None and current["values"] == dict(self.values)
        action = (Action.CREATE if current is None
                  else Action.NO_CHANGE if same_values and self._tagged(current) else Action.UPDATE)
        # Outputs are known now only if the values stay; otherwise the function waits for the new version.
        outputs = {"secret_arn": current["arn"], "secret_version": current["version"]} if same_values else {}
        return Step("secret", "Secret values", self.names.secret, action, self.apply,
                    detail=", ".join(self.values), outputs=outputs)

    def apply(self, ctx) -> dict[str, Any]:
        current = self._current()
        body = json.dumps(dict(self.values), sort_keys=True)
        try:
            if current is None:
                created = self.client.create_secret(Name=self.names.secret, SecretString=body, Tags=_tags(self.tags),
                                                    Description="Secret values of a botship bot")
                arn, version = created["ARN"], created["VersionId"]
                ctx.log(f"created secret with {len(self.values)} value(s): {', '.join(self.values)}")
            else:
                arn, version = current["arn"], current["version"]
                if current["values"] != dict(self.values):
                    version = self.client.put_secret_value(SecretId=arn, SecretString=body)["VersionId"]
                    changed = sorted(k for k in self.values if current["values"].get(k) != self.values[k])
                    ctx.log(f"updated value(s): {', '.join(changed) or 'removed some'}")
                if not self._tagged(current):
                    self.client.tag_resource(SecretId=arn, Tags=_tags(self.tags))
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, f"writing secret {self.names.secret}") from None
        # The version goes into the function's configuration, so new values reach fresh containers.
        return {"secret_arn": arn, "secret_version": version}


class BotRole:
    """An IAM role trusted by one service, with one inline policy; trust and policy are read and compared."""

    def __init__(self, session: AwsSession, name: str, trust_policy: dict[str, Any], policy: dict[str, Any],
                 title: str, step_id: str, tags: dict[str, str]) -> None:
        self.iam = session.client("iam")
        self.name, self.trust_policy, self.policy = name, trust_policy, policy
        self.title, self.step_id, self.tags = title, step_id, tags

    def _current(self) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        try:
            role = self.iam.get_role(RoleName=self.name)["Role"]
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) == "NoSuchEntity":
                return None, None
            raise translate(exc, f"reading role {self.name}") from None
        try:
            document = self.iam.get_role_policy(RoleName=self.name, PolicyName=POLICY_NAME)["PolicyDocument"]
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) != "NoSuchEntity":
                raise translate(exc, f"reading role {self.name}") from None
            document = None
        return role, _as_dict(document)

    def _trusted(self, role: dict[str, Any]) -> bool:
        return _as_dict(role["AssumeRolePolicyDocument"]) == self.trust_policy

    def _tagged(self, role: dict[str, Any]) -> bool:
        stored = {t["Key"]: t["Value"] for t in role.get("Tags", [])}
        return all(stored.get(k) == v for k, v in self.tags.items())

    def step(self) -> Step:
        role, current = self._current()
        action = (Action.CREATE if role is None else Action.NO_CHANGE
                  if current == self.policy and self._trusted(role) and self._tagged(role) else Action.UPDATE)
        return Step(self.step_id, self.title, self.name, action, self.apply,
                    outputs={"role_arn": role["Arn"]} if role else {})

    def apply(self, ctx) -> dict[str, Any]:
        role, current = self._current()
        try:
            if role is None:
                role = self.iam.create_role(RoleName=self.name, AssumeRolePolicyDocument=json.dumps(self.trust_policy),
                                            Description=f"botship: {self.title.lower()}", Tags=_tags(self.tags))["Role"]
                ctx.log(f"created role {self.name}")
            elif not self._trusted(role):
                self.iam.update_assume_role_policy(RoleName=self.name, PolicyDocument=json.dumps(self.trust_policy))
                ctx.log("trust policy repaired")
            if not self._tagged(role):
                self.iam.tag_role(RoleName=self.name, Tags=_tags(self.tags))
            if current != self.policy:
                self.iam.put_role_policy(RoleName=self.name, PolicyName=POLICY_NAME, PolicyDocument=json.dumps(self.policy))
                ctx.log("permissions: " + ", ".join(s["Sid"] for s in self.policy["Statement"]))
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, f"setting up role {self.name}") from None
        return {"role_arn": role["Arn"]}


def _as_dict(document: Any) -> dict[str, Any] | None:
    """IAM returns policy documents URL-encoded (or already decoded, depending on the SDK and the emulator)."""
    if document is None or isinstance(document, dict):
        return document
    return json.loads(unquote(document))


def execution_role(session: AwsSession, names: AwsNames, tags: dict[str, str], with_secret: bool) -> BotRole:
    return BotRole(session, names.execution_role, trust("lambda.amazonaws.com"), execution_policy(names, with_secret),
                   "Execution role", "execution-role", tags)


def scheduler_role(session: AwsSession, names: AwsNames, tags: dict[str, str]) -> BotRole:
    return BotRole(session, names.scheduler_role, trust("scheduler.amazonaws.com", names.account),
                   scheduler_policy(names), "Scheduler role", "scheduler-role", tags)
