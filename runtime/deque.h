/* SPDX-License-Identifier: MIT */
/*
 * deque.h - the per-worker Chase-Lev work-stealing deque (private).
 *
 * Concurrency protocol (Chase-Lev; C11 version of Le et al., PPoPP'13).
 * The owner pushes and pops at bottom; thieves steal at top; top only grows.
 * [D1] push: slot store, then release-store bottom        -> read by [D3]
 * [D2] pop:  store bottom; SC fence; load top             <-> [D3]
 * [D3] steal: acquire-load top; SC fence; acquire-load bottom; then the
 *      array (acquire, pairs with [D5]) and the slot
 * [D4] one element left: a seq_cst CAS on top picks the one winner between
 *      pop and steal; steals always CAS top.
 * [D5] grow: copy the live slots, release-store the new array; old arrays
 *      stay allocated until the deque is destroyed (a thief may still read
 *      one), so no reclamation scheme is needed.
 * Owner-only functions (push, pop) are inline; weft/pool.h repeats them
 * in weft_spawn_inline()/weft_sync_inline() (same edges, same labels).
 * [D6] push reads top (acquire, pairs with the thieves' CAS [D4]) only
 *      when bottom reaches limit = that top + capacity: below it, every
 *      slot it writes was freed before that acquire, so a slot is reused
 *      only after the thief that took it has read it. Mutants 1-3 (mutate.h)
 * re-introduce the classic bugs for the mutation check in CI: 1 = [D1] relaxed,
 * 2 = [D4] CAS skipped in pop, 3 = [D2] fence dropped.
 */
#ifndef WEFT_DEQUE_H
#define WEFT_DEQUE_H

#include <stdbool.h>
#include <stdint.h>

#include "atomics.h"
#include "internal.h"
#include "job.h"
#include "mutate.h"

struct weft__tslot; /* typed.c */

struct weft__dq_array {
    int64_t mask;
    struct weft__dq_array *retired; /* owner-only: older arrays */
    _Atomic(struct weft__job *) slot[];
};

/* Bits of the alert word: any one sends weft_spawn_inline() and
 * weft_sync_inline() (weft/pool.h) to the exported functions. */
enum {
    WEFT_ALERT_NOT_WORKER = 1, /* the "not a worker" record (scheduler.c) */
    WEFT_ALERT_TRACE = 2,      /* a trace buffer is attached (trace.c) */
    WEFT_ALERT_CTX = 4,        /* the thread has a context (context.c) */
    WEFT_ALERT_WAKE = 8,       /* some worker is idle (park.c, task.c) */
    WEFT_ALERT_SPLIT = 16,     /* a thief asks for typed tasks (typed.c) */
    WEFT_ALERT_TYPED_OVF = 32  /* owner: typed spawns overflowed (typed.c) */
};

/* The head of a worker (weft/pool.h mirrors it as weft_worker_layout for
 * the inline spawn/sync; offsets asserted in deque.c). */
struct weft__deque {
    /* Thieves write top; the owner writes bottom: separate lines. */
    _Alignas(WEFT_PAD_ALIGN) _Atomic int64_t top;
    _Alignas(WEFT_PAD_ALIGN) _Atomic int64_t bottom;
    /* Set and cleared with RMWs by the owner and others (bits above);
     * the fast paths read it relaxed. */
    _Atomic uint64_t alert;
    int64_t limit; /* owner-only: push without reading top while b < limit */
    int64_t mask;  /* owner-only: array->mask */
    _Atomic(struct weft__job *) *slot; /* owner-only: array->slot */
    weft__exec_fn exec;                /* task.c's runner (inline spawn) */
    _Atomic uint64_t spawned;          /* owner-written statistic */
    /* The typed deque's owner-only pointers (typed.c). */
    struct weft__tslot *tt_head, *tt_split, *tt_lim;
    _Atomic(struct weft__dq_array *) array;
};

/* Results of a steal attempt. */
enum weft__steal { WEFT_STEAL_OK, WEFT_STEAL_EMPTY, WEFT_STEAL_LOST };

int weft__deque_init(struct weft__deque *dq, unsigned log2_slots);
void weft__deque_fini(struct weft__deque *dq);
/* Owner-only slow path: double the array. NULL on allocation failure. */
struct weft__dq_array *weft__deque_grow(struct weft__deque *dq,
                                        struct weft__dq_array *a, int64_t t,
                                        int64_t b);
