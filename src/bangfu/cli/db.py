"""``python -m bangfu db ...``: database chores for PostGIS workspaces (today: a read-only role for desktop GIS)."""

from __future__ import annotations

import argparse
import sys

from bangfu.workspace import access, audit, locations, pgconnect, pgroles, store

__all__ = ["cmd_db", "db_args"]


def db_args(p: argparse.ArgumentParser) -> None:
    """``db grant-readonly URL --role NAME [--no-password]``."""
    sub = p.add_subparsers(dest="db_command", required=True, metavar="SUBCOMMAND")
    g = sub.add_parser("grant-readonly", help="为桌面 GIS（QGIS）创建只读数据库角色 (a read-only role for QGIS)",
                       description="创建（或更新）只读角色：可连接数据库、读取该工作空间的全部图层，不能修改。"
                                   "新角色的密码从终端输入（不回显），或从标准输入读一行。")
    g.add_argument("workspace", type=str, help="工作空间的数据库地址 postgresql://用户@服务器/数据库?schema=工作空间")
    g.add_argument("--role", required=True, help="只读角色名（小写字母、数字、下划线）")
    g.add_argument("--no-password", action="store_true",
                   help="不设密码（角色已存在时保留原密码；或由数据库管理员另行配置认证方式）")


def _read_password() -> str:
    from bangfu.cli.users import read_password

    return read_password(confirm=True)


def cmd_db(args: argparse.Namespace) -> int:
    """Run ``db grant-readonly``: connect as the URL's role (password from the environment, secrets or ~/.pgpass;
    see docs/postgis.md), create or update the read-only role, audit it in the office's trail."""
    if not pgconnect.is_database(args.workspace):
        from bangfu.cli.commands import CliError

        raise CliError("db 命令只用于数据库工作空间：请给出 postgresql:// 地址", "db needs a postgresql:// URL",
                       hint_zh="例如：python -m bangfu db grant-readonly "
                               "'postgresql://bangfu@10.0.0.5/atlas?schema=kaiping' --role qgis_reader")
    location = str(locations.entry_location(args.workspace))
    pgroles.check_role(args.role)  # a bad name is refused before a password is asked for
    secret = None if args.no_password else _read_password()
    created = pgroles.grant_readonly(location, args.role, password=secret)
    audit.record(store.office_folder(location), access.cli_principal(), "grant_readonly", args.role,
                 {"created": created}, workspace=location)
    verb = "已创建" if created else "已更新"
    sys.stdout.write(f"{verb}只读角色 {args.role}：可读取 {location} 的全部图层，不能修改。\n"
                     f"QGIS：图层 → 添加图层 → 添加 PostGIS 图层，新建连接时用户名填 {args.role}（见 docs/postgis.md）。\n")
    return 0
