"""The briefing's content table: every figure, table and chart, and the function (by name) it comes from.

Each :class:`Section` lists one or more :class:`Source` s, tried in order. A source names a function
as ``"module:function"``; it is imported by name (:func:`importlib.import_module` + ``getattr``) only
when the briefing is built, so a section whose module or function has not been written yet says
"本节所需功能尚未完成" instead of failing. Connecting a new indicator is one edit of :data:`SECTIONS`.

Calling convention of a source: ``fn(*layers, *whole, **kwargs)`` where ``layers`` are the named
workspace layers restricted to the briefing's area by the app's one area rule
(:mod:`bangfu.workspace.areas`; ``"road_pieces"`` is the road pieces inside the area) and ``whole``
the named layers unrestricted (e.g. every road counts for the access share); ``"derived:<table>"`` names a table
stored beside the workspace (:mod:`bangfu.workspace.derived`; the loader gives it where the area's level reads the
stored tables, and raises ``LookupError`` elsewhere, so the next source computes the figure from the layers). ``pick`` takes an
attribute or key of the result and ``scale`` multiplies a number (``100`` turns a 0–1 share into per cent).
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass
from typing import Any, Literal
from collections.abc import Callable, Mapping

import pandas as pd

from bangfu.workspace.areas import PIECES, AreaLayers, area_for

__all__ = [
    "Source", "Column", "Section", "SectionResult", "AreaData", "SECTIONS", "KPI_KEYS",
    "resolve", "evaluate", "get_section",
]

Kind = Literal["kpi", "table", "series"]
Fmt = Literal["int", "pct", "float1", "text"]
Status = Literal["ok", "fallback", "missing", "error"]


@dataclass(frozen=True)
class Source:
    """A function, named ``"module:function"``, that computes a section's content."""

    target: str
    layers: tuple[str, ...] = ("villages",)
    whole: tuple[str, ...] = ()  # layers passed unrestricted, after ``layers``
    meta_kwarg: str | None = None  # keyword that receives the workspace meta (as_of, source...)
    kwargs: tuple[tuple[str, Any], ...] = ()
    pick: str | None = None
    scale: float = 1.0
    fallback: bool = False  # a simple stand-in until the real indicator lands (named in the notes)

    @property
    def module(self) -> str:
        return self.target.partition(":")[0]

    @property
    def function(self) -> str:
        return self.target.partition(":")[2]


@dataclass(frozen=True)
class Column:
    """A column of a briefing table: its label key, the result columns it may come from, its format."""

    label: str
    candidates: tuple[str, ...]
    fmt: Fmt = "text"
    width: float = 1.0  # relative width in the PDF table
    max_chars: int = 0  # cut longer text with "…" (0 = never)


@dataclass(frozen=True)
class Section:
    """One piece of the briefing: a KPI card, a table or a series (chart)."""

    key: str
    kind: Kind
    label: str  # key in bangfu.core.labels
    sources: tuple[Source, ...]
    fmt: Fmt = "int"
    columns: tuple[Column, ...] = ()
    max_rows: int = 10
    numbered: bool = False  # a table whose first column is the rank (1, 2, ...)
    sort_by: str | None = None  # a table sorted by this column, largest first, when present
    bounds: tuple[float, float] | None = None  # plausible range of a KPI value after scaling


def _totals(pick: str) -> tuple[Source, ...]:
    return (Source("bangfu.indicators:totals", ("villages",), pick=pick),)


_PCT = (0.0, 100.0)

