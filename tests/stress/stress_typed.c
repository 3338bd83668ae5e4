/* SPDX-License-Identifier: MIT */
/*
 * stress_typed - typed tasks (weft/typed.h) exactly once, with thieves.
 * Outside threads run random trees through NAME_run(): every node records
 * its run in its own slot, spawns 1-3 typed children (syncs them in
 * reverse), sometimes a weft_task_t child too, and returns its subtree's
 * node count, which must match a sequential count. Half the trees run in
 * a context that every node must see (the captured-context path). A node
 * that runs on another worker than its spawner counts as a typed steal;
 * each pool size keeps going until some were seen (no timing assertion).
 * Pools of 8 and 16 workers on whatever cores there are.
 * argv: threads (outside submitters, default 2) seconds seed.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <weft.h>

#include <weft/typed.h>

#include "weft_test.h"

#define SLOTS (1u << 22)

static _Atomic uint8_t runs[SLOTS];
static _Atomic uint32_t next_slot;
static _Atomic long failures;
static _Atomic long typed_steals;
static _Atomic long nodes_run, nodes_want;
static double seconds;
static const char ctx_key = 'c';

#define FAIL(...)                                \
    do {                                         \
        if (atomic_fetch_add(&failures, 1) < 20) \
            fprintf(stderr, __VA_ARGS__);        \
    } while (0)

/* The shape of a node from its seed: children (0 at depth 0). */
static unsigned
kids(uint32_t seed, unsigned depth)
{
    uint64_t s = seed;
    return depth == 0 ? 0 : 1 + (unsigned)(weft_test_rand(&s) % 3);
}

static uint32_t
child_seed(uint32_t seed, unsigned i)
{
    return seed * 2654435761u + i * 40503u + 1;
}

static long
count_seq(uint32_t seed, unsigned depth)
{
    long n = 1;
    for (unsigned i = 0; i < kids(seed, depth); i++)
        n += count_seq(child_seed(seed, i), depth - 1);
    return n;
}

static void
ran(uint32_t slot)
{
    /* relaxed: a count per slot; read after the pool is destroyed. */
    unsigned old;

    if (slot < SLOTS && (old = atomic_fetch_add_explicit(
                             &runs[slot], 1, memory_order_relaxed)) != 0)
        FAIL("slot %u ran %u times\n", slot, old + 1);
    atomic_fetch_add_explicit(&nodes_run, 1, memory_order_relaxed);
}

static uint32_t
new_slot(void)
{
    /* relaxed: a unique id. */
    uint32_t s = atomic_fetch_add_explicit(&next_slot, 1, memory_order_relaxed);
    return s < SLOTS ? s : SLOTS;
}

static int old_child(void *arg, void **res);

/* key: slot << 36 | seed << 4 | depth (the slot is given at spawn, so a
 * node run twice hits its slot twice). */
static uint64_t
key(uint32_t seed, unsigned depth)
{
    return (uint64_t)new_slot() << 36 | (uint64_t)seed << 4 | depth;
}

/* from: the spawner's worker + 1 (0: not spawned); want: the context
 * value every node must see. */
WEFT_TASK_3(long, node, uint64_t, k3, int, from, void *, want)
{
    uint32_t seed = (uint32_t)(k3 >> 4);
    unsigned depth = (unsigned)(k3 & 15), k = kids(seed, depth);
    int self = weft_worker_index() + 1;
    long n = 1;
    weft_task_t t;
    void *r = NULL;
    bool old = false;

    ran((uint32_t)(k3 >> 36));
    if (from != 0 && from != self)
        atomic_fetch_add_explicit(&typed_steals, 1, memory_order_relaxed);
    if (weft_context_get(&ctx_key) != want)
        FAIL("node ran outside its context\n");
    if (k == 0)
        return n;
    /* The last child: a weft_task_t now and then. */
    if (k > 1 && (seed & 7) == 0) {
        uint64_t *arg = (uint64_t *)malloc(2 * sizeof(uint64_t));
        arg[0] = key(child_seed(seed, k - 1), depth - 1);
        arg[1] = (uint64_t)(uintptr_t)want;
        if (weft_spawn(&t, old_child, arg) != 0)
            FAIL("weft_spawn failed\n");
        old = true;
        k--;
    }
    for (unsigned i = 1; i < k; i++)
        if (node_spawn(key(child_seed(seed, i), depth - 1), self, want) != 0)
            FAIL("node_spawn failed\n");
    n += node(key(child_seed(seed, 0), depth - 1), 0, want);
    for (unsigned i = 1; i < k; i++)
        n += node_sync();
    if (old) {
        if (weft_sync(&t, &r) != 0)
            FAIL("weft_sync failed\n");
        n += (long)(intptr_t)r;
    }
    return n;
}

