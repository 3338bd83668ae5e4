/* SPDX-License-Identifier: MIT */
/*
 * fcache.h - memory for future objects (fcache.c has the design and the
 * protocol): the inlined fast paths, a pop from this thread's free list or
 * a bump through its current chunk, and a push back on free. Private to
 * future.c, fcache.c and waitset.c (whose entries are the size of a
 * future, so they share the same per-thread cache and chunks).
 */
#ifndef WEFT_FCACHE_H
#define WEFT_FCACHE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "atomics.h"
#include "internal.h"

/* The one object size: a future (future.c) or a waitset entry (waitset.c),
 * each asserted to fit. */
#define WEFT_FCACHE_OBJ 64

/* Under AddressSanitizer every object is its own heap block (no cache). */
#if defined(__SANITIZE_ADDRESS__)
#    define WEFT_FCACHE_BYPASS 1
#elif defined(__has_feature)
#    if __has_feature(address_sanitizer)
#        define WEFT_FCACHE_BYPASS 1
#    endif
#endif

#ifdef WEFT_FCACHE_BYPASS
/* size bytes, 8-byte aligned, or NULL when out of memory. */
static inline void *
weft__fcache_alloc(size_t size)
{
    return weft__malloc(size);
}

/* Take back an object of weft__fcache_alloc(), on any thread. */
static inline void
weft__fcache_free(void *obj)
{
    weft__free(obj);
}
#else
#    define WEFT_FCACHE_FREE_MAX 1024u /* objects a thread keeps for reuse */
#    define WEFT_FCACHE_CHUNK    ((size_t)2 << 20) /* aligned to its size */
/* Empty chunks kept for reuse (fcache.c [C3]), at most: 128 MiB, a burst
 * of a million pending futures each in a waitset (an entry is an object
 * too: 2 per future). With 64 MiB, every such burst past the first mapped
 * and zeroed 30 fresh chunks (the kernel's huge-page clear on the adding
 * thread, about 55 ns per future). Memory is kept only after a burst that
 * large has happened. */
#    define WEFT_FCACHE_STOCK    64u

struct weft__chunk {
    /* [C1]; a line of its own: returners write it, the owner bumps on. */
    _Alignas(WEFT_CACHELINE) _Atomic size_t live;
};

/* Per thread; only its thread touches it. */
struct weft__fcache {
    void *free; /* free objects, linked through their first word */
    unsigned nfree;
    int state;  /* 0 fresh, 1 destructor armed, 2 thread exiting */
    char *bump; /* next unused slot of cur */
    char *end;
    struct weft__chunk *cur;
    size_t slot;             /* object bytes (one size per process) */
    unsigned nchunks;        /* taken by this thread so far */
    struct weft__chunk *ret; /* [C2] a pending batch of returns */
    size_t nret;
};

extern __thread struct weft__fcache weft__fc
    __attribute__((tls_model("initial-exec")));

void *weft__fcache_refill(size_t size);
void weft__fcache_free_slow(void *obj);
/* Empty chunks in the stock now (tests): 0 .. WEFT_FCACHE_STOCK. */
unsigned weft__fcache_stocked(void);

/* Chunks are aligned to their size: an object's chunk is its address
 * rounded down, so objects carry no header. */
static inline struct weft__chunk *
weft__chunk_of(void *obj)
{
    return (struct weft__chunk *)((uintptr_t)obj &
                                  ~(uintptr_t)(WEFT_FCACHE_CHUNK - 1));
}

/* size bytes, 8-byte aligned (one size per process), or NULL when out of
 * memory. */
static inline void *
weft__fcache_alloc(size_t size)
{
    struct weft__fcache *fc = &weft__fc;
    void *obj = fc->free;

    if (weft_likely(obj != NULL)) {
        fc->free = *(void **)obj;
        fc->nfree--;
        return obj;
    }
    if (weft_likely(fc->bump != fc->end)) {
        obj = fc->bump;
        fc->bump += fc->slot;
        /* Fresh lines: ask for one a few slots ahead (for writing), so a
         * burst of submits does not stall on each. A hint: past the end
         * of the chunk it is dropped, never faults. */
        __builtin_prefetch(fc->bump + 4 * fc->slot, 1, 3);
        return obj;
    }
    return weft__fcache_refill(size);
}

/* Take back an object of weft__fcache_alloc(), on any thread. */
static inline void
weft__fcache_free(void *obj)
{
    struct weft__fcache *fc = &weft__fc;

    if (weft_likely(fc->state == 1)) {
        if (weft_likely(fc->nfree < WEFT_FCACHE_FREE_MAX)) {
            *(void **)obj = fc->free;
            fc->free = obj;
            fc->nfree++;
            return;
        }
        if (weft_likely(weft__chunk_of(obj) == fc->ret)) {
            fc->nret++; /* [C2] the current batch */
            return;
        }
    }
    weft__fcache_free_slow(obj);
}
#endif /* WEFT_FCACHE_BYPASS */

#endif /* WEFT_FCACHE_H */
