/* SPDX-License-Identifier: MIT */
/* error.c - weft_strerror() and the assertion failure path. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft/common.h>

#include "internal.h"

WEFT_API const char *
weft_strerror(int err)
{
    if (err > 0)
        err = -err;
    switch (err) {
    case WEFT_OK:
        return "success";
    case WEFT_EINVAL:
        return "invalid argument";
    case WEFT_ENOMEM:
        return "out of memory";
    case WEFT_EAGAIN:
        return "resource temporarily unavailable";
    case WEFT_EBUSY:
        return "busy: already running or done";
    case WEFT_ENOENT:
        return "nothing left";
    case WEFT_EPERM:
        return "not permitted in this context";
    case WEFT_EDEADLK:
        return "would deadlock";
    case WEFT_ETIMEDOUT:
        return "deadline passed";
    case WEFT_ECANCELED:
        return "cancelled";
    case WEFT_ESHUTDOWN:
        return "shut down";
    case WEFT_EOVERFLOW:
        return "value too large";
    case WEFT_EPIPE:
        return "broken";
    case WEFT_EEXIST:
        return "already exists";
    case WEFT_ENOSPC:
        return "buffer too small";
    default:
        /* Any other errno value (a task's own -EIO, ...): the system's
         * static text (glibc; thread-safe, unlike strerror). INT_MIN has
         * no positive twin (negating it overflows) and is no errno. */
        if (err == INT_MIN)
            return "unknown error";
        return strerrordesc_np(-err) ? strerrordesc_np(-err) : "unknown error";
    }
}

_Noreturn void
weft__assert_fail(const char *what, const char *file, int line)
{
    fprintf(stderr, "weft: assertion failed: %s (%s:%d)\n", what, file, line);
    abort();
}
