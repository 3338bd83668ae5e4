/* SPDX-License-Identifier: MIT */
/*
 * cgops - one operation repeated WEFT_CG_N times, single-threaded, inside
 * the measured region: for bench/run.sh --callgrind only (the difference
 * of two sizes gives instructions per operation). Not a timed benchmark
 * (it is not named bench_*). WEFT_CG_OP selects:
 *   counter       weft_counter_add (the inline sharded fast path)
 *   counter4      weft_counter_add to 4 counters in turn (every add misses
 *                 the thread's one-pair cache: the inline fallback)
 *   atomic        one shared C11 atomic fetch_add (the baseline)
 *   mutex         pthread mutex lock, ++, unlock (the baseline)
 *   map           weft_map_get of a present 8-byte key (1024 keys)
 *   mapput        weft_map_put of a present 8-byte key, new 8-byte value
 *                 (1024 keys; the update of the 90/10 mix that finds its
 *                 key: in place since [M10])
 *   map1m         weft_map_get, bench_map's 1M set-up (1M of 2M 8-byte keys
 *                 preloaded, 2^21 buckets, a random key of the 2M: half
 *                 hit), from an attached reader; with --cache-sim=yes the
 *                 cache misses per lookup
 *   map1m90       the same, 90% lookups / 10% updates (half put, half
 *                 remove), weft_map_quiescent() every 256 ops
 *   map1k90       the same mix on bench_map's hot set-up (1000 of 2000
 *                 8-byte keys preloaded, 2048 buckets)
 *   lfht1m        raw cds_lfht (QSBR) lookups, the same set-up and keys as
 *                 bench_map's cds_lfht row
 *   lfht1m90      raw cds_lfht, the 90/10 mix
 *   queue         weft_queue_try_put + try_get (FIFO, capacity 1024)
 *   queuelanes    the same on WEFT_QUEUE_FIFO_LANES
 *   mutexq        the same through a mutex-guarded ring (the baseline)
 *   subres        futures on a 1-worker pool, in bursts of 1000: submit
 *                 each, then weft_future_result() + release each in order
 *                 (bench_futures' submit_result baseline)
 *   ascomp        the same bursts through a waitset (bench_futures'
 *                 as_completed): submit, weft_waitset_add(), release;
 *                 then weft_waitset_next(), result (poll), release
 *   ascompsub     ascomp with weft_waitset_submit() (the fused submit +
 *                 add; no release after it)
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <weft.h>

#define _LGPL_SOURCE
#include <urcu/urcu-qsbr.h>

#include <urcu/rculfhash.h>

#include "bench.h"

#define RING 1024

struct mutex_ring {
    pthread_mutex_t lock;
    void *slot[RING];
    unsigned head, tail;
};

#define BURST 1000

static int
noop(void *arg, void **result)
{
    *result = arg;
    return 0;
}

/* One burst of bench_futures' submit_result; the number of futures. */
static uint64_t
subres_burst(weft_pool_t *pool, weft_future_t **fut)
{
    for (unsigned j = 0; j < BURST; j++)
        if (weft_pool_submit(pool, noop, NULL, &fut[j]) != 0)
            exit(1);
    for (unsigned j = 0; j < BURST; j++) {
        if (weft_future_result(fut[j], WEFT_DEADLINE_NEVER, NULL) != 0)
            exit(1);
        weft_future_release(fut[j]);
    }
    return BURST;
}

/* One burst of bench_futures' as_completed; the number of futures. */
static uint64_t
ascomp_burst(weft_pool_t *pool, int fused)
{
    weft_waitset_t *ws;
    weft_future_t *f;
    uintptr_t tag;
    uint64_t got = 0;

    if (weft_waitset_create(NULL, &ws) != 0)
        exit(1);
    for (unsigned j = 0; j < BURST; j++) {
        if (fused) {
            if (weft_waitset_submit(ws, pool, noop, NULL, j) != 0)
                exit(1);
            continue;
        }
        if (weft_pool_submit(pool, noop, NULL, &f) != 0 ||
            weft_waitset_add(ws, f, j) != 0)
            exit(1);
        weft_future_release(f);
    }
    while (weft_waitset_next(ws, WEFT_DEADLINE_NEVER, &f, &tag) == 0) {
        if (weft_future_result(f, WEFT_DEADLINE_POLL, NULL) != 0)
            exit(1);
        weft_future_release(f);
        got++;
    }
    weft_waitset_destroy(ws);
    if (got != BURST)
        exit(1);
    return got;
}

