"""Excel import templates, one per layer, built from :mod:`bangfu.workspace.schema`: Chinese headers, an example
row and a second sheet explaining every column (meaning, type, required, allowed values from the vocabularies).

A filled-in template imports through the ordinary pipeline (:mod:`bangfu.ingest.pipeline`) without any mapping:
its headers are the schema's Chinese labels (and 经度/纬度 or 几何(WKT) for the geometry), which the column
matching recognises. ``tests/test_templates.py`` imports every template, in the import order, into an empty
workspace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd
import shapely

from bangfu.core.labels import t
from bangfu.export.tables import to_xlsx_bytes
from bangfu.workspace.schema import LAYERS, Column, Layer, get_layer
from bangfu.workspace.validate import TYPE_ZH

#: Columns a template leaves out: written by the app itself (row versions) or by the demo builder.
SKIPPED: frozenset[str] = frozenset({"version", "synthetic"})
#: The geometry columns of a template, by geometry kind: (header, example kind). Points as lon/lat (WGS-84 or
#: GCJ-02, detected on import), other shapes as WKT text; boundaries usually come as a shapefile instead.
GEOMETRY_HEADERS: dict[str, tuple[str, ...]] = {
    "Point": ("经度", "纬度"), "Any": ("经度", "纬度"), "Polygon": ("几何(WKT)",), "LineString": ("几何(WKT)",),
}
#: Example values by column name (a column not listed gets one from its type or vocabulary).
EXAMPLES: dict[str, Any] = {
    "village_name": "示例村", "town_name": "示例镇", "county_name": "示例县",
    "households": 320, "population": 1050, "poor_households": 24, "poor_population": 61, "collective_income_wan": 12.5,
    "household_id": "H0001", "members": 4, "is_poor": True, "is_key": True, "has_labour": True,
    "road_id": "R0001", "name": "示例名称", "planned_year": 2026, "completed_year": None, "progress_pct": 0,
    "cost_wan": 85.0, "site_id": "S0001", "a_level": 3, "annual_visitors": 12000, "poor_households_employed": 6,
    "approximate_location": False, "enterprise_id": "E0001", "industry": "农产品加工", "is_leading": True,
    "employees": 120, "pairing_id": "P0001", "start_date": "2026-01-01", "end_date": None, "committed_wan": 30.0,
    "project_id": "X0001",
}
#: Where the example row stands when the workspace has no villages yet (lon, lat; inside Kaiping).
FALLBACK_POINT = (112.55, 22.35)
FALLBACK_CODE = "440783100200"


def template_layers() -> list[str]:
    """The layers an office can import (those a template is offered for), in schema order."""
    return [n for n, lay in LAYERS.items() if lay.importable]


def template_columns(layer: Layer | str) -> list[Column]:
    """The schema columns a template has (all but :data:`SKIPPED`)."""
    lay = get_layer(layer) if isinstance(layer, str) else layer
    return [c for c in lay.columns if c.name not in SKIPPED]


def _village(villages: pd.DataFrame | None, reference: pd.DataFrame | None = None) -> dict[str, Any]:
    """Code, names and a point of the workspace's first village; before any village is imported, the first
    village of the official reference list (names and code; a stand-in shape), else stand-ins."""
    if villages is None or len(villages) == 0:
        box = shapely.box(FALLBACK_POINT[0] - 0.005, FALLBACK_POINT[1] - 0.005, FALLBACK_POINT[0] + 0.005,
                          FALLBACK_POINT[1] + 0.005)
        if reference is not None and len(reference):
            row = reference.sort_values("village_code").iloc[0]
            return {**{k: str(row[k]) for k in ("village_code", "town_code", "county_code", "village_name",
                                                  "town_name", "county_name")}, "point": FALLBACK_POINT, "shape": box}
        code = FALLBACK_CODE
        return {"village_code": code, "town_code": code[:9], "county_code": code[:6], "point": FALLBACK_POINT,
                "shape": box}
    row = villages.sort_values("village_code").iloc[0]
    geom = row.get("geometry")
    point = geom.representative_point() if geom is not None and not geom.is_empty else shapely.Point(FALLBACK_POINT)
    return {"village_code": str(row["village_code"]), "town_code": str(row["town_code"]),
            "county_code": str(row["county_code"]), "village_name": str(row["village_name"]),
            "town_name": str(row["town_name"]), "county_name": str(row["county_name"]),
            "point": (round(point.x, 6), round(point.y, 6)), "shape": geom}


def _value(col: Column, known: Mapping[str, Any]) -> Any:
    if col.name in known:
        value = known[col.name]
    elif col.name in EXAMPLES:
        value = EXAMPLES[col.name]
    elif col.vocabulary is not None and col.dtype != "bool":
        value = col.vocabulary.terms[0].code
    else:
        value = {"int": 1, "float": 1.0, "bool": True, "date": "2026-01-01"}.get(col.dtype, "示例")
    vocabulary = col.vocabulary
    if vocabulary is not None and value is not None:
        return vocabulary.label(value if col.dtype != "int" else str(value))  # a label, as offices write them
    return value


def example_row(layer: Layer | str, villages: pd.DataFrame | None = None,
                reference: pd.DataFrame | None = None) -> dict[str, Any]:
    """The template's example row, header → value: the workspace's first village where a village is named (so
    the example imports into this workspace as it is; before villages are imported, the first official village
    of ``reference``), coded values as their Chinese labels."""
    lay = get_layer(layer) if isinstance(layer, str) else layer
    v = _village(villages, reference)
    known: dict[str, Any] = {k: v[k] for k in ("village_code", "town_code", "county_code") if k in v}
    if lay.name == "villages":
        known.update({k: v[k] for k in ("village_name", "town_name", "county_name") if k in v})
    if lay.name == "projects":
        known["status"] = "candidate"
    row = {c.zh: _value(c, known) for c in template_columns(lay)}
    headers = GEOMETRY_HEADERS.get(lay.geometry or "", ())
    if len(headers) == 2:
        row.update(dict(zip(headers, v["point"])))
    elif headers:
        shape = v["shape"]
        if lay.geometry == "LineString" or shape is None:
            x, y = v["point"]
            shape = shapely.LineString([(x, y), (x + 0.002, y + 0.001)])
        row[headers[0]] = shape.wkt
    return row


def _allowed(col: Column, lang: str) -> str:
    vocabulary = col.vocabulary
    if vocabulary is not None:
        return vocabulary.choices_text(lang)
    parts = []
    if col.pattern:
        parts.append(t("template.digits", lang).format(n="/".join(re.findall(r"\{(\d+)\}", col.pattern))))
    if col.min is not None:
        parts.append(f"≥ {col.min:g}")
    if col.max is not None:
        parts.append(f"≤ {col.max:g}")
    if col.ref:
        target, column = col.ref.split(".")
        lay = get_layer(target)
        parts.append(t("template.ref", lang).format(layer=lay.zh if lang == "zh" else lay.en,
                                                    column=lay.column(column).zh if lang == "zh" else column))
    if col.unique:
        parts.append(t("template.unique", lang))
    return "；".join(parts) if lang == "zh" else "; ".join(parts)


def _type(dtype: str, lang: str) -> str:
    return TYPE_ZH[dtype] if lang == "zh" else dtype


def column_guide(layer: Layer | str, lang: str = "zh") -> pd.DataFrame:
    """The template's second sheet: one row per column (header, meaning, type, required, allowed values)."""
    lay = get_layer(layer) if isinstance(layer, str) else layer
    head = [t(f"template.col.{k}", lang) for k in ("header", "meaning", "type", "required", "allowed")]
    yes, no = t("template.yes", lang), t("template.no", lang)
    rows = [[c.zh, f"{c.zh}（{c.en}）" if lang == "zh" else c.en, _type(c.dtype, lang), yes if c.required else no,
             _allowed(c, lang)] for c in template_columns(lay)]
    geometry = GEOMETRY_HEADERS.get(lay.geometry or "", ())
    kind, dtype = ("point", "float") if len(geometry) == 2 else ("shape", "str")
    rows += [[h, t(f"template.geometry.{kind}", lang), _type(dtype, lang), yes if lay.geometry != "Any" else no, ""]
             for h in geometry]
    return pd.DataFrame(rows, columns=head)


def template_frame(layer: Layer | str, villages: pd.DataFrame | None = None,
                   reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """The template's first sheet: the Chinese headers and the example row."""
    return pd.DataFrame([example_row(layer, villages, reference)])


def template_xlsx(layer: Layer | str, villages: pd.DataFrame | None = None, *, reference: pd.DataFrame | None = None,
                  lang: str = "zh") -> bytes:
    """The Excel template of ``layer``: sheet 1 the headers and the example row, sheet 2 the column guide.
    ``villages``: the workspace's villages; ``reference``: its official village list (a new workspace)."""
    lay = get_layer(layer) if isinstance(layer, str) else layer
    return to_xlsx_bytes({lay.zh: template_frame(lay, villages, reference),
                          t("template.guide_sheet", lang): column_guide(lay, lang)})


def template_file_name(layer: Layer | str, lang: str = "zh") -> str:
    """``导入模板_行政村.xlsx``."""
    lay = get_layer(layer) if isinstance(layer, str) else layer
    return f"{t('template.file', lang)}_{lay.zh if lang == 'zh' else lay.name}.xlsx"
