"""A file uploaded in a real browser reaches the data page's import (the guard reads it, the preview names it), with the
app served by ``streamlit run app.py`` and by ``serve.py`` (Streamlit's ASGI server: its own upload route)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bangfu.core.resources import DEMO_PATH
from bangfu.workspace import store
from browser_util import browser_page, running_app, settle

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("script", ["app.py", "serve.py"])
def test_upload_reaches_the_import_preview(tmp_path: Path, script: str):
    sites = store.read_layer(DEMO_PATH, "tourism_sites")
    upload = tmp_path / "景点.geojson"
    sites.to_file(upload, driver="GeoJSON")
    with running_app(tmp_path / "ws", script=script) as base, browser_page() as (page, log, dialogs):
        page.goto(f"{base}/data", wait_until="domcontentloaded")
        settle(page)
        page.locator("input[type=file]").first.set_input_files(str(upload))
        page.get_by_text(f"文件：{upload.name}").first.wait_for(timeout=90_000)  # the server read the file
        settle(page)
        main = page.locator("[data-testid='stMain']").inner_text()
        assert "UTF-8" in main, main[-500:]  # its encoding detected on the server
        assert page.locator("[data-testid='stException']").count() == 0
        assert not log.foreign, f"requests to non-local hosts: {sorted(set(log.foreign))[:10]}"
        assert not dialogs
