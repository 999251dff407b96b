"""Text that comes from data: control characters found and stripped (imports, edits, exports, briefings).

Names, codes and notes from files or edit forms end up in Excel cells, Word documents, map
tooltips and the page. Control characters (C0/C1, DEL) and bidirectional-override marks break
those (openpyxl and python-docx refuse them) or disguise what a value says, so they are removed
wherever text comes in; tab and line breaks are kept only where :func:`strip_controls` is told so.
"""

from __future__ import annotations

import re

__all__ = ["CONTROL_RE", "has_controls", "strip_controls", "clean_value", "visible", "safe_filename"]

#: C0 controls (except tab/newline/carriage return), DEL, C1 controls and the bidi override/isolate marks.
CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS_RE = re.compile("[\t\n\r]")


def has_controls(text: str, *, keep_lines: bool = False) -> bool:
    """True when ``text`` holds a character :func:`strip_controls` would remove."""
    return bool(CONTROL_RE.search(text) or (not keep_lines and _LINE_BREAKS_RE.search(text)))


def strip_controls(text: str, *, keep_lines: bool = False) -> str:
    """``text`` without control characters; tabs and line breaks become spaces unless ``keep_lines``."""
    out = CONTROL_RE.sub("", text)
    return out if keep_lines else _LINE_BREAKS_RE.sub(" ", out)


def clean_value(value: object, *, keep_lines: bool = True) -> object:
    """Strings stripped of control characters (for cells written to Excel/Word); other values unchanged."""
    return strip_controls(value, keep_lines=keep_lines) if isinstance(value, str) else value


def visible(text: str) -> str:
    """``text`` with control characters shown as ``\\xNN`` escapes (for a report naming the bad value)."""
    def show(c: str) -> str:
        if not (CONTROL_RE.match(c) or _LINE_BREAKS_RE.match(c)):
            return c
        return f"\\x{ord(c):02x}" if ord(c) < 256 else f"\\u{ord(c):04x}"

    return "".join(show(c) for c in text)


_UNSAFE_NAME_RE = re.compile(r'[\\/:*?"<>|\[\]!()`#]')


def safe_filename(name: str, *, limit: int = 120) -> str:
    """A file or sheet name from data made harmless: no control characters, no path or Markdown punctuation."""
    out = _UNSAFE_NAME_RE.sub("_", strip_controls(str(name))).strip(" .") or "_"
    return out[:limit]
