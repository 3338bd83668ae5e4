/* SPDX-License-Identifier: MIT */
/* internal.h - weft__ cross-file declarations shared by the runtime. */
#ifndef WEFT_INTERNAL_H
#define WEFT_INTERNAL_H

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <weft/common.h>

#include "chaos.h" /* WEFT_CHAOS_POINT(): nothing unless WEFT_CHAOS=ON */

#define weft_likely(x)   __builtin_expect(!!(x), 1)
#define weft_unlikely(x) __builtin_expect(!!(x), 0)

/* Invariants that, broken, mean memory is already corrupt: abort loudly. */
#define WEFT_ASSERT(cond)                                 \
    do {                                                  \
        if (weft_unlikely(!(cond)))                       \
            weft__assert_fail(#cond, __FILE__, __LINE__); \
    } while (0)
_Noreturn void weft__assert_fail(const char *what, const char *file, int line);

/*
 * The one allocation path of the runtime (alloc.c). Every site goes through
 * it, so a test build can make each one fail in turn (issue "Reliability").
 */
void *weft__malloc(size_t n);
void *weft__calloc(size_t n, size_t size);
void *weft__aligned_alloc(size_t align, size_t n);
void weft__free(void *p);
#ifdef WEFT_FAULT_INJECT
#    include "fault.h" /* turns the three allocators into site macros */
#endif
/* Put before an allocation that does not go through weft__malloc (an
 * mmap): nonzero when a fault-injection build fails it (fault.h). */
#ifndef weft__fault_point
#    define weft__fault_point() 0
#endif

/* thread.c: pool workers join the registry behind weft_threads_*(), on
 * their own thread, at start and before they return. */
void weft__thread_worker_enter(const char *name);
void weft__thread_worker_exit(void);

/* scheduler.c: a timer that targets pool holds its memory (timer.c), so
 * weft_pool_destroy() never frees it under a timer that will still submit
 * to it: such a submit finds the pool shut down and the timer's future
 * completes as cancelled; the last drop frees the pool. */
struct weft_pool;
void weft__pool_timer_hold(struct weft_pool *pool);
void weft__pool_timer_drop(struct weft_pool *pool);
/* timer.c: called by weft_pool_shutdown() once pool is CLOSED: its armed
 * timers complete as cancelled, and a fire to it in flight is waited for. */
void weft__timers_pool_closing(struct weft_pool *pool);
/* pthread_atfork phases for the leaf locks of thread.c (its registry)
 * and counter.c (thread ids); scheduler.c registers the handlers. The
 * forking thread takes each lock before the fork and releases it in both
 * processes after. */
enum weft__fork_phase {
    WEFT__FORK_PREPARE,
    WEFT__FORK_PARENT,
    WEFT__FORK_CHILD
};
void weft__thread_fork(enum weft__fork_phase phase);
void weft__counter_fork(enum weft__fork_phase phase);

/* timer.c: pthread_atfork handlers (scheduler.c registers them): the
 * child has no timer thread until the next timer is armed. */
void weft__timers_fork_prepare(void);
void weft__timers_fork_parent(void);
void weft__timers_fork_child(void);

/* clock.c: deadline (absolute CLOCK_MONOTONIC ns) to a timespec. */
struct timespec;
void weft__ns_to_timespec(uint64_t ns, struct timespec *ts);

#endif /* WEFT_INTERNAL_H */
