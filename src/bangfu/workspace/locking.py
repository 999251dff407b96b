"""One writer at a time: the cross-process workspace lock, crash recovery and stale-temp cleanup at start.

Every write to a workspace (an edit, an import, a restore, the demo restore) holds the **writer lock** of that
workspace for its whole duration: an ``fcntl.flock`` on the lock file ``.<workspace name>.lock`` beside it.
The lock is taken before the SQLite connection is opened, so a writer always works on the file that is in
place (a restore swaps a new file in, and an edit that waited for it writes to the new file, not to the
replaced one). Inside the lock, SQLite's ``BEGIN IMMEDIATE`` still serialises the transaction against
readers. A writer waits at most :func:`write_wait` seconds; then :class:`WorkspaceBusy` says, in Chinese, that
someone else is writing, and nothing has been written.

A writer killed mid-way leaves at most:

* a hot rollback journal (``workspace.gpkg-journal``): :func:`recover` (run by every writer when it takes the
  lock, and at start) opens the workspace read-write under the lock, so SQLite rolls the half-written
  transaction back before anything else reads or replaces the file;
* temporary files named :data:`WRITER_PREFIX` ``<workspace name>.…`` (backup copies, import staging files,
  restore copies): only a writer holding the lock creates them, so whenever the lock is free they are
  garbage; :func:`clean_stale_temps` removes them at start. Other temporary names (the atomic-write helper's
  ``.bangfu-tmp-*``, and ``.write-*`` left by older versions) are removed only when the lock is free **and**
  they are older than :func:`stale_age` seconds (another process may be writing an export or a mapping).

Test hook: :func:`checkpoint` pauses a process at a named step when ``BANGFU_TEST_PAUSE_AT`` names it (it
prints ``PAUSED <step>`` on standard output and waits forever), so a test can ``kill -9`` a writer exactly
there without sleeping. It does nothing otherwise.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import sys
import threading
import time
from pathlib import Path
from collections.abc import Iterator

from bangfu.core import fileio
from bangfu.core.errors import BangfuError

__all__ = [
    "WorkspaceBusy", "WRITER_PREFIX", "LEGACY_PREFIX", "PAUSE_ENV", "WAIT_ENV", "STALE_ENV", "lock_path",
    "writer_lock", "holds_lock", "write_wait", "stale_age", "checkpoint", "recover", "clean_stale_temps",
    "writer_temp",
]

#: Temporary files only a writer holding the lock creates (garbage whenever the lock is free).
WRITER_PREFIX = ".bangfu-write-"
#: Temporary files left by earlier versions of the app.
LEGACY_PREFIX = ".write-"
#: Seconds a writer waits for the lock before :class:`WorkspaceBusy` (default 30).
WAIT_ENV = "BANGFU_WRITE_WAIT"
#: Minimum age in seconds of a ``.bangfu-tmp-*``/``.write-*`` file before the start-up cleanup removes it.
STALE_ENV = "BANGFU_STALE_TEMP_SECONDS"
#: Test hook: comma-separated step names at which :func:`checkpoint` pauses the process.
PAUSE_ENV = "BANGFU_TEST_PAUSE_AT"

_DEFAULT_WAIT = 30.0
_DEFAULT_STALE = 600.0
_POLL = 0.05


class WorkspaceBusy(BangfuError):
    """Another user's write holds the workspace longer than a writer may wait."""

    def __init__(self, waited: float) -> None:
        super().__init__(
            "另一位用户正在导入，请稍候。",
            "Another user is importing; please wait.",
            hint_zh=f"工作空间一次只允许一人写入（导入、恢复或修改），已等待 {waited:.0f} 秒。"
                    "您这次的操作没有保存，请稍后再试一次。",
            hint_en=f"One writer at a time (import, restore or edit); waited {waited:.0f} s. "
                    "Nothing of yours was saved; try again in a moment.",
        )


def write_wait() -> float:
    """How long a writer waits for the lock (``$BANGFU_WRITE_WAIT`` seconds, default 30)."""
    try:
        return max(0.0, float(os.environ.get(WAIT_ENV, _DEFAULT_WAIT)))
    except ValueError:
        return _DEFAULT_WAIT


def stale_age() -> float:
    """Minimum age of a foreign temporary file before it is removed (``$BANGFU_STALE_TEMP_SECONDS``, 600)."""
    try:
        return max(0.0, float(os.environ.get(STALE_ENV, _DEFAULT_STALE)))
    except ValueError:
        return _DEFAULT_STALE


def lock_path(workspace: Path | str) -> Path:
    """The lock file of a workspace (``.workspace.gpkg.lock`` beside it; never deleted)."""
    p = Path(workspace)
    return p.with_name(f".{p.name}.lock")


