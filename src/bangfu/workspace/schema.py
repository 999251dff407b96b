"""Declarative layer definitions: columns, types, constraints, references, Chinese and English labels.

Every layer of a workspace is declared once here, as data. Validators, importers, exports,
tables in the app and column headers in Excel all read this table; nothing else hard-codes
column names or labels.

Dtypes are the small set the app understands: ``str``, ``int``, ``float``, ``bool``, ``date``
(ISO ``YYYY-MM-DD`` text), ``datetime`` (ISO text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bangfu.core import vocab
from bangfu.core.vocab import Term, Vocabulary

Dtype = Literal["str", "int", "float", "bool", "date", "datetime"]
GeometryKind = Literal["Polygon", "Point", "LineString", "Any"]

VILLAGE_CODE_PATTERN = r"^\d{12}$"
TOWN_CODE_PATTERN = r"^\d{9}$"
COUNTY_CODE_PATTERN = r"^\d{6}$"

# Allowed values of coded columns: the codes of the vocabularies in :mod:`bangfu.core.vocab`.
POVERTY_CAUSES: tuple[str, ...] = vocab.POVERTY_CAUSE.codes
ROAD_CLASSES: tuple[str, ...] = vocab.ROAD_CLASS.codes
ROAD_STATUSES: tuple[str, ...] = vocab.ROAD_STATUS.codes
ROAD_SURFACES: tuple[str, ...] = vocab.ROAD_SURFACE.codes
PAIRING_TYPES: tuple[str, ...] = vocab.PAIRING_TYPE.codes
PROJECT_TYPES: tuple[str, ...] = vocab.PROJECT_TYPE.codes
PROJECT_STATUSES: tuple[str, ...] = vocab.PROJECT_STATUS.codes
HISTORY_ACTIONS: tuple[str, ...] = vocab.EDIT_ACTION.codes
SITE_TYPES: tuple[str, ...] = vocab.SITE_TYPE.codes
SEAT_KINDS: tuple[str, ...] = vocab.SEAT_KIND.codes
SEAT_CODE_PATTERN = r"^(\d{9}|\d{12})$"


@dataclass(frozen=True)
class Column:
    """One column of a layer: its type, whether it is required and what values it may take."""

    name: str
    dtype: Dtype
    zh: str
    en: str
    required: bool = True
    unique: bool = False
    pattern: str | None = None
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    ref: str | None = None  # "layer.column" this value must exist in
    vocab: Vocabulary | None = None  # a coded column: its labels, colours and import spellings

    def __post_init__(self) -> None:
        if self.vocab is not None and self.choices is None and self.dtype == "str":
            object.__setattr__(self, "choices", self.vocab.codes)

    @property
    def vocabulary(self) -> Vocabulary | None:
        """The vocabulary the column's values are shown and parsed with (yes/no for every bool column)."""
        if self.vocab is not None:
            return self.vocab
        return vocab.YES_NO if self.dtype == "bool" else None

    def describe_constraint(self) -> str:
        """A short human-readable summary of the constraint (used in reports and docs)."""
        parts: list[str] = []
        if self.unique:
            parts.append("unique")
        if self.pattern:
            parts.append(f"matches {self.pattern}")
        if self.min is not None:
            parts.append(f">= {self.min:g}")
        if self.max is not None:
            parts.append(f"<= {self.max:g}")
        if self.choices:
            parts.append("one of " + "/".join(self.choices))
        if self.ref:
            parts.append(f"refers to {self.ref}")
        return ", ".join(parts)


@dataclass(frozen=True)
class RowRule:
    """A rule between two columns of the same row: ``left <op> right`` (only checked when both are set)."""

    left: str
    op: Literal["<=", ">="]
    right: str
    zh: str
    en: str


@dataclass(frozen=True)
class Layer:
    """A workspace layer: a GeoPackage table with or without geometry."""

    name: str
    zh: str
    en: str
    key: str
    geometry: GeometryKind | None
    columns: tuple[Column, ...]
    rules: tuple[RowRule, ...] = ()
    personal: bool = False  # household-level data: never in a cache shared between users
    append_only: bool = False
    versioned: bool = False  # carries a `version` column for optimistic concurrency
    importable: bool = True  # False for edit histories: written only by edits, never by an import (no forged history)
    optional: bool = False  # may be absent from a workspace (the demo leaves it out); read as an empty frame

    def column(self, name: str) -> Column:
        """The column called ``name`` (KeyError naming the allowed ones otherwise)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"layer {self.name!r} has no column {name!r}; columns: {', '.join(self.column_names)}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def labels(self, lang: str = "zh") -> dict[str, str]:
        """Column name → label in ``lang`` ("zh" or "en")."""
        return {c.name: (c.zh if lang == "zh" else c.en) for c in self.columns}

    def coded_columns(self) -> dict[str, Vocabulary]:
        """Column name → vocabulary of every coded or yes/no column."""
        return {c.name: c.vocabulary for c in self.columns if c.vocabulary is not None}

    def field_vocabulary(self) -> Vocabulary:
        """The layer's column names as a vocabulary (labels from this table): the ``field`` of its edit history."""
        return Vocabulary(f"{self.name}_field", "字段", "Field", tuple(Term(c.name, c.zh, c.en) for c in self.columns))


