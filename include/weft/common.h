/* SPDX-License-Identifier: MIT */
/*
 * weft/common.h - export macro, error codes, deadlines.
 *
 * Every weft function that can fail returns an int: 0 on success, otherwise
 * a negative code equal to -errno (WEFT_E*). errno itself is never used:
 * results cross threads inside futures.
 *
 * Thread safety: every function here may run on any thread, concurrently;
 * none blocks, and all are async-signal-safe except weft_strerror().
 */
#ifndef WEFT_COMMON_H
#define WEFT_COMMON_H

#include <errno.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) && !defined(WEFT_STATIC)
#    define WEFT_API __attribute__((visibility("default")))
#else
#    define WEFT_API
#endif

#define WEFT_VERSION_MAJOR 0
#define WEFT_VERSION_MINOR 1
#define WEFT_VERSION_PATCH 0

/* Results: 0 on success, otherwise a negative code equal to -errno. */
enum weft_err {
    WEFT_OK = 0,
    WEFT_EINVAL = -EINVAL,       /* a bad argument */
    WEFT_ENOMEM = -ENOMEM,       /* allocation failed; nothing leaked */
    WEFT_EAGAIN = -EAGAIN,       /* full or contended: retry later */
    WEFT_EBUSY = -EBUSY,         /* object still in use, or task started */
    WEFT_ENOENT = -ENOENT,       /* nothing left (e.g. waitset drained) */
    WEFT_EPERM = -EPERM,         /* wrong calling context or owner */
    WEFT_EDEADLK = -EDEADLK,     /* the call would wait on itself */
    WEFT_ETIMEDOUT = -ETIMEDOUT, /* deadline passed */
    WEFT_ECANCELED = -ECANCELED, /* task was cancelled before it ran */
    WEFT_ESHUTDOWN = -ESHUTDOWN, /* object is shut down */
    WEFT_EOVERFLOW = -EOVERFLOW, /* a count would overflow */
    WEFT_EPIPE = -EPIPE,         /* a barrier is broken */
    WEFT_EEXIST = -EEXIST,       /* the key is already there */
    WEFT_ENOSPC = -ENOSPC        /* the caller's buffer is too small */
};

/*
 * weft_strerror() - a static, human-readable text for a weft result code.
 * Accepts 0, negative codes and (for convenience) positive errno values;
 * codes weft does not name get the system's text.
 * Return: a static string (never NULL, never to be freed); "unknown
 * error" for INT_MIN and codes the system does not know.
 * Context: any thread.
 */
WEFT_API const char *weft_strerror(int err);

/* Deadlines are absolute CLOCK_MONOTONIC times in nanoseconds. */
typedef uint64_t weft_deadline_t;
#define WEFT_DEADLINE_POLL  ((weft_deadline_t)0)
#define WEFT_DEADLINE_NEVER ((weft_deadline_t)UINT64_MAX)
#define WEFT_NS_PER_US      UINT64_C(1000)
#define WEFT_NS_PER_MS      UINT64_C(1000000)
#define WEFT_NS_PER_SEC     UINT64_C(1000000000)

/*
 * weft_now_ns() - CLOCK_MONOTONIC now.
 * Return: the time in nanoseconds (never 0 on Linux). Context: any thread.
 */
WEFT_API uint64_t weft_now_ns(void);

/*
 * weft_deadline_in() - the deadline ns nanoseconds from now: saturating,
 * so a huge ns gives WEFT_DEADLINE_NEVER.
 * Return: the deadline; never WEFT_DEADLINE_POLL. Context: any thread.
 */
WEFT_API weft_deadline_t weft_deadline_in(uint64_t ns);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_COMMON_H */
