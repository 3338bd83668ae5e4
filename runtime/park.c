/* SPDX-License-Identifier: MIT */
/*
 * park.c - idle workers sleep on a futex; producers wake one. One worker
 * per pool may spin on its futex word first (enum weft_idle_policy).
 *
 * Concurrency protocol (a Dekker handshake, so no wake-up is lost):
 * [P1] sleeper: set its idle bit (seq_cst RMW); heavy asymmetric fence
 *      (asym.h); re-check for work and for EXIT; sleep only if none.
 * [W1] producer (lane.c): publish the job; light asymmetric fence; read
 *      nidle; if nonzero claim an idle bit. Either the producer sees the
 *      bit, or the sleeper sees the job.
 * [P2] exactly one party clears a given bit (CAS / fetch_and): the waker
 *      that clears it sets parked = AWAKE (release) and wakes the futex; a
 *      sleeper that clears its own bit simply does not sleep. nidle counts
 *      set bits and is changed only by whoever set or cleared one.
 * [P3] a set bit's owner is SPINNING or SLEEPING (worker.h). The waker
 *      exchanges parked to AWAKE and makes the futex call only if it read
 *      SLEEPING; the spinner becomes a sleeper only by a CAS SPINNING ->
 *      SLEEPING, which fails if the waker came first. Both are RMWs of one
 *      word, so they are ordered: a waker that read SPINNING is seen by
 *      the CAS, and one that read SLEEPING wakes the futex (whose wait
 *      re-reads the word in the kernel).
 * [P4] spinner role: pool->spinner is claimed by CAS 0 -> id + 1 and
 *      stored back to 0 by its holder, so at most one worker spins. It
 *      guards no data (relaxed); wake_one() reads it as a hint to wake the
 *      spinner rather than a sleeper. The holder also samples the idle
 *      gap into pool->gap_ewma (relaxed load/store: a statistic; a racing
 *      update may lose one sample).
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
        if (weft__deque_maybe_nonempty(&pool->workers[i].dq) ||
            weft__typed_maybe_shared(&pool->workers[i]))
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
    /* [P3] release: pairs with the acquire loads and CAS in weft__park()
     * and spin_wait(). A spinner needs no system call. */
    if (atomic_exchange_explicit(&w->parked, WEFT__PARK_AWAKE,
                                 memory_order_release) != WEFT__PARK_SPINNING)
        weft__futex_wake(&w->parked, 1);
}

/* The spin window for a worker that holds the spinner role [P4]. */
static uint64_t
spin_window(const struct weft_pool *pool)
{
    uint64_t cap = pool->idle_spin_ns, ewma;

    if (pool->idle_policy == WEFT_IDLE_SPIN)
        return cap;
    /* relaxed: a statistic [P4]. */
    ewma = atomic_load_explicit(&pool->gap_ewma, memory_order_relaxed);
    /* Gaps longer than the cap on average: spinning would mostly burn
     * the whole window for nothing. */
    if (ewma > cap)
        return 0;
    return 2 * ewma < cap ? 2 * ewma : cap;
}

/* One idle gap (entering idle -> woken by work) into the EWMA, weight 1/8;
 * samples are clamped to 4x the cap so that one long idle period does not
 * stop spinning for many periods after. */
static void
gap_sample(struct weft_pool *pool, uint64_t gap)
{
    uint64_t max = 4 * pool->idle_spin_ns;
    /* relaxed: a statistic [P4]. */
    uint64_t ewma = atomic_load_explicit(&pool->gap_ewma, memory_order_relaxed);

    if (gap > max)
        gap = max;
    if (gap == 0)
        gap = 1;
    ewma = ewma == 0
               ? gap
               : (uint64_t)((int64_t)ewma + ((int64_t)gap - (int64_t)ewma) / 8);
    /* relaxed: a statistic [P4]. */
    atomic_store_explicit(&pool->gap_ewma, ewma ? ewma : 1,
                          memory_order_relaxed);
}

/* Off the CPU this long between two looks: the machine is oversubscribed,
 * and a spinning (runnable) worker would start the next task only when the
 * scheduler gets back to it; a sleeper is woken, and scheduled, at once. */
#define OVERSUBSCRIBED_NS 100000u

/* Spin until woken [P3] (true), `until` passes or the worker was kept off
 * the CPU (false). */
static bool
spin_wait(struct weft__worker *self, uint64_t until)
{
    uint64_t now, last = weft_now_ns(), next_yield = last + 50000;

    for (unsigned i = 1;; i++) {
        /* [P3] acquire: pairs with the release exchange in wake_worker(). */
        if (atomic_load_explicit(&self->parked, memory_order_acquire) ==
            WEFT__PARK_AWAKE)
            return true;
        WEFT_CPU_RELAX();
        if (i % 32 != 0)
            continue;
        now = weft_now_ns();
        if (now >= until || now - last > OVERSUBSCRIBED_NS)
            return false;
        last = now;
        /* Let a runnable thread (the submitter, perhaps) have this core. */
        if (self->pool->spin_yield || now >= next_yield) {
            sched_yield();
            next_yield = now + 50000;
        }
    }
}

