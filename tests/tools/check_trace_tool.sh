#!/bin/sh
# SPDX-License-Identifier: MIT
#
# check_trace_tool.sh - the weft-trace tests (tests/trace_tool.cmake).
#
#   check_trace_tool.sh summary   WEFT_TRACE_TOOL TRACED_FIB WORKDIR
#   check_trace_tool.sh synthetic WEFT_TRACE_TOOL TRACED_FIB WORKDIR
#   check_trace_tool.sh malformed WEFT_TRACE_TOOL TRACED_FIB WORKDIR
#
# summary:   a real traced fib(15) on 2 workers: weft-trace must parse it
#            and report exactly 987 tasks, the steals and per-worker task
#            counts the pool's own statistics counted over the same run,
#            and --svg must write a well-formed SVG with task rectangles
#            in every worker's lane.
# synthetic: a hand-written trace with known spans: every number of the
#            summary (busy/parked shares, steal matrix, histogram) is
#            checked against values worked out by hand.
# malformed: that trace broken in specific ways, each with its expected
#            message, plus a real trace truncated at many offsets, with a
#            quote flipped (all must exit 2), and garbled at random (must
#            exit 0 or 2: never crash, never a sanitizer report). The
#            random part's seed is printed on failure; WEFT_TEST_SEED
#            replays it.
# Plain POSIX sh and awk: no Python (a fresh Debian may not have it).
set -u

mode=$1 tool=$2 fib=$3 dir=$4
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir" || exit 1
seed=${WEFT_TEST_SEED:-$(date +%s)}
checks=0

fail() {
    echo "FAIL: $*" >&2
    [ "$mode" = malformed ] && echo "(seed $seed: WEFT_TEST_SEED=$seed replays)" >&2
    exit 1
}
ok() { checks=$((checks + 1)); }

# expect_line FILE LINE: FILE has exactly this line.
expect_line() {
    grep -qxF -- "$2" "$1" || {
        echo "--- $1:" >&2
        cat "$1" >&2
        fail "$1 lacks the line '$2'"
    }
    ok
}

# run_tool EXPECTED_RC OUT_PREFIX ARGS...: runs weft-trace, checks its code.
run_tool() {
    want=$1 out=$2
    shift 2
    "$tool" "$@" >"$out.out" 2>"$out.err"
    rc=$?
    [ "$rc" = "$want" ] || {
        cat "$out.out" "$out.err" >&2
        fail "weft-trace $* exited with $rc, expected $want"
    }
    ok
}

# svg_ok FILE WORKERS: starts with <svg, ends with </svg>, tags balance,
# one lane group per worker, each with at least one task rectangle.
svg_ok() {
    [ "$(head -c 4 "$1")" = "<svg" ] || fail "$1 does not start with <svg"
    [ "$(tail -n 1 "$1")" = "</svg>" ] || fail "$1 does not end with </svg>"
    awk -v workers="$2" '
        {
            s = $0
            while (match(s, /<[^>]*>/)) {
                tag = substr(s, RSTART, RLENGTH)
                s = substr(s, RSTART + RLENGTH)
                if (tag ~ /^<\//) {
                    name = substr(tag, 3, length(tag) - 3)
                    if (depth == 0 || stack[depth] != name) {
                        print "unbalanced " tag " at line " NR; bad = 1; exit
                    }
                    if (name == "g") lane = -1
                    depth--
                } else if (tag !~ /\/>$/) {
                    name = tag
                    sub(/^</, "", name); sub(/[ >].*/, "", name)
                    stack[++depth] = name
                }
                if (tag ~ /^<g class="lane" id="lane-[0-9]+">$/) {
                    lane = tag; gsub(/[^0-9]/, "", lane); lanes++
                    seen[lane] = 0
                }
                if (tag ~ /^<rect class="task"/ && lane >= 0) seen[lane]++
            }
            if (s ~ /[<>]/) { print "stray < or > at line " NR; bad = 1; exit }
        }
        BEGIN { lane = -1 }
        END {
            if (bad) exit 1
            if (depth != 0) { print "unclosed <" stack[depth] ">"; exit 1 }
            if (lanes != workers) { print lanes " lanes, want " workers; exit 1 }
            for (i = 0; i < workers; i++)
                if (!((i "") in seen) || seen[i ""] < 1) {
                    print "lane " i " has no task rectangle"; exit 1
                }
        }' "$1" >svg_check.txt || fail "$1: $(cat svg_check.txt)"
    if command -v xmllint >/dev/null 2>&1; then
        xmllint --noout "$1" || fail "$1 is not well-formed XML (xmllint)"
    fi
    ok
}

