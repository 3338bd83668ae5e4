/* SPDX-License-Identifier: MIT */
/*
 * syncwait.c - spin, then the scheduler hook, then the futex (syncwait.h).
 * The only shared state here is the hook pointer (set once, read often).
 */
#include "syncwait.h"

#include <sched.h>

#include <weft/pool.h>

/* Rounds of pause before parking: about 1-3 us on current x86. */
#define WAIT_SPIN_ROUNDS 128u

static _Atomic(weft__block_hook_fn) block_hook;

void
weft__set_block_hook(weft__block_hook_fn fn)
{
    /* release: whatever the hook reads was set up before it was
     * published; pairs with the acquire in weft__wait_u32. */
    atomic_store_explicit(&block_hook, fn, memory_order_release);
}

void
weft__spin_step(unsigned *round)
{
    if ((++*round & 63u) == 0)
        sched_yield();
    else
        WEFT_CPU_RELAX();
}

int
weft__wait_u32(_Atomic uint32_t *word, uint32_t expected,
               weft_deadline_t deadline)
{
    weft__block_hook_fn hook;
    unsigned round = 0;
    int rc;

    if (deadline != WEFT_DEADLINE_POLL) {
        while (round < WAIT_SPIN_ROUNDS) {
            /* relaxed: a hint only; the caller re-checks with its own
             * ordering after we return. */
            if (atomic_load_explicit(word, memory_order_relaxed) != expected)
                return 0;
            weft__spin_step(&round);
        }
    }
    hook = NULL;
    if (weft_pool_current() != NULL) {
        /* acquire: pairs with the release in weft__set_block_hook. */
        hook = atomic_load_explicit(&block_hook, memory_order_acquire);
    }
    if (hook != NULL)
        hook(true);
    rc = weft__futex_wait(word, expected, deadline);
    if (hook != NULL)
        hook(false);
    return rc;
}
