"""Artifacts: the bot, its Linux dependencies and botship's runtime, packaged for Lambda (zip or image) or Azure."""

from .build import Artifact, base_image_for, build_artifact, check_requirements, layout_for, package_step

__all__ = ["Artifact", "base_image_for", "build_artifact", "layout_for", "package_step"]
