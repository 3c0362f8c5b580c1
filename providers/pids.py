"""Whether a process still runs: what every "is its owner gone?" check (temp folders, locks, emulators) asks."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """Whether process `pid` exists on this machine (also when another user owns it).

    Where it cannot be probed (not POSIX: os.kill would end it there), it is taken to be alive, so
    nothing of a process that may still run is ever swept or taken over.
    """
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True
