"""Run a reader on an uploaded file in a child process under limits on time and memory, cancellable.

Every upload (layer imports of every format, road bulk-update sheets) is read and checked by
:func:`run_limited`: the work runs in a child process started from a fork server (the heavy
modules are imported once), with ``RLIMIT_CPU`` and a hard ``RLIMIT_AS`` backstop set from :class:`bangfu.ingest.guard.Limits`; the
parent kills it after ``max_seconds`` of wall-clock time or once its resident memory passes ``max_memory_mb``.
The parent thread only waits: it calls ``on_tick(elapsed, limit)`` every few tenths of a second, so
the page can show progress, and anything that callback raises (Streamlit stopping the script when
the user presses 取消, reruns or closes the tab) kills the child at once. The parent gets back plain
data (pickled) or a :class:`bangfu.core.errors.BangfuError` with a Chinese message; an unexpected
exception in the child becomes an :class:`~bangfu.ingest.guard.ImportRefused` naming it, never a
traceback.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import multiprocessing.connection
import multiprocessing.forkserver
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from bangfu.core.errors import BangfuError
from bangfu.ingest.guard import ImportRefused, Limits

__all__ = ["run_limited", "Tick", "TICK_SECONDS", "PRELOAD", "in_child", "last_child_pid"]

T = TypeVar("T")
#: ``on_tick(elapsed_seconds, limit_seconds)`` — called while the child works.
Tick = Callable[[float, float], None]
#: How often the parent looks at the child (and calls ``on_tick``).
TICK_SECONDS = 0.2
#: Modules the fork server imports once, so a child starts in milliseconds.
PRELOAD = ["bangfu.ingest.pipeline"]
_CHILD_ENV = "BANGFU_SANDBOX_CHILD"
_context: Any = None
_last_pid: int | None = None


def last_child_pid() -> int | None:
    """The process id of the latest child started here (for tests that check it is gone)."""
    return _last_pid


def in_child() -> bool:
    """True inside a sandbox child (nested calls then run directly, under the limits already set)."""
    return os.environ.get(_CHILD_ENV) == "1"


def _package_root() -> str:
    """The folder holding the ``bangfu`` package this process runs (the child must run the same code)."""
    return str(Path(__file__).resolve().parents[2])


_MAIN_LOCK = threading.Lock()


@contextlib.contextmanager
def _no_main_script() -> Iterator[None]:
    """Start children without re-running the parent's ``__main__`` script.

    multiprocessing makes every forkserver/spawn child import the parent's main script (as ``__mp_main__``).
    Under Streamlit's AppTest that script is a page, which would run again in the child; the work a child
    does (a :mod:`bangfu` function) never needs it, so the main module is hidden while the child starts.
    """
    main = sys.modules.get("__main__")
    with _MAIN_LOCK:
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            if main is not None:
                sys.modules["__main__"] = main


def _mp_context() -> Any:
    global _context
    if _context is None:
        if "forkserver" in multiprocessing.get_all_start_methods():
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload(PRELOAD)
            # The fork server does not take over the parent's sys.path (Python < 3.13): start it with
            # this package first on PYTHONPATH, so that a checkout's code, not another install, runs.
            old = os.environ.get("PYTHONPATH")
            os.environ["PYTHONPATH"] = os.pathsep.join([_package_root()] + ([old] if old else []))
            try:
                with _no_main_script():
                    multiprocessing.forkserver.ensure_running()
            finally:
                if old is None:
                    os.environ.pop("PYTHONPATH", None)
                else:
                    os.environ["PYTHONPATH"] = old
            _context = ctx
        else:  # pragma: no cover - Windows/macOS fallback
            _context = multiprocessing.get_context("spawn")
    return _context


def _address_space() -> int:
    """This process's current virtual memory size in bytes (0 when unknown)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


#: Address space allowed beyond the memory limit: thread pools and allocators reserve (but do not use) a lot
#: of it, so the hard ``RLIMIT_AS`` cap is a backstop; the limit itself is checked on resident memory.
AS_SLACK_MB = 4096


def _set_limits(limits: Limits) -> None:
    try:  # fewer threads and malloc arenas: less reserved address space, no surprise under RLIMIT_AS
        import ctypes

        ctypes.CDLL(None).mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass
    try:  # Arrow's own allocator reserves gigabytes of address space up front; malloc does not
        import pyarrow  # type: ignore[import-untyped]

        pyarrow.set_memory_pool(pyarrow.system_memory_pool())
        pyarrow.set_cpu_count(1)
        pyarrow.set_io_thread_count(1)
    except Exception:  # noqa: BLE001 - pyarrow absent or too old: its pool is then not used anyway
        pass
    try:
        import resource
    except ImportError:  # pragma: no cover - not on POSIX
        return
    cpu = int(limits.max_seconds) + 2
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    memory = _address_space() + (int(limits.max_memory_mb) + AS_SLACK_MB) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))


def resident_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (0 when it cannot be read, e.g. it has ended)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


def _error_state(exc: BangfuError) -> tuple[type, dict[str, Any]]:
    return type(exc), dict(exc.__dict__)


def _rebuild(cls: type, state: dict[str, Any]) -> BangfuError:
    exc: BangfuError = Exception.__new__(cls)
    Exception.__init__(exc, state.get("message_zh", ""))
    exc.__dict__.update(state)
    return exc


