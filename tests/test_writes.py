"""No lost writes: imports against edits and two imports from separate processes, kill -9 at every step of an
import, a backup and a restore, rotating backups, admin-only restores, stale temporary files.

Writers run in child processes (tests/writes_child.py). A child is stopped at an exact step by the test hook
``BANGFU_TEST_PAUSE_AT`` (it prints ``PAUSED <step>`` and waits), so every kill happens at a known point
without sleeping; ordering between children is driven over their stdin/stdout. The oracles: every edit a
child saw acknowledged (``ACK``) is in the final workspace with its value; the audit trail, written in the
same transaction as each write, has one row per successful write with unique, increasing versions.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bangfu.core import fileio
from bangfu.ingest import pipeline
from bangfu.workspace import access, audit, locking, store
from bangfu.workspace.access import Principal
from factories import Overview, import_workspace

CHILD = Path(__file__).with_name("writes_child.py")
ADMIN = Principal("admin", "admin", display_name="张三")
COUNTY = Principal("li", "county_planner", display_name="李四")
VIEWER = Principal("guest", "viewer")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    """A small workspace with roads, pairings, sites… (two towns of three villages)."""
    return Overview.workspace(tmp_path / "ws")


def _child(*args: str, pause: str | None = None, **env: str) -> subprocess.Popen:
    extra = {locking.PAUSE_ENV: pause} if pause else {}
    return subprocess.Popen([sys.executable, str(CHILD), *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **extra, **env})


def _until(proc: subprocess.Popen, *prefixes: str) -> list[str]:
    """The child's output lines up to (and including) the first starting with one of ``prefixes``."""
    lines = []
    while True:
        line = proc.stdout.readline()
        if not line:
            proc.wait()
            pytest.fail(f"child ended (code {proc.returncode}) before {prefixes}: {lines}\n{proc.stderr.read()}")
        lines.append(line.rstrip("\n"))
        if line.startswith(prefixes):
            return lines


def _finish(proc: subprocess.Popen) -> list[str]:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    return out.splitlines()


