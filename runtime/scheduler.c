/* SPDX-License-Identifier: MIT */
/*
 * scheduler.c - pool lifecycle, the worker loop and stealing.
 *
 * Where a worker looks for work, in order: its own deque (LIFO), its own
 * ring in every outside thread's lane (FIFO), then random victims' deques
 * (oldest first) and the other rings of the lanes. After `spin` empty
 * rounds it parks (park.c), where one worker per pool may spin first.
 *
 * Shutdown protocol (weft_pool_shutdown):
 * [S1] state = CLOSED (seq_cst): outside submissions now fail; lane.c waits
 *      for submissions already past their check ([L1] there).
 * [S2] state = EXIT, then every parked worker is woken. A worker leaves
 *      only when it finds no work anywhere, so everything queued runs; work
 *      that running tasks spawn lands on their own deques, which their
 *      owners drain before leaving.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <weft/pool.h>
#include <weft/typed.h>

#include "asym.h"
#include "context.h"
#include "futex.h"
#include "rcu.h"
#include "syncwait.h"
#include "worker.h"

__thread struct weft__worker *weft__self
    __attribute__((tls_model("initial-exec")));

/* What weft_worker_tls points to off the workers: alert set, so the inline
 * spawn/sync (weft/pool.h) always call the exported functions. */
static struct weft_typed_slot not_a_worker_slot[1];
static struct weft_worker_layout not_a_worker = {
    .alert = WEFT_ALERT_NOT_WORKER,
    .tt_head = &not_a_worker_slot[1], /* a sync reads slot [0]: alert */
    .tt_split = &not_a_worker_slot[1]};

/* The inline spawn/sync's view of weft__self (&self->dq, or the above). */
WEFT_API __thread struct weft_worker_layout *weft_worker_tls
    __attribute__((tls_model("initial-exec"))) = &not_a_worker;

static void
set_self(struct weft__worker *w)
{
    weft__self = w;
    weft_worker_tls =
        w ? (struct weft_worker_layout *)(void *)&w->dq : &not_a_worker;
}

void
weft__ctx_note(void)
{
    struct weft__worker *self = weft__self;
    bool on = weft__ctx_cur != NULL || weft__ctx_owned;
    uint64_t a;

    if (self == NULL)
        return;
    /* relaxed: the CTX bit is written only by this thread, so this load
     * sees its current value; the other bits are left to the RMWs. */
    a = atomic_load_explicit(&self->dq.alert, memory_order_relaxed);
    if (on && !(a & WEFT_ALERT_CTX))
        atomic_fetch_or_explicit(&self->dq.alert, WEFT_ALERT_CTX,
                                 memory_order_relaxed);
    else if (!on && (a & WEFT_ALERT_CTX))
        atomic_fetch_and_explicit(&self->dq.alert, ~(uint64_t)WEFT_ALERT_CTX,
                                  memory_order_relaxed);
}

void
weft__alert_idle(struct weft_pool *pool)
{
    /* [A1] the caller's nidle increment before the bits; pairs with the
     * seq_cst operations of [A2]. */
    WEFT_FENCE_SC();
    for (unsigned i = 0; i < pool->nworkers; i++)
        /* [A1] seq_cst: in S after an [A2] clear whose nidle load missed
         * our increment. */
        atomic_fetch_or_explicit(&pool->workers[i].dq.alert, WEFT_ALERT_WAKE,
                                 memory_order_seq_cst);
}

void
weft__alert_wake_check(struct weft__worker *self)
{
    struct weft_pool *pool = self->pool;

    /* relaxed: still idle workers; keep the bit (the push woke one). */
    if (atomic_load_explicit(&pool->nidle, memory_order_relaxed) != 0)
        return;
    /* [A2] seq_cst: clear, then re-read nidle; pairs with [A1]. */
    atomic_fetch_and_explicit(&self->dq.alert, ~(uint64_t)WEFT_ALERT_WAKE,
                              memory_order_seq_cst);
    if (atomic_load_explicit(&pool->nidle, memory_order_seq_cst) != 0)
        /* relaxed: our own bit back; the next spawn takes the slow path. */
        atomic_fetch_or_explicit(&self->dq.alert, WEFT_ALERT_WAKE,
                                 memory_order_relaxed);
}

