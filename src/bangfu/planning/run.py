"""One planning run from workspace layers and options to ranking, portfolios and Excel sheets.

The page 项目规划 and ``python -m bangfu rank`` both call :func:`run`, so they produce the same
numbers. Geometry is turned into a coverage table once (:func:`bangfu.planning.coverage.build_coverage`);
everything after that is :mod:`bangfu.planning.solvers` on numbers.
"""

from __future__ import annotations

import math

import dataclasses
from dataclasses import dataclass, field
from collections.abc import Callable, Mapping

import pandas as pd

from bangfu.geo.network import RoadNetwork
from bangfu.planning import solvers as planning, stored
from bangfu.planning.coverage import CANDIDATE_STATUSES, build_coverage
from bangfu.planning.project_types import default_distances
from bangfu.export.tables import to_xlsx_bytes
from bangfu.workspace import areas, display, personal
from bangfu.workspace.access import Principal
from bangfu.core import formats
from bangfu.core.labels import t

__all__ = [
    "PlanOptions", "PlanResult", "run", "town_projects", "candidate_labels", "default_must_in", "DEFAULT_BUDGET", "default_budget", "labelled",
    "default_options", "plan_key", "QUICK_SECONDS",
    "excel_sheets", "excel_bytes", "summary", "kpis", "data_warnings", "status_messages", "curves", "scenario",
    "METHOD_LABELS", "method_label", "weights_text", "plain_summary", "settings_table", "hidden_kpis",
]

#: Called with (share done, what is being done); its return value is ignored (``st.progress`` returns an element).
Progress = Callable[[float, str], object]


@dataclass(frozen=True)
class PlanOptions:
    """Everything a planning run depends on (the page's widgets, the CLI's flags)."""

    budget: float
    weights: Mapping[str, float] = field(default_factory=lambda: dict(planning.DEFAULT_WEIGHTS))
    distances: Mapping[str, float] = field(default_factory=default_distances)
    new_access_only: bool = False
    must_in: tuple[str, ...] | None = None  # None: the approved projects
    excluded: tuple[str, ...] = ()
    min_per_town: int = 0
    town_code: str | None = None  # only candidates in this town
    time_limit: float = 30.0
    catchment: str = "straight"  # or "network": distances along roads (bangfu.planning.coverage.CATCHMENTS)


@dataclass
class PlanResult:
    """Ranking, both portfolios and the coverage table they came from."""

    options: PlanOptions
    coverage: planning.Coverage
    ranking: pd.DataFrame
    greedy: planning.Portfolio
    exact: planning.Portfolio

    @property
    def greedy_gap(self) -> float:
        """(exact − greedy) / exact objective; 0 when the exact optimum is 0."""
        e = self.exact.objective
        return max(e - self.greedy.objective, 0.0) / e if e > 0 else 0.0

    @property
    def fallback(self) -> bool:
        return self.coverage.method == "village_area"


def town_projects(projects: pd.DataFrame, villages: pd.DataFrame, town_code: str | None) -> pd.DataFrame:
    """The projects of town ``town_code`` by the one area rule of :mod:`bangfu.workspace.areas` (a project
    belongs to its village's town); all projects when it is None or empty."""
    if not town_code:
        return projects
    return areas.area_slice(areas.area_for(villages, town_code), "projects", projects, villages=villages)


def candidate_labels(projects: pd.DataFrame, villages: pd.DataFrame, town_code: str | None = None) -> dict[str, str]:
    """Candidate project id → "id name" (the choices of the must-in and excluded lists)."""
    cand = town_projects(projects[projects["status"].astype(str).isin(CANDIDATE_STATUSES)], villages, town_code)
    ids = cand["project_id"].astype(str)
    return dict(zip(ids, ids + " " + cand["name"].astype(str)))


def default_must_in(projects: pd.DataFrame, *, town_code: str | None = None, villages: pd.DataFrame | None = None) -> tuple[str, ...]:
    """Project ids with status ``approved`` (already approved projects are in by default), of the town
    ``town_code`` when given with the whole village layer (the area rule of :mod:`bangfu.workspace.areas`)."""
    sel = projects[projects["status"].astype(str) == "approved"]
    if town_code and villages is not None:
        sel = town_projects(sel, villages, town_code)
    return tuple(sel["project_id"].astype(str))


