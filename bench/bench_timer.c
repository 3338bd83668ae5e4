/* SPDX-License-Identifier: MIT */
/*
 * bench_timer.c - timer precision with many timers armed at once.
 *
 * N timers (1,000 and 10,000; 1,000 in --quick; WEFT_BENCH_TIMERS
 * overrides) are armed back to back, so that all N are armed at once, then
 * fire spread over a window of N * 10 us (100,000 timers per second) that
 * starts 1 ms after arming is expected to end: timer i is due at
 * D_i = T0 + W + 1 ms + i * 10 us, where W is twice the arming time
 * measured on a warm-up batch. Lateness = the time the timer's function
 * starts - D_i (a timer armed after its due time, because arming took
 * longer than W, counts its full lateness).
 * Systems:
 *   weft              weft_pool_submit_after on a 2-worker pool (one timer
 *                     thread and heap for all timers);
 *   thread-per-timer  one pthread per timer sleeping in clock_nanosleep
 *                     (TIMER_ABSTIME) until D_i; only up to 1,000 timers.
 * Rows: timer_lateness timers=N,p50|p99 <system> us lower.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft/future.h>
#include <weft/timer.h>

#include "bench.h"

#define NS_MS       1000000u
#define SPREAD_NS   10000u /* between consecutive due times */
#define THREADS_MAX 1000u

struct tslot {
    uint64_t due;
    uint64_t started;
};

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static uint64_t
pct(const uint64_t *v, size_t n, double p)
{
    size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
    return v[k == 0 ? 0 : (k > n ? n - 1 : k - 1)];
}

static void
emit(const char *system, size_t n, struct tslot *s)
{
    uint64_t *lat = malloc(n * sizeof(*lat));
    char params[64];

    if (lat == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        lat[i] = s[i].started > s[i].due ? s[i].started - s[i].due : 0;
    qsort(lat, n, sizeof(*lat), cmp_u64);
    snprintf(params, sizeof(params), "timers=%zu,p50", n);
    bench_emit("timer_lateness", params, system, (double)pct(lat, n, 50) / 1e3,
               "us", "lower");
    snprintf(params, sizeof(params), "timers=%zu,p99", n);
    bench_emit("timer_lateness", params, system, (double)pct(lat, n, 99) / 1e3,
               "us", "lower");
    free(lat);
}

static void
missing(const char *system, size_t n, const char *why)
{
    char params[64];

    snprintf(params, sizeof(params), "timers=%zu,p50", n);
    bench_missing("timer_lateness", params, system, why);
    snprintf(params, sizeof(params), "timers=%zu,p99", n);
    bench_missing("timer_lateness", params, system, why);
}

/* ---- weft ---------------------------------------------------------------- */

static int
stamp(void *arg, void **result)
{
    (void)result;
    ((struct tslot *)arg)->started = bench_now_ns();
    return 0;
}

/* Arm n timers due at base + 1 ms + i * 1 ms / n; 0 or an error. */
static int
weft_round(weft_pool_t *pool, size_t n, uint64_t base, struct tslot *s,
           weft_future_t **f)
{
    size_t armed = 0;
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        uint64_t now = bench_now_ns();
        s[i].due = base + NS_MS + (uint64_t)i * SPREAD_NS;
        s[i].started = 0;
        rc = weft_pool_submit_after(pool, s[i].due > now ? s[i].due - now : 0,
                                    stamp, &s[i], &f[i]);
        if (rc != 0)
            break;
        armed++;
    }
    for (size_t i = 0; i < armed; i++) {
        int r = weft_future_result(f[i], WEFT_DEADLINE_NEVER, NULL);
        if (r != 0 && rc == 0)
            rc = r;
        weft_future_release(f[i]);
    }
    return rc;
}

