/* SPDX-License-Identifier: MIT */
/*
 * map_pool.c - weft_pool_map(): Python's Executor.map() with a bounded
 * window. Items go to the pool in batches of up to BATCH_MAX consecutive
 * items, one task per batch, so a cheap fn costs a loop step, not a
 * future. Batch slot b % w of the window holds batch b; batches are
 * collected in input order, and each collection submits batch b + w.
 *
 * Concurrency protocol (per batch; the collector is the calling thread):
 * [M1] claim: the task takes item j with a fetch_add on claimed and runs it
 *      only if j < cnt. To stop a batch, the collector exchanges claimed
 *      for STOP: the old value says how many items had started, and no
 *      later one will. Relaxed: the results are ordered by [M2].
 * [M2] done: the task writes item j's result, then release-stores
 *      done = j + 1; the collector acquire-loads done (after the task's
 *      future completed, or after [M1] when it stops waiting).
 * [M3] lifetime: refs = 2 (task, collector), acq_rel decrements; the last
 *      frees the batch, so a task the deadline left running writes only
 *      into its own batch, never into results/errors after the return. A
 *      batch whose future was cancelled before it ran has only the
 *      collector left: the collector frees it.
 * The task stops itself at the first failing item of its batch: the rest
 * of that batch never starts (-ECANCELED), as if cancelled by the stop.
 */
#include <stdbool.h>
#include <stddef.h>

#include <weft/future.h>
#include <weft/wait.h>

#include "atomics.h"
#include "internal.h"

#define BATCH_MAX 64
#define STOP      (SIZE_MAX / 2)

struct batch {
    weft_fn fn;
    size_t lo, cnt; /* items lo .. lo + cnt - 1 */
    weft_future_t *f;
    _Atomic size_t claimed; /* [M1] */
    _Atomic size_t done;    /* [M2] */
    _Atomic unsigned refs;  /* [M3] */
    struct {
        void *val; /* args[lo + j], copied at submit; then its result */
        int err;
    } item[];
};

/* In flight ahead of the oldest uncollected batch: enough to keep every
 * worker busy while the caller collects, small enough for O(1) memory. */
static size_t
window_for(const weft_pool_t *pool, size_t nbatches)
{
    size_t w = 2 * (size_t)weft_pool_workers(pool) + 16;
    return w < nbatches ? w : nbatches;
}

/* About 8 batches per worker over the input, 1 .. BATCH_MAX items each:
 * big enough to amortise a task, small enough to balance the load. */
static size_t
batch_size(const weft_pool_t *pool, size_t n)
{
    size_t k = n / (8 * (size_t)weft_pool_workers(pool));
    return k < 1 ? 1 : (k > BATCH_MAX ? BATCH_MAX : k);
}

static void
batch_unref(struct batch *b)
{
    /* [M3] acq_rel: every use of b happens-before the free. */
    if (atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) == 1)
        weft__free(b);
}

static int
batch_run(void *arg, void **result)
{
    struct batch *b = (struct batch *)arg;

    (void)result;
    for (;;) {
        /* [M1] relaxed: only picks the item; [M2] orders its result. */
        size_t j =
            atomic_fetch_add_explicit(&b->claimed, 1, memory_order_relaxed);
        void *res = NULL;
        int rc;

        if (j >= b->cnt)
            break;
        rc = b->fn(b->item[j].val, &res);
        b->item[j].val = res;
        b->item[j].err = rc;
        /* [M2] release: the item's result before done covers it. */
        atomic_store_explicit(&b->done, j + 1, memory_order_release);
        if (rc != 0)
            break;
    }
    batch_unref(b);
    return 0;
}

static int
batch_submit(weft_pool_t *pool, weft_fn fn, void *const *args, size_t lo,
             size_t cnt, struct batch **out)
{
    struct batch *b =
        (struct batch *)weft__malloc(sizeof(*b) + cnt * sizeof(b->item[0]));
    int rc;

    if (b == NULL)
        return -ENOMEM;
    b->fn = fn;
    b->lo = lo;
    b->cnt = cnt;
    /* Copied: a task the deadline leaves running must not read args. */
    for (size_t j = 0; j < cnt; j++)
        b->item[j].val = args[lo + j];
    /* relaxed: not shared yet; the submit publishes b. */
    atomic_store_explicit(&b->claimed, 0, memory_order_relaxed);
    atomic_store_explicit(&b->done, 0, memory_order_relaxed);
    atomic_store_explicit(&b->refs, 2, memory_order_relaxed);
    rc = weft_pool_submit(pool, batch_run, b, &b->f);
    if (rc != 0) {
        weft__free(b);
        return rc;
    }
    *out = b;
    return 0;
}