#: The budget the planning form starts from (万元) when the approved projects fit in it.
DEFAULT_BUDGET = 500.0


def default_budget(projects: pd.DataFrame, must_in: tuple[str, ...] | list[str], *, step: float = 50.0) -> float:
    """A starting budget that always fits the projects in ``must_in`` (the approved ones): :data:`DEFAULT_BUDGET`,
    or their cost plus a fifth for new projects, rounded up to ``step`` — so the form never opens infeasible."""
    ids = set(map(str, must_in))
    need = float(pd.to_numeric(projects.loc[projects["project_id"].astype(str).isin(ids), "cost_wan"],
                               errors="coerce").fillna(0).sum())
    if need <= DEFAULT_BUDGET:
        return DEFAULT_BUDGET
    return float(math.ceil(need * 1.2 / step) * step)


def default_options(projects: pd.DataFrame, villages: pd.DataFrame, town_code: str | None = None) -> PlanOptions:
    """The options the planning form opens with in area ``town_code`` (None: the whole workspace): the approved
    candidates of the area must be in, a budget that fits them (:func:`default_budget`), the default weights,
    service distances and straight-line catchments. The stored portfolio (:mod:`bangfu.planning.stored`) is solved
    at these options."""
    labels = candidate_labels(projects, villages, town_code)
    approved = tuple(i for i in default_must_in(projects) if i in labels)
    return PlanOptions(budget=default_budget(projects, approved), must_in=approved, town_code=town_code or None)


def plan_key(options: PlanOptions, must_in: tuple[str, ...] | list[str] | None = None) -> str:
    """Everything the exact portfolio depends on in ``options``, as one string (the time limit left out: a proven
    optimum does not depend on it). ``must_in``: the projects that must be in when ``options.must_in`` is None."""
    import json

    must = options.must_in if options.must_in is not None else (must_in or ())
    return json.dumps({
        "budget": round(float(options.budget), 6),
        "weights": planning.check_weights(options.weights),
        "distances": {str(k): float(v) for k, v in sorted(options.distances.items())},
        "new_access_only": bool(options.new_access_only),
        "must_in": sorted(map(str, must)), "excluded": sorted(map(str, options.excluded)),
        "min_per_town": int(options.min_per_town), "town_code": options.town_code or "", "catchment": options.catchment,
    }, sort_keys=True, ensure_ascii=False)


#: Seconds the exact solve gets on a province or city page before it shows the best portfolio found so far (with its
#: proven gap and a button to solve on to the optimum within the form's time limit).
QUICK_SECONDS = 3.0


