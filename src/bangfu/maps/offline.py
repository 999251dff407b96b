"""Offline assets: copy Leaflet (from the xstatic-leaflet package) into the app's static folder.

Streamlit serves ``static/`` beside the main script (``app.py``) at ``/app/static/`` when
``server.enableStaticServing`` is on; the caller (:mod:`bangfu.ui.shell`) names that folder. Nothing the browser loads comes from the internet.
"""

from __future__ import annotations

import filecmp
import functools
from pathlib import Path

from bangfu.core import fileio
from bangfu.core.resources import asset

#: URL under which Streamlit serves the ``static/`` folder beside ``app.py``.
APP_STATIC_URL = "/app/static"
#: URL under which Streamlit serves ``static/vendor`` (Leaflet and our stylesheet, generated at start).
STATIC_URL = APP_STATIC_URL + "/vendor"
#: The local basemap tiles, relative to ``static/``: the one name the map, the sidebar hint and the README use.
LOCAL_TILES = "tiles/{z}/{x}/{y}.png"
#: Where an administrator puts local tiles (beside ``app.py``), as the sidebar hint and the README say it.
LOCAL_TILE_FOLDER = "static/" + LOCAL_TILES
#: The URL template the map asks for local tiles.
LOCAL_TILE_URL = APP_STATIC_URL + "/" + LOCAL_TILES

#: Our own small stylesheet for legends and labels (served beside Leaflet).
BANGFU_CSS = """
.bangfu-legend{background:rgba(255,255,255,.92);padding:6px 9px;border-radius:4px;
  font:12px/1.4 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3)}
.bangfu-legend .sw{display:inline-block;width:14px;height:10px;margin-right:5px;border:1px solid #666;
  vertical-align:middle}
.bangfu-legend .sw-svg{display:inline-block;margin-right:5px;vertical-align:middle}
.bangfu-legend .lg-title{font-weight:600;font-size:13px;margin:4px 0 2px}
.bangfu-legend .lg-title:first-child{margin-top:0}
.bangfu-legend .lg-note{color:#555;margin-top:3px;font-size:11px}
.bangfu-legend.small,.bangfu-legend.small .lg-title{font-size:11px}
.leaflet-control-scale-line{background:rgba(255,255,255,.92);border:2px solid #555;border-top:none;
  font:11px/1.3 "Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#222;padding:0 5px;border-radius:0 0 3px 3px}
.leaflet-container{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;background:#f4f1ea}
"""


def leaflet_source_dir() -> Path:
    """Where the xstatic-leaflet package keeps leaflet.js, leaflet.css and images/."""
    import xstatic.pkg.leaflet as xleaflet  # untyped: ignore_missing_imports in pyproject.toml

    return Path(xleaflet.BASE_DIR)


def vectorgrid_source_dir() -> Path:
    """Where the package keeps the vendored Leaflet.VectorGrid (its bundled build and its licence)."""
    return Path(__file__).resolve().parent.parent / "assets" / "vectorgrid"


#: Our tile layer on top of Leaflet.VectorGrid, shipped in ``bangfu/assets`` and served from ``static/vendor``.
TILE_LAYER_FILE = "bangfu-vtiles.js"


def _sync(source: Path, target: Path) -> None:
    """Copy ``source`` to ``target`` unless it is there already with the same bytes; atomic: a browser being served
    the old file never gets half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists() or not filecmp.cmp(source, target, shallow=False):
        fileio.copy_file(source, target)


@functools.lru_cache(maxsize=4)
def install_static_assets(static_dir: Path) -> Path:
    """Copy Leaflet, Leaflet.VectorGrid (vendored in ``bangfu/assets/vectorgrid``: the village tiles,
    :mod:`bangfu.maps.tiles`), our tile layer on top of it (``bangfu/assets/bangfu-vtiles.js``) and the app
    stylesheet into ``static_dir/vendor`` (idempotent, once per process)."""
    vendor = static_dir / "vendor"
    target = vendor / "leaflet"
    src = leaflet_source_dir()
    (target / "images").mkdir(parents=True, exist_ok=True)
    files = ["leaflet.js", "leaflet.css"] + [f"images/{p.name}" for p in (src / "images").glob("*.png")]
    for rel in files:
        _sync(src / rel, target / rel)
    for s in sorted(vectorgrid_source_dir().iterdir()):
        _sync(s, vendor / "vectorgrid" / s.name)
    _sync(asset(TILE_LAYER_FILE), vendor / TILE_LAYER_FILE)  # our tile layer (bangfu.maps.tiles.TILES_JS)
    css = vendor / "bangfu.css"
    if not css.exists() or css.read_text(encoding="utf-8") != BANGFU_CSS:
        fileio.write_text(css, BANGFU_CSS)
    return vendor
