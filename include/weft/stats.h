/* SPDX-License-Identifier: MIT */
/*
 * weft/stats.h - per-worker scheduler statistics, always on.
 *
 * Each worker counts its own events in its own cache lines (plain stores by
 * the owner, no atomic read-modify-write), so counting costs a few
 * instructions per event. A snapshot reads every counter atomically (no
 * torn values) while the pool runs; counters are monotonic, so two
 * snapshots subtract cleanly, but one snapshot is not a single instant
 * across workers.
 *
 * Thread safety: every function may run concurrently with each other and
 * with the running pool, from any threads, between create and destroy.
 * Ownership: out, file and buf are the caller's; nothing is kept.
 *
 * Every counter's exact meaning:
 */
#ifndef WEFT_STATS_H
#define WEFT_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* FILE, for weft_pool_stats_print() only */

#include <weft/common.h>
#include <weft/pool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct weft_worker_stats {
    /* Jobs this worker ran: futures (from any queue, or inline for a
     * waiter on this worker) and other workers' tasks it stole, counted
     * when they start; plus this worker's own spawned tasks that no other
     * worker ran, derived as tasks_spawned minus those stolen (so the hot
     * spawn/sync path counts only the spawn). Exact once the pool is
     * quiescent; while tasks are in flight, a spawned task not yet run
     * already counts. Cancelled futures are not runs. */
    uint64_t tasks_run;
    /* weft_spawn() calls made by tasks on this worker. */
    uint64_t tasks_spawned;
    /* weft_pool_submit() calls made by tasks on this worker to its own
     * pool (they land on this worker's deque). */
    uint64_t tasks_submitted;
    /* Jobs this worker took from outside threads' lanes. */
    uint64_t lane_jobs;
    /* Attempts to take a job from another worker's deque (one per victim
     * tried), including helping while waiting. */
    uint64_t steal_attempts;
    /* Attempts that took at least one job. */
    uint64_t steals;
    /* Jobs taken by those steals (more than steals with WEFT_STEAL_HALF). */
    uint64_t tasks_stolen;
    /* Failed attempts: the victim's deque was empty ... */
    uint64_t steal_empty;
    /* ... or another thief (or the owner) won the race for the job. */
    uint64_t steal_lost;
    /* Times the worker went to sleep on its futex. */
    uint64_t parks;
    /* Times it woke up (woken by a producer, by shutdown, or by the park
     * timeout). */
    uint64_t wakeups;
    /* Wake-ups after which its next search for work found nothing. */
    uint64_t wakeups_no_work;
    /* Jobs run while waiting in weft_sync() or weft_future_result(): a
     * stolen task's children taken from its thief, and awaited futures run
     * inline. */
    uint64_t helps;
    /* Futures cancelled when they reached this worker (shutdown). */
    uint64_t cancelled;
    /* Nanoseconds since the worker started: spent searching other workers
     * and lanes after its own deque was empty (stealing), spinning or
     * parked with nothing found (idle), and the rest (running). They
     * stop when the worker exits. */
    uint64_t ns_running;
    uint64_t ns_stealing;
    uint64_t ns_idle;
    /* Typed spawns (weft/typed.h) made while this worker already had
     * WEFT_TYPED_DEPTH outstanding: each ran at once, in the spawn. */
    uint64_t typed_overflows;
};

struct weft_pool_stats {
    unsigned workers;                 /* workers in the pool */
    uint64_t submitted_outside;       /* weft_pool_submit() from outside */
    struct weft_worker_stats total;   /* the sum over the workers */
    struct weft_worker_stats *worker; /* caller's array, or NULL */
    unsigned worker_capacity;         /* its length */
};

/*
 * weft_pool_stats() - read the pool's counters. If out->worker is not NULL,
 * up to out->worker_capacity per-worker entries are filled too.
 * Return: 0; -EINVAL (NULL pool or out).
 * Context: any thread, any time between create and destroy.
 */
WEFT_API int weft_pool_stats(weft_pool_t *pool, struct weft_pool_stats *out);

/*
 * weft_pool_stats_print() - a table, one row per worker and a total.
 * Return: 0; -EINVAL (NULL pool or file); -ENOMEM (nothing written);
 * -EIO (the write failed).
 */
WEFT_API int weft_pool_stats_print(weft_pool_t *pool, FILE *file);

/*
 * weft_pool_stats_openmetrics() - the same counters in the OpenMetrics
 * (Prometheus) text format, ending with "# EOF\n", into buf (NUL
 * terminated). *len receives the length without the NUL, or the size
 * needed when the buffer is too small.
 * Return: 0; -ENOSPC (buf too small: call again with *len + 1 bytes; on
 * a running pool a counter may grow a digit in between, so loop until 0);
 * -EINVAL (NULL pool or len; NULL buf with a nonzero size).
 */
WEFT_API int weft_pool_stats_openmetrics(weft_pool_t *pool, char *buf,
                                         size_t size, size_t *len);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_STATS_H */