def run(
    layers: Mapping[str, pd.DataFrame],
    options: PlanOptions,
    *,
    progress: Progress | None = None,
    lang: str = "zh",
    network: RoadNetwork | None = None,
    coverage: planning.Coverage | None = None,
    stored_exact: Mapping[str, pd.DataFrame] | None = None,
) -> PlanResult:
    """Coverage → ranking → greedy → exact. Raises :class:`bangfu.planning.solvers.PlanningError` on bad input.

    ``network`` (the roads' network, e.g. from a cache) is used by ``options.catchment == "network"``.
    ``coverage``: the stored coverage of every candidate project of the workspace at ``options``' distances and
    catchment (:mod:`bangfu.planning.stored`); its rows of the area's projects are used instead of building one
    from the households (``layers`` then needs no households). ``stored_exact``: the stored exact portfolio
    (:func:`bangfu.planning.stored.portfolio_straight`), used instead of a solve when it was solved at these options
    on these projects."""
    say = progress or (lambda _f, _m: None)
    weights = planning.check_weights(options.weights)
    villages = layers["villages"]
    projects = town_projects(layers["projects"], villages, options.town_code)
    must = options.must_in if options.must_in is not None else default_must_in(projects)
    say(0.05, t("planning.progress.coverage", lang))
    if coverage is not None:
        cov = stored.subset(coverage, projects["project_id"].astype(str).tolist())
    else:
        cov = build_coverage(
            projects,
            villages,
            layers.get("households"),
            layers.get("roads"),
            distances=dict(options.distances),
            new_access_only=options.new_access_only,
            catchment=options.catchment,
            network=network,
        )
    if cov.n_projects == 0:
        raise planning.PlanningError(t("planning.no_candidates", "zh"), t("planning.no_candidates", "en"))
    say(0.45, t("planning.progress.ranking", lang))
    ranking = planning.ranking(cov, weights)
    cons = planning.Constraints(
        budget=options.budget, must_in=tuple(must), excluded=tuple(options.excluded), min_per_town=options.min_per_town
    )
    say(0.55, t("planning.progress.greedy", lang))
    greedy = planning.greedy(cov, weights, cons)
    exact = stored.stored_exact(stored_exact, cov, weights, cons, plan_key(options, must)) if stored_exact else None
    if exact is None:
        say(0.7, t("planning.progress.exact", lang).format(seconds=formats.number(options.time_limit)))
        exact = planning.solve_exact(cov, weights, cons, time_limit=options.time_limit, warm_start=greedy)
    say(1.0, t("planning.progress.done", lang))
    return PlanResult(options, cov, ranking, greedy, exact)