_held = threading.local()


def _held_map() -> dict[Path, int]:
    if not hasattr(_held, "locks"):
        _held.locks = {}
    return _held.locks


def _key(workspace: Path | str) -> Path:
    p = Path(workspace)
    return p.parent.resolve() / p.name


def holds_lock(workspace: Path | str) -> bool:
    """Whether this thread holds the writer lock of ``workspace``."""
    return _held_map().get(_key(workspace), 0) > 0


@contextlib.contextmanager
def writer_lock(workspace: Path | str, *, wait: float | None = None) -> Iterator[None]:
    """Hold the writer lock of ``workspace`` for the block (re-entrant within a thread).

    Waits at most ``wait`` seconds (default :func:`write_wait`), then raises :class:`WorkspaceBusy`. On
    entry a hot journal left by a killed writer is rolled back (:func:`recover`).
    """
    key = _key(workspace)
    held = _held_map()
    if held.get(key, 0) > 0:
        held[key] += 1
        try:
            yield
        finally:
            held[key] -= 1
        return
    lock = lock_path(key)
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
    try:
        limit = write_wait() if wait is None else max(0.0, wait)
        start = time.monotonic()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - start
                if waited >= limit:
                    raise WorkspaceBusy(waited) from None
                time.sleep(min(_POLL, limit - waited))
        held[key] = 1
        try:
            _rollback_hot_journal(key)
            yield
        finally:
            held.pop(key, None)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _rollback_hot_journal(workspace: Path) -> None:
    """Let SQLite roll back a transaction a killed writer left half-done (caller holds the lock)."""
    journal = workspace.with_name(workspace.name + "-journal")
    if not journal.exists() or not workspace.exists():
        return
    with contextlib.suppress(sqlite3.Error), contextlib.closing(sqlite3.connect(workspace, timeout=5)) as con:
        con.execute("SELECT count(*) FROM sqlite_master").fetchone()


def recover(workspace: Path | str, *, wait: float = 0.0) -> bool:
    """Roll back a hot journal left by a killed writer, if the lock is free; True when nothing is left over."""
    try:
        with writer_lock(workspace, wait=wait):
            return True
    except WorkspaceBusy:
        return False


def writer_temp(workspace: Path | str, folder: Path | str | None = None, suffix: str = ".gpkg") -> Path:
    """A new, empty temporary file for a writer of ``workspace`` (in ``folder``, default beside it).

    Only call it while holding the writer lock: :func:`clean_stale_temps` removes these when the lock is free.
    """
    p = Path(workspace)
    d = Path(folder) if folder is not None else p.parent
    d.mkdir(parents=True, exist_ok=True)
    import tempfile

    fd, name = tempfile.mkstemp(dir=d, prefix=f"{WRITER_PREFIX}{p.name}.", suffix=suffix)
    os.close(fd)
    return Path(name)


def clean_stale_temps(workspace: Path | str, *, folders: tuple[Path, ...] = (), min_age: float | None = None
                      ) -> list[Path]:
    """Remove temporary files left by crashed writers; returns what was removed (nothing while a writer is busy).

    Looks beside the workspace and in ``folders`` (e.g. the backups folder). Writer temporaries of this
    workspace go whenever the lock is free; ``.bangfu-tmp-*`` and ``.write-*`` files only when also older than
    ``min_age`` seconds (default :func:`stale_age`).
    """
    p = Path(workspace)
    age = stale_age() if min_age is None else min_age
    removed: list[Path] = []
    try:
        with writer_lock(p, wait=0):
            now = time.time()
            for d in (p.parent, *folders):
                if not d.is_dir():
                    continue
                for f in d.glob(f"{WRITER_PREFIX}{p.name}.*"):
                    removed += _unlink(f)
                for prefix in (fileio.TEMP_PREFIX, LEGACY_PREFIX):
                    for f in d.glob(f"{prefix}*"):
                        with contextlib.suppress(FileNotFoundError):
                            if now - f.lstat().st_mtime >= age:
                                removed += _unlink(f)
    except WorkspaceBusy:
        return []
    return removed


def _unlink(f: Path) -> list[Path]:
    try:
        if f.is_dir() and not f.is_symlink():
            return []
        f.unlink()
        return [f]
    except FileNotFoundError:
        return []


def checkpoint(step: str) -> None:
    """Test hook: pause here for ever (after printing ``PAUSED <step>``) when ``$BANGFU_TEST_PAUSE_AT`` names
    ``step``; a no-op otherwise. Lets a test kill a writer at an exact step without timing guesses."""
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted or step not in {s.strip() for s in wanted.split(",")}:
        return
    sys.stdout.write(f"PAUSED {step}\n")
    sys.stdout.flush()
    threading.Event().wait()
