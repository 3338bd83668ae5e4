/* SPDX-License-Identifier: MIT */
/*
 * bench_submit_glib.c - the submit benchmark on GLib's GThreadPool: an
 * exclusive pool of T threads (started at once, never shared), one
 * g_thread_pool_push per task, completion counted by a latch (latch.h).
 * GLib has no futures: it does less work per task than weft or the mutex
 * pool. Built as bench_idle_glib with -DBENCH_IDLE for the idle benchmark.
 */
#include <glib.h>

#include "bench.h"
#include "idle.h"
#include "latch.h"

#ifdef BENCH_IDLE
#    define WHAT "idle"
#else
#    define WHAT "submit"
#endif

static void
task(gpointer data, gpointer user)
{
    (void)data;
    latch_count_down((struct latch *)user);
}

/* Pushes n tasks and waits for all; 0 or -1. */
static int
burst(GThreadPool **pool, unsigned threads, struct latch *l, long n)
{
    GError *err = NULL;

    latch_init(l, n);
    if (*pool == NULL) {
        *pool = g_thread_pool_new(task, l, (gint)threads, TRUE, &err);
        if (*pool == NULL) {
            g_clear_error(&err);
            return -1;
        }
    }
    for (long i = 0; i < n; i++)
        g_thread_pool_push(*pool, GINT_TO_POINTER(1), NULL);
    latch_wait(l);
    return 0;
}

int
main(void)
{
    unsigned threads[BENCH_MAX_THREADS];
    int nt = bench_threads(threads, BENCH_MAX_THREADS, "1,2");
#ifdef BENCH_IDLE
    long n = 100;
#else
    long n = (long)bench_size("WEFT_BENCH_SUBMIT_N", 1000000, 100000);
#endif

    for (int i = 0; i < nt; i++) {
        GThreadPool *pool = NULL;
        struct latch l;
        char params[64];

        snprintf(params, sizeof(params), "n=%ld,threads=%u", n, threads[i]);
        if (burst(&pool, threads[i], &l, n < 1000 ? n : 1000) != 0) {
            bench_missing(WHAT, params, "glib", "g_thread_pool_new failed");
            continue;
        }
        latch_fini(&l);
#ifdef BENCH_IDLE
        idle_emit("glib", threads[i], idle_measure());
#else
        fprintf(stderr, "  submit glib %s\n", params);
        uint64_t t0 = bench_now_ns();
        BENCH_REGION_BEGIN();
        burst(&pool, threads[i], &l, n);
        BENCH_REGION_END();
        uint64_t ns = bench_now_ns() - t0;
        latch_fini(&l);
        bench_emit("submit", params, "glib", (double)n * 1e9 / (double)ns,
                   "tasks/s", "higher");
#endif
        g_thread_pool_free(pool, FALSE, TRUE);
    }
    return 0;
}
