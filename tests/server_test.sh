#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/server_test.sh SERVER PROBE LUA STOP - the server example under
# load: start SERVER on a free port, run the probe (well-formed, partial,
# pipelined, malformed, oversized, random requests), then wrk -t2 -c32 -d3s
# (zero socket errors and zero non-2xx allowed; prints requests/s and p99),
# then stop it with STOP = sigterm (SIGTERM; /quit must then be 404) or
# quit (started with -t, GET /quit), while an idle keep-alive connection
# is open: the server must close it in its drain and exit 0.
# Exit 77 (ctest's SKIP_RETURN_CODE) when wrk is not installed.
set -u
server=$1 probe=$2 lua=$3 stop=$4 secs=3
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

"$server" -p 0 -w 2 $([ "$stop" = quit ] && echo -t) >"$work/server.out" 2>"$work/server.err" &
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

# One request on a new connection (bash's /dev/tcp): prints the status.
status() { # path
    local line
    exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
    printf 'GET %s HTTP/1.1\r\nConnection: close\r\n\r\n' "$1" >&3
    read -r line <&3
    exec 3<&-
    echo "$line" | cut -d' ' -f2
}
# An idle keep-alive connection, open across the stop.
exec 4<>"/dev/tcp/127.0.0.1/$port" || fail "cannot connect"
printf 'GET / HTTP/1.1\r\n\r\n' >&4
read -r line <&4
case $line in "HTTP/1.1 200"*) ;; *) fail "keep-alive answer: $line" ;; esac
if [ "$stop" = quit ]; then
    [ "$(status /quit)" = 200 ] || fail "/quit did not answer 200"
else
    [ "$(status /quit)" = 404 ] || fail "/quit without -t did not answer 404"
    kill -TERM "$pid"
fi
wait "$pid"
rc=$?
pid=
exec 4<&-
[ "$rc" = 0 ] || fail "the server exited with $rc after $stop"
grep -q '^server: drained' "$work/server.out" || fail "no drain message"
grep -q 'still open' "$work/server.err" && fail "the drain left connections open"
echo "server: stopped by $stop, drained (the idle connection closed), exited 0"
