"""Page visits for bench/bench_open.py: AppTest of the first page, and one AppTest session visiting every page,
reporting wall time and resident memory as JSON (the benchmark runs this script in a child process per tree); and
for bench/bench_area_change.py the runs after a change of area.

    python tests/page_visits.py --child first_page|pages|area_change --workspace WS/workspace.gpkg [--variant new|baseline]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
#: The checkout whose app.py and pages/ are run: the tree of the ``src`` being measured (bench/bench_open.py sets it
#: for the baseline), else this one. Pages of one tree with the package of another fail where the pages changed.
APP_ROOT = Path(os.environ.get("BENCH_APP_ROOT") or ROOT)

from factories import account, sign_in  # noqa: E402


def _rss_mb() -> float:
    return int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _admin_app(folder: Path, page: str):
    try:
        account(folder, "chief", "admin", display_name="管理员")
    except Exception:  # noqa: BLE001 - the account exists already (a second step on the same folder)
        pass
    at = AppTest.from_file(str(APP_ROOT / page), default_timeout=3600)
    sign_in(at, folder, "chief")
    return at


def child_first_page(ws: Path, variant: str) -> dict:
    at = _admin_app(ws.parent, "pages/start.py")
    t0 = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - t0
    t1 = time.perf_counter()
    at.run()  # the same page again in the same session: what a user sees on the next visit
    return {"seconds": seconds, "again_seconds": time.perf_counter() - t1, "peak_mb": _peak_mb(), "rss_mb": _rss_mb(),
            "exception": [e.value for e in at.exception][:1], "errors": [e.value for e in at.error][:2]}


def child_pages(ws: Path, variant: str) -> dict:
    from bangfu.ui.pages import PAGES

    level = os.environ.get("BENCH_LEVEL", "province")
    at = _admin_app(ws.parent, "app.py")  # the app with its navigation: the first run shows PAGES[0]
    if level != "province":
        at.query_params["area"] = level
    rows = []
    only = [p for p in os.environ.get("BENCH_PAGES", "").split(",") if p]  # e.g. overview,planning,briefing
    for i, spec in enumerate(PAGES):
        if only and i and spec.url_path not in only:
            continue
        if i:
            at.switch_page(spec.path)  # the same session goes on to the next page
        t0 = time.perf_counter()
        try:
            at.run()
            failed = [str(e.value)[:200] for e in at.exception][:1]
        except Exception as exc:  # noqa: BLE001 - a timeout or a crash of one page: recorded, the next page runs
            failed = [repr(exc)[:200]]
        rows.append({"page": spec.url_path, "seconds": time.perf_counter() - t0, "rss_mb": _rss_mb(),
                     "peak_mb": _peak_mb(), "exception": failed, "title": [t.value for t in at.title][:1]})
        print(json.dumps(rows[-1], ensure_ascii=False), file=sys.stderr, flush=True)
        if os.environ.get("BENCH_PAGES_LOG"):  # each page as it finishes (a long run can be followed or cut short)
            with open(os.environ["BENCH_PAGES_LOG"], "a", encoding="utf-8") as fh:
                fh.write(json.dumps({"variant": variant, **rows[-1]}, ensure_ascii=False) + "\n")
    return {"seconds": sum(r["seconds"] for r in rows), "peak_mb": _peak_mb(), "rss_mb": _rss_mb(), "pages": rows}




#: Areas chosen one after another by :func:`child_area_change` (label, level, code); ``BENCH_REPEAT`` rounds.
AREA_CHOICES: tuple[tuple[str, str, str], ...] = (
    ("city 沈阳市", "city", "2101"), ("city 大连市", "city", "2102"), ("county 和平区", "county", "210102"),
    ("county 中山区", "county", "210202"),
)


def child_area_change(ws: Path, variant: str) -> dict:
    """For bench/bench_area_change.py: the overview at province level, the warm-up thread waited for, then each of
    :data:`AREA_CHOICES` chosen in the sidebar's area box, ``BENCH_REPEAT`` times: the wall time of each run."""
    import threading

    at = _admin_app(ws.parent, "app.py")
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    for th in threading.enumerate():  # the overview's warm-up of the other levels (a server would have it too)
        if th is not threading.current_thread() and "warm" in th.name.lower():
            th.join()
    out: dict[str, list[float]] = {}
    level = "province"
    for _ in range(int(os.environ.get("BENCH_REPEAT", "3"))):
        for label, lv, code in AREA_CHOICES:
            if lv != level:
                at.selectbox(key="area_level").set_value(lv).run()
                level = lv
            t1 = time.perf_counter()
            at.selectbox(key=f"area_{lv}").set_value(code).run()
            out.setdefault(label, []).append(time.perf_counter() - t1)
            if at.exception:
                return {"error": str(at.exception[0].value)[:300]}
    return {"first": first, "runs": out}


CHILDREN = {"first_page": child_first_page, "pages": child_pages, "area_change": child_area_change}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--child", required=True, choices=tuple(CHILDREN))
    ap.add_argument("--workspace", type=Path, required=True)
    ap.add_argument("--variant", default="new")
    args = ap.parse_args()
    step = CHILDREN[args.child]
    print(json.dumps(step(args.workspace, args.variant), ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
