"""Code style and types: ``ruff check .`` and ``mypy`` (configured in pyproject.toml) pass on the repository.

Both run as the CI runs them, from the repository root with this interpreter's ruff and mypy, so
``python -m pytest`` fails on a lint finding or a type error. mypy is strict on the maths modules
(the list is in ``[tool.mypy]``; docs/architecture.md says why). A cold mypy run takes about
half a minute; later runs reuse ``.mypy_cache`` and take seconds.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=900)


def test_ruff_is_clean() -> None:
    proc = _run("ruff", "check", ".")
    assert proc.returncode == 0, f"ruff check . failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"


def test_mypy_is_clean() -> None:
    proc = _run("mypy")
    assert proc.returncode == 0, f"mypy failed (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
