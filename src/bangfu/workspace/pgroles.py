"""Database roles for desktop GIS: a read-only PostgreSQL role that sees one PostGIS workspace (QGIS, psql).

:func:`grant_readonly` creates the role if it does not exist (LOGIN, the password given, read-only transactions by
default) and grants exactly what reading the workspace needs: CONNECT on the database, USAGE on the workspace
schema, SELECT on its tables and views (also those created later by the role that runs this), and USAGE on
``public`` where PostGIS keeps ``spatial_ref_sys`` and ``geometry_columns``. Nothing else: no INSERT, UPDATE,
DELETE or CREATE. Names go through :class:`psycopg.sql.Identifier`, the password through
:class:`psycopg.sql.Literal` (no SQL is built by formatting user values). See ``docs/postgis.md``.
"""

from __future__ import annotations

import re

import psycopg
from psycopg import sql

from bangfu.workspace import pgconnect
from bangfu.workspace.errors import WorkspaceError

__all__ = ["ROLE_RE", "check_role", "grant_readonly", "readonly_sql"]

#: A role name we create: like a schema name (lower-case ASCII, digits, ``_``; at most 63 characters).
ROLE_RE = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def check_role(name: str) -> str:
    if not ROLE_RE.fullmatch(name) or name.startswith("pg_") or name in {"postgres", "public"}:
        raise WorkspaceError(
            f"数据库角色名“{name[:70]}”不合规则", f"role name {name[:70]!r} is not allowed",
            hint_zh="角色名只能用小写字母、数字和下划线，以字母或下划线开头，不超过 63 个字符，且不能是 postgres、public 或 pg_ 开头。",
            hint_en="Use lower-case letters, digits and underscores (start with a letter or _; at most 63), "
                    "not postgres, public or pg_*.",
        )
    return name


def readonly_sql(location: str | pgconnect.DatabaseLocation, role: str, *, owner: str,
                 create: bool = True, password: str | None = None) -> list[sql.Composed]:
    """The statements :func:`grant_readonly` runs, in order. ``owner``: the role that owns the workspace schema
    (the app's role; tables it creates later, e.g. by an import, become readable too); ``create``: the role does
    not exist yet (creating it, or setting a password, needs CREATEROLE)."""
    loc = pgconnect.parse(location)
    r, schema = sql.Identifier(check_role(role)), sql.Identifier(loc.schema)
    out: list[sql.Composed] = []
    if create:
        auth = sql.SQL(" PASSWORD {}").format(sql.Literal(password)) if password else sql.SQL("")
        out.append(sql.SQL("CREATE ROLE {} LOGIN{}").format(r, auth))
        out.append(sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(r))
    elif password:
        out.append(sql.SQL("ALTER ROLE {} PASSWORD {}").format(r, sql.Literal(password)))
    out += [
        sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(loc.dbname), r),
        sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, r),
        sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema, r),
        sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {}").format(
            sql.Identifier(owner), schema, r),
        sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(r),
    ]
    return out


def _no_createrole(loc: pgconnect.DatabaseLocation, role: str) -> WorkspaceError:
    user = loc.user or "（默认）"
    return WorkspaceError(
        f"用户 {user} 不能创建或修改数据库角色 {role}（需要 CREATEROLE 权限）",
        f"user {user} cannot create or change role {role} (needs CREATEROLE)",
        hint_zh="用数据库超级用户运行（在数据库服务器上：sudo -u postgres python -m bangfu db grant-readonly "
                f"'postgresql:///{loc.dbname}?host=/var/run/postgresql&schema={loc.schema}' --role {role}），"
                f"或请数据库管理员先 CREATE ROLE {role} LOGIN PASSWORD '…'，再由工作空间的所有者加 --no-password 授权。",
        hint_en="Run it as the database superuser (on the server: sudo -u postgres python -m bangfu db grant-readonly "
                f"'postgresql:///{loc.dbname}?host=/var/run/postgresql&schema={loc.schema}' --role {role}), or have "
                f"the administrator CREATE ROLE {role} LOGIN PASSWORD '…' and grant with --no-password as the owner.",
    )


def grant_readonly(location: str | pgconnect.DatabaseLocation, role: str, *, password: str | None = None) -> bool:
    """Give ``role`` read access to ``location``'s workspace schema, creating the role (LOGIN, ``password``,
    read-only by default) if it does not exist; one transaction. Returns True when the role was created.

    Creating the role or setting its password needs CREATEROLE (or the superuser); granting needs the workspace's
    owner (or the superuser). Faults are Chinese :class:`~bangfu.workspace.errors.WorkspaceError`\\ s (never the
    password)."""
    loc = pgconnect.parse(location)
    check_role(role)
    with pgconnect.connect(loc) as conn:
        try:
            with conn.transaction():
                found = conn.execute("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = %s",
                                     (loc.schema,)).fetchone()
                if found is None:
                    raise WorkspaceError(
                        f"数据库 {loc.dbname}（{loc.where()}）中没有工作空间 {loc.schema}",
                        f"database {loc.dbname} on {loc.where()} has no workspace {loc.schema}",
                        hint_zh="请检查地址中的 ?schema=，或先用 python -m bangfu copy 把工作空间复制到数据库。",
                        hint_en="Check ?schema= in the URL, or first copy a workspace there with python -m bangfu copy.")
                exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is not None
                statements = readonly_sql(loc, role, owner=str(found[0]), create=not exists, password=password)
                for i, statement in enumerate(statements):
                    try:
                        conn.execute(statement)
                    except psycopg.errors.InsufficientPrivilege:
                        if i < len(statements) - 5:  # creating the role or setting its password
                            raise _no_createrole(loc, role) from None
                        raise
        except psycopg.Error as exc:  # a grant refused, the connection lost...
            raise pgconnect.translate(exc, loc, secret=password) from None
    return not exists
