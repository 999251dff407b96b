"""``python -m bangfu.demo build [--out PATH] [--seed N]``: build the demo workspace."""

import sys

from bangfu.demo.build import main

sys.exit(main())
