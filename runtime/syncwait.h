/* SPDX-License-Identifier: MIT */
/*
 * syncwait.h - the one blocking path of the sync primitives and queues
 * (event, sem, latch, lock, cond, barrier, queue): a short polite spin,
 * then the scheduler's block hook, then a futex sleep.
 *
 * It also holds weft__ec, a futex event count for "wait until a predicate
 * on other state holds" (queue not empty / not full / joined).
 *
 * Concurrency protocol of weft__ec (a Dekker handshake; no lost wake-up):
 * [E1] waiter:   waiters += 1 (seq_cst RMW); weft__asym_heavy(); snap =
 *                seq (acquire); re-check the predicate; sleep while
 *                seq == snap.
 * [E2] signaler: publish the state change; weft__asym_light() (or a full
 *                fence, weft__ec_signal_sc); read waiters; if nonzero,
 *                seq += 1 (release) and wake.
 * Either the signaler sees the waiter's increment, or the waiter's re-check
 * sees the published change (the two fences order like SC fences, asym.h).
 * [E3] seq += 1 is a release that pairs with the waiter's acquire of seq:
 *      a waiter whose snapshot already includes the bump sees the change
 *      in its re-check.
 * [E4] only a waiter inside futex_wait needs the system call: a registered
 *      waiter first polls seq, and only then does sleepers += 1 (seq_cst
 *      RMW) and futex_wait(seq, snap), whose kernel compare follows it. A
 *      bump is seq += 1 (seq_cst RMW) and then a seq_cst load of sleepers,
 *      and it calls futex_wake only when that is nonzero. Both RMWs are
 *      full barriers (store-buffering with fences): either the bump sees
 *      the sleeper's increment and wakes it, or the kernel's compare sees
 *      the new seq and futex_wait returns at once. A sleeper that a wake
 *      took off the futex is taken out of sleepers by that waker
 *      (sleepers -= the count futex_wake returns); any other return takes
 *      itself out. So a signaler whose waiter is still polling (the common
 *      case while items stream) or already woken but not yet running makes
 *      no system call, where it used to make one per signal until the
 *      waiter unregistered.
 */
#ifndef WEFT_SYNCWAIT_H
#define WEFT_SYNCWAIT_H

#include <stdbool.h>
#include <stdint.h>

#include "asym.h"
#include "atomics.h"
#include "futex.h"
#include "internal.h"

/*
 * weft__worker_blocking() (scheduler.c) - a weft worker about to sleep in
 * a primitive calls it with true before the futex sleep and with false
 * after: the worker goes RCU-offline while asleep, and if its deque holds
 * work, an idle worker is woken to steal it. A no-op on other threads.
 */
void weft__worker_blocking(bool entering);

/*
 * weft__wait_u32() - block while *word == expected, until deadline.
 * Spins briefly first (no spin for WEFT_DEADLINE_POLL).
 * Return: 0 (value changed, woken or spurious: re-check), -ETIMEDOUT.
 */
int weft__wait_u32(_Atomic uint32_t *word, uint32_t expected,
                   weft_deadline_t deadline);

/* weft__wake_u32() - wake up to n sleepers of word (INT32_MAX: all). */
static inline void
weft__wake_u32(_Atomic uint32_t *word, int n)
{
    weft__futex_wake(word, n);
}

/* A polite bounded spin step: pause, and yield every 64th round. */
void weft__spin_step(unsigned *round);

struct weft__ec {
    _Atomic uint32_t seq;      /* futex word, bumped by signalers [E2] */
    _Atomic uint32_t waiters;  /* waiters registered [E1] */
    _Atomic uint32_t sleepers; /* of those, inside futex_wait [E4] */
};

static inline void
weft__ec_init(struct weft__ec *ec)
{
    atomic_init(&ec->seq, 0);
    atomic_init(&ec->waiters, 0);
    atomic_init(&ec->sleepers, 0);
}

/* [E1] register; returns the snapshot to pass to weft__ec_wait. */
static inline uint32_t
weft__ec_prepare(struct weft__ec *ec)
{
    /* [E1] seq_cst: the waiter's half of the handshake with [E2]. */
    atomic_fetch_add_explicit(&ec->waiters, 1, memory_order_seq_cst);
    WEFT_CHAOS_POINT();
    weft__asym_heavy();
    /* [E3] acquire: pairs with the release bump in weft__ec_bump. */
    return atomic_load_explicit(&ec->seq, memory_order_acquire);
}

/* Poll, then sleep until seq moves past snap or the deadline ([E4]): 0
 * (moved, woken or spurious: re-check) or -ETIMEDOUT. */
int weft__ec_wait(struct weft__ec *ec, uint32_t snap, weft_deadline_t deadline);

/* Unregister (after weft__ec_prepare, whatever happened). */
static inline void
weft__ec_cancel(struct weft__ec *ec)
{
    /* relaxed: a count; only makes later signalers skip the syscall. */
    atomic_fetch_sub_explicit(&ec->waiters, 1, memory_order_relaxed);
}

static inline void
weft__ec_bump(struct weft__ec *ec, int n)
{
    /* [E3] release: the published change before the bump; pairs with
     * the acquire in weft__ec_prepare. [E4] seq_cst: the bumper's half of
     * the handshake with a sleeper's increment of sleepers. */
    atomic_fetch_add_explicit(&ec->seq, 1, memory_order_seq_cst);
    /* [E4] seq_cst: after the bump; a waiter still polling sees seq. */
    if (atomic_load_explicit(&ec->sleepers, memory_order_seq_cst) != 0) {
        int woken = weft__futex_wake_count(&ec->seq, n);

        /* [E4] relaxed: a count; those sleepers do not take themselves
         * out. */
        if (woken > 0)
            atomic_fetch_sub_explicit(&ec->sleepers, (uint32_t)woken,
                                      memory_order_relaxed);
    }
}

/* [E2] the hot side: after publishing, wake up to n if anyone waits. */
static inline void
weft__ec_signal(struct weft__ec *ec, int n)
{
    WEFT_CHAOS_POINT();
    weft__asym_light();
    /* relaxed: ordered by the asymmetric fence above ([E2]). */
    if (atomic_load_explicit(&ec->waiters,
                             WEFT_MO_FENCED(memory_order_relaxed)) != 0)
        weft__ec_bump(ec, n);
}

#endif /* WEFT_SYNCWAIT_H */
