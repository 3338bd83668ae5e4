/* SPDX-License-Identifier: MIT */
/*
 * stress_queue.c - oversubscribed producers and consumers on each queue
 * kind (argv: threads seconds seed; default 16 threads). Checks:
 * - no lost item: every item put is got exactly once (per-item counters);
 * - FIFO, FIFO_LANES: each consumer sees each producer's items in
 *   increasing order;
 * - no lost wake-up: after shutdown every blocked consumer returns
 *   -ESHUTDOWN well within its deadline (a consumer that times out while
 *   items or the shutdown were there fails), and join() returns.
 * Producers mix put with deadlines, try_put and put_prio; consumers mix
 * get with short and long deadlines and try_get, and call task_done.
 * Two more FIFO_LANES runs share lanes: one producer and two consumers, then
 * more producers than the queue has lanes and two consumers.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <weft/queue.h>
#include <weft/sync.h>

#include "weft_test.h"

#define MAXT     64
#define PER_PROD (1u << 18)

static weft_queue_t *q;
static enum weft_queue_kind kind;
static _Atomic uint8_t *seen; /* [producer][seq] */
static uint32_t produced[MAXT];
static unsigned nprod, ncons;
static double seconds;
static uint64_t seed;
static struct weft_latch consumers_out;
/* The lost wake-up detector: 20 s, scaled for slow builds (TSan). */
static uint64_t long_ns;

static void *
producer(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    uint64_t rng = seed ^ (id * 0x9e3779b97f4a7c15ull);
    weft_deadline_t end = weft_deadline_in((uint64_t)(seconds * 1e9));
    uint32_t s = 0;

    /* At least one item, however late the thread starts. */
    while (s < PER_PROD && (s == 0 || weft_now_ns() < end)) {
        void *item = (void *)(((uintptr_t)id << 32) | (s + 1));
        uint64_t r = weft_test_rand(&rng) % 8;
        int rc;

        if (r == 0)
            rc = weft_queue_try_put(q, item);
        else if (kind == WEFT_QUEUE_PRIORITY && r < 4)
            rc = weft_queue_put_prio(q, item, (int64_t)(r % 3),
                                     weft_deadline_in(WEFT_NS_PER_MS));
        else
            rc = weft_queue_put(q, item,
                                weft_deadline_in((r % 4) * WEFT_NS_PER_MS));
        if (rc == 0)
            s++;
        else
            ASSERT_TRUE(rc == -EAGAIN || rc == -ETIMEDOUT);
        if (r == 7)
            sched_yield();
    }
    produced[id] = s;
    return NULL;
}

static void *
consumer(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    uint64_t rng = seed ^ (id * 0xda942042e4dd58b5ull);
    uint32_t last[MAXT] = {0};
    void *item;
    int rc;

    for (;;) {
        uint64_t r = weft_test_rand(&rng) % 8;
        if (r == 0)
            rc = weft_queue_try_get(q, &item);
        else if (r < 3)
            rc = weft_queue_get(q, &item, weft_deadline_in(WEFT_NS_PER_MS));
        else /* long: a lost wake-up shows up as a timeout here */
            rc = weft_queue_get(q, &item, weft_deadline_in(long_ns));
        if (rc == -ESHUTDOWN)
            break;
        if (rc != 0) {
            ASSERT_TRUE(rc == -EAGAIN || (rc == -ETIMEDOUT && r < 3));
            continue;
        }
        uintptr_t v = (uintptr_t)item;
        unsigned p = (unsigned)(v >> 32);
        uint32_t s = (uint32_t)v - 1;
        ASSERT_TRUE(p < nprod && s < PER_PROD);
        ASSERT_EQ(atomic_fetch_add_explicit(&seen[p * PER_PROD + s], 1,
                                            memory_order_relaxed),
                  0);
        if (kind == WEFT_QUEUE_FIFO || kind == WEFT_QUEUE_FIFO_LANES) {
            ASSERT_TRUE(s + 1 > last[p]); /* per-producer FIFO */
            last[p] = s + 1;
        }
        ASSERT_EQ(weft_queue_task_done(q), 0);
    }
    weft_latch_count_down(&consumers_out, 1);
    return NULL;
}

