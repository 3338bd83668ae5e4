/* SPDX-License-Identifier: MIT */
/*
 * waitset.c - as_completed: futures come out in completion order.
 *
 * Concurrency protocol. Each entry embeds the done callback node it
 * registers on its future (future_int.h), so completion allocates nothing;
 * an entry is one 64-byte line from the futures' per-thread cache (see
 * "memory" below).
 * ws->stack is one word: NULL, a Treiber stack of completed entries,
 * SLEEPING (the consumer is about to sleep) or DEAD(k) (destroyed, k
 * callbacks still to come). A completion costs one CAS on it, nothing else.
 * [W1] completion: the callback pushes its entry (release CAS; the link,
 *      node.next, written before it: the node is ours once its callback
 *      has started, future_int.h). Push-only, and the consumer takes the whole
 *      stack at once, so there is no ABA. After its CAS the callback never
 *      reads e or ws again (only futex-wakes an address, below).
 * [W2] consume: the one consumer exchanges the stack for NULL (acquire,
 *      pairs with [W1]) and reverses the batch into its private FIFO. Every
 *      entry of a batch was pushed before every entry of a later batch, so
 *      the consumer sees exactly the push order: FIFO.
 * [W3] sleep/wake: the consumer reads seq, then CASes NULL -> SLEEPING
 *      (release), then futex-waits on seq with the value it read. A
 *      producer that finds SLEEPING (acquire, so the consumer's read of seq
 *      happened before) bumps seq before its push CAS and wakes the futex
 *      after it, if its CAS replaced SLEEPING. The wake may reach ws after
 *      the consumer freed it: a futex wake on a stale address is at worst a
 *      spurious wake-up (glibc's sem_post makes the same bargain), and the
 *      callback reads no memory there.
 * [W4] lifetime: destroy() swaps the stack for DEAD(k), k = 1 + entries
 *      added but never pushed (acq_rel CAS: acquires the batch it drops,
 *      releases its own writes); the 1 is destroy's own hold while it
 *      finishes. A later callback finds DEAD, drops its future and
 *      decrements k (acq_rel CAS), and so does destroy when done; whoever
 *      reaches 0 frees the waitset, and every earlier decrement
 *      happens-before that free. No per-entry reference count on ws.
 *      Destroy first gives up every [W5] list hold, so an entry still to
 *      complete holds only its stack side: its DEAD callback frees it.
 * [W5] pending list (only for a waitset with a pool): entries in add
 *      order, linked by add_next (release store by the adder, acquire load
 *      by the consumer), so next() on a worker can run not-yet-started
 *      futures inline. The consumer recycles an entry only once it has left
 *      both the FIFO and this list (holds, consumer-side only), and never
 *      leaves the last entry (add_next still NULL: the adder writes it).
 * [W6] memory: entries come from the per-thread object cache of futures
 *      (fcache.h: a pop from the thread's free list or a bump, no malloc,
 *      huge-page chunks) and go back to it, on whichever thread drops the
 *      last hold (the consumer, or a DEAD callback, [W4]): an entry's
 *      memory is reused at once, and the chunks are shared with futures
 *      across waitsets (fcache.c's [C1]/[C2] order the reuse).
 * [W7] references: add() takes none. Until f completes, its completer
 *      keeps it alive (whoever runs f's callbacks holds a reference,
 *      future_int.h); the callback then takes the waitset's own reference
 *      (relaxed increment, published to the consumer by the [W1] push, or
 *      dropped at once by a [W4] DEAD callback). So add() and the caller's
 *      release after it cost one atomic RMW on f's line, not two, and
 *      [W5] may read e->f of an entry not yet returned: f is then alive
 *      through its completer or the waitset's reference.
 * [W8] fused submit (weft_waitset_submit()): the entry's node is made f's
 *      only done callback while f is still private (future_int.h's
 *      weft__future_new_node(): plain stores, CBS preset), so no [F3]
 *      announce or push CAS can meet a worker on f's line; the entry is
 *      counted in added (release) before the publish, which may complete
 *      f at once, and listed ([W5]) after it (its holds are preset, and
 *      the walker never unlinks the newest entry). The submitter's
 *      reference is the waitset's from the start: its callback takes none.
 *      A refused publish (the pool's -ENOMEM/-ESHUTDOWN) frees f and e,
 *      never reachable, and undoes the count: a seq_cst fence after that
 *      store, and one in ws_sleep() after setting SLEEPING before it
 *      re-reads added, so either the consumer sees the undone count or
 *      the adder sees SLEEPING and wakes it ([W3]'s seq bump).
 * counters: added is written by the one adder (release) and read by the
 *      consumer (acquire) for -ENOENT; taken and returned are the
 *      consumer's (returned is atomic only for weft_waitset_pending()).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <weft/waitset.h>

#include "atomics.h"
#include "fcache.h"
#include "futex.h"
#include "future_int.h"
#include "internal.h"
#include "mutate.h"

#define SLEEPING      ((uintptr_t)1)
#define DEAD_BIT      ((uintptr_t)2)
#define DEAD(k)       (((uintptr_t)(k) << 2) | DEAD_BIT)
#define DEAD_COUNT(w) ((size_t)((w) >> 2))
#define DEAD_ONE      ((uintptr_t)4)

/* A batch of more entries than this (256 KiB of them) no longer fits in
 * L2 once reversed: its newer entries, reversed first, are cold again by
 * the time they are served, so next() prefetches ahead (a smaller batch is
 * still cached: no prefetch, no cost). */
