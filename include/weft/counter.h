/* SPDX-License-Identifier: MIT */
/*
 * weft/counter.h - lock-free counters.
 *
 * weft_counter_t: a sharded statistics counter. An add touches only the
 * calling thread's own cache-line-padded slot, with a relaxed load and a
 * relaxed store (no read-modify-write, no shared cache line), so adds from
 * many threads scale like thread-private increments. A read sums the slots.
 * Use it for statistics (requests served, bytes sent) that many threads
 * bump and few read.
 *
 * weft_atomic_t: one shared 64-bit atomic, for when the caller needs the
 * value an add produced (Python's itertools.count / increment() returning
 * the new value). Every add is a read-modify-write on one cache line, so it
 * does not scale with threads; prefer weft_counter_t when the result of the
 * add is not needed.
 *
 * In C the add is an inline fast path; in C++ (where <stdatomic.h> and
 * _Atomic are not usable before C++23) the same functions call out of line.
 * The struct layouts below exist only for that fast path: they are private
 * and not ABI-stable before 1.0. Treat both types as opaque.
 *
 * Thread safety: every function may run concurrently on the same object
 * except create/init and destroy, which need sole use. None waits long (a
 * thread's first add and destroy take a short internal lock).
 * Context: any thread, weft tasks included.
 */
#ifndef WEFT_COUNTER_H
#define WEFT_COUNTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <weft/common.h>

#if !defined(__cplusplus) && !defined(WEFT_COUNTER_NO_INLINE)
#    include <stdatomic.h>
#    define WEFT_COUNTER_INLINE 1
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---- sharded counter ---------------------------------------------------- */

typedef struct weft_counter weft_counter_t;

/*
 * Private layout (for the inline fast path only). Each thread that uses
 * any counter gets a small dense id, reused after the thread exits; slot
 * `id` of every counter belongs to that thread alone. Slots come in chunks
 * of WEFT_COUNTER_CHUNK, allocated on a thread's first add. Threads beyond
 * WEFT_COUNTER_MAX_THREADS live at once share one atomic overflow slot
 * (correct, only slower).
 *
 * Each thread also keeps the (counter, slot address) pair of the counter
 * it added to last in weft_counter_private_last: the inline add compares
 * the counter pointer and bumps the slot. On a miss (another counter) it
 * finds the slot from its id and the counter's chunk and makes that pair
 * the last one; only a thread's first add (no id, or no chunk yet) goes
 * out of line. weft_counter_destroy() empties every thread's pair for the
 * counter it frees, so a counter later allocated at the same address
 * never matches a stale pair.
 */
#define WEFT_COUNTER_CHUNK_SHIFT 6
#define WEFT_COUNTER_CHUNK       (1u << WEFT_COUNTER_CHUNK_SHIFT)
#define WEFT_COUNTER_MAX_CHUNKS  64u
#define WEFT_COUNTER_MAX_THREADS \
    (WEFT_COUNTER_CHUNK * WEFT_COUNTER_MAX_CHUNKS - 1u)

#ifdef WEFT_COUNTER_INLINE
struct weft_counter_slot {
    /* 128: two cache lines, against adjacent-line prefetch. */
    _Alignas(128) _Atomic uint64_t value;
};
struct weft_counter_chunk {
    struct weft_counter_slot slot[WEFT_COUNTER_CHUNK];
};
struct weft_counter {
    _Atomic(struct weft_counter_chunk *) chunks[WEFT_COUNTER_MAX_CHUNKS];
    _Alignas(128) _Atomic uint64_t overflow;
    _Atomic uint64_t offset; /* minus the slot sum at the last reset */
};
/* A thread's last-used counter and its slot there; counter NULL: empty.
 * Only its thread writes slot; destroy may also clear counter. */
struct weft_counter_last {
    _Atomic(struct weft_counter *) counter;
    _Atomic uint64_t *slot;
};

/* The calling thread's dense id, 0 until its first add, and its last-used
 * counter (private; see above). */
#    ifdef WEFT_BUILDING
extern __thread uint32_t weft_counter_private_tid
    __attribute__((tls_model("initial-exec")));
extern __thread struct weft_counter_last weft_counter_private_last
    __attribute__((tls_model("initial-exec")));
#    else
extern __thread uint32_t weft_counter_private_tid;
extern __thread struct weft_counter_last weft_counter_private_last;
#    endif
#endif

/*
 * weft_counter_create() - a new counter reading 0.
 * Return: 0; -EINVAL (NULL out); -ENOMEM.
 * Ownership: on 0, *out must be passed to weft_counter_destroy() once.
 * Context: any thread.
 */
WEFT_API int weft_counter_create(weft_counter_t **out);

/*
 * weft_counter_destroy() - free a counter. NULL is ignored.
 * Thread safety: no other thread may use c during or after the call.
 * Cost: takes the short internal lock of a first add and visits one entry
 * per thread id in use (it forgets every thread's cached slot of c).
 */
WEFT_API void weft_counter_destroy(weft_counter_t *c);

/*
 * weft_counter_add_noinline() - weft_counter_add() out of line (what C++
 * and WEFT_COUNTER_NO_INLINE builds call). Same contract.
 * Return: as weft_counter_add().
 */
WEFT_API int weft_counter_add_noinline(weft_counter_t *c, int64_t delta);

