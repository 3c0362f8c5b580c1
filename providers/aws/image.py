"""The bot's container image: its ECR repository, and the image — built with the docker SDK, pushed by digest.

The build uses the classic builder (what the docker SDK's build calls), which makes a single image
manifest for linux/amd64 — Lambda rejects image indexes. The tag is the artifact's content hash, so
"is this exact image pushed?" is one HEAD request to the registry, and an unchanged re-run builds nothing.
Pushes log in with the token from `ecr.get_authorization_token` (no `aws` CLI, no `docker login`).
"""

from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request
from functools import cached_property
from typing import Any
from urllib.parse import urlparse

from botship.errors import BotshipError
from botship.spec import DeploySpec

from ..artifact import Artifact, base_image_for
from ..plan import Action, Step
from .names import AwsNames, tags_match
from .session import AwsSession, error_code, translate

# Push to this registry (host:port) instead of the account's ECR registry: for emulators, which answer
# the ECR API but not the registry protocol. The function still names the ECR repository.
REGISTRY_ENV = "BOTSHIP_IMAGE_REGISTRY"
PLATFORM = "linux/amd64"
KEEP_IMAGES = 10
IMAGE_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
INDEXES = ("application/vnd.docker.distribution.manifest.list.v2+json", "application/vnd.oci.image.index.v1+json")
DOCKER_FIX = ("start Docker (Docker Desktop, or `sudo systemctl start docker`) and re-run — "
              "or set packaging = \"zip\", which needs no Docker")


def image_tag(artifact: Artifact) -> str:
    return artifact.content_hash[:32]


def lifecycle_policy() -> str:
    """Keep the last few images (older digests allow a quick rollback); the rest expire."""
    return json.dumps({"rules": [{
        "rulePriority": 1, "description": f"botship: keep the last {KEEP_IMAGES} images",
        "selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": KEEP_IMAGES},
        "action": {"type": "expire"}}]}, sort_keys=True)


class Repository:
    """One ECR repository per bot: scan on push, tagged, with a lifecycle policy."""

    def __init__(self, session: AwsSession, names: AwsNames, tags: dict[str, str]) -> None:
        self.ecr = session.client("ecr")
        self.names, self.tags = names, tags

    def _current(self) -> dict[str, Any] | None:
        try:
            return self.ecr.describe_repositories(repositoryNames=[self.names.repository])["repositories"][0]
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) == "RepositoryNotFoundException":
                return None
            raise translate(exc, f"reading repository {self.names.repository}") from None

    def _drift(self, repo: dict[str, Any]) -> list[str]:
        stale = []
        if not repo.get("imageScanningConfiguration", {}).get("scanOnPush"):
            stale.append("scan on push")
        current = {t["Key"]: t["Value"] for t in self.ecr.list_tags_for_resource(resourceArn=repo["repositoryArn"])["tags"]}
        if not tags_match(current, self.tags):
            stale.append("tags")
        try:
            policy = self.ecr.get_lifecycle_policy(repositoryName=self.names.repository)["lifecyclePolicyText"]
            if json.loads(policy) != json.loads(lifecycle_policy()):
                stale.append("lifecycle")
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) != "LifecyclePolicyNotFoundException":
                raise
            stale.append("lifecycle")
        return stale

    def step(self) -> Step:
        repo = self._current()
        if repo is None:
            action, detail, outputs = Action.CREATE, f"scan on push, keeps the last {KEEP_IMAGES} images", {}
        else:
            stale = self._drift(repo)
            action = Action.UPDATE if stale else Action.NO_CHANGE
            detail = "update: " + ", ".join(stale) if stale else ""
            outputs = {"repository_uri": repo["repositoryUri"]}
        return Step("repository", "Image repository", self.names.repository, action, self.apply,
                    detail=detail, outputs=outputs)

    def apply(self, ctx) -> dict[str, Any]:
        name = self.names.repository
        try:
            repo = self._current()
            if repo is None:
                repo = self.ecr.create_repository(
                    repositoryName=name, imageScanningConfiguration={"scanOnPush": True},
                    imageTagMutability="MUTABLE", tags=[{"Key": k, "Value": v} for k, v in self.tags.items()],
                )["repository"]
                ctx.log(f"created repository {repo['repositoryUri']}")
                stale = ["lifecycle"]
            else:
                stale = self._drift(repo)
            if "scan on push" in stale:
                self.ecr.put_image_scanning_configuration(repositoryName=name,
                                                          imageScanningConfiguration={"scanOnPush": True})
            if "tags" in stale:
                self.ecr.tag_resource(resourceArn=repo["repositoryArn"],
                                      tags=[{"Key": k, "Value": v} for k, v in self.tags.items()])
            if "lifecycle" in stale:
                self.ecr.put_lifecycle_policy(repositoryName=name, lifecyclePolicyText=lifecycle_policy())
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, f"setting up repository {name}") from None
        return {"repository_uri": repo["repositoryUri"]}


