"""The sandbox: AWS Lambda's provider and cloud, unchanged, pointed at the emulator (see target.py)."""

from __future__ import annotations

from ..aws.cloud import AwsCloud
from ..aws.provider import AwsProvider
from ..base import CONTROL, DEPLOY_LOCK, DEPLOYED_STATE, EPHEMERAL, IMAGE, INVOKE, LOGS, PAUSE, ROLLBACK, STATE, STATE_HISTORY
from .target import SandboxEmulator


class SandboxCloud(AwsCloud):
    name = "sandbox"
    title = "Sandbox"
    table = None  # no settings: the emulator is this process's (or BOTSHIP_SANDBOX_URL's)
    # No account, so no permissions policy; images are kept as folders here; what it holds lives with the emulator.
    capabilities = frozenset({IMAGE, INVOKE, STATE, STATE_HISTORY, DEPLOYED_STATE, DEPLOY_LOCK, EPHEMERAL, LOGS, PAUSE,
                              CONTROL, ROLLBACK})
    target_class = SandboxEmulator



class SandboxProvider(AwsProvider):
    name = "sandbox"
    title = "Sandbox"
    cloud_class = SandboxCloud
