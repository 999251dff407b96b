"""Long reads on the page: a progress bar, a 取消 button, and the child process killed when the run stops.

:func:`run_cancellable` calls a limited function (:func:`bangfu.ingest.pipeline.prepare_import_limited`,
:func:`bangfu.editing.roads.read_bulk_table`…) with an ``on_tick`` that moves a progress bar
(elapsed time against the time limit). Pressing 取消 — or anything that reruns or stops the
script, such as closing the tab — makes Streamlit raise inside that callback, and
:func:`bangfu.ingest.sandbox.run_limited` kills the child before the exception goes on. A cancelled
read stays cancelled for that file until the user asks to read it again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import streamlit as st

from bangfu.core.labels import t

__all__ = ["run_cancellable", "cancelled", "CANCELLED_KEY"]

T = TypeVar("T")
CANCELLED_KEY = "_bangfu_cancelled"


def _cancel(key: str) -> None:
    st.session_state.setdefault(CANCELLED_KEY, set()).add(key)


def _resume(key: str) -> None:
    st.session_state.setdefault(CANCELLED_KEY, set()).discard(key)


def cancelled(key: str) -> bool:
    """True when the read ``key`` was cancelled and not resumed."""
    return key in st.session_state.get(CANCELLED_KEY, set())


def run_cancellable(lang: str, key: str, func: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
    """``func(*args, on_tick=…, **kwargs)`` with a progress bar and a cancel button; None when cancelled.

    ``key`` names this read (e.g. a hash of the file); a cancelled read shows a note and a button
    to read it again instead of starting.
    """
    if cancelled(key):
        st.info(t("upload.cancelled", lang))
        st.button(t("upload.retry", lang), key=f"{key}.retry", on_click=_resume, args=(key,))
        return None
    bar = st.empty()
    button = st.empty()
    button.button(t("upload.cancel", lang), key=f"{key}.cancel", on_click=_cancel, args=(key,))
    text = t("upload.working", lang)

    def tick(elapsed: float, limit: float) -> None:
        bar.progress(min(elapsed / limit, 1.0), text=text.format(s=elapsed, limit=limit))

    try:
        return func(*args, on_tick=tick, **kwargs)
    finally:
        bar.empty()
        button.empty()
