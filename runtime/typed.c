/* SPDX-License-Identifier: MIT */
/*
 * typed.c - typed fork-join tasks (weft/typed.h): per worker, a split deque
 * of descriptor slots, after Lace (van Dijk and van de Pol, Euro-Par 2014
 * workshops). The inline NAME_spawn()/NAME_sync() do the private cases;
 * everything else is here.
 *
 * Concurrency protocol. Slot indices: [tail, split) are shared (thieves
 * may take them, oldest first), [split, head) private to the owner, below
 * tail taken or free. tail and split live in one word, ts = tail |
 * split << 32: thieves change it only by a CAS of tail, the owner only by
 * RMWs of split, or by a store while nothing is shared. The owner keeps
 * split in dq.tt_split too; both agree except while tt_allstolen (every
 * shared slot was taken: ts has tail == split >= head, and dq.tt_lim is
 * tt_base so the next spawn comes here and starts over at head).
 * [Y1] publish (owner): the slots' plain writes, then a release RMW that
 *      raises split (MUTANT 82: relaxed)                       -> [Y2]
 * [Y2] steal (thief): acquire load of ts; if tail < split, an acq_rel CAS
 *      tail -> tail + 1 takes slot tail: one winner per index. The slot
 *      is read only after winning.
 * [Y3] shrink (owner, syncing slot i = head - 1 below its split): a CAS
 *      that lowers split to a value in [tail, i] when tail <= i (slot i is
 *      private again and runs here), else slot i was taken (then so was
 *      every shared slot: tt_allstolen). The CAS against [Y2]'s is what
 *      gives slot i to exactly one of them (MUTANT 81: load + store).
 * [Y4] a thief writes its bases (slot.cbase, slot.tbase), then
 *      release-stores slot.thief; the waiting owner's acquire load pairs,
 *      and it helps only with work spawned above those bases.
 * [Y5] the thief writes the result, then exchanges state to DONE
 *      (acq_rel); the owner's acquire load of DONE pairs, so the task's
 *      writes happen-before the sync returns. WAITER and the futex wake by
 *      address as in task.c [T3]. Then the owner resets thief and state
 *      (relaxed: nobody else uses the slot any more) and reuses the slot.
 * A thief finding nothing shared on a worker that has used typed tasks
 * sets WEFT_ALERT_SPLIT in its alert word (relaxed RMW: a request, not an
 * ordering); the owner's next spawn or sync takes the slow path, clears it
 * and publishes half of its private slots [Y1]. While a slot it waits for
 * is stolen, the owner keeps head above it (nothing spawned meanwhile can
 * reuse it).
 * Off the workers, a thread's typed spawns go to a stack of its own
 * (local_*, thread-local, never shared): its sync runs them there, so a
 * typed task's body is also correct as a plain call anywhere.
 * Overflow (ovf_*, thread-local, never shared): a spawn that finds the
 * thread's deque or stack full (WEFT_TYPED_DEPTH outstanding) takes a slot
 * of the thread's overflow stack (malloc'ed chunks) and runs the task at
 * once, in weft_typed_spawn_commit(); the result waits in that slot. Syncs
 * pair with spawns in LIFO order, and nothing leaves the full deque while
 * the overflow stack is not empty, so each sync pops the overflow stack
 * first (WEFT_TYPED_DONE). While it is not empty a worker keeps
 * WEFT_ALERT_TYPED_OVF set in its own alert word (relaxed RMWs: only this
 * thread acts on the bit), which sends the inline sync to the slow path;
 * the inline spawn goes there anyway (head == tt_lim == tt_end).
 */
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/mman.h>

#include <weft/typed.h>

#include "context.h"
#include "futex.h"
#include "joinwait.h"
#include "rcu.h"
#include "worker.h"

enum { TS_DONE = 1, TS_WAITER = 2, TS_EXTRA = 4 /* ctx holds a reference */ };

