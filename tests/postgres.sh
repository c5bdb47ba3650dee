#!/usr/bin/env bash
# A private, throwaway PostgreSQL for the test run: `start` prints its DATABASE_URL,
# `stop` removes it. Nothing touches the system cluster (/var/lib/postgresql) or 5432.
#
#   url=$(bash tests/postgres.sh start) && DATABASE_URL=$url pytest ...; bash tests/postgres.sh stop
#
# Runs the server as the `postgres` user when started as root (initdb and postgres refuse
# to run as root). Trust authentication, on loopback and the private socket only; fsync off:
# the data is gone after `stop` anyway.
set -euo pipefail

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
# PG_TEST_DIR: a folder of its own (the Makefile makes one per run); created if missing.
PG_DIR=${PG_TEST_DIR:-/tmp/magazine-pg-$(id -u)}
ROLE=magazine
DATABASE=magazine

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")  # from /: postgres may not read the checkout
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
    echo "PostgreSQL server binaries not found; install the Debian package postgresql." >&2
    exit 1
  fi
  stop >/dev/null 2>&1 || true  # a previous run that was killed before its stop
  mkdir -p "$PG_DIR"
  chmod 0755 "$PG_DIR"
  [ "$(id -u)" -eq 0 ] && chown postgres: "$PG_DIR"
  local port
  port=$(free_port)
  as_owner "$PG_BIN/initdb" --pgdata="$PG_DIR/data" --username=postgres --auth=trust \
    --encoding=UTF8 --locale=C --no-sync >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; exit 1; }
  # The socket lives in the private folder (Debian's default, /var/run/postgresql, may not
  # exist or belong to the system cluster).
  as_owner "$PG_BIN/pg_ctl" --pgdata="$PG_DIR/data" --log="$PG_DIR/server.log" --wait \
    --options="-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off \
      -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null \
    || { cat "$PG_DIR/server.log" >&2; exit 1; }
  # CREATEDB: Django's test runner creates (and drops) test_magazine itself.
  as_owner "$PG_BIN/psql" --quiet --host="$PG_DIR" --port="$port" --username=postgres \
    --dbname=postgres --set=ON_ERROR_STOP=1 \
    --command="CREATE ROLE $ROLE LOGIN CREATEDB" \
    --command="CREATE DATABASE $DATABASE OWNER $ROLE" >/dev/null
  echo "postgres://$ROLE@127.0.0.1:$port/$DATABASE" | tee "$PG_DIR/url"
}

stop() {
  if [ -f "$PG_DIR/data/postmaster.pid" ]; then
    # immediate: nothing here is worth a checkpoint.
    as_owner "$PG_BIN/pg_ctl" --pgdata="$PG_DIR/data" --mode=immediate --wait stop >/dev/null || true
  fi
  rm -rf "$PG_DIR"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