def _kill(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    proc.stdout.close()
    proc.stderr.close()
    proc.stdin.close()


def _acked(lines: list[str]) -> dict[str, float]:
    """Key → last acknowledged value of an editing child."""
    last = {}
    for line in lines:
        if line.startswith("ACK "):
            _, key, value = line.split(" ", 2)
            last[key] = float(value)
    return last


def _values(ws: Path, layer: str, field: str) -> dict[str, float]:
    key = store.get_layer(layer).key
    df = store.read_layer(ws, layer)
    return {str(k): float(v) for k, v in zip(df[key], df[field])}


def _names(ws: Path, layer: str) -> set[str]:
    """The import tags on the names of a layer (``""`` for names no import touched)."""
    return {n.rsplit("#", 1)[1] if "#" in n else "" for n in store.read_layer(ws, layer)["name"].astype(str)}


def _audit(ws: Path) -> list[tuple[str, str, int]]:
    rows = audit.entries(ws.parent, user=ADMIN, limit=100_000).sort_values("audit_id")
    return [(a, t, json.loads(d).get("version", -1)) for a, t, d in zip(rows["action"], rows["target"], rows["details"])]


def _assert_versions_unique_and_increasing(ws: Path) -> list[tuple[str, str, int]]:
    rows = [r for r in _audit(ws) if r[0] != "new_workspace"]
    versions = [v for _, _, v in rows]
    assert versions == sorted(versions) and len(set(versions)) == len(versions), versions
    assert versions[-1] == store.meta_version(store.read_meta(ws)), "the last write's version is the workspace's"
    return rows


def _hot(journal: Path) -> bool:
    """Whether a rollback journal holds a transaction to roll back (SQLite writes its magic only then)."""
    return journal.exists() and journal.read_bytes()[:8] == bytes.fromhex("d9d505f920a163d7")


def _writer_temps(ws: Path) -> list[Path]:
    return [*ws.parent.glob(locking.WRITER_PREFIX + "*"), *store.backups_dir(ws).glob(locking.WRITER_PREFIX + "*")]


# ----------------------------------------------------------------------------- imports against edits


def test_import_keeps_an_edit_of_another_layer_and_refuses_over_an_edit_of_its_own(ws: Path):
    # 1. prepared, then 5 pairing edits from another process, then applied: imported, the edits kept
    importer = _child("import", str(ws), "roads", "A", "wait")
    base = int(_until(importer, "PREPARED")[-1].split()[1])
    pairing_edits = _acked(_finish(_child("edit", str(ws), "pairings", "committed_wan", "5", "500")))
    assert len(pairing_edits) == 4  # five edits over four pairings: the last value of each
    importer.stdin.write("go\n")
    importer.stdin.flush()
    assert _finish(importer)[-2:] == ["IMPORTED", "DONE"]
    assert _names(ws, "roads") == {"A"}
    assert {k: v for k, v in _values(ws, "pairings", "committed_wan").items() if k in pairing_edits} == pairing_edits

    # 2. prepared, then road edits, then applied: refused and reported, the edits kept
    importer = _child("import", str(ws), "roads", "B", "wait")
    _until(importer, "PREPARED")
    road_edits = _acked(_finish(_child("edit", str(ws), "roads", "cost_wan", "6", "1000")))
    assert len(road_edits) == 6
    importer.stdin.write("go\n")
    importer.stdin.flush()
    out = _finish(importer)
    assert out[-2].startswith("REFUSED 导入没有执行") and "道路" in out[-2] and "重新预览" in out[-2], out
    assert _names(ws, "roads") == {"A"}
    assert {k: v for k, v in _values(ws, "roads", "cost_wan").items() if k in road_edits} == road_edits

    rows = _assert_versions_unique_and_increasing(ws)
    assert [a for a, _, _ in rows] == ["edit"] * 5 + ["import"] + ["edit"] * 6, "one audit row per acknowledged write"
    assert rows[5][2] == base + 6, "the import came after the five edits, with the next version"


def test_free_running_imports_and_edits_lose_no_acknowledged_edit(ws: Path):
    editors = [_child("edit", str(ws), "roads", "cost_wan", "24", "2000"),
               _child("edit", str(ws), "pairings", "committed_wan", "24", "700")]
    importer = _child("import", str(ws), "roads", "I", "3")
    out = _finish(importer)
    road_lines, pairing_lines = (_finish(e) for e in editors)
    imported = [line for line in out if line in ("IMPORTED",) or line.startswith("REFUSED")]
    assert len(imported) == 3 and all(line == "IMPORTED" or "重新预览" in line or "请稍候" in line for line in imported)
    road_edits, pairing_edits = _acked(road_lines), _acked(pairing_lines)
    assert {k: v for k, v in _values(ws, "roads", "cost_wan").items() if k in road_edits} == road_edits
    assert {k: v for k, v in _values(ws, "pairings", "committed_wan").items() if k in pairing_edits} == pairing_edits
    rows = _assert_versions_unique_and_increasing(ws)
    acks = sum(line.startswith("ACK") for line in road_lines + pairing_lines)
    assert sum(a == "edit" for a, _, _ in rows) == acks, "every acknowledged edit, and only those, was written"
    assert sum(a == "import" for a, _, _ in rows) == imported.count("IMPORTED")
    last = [f"I{j}" for j, line in enumerate(imported) if line == "IMPORTED"]
    assert _names(ws, "roads") == ({last[-1]} if last else {""})


def test_two_imports_of_one_layer_at_once_one_wins_the_other_is_refused(ws: Path):
    a, b = _child("import", str(ws), "roads", "A", "wait"), _child("import", str(ws), "roads", "B", "wait")
    _until(a, "PREPARED"), _until(b, "PREPARED")
    for c in (a, b):
        c.stdin.write("go\n")
        c.stdin.flush()
    results = {tag: _finish(c)[-2] for tag, c in (("A", a), ("B", b))}
    won = [tag for tag, r in results.items() if r == "IMPORTED"]
    assert len(won) == 1, results
    lost = ({"A", "B"} - set(won)).pop()
    assert results[lost].startswith("REFUSED") and "重新预览" in results[lost]
    assert _names(ws, "roads") == set(won)
    assert [a for a, _, _ in _assert_versions_unique_and_increasing(ws)] == ["import"]


def test_two_imports_of_different_layers_at_once_are_both_written_one_after_the_other(ws: Path):
    a, b = _child("import", str(ws), "roads", "A", "wait"), _child("import", str(ws), "tourism_sites", "B", "wait")
    _until(a, "PREPARED"), _until(b, "PREPARED")
    for c in (a, b):
        c.stdin.write("go\n")
        c.stdin.flush()
    assert _finish(a)[-2] == "IMPORTED" and _finish(b)[-2] == "IMPORTED"
    assert _names(ws, "roads") == {"A"} and _names(ws, "tourism_sites") == {"B"}
    assert len(_assert_versions_unique_and_increasing(ws)) == 2
    assert len(store.list_backups(ws)) == 2


def test_a_writer_waits_a_bounded_time_then_gets_the_chinese_refusal(ws: Path, monkeypatch: pytest.MonkeyPatch):
    holder = _child("import", str(ws), "roads", "A", pause="import:staged")
    _until(holder, "PAUSED")
    try:
        before = ws.read_bytes()
        monkeypatch.setenv(locking.WAIT_ENV, "0.2")
        with pytest.raises(locking.WorkspaceBusy, match="另一位用户正在导入，请稍候"):
            with store.transaction(ws, user=COUNTY) as con:
                con.execute("UPDATE roads SET cost_wan = 1")
        assert ws.read_bytes() == before
        live = _writer_temps(ws)
        assert live and store.startup(ws) == [] and _writer_temps(ws) == live, "a live writer's files are kept"
    finally:
        _kill(holder)
    assert store.startup(ws) and not _writer_temps(ws), "once the writer is gone they are garbage"


# ----------------------------------------------------------------------------- kill -9


IMPORT_STEPS = ["import:locked", "import:staged", "backup:copying", "backup:written", "backup:checked",
                "backup:renamed", "import:backed_up", "import:written", "import:before_commit", "import:committed"]
FAST = {"backup:copying", "import:written", "import:committed"}


def _check_after_crash(ws: Path, *, old: dict, new_tag: str | None) -> None:
    """After a kill -9 and the next open: the workspace opens, is the old or the new state, backups restorable."""
    journal = ws.with_name(ws.name + "-journal")
    store.startup(ws)
    assert not _writer_temps(ws) and not fileio.temp_files(ws.parent), "stale temporary files cleaned at start"
    assert not _hot(journal), "a half-done transaction is rolled back"
    info = store.open_workspace(ws)
    store.check_workspace_file(ws)
    if new_tag is None:
        assert _names(ws, "roads") == {""} and info.meta["version"] == old["version"]
    else:
        assert _names(ws, "roads") == {new_tag} and int(info.meta["version"]) == int(old["version"]) + 1
    for b in store.list_backups(ws):
        store.check_backup(b)
    if store.list_backups(ws):
        store.restore_backup(ws, user=ADMIN)
        assert _names(ws, "roads") == {""}


@pytest.mark.parametrize("step", [pytest.param(s, marks=() if s in FAST else pytest.mark.slow) for s in IMPORT_STEPS])
def test_kill_9_at_each_step_of_an_import(ws: Path, step: str):
    old = store.read_meta(ws)
    child = _child("import", str(ws), "roads", "K", pause=step)
    _until(child, "PAUSED")
    _kill(child)
    committed = step == "import:committed"
    imports = [a for a, _, _ in _audit(ws) if a == "import"]
    assert len(imports) == int(committed), "the audit row commits (or not) with the import"
    if step in ("backup:copying", "backup:written", "backup:checked", "import:staged", "import:written"):
        assert _writer_temps(ws), "the test killed the writer while it had temporary files"
    if step in ("import:written", "import:before_commit"):
        assert ws.with_name(ws.name + "-journal").exists(), "killed inside the transaction"
        assert _names(ws, "roads") == {""}, "a reader sees the old state before any recovery"
    _check_after_crash(ws, old=old, new_tag="K" if committed else None)


BACKUP_STEPS = ["backup:copying", "backup:written", "backup:checked", "backup:renamed", "backup:rotating"]


@pytest.mark.parametrize("step", [pytest.param(s, marks=() if s == "backup:rotating"
                                               else pytest.mark.slow) for s in BACKUP_STEPS])
def test_kill_9_at_each_step_of_a_backup(ws: Path, step: str):
    for _ in range(store.MIN_BACKUPS):
        store.make_backup(ws, user=ADMIN)
    kept = {b.name: b.path.read_bytes() for b in store.list_backups(ws)}
    before = ws.read_bytes()
    child = _child("backup", str(ws), pause=step, **{store.KEEP_ENV: str(store.MIN_BACKUPS)})
    _until(child, "PAUSED")
    _kill(child)
    assert ws.read_bytes() == before
    after = store.list_backups(ws)
    assert len(after) in (store.MIN_BACKUPS, store.MIN_BACKUPS + 1)
    for b in after:  # every listed backup is complete; the old ones are untouched
        store.check_backup(b)
        assert b.name not in kept or b.path.read_bytes() == kept[b.name]
    _check_after_crash(ws, old=store.read_meta(ws), new_tag=None)


RESTORE_STEPS = ["restore:backed_up", "restore:copied", "restore:swapped"]


@pytest.mark.parametrize("step", [pytest.param(s, marks=() if s == "restore:copied" else pytest.mark.slow)
                                  for s in RESTORE_STEPS])
def test_kill_9_at_each_step_of_a_restore(ws: Path, step: str):
    original = _names(ws, "roads")
    plan = _roads_plan(ws, "N")
    pipeline.apply_import(ws, plan, user=ADMIN)
    child = _child("restore", str(ws), pause=step)
    _until(child, "PAUSED")
    _kill(child)
    store.startup(ws)
    assert not _writer_temps(ws)
    store.check_workspace_file(ws)
    assert _names(ws, "roads") in ({"N"}, original), "the imported state or the restored one, nothing between"
    assert _names(ws, "roads") == (original if step == "restore:swapped" else {"N"})
    for b in store.list_backups(ws):
        store.check_backup(b)


HOT_WRITER = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("PRAGMA cache_size = 1")  # spill changed pages into the file before the commit
con.execute("BEGIN IMMEDIATE")
con.execute("DELETE FROM households")
con.execute("UPDATE bangfu_meta SET value = '99' WHERE key = 'version'")
print("PAUSED", flush=True)
sys.stdin.readline()
"""


def test_a_hot_journal_left_by_a_killed_writer_is_rolled_back_at_start(tmp_path: Path):
    from factories import Pairing

    ws = Pairing.workspace(tmp_path / "ws")  # enough households to spill pages
    before = store.read_layer(ws, "households")
    child = subprocess.Popen([sys.executable, "-c", HOT_WRITER, str(ws)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _until(child, "PAUSED")
    _kill(child)
    journal = ws.with_name(ws.name + "-journal")
    assert _hot(journal), "the killed writer had changed the file itself"
    store.open_workspace(ws)  # the start of the app or the CLI
    assert not journal.exists()
    assert store.read_meta(ws)["version"] == "1" and len(store.read_layer(ws, "households")) == len(before) > 0
    with sqlite3.connect(ws) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_kill_9_inside_an_edit_transaction_leaves_the_old_state(ws: Path):
    before = store.read_meta(ws)["version"]
    child = _child("edit", str(ws), "roads", "cost_wan", "1", "9999", pause="transaction:before_commit")
    _until(child, "PAUSED")
    _kill(child)
    store.startup(ws)
    assert 9999.0 not in _values(ws, "roads", "cost_wan").values()
    assert store.read_meta(ws)["version"] == before and not [r for r in _audit(ws) if r[0] == "edit"]


def _roads_plan(ws: Path, tag: str) -> pipeline.ImportPlan:
    current = store.read_layer(ws, "roads")
    current["name"] = current["name"].astype(str) + f"#{tag}"
    plan = pipeline.prepare_import(ws, "roads.geojson", current.drop(columns=["version"]).to_json().encode(),
                                   layer="roads", mode="replace")
    assert plan.ok, plan.summary_zh()
    return plan


# ----------------------------------------------------------------------------- backups, restores, rights


def test_backups_rotate_and_each_names_time_user_and_cause(ws: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(store.KEEP_ENV, "2")  # fewer than five is not allowed
    for i in range(7):
        pipeline.apply_import(ws, _roads_plan(ws, f"T{i}"), user=ADMIN)
    found = store.list_backups(ws)
    assert len(found) == store.MIN_BACKUPS == store.backups_to_keep()
    assert [b.version for b in found] == [7, 6, 5, 4, 3], "the newest five, newest first"
    b = found[0]
    assert (b.user, b.username, b.reason, b.target) == ("张三", "admin", "import", "roads")
    assert b.at.endswith("+08:00") and b.label("zh").endswith("导入 农村道路前 · 数据版本 v7")
    assert _names(b.path, "roads") == {"T5"}, "each backup holds the data before its import"
    assert not _writer_temps(ws)


def test_restore_backs_up_first_and_never_reuses_a_version(ws: Path):
    pipeline.apply_import(ws, _roads_plan(ws, "A"), user=ADMIN)  # v2
    oldest = store.list_backups(ws)[0]
    warning = store.restore_warning(ws, backup=oldest)
    assert "当前数据（版本 v2，" in warning and "张三导入 农村道路" in warning and "会先保存为备份" in warning
    store.restore_backup(ws, user=ADMIN, backup=oldest.name, expected_version=2)
    assert _names(ws, "roads") == {""} and store.read_meta(ws)["version"] == "3"
    assert _names(store.list_backups(ws)[0].path, "roads") == {"A"}, "the replaced data is the newest backup"
    with store.transaction(ws, user=COUNTY) as con:
        con.execute("UPDATE roads SET cost_wan = 5")
    assert store.read_meta(ws)["version"] == "4"
    # a confirmation given for an older version is refused
    with pytest.raises(store.WriteConflict, match="重新确认"):
        store.restore_backup(ws, user=ADMIN, expected_version=3)


@pytest.mark.parametrize("who", [COUNTY, VIEWER, None])
def test_only_an_administrator_imports_or_restores(ws: Path, who: Principal | None):
    pipeline.apply_import(ws, _roads_plan(ws, "A"), user=ADMIN)
    before, backups = ws.read_bytes(), [b.name for b in store.list_backups(ws)]
    plan = _roads_plan(ws, "B")
    for write in (lambda: pipeline.apply_import(ws, plan, user=who),
                  lambda: store.restore_backup(ws, user=who),
                  lambda: store.restore_demo(ws.parent, user=who, demo=ws),
                  lambda: store.make_backup(ws, user=who)):
        with pytest.raises(access.AccessDenied):
            write()
    assert ws.read_bytes() == before and [b.name for b in store.list_backups(ws)] == backups


def test_restore_demo_twice_keeps_the_county_data_and_a_corrupt_file_never_becomes_a_backup(ws: Path, tmp_path: Path):
    demo = import_workspace(tmp_path / "demo")  # four villages, no roads
    county = _names(ws, "roads"), len(store.read_layer(ws, "villages"))
    store.restore_demo(ws.parent, user=ADMIN, demo=demo)
    store.restore_demo(ws.parent, user=ADMIN, demo=demo)
    first, second = store.list_backups(ws)[::-1]
    assert (_names(first.path, "roads"), len(store.read_layer(first.path, "villages"))) == county
    assert len(store.read_layer(second.path, "villages")) == 4, "the second click backed up the demo, not over it"
    good = {b.name: b.path.read_bytes() for b in store.list_backups(ws)}

    ws.write_bytes(b"SQLite format 3\x00" + b"\x00" * 200)  # a corrupt workspace
    assert "另存" in store.restore_warning(ws)
    store.restore_demo(ws.parent, user=ADMIN, demo=demo)
    assert {b.name: b.path.read_bytes() for b in store.list_backups(ws)} == good, "no backup replaced"
    (aside,) = ws.parent.glob("workspace.corrupt-*.gpkg")
    assert aside.read_bytes().startswith(b"SQLite format 3\x00") and len(aside.read_bytes()) == 216
    assert int(store.read_meta(ws)["version"]) > max(b.version for b in store.list_backups(ws))


def test_stale_temporary_files_are_cleaned_at_start_only_when_safe(ws: Path, monkeypatch: pytest.MonkeyPatch):
    folder = ws.parent
    writer = folder / f"{locking.WRITER_PREFIX}{ws.name}.abc.gpkg"
    legacy_old, legacy_new = folder / ".write-old.gpkg", folder / ".write-new.gpkg"
    foreign_old = folder / f"{fileio.TEMP_PREFIX}export.xlsx"
    for f in (writer, legacy_old, legacy_new, foreign_old):
        f.write_bytes(b"partial")
    for f in (legacy_old, foreign_old):
        os.utime(f, (1_000_000_000, 1_000_000_000))  # written long ago by a process that is gone
    removed = set(store.startup(ws))
    assert removed == {writer, legacy_old, foreign_old}
    assert legacy_new.exists(), "a recent foreign temporary file may belong to a live export"
    monkeypatch.setenv(locking.STALE_ENV, "0")
    store.ensure_workspace(folder)
    assert not legacy_new.exists()
    assert locking.lock_path(ws).exists(), "the lock file itself is never removed"


def test_legacy_single_backup_is_adopted_into_the_list(ws: Path):
    legacy = ws.with_name("workspace.bak.gpkg")
    legacy.write_bytes(ws.read_bytes())
    store.startup(ws)
    assert not legacy.exists()
    (b,) = store.list_backups(ws)
    assert b.version == 1 and _names(b.path, "roads") == {""}


def test_edits_and_imports_from_threads_of_one_process_are_serialised(ws: Path):
    """Streamlit serves sessions from threads of one process: the lock excludes them too."""
    import threading

    plan = _roads_plan(ws, "T")
    errors: list[BaseException] = []

    def edits() -> None:
        try:
            for i in range(10):
                with store.transaction(ws, user=COUNTY) as con:
                    con.execute("UPDATE pairings SET committed_wan = ? WHERE pairing_id = 'P1'", (float(i),))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    t = threading.Thread(target=edits)
    t.start()
    pipeline.apply_import(ws, plan, user=ADMIN)
    t.join()
    assert not errors
    assert _values(ws, "pairings", "committed_wan")["P1"] == 9.0 and _names(ws, "roads") == {"T"}
    assert len(_assert_versions_unique_and_increasing(ws)) == 11
    with sqlite3.connect(ws) as con:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)


# ----------------------------------------------------------------------------- imports write their layer only


def _tables(path: Path, *, skip: set[str] = frozenset()) -> dict[str, list]:
    """Every table's rows as stored (layers, their R-tree indexes, the GeoPackage registry), minus ``skip``
    (a table whose name starts with a skipped layer, e.g. ``rtree_roads_geom``, is skipped too)."""
    out = {}
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as con:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for name in names:
            if name in skip or any(name.startswith(f"rtree_{s}_") for s in skip) or name.startswith("sqlite_"):
                continue
            if name.startswith("rtree_") and name.rsplit("_", 1)[-1] in ("node", "parent", "rowid"):
                continue  # the R-tree's own pages: covered by its virtual table's rows
            rows = con.execute(f'SELECT * FROM "{name}"').fetchall()
            out[name] = sorted(rows, key=repr)
    return out


def test_an_import_writes_only_its_layer_and_backs_up_only_that_layer(ws: Path):
    registry = {"gpkg_contents", "gpkg_ogr_contents", "gpkg_geometry_columns", "gpkg_extensions", store.META_TABLE}
    others = _tables(ws, skip={"roads", *registry})
    roads_before = _tables(ws)["roads"]
    version = int(store.read_meta(ws)["version"])
    pipeline.apply_import(ws, _roads_plan(ws, "A"), user=ADMIN)
    assert _tables(ws, skip={"roads", *registry}) == others, "every other layer is byte-for-byte the same"
    assert _names(ws, "roads") == {"A"} and int(store.read_meta(ws)["version"]) == version + 1
    (backup,) = store.list_backups(ws)
    assert backup.layers == ("roads",) and [n for n in store.list_layers(backup.path) if n in store.LAYERS] == ["roads"]
    assert _tables(backup.path)["roads"] == roads_before, "the layer backup holds the roads as they were"
    assert backup.path.stat().st_size < ws.stat().st_size
    # an edit of another layer after the import is kept by the restore of the roads
    with store.transaction(ws, user=ADMIN) as con:
        con.execute("UPDATE villages SET population = population + 7")
    edited = _tables(ws, skip={"roads", *registry})
    store.restore_backup(ws, user=ADMIN, backup=backup.name)
    assert _tables(ws)["roads"] == roads_before and _names(ws, "roads") == {""}
    assert _tables(ws, skip={"roads", *registry}) == edited, "the restore of a layer backup changes that layer only"
    assert int(store.read_meta(ws)["version"]) == version + 3
    newest = store.list_backups(ws)[0]  # the restore backed the imported roads up first: it can be undone
    assert newest.layers == ("roads",) and newest.reason == "restore_backup"
    store.restore_backup(ws, user=ADMIN, backup=newest.name)
    assert _names(ws, "roads") == {"A"}
    store.check_workspace_file(ws)
    assert [a for a, _, _ in _audit(ws)].count("restore_backup") == 2


def test_a_restore_of_a_layer_backup_is_refused_after_a_change_since_the_confirmation(ws: Path):
    pipeline.apply_import(ws, _roads_plan(ws, "A"), user=ADMIN)
    (backup,) = store.list_backups(ws)
    shown = int(store.read_meta(ws)["version"])
    with store.transaction(ws, user=ADMIN) as con:
        con.execute("UPDATE villages SET population = population + 1")
    before = ws.read_bytes()
    with pytest.raises(store.WriteConflict, match="又被修改过"):
        store.restore_backup(ws, user=ADMIN, backup=backup.name, expected_version=shown)
    assert ws.read_bytes() == before
