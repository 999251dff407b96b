"""The built wheel: every module and every shipped file (demo, its sources, assets) is inside, nothing stale."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import zipfile
from importlib.resources import files
from pathlib import Path

import pytest

from bangfu.core import resources

ROOT = Path(__file__).resolve().parents[1]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """A wheel built by pip from a copy of the project (an in-tree build would write build/ into the checkout)."""
    tmp = tmp_path_factory.mktemp("wheel")
    project = tmp / "project"
    (project / "src").mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, project / name)
    shutil.copytree(ROOT / "geodata", project / "geodata")
    # src/bangfu/data stays the symbolic link to ../../geodata it is in the repository
    shutil.copytree(ROOT / "src" / "bangfu", project / "src" / "bangfu", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    assert (project / "src" / "bangfu" / "data").is_symlink()
    out = tmp / "dist"
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(project)],
        capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    (whl,) = out.glob("bangfu_atlas-*.whl")
    with zipfile.ZipFile(whl) as zf:
        yield zf


def _in_wheel(path: Path) -> str:
    """The wheel name of a shipped file, from where :mod:`bangfu.core.resources` finds it."""
    package = Path(str(files("bangfu")))
    return "bangfu/" + path.relative_to(package).as_posix()


@pytest.mark.slow
def test_wheel_ships_the_demo_its_sources_and_the_assets(wheel: zipfile.ZipFile):
    names = set(wheel.namelist())
    shipped = [
        resources.DEMO_PATH,
        resources.DATA_DIR / "README.md",
        resources.SOURCES_DIR / "README.md",
        resources.SOURCES_DIR / "admin_boundaries_gcj02.geojson",
        resources.SOURCES_DIR / "villages_liaoning_kaiping.csv",
        resources.asset("favicon.png"),
    ]
    for path in shipped:
        assert _in_wheel(path) in names, path
        # real copies of the files, not the link
        assert _sha256(wheel.read(_in_wheel(path))) == _sha256(path.read_bytes()), path
    assert "bangfu/py.typed" in names
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "bangfu = bangfu.cli:main" in wheel.read(entry_points).decode()


@pytest.mark.slow
def test_wheel_modules_are_exactly_the_source_modules(wheel: zipfile.ZipFile):
    """Package discovery finds every module of src/bangfu (every subpackage has its __init__), and nothing else."""
    source = {
        "bangfu/" + p.relative_to(ROOT / "src" / "bangfu").as_posix()
        for p in (ROOT / "src" / "bangfu").rglob("*.py")
        if "data" not in p.relative_to(ROOT / "src" / "bangfu").parts[:1]
    }
    built = {n for n in wheel.namelist() if n.startswith("bangfu/") and n.endswith(".py")}
    assert built == source, {"missing": sorted(source - built), "extra": sorted(built - source)}
    assert {"bangfu/demo/build.py", "bangfu/demo/sources.py", "bangfu/core/resources.py"} <= built
