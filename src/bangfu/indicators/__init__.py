"""Indicators (pure, typed, no Streamlit): poverty, roads, pairings and tourism, one submodule each.

``from bangfu import indicators as ind`` gives every public function of the submodules.
"""

from .poverty import *  # noqa: F401,F403
# overview (issue 3):
from .overview import *  # noqa: F401,F403
# roads (issue 5):
from .roads import *  # noqa: F401,F403
# pairings and tourism (issue 6):
from .pairings import *  # noqa: F401,F403
from .tourism import *  # noqa: F401,F403
