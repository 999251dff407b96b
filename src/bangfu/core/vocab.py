"""Coded values: every vocabulary the data and the interface use, declared once with its labels and style.

A :class:`Vocabulary` is a concept (road status, project type, pairing type…) with an ordered tuple of
:class:`Term`: the stored ``code``, its Chinese and English label, the way it is drawn (colour, line
dash, icon) and the other spellings offices write in their spreadsheets (``synonyms``). The schema's
allowed values, every page, table, legend, export, CLI message and the briefing read labels and
colours from here; nothing else writes a coded value's label or colour.

Look-ups::

    ROAD_STATUS.label("planned", "zh")     # '计划硬化'
    ROAD_STATUS.color("completed")         # '#1a7a3a'
    ROAD_STATUS.parse("已完工")             # 'completed'
    YES_NO.label(True, "en")               # 'Yes'
    A_LEVEL.label(4)                       # '4A级'
    vocabulary("project_type").codes       # ('road_hardening', 'drinking_water', …)

What the rest of the package does with it: tables and downloads show labels in the active language
(:func:`bangfu.workspace.display.label_codes`); the importer turns labels and synonyms back into codes
(:func:`bangfu.workspace.display.parse_codes`); GeoPackage/GeoJSON/Shapefile exports keep codes;
layer exports to Excel carry Chinese labels (they import again). Codes are stored data: never rename one.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import SupportsInt
from collections.abc import Iterator, Mapping

__all__ = [
    "Term", "Vocabulary", "VOCABULARIES", "vocabulary",
    "ROAD_STATUS", "ROAD_CLASS", "ROAD_SURFACE", "PROJECT_TYPE", "PROJECT_STATUS", "PAIRING_TYPE",
    "POVERTY_CAUSE", "SITE_TYPE", "EDIT_ACTION", "NEEDY_CRITERION", "VILLAGE_FLAG", "PAIRING_STATE",
    "YES_NO", "A_LEVEL", "NEEDY_COMBINE", "PAIRING_ACTIVITY", "SECTION_STATUS", "AUDIT_ACTION", "SEAT_KIND", "HARDENED", "MISSING_LABEL", "is_missing",
]

#: How a missing value is shown in every table and export.
MISSING_LABEL = "—"


@dataclass(frozen=True)
class Term:
    """One coded value: the stored code, its labels and how it is drawn.

    ``color`` is the line or fill colour (CSS hex), ``dash`` a Leaflet/SVG ``dashArray`` ("" = solid),
    ``weight`` a line width in pixels, ``icon`` a short symbol for legends and cards; ``synonyms`` are
    other spellings accepted on import (matched case- and width-insensitively).
    """

    code: str
    zh: str
    en: str
    color: str = "#666666"
    dash: str = ""
    weight: float = 2.0
    icon: str = ""
    synonyms: tuple[str, ...] = ()

    def label(self, lang: str = "zh") -> str:
        """The label in ``lang`` ("zh" or "en"; anything else gives Chinese)."""
        return self.en if lang == "en" else self.zh

    def line_style(self) -> dict[str, object]:
        """A Leaflet path style for this term (colour, weight, dash)."""
        style: dict[str, object] = {"color": self.color, "weight": self.weight, "opacity": 0.95}
        if self.dash:
            style["dashArray"] = self.dash
        return style


def is_missing(value: object) -> bool:
    """True for None, NaN, pandas' NA/NaT, empty text and the missing-value label itself."""
    if value is None or (isinstance(value, float) and value != value):
        return True
    text = str(value).strip()
    return text in ("", "<NA>", "NaT", "nan", "NaN", "None", MISSING_LABEL)


def _key(code: object) -> str:
    """The text form of a stored value as a code: ``True`` → ``"true"``, ``4.0`` → ``"4"``."""
    if isinstance(code, bool) or type(code).__name__ in ("bool", "bool_"):  # also numpy booleans
        return "true" if code else "false"
    if isinstance(code, float) and code.is_integer():
        return str(int(code))
    if type(code).__name__.startswith("float") and isinstance(code, SupportsInt):  # numpy floats
        if hasattr(code, "is_integer") and code.is_integer():
            return str(int(code))
    return str(code)