/* Owner-only slow path of push: make room for index b (re-read top, grow
 * if full) and refresh limit. false only when the array cannot grow. */
bool weft__deque_reserve(struct weft__deque *dq, int64_t b);
/* Thieves: take the oldest job whose index is >= min (0: any). */
enum weft__steal weft__deque_steal(struct weft__deque *dq, int64_t min,
                                   struct weft__job **out);

/* Owner-only: push a job. false only when the array cannot grow. */
static inline bool
weft__deque_push(struct weft__deque *dq, struct weft__job *job)
{
    /* relaxed: only the owner writes bottom. */
    int64_t b = atomic_load_explicit(&dq->bottom, memory_order_relaxed);

    if (weft_unlikely(b >= dq->limit) && !weft__deque_reserve(dq, b))
        return false;
    /* relaxed: published by the release store of bottom below. */
    atomic_store_explicit(&dq->slot[b & dq->mask], job, memory_order_relaxed);
    WEFT_CHAOS_POINT();
    if (WEFT_MUTANT(1)) {
        /* MUTANT 1: [D1] weakened; a thief may read a stale slot. */
        atomic_store_explicit(&dq->bottom, b + 1, memory_order_relaxed);
    } else {
        /* [D1] release: the slot and the job's fields before bottom; pairs
         * with the acquire load of bottom in steal [D3]. */
        atomic_store_explicit(&dq->bottom, b + 1, memory_order_release);
    }
    return true;
}

/* Owner-only: take the newest job, or NULL when the deque is empty. */
static inline struct weft__job *
weft__deque_pop(struct weft__deque *dq)
{
    /* relaxed: only the owner writes bottom and array. */
    int64_t b = atomic_load_explicit(&dq->bottom, memory_order_relaxed) - 1;
    struct weft__job *job;
    int64_t t;

    /* [D2] relaxed (seq_cst under TSan): ordered by the fence below. */
    atomic_store_explicit(&dq->bottom, b, WEFT_MO_FENCED(memory_order_relaxed));
    WEFT_CHAOS_POINT();
    /* [D2] the store of bottom must be visible before top is read, or a
     * thief and the owner can both take the last job. Pairs with [D3].
     * MUTANT 3: the fence dropped. */
    if (!WEFT_MUTANT(3))
        WEFT_FENCE_SC();
    /* [D2] relaxed (seq_cst under TSan): ordered by the fence above. */
    t = atomic_load_explicit(&dq->top, WEFT_MO_FENCED(memory_order_relaxed));
    if (weft_likely(t < b)) {
        /* relaxed: more than one job left, no thief can reach slot b. */
        return atomic_load_explicit(&dq->slot[b & dq->mask],
                                    memory_order_relaxed);
    }
    if (t == b) {
        /* relaxed: the CAS below decides who owns it. */
        job =
            atomic_load_explicit(&dq->slot[b & dq->mask], memory_order_relaxed);
        WEFT_CHAOS_POINT();
        /* [D4] seq_cst: the one winner between this pop and a steal.
         * MUTANT 2: the CAS skipped; a thief may take the job too. */
        if (WEFT_MUTANT(2))
            atomic_store_explicit(&dq->top, t + 1, memory_order_relaxed);
        else if (!atomic_compare_exchange_strong_explicit(&dq->top, &t, t + 1,
                                                          memory_order_seq_cst,
                                                          memory_order_relaxed))
            job = NULL;
        /* relaxed: the deque is empty either way; owner-only. */
        atomic_store_explicit(&dq->bottom, b + 1, memory_order_relaxed);
        return job;
    }
    /* Empty: restore bottom (relaxed: owner-only, nothing published). */
    atomic_store_explicit(&dq->bottom, b + 1, memory_order_relaxed);
    return NULL;
}

/* A racy emptiness hint for the idle path (relaxed: only a hint, the
 * sleep/wake handshake in park.c does the real ordering). */
static inline bool
weft__deque_maybe_nonempty(struct weft__deque *dq)
{
    int64_t t = atomic_load_explicit(&dq->top, memory_order_relaxed);
    int64_t b = atomic_load_explicit(&dq->bottom, memory_order_relaxed);
    return b > t;
}

/* Owner-only: the index the next push will use (for "spawned under"). */
static inline int64_t
weft__deque_bottom(struct weft__deque *dq)
{
    /* relaxed: only the owner writes bottom. */
    return atomic_load_explicit(&dq->bottom, memory_order_relaxed);
}

#endif /* WEFT_DEQUE_H */
