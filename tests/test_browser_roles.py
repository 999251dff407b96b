"""Headless Chromium signed in as each role: a viewer's pages carry no household id or point (page DOM, every
frame, and everything the server sends over its websocket, maps' GeoJSON and tables' Arrow data included); a
town planner cannot save an edit outside their town, and can inside it.

Each session signs in through the login form, with accounts created by the accounts API (the office then has
accounts, so nothing is shown before sign-in). The viewer visits every page its role lists.
"""

from __future__ import annotations

import hashlib
import re
import struct
from pathlib import Path

import numpy as np
import pytest

from bangfu.editing import roads as road_edits
from bangfu.ui.pages import visible_pages
from bangfu.workspace.access import Principal
from bangfu.workspace import store
from browser_util import ARTIFACTS, browser_page, running_app, settle, sign_in
from factories import Roles, account

pytestmark = pytest.mark.browser

ROLE_VIEWER = Principal("guest", "viewer")

NUMBER = re.compile(rb"-?\d{1,3}\.\d{4,17}")


class Wire:
    """Every websocket frame the server sent to the page (what a user's browser received)."""

    def __init__(self, page) -> None:
        self.frames: list[bytes] = []
        page.on("websocket", lambda ws: ws.on("framereceived", self._add))

    def _add(self, payload) -> None:
        self.frames.append(payload if isinstance(payload, bytes) else payload.encode("utf-8"))

    def blob(self) -> bytes:
        return b"\n".join(self.frames)


def _points(ws: Path) -> np.ndarray:
    hh = store.read_layer(ws, "households")
    return np.column_stack([hh.geometry.x.to_numpy(), hh.geometry.y.to_numpy()])


def _leaked_points(text: bytes, points: np.ndarray, tol: float = 5e-6) -> list[tuple[float, float]]:
    """Household points written as two consecutive numbers (lon, lat or lat, lon) anywhere in ``text``."""
    numbers = np.array([float(m) for m in NUMBER.findall(text)])
    if len(numbers) < 2:
        return []
    pairs = np.column_stack([numbers[:-1], numbers[1:]])
    out = []
    for x, y in points:
        near = (np.abs(pairs[:, 0] - x) < tol) & (np.abs(pairs[:, 1] - y) < tol)
        swapped = (np.abs(pairs[:, 0] - y) < tol) & (np.abs(pairs[:, 1] - x) < tol)
        if near.any() or swapped.any():
            out.append((x, y))
    return out


def _binary_points(blob: bytes, points: np.ndarray) -> list[tuple[float, float]]:
    """Household coordinates as little-endian doubles (an Arrow table of points) in ``blob``."""
    return [(x, y) for x, y in points if struct.pack("<d", x) in blob and struct.pack("<d", y) in blob]


def test_a_viewer_sees_no_household_id_or_point_on_any_page(tmp_path: Path):
    folder = tmp_path / "ws"
    ws = Roles.workspace(folder)
    account(folder, "guest", "viewer")
    ids = set(store.read_layer(ws, "households")["household_id"])
    points = _points(ws)
    with running_app(folder) as base, browser_page() as (page, log, dialogs):
        wire = Wire(page)
        for spec in visible_pages(ROLE_VIEWER):
            sign_in(page, base, "guest", path=f"/{spec.url_path}")
            if spec.url_path == "data":  # the export choices follow the role: no household layer offered
                page.get_by_role("tab", name="导出数据").click()
                box = page.locator("[data-testid='stSelectbox']").filter(has_text="导出内容")
                box.locator("input").click()
                options = page.get_by_role("option").all_inner_texts()
                assert options and "农户" not in options, options
                page.keyboard.press("Escape")
            html = "\n".join(f.content() for f in page.frames).encode("utf-8")
            assert "HHID-" not in html.decode("utf-8"), f"household id on page {spec.url_path}"
            assert not _leaked_points(html, points), f"household point on page {spec.url_path}"
            page.screenshot(path=str(ARTIFACTS / f"viewer_{spec.url_path}.png"), full_page=False)
        sent = wire.blob()
        assert wire.frames, "no websocket traffic recorded"
        assert b"HHID-" not in sent and not any(i.encode() in sent for i in ids), "a household id was sent"
        assert not _leaked_points(sent, points), "a household point was sent (as text)"
        assert not _binary_points(sent, points), "a household point was sent (as binary doubles)"
        assert b"<5" in sent, "the small cells of the test data are shown suppressed"
        assert not log.foreign and not dialogs


def _choose_road(page, road_id: str, cost: str) -> None:
    """Pick ``road_id`` in the edit form and wait until the form shows that road (its cost ``cost``)."""
    from playwright.sync_api import expect

    box = page.locator("[data-testid='stSelectbox']").filter(has_text="选择道路")
    box.locator("input").click()
    page.keyboard.type(road_id)
    page.keyboard.press("Enter")
    fresh = page.locator(f"input[aria-label='投资(万元)'][value='{cost}']")
    fresh.first.wait_for(state="attached", timeout=60_000)  # the rerun drew this road's form …
    expect(page.get_by_label("投资(万元)")).to_have_count(1, timeout=60_000)  # … and the old one is gone
    expect(page.get_by_label("投资(万元)")).to_have_value(cost)
    settle(page)


def _save_cost(page, value: str) -> None:
    from playwright.sync_api import expect

    cost = page.get_by_label("投资(万元)")
    cost.click()
    cost.press("Control+A")
    cost.press_sequentially(value)
    cost.press("Tab")
    expect(cost).to_have_value(f"{float(value):.2f}")  # the form holds the new value before it is submitted
    page.get_by_role("button", name="保存修改").click()
    settle(page)


def test_a_town_planner_cannot_save_an_edit_outside_the_town(tmp_path: Path):
    from playwright.sync_api import expect

    folder = tmp_path / "ws"
    ws = Roles.workspace(folder)
    account(folder, "wang", "town_planner", towns=(Roles.OWN,), display_name="王工")
    with running_app(folder) as base, browser_page() as (page, log, dialogs):
        sign_in(page, base, "wang", path="/roads")
        page.get_by_role("tab", name="修改道路").click()
        expect(page.get_by_text("修改人：王工（镇级规划员）").first).to_be_visible()
        assert page.locator("[data-testid='stTextInput']").filter(has_text="修改人").count() == 0, "free-text editor"

        _choose_road(page, "RB1", "20.00")  # a road of 塘口镇
        before = hashlib.sha256(ws.read_bytes()).hexdigest()
        _save_cost(page, "77")
        expect(page.get_by_text("不在您负责的镇街").first).to_be_visible(timeout=60_000)
        assert hashlib.sha256(ws.read_bytes()).hexdigest() == before, "the refused edit changed the workspace"
        assert store.read_layer(ws, "roads").set_index("road_id").loc["RB1", "cost_wan"] == 20.0

        _choose_road(page, "RA1", "10.00")  # a road of the planner's own town
        _save_cost(page, "77")
        expect(page.get_by_text("已保存 RA1").first).to_be_visible(timeout=60_000)
        assert store.read_layer(ws, "roads").set_index("road_id").loc["RA1", "cost_wan"] == 77.0
        assert set(road_edits.road_history(ws, "RA1")["editor"]) == {"王工（wang）"}
        page.screenshot(path=str(ARTIFACTS / "town_planner_edit.png"), full_page=False)
        assert not log.foreign and not dialogs
