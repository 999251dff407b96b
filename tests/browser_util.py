"""Helpers for browser tests: start `streamlit run` on a free local port, drive Debian's Chromium.

Nothing here sleeps for a fixed time: the server counts as started when it prints its "You can now
view" line (read from its output as it comes) and answers its health URL; a page counts as settled
when Streamlit's own ``data-test-script-state`` says the script run is over and every map has drawn
its vector paths (Playwright's auto-waiting locators and ``expect``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from collections.abc import Iterator
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "::1"}


def chromium_path() -> str:
    """Debian's chromium; skips locally without it, fails when CI is set (browser tests must run in CI)."""
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get("CI"):
        pytest.fail("chromium is not installed: CI must run the browser tests (apt-get install chromium)")
    pytest.skip("chromium not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


READY_LINE = "You can now view"  # what `streamlit run` prints once it serves
START_TIMEOUT_S = 60
#: The map iframe of streamlit-folium, and the app root with Streamlit's script-run state.
MAP_IFRAME = "iframe[title*='streamlit_folium']"
APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def _copy_output(proc: subprocess.Popen, log, ready: threading.Event, ended: threading.Event) -> None:
    """Copy the server's output into ``log``; set ``ready`` at its ready line and ``ended`` when it exits."""
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            log.write(line)
            log.flush()
            if READY_LINE in line:
                ready.set()
    finally:
        ended.set()
        ready.set()  # wake the waiter: it sees ``ended`` and reports the early exit


@contextlib.contextmanager
def running_app(workspace_dir: Path, *, port: int | None = None, env: dict[str, str] | None = None,
                config_only: bool = False, root: Path = ROOT, start_timeout_s: float = START_TIMEOUT_S,
                script: str = "app.py") -> Iterator[str]:
    """`streamlit run app.py` on 127.0.0.1 with its own workspace folder; yields the base URL.

    ``script``: ``serve.py`` for the server that warms its caches at start (:mod:`bangfu.ui.server`).

    ``env``: extra environment variables for the server. ``config_only``: start it as the README says (only the
    port on the command line, everything else from ``.streamlit/config.toml``; it then listens on every interface).
    ``root``: the checkout whose ``app.py`` and ``src`` run (a benchmark's frozen baseline; this one by default).

    Waits (at most ``START_TIMEOUT_S``) for the ready line in the server's output, then checks
    the health URL once; the server is stopped (and its log kept in tests/artifacts) afterwards.
    """
    port = port or free_port()
    extra = dict(env or {})
    env = dict(os.environ, BANGFU_WORKSPACE=str(workspace_dir), PYTHONUNBUFFERED="1")
    env["PYTHONPATH"] = os.pathsep.join([*extra.pop("PYTHONPATH", "").split(os.pathsep), str(root / "src"),
                                         env.get("PYTHONPATH", "")]).strip(os.pathsep)
    env.update(extra)
    launcher = [sys.executable, "-m", "streamlit"]
    cmd = [*launcher, "run", str(root / script), "--server.port", str(port)]
    if not config_only:
        cmd += ["--server.address", "127.0.0.1", "--server.headless", "true",
                "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = open(ARTIFACTS / f"streamlit-{port}.log", "w", encoding="utf-8")
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            encoding="utf-8", errors="replace")
    ready, ended = threading.Event(), threading.Event()
    reader = threading.Thread(target=_copy_output, args=(proc, log, ready, ended), daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}"
    try:
        if not ready.wait(start_timeout_s):
            raise RuntimeError(f"streamlit did not start within {start_timeout_s} s; see {log.name}")
        if ended.is_set():
            raise RuntimeError("streamlit exited early; see " + log.name)
        # serve.py answers once its start-up warm-up is done (bangfu.ui.server): wait for it within the start limit
        with urllib.request.urlopen(base + "/_stcore/health", timeout=max(10.0, start_timeout_s)) as r:
            assert r.status == 200, f"health check answered {r.status}"
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=10)
        log.close()


