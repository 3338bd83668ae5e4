/* SPDX-License-Identifier: MIT */
/*
 * waitset.c - as_completed: futures come out in completion order.
 *
 * Concurrency protocol. Each entry embeds the done callback node it
 * registers on its future (future_int.h), so completion allocates nothing.
 * [W1] completion: the callback pushes its entry on ws->stack, a Treiber
 *      stack (seq_cst CAS; the node's link written before it). Push-only,
 *      and the consumer takes the whole stack at once, so there is no ABA.
 * [W2] consume: the one consumer exchanges the stack for NULL (acquire,
 *      pairs with [W1]) and reverses the batch into its private FIFO. Every
 *      entry of a batch was pushed before every entry of a later batch, so
 *      the consumer sees exactly the push order: FIFO.
 * [W3] sleep/wake (Dekker): the consumer stores sleeping = 1, then reads
 *      seq, then re-reads the stack, all seq_cst; a producer pushes (seq_cst
 *      CAS) then reads sleeping (seq_cst). At least one sees the other: the
 *      producer that finds sleeping = 1 and exchanges it to 0 bumps seq
 *      (release) and wakes the futex; the consumer sleeps on the seq value
 *      it read before its re-check, so no wake-up is lost.
 * [W4] lifetime: refs = 1 (the owner, dropped by destroy) + 1 per entry
 *      whose callback has not finished. A callback touches ws only before
 *      its acq_rel decrement; whoever drops the last reference drains the
 *      stack and frees everything, so futures that complete after destroy
 *      never touch freed memory.
 * [W5] pending list (only for a waitset with a pool): entries in add
 *      order, linked by add_next (release store by the adder, acquire load
 *      by the consumer), so next() on a worker can run not-yet-started
 *      futures inline. The consumer frees an entry only once it has left
 *      both the FIFO and this list (holds, consumer-side only), and never
 *      leaves the last entry (add_next still NULL: the adder writes it).
 * counters: added is written by the adder (release) and read by the
 *      consumer (acquire) for -ENOENT; returned is the consumer's.
 */
#include <stdbool.h>
#include <stdint.h>

#include <weft/waitset.h>

#include "atomics.h"
#include "futex.h"
#include "future_int.h"
#include "internal.h"
#include "mutate.h"

struct entry {
    struct weft__cb_node node;        /* registered on f: ctx is the entry */
    struct entry *next;               /* [W1] stack link, then the FIFO's */
    _Atomic(struct entry *) add_next; /* [W5] */
    weft_future_t *f;                 /* the waitset's reference */
    uintptr_t tag;
    struct weft_waitset *ws;
    unsigned holds;      /* consumer-side: FIFO/stack side + list side */
    unsigned char tried; /* consumer-side: next() tried to run it inline */
};

struct weft_waitset {
    weft_pool_t *pool;
    /* Consumer-side. */
    struct entry *fifo;   /* oldest first */
    struct entry *pend;   /* [W5] cursor: oldest entry still listed */
    struct entry *tail;   /* adder-side: the newest listed entry */
    _Atomic size_t added; /* adder writes, consumer reads */
    _Atomic size_t returned;
    _Alignas(WEFT_CACHELINE) _Atomic(struct entry *) stack; /* [W1] */
    _Atomic(struct entry *) add_head;                       /* [W5] */
    _Alignas(WEFT_CACHELINE) _Atomic uint32_t sleeping;     /* [W3] */
    _Atomic uint32_t seq;                                   /* [W3] */
    _Alignas(WEFT_CACHELINE) _Atomic size_t refs;           /* [W4] */
};

/* Drop one consumer-side hold on e: the last frees it. */
static void
entry_unhold(struct entry *e)
{
    if (--e->holds == 0)
        weft__free(e);
}

/* [W2] take the whole stack; returns it oldest first. */
static struct entry *
take_all(struct weft_waitset *ws)
{
    /* relaxed: a cheap emptiness test; the exchange below orders. */
    if (atomic_load_explicit(&ws->stack, memory_order_relaxed) == NULL)
        return NULL;
    /* [W2] acquire: pairs with [W1]'s CAS: links, tags and the future's
     * completion are visible. */
    struct entry *e =
        atomic_exchange_explicit(&ws->stack, NULL, memory_order_acquire);
    struct entry *rev = NULL;

    while (e != NULL) {
        struct entry *next = e->next;
        e->next = rev;
        rev = e;
        e = next;
    }
    return rev;
}

/* Release the futures of a list of completed entries and unhold them. */
static void
drop_list(struct entry *e)
{
    while (e != NULL) {
        struct entry *next = e->next;
        weft_future_release(e->f);
        entry_unhold(e);
        e = next;
    }
}

/* The last reference: nobody else can reach ws any more. */
static void
ws_free(struct weft_waitset *ws)
{
    drop_list(ws->fifo);
    drop_list(take_all(ws));
    weft__free(ws);
}

