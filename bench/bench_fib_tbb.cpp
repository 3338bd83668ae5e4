// SPDX-License-Identifier: MIT
//
// bench_fib_tbb.cpp - fib(n) on oneTBB: tbb::task_group run + wait at every
// level (oneTBB's own documented fib example, without its cutoff, like
// every other system here), inside a tbb::task_arena of T slots (the
// calling thread plus T-1 workers). global_control raises TBB's worker cap
// (default: CPUs - 1) so T above the CPU count is really T threads.
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>

#include "bench.h"
#include "fib.h"

static long
fib_tbb(int n)
{
    if (n < 2)
        return n;
    long x = 0, y;
    tbb::task_group g;
    g.run([&] { x = fib_tbb(n - 1); });
    y = fib_tbb(n - 2);
    g.wait();
    return x + y;
}

static int
run_tbb(unsigned threads, int n, long *result, uint64_t *ns, char *why)
{
    (void)why;
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism,
                           threads);
    tbb::task_arena arena((int)threads);
    long r = 0;
    uint64_t t0 = 0, t1 = 0;

    arena.execute([&] { r = fib_tbb(20); }); // warm-up: workers join
    BENCH_KEEP(r);
    t0 = bench_now_ns();
    BENCH_REGION_BEGIN();
    arena.execute([&] { r = fib_tbb(n); });
    BENCH_REGION_END();
    t1 = bench_now_ns();
    *ns = t1 - t0;
    *result = r;
    return 0;
}

int
main()
{
    fib_bench("tbb", run_tbb);
    return 0;
}
