"""Account commands: ``python -m bangfu user add|list|passwd|disable|enable`` on the office of a workspace folder.

The first administrator of an office is created here (the browser cannot create accounts in demo mode)::

    python -m bangfu user add zhangsan --role admin --display-name 张三

A password is read from standard input: asked twice (without echo) on a terminal, one line from a pipe
(``printf '%s\\n' "$PW" | python -m bangfu user add …``). The commands act as the command line's administrator
(:func:`bangfu.workspace.access.cli_principal`) and every change is audited. A problem (unknown role or user, short
password, the two entries differ) is a :class:`bangfu.cli.commands.CliError` or
:class:`bangfu.workspace.accounts.AccountError`: ``错误：…`` on stderr, exit code 2.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path

from bangfu.cli.commands import CliError
from bangfu.workspace import access, accounts, audit, locations, store


def _folder(arg: str | None) -> Path:
    """The workspace folder whose office holds the accounts (``--workspace``: a folder or its workspace file; for a
    ``postgresql://`` workspace the app's office folder, :func:`bangfu.workspace.store.office_folder`)."""
    if not arg:
        return store.default_workspace_dir()
    if locations.is_database(arg):
        return store.office_folder(locations.entry_location(arg))
    p = Path(arg)
    return p.parent if p.suffix == ".gpkg" else p


def read_password(*, confirm: bool = True) -> str:
    """The new password: from a terminal asked (twice with ``confirm``) without echo; else one line of stdin."""
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass("新密码：")
        if confirm and getpass.getpass("再输入一次：") != first:
            raise CliError("两次输入的密码不一致，没有作任何修改。", "The two passwords differ; nothing was changed.",
                           hint_zh="请重新运行命令。")
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise CliError("没有从标准输入读到密码。", "No password on standard input.",
                       hint_zh="在终端上运行会提示输入；从管道传入时每行一个密码，如 printf '%s\\n' \"$密码\" | python -m bangfu user add …")
    return line.rstrip("\r\n")


def _towns(text: str | None) -> tuple[str, ...]:
    return tuple(s.strip() for s in (text or "").replace("，", ",").split(",") if s.strip())


def _warn_unknown_towns(folder: Path, towns: tuple[str, ...]) -> None:
    """A note on stderr for town codes the folder's workspace does not have (the account is still created)."""
    path = folder / store.WORKSPACE_FILE
    if not towns or not path.exists():
        return
    try:
        known = set(store.read_layer(path, "villages")["town_code"].astype(str))
    except Exception:  # noqa: BLE001 - a workspace that cannot be read says so elsewhere; this is only a note
        return
    unknown = [t for t in towns if t not in known]
    if unknown:
        print(f"提示：工作空间中没有镇街代码 {'、'.join(unknown)}；导入这些镇街的数据后该账号才有权限修改它们。",
              file=sys.stderr)


def _add(args: argparse.Namespace) -> int:
    folder = _folder(args.workspace)
    towns = _towns(args.towns)
    accounts.check_new_account(args.name, args.role, towns, args.email or "")  # before asking for the password
    password = read_password()
    account = accounts.add_user(folder, access.cli_principal(), args.name, password, args.role, towns=towns,
                                display_name=args.display_name or "", email=args.email or "")
    _warn_unknown_towns(folder, account.towns)
    print(f"已创建用户 {account.username}（{access.ROLES[account.role].zh}）：{audit.office_db(folder)}")
    return 0


_HEADER = ("用户名", "显示名", "角色", "镇街", "电子邮箱", "状态", "创建时间", "修改时间")


def _list(args: argparse.Namespace) -> int:
    folder = _folder(args.workspace)
    users = accounts.list_users(folder, access.cli_principal())
    if not users:
        print(f"还没有账号（{audit.office_db(folder)}）：应用处于示例模式，任何访问者都拥有全部权限。")
        print("创建第一个管理员：python -m bangfu user add 用户名 --role admin")
        return 0
    print("\t".join(_HEADER))  # tab-separated: CJK text does not line up in columns
    for u in users:
        print("\t".join((u.username, u.display_name, access.ROLES[u.role].zh, ",".join(u.towns), u.email,
                         "已停用" if u.disabled else "可用", u.created_at, u.changed_at)))
    return 0


def _passwd(args: argparse.Namespace) -> int:
    folder = _folder(args.workspace)
    accounts.get_user(folder, access.cli_principal(), args.name)  # an unknown name fails before the prompt
    accounts.set_password(folder, access.cli_principal(), args.name, read_password())
    print(f"已重设 {args.name.strip()} 的密码；该用户的登录会话已全部结束。")
    return 0


def _disable(args: argparse.Namespace) -> int:
    account = accounts.set_disabled(_folder(args.workspace), access.cli_principal(), args.name, True)
    print(f"已停用用户 {account.username}；该用户的登录会话已全部结束。")
    return 0


def _enable(args: argparse.Namespace) -> int:
    account = accounts.set_disabled(_folder(args.workspace), access.cli_principal(), args.name, False)
    print(f"已启用用户 {account.username}。")
    return 0


def _name(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", metavar="NAME", help="用户名")


def _add_args(p: argparse.ArgumentParser) -> None:
    _name(p)
    p.add_argument("--role", required=True, help=f"角色：{'、'.join(f'{k}（{r.zh}）' for k, r in access.ROLES.items())}")
    p.add_argument("--towns", default=None, help="镇级规划员负责的镇街代码（9 位），逗号分隔，如 440783116,440783101")
    p.add_argument("--display-name", default=None, help="显示名（界面和操作记录中显示），如 张三")
    p.add_argument("--email", default=None, help="电子邮箱（统一身份认证登录时用来对应账号）")


#: The ``user`` subcommands: name, help, argument builder, handler.
USER_COMMANDS: tuple[tuple[str, str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]],
                     ...] = (
    ("add", "新建账号（密码从标准输入读取）", _add_args, _add),
    ("list", "列出全部账号", lambda p: None, _list),
    ("passwd", "重设账号的密码（从标准输入读取），并结束其会话、解除锁定", _name, _passwd),
    ("disable", "停用账号（立即结束其会话）", _name, _disable),
    ("enable", "重新启用账号（并解除登录锁定）", _name, _enable),
)


def user_args(p: argparse.ArgumentParser) -> None:
    """The ``user`` command's own subcommands (rows of :data:`USER_COMMANDS`), each with ``--workspace``."""
    sub = p.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    for name, help_text, add_arguments, handler in USER_COMMANDS:
        sp = sub.add_parser(name, help=help_text, description=help_text)
        add_arguments(sp)
        sp.add_argument("--workspace", default=None,
                        help="工作空间文件夹（或其中的 workspace.gpkg；默认：应用的工作空间文件夹），账号保存在其中的 office.sqlite")
        sp.set_defaults(_user_handler=handler)


def cmd_user(args: argparse.Namespace) -> int:
    """Run one ``user`` subcommand."""
    return int(args._user_handler(args) or 0)