static int
mr_put(struct mutex_ring *r, void *p)
{
    int ok;
    pthread_mutex_lock(&r->lock);
    ok = r->tail - r->head < RING;
    if (ok)
        r->slot[r->tail++ % RING] = p;
    pthread_mutex_unlock(&r->lock);
    return ok ? 0 : -EAGAIN;
}

static int
mr_get(struct mutex_ring *r, void **p)
{
    int ok;
    pthread_mutex_lock(&r->lock);
    ok = r->tail != r->head;
    if (ok)
        *p = r->slot[r->head++ % RING];
    pthread_mutex_unlock(&r->lock);
    return ok ? 0 : -EAGAIN;
}

/* ---- the 1M-key set-up of bench_map.c ------------------------------------ */

#define M1_KEYS    (1ull << 20) /* ~1M, 2^21 buckets as bench_map */
#define M1_BUCKETS (1ul << 21)

static inline uint64_t
fmix(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ull;
    k ^= k >> 33;
    return k;
}

static inline uint64_t
xs(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

struct lnode {
    struct cds_lfht_node n;
    uint64_t key, val;
    struct rcu_head rh;
};

static int
l_match(struct cds_lfht_node *n, const void *key)
{
    return caa_container_of(n, struct lnode, n)->key == *(const uint64_t *)key;
}

static void
l_free(struct rcu_head *rh)
{
    free(caa_container_of(rh, struct lnode, rh));
}

static void
l_put(struct cds_lfht *ht, uint64_t k, uint64_t v)
{
    struct lnode *x = malloc(sizeof(*x));
    struct cds_lfht_node *o;

    if (x == NULL)
        abort();
    cds_lfht_node_init(&x->n);
    x->key = k;
    x->val = v;
    o = cds_lfht_add_replace(ht, fmix(k), l_match, &k, &x->n);
    if (o)
        urcu_qsbr_call_rcu(&caa_container_of(o, struct lnode, n)->rh, l_free);
}

static void
l_del(struct cds_lfht *ht, uint64_t k)
{
    struct cds_lfht_iter it;
    struct cds_lfht_node *n;

    cds_lfht_lookup(ht, fmix(k), l_match, &k, &it);
    n = cds_lfht_iter_get_node(&it);
    if (n && cds_lfht_del(ht, n) == 0)
        urcu_qsbr_call_rcu(&caa_container_of(n, struct lnode, n)->rh, l_free);
}

static uint64_t
m1_weft(unsigned long n, unsigned upd_pct, uint64_t keys, unsigned long buckets)
{
    struct weft_map_opts o = WEFT_MAP_OPTS_INIT;
    weft_map_t *m;
    uint64_t k, v = 0, sink = 0, s = 88172645463325252ull, r;

    o.initial_buckets = buckets;
    if (weft_map_create(&o, &m) != 0)
        abort();
    weft_map_reader_attach();
    for (k = 0; k < 2 * keys; k += 2)
        weft_map_put(m, &k, sizeof(k), &k, sizeof(k), NULL);
    BENCH_REGION_BEGIN();
    for (unsigned long i = 0; i < n; i++) {
        r = xs(&s);
        k = (r & 0xffffffffffull) % (2 * keys);
        if ((r >> 56) % 100 >= upd_pct)
            sink += weft_map_get(m, &k, sizeof(k), &v, sizeof(v), NULL) == 0;
        else if ((r >> 55) & 1)
            weft_map_put(m, &k, sizeof(k), &k, sizeof(k), NULL);
        else
            weft_map_remove(m, &k, sizeof(k));
        if ((i & 255) == 255)
            weft_map_quiescent();
    }
    BENCH_REGION_END();
    weft_map_reader_detach();
    weft_map_destroy(m);
    return sink + v;
}

static uint64_t
m1_lfht(unsigned long n, unsigned upd_pct)
{
    struct cds_lfht *ht;
    struct cds_lfht_iter it;
    struct cds_lfht_node *nd;
    uint64_t k, v = 0, sink = 0, s = 88172645463325252ull, r;

    ht = cds_lfht_new_flavor(M1_BUCKETS, 64, 0,
                             CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
                             &urcu_qsbr_flavor, NULL);
    if (ht == NULL)
        abort();
    urcu_qsbr_register_thread();
    for (k = 0; k < 2 * M1_KEYS; k += 2)
        l_put(ht, k, k);
    BENCH_REGION_BEGIN();
    for (unsigned long i = 0; i < n; i++) {
        r = xs(&s);
        k = (r & 0xffffffffffull) % (2 * M1_KEYS);
        if ((r >> 56) % 100 >= upd_pct) {
            cds_lfht_lookup(ht, fmix(k), l_match, &k, &it);
            nd = cds_lfht_iter_get_node(&it);
            if (nd) {
                v = caa_container_of(nd, struct lnode, n)->val;
                sink++;
            }
        } else if ((r >> 55) & 1) {
            l_put(ht, k, k);
        } else {
            l_del(ht, k);
        }
        if ((i & 255) == 255)
            urcu_qsbr_quiescent_state();
    }
    BENCH_REGION_END();
    /* The table is left to exit: this is a measurement, not a test. */
    urcu_qsbr_unregister_thread();
    return sink + v;
}

int
main(void)
{
    const char *op = getenv("WEFT_CG_OP");
    const char *ns = getenv("WEFT_CG_N");
    unsigned long n = ns ? strtoul(ns, NULL, 10) : 100000;
    unsigned long i;
    uint64_t sink = 0;
    char params[64];

    if (op == NULL) {
        fprintf(stderr, "cgops: set WEFT_CG_OP\n");
        return 2;
    }
    snprintf(params, sizeof(params), "n=%lu", n);
    if (strcmp(op, "counter") == 0) {
        weft_counter_t *c;
        int64_t v = 0;
        if (weft_counter_create(&c) != 0)
            return 1;
        weft_counter_add(c, 1); /* the thread's slot exists before */
        BENCH_REGION_BEGIN();
        for (i = 0; i < n; i++)
            weft_counter_add(c, 1);
        BENCH_REGION_END();
        weft_counter_read(c, &v);
        sink = (uint64_t)v;
        weft_counter_destroy(c);
    } else if (strcmp(op, "counter4") == 0) {
        weft_counter_t *c[4];
        int64_t v = 0;
        for (int j = 0; j < 4; j++) {
            if (weft_counter_create(&c[j]) != 0)
                return 1;
            weft_counter_add(c[j], 1); /* the thread's slots exist before */
        }
        BENCH_REGION_BEGIN();
        for (i = 0; i < n; i++)
            weft_counter_add(c[i & 3], 1);
        BENCH_REGION_END();
        for (int j = 0; j < 4; j++) {
            weft_counter_read(c[j], &v);
            sink += (uint64_t)v;
            weft_counter_destroy(c[j]);
        }
    } else if (strcmp(op, "atomic") == 0) {
        static _Atomic uint64_t a;
        BENCH_REGION_BEGIN();
        for (i = 0; i < n; i++)
            atomic_fetch_add_explicit(&a, 1, memory_order_relaxed);
        BENCH_REGION_END();
        sink = atomic_load(&a);
    } else if (strcmp(op, "mutex") == 0) {
        static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
        static uint64_t v;
        BENCH_REGION_BEGIN();
        for (i = 0; i < n; i++) {
            pthread_mutex_lock(&m);
            v++;
            pthread_mutex_unlock(&m);
        }
        BENCH_REGION_END();
        sink = v;
    } else if (strcmp(op, "map") == 0) {
        weft_map_t *m;
        uint64_t k, val;
        if (weft_map_create(NULL, &m) != 0)
            return 1;
        for (k = 0; k < 1024; k++)
            weft_map_put(m, &k, sizeof(k), &k, sizeof(k), NULL);
        BENCH_REGION_BEGIN();
        for (i = 0; i < n; i++) {
            k = i & 1023;
            weft_map_get(m, &k, sizeof(k), &val, sizeof(val), NULL);
            sink += val;
        }
        BENCH_REGION_END();
        weft_map_destroy(m);
    } else if (strcmp(op, "mapput") == 0) {
        weft_map_t *m;
        uint64_t k, val;
        if (weft_map_create(NULL, &m) != 0)
            return 1;
        for (k = 0; k < 1024; k++)
            weft_map_put(m, &k, sizeof(k), &k, sizeof(k), NULL);
        BENCH_REGION_BEGIN();
        for (i = 0; i < n; i++) {
            k = i & 1023;
            val = i;
            sink +=
                weft_map_put(m, &k, sizeof(k), &val, sizeof(val), NULL) == 0;
        }
        BENCH_REGION_END();
        weft_map_destroy(m);
    } else if (strcmp(op, "map1m") == 0) {
        sink = m1_weft(n, 0, M1_KEYS, M1_BUCKETS);
    } else if (strcmp(op, "map1m90") == 0) {
        sink = m1_weft(n, 10, M1_KEYS, M1_BUCKETS);
    } else if (strcmp(op, "map1k90") == 0) {
        sink = m1_weft(n, 10, 1000, 2048);
    } else if (strcmp(op, "lfht1m") == 0) {
        sink = m1_lfht(n, 0);
    } else if (strcmp(op, "lfht1m90") == 0) {
        sink = m1_lfht(n, 10);
    } else if (strcmp(op, "queue") == 0 || strcmp(op, "queuelanes") == 0) {
        weft_queue_t *q;
        void *p = NULL;
        if (weft_queue_create(strcmp(op, "queue") == 0 ? WEFT_QUEUE_FIFO
                                                       : WEFT_QUEUE_FIFO_LANES,
                              RING, &q) != 0)
            return 1;
        BENCH_REGION_BEGIN();
        for (i = 0; i < n; i++) {
            weft_queue_try_put(q, (void *)(uintptr_t)(i + 1));
            weft_queue_try_get(q, &p);
            sink += (uintptr_t)p;
        }
        BENCH_REGION_END();
        weft_queue_destroy(q);
    } else if (strcmp(op, "mutexq") == 0) {
        static struct mutex_ring r = {PTHREAD_MUTEX_INITIALIZER, {0}, 0, 0};
        void *p = NULL;
        BENCH_REGION_BEGIN();
        for (i = 0; i < n; i++) {
            mr_put(&r, (void *)(uintptr_t)(i + 1));
            mr_get(&r, &p);
            sink += (uintptr_t)p;
        }
        BENCH_REGION_END();
    } else if (strcmp(op, "subres") == 0 || strcmp(op, "ascomp") == 0 ||
               strcmp(op, "ascompsub") == 0) {
        struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
        static weft_future_t *fut[BURST];
        weft_pool_t *pool;
        int ac = strcmp(op, "subres") != 0;
        int fused = strcmp(op, "ascompsub") == 0;
        o.workers = 1;
        if (weft_pool_create(&o, &pool) != 0)
            return 1;
        /* Warm-up: the thread's future cache, lanes, chunks. */
        for (int j = 0; j < 4; j++)
            sink += ac ? ascomp_burst(pool, fused) : subres_burst(pool, fut);
        sink = 0;
        BENCH_REGION_BEGIN();
        for (i = 0; i < n; i += BURST)
            sink += ac ? ascomp_burst(pool, fused) : subres_burst(pool, fut);
        BENCH_REGION_END();
        weft_pool_destroy(pool);
    } else {
        fprintf(stderr, "cgops: unknown WEFT_CG_OP %s\n", op);
        return 2;
    }
    BENCH_KEEP(sink);
    bench_emit("cgops", params, op, (double)sink, "sink", "higher");
    return 0;
}
