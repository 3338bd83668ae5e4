/* SPDX-License-Identifier: MIT */
/*
 * worker.h - the pool, its workers and the calls between scheduler.c
 * (worker loop, stealing), park.c (sleep/wake), lane.c (submissions from
 * outside threads), task.c (fork-join) and future.c.
 */
#ifndef WEFT_WORKER_H
#define WEFT_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <weft/pool.h>

#include "atomics.h"
#include "deque.h"
#include "internal.h"
#include "job.h"
#include "stat.h"
#include "trace.h"

#define WEFT_IDLE_WORDS ((WEFT_POOL_MAX_WORKERS + 63) / 64)
#define WEFT_MAX_LANES  256

struct weft__lane;

struct weft__worker {
    struct weft__deque dq; /* top and bottom on lines of their own */
    _Alignas(WEFT_PAD_ALIGN) struct weft_pool *pool;
    _Atomic(struct weft__trace_buf *) trace; /* NULL: not tracing */
    unsigned id;
    uint64_t rng;        /* owner-only: victim choice */
    unsigned lane_start; /* owner-only: where the lane scan starts */
    pthread_t thread;
    unsigned last_victim; /* owner-only: victim policies */
    bool woke;            /* owner-only: just back from a park */
    /* owner-only: a typed task steal_round took (scheduler.c). */
    struct weft__tslot *typed_got;
    struct weft__worker *typed_from;
    bool tt_allstolen; /* owner-only: typed.c */
    bool tt_share;     /* owner-only: typed.c, publish the next spawn */
    /* WEFT__PARK_*: the futex word the waker sets to AWAKE (park.c). */
    _Alignas(WEFT_PAD_ALIGN) _Atomic uint32_t parked;
    /* The typed deque (typed.c): thieves CAS tt_ts (tail | split << 32,
     * slot indices); tt_base and tt_end are fixed after creation. */
    _Alignas(WEFT_PAD_ALIGN) _Atomic uint64_t tt_ts;
    struct weft__tslot *tt_base, *tt_end;
    _Atomic uint32_t tt_used; /* owner-written once: typed tasks spawned */
    /* Owner-written counters (stat.h), on lines of their own. */
    _Alignas(WEFT_PAD_ALIGN) struct weft__stats stats;
};

struct weft_pool {
    uint64_t id; /* unique for the process's life: lane caches key on it */
    unsigned nworkers;
    unsigned spin;
    /* Policies (weft/pool.h), fixed at creation. */
    unsigned victim, steal, order;
    bool spin_yield;
    uint64_t park_timeout_ns;
    unsigned idle_policy;  /* enum weft_idle_policy */
    uint64_t idle_spin_ns; /* adaptive: the cap; fixed: the window */
    weft_victim_fn victim_fn;
    void *victim_ctx;
    char name[16];
    struct weft__worker *workers; /* nworkers of them, each padded */

    /* Idle workers: a bit each, and their count (park.c). */
    _Alignas(WEFT_PAD_ALIGN) _Atomic uint64_t idle[WEFT_IDLE_WORDS];
    _Alignas(WEFT_PAD_ALIGN) _Atomic uint32_t nidle;
    /* The spinning worker's id + 1, or 0: at most one spins (park.c). */
    _Atomic uint32_t spinner;
    /* Adaptive idle policy: EWMA of idle gaps in ns, 0 before the first
     * sample (park.c). */
    _Atomic uint64_t gap_ewma;

    /* 1: outside submissions refused; 2: workers exit when out of work. */
    _Alignas(WEFT_PAD_ALIGN) _Atomic uint32_t state;
    _Atomic uint32_t cancelling; /* WEFT_SHUTDOWN_CANCEL_PENDING in force */
    _Atomic uint32_t live;       /* workers not yet exited (futex word) */
    /* The pool's memory: 1 for its owner until weft_pool_destroy(), plus 1
     * per timer (timer.c) that may still submit to it; freed at 0. */
    _Atomic uint32_t refs;
    bool joined; /* under shutdown_lock */
    pthread_mutex_t shutdown_lock;
    /* Fork (scheduler.c): created before a fork() in this child process, so
     * it has no workers; in the list of live pools under pools_lock. */
    bool forked;
    struct weft_pool *fork_prev, *fork_next;

    /* Lanes (lane.c): published with release, count only grows. */
    _Alignas(WEFT_PAD_ALIGN) _Atomic(struct weft__lane *) lanes[WEFT_MAX_LANES];
    _Atomic uint32_t nlanes;
    struct weft__lane *shared_lane; /* MPMC, for threads beyond the lanes */
    pthread_mutex_t lane_lock;      /* lane claim/release: slow path only */
    struct weft__tracer *tracer;    /* trace.c; NULL until first traced */
};

