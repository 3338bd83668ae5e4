/* SPDX-License-Identifier: MIT */
/*
 * future_int.h - private hooks future.c offers other runtime files:
 * - a done callback whose node the caller owns (embedded in a waitset entry
 *   or a weft_wait() record), so registering it allocates nothing;
 * - held futures (timer.c): pending, in no queue, cancellable as usual,
 *   later enqueued into a pool or completed by their holder.
 */
#ifndef WEFT_FUTURE_INT_H
#define WEFT_FUTURE_INT_H

#include <stdbool.h>

#include <weft/future.h>

/* Layout shared with future.c's own (heap) callback nodes. */
struct weft__cb_node {
    weft_future_cb cb;
    void *ctx;
    /* Owned by future.c while registered; a caller node's owner may reuse
     * it once the callback has started (future.c reads nothing from the
     * node after calling it). */
    struct weft__cb_node *next;
    unsigned char heap;     /* set by future.c: 0 for caller nodes */
    unsigned char owner[2]; /* free for a caller node's owner: future.c
                             * never reads or writes them */
};

/*
 * weft__future_on_done_node() - weft_future_on_done() with a caller-owned
 * node: n->cb(f, n->ctx) runs exactly once, when f completes, or at once on
 * the caller if it already has. Never fails, never allocates.
 * Ownership: n must stay valid until its callback starts; the callback may
 * free n (future.c reads nothing from n after calling it). The callback
 * runs on a thread that holds a reference to f (the caller's here, else the
 * completer's: the queue's, a waiter's, a canceller's or a holder's), so it
 * may take one of its own with weft_future_retain(); until it runs, f's
 * completer keeps f alive (waitset.c [W7] relies on both).
 */
void weft__future_on_done_node(weft_future_t *f, struct weft__cb_node *n);

/*
 * weft__future_new_node() - a pending future of fn(arg), not yet in any
 * queue nor shared, with n already registered as its only done callback
 * (as weft__future_on_done_node() would, but with plain stores: nobody
 * else can see f yet). Publish it with weft__future_publish().
 * Return: the future, with two references (the caller's and the queue's);
 * NULL on -ENOMEM.
 * Ownership: n as for weft__future_on_done_node(), from the publish on.
 */
weft_future_t *weft__future_new_node(weft_fn fn, void *arg,
                                     struct weft__cb_node *n);

/*
 * weft__future_publish() - queue a weft__future_new_node() future on pool,
 * as weft_pool_submit() does; from here on it may run and complete.
 * Return: 0; -ENOMEM or -ESHUTDOWN (as weft_pool_submit()): f was freed
 * (both references) and its callback never runs.
 */
int weft__future_publish(weft_pool_t *pool, weft_future_t *f);

/*
 * weft__future_create_held() - a pending future of fn(arg) that is in no
 * queue: waiters (even on a worker) never run it inline, and
 * weft_future_cancel() cancels it as any pending future, exactly once.
 * Return: 0; -ENOMEM.
 * Ownership: *out carries two references, one for the caller to hand out
 * and one for the holder (released with weft_future_release()).
 */
int weft__future_create_held(weft_fn fn, void *arg, weft_future_t **out);

/*
 * weft__future_enqueue() - queue a held future on pool, as
 * weft_pool_submit() would (it may run from now on). Consumes one
 * reference of the caller's, which becomes the queue's.
 * Return: 0 (queued, or meanwhile claimed by a waiter or a cancel);
 * -ENOMEM: the future is held again, the holder may retry; -ESHUTDOWN if
 * the pool refused it: the future then completes as cancelled (unless a
 * cancel or a waiter came first).
 */
int weft__future_enqueue(weft_future_t *f, weft_pool_t *pool);

/*
 * weft__future_complete_held() - complete a held future with rc/result
 * without running it. Return: false if it was cancelled first.
 * Ordering: as a task's completion (writes before happen-before result).
 */
bool weft__future_complete_held(weft_future_t *f, int rc, void *result);

#endif /* WEFT_FUTURE_INT_H */
