"""The roles table and its checks, small-cell suppression, and the append-only audit trail."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from bangfu.core import vocab
from bangfu.workspace import access, audit
from bangfu.workspace.access import AccessDenied, Principal

ADMIN = Principal("admin", "admin")
COUNTY = Principal("li", "county_planner")
TOWN = Principal("wang", "town_planner", towns=("440783116",))
VIEWER = Principal("guest", "viewer")


@pytest.mark.parametrize("user, permission, town, allowed", [
    (ADMIN, "restore", None, True),
    (COUNTY, "restore", None, False),
    (COUNTY, "view_households", "440783116", True),
    (TOWN, "edit", "440783116", True),
    (TOWN, "edit", "440783116201", True),  # a village of the town
    (TOWN, "edit", "440783101201", False),  # a village of another town
    (TOWN, "import", None, False),
    (VIEWER, "view_households", None, False),
    (VIEWER, "edit", "440783116", False),
    (None, "view", None, False),
])
def test_can_and_require_agree(user, permission, town, allowed):
    assert access.can(user, permission, town_code=town) is allowed
    if allowed:
        access.require(user, permission, town_code=town)
    else:
        with pytest.raises(AccessDenied) as err:
            access.require(user, permission, town_code=town)
        assert err.value.message_zh and err.value.hint_zh


def test_every_role_is_labelled_and_admin_may_do_everything():
    for r in access.ROLES.values():
        assert r.zh and r.en and r.permissions <= set(access.PERMISSIONS)
    assert access.ROLES["admin"].permissions == set(access.PERMISSIONS)
    with pytest.raises(ValueError, match="未知的角色"):
        Principal("x", "superuser")


def test_small_cells_are_suppressed_for_viewers_only():
    table = pd.DataFrame({"village": list("abcd"), "poor": [0, 3, 4, 5], "households": [10, 2, 40, 1]})
    shown = access.suppress_small(table, ["poor", "households"], user=VIEWER)
    assert shown["poor"].tolist() == [0, access.SUPPRESSED, access.SUPPRESSED, 5]
    assert shown["households"].tolist() == [10, access.SUPPRESSED, 40, access.SUPPRESSED]
    assert access.suppress_small(table, ["poor"], user=COUNTY) is table


def test_audit_is_append_only_and_filtered(tmp_path: Path):
    audit.record(tmp_path, COUNTY, "edit", "R0001", {"status": ["planned", "completed"]}, workspace="workspace.gpkg")
    audit.record(tmp_path, ADMIN, "import", "roads", {"rows": 12})
    rows = audit.entries(tmp_path, user=ADMIN)
    assert rows["action"].tolist() == ["import", "edit"] and rows["at"].str.endswith("+08:00").all()
    assert set(rows["action"]) <= set(vocab.AUDIT_ACTION.codes)
    assert audit.entries(tmp_path, user=ADMIN, username="li")["target"].tolist() == ["R0001"]
    with pytest.raises(AccessDenied):
        audit.entries(tmp_path, user=COUNTY)
    con = sqlite3.connect(audit.office_db(tmp_path))
    for sql in ("UPDATE audit SET username = 'x'", "DELETE FROM audit"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            con.execute(sql)
    con.close()


def test_audit_row_commits_and_rolls_back_with_the_workspace_write(tmp_path: Path):
    ws = tmp_path / "ws.sqlite"
    con = sqlite3.connect(ws, isolation_level=None)
    con.execute("CREATE TABLE t (x)")
    audit.attach(con, tmp_path)
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT INTO t VALUES (1)")
    audit.record(tmp_path, ADMIN, "edit", "t", con=con)
    con.execute("ROLLBACK")
    con.execute("BEGIN IMMEDIATE")
    con.execute("INSERT INTO t VALUES (2)")
    audit.record(tmp_path, ADMIN, "edit", "t2", con=con)
    con.execute("COMMIT")
    con.close()
    assert audit.entries(tmp_path, user=ADMIN)["target"].tolist() == ["t2"]
