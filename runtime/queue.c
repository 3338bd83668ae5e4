/* SPDX-License-Identifier: MIT */
/*
 * queue.c - weft_queue: bounded blocking FIFO, LIFO and priority queues.
 * WEFT_QUEUE_FIFO_LANES (FIFO per producer) lives in queue_lanes.c: every
 * public function here validates its arguments, then dispatches on the
 * kind (the first member of both queue structs).
 *
 * FIFO: one ck_ring used single-producer single-consumer (ring.h _spsc),
 * with plock serialising producers and clock serialising consumers. In the
 * common one-producer one-consumer case each lock's line stays in its
 * owner's cache and the ring streams: the consumer reads the producer's
 * index once per many items instead of moving one shared line per item
 * (ck's MPMC CAS on one head). Capacity is enforced under plock against
 * ck_ring_size(), so any capacity is exact although the ring is a power
 * of two.
 * LIFO / PRIORITY: an array (stack or binary heap on (prio, seq)) under
 * plock alone.
 *
 * Concurrency protocol:
 * [Q1] put: under plock, check state and room; puts += 1 BEFORE the
 *      enqueue (so the task_done of that item never sees puts too small:
 *      the ring's [R1] orders puts before the consumer's dequeue); enqueue;
 *      unlock; then syncwait.h [E2] on not_empty.
 * [Q2] get: under clock, dequeue; unlock; [E2] on not_full. On empty, the
 *      state (acquire, pairs with [Q3]) decides -EAGAIN or -ESHUTDOWN; after
 *      seeing SHUT one more dequeue catches puts that finished before it.
 * [Q3] shutdown: state is stored (release) under plock, so every put either
 *      finished before (its item is visible to a consumer that acquires
 *      the state) or sees the state and fails. IMMEDIATE then drains
 *      under clock and adds the dropped items to done.
 * [Q4] task_done: CAS done -> done + 1 while done < puts (seq_cst), then
 *      [E2] on joined. join: [E1] on joined, re-check done >= puts.
 * [Q5] side locks (plock, clock): acquire is a CAS 0 -> 1 (acquire); release
 *      is a plain release store of 0 (pairs with the next acquirer's CAS),
 *      then syncwait.h [E2] on the side's event count, whose waiters word
 *      shares the lock's line. So an uncontended put or get costs one
 *      locked instruction instead of two (a locked RMW drains the store
 *      buffer, and the ring index stored by the previous call is usually
 *      waiting there for the other core's line: one round trip per RMW).
 *      A contender polls, then sleeps on the event count ([E1]): no lost
 *      wake-up, no CPU while the holder is away.
 * [Q6] cached indices (ring.h *_spsc_cached): the plock holder keeps its
 *      view of c_head (c_seen) and reads the consumer's index line only
 *      when that view says the queue holds cap items; the clock holder
 *      keeps its view of p_tail (p_seen) and reads the producer's line
 *      once per run of items it finds. Publication is not deferred: every
 *      put stores p_tail before it releases plock.
 * Blocked callers sleep on the event counts of syncwait.h ([E1]-[E3]).
 */
#include <limits.h>
#include <string.h>

#include <weft/queue.h>

#include "mutate.h"
#include "queue_lanes.h"
#include "ring.h"
#include "syncwait.h"

enum { Q_OPEN = 0, Q_SHUT = 1, Q_IMMEDIATE = 2 };

/* Rounds a blocking put/get polls before it registers to sleep. */
#define Q_SPIN 64u

/* [Q5] a lock whose release is a store, not an RMW. */
struct side_lock {
    _Atomic uint32_t held;
    struct weft__ec ec; /* lock waiters; same line as held */
};

struct heap_ent {
    int64_t prio;
    uint64_t seq;
    void *item;
};

