"""The database part of ``.ci/run`` (``.ci/postgres.sh``) really starts what the postgis tests need: a cluster with
PostGIS, a test role that logs in with its password only, ``BANGFU_TEST_PG`` — and removes it all when stopped."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHECK = """
import os, sys, uuid
sys.path.insert(0, "src")
from bangfu.workspace import pgconnect as pg
url = os.environ["BANGFU_TEST_PG"]
loc = pg.parse(url)
with pg.connect(url) as conn:  # checks PostGIS too
    print("postgis", conn.execute("SELECT postgis_lib_version()").fetchone()[0])
    print("user", conn.execute("SELECT current_user").fetchone()[0])
try:
    pg.connect(loc.url("wrong-" + uuid.uuid4().hex))
except pg.DatabaseFault as exc:
    print("wrong password:", exc.kind)
print("root", loc.host)
print("query", "?" in url)
"""


@pytest.mark.postgis
def test_the_ci_database_starts_with_password_login_and_postgis_and_is_removed():
    from pgcluster import pg_bindir, postgis_available

    bindir = pg_bindir()
    usable = bindir is not None and postgis_available(bindir) and (os.geteuid() != 0 or shutil.which("runuser"))
    if not usable:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL/PostGIS missing in CI (.ci/run installs them)", pytrace=False)
        pytest.skip("PostgreSQL/PostGIS not installed")
    script = (f'source .ci/postgres.sh && export BANGFU_CI_PG_PORT=5443 && start_test_postgres || exit 9; '
              f'"{sys.executable}" -c "$CHECK"; rc=$?; stop_test_postgres; exit $rc')
    env = {**os.environ, "CHECK": CHECK}
    env.pop("BANGFU_TEST_PG", None)
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    assert lines["postgis"] >= "3" and lines["user"] == "bangfu_test"
    assert lines["wrong"] == "password: auth", "the test role logs in with its password only"
    assert not Path(lines["root"]).exists(), "the cluster's folder is removed when stopped"
    assert lines["query"] == "False", "a server URL without a query string: url + '?schema=x' names a workspace"
