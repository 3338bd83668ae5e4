#!/bin/sh
# SPDX-License-Identifier: MIT
# check_futex.sh PROGRAM MODE zero|some - run PROGRAM MODE under
# strace -f -e trace=futex,getppid and count the futex calls between the
# program's two getppid() markers (its measured region): zero (the
# uncontended fast paths) or at least one (the control, which proves the
# count can be nonzero). Exit 77 (ctest SKIP) without strace or ptrace.
set -u
prog=$1 mode=$2 want=$3
command -v strace >/dev/null 2>&1 || { echo "no strace: skipped"; exit 77; }
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT
if ! strace -f -qq -e trace=futex,getppid -o "$log" "$prog" "$mode"; then
    if grep -q "PTRACE\|Operation not permitted" "$log"; then
        echo "strace cannot trace here: skipped"; exit 77
    fi
    cat "$log"; echo "check_futex: $prog $mode failed"; exit 1
fi
markers=$(grep -c 'getppid()' "$log")
calls=$(awk '/getppid\(\)/ { m++; next } m == 1 && /futex\(/ { n++ }
    END { print n + 0 }' "$log")
awk '/getppid\(\)/ { m++ } m == 1' "$log" | head -n 20
echo "check_futex: $mode: $calls futex calls between the markers (want $want)"
[ "$markers" -eq 2 ] || { echo "check_futex: $markers markers, want 2"; exit 1; }
case $want in
zero) [ "$calls" -eq 0 ] ;;
some) [ "$calls" -gt 0 ] ;;
*) echo "check_futex: want zero or some"; exit 2 ;;
esac
