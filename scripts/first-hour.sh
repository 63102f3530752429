#!/usr/bin/env bash
# Runs the README's "first hour" block, exactly as written, against a fresh `fathom serve`: proof that the
# walk-through works (instance, databases, users, psql, backup, ledger). Needs the PostgreSQL server package.
# Usage: scripts/first-hour.sh [path-to-fathom-binary]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(realpath "${1:-.build/debug/fathom}")
dir=$(mktemp -d)
chmod 755 "$dir"   # the local provider's postgres user reaches its instance directories through here
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fail() { echo "first-hour: FAIL: $*" >&2; tail -n 30 "$dir/err.log" >&2 || true; exit 1; }

FATHOM_ADMIN_PASSWORD=first-hour-admin "$bin" serve --data-dir "$dir/data" --port "$port" >"$dir/out.log" 2>"$dir/err.log" &
pid=$!
cleanup() {
  kill -TERM $pid 2>/dev/null || true
  wait $pid 2>/dev/null || true
  "$bin" instances stop-all --data-dir "$dir/data" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

# The block between the markers, with this server's port and password.
block=$(awk '/<!-- first-hour:begin -->/{on=1;next} /<!-- first-hour:end -->/{on=0} on' README.md | sed '/^```/d')
[ -n "$block" ] || fail "no first-hour block in README.md"
block=${block//127.0.0.1:8080/127.0.0.1:$port}
block=${block//paste-the-printed-password/first-hour-admin}

out=$(cd "$dir" && timeout 300 bash -euo pipefail -c "$block" 2>&1) || { echo "$out" >&2; fail "the README block failed"; }
echo "$out" | grep -q 'connect with: psql postgresql://app_owner@127.0.0.1:' || fail "no connection URI"
echo "$out" | grep -q '"database_name":"reports"' || fail "the ledger does not list the new database"
echo "$out" | grep -q '"backups":\[{' || fail "no backup listed"
echo "first-hour: 1 passed, 0 failed"
