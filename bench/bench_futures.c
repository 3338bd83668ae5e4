/* SPDX-License-Identifier: MIT */
/*
 * bench_futures.c - the cost of as_completed per future, against the plain
 * pattern it replaces. One outside thread, WEFT_BENCH_FUTURES_N tiny tasks
 * (1M; 100k in --quick):
 *   submit_result: submit all, then weft_future_result() each in order,
 *                  release (the baseline);
 *   as_completed:  submit all, weft_waitset_add() each (release our ref),
 *                  then weft_waitset_next() until -ENOENT, release each;
 *   as_completed_submit: the same with weft_waitset_submit() (the fused
 *                  submit + add, no reference to release);
 *   pool_map:      weft_pool_map() over the same n (bounded window).
 * Rows (per threads=T): futures_submit_result, as_completed, pool_map in
 * ns/future (lower); as_completed_overhead = as_completed / submit_result
 * (ratio, lower; the target is <= 1.30), as_completed_submit and its
 * as_completed_submit_overhead likewise. Each is the best of REPS
 * alternating repetitions in one invocation.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <weft.h>

#include "bench.h"

#define REPS 3

/* Phase split of the last run of each pattern (WEFT_BENCH_FUTURES_PHASES=1
 * prints it): ns spent in the submit (+ waitset_add) loop and in the
 * result (or waitset_next) loop. Two clock reads per run, nothing per
 * future. */
static uint64_t phase_sr[2], phase_ac[2], phase_as[2];

static int
noop(void *arg, void **result)
{
    *result = arg;
    return 0;
}

static int
run_submit_result(weft_pool_t *pool, weft_future_t **fut, size_t n)
{
    int rc = 0;
    size_t made;
    uint64_t t0 = bench_now_ns(), t1;

    for (made = 0; made < n; made++) {
        rc = weft_pool_submit(pool, noop, NULL, &fut[made]);
        if (rc != 0)
            break;
    }
    t1 = bench_now_ns();
    for (size_t i = 0; i < made; i++) {
        int r = weft_future_result(fut[i], WEFT_DEADLINE_NEVER, NULL);
        if (r != 0 && rc == 0)
            rc = r;
        weft_future_release(fut[i]);
    }
    phase_sr[0] = t1 - t0;
    phase_sr[1] = bench_now_ns() - t1;
    return rc;
}

/* fused: weft_waitset_submit() instead of submit + add + release. */
static int
run_as_completed(weft_pool_t *pool, size_t n, bool fused)
{
    weft_waitset_t *ws;
    weft_future_t *f;
    uintptr_t tag;
    size_t got = 0;
    int rc = weft_waitset_create(NULL, &ws);
    uint64_t t0 = bench_now_ns(), t1;

    if (rc != 0)
        return rc;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (fused) {
            rc = weft_waitset_submit(ws, pool, noop, NULL, (uintptr_t)i);
            continue;
        }
        rc = weft_pool_submit(pool, noop, NULL, &f);
        if (rc == 0) {
            rc = weft_waitset_add(ws, f, (uintptr_t)i);
            weft_future_release(f);
        }
    }
    t1 = bench_now_ns();
    while (rc == 0 &&
           (rc = weft_waitset_next(ws, WEFT_DEADLINE_NEVER, &f, &tag)) == 0) {
        rc = weft_future_result(f, WEFT_DEADLINE_POLL, NULL);
        weft_future_release(f);
        got++;
    }
    weft_waitset_destroy(ws);
    (fused ? phase_as : phase_ac)[0] = t1 - t0;
    (fused ? phase_as : phase_ac)[1] = bench_now_ns() - t1;
    if (rc == -ENOENT && got == n)
        rc = 0;
    return rc;
}

static void
row(const char *bench, const char *params, double value, const char *unit)
{
    bench_emit(bench, params, "weft", value, unit, "lower");
}

