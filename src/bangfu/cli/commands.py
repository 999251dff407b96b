"""Command line: ``python -m bangfu <command>``; subcommands are rows of the declarative table COMMANDS.

To add a command, write ``_name_args(parser)`` and ``_name(args) -> int`` and append one
:class:`Command` row (the data commands live in :mod:`bangfu.cli.data`, which imports this module:
their rows name its functions through :func:`_data`). A handler reports a problem the user can fix by raising a
:class:`bangfu.core.errors.BangfuError` (e.g. :class:`CliError`); :func:`main` catches it once,
prints ``错误：<message>`` and ``提示：<hint>`` on stderr and exits with code 2, without a traceback.
Any other exception is a bug: one Chinese line on stderr, exit code 3, and the traceback only with
``--debug`` (or the environment variable ``BANGFU_DEBUG=1``). Nothing is written on an error: output
files go through :func:`bangfu.core.fileio.write_bytes` (a complete temporary file moved into place).

Exit codes: 0 done; 1 an import refused by its checks (the report says why); 2 an error the user
can fix; 3 an unexpected internal error; 130 interrupted.
"""

from __future__ import annotations

import argparse
from typing import Any
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable, Sequence

from bangfu.core import fileio
from bangfu.core.errors import BangfuError

__all__ = ["Command", "COMMANDS", "CliError", "build_parser", "main", "error_lines", "EXIT_OK", "EXIT_REFUSED",
           "EXIT_ERROR", "EXIT_INTERNAL", "DEBUG_ENV"]

EXIT_OK, EXIT_REFUSED, EXIT_ERROR, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
#: Set to 1 to print the traceback of an unexpected error (same as ``--debug``).
DEBUG_ENV = "BANGFU_DEBUG"


class CliError(BangfuError):
    """A user error on the command line (a bad option value, a wrong output suffix, a missing file)."""


@dataclass(frozen=True)
class Command:
    """One subcommand: its name, help text, argument builder and handler."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]


def error_lines(exc: BangfuError, *, prefix: str = "错误") -> list[str]:
    """How the command line shows a :class:`BangfuError`: ``<prefix>：<message>``, details, ``提示：<hint>``."""
    lines = [f"{prefix}：{exc.message_zh}"]
    lines += [f"  {d}" for d in exc.details]
    if exc.hint_zh:
        lines.append(f"提示：{exc.hint_zh}")
    return lines


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
    p.add_argument("--workspace", required=True, type=str,
                   help="工作空间：GeoPackage 文件（或其所在文件夹），或 postgresql:// 数据库地址")
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
    p.add_argument("--catchment", choices=("straight", "network"), default="straight",
                   help="服务范围：straight = 直线距离（默认）；network = 沿道路（步行到最近道路 + 路网距离）")
    p.add_argument("--missing-links", type=int, default=0, metavar="N",
                   help="把硬化后连通村最多的前 N 条“断头路”作为候选道路硬化项目加入（投资 = 长度 × 各等级单价）")


def _checked_workspace(arg: str | None) -> Path | str:
    """The workspace a reading command works on, checked: ``--workspace`` (a GeoPackage, the folder holding the
    workspace file, or a ``postgresql://`` URL, passed on as a string without its password), else the app's own
    workspace (:func:`bangfu.workspace.locations.workspace_argument`)."""
    from bangfu.workspace import locations, store

    ws = locations.workspace_argument(arg)
    if arg or locations.is_database(ws):
        store.check_workspace_file(ws)
    return ws


def _with_missing_links(layers: dict, top: int):
    """The projects layer plus the ``top`` missing links (bangfu.indicators.network) as candidates."""
    import pandas as pd

    from bangfu.indicators import network as net_ind

    data = net_ind.network_data(layers["roads"], layers["villages"], layers.get("seats"))
    links = net_ind.missing_links(data, net_ind.village_connection(data, layers["villages"]))
    extra = net_ind.missing_link_projects(links, layers["roads"], top=top).to_crs(layers["projects"].crs)
    return pd.concat([layers["projects"], extra], ignore_index=True)


def _rank(args: argparse.Namespace) -> int:
    from bangfu.planning import solvers as planning, run as planning_run
    from bangfu.workspace import access, personal
    from bangfu.planning.project_types import default_distances

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        raise CliError(f"输出文件必须是 .xlsx：{out}", f"the output file must be .xlsx: {out}",
                       hint_zh="把 --out 的文件名改为以 .xlsx 结尾。", hint_en="Give --out a name ending in .xlsx.")
    ws = _checked_workspace(args.workspace)
    load = personal.loader(ws, access.cli_principal())  # the command line acts as its administrator
    layers = {name: load(name) for name in ("villages", "households", "roads", "projects", "seats")}
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
        catchment=args.catchment,
    )
    if args.missing_links > 0:
        layers = {**layers, "projects": _with_missing_links(layers, args.missing_links)}
    result = planning_run.run(layers, options)
    data = planning_run.excel_bytes(result)
    fileio.write_bytes(out, data)
    if result.fallback:
        print("注意：" + planning_run.t("planning.fallback", "zh"))
    print(planning_run.summary(result).to_string(index=False))
    print(f"已写入：{out}")
    return 0


# --------------------------------------------------------------------------- summary


def _summary_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workspace", default=None, type=str,
                   help="工作空间：GeoPackage 文件（或其所在文件夹）或 postgresql:// 数据库地址；默认：应用的工作空间")
    p.add_argument("--town", default=None, help="镇街代码（9 位）；不填为全市（县）")
    p.add_argument("--as-of", default=None, help="结对统计日期 YYYY-MM-DD（默认：工作空间的统计日期，否则今天）")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="输出语言（默认中文）")


def _summary(args: argparse.Namespace) -> int:
    import datetime as dt

    from bangfu.indicators import pairings as pi
    from bangfu.indicators.summary import area_summary, summary_table
    from bangfu.workspace import access, areas, personal, store

    ws = _checked_workspace(args.workspace)
    if args.as_of:
        try:
            as_of = dt.date.fromisoformat(args.as_of)
        except ValueError:
            raise CliError(f"日期格式应为 YYYY-MM-DD：{args.as_of!r}") from None
    else:
        as_of = pi.resolve_as_of(store.read_meta(ws), dt.date.today())
    loader = personal.loader(ws, access.cli_principal())  # the command line acts as its administrator
    area = areas.area_for(loader("villages"), args.town)
    summary = area_summary(areas.AreaLayers(loader, area), as_of=as_of)
    name = area.name or store.read_meta(ws).get("county_name", "")  # a new workspace without villages yet
    print(f"{name}（{as_of.isoformat()}）")
    table = summary_table(summary, lang=args.lang)  # tab-separated: CJK text does not line up in columns
    print("\t".join(table.columns))
    for row in table.itertuples(index=False):
        print("\t".join(row))
    return 0


# --------------------------------------------------------------------------- copy, migrate


def _location(arg: str) -> Path | str:
    """A workspace given on the command line: a ``postgresql://`` URL as it is, a folder as its workspace file."""
    from bangfu.workspace import store
    from bangfu.workspace.backend import is_database

    if is_database(arg):
        return arg
    p = Path(arg)
    return p / store.WORKSPACE_FILE if p.is_dir() else p


def _copy_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="源工作空间：GeoPackage 文件（或其文件夹）或 postgresql://…?schema=… 地址")
    p.add_argument("target", help="目标：GeoPackage 文件或 postgresql://…?schema=… 地址（一个 schema 一个工作空间）")
    p.add_argument("--replace", action="store_true", help="目标已有数据时用源数据替换（默认拒绝覆盖）")


