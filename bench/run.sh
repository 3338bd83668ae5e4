#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# bench/run.sh - run every benchmark binary of the bench build N times and
# print one table (median [min-max]), plus bench/results/latest.{json,csv,png,svg}.
# It builds nothing: `make bench` (or cmake --preset bench && cmake --build
# --preset bench) does that first. See bench/README.md.
#
#   bench/run.sh [--quick] [--runs N] [--threads 1,2,4] [--callgrind]
#   WEFT_BENCH_FILTER=fib,submit bench/run.sh      substring match on binary
#                                                  and benchmark names
# Exit: 0; 1 when a benchmark binary failed (its rows are still reported);
# 2 on a usage error or a missing build.
set -u

usage() {
    sed -n '4,12p' "$0" | sed 's/^# \{0,1\}//' >&2
    cat >&2 <<'EOF'
Options:
  --quick          smaller sizes (binaries see WEFT_BENCH_QUICK=1), 3 runs
  --runs N         runs per binary (default 5; 3 with --quick)
  --threads LIST   thread/worker counts, e.g. 1,2,4 (WEFT_BENCH_THREADS)
  --filter LIST    same as WEFT_BENCH_FILTER
  --callgrind      instructions per operation under valgrind instead
Environment: WEFT_BENCH_BUILD_DIR (default build/bench),
  WEFT_BENCH_TIMEOUT (seconds per binary run, default 600).
EOF
}

root=$(cd "$(dirname "$0")/.." && pwd)
build=${WEFT_BENCH_BUILD_DIR:-$root/build/bench}
bindir=$build/bench
out=$root/bench/results
awkdir=$root/bench/awk
quick=0 runs="" threads=${WEFT_BENCH_THREADS:-} callgrind=0
filter=${WEFT_BENCH_FILTER:-}
tmo=${WEFT_BENCH_TIMEOUT:-600}

while [ $# -gt 0 ]; do
    case $1 in
    --quick) quick=1 ;;
    --runs) runs=${2:-}; shift ;;
    --runs=*) runs=${1#*=} ;;
    --threads) threads=${2:-}; shift ;;
    --threads=*) threads=${1#*=} ;;
    --filter) filter=${2:-}; shift ;;
    --filter=*) filter=${1#*=} ;;
    --callgrind) callgrind=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument '$1'" >&2; usage; exit 2 ;;
    esac
    shift
done
[ -n "$runs" ] || runs=$([ $quick = 1 ] && echo 3 || echo 5)
case $runs in '' | *[!0-9]* | 0) echo "run.sh: --runs wants a number >= 1" >&2; exit 2 ;; esac
case $threads in *[!0-9,]*) echo "run.sh: --threads wants a list like 1,2,4" >&2; exit 2 ;; esac

if [ ! -d "$build" ]; then
    echo "run.sh: $build does not exist: build the benchmarks first:" >&2
    echo "  cmake --preset bench && cmake --build --preset bench -j2   (or: make bench)" >&2
    exit 2
fi
if [ ! -d "$bindir" ]; then
    echo "run.sh: $bindir does not exist: was $build configured with WEFT_BUILD_BENCH=ON (the bench preset)?" >&2
    exit 2
fi

ncpu=$(nproc 2>/dev/null || getconf _NPROCESSORS_ONLN)
# A filter token matches a binary by substring of its name.
matches() { # name
    [ -z "$filter" ] && return 0
    local IFS=, tok
    for tok in $filter; do
        [ -n "$tok" ] && case $1 in *"$tok"*) return 0 ;; esac
    done
    return 1
}
bins=()
for b in "$bindir"/bench_*; do
    [ -f "$b" ] && [ -x "$b" ] || continue
    matches "$(basename "$b")" && bins+=("$b")
