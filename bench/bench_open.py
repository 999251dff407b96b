"""Issue 15 item 3/4: opening a province workspace, the first page, memory after every page, and 7 imports — this
branch against the named baseline "today's code" (the source tree before the change), in the same run.

    PYTHONPATH=src python bench/bench_open.py --workspace /tmp/province.gpkg --baseline-src /tmp/baseline/src \
        [--steps open,first_page,upload,imports,pages] [--pages-level province] [--pages overview,planning] [--derive-once]

``--baseline-src``: the ``src`` folder of the baseline (e.g. ``git archive c8dcba7 src | tar -x -C /tmp/baseline``).
Every step runs in a fresh child process (``python bench/bench_open.py --child STEP``) with ``PYTHONPATH`` set to
one of the two trees, on its own copy of the workspace, and reports its wall time and peak resident memory
(``ru_maxrss``). Steps:

* ``open`` — what opening does before the first page: the whole-workspace validation. A tree without stored
  validation (before ``bangfu.workspace.checked``): read every layer and validate (``store.read_workspace`` +
  ``validate.validate_workspace``) every time. A tree with it: ``checked.check_workspace`` with no stored result
  (cold), again in a new process (warm: the stored per-layer results are reused), and after an import of roads
  (only roads and the road history are checked again).
* ``first_page`` — (run by ``tests/page_visits.py``) AppTest of the getting-started page (``pages/start.py``: validation summary and layer status) in
  a fresh process, signed in as an administrator.
* ``pages`` — one AppTest session that visits every page (``AppTest.switch_page``) at ``--pages-level``; the
  resident memory and the time after each page.
* ``derive`` — (before ``pages``, this branch only) the stored aggregates of :mod:`bangfu.workspace.derived`, as
  ``python -m bangfu derive`` computes them after an import: the pages then read them.
* ``upload`` — the province's household file (the households layer alone in a GeoPackage, written by this tree)
  uploaded through the tree's ``guard.save_upload`` from an open file under a limit the admin set (twice the
  file): its time, whether it arrived whole, the most memory Python held at once while writing it (``tracemalloc``:
  a chunk when streamed, not the file) and the tree's default limit.
* ``imports`` — 7 imports (prepare + apply: roads, projects, tourism sites, enterprises, pairings, roads, projects),
  each the layer's own rows written back as GeoJSON with a changed name; plus the plain read and write of those
  layers (``read_layer`` + ``write_gpkg``) as the floor.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
IMPORTS = ("roads", "projects", "tourism_sites", "enterprises", "pairings", "roads", "projects")
NAME_COLUMN = {"roads": "name", "projects": "name", "tourism_sites": "name", "enterprises": "name",
               "pairings": "pairing_type"}


def _rss_mb() -> float:
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ----------------------------------------------------------------------------- child steps (run in the tree tested)


def child_open(ws: Path, variant: str) -> dict:
    from bangfu.workspace import store

    try:  # the stored validation, when the tree has it (whatever the variant)
        from bangfu.workspace import checked as ws_checked
    except ImportError:
        ws_checked = None  # type: ignore[assignment]
    t0 = time.perf_counter()
    if ws_checked is None:
        from bangfu.workspace import validate

        report = validate.validate_workspace(store.read_workspace(ws), file=store.WORKSPACE_FILE)
        checked: list[str] = ["all"]
    else:
        result = ws_checked.check_workspace(ws, file=store.WORKSPACE_FILE)
        report, checked = result.report, list(result.checked)
    return {"seconds": time.perf_counter() - t0, "peak_mb": _peak_mb(), "problems": len(report.problems),
            "checked": checked}


def child_import_roads(ws: Path, variant: str) -> dict:
    """One import of roads (for the 'open after an import' step)."""
    return _imports(ws, ("roads",))


def _geojson_of(ws: Path, layer: str, tag: str) -> bytes:
    import pandas as pd

    from bangfu.workspace import store

    df = store.read_layer(ws, layer)
    col = NAME_COLUMN[layer]
    if layer == "pairings":  # a table: change a number instead of a coded value
        df = df.assign(committed_wan=pd.to_numeric(df["committed_wan"], errors="coerce").fillna(0) + 1)
        return df.drop(columns=["version"], errors="ignore").to_csv(index=False).encode("utf-8")
    df[col] = df[col].astype(str) + f"#{tag}"
    return df.drop(columns=["version"], errors="ignore").to_json().encode("utf-8")


def _imports(ws: Path, layers: tuple[str, ...]) -> dict:
    from bangfu.ingest import pipeline
    from bangfu.workspace.access import Principal

    admin = Principal("bench", "admin", display_name="bench")
    times = []
    for i, layer in enumerate(layers):
        data = _geojson_of(ws, layer, str(i))
        name = f"{layer}.csv" if layer == "pairings" else f"{layer}.geojson"
        t0 = time.perf_counter()
        plan = pipeline.prepare_import(ws, name, data, layer=layer, mode="replace")
        assert plan.ok, plan.summary_zh()
        t1 = time.perf_counter()
        pipeline.apply_import(ws, plan, user=admin)
        times.append({"layer": layer, "prepare": t1 - t0, "apply": time.perf_counter() - t1})
    backups = ws.parent / "backups"
    size = sum(f.stat().st_size for f in backups.rglob("*.gpkg")) if backups.exists() else 0
    return {"seconds": sum(t["prepare"] + t["apply"] for t in times), "apply_seconds": sum(t["apply"] for t in times),
            "peak_mb": _peak_mb(), "steps": times, "backups_mb": size / 2**20}


def child_imports(ws: Path, variant: str) -> dict:
    return _imports(ws, IMPORTS)


def child_plain(ws: Path, variant: str) -> dict:
    """The floor: read the 7 imported layers and write them to a new file."""
    from bangfu.workspace import store

    t0 = time.perf_counter()
    for i, layer in enumerate(IMPORTS):
        frame = store.read_layer(ws, layer)
        out = ws.with_name(f"plain-{i}.gpkg")
        store.write_gpkg(out, {layer: frame})
        out.unlink()
    return {"seconds": time.perf_counter() - t0, "peak_mb": _peak_mb()}


def child_derive(ws: Path, variant: str) -> dict:
    """The stored aggregates (``python -m bangfu derive``: bangfu.workspace.derived), computed on a workspace without
    them; a baseline without them (before bangfu.workspace.derived) computes everything in its pages' session."""
    try:
        from bangfu.workspace import derived
    except ImportError:
        return {"seconds": 0.0, "peak_mb": _peak_mb(), "tables": {}}

    t0 = time.perf_counter()
    report = derived.derive(ws)
    return {"seconds": time.perf_counter() - t0, "peak_mb": _peak_mb(),
            "tables": {k: round(v, 1) for k, v in report.computed.items()}}


