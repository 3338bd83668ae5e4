/* SPDX-License-Identifier: MIT */
/*
 * queue_lanes.c - the WEFT_QUEUE_FIFO_LANES kind of weft_queue (queue.c
 * dispatches to it): FIFO per producer.
 *
 * Q_LANES lanes, each a ck_ring used single-producer single-consumer
 * (ring.h _spsc) between a producer-side and a consumer-side biased lock.
 * A producer thread always puts into the same lane (its thread number
 * modulo Q_LANES), so its items keep their order; consumers scan the lanes
 * from the one they last took from. A biased lock ([Q6]) costs its owner
 * no atomic read-modify-write: one plain store, a compiler barrier and a
 * load. So when each producer has its own lane and each consumer mostly
 * takes from one lane, put and get are a ck_ring SPSC enqueue/dequeue plus
 * a few private stores: no locked instruction per item, no line written by
 * both sides except the ring's own indices (which ck batches into its
 * lines), no system call and no shared write when nobody sleeps.
 * Capacity ([Q7]): credits. pool + sum(lane->resv) + credits in flight ==
 * cap, and a lane never holds more items than its resv, so the queue never
 * holds more than cap items. A producer takes credits from pool in
 * batches; when pool is empty it moves unused credits from other lanes
 * (their resv minus their items) into its own. Consumers never touch the
 * credits: a get frees room in its lane by advancing the ring's c_head.
 *
 * Concurrency protocol:
 * [Q1] put: holding the lane's plock, check state and room; lane->puts
 *      += 1 BEFORE the enqueue (so the task_done of that item never sees
 *      puts too small: the ring's [R1] orders it before the dequeue);
 *      enqueue; unlock; then syncwait.h [E2] on not_empty.
 * [Q2] get: for each lane that looks non-empty, under its clock, dequeue;
 *      unlock; [E2] on not_full. When every lane is empty the state
 *      (acquire, pairs with [Q3]) decides -EAGAIN or -ESHUTDOWN; after
 *      seeing SWEPT one more pass catches puts that finished before it.
 * [Q3] shutdown: fetch_or CLOSED (seq_cst), then take and release every
 *      lane's plock (revoking biases, [Q6]): a put either finished before
 *      that sweep or reads CLOSED under its plock and fails. Then SWEPT
 *      (release): a consumer that sees it and then an empty queue knows no
 *      item can come any more. IMMEDIATE then drains every lane under its
 *      clock, adds the dropped items to done and stores DRAINED.
 * [Q4] task_done: CAS done -> done + 1 while done < puts (seq_cst), then
 *      [E2] on joined. join: [E1] on joined, re-check done >= puts.
 *      puts is the sum of the lanes' counts; task_done compares with
 *      puts_seen, an earlier sum (a lower bound: the counts only grow),
 *      and sums the lanes again only when done reaches it, so the exact
 *      -EOVERFLOW check does not read every producer's line per item.
 * [Q6] biased lock (lane plock/clock): bias names the record (struct
 *      qthr) of the thread that may enter by storing its own record's in
 *      = the lock (release; only that thread writes its in); asym_light();
 *      re-load bias. Anyone else takes held (CAS, acquire), then revokes:
 *      bias = NULL (seq_cst); asym_heavy(); waits until the owner's in !=
 *      the lock (acquire, pairs with the owner's release stores of in). As
 *      in [E1]/[E2], either the owner's re-load sees the revocation (and
 *      it backs out, in = NULL, to the slow path) or the revoker sees in
 *      and waits. Every hand-off of a lock is thus a release/acquire pair
 *      that TSan sees too: owner -> revoker on in, slow-path holder ->
 *      next holder (or -> itself as the new owner) on held. The flag is
 *      the owner's own word, not the lock's: with one busy word per lock
 *      (queue5), a thread that read bias == itself, was revoked and
 *      replaced by a new owner before it stored busy = 1, then backed out
 *      with busy = 0, cleared the NEW owner's flag, and the next revoker
 *      entered beside that owner (issue #5's TSan report: two consumers
 *      in one lane's SPSC dequeue). A thread is inside at most one lock
 *      on the fast path at a time (no caller nests them). A slow-path
 *      holder gives the bias to itself when it holds the lock for the
 *      first time, or Q_REBIAS times in a row after a revocation
 *      (hysteresis, so that two threads sharing a lane do not pay a
 *      membarrier per item). An exiting thread gives its record back
 *      (owned = 0, release; a new thread's claim CAS acquires), biases
 *      included.
 * [Q7] credits: pool is taken with a CAS (acq_rel: a count only, the
 *      lane lock orders the rest); resv is written only under the lane's
 *      plock, by its producer or by a producer moving unused credits out
 *      (which skips, by a racy read of resv and the ring's size, lanes
 *      with nothing unused: no bias is revoked for nothing).
 * [Q8] cached indices and batching by waiting, not by holding items back:
 *      each side keeps its view of the other's ring index (lane c_seen
 *      under plock, p_seen under clock; ring.h *_spsc_cached), so a
 *      producer reads the consumer's c_head line only when its view says
 *      the lane is out of credit (lane_full), and a consumer reads the
 *      producer's p_tail line once per run of items instead of per item.
 *      Publication is never deferred: every put stores p_tail before it
 *      returns, so a blocked or polling consumer can always find every
 *      item whose put returned ([E2] needs nothing more), and try_get
 *      after put in one thread finds the item. Runs form on the waiting
 *      side instead: a polling waiter that found nothing waits a growing
 *      number of pauses (spin_gap) before it looks again, and a polling
 *      producer waits for room for a run of items (room_run, at most a
 *      quarter of the capacity; the sleeping path takes any room). Both
 *      are hints in the bounded polling phase only ([Q2]/[Q1] decide).
 *      The event counts sit on lines of their own, apart from state.
 * Costs per item while items stream (issue #5): the slot lines, the
 * index line of the side that is written (its reader takes it once per
 * run), and a read of each event count's waiters word (a line that stays
 * shared while nobody registers). What used to cost more, measured
 * by counting system calls: signalers calling futex_wake for registered
 * waiters that were still polling (now only for sleepers, syncwait.h
 * [E4]); a registration (a membarrier) after ~1 us of polling (now
 * Q_SPIN_NS); and each consumer's fairness turn revoking another
 * consumer's bias every Q_FAIR gets (now every Q_FAIR_FORCE).
 * Blocked callers sleep on the event counts of syncwait.h ([E1]-[E3]).
 */
