/* SPDX-License-Identifier: MIT */
/*
 * future.c - the future state machine: submit, run exactly once or cancel,
 * wait (helping when on a worker), done callbacks, reference counts.
 *
 * state: PENDING -> RUNNING -> DONE, or PENDING -> CANCELLED; plus a
 * WAITERS bit set by sleepers and a CBS bit set by callback pushers; every
 * change short of the final state keeps both (F_KEEP).
 * [F1] claim: CAS PENDING -> RUNNING (or CANCELLED) picks the one party
 *      that runs or cancels: the queue's exec, a waiter running it inline,
 *      or weft_future_cancel(). Every task therefore ends exactly once.
 * [F2] completion: result and rc written, then an RMW of the state field
 *      RUNNING -> DONE (acq_rel; a CAS, or an add of 1, keeping the other
 *      bits); readers acquire-load the state, so the task's writes
 *      happen-before weft_future_result() returns. If WAITERS was set,
 *      wake them all.
 * [F3] callbacks: a Treiber stack. A pusher first sets CBS in state with a
 *      CAS that fails once the state is final (it then runs the callback
 *      itself); push is a release CAS. The final state change returns the
 *      old state: only if CBS was set does completion exchange the head for
 *      CLOSED (acq_rel) and run what it got, so a future nobody registered
 *      a callback on costs no write here. The bit precedes the final state
 *      in state's order, so its pusher's node lands before that exchange
 *      (run by completion) or finds CLOSED (run by the pusher): each runs
 *      exactly once. A pusher that sees the state final runs it at once.
 * [F4] runner/base: release-stored by the runner before the task runs;
 *      a waiting worker acquire-loads runner to help only under it.
 * [F5] held (future_int.h): a pending future with the HELD bit is in no
 *      queue; only a cancel (or its holder) may claim it. Enqueueing
 *      clears HELD before the job is pushed, so whoever then takes it,
 *      queue or waiter, may claim it as usual.
 * [F6] references live in the state word too, in its high half (F_REF
 *      each; the low half is the flags and the futex word): the
 *      submitter's and the queue's (dropped by exec, which every queued job
 *      gets exactly once, run or not). Every change of the flags keeps
 *      them, and a final change keeps WAITERS and CBS too (readers mask
 *      F_STATE). The queue's exec drops its reference in the completion
 *      RMW itself ([F2], a CAS: one locked RMW fewer per task) unless
 *      WAITERS or CBS is set: finish() then still touches f, so it
 *      completes with an add and drops the reference after finish(), as
 *      it also does when that CAS fails (a bit or the count changed). A
 *      fold that took the count to 0 frees f. A release that reads a
 *      count of 1 (acquire) frees f without a write.
 */
#include <limits.h>
#include <sched.h>
#include <string.h>

#include <weft/future.h>

#include "context.h"
#include "fcache.h"
#include "futex.h"
#include "future_int.h"
#include "mutate.h"
#include "rcu.h"
#include "worker.h"

enum {
    F_PENDING = 0,
    F_RUNNING = 1,
    F_DONE = 2,
    F_CANCELLED = 3,
    F_STATE = 3,
    F_WAITERS = 4,
    F_HELD = 8,                /* [F5] pending, in no queue (future_int.h) */
    F_CBS = 16,                /* [F3] a callback may be on the stack */
    F_KEEP = F_WAITERS | F_CBS /* what a change short of final keeps */
};
#define F_REF      ((uint64_t)1 << 32)  /* [F6] one reference */
#define F_REFS     (~(uint64_t)0 << 32) /* [F6] the count's bits */
#define F_NONE     UINT64_MAX           /* claim(): not pending */
#define F_COUNT(s) ((uint32_t)((s) >> 32))

/* Heap nodes from weft_future_on_done() and caller-owned ones from
 * weft__future_on_done_node() (future_int.h) share one layout. */