UPLOAD_FILE = "households-upload.gpkg"


def child_household_file(ws: Path, variant: str) -> dict:
    """The province's household file as an office would upload it: the households layer alone in a GeoPackage
    (``UPLOAD_FILE`` beside the workspace; written by this tree for both)."""
    from bangfu.workspace import store

    out = ws.parent / UPLOAD_FILE
    store.write_gpkg(out, {"households": store.read_layer(ws, "households")})
    return {"seconds": 0.0, "peak_mb": _peak_mb(), "file_mb": out.stat().st_size / 2**20}


def child_upload(ws: Path, variant: str) -> dict:
    """An upload of the household file (``UPLOAD_FILE``) through the tree's ``guard.save_upload`` from an open file
    (what the data page does with Streamlit's uploaded file), under a limit twice the file's size set as the admin
    would: the time, whether it arrived whole, and the most memory Python held at once while it was written
    (``tracemalloc``'s peak: a chunk when streamed, the whole file when read at once)."""
    import tracemalloc

    from bangfu.ingest import guard

    src = ws.parent / UPLOAD_FILE
    size = src.stat().st_size
    limits = guard.Limits(max_bytes=2 * size)
    folder = ws.parent / "upload"
    folder.mkdir(exist_ok=True)
    tracemalloc.start()
    t0 = time.perf_counter()
    with open(src, "rb") as fh:
        saved = guard.save_upload(fh, "households.gpkg", folder, limits=limits, size=size)
    seconds = time.perf_counter() - t0
    held = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    same = saved.stat().st_size == size
    saved.unlink()
    return {"seconds": seconds, "peak_mb": _peak_mb(), "held_mb": held / 2**20, "file_mb": size / 2**20,
            "intact": same, "default_limit_mb": guard.Limits().max_bytes / 2**20}


