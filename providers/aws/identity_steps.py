"""The bot's secret and IAM roles: one Secrets Manager secret, an execution role and a scheduler role, each scoped."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from botship.errors import BotshipError
from botship.secret_values import SecretValues

from ..plan import Action, Step
from .names import AwsNames, tags_match
from .policies import BOUNDARY_NAME, boundary_arn, boundary_policy, execution_policy, scheduler_policy, trust
from .session import AwsSession, error_code, translate

POLICY_NAME = "botship"
# The boundary is shared by every bot of the account: tagged as botship's, not as any one bot's.
BOUNDARY_TAGS = {"botship:shared": "role-boundary"}


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
        """The secret as stored: ARN, values, version, tags and `deleted` (when its deletion is scheduled) —
        None when there is no secret yet. A secret scheduled for deletion has no readable values."""
        try:
            described = self.client.describe_secret(SecretId=self.names.secret)
            tags = {t["Key"]: t["Value"] for t in described.get("Tags", [])}
            if deleted := described.get("DeletedDate"):
                return {"arn": described["ARN"], "values": None, "version": None, "tags": tags, "deleted": deleted}
            stored = self.client.get_secret_value(SecretId=self.names.secret)
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise translate(exc, f"reading secret {self.names.secret}") from None
        return {"arn": described["ARN"], "values": json.loads(stored["SecretString"]), "version": stored["VersionId"],
                "tags": tags, "deleted": None}

    def _tagged(self, current: dict[str, Any]) -> bool:
        return tags_match(current["tags"], self.tags)

    def step(self) -> Step | None:
        if not self.values:
            return None
        current = self._current()
        if current is not None and current["deleted"]:
            # A destroy scheduled it for deletion: the deploy cancels that (RestoreSecret), then writes the values.
            return Step("secret", "Secret values", self.names.secret, Action.UPDATE, self.apply,
                        detail=f"restore (its deletion was scheduled for {current['deleted']:%Y-%m-%d}); "
                               + ", ".join(self.values))
        same_values = current is not None and current["values"] == dict(self.values)
        action = (Action.CREATE if current is None
                  else Action.NO_CHANGE if same_values and self._tagged(current) else Action.UPDATE)
        # Outputs are known now only if the values stay; otherwise the function waits for the new version.
        outputs = {"secret_arn": current["arn"], "secret_version": current["version"]} if same_values else {}
        return Step("secret", "Secret values", self.names.secret, action, self.apply,
                    detail=", ".join(self.values), outputs=outputs)

    def apply(self, ctx) -> dict[str, Any]:
        current = self._current()
        if current is not None and current["deleted"]:
            try:
                self.client.restore_secret(SecretId=self.names.secret)
            except Exception as exc:  # noqa: BLE001
                raise translate(exc, f"restoring secret {self.names.secret}") from None
            ctx.log("restored the secret (its scheduled deletion is cancelled)")
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


class RoleBoundary:
    """The managed policy every botship role carries as its permissions boundary (see `boundary_policy`).

    Created once per account and then only read: its content is botship's, and the deploy policy lets a
    deployer create it when it is absent but never change or delete it (a deployer who could rewrite it
    could widen every bot role). A boundary that differs from this botship's is repaired only by
    someone allowed iam:CreatePolicyVersion on it (an administrator), and the step says so.
    """

    def __init__(self, session: AwsSession, names: AwsNames) -> None:
        self.iam = session.client("iam")
        self.arn = boundary_arn(names.account)
        self.document = boundary_policy(names.account)

    def _current(self) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """The policy (with its tags) and its default version's document; (None, None) when absent."""
        try:
            policy = self.iam.get_policy(PolicyArn=self.arn)["Policy"]
            version = self.iam.get_policy_version(PolicyArn=self.arn, VersionId=policy["DefaultVersionId"])
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) == "NoSuchEntity":
                return None, None
            raise translate(exc, f"reading policy {BOUNDARY_NAME}") from None
        return policy, _as_dict(version["PolicyVersion"]["Document"])

    @staticmethod
    def _tagged(policy: dict[str, Any]) -> bool:
        stored = {t["Key"]: t["Value"] for t in policy.get("Tags", [])}
        return all(stored.get(k) == v for k, v in BOUNDARY_TAGS.items())

    def step(self) -> Step:
        policy, document = self._current()
        action = (Action.CREATE if policy is None
                  else Action.NO_CHANGE if document == self.document and self._tagged(policy) else Action.UPDATE)
        detail = "shared by every botship role of the account; caps what a bot role may do"
        if policy is not None and document != self.document:
            detail = "differs from this botship's boundary: needs iam:CreatePolicyVersion (an administrator)"
        return Step("role-boundary", "Role permissions boundary", BOUNDARY_NAME, action, self.apply,
                    detail=detail, outputs={"boundary_arn": self.arn})

    def apply(self, ctx) -> dict[str, Any]:
        policy, document = self._current()
        try:
            if policy is None:
                try:
                    self.iam.create_policy(PolicyName=BOUNDARY_NAME, PolicyDocument=json.dumps(self.document),
                                           Description="botship: the most any botship bot role may do",
                                           Tags=_tags(BOUNDARY_TAGS))
                    ctx.log(f"created policy {BOUNDARY_NAME}")
                except Exception as exc:  # noqa: BLE001 - another deploy made it meanwhile: read it again
                    if error_code(exc) != "EntityAlreadyExists":
                        raise
                    policy, document = self._current()
            if policy is not None and document != self.document:
                self._replace_version(ctx)
            if policy is not None and not self._tagged(policy):
                self.iam.tag_policy(PolicyArn=self.arn, Tags=_tags(BOUNDARY_TAGS))
        except BotshipError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, f"setting up policy {BOUNDARY_NAME}") from None
        return {"boundary_arn": self.arn}

    def _replace_version(self, ctx) -> None:
        """Make botship's document the default version (IAM keeps at most five: the oldest other one goes)."""
        try:
            versions = self.iam.list_policy_versions(PolicyArn=self.arn)["Versions"]
            if len(versions) >= 5:
                oldest = min((v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"])
                self.iam.delete_policy_version(PolicyArn=self.arn, VersionId=oldest["VersionId"])
            self.iam.create_policy_version(PolicyArn=self.arn, PolicyDocument=json.dumps(self.document),
                                           SetAsDefault=True)
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) in ("AccessDenied", "AccessDeniedException"):
                raise BotshipError(
                    f"the role boundary {BOUNDARY_NAME} differs from what this botship version sets",
                    "botship's deploy policy may create the boundary but never change it, so no deployer can widen "
                    "what bot roles may do",
                    "have an administrator (allowed iam:CreatePolicyVersion on it) run this deploy once; "
                    "it sets botship's document, then deploys go on as before") from None
            raise
        ctx.log(f"replaced the document of {BOUNDARY_NAME}")


class BotRole:
    """An IAM role trusted by one service, with one inline policy and botship's permissions boundary;
    trust, policy and boundary are read and compared."""

    def __init__(self, session: AwsSession, name: str, trust_policy: dict[str, Any], policy: dict[str, Any],
                 title: str, step_id: str, tags: dict[str, str], boundary: RoleBoundary) -> None:
        self.iam = session.client("iam")
        self.name, self.trust_policy, self.policy = name, trust_policy, policy
        self.title, self.step_id, self.tags = title, step_id, tags
        # Its own plan step (`role.boundary.step`), planned before the role: the role is created with it.
        self.boundary = boundary

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
        return tags_match(stored, self.tags)

    def _bounded(self, role: dict[str, Any]) -> bool:
        return role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn") == self.boundary.arn

    def step(self) -> Step:
        role, current = self._current()
        action = (Action.CREATE if role is None else Action.NO_CHANGE
                  if current == self.policy and self._trusted(role) and self._tagged(role) and self._bounded(role)
                  else Action.UPDATE)
        detail = "add permissions boundary" if role is not None and not self._bounded(role) else ""
        return Step(self.step_id, self.title, self.name, action, self.apply, detail=detail,
                    outputs={"role_arn": role["Arn"]} if role else {})

    def apply(self, ctx) -> dict[str, Any]:
        role, current = self._current()
        try:
            if role is None:
                role = self.iam.create_role(RoleName=self.name, AssumeRolePolicyDocument=json.dumps(self.trust_policy),
                                            Description=f"botship: {self.title.lower()}", Tags=_tags(self.tags),
                                            PermissionsBoundary=self.boundary.arn)["Role"]
                ctx.log(f"created role {self.name}")
            else:
                if not self._bounded(role):
                    # First, so the writes below are allowed (the deploy policy requires the boundary for them).
                    self.iam.put_role_permissions_boundary(RoleName=self.name, PermissionsBoundary=self.boundary.arn)
                    ctx.log(f"permissions boundary set: {BOUNDARY_NAME}")
                if not self._trusted(role):
                    self.iam.update_assume_role_policy(RoleName=self.name,
                                                       PolicyDocument=json.dumps(self.trust_policy))
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


def execution_role(session: AwsSession, names: AwsNames, tags: dict[str, str], with_secret: bool,
                   mode: str | None = None) -> BotRole:
    """The function's role; its objects are those under its own mode's prefix (`mode`, else the tags' mode)."""
    mode = mode or tags.get("botship:mode") or "paper"
    return BotRole(session, names.execution_role, trust("lambda.amazonaws.com"),
                   execution_policy(names, with_secret, mode), "Execution role", "execution-role", tags,
                   RoleBoundary(session, names))


def scheduler_role(session: AwsSession, names: AwsNames, tags: dict[str, str]) -> BotRole:
    return BotRole(session, names.scheduler_role, trust("scheduler.amazonaws.com", names.account),
                   scheduler_policy(names), "Scheduler role", "scheduler-role", tags, RoleBoundary(session, names))
