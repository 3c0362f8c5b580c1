"""The deploy policy is complete: every AWS call every command makes is allowed by it.

Each command runs in this process against moto's server, the CLI ones through `botship.cli.main`.
Every call any AwsSession's clients make is recorded (botocore's `before-parameter-build` event, which
sees the call's own parameters) and turned into the IAM action(s) AWS authorizes it with, on the
resource it names, with the condition values it carries. Each must be allowed by the policy
`botship doctor --policy` prints, be among `required_actions`, and be granted on that resource —
evaluated here with IAM's rules for Allow/Deny, wildcards and StringEquals/StringLike.

moto has no IAM policy simulator: here it is a strict fake that evaluates the printed policy the same
way, so `botship doctor` passing its permission check means the check and the printed policy agree.
"""

from __future__ import annotations

import fnmatch
import json
import time
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse

from botship.cli import main
from botship.providers.aws.preflight import PUSH_ACTIONS, required_actions
from botship.providers.aws.session import AwsSession
from helpers import HOST_PYTHON

ACCOUNT, REGION = "123456789012", "eu-west-1"
BOT = "policy-bot"


# ---- IAM's evaluation, as far as botship's policies use it -----------------------------------------

def _list(value) -> list:
    return value if isinstance(value, list) else [value]


def _statement_matches(statement: dict, action: str, resource: str, context: dict[str, str]) -> bool:
    if not any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in _list(statement["Action"])):
        return False
    if not any(fnmatch.fnmatchcase(resource, r) for r in _list(statement["Resource"])):
        return False
    for operator, tests in statement.get("Condition", {}).items():
        if_exists = operator.endswith("IfExists")
        operator = operator.removesuffix("IfExists")
        for key, wanted in tests.items():
            have = context.get(key)
            if have is None:  # a condition on a key the request does not carry does not match, unless IfExists
                if if_exists:
                    continue
                return False
            if operator == "StringEquals":
                ok = have in _list(wanted)
            elif operator == "StringLike":
                ok = any(fnmatch.fnmatchcase(have, w) for w in _list(wanted))
            else:
                raise AssertionError(f"the test's evaluator does not know the condition operator {operator}")
            if not ok:
                return False
    return True


def decide(policy: dict, action: str, resource: str, context: dict[str, str]) -> str:
    decision = "implicitDeny"
    for statement in policy["Statement"]:
        if _statement_matches(statement, action, resource, context):
            if statement["Effect"] == "Deny":
                return "explicitDeny"
            decision = "allowed"
    return decision


# ---- from an API call to what IAM authorizes it with ----------------------------------------------

@dataclass(frozen=True)
class Need:
    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()


def _s3(op: str, p: dict) -> list[Need]:
    bucket = f"arn:aws:s3:::{p['Bucket']}"
    obj = f"{bucket}/{p.get('Key', '')}"
    versioned = bool(p.get("VersionId"))
    bucket_level = {"HeadBucket": "ListBucket", "ListObjectsV2": "ListBucket", "ListObjects": "ListBucket",
                    "ListObjectVersions": "ListBucketVersions", "GetBucketEncryption": "GetEncryptionConfiguration",
                    "PutBucketEncryption": "PutEncryptionConfiguration",
                    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
                    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
                    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
                    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
                    "DeleteBucketLifecycle": "PutLifecycleConfiguration",
                    "CreateBucket": "CreateBucket", "DeleteBucket": "DeleteBucket",
                    "GetBucketVersioning": "GetBucketVersioning", "PutBucketVersioning": "PutBucketVersioning",
                    "GetBucketPolicy": "GetBucketPolicy", "PutBucketPolicy": "PutBucketPolicy",
                    "GetBucketTagging": "GetBucketTagging", "PutBucketTagging": "PutBucketTagging",
                    "GetBucketLocation": "GetBucketLocation"}
    if op in bucket_level:
        return [Need(f"s3:{bucket_level[op]}", bucket)]
    if op in ("GetObject", "HeadObject"):
        return [Need("s3:GetObjectVersion" if versioned else "s3:GetObject", obj)]
    if op in ("PutObject", "CreateMultipartUpload", "UploadPart", "CompleteMultipartUpload"):
        return [Need("s3:PutObject", obj)]
    if op == "AbortMultipartUpload":
        return [Need("s3:AbortMultipartUpload", obj)]
    if op == "DeleteObject":
        return [Need("s3:DeleteObjectVersion" if versioned else "s3:DeleteObject", obj)]
    if op == "DeleteObjects":
        return [Need("s3:DeleteObjectVersion" if o.get("VersionId") else "s3:DeleteObject", f"{bucket}/{o['Key']}")
                for o in p["Delete"]["Objects"]]
    if op == "CopyObject":
        source = p["CopySource"]
        source = source if isinstance(source, dict) else {"Bucket": source.split("/")[0],
                                                          "Key": source.split("/", 1)[1].split("?")[0]}
        return [Need("s3:PutObject", obj),
                Need("s3:GetObjectVersion" if source.get("VersionId") else "s3:GetObject",
                     f"arn:aws:s3:::{source['Bucket']}/{source['Key']}")]
    raise KeyError(op)


