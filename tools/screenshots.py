"""Screenshots of every page (signed in, demo data) at 1400×1000 and 1920×1080 into docs/screenshots/<page>_<w>x<h>.png.

Run from the repository root (the test dependencies and Debian's chromium installed)::

    python tools/screenshots.py                 # every page, both sizes
    python tools/screenshots.py --lang en --sizes 1400x1000 --out /tmp/shots

It starts ``streamlit run app.py`` on a free local port with a fresh copy of the demo workspace and one
administrator account (the server, the browser and the login form of the tests: ``tests/browser_util.py``), signs
in, then opens every page of :data:`bangfu.ui.pages.PAGES` through the sidebar's page links (one session) and waits
until each page has finished drawing before it takes the picture.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from bangfu.core.labels import t  # noqa: E402
from bangfu.ui.pages import PAGES  # noqa: E402
from browser_util import browser_page, running_app, settle, sign_in  # noqa: E402
from factories import TEST_PASSWORD, account  # noqa: E402

SIZES = ((1400, 1000), (1920, 1080))


def _size(text: str) -> tuple[int, int]:
    w, _, h = text.partition("x")
    return int(w), int(h)


def shoot(out: Path, sizes: tuple[tuple[int, int], ...] = SIZES, lang: str = "zh") -> list[Path]:
    """Take the screenshots; returns the files written."""
    from bangfu.workspace import store

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "ws"
        store.ensure_workspace(folder)
        account(folder, "admin", "admin", password=TEST_PASSWORD, display_name="管理员")
        with running_app(folder) as base:
            for width, height in sizes:
                with browser_page(width, height) as (page, _log, _dialogs):
                    sign_in(page, base, "admin", path="/overview")  # the login form is in Chinese
                    if lang == "en":
                        page.locator("[data-testid='stSidebar'] label").filter(has_text="English").click()
                        page.locator("[data-testid='stMain'] h1").filter(has_text=t("page.overview", "en")).wait_for(
                            timeout=120_000)
                        settle(page, 180_000)
                    for spec in PAGES:
                        link = page.locator("[data-testid='stSidebar'] a").filter(has_text=t(spec.label, lang)).first
                        link.click()
                        page.wait_for_url(f"**/{spec.url_path}*", timeout=120_000)
                        page.locator("[data-testid='stMain'] h1").first.wait_for(timeout=120_000)
                        settle(page, 180_000)
                        path = out / f"{spec.url_path}_{width}x{height}.png"
                        page.screenshot(path=str(path), full_page=False)
                        written.append(path)
                        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path, flush=True)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--sizes", nargs="+", type=_size, default=list(SIZES), help="e.g. 1400x1000 1920x1080")
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    args = parser.parse_args(argv)
    shoot(args.out, tuple(args.sizes), args.lang)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
