/* SPDX-License-Identifier: MIT */
/*
 * weft/pool.h - the work-stealing pool and fork-join inside tasks.
 *
 * A pool owns N worker threads. Each has its own Chase-Lev deque; threads
 * outside the pool submit through per-thread lanes of ck_ring (together the
 * pool's MPMC injection queue). Idle workers spin briefly, then park on a
 * futex; by default one of them keeps spinning while recent idle gaps were
 * short (enum weft_idle_policy): a pool idle for 10 ms uses no CPU.
 *
 * Thread safety: every function may run concurrently on the same pool from
 * any threads, except weft_pool_destroy() (sole use, once) and the
 * per-function limits below (shutdown/destroy not from the pool's own
 * workers; weft_spawn()/weft_sync() only on the spawning worker).
 */
#ifndef WEFT_POOL_H
#define WEFT_POOL_H

#include <stddef.h>
#include <stdint.h>

#include <weft/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_pool weft_pool_t;

/* A task: 0 on success with *result set, or a negative error code (its
 * "exception"). *result is NULL on entry. */
typedef int (*weft_fn)(void *arg, void **result);

/* Scheduling policies (for experiments; the defaults are the zeros). */
enum weft_victim_policy {
    WEFT_VICTIM_RANDOM = 0,      /* a uniformly random other worker */
    WEFT_VICTIM_ROUND_ROBIN = 1, /* the next worker after the last tried */
    WEFT_VICTIM_LAST_SUCCESS = 2 /* the last victim that had work, first */
};
enum weft_steal_policy {
    WEFT_STEAL_ONE = 0, /* take the oldest job */
    WEFT_STEAL_HALF = 1 /* take up to half of the victim's jobs */
};
enum weft_order_policy {
    WEFT_ORDER_LIFO = 0, /* a worker runs its newest job first */
    WEFT_ORDER_FIFO = 1  /* a worker runs its oldest job first */
};

/*
 * What an idle worker does once its `spin` idle rounds found nothing
 * (opts.idle). At most one worker per pool spins; the others sleep on a
 * futex at once. A spinning worker watches only its own wake-up word (it
 * does not poll the queues), pauses, and calls sched_yield() every ~50 us
 * so that an oversubscribed machine still runs the submitter; a worker kept
 * off the CPU for over 100 us (in a yield or while spinning) parks at once.
 *
 * The trade-off: waking a sleeping worker costs a futex wake plus a
 * context switch (~5 us on a 2-core VM, tens of us under load); a spinning
 * worker starts a submitted task in well under a microsecond, at the price
 * of up to one core of CPU while it spins.
 */
enum weft_idle_policy {
    /*
     * The default. The spin window is learned per pool: an EWMA of how long
     * idle gaps lasted (entering idle -> woken by new work). While gaps are
     * short, one worker spins for up to 2x the average gap, capped at
     * idle_spin_ns (default WEFT_IDLE_SPIN_DEFAULT_NS, 2 ms); when they
     * average more than the cap it sleeps at once. Cost: a pool fed one
     * task per ms keeps one core busy; an idle pool stops spinning within
     * the cap (no CPU once idle for 10 ms).
     */
    WEFT_IDLE_ADAPTIVE = 0,
    /* Sleep at once: no CPU while idle, a futex wake-up per task. */
    WEFT_IDLE_PARK = 1,
    /* One worker always spins idle_spin_ns (0: the default) before it
     * sleeps, whatever the gaps: up to that much CPU per idle period. */
    WEFT_IDLE_SPIN = 2
};

/* The default cap of the spin window (opts.idle_spin_ns = 0). */
#define WEFT_IDLE_SPIN_DEFAULT_NS 2000000u
/* The largest idle_spin_ns accepted (larger: -EINVAL). */
#define WEFT_IDLE_SPIN_MAX_NS     100000000u

/*
 * A victim chooser for experiments: return the index of the worker to
 * steal from on this attempt (attempt counts from 0 within one search), or
 * a value >= nworkers to stop searching. Called on the thief's thread; must
 * not block. Overrides `victim` when set.
 */
