/* SPDX-License-Identifier: MIT */
/*
 * weft_fib.h - the weft fib task shared by bench_fib (and weft-nostats)
 * and bench_policies: fib(n) spawns fib(n-1), computes fib(n-2) itself,
 * then syncs; no cutoff (fib.h explains the shape).
 */
#ifndef WEFT_BENCH_WEFT_FIB_H
#define WEFT_BENCH_WEFT_FIB_H

#include <stdint.h>

#include <weft/pool.h>

static int
fib_task(void *arg, void **result)
{
    intptr_t n = (intptr_t)arg;
    weft_task_t t;
    void *a = NULL, *b = NULL;
    int rc;

    if (n < 2) {
        *result = (void *)n;
        return 0;
    }
    rc = weft_spawn(&t, fib_task, (void *)(n - 1));
    if (rc != 0)
        return rc;
    fib_task((void *)(n - 2), &b);
    rc = weft_sync(&t, &a);
    *result = (void *)((intptr_t)a + (intptr_t)b);
    return rc;
}

#endif /* WEFT_BENCH_WEFT_FIB_H */
