"""Baseline trees for the benchmarks: ``git archive <ref>`` of this repository unpacked in a folder, optionally with
small text fixes without which the baseline cannot run a measurement at all (each bench names its own)."""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

#: file (relative to the checkout) → [(text, replacement), ...]
Fixes = Mapping[str, Sequence[tuple[str, str]]]


def commit_of(ref: str) -> str:
    """The short commit id of ``ref`` in this repository."""
    return subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", ref], check=True, capture_output=True,
                          text=True).stdout.strip()


def export_tree(ref: str, into: Path, fixes: Fixes | None = None) -> Path:
    """``git archive <ref>`` of this repository unpacked into ``into`` (the frozen baseline), with ``fixes`` applied
    where their text is found (a baseline that already has them, or lacks the file, is left alone). Returns ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    for rel, pairs in (fixes or {}).items():
        path = into / rel
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        for old, new in pairs:
            if old in text:
                text = text.replace(old, new)
                print(f"baseline fix applied in {rel}: {old[:60]}…", flush=True)
        path.write_text(text, encoding="utf-8")
    return into
