/* SPDX-License-Identifier: MIT */
/*
 * weft/wait.h - concurrent.futures' module functions: wait() and map().
 *
 * Thread safety: both functions may run concurrently from any threads,
 * also on the same futures or pool; the caller keeps its own references
 * to what it passes (neither function takes or drops any).
 */
#ifndef WEFT_WAIT_H
#define WEFT_WAIT_H

#include <stddef.h>

#include <weft/common.h>
#include <weft/future.h>
#include <weft/pool.h>

#ifdef __cplusplus
extern "C" {
#endif

/* When weft_wait() returns (Python's return_when). */
enum weft_wait_mode {
    /* any future completed (ran or was cancelled) */
    WEFT_FIRST_COMPLETED = 1,
    /* any future ran and returned a negative code (its "exception"), or all
     * completed; a cancelled future is not an exception (as in Python) */
    WEFT_FIRST_EXCEPTION = 2,
    /* every future completed */
    WEFT_ALL_COMPLETED = 3
};

/*
 * weft_wait() - wait until the condition `mode` holds for fs[0..n).
 * Return: 0 when it holds (at once if it already does, e.g. n == 0);
 * -ETIMEDOUT when the deadline passed first (the futures go on);
 * -EINVAL (NULL fs with n > 0, a NULL entry, an unknown mode; nothing
 * waited for); -EDEADLK (ALL_COMPLETED on a worker: a future that is not
 * done is the caller's own task, or one it runs nested in, so it cannot
 * complete); -ENOMEM.
 * *ndone (ndone may be NULL) receives how many of the n slots hold a done
 * future when the call returns, on 0 and on -ETIMEDOUT (0 on -EINVAL).
 * A future listed twice counts twice. The caller keeps its references.
 * Ordering: on 0, the writes of the futures whose completion made the
 * condition hold happen-before the return; weft_future_done() tells which.
 * Idle waiting is one futex sleep fed by allocation-free done callbacks
 * (one allocation per call for their nodes; -ENOMEM if it fails), never a
 * poll. Callbacks on futures still pending at return stay registered until
 * those complete (a few bytes each).
 * Context: any thread. On a pool worker it does not just block: it first
 * runs futures that have not started inline (all of them for
 * ALL_COMPLETED, until the condition holds for the others).
 */
WEFT_API int weft_wait(weft_future_t **fs, size_t n, int mode,
                       weft_deadline_t deadline, size_t *ndone);

/*
 * weft_pool_map() - results[i] = fn(args[i]) for i in [0, n), in parallel.
 * Items go out in batches of consecutive items (one task each, about 8 per
 * worker over the input, at most 64 items), run in order within a batch,
 * with at most 2 * workers + 16 batches submitted ahead of the oldest one
 * not yet collected (memory is O(workers), not O(n)).
 * Results are collected in input order. The first failure stops the map:
 * items not yet started are cancelled (errors[i] = -ECANCELED, results[i] =
 * NULL), among them the rest of the failing item's batch; the ones already
 * running are waited for (until the deadline).
 * results and errors may be NULL; otherwise they have n slots, all written.
 * Return: 0 if every task returned 0; else the failure with the lowest
 * input index: a task's own negative code, a submission error (-ENOMEM,
 * -ESHUTDOWN), or -ETIMEDOUT for the first task the deadline caught
 * unfinished, started or not (errors[i] = -ETIMEDOUT for it and for every
 * later task still running then);
 * -EINVAL (NULL pool or fn, NULL args with n > 0; nothing is run).
 * A task that was running at -ETIMEDOUT keeps running after the return
 * (tasks cannot be interrupted): its args[i] must stay valid until it
 * ends (weft_pool_destroy() waits for it); results and errors are not
 * touched after the return.
 * Context: any thread; from a worker of pool, waiting runs the tasks inline.
 */
WEFT_API int weft_pool_map(weft_pool_t *pool, weft_fn fn, void *const *args,
                           size_t n, void **results, int *errors,
                           weft_deadline_t deadline);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_WAIT_H */
