/* SPDX-License-Identifier: MIT */
/*
 * sem.c - weft_sem: the count is the futex word.
 *
 * Concurrency protocol:
 * [S1] acquire: CAS count -> count - 1 when positive (acquire; pairs with
 *      [S2]). Slow path: waiters += 1 (seq_cst), then retry and sleep while
 *      count == 0; waiters -= 1 on the way out.
 * [S2] release: CAS count -> count + n (seq_cst: release for the units,
 *      and the releaser's half of the Dekker handshake with the waiters
 *      increment), then read waiters (seq_cst): either it sees the waiter,
 *      or the waiter's retry sees the new count. The futex itself re-checks
 *      count == 0 atomically before sleeping.
 */
#include <limits.h>

#include <weft/sync.h>

#include "syncwait.h"

struct sem_impl {
    _Atomic uint32_t count;
    _Atomic uint32_t waiters;
    uint32_t max; /* immutable after init */
    uint32_t unused;
};
_Static_assert(sizeof(struct sem_impl) <= sizeof(struct weft_sem),
               "weft_sem storage");

static inline struct sem_impl *
S(struct weft_sem *s)
{
    return (struct sem_impl *)(void *)s;
}

int
weft_sem_init(struct weft_sem *sem, uint32_t value, uint32_t max)
{
    if (sem == NULL || value > WEFT_SEM_VALUE_MAX || max > WEFT_SEM_VALUE_MAX ||
        (max != 0 && value > max))
        return -EINVAL;
    atomic_init(&S(sem)->count, value);
    atomic_init(&S(sem)->waiters, 0);
    S(sem)->max = max != 0 ? max : WEFT_SEM_VALUE_MAX;
    S(sem)->unused = 0;
    return 0;
}

int
weft_sem_fini(struct weft_sem *sem)
{
    if (sem == NULL)
        return -EINVAL;
    /* relaxed: a misuse check. */
    if (atomic_load_explicit(&S(sem)->waiters, memory_order_relaxed) != 0)
        return -EBUSY;
    return 0;
}

bool
weft_sem_try(struct weft_sem *sem)
{
    struct sem_impl *s;
    uint32_t c;

    if (sem == NULL)
        return false;
    s = S(sem);
    /* relaxed: the CAS orders. */
    c = atomic_load_explicit(&s->count, memory_order_relaxed);
    while (c > 0) {
        WEFT_CHAOS_POINT();
        /* [S1] acquire: pairs with the release in [S2]. */
        if (atomic_compare_exchange_weak_explicit(&s->count, &c, c - 1,
                                                  memory_order_acquire,
                                                  memory_order_relaxed))
            return true;
    }
    return false;
}

int
weft_sem_acquire(struct weft_sem *sem, weft_deadline_t deadline)
{
    struct sem_impl *s;
    int rc = 0;

    if (sem == NULL)
        return -EINVAL;
    if (weft_likely(weft_sem_try(sem)))
        return 0;
    if (deadline == WEFT_DEADLINE_POLL)
        return -ETIMEDOUT;
    s = S(sem);
    /* [S1] seq_cst: the waiter's half of the handshake with [S2]. */
    atomic_fetch_add_explicit(&s->waiters, 1, memory_order_seq_cst);
    for (;;) {
        if (weft_sem_try(sem))
            break;
        if (weft__wait_u32(&s->count, 0, deadline) == -ETIMEDOUT) {
            rc = weft_sem_try(sem) ? 0 : -ETIMEDOUT;
            break;
        }
    }
    /* relaxed: a count; only spares releasers a syscall. */
    atomic_fetch_sub_explicit(&s->waiters, 1, memory_order_relaxed);
    return rc;
}

int
weft_sem_release(struct weft_sem *sem, uint32_t n)
{
    struct sem_impl *s;
    uint32_t c, w;

    if (sem == NULL || n == 0)
        return -EINVAL;
    s = S(sem);
    /* relaxed: the CAS orders. */
    c = atomic_load_explicit(&s->count, memory_order_relaxed);
    do {
        if (n > s->max || c > s->max - n)
            return -EOVERFLOW;
        WEFT_CHAOS_POINT();
        /* [S2] seq_cst: release of the units + Dekker with [S1]. */
    } while (!atomic_compare_exchange_weak_explicit(
        &s->count, &c, c + n, memory_order_seq_cst, memory_order_relaxed));
    /* [S2] seq_cst: the other half of the handshake. */
    w = atomic_load_explicit(&s->waiters, memory_order_seq_cst);
    if (w != 0)
        weft__wake_u32(&s->count, n < w ? (int)n : (int)w);
    return 0;
}

uint32_t
weft_sem_value(const struct weft_sem *sem)
{
    if (sem == NULL)
        return 0;
    /* relaxed: a snapshot. */
    return atomic_load_explicit(
        &((const struct sem_impl *)(const void *)sem)->count,
        memory_order_relaxed);
}
