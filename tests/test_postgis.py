"""The PostGIS store against the GeoPackage store: same reads, same numbers, tables QGIS can use, refusals of
foreign or other-format schemas, writes that leave nothing half-done when the connection is killed, two app
servers editing one database, backups, and the copy command's round trip.

The demo is copied into a PostGIS schema once per session for the read-only tests (``workspace_any``); every
writing test gets a fresh schema (``pg_url``)."""

from __future__ import annotations

import datetime as dt
import multiprocessing as mp
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import psycopg
import pytest

from backends import state
from bangfu.core.resources import DEMO_PATH
from bangfu.editing import engine as edits
from bangfu.workspace import audit, locking, pgconnect, postgis, store, transfer
from bangfu.workspace.access import Principal
from factories import as_user

ROOT = Path(__file__).resolve().parents[1]
ADMIN = Principal("admin", "admin", display_name="张三")


def _admin_sql(url: str, query: str, params: tuple = ()) -> list[tuple]:
    with pgconnect.connect(url, autocommit=True) as con:
        cur = con.execute(query, params)  # type: ignore[arg-type]
        return cur.fetchall() if cur.description else []


@pytest.fixture(scope="session")
def demo_small() -> tuple[dict[str, pd.DataFrame], dict[str, str]]:
    """The demo's layers and notes with its first 2,000 households only (read once): what a writing test needs,
    at a fiftieth of the copying."""
    layers = {n: store.read_layer(DEMO_PATH, n) for n in store.list_layers(DEMO_PATH)}
    layers["households"] = layers["households"].iloc[:2000]
    meta = {k: v for k, v in store.read_meta(DEMO_PATH).items() if not k.startswith(transfer.SKIPPED_META)}
    return layers, meta


@pytest.fixture
def pg_demo(pg_url: str, demo_small: tuple[dict[str, pd.DataFrame], dict[str, str]]) -> str:
    """A fresh PostGIS schema holding the demo (2,000 households), for a test that writes."""
    store.write_workspace(pg_url, demo_small[0], meta=demo_small[1])
    return pg_url


# --------------------------------------------------------------------------- same reads, same numbers


@pytest.mark.parametrize("name", store.LAYERS)
def test_every_layer_reads_the_same_from_both_stores(demo_pg: str, name: str):
    a, b = store.read_layer(DEMO_PATH, name), store.read_layer(demo_pg, name)
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    plain = [c for c in a.columns if c != "geometry"]
    pd.testing.assert_frame_equal(pd.DataFrame(a[plain]), pd.DataFrame(b[plain]), check_dtype=True)
    if "geometry" in a.columns:
        assert a.geometry.geom_equals_exact(b.geometry, tolerance=1e-9).all()
        assert b.crs.to_epsg() == 4326


def test_area_reads_use_bbox_and_code_prefix_and_match_the_file(workspace_any: Path | str):
    villages = store.read_layer(DEMO_PATH, "villages")
    town = villages.village_code.str[:9].value_counts().index[0]
    bounds = tuple(villages[villages.village_code.str.startswith(town)].total_bounds)
    got = store.read_candidates(workspace_any, "households", bbox=bounds, code_prefix=town)
    full = store.read_layer(DEMO_PATH, "households")
    # the oracle: a brute-force filter of the whole layer (envelope meets the box, or the code has the prefix)
    x, y = full.geometry.x, full.geometry.y
    inside = (x >= bounds[0]) & (x <= bounds[2]) & (y >= bounds[1]) & (y <= bounds[3])
    expected = full[inside | full.village_code.str.startswith(town)]
    assert 0 < len(got) < len(full)
    assert sorted(got.household_id) == sorted(expected.household_id)
    only_bbox = store.read_layer(workspace_any, "households", bbox=bounds)
    assert sorted(only_bbox.household_id) == sorted(full[inside].household_id)


def test_no_raw_sql_condition_and_no_injection_through_an_area_code(demo_pg: str):
    with pytest.raises(ValueError):
        store.read_layer(demo_pg, "households", where="1=1")
    with pytest.raises(ValueError):
        store.read_candidates(demo_pg, "households", bbox=None, code_prefix="44' OR '1'='1")


