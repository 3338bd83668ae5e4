#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# mutation.sh - prove the tests can fail (tests/README.md, "Mutation
# testing").
#
# runtime/mutate.h lists the mutants: each re-introduces one classic
# concurrency bug (a missing release, CAS or fence, a free without a grace
# period, a lost wake-up) in one structure. This script builds weft with
# WEFT_MUTATE=select (every mutant compiled in, the environment variable
# WEFT_MUTANT picks one at start-up) once per catcher configuration:
#   gcc    gcc -O2            build/mutate-gcc
#   clang  clang -O2          build/mutate-clang
#   tsan   clang TSan         build/mutate-tsan
#   asan   clang ASan+UBSan   build/mutate-asan
# (a configuration is built only when a mutant needs it, and only the test
# targets it needs). For each mutant it runs its catcher over seeds until a
# run fails: the mutant is "caught". The unmutated control is the same
# binary with WEFT_MUTANT=0: it must pass on the first seed and on every
# seed that caught a mutant, or the catch is a broken test.
# Exit 0 only if every mutant is caught and every control passes.
#
# Environment: WEFT_MUTATION_SEEDS (default "1 2 ... 10"), WEFT_MUTATION_ONLY
# (mutant numbers to run, default all), JOBS (build parallelism).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seeds=${WEFT_MUTATION_SEEDS:-1 2 3 4 5 6 7 8 9 10}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
logs=build/mutate-logs
started=$SECONDS

# The table: mutant number -> bug, and -> catchers tried in order, each
# config:test:threads:seconds.
declare -A bug=(
    [1]="deque [D1] push: bottom store -> relaxed"
    [2]="deque [D4] pop: last-element CAS skipped"
    [3]="deque [D2] pop: seq_cst fence dropped"
    [4]="inline spawn [D1]: bottom store -> relaxed"
    [5]="inline sync [D2]: seq_cst fence dropped"
    [11]="queue [Q4] task_done: CAS -> load+store"
    [12]="queue [E2] put: consumer never woken"
    [13]="queue [Q6] lane lock revoker: no wait for owner"
    [14]="syncwait [E4] woken sleeper counted out twice"
    [21]="map [M4] byte node freed, no grace period"
    [22]="map [M4] node_free, no grace period"
    [23]="map [M10] in-place compute, any version"
    [31]="counter [C1] id reuse without id_lock"
    [41]="future [F1] claim: CAS -> load+store"
    [42]="future [F2] completion: acq_rel -> relaxed"
    [43]="future [F3] claim drops CBS: callback lost"
    [44]="future [F3] new_node without CBS: lost"
    [51]="park [P1] re-check before sleeping dropped"
    [52]="park [P3] spinner -> sleeper CAS is a store"
    [61]="waitset [W1] completion push: -> relaxed"
    [62]="waitset [W4] DEAD callback keeps its entry"
    [71]="lane [L3] new lane published relaxed"
    [81]="typed [Y3] shrink: CAS -> load+store"
    [82]="typed [Y1] publish split: -> relaxed"
)
declare -A catchers=(
    [1]="tsan:stress_deque:4:1"
    [2]="gcc:stress_deque:4:1"
    [3]="clang:stress_deque:4:2 gcc:stress_deque:4:2"
    [4]="tsan:stress_pool:4:1"
    [5]="clang:stress_pool:4:2 gcc:stress_pool:4:2"
    [11]="gcc:stress_queue:4:1"
    [12]="gcc:stress_wakeup:4:1"
    [13]="gcc:stress_queue:16:2 tsan:stress_queue:8:1"
    [14]="gcc:stress_wakeup:4:1"
    [21]="asan:stress_map:4:1"
    [22]="gcc:stress_map:4:1"
    [23]="gcc:stress_map:4:1"
    [31]="tsan:stress_counter:4:1"
    [41]="gcc:stress_pool:4:1"
    [42]="tsan:stress_futures:4:1"
    [43]="gcc:stress_futures:4:1"
    [44]="gcc:stress_futures:4:1"
    [51]="gcc:stress_wakeup:8:2"
    [52]="gcc:stress_wakeup:8:2"
    [61]="tsan:stress_futures:4:1"
    [62]="asan:stress_futures:4:1"
    [71]="tsan:stress_pool:4:1"
    [81]="gcc:stress_typed:2:2 clang:stress_typed:2:2"
    [82]="tsan:stress_typed:2:2"
)
order="1 2 3 4 5 11 12 13 14 21 22 23 31 41 42 43 44 51 52 61 62 71 81 82"
only=${WEFT_MUTATION_ONLY:-$order}
declare -A label=([gcc]="gcc -O2" [clang]="clang -O2" [tsan]="clang TSan"
    [asan]="clang ASan")

