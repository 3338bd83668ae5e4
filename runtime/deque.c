/* SPDX-License-Identifier: MIT */
/* deque.c - Chase-Lev deque: set-up, growth and the thief side. The
 * protocol block is in deque.h. */
#include "deque.h"

#include <errno.h>
#include <stddef.h>

#include <weft/pool.h>

/* weft/pool.h's inline spawn/sync reach these fields by its mirror. */
#define SAME_AT(f)                                             \
    _Static_assert(offsetof(struct weft__deque, f) ==          \
                       offsetof(struct weft_worker_layout, f), \
                   "weft_worker_layout." #f " is out of date")
SAME_AT(top);
SAME_AT(bottom);
SAME_AT(alert);
SAME_AT(limit);
SAME_AT(mask);
SAME_AT(slot);
SAME_AT(exec);
SAME_AT(spawned);
SAME_AT(tt_head);
SAME_AT(tt_split);
SAME_AT(tt_lim);

static struct weft__dq_array *
array_new(int64_t slots)
{
    struct weft__dq_array *a = (struct weft__dq_array *)weft__aligned_alloc(
        WEFT_CACHELINE,
        sizeof(*a) + (size_t)slots * sizeof(_Atomic(struct weft__job *)));

    if (a == NULL)
        return NULL;
    a->mask = slots - 1;
    a->retired = NULL;
    return a;
}

int
weft__deque_init(struct weft__deque *dq, unsigned log2_slots)
{
    struct weft__dq_array *a = array_new((int64_t)1 << log2_slots);

    if (a == NULL)
        return -ENOMEM;
    /* relaxed: the deque is not shared yet; thread creation publishes it. */
    atomic_store_explicit(&dq->top, 0, memory_order_relaxed);
    atomic_store_explicit(&dq->bottom, 0, memory_order_relaxed);
    atomic_store_explicit(&dq->array, a, memory_order_relaxed);
    atomic_store_explicit(&dq->alert, 0, memory_order_relaxed);
    atomic_store_explicit(&dq->spawned, 0, memory_order_relaxed);
    dq->mask = a->mask;
    dq->slot = a->slot;
    dq->limit = a->mask + 1;
    return 0;
}

void
weft__deque_fini(struct weft__deque *dq)
{
    /* relaxed: called after every thief has been joined. */
    struct weft__dq_array *a =
        atomic_load_explicit(&dq->array, memory_order_relaxed);

    while (a != NULL) {
        struct weft__dq_array *older = a->retired;
        weft__free(a);
        a = older;
    }
}

struct weft__dq_array *
weft__deque_grow(struct weft__deque *dq, struct weft__dq_array *a, int64_t t,
                 int64_t b)
{
    struct weft__dq_array *n = array_new((a->mask + 1) * 2);

    if (n == NULL)
        return NULL;
    for (int64_t i = t; i < b; i++) {
        /* relaxed: owner-only copy; published by the release below. */
        struct weft__job *j =
            atomic_load_explicit(&a->slot[i & a->mask], memory_order_relaxed);
        atomic_store_explicit(&n->slot[i & n->mask], j, memory_order_relaxed);
    }
    n->retired = a; /* [D5] kept until weft__deque_fini() */
    /* [D5] release: the copied slots before the array pointer; pairs with
     * the acquire load of array in steal. */
    atomic_store_explicit(&dq->array, n, memory_order_release);
    dq->mask = n->mask;
    dq->slot = n->slot;
    return n;
}

bool
weft__deque_reserve(struct weft__deque *dq, int64_t b)
{
    /* [D6] acquire: pairs with the thieves' CAS on top [D4]. */
    int64_t t = atomic_load_explicit(&dq->top, memory_order_acquire);
    /* relaxed: only the owner writes array. */
    struct weft__dq_array *a =
        atomic_load_explicit(&dq->array, memory_order_relaxed);

    if (b - t > a->mask) {
        a = weft__deque_grow(dq, a, t, b);
        if (a == NULL)
            return false;
    }
    dq->limit = t + a->mask + 1;
    return true;
}

enum weft__steal
weft__deque_steal(struct weft__deque *dq, int64_t min, struct weft__job **out)
{
    /* [D3] acquire: pairs with the CAS of other thieves and the owner. */
    int64_t t =
        atomic_load_explicit(&dq->top, WEFT_MO_FENCED(memory_order_acquire));
    struct weft__dq_array *a;
    struct weft__job *job;
    int64_t b;

    if (t < min)
        return WEFT_STEAL_EMPTY;
    WEFT_CHAOS_POINT();
    /* [D3] top must be read before bottom; pairs with the fence in pop. */
    WEFT_FENCE_SC();
    /* [D3] acquire: pairs with the release store of bottom in push [D1]. */
    b = atomic_load_explicit(&dq->bottom, WEFT_MO_FENCED(memory_order_acquire));
    if (t >= b)
        return WEFT_STEAL_EMPTY;
    WEFT_CHAOS_POINT();
    /* [D5] acquire: pairs with the release store in grow. */
    a = atomic_load_explicit(&dq->array, memory_order_acquire);
    /* relaxed: the slot was published by [D1]; the CAS validates it. */
    job = atomic_load_explicit(&a->slot[t & a->mask], memory_order_relaxed);
    WEFT_CHAOS_POINT();
    /* [D4] seq_cst: one winner per index among thieves and the owner. */
    if (!atomic_compare_exchange_strong_explicit(
            &dq->top, &t, t + 1, memory_order_seq_cst, memory_order_relaxed))
        return WEFT_STEAL_LOST;
    *out = job;
    return WEFT_STEAL_OK;
}
