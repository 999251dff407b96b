"""The page registry: one row per page (file, label key, icon, URL); the navigation and the page links are built from it."""

from __future__ import annotations

from dataclasses import dataclass

from bangfu.workspace import access
from bangfu.workspace.access import Principal


@dataclass(frozen=True)
class PageSpec:
    path: str  # relative to the repository root
    label: str  # key in bangfu.core.labels
    icon: str
    url_path: str
    #: The permission (bangfu.workspace.access.PERMISSIONS) without which the page is left out of the page links;
    #: the page's data functions refuse on their own.
    permission: str = "view"
    #: Whether the page works on the area chosen in the sidebar (its title then names the town,
    #: :func:`bangfu.ui.widgets.page_header`); the data and audit pages work on the whole workspace.
    area: bool = True
    #: The layers (bangfu.workspace.schema) the page cannot work without: on a workspace where one of them has no
    #: rows the page says which to import (:func:`bangfu.ui.widgets.require_layers`) instead of drawing anything.
    needs: tuple[str, ...] = ()


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/overview.py", "page.overview", ":material/map:", "overview", needs=("villages",)),
    PageSpec("pages/planning.py", "page.planning", ":material/construction:", "planning", needs=("villages", "projects")),
    PageSpec("pages/roads.py", "page.roads", ":material/add_road:", "roads", needs=("villages", "roads")),
    PageSpec("pages/tourism.py", "page.tourism", ":material/landscape:", "tourism", needs=("villages", "tourism_sites")),
    PageSpec("pages/pairings.py", "page.pairings", ":material/handshake:", "pairings", needs=("villages", "enterprises")),
    PageSpec("pages/start.py", "page.start", ":material/flag:", "start", area=False),
    PageSpec("pages/data.py", "page.data", ":material/database:", "data", area=False),
    PageSpec("pages/briefing.py", "page.briefing", ":material/picture_as_pdf:", "briefing", needs=("villages",)),
    PageSpec("pages/audit.py", "page.audit", ":material/history:", "audit", permission="view_audit", area=False),
    PageSpec("pages/help.py", "page.help", ":material/help:", "help", area=False),
)


def visible_pages(user: Principal | None) -> tuple[PageSpec, ...]:
    """The pages whose link ``user`` sees (those whose ``permission`` the role has)."""
    return tuple(p for p in PAGES if access.can(user, p.permission))


def page(key: str) -> PageSpec:
    """The page whose URL path or label key is ``key`` (KeyError naming the pages otherwise)."""
    for spec in PAGES:
        if key in (spec.url_path, spec.label):
            return spec
    raise KeyError(f"no page {key!r}; pages: {', '.join(p.url_path for p in PAGES)}")
