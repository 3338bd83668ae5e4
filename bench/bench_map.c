/* SPDX-License-Identifier: MIT */
/*
 * bench_map.c - hash map operations per second.
 *
 * Workloads: 8-byte keys and values; a key space of 2N keys of which N are
 * preloaded (so lookups hit half the time); N = 1k (hot set, contention-
 * bound) and N = 1M (memory-bound; WEFT_BENCH_QUICK: 64k), buckets = 2N
 * (N = 1M: 1M of 2M keys preloaded, 2^21 buckets, issue #4's set-up; the
 * weft map through opts.initial_buckets, raw cds_lfht the same).
 * Mixes: 100% lookups, and 90% lookups / 10% updates (half put, half
 * remove: occupancy stays near N). Threads: WEFT_BENCH_THREADS (1,2).
 *
 * Systems:
 *   weft          weft_map, threads attached as RCU readers (the path weft
 *                 workers take), weft_map_quiescent() every 256 ops
 *   weft-outside  weft_map from plain threads (online/offline per op)
 *   mutex         chained hash map behind one pthread mutex (baseline)
 *   rwlock        the same behind a pthread_rwlock
 *   cds_lfht      raw cds_lfht, QSBR flavour, same node layout idea
 *                 (8-byte key inline), call_rcu frees: the wrapper's cost
 */
#define _LGPL_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <urcu/urcu-qsbr.h>

#include <urcu/rculfhash.h>

#include <weft/map.h>

#include "bench.h"

enum sys { S_WEFT, S_WEFT_OUT, S_MUTEX, S_RWLOCK, S_LFHT, NSYS };
static const char *sys_name[NSYS] = {"weft", "weft-outside", "mutex", "rwlock",
                                     "cds_lfht"};

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

/* ---- the chained baseline -------------------------------------------------
 */

struct cnode {
    struct cnode *next;
    uint64_t key, val;
};
static struct cnode **cb;
static uint64_t cmask;
static pthread_mutex_t cmtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t crw = PTHREAD_RWLOCK_INITIALIZER;

static bool
c_get(uint64_t k, uint64_t *v)
{
    for (struct cnode *n = cb[fmix(k) & cmask]; n; n = n->next)
        if (n->key == k) {
            *v = n->val;
            return true;
        }
    return false;
}

static void
c_put(uint64_t k, uint64_t v)
{
    struct cnode **h = &cb[fmix(k) & cmask], *n;

    for (n = *h; n; n = n->next)
        if (n->key == k) {
            n->val = v;
            return;
        }
    n = malloc(sizeof(*n));
    if (n == NULL)
        abort();
    *n = (struct cnode){*h, k, v};
    *h = n;
}

static void
c_del(uint64_t k)
{
    for (struct cnode **p = &cb[fmix(k) & cmask]; *p; p = &(*p)->next)
        if ((*p)->key == k) {
            struct cnode *d = *p;
            *p = d->next;
            free(d);
            return;
        }
}

static void
c_free(void)
{
    for (uint64_t i = 0; i <= cmask; i++)
        while (cb[i]) {
            struct cnode *d = cb[i];
            cb[i] = d->next;
            free(d);
        }
    free(cb);
}

/* ---- raw cds_lfht -----------------------------------------------------------
 */

struct lnode {
    struct cds_lfht_node n;
    uint64_t key, val;
    struct rcu_head rh;
};
static struct cds_lfht *lht;

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
l_put(uint64_t k, uint64_t v)
{
    struct lnode *x = malloc(sizeof(*x)), *old;
    struct cds_lfht_node *o;

    if (x == NULL)
        abort();
    cds_lfht_node_init(&x->n);
    x->key = k;
    x->val = v;
    o = cds_lfht_add_replace(lht, fmix(k), l_match, &k, &x->n);
    if (o) {
        old = caa_container_of(o, struct lnode, n);
        urcu_qsbr_call_rcu(&old->rh, l_free);
    }
}

static void
l_del(uint64_t k)
{
    struct cds_lfht_iter it;
    struct cds_lfht_node *n;

    cds_lfht_lookup(lht, fmix(k), l_match, &k, &it);
    n = cds_lfht_iter_get_node(&it);
    if (n && cds_lfht_del(lht, n) == 0)
        urcu_qsbr_call_rcu(&caa_container_of(n, struct lnode, n)->rh, l_free);
}

