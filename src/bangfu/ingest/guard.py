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
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal
from collections.abc import Mapping

import numpy as np

from bangfu.core.errors import BangfuError
from bangfu.core.text import visible
from bangfu.workspace import settings

Kind = Literal["gpkg", "geojson", "shapefile", "kml", "csv", "xlsx"]


class ImportRefused(BangfuError):
    """An upload or import that is refused (nothing was written); ``message_zh`` is shown to the user."""


@dataclass(frozen=True)
class LimitSpec:
    """One limit on uploads: its field, default (in ``unit``), environment variable and what it bounds.

    ``scale`` turns the value in ``unit`` into the stored one (MB → bytes for sizes)."""

    field: str
    default: float
    env: str
    unit: str
    zh: str
    en: str
    scale: int = 1


_MB = 1024 * 1024

#: Every limit an upload is held to, in one table (documented in docs/security.md, "上传文件的限制").
#: Each can be set for the whole server with its environment variable (a number in the unit shown).
LIMIT_TABLE: tuple[LimitSpec, ...] = (
    LimitSpec("max_bytes", 200, "BANGFU_MAX_UPLOAD_MB", "MB", "上传文件大小", "size of the uploaded file", _MB),
    LimitSpec("max_members", 50, "BANGFU_MAX_ZIP_MEMBERS", "个", "压缩包（zip/xlsx）里的文件数", "files inside a zip/xlsx"),
    LimitSpec("max_total_uncompressed", 300, "BANGFU_MAX_UNCOMPRESSED_MB", "MB", "压缩包解压后的总大小",
              "total uncompressed size of a zip/xlsx", _MB),
    LimitSpec("max_ratio", 100.0, "BANGFU_MAX_ZIP_RATIO", "倍", "压缩比（解压后/压缩后，超过 1 MB 的文件）",
              "compression ratio (uncompressed/compressed) of members over 1 MB"),
    LimitSpec("max_rows", 500_000, "BANGFU_MAX_ROWS", "行", "数据行数（要素数、记录数）", "rows (features, records)"),
    LimitSpec("max_columns", 500, "BANGFU_MAX_COLUMNS", "列", "列数", "columns"),
    LimitSpec("max_depth", 64, "BANGFU_MAX_NESTING", "层", "GeoJSON/KML 的嵌套层数", "nesting depth of GeoJSON/KML"),
    LimitSpec("max_seconds", 120.0, "BANGFU_MAX_SECONDS", "秒", "读取和检查一个文件的时间（超时即终止）",
              "time to read and check one file (then it is stopped)"),
    LimitSpec("max_memory_mb", 2048, "BANGFU_MAX_MEMORY_MB", "MB", "读取和检查一个文件可用的内存（超出即终止）",
              "memory for reading and checking one file (then it is stopped)"),
)
_SPEC = {s.field: s for s in LIMIT_TABLE}


def _default(name: str) -> float:
    spec = _SPEC[name]
    value = spec.default * spec.scale
    return value if isinstance(spec.default, float) else int(value)


@dataclass(frozen=True)
class Limits:
    """The limits for one upload: defaults and environment variables from :data:`LIMIT_TABLE`."""

    max_bytes: int = _default("max_bytes")  # type: ignore[assignment]
    max_members: int = _default("max_members")  # type: ignore[assignment]
    max_total_uncompressed: int = _default("max_total_uncompressed")  # type: ignore[assignment]
    max_ratio: float = _default("max_ratio")
    max_rows: int = _default("max_rows")  # type: ignore[assignment]
    max_columns: int = _default("max_columns")  # type: ignore[assignment]
    max_depth: int = _default("max_depth")  # type: ignore[assignment]
    max_seconds: float = _default("max_seconds")
    max_memory_mb: int = _default("max_memory_mb")  # type: ignore[assignment]

    @classmethod
    def from_env(cls, overrides: Mapping[str, float] | None = None) -> Limits:
        """The defaults, each overridden by its environment variable when that is a positive number, then by
        ``overrides`` (field → value in the limit's unit: what an administrator stored, :meth:`for_office`)."""
        values: dict[str, float] = {}
        for spec in LIMIT_TABLE:
            try:
                number = float(os.environ.get(spec.env, "").strip())
            except ValueError:
                number = float("nan")
            if overrides and spec.field in overrides:
                number = float(overrides[spec.field])
            if 0 < number < float("inf"):
                number *= spec.scale
                values[spec.field] = number if isinstance(spec.default, float) else max(int(number), 1)
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def for_office(cls, folder: Path | str) -> Limits:
        """The limits of the office whose workspace folder is ``folder``: :meth:`from_env`, then every limit an
        administrator set on the data page (:mod:`bangfu.workspace.settings`, kept in the office database)."""
        return cls.from_env(settings.limit_overrides(folder))

    def value(self, field: str) -> float:
        """Limit ``field`` in its unit (MB for sizes)."""
        return float(getattr(self, field)) / _SPEC[field].scale

    def describe(self, lang: str = "zh") -> list[tuple[str, str, str]]:
        """(what, value with unit, environment variable) for each limit, for docs and the page."""
        return [(spec.zh if lang == "zh" else spec.en, f"{getattr(self, spec.field) / spec.scale:g} {spec.unit}", spec.env)
                for spec in LIMIT_TABLE]


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


