#!/usr/bin/env bash
# Builds the vCenter simulator (main.go here) once into $VCSIM_CACHE (default ~/.cache/fathom-vcsim) and prints the
# binary's path. Needs Debian's golang-go and golang-github-vmware-govmomi-dev (.ci/run installs them).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${VCSIM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/fathom-vcsim}
bin=$cache/vcsim
if [[ ! -x $bin || $here/main.go -nt $bin ]]; then
  command -v go >/dev/null && [[ -d /usr/share/gocode/src/github.com/vmware/govmomi ]] || {
    echo "vcsim: needs golang-go and golang-github-vmware-govmomi-dev (apt-get install)" >&2; exit 3; }
  mkdir -p "$cache/src"
  cp "$here/main.go" "$cache/src/main.go"
  (cd "$cache/src" && GOPATH=/usr/share/gocode GO111MODULE=off GOFLAGS= GOCACHE=$cache/gocache go build -o "$bin.tmp" . && mv "$bin.tmp" "$bin") >&2
fi
echo "$bin"
