/* SPDX-License-Identifier: MIT */
/*
 * weft/timer.h - delayed and periodic submission to a pool.
 *
 * One timer service per process: a binary heap of armed timers and one
 * thread ("weft-timer") sleeping on a futex until the earliest deadline.
 * Arming, cancelling and firing are O(log n); no thread per timer.
 *
 * The future a timer returns is an ordinary weft future: result, cancel,
 * on_done, waitsets and weft_wait work on it.
 * - weft_future_cancel(f) returning 0 (before a one-shot's fn started,
 *   even if it fired and is queued; at any time before a periodic timer
 *   ended) guarantees no run starts afterwards; the
 *   future completes as cancelled (-ECANCELED) and the timer is disarmed
 *   at once (its memory is freed, not kept until the deadline).
 * - Once the fn of a one-shot timer started, cancel returns -EBUSY and
 *   the future completes with fn's result, as for weft_pool_submit().
 *
 * Thread safety: every function may run concurrently from any threads, on
 * the same pool too; the returned futures follow weft/future.h.
 */
#ifndef WEFT_TIMER_H
#define WEFT_TIMER_H

#include <stddef.h>
#include <stdint.h>

#include <weft/common.h>
#include <weft/future.h>
#include <weft/pool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest delay or period accepted: about 146 years. */
#define WEFT_TIMER_MAX_NS (UINT64_MAX / 4)

/*
 * weft_pool_submit_after() - run fn(arg) on pool once, delay_ns from now.
 * *out receives a future completing with fn's result (or -ECANCELED).
 * Return: 0; -EINVAL (NULL pool, fn or out; delay_ns above
 * WEFT_TIMER_MAX_NS); -ENOMEM; -ESHUTDOWN (the pool is shut down or being
 * shut down); -EAGAIN (the timer thread could not be started).
 * Ownership: on 0 the caller holds one reference to *out
 * (weft_future_release() once). The timer keeps the pool's memory alive
 * (not its workers) for as long as it may touch it.
 * Shutdown: weft_pool_shutdown()/weft_pool_destroy() of the pool completes
 * its armed timers as cancelled before returning (a fire already under way
 * is waited for; a run already queued is drained or cancelled like any
 * task), and a periodic timer stops. Arming on a pool being shut down
 * returns -ESHUTDOWN.
 * Ordering: writes before the call happen-before fn runs.
 * Waiting: the future is in no queue until it fires, so a waiter never
 * runs it early: weft_future_result() (also on a worker, which then
 * blocks), waitsets, weft_wait and on_done all wait for the fire.
 * Context: any thread, including tasks.
 */
WEFT_API int weft_pool_submit_after(weft_pool_t *pool, uint64_t delay_ns,
                                    weft_fn fn, void *arg, weft_future_t **out);

/*
 * weft_pool_submit_every() - run fn(arg) on pool every period_ns, at fixed
 * rate: run k is due at start + k * period_ns (the first one period_ns from
 * now). A run that starts late does not shift the schedule; periods missed
 * entirely (a slow run, a busy pool) are coalesced: the next run is the
 * next due time still in the future, never a burst of catch-up runs. Runs
 * never overlap.
 * The future completes only when the timer ends:
 * - -ECANCELED: weft_future_cancel(f) (0 between runs, and also while a
 *   run is in progress: that run finishes, no later one starts). The
 *   future completes at once, so a run in progress may still be running
 *   after cancel returned: keep arg valid until it returns (count runs
 *   in fn if arg is freed right after the cancel);
 * - a run returned nonzero: the future completes with that code and that
 *   run's result; no later run;
 * - the pool was shut down: -ECANCELED.
 * *result of successful runs is discarded.
 * Return: 0; -EINVAL (NULL pool, fn or out; period_ns 0 or above
 * WEFT_TIMER_MAX_NS); -ENOMEM; -ESHUTDOWN; -EAGAIN.
 * Ownership, ordering, shutdown, waiting, context: as
 * weft_pool_submit_after().
 */
WEFT_API int weft_pool_submit_every(weft_pool_t *pool, uint64_t period_ns,
                                    weft_fn fn, void *arg, weft_future_t **out);

/*
 * weft_timers_armed() - for tests and monitoring.
 * Return: the number of timers now in the heap (a snapshot), across all
 * pools. Context: any thread; takes the timer service's lock briefly.
 */
WEFT_API size_t weft_timers_armed(void);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_TIMER_H */
