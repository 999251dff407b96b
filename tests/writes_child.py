"""A writer in its own process, driven by tests/test_writes.py over stdin/stdout (not a test module).

``python tests/writes_child.py edit WS LAYER FIELD N BASE`` — N edits, one transaction each, through the store's
write helper (the one the editing engine uses): row ``i % rows`` gets ``FIELD = BASE + i``; prints
``ACK <key> <value>`` after each committed edit and ``REFUSED <message>`` for a refused one.

``python tests/writes_child.py import WS LAYER TAG [wait|N]`` — prepares an import of ``LAYER`` built from the
workspace as it is (every row's name suffixed with TAG, as a user would export, fix and re-import), prints
``PREPARED <version>``; with ``wait``, reads one line from stdin before applying; then prints ``IMPORTED`` or
``REFUSED <message>``; with a count N, N imports one after the other (tags TAG0, TAG1…).

``python tests/writes_child.py restore WS`` / ``demo WS DEMO`` / ``backup WS`` — one restore of the newest backup /
demo restore / backup, then ``DONE``.

Any step can be paused with ``BANGFU_TEST_PAUSE_AT`` (:func:`bangfu.workspace.locking.checkpoint`).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from bangfu.core.errors import BangfuError  # noqa: E402
from bangfu.ingest import pipeline  # noqa: E402
from bangfu.workspace import store  # noqa: E402
from bangfu.workspace.access import Principal  # noqa: E402
from bangfu.workspace.schema import get_layer  # noqa: E402

ADMIN = Principal("admin", "admin", display_name="张三")
EDITOR = Principal("li", "county_planner", display_name="李四")


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def edit(ws: Path, layer: str, field: str, n: int, base: float) -> None:
    key = get_layer(layer).key
    keys = [str(k) for k in store.read_layer(ws, layer)[key]]
    for i in range(n):
        k, value = keys[i % len(keys)], base + i
        try:
            with store.transaction(ws, user=EDITOR, action="edit", target=f"{layer}/{k}", permission="edit",
                                   details={"field": field, "new": value}) as con:
                con.execute(f'UPDATE "{layer}" SET "{field}" = ?, version = version + 1 WHERE "{key}" = ?', (value, k))
        except BangfuError as exc:
            say(f"REFUSED {exc.message_zh}")
            continue
        say(f"ACK {k} {value!r}")


def import_layer(ws: Path, layer: str, tag: str, wait: bool) -> None:
    base = store.meta_version(store.read_meta(ws))  # the file below reflects (at least) this version
    current = store.read_layer(ws, layer)
    current["name"] = current["name"].astype(str).str.split("#").str[0] + f"#{tag}"
    data = current.drop(columns=["version"], errors="ignore").to_json().encode()
    plan = pipeline.prepare_import(ws, f"{layer}.geojson", data, layer=layer, mode="replace", data_version=base)
    assert plan.ok, plan.summary_zh()
    say(f"PREPARED {plan.base_meta_version}")
    if wait:
        sys.stdin.readline()
    try:
        pipeline.apply_import(ws, plan, user=ADMIN)
    except BangfuError as exc:
        say(f"REFUSED {exc.message_zh}")
        return
    say("IMPORTED")


def main(argv: list[str]) -> None:
    cmd, ws = argv[0], Path(argv[1])
    if cmd == "edit":
        edit(ws, argv[2], argv[3], int(argv[4]), float(argv[5]))
    elif cmd == "import":
        wait = len(argv) > 4 and argv[4] == "wait"
        for j in range(1 if wait or len(argv) <= 4 else int(argv[4])):
            import_layer(ws, argv[2], argv[3] if wait or len(argv) <= 4 else f"{argv[3]}{j}", wait)
    elif cmd == "restore":
        store.restore_backup(ws, user=ADMIN)
    elif cmd == "demo":
        store.restore_demo(ws.parent, user=ADMIN, demo=Path(argv[2]))
    elif cmd == "backup":
        store.make_backup(ws, user=ADMIN)
    else:
        raise SystemExit(f"unknown command {cmd}")
    say("DONE")


if __name__ == "__main__":
    main(sys.argv[1:])
