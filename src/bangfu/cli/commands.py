"""Command line: ``python -m bangfu <command>``; subcommands are rows of the declarative table COMMANDS.

To add a command, write ``_name_args(parser)`` and ``_name(args) -> int`` and append one
:class:`Command` row. Errors are printed in Chinese to stderr with exit code 2; nothing is written
then (outputs are written to a temporary file and moved into place only when complete).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

__all__ = ["Command", "COMMANDS", "build_parser", "main", "write_atomic"]


class CliError(Exception):
    """A user error: the message is printed as is (Chinese)."""


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, help text, argument builder and handler."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]


def write_atomic(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder (no partial file)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# --------------------------------------------------------------------------- rank


def _ids(text: str | None) -> tuple[str, ...]:
    return tuple(s.strip() for s in (text or "").replace("，", ",").split(",") if s.strip())


def _distance(text: str) -> tuple[str, float]:
    from bangfu.planning.project_types import project_type

    name, _, value = text.partition("=")
    try:
        key = project_type(name.strip()).key  # a code, label or synonym: road_hardening, 道路硬化, 饮水工程…
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    try:
        d = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"服务半径不是数字：{value!r}（例：road_hardening=2000）") from None
    if d < 0:
        raise argparse.ArgumentTypeError(f"服务半径不能为负数：{text}")
    return key, d


def _rank_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workspace", required=True, help="工作空间 GeoPackage 文件（或其所在文件夹）")
    p.add_argument("--budget", required=True, type=float, help="预算（万元）")
    p.add_argument("--weights", default="poor=3,old=2,key=1,all=1", help="评分权重，如 poor=3,old=2,key=1,all=1")
    p.add_argument("--out", required=True, help="输出 Excel 文件（.xlsx）")
    p.add_argument("--distance", action="append", type=_distance, default=[], metavar="TYPE=METRES",
                   help="某类项目的服务半径（米），可重复，如 --distance road_hardening=2000 或 --distance 饮水安全=1500")
    p.add_argument("--new-access-only", action="store_true", help="只计新增受益（已有同类设施覆盖的农户不计）")
    p.add_argument("--must-in", default=None, help="必选项目编号，逗号分隔（默认：已批复项目；传空字符串表示无）")
    p.add_argument("--exclude", default="", help="排除的项目编号，逗号分隔")
    p.add_argument("--min-per-town", type=int, default=0, help="每个镇街至少项目数（公平性）")
    p.add_argument("--town", default=None, help="只看某个镇街的候选项目（9 位镇代码）")
    p.add_argument("--time-limit", type=float, default=30.0, help="精确求解时间上限（秒）")


def _rank(args: argparse.Namespace) -> int:
    from bangfu.planning import solvers as planning, run as planning_run
    from bangfu.workspace import store
    from bangfu.planning.project_types import default_distances

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise CliError(f"输出文件必须是 .xlsx：{out}")
    ws = Path(args.workspace)
    if ws.is_dir():
        ws = ws / store.WORKSPACE_FILE
    store.check_workspace_file(ws)
    layers = store.read_workspace(ws, layers=("villages", "households", "roads", "projects"))
    options = planning_run.PlanOptions(
        budget=args.budget,
        weights=planning.parse_weights(args.weights),
        distances={**default_distances(), **dict(args.distance)},
        new_access_only=args.new_access_only,
        must_in=None if args.must_in is None else _ids(args.must_in),
        excluded=_ids(args.exclude),
        min_per_town=args.min_per_town,
        town_code=args.town,
        time_limit=args.time_limit,
    )
    result = planning_run.run(layers, options)
    data = planning_run.excel_bytes(result)
    write_atomic(out, data)
    if result.fallback:
        print("注意：" + planning_run.t("planning.fallback", "zh"))
    print(planning_run.summary(result).to_string(index=False))
    print(f"已写入：{out}")
    return 0


# --------------------------------------------------------------------------- table

COMMANDS: tuple[Command, ...] = (
    Command("rank", "按受益农户给候选项目排名，并在预算内选出项目组合（输出 Excel）", _rank_args, _rank),
)


def _data_commands(sub: argparse._SubParsersAction) -> None:
    from bangfu.cli import data as cli_data

    cli_data.register(sub)


#: Modules that add a group of subcommands themselves (``import``, ``export``, ``restore-backup``).
REGISTRARS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (_data_commands,)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subparser per row of COMMANDS."""
    parser = argparse.ArgumentParser(prog="python -m bangfu", description="帮扶地图 Bangfu Atlas 命令行工具")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for cmd in COMMANDS:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(p)
        p.set_defaults(_handler=cmd.handler)
    for register in REGISTRARS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a subcommand; user errors → Chinese message on stderr and exit code 2."""
    from bangfu.planning.solvers import PlanningError
    from bangfu.workspace.store import WorkspaceError

    args = build_parser().parse_args(argv)
    try:
        handler = getattr(args, "_handler", None) or args.func
        return int(handler(args) or 0)
    except (PlanningError, WorkspaceError) as exc:
        print(f"错误：{getattr(exc, 'message_zh', exc)}", file=sys.stderr)
    except CliError as exc:
        print(f"错误：{exc}", file=sys.stderr)
    except OSError as exc:
        print(f"错误：无法读写文件：{exc}", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
