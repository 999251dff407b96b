"""Village vector tiles (:mod:`bangfu.maps.tiles`), decoded by an independent reader.

The oracle is Google's protobuf runtime (a dependency of Streamlit) with the message types of the Mapbox Vector
Tile spec 2.1 (``vector_tile.proto``) declared here from the spec, plus a geometry-command decoder written from
the spec's text: nothing of the encoder is reused. Checked: every village is in the tiles of every zoom level and
appears whole at the last one (the union of its clipped pieces equals its simplified polygon), its properties
equal the indicator table, rings are oriented as the spec says, the class string is the choropleth's classes, an
edit of the villages makes a new tile set, and the overview page draws the villages from tiles (AppTest).
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from hypothesis import given, settings
from hypothesis import strategies as st

from bangfu import indicators as ind
from bangfu.maps import tiles as vt
from bangfu.maps import units as mu
from bangfu.workspace import store
from bangfu.workspace.access import Principal

ROOT = Path(__file__).resolve().parents[1]
ADMIN = Principal("admin", "admin")


# --------------------------------------------------------------------------- the oracle: vector_tile.proto 2.1


def _tile_class():
    F = descriptor_pb2.FieldDescriptorProto
    fd = descriptor_pb2.FileDescriptorProto(name="bangfu_test_vector_tile.proto", package="bangfu_test_vt",
                                            syntax="proto2")
    tile = fd.message_type.add(name="Tile")

    def add(msg, name, number, ftype, label=F.LABEL_OPTIONAL, type_name=None, packed=False):
        f = msg.field.add(name=name, number=number, type=ftype, label=label)
        if type_name:
            f.type_name = type_name
        if packed:
            f.options.packed = True

    value = tile.nested_type.add(name="Value")
    for name, number, ftype in (("string_value", 1, F.TYPE_STRING), ("float_value", 2, F.TYPE_FLOAT),
                                ("double_value", 3, F.TYPE_DOUBLE), ("int_value", 4, F.TYPE_INT64),
                                ("uint_value", 5, F.TYPE_UINT64), ("sint_value", 6, F.TYPE_SINT64),
                                ("bool_value", 7, F.TYPE_BOOL)):
        add(value, name, number, ftype)
    feature = tile.nested_type.add(name="Feature")
    add(feature, "id", 1, F.TYPE_UINT64)
    add(feature, "tags", 2, F.TYPE_UINT32, F.LABEL_REPEATED, packed=True)
    add(feature, "type", 3, F.TYPE_INT32)
    add(feature, "geometry", 4, F.TYPE_UINT32, F.LABEL_REPEATED, packed=True)
    layer = tile.nested_type.add(name="Layer")
    add(layer, "version", 15, F.TYPE_UINT32, F.LABEL_REQUIRED)
    add(layer, "name", 1, F.TYPE_STRING, F.LABEL_REQUIRED)
    add(layer, "features", 2, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".bangfu_test_vt.Tile.Feature")
    add(layer, "keys", 3, F.TYPE_STRING, F.LABEL_REPEATED)
    add(layer, "values", 4, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".bangfu_test_vt.Tile.Value")
    add(layer, "extent", 5, F.TYPE_UINT32)
    add(tile, "layers", 3, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".bangfu_test_vt.Tile.Layer")
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("bangfu_test_vt.Tile"))


TILE = _tile_class()


def _value(v):
    (_field, value), = v.ListFields()  # exactly one of the Value fields is set
    return value


def _rings(geometry: list[int]) -> list[list[tuple[int, int]]]:
    """The spec's command stream → rings (absolute coordinates, not closed)."""
    rings, cur, x, y, i = [], None, 0, 0, 0
    while i < len(geometry):
        cmd, count = geometry[i] & 7, geometry[i] >> 3
        i += 1
        if cmd == 7:
            rings.append(cur)
            cur = None
            continue
        for _ in range(count):
            dx, dy = geometry[i], geometry[i + 1]
            i += 2
            x += (dx >> 1) ^ -(dx & 1)
            y += (dy >> 1) ^ -(dy & 1)
            if cmd == 1:
                cur = [(x, y)]
            else:
                cur.append((x, y))
    return rings