#include "queue_lanes.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include <weft/queue.h>

#include "mutate.h"
#include "ring.h"
#include "syncwait.h"
/* state bits [Q3] */
enum {
    Q_CLOSED = 1u,  /* puts fail */
    Q_SWEPT = 2u,   /* no put is in flight any more: empty means over */
    Q_DRAINED = 4u, /* immediate shutdown done: gets fail at once */
};

/* A blocking put/get polls this long before it registers to sleep (a
 * registration costs a membarrier, and a sleep a futex wake: each a few
 * microseconds, during which items could have streamed). Polling stops
 * early when the thread was kept off the CPU between two looks for
 * Q_OVERSUB_NS (the machine is oversubscribed: sleeping lets the other
 * side run). Every 64th round yields (weft__spin_step). */
#define Q_SPIN_NS     20000u
#define Q_OVERSUB_NS  100000u
/* Polling rounds between two clock reads; the first Q_SPIN_FORCE rounds
 * do not revoke other threads' biases. */
#define Q_SPIN_CLOCK  32u
#define Q_SPIN_FORCE  256u
/* The room a polling producer waits for (at most a quarter of the
 * capacity) before it tries again ([Q8]). */
#define Q_ROOM_RUN    32u
/* The first and the longest pause run between two looks of a polling
 * waiter ([Q8]; a pause is ~20 ns here). */
#define Q_SPIN_GAP0   4u
#define Q_SPIN_GAP    64u
/* Lanes of a FIFO queue (producer threads sharing one lane serialise). */
#define Q_LANES       8u
/* Every Q_FAIR-th take of a consumer starts at the next lane, and every
 * Q_FAIR_FORCE-th such turn may revoke another consumer's bias (one
 * membarrier): no lane starves behind a busy one, and consumers that
 * share the lanes stay biased to theirs. */
#define Q_FAIR        1024u
#define Q_FAIR_FORCE  (64u * Q_FAIR)
/* Slow-path acquisitions in a row by one thread before it is re-biased. */
#define Q_REBIAS      128u
/* Lane rings up to this size are allocated by create, larger ones by the
 * lane's first put (which may then fail with -ENOMEM). */
#define Q_EAGER_BYTES (128u * 1024u)

/* [Q6] a thread's record: its fast-path flag lives in memory only this
 * thread writes, so a thread whose bias was revoked while it was entering
 * cannot clear the flag of the lock's next owner (the race of issue #5's
 * TSan report: with one busy word per lock, such a thread's back-out
 * store of busy = 0 let a revoker in beside the new owner). Records are
 * never freed: a thread's exit gives its record back (owned = 0) and a
 * later thread claims it, with the biases it still holds (the dead thread
 * is inside nothing). */
struct qthr {
    /* [Q6] the lock this thread is inside on the fast path, or NULL;
     * written only by the thread, read by revokers. */
    _Alignas(WEFT_PAD_ALIGN) _Atomic(const void *) in;
    uint32_t tid;           /* number + 1 (lane choice); set by claim */
    _Atomic uint32_t owned; /* claimed by a live thread */
    struct qthr *next;      /* the list of all records; set once */
};

/* [Q6] a biased lock. */
struct blk {
    _Atomic(struct qthr *) bias; /* the owner's record, or NULL */
    _Atomic uint32_t held;       /* the slow path's lock */
    struct qthr *last;           /* under held: the last slow-path holder */
    uint32_t streak;             /* under held: its acquisitions in a row */
    uint32_t revoked;            /* under held: whether a bias was revoked */
};

struct lane {
    /* producer side: written by the lane's producer(s) */
    _Alignas(WEFT_PAD_ALIGN) struct blk plock;
    _Atomic size_t resv;   /* [Q7] written under plock: credits */
    _Atomic uint64_t puts; /* [Q1] under plock */
    unsigned c_seen;       /* [Q8] under plock: the producer's c_head */
    /* consumer side */
    _Alignas(WEFT_PAD_ALIGN) struct blk clock;
    unsigned p_seen; /* [Q8] under clock: the consumer's p_tail */
    /* read-mostly: set once */
    _Alignas(WEFT_PAD_ALIGN) _Atomic uint32_t ready; /* ring allocated */
    struct weft__ring ring; /* ck pads c_head and p_tail lines itself */
};

/* [Q7] resv: written only under the lane's plock (relaxed: plock orders
 * it); read without it only as a hint (lanes_steal). */
static inline size_t
resv_get(const struct lane *ln)
{
    return atomic_load_explicit(&ln->resv, memory_order_relaxed);
}

static inline void
resv_set(struct lane *ln, size_t v)
{
    atomic_store_explicit(&ln->resv, v, memory_order_relaxed);
}

struct weft_qlanes {
    enum weft_queue_kind kind; /* first: queue.c dispatches on it */
    size_t cap;
    unsigned slots;     /* ring slots of each lane */
    size_t batch;       /* credits taken from pool at once */
    size_t room_run;    /* [Q8] the room a polling producer waits for */
    struct lane *lanes; /* Q_LANES */
    /* credits not held by any lane [Q7] */
    _Alignas(WEFT_PAD_ALIGN) _Atomic size_t pool;
    /* [Q7] a producer found pool empty: owners give unused credits back;
     * the asking lane + 1 */
    _Alignas(WEFT_PAD_ALIGN) _Atomic uint32_t want;
    /* task_done side */
    _Alignas(WEFT_PAD_ALIGN) _Atomic uint64_t done; /* [Q4] */
    _Atomic uint64_t puts_seen; /* [Q4] a lower bound of total_puts() */
    /* read-mostly: state */
    _Alignas(WEFT_PAD_ALIGN) _Atomic uint32_t state; /* [Q3] */
    /* [Q8] the event counts, each on its own lines: a consumer that
     * registers on not_empty does not take the line that every get reads
     * (not_full's waiters) or that every put reads (state). */
    _Alignas(WEFT_PAD_ALIGN) struct weft__ec not_empty;
    _Alignas(WEFT_PAD_ALIGN) struct weft__ec not_full;
    _Alignas(WEFT_PAD_ALIGN) struct weft__ec joined;
};

