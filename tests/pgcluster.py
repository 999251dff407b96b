"""A private PostgreSQL + PostGIS cluster for the test session (used by the ``pg_server`` fixture in conftest).

``initdb`` into a fresh temporary folder (as the ``postgres`` user when running as root: PostgreSQL refuses to run
as root), ``pg_ctl start`` listening on a unix socket in that folder only (no TCP, so it never collides with another
server whatever the port), password authentication (scram) for the superuser, a database ``bangfu_test`` with
``CREATE EXTENSION postgis``. :meth:`PrivateCluster.stop` stops it and removes the folder.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shlex
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

DBNAME = "bangfu_test"
SUPERUSER = "postgres"


def pg_bindir() -> Path | None:
    """Folder of ``initdb``/``pg_ctl``: on PATH, else the newest /usr/lib/postgresql/*/bin (Debian)."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


def postgis_available(bindir: Path) -> bool:
    """Whether the PostGIS extension files are installed for this server version."""
    share = subprocess.run([str(bindir / "pg_config"), "--sharedir"], capture_output=True, text=True, check=False)
    folder = Path(share.stdout.strip()) / "extension" if share.returncode == 0 else None
    if folder is None or not folder.is_dir():
        folder = bindir.parent.parent.parent.parent / "share" / "postgresql" / bindir.parent.name / "extension"
    return (folder / "postgis.control").exists()


def free_port() -> int:
    """A port number for the socket file's name (the cluster listens on no TCP port at all)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateCluster:
    """A throw-away cluster; :attr:`url` is the server URL (superuser, password included, database bangfu_test)."""

    def __init__(self) -> None:
        bindir = pg_bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed (initdb/pg_ctl not found)")
        if not postgis_available(bindir):
            raise RuntimeError(f"PostGIS is not installed for the PostgreSQL in {bindir}")
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="bangfu-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.password = secrets.token_urlsafe(16)
        self.started = False
        self._as: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam(SUPERUSER)  # KeyError: no postgres user to run the server as
            os.chown(self.root, user.pw_uid, user.pw_gid)
            runuser = shutil.which("runuser")
            self._as = [runuser, "-u", SUPERUSER, "--"] if runuser else ["su", SUPERUSER, "-s", "/bin/sh", "-c"]

    @property
    def url(self) -> str:
        """The server URL without a query string (the socket folder percent-encoded as the host, as libpq reads
        it), so ``url + "?schema=x"`` names a workspace."""
        return f"postgresql://{SUPERUSER}:{self.password}@{quote(str(self.root), safe='')}:{self.port}/{DBNAME}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._as and self._as[0] == "su":
            cmd = [*self._as, shlex.join(cmd)]
        elif self._as:
            cmd = [*self._as, *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=self.root)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()[-800:]}")
        return done

    def start(self) -> PrivateCluster:
        pwfile = self.root / "pw"
        pwfile.write_text(self.password + "\n", encoding="utf-8")
        if self._as:
            user = pwd.getpwnam(SUPERUSER)
            os.chown(pwfile, user.pw_uid, user.pw_gid)
        pwfile.chmod(0o600)
        try:
            self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=scram-sha-256", f"--pwfile={pwfile}",
                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        finally:
            pwfile.unlink(missing_ok=True)
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.root} -c listen_addresses= -c fsync=off -c synchronous_commit=off "
                  "-c full_page_writes=off -c max_connections=60", "start")
        self.started = True
        import psycopg

        base = f"host={self.root} port={self.port} user={SUPERUSER} password={self.password}"
        with psycopg.connect(f"{base} dbname=postgres", autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {DBNAME}")
        with psycopg.connect(f"{base} dbname={DBNAME}", autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
        return self

    def stop(self) -> None:
        try:
            if self.started:
                self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
