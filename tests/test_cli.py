"""CLI ``python -m bangfu rank``: same numbers as the page's run, Excel with Chinese headers, no partial output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bangfu.cli import commands as cli
from bangfu.planning import run as planning_run
from bangfu.workspace import store
from bangfu.workspace.access import Principal
from factories import planning_layers, workspace

ADMIN = Principal("admin", "admin", display_name="张三")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def small_ws(tmp_path: Path) -> Path:
    return workspace(tmp_path / "ws", **planning_layers(np.random.default_rng(5), n_hh=800))


def _run_cli(*args: str) -> subprocess.CompletedProcess:
    env = {"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "bangfu", *args], capture_output=True, text=True, env=env, timeout=300)


def test_rank_matches_the_library_run(small_ws: Path, tmp_path: Path):
    out = tmp_path / "result.xlsx"
    r = _run_cli("rank", "--workspace", str(small_ws), "--budget", "330", "--weights", "poor=3,old=2,all=1", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert out.exists() and "已写入" in r.stdout
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets) == ["汇总", "单项目排名", "贪心组合", "最优组合"]
    assert "受益贫困户(户)" in sheets["单项目排名"].columns
    layers = store.read_workspace(small_ws, layers=("villages", "households", "roads", "projects"))
    res = planning_run.run(layers, planning_run.PlanOptions(budget=330, weights={"poor": 3, "old": 2, "all": 1}))
    ranking = planning_run.labelled(res.ranking)
    pd.testing.assert_frame_equal(sheets["单项目排名"][ranking.columns[:9]], ranking[ranking.columns[:9]], check_dtype=False)
    got = sheets["最优组合"]["项目编号"].tolist()
    assert got == res.exact.steps["project_id"].tolist()
    assert "R1" in got  # the approved project is in by default


@pytest.mark.parametrize(
    "args, message",
    [
        (["--budget", "0"], "预算"),
        (["--budget", "100", "--weights", "poor=0,all=0"], "全部为 0"),
        (["--budget", "100", "--weights", "rich=1"], "写法有误"),
        (["--budget", "1000", "--min-per-town", "9"], "公平性"),
        (["--budget", "1000", "--must-in", "NOPE"], "不存在"),
        (["--budget", "10"], "必选项目"),  # the approved road costs 200
    ],
)
def test_bad_input_writes_nothing(small_ws: Path, tmp_path: Path, args, message, capsys):
    out = tmp_path / "out" / "bad.xlsx"
    code = cli.main(["rank", "--workspace", str(small_ws), "--out", str(out), *args])
    err = capsys.readouterr().err
    assert code == 2 and message in err, err
    assert not out.exists() and not list(out.parent.glob("*")) if out.parent.exists() else True


def test_missing_workspace_and_bad_costs(small_ws: Path, tmp_path: Path, capsys):
    out = tmp_path / "x.xlsx"
    assert cli.main(["rank", "--workspace", str(tmp_path / "none.gpkg"), "--budget", "5", "--out", str(out)]) == 2
    assert "不存在" in capsys.readouterr().err
    projects = store.read_layer(small_ws, "projects")
    projects.loc[0, "cost_wan"] = -5
    store.replace_layers(small_ws, {"projects": projects}, user=ADMIN)
    assert cli.main(["rank", "--workspace", str(small_ws), "--budget", "500", "--out", str(out)]) == 2
    assert "W1" in capsys.readouterr().err
    assert not out.exists()


def test_rank_on_the_demo_workspace(demo_workspace: Path, tmp_path: Path):
    out = tmp_path / "demo.xlsx"
    r = _run_cli("rank", "--workspace", str(demo_workspace), "--budget", "500", "--weights", "poor=3,old=2,all=1", "--out", str(out), "--time-limit", "20")
    assert r.returncode == 0, r.stderr
    sheets = pd.read_excel(out, sheet_name=None)
    projects = store.read_layer(demo_workspace, "projects")
    candidates = projects.loc[projects["status"] != "completed", "project_id"]
    assert sorted(sheets["单项目排名"]["项目编号"]) == sorted(candidates)  # every candidate ranked once
    assert sheets["最优组合"]["投资(万元)"].sum() <= 500 + 1e-6
