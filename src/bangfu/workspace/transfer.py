"""Copy a workspace between stores (``python -m bangfu copy SOURCE TARGET``): GeoPackage ↔ PostGIS, or like to like.

Every layer present in the source (the edit histories too) is copied row for row, in order, with its geometry;
``bangfu_meta`` goes along (the workspace version and the per-layer version marks, so an import prepared on the
source still sees what changed), without the source's backup notes and write-chain entries. The target is written
in one step (a new file swapped in atomically, or one database transaction); a target holding a workspace is
only replaced when asked (``replace``).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from collections.abc import Callable

import pandas as pd
import pyogrio

from bangfu.core import fileio
from bangfu.workspace import create, locking, store
from bangfu.workspace.backend import is_database, location_name
from bangfu.workspace.schema import LAYERS, get_layer

__all__ = ["copy_workspace", "target_in_use", "SKIPPED_META"]

#: Meta keys that describe the source file, not the data: never copied.
SKIPPED_META = ("backup_", store.WRITE_COUNTER, store.WRITE_ORIGIN, store.CONTENT_MARK, "schema_format")


def target_in_use(target: Path | str) -> bool:
    """Whether ``target`` already holds something (a file, or tables in the schema)."""
    if is_database(target):
        return bool(store.list_layers(target)) or bool(store.read_meta(target))
    return Path(target).exists()


def copy_workspace(source: Path | str, target: Path | str, *, replace: bool = False,
                   progress: Callable[[str, int, int, int], None] | None = None) -> dict[str, int]:
    """Copy workspace ``source`` to ``target``; returns rows per layer copied. ``progress(layer, rows, i, n)`` is
    called after each layer is read. Refuses (Chinese :class:`~bangfu.workspace.store.WorkspaceError`) a target
    that is in use unless ``replace``; the source is checked first."""
    store.check_workspace_file(source)
    if not replace and target_in_use(target):
        raise store.WorkspaceError(
            f"目标已有数据，没有复制：{location_name(target)}",
            f"the target is not empty; nothing copied: {location_name(target)}",
            hint_zh="换一个目标，或加 --replace 用源数据替换目标（目标原有的数据会丢失）。",
            hint_en="Choose another target, or add --replace to overwrite it.")
    present = [n for n in LAYERS if n in set(store.list_layers(source))]
    frames: dict[str, pd.DataFrame] = {}
    for i, name in enumerate(present, 1):
        frames[name] = store.read_layer(source, name)
        if progress is not None:
            progress(name, len(frames[name]), i, len(present))
    reference = create.read_reference(source)  # the official village list of a new county, if it has one
    if len(reference):
        frames[create.REFERENCE_TABLE] = reference
        if progress is not None:
            progress(create.REFERENCE_TABLE, len(reference), len(present), len(present))
    meta = {k: v for k, v in store.read_meta(source).items() if not k.startswith(SKIPPED_META)}
    if is_database(target):
        store.write_workspace(target, frames, meta=meta)
    else:
        _write_file(Path(target), frames, meta)
    return {name: len(df) for name, df in frames.items()}


def _write_file(path: Path, frames: dict[str, pd.DataFrame], meta: dict[str, str]) -> None:
    """A new GeoPackage at ``path`` (swapped in atomically, under the writer lock when it replaces one), with the
    reference table when there is one."""
    reference = frames.pop(create.REFERENCE_TABLE, None)
    with locking.writer_lock(path) if path.exists() else contextlib.nullcontext(), fileio.atomic_path(path) as tmp:
        store.write_gpkg(tmp, frames, meta=meta)
        if reference is not None:
            pyogrio.write_dataframe(reference.astype(object), str(tmp), layer=create.REFERENCE_TABLE, driver="GPKG")
            create._register_fixed_time(tmp)


def layer_label(name: str) -> str:
    """A layer's Chinese label for a progress line."""
    return get_layer(name).zh if name in LAYERS else name