static int
old_child(void *arg, void **res)
{
    uint64_t *a = (uint64_t *)arg;
    long n = node(a[0], 0, (void *)(uintptr_t)a[1]);

    free(a);
    *res = (void *)(intptr_t)n;
    return 0;
}

struct submitter {
    weft_pool_t *pool;
    uint64_t seed;
};

static void *
submitter(void *arg)
{
    struct submitter *sub = (struct submitter *)arg;
    uint64_t end = weft_now_ns() + (uint64_t)(seconds * 1e9);
    int v;

    /* Until the time is up and typed steals were seen (a hung pool is
     * the ctest timeout's to catch). */
    while (weft_now_ns() < end ||
           atomic_load_explicit(&typed_steals, memory_order_relaxed) == 0) {
        uint32_t seed = (uint32_t)weft_test_rand(&sub->seed);
        unsigned depth = 4 + (unsigned)(weft_test_rand(&sub->seed) % 6);
        bool ctx = seed & 1;
        long r = -1, want = count_seq(seed, depth);
        if (ctx && weft_context_set(&ctx_key, &v) != 0)
            FAIL("weft_context_set failed\n");
        atomic_fetch_add_explicit(&nodes_want, want, memory_order_relaxed);
        if (node_run(sub->pool, key(seed, depth), 0, ctx ? (void *)&v : NULL,
                     &r) != 0)
            FAIL("node_run failed\n");
        if (ctx)
            weft_context_clear();
        if (r != want)
            FAIL("tree %u depth %u: %ld nodes, want %ld\n", seed, depth, r,
                 want);
        if (atomic_load_explicit(&failures, memory_order_relaxed) != 0)
            break;
    }
    return NULL;
}

static int
run(unsigned workers, int threads, uint64_t seed)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    struct submitter subs[32];
    pthread_t tid[32];
    uint32_t used, bad = 0;
    weft_pool_t *pool;

    memset(runs, 0, sizeof(runs));
    atomic_store(&next_slot, 0);
    atomic_store(&typed_steals, 0);
    atomic_store(&nodes_run, 0);
    atomic_store(&nodes_want, 0);
    o.workers = workers;
    ASSERT_EQ(weft_pool_create(&o, &pool), 0);
    for (int i = 0; i < threads; i++) {
        subs[i].pool = pool;
        subs[i].seed = seed + (uint64_t)i * 7919 + workers;
        ASSERT_EQ(pthread_create(&tid[i], NULL, submitter, &subs[i]), 0);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    ASSERT_EQ(weft_pool_destroy(pool), 0);
    used = atomic_load(&next_slot);
    if (used >= SLOTS)
        used = SLOTS;
    for (uint32_t s = 0; s < used; s++)
        if (atomic_load_explicit(&runs[s], memory_order_relaxed) != 1 &&
            bad++ < 10)
            fprintf(stderr, "slot %u ran %u times\n", s,
                    atomic_load_explicit(&runs[s], memory_order_relaxed));
    printf("stress_typed: %u workers, %d submitters: %ld nodes run of %ld, "
           "%ld typed steals, %u slots wrong, %ld failures\n",
           workers, threads, atomic_load(&nodes_run), atomic_load(&nodes_want),
           atomic_load(&typed_steals), bad, atomic_load(&failures));
    if (atomic_load(&nodes_run) != atomic_load(&nodes_want))
        fprintf(stderr, "nodes ran %ld times, want %ld\n",
                atomic_load(&nodes_run), atomic_load(&nodes_want));
    return bad == 0 && atomic_load(&failures) == 0 &&
           atomic_load(&nodes_run) == atomic_load(&nodes_want) &&
           atomic_load(&typed_steals) > 0;
}

int
main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 2;
    uint64_t seed = weft_test_seed(argc, argv);
    static const unsigned sizes[] = {8, 16};
    int ok = 1;

    seconds = weft_test_seconds(argc, argv, 2.0) / 2;
    if (threads < 1 || threads > 32)
        threads = 2;
    for (unsigned i = 0; i < 2 && ok; i++)
        ok &= run(sizes[i], threads, seed);
    return ok ? 0 : 1;
}