#define cb_node   weft__cb_node
#define CB_CLOSED ((struct cb_node *)(uintptr_t)1)

struct weft_future {
    struct weft__job job;
    /* fn and arg are read once, by the party that claims the future to
     * run it ([F1]); the same party then writes rc and result, which reuse
     * their storage: a future is one 64-byte line. */
    union {
        weft_fn fn;
        void *result;
    };
    union {
        void *arg;
        int rc;
    };
    _Atomic uint64_t state;                /* flags | references [F6] */
    _Atomic(struct weft__worker *) runner; /* [F4] */
    int64_t base;
    _Atomic(struct cb_node *) cbs; /* [F3] */
    struct weft__ctx *ctx;         /* captured at submit (context.h) */
};

_Static_assert(sizeof(struct weft_future) == WEFT_FCACHE_OBJ,
               "a future is one line, the cache's object size");

/* [F6] the futex word: the flags half of the state word. */
static inline _Atomic uint32_t *
state_futex(weft_future_t *f)
{
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return (_Atomic uint32_t *)(void *)((char *)&f->state + 4);
#else
    return (_Atomic uint32_t *)(void *)&f->state;
#endif
}

/* Future objects come from per-thread caches over chunks (fcache.c). */
static inline weft_future_t *
future_alloc(void)
{
    return (weft_future_t *)weft__fcache_alloc(WEFT_FCACHE_OBJ);
}

static inline void
future_free(weft_future_t *f)
{
    weft__fcache_free(f);
}

/* Run the callbacks n (newest first, as taken from the stack). */
static __attribute__((noinline)) void
run_callbacks(weft_future_t *f, struct cb_node *n)
{
    struct cb_node *rev = NULL;

    while (n != NULL) { /* oldest first */
        struct cb_node *next = n->next;
        n->next = rev;
        rev = n;
        n = next;
    }
    while (rev != NULL) {
        /* A caller-owned node may be freed by its own callback. */
        struct cb_node *next = rev->next;
        unsigned char heap = rev->heap;
        rev->cb(f, rev->ctx);
        if (heap)
            weft__free(rev);
        rev = next;
    }
}

/* The captured context is no longer needed once f ran or was cancelled:
 * drop it now, not when the last reference to f goes (futures may live
 * long). Only the party that claimed f calls this. */
static inline void
ctx_drop(weft_future_t *f)
{
    if (weft_unlikely(f->ctx != NULL)) {
        weft__ctx_unref(f->ctx);
        f->ctx = NULL;
    }
}

/* After the final state is in place (and ctx_drop()): wake sleepers, run
 * callbacks. */
static inline void
finish_final(weft_future_t *f, uint64_t old)
{
    struct cb_node *n;

    if (weft_unlikely(old & F_WAITERS))
        weft__futex_wake(state_futex(f), INT_MAX);
    if (weft_likely(!(old & F_CBS)))
        return; /* [F3] no pusher came before the final state */
    /* [F3] acq_rel: takes every pushed node; later pushes see CLOSED. */
    n = atomic_exchange_explicit(&f->cbs, CB_CLOSED, memory_order_acq_rel);
    if (n != NULL) {
        /* One caller-owned node (a waitset entry, a weft_wait() record),
         * the common case: call it here, no reversal. It may free n. */
        if (n->next == NULL && !n->heap)
            n->cb(f, n->ctx);
        else
            run_callbacks(f, n);
    }
}

/* After a cancel's or a held completion's final state: all of the above. */
static inline void
finish(weft_future_t *f, uint64_t old)
{
    ctx_drop(f);
    finish_final(f, old);
}

/* [F1] claim a pending future: move it to `to`. Returns the old state
 * (with its WAITERS bit) on success, F_NONE if it was not pending. */
