/* SPDX-License-Identifier: MIT */
/*
 * timer_int.h - test hooks of the timer service (timer.c): a fake clock,
 * and a tick that waits until every timer due by it has fired, so tests
 * check ordering, coalescing and cancel-vs-fire without sleeping.
 */
#ifndef WEFT_TIMER_INT_H
#define WEFT_TIMER_INT_H

#include <stdint.h>

typedef uint64_t (*weft__timer_clock_fn)(void);

/*
 * weft__timer_clock_set() - the clock timers are armed, due and re-armed
 * by (ns, monotonic); NULL restores CLOCK_MONOTONIC. With a fake clock the
 * timer thread looks at the heap only on weft__timer_tick().
 * Context: tests; set it before arming timers (a timer armed under one
 * clock and fired under another fires at a meaningless time).
 */
void weft__timer_clock_set(weft__timer_clock_fn now);

/*
 * weft__timer_tick() - wake the timer thread and wait until it has fired
 * (handed to their pools) every timer due by the clock's present value.
 * A fired one-shot is queued, maybe not run yet; a periodic timer's run is
 * queued and re-armed only once it has finished.
 */
void weft__timer_tick(void);

#endif /* WEFT_TIMER_INT_H */
