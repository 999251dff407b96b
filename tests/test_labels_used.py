"""Every interface label is used: written out in the code, or built from a documented prefix (labels.BUILT_PREFIXES)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bangfu.core.labels import BUILT_PREFIXES, LABELS

ROOT = Path(__file__).resolve().parents[1]
LABELS_FILE = ROOT / "src" / "bangfu" / "core" / "labels.py"
CODE = sorted(p for p in [*ROOT.glob("src/bangfu/**/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]
              if p != LABELS_FILE)


def _strings() -> tuple[set[str], dict[str, set[str]]]:
    """Every string constant of the code (docstrings left out) and the literal heads of f-strings
    (``f"roads.tab.{k}"`` → ``roads.tab.``), with the files they are in."""
    constants: set[str] = set()
    heads: dict[str, set[str]] = {}
    for path in CODE:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                constants.add(node.value)
            elif isinstance(node, ast.JoinedStr) and len(node.values) > 1 and isinstance(node.values[0], ast.Constant):
                heads.setdefault(str(node.values[0].value), set()).add(path.name)
    return constants, heads


CONSTANTS, HEADS = _strings()


def _builds_keys(head: str) -> bool:
    """Whether a string is the prefix of a key family (a proper prefix of a label key, ending a segment)."""
    return head.endswith((".", "_")) and any(k.startswith(head) and k != head for k in LABELS)


def test_every_label_is_used():
    unused = [k for k in LABELS if k not in CONSTANTS and not k.startswith(tuple(BUILT_PREFIXES))]
    assert not unused, f"labels nothing uses (delete them, or list their prefix in BUILT_PREFIXES): {unused}"


def test_every_prefix_that_code_builds_keys_from_is_documented():
    built = {h for h in [*HEADS, *CONSTANTS] if _builds_keys(h)}
    assert built <= set(BUILT_PREFIXES), \
        f"code builds label keys from {sorted(built - set(BUILT_PREFIXES))}: list them in labels.BUILT_PREFIXES"
    stale = set(BUILT_PREFIXES) - built
    assert not stale, f"no code builds keys from {sorted(stale)}: remove them from BUILT_PREFIXES"


def test_no_prefix_is_a_whole_namespace():
    """A prefix such as "planning." would count every planning label as used: families are narrower, unless
    the family is checked key by key below (``basemap.``)."""
    namespaces = {k.split(".")[0] + "." for k in LABELS}
    assert not (set(BUILT_PREFIXES) & namespaces) - set(_families())


def _families() -> dict[str, set[str]]:
    from bangfu.core.vocab import NEEDY_COMBINE
    from bangfu.ingest.checks import LayerChange
    from bangfu.indicators import FLAG_FILTERS
    from bangfu.maps.base import BASEMAPS
    from bangfu.planning.solvers import WEIGHT_KEYS
    from bangfu.ui.panels import pairings, planning, roads

    return {
        "basemap.": set(BASEMAPS),
        "overview.filter.": set(FLAG_FILTERS),
        "pairings.combine_": set(NEEDY_COMBINE.codes),
        "pairings.tab_": set(pairings.TABS),
        "planning.save_": {s.lower() for s in planning.SCENARIOS},
        "planning.w_": set(WEIGHT_KEYS),
        "roads.tab.": set(roads.TABS),
        "data.change.": set(LayerChange("villages").counts()),
    }


@pytest.mark.parametrize("prefix", sorted(_families()))
def test_families_built_from_a_table_have_exactly_its_keys(prefix: str):
    """Where the values come from a table, the family holds one key per value: none missing, none dead."""
    have = {k[len(prefix):] for k in LABELS if k.startswith(prefix)}
    assert have == _families()[prefix]