static _Atomic uint64_t next_pool_id = 1;

/* Live pools, for fork(): guarded by pools_lock. */
static pthread_mutex_t pools_lock = PTHREAD_MUTEX_INITIALIZER;
static struct weft_pool *pools_head;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static int atfork_rc;

static inline uint64_t
rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

bool
weft__same_pool(const struct weft__worker *self, const struct weft__worker *w)
{
    const struct weft_pool *pool = self->pool;
    /* Address comparison only: w is never dereferenced here. */
    return (uintptr_t)w >= (uintptr_t)pool->workers &&
           (uintptr_t)w < (uintptr_t)(pool->workers + pool->nworkers);
}

/* Record one steal attempt's outcome. */
static void
count_attempt(struct weft__worker *self, enum weft__steal r)
{
    weft__stat_add(&self->stats, WEFT_ST_STEAL_ATTEMPTS, 1);
    if (r == WEFT_STEAL_EMPTY)
        weft__stat_add(&self->stats, WEFT_ST_STEAL_EMPTY, 1);
    else if (r == WEFT_STEAL_LOST)
        weft__stat_add(&self->stats, WEFT_ST_STEAL_LOST, 1);
}

bool
weft__help_under(struct weft__worker *self, struct weft__worker *runner,
                 int64_t base)
{
    struct weft__job *job;
    enum weft__steal r;

    if (runner == self || !weft__same_pool(self, runner))
        return false;
    r = weft__deque_steal(&runner->dq, base, &job);
    count_attempt(self, r);
    if (r != WEFT_STEAL_OK)
        return false;
    weft__stat_add(&self->stats, WEFT_ST_STEALS, 1);
    weft__stat_add(&self->stats, WEFT_ST_STOLEN, 1);
    weft__stat_add(&self->stats, WEFT_ST_HELPS, 1);
    weft__trace(&self->trace, WEFT_EV_STEAL, runner->id, 1);
    job->exec(job, self);
    return true;
}

/* The victim for this attempt, or nworkers to stop (a user chooser may). */
static unsigned
pick_victim(struct weft__worker *self, unsigned attempt)
{
    struct weft_pool *pool = self->pool;
    unsigned n = pool->nworkers, v;

    if (pool->victim_fn != NULL) {
        v = pool->victim_fn(pool->victim_ctx, self->id, n, attempt);
        return v < n ? v : n;
    }
    if (pool->victim == WEFT_VICTIM_ROUND_ROBIN) {
        v = (self->last_victim + 1) % n;
        if (v == self->id)
            v = (v + 1) % n;
        self->last_victim = v;
        return v;
    }
    if (pool->victim == WEFT_VICTIM_LAST_SUCCESS && attempt == 0 &&
        self->last_victim != self->id)
        return self->last_victim;
    v = (unsigned)(rng_next(&self->rng) % n);
    return v == self->id ? (v + 1) % n : v;
}

/* One job from victim v (plus, with WEFT_STEAL_HALF, up to half of what it
 * had, pushed onto our deque), or NULL. */