write_synthetic() { # the hand-checked trace, on stdout
    cat <<'EOF'
{"displayTimeUnit":"ns","traceEvents":[
{"name":"process_name","ph":"M","pid":7,"tid":0,"args":{"name":"weft pool syn"}},
{"name":"thread_name","ph":"M","pid":7,"tid":0,"args":{"name":"weft-syn-0"}},
{"name":"thread_name","ph":"M","pid":7,"tid":1,"args":{"name":"weft-syn-1"}},
{"name":"task","ph":"B","ts":0.000,"pid":7,"tid":0,"args":{"id":"a1"}},
{"name":"spawn","ph":"i","ts":1.000,"pid":7,"tid":0,"s":"t","args":{"id":"b2"}},
{"name":"task","ph":"B","ts":2.000,"pid":7,"tid":0,"args":{"id":"b2"}},
{"name":"task","ph":"E","ts":6.000,"pid":7,"tid":0,"args":{"id":"b2"}},
{"name":"task","ph":"E","ts":10.000,"pid":7,"tid":0,"args":{"id":"a1"}},
{"name":"parked","ph":"B","ts":0.000,"pid":7,"tid":1},
{"name":"parked","ph":"E","ts":4.000,"pid":7,"tid":1},
{"name":"steal","ph":"i","ts":4.500,"pid":7,"tid":1,"s":"t","args":{"victim":0,"jobs":3}},
{"name":"lane","ph":"i","ts":4.700,"pid":7,"tid":1,"s":"t","args":{"jobs":2}},
{"name":"task","ph":"B","ts":5.000,"pid":7,"tid":1,"args":{"id":"c3"}},
{"name":"task","ph":"E","ts":20.000,"pid":7,"tid":1,"args":{"id":"c3"}},
{"name":"task","ph":"B","ts":20.000,"pid":7,"tid":1,"args":{"id":"d4"}},
{"name":"weft_dropped","ph":"M","pid":7,"tid":0,"args":{"dropped":0}},
{"name":"weft_dropped","ph":"M","pid":7,"tid":1,"args":{"dropped":2}}
]}
EOF
}

case $mode in
summary)
    "$fib" fib.json 15 >fib.txt || fail "traced_fib failed"
    cat fib.txt
    # fib=610 tasks_run=987 steals=S stolen=J helps=H dropped=D w0=A w1=B attempts=N
    val() { tr ' ' '\n' <fib.txt | sed -n "s/^$1=//p"; }
    [ "$(val fib)" = 610 ] && [ "$(val tasks_run)" = 987 ] ||
        fail "traced_fib: $(cat fib.txt)"
    [ "$(val dropped)" = 0 ] || fail "the trace dropped events: $(cat fib.txt)"
    run_tool 0 sum fib.json --svg fib.svg
    cat sum.out
    expect_line sum.out "dropped: 0"
    grep -q '^tasks run: 987 (' sum.out || fail "weft-trace does not report 987 tasks"
    ok
    # Steals: the trace's steal events against the pool's counters,
    # including the steals a worker makes from its thief while it waits at
    # a sync (helps): every counted steal has its event.
    if grep -qxF "steals: $(val steals) ($(val stolen) jobs)" sum.out; then
        ok
    else
        fail "steals: weft-trace says '$(grep '^steals:' sum.out)', the pool counted $(cat fib.txt)"
    fi
    # Per-worker rows: the tasks column equals each worker's own counter.
    for w in 0 1; do
        got=$(awk -v w=$w '$1 == w && NF == 10 { print $2; exit }' sum.out)
        [ "$got" = "$(val w$w)" ] ||
            fail "worker $w: weft-trace counts ${got:-nothing}, the pool $(val w$w)"
        ok
    done
    # The steal matrix adds up to the jobs the steal events took.
    sum=$(awk '/^steal matrix/ { m = 1; next } m && $1 ~ /^[0-9]+$/ && NF == 3 {
               for (i = 2; i <= NF; i++) if ($i != "-") s += $i }
               m && NF == 0 { m = 0 } END { print s + 0 }' sum.out)
    jobs=$(sed -n 's/^steals: [0-9]* (\([0-9]*\) jobs)$/\1/p' sum.out)
    [ "$sum" = "$jobs" ] || fail "steal matrix sums to $sum, not the $jobs jobs stolen"
    ok
    # The histogram counts every task span once.
    h=$(awk '/^task durations/ { m = 1; next } m && /^  \[/ {
             sub(/^.*\)/, ""); s += $1 } END { print s + 0 }' sum.out)
    [ "$h" -ge 986 ] && [ "$h" -le 987 ] || fail "histogram holds $h spans"
    ok
    svg_ok fib.svg 2
    ;;
