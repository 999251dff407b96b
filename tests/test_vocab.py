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
