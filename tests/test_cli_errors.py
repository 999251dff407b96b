"""The command runner: a BangfuError is printed once in Chinese with its hint (exit 2); a bug is one
Chinese line (exit 3) and a traceback only with --debug or BANGFU_DEBUG=1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bangfu.cli import commands as cli
from bangfu.workspace import store
from factories import village_row, workspace

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return workspace(tmp_path / "ws", villages=village_row())


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_user_error_message_and_hint_on_stderr(ws: Path, tmp_path: Path, capsys):
    code, out, err = _run(capsys, "rank", "--workspace", str(ws), "--budget", "5", "--out", str(tmp_path / "r.txt"))
    assert code == cli.EXIT_ERROR == 2 and out == ""
    assert err.splitlines() == [f"错误：输出文件必须是 .xlsx：{tmp_path / 'r.txt'}", "提示：把 --out 的文件名改为以 .xlsx 结尾。"]


def test_unusable_workspace_says_how_to_recover(tmp_path: Path, capsys):
    bad = tmp_path / "bad.gpkg"
    bad.write_bytes(b"not a database" * 10)
    code, _, err = _run(capsys, "rank", "--workspace", str(bad), "--budget", "5", "--out", str(tmp_path / "r.xlsx"))
    lines = err.splitlines()
    assert code == 2 and lines[0].startswith("错误：工作空间文件已损坏") and lines[1] == "提示：" + store.RESTORE_HINT_ZH
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "argv, first_line",
    [
        (["import", "/no/such/file.csv", "--layer", "villages"], "错误：找不到文件 /no/such/file.csv"),
        (["export", "--format", "dwg"], "错误：未知的导出格式：dwg；可用：gpkg、geojson、shapefile、xlsx"),
        (["export", "--format", "gpkg", "--layer", "farms"], "错误：未知的图层：farms"),
        (["restore-backup"], "错误：没有可恢复的备份。"),
    ],
)
def test_data_commands_report_errors_through_the_runner(ws: Path, capsys, argv: list[str], first_line: str):
    code, out, err = _run(capsys, *argv, "--workspace", str(ws))
    assert code == 2 and err.splitlines()[0].startswith(first_line), err
    assert "Traceback" not in err


def test_unwritable_output_is_a_chinese_file_error(ws: Path, tmp_path: Path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    code, _, err = _run(capsys, "export", "--format", "geojson", "--layer", "villages", "--workspace", str(ws),
                        "--out", str(blocker / "v.geojson"))
    assert code == 2 and err.startswith("错误：无法读写文件：") and "提示：" in err
    assert blocker.read_text() == "x"


@pytest.fixture
def bug(monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*a, **k):
        raise ZeroDivisionError("division by zero\nsecond line")

    monkeypatch.setattr(store, "check_workspace_file", boom)


def test_unexpected_error_is_one_chinese_line(ws: Path, tmp_path: Path, capsys, bug, monkeypatch):
    monkeypatch.delenv(cli.DEBUG_ENV, raising=False)
    code, out, err = _run(capsys, "rank", "--workspace", str(ws), "--budget", "5", "--out", str(tmp_path / "r.xlsx"))
    assert code == cli.EXIT_INTERNAL == 3 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("错误：程序内部出错（ZeroDivisionError: division by zero）")
    assert "--debug" in err and "Traceback" not in err
    assert not (tmp_path / "r.xlsx").exists()


@pytest.mark.parametrize("how", ["flag before", "flag after", "env"])
def test_debug_shows_the_traceback(ws: Path, tmp_path: Path, capsys, bug, monkeypatch, how: str):
    args = ["rank", "--workspace", str(ws), "--budget", "5", "--out", str(tmp_path / "r.xlsx")]
    if how == "flag before":
        args = ["--debug", *args]
    elif how == "flag after":
        args = [*args, "--debug"]
    else:
        monkeypatch.setenv(cli.DEBUG_ENV, "1")
    code, _, err = _run(capsys, *args)
    assert code == 3 and err.startswith("错误：程序内部出错")
    assert "Traceback (most recent call last)" in err and "ZeroDivisionError: division by zero" in err


def test_python_m_bangfu_prints_no_traceback(tmp_path: Path):
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin", "BANGFU_WORKSPACE": str(tmp_path / "ws")}
    r = subprocess.run([sys.executable, "-m", "bangfu", "rank", "--workspace", str(tmp_path / "none.gpkg"),
                        "--budget", "5", "--out", str(tmp_path / "r.xlsx")], capture_output=True, text=True, env=env,
                       timeout=120)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.startswith("错误：工作空间文件不存在：none.gpkg\n提示：") and "Traceback" not in r.stderr
