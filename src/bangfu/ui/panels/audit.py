"""Panels of the audit page: the audit trail filtered by user, action and dates; the accounts (administrators).

Both sections call the data layer with ``ctx.user`` and show its refusal (:class:`bangfu.workspace.access.AccessDenied`)
as the page's message: the audit trail needs ``view_audit`` (:func:`bangfu.workspace.audit.entries`), the accounts
``manage_users`` (:mod:`bangfu.workspace.accounts`, never in demo mode).
"""

from __future__ import annotations

import streamlit as st

from bangfu.core import vocab
from bangfu.core.labels import t
from bangfu.ui.feedback import flash, guard, show_flash
from bangfu.ui.shell import Context
from bangfu.workspace import accounts, audit, office_view
from bangfu.workspace.access import ROLES

__all__ = ["LIMIT", "tab_labels", "trail_section", "users_section"]

#: At most this many audit rows are shown at once (newest first).
LIMIT = 2000
FLASH_SLOT = "users"


def tab_labels(ctx: Context) -> list[str]:
    return [ctx.t("audit.tab_trail"), ctx.t("audit.tab_users")]


def trail_section(ctx: Context) -> None:
    """Filters (user, action, date range) and the matching audit rows, newest first, in local time."""
    with guard(ctx.lang):
        names = audit.actors(ctx.path, user=ctx.user)  # refuses roles without view_audit
        everyone = ctx.t("audit.all")
        c1, c2, c3 = st.columns(3)
        username = c1.selectbox(ctx.t("audit.filter_user"), [everyone, *names], key="audit_user")
        actions = vocab.AUDIT_ACTION.labels(ctx.lang)
        action = c2.selectbox(ctx.t("audit.filter_action"), ["", *actions], key="audit_action",
                              format_func=lambda a: actions.get(a, everyone))
        dates = c3.date_input(ctx.t("audit.filter_dates"), value=office_view.default_dates(), key="audit_dates")
        since, until = (dates[0], dates[-1]) if isinstance(dates, (tuple, list)) and dates else (None, None)
        frame = audit.entries(ctx.path, user=ctx.user, username=None if username == everyone else username,
                              action=action or None, since=since.isoformat() if since else None,
                              until=until.isoformat() if until else None, limit=LIMIT)
        m1, m2 = st.columns(2)
        m1.metric(ctx.t("audit.kpi_rows"), f"{len(frame):,}")
        m2.metric(ctx.t("audit.kpi_actors"), f"{frame['username'].nunique():,}")
        if frame.empty:
            st.info(ctx.t("audit.empty"))
            return
        if len(frame) >= LIMIT:
            st.caption(ctx.t("audit.limit").format(n=LIMIT))
        st.dataframe(office_view.audit_table(frame, ctx.lang), hide_index=True, use_container_width=True)


def users_section(ctx: Context) -> None:
    """The accounts, a form to add one, and disable/enable/reset-password for one (administrators only)."""
    show_flash(FLASH_SLOT)
    if ctx.user.source == "demo":  # the data layer refuses too; say what to do instead
        st.info(ctx.t("users.demo_note"))
        return
    with guard(ctx.lang):
        users = accounts.list_users(ctx.path, ctx.user)  # refuses without manage_users, and in demo mode
        st.metric(ctx.t("users.kpi_count"), f"{len(users):,}")
        st.dataframe(office_view.users_table(users, ctx.lang), hide_index=True, use_container_width=True)
        c1, c2 = st.columns(2)
        with c1:
            _add_form(ctx)
        with c2:
            _manage(ctx, users)


def _towns(ctx: Context) -> dict[str, str]:
    villages = ctx.layer("villages")
    pairs = villages[["town_code", "town_name"]].drop_duplicates().sort_values("town_code")
    return {str(c): f"{n}（{c}）" for c, n in zip(pairs["town_code"], pairs["town_name"])}


def _add_form(ctx: Context) -> None:
    towns = _towns(ctx)
    with st.form("user_add", clear_on_submit=True):
        st.markdown(f"**{ctx.t('users.add')}**")
        username = st.text_input(ctx.t("audit.col.username"), key="user_add_name")
        display_name = st.text_input(ctx.t("users.display_name"), key="user_add_display")
        role = st.selectbox(ctx.t("users.role"), list(ROLES), key="user_add_role",
                            format_func=lambda r: ROLES[r].label(ctx.lang))
        chosen = st.multiselect(ctx.t("users.towns"), list(towns), key="user_add_towns", format_func=lambda c: towns[c])
        email = st.text_input(ctx.t("users.email"), key="user_add_email")
        password = st.text_input(ctx.t("users.password"), type="password", key="user_add_pw",
                                 autocomplete="new-password")
        again = st.text_input(ctx.t("users.password2"), type="password", key="user_add_pw2",
                              autocomplete="new-password")
        submitted = st.form_submit_button(ctx.t("users.add"), type="primary")
    if submitted:
        with guard(ctx.lang):
            _same(ctx, password, again)
            account = accounts.add_user(ctx.path, ctx.user, username, password, role, towns=chosen,
                                        display_name=display_name, email=email)
            flash(ctx.t("users.added").format(name=account.username), slot=FLASH_SLOT)
            st.rerun()


def _same(ctx: Context, password: str, again: str) -> None:
    if password != again:
        raise accounts.AccountError(t("users.mismatch", "zh"), t("users.mismatch", "en"))


def _manage(ctx: Context, users: list[accounts.Account]) -> None:
    if not users:
        return
    st.markdown(f"**{ctx.t('users.manage')}**")
    by_name = {u.username: u for u in users}
    name = st.selectbox(ctx.t("users.pick"), list(by_name), key="user_pick",
                        format_func=lambda n: f"{n}（{by_name[n].display_name or ROLES[by_name[n].role].label(ctx.lang)}）")
    account = by_name[name]
    label = "users.enable" if account.disabled else "users.disable"
    if st.button(ctx.t(label), key="user_toggle"):
        with guard(ctx.lang):
            accounts.set_disabled(ctx.path, ctx.user, name, not account.disabled)
            done = "users.enabled_done" if account.disabled else "users.disabled_done"
            flash(ctx.t(done).format(name=name), slot=FLASH_SLOT)
            st.rerun()
    with st.form("user_reset", clear_on_submit=True):
        password = st.text_input(ctx.t("users.password"), type="password", key="user_reset_pw",
                                 autocomplete="new-password")
        again = st.text_input(ctx.t("users.password2"), type="password", key="user_reset_pw2",
                              autocomplete="new-password")
        submitted = st.form_submit_button(ctx.t("users.reset"))
    if submitted:
        with guard(ctx.lang):
            _same(ctx, password, again)
            accounts.set_password(ctx.path, ctx.user, name, password)
            flash(ctx.t("users.reset_done").format(name=name), slot=FLASH_SLOT)
            st.rerun()
