#!/usr/bin/env bash
# Asset-ledger speed (issue 14): ASSETS assets (default 100,000) from three exec sources whose inventories overlap
# by a tenth, collected through the real run path into a fresh store; duplicate detection over all of them; then a
# release `fathom serve` measured with wrk at 16 and 64 connections — the asset list (default, sorted, filtered,
# searched, a deep page) and the detail of random assets — and the CSV export's rows per second.
# Usage: scripts/bench-assets.sh [sqlite|postgres] [ASSETS]     (BENCH_SECONDS per run, default 20)
# Needs wrk (Debian: apt-get install -y wrk), curl, python3; PostgreSQL server binaries for `postgres`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/bench-lib.sh
backend=${1:-sqlite}; assets=${2:-100000}; seconds=${BENCH_SECONDS:-20}
case $backend in sqlite|postgres) ;; *) echo "backend: sqlite or postgres" >&2; exit 2;; esac
bench_need bench-assets wrk curl python3
if [ "$backend" = postgres ] && [ -z "${FATHOM_BENCH_PG_URL:-}" ]; then
    FATHOM_PG_SETTINGS="-c max_connections=300" exec scripts/with-temp-postgres.sh "$0" "$@"
fi
bench_build
dir=$(mktemp -d /tmp/fathom-bench-assets-XXXXXX)
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$dir"' EXIT
store=(--data-dir "$dir")
[ "$backend" = postgres ] && store+=(--database-url "$FATHOM_BENCH_PG_URL")
export FATHOM_ADMIN_PASSWORD=bench-admin-password FATHOM_LOG_LEVEL=error

echo "== $backend: $assets assets from 3 sources"
/usr/bin/time -f "seed: %e s, max RSS %M KB" "$bin" bench assets "${store[@]}" --assets "$assets" --sources 3
bench_serve --role api
token=$("$bin" tokens create "${store[@]}" --user admin --name bench | tail -n 1)
base="http://127.0.0.1:$port/api/v1"
# 2,000 asset UUIDs from pages spread over the whole list, for the detail requests.
python3 - "$base" "$token" "$assets" > "$dir/uuids" <<'PY'
import json, sys, urllib.request
base, token, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
pages = max(1, total // 100)
for page in range(1, pages + 1, max(1, pages // 20)):
    request = urllib.request.Request(f"{base}/assets?page={page}&pageSize=100", headers={"Authorization": f"Bearer {token}"})
    for item in json.load(urllib.request.urlopen(request))["data"]:
        print(item["assetUuid"])
PY
echo "($(wc -l < "$dir/uuids") asset UUIDs for the detail runs)"
cat > "$dir/get.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
cat > "$dir/detail.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
local uuids = {}
for line in io.lines("$dir/uuids") do uuids[#uuids + 1] = line end
math.randomseed(os.time())
request = function() return wrk.format("GET", "/api/v1/assets/" .. uuids[math.random(#uuids)]) end
LUA

deep=$(( assets / 40 ))
endpoints=(
    "assets|/api/v1/assets?page=1&pageSize=20"
    "assets sortBy=displayName|/api/v1/assets?page=1&pageSize=20&sortBy=displayName"
    "assets assetType=host|/api/v1/assets?page=1&pageSize=20&assetType=host"
    "assets q=app-4242|/api/v1/assets?page=1&pageSize=20&q=app-4242"
    "assets page=$deep|/api/v1/assets?page=$deep&pageSize=20"
)
echo "== $backend, wrk -t2 -d${seconds}s (after a 2 s warm-up per endpoint)"
for entry in "${endpoints[@]}"; do
    name=${entry%%|*}; path=${entry#*|}
    wrk -t1 -c16 -d2s -s "$dir/get.lua" "http://127.0.0.1:$port$path" >/dev/null
    for c in 16 64; do bench_wrk "$name" "$path" "$c"; done
done
wrk -t1 -c16 -d2s -s "$dir/detail.lua" "http://127.0.0.1:$port/api/v1/assets" >/dev/null
for c in 16 64; do bench_wrk "asset detail (random of 2,000)" "/api/v1/assets" "$c" "$dir/detail.lua"; done

echo "== CSV export of every asset (three runs)"
for _ in 1 2 3; do
    curl -s -o "$dir/export.csv" -w '%{time_total}\n' -H "Authorization: Bearer $token" "$base/assets/exports" > "$dir/time"
    python3 - "$dir/export.csv" "$(cat "$dir/time")" <<'PY'
import csv, sys
rows = sum(1 for _ in csv.reader(open(sys.argv[1], newline="", encoding="utf-8-sig"))) - 1
seconds = float(sys.argv[2])
print(f"export: {rows} rows in {seconds:.2f} s = {rows / seconds:,.0f} rows/s")
PY
done
bench_cache_counts
ps -o rss= -p "$server" | awk '{printf "server RSS: %.0f MB\n", $1 / 1024}'
