"""How the app tells the user something: one error display, one flash message, one guard.

* :func:`show_error` shows any exception: a :class:`bangfu.core.errors.BangfuError` with its message,
  hint and details; anything else as a generic Chinese/English message with the exception's text as
  details. Text that may come from data (names, codes, file rows) is never rendered as Markdown or
  HTML: messages go through :func:`md_text`, details through ``st.text``.
* :func:`flash` leaves a message (success / info / warning / error) to be shown once, after the
  next rerun, by :func:`show_flash` of the same ``slot`` — placed near the widget that caused it.
  The shell shows the default slot :data:`PAGE` at the top of every page.
* :func:`guard` is a context manager: a ``BangfuError`` raised in its block is shown with
  :func:`show_error` (the rest of the block is skipped) instead of Streamlit's English traceback
  box. ``app.py`` wraps every page in it; panels wrap the actions whose errors they expect.
  Other exceptions are bugs and pass through, so that they stay visible (and fail AppTests).
"""

from __future__ import annotations

import contextlib
import html
import re
from typing import Literal
from collections.abc import Iterator

import streamlit as st

from bangfu.core.errors import BangfuError
from bangfu.core.labels import t

__all__ = ["PAGE", "Kind", "md_text", "as_error", "show_error", "flash", "show_flash", "guard"]

Kind = Literal["success", "info", "warning", "error"]
#: The flash slot the shell shows at the top of every page.
PAGE = "page"
#: Details beyond this many lines are summarised as "… N more".
MAX_DETAILS = 50
_FLASH_KEY = "_bangfu_flash"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|~>$])")
WORD_JOINER = "\u2060"
_AUTOLINK_BREAK = re.compile(r"(?=[:@])|(?<=[wW]{2})(?=[wW])")


def md_text(value: object) -> str:
    """Any text made safe for ``st.markdown`` / ``st.error``: HTML escaped, Markdown punctuation
    backslash-escaped (so ``[x](url)``, ``![](url)``, ``**``, ``$…$`` from data show as typed), and an
    invisible word joiner (U+2060) before ``:`` and ``@`` and inside ``www`` so that GitHub-style
    autolinks (``http://host``, ``www.host``, ``a@b.cn``, found in the text after parsing) do not turn a
    name into a link either."""
    escaped = _MD_SPECIAL.sub(r"\\\1", html.escape(str(value), quote=False))
    return _AUTOLINK_BREAK.sub(WORD_JOINER, escaped)


def html_text(value: object) -> str:
    """Any text made safe inside raw HTML given to ``st.markdown(..., unsafe_allow_html=True)``: HTML escaped
    (quotes included) and every run of whitespace, line breaks included, made one space — a blank line would
    end the HTML block and let the rest of the text be read as Markdown (an image, a link)."""
    return html.escape(" ".join(str(value).split()), quote=True)


def as_error(exc: BaseException) -> BangfuError:
    """``exc`` itself if it is a :class:`BangfuError`, else a generic one naming it in its details."""
    if isinstance(exc, BangfuError):
        return exc
    text = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    return BangfuError(
        t("feedback.unexpected", "zh"), t("feedback.unexpected", "en"),
        hint_zh=t("feedback.unexpected_hint", "zh"), hint_en=t("feedback.unexpected_hint", "en"),
        details=text.splitlines()[:MAX_DETAILS],
    )


def show_error(exc: BaseException, lang: str, *, title: str | None = None) -> None:
    """Show ``exc``: one error box with the message (bold ``title`` first, if given) and the hint,
    then the details as plain text."""
    err = as_error(exc)
    colon = ": " if lang == "en" else "："
    body = md_text(err.message(lang))
    if title:
        body = f"**{md_text(title)}**{colon}{body}"
    hint = err.hint(lang)
    if hint:
        body += "\n\n" + md_text(f"{t('feedback.hint', lang)}{colon}{hint}")
    st.error(body)
    details = list(err.details)
    if details:
        shown = details[:MAX_DETAILS]
        if len(details) > MAX_DETAILS:
            shown.append(t("feedback.more", lang).format(n=len(details) - MAX_DETAILS))
        st.text("\n".join(shown))


_SHOW = {"success": st.success, "info": st.info, "warning": st.warning, "error": st.error}


def flash(message: str, *, kind: Kind = "success", slot: str = PAGE) -> None:
    """Leave ``message`` for the next run: :func:`show_flash` of ``slot`` shows it once.

    Call it just before ``st.rerun()`` after a write (save, undo, import, restore).
    """
    if kind not in _SHOW:
        raise ValueError(f"unknown flash kind {kind!r}; allowed: {', '.join(_SHOW)}")
    st.session_state.setdefault(_FLASH_KEY, {})[slot] = (kind, str(message))


def show_flash(slot: str = PAGE) -> None:
    """Show (once) the message left for ``slot`` by :func:`flash`, if any."""
    pending = st.session_state.get(_FLASH_KEY) or {}
    entry = pending.pop(slot, None)
    if entry is not None:
        kind, message = entry
        _SHOW[kind](md_text(message))


@contextlib.contextmanager
def guard(lang: str, *, title: str | None = None, stop: bool = False) -> Iterator[None]:
    """Show a :class:`BangfuError` raised in the block with :func:`show_error` instead of a traceback.

    The rest of the block is skipped; with ``stop=True`` the whole script run stops after the
    message (like ``st.stop()``). Other exceptions (and Streamlit's own stop/rerun) pass through.
    """
    try:
        yield
    except BangfuError as exc:
        show_error(exc, lang, title=title)
        if stop:
            st.stop()
