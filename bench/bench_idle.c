/* SPDX-License-Identifier: MIT */
/*
 * bench_idle.c - CPU an idle pool burns (idle.h): a pool of T workers runs
 * 100 tiny tasks, then sits idle. Built for weft (bench_idle) and the
 * mutex pool (bench_idle_mutex) through sys_pool.h.
 */
#include <stdio.h>

#include "bench.h"
#include "idle.h"
#include "sys_pool.h"

static int
noop(void *arg, void **result)
{
    (void)arg;
    (void)result;
    return 0;
}

int
main(void)
{
    unsigned threads[BENCH_MAX_THREADS];
    int nt = bench_threads(threads, BENCH_MAX_THREADS, "1,2");

    for (int i = 0; i < nt; i++) {
        sys_future_t *fut[100];
        sys_pool_t *pool;
        char params[32];
        int rc, made = 0;

        snprintf(params, sizeof(params), "threads=%u", threads[i]);
        rc = sys_pool_create(threads[i], &pool);
        if (rc != 0) {
            bench_missing("idle", params, SYS_NAME, "pool create failed");
            continue;
        }
        while (made < 100 && sys_submit(pool, noop, NULL, &fut[made]) == 0)
            made++;
        for (int k = 0; k < made; k++) {
            sys_wait(fut[k], NULL);
            sys_release(fut[k]);
        }
        idle_emit(SYS_NAME, threads[i], idle_measure());
        sys_pool_destroy(pool);
    }
    return 0;
}