def _code(name: str, zh: str, en: str, pattern: str, **kw: object) -> Column:
    return Column(name, "str", zh, en, pattern=pattern, **kw)  # type: ignore[arg-type]


def _count(name: str, zh: str, en: str, **kw: object) -> Column:
    return Column(name, "int", zh, en, min=0, **kw)  # type: ignore[arg-type]


#: A village's code, name and its town and county (codes and names): the first columns of the villages layer and
#: the whole of the official village list (:data:`REFERENCE_VILLAGES`).
_VILLAGE_IDENTITY: tuple[Column, ...] = (
        _code("village_code", "村代码", "Village code", VILLAGE_CODE_PATTERN, unique=True),
        Column("village_name", "str", "村名", "Village name"),
        _code("town_code", "镇代码", "Town code", TOWN_CODE_PATTERN),
        Column("town_name", "str", "镇街", "Town"),
        _code("county_code", "县代码", "County code", COUNTY_CODE_PATTERN),
        Column("county_name", "str", "县市区", "County"),
)


VILLAGES = Layer(
    name="villages",
    zh="行政村",
    en="Villages",
    key="village_code",
    geometry="Polygon",
    columns=(
        *_VILLAGE_IDENTITY,
        _count("households", "总户数", "Households"),
        _count("population", "总人口", "Population"),
        _count("poor_households", "贫困户数", "Poor households"),
        _count("poor_population", "贫困人口", "Poor population"),
        Column("is_old_district", "bool", "老区村", "Old revolutionary base village"),
        Column("is_key_village", "bool", "重点帮扶村", "Key assistance village"),
        Column("collective_income_wan", "float", "村集体收入(万元)", "Collective income (10k yuan)", required=False, min=0),
    ),
    rules=(
        RowRule("poor_households", "<=", "households", "贫困户数不能大于总户数", "poor households exceed households"),
        RowRule("poor_population", "<=", "population", "贫困人口不能大于总人口", "poor population exceeds population"),
        RowRule("households", "<=", "population", "总户数不能大于总人口", "households exceed population"),
        RowRule("poor_households", "<=", "poor_population", "贫困户数不能大于贫困人口", "poor households exceed poor population"),
    ),
)

HOUSEHOLDS = Layer(
    name="households",
    zh="农户",
    en="Households",
    key="household_id",
    geometry="Point",
    personal=True,
    columns=(
        Column("household_id", "str", "户编号", "Household ID", unique=True),
        _code("village_code", "村代码", "Village code", VILLAGE_CODE_PATTERN, ref="villages.village_code"),
        Column("members", "int", "家庭人口", "Members", min=1),
        Column("is_poor", "bool", "低收入户", "Low-income (registered poor)"),
        Column("is_key", "bool", "重点帮扶户", "Key household (poor, with labour)"),
        Column("poverty_cause", "str", "致贫原因", "Poverty cause", required=False, vocab=vocab.POVERTY_CAUSE),
        Column("has_labour", "bool", "有劳动能力", "Has labour capacity"),
    ),
    rules=(
        RowRule("is_key", "<=", "is_poor", "重点帮扶户必须是低收入户", "a key household must be poor"),
        RowRule("is_key", "<=", "has_labour", "重点帮扶户必须有劳动能力", "a key household must have labour capacity"),
    ),
)

