/* SPDX-License-Identifier: MIT */
/*
 * timer.c - delayed and periodic submission (weft/timer.h): one process
 * wide min-heap of timers, one timer thread sleeping on a futex until the
 * earliest deadline.
 *
 * A timer's user future U is a held future (future_int.h): pending, in no
 * queue, cancellable as usual. A one-shot timer's fire enqueues U into its
 * pool, so U's own task is fn. A periodic timer's U is never enqueued:
 * each fire submits a run (run_task, then run_done as the run's done
 * callback), and U completes when the timer ends: cancelled, a run that
 * failed, or its pool shut down.
 *
 * Concurrency protocol:
 * [T1] svc.lock (a pthread mutex) guards the heap, every timer's state and
 *      heap index, svc.started, svc.firing and the tick counters.
 * [T2] svc.seq is the timer thread's futex word. It snapshots seq under
 *      the lock after computing the next deadline; whoever changes the
 *      heap top (or asks for a tick) bumps seq under the lock and wakes
 *      it: no lost wake-up.
 * [T3] One-shot fire vs cancel: U's claim (future.c [F1], [F5]) picks one.
 *      A cancel returning 0 means the enqueued job finds U cancelled.
 * [T4] Periodic: a run starts only if, under the lock, the timer is still
 *      FIRED; U's done callback (u_done), which a cancel runs before it
 *      returns, sets OVER under the lock. So no run starts after cancel
 *      returned 0.
 * [T5] Pool shutdown: weft__timers_pool_closing() runs after the pool is
 *      CLOSED. Under the lock it takes the pool's timers out of the heap
 *      and waits until no fire is in flight (svc.firing); arm and re-arm
 *      check the pool's state under the lock, so a closed pool gets no
 *      timer back. Its timers complete as cancelled before shutdown
 *      returns.
 * References on a timer t: "live" (the heap; moved to the fire, to the
 * periodic run, and back to the heap on a re-arm) and one for U's done
 * callback. t holds the holder's reference to U and one on its pool's
 * memory (scheduler.c), both dropped when t is freed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include <weft/timer.h>

#include "futex.h"
#include "future_int.h"
#include "internal.h"
#include "timer_int.h"
#include "worker.h"

#define BATCH         64u
#define NOT_IN_HEAP   SIZE_MAX
/* A fire that found no memory tries again this much later. */
#define FIRE_RETRY_NS (WEFT_NS_PER_MS)

enum {
    T_ARMED = 0, /* in the heap */
    T_FIRED = 1, /* out of it: enqueued (one-shot) or a run on its way */
    T_OVER = 2   /* U is complete */
};

struct tmr {
    _Atomic uint32_t refs;
    uint32_t state; /* [T1] */
    weft_pool_t *pool;
    weft_fn fn;
    void *arg;
    uint64_t due;
    uint64_t period;                /* 0: one-shot */
    size_t heap_idx;                /* [T1] */
    weft_future_t *user;            /* U, the holder's reference */
    struct tmr *next;               /* pool_closing's list */
    struct weft__cb_node done_node; /* on U */
    struct weft__cb_node run_node;  /* on the run in flight (periodic) */
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t cv;    /* firing cleared, a tick done */
    _Atomic uint32_t seq; /* [T2] */
    struct tmr **heap;
    size_t n, cap;
    bool started;
    pthread_t thread;             /* valid once started */
    bool firing;                  /* a batch is being handed out */
    uint64_t tick_req, tick_done; /* weft__timer_tick() */
} svc = {.lock = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* NULL: CLOCK_MONOTONIC (weft_now_ns); a test's fake clock otherwise. */
static _Atomic(weft__timer_clock_fn) svc_clock;

static uint64_t
svc_now(void)
{
    /* acquire: pairs with weft__timer_clock_set()'s release. */
    weft__timer_clock_fn now =
        atomic_load_explicit(&svc_clock, memory_order_acquire);

    return now != NULL ? now() : weft_now_ns();
}

/* ---- timers: references --------------------------------------------- */

static void
tmr_release(struct tmr *t)
{
    /* acq_rel: the last release sees every other holder's writes. */
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1) {
        weft_future_release(t->user);
        /* The last use of t->pool: the pool may be freed now. */
        weft__pool_timer_drop(t->pool);
        weft__free(t);
    }
}

/* ---- the heap [T1] ---------------------------------------------------- */

static void
heap_set(size_t i, struct tmr *t)
{
    svc.heap[i] = t;
    t->heap_idx = i;
}

static void
heap_up(size_t i)
{
    struct tmr *t = svc.heap[i];

    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (svc.heap[p]->due <= t->due)
            break;
        heap_set(i, svc.heap[p]);
        i = p;
    }
    heap_set(i, t);
}

