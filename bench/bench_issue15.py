"""Issue 15 item 7: items 2–5 measured in ONE run against their named baselines, reported as ONE markdown document.

    PYTHONPATH=src:tests python bench/bench_issue15.py --workspace /work/data_prov/province.gpkg \\
        [--items 2,3,4,5] [--today-ref 1422730] [--folium-ref c8dcba7] [--quick] [--out report.md] [--tmp DIR]

Nothing is measured here: every figure comes from the existing benchmark scripts, imported and called in this process
(their children run in processes of their own, as when they are run alone):

* item 2, the map in a real browser — :func:`bench_map_scale.measure` (headless Chromium) for this checkout, the
  naive-folium baseline (``--folium-ref``) and today's code (``--today-ref``);
* item 3, opening, the first page, every page at province level and the memory after each —
  :func:`bench_open.measure` (steps ``open``, ``first_page``, ``pages``; both trees on copies carrying the same
  stored aggregates) and the exact portfolio at the default budget, :func:`bench_plan_province.run_tree`;
* item 4, the upload of the province's household file and 7 imports — :func:`bench_open.measure` (steps ``upload``,
  ``imports``, the plain read + write of the same layers as the floor);
* item 5, catchment counts + greedy on the dense and sparse instances — :func:`bench_catchment.run_instance` (this
  checkout, the frozen copy of today's pair search, geopandas ``sjoin`` + ``groupby``, dask on a LocalCluster) and
  the ``--large`` end-to-end row (generating the instance + counts + greedy).

Baselines: "today's code" is ``git archive --today-ref`` (default ``1422730``: main at the start of 2026-12-01, before
the day's issue-15 merges; name another ref to compare against, e.g. ``main``), "naive folium" is ``--folium-ref``
(default ``c8dcba7``: the map before issue 15, every village and overlay sent) — both unpacked with bench/trees.py.
``sjoin`` runs in this process; the catchment's "today's pair search" is bench/frozen_proximity.py.

``--quick``: small catchment instances (10,000 households, 1 run, ``--large`` 20,000) and short browser timeouts:
a smoke test of the driver (tests/test_bench_issue15.py), not a measurement. ``--item3-steps`` chooses the parts of
item 3 (``open,first_page,pages,plan``). The report says the load average before and after, the commit, the
workspace and the command; a target is "met" only by this checkout's figure (the baselines are for comparison).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for _p in (ROOT / "src", ROOT / "tests", HERE):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))

import trees  # noqa: E402

NA = "—"
GB = 1024.0  # MB


@dataclass
class Row:
    """One line of an item's table: a measure, its target, this checkout's figure, each baseline's, met or not."""

    measure: str
    target: str
    ours: str
    baselines: list[str]
    met: bool | None  # None: no target (a figure for reference)
    note: str = ""


@dataclass
class Table:
    item: str
    title: str
    baselines: list[str]  # column names
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, measure: str, target: str, ours: str, baselines: Sequence[str], met: bool | None,
            note: str = "") -> None:
        self.rows.append(Row(measure, target, ours, list(baselines), met, note))

    def markdown(self) -> str:
        head = ["measure", "target", "this checkout", *self.baselines, "met"]
        lines = [f"### Item {self.item}: {self.title}", "", "| " + " | ".join(head) + " |",
                 "|" + "---|" * len(head)]
        for r in self.rows:
            met = NA if r.met is None else ("**met**" if r.met else "**not met**")
            cells = [r.measure + (f" ({r.note})" if r.note else ""), r.target, r.ours, *r.baselines, met]
            lines.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
        lines += [""] + [f"- {n}" for n in self.notes]
        return "\n".join(lines).rstrip() + "\n"


def sec(v: float | None) -> str:
    return NA if v is None else f"{v:.2f} s" if v < 10 else f"{v:.1f} s"


def mb(v: float | None) -> str:
    return NA if v is None else f"{v:,.1f} MB" if v < 100 else f"{v:,.0f} MB"


def ms(v: float | None) -> str:
    return NA if v is None else f"{v:.0f} ms"


def _err(r: dict | None) -> str:
    if r is None:
        return NA
    lines = str(r.get("error", "")).strip().splitlines()
    return "failed: " + (lines[-1][:80] if lines else "?")


def fig(r: dict | None, key: str = "seconds", fmt: Callable[[float | None], str] = sec) -> str:
    """``fmt(r[key])``; the failure's last line when the step failed; — when it did not run."""
    if r is None:
        return NA
    if "error" in r:
        return _err(r)
    return fmt(r.get(key))


