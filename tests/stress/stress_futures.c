/* SPDX-License-Identifier: MIT */
/*
 * stress_futures - futures, waitsets, weft_wait and weft_pool_map under
 * random cancel / timeout / callback races, oversubscribed.
 * argv: threads seconds seed (defaults: 8, WEFT_STRESS_SECONDS or 2, the
 * clock; WEFT_TEST_SEED replays). threads pool workers plus threads / 2
 * client threads (at least 2), each running random rounds:
 *   - every future gets a counting done callback: each must run exactly
 *     once (checked per future and in total at the end);
 *   - futures are cancelled at random by the client and by a canceller
 *     thread, racing their start;
 *   - a round consumes its futures through a waitset (random short
 *     deadlines, every added future returned exactly once, or the waitset
 *     destroyed early with futures pending), or weft_wait in a random mode
 *     with a random deadline, then ALL_COMPLETED with no deadline (a lost
 *     wake-up hangs: a watchdog aborts when no round ends for 60 s);
 *   - now and then a weft_pool_map with a random deadline.
 * Spin loops sched_yield(): 2 shared cores.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <weft.h>

#include "weft_test.h"

#define MAXK 64

static weft_pool_t *pool;
static _Atomic int stop;
static _Atomic long rounds;
static _Atomic unsigned clients_done; /* the watchdog covers their last round */
static _Atomic long cb_registered, cb_run;
static _Atomic(weft_future_t *) cancel_slot; /* for the canceller thread */

struct item {
    _Atomic int calls;
    long work;
};

static int
task(void *arg, void **res)
{
    long w = (long)arg;

    for (long i = 0; i < (w & 7); i++)
        sched_yield();
    *res = (void *)w;
    return (w % 5 == 0) ? -EIO : 0;
}

static void
count_cb(weft_future_t *f, void *ctx)
{
    struct item *it = (struct item *)ctx;

    ASSERT_TRUE(weft_future_done(f));
    atomic_fetch_add(&it->calls, 1);
    atomic_fetch_add(&cb_run, 1);
}

static void
all_callbacks_once(struct item *items, int k)
{
    for (int i = 0; i < k; i++) {
        while (atomic_load(&items[i].calls) == 0)
            sched_yield();
    }
    for (int i = 0; i < k; i++)
        ASSERT_EQ(atomic_load(&items[i].calls), 1);
}

static weft_deadline_t
random_deadline(uint64_t *rng)
{
    switch (weft_test_rand(rng) % 4) {
    case 0:
        return WEFT_DEADLINE_POLL;
    case 1:
        return weft_now_ns() - 1; /* already past */
    default:
        return weft_deadline_in(weft_test_rand(rng) % (200 * WEFT_NS_PER_US));
    }
}

static void
round_waitset(uint64_t *rng, weft_future_t **fs, int k)
{
    weft_waitset_t *ws;
    unsigned char seen[MAXK] = {0};
    bool early = weft_test_rand(rng) % 4 == 0;
    int got = 0;

    ASSERT_EQ(weft_waitset_create(weft_test_rand(rng) % 2 ? pool : NULL, &ws),
              0);
    for (int i = 0; i < k; i++)
        ASSERT_EQ(weft_waitset_add(ws, fs[i], (uintptr_t)i), 0);
    while (got < k) {
        weft_future_t *f;
        uintptr_t tag;
        int rc = weft_waitset_next(ws, random_deadline(rng), &f, &tag);

        if (rc == -ETIMEDOUT) {
            if (early)
                break; /* destroy with futures pending */
            continue;
        }
        ASSERT_EQ(rc, 0);
        ASSERT_TRUE(tag < (uintptr_t)k);
        ASSERT_TRUE(f == fs[tag]);
        ASSERT_EQ(seen[tag], 0);
        ASSERT_TRUE(weft_future_done(f));
        seen[tag] = 1;
        got++;
        weft_future_release(f);
    }
    if (got == k) {
        weft_future_t *f;
        ASSERT_EQ(weft_waitset_next(ws, WEFT_DEADLINE_POLL, &f, NULL), -ENOENT);
    }
    weft_waitset_destroy(ws);
}

/* weft_waitset_submit(): k tasks through the fused path, consumed with
 * random deadlines (every one once, with its own result), or the waitset
 * destroyed with some still pending; every task runs exactly once. */
static _Atomic long sub_ran, sub_submitted;

static int
sub_task(void *arg, void **res)
{
    atomic_fetch_add(&sub_ran, 1);
    return task(arg, res);
}

