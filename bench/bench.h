/* SPDX-License-Identifier: MIT */
/*
 * bench.h - the row protocol every benchmark binary speaks, so bench/run.sh
 * can repeat runs, take medians and draw one table.
 *
 * A benchmark binary measures once per invocation and prints rows on
 * stdout, one per (benchmark, params, system):
 *   weft-bench<TAB>benchmark<TAB>params<TAB>system<TAB>value<TAB>unit<TAB>better
 * better is "higher" or "lower". A system that cannot run prints why:
 *   weft-bench-missing<TAB>benchmark<TAB>params<TAB>system<TAB>reason
 * system names: "weft", the baseline "mutex", and peers ("tbb", "omp-gcc",
 * "omp-llvm", "glib", "ck_ring", "cds_lfht", "seq", ...). Everything else a
 * binary prints (progress, notes) goes to stderr.
 */
#ifndef WEFT_BENCH_H
#define WEFT_BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t
bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void
bench_emit(const char *bench, const char *params, const char *system,
           double value, const char *unit, const char *better)
{
    printf("weft-bench\t%s\t%s\t%s\t%.6g\t%s\t%s\n", bench, params, system,
           value, unit, better);
    fflush(stdout);
}

static inline void
bench_missing(const char *bench, const char *params, const char *system,
              const char *reason)
{
    printf("weft-bench-missing\t%s\t%s\t%s\t%s\n", bench, params, system,
           reason);
    fflush(stdout);
}

/* Keeps the compiler from deleting a computed value. */
#define BENCH_KEEP(x) __asm__ volatile("" : : "g"(x) : "memory")

/* Makes the compiler forget what it knows about x (an lvalue), so two calls
 * of a pure function with the same argument are not merged into one. */
#define BENCH_HIDE(x) __asm__ volatile("" : "+r"(x) : : "memory")

/*
 * Run parameters, read from the environment that bench/run.sh sets. Every
 * binary honours them, so a subset run means the same thing everywhere:
 *   WEFT_BENCH_QUICK=1          smaller sizes (bench/run.sh --quick)
 *   WEFT_BENCH_THREADS=1,2,4    the thread/worker counts to measure
 * Helpers are static inline and valid C and C++ (the oneTBB peer).
 */
#include <string.h>
#include <unistd.h>

#define BENCH_MAX_THREADS 64

/* 1 when WEFT_BENCH_QUICK is set to anything but "" or "0". */
static inline int
bench_quick(void)
{
    const char *s = getenv("WEFT_BENCH_QUICK");
    return s != NULL && s[0] != '\0' && strcmp(s, "0") != 0;
}

/* An unsigned from the environment, or def when unset or unparsable. */
static inline unsigned long
bench_env_ul(const char *name, unsigned long def)
{
    const char *s = getenv(name);
    char *end;
    unsigned long v;

    if (s == NULL || *s == '\0')
        return def;
    v = strtoul(s, &end, 10);
    return *end == '\0' ? v : def;
}

/* def in full runs, quick in --quick runs; name overrides both. */
static inline unsigned long
bench_size(const char *name, unsigned long def, unsigned long quick)
{
    return bench_env_ul(name, bench_quick() ? quick : def);
}

/*
 * The thread counts to measure: WEFT_BENCH_THREADS ("1,2,4"), else def
 * (same syntax). Fills out[] (at most max entries, each in 1..
 * BENCH_MAX_THREADS) and returns how many.
 */
static inline int
bench_threads(unsigned *out, int max, const char *def)
{
    const char *s = getenv("WEFT_BENCH_THREADS");
    int n = 0;

    if (s == NULL || *s == '\0')
        s = def;
    while (*s != '\0' && n < max) {
        char *end;
        unsigned long v = strtoul(s, &end, 10);
        if (end == s)
            break;
        if (v >= 1 && v <= BENCH_MAX_THREADS)
            out[n++] = (unsigned)v;
        s = *end == ',' ? end + 1 : end;
    }
    return n;
}

/* The CPUs online; rows with threads above it are flagged by run.sh. */
static inline unsigned
bench_ncpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1u;
}

/* CPU time of a clock (CLOCK_PROCESS_CPUTIME_ID, ...), in ns. */
static inline uint64_t
bench_cpu_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The measured region, for bench/run.sh --callgrind: valgrind runs with
 * --instr-atstart=no, so only instructions between these two count (on
 * every thread). Outside valgrind they cost a few instructions.
 */
#if defined(__has_include)
#    if __has_include(<valgrind/callgrind.h>)
#        include <valgrind/callgrind.h>
#        define BENCH_HAVE_CALLGRIND 1
#    endif
#endif
#ifdef BENCH_HAVE_CALLGRIND
#    define BENCH_REGION_BEGIN() CALLGRIND_START_INSTRUMENTATION
#    define BENCH_REGION_END()   CALLGRIND_STOP_INSTRUMENTATION
#else
#    define BENCH_REGION_BEGIN() ((void)0)
#    define BENCH_REGION_END()   ((void)0)
#endif

#endif /* WEFT_BENCH_H */
