/* SPDX-License-Identifier: MIT */
/*
 * stress_map.c - readers and writers race on overlapping keys of a byte map
 * and an intrusive map. argv: threads seconds seed.
 *
 * Thread kinds (thread i has kind i % 3): outside threads (a barrier per
 * operation), attached readers (weft_map_reader_attach, quiescent every 64
 * operations), and harness workers (the scheduler hooks: quiescent after
 * every "task", offline/online around a yield now and then).
 *
 * Checks:
 *  - values are never torn: each value repeats its key index and a
 *    version, checked on every get / get_with / foreach; one hot key
 *    takes a quarter of the operations, so in-place writes (same length)
 *    race with copies;
 *  - nothing is lost: "tally" keys are only changed with compute(+1); the
 *    sum of their values equals the sum of successful computes;
 *  - nothing is freed while read: the intrusive map's node_free only marks
 *    an object dead (freed at the end); a reader that ever sees a dead
 *    object inside find/foreach fails. ASan builds also see real frees of
 *    byte-map nodes, TSan builds the annotated hand-offs;
 *  - len equals a walk of the map once writers stop.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft/map.h>

#include "rcu.h"
#include "weft_test.h"

enum { KEYS = 256, TALLY = 8, VAL_WORDS = 8 }; /* 64 bytes: in place */

static weft_map_t *bm, *im;
static atomic_int stop;
static atomic_llong computes;

/* ---- byte map values: key index, version, then copies of both -------- */

struct val {
    uint64_t w[VAL_WORDS];
};

static void
val_make(struct val *v, unsigned k, uint64_t ver)
{
    for (int i = 0; i < VAL_WORDS; i++)
        v->w[i] = (i % 2 == 0) ? k : ver;
}

static void
val_check(const void *p, size_t n, unsigned k)
{
    struct val v;

    ASSERT_EQ(n, sizeof(v));
    memcpy(&v, p, sizeof(v));
    for (int i = 0; i < VAL_WORDS; i++)
        ASSERT_EQ(v.w[i], (i % 2 == 0) ? k : v.w[1]);
}

static int
check_value_cb(void *ctx, const void *v, size_t n)
{
    val_check(v, n, *(unsigned *)ctx);
    return 0;
}

static int
check_entry_cb(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    unsigned idx;

    (void)ctx;
    if (kl == sizeof(unsigned) + 1) /* a tally key */
        return 0;
    ASSERT_EQ(kl, sizeof(idx));
    memcpy(&idx, k, sizeof(idx));
    val_check(v, vl, idx);
    return 0;
}

static int
tally_add(void *ctx, const void *old, size_t ol, bool present, const void **nv,
          size_t *nl)
{
    static __thread unsigned calls;
    int64_t *buf = ctx, x = 0;

    /* Now and then hold the snapshot over a yield, so other computes of
     * the key land in between: each must make this one retry ([M5]). */
    if (++calls % 32 == 0)
        sched_yield();
    if (present) {
        ASSERT_EQ(ol, sizeof(x));
        memcpy(&x, old, sizeof(x));
    }
    *buf = x + 1;
    *nv = buf;
    *nl = sizeof(*buf);
    return WEFT_MAP_SET;
}

/* ---- intrusive objects ----------------------------------------------------
 */

struct obj {
    struct weft_map_node node;
    unsigned key;
    atomic_int dead;
    struct obj *next_dead; /* graveyard link, under grave_lock */
};

static pthread_mutex_t grave_lock = PTHREAD_MUTEX_INITIALIZER;
static struct obj *graveyard;

static bool
obj_eq(const struct weft_map_node *n, const void *key, size_t kl, void *ctx)
{
    unsigned k;

    (void)ctx;
    memcpy(&k, key, sizeof(k));
    return kl == sizeof(k) && ((const struct obj *)n)->key == k;
}

static void
obj_free(struct weft_map_node *n, void *ctx)
{
    struct obj *o = (struct obj *)n;

    (void)ctx;
    /* relaxed: readers must never see it at all; the flag is the probe. */
    atomic_store_explicit(&o->dead, 1, memory_order_relaxed);
    pthread_mutex_lock(&grave_lock);
    o->next_dead = graveyard;
    graveyard = o;
    pthread_mutex_unlock(&grave_lock);
}

