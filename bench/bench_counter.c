/* SPDX-License-Identifier: MIT */
/*
 * bench_counter.c - increments per second, at each thread count of
 * WEFT_BENCH_THREADS (default 1,2), for:
 *   weft         weft_counter_inc(): the sharded counter (inline path)
 *   weft-atomic  weft_atomic_add(): one shared seq_cst counter, new value
 *   atomic       one shared _Atomic counter, relaxed fetch_add, inline
 *   mutex        one counter behind a pthread mutex (the baseline)
 *   raw-slot     each thread's own padded slot, relaxed load + store in
 *                place: the physical limit the sharded counter aims at
 * Every thread runs the same loop shape: 4096 increments, then a look at
 * the stop flag. The weft counter's total is checked against the count.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <weft/counter.h>

#include "bench.h"

enum sys { SYS_WEFT, SYS_WEFT_ATOMIC, SYS_ATOMIC, SYS_MUTEX, SYS_RAW, NSYS };
static const char *sys_name[NSYS] = {"weft", "weft-atomic", "atomic", "mutex",
                                     "raw-slot"};

#define BATCH 4096

static weft_counter_t *wc;
static weft_atomic_t wa;
static _Alignas(128) _Atomic uint64_t shared_ctr;
static _Alignas(128) pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static _Alignas(128) uint64_t mtx_ctr;
static struct {
    _Alignas(128) _Atomic uint64_t v;
} raw[BENCH_MAX_THREADS];

static _Alignas(128) atomic_int go, stop;
static atomic_uint ready;

struct targ {
    enum sys sys;
    unsigned idx;
    uint64_t ops;
};

static void *
run(void *p)
{
    struct targ *t = p;
    uint64_t ops = 0;

    /* relaxed: start line; the counters themselves are what is measured. */
    atomic_fetch_add_explicit(&ready, 1, memory_order_relaxed);
    while (!atomic_load_explicit(&go, memory_order_acquire))
        ;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        switch (t->sys) {
        case SYS_WEFT:
            for (int i = 0; i < BATCH; i++)
                weft_counter_inc(wc);
            break;
        case SYS_WEFT_ATOMIC:
            for (int i = 0; i < BATCH; i++) {
                int64_t v;
                weft_atomic_add(&wa, 1, &v);
                BENCH_KEEP(v);
            }
            break;
        case SYS_ATOMIC:
            for (int i = 0; i < BATCH; i++)
                atomic_fetch_add_explicit(&shared_ctr, 1, memory_order_relaxed);
            break;
        case SYS_MUTEX:
            for (int i = 0; i < BATCH; i++) {
                pthread_mutex_lock(&mtx);
                mtx_ctr++;
                pthread_mutex_unlock(&mtx);
            }
            break;
        case SYS_RAW: {
            _Atomic uint64_t *s = &raw[t->idx].v;
            for (int i = 0; i < BATCH; i++) {
                uint64_t v = atomic_load_explicit(s, memory_order_relaxed);
                atomic_store_explicit(s, v + 1, memory_order_relaxed);
            }
            break;
        }
        default:
            break;
        }
        ops += BATCH;
    }
    t->ops = ops;
    return NULL;
}

static double
measure(enum sys sys, unsigned nt, uint64_t ms)
{
    pthread_t th[BENCH_MAX_THREADS];
    struct targ ta[BENCH_MAX_THREADS];
    uint64_t t0, t1, total = 0;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    atomic_store_explicit(&go, 0, memory_order_relaxed);
    atomic_store_explicit(&stop, 0, memory_order_relaxed);
    atomic_store_explicit(&ready, 0, memory_order_relaxed);
    weft_counter_reset(wc);
    for (unsigned i = 0; i < nt; i++) {
        ta[i] = (struct targ){sys, i, 0};
        pthread_create(&th[i], NULL, run, &ta[i]);
    }
    while (atomic_load_explicit(&ready, memory_order_relaxed) < nt)
        ;
    t0 = bench_now_ns();
    BENCH_REGION_BEGIN();
    atomic_store_explicit(&go, 1, memory_order_release);
    nanosleep(&ts, NULL);
    atomic_store_explicit(&stop, 1, memory_order_relaxed);
    for (unsigned i = 0; i < nt; i++) {
        pthread_join(th[i], NULL);
        total += ta[i].ops;
    }
    t1 = bench_now_ns();
    BENCH_REGION_END();
    if (sys == SYS_WEFT) {
        int64_t v;
        weft_counter_read(wc, &v);
        if ((uint64_t)v != total) {
            fprintf(stderr, "bench_counter: weft counter %lld != %llu\n",
                    (long long)v, (unsigned long long)total);
            exit(1);
        }
    }
    return (double)total * 1e9 / (double)(t1 - t0);
}

int
main(void)
{
    unsigned threads[BENCH_MAX_THREADS];
    int n = bench_threads(threads, BENCH_MAX_THREADS, "1,2");
    uint64_t ms = bench_size("WEFT_BENCH_COUNTER_MS", 250, 60);
    char params[64];

    if (weft_counter_create(&wc) != 0)
        return 1;
    weft_atomic_init(&wa, 0);
    for (int i = 0; i < n; i++) {
        snprintf(params, sizeof(params), "threads=%u", threads[i]);
        for (int s = 0; s < NSYS; s++)
            bench_emit("counter_inc", params, sys_name[s],
                       measure((enum sys)s, threads[i], ms), "ops/s", "higher");
    }
    weft_counter_destroy(wc);
    return 0;
}
