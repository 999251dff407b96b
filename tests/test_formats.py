"""One format for people: numbers, counts, 是/否, China-time dates (bangfu.core.formats), on every page's tables,
pickers and downloads."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta, UTC
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from bangfu.core import formats
from bangfu.core.vocab import MISSING_LABEL
from bangfu.export import tables as exports
from bangfu.ui.pages import PAGES

ROOT = Path(__file__).resolve().parents[1]
#: What a person must never read in a table cell, a picker or a download.
RAW = re.compile(r"^(None|nan|NaN|NaT|<NA>|True|False)$|～nan|\d{4}-\d\d-\d\dT\d\d:\d\d|[+]08:00")


def _raw_cells(frame: pd.DataFrame) -> list[str]:
    return [str(v) for v in frame.astype(object).to_numpy().ravel() if RAW.search(str(v))]


def test_numbers_and_counts():
    assert formats.number(1234567.891) == "1,234,567.89" and formats.number(2000.0) == "2,000"
    assert formats.number(3.10) == "3.1" and formats.number(7) == "7" and formats.number(np.int64(6875)) == "6,875"
    assert formats.number(None) == formats.number(float("nan")) == MISSING_LABEL
    assert formats.count(6875.0) == "6,875" and formats.count(np.float64(12.6)) == "13" and formats.count(None) == "—"
    assert formats.yes_no(True, "zh") == "是" and formats.yes_no(np.bool_(False), "en") == "No"


def test_local_time_is_china_time_whatever_the_offset():
    utc = datetime(2025, 1, 31, 20, 5, 9, tzinfo=UTC)
    assert formats.local_time(utc) == "2025-02-01 04:05"  # +8 h crosses midnight and the month
    assert formats.local_time("2025-02-01T04:05:09+08:00") == "2025-02-01 04:05"
    assert formats.local_time("2025-01-31T20:05:09Z", seconds=True) == "2025-02-01 04:05:09"
    assert formats.local_time("2025-02-01T04:05:09") == "2025-02-01 04:05"  # stored without offset: China time
    assert formats.local_time(pd.Timestamp(utc)) == "2025-02-01 04:05" and formats.local_time(None) == MISSING_LABEL
    assert formats.local_time("不是时间") == "不是时间"
    assert formats.now_local().utcoffset() == timedelta(hours=8)
    assert formats.local_date("2016-01-26") == "2016-01-26" and formats.local_date(float("nan")) == MISSING_LABEL


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.just(float("nan")), st.floats(-1e9, 1e9), st.integers(-10**9, 10**9).map(float)),
                min_size=1, max_size=12),
       st.lists(st.one_of(st.none(), st.booleans()), min_size=1, max_size=12))
def test_readable_never_shows_raw_values(numbers, flags):
    n = min(len(numbers), len(flags))
    frame = pd.DataFrame({
        "x": numbers[:n], "flag": pd.array(flags[:n], dtype="boolean"),
        "at": ["2024-05-01T09:00:00+08:00"] * n, "name": [None if i % 3 == 0 else f"村{i}" for i in range(n)],
    })
    for lang in ("zh", "en"):
        out = formats.readable(frame, lang)
        assert not _raw_cells(out), _raw_cells(out)
        x = out["x"]
        if x.dtype == object:  # a column with gaps: text, the same numbers as the input
            for v, shown in zip(numbers[:n], x):
                if v is None or v != v:
                    assert shown == MISSING_LABEL
                else:
                    assert float(shown.replace(",", "")) == pytest.approx(v, abs=0.006)
        else:  # no gaps: still numbers (sortable), whole numbers as integers
            assert np.allclose(x.astype(float), pd.Series(numbers[:n], dtype=float))
            assert not (pd.api.types.is_float_dtype(x) and (x % 1 == 0).all())
        assert set(out["flag"]) <= {"是", "否", "Yes", "No", MISSING_LABEL}
        assert set(out["at"]) == {"2024-05-01 09:00"}


def test_page_downloads_read_like_the_page():
    frame = pd.DataFrame({"已完成": [True, False], "时间": ["2024-05-01T01:00:00+00:00", None],
                          "户数": [6875.0, 12.0], "距离(米)": [2000.0, np.nan]})
    text = exports.to_csv_bytes(frame, "zh").decode("utf-8-sig")
    assert "True" not in text and "False" not in text and "T01:00" not in text and "6875.0" not in text
    assert "是" in text and "2024-05-01 09:00" in text and "2000.0" not in text
    book = pd.read_excel(io.BytesIO(exports.to_xlsx_bytes({"表": frame}, "en")), dtype=str)
    assert book["已完成"].tolist() == ["Yes", "No"] and book["户数"].tolist() == ["6875", "12"]
    # a layer export (no language) keeps stored values, to import again
    assert "True" in exports.to_csv_bytes(frame).decode("utf-8-sig")


@pytest.mark.parametrize("town", [None, "440783116"])
def test_no_page_shows_raw_values(demo_workspace: Path, monkeypatch: pytest.MonkeyPatch, town: str | None):
    """Every page on the demo (county and 赤水镇): no table cell, table, picker option or metric shows None, nan,
    True/False or an ISO timestamp, and no count column holds floats such as 6875.0."""
    monkeypatch.setenv("BANGFU_WORKSPACE", str(demo_workspace.parent))
    found: dict[str, list[str]] = {}
    for spec in PAGES:
        at = AppTest.from_file(str(ROOT / spec.path), default_timeout=300)
        if town:
            at.query_params["town"] = town
        at.run()
        assert not at.exception, (spec.path, [e.value for e in at.exception])
        bad: list[str] = []
        for df in [*at.dataframe, *at.table]:
            frame = pd.DataFrame(df.value)
            bad += _raw_cells(frame)
            for col in frame.columns:
                name = str(col)  # a count of households or people (not a share, a cost or a per-unit figure)
                counts = (re.search(r"(\(户\)|\(人\)|户数|农户|贫困户|人口)$", name) and not name.startswith("每")
                          and "%" not in name and "万元" not in name)
                values = frame[col]
                if counts and pd.api.types.is_float_dtype(values) and len(values.dropna()):
                    bad.append(f"count column {col!r} holds floats: {values.dropna().iloc[0]}")
        for box in [*at.selectbox, *at.multiselect]:
            bad += [o for o in map(str, box.options) if RAW.search(o) or "nan" in o.split("～")[-1]]
        bad += [m.value for m in at.metric if RAW.search(str(m.value))]
        if bad:
            found[spec.path] = bad[:5]
    assert not found, found


def test_briefing_footer_and_history_read_china_time(monkeypatch: pytest.MonkeyPatch):
    from bangfu.briefing import content as bc
    from bangfu.workspace import display
    from factories import Briefing, loader

    fixed = datetime(2025, 3, 1, 23, 30, tzinfo=formats.CHINA_TZ)  # 15:30 UTC: a server clock in UTC would say so
    monkeypatch.setattr(formats, "now_local", lambda: fixed)
    content = bc.compute_content(loader(Briefing.layers()), meta=Briefing.META)
    assert "2025-03-01 23:30" in content.footer and content.date_iso == "2025-03-01"
    history = pd.DataFrame({"road_id": ["R1"], "edited_at": ["2025-03-01T15:30:00+00:00"], "field": ["status"]})
    shown = display.labelled(history, "zh")
    assert shown.iloc[0].tolist()[1] == "2025-03-01 23:30"
