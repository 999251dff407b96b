"""A new county from scratch: ``new_workspace`` / ``python -m bangfu new``, then imports layer by layer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from bangfu.workspace import access, audit, create, store
from bangfu.workspace.schema import LAYERS
from bangfu.workspace.validate import validate_workspace

ADMIN = access.cli_principal()
KAIPING = "440783"
#: A Liaoning county (新民市) of the shipped list, and a county it does not cover.
XINMIN = "210181"
PINGNAN = "450821"


def _official_oracle(code: str) -> pd.DataFrame:
    """The county's rows of the shipped CSV, read independently of bangfu.workspace.create."""
    import csv

    with open(create.OFFICIAL_CODES, encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["county_code"] == code]
    return pd.DataFrame(rows)


def test_new_workspace_known_county_is_empty_valid_and_carries_the_official_list(tmp_path: Path) -> None:
    path = create.new_workspace(tmp_path / "kaiping" / "sub" / "workspace.gpkg", KAIPING, user=ADMIN)
    assert path.exists()
    info = store.open_workspace(path)
    assert info.meta["county_code"] == KAIPING
    assert info.meta["county_name"] == "开平市"
    assert info.meta["source"] == "new"
    assert info.meta["version"] == "1"
    for name in LAYERS:
        assert name in info.layers
        assert len(store.read_layer(path, name)) == 0
    assert not validate_workspace(store.read_workspace(path)).problems
    ref = create.read_reference(path)
    oracle = _official_oracle(KAIPING)
    assert len(ref) == len(oracle) > 100
    assert sorted(ref["village_code"]) == sorted(oracle["village_code"])
    got = dict(zip(ref["village_code"], ref["village_name"]))
    assert got == dict(zip(oracle["village_code"], oracle["village_name"]))
    assert set(ref["town_code"]) == set(oracle["town_code"])
    rows = audit.entries(path.parent, user=ADMIN, action="new_workspace")
    assert list(rows["target"]) == [KAIPING]


def test_new_workspace_liaoning_county_and_unknown_county_with_name(tmp_path: Path) -> None:
    p1 = create.new_workspace(tmp_path / "xm.gpkg", XINMIN, user=ADMIN)
    assert len(create.read_reference(p1)) == len(_official_oracle(XINMIN)) > 0
    p2 = create.new_workspace(tmp_path / "pn.gpkg", PINGNAN, "平南县", user=ADMIN)
    meta = store.read_meta(p2)
    assert (meta["county_code"], meta["county_name"]) == (PINGNAN, "平南县")
    assert create.read_reference(p2).empty
    store.check_workspace_file(p2)


@pytest.mark.parametrize("code", ["44078", "4407830", "abcdef", "", "44 783"])
def test_new_workspace_refuses_a_code_that_is_not_6_digits(tmp_path: Path, code: str) -> None:
    with pytest.raises(create.CountyCodeError) as exc:
        create.new_workspace(tmp_path / "x.gpkg", code, "某县", user=ADMIN)
    assert "6 位数字" in exc.value.message_zh and exc.value.hint_zh
    assert not (tmp_path / "x.gpkg").exists()


def test_new_workspace_refuses_unknown_county_without_name_and_an_existing_file(tmp_path: Path) -> None:
    with pytest.raises(create.UnknownCounty) as exc:
        create.new_workspace(tmp_path / "x.gpkg", PINGNAN, user=ADMIN)
    assert "--name" in exc.value.message_zh
    assert not (tmp_path / "x.gpkg").exists()
    existing = tmp_path / "y.gpkg"
    existing.write_bytes(b"keep me")
    with pytest.raises(create.WorkspaceExists):
        create.new_workspace(existing, KAIPING, user=ADMIN)
    assert existing.read_bytes() == b"keep me"


def test_new_workspace_is_admin_only(tmp_path: Path) -> None:
    viewer = access.Principal("v", "viewer")
    with pytest.raises(access.AccessDenied):
        create.new_workspace(tmp_path / "x.gpkg", KAIPING, user=viewer)
    assert not (tmp_path / "x.gpkg").exists()
