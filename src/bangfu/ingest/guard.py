"""Upload guards: size limits, an extension allow-list, magic bytes and safe zip extraction.

Nothing a user uploads reaches GDAL or openpyxl before it passed these checks. Files are
written under fixed, harmless names into a private temporary directory (``0700``) so that no
path taken from an upload (``../``, absolute paths, ``/vsicurl/``, ``.vrt`` references) is ever
handed to a reader. Every refusal is an :class:`ImportRefused` carrying a Chinese message.
"""

from __future__ import annotations

import io
import os
import posixpath
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bangfu.core.errors import BangfuError

Kind = Literal["gpkg", "geojson", "shapefile", "kml", "csv", "xlsx"]


class ImportRefused(BangfuError):
    """An upload or import that is refused (nothing was written); ``message_zh`` is shown to the user."""


@dataclass(frozen=True)
class Limits:
    """Configured limits for one upload (override with ``BANGFU_MAX_UPLOAD_MB``)."""

    max_bytes: int = 200 * 1024 * 1024
    max_members: int = 50
    max_total_uncompressed: int = 500 * 1024 * 1024
    max_ratio: float = 100.0  # uncompressed / compressed size of any member (and of the whole zip)

    @classmethod
    def from_env(cls) -> Limits:
        mb = os.environ.get("BANGFU_MAX_UPLOAD_MB")
        if mb and mb.replace(".", "", 1).isdigit():
            return cls(max_bytes=int(float(mb) * 1024 * 1024))
        return cls()


#: Extensions accepted at the top level → kind. Anything else (.vrt, .ovf, .xml, .tab, .sqlite…) is refused.
TOP_LEVEL: dict[str, Kind] = {
    ".gpkg": "gpkg",
    ".geojson": "geojson",
    ".json": "geojson",
    ".zip": "shapefile",
    ".kml": "kml",
    ".csv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
}

#: Members a zipped shapefile may contain (everything else in the zip is refused).
SHAPEFILE_MEMBERS: frozenset[str] = frozenset({".shp", ".shx", ".dbf", ".prj", ".cpg", ".qpj", ".sbn", ".sbx", ".xml"})
#: Of those, the ones we extract (the rest are ignored, never written to disk).
SHAPEFILE_EXTRACT: frozenset[str] = frozenset({".shp", ".shx", ".dbf", ".prj", ".cpg"})

_MAGIC: dict[str, tuple[bytes, ...]] = {
    "gpkg": (b"SQLite format 3\x00",),
    "zip": (b"PK\x03\x04",),
}

ALLOWED_TEXT = "GeoPackage(.gpkg)、GeoJSON(.geojson/.json)、Shapefile压缩包(.zip)、KML(.kml)、CSV(.csv)、Excel(.xlsx)"


def suffix_of(name: str) -> str:
    """The lower-case extension of a file name (``""`` if none)."""
    return Path(name.replace("\\", "/")).suffix.lower()


def detect_kind(name: str, data: bytes, *, limits: Limits | None = None) -> Kind:
    """Check size, emptiness, extension and magic bytes; return the file kind or refuse."""
    limits = limits or Limits.from_env()
    if len(data) > limits.max_bytes:
        raise ImportRefused(
            f"文件太大：{len(data) / 1048576:.1f} MB，超过上限 {limits.max_bytes / 1048576:.0f} MB。请拆分后再导入。",
            f"file too large: {len(data)} bytes > {limits.max_bytes}",
        )
    if not data or not data.strip():
        raise ImportRefused("文件是空的，没有可导入的内容。", "the file is empty")
    ext = suffix_of(name)
    kind = TOP_LEVEL.get(ext)
    if kind is None:
        raise ImportRefused(
            f"不支持的文件类型「{ext or '无扩展名'}」。只能导入：{ALLOWED_TEXT}。"
            + ("（.vrt 等可引用服务器文件的格式出于安全原因被拒绝）" if ext in {".vrt", ".ovf", ".tab", ".xml"} else ""),
            f"unsupported file type {ext!r}; allowed: {', '.join(TOP_LEVEL)}",
        )
    head = data[:64]
    if kind == "gpkg" and not head.startswith(_MAGIC["gpkg"]):
        raise ImportRefused("文件扩展名是 .gpkg，但内容不是 GeoPackage（SQLite）文件。", "not a GeoPackage")
    if kind in ("shapefile", "xlsx") and not head.startswith(_MAGIC["zip"]):
        raise ImportRefused(f"文件扩展名是 {ext}，但内容不是 ZIP 压缩格式，文件可能已损坏。", f"{ext} is not a zip file")
    if kind in ("geojson", "kml", "csv"):
        binary = head.startswith(_MAGIC["gpkg"]) or head.startswith(_MAGIC["zip"]) or b"\x00" in data[:4096]
        if binary and not _looks_utf16(data):
            raise ImportRefused(f"文件扩展名是 {ext}，但内容不是文本文件。", f"{ext} is not a text file")
        text_head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if text_head.startswith(b"<ogrvrtdatasource") or b"<ogrvrtdatasource" in data[:65536].lower():
            raise ImportRefused("文件是 GDAL 虚拟数据集（VRT），可能引用服务器文件，出于安全原因拒绝导入。", "VRT refused")
    return kind