def _copy(args: argparse.Namespace) -> int:
    from bangfu.workspace import transfer
    from bangfu.workspace.backend import location_name

    source, target = _location(args.source), _location(args.target)

    def progress(layer: str, rows: int, i: int, n: int) -> None:
        print(f"[{i}/{n}] {transfer.layer_label(layer)}（{layer}）：{rows:,} 行", flush=True)

    counts = transfer.copy_workspace(source, target, replace=args.replace, progress=progress)
    print(f"已复制 {len(counts)} 个图层、{sum(counts.values()):,} 行：{location_name(source)} → {location_name(target)}")
    return 0


def _migrate_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workspace", required=True, help="要迁移的数据库工作空间：postgresql://…?schema=… 地址")


def _migrate(args: argparse.Namespace) -> int:
    from bangfu.workspace import postgis
    from bangfu.workspace.backend import is_database

    if not is_database(args.workspace):
        raise CliError("只有数据库工作空间（postgresql:// 地址）需要迁移。", "only database workspaces are migrated",
                       hint_zh="GeoPackage 工作空间直接打开即可。", hint_en="A GeoPackage opens as it is.")
    before = postgis.migrate(args.workspace)
    print(f"数据格式版本 {before} → {postgis.FORMAT_VERSION}")
    return 0


# --------------------------------------------------------------------------- derive


def _derive_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workspace", default=None, help="工作空间 GeoPackage 文件（或其所在文件夹；默认：应用的工作空间）")
    p.add_argument("--table", action="append", default=None, metavar="NAME",
                   help="只计算这张汇总表（可重复；默认全部）")


def _derive(args: argparse.Namespace) -> int:
    import time

    from bangfu.core.labels import t
    from bangfu.workspace import derived

    ws = _checked_workspace(args.workspace)
    names = args.table
    for n in names or ():
        try:
            derived.get_derived(n)
        except KeyError:
            raise CliError(f"没有这张汇总表：{n}", f"no such table: {n}",
                           hint_zh="可用：" + "、".join(d.name for d in derived.DERIVED)) from None
    start = time.perf_counter()

    def progress(fraction: float, name: str) -> None:
        if name:
            print(f"[{time.perf_counter() - start:6.1f} s] {t(f'derived.table.{name}', 'zh')}（{name}）…", flush=True)

    report = derived.derive(ws, names, progress=progress)
    print(t("derived.cli.done", "zh").format(n=len(report.computed), m=len(report.reused)))
    for name, seconds in report.computed.items():
        print(f"  {name}\t{seconds:.1f} s")
    print(f"合计 {time.perf_counter() - start:.1f} s；保存在 {derived.sidecar_path(ws)}")
    return 0


