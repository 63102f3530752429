#!/usr/bin/env bash
# Crash chaos: a mixed workload through the API (local instances with real PostgreSQL servers: create, resize,
# backup, restore, failover, delete; ledger collections; runs of Fathom's own asset source) while `fathom serve`
# is SIGKILLed at random moments KILLS times and restarted. Then the work settles (bounded), the servers stop and
# `fathom store check` and API-level checks run: every accepted operation is found and finished, no instance is
# left half-way, no job ran twice, each schedule slot fired once, the store is sound. Exits non-zero on any
# violation and prints a summary (kills, operations by final state, retries).
# `postgres-replicas` runs two `fathom serve` on one PostgreSQL store and kills one at a time.
# Usage: scripts/chaos.sh [sqlite|postgres|postgres-replicas] [KILLS]     (FATHOM_BIN: the binary, default
#        .build/debug/fathom; CHAOS_SETTLE_SECONDS: the bound on settling, default 300; CHAOS_SEED: random seed)
# Needs curl, python3 and PostgreSQL server binaries (the local provider's instances, and the store for postgres*).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-sqlite}; kills=${2:-5}
case $mode in sqlite|postgres|postgres-replicas) ;; *) echo "mode: sqlite, postgres or postgres-replicas" >&2; exit 2;; esac
if [ "$mode" != sqlite ] && [ -z "${FATHOM_BENCH_PG_URL:-}" ]; then exec scripts/with-temp-postgres.sh "$0" "$@"; fi
bin=$(realpath "${FATHOM_BIN:-.build/debug/fathom}")
[ -x "$bin" ] || { echo "no fathom binary at $bin (swift build first, or set FATHOM_BIN)" >&2; exit 1; }
settle=${CHAOS_SETTLE_SECONDS:-300}
seed=${CHAOS_SEED:-$RANDOM}
RANDOM=$seed
dir=$(mktemp -d /tmp/fathom-chaos-XXXXXX)
chmod 755 "$dir"   # the local provider's postgres user reaches its instance directories through here
data=$dir/data
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
replicas=1; [ "$mode" = postgres-replicas ] && replicas=2
ports=(); pids=(); for i in $(seq 0 $((replicas - 1))); do ports[i]=$(free_port); pids[i]=""; done
store=(--data-dir "$data")
[ "$mode" != sqlite ] && store+=(--database-url "$FATHOM_BENCH_PG_URL")
export FATHOM_ADMIN_PASSWORD=chaos-admin-password FATHOM_LOG_LEVEL=${FATHOM_LOG_LEVEL:-warning}
export FATHOM_RATE_LIMIT_READ_PER_MINUTE=1000000 FATHOM_RATE_LIMIT_WRITE_PER_MINUTE=1000000
# Short leases, so work abandoned by a killed server is taken back within seconds.
export FATHOM_JOB_LEASE_SECONDS=${FATHOM_JOB_LEASE_SECONDS:-6}
workload=""

