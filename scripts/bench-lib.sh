# Shared by the HTTP benchmarks (sourced): a release `fathom`, a free port, a served store, wrk figures.
# The caller sets $dir (scratch directory) and `store=(--data-dir … [--database-url …])`.

# Stops unless each named tool is installed: bench_need NAME TOOL…
bench_need() {
    local name=$1; shift
    for tool in "$@"; do
        command -v "$tool" >/dev/null || { echo "$name needs $tool (Debian: apt-get install -y $tool)" >&2; exit 1; }
    done
}

# Builds the release binary into ${FATHOM_BENCH_SCRATCH:-.build}; sets $bin. FATHOM_BENCH_BIN names a binary to
# measure instead (an older build, to compare), and nothing is built.
bench_build() {
    if [ -n "${FATHOM_BENCH_BIN:-}" ]; then bin=$(realpath "$FATHOM_BENCH_BIN"); return; fi
    local scratch=${FATHOM_BENCH_SCRATCH:-.build}
    swift build -c release --product fathom --scratch-path "$scratch" >/dev/null 2>&1
    bin=$(cd "$scratch" && pwd)/release/fathom
}

bench_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Serves the store on a free port with rate limits out of the way; sets $port and $server.
bench_serve() {
    port=$(bench_free_port)
    FATHOM_RATE_LIMIT_READ_PER_MINUTE=1000000000 FATHOM_RATE_LIMIT_WRITE_PER_MINUTE=1000000000 FATHOM_LOG_LEVEL=error \
        "$bin" serve "${store[@]}" --port "$port" "$@" >/dev/null 2>&1 &
    server=$!
    for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && return; sleep 0.1; done
    echo "fathom serve did not come up" >&2; return 1
}

# CPU seconds (user + system) the server process has used so far.
bench_server_cpu() {
    awk -v hz="$(getconf CLK_TCK)" '{printf "%.3f\n", ($14 + $15) / hz}' "/proc/$server/stat"
}

# wrk for $seconds against a path: NAME PATH CONNECTIONS [LUA]; prints one line, leaves the request count in $dir/count.
# The server's CPU per request is printed too: on a shared machine it is the figure that does not depend on the load.
bench_wrk() {
    local out script=${4:-$dir/get.lua} before after
    before=$(bench_server_cpu)
    out=$(wrk -t2 -c"$3" -d"${seconds}s" --latency -s "$script" "http://127.0.0.1:$port$2")
    after=$(bench_server_cpu)
    echo "$out" | awk -v name="$1" -v c="$3" -v before="$before" -v after="$after" '
        $1=="50%"{p50=$2} $1=="99%"{p99=$2} /Requests\/sec/{rps=$2} /requests in/{n=$1} /Non-2xx/{bad=$NF}
        END{printf "%-44s %3d conns  %9s req/s  p50 %8s  p99 %8s  non-2xx %s  cpu %6.0f us/req\n", name, c, rps, p50, p99, (bad==""?0:bad), (n>0?(after-before)*1e6/n:0)}'
    echo "$out" | awk '/requests in/{print $1}' > "$dir/count"
}

# What the response cache did over the whole run (hits, waits, misses), from /metrics. FATHOM_RESPONSE_CACHE=off in the
# environment measures every request computed afresh.
bench_cache_counts() {
    curl -s "http://127.0.0.1:$port/metrics" | awk -F'[{}" ]' '/^fathom_response_cache_total/{c[$3]=$NF; seen=1}
        END{printf "response cache: %d hits, %d from the second before, %d waits, %d misses%s\n", c["hit"], c["previous"], c["wait"], c["miss"], (seen?"":" (off)")}'
}
