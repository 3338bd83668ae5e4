/* SPDX-License-Identifier: MIT */
/*
 * lane.c - submissions from threads outside the pool: the MPMC injection
 * queue, built from ck_ring lanes so that items stream instead of bouncing
 * one shared cache line per item.
 *
 * Each outside thread that submits to a pool claims a lane: one ck_ring per
 * worker, each single-producer (that thread) multi-consumer (its worker,
 * plus thieves when idle). The producer deals jobs to the rings in runs of
 * LANE_BATCH, so each worker starts its share in submission order. Threads
 * beyond WEFT_MAX_LANES share one MPMC ring. A lane is released when its
 * thread exits (or evicts it from its 4-entry cache) and reused by the next
 * thread; it is reference counted between the pool and the thread, so
 * either may go first.
 *
 * Concurrency protocol:
 * [L1] producer: busy += 1; asymmetric light fence; read state: refuse if
 *      not RUNNING. destroy: state = CLOSED; asymmetric heavy fence
 *      (asym.h); then wait until every lane's busy is 0. One of the two
 *      sees the other: no job is pushed after the workers were told to
 *      exit. Only the owning thread writes a lane's busy (a plain relaxed
 *      store); the shared lane has many producers and uses an RMW.
 * [L2] busy -= 1 (release) after the push; acquire in weft__lanes_quiesce.
 * [W1] after the push: asymmetric light fence, then nidle (park.c [P1]).
 * [L3] a new lane is fully built before its pointer is release-stored into
 *      lanes[] and nlanes is release-incremented; workers acquire nlanes.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "asym.h"
#include "mutate.h"
#include "ring.h"
#include "worker.h"

#define LANE_BATCH 16u
#define LANE_SLOTS 4096u /* per lane, split between the workers' rings */
#define CACHE_WAYS 4
#define LANE_TAKE  16u /* jobs a worker takes from its ring at once */

struct weft__lane {
    _Alignas(WEFT_PAD_ALIGN) _Atomic uint32_t busy; /* [L1] */
    unsigned next;              /* producer-only: current ring */
    _Atomic uint64_t submitted; /* jobs pushed (one writer, or RMW) */
    unsigned dealt;             /* producer-only: jobs put in it in this run */
    _Alignas(WEFT_PAD_ALIGN) _Atomic uint32_t owned; /* claimed by a thread */
    _Atomic uint32_t refs; /* the pool's and the owning thread's */
    bool shared;           /* the MPMC overflow lane */
    unsigned nrings;
    struct weft__ring rings[];
};

struct lane_cache {
    uint64_t pool_id;
    struct weft__lane *lane;
};

static __thread struct lane_cache cache[CACHE_WAYS]
    __attribute__((tls_model("initial-exec")));
static __thread unsigned cache_victim
    __attribute__((tls_model("initial-exec")));
static pthread_key_t exit_key;
static pthread_once_t exit_once = PTHREAD_ONCE_INIT;

static unsigned
pow2_floor(unsigned x)
{
    unsigned p = 1;
    while (p * 2 <= x)
        p *= 2;
    return p;
}

static void
lane_unref(struct weft__lane *lane)
{
    /* acq_rel: the last owner sees every use of the lane before freeing. */
    if (atomic_fetch_sub_explicit(&lane->refs, 1, memory_order_acq_rel) != 1)
        return;
    for (unsigned i = 0; i < lane->nrings; i++)
        weft__ring_fini(&lane->rings[i]);
    weft__free(lane);
}

static struct weft__lane *
lane_new(unsigned nrings, unsigned slots, bool shared)
{
    struct weft__lane *lane = (struct weft__lane *)weft__aligned_alloc(
        WEFT_PAD_ALIGN, sizeof(*lane) + nrings * sizeof(struct weft__ring));
    unsigned i;

    if (lane == NULL)
        return NULL;
    memset(lane, 0, sizeof(*lane) + nrings * sizeof(struct weft__ring));
    lane->shared = shared;
    for (i = 0; i < nrings; i++) {
        if (weft__ring_init(&lane->rings[i], slots) != 0)
            break;
        lane->nrings = i + 1;
    }
    if (i < nrings) {
        for (unsigned j = 0; j < lane->nrings; j++)
            weft__ring_fini(&lane->rings[j]);
        weft__free(lane);
        return NULL;
    }
    /* relaxed: not shared yet; published by [L3] or pool creation. */
    atomic_store_explicit(&lane->refs, 1, memory_order_relaxed);
    return lane;
}

int
weft__lanes_init(struct weft_pool *pool)
{
    pool->shared_lane = lane_new(1, LANE_SLOTS, true);
    return pool->shared_lane ? 0 : -ENOMEM;
}