CHILD_STEPS = {"open": child_open, "derive": child_derive, "import_roads": child_import_roads, "imports": child_imports,
               "plain": child_plain, "household_file": child_household_file, "upload": child_upload}
#: Steps that drive pages with Streamlit's AppTest: run by tests/page_visits.py (only app.py, pages/ and
#: bangfu.ui import streamlit; the benchmark drives the script).
PAGE_STEPS = ("first_page", "pages")
PAGE_VISITS = ROOT / "tests" / "page_visits.py"


# ----------------------------------------------------------------------------- the driver


def run_child(step: str, ws: Path, variant: str, src: Path, **env: str) -> dict:
    environ = {**os.environ, "PYTHONPATH": os.pathsep.join([str(src), str(ROOT / "tests")]),
               "BANGFU_WORKSPACE": str(ws.parent), **env}
    if (Path(src).parent / "app.py").is_file():  # that tree's app.py and pages/ with its package (tests/page_visits.py)
        environ["BENCH_APP_ROOT"] = str(Path(src).parent)
    t0 = time.perf_counter()
    script = PAGE_VISITS if step in PAGE_STEPS else Path(__file__).resolve()
    proc = subprocess.run([sys.executable, str(script), "--child", step, "--workspace", str(ws),
                           "--variant", variant], capture_output=True, text=True, errors="replace", env=environ,
                          cwd=str(ROOT))
    if proc.returncode != 0:
        return {"error": proc.stderr[-2000:], "wall": time.perf_counter() - t0}
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["wall"] = time.perf_counter() - t0
    return out


def repaired(src: Path, where: Path) -> Path:
    """A copy of ``src`` without the roads whose geometry is invalid (the synthetic province has a few roads of one
    distinct point): the app refuses a workspace with errors, so pages and imports are measured on a valid one."""
    import sqlite3

    import shapely

    from bangfu.workspace import store

    dest = where / "source.gpkg"
    shutil.copyfile(src, dest)
    roads = store.read_layer(dest, "roads")
    bad = [str(r) for r in roads.loc[~shapely.is_valid(roads.geometry.values), "road_id"]]
    if bad:
        con = sqlite3.connect(dest)
        store._register_gpkg_functions(con)
        with con:
            con.executemany("DELETE FROM roads WHERE road_id = ?", [(b,) for b in bad])
        con.close()
    print(f"removed {len(bad)} invalid roads: {', '.join(bad)}")
    return dest


def given_derived(source: Path, ws: Path) -> None:
    """The stored aggregates of workspace ``source`` given to ``ws``, a copy of the same content: the side file is
    copied and its keys rewritten from ``source``'s content tokens to ``ws``'s (a GeoPackage without content marks
    is identified by its file's size, time and inode, which every copy changes)."""
    import sqlite3

    from bangfu.workspace import derived, store

    dest = derived.sidecar_path(ws)
    shutil.copyfile(derived.sidecar_path(source), dest)
    old, new = store.content_tokens(source), store.content_tokens(ws)
    con = sqlite3.connect(dest)
    with con:
        for layer in sorted(old, key=lambda k: -len(old[k])):
            if old[layer] != new.get(layer):
                con.execute("UPDATE derived SET key = replace(key, ?, ?)", (f"{layer}={old[layer]}", f"{layer}={new[layer]}"))
    con.close()


def fresh_copy(src: Path, where: Path, name: str) -> Path:
    folder = where / name
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    dest = folder / "workspace.gpkg"
    shutil.copyfile(src, dest)
    return dest


