/* SPDX-License-Identifier: MIT */
/*
 * soak.c - the soak runner (tests/README.md "Soak"): every workload of
 * soak_pool.c and soak_data.c at once, in one process, on one pool of
 * `workers` workers plus about twenty threads of their own, for `seconds`.
 * At the end: every thread is joined, each workload checks its exact
 * invariants, and one summary line gives tasks, items, errors and the
 * resident set size after warm-up (10% of the run), at the end, and at
 * its peak. It fails on any error, or when RSS grew between warm-up and
 * the end by more than RSS_GROWTH_KB, or since half-time by more than
 * RSS_HALF_KB (see there).
 * argv: seconds (default 600) workers (default 8) seed. WEFT_SOAK_ONLY=a,b
 * runs only the workloads whose names contain one of the words (to find
 * which one a failure or a growth comes from).
 */
#include "soak.h"

#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "weft_test.h"

/*
 * Allowed RSS growth, two bounds. A leak grows RSS linearly; caches and
 * transient backlogs grow it to a plateau. By the warm-up sample (10% of
 * the run) the per-thread caches (futures, lanes, counter chunks, glibc's
 * per-thread arenas and cached thread stacks) have their working size.
 * The largest transient is liburcu's call_rcu backlog: map nodes retired
 * faster than its thread, starved on 2 oversubscribed cores, frees them;
 * glibc keeps that memory once freed, so RSS steps up to the worst
 * backlog seen (14 MiB with the map workload alone in 60 s, about 35 MiB
 * with everything, mostly before 20% of the run). Hence:
 * - end - warm-up <= RSS_GROWTH_KB (64 MiB): the steps of the plateau;
 * - end - half-time <= RSS_HALF_KB (16 MiB): a plateau is flat by then, a
 *   leak of 1 MiB/s is not (in 60 s). A leak of one byte per task (the
 *   soak runs about 3 * 10^6 tasks/s) breaks both at once.
 */
#define RSS_GROWTH_KB (64 * 1024)
/* Sanitizer builds: quarantine and shadow memory make RSS meaningless. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#    define RSS_CHECKED 0
#elif defined(__has_feature)
#    if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#        define RSS_CHECKED 0
#    endif
#endif
#ifndef RSS_CHECKED
#    define RSS_CHECKED 1
#endif
#define RSS_HALF_KB (16 * 1024)
#define MAX_THREADS 64

struct soak soak;

static bool
selected(const char *name)
{
    const char *only = getenv("WEFT_SOAK_ONLY");
    char buf[256], *save = NULL;

    if (only == NULL || *only == '\0')
        return true;
    snprintf(buf, sizeof(buf), "%s", only);
    for (char *w = strtok_r(buf, ",", &save); w != NULL;
         w = strtok_r(NULL, ",", &save))
        if (strstr(name, w) != NULL)
            return true;
    return false;
}

weft_deadline_t
soak_patience(void)
{
    return weft_deadline_in((uint64_t)(120e9 * weft_test_timeout_multiplier()));
}

/* A field of /proc/self/status in kB ("VmRSS:", "VmHWM:"); 0 if absent. */
static long
status_kb(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;

    if (f == NULL)
        return 0;
    while (fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, field, strlen(field)) == 0)
            kb = strtol(line + strlen(field), NULL, 10);
    fclose(f);
    return kb;
}

static void
sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};

    while (nanosleep(&ts, &ts) != 0)
        ;
}

static void
progress(const char *when, long rss)
{
    struct mallinfo2 mi = mallinfo2(); /* all arenas */

    printf("soak: %s: %lu tasks, %lu items, %lu ops, %lu errors, RSS %ld kB "
           "(malloc in use %zu kB)\n",
           when, (unsigned long)SOAK_GET(soak.tasks),
           (unsigned long)SOAK_GET(soak.items),
           (unsigned long)SOAK_GET(soak.ops),
           (unsigned long)SOAK_GET(soak.errors), rss,
           (mi.uordblks + mi.hblkhd) / 1024);
    fflush(stdout);
}