static struct weft__job *
steal_from(struct weft__worker *self, unsigned v)
{
    struct weft__worker *victim = &self->pool->workers[v];
    struct weft__job *job, *more;
    enum weft__steal r = weft__deque_steal(&victim->dq, 0, &job);
    uint64_t taken = 1;

    count_attempt(self, r);
    if (r != WEFT_STEAL_OK) {
        /* Then its typed deque: a typed slot is not a job; the caller
         * runs it (weft__find_and_run). */
        r = weft__typed_steal(victim, 0, &self->typed_got);
        if (r == WEFT_STEAL_OK) {
            weft__stat_add(&self->stats, WEFT_ST_STEALS, 1);
            weft__stat_add(&self->stats, WEFT_ST_STOLEN, 1);
            weft__trace(&self->trace, WEFT_EV_STEAL, v, 1);
            if (self->pool->victim == WEFT_VICTIM_LAST_SUCCESS)
                self->last_victim = v;
            self->typed_from = victim;
        }
        return NULL;
    }
    if (self->pool->steal == WEFT_STEAL_HALF) {
        /* relaxed: a size estimate; each steal validates itself. */
        int64_t left =
            atomic_load_explicit(&victim->dq.bottom, memory_order_relaxed) -
            atomic_load_explicit(&victim->dq.top, memory_order_relaxed);
        for (int64_t k = 0; k < left / 2; k++) {
            if (weft__deque_steal(&victim->dq, 0, &more) != WEFT_STEAL_OK)
                break;
            if (!weft__push_local(self, more))
                more->exec(more, self); /* our deque cannot grow */
            taken++;
        }
    }
    weft__stat_add(&self->stats, WEFT_ST_STEALS, 1);
    weft__stat_add(&self->stats, WEFT_ST_STOLEN, taken);
    weft__trace(&self->trace, WEFT_EV_STEAL, v, taken);
    if (self->pool->victim == WEFT_VICTIM_LAST_SUCCESS)
        self->last_victim = v;
    return job;
}

static struct weft__job *
steal_round(struct weft__worker *self)
{
    unsigned n = self->pool->nworkers;
    struct weft__job *job = NULL;

    if (n < 2)
        return NULL;
    self->typed_from = NULL;
    for (unsigned attempt = 0;
         attempt < n && job == NULL && self->typed_from == NULL; attempt++) {
        unsigned v = pick_victim(self, attempt);
        if (v >= n)
            break; /* the user's chooser says stop */
        if (v != self->id)
            job = steal_from(self, v);
    }
    return job;
}

/* Our own next job, in the pool's local order. */
static struct weft__job *
take_own(struct weft__worker *self)
{
    struct weft__job *job;

    if (weft_likely(self->pool->order == WEFT_ORDER_LIFO))
        return weft__deque_pop(&self->dq);
    /* FIFO: take our oldest, as a thief would (retry lost races). */
    for (;;) {
        enum weft__steal r = weft__deque_steal(&self->dq, 0, &job);
        if (r == WEFT_STEAL_OK)
            return job;
        if (r == WEFT_STEAL_EMPTY)
            return NULL;
    }
}

bool
weft__find_and_run(struct weft__worker *self)
{
    struct weft__job *job = take_own(self);
    uint64_t t0;

    if (job == NULL)
        job = weft__lane_take(self, false);
    if (job == NULL) {
        t0 = WEFT_STATS ? weft_now_ns() : 0;
        job = steal_round(self);
        if (job == NULL && self->typed_from == NULL)
            job = weft__lane_take(self, true);
        if (WEFT_STATS)
            weft__stat_add(&self->stats, WEFT_ST_NS_STEALING,
                           weft_now_ns() - t0);
        if (self->typed_from != NULL) {
            self->woke = false;
            weft__typed_run_stolen(self, self->typed_from, self->typed_got);
            self->typed_from = NULL;
            return true;
        }
    }
    if (job == NULL) {
        if (self->woke)
            weft__stat_add(&self->stats, WEFT_ST_WAKEUPS_NO_WORK, 1);
        self->woke = false;
        return false;
    }
    self->woke = false;
    job->exec(job, self);
    return true;
}

/* One idle round: back off before looking again. False if the worker was
 * kept off the CPU in a yield: the machine is oversubscribed, and a worker
 * that stays runnable would start the next task only when the scheduler
 * gets back to it, so it should park (and be woken) now. */
