/* SPDX-License-Identifier: MIT */
/*
 * soak.h - what the soak runner's workloads share (tests/README.md "Soak").
 * Each workload is a set of threads that loop until soak.stop, tally what
 * they did in the counters below, and a check that compares the end state
 * with an exact model.
 */
#ifndef WEFT_SOAK_H
#define WEFT_SOAK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <weft.h>

struct soak {
    weft_pool_t *pool;
    uint64_t seed;
    double seconds;
    _Atomic bool stop;       /* set once by main at the end */
    _Atomic uint64_t tasks;  /* pool tasks run (futures, fork-join, timers) */
    _Atomic uint64_t items;  /* items moved through queues and bgworker */
    _Atomic uint64_t ops;    /* other operations (map, counter, sync, ...) */
    _Atomic uint64_t errors; /* failed invariants */
};
extern struct soak soak;

/* A failed invariant: counted, the first 20 printed. */
#define SOAK_FAIL(...)                                                         \
    do {                                                                       \
        if (atomic_fetch_add_explicit(&soak.errors, 1, memory_order_relaxed) < \
            20)                                                                \
            fprintf(stderr, "soak: " __VA_ARGS__);                             \
    } while (0)

/* relaxed: tallies; progress reads them roughly, the checks after every
 * thread was joined (the joins order them). */
#define SOAK_GET(x) atomic_load_explicit(&(x), memory_order_relaxed)
#define SOAK_ADD(field, n) \
    atomic_fetch_add_explicit(&soak.field, (n), memory_order_relaxed)

/* relaxed: a flag polled in loops; joins order everything after it. */
#define SOAK_RUNNING() (!atomic_load_explicit(&soak.stop, memory_order_relaxed))

/* A deadline for waits that only a lost wake-up or task can exceed. */
weft_deadline_t soak_patience(void);

/* One workload: `threads` threads run fn(index); init before, check after
 * every thread of every workload was joined; both report via SOAK_FAIL.
 * The lists end with an entry whose name is NULL. */
struct soak_workload {
    const char *name;
    int threads;
    int (*init)(void);
    void *(*fn)(void *index);
    void (*check)(void);
};
extern const struct soak_workload soak_pool_workloads[];
extern const struct soak_workload soak_data_workloads[];

#endif /* WEFT_SOAK_H */
