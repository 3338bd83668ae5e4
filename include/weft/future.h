/* SPDX-License-Identifier: MIT */
/*
 * weft/future.h - submission with futures (Python's concurrent.futures).
 *
 * A future is reference counted: the submitter holds one reference, the
 * pool holds its own until the task has finished. A future outlives its
 * pool safely.
 *
 * Memory: a future is 64 bytes from per-thread caches over 2 MiB chunks
 * (each its own heap block under AddressSanitizer). Beyond the live
 * futures, the process keeps at most 64 MiB of emptied chunks for reuse
 * (the next burst then needs no fresh mapping); past that an emptied chunk
 * goes back to the system allocator.
 *
 * Thread safety: every function may run concurrently on the same future,
 * from any threads, as long as the caller holds a reference.
 */
#ifndef WEFT_FUTURE_H
#define WEFT_FUTURE_H

#include <stdbool.h>

#include <weft/common.h>
#include <weft/pool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_future weft_future_t;

/*
 * weft_pool_submit() - run fn(arg) on a worker; *out receives a future.
 * Return: 0; -EINVAL (NULL pool, fn or out); -ENOMEM; -ESHUTDOWN (the pool
 * is being destroyed).
 * Ownership: on 0, the caller holds one reference to *out and must drop it
 * with weft_future_release() exactly once.
 * Ordering: writes before the call happen-before fn runs.
 * Context: any thread, including tasks (then the task goes to the worker's
 * own deque). Start order is FIFO per submitting outside thread.
 */
WEFT_API int weft_pool_submit(weft_pool_t *pool, weft_fn fn, void *arg,
                              weft_future_t **out);

/*
 * weft_future_result() - wait until f completes or the deadline passes.
 * Return: the task's own return code (0, or its negative error) with
 * *result set (result may be NULL); -ETIMEDOUT (not done by the deadline;
 * the task goes on); -ECANCELED; -EDEADLK (called on the worker that is
 * running f, i.e. from f's own task or one it waits in); -EINVAL (NULL f).
 * Ordering: every write the task made happens-before the return.
 * Context: any thread. On a worker it first runs the awaited task inline
 * if it has not started, then helps only with work the task's runner
 * spawned under it, and only then parks: it is never handed unrelated work.
 */
WEFT_API int weft_future_result(weft_future_t *f, weft_deadline_t deadline,
                                void **result);

/*
 * weft_future_done() / _running() / _cancelled() - non-blocking state
 * snapshots. Acquire: true from done() means the task's writes are
 * visible (the others are relaxed).
 * Return: done(): true once the task finished or was cancelled;
 * running(): true while fn runs; cancelled(): true once cancelled; all
 * false for NULL. Context: any thread, including done callbacks.
 */
WEFT_API bool weft_future_done(const weft_future_t *f);
WEFT_API bool weft_future_running(const weft_future_t *f);
WEFT_API bool weft_future_cancelled(const weft_future_t *f);

/*
 * weft_future_cancel() - stop f from ever running.
 * Return: 0 if it will never run (now, or it was already cancelled; its
 * waiters and callbacks see -ECANCELED); -EBUSY if it is running or done;
 * -EINVAL (NULL).
 * Context: any thread; never blocks.
 */
WEFT_API int weft_future_cancel(weft_future_t *f);

/* A completion callback: runs once, on the thread that completes the
 * future (or at once in weft_future_on_done() if it is already done). */
typedef void (*weft_future_cb)(weft_future_t *f, void *ctx);

/*
 * weft_future_on_done() - call cb(f, ctx) exactly once when f completes
 * (ran or cancelled); at once, on the caller, if it already has.
 * Return: 0; -EINVAL (NULL f or cb); -ENOMEM (cb will not be called).
 * Context: any thread; callbacks must not block for long: they run on a
 * worker.
 */
WEFT_API int weft_future_on_done(weft_future_t *f, weft_future_cb cb,
                                 void *ctx);

/*
 * weft_future_retain() - take one more reference (the caller must hold
 * one already); drop it with weft_future_release().
 * Return: 0; -EINVAL (NULL f).
 * Context: any thread, done callbacks included.
 */
WEFT_API int weft_future_retain(weft_future_t *f);

/*
 * weft_future_release() - drop one reference; the last one frees f, after
 * which neither f nor its result pointer may be used. NULL is ignored.
 * Context: any thread, including f's own done callback.
 */
WEFT_API void weft_future_release(weft_future_t *f);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_FUTURE_H */
