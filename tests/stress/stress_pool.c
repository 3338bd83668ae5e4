/* SPDX-License-Identifier: MIT */
/*
 * stress_pool - exactly once, end to end. Outside threads submit futures
 * (some cancelled at random, some waited with short deadlines first);
 * tasks spawn fork-join children and submit nested futures; workers steal.
 * Every task records its runs in its own slot; at the end every slot must
 * be exactly 1 (or 0 for a successfully cancelled future, whose result must
 * be -ECANCELED), and every result must be the expected value.
 * Runs with 2, 4, 16 and 8 workers on whatever cores there are, each
 * with another scheduling policy.
 * argv: threads (outside submitters, default 3) seconds seed.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <weft.h>

#include "weft_test.h"

#define SLOTS (1u << 22)

static _Atomic uint8_t runs[SLOTS];
static _Atomic uint32_t next_slot;
static _Atomic long failures;
static _Atomic long tasks_done;
static weft_pool_t *pool;
static double seconds;

#define FAIL(...)                                \
    do {                                         \
        if (atomic_fetch_add(&failures, 1) < 20) \
            fprintf(stderr, __VA_ARGS__);        \
    } while (0)

static uint32_t
new_slot(void)
{
    /* relaxed: a unique id. */
    uint32_t s = atomic_fetch_add_explicit(&next_slot, 1, memory_order_relaxed);
    return s < SLOTS ? s : SLOTS; /* SLOTS: out of ids, not counted */
}

static void
ran(uint32_t slot)
{
    if (slot < SLOTS &&
        atomic_fetch_add_explicit(&runs[slot], 1, memory_order_relaxed) != 0)
        FAIL("slot %u ran twice\n", slot);
    atomic_fetch_add_explicit(&tasks_done, 1, memory_order_relaxed);
}

/* arg encodes (slot << 8) | depth. Returns slot + depth as its result. */
static int
node(void *arg, void **res)
{
    uintptr_t a = (uintptr_t)arg;
    uint32_t slot = (uint32_t)(a >> 8);
    unsigned depth = (unsigned)(a & 0xff);
    weft_task_t t[2];
    uintptr_t want[2];
    int rc = 0;

    ran(slot);
    if (depth > 0) {
        for (int i = 0; i < 2; i++) {
            uint32_t s = new_slot();
            want[i] = (uintptr_t)s + depth - 1;
            if (weft_spawn(&t[i], node,
                           (void *)(((uintptr_t)s << 8) | (depth - 1))) != 0)
                FAIL("spawn failed\n");
        }
        if (depth % 3 == 0) { /* a nested future, waited inside a task */
            uint32_t s = new_slot();
            weft_future_t *f;
            void *r = NULL;
            if (weft_pool_submit(weft_pool_current(), node,
                                 (void *)((uintptr_t)s << 8), &f) != 0) {
                FAIL("nested submit failed\n");
            } else {
                if (weft_future_result(f, WEFT_DEADLINE_NEVER, &r) != 0 ||
                    (uintptr_t)r != s)
                    FAIL("nested future result wrong\n");
                weft_future_release(f);
            }
        }
        for (int i = 1; i >= 0; i--) { /* reverse order on purpose */
            void *r = NULL;
            if (weft_sync(&t[i], &r) != 0 || (uintptr_t)r != want[i])
                FAIL("sync result wrong\n");
        }
    }
    *res = (void *)((uintptr_t)slot + depth);
    return rc;
}

static void *
submitter(void *arg)
{
    uint64_t seed = *(uint64_t *)arg;
    uint64_t end = weft_now_ns() + (uint64_t)(seconds * 1e9);
    weft_future_t *fs[64];
    uint32_t slots[64];

    while (weft_now_ns() < end && atomic_load(&next_slot) < SLOTS - 100000) {
        int n = 1 + (int)(weft_test_rand(&seed) % 64);
        for (int i = 0; i < n; i++) {
            unsigned depth = (unsigned)(weft_test_rand(&seed) % 6);
            slots[i] = new_slot();
            if (weft_pool_submit(pool, node,
                                 (void *)(((uintptr_t)slots[i] << 8) | depth),
                                 &fs[i]) != 0)
                FAIL("submit failed\n");
        }
        for (int i = 0; i < n; i++) {
            uint64_t r = weft_test_rand(&seed);
            void *res = NULL;
            int rc;
            if (r % 7 == 0 && weft_future_cancel(fs[i]) == 0) {
                rc = weft_future_result(fs[i], WEFT_DEADLINE_NEVER, &res);
                if (rc != -ECANCELED)
                    FAIL("cancelled future gave %d\n", rc);
                if (slots[i] < SLOTS &&
                    atomic_load_explicit(&runs[slots[i]],
                                         memory_order_relaxed) != 0)
                    FAIL("cancelled slot %u ran\n", slots[i]);
                /* Mark it so the final scan expects no run. */
                if (slots[i] < SLOTS)
                    atomic_store(&runs[slots[i]], 100);
                weft_future_release(fs[i]);
                continue;
            }
            if (r % 5 == 0) /* an early, short wait: may time out */
                (void)weft_future_result(fs[i], weft_deadline_in(1000), NULL);
            rc = weft_future_result(fs[i], WEFT_DEADLINE_NEVER, &res);
            if (rc != 0 || (uintptr_t)res < slots[i])
                FAIL("result %d\n", rc);
            weft_future_release(fs[i]);
        }
    }
    return NULL;
}

