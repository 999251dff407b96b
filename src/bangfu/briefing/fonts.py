"""Finding a Chinese (CJK) font for the briefing's matplotlib figures, with a clear message if there is none."""

from __future__ import annotations

import contextlib
from pathlib import Path
from collections.abc import Iterator

import matplotlib
from matplotlib import font_manager

from bangfu.core.errors import BangfuError
from bangfu.core.labels import t

__all__ = ["NoCJKFontError", "PREFERRED_FAMILIES", "find_cjk_family", "cjk_rc"]

#: Families tried in order: Noto Sans CJK (Debian's fonts-noto-cjk), its Adobe twin, then common system fonts.
PREFERRED_FAMILIES: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
)

#: Files registered with matplotlib if its font cache predates the font's installation.
KNOWN_FILES: tuple[str, ...] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
)


class NoCJKFontError(BangfuError, RuntimeError):
    """No Chinese font is installed; ``message(lang)`` says how to install one."""

    def __init__(self) -> None:
        super().__init__(t("briefing.no_font", "zh"), t("briefing.no_font", "en"))


def _installed() -> set[str]:
    return {f.name for f in font_manager.fontManager.ttflist}


def find_cjk_family(preferred: tuple[str, ...] = PREFERRED_FAMILIES) -> str:
    """The first installed family of ``preferred`` (registering known Noto files if needed)."""
    names = _installed()
    for family in preferred:
        if family in names:
            return family
    for path in KNOWN_FILES:
        if Path(path).exists():
            with contextlib.suppress(Exception):
                font_manager.fontManager.addfont(path)
    names = _installed()
    for family in preferred:
        if family in names:
            return family
    raise NoCJKFontError()


@contextlib.contextmanager
def cjk_rc(family: str) -> Iterator[None]:
    """matplotlib settings for Chinese text: the CJK family first, no mathtext, a plain minus sign."""
    settings = {
            "font.family": "sans-serif",
            "font.sans-serif": [family, "DejaVu Sans"],
            "axes.unicode_minus": False,
            "text.parse_math": False,  # "$" in a village or project name is text, not maths
            "pdf.fonttype": 42,
            "ps.fonttype": 42,  # matplotlib 3.11 sizes PDF font subsets by this: one subset per font, not per 256 glyphs
            "svg.fonttype": "none",
    }
    if "text.language" in matplotlib.rcParams:  # matplotlib >= 3.11 shapes text: Chinese digit forms, one subset
        settings["text.language"] = "zh-Hans"
    with matplotlib.rc_context(settings):  # type: ignore[arg-type]  # matplotlib types rc keys as Literals; these are str
        yield