static bool
idle_round(struct weft_pool *pool, unsigned rounds)
{
    uint64_t t0;

    /* A worker polling a lane too often pulls the producer's cache line
     * away on every item: pause in between, yield now and then. */
    if (pool->spin_yield || rounds % 8 == 0) {
        t0 = weft_now_ns();
        sched_yield();
        return weft_now_ns() - t0 < 100000;
    }
    for (unsigned k = 0; k < 16; k++)
        WEFT_CPU_RELAX();
    return true;
}

static void *
worker_main(void *arg)
{
    struct weft__worker *self = (struct weft__worker *)arg;
    struct weft_pool *pool = self->pool;
    unsigned rounds = 0;
    uint64_t t0;
    char name[48];

    set_self(self);
    /* relaxed: read by stats.c as an untorn value only. */
    atomic_store_explicit(&self->stats.start_ns, weft_now_ns(),
                          memory_order_relaxed);
    weft__rcu_worker_enter();
    snprintf(name, sizeof(name), "weft-%s-%u", pool->name, self->id);
    name[15] = '\0'; /* the kernel keeps 15 characters */
    pthread_setname_np(pthread_self(), name);
    weft__thread_worker_enter(name);
    for (;;) {
        if (weft__find_and_run(self)) {
            /* Between two top-level tasks nothing is held: a quiescent
             * state for the maps' RCU (never inside a task). */
            weft__rcu_worker_quiescent();
            rounds = 0;
            continue;
        }
        /* acquire: pairs with the release store of EXIT [S2]. */
        if (atomic_load_explicit(&pool->state, memory_order_acquire) ==
                WEFT_POOL_EXIT &&
            !weft__work_visible(pool))
            break;
        t0 = WEFT_STATS ? weft_now_ns() : 0;
        if (++rounds >= pool->spin || !idle_round(pool, rounds)) {
            rounds = 0;
            weft__park(self);
        }
        if (WEFT_STATS)
            weft__stat_add(&self->stats, WEFT_ST_NS_IDLE, weft_now_ns() - t0);
    }
    /* relaxed: read by stats.c as an untorn value only. */
    atomic_store_explicit(&self->stats.end_ns, weft_now_ns(),
                          memory_order_relaxed);
    weft__rcu_worker_exit();
    weft__thread_worker_exit();
    set_self(NULL);
    /* release: this worker's last writes before shutdown sees it gone. */
    atomic_fetch_sub_explicit(&pool->live, 1, memory_order_release);
    weft__futex_wake(&pool->live, INT_MAX);
    return NULL;
}

static unsigned
cpus_available(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
        return (unsigned)CPU_COUNT(&set);
    return 1;
}

/* The first options struct had four fields; later fields are read only
 * when opts->size says the caller knows them. */
#define OPTS_V1_SIZE \
    (offsetof(struct weft_pool_opts, name) + sizeof(const char *))

static int
read_opts(const struct weft_pool_opts *opts, struct weft_pool_opts *o)
{
    const struct weft_pool_opts dflt = WEFT_POOL_OPTS_INIT;

    *o = dflt;
    if (opts != NULL) {
        if (opts->size < OPTS_V1_SIZE)
            return -EINVAL;
        memcpy(o, opts, opts->size < sizeof(*o) ? opts->size : sizeof(*o));
    }
    if (o->workers == 0)
        o->workers = cpus_available();
    if (o->workers > WEFT_POOL_MAX_WORKERS ||
        o->victim > WEFT_VICTIM_LAST_SUCCESS || o->steal > WEFT_STEAL_HALF ||
        o->order > WEFT_ORDER_FIFO || o->idle > WEFT_IDLE_SPIN ||
        o->idle_spin_ns > WEFT_IDLE_SPIN_MAX_NS)
        return -EINVAL;
    return 0;
}

