"""Headless Chromium: the pairing map draws needy villages without a partner in thick red, and the
tourism map draws site circles; nothing is fetched from the internet (one app start for both)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bangfu.core.vocab import PAIRING_STATE, SITE_TYPE
from browser_util import ARTIFACTS, browser_page, map_frame, running_app, settle
from factories import Pairing

pytestmark = pytest.mark.browser


def _open(page, label: str):
    """Follow the sidebar navigation link ``label`` and return the map iframe once drawn."""
    page.locator("[data-testid='stSidebar'] a", has_text=label).first.click()
    page.wait_for_selector(f"h1:has-text('{label}')", timeout=60000)
    frame = map_frame(page)
    settle(page)
    page.locator("iframe[title*='streamlit_folium']").first.scroll_into_view_if_needed()
    return frame


def test_pairing_gaps_and_tourism_sites_offline(tmp_path: Path):
    from playwright.sync_api import expect

    folder = tmp_path / "ws"
    Pairing.workspace(folder)
    with running_app(folder) as base, browser_page() as (page, log, dialogs):
        page.goto(base + "/", wait_until="domcontentloaded")
        map_frame(page)

        frame = _open(page, "企业结对")
        gap = PAIRING_STATE.term("gap")
        red = frame.locator(f"path.leaflet-interactive[stroke='{gap.color}'][stroke-width='{gap.weight:g}']")
        # default rule (key or 老区 villages): villages 1, 2 and 4 have no active partner
        expect(red).to_have_count(3)  # (waits for the styles)
        assert frame.locator(f"text={gap.zh}").count() >= 1, "legend missing"
        assert frame.evaluate("typeof L !== 'undefined' && L.version"), "Leaflet did not load"
        page.screenshot(path=str(ARTIFACTS / "pairings_gaps.png"), full_page=False)

        frame = _open(page, "乡村旅游")
        dl = frame.locator(f"path.leaflet-interactive[fill='{SITE_TYPE.color('碉楼村落')}']")
        expect(dl).to_have_count(1)  # the 5A diaolou site circle
        page.screenshot(path=str(ARTIFACTS / "tourism_sites.png"), full_page=False)

        assert not log.foreign, f"requests to non-local hosts: {log.foreign[:10]}"
        assert not dialogs
