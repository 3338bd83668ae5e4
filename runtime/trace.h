/* SPDX-License-Identifier: MIT */
/* trace.h - the recording hooks behind <weft/trace.h>. */
#ifndef WEFT_RTRACE_H
#define WEFT_RTRACE_H

#include <stdint.h>

#include "atomics.h"
#include "internal.h"

enum weft__ev {
    WEFT_EV_TASK_START = 1, /* id: the job */
    WEFT_EV_TASK_END,       /* id: the job */
    WEFT_EV_SPAWN,          /* id: the task record */
    WEFT_EV_STEAL,          /* arg: the victim, id: jobs taken */
    WEFT_EV_PARK,
    WEFT_EV_UNPARK,
    WEFT_EV_SUBMIT, /* id: the future (from a task) */
    WEFT_EV_LANE    /* arg: jobs taken from a lane */
};

struct weft__trace_buf; /* trace.c */

/* Record one event into a worker's ring (trace.c). */
void weft__trace_record(struct weft__trace_buf *t, enum weft__ev kind,
                        uint32_t arg, uint64_t id);

/* The hook: `slot` is the worker's trace pointer. */
static inline void
weft__trace(_Atomic(struct weft__trace_buf *) *slot, enum weft__ev kind,
            uint32_t arg, uint64_t id)
{
    /* acquire: pairs with the release that attaches a buffer, so its
     * fields are visible (a plain load on x86). */
    struct weft__trace_buf *t =
        atomic_load_explicit(slot, memory_order_acquire);

    if (weft_unlikely(t != NULL))
        weft__trace_record(t, kind, arg, id);
}

#endif /* WEFT_RTRACE_H */
