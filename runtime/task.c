/* SPDX-License-Identifier: MIT */
/*
 * task.c - fork-join: weft_spawn/weft_sync on caller-owned records,
 * weft_pool_run and weft_parallel_for.
 *
 * Concurrency protocol for one record:
 * [T1] spawn writes the record, then pushes it (deque [D1] publishes it).
 *      weft_spawn_inline()/weft_sync_inline() (weft/pool.h) do the common
 *      case in the caller: the same record writes and deque edges, through
 *      mirrors of these layouts (asserted below). They leave to the
 *      functions here whenever the worker's alert word (deque.h) is set,
 *      so trace events, contexts and wake-ups are handled only here.
 * [T2] the thief release-stores runner (with base written before it);
 *      the owner acquire-loads runner to help only under it.
 * [T3] the thief writes result and rc, then exchanges state to DONE
 *      (acq_rel); the owner's acquire load of DONE pairs with it, so the
 *      task's writes happen-before weft_sync() returns. If the owner had
 *      set WAITER before sleeping, the thief wakes it. After [T3] the
 *      thief never touches the record again (it may be gone): the futex
 *      wake is by address only.
 */
#include <limits.h>
#include <stddef.h>
#include <string.h>

#include <weft/future.h>
#include <weft/pool.h>

#include "context.h"
#include "futex.h"
#include "joinwait.h"
#include "rcu.h"
#include "worker.h"

enum { TASK_SPAWNED = 1, TASK_DONE = 2, TASK_WAITER = 4 };

