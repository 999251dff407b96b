"""One error type for everything a user can act on: a Chinese and an English message and a hint.

Every refusal the app or the CLI shows (a workspace that cannot be opened, a file refused on import,
a rejected edit, bad planning input…) is a :class:`BangfuError` subclass. The UI shows it with one
component (:func:`bangfu.ui.feedback.show_error`), the CLI prints ``错误：<message>`` and the hint
and exits with code 2; neither ever shows a traceback for it.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["BangfuError"]


class BangfuError(Exception):
    """An error with a message in Chinese (shown first) and English, and an optional hint and details.

    ``details`` are extra lines (e.g. the first problems of a report) shown under the message.
    """

    def __init__(
        self,
        message_zh: str,
        message_en: str = "",
        *,
        hint_zh: str = "",
        hint_en: str = "",
        details: Sequence[str] = (),
    ) -> None:
        super().__init__(message_zh)
        self.message_zh = message_zh
        self.message_en = message_en or message_zh
        self.hint_zh = hint_zh
        self.hint_en = hint_en or hint_zh
        self.details = tuple(details)

    def message(self, lang: str = "zh") -> str:
        """The message in ``lang`` ("zh" or "en")."""
        return self.message_en if lang == "en" else self.message_zh

    def hint(self, lang: str = "zh") -> str:
        """What the user can do about it, in ``lang`` ("" when there is nothing to add)."""
        return self.hint_en if lang == "en" else self.hint_zh