static void
round_submit(uint64_t *rng, int k)
{
    weft_waitset_t *ws;
    unsigned char seen[MAXK] = {0};
    long work[MAXK];
    bool early = weft_test_rand(rng) % 4 == 0;
    int got = 0;

    ASSERT_EQ(weft_waitset_create(weft_test_rand(rng) % 2 ? pool : NULL, &ws),
              0);
    for (int i = 0; i < k; i++) {
        work[i] = (long)(weft_test_rand(rng) % 1000);
        ASSERT_EQ(weft_waitset_submit(ws, pool, sub_task, (void *)work[i],
                                      (uintptr_t)i),
                  0);
        atomic_fetch_add(&sub_submitted, 1);
    }
    while (got < k) {
        weft_future_t *f;
        uintptr_t tag;
        void *r = NULL;
        int rc = weft_waitset_next(ws, random_deadline(rng), &f, &tag);

        if (rc == -ETIMEDOUT) {
            if (early)
                break; /* destroy with futures pending */
            continue;
        }
        ASSERT_EQ(rc, 0);
        ASSERT_TRUE(tag < (uintptr_t)k);
        ASSERT_EQ(seen[tag], 0);
        seen[tag] = 1;
        got++;
        rc = weft_future_result(f, WEFT_DEADLINE_POLL, &r);
        ASSERT_EQ(rc, work[tag] % 5 == 0 ? -EIO : 0);
        if (rc == 0)
            ASSERT_EQ((long)r, work[tag]);
        if (weft_test_rand(rng) % 8 == 0) /* done: a cancel is refused */
            ASSERT_EQ(weft_future_cancel(f), -EBUSY);
        weft_future_release(f);
    }
    if (got == k) {
        weft_future_t *f;
        ASSERT_EQ(weft_waitset_next(ws, WEFT_DEADLINE_POLL, &f, NULL), -ENOENT);
    }
    weft_waitset_destroy(ws);
}

static void
round_wait(uint64_t *rng, weft_future_t **fs, int k)
{
    int mode = 1 + (int)(weft_test_rand(rng) % 3);
    size_t nd = 0;
    int rc = weft_wait(fs, (size_t)k, mode, random_deadline(rng), &nd);

    ASSERT_TRUE(rc == 0 || rc == -ETIMEDOUT);
    ASSERT_TRUE(nd <= (size_t)k);
    if (rc == 0 && mode == WEFT_ALL_COMPLETED)
        ASSERT_EQ(nd, k);
    if (rc == 0 && mode == WEFT_FIRST_COMPLETED)
        ASSERT_TRUE(nd >= 1);
    /* Every waiter wakes: no deadline from here. */
    ASSERT_EQ(weft_wait(fs, (size_t)k,
                        weft_test_rand(rng) % 2 ? WEFT_FIRST_COMPLETED
                                                : WEFT_FIRST_EXCEPTION,
                        WEFT_DEADLINE_NEVER, &nd),
              0);
    ASSERT_EQ(
        weft_wait(fs, (size_t)k, WEFT_ALL_COMPLETED, WEFT_DEADLINE_NEVER, &nd),
        0);
    ASSERT_EQ(nd, k);
}

static void
round_map(uint64_t *rng)
{
    void *args[200], *res[200];
    int err[200];
    size_t n = 1 + weft_test_rand(rng) % 200;
    long first = -1;
    int rc;

    for (size_t i = 0; i < n; i++)
        args[i] = (void *)(long)(1 + weft_test_rand(rng) % 1000);
    rc = weft_pool_map(pool, task, args, n, res, err,
                       weft_test_rand(rng) % 2 ? WEFT_DEADLINE_NEVER
                                               : random_deadline(rng));
    for (size_t i = 0; i < n && first < 0; i++)
        if (err[i] != 0 && err[i] != -ECANCELED)
            first = (long)i;
    if (first < 0)
        ASSERT_EQ(rc, 0);
    else
        ASSERT_EQ(rc, err[first]);
    for (size_t i = 0; i < n; i++) {
        if (err[i] == 0)
            ASSERT_EQ((long)res[i], (long)args[i]);
        else
            ASSERT_TRUE(res[i] == NULL);
    }
}