done
if [ ${#bins[@]} -eq 0 ] && [ $callgrind = 0 ]; then
    echo "run.sh: no benchmark binary in $bindir${filter:+ matches '$filter'}" >&2
    exit 2
fi

mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/weft-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
fmt_t() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }

export WEFT_BENCH_QUICK=$quick
[ -n "$threads" ] && export WEFT_BENCH_THREADS=$threads

# --- callgrind mode: instructions per operation, difference method -------
if [ $callgrind = 1 ]; then
    command -v valgrind >/dev/null || { echo "run.sh: valgrind not installed" >&2; exit 2; }
    # With <valgrind/callgrind.h> the binaries switch instrumentation on
    # around the measured region only (bench.h); the difference of two
    # sizes then cancels what is constant per run either way.
    if [ -f /usr/include/valgrind/callgrind.h ]; then atstart=no; else atstart=yes; fi
    unset WEFT_BENCH_THREADS
    export WEFT_BENCH_THREADS=1
    ir() { # binary var value -> total Ir
        local f=$work/cg.out
        rm -f "$f"
        env "$2=$3" valgrind --tool=callgrind --instr-atstart=$atstart \
            --callgrind-out-file="$f" "$bindir/$1" >"$work/cg.rows" 2>"$work/cg.err" || return 1
        grep -q '^weft-bench	' "$work/cg.rows" || return 1
        awk '/^totals:/ { t = $2 } /^summary:/ { s = $2 } END { print (t != "" ? t : s) }' "$f"
    }
    fibn() { awk -v n="$1" 'BEGIN { a = 0; b = 1; for (i = 0; i < n; i++) { c = a + b; a = b; b = c } print a }'; }
    lo=22 hi=26 nlo=5000 nhi=10000
    spawns=$(( $(fibn $((hi + 1))) - $(fibn $((lo + 1))) ))
    {
        printf 'operation\tsystem\tIr(small)\tIr(large)\tIr per op\n'
        for spec in weft:bench_fib weft-typed:bench_fib_typed weft-typed-nostats:bench_fib_typed_nostats \
                    seq:bench_fib_seq tbb:bench_fib_tbb \
                    omp-gcc:bench_fib_omp_gcc omp-llvm:bench_fib_omp_llvm \
                    weft:bench_submit mutex:bench_submit_mutex \
                    tbb:bench_submit_tbb glib:bench_submit_glib \
                    weft:cgops@counter weft-4-counters:cgops@counter4 atomic:cgops@atomic mutex:cgops@mutex \
                    weft:cgops@map weft:cgops@mapput weft:cgops@queue weft_lanes:cgops@queuelanes \
                    mutex:cgops@mutexq weft-submit+result:cgops@subres \
                    weft-as_completed:cgops@ascomp weft-as_completed_submit:cgops@ascompsub; do
            sys=${spec%%:*} bin=${spec#*:} cgop=
            case $bin in *@*) cgop=${bin#*@} bin=${bin%@*} ;; esac
            export WEFT_CG_OP=$cgop
            matches "$bin" || matches "$cgop" || continue
            case $bin in
            bench_fib*) op="fib spawn+sync (fib $hi - fib $lo, 1 thread)"; var=WEFT_BENCH_FIB_N a=$lo b=$hi d=$spawns ;;
            cgops)
                case $cgop in
                counter | counter4 | atomic | mutex) op="counter add (1 thread)" ;;
                map) op="map lookup (1024 keys, 1 thread)" ;;
                mapput) op="map update, key present (1024 keys, 1 thread)" ;;
                subres | ascomp | ascompsub) op="future submit..completion (bursts of 1000, 1 worker)" ;;
                *) op="queue put+get (1 thread)" ;;
                esac
                var=WEFT_CG_N a=100000 b=200000 d=100000 ;;
            *) op="submit+complete ($nhi - $nlo tasks, 1 worker)"; var=WEFT_BENCH_SUBMIT_N a=$nlo b=$nhi d=$((nhi - nlo)) ;;
            esac
            [ -x "$bindir/$bin" ] || { printf '%s\t%s\tmissing\t(not built)\t-\n' "$op" "$sys"; continue; }
            echo "callgrind: $bin ($sys) ..." >&2
            if x=$(ir "$bin" $var $a) && y=$(ir "$bin" $var $b) && [ -n "$x" ] && [ -n "$y" ]; then
                printf '%s\t%s\t%s\t%s\t%.1f\n' "$op" "$sys" "$x" "$y" "$(awk -v x="$x" -v y="$y" -v d="$d" 'BEGIN { print (y - x) / d }')"
            else
                why=$(grep -h '^weft-bench-missing' "$work/cg.rows" 2>/dev/null | cut -f5 | head -1)
                printf '%s\t%s\tmissing\t%s\t-\n' "$op" "$sys" "${why:-failed under valgrind}"
            fi
        done
    } >"$work/cg.tsv"
    cp "$work/cg.tsv" "$out/callgrind.tsv"
    awk -F'\t' '{ for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } if (NF > nf) nf = NF }
        END { for (r = 1; r <= NR; r++) { l = "|"; for (i = 1; i <= nf; i++) l = l sprintf(" %-" w[i] "s |", c[r, i]); print l
              if (r == 1) { l = "|"; for (i = 1; i <= nf; i++) { s = ""; for (k = 0; k < w[i] + 2; k++) s = s "-"; l = l s "|" } print l } } }' "$work/cg.tsv"
    echo
    echo "Instructions (callgrind Ir) per operation = (Ir(large) - Ir(small)) / (ops(large) - ops(small));"
    echo "instrumentation: $([ $atstart = no ] && echo 'the measured region only (CALLGRIND_START/STOP_INSTRUMENTATION)' || echo 'whole program')."
    echo "Saved: ${out#$root/}/callgrind.tsv"
    exit 0