int
main(int argc, char **argv)
{
    static const struct soak_workload *lists[] = {soak_pool_workloads,
                                                  soak_data_workloads};
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    pthread_t tid[MAX_THREADS];
    int nthreads = 0, ticks;
    long rss_warm = 0, rss_half = 0, rss_end, peak = 0, rss;
    struct rusage ru;

    soak.seconds = argc > 1 ? atof(argv[1]) : 600;
    o.workers = argc > 2 ? (unsigned)atoi(argv[2]) : 8;
    soak.seed = weft_test_seed(argc, argv);
    if (soak.seconds < 1)
        soak.seconds = 1;
    o.name = "soak";
    ASSERT_EQ(weft_pool_create(&o, &soak.pool), 0);
    for (int l = 0; l < 2; l++)
        for (const struct soak_workload *w = lists[l]; w->name; w++) {
            if (!selected(w->name))
                continue;
            if (w->init != NULL && w->init() != 0) {
                fprintf(stderr, "soak: %s: init failed\n", w->name);
                return 1;
            }
            for (int i = 0; i < w->threads; i++) {
                ASSERT_TRUE(nthreads < MAX_THREADS);
                ASSERT_EQ(pthread_create(&tid[nthreads++], NULL, w->fn,
                                         (void *)(uintptr_t)i),
                          0);
            }
        }
    printf("soak: %.0f s, %u workers, %d threads of workloads\n", soak.seconds,
           o.workers, nthreads);
    /* Ten ticks: warm-up RSS after the first, progress after each. */
    for (ticks = 1; ticks <= 10; ticks++) {
        sleep_s(soak.seconds / 10);
        rss = status_kb("VmRSS:");
        if (ticks == 1)
            rss_warm = rss;
        if (ticks == 5)
            rss_half = rss;
        peak = rss > peak ? rss : peak;
        progress(ticks == 1 ? "warm-up" : "running", rss);
    }
    rss_end = status_kb("VmRSS:");
    /* relaxed: see SOAK_RUNNING(); the joins below order the rest. */
    atomic_store_explicit(&soak.stop, true, memory_order_relaxed);
    for (int i = 0; i < nthreads; i++)
        pthread_join(tid[i], NULL);
    for (int l = 0; l < 2; l++)
        for (const struct soak_workload *w = lists[l]; w->name; w++)
            if (w->check != NULL && selected(w->name))
                w->check();
    if (weft_pool_destroy(soak.pool) != 0)
        SOAK_FAIL("pool destroy\n");
    /* The kernel updates VmHWM lazily: take the largest of all three. */
    if (status_kb("VmHWM:") > peak)
        peak = status_kb("VmHWM:");
    if (getrusage(RUSAGE_SELF, &ru) == 0 && ru.ru_maxrss > peak)
        peak = ru.ru_maxrss;
    printf("soak: %.0f s: %lu tasks completed, %lu items moved, %lu other "
           "ops, %lu errors; RSS %ld kB after warm-up, %ld kB at half-time, "
           "%ld kB at the end (%+ld kB, bound %d; %+ld kB since half-time, "
           "bound %d), peak %ld kB\n",
           soak.seconds, (unsigned long)SOAK_GET(soak.tasks),
           (unsigned long)SOAK_GET(soak.items),
           (unsigned long)SOAK_GET(soak.ops),
           (unsigned long)SOAK_GET(soak.errors), rss_warm, rss_half, rss_end,
           rss_end - rss_warm, RSS_GROWTH_KB, rss_end - rss_half, RSS_HALF_KB,
           peak);
    /* Freed memory that glibc kept goes back now; what stays was leaked
     * (or is still cached): tells a leak from a backlog that was freed. */
    malloc_trim(0);
    {
        struct mallinfo2 mi = mallinfo2();
        printf("soak: after teardown and malloc_trim: RSS %ld kB, malloc "
               "in use %zu kB, free but kept %zu kB\n",
               status_kb("VmRSS:"), (mi.uordblks + mi.hblkhd) / 1024,
               mi.fordblks / 1024);
    }
    if (SOAK_GET(soak.errors) != 0)
        return 1;
    if (!RSS_CHECKED) {
        printf("soak: PASS (RSS not checked in a sanitizer build)\n");
        return 0;
    }
    if (rss_end - rss_warm > RSS_GROWTH_KB ||
        rss_end - rss_half > RSS_HALF_KB) {
        printf("soak: FAIL: RSS grew beyond its bounds: a leak?\n");
        return 1;
    }
    printf("soak: PASS\n");
    return 0;
}