/* ctx != NULL: hold the node a while (a yield) inside the read section,
 * then look again: a node freed without a grace period shows here (the
 * catcher of mutant 22 in tests/mutation.sh). */
static int
obj_alive_cb(void *ctx, struct weft_map_node *n)
{
    const struct obj *o = (const struct obj *)n;

    /* relaxed: see obj_free(). */
    ASSERT_EQ(atomic_load_explicit(&o->dead, memory_order_relaxed), 0);
    ASSERT_TRUE(o->key < KEYS);
    if (ctx != NULL) {
        sched_yield();
        /* relaxed: see obj_free(). */
        ASSERT_EQ(atomic_load_explicit(&o->dead, memory_order_relaxed), 0);
    }
    return 0;
}

/* ---- the racing threads -------------------------------------------------- */

enum kind { OUTSIDE, ATTACHED, WORKER };

struct worker_arg {
    int id;
    uint64_t seed;
    long long ops;
    long long my_computes;
};

static void
one_op(struct worker_arg *a, uint64_t *rs, uint64_t ver)
{
    unsigned k = (unsigned)(weft_test_rand(rs) % KEYS);
    unsigned op = (unsigned)(weft_test_rand(rs) % 16);

    /* Key 0 is hot (a quarter of all operations): in-place writes of its
     * value race with copies of it ([M10]), so a seqlock that lets a torn
     * copy through fails val_check() within the first second. */
    if (weft_test_rand(rs) % 4 == 0)
        k = 0;
    unsigned char buf[sizeof(struct val)];
    struct val v;
    size_t n;
    int rc;

    switch (op) {
    case 0:
    case 1:
    case 2:
    case 3:
    case 4:
        rc = weft_map_get(bm, &k, sizeof(k), buf, sizeof(buf), &n);
        ASSERT_TRUE(rc == 0 || rc == -ENOENT);
        if (rc == 0)
            val_check(buf, n, k);
        break;
    case 5:
        rc = weft_map_get_with(bm, &k, sizeof(k), check_value_cb, &k);
        ASSERT_TRUE(rc == 0 || rc == -ENOENT);
        break;
    case 6:
    case 7:
        val_make(&v, k, ver);
        ASSERT_EQ(weft_map_put(bm, &k, sizeof(k), &v, sizeof(v), NULL), 0);
        break;
    case 8:
        val_make(&v, k, ver);
        rc = weft_map_put_if_absent(bm, &k, sizeof(k), &v, sizeof(v));
        ASSERT_TRUE(rc == 0 || rc == WEFT_EEXIST);
        rc = weft_map_replace(bm, &k, sizeof(k), &v, sizeof(v));
        ASSERT_TRUE(rc == 0 || rc == -ENOENT);
        break;
    case 9:
        rc = weft_map_remove(bm, &k, sizeof(k));
        ASSERT_TRUE(rc == 0 || rc == -ENOENT);
        break;
    case 10: { /* tally keys: 5 bytes, never removed */
        unsigned char tk[sizeof(unsigned) + 1] = {0};
        int64_t nb;
        tk[0] = (unsigned char)(k % TALLY);
        ASSERT_EQ(weft_map_compute(bm, tk, sizeof(tk), tally_add, &nb), 0);
        a->my_computes++;
        break;
    }
    case 11: { /* intrusive put / remove */
        struct obj *o = calloc(1, sizeof(*o));
        ASSERT_TRUE(o != NULL);
        o->key = k;
        if (weft_test_rand(rs) % 2) {
            ASSERT_EQ(weft_map_node_put(im, &o->node, &k, sizeof(k)), 0);
        } else {
            rc = weft_map_node_put_if_absent(im, &o->node, &k, sizeof(k));
            ASSERT_TRUE(rc == 0 || rc == WEFT_EEXIST);
            if (rc != 0)
                free(o);
        }
        break;
    }
    case 12:
        rc = weft_map_node_remove(im, &k, sizeof(k));
        ASSERT_TRUE(rc == 0 || rc == -ENOENT);
        break;
    case 13:
    case 14:
        rc = weft_map_node_find(im, &k, sizeof(k), obj_alive_cb,
                                op == 14 ? (void *)a : NULL);
        ASSERT_TRUE(rc == 0 || rc == -ENOENT);
        break;
    case 15: /* walks, rarely */
        if (weft_test_rand(rs) % 32 == 0) {
            ASSERT_EQ(weft_map_foreach(bm, check_entry_cb, NULL), 0);
            ASSERT_EQ(weft_map_node_foreach(im, obj_alive_cb, NULL), 0);
        }
        break;
    }
}

