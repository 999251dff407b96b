"""``python -m bangfu``: the command line (see :mod:`bangfu.cli.main`)."""

import sys

from bangfu.cli.main import main

sys.exit(main())
