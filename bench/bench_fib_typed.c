/* SPDX-License-Identifier: MIT */
/*
 * bench_fib_typed.c - fib(n) as a typed task (weft/typed.h), a spawn at
 * every level, inside weft_pool_run: the same shape as bench_fib (fib.h)
 * on the typed deque. System "weft-typed" ("weft-typed-nostats" when
 * built with WEFT_STATS=0 against weft_nostats, bench/CMakeLists.txt).
 */
#include <stdint.h>

#include <weft/pool.h>
#include <weft/typed.h>

#include "bench.h"
#include "fib.h"

WEFT_TASK_1(long, tfib, int, n)
{
    long a, b;

    if (n < 2)
        return n;
    tfib_spawn(n - 1);
    b = tfib(n - 2);
    a = tfib_sync();
    return a + b;
}

static int
run_typed(unsigned threads, int n, long *result, uint64_t *ns, char *why)
{
    struct weft_pool_opts opts = WEFT_POOL_OPTS_INIT;
    weft_pool_t *pool;
    uint64_t t0;
    int rc;

    opts.workers = threads;
    opts.name = "fib";
    rc = weft_pool_create(&opts, &pool);
    if (rc != 0) {
        snprintf(why, 64, "weft_pool_create: %s", weft_strerror(rc));
        return rc;
    }
    rc = tfib_run(pool, 20, result);
    if (rc == 0) {
        t0 = bench_now_ns();
        BENCH_REGION_BEGIN();
        rc = tfib_run(pool, n, result);
        BENCH_REGION_END();
        *ns = bench_now_ns() - t0;
    }
    if (rc != 0)
        snprintf(why, 64, "tfib_run: %s", weft_strerror(rc));
    weft_pool_destroy(pool);
    return rc;
}

int
main(void)
{
#ifndef BENCH_WEFT_SYSTEM
#    define BENCH_WEFT_SYSTEM "weft-typed"
#endif
    fib_bench(BENCH_WEFT_SYSTEM, run_typed);
    return 0;
}