def _signed_area(ring) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:] + ring[:1])) / 2


def decode(data: bytes) -> dict:
    """One tile → {layer name: [(id, {key: value}, polygon in tile coordinates, ring areas)]}."""
    tile = TILE()
    tile.ParseFromString(data)
    out = {}
    for layer in tile.layers:
        assert layer.version == 2 and layer.extent == vt.EXTENT
        feats = []
        for f in layer.features:
            assert f.type == 3  # POLYGON
            tags = list(f.tags)
            props = {layer.keys[k]: _value(layer.values[v]) for k, v in zip(tags[::2], tags[1::2])}
            rings = _rings(list(f.geometry))
            areas = [_signed_area(r) for r in rings]
            polys, shell, holes = [], None, []
            for r, a in zip(rings, areas):
                if a > 0:  # an exterior ring (spec 4.3.4.4): positive area in tile coordinates
                    if shell is not None:
                        polys.append(shapely.Polygon(shell, holes))
                    shell, holes = r, []
                else:
                    holes.append(r)
            if shell is not None:
                polys.append(shapely.Polygon(shell, holes))
            feats.append((f.id, props, shapely.make_valid(shapely.MultiPolygon(polys)), areas))
        out[layer.name] = feats
    return out


# --------------------------------------------------------------------------- the encoder alone


_ring_pts = st.lists(st.tuples(st.integers(-200, 4300), st.integers(-200, 4300)), min_size=3, max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(_ring_pts, min_size=1, max_size=4), st.integers(0, 10**9))
def test_encoded_polygons_decode_to_themselves(rings, fid):
    """Any valid integer polygons (convex hulls with a hole, some multipolygons): the decoded polygon covers exactly
    the same ground, exterior rings are positive and holes negative, the id and properties come back."""
    polys = []
    for pts in rings:
        hull = shapely.convex_hull(shapely.MultiPoint(pts))
        if hull.geom_type != "Polygon" or hull.area < 4:
            continue
        c = hull.centroid
        hole = shapely.box(round(c.x) - 1, round(c.y) - 1, round(c.x) + 1, round(c.y) + 1)
        polys.append(hull.difference(hole) if hull.buffer(-3).contains(hole) else hull)
    geom = shapely.union_all(polys) if polys else shapely.Polygon()
    if geom.is_empty:
        return
    geom = shapely.set_precision(geom, 1.0)
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        return
    data = vt.encode_layer("t", [(fid, geom, {"c": ("甲乙·<b>", "text"), "v": (2.5, "double"), "n": (7, "uint"),
                                              "o": (True, "bool")})])
    (got_id, props, back, areas), = decode(data)["t"]
    assert got_id == fid and props == {"c": "甲乙·<b>", "v": 2.5, "n": 7, "o": True}
    assert math.isclose(back.area, geom.area, abs_tol=1e-6)
    assert shapely.symmetric_difference(back, geom).area < 1e-6
    exteriors = len(shapely.get_parts(geom))
    assert sum(a > 0 for a in areas) == exteriors and sum(a < 0 for a in areas) == len(areas) - exteriors


def test_varints_and_zigzag_against_protobuf():
    """Large ids and coordinates far outside the tile (buffer, negative deltas) survive the round trip."""
    geom = shapely.Polygon([(-70000, -5), (900000, 3), (900000, 800000), (-70000, 800000)])
    data = vt.encode_layer("t", [(2**33 + 5, geom, {"n": (300000, "uint")})])
    (fid, props, back, _), = decode(data)["t"]
    assert fid == 2**33 + 5 and props["n"] == 300000 and back.equals(geom)


