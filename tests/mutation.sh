#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# mutation.sh - prove the deque tests can fail (tests/README.md).
#
# runtime/deque.h re-introduces one classic Chase-Lev bug per -DWEFT_MUTATE=N:
#   1  [D1] push: the release store of bottom weakened to relaxed
#   2  [D4] pop: the CAS on the last element skipped
#   3  [D2] pop: the seq_cst fence dropped
# For each N this builds stress_deque (exactly-once and payload checks) in
# its own directory and runs it over a few seeds, oversubscribed, until one
# run fails: the mutation is "caught". Catchers, in order:
#   gcc -O2 (build/mutate-N)          every mutation
#   clang TSan (build/mutate-N-tsan)  N=1: on x86-64 a relaxed and a release
#                                     store are the same instruction, only
#                                     TSan sees the missing edge
#   clang -O2 (build/mutate-N-clang)  N=3: TSan cannot see a missing fence;
#                                     the tsan recipe measured gcc -O2 at
#                                     2/20 seeds and clang -O2 at 19/20
# Each catcher also runs its unmutated build (N=0) on the first three seeds
# and on the seed that caught: it must pass, or the catch is a broken test.
# Exit 0 only if every mutation is caught and every control passes.
#
# Environment: WEFT_MUTATION_SEEDS (default "1 2 ... 10"),
# WEFT_MUTATION_THREADS (4), WEFT_MUTATION_SECONDS (1 per run), JOBS.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seeds=${WEFT_MUTATION_SEEDS:-1 2 3 4 5 6 7 8 9 10}
threads=${WEFT_MUTATION_THREADS:-4}
secs=${WEFT_MUTATION_SECONDS:-1}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
test=stress_deque
logs=build/mutate-logs
started=$SECONDS

declare -A what=(
    [1]="[D1] push: release store of bottom -> relaxed"
    [2]="[D4] pop: last-element CAS skipped"
    [3]="[D2] pop: seq_cst fence dropped"
)
declare -A catchers=([1]="gcc tsan" [2]="gcc" [3]="gcc clang")
declare -A label=([gcc]="gcc -O2" [tsan]="clang TSan" [clang]="clang -O2")

if [ ! -f tests/stress/$test.c ]; then
    echo "mutation: tests/stress/$test.c does not exist yet: nothing can" \
        "catch the deque mutations, so this check cannot pass." >&2
    exit 1
fi
for n in 1 2 3; do
    if ! grep -rqE "WEFT_MUTATE (==|!=) $n" runtime/; then
        echo "mutation: runtime/ has no WEFT_MUTATE $n branch" >&2
        exit 1
    fi
done
mkdir -p "$logs"

# The tsan test preset's TSAN_OPTIONS, so TSan runs here as it does in CI.
tsan_options=$(sed -n 's/.*"TSAN_OPTIONS": *"\([^"]*\)".*/\1/p' \
    CMakePresets.json | head -n 1)
tsan_options=${tsan_options//\$\{sourceDir\}/$root}
if [ -z "$tsan_options" ]; then
    echo "mutation: no TSAN_OPTIONS in CMakePresets.json" >&2
    exit 1
fi

dir_of() { # config n
    case $1 in
    gcc) echo "build/mutate-$2" ;;
    *) echo "build/mutate-$2-$1" ;;
    esac
}

