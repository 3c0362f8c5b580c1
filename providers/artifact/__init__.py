"""Artifacts: the bot, its Linux dependencies and botship's runtime, packaged for Lambda (zip or image) or Azure."""

from .build import Artifact, build_artifact, layout_for, package_step

__all__ = ["Artifact", "build_artifact", "layout_for", "package_step"]