# --------------------------------------------------------------------------- villages → tiles


@pytest.fixture(scope="module")
def kaiping() -> gpd.GeoDataFrame:
    return ind.village_metrics(store.read_layer(ROOT / "geodata" / "kaiping_demo.gpkg", "villages"))


@pytest.fixture(scope="module")
def pyramid(kaiping):
    plan = vt.tile_plan(kaiping)
    return plan, {(z, x, y): decode(d)[vt.LAYER] for z, x, y, d in vt.village_tiles(kaiping, plan)}


def test_every_village_at_every_zoom_and_whole_at_the_last(kaiping, pyramid):
    plan, tiles = pyramid
    order = vt.village_order(kaiping["village_code"])
    codes = kaiping["village_code"].astype(str).to_numpy()[order]
    assert plan.min_zoom < plan.max_zoom
    for z in plan.zooms:  # count per zoom level: every village, once by id
        ids = {f[0] for (tz, _, _), feats in tiles.items() if tz == z for f in feats}
        assert ids == set(range(len(kaiping))), z
    z = plan.max_zoom
    world = vt.tile_features(kaiping)[0]
    simplified = vt._simplified(world, z, True)
    pieces: dict[int, list] = {}
    n = 2**z
    for (tz, x, y), feats in tiles.items():
        if tz != z:
            continue
        for fid, _props, geom, _ in feats:
            # back to world coordinates, then clipped to the tile without its buffer (pieces of one village tile it)
            w = shapely.transform(geom, lambda c, x=x, y=y: c / vt.EXTENT / n + np.array([x / n, y / n]))
            pieces.setdefault(fid, []).append(shapely.clip_by_rect(w, *vt.tile_box(z, x, y)))
    assert set(pieces) == set(range(len(kaiping)))
    px = 1.0 / (256 * n)  # one screen pixel at zoom z, in world units
    for i, parts in pieces.items():
        whole = shapely.union_all(parts)
        truth = simplified[i]
        # equal up to the rounding to the 4,096 grid (1/16 px): less than a pixel-wide rim along the border
        assert shapely.symmetric_difference(whole, truth).area < truth.length * px, (i, codes[i])


def test_properties_equal_the_indicator_table(kaiping, pyramid):
    plan, tiles = pyramid
    order = vt.village_order(kaiping["village_code"])
    rows = kaiping.iloc[order].reset_index(drop=True)
    seen = 0
    for (_z, _, _), feats in tiles.items():
        for fid, props, _, _ in feats:
            row = rows.iloc[fid]
            assert props["i"] == fid and props["c"] == str(row["village_code"]) and props["n"] == row["village_name"]
            assert props["p"] == int(row["poor_households"]) and props["q"] == int(row["poor_population"])
            assert props["h"] == int(row["households"])
            for key, col in (("d", "poverty_density"), ("r", "incidence_pct")):
                v = float(row[col])
                assert (key not in props) if not np.isfinite(v) else props[key] == pytest.approx(v, abs=1e-3)
            assert props.get("o", False) == bool(row["is_old_district"])
            assert props.get("k", False) == bool(row["is_key_village"])
            assert set(props) <= set(vt.TILE_PROPS) | {"i"}  # public per-village figures only
            seen += 1
    assert seen >= len(kaiping) * len(plan.zooms)


def test_class_string_is_the_choropleth(kaiping):
    for indicator in ("poverty_density", "incidence", "poor_households"):
        choro = ind.choropleth(kaiping, indicator, method="quantiles", k=4)
        cls = choro.classes_of(kaiping)
        text = vt.class_string(cls, kaiping["village_code"])
        order = vt.village_order(kaiping["village_code"])
        assert len(text) == len(kaiping)
        assert [ord(ch) - 48 for ch in text] == [int(c) for c in np.asarray(cls)[order]]


