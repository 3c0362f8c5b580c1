"""A bot that opts in to keeping the state of a failed run."""

import os

BOTSHIP_SAVE_ON_ERROR = True


def handler(event, context):
    with open(os.path.join(os.environ["BOTSHIP_STATE_DIR"], "attempted.txt"), "w") as fh:
        fh.write("tried")
    raise RuntimeError("failed after writing")
