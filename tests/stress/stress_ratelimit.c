/* SPDX-License-Identifier: MIT */
/*
 * stress_ratelimit.c - 16 threads (argv[1]) hammer one limiter with
 * try_acquire and acquire (random n, random short deadlines) on the real
 * clock for the run time. Each grant is stamped just before the call and
 * just after it returns, so it happened inside [before, after]. Checks:
 * all permits of the run <= rate * run + burst; and for every run of
 * consecutive grants (sorted by after) their sum <= rate * (last after -
 * earliest before) + burst. Both intervals contain the grants, so stamping
 * delays can only hide a tiny excess, never cause a false failure. A lower
 * bound (at least half the rate gets through) catches a limiter that
 * grants nothing.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <weft/ratelimit.h>

#include "weft_test.h"

#define MAXT   64
#define RATE   20000.0
#define BURST  50u
#define MAXREC (1u << 20)

struct rec {
    uint64_t before, after;
    uint32_t n;
};

static weft_ratelimit_t *rl;
static double run_s;
static uint64_t seed;
static struct rec *recs;
static _Atomic uint32_t nrec;
static _Atomic uint64_t granted;

static void *
worker(void *arg)
{
    uint64_t s = seed ^ ((uintptr_t)arg * 0x9e3779b97f4a7c15ull);
    uint64_t end = weft_now_ns() + (uint64_t)(run_s * 1e9);

    while (weft_now_ns() < end) {
        uint32_t n = 1 + (uint32_t)(weft_test_rand(&s) % 4);
        uint64_t b = weft_now_ns(), w = 0;
        int rc;

        if (weft_test_rand(&s) & 1) {
            rc = weft_ratelimit_try_acquire(rl, n, &w);
            ASSERT_TRUE(rc == 0 || rc == -EAGAIN);
        } else {
            rc = weft_ratelimit_acquire(
                rl, n, b + weft_test_rand(&s) % (2 * WEFT_NS_PER_MS));
            ASSERT_TRUE(rc == 0 || rc == -ETIMEDOUT);
        }
        if (rc == 0) {
            /* relaxed: counters; joined before they are read. */
            uint32_t i =
                atomic_fetch_add_explicit(&nrec, 1, memory_order_relaxed);
            atomic_fetch_add_explicit(&granted, n, memory_order_relaxed);
            if (i < MAXREC) {
                recs[i].before = b;
                recs[i].after = weft_now_ns();
                recs[i].n = n;
            }
        }
    }
    return NULL;
}

static int
by_after(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    return x->after < y->after ? -1 : x->after > y->after;
}

int
main(int argc, char **argv)
{
    unsigned nt = argc > 1 ? (unsigned)atoi(argv[1]) : 16;
    pthread_t th[MAXT];
    uint64_t t0, t1, total;
    uint32_t nr;

    run_s = weft_test_seconds(argc, argv, 2.0);
    seed = weft_test_seed(argc, argv);
    if (nt == 0 || nt > MAXT)
        nt = 16;
    recs = calloc(MAXREC, sizeof(*recs));
    ASSERT_TRUE(recs != NULL);
    ASSERT_EQ(weft_ratelimit_create(RATE, BURST, NULL, &rl), 0);
    t0 = weft_now_ns();
    for (unsigned i = 0; i < nt; i++)
        ASSERT_EQ(pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i),
                  0);
    for (unsigned i = 0; i < nt; i++)
        pthread_join(th[i], NULL);
    t1 = weft_now_ns();
    total = atomic_load_explicit(&granted, memory_order_relaxed);
    nr = atomic_load_explicit(&nrec, memory_order_relaxed);
    fprintf(stderr, "granted %llu permits in %.3f s (bound %.0f)\n",
            (unsigned long long)total, (double)(t1 - t0) / 1e9,
            RATE * (double)(t1 - t0) / 1e9 + BURST);
    /* Whole run: every grant lies inside [t0, t1]. */
    ASSERT_TRUE((double)total <= RATE * (double)(t1 - t0) / 1e9 + BURST);
    /* The limiter must actually let permits through at about the rate
     * (a limiter that grants nothing would pass the bound). */
    ASSERT_TRUE((double)total >= 0.5 * RATE * (double)(t1 - t0) / 1e9);
    if (nr > MAXREC)
        nr = MAXREC;
    /* Sliding windows: a grant happened inside [before, after] of its
     * call. The grants of records i..j (sorted by after) all happened in
     * [min before, after_j]; that interval bounds their count. */
    qsort(recs, nr, sizeof(*recs), by_after);
    for (uint32_t i = 0; i < nr; i += 97) {
        uint64_t lo = recs[i].before, sum = 0;
        for (uint32_t j = i; j < nr && j < i + 4000; j++) {
            if (recs[j].before < lo)
                lo = recs[j].before;
            sum += recs[j].n;
            ASSERT_TRUE((double)sum <=
                        RATE * (double)(recs[j].after - lo) / 1e9 + BURST);
        }
    }
    weft_ratelimit_destroy(rl);
    free(recs);
    return 0;
}