def val(r: dict | None, key: str = "seconds") -> float | None:
    return None if r is None or "error" in r or r.get(key) is None else float(r[key])


def _le(r: dict | None, limit: float, key: str = "seconds") -> bool:
    """Whether the step ran and its figure is within ``limit``."""
    v = val(r, key)
    return v is not None and v <= limit


# ----------------------------------------------------------------------------- the run


@dataclass
class Run:
    """What the items share: the workspace, the baseline trees (exported once), a scratch folder, the sizes."""

    workspace: Path
    tmp: Path
    today_ref: str
    folium_ref: str
    quick: bool
    _trees: dict[str, Path] = field(default_factory=dict)

    def tree(self, ref: str, fixes: trees.Fixes | None = None) -> Path:
        """The checkout of ``ref`` (git archive), exported once per run."""
        if ref not in self._trees:
            self._trees[ref] = trees.export_tree(ref, self.tmp / "trees" / ref.replace("/", "_"), fixes)
        return self._trees[ref]


def item2(run: Run, areas: list[str], timeout: float, baseline_timeout: float, script: str = "app.py") -> Table:
    import bench_map_scale as ms_bench

    today, folium = f"today's code ({trees.commit_of(run.today_ref)})", f"naive folium ({trees.commit_of(run.folium_ref)})"
    t = Table("2", f"the map in a real browser (bench/bench_map_scale.py, headless Chromium; this checkout served by "
                   f"`streamlit run {script}`)", [folium, today])
    views = {"ours": ms_bench.measure("this checkout", ROOT, run.workspace, areas, timeout, ours=True, script=script)}
    for key, ref in (("folium", run.folium_ref), ("today", run.today_ref)):
        root = run.tree(ref, ms_bench.BASELINE_FIXES)
        views[key] = ms_bench.measure(key, root, run.workspace, areas, baseline_timeout, ours=False)

    def view(key: str, prefix: str):
        return next((v for v in views[key] if v.name.startswith(prefix)), None)

    def cell(v, what: str) -> str:
        if v is None:
            return NA
        if what in ("s", "ms") and v.seconds is None:
            return f"not drawn ({v.mb:.1f} MB received{'; ' + v.note if v.note else ''})"
        if what == "s":
            return sec(v.seconds)
        if what == "mb":
            return mb(v.mb)
        return ms(v.frames_ms)

    def row(measure: str, prefix: str, what: str, target: str, limit: float | None) -> None:
        ours = view("ours", prefix)
        figure = None if ours is None else {"s": ours.seconds, "mb": ours.mb, "ms": ours.frames_ms}[what]
        met = None if limit is None else (figure is not None and figure <= limit)
        t.add(measure, target, cell(ours, what), [cell(view("folium", prefix), what), cell(view("today", prefix), what)],
              met)

    row("first map drawn, province (warm: a new session)", "province, warm first draw", "s", "≤ 5 s", 5)
    row("sent for the province view (websocket)", "province, warm first draw", "mb", "≤ 5 MB", 5)
    row("first map drawn after a server restart, `streamlit run app.py`",
        "province, first draw after a server restart, `streamlit run app.py`", "s", "≤ 5 s", 5)
    row("first map drawn after a server restart, `streamlit run serve.py` (caches warmed at start)",
        "province, first draw after a server restart, `streamlit run serve.py`", "s", "≤ 5 s", 5)
    row("first map drawn, new office folder (checks + aggregates computed)", "province, cold first draw", "s", NA, None)
    row("change area: click a city", "click a city", "s", "≤ 3 s", 3)
    row("change area: 沈阳市 in the sidebar", "choose 沈阳市", "s", "≤ 3 s", 3)
    for code in areas:
        row(f"change area: open ?area={code}", f"open ?area={code}", "s", "≤ 3 s", 3)
    row("zoom/pan, province units: longest frame", "province, warm first draw", "ms", "≤ 100 ms", 100)
    prefix = "province at village level, new session"
    row("all villages at village level (vector tiles): drawn", prefix, "s", "≤ 5 s", 5)
    row("all villages at village level: sent (websocket + tiles)", prefix, "mb", "≤ 5 MB", 5)
    row("zoom/pan, village tiles: longest frame", prefix, "ms", "≤ 100 ms", 100)
    t.notes.append("The baselines have no city click, area box or village tiles: — where a view does not exist. "
                   f"A baseline view not drawn within {baseline_timeout:.0f} s is reported with the bytes received.")
    return t


