/* SPDX-License-Identifier: MIT */
/*
 * counter.c - slow paths of the sharded counter (thread ids, slot chunks,
 * aggregation) and the plain atomic counter. The fast path is inline in
 * include/weft/counter.h.
 *
 * Concurrency protocol.
 * Every thread that adds to any counter owns a dense id in [1, MAX_THREADS]
 * (TLS weft_counter_private_tid); slot `id` of every counter has that thread
 * as its only writer, so an add is a relaxed load + relaxed store.
 * [C1] id hand-over: a thread's ids return to the free stack at thread exit
 *      (pthread key destructor) under id_lock; the next thread takes it
 *      under id_lock. The mutex orders the old owner's last slot stores
 *      before the new owner's first load: slot values carry over, nothing
 *      is lost, memory is reused rather than leaked.
 * [C2] chunk publication: a zeroed chunk is installed with a release CAS;
 *      the fast path's acquire load of chunks[] pairs with it. A losing
 *      CAS frees its own chunk (never published).
 * [C3] read/reset: relaxed loads of every slot, the shared overflow slot
 *      and the offset. Exact only once writers are quiescent (their
 *      completion must happen-before the read, e.g. pthread_join).
 * [C4] last pair: weft_counter_private_last is a (counter, slot) pair
 *      of this thread's, written by it after [C2] (so the chunk is visible
 *      to it) and read by it alone, except that [C5] may clear counter.
 *      slot is plain; counter is a relaxed atomic because of [C5].
 * [C5] last-pair invalidation: every thread holding an id registers its
 *      last.counter in last_of[id] (under id_lock). weft_counter_destroy()
 *      CASes each registered entry equal to c to NULL under id_lock before
 *      freeing c. relaxed suffices: the free and the reuse of the address
 *      (allocator, then the creator's hand-over to the adding thread) order
 *      the CAS before that thread's inline load. A CAS that loses to the
 *      owner storing another counter leaves that entry alone.
 *      id_release() unregisters under id_lock before the thread empties its
 *      own pair [C1]: no destroyer touches it after, and no thread writes
 *      a slot it no longer owns.
 */
#include <pthread.h>
#include <string.h>

#include <weft/counter.h>

#include "atomics.h"
#include "internal.h"
#include "mutate.h"

_Static_assert(sizeof(struct weft_counter_slot) == 128, "slot is 2 lines");
_Static_assert(sizeof(_Atomic int64_t) == sizeof(int64_t) &&
                   _Alignof(_Atomic int64_t) == _Alignof(int64_t),
               "weft_atomic_t has the same layout in C and C++");
_Static_assert(WEFT_COUNTER_MAX_THREADS < UINT32_MAX, "ids fit uint32_t");

WEFT_API __thread uint32_t weft_counter_private_tid
    __attribute__((tls_model("initial-exec")));
WEFT_API __thread struct weft_counter_last weft_counter_private_last
    __attribute__((tls_model("initial-exec")));
/* 1 once this thread found no free id: it then uses the overflow slot. */
static __thread uint8_t tid_exhausted
    __attribute__((tls_model("initial-exec")));

static pthread_mutex_t id_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t id_free[WEFT_COUNTER_MAX_THREADS]; /* guarded by id_lock */
static uint32_t id_nfree;                          /* guarded by id_lock */
static uint32_t id_next = 1;                       /* guarded by id_lock */
/* [C5] each id's holder's last.counter; guarded by id_lock. */
static _Atomic(weft_counter_t *) *last_of[WEFT_COUNTER_MAX_THREADS + 1];

void
weft__counter_fork(enum weft__fork_phase phase)
{
    if (phase == WEFT__FORK_PREPARE)
        pthread_mutex_lock(&id_lock);
    else
        pthread_mutex_unlock(&id_lock); /* the forking thread holds it */
}
static pthread_key_t id_key;
static pthread_once_t id_once = PTHREAD_ONCE_INIT;
static int id_key_ok;

static void
id_release(void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;

    WEFT_CHAOS_POINT();
    /* MUTANT 31: [C1] no id_lock; the next owner of the id may not see
     * this thread's last slot stores (and the free stack races). */
    if (WEFT_MUTANT(31)) {
        id_free[id_nfree++] = id;
        weft_counter_private_tid = 0;
        return;
    }
    /* [C1] the unlock publishes this thread's last slot stores. */
    pthread_mutex_lock(&id_lock);
    last_of[id] = NULL; /* [C5] no destroyer touches our entry after */
    id_free[id_nfree++] = id;
    pthread_mutex_unlock(&id_lock);
    /* relaxed: [C5] unregistered above; only this thread accesses it now. */
    atomic_store_explicit(&weft_counter_private_last.counter, NULL,
                          memory_order_relaxed);
    weft_counter_private_last.slot = NULL;
    weft_counter_private_tid = 0;
}

