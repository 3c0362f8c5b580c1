"""The container-image path against moto's server, a real dockerd and a real registry.

moto answers the ECR API (repository, authorization token); images go to Debian's docker-registry,
which accepts only the token moto hands out, so a push without ECR's sign-in fails.
"""

from __future__ import annotations

import base64
import json
import urllib.request

import boto3
import docker
import pytest

from aws_flow import MOTO_ECR_PASSWORD, deploy, spec_for
from botship.errors import BotshipError
from botship.providers.aws.provider import AwsProvider
from botship.providers.aws.session import AwsSession
from botship.providers.plan import Action


TOKEN = base64.b64encode(f"AWS:{MOTO_ECR_PASSWORD}".encode()).decode()
ACCEPT_ANY = ("application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json, "
              "application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.index.v1+json")


@pytest.fixture
def images(aws, registry, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", registry["docker_host"])
    monkeypatch.setenv("BOTSHIP_IMAGE_REGISTRY", registry["host"])
    return registry


def image_spec(project, registry, **changes):
    return spec_for(project, packaging="image",
                    aws={"region": "eu-west-1", "base_image": registry["base_image"]}, **changes)


def fetch(registry, path: str, accept: str = ACCEPT_ANY) -> tuple[bytes, dict[str, str]]:
    request = urllib.request.Request(f"http://{registry['host']}/v2/{path}",
                                     headers={"Authorization": f"Basic {TOKEN}", "Accept": accept})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.read(), dict(answer.headers)


def test_an_image_deploy_pushes_one_linux_amd64_manifest_and_the_function_runs_it_by_digest(images, project):
    plan, result, mutating = deploy(project, image_spec(project, images))
    assert result.ok, result.failure
    assert [s.id for s in plan.steps] == ["bucket", "secret", "role-boundary", "execution-role", "scheduler-role",
                                          "log-group", "repository", "image", "function", "schedule"]

    ecr = boto3.client("ecr")
    repo = ecr.describe_repositories(repositoryNames=["botship/sma-bot"])["repositories"][0]
    assert repo["imageScanningConfiguration"]["scanOnPush"] is True
    tags = {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]}
    assert tags["botship:bot"] == "sma-bot" and tags["team"] == "quant"
    lifecycle = json.loads(ecr.get_lifecycle_policy(repositoryName="botship/sma-bot")["lifecyclePolicyText"])
    assert lifecycle["rules"][0]["selection"]["countType"] == "imageCountMoreThan"

    digest = result.outputs["image"]["digest"]
    body, headers = fetch(images, f"botship/sma-bot/manifests/{digest}")
    manifest = json.loads(body)
    # A single image manifest, never an index: Lambda refuses indexes.
    assert headers["Content-Type"] == "application/vnd.docker.distribution.manifest.v2+json"
    assert manifest["mediaType"] == "application/vnd.docker.distribution.manifest.v2+json"
    config, _ = fetch(images, f"botship/sma-bot/blobs/{manifest['config']['digest']}", "*/*")
    config = json.loads(config)
    assert (config["os"], config["architecture"]) == ("linux", "amd64")
    assert config["config"]["Cmd"] == ["botship_runtime.aws_handler.handler"]
    # Base, dependency and code layers: the code is its own layer on top.
    assert len(manifest["layers"]) == 3

    function = boto3.client("lambda").get_function(FunctionName="botship-sma-bot")
    assert function["Configuration"]["PackageType"] == "Image"
    assert function["Code"]["ImageUri"] == f"{repo['repositoryUri']}@{digest}"
    assert "Runtime" not in function["Configuration"] and "Handler" not in function["Configuration"]
    assert {"PushImage", "BuildImage"}.isdisjoint(mutating)  # docker is not an AWS API: only ECR and Lambda calls


def test_an_unchanged_image_redeploy_builds_and_pushes_nothing(images, project):
    spec = image_spec(project, images)
    _, first, _ = deploy(project, spec)
    plan, result, mutating = deploy(project, spec)
    assert result.ok
    assert {s.id: s.action for s in plan.steps} == {s.id: Action.NO_CHANGE for s in plan.steps}
    assert mutating == []
    assert result.outputs["image"]["digest"] == first.outputs["image"]["digest"]


def test_a_code_change_pushes_a_new_image_and_repoints_the_function(images, project):
    spec = image_spec(project, images)
    _, first, _ = deploy(project, spec)
    (project / "app.py").write_text((project / "app.py").read_text() + "\n# tweak\n")
    plan, result, mutating = deploy(project, spec)
    assert result.ok, result.failure
    changed = {s.id for s in plan.steps if s.action is not Action.NO_CHANGE}
    assert changed == {"image", "function"}
    assert "UpdateFunctionCode" in mutating and "UpdateFunctionConfiguration" not in mutating
    digest = result.outputs["image"]["digest"]
    assert digest != first.outputs["image"]["digest"]
    assert boto3.client("lambda").get_function(FunctionName="botship-sma-bot")["Code"]["ImageUri"].endswith(digest)
    # Only the code layer is new: the dependency layer is the same blob as before.
    old, _ = fetch(images, f"botship/sma-bot/manifests/{first.outputs['image']['digest']}")
    new, _ = fetch(images, f"botship/sma-bot/manifests/{digest}")
    old_layers, new_layers = ([layer["digest"] for layer in json.loads(m)["layers"]] for m in (old, new))
    assert old_layers[:2] == new_layers[:2] and old_layers[2] != new_layers[2]


