/* SPDX-License-Identifier: MIT */
/*
 * context.h - the captured contexts behind <weft/context.h>.
 *
 * A context is immutable once built and reference counted: a thread's
 * current slot and every captured job may share one. Capture at submit or
 * spawn takes a reference; the job drops it when it has run (or was
 * cancelled). While a job runs, the worker's slot borrows the job's
 * reference (owned = false); a weft_context_set() inside the job replaces
 * it with a context the slot owns, dropped when the job ends.
 */
#ifndef WEFT_CONTEXT_INT_H
#define WEFT_CONTEXT_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "atomics.h"
#include "internal.h"

struct weft__ctx {
    _Atomic uint32_t refs;
    uint32_t n;
    struct {
        const void *key;
        void *value;
    } kv[]; /* sorted by key */
};

extern __thread struct weft__ctx *weft__ctx_cur
    __attribute__((tls_model("initial-exec")));
extern __thread bool weft__ctx_owned __attribute__((tls_model("initial-exec")));

void weft__ctx_unref_slow(struct weft__ctx *c);
/* After changing weft__ctx_cur/owned: on a worker, keep its WEFT_ALERT_CTX
 * bit (deque.h) equal to "the thread has a context" (scheduler.c). */
void weft__ctx_note(void);

static inline void
weft__ctx_unref(struct weft__ctx *c)
{
    if (c != NULL)
        weft__ctx_unref_slow(c);
}

/* At submit/spawn: the caller's context, with a reference for the job. */
static inline struct weft__ctx *
weft__ctx_capture(void)
{
    struct weft__ctx *c = weft__ctx_cur;

    if (weft_unlikely(c != NULL))
        /* relaxed: the caller already holds a reference (its slot). */
        atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
    return c;
}

struct weft__ctx_save {
    struct weft__ctx *ctx;
    bool owned;
};

/* Around running a job captured with c: switch the thread to c. */
static inline void
weft__ctx_enter(struct weft__ctx *c, struct weft__ctx_save *s)
{
    s->ctx = weft__ctx_cur;
    s->owned = weft__ctx_owned;
    if (weft_unlikely(c != s->ctx || s->owned)) {
        weft__ctx_cur = c;
        weft__ctx_owned = false;
        weft__ctx_note();
    }
}

/* After the job: drop what it set, restore the thread's own context. */
static inline void
weft__ctx_leave(struct weft__ctx_save *s)
{
    if (weft_unlikely(weft__ctx_owned != s->owned || weft__ctx_cur != s->ctx)) {
        if (weft__ctx_owned)
            weft__ctx_unref(weft__ctx_cur);
        weft__ctx_cur = s->ctx;
        weft__ctx_owned = s->owned;
        weft__ctx_note();
    }
}

#endif /* WEFT_CONTEXT_INT_H */
