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
 * [M3] values are immutable once published: an update links a new node
 *      (copy-on-write), so a reader never sees a torn value.
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
 * The entry count is a sharded weft counter: exact when updates stop.
 */
#include <string.h>
#include <time.h>

#include <urcu/urcu-qsbr.h>

#include <urcu/rculfhash.h>

#include <weft/counter.h>
#include <weft/map.h>

#include "rcu.h"

/* A byte-map entry: one allocation, key then value inline. */
struct bnode {
    struct cds_lfht_node lfn; /* next pointer and reverse hash */
    uint32_t klen;
    uint32_t vlen;
    struct rcu_head rh;
    unsigned char data[]; /* key, then value */
};

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
};

/* What the match callbacks compare against. */
struct probe {
    const void *key;
    size_t klen;
    const struct weft_map *map;
};

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
 * makes collisions hard to precompute. */
static uint64_t
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

static inline unsigned long
map_hash(const struct weft_map *map, const void *key, size_t klen)
{
    if (map->hash != NULL)
        return (unsigned long)map->hash(key, klen, map->ctx);
    return (unsigned long)hash_bytes(key, klen, map->seed);
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
    return b->klen == p->klen && memcmp(b->data, p->key, p->klen) == 0;
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
map_match(const struct weft_map *map)
{
    if (map->intrusive)
        return match_node;
    return map->key_eq != NULL ? match_key_eq : match_bytes;
}

/* ---- nodes and retirement: [M1] [M4] ------------------------------------- */

static struct bnode *
bnode_new(const void *key, size_t klen, const void *val, size_t vlen)
{
    struct bnode *b = weft__malloc(sizeof(*b) + klen + vlen);

    if (b == NULL)
        return NULL;
    cds_lfht_node_init(&b->lfn);
    b->klen = (uint32_t)klen;
    b->vlen = (uint32_t)vlen;
    memcpy(b->data, key, klen);
    if (vlen > 0)
        memcpy(b->data + klen, val, vlen);
    return b;
}

static void
bnode_free_cb(struct rcu_head *rh)
{
    struct bnode *b = node_of(rh, struct bnode, rh);

    /* [M4]/[R5] after the grace period, and after the retiring thread. */
    WEFT_RCU_GP_DONE();
    WEFT_HB_ACQUIRE(b);
    weft__free(b);
    /* [M6] */
    WEFT_RCU_CALLBACK_END();
}

static void
inode_free_cb(struct rcu_head *rh)
{
    struct inode *in = node_of(rh, struct inode, rh);
    struct weft_map *map;

    /* [M4]/[R5] before the first read of the node (in->map too). */
    WEFT_RCU_GP_DONE();
    WEFT_HB_ACQUIRE(in);
    map = in->map;
    map->node_free((struct weft_map_node *)(void *)in, map->ctx);
    /* [M6] the map is freed only after this (destroy's barrier). */
    WEFT_RCU_CALLBACK_END();
}

/* Retire an unlinked node; call inside the read section. */
static void
retire(const struct weft_map *map, struct cds_lfht_node *n)
{
    if (map->intrusive) {
        /* [M4] release: our last accesses before the callback's. */
        WEFT_HB_RELEASE(to_inode(n));
        urcu_qsbr_call_rcu(&to_inode(n)->rh, inode_free_cb);
    } else {
        /* [M4] */
        WEFT_HB_RELEASE(to_bnode(n));
        urcu_qsbr_call_rcu(&to_bnode(n)->rh, bnode_free_cb);
    }
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
        if (cds_lfht_del(map->ht, n) == 0) {
            retire(map, n);
            removed++;
        }
    }
    weft__rcu_read_exit();
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

    cds_lfht_lookup(map->ht, hash, map_match(map), p, iter);
    n = cds_lfht_iter_get_node(iter);
    /* [M2] */
    if (n != NULL)
        WEFT_HB_ACQUIRE(map->intrusive ? (void *)to_inode(n)
                                       : (void *)to_bnode(n));
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
        else if (b->vlen > 0)
            memcpy(buf, b->data + b->klen, b->vlen);
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

WEFT_API int
weft_map_get_with(weft_map_t *map, const void *key, size_t klen,
                  weft_map_value_fn fn, void *ctx)
{
    struct probe p = {key, klen, map};
    struct cds_lfht_iter iter;
    struct cds_lfht_node *n;
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
        rc = fn(ctx, b->data + b->klen, b->vlen);
    }
    weft__rcu_read_exit();
    return rc;
}

