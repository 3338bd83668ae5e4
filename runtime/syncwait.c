/* SPDX-License-Identifier: MIT */
/*
 * syncwait.c - spin, then tell the scheduler, then the futex (syncwait.h).
 */
#include "syncwait.h"

#include <sched.h>

#include "mutate.h"

/* Rounds of pause before parking: about 1-3 us on current x86. */
#define WAIT_SPIN_ROUNDS 128u

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
    weft__worker_blocking(true);
    rc = weft__futex_wait(word, expected, deadline);
    weft__worker_blocking(false);
    return rc;
}

int
weft__ec_wait(struct weft__ec *ec, uint32_t snap, weft_deadline_t deadline)
{
    unsigned round = 0;
    int rc;

    if (deadline != WEFT_DEADLINE_POLL) {
        while (round < WAIT_SPIN_ROUNDS) {
            /* relaxed: a hint only; the caller re-checks with its own
             * ordering after we return. */
            if (atomic_load_explicit(&ec->seq, memory_order_relaxed) != snap)
                return 0;
            weft__spin_step(&round);
        }
    }
    /* [E4] seq_cst: the sleeper's half of the handshake with the bump;
     * the kernel compares seq with snap after it. */
    atomic_fetch_add_explicit(&ec->sleepers, 1, memory_order_seq_cst);
    weft__worker_blocking(true);
    rc = weft__futex_wait_woken(&ec->seq, snap, deadline);
    weft__worker_blocking(false);
    /* MUTANT 14: [E4] a sleeper that a wake took off the futex takes
     * itself out of sleepers as well: the count drops below the number of
     * sleepers, and a later sleeper is never woken. */
    if (rc == 1 && !WEFT_MUTANT(14))
        return 0; /* [E4] the waker took this sleeper out of sleepers */
    if (rc == 1)
        rc = 0;
    /* [E4] relaxed: a count; only makes later bumps skip the system call. */
    atomic_fetch_sub_explicit(&ec->sleepers, 1, memory_order_relaxed);
    return rc;
}
