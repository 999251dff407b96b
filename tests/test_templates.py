"""Import templates (bangfu.export.templates): every layer's template, filled in with its example row, imports
through the ordinary pipeline into an empty workspace, in the natural import order, and stores what it says."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from bangfu.core import vocab
from bangfu.export import templates
from bangfu.ingest import pipeline
from bangfu.workspace import schema, status, store
from bangfu.workspace.access import Principal

ADMIN = Principal("tester", "admin", source="cli")


def empty_workspace(folder: Path) -> Path:
    """Every layer present and empty (what a new workspace holds before its first import)."""
    path = folder / store.WORKSPACE_FILE
    store.write_workspace(path, {n: store.empty_layer(n) for n, lay in schema.LAYERS.items() if not lay.optional},
                          meta={"source": "new", "county_code": "440783"})
    return path


def _sheets(data: bytes) -> dict[str, list[list[object]]]:
    book = openpyxl.load_workbook(io.BytesIO(data))
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}


def test_template_has_chinese_headers_an_example_row_and_a_column_guide():
    for layer in templates.template_layers():
        lay = schema.get_layer(layer)
        sheets = _sheets(templates.template_xlsx(layer))
        (first, rows), (second, guide) = sheets.items()
        assert first == lay.zh and second == "列说明"
        headers = rows[0]
        expected = [c.zh for c in lay.columns if c.name not in ("version", "synthetic")]
        assert headers[:len(expected)] == expected, layer
        assert len(rows) == 2, "one example row"
        guide_headers = [r[0] for r in guide[1:]]
        assert guide[0] == ["列名", "含义", "类型", "必填", "允许的取值"]
        assert guide_headers == headers, "every column of sheet 1 is explained on sheet 2"
        by_header = {r[0]: r for r in guide[1:]}
        for col in lay.columns:
            if col.name in templates.SKIPPED:
                continue
            row = by_header[col.zh]
            assert row[3] == ("是" if col.required else "否"), (layer, col.name)
            if col.vocabulary is not None:  # the allowed values are the vocabulary's labels, every one of them
                assert row[4] == col.vocabulary.choices_text("zh")
                example = rows[1][headers.index(col.zh)]
                assert example is None or col.vocabulary.is_label(example) or str(example) in col.vocabulary.labels().values()


def test_road_guide_names_codes_references_and_ranges():
    guide = templates.column_guide("roads").set_index("列名")
    assert guide.loc["所属村代码", "允许的取值"] == "12位数字；须是已导入的“行政村”中的村代码"
    assert guide.loc["硬化状态", "允许的取值"] == vocab.ROAD_STATUS.choices_text("zh")
    assert guide.loc["进度(%)", "允许的取值"] == "≥ 0；≤ 100"
    assert guide.loc["道路编号", "允许的取值"] == "不能重复"
    assert templates.column_guide("roads", "en").iloc[0].tolist()[:4] == ["道路编号", "Road ID", "str", "yes"]


def test_every_template_imports_in_order_into_an_empty_workspace(tmp_path: Path):
    ws = empty_workspace(tmp_path)
    for layer in status.IMPORT_ORDER:
        villages = store.read_layer(ws, "villages")
        data = templates.template_xlsx(layer, villages)
        plan = pipeline.prepare_import(ws, templates.template_file_name(layer), data, layer=layer)
        assert plan.ok, (layer, plan.summary_zh(), [p.line("zh") for p in plan.report.problems[:5]])
        unmapped = set(plan.columns) - set(plan.mapping)
        assert not unmapped, f"{layer}: headers the column matching does not recognise: {unmapped}"
        pipeline.apply_import(ws, plan, user=ADMIN)
    counts = status.layer_counts(ws)
    assert counts == {name: 1 for name in status.IMPORT_ORDER}
    # what the example rows say is what was stored (coded values through their labels, geometry from lon/lat/WKT)
    village = store.read_layer(ws, "villages").iloc[0]
    assert village["village_code"] == templates.FALLBACK_CODE and village["town_code"] == templates.FALLBACK_CODE[:9]
    assert village["poor_households"] == templates.EXAMPLES["poor_households"]
    house = store.read_layer(ws, "households").iloc[0]
    assert house["village_code"] == templates.FALLBACK_CODE and bool(house["is_poor"])
    assert house.geometry.within(village.geometry), "the example household stands in the example village"
    site = store.read_layer(ws, "tourism_sites").iloc[0]
    assert int(site["a_level"]) == templates.EXAMPLES["a_level"]
    assert site["site_type"] == vocab.SITE_TYPE.codes[0]
    road = store.read_layer(ws, "roads").iloc[0]
    assert road["status"] == vocab.ROAD_STATUS.codes[0] and road.geometry.geom_type == "LineString"
    pairing = store.read_layer(ws, "pairings").iloc[0]
    assert pairing["enterprise_id"] == store.read_layer(ws, "enterprises").iloc[0]["enterprise_id"]
    project = store.read_layer(ws, "projects").iloc[0]
    assert project["status"] == "candidate" and project["project_type"] == vocab.PROJECT_TYPE.codes[0]


def test_template_example_uses_the_workspace_first_village(tmp_path: Path):
    from factories import import_villages
    villages = import_villages()
    first = villages.sort_values("village_code").iloc[0]
    row = templates.example_row("households", villages)
    assert row["村代码"] == first["village_code"]
    import shapely
    assert first.geometry.contains(shapely.Point(row["经度"], row["纬度"]))
    frame = templates.template_frame("villages", villages)
    assert frame.loc[0, "村名"] == first["village_name"] and frame.loc[0, "镇街"] == first["town_name"]


@pytest.mark.parametrize("layer", ["households", "projects"])
def test_template_file_name(layer: str):
    name = templates.template_file_name(layer)
    assert name.endswith(".xlsx") and schema.get_layer(layer).zh in name
    assert isinstance(templates.template_frame(layer), pd.DataFrame)


def test_templates_of_a_new_workspace_name_its_official_villages_and_import_in_order(tmp_path: Path):
    """In a workspace made by new_workspace (the county's official list as reference, every layer empty) the
    first template names the first official village and each template imports in turn."""
    from bangfu.workspace import create
    ws = create.new_workspace(tmp_path / "workspaces" / "440783.gpkg", "440783", user=ADMIN)
    reference = create.read_reference(ws)
    first = reference.sort_values("village_code").iloc[0]
    row = templates.example_row("villages", store.read_layer(ws, "villages"), reference)
    assert (row["村代码"], row["村名"], row["镇街"]) == (first["village_code"], first["village_name"], first["town_name"])
    for layer in status.IMPORT_ORDER:
        data = templates.template_xlsx(layer, store.read_layer(ws, "villages"), reference=reference)
        plan = pipeline.prepare_import(ws, templates.template_file_name(layer), data, layer=layer)
        assert plan.ok, (layer, plan.summary_zh(), [p.line("zh") for p in plan.report.problems[:5]])
        pipeline.apply_import(ws, plan, user=ADMIN)
    assert status.layer_counts(ws) == {name: 1 for name in status.IMPORT_ORDER}
    assert store.read_layer(ws, "households").iloc[0]["village_code"] == first["village_code"]
