/* SPDX-License-Identifier: MIT */
/*
 * bench_fib_omp.c - fib(n) with OpenMP tasks, built twice: gcc + libgomp
 * ("omp-gcc") and clang + libomp ("omp-llvm"). The textbook form: one
 * `#pragma omp task shared(x)` per level with no if/final clause (no
 * cutoff, like every other system), `taskwait` to sync, inside
 * `parallel num_threads(T)` + `single`. Environment (OMP_WAIT_POLICY,
 * OMP_PROC_BIND, KMP_BLOCKTIME, GOMP_SPINCOUNT) is left at the runtime's
 * default, as a user gets it.
 */
#include <omp.h>

#include "bench.h"
#include "fib.h"
#include "omp_check.h"

static long
fib_omp(int n)
{
    long x, y;

    if (n < 2)
        return n;
#pragma omp task shared(x)
    x = fib_omp(n - 1);
    y = fib_omp(n - 2);
#pragma omp taskwait
    return x + y;
}

static long
fib_team(unsigned threads, int n)
{
    long r = 0;

#pragma omp parallel num_threads(threads)
#pragma omp single
    r = fib_omp(n);
    return r;
}

static int
run_omp(unsigned threads, int n, long *result, uint64_t *ns, char *why)
{
    uint64_t t0;
    long r;

    if (!omp_runtime_ok()) {
        snprintf(why, 64, "not linked against %s", BENCH_OMP_LIB);
        return 1;
    }
    r = fib_team(threads, 20); /* warm-up: starts the team's threads */
    BENCH_KEEP(r);
    t0 = bench_now_ns();
    BENCH_REGION_BEGIN();
    r = fib_team(threads, n);
    BENCH_REGION_END();
    *ns = bench_now_ns() - t0;
    *result = r;
    return 0;
}

int
main(void)
{
    omp_set_dynamic(0);
    fib_bench(BENCH_SYSTEM, run_omp);
    return 0;
}
