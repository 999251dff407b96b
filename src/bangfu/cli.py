"""Command line: ``python -m bangfu <command>``; each command group registers its own subcommands.

Minimal version (issue 7): only the data commands (import, export, restore-backup). The lead
reconciles this with the declarative subcommand table of issue 4.
"""

from __future__ import annotations

import argparse
import sys
from typing import Callable, Sequence

from . import cli_data

#: Modules that add subcommands: each has ``register(subparsers)``.
REGISTRARS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (cli_data.register,)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bangfu", description="帮扶地图 Bangfu Atlas")
    sub = parser.add_subparsers(dest="command", required=True)
    for register in REGISTRARS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