static uint64_t
claim(weft_future_t *f, uint32_t to)
{
    /* relaxed: the CAS below validates it. */
    uint64_t s = atomic_load_explicit(&f->state, memory_order_relaxed);

    /* [F6] every claim keeps the references.
     * MUTANT 43: [F3] the claim keeps WAITERS only: a callback announced
     * while the future was pending is never run. */
    const uint64_t keep =
        F_REFS | (WEFT_MUTANT(43) ? (uint64_t)F_WAITERS : (uint64_t)F_KEEP);

    while ((s & F_STATE) == F_PENDING) {
        WEFT_CHAOS_POINT();
        if ((s & F_HELD) && to == F_RUNNING)
            break; /* [F5] only cancelled while held */
        if (WEFT_MUTANT(41)) {
            /* MUTANT 41: [F1] no CAS; two parties may both claim it. */
            atomic_store_explicit(&f->state, (s & keep) | to,
                                  memory_order_seq_cst);
            return s;
        }
        /* [F1] acquire: the submitter's writes to f and arg before the
         * task runs (already ordered by the queue; this keeps TSan's view
         * simple); relaxed on failure: retried. */
        if (atomic_compare_exchange_weak_explicit(
                &f->state, &s, (s & keep) | to, memory_order_acquire,
                memory_order_relaxed))
            return s;
    }
    return F_NONE;
}

/* Run a claimed f and complete it. drop: also drop the queue's reference
 * ([F6]); returns true if that was done (f may be gone then). */
static inline __attribute__((always_inline)) bool
future_run(weft_future_t *f, struct weft__worker *self, bool drop)
{
    struct weft__ctx_save saved;
    void *result = NULL;
    uint64_t old;

    if (self != NULL) {
        /* [F4] read only under a non-NULL runner: no default needed. */
        f->base = weft__deque_bottom(&self->dq);
        weft__stat_add(&self->stats, WEFT_ST_RUN, 1);
        weft__trace(&self->trace, WEFT_EV_TASK_START, 0, (uintptr_t)f);
    }
    /* [F4] release: base before runner. */
    atomic_store_explicit(&f->runner, self, memory_order_release);
    weft__ctx_enter(f->ctx, &saved);
    f->rc = f->fn(f->arg, &result);
    weft__ctx_leave(&saved);
    f->result = result;
    if (self != NULL)
        weft__trace(&self->trace, WEFT_EV_TASK_END, 0, (uintptr_t)f);
    /* Before the RMW below, after which f may be gone. */
    ctx_drop(f);
    WEFT_CHAOS_POINT();
    if (drop) {
        /* relaxed: the CAS below validates it. */
        old = atomic_load_explicit(&f->state, memory_order_relaxed);
        /* [F6] RUNNING -> DONE and the queue's reference at once, when
         * finish() has nothing to do; [F2] acq_rel: rc/result before
         * DONE, and the release half of the reference drop. Relaxed on
         * failure: a bit or the count changed, take the path below.
         * MUTANT 42: relaxed; a waiter may read rc/result before they
         * land (here and below). */
        if (!(old & (F_WAITERS | F_CBS)) &&
            (WEFT_MUTANT(42)
                 ? atomic_compare_exchange_strong_explicit(
                       &f->state, &old, old + (F_DONE - F_RUNNING) - F_REF,
                       memory_order_relaxed, memory_order_relaxed)
                 : atomic_compare_exchange_strong_explicit(
                       &f->state, &old, old + (F_DONE - F_RUNNING) - F_REF,
                       memory_order_acq_rel, memory_order_relaxed))) {
            /* The count was ours alone: free f; else never touch it. */
            if (F_COUNT(old) == 1)
                future_free(f);
            return true;
        }
    }
    /* [F2] acq_rel: rc/result before DONE (RUNNING + 1, the other bits
     * kept, [F6]); reads WAITERS. */
    if (WEFT_MUTANT(42))
        old = atomic_fetch_add_explicit(&f->state, F_DONE - F_RUNNING,
                                        memory_order_relaxed);
    else
        old = atomic_fetch_add_explicit(&f->state, F_DONE - F_RUNNING,
                                        memory_order_acq_rel);
    finish_final(f, old);
    return false;
}

