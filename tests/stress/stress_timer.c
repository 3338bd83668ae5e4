/* SPDX-License-Identifier: MIT */
/*
 * stress_timer.c - oversubscribed timers (argv: threads seconds seed;
 * default 8 threads on a 4-worker pool). Each thread loops: arm a one-shot
 * timer (delay 0..3 ms) or a periodic one (period 0.2..2 ms), and cancel it
 * at a random moment (often racing with the fire), or not at all for
 * one-shots. Checked for every timer:
 * - its future completes exactly once (one done callback), with fn's
 *   result (0, or the injected error) or -ECANCELED;
 * - a one-shot ran exactly once if the result is 0/error, never if
 *   cancelled; a periodic timer starts no run after cancel returned 0
 *   (at most the one in progress finishes), and an error run ends it;
 * - no run starts before its due time (start + k * period).
 * At the end no timer is left armed.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <weft/future.h>
#include <weft/timer.h>

#include "weft_test.h"

#define MAXT 64
#define US   WEFT_NS_PER_US
#define LONG (60 * WEFT_NS_PER_SEC)

struct rec {
    uint64_t t0, period, delay;
    int fail_at; /* run that returns -EIO (0: never) */
    _Atomic int runs;
    _Atomic int early;
    _Atomic int dones;
    _Atomic int active; /* runs in progress */
};

static weft_pool_t *pool;
static double run_s;
static uint64_t seed;
static _Atomic uint64_t n_ran, n_cancelled, n_periodic, n_err;

static int
fn(void *arg, void **result)
{
    struct rec *r = arg;
    int k, rc;
    uint64_t due;

    atomic_fetch_add_explicit(&r->active, 1, memory_order_relaxed);
    k = atomic_fetch_add_explicit(&r->runs, 1, memory_order_relaxed) + 1;
    due = r->t0 + (r->period ? (uint64_t)k * r->period : r->delay);
    if (weft_now_ns() < due)
        atomic_store_explicit(&r->early, 1, memory_order_relaxed);
    *result = r;
    rc = k == r->fail_at ? -EIO : 0;
    /* release: the run's accesses to r before the owner may free it. */
    atomic_fetch_sub_explicit(&r->active, 1, memory_order_release);
    return rc;
}

static void
done_cb(weft_future_t *f, void *ctx)
{
    (void)f;
    /* release: the callback's last access to the record before the owner,
     * which acquire-loads dones, may free it. */
    atomic_fetch_add_explicit(&((struct rec *)ctx)->dones, 1,
                              memory_order_release);
}

static void
spin_us(uint64_t us)
{
    uint64_t end = weft_now_ns() + us * US;
    while (weft_now_ns() < end)
        sched_yield();
}

