/* SPDX-License-Identifier: MIT */
/*
 * bgworker.c - one weft thread draining a weft_queue (weft/bgworker.h).
 *
 * Concurrency protocol:
 * [B1] The queue carries items (its put happens-before the get).
 * [B2] mode: DISCARD is release-stored before the queue is shut down; the
 *      worker acquire-loads it before each item it got, so once stop()
 *      chose DISCARD every item got after that is dropped, not processed.
 * [B3] stats: written by the worker thread only (relaxed stores of
 *      relaxed loads), read as snapshots.
 * [B4] hooks: a pthread mutex guards the hook triple; the worker copies it
 *      under the lock when it needs it (errors and discards only).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <weft/bgworker.h>
#include <weft/queue.h>
#include <weft/thread.h>

#include "atomics.h"
#include "internal.h"

struct weft_bgworker {
    weft_queue_t *q;
    weft_thread_t *thread;
    weft_bgworker_fn fn;
    void *ctx;
    _Atomic uint32_t mode;      /* [B2] */
    _Atomic uint64_t processed; /* [B3] */
    _Atomic uint64_t errors;
    _Atomic uint64_t dropped;
    pthread_mutex_t hook_lock; /* [B4] */
    weft_bgworker_error_fn on_error;
    weft_bgworker_discard_fn on_discard;
    void *hook_ctx;
    char name[WEFT_THREAD_NAME_MAX + 1];
};

static void
bump(_Atomic uint64_t *c)
{
    /* relaxed: [B3] a single writer; readers take snapshots. */
    atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

static void
hooks(weft_bgworker_t *w, weft_bgworker_error_fn *e,
      weft_bgworker_discard_fn *d, void **ctx)
{
    pthread_mutex_lock(&w->hook_lock);
    *e = w->on_error;
    *d = w->on_discard;
    *ctx = w->hook_ctx;
    pthread_mutex_unlock(&w->hook_lock);
}

static int
bg_main(void *arg)
{
    weft_bgworker_t *w = arg;
    weft_bgworker_error_fn on_error;
    weft_bgworker_discard_fn on_discard;
    void *item, *hctx;
    int rc;

    while (weft_queue_get(w->q, &item, WEFT_DEADLINE_NEVER) == 0) {
        /* [B2] acquire: pairs with stop()'s release of DISCARD. */
        if (atomic_load_explicit(&w->mode, memory_order_acquire) ==
            WEFT_BGWORKER_DISCARD) {
            hooks(w, &on_error, &on_discard, &hctx);
            if (on_discard != NULL)
                on_discard(hctx, item);
            bump(&w->dropped);
            continue;
        }
        rc = w->fn(w->ctx, item);
        if (rc != 0) {
            bump(&w->errors);
            hooks(w, &on_error, &on_discard, &hctx);
            if (on_error != NULL)
                on_error(hctx, item, rc);
            else
                fprintf(stderr,
                        "weft: bgworker '%s': item %p failed: %d (%s)\n",
                        w->name, item, rc, weft_strerror(rc));
        }
        bump(&w->processed);
    }
    return 0;
}

WEFT_API int
weft_bgworker_start(weft_bgworker_fn fn, void *ctx, size_t capacity,
                    const char *name, weft_bgworker_t **out)
{
    struct weft_thread_opts o = WEFT_THREAD_OPTS_INIT;
    weft_bgworker_t *w;
    int rc;

    if (fn == NULL || out == NULL || capacity == 0 ||
        capacity > WEFT_QUEUE_MAX_CAPACITY)
        return -EINVAL;
    w = weft__calloc(1, sizeof(*w));
    if (w == NULL)
        return -ENOMEM;
    w->fn = fn;
    w->ctx = ctx;
    atomic_init(&w->mode, WEFT_BGWORKER_DRAIN);
    atomic_init(&w->processed, 0);
    atomic_init(&w->errors, 0);
    atomic_init(&w->dropped, 0);
    pthread_mutex_init(&w->hook_lock, NULL);
    snprintf(w->name, sizeof(w->name), "%s", name ? name : "bgworker");
    rc = weft_queue_create(WEFT_QUEUE_FIFO, capacity, &w->q);
    if (rc != 0)
        goto err_free;
    o.name = w->name;
    o.daemon = 1; /* stopped by its owner, not joined by atexit */
    rc = weft_thread_start(&o, bg_main, w, &w->thread);
    if (rc != 0)
        goto err_queue;
    *out = w;
    return 0;
err_queue:
    weft_queue_destroy(w->q);
err_free:
    pthread_mutex_destroy(&w->hook_lock);
    weft__free(w);
    return rc;
}

WEFT_API int
weft_bgworker_set_hooks(weft_bgworker_t *w, weft_bgworker_error_fn on_error,
                        weft_bgworker_discard_fn on_discard, void *hook_ctx)
{
    if (w == NULL)
        return -EINVAL;
    pthread_mutex_lock(&w->hook_lock);
    w->on_error = on_error;
    w->on_discard = on_discard;
    w->hook_ctx = hook_ctx;
    pthread_mutex_unlock(&w->hook_lock);
    return 0;
}

WEFT_API int
weft_bgworker_submit(weft_bgworker_t *w, void *item, weft_deadline_t deadline)
{
    if (w == NULL)
        return -EINVAL;
    return weft_queue_put(w->q, item, deadline);
}

WEFT_API int
weft_bgworker_try_submit(weft_bgworker_t *w, void *item)
{
    if (w == NULL)
        return -EINVAL;
    return weft_queue_try_put(w->q, item);
}

WEFT_API int
weft_bgworker_stop(weft_bgworker_t *w, unsigned mode, weft_deadline_t deadline)
{
    if (w == NULL || mode > WEFT_BGWORKER_DISCARD)
        return -EINVAL;
    if (mode == WEFT_BGWORKER_DISCARD) {
        /* [B2] release: before the shutdown that wakes the worker. */
        atomic_store_explicit(&w->mode, WEFT_BGWORKER_DISCARD,
                              memory_order_release);
    }
    (void)weft_queue_shutdown(w->q, 0);
    if (weft_thread_current() == w->thread)
        return -EDEADLK;
    return weft_thread_join(w->thread, deadline, NULL);
}

WEFT_API int
weft_bgworker_destroy(weft_bgworker_t *w)
{
    int rc;

    if (w == NULL)
        return -EINVAL;
    if (weft_thread_current() == w->thread)
        return -EDEADLK;
    /* DISCARD unless a stop already began with DRAIN (then finish it). */
    rc =
        weft_bgworker_stop(w,
                           weft_queue_is_shutdown(w->q) ? WEFT_BGWORKER_DRAIN
                                                        : WEFT_BGWORKER_DISCARD,
                           WEFT_DEADLINE_NEVER);
    WEFT_ASSERT(rc == 0);
    weft_thread_destroy(w->thread);
    weft_queue_destroy(w->q);
    pthread_mutex_destroy(&w->hook_lock);
    weft__free(w);
    return 0;
}

WEFT_API int
weft_bgworker_stats(const weft_bgworker_t *w, struct weft_bgworker_stats *out)
{
    if (w == NULL || out == NULL)
        return -EINVAL;
    /* relaxed: [B3] snapshots. */
    out->processed = atomic_load_explicit(&w->processed, memory_order_relaxed);
    out->errors = atomic_load_explicit(&w->errors, memory_order_relaxed);
    out->dropped = atomic_load_explicit(&w->dropped, memory_order_relaxed);
    out->queued = weft_queue_len(w->q);
    return 0;
}
