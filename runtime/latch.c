/* SPDX-License-Identifier: MIT */
/*
 * latch.c - weft_latch: the count is the futex word.
 *
 * Concurrency protocol:
 * [T1] count_down: CAS count -> max(count - n, 0) (seq_cst: release of the
 *      caller's writes, and the Dekker half against [T2]); the one that
 *      reaches zero reads waiters (seq_cst) and wakes all if nonzero.
 * [T2] wait: count (acquire) == 0: done. Else waiters += 1 (seq_cst), and
 *      sleep while count is unchanged and nonzero.
 */
#include <limits.h>

#include <weft/sync.h>

#include "syncwait.h"

struct latch_impl {
    _Atomic uint32_t count;
    _Atomic uint32_t waiters;
};
_Static_assert(sizeof(struct latch_impl) <= sizeof(struct weft_latch),
               "weft_latch storage");

static inline struct latch_impl *
T(struct weft_latch *l)
{
    return (struct latch_impl *)(void *)l;
}

int
weft_latch_init(struct weft_latch *latch, uint32_t count)
{
    if (latch == NULL || count > INT32_MAX)
        return -EINVAL;
    atomic_init(&T(latch)->count, count);
    atomic_init(&T(latch)->waiters, 0);
    return 0;
}

int
weft_latch_fini(struct weft_latch *latch)
{
    if (latch == NULL)
        return -EINVAL;
    /* relaxed: a misuse check. */
    if (atomic_load_explicit(&T(latch)->waiters, memory_order_relaxed) != 0)
        return -EBUSY;
    return 0;
}

int
weft_latch_count_down(struct weft_latch *latch, uint32_t n)
{
    struct latch_impl *l;
    uint32_t c, nw;

    if (latch == NULL)
        return -EINVAL;
    l = T(latch);
    /* relaxed: the CAS orders. */
    c = atomic_load_explicit(&l->count, memory_order_relaxed);
    do {
        if (c == 0 || n == 0)
            return 0;
        nw = c > n ? c - n : 0;
        WEFT_CHAOS_POINT();
        /* [T1] seq_cst: release + handshake with [T2]. */
    } while (!atomic_compare_exchange_weak_explicit(
        &l->count, &c, nw, memory_order_seq_cst, memory_order_relaxed));
    /* [T1] seq_cst: pairs with the waiters increment in [T2]. */
    if (nw == 0 && atomic_load_explicit(&l->waiters, memory_order_seq_cst) != 0)
        weft__wake_u32(&l->count, INT_MAX);
    return 0;
}

uint32_t
weft_latch_count(const struct weft_latch *latch)
{
    if (latch == NULL)
        return 0;
    /* acquire: a zero seen here is as good as a wait() that returned. */
    return atomic_load_explicit(
        &((const struct latch_impl *)(const void *)latch)->count,
        memory_order_acquire);
}

int
weft_latch_wait(struct weft_latch *latch, weft_deadline_t deadline)
{
    struct latch_impl *l;
    uint32_t c;
    int rc = 0;

    if (latch == NULL)
        return -EINVAL;
    l = T(latch);
    /* [T2] acquire: pairs with the release half of [T1]. */
    if (weft_likely(atomic_load_explicit(&l->count, memory_order_acquire) == 0))
        return 0;
    if (deadline == WEFT_DEADLINE_POLL)
        return -ETIMEDOUT;
    /* [T2] seq_cst: the waiter's half of the handshake. */
    atomic_fetch_add_explicit(&l->waiters, 1, memory_order_seq_cst);
    /* [T2] seq_cst: pairs with [T1]. */
    while ((c = atomic_load_explicit(&l->count, memory_order_seq_cst)) != 0) {
        if (weft__wait_u32(&l->count, c, deadline) == -ETIMEDOUT) {
            /* acquire: a last look. */
            if (atomic_load_explicit(&l->count, memory_order_acquire) != 0)
                rc = -ETIMEDOUT;
            break;
        }
    }
    /* relaxed: a count. */
    atomic_fetch_sub_explicit(&l->waiters, 1, memory_order_relaxed);
    return rc;
}