static void *
worker(void *arg)
{
    uint64_t s = seed ^ ((uintptr_t)arg * 0x9e3779b97f4a7c15ull);
    uint64_t end = weft_now_ns() + (uint64_t)(run_s * 1e9);
    /* Each thread's first three timers cover the three endings however
     * few rounds a loaded machine gets through (a TSan run at load 20 spent
     * its whole budget on the first): 0, a periodic timer that fails at
     * its 3rd run, not cancelled; 1, a one-shot that runs; 2, a one-shot
     * due in 60 s, cancelled at once. Later rounds are random. */
    for (unsigned round = 0; round < 3 || weft_now_ns() < end; round++) {
        struct rec *r = calloc(1, sizeof(*r));
        weft_future_t *f = NULL;
        bool first = round == 0, fixed = round < 3;
        bool periodic = first || (!fixed && weft_test_rand(&s) % 3 == 0);
        int crc = 1, rc, runs_at_cancel = 0;
        void *res = NULL;

        ASSERT_TRUE(r != NULL);
        r->t0 = weft_now_ns();
        if (periodic) {
            r->period = 200 * US + weft_test_rand(&s) % (1800 * US);
            r->fail_at = first || weft_test_rand(&s) % 4 == 0 ? 3 : 0;
            ASSERT_EQ(weft_pool_submit_every(pool, r->period, fn, r, &f), 0);
        } else {
            r->delay = round == 2 ? LONG : weft_test_rand(&s) % (3000 * US);
            ASSERT_EQ(weft_pool_submit_after(pool, r->delay, fn, r, &f), 0);
        }
        ASSERT_EQ(weft_future_on_done(f, done_cb, r), 0);
        if (round == 2) {
            ASSERT_EQ(weft_future_cancel(f), 0); /* 60 s before it is due */
            crc = 0;
        } else if (!fixed && (periodic || weft_test_rand(&s) % 2)) {
            spin_us(weft_test_rand(&s) % 4000);
            crc = weft_future_cancel(f);
            runs_at_cancel =
                atomic_load_explicit(&r->runs, memory_order_relaxed);
            ASSERT_TRUE(crc == 0 || crc == -EBUSY);
        }
        rc = weft_future_result(f, weft_deadline_in(LONG), &res);
        if (crc == 0) {
            ASSERT_EQ(rc, -ECANCELED);
            atomic_fetch_add_explicit(&n_cancelled, 1, memory_order_relaxed);
        } else if (periodic) {
            /* Only an error run ends a periodic timer not cancelled. */
            ASSERT_EQ(rc, -EIO);
            ASSERT_TRUE(res == r);
            ASSERT_EQ(atomic_load(&r->runs), 3);
            atomic_fetch_add_explicit(&n_err, 1, memory_order_relaxed);
        } else {
            ASSERT_EQ(rc, 0);
            ASSERT_TRUE(res == r);
            atomic_fetch_add_explicit(&n_ran, 1, memory_order_relaxed);
        }
        /* Let any wrongly late run happen before checking. */
        spin_us(periodic ? 2 * r->period / US + 500 : 500);
        if (periodic) {
            atomic_fetch_add_explicit(&n_periodic, 1, memory_order_relaxed);
            if (crc == 0)
                ASSERT_TRUE(atomic_load(&r->runs) <= runs_at_cancel + 1);
            if (r->fail_at)
                ASSERT_TRUE(atomic_load(&r->runs) <= 3);
        } else {
            ASSERT_EQ(atomic_load(&r->runs), crc == 0 ? 0 : 1);
        }
        ASSERT_EQ(atomic_load(&r->early), 0);
        /* Callbacks run just after the future becomes done (result()
         * may return first): wait for it, then it must be exactly one. */
        for (uint64_t dl = weft_now_ns() + LONG;
             atomic_load(&r->dones) == 0 && weft_now_ns() < dl;)
            sched_yield();
        ASSERT_EQ(atomic_load(&r->dones), 1);
        /* A periodic run in progress at the cancel may still be running
         * (timer.h): wait for it before freeing its argument. */
        while (atomic_load_explicit(&r->active, memory_order_acquire) != 0)
            sched_yield();
        weft_future_release(f);
        free(r);
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    unsigned nt = argc > 1 ? (unsigned)atoi(argv[1]) : 8;
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    pthread_t th[MAXT];

    run_s = weft_test_seconds(argc, argv, 2.0);
    seed = weft_test_seed(argc, argv);
    if (nt == 0 || nt > MAXT)
        nt = 8;
    o.workers = 4;
    ASSERT_EQ(weft_pool_create(&o, &pool), 0);
    for (unsigned i = 0; i < nt; i++)
        ASSERT_EQ(pthread_create(&th[i], NULL, worker, (void *)(uintptr_t)i),
                  0);
    for (unsigned i = 0; i < nt; i++)
        pthread_join(th[i], NULL);
    ASSERT_EQ(weft_timers_armed(), 0);
    ASSERT_EQ(weft_pool_destroy(pool), 0);
    fprintf(stderr,
            "ran %llu, cancelled %llu, periodic %llu (error-ended %llu)\n",
            (unsigned long long)n_ran, (unsigned long long)n_cancelled,
            (unsigned long long)n_periodic, (unsigned long long)n_err);
    ASSERT_TRUE(n_ran > 0 && n_cancelled > 0 && n_err > 0);
    return 0;
}