/* ---- thread numbers ------------------------------------------------- */

static _Atomic uint32_t q_next_tid;
/* [Q6] every record ever made (pushed only, never freed). */
static _Atomic(struct qthr *) q_thrs;
static pthread_key_t q_key; /* its destructor gives the record back */
static pthread_once_t q_key_once = PTHREAD_ONCE_INIT;
static bool q_key_ok;
/* The record of a thread that could not get one of its own (allocation
 * failed): never given a bias, so it only takes the slow path. */
static struct qthr q_nobias = {.tid = 1};
static _Thread_local struct qthr *q_self; /* NULL: none yet */
static _Thread_local uint32_t q_hint;  /* the lane this thread last got from */
static _Thread_local uint32_t q_takes; /* gets, for the fairness turn */

/* Thread exit: give the record back. */
static void
qthr_exit(void *arg)
{
    struct qthr *t = arg;

    q_self = NULL; /* a later destructor's queue call claims again */
    /* [Q6] release: pairs with the acquire CAS in qthr_claim(): this
     * thread's sections (it is inside none now) before the next owner's. */
    atomic_store_explicit(&t->owned, 0, memory_order_release);
}

static void
qthr_key_init(void)
{
    q_key_ok = pthread_key_create(&q_key, qthr_exit) == 0;
}

/* The calling thread's first queue call: claim a free record or make one. */
static __attribute__((noinline)) struct qthr *
qthr_claim(void)
{
    struct qthr *t = NULL;
    uint32_t zero;

    pthread_once(&q_key_once, qthr_key_init);
    /* Without the key no record is ever given back: none to look for. */
    if (q_key_ok) {
        /* acquire: pairs with the release CAS that pushed each record. */
        for (t = atomic_load_explicit(&q_thrs, memory_order_acquire); t != NULL;
             t = t->next) {
            zero = 0;
            /* relaxed: a hint. [Q6] acquire: pairs with the release store
             * in qthr_exit(). */
            if (atomic_load_explicit(&t->owned, memory_order_relaxed) == 0 &&
                atomic_compare_exchange_strong_explicit(&t->owned, &zero, 1,
                                                        memory_order_acquire,
                                                        memory_order_relaxed))
                break;
        }
    }
    if (t == NULL) {
        t = weft__aligned_alloc(WEFT_PAD_ALIGN, sizeof(*t));
        if (t == NULL)
            return &q_nobias; /* not cached: the next call tries again */
        atomic_init(&t->in, NULL);
        atomic_init(&t->owned, 1);
        /* relaxed: the CAS below re-reads on failure. */
        t->next = atomic_load_explicit(&q_thrs, memory_order_relaxed);
        /* release: the record's fields before a claimer's acquire load. */
        while (!atomic_compare_exchange_weak_explicit(
            &q_thrs, &t->next, t, memory_order_release, memory_order_relaxed))
            ;
    }
    /* A new number for each thread, even on a recycled record: a thread
     * that starts after another one exited gets a lane of its own. */
    do /* relaxed: a unique number, no data attached. */
        t->tid =
            atomic_fetch_add_explicit(&q_next_tid, 1, memory_order_relaxed) + 1;
    while (t->tid == 0);
    /* Without the destructor the record stays claimed (a leak, no harm). */
    if (q_key_ok)
        (void)pthread_setspecific(q_key, t);
    q_self = t;
    q_hint = t->tid;
    return t;
}

static inline struct qthr *
self_thr(void)
{
    struct qthr *t = q_self;

    if (weft_unlikely(t == NULL))
        t = qthr_claim();
    return t;
}

/* ---- [Q6] the biased lock ------------------------------------------- */

enum { BLK_FAIL = 0, BLK_FAST = 1, BLK_SLOW = 2 };

static void
blk_init(struct blk *l)
{
    atomic_init(&l->bias, NULL);
    atomic_init(&l->held, 0);
    l->last = NULL;
    l->streak = 0;
    l->revoked = 0;
}

/* The owner's path: true when inside (then blk_exit(.., BLK_FAST, ..)). */
static inline bool
blk_fast(struct blk *l, struct qthr *me)
{
    /* relaxed: a hint; the re-load below decides. */
    if (atomic_load_explicit(&l->bias, memory_order_relaxed) != me)
        return false;
    /* The window of issue #5's race: revoked and replaced meanwhile. */
    WEFT_CHAOS_POINT();
    /* [Q6] release: a revoker that reads any later value of in (l, or
     * another lock) acquires this thread's earlier sections too; ordered
     * before the re-load of bias by the asymmetric fence (the owner's half
     * of the handshake with blk_slow()). Only this thread writes its in. */
    atomic_store_explicit(&me->in, l, WEFT_MO_FENCED(memory_order_release));
    weft__asym_light();
    /* [Q6] relaxed: ordered by the fence above; written only under held
     * (a revoker, which then waits for our in != l; or a slow-path holder
     * taking the bias for itself). */
    if (weft_likely(atomic_load_explicit(
                        &l->bias, WEFT_MO_FENCED(memory_order_relaxed)) == me))
        return true;
    /* [Q6] release: pairs with the revoker's acquire load of in. */
    atomic_store_explicit(&me->in, NULL, memory_order_release);
    return false;
}

/* The slow path: take held, then revoke another thread's bias. BLK_FAIL
 * only when try and held is taken. */
