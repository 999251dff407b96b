"""Who is using this browser session: the signed-in principal every page passes to the data layer.

Stub of the shared interface for issue 12: until login lands, every session acts as the demo's
administrator (today's behaviour). The auth work replaces :func:`current_user` with the login gate;
pages and panels only ever read ``ctx.user``.
"""

from __future__ import annotations

from pathlib import Path

from bangfu.workspace.access import Principal

DEMO_ADMIN = Principal("demo", "admin", display_name="示例管理员", source="demo")


def current_user(lang: str, folder: Path) -> Principal:
    """The principal of this session (stub: the demo administrator)."""
    return DEMO_ADMIN