/* The last reference frees f (weft_future_release() without the PLT). */
static inline void
future_unref(weft_future_t *f)
{
    /* 1: ours is the only reference left, and no one can take another
     * without one: free without a write to f's line (often still on the
     * completing core). acquire: pairs with the release part of the other
     * holders' decrements below. Else acq_rel: every use of f
     * happens-before the free by the last one. */
    if (F_COUNT(atomic_load_explicit(&f->state, memory_order_acquire)) == 1 ||
        F_COUNT(atomic_fetch_sub_explicit(&f->state, F_REF,
                                          memory_order_acq_rel)) == 1)
        future_free(f);
}

/* A queued future taken while the pool cancels its queues. */
static __attribute__((noinline)) void
exec_cancelled(weft_future_t *f, struct weft__worker *self)
{
    uint64_t old = claim(f, F_CANCELLED);

    if (old != F_NONE) {
        weft__stat_add(&self->stats, WEFT_ST_CANCELLED, 1);
        finish(f, old);
    }
}

static void
future_exec(struct weft__job *job, struct weft__worker *self)
{
    weft_future_t *f = (weft_future_t *)job;

    /* relaxed: a flag; a future that slips past it just runs. */
    if (weft_unlikely(atomic_load_explicit(&self->pool->cancelling,
                                           memory_order_relaxed)))
        exec_cancelled(f, self);
    else if (claim(f, F_RUNNING) != F_NONE && future_run(f, self, true))
        return;      /* [F6] the completion dropped the queue's reference */
    future_unref(f); /* the queue's reference */
}

void
weft__future_job_cancel(struct weft__job *job)
{
    weft_future_t *f = (weft_future_t *)job;
    uint64_t old = claim(f, F_CANCELLED);

    if (old != F_NONE)
        finish(f, old);
    future_unref(f); /* the queue's reference */
}

/* A fresh future with two references (the caller's and the queue's or
 * holder's), not shared yet. */
static inline weft_future_t *
future_new(weft_fn fn, void *arg, uint32_t state)
{
    weft_future_t *f = future_alloc();

    if (f == NULL)
        return NULL;
    f->job.exec = future_exec;
    f->fn = fn;
    f->arg = arg;
    /* relaxed: not shared yet; the queue push publishes f. */
    atomic_store_explicit(&f->state, state | 2 * F_REF, memory_order_relaxed);
    atomic_store_explicit(&f->runner, NULL, memory_order_relaxed);
    atomic_store_explicit(&f->cbs, NULL, memory_order_relaxed);
    f->ctx = weft__ctx_capture();
    return f;
}

/* From one of pool's own workers: its deque (accepted during shutdown
 * too, the owner drains it before leaving). */
static __attribute__((noinline)) int
push_own(struct weft__worker *self, weft_future_t *f)
{
    if (!weft__push_local(self, &f->job))
        return -ENOMEM;
    weft__stat_add(&self->stats, WEFT_ST_SUBMITTED, 1);
    weft__trace(&self->trace, WEFT_EV_SUBMIT, 0, (uintptr_t)f);
    return 0;
}

/* Push f's job to pool: to our own deque from one of its workers, else
 * to this thread's lane. */
static inline int
future_push(weft_pool_t *pool, weft_future_t *f)
{
    struct weft__worker *self = weft__self;

    if (self != NULL && self->pool == pool)
        return push_own(self, f);
    return weft__lane_push(pool, &f->job);
}

WEFT_API int
weft_pool_submit(weft_pool_t *pool, weft_fn fn, void *arg, weft_future_t **out)
{
    weft_future_t *f;
    int rc;

    if (pool == NULL || fn == NULL || out == NULL)
        return -EINVAL;
    f = future_new(fn, arg, F_PENDING);
    if (f == NULL)
        return -ENOMEM;
    rc = future_push(pool, f);
    if (rc != 0) {
        weft__ctx_unref(f->ctx);
        future_free(f);
        return rc;
    }
    *out = f;
    return 0;
}