#: The briefing, declared. Order of KPI sections = order of the cards.
SECTIONS: tuple[Section, ...] = (
    Section("villages", "kpi", "kpi.villages", _totals("villages")),
    Section("households", "kpi", "kpi.households", _totals("households")),
    Section("poor_households", "kpi", "kpi.poor_households", _totals("poor_households")),
    Section("poor_population", "kpi", "kpi.poor_population", _totals("poor_population")),
    Section("incidence", "kpi", "kpi.incidence", _totals("incidence_pct"), fmt="pct", bounds=_PCT),
    Section("old_district", "kpi", "kpi.old_district", _totals("old_district_villages")),
    Section(
        "hardening_rate", "kpi", "kpi.hardening_rate",
        (
            Source("bangfu.briefing.adapters:stored_hardening_share", ("villages",), whole=("derived:village_roads",), scale=100),
            Source("bangfu.briefing.adapters:road_hardening_share", (PIECES, "villages"), scale=100),
        ),
        fmt="pct", bounds=_PCT,
    ),
    Section(
        "access_share", "kpi", "briefing.kpi_access",
        (
            Source("bangfu.briefing.adapters:stored_access_share", ("villages",), whole=("derived:village_access", "villages"),
                   scale=100),
            Source("bangfu.briefing.adapters:road_access_share", ("villages", "households"),
                   whole=("roads", "villages"), scale=100),
        ),
        fmt="pct", bounds=_PCT,
    ),
    Section(
        "connected_villages", "kpi", "briefing.connected_villages",
        (
            Source("bangfu.briefing.adapters:stored_connected_share", ("villages",), whole=("derived:village_connection",), scale=100),
            Source("bangfu.briefing.adapters:connected_villages_share", ("villages",),
                   whole=("roads", "villages", "seats"), scale=100),
        ),
        fmt="pct", bounds=_PCT,
    ),
    Section(
        "pairing_coverage", "kpi", "kpi.pairing_coverage",
        (
            Source("bangfu.briefing.adapters:pairing_coverage_share", ("villages", "pairings"),
                   whole=("enterprises",), meta_kwarg="meta", scale=100),
        ),
        fmt="pct", bounds=_PCT,
    ),
    Section(
        "tourism_reach", "kpi", "briefing.kpi_tourism",
        (
            Source("bangfu.briefing.adapters:stored_tourism_share", ("villages",), whole=("derived:village_tourism", "villages"),
                   scale=100),
            Source("bangfu.briefing.adapters:poor_tourism_reach_share", ("villages", "households"),
                   whole=("tourism_sites",), scale=100),
        ),
        fmt="pct", bounds=_PCT,
    ),
    Section(
        "projects", "table", "briefing.projects",
        (Source("bangfu.briefing.adapters:stored_project_ranking", ("projects",), whole=("derived:catchments_straight",)),
         Source("bangfu.briefing.adapters:project_ranking", ("projects", "villages", "households", "roads"))),
        columns=(
            Column("briefing.col_project", ("name", "project_name"), width=3.2, max_chars=22),
            Column("briefing.col_type", ("project_type",), width=1.3),
            Column("briefing.col_village", ("village_name", "village"), width=1.4, max_chars=8),
            Column("briefing.col_cost", ("cost_wan",), "float1", width=1.2),
            Column("briefing.col_households", ("households", "households_benefited", "hh_all"), "int", width=1.2),
            Column("briefing.col_poor", ("poor_households", "hh_poor"), "int", width=1.2),
        ),
        max_rows=10,
        numbered=True,
    ),
    Section(
        "unpaired", "table", "briefing.unpaired",
        (
            Source("bangfu.briefing.adapters:unpaired_needy_villages", ("villages", "pairings"),
                   whole=("enterprises",), meta_kwarg="meta"),
        ),
        columns=(
            Column("briefing.col_village", ("village_name",), width=1.5, max_chars=8),
            Column("briefing.col_town", ("town_name",), width=1.3, max_chars=6),
            Column("briefing.col_poor_households", ("poor_households",), "int", width=1.0),
        ),
        max_rows=9,
        sort_by="poor_households",
    ),
    Section(
        "road_km_by_year", "series", "briefing.road_km",
        (
            Source("bangfu.briefing.adapters:stored_km_by_year", ("villages",), whole=("derived:village_roads",)),
            Source("bangfu.briefing.adapters:road_km_completed_by_year", (PIECES,)),
        ),
        fmt="float1",
    ),
)

KPI_KEYS: tuple[str, ...] = tuple(s.key for s in SECTIONS if s.kind == "kpi")


def get_section(key: str) -> Section:
    """The section called ``key``; the error lists the known ones."""
    for s in SECTIONS:
        if s.key == key:
            return s
    raise KeyError(f"no briefing section {key!r}; sections: {', '.join(s.key for s in SECTIONS)}")


# --------------------------------------------------------------------------- data of one area