int
main(void)
{
    unsigned threads[BENCH_MAX_THREADS];
    int nt = bench_threads(threads, BENCH_MAX_THREADS, "2");
    size_t n = bench_size("WEFT_BENCH_FUTURES_N", 1000000, 100000);
    weft_future_t **fut = malloc(n * sizeof(*fut));
    void **args = calloc(n, sizeof(*args));

    if (fut == NULL || args == NULL || n == 0)
        return 1;
    for (int t = 0; t < nt; t++) {
        struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
        weft_pool_t *pool;
        char params[64];
        uint64_t t0, base, ac, as, map;
        uint64_t ph_sr[2] = {UINT64_MAX, UINT64_MAX};
        uint64_t ph_ac[2] = {UINT64_MAX, UINT64_MAX};
        uint64_t ph_as[2] = {UINT64_MAX, UINT64_MAX};
        int rc;

        snprintf(params, sizeof(params), "n=%zu,threads=%u", n, threads[t]);
        fprintf(stderr, "  futures %s\n", params);
        o.workers = threads[t];
        rc = weft_pool_create(&o, &pool);
        if (rc != 0) {
            bench_missing("as_completed", params, "weft", "pool create");
            continue;
        }
        /* Warm-up: lanes, allocator, page faults for both patterns. */
        rc = run_submit_result(pool, fut, n < 20000 ? n : 20000);
        if (rc == 0)
            rc = run_as_completed(pool, n < 20000 ? n : 20000, false);
        if (rc == 0)
            rc = run_as_completed(pool, n < 20000 ? n : 20000, true);

        /* Alternating repetitions, best of each: the machine is shared,
         * and the minimum is the least disturbed run of each pattern. */
        base = ac = as = map = UINT64_MAX;
        BENCH_REGION_BEGIN();
        for (int rep = 0; rep < REPS && rc == 0; rep++) {
            uint64_t d;
            t0 = bench_now_ns();
            rc = run_submit_result(pool, fut, n);
            d = bench_now_ns() - t0;
            base = d < base ? d : base;
            for (int k = 0; k < 2; k++)
                ph_sr[k] = phase_sr[k] < ph_sr[k] ? phase_sr[k] : ph_sr[k];
            t0 = bench_now_ns();
            if (rc == 0)
                rc = run_as_completed(pool, n, false);
            d = bench_now_ns() - t0;
            ac = d < ac ? d : ac;
            for (int k = 0; k < 2; k++)
                ph_ac[k] = phase_ac[k] < ph_ac[k] ? phase_ac[k] : ph_ac[k];
            t0 = bench_now_ns();
            if (rc == 0)
                rc = run_as_completed(pool, n, true);
            d = bench_now_ns() - t0;
            as = d < as ? d : as;
            for (int k = 0; k < 2; k++)
                ph_as[k] = phase_as[k] < ph_as[k] ? phase_as[k] : ph_as[k];
            t0 = bench_now_ns();
            if (rc == 0)
                rc = weft_pool_map(pool, noop, args, n, NULL, NULL,
                                   WEFT_DEADLINE_NEVER);
            d = bench_now_ns() - t0;
            map = d < map ? d : map;
        }
        BENCH_REGION_END();
        weft_pool_destroy(pool);
        if (rc != 0) {
            bench_missing("as_completed", params, "weft", "a task failed");
            continue;
        }
        row("futures_submit_result", params, (double)base / (double)n,
            "ns/future");
        row("as_completed", params, (double)ac / (double)n, "ns/future");
        row("as_completed_submit", params, (double)as / (double)n, "ns/future");
        row("pool_map", params, (double)map / (double)n, "ns/item");
        row("as_completed_overhead", params, (double)ac / (double)base,
            "ratio");
        row("as_completed_submit_overhead", params, (double)as / (double)base,
            "ratio");
        if (getenv("WEFT_BENCH_FUTURES_PHASES") != NULL) {
            /* Best of each phase over the repetitions (not necessarily
             * from the same run as the totals above). */
            row("futures_submit_phase", params, (double)ph_sr[0] / (double)n,
                "ns/future");
            row("futures_result_phase", params, (double)ph_sr[1] / (double)n,
                "ns/future");
            row("as_completed_add_phase", params, (double)ph_ac[0] / (double)n,
                "ns/future");
            row("as_completed_next_phase", params, (double)ph_ac[1] / (double)n,
                "ns/future");
            row("as_completed_submit_phase", params,
                (double)ph_as[0] / (double)n, "ns/future");
            row("as_completed_submit_next_phase", params,
                (double)ph_as[1] / (double)n, "ns/future");
        }
    }
    free(args);
    free(fut);
    return 0;
}
