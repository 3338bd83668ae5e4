/* SPDX-License-Identifier: MIT */
/*
 * future.c - the ASan canaries for weft's future objects (tests/
 * tsan_canary.cmake). Futures come from per-thread caches in normal
 * builds (runtime/fcache.c); under ASan each is its own heap block, so:
 *   CANARY_UAF   reads a future after its last release: ASan must report a
 *                heap-use-after-free;
 *   CANARY_LEAK  never releases one: LeakSanitizer must report a leak;
 *   (neither)    the clean twin: used, then released: no report.
 */
#include <pthread.h>
#include <stdio.h>
#include <weft.h>

static int
answer(void *arg, void **result)
{
    (void)arg;
    *result = (void *)42;
    return 0;
}

/* volatile: keeps the compiler from folding the bad access away. */
static weft_future_t *volatile fut;
static weft_pool_t *pool;
static int ok;

/* On a thread that has exited by the time LSan scans (as heap.c). */
static void *
use_future(void *arg)
{
    weft_future_t *f;
    void *r = NULL;

    (void)arg;
    if (weft_pool_submit(pool, answer, NULL, &f) != 0)
        return NULL;
    ok = weft_future_result(f, WEFT_DEADLINE_NEVER, &r) == 0 && r == (void *)42;
    fut = f;
#ifndef CANARY_LEAK
    weft_future_release(f);
#endif
    return NULL;
}

int
main(void)
{
    struct weft_pool_opts opts = WEFT_POOL_OPTS_INIT;
    pthread_t t;

    opts.workers = 1;
    if (weft_pool_create(&opts, &pool) != 0)
        return 2;
    if (pthread_create(&t, NULL, use_future, NULL) != 0)
        return 2;
    pthread_join(t, NULL);
    weft_pool_destroy(pool); /* the queue's reference is gone too */
#ifdef CANARY_UAF
    printf("done after release: %d\n", weft_future_done(fut));
#endif
    fut = NULL;
    return ok ? 0 : 3;
}
