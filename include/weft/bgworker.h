/* SPDX-License-Identifier: MIT */
/*
 * weft/bgworker.h - a background worker: one named thread draining its
 * own bounded FIFO queue of items through one function (the
 * BackgroundWorker pattern: logging, write-behind, metrics shipping).
 *
 * Items are opaque pointers (NULL is valid), processed one at a time in
 * submission order (per submitting thread; exact FIFO as weft_queue).
 * A function that returns nonzero does not stop the worker: the error is
 * counted and passed to the error hook (default: one line on stderr).
 *
 * Thread safety: every function may run concurrently on the same worker
 * from any threads, except weft_bgworker_destroy() (sole use, once).
 * Ownership: items are borrowed: weft hands each one to fn, or to the
 * discard hook when a DISCARD stop drops it, exactly once, and never frees
 * one. ctx and hook_ctx must stay valid until destroy returns.
 */
#ifndef WEFT_BGWORKER_H
#define WEFT_BGWORKER_H

#include <stddef.h>
#include <stdint.h>

#include <weft/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_bgworker weft_bgworker_t;

/* Processes one item: 0, or nonzero (an error: counted and reported). */
typedef int (*weft_bgworker_fn)(void *ctx, void *item);
/* Error hook: called on the worker thread after fn(ctx, item) failed. */
typedef void (*weft_bgworker_error_fn)(void *hook_ctx, void *item, int rc);
/* Discard hook: called on the worker thread for each item dropped by
 * weft_bgworker_stop(WEFT_BGWORKER_DISCARD) (to free it, say). */
typedef void (*weft_bgworker_discard_fn)(void *hook_ctx, void *item);

/*
 * weft_bgworker_start() - start a worker thread named name (NULL:
 * "bgworker") calling fn(ctx, item) for each submitted item; the queue
 * holds up to capacity items.
 * Return: 0; -EINVAL (NULL fn or out, capacity 0 or above
 * WEFT_QUEUE_MAX_CAPACITY); -ENOMEM; -EAGAIN (no thread).
 * Ownership: on 0, pass *out to weft_bgworker_destroy() once. name is
 * copied (63 bytes at most).
 * Context: any thread.
 */
WEFT_API int weft_bgworker_start(weft_bgworker_fn fn, void *ctx,
                                 size_t capacity, const char *name,
                                 weft_bgworker_t **out);

/*
 * weft_bgworker_set_hooks() - install the error hook (NULL: the default
 * stderr line) and the discard hook (NULL: none), both called with
 * hook_ctx. Items processed after the call use the new hooks.
 * Return: 0; -EINVAL (NULL w).
 * Context: any thread, fn and the hooks included.
 */
WEFT_API int weft_bgworker_set_hooks(weft_bgworker_t *w,
                                     weft_bgworker_error_fn on_error,
                                     weft_bgworker_discard_fn on_discard,
                                     void *hook_ctx);

/*
 * weft_bgworker_submit() - queue item, waiting for room until deadline.
 * weft_bgworker_try_submit() - never waits.
 * Return: 0; -ETIMEDOUT (submit: still full at the deadline); -EAGAIN
 * (try: full now); -ESHUTDOWN (stopping or stopped: not queued);
 * -EINVAL (NULL w).
 * Ordering: writes before a 0 return happen-before fn sees the item.
 * Context: any thread (from fn itself, prefer try_submit: a full queue
 * would otherwise wait for the very thread that is waiting).
 */
WEFT_API int weft_bgworker_submit(weft_bgworker_t *w, void *item,
                                  weft_deadline_t deadline);
WEFT_API int weft_bgworker_try_submit(weft_bgworker_t *w, void *item);

/* Modes of weft_bgworker_stop(). */
#define WEFT_BGWORKER_DRAIN   0u /* process every queued item, then stop */
#define WEFT_BGWORKER_DISCARD 1u /* drop the queued items (discard hook) */

/*
 * weft_bgworker_stop() - stop accepting items (submit returns -ESHUTDOWN
 * from now on) and wait until the worker thread has finished, or the
 * deadline. The item being processed always finishes. A second call may
 * turn a DRAIN into a DISCARD, never the reverse.
 * Return: 0 (the thread has exited; also on later calls); -ETIMEDOUT (the
 * stop goes on: call again, or destroy); -EDEADLK (called from fn: the
 * stop is started, the worker ends after fn returns); -EINVAL (NULL w,
 * unknown mode).
 * Context: any thread; blocks until the deadline.
 */
WEFT_API int weft_bgworker_stop(weft_bgworker_t *w, unsigned mode,
                                weft_deadline_t deadline);

/*
 * weft_bgworker_destroy() - stop (DISCARD unless a stop already chose
 * DRAIN), wait for the thread without limit, free everything.
 * Return: 0; -EINVAL (NULL); -EDEADLK (called from fn: nothing freed).
 * Context: one call per worker; no other use of w during or after it.
 */
WEFT_API int weft_bgworker_destroy(weft_bgworker_t *w);

struct weft_bgworker_stats {
    uint64_t processed; /* fn calls that returned (0 or not) */
    uint64_t errors;    /* of those, the nonzero ones */
    uint64_t dropped;   /* items discarded by a DISCARD stop */
    size_t queued;      /* items waiting now */
};

/*
 * weft_bgworker_stats() - a snapshot into *out.
 * Return: 0; -EINVAL (NULL w or out). Context: any thread; never blocks.
 */
WEFT_API int weft_bgworker_stats(const weft_bgworker_t *w,
                                 struct weft_bgworker_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_BGWORKER_H */
