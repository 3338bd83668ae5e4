/* SPDX-License-Identifier: MIT */
/*
 * map.c - weft_map_*: a thin layer over liburcu's cds_lfht (QSBR flavour).
 *
 * Concurrency protocol.
 * [M1] publish: a node is fully written (key, value, lengths), then
 *      released to TSan, then linked by cds_lfht_add_* / cds_lfht_replace,
 *      which issue full barriers before their commit (liburcu's
 *      rcu_assign_pointer). Pairs with [M2].
 * [M2] subscribe: readers reach nodes only through cds_lfht_lookup /
 *      iteration (liburcu's rcu_dereference) and TSan-acquire a node at
 *      its first dereference: in the match callbacks (lookup calls them
 *      on nodes it never returns) and after lookup/iteration.
 * [M3] values longer than INPLACE_MAX bytes are immutable once published:
 *      an update links a new node (copy-on-write). Keys are immutable.
 * [M4] retire: a node unlinked by cds_lfht_del / replace is handed to
 *      call_rcu from inside the read section; the callback runs after a
 *      grace period, when no reader can hold it (rcu.c [R1]-[R3]), and
 *      TSan-acquires the grace-period token and the node first.
 * [M5] compute is a read-compute-CAS loop: cds_lfht_replace / del fail
 *      with -ENOENT when the node seen was unlinked meanwhile, and
 *      cds_lfht_add_unique returns the winner when a node appeared: then
 *      the loop retries, so updates of one key are linearisable.
 * [M6] destroy: unlink and retire all, rcu_barrier (every callback done),
 *      then cds_lfht_destroy on the empty table.
 * [M7] back-pressure: call_rcu never blocks, so when its thread is starved
 *      (an overloaded machine) retired nodes would pile up without bound.
 *      Each thread counts its retirements and adds them to retire_pending
 *      in batches; the callbacks subtract. A thread that finds more than
 *      RETIRE_LIMIT pending after its outermost operation waits for them
 *      (rcu_barrier), outside any read section and never from a callback.
 * [M8] batches: a byte-map node retired by [M4] first joins its thread's
 *      list (chained through its link, which no reader touches); every
 *      BATCH_NODES nodes, before [M7]'s wait, before destroy's barrier and
 *      at thread exit (rcu.c), the list goes to call_rcu as one callback
 *      through a slot of batch_slot[] (claimed with an acquire CAS on
 *      batch_busy, freed by the callback's release fetch_and). The grace
 *      period starts after the handoff, so it covers every reader that saw
 *      any node of the list. No slot free: the list grows and the next
 *      retire tries again, with no wait: call_rcu's thread sleeps 10 ms
 *      between rounds, so at ~400k retires/s (the 1k-key 90/10 bench) all
 *      64 slots are in flight, and a wait (rcu_barrier: a round or more)
 *      came ~100 times a second; [M7] still bounds the growth. Only the
 *      forced flushes above (before [M7]'s wait, destroy, thread exit) wait
 *      for a slot, outside any read section and callback (inside one the
 *      list is kept for later). Only small nodes (one size, SMALL_SIZE) are
 *      batched; others go alone through the rcu_head in front of them. A
 *      small node's list link lies after its data, out of the part lookups
 *      read, so a reader still on the node during its grace period never
 *      sees it written.
 * [M9] reuse: a batch's callback, after its grace period, may keep the
 *      list in its slot and mark the slot ready (release fetch_or on
 *      batch_ready; at most READY_MAX lists and READY_NODES nodes ready,
 *      and only lists of at most RECYCLE_MAX nodes) instead of freeing it. A
 *      registered thread that needs a small node and has none cached claims
 *      a ready slot (acquire CAS on batch_ready), takes the list as its
 *      cache and frees the slot (release fetch_and on batch_busy). So a
 *      node is rewritten only after its grace period, as if freed and
 *      allocated again. Off under ASan, which must see every free.
 * [M10] in place: a byte-map value of at most INPLACE_MAX bytes is
 *      rewritten in its node when the new value has the same length (put,
 *      replace, compute SET) and the stored key is the caller's very bytes
 *      (a replacement stores its own key; with a custom key_eq, equal keys
 *      may differ, and keys are never rewritten): no new node, no
 *      call_rcu, no relink. Readers
 *      copy it out under the node's sequence counter (map_seq.h [S1]-[S3]),
 *      so get, and the callbacks of get_with / foreach / compute (which see
 *      such a copy), never see a torn value. compute's write (and its
 *      DELETE or replacing SET, [M11]) succeeds only from the version of its
 *      snapshot: linearisable as [M5].
 * [M11] unlink: every unlink of a byte-map node (remove, clear, a put of a
 *      new length, compute) first kills it (map_seq.h [S4]: DEAD, after any
 *      in-place writer): in-place writers then leave it alone and look the
 *      key up again, so no update lands in an unlinked node, and only the
 *      killer calls cds_lfht_del / cds_lfht_replace on it (which cannot
 *      fail). put no longer uses cds_lfht_add_replace: lookup, then in
 *      place, replace, or add_unique, retried on a race ([M5]).
 * The entry count is a sharded weft counter: exact when updates stop.
 */
#include <string.h>
#include <time.h>

#include <urcu/urcu-qsbr.h>

#include <urcu/rculfhash.h>

#include <weft/counter.h>
#include <weft/map.h>

#include "map_seq.h"
#include "mutate.h"
#include "rcu.h"

/*
 * A byte-map entry: one allocation, key then value inline. Everything a
 * lookup reads (the cds_lfht node, the lengths, the sequence counter, the
 * key and value) comes first and is contiguous: a small node's 48 bytes
 * share one cache line in most placements (the old layout, with the
 * rcu_head between the lengths and the data, put the key of 3 nodes in 4
 * on a second line: +0.37 cache misses per lookup at 1M keys). The fields
 * only the retiring side writes are outside that part, so no reader that
 * still holds the node during its grace period sees them change:
 *  - a small node (bnode_small()) keeps its [M8]/[M9] list link in the 8
 *    bytes after SMALL_DATA (bnode_link()): 56 bytes in all, a 64-byte
 *    malloc chunk, as raw cds_lfht's 48-byte nodes;
 *  - a large node is preceded by the rcu_head of its [M4] call_rcu
 *    (bnode_rh()); the allocation starts there (bnode_free()).
 */
struct bnode {
    struct cds_lfht_node lfn; /* next pointer and reverse hash */
    uint32_t klen;
    uint32_t vlen;
    _Atomic uint32_t seq; /* [M10] [M11] (map_seq.h) */
    uint32_t pad_;        /* data 8-aligned */
    /* key, then the value at the next multiple of 8 (bval()) */
    unsigned char data[];
};
_Static_assert(offsetof(struct bnode, data) % 8 == 0, "values 8-aligned");
_Static_assert(offsetof(struct bnode, data) == 32, "a lookup's part: 48 B");

