/* SPDX-License-Identifier: MIT */
/*
 * wait.c - weft_wait(): Python's concurrent.futures.wait().
 *
 * ALL_COMPLETED waits on each future in turn with the one deadline
 * (weft_future_result: futex sleep per future, inline run and helping on a
 * worker). FIRST_COMPLETED and FIRST_EXCEPTION register one allocation-free
 * done callback per unfinished future (future_int.h), all in one record:
 * Concurrency protocol.
 * [A1] left: unfinished registered futures; each callback decrements it
 *      (acq_rel), the one reaching 0 makes "all done" true.
 * [A2] word: bit HIT is set (fetch_or, release) by the first callback that
 *      makes the condition hold; the waiter acquire-loads it, so that
 *      future's completion happens-before the return. Bit SLEEP is set by
 *      the waiter (CAS) before futex_wait(word, HIT-less value): a HIT
 *      setter that sees SLEEP wakes it; one that does not was seen by the
 *      CAS failing. One word, so no Dekker pair is needed.
 * [A3] refs: 1 for the waiter + 1 per registered callback not yet run;
 *      the acq_rel decrement reaching 0 frees the record, so callbacks of
 *      futures still pending after a timeout never touch freed memory.
 */
#include <stdbool.h>
#include <stddef.h>

#include <weft/wait.h>

#include "atomics.h"
#include "futex.h"
#include "future_int.h"
#include "internal.h"

enum { W_HIT = 1, W_SLEEP = 2 };

struct wnode {
    struct weft__cb_node node; /* ctx: the record */
};

struct wrec {
    _Atomic size_t refs;   /* [A3] */
    _Atomic size_t left;   /* [A1] */
    _Atomic uint32_t word; /* [A2] */
    int mode;
    struct wnode nodes[];
};

static bool
mode_ok(int mode)
{
    return mode == WEFT_FIRST_COMPLETED || mode == WEFT_FIRST_EXCEPTION ||
           mode == WEFT_ALL_COMPLETED;
}

/* f is done: did it run and return a negative code (an "exception")? */
static bool
raised(weft_future_t *f)
{
    return !weft_future_cancelled(f) &&
           weft_future_result(f, WEFT_DEADLINE_POLL, NULL) < 0;
}

static void
rec_release(struct wrec *r)
{
    /* [A3] acq_rel: every callback's use of r happens-before the free. */
    if (atomic_fetch_sub_explicit(&r->refs, 1, memory_order_acq_rel) == 1)
        weft__free(r);
}

static void
node_done(weft_future_t *f, void *ctx)
{
    struct wrec *r = (struct wrec *)ctx;
    bool hit = r->mode == WEFT_FIRST_COMPLETED ||
               (r->mode == WEFT_FIRST_EXCEPTION && raised(f));

    /* [A1] acq_rel: the last completion sees all earlier ones. */
    if (atomic_fetch_sub_explicit(&r->left, 1, memory_order_acq_rel) == 1)
        hit = true;
    if (hit) {
        WEFT_CHAOS_POINT();
        /* [A2] release: f's completion before HIT; pairs with the
         * waiter's acquire loads. */
        uint32_t old =
            atomic_fetch_or_explicit(&r->word, W_HIT, memory_order_release);
        if ((old & (W_HIT | W_SLEEP)) == W_SLEEP)
            weft__futex_wake(&r->word, 1);
    }
    rec_release(r);
}

/* How many slots hold a done future. */
static size_t
count_done(weft_future_t **fs, size_t n)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++)
        k += weft_future_done(fs[i]);
    return k;
}

/* Does the condition already hold (by a scan)? */
static bool
holds(weft_future_t **fs, size_t n, int mode)
{
    size_t k = 0;

    for (size_t i = 0; i < n; i++) {
        if (!weft_future_done(fs[i]))
            continue;
        k++;
        if (mode == WEFT_FIRST_COMPLETED ||
            (mode == WEFT_FIRST_EXCEPTION && raised(fs[i])))
            return true;
    }
    return k == n;
}