/* ---- the measured loop ----------------------------------------------------
 */

static weft_map_t *wm;
static uint64_t nkeys; /* N; the key space is 2N */
static _Alignas(128) atomic_int go, stop;
static atomic_uint ready;

struct targ {
    enum sys sys;
    unsigned upd_pct;
    uint64_t seed;
    uint64_t ops;
};

static inline void
one(enum sys sys, uint64_t k, bool upd, bool put)
{
    uint64_t v = 0;

    switch (sys) {
    case S_WEFT:
    case S_WEFT_OUT:
        if (!upd) {
            weft_map_get(wm, &k, sizeof(k), &v, sizeof(v), NULL);
        } else if (put) {
            weft_map_put(wm, &k, sizeof(k), &k, sizeof(k), NULL);
        } else {
            weft_map_remove(wm, &k, sizeof(k));
        }
        break;
    case S_MUTEX:
        pthread_mutex_lock(&cmtx);
        if (!upd)
            c_get(k, &v);
        else if (put)
            c_put(k, k);
        else
            c_del(k);
        pthread_mutex_unlock(&cmtx);
        break;
    case S_RWLOCK:
        if (!upd) {
            pthread_rwlock_rdlock(&crw);
            c_get(k, &v);
        } else {
            pthread_rwlock_wrlock(&crw);
            if (put)
                c_put(k, k);
            else
                c_del(k);
        }
        pthread_rwlock_unlock(&crw);
        break;
    case S_LFHT:
        if (!upd) {
            struct cds_lfht_iter it;
            struct cds_lfht_node *n;
            cds_lfht_lookup(lht, fmix(k), l_match, &k, &it);
            n = cds_lfht_iter_get_node(&it);
            if (n)
                v = caa_container_of(n, struct lnode, n)->val;
        } else if (put) {
            l_put(k, k);
        } else {
            l_del(k);
        }
        break;
    default:
        break;
    }
    BENCH_KEEP(v);
}

static void *
run(void *p)
{
    struct targ *t = p;
    uint64_t s = t->seed | 1, ops = 0, space = 2 * nkeys;

    if (t->sys == S_WEFT)
        weft_map_reader_attach();
    else if (t->sys == S_LFHT)
        urcu_qsbr_register_thread();
    /* relaxed: a start line (go is the acquire). */
    atomic_fetch_add_explicit(&ready, 1, memory_order_relaxed);
    while (!atomic_load_explicit(&go, memory_order_acquire))
        ;
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        for (int i = 0; i < 256; i++) {
            uint64_t r = xs(&s);
            bool upd = (r >> 56) % 100 < t->upd_pct;
            one(t->sys, (r & 0xffffffffffull) % space, upd, (r >> 55) & 1);
        }
        ops += 256;
        if (t->sys == S_WEFT)
            weft_map_quiescent();
        else if (t->sys == S_LFHT)
            urcu_qsbr_quiescent_state();
    }
    if (t->sys == S_WEFT)
        weft_map_reader_detach();
    else if (t->sys == S_LFHT)
        urcu_qsbr_unregister_thread();
    t->ops = ops;
    return NULL;
}

static double
measure(enum sys sys, unsigned nt, unsigned upd_pct, uint64_t ms)
{
    pthread_t th[BENCH_MAX_THREADS];
    struct targ ta[BENCH_MAX_THREADS];
    uint64_t t0, t1, total = 0;
    struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

    atomic_store_explicit(&go, 0, memory_order_relaxed);
    atomic_store_explicit(&stop, 0, memory_order_relaxed);
    atomic_store_explicit(&ready, 0, memory_order_relaxed);
    for (unsigned i = 0; i < nt; i++) {
        ta[i] = (struct targ){sys, upd_pct, fmix(i + 1 + ms), 0};
        pthread_create(&th[i], NULL, run, &ta[i]);
    }
    while (atomic_load_explicit(&ready, memory_order_relaxed) < nt)
        ;
    t0 = bench_now_ns();
    BENCH_REGION_BEGIN();
    atomic_store_explicit(&go, 1, memory_order_release);
    nanosleep(&ts, NULL);
    atomic_store_explicit(&stop, 1, memory_order_relaxed);
    for (unsigned i = 0; i < nt; i++) {
        pthread_join(th[i], NULL);
        total += ta[i].ops;
    }
    t1 = bench_now_ns();
    BENCH_REGION_END();
    return (double)total * 1e9 / (double)(t1 - t0);
}