synthetic)
    write_synthetic >syn.json
    run_tool 0 syn syn.json --svg syn.svg
    cat syn.out
    expect_line syn.out 'pool: "weft pool syn" (pid 7), 2 workers'
    expect_line syn.out "length: 20.0 us (from the start of tracing to the last event)"
    expect_line syn.out "dropped: 2 (rings were full: counts below are low)"
    expect_line syn.out "tasks run: 4 (1 spans still open at the end)"
    expect_line syn.out "steals: 1 (3 jobs)"
    expect_line syn.out "spawns: 1, submits from tasks: 0, jobs from outside lanes: 2"
    # worker tasks busy parked steals jobs-in jobs-out spawns depth dropped
    expect_line syn.out "     0         2   50.0%    0.0%       0        0        3        1      2        0"
    expect_line syn.out "     1         2   75.0%   20.0%       1        3        0        0      1        2"
    expect_line syn.out "           0        -        3"
    expect_line syn.out "           1        0        -"
    # Spans 4 us (b2), 10 us (a1), 15 us (c3); d4 is still open.
    expect_line syn.out "  [   2.0 us,    4.1 us)         1  33.3% #########################"
    expect_line syn.out "  [   4.1 us,    8.2 us)         0   0.0% "
    expect_line syn.out "  [   8.2 us,   16.4 us)         2  66.7% ##################################################"
    run_tool 0 outer --outermost syn.json
    expect_line outer.out "  [   8.2 us,   16.4 us)         2 100.0% ##################################################"
    grep -q '^task durations: outermost' outer.out || fail "--outermost not said"
    ok
    svg_ok syn.svg 2
    # Nested span inset and darker: two task rectangles of different fills
    # in lane 0.
    n=$(awk '/id="lane-0"/ { l = 1 } l && /<rect class="task"/ { split($0, a, "fill=\""); f[substr(a[2], 1, 7)] = 1 }
             l && /^<\/g>/ { l = 0 } END { for (k in f) n++; print n + 0 }' syn.svg)
    [ "$n" = 2 ] || fail "lane 0 should show 2 shades of task, has $n"
    ok
    grep -q '<rect class="parked"' syn.svg || fail "no parked span drawn"
    grep -q '<path class="steal"' syn.svg || fail "no steal mark drawn"
    ok
    ;;
malformed)
    write_synthetic >syn.json
    run_tool 0 base syn.json
    # bad_case NAME 'expected message' SED-SCRIPT: one variant of syn.json.
    bad_case() {
        sed "$3" syn.json >"$1.json"
        cmp -s syn.json "$1.json" && fail "$1: the sed script changed nothing"
        run_tool 2 "$1" "$1.json"
        grep -qF -- "$2" "$1.err" || {
            cat "$1.err" >&2
            fail "$1: the error does not say '$2'"
        }
        grep -q "^weft-trace: $1.json" "$1.err" || fail "$1: no file name in the error"
        ok
    }
    bad_case header 'not a weft trace' '1s/"ns"/"ms"/'
    bad_case victim_range 'args.victim is not an integer in [0, 1]' 's/"victim":0/"victim":5/'
    bad_case victim_self 'steals from itself' 's/"victim":0/"victim":1/'
    bad_case zero_jobs 'a steal of 0 jobs' 's/"victim":0,"jobs":3/"victim":0,"jobs":0/'
    bad_case end_mismatch 'but the open task is b2' '8s/"b2"/"b5"/'
    bad_case end_unopened 'with no task open' '9s/"a1"/"a1"}},\n{"name":"task","ph":"E","ts":10.000,"pid":7,"tid":0,"args":{"id":"a1"/'
    bad_case backwards 'time goes backwards on worker 0' '8s/"ts":6.000/"ts":1.500/'
    bad_case no_dropped 'no weft_dropped record for worker 1' '/"dropped":2/d;s/"dropped":0}},/"dropped":0}}/'
    bad_case key_order 'repeated or out of order' '6s/"name":"spawn","ph":"i"/"ph":"i","name":"spawn"/'
    bad_case key_repeat 'repeated or out of order' '6s/"pid":7,/"pid":7,"pid":7,/'
    bad_case key_unknown 'unexpected key "cat"' '6s/"ph":"i",/"ph":"i","cat":"x",/'
    bad_case after_end 'text after the closing' '$s/$/\n{}/'
    bad_case no_comma "missing ','" '6s/},$/}/'
    bad_case last_comma "',' after the last event" '18s/}$/},/'
    bad_case no_close 'truncated: no closing' '$d'
    bad_case deep 'nested too deeply' '6s/"args":{"id":"b2"}/"args":{"id":"b2","x":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{"a":{}}}}}}}}}}}/'
    bad_case span_unknown 'unknown span event "foo"' '6s/"name":"spawn","ph":"i"/"name":"foo","ph":"B"/'
    bad_case bad_phase "task event with phase 'i'" '5s/"ph":"B"/"ph":"i"/'
    bad_case thread_late 'thread_name after the first timed event' '4{h;d};5G'
    bad_case pid 'pid 8 differs' '10s/"pid":7/"pid":8/'
    bad_case unpark 'unparks without having parked' '10d'
    bad_case park_twice 'parks while parked' '11s/"ph":"E"/"ph":"B"/'
    bad_case ts_negative '"ts" is not a non-negative number' '6s/"ts":1.000/"ts":-1.000/'
    bad_case ts_huge '"ts" is not a non-negative number' '6s/"ts":1.000/"ts":99999999999999999999.000/'
    bad_case ts_exponent '"ts" is not a non-negative number' '6s/"ts":1.000/"ts":1e3/'
    bad_case tid_range 'event on worker 1, but only 1 workers' '4d'
    bad_case escape 'bad \u escape' '6s/"b2"/"\\u12g4"/'
    bad_case control 'control character in a string' '6s/"b2"/"b\t2"/'
    bad_case not_hex 'args.id is not a hex id' '6s/"b2"/"xyz"/'
    bad_case no_args 'task event without an "args" object' '5s/,"args":{"id":"a1"}//'
    bad_case no_workers 'an event before any thread_name' '3,4{/thread_name/d}'
    # A line far longer than any trace.c writes.
    awk 'NR == 6 { s = "{\"name\":\"spawn\",\"ph\":\"i\",\"ts\":1.000,\"pid\":7,\"tid\":0,\"s\":\"t\",\"args\":{\"id\":\"b2\",\"x\":\""
                   while (length(s) < 70000) s = s "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                   print s "\"}},"; next } { print }' syn.json >long.json
    run_tool 2 long long.json
    grep -q 'line longer than' long.err || fail "long: $(cat long.err)"
    # A NUL byte inside a line.
    { head -n 5 syn.json; printf '{"name":"spawn","ph":"i","ts":1.000,"pid":7,"tid":0,"s":"t","args":{"id":"b'; printf '\000'; printf '2"}},\n'; tail -n +7 syn.json; } >nul.json
    run_tool 2 nul nul.json
    grep -q 'NUL byte' nul.err || fail "nul: $(cat nul.err)"
    : >empty.json
    run_tool 2 empty empty.json
    run_tool 2 missing does-not-exist.json
    grep -q 'cannot open' missing.err || fail "missing: $(cat missing.err)"
    run_tool 2 binary "$tool"
    run_tool 2 usage
    run_tool 2 usage2 --bogus syn.json

    # A real trace, broken everywhere.
    "$fib" real.json 8 >real.txt || fail "traced_fib failed"
    run_tool 0 real real.json
    size=$(wc -c <real.json)
    lines=$(wc -l <real.json)
    step=$((size / 40 + 1))
    k=0
    while [ $k -lt "$size" ]; do
        head -c $k real.json >cut.json
        run_tool 2 cut cut.json
        k=$((k + step))
    done
    for k in 1 2 3 $((size - 3)) $((size - 2)) $((size - 1)); do
        head -c $k real.json >cut.json
        run_tool 2 cut cut.json
    done
    # mutate MODE SEED: one garbled copy of real.json on stdout.
    mutate() {
        awk -v mode="$1" -v seed="$2" -v lines="$lines" '
            { l[NR] = $0 }
            END {
                srand(seed)
                n = NR
                if (mode == "quote") {
                    # Flip one quote: an odd number of quotes is never JSON.
                    do { i = 1 + int(rand() * n) } while (index(l[i], "\"") == 0)
                    s = l[i]; c = 0
                    for (j = 1; j <= length(s); j++) if (substr(s, j, 1) == "\"") c++
                    k = 1 + int(rand() * c); c = 0
                    for (j = 1; j <= length(s); j++)
                        if (substr(s, j, 1) == "\"" && ++c == k) break
                    l[i] = substr(s, 1, j - 1) "x" substr(s, j + 1)
                } else if (mode == "byte") {
                    chars = "{}[]:,\"\\0123456789abcdefxu.-E BEMi"
                    for (r = 1 + int(rand() * 3); r > 0; r--) {
                        i = 1 + int(rand() * n); s = l[i]
                        j = 1 + int(rand() * (length(s) + 1))
                        ch = substr(chars, 1 + int(rand() * length(chars)), 1)
                        op = int(rand() * 3)
                        if (op == 0) l[i] = substr(s, 1, j - 1) ch substr(s, j + 1)
                        else if (op == 1) l[i] = substr(s, 1, j - 1) ch substr(s, j)
                        else l[i] = substr(s, 1, j - 1) substr(s, j + 1)
                    }
                } else if (mode == "lines") {
                    i = 1 + int(rand() * n); j = 1 + int(rand() * n)
                    op = int(rand() * 3)
                    if (op == 0) { t = l[i]; l[i] = l[j]; l[j] = t }
                    else if (op == 1) l[i] = ""
                    else l[i] = l[i] "\n" l[j]
                }
                for (i = 1; i <= n; i++) if (l[i] != "" || mode != "lines") print l[i]
            }' real.json
    }
    i=0
    while [ $i -lt 30 ]; do
        mutate quote $((seed + i)) >q.json
        run_tool 2 quote q.json
        i=$((i + 1))
    done
    i=0
    while [ $i -lt 90 ]; do
        m=byte
        [ $((i % 3)) = 0 ] && m=lines
        mutate $m $((seed + i)) >g.json
        "$tool" g.json >g.out 2>g.err
        rc=$?
        case $rc in
        0 | 2) ok ;;
        *) cp g.json "garbled-$i.json"
           cat g.err >&2
           fail "weft-trace exited with $rc on garbled-$i.json ($m, seed $((seed + i)))" ;;
        esac
        i=$((i + 1))
    done
    ;;
*)
    echo "usage: $0 summary|synthetic|malformed TOOL TRACED_FIB WORKDIR" >&2
    exit 2
    ;;
esac
echo "$mode: $checks checks passed"
