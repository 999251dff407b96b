"""A new, empty workspace for any county, with the county's official village list as the import reference.

:func:`new_workspace` writes a valid GeoPackage holding every layer of :mod:`bangfu.workspace.schema` (all empty),
the county's code and name in ``bangfu_meta`` and, where the shipped official code list
(``sources/villages_liaoning_kaiping.csv``) covers the county, its villages' official names and 12-digit codes in
the ``reference_villages`` table (:data:`bangfu.workspace.schema.REFERENCE_VILLAGES`): village imports are matched
and checked against it (:mod:`bangfu.ingest.matching`). See docs/data.md, "新县工作空间".
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import tempfile
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyogrio

from bangfu.core import fileio
from bangfu.core.errors import BangfuError
from bangfu.core.resources import SOURCES_DIR
from bangfu.workspace.backend import is_database
from bangfu.workspace import audit, store
from bangfu.workspace.access import Principal, require
from bangfu.workspace.schema import COUNTY_CODE_PATTERN, LAYERS, REFERENCE_VILLAGES

__all__ = [
    "OFFICIAL_CODES", "CountyCodeError", "UnknownCounty", "WorkspaceExists", "official_villages", "county_name",
    "new_workspace", "read_reference", "REFERENCE_TABLE",
]

#: The shipped official code list (Liaoning province and Kaiping city).
OFFICIAL_CODES: Path = SOURCES_DIR / "villages_liaoning_kaiping.csv"
REFERENCE_TABLE = REFERENCE_VILLAGES.name


class CountyCodeError(BangfuError):
    """A county code that is not 6 digits."""


class UnknownCounty(BangfuError):
    """A county the official code list does not cover, and no name was given."""


class WorkspaceExists(BangfuError):
    """``new`` would overwrite an existing file."""


@lru_cache(maxsize=1)
def _official() -> pd.DataFrame:
    frame = pd.read_csv(OFFICIAL_CODES, dtype=str, keep_default_na=False)
    return frame[list(REFERENCE_VILLAGES.column_names)]


def official_villages(county_code: str) -> pd.DataFrame:
    """The official villages of ``county_code`` (empty when the shipped list does not cover it), sorted by code."""
    frame = _official()
    return frame[frame["county_code"] == str(county_code)].sort_values("village_code").reset_index(drop=True)


def county_name(county_code: str) -> str | None:
    """The official name of ``county_code`` (None when the shipped list does not cover it)."""
    found = official_villages(county_code)
    return str(found["county_name"].iloc[0]) if len(found) else None


def _check_code(county_code: str) -> str:
    code = str(county_code).strip()
    if not re.fullmatch(COUNTY_CODE_PATTERN, code):
        raise CountyCodeError(
            f"县代码应为 6 位数字：{county_code!r}", f"a county code has 6 digits: {county_code!r}",
            hint_zh="填写统计用区划代码的前 6 位，例如开平市为 440783。",
            hint_en="Give the first 6 digits of the statistical division code, e.g. 440783 for Kaiping.")
    return code


def new_workspace(path: Path | str, county_code: str, name: str | None = None, *, user: Principal) -> Path:
    """Create an empty, valid workspace for county ``county_code`` at ``path`` and return its path.

    Admin only (``import`` permission). Parent folders are created; an existing file is never overwritten
    (:class:`WorkspaceExists`). ``name`` is the county's name; it may be left out when the shipped official list
    covers the county (its official name is used), else :class:`UnknownCounty`. Every layer is present and empty;
    ``bangfu_meta`` holds ``county_code``, ``county_name``, ``source`` = ``new`` and ``version`` 1; the creation
    is recorded in the audit trail of the folder.
    """
    require(user, "import")
    code = _check_code(county_code)
    official = official_villages(code)
    given = (name or "").strip()
    if not given and official.empty:
        raise UnknownCounty(
            f"官方区划代码表中没有县代码 {code}，请用 --name 给出县（市、区）名称。",
            f"county {code} is not in the official code list; give its name with --name.",
            hint_zh="例如：python -m bangfu new --county 450821 --name 平南县 --workspace 平南/workspace.gpkg。"
                    "没有官方名录时，导入的村代码只按格式检查。",
            hint_en="E.g. --name 平南县. Without an official list, village codes are only checked for their format.")
    title = given or str(official["county_name"].iloc[0])
    p = Path(path)
    if p.exists():
        raise _exists(p)
    layers = {n: store.empty_layer(n) for n in LAYERS}
    meta = {"county_code": code, "county_name": title, "source": "new", "reference_villages": str(len(official))}
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=p.parent, prefix=f"{fileio.TEMP_PREFIX}{p.name}.", suffix=p.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        store.write_gpkg(tmp, layers, meta=meta)
        pyogrio.write_dataframe(official.astype(object), str(tmp), layer=REFERENCE_TABLE, driver="GPKG")
        _register_fixed_time(tmp)
        fileio.fsync_file(tmp)
        try:
            os.link(tmp, p)  # never replaces a file another process created meanwhile (os.replace would)
        except FileExistsError:
            raise _exists(p) from None
        fileio.fsync_dir(p.parent)
    finally:
        tmp.unlink(missing_ok=True)
    audit.record(p, user, "new_workspace", code,
                 {"county_name": title, "reference_villages": len(official)}, workspace=p.name)
    return p


def _exists(p: Path) -> WorkspaceExists:
    return WorkspaceExists(
        f"文件已存在，不会覆盖：{p}", f"the file exists and is not overwritten: {p}",
        hint_zh="换一个文件名或文件夹；要重新开始，先把旧文件移走。",
        hint_en="Choose another name or folder; to start again, move the old file away first.")


def _register_fixed_time(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as con:
        con.execute("UPDATE gpkg_contents SET last_change = '2026-01-01T00:00:00.000Z'")
        con.commit()


def read_reference(path: Path | str) -> pd.DataFrame:
    """The official village list stored in a workspace (empty frame with the columns when it has none)."""
    cols = list(REFERENCE_VILLAGES.column_names)
    if is_database(path):
        from bangfu.workspace import postgis

        return pd.DataFrame(postgis.read_reference(str(path)))[cols].astype(object)
    p = Path(path)
    if REFERENCE_TABLE not in {str(n) for n, _ in pyogrio.list_layers(str(p))}:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in cols})
    frame = pyogrio.read_dataframe(str(p), layer=REFERENCE_TABLE, read_geometry=False)
    return pd.DataFrame(frame)[cols].astype(object)