typedef unsigned (*weft_victim_fn)(void *ctx, unsigned self, unsigned nworkers,
                                   unsigned attempt);

/*
 * Pool options. Always start from WEFT_POOL_OPTS_INIT: size records which
 * fields the caller knows, so fields can be added later without breaking
 * callers (ck's options_size). A zero field means "the default".
 */
struct weft_pool_opts {
    size_t size;      /* sizeof(struct weft_pool_opts) */
    unsigned workers; /* 0: the CPUs available to the process */
    unsigned spin;    /* idle rounds before parking; 0: default (64) */
    const char *name; /* worker thread names "weft-<name>-<n>"; NULL: "pool" */
    /* Scheduling policies (the enums above). */
    unsigned victim;
    unsigned steal;
    unsigned order;
    unsigned spin_yield;      /* nonzero: sched_yield() on every idle round */
    uint64_t park_timeout_ns; /* 0: parked until woken; else look again */
    weft_victim_fn victim_fn; /* NULL: use `victim` */
    void *victim_ctx;
    /* Idle strategy after the `spin` rounds (enum weft_idle_policy). */
    unsigned idle;
    /* WEFT_IDLE_ADAPTIVE: the spin window's cap; WEFT_IDLE_SPIN: the
     * window; 0: WEFT_IDLE_SPIN_DEFAULT_NS; at most WEFT_IDLE_SPIN_MAX_NS. */
    uint64_t idle_spin_ns;
};
#define WEFT_POOL_OPTS_INIT                                                   \
    {                                                                         \
        sizeof(struct weft_pool_opts), 0, 0, NULL, 0, 0, 0, 0, 0, NULL, NULL, \
            0, 0                                                              \
    }

/* The most workers one pool may have. */
#define WEFT_POOL_MAX_WORKERS 1024u

/*
 * weft_pool_create() - start a pool. opts may be NULL (all defaults).
 * Return: 0; -EINVAL (NULL out, opts->size too small, workers above
 * WEFT_POOL_MAX_WORKERS, an unknown policy value, idle_spin_ns above
 * WEFT_IDLE_SPIN_MAX_NS); -ENOMEM; -EAGAIN
 * (threads could not be created).
 * Ownership: on 0, *out must be passed to weft_pool_destroy() once. opts
 * and opts->name are copied; opts->victim_ctx is borrowed for the pool's
 * life.
 * Context: any thread.
 */
WEFT_API int weft_pool_create(const struct weft_pool_opts *opts,
                              weft_pool_t **out);

/*
 * weft_pool_destroy() - weft_pool_shutdown(pool, WEFT_SHUTDOWN_DRAIN,
 * WEFT_DEADLINE_NEVER) unless already shut down, then free the pool.
 * Futures of the pool stay valid (they are reference counted) and are all
 * complete when this returns.
 * Return: 0; -EINVAL (NULL); -EDEADLK when called from one of the pool's own
 * workers, or from a done callback or timer that the pool's own shutdown
 * completes on the calling thread (the pool is left untouched). Timers still
 * armed on the pool (weft/timer.h) complete as cancelled during its shutdown.
 * Context: any thread but the pool's own workers; one call per pool.
 */
WEFT_API int weft_pool_destroy(weft_pool_t *pool);

/* How weft_pool_shutdown() treats work that has not started. */
#define WEFT_SHUTDOWN_DRAIN          0x1u /* run everything queued (default) */
#define WEFT_SHUTDOWN_CANCEL_PENDING 0x2u /* cancel futures not yet started */

