/* SPDX-License-Identifier: MIT */
/*
 * stress_sync.c - oversubscribed stress of lock, cond, sem, event, latch
 * and barrier (argv: threads seconds seed; default 16 threads), one phase
 * each. Every wait has a generous deadline; a wait that times out when it
 * should have been woken is a lost wake-up and fails the run.
 * - lock:    a plain counter under weft_lock (mixed try/deadline).
 * - cond:    a one-slot mailbox under lock + cond (notify 1): every value
 *            handed over exactly once.
 * - sem:     units released by half the threads, acquired by the others:
 *            acquired == released at the end, none waits past its deadline.
 * - event:   ping-pong rounds between pairs (set/wait/clear).
 * - latch:   rounds of count_down by all but one, wait by the last.
 * - barrier: cycles; the action counts them; each thread's passes equal
 *            the cycles.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include <weft/sync.h>

#include "weft_test.h"

#define MAXT  64
/* The lost wake-up detector: a wait that should be woken and is not fails
 * after 20 s, scaled for slow builds (TSan) by WEFT_TEST_TIMEOUT_MULTIPLIER. */
#define LONG_ long_ns
static uint64_t long_ns;

static unsigned nthreads;
static double phase_s;
static uint64_t seed;

static int
spawn(void *(*fn)(void *))
{
    pthread_t th[MAXT];

    for (unsigned i = 0; i < nthreads; i++)
        pthread_create(&th[i], NULL, fn, (void *)(uintptr_t)i);
    for (unsigned i = 0; i < nthreads; i++)
        pthread_join(th[i], NULL);
    return 0;
}

static weft_deadline_t
phase_end(void)
{
    return weft_deadline_in((uint64_t)(phase_s * 1e9));
}

/* ---- lock ---- */
static struct weft_lock lk;
static long counter;
static _Atomic long lock_ops;
static weft_deadline_t end_at;

static void *
lock_fn(void *arg)
{
    uint64_t rng = seed ^ (uintptr_t)arg;
    long n = 0;

    /* At least one operation, however late the thread starts. */
    while (n == 0 || weft_now_ns() < end_at) {
        if (weft_test_rand(&rng) % 4 == 0) {
            if (!weft_lock_try(&lk))
                continue;
        } else {
            ASSERT_EQ(weft_lock_acquire(&lk, weft_deadline_in(LONG_)), 0);
        }
        counter++;
        n++;
        ASSERT_EQ(weft_lock_release(&lk), 0);
    }
    atomic_fetch_add_explicit(&lock_ops, n, memory_order_relaxed);
    return NULL;
}

/* ---- cond mailbox ---- */
static struct weft_cond cv;
static long box; /* 0 empty */
static _Atomic long sent_sum, got_sum;
static _Atomic int producers_left;

static bool
box_empty(void *a)
{
    (void)a;
    return box == 0;
}
static bool
box_full_or_done(void *a)
{
    (void)a;
    return box != 0 ||
           atomic_load_explicit(&producers_left, memory_order_relaxed) == 0;
}

static void *
cond_fn(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;

    if (id % 2 == 0) { /* producer */
        for (long v = 1; weft_now_ns() < end_at; v++) {
            weft_lock_acquire(&lk, WEFT_DEADLINE_NEVER);
            ASSERT_EQ(weft_cond_wait_for(&cv, &lk, box_empty, NULL,
                                         weft_deadline_in(LONG_)),
                      0);
            box = v;
            atomic_fetch_add_explicit(&sent_sum, v, memory_order_relaxed);
            weft_cond_notify_all(&cv, &lk);
            weft_lock_release(&lk);
        }
        weft_lock_acquire(&lk, WEFT_DEADLINE_NEVER);
        atomic_fetch_sub_explicit(&producers_left, 1, memory_order_relaxed);
        weft_cond_notify_all(&cv, &lk);
        weft_lock_release(&lk);
    } else {
        for (;;) {
            weft_lock_acquire(&lk, WEFT_DEADLINE_NEVER);
            ASSERT_EQ(weft_cond_wait_for(&cv, &lk, box_full_or_done, NULL,
                                         weft_deadline_in(LONG_)),
                      0);
            if (box == 0) {
                weft_lock_release(&lk);
                break;
            }
            atomic_fetch_add_explicit(&got_sum, box, memory_order_relaxed);
            box = 0;
            weft_cond_notify(&cv, &lk, 1 + (unsigned)(id % 3));
            weft_lock_release(&lk);
        }
    }
    return NULL;
}

/* ---- sem ---- */
static struct weft_sem sem;
static _Atomic long released, acquired;

static void *
sem_fn(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    uint64_t rng = seed ^ (uintptr_t)arg;

    if (id % 2 == 0) {
        while (weft_now_ns() < end_at) {
            uint32_t n = 1 + (uint32_t)(weft_test_rand(&rng) % 3);
            ASSERT_EQ(weft_sem_release(&sem, n), 0);
            atomic_fetch_add_explicit(&released, n, memory_order_relaxed);
            if (n == 3)
                sched_yield();
        }
    } else {
        while (weft_now_ns() < end_at) {
            int rc = weft_sem_acquire(&sem, weft_deadline_in(WEFT_NS_PER_MS));
            if (rc == 0)
                atomic_fetch_add_explicit(&acquired, 1, memory_order_relaxed);
            else
                ASSERT_EQ(rc, -ETIMEDOUT);
        }
    }
    return NULL;
}