static void *
client(void *arg)
{
    uint64_t rng = (uint64_t)(uintptr_t)arg;

    /* At least one round, however late the thread starts. */
    do {
        struct item items[MAXK];
        weft_future_t *fs[MAXK];
        int k = 1 + (int)(weft_test_rand(&rng) % MAXK);

        if (weft_test_rand(&rng) % 8 == 0)
            round_map(&rng);
        if (weft_test_rand(&rng) % 4 == 0)
            round_submit(&rng, k);
        for (int i = 0; i < k; i++) {
            atomic_store(&items[i].calls, 0);
            items[i].work = (long)(weft_test_rand(&rng) % 1000);
            ASSERT_EQ(
                weft_pool_submit(pool, task, (void *)items[i].work, &fs[i]), 0);
            if (weft_test_rand(&rng) % 2) {
                ASSERT_EQ(weft_future_on_done(fs[i], count_cb, &items[i]), 0);
                atomic_fetch_add(&cb_registered, 1);
            } else {
                atomic_store(&items[i].calls, 1); /* none expected */
                /* Hand it to the canceller now and then. */
                if (weft_test_rand(&rng) % 4 == 0) {
                    weft_future_retain(fs[i]);
                    weft_future_t *old = atomic_exchange(&cancel_slot, fs[i]);
                    weft_future_release(old);
                }
            }
            if (weft_test_rand(&rng) % 6 == 0) {
                int rc = weft_future_cancel(fs[i]);
                ASSERT_TRUE(rc == 0 || rc == -EBUSY);
            }
        }
        if (weft_test_rand(&rng) % 2)
            round_waitset(&rng, fs, k);
        else
            round_wait(&rng, fs, k);
        ASSERT_EQ(weft_wait(fs, (size_t)k, WEFT_ALL_COMPLETED,
                            WEFT_DEADLINE_NEVER, NULL),
                  0);
        all_callbacks_once(items, k);
        for (int i = 0; i < k; i++)
            weft_future_release(fs[i]);
        atomic_fetch_add(&rounds, 1);
    } while (!atomic_load(&stop));
    atomic_fetch_add(&clients_done, 1);
    return NULL;
}

static void *
canceller(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop)) {
        weft_future_t *f = atomic_exchange(&cancel_slot, NULL);
        if (f != NULL) {
            int rc = weft_future_cancel(f);
            ASSERT_TRUE(rc == 0 || rc == -EBUSY);
            weft_future_release(f);
        }
        sched_yield();
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    unsigned threads = argc > 1 ? (unsigned)atoi(argv[1]) : 8;
    double seconds = weft_test_seconds(argc, argv, 2.0);
    uint64_t seed = weft_test_seed(argc, argv);
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    unsigned nclients = threads / 2 < 2 ? 2 : threads / 2;
    pthread_t cl[64], ca;
    uint64_t end, last_change;
    long last_rounds = -1;

    if (threads < 1 || threads > 64)
        threads = 8;
    if (nclients > 64)
        nclients = 64;
    o.workers = threads;
    ASSERT_EQ(weft_pool_create(&o, &pool), 0);
    for (unsigned i = 0; i < nclients; i++)
        ASSERT_EQ(
            pthread_create(&cl[i], NULL, client,
                           (void *)(uintptr_t)(seed * 2654435761u + i + 1)),
            0);
    ASSERT_EQ(pthread_create(&ca, NULL, canceller, NULL), 0);
    end = weft_now_ns() + (uint64_t)(seconds * 1e9);
    last_change = weft_now_ns();
    /* The watchdog runs until every client has left, so a round that
     * hangs after the window (stop is set) is caught too. */
    while (atomic_load(&clients_done) < nclients) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        long r = atomic_load(&rounds);

        if (weft_now_ns() >= end)
            atomic_store(&stop, 1);
        nanosleep(&ts, NULL);
        if (r != last_rounds) {
            last_rounds = r;
            last_change = weft_now_ns();
        } else if (weft_now_ns() - last_change >
                   (uint64_t)(60e9 * weft_test_timeout_multiplier())) {
            fprintf(stderr, "stress_futures: no round ended for %.0f s\n",
                    60 * weft_test_timeout_multiplier());
            abort();
        }
    }
    atomic_store(&stop, 1);
    for (unsigned i = 0; i < nclients; i++)
        pthread_join(cl[i], NULL);
    pthread_join(ca, NULL);
    weft_future_release(atomic_exchange(&cancel_slot, NULL));
    ASSERT_EQ(weft_pool_destroy(pool), 0);
    ASSERT_EQ(atomic_load(&cb_run), atomic_load(&cb_registered));
    ASSERT_TRUE(atomic_load(&rounds) > 0);
    /* Every weft_waitset_submit() task ran exactly once (pool drained). */
    ASSERT_EQ(atomic_load(&sub_ran), atomic_load(&sub_submitted));
    fprintf(stderr,
            "stress_futures: %ld rounds, %ld callbacks, %ld fused submits, "
            "%u clients\n",
            atomic_load(&rounds), atomic_load(&cb_run),
            atomic_load(&sub_submitted), nclients);
    return 0;
}
