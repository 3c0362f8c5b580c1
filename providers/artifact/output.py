"""Where `botship package -o` puts the artifact: a file, or a folder (created when missing) that gets the
artifact under its usual name. An output inside the project is remembered so that no later build ships it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from botship.errors import BadInput
from botship.ignores import IMAGE_MARKER, remember_output
from botship.spec import DeploySpec

from .build import layout_for

# The artifact's name in an output folder: the bot's name and the platform it is for.
OUTPUT_NAMES = {"lambda-zip": "{bot}-lambda.zip", "azure-zip": "{bot}-azure.zip", "image": "{bot}-image"}


def output_name(spec: DeploySpec) -> str:
    return OUTPUT_NAMES[layout_for(spec)].format(bot=spec.bot_name)


def prepare_output(project: Path, requested: str, spec: DeploySpec) -> Path:
    """The path the artifact is copied to for `-o requested`, with its folder created and checked writable.

    A zip goes to `requested`, or inside it under its usual name when it is a folder (one that exists, or
    one named with a trailing slash). An image build context is a folder: `requested` itself, replaced when
    it holds an earlier one, or a new folder inside it when it is another folder.
    """
    given = Path(os.path.expanduser(requested))
    target = given if given.is_absolute() else Path.cwd() / given
    as_folder = requested.endswith(("/", os.sep)) or target.is_dir()
    image = layout_for(spec) == "image"
    if image and target.is_dir() and (target / IMAGE_MARKER).is_file():
        as_folder = False  # an earlier build context: replaced, not nested
    folder = target if as_folder else target.parent
    final = folder / output_name(spec) if as_folder else target
    _make_folder(folder, requested)
    if final.is_dir() and not image:
        raise BadInput(f"cannot write the artifact to {final}: it is a folder",
                       fix=f"pass -o {final}/ to put {output_name(spec)} inside it, or another file name")
    if final.exists() and not final.is_dir() and image:
        raise BadInput(f"cannot write the image build context to {final}: it is a file",
                       fix="pass -o with a folder for the build context")
    if not os.access(folder, os.W_OK | os.X_OK) or (final.exists() and not os.access(final, os.W_OK)):
        raise BadInput(f"cannot write the artifact to {final}: permission denied",
                       fix="pass -o with a path you can write to")
    if image and final.is_dir() and any(final.iterdir()):
        if not (final / IMAGE_MARKER).is_file():
            raise BadInput(f"cannot write the image build context to {final}: the folder holds other files",
                           fix="pass -o with a new or empty folder")
        try:
            shutil.rmtree(final)  # an earlier build context (checked above): its stale files must not stay
        except OSError as exc:
            raise BadInput(f"cannot replace the earlier build context {final}: {exc.strerror or exc}",
                           fix="remove it yourself, or pass -o with another folder") from None
    remember_output(project, final)
    return final


def _make_folder(folder: Path, requested: str) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise BadInput(f"cannot create the folder {folder} for -o {requested}: a file of that name is in the way",
                       fix="pass -o with another path") from None
    except NotADirectoryError:
        raise BadInput(f"cannot create the folder {folder} for -o {requested}: part of the path is a file",
                       fix="pass -o with another path") from None
    except OSError as exc:
        raise BadInput(f"cannot create the folder {folder} for -o {requested}: {exc.strerror or exc}",
                       fix="pass -o with a path you can write to") from None
