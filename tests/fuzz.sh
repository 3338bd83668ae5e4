#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# tests/fuzz.sh [SECONDS] - build the libFuzzer harnesses (preset fuzz:
# clang, ASan + UBSan, the runtime instrumented for coverage) and run each
# for its share of SECONDS (default 60 in all), on a scratch copy of its
# committed corpus (tests/fuzz/corpus/<harness>/): the repository is not
# touched. Prints runs, execs/s, coverage and corpus size per harness.
# Exits non-zero if a harness crashed, failed an invariant, hung (an input
# over FUZZ_TIMEOUT seconds) or ran out of memory; the reproducer's path is
# in the log (replay it: build/fuzz/tests/fuzz_<h> <file>, or the replay
# binaries of any other preset, e.g. build/dev/tests/fuzz_<h>_replay <file>).
#
# Environment: JOBS (build parallelism, default 2), FUZZ_TIMEOUT (seconds
# per input, default 30), FUZZ_MERGE=1 (afterwards merge what the run
# found into the committed corpus with -merge=1: a by-hand step, review
# and commit the result), FUZZ_HARNESSES (default: every fuzz_*.c).
set -euo pipefail
cd "$(dirname "$0")/.."

total=${1:-60}
jobs=${JOBS:-2}
timeout_s=${FUZZ_TIMEOUT:-30}
src=tests/fuzz
bin=build/fuzz/tests
work=build/fuzz/run
harnesses=${FUZZ_HARNESSES:-$(cd $src && ls fuzz_*.c | sed 's/\.c$//' | tr '\n' ' ')}
n=$(echo $harnesses | wc -w)
share=$(( total / n > 0 ? total / n : 1 ))
t0=$SECONDS

echo "fuzz: configure + build (preset fuzz): $harnesses"
mkdir -p build
cmake --preset fuzz >build/fuzz-configure.log 2>&1 ||
    { cat build/fuzz-configure.log; exit 1; }
cmake --build --preset fuzz -j"$jobs" --target $harnesses
echo "fuzz: built in $((SECONDS - t0)) s; ${share} s per harness"

rm -rf "$work"
failed=0
rows=()
for h in $harnesses; do
    name=${h#fuzz_}
    dir=$work/$h
    mkdir -p "$dir/corpus"
    [ -d "$src/corpus/$name" ] && cp "$src/corpus/$name"/. "$dir/corpus/" -r
    # Longer inputs are longer operation sequences: let the length limit
    # grow ten times faster than libFuzzer's default (-len_control=100).
    flags=(-max_total_time="$share" -timeout="$timeout_s" -rss_limit_mb=2048
           -max_len=1024 -len_control=10 -print_final_stats=1
           -artifact_prefix="$dir/")
    # map and pool free asynchronously (RCU callbacks, worker exits), so
    # libFuzzer's per-input malloc/free balance would run LeakSanitizer
    # after nearly every input (10x slower); leaks are still reported at
    # exit by ASan's own LeakSanitizer.
    leaks=()
    case $name in map | pool) leaks=(-detect_leaks=0) ;; esac
    flags+=("${leaks[@]}")
    echo
    echo "=== fuzz: $h for $share s ($(ls "$dir/corpus" | wc -l) seeds)"
    set +e
    "$bin/$h" "${flags[@]}" "$dir/corpus" >"$dir/log" 2>&1
    rc=$?
    set -e
    grep -E '^(#[0-9]+[[:space:]]+(INITED|DONE)|stat::)' "$dir/log" || true
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log")
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$dir/log" | tail -1)
    if [ "$rc" != 0 ]; then
        failed=1
        echo "fuzz: $h FAILED (exit $rc); log: $dir/log"
        grep -E 'ERROR|invariant failed|returned .* model says|SUMMARY' \
            "$dir/log" | head -20 || true
        grep -E 'Test unit written to|artifact_prefix' "$dir/log" || true
        rows+=("$(printf '%-12s FAILED (exit %s), see %s' "$h" "$rc" "$dir/log")")
        continue
    fi
    rows+=("$(printf '%-12s %9s runs %6s/s  %-18s corpus %s -> %s files' \
        "$h" "${runs:-?}" "${rate:-?}" "${cov:-?}" \
        "$(ls "$src/corpus/$name" 2>/dev/null | wc -l)" \
        "$(ls "$dir/corpus" | wc -l)")")
    if [ "${FUZZ_MERGE:-0}" = 1 ]; then
        # Minimise the committed and the new inputs together into a fresh
        # directory, by edge coverage only (-use_counters=0: hit counts
        # would keep hundreds of near-duplicates), then replace the
        # committed corpus with it.
        mkdir -p "$src/corpus/$name" "$dir/merged"
        if "$bin/$h" -merge=1 -use_counters=0 -rss_limit_mb=2048 \
            -timeout="$timeout_s" "${leaks[@]}" "$dir/merged" \
            "$src/corpus/$name" "$dir/corpus" >"$dir/merge.log" 2>&1; then
            rm -f "$src/corpus/$name"/*
            cp "$dir/merged"/* "$src/corpus/$name/"
            echo "fuzz: merged into $src/corpus/$name:" \
                "$(ls "$src/corpus/$name" | wc -l) files," \
                "$(cat "$src/corpus/$name"/* | wc -c) bytes"
        else
            echo "fuzz: merge failed: $dir/merge.log"
            failed=1
        fi
    fi
done

echo
echo "=== fuzz summary ($((SECONDS - t0)) s in all)"
printf '  %s\n' "${rows[@]}"
exit $failed
