"""The vocabulary table: codes unique, labels in both languages, spellings unambiguous, schema in step."""

from __future__ import annotations

import pytest

from bangfu.core import vocab
from bangfu.workspace.schema import LAYERS


@pytest.mark.parametrize("voc", list(vocab.VOCABULARIES.values()), ids=list(vocab.VOCABULARIES))
def test_every_term_has_both_labels_and_parses_back(voc: vocab.Vocabulary):
    assert voc.zh and voc.en
    for term in voc:
        assert term.zh and term.en, term
        for spelling in (term.code, term.zh, term.en, *term.synonyms):
            assert voc.parse(spelling) == term.code
            assert voc.parse(f"  {spelling.upper()} ") == term.code


def test_labels_of_unknown_and_missing_values():
    assert vocab.ROAD_STATUS.label("planned", "zh") == "计划硬化"
    assert vocab.ROAD_STATUS.label("planned", "en") == "Planned"
    assert vocab.ROAD_STATUS.label("nonsense") == "nonsense"
    assert vocab.ROAD_STATUS.label(None) == vocab.MISSING_LABEL
    assert vocab.ROAD_STATUS.label(float("nan")) == vocab.MISSING_LABEL
    assert vocab.ROAD_STATUS.parse("no such status") is None


def test_schema_choices_are_vocabulary_codes():
    coded = {c.choices for layer in LAYERS.values() for c in layer.columns if c.choices}
    codes = {v.codes for v in vocab.VOCABULARIES.values()}
    assert coded <= codes, coded - codes


def test_label_codes_shows_labels_yes_no_and_missing():
    import numpy as np
    import pandas as pd

    from bangfu.workspace import display

    df = pd.DataFrame({"status": ["completed", "planned", None], "road_class": ["县道", "组道", "村道"],
                       "reached": pd.array([True, False, pd.NA], dtype="boolean"), "name": ["甲", None, "丙"],
                       "km": [1.0, np.nan, 2.0]})
    zh = display.label_codes(df, "zh", layers=("roads",))
    assert zh["status"].tolist() == ["已硬化", "计划硬化", vocab.MISSING_LABEL]
    assert zh["reached"].tolist() == ["是", "否", vocab.MISSING_LABEL]
    assert zh["name"].tolist() == ["甲", vocab.MISSING_LABEL, "丙"]
    assert zh["km"].isna().tolist() == [False, True, False]  # numbers keep their gaps
    en = display.label_codes(df, "en", layers=("roads",))
    assert en["status"].tolist()[:2] == ["Hardened", "Planned"] and en["road_class"].tolist()[0] == "County road"
    assert en["reached"].tolist()[:2] == ["Yes", "No"]
    # labelling twice changes nothing (labels are not codes)
    assert display.label_codes(zh, "zh", layers=("roads",)).equals(zh)


@pytest.mark.parametrize("text,code", [("饮水工程", "drinking_water"), ("卫生室", "clinic"), ("道路硬化", "road_hardening"),
                                       ("Village clinic", "clinic"), ("村道硬底化", "road_hardening")])
def test_project_type_spellings_parse_to_codes(text: str, code: str):
    from bangfu.planning.project_types import project_type

    assert vocab.PROJECT_TYPE.parse(text) == code
    assert project_type(text).key == code


@pytest.mark.parametrize("text,value", [("是", 1.0), ("否", 0.0), ("有", 1.0), ("无", 0.0), ("√", 1.0), ("×", 0.0),
                                        (1, 1.0), (0, 0.0), ("1", 1.0), (True, 1.0), ("Yes", 1.0), ("No", 0.0)])
def test_yes_no_spellings(text: object, value: float):
    from bangfu.workspace.validate import parse_bool

    assert parse_bool(text) == value


def test_parse_bool_refuses_what_is_not_yes_or_no():
    import math

    from bangfu.workspace.validate import parse_bool

    assert all(math.isnan(parse_bool(v)) for v in ("也许", 2, 0.5, "", None))


def test_history_fields_are_the_schema_labels():
    for name in ("roads", "pairings"):
        layer = LAYERS[name]
        fields = layer.field_vocabulary()
        assert fields.labels("zh") == layer.labels("zh") and fields.labels("en") == layer.labels("en")