/* A worker's parked word (park.c [P3]). */
enum {
    WEFT__PARK_AWAKE = 0,    /* running, or woken */
    WEFT__PARK_SLEEPING = 1, /* in (or on its way into) futex_wait */
    WEFT__PARK_SPINNING = 2  /* idle bit set, polling the word, no syscall */
};

enum { WEFT_POOL_RUNNING = 0, WEFT_POOL_CLOSED = 1, WEFT_POOL_EXIT = 2 };

/* The worker running on this thread, or NULL (scheduler.c). */
extern __thread struct weft__worker *weft__self
    __attribute__((tls_model("initial-exec")));

/* scheduler.c: run one job found anywhere; false if none was found. */
bool weft__find_and_run(struct weft__worker *self);
/* scheduler.c: steal only jobs spawned under a job that `runner` started
 * when its deque bottom was `base` (helping while waiting). */
bool weft__help_under(struct weft__worker *self, struct weft__worker *runner,
                      int64_t base);
/* true if w is a worker of self's pool (no dereference of w). */
bool weft__same_pool(const struct weft__worker *self,
                     const struct weft__worker *w);

/* task.c: runs a task record taken from a deque (job.exec). */
void weft__task_exec(struct weft__job *job, struct weft__worker *self);

/* scheduler.c: the WEFT_ALERT_WAKE bit (deque.h) that sends the inline
 * spawns to weft_spawn(), whose push wakes an idle worker.
 * [A1] alert_idle, after a parking worker's nidle increment: SC fence,
 *      then a seq_cst fetch_or of the bit on every worker.
 * [A2] alert_wake_check, by the owner: clears its bit (seq_cst RMW) only
 *      when nidle reads 0 (seq_cst) after the clear, else sets it again.
 *      With [A1], a parker whose increment that load missed sets the bit
 *      after the clear: no bit is lost while a worker is idle. */
void weft__alert_idle(struct weft_pool *pool);
void weft__alert_wake_check(struct weft__worker *self);

/* typed.c: the typed deques (weft/typed.h). */
int weft__typed_init(struct weft__worker *w);
void weft__typed_fini(struct weft__worker *w);
/* A thief: take the oldest shared typed task of victim whose index is
 * >= min (asks victim for more when its shared part is empty), then run
 * it with weft__typed_run_stolen(). */
enum weft__steal weft__typed_steal(struct weft__worker *victim, int32_t min,
                                   struct weft__tslot **out);
void weft__typed_run_stolen(struct weft__worker *self,
                            struct weft__worker *owner, struct weft__tslot *s);
/* The owner: answer WEFT_ALERT_SPLIT (clears it, shares half). */
void weft__typed_grow(struct weft__worker *self);
/* Any shared typed task on w (relaxed: a hint, as deque_maybe_nonempty). */
bool weft__typed_maybe_shared(struct weft__worker *w);
/* The owner: make every private typed task stealable. */
void weft__typed_publish_all(struct weft__worker *self);

/* park.c */
void weft__park(struct weft__worker *self);
void weft__wake_one(struct weft_pool *pool);
void weft__wake_all(struct weft_pool *pool);
bool weft__work_visible(struct weft_pool *pool);

/* Call after making work visible to other workers: wakes one if some are
 * idle. The check is relaxed: a deque job is always reached by its owner
 * anyway, so a missed wake-up here costs parallelism for a moment, never
 * progress. Lanes use weft__lane_push(), which orders it properly. */
static inline void
weft__maybe_wake(struct weft_pool *pool)
{
    /* relaxed: a hint (see above). */
    if (weft_unlikely(
            atomic_load_explicit(&pool->nidle, memory_order_relaxed) != 0))
        weft__wake_one(pool);
}

/* lane.c */
int weft__lanes_init(struct weft_pool *pool);
void weft__lanes_fini(struct weft_pool *pool);
int weft__lane_push(struct weft_pool *pool, struct weft__job *job);
struct weft__job *weft__lane_take(struct weft__worker *self, bool steal);
bool weft__lanes_nonempty(struct weft_pool *pool);
void weft__lanes_quiesce(struct weft_pool *pool);
/* Take every job left in the lanes and cancel it (they are all futures). */
void weft__lanes_cancel_all(struct weft_pool *pool);

/* future.c: cancel a queued future job and drop the queue's reference. */
void weft__future_job_cancel(struct weft__job *job);

/* trace.c: WEFT_TRACE from the environment; free at pool free. */
void weft__trace_from_env(struct weft_pool *pool);
void weft__trace_free(struct weft_pool *pool);

/* lane.c: weft_pool_submit() calls from outside threads, so far. */
uint64_t weft__lanes_submitted(struct weft_pool *pool);

/* Push a job from a worker onto its own deque; false if it cannot grow. */
static inline bool
weft__push_local(struct weft__worker *self, struct weft__job *job)
{
    if (!weft__deque_push(&self->dq, job))
        return false;
    weft__maybe_wake(self->pool);
    return true;
}

#endif /* WEFT_WORKER_H */
