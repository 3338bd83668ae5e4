/* SPDX-License-Identifier: MIT */
/*
 * bench_wakeup.c - wake-up latency of an idle pool (wakeup.h). Built for
 * weft (bench_wakeup: system "weft", the default adaptive idle policy,
 * and "weft-park-only", WEFT_IDLE_PARK) and the mutex pool
 * (bench_wakeup_mutex); oneTBB is bench_wakeup_tbb.cpp.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "sys_pool.h"
#include "wakeup.h"

static int
stamp(void *arg, void **result)
{
    (void)result;
    *(volatile uint64_t *)arg = bench_now_ns();
    return 0;
}

static int
sample(void *pool, uint64_t *lat)
{
    volatile uint64_t started = 0;
    sys_future_t *f;
    uint64_t t0 = bench_now_ns();
    int rc = sys_submit((sys_pool_t *)pool, stamp, (void *)&started, &f);

    if (rc != 0)
        return rc;
    rc = sys_wait(f, NULL);
    sys_release(f);
    *lat = started - t0;
    return rc;
}

#ifdef BENCH_SYS_MUTEX
static const char *const systems[] = {SYS_NAME};
#else
static const char *const systems[] = {SYS_NAME, "weft-park-only"};
#endif
#define NSYSTEMS (sizeof(systems) / sizeof(systems[0]))

static int
pool_create(unsigned variant, unsigned workers, sys_pool_t **out)
{
#ifdef BENCH_SYS_MUTEX
    (void)variant;
    return sys_pool_create(workers, out);
#else
    struct weft_pool_opts opts = WEFT_POOL_OPTS_INIT;

    opts.workers = workers;
    opts.name = "bench";
    opts.idle = variant == 0 ? WEFT_IDLE_ADAPTIVE : WEFT_IDLE_PARK;
    return weft_pool_create(&opts, out);
#endif
}

int
main(void)
{
    unsigned threads[BENCH_MAX_THREADS];
    int nt = bench_threads(threads, BENCH_MAX_THREADS, "1,2");
    uint64_t *lat = wakeup_alloc();

    if (lat == NULL)
        return 1;
    for (int j = 0; j < nt * (int)NSYSTEMS; j++) {
        int i = j / (int)NSYSTEMS;
        const char *sys = systems[j % (int)NSYSTEMS];
        sys_pool_t *pool = NULL;

        if (pool_create((unsigned)(j % (int)NSYSTEMS), threads[i], &pool) !=
            0) {
            char params[64];

            snprintf(params, sizeof(params), "threads=%u,p50", threads[i]);
            bench_missing("wakeup", params, sys, "pool create failed");
            continue;
        }
        (void)wakeup_run(sys, threads[i], sample, pool, lat);
        sys_pool_destroy(pool);
    }
    free(lat);
    return 0;
}