static void
run(enum weft_queue_kind k, size_t cap)
{
    pthread_t th[MAXT];
    uint64_t total = 0;

    kind = k;
    ASSERT_EQ(weft_queue_create(k, cap, &q), 0);
    memset((void *)seen, 0, (size_t)nprod * PER_PROD);
    weft_latch_init(&consumers_out, ncons);
    for (unsigned i = 0; i < ncons; i++)
        pthread_create(&th[nprod + i], NULL, consumer, (void *)(uintptr_t)i);
    for (unsigned i = 0; i < nprod; i++)
        pthread_create(&th[i], NULL, producer, (void *)(uintptr_t)i);
    for (unsigned i = 0; i < nprod; i++)
        pthread_join(th[i], NULL);
    /* every item got and task_done'd: join must return */
    ASSERT_EQ(weft_queue_join(q, weft_deadline_in(long_ns)), 0);
    ASSERT_EQ(weft_queue_len(q), 0);
    weft_queue_shutdown(q, 0);
    /* no lost wake-up: every blocked consumer sees the shutdown */
    ASSERT_EQ(weft_latch_wait(&consumers_out, weft_deadline_in(long_ns)), 0);
    for (unsigned i = 0; i < ncons; i++)
        pthread_join(th[nprod + i], NULL);
    for (unsigned p = 0; p < nprod; p++) {
        for (uint32_t s = 0; s < PER_PROD; s++)
            ASSERT_EQ(atomic_load_explicit(&seen[p * PER_PROD + s],
                                           memory_order_relaxed),
                      s < produced[p] ? 1 : 0);
        total += produced[p];
    }
    fprintf(stderr, "stress_queue: kind %d cap %zu: %llu items\n", (int)k, cap,
            (unsigned long long)total);
    ASSERT_TRUE(total > 0);
    weft_queue_destroy(q);
}

/* task_done from many threads at once: no call may be lost ([Q4], the
 * catcher of mutant 11 in tests/mutation.sh). The items are put first, so
 * exactly puts task_done calls succeed and join() then returns at once. */
#define TD_ITEMS 20000u
static _Atomic unsigned td_ready;

static void *
task_done_all(void *arg)
{
    unsigned threads = (unsigned)(uintptr_t)arg;
    long n = 0;

    /* relaxed: a start line, so that the threads really overlap. */
    atomic_fetch_add_explicit(&td_ready, 1, memory_order_relaxed);
    while (atomic_load_explicit(&td_ready, memory_order_relaxed) < threads)
        sched_yield();
    while (weft_queue_task_done(q) == 0)
        n++;
    return (void *)(intptr_t)n;
}

static void
task_done_race(unsigned threads)
{
    pthread_t th[MAXT];
    long total = 0;
    void *n;

    ASSERT_EQ(weft_queue_create(WEFT_QUEUE_FIFO, TD_ITEMS, &q), 0);
    for (uintptr_t i = 1; i <= TD_ITEMS; i++)
        ASSERT_EQ(weft_queue_try_put(q, (void *)i), 0);
    for (unsigned i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, task_done_all, (void *)(uintptr_t)threads);
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(th[i], &n);
        total += (long)(intptr_t)n;
    }
    ASSERT_EQ(total, TD_ITEMS);
    ASSERT_EQ(weft_queue_join(q, WEFT_DEADLINE_POLL), 0);
    weft_queue_destroy(q);
    atomic_store_explicit(&td_ready, 0, memory_order_relaxed); /* joined */
}

int
main(int argc, char **argv)
{
    unsigned threads = argc > 1 ? (unsigned)atoi(argv[1]) : 16;

    seconds = weft_test_seconds(argc, argv, 2.0);
    long_ns = (uint64_t)(20 * WEFT_NS_PER_SEC * weft_test_timeout_multiplier());
    seed = weft_test_seed(argc, argv);
    if (threads < 2)
        threads = 2;
    if (threads > MAXT)
        threads = MAXT;
    nprod = threads / 2;
    ncons = threads - nprod;
    seen = calloc((size_t)MAXT * PER_PROD, 1); /* any nprod <= MAXT */
    ASSERT_TRUE(seen != NULL);
    seconds /= 4;
    run(WEFT_QUEUE_FIFO, 5);
    run(WEFT_QUEUE_FIFO, 1024);
    run(WEFT_QUEUE_LIFO, 7);
    run(WEFT_QUEUE_PRIORITY, 16);
    run(WEFT_QUEUE_FIFO_LANES, 5);
    run(WEFT_QUEUE_FIFO_LANES, 1024);
    /* FIFO_LANES lanes shared ([Q6] revocations, the catcher of mutant 13):
     * two consumers on one producer's lane take its bias from each other;
     * then more producers than lanes share lanes. A revoker that does not
     * wait for the owner dequeues or enqueues the same slot twice. */
    unsigned np = nprod, nc = ncons;
    nprod = 1;
    ncons = 2;
    run(WEFT_QUEUE_FIFO_LANES, 64);
    nprod = threads - 2 < MAXT / 2 ? threads - 2 : MAXT / 2;
    if (nprod < 1)
        nprod = 1;
    run(WEFT_QUEUE_FIFO_LANES, 64);
    nprod = np;
    ncons = nc;
    /* Rounds for a quarter of the time: the threads overlap only when the
     * (shared, loaded) machine runs them at once. */
    weft_deadline_t end = weft_deadline_in((uint64_t)(seconds * 1e9));
    do
        task_done_race(threads);
    while (weft_now_ns() < end);
    free((void *)seen);
    return 0;
}
