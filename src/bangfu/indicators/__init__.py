"""Indicators (pure, typed, no Streamlit): poverty, roads, pairings and tourism, one submodule each.

``from bangfu import indicators as ind`` gives every public function of the submodules.
"""

from bangfu.indicators.poverty import *
# choropleth classes (one classification for every map):
from bangfu.indicators.classify import *
# overview (issue 3):
from bangfu.indicators.overview import *
# roads (issue 5):
from bangfu.indicators.roads import *
# pairings and tourism (issue 6):
from bangfu.indicators.pairings import *
from bangfu.indicators.tourism import *
# one area's key figures (issue 11):
from bangfu.indicators.summary import *
