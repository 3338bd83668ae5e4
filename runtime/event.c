/* SPDX-License-Identifier: MIT */
/*
 * event.c - weft_event: one futex word holding the flag, a "sleepers may
 * exist" bit and a generation.
 *
 * Concurrency protocol: word = gen << 2 | WAITERS << 1 | SET.
 * [V1] set: CAS to SET, WAITERS cleared, gen + 1 (release: writes before
 *      set() are seen by waiters that observe it). If WAITERS was set,
 *      wake all. An already-set event costs one load.
 * [V2] wait: load (acquire, pairs with [V1]); SET: return. Else CAS in the
 *      WAITERS bit (so a setter knows to wake) and sleep while the word is
 *      unchanged. Any change of gen means a set() happened after we first
 *      looked: return 0 even if clear() followed (Python's semantics).
 * [V3] clear: fetch_and(~SET), relaxed: clearing publishes nothing.
 */
#include <limits.h>

#include <weft/sync.h>

#include "syncwait.h"

#define EV_SET     1u
#define EV_WAITERS 2u
#define EV_GEN1    4u

struct event_impl {
    _Atomic uint32_t word;
    uint32_t unused;
};
_Static_assert(sizeof(struct event_impl) <= sizeof(struct weft_event),
               "weft_event storage");

static inline struct event_impl *
E(struct weft_event *e)
{
    return (struct event_impl *)(void *)e;
}

int
weft_event_init(struct weft_event *ev)
{
    if (ev == NULL)
        return -EINVAL;
    atomic_init(&E(ev)->word, 0);
    E(ev)->unused = 0;
    return 0;
}

int
weft_event_fini(struct weft_event *ev)
{
    if (ev == NULL)
        return -EINVAL;
    return 0;
}

int
weft_event_set(struct weft_event *ev)
{
    struct event_impl *e;
    uint32_t old, nw;

    if (ev == NULL)
        return -EINVAL;
    e = E(ev);
    /* relaxed: the CAS below orders; an already-set event needs nothing
     * (its waiters all return). */
    old = atomic_load_explicit(&e->word, memory_order_relaxed);
    do {
        if (old & EV_SET)
            return 0;
        nw = ((old & ~(EV_WAITERS)) + EV_GEN1) | EV_SET;
        WEFT_CHAOS_POINT();
        /* [V1] release: pairs with the acquire in [V2]. */
    } while (!atomic_compare_exchange_weak_explicit(
        &e->word, &old, nw, memory_order_release, memory_order_relaxed));
    if (old & EV_WAITERS)
        weft__wake_u32(&e->word, INT_MAX);
    return 0;
}

int
weft_event_clear(struct weft_event *ev)
{
    if (ev == NULL)
        return -EINVAL;
    /* [V3] relaxed. */
    atomic_fetch_and_explicit(&E(ev)->word, ~EV_SET, memory_order_relaxed);
    return 0;
}

bool
weft_event_is_set(const struct weft_event *ev)
{
    if (ev == NULL)
        return false;
    /* acquire: pairs with [V1]. */
    return atomic_load_explicit(
               &((const struct event_impl *)(const void *)ev)->word,
               memory_order_acquire) &
           EV_SET;
}

int
weft_event_wait(struct weft_event *ev, weft_deadline_t deadline)
{
    struct event_impl *e;
    uint32_t w, gen;

    if (ev == NULL)
        return -EINVAL;
    e = E(ev);
    /* [V2] acquire: pairs with [V1]. */
    w = atomic_load_explicit(&e->word, memory_order_acquire);
    if (weft_likely(w & EV_SET))
        return 0;
    gen = w & ~(EV_SET | EV_WAITERS);
    for (;;) {
        if ((w & ~(EV_SET | EV_WAITERS)) != gen || (w & EV_SET))
            return 0;
        if (!(w & EV_WAITERS)) {
            /* [V2] acquire on failure too: w is re-examined above. */
            if (!atomic_compare_exchange_weak_explicit(
                    &e->word, &w, w | EV_WAITERS, memory_order_acquire,
                    memory_order_acquire))
                continue;
            w |= EV_WAITERS;
        }
        if (weft__wait_u32(&e->word, w, deadline) == -ETIMEDOUT) {
            /* acquire: a last look, pairs with [V1]. */
            w = atomic_load_explicit(&e->word, memory_order_acquire);
            if ((w & ~(EV_SET | EV_WAITERS)) != gen || (w & EV_SET))
                return 0;
            return -ETIMEDOUT;
        }
        /* [V2] acquire: pairs with [V1]. */
        w = atomic_load_explicit(&e->word, memory_order_acquire);
    }
}