def show(label: str, r: dict) -> None:
    if "error" in r:
        print(f"  {label:<44} FAILED: {r['error'].strip().splitlines()[-1] if r['error'].strip() else '?'}")
        return
    extra = ""
    if "checked" in r:
        extra += f"  checked: {','.join(r['checked']) or '—'}"
    if "apply_seconds" in r:
        extra += f"  (apply {r['apply_seconds']:.1f} s; backups {r['backups_mb']:.0f} MB)"
    if "rss_mb" in r:
        extra += f"  rss {r['rss_mb']:.0f} MB"
    if r.get("tables"):
        extra += "  (" + ", ".join(f"{k} {v:.1f} s" for k, v in r["tables"].items()) + ")"
    if "held_mb" in r:
        extra += (f"  ({r['file_mb']:.0f} MB file, {'whole' if r['intact'] else 'NOT WHOLE'}; at most "
                  f"{r['held_mb']:.1f} MB held while written; default limit {r['default_limit_mb']:.0f} MB)")
    if "again_seconds" in r:
        extra += f"  (again in the same session: {r['again_seconds']:.1f} s)"
    print(f"  {label:<44} {r['seconds']:8.1f} s   peak {r['peak_mb']:7.0f} MB{extra}", flush=True)


def _record(res: dict[str, dict], key: str, label: str, r: dict) -> None:
    res[key] = r
    show(label, r)


