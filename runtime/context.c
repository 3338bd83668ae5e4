/* SPDX-License-Identifier: MIT */
/*
 * context.c - weft_context_* (the protocol is in context.h).
 * Reference counts: relaxed increments (the incrementer already holds a
 * reference); the last decrement is acq_rel so that every use happens
 * before the free.
 */
#include "context.h"

#include <pthread.h>
#include <string.h>

#include <weft/context.h>

__thread struct weft__ctx *weft__ctx_cur
    __attribute__((tls_model("initial-exec")));
__thread bool weft__ctx_owned __attribute__((tls_model("initial-exec")));

static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

void
weft__ctx_unref_slow(struct weft__ctx *c)
{
    /* acq_rel: see the file comment. */
    if (atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1)
        weft__free(c);
}

static void
thread_exit(void *unused)
{
    (void)unused;
    if (weft__ctx_owned)
        weft__ctx_unref(weft__ctx_cur);
    weft__ctx_cur = NULL;
    weft__ctx_owned = false;
    weft__ctx_note();
}

static void
exit_key_init(void)
{
    pthread_key_create(&exit_key, thread_exit);
}

/* Position of key in c (or where it would go). */
static uint32_t
find(const struct weft__ctx *c, const void *key, bool *found)
{
    uint32_t lo = 0, hi = c ? c->n : 0;

    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if ((uintptr_t)c->kv[mid].key < (uintptr_t)key)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = c != NULL && lo < c->n && c->kv[lo].key == key;
    return lo;
}

/* Make the caller's slot own `next` (NULL: empty). */
static void
install(struct weft__ctx *next)
{
    if (weft__ctx_owned)
        weft__ctx_unref(weft__ctx_cur);
    weft__ctx_cur = next;
    weft__ctx_owned = next != NULL;
    weft__ctx_note();
    if (next != NULL) {
        pthread_once(&exit_once, exit_key_init);
        pthread_setspecific(exit_key, &weft__ctx_cur); /* arm the drop */
    }
}

/* A copy of the current context with key set (set) or removed. */
static int
change(const void *key, void *value, bool set)
{
    struct weft__ctx *c = weft__ctx_cur, *next;
    bool found;
    uint32_t at = find(c, key, &found), n = c ? c->n : 0, m;

    if (!set && !found)
        return 0;
    m = set ? (found ? n : n + 1) : n - 1;
    if (m > WEFT_CONTEXT_MAX)
        return -ENOSPC;
    if (m == 0) {
        install(NULL);
        return 0;
    }
    next = (struct weft__ctx *)weft__malloc(sizeof(*next) +
                                            m * sizeof(next->kv[0]));
    if (next == NULL)
        return -ENOMEM;
    /* relaxed: not shared until installed and captured. */
    atomic_store_explicit(&next->refs, 1, memory_order_relaxed);
    next->n = m;
    if (at > 0)
        memcpy(next->kv, c->kv, at * sizeof(c->kv[0]));
    if (set) {
        next->kv[at].key = key;
        next->kv[at].value = value;
        if (n > at + found)
            memcpy(&next->kv[at + 1], &c->kv[at + found],
                   (n - at - found) * sizeof(c->kv[0]));
    } else if (n > at + 1) {
        memcpy(&next->kv[at], &c->kv[at + 1], (n - at - 1) * sizeof(c->kv[0]));
    }
    install(next);
    return 0;
}

WEFT_API int
weft_context_set(const void *key, void *value)
{
    if (key == NULL)
        return -EINVAL;
    return change(key, value, true);
}

WEFT_API int
weft_context_unset(const void *key)
{
    if (key == NULL)
        return -EINVAL;
    return change(key, NULL, false);
}

WEFT_API int
weft_context_lookup(const void *key, void **value)
{
    bool found;
    uint32_t at;

    if (key == NULL || value == NULL)
        return -EINVAL;
    at = find(weft__ctx_cur, key, &found);
    if (!found)
        return -ENOENT;
    *value = weft__ctx_cur->kv[at].value;
    return 0;
}

WEFT_API void *
weft_context_get(const void *key)
{
    void *v = NULL;

    (void)weft_context_lookup(key, &v);
    return v;
}

WEFT_API void
weft_context_clear(void)
{
    install(NULL);
}
