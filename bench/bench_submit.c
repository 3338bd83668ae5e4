/* SPDX-License-Identifier: MIT */
/*
 * bench_submit.c - one outside thread submits WEFT_BENCH_SUBMIT_N tiny
 * tasks (1M; 100k in --quick; each returns 0), then waits for every future
 * in order and releases it. Row: submit n=N,threads=T tasks/s higher.
 * Built for weft (bench_submit) and the mutex pool (bench_submit_mutex)
 * through sys_pool.h, and as bench_submit_context (system "weft+context"):
 * weft with a request context set in the submitting thread for the whole
 * run, so every task captures it and runs in it. The "weft" row is the
 * context's cost when unused (submit copies one NULL pointer).
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "sys_pool.h"

#ifdef BENCH_SUBMIT_CONTEXT
#    include <weft/context.h>
#    define ROW_SYSTEM "weft+context"
#else
#    define ROW_SYSTEM SYS_NAME
#endif

static int
noop(void *arg, void **result)
{
    (void)arg;
    (void)result;
    return 0;
}

/* Submits n tasks and waits for all; 0 or the first error. */
static int
burst(sys_pool_t *pool, sys_future_t **fut, unsigned long n)
{
    int rc = 0;
    unsigned long i, made;

    for (made = 0; made < n; made++) {
        rc = sys_submit(pool, noop, NULL, &fut[made]);
        if (rc != 0)
            break;
    }
    for (i = 0; i < made; i++) {
        int r = sys_wait(fut[i], NULL);
        if (r != 0 && rc == 0)
            rc = r;
        sys_release(fut[i]);
    }
    return rc;
}

int
main(void)
{
    unsigned threads[BENCH_MAX_THREADS];
    int nt = bench_threads(threads, BENCH_MAX_THREADS, "1,2");
    unsigned long n = bench_size("WEFT_BENCH_SUBMIT_N", 1000000, 100000);
    sys_future_t **fut = malloc(n * sizeof(*fut));

    if (fut == NULL)
        return 1;
#ifdef BENCH_SUBMIT_CONTEXT
    static const char request_id;
    if (weft_context_set(&request_id, (void *)1) != 0)
        return 1;
#endif
    for (int i = 0; i < nt; i++) {
        char params[64], why[96];
        sys_pool_t *pool;
        uint64_t t0, ns;
        int rc;

        snprintf(params, sizeof(params), "n=%lu,threads=%u", n, threads[i]);
        fprintf(stderr, "  submit %s %s\n", ROW_SYSTEM, params);
        rc = sys_pool_create(threads[i], &pool);
        if (rc != 0) {
            snprintf(why, sizeof(why), "pool create failed (%d)", rc);
            bench_missing("submit", params, ROW_SYSTEM, why);
            continue;
        }
        rc = burst(pool, fut, n < 1000 ? n : 1000); /* warm-up */
        t0 = bench_now_ns();
        BENCH_REGION_BEGIN();
        if (rc == 0)
            rc = burst(pool, fut, n);
        BENCH_REGION_END();
        ns = bench_now_ns() - t0;
        sys_pool_destroy(pool);
        if (rc != 0) {
            snprintf(why, sizeof(why), "a task or submit failed (%d)", rc);
            bench_missing("submit", params, ROW_SYSTEM, why);
            continue;
        }
        bench_emit("submit", params, ROW_SYSTEM, (double)n * 1e9 / (double)ns,
                   "tasks/s", "higher");
    }
    free(fut);
    return 0;
}
