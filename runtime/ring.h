/* SPDX-License-Identifier: MIT */
/*
 * ring.h - the only place that includes <ck_ring.h>: weft's thin, inlined
 * wrapper over Concurrency Kit's bounded pointer rings, with the TSan
 * happens-before annotations ck needs (tsan/README.md).
 *
 * Concurrency protocol: ck_ring's own. A successful enqueue of item p
 * happens-before the dequeue that returns p ([R1] below). TSan cannot see
 * ck's inline-asm atomics, so [R1] is annotated: release on the ring before
 * every enqueue, acquire on the ring after every successful dequeue. This
 * over-approximates ck's order (every consumer acquires all earlier
 * enqueues), which is what the recipe measured clean and still sharp.
 *
 * Names carry ck's contract: _spsc one producer and one consumer, _spmc one
 * producer and many consumers, _mpmc many of both.
 */
#ifndef WEFT_RING_H
#define WEFT_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ck_ring.h>

#include "atomics.h"
#include "internal.h"

struct weft__ring {
    ck_ring_t ring; /* ck pads producer and consumer lines itself */
    ck_ring_buffer_t *buf;
};

/* slots must be a power of two >= 4; the ring holds slots - 1 items. */
static inline int
weft__ring_init(struct weft__ring *r, unsigned slots)
{
    if (slots < 4 || (slots & (slots - 1)) != 0)
        return -EINVAL;
    r->buf = (ck_ring_buffer_t *)weft__aligned_alloc(
        WEFT_CACHELINE, sizeof(ck_ring_buffer_t) * slots);
    if (r->buf == NULL)
        return -ENOMEM;
    ck_ring_init(&r->ring, slots);
    return 0;
}

static inline void
weft__ring_fini(struct weft__ring *r)
{
    weft__free(r->buf);
    r->buf = NULL;
}

/* Items that fit: slots - 1. */
static inline unsigned
weft__ring_capacity(const struct weft__ring *r)
{
    return ck_ring_capacity(&r->ring) - 1;
}

/* Items queued now: exact only when no one else touches the ring. */
static inline unsigned
weft__ring_size(const struct weft__ring *r)
{
    return ck_ring_size(&r->ring);
}

