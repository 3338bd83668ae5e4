#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/server.sh WEFT_SERVER MUTEX_SERVER LUA - the HTTP server example
# (examples/server) under wrk, weft against the mutex+condvar baseline, side
# by side in one invocation: the same source, 2 pool threads each, the same
# wrk load (-t2 -c32, every request a session-cache visit: session.lua).
# Prints bench.h rows: requests/s (higher) and p99 latency in ms (lower).
# bench/run.sh runs it as build/bench/bench/bench_server (a wrapper CMake
# writes) and takes the median over its runs. WEFT_BENCH_QUICK=1: 2 s of
# load per server instead of 5.
set -u
secs=$([ "${WEFT_BENCH_QUICK:-0}" = 1 ] && echo 2 || echo 5)
params="wrk -t2 -c32 -d${secs}s, 2 workers"
if ! command -v wrk >/dev/null 2>&1; then
    for s in weft mutex; do
        printf 'weft-bench-missing\tserver\t%s\t%s\t%s\n' "$params" "$s" \
            "wrk not installed (apt-get install -y wrk)"
    done
    exit 0
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-bench-server.XXXXXX")
pid=
trap '[ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null; rm -rf "$work"' EXIT

# wrk's latency ("812.00us", "1.23ms", "1.02s") in ms.
to_ms() {
    awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        print (u == "us" ? n / 1000 : u == "s" ? n * 1000 : u == "m" ? n * 60000 : n) }'
}

measure() { # system binary lua
    local port=
    "$2" -p 0 -w 2 >"$work/out" 2>"$work/err" &
    pid=$!
    for _ in $(seq 1 100); do
        port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/out")
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "server.sh: $1 did not start" >&2; return 1; }
    wrk -t2 -c32 -d"${secs}s" --latency -s "$3" "http://127.0.0.1:$port/" \
        >"$work/wrk" 2>&1 || { cat "$work/wrk" >&2; return 1; }
    kill -TERM "$pid"
    wait "$pid" || { echo "server.sh: $1 did not exit 0" >&2; return 1; }
    pid=
    if grep -qE 'Socket errors|Non-2xx' "$work/wrk"; then
        grep -E 'Socket errors|Non-2xx' "$work/wrk" >&2
        return 1
    fi
    printf 'weft-bench\tserver\t%s\t%s\t%s\treq/s\thigher\n' "$params" "$1" \
        "$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$work/wrk")"
    printf 'weft-bench\tserver-p99\t%s\t%s\t%s\tms\tlower\n' "$params" "$1" \
        "$(to_ms "$(awk '$1 == "99%" { print $2 }' "$work/wrk")")"
}

rc=0
measure weft "$1" "$3" || rc=1
measure mutex "$2" "$3" || rc=1
exit $rc