#define COLD_BATCH 4096

/* take_all()'s prefetch distance, in entries (see there). */
#define REV_AHEAD 16

/* node.next: [W1] stack, then FIFO (once the callback has started).
 * node.owner[HOLDS]: consumer-side, FIFO/stack side + list side;
 * node.owner[TRIED]: consumer-side, next() tried to run it inline. */
enum { HOLDS = 0, TRIED = 1 };

struct entry {
    struct weft__cb_node node;        /* registered on f: ctx is the entry */
    _Atomic(struct entry *) add_next; /* [W5] */
    weft_future_t *f;                 /* the waitset's reference */
    uintptr_t tag;
    struct weft_waitset *ws;
};

/* The stack word's tags live in the low bits of entry pointers. */
_Static_assert(_Alignof(struct entry) >= 4, "stack tags need 2 free bits");
_Static_assert(sizeof(struct entry) <= WEFT_FCACHE_OBJ,
               "an entry is a cache object ([W6])");

#define E_NEXT(e) ((struct entry *)(void *)(e)->node.next) /* node first */
_Static_assert(offsetof(struct entry, node) == 0, "node first");

struct weft_waitset {
    weft_pool_t *pool;
    /* Consumer-side. */
    struct entry *fifo;      /* oldest first */
    bool cold;               /* the FIFO came from a batch past COLD_BATCH */
    struct entry *pend;      /* [W5] cursor: oldest entry still listed */
    size_t taken;            /* entries taken off the stack */
    _Atomic size_t returned; /* written by the consumer only */
    /* Adder-side. */
    _Alignas(WEFT_CACHELINE) struct entry *tail; /* [W5] the newest listed */
    _Atomic size_t added;                        /* written by the adder only */
    _Atomic(struct entry *) add_head;            /* [W5] */
    _Alignas(WEFT_CACHELINE) _Atomic uintptr_t stack; /* [W1] */
    _Atomic uint32_t seq;                             /* [W3] */
};

/* [W4] the last reference: nobody can reach ws any more. */
static void
ws_free(struct weft_waitset *ws)
{
    weft__free(ws);
}

/* [W6] drop one hold on e; the last gives e back to the cache. */
static inline void
entry_unhold(struct entry *e)
{
    if (--e->node.owner[HOLDS] == 0)
        weft__fcache_free(e);
}