static void
ws_release(struct weft_waitset *ws)
{
    /* [W4] acq_rel: every callback's pushes happen-before the free. */
    if (atomic_fetch_sub_explicit(&ws->refs, 1, memory_order_acq_rel) == 1)
        ws_free(ws);
}

/* The done callback of an entry: [W1] push, [W3] wake, [W4] release. */
static void
entry_done(weft_future_t *f, void *ctx)
{
    struct entry *e = (struct entry *)ctx;
    struct weft_waitset *ws = e->ws;
    /* relaxed: the CAS validates it. */
    struct entry *head = atomic_load_explicit(&ws->stack, memory_order_relaxed);

    (void)f;
    do {
        e->next = head;
        /* [W1] seq_cst: publishes e (release, pairs with [W2]) and is the
         * store half of [W3]'s Dekker pair; relaxed on failure: retried.
         * MUTANT 61: relaxed; the consumer may read e before it lands. */
    } while (WEFT_MUTANT(61) ? !atomic_compare_exchange_weak_explicit(
                                   &ws->stack, &head, e, memory_order_relaxed,
                                   memory_order_relaxed)
                             : !atomic_compare_exchange_weak_explicit(
                                   &ws->stack, &head, e, memory_order_seq_cst,
                                   memory_order_relaxed));
    /* e may be consumed and freed from here on: only ws is used. */
    /* [W3] seq_cst: the load half of the producer's Dekker pair. */
    if (atomic_load_explicit(&ws->sleeping, memory_order_seq_cst) != 0 &&
        /* [W3] relaxed: only picks the one producer that wakes; the seq
         * bump below carries the ordering. */
        atomic_exchange_explicit(&ws->sleeping, 0, memory_order_relaxed) != 0) {
        /* [W3] release: pairs with the consumer's acquire load of seq. */
        atomic_fetch_add_explicit(&ws->seq, 1, memory_order_release);
        weft__futex_wake(&ws->seq, 1);
    }
    ws_release(ws);
}

WEFT_API int
weft_waitset_create(weft_pool_t *pool, weft_waitset_t **out)
{
    struct weft_waitset *ws;

    if (out == NULL)
        return -EINVAL;
    ws =
        (struct weft_waitset *)weft__aligned_alloc(WEFT_CACHELINE, sizeof(*ws));
    if (ws == NULL)
        return -ENOMEM;
    ws->pool = pool;
    ws->fifo = NULL;
    ws->pend = NULL;
    ws->tail = NULL;
    /* relaxed: not shared yet; the caller publishes ws. */
    atomic_store_explicit(&ws->added, 0, memory_order_relaxed);
    atomic_store_explicit(&ws->returned, 0, memory_order_relaxed);
    atomic_store_explicit(&ws->stack, NULL, memory_order_relaxed);
    atomic_store_explicit(&ws->add_head, NULL, memory_order_relaxed);
    atomic_store_explicit(&ws->sleeping, 0, memory_order_relaxed);
    atomic_store_explicit(&ws->seq, 0, memory_order_relaxed);
    atomic_store_explicit(&ws->refs, 1, memory_order_relaxed);
    *out = ws;
    return 0;
}

WEFT_API int
weft_waitset_add(weft_waitset_t *ws, weft_future_t *f, uintptr_t tag)
{
    struct entry *e;

    if (ws == NULL || f == NULL)
        return -EINVAL;
    e = (struct entry *)weft__malloc(sizeof(*e));
    if (e == NULL)
        return -ENOMEM;
    weft_future_retain(f);
    e->node.cb = entry_done;
    e->node.ctx = e;
    e->f = f;
    e->tag = tag;
    e->ws = ws;
    e->holds = ws->pool != NULL ? 2 : 1;
    e->tried = 0;
    /* relaxed: published by the release stores below. */
    atomic_store_explicit(&e->add_next, NULL, memory_order_relaxed);
    if (ws->pool != NULL) {
        /* [W5] release: e's fields before the consumer can walk to it. */
        if (ws->tail != NULL)
            atomic_store_explicit(&ws->tail->add_next, e, memory_order_release);
        else
            atomic_store_explicit(&ws->add_head, e, memory_order_release);
        ws->tail = e;
    }
    /* [W4] relaxed: the owner's reference keeps ws alive meanwhile. */
    atomic_fetch_add_explicit(&ws->refs, 1, memory_order_relaxed);
    /* release: counted before e can be consumed (the push chain orders it
     * too); pairs with next()'s acquire load for -ENOENT. */
    atomic_fetch_add_explicit(&ws->added, 1, memory_order_release);
    /* Already done (its own callbacks may still be running): queue it
     * now, so done futures come out in add order. */
    if (weft_future_done(f))
        entry_done(f, e);
    else
        weft__future_on_done_node(f, &e->node);
    return 0;
}

/*
 * [W5] walk the pending list from the cursor, at most budget steps.
 * keep: stop at the first entry whose future has not been tried and is not
 * done (next() may still run it inline); otherwise every entry leaves.
 * help (implies keep): run that entry's future inline instead, and return
 * true if it is now done (and so queued). Never unlinks the newest entry:
 * its add_next belongs to the adder.
 */