/* [F3] a fresh future whose callback stack already holds n, for a caller
 * that registers before the job is published (future_int.h): CBS set and
 * n the whole stack, written while f is still private, so no announce CAS
 * and no push CAS can meet a worker on f's line. */
weft_future_t *
weft__future_new_node(weft_fn fn, void *arg, struct cb_node *n)
{
    /* MUTANT 44: [F3] CBS not preset: completion never looks at the
     * stack, the waitset's callback is lost (waitset.c [W8]). */
    weft_future_t *f =
        future_new(fn, arg, WEFT_MUTANT(44) ? F_PENDING : F_PENDING | F_CBS);

    if (f == NULL)
        return NULL;
    n->heap = 0;
    n->next = NULL;
    /* relaxed: f is not shared yet; the queue push publishes it (and n's
     * fields, written by the caller before this call). */
    atomic_store_explicit(&f->cbs, n, memory_order_relaxed);
    return f;
}

int
weft__future_publish(weft_pool_t *pool, weft_future_t *f)
{
    int rc = future_push(pool, f);

    if (rc != 0) {
        /* Never published: its callback never runs. */
        weft__ctx_unref(f->ctx);
        future_free(f);
    }
    return rc;
}

int
weft__future_create_held(weft_fn fn, void *arg, weft_future_t **out)
{
    weft_future_t *f = future_new(fn, arg, F_PENDING | F_HELD);

    if (f == NULL)
        return -ENOMEM;
    *out = f;
    return 0;
}

/* [F5] An enqueue found no memory: hold f again if nobody claimed it in
 * the meantime (a waiter may have, once HELD was clear: then it runs). */
static bool
hold_again(weft_future_t *f)
{
    /* relaxed: the CAS validates it. */
    uint64_t s = atomic_load_explicit(&f->state, memory_order_relaxed);

    while ((s & F_STATE) == F_PENDING)
        /* relaxed: f was never published to a queue; claims that see
         * HELD set refuse to run it ([F5]). */
        if (atomic_compare_exchange_weak_explicit(&f->state, &s, s | F_HELD,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed))
            return true;
    return false;
}

int
weft__future_enqueue(weft_future_t *f, weft_pool_t *pool)
{
    uint64_t old;
    int rc;

    /* [F5] relaxed: the push below publishes f to the queue; a waiter that
     * sees HELD clear claims with acquire ([F1]). */
    atomic_fetch_and_explicit(&f->state, ~(uint64_t)F_HELD,
                              memory_order_relaxed);
    rc = future_push(pool, f);
    if (rc == -ENOMEM) {
        future_unref(f); /* the queue's reference */
        /* Held again: the holder may retry. Else a waiter or a cancel has
         * taken it: nothing left to do. */
        return hold_again(f) ? -ENOMEM : 0;
    }
    if (rc != 0) {
        old = claim(f, F_CANCELLED);
        if (old != F_NONE)
            finish(f, old);
        future_unref(f); /* the queue's reference */
    }
    return rc;
}

bool
weft__future_complete_held(weft_future_t *f, int rc, void *result)
{
    /* relaxed: the CAS below validates it. */
    uint64_t s = atomic_load_explicit(&f->state, memory_order_relaxed), old;

    do {
        if ((s & (F_STATE | F_HELD)) != (F_PENDING | F_HELD))
            return false; /* cancelled first */
        /* [F1] acquire: as any claim; relaxed on failure: retried. [F6]
         * the references kept. */
    } while (!atomic_compare_exchange_weak_explicit(
        &f->state, &s, (s & (F_REFS | F_KEEP)) | F_RUNNING,
        memory_order_acquire, memory_order_relaxed));
    f->rc = rc;
    f->result = result;
    /* [F2] acq_rel: rc/result before DONE (RUNNING + 1; the other bits
     * kept, [F6]); reads WAITERS. */
    old = atomic_fetch_add_explicit(&f->state, F_DONE - F_RUNNING,
                                    memory_order_acq_rel);
    finish(f, old);
    return true;
}