ROADS = Layer(
    name="roads",
    zh="农村道路",
    en="Rural roads",
    key="road_id",
    geometry="LineString",
    versioned=True,
    columns=(
        Column("road_id", "str", "道路编号", "Road ID", unique=True),
        Column("name", "str", "道路名称", "Road name"),
        _code("village_code", "所属村代码", "Village code", VILLAGE_CODE_PATTERN, ref="villages.village_code"),
        Column("road_class", "str", "道路等级", "Road class", vocab=vocab.ROAD_CLASS),
        Column("surface", "str", "路面", "Surface", required=False, vocab=vocab.ROAD_SURFACE),
        Column("status", "str", "硬化状态", "Hardening status", vocab=vocab.ROAD_STATUS),
        Column("planned_year", "int", "计划年份", "Planned year", required=False, min=2000, max=2100),
        Column("completed_year", "int", "完工年份", "Completed year", required=False, min=2000, max=2100),
        Column("progress_pct", "float", "进度(%)", "Progress (%)", min=0, max=100),
        Column("cost_wan", "float", "投资(万元)", "Cost (10k yuan)", required=False, min=0),
        Column("version", "int", "版本", "Version", min=1),
    ),
    rules=(
        RowRule("completed_year", ">=", "planned_year", "完工年份早于计划年份", "completed before planned year"),
    ),
)

def _history_columns(key: str, key_zh: str, key_en: str, ref: str) -> tuple[Column, ...]:
    """Columns of an append-only edit history table (one row per changed field)."""
    return (
        Column("change_id", "int", "记录号", "Change ID", unique=True, min=1),
        Column(key, "str", key_zh, key_en, ref=ref),
        Column("edit_id", "int", "修改批次", "Edit ID", min=1),
        Column("changed_at", "datetime", "修改时间", "Changed at"),
        Column("field", "str", "字段", "Field"),
        Column("old", "str", "原值", "Old value", required=False),
        Column("new", "str", "新值", "New value", required=False),
        Column("editor", "str", "修改人", "Editor"),
        Column("action", "str", "操作", "Action", vocab=vocab.EDIT_ACTION),
    )


ROAD_PROGRESS = Layer(
    name="road_progress",
    zh="道路进度记录",
    en="Road progress history",
    key="change_id",
    geometry=None,
    append_only=True,
    importable=False,
    columns=_history_columns("road_id", "道路编号", "Road ID", "roads.road_id"),
)

PAIRING_HISTORY = Layer(
    name="pairing_history",
    zh="结对修改记录",
    en="Pairing history",
    key="change_id",
    geometry=None,
    append_only=True,
    importable=False,
    columns=_history_columns("pairing_id", "结对编号", "Pairing ID", "pairings.pairing_id"),
)

TOURISM_SITES = Layer(
    name="tourism_sites",
    zh="乡村旅游点",
    en="Rural tourism sites",
    key="site_id",
    geometry="Point",
    columns=(
        Column("site_id", "str", "景点编号", "Site ID", unique=True),
        Column("name", "str", "名称", "Name"),
        Column("site_type", "str", "类型", "Type", vocab=vocab.SITE_TYPE),
        Column("a_level", "int", "A级", "A-level", required=False, min=0, max=5, vocab=vocab.A_LEVEL),
        _code("village_code", "所在村代码", "Village code", VILLAGE_CODE_PATTERN, ref="villages.village_code"),
        _count("annual_visitors", "年接待游客(人次)", "Annual visitors", required=False),
        _count("poor_households_employed", "带动贫困户就业(户)", "Poor households employed", required=False),
        Column("approximate_location", "bool", "位置为近似", "Approximate location", required=False),
        Column("synthetic", "bool", "示例数据", "Synthetic", required=False),
    ),
)

ENTERPRISES = Layer(
    name="enterprises",
    zh="帮扶企业",
    en="Enterprises",
    key="enterprise_id",
    geometry="Point",
    columns=(
        Column("enterprise_id", "str", "企业编号", "Enterprise ID", unique=True),
        Column("name", "str", "企业名称", "Enterprise name"),
        Column("industry", "str", "行业", "Industry"),
        Column("is_leading", "bool", "龙头企业", "Leading enterprise"),
        _count("employees", "职工人数", "Employees", required=False),
    ),
)

PAIRINGS = Layer(
    name="pairings",
    zh="企业结对",
    en="Enterprise–village pairings",
    key="pairing_id",
    geometry=None,
    versioned=True,
    columns=(
        Column("pairing_id", "str", "结对编号", "Pairing ID", unique=True),
        Column("enterprise_id", "str", "企业编号", "Enterprise ID", ref="enterprises.enterprise_id"),
        _code("village_code", "村代码", "Village code", VILLAGE_CODE_PATTERN, ref="villages.village_code"),
        Column("pairing_type", "str", "帮扶方式", "Pairing type", vocab=vocab.PAIRING_TYPE),
        Column("start_date", "date", "开始日期", "Start date"),
        Column("end_date", "date", "结束日期", "End date", required=False),
        Column("committed_wan", "float", "承诺资金(万元)", "Committed funds (10k yuan)", min=0),
        _count("poor_households_employed", "带动贫困户就业(户)", "Poor households employed", required=False),
        Column("version", "int", "版本", "Version", min=1),
    ),
    rules=(RowRule("end_date", ">=", "start_date", "结束日期早于开始日期", "end date before start date"),),
)


