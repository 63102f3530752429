#!/usr/bin/env bash
# run-with-deadline.sh DURATION LOG COMMAND… — runs COMMAND with its output shown and copied to LOG. If it has not
# ended after DURATION (a `sleep` duration: 25m, 90s), every thread of each test process it started (the
# `….xctest` binaries) is printed with gdb, so a hang shows where it waits, and then the whole command is killed.
# Exits with COMMAND's status, or 124 after the deadline.
set -uo pipefail
deadline=$1 log=$2
shift 2
# A process group of its own, so the kill reaches the test binaries `swift test` starts.
setsid "$@" > >(tee "$log") 2>&1 &
leader=$!
( trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  sleep "$deadline" & sleeper=$!
  wait "$sleeper"
  touch "$log.overdue"
  for pid in $(pgrep -f '\.xctest' || true); do
    echo "=== threads of $(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | cut -c1-200) (pid $pid) ===" >&2
    timeout 120 gdb -p "$pid" -batch -nx -ex 'set pagination off' -ex 'thread apply all bt 30' 2>&1 | grep -E '^(Thread|#)' >&2
  done
  # Everything the run started stays in its session, servers in process groups of their own included.
  pkill -KILL -s "$leader" 2>/dev/null ) &
watchdog=$!
wait "$leader"
status=$?
kill "$watchdog" 2>/dev/null
wait "$watchdog" 2>/dev/null
if [ -e "$log.overdue" ]; then rm -f "$log.overdue"; exit 124; fi
exit "$status"
