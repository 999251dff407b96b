"""Shared fixtures: the import path, a private copy of the demo, isolation of the user's workspace folder.

Hand-made layers and workspaces come from ``factories``."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from collections.abc import Iterator

import geopandas as gpd
import pytest

ROOT = Path(__file__).resolve().parents[1]
# Import this checkout's package even when another checkout is installed in editable mode.
sys.path.insert(0, str(ROOT / "src"))
DEMO = ROOT / "geodata" / "kaiping_demo.gpkg"


@pytest.fixture
def villages() -> gpd.GeoDataFrame:
    """Three valid ~1 km villages in 赤水镇 (:func:`factories.village_row`)."""
    from factories import village_row

    return village_row()


@pytest.fixture
def demo_workspace(tmp_path: Path) -> Path:
    """A private copy of the demo workspace."""
    from bangfu.workspace import store

    if not DEMO.exists():
        pytest.fail("geodata/kaiping_demo.gpkg is missing: run `python -m bangfu.demo build`")
    return store.ensure_workspace(tmp_path / "ws", demo=DEMO)


@pytest.fixture(scope="session")
def province_gpkg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small synthetic Liaoning workspace (:data:`bangfu.demo.province.SMALL_SIZE`: 2 cities, 3 counties,
    301 villages, 4,000 households), built once per test session. Read-only: copy it to change it."""
    from bangfu.demo.build import build_province
    from bangfu.demo.province import SMALL_SIZE

    return build_province(tmp_path_factory.mktemp("province") / "province.gpkg", "liaoning", SMALL_SIZE)


@pytest.fixture(scope="module")
def province_ws(tmp_path_factory: pytest.TempPathFactory, province_gpkg: Path) -> Iterator[Path]:
    """An office folder holding a copy of the small province (one per test module), with the admin ``chief``
    (管理员), and BANGFU_WORKSPACE pointing at it for the module."""
    from bangfu.workspace import store
    from factories import account

    folder = tmp_path_factory.mktemp("province-ws") / "ws"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BANGFU_WORKSPACE", str(folder))
        store.ensure_workspace(folder, demo=province_gpkg)
        account(folder, "chief", "admin", display_name="管理员")
        yield folder


@pytest.fixture(autouse=True)
def _isolated_workspace_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never let a test touch the user's real workspace folder."""
    if "BANGFU_WORKSPACE" not in os.environ or not os.environ["BANGFU_WORKSPACE"].startswith("/tmp"):
        monkeypatch.setenv("BANGFU_WORKSPACE", str(tmp_path_factory.mktemp("default-ws")))


_REAL_MAIN = sys.modules.get("__main__")


@pytest.fixture(autouse=True)
def _restore_main_module() -> Iterator[None]:
    """AppTest leaves the app script as ``sys.modules['__main__']``; a later ``spawn`` child would
    then re-run that script. Put pytest's own main module back after every test."""
    yield
    if _REAL_MAIN is not None and sys.modules.get("__main__") is not _REAL_MAIN:
        sys.modules["__main__"] = _REAL_MAIN


@pytest.fixture(autouse=True)
def _cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with the production parameters takes ~0.5 s a hash on the CI machine; tests hash with small ones
    (the production parameters are checked in tests/test_accounts.py). Hashes carry their parameters, so an app
    server started by a browser test verifies them as they are."""
    from argon2 import PasswordHasher

    from bangfu.workspace import accounts

    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


# --------------------------------------------------------------------------------------------- PostgreSQL/PostGIS
#: A PostgreSQL server URL with PostGIS installed in its database, for the postgis tests (``.ci/run`` sets it);
#: without it the session starts a private cluster (tests/pgcluster.py).
TEST_PG_ENV = "BANGFU_TEST_PG"


def _no_database(reason: str) -> None:
    """Database tests never skip in CI: fail there, skip on a developer's machine without PostgreSQL."""
    if os.environ.get("CI"):
        pytest.fail(f"PostGIS tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL/PostGIS for the database tests ({reason}); set {TEST_PG_ENV} or install "
                "postgresql and postgresql-15-postgis-3")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[str]:
    """A PostgreSQL server URL (password included; database with PostGIS; no query string, so ``url + "?schema=x"``
    names a workspace) for the whole session: ``$BANGFU_TEST_PG`` when set, else a private cluster started here and
    stopped at the end. Neither possible: skip, or FAIL when
    ``CI`` is set."""
    from bangfu.workspace import pgconnect

    given = os.environ.get(TEST_PG_ENV)
    if given:
        try:
            pgconnect.connect(given).close()
        except pgconnect.WorkspaceError as exc:
            pytest.fail(f"{TEST_PG_ENV} is set but unusable: {exc.message_en} {exc.details}", pytrace=False)
        yield given
        return
    from pgcluster import PrivateCluster

    try:
        cluster = PrivateCluster()
    except (RuntimeError, KeyError, OSError) as exc:
        _no_database(str(exc))
    try:
        cluster.start()
    except (RuntimeError, OSError) as exc:
        cluster.stop()
        _no_database(f"could not start a private cluster: {exc}")
    try:
        yield cluster.url
    finally:
        cluster.stop()


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A workspace URL on the test server with a fresh schema name ``t_<random>`` (password included). The schema
    is not created (the store creates its workspace); whatever is in it is dropped after the test."""
    import uuid

    from psycopg import sql

    from bangfu.workspace import pgconnect

    loc = pgconnect.parse(pg_server).with_schema(f"t_{uuid.uuid4().hex[:12]}")
    yield loc.url(loc.url_password)
    with pgconnect.connect(loc, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(loc.schema)))


@pytest.fixture(scope="session")
def demo_pg(pg_server: str) -> Iterator[str]:
    """The shipped demo copied once into its own schema (for read-only tests), dropped at the end of the session."""
    import uuid

    from psycopg import sql

    from bangfu.core.resources import DEMO_PATH
    from bangfu.workspace import pgconnect, transfer

    loc = pgconnect.parse(pg_server).with_schema("t_demo_" + uuid.uuid4().hex[:8])
    url = loc.url(loc.url_password)
    transfer.copy_workspace(DEMO_PATH, url)
    yield url
    with pgconnect.connect(loc, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(loc.schema)))


#: The two workspace stores every store-dependent test runs on (tests/backends.py).
STORES = ("gpkg", "postgis")


@pytest.fixture(params=STORES)
def workspace_any(request: pytest.FixtureRequest) -> Path | str:
    """The demo workspace (read-only) as the shipped GeoPackage and as a PostGIS schema: a test using it runs on
    both stores and must give the same answers."""
    from bangfu.core.resources import DEMO_PATH

    return DEMO_PATH if request.param == "gpkg" else request.getfixturevalue("demo_pg")
