"""Data commands: ``import`` a file into the workspace, ``export`` it, ``restore-backup`` (``--list`` the backups).

``python -m bangfu import FILE --layer villages --crs gcj02`` prints the validation report and
the change preview, and writes only when there is no error (and ``--dry-run`` is not given);
``python -m bangfu export --format gpkg [--layer villages] [--out FILE]`` writes an export.
Messages are Chinese; the exit code is 0 on success and 1 when the import is refused by its checks
(the verdict and the report go to stdout). Any other problem (a missing file, an unknown format, no
backup) is raised as a :class:`bangfu.core.errors.BangfuError` and reported once by the command
runner (:func:`bangfu.cli.commands.run`: stderr, exit code 2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

from bangfu.cli.commands import EXIT_REFUSED, CliError, error_lines
from bangfu.core import fileio
from bangfu.ingest import columns as cm, matching
from bangfu.ingest import pipeline as importers
from bangfu.export import layers as layer_export
from bangfu.workspace import access, create, locations, store
from bangfu.ingest.crs_detect import crs_label
from bangfu.workspace.schema import LAYERS
from bangfu.ingest.guard import ImportRefused, check_size
from bangfu.core.errors import BangfuError


def _workspace(arg: str | None) -> Path | str:
    """The workspace a data command works on (:func:`bangfu.workspace.locations.workspace_argument`: a GeoPackage,
    its folder, or a ``postgresql://`` URL as a string); opening a file rolls back a killed writer's half-done
    transaction and removes stale temporary files (:func:`bangfu.workspace.store.startup`)."""
    ws = locations.workspace_argument(arg)
    if arg:
        store.startup(ws)
    return ws


def _print(text: str) -> None:
    sys.stdout.write(text + "\n")


def _refused(exc: ImportRefused) -> None:
    """An import refused by its checks: the verdict on stdout, after the report."""
    for line in error_lines(exc, prefix="拒绝导入"):
        _print(line)


def _print_matches(matches: pd.DataFrame) -> None:
    """Every row of a villages file and the official village it matched (or 未匹配), one line each."""
    _print("与官方村名录核对（文件 / 行 / 列 / 值 → 结果）：")
    for m in matches.itertuples(index=False):
        result = matching.describe_match(bool(m.matched), str(m.how))
        result += f"→ {m.village_code} {m.town_name}{m.official_name}" if m.matched else "：见下方错误"
        _print(f"  {m.file}\t第 {m.row} 行\t{m.column}\t{m.value}\t{result}")


def cmd_import(args: argparse.Namespace) -> int:
    ws = _workspace(args.workspace)
    src = Path(args.file)
    if not src.is_file():
        raise CliError(f"找不到文件 {src}", f"file not found: {src}", hint_zh="检查文件路径。", hint_en="Check the path.")
    mapping = None
    crs = args.crs
    encoding = args.encoding
    if args.mapping:
        try:
            saved = cm.load_mapping(args.mapping)
        except ValueError as exc:
            raise CliError(f"列对应文件无法读取：{exc}", f"cannot read the column mapping: {exc}",
                           hint_zh="用 --save-mapping 保存的 JSON 文件才能用作 --mapping。",
                           hint_en="--mapping takes a JSON file saved with --save-mapping.") from None
        mapping = dict(saved.columns)
        crs = crs or saved.crs
        encoding = encoding or saved.encoding
    try:
        limits = importers.Limits.for_office(store.office_folder(ws))  # the administrator's limits (data page), then env
        check_size(src.stat().st_size, limits)
        # the file is read where it lies (never whole into this process): the server-folder import of a file too
        # large for a browser upload
        plan = importers.prepare_import_limited(ws, src.name, src.resolve(), layer=args.layer, mapping=mapping,
                                                crs=crs, encoding=encoding, mode=args.mode, sublayer=args.sheet,
                                                limits=limits)
    except ImportRefused as exc:
        _refused(exc)
        return EXIT_REFUSED
    except BangfuError:
        raise
    except ValueError as exc:
        raise CliError(f"参数错误：{exc}", f"bad argument: {exc}") from None
    _print(f"文件：{plan.file_name}（{plan.kind}），编码：{plan.encoding_note}")
    if plan.crs:
        _print(f"坐标系：{crs_label(plan.crs)}（{ {'file': '文件声明', 'user': '用户指定', 'guess': '自动判断'}.get(plan.crs_source, '')}）")
    _print("列对应：" + "，".join(f"{c} → {cm.target_label(plan.layer, f)}" for c, f in plan.mapping.items()))
    for line in plan.report.to_frame("zh").astype(str).to_csv(sep="\t", index=False).splitlines()[1:] if args.verbose else []:
        _print("  " + line)
    if plan.matches is not None:
        _print_matches(plan.matches)
    for note in plan.notes:
        _print("说明：" + note)
    _print(plan.summary_zh())
    for p in plan.report.errors[:50]:
        _print("  错误：" + p.line("zh"))
    for p in plan.report.warnings[:20]:
        _print("  警告：" + p.line("zh"))
    if plan.change is not None:
        c = plan.change.counts()
        _print(f"变更预览（{LAYERS[plan.layer].zh}）：新增 {c['added']} 行，修改 {c['changed']} 行，删除 {c['removed']} 行，"
               f"不变 {c['unchanged']} 行")
    if args.save_mapping:
        path = cm.save_mapping(store.office_folder(ws), cm.SavedMapping(args.save_mapping, plan.layer, plan.mapping, plan.crs,
                                                          plan.encoding))
        _print(f"列对应已保存：{path}")
    if not plan.ok:
        _print("拒绝导入：存在错误，工作空间未修改。")
        return EXIT_REFUSED
    if args.dry_run:
        _print("试运行（--dry-run）：工作空间未修改。")
        return 0
    try:
        importers.apply_import(ws, plan, user=access.cli_principal())
    except ImportRefused as exc:
        _refused(exc)
        return EXIT_REFUSED
    latest = store.list_backups(ws)
    where = str(latest[0].path) if latest else str(store.backups_dir(ws))
    _print(f"已导入。导入前的{LAYERS[plan.layer].zh}图层已备份为 {where}（只含被替换的图层，可用 restore-backup 恢复）。")
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    """``new --county CODE [--name NAME] --workspace PATH``: an empty workspace for a county (the CLI acts as admin)."""
    ws = Path(args.workspace)
    if ws.suffix.lower() != ".gpkg":
        ws = ws / store.WORKSPACE_FILE  # a folder: the workspace file inside it
    path = create.new_workspace(ws, args.county, args.name, user=access.cli_principal())
    meta = store.read_meta(path)
    ref = create.read_reference(path)
    _print(f"已新建工作空间：{path}（{meta.get('county_name', '')}，县代码 {meta.get('county_code', '')}）")
    if len(ref):
        _print(f"官方村名录：{len(ref)} 个村（居）委会、{ref['town_code'].nunique()} 个镇街，导入的村将按代码或镇名+村名核对。")
    else:
        _print("官方区划代码表不含这个县：导入的村代码只按格式（12 位数字）检查。")
    _print("下一步：按顺序导入 villages（村界）→ households → roads → tourism_sites → enterprises → pairings → projects，")
    _print(f"例如：python -m bangfu import 村界.shp.zip --layer villages --workspace {path}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    ws = _workspace(args.workspace)
    try:
        fmt = layer_export.check_format(args.format)
    except ValueError:
        raise CliError(f"未知的导出格式：{args.format}；可用：{'、'.join(layer_export.FORMATS)}",
                       f"unknown export format {args.format!r}; allowed: {', '.join(layer_export.FORMATS)}") from None
    if args.layer and args.layer not in LAYERS:
        raise CliError(f"未知的图层：{args.layer}；可用：{'、'.join(LAYERS)}",
                       f"unknown layer {args.layer!r}; known: {', '.join(LAYERS)}")
    fname, data = layer_export.export_workspace(ws, fmt.key, user=access.cli_principal(),
                                                layers=[args.layer] if args.layer else None)
    out = fileio.write_bytes(Path(args.out) if args.out else Path.cwd() / fname, data)
    _print(f"已导出：{out}（{len(data) / 1024:.0f} KB）")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    ws = _workspace(args.workspace)
    found = store.list_backups(ws)
    if args.list:
        if not found:
            _print("没有备份。")
        for b in found:
            _print(f"{b.name}\t{b.label('zh')}")
        return 0
    chosen = found[0] if found and not args.backup else next((b for b in found if b.name == args.backup), None)
    if chosen is not None:
        _print(store.restore_warning(ws, backup=chosen))
    importers.restore_backup(ws, user=access.cli_principal(), backup=args.backup)
    _print("已恢复备份；恢复前的数据已先保存为备份，可再次恢复（restore-backup --list 查看）。")
    return 0


def import_args(p: argparse.ArgumentParser) -> None:
    """The arguments of ``import``."""
    p.add_argument("file")
    p.add_argument("--layer", required=True, choices=list(LAYERS))
    p.add_argument("--crs", help="wgs84, cgcs2000, gcj02, bd09 or EPSG:4513–4554 (default: from the file)")
    p.add_argument("--encoding", help="utf-8, gb18030 (gbk), big5, latin-1 (default: .cpg, else UTF-8, else GB18030)")
    p.add_argument("--mapping", help="saved column mapping (JSON)")
    p.add_argument("--save-mapping", metavar="NAME", help="save the column mapping under this name")
    p.add_argument("--mode", choices=list(importers.MODES), help="replace the layer, or update rows by key")
    p.add_argument("--sheet", help="Excel sheet or GeoPackage layer to read")
    p.add_argument("--workspace", type=str, help="workspace .gpkg, its folder, or a postgresql:// URL (default: the app's workspace)")
    p.add_argument("--dry-run", action="store_true", help="check and preview only")
    p.add_argument("--verbose", "-v", action="store_true", help="print the whole report as a table")


def new_args(p: argparse.ArgumentParser) -> None:
    """The arguments of ``new``."""
    p.add_argument("--county", required=True, help="县（市、区）代码，6 位数字，如 440783（开平市）")
    p.add_argument("--name", help="县（市、区）名称；官方区划代码表（辽宁省、开平市）不含的县必须填写")
    p.add_argument("--workspace", required=True, help="新工作空间文件（.gpkg）或文件夹；已存在的文件不会被覆盖")


def export_args(p: argparse.ArgumentParser) -> None:
    """The arguments of ``export``."""
    p.add_argument("--format", required=True, help=", ".join(layer_export.FORMATS))
    p.add_argument("--layer", help="one layer (default: the whole workspace)")
    p.add_argument("--out", help="output file (default: ./<name> in the current folder)")
    p.add_argument("--workspace", type=str, help="workspace .gpkg, its folder, or a postgresql:// URL (default: the app's workspace)")


def restore_args(p: argparse.ArgumentParser) -> None:
    """The arguments of ``restore-backup``."""
    p.add_argument("--workspace", type=str, help="workspace .gpkg, its folder, or a postgresql:// URL (default: the app's workspace)")
    p.add_argument("--list", action="store_true", help="list the backups (newest first) and restore nothing")
    p.add_argument("--backup", metavar="NAME", help="the backup file to restore (default: the newest)")