# --------------------------------------------------------------------------- table

def _data(name: str) -> Callable:
    """A function of :mod:`bangfu.cli.data`, looked up when the parser is built or the command runs."""
    def call(arg: Any) -> Any:
        from bangfu.cli import data

        return getattr(data, name)(arg)

    call.__name__ = call.__qualname__ = name
    return call


def _users(name: str) -> Callable:
    """A function of :mod:`bangfu.cli.users`, looked up when the parser is built or the command runs."""
    def call(arg: Any) -> Any:
        from bangfu.cli import users

        return getattr(users, name)(arg)

    call.__name__ = call.__qualname__ = name
    return call


def _db(name: str) -> Callable:
    """A function of :mod:`bangfu.cli.db` (the database driver is imported only when a db command runs)."""
    def call(arg: Any) -> Any:
        from bangfu.cli import db

        return getattr(db, name)(arg)

    call.__name__ = call.__qualname__ = name
    return call


COMMANDS: tuple[Command, ...] = (
    Command("rank", "按受益农户给候选项目排名，并在预算内选出项目组合（输出 Excel）", _rank_args, _rank),
    Command("summary", "全市（县）或一个镇街的主要指标（村数、户数、道路硬化率、通达率、结对覆盖率）", _summary_args, _summary),
    Command("derive", "计算并保存省、市、县级页面所用的汇总表（导入后运行一次；数据未变的表直接沿用）", _derive_args, _derive),
    Command("new", "为一个县新建空的工作空间 (start an empty workspace for a county)", _data("new_args"),
            _data("cmd_new")),
    Command("import", "导入文件到工作空间 (import a file into the workspace)", _data("import_args"), _data("cmd_import")),
    Command("export", "导出工作空间或图层 (export the workspace or a layer)", _data("export_args"), _data("cmd_export")),
    Command("restore-backup", "恢复导入前的备份 (restore the previous workspace)", _data("restore_args"),
            _data("cmd_restore")),
    Command("copy", "在 GeoPackage 与 PostGIS 之间复制工作空间 (copy a workspace between GeoPackage and PostGIS)",
            _copy_args, _copy),
    Command("migrate", "把旧格式的数据库工作空间迁移到当前格式 (migrate a PostGIS workspace)", _migrate_args, _migrate),
    Command("user", "管理账号：add 新建、list 列出、passwd 重设密码、disable 停用、enable 启用 (manage accounts)",
            _users("user_args"), _users("cmd_user")),
    Command("db", "数据库工作空间：grant-readonly 为 QGIS 创建只读角色 (database chores)", _db("db_args"), _db("cmd_db")),
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one subparser per row of COMMANDS (each also accepts ``--debug``)."""
    parser = argparse.ArgumentParser(prog="python -m bangfu", description="帮扶地图 Bangfu Atlas 命令行工具")
    parser.add_argument("--debug", action="store_true", help=_DEBUG_HELP)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for cmd in COMMANDS:
        p = sub.add_parser(cmd.name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(p)
        p.set_defaults(_handler=cmd.handler)
    for p in sub.choices.values():  # ``--debug`` also after the command name
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=_DEBUG_HELP)
    return parser


_DEBUG_HELP = f"出现意外错误时打印完整的错误跟踪（也可设置环境变量 {DEBUG_ENV}=1）"


def _stderr(lines: Sequence[str]) -> None:
    for line in lines:
        print(line, file=sys.stderr)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def run(args: argparse.Namespace, *, debug: bool = False) -> int:
    """Run the parsed command; every error ends here (see the module docstring for the exit codes)."""
    try:
        return int(args._handler(args) or 0)
    except KeyboardInterrupt:
        _stderr(["已中断。"])
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 — the one place that turns any failure into readable lines
        lines, code = _report(exc)
        _stderr(lines)
        if debug:
            traceback.print_exception(exc, file=sys.stderr)
        return code


def _report(exc: Exception) -> tuple[list[str], int]:
    """The lines shown for an exception, and the exit code."""
    if isinstance(exc, BangfuError):
        return error_lines(exc), EXIT_ERROR
    if isinstance(exc, OSError):
        where = f"{exc.filename}：" if exc.filename else ""
        return [f"错误：无法读写文件：{where}{exc.strerror or exc}",
                "提示：检查路径是否存在、是否有读写权限、磁盘是否已满。"], EXIT_ERROR
    return [f"错误：程序内部出错（{_one_line(exc)}）。这不是您的操作问题；"
            f"加 --debug 或设置环境变量 {DEBUG_ENV}=1 可显示详细信息，请发给维护人员。"], EXIT_INTERNAL


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` and run the command; returns the exit code."""
    args = build_parser().parse_args(argv)
    debug = bool(getattr(args, "debug", False)) or os.environ.get(DEBUG_ENV, "").strip() not in ("", "0")
    return run(args, debug=debug)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