struct weft_queue {
    enum weft_queue_kind kind; /* first: see queue_lanes.h */
    size_t cap;
    struct weft__ring ring; /* FIFO */
    struct heap_ent *ents;  /* LIFO, PRIORITY: under plock */
    _Atomic size_t n;       /* LIFO, PRIORITY: written under plock */
    uint64_t seq;           /* PRIORITY: under plock */
    /* producer side */
    _Alignas(WEFT_PAD_ALIGN) struct side_lock plock;
    _Atomic uint64_t puts; /* [Q1] written under plock */
    unsigned c_seen;       /* [Q6] under plock: the producers' c_head */
    /* consumer side */
    _Alignas(WEFT_PAD_ALIGN) struct side_lock clock;
    unsigned p_seen; /* [Q6] under clock: the consumers' p_tail */
    /* task_done side */
    _Alignas(WEFT_PAD_ALIGN) _Atomic uint64_t done; /* [Q4] */
    /* read-mostly: state and the joiners' event count */
    _Alignas(WEFT_PAD_ALIGN) _Atomic uint32_t state; /* [Q3] */
    struct weft__ec joined;
    /* [Q6] each on its own lines: a consumer registering on not_empty
     * does not take the line every get reads (not_full) or every put
     * reads (state). */
    _Alignas(WEFT_PAD_ALIGN) struct weft__ec not_empty;
    _Alignas(WEFT_PAD_ALIGN) struct weft__ec not_full;
};

static void
side_init(struct side_lock *lk)
{
    atomic_init(&lk->held, 0);
    weft__ec_init(&lk->ec);
}

static inline bool
side_try(struct side_lock *lk)
{
    uint32_t zero = 0;

    /* relaxed: a hint, so a busy lock costs no RMW. */
    if (atomic_load_explicit(&lk->held, memory_order_relaxed) != 0)
        return false;
    /* [Q5] acquire: pairs with the release store in side_release(). */
    return atomic_compare_exchange_strong_explicit(
        &lk->held, &zero, 1, memory_order_acquire, memory_order_relaxed);
}

static inline void
side_release(struct side_lock *lk)
{
    /* [Q5] release: the critical section before the next acquirer. */
    atomic_store_explicit(&lk->held, 0, memory_order_release);
    /* [E2] the release store is the published change. */
    weft__ec_signal(&lk->ec, 1);
}

/* 0, or -ETIMEDOUT (the deadline passed; at once for POLL). */
static int
side_acquire(struct side_lock *lk, weft_deadline_t deadline)
{
    unsigned round = 0;
    uint32_t snap;
    int w;

    if (weft_likely(side_try(lk)))
        return 0;
    if (deadline == WEFT_DEADLINE_POLL)
        return -ETIMEDOUT;
    while (round < Q_SPIN) {
        weft__spin_step(&round);
        if (side_try(lk))
            return 0;
    }
    WEFT_CHAOS_POINT();
    for (;;) {
        snap = weft__ec_prepare(&lk->ec);
        if (side_try(lk)) {
            weft__ec_cancel(&lk->ec);
            return 0;
        }
        w = weft__ec_wait(&lk->ec, snap, deadline);
        weft__ec_cancel(&lk->ec);
        if (side_try(lk))
            return 0;
        if (w == -ETIMEDOUT)
            return -ETIMEDOUT;
    }
}

int
weft_queue_create(enum weft_queue_kind kind, size_t capacity,
                  weft_queue_t **out)
{
    struct weft_queue *q;
    unsigned slots;
    int rc;

    if (out == NULL || capacity == 0 || capacity > WEFT_QUEUE_MAX_CAPACITY ||
        (kind != WEFT_QUEUE_FIFO && kind != WEFT_QUEUE_LIFO &&
         kind != WEFT_QUEUE_PRIORITY && kind != WEFT_QUEUE_FIFO_LANES))
        return -EINVAL;
    if (kind == WEFT_QUEUE_FIFO_LANES)
        return weft__qlanes_create(capacity, out);
    weft__asym_init();
    q = weft__aligned_alloc(WEFT_PAD_ALIGN, sizeof(*q));
    if (q == NULL)
        return -ENOMEM;
    memset(q, 0, sizeof(*q));
    q->kind = kind;
    q->cap = capacity;
    if (kind == WEFT_QUEUE_FIFO) {
        /* capacity + 1 slots at least: ck keeps one slot free. */
        for (slots = 4; slots < capacity + 1; slots <<= 1)
            ;
        rc = weft__ring_init(&q->ring, slots);
        if (rc != 0)
            goto err_free;
    } else {
        q->ents = weft__calloc(capacity, sizeof(*q->ents));
        if (q->ents == NULL) {
            rc = -ENOMEM;
            goto err_free;
        }
    }
    atomic_init(&q->n, 0);
    side_init(&q->plock);
    side_init(&q->clock);
    atomic_init(&q->puts, 0);
    atomic_init(&q->done, 0);
    atomic_init(&q->state, Q_OPEN);
    weft__ec_init(&q->not_empty);
    weft__ec_init(&q->not_full);
    weft__ec_init(&q->joined);
    *out = q;
    return 0;
err_free:
    weft__free(q);
    return rc;
}