/* ---- event ping-pong (pairs) ---- */
static struct weft_event ev[MAXT];
static _Atomic long pings;

static int stop_pair[MAXT];

static void *
event_fn(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    unsigned pair = id & ~1u, me = id & 1u;
    struct weft_event *mine = &ev[pair + me], *other = &ev[pair + !me];
    long n = 0;

    if (pair + 1 >= nthreads)
        return NULL;
    for (;;) {
        if (me == 0) {
            /* One ping at least, however late the pair starts. */
            if (n > 0 && weft_now_ns() >= end_at) {
                stop_pair[pair] = 1; /* published by the set below */
                weft_event_set(other);
                break;
            }
            weft_event_set(other);
            ASSERT_EQ(weft_event_wait(mine, weft_deadline_in(LONG_)), 0);
            weft_event_clear(mine);
        } else {
            ASSERT_EQ(weft_event_wait(mine, weft_deadline_in(LONG_)), 0);
            weft_event_clear(mine);
            if (stop_pair[pair])
                break;
            weft_event_set(other);
        }
        n++;
    }
    atomic_fetch_add_explicit(&pings, n, memory_order_relaxed);
    return NULL;
}

/* ---- barrier + latch ---- */
static struct weft_barrier bar;
static _Atomic long cycles;
static _Atomic int stop_flag;
static long passes[MAXT];
static struct weft_latch latch;

static int
bar_action(void *arg)
{
    (void)arg;
    atomic_fetch_add_explicit(&cycles, 1, memory_order_relaxed);
    if (weft_now_ns() >= end_at)
        atomic_store_explicit(&stop_flag, 1, memory_order_relaxed);
    return 0;
}

static void *
barrier_fn(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;

    do {
        ASSERT_EQ(weft_barrier_wait(&bar, weft_deadline_in(LONG_), NULL), 0);
        passes[id]++;
        /* the latch rides along: all but thread 0 count down, 0 waits */
        if (id != 0)
            weft_latch_count_down(&latch, 1);
        else
            ASSERT_EQ(weft_latch_wait(&latch, weft_deadline_in(LONG_)), 0);
        ASSERT_EQ(weft_barrier_wait(&bar, weft_deadline_in(LONG_), NULL), 0);
        if (id == 0)
            weft_latch_init(&latch, nthreads - 1); /* re-arm: all are out */
        ASSERT_EQ(weft_barrier_wait(&bar, weft_deadline_in(LONG_), NULL), 0);
    } while (!atomic_load_explicit(&stop_flag, memory_order_relaxed));
    return NULL;
}

int
main(int argc, char **argv)
{
    nthreads = argc > 1 ? (unsigned)atoi(argv[1]) : 16;
    phase_s = weft_test_seconds(argc, argv, 2.0) / 5;
    long_ns = (uint64_t)(20 * WEFT_NS_PER_SEC * weft_test_timeout_multiplier());
    seed = weft_test_seed(argc, argv);
    if (nthreads < 2)
        nthreads = 2;
    if (nthreads > MAXT)
        nthreads = MAXT;

    weft_lock_init(&lk);
    end_at = phase_end();
    spawn(lock_fn);
    ASSERT_EQ(counter, atomic_load(&lock_ops));
    ASSERT_TRUE(counter > 0);

    weft_cond_init(&cv);
    atomic_store(&producers_left, (int)((nthreads + 1) / 2));
    end_at = phase_end();
    spawn(cond_fn);
    ASSERT_EQ(atomic_load(&sent_sum), atomic_load(&got_sum));
    ASSERT_EQ(box, 0);

    weft_sem_init(&sem, 0, 0);
    end_at = phase_end();
    spawn(sem_fn);
    while (weft_sem_try(&sem))
        atomic_fetch_add(&acquired, 1);
    ASSERT_EQ(atomic_load(&released), atomic_load(&acquired));
    ASSERT_EQ(weft_sem_fini(&sem), 0);

    for (unsigned i = 0; i < nthreads; i++)
        weft_event_init(&ev[i]);
    end_at = phase_end();
    spawn(event_fn);
    ASSERT_TRUE(atomic_load(&pings) > 0);

    weft_barrier_init(&bar, nthreads, bar_action, NULL);
    weft_latch_init(&latch, nthreads - 1);
    end_at = phase_end();
    spawn(barrier_fn);
    for (unsigned i = 0; i < nthreads; i++)
        ASSERT_EQ(passes[i] * 3, atomic_load(&cycles));
    ASSERT_EQ(weft_barrier_fini(&bar), 0);

    fprintf(stderr,
            "stress_sync: lock %ld, cond sum %ld, sem %ld, pings %ld, "
            "cycles %ld\n",
            counter, (long)atomic_load(&got_sum), (long)atomic_load(&acquired),
            (long)atomic_load(&pings), (long)atomic_load(&cycles));
    return 0;
}
