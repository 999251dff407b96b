"""Command line: ``python -m bangfu <command>``; one declarative command table in :mod:`bangfu.cli.main`."""

from bangfu.cli.main import main

__all__ = ["main"]
