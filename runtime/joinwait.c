/* SPDX-License-Identifier: MIT */
/* joinwait.c - the owner's wait for a stolen child (joinwait.h). */
#include "joinwait.h"

#include <sched.h>

#include "atomics.h"
#include "futex.h"
#include "internal.h"
#include "rcu.h"

void
weft__join_wait(struct weft__worker *self, _Atomic uint32_t *state,
                uint32_t done, uint32_t waiter, weft__join_help_fn help,
                void *child)
{
    unsigned idle = 0;
    uint32_t s;

    /* acquire: pairs with the thief's release RMW that sets done (task.c
     * [T3], typed.c [Y5]), so the child's result is visible on return. */
    while (((s = atomic_load_explicit(state, memory_order_acquire)) & done) ==
           0) {
        if (help(self, child)) {
            idle = 0;
            continue;
        }
        if (++idle < 128) {
            WEFT_CPU_RELAX();
            continue;
        }
        if (idle < 256) {
            sched_yield();
            continue;
        }
        /* relaxed on failure: the loop re-reads with acquire. Success
         * needs no order of its own: the thief's RMW that sets done reads
         * the waiter bit from this CAS or a later value (one word). */
        if (atomic_compare_exchange_weak_explicit(state, &s, s | waiter,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed)) {
            weft__rcu_worker_offline(); /* blocking: see rcu.h */
            weft__futex_wait(state, s | waiter,
                             weft_now_ns() + 100 * WEFT_NS_PER_US);
            weft__rcu_worker_online();
        }
        idle = 0; /* woken or timed out: help again before sleeping */
    }
}