for n in $order; do
    if ! grep -rq -e "WEFT_MUTANT($n)" -e "WEFT_INLINE_MUTANT($n)" \
        runtime/ include/; then
        echo "mutation: runtime/ and include/ have no WEFT_MUTANT($n) point" >&2
        exit 1
    fi
done
mkdir -p "$logs"

# The sanitizer test presets' options, so the runs match CI's.
preset_env() { # NAME
    sed -n "s/.*\"$1\": *\"\([^\"]*\)\".*/\1/p" CMakePresets.json |
        head -n 1 | sed "s|\${sourceDir}|$root|g"
}
tsan_options=$(preset_env TSAN_OPTIONS)
asan_options=$(preset_env ASAN_OPTIONS)
ubsan_options=$(preset_env UBSAN_OPTIONS)
if [ -z "$tsan_options" ] || [ -z "$asan_options" ]; then
    echo "mutation: no TSAN_OPTIONS/ASAN_OPTIONS in CMakePresets.json" >&2
    exit 1
fi

# build config test: configure once per config, build only what is needed.
declare -A configured=() built=()
build() {
    local cfg=$1 test=$2 dir=build/mutate-$1 log=$logs/build-$1.log flags
    [ -n "${built[$cfg.$test]:-}" ] && return 0
    case $cfg in
    gcc) flags=(-DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Release) ;;
    clang) flags=(-DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release) ;;
    tsan) flags=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_SANITIZE=thread) ;;
    asan) flags=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
        -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DWEFT_SANITIZE=address;undefined") ;;
    esac
    echo "mutation: building $test (${label[$cfg]}, $dir)"
    if [ -z "${configured[$cfg]:-}" ]; then
        if ! cmake -S . -B "$dir" "${flags[@]}" -DWEFT_MUTATE=select \
            -DWEFT_WERROR=ON "-DCMAKE_C_FLAGS_RELEASE=-O2 -g -DNDEBUG" \
            >"$log" 2>&1; then
            tail -n 30 "$log" >&2
            echo "mutation: configuring $dir failed ($log)" >&2
            exit 1
        fi
        configured[$cfg]=1
    fi
    if ! cmake --build "$dir" -j"$jobs" --target "$test" >>"$log" 2>&1; then
        tail -n 30 "$log" >&2
        echo "mutation: building $test in $dir failed ($log)" >&2
        exit 1
    fi
    # The selector must be in: the test compiled with WEFT_MUTATE=-1 and
    # tests/mutation/select.c in the library.
    if ! grep -q "WEFT_MUTATE=-1 .*stress/$test.c" \
        "$dir/compile_commands.json" ||
        ! grep -q "mutation/select.c" "$dir/compile_commands.json"; then
        echo "mutation: $dir is not a WEFT_MUTATE=select build" >&2
        exit 1
    fi
    built[$cfg.$test]=1
}