def _looks_utf16(data: bytes) -> bool:
    return data[:2] in (b"\xff\xfe", b"\xfe\xff")


# --------------------------------------------------------------------------- zip safety


def _member_problem(info: zipfile.ZipInfo) -> str | None:
    name = info.filename
    if "\x00" in name:
        return "文件名含非法字符"
    norm = name.replace("\\", "/")
    if norm.startswith("/") or (len(norm) > 1 and norm[1] == ":") or norm.startswith("//"):
        return "使用了绝对路径"
    parts = [p for p in norm.split("/") if p]
    if any(p == ".." for p in parts) or posixpath.normpath(norm).startswith(".."):
        return "包含“../”上级目录路径"
    mode = (info.external_attr >> 16) & 0o170000
    if mode == stat.S_IFLNK:
        return "是符号链接"
    return None


def check_zip(data: bytes, *, limits: Limits | None = None, what: str = "压缩包") -> list[zipfile.ZipInfo]:
    """Validate a zip from its central directory only (nothing is decompressed here).

    Refuses ``../`` or absolute member paths, symlinks, too many members, too much uncompressed
    data and suspicious compression ratios (zip bombs). Returns the file members.
    """
    limits = limits or Limits.from_env()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise ImportRefused(f"{what}已损坏，无法打开：{exc}", f"bad zip: {exc}") from None
    if len(infos) > limits.max_members:
        raise ImportRefused(
            f"{what}里的文件太多（{len(infos)} 个，上限 {limits.max_members} 个），出于安全原因拒绝导入。",
            f"too many members: {len(infos)}",
        )
    total = 0
    for info in infos:
        problem = _member_problem(info)
        if problem:
            raise ImportRefused(
                f"{what}里的文件「{info.filename}」{problem}，出于安全原因拒绝导入。", f"unsafe member {info.filename!r}"
            )
        if info.flag_bits & 0x1:
            raise ImportRefused(f"{what}已加密，无法导入。", "encrypted zip")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > limits.max_ratio:
            raise ImportRefused(
                f"{what}里的「{info.filename}」压缩比异常（{ratio:.0f} 倍），疑似“压缩炸弹”，拒绝导入。",
                f"suspicious compression ratio {ratio:.0f}",
            )
    if total > limits.max_total_uncompressed:
        raise ImportRefused(
            f"{what}解压后太大（{total / 1048576:.0f} MB，上限 {limits.max_total_uncompressed / 1048576:.0f} MB），"
            "疑似“压缩炸弹”，拒绝导入。",
            f"uncompressed size {total} too large",
        )
    if total > 1024 * 1024 and total / max(len(data), 1) > limits.max_ratio:
        raise ImportRefused(
            f"{what}整体压缩比异常（{total / len(data):.0f} 倍），疑似“压缩炸弹”，拒绝导入。", "suspicious zip ratio"
        )
    return [i for i in infos if not i.is_dir()]