struct weft__tslot {
    _Atomic(struct weft__worker *) thief;
    void (*wrap)(struct weft_typed_slot *);
    struct weft__ctx *ctx;
    int64_t cbase;
    int32_t tbase;
    _Atomic uint32_t state;
    unsigned char data[24];
};
#define SAME_AT(f)                                          \
    _Static_assert(offsetof(struct weft__tslot, f) ==       \
                       offsetof(struct weft_typed_slot, f), \
                   "weft_typed_slot." #f " is out of date")
SAME_AT(thief);
SAME_AT(wrap);
SAME_AT(ctx);
SAME_AT(cbase);
SAME_AT(tbase);
SAME_AT(state);
SAME_AT(data);
_Static_assert(sizeof(struct weft__tslot) == 64 &&
                   sizeof(struct weft_typed_slot) == 64,
               "a typed slot is one cache line");

#define TS_PACK(tail, split) ((uint64_t)(tail) | (uint64_t)(split) << 32)
#define TS_TAIL(v)           ((uint32_t)(v))
#define TS_SPLIT(v)          ((uint32_t)((v) >> 32))

static inline uint32_t
slot_index(const struct weft__worker *w, const struct weft__tslot *s)
{
    return (uint32_t)(s - w->tt_base);
}

#define TYPED_MAP_LEN ((WEFT_TYPED_DEPTH + 1) * sizeof(struct weft__tslot))

/* A thread off the workers: its own stack of slots (mapped on its first
 * typed spawn, unmapped at its exit). */
static __thread struct weft__tslot *local_base, *local_head;
static pthread_key_t local_key;
static pthread_once_t local_once = PTHREAD_ONCE_INIT;
static int local_key_rc;

static void
local_free(void *base)
{
    munmap((struct weft__tslot *)base - 1, TYPED_MAP_LEN);
}

static void
local_key_init(void)
{
    local_key_rc = pthread_key_create(&local_key, local_free);
}

static struct weft__tslot *
typed_map(void)
{
    /* One guard slot below the base: a sync with nothing spawned computes
     * base - 1 and must still point into the mapping. Anonymous memory is
     * zero (thief NULL, state 0) and committed only where touched. */
    void *mem;

    if (weft__fault_point())
        return NULL;
    mem = mmap(NULL, TYPED_MAP_LEN, PROT_READ | PROT_WRITE,
               MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return mem == MAP_FAILED ? NULL : (struct weft__tslot *)mem + 1;
}

/* The overflow stack: chunks of slots, linked both ways; ovf_cur holds
 * the newest slot (ovf_n slots of it are used) and at most one chunk above
 * it is kept as a spare. The first chunk lives until the thread exits. */
#define OVF_CHUNK 1024u
struct ovf_chunk {
    struct ovf_chunk *prev, *next;
    struct weft__tslot slot[OVF_CHUNK];
};
static __thread struct ovf_chunk *ovf_cur;
static __thread unsigned ovf_n;
static __thread size_t ovf_depth;                /* slots in use */
static __thread struct weft_typed_slot *ovf_new; /* reserved, not run yet */
static pthread_key_t ovf_key;
static pthread_once_t ovf_once = PTHREAD_ONCE_INIT;
static int ovf_key_rc;

static void
ovf_free(void *first)
{
    struct ovf_chunk *c = first;

    while (c != NULL) {
        struct ovf_chunk *next = c->next;
        weft__free(c);
        c = next;
    }
}

static void
ovf_key_init(void)
{
    ovf_key_rc = pthread_key_create(&ovf_key, ovf_free);
}

/* A slot of the overflow stack for a spawn that found the deque full (self
 * NULL: off the workers), or NULL when no chunk can be allocated (nothing
 * changed then). */
static struct weft_typed_slot *
ovf_push(struct weft__worker *self)
{
    struct ovf_chunk *c = ovf_cur;

    if (c == NULL || ovf_n == OVF_CHUNK) {
        struct ovf_chunk *n = c != NULL ? c->next : NULL;
        if (n == NULL) {
            if (c == NULL) {
                pthread_once(&ovf_once, ovf_key_init);
                if (ovf_key_rc != 0)
                    return NULL;
            }
            n = (struct ovf_chunk *)weft__malloc(sizeof(*n));
            if (n == NULL)
                return NULL;
            n->prev = c;
            n->next = NULL;
            if (c == NULL && pthread_setspecific(ovf_key, n) != 0) {
                weft__free(n);
                return NULL;
            }
            if (c != NULL)
                c->next = n;
        }
        ovf_cur = c = n;
        ovf_n = 0;
    }
    if (ovf_depth++ == 0 && self != NULL)
        /* relaxed: only this thread acts on the bit (protocol block). */
        atomic_fetch_or_explicit(&self->dq.alert, WEFT_ALERT_TYPED_OVF,
                                 memory_order_relaxed);
    ovf_new = (struct weft_typed_slot *)(void *)&c->slot[ovf_n++];
    return ovf_new;
}

/* The newest overflow slot (ovf_depth > 0), popped; it stays readable
 * until the thread's next typed spawn. */
static struct weft_typed_slot *
ovf_pop(struct weft__worker *self)
{
    struct ovf_chunk *c = ovf_cur;
    struct weft__tslot *s = &c->slot[--ovf_n];

    if (ovf_n == 0 && c->prev != NULL) {
        /* Back to the chunk below; c stays as the spare, the one above
         * it goes (s is in c). */
        if (c->next != NULL) {
            weft__free(c->next);
            c->next = NULL;
        }
        ovf_cur = c->prev;
        ovf_n = OVF_CHUNK;
    }
    if (--ovf_depth == 0 && self != NULL)
        /* relaxed: as in ovf_push(). */
        atomic_fetch_and_explicit(&self->dq.alert,
                                  ~(uint64_t)WEFT_ALERT_TYPED_OVF,
                                  memory_order_relaxed);
    return (struct weft_typed_slot *)(void *)s;
}

static struct weft_typed_slot *
local_reserve(void)
{
    if (local_base == NULL) {
        struct weft__tslot *b;
        pthread_once(&local_once, local_key_init);
        if (local_key_rc != 0 || (b = typed_map()) == NULL)
            return NULL;
        if (pthread_setspecific(local_key, b) != 0) {
            local_free(b);
            return NULL;
        }
        local_base = local_head = b;
    }
    if (local_head >= local_base + WEFT_TYPED_DEPTH)
        return ovf_push(NULL);
    return (struct weft_typed_slot *)(void *)local_head++;
}

int
weft__typed_init(struct weft__worker *w)
{
    w->tt_base = typed_map();
    if (w->tt_base == NULL)
        return -ENOMEM;
    w->tt_end = w->tt_base + WEFT_TYPED_DEPTH;
    w->dq.tt_head = w->tt_base;
    w->dq.tt_split = w->tt_base;
    w->dq.tt_lim = w->tt_base; /* the first spawn comes here (tt_used) */
    w->tt_allstolen = false;
    /* relaxed: not shared yet; thread creation publishes it. */
    atomic_store_explicit(&w->tt_ts, 0, memory_order_relaxed);
    atomic_store_explicit(&w->tt_used, 0, memory_order_relaxed);
    return 0;
}

void
weft__typed_fini(struct weft__worker *w)
{
    if (w->tt_base != NULL)
        munmap(w->tt_base - 1, TYPED_MAP_LEN);
    w->tt_base = NULL;
}

/* [Y1] Owner: make the private slots below index `to` shared. */
static void
publish_to(struct weft__worker *self, uint32_t to)
{
    uint32_t split = slot_index(self, self->dq.tt_split);

    if (self->tt_allstolen || to <= split)
        return;
    if (WEFT_MUTANT(82))
        /* MUTANT 82: [Y1] relaxed; a thief may read the slot unwritten. */
        atomic_fetch_add_explicit(&self->tt_ts, (uint64_t)(to - split) << 32,
                                  memory_order_relaxed);
    else
        /* [Y1] release: the slots' writes before the new split; pairs with
         * the thieves' acquire [Y2]. No carry: tail <= split < 2^32. */
        atomic_fetch_add_explicit(&self->tt_ts, (uint64_t)(to - split) << 32,
                                  memory_order_release);
    self->dq.tt_split = self->tt_base + to;
}

/* Owner: answer a thief's request (WEFT_ALERT_SPLIT): half the private
 * slots become shared. */
void
weft__typed_grow(struct weft__worker *self)
{
    uint32_t head, split;

    /* relaxed: a request bit; a thief setting it again after this clear
     * brings us back here. */
    atomic_fetch_and_explicit(&self->dq.alert, ~(uint64_t)WEFT_ALERT_SPLIT,
                              memory_order_relaxed);
    if (self->tt_base == NULL)
        return;
    head = slot_index(self, self->dq.tt_head);
    split = slot_index(self, self->dq.tt_split);
    if (head > split)
        publish_to(self, split + (head - split + 1) / 2);
}

void
weft__typed_publish_all(struct weft__worker *self)
{
    publish_to(self, slot_index(self, self->dq.tt_head));
}

bool
weft__typed_maybe_shared(struct weft__worker *w)
{
    /* relaxed: a hint (park.c re-checks under its own protocol). */
    uint64_t v = atomic_load_explicit(&w->tt_ts, memory_order_relaxed);
    return TS_TAIL(v) < TS_SPLIT(v);
}

/* A thief runs slot s of owner (won by [Y2]). */
static void
run_stolen(struct weft__worker *self, struct weft__worker *owner,
           struct weft__tslot *s)
{
    struct weft__ctx_save saved;
    uint32_t st;

    s->cbase = weft__deque_bottom(&self->dq);
    s->tbase = (int32_t)slot_index(self, self->dq.tt_head);
    /* [Y4] release: the bases before thief; pairs with the owner's
     * acquire in weft__join_wait(). */
    atomic_store_explicit(&s->thief, self, memory_order_release);
    weft__stat_add(&self->stats, WEFT_ST_RUN, 1);
    /* relaxed: a statistic; RMW as several thieves may add. */
    atomic_fetch_add_explicit(&owner->stats.stolen_from, 1,
                              memory_order_relaxed);
    weft__trace(&self->trace, WEFT_EV_TASK_START, 0, (uintptr_t)s);
    /* relaxed: EXTRA was written before [Y1]; the owner only adds WAITER. */
    st = atomic_load_explicit(&s->state, memory_order_relaxed);
    weft__ctx_enter((st & TS_EXTRA) ? s->ctx : NULL, &saved);
    s->wrap((struct weft_typed_slot *)(void *)s);
    weft__ctx_leave(&saved);
    if (st & TS_EXTRA)
        weft__ctx_unref(s->ctx);
    weft__trace(&self->trace, WEFT_EV_TASK_END, 0, (uintptr_t)s);
    /* [Y5] acq_rel: publishes the result; reads WAITER set by the owner. */
    st = atomic_exchange_explicit(&s->state, TS_DONE, memory_order_acq_rel);
    if (st & TS_WAITER)
        weft__futex_wake(&s->state, INT_MAX);
}

enum weft__steal
weft__typed_steal(struct weft__worker *victim, int32_t min,
                  struct weft__tslot **out)
{
    uint64_t v;
    uint32_t tail;

    if (victim->tt_base == NULL)
        return WEFT_STEAL_EMPTY;
    /* [Y2] acquire: pairs with the owner's release [Y1]. */
    v = atomic_load_explicit(&victim->tt_ts, memory_order_acquire);
    tail = TS_TAIL(v);
    if (tail >= TS_SPLIT(v)) {
        /* relaxed (all three): a request, see the protocol block; only to
         * workers that use typed tasks, so that weft_task_t-only pools
         * never take their slow paths for it. */
        if (atomic_load_explicit(&victim->tt_used, memory_order_relaxed) &&
            !(atomic_load_explicit(&victim->dq.alert, memory_order_relaxed) &
              WEFT_ALERT_SPLIT))
            atomic_fetch_or_explicit(&victim->dq.alert, WEFT_ALERT_SPLIT,
                                     memory_order_relaxed);
        return WEFT_STEAL_EMPTY;
    }
    if ((int64_t)tail < (int64_t)min)
        return WEFT_STEAL_EMPTY;
    WEFT_CHAOS_POINT();
    /* [Y2] acq_rel: one winner per index among the thieves and the
     * owner's [Y3]; acquire pairs with [Y1] (the slot's contents). */
    if (!atomic_compare_exchange_strong_explicit(&victim->tt_ts, &v, v + 1,
                                                 memory_order_acq_rel,
                                                 memory_order_relaxed))
        return WEFT_STEAL_LOST;
    *out = victim->tt_base + tail;
    return WEFT_STEAL_OK;
}

void
weft__typed_run_stolen(struct weft__worker *self, struct weft__worker *owner,
                       struct weft__tslot *s)
{
    run_stolen(self, owner, s);
}

WEFT_API struct weft_typed_slot *
weft_typed_spawn_reserve(void)
{
    struct weft__worker *self = weft__self;
    struct weft_typed_slot *ps;
    struct weft__deque *dq;
    struct weft__tslot *s;

    if (self == NULL)
        return local_reserve();
    dq = &self->dq;
    /* relaxed: read by thieves as a hint only. */
    if (!atomic_load_explicit(&self->tt_used, memory_order_relaxed))
        atomic_store_explicit(&self->tt_used, 1, memory_order_relaxed);
    if (self->tt_allstolen) {
        /* Every slot below head was taken and has been synced: start over
         * at head with nothing shared. relaxed: with tail == split in the
         * old word, no thief's CAS can succeed on it; the next [Y1] RMW
         * publishes what follows. */
        uint32_t h = slot_index(self, dq->tt_head);
        atomic_store_explicit(&self->tt_ts, TS_PACK(h, h),
                              memory_order_relaxed);
        dq->tt_split = dq->tt_head;
        self->tt_allstolen = false;
        self->tt_share = true; /* thieves are about (Lace does so too) */
    }
    if (weft_unlikely(dq->tt_head >= self->tt_end)) {
        /* Full: an overflow slot (commit runs the task at once); tt_lim
         * stays at tt_end, so every spawn comes here meanwhile. */
        ps = ovf_push(self);
        if (ps == NULL)
            return NULL;
        weft__stat_add(&self->stats, WEFT_ST_TYPED_OVERFLOW, 1);
    } else {
        dq->tt_lim = self->tt_end;
        s = dq->tt_head++;
        ps = (struct weft_typed_slot *)(void *)s;
    }
#if WEFT_STATS
    /* relaxed (both): one writer; readers only need untorn values. */
    atomic_store_explicit(
        &dq->spawned,
        atomic_load_explicit(&dq->spawned, memory_order_relaxed) + 1,
        memory_order_relaxed);
#endif
    return ps;
}

/* A spawn that overflowed: run the task now, in the spawner's context
 * (the one it would have captured); its result stays in slot ps for the
 * matching sync. First answer thieves, as any spawn does. */
static void
ovf_run(struct weft__worker *self, struct weft_typed_slot *ps)
{
    uint64_t a;

    ovf_new = NULL;
    if (self != NULL) {
        weft__trace(&self->trace, WEFT_EV_SPAWN, 0, (uintptr_t)ps);
        /* relaxed: hints, as in weft_typed_spawn_commit(). */
        a = atomic_load_explicit(&self->dq.alert, memory_order_relaxed);
        if (a & WEFT_ALERT_SPLIT)
            weft__typed_grow(self);
        if (a & WEFT_ALERT_WAKE) {
            weft__typed_publish_all(self);
            weft__maybe_wake(self->pool);
            weft__alert_wake_check(self);
        }
        weft__trace(&self->trace, WEFT_EV_TASK_START, 0, (uintptr_t)ps);
    }
    ps->wrap(ps);
    if (self != NULL)
        weft__trace(&self->trace, WEFT_EV_TASK_END, 0, (uintptr_t)ps);
}

WEFT_API void
weft_typed_spawn_commit(struct weft_typed_slot *ps)
{
    struct weft__worker *self = weft__self;
    struct weft__tslot *s = (struct weft__tslot *)(void *)ps;
    struct weft__ctx *c;
    bool share;
    uint64_t a;

    if (s == NULL)
        return;
    if (weft_unlikely(ps == ovf_new)) {
        ovf_run(self, ps);
        return;
    }
    if (self == NULL)
        return; /* off a worker: nothing to publish */
    share = self->tt_share;
    self->tt_share = false;
    c = weft__ctx_capture();
    if (c != NULL) {
        /* Run in c wherever it runs: the sync must come here, so the slot
         * is shared (below the split) at once. relaxed: [Y1] below
         * publishes it. */
        s->ctx = c;
        atomic_store_explicit(&s->state, TS_EXTRA, memory_order_relaxed);
        share = true;
    }
    weft__trace(&self->trace, WEFT_EV_SPAWN, 0, (uintptr_t)s);
    /* relaxed: hints (weft_spawn() reads them the same way). */
    a = atomic_load_explicit(&self->dq.alert, memory_order_relaxed);
    if (a & WEFT_ALERT_SPLIT)
        weft__typed_grow(self);
    if (a & WEFT_ALERT_WAKE)
        share = true; /* idle workers: let them steal everything */
    if (share)
        weft__typed_publish_all(self);
    if (a & WEFT_ALERT_WAKE) {
        weft__maybe_wake(self->pool);
        weft__alert_wake_check(self);
    }
}

/* [Y3] Owner: slot s (the newest) is below the split. true: it is private
 * again (run it); false: it was taken (tt_allstolen now). */
static bool
shrink(struct weft__worker *self, struct weft__tslot *s)
{
    uint32_t i = slot_index(self, s), tail, ns;
    /* relaxed: the CAS below validates it. */
    uint64_t v = atomic_load_explicit(&self->tt_ts, memory_order_relaxed);

    for (;;) {
        tail = TS_TAIL(v);
        if (tail > i) {
            /* tail == split == i + 1: every shared slot was taken. */
            self->tt_allstolen = true;
            self->dq.tt_lim = self->tt_base;
            return false;
        }
        ns = tail + (i - tail + 1) / 2; /* in [tail, i] */
        if (WEFT_MUTANT(81)) {
            /* MUTANT 81: [Y3] a load and a store: a thief's CAS between
             * them is undone, and slot i runs twice. */
            WEFT_CHAOS_POINT();
            atomic_store_explicit(&self->tt_ts, TS_PACK(tail, ns),
                                  memory_order_relaxed);
            break;
        }
        WEFT_CHAOS_POINT();
        /* [Y3] relaxed: the CAS alone decides slot i against the thieves'
         * CAS [Y2]; nothing is published by lowering split. */
        if (atomic_compare_exchange_weak_explicit(
                &self->tt_ts, &v, TS_PACK(tail, ns), memory_order_relaxed,
                memory_order_relaxed))
            break;
    }
    self->dq.tt_split = self->tt_base + ns;
    return true;
}

/* May self help thief th with what it spawned under slot s? Runs one such
 * task if so. */
static bool
help(struct weft__worker *self, struct weft__worker *th, struct weft__tslot *s)
{
    struct weft__tslot *got;

    if (th == self || !weft__same_pool(self, th))
        return false;
    if (weft__typed_steal(th, s->tbase, &got) == WEFT_STEAL_OK) {
        weft__stat_add(&self->stats, WEFT_ST_STEALS, 1);
        weft__stat_add(&self->stats, WEFT_ST_STOLEN, 1);
        weft__stat_add(&self->stats, WEFT_ST_HELPS, 1);
        weft__trace(&self->trace, WEFT_EV_STEAL, th->id, 1);
        run_stolen(self, th, got);
        return true;
    }
    return weft__help_under(self, th, s->cbase);
}

/* [Y4] acquire: pairs with the thief's release of thief. One round of
 * help with what s's thief spawned (leapfrogging, joinwait.h). */
static bool
help_thief(struct weft__worker *self, void *child)
{
    struct weft__tslot *s = child;
    struct weft__worker *th =
        atomic_load_explicit(&s->thief, memory_order_acquire);

    return th != NULL && help(self, th, s);
}

WEFT_API int
weft_typed_sync_slow(struct weft_typed_slot **ps, uintptr_t save[3])
{
    struct weft__worker *self = weft__self;
    struct weft__tslot *s;
    struct weft__ctx_save saved;
    struct weft__deque *dq;
    uint32_t st;
    uint64_t a;

    if (ps == NULL)
        return WEFT_TYPED_NONE;
    if (weft_unlikely(ovf_depth != 0)) {
        /* The newest spawn overflowed: it ran, its result is here. */
        *ps = ovf_pop(self);
        return WEFT_TYPED_DONE;
    }
    if (self == NULL) {
        /* Off a worker: the thread's own newest slot, run here. */
        if (local_head == NULL || local_head == local_base)
            return WEFT_TYPED_NONE;
        *ps = (struct weft_typed_slot *)(void *)--local_head;
        return WEFT_TYPED_RUN;
    }
    s = (struct weft__tslot *)(void *)*ps;
    if (s == NULL || self->tt_base == NULL || s < self->tt_base ||
        s >= self->tt_end)
        return WEFT_TYPED_NONE;
    dq = &self->dq;
    /* relaxed: hints, as in the inline sync. */
    a = atomic_load_explicit(&dq->alert, memory_order_relaxed);
    if (a & WEFT_ALERT_SPLIT)
        weft__typed_grow(self);
    if (s < dq->tt_split && (self->tt_allstolen || !shrink(self, s))) {
        /* Taken by a thief. head stays above s while we wait and help, so
         * nothing spawned meanwhile reuses s; after it, every slot below s
         * is still taken (tt_allstolen). */
        weft__join_wait(self, &s->state, TS_DONE, TS_WAITER, help_thief, s);
        /* relaxed: the thief is done with s (after [Y5]). */
        atomic_store_explicit(&s->thief, NULL, memory_order_relaxed);
        atomic_store_explicit(&s->state, 0, memory_order_relaxed);
        dq->tt_head = s;
        self->tt_allstolen = true;
        dq->tt_lim = self->tt_base;
        return WEFT_TYPED_DONE;
    }
    dq->tt_head = s;
    /* relaxed: private to the owner now. */
    st = atomic_load_explicit(&s->state, memory_order_relaxed);
    if (!(st & TS_EXTRA) && !(a & (WEFT_ALERT_TRACE | WEFT_ALERT_CTX)))
        return WEFT_TYPED_RUN;
    weft__trace(&self->trace, WEFT_EV_TASK_START, 0, (uintptr_t)s);
    weft__ctx_enter((st & TS_EXTRA) ? s->ctx : NULL, &saved);
    save[0] = (uintptr_t)saved.ctx;
    save[1] = saved.owned;
    /* The slot is free from here on (the task's own spawns reuse it):
     * keep the captured reference in save, not in the slot. relaxed:
     * private to the owner. */
    save[2] = (st & TS_EXTRA) ? (uintptr_t)s->ctx : 0;
    if (st & TS_EXTRA)
        atomic_store_explicit(&s->state, 0, memory_order_relaxed);
    return WEFT_TYPED_RUN_HOOK;
}

WEFT_API void
weft_typed_ran(struct weft_typed_slot *ps, uintptr_t save[3])
{
    struct weft__worker *self = weft__self;
    struct weft__tslot *s = (struct weft__tslot *)(void *)ps;
    struct weft__ctx_save saved;

    if (self == NULL || s == NULL)
        return;
    /* s only names the task here: the slot may hold another one now. */
    saved.ctx = (struct weft__ctx *)save[0];
    saved.owned = save[1] != 0;
    weft__ctx_leave(&saved);
    weft__ctx_unref((struct weft__ctx *)save[2]);
    weft__trace(&self->trace, WEFT_EV_TASK_END, 0, (uintptr_t)s);
}