static int
blk_slow(struct blk *l, struct qthr *me, bool try)
{
    unsigned round = 0;
    uint32_t zero;
    struct qthr *b;

    for (;;) {
        zero = 0;
        /* relaxed: a hint, so a busy lock costs no RMW. [Q6] acquire:
         * pairs with the release store of held in blk_exit(). */
        if (atomic_load_explicit(&l->held, memory_order_relaxed) == 0 &&
            atomic_compare_exchange_strong_explicit(
                &l->held, &zero, 1, memory_order_acquire, memory_order_relaxed))
            break;
        if (try)
            return BLK_FAIL;
        weft__spin_step(&round);
    }
    /* relaxed: bias is written only under held. b == me: a record this
     * thread took over from an exited one (which is inside nothing). */
    b = atomic_load_explicit(&l->bias, memory_order_relaxed);
    if (b != NULL && b != me) {
        /* [Q6] seq_cst: the revoker's half of the handshake. */
        atomic_store_explicit(&l->bias, NULL, memory_order_seq_cst);
        WEFT_CHAOS_POINT();
        l->revoked = 1;
        /* MUTANT 13: [Q6] the revoker neither fences nor waits for the
         * owner to leave: both are inside the lane at once. */
        if (!WEFT_MUTANT(13)) {
            weft__asym_heavy();
            /* [Q6] acquire: pairs with the owner's release stores of its
             * in (leaving l, or entering any lock after leaving l). */
            while (atomic_load_explicit(&b->in,
                                        WEFT_MO_FENCED(memory_order_acquire)) ==
                   (const void *)l)
                weft__spin_step(&round);
        }
    }
    if (l->last == me) {
        l->streak++;
    } else {
        l->last = me;
        l->streak = 1;
    }
    return BLK_SLOW;
}

/* Enter: the fast path if biased to me, else the slow one. */
static inline int
blk_enter(struct blk *l, struct qthr *me, bool try)
{
    if (weft_likely(blk_fast(l, me)))
        return BLK_FAST;
    return blk_slow(l, me, try);
}

/* Leave. rebias: a slow-path holder may take the bias (regular users do;
 * credit moves and shutdown sweeps do not; nor a thread without a record
 * of its own). */
static inline void
blk_exit(struct blk *l, struct qthr *me, int how, bool rebias)
{
    if (weft_likely(how == BLK_FAST)) {
        /* [Q6] release: the section before a revoker's acquire of in. */
        atomic_store_explicit(&me->in, NULL, memory_order_release);
        return;
    }
    /* relaxed: under held; read by this thread's fast path and by the
     * next slow-path holder (after its acquire of held). */
    if (rebias && me != &q_nobias &&
        l->streak >= (l->revoked ? Q_REBIAS : 1u) &&
        atomic_load_explicit(&l->bias, memory_order_relaxed) == NULL)
        atomic_store_explicit(&l->bias, me, memory_order_relaxed);
    /* [Q6] release: pairs with the acquire CAS in blk_slow(). */
    atomic_store_explicit(&l->held, 0, memory_order_release);
}

/* ---- create / destroy ----------------------------------------------- */

int
weft__qlanes_create(size_t capacity, weft_queue_t **out)
{
    struct weft_qlanes *q;
    unsigned slots;
    int rc;

    /* queue.c checked out and capacity. */
    weft__asym_init();
    q = weft__aligned_alloc(WEFT_PAD_ALIGN, sizeof(*q));
    if (q == NULL)
        return -ENOMEM;
    memset(q, 0, sizeof(*q));
    q->kind = WEFT_QUEUE_FIFO_LANES;
    q->cap = capacity;
    /* capacity + 1 slots at least: ck keeps one slot free. A lane
     * may end up holding every credit, so each can hold cap items;
     * its ring is allocated by its first put. */
    for (slots = 4; slots < capacity + 1; slots <<= 1)
        ;
    q->slots = slots;
    q->room_run = capacity / 4 < Q_ROOM_RUN ? capacity / 4 : Q_ROOM_RUN;
    if (q->room_run == 0)
        q->room_run = 1;
    q->batch = capacity / (4 * Q_LANES);
    if (q->batch == 0)
        q->batch = 1;
    q->lanes = weft__aligned_alloc(WEFT_PAD_ALIGN, sizeof(*q->lanes) * Q_LANES);
    if (q->lanes == NULL) {
        rc = -ENOMEM;
        goto err_free;
    }
    memset(q->lanes, 0, sizeof(*q->lanes) * Q_LANES);
    for (unsigned i = 0; i < Q_LANES; i++) {
        blk_init(&q->lanes[i].plock);
        blk_init(&q->lanes[i].clock);
        atomic_init(&q->lanes[i].resv, 0);
        atomic_init(&q->lanes[i].puts, 0);
        atomic_init(&q->lanes[i].ready, 0);
    }
    /* Small rings up front, so that put never fails with -ENOMEM;
     * larger ones on their lane's first put. */
    if ((size_t)slots * sizeof(void *) <= Q_EAGER_BYTES) {
        for (unsigned i = 0; i < Q_LANES; i++) {
            rc = weft__ring_init(&q->lanes[i].ring, slots);
            if (rc != 0)
                goto err_lanes;
            /* relaxed: create publishes q as a whole. */
            atomic_store_explicit(&q->lanes[i].ready, 1, memory_order_relaxed);
        }
    }
    atomic_init(&q->pool, capacity);
    atomic_init(&q->want, 0);
    atomic_init(&q->done, 0);
    atomic_init(&q->puts_seen, 0);
    atomic_init(&q->state, 0);
    weft__ec_init(&q->not_empty);
    weft__ec_init(&q->not_full);
    weft__ec_init(&q->joined);
    *out = (weft_queue_t *)q;
    return 0;
err_lanes:
    for (unsigned i = 0; i < Q_LANES; i++) {
        /* relaxed: not shared yet. */
        if (atomic_load_explicit(&q->lanes[i].ready, memory_order_relaxed))
            weft__ring_fini(&q->lanes[i].ring);
    }
    weft__free(q->lanes);
err_free:
    weft__free(q);
    return rc;
}

int
weft__qlanes_destroy(weft_queue_t *wq)
{
    struct weft_qlanes *q = (struct weft_qlanes *)wq;

    if (q->lanes != NULL) {
        for (unsigned i = 0; i < Q_LANES; i++) {
            /* relaxed: no other thread may use q now. */
            if (atomic_load_explicit(&q->lanes[i].ready, memory_order_relaxed))
                weft__ring_fini(&q->lanes[i].ring);
        }
        weft__free(q->lanes);
    }
    weft__free(q);
    return 0;
}

