"""The test factories themselves: every scene is a valid workspace, and the builders place what they say."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely

import factories as f
from bangfu.workspace import store
from bangfu.workspace.validate import validate_workspace

SCENES = {
    "village_row": lambda: {"villages": f.village_row(4)},
    "overview": f.Overview.layers,
    "network": lambda: {"villages": f.Network.villages(), "roads": f.Network.roads(), "households": f.Network.households()},
    "pairing": f.Pairing.layers,
    "briefing": f.Briefing.layers,
    "planning": lambda: f.planning_layers(np.random.default_rng(0)),
    "import": lambda: {"villages": f.import_villages(), "households": f.import_households()},
}


@pytest.mark.parametrize("scene", list(SCENES))
def test_every_scene_is_a_valid_workspace(scene: str):
    layers = SCENES[scene]()
    report = validate_workspace(layers)
    assert report.ok, [p.line("en") for p in report.errors]
    v = layers["villages"]
    assert v["village_code"].is_unique and shapely.coverage_is_valid(np.asarray(v.geometry.values, dtype=object))


def test_village_grid_places_numbers_and_names_villages():
    v = f.village_grid({"440783101": "一镇", "440783102": "二镇"}, (2, 3), origin=(0.0, 0.0), cell=10.0, columns=2,
                       crs=f.UTM, first=1, name="{town:.1}{i}-{letter}", households=lambda c: 10 * c.j,
                       key_village=[False, True, False, False, True])
    assert v["village_code"].tolist() == ["440783101001", "440783101002", "440783102001", "440783102002",
                                          "440783102003"]
    assert v["village_name"].tolist() == ["一0-A", "一1-B", "二0-C", "二1-D", "二2-E"]
    assert v["households"].tolist() == [0, 10, 20, 30, 40] and v["is_key_village"].tolist() == [False, True, False,
                                                                                                   False, True]
    assert [g.bounds for g in v.geometry] == [(0, 0, 10, 10), (10, 0, 20, 10), (0, 10, 10, 20), (10, 10, 20, 20),
                                             (0, 20, 10, 30)]
    running = f.village_grid({"440783101": "一镇", "440783102": "二镇"}, 2, numbering="running")
    assert running["village_code"].str[-3:].tolist() == ["240", "241", "242", "243"]


def test_households_in_villages_lie_inside_their_village():
    v = f.Pairing.villages()
    hh = f.households_in_villages(v, per_village=10, seed=1)
    polys = v.set_index("village_code").geometry
    assert all(polys[c].contains(p) for c, p in zip(hh["village_code"], hh.geometry))
    assert hh["is_poor"].sum() == 6 * 4 and (hh["is_key"] == hh["is_poor"]).all()
    assert (f.village_at(v, np.column_stack([hh.geometry.x, hh.geometry.y])) == hh["village_code"]).all()


def test_the_network_roads_cross_the_borders_they_are_said_to():
    v, r = f.Network.villages(), f.Network.roads(extra=True).set_index("road_id")
    b = v.set_index("village_code").geometry[f.Network.CODES["B"]]
    assert r.geometry["R1"].intersection(b).length == pytest.approx(500.0)
    assert r.geometry["R7"].intersection(b).length == pytest.approx(700.0)  # recorded in C (town T2)
    county = shapely.union_all(np.asarray(v.geometry.values, dtype=object))
    assert r.geometry["R8"].difference(county).length == pytest.approx(600.0)


def test_workspace_writes_a_valid_file_and_refuses_an_invalid_one(tmp_path: Path):
    path = f.workspace(tmp_path / "ok", villages=f.village_row(2))
    assert path == tmp_path / "ok" / store.WORKSPACE_FILE
    assert store.open_workspace(path).meta["source"] == "test"
    bad = f.village_row(2).assign(households=-1)
    with pytest.raises(AssertionError):
        f.workspace(tmp_path / "bad", villages=bad)
    assert not (tmp_path / "bad" / store.WORKSPACE_FILE).exists()
    assert f.workspace(tmp_path / "bad", check=False, villages=bad).exists()