def item3(run: Run, steps: list[str]) -> Table:
    import bench_open
    import bench_plan_province

    today = f"today's code ({trees.commit_of(run.today_ref)})"
    t = Table("3", "opening, every page and the memory at province level (bench/bench_open.py, "
              "bench/bench_plan_province.py)", [today])
    base_src = run.tree(run.today_ref) / "src"
    open_steps = [s for s in steps if s in ("open", "first_page", "pages")]
    if "plan" in steps and "pages" not in open_steps:
        open_steps.append("pages")  # the plan reads the stored aggregates the pages step derives
    r = bench_open.measure(run.workspace, [("new", ROOT / "src"), ("baseline", base_src)], open_steps,
                           tmp=run.tmp / "item3", derive_once=True)
    new, old = r.get("new", {}), r.get("baseline", {})
    if "open" in steps:
        t.add("opening (whole-workspace check), a later open", "≤ 10 s", fig(new.get("open stored")),
              [fig(old.get("open stored"))], _le(new.get("open stored"), 10),
              "the check stored by the first open, where the tree stores it")
        t.add("opening, first time (nothing stored)", NA, fig(new.get("open cold")), [fig(old.get("open cold"))], None)
        t.add("opening after an import of roads", "≤ 10 s", fig(new.get("open after import")),
              [fig(old.get("open after import"))], _le(new.get("open after import"), 10))
        t.add("opening: peak memory, first time", NA, fig(new.get("open cold"), "peak_mb", mb),
              [fig(old.get("open cold"), "peak_mb", mb)], None)
    if "first_page" in steps:
        t.add("first page (start) in a fresh process, check stored", "≤ 5 s", fig(new.get("first page stored")),
              [fig(old.get("first page stored"))], _le(new.get("first page stored"), 5))
        t.add("first page (start) in a fresh process, first time", NA, fig(new.get("first page cold")),
              [fig(old.get("first page cold"))], None)
    if "pages" in steps:
        for variant in ("new", "baseline"):
            if "error" in r.get(variant, {}).get("pages", {}):
                t.notes.append(f"every page, {variant}: {_err(r[variant]['pages'])}")

        def pages(res: dict) -> list[dict]:
            p = res.get("pages")
            return [] if not p or "error" in p else p["pages"]

        ours, theirs = pages(new), pages(old)
        by_page = {row["page"]: row for row in theirs}
        for row in ours:
            other = by_page.get(row["page"])
            failed = row["exception"][0][:60] if row["exception"] else ""
            t.add(f"page {row['page']}", "≤ 5 s", sec(row["seconds"]) + (" (error)" if failed else ""),
                  [NA if other is None else sec(other["seconds"]) + (" (error)" if other["exception"] else "")],
                  row["seconds"] <= 5 and not failed, failed)
        if ours:
            worst = max(ours, key=lambda x: x["rss_mb"])
            t.add("server memory after every page (largest)", "≤ 2 GB", f"{mb(worst['rss_mb'])} after {worst['page']}",
                  [mb(max(x["rss_mb"] for x in theirs)) if theirs else NA], worst["rss_mb"] <= 2 * GB)
            t.add("peak memory of the session", NA, mb(new["pages"]["peak_mb"]),
                  [mb(old["pages"]["peak_mb"]) if theirs else NA], None)
    if "plan" in steps:
        ws = run.tmp / "item3" / "new-pages" / "workspace.gpkg"
        plans = {k: bench_plan_province.run_tree(ws, src, "default") if ws.exists() else {"error": "no pages workspace"}
                 for k, src in (("new", ROOT / "src"), ("baseline", base_src))}

        def plan(p: dict, key: str) -> str:
            if "error" in p:
                return _err(p)
            if key == "stored":
                return sec(p["stored"]["seconds"]) if "stored" in p else NA
            return sec(p["rows"][0][key])

        stored = None if "error" in plans["new"] else plans["new"].get("stored", {}).get("seconds")
        t.add("planning: stored exact portfolio read back (what the page does)", "≤ 5 s", plan(plans["new"], "stored"),
              [plan(plans["baseline"], "stored")], stored is not None and stored <= 5)
        t.add("planning: exact portfolio at the default budget, computed", NA, plan(plans["new"], "exact_s"),
              [plan(plans["baseline"], "exact_s")], None)
        t.add("planning: greedy at the default budget", NA, plan(plans["new"], "greedy_s"),
              [plan(plans["baseline"], "greedy_s")], None)
    t.notes.append("Each step runs in a fresh child process on its own copy of the workspace; both trees' pages run "
                   "on copies carrying the same stored aggregates (derived once by this checkout).")
    return t