static void
pool_free(struct weft_pool *pool, unsigned ndeques)
{
    weft__trace_free(pool);
    pthread_mutex_destroy(&pool->shutdown_lock);
    for (unsigned i = 0; i < ndeques; i++) {
        weft__deque_fini(&pool->workers[i].dq);
        weft__typed_fini(&pool->workers[i]);
    }
    weft__lanes_fini(pool);
    pthread_mutex_destroy(&pool->lane_lock);
    weft__free(pool->workers);
    weft__free(pool);
}

/* Stop and join the first `started` workers (creation failure, destroy). */
static void
pool_stop(struct weft_pool *pool, unsigned started)
{
    /* [S2] release: pairs with the acquire loads in worker_main/park. */
    atomic_store_explicit(&pool->state, WEFT_POOL_EXIT, memory_order_seq_cst);
    weft__wake_all(pool);
    for (unsigned i = 0; i < started; i++)
        pthread_join(pool->workers[i].thread, NULL);
}

/*
 * fork() (pool.h): the handlers take weft's global locks so that no other
 * thread holds one at the fork; the child marks every pool it inherited
 * as forked (no workers; closed to submissions) and re-initialises their
 * locks, whose holders may not have been copied.
 */
static void
fork_prepare(void)
{
    /* First: a call_rcu callback may take the locks below before pausing. */
    weft__rcu_fork_prepare();
    pthread_mutex_lock(&pools_lock);
    weft__timers_fork_prepare();
    weft__thread_fork(WEFT__FORK_PREPARE);
    weft__counter_fork(WEFT__FORK_PREPARE);
}

static void
fork_parent(void)
{
    weft__counter_fork(WEFT__FORK_PARENT);
    weft__thread_fork(WEFT__FORK_PARENT);
    weft__timers_fork_parent();
    pthread_mutex_unlock(&pools_lock);
    weft__rcu_fork_parent();
}

static void
fork_child(void)
{
    set_self(NULL); /* a worker that forked is a plain thread here */
    weft__counter_fork(WEFT__FORK_CHILD);
    weft__thread_fork(WEFT__FORK_CHILD);
    weft__timers_fork_child();
    for (struct weft_pool *p = pools_head; p != NULL; p = p->fork_next) {
        p->forked = true;
        /* relaxed: this is the only thread of the process. */
        atomic_store_explicit(&p->state, WEFT_POOL_EXIT, memory_order_relaxed);
        pthread_mutex_init(&p->shutdown_lock, NULL);
        pthread_mutex_init(&p->lane_lock, NULL);
    }
    pthread_mutex_unlock(&pools_lock);
    weft__rcu_fork_child();
}

static void
atfork_init(void)
{
    atfork_rc = pthread_atfork(fork_prepare, fork_parent, fork_child) == 0
                    ? 0
                    : -ENOMEM;
}

static void
pools_add(struct weft_pool *pool)
{
    pthread_mutex_lock(&pools_lock);
    pool->fork_prev = NULL;
    pool->fork_next = pools_head;
    if (pools_head != NULL)
        pools_head->fork_prev = pool;
    pools_head = pool;
    pthread_mutex_unlock(&pools_lock);
}

static void
pools_remove(struct weft_pool *pool)
{
    pthread_mutex_lock(&pools_lock);
    if (pool->fork_prev != NULL)
        pool->fork_prev->fork_next = pool->fork_next;
    else
        pools_head = pool->fork_next;
    if (pool->fork_next != NULL)
        pool->fork_next->fork_prev = pool->fork_prev;
    pthread_mutex_unlock(&pools_lock);
}

