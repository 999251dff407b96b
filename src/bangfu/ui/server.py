"""Serving the app with its shared caches warm from the start: ``streamlit run serve.py``.

``streamlit run app.py`` runs nothing of the app before the first browser connects, so the first visitor after a
(re)start waits for the imports, the workspace's version check and the first view's tables and shapes. ``serve.py``
wraps the same ``app.py`` in Streamlit's ASGI app (``st.App``) with :func:`lifespan`: before the server accepts its
first connection it opens the default workspace, computes the overview's first view and fills the caches of the
other levels, the road pieces and the village tiles (:func:`warm_start`, :func:`bangfu.ui.panels.overview.warm_up`). Public data only,
into the shared caches every session reads; nothing personal, no session state.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bangfu.ui.shell import Context

__all__ = ["lifespan", "warm_start", "server_context", "import_pages", "register_components"]

_log = logging.getLogger(__name__)

#: Who the warm-up acts as: it reads public layers only (a viewer may see every one of them).
_SERVER_USER = ("bangfu-server", "viewer")


def server_context(location: Path | str, *, lang: str = "zh") -> Context | None:
    """The page context of the whole workspace at ``location`` as the server sees it (a viewer, default basemap), or
    None when the workspace does not pass its checks (the first page then shows why)."""
    from bangfu.ui import cache as data
    from bangfu.ui.shell import Context
    from bangfu.workspace import areas, store  # imported here: serve.py imports this module before the server starts
    from bangfu.workspace.access import Principal

    info = store.open_workspace(location)
    ok, _summary, _lines = data.validation_summary(str(location), info.version)
    if not ok:
        return None
    villages = data.load_layer(str(location), info.version, "villages")
    return Context(lang=lang, path=str(location), version=info.version, meta=info.meta, area=areas.whole_area(villages),
                   basemap="none", tianditu_token="", user=Principal(*_SERVER_USER, source="cli"))


def warm_start(app_root: Path | None = None) -> float:
    """Open the default workspace (``$BANGFU_WORKSPACE``) and compute the overview's first view into the shared
    caches; returns the seconds it took. Best effort: a failure is logged and the pages compute what they need."""
    from bangfu.ui.panels import overview  # importing the pages' modules is part of the warm-up
    from bangfu.ui.shell import set_app_root
    from bangfu.workspace import store

    t0 = time.perf_counter()
    if app_root is not None:
        set_app_root(app_root)
    try:
        import_pages()
        ctx = server_context(store.default_workspace())
        if ctx is not None:
            overview.warm_first_view(ctx)
    except Exception:  # noqa: BLE001 - the server starts anyway; the first page shows any real problem
        _log.warning("warming at start failed", exc_info=True)
    finally:
        register_components()
    seconds = time.perf_counter() - t0
    _log.warning("Bangfu Atlas: caches warmed in %.1f s", seconds)  # WARNING: Streamlit's default log level
    return seconds


#: Modules the pages import only when they run (heavy libraries behind them: matplotlib for the briefing's figures,
#: the solver for planning); imported at start so no first visit of a page waits for them.
_LATE_IMPORTS: tuple[str, ...] = ("bangfu.briefing.figures", "bangfu.briefing.docx_export", "highspy")


def import_pages() -> list[str]:
    """Import every page's panel module (:mod:`bangfu.ui.panels`) and :data:`_LATE_IMPORTS`; returns their names."""
    import importlib
    import pkgutil

    from bangfu.ui import panels

    names = [f"{panels.__name__}.{m.name}" for m in pkgutil.iter_modules(panels.__path__)] + list(_LATE_IMPORTS)
    done = []
    for name in names:
        try:
            importlib.import_module(name)
            done.append(name)
        except ImportError:  # an optional library missing: the page that needs it says so itself
            _log.warning("not imported at start: %s", name)
    return done


def register_components() -> list[str]:
    """Register with the runtime every custom component (``streamlit_folium``'s map…) a module declared while the
    warm-up imported it: Streamlit registers a component only when it is declared inside a page run, and a module
    is imported once, so without this its frontend would not be found (404) in the pages. Returns their names."""
    from streamlit import runtime
    from streamlit.components.v1.custom_component import CustomComponent

    if not runtime.exists():
        return []
    registry = runtime.get_instance().component_registry
    names = []
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("streamlit."):
            continue
        for value in list(getattr(module, "__dict__", {}).values()):
            if isinstance(value, CustomComponent) and registry.get_component_path(value.name) is None:
                registry.register_component(value)
                names.append(value.name)
    return names


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[dict[str, Any]]:
    """``st.App`` lifespan: :func:`warm_start` in a worker thread before the server takes connections."""
    root = Path(app.script_path).parent  # serve.py names app.py by its absolute path
    seconds = await asyncio.to_thread(warm_start, root)
    yield {"warmed_in_s": seconds}
