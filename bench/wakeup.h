/* SPDX-License-Identifier: MIT */
/*
 * wakeup.h - the wake-up benchmark's shared half (C and C++): every 1 ms
 * one task is sent to an idle pool; the latency is from just before the
 * submit to the moment the task starts. WEFT_BENCH_WAKEUP_SAMPLES samples
 * (10000; 500 in --quick). Rows: wakeup threads=T,p50|p99|p99.9 us lower,
 * and wakeup threads=T,cpu: the CPU the pool used during the samples (the
 * process's CPU clock minus the submitting thread's), in ms per second of
 * wall time, lower. Used by bench_wakeup.c (weft, the mutex pool) and
 * bench_wakeup_tbb.cpp (oneTBB).
 */
#ifndef WEFT_BENCH_WAKEUP_H
#define WEFT_BENCH_WAKEUP_H

#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "idle.h"

/* One sample: submit one task, wait for it, *lat = start - submit (ns).
 * Return: 0, or nonzero if the submit or the task failed. */
typedef int (*wakeup_sample_fn)(void *pool, uint64_t *lat);

static inline int
wakeup_cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted v[n]. */
static inline uint64_t
wakeup_pct(const uint64_t *v, size_t n, double p)
{
    size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
    return v[k == 0 ? 0 : (k > n ? n - 1 : k - 1)];
}

/* Warm up, take the samples (lat has room for them), emit the rows.
 * Return: 0, or nonzero (a "missing" row says why). */
static inline int
wakeup_run(const char *sys, unsigned threads, wakeup_sample_fn sample,
           void *pool, uint64_t *lat)
{
    static const double ps[] = {50, 99, 99.9};
    static const char *const pn[] = {"p50", "p99", "p99.9"};
    size_t n = bench_size("WEFT_BENCH_WAKEUP_SAMPLES", 10000, 500);
    uint64_t warm, p0 = 0, m0 = 0, t0 = 0, p1, m1, t1;
    char params[64];
    size_t k;
    int rc;

    fprintf(stderr, "  wakeup %s threads=%u\n", sys, threads);
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
    if (rc != 0) {
        snprintf(params, sizeof(params), "threads=%u,p50", threads);
        bench_missing("wakeup", params, sys, "submit or task failed");
        return rc;
    }
    qsort(lat, n, sizeof(*lat), wakeup_cmp_u64);
    for (k = 0; k < 3; k++) {
        snprintf(params, sizeof(params), "threads=%u,%s", threads, pn[k]);
        bench_emit("wakeup", params, sys,
                   (double)wakeup_pct(lat, n, ps[k]) / 1e3, "us", "lower");
    }
    snprintf(params, sizeof(params), "threads=%u,cpu", threads);
    bench_emit("wakeup", params, sys,
               ((double)(p1 - p0) - (double)(m1 - m0)) / 1e6 /
                   ((double)(t1 - t0) / 1e9),
               "ms CPU/s", "lower");
    return 0;
}

/* The samples buffer for wakeup_run(). */
static inline uint64_t *
wakeup_alloc(void)
{
    size_t n = bench_size("WEFT_BENCH_WAKEUP_SAMPLES", 10000, 500);
    return n == 0 ? NULL : (uint64_t *)malloc(n * sizeof(uint64_t));
}

#endif /* WEFT_BENCH_WAKEUP_H */