void
weft__lanes_fini(struct weft_pool *pool)
{
    /* relaxed: every worker has been joined; no producer is left. */
    uint32_t n = atomic_load_explicit(&pool->nlanes, memory_order_relaxed);

    for (uint32_t i = 0; i < n; i++)
        lane_unref(atomic_load_explicit(&pool->lanes[i], memory_order_relaxed));
    if (pool->shared_lane != NULL)
        lane_unref(pool->shared_lane);
}

static void
lane_release(struct weft__lane *lane)
{
    if (lane->shared)
        return; /* owned by the pool alone */
    WEFT_CHAOS_POINT();
    /* release: our pushes happen-before the next owner's (claim acquires). */
    atomic_store_explicit(&lane->owned, 0, memory_order_release);
    lane_unref(lane);
}

static void
thread_exit(void *unused)
{
    (void)unused;
    for (unsigned i = 0; i < CACHE_WAYS; i++) {
        if (cache[i].lane != NULL)
            lane_release(cache[i].lane);
        cache[i].lane = NULL;
        cache[i].pool_id = 0;
    }
}

static void
exit_key_init(void)
{
    pthread_key_create(&exit_key, thread_exit);
}

/* Slow path: claim a free lane of the pool or add one. */
static struct weft__lane *
lane_claim(struct weft_pool *pool)
{
    struct weft__lane *lane = NULL;
    uint32_t n;

    pthread_mutex_lock(&pool->lane_lock);
    /* relaxed: nlanes only changes under lane_lock. */
    n = atomic_load_explicit(&pool->nlanes, memory_order_relaxed);
    for (uint32_t i = 0; i < n && lane == NULL; i++) {
        struct weft__lane *l =
            atomic_load_explicit(&pool->lanes[i], memory_order_relaxed);
        uint32_t zero = 0;
        WEFT_CHAOS_POINT();
        /* acquire: pairs with the release in lane_release(). */
        if (atomic_compare_exchange_strong_explicit(&l->owned, &zero, 1,
                                                    memory_order_acquire,
                                                    memory_order_relaxed)) {
            /* relaxed: the lock and the CAS order it. */
            atomic_fetch_add_explicit(&l->refs, 1, memory_order_relaxed);
            lane = l;
        }
    }
    if (lane == NULL && n < WEFT_MAX_LANES) {
        unsigned slots = pow2_floor(LANE_SLOTS / pool->nworkers);
        lane = lane_new(pool->nworkers, slots < 64 ? 64 : slots, false);
        if (lane != NULL) {
            /* relaxed: not yet published. */
            atomic_store_explicit(&lane->owned, 1, memory_order_relaxed);
            atomic_store_explicit(&lane->refs, 2, memory_order_relaxed);
            /* [L3] release: the lane is built before it is reachable.
             * MUTANT 71: relaxed; a worker may scan a half-built lane. */
            if (WEFT_MUTANT(71)) {
                atomic_store_explicit(&pool->lanes[n], lane,
                                      memory_order_relaxed);
                atomic_store_explicit(&pool->nlanes, n + 1,
                                      memory_order_relaxed);
            } else {
                atomic_store_explicit(&pool->lanes[n], lane,
                                      memory_order_release);
                atomic_store_explicit(&pool->nlanes, n + 1,
                                      memory_order_release);
            }
        }
    }
    pthread_mutex_unlock(&pool->lane_lock);
    if (lane == NULL && n >= WEFT_MAX_LANES)
        lane = pool->shared_lane;
    return lane;
}

static __attribute__((noinline)) struct weft__lane *
lane_get_slow(struct weft_pool *pool)
{
    struct lane_cache *c;
    struct weft__lane *lane = lane_claim(pool);

    if (lane == NULL)
        return NULL;
    pthread_once(&exit_once, exit_key_init);
    pthread_setspecific(exit_key, cache); /* any non-NULL value */
    c = &cache[cache_victim++ % CACHE_WAYS];
    if (c->lane != NULL)
        lane_release(c->lane);
    c->pool_id = pool->id;
    c->lane = lane;
    return lane;
}

static inline struct weft__lane *
lane_get(struct weft_pool *pool)
{
    for (unsigned i = 0; i < CACHE_WAYS; i++)
        if (cache[i].pool_id == pool->id)
            return cache[i].lane;
    return lane_get_slow(pool);
}

/* Deal job to the owner's rings in runs of LANE_BATCH. */
static bool
lane_enqueue_slow(struct weft__lane *lane, struct weft__job *job)
{
    for (unsigned k = 0; k < lane->nrings; k++) {
        if (lane->dealt >= LANE_BATCH) {
            lane->dealt = 0;
            lane->next = lane->next + 1 < lane->nrings ? lane->next + 1 : 0;
        }
        if (weft__ring_enqueue_spmc(&lane->rings[lane->next], job)) {
            lane->dealt++;
            return true;
        }
        lane->dealt = LANE_BATCH; /* full: move on */
    }
    return false;
}