static int
outcome(weft_future_t *f, uint64_t s, void **result)
{
    if ((s & F_STATE) == F_CANCELLED)
        return -ECANCELED;
    if (result != NULL)
        *result = f->result;
    return f->rc;
}

/* weft_future_result() of a future not done yet: help, spin, sleep. */
static __attribute__((noinline)) int
result_wait(weft_future_t *f, weft_deadline_t deadline, void **result)
{
    struct weft__worker *self = weft__self;
    unsigned spins = 0;
    uint64_t s;

    /* On a worker: run it here if nobody has started it. */
    if (self != NULL && claim(f, F_RUNNING) != F_NONE) {
        weft__stat_add(&self->stats, WEFT_ST_HELPS, 1);
        future_run(f, self, false); /* we hold a reference: f stays */
        s = atomic_load_explicit(&f->state, memory_order_acquire);
        return outcome(f, s, result);
    }
    for (;;) {
        s = atomic_load_explicit(&f->state, memory_order_acquire);
        if ((s & F_STATE) >= F_DONE)
            return outcome(f, s, result);
        if (deadline == WEFT_DEADLINE_POLL)
            return -ETIMEDOUT;
        if (self != NULL) {
            /* [F4] acquire: pairs with the runner's release. */
            struct weft__worker *r =
                atomic_load_explicit(&f->runner, memory_order_acquire);
            if (r == self)
                return -EDEADLK; /* a task waiting on itself */
            if (r != NULL && weft__help_under(self, r, f->base)) {
                spins = 0;
                continue;
            }
        }
        if (++spins < 64) {
            WEFT_CPU_RELAX();
            continue;
        }
        if (weft_now_ns() >= deadline)
            return -ETIMEDOUT;
        /* relaxed: the futex re-checks the value; the loop re-reads with
         * acquire. */
        if ((s & F_WAITERS) == 0 &&
            !atomic_compare_exchange_weak_explicit(&f->state, &s, s | F_WAITERS,
                                                   memory_order_relaxed,
                                                   memory_order_relaxed))
            continue;
        /* A worker naps briefly so that it can go back to helping. */
        if (self != NULL)
            weft__rcu_worker_offline(); /* blocking: see rcu.h */
        weft__futex_wait(state_futex(f), (uint32_t)(s | F_WAITERS),
                         self != NULL &&
                                 deadline - weft_now_ns() > 100 * WEFT_NS_PER_US
                             ? weft_now_ns() + 100 * WEFT_NS_PER_US
                             : deadline);
        if (self != NULL)
            weft__rcu_worker_online();
        spins = 32;
    }
}

WEFT_API int
weft_future_result(weft_future_t *f, weft_deadline_t deadline, void **result)
{
    uint64_t s;

    if (weft_unlikely(f == NULL))
        return -EINVAL;
    /* [F2] acquire: pairs with the completion exchange. */
    s = atomic_load_explicit(&f->state, memory_order_acquire);
    if (weft_likely((s & F_STATE) >= F_DONE))
        return outcome(f, s, result);
    return result_wait(f, deadline, result);
}

WEFT_API bool
weft_future_done(const weft_future_t *f)
{
    /* acquire: true means the task's writes are visible ([F2]). */
    return f != NULL && (atomic_load_explicit(&f->state, memory_order_acquire) &
                         F_STATE) >= F_DONE;
}

WEFT_API bool
weft_future_running(const weft_future_t *f)
{
    /* relaxed: a snapshot; nothing is read through it. */
    return f != NULL && (atomic_load_explicit(&f->state, memory_order_relaxed) &
                         F_STATE) == F_RUNNING;
}