def labelled(df: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """A copy with Chinese (or English) headers (``planning.col.<column>``), coded values (project type,
    status) as their labels and notes as words."""
    out = df.copy()
    if "note" in out:
        out["note"] = out["note"].map(lambda k: t(f"planning.note.{k}", lang) if k else "")
    return display.labelled(out, lang, layers=("projects",), header_layers=(), prefix="planning.col.")


#: The label key of each portfolio method.
METHOD_LABELS: Mapping[str, str] = {"greedy": "planning.greedy", "exact": "planning.exact"}


def method_label(p: planning.Portfolio, lang: str = "zh") -> str:
    """The name of the method that built portfolio ``p`` (贪心法 / 精确最优); an exact solve stopped by its time limit
    is "best found", never "optimum"."""
    if p.method == "exact" and p.status != "optimal":
        return t("planning.exact_unproven", lang)
    return t(METHOD_LABELS[p.method], lang)


def _cost_status(p: planning.Portfolio, lang: str) -> str:
    return t(f"planning.cost.{p.cost_status}", lang) if p.cost_status else "—"


def summary(result: PlanResult, lang: str = "zh") -> pd.DataFrame:
    """Key figures of both portfolios side by side (one row per figure; the exact one headed by
    :func:`method_label`)."""
    rows = []
    exact = method_label(result.exact, lang)
    for key, get in (
        ("planning.kpi.projects", lambda p: len(p.chosen)),
        ("planning.kpi.cost", lambda p: round(p.cost, 2)),
        ("planning.kpi.households", lambda p: round(p.totals["households"], 1)),
        ("planning.kpi.poor", lambda p: round(p.totals["poor_households"], 1)),
        ("planning.col.poor_people", lambda p: round(p.totals["poor_people"], 1)),
        ("planning.col.old_households", lambda p: round(p.totals["old_households"], 1)),
        ("planning.col.key_households", lambda p: round(p.totals["key_households"], 1)),
        ("planning.kpi.score", lambda p: round(p.objective, 2)),
    ):
        rows.append({t("planning.item", lang): t(key, lang), t("planning.greedy", lang): get(result.greedy), exact: get(result.exact)})
    rows.append(
        {
            t("planning.item", lang): t("planning.kpi.gap", lang),
            t("planning.greedy", lang): f"{result.greedy_gap:.2%}",
            exact: f"{result.exact.gap:.2%}",
        }
    )
    rows.append(
        {
            t("planning.item", lang): t("planning.kpi.cost_status", lang),
            t("planning.greedy", lang): _cost_status(result.greedy, lang),
            exact: _cost_status(result.exact, lang),
        }
    )
    return pd.DataFrame(rows)


#: Shares computed over a project's household counts (hidden with their denominator).
_COUNT_SHARES: Mapping[str, str] = {"cost_per_poor_household": "poor_households"}


def for_user(result: PlanResult, user: Principal | None) -> PlanResult:
    """``result`` as ``user`` may see it: for a reader without household access (a viewer; a town planner,
    the projects carrying no town code), every project's household counts (ranking and the portfolios'
    marginal gains) of 1–4 are shown as "<5" (:func:`bangfu.workspace.personal.shown_counts`); totals of a
    portfolio and the chart's running totals are kept. Admins and county planners get ``result`` itself."""
    ranking = personal.shown_counts(result.ranking, user, planning.MEASURES, shares=_COUNT_SHARES, town_column=None)
    if ranking is result.ranking:
        return result
    gains = [f"gain_{m}" for m in planning.MEASURES]

    def steps(p: planning.Portfolio) -> planning.Portfolio:
        return dataclasses.replace(p, steps=personal.shown_counts(p.steps, user, gains, town_column=None))

    return dataclasses.replace(result, ranking=ranking, greedy=steps(result.greedy), exact=steps(result.exact))


def excel_sheets(result: PlanResult, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """Sheets of the Excel export: summary, ranking, greedy steps, exact portfolio (Chinese headers)."""
    names = ("汇总", "单项目排名", "贪心组合", "最优组合") if lang == "zh" else ("Summary", "Ranking", "Greedy", "Exact")
    if result.exact.status != "optimal":  # never "optimum" for a portfolio the solver did not prove
        names = (*names[:3], "目前最好组合" if lang == "zh" else "Best found")
    return {
        names[0]: summary(result, lang),
        names[1]: labelled(result.ranking, lang),
        names[2]: labelled(result.greedy.steps, lang),
        names[3]: labelled(result.exact.steps, lang),
    }


def excel_bytes(result: PlanResult, lang: str = "zh") -> bytes:
    """The Excel workbook of :func:`excel_sheets`."""
    return to_xlsx_bytes(excel_sheets(result, lang), lang)


def kpis(result: PlanResult, lang: str = "zh") -> list[tuple[str, str]]:
    """Key figures of the best plan (the exact portfolio): (label, formatted value). Households reached stand
    beside the weighted score the plan maximises; the method figures are in :func:`hidden_kpis`."""
    ex = result.exact
    return [
        (t("planning.kpi.projects", lang), f"{len(ex.chosen)}"),
        (t("planning.kpi.cost", lang), f"{ex.cost:,.1f}"),
        (t("planning.kpi.households", lang), f"{ex.totals['households']:,.0f}"),
        (t("planning.kpi.poor", lang), f"{ex.totals['poor_households']:,.0f}"),
        (t("planning.kpi.score", lang), f"{ex.objective:,.1f}"),
    ]


def hidden_kpis(result: PlanResult, lang: str = "zh") -> list[tuple[str, str]]:
    """The method's figures, for the "how is this computed" part: the quick pick's shortfall in score."""
    return [(t("planning.kpi.gap", lang), f"{result.greedy_gap:.2%}")]


def weights_text(weights: Mapping[str, float], lang: str = "zh") -> str:
    """The score's weights in words: "贫困户 ×3 + 老区村农户 ×2 + …" (zero weights left out)."""
    parts = [f"{t(f'planning.w_{k}', lang)} ×{formats.number(float(w))}" for k, w in weights.items() if float(w)]
    return " + ".join(parts) or "—"


def plain_summary(result: PlanResult, lang: str = "zh") -> list[tuple[str, str]]:
    """The result in plain words for a leader, as (level, text): what the best plan is (it maximises the weighted
    score within the budget, with the households it reaches), and — when the quick pick reaches more households —
    that "best" means the weighted score, not the most households."""
    ex, gr, opts = result.exact, result.greedy, result.options
    proven = ex.status == "optimal"
    out = [("info" if proven else "warning", t("planning.plain.best" if proven else "planning.plain.best_found", lang).format(
        budget=formats.number(opts.budget, 1), weights=weights_text(opts.weights, lang), n=len(ex.chosen),
        cost=formats.number(ex.cost, 1), households=formats.count(ex.totals["households"]),
        poor=formats.count(ex.totals["poor_households"]), score=formats.number(ex.objective, 1),
        gap=f"{ex.gap:.2%}", seconds=formats.number(opts.time_limit)))]
    more = gr.totals["households"] - ex.totals["households"]
    if more >= 0.5:
        out.append(("warning", t("planning.plain.more_households", lang).format(
            households=formats.count(gr.totals["households"]), more=formats.count(more),
            score=formats.number(gr.objective, 1), best=formats.number(ex.objective, 1))))
    return out


def settings_table(options: PlanOptions, lang: str = "zh") -> pd.DataFrame:
    """The settings behind a result (budget, weights, catchment, fairness, projects in and out), one row each:
    what a saved scenario shows above its figures."""
    from bangfu.planning.project_types import PROJECT_TYPE_TABLE

    rows = [
        (t("planning.budget", lang), formats.number(options.budget, 1)),
        (t("planning.weights", lang), weights_text(options.weights, lang)),
        (t("planning.distances", lang), "，".join(
            f"{PROJECT_TYPE_TABLE[k].label(lang)} {formats.number(float(d), 0)}" for k, d in options.distances.items()
            if k in PROJECT_TYPE_TABLE)),
        (t("planning.catchment", lang), t(f"planning.catchment.{options.catchment}", lang)),
        (t("planning.new_only", lang), formats.yes_no(options.new_access_only, lang)),
        (t("planning.min_per_town", lang), formats.number(options.min_per_town)),
        (t("planning.must_in", lang), "、".join(options.must_in or ()) or "—"),
        (t("planning.excluded", lang), "、".join(options.excluded) or "—"),
    ]
    return pd.DataFrame(rows, columns=[t("planning.setting", lang), t("planning.value", lang)])


def data_warnings(result: PlanResult, lang: str = "zh") -> list[str]:
    """Warnings about the data behind the numbers (village-area fallback, empty catchments)."""
    out = [t("planning.fallback", lang)] if result.fallback else []
    if "network_needs_households" in result.coverage.notes:
        out.append(t("planning.network_needs_households", lang))
    if result.ranking["households"].sum() == 0:
        out.append(t("planning.empty_catchments", lang))
    return out


def status_messages(result: PlanResult, lang: str = "zh") -> list[tuple[str, str]]:
    """What to tell the user about the exact solve: (level ``success`` / ``warning`` / ``caption``, text)."""
    ex = result.exact
    out: list[tuple[str, str]] = []
    if ex.status == "optimal":
        how = (t("planning.status.stored", lang).format(seconds=f"{ex.seconds:.1f}") if ex.extra.get("stored")
               else f"{ex.seconds:.1f} s")
        out.append(("success", f"{method_label(ex, lang)}：{t('planning.status.optimal', lang)}（{how}）"))
    else:
        out.append(("warning", f"{method_label(ex, lang)}：{t('planning.status.time_limit', lang).format(gap=f'{ex.gap:.2%}')}"))
    if ex.cost_status:
        out.append(("caption" if ex.cost_status == "minimal" else "warning", _cost_status(ex, lang)))
    return out


def curves(result: PlanResult, lang: str = "zh") -> pd.DataFrame:
    """Households covered against cumulative cost for both portfolios (column ``method`` = label)."""
    return pd.concat(
        [planning.cumulative_curve(p).assign(method=method_label(p, lang)) for p in (result.greedy, result.exact)],
        ignore_index=True,
    )


def scenario(result: PlanResult, lang: str = "zh") -> dict[str, pd.DataFrame]:
    """What a saved scenario keeps: its settings (budget, weights, …), the summary and the exact portfolio's
    projects (step to town)."""
    return {"settings": settings_table(result.options, lang), "summary": summary(result, lang),
            "projects": labelled(result.exact.steps, lang).iloc[:, 1:6]}