/* ---- byte-map updates ---------------------------------------------------- */

enum put_mode { PUT_ANY, PUT_IF_ABSENT, PUT_IF_PRESENT };

static int
put_common(weft_map_t *map, const void *key, size_t klen, const void *val,
           size_t vlen, enum put_mode mode, bool *replaced)
{
    struct probe p = {key, klen, map};
    unsigned long hash;
    struct cds_lfht_iter iter;
    struct cds_lfht_node *old;
    struct bnode *b;
    int rc = check_key(map, key, klen, false);

    if (rc == 0)
        rc = check_value(val, vlen);
    if (rc != 0)
        return rc;
    hash = map_hash(map, key, klen);
    b = bnode_new(key, klen, val, vlen);
    if (b == NULL)
        return -ENOMEM;
    rc = weft__rcu_read_enter();
    if (rc != 0) {
        weft__free(b);
        return rc;
    }
    /* [M1] the node is complete. */
    WEFT_HB_RELEASE(b);
    switch (mode) {
    case PUT_ANY:
        old = cds_lfht_add_replace(map->ht, hash, map_match(map), &p, &b->lfn);
        if (old != NULL)
            retire(map, old);
        if (replaced != NULL)
            *replaced = old != NULL;
        if (old == NULL)
            weft_counter_add(map->count, 1);
        break;
    case PUT_IF_ABSENT:
        old = cds_lfht_add_unique(map->ht, hash, map_match(map), &p, &b->lfn);
        if (old != &b->lfn) {
            weft__free(b); /* never published */
            rc = WEFT_EEXIST;
        } else {
            weft_counter_add(map->count, 1);
        }
        break;
    case PUT_IF_PRESENT:
        for (;;) {
            old = lookup(map, &p, hash, &iter);
            if (old == NULL) {
                weft__free(b); /* never published */
                rc = -ENOENT;
                break;
            }
            /* [M5] fails if old was unlinked since the lookup. */
            if (cds_lfht_replace(map->ht, &iter, hash, map_match(map), &p,
                                 &b->lfn) == 0) {
                retire(map, old);
                break;
            }
        }
        break;
    }
    weft__rcu_read_exit();
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
    int rc = weft__rcu_read_enter();

    if (rc != 0)
        return rc;
    for (;;) {
        n = lookup(map, &p, hash, &iter);
        if (n == NULL) {
            rc = -ENOENT;
            break;
        }
        /* [M5] fails if someone else unlinked n first: look again. */
        if (cds_lfht_del(map->ht, n) == 0) {
            retire(map, n);
            weft_counter_add(map->count, -1);
            break;
        }
    }
    weft__rcu_read_exit();
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
    const void *nv = NULL;
    size_t nlen = 0;
    int verdict;

    verdict = fn(ctx, old ? old->data + old->klen : NULL, old ? old->vlen : 0,
                 old != NULL, &nv, &nlen);
    if (verdict < 0)
        return verdict;
    switch (verdict) {
    case WEFT_MAP_KEEP:
        return 0;
    case WEFT_MAP_DELETE:
        if (n == NULL)
            return 0;
        /* [M5] */
        if (cds_lfht_del(map->ht, n) != 0)
            return 1;
        retire(map, n);
        weft_counter_add(map->count, -1);
        return 0;
    case WEFT_MAP_SET:
        if (check_value(nv, nlen) != 0)
            return -EINVAL;
        b = bnode_new(p->key, p->klen, nv, nlen);
        if (b == NULL)
            return -ENOMEM;
        /* [M1] */
        WEFT_HB_RELEASE(b);
        if (n != NULL) {
            /* [M5] */
            if (cds_lfht_replace(map->ht, &iter, hash, map_match(map), p,
                                 &b->lfn) != 0) {
                weft__free(b); /* never published */
                return 1;
            }
            retire(map, n);
            return 0;
        }
        /* [M5] */
        won = cds_lfht_add_unique(map->ht, hash, map_match(map), p, &b->lfn);
        if (won != &b->lfn) {
            weft__free(b); /* never published */
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
        ;
    weft__rcu_read_exit();
    return rc;
}

WEFT_API int
weft_map_foreach(weft_map_t *map, weft_map_entry_fn fn, void *ctx)
{
    struct cds_lfht_iter iter;
    struct cds_lfht_node *n;
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
        rc = fn(ctx, b->data, b->klen, b->data + b->klen, b->vlen);
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
