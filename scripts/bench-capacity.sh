#!/usr/bin/env bash
# Capacity and ledger benchmark on demo data (default 10,000 databases × 365 days = 3.6 M samples), SQLite:
# seeding, full re-aggregation, ledger page latency at 32 concurrent clients over HTTP, CSV export throughput.
# Usage: scripts/bench-capacity.sh [INSTANCES] [DATABASES_PER_INSTANCE] [DAYS] [SECONDS]
# Needs wrk (Debian: apt-get install -y wrk), curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
instances=${1:-100}; per=${2:-100}; days=${3:-365}; seconds=${4:-20}
for tool in wrk curl python3; do
    command -v "$tool" >/dev/null || { echo "bench-capacity needs $tool (Debian: apt-get install -y $tool)" >&2; exit 1; }
done
swift build -c release --product fathom >/dev/null
bin=$PWD/.build/release/fathom
dir=$(mktemp -d /tmp/fathom-bench-capacity-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$dir"' EXIT

echo "== seeding $instances × $per databases × $days days"
/usr/bin/time -f "seed: %e s, max RSS %M KB" "$bin" demo seed --data-dir "$dir" --instances "$instances" --databases-per-instance "$per" --days "$days" | tail -n 1
echo "== full re-aggregation (three runs)"
for _ in 1 2 3; do "$bin" bench aggregate --data-dir "$dir" | grep -v '^backend'; done

FATHOM_RATE_LIMIT_READ_PER_MINUTE=100000000 FATHOM_LOG_LEVEL=error "$bin" serve --data-dir "$dir" --port "$port" --role api >/dev/null 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
token=$("$bin" tokens create --data-dir "$dir" --user admin --name bench | tail -n 1)
pages=$(( (instances * per + 19) / 20 ))

# Random pages of 20 over the whole ledger, one connection per client (32), for $seconds seconds.
cat > "$dir/ledger.lua" <<'LUA'
math.randomseed(7)
local pages = tonumber(os.getenv("PAGES"))
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
request = function()
  return wrk.format("GET", "/api/v1/databases/ledgers?page=" .. math.random(1, pages) .. "&limit=20")
end
LUA
echo "== ledger pages: 32 concurrent clients, ${seconds} s (after a 3 s warm-up)"
PAGES=$pages TOKEN=$token wrk -t1 -c32 -d3s -s "$dir/ledger.lua" "http://127.0.0.1:$port" >/dev/null
PAGES=$pages TOKEN=$token wrk -t1 -c32 -d"${seconds}s" --latency -s "$dir/ledger.lua" "http://127.0.0.1:$port" \
    | awk '$1=="50%"||$1=="90%"||$1=="99%"{printf "p%s %s  ", substr($1,1,length($1)-1), $2} /Requests\/sec/{printf "%s req/s", $2} /Non-2xx/{printf "  NON-2XX: %s", $0} END{print ""}'

echo "== CSV export of the whole ledger (one warm-up, then three runs)"
export_once() {
    curl -s -o "$dir/export.csv" -w '%{time_total}' -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/databases/ledgers/exports"
}
export_once >/dev/null
for _ in 1 2 3; do
    t=$(export_once)
    rows=$(( $(wc -l < "$dir/export.csv") - 1 ))
    python3 -c "import sys; n=int(sys.argv[1]); t=float(sys.argv[2]); print(f'{n} rows in {t*1000:.0f} ms = {n/t:,.0f} rows/s')" "$rows" "$t"
done
ps -o rss= -p $server | awk '{print "server RSS after the exports: " $1 " KB"}'
