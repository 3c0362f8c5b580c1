"""`botship` in its own process with the fake provider registered as platform "fake".

For tests that need a real process — a Ctrl-C is a signal to the main thread. The step
named by FAKE_HOLD waits until the run is cancelled.
"""

import os
import sys
import threading

from botship import providers
from botship.cli import main
from fake_cloud import FAKE_PLATFORM, FakeCloud, FakeProvider

FakeProvider.cloud = FakeCloud()
if os.environ.get("FAKE_HOLD"):
    FakeProvider.cloud.hold[os.environ["FAKE_HOLD"]] = threading.Event()
providers.register("fake", FakeProvider, **FAKE_PLATFORM)
sys.exit(main(sys.argv[1:]))
