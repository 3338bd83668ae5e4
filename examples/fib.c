/* SPDX-License-Identifier: MIT */
/*
 * fib.c - fork-join: a task spawns a child that an idle worker may steal,
 * computes its other half itself, then syncs the child (running it inline
 * if nobody stole it). Python has no counterpart (its threads cannot run
 * Python code in parallel); the closest is a ThreadPoolExecutor whose
 * tasks submit tasks, which weft_spawn/weft_sync do without allocating or
 * blocking a worker. Below CUTOFF the work is done sequentially, as any
 * fork-join program should: a spawn is cheap, but not free.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <weft.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

enum { N = 30, CUTOFF = 16 };

static int64_t
fib_seq(int64_t n)
{
    return n < 2 ? n : fib_seq(n - 1) + fib_seq(n - 2);
}

static int
fib(void *arg, void **out)
{
    intptr_t n = (intptr_t)arg;
    weft_task_t child; /* on the stack: no allocation */
    void *a, *b;
    int rc;

    if (n < CUTOFF) {
        *out = (void *)(intptr_t)fib_seq(n);
        return 0;
    }
    rc = weft_spawn(&child, fib, (void *)(n - 1));
    if (rc != 0)
        return rc;
    rc = fib((void *)(n - 2), &b);
    /* Always sync what was spawned, even if our half failed. */
    int rc_child = weft_sync(&child, &a);
    if (rc != 0 || rc_child != 0)
        return rc != 0 ? rc : rc_child;
    *out = (void *)((intptr_t)a + (intptr_t)b);
    return 0;
}

int
main(void)
{
    weft_pool_t *pool;
    weft_task_t t;
    void *r;

    CHECK(weft_pool_create(NULL, &pool) == 0);
    /* weft_pool_run() is how a thread outside the pool enters fork-join. */
    CHECK(weft_pool_run(pool, fib, (void *)(intptr_t)N, &r) == 0);
    printf("fib(%d) = %ld\n", N, (long)(intptr_t)r);
    CHECK((int64_t)(intptr_t)r == fib_seq(N));
    /* Outside a task there is nothing to fork from. */
    CHECK(weft_spawn(&t, fib, (void *)1) == -EPERM);
    CHECK(weft_pool_destroy(pool) == 0);
    return 0;
}