static unsigned
next_victim(void *ctx, unsigned self, unsigned n, unsigned attempt)
{
    (void)ctx;
    return attempt < n ? (self + n - 1 - attempt) % n : n;
}

/* Each run uses another scheduling policy (weft/pool.h). */
static const struct policy {
    unsigned victim, steal, order, spin_yield;
    uint64_t park_timeout_ns;
    bool chooser;
    unsigned idle;
    uint64_t idle_spin_ns;
    const char *name;
} policies[] = {
    {WEFT_VICTIM_RANDOM, WEFT_STEAL_ONE, WEFT_ORDER_LIFO, 0, 0, false,
     WEFT_IDLE_ADAPTIVE, 0, "random/one/lifo"},
    {WEFT_VICTIM_ROUND_ROBIN, WEFT_STEAL_HALF, WEFT_ORDER_FIFO, 1, 0, false,
     WEFT_IDLE_SPIN, 20000, "round-robin/half/fifo/yield/spin-20us"},
    {WEFT_VICTIM_LAST_SUCCESS, WEFT_STEAL_HALF, WEFT_ORDER_LIFO, 0,
     WEFT_NS_PER_MS, false, WEFT_IDLE_PARK, 0,
     "last-success/half/lifo/park-1ms/park-only"},
    {WEFT_VICTIM_RANDOM, WEFT_STEAL_ONE, WEFT_ORDER_FIFO, 0, 0, true,
     WEFT_IDLE_ADAPTIVE, 0, "user-chooser/one/fifo"},
};

static int
run(unsigned workers, int threads, uint64_t seed, const struct policy *pol)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    pthread_t tid[32];
    uint64_t seeds[32];
    uint32_t used, bad = 0;

    memset((void *)runs, 0, sizeof(runs));
    atomic_store(&next_slot, 0);
    atomic_store(&tasks_done, 0);
    o.workers = workers;
    o.victim = pol->victim;
    o.steal = pol->steal;
    o.order = pol->order;
    o.spin_yield = pol->spin_yield;
    o.park_timeout_ns = pol->park_timeout_ns;
    o.idle = pol->idle;
    o.idle_spin_ns = pol->idle_spin_ns;
    o.victim_fn = pol->chooser ? next_victim : NULL;
    ASSERT_EQ(weft_pool_create(&o, &pool), 0);
    for (int i = 0; i < threads; i++) {
        seeds[i] = seed + (uint64_t)i * 7919 + workers;
        ASSERT_EQ(pthread_create(&tid[i], NULL, submitter, &seeds[i]), 0);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    ASSERT_EQ(weft_pool_destroy(pool), 0);
    used = atomic_load(&next_slot);
    if (used > SLOTS)
        used = SLOTS;
    for (uint32_t s = 0; s < used; s++) {
        uint8_t r = atomic_load_explicit(&runs[s], memory_order_relaxed);
        if (r != 1 && r != 100) {
            if (bad++ < 10)
                fprintf(stderr, "slot %u ran %u times\n", s, r);
        }
    }
    printf("stress_pool: %u workers, %d submitters, %s: %ld tasks run, "
           "%u slots, %u wrong, %ld failures\n",
           workers, threads, pol->name, atomic_load(&tasks_done), used, bad,
           atomic_load(&failures));
    return bad == 0 && atomic_load(&failures) == 0;
}

int
main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 3;
    uint64_t seed = weft_test_seed(argc, argv);
    static const unsigned sizes[] = {2, 4, 16, 8};
    int ok = 1;

    seconds = weft_test_seconds(argc, argv, 2.0) / 4;
    if (threads < 1 || threads > 32)
        threads = 3;
    for (unsigned i = 0; i < 4; i++)
        ok &= run(sizes[i], threads, seed, &policies[i]);
    return ok ? 0 : 1;
}