struct weft__task {
    struct weft__job job;
    weft_fn fn;
    void *arg;
    void *result;
    struct weft__worker *owner; /* NULL once synced */
    _Atomic(struct weft__worker *) runner;
    int64_t base;          /* runner's deque bottom when it started [T2] */
    struct weft__ctx *ctx; /* captured at spawn (context.h) */
    int rc;
    _Atomic uint32_t state;
};
/* weft/pool.h's inline spawn/sync write the record through its mirror. */
#define SAME_AT(f)                                           \
    _Static_assert(offsetof(struct weft__task, f) ==         \
                       offsetof(struct weft_task_layout, f), \
                   "weft_task_layout." #f " is out of date")
SAME_AT(fn);
SAME_AT(arg);
SAME_AT(result);
SAME_AT(owner);
SAME_AT(runner);
SAME_AT(base);
SAME_AT(ctx);
SAME_AT(rc);
SAME_AT(state);
_Static_assert(offsetof(struct weft__task, job.exec) == 0 &&
                   offsetof(struct weft__worker, dq) == 0,
               "the inline spawn's exec and owner are out of date");
_Static_assert(sizeof(struct weft__task) <= sizeof(weft_task_t),
               "weft_task_t is too small for the task record");
_Static_assert(_Alignof(struct weft__task) <= _Alignof(weft_task_t),
               "weft_task_t is under-aligned for the task record");

void
weft__task_exec(struct weft__job *job, struct weft__worker *self)
{
    struct weft__task *t = (struct weft__task *)job;
    struct weft__ctx_save saved;
    void *result = NULL;
    uint32_t old;

    t->base = weft__deque_bottom(&self->dq);
    /* [T2] release: base before runner; pairs with the owner's acquire. */
    atomic_store_explicit(&t->runner, self, memory_order_release);
    if (t->owner != self) {
        /* Another worker's task (stolen). The owner's own runs of its
         * tasks are derived, see stat.h. */
        weft__stat_add(&self->stats, WEFT_ST_RUN, 1);
        /* relaxed: a statistic; RMW as several thieves may add. */
        atomic_fetch_add_explicit(&t->owner->stats.stolen_from, 1,
                                  memory_order_relaxed);
    }
    weft__trace(&self->trace, WEFT_EV_TASK_START, 0, (uintptr_t)t);
    weft__ctx_enter(t->ctx, &saved);
    t->rc = t->fn(t->arg, &result);
    weft__ctx_leave(&saved);
    weft__ctx_unref(t->ctx);
    weft__trace(&self->trace, WEFT_EV_TASK_END, 0, (uintptr_t)t);
    t->result = result;
    /* [T3] acq_rel: publishes rc/result; reads WAITER set by the owner. */
    old = atomic_exchange_explicit(&t->state, TASK_DONE, memory_order_acq_rel);
    if (old & TASK_WAITER)
        weft__futex_wake(&t->state, INT_MAX);
}

WEFT_API int
weft_spawn(weft_task_t *task, weft_fn fn, void *arg)
{
    struct weft__task *t = (struct weft__task *)task;
    struct weft__worker *self = weft__self;
    uint64_t a;

    if (task == NULL || fn == NULL)
        return -EINVAL;
    if (self == NULL)
        return -EPERM;
    t->job.exec = weft__task_exec;
    t->fn = fn;
    t->arg = arg;
    t->owner = self;
    t->ctx = weft__ctx_capture();
#if WEFT_STATS
    /* relaxed (both): one writer; readers only need untorn values. */
    atomic_store_explicit(
        &self->dq.spawned,
        atomic_load_explicit(&self->dq.spawned, memory_order_relaxed) + 1,
        memory_order_relaxed);
#endif
    weft__trace(&self->trace, WEFT_EV_SPAWN, 0, (uintptr_t)t);
    /* relaxed: [T1] the deque push publishes the record. */
    atomic_store_explicit(&t->runner, NULL, memory_order_relaxed);
    atomic_store_explicit(&t->state, TASK_SPAWNED, memory_order_relaxed);
    if (weft_unlikely(!weft__push_local(self, &t->job)))
        weft__task_exec(&t->job, self); /* deque cannot grow: run it now */
    /* relaxed: hints, see weft__alert_wake_check() and typed.c. */
    a = atomic_load_explicit(&self->dq.alert, memory_order_relaxed);
    if (a & WEFT_ALERT_WAKE)
        weft__alert_wake_check(self);
    if (a & WEFT_ALERT_SPLIT)
        weft__typed_grow(self);
    return 0;
}

/* [T2] acquire: pairs with the thief's release of runner. One round of
 * help with what t's thief spawned under t (joinwait.h). */
static bool
help_thief(struct weft__worker *self, void *child)
{
    struct weft__task *t = child;
    struct weft__worker *r =
        atomic_load_explicit(&t->runner, memory_order_acquire);

    return r != NULL && weft__help_under(self, r, t->base);
}

/* Off the fast path: t was stolen, already ran here, or newer jobs sit
 * above it. `job` is what the fast path popped (not t). */
static int
sync_slow(struct weft__worker *self, struct weft__task *t,
          struct weft__job *job, void **result)
{
    struct weft__ctx_save saved;
    void *res = NULL;
    int rc;

    for (;;) {
        /* relaxed: DONE set by this thread (an earlier out-of-order run)
         * needs no ordering; a thief's DONE is re-read with acquire. */
        if (atomic_load_explicit(&t->state, memory_order_relaxed) & TASK_DONE) {
            /* The job popped is older than t and not ours to run now. */
            if (job != NULL && !weft__push_local(self, job))
                job->exec(job, self);
            break;
        }
        if (job == NULL) {
            weft__join_wait(self, &t->state, TASK_DONE, TASK_WAITER, help_thief,
                            t);
            break;
        }
        job->exec(job, self); /* spawned after t and not yet synced */
        job = weft__deque_pop(&self->dq);
        if (job == &t->job) {
            t->owner = NULL;
            weft__trace(&self->trace, WEFT_EV_TASK_START, 0, (uintptr_t)t);
            weft__ctx_enter(t->ctx, &saved);
            rc = t->fn(t->arg, &res);
            weft__ctx_leave(&saved);
            weft__ctx_unref(t->ctx);
            weft__trace(&self->trace, WEFT_EV_TASK_END, 0, (uintptr_t)t);
            if (result != NULL)
                *result = res;
            return rc;
        }
    }
    /* acquire: pairs with [T3] (already ordered if we ran it ourselves). */
    (void)atomic_load_explicit(&t->state, memory_order_acquire);
    t->owner = NULL;
    if (result != NULL)
        *result = t->result;
    return t->rc;
}

WEFT_API int
weft_sync(weft_task_t *task, void **result)
{
    struct weft__task *t = (struct weft__task *)task;
    struct weft__worker *self = weft__self;
    struct weft__ctx_save saved;
    struct weft__job *job;
    void *res = NULL;
    int rc;

    if (weft_unlikely(task == NULL))
        return -EINVAL;
    if (weft_unlikely(self == NULL || t->owner != self))
        return self == NULL || t->owner != NULL ? -EPERM : -EINVAL;
    /* relaxed: a request bit (typed.c). */
    if (atomic_load_explicit(&self->dq.alert, memory_order_relaxed) &
        WEFT_ALERT_SPLIT)
        weft__typed_grow(self);
    /* Fast path: nobody stole it and it is on top of our deque. */
    job = weft__deque_pop(&self->dq);
    if (weft_unlikely(job != &t->job))
        return sync_slow(self, t, job, result);
    t->owner = NULL;
    weft__trace(&self->trace, WEFT_EV_TASK_START, 0, (uintptr_t)t);
    weft__ctx_enter(t->ctx, &saved);
    rc = t->fn(t->arg, &res);
    weft__ctx_leave(&saved);
    weft__ctx_unref(t->ctx);
    weft__trace(&self->trace, WEFT_EV_TASK_END, 0, (uintptr_t)t);
    if (result != NULL)
        *result = res;
    return rc;
}

WEFT_API int
weft_task_sync_popped(weft_task_t *task, void *job, void **result)
{
    /* Only weft_sync_inline() calls this, after checking the record. */
    return sync_slow(weft__self, (struct weft__task *)task,
                     (struct weft__job *)job, result);
}

WEFT_API void
weft_task_after_inline(void)
{
    /* The inline run started with no context (alert clear): drop what the
     * task set, as weft__ctx_leave() does. */
    struct weft__ctx_save none = {NULL, false};

    weft__ctx_leave(&none);
}

WEFT_API int
weft_pool_run(weft_pool_t *pool, weft_fn fn, void *arg, void **result)
{
    weft_future_t *f;
    void *res = NULL;
    int rc;

    if (pool == NULL || fn == NULL)
        return -EINVAL;
    if (weft__self != NULL && weft__self->pool == pool) {
        rc = fn(arg, &res);
    } else {
        rc = weft_pool_submit(pool, fn, arg, &f);
        if (rc != 0)
            return rc;
        rc = weft_future_result(f, WEFT_DEADLINE_NEVER, &res);
        weft_future_release(f);
    }
    if (result != NULL)
        *result = res;
    return rc;
}

/* --- parallel_for: lazy binary splitting ------------------------------- */

struct pfor {
    weft_range_fn fn;
    void *ctx;
    size_t grain;
    _Atomic int err; /* the first nonzero code */
};

struct pfor_range {
    struct pfor *p;
    size_t begin, end;
};

static void
pfor_piece(struct pfor *p, size_t b, size_t e)
{
    int rc = p->fn(p->ctx, b, e);
    int zero = 0;

    /* relaxed: read after every piece was synced (sync orders it). */
    if (rc != 0)
        atomic_compare_exchange_strong_explicit(
            &p->err, &zero, rc, memory_order_relaxed, memory_order_relaxed);
}

static int pfor_task(void *arg, void **result);

/* Split while our deque is empty (someone took the last half, so others
 * may be hungry); otherwise eat grain-sized pieces from the front. */
static void
pfor_range(struct pfor *p, size_t b, size_t e)
{
    struct weft__worker *self = weft__self;

    while (e - b > p->grain) {
        if (!weft__deque_maybe_nonempty(&self->dq)) {
            struct pfor_range right = {p, b + (e - b) / 2, e};
            weft_task_t t;
            memset(&t, 0, sizeof(t));
            weft_spawn(&t, pfor_task, &right);
            pfor_range(p, b, right.begin);
            weft_sync(&t, NULL);
            return;
        }
        pfor_piece(p, b, b + p->grain);
        b += p->grain;
    }
    if (e > b)
        pfor_piece(p, b, e);
}

static int
pfor_task(void *arg, void **result)
{
    struct pfor_range *r = (struct pfor_range *)arg;

    (void)result;
    pfor_range(r->p, r->begin, r->end);
    return 0;
}

WEFT_API int
weft_parallel_for(weft_pool_t *pool, size_t begin, size_t end, size_t grain,
                  weft_range_fn fn, void *ctx)
{
    struct pfor p;
    struct pfor_range all;
    int rc;

    if (pool == NULL || fn == NULL || begin > end)
        return -EINVAL;
    if (begin == end)
        return 0;
    if (grain == 0) {
        grain = (end - begin) / (8 * (size_t)weft_pool_workers(pool));
        if (grain == 0)
            grain = 1;
    }
    p.fn = fn;
    p.ctx = ctx;
    p.grain = grain;
    atomic_init(&p.err, 0);
    all.p = &p;
    all.begin = begin;
    all.end = end;
    rc = weft_pool_run(pool, pfor_task, &all, NULL);
    if (rc != 0)
        return rc;
    /* relaxed: weft_pool_run's completion ordered every piece before. */
    return atomic_load_explicit(&p.err, memory_order_relaxed);
}
