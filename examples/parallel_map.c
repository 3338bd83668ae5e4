/* SPDX-License-Identifier: MIT */
/*
 * parallel_map.c - Python's
 *
 *     with ThreadPoolExecutor(max_workers=8) as ex:
 *         results = list(ex.map(slow_square, range(32)))
 *
 * in C: weft_pool_map() runs a slow (I/O-bound) function over an input
 * array on a pool and collects the results in input order. A task returns
 * 0 and sets *result, or returns a negative error code (its "exception").
 * The first failure stops the map: tasks that have not started are
 * cancelled (-ECANCELED) and the call returns the failing task's code.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <weft.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

enum { N = 32, DELAY_MS = 5, WORKERS = 8, BAD_INPUT = 13 };

/* A task: pretend to wait for the network for DELAY_MS, then square. */
static int
slow_square(void *arg, void **result)
{
    intptr_t x = (intptr_t)arg;
    struct timespec ts = {0, DELAY_MS * 1000000L};

    nanosleep(&ts, NULL);
    *result = (void *)(x * x);
    return 0;
}

/* The same, but input BAD_INPUT "raises": a negative errno value. */
static int
picky_square(void *arg, void **result)
{
    if ((intptr_t)arg == BAD_INPUT)
        return -EDOM;
    return slow_square(arg, result);
}

int
main(void)
{
    struct weft_pool_opts opts = WEFT_POOL_OPTS_INIT;
    weft_pool_t *pool;
    void *args[N], *results[N];
    int errors[N], rc;
    uint64_t t0, elapsed_ms;

    /* Sleeping tasks do not need a CPU each: like max_workers=8. */
    opts.workers = WORKERS;
    CHECK(weft_pool_create(&opts, &pool) == 0);
    for (intptr_t i = 0; i < N; i++)
        args[i] = (void *)i;

    /* 1. Every task succeeds: results[i] = args[i]^2, in input order. */
    t0 = weft_now_ns();
    rc = weft_pool_map(pool, slow_square, args, N, results, errors,
                       weft_deadline_in(20 * WEFT_NS_PER_SEC));
    elapsed_ms = (weft_now_ns() - t0) / WEFT_NS_PER_MS;
    CHECK(rc == 0);
    for (intptr_t i = 0; i < N; i++) {
        CHECK(errors[i] == 0);
        CHECK((intptr_t)results[i] == i * i);
    }
    /* The point of the pool: up to WORKERS tasks sleep at the same time,
     * so this takes about N / WORKERS * DELAY_MS on an idle machine. (Not
     * checked: the tests also run on loaded machines and under TSan.) */
    printf("map: %d squares in %llu ms (sequentially: %d ms)\n", N,
           (unsigned long long)elapsed_ms, N * DELAY_MS);

    /* 2. One task fails: the map returns its code (like the exception
     * list(ex.map(...)) re-raises); every slot is still written. */
    rc = weft_pool_map(pool, picky_square, args, N, results, errors,
                       weft_deadline_in(20 * WEFT_NS_PER_SEC));
    printf("map with a bad input: error %d (%s)\n", rc, weft_strerror(rc));
    CHECK(rc == -EDOM);
    CHECK(errors[BAD_INPUT] == -EDOM);
    for (intptr_t i = 0; i < N; i++) {
        if (i == BAD_INPUT)
            continue;
        /* Each other task either ran (and is right) or was cancelled
         * before it started. */
        CHECK(errors[i] == 0 || errors[i] == -ECANCELED);
        if (errors[i] == 0)
            CHECK((intptr_t)results[i] == i * i);
        else
            CHECK(results[i] == NULL);
    }

    CHECK(weft_pool_destroy(pool) == 0);
    return 0;
}