static inline bool
lane_enqueue(struct weft__lane *lane, struct weft__job *job)
{
    WEFT_CHAOS_POINT();
    if (weft_likely(lane->dealt < LANE_BATCH) &&
        weft__ring_enqueue_spmc(&lane->rings[lane->next], job)) {
        lane->dealt++;
        return true;
    }
    return lane_enqueue_slow(lane, job);
}

/* Every ring is full: make sure someone drains, back off, retry. */
static __attribute__((noinline)) void
lane_enqueue_wait(struct weft_pool *pool, struct weft__lane *lane,
                  struct weft__job *job)
{
    do {
        weft__wake_one(pool);
        sched_yield();
    } while (!lane_enqueue(lane, job));
}

/* Threads beyond WEFT_MAX_LANES: the shared MPMC lane. */
static int
shared_push(struct weft_pool *pool, struct weft__lane *lane,
            struct weft__job *job)
{
    /* relaxed: ordered by the fences around it ([L1], [L2]). */
    atomic_fetch_add_explicit(&lane->busy, 1, memory_order_relaxed);
    WEFT_CHAOS_POINT();
    /* [L1] busy before the state check; pairs with the heavy side. */
    weft__asym_light();
    /* relaxed: ordered by [L1]. */
    if (atomic_load_explicit(&pool->state, memory_order_relaxed) !=
        WEFT_POOL_RUNNING) {
        /* [L2] release: pairs with the acquire in quiesce. */
        atomic_fetch_sub_explicit(&lane->busy, 1, memory_order_release);
        return -ESHUTDOWN;
    }
    WEFT_CHAOS_POINT();
    while (!weft__ring_enqueue_mpmc(&lane->rings[0], job)) {
        weft__wake_one(pool);
        sched_yield();
    }
    /* relaxed: a statistic. */
    atomic_fetch_add_explicit(&lane->submitted, 1, memory_order_relaxed);
    /* [L2] release: the push before busy drops; pairs with quiesce. */
    atomic_fetch_sub_explicit(&lane->busy, 1, memory_order_release);
    WEFT_CHAOS_POINT();
    /* [W1] the job is visible before nidle is read; pairs with [P1]. */
    weft__asym_light();
    weft__maybe_wake(pool);
    return 0;
}

int
weft__lane_push(struct weft_pool *pool, struct weft__job *job)
{
    struct weft__lane *lane = lane_get(pool);

    if (weft_unlikely(lane == NULL))
        return -ENOMEM;
    if (weft_unlikely(lane->shared))
        return shared_push(pool, lane, job);
    /* relaxed: one writer (the owner); [L1] orders it. */
    atomic_store_explicit(&lane->busy, 1, memory_order_relaxed);
    WEFT_CHAOS_POINT();
    /* [L1] busy before the state check; pairs with the heavy side. */
    weft__asym_light();
    /* relaxed: ordered by [L1]. */
    if (weft_unlikely(
            atomic_load_explicit(&pool->state, memory_order_relaxed) !=
            WEFT_POOL_RUNNING)) {
        /* [L2] release: pairs with the acquire in quiesce. */
        atomic_store_explicit(&lane->busy, 0, memory_order_release);
        return -ESHUTDOWN;
    }
    if (weft_unlikely(!lane_enqueue(lane, job)))
        lane_enqueue_wait(pool, lane, job);
    /* relaxed: a statistic with one writer, the owning thread. */
    atomic_store_explicit(
        &lane->submitted,
        atomic_load_explicit(&lane->submitted, memory_order_relaxed) + 1,
        memory_order_relaxed);
    /* [L2] release: the push before busy drops; pairs with quiesce. */
    atomic_store_explicit(&lane->busy, 0, memory_order_release);
    WEFT_CHAOS_POINT();
    /* [W1] the job is visible before nidle is read; pairs with [P1]. */
    weft__asym_light();
    weft__maybe_wake(pool);
    return 0;
}

void
weft__lanes_quiesce(struct weft_pool *pool)
{
    uint32_t n;

    /* [L1] heavy side: CLOSED (stored by the caller) before busy is read. */
    weft__asym_heavy();
    /* acquire: pairs with [L3]. */
    n = atomic_load_explicit(&pool->nlanes, memory_order_acquire);

    for (uint32_t i = 0; i <= n; i++) {
        struct weft__lane *lane =
            i < n ? atomic_load_explicit(&pool->lanes[i], memory_order_relaxed)
                  : pool->shared_lane;
        /* [L2] acquire: pairs with the release when busy drops. */
        while (atomic_load_explicit(&lane->busy, memory_order_acquire) != 0)
            sched_yield();
    }
}

