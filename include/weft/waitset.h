/* SPDX-License-Identifier: MIT */
/*
 * weft/waitset.h - as_completed: futures come out in the order they
 * complete (Python's concurrent.futures.as_completed, incrementally).
 *
 *     weft_waitset_create(pool, &ws);
 *     for (i = 0; i < n; i++) {
 *         weft_pool_submit(pool, fn, arg[i], &f);
 *         weft_waitset_add(ws, f, i);       // the waitset takes its own ref
 *         weft_future_release(f);
 *     }
 *     dl = weft_deadline_in(2 * WEFT_NS_PER_SEC);  // one, total deadline
 *     while ((rc = weft_waitset_next(ws, dl, &f, &i)) == 0) {
 *         rc = weft_future_result(f, WEFT_DEADLINE_POLL, &res);  // no wait
 *         weft_future_release(f);
 *     }
 *     // rc: WEFT_ENOENT (all returned) or WEFT_ETIMEDOUT
 *     weft_waitset_destroy(ws);
 *
 * Completion reaches the waitset through a done callback whose node is part
 * of the entry and one CAS on a lock-free stack the consumer takes whole
 * and reverses: O(1) per completion, never a scan, no shared counter.
 * An entry is one 64-byte line from the same per-thread cache as futures
 * (no malloc in the steady state), given back as soon as next() returns
 * its future.
 *
 * weft_waitset_submit(ws, pool, fn, arg, tag) does the submit and the add
 * in one call, with less work than the two (no reference to release).
 *
 * Thread safety: one add() (or submit()) and one next() may run at once
 * (add()/submit() calls must not overlap one another, nor next() calls),
 * with pending() and future completions; destroy needs sole use.
 * Context: any thread.
 */
#ifndef WEFT_WAITSET_H
#define WEFT_WAITSET_H

#include <stdint.h>

#include <weft/common.h>
#include <weft/future.h>
#include <weft/pool.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_waitset weft_waitset_t;

/*
 * weft_waitset_create() - an empty waitset.
 * pool may be NULL. When it is given, weft_waitset_next() called on one of
 * that pool's workers never just blocks the worker: it first runs added
 * futures that have not started yet inline (oldest first), so a 1-worker
 * pool can use a waitset from inside a task. Without a pool, next() on a
 * worker parks it like any thread.
 * Return: 0; -EINVAL (NULL out); -ENOMEM.
 * Ownership: on 0, *out must be passed to weft_waitset_destroy() once.
 * Context: any thread.
 */
WEFT_API int weft_waitset_create(weft_pool_t *pool, weft_waitset_t **out);

/*
 * weft_waitset_add() - watch f; tag comes back with it from next().
 * The waitset keeps f alive until next() returns it (the caller keeps its
 * own reference and may release it at once).
 * A waitset is a multiset: adding the same future k times returns it k
 * times, once with each tag (Python's as_completed deduplicates; weft
 * leaves that to the caller, who can tell the entries apart by tag). A
 * future that is already done is queued at once.
 * Return: 0; -EINVAL (NULL ws or f); -ENOMEM (nothing was added).
 * Thread safety: add() calls must not overlap one another; one add() may
 * run concurrently with next() on another thread and with completions.
 */
WEFT_API int weft_waitset_add(weft_waitset_t *ws, weft_future_t *f,
                              uintptr_t tag);

/*
 * weft_waitset_submit() - weft_pool_submit(pool, fn, arg) and
 * weft_waitset_add() of its future with tag, in one call and cheaper
 * (Java's ExecutorCompletionService.submit): the waitset's completion
 * callback is in place before the task is queued, so no step races a
 * worker for the future's cache line, and the caller has no reference to
 * release. The future comes out of next() as an added one does (the
 * caller gets it there, or never: destroy() releases it): it ran, or was
 * cancelled (a pool shut down with WEFT_SHUTDOWN_CANCEL_PENDING); next()
 * on one of the waitset's pool's workers may run it inline, as for add().
 * pool need not be the waitset's own pool (that one only decides whether
 * next() runs entries inline).
 * Return: 0; -EINVAL (NULL ws, pool or fn); -ENOMEM; -ESHUTDOWN (pool
 * no longer accepts tasks). On an error nothing was queued nor added, and
 * fn never runs.
 * Thread safety: counts as an add(): it must not overlap add() or another
 * submit() on ws; it may run concurrently with next() on another thread
 * and with completions.
 * Context: any thread (on a worker of pool, the task goes to its deque,
 * as with weft_pool_submit()).
 * Ownership: the waitset owns the future's only outside reference until
 * next() hands it to the caller.
 */
WEFT_API int weft_waitset_submit(weft_waitset_t *ws, weft_pool_t *pool,
                                 weft_fn fn, void *arg, uintptr_t tag);

/*
 * weft_waitset_next() - the next completed (ran or cancelled) future.
 * Return: 0 with *done holding a reference (release it with
 * weft_future_release()) and *tag its tag (tag may be NULL);
 * -ETIMEDOUT when the deadline passed first (pass the same absolute
 * deadline on every call for one total timeout; WEFT_DEADLINE_POLL never
 * waits); -ENOENT once every future added so far has been returned;
 * -EINVAL (NULL ws or done).
 * Ordering (FIFO): futures come out in the order their completions
 * reached the waitset: a total order consistent with happens-before. A
 * completion reaches it when the future's done callbacks run (in
 * registration order, right after the future becomes done), so if f's
 * callbacks finished before g completed, f comes out first. Futures that
 * are already done (weft_future_done()) when added are queued by add()
 * itself, in add order. The task's writes happen-before next() returns its
 * future: weft_future_result(*done, WEFT_DEADLINE_POLL, ...) never waits.
 * Thread safety: one consumer at a time (the calls must not overlap).
 * Context: any thread. Idle waiting is a futex sleep: no CPU burn.
 */
WEFT_API int weft_waitset_next(weft_waitset_t *ws, weft_deadline_t deadline,
                               weft_future_t **done, uintptr_t *tag);

/*
 * weft_waitset_pending() - a snapshot when add() runs concurrently.
 * Return: entries added but not yet returned by next() (completed or
 * not); 0 for NULL.
 */
WEFT_API size_t weft_waitset_pending(const weft_waitset_t *ws);

/*
 * weft_waitset_destroy() - end the waitset; NULL is ignored.
 * Futures still pending are not cancelled: they keep running, and their
 * later completion only counts out of the waitset (whose memory lives
 * until the last such completion). Futures done but not returned are
 * released.
 * Thread safety: no other call on ws may overlap or follow it.
 */
WEFT_API void weft_waitset_destroy(weft_waitset_t *ws);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_WAITSET_H */
