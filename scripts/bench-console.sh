#!/usr/bin/env bash
# Console pages against the API calls they make (issue 17: "a page render within 2× of the API call it wraps").
# Seeds demo capacity data and collects an inventory with the sample collector into a throw-away SQLite store,
# serves it, signs in like a browser (session cookie), then for each page times the page's HTML and, right after,
# the API calls its script makes, alternating, over one kept-alive connection each; prints medians and the ratio.
# Usage: scripts/bench-console.sh [ROUNDS] [INSTANCES] [DATABASES_PER_INSTANCE] [DAYS] [VMS]
#   FATHOM_BIN=path/to/fathom uses that binary instead of building a release one.
# Needs curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-30}; instances=${2:-20}; per=${3:-20}; days=${4:-90}; vms=${5:-200}
for tool in curl python3; do
    command -v "$tool" >/dev/null || { echo "bench-console needs $tool" >&2; exit 1; }
done
if [ -z "${FATHOM_BIN:-}" ]; then
    swift build -c release --product fathom >/dev/null
    bin=$PWD/.build/release/fathom
else
    bin=$FATHOM_BIN
fi
collector=$PWD/Tests/FathomKitTests/AssetLedger/Fixtures/sample_collector.py
dir=$(mktemp -d /tmp/fathom-bench-console-XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
server=""
trap '[ -n "$server" ] && kill $server 2>/dev/null; rm -rf "$dir"' EXIT

echo "== seeding $instances × $per databases × $days days"
"$bin" demo seed --data-dir "$dir" --instances "$instances" --databases-per-instance "$per" --days "$days" | tail -n 1
"$bin" users set-password --data-dir "$dir" admin --password bench-password-1 >/dev/null
FATHOM_RATE_LIMIT_READ_PER_MINUTE=100000000 FATHOM_RATE_LIMIT_WRITE_PER_MINUTE=100000 FATHOM_LOG_LEVEL=error \
    "$bin" serve --data-dir "$dir" --port "$port" --role all >/dev/null 2>&1 &
server=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

PORT=$port ROUNDS=$rounds VMS=$vms COLLECTOR=$collector python3 - <<'PY'
import http.client, json, os, statistics, sys, time

port, rounds, vms = int(os.environ["PORT"]), int(os.environ["ROUNDS"]), int(os.environ["VMS"])

class Session:
    """One kept-alive connection with the console's session cookie and CSRF token."""
    def __init__(self):
        self.conn = http.client.HTTPConnection("127.0.0.1", port)
        self.cookie, self.csrf = "", ""
    def call(self, method, path, body=None):
        headers = {"Accept": "application/json, text/html"}
        if self.cookie: headers["Cookie"] = self.cookie
        if method != "GET" and self.csrf: headers["X-CSRFToken"] = self.csrf
        data = None
        if body is not None:
            data = json.dumps(body).encode(); headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        payload = response.read()
        elapsed = time.perf_counter() - started
        if response.status >= 400:
            sys.exit(f"{method} {path} -> {response.status}: {payload[:300]!r}")
        for name, value in response.getheaders():
            if name.lower() == "set-cookie" and value.startswith("session="): self.cookie = value.split(";")[0]
        return payload, elapsed
    def json(self, method, path, body=None):
        return json.loads(self.call(method, path, body)[0] or b"null")

s = Session()
login = s.json("POST", "/api/v1/auth/login", {"username": "admin", "password": "bench-password-1"})
s.csrf = login["data"]["csrfToken"]

# An inventory for the asset pages: clusters, hosts and VMs from the sample collector, collected once.
hosts = {f"h-{i}": f"c-{i % 4}" for i in range(max(vms // 10, 1))}
config = {"command": os.environ["COLLECTOR"], "clusters": [f"c-{i}" for i in range(4)], "hosts": hosts,
          "vms": {f"vm-{i}": f"h-{i % len(hosts)}" for i in range(vms)}}
source = s.json("POST", "/api/v1/sources", {"name": "bench", "sourceType": "exec", "config": config})["data"]["sourceId"]
run = s.json("POST", f"/api/v1/sources/{source}/runs", {"mode": "collect"})["data"]["runId"]
for _ in range(600):
    status = s.json("GET", f"/api/v1/runs/{run}")["data"]["status"]
    if status in ("Succeeded", "Failed", "Cancelled"): break
    time.sleep(0.1)
if status != "Succeeded": sys.exit(f"collect ended {status}")
vm = s.json("GET", "/api/v1/assets?q=vm-7&assetType=vm")["data"][0]["assetUuid"]
project = s.json("GET", "/v1/projects?page_size=1")["projects"][0]["id"]
instance = s.json("GET", f"/v1/projects/{project}/instances?page_size=1")["instances"][0]["id"]
base = f"/v1/projects/{project}/instances/{instance}"

# Each page and the API calls it wraps, in order: those its script makes on load (console.js / inventory.js),
# and for a chart the server draws, the capacity route a client would page through for the same figures
# ("*": every page of it at the route's maximum of 200).
import datetime
month = (datetime.date.today() - datetime.timedelta(days=30)).isoformat()
quarter = (datetime.date.today() - datetime.timedelta(days=90)).isoformat()
pages = [
    ("dashboard", "/", ["/v1/projects?page_size=100", f"/v1/projects/{project}/instances?page_size=100",
                        f"/v1/projects/{project}/operations?page_size=10", "/api/v1/databases/ledgers?limit=1",
                        "/api/v1/capacity/instances/summary?period_type=daily&time_range=30", "/api/v1/task-runs?limit=10",
                        f"*/api/v1/capacity/instances?period_type=daily&start_date={month}",
                        f"*/api/v1/capacity/databases?period_type=daily&start_date={month}"]),
    ("capacity (weekly)", "/capacity?period_type=weekly",
     ["/api/v1/capacity/instances/summary?period_type=weekly", "/api/v1/capacity/instances?period_type=weekly&page=1&limit=20",
      "/api/v1/capacity/forecast?subject=instances&days=30&limit=20",
      f"*/api/v1/capacity/instances?period_type=weekly&start_date={(datetime.date.today() - datetime.timedelta(days=112)).isoformat()}"]),
    ("database ledger", "/databases", ["/api/v1/databases/ledgers?page=1&limit=20"]),
    ("database", "/databases/1", ["/api/v1/databases/1/tables/sizes", f"*/api/v1/capacity/databases?database_id=1&start_date={quarter}"]),
    ("instance", f"/projects/{project}/instances/{instance}",
     [base, f"/v1/projects/{project}/operations?page_size=20&filter=instance_id%3D{instance}", f"{base}/backups?page_size=50", f"{base}/users"]),
    ("assets", "/inventory/assets",
     ["/api/v1/sources?pageSize=100", "/api/v1/assets?sortBy=updatedAt&sortOrder=desc&page=1&pageSize=20"]),
    ("asset", f"/inventory/assets/{vm}",
     ["/api/v1/sources?pageSize=100", f"/api/v1/assets/{vm}", f"/api/v1/assets/{vm}/history?page=1&pageSize=20"]),
    ("runs", "/inventory/runs", ["/api/v1/sources?pageSize=100", "/api/v1/runs?page=1&pageSize=20"]),
    ("accounts", "/accounts", ["/api/v1/accounts/classifications", "/api/v1/accounts/ledgers?page=1&limit=20"]),
]

def fetch(session, call):
    """One API call's time; a starred call walks every page of its list."""
    if not call.startswith("*"):
        return session.call("GET", call)[1]
    total, page = 0.0, 1
    while True:
        payload, elapsed = session.call("GET", f"{call[1:]}&page={page}&limit=200")
        total += elapsed
        if page >= int(json.loads(payload)["data"].get("pages", 1)): return total
        page += 1

html, api = Session(), Session()
html.cookie = api.cookie = s.cookie
print(f"{'page':<20} {'HTML ms':>8} {'API ms':>8} {'HTML/API':>9}  (medians of {rounds}; the page's API calls summed)")
worst = 0.0
for name, path, calls in pages:
    for _ in range(3):  # warm-up
        html.call("GET", path); [fetch(api, c) for c in calls]
    page_times, api_times = [], []
    for _ in range(rounds):
        page_times.append(html.call("GET", path)[1])
        api_times.append(sum(fetch(api, c) for c in calls))
    page_ms, api_ms = statistics.median(page_times) * 1000, statistics.median(api_times) * 1000
    ratio = page_ms / api_ms
    worst = max(worst, ratio)
    print(f"{name:<20} {page_ms:8.2f} {api_ms:8.2f} {ratio:8.2f}×")
print(f"worst HTML/API ratio {worst:.2f}× — {'within' if worst <= 2 else 'OVER'} the 2× goal")
sys.exit(0 if worst <= 2 else 1)
PY