static int
wait_all(weft_future_t **fs, size_t n, weft_deadline_t deadline)
{
    for (size_t i = 0; i < n; i++) {
        int rc = weft_future_result(fs[i], deadline, NULL);
        /* A task's own -ETIMEDOUT/-EDEADLK is a result: it is done. */
        if ((rc == -ETIMEDOUT || rc == -EDEADLK) && !weft_future_done(fs[i]))
            return rc;
    }
    return 0;
}

/* Register callbacks on the unfinished futures and sleep until HIT. */
static int
wait_first(weft_future_t **fs, size_t n, int mode, weft_deadline_t deadline)
{
    size_t m = n - count_done(fs, n);
    struct wrec *r;
    int rc = 0;

    if (m == 0)
        return 0; /* all done meanwhile: the condition holds */
    r = (struct wrec *)weft__malloc(sizeof(*r) + m * sizeof(r->nodes[0]));
    if (r == NULL)
        return -ENOMEM;
    r->mode = mode;
    /* relaxed: not shared until the first registration (a release CAS). */
    atomic_store_explicit(&r->refs, m + 1, memory_order_relaxed);
    atomic_store_explicit(&r->left, m, memory_order_relaxed);
    atomic_store_explicit(&r->word, 0, memory_order_relaxed);
    for (size_t i = 0, j = 0; i < n && j < m; i++) {
        /* A future done since the count still gets its node (called at
         * once): the counts stay exact. Skipping done ones keeps j <= m. */
        if (weft_future_done(fs[i]) && n - i > m - j)
            continue;
        r->nodes[j].node.cb = node_done;
        r->nodes[j].node.ctx = r;
        weft__future_on_done_node(fs[i], &r->nodes[j].node);
        j++;
    }
    /* A future skipped above may have raised between the first scan and
     * its skip: scan once more now that every other one is watched. */
    if (holds(fs, n, mode)) {
        rec_release(r);
        return 0;
    }
    for (;;) {
        /* [A2] acquire: pairs with the callback's release fetch_or. */
        uint32_t w = atomic_load_explicit(&r->word, memory_order_acquire);
        if (w & W_HIT)
            break;
        if (weft_now_ns() >= deadline) {
            rc = -ETIMEDOUT;
            break;
        }
        WEFT_CHAOS_POINT();
        /* [A2] relaxed: a failure only loops back to the acquire load
         * above; a success needs no order (the futex re-checks). */
        if ((w & W_SLEEP) == 0 &&
            !atomic_compare_exchange_strong_explicit(&r->word, &w, w | W_SLEEP,
                                                     memory_order_relaxed,
                                                     memory_order_relaxed))
            continue;
        weft__futex_wait(&r->word, w | W_SLEEP, deadline);
    }
    rec_release(r);
    return rc;
}

WEFT_API int
weft_wait(weft_future_t **fs, size_t n, int mode, weft_deadline_t deadline,
          size_t *ndone)
{
    int rc = 0;

    if (ndone != NULL)
        *ndone = 0;
    if ((fs == NULL && n > 0) || !mode_ok(mode))
        return -EINVAL;
    for (size_t i = 0; i < n; i++)
        if (fs[i] == NULL)
            return -EINVAL;
    if (holds(fs, n, mode))
        goto out;
    if (weft_pool_current() != NULL) {
        /* On a worker: run unstarted futures inline rather than block. */
        for (size_t i = 0; i < n; i++) {
            if (weft_future_done(fs[i]))
                continue;
            (void)weft_future_result(fs[i], WEFT_DEADLINE_POLL, NULL);
            if (mode != WEFT_ALL_COMPLETED && weft_future_done(fs[i]) &&
                (mode == WEFT_FIRST_COMPLETED || raised(fs[i])))
                goto out;
        }
        if (holds(fs, n, mode))
            goto out;
    }
    if (deadline == WEFT_DEADLINE_POLL) {
        rc = -ETIMEDOUT;
        goto out;
    }
    if (mode == WEFT_ALL_COMPLETED)
        rc = wait_all(fs, n, deadline);
    else
        rc = wait_first(fs, n, mode, deadline);
out:
    if (ndone != NULL && rc != -EINVAL)
        *ndone = count_done(fs, n);
    return rc;
}