/*
 * weft_pool_shutdown() - stop accepting outside submissions (they return
 * -ESHUTDOWN from then on), finish or cancel what is queued, and join the
 * workers. With WEFT_SHUTDOWN_CANCEL_PENDING, every future that has not
 * started completes as cancelled (its waiters, callbacks and waitsets see
 * -ECANCELED); tasks already running finish, and a future a running task
 * waits on is still run for it. Fork-join records are always run (their
 * spawner syncs them). Tasks running during shutdown may still submit to
 * their own pool (the work lands on their worker's deque and is drained or
 * cancelled like the rest); outside threads get -ESHUTDOWN.
 * Return: 0 once every worker has exited (also on a second call);
 * -ETIMEDOUT if they had not by the deadline (the shutdown goes on: call
 * again, or weft_pool_destroy() which waits); -EINVAL (NULL pool, unknown
 * flags, both modes); -EDEADLK from one of the pool's own workers, or
 * from a done callback or timer that this shutdown of the pool completes on
 * the calling thread (cancelled futures' callbacks run on the caller).
 * Context: any thread but the pool's workers; concurrent calls serialise.
 * The pool must still be destroyed with weft_pool_destroy().
 */
WEFT_API int weft_pool_shutdown(weft_pool_t *pool, unsigned flags,
                                weft_deadline_t deadline);

/*
 * Fork. fork() from a process with running pools is safe: weft's
 * pthread_atfork handlers hold its global locks across the fork (no
 * deadlock on them in the child) and pause liburcu's call_rcu threads.
 * In the child:
 * - pools created before the fork have no workers. weft_pool_submit(),
 *   weft_pool_run(), weft_parallel_for(), weft_pool_submit_after()/every()
 *   on them return -ESHUTDOWN; weft_pool_shutdown() returns 0 at once and
 *   weft_pool_destroy() frees the pool without joining anything (call it
 *   once, as usual); their armed timers complete as cancelled then.
 *   Futures of such pools that were not complete at the fork (queued or
 *   running tasks, a timer firing at that moment) may never complete in
 *   the child: do not wait on them without a deadline.
 * - new pools, timers, maps and counters work as in any process.
 * Not covered: a fork while another thread is inside liburcu's own
 * thread registration (a thread's first map call or a worker starting).
 */

/*
 * weft_pool_workers() - the pool's worker count.
 * Return: the number of workers; 0 for NULL. Context: any thread.
 */
WEFT_API unsigned weft_pool_workers(const weft_pool_t *pool);

/*
 * weft_pool_run() - run fn(arg) on the pool and wait for it: how a thread
 * outside the pool enters fork-join code (weft_spawn/weft_sync).
 * Return: fn's own return code, with *result set (result may be NULL);
 * -EINVAL (NULL pool or fn); -ENOMEM; -ESHUTDOWN; -ECANCELED (a
 * WEFT_SHUTDOWN_CANCEL_PENDING shutdown cancelled it before it ran).
 * Context: any thread; blocks until fn returned. Called from a worker of
 * the same pool, fn runs inline at once; from another pool's worker it
 * waits as weft_future_result() does.
 */
WEFT_API int weft_pool_run(weft_pool_t *pool, weft_fn fn, void *arg,
                           void **result);

/*
 * A fork-join task record, owned by the caller (usually on its stack): no
 * allocation on the spawn/sync path. Layout is private and not ABI-stable
 * before 1.0; treat it as opaque.
 */
typedef struct weft_task {
    uintptr_t weft_private[10];
} weft_task_t;

/*
 * weft_spawn() - make fn(arg) available to run in parallel; the caller must
 * later weft_sync() the same record, on the same worker.
 * Return: 0; -EINVAL (NULL task or fn); -EPERM when not called from a task
 * running on a weft worker (nothing is run).
 * Context: a task on a weft worker. Spawns and syncs nest like parentheses
 * usually do; syncing in another order is allowed, only slower.
 */
WEFT_API int weft_spawn(weft_task_t *task, weft_fn fn, void *arg);

/*
 * weft_sync() - wait for a spawned task: if nobody stole it, run it inline
 * now; if it was stolen, help with work the thief spawned under it until it
 * is done.
 * Return: the task's own return code, with *result set (result may be
 * NULL); -EINVAL (NULL task, or a record that was never spawned or is
 * already synced); -EPERM (called from another worker than the spawner,
 * or from a thread that is not a weft worker).
 * Ordering: every write the task made happens-before the return.
 * Context: the task that spawned it, on the same worker; may block while
 * a thief runs it (after helping as above).
 */
WEFT_API int weft_sync(weft_task_t *task, void **result);

