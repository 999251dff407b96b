"""bench/bench_issue15.py (issue 15 item 7): the one-run driver of items 2–5 runs end to end with ``--quick`` on the
small province and prints one markdown report with a table per item whose figures parse.

The default case is the cheap part (item 5 at quick sizes with every path, dask included; item 3's opening steps,
this checkout against ``HEAD`` exported by git archive). Every item, the browser's included, is marked slow."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench" / "bench_issue15.py"

#: A figure of this checkout or a baseline: seconds, MB or ms (with an optional note), pairs that differ, not drawn
#: within the timeout, or — (not measured for that column).
FIGURE = re.compile(r"^(?:\d[\d,]*(?:\.\d+)? (?:s|MB|ms)\b.*|\d[\d,]* pairs differ \(\d[\d.]* s\)|not drawn \(.*\)|—)$")
MET = {"**met**", "**not met**", "—"}


def _git_checkout() -> bool:
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True).returncode == 0


def run_bench(workspace: Path, out: Path, *args: str, timeout: int = 900) -> str:
    if not _git_checkout():
        pytest.skip("the baselines are exported from this repository's git history")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT / "tests")])}
    proc = subprocess.run([sys.executable, str(BENCH), "--workspace", str(workspace), "--quick", "--out", str(out),
                           "--today-ref", "HEAD", *args], capture_output=True, text=True, env=env, cwd=ROOT,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    assert text in proc.stdout, "the report printed is the report written"
    return text


def tables(report: str) -> dict[str, list[dict[str, str]]]:
    """Item → its table's rows (column name → cell), every row as wide as the header."""
    out: dict[str, list[dict[str, str]]] = {}
    for section in re.split(r"^### ", report, flags=re.M)[1:]:
        item = re.match(r"Item (\d):", section).group(1)  # type: ignore[union-attr]
        lines = [ln for ln in section.splitlines() if ln.startswith("|")]
        head = [c.strip() for c in lines[0].strip("|").split("|")]
        assert set(lines[1].strip("|").split("|")) == {"---"}
        rows = []
        for ln in lines[2:]:
            cells = [c.strip() for c in ln.strip("|").split("|")]
            assert len(cells) == len(head), ln
            rows.append(dict(zip(head, cells)))
        out[item] = rows
    return out


def check_figures(rows: list[dict[str, str]]) -> None:
    for row in rows:
        assert row["met"] in MET, row
        figures = [v for k, v in row.items() if k not in ("measure", "target", "met")]
        assert figures[0] != "—", f"this checkout has no figure: {row}"
        for cell in figures:
            assert FIGURE.match(cell), f"{cell!r} of {row['measure']!r} does not parse"
        if row["target"] != "—":
            assert row["met"] != "—", row


def counts(gpkg: Path) -> dict[str, int]:
    con = sqlite3.connect(gpkg)
    try:
        return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("villages", "households")}
    finally:
        con.close()


def test_items_5_and_3_open_report_every_table_with_figures(province_gpkg: Path, tmp_path: Path):
    report = run_bench(province_gpkg, tmp_path / "report.md", "--items", "5,3", "--item3-steps", "open")
    found = tables(report)
    assert list(found) == ["5", "3"], "one table per item asked for, in order"
    for rows in found.values():
        check_figures(rows)
    n = counts(province_gpkg)
    assert f"{n['villages']:,} villages, {n['households']:,} households" in report, "the workspace as it is"
    assert "load average (1/5/15 min) before" in report and "bench/bench_issue15.py --workspace" in report
    five = {r["measure"].split(" (")[0]: r for r in found["5"]}
    for name in ("dense", "sparse"):
        dask = five[f"{name}: dask"]
        assert dask["this checkout"].startswith("0 pairs differ") and dask["met"] == "**met**", dask
        assert any(k.startswith(f"{name}: 10,000 households × 5,200 candidates") for k in five), five
        assert any(k.startswith(f"{name}: 20,000 households end to end") for k in five), five
    three = [r["measure"] for r in found["3"]]
    assert any(m.startswith("opening (whole-workspace check), a later open") for m in three), three
    assert any(m.startswith("opening after an import of roads") for m in three), three


@pytest.mark.slow
@pytest.mark.browser
def test_every_item_quick(province_gpkg: Path, tmp_path: Path):
    report = run_bench(province_gpkg, tmp_path / "report.md", "--items", "2,3,4,5", "--areas", "",
                        "--timeout", "60", timeout=3600)
    found = tables(report)
    assert list(found) == ["2", "3", "4", "5"]
    for rows in found.values():
        check_figures(rows)
