"""`streamlit run app.py` (and `serve.py`) as the README says opens no connection to a non-local address from start to first page."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

import pytest

from browser_util import ARTIFACTS, browser_page, free_port, running_app, settle

pytestmark = pytest.mark.browser

#: Loaded by the server's interpreter at start (``sitecustomize`` on its PYTHONPATH): an audit hook that writes
#: every ``socket.connect`` address and every ``socket.getaddrinfo`` host name to a file, one JSON line each.
HOOK = '''
import json, os, sys
_OUT = os.environ["BANGFU_CONNECT_LOG"]
def _hook(event, args):
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple):
            with open(_OUT, "a", encoding="utf-8") as f:
                f.write(json.dumps({"event": event, "host": str(address[0])}) + "\\n")
    elif event == "socket.getaddrinfo":
        with open(_OUT, "a", encoding="utf-8") as f:
            f.write(json.dumps({"event": event, "host": str(args[0])}) + "\\n")
sys.addaudithook(_hook)
'''


def _local(host: str) -> bool:
    if host in ("localhost", "", "None"):
        return True
    try:
        ip = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False  # a name other than localhost would be looked up (DNS): not local
    return ip.is_loopback or ip.is_unspecified


@pytest.mark.parametrize("script", ["app.py", "serve.py"])
def test_server_contacts_no_foreign_address_from_start_to_first_page(tmp_path: Path, script: str):
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
    record = tmp_path / "connects.jsonl"
    port = free_port()
    env = {"PYTHONPATH": str(hook_dir), "BANGFU_CONNECT_LOG": str(record)}
    with running_app(tmp_path / "ws", port=port, env=env, config_only=True, script=script) as base, browser_page() as (page, log, _):
        page.goto(base + "/overview", wait_until="domcontentloaded")
        settle(page)
        assert page.locator("[data-testid='stMain'] h1").first.inner_text()
        assert not log.foreign
    rows = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()] if record.exists() else []
    foreign = sorted({r["host"] for r in rows if not _local(r["host"])})
    assert not foreign, f"the server reached out to {foreign}"
    output = (ARTIFACTS / f"streamlit-{port}.log").read_text(encoding="utf-8")
    assert "Did not auto detect" not in output, output
    assert f"http://localhost:{port}" in output, output  # the address printed is the configured one


def test_the_hook_sees_a_foreign_connect(tmp_path: Path):
    """The audit hook above does record a connection to a non-local address (so the test above can fail)."""
    import subprocess
    import sys

    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(HOOK, encoding="utf-8")
    record = tmp_path / "connects.jsonl"
    code = "import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.connect(('8.8.8.8', 1)); s.close()"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60,
                   env={"PYTHONPATH": str(hook_dir), "BANGFU_CONNECT_LOG": str(record), "PATH": "/usr/bin:/bin"})
    rows = [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()]
    assert [r["host"] for r in rows if not _local(r["host"])] == ["8.8.8.8"]