/* [M10] Values up to this size are updated in place (same length). */
#define INPLACE_MAX ((unsigned)WEFT_MAP_INPLACE_MAX)
#define ROUND8(n)   (((n) + 7u) & ~(size_t)7u)

static inline unsigned char *
bval(const struct bnode *b)
{
    return (unsigned char *)(uintptr_t)b->data + ROUND8(b->klen);
}

static inline bool
bnode_inplace(const struct bnode *b)
{
    return b->vlen <= INPLACE_MAX;
}

/* [M10] Copy b's 8-byte value to dst: a consistent snapshot. The get fast
 * path (integers, pointers): inlined, no loop. */
static inline __attribute__((always_inline)) void
bnode_read8(const struct bnode *b, void *dst)
{
    _Atomic uint32_t *seq = (_Atomic uint32_t *)(uintptr_t)&b->seq;
    uint32_t s;
    uint64_t w;

    do {
        s = mseq_read_begin(seq);
        /* relaxed: [S1], validated by mseq_read_retry(). */
        w = atomic_load_explicit((_Atomic uint64_t *)(void *)bval(b),
                                 memory_order_relaxed);
    } while (mseq_read_retry(seq, s));
    memcpy(dst, &w, 8);
}

/* [M10] Copy b's value to dst (b->vlen bytes): a consistent snapshot. */
static void
bnode_read(const struct bnode *b, void *dst)
{
    _Atomic uint32_t *seq = (_Atomic uint32_t *)(uintptr_t)&b->seq;
    uint32_t s;

    do {
        s = mseq_read_begin(seq);
        mval_load(dst, bval(b), b->vlen);
    } while (mseq_read_retry(seq, s));
}

/* The private part of an intrusive node. */
struct inode {
    struct cds_lfht_node lfn;
    struct rcu_head rh;
    struct weft_map *map;
};
_Static_assert(sizeof(struct inode) <= sizeof(struct weft_map_node),
               "struct weft_map_node holds the private node");
_Static_assert(_Alignof(struct inode) <= _Alignof(struct weft_map_node),
               "struct weft_map_node is aligned enough");

struct weft_map {
    struct cds_lfht *ht;
    weft_counter_t *count;
    weft_map_hash_fn hash;
    weft_map_key_eq_fn key_eq;
    weft_map_node_eq_fn node_eq;
    weft_map_node_free_fn node_free;
    void *ctx;
    uint64_t seed;
    bool intrusive;
    bool plain; /* a byte map with the default hash and key_eq */
};

/* What the match callbacks compare against. */
struct probe {
    const void *key;
    size_t klen;
    const struct weft_map *map;
};

/* [M10] May a replacement of b's value by one of vlen bytes, under probe
 * key p, be done in place? Only for a short value of the same length, and
 * only if the stored key is p's very bytes: a replacement stores its own
 * key, and with a custom key_eq equal keys may differ (a key is read by
 * lookups outside the sequence counter, so it is never rewritten). */
static inline bool
bnode_inplace_for(const struct bnode *b, const struct probe *p, size_t vlen)
{
    return bnode_inplace(b) && b->vlen == vlen &&
           (p->map->key_eq == NULL ||
            (b->klen == p->klen && memcmp(b->data, p->key, p->klen) == 0));
}

/* ---- hashing ---------------------------------------------------------------
 */

static inline uint64_t
mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t
load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint64_t
load32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* A seeded multiply-fold hash; not cryptographic, the per-map seed only
 * makes collisions hard to precompute. Inlined: map_hash() folds the
 * common 8-byte key to a few instructions. */
static inline __attribute__((always_inline)) uint64_t
hash_bytes(const void *key, size_t n, uint64_t seed)
{
    const uint64_t k1 = 0x9e3779b97f4a7c15ull, k2 = 0xbf58476d1ce4e5b9ull,
                   k3 = 0x94d049bb133111ebull;
    const unsigned char *s = key;
    uint64_t h = seed ^ (n * k1), a, b;

    while (n > 16) {
        h = mix(load64(s) ^ k2 ^ h, load64(s + 8) ^ k3);
        s += 16;
        n -= 16;
    }
    if (n >= 8) {
        a = load64(s);
        b = load64(s + n - 8);
    } else if (n >= 4) {
        a = load32(s);
        b = load32(s + n - 4);
    } else if (n > 0) {
        a = ((uint64_t)s[0] << 16) | ((uint64_t)s[n / 2] << 8) | s[n - 1];
        b = 0;
    } else {
        a = b = 0;
    }
    h = mix(a ^ k2 ^ h, b ^ k3 ^ n);
    return mix(h ^ k1, k2);
}

static __attribute__((noinline)) unsigned long
map_hash_slow(const struct weft_map *map, const void *key, size_t klen)
{
    if (map->hash != NULL)
        return (unsigned long)map->hash(key, klen, map->ctx);
    return (unsigned long)hash_bytes(key, klen, map->seed);
}

/* 8-byte keys (integers, pointers) under the default hash: the same
 * function, specialised and inlined into the caller (gcc kept map_hash()
 * out of line, with both copies of hash_bytes() in it). */
static inline __attribute__((always_inline)) unsigned long
map_hash(const struct weft_map *map, const void *key, size_t klen)
{
    if (weft_likely(klen == 8 && map->hash == NULL))
        return (unsigned long)hash_bytes(key, 8, map->seed);
    return map_hash_slow(map, key, klen);
}

/* container_of through void *: liburcu's caa_container_of casts from
 * char *, which clang's -Wcast-align rejects. */
#define node_of(ptr, type, member) \
    ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* ---- match callbacks: [M2] ---------------------------------------------- */

static inline struct bnode *
to_bnode(struct cds_lfht_node *n)
{
    return node_of(n, struct bnode, lfn);
}

static inline struct inode *
to_inode(struct cds_lfht_node *n)
{
    return node_of(n, struct inode, lfn);
}

static int
match_bytes(struct cds_lfht_node *n, const void *arg)
{
    const struct probe *p = arg;
    struct bnode *b = to_bnode(n);

    /* [M2] first dereference of a node lookup has not returned. */
    WEFT_HB_ACQUIRE(b);
    if (b->klen != p->klen)
        return 0;
    /* 8-byte keys (integers, pointers) without a call. */
    if (p->klen == 8)
        return load64(b->data) == load64(p->key);
    return memcmp(b->data, p->key, p->klen) == 0;
}