def too_large(size: int, limits: Limits) -> ImportRefused:
    """The refusal of a file over the size limit (the same words on the page, before an upload is stored, and in
    every reader)."""
    return ImportRefused(
        f"文件太大：{size / 1048576:.1f} MB，超过上限 {limits.max_bytes / 1048576:.4g} MB。"
        "请拆分后再导入；管理员可以在「数据管理」页提高上限，更大的文件可以在服务器上用命令行导入"
        "（python -m bangfu import 文件 --layer 图层）。",
        f"file too large: {size} bytes > {limits.max_bytes}",
        hint_zh="上限由管理员设置（数据管理 → 导入 → 上传限制）。", hint_en="An administrator sets the limit on the data page.",
    )


def check_size(size: int, limits: Limits) -> None:
    """Refuse (Chinese message) a file of ``size`` bytes over the upload size limit."""
    if size > limits.max_bytes:
        raise too_large(size, limits)


#: Bytes of a file a guard looks at to tell its kind (magic bytes, VRT markers, text or binary).
HEAD_BYTES = 65536
#: Chunk size of :func:`save_upload` (what is in memory at a time while an upload is written to disk).
CHUNK_BYTES = 1 << 20


def save_upload(source: BinaryIO, name: str, folder: Path, *, limits: Limits, size: int | None = None) -> Path:
    """Write an upload (any readable binary file object: Streamlit's ``UploadedFile``, an open file) to
    ``folder`` in chunks of :data:`CHUNK_BYTES` under a fixed harmless name (``upload`` + its checked
    extension); never more than the size limit: a file over it is refused before (``size``) or while it is
    written, and nothing is left behind. Returns the file."""
    ext = suffix_of(name)
    if ext not in TOP_LEVEL:
        detect_kind(name, b"x")  # the refusal of an unsupported type
    if size is not None:
        check_size(size, limits)
    dest = Path(folder) / f"upload{ext}"
    written = 0
    try:
        with open(dest, "wb") as fh:
            while True:
                chunk = source.read(CHUNK_BYTES)
                if not chunk:
                    break
                written += len(chunk)
                if written > limits.max_bytes:
                    raise too_large(written, limits)
                fh.write(chunk)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return dest


def file_head(path: Path, n: int = HEAD_BYTES) -> bytes:
    """The first ``n`` bytes of a file."""
    with open(path, "rb") as fh:
        return fh.read(n)


def detect_kind(name: str, data: bytes | Path, *, limits: Limits | None = None) -> Kind:
    """Check size, emptiness, extension and magic bytes; return the file kind or refuse. ``data``: the file's
    bytes, or a file on disk (only its size and first :data:`HEAD_BYTES` are read)."""
    limits = limits or Limits.from_env()
    if isinstance(data, Path):
        size = data.stat().st_size
        data = file_head(data)  # every check below looks at the first HEAD_BYTES only
        blank = size <= len(data) and not data.strip()  # a longer file with a blank head: the reader judges
    else:
        size = len(data)
        blank = not data.strip()
    check_size(size, limits)
    if blank:
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


def over_limit(what_zh: str, what_en: str, found: float, field: str, limits: Limits) -> ImportRefused:
    """The refusal for a file over one limit of :data:`LIMIT_TABLE`: names the value, the limit and its setting."""
    spec = _SPEC[field]
    cap = getattr(limits, field) / spec.scale
    shown = found / spec.scale
    return ImportRefused(
        f"{what_zh}超过上限：{shown:g} {spec.unit}，上限 {cap:g} {spec.unit}（{spec.zh}），出于安全原因拒绝导入。",
        f"{what_en} over the limit: {shown:g} > {cap:g} {spec.unit} ({spec.en})",
        hint_zh=f"拆分文件后分批导入；管理员可用环境变量 {spec.env} 调整上限。",
        hint_en=f"Split the file; an administrator can raise the limit with {spec.env}.",
    )


def check_rows(n: int, limits: Limits, *, columns: int = 0) -> None:
    """Refuse a table with more rows (or columns) than the limits allow."""
    if n > limits.max_rows:
        raise over_limit("数据行数", "rows", n, "max_rows", limits)
    if columns > limits.max_columns:
        raise over_limit("列数", "columns", columns, "max_columns", limits)


