#!/usr/bin/env bash
# Store outage: `fathom serve` on a throw-away PostgreSQL store under a light load of reads, writes (projects)
# and jobs (ledger collections); the store server is stopped for OUTAGE_SECONDS (default 10) and started again on
# the same port. Checks: every request during the outage is answered (each is bounded by a client timeout) with
# 503 STORE_UNAVAILABLE and a Retry-After header — never a 500, never a hang; after the store returns, the API
# answers and jobs finish again within 5 s on their own; every write answered 2xx is in the store at the end.
# Usage: scripts/outage.sh      (FATHOM_BIN: the binary, default .build/debug/fathom; OUTAGE_SECONDS; OUTAGE_RECOVERY_LIMIT)
# Needs curl, python3 and PostgreSQL server binaries.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${FATHOM_BENCH_PG_URL:-}" ]; then exec scripts/with-temp-postgres.sh "$0" "$@"; fi
bin=$(realpath "${FATHOM_BIN:-.build/debug/fathom}")
[ -x "$bin" ] || { echo "no fathom binary at $bin (swift build first, or set FATHOM_BIN)" >&2; exit 1; }
outage=${OUTAGE_SECONDS:-10}
limit=${OUTAGE_RECOVERY_LIMIT:-5}
pg_bin=${FATHOM_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
pg_dir=$FATHOM_BENCH_PG_DIR
pg_port=${FATHOM_BENCH_PG_URL##*:}; pg_port=${pg_port%%/*}
as=(); [ "$(id -u)" = 0 ] && as=(runuser -u "${FATHOM_PG_USER:-postgres}" --)
dir=$(mktemp -d /tmp/fathom-outage-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export FATHOM_ADMIN_PASSWORD=outage-admin-password FATHOM_LOG_LEVEL=${FATHOM_LOG_LEVEL:-warning}
export FATHOM_RATE_LIMIT_READ_PER_MINUTE=1000000 FATHOM_RATE_LIMIT_WRITE_PER_MINUTE=1000000
server=""; load=""
cleanup() {
  [ -n "$load" ] && kill "$load" 2>/dev/null || true
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$server" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  [ -n "${OUTAGE_KEEP:-}" ] && echo "outage: kept $dir" >&2 || rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "outage: FAIL: $*" >&2; tail -n 20 "$dir/serve.log" >&2 || true; exit 1; }
store_start() {
  "${as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
    -o "-p $pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$pg_dir -c max_connections=200" start >/dev/null
}

"$bin" serve --data-dir "$dir/data" --database-url "$FATHOM_BENCH_PG_URL" --port "$port" >"$dir/serve.log" 2>&1 &
server=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 300); do curl -sf -m 2 "$base/healthz" >/dev/null && break; sleep 0.1; done
curl -s -c "$dir/cookies" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$FATHOM_ADMIN_PASSWORD\"}" "$base/api/v1/auth/login" >"$dir/login.json"
csrf=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["csrfToken"])' <"$dir/login.json")
token=$(curl -s -b "$dir/cookies" -H "X-CSRFToken: $csrf" -H 'Content-Type: application/json' -d '{"name":"outage"}' \
  "$base/api/v1/auth/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["secret"])')

# The load: 4 clients, each request bounded by a 6 s timeout; every answer is logged with its time, status,
# error code and Retry-After; every 2xx write names the project it made. Runs until $dir/stop exists.
cat >"$dir/load.py" <<'PY'
import json, os, sys, threading, time, urllib.request, urllib.error, uuid
dir, base, token = sys.argv[1:4]
log = open(os.path.join(dir, "answers.jsonl"), "a", buffering=1)
lock = threading.Lock()
def call(method, path, body=None):
    request = urllib.request.Request(base + path, data=None if body is None else json.dumps(body).encode(), method=method)
    request.add_header("Authorization", "Bearer " + token)
    request.add_header("Content-Type", "application/json")
    started = time.time()
    status, code, retry, payload = 0, None, None, None
    try:
        with urllib.request.urlopen(request, timeout=6) as response:
            status, payload = response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        status, retry = error.code, error.headers.get("Retry-After")
        try: code = json.loads(error.read())["error"]["code"]
        except Exception: pass
    except Exception as error:
        status, code = 0, type(error).__name__   # a timeout: the server hung
    with lock:
        log.write(json.dumps({"t0": started, "t": time.time(), "method": method, "path": path.split("?")[0], "status": status,
                              "code": code, "retry_after": retry, "body": payload if method == "POST" else None}) + "\n")
    return status, payload
def client(n):
    i = 0
    while not os.path.exists(os.path.join(dir, "stop")):
        i += 1
        if i % 3 == 0: call("POST", "/v1/projects", {"name": f"outage-{n}-{i}-{uuid.uuid4().hex[:6]}"})
        elif i % 5 == 0 and n == 0: call("POST", "/api/v1/databases/ledgers/actions/sync-all")
        else: call("GET", "/v1/projects?page_size=5")
        time.sleep(0.1)
threads = [threading.Thread(target=client, args=(n,)) for n in range(4)]
for t in threads: t.start()
for t in threads: t.join()
PY
python3 "$dir/load.py" "$dir" "$base" "$token" 2>"$dir/load.log" &
load=$!
sleep 5
down_at=$(date +%s.%N)
"${as[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null
echo "outage: store stopped for ${outage}s"
sleep "$outage"
store_start
up_at=$(date +%s.%N)
echo "outage: store started again"
sleep 10
touch "$dir/stop"
for _ in $(seq 1 100); do kill -0 "$load" 2>/dev/null || break; sleep 0.1; done
load=""

# Every project a 2xx answer created must be there; jobs finished after the store came back tell when work resumed.
python3 - "$dir" "$base" "$token" "$down_at" "$up_at" "$limit" <<'PY' || fail "the outage checks found problems (above)"
import collections, json, sys, urllib.request
dir, base, token = sys.argv[1:4]
down, up, limit = float(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
def get(path):
    request = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(request, timeout=10) as response: return json.loads(response.read())
answers = [json.loads(line) for line in open(f"{dir}/answers.jsonl")]
problems = []
during = [a for a in answers if a["t0"] > down + 0.5 and a["t"] < up]
after = [a for a in answers if a["t0"] >= up]
by_status = collections.Counter(str(a["status"]) + (" " + a["code"] if a["code"] else "") for a in during)
for a in answers:
    if a["status"] >= 500 and a["status"] != 503: problems.append(f"{a['method']} {a['path']} answered {a['status']} {a['code']}")
    if a["status"] == 0: problems.append(f"{a['method']} {a['path']} got no answer within 6 s ({a['code']})")
    if a["status"] == 503 and (a["code"] != "STORE_UNAVAILABLE" or not a["retry_after"]):
        problems.append(f"503 without STORE_UNAVAILABLE and Retry-After: {a['code']} {a['retry_after']}")
if not any(a["status"] == 503 for a in during): problems.append("no request saw the outage (503) while the store was down")
first_ok = min((a["t"] for a in after if 200 <= a["status"] < 300), default=None)
api_recovery = None if first_ok is None else first_ok - up
if api_recovery is None or api_recovery > limit: problems.append(f"the API did not answer 2xx within {limit}s of the store's return ({api_recovery})")
written, page_token = set(), ""
while True:
    listing = get(f"/v1/projects?page_size=100" + (f"&page_token={page_token}" if page_token else ""))
    written |= {p["id"] for p in listing["projects"]}
    page_token = listing.get("next_page_token") or ""
    if not page_token: break
accepted = [a["body"]["project"]["id"] for a in answers if a["method"] == "POST" and a["path"] == "/v1/projects" and 200 <= a["status"] < 300]
lost = [p for p in accepted if p not in written]
if lost: problems.append(f"{len(lost)} accepted writes are missing: {lost[:5]}")
jobs, job_recovery = get("/api/v1/task-runs?limit=200")["data"]["items"], None
import datetime
finished_after = sorted(datetime.datetime.fromisoformat(j["finished_at"].replace("Z", "+00:00")).timestamp()
                        for j in jobs if j.get("finished_at") and j["state"] == "succeeded")
finished_after = [t for t in finished_after if t >= up]
job_recovery = finished_after[0] - up if finished_after else None
if job_recovery is None or job_recovery > limit: problems.append(f"no job finished within {limit}s of the store's return ({job_recovery})")
worst = max((a["t"] - a["t0"] for a in during), default=0)
print(f"requests: {len(answers)} in all, {len(during)} during the outage: {dict(by_status)}; slowest answer during it {worst:.2f}s")
print(f"accepted writes: {len(accepted)}, found afterwards: {len(accepted) - len(lost)}")
print(f"recovery after the store returned: API {api_recovery if api_recovery is None else round(api_recovery, 2)}s, "
      f"first job finished {job_recovery if job_recovery is None else round(job_recovery, 2)}s")
for p in problems[:20]: print("  problem:", p)
sys.exit(1 if problems else 0)
PY
echo "outage: passed"
