"""`python -m botship` runs the same command as `botship`."""

import sys

from .cli import main

sys.exit(main())