/* match_bytes() for an 8-byte probe key (plain maps: integers,
 * pointers). */
static int
match_key8(struct cds_lfht_node *n, const void *arg)
{
    const struct probe *p = arg;
    struct bnode *b = to_bnode(n);

    /* [M2] */
    WEFT_HB_ACQUIRE(b);
    return b->klen == 8 && load64(b->data) == load64(p->key);
}

static int
match_key_eq(struct cds_lfht_node *n, const void *arg)
{
    const struct probe *p = arg;
    struct bnode *b = to_bnode(n);

    /* [M2] */
    WEFT_HB_ACQUIRE(b);
    return p->map->key_eq(b->data, b->klen, p->key, p->klen, p->map->ctx);
}

static int
match_node(struct cds_lfht_node *n, const void *arg)
{
    const struct probe *p = arg;
    struct inode *in = to_inode(n);

    /* [M2] */
    WEFT_HB_ACQUIRE(in);
    return p->map->node_eq((const struct weft_map_node *)(void *)in, p->key,
                           p->klen, p->map->ctx);
}

static inline cds_lfht_match_fct
map_match(const struct weft_map *map, const struct probe *p)
{
    if (weft_likely(map->plain) && p->klen == 8)
        return match_key8;
    if (map->intrusive)
        return match_node;
    return map->key_eq != NULL ? match_key_eq : match_bytes;
}

/* ---- nodes and retirement: [M1] [M4] ------------------------------------- */

/* [M7] Nodes retired and not yet freed, process-wide (call_rcu's thread is
 * too): about 100 bytes each, so the bound is ~13 MB of garbage. Batches of
 * RETIRE_BATCH keep the shared line off the writers' fast path. */
#define RETIRE_LIMIT (1L << 17)
#define RETIRE_BATCH 64u
static _Alignas(WEFT_PAD_ALIGN) _Atomic long retire_pending;
static __thread unsigned retire_local
    __attribute__((tls_model("initial-exec")));
static __thread bool in_free_cb __attribute__((tls_model("initial-exec")));

/* [M8] A thread's list of retired small nodes (batch_try_flush()):
 * handed over from BATCH_NODES nodes on (256: a call_rcu round at ~400k
 * retires/s then brings ~25 lists, which [M9] can keep for reuse; with 64
 * it brought ~90, and most were freed and their nodes malloc'ed again). [M9] A
 * list of at most RECYCLE_MAX nodes is kept for reuse, a longer one freed. */
#define BATCH_NODES 256u
#define RECYCLE_MAX 4096u
static __thread unsigned batch_n __attribute__((tls_model("initial-exec")));

/* [M7] A callback freed one node. */
static inline void
retire_done(void)
{
    /* relaxed: a bound on memory, not a synchronisation. */
    atomic_fetch_sub_explicit(&retire_pending, 1, memory_order_relaxed);
}

/* [M7] After an operation's read section: publish this thread's count, and
 * wait for the callbacks if too many nodes are pending. */
static void
retire_settle(void)
{
    long pending;

    if (weft_likely(retire_local < RETIRE_BATCH))
        return;
    /* relaxed: as in retire_done(). */
    pending = atomic_fetch_add_explicit(&retire_pending, (long)retire_local,
                                        memory_order_relaxed) +
              (long)retire_local;
    retire_local = 0;
    if (pending > RETIRE_LIMIT && weft__rcu_tls.depth == 0 && !in_free_cb) {
        weft__map_retire_flush();  /* [M8] so the barrier frees them too */
        (void)weft__rcu_barrier(); /* 0 here: outside any read section */
    }
}

static struct bnode *cache_pop(void);

/* Small nodes (key + value within SMALL_DATA bytes, each rounded up to 8)
 * all have one size (56 bytes with their link), so [M9] can reuse them.
 * Large nodes carry a leading rcu_head (BIG_HEAD bytes). */
#define SMALL_DATA            16u
#define SMALL_SIZE            (sizeof(struct bnode) + SMALL_DATA + sizeof(void *))
#define BIG_HEAD              ROUND8(sizeof(struct rcu_head))
#define DATA_SIZE(klen, vlen) (ROUND8(klen) + ROUND8(vlen))

static inline bool
bnode_small(const struct bnode *b)
{
    return DATA_SIZE(b->klen, b->vlen) <= SMALL_DATA;
}

/* [M8] [M9] A small node's list link: after its data, never read by a
 * lookup. */
static inline struct bnode **
bnode_link(struct bnode *b)
{
    return (struct bnode **)(void *)(b->data + SMALL_DATA);
}

/* [M4] A large node's rcu_head: just before it, never read by a lookup. */
static inline struct rcu_head *
bnode_rh(struct bnode *b)
{
    return (struct rcu_head *)(void *)((char *)b - BIG_HEAD);
}

static inline struct bnode *
bnode_of_rh(struct rcu_head *rh)
{
    return (struct bnode *)(void *)((char *)rh + BIG_HEAD);
}

/* Free a node's allocation (small: the node; large: from its rcu_head). */
static void
bnode_free(struct bnode *b)
{
    weft__free(bnode_small(b) ? (void *)b : (void *)bnode_rh(b));
}

static struct bnode *
bnode_new(const void *key, size_t klen, const void *val, size_t vlen)
{
    bool small = DATA_SIZE(klen, vlen) <= SMALL_DATA;
    struct bnode *b = small ? cache_pop() : NULL;
    char *p;

    if (b == NULL && small) {
        b = weft__malloc(SMALL_SIZE);
    } else if (b == NULL) {
        p = weft__malloc(BIG_HEAD + sizeof(*b) + DATA_SIZE(klen, vlen));
        b = p != NULL ? (struct bnode *)(void *)(p + BIG_HEAD) : NULL;
    }
    if (b == NULL)
        return NULL;
    cds_lfht_node_init(&b->lfn);
    b->klen = (uint32_t)klen;
    b->vlen = (uint32_t)vlen;
    /* relaxed: unpublished yet; [M1] publishes it. */
    atomic_store_explicit(&b->seq, 0, memory_order_relaxed);
    memcpy(b->data, key, klen);
    if (vlen > 0) {
        /* [M10] whole words: zero the padding of the last one. */
        memset(bval(b) + ROUND8(vlen) - 8, 0, 8);
        memcpy(bval(b), val, vlen);
    }
    return b;
}

static void
bnode_free_cb(struct rcu_head *rh)
{
    struct bnode *b = bnode_of_rh(rh);

    /* [M4]/[R5] after the grace period, and after the retiring thread. */
    WEFT_RCU_GP_DONE();
    WEFT_HB_ACQUIRE(b);
    bnode_free(b);
    retire_done();
    /* [M6] */
    WEFT_RCU_CALLBACK_END();
}