def test_indicators_and_portfolio_are_the_same_on_both_stores(demo_pg: str):
    from bangfu import indicators as ind
    from bangfu.indicators import tourism
    from bangfu.indicators.summary import area_summary
    from bangfu.planning import run as planning_run
    from bangfu.workspace import access, areas, personal

    def figures(ws: Path | str) -> tuple:
        load = personal.loader(ws, access.cli_principal())
        town = load("villages").village_code.str[:9].iloc[0]
        out = []
        for code in (None, town):
            area = areas.area_for(load("villages"), code)
            s = area_summary(areas.AreaLayers(load, area), as_of=dt.date(2020, 12, 31))
            out.append((s.villages, s.households, s.poor_households, round(s.road_km, 6), round(s.hardening_pct, 6),
                        round(s.access_pct, 6), s.needy_villages, s.needy_paired))
        overview = ind.overview_villages(load("villages"), roads=load("roads"), pairings=load("pairings"),
                                         as_of="2020-12-31")
        out.append(pd.DataFrame(overview.drop(columns="geometry")).to_csv(index=False))
        out.append(tourism.site_reach(load("tourism_sites"), load("households"), distance_m=3000).to_csv(index=False))
        layers = {n: load(n) for n in ("villages", "households", "roads", "projects", "seats")}
        result = planning_run.run(layers, planning_run.PlanOptions(budget=3000.0, time_limit=10.0))
        out.append(planning_run.summary(result).to_csv(index=False))
        out.append(result.ranking.to_csv(index=False))
        return tuple(out)

    assert figures(DEMO_PATH) == figures(demo_pg)


# --------------------------------------------------------------------------- tables for QGIS


def test_tables_have_typed_geometry_gist_keys_versions_and_chinese_comments(demo_pg: str):
    schema = pgconnect.parse(demo_pg).schema
    geoms = dict((r[0], (r[1], r[2])) for r in _admin_sql(
        demo_pg, "SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = %s", (schema,)))
    assert geoms == {"villages": ("MULTIPOLYGON", 4326), "households": ("POINT", 4326), "roads": ("LINESTRING", 4326),
                     "tourism_sites": ("POINT", 4326), "enterprises": ("POINT", 4326), "projects": ("GEOMETRY", 4326)}
    gist = {r[0] for r in _admin_sql(demo_pg, "SELECT tablename FROM pg_indexes WHERE schemaname = %s "
                                     "AND indexdef LIKE '%%USING gist%%'", (schema,))}
    assert gist == set(geoms)
    pks = {r[0] for r in _admin_sql(demo_pg, "SELECT table_name FROM information_schema.table_constraints "
                                    "WHERE table_schema = %s AND constraint_type = 'PRIMARY KEY'", (schema,))}
    assert set(store.list_layers(demo_pg)) | {"bangfu_meta", "bangfu_audit"} <= pks
    types = dict(_admin_sql(demo_pg, "SELECT column_name, data_type FROM information_schema.columns "
                            "WHERE table_schema = %s AND table_name = 'roads'", (schema,)))
    assert types["version"] == "bigint" and types["cost_wan"] == "double precision" and types["status"] == "text"
    (comment,), = _admin_sql(demo_pg, "SELECT obj_description(%s::regclass)", (f'"{schema}".villages',))
    assert comment.startswith("行政村")
    (col_comment,), = _admin_sql(demo_pg, "SELECT col_description(%s::regclass, 4)", (f'"{schema}".roads',))
    assert col_comment == store.get_layer("roads").columns[1].zh  # 1 fid, 2 geom, 3 road_id, 4 name
    assert store.read_meta(demo_pg)["schema_format"] == str(postgis.FORMAT_VERSION)


# --------------------------------------------------------------------------- refusals


def test_schema_of_another_program_is_refused_and_never_overwritten(pg_url: str):
    schema = pgconnect.parse(pg_url).schema
    _admin_sql(pg_url, f'CREATE SCHEMA "{schema}"')
    _admin_sql(pg_url, f'CREATE TABLE "{schema}".villages (id int)')
    _admin_sql(pg_url, f'INSERT INTO "{schema}".villages VALUES (7)')
    with pytest.raises(store.WorkspaceError, match="不是帮扶地图写入的"):
        store.open_workspace(pg_url)
    with pytest.raises(store.WorkspaceError, match="不是帮扶地图写入的"):
        store.write_workspace(pg_url, {"villages": store.read_layer(DEMO_PATH, "villages")})
    with pytest.raises(store.WorkspaceError, match="目标已有数据"):
        transfer.copy_workspace(DEMO_PATH, pg_url)
    assert _admin_sql(pg_url, f'SELECT id FROM "{schema}".villages') == [(7,)]