def _name_arn(service: str, kind: str, name: str) -> str:
    return name if name.startswith("arn:") else f"arn:aws:{service}:{REGION}:{ACCOUNT}:{kind}{name}"


def _tagged_if_created(service: str, op: str, resource: str, create: str, tags) -> list[Need]:
    """The call's own need; the call creating the resource with tags also needs <service>:TagResource."""
    result = [Need(f"{service}:{op}", resource)]
    if op == create and tags:
        result.append(Need(f"{service}:TagResource", resource))
    return result


def needs(service: str, op: str, p: dict[str, Any], role_boundary) -> list[Need]:
    """The IAM action(s), resource and condition values AWS checks for one call (KeyError: not mapped yet)."""
    if service == "sts" and op == "GetCallerIdentity":
        return []  # needs no permission
    if service == "s3":
        return _s3(op, p)
    if service == "iam":
        if op == "SimulatePrincipalPolicy":
            # (moto names its user arn:aws:sts::…:user/moto; IAM users are arn:aws:iam::…:user/NAME)
            return [Need("iam:SimulatePrincipalPolicy", p["PolicySourceArn"].replace(":sts::", ":iam::", 1))]
        if "PolicyArn" in p or op == "CreatePolicy":
            arn = p.get("PolicyArn") or f"arn:aws:iam::{ACCOUNT}:policy{p.get('Path', '/')}{p['PolicyName']}"
            extra = [Need("iam:TagPolicy", arn)] if op == "CreatePolicy" and p.get("Tags") else []
            return [Need(f"iam:{op}", arn)] + extra
        role = f"arn:aws:iam::{ACCOUNT}:role/{p['RoleName']}"
        if op == "CreateRole":
            context = (("iam:PermissionsBoundary", p["PermissionsBoundary"]),) if p.get("PermissionsBoundary") else ()
            return [Need("iam:CreateRole", role, context)] + ([Need("iam:TagRole", role)] if p.get("Tags") else [])
        if op == "PutRolePermissionsBoundary":
            return [Need(f"iam:{op}", role, (("iam:PermissionsBoundary", p["PermissionsBoundary"]),))]
        if op in ("PutRolePolicy", "AttachRolePolicy", "DeleteRolePolicy", "DetachRolePolicy"):
            # The key is the boundary the role carries when the call is made.
            boundary = role_boundary(p["RoleName"])
            return [Need(f"iam:{op}", role, (("iam:PermissionsBoundary", boundary),) if boundary else ())]
        return [Need(f"iam:{op}", role)]
    if service == "lambda":
        if op == "GetAccountSettings":
            return [Need("lambda:GetAccountSettings", "*")]
        function = _name_arn("lambda", "function:", p.get("FunctionName") or p.get("Resource"))
        result = [Need("lambda:InvokeFunction" if op == "Invoke" else f"lambda:{op}", function)]
        if op in ("CreateFunction", "UpdateFunctionConfiguration") and p.get("Role"):
            result.append(Need("iam:PassRole", p["Role"], (("iam:PassedToService", "lambda.amazonaws.com"),)))
        if op == "CreateFunction" and p.get("Tags"):
            result.append(Need("lambda:TagResource", function))
        code = p.get("Code") or p
        if op in ("CreateFunction", "UpdateFunctionCode") and code.get("ImageUri"):
            # Lambda reads the image, and grants itself pulls in the repository's policy, as the caller.
            repository = code["ImageUri"].split("/", 1)[1].split("@")[0].rsplit(":", 1)[0]
            result += [Need(f"ecr:{a}", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{repository}")
                       for a in ("BatchGetImage", "GetDownloadUrlForLayer", "GetRepositoryPolicy",
                                 "SetRepositoryPolicy")]
        if op in ("CreateFunction", "UpdateFunctionCode") and code.get("S3Bucket"):
            result.append(Need("s3:GetObject", f"arn:aws:s3:::{code['S3Bucket']}/{code['S3Key']}"))
        return result
    if service == "logs":
        if op == "DescribeLogGroups":
            return [Need("logs:DescribeLogGroups", "*")]
        group = p.get("resourceArn") or _name_arn("logs", "log-group:", p["logGroupName"])
        return _tagged_if_created(service, op, group, "CreateLogGroup", p.get("tags"))
    if service == "scheduler":
        if op == "ListSchedules":
            return [Need("scheduler:ListSchedules", "*")]
        schedule = f"arn:aws:scheduler:{REGION}:{ACCOUNT}:schedule/{p.get('GroupName', 'default')}/{p['Name']}"
        result = [Need(f"scheduler:{op}", schedule)]
        if op in ("CreateSchedule", "UpdateSchedule"):
            result.append(Need("iam:PassRole", p["Target"]["RoleArn"],
                               (("iam:PassedToService", "scheduler.amazonaws.com"),)))
        return result
    if service == "secretsmanager":
        name = p.get("SecretId") or p["Name"]
        secret = name if name.startswith("arn:") else f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-AbCdEf"
        return _tagged_if_created(service, op, secret, "CreateSecret", p.get("Tags"))
    if service == "ecr":
        if op == "GetAuthorizationToken":
            return [Need("ecr:GetAuthorizationToken", "*")]
        names = p.get("repositoryNames") or [p.get("repositoryName") or p["resourceArn"].split("repository/")[1]]
        result = [Need(f"ecr:{op}", f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/{n}") for n in names]
        if op == "CreateRepository" and p.get("tags"):
            result += [Need("ecr:TagResource", r.resource) for r in result]
        return result
    if service == "resourcegroupstaggingapi" and op == "GetResources":
        return [Need("tag:GetResources", "*")]
    raise KeyError(op)


# ---- recording every command's calls ------------------------------------------------------------

@dataclass
class Recorder:
    command: str = "setup"
    calls: list[tuple[str, str, str, dict]] = field(default_factory=list)  # (command, service, op, params)
    needed: dict[Need, list[str]] = field(default_factory=dict)
    unmapped: list[str] = field(default_factory=list)
    # Calls a command makes knowing they may be denied, and goes on without (with why).
    tolerated: dict[tuple[str, str], str] = field(default_factory=dict)
    policy: dict | None = None

    def need(self, need: Need) -> None:
        commands = self.needed.setdefault(need, [])
        if self.command not in commands:
            commands.append(self.command)


def _role_boundary(name: str) -> str | None:
    """The boundary a role carries right now (read by an unrecorded admin client)."""
    try:
        role = boto3.client("iam").get_role(RoleName=name)["Role"]
    except Exception:  # noqa: BLE001
        return None
    return role.get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")


@pytest.fixture
def recorder(aws, monkeypatch, dependency_cache) -> Recorder:
    monkeypatch.setenv("BOTSHIP_CACHE_DIR", str(dependency_cache))
    monkeypatch.setenv("NO_COLOR", "1")
    rec = Recorder()
    made = AwsSession.client

    def on_call(model, params, **kwargs):
        service, op = model.service_model.service_name, model.name
        rec.calls.append((rec.command, service, op, dict(params)))
        kwargs["context"]["botship_test_params"] = dict(params)
        try:
            for need in needs(service, op, params, _role_boundary):
                rec.need(need)
        except KeyError:
            rec.unmapped.append(f"{service}:{op} (in {rec.command})")

    def simulate(params, context, **kwargs):
        """A strict IAM policy simulator over the policy `doctor --policy` printed."""
        api = context["botship_test_params"]
        assert rec.policy is not None, "the simulator was asked before the policy was printed"
        entries = {e["ContextKeyName"]: e["ContextKeyValues"][0] for e in api.get("ContextEntries", [])}
        results = [{"EvalActionName": action, "EvalResourceName": resource,
                    "EvalDecision": decide(rec.policy, action, resource, entries)}
                   for action in api["ActionNames"] for resource in api.get("ResourceArns", ["*"])]
        return AWSResponse(None, 200, {}, None), {"EvaluationResults": results, "IsTruncated": False}

    def invoke(**kwargs):
        """moto runs functions only in its own Docker: Lambda's answer to Invoke is made up here."""
        body = b'{"statusCode": 200, "body": "{}"}'
        from botocore.response import StreamingBody
        import io

        return AWSResponse(None, 200, {}, None), {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(body),
                                                                                                 len(body))}

    def client(self, service):
        new = made(self, service)
        if not getattr(new, "_policy_test_recorded", False):
            new._policy_test_recorded = True
            new.meta.events.register_first("before-parameter-build", on_call)
            if service == "iam":
                new.meta.events.register("before-call.iam.SimulatePrincipalPolicy", simulate)
            if service == "lambda":
                new.meta.events.register("before-call.lambda.Invoke", invoke)
        return new

    monkeypatch.setattr(AwsSession, "client", client)
    return rec


def write_profile(project: Path, **settings) -> None:
    values = {"mode": "paper", "packaging": "zip", "schedule": "rate(15 minutes)", "timezone": "Europe/Amsterdam",
              "memory_mb": 256, "aws": {"region": REGION}, **settings}
    lines = [f"{k} = {json.dumps(v)}" for k, v in values.items() if v is not None and not isinstance(v, dict)]
    tables = {k: v for k, v in values.items() if isinstance(v, dict)}
    text = textwrap.dedent(f"""\
        [profiles.prod]
        platform = "aws"
        bot_name = "{BOT}"
        entry = "app:handler"
        python = "{HOST_PYTHON}"
        """) + "\n".join(lines) + "\n"
    for name, table in tables.items():
        text += f"[profiles.prod.{name}]\n" + "".join(f"{json.dumps(k)} = {json.dumps(v)}\n" for k, v in table.items())
    (project / "botship.toml").write_text(text)


def run(rec: Recorder, project: Path, command: str, *argv: str, capsys) -> str:
    rec.command = command
    code = main([*argv, "--project", str(project)])
    out = capsys.readouterr()
    assert code == 0, f"`botship {' '.join(argv)}` ({command}) exited {code}:\n{out.out}\n{out.err}"
    return out.out


def provider_for(project: Path):
    from botship.profiles import ProfileStore
    from botship.providers.aws.provider import AwsProvider

    store = ProfileStore(project)
    return AwsProvider(store.spec(store.pick("prod")), AwsSession(REGION))


def check_against_policy(rec: Recorder, packaging: str, unused_among: str = "") -> None:
    assert not rec.unmapped, "calls the test cannot map to IAM actions yet (add them to `needs`): " + ", ".join(
        sorted(set(rec.unmapped)))
    required = set(required_actions(packaging))
    problems = []
    for need, commands in sorted(rec.needed.items(), key=lambda item: (item[0].action, item[0].resource)):
        if (need.action, commands[0]) in rec.tolerated:
            continue
        where = ", ".join(commands)
        if need.action not in required:
            problems.append(f"{need.action} is not in required_actions({packaging!r}) (needed by: {where})")
        decision = decide(rec.policy, need.action, need.resource, dict(need.context))
        if decision != "allowed":
            problems.append(f"{need.action} on {need.resource}{' with ' + str(dict(need.context)) if need.context else ''}"
                            f" is {decision} by the deploy policy (needed by: {where})")
    assert not problems, "the deploy policy misses what commands do:\n  " + "\n  ".join(problems)
    # …and grants nothing no command uses.
    unused = {a for a in required if a.startswith(unused_among)} - {need.action for need in rec.needed} - set(
        NOT_SEEN_HERE)
    assert not unused, f"granted, but no command called them: {sorted(unused)}"


# Granted, though no call here shows them: each for a path moto's server does not take.
NOT_SEEN_HERE = {
    "iam:UpdateAssumeRolePolicy": "repairs a role's trust policy someone changed",
    "s3:PutBucketPolicy": "the TLS-only bucket policy, left out over an emulator's plain HTTP",
    "ecr:PutImageScanningConfiguration": "repairs a repository's scan-on-push someone turned off",
}


def plant_lock(bucket: str, **fields) -> None:
    """Another deploy's lock, written as botship writes one (outside the recorded calls)."""
    body = {"owner": "someone-else", "user": "ann", "host": "ci-runner-7", "profile": "prod",
            "started": time.time(), "expires": time.time() + 600, **fields}
    boto3.client("s3").put_object(Bucket=bucket, Key="_botship/deploy.lock", Body=json.dumps(body).encode())


def print_policy(rec: Recorder, project: Path, capsys) -> dict:
    printed = json.loads(run(rec, project, "doctor --policy", "doctor", "--policy", capsys=capsys))
    rec.policy = printed
    return printed


def test_every_call_of_every_command_of_a_zip_bot_is_allowed_by_the_policy(recorder, project, monkeypatch, capsys,
                                                                            tmp_path):
    rec = recorder
    monkeypatch.setenv("EXCHANGE_API_KEY", "key-1")
    write_profile(project, secrets=["EXCHANGE_API_KEY"], env={"MARKET": "bitvavo"}, tags={"team": "quant"})
    print_policy(rec, project, capsys)
    doctor = run(rec, project, "doctor", "doctor", capsys=capsys)
    assert "✓ permissions: all" in doctor, doctor  # the simulated check passes on exactly the printed policy

    run(rec, project, "first deploy", "deploy", "--yes", capsys=capsys)
    run(rec, project, "unchanged re-deploy", "deploy", "--yes", capsys=capsys)
    (project / "app.py").write_text((project / "app.py").read_text() + "\n# changed\n")
    run(rec, project, "deploy: code", "deploy", "--yes", capsys=capsys)
    updates = [
        ("env", {"env": {"MARKET": "kraken"}}),
        ("memory", {"memory_mb": 512}),
        ("schedule changed", {"schedule": "rate(1 hour)"}),
        ("tags", {"tags": {"team": "quant", "cost": "bots"}}),
        ("schedule removed", {"schedule": None}),
        ("schedule added", {"schedule": "rate(30 minutes)"}),
        ("secret removed", {"secrets": None}),
        ("secret added", {"secrets": ["EXCHANGE_API_KEY"]}),
    ]
    settings: dict[str, Any] = {"secrets": ["EXCHANGE_API_KEY"], "env": {"MARKET": "bitvavo"}, "tags": {"team": "quant"}}
    for what, change in updates:
        settings.update(change)
        write_profile(project, **settings)
        run(rec, project, f"deploy: {what}", "deploy", "--yes", capsys=capsys)
    monkeypatch.setenv("EXCHANGE_API_KEY", "key-2")
    run(rec, project, "deploy: secret value", "deploy", "--yes", capsys=capsys)
    # A role made before botship set boundaries gets one on the next deploy.
    boto3.client("iam").delete_role_permissions_boundary(RoleName=f"botship-{BOT}-run")
    run(rec, project, "deploy: role without boundary", "deploy", "--yes", capsys=capsys)
    settings["mode"] = "live"
    write_profile(project, **settings)
    run(rec, project, "deploy: mode", "deploy", "--yes", "--confirm-live", capsys=capsys)

    provider = provider_for(project)
    # The deploy lock's own paths: a deploy refused by --no-wait, `unlock`, and a deploy taking over a dead lock.
    settings["memory_mb"] = 384  # a change, so the deploys below take the lock
    write_profile(project, **settings)
    plant_lock(provider.names.bucket)
    rec.command = "deploy --no-wait (lock held)"
    assert main(["deploy", "--yes", "--confirm-live", "--no-wait", "--project", str(project)]) == 1
    capsys.readouterr()
    run(rec, project, "unlock", "unlock", "--yes", capsys=capsys)
    plant_lock(provider.names.bucket, ttl_s=1)
    time.sleep(2.5)
    run(rec, project, "deploy: takes over an expired lock", "deploy", "--yes", "--confirm-live", capsys=capsys)
    check_runtime_against_role(run_the_runtime(tmp_path / "state"))
    bot = provider.handle()
    rec.command = "state versions"
    versions = bot.state_versions()
    bot.state_history_note()
    rec.command = "state restore"
    bot.restore_state(min(v["generation"] for v in versions))
    rec.command = "status"
    bot.status()
    rec.command = "bots list"
    provider.cloud().list_bots()
    rec.command = "state listing"
    listing = bot.state_files()
    rec.command = "state file"
    bot.read_state_file(next(iter(listing.files)))
    rec.command = "state export"
    bot.export_state(tmp_path / "exported")
    rec.command = "invoke"
    bot.invoke({"reason": "test"})
    # What an operator does to the bot from the bots screen and its CLI twins.
    for command, call in (("pause", bot.pause), ("resume", bot.resume), ("runs", bot.runs), ("history", bot.history),
                          ("logs", lambda: list(bot.logs())), ("rollback --list", bot.versions),
                          ("stop-entries", lambda: bot.set_control("stopentry")), ("control", bot.control),
                          ("resume-entries", lambda: bot.set_control("run"))):
        rec.command = command
        call()

    # A zip bot's destroy looks for an image repository and takes a denial as "none".
    rec.tolerated[("ecr:DescribeRepositories", "destroy")] = "a zip bot's deployer may hold no ECR permission"
    rec.tolerated[("ecr:DescribeRepositories", "destroy --purge-state")] = rec.tolerated[
        ("ecr:DescribeRepositories", "destroy")]
    run(rec, project, "destroy", "destroy", "--yes", capsys=capsys)
    run(rec, project, "deploy after destroy", "deploy", "--yes", "--confirm-live", capsys=capsys)
    run(rec, project, "destroy --purge-state", "destroy", "--yes", "--purge-state", capsys=capsys)

    check_against_policy(rec, "zip")
    assert rec.policy == provider.permissions_policy()


def run_the_runtime(folder: Path) -> list[Need]:
    """What the deployed live bot's runtime does to its state (lock, load, two saves), as IAM needs."""
    from botship.runtime.state import StateSync
    from botship.runtime.stores import S3Store

    calls: list[Need] = []

    def on_call(model, params, **kwargs):
        for need in _s3(model.name, params):
            context = {"aws:ResourceAccount": ACCOUNT}
            if "Prefix" in params:
                context["s3:prefix"] = params["Prefix"]
            calls.append(Need(need.action, need.resource, tuple(sorted(context.items()))))

    s3 = boto3.client("s3")
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if b["Name"].startswith(f"botship-{BOT}-"))
    s3.meta.events.register_first("before-parameter-build", on_call)
    store = S3Store(bucket, "live/", client=s3)
    assert store.try_lock("run-1", 60)
    for run_id in ("run-1", "run-2"):
        sync = StateSync(store, str(folder))
        sync.load()
        folder.mkdir(exist_ok=True)
        (folder / "runs.txt").write_text(run_id)
        sync.save(run_id)
    store.unlock("run-1")
    # What a run does when its manifest is damaged: list the manifest's versions to name the last good one.
    store.manifest_versions()
    return calls


def check_runtime_against_role(calls: list[Need]) -> None:
    """Each of the runtime's calls is allowed by the execution role's own policy *and* by the boundary."""
    iam = boto3.client("iam")
    role = iam.get_role(RoleName=f"botship-{BOT}-run")["Role"]
    boundary_arn = role["PermissionsBoundary"]["PermissionsBoundaryArn"]
    version = iam.get_policy(PolicyArn=boundary_arn)["Policy"]["DefaultVersionId"]
    policies = {"the role's policy": iam.get_role_policy(RoleName=role["RoleName"], PolicyName="botship")[
                    "PolicyDocument"],
                "the boundary": iam.get_policy_version(PolicyArn=boundary_arn, VersionId=version)["PolicyVersion"][
                    "Document"]}
    assert calls, "the runtime made no call"
    problems = [f"{need.action} on {need.resource} is {decision} by {name}"
                for need in sorted(set(calls), key=lambda n: (n.action, n.resource))
                for name, document in policies.items()
                if (decision := decide(_doc(document), need.action, need.resource, dict(need.context))) != "allowed"]
    assert not problems, "the live bot's own role does not allow its runtime:\n  " + "\n  ".join(problems)


def _doc(document) -> dict:
    from urllib.parse import unquote

    return document if isinstance(document, dict) else json.loads(unquote(document))


def test_every_call_of_an_image_bot_is_allowed_by_the_policy(recorder, registry, project, monkeypatch, capsys):
    rec = recorder
    monkeypatch.setenv("DOCKER_HOST", registry["docker_host"])
    monkeypatch.setenv("BOTSHIP_IMAGE_REGISTRY", registry["host"])
    write_profile(project, packaging="image", aws={"region": REGION, "base_image": registry["base_image"]},
                  tags={"team": "quant"})
    print_policy(rec, project, capsys)
    assert "✓ permissions: all" in run(rec, project, "doctor", "doctor", capsys=capsys)
    run(rec, project, "first deploy (image)", "deploy", "--yes", capsys=capsys)
    (project / "app.py").write_text((project / "app.py").read_text() + "\n# changed\n")
    run(rec, project, "deploy: image code", "deploy", "--yes", capsys=capsys)
    # The images kept in the bot's repository (moto's ECR lists none here: the images went to the local registry).
    rec.command = "rollback --list (image)"
    provider_for(project).handle().versions()
    run(rec, project, "destroy --purge-state", "destroy", "--yes", "--purge-state", capsys=capsys)
    # `docker push` speaks the registry protocol, which botocore does not see: ECR authorizes it with these.
    assert any(c[2] == "GetAuthorizationToken" for c in rec.calls), "the image was never pushed"
    rec.command = "first deploy (image): docker push"
    for action in PUSH_ACTIONS:
        rec.need(Need(action, f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/botship/{BOT}"))
    check_against_policy(rec, "image", unused_among="ecr:")


def test_a_bots_role_may_learn_a_state_object_is_missing_but_lists_only_its_own_modes_prefix():
    """S3 answers a GetObject of a missing key (a first run's manifest, run records not written yet) with 404 only
    when the caller may ListBucket — checked without any s3:prefix; with a plain StringLike it would be a 403."""
    from botship.providers.aws.names import AwsNames
    from botship.providers.aws.policies import execution_policy

    names = AwsNames("sma-bot", "123456789012", "eu-west-1")
    policy = execution_policy(names, with_secret=False, mode="paper")
    bucket = f"arn:aws:s3:::{names.bucket}"
    assert decide(policy, "s3:ListBucket", bucket, {}) == "allowed"  # the 404-or-403 check of a GetObject
    assert decide(policy, "s3:ListBucket", bucket, {"s3:prefix": "paper/objects/"}) == "allowed"
    assert decide(policy, "s3:ListBucket", bucket, {"s3:prefix": "live/"}) == "implicitDeny"
    assert decide(policy, "s3:GetObject", f"{bucket}/live/manifest.json", {}) == "implicitDeny"
    assert decide(policy, "s3:GetObject", f"{bucket}/paper/runs.json", {}) == "allowed"
