/* SPDX-License-Identifier: MIT */
/*
 * bench_queue.c - pointer throughput through a bounded queue: P producers
 * and C consumers move N items (WEFT_BENCH_QUEUE_N: 4M; 400k in --quick)
 * through 1024 slots. Rows: queue PpCc,slots=1024 <system> items/s higher,
 * for P=C=1 and P=C=2, systems:
 *   weft        weft_queue WEFT_QUEUE_FIFO (exact FIFO), blocking put/get;
 *   weft_lanes  weft_queue WEFT_QUEUE_FIFO_LANES (FIFO per producer only),
 *               blocking put/get;
 *   mutex    a ring under one pthread mutex and two condvars (the baseline);
 *   ck_ring  raw ck_ring MPMC, spinning with sched_yield on full/empty (the
 *            wrapper's cost; it cannot block).
 * End markers: for the exact-FIFO systems (weft, mutex, ck_ring) main
 * puts one per consumer after joining the producers, and each consumer
 * stops at the first it gets. weft_lanes is FIFO per producer only (a
 * marker put by main may overtake the producers' items), so there each
 * producer puts one marker per consumer after its items and each consumer
 * stops at its P-th. Every item value is summed and checked.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <ck_ring.h>

#include <weft/queue.h>

#include "bench.h"

#define SLOTS 1024u
#define END   ((void *)(uintptr_t)UINT64_MAX)

enum sys { SYS_WEFT, SYS_MUTEX, SYS_CK, SYS_WEFT_LANES, SYS_N };

struct mq {
    pthread_mutex_t mu;
    pthread_cond_t not_empty, not_full;
    void *buf[SLOTS];
    unsigned head, n;
};

struct run {
    enum sys sys;
    unsigned long per_producer;
    unsigned np;
    bool own_ends; /* producers put the end markers (weft_lanes) */
    weft_queue_t *wq;
    struct mq mq;
    ck_ring_t ring;
    ck_ring_buffer_t *rbuf;
    _Atomic unsigned long sum;
    _Atomic int go;
};

static void
mq_put(struct mq *m, void *p)
{
    pthread_mutex_lock(&m->mu);
    while (m->n == SLOTS)
        pthread_cond_wait(&m->not_full, &m->mu);
    m->buf[(m->head + m->n) % SLOTS] = p;
    m->n++;
    pthread_cond_signal(&m->not_empty);
    pthread_mutex_unlock(&m->mu);
}

static void *
mq_get(struct mq *m)
{
    void *p;

    pthread_mutex_lock(&m->mu);
    while (m->n == 0)
        pthread_cond_wait(&m->not_empty, &m->mu);
    p = m->buf[m->head];
    m->head = (m->head + 1) % SLOTS;
    m->n--;
    pthread_cond_signal(&m->not_full);
    pthread_mutex_unlock(&m->mu);
    return p;
}

static void
put(struct run *r, void *p)
{
    switch (r->sys) {
    case SYS_WEFT:
    case SYS_WEFT_LANES:
        if (weft_queue_put(r->wq, p, WEFT_DEADLINE_NEVER) != 0)
            abort();
        break;
    case SYS_MUTEX:
        mq_put(&r->mq, p);
        break;
    case SYS_CK:
        while (!ck_ring_enqueue_mpmc(&r->ring, r->rbuf, p))
            sched_yield();
        break;
    case SYS_N:
        break;
    }
}

static void *
get(struct run *r)
{
    void *p = NULL;

    switch (r->sys) {
    case SYS_WEFT:
    case SYS_WEFT_LANES:
        if (weft_queue_get(r->wq, &p, WEFT_DEADLINE_NEVER) != 0)
            abort();
        break;
    case SYS_MUTEX:
        p = mq_get(&r->mq);
        break;
    case SYS_CK:
        while (!ck_ring_dequeue_mpmc(&r->ring, r->rbuf, &p))
            sched_yield();
        break;
    case SYS_N:
        break;
    }
    return p;
}

static void
wait_go(struct run *r)
{
    /* acquire: pairs with the release that starts the clock. */
    while (!atomic_load_explicit(&r->go, memory_order_acquire))
        sched_yield();
}

