"""The sandbox: AWS Lambda's provider and cloud, unchanged, pointed at the emulator (see target.py)."""

from __future__ import annotations

import os
import sys

from ..aws.cloud import AwsCloud
from ..aws.provider import AwsProvider
from ..base import DEPLOY_LOCK, DEPLOYED_STATE, EPHEMERAL, IMAGE, INVOKE, STATE, STATE_HISTORY
from .target import SandboxEmulator


class SandboxCloud(AwsCloud):
    name = "sandbox"
    title = "Sandbox"
    table = None  # no settings: the emulator is this process's (or BOTSHIP_SANDBOX_URL's)
    # No account, so no permissions policy; images are kept as folders here; what it holds lives with the emulator.
    capabilities = frozenset({IMAGE, INVOKE, STATE, STATE_HISTORY, DEPLOYED_STATE, DEPLOY_LOCK, EPHEMERAL})
    target_class = SandboxEmulator

    @classmethod
    def holds_bots_here(cls) -> bool:
        from .emulator import running

        current = running()
        return current is not None and current.embedded

    @classmethod
    def local_scheduler(cls, on_fired, *, at_launch: bool = False):
        """The emulator never fires a schedule: botship's local scheduler does, while botship runs. At launch only
        for a separately run emulator (BOTSHIP_SANDBOX_URL), whose bots outlive a botship process."""
        from . import emulator
        from .scheduler import LocalScheduler

        if at_launch and not os.environ.get(emulator.URL_VARIABLE):
            return None
        running = emulator.emulator() if at_launch else emulator.running()
        if running is None:
            return None
        scheduler = LocalScheduler(running, on_fired=on_fired)
        scheduler.start()
        return scheduler

    @classmethod
    def shut_down(cls) -> None:
        emulator = sys.modules.get(f"{__package__}.emulator")  # imported only if the sandbox was used
        if emulator is not None:
            emulator.stop()


class SandboxProvider(AwsProvider):
    name = "sandbox"
    title = "Sandbox"
    cloud_class = SandboxCloud
