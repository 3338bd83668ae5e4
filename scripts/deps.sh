#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# deps.sh - make sure the Debian packages weft needs are installed.
#
#   scripts/deps.sh core    toolchain + libck-dev, liburcu-dev, check (make test);
#                           wrk if possible (the server test skips without)
#   scripts/deps.sh san     core + clang sanitizer runtimes, llvm-symbolizer
#                           (make tsan, asan, mutation)
#   scripts/deps.sh bench   core + the benchmark peers and tools (make bench)
#   scripts/deps.sh tools   core + clang-format (make format-check)
#   scripts/deps.sh docs    doxygen (make docs)
#
# As root, missing packages are installed with apt-get. Otherwise the exact
# `sudo apt-get install -y ...` line is printed and the script exits 1.
# Bench peers are optional: one that cannot be installed is reported and
# skipped (the bench rows then say why that peer is missing).
set -euo pipefail

core=(cmake make gcc g++ clang pkg-config libck-dev liburcu-dev check)
peers=(libtbb-dev libomp-dev libglib2.0-dev gnuplot-nox valgrind)
tools=(clang-format)
docs=(doxygen)
# Optional for the tests: the examples/server test drives the server with
# wrk, and is skipped (with the apt-get line) when it is missing.
test_opt=(wrk)
# clang keeps its sanitizer runtimes in a Recommends (libclang-rt-14-dev);
# without llvm-symbolizer TSan stacks are bare addresses, and suppressions,
# which match function names, stop matching.
san=(libclang-rt-dev llvm)

# A package counts as present when dpkg says so; without dpkg (not Debian),
# probe for what the build actually uses.
have() {
    if command -v dpkg-query >/dev/null 2>&1; then
        dpkg-query -W -f='${Status}' "$1" 2>/dev/null |
            grep -q 'install ok installed'
        return
    fi
    case $1 in
    libck-dev) [ -f /usr/include/ck_ring.h ] ;;
    liburcu-dev) pkg-config --exists liburcu-cds 2>/dev/null ;;
    check) pkg-config --exists check 2>/dev/null ;;
    libglib2.0-dev) pkg-config --exists glib-2.0 2>/dev/null ;;
    libtbb-dev) pkg-config --exists tbb 2>/dev/null ;;
    libomp-dev) [ -n "$(find /usr/lib* -name 'libomp.so*' -print -quit)" ] ;;
    gnuplot-nox) command -v gnuplot >/dev/null ;;
    llvm) command -v llvm-symbolizer >/dev/null ;;
    libclang-rt-dev)
        clang -print-file-name="libclang_rt.tsan-$(uname -m).a" | grep -q /
        ;;
    *) command -v "$1" >/dev/null ;;
    esac
}

missing() { # prints the packages of "$@" that are not installed
    local p
    for p in "$@"; do
        have "$p" || printf '%s\n' "$p"
    done
}

apt_updated=0
apt_install() { # installs "$@" as root; returns apt-get's status
    export DEBIAN_FRONTEND=noninteractive
    if [ "$apt_updated" = 0 ]; then
        apt-get update -q || return 1
        apt_updated=1
    fi
    apt-get install -y -q "$@"
}

# required: every package must end up installed, or we fail.
require() {
    local need
    mapfile -t need < <(missing "$@")
    [ "${#need[@]}" = 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "deps: missing packages: ${need[*]}" >&2
        echo "deps: install them with:" >&2
        echo "  sudo apt-get install -y ${need[*]}" >&2
        exit 1
    fi
    echo "deps: installing ${need[*]}"
    apt_install "${need[@]}" || {
        echo "deps: apt-get install failed for: ${need[*]}" >&2
        exit 1
    }
}

# optional: install what can be installed, report the rest, never fail.
want() {
    local need p
    mapfile -t need < <(missing "$@")
    [ "${#need[@]}" = 0 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        echo "deps: optional packages missing: ${need[*]}" >&2
        echo "deps: for the full test and comparison runs:" >&2
        echo "  sudo apt-get install -y ${need[*]}" >&2
        return 0
    fi
    echo "deps: installing ${need[*]}"
    apt_install "${need[@]}" && return 0
    # One of them failed: try each alone so the others still land.
    for p in "${need[@]}"; do
        apt_install "$p" ||
            echo "deps: could not install $p; going on without it" >&2
    done
}

case ${1:-core} in
core) require "${core[@]}" && want "${test_opt[@]}" ;;
san) require "${core[@]}" "${san[@]}" && want "${test_opt[@]}" ;;
bench) require "${core[@]}" && want "${peers[@]}" "${test_opt[@]}" ;;
tools) require "${core[@]}" && want "${tools[@]}" ;;
docs) require "${docs[@]}" ;;
*)
    echo "usage: $0 [core|san|bench|tools|docs]" >&2
    exit 2
    ;;
esac
echo "deps: ok (${1:-core})"