def test_switching_from_zip_to_image_replaces_the_function(images, project):
    deploy(project, spec_for(project))
    plan, result, mutating = deploy(project, image_spec(project, images))
    assert result.ok, result.failure
    function_step = next(s for s in plan.steps if s.id == "function")
    assert function_step.detail == "replace: zip → image"
    assert "DeleteFunction" in mutating and "CreateFunction" in mutating
    lam = boto3.client("lambda")
    assert lam.get_function(FunctionName="botship-sma-bot")["Configuration"]["PackageType"] == "Image"
    assert lam.get_function_concurrency(FunctionName="botship-sma-bot")["ReservedConcurrentExecutions"] == 1


def test_docker_not_running_is_reported_before_any_cloud_change(aws, registry, project, monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-docker.sock")
    monkeypatch.setenv("BOTSHIP_IMAGE_REGISTRY", registry["host"])
    with pytest.raises(BotshipError) as caught:
        deploy(project, image_spec(project, registry))
    assert "Docker is not running" in caught.value.what
    assert 'packaging = "zip"' in caught.value.fix
    assert boto3.client("s3").list_buckets()["Buckets"] == []


def test_a_base_image_that_does_not_exist_fails_the_build_with_its_name(images, project):
    spec = spec_for(project, packaging="image", aws={"region": "eu-west-1", "base_image": "127.0.0.1:9/none/base:1"})
    _, result, _ = deploy(project, spec)
    assert not result.ok
    assert result.failure.step == "image"
    assert "127.0.0.1:9/none/base:1" in result.failure.why and "aws.base_image" in result.failure.fix


def test_destroy_removes_the_repository_with_its_images(images, project):
    spec = image_spec(project, images)
    deploy(project, spec)
    provider = AwsProvider(spec, AwsSession("eu-west-1"))
    plan = provider.plan_destroy()
    assert "repository" in [s.id for s in plan.steps]
    from botship.providers.engine import start_run
    assert start_run(plan, lambda event: None).wait(60).ok
    ecr = boto3.client("ecr")
    assert ecr.describe_repositories()["repositories"] == []


def test_the_doctor_checks_docker_for_image_bots(images, project):
    from botship.providers.base import DeployContext
    from botship.secret_values import SecretValues

    checks = AwsProvider(image_spec(project, images), AwsSession("eu-west-1")).preflight(
        DeployContext(project, "prod", SecretValues([])))
    by_name = {c.name: c for c in checks}
    assert by_name["docker"].ok is True and "is running" in by_name["docker"].detail
    assert by_name["package"].ok is True and "10 GB" in by_name["package"].detail


def test_the_deploy_policy_grants_ecr_only_for_image_bots(images, project):
    from botship.providers.aws.preflight import deploy_policy, required_actions

    assert not any(a.startswith("ecr:") for a in required_actions("zip"))
    policy = deploy_policy("123456789012", required_actions("image"))
    ecr = next(s for s in policy["Statement"] if s.get("Sid") == "BotshipEcr")
    assert ecr["Resource"] == ["arn:aws:ecr:*:123456789012:repository/botship/*"]
    assert "ecr:PutImage" in ecr["Action"]
    account_wide = next(s for s in policy["Statement"] if s["Sid"] == "ReadAccountWide")
    assert "ecr:GetAuthorizationToken" in account_wide["Action"]


def test_docker_sdk_sees_the_pushed_image_locally_tagged_by_content_hash(images, project):
    _, result, _ = deploy(project, image_spec(project, images))
    client = docker.DockerClient(base_url=images["docker_host"])
    tags = [t for image in client.images.list() for t in image.tags if t.startswith(images["host"])]
    client.close()
    assert any(t.startswith(f"{images['host']}/botship/sma-bot:") and len(t.rsplit(":", 1)[1]) == 32 for t in tags)


@pytest.mark.parametrize("stop_after", ["repository", "image"])
def test_an_image_deploy_interrupted_after_its_image_steps_converges_on_rerun(images, project, stop_after):
    from botship.providers.base import DeployContext
    from botship.providers.engine import start_run
    from botship.secret_values import SecretValue, SecretValues

    spec = image_spec(project, images)
    context = DeployContext(project, "prod", SecretValues([SecretValue("EXCHANGE_API_KEY", "key-1234", "env")]))
    plan = AwsProvider(spec, AwsSession("eu-west-1")).plan(context)
    handle = None

    def sink(event):
        if event.kind == "step_finished" and event.step == stop_after:
            handle.cancel()

    handle = start_run(plan, sink)
    assert handle.wait(120).status == "cancelled"
    rerun, result, _ = deploy(project, spec)
    assert result.ok, result.failure
    done = {"repository"} if stop_after == "repository" else {"repository", "image"}
    assert done <= {s.id for s in rerun.steps if s.action is Action.NO_CHANGE}
    final, _, mutating = deploy(project, spec)
    assert final.is_noop and mutating == []
    assert len(boto3.client("ecr").describe_repositories()["repositories"]) == 1
    assert boto3.client("lambda").get_function(FunctionName="botship-sma-bot")["Code"]["ImageUri"].endswith(
        result.outputs["image"]["digest"])
