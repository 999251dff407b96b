"""Atomic file writes: build the new file beside the target, fsync it, swap it in with ``os.replace``.

Every file the app or the CLI writes to disk (workspace writes, demo restore, backup restore, the
CLI's ``--out`` files, exports, the demo build, saved column mappings, the served static assets)
goes through :func:`atomic_path` or one of its shorthands, so a reader sees either the old file or
the complete new one, never half of it:

1. a temporary file is created in the target's own folder (``os.replace`` is only atomic within
   one file system) under a name starting with :data:`TEMP_PREFIX`;
2. the caller writes it; the helper flushes it to disk (``fsync``);
3. optionally the previous target is kept as a backup (itself replaced atomically);
4. ``os.replace`` swaps the new file in and the folder is fsynced.

If anything fails before step 4, the target is untouched (byte-identical) and the temporary file
is removed. A new file gets the permissions of the file it replaces (``0o666`` minus the umask
for a new name), not ``mkstemp``'s private ``0o600``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tempfile
from pathlib import Path
from collections.abc import Iterator

__all__ = ["TEMP_PREFIX", "atomic_path", "write_bytes", "write_text", "copy_file", "temp_files", "fsync_file",
           "fsync_dir"]

#: Every temporary file of an atomic write starts with this (see :func:`temp_files`).
TEMP_PREFIX = ".bangfu-tmp-"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _mode_for(target: Path) -> int:
    """The permission bits the new file should have: those of the file it replaces, else 0o666 & ~umask."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_umask()


def fsync_file(path: Path) -> None:
    """Flush a file's contents to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_dir(folder: Path) -> None:
    """Make the rename durable (best effort: not every platform can open a directory)."""
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove(path: Path) -> None:
    """Remove a temporary file and its companions (e.g. SQLite's ``-journal`` beside a GeoPackage)."""
    for p in [path, *path.parent.glob(glob.escape(path.name) + "*")]:
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


@contextlib.contextmanager
def atomic_path(target: Path | str, *, backup: Path | str | None = None) -> Iterator[Path]:
    """A temporary path beside ``target`` to write; swapped in atomically when the block ends cleanly.

    The temporary file exists (empty) when the block starts; a writer may also delete and recreate
    it (GDAL does). When the block raises, nothing changes and the temporary file is removed.
    ``backup``: where to keep the previous ``target`` (replaced atomically too; skipped when
    ``target`` does not exist yet). The backup is made from the target as it is when the block
    ends, so ``backup`` may also be the block's source (swapping a backup back in).
    """
    target = Path(target)
    folder = target.parent
    folder.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=folder, prefix=f"{TEMP_PREFIX}{target.name}.", suffix=target.suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        if not tmp.exists():
            raise FileNotFoundError(f"the writer removed {tmp} without writing it again")
        os.chmod(tmp, _mode_for(target))
        fsync_file(tmp)
        if backup is not None and target.exists():
            copy_file(target, backup)
        os.replace(tmp, target)
    except BaseException:
        _remove(tmp)
        raise
    fsync_dir(folder)


def write_bytes(target: Path | str, data: bytes, *, backup: Path | str | None = None) -> Path:
    """Write ``data`` to ``target`` atomically; returns ``target``."""
    with atomic_path(target, backup=backup) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(data)
    return Path(target)


def write_text(target: Path | str, text: str, *, encoding: str = "utf-8", backup: Path | str | None = None) -> Path:
    """Write ``text`` to ``target`` atomically; returns ``target``."""
    return write_bytes(target, text.encode(encoding), backup=backup)


def copy_file(source: Path | str, target: Path | str, *, backup: Path | str | None = None) -> Path:
    """Copy ``source`` over ``target`` atomically (contents only); returns ``target``.

    With ``backup == source`` this swaps a backup back in: the copy is taken first, then the
    current target becomes the backup, then the copy replaces the target.
    """
    with atomic_path(target, backup=backup) as tmp:
        shutil.copyfile(source, tmp)
    return Path(target)


def temp_files(folder: Path | str) -> list[Path]:
    """Temporary files of atomic writes left in ``folder`` (there should be none)."""
    return sorted(Path(folder).glob(f"{TEMP_PREFIX}*"))