def _norm(text: object) -> str:
    """Case-, width- and space-insensitive form used to match spellings."""
    s = unicodedata.normalize("NFKC", str(text)).strip().lower()
    return re.sub(r"[\s_\-]+", " ", s)


@dataclass(frozen=True)
class Vocabulary:
    """A named, ordered set of terms (the order is the display and legend order)."""

    key: str
    zh: str
    en: str
    terms: tuple[Term, ...]
    _index: dict[str, Term] = field(init=False, repr=False, compare=False)
    _spellings: dict[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {t.code: t for t in self.terms}
        if len(index) != len(self.terms):
            raise ValueError(f"vocabulary {self.key!r} has duplicate codes")
        spellings: dict[str, str] = {}
        for t in self.terms:
            for s in (t.code, t.zh, t.en, *t.synonyms):
                n = _norm(s)
                if spellings.get(n, t.code) != t.code:
                    raise ValueError(f"vocabulary {self.key!r}: {s!r} names both {spellings[n]!r} and {t.code!r}")
                spellings[n] = t.code
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_spellings", spellings)

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and code in self._index

    @property
    def codes(self) -> tuple[str, ...]:
        """The stored codes in display order."""
        return tuple(t.code for t in self.terms)

    def name(self, lang: str = "zh") -> str:
        """The concept's own name (e.g. 硬化状态)."""
        return self.en if lang == "en" else self.zh

    def term(self, code: object) -> Term:
        """The term of ``code`` (KeyError quoting the allowed codes otherwise)."""
        try:
            return self._index[_key(code)]
        except KeyError:
            raise KeyError(f"{self.key}: unknown code {code!r}; allowed: {', '.join(self.codes)}") from None

    def label(self, code: object, lang: str = "zh") -> str:
        """The label of ``code``; a missing value gives ``—`` and an unknown code is shown as it is."""
        if is_missing(code):
            return MISSING_LABEL
        term = self._index.get(_key(code))
        return str(code) if term is None else term.label(lang)

    def is_label(self, text: object, lang: str = "zh") -> bool:
        """Whether ``text`` is exactly the label of one of the terms in ``lang``."""
        return any(text == t.label(lang) for t in self.terms)

    def choices_text(self, lang: str = "zh") -> str:
        """The labels in display order as one phrase (``已硬化、在建、计划硬化、未硬化``), for messages."""
        return ("、" if lang != "en" else ", ").join(t.label(lang) for t in self.terms)

    def labels(self, lang: str = "zh") -> dict[str, str]:
        """Code → label, in display order."""
        return {t.code: t.label(lang) for t in self.terms}

    def color(self, code: object, default: str = "#666666") -> str:
        """The colour of ``code`` (``default`` when unknown)."""
        term = self._index.get(_key(code))
        return default if term is None else term.color

    def colors(self) -> dict[str, str]:
        """Code → colour, in display order."""
        return {t.code: t.color for t in self.terms}

    def parse(self, text: object) -> str | None:
        """The code a spelling stands for (code, either label or a synonym), or None.

        Every import of a coded value goes through here (layer imports, the road bulk update, yes/no
        columns, the CLI), so a spelling accepted in one place is accepted in all.
        """
        if is_missing(text):
            return None
        key = _key(text)
        return self._spellings.get(key) or self._spellings.get(_norm(key))  # exact spelling first (fast)

    def rank(self, code: object) -> int:
        """Position of ``code`` in display order (unknown codes last)."""
        try:
            return self.codes.index(_key(code))
        except ValueError:
            return len(self.terms)


# --------------------------------------------------------------------------- the vocabularies

#: The hardening status that counts as hardened in every indicator.
HARDENED = "completed"

ROAD_STATUS = Vocabulary("road_status", "硬化状态", "Hardening status", (
    Term("completed", "已硬化", "Hardened", "#1a7a3a", "", 2.6,
         synonyms=("已完工", "完工", "已完成", "硬化", "已硬化完成", "done", "hardened", "complete")),
    Term("under_construction", "在建", "Under construction", "#2166ac", "7 4", 2.6,
         synonyms=("施工中", "在建中", "正在施工", "under construction", "building")),
    Term("planned", "计划硬化", "Planned", "#7b3294", "2 4", 2.4,
         synonyms=("计划", "规划", "计划中", "拟建", "planning")),
    Term("unhardened", "未硬化", "Not hardened", "#8c510a", "8 3 2 3", 2.0,
         synonyms=("未开工", "土路", "not hardened", "unpaved")),
))

ROAD_CLASS = Vocabulary("road_class", "道路等级", "Road class", (
    Term("县道", "县道", "County road", "#444444", "", 3.0),
    Term("乡道", "乡道", "Township road", "#444444", "", 2.4),
    Term("村道", "村道", "Village road", "#444444", "", 2.0),
    Term("组道", "组道", "Hamlet road", "#444444", "", 1.6, synonyms=("通组路", "组路")),
))

ROAD_SURFACE = Vocabulary("road_surface", "路面", "Surface", (
    Term("水泥", "水泥", "Concrete", synonyms=("水泥路", "混凝土")),
    Term("沥青", "沥青", "Asphalt", synonyms=("沥青路", "柏油")),
    Term("砂石", "砂石", "Gravel", synonyms=("砂石路", "碎石")),
    Term("土路", "土路", "Earth", synonyms=("泥路", "土")),
))

PROJECT_TYPE = Vocabulary("project_type", "项目类型", "Project type", (
    Term("road_hardening", "道路硬化", "Road hardening", "#1a7a3a",
         synonyms=("道路", "村道硬化", "村道硬底化", "硬底化", "公路", "通村路", "road")),
    Term("drinking_water", "饮水安全", "Drinking water", "#1f78b4",
         synonyms=("饮水工程", "饮水", "安全饮水", "供水", "自来水", "water")),
    Term("bridge", "桥梁", "Bridge", "#6a3d9a", synonyms=("桥", "危桥改造")),
    Term("irrigation", "农田水利", "Irrigation", "#33a02c",
         synonyms=("水利", "灌溉", "水渠", "农田水利设施")),
    Term("clinic", "村卫生室", "Village clinic", "#e31a1c", synonyms=("卫生室", "卫生站", "诊所", "医疗")),
    Term("school", "学校", "School", "#ff7f00", synonyms=("小学", "教学点", "幼儿园")),
    Term("broadband", "宽带网络", "Broadband", "#17becf", synonyms=("宽带", "网络", "光纤", "通信")),
))

PROJECT_STATUS = Vocabulary("project_status", "项目状态", "Project status", (
    Term("candidate", "候选", "Candidate", "#969696", synonyms=("储备", "拟建", "备选")),
    Term("approved", "已批复", "Approved", "#2166ac", synonyms=("批复", "已批准", "已立项")),
    Term("under_construction", "在建", "Under construction", "#f08c00", synonyms=("施工中", "在建中")),
    Term("completed", "已建成", "Completed", "#1a7a3a", synonyms=("已完工", "完工", "建成")),
))

PAIRING_TYPE = Vocabulary("pairing_type", "帮扶方式", "Pairing type", (
    Term("产业", "产业", "Industry", "#1b9e77", synonyms=("产业帮扶", "投资")),
    Term("就业", "就业", "Employment", "#d95f02", synonyms=("就业帮扶", "用工")),
    Term("商贸", "商贸", "Trade", "#7570b3", synonyms=("商贸帮扶", "消费帮扶", "销售")),
    Term("智力", "智力", "Know-how", "#e7298a", synonyms=("智力帮扶", "技术", "培训")),
    Term("公益", "公益", "Charity", "#66a61e", synonyms=("公益帮扶", "捐赠", "志愿")),
))

POVERTY_CAUSE = Vocabulary("poverty_cause", "致贫原因", "Poverty cause", (
    Term("因病", "因病", "Illness"),
    Term("因残", "因残", "Disability"),
    Term("因学", "因学", "Schooling costs"),
    Term("因灾", "因灾", "Disaster"),
    Term("缺技术", "缺技术", "Lack of skills"),
    Term("缺劳力", "缺劳力", "Lack of labour"),
    Term("缺资金", "缺资金", "Lack of capital"),
    Term("其他", "其他", "Other"),
))

SITE_TYPE = Vocabulary("site_type", "旅游点类型", "Site type", (
    Term("碉楼村落", "碉楼村落", "Diaolou village", "#6a3d9a"),
    Term("古镇古村", "古镇古村", "Historic town or village", "#b15928"),
    Term("生态农业", "生态农业", "Eco-agriculture", "#33a02c"),
    Term("红色旅游", "红色旅游", "Red tourism", "#e31a1c"),
    Term("自然风光", "自然风光", "Natural scenery", "#1f78b4"),
    Term("民宿农家乐", "民宿农家乐", "Homestay and farm stay", "#ff7f00"),
))

#: What a seat point is the seat of (the ``kind`` of the optional ``seats`` layer): a village committee
#: (村委会驻地, 12-digit village code) or a town government (镇政府驻地, 9-digit town code).
SEAT_KIND = Vocabulary("seat_kind", "驻地类型", "Seat kind", (
    Term("village", "村委会驻地", "Village seat", "#b2182b", icon="▲",
         synonyms=("村", "村委会", "村委", "行政村", "村委会所在地", "村部", "village committee")),
    Term("town", "镇政府驻地", "Town seat", "#2166ac", icon="■",
         synonyms=("镇", "乡", "镇政府", "乡政府", "街道", "街道办", "乡镇", "镇街", "乡镇政府驻地", "township")),
))

#: What an edit did (the ``action`` of the history tables). A bulk edit is 批量更新 everywhere.
EDIT_ACTION = Vocabulary("edit_action", "操作", "Action", (
    Term("create", "新增", "Create", synonyms=("新建", "添加")),
    Term("edit", "修改", "Edit", synonyms=("编辑", "更改")),
    Term("bulk", "批量更新", "Bulk update", synonyms=("批量修改", "批量", "bulk edit")),
    Term("undo", "撤销", "Undo", synonyms=("撤回",)),
    Term("end", "结束", "End", synonyms=("终止",)),
))

#: The criteria of the needy-village rule (codes = the fields of ``bangfu.indicators.NeedyRule``); the
#: thresholds follow the label ("贫困户不少于 20 户", "贫困发生率高于 10%").
NEEDY_CRITERION = Vocabulary("needy_criterion", "需帮扶村认定条件", "Needy-village criterion", (
    Term("key_villages", "重点帮扶村", "Key village"),
    Term("old_district", "老区村", "Old-base village"),
    Term("min_poor_households", "贫困户不少于", "Poor households at least"),
    Term("min_incidence_pct", "贫困发生率高于", "Poverty incidence above"),
))

#: How the criteria of the needy rule combine: the word between them and the choice on the form.
NEEDY_COMBINE = Vocabulary("needy_combine", "条件组合", "Combine criteria", (
    Term("any", "或", "or", synonyms=("满足任一条件", "任一", "any criterion")),
    Term("all", "且", "and", synonyms=("同时满足全部条件", "全部", "all criteria")),
))

#: Village categories drawn as outlines over every choropleth.
VILLAGE_FLAG = Vocabulary("village_flag", "村类别", "Village category", (
    Term("old_district", "老区村", "Old-base village", "#1d3fbf", "", 3.2),
    Term("key_village", "重点帮扶村", "Key village", "#00a087", "7 6", 2.2),
))

#: Where a needy village stands on the pairing map.
PAIRING_STATE = Vocabulary("pairing_state", "结对情况", "Pairing state", (
    Term("gap", "未结对需帮扶村", "Needy, not paired", "#d7191c", "", 4.0),
    Term("paired", "已结对需帮扶村", "Needy, paired", "#238b45", "", 1.2),
    Term("other", "其他村", "Other villages", "#969696", "", 0.6),
))

#: Whether a pairing is in force on the as-of date (started and not ended).
PAIRING_ACTIVITY = Vocabulary("pairing_activity", "结对状态", "Pairing state", (
    Term("active", "在结对", "Active", "#238b45"),
    Term("ended", "已结束", "Ended", "#999999", synonyms=("未在结对", "inactive")),
))

#: Tourism site A-levels (国家A级旅游景区); the stored value is the number 0–5, 0 = not rated.
A_LEVEL = Vocabulary("a_level", "A级", "A-level", (
    Term("0", "未评级", "Not rated", synonyms=("无", "none", "未定级")),
    Term("1", "1A级", "1A", synonyms=("1A", "A", "A级")),
    Term("2", "2A级", "2A", synonyms=("2A", "AA", "AA级")),
    Term("3", "3A级", "3A", synonyms=("3A", "AAA", "AAA级")),
    Term("4", "4A级", "4A", synonyms=("4A", "AAAA", "AAAA级")),
    Term("5", "5A级", "5A", synonyms=("5A", "AAAAA", "AAAAA级")),
))

#: How far a briefing section (or KPI) could be computed.
SECTION_STATUS = Vocabulary("section_status", "状态", "Status", (
    Term("ok", "已完成", "ready", "#1a7a3a"),
    Term("fallback", "简易口径", "simple method", "#f08c00"),
    Term("missing", "功能尚未完成", "not built yet", "#969696"),
    Term("error", "计算出错", "failed", "#d7191c"),
))

#: Every yes/no column (stored as a boolean; ``true``/``false`` are the codes).
YES_NO = Vocabulary("yes_no", "是/否", "Yes/no", (
    Term("true", "是", "Yes", synonyms=("1", "1.0", "t", "y", "yes", "√", "✓", "✔", "有", "对")),
    Term("false", "否", "No", synonyms=("0", "0.0", "f", "n", "no", "×", "✗", "✘", "无", "没有", "不是")),
))

#: What the audit trail records (bangfu.workspace.audit).
AUDIT_ACTION = Vocabulary("audit_action", "操作类型", "Action", (
    Term("edit", "修改", "Edit"),
    Term("create", "新增记录", "Add a record"),
    Term("undo", "撤销", "Undo"),
    Term("bulk", "批量更新", "Bulk update"),
    Term("import", "导入", "Import"),
    Term("restore_backup", "恢复备份", "Restore a backup"),
    Term("restore_demo", "恢复示例数据", "Restore the demo"),
    Term("backup", "手动备份", "Manual backup"),
    Term("export_households", "导出农户明细", "Export household records"),
    Term("export", "导出", "Export"),
    Term("user_add", "新建用户", "Add user"),
    Term("user_change", "修改用户", "Change user"),
    Term("user_passwd", "修改密码", "Change password"),
    Term("user_disable", "停用用户", "Disable user"),
    Term("user_enable", "启用用户", "Enable user"),
    Term("login", "登录", "Sign in"),
    Term("login_failed", "登录失败", "Failed sign-in"),
    Term("logout", "退出登录", "Sign out"),
    Term("new_workspace", "新建工作空间", "New workspace"),
    Term("settings", "修改设置", "Change a setting"),
    Term("add_database", "添加数据库工作空间", "Add a database workspace"),
    Term("grant_readonly", "创建数据库只读角色", "Create a read-only database role"),
))

VOCABULARIES: Mapping[str, Vocabulary] = {v.key: v for v in (
    ROAD_STATUS, ROAD_CLASS, ROAD_SURFACE, PROJECT_TYPE, PROJECT_STATUS, PAIRING_TYPE, POVERTY_CAUSE,
    SITE_TYPE, EDIT_ACTION, AUDIT_ACTION, NEEDY_CRITERION, NEEDY_COMBINE, VILLAGE_FLAG, PAIRING_STATE, PAIRING_ACTIVITY,
    A_LEVEL, SECTION_STATUS, YES_NO, SEAT_KIND,
)}


def vocabulary(key: str) -> Vocabulary:
    """The vocabulary called ``key`` (KeyError naming the known ones otherwise)."""
    try:
        return VOCABULARIES[key]
    except KeyError:
        raise KeyError(f"no vocabulary {key!r}; known: {', '.join(VOCABULARIES)}") from None
