/* SPDX-License-Identifier: MIT */
/*
 * fcache.c - memory for future objects (future.c): per-thread free lists
 * over 2 MiB chunks, so the submit/complete/release cycle makes no
 * malloc/free call in its steady state, and a burst of many live futures
 * is carved from a few chunks (on transparent huge pages where the system
 * allows it) instead of one heap block each and, at first touch, one page
 * fault per 64 futures.
 *
 * A thread allocates from its own free list, else bumps through its
 * current chunk, else takes a new one. A chunk is aligned to its size, so
 * an object finds its chunk by masking its address. A freed object goes
 * onto the freeing thread's list (whichever chunk it is from); past
 * FREE_MAX it is returned to its chunk instead, and a chunk is empty once
 * all its objects are back. An empty chunk goes to the process's stock of
 * at most STOCK_MAX chunks (2 MiB each), where the next refill, on any
 * thread, takes it: a steady stream of futures larger than the free
 * lists reuses memory already mapped and touched, instead of a fresh
 * mapping each time (mmap, the kernel zeroing a page at first touch,
 * munmap with its TLB shootdown). Past STOCK_MAX an empty chunk is freed,
 * so the memory kept beyond the live futures stays bounded. A thread that
 * exits returns everything it holds (pthread key destructor).
 *
 * Concurrency protocol (only the chunk counts are shared):
 * [C1] a chunk's live count starts at its number of slots. Every slot
 *      returned subtracts one, and its owner subtracts the slots it never
 *      handed out when it retires the chunk. acq_rel: every use of every
 *      slot (each ordered before its return's release) happens-before the
 *      free by whoever takes the count to 0. The owner touches the chunk
 *      only while it still has slots to hand out, so live > 0 meanwhile.
 * [C2] returns are batched per chunk (consecutive frees of one chunk's
 *      objects, the common case, cost one RMW per run): the pending count
 *      is subtracted before the thread returns anything else or exits.
 * [C3] the stock is STOCK_MAX slots, each NULL or an empty chunk. The
 *      thread that took a chunk's count to 0 owns it and puts it into a
 *      NULL slot with a CAS (release: every use of the chunk before it,
 *      [C1] having made them its own); a refill takes one by exchanging a
 *      full slot with NULL (acquire, pairs with it). An exchange hands a
 *      chunk to exactly one taker, and a slot holds a chunk or nothing, so
 *      there is no ABA case (unlike a linked stack). Lock-free: no lock to
 *      hold across fork().
 * Free lists, bump pointers and batches are thread-local.
 *
 * Under AddressSanitizer every object is its own heap block (no cache), so
 * ASan still catches a use after the last release and LSan a leak.
 */
#include "fcache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>

#ifndef WEFT_FCACHE_BYPASS
#    define FREE_MAX    WEFT_FCACHE_FREE_MAX
#    define CHUNK_BYTES WEFT_FCACHE_CHUNK
#    define STOCK_MAX   WEFT_FCACHE_STOCK
#    define chunk       weft__chunk
#    define chunk_of    weft__chunk_of
#    define fc          weft__fc

__thread struct weft__fcache weft__fc;
static pthread_key_t fc_key;
static pthread_once_t fc_once = PTHREAD_ONCE_INIT;
static _Atomic(struct chunk *) stock[STOCK_MAX]; /* [C3] */

/* [C3] keep the empty chunk c (ours) for reuse, else free it. */
static void
stock_put(struct chunk *c)
{
    for (unsigned i = 0; i < STOCK_MAX; i++) {
        struct chunk *none = NULL;
        /* relaxed: a hint; the CAS below decides. */
        if (atomic_load_explicit(&stock[i], memory_order_relaxed) != NULL)
            continue;
        /* [C3] release: our ownership (and every use [C1] ordered before
         * it) passes to the taker; relaxed on failure: try the next. */
        if (atomic_compare_exchange_strong_explicit(&stock[i], &none, c,
                                                    memory_order_release,
                                                    memory_order_relaxed))
            return;
    }
    weft__free(c);
}

/* [C3] an empty chunk from the stock, now ours, or NULL. */
static struct chunk *
stock_take(void)
{
    for (unsigned i = 0; i < STOCK_MAX; i++) {
        struct chunk *c;
        /* relaxed: a hint; the exchange below decides. */
        if (atomic_load_explicit(&stock[i], memory_order_relaxed) == NULL)
            continue;
        /* [C3] acquire: pairs with the release CAS in stock_put(). */
        c = atomic_exchange_explicit(&stock[i], NULL, memory_order_acquire);
        if (c != NULL)
            return c;
    }
    return NULL;
}