/*
 * Take up to LANE_TAKE jobs from our own ring at once, with one CAS on its
 * consumer index (ring.h): their cache lines are fetched in parallel
 * (prefetch) instead of one cross-core miss per job. The first is returned to
 * run now; the rest go on our deque newest first, so we pop them in submission
 * order and thieves take the newest.
 */
static struct weft__job *
take_batch(struct weft__worker *self, struct weft__ring *ring)
{
    void *batch[LANE_TAKE];
    unsigned n;

    WEFT_CHAOS_POINT();
    n = weft__ring_dequeue_batch_spmc(ring, batch, LANE_TAKE);
    if (n == 0)
        return NULL;
    for (unsigned i = 0; i < n; i++)
        __builtin_prefetch(batch[i], 1, 3);
    weft__stat_add(&self->stats, WEFT_ST_LANE, n);
    weft__trace(&self->trace, WEFT_EV_LANE, n, 0);
    while (n > 1) {
        struct weft__job *job = (struct weft__job *)batch[--n];
        if (!weft__push_local(self, job)) {
            /* The deque cannot grow: run the rest here, in order. */
            for (unsigned i = 1; i <= n; i++)
                ((struct weft__job *)batch[i])->exec(batch[i], self);
            break;
        }
    }
    return (struct weft__job *)batch[0];
}

struct weft__job *
weft__lane_take(struct weft__worker *self, bool steal)
{
    struct weft_pool *pool = self->pool;
    /* acquire: pairs with [L3]; lanes[i] below n are then visible. */
    uint32_t n = atomic_load_explicit(&pool->nlanes, memory_order_acquire);
    void *job;

    for (uint32_t i = 0; i < n; i++) {
        uint32_t li = (self->lane_start + i) % n;
        /* relaxed: ordered by the acquire of nlanes [L3]. */
        struct weft__lane *lane =
            atomic_load_explicit(&pool->lanes[li], memory_order_relaxed);
        if (!steal) {
            struct weft__job *first = take_batch(self, &lane->rings[self->id]);
            if (first != NULL) {
                self->lane_start = li;
                return first;
            }
            continue;
        }
        for (unsigned r = 1; r < lane->nrings; r++) {
            unsigned ri = (self->id + r) % lane->nrings;
            if (weft__ring_dequeue_spmc(&lane->rings[ri], &job)) {
                weft__stat_add(&self->stats, WEFT_ST_LANE, 1);
                return (struct weft__job *)job;
            }
        }
    }
    if (weft__ring_dequeue_mpmc(&pool->shared_lane->rings[0], &job)) {
        weft__stat_add(&self->stats, WEFT_ST_LANE, 1);
        return (struct weft__job *)job;
    }
    return NULL;
}

bool
weft__lanes_nonempty(struct weft_pool *pool)
{
    /* acquire: pairs with [L3]. */
    uint32_t n = atomic_load_explicit(&pool->nlanes, memory_order_acquire);

    for (uint32_t i = 0; i < n; i++) {
        struct weft__lane *lane =
            atomic_load_explicit(&pool->lanes[i], memory_order_relaxed);
        for (unsigned r = 0; r < lane->nrings; r++)
            if (weft__ring_size(&lane->rings[r]) != 0)
                return true;
    }
    return weft__ring_size(&pool->shared_lane->rings[0]) != 0;
}

void
weft__lanes_cancel_all(struct weft_pool *pool)
{
    /* acquire: pairs with [L3]. */
    uint32_t n = atomic_load_explicit(&pool->nlanes, memory_order_acquire);
    void *job;

    /* The caller is one more consumer of every ring: the rings are
     * multi-consumer, so this races safely with the workers. */
    for (uint32_t i = 0; i < n; i++) {
        struct weft__lane *lane =
            atomic_load_explicit(&pool->lanes[i], memory_order_relaxed);
        for (unsigned r = 0; r < lane->nrings; r++)
            while (weft__ring_dequeue_spmc(&lane->rings[r], &job))
                weft__future_job_cancel((struct weft__job *)job);
    }
    while (weft__ring_dequeue_mpmc(&pool->shared_lane->rings[0], &job))
        weft__future_job_cancel((struct weft__job *)job);
}

uint64_t
weft__lanes_submitted(struct weft_pool *pool)
{
    /* acquire: pairs with [L3]. */
    uint32_t n = atomic_load_explicit(&pool->nlanes, memory_order_acquire);
    /* relaxed: statistics. */
    uint64_t sum = atomic_load_explicit(&pool->shared_lane->submitted,
                                        memory_order_relaxed);

    for (uint32_t i = 0; i < n; i++) {
        struct weft__lane *lane =
            atomic_load_explicit(&pool->lanes[i], memory_order_relaxed);
        sum += atomic_load_explicit(&lane->submitted, memory_order_relaxed);
    }
    return sum;
}