/* [W2] take the whole stack; returns it oldest first. */
static struct entry *
take_all(struct weft_waitset *ws)
{
    /* relaxed: a cheap emptiness test; the exchange below orders. */
    uintptr_t w = atomic_load_explicit(&ws->stack, memory_order_relaxed);
    struct entry *rev = NULL;

    if (w == 0 || w == SLEEPING)
        return NULL;
    /* [W2] acquire: pairs with [W1]'s CAS: links, tags and the future's
     * completion are visible. */
    struct entry *e = (struct entry *)atomic_exchange_explicit(
        &ws->stack, 0, memory_order_acquire);
    size_t k = 0;
    while (e != NULL) {
        struct entry *next = E_NEXT(e);
        /* A guess, not a read: entries come from the adder's cache in add
         * order, one future between two entries ([W6]), and complete
         * roughly in that order, so the entry pushed REV_AHEAD before e
         * is likely REV_AHEAD such strides below it. A prefetch never
         * faults; a wrong guess costs one useless line fetch. It breaks
         * the chain's one-miss-at-a-time latency on a cold batch. */
        __builtin_prefetch((const char *)e - REV_AHEAD * 2 * WEFT_FCACHE_OBJ, 1,
                           3);
        e->node.next = (struct weft__cb_node *)(void *)rev; /* node first */
        rev = e;
        e = next;
        k++;
    }
    ws->taken += k;
    ws->cold = k > COLD_BATCH;
    return rev;
}

/* Release the futures of a list of completed entries and unhold them. */
static void
drop_list(struct entry *e)
{
    while (e != NULL) {
        struct entry *next = E_NEXT(e);
        weft_future_release(e->f);
        entry_unhold(e);
        e = next;
    }
}

/* [W4] count one party out of a destroyed waitset; the last frees it. */
static void
dead_put(struct weft_waitset *ws, uintptr_t w)
{
    /* [W4] acq_rel: acquires destroy's release and every earlier
     * decrement; releases ours to whoever frees; acquire on failure too. */
    while (!atomic_compare_exchange_weak_explicit(&ws->stack, &w, w - DEAD_ONE,
                                                  memory_order_acq_rel,
                                                  memory_order_acquire))
        ;
    if (DEAD_COUNT(w) == 1)
        ws_free(ws);
}

/* An entry's completion: [W1] push and [W3] wake, or [W4]. The waitset
 * already holds its reference to e->f ([W7]). */
static inline __attribute__((always_inline)) void
entry_push(struct entry *e)
{
    struct weft_waitset *ws = e->ws;
    /* [W3] acquire: a SLEEPING seen here orders the consumer's read of seq
     * before our bump; DEAD: pairs with destroy's release. */
    uintptr_t w = atomic_load_explicit(&ws->stack, memory_order_acquire);

    for (;;) {
        if (w & DEAD_BIT) { /* [W4] destroyed: drop f and e, count out */
            weft_future_release(e->f);
            /* Destroy gave up the list hold before DEAD: ours is the last
             * (the acquire above orders its write of holds). */
            WEFT_ASSERT(e->node.owner[HOLDS] == 1);
            /* MUTANT 62: [W6] the entry is never given back (a leak per
             * completion after destroy). */
            if (!WEFT_MUTANT(62))
                weft__fcache_free(e);
            dead_put(ws, w);
            return;
        }
        if (w == SLEEPING)
            /* [W3] relaxed: ordered after the consumer's read of seq by
             * the acquire above; the futex re-checks the value. */
            atomic_fetch_add_explicit(&ws->seq, 1, memory_order_relaxed);
        e->node.next = w == SLEEPING ? NULL : (struct weft__cb_node *)w;
        WEFT_CHAOS_POINT();
        /* [W1] release: publishes e, pairs with [W2]; acquire on failure,
         * for the SLEEPING and DEAD cases above.
         * MUTANT 61: relaxed; the consumer may read e before it lands. */
        if (WEFT_MUTANT(61) ? atomic_compare_exchange_weak_explicit(
                                  &ws->stack, &w, (uintptr_t)e,
                                  memory_order_relaxed, memory_order_relaxed)
                            : atomic_compare_exchange_weak_explicit(
                                  &ws->stack, &w, (uintptr_t)e,
                                  memory_order_release, memory_order_acquire))
            break;
    }
    /* e and ws may be freed from here on: only the address is used. */
    if (w == SLEEPING)
        weft__futex_wake(&ws->seq, 1);
}