/* Preload: every even key of [0, 2N) (N keys). */
static void *
preload_lfht(void *arg)
{
    (void)arg;
    urcu_qsbr_register_thread();
    for (uint64_t k = 0; k < 2 * nkeys; k += 2)
        l_put(k, k);
    urcu_qsbr_unregister_thread();
    return NULL;
}

static void
build(enum sys sys)
{
    unsigned long buckets = 1;

    while (buckets < 2 * nkeys)
        buckets <<= 1;
    if (sys == S_WEFT) {
        struct weft_map_opts o = WEFT_MAP_OPTS_INIT;
        o.initial_buckets = buckets;
        if (weft_map_create(&o, &wm) != 0)
            abort();
        weft_map_reader_attach();
        for (uint64_t k = 0; k < 2 * nkeys; k += 2)
            weft_map_put(wm, &k, sizeof(k), &k, sizeof(k), NULL);
        weft_map_reader_detach();
    } else if (sys == S_MUTEX) {
        cb = calloc(buckets, sizeof(*cb));
        if (cb == NULL)
            abort();
        cmask = buckets - 1;
        for (uint64_t k = 0; k < 2 * nkeys; k += 2)
            c_put(k, k);
    } else if (sys == S_LFHT) {
        pthread_t t;
        lht = cds_lfht_new_flavor(buckets, 64, 0,
                                  CDS_LFHT_AUTO_RESIZE | CDS_LFHT_ACCOUNTING,
                                  &urcu_qsbr_flavor, NULL);
        if (lht == NULL)
            abort();
        pthread_create(&t, NULL, preload_lfht, NULL);
        pthread_join(t, NULL);
    }
}

static void
teardown(enum sys sys)
{
    if (sys == S_WEFT) {
        weft_map_destroy(wm);
    } else if (sys == S_MUTEX) {
        c_free();
    } else if (sys == S_LFHT) {
        struct cds_lfht_iter it;
        struct cds_lfht_node *n;
        urcu_qsbr_register_thread();
        cds_lfht_for_each(lht, &it, n)
        {
            if (cds_lfht_del(lht, n) == 0)
                urcu_qsbr_call_rcu(&caa_container_of(n, struct lnode, n)->rh,
                                   l_free);
        }
        urcu_qsbr_thread_offline();
        urcu_qsbr_barrier();
        urcu_qsbr_unregister_thread();
        cds_lfht_destroy(lht, NULL);
    }
}

static void *
teardown_thread(void *arg)
{
    teardown(*(enum sys *)arg);
    return NULL;
}

int
main(void)
{
    unsigned threads[BENCH_MAX_THREADS];
    int nt = bench_threads(threads, BENCH_MAX_THREADS, "1,2");
    uint64_t ms = bench_size("WEFT_BENCH_MAP_MS", 60, 30);
    uint64_t sizes[2] = {1000,
                         bench_size("WEFT_BENCH_MAP_KEYS", 1000000, 65536)};
    static const enum sys order[] = {S_WEFT, S_WEFT_OUT, S_MUTEX, S_RWLOCK,
                                     S_LFHT};
    char params[96];

    for (int z = 0; z < 2; z++) {
        nkeys = sizes[z];
        for (unsigned i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
            enum sys s = order[i];
            /* weft-outside and rwlock reuse the table just built. */
            if (s != S_WEFT_OUT && s != S_RWLOCK)
                build(s);
            for (int t = 0; t < nt; t++) {
                for (unsigned upd = 0; upd <= 10; upd += 10) {
                    snprintf(params, sizeof(params),
                             "keys=%llu,lookup=%u%%,threads=%u",
                             (unsigned long long)nkeys, 100 - upd, threads[t]);
                    bench_emit("map_ops", params, sys_name[s],
                               measure(s, threads[t], upd, ms), "ops/s",
                               "higher");
                }
            }
            if (s == S_WEFT_OUT) {
                teardown(S_WEFT);
            } else if (s == S_RWLOCK) {
                teardown(S_MUTEX);
            } else if (s == S_LFHT) {
                pthread_t th; /* a thread of its own: see preload */
                pthread_create(&th, NULL, teardown_thread, &s);
                pthread_join(th, NULL);
            }
        }
    }
    return 0;
}
