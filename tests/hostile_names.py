"""A copy of the demo workspace whose names carry Markdown, HTML and control characters (issue 12)."""

from __future__ import annotations

from pathlib import Path

from bangfu.workspace import store
from bangfu.workspace.access import cli_principal

#: A town name that, rendered as Markdown, would make the browser fetch an image from another host.
MD_IMAGE = "![x](http://evil.example/a.png)"
HTML_IMAGE = "<img src=http://evil.example/b.png>"
MD_LINK = "[点我](http://evil.example/c)"
CONTROL = "坑\x07口\x1b[31m村\x00"
#: Substrings that must never reach the page unescaped.
RAW = ("](http://evil.example", "<img src=http://evil", "http://evil")  # the last one would be autolinked


def hostile_workspace(folder: Path, demo: Path) -> tuple[Path, str]:
    """The demo in ``folder`` with one town named :data:`MD_IMAGE`, villages, sites and enterprises named
    with HTML, links and control characters; returns (workspace path, the renamed town's code)."""
    ws = store.ensure_workspace(folder, demo=demo)
    layers = store.read_workspace(ws)
    v = layers["villages"].copy()
    town = str(v["town_code"].iloc[0])
    v.loc[v["town_code"] == town, "town_name"] = MD_IMAGE
    in_town = v.index[v["town_code"] == town]
    v.loc[in_town[0], "village_name"] = HTML_IMAGE
    v.loc[in_town[1], "village_name"] = CONTROL
    v.loc[in_town[2], "village_name"] = MD_LINK
    changed = {"villages": v}
    for name, col, value in (("tourism_sites", "name", CONTROL + MD_IMAGE), ("enterprises", "name", MD_LINK + CONTROL),
                             ("projects", "name", HTML_IMAGE + CONTROL), ("roads", "name", CONTROL + MD_LINK)):
        df = layers.get(name)
        if df is not None and len(df) and col in df.columns:
            df = df.copy()
            df.loc[df.index[:3], col] = value
            changed[name] = df
    store.replace_layers(ws, changed, user=cli_principal())
    return ws, town
