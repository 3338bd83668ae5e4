/* SPDX-License-Identifier: MIT */
/*
 * lock.c - weft_lock (a three-state futex mutex, after Drepper's "Futexes
 * are tricky", mutex 2) and weft_rlock (owner + depth over a weft_lock).
 *
 * Concurrency protocol:
 * state: 0 free, 1 locked, 2 locked and maybe sleepers.
 * [K1] acquire: CAS 0 -> 1 (acquire); on failure spin a little, then
 *      exchange(2) (acquire) and sleep while it returns non-zero. Whoever
 *      ever sleeps leaves 2 behind, so the holder knows to wake.
 * [K2] release: exchange(0) (release, pairs with [K1]); if it was 2, wake
 *      one. The uncontended pair is two atomic RMWs and no system call.
 * rlock: owner is written only by the thread holding the inner lock (and
 *      read by others only to compare with their own id, which it can
 *      never equal unless they own it): relaxed is enough ([K3]).
 */
#include <limits.h>

#include <weft/sync.h>

#include "syncwait.h"

struct lock_impl {
    _Atomic uint32_t state;
    uint32_t unused;
};
_Static_assert(sizeof(struct lock_impl) <= sizeof(struct weft_lock),
               "weft_lock storage");
_Static_assert(_Alignof(struct lock_impl) <= _Alignof(struct weft_lock),
               "weft_lock alignment");

struct rlock_impl {
    struct weft_lock lock;
    _Atomic uintptr_t owner; /* [K3] */
    uint32_t depth;          /* the owner's only */
};
_Static_assert(sizeof(struct rlock_impl) <= sizeof(struct weft_rlock),
               "weft_rlock storage");
_Static_assert(_Alignof(struct rlock_impl) <= _Alignof(struct weft_rlock),
               "weft_rlock alignment");

#define LOCK_SPIN 64u

static inline struct lock_impl *
L(struct weft_lock *l)
{
    return (struct lock_impl *)(void *)l;
}

static inline struct rlock_impl *
R(struct weft_rlock *l)
{
    return (struct rlock_impl *)(void *)l;
}

int
weft_lock_init(struct weft_lock *lock)
{
    if (lock == NULL)
        return -EINVAL;
    atomic_init(&L(lock)->state, 0);
    L(lock)->unused = 0;
    return 0;
}

int
weft_lock_fini(struct weft_lock *lock)
{
    if (lock == NULL)
        return -EINVAL;
    /* acquire: the last release happens-before the end of life. */
    if (atomic_load_explicit(&L(lock)->state, memory_order_acquire) != 0)
        return -EBUSY;
    return 0;
}

bool
weft_lock_try(struct weft_lock *lock)
{
    uint32_t zero = 0;

    if (lock == NULL)
        return false;
    /* [K1] acquire: pairs with the release exchange in [K2]. */
    return atomic_compare_exchange_strong_explicit(
        &L(lock)->state, &zero, 1, memory_order_acquire, memory_order_relaxed);
}

int
weft_lock_acquire(struct weft_lock *lock, weft_deadline_t deadline)
{
    struct lock_impl *l;
    unsigned round = 0;
    uint32_t c;

    if (lock == NULL)
        return -EINVAL;
    l = L(lock);
    if (weft_likely(weft_lock_try(lock)))
        return 0;
    if (deadline == WEFT_DEADLINE_POLL)
        return -ETIMEDOUT;
    /* Spin while held without sleepers: short critical sections end. */
    while (round < LOCK_SPIN) {
        /* relaxed: a hint; the CAS below orders. */
        c = atomic_load_explicit(&l->state, memory_order_relaxed);
        if (c == 0 && weft_lock_try(lock))
            return 0;
        if (c == 2)
            break;
        weft__spin_step(&round);
    }
    WEFT_CHAOS_POINT();
    /* [K1] acquire: pairs with [K2]; leaves 2 so the holder wakes us. */
    while ((c = atomic_exchange_explicit(&l->state, 2, memory_order_acquire)) !=
           0) {
        if (weft__wait_u32(&l->state, 2, deadline) == -ETIMEDOUT) {
            /* One last try: the lock may have been freed just now. */
            c = 0;
            if (atomic_compare_exchange_strong_explicit(&l->state, &c, 2,
                                                        memory_order_acquire,
                                                        memory_order_relaxed))
                return 0;
            return -ETIMEDOUT;
        }
    }
    return 0;
}

int
weft_lock_release(struct weft_lock *lock)
{
    struct lock_impl *l;
    uint32_t c;

    if (lock == NULL)
        return -EINVAL;
    l = L(lock);
    /* relaxed: only to refuse releasing a free lock. */
    if (atomic_load_explicit(&l->state, memory_order_relaxed) == 0)
        return -EPERM;
    WEFT_CHAOS_POINT();
    /* [K2] release: the critical section before the next acquirer. */
    c = atomic_exchange_explicit(&l->state, 0, memory_order_release);
    if (c == 2)
        weft__wake_u32(&l->state, 1);
    else if (weft_unlikely(c == 0))
        return -EPERM; /* a racing double release: already free */
    return 0;
}

bool
weft_lock_locked(const struct weft_lock *lock)
{
    if (lock == NULL)
        return false;
    /* relaxed: a snapshot. */
    return atomic_load_explicit(
               &((const struct lock_impl *)(const void *)lock)->state,
               memory_order_relaxed) != 0;
}

/* ---- rlock --------------------------------------------------------- */

static _Thread_local char self_anchor;

static inline uintptr_t
self_id(void)
{
    return (uintptr_t)&self_anchor;
}

int
weft_rlock_init(struct weft_rlock *lock)
{
    if (lock == NULL)
        return -EINVAL;
    weft_lock_init(&R(lock)->lock);
    atomic_init(&R(lock)->owner, 0);
    R(lock)->depth = 0;
    return 0;
}

int
weft_rlock_fini(struct weft_rlock *lock)
{
    if (lock == NULL)
        return -EINVAL;
    return weft_lock_fini(&R(lock)->lock);
}

bool
weft_rlock_is_owned(const struct weft_rlock *lock)
{
    const struct rlock_impl *r = (const struct rlock_impl *)(const void *)lock;

    /* [K3] relaxed: only this thread can have stored its own id. */
    return r != NULL &&
           atomic_load_explicit(&r->owner, memory_order_relaxed) == self_id();
}

int
weft_rlock_acquire(struct weft_rlock *lock, weft_deadline_t deadline)
{
    struct rlock_impl *r;
    int rc;

    if (lock == NULL)
        return -EINVAL;
    r = R(lock);
    if (weft_rlock_is_owned(lock)) {
        if (r->depth == UINT32_MAX)
            return -EOVERFLOW;
        r->depth++;
        return 0;
    }
    rc = weft_lock_acquire(&r->lock, deadline);
    if (rc != 0)
        return rc;
    /* [K3] relaxed: published to others only as "not you". */
    atomic_store_explicit(&r->owner, self_id(), memory_order_relaxed);
    r->depth = 1;
    return 0;
}

int
weft_rlock_release(struct weft_rlock *lock)
{
    struct rlock_impl *r;

    if (lock == NULL)
        return -EINVAL;
    r = R(lock);
    if (!weft_rlock_is_owned(lock))
        return -EPERM;
    if (--r->depth > 0)
        return 0;
    /* [K3] relaxed: the inner release below orders it. */
    atomic_store_explicit(&r->owner, 0, memory_order_relaxed);
    return weft_lock_release(&r->lock);
}
