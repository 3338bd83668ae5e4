/* SPDX-License-Identifier: MIT */
/*
 * barrier.c - weft_barrier: CPython's Barrier state machine over a
 * weft_lock and a weft_cond.
 *
 * Concurrency protocol: every field is read and written with the lock
 * held (the lock orders them), except the snapshots of count/state/broken
 * taken by the query functions (relaxed atomics, hence _Atomic), and
 * action_thread, compared by a thread with its own id only.
 * state: FILLING (threads arrive), DRAINING (cycle done, waiters leaving),
 * RESETTING (reset() while threads were inside), BROKEN.
 * [B1] arrival waits while DRAINING or RESETTING, so a cycle's threads
 *      all leave before the next cycle fills (no mixing of generations).
 * [B2] the last arrival runs the action, sets DRAINING, notifies all.
 * [B3] the last thread to leave a DRAINING/RESETTING barrier sets FILLING
 *      and notifies all.
 * [B4] a deadline that passes before the thread has even arrived (taking
 *      the lock, or waiting for a draining cycle to leave) breaks the
 *      barrier too: -ETIMEDOUT always means "broken by me" (Python breaks
 *      it in every timeout).
 * Lock release/acquire makes each party's writes before arriving visible
 * to the action and to every party after the cycle.
 */
#include <weft/sync.h>

#include "syncwait.h"

enum { FILLING = 0, DRAINING = 1, RESETTING = -1, BROKEN = -2 };

struct barrier_impl {
    struct weft_lock lock;
    struct weft_cond cond;
    unsigned parties;
    _Atomic unsigned count;
    _Atomic int state;
    weft_barrier_action_fn action;
    void *arg;
    _Atomic uintptr_t action_thread;
};
_Static_assert(sizeof(struct barrier_impl) <= sizeof(struct weft_barrier),
               "weft_barrier storage");
_Static_assert(_Alignof(struct barrier_impl) <= _Alignof(struct weft_barrier),
               "weft_barrier alignment");

static _Thread_local char self_anchor;

static inline struct barrier_impl *
B(struct weft_barrier *b)
{
    return (struct barrier_impl *)(void *)b;
}

/* relaxed throughout: the lock orders these fields (see the protocol). */
static inline int
get_state(struct barrier_impl *b)
{
    return atomic_load_explicit(&b->state, memory_order_relaxed);
}

static inline void
set_state(struct barrier_impl *b, int s)
{
    atomic_store_explicit(&b->state, s, memory_order_relaxed);
}

static inline bool
in_action(const struct barrier_impl *b)
{
    /* relaxed: only this thread can have stored its own id. */
    return atomic_load_explicit(&b->action_thread, memory_order_relaxed) ==
           (uintptr_t)&self_anchor;
}

int
weft_barrier_init(struct weft_barrier *b, unsigned parties,
                  weft_barrier_action_fn action, void *arg)
{
    struct barrier_impl *x;

    if (b == NULL || parties == 0 || parties > INT32_MAX)
        return -EINVAL;
    x = B(b);
    weft_lock_init(&x->lock);
    weft_cond_init(&x->cond);
    x->parties = parties;
    atomic_init(&x->count, 0);
    atomic_init(&x->state, FILLING);
    x->action = action;
    x->arg = arg;
    atomic_init(&x->action_thread, 0);
    return 0;
}

int
weft_barrier_fini(struct weft_barrier *b)
{
    struct barrier_impl *x;
    int rc;

    if (b == NULL)
        return -EINVAL;
    x = B(b);
    if (in_action(x))
        return -EDEADLK;
    weft_lock_acquire(&x->lock, WEFT_DEADLINE_NEVER);
    rc =
        atomic_load_explicit(&x->count, memory_order_relaxed) != 0 ? -EBUSY : 0;
    weft_lock_release(&x->lock);
    return rc;
}

static void
barrier_break(struct barrier_impl *x)
{
    set_state(x, BROKEN);
    weft_cond_notify_all(&x->cond, &x->lock);
}

static void
barrier_exit(struct barrier_impl *x)
{
    int s = get_state(x);

    /* [B3] */
    if (atomic_load_explicit(&x->count, memory_order_relaxed) == 0 &&
        (s == RESETTING || s == DRAINING)) {
        set_state(x, FILLING);
        weft_cond_notify_all(&x->cond, &x->lock);
    }
}

static bool
not_filling(void *arg)
{
    return get_state(arg) != FILLING;
}