def measure(workspace: Path, trees: list[tuple[str, Path]], steps: list[str], *, tmp: Path | None = None,
            pages_level: str = "province", pages: str = "", derive_once: bool = False,
            derived_from: Path | None = None, baseline_derive: bool = False) -> dict[str, dict[str, dict]]:
    """Run ``steps`` for each (variant, src folder) of ``trees`` on copies of ``workspace`` (under ``tmp``, kept when
    given), print a line per measurement and return them: variant → label → the child's figures (``"error"`` when
    it failed). Labels: ``open cold``, ``open stored``, ``open after import``, ``first page cold``, ``first page
    stored``, ``upload``, ``imports``, ``plain``, ``derive``, ``pages`` (its ``"pages"`` rows)."""
    where = tmp or Path(tempfile.mkdtemp(prefix="bench-open-"))
    out: dict[str, dict[str, dict]] = {}
    print(f"workspace {workspace} ({workspace.stat().st_size / 2**20:.0f} MB); load {os.getloadavg()}")
    where.mkdir(parents=True, exist_ok=True)
    workspace = repaired(workspace, where)
    side: Path | None = derived_from  # derive_once: the first copy's stored aggregates, given to the others
    for variant, src in trees:
        print(f"[{variant}: {src}]", flush=True)
        res = out.setdefault(variant, {})
        step = functools.partial(_record, res)
        if "open" in steps:
            ws = fresh_copy(workspace, where, f"{variant}-open")
            step("open cold", "open (validation), cold", run_child("open", ws, variant, src))
            step("open stored", "open again (stored validation, if any)", run_child("open", ws, variant, src))
            imported = run_child("import_roads", ws, variant, src)
            if "error" in imported:
                show("import of roads", imported)
            step("open after import", "open after an import of roads", run_child("open", ws, variant, src))
        if "first_page" in steps:
            ws = fresh_copy(workspace, where, f"{variant}-first")
            step("first page cold", "first page (start), cold", run_child("first_page", ws, variant, src))
            step("first page stored", "first page (start), validation stored (if any)",
                 run_child("first_page", ws, variant, src))
        if "upload" in steps:
            ws = fresh_copy(workspace, where, f"{variant}-upload")
            made = run_child("household_file", ws, "new", ROOT / "src")
            step("upload", "upload of the household file (streamed)",
                 made if "error" in made else run_child("upload", ws, variant, src))
            shutil.rmtree(ws.parent, ignore_errors=True)
        if "imports" in steps:
            ws = fresh_copy(workspace, where, f"{variant}-imports")
            step("imports", "7 imports (prepare + apply)", run_child("imports", ws, variant, src))
            step("plain", "plain read + write of the 7 layers", run_child("plain", ws, variant, src))
        if "pages" in steps:
            ws = fresh_copy(workspace, where, f"{variant}-pages")
            run_child("open", ws, variant, src)  # the stored validation (no effect on the baseline)
            if derive_once:  # the same stored aggregates for both trees (derived once, by this tree)
                if side is None:
                    step("derive", "derive once (stored aggregates, this tree)", run_child("derive", ws, "new", ROOT / "src"))
                    side = ws
                else:
                    given_derived(side, ws)
            elif variant == "new" or baseline_derive:  # the stored aggregates, as `python -m bangfu derive`
                step("derive", "derive (stored aggregates)", run_child("derive", ws, "new", src))
            level = "" if pages_level == "province" else pages_level
            r = run_child("pages", ws, variant, src, BENCH_LEVEL=level or "province", BENCH_PAGES=pages)
            res["pages"] = r
            if "error" in r:
                show("every page", r)
            else:
                for row in r["pages"]:
                    mark = f"  EXCEPTION {row['exception'][0][:80]}" if row["exception"] else ""
                    print(f"  page {row['page']:<22} {row['seconds']:8.1f} s   rss {row['rss_mb']:7.0f} MB{mark}",
                          flush=True)
                print(f"  every page: {r['seconds']:.1f} s, peak {r['peak_mb']:.0f} MB, rss at the end {r['rss_mb']:.0f} MB")
        shutil.rmtree(where / f"{variant}-open", ignore_errors=True)
    if tmp is None:
        shutil.rmtree(where, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workspace", type=Path, required=True, help="a province GeoPackage (read only; copied)")
    ap.add_argument("--baseline-src", type=Path, help="src folder of today's code (the baseline)")
    ap.add_argument("--steps", default="open,first_page,upload,imports,pages")
    ap.add_argument("--pages-level", default="province", help="province, or an area code (city 4, county 6 digits)")
    ap.add_argument("--tmp", type=Path, default=None, help="where the copies go (default: a temporary folder)")
    ap.add_argument("--trees", default="new,baseline", help="which trees to run (new, baseline or both)")
    ap.add_argument("--pages", default="", help="only these pages (URL paths, e.g. overview,planning,briefing; the "
                    "first page of PAGES always runs first)")
    ap.add_argument("--derive-once", action="store_true",
                    help="derive the stored aggregates once (this tree) and give both trees a copy, so that a baseline "
                         "that reads them too is measured on them")
    ap.add_argument("--derived-from", type=Path, default=None,
                    help="with --derive-once: an earlier run's copy of the same workspace (its workspace.gpkg) whose "
                         "stored aggregates are given to both trees instead of deriving again")
    ap.add_argument("--child")
    ap.add_argument("--variant", default="new")
    ap.add_argument("--baseline-derive", action="store_true",
                    help="derive the stored aggregates for the baseline too (a baseline that has bangfu.workspace."
                         "derived; they are keyed by the file's identity, so each copy derives its own)")
    args = ap.parse_args()
    if args.child in PAGE_STEPS:  # the AppTest steps live in tests/page_visits.py
        proc = subprocess.run([sys.executable, str(PAGE_VISITS), "--child", args.child, "--workspace",
                               str(args.workspace), "--variant", args.variant], text=True, errors="replace",
                              capture_output=True)
        sys.stderr.write(proc.stderr)
        print(proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else "{}")
        sys.exit(proc.returncode)
    if args.child:
        print(json.dumps(CHILD_STEPS[args.child](args.workspace, args.variant), ensure_ascii=False, default=str))
        return
    trees = [("new", ROOT / "src")] + ([("baseline", args.baseline_src)] if args.baseline_src else [])
    measure(args.workspace, [t for t in trees if t[0] in args.trees.split(",")], args.steps.split(","),
            tmp=args.tmp, pages_level=args.pages_level, pages=args.pages, derive_once=args.derive_once,
            derived_from=args.derived_from, baseline_derive=args.baseline_derive)


if __name__ == "__main__":
    main()