static void
id_key_init(void)
{
    id_key_ok = pthread_key_create(&id_key, id_release) == 0;
}

/* The calling thread's id, allocating one; 0 when none is available. */
static uint32_t
id_get(void)
{
    uint32_t id = weft_counter_private_tid;

    if (id != 0 || tid_exhausted)
        return id;
    pthread_once(&id_once, id_key_init);
    if (!id_key_ok) {
        tid_exhausted = 1;
        return 0;
    }
    WEFT_CHAOS_POINT();
    /* [C1] lock acquires the previous owner's slot stores. */
    pthread_mutex_lock(&id_lock);
    if (id_nfree > 0)
        id = id_free[--id_nfree];
    else if (id_next <= WEFT_COUNTER_MAX_THREADS)
        id = id_next++;
    if (id != 0)
        last_of[id] = &weft_counter_private_last.counter; /* [C5] */
    pthread_mutex_unlock(&id_lock);
    if (id == 0 || pthread_setspecific(id_key, (void *)(uintptr_t)id) != 0) {
        if (id != 0)
            id_release((void *)(uintptr_t)id);
        tid_exhausted = 1;
        return 0;
    }
    weft_counter_private_tid = id;
    return id;
}

/* The chunk holding slot id, allocating it; NULL on allocation failure. */
static struct weft_counter_chunk *
chunk_get(weft_counter_t *c, uint32_t id)
{
    _Atomic(struct weft_counter_chunk *) *p =
        &c->chunks[id >> WEFT_COUNTER_CHUNK_SHIFT];
    struct weft_counter_chunk *ch, *expected = NULL;

    /* [C2] acquire: pairs with the release CAS below. */
    ch = atomic_load_explicit(p, memory_order_acquire);
    if (ch != NULL)
        return ch;
    ch = weft__aligned_alloc(WEFT_PAD_ALIGN, sizeof(*ch));
    if (ch == NULL)
        return NULL;
    memset(ch, 0, sizeof(*ch));
    WEFT_CHAOS_POINT();
    /* [C2] release: the zeroed chunk before the pointer; pairs with the
     * acquire loads here and in weft_counter_add(). acquire on failure:
     * we use the winner's chunk. */
    if (!atomic_compare_exchange_strong_explicit(
            p, &expected, ch, memory_order_acq_rel, memory_order_acquire)) {
        weft__free(ch);
        ch = expected;
    }
    return ch;
}

/* A first add: this thread has no id, or c no chunk for it yet. */
WEFT_API int
weft_counter_add_slow(weft_counter_t *c, int64_t delta)
{
    struct weft_counter_chunk *ch = NULL;
    _Atomic uint64_t *v;
    uint32_t id;
    uint64_t old;

    if (c == NULL)
        return -EINVAL;
    id = id_get();
    if (id != 0)
        ch = chunk_get(c, id);
    if (ch == NULL) {
        /* relaxed: a statistics sum; [C3]. */
        atomic_fetch_add_explicit(&c->overflow, (uint64_t)delta,
                                  memory_order_relaxed);
        return 0;
    }
    v = &ch->slot[id & (WEFT_COUNTER_CHUNK - 1)].value;
    weft_counter_private_last.slot = v;
    /* relaxed: [C4]; a destroyer's CAS [C5] needs no ordering. */
    atomic_store_explicit(&weft_counter_private_last.counter, c,
                          memory_order_relaxed);
    /* relaxed: single writer (this thread owns id). */
    old = atomic_load_explicit(v, memory_order_relaxed);
    /* relaxed: single writer; [C3]. */
    atomic_store_explicit(v, old + (uint64_t)delta, memory_order_relaxed);
    return 0;
}

WEFT_API int
weft_counter_add_noinline(weft_counter_t *c, int64_t delta)
{
    return weft_counter_add(c, delta);
}

WEFT_API int
weft_counter_create(weft_counter_t **out)
{
    weft_counter_t *c;

    if (out == NULL)
        return -EINVAL;
    c = weft__aligned_alloc(WEFT_PAD_ALIGN, sizeof(*c));
    if (c == NULL)
        return -ENOMEM;
    for (unsigned i = 0; i < WEFT_COUNTER_MAX_CHUNKS; i++)
        atomic_init(&c->chunks[i], NULL);
    atomic_init(&c->overflow, 0);
    atomic_init(&c->offset, 0);
    *out = c;
    return 0;
}

