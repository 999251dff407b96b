"""Pairing coverage and gap lists on hand-built villages and pairings (plus a brute-force property check)."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from bangfu import indicators as ind
from factories import Pairing

AS_OF = date(2020, 12, 31)
V = Pairing.villages()
E = Pairing.enterprises()
P = Pairing.pairings(V)
C = list(V["village_code"])


def _table(rule: ind.NeedyRule = ind.NeedyRule(key_villages=True, old_district=True), as_of: date = AS_OF,
           pairings: pd.DataFrame = P) -> pd.DataFrame:
    return ind.village_pairing_table(V, pairings, E, rule=rule, as_of=as_of)


def test_coverage_key_or_old_district():
    t = _table()
    assert list(t.loc[t["needy"], "village_code"]) == [C[0], C[1], C[2], C[4]]
    cov = ind.coverage(t)
    # village 0 is paired twice (P001, P002) and counts once; village 1 only has an ended pairing
    assert (cov.needy, cov.paired, cov.unpaired) == (4, 1, 3)
    assert cov.rate_pct == pytest.approx(25.0)
    by = cov.by_town.set_index("town_code")
    assert by.loc["440783116", ["needy", "needy_paired", "needy_unpaired"]].tolist() == [3, 1, 2]
    assert by.loc["440783117", ["needy", "needy_paired"]].tolist() == [1, 0]
    assert by.loc["440783117", "coverage_pct"] == 0.0
    total = cov.with_total("全市").iloc[-1]
    assert total["needy"] == 4 and total["coverage_pct"] == pytest.approx(25.0)


def test_gap_and_multi_lists():
    t = _table()
    gaps = ind.unpaired_needy(t)
    assert list(gaps["village_code"]) == [C[2], C[1], C[4]]  # most poor households first: 20, 5, 2
    multi = ind.multiply_paired(t)
    assert list(multi["village_code"]) == [C[0]] and multi["active_pairings"].iloc[0] == 2
    assert multi["enterprises"].iloc[0] == "开平农业公司、<script>x</script>旅游公司"


def test_ended_pairings_do_not_count_and_end_day_is_exclusive():
    # P003 (village 1) ends 2019-12-31: active the day before, not on its end date
    assert _table(as_of=date(2019, 12, 30)).set_index("village_code").loc[C[1], "paired"]
    assert not _table(as_of=date(2019, 12, 31)).set_index("village_code").loc[C[1], "paired"]
    # P005 (village 5) starts 2021-03-01: not active before
    assert not _table(as_of=AS_OF).set_index("village_code").loc[C[5], "paired"]
    assert _table(as_of=date(2021, 3, 1)).set_index("village_code").loc[C[5], "paired"]


def test_active_mask_open_and_missing_end():
    p = P.copy()
    assert ind.active_mask(p, AS_OF).tolist() == [True, True, False, True, False]
    assert ind.active_mask(p.iloc[:0], AS_OF).tolist() == []


@pytest.mark.parametrize(
    "rule,needy",
    [
        (ind.NeedyRule(key_villages=True, old_district=False), [0, 1, 4]),
        (ind.NeedyRule(key_villages=False, old_district=True), [0, 2]),
        (ind.NeedyRule(key_villages=False, min_poor_households=20), [0, 2]),  # >= N
        (ind.NeedyRule(key_villages=False, min_poor_households=0), [0, 1, 2, 3, 4, 5]),
        (ind.NeedyRule(key_villages=False, min_incidence_pct=10), [0, 2]),  # village 3 is exactly 10 %: not above
        (ind.NeedyRule(key_villages=True, min_poor_households=20, combine="all"), [0]),
        (ind.NeedyRule(key_villages=True, old_district=True, combine="all"), [0]),
        (ind.NeedyRule(key_villages=False, old_district=False), []),
    ],
)
def test_needy_rule_variants(rule: ind.NeedyRule, needy: list[int]):
    assert list(np.flatnonzero(ind.needy_mask(V, rule).to_numpy())) == needy


def test_no_needy_village_gives_undefined_coverage():
    cov = ind.coverage(_table(rule=ind.NeedyRule(key_villages=False, old_district=False)))
    assert cov.needy == 0 and np.isnan(cov.rate_pct)
    assert ind.fmt_pct(cov.rate_pct) == "—"


def test_rule_errors_and_wording():
    with pytest.raises(ValueError, match="'some'"):
        ind.NeedyRule(combine="some")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="0..100"):
        ind.NeedyRule(min_incidence_pct=120)
    assert ind.NeedyRule(old_district=True, min_poor_households=20).describe() == "重点帮扶村 或 老区村 或 贫困户不少于 20 户"
    assert ind.NeedyRule(old_district=False, min_incidence_pct=5, combine="all").describe("en") == "Key village and poverty incidence above 5%"
    assert ind.NeedyRule(min_incidence_pct=5, combine="all").describe() == "重点帮扶村 且 老区村 且 贫困发生率高于 5%"


def test_enterprise_load_and_town_sums():
    load = ind.enterprise_load(E, P, as_of=AS_OF)
    assert load.set_index("enterprise_id")["villages"].to_dict() == {"E1": 2, "E2": 1}
    assert list(ind.enterprise_load(E, P, as_of=AS_OF, min_villages=2)["enterprise_id"]) == ["E1"]
    towns = ind.pairings_by_town(V, P, as_of=AS_OF).set_index("town_code")
    assert towns.loc["440783116", ["产业", "就业", "商贸", "pairings", "poor_households_employed"]].tolist() == [1, 1, 0, 2, 14]
    assert towns.loc["440783116", "committed_wan"] == pytest.approx(70.0)
    assert towns.loc["440783117", ["公益", "pairings"]].tolist() == [1, 1]
    assert towns.loc["440783117", "committed_wan"] == pytest.approx(5.5)


def test_pairing_lines_run_from_enterprise_into_village():
    lines = ind.pairing_lines(V, E, P, as_of=AS_OF)
    assert list(lines["pairing_id"]) == list(P["pairing_id"])
    assert lines["active"].tolist() == [True, True, False, True, False]
    polys = V.set_index("village_code").geometry
    ents = E.set_index("enterprise_id").geometry
    for row in lines.itertuples():
        a, b = shapely.get_point(row.geometry, 0), shapely.get_point(row.geometry, -1)
        assert a.equals(ents[row.enterprise_id])
        assert polys[row.village_code].contains(b)
    orphan = P.assign(enterprise_id=["E404"] + list(P["enterprise_id"][1:]))
    assert len(ind.pairing_lines(V, E, orphan, as_of=AS_OF)) == len(P) - 1


def test_as_of_from_meta_or_today():
    today = date(2026, 5, 1)
    assert ind.resolve_as_of({"as_of": "2020-12-31"}, today) == date(2020, 12, 31)
    assert ind.resolve_as_of({"as_of": "not a date"}, today) == today
    assert ind.resolve_as_of({}, today) == today


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 5), st.integers(0, 2), st.integers(2015, 2024), st.one_of(st.none(), st.integers(2015, 2026))),
             max_size=15),
    st.integers(2016, 2025),
    st.booleans(), st.booleans(), st.one_of(st.none(), st.integers(0, 40)),
)
def test_coverage_matches_brute_force(rows, year, key, old, min_poor):
    pairings = pd.DataFrame(
        [{"pairing_id": f"P{i}", "enterprise_id": f"E{e + 1}", "village_code": C[v], "pairing_type": "产业",
          "start_date": f"{s}-01-01", "end_date": None if end is None else f"{end}-07-01", "committed_wan": 1.0,
          "poor_households_employed": 1, "version": 1}
         for i, (v, e, s, end) in enumerate(rows)],
        columns=list(P.columns),
    )
    as_of = date(year, 3, 1)
    rule = ind.NeedyRule(key_villages=key, old_district=old, min_poor_households=min_poor)
    cov = ind.coverage(_table(rule=rule, as_of=as_of, pairings=pairings))
    needy = [
        i for i, r in V.iterrows()
        if (key and r.is_key_village) or (old and r.is_old_district) or (min_poor is not None and r.poor_households >= min_poor)
    ]
    paired = {
        C[v] for v, _, s, end in rows if date(s, 1, 1) <= as_of and (end is None or date(end, 7, 1) > as_of)
    }
    assert cov.needy == len(needy)
    assert cov.paired == sum(C[i] in paired for i in needy)