static void
inode_free_cb(struct rcu_head *rh)
{
    struct inode *in = node_of(rh, struct inode, rh);
    struct weft_map *map;

    /* [M4]/[R5] before the first read of in (in->map too). */
    WEFT_RCU_GP_DONE();
    WEFT_HB_ACQUIRE(in);
    map = in->map;
    in_free_cb = true; /* [M7] a map call from node_free never waits */
    map->node_free((struct weft_map_node *)(void *)in, map->ctx);
    in_free_cb = false;
    retire_done();
    /* [M6] the map is freed only after this (destroy's barrier). */
    WEFT_RCU_CALLBACK_END();
}

/* [M8] Batches in flight: a slot per batch, process-wide (no allocation,
 * so nothing to fail and nothing tied to a thread's lifetime). */
#define BATCH_SLOTS 64u
struct retire_batch {
    struct rcu_head rh;
    struct bnode *list;
    long n;
};
static struct retire_batch batch_slot[BATCH_SLOTS];
static _Alignas(WEFT_PAD_ALIGN) _Atomic uint64_t batch_busy;
static __thread struct bnode *batch_list
    __attribute__((tls_model("initial-exec")));

/* [M9] */
#if defined(__SANITIZE_ADDRESS__)
#    define MAP_RECYCLE 0
#elif defined(__has_feature)
#    if __has_feature(address_sanitizer)
#        define MAP_RECYCLE 0
#    endif
#endif
#ifndef MAP_RECYCLE
#    define MAP_RECYCLE 1
#endif
/* At 2 threads a call_rcu round (10 ms apart) brings ~60 batches: with 8
 * ready lists at most, most of them were freed and their nodes malloc'ed
 * again (~80% of the 1k-key 90/10 inserts). READY_NODES bounds the memory
 * kept (~1 MB), READY_MAX the slots it takes from the batches in flight. */
#define READY_MAX   24
#define READY_NODES 16384L
static _Alignas(WEFT_PAD_ALIGN) _Atomic uint64_t batch_ready;
static _Alignas(WEFT_PAD_ALIGN) _Atomic long ready_nodes;
static __thread struct bnode *node_cache
    __attribute__((tls_model("initial-exec")));

static void
batch_free_cb(struct rcu_head *rh)
{
    struct retire_batch *sl = node_of(rh, struct retire_batch, rh);
    struct bnode *b, *next;
    long n;

    /* [M4]/[R5] after the grace period; [M8] after the slot's filler. */
    WEFT_RCU_GP_DONE();
    WEFT_HB_ACQUIRE(sl);
    b = sl->list;
    n = sl->n;
    /* relaxed: a bound on cached memory, not a synchronisation. A list
     * that grew past RECYCLE_MAX (slots all in flight for long, e.g. a
     * clear) is freed: a thread's cache stays small. */
    if (MAP_RECYCLE && n <= (long)RECYCLE_MAX &&
        __builtin_popcountll(atomic_load_explicit(
            &batch_ready, memory_order_relaxed)) < READY_MAX &&
        atomic_load_explicit(&ready_nodes, memory_order_relaxed) + n <=
            READY_NODES) {
        /* relaxed: as above (callbacks run on call_rcu's thread). */
        atomic_fetch_add_explicit(&ready_nodes, n, memory_order_relaxed);
#ifdef WEFT_TSAN
        /* [M4] after the retiring thread (for the next user of b). */
        for (; b != NULL; b = *bnode_link(b))
            WEFT_HB_ACQUIRE(b);
#endif
        /* [M7] relaxed: as below. */
        atomic_fetch_sub_explicit(&retire_pending, n, memory_order_relaxed);
        /* [M9] release: the grace period and our reads before the reuse;
         * pairs with the acquire CAS in cache_pop(). */
        atomic_fetch_or_explicit(&batch_ready, (uint64_t)1 << (sl - batch_slot),
                                 memory_order_release);
        /* [M6] */
        WEFT_RCU_CALLBACK_END();
        return;
    }
    for (; b != NULL; b = next) {
        /* [M4] after the retiring thread. */
        WEFT_HB_ACQUIRE(b);
        next = *bnode_link(b);
        weft__free(b); /* small */
    }
    /* [M7] relaxed: a bound on memory, not a synchronisation. */
    atomic_fetch_sub_explicit(&retire_pending, n, memory_order_relaxed);
    /* [M8] release: our reads of the slot before its next filler's writes;
     * pairs with the acquire CAS in weft__map_retire_flush(). */
    atomic_fetch_and_explicit(&batch_busy, ~((uint64_t)1 << (sl - batch_slot)),
                              memory_order_release);
    /* [M6] */
    WEFT_RCU_CALLBACK_END();
}

/* [M8] Hand this thread's list to call_rcu through a free slot; false
 * (and the list kept) when every slot is in flight. */
static bool
batch_try_flush(void)
{
    struct retire_batch *sl;
    uint64_t busy;
    unsigned i;

    if (batch_list == NULL)
        return true;
    /* relaxed: a hint; the CAS below decides. */
    busy = atomic_load_explicit(&batch_busy, memory_order_relaxed);
    while (busy != ~(uint64_t)0) {
        i = (unsigned)__builtin_ctzll(~busy);
        /* [M8] acquire: the slot's previous callback is done with it;
         * pairs with the release fetch_and in batch_free_cb(). */
        if (atomic_compare_exchange_weak_explicit(
                &batch_busy, &busy, busy | ((uint64_t)1 << i),
                memory_order_acquire, memory_order_relaxed)) {
            sl = &batch_slot[i];
            sl->list = batch_list;
            sl->n = (long)batch_n;
            batch_list = NULL;
            batch_n = 0;
            /* [M8] the slot's contents before the callback's reads. */
            WEFT_HB_RELEASE(sl);
            urcu_qsbr_call_rcu(&sl->rh, batch_free_cb);
            return true;
        }
    }
    return false;
}

/* [M8] The same, but never keeps the list when it may wait: with every
 * slot in flight (call_rcu's thread is behind), wait for the callbacks
 * (rcu_barrier frees their slots) and try again. Inside a read section or
 * a callback, where it may not wait, the list is kept for a later retire
 * or retire_settle(). From a registered thread (online or not). */
void
weft__map_retire_flush(void)
{
    while (!batch_try_flush()) {
        if (weft__rcu_tls.depth > 0 || in_free_cb)
            return;
        (void)weft__rcu_barrier(); /* 0 here: outside any read section */
    }
}

/* [M9] A small node from this thread's cache, refilled from a ready slot;
 * NULL if none. Registered threads only (their cache is freed at exit). */
