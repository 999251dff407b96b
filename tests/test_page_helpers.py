"""The pure helpers every page panel uses: one table labelling (display.labelled), one form comparison (engine.changed_fields)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bangfu.core.labels import LABELS
from bangfu.core.vocab import ROAD_STATUS, YES_NO
from bangfu.editing.engine import changed_fields, same_value
from bangfu.workspace import display
from bangfu.workspace.schema import get_layer


def _frame() -> pd.DataFrame:
    return pd.DataFrame({
        "road_id": ["R1", "R2"],
        "status": ["completed", "planned"],
        "village_name": ["<b>甲村</b>", None],
        "total_km": [1.25, 2.5],
        "is_key_village": [True, False],
        "made_up": [1, 2],
        "geometry": [None, None],
    })


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_labelled_headers_and_values(lang: str):
    out = display.labelled(_frame(), lang, layers=("roads", "villages"), prefix="roads.col.",
                           headers={"made_up": "Mine"})
    roads, villages = get_layer("roads").labels(lang), get_layer("villages").labels(lang)
    zh, en = LABELS["roads.col.total_km"]
    assert list(out.columns) == [roads["road_id"], roads["status"], villages["village_name"],
                                 zh if lang == "zh" else en, villages["is_key_village"], "Mine"]
    assert list(out.iloc[:, 1]) == [ROAD_STATUS.label("completed", lang), ROAD_STATUS.label("planned", lang)]
    assert list(out.iloc[:, 2]) == ["<b>甲村</b>", "—"]  # text as written; a gap as the missing label
    assert list(out.iloc[:, 4]) == [YES_NO.label(True, lang), YES_NO.label(False, lang)]
    assert list(out.iloc[:, 3]) == [1.25, 2.5]


def test_labelled_columns_order_first_layer_wins_and_no_schema_headers():
    df = pd.DataFrame({"name": ["x"], "town_name": ["t"], "other": [1]})
    out = display.labelled(df, "zh", columns=["town_name", "name", "missing"], layers=("enterprises", "tourism_sites"))
    # the chosen columns in their order (an absent one skipped); "name" from the first layer; no label: as is
    assert list(out.columns) == ["town_name", get_layer("enterprises").labels("zh")["name"]]
    assert get_layer("enterprises").labels("zh")["name"] != get_layer("tourism_sites").labels("zh")["name"]
    bare = display.labelled(df, "en", layers=("enterprises",), header_layers=(), prefix="overview.col.")
    assert list(bare.columns) == ["name", LABELS["overview.col.town_name"][1], "other"]


_numbers = st.one_of(st.integers(-10**6, 10**6), st.floats(allow_nan=False, allow_infinity=False, width=64))


@given(_numbers)
def test_a_number_loaded_in_any_type_is_unchanged(x):
    as_float = float(x)
    for loaded in (x, np.float64(as_float), as_float):
        assert same_value(loaded, as_float)
        if as_float.is_integer() and abs(as_float) < 2**53:
            assert same_value(loaded, int(as_float)) and same_value(np.int64(int(as_float)), loaded)


@given(_numbers, _numbers)
def test_different_numbers_are_changes(a, b):
    assert same_value(a, b) == (float(a) == float(b))
    assert changed_fields({"v": a, "w": "x"}, {"v": b, "w": "x"}) == ({} if float(a) == float(b) else {"v": b})


@pytest.mark.parametrize("old, new, same", [
    (None, None, True), (math.nan, None, True), (pd.NA, math.nan, True), (None, 0, False), (math.nan, "", False),
    ("2020-01-01", "2020-01-01", True), ("2020-01-01", "2020-01-02", False), ("completed", "planned", False),
    (1, True, True), (np.bool_(False), 0, True), ("abc", 1.0, False), ("3", 3, True),
])
def test_same_value_gaps_text_and_flags(old, new, same):
    assert same_value(old, new) is same


def test_changed_fields_keeps_only_changed_fields_of_the_form():
    loaded = {"status": "planned", "progress_pct": 0.0, "completed_year": None, "cost_wan": 5, "version": 3}
    new = {"status": "completed", "progress_pct": 100.0, "completed_year": 2020, "cost_wan": 5.0}
    assert changed_fields(loaded, new) == {"status": "completed", "progress_pct": 100.0, "completed_year": 2020}
    assert changed_fields(loaded, {"status": "planned", "cost_wan": 5.0}) == {}


def test_as_text_gives_one_text_column_type_for_mixed_tables():
    import pyarrow as pa

    from bangfu.workspace.display import as_text

    mixed = pd.DataFrame({"item": ["项目数", "成本", "差距"], "greedy": [12, 1246.4, "3.78%"],
                          "exact": [1234567, 0.5, float("nan")]})
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError)):
        pa.Table.from_pandas(mixed)  # what Streamlit would have to convert
    out = as_text(mixed)
    pa.Table.from_pandas(out)
    assert out["greedy"].tolist() == ["12", "1,246.4", "3.78%"]
    assert out["exact"].tolist() == ["1,234,567", "0.5", ""]
