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

#endif /* WEFT_BENCH_H */