fi

# --- timed runs: run r of every binary, then run r+1 (drift hits all) ----
raw=$work/raw.tsv missing=$work/missing.tsv failures=$work/failures.tsv
: >"$raw"; : >"$missing"; : >"$failures"
nb=${#bins[@]} total=$((nb * runs)) done_=0 failed=0
start=$(date +%s)
declare -A dur
# Seconds left before run r's binary i starts: each binary's last duration,
# the mean of the known ones for binaries not run yet; "?" before any.
# dur[] holds milliseconds.
eta() { # r i
    local k n=0 sum=0 mean this=0 all=0 j=0 x
    for k in "${!dur[@]}"; do sum=$((sum + dur[$k])); n=$((n + 1)); done
    [ $n -eq 0 ] && { echo "?"; return; }
    mean=$(((sum + n / 2) / n))
    for b in "${bins[@]}"; do
        j=$((j + 1)) x=${dur[$(basename "$b")]:-$mean}
        all=$((all + x))
        [ $j -ge "$2" ] && this=$((this + x))
    done
    echo $(((this + all * (runs - $1) + 500) / 1000))
}
echo "run.sh: $nb binaries x $runs runs$([ $quick = 1 ] && echo ' (quick)'), threads=${threads:-default}, $ncpu CPUs" >&2
for r in $(seq 1 "$runs"); do
    i=0
    for b in "${bins[@]}"; do
        i=$((i + 1))
        name=$(basename "$b")
        now=$(date +%s) el=$((now - start))
        left=$(eta "$r" "$i")
        printf '[run %d/%d] %-22s (%d/%d)  elapsed %s  left ~%s\n' "$r" "$runs" \
            "$name" "$i" "$nb" "$(fmt_t $el)" "$([ "$left" = "?" ] && echo "?" || fmt_t "$left")" >&2
        t0=$(date +%s%N)
        timeout "$tmo" "$b" >"$work/out" 2>"$work/err"
        rc=$?
        t1=$(date +%s%N)
        d=$(((t1 - t0) / 1000000)) # ms
        dur[$name]=$d
        done_=$((done_ + 1))
        awk -F'\t' -v OFS='\t' -v r="$r" -v b="$name" '$1 == "weft-bench" && NF == 7 { print r, b, $2, $3, $4, $5, $6, $7 }' "$work/out" >>"$raw"
        awk -F'\t' -v OFS='\t' -v b="$name" '$1 == "weft-bench-missing" { print b, $2, $3, $4, $5 }' "$work/out" >>"$missing"
        if [ $rc -ne 0 ]; then
            failed=1
            note=$([ $rc = 124 ] && echo "timed out after ${tmo}s" || tail -n 3 "$work/err" | tr '\t\n' '  ')
            printf '%s\t%s\t%s\t%s\n' "$r" "$name" "$rc" "$note" >>"$failures"
            echo "  ! $name exited with $rc: $note" >&2
        fi
    done
done
echo "run.sh: done in $(fmt_t $(($(date +%s) - start)))" >&2

# Keep rows whose benchmark or binary matches the filter.
if [ -n "$filter" ]; then
    awk -F'\t' -v f="$filter" 'BEGIN { n = split(f, t, ",") }
        { for (i = 1; i <= n; i++) if (t[i] != "" && (index($3, t[i]) || index($2, t[i]))) { print; next } }' \
        "$raw" >"$raw.f" && mv "$raw.f" "$raw"
fi
sort -u "$missing" -o "$missing"
awk -f "$awkdir/stats.awk" "$raw" >"$work/agg.tsv"

echo
awk -v ncpu="$ncpu" -f "$awkdir/table.awk" "$work/agg.tsv" "$missing"
if [ -s "$failures" ]; then
    echo
    echo "Failed invocations (rows they printed before failing are kept):"
    awk -F'\t' '{ printf "  %s run %s: exit %s %s\n", $2, $1, $3, $4 }' "$failures"
fi

# --- JSON ------------------------------------------------------------------
cache=$build/CMakeCache.txt
cachev() { sed -n "s/^$1:[A-Z]*=//p" "$cache" 2>/dev/null | head -1; }
btype=$(cachev CMAKE_BUILD_TYPE)
bt_upper=$(echo "$btype" | tr '[:lower:]' '[:upper:]')
cc=$(cachev CMAKE_C_COMPILER) cxx=$(cachev CMAKE_CXX_COMPILER)
ver() { [ -n "$1" ] && command -v "$1" >/dev/null && "$1" --version 2>/dev/null | head -1; }
libs=$(for p in tbb glib-2.0 liburcu; do printf '%s %s; ' "$p" "$(pkg-config --modversion $p 2>/dev/null || echo none)"; done)
commit=$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "$root" status --porcelain --untracked-files=no 2>/dev/null | grep -c . || true)
awk -v host="$(hostname 2>/dev/null || uname -n)" -v nproc="$ncpu" \
    -v cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" \
    -v kernel="$(uname -sr)" \
    -v cc="$cc: $(ver "$cc")" -v cxx="$cxx: $(ver "$cxx")" \
    -v gcc="$(ver gcc)" -v clang="$(ver clang)" \
    -v btype="$btype" -v cflags="$(cachev CMAKE_C_FLAGS) $(cachev "CMAKE_C_FLAGS_$bt_upper")" \
    -v cxxflags="$(cachev CMAKE_CXX_FLAGS) $(cachev "CMAKE_C_FLAGS_$bt_upper") (bench/ uses the C flags for C++ too)" \
    -v libs="$libs" -v commit="$commit" -v dirty="$([ "${dirty:-0}" -gt 0 ] && echo 1 || echo 0)" \
    -v date="$(date -u +%Y-%m-%dT%H:%M:%SZ)" -v runs="$runs" -v quick="$quick" \
    -v threads="${threads:-default}" -v filter="$filter" \
    -f "$awkdir/json.awk" "$work/agg.tsv" "$missing" "$failures" >"$out/latest.json"

