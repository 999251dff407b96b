"""Roles in the data layer: every guarded function called as each role (admin, county planner, a town planner of
one town, viewer, not signed in) is allowed or refused with AccessDenied, and a refusal writes nothing; viewers get
aggregates without household ids and without small cells; a town planner's edits stay in their town."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyogrio
import pytest

from bangfu.editing import engine as edits, pairings as pe, roads as road_edits
from bangfu.export import layers as layer_export
from bangfu.indicators import roads as road_ind
from bangfu.ingest import pipeline as importers
from bangfu.ingest.guard import ImportRefused
from bangfu.planning import run as planning_run
from bangfu.workspace import access, audit, personal, store
from bangfu.workspace.access import SUPPRESSED, AccessDenied
from factories import Pairing, Roles, role_users

USERS = role_users(Roles.OWN)
ROLES = tuple(USERS)  # admin, county_planner, town_planner, viewer, none
EVERYONE = frozenset(ROLES) - {"none"}
HOUSEHOLD_ROLES = frozenset({"admin", "county_planner", "town_planner"})
COUNTY_WIDE = frozenset({"admin", "county_planner"})


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return Roles.workspace(tmp_path / "ws")


def _codes(ws: Path) -> list[str]:
    return store.read_layer(ws, "villages")["village_code"].tolist()


def _bulk(ws: Path, user, ids: tuple[str, ...]):
    sheet = pd.DataFrame({"road_id": list(ids), "cost_wan": [55.0] * len(ids)})
    return road_edits.bulk_apply(ws, road_edits.parse_bulk(sheet), user=user, dry_run=False)


def _add_pairing(ws: Path, user, village: int):
    new = pe.NewPairing("E3", _codes(ws)[village], "就业", "2020-06-01", 5.0)
    return pe.add_pairing(ws, new, user=user)


#: Every guarded function: (name, call(workspace, user), the roles allowed). The town planner's town is 赤水镇
#: (villages 0–2, road RA1, pairings P001–P003); 塘口镇 holds villages 3–5, road RB1 and P004, P005.
GUARDED: list[tuple[str, Callable[[Path, object], object], frozenset[str]]] = [
    ("read_households", lambda ws, u: personal.read_households(ws, u), HOUSEHOLD_ROLES),
    ("read_for_aggregates", lambda ws, u: personal.read_for_aggregates(ws, "households", u), EVERYONE),
    ("export households", lambda ws, u: layer_export.export_workspace(ws, "gpkg", user=u, layers=["households"]),
     HOUSEHOLD_ROLES),
    ("export all layers", lambda ws, u: layer_export.export_workspace(ws, "xlsx", user=u), EVERYONE),
    ("export villages", lambda ws, u: layer_export.export_workspace(ws, "geojson", user=u, layers=["villages"]),
     EVERYONE),
    ("edit road in own town", lambda ws, u: road_edits.edit_road(ws, "RA1", {"cost_wan": 11.0}, expected_version=1,
                                                                 user=u), HOUSEHOLD_ROLES),
    ("edit road in other town", lambda ws, u: road_edits.edit_road(ws, "RB1", {"cost_wan": 21.0},
                                                                   expected_version=1, user=u), COUNTY_WIDE),
    ("undo road", lambda ws, u: road_edits.undo_road(ws, "RA1", user=u), frozenset()),  # nothing to undo: see below
    ("bulk in own town", lambda ws, u: _bulk(ws, u, ("RA1",)), HOUSEHOLD_ROLES),
    ("bulk across towns", lambda ws, u: _bulk(ws, u, ("RA1", "RB1")), COUNTY_WIDE),
    ("add pairing in own town", lambda ws, u: _add_pairing(ws, u, 2), HOUSEHOLD_ROLES),
    ("add pairing in other town", lambda ws, u: _add_pairing(ws, u, 4), COUNTY_WIDE),
    ("edit pairing in own town", lambda ws, u: pe.edit_pairing(ws, "P001", {"committed_wan": 51.0},
                                                               expected_version=1, user=u), HOUSEHOLD_ROLES),
    ("end pairing in other town", lambda ws, u: pe.end_pairing(ws, "P004", "2021-01-31", expected_version=1, user=u),
     COUNTY_WIDE),
    ("audit entries", lambda ws, u: audit.entries(ws.parent, user=u), frozenset({"admin"})),
]


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


def _audit_rows(ws: Path) -> int:
    """Rows of the audit trail (0 before the office database exists)."""
    return len(audit.entries(ws.parent, user=USERS["admin"])) if audit.office_db(ws).exists() else 0


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name, call, allowed", GUARDED, ids=[g[0] for g in GUARDED])
def test_every_guarded_function_as_every_role(ws: Path, name: str, call, allowed: frozenset[str], role: str):
    user = USERS[role]
    before, office = _sha(ws), _audit_rows(ws)
    if name == "undo road":  # an edit to undo first (by an administrator), then the undo as this role
        road_edits.edit_road(ws, "RA1", {"cost_wan": 12.0}, expected_version=1, user=USERS["admin"])
        before, office, allowed = _sha(ws), _audit_rows(ws), HOUSEHOLD_ROLES
    if role in allowed:
        result = call(ws, user)
        if isinstance(result, edits.BulkResult):
            assert result.ok and result.applied, result.problems
        return
    with pytest.raises(AccessDenied) as err:
        call(ws, user)
    assert err.value.message_zh and err.value.hint_zh
    assert _sha(ws) == before, "a refused call wrote to the workspace"
    assert _audit_rows(ws) == office, "a refused call wrote to the audit trail"


def test_table_covers_every_role_and_both_sides():
    for name, _, allowed in GUARDED:
        assert allowed <= EVERYONE, name
    assert any("town_planner" not in a and "county_planner" in a for _, _, a in GUARDED)  # town scope is tested


# --------------------------------------------------------------------------- what each role reads


def test_town_planner_reads_only_the_households_of_their_town(ws: Path):
    villages = store.read_layer(ws, "villages")
    own = set(villages.loc[villages["town_code"] == Roles.OWN, "village_code"])
    rows = personal.read_households(ws, USERS["town_planner"])
    assert len(rows) == 36 and set(rows["village_code"]) == own  # 3 villages × 12
    assert len(personal.read_households(ws, USERS["county_planner"])) == 63
    nobody = access.Principal("x", "town_planner")  # a town planner without towns sees none
    assert personal.read_households(ws, nobody).empty


def test_aggregate_input_has_no_household_ids(ws: Path):
    rows = personal.read_for_aggregates(ws, "households", USERS["viewer"])
    assert "household_id" not in rows.columns and len(rows) == 63


def _household_ids(ws: Path) -> set[str]:
    return set(store.read_layer(ws, "households")["household_id"])


def test_viewer_export_of_everything_leaves_households_out(ws: Path):
    ids = _household_ids(ws)
    for fmt in ("xlsx", "gpkg", "geojson"):
        fname, blob = layer_export.export_workspace(ws, fmt, user=USERS["viewer"])
        assert not any(i.encode() in blob for i in ids), fmt
        if fmt == "gpkg":
            path = ws.parent / f"export-{fname}"
            path.write_bytes(blob)
            assert "households" not in {n for n, _ in pyogrio.list_layers(path)}
        if fmt == "geojson":
            assert not any("households" in n for n in zipfile.ZipFile(io.BytesIO(blob)).namelist())
    assert "households" not in layer_export.exportable_layers(ws, USERS["viewer"])
    assert "households" in layer_export.exportable_layers(ws, USERS["town_planner"])


def test_household_export_is_scoped_and_audited(ws: Path):
    _, blob = layer_export.export_workspace(ws, "xlsx", user=USERS["town_planner"], layers=["households"])
    sheet = pd.read_excel(io.BytesIO(blob), dtype=str)
    assert len(sheet) == 36 and sheet.iloc[:, 0].str.startswith("HHID-440783116").all()
    rows = audit.entries(ws.parent, user=USERS["admin"], action="export_households")
    assert len(rows) == 1 and rows.iloc[0]["username"] == "镇规划员" and '"rows": 36' in rows.iloc[0]["details"]
    layer_export.export_workspace(ws, "xlsx", user=USERS["viewer"])  # no household rows: nothing to record
    assert len(audit.entries(ws.parent, user=USERS["admin"], action="export_households")) == 1


def test_viewer_aggregates_suppress_small_cells_and_keep_the_rest(ws: Path):
    villages = store.read_layer(ws, "villages")
    roads = store.read_layer(ws, "roads")
    points = road_ind.prepare_households(personal.read_for_aggregates(ws, "households", USERS["viewer"]), villages,
                                         crs="EPSG:32649")
    table = road_ind.access_shares(points, roads, villages, distance_m=300)
    counts = ["households", "households_within", "poor", "poor_within"]
    shown = personal.shown_counts(table, USERS["viewer"], counts, shares={"share_pct": "households"})
    # brute force: every count cell of 1..4 is "<5", every other cell unchanged
    for col in counts:
        for raw, out in zip(table[col], shown[col]):
            assert out == (SUPPRESSED if 0 < raw < access.SMALL_CELL else raw), (col, raw, out)
    assert shown["town_code"].tolist() == table["town_code"].tolist()
    assert personal.shown_counts(table, USERS["county_planner"], counts) is table


def test_town_planner_sees_small_cells_of_their_own_town_only():
    table = pd.DataFrame({"town_code": [Roles.OWN, Roles.OTHER, ""], "households": [3, 2, 5], "share": [50.0, 50.0, 60.0]})
    shown = personal.shown_counts(table, USERS["town_planner"], ["households"], shares={"share": "households"})
    assert shown["households"].tolist() == [3, SUPPRESSED, 5]
    assert shown["share"].tolist() == [50.0, SUPPRESSED, 60.0]


def test_viewer_planning_result_shows_no_small_project_counts(ws: Path):
    load = personal.loader(ws, USERS["viewer"], aggregates=True)
    layers = {n: load(n) for n in ("villages", "households", "roads", "projects")}
    res = planning_run.run(layers, planning_run.PlanOptions(budget=500, time_limit=5))
    small = res.ranking["project_id"].map({"PJ1": 3.0, "PJ2": 26.0})  # one small cell for certain
    res = dataclasses.replace(res, ranking=res.ranking.assign(households=small))
    shown = planning_run.for_user(res, USERS["viewer"])
    for col in ("households", "poor_households", "poor_people"):  # brute force over every count cell
        for raw, out in zip(res.ranking[col], shown.ranking[col]):
            assert out == (SUPPRESSED if 0 < raw < access.SMALL_CELL else raw), (col, raw, out)
    assert SUPPRESSED in shown.ranking["households"].tolist()
    assert planning_run.for_user(res, USERS["admin"]) is res
    sheets = planning_run.excel_sheets(planning_run.for_user(res, USERS["viewer"]))
    assert all("household_id" not in s.columns for s in sheets.values())


def test_loader_refuses_rows_to_a_viewer(ws: Path):
    with pytest.raises(AccessDenied):
        personal.loader(ws, USERS["viewer"])("households")
    assert personal.loader(ws, USERS["viewer"])("roads")["road_id"].tolist() == ["RA1", "RB1"]


# --------------------------------------------------------------------------- edits: town scope, editor, audit


def test_bulk_update_touching_another_town_is_refused_whole_naming_the_rows(ws: Path):
    before = _sha(ws)
    with pytest.raises(AccessDenied) as err:
        _bulk(ws, USERS["town_planner"], ("RA1", "RB1"))
    assert "第3行（RB1）" in err.value.message_zh and "RA1" not in err.value.message_zh  # sheet row 3
    assert _sha(ws) == before and store.read_layer(ws, "roads")["cost_wan"].tolist() == [10.0, 20.0]
    dry = road_edits.parse_bulk(pd.DataFrame({"road_id": ["RB1"], "cost_wan": [1.0]}))
    with pytest.raises(AccessDenied):  # the preview is refused too: nothing of another town is even shown
        road_edits.bulk_apply(ws, dry, user=USERS["town_planner"], dry_run=True)


def test_moving_a_pairing_into_another_town_is_refused(ws: Path):
    before = _sha(ws)
    other = _codes(ws)[4]
    with pytest.raises(AccessDenied):
        edits.update_row(ws, "pairings", "P001", {"village_code": other}, expected_version=1,
                         user=USERS["town_planner"])
    assert _sha(ws) == before


def test_the_editor_is_the_signed_in_user_and_every_edit_is_audited_in_its_transaction(ws: Path):
    named = access.Principal("wang", "town_planner", towns=(Roles.OWN,), display_name="王工")
    road_edits.edit_road(ws, "RA1", {"cost_wan": 11.0}, expected_version=1, user=named)
    assert set(road_edits.road_history(ws, "RA1")["editor"]) == {"王工（wang）"}
    rows = audit.entries(ws.parent, user=USERS["admin"])
    assert rows[["username", "action", "target"]].values.tolist() == [["wang", "edit", "RA1"]]
    assert '"cost_wan": ["10.0", "11.0"]' in rows.iloc[0]["details"]
    # a refused edit (rule broken) rolls back its audit row with it
    with pytest.raises(edits.RejectedError):
        road_edits.edit_road(ws, "RA1", {"progress_pct": 50.0}, expected_version=2, user=named)
    assert len(audit.entries(ws.parent, user=USERS["admin"])) == 1
    con = sqlite3.connect(audit.office_db(ws))
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        con.execute("DELETE FROM audit")
    con.close()


def test_history_layers_cannot_be_imported(tmp_path: Path):
    ws = Pairing.workspace(tmp_path / "ws")
    pe.edit_pairing(ws, "P001", {"committed_wan": 51.0}, expected_version=1, user=USERS["admin"])
    forged = store.read_layer(ws, "pairing_history").assign(editor="县长本人")
    before = _sha(ws)
    for layer in ("road_progress", "pairing_history"):
        with pytest.raises(ImportRefused, match="不能导入"):
            importers.prepare_import(ws, "h.csv", forged.to_csv(index=False).encode(), layer=layer)
    assert _sha(ws) == before
