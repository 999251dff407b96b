"""``python -m bangfu``: the command line (see :mod:`bangfu.cli.commands`)."""

import sys

from bangfu.cli.commands import main

sys.exit(main())
