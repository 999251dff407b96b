"""docs/security.md stays true: its roles table is the roles table of the code, its numbers are the code's."""

from __future__ import annotations

from pathlib import Path

from bangfu.workspace import access, accounts

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "security.md"


def roles_markdown() -> str:
    """The roles × permissions table as docs/security.md must show it (generated from access.ROLES)."""
    perms = list(access.PERMISSIONS.values())
    head = "| 角色 | " + " | ".join(p.zh for p in perms) + " | 范围 |"
    rule = "|" + "---|" * (len(perms) + 2)
    rows = [
        f"| {r.zh}（`{r.key}`） | " + " | ".join("✓" if p.key in r.permissions else "—" for p in perms)
        + f" | {'本人负责的镇街' if r.town_scoped else '全部'} |"
        for r in access.ROLES.values()
    ]
    return "\n".join([head, rule, *rows])


def test_the_roles_table_is_the_code_s():
    expected = roles_markdown()
    assert expected in DOC.read_text(encoding="utf-8"), "docs/security.md: replace the roles table with\n" + expected


def test_the_numbers_in_the_doc_are_the_code_s():
    text = DOC.read_text(encoding="utf-8")
    hours = lambda d: int(d.total_seconds() // 3600)  # noqa: E731
    for fact in (f"{accounts.MIN_PASSWORD_LENGTH} 个字符", f"连续 {accounts.MAX_FAILURES} 次",
                 f"{int(accounts.LOCKOUT.total_seconds() // 60)} 分钟", f"{hours(accounts.IDLE_TIMEOUT)} 小时未操作",
                 f"登录 {hours(accounts.ABSOLUTE_TIMEOUT)} 小时后", f"少于 {access.SMALL_CELL} 户"):
        assert fact in text, fact


def test_the_doc_has_its_sections():
    text = DOC.read_text(encoding="utf-8")
    for heading in ("## 威胁模型", "## 角色与权限", "## 创建和管理账号", "## 密码和会话保存在哪里", "## 示例模式",
                    "## 统一身份认证（可选）", "## 限制", "### 上传文件的限制", "## 报告安全问题"):
        assert heading in text, heading
