/* SPDX-License-Identifier: MIT */
/*
 * fib.h - the fib benchmark's shared half: the sequential fib ("seq", Lace's
 * fib-seq pair), spawn counting and the driver that turns one system's
 * timed runs into rows. Valid C and C++ (the oneTBB peer includes it).
 *
 * Every system runs the same shape: fib(n) spawns fib(n-1), computes
 * fib(n-2) itself, then syncs; no cutoff, so the per-spawn cost is what
 * is measured. fib(n) then makes fib(n+1) - 1 spawns.
 *
 * Rows (params "n=N,threads=T"):
 *   fib               ms per run                         lower
 *   fib-ns-per-spawn  (T1 - Tseq) / spawns, threads=1   lower
 *   fib-overhead      T1 / Tseq (params "n=N")           lower
 *   fib-speedup       T1 / TT for each T > 1             higher
 * Tseq is measured in the same binary, so it is built by the same compiler
 * with the same flags as the system under test.
 */
#ifndef WEFT_BENCH_FIB_H
#define WEFT_BENCH_FIB_H

#include <stdint.h>
#include <stdio.h>

#include "bench.h"

/* Plain recursive fib: the baseline every runtime's fib is compared to. */
static long
fib_seq(int n)
{
    if (n < 2)
        return n;
    return fib_seq(n - 1) + fib_seq(n - 2);
}

/* fib(n) by iteration, to check results. */
static inline long
fib_expect(int n)
{
    long a = 0, b = 1;
    for (int i = 0; i < n; i++) {
        long c = a + b;
        a = b;
        b = c;
    }
    return a;
}

/* Spawns (internal nodes of the call tree) of fib(n): fib(n+1) - 1. */
static inline uint64_t
fib_spawns(int n)
{
    return (uint64_t)fib_expect(n + 1) - 1;
}

static inline int
fib_n(void)
{
    return (int)bench_size("WEFT_BENCH_FIB_N", 32, 27);
}

/* Times fib_seq(n) once, after one untimed warm-up run. */
static inline uint64_t
fib_time_seq(int n)
{
    uint64_t t0;
    long r;
    int m = n;

    BENCH_HIDE(m);
    r = fib_seq(m); /* warm-up */
    BENCH_KEEP(r);
    m = n;
    t0 = bench_now_ns();
    BENCH_HIDE(m);
    r = fib_seq(m);
    BENCH_KEEP(r);
    return bench_now_ns() - t0;
}

/*
 * One system's run at one thread count: set the runtime up, warm it up,
 * time fib(n) once (between BENCH_REGION_BEGIN/END), tear it down. Returns
 * 0 with *result and *ns set, or nonzero with a reason in why[64].
 */
typedef int (*fib_run_fn)(unsigned threads, int n, long *result, uint64_t *ns,
                          char *why);

static inline void
fib_bench(const char *system, fib_run_fn run)
{
    unsigned threads[BENCH_MAX_THREADS];
    int nt = bench_threads(threads, BENCH_MAX_THREADS, "1,2");
    int n = fib_n();
    uint64_t spawns = fib_spawns(n), tseq, t1 = 0;
    char params[64], base[32];

    snprintf(base, sizeof(base), "n=%d", n);
    tseq = fib_time_seq(n);
    for (int i = 0; i < nt; i++) {
        uint64_t ns = 0;
        long result = -1;
        char why[64] = "";
        int rc;

        snprintf(params, sizeof(params), "n=%d,threads=%u", n, threads[i]);
        fprintf(stderr, "  fib %s %s\n", system, params);
        rc = run(threads[i], n, &result, &ns, why);
        if (rc == 0 && result != fib_expect(n)) {
            snprintf(why, sizeof(why), "wrong result %ld", result);
            rc = 1;
        }
        if (rc != 0) {
            bench_missing("fib", params, system, why);
            continue;
        }
        bench_emit("fib", params, system, (double)ns / 1e6, "ms", "lower");
        if (threads[i] == 1) {
            t1 = ns;
            bench_emit("fib-ns-per-spawn", params, system,
                       ((double)ns - (double)tseq) / (double)spawns, "ns",
                       "lower");
            bench_emit("fib-overhead", base, system, (double)ns / (double)tseq,
                       "x", "lower");
        } else if (t1 != 0) {
            bench_emit("fib-speedup", params, system, (double)t1 / (double)ns,
                       "x", "higher");
        }
    }
}

#endif /* WEFT_BENCH_FIB_H */