/* The done callback of an add()ed entry. */
static void
entry_done(weft_future_t *f, void *ctx)
{
    /* [W7] the waitset's reference, taken here on the completing thread
     * (f's line is local to it), not by add() on the consumer's. A
     * relaxed increment (weft_future_retain()): the completer holds a
     * reference (future_int.h); the push publishes the count. */
    (void)weft_future_retain(f);
    entry_push((struct entry *)ctx);
}

/* The done callback of a submit()ted entry: the waitset has held its
 * reference since submit ([W8]). */
static void
entry_done_owned(weft_future_t *f, void *ctx)
{
    (void)f;
    entry_push((struct entry *)ctx);
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
    ws->cold = false;
    ws->pend = NULL;
    ws->taken = 0;
    ws->tail = NULL;
    /* relaxed: not shared yet; the caller publishes ws. */
    atomic_store_explicit(&ws->returned, 0, memory_order_relaxed);
    atomic_store_explicit(&ws->added, 0, memory_order_relaxed);
    atomic_store_explicit(&ws->add_head, NULL, memory_order_relaxed);
    atomic_store_explicit(&ws->stack, 0, memory_order_relaxed);
    atomic_store_explicit(&ws->seq, 0, memory_order_relaxed);
    *out = ws;
    return 0;
}

/* [W5] list e (the newest entry) for next()'s inline runs. */
static inline void
list_entry(struct weft_waitset *ws, struct entry *e)
{
    /* [W5] release: e's fields before the consumer can walk to it. */
    if (ws->tail != NULL)
        atomic_store_explicit(&ws->tail->add_next, e, memory_order_release);
    else
        atomic_store_explicit(&ws->add_head, e, memory_order_release);
    ws->tail = e;
}

/* The adder's count (only the adder writes it). */
static inline void
count_added(struct weft_waitset *ws, size_t delta)
{
    /* release: counted before e can be consumed (the push chain orders it
     * too); pairs with next()'s acquire load for -ENOENT. */
    atomic_store_explicit(
        &ws->added,
        atomic_load_explicit(&ws->added, memory_order_relaxed) + delta,
        memory_order_release);
}

WEFT_API int
weft_waitset_add(weft_waitset_t *ws, weft_future_t *f, uintptr_t tag)
{
    struct entry *e;

    if (ws == NULL || f == NULL)
        return -EINVAL;
    e = (struct entry *)weft__fcache_alloc(WEFT_FCACHE_OBJ); /* [W6] */
    if (e == NULL)
        return -ENOMEM;
    e->node.cb = entry_done;
    e->node.ctx = e;
    e->f = f;
    e->tag = tag;
    e->ws = ws;
    e->node.owner[HOLDS] = ws->pool != NULL ? 2 : 1;
    e->node.owner[TRIED] = 0;
    /* relaxed: published by the release stores below. */
    atomic_store_explicit(&e->add_next, NULL, memory_order_relaxed);
    if (ws->pool != NULL)
        list_entry(ws, e);
    count_added(ws, 1);
    /* The callback (which takes the waitset's reference, [W7]): already
     * done (its own callbacks may still be running), entry_done() runs here
     * and now, so done futures come out in add order. */
    weft__future_on_done_node(f, &e->node);
    return 0;
}

/* [W8] undo the count of an entry whose future was refused: next() may
 * have gone to sleep waiting for it; make it see -ENOENT. */
static __attribute__((noinline)) void
uncount_added(struct weft_waitset *ws)
{
    count_added(ws, (size_t)-1);
    /* [W8] seq_cst: pairs with ws_sleep()'s fence (store-load on both
     * sides): either the consumer re-reads added after setting SLEEPING
     * and sees our store, or we see its SLEEPING here and wake it. */
    atomic_thread_fence(memory_order_seq_cst);
    /* relaxed: ordered by the fence above. */
    if (atomic_load_explicit(&ws->stack, memory_order_relaxed) == SLEEPING) {
        /* [W3] relaxed: the futex re-checks the value; the consumer takes
         * SLEEPING back itself once awake. */
        atomic_fetch_add_explicit(&ws->seq, 1, memory_order_relaxed);
        weft__futex_wake(&ws->seq, 1);
    }
}