int
weft_queue_destroy(weft_queue_t *q)
{
    if (q == NULL)
        return -EINVAL;
    if (weft__queue_kind(q) == WEFT_QUEUE_FIFO_LANES)
        return weft__qlanes_destroy(q);
    if (q->kind == WEFT_QUEUE_FIFO)
        weft__ring_fini(&q->ring);
    weft__free(q->ents);
    weft__free(q);
    return 0;
}

/* ---- the array kinds (under plock) ---------------------------------- */

static inline bool
ent_less(const struct heap_ent *a, const struct heap_ent *b)
{
    return a->prio < b->prio || (a->prio == b->prio && a->seq < b->seq);
}

static void
arr_push(struct weft_queue *q, void *item, int64_t prio)
{
    /* relaxed: written only under plock. */
    size_t i = atomic_load_explicit(&q->n, memory_order_relaxed);
    struct heap_ent e = {prio, q->seq++, item};

    if (q->kind == WEFT_QUEUE_PRIORITY) {
        while (i > 0 && ent_less(&e, &q->ents[(i - 1) / 2])) {
            q->ents[i] = q->ents[(i - 1) / 2];
            i = (i - 1) / 2;
        }
    }
    q->ents[i] = e;
    /* relaxed: plock orders it; len() only takes a snapshot. */
    atomic_store_explicit(&q->n,
                          atomic_load_explicit(&q->n, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

static void *
arr_pop(struct weft_queue *q)
{
    /* relaxed: written only under plock. */
    size_t n = atomic_load_explicit(&q->n, memory_order_relaxed) - 1;
    void *item;
    size_t i = 0;
    struct heap_ent last;

    atomic_store_explicit(&q->n, n, memory_order_relaxed);
    if (q->kind == WEFT_QUEUE_LIFO)
        return q->ents[n].item;
    item = q->ents[0].item;
    last = q->ents[n];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && ent_less(&q->ents[c + 1], &q->ents[c]))
            c++;
        if (!ent_less(&q->ents[c], &last))
            break;
        q->ents[i] = q->ents[c];
        i = c;
    }
    q->ents[i] = last;
    return item;
}

/* ---- one attempt ---------------------------------------------------- */

/* 0, -EAGAIN (full or lock busy for try), -ESHUTDOWN, -ETIMEDOUT (lock). */
/* [Q6] Under plock: whether the FIFO holds cap items. The cached bound
 * first; the consumers' c_head only when it says full. */
static inline bool
fifo_full(struct weft_queue *q)
{
    if (weft_likely(weft__ring_size_cached(&q->ring, q->c_seen) < q->cap))
        return false;
    q->c_seen = weft__ring_c_head(&q->ring);
    return weft__ring_size_cached(&q->ring, q->c_seen) >= q->cap;
}

static int
put_once(struct weft_queue *q, void *item, int64_t prio,
         weft_deadline_t deadline)
{
    int rc = side_acquire(&q->plock, deadline);
    bool ok;

    if (rc != 0)
        return deadline == WEFT_DEADLINE_POLL ? -EAGAIN : rc;
    /* [Q3] relaxed: read under plock, which the shutdown also takes. */
    if (atomic_load_explicit(&q->state, memory_order_relaxed) != Q_OPEN) {
        side_release(&q->plock);
        return -ESHUTDOWN;
    }
    if (q->kind == WEFT_QUEUE_FIFO) {
        if (weft_unlikely(fifo_full(q))) {
            side_release(&q->plock);
            return -EAGAIN;
        }
        /* [Q1] relaxed: only producers write it, under plock; the ring's
         * [R1] carries it to consumers. */
        atomic_store_explicit(
            &q->puts, atomic_load_explicit(&q->puts, memory_order_relaxed) + 1,
            memory_order_relaxed);
        ok = weft__ring_enqueue_spsc_cached(&q->ring, &q->c_seen, item);
        WEFT_ASSERT(ok);
    } else {
        /* relaxed: under plock. */
        if (atomic_load_explicit(&q->n, memory_order_relaxed) >= q->cap) {
            side_release(&q->plock);
            return -EAGAIN;
        }
        /* [Q1] relaxed: under plock, which consumers also take. */
        atomic_store_explicit(
            &q->puts, atomic_load_explicit(&q->puts, memory_order_relaxed) + 1,
            memory_order_relaxed);
        arr_push(q, item, prio);
    }
    side_release(&q->plock);
    /* MUTANT 12: lost wake-up, a blocked consumer is never woken. */
    if (!WEFT_MUTANT(12))
        weft__ec_signal(&q->not_empty, 1);
    return 0;
}

/* 0, -EAGAIN (empty or lock busy for try), -ESHUTDOWN, -ETIMEDOUT. */
static int
get_once(struct weft_queue *q, void **item, weft_deadline_t deadline)
{
    struct side_lock *lk = q->kind == WEFT_QUEUE_FIFO ? &q->clock : &q->plock;
    int rc = side_acquire(lk, deadline);
    uint32_t st;
    bool ok;

    if (rc != 0)
        return deadline == WEFT_DEADLINE_POLL ? -EAGAIN : rc;
    for (int pass = 0;; pass++) {
        if (q->kind == WEFT_QUEUE_FIFO) {
            ok = weft__ring_dequeue_spsc_cached(&q->ring, &q->p_seen, item);
        } else {
            /* relaxed: under plock. */
            ok = atomic_load_explicit(&q->n, memory_order_relaxed) > 0;
            if (ok)
                *item = arr_pop(q);
        }
        if (ok) {
            side_release(lk);
            weft__ec_signal(&q->not_full, 1);
            return 0;
        }
        WEFT_CHAOS_POINT();
        /* [Q2] acquire: pairs with the release store in [Q3]. */
        st = atomic_load_explicit(&q->state, memory_order_acquire);
        if (st == Q_OPEN || pass > 0 || st == Q_IMMEDIATE) {
            side_release(lk);
            return st == Q_OPEN ? -EAGAIN : -ESHUTDOWN;
        }
    }
}

/* ---- blocking wrappers ---------------------------------------------- */

/*
 * Hints for the polling rounds: whether a put (get) could succeed now.
 * Polling reads the shared indices instead of taking the side lock, so a
 * waiting consumer neither takes the lock's line nor writes anything the
 * producer reads. Only a hint: put_once/get_once decide, and the sleeping
 * path ([E1]) never uses it.
 */
static bool
may_put(const struct weft_queue *q)
{
    size_t n;

    if (q->kind == WEFT_QUEUE_FIFO)
        n = weft__ring_size(&q->ring);
    else /* relaxed: a hint. */
        n = atomic_load_explicit(&q->n, memory_order_relaxed);
    /* relaxed: a hint. */
    return n < q->cap ||
           atomic_load_explicit(&q->state, memory_order_relaxed) != Q_OPEN;
}

static bool
may_get(const struct weft_queue *q)
{
    size_t n;

    if (q->kind == WEFT_QUEUE_FIFO)
        n = weft__ring_size(&q->ring);
    else /* relaxed: a hint. */
        n = atomic_load_explicit(&q->n, memory_order_relaxed);
    /* relaxed: a hint. */
    return n > 0 ||
           atomic_load_explicit(&q->state, memory_order_relaxed) != Q_OPEN;
}

static int
queue_put(struct weft_queue *q, void *item, int64_t prio,
          weft_deadline_t deadline)
{
    unsigned round = 0;
    uint32_t snap;
    int rc, w;

    rc = put_once(q, item, prio, deadline);
    if (rc != -EAGAIN)
        return rc;
    if (deadline == WEFT_DEADLINE_POLL)
        return -ETIMEDOUT;
    while (round < Q_SPIN) {
        weft__spin_step(&round);
        if (!may_put(q))
            continue;
        rc = put_once(q, item, prio, deadline);
        if (rc != -EAGAIN)
            return rc;
    }
    for (;;) {
        snap = weft__ec_prepare(&q->not_full);
        rc = put_once(q, item, prio, deadline);
        if (rc != -EAGAIN) {
            weft__ec_cancel(&q->not_full);
            return rc;
        }
        w = weft__ec_wait(&q->not_full, snap, deadline);
        weft__ec_cancel(&q->not_full);
        if (w == -ETIMEDOUT) {
            rc = put_once(q, item, prio, WEFT_DEADLINE_POLL);
            return rc == -EAGAIN ? -ETIMEDOUT : rc;
        }
    }
}

int
weft_queue_put(weft_queue_t *q, void *item, weft_deadline_t deadline)
{
    if (q == NULL)
        return -EINVAL;
    if (weft__queue_kind(q) == WEFT_QUEUE_FIFO_LANES)
        return weft__qlanes_put(q, item, deadline);
    return queue_put(q, item, 0, deadline);
}

int
weft_queue_put_prio(weft_queue_t *q, void *item, int64_t prio,
                    weft_deadline_t deadline)
{
    if (q == NULL || weft__queue_kind(q) != WEFT_QUEUE_PRIORITY)
        return -EINVAL;
    return queue_put(q, item, prio, deadline);
}

int
weft_queue_try_put(weft_queue_t *q, void *item)
{
    if (q == NULL)
        return -EINVAL;
    if (weft__queue_kind(q) == WEFT_QUEUE_FIFO_LANES)
        return weft__qlanes_try_put(q, item);
    return put_once(q, item, 0, WEFT_DEADLINE_POLL);
}

int
weft_queue_get(weft_queue_t *q, void **item, weft_deadline_t deadline)
{
    unsigned round = 0;
    uint32_t snap;
    int rc, w;

    if (q == NULL || item == NULL)
        return -EINVAL;
    if (weft__queue_kind(q) == WEFT_QUEUE_FIFO_LANES)
        return weft__qlanes_get(q, item, deadline);
    rc = get_once(q, item, deadline);
    if (rc != -EAGAIN)
        return rc;
    if (deadline == WEFT_DEADLINE_POLL)
        return -ETIMEDOUT;
    while (round < Q_SPIN) {
        weft__spin_step(&round);
        if (!may_get(q))
            continue;
        rc = get_once(q, item, deadline);
        if (rc != -EAGAIN)
            return rc;
    }
    for (;;) {
        snap = weft__ec_prepare(&q->not_empty);
        rc = get_once(q, item, deadline);
        if (rc != -EAGAIN) {
            weft__ec_cancel(&q->not_empty);
            return rc;
        }
        w = weft__ec_wait(&q->not_empty, snap, deadline);
        weft__ec_cancel(&q->not_empty);
        if (w == -ETIMEDOUT) {
            rc = get_once(q, item, WEFT_DEADLINE_POLL);
            return rc == -EAGAIN ? -ETIMEDOUT : rc;
        }
    }
}

int
weft_queue_try_get(weft_queue_t *q, void **item)
{
    if (q == NULL || item == NULL)
        return -EINVAL;
    if (weft__queue_kind(q) == WEFT_QUEUE_FIFO_LANES)
        return weft__qlanes_try_get(q, item);
    return get_once(q, item, WEFT_DEADLINE_POLL);
}

/* ---- task_done / join ----------------------------------------------- */

static bool
all_done(struct weft_queue *q)
{
    /* [Q4] seq_cst: done first (it never exceeds puts), then puts; the
     * joiner's half of the handshake with task_done. */
    uint64_t d = atomic_load_explicit(&q->done, memory_order_seq_cst);
    return d >= atomic_load_explicit(&q->puts, memory_order_seq_cst);
}

int
weft_queue_task_done(weft_queue_t *q)
{
    uint64_t d, p;

    if (q == NULL)
        return -EINVAL;
    if (weft__queue_kind(q) == WEFT_QUEUE_FIFO_LANES)
        return weft__qlanes_task_done(q);
    /* relaxed: the CAS below orders. */
    d = atomic_load_explicit(&q->done, memory_order_relaxed);
    do {
        /* relaxed: the get of the item being marked done already ordered
         * its put (and puts increment) before us ([Q1]). */
        p = atomic_load_explicit(&q->puts, memory_order_relaxed);
        if (d >= p)
            return -EOVERFLOW;
        WEFT_CHAOS_POINT();
        if (WEFT_MUTANT(11)) {
            /* MUTANT 11: [Q4] no CAS; concurrent task_dones lose counts. */
            atomic_store_explicit(&q->done, d + 1, memory_order_seq_cst);
            break;
        }
        /* [Q4] seq_cst: release of the processing to join(), and the
         * task_done half of the handshake. */
    } while (!atomic_compare_exchange_weak_explicit(
        &q->done, &d, d + 1, memory_order_seq_cst, memory_order_relaxed));
    if (d + 1 >= p)
        weft__ec_signal(&q->joined, INT_MAX);
    return 0;
}

int
weft_queue_join(weft_queue_t *q, weft_deadline_t deadline)
{
    uint32_t snap;
    int w;

    if (q == NULL)
        return -EINVAL;
    if (weft__queue_kind(q) == WEFT_QUEUE_FIFO_LANES)
        return weft__qlanes_join(q, deadline);
    for (;;) {
        if (all_done(q))
            return 0;
        if (deadline == WEFT_DEADLINE_POLL)
            return -ETIMEDOUT;
        snap = weft__ec_prepare(&q->joined);
        if (all_done(q)) {
            weft__ec_cancel(&q->joined);
            return 0;
        }
        w = weft__ec_wait(&q->joined, snap, deadline);
        weft__ec_cancel(&q->joined);
        if (w == -ETIMEDOUT)
            return all_done(q) ? 0 : -ETIMEDOUT;
    }
}

/* ---- shutdown and snapshots ----------------------------------------- */

int
weft_queue_shutdown(weft_queue_t *q, unsigned flags)
{
    uint64_t dropped = 0;
    void *item;

    if (q == NULL || (flags & ~WEFT_QUEUE_SHUTDOWN_IMMEDIATE) != 0)
        return -EINVAL;
    if (weft__queue_kind(q) == WEFT_QUEUE_FIFO_LANES)
        return weft__qlanes_shutdown(q, flags);
    (void)side_acquire(&q->plock, WEFT_DEADLINE_NEVER);
    /* [Q3] release: pairs with the acquire in [Q2]; under plock so no
     * put straddles it. relaxed load: under plock. */
    if (flags & WEFT_QUEUE_SHUTDOWN_IMMEDIATE)
        atomic_store_explicit(&q->state, Q_IMMEDIATE, memory_order_release);
    else if (atomic_load_explicit(&q->state, memory_order_relaxed) == Q_OPEN)
        atomic_store_explicit(&q->state, Q_SHUT, memory_order_release);
    if (q->kind != WEFT_QUEUE_FIFO && (flags & WEFT_QUEUE_SHUTDOWN_IMMEDIATE)) {
        while (atomic_load_explicit(&q->n, memory_order_relaxed) > 0) {
            (void)arr_pop(q);
            dropped++;
        }
    }
    side_release(&q->plock);
    if (q->kind == WEFT_QUEUE_FIFO && (flags & WEFT_QUEUE_SHUTDOWN_IMMEDIATE)) {
        (void)side_acquire(&q->clock, WEFT_DEADLINE_NEVER);
        while (weft__ring_dequeue_spsc_cached(&q->ring, &q->p_seen, &item))
            dropped++;
        side_release(&q->clock);
    }
    if (dropped > 0) {
        /* [Q4] seq_cst: as task_done, for every dropped item. */
        atomic_fetch_add_explicit(&q->done, dropped, memory_order_seq_cst);
    }
    weft__ec_signal(&q->joined, INT_MAX);
    weft__ec_signal(&q->not_full, INT_MAX);
    weft__ec_signal(&q->not_empty, INT_MAX);
    return 0;
}

size_t
weft_queue_len(const weft_queue_t *q)
{
    if (q == NULL)
        return 0;
    if (weft__queue_kind(q) == WEFT_QUEUE_FIFO_LANES)
        return weft__qlanes_len(q);
    if (q->kind == WEFT_QUEUE_FIFO)
        return weft__ring_size(&q->ring);
    /* relaxed: a snapshot. */
    return atomic_load_explicit(&q->n, memory_order_relaxed);
}

size_t
weft_queue_capacity(const weft_queue_t *q)
{
    if (q == NULL)
        return 0;
    if (weft__queue_kind(q) == WEFT_QUEUE_FIFO_LANES)
        return weft__qlanes_capacity(q);
    return q->cap;
}

bool
weft_queue_is_shutdown(const weft_queue_t *q)
{
    if (q == NULL)
        return false;
    if (weft__queue_kind(q) == WEFT_QUEUE_FIFO_LANES)
        return weft__qlanes_is_shutdown(q);
    /* relaxed: a snapshot. */
    return atomic_load_explicit(&q->state, memory_order_relaxed) != Q_OPEN;
}