class AreaData(AreaLayers):
    """Workspace layers restricted to the briefing's area (the county or a town), read lazily through
    ``loader`` and kept for one build; the area rule is :mod:`bangfu.workspace.areas`."""

    def __init__(
        self,
        loader: Callable[[str], pd.DataFrame],
        town_code: str | None = None,
        meta: Mapping[str, str] | None = None,
        *,
        pieces: Callable[[], pd.DataFrame] | None = None,
    ) -> None:
        super().__init__(loader, None, pieces)
        self.area = area_for(self.full("villages"), town_code)
        self.meta: Mapping[str, str] = dict(meta or {})

    @property
    def town_code(self) -> str | None:
        assert self.area is not None
        return self.area.town_code


# --------------------------------------------------------------------------- evaluation


@dataclass(frozen=True)
class SectionResult:
    """What a section computed: status, value, the source used and, if any, why not."""

    key: str
    status: Status
    value: Any = None
    source: str | None = None
    message: str = ""

    @property
    def available(self) -> bool:
        return self.status in ("ok", "fallback")


def resolve(target: str) -> Callable[..., Any] | None:
    """The function named ``"module:function"``, or None if that module or function does not exist yet.

    Errors raised *inside* an existing module while importing it are not hidden.
    """
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"source target {target!r} must look like 'package.module:function'")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = exc.name or ""
        if module_name == missing or module_name.startswith(missing + "."):
            return None
        raise
    fn = getattr(module, attr, None)
    return fn if callable(fn) else None


def _pick(value: Any, pick: str | None) -> Any:
    if pick is None:
        return value
    if isinstance(value, Mapping) or isinstance(value, pd.Series):
        return value[pick]
    return getattr(value, pick)


def _check(section: Section, value: Any) -> Any:
    """Normalise a value to what the section needs; raise ValueError quoting what came back."""
    if section.kind == "kpi":
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"expected a number, got {type(value).__name__}: {value!r:.80}") from None
        if math.isnan(number):
            return number
        if section.bounds and not section.bounds[0] <= number <= section.bounds[1]:
            raise ValueError(f"{number!r} is outside the plausible range {section.bounds}")
        return number
    if section.kind == "table":
        if not isinstance(value, pd.DataFrame):
            raise ValueError(f"expected a table (DataFrame), got {type(value).__name__}")
        return value
    if isinstance(value, pd.DataFrame) and value.shape[1] == 1:
        value = value.iloc[:, 0]
    if not isinstance(value, pd.Series):
        raise ValueError(f"expected a series (year → value), got {type(value).__name__}")
    return value


def _call(source: Source, data: AreaData, memo: dict[tuple[Any, ...], Any]) -> Any:
    fn = resolve(source.target)
    assert fn is not None
    memo_key = (source.target, source.layers, source.whole, source.meta_kwarg, source.kwargs)
    if memo_key not in memo:
        args = [data.layer(name) for name in source.layers] + [data.full(name) for name in source.whole]
        kwargs = dict(source.kwargs)
        if source.meta_kwarg:
            kwargs[source.meta_kwarg] = data.meta
        memo[memo_key] = fn(*args, **kwargs)
    value = _pick(memo[memo_key], source.pick)
    if source.scale != 1.0:
        value = float(value) * source.scale
    return value


def evaluate(section: Section, data: AreaData, memo: dict[tuple[Any, ...], Any] | None = None) -> SectionResult:
    """Try the section's sources in order; the first that exists and gives a usable value wins.

    A source whose module or function does not exist yet is skipped ("missing"); one that raises
    or returns something unusable is skipped with its error recorded ("error"), so that a signature
    changed by another module shows up in the briefing and the tests, not as a crash.
    """
    memo = {} if memo is None else memo
    problems: list[str] = []
    any_error = False
    for source in section.sources:
        if resolve(source.target) is None:
            problems.append(f"{source.target}: not available yet")
            continue
        try:
            value = _check(section, _call(source, data, memo))
        except Exception as exc:  # noqa: BLE001 — shown in the briefing and logged in the result
            any_error = True
            problems.append(f"{source.target}: {type(exc).__name__}: {exc}")
            continue
        status: Status = "fallback" if source.fallback else "ok"
        return SectionResult(section.key, status, value, source.target, "; ".join(problems))
    return SectionResult(section.key, "error" if any_error else "missing", None, None, "; ".join(problems))
