"""Who may do what: the declarative roles table, the signed-in principal and the checks the data layer runs.

Every function that reads personal data or writes the workspace takes the acting :class:`Principal` and calls
:func:`require` before it touches anything; the interface hides what a role cannot do, but the refusal happens
here, so a URL, a widget key or a direct call cannot get round it.

Roles (see :data:`ROLES`):

* ``admin`` — users, imports, restores, every edit and export, household data;
* ``county_planner`` — every edit and export, household data;
* ``town_planner`` — edits and household data only in their own towns (``Principal.towns``);
* ``viewer`` — maps, figures and briefings: aggregates only, never a household row or point, with counts of
  fewer than :data:`SMALL_CELL` households suppressed.
"""

from __future__ import annotations

import getpass
import math
from dataclasses import dataclass, field
from collections.abc import Iterable, Mapping

import pandas as pd

from bangfu.core.errors import BangfuError

__all__ = [
    "Permission", "Role", "ROLES", "PERMISSIONS", "Principal", "AccessDenied", "role", "can", "require",
    "SMALL_CELL", "SUPPRESSED", "suppress_small", "cli_principal",
]

#: Aggregates over fewer households than this are not shown to roles without household access.
SMALL_CELL = 5
#: What a suppressed cell shows.
SUPPRESSED = "<5"


@dataclass(frozen=True)
class Permission:
    """One thing a role may do, with its Chinese and English name (used in refusals)."""

    key: str
    zh: str
    en: str


PERMISSIONS: Mapping[str, Permission] = {p.key: p for p in (
    Permission("view", "查看地图、指标和简报", "view maps, figures and briefings"),
    Permission("view_households", "查看农户明细和点位", "see household rows and points"),
    Permission("edit", "修改道路和结对", "edit roads and pairings"),
    Permission("export", "导出数据", "export data"),
    Permission("export_households", "导出农户明细", "export household records"),
    Permission("import", "导入数据", "import data"),
    Permission("restore", "恢复备份或示例数据", "restore a backup or the demo"),
    Permission("manage_users", "管理用户", "manage users"),
    Permission("view_audit", "查看操作记录", "view the audit trail"),
)}


@dataclass(frozen=True)
class Role:
    """A role: its labels, what it may do, and whether edits and household data are limited to its towns."""

    key: str
    zh: str
    en: str
    permissions: frozenset[str]
    town_scoped: bool = False

    def label(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


_ALL = frozenset(PERMISSIONS)
ROLES: Mapping[str, Role] = {r.key: r for r in (
    Role("admin", "管理员", "Administrator", _ALL),
    Role("county_planner", "县级规划员", "County planner",
         frozenset({"view", "view_households", "edit", "export", "export_households"})),
    Role("town_planner", "镇级规划员", "Town planner",
         frozenset({"view", "view_households", "edit", "export", "export_households"}), town_scoped=True),
    Role("viewer", "查看者", "Viewer", frozenset({"view", "export"})),
)}


def role(key: str) -> Role:
    """The role ``key`` (ValueError naming the allowed ones otherwise)."""
    try:
        return ROLES[key]
    except KeyError:
        allowed = "、".join(f"{k}（{r.zh}）" for k, r in ROLES.items())
        raise ValueError(f"未知的角色 {key!r}；可用角色：{allowed}") from None


@dataclass(frozen=True)
class Principal:
    """The acting user: account name, role and (for town planners) the 9-digit codes of their towns."""

    username: str
    role: str
    towns: tuple[str, ...] = ()
    display_name: str = ""
    source: str = "password"  # "password", "oidc", "cli" or "demo"
    extra: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        role(self.role)  # validates

    @property
    def name(self) -> str:
        """What the interface and the audit trail show for this user."""
        return self.display_name or self.username

    @property
    def role_spec(self) -> Role:
        return ROLES[self.role]


class AccessDenied(BangfuError):
    """An action the signed-in user's role does not allow."""


def _town_of(code: str | None) -> str | None:
    """The 9-digit town code of a town or village code (None stays None)."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return None
    s = str(code)
    return s[:9] if len(s) >= 9 else s


def can(user: Principal | None, permission: str, *, town_code: str | None = None) -> bool:
    """Whether ``user`` may do ``permission`` (for a town-scoped role: in the town of ``town_code``, a 9-digit
    town or 12-digit village code; without a code a town planner may do it only where the caller filters to
    their towns)."""
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}; known: {', '.join(PERMISSIONS)}")
    if user is None:
        return False
    spec = ROLES[user.role]
    if permission not in spec.permissions:
        return False
    if spec.town_scoped and town_code is not None:
        return _town_of(town_code) in set(user.towns)
    return True


def require(user: Principal | None, permission: str, *, town_code: str | None = None, what: str = "") -> None:
    """Raise :class:`AccessDenied` (Chinese message naming the action and who may do it) unless :func:`can`."""
    if can(user, permission, town_code=town_code):
        return
    perm = PERMISSIONS[permission]
    who = "、".join(r.zh for r in ROLES.values() if permission in r.permissions)
    target = f"（{what}）" if what else ""
    if user is None:
        raise AccessDenied(f"请先登录：{perm.zh}{target}需要登录。", f"Sign in first: {perm.en} needs an account.",
                           hint_zh="在登录页用您的账号登录。", hint_en="Sign in with your account.")
    if ROLES[user.role].town_scoped and permission in ROLES[user.role].permissions:
        towns = "、".join(user.towns) or "（未分配）"
        raise AccessDenied(
            f"您的账号只能{perm.zh}本人负责的镇街（{towns}）{target}。",
            f"Your account may {perm.en} only in its own towns ({towns}).",
            hint_zh="请在侧栏选择您负责的镇街，或请管理员调整您的账号。",
            hint_en="Choose one of your towns, or ask an administrator to change your account.",
        )
    raise AccessDenied(
        f"您的角色（{ROLES[user.role].zh}）不能{perm.zh}{target}。可以的角色：{who}。",
        f"Your role ({ROLES[user.role].en}) may not {perm.en}.",
        hint_zh="如需此权限，请联系管理员。", hint_en="Ask an administrator if you need this.",
    )


def suppress_small(table: pd.DataFrame, columns: Iterable[str], *, user: Principal | None,
                   threshold: int = SMALL_CELL) -> pd.DataFrame:
    """``table`` as ``user`` may see it: for roles without household access, every count in ``columns`` below
    ``threshold`` (but above zero) is replaced by :data:`SUPPRESSED`; other roles get the table unchanged."""
    if can(user, "view_households"):
        return table
    out = table.copy()
    for col in columns:
        if col not in out.columns:
            continue
        values = pd.to_numeric(out[col], errors="coerce")
        small = (values > 0) & (values < threshold)
        if small.any():
            out[col] = out[col].astype(object).where(~small, SUPPRESSED)
    return out


def cli_principal() -> Principal:
    """The principal of a command run on the server's own shell: whoever can run it there administers the
    files anyway, so it acts as an administrator, recorded under the operating-system account."""
    try:
        who = getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in a minimal container
        who = "unknown"
    return Principal(f"cli:{who}", "admin", display_name=f"命令行（{who}）", source="cli")
