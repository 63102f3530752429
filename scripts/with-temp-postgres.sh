#!/usr/bin/env bash
# Runs a command with a throw-away PostgreSQL server on a free loopback port; its URL is in $FATHOM_BENCH_PG_URL.
# Usage: scripts/with-temp-postgres.sh COMMAND [ARGS…]   (the server and its directory are removed afterwards)
# FATHOM_PG_SETTINGS adds server settings ("-c name=value …"); $FATHOM_BENCH_PG_DIR is the server's directory.
set -euo pipefail
bin=${FATHOM_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
[ -x "$bin/initdb" ] || { echo "no PostgreSQL server binaries (apt-get install postgresql)" >&2; exit 1; }
dir=$(mktemp -d /tmp/fathom-pg-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
as=()
if [ "$(id -u)" = 0 ]; then chown -R "${FATHOM_PG_USER:-postgres}" "$dir"; as=(runuser -u "${FATHOM_PG_USER:-postgres}" --); fi
echo bench >"$dir/pw"
"${as[@]}" "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$dir/pw" --auth=scram-sha-256 -E UTF8 >/dev/null
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -o "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir -c max_connections=200 ${FATHOM_PG_SETTINGS:-}" -w start >/dev/null
trap '"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
export FATHOM_BENCH_PG_DIR="$dir"
export FATHOM_BENCH_PG_URL="postgres://postgres:bench@127.0.0.1:$port/postgres"
"$@"
