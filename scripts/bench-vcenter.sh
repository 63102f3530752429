#!/usr/bin/env bash
# The vCenter collector's benchmark: 1,000 VMs on 32 hosts (4 clusters of 8) in govmomi's simulator, collected and
# ingested twice by `fathom bench vcenter`. Usage: scripts/bench-vcenter.sh [path/to/fathom] (default release build).
set -euo pipefail
cd "$(dirname "$0")/.."
fathom=${1:-.build/release/fathom}
sim=$(bash Tests/FathomKitTests/Collectors/vcsim/build.sh)
out=$(mktemp)
"$sim" -l 127.0.0.1:0 -dc 1 -cluster 4 -ch 8 -host 0 -vm 250 >"$out" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 1 600); do grep -q VCSIM_URL "$out" && break; sleep 0.1; done
url=$(sed -n 's/^VCSIM_URL=//p' "$out" | sed 's#//[^@]*@#//#')
"$fathom" bench vcenter --endpoint "$url"
