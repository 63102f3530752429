#!/usr/bin/env bash
# API speed on the reference's benchmark shape: 20 × SCALE instances × 50 databases × 365 days of daily samples,
# a release `fathom serve`, a cookie-authenticated admin, wrk at 16 and 64 connections per endpoint.
# Prints req/s, p50, p99 and non-2xx per endpoint, the server's RSS, and for `auth/me` the CPU per request of the
# server (and of PostgreSQL's processes) and the statements each request sends to PostgreSQL.
# Usage: scripts/bench-api.sh [sqlite|postgres] [SCALE]     (BENCH_SECONDS per run, default 20)
# BENCH_ENDPOINTS: a regular expression of endpoint names to run (default all; auth/me always runs).
# At 64 connections each endpoint also prints the server's CPU per request (PostgreSQL: its CPU and statements too).
# FATHOM_RESPONSE_CACHE=off measures every page computed afresh (the default keeps answers until a write or the next
# second; the counts of hits, waits and misses are printed at the end).
# Needs wrk (Debian: apt-get install -y wrk), curl, python3; PostgreSQL server binaries for `postgres`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
backend=${1:-sqlite}; scale=${2:-1}; seconds=${BENCH_SECONDS:-20}
case $backend in sqlite|postgres) ;; *) echo "backend: sqlite or postgres" >&2; exit 2;; esac
bench_need bench-api wrk curl python3
if [ "$backend" = postgres ] && [ -z "${FATHOM_BENCH_PG_URL:-}" ]; then
    # Run again inside a throw-away server that counts statements.
    FATHOM_PG_SETTINGS="-c shared_preload_libraries=pg_stat_statements -c max_connections=300" \
        exec scripts/with-temp-postgres.sh "$0" "$@"
fi
bench_build
dir=$(mktemp -d /tmp/fathom-bench-api-XXXXXX)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$dir"' EXIT
store=(--data-dir "$dir")
[ "$backend" = postgres ] && store+=(--database-url "$FATHOM_BENCH_PG_URL")
export FATHOM_ADMIN_PASSWORD=bench-admin-password FATHOM_LOG_LEVEL=error

instances=$((20 * scale))
echo "== $backend: seeding $instances instances × 50 databases × 365 days"
/usr/bin/time -f "seed: %e s" "$bin" demo seed "${store[@]}" --instances "$instances" --databases-per-instance 50 --days 365 | tail -n 1
# Measure the steady state, not the seed's aftermath (autovacuum and a checkpoint of the freshly written rows).
[ "$backend" = postgres ] && psql "$FATHOM_BENCH_PG_URL" -qc "VACUUM ANALYZE" -c "CHECKPOINT" >/dev/null
bench_serve
session=$(curl -s -D - -o /dev/null -H 'Content-Type: application/json' \
    -d "{\"username\":\"admin\",\"password\":\"$FATHOM_ADMIN_PASSWORD\"}" "http://127.0.0.1:$port/api/v1/auth/login" \
    | sed -n 's/^[Ss]et-[Cc]ookie: session=\([^;]*\).*/\1/p')
[ -n "$session" ] || { echo "login failed" >&2; exit 1; }
export SESSION=$session   # read by get.lua in every wrk run (without it wrk measured 401 answers)
instance=$(curl -s -b "session=$session" "http://127.0.0.1:$port/api/v1/capacity/instances?limit=1" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["items"][0]["instance_id"])')

cat > "$dir/get.lua" <<'LUA'
wrk.headers["Cookie"] = "session=" .. os.getenv("SESSION")
LUA
# CPU seconds used so far by the server, and by PostgreSQL's processes (postmaster and its children).
cpu() {
    local pids=$server
    if [ "$backend" = postgres ]; then
        local master; master=$(head -n 1 "$FATHOM_BENCH_PG_DIR/data/postmaster.pid")
        pids="$pids $master $(pgrep -P "$master" | tr '\n' ' ')"
    fi
    python3 - "$server" $pids <<'PY'
import os, sys
tick = os.sysconf("SC_CLK_TCK"); server = sys.argv[1]; own = other = 0.0
for pid in sys.argv[2:]:
    try: fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError: continue
    used = (int(fields[11]) + int(fields[12])) / tick
    if pid == server: own += used
    else: other += used
print(own, other)
PY
}
statements() {
    [ "$backend" = postgres ] || { echo 0; return; }
    psql "$FATHOM_BENCH_PG_URL" -Atqc "SELECT COALESCE(SUM(calls), 0) FROM pg_stat_statements"
}
[ "$backend" = postgres ] && psql "$FATHOM_BENCH_PG_URL" -qc "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null

base="/api/v1"
endpoints=(
    "ledgers|$base/databases/ledgers?page=1&limit=20"
    "capacity/databases|$base/capacity/databases?page=1&limit=20"
    "capacity/databases weekly|$base/capacity/databases?page=1&limit=20&period_type=weekly"
    "capacity/databases instance_id|$base/capacity/databases?page=1&limit=20&instance_id=$instance"
    "capacity/instances|$base/capacity/instances?page=1&limit=20"
    "capacity/instances weekly|$base/capacity/instances?page=1&limit=20&period_type=weekly"
    "capacity/instances instance_id|$base/capacity/instances?page=1&limit=20&instance_id=$instance"
    "capacity/databases/summary|$base/capacity/databases/summary"
    "capacity/instances/summary|$base/capacity/instances/summary"
)
echo "== $backend, scale $scale, wrk -t2 -d${seconds}s (after a 2 s warm-up per endpoint)"
# wrk at 64 connections, then what each request cost: CPU (server; PostgreSQL's processes) and statements sent.
measured_wrk() {
    local own0 other0 statements0 own1 other1 statements1
    read -r own0 other0 < <(cpu); statements0=$(statements)
    bench_wrk "$1" "$2" 64
    read -r own1 other1 < <(cpu); statements1=$(statements)
    python3 - "$1" "$(cat "$dir/count")" "$own0" "$own1" "$other0" "$other1" "$statements0" "$statements1" "$backend" <<'PY'
import sys
name = sys.argv[1]; n = max(int(sys.argv[2]), 1)
own = float(sys.argv[4]) - float(sys.argv[3]); other = float(sys.argv[6]) - float(sys.argv[5])
line = f"{name} per request: server CPU {own / n * 1e6:.0f} µs"
if sys.argv[9] == "postgres":
    statements = int(sys.argv[8]) - int(sys.argv[7]) - 1   # minus the query that reads the count
    line += f", PostgreSQL CPU {other / n * 1e6:.0f} µs, {statements / n:.3f} statements"
print(line)
PY
}
for entry in "${endpoints[@]}"; do
    name=${entry%%|*}; path=${entry#*|}
    [[ $name =~ ${BENCH_ENDPOINTS:-.} ]] || continue
    wrk -t1 -c16 -d2s -s "$dir/get.lua" "http://127.0.0.1:$port$path" >/dev/null
    bench_wrk "$name" "$path" 16
    measured_wrk "$name" "$path"
done
# The fixed cost of an authenticated request: CPU and store statements per request.
measured_wrk "auth/me" "$base/auth/me"
bench_cache_counts
ps -o rss= -p "$server" | awk '{printf "server RSS: %.0f MB\n", $1 / 1024}'
