/* SPDX-License-Identifier: MIT */
/*
 * bench_wakeup.c - wake-up latency of an idle pool: every 1 ms an outside
 * thread submits one task that stamps the time it starts; latency is
 * start - (time just before submit). WEFT_BENCH_WAKEUP_SAMPLES samples
 * (10000; 500 in --quick). Rows: wakeup threads=T,p50|p99|p99.9 us lower,
 * and wakeup threads=T,cpu: the CPU the pool used during the samples (the
 * process's CPU clock minus the submitting thread's), in ms per second of
 * wall time, lower. Built for weft (bench_wakeup: system "weft", the
 * default adaptive idle policy, and "weft-park-only", WEFT_IDLE_PARK) and
 * the mutex pool (bench_wakeup_mutex).
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
    size_t n = bench_size("WEFT_BENCH_WAKEUP_SAMPLES", 10000, 500);
    uint64_t *lat = malloc(n * sizeof(*lat));
    static const double ps[] = {50, 99, 99.9};
    static const char *const pn[] = {"p50", "p99", "p99.9"};

    if (lat == NULL || n == 0)
        return 1;
    for (int j = 0; j < nt * (int)NSYSTEMS; j++) {
        int i = j / (int)NSYSTEMS;
        const char *sys = systems[j % (int)NSYSTEMS];
        char params[64];
        sys_pool_t *pool = NULL;
        uint64_t warm, p0 = 0, m0 = 0, t0 = 0, p1, m1, t1;
        size_t k;
        int rc;

        fprintf(stderr, "  wakeup %s threads=%u\n", sys, threads[i]);
        rc = pool_create((unsigned)(j % (int)NSYSTEMS), threads[i], &pool);
        if (rc == 0)
            rc = sample(pool, &warm);
        if (rc == 0) {
            p0 = bench_cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
            m0 = bench_cpu_ns(CLOCK_THREAD_CPUTIME_ID);
            t0 = bench_now_ns();
        }
        for (k = 0; rc == 0 && k < n; k++) {
            idle_sleep_ns(1000000u);
            rc = sample(pool, &lat[k]);
        }
        t1 = bench_now_ns();
        m1 = bench_cpu_ns(CLOCK_THREAD_CPUTIME_ID);
        p1 = bench_cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
        if (pool != NULL)
            sys_pool_destroy(pool);
        if (rc != 0) {
            snprintf(params, sizeof(params), "threads=%u,p50", threads[i]);
            bench_missing("wakeup", params, sys, "submit or task failed");
            continue;
        }
        qsort(lat, n, sizeof(*lat), cmp_u64);
        for (k = 0; k < 3; k++) {
            snprintf(params, sizeof(params), "threads=%u,%s", threads[i],
                     pn[k]);
            bench_emit("wakeup", params, sys, (double)pct(lat, n, ps[k]) / 1e3,
                       "us", "lower");
        }
        snprintf(params, sizeof(params), "threads=%u,cpu", threads[i]);
        bench_emit("wakeup", params, sys,
                   ((double)(p1 - p0) - (double)(m1 - m0)) / 1e6 /
                       ((double)(t1 - t0) / 1e9),
                   "ms CPU/s", "lower");
    }
    free(lat);
    return 0;
}