_JSON_ESCAPE = re.compile(rb"\\.", re.DOTALL)
#: byte → 1 for a quote, 2 for an opening and 3 for a closing bracket, 0 for anything else
_JSON_LUT = np.zeros(256, dtype=np.uint8)
_JSON_LUT[[34]] = 1
_JSON_LUT[[91, 123]] = 2
_JSON_LUT[[93, 125]] = 3


def json_depth(data: bytes, *, stop_at: int | None = None, chunk: int = 1 << 24) -> int:
    """The deepest nesting of ``[``/``{`` in JSON text (outside strings), without parsing it.

    Vectorised over the structural bytes only, so a 200 MB file is scanned in about a second;
    returns early once ``stop_at`` is exceeded. Python's own parser would recurse (and fail) on
    deep input.
    """
    clean = _JSON_ESCAPE.sub(b"__", data)  # an escaped quote or bracket is no structure
    in_string = 0
    depth = deepest = 0
    for start in range(0, len(clean), chunk):
        arr = np.frombuffer(clean, dtype=np.uint8, count=min(chunk, len(clean) - start), offset=start)
        codes = _JSON_LUT[arr]
        codes = codes[codes != 0]
        quotes = codes == 1
        inside = ((np.cumsum(quotes) + in_string) % 2).astype(bool)
        step = ((codes == 2) & ~inside).astype(np.int64) - ((codes == 3) & ~inside)
        if len(step):
            running = np.cumsum(step) + depth
            deepest = max(deepest, int(running.max()))
            depth = int(running[-1])
        in_string = int((in_string + int(quotes.sum())) % 2)
        if stop_at is not None and deepest > stop_at:
            break
    return deepest


def check_json_depth(data: bytes, limits: Limits, what: str = "GeoJSON") -> None:
    """Refuse JSON nested deeper than ``limits.max_depth``."""
    depth = json_depth(data, stop_at=limits.max_depth)
    if depth > limits.max_depth:
        raise over_limit(f"{what} 的嵌套层数", f"{what} nesting depth", depth, "max_depth", limits)


def xml_depth(data: bytes, *, stop_at: int | None = None) -> int:
    """The deepest element nesting of an XML document (streaming; stops once ``stop_at`` is exceeded)."""
    import xml.etree.ElementTree as ET

    depth = deepest = 0
    for event, _el in ET.iterparse(io.BytesIO(data), events=("start", "end")):
        depth += 1 if event == "start" else -1
        if depth > deepest:
            deepest = depth
            if stop_at is not None and deepest > stop_at:
                break
        if event == "end":
            _el.clear()
    return deepest


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
    except (NotImplementedError, EOFError, zlib.error) as exc:
        raise ImportRefused(f"{what}已损坏或使用了不支持的压缩方式：{exc}", f"unsupported zip: {exc}") from None
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
                f"{what}里的文件「{visible(info.filename)}」{problem}，出于安全原因拒绝导入。", f"unsafe member {info.filename!r}"
            )
        if info.flag_bits & 0x1:
            raise ImportRefused(f"{what}已加密，无法导入。", "encrypted zip")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 1024 * 1024 and ratio > limits.max_ratio:
            raise ImportRefused(
                f"{what}里的「{visible(info.filename)}」压缩比异常（{ratio:.0f} 倍），疑似“压缩炸弹”，拒绝导入。",
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
    try:
        with zf.open(info) as fh:
            out = fh.read(min(info.file_size, limit) + 1)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, OSError, ValueError) as exc:
        raise ImportRefused(
            f"压缩包里的「{visible(info.filename)}」已损坏：大小或校验码与文件头声明的不符（{exc}）。",
            f"corrupt zip member {info.filename!r}: {exc}",
            hint_zh="重新打包（或重新导出）后再导入。", hint_en="Zip the files again (or export them again).",
        ) from None
    if len(out) > info.file_size or len(out) > limit:
        raise ImportRefused(f"压缩包里的「{visible(info.filename)}」实际大小与声明不符，拒绝导入。", "member size mismatch")
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

    def link(self, name: str, source: Path) -> Path:
        """``source`` under the fixed name ``name`` in this folder: a hard link (no copy, instant) where the file
        system allows one, else a copy in chunks."""
        if "/" in name or "\\" in name or name.startswith("."):
            raise ValueError(f"unsafe temp name {name!r}")
        p = self.path / name
        try:
            os.link(source, p)
        except OSError:
            with open(source, "rb") as src, open(p, "xb") as dst:
                shutil.copyfileobj(src, dst, CHUNK_BYTES)
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
                f"Shapefile 压缩包里有不允许的文件「{visible(info.filename)}」（只允许 .shp/.shx/.dbf/.prj/.cpg 等）。",
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

        shp_, shx_, dbf_ = get(".shp"), get(".shx"), get(".dbf")
        assert shp_ is not None and shx_ is not None and dbf_ is not None
        shp, shx, dbf = shp_, shx_, dbf_
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