static struct bnode *
cache_pop(void)
{
    struct bnode *b = node_cache;
    uint64_t ready, bit;
    unsigned i;

    if (b == NULL && MAP_RECYCLE && weft__rcu_tls.registered) {
        /* relaxed: a hint; the CAS below decides. */
        ready = atomic_load_explicit(&batch_ready, memory_order_relaxed);
        while (ready != 0) {
            i = (unsigned)__builtin_ctzll(ready);
            bit = (uint64_t)1 << i;
            /* [M9] acquire: pairs with batch_free_cb()'s release. */
            if (atomic_compare_exchange_weak_explicit(
                    &batch_ready, &ready, ready & ~bit, memory_order_acquire,
                    memory_order_relaxed)) {
                b = batch_slot[i].list;
                /* relaxed: a bound on cached memory. */
                atomic_fetch_sub_explicit(&ready_nodes, batch_slot[i].n,
                                          memory_order_relaxed);
                /* [M8] release: our read of the slot before its next
                 * filler's writes; pairs with the flush's acquire CAS. */
                atomic_fetch_and_explicit(&batch_busy, ~bit,
                                          memory_order_release);
                break;
            }
        }
    }
    if (b != NULL)
        node_cache = *bnode_link(b);
    return b;
}

void
weft__map_thread_exit(void)
{
    struct bnode *b, *next;

    weft__map_retire_flush();
    for (b = node_cache; b != NULL; b = next) {
        next = *bnode_link(b);
        weft__free(b); /* small */
    }
    node_cache = NULL;
}

/* Retire an unlinked node; call inside the read section. */
static void
retire(const struct weft_map *map, struct cds_lfht_node *n)
{
    if (map->intrusive) {
        /* MUTANT 22: [M4] freed with no grace period; readers may hold it. */
        if (WEFT_MUTANT(22)) {
            map->node_free((struct weft_map_node *)(void *)to_inode(n),
                           map->ctx);
            return;
        }
        /* [M4] release: our last accesses before the callback's. */
        WEFT_HB_RELEASE(to_inode(n));
        urcu_qsbr_call_rcu(&to_inode(n)->rh, inode_free_cb);
    } else {
        /* MUTANT 21: [M4] freed with no grace period; readers may hold it. */
        if (WEFT_MUTANT(21)) {
            bnode_free(to_bnode(n));
            return;
        }
        /* [M4] */
        WEFT_HB_RELEASE(to_bnode(n));
        if (!bnode_small(to_bnode(n))) {
            urcu_qsbr_call_rcu(bnode_rh(to_bnode(n)), bnode_free_cb);
            retire_local++; /* [M7] */
            return;
        }
        /* [M8] */
        *bnode_link(to_bnode(n)) = batch_list;
        batch_list = to_bnode(n);
        /* Full: hand it over; no slot free: the list grows and the next
         * retire tries again (never a wait here: [M8]). */
        if (++batch_n >= BATCH_NODES)
            (void)batch_try_flush();
    }
    retire_local++; /* [M7] */
}

/* [M11] Claim n's unlinking (byte maps: kill it, waiting out an in-place
 * writer) and unlink it; false if another thread unlinks it. Inside the
 * read section; the caller retires n on true. */
static bool
unlink_node(const struct weft_map *map, struct cds_lfht_node *n)
{
    int rc;

    if (map->intrusive)
        return cds_lfht_del(map->ht, n) == 0;
    if (!mseq_kill(&to_bnode(n)->seq))
        return false;
    rc = cds_lfht_del(map->ht, n);
    WEFT_ASSERT(rc == 0); /* [M11] only the killer unlinks */
    return true;
}

/* ---- argument checks ---------------------------------------------------- */

static inline int
check_key(const weft_map_t *map, const void *key, size_t klen, bool intrusive)
{
    if (map == NULL || key == NULL || klen == 0 || klen > WEFT_MAP_KEY_MAX)
        return -EINVAL;
    if (map->intrusive != intrusive)
        return -EPERM;
    return 0;
}

static inline int
check_value(const void *val, size_t vlen)
{
    if ((val == NULL && vlen > 0) || vlen > WEFT_MAP_VALUE_MAX)
        return -EINVAL;
    return 0;
}

/* ---- create / destroy ------------------------------------------------------
 */

static unsigned long
pow2_at_least(size_t n)
{
    unsigned long p = 1;

    while (p < n)
        p <<= 1;
    return p;
}

WEFT_API int
weft_map_create(const struct weft_map_opts *opts, weft_map_t **out)
{
    struct weft_map_opts o = WEFT_MAP_OPTS_INIT;
    unsigned long init, max;
    weft_map_t *map;
    int rc;

    if (out == NULL)
        return -EINVAL;
    if (opts != NULL) {
        if (opts->size < sizeof(o))
            return -EINVAL;
        o = *opts;
    }
    if (o.initial_buckets > WEFT_MAP_BUCKETS_MAX ||
        o.max_buckets > WEFT_MAP_BUCKETS_MAX ||
        (o.node_eq == NULL) != (o.node_free == NULL) ||
        (o.node_eq != NULL && o.key_eq != NULL))
        return -EINVAL;
    init = pow2_at_least(o.initial_buckets ? o.initial_buckets : 64);
    max = o.max_buckets ? pow2_at_least(o.max_buckets) : 0;
    if (max != 0 && max < init)
        init = max;
    map = weft__calloc(1, sizeof(*map));
    if (map == NULL)
        return -ENOMEM;
    rc = weft_counter_create(&map->count);
    if (rc != 0)
        goto err_map;
    map->hash = o.hash;
    map->key_eq = o.key_eq;
    map->node_eq = o.node_eq;
    map->node_free = o.node_free;
    map->ctx = o.ctx;
    map->intrusive = o.node_eq != NULL;
    map->plain = !map->intrusive && o.hash == NULL && o.key_eq == NULL;
    map->seed =
        hash_bytes(&map, sizeof(map), (uint64_t)time(NULL)) ^ (uint64_t)clock();
    map->ht = cds_lfht_new_flavor(init, init < 64 ? init : 64, max,
                                  CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
                                  &urcu_qsbr_flavor, NULL);
    if (map->ht == NULL) {
        rc = -ENOMEM;
        goto err_count;
    }
    *out = map;
    return 0;
err_count:
    weft_counter_destroy(map->count);
err_map:
    weft__free(map);
    return rc;
}

