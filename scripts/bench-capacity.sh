#!/usr/bin/env bash
# Capacity and ledger benchmark on demo data (default 10,000 databases × 365 days = 3.65 M samples), SQLite:
# seeding, full re-aggregation, ledger page latency at 32 concurrent clients over HTTP, CSV export throughput.
# Usage: scripts/bench-capacity.sh [INSTANCES] [DATABASES_PER_INSTANCE] [DAYS] [REQUESTS]
set -euo pipefail
cd "$(dirname "$0")/.."
instances=${1:-100}; per=${2:-100}; days=${3:-365}; requests=${4:-6400}
swift build -c release --product fathom >/dev/null
bin=$PWD/.build/release/fathom
dir=$(mktemp -d /tmp/fathom-bench-capacity-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
trap 'kill $server 2>/dev/null || true; rm -rf "$dir"' EXIT

echo "== seeding $instances × $per databases × $days days"
/usr/bin/time -f "seed: %e s, max RSS %M KB" "$bin" demo seed --data-dir "$dir" --instances "$instances" --databases-per-instance "$per" --days "$days" | tail -n 1
echo "== full re-aggregation"
"$bin" bench aggregate --data-dir "$dir"

FATHOM_RATE_LIMIT_READ_PER_MINUTE=100000000 FATHOM_LOG_LEVEL=error "$bin" serve --data-dir "$dir" --port "$port" --role api >/dev/null 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
token=$("$bin" tokens create --data-dir "$dir" --user admin --name bench | tail -n 1)
pages=$(( instances * per / 20 ))

echo "== ledger pages: $requests requests, 32 concurrent"
python3 - "$port" "$pages" "$requests" > "$dir/urls" <<'PY'
import random, sys
port, pages, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
random.seed(7)
for _ in range(n):
    print(f'url = "http://127.0.0.1:{port}/api/v1/databases/ledgers?page={random.randint(1, max(1, pages))}&limit=20"')
    print('output = "/dev/null"')
PY
start=$(date +%s.%N)
curl -s --parallel --parallel-max 32 -H "Authorization: Bearer $token" -w '%{http_code} %{time_total}\n' --config "$dir/urls" > "$dir/times"
end=$(date +%s.%N)
python3 - "$dir/times" "$start" "$end" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
ok = [float(t) for c, t in rows if c == "200"]
ok.sort()
q = lambda p: ok[min(len(ok) - 1, int(p * len(ok)))] * 1000
wall = float(sys.argv[3]) - float(sys.argv[2])
print(f"ok {len(ok)}/{len(rows)}  p50 {q(0.50):.1f} ms  p99 {q(0.99):.1f} ms  max {ok[-1]*1000:.1f} ms  {len(rows)/wall:.0f} req/s")
PY

echo "== CSV export of the whole ledger"
start=$(date +%s.%N)
lines=$(curl -s -H "Authorization: Bearer $token" "http://127.0.0.1:$port/api/v1/databases/ledgers/exports" | wc -l)
end=$(date +%s.%N)
python3 -c "import sys; n=int(sys.argv[1])-1; t=float(sys.argv[3])-float(sys.argv[2]); print(f'{n} rows in {t:.2f} s = {n/t:.0f} rows/s')" "$lines" "$start" "$end"
ps -o rss= -p $server | awk '{print "server RSS after export: " $1 " KB"}'
