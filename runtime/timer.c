/* SPDX-License-Identifier: MIT */
/*
 * timer.c - delayed and periodic submission (weft/timer.h): one process
 * wide min-heap of timers, one timer thread sleeping on a futex until the
 * earliest deadline.
 *
 * The user-visible future U. future.c has no way to make a pending future
 * that is in no queue, so U is created by weft_pool_submit() of u_tramp to
 * a private one-worker "gate" pool whose only worker is kept busy by a
 * creator task: U sits in that worker's deque and is never taken from it.
 * The creator (on the gate worker, so the push is to its own growable
 * deque) makes U on request of weft_pool_submit_after/every (a short round
 * trip). When the timer fires, a tiny gate task submitted to the target
 * pool calls weft_future_result(U, POLL): on a worker that claims U and
 * runs u_tramp inline there, so fn runs on the target pool and U gets fn's
 * result; if U was cancelled first, the claim fails and nothing runs. The
 * deque slots of finished futures are reclaimed by retiring gates: after
 * GATE_ROTATE futures a gate stops creating, and once all its futures are
 * done its creator returns, the pool drains (only releases) and is
 * destroyed by the timer thread. Up to GATE_RETIRING gates may wait for
 * their last timers at once (one long timer pins only its own gate); past
 * that the active gate keeps growing until one is reclaimed. (A future.c
 * hook for a detached pending future would remove the gate pools; see the
 * report of issue "Threads, timers".)
 *
 * Concurrency protocol:
 * [T1] svc.lock (a pthread mutex) guards the heap, every timer's state
 *      transitions and heap index, the gates' request lists and counters.
 * [T2] svc.seq is the timer thread's futex word. It snapshots seq under
 *      the lock after computing the next deadline; whoever changes the
 *      heap top bumps seq under the lock and wakes it: no lost wake-up.
 * [T3] gate->wake is the creator's futex word, bumped under the lock on a
 *      request or when a retiring gate's last future completes.
 * [T4] t->created: the creator writes t->user / t->create_rc, then
 *      release-stores created = 1; the requester acquire-loads it.
 * [T5] t->state is written under the lock; a periodic u_tramp claimed
 *      early by a waiter sleeps on it (futex) until ENDED.
 * References on a timer t: one for "armed" (the heap; moved to the gate
 * or run task when it fires and back when a periodic timer re-arms), one
 * for U's done callback (which also covers u_tramp, as U's callbacks run
 * after its task). t holds one reference to U, dropped when t is freed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include <weft/timer.h>

#include "atomics.h"
#include "futex.h"
#include "future_int.h"
#include "internal.h"
#include "rcu.h"
#include "syncwait.h"

#define GATE_ROTATE   1024u
#define GATE_RETIRING 8u
#define NOT_IN_HEAP   SIZE_MAX
/* A fire whose submission found no memory tries again this much later. */
#define FIRE_RETRY_NS (WEFT_NS_PER_MS)

enum {
    T_ARMED = 0,
    T_FIRED = 1,   /* one-shot: its gate task is on the way */
    T_RUNNING = 2, /* periodic: a run is in progress */
    T_ENDED = 3,   /* periodic: ended by an error or a shutdown */
    T_CANCELLED = 4
};

struct gate;

struct tmr {
    _Atomic uint32_t refs;
    _Atomic uint32_t state;   /* [T5] */
    _Atomic uint32_t created; /* [T4] */
    int create_rc;
    weft_pool_t *pool;
    weft_fn fn;
    void *arg;
    uint64_t due;
    uint64_t period; /* 0: one-shot */
    size_t heap_idx; /* [T1] */
    int err;         /* periodic: the code that ended it */
    void *res;
    weft_future_t *user; /* U */
    struct gate *gate;
    struct tmr *req_next;
    struct weft__cb_node done_node;
};

struct gate {
    weft_pool_t *pool;
    weft_future_t *plug;   /* the creator task */
    _Atomic uint32_t wake; /* [T3] */
    struct tmr *reqs;      /* [T1] */
    uint32_t created;      /* [T1] */
    uint32_t outstanding;  /* [T1] futures not done yet */
    bool retiring;         /* [T1] */
    bool exited;           /* [T1] the creator is returning */
    struct gate *next;     /* [T1] in svc.retiring */
};