/* ---- FIFO lanes ----------------------------------------------------- */

/* relaxed hint of the items in lane ln (0 when it has no ring yet). */
static inline unsigned
lane_size(const struct lane *ln)
{
    /* [R1] acquire: pairs with the release store in lane_ready(). */
    if (!atomic_load_explicit(&ln->ready, memory_order_acquire))
        return 0;
    return weft__ring_size(&ln->ring);
}

/* Under ln's plock: allocate its ring on first use. 0 or -ENOMEM. */
static int
lane_ready(struct weft_qlanes *q, struct lane *ln)
{
    int rc;

    /* relaxed: written only under plock. */
    if (weft_likely(atomic_load_explicit(&ln->ready, memory_order_relaxed)))
        return 0;
    rc = weft__ring_init(&ln->ring, q->slots);
    if (rc != 0)
        return rc;
    /* release: the ring's initialisation before consumers read it; pairs
     * with the acquire in lane_size() and fifo_take(). */
    atomic_store_explicit(&ln->ready, 1, memory_order_release);
    return 0;
}

/* [Q7][Q8] Under ln's plock: whether the lane has no credit for one more
 * item. The cached bound first (no read of the consumer's line while it
 * says there is room); c_head only when it says full. */
static inline bool
lane_full(struct lane *ln)
{
    if (weft_likely(weft__ring_size_cached(&ln->ring, ln->c_seen) <
                    resv_get(ln)))
        return false;
    ln->c_seen = weft__ring_c_head(&ln->ring);
    return weft__ring_size_cached(&ln->ring, ln->c_seen) >= resv_get(ln);
}

/* [Q7] up to want credits from pool. */
static size_t
pool_take(struct weft_qlanes *q, size_t want)
{
    /* relaxed: the CAS below decides. */
    size_t have = atomic_load_explicit(&q->pool, memory_order_relaxed);
    size_t got;

    do {
        if (have == 0)
            return 0;
        got = have < want ? have : want;
        /* [Q7] relaxed: a count; the lane locks order what it guards. */
    } while (!atomic_compare_exchange_weak_explicit(&q->pool, &have, have - got,
                                                    memory_order_relaxed,
                                                    memory_order_relaxed));
    return got;
}

/* [Q7] Move unused credits of the other lanes out (half of each lane's
 * unused, at least one), holding one lane's plock at a time and not the
 * caller's (no lock order to respect). Lanes biased to another producer
 * are skipped unless force (taking them revokes the bias: a membarrier);
 * their owners give credits back on their own when want is set. Returns
 * the credits moved. */
static size_t
lanes_steal(struct weft_qlanes *q, unsigned self, struct qthr *me, bool force)
{
    size_t got = 0;

    for (unsigned i = 1; i < Q_LANES && got == 0; i++) {
        struct lane *ln = &q->lanes[(self + i) % Q_LANES];
        size_t occ, unused, take;
        int how;

        struct qthr *b;

        /* relaxed: a hint; a lane without a ring has no credits. */
        if (!atomic_load_explicit(&ln->ready, memory_order_relaxed))
            continue;
        /* relaxed: a preference only. */
        b = atomic_load_explicit(&ln->plock.bias, memory_order_relaxed);
        if (!force && b != NULL && b != me)
            continue;
        /* A hint: nothing to move (a revocation would be for nothing). */
        if (resv_get(ln) <= weft__ring_size(&ln->ring))
            continue;
        how = blk_enter(&ln->plock, me, false);
        /* Under plock p_tail is fixed and c_head only grows: occ can only
         * shrink, so unused is never over-estimated. */
        occ = weft__ring_size(&ln->ring);
        unused = resv_get(ln) > occ ? resv_get(ln) - occ : 0;
        take = unused - unused / 2;
        resv_set(ln, resv_get(ln) - take);
        blk_exit(&ln->plock, me, how, false);
        got += take;
    }
    return got;
}

/* [Q7] Under ln's plock (*how), the lane has no credit for one more item:
 * take some from pool, else move unused ones of other lanes over (leaving
 * plock meanwhile: *how is the new hold). Out of line, so that the fast
 * path of fifo_put() stays small. 0 (a credit is there), -EAGAIN, or
 * -ESHUTDOWN; *stolen: the credits moved from other lanes. */
static __attribute__((noinline)) int
put_credit(struct weft_qlanes *q, unsigned self, struct qthr *me, bool force,
           int *how, size_t *stolen)
{
    struct lane *ln = &q->lanes[self];

    resv_set(ln, resv_get(ln) + pool_take(q, q->batch));
    if (weft__ring_size(&ln->ring) < resv_get(ln))
        return 0;
    blk_exit(&ln->plock, me, *how, true);
    /* relaxed: a request (the lane asking, + 1; the latest one wins);
     * pool's CAS carries the credits. */
    if (atomic_load_explicit(&q->want, memory_order_relaxed) != self + 1)
        atomic_store_explicit(&q->want, self + 1, memory_order_relaxed);
    *stolen = lanes_steal(q, self, me, force);
    *how = blk_enter(&ln->plock, me, false);
    resv_set(ln, resv_get(ln) + *stolen);
    /* [Q3] relaxed: read under plock, as in fifo_put(). */
    if (atomic_load_explicit(&q->state, memory_order_relaxed) & Q_CLOSED)
        return -ESHUTDOWN;
    if (weft__ring_size(&ln->ring) >= resv_get(ln))
        return -EAGAIN;
    return 0;
}

/* [Q7] Under ln's plock, another producer wants credits: give half of
 * this lane's unused ones to pool. Out of line (rare). Whether any were
 * given. */
