#!/usr/bin/env bash
# `fathom store backup` while a real `fathom serve` serves and another process writes, then `fathom store restore`:
# refused while the server uses the store, then into a fresh store, which must hold every user committed before the
# backup began. Usage: scripts/store-backup.sh [sqlite|postgres] [path-to-fathom-binary]
# (postgres runs itself under scripts/with-temp-postgres.sh; about a minute either way.)
set -euo pipefail
backend=${1:-sqlite}
bin=$(realpath "${2:-.build/debug/fathom}")
if [ "$backend" = postgres ] && [ -z "${FATHOM_BENCH_PG_URL:-}" ]; then
  exec bash "$(dirname "$0")/with-temp-postgres.sh" bash "$0" postgres "$bin"
fi
dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
fail() { echo "store-backup ($backend): FAIL: $*" >&2; exit 1; }
store=(--data-dir "$dir/data")
fresh=(--data-dir "$dir/restored")
if [ "$backend" = postgres ]; then
  store+=(--database-url "$FATHOM_BENCH_PG_URL")
  fresh_db="restored_$RANDOM"
  pgbin=${FATHOM_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)}
  PGPASSWORD=bench "$pgbin/psql" -qAt -d "$FATHOM_BENCH_PG_URL" -c "CREATE DATABASE $fresh_db"
  fresh+=(--database-url "${FATHOM_BENCH_PG_URL%/*}/$fresh_db")
fi

FATHOM_ADMIN_PASSWORD=backup-admin-pass "$bin" serve "${store[@]}" --port "$port" >"$dir/out.log" 2>"$dir/err.log" &
pid=$!
writer=
trap 'kill $pid $writer 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 150); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "$base/healthz" >/dev/null || fail "server did not start"

# Another process commits users one by one (and the server writes sessions) until told to stop; each name is recorded
# only once its command has returned, i.e. committed.
touch "$dir/committed"
(
  for i in $(seq 1 200); do
    [ -e "$dir/stop" ] && break
    FATHOM_BCRYPT_COST=4 "$bin" users create "${store[@]}" "writer-$i" --role viewer --password "writer-pass-$i" >/dev/null
    echo "writer-$i" >>"$dir/committed"
    curl -s -o /dev/null -H 'Content-Type: application/json' -d '{"username":"admin","password":"backup-admin-pass"}' "$base/api/v1/auth/login"
  done
) &
writer=$!
for _ in $(seq 1 300); do [ "$(wc -l <"$dir/committed")" -ge 10 ] && break; sleep 0.1; done
cp "$dir/committed" "$dir/before"
[ "$(wc -l <"$dir/before")" -ge 5 ] || fail "the writer committed nothing"

"$bin" store backup "${store[@]}" "$dir/store.backup" >"$dir/backup.out" 2>"$dir/backup.err" || fail "backup: $(cat "$dir/backup.err")"
grep -q "master key" "$dir/backup.err" || fail "no master-key warning"
[ "$(stat -c %a "$dir/store.backup")" = 600 ] || fail "backup file is not 0600"
# The writer goes on after the backup began (it never paused for it).
for _ in $(seq 1 200); do [ "$(wc -l <"$dir/committed")" -gt "$(wc -l <"$dir/before")" ] && break; sleep 0.1; done
touch "$dir/stop"
wait "$writer" || fail "writer failed"
[ "$(wc -l <"$dir/committed")" -gt "$(wc -l <"$dir/before")" ] || fail "the writer stopped during the backup"

# In use: the server holds the store.
if "$bin" store restore "${store[@]}" --force "$dir/store.backup" >/dev/null 2>"$dir/refused.err"; then fail "restored over a store in use"; fi
grep -q "in use" "$dir/refused.err" || fail "refusal did not say the store is in use: $(cat "$dir/refused.err")"

"$bin" store restore "${fresh[@]}" "$dir/store.backup" >"$dir/restore.out" 2>&1 || fail "restore: $(cat "$dir/restore.out")"
grep -q "integrity and foreign keys checked" "$dir/restore.out" || fail "restore did not report its checks"
"$bin" users list "${fresh[@]}" >"$dir/users" || fail "the restored store does not open"
missing=0
while read -r name; do grep -qw "$name" "$dir/users" || missing=$((missing + 1)); done <"$dir/before"
[ "$missing" = 0 ] || fail "$missing users committed before the backup are missing"

kill -TERM $pid
wait $pid || fail "server did not exit cleanly"
echo "store-backup ($backend): $(wc -l <"$dir/before") rows committed before the backup, $(wc -l <"$dir/committed") in all; restored and checked"
echo "store-backup: 1 passed, 0 failed"