def test_tile_map_data_sends_classes_not_villages(kaiping):
    data = mu.prepare_tile_map(kaiping, options=mu.UnitOptions("poverty_density", "quantiles", 5), url="/x/{z}/{x}/{y}",
                               zooms=(8, 13))
    assert data.tiles is not None and len(data.tiles.classes) == len(kaiping) and not data.layers
    from bangfu.maps.overview import build_overview_map, payload_bytes
    m = build_overview_map(data)
    html = m.get_root().render()
    assert vt.VECTORGRID_JS in html and vt.TILES_JS in html and "L.bangfuTiles" in html
    assert html.index(vt.VECTORGRID_JS) < html.index(vt.TILES_JS)  # our layer extends VectorGrid's
    assert payload_bytes(m) < 60_000  # classes + legend + chrome; no village geometry


# --------------------------------------------------------------------------- the folder and its key


def test_an_edit_of_the_villages_makes_a_new_tile_set(tmp_path: Path, demo_workspace: Path):
    ws = demo_workspace
    villages = store.read_layer(ws, "villages")
    token = store.content_tokens(ws)["villages"]
    key = vt.tile_key(str(ws), token)
    root = tmp_path / "vtiles"
    vt.ensure_tiles(root, key, lambda: ind.village_metrics(villages))
    assert vt.tiles_ready(root, key)
    store.replace_layers(ws, {"roads": store.read_layer(ws, "roads")}, user=ADMIN)  # another layer: same tiles
    assert vt.tile_key(str(ws), store.content_tokens(ws)["villages"]) == key
    changed = villages.copy()
    first = changed["village_code"].astype(str).min()
    changed.loc[changed["village_code"].astype(str) == first, "poor_households"] = 777
    store.replace_layers(ws, {"villages": changed}, user=ADMIN)
    new_key = vt.tile_key(str(ws), store.content_tokens(ws)["villages"])
    assert new_key != key and not vt.tiles_ready(root, new_key)
    plan = vt.ensure_tiles(root, new_key, lambda: ind.village_metrics(store.read_layer(ws, "villages")))
    z = plan.max_zoom
    found = [p for f in sorted((root / new_key / str(z)).rglob("*.pbf"))
             for _, p, _, _ in decode(f.read_bytes())[vt.LAYER] if p["c"] == first]
    assert found and all(p["p"] == 777 for p in found)
    old = [p for f in sorted((root / key / str(z)).rglob("*.pbf"))
           for _, p, _, _ in decode(f.read_bytes())[vt.LAYER] if p["c"] == first]
    assert old and all(p["p"] != 777 for p in old)


def test_prune_keeps_the_current_and_young_sets(tmp_path: Path):
    import os
    import time
    for i in range(9):
        d = tmp_path / f"k{i}"
        d.mkdir()
        old = time.time() - 3600 + i
        os.utime(d, (old, old))
    gone = vt.prune_tiles(tmp_path, keep=["k0"], max_sets=3)
    assert sorted(gone) == [f"k{i}" for i in range(1, 6)]
    assert (tmp_path / "k0").is_dir() and (tmp_path / "k8").is_dir()


def test_village_entry_is_the_index_entry(kaiping):
    """A clicked or profiled village is highlighted without building the whole search index: its entry made from
    its row equals the index's (the oracle: bangfu.indicators.search.build_index)."""
    from bangfu.indicators.search import build_index
    from bangfu.ui.widgets import village_entry

    villages = store.read_layer(ROOT / "geodata" / "kaiping_demo.gpkg", "villages")
    index = {e.key: e for e in build_index(villages) if e.kind == "village"}
    for code in sorted(index)[::25]:
        mine, theirs = village_entry(villages, code), index[code]
        assert mine is not None and (mine.ref, mine.name, mine.detail, mine.initials) == (
            theirs.ref, theirs.name, theirs.detail, theirs.initials)
        assert mine.geometry.equals(theirs.geometry)
    assert village_entry(villages, "000000000000") is None
