"""The sandbox: the real AWS provider pointed at an AWS emulator running inside this botship process.

Nothing leaves the machine and no account is needed; what is deployed lives as long as the
process that started the emulator (or as long as an emulator named by BOTSHIP_SANDBOX_URL).
"""

import os

URL_VARIABLE = "BOTSHIP_SANDBOX_URL"  # an emulator run separately, whose bots outlive a botship process


def bots_waiting() -> bool:
    """Whether bots may already wait to be fired in an emulator run separately — asked when botship starts,
    without importing the sandbox's code (AWS's SDK among it)."""
    return bool(os.environ.get(URL_VARIABLE, "").strip())