def item4(run: Run) -> Table:
    import bench_open

    today = f"today's code ({trees.commit_of(run.today_ref)})"
    t = Table("4", "the household upload and imports that write only their layer (bench/bench_open.py)", [today])
    base_src = run.tree(run.today_ref) / "src"
    r = bench_open.measure(run.workspace, [("new", ROOT / "src"), ("baseline", base_src)], ["upload", "imports"],
                           tmp=run.tmp / "item4")
    new, old = r.get("new", {}), r.get("baseline", {})
    up = new.get("upload")
    file_mb = val(up, "file_mb")
    t.add(f"upload of the household file ({mb(file_mb)}): most memory held while written", "streamed: ≤ 16 MB",
          fig(up, "held_mb", mb), [fig(old.get("upload"), "held_mb", mb)],
          _le(up, 16, "held_mb") and bool(up and up.get("intact")), "tracemalloc; the file arrived whole"
          if up and up.get("intact") else "the file did NOT arrive whole")
    t.add("upload of the household file: time", NA, fig(up), [fig(old.get("upload"))], None)
    t.add("default upload limit (the admin sets it)", NA, fig(up, "default_limit_mb", mb),
          [fig(old.get("upload"), "default_limit_mb", mb)], None)
    size = run.workspace.stat().st_size / 2**20
    imp = new.get("imports")
    t.add("7 imports: backups written", f"only the layers changed (< the file, {mb(size)})", fig(imp, "backups_mb", mb),
          [fig(old.get("imports"), "backups_mb", mb)], _le(imp, size, "backups_mb"))
    t.add("7 imports: prepare + apply", NA, fig(imp), [fig(old.get("imports"))], None)
    t.add("7 imports: apply only", NA, fig(imp, "apply_seconds"), [fig(old.get("imports"), "apply_seconds")], None)
    t.add("plain read + write of the 7 layers (the floor)", NA, fig(new.get("plain")), [fig(old.get("plain"))], None)
    t.notes.append("The 7 imports: roads, projects, tourism sites, enterprises, pairings, roads, projects (each layer's "
                   "own rows with a changed name). The upload limit is set to twice the file for the measurement.")
    return t


def item5(households: int, runs: int, large: int) -> Table:
    import bench_catchment

    t = Table("5", "catchment counts + greedy (bench/bench_catchment.py)",
              ["geopandas sjoin + groupby (counts only)", "today's pair search (bench/frozen_proximity.py)"])
    what = {"ours", "main", "sjoin", "dask"}
    for name in ("dense", "sparse"):
        r = bench_catchment.run_instance(name, bench_catchment.MAKERS[name], households, runs, what)
        p = r["paths"]
        label = f"{name}: {r['households']:,} households × {r['candidates']:,} candidates"
        ours, sj = p["ours"]["seconds"], p["sjoin"]["seconds"]
        t.add(f"{label}, counts + greedy", "≤ sjoin", sec(ours), [sec(sj), sec(p["main"]["seconds"])], ours <= sj,
              f"CPU {p['ours']['cpu']:.2f} s; sjoin pairs differ by {r['differ'].get('sjoin', 0):,} of {r['pairs']:,}")
        t.add(f"{name}: dask (LocalCluster, 2 workers) counts identical", "0 pairs differ",
              f"{r['differ'].get('dask', -1):,} pairs differ ({sec(p['dask']['seconds'])})", [NA, NA],
              r["differ"].get("dask") == 0)
    for name in ("dense", "sparse"):
        r = bench_catchment.run_instance(name, bench_catchment.MAKERS[name], large, 1, {"ours"})
        end = r["generated"] + r["paths"]["ours"]["seconds"]
        t.add(f"{name}: {r['households']:,} households end to end (generate + counts + greedy)", "≤ 60 s", sec(end),
              [NA, NA], end <= 60)
    t.notes.append("sjoin is counts only (no greedy); this checkout's figure includes the coverage table and greedy.")
    return t


# ----------------------------------------------------------------------------- the report


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True).stdout.strip()


def workspace_summary(path: Path) -> str:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        counts = []
        for layer in ("villages", "households", "roads", "projects"):
            try:
                counts.append(f"{con.execute(f'SELECT COUNT(*) FROM {layer}').fetchone()[0]:,} {layer}")
            except sqlite3.Error:
                counts.append(f"no {layer}")
    finally:
        con.close()
    return f"`{path}` ({path.stat().st_size / 2**20:,.0f} MB): " + ", ".join(counts)