# run config test threads secs mutant seed: 0 if the test passed; prints
# why it failed otherwise.
run() {
    local cfg=$1 test=$2 threads=$3 secs=$4 m=$5 seed=$6 log rc=0 mult
    log=$logs/run-$m-$cfg-$test-$seed.log
    # Lost wake-up detectors wait 20 s x the multiplier: 5 s in plain
    # builds, 40 s under the sanitizers.
    case $cfg in gcc | clang) mult=0.25 ;; *) mult=2 ;; esac
    WEFT_MUTANT=$m WEFT_TEST_TIMEOUT_MULTIPLIER=$mult \
        TSAN_OPTIONS=$tsan_options ASAN_OPTIONS=$asan_options \
        UBSAN_OPTIONS=$ubsan_options timeout -k 5 $((secs * 30 + 60)) \
        "build/mutate-$cfg/tests/$test" "$threads" "$secs" "$seed" \
        >"$log" 2>&1 || rc=$?
    [ "$rc" = 0 ] && return 0
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        echo "hang"
    elif grep -q "ThreadSanitizer: data race" "$log"; then
        echo "TSan data race"
    elif grep -q "AddressSanitizer: heap-use-after-free" "$log"; then
        echo "ASan use-after-free"
    elif grep -q "lost wake-up" "$log"; then
        echo "lost wake-up detector"
    elif grep -qE "[a-z_]+\.c:[0-9]+: ASSERT" "$log"; then
        grep -m 1 -oE "[a-z_]+\.c:[0-9]+: ASSERT_[A-Z]+" "$log"
    elif grep -qE "stale payload|taken|ran [0-9]+ times" "$log"; then
        grep -m 1 -oE "stale payload|taken (twice|[0-9]+ times)|ran [0-9]+ times" "$log" |
            sed 's/^/item /'
    elif grep -q "Assertion .* failed" "$log"; then
        echo "assert in $(grep -m 1 -oE "[a-z_]+\.c:[0-9]+: [a-z_]+: Assertion" "$log" |
            cut -d: -f1,2)"
    elif [ "$rc" -gt 128 ]; then
        echo "killed by signal $((rc - 128))"
    else
        echo "exit $rc"
    fi
    return 1
}

# control config test threads secs seed: the unmutated run must pass.
declare -A control_ran=()
control_failed=0
control() {
    local key="$1:$2:$3:$4" seed=$5 why
    [ -n "${control_ran[$key.$seed]:-}" ] && return 0
    control_ran[$key.$seed]=1
    if ! why=$(run "$1" "$2" "$3" "$4" 0 "$seed"); then
        echo "mutation: the UNMUTATED $2 failed (${label[$1]}, seed $seed:" \
            "$why); log: $logs/run-0-$1-$2-$seed.log" >&2
        control_failed=$((control_failed + 1))
        return 1
    fi
}

survived=0
rows=()
first_seed=${seeds%% *}
for n in $only; do
    caught="" tried="" ctl="ok" catcher=""
    for c in ${catchers[$n]}; do
        IFS=: read -r cfg test threads secs <<<"$c"
        catcher="${label[$cfg]} $test"
        build "$cfg" "$test"
        control "$cfg" "$test" "$threads" "$secs" "$first_seed" || ctl="FAILED"
        echo "mutation $n: $catcher ($threads threads, $secs s per seed)"
        count=0
        for seed in $seeds; do
            count=$((count + 1))
            if ! why=$(run "$cfg" "$test" "$threads" "$secs" "$n" "$seed"); then
                caught="seed $seed: $why"
                control "$cfg" "$test" "$threads" "$secs" "$seed" ||
                    ctl="FAILED"
                break
            fi
        done
        tried="${tried:+$tried + }$count"
        [ -n "$caught" ] && break
    done
    if [ -z "$caught" ]; then
        caught="SURVIVED ($tried seeds)"
        survived=$((survived + 1))
    fi
    rows+=("$(printf '%-3s| %-44s| %-26s| %-40s| %s' "$n" "${bug[$n]}" \
        "$catcher" "$caught" "$ctl")")
done

echo
printf '%-3s| %-44s| %-26s| %-40s| %s\n' "#" "mutant (bug)" "catcher" \
    "caught after" "control"
printf '%s\n' "${rows[@]}"
echo "mutation: ${#control_ran[@]} unmutated control runs;" \
    "$((SECONDS - started)) s"
if [ "$control_failed" != 0 ]; then
    echo "mutation: $control_failed unmutated control run(s) FAILED" >&2
    exit 1
fi
if [ "$survived" != 0 ]; then
    echo "mutation: $survived mutant(s) survived: no test can see them" >&2
    exit 1
fi
echo "mutation: every mutant caught, every control passed"