unsigned
weft__fcache_stocked(void)
{
    unsigned n = 0;

    for (unsigned i = 0; i < STOCK_MAX; i++)
        /* relaxed: a snapshot for tests. */
        n += atomic_load_explicit(&stock[i], memory_order_relaxed) != NULL;
    return n;
}

static void
chunk_put(struct chunk *c, size_t n)
{
    /* [C1] acq_rel: our uses before the count drops; the last one owns
     * the empty chunk. */
    if (atomic_fetch_sub_explicit(&c->live, n, memory_order_acq_rel) == n)
        stock_put(c);
}

static void
ret_flush(void)
{
    if (fc.nret != 0)
        chunk_put(fc.ret, fc.nret);
    fc.ret = NULL;
    fc.nret = 0;
}

/* [C2] return obj to its chunk, batched. */
static void
ret_obj(void *obj)
{
    struct chunk *c = chunk_of(obj);

    if (c != fc.ret) {
        ret_flush();
        fc.ret = c;
    }
    fc.nret++;
}

/* [C1] the owner's share: the slots of cur it never handed out. */
static void
retire(void)
{
    struct chunk *c = fc.cur;

    fc.cur = NULL;
    if (c != NULL && fc.bump < fc.end)
        chunk_put(c, (size_t)(fc.end - fc.bump) / fc.slot);
    fc.bump = fc.end = NULL;
}

static void
fc_exit(void *unused)
{
    (void)unused;
    fc.state = 2; /* from now on nothing is kept (see below) */
    while (fc.free != NULL) {
        void *obj = fc.free;
        fc.free = *(void **)obj;
        ret_obj(obj);
    }
    fc.nfree = 0;
    ret_flush();
    retire();
}

static void
fc_key_init(void)
{
    pthread_key_create(&fc_key, fc_exit);
}

static void
arm(void)
{
    pthread_once(&fc_once, fc_key_init);
    pthread_setspecific(fc_key, &fc); /* any non-NULL value */
    fc.state = 1;
}

/* The slow path of weft__fcache_alloc(): a new chunk for this thread; NULL when
 * out of memory. */
void *
weft__fcache_refill(size_t size)
{
    struct chunk *c;
    size_t slots;
    char *slot;

    if (fc.slot == 0)
        fc.slot = (size + 7) & ~(size_t)7;
    WEFT_ASSERT(fc.slot == ((size + 7) & ~(size_t)7));
    if (fc.state == 0)
        arm();
    c = stock_take();
    if (c == NULL) {
        c = (struct chunk *)weft__aligned_alloc(CHUNK_BYTES, CHUNK_BYTES);
        if (c == NULL)
            return NULL;
#    ifdef MADV_HUGEPAGE
        /* A hint, from a thread's second chunk on (a thread that submits
         * a few futures keeps to 4 KiB pages): one fault for the whole
         * chunk where transparent huge pages are "madvise". */
        if (fc.nchunks > 0)
            (void)madvise(c, CHUNK_BYTES, MADV_HUGEPAGE);
#    endif
    }
    fc.nchunks++;
    /* Exiting (another destructor allocates): one slot, given back with
     * the object. */
    slots = fc.state == 2 ? 1 : (CHUNK_BYTES - sizeof(*c)) / fc.slot;
    /* relaxed: not shared until an object of it is. */
    atomic_store_explicit(&c->live, slots, memory_order_relaxed);
    retire(); /* cur is used up: nothing to give back */
    fc.cur = c;
    slot = (char *)c + sizeof(*c);
    fc.bump = slot + fc.slot;
    fc.end = slot + slots * fc.slot;
    return slot;
}

void
weft__fcache_free_slow(void *obj)
{
    if (fc.state == 0) {
        arm();
        weft__fcache_free(obj);
        return;
    }
    ret_obj(obj);
    if (fc.state == 2)
        ret_flush(); /* exiting: hold no batch */
}

#else
typedef int weft__fcache_bypassed; /* ISO C: no empty translation unit */
#endif /* WEFT_FCACHE_BYPASS */