/*
 * Inline fast path of weft_spawn()/weft_sync() (gcc and clang).
 *
 * With it, weft_spawn(t, fn, arg) and weft_sync(t, result) are macros
 * (getc-style) calling weft_spawn_inline()/weft_sync_inline(): they push
 * and pop the worker's deque in place and fall back to the exported
 * functions for anything unusual (trace on, a context set, a worker to
 * wake, a full deque, not on a worker, a stolen task). Same contract as
 * the functions; `(weft_spawn)(...)` and `&weft_spawn` still name the
 * exported functions. Define WEFT_NO_INLINE before including this header
 * to always call them. In the project's mutation builds (WEFT_MUTATE),
 * the inline copies of [D1] and [D2] carry mutants 4 and 5 (mutate.h).
 *
 * The structures below mirror private runtime records so the inline code
 * can reach them: layout is not ABI-stable before 1.0 (a program using
 * the inline path must be rebuilt with the library it runs on). Never
 * use them, or weft_worker_tls, directly.
 */
#if defined(__GNUC__) || defined(__clang__)
#    define WEFT_HAVE_INLINE_TASKS 1

struct weft_typed_slot; /* weft/typed.h */

/* weft_task_t as the runtime lays it out (task.c asserts it). */
struct weft_task_layout {
    void *exec;
    weft_fn fn;
    void *arg;
    void *result;
    void *owner;
    void *runner; /* atomic */
    int64_t base;
    void *ctx;
    int rc;
    uint32_t state; /* atomic */
};

/* The head of a worker: its deque's indices and the fast-path fields
 * (deque.h asserts the offsets). */
struct weft_worker_layout {
    int64_t top; /* atomic; thieves */
    unsigned char pad_top[120];
    int64_t bottom;   /* atomic; owner-written */
    uint64_t alert;   /* atomic; nonzero: take the exported functions */
    int64_t limit;    /* owner-only: push in place while bottom < limit */
    int64_t mask;     /* owner-only: the deque array's mask */
    void **slot;      /* owner-only: the deque array's slots (atomic) */
    void *exec;       /* the runner of task records */
    uint64_t spawned; /* atomic; owner-written: tasks spawned */
    /* The typed deque (weft/typed.h), all owner-only: */
    struct weft_typed_slot *tt_head;  /* the next free slot */
    struct weft_typed_slot *tt_split; /* slots below it are shared */
    struct weft_typed_slot *tt_lim;   /* spawn in place while head < lim */
};

/*
 * weft_worker_tls - the calling thread's worker head (a "not a worker"
 * record with alert set on other threads). Initial-exec TLS: one load, no
 * __tls_get_addr.
 * Return: (a variable) never NULL. Thread safety: thread-local; written
 * only by the runtime. Context: read only by the inline functions below.
 */
WEFT_API extern __thread struct weft_worker_layout *weft_worker_tls
    __attribute__((tls_model("initial-exec")));

/*
 * weft_task_sync_popped() - the inline weft_sync()'s way out when the job
 * it popped is not `task`: behaves as weft_sync() from there.
 * Return: as weft_sync(). Thread safety: as weft_sync().
 * Context: only from weft_sync_inline(); job is what it popped.
 */
WEFT_API int weft_task_sync_popped(weft_task_t *task, void *job, void **result);

/*
 * weft_task_after_inline() - after a task run inline by weft_sync_inline()
 * when the worker's alert word was set meanwhile: restores the thread's
 * context if the task changed it (weft/context.h).
 * Return: nothing. Thread safety: the calling worker only.
 * Context: only from weft_sync_inline().
 */
WEFT_API void weft_task_after_inline(void);

/*
 * weft_mutation_selected() - the mutant a WEFT_MUTATE=select build runs
 * (tests/mutation.sh); exported only by such builds. WEFT_INLINE_MUTANT(n)
 * is runtime/mutate.h's WEFT_MUTANT(n) for the inline code.
 * Return: its number, 0 for none. Thread safety: any thread.
 */