WEFT_API int
weft_pool_create(const struct weft_pool_opts *opts, weft_pool_t **out)
{
    struct weft_pool_opts o;
    struct weft_pool *pool;
    unsigned i;
    int rc;

    if (out == NULL)
        return -EINVAL;
    *out = NULL;
    weft__asym_init();
    pthread_once(&atfork_once, atfork_init);
    if (atfork_rc != 0)
        return atfork_rc;
    rc = read_opts(opts, &o);
    if (rc != 0)
        return rc;
    pool =
        (struct weft_pool *)weft__aligned_alloc(WEFT_PAD_ALIGN, sizeof(*pool));
    if (pool == NULL)
        return -ENOMEM;
    memset(pool, 0, sizeof(*pool));
    pool->id = atomic_fetch_add_explicit(&next_pool_id, 1,
                                         memory_order_relaxed); /* unique */
    pool->nworkers = o.workers;
    pool->spin = o.spin ? o.spin : 64;
    pool->victim = o.victim;
    pool->steal = o.steal;
    pool->order = o.order;
    pool->spin_yield = o.spin_yield != 0;
    pool->park_timeout_ns = o.park_timeout_ns;
    pool->idle_policy = o.idle;
    pool->idle_spin_ns =
        o.idle_spin_ns ? o.idle_spin_ns : WEFT_IDLE_SPIN_DEFAULT_NS;
    pool->victim_fn = o.victim_fn;
    pool->victim_ctx = o.victim_ctx;
    snprintf(pool->name, sizeof(pool->name), "%s", o.name ? o.name : "pool");
    pthread_mutex_init(&pool->lane_lock, NULL);
    pthread_mutex_init(&pool->shutdown_lock, NULL);
    pool->workers = (struct weft__worker *)weft__aligned_alloc(
        WEFT_PAD_ALIGN, sizeof(struct weft__worker) * o.workers);
    if (pool->workers == NULL) {
        pthread_mutex_destroy(&pool->shutdown_lock);
        pthread_mutex_destroy(&pool->lane_lock);
        weft__free(pool);
        return -ENOMEM;
    }
    memset(pool->workers, 0, sizeof(struct weft__worker) * o.workers);
    rc = weft__lanes_init(pool);
    for (i = 0; rc == 0 && i < o.workers; i++) {
        struct weft__worker *w = &pool->workers[i];
        w->pool = pool;
        w->id = i;
        w->rng = 0x9e3779b97f4a7c15ull * (i + 1) ^ pool->id;
        w->lane_start = i;
        rc = weft__deque_init(&w->dq, 10);
        if (rc == 0)
            rc = weft__typed_init(w);
        w->dq.exec = weft__task_exec; /* for the inline spawn */
    }
    if (rc != 0) {
        /* Workers [0, i) were touched: the last one failed in its deque
         * (nothing held) or in its typed deque (its deque held). The fini
         * functions skip what the memset left zero, so free all i. */
        pool_free(pool, i);
        return rc;
    }
    /* relaxed: published to the workers by pthread_create. */
    atomic_store_explicit(&pool->live, o.workers, memory_order_relaxed);
    atomic_store_explicit(&pool->refs, 1, memory_order_relaxed); /* owner */
    for (i = 0; i < o.workers; i++) {
        if (pthread_create(&pool->workers[i].thread, NULL, worker_main,
                           &pool->workers[i]) != 0) {
            pool_stop(pool, i);
            pool_free(pool, o.workers);
            return -EAGAIN;
        }
    }
    weft__trace_from_env(pool);
    pools_add(pool);
    *out = pool;
    return 0;
}

void
weft__pool_timer_hold(struct weft_pool *pool)
{
    /* relaxed: the holder already uses the pool, which is alive. */
    atomic_fetch_add_explicit(&pool->refs, 1, memory_order_relaxed);
}

/* acq_rel: every holder's use of the pool happens-before the free. */
static void
pool_unref(struct weft_pool *pool)
{
    if (atomic_fetch_sub_explicit(&pool->refs, 1, memory_order_acq_rel) == 1)
        pool_free(pool, pool->nworkers);
}

void
weft__pool_timer_drop(struct weft_pool *pool)
{
    pool_unref(pool);
}

/* The pool whose shutdown this thread is in (its lock held): a done
 * callback or timer that shutdown completes on this thread and that shuts
 * the same pool down gets -EDEADLK instead of a self-deadlock. */
static __thread weft_pool_t *shutting_down;

