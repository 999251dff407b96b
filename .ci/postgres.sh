# shellcheck shell=bash
# Sourced by .ci/run: a throw-away PostgreSQL + PostGIS cluster for the postgis tests.
#
# start_test_postgres: a private cluster in a temporary folder (unix socket in that folder only, no TCP; the
#   superuser reachable only through that socket), a test role bangfu_test that logs in with a random password
#   (scram-sha-256), owns the database bangfu_test (PostGIS installed) and may create databases and roles (the
#   tests create a database without PostGIS and a read-only role); exports BANGFU_TEST_PG (tests/conftest.py).
# stop_test_postgres: stops it and removes the folder (.ci/run calls it from its EXIT trap).
# Runs the server as the postgres user when started as root (PostgreSQL refuses to run as root).

pg_bin() {  # the newest installed PostgreSQL's bin folder (Debian keeps each major version apart)
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -n | tail -1
}

_as_pg() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_test_postgres() {
  PGBIN="$(pg_bin)"
  PG_PORT="${BANGFU_CI_PG_PORT:-5442}"
  PGROOT="$(mktemp -d /tmp/bangfu-ci-pg.XXXXXX)"
  local data="$PGROOT/data" password
  password="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
  [ "$(id -u)" = 0 ] && chown postgres: "$PGROOT"
  chmod 700 "$PGROOT"
  _as_pg "$PGBIN/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$PGROOT/initdb.log" 2>&1 \
    || { cat "$PGROOT/initdb.log"; return 1; }
  printf 'local all postgres    trust\nlocal all all         scram-sha-256\n' >"$PGROOT/pg_hba.conf"
  [ "$(id -u)" = 0 ] && chown postgres: "$PGROOT/pg_hba.conf"
  _as_pg "$PGBIN/pg_ctl" -D "$data" -l "$PGROOT/server.log" -w -t 60 \
    -o "-p $PG_PORT -k $PGROOT -c listen_addresses= -c hba_file=$PGROOT/pg_hba.conf -c fsync=off" start >/dev/null \
    || { cat "$PGROOT/server.log"; return 1; }
  _pg_sql -d postgres -c "CREATE ROLE bangfu_test LOGIN CREATEDB CREATEROLE PASSWORD '$password'" \
    -c "CREATE DATABASE bangfu_test OWNER bangfu_test" || return 1
  _pg_sql -d bangfu_test -c "CREATE EXTENSION postgis" -c "SELECT 'PostGIS ' || postgis_lib_version()" || return 1
  # no query string (the socket folder percent-encoded as the host), so "$BANGFU_TEST_PG?schema=x" names a workspace
  export BANGFU_TEST_PG="postgresql://bangfu_test:$password@${PGROOT//\//%2F}:$PG_PORT/bangfu_test"
}

_pg_sql() {
  _as_pg "$PGBIN/psql" -h "$PGROOT" -p "$PG_PORT" -U postgres -v ON_ERROR_STOP=1 -qAt "$@"
}

stop_test_postgres() {
  [ -n "${PGROOT:-}" ] || return 0
  _as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$PGROOT"
  unset BANGFU_TEST_PG
}