def load() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workspace", type=Path, required=True, help="a province GeoPackage (read only: copied)")
    ap.add_argument("--items", default="2,3,4,5")
    ap.add_argument("--today-ref", "--baseline-ref", dest="today_ref", default="1422730",
                    help="git ref of \"today's code\" (default 1422730: main at the start of 2026-12-01)")
    ap.add_argument("--folium-ref", default="c8dcba7", help="git ref of \"naive folium\" (item 2)")
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke test of the driver, not a measurement")
    ap.add_argument("--out", type=Path, help="also write the markdown report here")
    ap.add_argument("--tmp", type=Path, help="scratch folder (kept; default: a temporary folder, removed)")
    ap.add_argument("--item3-steps", default="open,first_page,pages,plan")
    ap.add_argument("--households", type=int, help="item 5 instances (default 3,000,000; --quick 10,000)")
    ap.add_argument("--large", type=int, help="item 5 end-to-end size (default 10,000,000; --quick 20,000)")
    ap.add_argument("--runs", type=int, help="item 5 runs per path (median; default 2; --quick 1)")
    ap.add_argument("--areas", default="2102,210202", help="item 2: area codes opened by URL")
    ap.add_argument("--script", default="app.py",
                    help="item 2: how this checkout's server runs (app.py, or serve.py: caches warmed before it answers)")
    ap.add_argument("--timeout", type=float, help="item 2: seconds per view (default 300; --quick 120)")
    args = ap.parse_args(argv)
    items = [i.strip() for i in args.items.split(",") if i.strip()]
    households = args.households or (10_000 if args.quick else 3_000_000)
    large = args.large or (20_000 if args.quick else 10_000_000)
    runs = args.runs or (1 if args.quick else 2)
    timeout = args.timeout or (120 if args.quick else 300)
    tmp = args.tmp or Path(tempfile.mkdtemp(prefix="bench-issue15-"))
    tmp.mkdir(parents=True, exist_ok=True)
    import bench_open

    # every item on one copy without the invalid roads the synthetic builder can leave (the app refuses a workspace
    # with errors): bench_open.repaired
    repaired = bench_open.repaired(args.workspace.resolve(), tmp)
    run = Run(repaired, tmp, args.today_ref, args.folium_ref, args.quick)
    ws_text = (f"{workspace_summary(args.workspace.resolve())}; measured on a copy without its invalid roads "
               f"({workspace_summary(repaired).split(': ', 1)[1]})")
    dirty = " (uncommitted changes)" if _git("status", "--porcelain", "--untracked-files=no") else ""
    command = "PYTHONPATH=src:tests python bench/bench_issue15.py " + " ".join(
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv))
    started, load_before = dt.datetime.now(dt.UTC), load()
    tables: list[Table] = []
    try:
        for item in items:
            print(f"\n======== item {item} (load {load()})", flush=True)
            if item == "2":
                tables.append(item2(run, [a for a in args.areas.split(",") if a], timeout, timeout, args.script))
            elif item == "3":
                tables.append(item3(run, args.item3_steps.split(",")))
            elif item == "4":
                tables.append(item4(run))
            elif item == "5":
                tables.append(item5(households, runs, large))
            else:
                ap.error(f"no item {item} (2, 3, 4 or 5)")
    finally:
        if args.tmp is None:
            shutil.rmtree(tmp, ignore_errors=True)
    ended = dt.datetime.now(dt.UTC)
    head = [
        f"## Issue 15 items {', '.join(items)} in one run ({started:%Y-%m-%d %H:%M}–{ended:%H:%M} UTC)", "",
        f"- commit: `{_git('rev-parse', '--short', 'HEAD')}`{dirty} ({_git('log', '-1', '--format=%s')[:100]})",
        f"- baselines: today's code = `{args.today_ref}` ({trees.commit_of(args.today_ref)})"
        + (f", naive folium = `{args.folium_ref}` ({trees.commit_of(args.folium_ref)})" if "2" in items else ""),
        f"- workspace: {ws_text}",
        f"- machine: {os.cpu_count()} cores; load average (1/5/15 min) before {load_before}, after {load()}",
        f"- sizes: {'--quick (a smoke test, not a measurement); ' if args.quick else ''}item 5 {households:,} "
        f"households × 5,200 candidates, {runs} run(s), end to end {large:,}",
        "", "```bash", command, "```", "",
    ]
    text = "\n".join(head) + "\n".join(t.markdown() for t in tables)
    print("\n" + text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
