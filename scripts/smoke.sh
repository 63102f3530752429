#!/usr/bin/env bash
# End-to-end check of a real `fathom serve`: what a newcomer does with curl after the README's first command.
# Usage: scripts/smoke.sh [path-to-fathom-binary]
set -euo pipefail
bin=${1:-.build/debug/fathom}
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
fail() { echo "smoke: FAIL: $*" >&2; exit 1; }

FATHOM_ADMIN_PASSWORD=smoke-admin-pass "$bin" serve --data-dir "$dir" --port "$port" >"$dir/out.log" 2>"$dir/err.log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
grep -q "listening on http://127.0.0.1:$port" "$dir/out.log" || fail "start-up line missing"
grep -q "Created user 'admin'" "$dir/out.log" || fail "admin bootstrap line missing"

headers=$(curl -s -D - -o "$dir/login.json" -c "$dir/cookies" -H 'Content-Type: application/json' \
  -d '{"username":"admin","password":"smoke-admin-pass"}' "$base/api/v1/auth/login")
echo "$headers" | grep -qi '^x-request-id: req_' || fail "no X-Request-ID"
echo "$headers" | grep -qi '^x-ratelimit-limit:' || fail "no X-RateLimit-Limit"
echo "$headers" | grep -qi '^set-cookie: session=.*HttpOnly' || fail "no session cookie"
csrf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["data"]["csrfToken"])' "$dir/login.json")

curl -sf -b "$dir/cookies" "$base/api/v1/auth/me" | grep -q '"username":"admin"' || fail "me with cookie"
token=$(curl -sf -b "$dir/cookies" -H "X-CSRFToken: $csrf" -H 'Content-Type: application/json' \
  -d '{"name":"smoke"}' "$base/api/v1/auth/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["secret"])')
curl -sf -H "Authorization: Bearer $token" "$base/api/v1/auth/me" | grep -q '"userId":"u_admin"' || fail "me with bearer"

# The command line works against the same store while the server runs.
cli_token=$("$bin" tokens create --data-dir "$dir" --user admin --name cli | tail -n 1)
curl -sf -H "Authorization: Bearer $cli_token" "$base/api/v1/auth/me" >/dev/null || fail "CLI-created token"
"$bin" users create --data-dir "$dir" smoke-viewer --role viewer --password viewer-pass-1 >/dev/null
"$bin" users list --data-dir "$dir" | grep -q smoke-viewer || fail "users list"

curl -sf "$base/api/openapi.json" | grep -q '"openapi":"3.1.0"' || fail "openapi"
curl -sf "$base/readyz" | grep -q '"ready"' || fail "readyz"
curl -sf "$base/metrics" | grep -q 'fathom_http_requests_total' || fail "metrics"
code=$(curl -s -o /dev/null -w '%{http_code}' -b "$dir/cookies" -X POST -H 'Content-Type: application/json' -d '{"name":"x"}' "$base/api/v1/auth/tokens")
[ "$code" = 403 ] || fail "cookie write without CSRF gave $code"
if grep -q 'smoke-admin-pass\|viewer-pass-1' "$dir/err.log"; then fail "a password reached the logs"; fi

kill -TERM $pid
wait $pid || fail "server did not exit cleanly on SIGTERM"
echo "smoke: 1 passed, 0 failed"
