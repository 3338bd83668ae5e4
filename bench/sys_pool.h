/* SPDX-License-Identifier: MIT */
/*
 * sys_pool.h - one thin, inline face over "a pool with futures", so
 * bench_submit.c, bench_idle.c and bench_wakeup.c are written once and
 * built twice: against weft (system "weft") and, with -DBENCH_SYS_MUTEX,
 * against the textbook mutex pool (system "mutex", the baseline). The
 * wrappers are static inline direct calls: neither side pays for the
 * indirection.
 */
#ifndef WEFT_BENCH_SYS_POOL_H
#define WEFT_BENCH_SYS_POOL_H

#include <stddef.h>

#ifdef BENCH_SYS_MUTEX
#    include "mutex_pool.h"

#    define SYS_NAME "mutex"
typedef mutex_pool_t sys_pool_t;
typedef mutex_future_t sys_future_t;

static inline int
sys_pool_create(unsigned workers, sys_pool_t **out)
{
    return -mutex_pool_create(workers, out);
}

static inline void
sys_pool_destroy(sys_pool_t *pool)
{
    mutex_pool_destroy(pool);
}

static inline int
sys_submit(sys_pool_t *pool, int (*fn)(void *, void **), void *arg,
           sys_future_t **out)
{
    return -mutex_pool_submit(pool, fn, arg, out);
}

static inline int
sys_wait(sys_future_t *f, void **result)
{
    return mutex_future_result(f, result);
}

static inline void
sys_release(sys_future_t *f)
{
    mutex_future_release(f);
}

#else
#    include <weft/future.h>
#    include <weft/pool.h>

#    define SYS_NAME "weft"
typedef weft_pool_t sys_pool_t;
typedef weft_future_t sys_future_t;

static inline int
sys_pool_create(unsigned workers, sys_pool_t **out)
{
    struct weft_pool_opts opts = WEFT_POOL_OPTS_INIT;

    opts.workers = workers;
    opts.name = "bench";
    return weft_pool_create(&opts, out);
}

static inline void
sys_pool_destroy(sys_pool_t *pool)
{
    weft_pool_destroy(pool);
}

static inline int
sys_submit(sys_pool_t *pool, weft_fn fn, void *arg, sys_future_t **out)
{
    return weft_pool_submit(pool, fn, arg, out);
}

static inline int
sys_wait(sys_future_t *f, void **result)
{
    return weft_future_result(f, WEFT_DEADLINE_NEVER, result);
}

static inline void
sys_release(sys_future_t *f)
{
    weft_future_release(f);
}
#endif

#endif /* WEFT_BENCH_SYS_POOL_H */