def test_other_format_versions_are_refused_and_older_migrated_only_explicitly(pg_demo: str):
    schema = pgconnect.parse(pg_demo).schema
    meta = f'"{schema}".bangfu_meta'
    _admin_sql(pg_demo, f"UPDATE {meta} SET value = %s WHERE key = 'schema_format'", (str(postgis.FORMAT_VERSION + 1),))
    with pytest.raises(store.WorkspaceError, match="更新版本"):
        store.check_workspace_file(pg_demo)
    with pytest.raises(store.WorkspaceError):
        postgis.migrate(pg_demo)
    _admin_sql(pg_demo, f"UPDATE {meta} SET value = '0' WHERE key = 'schema_format'")
    before = state(pg_demo)
    with pytest.raises(store.WorkspaceError, match="需要先迁移"):
        store.open_workspace(pg_demo)
    with pytest.raises(store.WorkspaceError, match="需要先迁移"):
        edits.update_row(pg_demo, "roads", "R0001", {"progress_pct": 1}, expected_version=1, user=as_user("甲"))
    assert state(pg_demo) == before  # refused: nothing rewritten
    done = subprocess.run([sys.executable, "-m", "bangfu", "migrate", "--workspace", pg_demo], capture_output=True,
                          text=True, cwd=ROOT, env={**_env(), "PYTHONPATH": str(ROOT / "src")})
    assert done.returncode == 0, done.stderr
    store.open_workspace(pg_demo)


def _env() -> dict[str, str]:
    import os

    return dict(os.environ)


# --------------------------------------------------------------------------- imports, audit, backups


def test_import_bumps_version_marks_layers_audits_in_the_schema_and_backs_up(pg_demo: str):
    roads = store.read_layer(pg_demo, "roads")
    base = store.meta_version(store.read_meta(pg_demo))
    changed = roads.assign(name=roads["name"] + "（改）")
    version = store.replace_layers(pg_demo, {"roads": changed}, user=ADMIN, base_version=base)
    meta = store.read_meta(pg_demo)
    assert version == base + 1 and meta["version"] == str(version) and meta["layer_version:roads"] == str(version)
    assert "layer_version:villages" not in meta
    assert (store.read_layer(pg_demo, "roads")["name"] == changed["name"]).all()
    log = audit.entries(pg_demo, user=ADMIN)
    assert list(log["action"]) == ["import"] and log["workspace"].iloc[0] == pgconnect.parse(pg_demo).display()
    assert "password" not in log["workspace"].iloc[0]
    (backup,) = store.list_backups(pg_demo)
    assert backup.layers == ("roads",) and backup.version == base
    pd.testing.assert_frame_equal(pd.DataFrame(store.read_layer(backup.path, "roads").drop(columns="geometry")),
                                  pd.DataFrame(roads.drop(columns="geometry")))
    # an import prepared before that write is refused, nothing written
    with pytest.raises(store.WriteConflict):
        store.replace_layers(pg_demo, {"roads": roads}, user=ADMIN, base_version=base)
    store.restore_backup(pg_demo, user=ADMIN)
    assert (store.read_layer(pg_demo, "roads")["name"] == roads["name"]).all()
    assert store.meta_version(store.read_meta(pg_demo)) == version + 1
    assert list(audit.entries(pg_demo, user=ADMIN)["action"]) == ["restore_backup", "import"]


def test_edit_audit_row_is_in_the_workspace_schema(pg_demo: str):
    audit.record(store.office_folder(pg_demo), ADMIN, "login", "admin")  # an account event: the office database
    edits.update_row(pg_demo, "roads", "R0001", {"progress_pct": 12.5}, expected_version=1, user=as_user("甲"))
    log = audit.entries(pg_demo, user=ADMIN)
    assert list(log["action"]) == ["edit", "login"] and log["target"].iloc[0] == "R0001"
    assert audit.actors(pg_demo, user=ADMIN) == sorted({"admin", as_user("甲").username})
    assert not (store.office_folder(pg_demo) / "postgresql:").exists()
    schema = pgconnect.parse(pg_demo).schema
    with pytest.raises(psycopg.Error, match="append-only"):
        _admin_sql(pg_demo, f'DELETE FROM "{schema}".bangfu_audit')