def _read_member_bounded(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Read one member, never more than its declared size (a lying header cannot inflate it)."""
    with zf.open(info) as fh:
        out = fh.read(min(info.file_size, limit) + 1)
    if len(out) > info.file_size or len(out) > limit:
        raise ImportRefused(f"压缩包里的「{info.filename}」实际大小与声明不符，拒绝导入。", "member size mismatch")
    return out


class PrivateDir:
    """A private temporary directory (mode 0700) removed on exit; files get fixed safe names."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="bangfu-import-"))
        os.chmod(self.path, 0o700)

    def write(self, name: str, data: bytes) -> Path:
        if "/" in name or "\\" in name or name.startswith("."):
            raise ValueError(f"unsafe temp name {name!r}")
        p = self.path / name
        with open(p, "xb") as fh:
            fh.write(data)
        return p

    def cleanup(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self) -> PrivateDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


@dataclass(frozen=True)
class ShapefileParts:
    """The validated parts of a zipped shapefile, as bytes (``.prj`` and ``.cpg`` optional)."""

    stem: str
    shp: bytes | None  # None: a table without geometry (lone .dbf)
    shx: bytes | None
    dbf: bytes
    prj: bytes | None
    cpg: bytes | None


SPLIT_SUFFIXES = ("_point", "_line", "_polygon")


def shapefile_parts(data: bytes, *, limits: Limits | None = None) -> list[ShapefileParts]:
    """Open a zipped shapefile safely and return its parts, or refuse (missing .dbf/.shx, several layers…).

    One layer per zip; the only exception is a layer of mixed geometry that our export split into
    ``<name>_point``, ``<name>_line`` and ``<name>_polygon`` (returned together, to be concatenated).
    """
    limits = limits or Limits.from_env()
    infos = check_zip(data, limits=limits, what="Shapefile 压缩包")
    by_stem: dict[str, dict[str, zipfile.ZipInfo]] = {}
    for info in infos:
        base = posixpath.basename(info.filename.replace("\\", "/"))
        if base.startswith("._") or "__MACOSX" in info.filename:
            continue
        ext = suffix_of(base)
        if ext not in SHAPEFILE_MEMBERS:
            raise ImportRefused(
                f"Shapefile 压缩包里有不允许的文件「{info.filename}」（只允许 .shp/.shx/.dbf/.prj/.cpg 等）。",
                f"unexpected member {info.filename!r}",
            )
        stem = base[: -len(ext)] if ext else base
        by_stem.setdefault(stem, {})[ext] = info
    zf = zipfile.ZipFile(io.BytesIO(data))
    budget = limits.max_total_uncompressed
    with_shp = {s: m for s, m in by_stem.items() if ".shp" in m}
    if not with_shp:
        tables = {s: m for s, m in by_stem.items() if ".dbf" in m}
        if len(tables) == 1:  # a table without geometry (pairings, road progress) exported as a lone .dbf
            stem, members = next(iter(tables.items()))
            dbf = _read_member_bounded(zf, members[".dbf"], budget)
            cpg = _read_member_bounded(zf, members[".cpg"], 1024) if ".cpg" in members else None
            if len(dbf) < 32:
                raise ImportRefused("Shapefile 文件被截断（.dbf 文件头不完整）。", "truncated dbf")
            return [ShapefileParts(stem, None, None, dbf, None, cpg)]
        raise ImportRefused("压缩包里没有 .shp 文件。", "no .shp in zip")
    if len(with_shp) > 1:
        prefixes = {s.rsplit("_", 1)[0] for s in with_shp}
        if len(prefixes) != 1 or not all(s.endswith(SPLIT_SUFFIXES) for s in with_shp):
            raise ImportRefused(
                "压缩包里有多个图层（" + "、".join(sorted(with_shp)) + "），请每次只导入一个 Shapefile。", "several shapefiles"
            )
    out = []
    for stem in sorted(with_shp):
        members = with_shp[stem]
        missing = [ext for ext in (".shx", ".dbf") if ext not in members]
        if missing:
            raise ImportRefused(
                f"Shapefile 不完整：缺少 {'、'.join(missing)} 文件（一个 Shapefile 至少需要 .shp、.shx、.dbf 三个文件）。",
                f"incomplete shapefile, missing {missing}",
            )

        def get(ext: str, members: dict = members) -> bytes | None:
            info = members.get(ext)
            return None if info is None else _read_member_bounded(zf, info, budget)

        shp, shx, dbf = get(".shp"), get(".shx"), get(".dbf")
        assert shp is not None and shx is not None and dbf is not None
        if len(shp) < 100 or len(shx) < 100 or len(dbf) < 32:
            raise ImportRefused("Shapefile 文件被截断（.shp/.shx/.dbf 文件头不完整）。", "truncated shapefile")
        if shp[:4] != b"\x00\x00\x27\x0a" or shx[:4] != b"\x00\x00\x27\x0a":
            raise ImportRefused(".shp 或 .shx 文件头不正确，文件可能已损坏。", "bad .shp/.shx header")
        declared = int.from_bytes(shp[24:28], "big") * 2
        if declared != len(shp):
            raise ImportRefused(
                f".shp 文件被截断或损坏（文件头声明 {declared} 字节，实际 {len(shp)} 字节）。", "truncated .shp"
            )
        out.append(ShapefileParts(stem, shp, shx, dbf, get(".prj"), get(".cpg")))
    return out


def check_xlsx(data: bytes, *, limits: Limits | None = None) -> None:
    """An .xlsx is a zip: the same bomb limits apply before openpyxl sees it."""
    infos = check_zip(data, limits=limits, what="Excel 文件")
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise ImportRefused("文件不是有效的 Excel(.xlsx) 工作簿。", "not an xlsx workbook")
    if any(n.lower().endswith((".bin",)) and "vba" in n.lower() for n in names):
        raise ImportRefused("Excel 文件包含宏，拒绝导入。请另存为普通 .xlsx。", "macro workbook refused")
