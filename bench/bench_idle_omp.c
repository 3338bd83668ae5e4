/* SPDX-License-Identifier: MIT */
/*
 * bench_idle_omp.c - CPU an idle OpenMP team burns after a parallel region
 * (idle.h), built twice like bench_fib_omp.c. The runtimes' default wait
 * policies differ and are left alone: libomp spins for KMP_BLOCKTIME
 * (200 ms) before sleeping, libgomp for GOMP_SPINCOUNT iterations.
 */
#include <omp.h>

#include "bench.h"
#include "idle.h"
#include "omp_check.h"

int
main(void)
{
    unsigned threads[BENCH_MAX_THREADS];
    int nt = bench_threads(threads, BENCH_MAX_THREADS, "1,2");

    omp_set_dynamic(0);
    for (int i = 0; i < nt; i++) {
        char params[32];
        long sum = 0;

        snprintf(params, sizeof(params), "threads=%u", threads[i]);
        if (!omp_runtime_ok()) {
            bench_missing("idle", params, BENCH_SYSTEM,
                          "not linked against " BENCH_OMP_LIB);
            continue;
        }
#pragma omp parallel for num_threads(threads[i]) reduction(+ : sum)
        for (int k = 0; k < 100; k++)
            sum += k;
        BENCH_KEEP(sum);
        idle_emit(BENCH_SYSTEM, threads[i], idle_measure());
    }
    return 0;
}