static void
heap_down(size_t i)
{
    struct tmr *t = svc.heap[i];

    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= svc.n)
            break;
        if (c + 1 < svc.n && svc.heap[c + 1]->due < svc.heap[c]->due)
            c++;
        if (t->due <= svc.heap[c]->due)
            break;
        heap_set(i, svc.heap[c]);
        i = c;
    }
    heap_set(i, t);
}

static int
heap_reserve(void)
{
    struct tmr **h;
    size_t cap;

    if (svc.n < svc.cap)
        return 0;
    cap = svc.cap ? svc.cap * 2 : 64;
    h = weft__malloc(cap * sizeof(*h));
    if (h == NULL)
        return -ENOMEM;
    if (svc.n)
        memcpy(h, svc.heap, svc.n * sizeof(*h));
    weft__free(svc.heap);
    svc.heap = h;
    svc.cap = cap;
    return 0;
}

/* Under svc.lock: make the timer thread look again [T2]. */
static void
svc_kick(void)
{
    /* relaxed: under svc.lock, which the timer thread holds when it
     * snapshots seq [T2]; the futex compares the value. */
    atomic_fetch_add_explicit(&svc.seq, 1, memory_order_relaxed);
    weft__futex_wake(&svc.seq, 1);
}

/* Insert (room reserved); wakes the timer thread when t is the new top. */
static void
heap_push(struct tmr *t)
{
    t->state = T_ARMED;
    heap_set(svc.n++, t);
    heap_up(svc.n - 1);
    if (t->heap_idx == 0)
        svc_kick();
}

static void
heap_remove(struct tmr *t)
{
    size_t i = t->heap_idx;
    struct tmr *last = svc.heap[--svc.n];

    t->heap_idx = NOT_IN_HEAP;
    if (i == svc.n)
        return;
    heap_set(i, last);
    heap_up(i);
    heap_down(last->heap_idx);
}

/* Under svc.lock: may timers still target pool [T5]? */
static bool
pool_open(weft_pool_t *pool)
{
    /* relaxed: svc.lock orders it against weft__timers_pool_closing(),
     * which runs after the CLOSED store [T5]. */
    return atomic_load_explicit(&pool->state, memory_order_relaxed) ==
           WEFT_POOL_RUNNING;
}

/* ---- completion and periodic runs ------------------------------------ */

/* U completed (ran, failed, or was cancelled): disarm, drop refs. */
static void
u_done(weft_future_t *f, void *ctx)
{
    struct tmr *t = ctx;
    bool armed = false;

    (void)f;
    pthread_mutex_lock(&svc.lock);
    if (t->heap_idx != NOT_IN_HEAP) {
        heap_remove(t);
        armed = true;
    }
    t->state = T_OVER; /* [T4] */
    pthread_mutex_unlock(&svc.lock);
    if (armed)
        tmr_release(t);
    tmr_release(t);
}

/* End a periodic timer: U completes with err/res (unless already done). */
static void
periodic_end(struct tmr *t, int err, void *res)
{
    if (err == -ECANCELED)
        (void)weft_future_cancel(t->user);
    else
        (void)weft__future_complete_held(t->user, err, res);
}

/* The next due time after a run: fixed rate, missed periods coalesced. */
static uint64_t
next_due(uint64_t due, uint64_t period, uint64_t now)
{
    uint64_t next = due + period;

    if (next <= now)
        next += ((now - next) / period + 1) * period;
    return next;
}

/* A periodic run, on the pool: fn, unless the timer ended [T4]. */
static int
run_task(void *arg, void **result)
{
    struct tmr *t = arg;
    bool go;

    pthread_mutex_lock(&svc.lock);
    go = t->state == T_FIRED;
    pthread_mutex_unlock(&svc.lock);
    return go ? t->fn(t->arg, result) : 0;
}

/* The run's done callback (it ran, or the pool cancelled it): re-arm or
 * end the timer; holds the live reference. */
static void
run_done(weft_future_t *f, void *ctx)
{
    struct tmr *t = ctx;
    void *res = NULL;
    int rc = weft_future_result(f, WEFT_DEADLINE_POLL, &res);
    bool rearmed = false;

    if (rc == 0) {
        pthread_mutex_lock(&svc.lock);
        if (t->state == T_FIRED) { /* else ended during the run */
            rc = pool_open(t->pool) ? heap_reserve() : -ECANCELED;
            if (rc == 0) {
                t->due = next_due(t->due, t->period, svc_now());
                heap_push(t); /* the live reference goes back */
                rearmed = true;
            }
        }
        pthread_mutex_unlock(&svc.lock);
    }
    if (rearmed)
        return;
    if (rc != 0)
        periodic_end(t, rc, res);
    tmr_release(t);
}

