/* SPDX-License-Identifier: MIT */
/*
 * asym.h - asymmetric fences (the technique of liburcu's memb flavour).
 *
 * Some handshakes have a hot side (every submission) and a cold side (a
 * worker about to sleep, pool destruction). The hot side uses
 * weft__asym_light(): only a compiler barrier when the kernel offers
 * membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED); the cold side calls
 * weft__asym_heavy(), which makes every running thread of the process
 * execute a full barrier. Together they order like an SC fence on both
 * sides. Without membarrier (old kernels, seccomp) and in TSan builds,
 * both sides fall back to WEFT_FENCE_SC().
 */
#ifndef WEFT_ASYM_H
#define WEFT_ASYM_H

#include <stdbool.h>

#include "atomics.h"
#include "internal.h"

extern bool weft__asym_fast; /* set once by weft__asym_init() */

/* Idempotent and thread-safe; called by weft_pool_create(). */
void weft__asym_init(void);
/* The cold side: a full barrier on every thread of the process. */
void weft__asym_heavy(void);

/* The hot side. */
static inline void
weft__asym_light(void)
{
    if (weft_likely(weft__asym_fast))
        atomic_signal_fence(memory_order_seq_cst); /* compiler only */
    else
        WEFT_FENCE_SC();
}

#endif /* WEFT_ASYM_H */