cleanup() {
  [ -n "$workload" ] && kill "$workload" 2>/dev/null || true
  for pid in "${pids[@]}"; do [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true; done
  "$bin" instances stop-all "${store[@]}" >/dev/null 2>&1 || true
  [ -n "${CHAOS_KEEP:-}" ] && echo "chaos: kept $dir" >&2 || rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "chaos: FAIL: $*" >&2; for i in "${!ports[@]}"; do tail -n 20 "$dir/serve-$i.log" >&2 || true; done; exit 1; }

start() {  # start replica $1 and wait until it answers
  "$bin" serve "${store[@]}" --port "${ports[$1]}" >>"$dir/serve-$1.log" 2>&1 &
  pids[$1]=$!
  for _ in $(seq 1 300); do curl -sf -m 2 "http://127.0.0.1:${ports[$1]}/healthz" >/dev/null && return 0; sleep 0.1; done
  fail "replica $1 did not start"
}
for i in "${!ports[@]}"; do start "$i"; done
base="http://127.0.0.1:${ports[0]}"
curl -s -c "$dir/cookies" -H 'Content-Type: application/json' \
  -d "{\"username\":\"admin\",\"password\":\"$FATHOM_ADMIN_PASSWORD\"}" "$base/api/v1/auth/login" >"$dir/login.json"
csrf=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["csrfToken"])' <"$dir/login.json")
token=$(curl -s -b "$dir/cookies" -H "X-CSRFToken: $csrf" -H 'Content-Type: application/json' -d '{"name":"chaos"}' \
  "$base/api/v1/auth/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["secret"])')
echo "chaos: $mode, $kills kills, seed $seed, replicas on ports ${ports[*]}, data in $dir"

# The workload: random operations against whichever replica answers; every 2xx answer with an operation or run
# is written to accepted.jsonl (what must be found, finished, afterwards). Runs until $dir/stop exists.
cat >"$dir/workload.py" <<'PY'
import json, os, random, sys, time, urllib.request, urllib.error, uuid
dir, token, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
bases = sys.argv[4:]
rng = random.Random(seed)
accepted = open(os.path.join(dir, "accepted.jsonl"), "a", buffering=1)
counts = {}

def call(method, path, body=None):
    base = rng.choice(bases)
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Authorization", "Bearer " + token)
    request.add_header("Content-Type", "application/json")
    if method in ("POST", "PATCH"): request.add_header("Idempotency-Key", str(uuid.uuid4()))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        try: return error.code, json.loads(error.read() or b"null")
        except ValueError: return error.code, None
    except Exception:
        return 0, None   # the server was killed or is restarting

def note(action, status, body):
    key = f"{action} {status // 100}xx" if status else f"{action} no-answer"
    counts[key] = counts.get(key, 0) + 1
    if 200 <= status < 300 and isinstance(body, dict):
        operation = body.get("operation") or {}
        if operation.get("id"): accepted.write(json.dumps({"kind": "operation", "id": operation["id"], "action": action}) + "\n")
        data = body.get("data") or {}
        run = data.get("run_id") or data.get("runId")
        if run: accepted.write(json.dumps({"kind": "run", "id": str(run), "action": action}) + "\n")

status, body = 0, None
while status != 201:
    status, body = call("POST", "/v1/projects", {"name": "chaos"})
    if status == 409: break
    time.sleep(0.5)
if status == 201: project = body["project"]["id"]
else:
    _, listing = call("GET", "/v1/projects")
    project = [p for p in listing["projects"] if p["name"] == "chaos"][0]["id"]
open(os.path.join(dir, "project"), "w").write(project)
call("PUT", "/api/v1/sources/src_fathom", {"enabled": True})
p = f"/v1/projects/{project}"
serial = 0
while not os.path.exists(os.path.join(dir, "stop")):
    status, listing = call("GET", p + "/instances?page_size=100")
    if status != 200:
        note("list", status, None)
        time.sleep(0.3)
        continue
    instances = [i for i in listing.get("instances", []) if i["state"] != "DELETED"]
    running = [i for i in instances if i["state"] == "RUNNING"]
    choice = rng.random()
    if (choice < 0.25 and len(instances) < 3) or not instances:
        serial += 1
        status, body = call("POST", p + "/instances", {"name": f"chaos-{serial}", "engine": "postgresql",
                            "high_availability": rng.random() < 0.4})
        note("create", status, body)
    elif choice < 0.38 and running:
        target = rng.choice(running)
        status, body = call("PATCH", f"{p}/instances/{target['id']}",
                            {"resources": {"cpu": rng.choice([1, 2]), "memory_gb": rng.choice([1, 2]), "storage_gb": 10}})
        note("resize", status, body)
    elif choice < 0.52 and running:
        target = rng.choice(running)
        status, body = call("POST", f"{p}/instances/{target['id']}/backups")
        note("backup", status, body)
    elif choice < 0.60 and running:
        target = rng.choice(running)
        _, backups = call("GET", f"{p}/instances/{target['id']}/backups")
        done = [b for b in (backups or {}).get("backups", []) if b.get("state") == "SUCCEEDED"]
        if done:
            status, body = call("POST", f"{p}/instances/{target['id']}/restore", {"backup_id": rng.choice(done)["id"]})
            note("restore", status, body)
    elif choice < 0.70 and [i for i in running if i.get("high_availability")]:
        target = rng.choice([i for i in running if i.get("high_availability")])
        status, body = call("POST", f"{p}/instances/{target['id']}/failover")
        note("failover", status, body)
    elif choice < 0.78 and running and len(instances) >= 2:
        target = rng.choice(running)
        status, body = call("DELETE", f"{p}/instances/{target['id']}")
        note("delete", status, body)
    elif choice < 0.88:
        status, body = call("POST", "/api/v1/databases/ledgers/actions/sync-all")
        note("sync-all", status, body)
    else:
        status, body = call("POST", "/api/v1/sources/src_fathom/runs", {"mode": "collect"})
        note("asset-run", status, body)
    time.sleep(rng.uniform(0.2, 1.0))
json.dump(counts, open(os.path.join(dir, "requests.json"), "w"), indent=1, sort_keys=True)
PY
urls=(); for port in "${ports[@]}"; do urls+=("http://127.0.0.1:$port"); done
python3 "$dir/workload.py" "$dir" "$token" "$seed" "${urls[@]}" >"$dir/workload.log" 2>&1 &
workload=$!

# The kills: at random moments spread over the workload's time (CHAOS_SECONDS, default 30 + 6 per kill), one
# replica at a time, each restarted at once.
seconds=${CHAOS_SECONDS:-$((30 + 6 * kills))}
began=$SECONDS
gap=$((seconds * 10 / (kills + 1)))   # tenths of a second between kills, on average
for k in $(seq 1 "$kills"); do
  pause=$((gap / 3 + RANDOM % (gap * 4 / 3 + 1)))
  sleep "$((pause / 10)).$((pause % 10))"
  victim=$((RANDOM % replicas))
  kill -9 "${pids[$victim]}" 2>/dev/null || true
  wait "${pids[$victim]}" 2>/dev/null || true
  start "$victim"
  echo "chaos: kill $k/$kills (replica $victim)"
done
left=$((seconds - (SECONDS - began))); [ "$left" -gt 0 ] && sleep "$left"
touch "$dir/stop"
for _ in $(seq 1 120); do kill -0 "$workload" 2>/dev/null || break; sleep 0.5; done
kill "$workload" 2>/dev/null || true; workload=""
project=$(cat "$dir/project")

# Settle: wait (bounded) until every operation, run and job the API shows has finished.
api() { curl -s -m 10 -H "Authorization: Bearer $token" "$base$1"; }
settled=""; settle_start=$SECONDS; settle_end=$SECONDS
for _ in $(seq 1 "$settle"); do
  pending=$(
    { api "/v1/projects/$project/operations?page_size=100&filter=state=PENDING"; echo
      api "/v1/projects/$project/operations?page_size=100&filter=state=RUNNING"; echo
      api "/v1/projects/$project/instances?page_size=100"; echo
      api "/api/v1/task-runs?state=running&limit=1"; echo
      api "/api/v1/runs?pageSize=100"; echo; } | python3 -c '
import json, sys
busy = 0
for line in sys.stdin:
    if not line.strip(): continue
    d = json.loads(line)
    busy += len(d.get("operations", []))
    busy += sum(1 for i in d.get("instances", []) if i["state"] in ("CREATING","RESTARTING","FAILING_OVER","RESTORING","BACKING_UP","DELETING"))
    if isinstance(d.get("data"), dict): busy += d["data"].get("total", 0)
    if isinstance(d.get("data"), list): busy += sum(1 for r in d["data"] if r.get("status") in ("Queued", "Running"))
print(busy)' 2>/dev/null || echo error)
  [ "$pending" = 0 ] && { settled=1; settle_end=$SECONDS; break; }
  sleep 1
done
[ -n "$settled" ] || echo "chaos: work did not settle within ${settle}s (the store check names what is stuck)" >&2

# API-level checks before stopping: every accepted operation and run is found and finished.
python3 - "$dir" "$base" "$token" "$project" >"$dir/api-check.txt" <<'PY' || api_failed=1
import collections, json, sys, urllib.request
dir, base, token, project = sys.argv[1:5]
def get(path):
    request = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(request, timeout=10) as response: return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error: return error.code, None
problems, failures, states, seen = [], [], collections.Counter(), set()
for line in open(f"{dir}/accepted.jsonl") if __import__("os").path.exists(f"{dir}/accepted.jsonl") else []:
    item = json.loads(line)
    if (item["kind"], item["id"]) in seen: continue
    seen.add((item["kind"], item["id"]))
    if item["kind"] == "operation":
        status, body = get(f"/v1/projects/{project}/operations/{item['id']}")
        state = body["operation"]["state"] if status == 200 else f"MISSING({status})"
        if state not in ("SUCCEEDED", "FAILED", "CANCELLED"): problems.append(f"operation {item['id']} ({item['action']}) is {state}")
        if state == "FAILED": failures.append(f"{item['action']} {item['id']}: {json.dumps(body['operation'].get('error'))}")
        states[f"{item['action']} {state}"] += 1
    else:
        status, body = get(f"/api/v1/task-runs/{item['id']}") if item["id"].isdigit() else get(f"/api/v1/runs/{item['id']}")
        data = (body or {}).get("data") or {}
        state = data.get("state") or data.get("status") or f"MISSING({status})"
        if state not in ("succeeded", "partial", "failed", "cancelled", "Succeeded", "Failed", "Cancelled"):
            problems.append(f"run {item['id']} ({item['action']}) is {state}")
        states[f"{item['action']} {state}"] += 1
retried, page = 0, 1
while True:
    status, body = get(f"/api/v1/task-runs?limit=100&page={page}")
    items = (body or {}).get("data", {}).get("items", []) if status == 200 else []
    retried += sum(1 for j in items if j["attempts"] > 1)
    if len(items) < 100: break
    page += 1
print(json.dumps({"final_states": dict(sorted(states.items())), "jobs_retried": retried, "problems": problems, "failures": failures}))
sys.exit(1 if problems else 0)
PY

# Stop the servers (gracefully: settled work has nothing running), then check the store with them stopped.
for i in "${!pids[@]}"; do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
for i in "${!pids[@]}"; do wait "${pids[$i]}" 2>/dev/null || true; pids[i]=""; done
check_status=0
"$bin" store check "${store[@]}" >"$dir/store-check.txt" 2>&1 || check_status=$?

echo "== chaos summary ($mode, seed $seed)"
echo "kills: $kills   workload: ${seconds}s   settled: $([ -n "$settled" ] && echo "yes, in $((settle_end - settle_start))s" || echo "NO (bound ${settle}s)")"
echo "requests: $(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))' "$dir/requests.json" 2>/dev/null || echo '?')"
python3 -c 'import json,sys; d=json.loads(open(sys.argv[1]).read()); print("accepted work by final state:", json.dumps(d["final_states"])); print("jobs retried (attempts > 1):", d["jobs_retried"]); [print("  failed:", f) for f in d["failures"]]; [print("  API:", p) for p in d["problems"]]' "$dir/api-check.txt" || cat "$dir/api-check.txt"
cat "$dir/store-check.txt"
[ -z "${api_failed:-}" ] || fail "accepted work missing or unfinished (see above)"
[ "$check_status" = 0 ] || fail "fathom store check found violations"
[ -n "$settled" ] || fail "work did not settle within ${settle}s"
echo "chaos: passed"