# build config n: configure and build only the test; quiet unless it fails.
build() {
    local cfg=$1 n=$2 dir log flags
    dir=$(dir_of "$cfg" "$n")
    log=$logs/build-$cfg-$n.log
    case $cfg in
    gcc) flags=(-DCMAKE_C_COMPILER=gcc -DCMAKE_BUILD_TYPE=Release) ;;
    clang) flags=(-DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release) ;;
    tsan) flags=(-DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++
        -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWEFT_SANITIZE=thread) ;;
    esac
    # Warnings are not errors here: a mutation may leave a variable unused.
    if ! { cmake -S . -B "$dir" "${flags[@]}" -DWEFT_MUTATE="$n" \
        -DWEFT_WERROR=OFF "-DCMAKE_C_FLAGS_RELEASE=-O2 -g -DNDEBUG" &&
        cmake --build "$dir" -j"$jobs" --target $test; } >"$log" 2>&1; then
        tail -n 30 "$log" >&2
        echo "mutation: building $cfg with WEFT_MUTATE=$n failed ($log)" >&2
        exit 1
    fi
    # The mutation must reach the test itself: deque.h is inlined into it.
    if ! grep -q "WEFT_MUTATE=$n .*stress/$test.c" \
        "$dir/compile_commands.json"; then
        echo "mutation: $test.c is not compiled with WEFT_MUTATE=$n" \
            "in $dir (see CMakeLists.txt)" >&2
        exit 1
    fi
}

# run config n seed: 0 if the test passed; prints why it failed otherwise.
run() {
    local cfg=$1 n=$2 seed=$3 log rc=0
    log=$logs/run-$cfg-$n-$seed.log
    TSAN_OPTIONS=$tsan_options timeout -k 5 $((secs * 30 + 60)) \
        "$(dir_of "$cfg" "$n")/tests/$test" "$threads" "$secs" "$seed" \
        >"$log" 2>&1 || rc=$?
    [ "$rc" = 0 ] && return 0
    if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
        why="hang"
    elif grep -q "ThreadSanitizer: data race" "$log"; then
        why="data race"
    else
        why=$(grep -m 1 -E "taken|stale|failures|ASSERT" "$log" ||
            echo "exit $rc")
    fi
    echo "$why"
    return 1
}

# The unmutated build (N=0) of a catcher must pass the first three seeds
# and every seed that caught a mutation with that catcher.
declare -A control_built=() control_ran=()
control() { # config seed...
    local cfg=$1 seed why
    shift
    if [ -z "${control_built[$cfg]:-}" ]; then
        build "$cfg" 0
        control_built[$cfg]=1
    fi
    for seed in "$@"; do
        [ -n "${control_ran[$cfg.$seed]:-}" ] && continue
        echo "mutation: control, ${label[$cfg]}, WEFT_MUTATE=0, seed $seed"
        if ! why=$(run "$cfg" 0 "$seed"); then
            echo "mutation: the UNMUTATED $test failed (${label[$cfg]}," \
                "seed $seed: $why); log: $logs/run-$cfg-0-$seed.log" >&2
            tail -n 20 "$logs/run-$cfg-0-$seed.log" >&2
            exit 1
        fi
        control_ran[$cfg.$seed]=1
    done
}

survived=0
rows=()
for n in 1 2 3; do
    caught="" tried=""
    for cfg in ${catchers[$n]}; do
        # shellcheck disable=SC2086 # word splitting wanted
        control "$cfg" $(echo $seeds | cut -d' ' -f1-3)
        echo "mutation $n: ${label[$cfg]}"
        build "$cfg" "$n"
        count=0
        for seed in $seeds; do
            count=$((count + 1))
            if ! why=$(run "$cfg" "$n" "$seed"); then
                caught="${label[$cfg]}, seed $seed: $why"
                control "$cfg" "$seed"
                break
            fi
        done
        tried="${tried:+$tried, }${label[$cfg]} $count"
        [ -n "$caught" ] && break
    done
    if [ -z "$caught" ]; then
        caught="SURVIVED"
        survived=$((survived + 1))
    fi
    rows+=("$(printf '%-48s | %-40s | %s' "$n ${what[$n]}" "$caught" "$tried")")
done

echo
printf '%-48s | %-40s | %s\n' "mutation" "caught by" "seeds tried"
printf '%s\n' "${rows[@]}"
echo "mutation: unmutated controls passed: ${#control_ran[@]} runs" \
    "(${!control_built[*]}); $((SECONDS - started)) s"
if [ "$survived" != 0 ]; then
    echo "mutation: $survived mutation(s) survived: $test cannot see them" >&2
    exit 1
fi
echo "mutation: every mutation caught"
