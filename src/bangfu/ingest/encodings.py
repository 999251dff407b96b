"""Text encodings of uploads: honour a .cpg, else try UTF-8 strictly, then GB18030; offer a choice.

Shapefiles from Chinese desktop GIS often carry GBK text without a ``.cpg``; CSVs saved by
Excel on Chinese Windows are GBK too. The workspace always stores UTF-8.
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Iterable

#: Encodings the user can pick (codec → Chinese label). GB18030 is a superset of GBK and GB2312.
ENCODING_CHOICES: dict[str, str] = {
    "utf-8": "UTF-8（国际通用）",
    "gb18030": "GB18030 / GBK / GB2312（简体中文 Windows）",
    "big5": "Big5（繁体中文）",
    "latin-1": "Latin-1（西文）",
}

#: What a .cpg may say → the codec we use.
_CPG: dict[str, str] = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "65001": "utf-8",
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "gb18030": "gb18030",
    "936": "gb18030",
    "cp936": "gb18030",
    "ansi 936": "gb18030",
    "54936": "gb18030",
    "big5": "big5",
    "950": "big5",
    "cp950": "big5",
    "88591": "latin-1",
    "8859-1": "latin-1",
    "iso-8859-1": "latin-1",
    "iso88591": "latin-1",
    "latin1": "latin-1",
    "1252": "latin-1",
    "cp1252": "latin-1",
}


def codec_from_cpg(data: bytes | None) -> str | None:
    """The codec named by a ``.cpg`` file's content (``None`` when absent or unknown)."""
    if not data:
        return None
    text = data.decode("ascii", errors="ignore").strip().lower()
    return _CPG.get(text) or _CPG.get(text.replace("_", "-")) or _CPG.get(text.replace(" ", ""))


@dataclass(frozen=True)
class EncodingGuess:
    """The encoding chosen for a file and why (``source``: cpg / utf-8 / gb18030 / fallback / none)."""

    encoding: str
    source: str
    needs_confirmation: bool

    def describe_zh(self) -> str:
        label = ENCODING_CHOICES.get(self.encoding, self.encoding)
        why = {
            "cpg": "按 .cpg 文件的声明",
            "utf-8": "按 UTF-8 严格解码成功",
            "gb18030": "UTF-8 解码失败，按 GB18030（GBK）解码成功",
            "fallback": "UTF-8 和 GB18030 均无法完整解码，暂按 Latin-1 读取，请选择正确编码",
            "none": "文件内不含需要解码的文字",
            "user": "由用户指定",
            "format": "格式本身规定",
        }.get(self.source, self.source)
        return f"{label}（{why}）"


def _decodes(samples: Iterable[bytes], codec: str) -> bool:
    try:
        for b in samples:
            b.decode(codec, errors="strict")
    except UnicodeDecodeError:
        return False
    return True


def guess_encoding(samples: Iterable[bytes], *, cpg: bytes | None = None) -> EncodingGuess:
    """Honour a .cpg; otherwise UTF-8 if every sample decodes strictly, then GB18030, then Latin-1."""
    declared = codec_from_cpg(cpg)
    if declared:
        return EncodingGuess(declared, "cpg", needs_confirmation=False)
    items = [b for b in samples if b]
    if not items or all(b.isascii() for b in items):
        return EncodingGuess("utf-8", "none", needs_confirmation=False)
    if _decodes(items, "utf-8"):
        return EncodingGuess("utf-8", "utf-8", needs_confirmation=True)
    if _decodes(items, "gb18030"):
        return EncodingGuess("gb18030", "gb18030", needs_confirmation=True)
    return EncodingGuess("latin-1", "fallback", needs_confirmation=True)


def decode(data: bytes, encoding: str) -> str:
    """Decode text with the chosen codec; undecodable bytes become U+FFFD (shown in the preview)."""
    text = data.decode(encoding, errors="replace")
    return text[1:] if text.startswith("\ufeff") else text


def strip_bom(data: bytes) -> bytes:
    """Remove a UTF-8 byte-order mark."""
    return data[3:] if data.startswith(b"\xef\xbb\xbf") else data


def check_choice(encoding: str) -> str:
    """Validate a user-given encoding name (error lists the allowed ones)."""
    key = encoding.strip().lower().replace("_", "-")
    aliases = {"utf8": "utf-8", "gbk": "gb18030", "gb2312": "gb18030", "latin1": "latin-1", "cp936": "gb18030"}
    key = aliases.get(key, key)
    if key not in ENCODING_CHOICES:
        raise ValueError(f"unknown encoding {encoding!r}; allowed: {', '.join(ENCODING_CHOICES)} (or gbk)")
    return key