WEFT_API void
weft_counter_destroy(weft_counter_t *c)
{
    if (c == NULL)
        return;
    /* [C5] empty every thread's inline entry for c before c is freed. */
    pthread_mutex_lock(&id_lock);
    for (uint32_t id = 1; id < id_next; id++) {
        weft_counter_t *expected = c;
        /* relaxed: [C5] the free below orders it; a loss is harmless. */
        if (last_of[id] != NULL)
            atomic_compare_exchange_strong_explicit(last_of[id], &expected,
                                                    NULL, memory_order_relaxed,
                                                    memory_order_relaxed);
    }
    pthread_mutex_unlock(&id_lock);
    for (unsigned i = 0; i < WEFT_COUNTER_MAX_CHUNKS; i++) {
        /* relaxed: the caller guarantees no concurrent use. */
        weft__free(atomic_load_explicit(&c->chunks[i], memory_order_relaxed));
    }
    weft__free(c);
}

/* Sum of the overflow slot and every slot: [C3]. */
static uint64_t
slot_sum(weft_counter_t *c)
{
    /* relaxed: [C3] statistics read. */
    uint64_t sum = atomic_load_explicit(&c->overflow, memory_order_relaxed);

    for (unsigned i = 0; i < WEFT_COUNTER_MAX_CHUNKS; i++) {
        /* acquire: pairs with the release CAS [C2] (chunk is zeroed). */
        struct weft_counter_chunk *ch =
            atomic_load_explicit(&c->chunks[i], memory_order_acquire);
        if (ch == NULL)
            continue;
        for (unsigned j = 0; j < WEFT_COUNTER_CHUNK; j++) {
            /* relaxed: [C3]. */
            sum +=
                atomic_load_explicit(&ch->slot[j].value, memory_order_relaxed);
        }
    }
    return sum;
}

WEFT_API int
weft_counter_read(weft_counter_t *c, int64_t *value)
{
    uint64_t sum;

    if (c == NULL || value == NULL)
        return -EINVAL;
    /* relaxed: [C3]. */
    sum = atomic_load_explicit(&c->offset, memory_order_relaxed);
    sum += slot_sum(c);
    memcpy(value, &sum, sizeof(*value)); /* modulo 2^64, no UB */
    return 0;
}

WEFT_API int
weft_counter_reset(weft_counter_t *c)
{
    if (c == NULL)
        return -EINVAL;
    /* relaxed: [C3]; read() adds offset back to the slot sum. */
    atomic_store_explicit(&c->offset, (uint64_t)0 - slot_sum(c),
                          memory_order_relaxed);
    return 0;
}

/* ---- plain atomic counter: seq_cst throughout (documented) ------------- */

WEFT_API int
weft_atomic_init(weft_atomic_t *a, int64_t value)
{
    if (a == NULL)
        return -EINVAL;
    atomic_init(&a->value, value);
    return 0;
}

WEFT_API int
weft_atomic_load(weft_atomic_t *a, int64_t *value)
{
    if (a == NULL || value == NULL)
        return -EINVAL;
    /* seq_cst: documented contract; pairs with every other operation. */
    *value = atomic_load_explicit(&a->value, memory_order_seq_cst);
    return 0;
}

WEFT_API int
weft_atomic_store(weft_atomic_t *a, int64_t value)
{
    if (a == NULL)
        return -EINVAL;
    /* seq_cst: documented contract. */
    atomic_store_explicit(&a->value, value, memory_order_seq_cst);
    return 0;
}

WEFT_API int
weft_atomic_add(weft_atomic_t *a, int64_t delta, int64_t *new_value)
{
    int64_t old;
    uint64_t sum;

    if (a == NULL)
        return -EINVAL;
    /* seq_cst: documented contract (atomic signed arithmetic wraps). */
    old = atomic_fetch_add_explicit(&a->value, delta, memory_order_seq_cst);
    if (new_value != NULL) {
        sum = (uint64_t)old + (uint64_t)delta;
        memcpy(new_value, &sum, sizeof(*new_value));
    }
    return 0;
}

WEFT_API int
weft_atomic_cas(weft_atomic_t *a, int64_t *expected, int64_t desired)
{
    if (a == NULL || expected == NULL)
        return -EINVAL;
    /* seq_cst on success and failure: documented contract. */
    if (atomic_compare_exchange_strong_explicit(&a->value, expected, desired,
                                                memory_order_seq_cst,
                                                memory_order_seq_cst))
        return 0;
    return -EAGAIN;
}