static struct {
    pthread_mutex_t lock;
    _Atomic uint32_t seq; /* [T2] */
    struct tmr **heap;
    size_t n, cap;
    struct gate *active, *retiring; /* retiring: a list */
    unsigned nretiring;
    pthread_t thread;
    int start_rc;
} svc = {.lock = PTHREAD_MUTEX_INITIALIZER};

static pthread_once_t svc_once = PTHREAD_ONCE_INIT;

/* ---- timers: references --------------------------------------------- */

static void
tmr_release(struct tmr *t)
{
    /* acq_rel: the last release sees every other holder's writes. */
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1) {
        weft_future_release(t->user);
        /* The last use of t->pool: the pool may be destroyed now. */
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

/* Insert (room reserved); wakes the timer thread when t is the new top. */
static void
heap_push(struct tmr *t)
{
    heap_set(svc.n++, t);
    heap_up(svc.n - 1);
    if (t->heap_idx == 0) {
        /* relaxed: under svc.lock, which the timer thread takes to read
         * the snapshot [T2]; the futex compares the value. */
        atomic_fetch_add_explicit(&svc.seq, 1, memory_order_relaxed);
        weft__futex_wake(&svc.seq, 1);
    }
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

/* ---- state ------------------------------------------------------------ */

static uint32_t
state_get(struct tmr *t)
{
    /* acquire: [T5] pairs with state_set (for lock-free readers). */
    return atomic_load_explicit(&t->state, memory_order_acquire);
}

/* Under svc.lock. */
static void
state_set(struct tmr *t, uint32_t s)
{
    /* release: [T5] err/res before ENDED; pairs with state_get. */
    atomic_store_explicit(&t->state, s, memory_order_release);
    if (s == T_ENDED) /* only an early-claimed periodic U sleeps on it */
        weft__futex_wake(&t->state, INT32_MAX);
}

/* ---- U's task and done callback ---------------------------------------- */

static void
sleep_until(uint64_t due)
{
    struct timespec ts;
    bool worker = weft_pool_current() != NULL;

    weft__ns_to_timespec(due, &ts);
    if (worker)
        weft__rcu_worker_offline(); /* a blocking wait (rcu.h) */
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
    if (worker)
        weft__rcu_worker_online();
}

/* U's task: normally run inline by a gate task (one-shot) or by the run
 * that ended a periodic timer; early by a worker waiting on U. */
static int
u_tramp(void *arg, void **result)
{
    struct tmr *t = arg;
    uint32_t s;
    bool drop = false;

    if (t->period == 0) {
        pthread_mutex_lock(&svc.lock);
        if (state_get(t) == T_ARMED) {
            /* Claimed by a waiter before the fire: fire it here. */
            state_set(t, T_FIRED);
            if (t->heap_idx != NOT_IN_HEAP) {
                heap_remove(t);
                drop = true;
            }
        }
        pthread_mutex_unlock(&svc.lock);
        if (drop) {
            tmr_release(t); /* the armed reference */
            sleep_until(t->due);
        }
        return t->fn(t->arg, result);
    }
    /* Periodic: U completes when the timer ends [T5]. Only a waiting
     * worker gets here before that (an early claim): sleep. */
    while ((s = state_get(t)) != T_ENDED) {
        weft__rcu_worker_offline(); /* a blocking wait (rcu.h) */
        weft__futex_wait(&t->state, s, WEFT_DEADLINE_NEVER);
        weft__rcu_worker_online();
    }
    *result = t->res;
    return t->err;
}

static void
gate_retire_check(struct gate *g)
{
    if (g->retiring && g->outstanding == 0) {
        /* relaxed: under svc.lock, read by the creator under it [T3]. */
        atomic_fetch_add_explicit(&g->wake, 1, memory_order_relaxed);
        weft__futex_wake(&g->wake, 1);
    }
}

/* U completed (ran, failed, or was cancelled): disarm, drop refs. */
static void
u_done(weft_future_t *f, void *ctx)
{
    struct tmr *t = ctx;
    bool armed = false;
    uint32_t s;

    (void)f;
    pthread_mutex_lock(&svc.lock);
    if (t->heap_idx != NOT_IN_HEAP) {
        heap_remove(t);
        armed = true;
    }
    s = state_get(t);
    if (s == T_ARMED || s == T_RUNNING)
        state_set(t, T_CANCELLED);
    t->gate->outstanding--;
    gate_retire_check(t->gate);
    pthread_mutex_unlock(&svc.lock);
    if (armed)
        tmr_release(t);
    tmr_release(t);
}

/* ---- firing ------------------------------------------------------------ */

/* On the target pool: complete U by running it here (one-shot). */
static int
gate_task(void *arg, void **result)
{
    struct tmr *t = arg;

    (void)result;
    /* Claims U and runs u_tramp inline; -ECANCELED / -ETIMEDOUT when it
     * was cancelled or claimed by a waiter: nothing to do then. */
    (void)weft_future_result(t->user, WEFT_DEADLINE_POLL, NULL);
    tmr_release(t);
    return 0;
}

/* End a periodic timer with err/res; complete U. */
static void
periodic_end(struct tmr *t, int err, void *res)
{
    bool ended = false;

    pthread_mutex_lock(&svc.lock);
    if (state_get(t) == T_RUNNING) {
        t->err = err;
        t->res = res;
        state_set(t, T_ENDED);
        ended = true;
    }
    pthread_mutex_unlock(&svc.lock);
    if (!ended)
        return; /* cancelled meanwhile: U is already complete */
    if (err == -ECANCELED || weft_pool_current() == NULL)
        (void)weft_future_cancel(t->user);
    else
        (void)weft_future_result(t->user, WEFT_DEADLINE_POLL, NULL);
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

static int
run_task(void *arg, void **result)
{
    struct tmr *t = arg;
    void *res = NULL;
    int rc;

    (void)result;
    /* No run starts once U is cancelled (weft_future_cancel returned). */
    if (weft_future_cancelled(t->user) || state_get(t) != T_RUNNING) {
        tmr_release(t);
        return 0;
    }
    rc = t->fn(t->arg, &res);
    if (rc != 0) {
        periodic_end(t, rc, res);
        tmr_release(t);
        return 0;
    }
    pthread_mutex_lock(&svc.lock);
    if (state_get(t) == T_RUNNING && heap_reserve() == 0) {
        t->due = next_due(t->due, t->period, weft_now_ns());
        state_set(t, T_ARMED);
        heap_push(t); /* the run's reference goes back to the heap */
        pthread_mutex_unlock(&svc.lock);
        return 0;
    }
    rc = state_get(t) == T_RUNNING ? -ENOMEM : 0;
    pthread_mutex_unlock(&svc.lock);
    if (rc != 0)
        periodic_end(t, rc, NULL);
    tmr_release(t);
    return 0;
}

/* Outside the lock: hand a popped timer (with its armed ref) to its pool. */
static void
fire(struct tmr *t)
{
    weft_future_t *f = NULL;
    int rc;

    rc = weft_pool_submit(t->pool, t->period ? run_task : gate_task, t, &f);
    if (rc == 0) {
        weft_future_release(f);
        return;
    }
    if (rc == -ENOMEM) {
        /* Out of memory is not a cancel: re-arm and fire again a little
         * later (unless cancelled meanwhile), as a periodic re-arm does. */
        pthread_mutex_lock(&svc.lock);
        if (state_get(t) == (t->period ? T_RUNNING : T_FIRED) &&
            heap_reserve() == 0) {
            t->due = weft_now_ns() + FIRE_RETRY_NS;
            state_set(t, T_ARMED);
            heap_push(t); /* the armed reference goes back to the heap */
            pthread_mutex_unlock(&svc.lock);
            return;
        }
        pthread_mutex_unlock(&svc.lock);
    }
    if (t->period)
        periodic_end(t, -ECANCELED, NULL);
    else
        (void)weft_future_cancel(t->user);
    tmr_release(t);
}

static void gate_reap(void);

static void *
timer_main(void *unused)
{
    struct tmr *batch[64];

    (void)unused;
    pthread_setname_np(pthread_self(), "weft-timer");
    pthread_mutex_lock(&svc.lock);
    for (;;) {
        uint64_t now = weft_now_ns(), next = WEFT_DEADLINE_NEVER;
        uint32_t snap;
        size_t nb = 0;

        while (svc.n > 0 && svc.heap[0]->due <= now && nb < 64) {
            struct tmr *t = svc.heap[0];
            heap_remove(t);
            state_set(t, t->period ? T_RUNNING : T_FIRED);
            batch[nb++] = t;
        }
        if (nb == 64)
            next = WEFT_DEADLINE_POLL;
        else if (svc.n > 0)
            next = svc.heap[0]->due;
        /* relaxed: read under the lock that every bump holds [T2]. */
        snap = atomic_load_explicit(&svc.seq, memory_order_relaxed);
        pthread_mutex_unlock(&svc.lock);
        for (size_t i = 0; i < nb; i++)
            fire(batch[i]);
        gate_reap();
        if (next != WEFT_DEADLINE_POLL)
            weft__futex_wait(&svc.seq, snap, next);
        pthread_mutex_lock(&svc.lock);
    }
    return NULL;
}

/* ---- gates --------------------------------------------------------------- */

static int
creator(void *arg, void **result)
{
    struct gate *g = arg;

    (void)result;
    pthread_mutex_lock(&svc.lock);
    for (;;) {
        struct tmr *reqs = g->reqs;
        uint32_t snap;

        g->reqs = NULL;
        if (reqs == NULL && g->retiring && g->outstanding == 0) {
            /* Let the timer thread reap us [T2]. */
            g->exited = true;
            /* relaxed: under svc.lock [T2]. */
            atomic_fetch_add_explicit(&svc.seq, 1, memory_order_relaxed);
            weft__futex_wake(&svc.seq, 1);
            break;
        }
        /* relaxed: read under the lock that every bump holds [T3]. */
        snap = atomic_load_explicit(&g->wake, memory_order_relaxed);
        pthread_mutex_unlock(&svc.lock);
        while (reqs != NULL) {
            struct tmr *t = reqs;
            weft_future_t *u = NULL;

            reqs = t->req_next;
            /* Our own worker: a push to our deque, which nobody runs. */
            t->create_rc = weft_pool_submit(g->pool, u_tramp, t, &u);
            if (t->create_rc == 0) {
                t->user = u;
                (void)weft_future_retain(u); /* t's own reference */
            }
            /* [T4] release: user/create_rc before created. */
            atomic_store_explicit(&t->created, 1, memory_order_release);
            weft__futex_wake(&t->created, 1);
        }
        /* Returns at once if a request came since snap [T3]. */
        weft__rcu_worker_offline(); /* a blocking wait (rcu.h) */
        weft__futex_wait(&g->wake, snap, WEFT_DEADLINE_NEVER);
        weft__rcu_worker_online();
        pthread_mutex_lock(&svc.lock);
    }
    pthread_mutex_unlock(&svc.lock);
    return 0;
}

/* Under svc.lock: the gate to create futures in, rotating if due. */
static int
gate_get(struct gate **out)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    struct gate *g = svc.active;
    int rc;

    if (g != NULL && g->created >= GATE_ROTATE &&
        svc.nretiring < GATE_RETIRING) {
        g->retiring = true;
        g->next = svc.retiring;
        svc.retiring = g;
        svc.nretiring++;
        svc.active = NULL;
        /* Wake the creator: it re-checks under the lock [T3]. relaxed:
         * under svc.lock. */
        atomic_fetch_add_explicit(&g->wake, 1, memory_order_relaxed);
        weft__futex_wake(&g->wake, 1);
        g = NULL;
    }
    if (g == NULL) {
        g = weft__calloc(1, sizeof(*g));
        if (g == NULL)
            return -ENOMEM;
        o.workers = 1;
        o.name = "tgate";
        o.park_timeout_ns = 0;
        rc = weft_pool_create(&o, &g->pool);
        if (rc == 0) {
            rc = weft_pool_submit(g->pool, creator, g, &g->plug);
            if (rc != 0)
                weft_pool_destroy(g->pool);
        }
        if (rc != 0) {
            weft__free(g);
            return rc;
        }
        svc.active = g;
    }
    *out = g;
    return 0;
}

/* Timer thread: destroy the retired gates whose creator has returned. */
static void
gate_reap(void)
{
    struct gate *g, **pp, *dead = NULL;

    pthread_mutex_lock(&svc.lock);
    for (pp = &svc.retiring; (g = *pp) != NULL;) {
        if (g->exited) {
            *pp = g->next;
            svc.nretiring--;
            g->next = dead;
            dead = g;
        } else {
            pp = &g->next;
        }
    }
    pthread_mutex_unlock(&svc.lock);
    while ((g = dead) != NULL) {
        dead = g->next;
        /* The creator is returning: a short wait at most. */
        (void)weft_future_result(g->plug, WEFT_DEADLINE_NEVER, NULL);
        weft_future_release(g->plug);
        weft_pool_destroy(g->pool); /* drains: releases of done futures */
        weft__free(g);
    }
}

/* ---- service start and arming ---------------------------------------- */

static void
svc_start(void)
{
    pthread_attr_t a;

    atomic_init(&svc.seq, 0);
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    svc.start_rc =
        pthread_create(&svc.thread, &a, timer_main, NULL) == 0 ? 0 : -EAGAIN;
    pthread_attr_destroy(&a);
}

static int
arm(weft_pool_t *pool, uint64_t delay, uint64_t period, weft_fn fn, void *arg,
    weft_future_t **out)
{
    weft_future_t *u;
    struct tmr *t;
    struct gate *g;
    uint32_t c;
    int rc;

    if (pool == NULL || fn == NULL || out == NULL || delay > WEFT_TIMER_MAX_NS)
        return -EINVAL;
    pthread_once(&svc_once, svc_start);
    if (svc.start_rc != 0)
        return svc.start_rc;
    t = weft__calloc(1, sizeof(*t));
    if (t == NULL)
        return -ENOMEM;
    atomic_init(&t->refs, 2); /* armed + U's done callback */
    atomic_init(&t->state, T_ARMED);
    atomic_init(&t->created, 0);
    t->pool = pool;
    t->fn = fn;
    t->arg = arg;
    t->period = period;
    t->heap_idx = NOT_IN_HEAP;
    /* Ask the gate's creator for U. */
    pthread_mutex_lock(&svc.lock);
    rc = heap_reserve();
    if (rc == 0)
        rc = gate_get(&g);
    if (rc != 0) {
        pthread_mutex_unlock(&svc.lock);
        weft__free(t);
        return rc;
    }
    t->gate = g;
    g->created++;
    g->outstanding++;
    t->req_next = g->reqs;
    g->reqs = t;
    /* relaxed: under svc.lock [T3]. */
    atomic_fetch_add_explicit(&g->wake, 1, memory_order_relaxed);
    weft__futex_wake(&g->wake, 1);
    pthread_mutex_unlock(&svc.lock);
    /* [T4] acquire: pairs with the creator's release. */
    while ((c = atomic_load_explicit(&t->created, memory_order_acquire)) == 0)
        weft__wait_u32(&t->created, c, WEFT_DEADLINE_NEVER);
    rc = t->create_rc;
    if (rc == 0) {
        pthread_mutex_lock(&svc.lock);
        rc = heap_reserve(); /* others may have used the room since */
        if (rc == 0) {
            t->due = weft_now_ns() + delay;
            heap_push(t);
        }
        pthread_mutex_unlock(&svc.lock);
        if (rc != 0) {
            /* Nobody else has U yet: cancelling it cannot race. */
            (void)weft_future_cancel(t->user);
            weft_future_release(t->user);
        }
    }
    if (rc != 0) {
        pthread_mutex_lock(&svc.lock);
        g->outstanding--;
        gate_retire_check(g);
        pthread_mutex_unlock(&svc.lock);
        weft_future_release(t->user); /* NULL when never created */
        weft__free(t);
        return rc == -ENOMEM ? -ENOMEM : -EAGAIN;
    }
    /* Armed: t holds its pool until its last release (tmr_release). Taken
     * before the done callback exists, so that release cannot come first. */
    weft__pool_timer_hold(t->pool);
    /* From here U's completion (a cancel, or the fire if the timer is
     * already due) may free t: read U first. The callback runs at once if
     * U is already done. */
    u = t->user;
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