/* Unlink and retire every node; returns how many were removed. */
static int
map_clear(weft_map_t *map)
{
    struct cds_lfht_iter iter;
    struct cds_lfht_node *n;
    int64_t removed = 0;
    int rc = weft__rcu_read_enter();

    if (rc != 0)
        return rc;
    cds_lfht_for_each(map->ht, &iter, n)
    {
        /* [M11] */
        if (unlink_node(map, n)) {
            retire(map, n);
            removed++;
        }
    }
    weft__rcu_read_exit();
    retire_settle();
    if (removed > 0)
        weft_counter_add(map->count, -removed);
    return 0;
}

WEFT_API int
weft_map_clear(weft_map_t *map)
{
    if (map == NULL)
        return -EINVAL;
    if (weft__rcu_tls.depth > 0)
        return -EDEADLK;
    return map_clear(map);
}

WEFT_API int
weft_map_destroy(weft_map_t *map)
{
    int rc;

    if (map == NULL)
        return -EINVAL;
    if (weft__rcu_tls.depth > 0)
        return -EDEADLK;
    /* [M6] */
    for (int attempt = 0;; attempt++) {
        rc = map_clear(map);
        if (rc != 0)
            return rc;
        weft__map_retire_flush(); /* [M8] */
        rc = weft__rcu_barrier();
        if (rc != 0)
            return rc;
        if (cds_lfht_destroy(map->ht, NULL) == 0)
            break;
        if (attempt == 2)
            return -EBUSY;
    }
    weft_counter_destroy(map->count);
    weft__free(map);
    return 0;
}

/* ---- byte-map reads
 * ---------------------------------------------------------- */

/* Look key up; the caller is inside a read section. */
static inline struct cds_lfht_node *
lookup(weft_map_t *map, const struct probe *p, unsigned long hash,
       struct cds_lfht_iter *iter)
{
    struct cds_lfht_node *n;

    cds_lfht_lookup(map->ht, hash, map_match(map, p), p, iter);
    n = cds_lfht_iter_get_node(iter);
    /* [M2] */
    if (n != NULL)
        WEFT_HB_ACQUIRE(map->intrusive ? (void *)to_inode(n)
                                       : (void *)to_bnode(n));
    WEFT_CHAOS_POINT();
    return n;
}

WEFT_API int
weft_map_get(weft_map_t *map, const void *key, size_t klen, void *buf,
             size_t cap, size_t *vlen)
{
    struct probe p = {key, klen, map};
    struct cds_lfht_iter iter;
    struct cds_lfht_node *n;
    int rc = check_key(map, key, klen, false);

    if (rc != 0)
        return rc;
    if (buf == NULL && cap > 0)
        return -EINVAL;
    rc = weft__rcu_read_enter();
    if (rc != 0)
        return rc;
    n = lookup(map, &p, map_hash(map, key, klen), &iter);
    if (n == NULL) {
        rc = -ENOENT;
    } else {
        struct bnode *b = to_bnode(n);
        if (vlen != NULL)
            *vlen = b->vlen;
        if (b->vlen > cap)
            rc = -EOVERFLOW;
        else if (b->vlen == 8)
            bnode_read8(b, buf); /* [M10] */
        else if (bnode_inplace(b))
            bnode_read(b, buf); /* [M10] */
        else
            memcpy(buf, bval(b), b->vlen); /* [M3] immutable */
    }
    weft__rcu_read_exit();
    return rc;
}

WEFT_API int
weft_map_contains(weft_map_t *map, const void *key, size_t klen)
{
    struct probe p = {key, klen, map};
    struct cds_lfht_iter iter;
    int rc = check_key(map, key, klen, false);

    if (rc != 0)
        return rc;
    rc = weft__rcu_read_enter();
    if (rc != 0)
        return rc;
    if (lookup(map, &p, map_hash(map, key, klen), &iter) == NULL)
        rc = -ENOENT;
    weft__rcu_read_exit();
    return rc;
}

/* The value a callback looks at: [M10] a snapshot in snap (INPLACE_MAX
 * bytes) for small values, [M3] the node's immutable bytes otherwise. */
static inline const void *
bnode_view(const struct bnode *b, uint64_t *snap)
{
    if (!bnode_inplace(b))
        return bval(b);
    bnode_read(b, snap);
    return snap;
}

WEFT_API int
weft_map_get_with(weft_map_t *map, const void *key, size_t klen,
                  weft_map_value_fn fn, void *ctx)
{
    struct probe p = {key, klen, map};
    struct cds_lfht_iter iter;
    struct cds_lfht_node *n;
    uint64_t snap[INPLACE_MAX / 8];
    int rc = check_key(map, key, klen, false);

    if (rc != 0)
        return rc;
    if (fn == NULL)
        return -EINVAL;
    rc = weft__rcu_read_enter();
    if (rc != 0)
        return rc;
    n = lookup(map, &p, map_hash(map, key, klen), &iter);
    if (n == NULL) {
        rc = -ENOENT;
    } else {
        struct bnode *b = to_bnode(n);
        rc = fn(ctx, bnode_view(b, snap), b->vlen);
    }
    weft__rcu_read_exit();
    return rc;
}

/* ---- byte-map updates ---------------------------------------------------- */

enum put_mode { PUT_ANY, PUT_IF_ABSENT, PUT_IF_PRESENT };

/* put_if_absent: one cds_lfht_add_unique, nothing to replace. A lookup
 * first, in the same read section, answers a present key without building
 * a node: it sees the linked nodes that add_unique would (DEAD ones too),
 * so the result is the one add_unique would give at that instant. */
static int
put_absent(weft_map_t *map, const struct probe *p, unsigned long hash,
           const void *val, size_t vlen)
{
    struct cds_lfht_iter iter;
    struct cds_lfht_node *old;
    struct bnode *b;
    int rc = weft__rcu_read_enter();

    if (rc != 0)
        return rc;
    if (lookup(map, p, hash, &iter) != NULL) {
        weft__rcu_read_exit();
        return WEFT_EEXIST;
    }
    b = bnode_new(p->key, p->klen, val, vlen);
    if (b == NULL) {
        weft__rcu_read_exit();
        return -ENOMEM;
    }
    /* [M1] the node is complete. */
    WEFT_HB_RELEASE(b);
    old = cds_lfht_add_unique(map->ht, hash, map_match(map, p), p, &b->lfn);
    if (old != &b->lfn) {
        bnode_free(b); /* never published */
        rc = WEFT_EEXIST;
    } else {
        weft_counter_add(map->count, 1);
    }
    weft__rcu_read_exit();
    return rc;
}

/* One attempt of put / replace: 0 done, 1 retry, or an error. Inside the
 * read section; *b is the new node once allocated (kept across retries). */