static __attribute__((noinline)) bool
put_give(struct weft_qlanes *q, struct lane *ln)
{
    size_t occ = weft__ring_size(&ln->ring);
    size_t r = resv_get(ln), give = r > occ ? (r - occ) / 2 : 0;

    if (give == 0)
        return false;
    resv_set(ln, r - give);
    /* [Q7] relaxed: a count, as in pool_take(). */
    atomic_fetch_add_explicit(&q->pool, give, memory_order_relaxed);
    /* relaxed: served; a producer still short asks again. */
    atomic_store_explicit(&q->want, 0, memory_order_relaxed);
    return true;
}

/* 0, -EAGAIN (full), -ESHUTDOWN, -ENOMEM (first put of a lane). */
static int
fifo_put(struct weft_qlanes *q, void *item, bool force)
{
    struct qthr *me = self_thr();
    unsigned self = (me->tid - 1) % Q_LANES;
    struct lane *ln = &q->lanes[self];
    size_t stolen = 0;
    uint32_t want;
    bool ok;
    int how, rc = 0;

    how = blk_enter(&ln->plock, me, false);
    /* [Q3] relaxed: read under plock, which the shutdown sweep takes. */
    if (weft_unlikely(atomic_load_explicit(&q->state, memory_order_relaxed) &
                      Q_CLOSED)) {
        rc = -ESHUTDOWN;
        goto out;
    }
    rc = lane_ready(q, ln);
    if (weft_unlikely(rc != 0))
        goto out;
    if (weft_unlikely(lane_full(ln))) {
        rc = put_credit(q, self, me, force, &how, &stolen);
        if (rc != 0)
            goto out;
    }
    /* [Q1] relaxed: only this lane's producer writes it, under plock; the
     * ring's [R1] carries it to consumers. */
    atomic_store_explicit(
        &ln->puts, atomic_load_explicit(&ln->puts, memory_order_relaxed) + 1,
        memory_order_relaxed);
    ok = weft__ring_enqueue_spsc_cached(&ln->ring, &ln->c_seen, item);
    WEFT_ASSERT(ok);
    /* relaxed: a request; rarely written, so its line stays shared. A
     * lane does not serve its own request (its credits are used: reading
     * c_head for nothing on every put while it stays full). */
    want = atomic_load_explicit(&q->want, memory_order_relaxed);
    if (weft_unlikely(want != 0 && want != self + 1) && put_give(q, ln))
        stolen = 2; /* wake the sleepers below */
out:
    blk_exit(&ln->plock, me, how, true);
    /* Credits moved and not used are room a sleeping producer may have
     * missed while they were in flight. */
    if (stolen > 1 || (stolen > 0 && rc != 0))
        weft__ec_signal(&q->not_full, INT_MAX);
    return rc;
}

/* Try to dequeue from lane ln under its clock. */
static bool
lane_take(struct lane *ln, struct qthr *me, void **item)
{
    int how = blk_enter(&ln->clock, me, false);
    bool ok = weft__ring_dequeue_spsc_cached(&ln->ring, &ln->p_seen, item);

    blk_exit(&ln->clock, me, how, true);
    return ok;
}

/* One pass over the lanes, from the last one this thread got from (every
 * Q_FAIR-th call from the next one); lanes biased to another consumer come
 * last, and only when force (taking them revokes a bias). */
static bool
fifo_take(struct weft_qlanes *q, struct qthr *me, void **item, bool force)
{
    unsigned start = q_hint % Q_LANES, other = 0;

    if (weft_unlikely((++q_takes & (Q_FAIR - 1)) == 0)) {
        start = (start + 1) % Q_LANES;
        force = force || (q_takes & (Q_FAIR_FORCE - 1)) == 0;
    }
    /* The common case first: the start lane is biased to this thread;
     * ck's dequeue tells empty itself. [R1] acquire on ready: as in
     * lane_size(). */
    if (weft_likely(atomic_load_explicit(&q->lanes[start].ready,
                                         memory_order_acquire) &&
                    blk_fast(&q->lanes[start].clock, me))) {
        struct lane *ln = &q->lanes[start];
        bool ok = weft__ring_dequeue_spsc_cached(&ln->ring, &ln->p_seen, item);

        blk_exit(&q->lanes[start].clock, me, BLK_FAST, true);
        if (ok) {
            q_hint = start;
            return true;
        }
    }

    for (unsigned i = 0; i < Q_LANES; i++) {
        unsigned k = (start + i) % Q_LANES;
        struct lane *ln = &q->lanes[k];
        struct qthr *b;

        if (lane_size(ln) == 0)
            continue;
        /* relaxed: a preference only. */
        b = atomic_load_explicit(&ln->clock.bias, memory_order_relaxed);
        if (b != NULL && b != me) {
            other |= 1u << k;
            continue;
        }
        if (lane_take(ln, me, item)) {
            q_hint = k;
            return true;
        }
    }
    for (unsigned i = 0; force && other != 0 && i < Q_LANES; i++) {
        unsigned k = (start + i) % Q_LANES;

        if ((other & (1u << k)) != 0 && lane_take(&q->lanes[k], me, item)) {
            q_hint = k;
            return true;
        }
    }
    return false;
}

static size_t
fifo_len(const struct weft_qlanes *q)
{
    size_t n = 0;

    for (unsigned i = 0; i < Q_LANES; i++)
        n += lane_size(&q->lanes[i]);
    return n;
}

/* ---- one attempt ---------------------------------------------------- */

/* 0, -EAGAIN (full, or a lane lock busy for try), -ESHUTDOWN, -ENOMEM. */
static int
put_once(struct weft_qlanes *q, void *item, bool force)
{
    int rc = fifo_put(q, item, force);

    if (rc != 0)
        return rc;
    /* MUTANT 12: lost wake-up, a blocked consumer is never woken. */
    if (!WEFT_MUTANT(12))
        weft__ec_signal(&q->not_empty, 1);
    return 0;
}

