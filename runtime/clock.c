/* SPDX-License-Identifier: MIT */
/* clock.c - CLOCK_MONOTONIC nanoseconds and absolute deadlines. */
#include <time.h>

#include <weft/common.h>

#include "internal.h"

WEFT_API uint64_t
weft_now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * WEFT_NS_PER_SEC + (uint64_t)ts.tv_nsec;
}

WEFT_API weft_deadline_t
weft_deadline_in(uint64_t ns)
{
    uint64_t now = weft_now_ns();

    if (ns >= WEFT_DEADLINE_NEVER - now)
        return WEFT_DEADLINE_NEVER;
    /* now is never 0 on Linux, so the sum is never WEFT_DEADLINE_POLL. */
    return now + ns;
}

void
weft__ns_to_timespec(uint64_t ns, struct timespec *ts)
{
    ts->tv_sec = (time_t)(ns / WEFT_NS_PER_SEC);
    ts->tv_nsec = (long)(ns % WEFT_NS_PER_SEC);
}