class RequestLog:
    """Every URL the page (and its iframes) asked for, split into local and foreign."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, request) -> None:  # playwright Request
        self.urls.append(request.url)

    @property
    def foreign(self) -> list[str]:
        out = []
        for u in self.urls:
            p = urlparse(u)
            if p.scheme in ("data", "blob", "about", "chrome-extension"):
                continue
            if p.hostname not in LOCAL_HOSTS:
                out.append(u)
        return out


@contextlib.contextmanager
def browser_page(width: int = 1400, height: int = 1000):
    """A Playwright page in headless Debian Chromium that records every request."""
    from playwright.sync_api import sync_playwright

    exe = chromium_path()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        log = RequestLog()
        context.on("request", log)
        page = context.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        try:
            yield page, log, dialogs
        finally:
            context.close()
            browser.close()


#: What a drawn map shows: Leaflet's clickable vector paths, or a loaded canvas tile of the village vector tiles
#: (bangfu.maps.tiles: Leaflet.VectorGrid draws each tile on its own canvas).
DRAWN = "path.leaflet-interactive, canvas.leaflet-tile-loaded"


def settle(page, timeout_ms: int = 90_000) -> None:
    """Wait until the page's script run is over and what it drew is there.

    Streamlit marks the app root ``data-test-script-state="notRunning"`` once a run has finished
    (it reads "initial" before the first run); then every map iframe must show Leaflet's vector
    paths with no zoom animation running, and every image must be loaded.
    """
    page.locator(APP_IDLE).wait_for(state="attached", timeout=timeout_ms)
    for i in range(page.locator(MAP_IFRAME).count()):
        frame = page.frame_locator(MAP_IFRAME).nth(i)
        frame.locator(DRAWN).first.wait_for(state="attached", timeout=timeout_ms)
        frame.locator(".leaflet-zoom-anim").wait_for(state="detached", timeout=timeout_ms)
    page.wait_for_function("() => [...document.images].every(img => img.complete)", timeout=timeout_ms)


def map_frame(page, timeout_ms: int = 60000):
    """The (first) streamlit-folium iframe once Leaflet has drawn vector paths in it, as a Playwright Frame."""
    # A rerun (e.g. after a tab click) can replace the iframe between the wait and the handle: then the old
    # element is detached and has no document. Wait for the drawn map again on the new one, up to the deadline.
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        left_ms = max(1000, int((deadline - time.monotonic()) * 1000))
        page.frame_locator(MAP_IFRAME).first.locator(DRAWN).first.wait_for(state="attached", timeout=left_ms)
        frame = page.locator(MAP_IFRAME).first.element_handle(timeout=left_ms).content_frame()
        if frame is not None and not frame.is_detached():
            break
        assert time.monotonic() < deadline, "the map iframe has no document"
    frame.locator(".leaflet-zoom-anim").wait_for(state="detached", timeout=timeout_ms)
    return frame


def sign_in(page, base: str, username: str, password: str | None = None, *, path: str = "",
            timeout_ms: int = 90_000) -> None:
    """Open ``base + path`` and sign in through the login form (Chinese labels) as ``username`` (password: the
    tests' :data:`factories.TEST_PASSWORD`), then wait until the page has rendered for the signed-in user.

    The session token lives in the Streamlit session: ``page.goto`` (a reload) starts a new session and shows the
    login form again, so sign in once per ``goto`` (pass the page's ``path``, e.g. ``"/roads"``) or move between
    pages with the sidebar's page links, which keep the session.
    """
    from factories import TEST_PASSWORD

    page.goto(base + path, wait_until="domcontentloaded")
    page.locator(APP_IDLE).wait_for(state="attached", timeout=timeout_ms)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password if password is not None else TEST_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    page.locator("[data-testid='stSidebar']").get_by_text("当前用户").wait_for(timeout=timeout_ms)
    settle(page, timeout_ms)
