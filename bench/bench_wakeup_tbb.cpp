// SPDX-License-Identifier: MIT
//
// bench_wakeup_tbb.cpp - the wake-up benchmark (wakeup.h) on oneTBB: an
// arena of T workers (no slot reserved for the outside submitter), one
// tbb::task_arena::enqueue per sample (oneTBB's way to hand one task from
// an outside thread to a pool, as bench_submit_tbb.cpp), completion by a
// mutex + condvar so the submitter's wait burns no CPU. oneTBB's own idle
// policy (its workers spin a while, then sleep) is what is measured.
#include <condition_variable>
#include <mutex>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include "bench.h"
#include "wakeup.h"

namespace
{

struct one_shot {
    std::mutex m;
    std::condition_variable cv;
    bool done = false;
};

int
sample(void *pool, uint64_t *lat)
{
    auto *arena = static_cast<tbb::task_arena *>(pool);
    volatile uint64_t started = 0;
    one_shot s;
    uint64_t t0 = bench_now_ns();

    arena->enqueue([&s, &started] {
        started = bench_now_ns();
        std::lock_guard<std::mutex> g(s.m);
        s.done = true;
        s.cv.notify_one();
    });
    std::unique_lock<std::mutex> g(s.m);
    s.cv.wait(g, [&s] { return s.done; });
    *lat = started - t0;
    return 0;
}

} // namespace

int
main()
{
    unsigned threads[BENCH_MAX_THREADS];
    int nt = bench_threads(threads, BENCH_MAX_THREADS, "1,2");
    uint64_t *lat = wakeup_alloc();

    if (lat == nullptr)
        return 1;
    for (int i = 0; i < nt; i++) {
        // T workers: TBB's cap is max_allowed_parallelism - 1 workers.
        tbb::global_control gc(tbb::global_control::max_allowed_parallelism,
                               threads[i] + 1);
        tbb::task_arena arena((int)threads[i], 0);

        arena.initialize();
        (void)wakeup_run("tbb", threads[i], sample, &arena, lat);
    }
    free(lat);
    return 0;
}