static void *
producer(void *arg)
{
    struct run *r = arg;

    wait_go(r);
    for (unsigned long i = 1; i <= r->per_producer; i++)
        put(r, (void *)(uintptr_t)i);
    for (unsigned i = 0; r->own_ends && i < r->np; i++) /* np consumers */
        put(r, END);
    return NULL;
}

static void *
consumer(void *arg)
{
    struct run *r = arg;
    unsigned long sum = 0;
    unsigned ends = 0;
    void *p;

    wait_go(r);
    while (ends < (r->own_ends ? r->np : 1)) {
        p = get(r);
        if (p == END)
            ends++;
        else
            sum += (uintptr_t)p;
    }
    /* relaxed: read after join. */
    atomic_fetch_add_explicit(&r->sum, sum, memory_order_relaxed);
    return NULL;
}

static double
run_one(enum sys sys, unsigned np, unsigned long n)
{
    static struct run r;
    pthread_t th[2 * BENCH_MAX_THREADS];
    uint64_t t0, t1;
    unsigned long per = n / np, want;

    memset(&r, 0, sizeof(r));
    r.sys = sys;
    r.per_producer = per;
    r.np = np;
    r.own_ends = sys == SYS_WEFT_LANES;
    if (sys == SYS_WEFT_LANES &&
        weft_queue_create(WEFT_QUEUE_FIFO_LANES, SLOTS, &r.wq))
        return -1;
    if (sys == SYS_WEFT && weft_queue_create(WEFT_QUEUE_FIFO, SLOTS, &r.wq))
        return -1;
    if (sys == SYS_MUTEX) {
        pthread_mutex_init(&r.mq.mu, NULL);
        pthread_cond_init(&r.mq.not_empty, NULL);
        pthread_cond_init(&r.mq.not_full, NULL);
    }
    if (sys == SYS_CK) {
        r.rbuf = calloc(SLOTS, sizeof(*r.rbuf));
        ck_ring_init(&r.ring, SLOTS);
    }
    for (unsigned i = 0; i < np; i++) {
        pthread_create(&th[i], NULL, producer, &r);
        pthread_create(&th[np + i], NULL, consumer, &r);
    }
    BENCH_REGION_BEGIN();
    t0 = bench_now_ns();
    /* release: publishes the setup to the threads. */
    atomic_store_explicit(&r.go, 1, memory_order_release);
    for (unsigned i = 0; i < np; i++)
        pthread_join(th[i], NULL);
    for (unsigned i = 0; !r.own_ends && i < np; i++)
        put(&r, END);
    for (unsigned i = 0; i < np; i++)
        pthread_join(th[np + i], NULL);
    t1 = bench_now_ns();
    BENCH_REGION_END();
    want = np * (per * (per + 1) / 2);
    if (atomic_load_explicit(&r.sum, memory_order_relaxed) != want) {
        fprintf(stderr, "bench_queue: lost or duplicated items\n");
        exit(1);
    }
    if (sys == SYS_WEFT || sys == SYS_WEFT_LANES)
        weft_queue_destroy(r.wq);
    if (sys == SYS_CK)
        free(r.rbuf);
    return (double)(per * np) / ((double)(t1 - t0) / 1e9);
}

int
main(void)
{
    static const char *names[] = {"weft", "mutex", "ck_ring", "weft_lanes"};
    unsigned long n = bench_size("WEFT_BENCH_QUEUE_N", 4000000, 400000);
    unsigned pcs[] = {1, 2};
    char params[64];

    for (unsigned k = 0; k < 2; k++) {
        snprintf(params, sizeof(params), "%uP%uC,slots=%u", pcs[k], pcs[k],
                 SLOTS);
        for (int s = 0; s < SYS_N; s++) {
            double v = run_one((enum sys)s, pcs[k], n);
            if (v < 0)
                bench_missing("queue", params, names[s], "create failed");
            else
                bench_emit("queue", params, names[s], v, "items/s", "higher");
        }
    }
    return 0;
}
