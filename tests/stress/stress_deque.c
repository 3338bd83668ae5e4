/* SPDX-License-Identifier: MIT */
/*
 * stress_deque - the Chase-Lev deque alone: one owner pushes and pops in
 * small bursts (so the one-element race is frequent), thieves steal in a
 * tight loop. Every item must be taken exactly once, and its payload
 * (written before the push) must be seen by whoever takes it.
 * argv: threads (owner + thieves, default 2) seconds seed.
 * This is the test the mutation check (tests/mutation.sh) relies on.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "deque.h"
#include "weft_test.h"

struct item {
    struct weft__job job;
    long payload; /* plain: TSan sees a race if publication is broken */
    _Atomic int taken;
};

static struct weft__deque dq;
static struct item *items;
static long nitems;
static _Atomic int stop;
static _Atomic long failures;

static void
take(struct weft__job *j)
{
    struct item *it = (struct item *)j;
    long id = it - items;

    if (it->payload != id * 7 + 1) {
        fprintf(stderr, "item %ld: stale payload %ld\n", id, it->payload);
        atomic_fetch_add_explicit(&failures, 1, memory_order_relaxed);
    }
    /* relaxed: a counter checked after join. */
    if (atomic_fetch_add_explicit(&it->taken, 1, memory_order_relaxed) != 0) {
        fprintf(stderr, "item %ld taken twice\n", id);
        atomic_fetch_add_explicit(&failures, 1, memory_order_relaxed);
    }
}

static void *
thief(void *arg)
{
    struct weft__job *j;
    (void)arg;
    /* relaxed: a stop flag. */
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        enum weft__steal r = weft__deque_steal(&dq, 0, &j);
        if (r == WEFT_STEAL_OK)
            take(j);
        else if (r == WEFT_STEAL_EMPTY)
            WEFT_CPU_RELAX();
    }
    /* Drain whatever is left after the owner stopped. */
    while (weft__deque_steal(&dq, 0, &j) != WEFT_STEAL_EMPTY)
        ;
    return NULL;
}

int
main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    double secs = weft_test_seconds(argc, argv, 2.0);
    uint64_t seed = weft_test_seed(argc, argv);
    uint64_t end = 0;
    pthread_t tid[64];
    long next = 0, popped = 0;
    struct timespec ts;

    if (threads < 2)
        threads = 2;
    if (threads > 64)
        threads = 64;
    nitems = 1L << 22; /* 96 MiB of items: millions of races per run */
    items = calloc((size_t)nitems, sizeof(*items));
    ASSERT_TRUE(items != NULL);
    ASSERT_EQ(weft__deque_init(&dq, 2), 0); /* tiny: growth is exercised */
    for (int i = 0; i < threads - 1; i++)
        ASSERT_EQ(pthread_create(&tid[i], NULL, thief, NULL), 0);
    clock_gettime(CLOCK_MONOTONIC, &ts);
    end = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec +
          (uint64_t)(secs * 1e9);
    while (next < nitems - 8) {
        int burst = 1 + (int)(weft_test_rand(&seed) % 3);
        for (int k = 0; k < burst; k++) {
            items[next].payload = next * 7 + 1;
            ASSERT_TRUE(weft__deque_push(&dq, &items[next].job));
            next++;
        }
        for (;;) {
            struct weft__job *j = weft__deque_pop(&dq);
            if (j == NULL)
                break;
            take(j);
            popped++;
        }
        if ((next & 4095) < 3) {
            clock_gettime(CLOCK_MONOTONIC, &ts);
            if ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec > end)
                break;
        }
    }
    atomic_store_explicit(&stop, 1, memory_order_relaxed);
    for (int i = 0; i < threads - 1; i++)
        pthread_join(tid[i], NULL);
    for (long i = 0; i < next; i++) {
        /* relaxed: all threads joined. */
        int t = atomic_load_explicit(&items[i].taken, memory_order_relaxed);
        if (t != 1) {
            if (atomic_load_explicit(&failures, memory_order_relaxed) < 20)
                fprintf(stderr, "item %ld taken %d times\n", i, t);
            atomic_fetch_add_explicit(&failures, 1, memory_order_relaxed);
        }
    }
    printf("stress_deque: %ld items, %ld popped by the owner, %ld stolen, "
           "%ld failures\n",
           next, popped, next - popped,
           atomic_load_explicit(&failures, memory_order_relaxed));
    weft__deque_fini(&dq);
    free(items);
    return atomic_load_explicit(&failures, memory_order_relaxed) ? 1 : 0;
}