static bool
can_enter(void *arg)
{
    int s = get_state(arg);

    return s != DRAINING && s != RESETTING;
}

int
weft_barrier_wait(struct weft_barrier *b, weft_deadline_t deadline,
                  unsigned *index)
{
    struct barrier_impl *x;
    unsigned idx;
    int rc;

    if (b == NULL)
        return -EINVAL;
    x = B(b);
    if (in_action(x))
        return -EDEADLK;
    rc = weft_lock_acquire(&x->lock, deadline);
    if (rc == -ETIMEDOUT) {
        /* [B4] The lock is held only briefly, or by a running action:
         * take it anyway, to break the barrier as the contract says. */
        weft_lock_acquire(&x->lock, WEFT_DEADLINE_NEVER);
        barrier_break(x);
        goto out;
    }
    if (rc != 0)
        return rc;
    /* [B1] */
    rc = weft_cond_wait_for(&x->cond, &x->lock, can_enter, x, deadline);
    if (rc == -ETIMEDOUT)
        barrier_break(x); /* [B4] */
    if (rc != 0)
        goto out;
    if (get_state(x) == BROKEN) {
        rc = -EPIPE;
        goto out;
    }
    idx = atomic_fetch_add_explicit(&x->count, 1, memory_order_relaxed);
    if (idx + 1 == x->parties) {
        /* [B2] */
        if (x->action != NULL) {
            atomic_store_explicit(&x->action_thread, (uintptr_t)&self_anchor,
                                  memory_order_relaxed);
            rc = x->action(x->arg);
            atomic_store_explicit(&x->action_thread, 0, memory_order_relaxed);
        }
        if (rc != 0) {
            barrier_break(x);
        } else {
            set_state(x, DRAINING);
            weft_cond_notify_all(&x->cond, &x->lock);
        }
    } else {
        rc = weft_cond_wait_for(&x->cond, &x->lock, not_filling, x, deadline);
        if (rc == -ETIMEDOUT)
            barrier_break(x);
        else if (get_state(x) < 0)
            rc = -EPIPE;
    }
    if (rc == 0 && index != NULL)
        *index = idx;
    atomic_fetch_sub_explicit(&x->count, 1, memory_order_relaxed);
    barrier_exit(x);
out:
    weft_lock_release(&x->lock);
    return rc;
}

int
weft_barrier_abort(struct weft_barrier *b)
{
    struct barrier_impl *x;

    if (b == NULL)
        return -EINVAL;
    x = B(b);
    if (in_action(x))
        return -EDEADLK;
    weft_lock_acquire(&x->lock, WEFT_DEADLINE_NEVER);
    barrier_break(x);
    weft_lock_release(&x->lock);
    return 0;
}

int
weft_barrier_reset(struct weft_barrier *b)
{
    struct barrier_impl *x;
    int s;

    if (b == NULL)
        return -EINVAL;
    x = B(b);
    if (in_action(x))
        return -EDEADLK;
    weft_lock_acquire(&x->lock, WEFT_DEADLINE_NEVER);
    s = get_state(x);
    if (atomic_load_explicit(&x->count, memory_order_relaxed) > 0) {
        if (s == FILLING || s == BROKEN)
            set_state(x, RESETTING);
        /* DRAINING: the leaving threads finish the cycle as they would. */
    } else {
        set_state(x, FILLING);
    }
    weft_cond_notify_all(&x->cond, &x->lock);
    weft_lock_release(&x->lock);
    return 0;
}

unsigned
weft_barrier_parties(const struct weft_barrier *b)
{
    return b == NULL ? 0
                     : ((const struct barrier_impl *)(const void *)b)->parties;
}

unsigned
weft_barrier_n_waiting(const struct weft_barrier *b)
{
    const struct barrier_impl *x = (const struct barrier_impl *)(const void *)b;

    if (x == NULL)
        return 0;
    /* relaxed: a snapshot. Threads of a cycle that is draining are not
     * waiting any more (Python counts only FILLING). */
    if (atomic_load_explicit(&x->state, memory_order_relaxed) != FILLING)
        return 0;
    return atomic_load_explicit(&x->count, memory_order_relaxed);
}

bool
weft_barrier_broken(const struct weft_barrier *b)
{
    const struct barrier_impl *x = (const struct barrier_impl *)(const void *)b;

    /* relaxed: a snapshot. */
    return x != NULL &&
           atomic_load_explicit(&x->state, memory_order_relaxed) == BROKEN;
}