static int
put_once(weft_map_t *map, const struct probe *p, unsigned long hash,
         const void *val, size_t vlen, enum put_mode mode, struct bnode **b,
         bool *replaced)
{
    struct cds_lfht_iter iter;
    struct cds_lfht_node *n = lookup(map, p, hash, &iter);
    struct bnode *old = NULL;
    uint32_t s;
    int rc;

    if (n == NULL && mode == PUT_IF_PRESENT)
        return -ENOENT;
    if (n != NULL) {
        old = to_bnode(n);
        if (bnode_inplace_for(old, p, vlen)) {
            /* [M10] no new node: a DEAD one is being unlinked, look again. */
            if (!mseq_write_begin(&old->seq, &s))
                return 1;
            mval_store(bval(old), val, vlen);
            mseq_write_end(&old->seq, s);
            *replaced = true;
            return 0;
        }
    }
    if (*b == NULL) {
        *b = bnode_new(p->key, p->klen, val, vlen);
        if (*b == NULL)
            return -ENOMEM; /* before any change */
        /* [M1] the node is complete. */
        WEFT_HB_RELEASE(*b);
    }
    if (n == NULL) {
        /* [M5] a node appeared meanwhile: look again. */
        if (cds_lfht_add_unique(map->ht, hash, map_match(map, p), p,
                                &(*b)->lfn) != &(*b)->lfn)
            return 1;
        weft_counter_add(map->count, 1);
        *b = NULL;
        return 0;
    }
    /* [M11] another thread unlinks old: look again. */
    if (!mseq_kill(&old->seq))
        return 1;
    rc = cds_lfht_replace(map->ht, &iter, hash, map_match(map, p), p,
                          &(*b)->lfn);
    WEFT_ASSERT(rc == 0); /* [M11] only the killer unlinks */
    retire(map, n);
    *b = NULL;
    *replaced = true;
    return 0;
}

static int
put_common(weft_map_t *map, const void *key, size_t klen, const void *val,
           size_t vlen, enum put_mode mode, bool *replaced)
{
    struct probe p = {key, klen, map};
    unsigned long hash;
    struct bnode *b = NULL;
    bool rep = false;
    unsigned spins = 0;
    int rc = check_key(map, key, klen, false);

    if (rc == 0)
        rc = check_value(val, vlen);
    if (rc != 0)
        return rc;
    hash = map_hash(map, key, klen);
    if (mode == PUT_IF_ABSENT)
        return put_absent(map, &p, hash, val, vlen);
    rc = weft__rcu_read_enter();
    if (rc != 0)
        return rc;
    while ((rc = put_once(map, &p, hash, val, vlen, mode, &b, &rep)) == 1)
        mseq_backoff(&spins);
    if (b != NULL)
        bnode_free(b); /* never published */
    weft__rcu_read_exit();
    retire_settle();
    if (replaced != NULL && rc == 0)
        *replaced = rep;
    return rc;
}

WEFT_API int
weft_map_put(weft_map_t *map, const void *key, size_t klen, const void *value,
             size_t vlen, bool *replaced)
{
    return put_common(map, key, klen, value, vlen, PUT_ANY, replaced);
}

WEFT_API int
weft_map_put_if_absent(weft_map_t *map, const void *key, size_t klen,
                       const void *value, size_t vlen)
{
    return put_common(map, key, klen, value, vlen, PUT_IF_ABSENT, NULL);
}

WEFT_API int
weft_map_replace(weft_map_t *map, const void *key, size_t klen,
                 const void *value, size_t vlen)
{
    return put_common(map, key, klen, value, vlen, PUT_IF_PRESENT, NULL);
}

/* Remove key's node; shared by both kinds of map. */
static int
remove_common(weft_map_t *map, const void *key, size_t klen)
{
    struct probe p = {key, klen, map};
    unsigned long hash = map_hash(map, key, klen);
    struct cds_lfht_iter iter;
    struct cds_lfht_node *n;
    unsigned spins = 0;
    int rc = weft__rcu_read_enter();

    if (rc != 0)
        return rc;
    for (;;) {
        n = lookup(map, &p, hash, &iter);
        if (n == NULL) {
            rc = -ENOENT;
            break;
        }
        /* [M5] [M11] fails if someone else unlinks n: look again. */
        if (unlink_node(map, n)) {
            retire(map, n);
            weft_counter_add(map->count, -1);
            break;
        }
        mseq_backoff(&spins);
    }
    weft__rcu_read_exit();
    retire_settle();
    return rc;
}

WEFT_API int
weft_map_remove(weft_map_t *map, const void *key, size_t klen)
{
    int rc = check_key(map, key, klen, false);

    return rc != 0 ? rc : remove_common(map, key, klen);
}

/* One attempt of compute; 1 means "retry". Inside the read section. */
static int
compute_once(weft_map_t *map, const struct probe *p, unsigned long hash,
             weft_map_compute_fn fn, void *ctx)
{
    struct cds_lfht_iter iter;
    struct cds_lfht_node *n = lookup(map, p, hash, &iter), *won;
    struct bnode *old = n ? to_bnode(n) : NULL, *b;
    uint64_t snap[INPLACE_MAX / 8];
    const void *ov = NULL, *nv = NULL;
    size_t nlen = 0;
    uint32_t s = 0;
    int verdict;

    if (old != NULL) {
        _Atomic uint32_t *seq = &old->seq;
        if (bnode_inplace(old)) {
            /* [M10] a snapshot, and the version it belongs to. */
            do {
                s = mseq_read_begin(seq);
                mval_load(snap, bval(old), old->vlen);
            } while (mseq_read_retry(seq, s));
            ov = snap;
        } else {
            /* acquire: pairs with [S3] (no writer here: only DEAD). */
            s = atomic_load_explicit(seq, memory_order_acquire);
            ov = bval(old); /* [M3] immutable */
        }
    }
    verdict = fn(ctx, ov, old ? old->vlen : 0, old != NULL, &nv, &nlen);
    if (verdict < 0)
        return verdict;
    switch (verdict) {
    case WEFT_MAP_KEEP:
        return 0;
    case WEFT_MAP_DELETE:
        if (n == NULL)
            return 0;
        /* [M5] [M11] only if unchanged since the snapshot. */
        if (!mseq_kill_from(&old->seq, s))
            return 1;
        verdict = cds_lfht_del(map->ht, n);
        WEFT_ASSERT(verdict == 0); /* [M11] only the killer unlinks */
        retire(map, n);
        weft_counter_add(map->count, -1);
        return 0;
    case WEFT_MAP_SET:
        if (check_value(nv, nlen) != 0)
            return -EINVAL;
        if (old != NULL && bnode_inplace_for(old, p, nlen)) {
            /* [M5] [M10] in place, only if unchanged since the snapshot.
             * MUTANT 23: [M10] from whatever version is there now: a
             * write that came after the snapshot is lost. */
            if (WEFT_MUTANT(23) ? !mseq_write_begin(&old->seq, &s)
                                : !mseq_write_begin_from(&old->seq, s))
                return 1;
            mval_store(bval(old), nv, nlen);
            mseq_write_end(&old->seq, s);
            return 0;
        }
        b = bnode_new(p->key, p->klen, nv, nlen);
        if (b == NULL)
            return -ENOMEM;
        /* [M1] */
        WEFT_HB_RELEASE(b);
        if (n != NULL) {
            /* [M5] [M11] only if unchanged since the snapshot. */
            if (!mseq_kill_from(&old->seq, s)) {
                bnode_free(b); /* never published */
                return 1;
            }
            verdict = cds_lfht_replace(map->ht, &iter, hash, map_match(map, p),
                                       p, &b->lfn);
            WEFT_ASSERT(verdict == 0); /* [M11] only the killer unlinks */
            retire(map, n);
            return 0;
        }
        /* [M5] */
        won = cds_lfht_add_unique(map->ht, hash, map_match(map, p), p, &b->lfn);
        if (won != &b->lfn) {
            bnode_free(b); /* never published */
            return 1;
        }
        weft_counter_add(map->count, 1);
        return 0;
    default:
        return -EINVAL;
    }
}

