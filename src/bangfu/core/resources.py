"""Shipped files found as package data: the demo workspace, its sources and the app's own assets.

``bangfu/data`` is the project's ``geodata/`` folder (a symbolic link in the source tree, copied
into the wheel when the package is built), so an installed package finds its demo without the
repository; ``bangfu/assets`` holds the favicon. Nothing in the package finds a file relative to
the repository root or the working directory (see docs/architecture.md, "Shipped files").
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

__all__ = ["DATA_DIR", "ASSETS_DIR", "DEMO_PATH", "SOURCES_DIR", "asset"]

_PACKAGE = Path(str(files("bangfu")))
#: The shipped data folder (``geodata/`` of the repository).
DATA_DIR: Path = _PACKAGE / "data"
#: Small files the app serves itself (favicon, stylesheet).
ASSETS_DIR: Path = _PACKAGE / "assets"
#: The read-only Kaiping demo workspace.
DEMO_PATH: Path = DATA_DIR / "kaiping_demo.gpkg"
#: The official source tables the demo (and new workspaces) are built from.
SOURCES_DIR: Path = DATA_DIR / "sources"


def asset(name: str) -> Path:
    """The path of a shipped asset (``favicon.png``…)."""
    return ASSETS_DIR / name
