/* SPDX-License-Identifier: MIT */
/*
 * cond.c - weft_cond: a sequence-number futex condition variable.
 *
 * Concurrency protocol:
 * [C1] waiter, holding the lock: waiters += 1; snap = seq; release the
 *      lock; sleep while seq == snap; re-acquire; waiters -= 1.
 * [C2] notifier, holding the same lock: if waiters: seq += 1; wake(n).
 *      Because the waiter read snap before releasing the lock and the
 *      notifier bumps after acquiring it, a notify that follows the wait
 *      always changes seq first: no lost wake-up. The lock orders every
 *      access to waiters and seq, so they are relaxed; the futex and the
 *      lock carry the happens-before edges.
 */
#include <limits.h>

#include <weft/sync.h>

#include "syncwait.h"

struct cond_impl {
    _Atomic uint32_t seq;
    _Atomic uint32_t waiters;
};
_Static_assert(sizeof(struct cond_impl) <= sizeof(struct weft_cond),
               "weft_cond storage");

static inline struct cond_impl *
C(struct weft_cond *c)
{
    return (struct cond_impl *)(void *)c;
}

int
weft_cond_init(struct weft_cond *cond)
{
    if (cond == NULL)
        return -EINVAL;
    atomic_init(&C(cond)->seq, 0);
    atomic_init(&C(cond)->waiters, 0);
    return 0;
}

int
weft_cond_fini(struct weft_cond *cond)
{
    if (cond == NULL)
        return -EINVAL;
    /* relaxed: a check for misuse; callers hold no reference anymore. */
    if (atomic_load_explicit(&C(cond)->waiters, memory_order_relaxed) != 0)
        return -EBUSY;
    return 0;
}

int
weft_cond_wait(struct weft_cond *cond, struct weft_lock *lock,
               weft_deadline_t deadline)
{
    struct cond_impl *c;
    uint32_t snap;
    int rc;

    if (cond == NULL || lock == NULL)
        return -EINVAL;
    if (!weft_lock_locked(lock))
        return -EPERM;
    c = C(cond);
    /* [C1] relaxed: under the lock. */
    atomic_fetch_add_explicit(&c->waiters, 1, memory_order_relaxed);
    /* [C1] relaxed: read under the lock, before releasing it. */
    snap = atomic_load_explicit(&c->seq, memory_order_relaxed);
    weft_lock_release(lock);
    rc = 0;
    if (deadline == WEFT_DEADLINE_POLL || weft_now_ns() >= deadline)
        rc = -ETIMEDOUT;
    else if (weft__wait_u32(&c->seq, snap, deadline) == -ETIMEDOUT)
        rc = -ETIMEDOUT;
    weft_lock_acquire(lock, WEFT_DEADLINE_NEVER);
    /* relaxed: under the lock again. */
    atomic_fetch_sub_explicit(&c->waiters, 1, memory_order_relaxed);
    /* A notify that raced with the timeout still counts as a wake-up. */
    if (rc == -ETIMEDOUT &&
        atomic_load_explicit(&c->seq, memory_order_relaxed) != snap)
        rc = 0;
    return rc;
}

int
weft_cond_wait_for(struct weft_cond *cond, struct weft_lock *lock,
                   weft_pred_fn pred, void *arg, weft_deadline_t deadline)
{
    int rc;

    if (cond == NULL || lock == NULL || pred == NULL)
        return -EINVAL;
    if (!weft_lock_locked(lock))
        return -EPERM;
    while (!pred(arg)) {
        rc = weft_cond_wait(cond, lock, deadline);
        if (rc == -ETIMEDOUT)
            return pred(arg) ? 0 : -ETIMEDOUT;
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int
cond_notify(struct weft_cond *cond, struct weft_lock *lock, int n)
{
    struct cond_impl *c;

    if (cond == NULL || lock == NULL)
        return -EINVAL;
    if (!weft_lock_locked(lock))
        return -EPERM;
    c = C(cond);
    /* [C2] relaxed: under the lock. */
    if (n == 0 || atomic_load_explicit(&c->waiters, memory_order_relaxed) == 0)
        return 0;
    /* [C2] relaxed: under the lock; the futex orders the wake-up. */
    atomic_fetch_add_explicit(&c->seq, 1, memory_order_relaxed);
    weft__wake_u32(&c->seq, n);
    return 0;
}

int
weft_cond_notify(struct weft_cond *cond, struct weft_lock *lock, unsigned n)
{
    return cond_notify(cond, lock, n > INT_MAX ? INT_MAX : (int)n);
}

int
weft_cond_notify_all(struct weft_cond *cond, struct weft_lock *lock)
{
    return cond_notify(cond, lock, INT_MAX);
}