WEFT_API int
weft_map_compute(weft_map_t *map, const void *key, size_t klen,
                 weft_map_compute_fn fn, void *ctx)
{
    struct probe p = {key, klen, map};
    unsigned long hash;
    unsigned spins = 0;
    int rc = check_key(map, key, klen, false);

    if (rc != 0)
        return rc;
    if (fn == NULL)
        return -EINVAL;
    hash = map_hash(map, key, klen);
    rc = weft__rcu_read_enter();
    if (rc != 0)
        return rc;
    while ((rc = compute_once(map, &p, hash, fn, ctx)) == 1)
        mseq_backoff(&spins);
    weft__rcu_read_exit();
    retire_settle();
    return rc;
}

WEFT_API int
weft_map_foreach(weft_map_t *map, weft_map_entry_fn fn, void *ctx)
{
    struct cds_lfht_iter iter;
    struct cds_lfht_node *n;
    uint64_t snap[INPLACE_MAX / 8];
    int rc;

    if (map == NULL || fn == NULL)
        return -EINVAL;
    if (map->intrusive)
        return -EPERM;
    rc = weft__rcu_read_enter();
    if (rc != 0)
        return rc;
    cds_lfht_for_each(map->ht, &iter, n)
    {
        struct bnode *b = to_bnode(n);
        /* [M2] */
        WEFT_HB_ACQUIRE(b);
        rc = fn(ctx, b->data, b->klen, bnode_view(b, snap), b->vlen);
        if (rc != 0)
            break;
    }
    weft__rcu_read_exit();
    return rc;
}

WEFT_API int
weft_map_len(weft_map_t *map, size_t *len)
{
    int64_t v;

    if (map == NULL || len == NULL)
        return -EINVAL;
    weft_counter_read(map->count, &v);
    /* Transiently negative while a remove's decrement overtakes the
     * insert's increment in the sum. */
    *len = v > 0 ? (size_t)v : 0;
    return 0;
}

/* ---- intrusive maps
 * ------------------------------------------------------------ */

static int
node_put_common(weft_map_t *map, struct weft_map_node *node, const void *key,
                size_t klen, bool if_absent)
{
    struct probe p = {key, klen, map};
    struct inode *in = (struct inode *)(void *)node;
    struct cds_lfht_node *old;
    unsigned long hash;
    int rc = check_key(map, key, klen, true);

    if (rc != 0)
        return rc;
    if (node == NULL)
        return -EINVAL;
    hash = map_hash(map, key, klen);
    cds_lfht_node_init(&in->lfn);
    in->map = map;
    rc = weft__rcu_read_enter();
    if (rc != 0)
        return rc;
    /* [M1] the caller's object is complete. */
    WEFT_HB_RELEASE(in);
    if (if_absent) {
        old = cds_lfht_add_unique(map->ht, hash, match_node, &p, &in->lfn);
        if (old != &in->lfn)
            rc = WEFT_EEXIST;
        else
            weft_counter_add(map->count, 1);
    } else {
        old = cds_lfht_add_replace(map->ht, hash, match_node, &p, &in->lfn);
        if (old != NULL)
            retire(map, old);
        else
            weft_counter_add(map->count, 1);
    }
    weft__rcu_read_exit();
    retire_settle();
    return rc;
}

WEFT_API int
weft_map_node_put(weft_map_t *map, struct weft_map_node *node, const void *key,
                  size_t klen)
{
    return node_put_common(map, node, key, klen, false);
}

WEFT_API int
weft_map_node_put_if_absent(weft_map_t *map, struct weft_map_node *node,
                            const void *key, size_t klen)
{
    return node_put_common(map, node, key, klen, true);
}

WEFT_API int
weft_map_node_find(weft_map_t *map, const void *key, size_t klen,
                   weft_map_node_fn fn, void *ctx)
{
    struct probe p = {key, klen, map};
    struct cds_lfht_iter iter;
    struct cds_lfht_node *n;
    int rc = check_key(map, key, klen, true);

    if (rc != 0)
        return rc;
    if (fn == NULL)
        return -EINVAL;
    rc = weft__rcu_read_enter();
    if (rc != 0)
        return rc;
    n = lookup(map, &p, map_hash(map, key, klen), &iter);
    if (n == NULL)
        rc = -ENOENT;
    else
        rc = fn(ctx, (struct weft_map_node *)(void *)to_inode(n));
    weft__rcu_read_exit();
    return rc;
}

WEFT_API int
weft_map_node_remove(weft_map_t *map, const void *key, size_t klen)
{
    int rc = check_key(map, key, klen, true);

    return rc != 0 ? rc : remove_common(map, key, klen);
}

WEFT_API int
weft_map_node_foreach(weft_map_t *map, weft_map_node_fn fn, void *ctx)
{
    struct cds_lfht_iter iter;
    struct cds_lfht_node *n;
    int rc;

    if (map == NULL || fn == NULL)
        return -EINVAL;
    if (!map->intrusive)
        return -EPERM;
    rc = weft__rcu_read_enter();
    if (rc != 0)
        return rc;
    cds_lfht_for_each(map->ht, &iter, n)
    {
        /* [M2] */
        WEFT_HB_ACQUIRE(to_inode(n));
        rc = fn(ctx, (struct weft_map_node *)(void *)to_inode(n));
        if (rc != 0)
            break;
    }
    weft__rcu_read_exit();
    return rc;
}
