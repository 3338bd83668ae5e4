/* SPDX-License-Identifier: MIT */
/*
 * stress_counter.c - threads that come and go add to one sharded counter
 * and one weft_atomic while a reader checks that reads never go backwards
 * (every add is positive; each slot only grows). At the end the sum is
 * exact. argv: threads seconds seed.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include <weft/common.h>
#include <weft/counter.h>

#include "weft_test.h"

static weft_counter_t *ctr;
static weft_atomic_t at = WEFT_ATOMIC_INIT(0);
static atomic_int stop;
static atomic_llong total; /* what the adders say they added */

struct life {
    uint64_t seed;
};

/* A short-lived adder: a random number of adds, then it exits. */
static void *
adder(void *arg)
{
    struct life *l = arg;
    uint64_t rs = l->seed;
    long long n = (long long)(weft_test_rand(&rs) % 20000) + 1, sum = 0;
    int64_t v, last = 0;

    for (long long i = 0; i < n; i++) {
        int64_t d = (int64_t)(weft_test_rand(&rs) % 3) + 1;
        ASSERT_EQ(weft_counter_add(ctr, d), 0);
        sum += d;
        if ((i & 255) == 0) {
            ASSERT_EQ(weft_atomic_add(&at, 1, &v), 0);
            ASSERT_TRUE(v > last); /* this thread's adds are ordered */
            last = v;
            sched_yield();
        }
    }
    /* relaxed: read after join. */
    atomic_fetch_add_explicit(&total, sum, memory_order_relaxed);
    return NULL;
}

static void *
spawner(void *arg)
{
    uint64_t rs = *(uint64_t *)arg;

    /* At least one adder, however late the thread starts. relaxed: a
     * stop flag; join orders the rest. */
    do {
        struct life l = {weft_test_rand(&rs)};
        pthread_t t;
        ASSERT_EQ(pthread_create(&t, NULL, adder, &l), 0);
        pthread_join(t, NULL);
    } while (!atomic_load_explicit(&stop, memory_order_relaxed));
    return NULL;
}

static void *
reader(void *arg)
{
    int64_t prev = 0, v;

    (void)arg;
    /* relaxed: a stop flag. */
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        ASSERT_EQ(weft_counter_read(ctr, &v), 0);
        ASSERT_TRUE(v >= prev);
        prev = v;
        sched_yield();
    }
    return NULL;
}

int
main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 8;
    double secs = weft_test_seconds(argc, argv, 2.0);
    uint64_t seed = weft_test_seed(argc, argv);
    pthread_t sp[64], rd;
    uint64_t seeds[64];
    int64_t v, a;

    if (threads < 1 || threads > 64)
        threads = 8;
    ASSERT_EQ(weft_counter_create(&ctr), 0);
    ASSERT_EQ(pthread_create(&rd, NULL, reader, NULL), 0);
    for (int i = 0; i < threads; i++) {
        seeds[i] = seed + (uint64_t)i * 0x9e3779b97f4a7c15ull;
        ASSERT_EQ(pthread_create(&sp[i], NULL, spawner, &seeds[i]), 0);
    }
    {
        struct timespec ts = {(time_t)secs,
                              (long)((secs - (double)(time_t)secs) * 1e9)};
        nanosleep(&ts, NULL);
    }
    atomic_store_explicit(&stop, 1, memory_order_relaxed);
    for (int i = 0; i < threads; i++)
        pthread_join(sp[i], NULL);
    pthread_join(rd, NULL);
    ASSERT_EQ(weft_counter_read(ctr, &v), 0);
    ASSERT_EQ(v, atomic_load_explicit(&total, memory_order_relaxed));
    ASSERT_EQ(weft_atomic_load(&at, &a), 0);
    ASSERT_TRUE(a > 0);
    /* Reset with writers quiescent is exact. */
    ASSERT_EQ(weft_counter_reset(ctr), 0);
    ASSERT_EQ(weft_counter_read(ctr, &v), 0);
    ASSERT_EQ(v, 0);
    fprintf(stderr, "stress_counter: %d spawners, total %lld, atomic %lld\n",
            threads,
            (long long)atomic_load_explicit(&total, memory_order_relaxed),
            (long long)a);
    weft_counter_destroy(ctr);
    return 0;
}