void
weft__park(struct weft__worker *self)
{
    struct weft_pool *pool = self->pool;
    _Atomic uint64_t *word = &pool->idle[self->id / 64];
    uint64_t bit = UINT64_C(1) << (self->id % 64);
    uint64_t window = 0, t_idle = 0;
    uint32_t none = 0, state = WEFT__PARK_SLEEPING;
    bool spinner = false, woken = false;
    weft_deadline_t deadline;

    /* [P4] relaxed: the role guards no data. Park-only pools never spin;
     * the adaptive policy takes the role even for a window of 0, to keep
     * sampling the gaps. */
    if (pool->idle_policy != WEFT_IDLE_PARK &&
        atomic_compare_exchange_strong_explicit(
            &pool->spinner, &none, self->id + 1, memory_order_relaxed,
            memory_order_relaxed)) {
        spinner = true;
        window = spin_window(pool);
        t_idle = weft_now_ns();
        if (window != 0)
            state = WEFT__PARK_SPINNING;
    }
    /* relaxed: nobody reads parked before our bit is set below. */
    atomic_store_explicit(&self->parked, state, memory_order_relaxed);
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
            if (spinner) /* [P4] relaxed: see above. */
                atomic_store_explicit(&pool->spinner, 0, memory_order_relaxed);
            return;
        }
        /* A waker cleared it first and will set parked = AWAKE. */
    }
    WEFT_CHAOS_POINT();
    /* Idle, a worker must not hold up RCU grace periods. */
    weft__rcu_worker_offline();
    if (state == WEFT__PARK_SPINNING) {
        woken = spin_wait(self, t_idle + window);
        WEFT_CHAOS_POINT();
        if (!woken) {
            /* MUTANT 52: [P3] a plain store instead of the CAS: a waker
             * that read SPINNING just before made no futex call, and we
             * would sleep through its wake-up. */
            if (WEFT_MUTANT(52)) {
                atomic_store_explicit(&self->parked, WEFT__PARK_SLEEPING,
                                      memory_order_relaxed);
            } else {
                uint32_t spinning = WEFT__PARK_SPINNING;
                /* [P3] acquire (needed on failure, C11 wants it on both):
                 * pairs with the release exchange in wake_worker(). */
                woken = !atomic_compare_exchange_strong_explicit(
                    &self->parked, &spinning, WEFT__PARK_SLEEPING,
                    memory_order_acquire, memory_order_acquire);
            }
        }
    }
    if (spinner) /* [P4] relaxed: see above. Let another worker spin. */
        atomic_store_explicit(&pool->spinner, 0, memory_order_relaxed);
    if (!woken) {
        weft__stat_add(&self->stats, WEFT_ST_PARKS, 1);
        weft__trace(&self->trace, WEFT_EV_PARK, 0, 0);
        deadline = pool->park_timeout_ns
                       ? weft_deadline_in(pool->park_timeout_ns)
                       : WEFT_DEADLINE_NEVER;
        /* [P3] acquire: pairs with the release exchange in wake_worker(). */
        while (atomic_load_explicit(&self->parked, memory_order_acquire) !=
               WEFT__PARK_AWAKE) {
            if (weft__futex_wait(&self->parked, WEFT__PARK_SLEEPING,
                                 deadline) != -ETIMEDOUT)
                continue;
            /* Timed out: take our bit back, unless a waker just did. */
            if (atomic_fetch_and_explicit(word, ~bit, memory_order_seq_cst) &
                bit) {
                /* relaxed: we cleared our own bit, see [P2]. */
                atomic_fetch_sub_explicit(&pool->nidle, 1,
                                          memory_order_relaxed);
                spinner = false; /* not a gap that work ended */
                break;
            }
            deadline = WEFT_DEADLINE_NEVER; /* the waker is on its way */
        }
        weft__stat_add(&self->stats, WEFT_ST_WAKEUPS, 1);
        weft__trace(&self->trace, WEFT_EV_UNPARK, 0, 0);
        self->woke = true;
    }
    weft__rcu_worker_online();
    if (spinner && pool->idle_policy == WEFT_IDLE_ADAPTIVE)
        gap_sample(pool, weft_now_ns() - t_idle);
}

void
weft__wake_one(struct weft_pool *pool)
{
    unsigned words = (pool->nworkers + 63) / 64;
    /* [P4] relaxed: a hint; the CAS below decides. */
    uint32_t sp = atomic_load_explicit(&pool->spinner, memory_order_relaxed);

    if (sp != 0) {
        /* The spinner first: it starts without a system call. */
        _Atomic uint64_t *word = &pool->idle[(sp - 1) / 64];
        uint64_t bit = UINT64_C(1) << ((sp - 1) % 64);
        /* relaxed: the CAS below validates the value. */
        uint64_t m = atomic_load_explicit(word, memory_order_relaxed);

        while (m & bit) {
            /* [P2] seq_cst: claim exactly this idle worker. */
            if (atomic_compare_exchange_weak_explicit(word, &m, m & ~bit,
                                                      memory_order_seq_cst,
                                                      memory_order_relaxed)) {
                wake_worker(pool, sp - 1);
                return;
            }
        }
    }
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
