"""The login gate: who is using this browser session, decided before any page reads the workspace.

:func:`current_user` is the first thing the shell (:func:`bangfu.ui.shell.current`) does after the page config:

* **Demo mode** — the office (``<workspace folder>/office.sqlite``) has no account: every visitor acts as
  :data:`DEMO_ADMIN`, an administrator (household data, edits, imports, exports, restores), except that accounts
  cannot be managed in the browser; every page shows :func:`demo_banner` saying so and how to create the first
  administrator on the command line. This keeps the README's one-step demo.
* **Accounts exist** — a session is signed in when ``st.session_state[SESSION_KEY]`` holds a live session token
  (:func:`bangfu.workspace.accounts.session_user`: not expired, account enabled). Otherwise the page shows only
  the sign-in form (no page links, no town list, no figure) and stops. The token lives in this browser session's
  server-side state, never in the URL or a cookie; reloading the page signs out.
* **Single sign-on** (optional) — with an ``[auth]`` section in ``.streamlit/secrets.toml`` the form also offers
  Streamlit's OIDC login (``st.login``); the identity's e-mail must belong to an enabled account
  (:func:`bangfu.workspace.accounts.login_identity`), otherwise it is refused.

Pages and panels only ever read ``ctx.user``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from bangfu.core.labels import t
from bangfu.ui.feedback import show_error
from bangfu.workspace import accounts
from bangfu.workspace.access import ROLES, Principal
from bangfu.workspace.accounts import LoginFailed

__all__ = ["DEMO_ADMIN", "SESSION_KEY", "current_user", "sign_out", "demo_banner", "user_box", "sso_configured"]

DEMO_ADMIN = Principal("demo", "admin", display_name="示例管理员", source="demo")
#: Where this browser session keeps its session token.
SESSION_KEY = "_bangfu_session_token"
_SSO_REFUSED = "_bangfu_sso_refused"


def sso_configured() -> bool:
    """Whether single sign-on is set up (an ``[auth]`` section in Streamlit's secrets)."""
    try:
        return "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all (Streamlit raises its own error type)
        return False


def _sso_user(lang: str, folder: Path) -> Principal | None:
    """The account of a single sign-on identity Streamlit holds (a new session for it), else None."""
    if not sso_configured() or not getattr(st.user, "is_logged_in", False):
        return None
    claims = st.user.to_dict()
    email = str(claims.get("email") or "")
    if st.session_state.get(_SSO_REFUSED) == email:
        return None
    try:
        token, user = accounts.login_identity(folder, claims)
    except LoginFailed as exc:
        st.session_state[_SSO_REFUSED] = email
        show_error(exc, lang)
        return None
    st.session_state[SESSION_KEY] = token
    return user


def current_user(lang: str, folder: Path) -> Principal:
    """The principal of this session; when the office has accounts and nobody is signed in, show the sign-in
    form and stop the page (``st.stop``) before anything of the workspace is read."""
    if not accounts.has_accounts(folder):
        return DEMO_ADMIN
    user = accounts.session_user(folder, st.session_state.get(SESSION_KEY))
    if user is not None:
        return user
    st.session_state.pop(SESSION_KEY, None)
    user = _sso_user(lang, folder)
    if user is not None:
        return user
    _login_form(lang, folder)
    st.stop()
    raise AssertionError("unreachable: st.stop() ends the script run")


def _login_form(lang: str, folder: Path) -> None:
    """The sign-in page: title, note, user name and password (cleared after each try), the SSO button."""
    st.title(t("auth.title", lang))
    st.caption(t("auth.intro", lang))
    with st.form("login", clear_on_submit=True):
        username = st.text_input(t("auth.username", lang), key="login_username", autocomplete="username")
        password = st.text_input(t("auth.password", lang), type="password", key="login_password",
                                 autocomplete="current-password")
        submitted = st.form_submit_button(t("auth.submit", lang), type="primary")
    if submitted:
        try:
            token, _ = accounts.login(folder, username, password)
        except LoginFailed as exc:
            show_error(exc, lang)
        else:
            st.session_state[SESSION_KEY] = token
            st.rerun()
    st.caption(t("auth.forgot", lang))
    if sso_configured():
        if getattr(st.user, "is_logged_in", False):
            if st.button(t("auth.sso_logout", lang), key="sso_logout"):
                st.session_state.pop(_SSO_REFUSED, None)
                st.logout()
        elif st.button(t("auth.sso", lang), key="sso_login"):
            st.login()


def sign_out(folder: Path, user: Principal) -> None:
    """End this browser session's sign-in (and the identity provider's, after single sign-on), then rerun."""
    accounts.end_session(folder, st.session_state.pop(SESSION_KEY, None))
    if user.source == "oidc" and sso_configured():
        st.logout()
    st.rerun()


def user_box(lang: str, folder: Path, user: Principal) -> None:
    """In the sidebar: who is signed in (name and role) and the sign-out button; in demo mode, that it is."""
    if user.source == "demo":
        st.caption(f"{t('auth.signed_in', lang)}：{t('auth.demo_user', lang)}")
        return
    role = ROLES[user.role].label(lang)
    st.text(f"{t('auth.signed_in', lang)}：{user.name}（{role}）")  # a display name is data: plain text
    if st.button(t("auth.logout", lang), key="logout", icon=":material/logout:"):
        sign_out(folder, user)


def demo_banner(lang: str, user: Principal) -> None:
    """The demo-mode warning at the top of every page (nothing when signed in)."""
    if user.source == "demo":
        st.warning(t("auth.demo_banner", lang), icon=":material/lock_open:")