#    if defined(WEFT_MUTATE) && WEFT_MUTATE < 0
WEFT_API int weft_mutation_selected(void);
#        define WEFT_INLINE_MUTANT(n) (weft_mutation_selected() == (n))
#    elif defined(WEFT_MUTATE) && WEFT_MUTATE > 0
#        define WEFT_INLINE_MUTANT(n) (WEFT_MUTATE == (n))
#    else
#        define WEFT_INLINE_MUTANT(n) 0
#    endif

#    if defined(__SANITIZE_THREAD__)
#        define WEFT_INLINE_TSAN 1
#    elif defined(__has_feature)
#        if __has_feature(thread_sanitizer)
#            define WEFT_INLINE_TSAN 1
#        endif
#    endif

/*
 * weft_spawn_inline() - weft_spawn() with the push done in place.
 * Return: as weft_spawn(). Thread safety: as weft_spawn().
 * Context: as weft_spawn().
 */
static inline int
weft_spawn_inline(weft_task_t *task, weft_fn fn, void *arg)
{
    struct weft_worker_layout *w = weft_worker_tls;
    struct weft_task_layout *t = (struct weft_task_layout *)(void *)task;
    int64_t b;

    if (w == (void *)0) /* never: the "not a worker" record at worst */
        __builtin_unreachable();
    /* relaxed: alert is a hint set by others (trace, idle workers) and by
     * the owner (context); the exported function re-checks everything. */
    if (__builtin_expect(task == NULL || fn == NULL ||
                             __atomic_load_n(&w->alert, __ATOMIC_RELAXED),
                         0))
        return (weft_spawn)(task, fn, arg);
    /* relaxed: only the owner writes bottom. */
    b = __atomic_load_n(&w->bottom, __ATOMIC_RELAXED);
    if (__builtin_expect(b >= w->limit, 0)) /* maybe full: re-read top */
        return (weft_spawn)(task, fn, arg);
    t->exec = w->exec;
    t->fn = fn;
    t->arg = arg;
    t->owner = w;
    t->ctx = (void *)0;
    /* relaxed: [T1] the release store of bottom publishes the record. */
    __atomic_store_n(&t->runner, (void *)0, __ATOMIC_RELAXED);
    __atomic_store_n(&t->state, 1u, __ATOMIC_RELAXED);
#    if (!defined(WEFT_STATS) || WEFT_STATS) && defined(__x86_64__) && \
        !defined(WEFT_INLINE_TSAN)
    /* relaxed load + relaxed store in one instruction: the owner is the
     * only writer, and an aligned 8-byte add's store is single-copy
     * atomic on x86-64, so readers (relaxed loads in stats.c) see the old
     * or the new count, as with the portable form below. Not a locked
     * RMW: none is needed with one writer. */
    __asm__ volatile("addq $1, %0" : "+m"(w->spawned));
#    elif !defined(WEFT_STATS) || WEFT_STATS
    /* relaxed (both): one writer; readers only need untorn values. */
    __atomic_store_n(&w->spawned,
                     __atomic_load_n(&w->spawned, __ATOMIC_RELAXED) + 1,
                     __ATOMIC_RELAXED);
#    endif
    /* relaxed: published by the release store of bottom below. */
    __atomic_store_n(&w->slot[b & w->mask], (void *)t, __ATOMIC_RELAXED);
    if (WEFT_INLINE_MUTANT(4))
        /* MUTANT 4: [D1] weakened, as mutant 1 in deque.h. */
        __atomic_store_n(&w->bottom, b + 1, __ATOMIC_RELAXED);
    else
        /* [D1] release: the slot and the record before bottom; pairs with
         * the acquire load of bottom in steal [D3] (deque.h). */
        __atomic_store_n(&w->bottom, b + 1, __ATOMIC_RELEASE);
    return 0;
}

/*
 * weft_sync_inline() - weft_sync() with the pop done in place: when the
 * newest job is `task`, it runs here.
 * Return: as weft_sync(). Thread safety: as weft_sync().
 * Context: as weft_sync().
 */
