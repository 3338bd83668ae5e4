/* SPDX-License-Identifier: MIT */
/*
 * idle.h - the idle benchmark's shared half (C and C++): after a pool has
 * done a little work, wait 10 ms, then measure the CPU time every thread
 * but the calling one burns over a window of WEFT_BENCH_IDLE_MS (1000 ms,
 * 250 in --quick): process CPU clock minus the caller's thread CPU clock.
 * Row: idle  threads=T  <system>  ms CPU per s of wall time  lower.
 */
#ifndef WEFT_BENCH_IDLE_H
#define WEFT_BENCH_IDLE_H

#include <errno.h>
#include <stdio.h>
#include <time.h>

#include "bench.h"

static inline void
idle_sleep_ns(uint64_t ns)
{
    struct timespec ts;
    uint64_t until = bench_now_ns() + ns;

    ts.tv_sec = (time_t)(until / 1000000000u);
    ts.tv_nsec = (long)(until % 1000000000u);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

/* The pool just worked; returns the others' CPU ms per wall second. */
static inline double
idle_measure(void)
{
    uint64_t ms = bench_size("WEFT_BENCH_IDLE_MS", 1000, 250);
    uint64_t p0, m0, t0, p1, m1, t1;
    double v;

    idle_sleep_ns(10 * 1000000u);
    BENCH_REGION_BEGIN();
    /* The caller's interval [m0, m1] lies inside the process's [p0, p1]:
     * the error is the caller's CPU between the reads, under a us. */
    p0 = bench_cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
    m0 = bench_cpu_ns(CLOCK_THREAD_CPUTIME_ID);
    t0 = bench_now_ns();
    idle_sleep_ns(ms * 1000000u);
    t1 = bench_now_ns();
    m1 = bench_cpu_ns(CLOCK_THREAD_CPUTIME_ID);
    p1 = bench_cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
    BENCH_REGION_END();
    v = ((double)(p1 - p0) - (double)(m1 - m0)) / 1e6 /
        ((double)(t1 - t0) / 1e9);
    /* Resolution 0.1 ms/s (0.01% of a CPU): reading the process clock
     * costs the caller a few us, which is noise at that scale. */
    v = (double)(long)(v * 10.0 + 0.5) / 10.0;
    return v > 0 ? v : 0.0;
}

static inline void
idle_emit(const char *system, unsigned threads, double ms_per_s)
{
    char params[32];

    snprintf(params, sizeof(params), "threads=%u", threads);
    bench_emit("idle", params, system, ms_per_s, "ms CPU/s", "lower");
}

#endif /* WEFT_BENCH_IDLE_H */