/* ---- the timer thread ------------------------------------------------ */

/* A fire found no memory: out of memory is not a cancel, so re-arm a
 * little later (as a periodic re-arm does) unless the timer ended or its
 * pool closed meanwhile. true: the live reference went back to the heap. */
static bool
fire_retry(struct tmr *t)
{
    bool rearmed = false;

    pthread_mutex_lock(&svc.lock);
    if (t->state == T_FIRED && pool_open(t->pool) && heap_reserve() == 0) {
        t->due = svc_now() + FIRE_RETRY_NS;
        heap_push(t);
        rearmed = true;
    }
    pthread_mutex_unlock(&svc.lock);
    return rearmed;
}

/* Outside the lock: hand a popped timer (with its live ref) to its pool. */
static void
fire(struct tmr *t)
{
    weft_future_t *r = NULL;
    int rc;

    WEFT_CHAOS_POINT();
    if (t->period == 0) {
        /* The queue's reference; refused, U completes as cancelled; out of
         * memory, U is held again and the fire retried. */
        (void)weft_future_retain(t->user);
        if (weft__future_enqueue(t->user, t->pool) == -ENOMEM) {
            if (fire_retry(t))
                return;
            (void)weft_future_cancel(t->user);
        }
        tmr_release(t);
        return;
    }
    rc = weft_pool_submit(t->pool, run_task, t, &r);
    if (rc == -ENOMEM && fire_retry(t))
        return;
    if (rc != 0) {
        periodic_end(t, -ECANCELED, NULL);
        tmr_release(t);
        return;
    }
    /* The live reference moves to the run (run_done drops or re-arms). */
    t->run_node.cb = run_done;
    t->run_node.ctx = t;
    weft__future_on_done_node(r, &t->run_node);
    weft_future_release(r);
}

static void *
timer_main(void *unused)
{
    struct tmr *batch[BATCH];

    (void)unused;
    pthread_setname_np(pthread_self(), "weft-timer");
    pthread_mutex_lock(&svc.lock);
    for (;;) {
        uint64_t req = svc.tick_req, now = svc_now(), next;
        uint32_t snap;
        size_t nb = 0;

        while (svc.n > 0 && svc.heap[0]->due <= now && nb < BATCH) {
            struct tmr *t = svc.heap[0];
            heap_remove(t);
            t->state = T_FIRED;
            batch[nb++] = t;
        }
        if (nb > 0) {
            svc.firing = true; /* [T5] */
            pthread_mutex_unlock(&svc.lock);
            for (size_t i = 0; i < nb; i++)
                fire(batch[i]);
            pthread_mutex_lock(&svc.lock);
            svc.firing = false;
            pthread_cond_broadcast(&svc.cv);
            continue; /* more may be due by now */
        }
        if (svc.tick_done != req) {
            svc.tick_done = req; /* all due at the clock's value fired */
            pthread_cond_broadcast(&svc.cv);
        }
        next = svc.n > 0 ? svc.heap[0]->due : WEFT_DEADLINE_NEVER;
        /* acquire: pairs with weft__timer_clock_set(). A fake clock moves
         * only with a tick, which wakes us. */
        if (atomic_load_explicit(&svc_clock, memory_order_acquire) != NULL)
            next = WEFT_DEADLINE_NEVER;
        /* relaxed: read under the lock that every bump holds [T2]. */
        snap = atomic_load_explicit(&svc.seq, memory_order_relaxed);
        pthread_mutex_unlock(&svc.lock);
        weft__futex_wait(&svc.seq, snap, next);
        pthread_mutex_lock(&svc.lock);
    }
    return NULL;
}

/* Under svc.lock: start the timer thread once. */
static int
svc_start_locked(void)
{
    pthread_attr_t a;
    int rc;

    if (svc.started)
        return 0;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    rc = pthread_create(&svc.thread, &a, timer_main, NULL);
    pthread_attr_destroy(&a);
    if (rc != 0)
        return -EAGAIN;
    svc.started = true;
    return 0;
}

/* ---- arming ------------------------------------------------------------ */

