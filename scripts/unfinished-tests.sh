#!/usr/bin/env bash
# Names the tests a `swift test` log shows as started but never passed, failed or skipped (Swift Testing's
# "Test name() started." lines and XCTest's "Test Case '…' started." lines).
set -euo pipefail
awk '
  / Test run / { next }
  / Test case passing / { next }
  / Test Case .* started\.$/ { n = $0; sub(/^.*Test Case /, "", n); sub(/ started\.$/, "", n); open[n]++; next }
  / Test Case .* (passed|failed|skipped)/ { n = $0; sub(/^.*Test Case /, "", n); sub(/ (passed|failed|skipped).*$/, "", n); if (open[n] > 0) open[n]--; next }
  / Test .* started\.$/ { n = $0; sub(/^.* Test /, "", n); sub(/ started\.$/, "", n); open[n]++; next }
  / Test .* (passed|failed|skipped)/ {
    n = $0; sub(/^.* Test /, "", n); sub(/ (passed|failed|skipped).*$/, "", n); sub(/ with [0-9]+ test cases?$/, "", n)
    if (open[n] > 0) open[n]--; next
  }
  END { found = 0; for (n in open) if (open[n] > 0) { print "  " n; found = 1 } if (!found) print "  (none found in the log)" }
' "$1"