WEFT_API bool
weft_future_cancelled(const weft_future_t *f)
{
    /* relaxed: a snapshot; nothing is read through it. */
    return f != NULL && (atomic_load_explicit(&f->state, memory_order_relaxed) &
                         F_STATE) == F_CANCELLED;
}

WEFT_API int
weft_future_cancel(weft_future_t *f)
{
    uint64_t old;

    if (f == NULL)
        return -EINVAL;
    old = claim(f, F_CANCELLED);
    if (old != F_NONE) {
        finish(f, old);
        return 0;
    }
    /* relaxed: a snapshot of a final or running state. */
    return (atomic_load_explicit(&f->state, memory_order_relaxed) & F_STATE) ==
                   F_CANCELLED
               ? 0
               : -EBUSY;
}

/* [F3] announce a push: set CBS unless f is final. False: f is done (the
 * caller runs the callback itself). */
static bool
cbs_announce(weft_future_t *f)
{
    /* acquire: a final state read here means the task's writes are visible
     * to the callback run at once ([F2]). */
    uint64_t s = atomic_load_explicit(&f->state, memory_order_acquire);

    while ((s & F_STATE) < F_DONE) {
        if (s & F_CBS)
            return true; /* set before: still ahead of the final change */
        WEFT_CHAOS_POINT();
        /* [F3] the final change, an RMW of this word, reads the bit if it
         * comes after (the node itself is published by the push); acquire
         * on failure as the load above, and on success because C11 wants
         * the success order at least as strong. */
        if (atomic_compare_exchange_weak_explicit(&f->state, &s, s | F_CBS,
                                                  memory_order_acquire,
                                                  memory_order_acquire))
            return true;
    }
    return false;
}

/* [F3] push n (after cbs_announce()); false if the stack is CLOSED (f is
 * done: the caller runs the callback itself). */
static bool
push_callback(weft_future_t *f, struct cb_node *n)
{
    /* acquire: pairs with [F3]'s exchange, so CLOSED implies done. */
    struct cb_node *head = atomic_load_explicit(&f->cbs, memory_order_acquire);

    do {
        if (head == CB_CLOSED)
            return false;
        n->next = head;
        WEFT_CHAOS_POINT();
        /* [F3] release: the node before it is reachable; acquire on
         * failure: a CLOSED head implies completion. */
    } while (!atomic_compare_exchange_weak_explicit(
        &f->cbs, &head, n, memory_order_release, memory_order_acquire));
    return true;
}

WEFT_API int
weft_future_on_done(weft_future_t *f, weft_future_cb cb, void *ctx)
{
    struct cb_node *n;

    if (f == NULL || cb == NULL)
        return -EINVAL;
    /* Already done (its callbacks may still be running on the completer):
     * run cb here and now, as documented (Python's add_done_callback). */
    if (!cbs_announce(f)) {
        cb(f, ctx);
        return 0;
    }
    n = (struct cb_node *)weft__malloc(sizeof(*n));
    if (n == NULL)
        return -ENOMEM; /* CBS stays set: completion finds no node */
    n->cb = cb;
    n->ctx = ctx;
    n->heap = 1;
    if (!push_callback(f, n)) {
        weft__free(n);
        cb(f, ctx);
    }
    return 0;
}

void
weft__future_on_done_node(weft_future_t *f, struct cb_node *n)
{
    n->heap = 0;
    if (!cbs_announce(f) || !push_callback(f, n))
        n->cb(f, n->ctx);
}

WEFT_API int
weft_future_retain(weft_future_t *f)
{
    if (f == NULL)
        return -EINVAL;
    /* relaxed: the caller already holds a reference. */
    atomic_fetch_add_explicit(&f->state, F_REF, memory_order_relaxed);
    return 0;
}

WEFT_API void
weft_future_release(weft_future_t *f)
{
    if (f == NULL)
        return;
    future_unref(f);
}
