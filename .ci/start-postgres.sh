#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on loopback for the integration suites and prints the
# connection URL. Installs the server with apt when it is missing. initdb refuses to run as root,
# so the cluster belongs to the `postgres` user.
set -euo pipefail
PORT="${BULWARK_PG_PORT:-54329}"
DATA="${BULWARK_PG_DATA:-/tmp/bulwark-pg-$PORT}"

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    (apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql) >&2
  else
    echo "PostgreSQL is not installed (apt-get install postgresql)" >&2
    exit 1
  fi
fi
BIN="$(dirname "$(ls -d /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")"

run_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if ! run_pg "$BIN/pg_isready" -h 127.0.0.1 -p "$PORT" -q 2>/dev/null; then
  rm -rf "$DATA"
  mkdir -p "$DATA"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$DATA"
  run_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 >/dev/null
  run_pg "$BIN/pg_ctl" -D "$DATA" -o "-c listen_addresses=127.0.0.1 -p $PORT -k /tmp" -l "$DATA/server.log" -w start >/dev/null
fi
run_pg "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='bulwark_test'" | grep -q 1 \
  || run_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres bulwark_test
echo "postgres://postgres@127.0.0.1:$PORT/bulwark_test"
