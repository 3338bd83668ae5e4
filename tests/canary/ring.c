/* SPDX-License-Identifier: MIT */
/*
 * ring.c - the ck seam canary (tests/tsan_canary.cmake). Two producers pass
 * items through weft's ck_ring wrapper (runtime/ring.h, MPMC) to two
 * consumers, which read each item's payload.
 *   -DCANARY_LATE: a producer writes the payload after the enqueue, a real
 *    race on weft's own data that TSan must still report although
 *    tsan/suppressions.txt silences ck's internals (race:_ck_ring_*);
 *   (default) the clean twin: payload written before the enqueue; with the
 *    WEFT_HB_* annotations in ring.h and the suppressions it must run with
 *    no report at all, and every item must arrive exactly once.
 */
#include "ring.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>

#define PRODUCERS    2
#define CONSUMERS    2
#define PER_PRODUCER 20000

struct item {
    long payload; /* plain: only the ring orders it */
    long id;
};

static struct weft__ring ring;
static struct item items[PRODUCERS * PER_PRODUCER];
static _Atomic long consumed;
static _Atomic long bad;
static _Atomic int seen[PRODUCERS * PER_PRODUCER];

static void *
produce(void *arg)
{
    long base = (long)(size_t)arg * PER_PRODUCER;

    for (long i = base; i < base + PER_PRODUCER; i++) {
        struct item *it = &items[i];
        it->id = i;
#ifndef CANARY_LATE
        it->payload = i * 3 + 1;
#endif
        while (!weft__ring_enqueue_mpmc(&ring, it))
            sched_yield(); /* full: let a consumer run (2 cores) */
#ifdef CANARY_LATE
        it->payload = i * 3 + 1; /* the bug: published before written */
#endif
    }
    return NULL;
}

static void *
consume(void *arg)
{
    void *p;

    (void)arg;
    /* relaxed: a progress counter; the ring orders the items. */
    while (atomic_load_explicit(&consumed, memory_order_relaxed) <
           PRODUCERS * PER_PRODUCER) {
        if (!weft__ring_dequeue_mpmc(&ring, &p)) {
            sched_yield();
            continue;
        }
        struct item *it = p;
        /* relaxed: counters checked after join. */
        if (it->payload != it->id * 3 + 1)
            atomic_fetch_add_explicit(&bad, 1, memory_order_relaxed);
        if (atomic_fetch_add_explicit(&seen[it->id], 1, memory_order_relaxed) !=
            0)
            atomic_fetch_add_explicit(&bad, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&consumed, 1, memory_order_relaxed);
    }
    return NULL;
}

int
main(void)
{
    pthread_t p[PRODUCERS], c[CONSUMERS];

    if (weft__ring_init(&ring, 64) != 0)
        return 2;
    for (long i = 0; i < CONSUMERS; i++)
        if (pthread_create(&c[i], NULL, consume, NULL) != 0)
            return 2;
    for (long i = 0; i < PRODUCERS; i++)
        if (pthread_create(&p[i], NULL, produce, (void *)(size_t)i) != 0)
            return 2;
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(p[i], NULL);
    for (int i = 0; i < CONSUMERS; i++)
        pthread_join(c[i], NULL);
    weft__ring_fini(&ring);
    /* relaxed: all threads joined. */
    long nbad = atomic_load_explicit(&bad, memory_order_relaxed);
    printf("ring: %d items, %ld bad\n", PRODUCERS * PER_PRODUCER, nbad);
#ifdef CANARY_LATE
    return 0; /* the payload check itself is racy here; TSan decides */
#else
    return nbad == 0 ? 0 : 1;
#endif
}
