/* SPDX-License-Identifier: MIT */
/*
 * bench_wakeup.c - wake-up latency of an idle pool: every 1 ms an outside
 * thread submits one task that stamps the time it starts; latency is
 * start - (time just before submit). WEFT_BENCH_WAKEUP_SAMPLES samples
 * (10000; 500 in --quick). Rows: wakeup threads=T,p50|p99|p99.9 us lower.
 * Built for weft (bench_wakeup) and the mutex pool (bench_wakeup_mutex).
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "idle.h"
#include "sys_pool.h"

static int
stamp(void *arg, void **result)
{
    (void)result;
    *(volatile uint64_t *)arg = bench_now_ns();
    return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[n]. */
static uint64_t
pct(const uint64_t *v, size_t n, double p)
{
    size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
    return v[k == 0 ? 0 : (k > n ? n - 1 : k - 1)];
}

static int
sample(sys_pool_t *pool, uint64_t *lat)
{
    volatile uint64_t started = 0;
    sys_future_t *f;
    uint64_t t0 = bench_now_ns();
    int rc = sys_submit(pool, stamp, (void *)&started, &f);

    if (rc != 0)
        return rc;
    rc = sys_wait(f, NULL);
    sys_release(f);
    *lat = started - t0;
    return rc;
}

int
main(void)
{
    unsigned threads[BENCH_MAX_THREADS];
    int nt = bench_threads(threads, BENCH_MAX_THREADS, "1,2");
    size_t n = bench_size("WEFT_BENCH_WAKEUP_SAMPLES", 10000, 500);
    uint64_t *lat = malloc(n * sizeof(*lat));
    static const double ps[] = {50, 99, 99.9};
    static const char *const pn[] = {"p50", "p99", "p99.9"};

    if (lat == NULL || n == 0)
        return 1;
    for (int i = 0; i < nt; i++) {
        char params[64];
        sys_pool_t *pool = NULL;
        uint64_t warm;
        size_t k;
        int rc;

        fprintf(stderr, "  wakeup %s threads=%u\n", SYS_NAME, threads[i]);
        rc = sys_pool_create(threads[i], &pool);
        if (rc == 0)
            rc = sample(pool, &warm);
        for (k = 0; rc == 0 && k < n; k++) {
            idle_sleep_ns(1000000u);
            rc = sample(pool, &lat[k]);
        }
        if (pool != NULL)
            sys_pool_destroy(pool);
        if (rc != 0) {
            snprintf(params, sizeof(params), "threads=%u,p50", threads[i]);
            bench_missing("wakeup", params, SYS_NAME, "submit or task failed");
            continue;
        }
        qsort(lat, n, sizeof(*lat), cmp_u64);
        for (k = 0; k < 3; k++) {
            snprintf(params, sizeof(params), "threads=%u,%s", threads[i],
                     pn[k]);
            bench_emit("wakeup", params, SYS_NAME,
                       (double)pct(lat, n, ps[k]) / 1e3, "us", "lower");
        }
    }
    free(lat);
    return 0;
}
