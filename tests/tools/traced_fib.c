/* SPDX-License-Identifier: MIT */
/*
 * traced_fib - a traced run with known counts, for the weft-trace tests.
 *
 *   traced_fib trace.json [n]       (n defaults to 15)
 *
 * A pool of 2 workers traces one fib(n) by weft_pool_run/weft_spawn/
 * weft_sync: fib(n+1) - 1 spawns plus the weft_pool_run task (987 task
 * runs for n = 15). The run is repeated (the trace rewritten) until both
 * workers ran at least one task, so every lane of the picture has work.
 * On stdout, one line the test compares with weft-trace's summary: the
 * pool's own counters over the traced run (weft_pool_stats before and
 * after) and the dropped count:
 *   fib=610 tasks_run=987 steals=S stolen=J helps=H dropped=0 w0=T0 w1=T1
 *   attempts=A
 * Exit: 0; 1 when the run or its counters are wrong; 2 on usage errors.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <weft.h>

static int
fib(void *arg, void **res)
{
    intptr_t n = (intptr_t)arg;
    weft_task_t t;
    void *a = NULL, *b = NULL;
    int rc;

    if (n < 2) {
        *res = (void *)n;
        return 0;
    }
    rc = weft_spawn(&t, fib, (void *)(n - 1));
    if (rc != 0)
        return rc;
    fib((void *)(n - 2), &b);
    rc = weft_sync(&t, &a);
    *res = (void *)((intptr_t)a + (intptr_t)b);
    return rc;
}

static long
fib_expect(int n)
{
    long a = 0, b = 1;

    for (int i = 0; i < n; i++) {
        long c = a + b;
        a = b;
        b = c;
    }
    return a;
}

int
main(int argc, char **argv)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    struct weft_worker_stats before[2], after[2];
    struct weft_pool_stats s0, s1;
    weft_pool_t *p;
    uint64_t dropped = 0;
    int n = argc > 2 ? atoi(argv[2]) : 15;
    int attempt, rc;
    void *r = NULL;

    if (argc < 2 || argc > 3 || n < 2 || n > 30) {
        fprintf(stderr, "usage: traced_fib trace.json [n in 2..30]\n");
        return 2;
    }
    o.workers = 2;
    o.name = "fib";
    rc = weft_pool_create(&o, &p);
    if (rc != 0) {
        fprintf(stderr, "traced_fib: weft_pool_create: %s\n",
                weft_strerror(rc));
        return 1;
    }
    for (attempt = 1; attempt <= 100; attempt++) {
        s0 = (struct weft_pool_stats){.worker = before, .worker_capacity = 2};
        s1 = (struct weft_pool_stats){.worker = after, .worker_capacity = 2};
        if ((rc = weft_pool_stats(p, &s0)) != 0 ||
            (rc = weft_pool_trace_start(p, argv[1])) != 0 ||
            (rc = weft_pool_run(p, fib, (void *)(intptr_t)n, &r)) != 0 ||
            (rc = weft_pool_trace_stop(p, &dropped)) != 0 ||
            (rc = weft_pool_stats(p, &s1)) != 0) {
            fprintf(stderr, "traced_fib: %s\n", weft_strerror(rc));
            weft_pool_destroy(p);
            return 1;
        }
        if (after[0].tasks_run > before[0].tasks_run &&
            after[1].tasks_run > before[1].tasks_run)
            break;
    }
    weft_pool_destroy(p);
    if ((long)(intptr_t)r != fib_expect(n) ||
        s1.total.tasks_run - s0.total.tasks_run !=
            (uint64_t)fib_expect(n + 1)) {
        fprintf(stderr, "traced_fib: fib(%d) = %ld, %llu tasks run\n", n,
                (long)(intptr_t)r,
                (unsigned long long)(s1.total.tasks_run - s0.total.tasks_run));
        return 1;
    }
    printf("fib=%ld tasks_run=%llu steals=%llu stolen=%llu helps=%llu "
           "dropped=%llu "
           "w0=%llu w1=%llu attempts=%d\n",
           (long)(intptr_t)r,
           (unsigned long long)(s1.total.tasks_run - s0.total.tasks_run),
           (unsigned long long)(s1.total.steals - s0.total.steals),
           (unsigned long long)(s1.total.tasks_stolen - s0.total.tasks_stolen),
           (unsigned long long)(s1.total.helps - s0.total.helps),
           (unsigned long long)dropped,
           (unsigned long long)(after[0].tasks_run - before[0].tasks_run),
           (unsigned long long)(after[1].tasks_run - before[1].tasks_run),
           attempt > 100 ? 100 : attempt);
    return 0;
}