static void
bench_weft(size_t n)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    struct tslot *s = calloc(n, sizeof(*s));
    weft_future_t **f = calloc(n, sizeof(*f));
    weft_pool_t *pool = NULL;
    uint64_t t0, per;
    size_t warm = n < 200 ? n : 200;
    int rc;

    o.workers = 2;
    o.name = "bt";
    if (s == NULL || f == NULL || weft_pool_create(&o, &pool) != 0) {
        missing("weft", n, "set-up failed");
        goto out;
    }
    /* Warm-up: measures the arming cost, starts the timer service. */
    t0 = bench_now_ns();
    rc = weft_round(pool, warm, t0, s, f);
    per = (bench_now_ns() - t0) / warm;
    if (rc == 0) {
        t0 = bench_now_ns();
        BENCH_REGION_BEGIN();
        rc = weft_round(pool, n, t0 + 2 * per * n, s, f);
        BENCH_REGION_END();
        fprintf(stderr, "    weft: arming window %.1f ms, spread %.1f ms\n",
                (double)(2 * per * n) / 1e6, (double)n * SPREAD_NS / 1e6);
    }
    if (rc != 0)
        missing("weft", n, "a timer failed");
    else
        emit("weft", n, s);
out:
    if (pool != NULL)
        weft_pool_destroy(pool);
    free(s);
    free(f);
}

/* ---- thread-per-timer ---------------------------------------------------- */

static void *
sleeper(void *arg)
{
    struct tslot *s = arg;
    struct timespec ts;

    ts.tv_sec = (time_t)(s->due / 1000000000u);
    ts.tv_nsec = (long)(s->due % 1000000000u);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
    s->started = bench_now_ns();
    return NULL;
}

static int
thread_round(size_t n, uint64_t base, struct tslot *s, pthread_t *th)
{
    pthread_attr_t a;
    size_t made = 0;
    int rc = 0;

    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 64 * 1024);
    for (size_t i = 0; i < n; i++) {
        s[i].due = base + NS_MS + (uint64_t)i * SPREAD_NS;
        s[i].started = 0;
        if (pthread_create(&th[i], &a, sleeper, &s[i]) != 0) {
            rc = -EAGAIN;
            break;
        }
        made++;
    }
    pthread_attr_destroy(&a);
    for (size_t i = 0; i < made; i++)
        pthread_join(th[i], NULL);
    return rc;
}

static void
bench_threads_per_timer(size_t n)
{
    struct tslot *s;
    pthread_t *th;
    uint64_t t0, per;
    size_t warm = n < 200 ? n : 200;
    int rc;

    if (n > THREADS_MAX) {
        missing("thread-per-timer", n,
                "one thread per timer: only run up to 1000 timers");
        return;
    }
    s = calloc(n, sizeof(*s));
    th = calloc(n, sizeof(*th));
    rc = (s == NULL || th == NULL) ? -ENOMEM : 0;
    if (rc == 0) {
        t0 = bench_now_ns();
        rc = thread_round(warm, t0, s, th);
        per = (bench_now_ns() - t0) / warm;
        if (rc == 0) {
            t0 = bench_now_ns();
            rc = thread_round(n, t0 + 2 * per * n, s, th);
            fprintf(stderr, "    threads: arming window %.1f ms\n",
                    (double)(2 * per * n) / 1e6);
        }
    }
    if (rc != 0)
        missing("thread-per-timer", n, "threads could not be created");
    else
        emit("thread-per-timer", n, s);
    free(s);
    free(th);
}

int
main(void)
{
    size_t sizes[2] = {1000, 10000};
    size_t ns = bench_quick() ? 1 : 2;
    unsigned long only = bench_env_ul("WEFT_BENCH_TIMERS", 0);

    if (only != 0) {
        sizes[0] = only;
        ns = 1;
    }
    for (size_t k = 0; k < ns; k++) {
        fprintf(stderr, "  timer_lateness timers=%zu\n", sizes[k]);
        bench_weft(sizes[k]);
        bench_threads_per_timer(sizes[k]);
    }
    return 0;
}