static int
arm(weft_pool_t *pool, uint64_t delay, uint64_t period, weft_fn fn, void *arg,
    weft_future_t **out)
{
    weft_future_t *u;
    struct tmr *t;
    int rc;

    if (pool == NULL || fn == NULL || out == NULL || delay > WEFT_TIMER_MAX_NS)
        return -EINVAL;
    t = weft__calloc(1, sizeof(*t));
    if (t == NULL)
        return -ENOMEM;
    rc = weft__future_create_held(fn, arg, &u);
    if (rc != 0) {
        weft__free(t);
        return rc;
    }
    atomic_init(&t->refs, 2); /* live + U's done callback */
    t->pool = pool;
    t->fn = fn;
    t->arg = arg;
    t->period = period;
    t->heap_idx = NOT_IN_HEAP;
    t->user = u;
    pthread_mutex_lock(&svc.lock);
    rc = svc_start_locked();
    if (rc == 0)
        rc = pool_open(pool) ? heap_reserve() : -ESHUTDOWN; /* [T5] */
    if (rc == 0) {
        /* t holds the pool's memory until it is freed (tmr_release). */
        weft__pool_timer_hold(pool);
        t->due = svc_now() + delay;
        heap_push(t);
    }
    pthread_mutex_unlock(&svc.lock);
    if (rc != 0) {
        (void)weft_future_cancel(u); /* nobody else knows it */
        weft_future_release(u);
        weft_future_release(u);
        weft__free(t);
        return rc;
    }
    /* From here U may complete (cancel, pool shutdown, or the fire when
     * already due); u_done then runs at once, and t lives until it has. */
    t->done_node.cb = u_done;
    t->done_node.ctx = t;
    weft__future_on_done_node(u, &t->done_node);
    *out = u;
    return 0;
}

WEFT_API int
weft_pool_submit_after(weft_pool_t *pool, uint64_t delay_ns, weft_fn fn,
                       void *arg, weft_future_t **out)
{
    return arm(pool, delay_ns, 0, fn, arg, out);
}

WEFT_API int
weft_pool_submit_every(weft_pool_t *pool, uint64_t period_ns, weft_fn fn,
                       void *arg, weft_future_t **out)
{
    if (period_ns == 0)
        return -EINVAL;
    return arm(pool, period_ns, period_ns, fn, arg, out);
}

WEFT_API size_t
weft_timers_armed(void)
{
    size_t n;

    pthread_mutex_lock(&svc.lock);
    n = svc.n;
    pthread_mutex_unlock(&svc.lock);
    return n;
}

/* ---- pool shutdown and test hooks ------------------------------------ */

void
weft__timers_pool_closing(struct weft_pool *pool)
{
    struct tmr *t, *list = NULL;

    pthread_mutex_lock(&svc.lock);
    for (size_t i = 0; i < svc.n; i++) {
        if (svc.heap[i]->pool == pool) {
            svc.heap[i]->next = list;
            list = svc.heap[i];
        }
    }
    for (t = list; t != NULL; t = t->next)
        heap_remove(t); /* their live references are ours now */
    /* [T5] a fire to this pool may be under way; unless we are that fire
     * (a done callback that a refused fire ran shuts a pool down). */
    while (svc.firing && !pthread_equal(svc.thread, pthread_self()))
        pthread_cond_wait(&svc.cv, &svc.lock);
    pthread_mutex_unlock(&svc.lock);
    while ((t = list) != NULL) {
        list = t->next;
        (void)weft_future_cancel(t->user);
        tmr_release(t);
    }
}

void
weft__timers_fork_prepare(void)
{
    pthread_mutex_lock(&svc.lock);
}

void
weft__timers_fork_parent(void)
{
    pthread_mutex_unlock(&svc.lock);
}

void
weft__timers_fork_child(void)
{
    /* The timer thread was not copied: the next arm starts one. A batch
     * it was firing is lost here (those timers belong to the parent's
     * pools, which have no workers in the child). */
    svc.started = false;
    svc.firing = false;
    svc.tick_done = svc.tick_req;
    pthread_cond_init(&svc.cv, NULL);
    pthread_mutex_unlock(&svc.lock); /* taken by fork_prepare */
}

void
weft__timer_clock_set(weft__timer_clock_fn now)
{
    /* release: pairs with svc_now()'s acquire (the fake clock's state). */
    atomic_store_explicit(&svc_clock, now, memory_order_release);
    pthread_mutex_lock(&svc.lock);
    svc_kick(); /* recompute the sleep with the new clock */
    pthread_mutex_unlock(&svc.lock);
}

void
weft__timer_tick(void)
{
    uint64_t req;

    pthread_mutex_lock(&svc.lock);
    if (svc_start_locked() == 0) {
        req = ++svc.tick_req;
        svc_kick();
        while (svc.tick_done < req)
            pthread_cond_wait(&svc.cv, &svc.lock);
    }
    pthread_mutex_unlock(&svc.lock);
}