/* 0, -EAGAIN (empty, or a lane lock busy for try), -ESHUTDOWN. */
static int
get_once(struct weft_qlanes *q, void **item, bool force)
{
    struct qthr *me = self_thr();
    uint32_t st;

    for (int pass = 0;; pass++) {
        /* The last pass after SWEPT takes every lane (force): a lane
         * biased to another consumer is not empty. */
        if (fifo_take(q, me, item, force || pass > 0)) {
            weft__ec_signal(&q->not_full, 1);
            return 0;
        }
        WEFT_CHAOS_POINT();
        /* [Q2] acquire: pairs with the fetch_or of SWEPT in [Q3]. */
        st = atomic_load_explicit(&q->state, memory_order_acquire);
        if (st & Q_DRAINED)
            return -ESHUTDOWN;
        if (!(st & Q_SWEPT))
            return -EAGAIN;
        if (pass > 0)
            return -ESHUTDOWN;
    }
}

/* ---- blocking wrappers ---------------------------------------------- */

/*
 * Hints for the polling rounds: whether a put (get) could succeed now.
 * Polling reads the shared indices instead of taking a lane lock, so a
 * waiting consumer neither takes the lock's line nor writes anything the
 * producer reads. Only a hint: put_once/get_once decide, and the sleeping
 * path ([E1]) never uses it.
 */
static bool
may_put(const struct weft_qlanes *q)
{
    /* relaxed: a hint. [Q8] room for a run of items: a producer that
     * puts as soon as one slot frees takes the consumer's index line once
     * per item while the queue stays full. (Only the polling phase waits
     * for the run; the sleeping path takes any room.) */
    return fifo_len(q) + q->room_run <= q->cap ||
           atomic_load_explicit(&q->state, memory_order_relaxed) != 0;
}

static bool
may_get(const struct weft_qlanes *q)
{
    /* relaxed: a hint. */
    return fifo_len(q) > 0 ||
           atomic_load_explicit(&q->state, memory_order_relaxed) != 0;
}

/* The polling phase of a blocking put/get: one round per call, false when
 * it is over (Q_SPIN_NS spent, the thread was kept off the CPU, or the
 * deadline is near). */
struct spin {
    unsigned round, gap, paused;
    uint64_t start, last;
};

/* [Q8] Before each look, wait Q_SPIN_GAP0 pauses, doubling after each
 * look that found nothing (up to Q_SPIN_GAP), without reading any line
 * the other side writes: a waiter that re-reads the producer's (consumer's)
 * index right after each store takes that line once per item and makes
 * the other side wait for it back; a waiter that leaves it alone for a
 * moment finds a run of items (of room) at its next look. */
static void
spin_gap(struct spin *sp)
{
    for (unsigned i = 0; i < sp->gap; i++)
        WEFT_CPU_RELAX();
    /* Yield after every 64 pauses, as weft__spin_step does: a thread that
     * shares a CPU with the other side lets it run. */
    sp->paused += sp->gap;
    if (sp->paused >= 64u) {
        sp->paused = 0;
        sched_yield();
    }
    sp->gap = sp->gap * 2 + 1 < Q_SPIN_GAP ? sp->gap * 2 + 1 : Q_SPIN_GAP;
}

static bool
spin_more(struct spin *sp, weft_deadline_t deadline)
{
    uint64_t now;

    weft__spin_step(&sp->round);
    if (sp->round % Q_SPIN_CLOCK != 1)
        return true;
    now = weft_now_ns();
    if (sp->start == 0) {
        sp->start = sp->last = now;
        return true;
    }
    if (now - sp->start >= Q_SPIN_NS || now - sp->last >= Q_OVERSUB_NS ||
        now >= deadline)
        return false;
    sp->last = now;
    return true;
}

int
weft__qlanes_put(weft_queue_t *wq, void *item, weft_deadline_t deadline)
{
    struct weft_qlanes *q = (struct weft_qlanes *)wq;
    uint32_t snap;
    int rc, w;

    rc = put_once(q, item, deadline == WEFT_DEADLINE_POLL);
    if (rc != -EAGAIN)
        return rc;
    if (deadline == WEFT_DEADLINE_POLL)
        return -ETIMEDOUT;
    for (struct spin sp = {.gap = Q_SPIN_GAP0}; spin_more(&sp, deadline);) {
        spin_gap(&sp);
        if (!may_put(q))
            continue;
        rc = put_once(q, item, sp.round >= Q_SPIN_FORCE);
        if (rc != -EAGAIN)
            return rc;
    }
    for (;;) {
        snap = weft__ec_prepare(&q->not_full);
        rc = put_once(q, item, true);
        if (rc != -EAGAIN) {
            weft__ec_cancel(&q->not_full);
            return rc;
        }
        w = weft__ec_wait(&q->not_full, snap, deadline);
        weft__ec_cancel(&q->not_full);
        if (w == -ETIMEDOUT) {
            rc = put_once(q, item, true);
            return rc == -EAGAIN ? -ETIMEDOUT : rc;
        }
    }
}

int
weft__qlanes_try_put(weft_queue_t *wq, void *item)
{
    return put_once((struct weft_qlanes *)wq, item, true);
}

int
weft__qlanes_get(weft_queue_t *wq, void **item, weft_deadline_t deadline)
{
    struct weft_qlanes *q = (struct weft_qlanes *)wq;
    uint32_t snap;
    int rc, w;

    rc = get_once(q, item, deadline == WEFT_DEADLINE_POLL);
    if (rc != -EAGAIN)
        return rc;
    if (deadline == WEFT_DEADLINE_POLL)
        return -ETIMEDOUT;
    for (struct spin sp = {.gap = Q_SPIN_GAP0}; spin_more(&sp, deadline);) {
        spin_gap(&sp);
        if (!may_get(q))
            continue;
        rc = get_once(q, item, sp.round >= Q_SPIN_FORCE);
        if (rc != -EAGAIN)
            return rc;
    }
    for (;;) {
        snap = weft__ec_prepare(&q->not_empty);
        rc = get_once(q, item, true);
        if (rc != -EAGAIN) {
            weft__ec_cancel(&q->not_empty);
            return rc;
        }
        w = weft__ec_wait(&q->not_empty, snap, deadline);
        weft__ec_cancel(&q->not_empty);
        if (w == -ETIMEDOUT) {
            rc = get_once(q, item, true);
            return rc == -EAGAIN ? -ETIMEDOUT : rc;
        }
    }
}

