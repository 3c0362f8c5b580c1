"""`botship` in its own process with the fake provider as the sandbox platform.

For tests that need a real process — a Ctrl-C is a signal to the main thread. The step
named by FAKE_HOLD waits until the run is cancelled.
"""

import os
import sys
import threading

from botship import providers
from botship.cli import main
from fake_cloud import FakeCloud, FakeProvider

FakeProvider.cloud = FakeCloud()
if os.environ.get("FAKE_HOLD"):
    FakeProvider.cloud.hold[os.environ["FAKE_HOLD"]] = threading.Event()
providers.register("sandbox", FakeProvider)
sys.exit(main(sys.argv[1:]))
