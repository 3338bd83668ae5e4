/* SPDX-License-Identifier: MIT */
/*
 * park.c - idle workers sleep on a futex; producers wake one.
 *
 * Concurrency protocol (a Dekker handshake, so no wake-up is lost):
 * [P1] sleeper: set its idle bit (seq_cst RMW); heavy asymmetric fence
 *      (asym.h); re-check for work and for EXIT; sleep only if none.
 * [W1] producer (lane.c): publish the job; light asymmetric fence; read
 *      nidle; if nonzero claim an idle bit. Either the producer sees the
 *      bit, or the sleeper sees the job.
 * [P2] exactly one party clears a given bit (CAS / fetch_and): the waker
 *      that clears it stores parked = 0 (release) and wakes the futex; a
 *      sleeper that clears its own bit simply does not sleep. nidle counts
 *      set bits and is changed only by whoever set or cleared one.
 * Deque pushes check nidle with a relaxed load (worker.h): their owner
 * always reaches them, so a missed wake-up there delays, never loses, work.
 */
#include <limits.h>
#include <sched.h>

#include "asym.h"
#include "futex.h"
#include "mutate.h"
#include "rcu.h"
#include "worker.h"

bool
weft__work_visible(struct weft_pool *pool)
{
    for (unsigned i = 0; i < pool->nworkers; i++)
        if (weft__deque_maybe_nonempty(&pool->workers[i].dq))
            return true;
    return weft__lanes_nonempty(pool);
}

static void
wake_worker(struct weft_pool *pool, unsigned id)
{
    struct weft__worker *w = &pool->workers[id];

    /* relaxed: a count of set bits; [P2] made this caller the one to
     * change it. */
    atomic_fetch_sub_explicit(&pool->nidle, 1, memory_order_relaxed);
    WEFT_CHAOS_POINT();
    /* [P2] release: pairs with the acquire load in weft__park(). */
    atomic_store_explicit(&w->parked, 0, memory_order_release);
    weft__futex_wake(&w->parked, 1);
}

void
weft__park(struct weft__worker *self)
{
    struct weft_pool *pool = self->pool;
    _Atomic uint64_t *word = &pool->idle[self->id / 64];
    uint64_t bit = UINT64_C(1) << (self->id % 64);
    weft_deadline_t deadline;

    /* relaxed: only this thread sets parked to 1; read by nobody else. */
    atomic_store_explicit(&self->parked, 1, memory_order_relaxed);
    /* [P1] seq_cst: the bit before the re-check below. */
    atomic_fetch_or_explicit(word, bit, memory_order_seq_cst);
    /* relaxed: a count; the fence below orders it with the re-check. */
    atomic_fetch_add_explicit(&pool->nidle, 1, memory_order_relaxed);
    weft__alert_idle(pool); /* the inline spawns look out for us */
    WEFT_CHAOS_POINT();
    /* [P1] pairs with [W1]: our bit is visible before we look for work. */
    weft__asym_heavy();
    /* acquire: pairs with the store of EXIT in pool_stop().
     * MUTANT 51: [P1] no re-check for work: a job pushed before our bit
     * was set is seen by nobody (a lost wake-up). */
    if (atomic_load_explicit(&pool->state, memory_order_acquire) ==
            WEFT_POOL_EXIT ||
        (!WEFT_MUTANT(51) && weft__work_visible(pool))) {
        /* [P2] seq_cst: whoever clears the bit owns the wake-up. */
        if (atomic_fetch_and_explicit(word, ~bit, memory_order_seq_cst) & bit) {
            /* relaxed: we cleared our own bit, see [P2]. */
            atomic_fetch_sub_explicit(&pool->nidle, 1, memory_order_relaxed);
            return;
        }
        /* A waker cleared it first and will store parked = 0. */
    }
    WEFT_CHAOS_POINT();
    /* Asleep, a worker must not hold up RCU grace periods. */
    weft__rcu_worker_offline();
    weft__stat_add(&self->stats, WEFT_ST_PARKS, 1);
    weft__trace(&self->trace, WEFT_EV_PARK, 0, 0);
    deadline = pool->park_timeout_ns ? weft_deadline_in(pool->park_timeout_ns)
                                     : WEFT_DEADLINE_NEVER;
    /* [P2] acquire: pairs with the release store in wake_worker(). */
    while (atomic_load_explicit(&self->parked, memory_order_acquire) != 0) {
        if (weft__futex_wait(&self->parked, 1, deadline) != -ETIMEDOUT)
            continue;
        /* Timed out: take our bit back, unless a waker just did ([P2]). */
        if (atomic_fetch_and_explicit(word, ~bit, memory_order_seq_cst) & bit) {
            /* relaxed: we cleared our own bit, see [P2]. */
            atomic_fetch_sub_explicit(&pool->nidle, 1, memory_order_relaxed);
            break;
        }
        deadline = WEFT_DEADLINE_NEVER; /* the waker is on its way */
    }
    weft__rcu_worker_online();
    weft__stat_add(&self->stats, WEFT_ST_WAKEUPS, 1);
    weft__trace(&self->trace, WEFT_EV_UNPARK, 0, 0);
    self->woke = true;
}

void
weft__wake_one(struct weft_pool *pool)
{
    unsigned words = (pool->nworkers + 63) / 64;

    for (unsigned i = 0; i < words; i++) {
        /* relaxed: the CAS below validates the value. */
        uint64_t m = atomic_load_explicit(&pool->idle[i], memory_order_relaxed);
        while (m != 0) {
            uint64_t bit = m & -m;
            WEFT_CHAOS_POINT();
            /* [P2] seq_cst: claim exactly one idle worker. */
            if (atomic_compare_exchange_weak_explicit(
                    &pool->idle[i], &m, m & ~bit, memory_order_seq_cst,
                    memory_order_relaxed)) {
                wake_worker(pool, i * 64 + (unsigned)__builtin_ctzll(bit));
                return;
            }
        }
    }
}

void
weft__wake_all(struct weft_pool *pool)
{
    unsigned words = (pool->nworkers + 63) / 64;

    for (unsigned i = 0; i < words; i++) {
        /* [P2] seq_cst: claim every idle worker at once. */
        uint64_t m =
            atomic_exchange_explicit(&pool->idle[i], 0, memory_order_seq_cst);
        while (m != 0) {
            uint64_t bit = m & -m;
            m &= ~bit;
            wake_worker(pool, i * 64 + (unsigned)__builtin_ctzll(bit));
        }
    }
}