int
weft__qlanes_try_get(weft_queue_t *wq, void **item)
{
    return get_once((struct weft_qlanes *)wq, item, true);
}

/* ---- task_done / join ----------------------------------------------- */

/* [Q4] the items ever put: the sum of the lanes' counts. */
static uint64_t
total_puts(const struct weft_qlanes *q, memory_order mo)
{
    uint64_t p = 0;

    for (unsigned i = 0; i < Q_LANES; i++)
        p += atomic_load_explicit(&q->lanes[i].puts, mo);
    return p;
}

static bool
all_done(struct weft_qlanes *q)
{
    /* [Q4] seq_cst: done first (it never exceeds puts), then puts; the
     * joiner's half of the handshake with task_done. */
    uint64_t d = atomic_load_explicit(&q->done, memory_order_seq_cst);
    return d >= total_puts(q, memory_order_seq_cst);
}

int
weft__qlanes_task_done(weft_queue_t *wq)
{
    struct weft_qlanes *q = (struct weft_qlanes *)wq;
    uint64_t d, p;

    /* relaxed: the CAS below orders. */
    d = atomic_load_explicit(&q->done, memory_order_relaxed);
    /* [Q4] relaxed: a lower bound (puts only grow); it lets task_done
     * read the producers' lines only when done catches up with it, not
     * once per item (each read takes a line the producer writes). */
    p = atomic_load_explicit(&q->puts_seen, memory_order_relaxed);
    do {
        if (d >= p) {
            /* relaxed: the get of the item being marked done already
             * ordered its put (and its lane's puts increment) before us
             * ([Q1]). */
            p = total_puts(q, memory_order_relaxed);
            if (d >= p)
                return -EOVERFLOW;
            /* relaxed: a racing older value is a lower bound too. */
            atomic_store_explicit(&q->puts_seen, p, memory_order_relaxed);
        }
        WEFT_CHAOS_POINT();
        if (WEFT_MUTANT(11)) {
            /* MUTANT 11: [Q4] no CAS; concurrent task_dones lose counts. */
            atomic_store_explicit(&q->done, d + 1, memory_order_seq_cst);
            break;
        }
        /* [Q4] seq_cst: release of the processing to join(), and the
         * task_done half of the handshake. */
    } while (!atomic_compare_exchange_weak_explicit(
        &q->done, &d, d + 1, memory_order_seq_cst, memory_order_relaxed));
    /* p may be below the real count: a superset of the wake-ups needed. */
    if (d + 1 >= p)
        weft__ec_signal(&q->joined, INT_MAX);
    return 0;
}

int
weft__qlanes_join(weft_queue_t *wq, weft_deadline_t deadline)
{
    struct weft_qlanes *q = (struct weft_qlanes *)wq;
    uint32_t snap;
    int w;

    for (;;) {
        if (all_done(q))
            return 0;
        if (deadline == WEFT_DEADLINE_POLL)
            return -ETIMEDOUT;
        snap = weft__ec_prepare(&q->joined);
        if (all_done(q)) {
            weft__ec_cancel(&q->joined);
            return 0;
        }
        w = weft__ec_wait(&q->joined, snap, deadline);
        weft__ec_cancel(&q->joined);
        if (w == -ETIMEDOUT)
            return all_done(q) ? 0 : -ETIMEDOUT;
    }
}

/* ---- shutdown and snapshots ----------------------------------------- */

int
weft__qlanes_shutdown(weft_queue_t *wq, unsigned flags)
{
    struct weft_qlanes *q = (struct weft_qlanes *)wq;
    struct qthr *me = self_thr();
    uint64_t dropped = 0;
    void *item;
    int how;

    /* [Q3] seq_cst: before the sweep; puts read it under their lock. */
    atomic_fetch_or_explicit(&q->state, Q_CLOSED, memory_order_seq_cst);
    /* The sweep: every put that missed CLOSED has finished after it. */
    for (unsigned i = 0; i < Q_LANES; i++) {
        how = blk_enter(&q->lanes[i].plock, me, false);
        blk_exit(&q->lanes[i].plock, me, how, false);
    }
    /* [Q3] seq_cst (a release): the sweep before a consumer's acquire of
     * SWEPT in [Q2]. */
    atomic_fetch_or_explicit(&q->state, Q_SWEPT, memory_order_seq_cst);
    if (flags & WEFT_QUEUE_SHUTDOWN_IMMEDIATE) {
        for (unsigned i = 0; i < Q_LANES; i++) {
            struct lane *ln = &q->lanes[i];

            if (lane_size(ln) == 0)
                continue;
            how = blk_enter(&ln->clock, me, false);
            while (
                weft__ring_dequeue_spsc_cached(&ln->ring, &ln->p_seen, &item))
                dropped++;
            blk_exit(&ln->clock, me, how, false);
        }
        if (dropped > 0) {
            /* [Q4] seq_cst: as task_done, for every dropped item. */
            atomic_fetch_add_explicit(&q->done, dropped, memory_order_seq_cst);
        }
        /* [Q3] seq_cst: after the drain; gets then fail at once. */
        atomic_fetch_or_explicit(&q->state, Q_DRAINED, memory_order_seq_cst);
    }
    weft__ec_signal(&q->joined, INT_MAX);
    weft__ec_signal(&q->not_full, INT_MAX);
    weft__ec_signal(&q->not_empty, INT_MAX);
    return 0;
}

size_t
weft__qlanes_len(const weft_queue_t *wq)
{
    const struct weft_qlanes *q = (const struct weft_qlanes *)wq;
    size_t n = fifo_len(q);

    /* per-lane snapshots of different instants may add up past cap */
    return n < q->cap ? n : q->cap;
}

size_t
weft__qlanes_capacity(const weft_queue_t *wq)
{
    return ((const struct weft_qlanes *)wq)->cap;
}

bool
weft__qlanes_is_shutdown(const weft_queue_t *wq)
{
    /* relaxed: a snapshot. */
    return (atomic_load_explicit(&((const struct weft_qlanes *)wq)->state,
                                 memory_order_relaxed) &
            Q_CLOSED) != 0;
}