static bool
walk_pending(struct weft_waitset *ws, bool keep, bool help, unsigned budget)
{
    struct entry *e = ws->pend;

    if (e == NULL) {
        /* [W5] acquire: pairs with add()'s release store. */
        e = atomic_load_explicit(&ws->add_head, memory_order_acquire);
        if (e == NULL)
            return false;
        ws->pend = e;
    }
    while (budget-- > 0) {
        /* tried is also set once e is returned: e->f is then the
         * caller's, never touched again here. */
        if (keep && !e->tried && !weft_future_done(e->f)) {
            if (!help)
                break;
            e->tried = 1;
            /* On a worker this claims and runs f inline if nobody has
             * started it; otherwise it returns at once. */
            (void)weft_future_result(e->f, WEFT_DEADLINE_POLL, NULL);
            if (weft_future_done(e->f))
                return true;
        }
        /* [W5] acquire: pairs with add()'s release store. */
        struct entry *next =
            atomic_load_explicit(&e->add_next, memory_order_acquire);
        if (next == NULL)
            break;
        ws->pend = next;
        entry_unhold(e);
        e = next;
    }
    return false;
}

static bool
pop_fifo(struct weft_waitset *ws, weft_future_t **done, uintptr_t *tag)
{
    struct entry *e = ws->fifo;

    if (e == NULL) {
        e = take_all(ws);
        if (e == NULL)
            return false;
    }
    ws->fifo = e->next;
    *done = e->f; /* the waitset's reference passes to the caller */
    if (tag != NULL)
        *tag = e->tag;
    e->tried = 1; /* [W5] e->f is no longer ours */
    /* relaxed: a statistic for weft_waitset_pending(). */
    atomic_store_explicit(
        &ws->returned,
        atomic_load_explicit(&ws->returned, memory_order_relaxed) + 1,
        memory_order_relaxed);
    entry_unhold(e);
    return true;
}

WEFT_API int
weft_waitset_next(weft_waitset_t *ws, weft_deadline_t deadline,
                  weft_future_t **done, uintptr_t *tag)
{
    bool helper;
    unsigned spins = 0;

    if (ws == NULL || done == NULL)
        return -EINVAL;
    helper = ws->pool != NULL && weft_pool_current() == ws->pool;
    if (ws->pool != NULL) /* keeps the list short: O(1) per call */
        walk_pending(ws, helper, false, 2);
    for (;;) {
        if (pop_fifo(ws, done, tag))
            return 0;
        /* acquire: pairs with add()'s release increment. */
        if (atomic_load_explicit(&ws->returned, memory_order_relaxed) ==
            atomic_load_explicit(&ws->added, memory_order_acquire))
            return -ENOENT;
        if (deadline == WEFT_DEADLINE_POLL)
            return -ETIMEDOUT;
        if (helper && walk_pending(ws, true, true, UINT32_MAX)) {
            spins = 0;
            continue;
        }
        if (++spins < 64) {
            WEFT_CPU_RELAX();
            continue;
        }
        if (weft_now_ns() >= deadline)
            return -ETIMEDOUT;
        /* [W3] seq_cst: the store half of the consumer's Dekker pair. */
        atomic_store_explicit(&ws->sleeping, 1, memory_order_seq_cst);
        /* [W3] acquire: pairs with the producer's release bump. */
        uint32_t s = atomic_load_explicit(&ws->seq, memory_order_acquire);
        /* [W3] seq_cst: the load half of the consumer's Dekker pair. */
        if (atomic_load_explicit(&ws->stack, memory_order_seq_cst) == NULL)
            weft__futex_wait(&ws->seq, s, deadline);
        /* relaxed: a stale 1 only costs a producer a spurious wake. */
        atomic_store_explicit(&ws->sleeping, 0, memory_order_relaxed);
        spins = 32;
    }
}

WEFT_API size_t
weft_waitset_pending(const weft_waitset_t *ws)
{
    if (ws == NULL)
        return 0;
    /* relaxed: a snapshot. */
    return atomic_load_explicit(&ws->added, memory_order_relaxed) -
           atomic_load_explicit(&ws->returned, memory_order_relaxed);
}

WEFT_API void
weft_waitset_destroy(weft_waitset_t *ws)
{
    struct entry *e;

    if (ws == NULL)
        return;
    /* Completed entries first: their FIFO/stack hold. */
    drop_list(ws->fifo);
    ws->fifo = NULL;
    drop_list(take_all(ws));
    /* Then every list hold, the newest included (no more adds). */
    e = ws->pend;
    if (e == NULL)
        e = atomic_load_explicit(&ws->add_head, memory_order_acquire);
    while (e != NULL) {
        /* relaxed: the adder is this thread or ordered before destroy. */
        struct entry *next =
            atomic_load_explicit(&e->add_next, memory_order_relaxed);
        entry_unhold(e);
        e = next;
    }
    ws->pend = NULL;
    /* [W4] entries still pending are freed by the last callback. */
    ws_release(ws);
}