/*
 * weft_counter_add() - add delta (may be negative) to c.
 * Return: 0; -EINVAL (NULL c). Never fails otherwise: a thread's first add
 * to a counter may allocate, and if that allocation fails the add goes to
 * the shared overflow slot instead.
 * Ordering: relaxed; an add synchronises with nothing. Arithmetic wraps
 * modulo 2^64.
 * Thread safety: any number of threads, concurrently with reads and
 * resets. Context: any thread, including weft tasks; never blocks (the
 * first add by a new thread takes a short internal lock).
 */
#ifdef WEFT_COUNTER_INLINE
WEFT_API int weft_counter_add_slow(weft_counter_t *c, int64_t delta);

/* always_inline: a call would cost more than the add (gcc does not inline
 * into code it thinks runs once, such as main). */
static inline __attribute__((always_inline)) int
weft_counter_add(weft_counter_t *c, int64_t delta)
{
    _Atomic uint64_t *v;
    uint64_t old;

    /* relaxed: a pointer compare; a destroy that clears the pair
     * happens-before any add to a counter reusing the address (see
     * weft_counter_destroy()). slot is this thread's own (plain). */
    if (__builtin_expect(
            atomic_load_explicit(&weft_counter_private_last.counter,
                                 memory_order_relaxed) == c &&
                c != NULL,
            1)) {
        v = weft_counter_private_last.slot;
    } else {
        uint32_t id = weft_counter_private_tid;
        struct weft_counter_chunk *ch;

        if (__builtin_expect(c == NULL || id == 0, 0))
            return weft_counter_add_slow(c, delta);
        /* acquire: the chunk was zeroed before its release CAS in
         * counter.c. */
        ch = atomic_load_explicit(&c->chunks[id >> WEFT_COUNTER_CHUNK_SHIFT],
                                  memory_order_acquire);
        if (__builtin_expect(ch == NULL, 0))
            return weft_counter_add_slow(c, delta);
        v = &ch->slot[id & (WEFT_COUNTER_CHUNK - 1)].value;
        weft_counter_private_last.slot = v;
        /* relaxed: see above; a destroyer may CAS it to NULL. */
        atomic_store_explicit(&weft_counter_private_last.counter, c,
                              memory_order_relaxed);
    }
    /* relaxed: this thread is the slot's only writer, so a load + store
     * cannot lose an update and needs no read-modify-write; readers sum
     * with relaxed loads and see the old or the new value (no tearing). */
    old = atomic_load_explicit(v, memory_order_relaxed);
    /* relaxed: as above. */
    atomic_store_explicit(v, old + (uint64_t)delta, memory_order_relaxed);
    return 0;
}
#else
static inline int
weft_counter_add(weft_counter_t *c, int64_t delta)
{
    return weft_counter_add_noinline(c, delta);
}
#endif

/* weft_counter_inc() - weft_counter_add(c, 1). */
static inline int
weft_counter_inc(weft_counter_t *c)
{
    return weft_counter_add(c, 1);
}

/*
 * weft_counter_read() - the sum of every add since creation or the last
 * reset, into *value.
 * Return: 0; -EINVAL (NULL c or value).
 * Ordering: relaxed. The result is a consistent snapshot only when writers
 * are quiescent (e.g. after joining them, or once a weft future that did
 * the adds completed); while adds run concurrently it lies between the
 * sums before and after the call but need not equal any instant's value.
 * Cost: one load per slot chunk in use (64 slots each).
 * Context: any thread.
 */
WEFT_API int weft_counter_read(weft_counter_t *c, int64_t *value);

/*
 * weft_counter_reset() - make the counter read 0.
 * Return: 0; -EINVAL (NULL c).
 * Ordering: exact when writers are quiescent; adds that run concurrently
 * with a reset may or may not be counted after it (each one is counted at
 * most once). Concurrent resets are allowed.
 * Context: any thread.
 */
WEFT_API int weft_counter_reset(weft_counter_t *c);

/* ---- plain atomic counter ----------------------------------------------- */

/*
 * A caller-embedded 64-bit atomic: initialise with weft_atomic_init() (or
 * WEFT_ATOMIC_INIT(v) as a static initialiser in C). No fini is needed.
 * Layout is private.
 */
#ifdef WEFT_COUNTER_INLINE
typedef struct weft_atomic {
    _Atomic int64_t value;
} weft_atomic_t;
#    define WEFT_ATOMIC_INIT(v) \
        {                       \
            (v)                 \
        }
#else
typedef struct weft_atomic {
    int64_t weft_private; /* same size and alignment as _Atomic int64_t */
} weft_atomic_t;
#endif

/*
 * weft_atomic_init() - set *a to value; not atomic (before sharing a).
 * weft_atomic_load() / weft_atomic_store() - read or write the value.
 * weft_atomic_add() - add delta and put the new value in *new_value (may
 *   be NULL); wraps modulo 2^64.
 * weft_atomic_cas() - if *a equals *expected, store desired and return 0;
 *   otherwise put the current value in *expected and return -EAGAIN.
 * Return: 0; -EINVAL (NULL a, value or expected); -EAGAIN (cas only).
 * Ordering: every operation is sequentially consistent.
 * Thread safety: any number of threads (init excepted). Context: any.
 */
WEFT_API int weft_atomic_init(weft_atomic_t *a, int64_t value);
WEFT_API int weft_atomic_load(weft_atomic_t *a, int64_t *value);
WEFT_API int weft_atomic_store(weft_atomic_t *a, int64_t value);
WEFT_API int weft_atomic_add(weft_atomic_t *a, int64_t delta,
                             int64_t *new_value);
WEFT_API int weft_atomic_cas(weft_atomic_t *a, int64_t *expected,
                             int64_t desired);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_COUNTER_H */