class Registry:
    """The registry images are pushed to, spoken to over the Docker Registry HTTP API with ECR's token."""

    def __init__(self, session: AwsSession) -> None:
        self.session = session

    @cached_property
    def _login(self) -> tuple[str, str]:
        """(registry host, token) — the token is base64 of "AWS:password", valid for 12 hours."""
        try:
            data = self.session.client("ecr").get_authorization_token()["authorizationData"][0]
        except Exception as exc:  # noqa: BLE001
            raise translate(exc, "signing in to the image registry") from None
        return urlparse(data["proxyEndpoint"]).netloc, data["authorizationToken"]

    @property
    def host(self) -> str:
        return os.environ.get(REGISTRY_ENV) or self._login[0]

    @property
    def auth_config(self) -> dict[str, str]:
        username, _, password = base64.b64decode(self._login[1]).decode().partition(":")
        return {"username": username, "password": password}

    def manifest(self, repository: str, reference: str) -> tuple[str, str] | None:
        """(digest, media type) of `repository:reference`, or None when the registry has no such image."""
        host = self.host
        loopback = host.split(":")[0] in ("127.0.0.1", "localhost", "::1")
        request = urllib.request.Request(
            f"{'http' if loopback else 'https'}://{host}/v2/{repository}/manifests/{reference}", method="HEAD",
            headers={"Authorization": f"Basic {self._login[1]}",
                     "Accept": ", ".join((IMAGE_MANIFEST, OCI_MANIFEST, *INDEXES))})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.headers["Docker-Content-Digest"], answer.headers.get("Content-Type", "").split(";")[0]
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise BotshipError(f"the image registry {host} answered {exc.code} reading {repository}:{reference}",
                               exc.reason, "check ecr:BatchGetImage on botship's repositories "
                               "(`botship doctor` lists what is missing)") from None
        except OSError as exc:
            raise BotshipError(f"cannot reach the image registry {host}", str(exc),
                               "check your network connection and re-run") from None


def docker_client():
    """A client of the Docker engine (DOCKER_HOST or the default socket), or a message saying to start it."""
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=300)
        client.ping()
        return client
    except DockerException as exc:
        raise BotshipError("Docker is not running (packaging = \"image\" builds the image with it)",
                           str(exc).split("(")[0].strip(), DOCKER_FIX) from None


class BotImage:
    """The image in the bot's repository under its content-hash tag; built and pushed only when missing."""

    def __init__(self, session: AwsSession, names: AwsNames, spec: DeploySpec, artifact: Artifact,
                 registry: Registry) -> None:
        self.names, self.spec, self.artifact, self.registry = names, spec, artifact, registry
        self.tag = image_tag(artifact)

    def _pushed(self) -> str | None:
        found = self.registry.manifest(self.names.repository, self.tag)
        if found and found[1] in INDEXES:
            return None  # an index under our tag (pushed by something else): Lambda would refuse it; push ours
        return found[0] if found else None

    def step(self, repository_uri: str | None) -> Step:
        digest = self._pushed() if repository_uri else None
        if digest:
            return Step("image", "Container image", f"{self.names.repository}:{self.tag[:12]}", Action.NO_CHANGE,
                        self.apply, outputs={"image_uri": f"{repository_uri}@{digest}", "digest": digest})
        docker_client()  # before any cloud call: an image deploy cannot go far without Docker
        return Step("image", "Container image", f"{self.names.repository}:{self.tag[:12]}", Action.CREATE,
                    self.apply, detail=f"build {PLATFORM} from {base_image_for(self.spec)}, push")

    def apply(self, ctx) -> dict[str, Any]:
        repository_uri = ctx.outputs["repository"]["repository_uri"]
        digest = self._pushed()
        if digest is None:
            client = docker_client()
            local = f"{self.registry.host}/{self.names.repository}"
            self._build(client, f"{local}:{self.tag}", ctx)
            digest = self._push(client, local, ctx)
            found = self.registry.manifest(self.names.repository, digest)
            if found is None or found[1] in INDEXES:
                raise BotshipError(f"the registry holds {'no' if found is None else 'an index, not an'} image "
                                   f"manifest for {digest}", "Lambda runs single-platform image manifests only",
                                   "re-run; if it persists, turn off Docker's containerd image store for this build")
        return {"image_uri": f"{repository_uri}@{digest}", "digest": digest}

    def _build(self, client, reference: str, ctx) -> None:
        from docker.errors import APIError

        base = base_image_for(self.spec)
        ctx.log(f"building {PLATFORM} image from {base}")
        try:
            for chunk in client.api.build(path=str(self.artifact.path), tag=reference, platform=PLATFORM,
                                          buildargs={"BASE_IMAGE": base}, rm=True, forcerm=True, decode=True):
                ctx.check_cancelled()
                if "error" in chunk:
                    raise BotshipError(f"the image build failed: {chunk['error'].strip()}", f"base image {base}",
                                       "check aws.base_image (it must exist, or be pullable, for linux/amd64)")
                line = chunk.get("stream", "").strip()
                if line.startswith("Step ") or line.startswith("Successfully built"):
                    ctx.log(line)
        except APIError as exc:
            raise BotshipError("Docker refused the image build", exc.explanation or str(exc),
                               "check that Docker has disk space, then re-run") from None

    def _push(self, client, repository: str, ctx) -> str:
        from docker.errors import APIError

        layers: dict[str, tuple[int, int]] = {}
        digest = ""
        ctx.log(f"pushing {repository}:{self.tag[:12]}")
        try:
            for chunk in client.api.push(repository, tag=self.tag, stream=True, decode=True,
                                         auth_config=self.registry.auth_config):
                ctx.check_cancelled()
                if "error" in chunk:
                    raise BotshipError(f"the registry refused the push: {chunk['error'].strip()}", repository,
                                       "check the ECR push permissions (`botship doctor` lists what is missing)")
                detail = chunk.get("progressDetail") or {}
                if chunk.get("status") == "Pushing" and detail.get("total"):
                    layers[chunk["id"]] = (detail.get("current", 0), detail["total"])
                    ctx.progress(sum(c for c, _ in layers.values()), sum(t for _, t in layers.values()),
                                 "bytes pushed")
                digest = (chunk.get("aux") or {}).get("Digest", digest)
        except APIError as exc:
            raise BotshipError("Docker refused the push", exc.explanation or str(exc), "re-run; it is safe") from None
        if not digest:
            raise BotshipError("the push finished without an image digest", repository, "re-run; it is safe")
        ctx.log(f"pushed {digest}")
        return digest
