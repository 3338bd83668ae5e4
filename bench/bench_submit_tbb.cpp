// SPDX-License-Identifier: MIT
//
// bench_submit_tbb.cpp - the submit benchmark on oneTBB's fire-and-forget
// fast path: tbb::task_arena::enqueue from an outside thread into an arena
// of T workers (no slot reserved for the submitter, which never joins),
// completion counted by one atomic; the last task wakes the submitter
// (mutex + condvar, so waiting burns no CPU). TBB has no per-task future
// here: it does less work per task than weft or the mutex pool.
// Also the idle benchmark (idle.h) when built as bench_idle_tbb.
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include "bench.h"
#include "idle.h"

namespace
{

struct countdown {
    std::atomic<long> left;
    std::mutex m;
    std::condition_variable cv;
    bool open = false;

    explicit countdown(long n) : left(n)
    {
    }
    void done()
    {
        if (left.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            std::lock_guard<std::mutex> g(m);
            open = true;
            cv.notify_one();
        }
    }
    void wait()
    {
        std::unique_lock<std::mutex> g(m);
        cv.wait(g, [this] { return open; });
    }
};

void
burst(tbb::task_arena &arena, long n)
{
    countdown c(n);
    for (long i = 0; i < n; i++)
        arena.enqueue([&c] { c.done(); });
    c.wait();
}

} // namespace

int
main()
{
    unsigned threads[BENCH_MAX_THREADS];
    int nt = bench_threads(threads, BENCH_MAX_THREADS, "1,2");
#ifdef BENCH_IDLE
    long n = 100;
#else
    long n = (long)bench_size("WEFT_BENCH_SUBMIT_N", 1000000, 100000);
#endif

    for (int i = 0; i < nt; i++) {
        char params[64];
        // T workers: TBB's cap is max_allowed_parallelism - 1 workers.
        tbb::global_control gc(tbb::global_control::max_allowed_parallelism,
                               threads[i] + 1);
        tbb::task_arena arena((int)threads[i], 0);

        arena.initialize();
        burst(arena, n < 1000 ? n : 1000); // warm-up: workers join
#ifdef BENCH_IDLE
        idle_emit("tbb", threads[i], idle_measure());
        (void)params;
#else
        snprintf(params, sizeof(params), "n=%ld,threads=%u", n, threads[i]);
        fprintf(stderr, "  submit tbb %s\n", params);
        uint64_t t0 = bench_now_ns();
        BENCH_REGION_BEGIN();
        burst(arena, n);
        BENCH_REGION_END();
        uint64_t ns = bench_now_ns() - t0;
        bench_emit("submit", params, "tbb", (double)n * 1e9 / (double)ns,
                   "tasks/s", "higher");
#endif
    }
    return 0;
}