/* Stop b: true if its task never runs (its future was cancelled); else
 * *started receives how many of its items started or ever will. */
static bool
batch_stop(struct batch *b, size_t *started)
{
    if (weft_future_cancel(b->f) == 0)
        return true;
    /* [M1] relaxed: a count; [M2] orders the results. */
    *started =
        atomic_exchange_explicit(&b->claimed, STOP, memory_order_relaxed);
    if (*started > b->cnt)
        *started = b->cnt;
    return false;
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

/*
 * Collect every item of b and drop the collector's hold. stopping: a
 * failure came first: stop b before waiting for the items it started.
 * Per item: its own result if it ran; -ETIMEDOUT (or -EDEADLK) if the
 * deadline caught it running, or if it is the first item the deadline
 * caught unfinished (started or not); -ECANCELED if it never started.
 */
static void
collect(struct map_state *st, struct batch *b, weft_deadline_t deadline,
        bool stopping)
{
    size_t started = b->cnt, done = 0;
    bool never = stopping && batch_stop(b, &started);
    bool shut = false; /* cancelled by the pool before it ran */
    int rc = 0;

    if (!never) {
        rc = weft_future_result(b->f, deadline, NULL);
        if ((rc == -ETIMEDOUT || rc == -EDEADLK) && !weft_future_done(b->f)) {
            if (!stopping)
                never = batch_stop(b, &started);
        } else {
            rc = 0;
            never = shut = weft_future_cancelled(b->f);
        }
    }
    if (never)
        started = 0;
    else
        /* [M2] acquire: pairs with the task's release store. */
        done = atomic_load_explicit(&b->done, memory_order_acquire);
    for (size_t j = 0; j < b->cnt; j++) {
        if (j < done)
            put(st, b->lo + j, b->item[j].err, b->item[j].val, true);
        else if (rc != 0 && (j < started || (j == done && !stopping)))
            put(st, b->lo + j, rc, NULL, true);
        else
            put(st, b->lo + j, -ECANCELED, NULL, shut && j == 0);
    }
    weft_future_release(b->f);
    if (never)
        weft__free(b); /* [M3] the task will never run */
    else
        batch_unref(b);
}

WEFT_API int
weft_pool_map(weft_pool_t *pool, weft_fn fn, void *const *args, size_t n,
              void **results, int *errors, weft_deadline_t deadline)
{
    struct map_state st = {results, errors, SIZE_MAX, 0};
    struct batch **win;
    size_t k, nb, w, sent = 0, failed = SIZE_MAX;

    if (pool == NULL || fn == NULL || (args == NULL && n > 0))
        return -EINVAL;
    if (n == 0)
        return 0;
    k = batch_size(pool, n);
    nb = (n + k - 1) / k;
    w = window_for(pool, nb);
    win = (struct batch **)weft__malloc(w * sizeof(*win));
    if (win == NULL) {
        /* As if item 0's submission failed: every slot is still written. */
        put(&st, 0, -ENOMEM, NULL, true);
        for (size_t i = 1; i < n; i++)
            put(&st, i, -ECANCELED, NULL, false);
        return -ENOMEM;
    }
    for (size_t bi = 0; bi < nb; bi++) {
        size_t lo = bi * k, cnt = n - lo < k ? n - lo : k;

        /* Keep the window full: batches bi .. bi + w - 1 are in flight. */
        while (st.first == SIZE_MAX && sent < nb && sent < bi + w) {
            size_t slo = sent * k;
            int rc = batch_submit(pool, fn, args, slo,
                                  n - slo < k ? n - slo : k, &win[sent % w]);
            if (rc != 0) {
                put(&st, slo, rc, NULL, true);
                failed = slo;
                break;
            }
            sent++;
        }
        if (bi < sent) {
            collect(&st, win[bi % w], deadline, st.first != SIZE_MAX);
            continue;
        }
        for (size_t i = lo; i < lo + cnt; i++)
            if (i != failed) /* its failed submission wrote the slot */
                put(&st, i, -ECANCELED, NULL, false); /* never submitted */
    }
    weft__free(win);
    return st.first == SIZE_MAX ? 0 : st.first_rc;
}
