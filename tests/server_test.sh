#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/server_test.sh SERVER PROBE LUA [wrk seconds] - the server example
# under load: start SERVER on a free port, run the probe (well-formed,
# partial, pipelined, malformed, oversized, random requests), then wrk
# -t2 -c32 for a few seconds (zero socket errors and zero non-2xx allowed;
# prints requests/s and p99), then SIGTERM: the server must drain and exit 0.
# Exit 77 (ctest's SKIP_RETURN_CODE) when wrk is not installed.
set -u
server=$1 probe=$2 lua=$3 secs=${4:-3}
if ! command -v wrk >/dev/null 2>&1; then
    echo "SKIP: wrk is not installed; install it with: sudo apt-get install -y wrk"
    exit 77
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-server.XXXXXX")
pid=
cleanup() {
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
fail() {
    echo "FAIL: $*"
    echo "--- server output:"
    cat "$work/server.out" "$work/server.err" 2>/dev/null | tail -n 30
    exit 1
}

"$server" -p 0 -w 2 >"$work/server.out" 2>"$work/server.err" &
pid=$!
port=
for _ in $(seq 1 200); do # up to 20 s (sanitizer builds start slowly)
    port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/server.out")
    [ -n "$port" ] && break
    kill -0 "$pid" 2>/dev/null || fail "the server exited before listening"
    sleep 0.1
done
[ -n "$port" ] || fail "the server did not print its port"
echo "$(head -1 "$work/server.out")"

"$probe" "$port" || fail "the probe found a wrong answer"

wrk -t2 -c32 -d"${secs}s" --latency -s "$lua" "http://127.0.0.1:$port/" \
    >"$work/wrk.out" 2>&1 || { cat "$work/wrk.out"; fail "wrk failed"; }
grep -E 'Requests/sec|Latency|requests in|Socket errors|Non-2xx|99%' "$work/wrk.out"
reqs=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$work/wrk.out")
rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$work/wrk.out")
p99=$(awk '$1 == "99%" { print $2 }' "$work/wrk.out")
grep -q 'Socket errors' "$work/wrk.out" && fail "wrk saw socket errors"
grep -q 'Non-2xx' "$work/wrk.out" && fail "wrk saw non-2xx answers"
[ "${reqs:-0}" -gt 0 ] || fail "wrk made no request"
echo "server: $(basename "$server"): $rps requests/s, p99 $p99, $reqs requests, 0 errors"

kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
[ "$rc" = 0 ] || fail "the server exited with $rc after SIGTERM"
grep -q '^server: drained' "$work/server.out" || fail "no drain message"
echo "server: drained and exited 0"
