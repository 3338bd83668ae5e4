/* SPDX-License-Identifier: MIT */
/*
 * bench_fib.c - fib(n) by weft_spawn/weft_sync inside weft_pool_run, a
 * spawn at every level (fib.h has the rows). System "weft".
 */
#include <stdint.h>

#include <weft/pool.h>

#include "bench.h"
#include "fib.h"
#include "weft_fib.h"

static int
run_weft(unsigned threads, int n, long *result, uint64_t *ns, char *why)
{
    struct weft_pool_opts opts = WEFT_POOL_OPTS_INIT;
    weft_pool_t *pool;
    void *r = NULL;
    uint64_t t0;
    int rc;

    opts.workers = threads;
    opts.name = "fib";
    rc = weft_pool_create(&opts, &pool);
    if (rc != 0) {
        snprintf(why, 64, "weft_pool_create: %s", weft_strerror(rc));
        return rc;
    }
    rc = weft_pool_run(pool, fib_task, (void *)(intptr_t)20, &r);
    if (rc == 0) {
        t0 = bench_now_ns();
        BENCH_REGION_BEGIN();
        rc = weft_pool_run(pool, fib_task, (void *)(intptr_t)n, &r);
        BENCH_REGION_END();
        *ns = bench_now_ns() - t0;
        *result = (long)(intptr_t)r;
    }
    if (rc != 0)
        snprintf(why, 64, "weft_pool_run: %s", weft_strerror(rc));
    weft_pool_destroy(pool);
    return rc;
}

int
main(void)
{
#ifndef BENCH_WEFT_SYSTEM
#    define BENCH_WEFT_SYSTEM "weft"
#endif
    fib_bench(BENCH_WEFT_SYSTEM, run_weft);
    return 0;
}
