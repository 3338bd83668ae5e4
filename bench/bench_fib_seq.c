/* SPDX-License-Identifier: MIT */
/*
 * bench_fib_seq.c - the plain recursive fib (system "seq"), the floor every
 * runtime's fib is measured against. Single-threaded: one row at
 * threads=1. Built by the project's C compiler with the bench flags.
 */
#include "bench.h"
#include "fib.h"

int
main(void)
{
    int n = fib_n();
    char params[64];
    uint64_t t0, ns;
    long r;
    int m = 20;

    BENCH_HIDE(m);
    r = fib_seq(m); /* warm-up */
    BENCH_KEEP(r);
    m = n;
    t0 = bench_now_ns();
    BENCH_REGION_BEGIN();
    BENCH_HIDE(m);
    r = fib_seq(m);
    BENCH_REGION_END();
    ns = bench_now_ns() - t0;
    BENCH_KEEP(r);
    snprintf(params, sizeof(params), "n=%d,threads=1", n);
    if (r != fib_expect(n)) {
        bench_missing("fib", params, "seq", "wrong result");
        return 1;
    }
    bench_emit("fib", params, "seq", (double)ns / 1e6, "ms", "lower");
    return 0;
}
