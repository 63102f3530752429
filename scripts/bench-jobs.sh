#!/usr/bin/env bash
# Empty-job throughput of the durable queue on SQLite and on a throw-away PostgreSQL (release build).
# Usage: scripts/bench-jobs.sh [COUNT] [WORKERS]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-20000}
workers=${2:-32}
swift build -c release --product fathom >/dev/null
bin=.build/release/fathom
"$bin" bench jobs --count "$count" --workers "$workers"
scripts/with-temp-postgres.sh bash -c "\"$bin\" bench jobs --count $count --workers $workers --database-url \"\$FATHOM_BENCH_PG_URL\""