static void *
racer(void *p)
{
    struct worker_arg *a = p;
    enum kind kind = (enum kind)(a->id % 3);
    uint64_t rs = a->seed;

    if (kind == ATTACHED)
        ASSERT_EQ(weft_map_reader_attach(), 0);
    else if (kind == WORKER)
        weft__rcu_worker_enter();
    /* At least one operation, however late the thread starts. relaxed: a
     * stop flag. */
    while (a->ops == 0 || !atomic_load_explicit(&stop, memory_order_relaxed)) {
        one_op(a, &rs, ((uint64_t)a->id << 40) | (uint64_t)a->ops);
        a->ops++;
        if (kind == ATTACHED && a->ops % 64 == 0)
            weft_map_quiescent();
        if (kind == WORKER) {
            weft__rcu_worker_quiescent(); /* after every "task" */
            if (a->ops % 512 == 0) {      /* a park */
                weft__rcu_worker_offline();
                sched_yield();
                weft__rcu_worker_online();
            }
        }
        if (a->ops % 128 == 0)
            sched_yield();
    }
    if (kind == ATTACHED)
        ASSERT_EQ(weft_map_reader_detach(), 0);
    else if (kind == WORKER)
        weft__rcu_worker_exit();
    /* relaxed: read after join. */
    atomic_fetch_add_explicit(&computes, a->my_computes, memory_order_relaxed);
    return NULL;
}

static int
sum_tally(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    int64_t x;

    (void)k;
    if (kl != sizeof(unsigned) + 1)
        return 0;
    ASSERT_EQ(vl, sizeof(x));
    memcpy(&x, v, sizeof(x));
    *(int64_t *)ctx += x;
    return 0;
}

static int
count_entry(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    (void)k, (void)kl, (void)v, (void)vl;
    (*(size_t *)ctx)++;
    return 0;
}

int
main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 8;
    double secs = weft_test_seconds(argc, argv, 2.0);
    uint64_t seed = weft_test_seed(argc, argv);
    struct weft_map_opts o = WEFT_MAP_OPTS_INIT;
    struct worker_arg args[64];
    pthread_t th[64];
    long long ops = 0;
    int64_t tally = 0;
    size_t len, walked = 0;

    if (threads < 1 || threads > 64)
        threads = 8;
    o.initial_buckets = 4; /* resizes while racing */
    ASSERT_EQ(weft_map_create(&o, &bm), 0);
    o.node_eq = obj_eq;
    o.node_free = obj_free;
    ASSERT_EQ(weft_map_create(&o, &im), 0);
    for (int i = 0; i < threads; i++) {
        args[i] = (struct worker_arg){i, seed + (uint64_t)i * 7919, 0, 0};
        ASSERT_EQ(pthread_create(&th[i], NULL, racer, &args[i]), 0);
    }
    {
        struct timespec ts = {(time_t)secs,
                              (long)((secs - (double)(time_t)secs) * 1e9)};
        nanosleep(&ts, NULL);
    }
    atomic_store_explicit(&stop, 1, memory_order_relaxed);
    for (int i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        ops += args[i].ops;
    }
    /* Nothing lost. */
    ASSERT_EQ(weft_map_foreach(bm, sum_tally, &tally), 0);
    ASSERT_EQ(tally, atomic_load_explicit(&computes, memory_order_relaxed));
    /* len is exact once writers stopped. */
    ASSERT_EQ(weft_map_foreach(bm, count_entry, &walked), 0);
    ASSERT_EQ(weft_map_len(bm, &len), 0);
    ASSERT_EQ(len, walked);
    ASSERT_EQ(weft_map_destroy(bm), 0);
    ASSERT_EQ(weft_map_destroy(im), 0);
    /* Every intrusive object was handed back exactly once. */
    while (graveyard != NULL) {
        struct obj *d = graveyard;
        graveyard = d->next_dead;
        free(d);
    }
    fprintf(stderr, "stress_map: %d threads, %lld ops, %lld computes\n",
            threads, ops, (long long)tally);
    ASSERT_TRUE(ops > 0);
    return 0;
}