PROJECTS = Layer(
    name="projects",
    zh="候选项目",
    en="Candidate projects",
    key="project_id",
    geometry="Any",
    columns=(
        Column("project_id", "str", "项目编号", "Project ID", unique=True),
        Column("name", "str", "项目名称", "Project name"),
        Column("project_type", "str", "项目类型", "Project type", vocab=vocab.PROJECT_TYPE),
        Column("cost_wan", "float", "投资(万元)", "Cost (10k yuan)", min=0),
        _code("village_code", "所在村代码", "Village code", VILLAGE_CODE_PATTERN, ref="villages.village_code"),
        Column("status", "str", "状态", "Status", vocab=vocab.PROJECT_STATUS),
    ),
)

#: Village seats (村委会驻地) and town seats (镇政府驻地) where the office has them. Optional: without it (as in
#: the demo) the road network uses estimated seats (docs/roads.md). ``code`` must name a village (12 digits)
#: or a town (9 digits) of the villages layer and agree with ``kind``; checked in :mod:`bangfu.workspace.validate`.
SEATS = Layer(
    name="seats",
    zh="驻地",
    en="Seats",
    key="code",
    geometry="Point",
    optional=True,
    columns=(
        _code("code", "区划代码", "Code", SEAT_CODE_PATTERN, unique=True),
        Column("kind", "str", "驻地类型", "Seat kind", vocab=vocab.SEAT_KIND),
        Column("name", "str", "名称", "Name", required=False),
    ),
)

LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        VILLAGES, HOUSEHOLDS, ROADS, ROAD_PROGRESS, TOURISM_SITES, ENTERPRISES, PAIRINGS, PAIRING_HISTORY, PROJECTS,
        SEATS,
    )
}

#: Layers that must be present in every workspace (others may be empty but present).
REQUIRED_LAYERS: tuple[str, ...] = ("villages",)


@dataclass(frozen=True)
class Reference:
    """A foreign key: ``layer.column`` must name an existing ``target_layer.target_column``."""

    layer: str
    column: str
    target_layer: str
    target_column: str


def references() -> list[Reference]:
    """Every cross-layer reference declared in the table."""
    out: list[Reference] = []
    for layer in LAYERS.values():
        for col in layer.columns:
            if col.ref:
                tl, tc = col.ref.split(".")
                out.append(Reference(layer.name, col.name, tl, tc))
    return out


def get_layer(name: str) -> Layer:
    """The layer called ``name``; the error lists the known layers."""
    try:
        return LAYERS[name]
    except KeyError:
        raise KeyError(f"unknown layer {name!r}; known layers: {', '.join(LAYERS)}") from None


@dataclass(frozen=True)
class SchemaRow:
    """One row of the flattened schema table (for docs and the data-management page)."""

    layer: str
    column: str
    dtype: str
    required: bool
    constraint: str
    zh: str
    en: str
    extra: dict[str, str] = field(default_factory=dict)


def schema_table() -> list[SchemaRow]:
    """The schema as a flat table: one row per (layer, column)."""
    return [
        SchemaRow(layer.name, c.name, c.dtype, c.required, c.describe_constraint(), c.zh, c.en)
        for layer in LAYERS.values()
        for c in layer.columns
    ]


def column_labels(layer: str, lang: str = "zh") -> dict[str, str]:
    """Column name → label for a schema layer (for tables and Excel headers)."""
    return get_layer(layer).labels(lang)


#: The official village list of a new county's workspace (12-digit codes, names, towns), copied from the shipped
#: code list by :mod:`bangfu.workspace.create`: the reference imports are matched and checked against. A table of
#: the GeoPackage but NOT a user layer (not in :data:`LAYERS`): never imported, edited, exported or shown as a layer.
REFERENCE_VILLAGES = Layer(
    name="reference_villages",
    zh="官方村名录",
    en="Official village list",
    key="village_code",
    geometry=None,
    importable=False,
    optional=True,
    columns=_VILLAGE_IDENTITY,
)

#: Tables of a workspace that are not user layers, by name.
REFERENCE_TABLES: dict[str, Layer] = {REFERENCE_VILLAGES.name: REFERENCE_VILLAGES}
