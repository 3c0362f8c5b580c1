"""Container images on the sandbox: the emulator has no registry, so a deployed image is a folder on this
machine — its code and dependency layers, kept under its content hash — and the state bucket records where.

The function still gets PackageType Image and an ImageUri by digest, as on AWS; invoking runs the
folder's layers here, as a zip's contents are run. The build folder itself is rewritten by every
build (a plan, `botship package`, a local invoke), so what is deployed is a hard-linked copy of it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from botship.errors import BotshipError

from ..artifact.build import link_or_copy
from ..aws.names import AwsNames
from ..aws.session import AwsSession, error_code, translate
from ..plan import Action, Step


def image_key(content_hash: str) -> str:
    return f"deploy/{content_hash}.image"


def image_uri(names: AwsNames, content_hash: str) -> str:
    return f"{names.account}.dkr.ecr.{names.region}.amazonaws.com/{names.repository}@sha256:{content_hash}"


class LocalImage:
    def __init__(self, session: AwsSession, names: AwsNames, artifact: Any) -> None:
        self.s3 = session.client("s3")
        self.names, self.artifact = names, artifact
        self.key = image_key(artifact.content_hash)
        self.outputs = {"image_uri": image_uri(names, artifact.content_hash)}
        self.kept = Path(artifact.path).parent / "sandbox-images" / artifact.content_hash

    def _recorded(self) -> str | None:
        try:
            body = self.s3.get_object(Bucket=self.names.bucket, Key=self.key)["Body"].read()
        except Exception as exc:  # noqa: BLE001
            if error_code(exc) in ("NoSuchKey", "NoSuchBucket", "404"):
                return None
            raise translate(exc, f"reading {self.key}") from None
        return json.loads(body).get("path")

    def step(self) -> Step:
        kept = self._recorded() == str(self.kept) and (self.kept / "code").is_dir()
        action = Action.NO_CHANGE if kept else Action.CREATE
        return Step("image", "Container image", f"{self.names.repository}:{self.artifact.content_hash[:12]}", action,
                    self.apply, detail="kept on this machine (the sandbox has no registry)", outputs=self.outputs)

    def apply(self, ctx) -> dict[str, Any]:
        if not (self.kept / "code").is_dir():
            scratch = self.kept.with_name(f".{self.kept.name}.tmp")
            shutil.rmtree(scratch, ignore_errors=True)
            # The layers only: the Dockerfile is rewritten in place by builds and the sandbox does not use it.
            shutil.copytree(self.artifact.path, scratch, copy_function=link_or_copy,
                            ignore=shutil.ignore_patterns("Dockerfile"))
            scratch.rename(self.kept)
        self.s3.put_object(Bucket=self.names.bucket, Key=self.key, ContentType="application/json",
                           Body=json.dumps({"path": str(self.kept)}).encode())
        for other in self.kept.parent.iterdir():  # one deployed image per bot is kept
            if other != self.kept:
                shutil.rmtree(other, ignore_errors=True)
        ctx.log(f"image layers kept in {self.kept}")
        return self.outputs


def image_folder(session: AwsSession, names: AwsNames, key: str) -> Path:
    """The folder of a sandbox image recorded under `key`, checked to still exist."""
    body = session.client("s3").get_object(Bucket=names.bucket, Key=key)["Body"].read()
    folder = Path(json.loads(body)["path"])
    if not (folder / "code").is_dir():
        raise BotshipError(f"the image of {names.function} is gone from {folder}",
                           "the sandbox keeps images as folders botship built on this machine",
                           "deploy again to rebuild it; it is safe")
    return folder