static inline int
weft_sync_inline(weft_task_t *task, void **result)
{
    struct weft_worker_layout *w = weft_worker_tls;
    struct weft_task_layout *t = (struct weft_task_layout *)(void *)task;
    void *res = (void *)0;
    void *job;
    int64_t b, top;
    int rc;

    if (w == (void *)0) /* never (and tells -Wnull-dereference so) */
        __builtin_unreachable();
    /* relaxed: see weft_spawn_inline(). A record captured with a context
     * is run by the exported function (it switches to it). */
    if (__builtin_expect(task == NULL || t->owner != (void *)w ||
                             t->ctx != (void *)0 ||
                             __atomic_load_n(&w->alert, __ATOMIC_RELAXED),
                         0))
        return (weft_sync)(task, result);
    /* relaxed: only the owner writes bottom. */
    b = __atomic_load_n(&w->bottom, __ATOMIC_RELAXED) - 1;
#    ifdef WEFT_INLINE_TSAN
    /* [D2] as deque.h under TSan: seq_cst accesses instead of the fence. */
    __atomic_store_n(&w->bottom, b, __ATOMIC_SEQ_CST);
    top = __atomic_load_n(&w->top, __ATOMIC_SEQ_CST);
#    else
    /* [D2] relaxed store of bottom, SC fence, relaxed load of top: bottom
     * is visible before top is read; pairs with [D3] (deque.h). */
    __atomic_store_n(&w->bottom, b, __ATOMIC_RELAXED);
    if (!WEFT_INLINE_MUTANT(5)) /* MUTANT 5: the fence dropped */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    top = __atomic_load_n(&w->top, __ATOMIC_RELAXED);
#    endif
    if (__builtin_expect(top >= b, 0)) {
        /* One job or none: undo (relaxed: owner-only, as pop's empty case)
         * and let the exported function pop with the [D4] CAS. */
        __atomic_store_n(&w->bottom, b + 1, __ATOMIC_RELAXED);
        return (weft_sync)(task, result);
    }
    /* relaxed: more than one job left, no thief can reach slot b. */
    job = __atomic_load_n(&w->slot[b & w->mask], __ATOMIC_RELAXED);
    if (__builtin_expect(job != (void *)t, 0))
        return weft_task_sync_popped(task, job, result);
    t->owner = (void *)0;
    rc = t->fn(t->arg, &res);
    /* relaxed: the owner's own context bit, or a hint. */
    if (__builtin_expect(__atomic_load_n(&w->alert, __ATOMIC_RELAXED), 0))
        weft_task_after_inline();
    if (result != (void **)0)
        *result = res;
    return rc;
}

#    if !defined(WEFT_NO_INLINE) && !defined(WEFT_BUILDING)
#        define weft_spawn(task, fn, arg) weft_spawn_inline(task, fn, arg)
#        define weft_sync(task, result)   weft_sync_inline(task, result)
#    endif
#endif /* __GNUC__ || __clang__ */

/* A body for weft_parallel_for(): work on [begin, end); 0 or -errno. */
typedef int (*weft_range_fn)(void *ctx, size_t begin, size_t end);

/*
 * weft_parallel_for() - call fn on pieces covering [begin, end), splitting
 * lazily: a range is split in two only while the worker's own deque is
 * empty (others may be hungry), never below grain items. grain 0 picks one
 * from the range and the number of workers.
 * Return: 0, or the first nonzero code a piece returned (the other pieces
 * still run); -EINVAL (NULL pool or fn, begin > end); -ENOMEM and
 * -ESHUTDOWN as weft_pool_run() (nothing run).
 * Context: any thread; from a worker of the same pool it runs in place.
 */
WEFT_API int weft_parallel_for(weft_pool_t *pool, size_t begin, size_t end,
                               size_t grain, weft_range_fn fn, void *ctx);

/*
 * weft_pool_current() - the pool whose worker runs the caller.
 * weft_worker_index() - that worker's index.
 * Return: the pool (not a new reference), NULL outside workers; the
 * index in [0, workers), -1 outside workers. Context: any thread.
 */
WEFT_API weft_pool_t *weft_pool_current(void);
WEFT_API int weft_worker_index(void);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_POOL_H */
