/* SPDX-License-Identifier: MIT */
/*
 * future_int.h - the one private hook future.c offers other runtime files:
 * a done callback whose node the caller owns (embedded in a waitset entry
 * or a weft_wait() record), so registering it allocates nothing.
 */
#ifndef WEFT_FUTURE_INT_H
#define WEFT_FUTURE_INT_H

#include <weft/future.h>

/* Layout shared with future.c's own (heap) callback nodes. */
struct weft__cb_node {
    weft_future_cb cb;
    void *ctx;
    struct weft__cb_node *next; /* owned by future.c while registered */
    unsigned char heap;         /* set by future.c: 0 for caller nodes */
};

/*
 * weft__future_on_done_node() - weft_future_on_done() with a caller-owned
 * node: n->cb(f, n->ctx) runs exactly once, when f completes, or at once on
 * the caller if it already has. Never fails, never allocates.
 * Ownership: n must stay valid until its callback starts; the callback may
 * free n (future.c reads nothing from n after calling it).
 */
void weft__future_on_done_node(weft_future_t *f, struct weft__cb_node *n);

#endif /* WEFT_FUTURE_INT_H */