WEFT_API int
weft_waitset_submit(weft_waitset_t *ws, weft_pool_t *pool, weft_fn fn,
                    void *arg, uintptr_t tag)
{
    struct entry *e;
    weft_future_t *f;
    int rc;

    if (ws == NULL || pool == NULL || fn == NULL)
        return -EINVAL;
    e = (struct entry *)weft__fcache_alloc(WEFT_FCACHE_OBJ); /* [W6] */
    if (e == NULL)
        return -ENOMEM;
    e->node.cb = entry_done_owned;
    e->node.ctx = e;
    /* [W8] the node is f's only callback before f is published. */
    f = weft__future_new_node(fn, arg, &e->node);
    if (f == NULL) {
        weft__fcache_free(e);
        return -ENOMEM;
    }
    e->f = f; /* [W8] the submitter's reference becomes the waitset's */
    e->tag = tag;
    e->ws = ws;
    e->node.owner[HOLDS] = ws->pool != NULL ? 2 : 1;
    e->node.owner[TRIED] = 0;
    /* relaxed: published by list_entry()'s release store. */
    atomic_store_explicit(&e->add_next, NULL, memory_order_relaxed);
    /* [W8] counted before the publish below, which may complete f. */
    count_added(ws, 1);
    /* The publish (a release push) orders e's fields before the worker
     * that runs f, and so before entry_push(). */
    rc = weft__future_publish(pool, f);
    if (weft_unlikely(rc != 0)) {
        /* f was freed unpublished; e was never reachable. */
        weft__fcache_free(e);
        uncount_added(ws);
        return rc;
    }
    if (ws->pool != NULL)
        list_entry(ws, e); /* after the publish: holds preset ([W8]) */
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
        if (keep && !e->node.owner[TRIED] && !weft_future_done(e->f)) {
            if (!help)
                break;
            e->node.owner[TRIED] = 1;
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

/* Return e, the head of the FIFO, to the caller. */
static inline __attribute__((always_inline)) void
pop_entry(struct weft_waitset *ws, struct entry *e, weft_future_t **done,
          uintptr_t *tag)
{
    struct entry *n = E_NEXT(e);

    ws->fifo = n;
    if (ws->cold && n != NULL) {
        /* A batch larger than the cache is cold again by the time it is
         * served: fetch the line of the entry after next, and the future
         * next() returns next time (n's line was fetched one call ago). */
        struct entry *n2 = E_NEXT(n);
        if (n2 != NULL)
            __builtin_prefetch(n2, 0, 3);
        __builtin_prefetch(n->f, 0, 3);
    }
    *done = e->f; /* the waitset's reference passes to the caller */
    if (tag != NULL)
        *tag = e->tag;
    e->node.owner[TRIED] = 1; /* [W5] e->f is no longer ours */
    /* relaxed: only this thread writes it; a statistic for pending(). */
    atomic_store_explicit(
        &ws->returned,
        atomic_load_explicit(&ws->returned, memory_order_relaxed) + 1,
        memory_order_relaxed);
    entry_unhold(e);
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
    pop_entry(ws, e, done, tag);
    return true;
}

/* [W3] sleep until a push or the deadline. */
static void
ws_sleep(struct weft_waitset *ws, weft_deadline_t deadline)
{
    uintptr_t w = 0;
    /* [W3] relaxed: ordered before the CAS below, which releases it. */
    uint32_t s = atomic_load_explicit(&ws->seq, memory_order_relaxed);

    /* [W3] release: our read of seq before a producer sees SLEEPING;
     * relaxed on failure: the stack is not empty, no sleep. */
    if (!atomic_compare_exchange_strong_explicit(&ws->stack, &w, SLEEPING,
                                                 memory_order_release,
                                                 memory_order_relaxed))
        return;
    /* [W8] seq_cst: pairs with uncount_added()'s fence: a count undone
     * before it is seen by the load below (then no sleep: -ENOENT). */
    atomic_thread_fence(memory_order_seq_cst);
    WEFT_CHAOS_POINT();
    /* relaxed: ordered by the fence above. */
    if (atomic_load_explicit(&ws->returned, memory_order_relaxed) !=
        atomic_load_explicit(&ws->added, memory_order_relaxed))
        weft__futex_wait(&ws->seq, s, deadline);
    w = SLEEPING;
    /* relaxed: take SLEEPING back if no producer replaced it; a replaced
     * one leaves entries that take_all() acquires. */
    atomic_compare_exchange_strong_explicit(
        &ws->stack, &w, 0, memory_order_relaxed, memory_order_relaxed);
}

/* next() past its fast path: a pool waitset, or an empty FIFO. */
static __attribute__((noinline)) int
next_slow(struct weft_waitset *ws, weft_deadline_t deadline,
          weft_future_t **done, uintptr_t *tag)
{
    bool helper;
    unsigned spins = 0;

    helper = ws->pool != NULL && weft_pool_current() == ws->pool;
    if (ws->pool != NULL) /* keeps the list short: O(1) per call */
        walk_pending(ws, helper, false, 2);
    for (;;) {
        if (pop_fifo(ws, done, tag))
            return 0;
        /* acquire: pairs with add()'s release store. */
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
        ws_sleep(ws, deadline);
        spins = 32;
    }
}

WEFT_API int
weft_waitset_next(weft_waitset_t *ws, weft_deadline_t deadline,
                  weft_future_t **done, uintptr_t *tag)
{
    if (weft_unlikely(ws == NULL || done == NULL))
        return -EINVAL;
    /* The common case: a waitset without a pool (no [W5] list to walk)
     * with completed entries already in the FIFO. */
    if (weft_likely(ws->pool == NULL && ws->fifo != NULL)) {
        pop_entry(ws, ws->fifo, done, tag);
        return 0;
    }
    return next_slow(ws, deadline, done, tag);
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

/* destroy: give up the [W5] list hold of every listed entry, the newest
 * included (no more adds). */
static void
unhold_list(struct weft_waitset *ws)
{
    struct entry *e = ws->pend;

    if (e == NULL)
        /* relaxed: the adder is this thread or ordered before destroy. */
        e = atomic_load_explicit(&ws->add_head, memory_order_relaxed);
    while (e != NULL) {
        /* relaxed: the adder is this thread or ordered before destroy. */
        struct entry *next =
            atomic_load_explicit(&e->add_next, memory_order_relaxed);
        entry_unhold(e);
        e = next;
    }
}

WEFT_API void
weft_waitset_destroy(weft_waitset_t *ws)
{
    struct entry *e;
    size_t unpushed;
    uintptr_t w;

    if (ws == NULL)
        return;
    /* Completed entries first: their FIFO/stack hold. */
    drop_list(ws->fifo);
    ws->fifo = NULL;
    /* Then every [W5] list hold, before DEAD ([W4]): an entry still to
     * complete keeps its stack hold only, which its DEAD callback (or the
     * stack drop below) gives up. */
    unhold_list(ws);
    /* [W4] acquire: the pushed batch, as in [W2]. */
    w = atomic_load_explicit(&ws->stack, memory_order_acquire);
    do {
        /* Callbacks still to come, plus destroy's own hold on ws. */
        unpushed = atomic_load_explicit(&ws->added, memory_order_relaxed) -
                   ws->taken + 1;
        for (e = (struct entry *)w; e != NULL; e = E_NEXT(e))
            unpushed--;
        /* [W4] acq_rel: releases our writes (the list holds given up) to
         * the callbacks still to come, acquires the batch we replace;
         * acquire on failure: a new push to count. */
    } while (!atomic_compare_exchange_weak_explicit(
        &ws->stack, &w, DEAD(unpushed), memory_order_acq_rel,
        memory_order_acquire));
    drop_list((struct entry *)w); /* any order will do */
    /* [W4] destroy's own hold: ws stays ours until here. acquire: the
     * current count (callbacks may have counted out meanwhile). */
    dead_put(ws, atomic_load_explicit(&ws->stack, memory_order_acquire));
}
