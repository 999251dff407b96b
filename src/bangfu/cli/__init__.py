"""Command line: ``python -m bangfu <command>``; one declarative command table in :mod:`bangfu.cli.commands`."""

from bangfu.cli.commands import main

__all__ = ["main"]
