/* SPDX-License-Identifier: MIT */
/*
 * map_pool.c - weft_pool_map(): Python's Executor.map() with a bounded
 * window. Only the calling thread touches the window; all shared state is
 * inside the futures (future.c), so this file has no atomics of its own.
 *
 * Slot i % w of the window holds the future of item i; items are collected
 * in input order, and each collection submits item i + w.
 */
#include <stdbool.h>
#include <stddef.h>

#include <weft/future.h>
#include <weft/wait.h>

#include "internal.h"

/* In flight ahead of the oldest uncollected item: enough to keep every
 * worker busy while the caller collects, small enough for O(1) memory. */
static size_t
window_for(const weft_pool_t *pool, size_t n)
{
    size_t w = 2 * (size_t)weft_pool_workers(pool) + 16;
    return w < n ? w : n;
}

struct map_state {
    void **results;
    int *errors;
    size_t first; /* lowest input index of an original failure */
    int first_rc;
};

static void
put(struct map_state *st, size_t i, int rc, void *res, bool original)
{
    if (st->results != NULL)
        st->results[i] = rc == 0 ? res : NULL;
    if (st->errors != NULL)
        st->errors[i] = rc;
    if (rc != 0 && original && i < st->first) {
        st->first = i;
        st->first_rc = rc;
    }
}

/* Collect item i from f (the caller's reference is dropped). stopping:
 * cancel it first if it has not started. */
static void
collect(struct map_state *st, size_t i, weft_future_t *f,
        weft_deadline_t deadline, bool stopping)
{
    void *res = NULL;
    int rc;

    if (stopping && weft_future_cancel(f) == 0) {
        put(st, i, -ECANCELED, NULL, false);
        weft_future_release(f);
        return;
    }
    rc = weft_future_result(f, deadline, &res);
    if ((rc == -ETIMEDOUT || rc == -EDEADLK) && !weft_future_done(f)) {
        /* Caught unfinished: a failure of its own even if it had not
         * started yet (then it never will). */
        (void)weft_future_cancel(f);
        put(st, i, rc, NULL, true);
    } else {
        put(st, i, rc, res, true);
    }
    weft_future_release(f);
}

WEFT_API int
weft_pool_map(weft_pool_t *pool, weft_fn fn, void *const *args, size_t n,
              void **results, int *errors, weft_deadline_t deadline)
{
    struct map_state st = {results, errors, SIZE_MAX, 0};
    weft_future_t **win;
    size_t w, sent = 0;

    if (pool == NULL || fn == NULL || (args == NULL && n > 0))
        return -EINVAL;
    if (n == 0)
        return 0;
    w = window_for(pool, n);
    win = (weft_future_t **)weft__malloc(w * sizeof(*win));
    if (win == NULL) {
        /* As if item 0's submission failed: every slot is still written. */
        put(&st, 0, -ENOMEM, NULL, true);
        for (size_t i = 1; i < n; i++)
            put(&st, i, -ECANCELED, NULL, false);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        /* Keep the window full: items i .. i + w - 1 are in flight. */
        while (st.first == SIZE_MAX && sent < n && sent < i + w) {
            int rc = weft_pool_submit(pool, fn, args[sent], &win[sent % w]);
            if (rc != 0) {
                put(&st, sent, rc, NULL, true);
                break;
            }
            sent++;
        }
        if (i < sent)
            collect(&st, i, win[i % w], deadline, st.first != SIZE_MAX);
        else if (i != st.first)
            put(&st, i, -ECANCELED, NULL, false); /* never submitted */
        /* else: its failed submission wrote the slot already */
    }
    weft__free(win);
    return st.first == SIZE_MAX ? 0 : st.first_rc;
}
