"""``python -m bangfu``: the command line (see :mod:`bangfu.cli`)."""

import sys

from .cli import main

sys.exit(main())
