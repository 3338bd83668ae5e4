/* SPDX-License-Identifier: MIT */
/*
 * weft/context.h - request context that follows the work (Python's
 * contextvars with copy_context().run).
 *
 * Each thread has a current context: an immutable set of (key, value)
 * pairs. weft_context_set() gives the calling thread (or the running task)
 * a new context with one pair changed. Every task submitted or spawned
 * captures the submitter's context at that moment and runs in it; changes
 * a task makes stay inside that task (and what it submits or spawns), and
 * the worker's own context is restored afterwards. Keys are addresses:
 * any unique object, e.g. `static const char request_id;` and &request_id.
 * Values are opaque pointers the caller keeps alive.
 * Cost when unused: submit and spawn copy one NULL pointer.
 *
 * Thread safety: every function acts only on the calling thread's (or
 * running task's) current context, so any threads may call them at once.
 * Context: any thread, inside a task or not; none blocks.
 * Ownership: keys and values are borrowed, never copied or freed.
 */
#ifndef WEFT_CONTEXT_H
#define WEFT_CONTEXT_H

#include <weft/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most pairs one context holds. */
#define WEFT_CONTEXT_MAX 64

/*
 * weft_context_set() - bind key to value in the caller's current context
 * (a copy is made; contexts already captured by tasks do not change).
 * Return: 0; -EINVAL (NULL key); -ENOMEM (nothing changed); -ENOSPC
 * (WEFT_CONTEXT_MAX pairs already; nothing changed).
 * Context: any thread, inside a task or not.
 */
WEFT_API int weft_context_set(const void *key, void *value);

/*
 * weft_context_unset() - remove key from the caller's current context.
 * Return: 0 (also if it was not set); -EINVAL (NULL key); -ENOMEM
 * (nothing changed).
 */
WEFT_API int weft_context_unset(const void *key);

/*
 * weft_context_lookup() - the value bound to key in the caller's context.
 * Return: 0 with *value set; -ENOENT (not bound); -EINVAL (NULL key or
 * value).
 */
WEFT_API int weft_context_lookup(const void *key, void **value);

/*
 * weft_context_get() - weft_context_lookup() for callers that never bind
 * NULL.
 * Return: the value; NULL when key is not bound or is NULL.
 */
WEFT_API void *weft_context_get(const void *key);

/* weft_context_clear() - the caller's context becomes empty. */
WEFT_API void weft_context_clear(void);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_CONTEXT_H */