WEFT_API int
weft_pool_shutdown(weft_pool_t *pool, unsigned flags, weft_deadline_t deadline)
{
    const unsigned known = WEFT_SHUTDOWN_DRAIN | WEFT_SHUTDOWN_CANCEL_PENDING;
    weft_pool_t *outer;
    uint32_t live;
    int rc = 0;

    if (pool == NULL || (flags & ~known) != 0 || flags == known)
        return -EINVAL;
    if ((weft__self != NULL && weft__self->pool == pool) ||
        shutting_down == pool)
        return -EDEADLK;
    pthread_mutex_lock(&pool->shutdown_lock);
    outer = shutting_down;
    shutting_down = pool;
    if (pool->joined)
        goto out;
    if (pool->forked) { /* no workers to stop (fork_child) */
        weft__timers_pool_closing(pool);
        pool->joined = true;
        goto out;
    }
    if (flags & WEFT_SHUTDOWN_CANCEL_PENDING)
        /* relaxed: read by future_exec as a hint; [S2] publishes it. */
        atomic_store_explicit(&pool->cancelling, 1, memory_order_relaxed);
    /* [S1] seq_cst; the heavy fence in weft__lanes_quiesce() pairs it
     * with [L1] in lane.c. */
    atomic_store_explicit(&pool->state, WEFT_POOL_CLOSED, memory_order_seq_cst);
    weft__lanes_quiesce(pool);
    if (flags & WEFT_SHUTDOWN_CANCEL_PENDING)
        weft__lanes_cancel_all(pool); /* now, even if every worker is busy */
    weft__timers_pool_closing(pool);  /* its timers end as cancelled */
    /* [S2] seq_cst: pairs with [P1] via the idle bits in wake_all. */
    atomic_store_explicit(&pool->state, WEFT_POOL_EXIT, memory_order_seq_cst);
    weft__wake_all(pool);
    /* acquire: pairs with each worker's release on exit. */
    while ((live = atomic_load_explicit(&pool->live, memory_order_acquire)) !=
           0) {
        if (weft__futex_wait(&pool->live, live, deadline) == -ETIMEDOUT &&
            atomic_load_explicit(&pool->live, memory_order_acquire) != 0) {
            rc = -ETIMEDOUT;
            goto out;
        }
    }
    for (unsigned i = 0; i < pool->nworkers; i++)
        pthread_join(pool->workers[i].thread, NULL);
    pool->joined = true;
out:
    shutting_down = outer;
    pthread_mutex_unlock(&pool->shutdown_lock);
    return rc;
}

WEFT_API int
weft_pool_destroy(weft_pool_t *pool)
{
    int rc;

    if (pool == NULL)
        return -EINVAL;
    rc = weft_pool_shutdown(pool, WEFT_SHUTDOWN_DRAIN, WEFT_DEADLINE_NEVER);
    if (rc != 0)
        return rc; /* -EDEADLK: from one of its own workers */
    pools_remove(pool);
    pool_unref(pool); /* freed now, or by the last timer still holding it */
    return 0;
}

void
weft__worker_blocking(bool entering)
{
    struct weft__worker *self = weft__self;

    if (self == NULL)
        return;
    if (!entering) {
        weft__rcu_worker_online();
        return;
    }
    /* Asleep, a worker must not hold up RCU grace periods (rcu.h). */
    weft__rcu_worker_offline();
    /* Work on our deques would wait for us: let an idle worker steal it. */
    weft__typed_publish_all(self);
    if (weft__deque_maybe_nonempty(&self->dq) || weft__typed_maybe_shared(self))
        weft__wake_one(self->pool);
}

WEFT_API unsigned
weft_pool_workers(const weft_pool_t *pool)
{
    return pool ? pool->nworkers : 0;
}

WEFT_API weft_pool_t *
weft_pool_current(void)
{
    return weft__self ? weft__self->pool : NULL;
}

WEFT_API int
weft_worker_index(void)
{
    return weft__self ? (int)weft__self->id : -1;
}