# --- CSV (STYLE.md 6: medians with the git SHA and compiler) -------------
awk -F'\t' -v sha="$commit" -v cc="$(ver "$cc")" '
    function c(s) { gsub(/"/, "\"\"", s); return "\"" s "\"" }
    BEGIN { print "benchmark,params,system,unit,better,runs,median,min,max,values,git_sha,compiler" }
    { print c($1) "," c($2) "," c($3) "," c($4) "," $5 "," $6 "," $7 "," $8 "," $9 "," c($10) "," sha "," c(cc) }' \
    "$work/agg.tsv" >"$out/latest.csv"

# --- chart -----------------------------------------------------------------
chart=""
if command -v gnuplot >/dev/null && [ -s "$work/agg.tsv" ]; then
    awk -v dir="$work" -v png="$out/latest.png" -v svg="$out/latest.svg" \
        -v title="weft benchmarks: median of $runs runs, bars min-max ($(hostname), $ncpu CPUs, ${commit:0:10}$([ $quick = 1 ] && echo ', quick'))" \
        -f "$awkdir/chart.awk" "$work/agg.tsv"
    if gnuplot "$work/chart.gp" 2>"$work/gnuplot.err"; then
        chart=" latest.png latest.svg"
    else
        echo "run.sh: gnuplot failed:" >&2; cat "$work/gnuplot.err" >&2
    fi
else
    echo "run.sh: gnuplot not installed: no chart" >&2
fi
echo
echo "Saved: ${out#$root/}/latest.json latest.csv$chart"
exit $failed