def test_write_by_another_program_changes_the_layer_token(pg_demo: str):
    before = store.content_tokens(pg_demo)
    version = store.workspace_version(pg_demo)
    schema = pgconnect.parse(pg_demo).schema
    _admin_sql(pg_demo, f'UPDATE "{schema}".roads SET cost_wan = cost_wan + 1 WHERE road_id = %s', ("R0001",))
    after = store.content_tokens(pg_demo)
    assert after["roads"] != before["roads"] and after["villages"] == before["villages"]
    assert store.workspace_version(pg_demo) != version


# --------------------------------------------------------------------------- connection killed mid-write


def _kill_at(monkeypatch: pytest.MonkeyPatch, url: str, step: str) -> list[str]:
    """At ``step``, terminate the writer's connection from another connection (as a crash or a network cut would)."""
    hit: list[str] = []
    real = locking.checkpoint

    def checkpoint(name: str) -> None:
        if name == step:
            pids = _admin_sql(url, "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                              "AND state = 'idle in transaction' AND pid <> pg_backend_pid()")
            assert len(pids) == 1
            _admin_sql(url, "SELECT pg_terminate_backend(%s)", (pids[0][0],))
            hit.append(name)
        real(name)

    monkeypatch.setattr(locking, "checkpoint", checkpoint)
    return hit


@pytest.mark.parametrize("step", ["transaction:before_commit"])
def test_connection_killed_in_an_edit_leaves_nothing_half_written(pg_demo: str, monkeypatch: pytest.MonkeyPatch,
                                                                   step: str):
    before = state(pg_demo)
    hit = _kill_at(monkeypatch, pg_demo, step)
    with pytest.raises(store.WorkspaceError) as info:
        edits.update_row(pg_demo, "roads", "R0001", {"progress_pct": 33}, expected_version=1, user=as_user("甲"))
    assert hit == [step]
    assert "没有写入任何数据" in info.value.message_zh and "数据库" in info.value.message_zh
    assert state(pg_demo) == before
    monkeypatch.undo()
    assert edits.update_row(pg_demo, "roads", "R0001", {"progress_pct": 33}, expected_version=1, user=as_user("甲")) == 2


@pytest.mark.parametrize("step", ["import:written", "import:before_commit"])
def test_connection_killed_in_an_import_leaves_nothing_half_written(pg_demo: str, monkeypatch: pytest.MonkeyPatch,
                                                                    step: str):
    roads = store.read_layer(pg_demo, "roads")
    before = state(pg_demo)
    hit = _kill_at(monkeypatch, pg_demo, step)
    with pytest.raises(store.WorkspaceError, match="没有写入任何数据"):
        store.replace_layers(pg_demo, {"roads": roads.iloc[:10]}, user=ADMIN)
    assert hit == [step]
    assert state(pg_demo) == before
    assert store.meta_version(store.read_meta(pg_demo)) == 1
    assert audit.entries(pg_demo, user=ADMIN).empty


# --------------------------------------------------------------------------- two app servers


SHARED = ("R0001", "R0002", "R0003")


def _editor(url: str, name: str, n: int, q) -> None:  # child process: one app server
    ok, conflicts, errors = [], [], []
    for i in range(n):
        rid = SHARED[i % len(SHARED)]
        ver = int(store.read_layer(url, "roads").set_index("road_id").loc[rid, "version"])
        value = float(i) + (0.25 if name == "A" else 0.75)
        try:
            new = edits.update_row(url, "roads", rid, {"cost_wan": value}, expected_version=ver, user=as_user(name))
            ok.append((rid, new, value))
        except edits.ConflictError as exc:
            conflicts.append((rid, ver, int(exc.current["version"])))
        except Exception as exc:  # noqa: BLE001 - reported to the test, which fails on it
            errors.append(repr(exc))
    q.put((name, ok, conflicts, errors))


@pytest.mark.parametrize("n", [50, pytest.param(500, marks=pytest.mark.slow)])
def test_two_app_servers_lose_no_acknowledged_edit(pg_demo: str, n: int):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    procs = [ctx.Process(target=_editor, args=(pg_demo, name, n, q)) for name in ("A", "B")]
    for p in procs:
        p.start()
    results = [q.get(timeout=900) for _ in procs]
    for p in procs:
        p.join(60)
    assert [r[3] for r in results] == [[], []]
    ok = [s for r in results for s in r[1]]
    conflicts = [c for r in results for c in r[2]]
    assert all(len(r[1]) + len(r[2]) == n for r in results)
    assert all(current > expected for _, expected, current in conflicts)  # every conflict was real
    h = edits.history(pg_demo, "roads").sort_values("change_id")
    assert len(h) == len(ok)
    final = store.read_layer(pg_demo, "roads").set_index("road_id")
    for rid in SHARED:
        mine = sorted((v, val) for r, v, val in ok if r == rid)
        assert [v for v, _ in mine] == list(range(2, int(final.loc[rid, "version"]) + 1))
        assert final.loc[rid, "cost_wan"] == mine[-1][1]
        chain = h[h.road_id == rid]
        assert (chain["new"].to_numpy() == np.array([repr(val) for _, val in mine])).all()
    assert store.meta_version(store.read_meta(pg_demo)) == 1 + len(ok)


# --------------------------------------------------------------------------- copy round trip


def test_copy_round_trip_gpkg_postgis_gpkg_is_identical(tmp_path: Path, pg_url: str):
    src = store.ensure_workspace(tmp_path / "src", demo=DEMO_PATH)
    edits.update_row(src, "roads", "R0001", {"progress_pct": 42.5}, expected_version=1, user=as_user("甲"))
    edits.update_row(src, "pairings", "P001", {"end_date": "2021-06-30"}, expected_version=1, user=as_user("甲"))
    env = {**_env(), "PYTHONPATH": str(ROOT / "src")}
    first = subprocess.run([sys.executable, "-m", "bangfu", "copy", str(src), pg_url], capture_output=True, text=True,
                           cwd=ROOT, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("行\n") >= len(store.list_layers(src))  # a progress line per layer
    back = tmp_path / "back.gpkg"
    second = subprocess.run([sys.executable, "-m", "bangfu", "copy", pg_url, str(back)], capture_output=True,
                            text=True, cwd=ROOT, env=env)
    assert second.returncode == 0, second.stderr
    again = subprocess.run([sys.executable, "-m", "bangfu", "copy", str(src), pg_url], capture_output=True, text=True,
                           cwd=ROOT, env=env)
    assert again.returncode == 2 and "目标已有数据" in again.stderr and "Traceback" not in again.stderr
    assert store.list_layers(back) == store.list_layers(src)
    for name in store.list_layers(src):
        a, b = store.read_layer(src, name), store.read_layer(back, name)
        plain = [c for c in a.columns if c != "geometry"]
        pd.testing.assert_frame_equal(pd.DataFrame(a[plain]), pd.DataFrame(b[plain]))
        if "geometry" in a.columns:
            assert a.geometry.geom_equals_exact(b.geometry, tolerance=1e-7).all()  # ~1 cm
    ma, mb = store.read_meta(src), store.read_meta(back)
    for key in ("version", "layer_version:roads", "layer_version:pairings", "county_code", "as_of"):
        assert ma[key] == mb[key], key
    assert len(edits.history(back, "roads")) == 1 and len(edits.history(back, "pairings")) == 1


def test_row_counts_and_direct_row_reads_are_the_same_on_both_stores(workspace_any: Path | str):
    from bangfu.workspace import status

    assert status.layer_counts(workspace_any) == status.layer_counts(DEMO_PATH)
    cols = ("road_id", "status", "cost_wan", "version")
    assert store.read_rows(workspace_any, "roads", cols, key="R0002") == store.read_rows(DEMO_PATH, "roads", cols,
                                                                                         key="R0002")
    assert store.read_rows(workspace_any, "pairings", ("pairing_id", "start_date")) == \
        store.read_rows(DEMO_PATH, "pairings", ("pairing_id", "start_date"))


def test_backup_now_demo_restore_and_a_replacing_copy_keep_the_audit_trail(pg_demo: str):
    edits.update_row(pg_demo, "roads", "R0001", {"progress_pct": 12.5}, expected_version=1, user=as_user("甲"))
    made = store.make_backup(pg_demo, user=ADMIN)
    assert set(made.layers) == set(store.list_layers(pg_demo)) and made.version == 2
    store.restore_demo(pg_demo, user=ADMIN, demo=DEMO_PATH, expected_version=2)
    assert store.read_rows(pg_demo, "roads", ("progress_pct", "version"), key="R0001") == \
        store.read_rows(DEMO_PATH, "roads", ("progress_pct", "version"), key="R0001")
    assert store.count_rows(pg_demo, ("households",)) == store.count_rows(DEMO_PATH, ("households",))
    assert store.meta_version(store.read_meta(pg_demo)) == 3
    assert [b.reason for b in store.list_backups(pg_demo)] == ["restore_demo", "backup"]
    store.restore_backup(pg_demo, user=ADMIN, backup=made.name)
    assert store.read_rows(pg_demo, "roads", ("progress_pct",), key="R0001") == [(12.5,)]
    transfer.copy_workspace(DEMO_PATH, pg_demo, replace=True)
    assert list(audit.entries(pg_demo, user=ADMIN)["action"]) == ["restore_backup", "restore_demo", "edit"]


def test_an_import_in_progress_holds_off_edits_and_an_edit_holds_off_imports(pg_demo: str,
                                                                              monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(locking.WAIT_ENV, "0.3")
    schema = pgconnect.parse(pg_demo).schema
    before = state(pg_demo)
    with pgconnect.connect(pg_demo) as other:  # another app server in the middle of an import
        other.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"bangfu:{schema}",))
        with pytest.raises(locking.WorkspaceBusy) as info:
            edits.update_row(pg_demo, "roads", "R0001", {"progress_pct": 5}, expected_version=1, user=as_user("甲"))
        assert "请稍候" in info.value.message_zh
        other.rollback()
        other.execute("SELECT pg_advisory_xact_lock_shared(hashtext(%s))", (f"bangfu:{schema}",))  # an edit
        with pytest.raises(locking.WorkspaceBusy):
            store.replace_layers(pg_demo, {"roads": store.read_layer(pg_demo, "roads")}, user=ADMIN)
        other.rollback()
    assert state(pg_demo) == before
    assert edits.update_row(pg_demo, "roads", "R0001", {"progress_pct": 5}, expected_version=1, user=as_user("甲")) == 2


def test_a_row_locked_by_another_session_is_a_busy_message_not_a_fault(pg_demo: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(locking.WAIT_ENV, "0.3")
    schema = pgconnect.parse(pg_demo).schema
    with pgconnect.connect(pg_demo) as qgis:  # e.g. QGIS editing the row, its transaction still open
        qgis.execute(f'UPDATE "{schema}".roads SET name = name WHERE road_id = %s', ("R0001",))
        with pytest.raises(locking.WorkspaceBusy):
            edits.update_row(pg_demo, "roads", "R0001", {"progress_pct": 5}, expected_version=1, user=as_user("甲"))
        qgis.rollback()
    assert store.read_rows(pg_demo, "roads", ("version",), key="R0001") == [(1,)]


def test_the_data_page_works_on_a_database_workspace(pg_demo: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from streamlit.testing.v1 import AppTest

    office = tmp_path / "office"
    monkeypatch.setenv("BANGFU_WORKSPACE", pg_demo)
    monkeypatch.setenv("BANGFU_OFFICE", str(office))
    at = AppTest.from_file(str(ROOT / "pages" / "data.py"), default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    shown = " ".join(str(c.value) for c in at.caption)
    assert pgconnect.parse(pg_demo).display() in shown.replace("\\", "").replace("\u2060", "").replace("&amp;", "&")
    assert not list(ROOT.glob("postgres*")) and not list(Path.cwd().glob("postgres*"))  # no Path() of the URL


def test_stored_aggregates_of_a_database_workspace_equal_the_file_s(demo_pg: str, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch):
    """`python -m bangfu derive` on a URL: the aggregate tables are kept in the data folder (never a path made of the
    URL), equal the GeoPackage's, and are reused on the second run."""
    import pandas as pd

    from bangfu.workspace import derived, store

    monkeypatch.setenv("BANGFU_WORKSPACE", str(tmp_path / "office"))
    (tmp_path / "office").mkdir()
    gpkg = tmp_path / "demo.gpkg"
    gpkg.write_bytes(DEMO_PATH.read_bytes())
    names = ["village_households", "village_roads"]
    first = derived.derive(demo_pg, names)
    assert sorted(first.computed) == sorted(names) and not first.failed
    side = derived.sidecar_path(demo_pg)
    assert side.exists() and side.parent == store.office_folder(demo_pg) and "://" not in str(side)
    assert sorted(derived.derive(demo_pg, names).reused) == sorted(names)
    derived.derive(gpkg, names)
    for name in names:
        on_db, on_file = derived.table(demo_pg, name), derived.table(gpkg, name)
        assert on_db.keys() == on_file.keys()
        for part in on_file:
            pd.testing.assert_frame_equal(on_db[part], on_file[part], check_dtype=False)