def _child(conn: multiprocessing.connection.Connection, limits: Limits, func: Callable[..., Any],
           args: tuple, kwargs: dict) -> None:
    os.environ[_CHILD_ENV] = "1"
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the parent, which kills the child
    try:
        _set_limits(limits)
        result = func(*args, **kwargs)
        message: tuple = ("ok", result)
    except BangfuError as exc:
        message = ("error", *_error_state(exc))
    except MemoryError:
        message = ("memory", "")
    except RecursionError:
        message = ("depth", "")
    except Exception as exc:  # noqa: BLE001 - any reader failure becomes a Chinese message in the parent
        message = ("internal", f"{type(exc).__name__}: {exc}"[:500])
    try:
        conn.send(message)
    except MemoryError:
        conn.send(("memory", ""))
    except Exception as exc:  # noqa: BLE001 - e.g. a result that cannot be pickled
        conn.send(("internal", f"{type(exc).__name__}: {exc}"[:500]))
    conn.close()


def _refusal(kind: str, detail: str, limits: Limits, what: str) -> ImportRefused:
    mem, secs = int(limits.max_memory_mb), limits.max_seconds
    table = {
        "timeout": (f"读取和检查{what}用时超过上限（{secs:g} 秒），已终止。文件可能过大，或含有递归视图、"
                    "极深嵌套等异常内容。", f"reading took longer than {secs:g} s and was stopped",
                    "拆分文件后分批导入；管理员可用环境变量 BANGFU_MAX_SECONDS 调整上限。"),
        "memory": (f"读取和检查{what}需要的内存超过上限（{mem} MB），已终止。文件可能过大，或是“压缩炸弹”。",
                   f"reading needed more than {mem} MB of memory and was stopped",
                   "拆分文件后分批导入；管理员可用环境变量 BANGFU_MAX_MEMORY_MB 调整上限。"),
        "depth": (f"{what}的嵌套层数过深，超过上限（{limits.max_depth} 层），拒绝导入。",
                  f"nesting deeper than {limits.max_depth}", "检查文件是否由正常的 GIS 软件导出。"),
        "internal": (f"{what}无法读取（{detail}）。文件可能已损坏或格式不受支持。", f"cannot read the file: {detail}",
                     "用 GIS 软件或 Excel 打开、另存后再导入；仍有问题请把文件发给维护人员。"),
        "crashed": (f"读取{what}时处理进程意外终止（{detail}），可能超出内存上限（{mem} MB）或文件已损坏。",
                    f"the reader process died ({detail})", "拆分或重新导出文件后再试。"),
    }
    zh, en, hint = table[kind]
    return ImportRefused(zh, en, hint_zh=hint, hint_en=en)


def run_limited(func: Callable[..., T], args: tuple = (), kwargs: dict[str, Any] | None = None, *,
                limits: Limits | None = None, on_tick: Tick | None = None, what: str = "文件") -> T:
    """``func(*args, **kwargs)`` in a child process under ``limits``; its result or a BangfuError.

    ``func`` must be a module-level function and its arguments and result picklable. Raises
    :class:`ImportRefused` when the child runs out of time or memory, nests too deep or fails
    unexpectedly; a :class:`BangfuError` raised in the child is raised here as it was. Whatever
    ``on_tick`` raises propagates after the child has been killed (that is how a page cancels).
    Inside a child (nested call) ``func`` runs directly.
    """
    limits = limits or Limits.from_env()
    kwargs = dict(kwargs or {})
    if in_child():
        return func(*args, **kwargs)
    ctx = _mp_context()
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(send, limits, func, args, kwargs), daemon=True, name="bangfu-reader")
    start = time.monotonic()
    with _no_main_script():
        proc.start()
    global _last_pid
    _last_pid = proc.pid
    send.close()
    message: tuple | None = None
    try:
        while True:
            elapsed = time.monotonic() - start
            if receive.poll(TICK_SECONDS):
                try:
                    message = receive.recv()
                except (EOFError, OSError):
                    message = None
                break
            if not proc.is_alive() and not receive.poll(0):
                break
            if elapsed > limits.max_seconds:
                message = ("timeout", "")
                break
            if proc.pid is not None and resident_mb(proc.pid) > limits.max_memory_mb:
                message = ("memory", "")
                break
            if on_tick is not None:
                on_tick(elapsed, limits.max_seconds)
    finally:
        if message is None or message[0] == "timeout":
            proc.kill()
        proc.join(10)
        if proc.is_alive():  # pragma: no cover - a child that ignores SIGKILL cannot happen on Linux
            proc.kill()
            proc.join()
        receive.close()
    if message is None:
        code = proc.exitcode
        if code is not None and code < 0 and -code in (signal.SIGXCPU, signal.SIGKILL):
            raise _refusal("timeout" if -code == signal.SIGXCPU else "crashed", f"信号 {-code}", limits, what)
        raise _refusal("crashed", f"退出码 {code}", limits, what)
    kind = message[0]
    if kind == "ok":
        return message[1]
    if kind == "error":
        raise _rebuild(message[1], message[2])
    raise _refusal(kind, message[1] if len(message) > 1 else "", limits, what)
