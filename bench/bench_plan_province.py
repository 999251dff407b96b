"""Issue 15 item 3, planning at province level: the exact portfolio on the stored catchment groups of a province, this
tree against a named baseline tree (e.g. main before the change), in the same run, one child process per tree.

    PYTHONPATH=src python bench/bench_plan_province.py --workspace WS.gpkg --baseline-src /tmp/baseline/src \
        [--budgets default,+10%,+20%,+50%]

The workspace must hold the stored ``catchments_straight`` table (``python -m bangfu derive --workspace WS.gpkg``);
it is only read. For every budget (``default``: the planning form's default, ``+N%``: N % more) each child times
greedy and ``solve_exact`` (two HiGHS solves: the best score, then the cheapest portfolio of that score; both to
the proven optimum, time limit 600 s) and reports the score, the cost and both statuses, so the two trees' answers
can be compared as well as their times. This tree's child also times reading the stored exact portfolio
(``portfolio_straight``, what the page does at the default options) when it is stored.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(ws: str, budgets: list[str]) -> dict:
    from bangfu.planning import run as plan_run, solvers, stored
    from bangfu.workspace import derived, store

    cov = stored.from_parts(derived.table(ws, "catchments_straight"))
    projects = store.read_layer(ws, "projects")
    approved = plan_run.default_must_in(projects)
    base = plan_run.default_budget(projects, approved)
    rows = []
    for b in budgets:
        budget = base if b == "default" else round(base * (1 + float(b.strip("+%")) / 100), -2)
        cons = solvers.Constraints(budget=budget, must_in=tuple(approved))
        t0 = time.perf_counter()
        greedy = solvers.greedy(cov, solvers.DEFAULT_WEIGHTS, cons)
        t1 = time.perf_counter()
        exact = solvers.solve_exact(cov, solvers.DEFAULT_WEIGHTS, cons, time_limit=600, warm_start=greedy)
        t2 = time.perf_counter()
        rows.append({"budget": budget, "label": b, "greedy_s": t1 - t0, "exact_s": t2 - t1, "score": exact.objective,
                     "cost": exact.cost, "status": exact.status, "cost_status": exact.cost_status,
                     "greedy_score": greedy.objective})
    out: dict = {"rows": rows, "projects": cov.n_projects, "groups": cov.n_units, "load": os.getloadavg()[0]}
    if hasattr(stored, "stored_exact") and derived.is_stored(ws, "portfolio_straight"):
        opts = plan_run.default_options(projects, store.read_layer(ws, "villages"))
        t0 = time.perf_counter()
        parts = derived.table(ws, "portfolio_straight")
        cons = solvers.Constraints(budget=opts.budget, must_in=tuple(opts.must_in or ()))
        res = stored.stored_exact(parts, cov, opts.weights, cons, plan_run.plan_key(opts))
        out["stored"] = {"seconds": time.perf_counter() - t0, "score": res.objective if res else None,
                         "cost": res.cost if res else None, "budget": opts.budget}
    return out


def run_tree(ws: str | Path, src: Path, budgets: str = "default,+10%,+20%,+50%") -> dict:
    """:func:`child` in a new process on the tree ``src`` (its ``src`` folder): its figures, or ``{"error": ...}``."""
    proc = subprocess.run([sys.executable, __file__, "--workspace", str(ws), "--budgets", budgets,
                           "--child", str(src)], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(src)})
    if proc.returncode:
        return {"error": proc.stderr[-2000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--workspace", required=True)
    ap.add_argument("--baseline-src", type=Path)
    ap.add_argument("--budgets", default="default,+10%,+20%,+50%")
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    budgets = args.budgets.split(",")
    if args.child:
        sys.path.insert(0, str(args.child))
        print(json.dumps(child(args.workspace, budgets)))
        return
    print(f"workspace {args.workspace}; load at start {os.getloadavg()}")
    trees = [("this tree", ROOT / "src")] + ([("baseline", args.baseline_src)] if args.baseline_src else [])
    for name, src in trees:
        r = run_tree(args.workspace, src, args.budgets)
        if "error" in r:
            print(f"[{name}] FAILED\n{r['error']}")
            continue
        print(f"[{name}: {src}] {r['projects']:,} candidate projects, {r['groups']:,} household groups; "
              f"load at the end {r['load']:.1f}")
        for row in r["rows"]:
            print(f"  budget {row['budget']:>10,.0f} ({row['label']:>7}): greedy {row['greedy_s']:5.2f} s, exact "
                  f"{row['exact_s']:6.2f} s  score {row['score']:,.0f} (greedy {row['greedy_score']:,.0f}), cost "
                  f"{row['cost']:,.1f}, {row['status']}/{row['cost_status']}", flush=True)
        if "stored" in r:
            s = r["stored"]
            print(f"  stored exact portfolio at the default options (budget {s['budget']:,.0f}): read back in "
                  f"{s['seconds']:.2f} s, score {s['score']:,.0f}, cost {s['cost']:,.1f}")


if __name__ == "__main__":
    main()
