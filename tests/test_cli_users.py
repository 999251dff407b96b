"""``python -m bangfu user …`` run as a user would: a subprocess, the password through a pipe or a terminal."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from bangfu.workspace import access, accounts, audit

ROOT = Path(__file__).resolve().parents[1]
PW = "a long passphrase"


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT / "src"), PYTHONIOENCODING="utf-8")


def bangfu(folder: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bangfu", "user", *args, "--workspace", str(folder)],
                          input=stdin, capture_output=True, text=True, encoding="utf-8", env=_env(), cwd=ROOT,
                          timeout=120)


def test_first_admin_from_a_pipe_then_list_passwd_disable_enable(tmp_path: Path):
    listed = bangfu(tmp_path, "list")
    assert listed.returncode == 0 and "示例模式" in listed.stdout
    added = bangfu(tmp_path, "add", "zhang", "--role", "admin", "--display-name", "张三", stdin=PW + "\n")
    assert added.returncode == 0, added.stderr
    assert "已创建用户 zhang（管理员）" in added.stdout and PW not in added.stdout + added.stderr
    token, user = accounts.login(tmp_path, "zhang", PW)  # the piped line (without its newline) is the password
    assert (user.role, user.display_name) == ("admin", "张三")
    town = bangfu(tmp_path, "add", "wang", "--role", "town_planner", "--towns", "440783116，440783101",
                  stdin="wang's password\r\n")
    assert town.returncode == 0, town.stderr
    assert accounts.login(tmp_path, "wang", "wang's password")[1].towns == ("440783116", "440783101")

    rows = bangfu(tmp_path, "list").stdout.splitlines()
    assert rows[0].split("\t")[:3] == ["用户名", "显示名", "角色"]
    assert [r.split("\t")[:4] for r in rows[1:]] == [["wang", "", "镇级规划员", "440783116,440783101"],
                                                    ["zhang", "张三", "管理员", ""]]

    assert bangfu(tmp_path, "passwd", "zhang", stdin="new passphrase\n").returncode == 0
    assert accounts.session_user(tmp_path, token) is None  # the reset ended the session
    assert accounts.login(tmp_path, "zhang", "new passphrase")[1].username == "zhang"
    assert bangfu(tmp_path, "disable", "wang").returncode == 0
    assert "已停用" in bangfu(tmp_path, "list").stdout
    assert bangfu(tmp_path, "enable", "wang").returncode == 0
    trail = audit.entries(tmp_path, user=access.cli_principal())
    cli_rows = trail[trail["username"].str.startswith("cli:")]
    assert cli_rows["action"].tolist()[::-1] == ["user_add", "user_add", "user_passwd", "user_disable", "user_enable"]


@pytest.mark.parametrize("args, stdin, message", [
    (("add", "li", "--role", "boss"), PW + "\n", "未知的角色 'boss'"),
    (("add", "li", "--role", "viewer"), "short\n", "密码太短"),
    (("add", "li", "--role", "viewer"), "", "没有从标准输入读到密码"),
    (("add", "li", "--role", "town_planner"), PW + "\n", "必须指定负责的镇街"),
    (("passwd", "nobody"), PW + "\n", "没有用户 'nobody'"),
    (("disable", "nobody"), "", "没有用户 'nobody'"),
    (("disable", "root"), "", "最后一个可用的管理员"),
])
def test_mistakes_are_clear_chinese_errors_with_exit_2(tmp_path: Path, args, stdin: str, message: str):
    accounts.add_user(tmp_path, access.cli_principal(), "root", PW, "admin")
    before = audit.office_db(tmp_path).read_bytes()
    done = bangfu(tmp_path, *args, stdin=stdin)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.startswith("错误：") and message in done.stderr and "Traceback" not in done.stderr
    assert audit.office_db(tmp_path).read_bytes() == before  # nothing written


def _read_until(fd: int, text: str, proc: subprocess.Popen) -> str:
    """Output of the terminal until ``text`` appears (or the process ends)."""
    seen = b""
    while text.encode() not in seen:
        ready, _, _ = select.select([fd], [], [], 60)
        assert ready, f"no {text!r} on the terminal; got {seen.decode(errors='replace')!r}"
        try:
            chunk = os.read(fd, 1024)
        except OSError:  # the terminal closed: the process ended
            break
        if not chunk:
            break
        seen += chunk
    return seen.decode("utf-8", errors="replace")


@pytest.mark.parametrize("second, ok", [(PW, True), ("something else", False)])
def test_on_a_terminal_the_password_is_asked_twice(tmp_path: Path, second: str, ok: bool):
    master, slave = os.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "bangfu", "user", "add", "zhao", "--role", "viewer",
                             "--workspace", str(tmp_path)], stdin=slave, stdout=slave, stderr=slave, env=_env(),
                            cwd=ROOT, start_new_session=True)
    os.close(slave)
    try:
        _read_until(master, "新密码", proc)
        os.write(master, (PW + "\n").encode())
        _read_until(master, "再输入一次", proc)
        os.write(master, (second + "\n").encode())
        rest = _read_until(master, "已创建用户" if ok else "不一致", proc)
        assert proc.wait(timeout=120) == (0 if ok else 2), rest
        assert PW not in rest  # not echoed
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    users = accounts.list_users(tmp_path, access.cli_principal())
    assert [u.username for u in users] == (["zhao"] if ok else [])
