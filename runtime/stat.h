/* SPDX-License-Identifier: MIT */
/*
 * stat.h - the per-worker counters behind <weft/stats.h> (their meaning is
 * documented there). Only the owning worker writes its counters: a relaxed
 * load and store, no read-modify-write. Readers (stats.c) load them with
 * relaxed atomics: untorn, monotonic, not a global instant.
 * Build with -DWEFT_STATS=0 to compile every count out (the bench does, to
 * show what counting costs).
 */
#ifndef WEFT_STAT_H
#define WEFT_STAT_H

#include <stdint.h>

#include "atomics.h"

#ifndef WEFT_STATS
#    define WEFT_STATS 1
#endif

enum weft__stat {
    WEFT_ST_RUN,
    WEFT_ST_SPAWNED,
    WEFT_ST_SUBMITTED,
    WEFT_ST_LANE,
    WEFT_ST_STEAL_ATTEMPTS,
    WEFT_ST_STEALS,
    WEFT_ST_STOLEN,
    WEFT_ST_STEAL_EMPTY,
    WEFT_ST_STEAL_LOST,
    WEFT_ST_PARKS,
    WEFT_ST_WAKEUPS,
    WEFT_ST_WAKEUPS_NO_WORK,
    WEFT_ST_HELPS,
    WEFT_ST_CANCELLED,
    WEFT_ST_NS_STEALING,
    WEFT_ST_NS_IDLE,
    WEFT_ST_TYPED_OVERFLOW,
    WEFT_ST_COUNT
};

struct weft__stats {
    _Atomic uint64_t c[WEFT_ST_COUNT];
    _Atomic uint64_t start_ns; /* when the worker started */
    _Atomic uint64_t end_ns;   /* when it exited; 0 while it runs */
    /* Written by other workers (an RMW on a line of its own): this
     * worker's spawned tasks that someone else ran. A spawned task the
     * owner runs itself is not counted anywhere on the hot path: its runs
     * are derived as spawned - stolen_from (stats.c). */
    _Alignas(WEFT_PAD_ALIGN) _Atomic uint64_t stolen_from;
};

/* Owner-only: add n to counter i of stats s. */
static inline void
weft__stat_add(struct weft__stats *s, enum weft__stat i, uint64_t n)
{
#if WEFT_STATS
    /* relaxed (both): one writer; readers only need untorn values. */
    uint64_t v = atomic_load_explicit(&s->c[i], memory_order_relaxed);
    atomic_store_explicit(&s->c[i], v + n, memory_order_relaxed);
#else
    (void)s;
    (void)i;
    (void)n;
#endif
}

#endif /* WEFT_STAT_H */