#define WEFT__RING_OPS(mode)                                           \
    static inline bool weft__ring_enqueue_##mode(struct weft__ring *r, \
                                                 void *p)              \
    {                                                                  \
        /* [R1] release: writes to *p before the enqueue. */           \
        WEFT_HB_RELEASE(&r->ring);                                     \
        return ck_ring_enqueue_##mode(&r->ring, r->buf, p);            \
    }                                                                  \
    static inline bool weft__ring_dequeue_##mode(struct weft__ring *r, \
                                                 void **p)             \
    {                                                                  \
        if (!ck_ring_dequeue_##mode(&r->ring, r->buf, p))              \
            return false;                                              \
        /* [R1] acquire: pairs with the release before the enqueue. */ \
        WEFT_HB_ACQUIRE(&r->ring);                                     \
        return true;                                                   \
    }

WEFT__RING_OPS(spsc)
WEFT__RING_OPS(spmc)
WEFT__RING_OPS(mpmc)
#undef WEFT__RING_OPS

/*
 * SPSC with a cached view of the other side's index: ck's
 * _ck_ring_enqueue_sp / _ck_ring_dequeue_sc (same fences, same slots)
 * except that the producer re-reads c_head only when its cached copy
 * (*c_seen) says the ring is full, and the consumer re-reads p_tail only
 * when its cached copy (*p_seen) says it is empty. While items stream, the
 * producer then never reads the consumer's index line and the consumer
 * reads the producer's once per run of items it finds, instead of once
 * per item (each such read is a cross-core miss while the other side
 * writes the line). Stale copies are safe: both indices only grow, so a
 * stale c_head under-estimates the room and a stale p_tail the items.
 * Each copy belongs to its side (the caller serialises each side, as for
 * _spsc); start them at 0 (ck_ring_init's indices). The uncached _spsc ops
 * may be mixed in: a copy behind the real index is only stale.
 */
static inline bool
weft__ring_enqueue_spsc_cached(struct weft__ring *r, unsigned *c_seen, void *p)
{
    ck_ring_t *g = &r->ring;
    const unsigned mask = g->mask;
    /* producer-owned: ck reads it plainly too. */
    unsigned tail = g->p_tail;

    /* tail - c_head == mask: full (ck keeps one slot free). */
    if (weft_unlikely(tail - *c_seen >= mask)) {
        /* As in ck: a plain load; the consumer stored c_head after its
         * slot read. */
        *c_seen = ck_pr_load_uint(&g->c_head);
        if (tail - *c_seen >= mask)
            return false;
    }
    /* [R1] release: writes to *p before the enqueue. */
    WEFT_HB_RELEASE(g);
    /* relaxed: ck's fences below order the slot; atomic only so that TSan,
     * which cannot see them, does not take the slot for a race (ck's own
     * slot copies are suppressed as third-party code; these are ours). */
    __atomic_store_n(&r->buf[tail & mask].value, p, __ATOMIC_RELAXED);
    /* ck's order: the slot before the index that publishes it. */
    ck_pr_fence_store();
    ck_pr_store_uint(&g->p_tail, tail + 1);
    return true;
}

static inline bool
weft__ring_dequeue_spsc_cached(struct weft__ring *r, unsigned *p_seen, void **p)
{
    ck_ring_t *g = &r->ring;
    /* consumer-owned: ck reads it plainly too. */
    unsigned head = g->c_head;

    if ((int)(*p_seen - head) <= 0) {
        *p_seen = ck_pr_load_uint(&g->p_tail);
        if (*p_seen == head)
            return false;
    }
    /* ck's order: the snapshot of p_tail before the slot read. */
    ck_pr_fence_load();
    /* relaxed: as the slot store in weft__ring_enqueue_spsc_cached. */
    *p = __atomic_load_n(&r->buf[head & g->mask].value, __ATOMIC_RELAXED);
    /* ck's order: the slot read before the index that frees it. */
    ck_pr_fence_store();
    ck_pr_store_uint(&g->c_head, head + 1);
    /* [R1] acquire: pairs with the release before the enqueue. */
    WEFT_HB_ACQUIRE(g);
    return true;
}

/* The producer's bound on the items queued, from its cached c_head:
 * never below the real count. */
static inline unsigned
weft__ring_size_cached(const struct weft__ring *r, unsigned c_seen)
{
    /* producer-owned: plain, as above. */
    return r->ring.p_tail - c_seen;
}

/* The consumer's index now (a producer refreshing its cached copy). */
static inline unsigned
weft__ring_c_head(const struct weft__ring *r)
{
    /* As ck's enqueue reads it: a plain load (the caller only bounds its
     * room with it; the enqueue's fence orders the slot write after). */
    return ck_pr_load_uint(&r->ring.c_head);
}

/* SPMC/MPMC: a single attempt that may fail spuriously under contention. */
static inline bool
weft__ring_trydequeue_spmc(struct weft__ring *r, void **p)
{
    if (!ck_ring_trydequeue_spmc(&r->ring, r->buf, p))
        return false;
    WEFT_HB_ACQUIRE(&r->ring);
    return true;
}

/*
 * SPMC/MPMC: take up to max (<= the capacity) items at once, oldest first,
 * into out; the number taken (0: empty). ck_ring has no batch dequeue:
 * this is its _ck_ring_dequeue_mc with a count, on the same fields with
 * the same fences. The items between c_head and p_tail are the producer's
 * to leave alone until c_head moves past them, so copying n of them and
 * then moving c_head by n with one CAS (which fails, and retries, if
 * another consumer moved it first) takes exactly those n. One locked RMW
 * and one read of p_tail per batch instead of per item: the consumer line
 * the producer reads on every enqueue is pulled away once per batch.
 */
static inline unsigned
weft__ring_dequeue_batch_spmc(struct weft__ring *r, void **out, unsigned max)
{
    ck_ring_t *ring = &r->ring;
    const unsigned int mask = ring->mask;
    unsigned int consumer = ck_pr_load_uint(&ring->c_head), producer, n;

    do {
        /* As ck: the producer index read after our consumer snapshot. */
        ck_pr_fence_load();
        producer = ck_pr_load_uint(&ring->p_tail);
        n = producer - consumer;
        if (n == 0)
            return 0;
        if (n > max)
            n = max;
        /* As ck: the slots read after the producer index. */
        ck_pr_fence_load();
        for (unsigned int i = 0; i < n; i++)
            out[i] = ck_pr_load_ptr(&r->buf[(consumer + i) & mask].value);
        /* As ck: the slot reads before the head update. */
        ck_pr_fence_store_atomic();
    } while (!ck_pr_cas_uint_value(&ring->c_head, consumer, consumer + n,
                                   &consumer));
    /* [R1] acquire: pairs with the release before each enqueue. */
    WEFT_HB_ACQUIRE(&r->ring);
    return n;
}

/* --- a typed ring of trace events (trace.c): entries are copied in by
 * value, single producer (the worker) and single consumer (the drainer). */
struct weft__trace_ev {
    uint64_t ts;   /* CLOCK_MONOTONIC ns */
    uint64_t id;   /* the task or future, or 0 */
    uint32_t kind; /* enum weft__ev (trace.h) */
    uint32_t arg;  /* a victim, a count, ... */
};
CK_RING_PROTOTYPE(weft__trace_ev, weft__trace_ev)

struct weft__trace_ring {
    ck_ring_t ring;
    struct weft__trace_ev *buf;
};

static inline int
weft__trace_ring_init(struct weft__trace_ring *r, unsigned slots)
{
    r->buf = (struct weft__trace_ev *)weft__aligned_alloc(
        WEFT_CACHELINE, sizeof(struct weft__trace_ev) * slots);
    if (r->buf == NULL)
        return -ENOMEM;
    ck_ring_init(&r->ring, slots);
    return 0;
}

static inline void
weft__trace_ring_fini(struct weft__trace_ring *r)
{
    weft__free(r->buf);
    r->buf = NULL;
}

static inline bool
weft__trace_ring_put(struct weft__trace_ring *r, struct weft__trace_ev *ev)
{
    /* [R1] release: as for the pointer rings. */
    WEFT_HB_RELEASE(&r->ring);
    return ck_ring_enqueue_spsc_weft__trace_ev(&r->ring, r->buf, ev);
}

static inline bool
weft__trace_ring_get(struct weft__trace_ring *r, struct weft__trace_ev *ev)
{
    if (!ck_ring_dequeue_spsc_weft__trace_ev(&r->ring, r->buf, ev))
        return false;
    /* [R1] acquire: pairs with the release in put. */
    WEFT_HB_ACQUIRE(&r->ring);
    return true;
}

#endif /* WEFT_RING_H */
