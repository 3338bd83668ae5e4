/* SPDX-License-Identifier: MIT */
/* test_typed - typed fork-join tasks (weft/typed.h): results, arities,
 * the calls off a worker, statistics, contexts, and mixing with
 * weft_spawn()/weft_sync(). */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <weft.h>

#include <weft/stats.h>
#include <weft/typed.h>

#include "weft_test.h"

WEFT_TASK_1(long, tfib, int, n)
{
    long a, b;

    if (n < 2)
        return n;
    tfib_spawn(n - 1);
    b = tfib(n - 2);
    a = tfib_sync();
    return a + b;
}

/* Three children at each level, synced in reverse; doubles and pointers
 * through the slot. Returns the sum of w over the tree's leaves. */
WEFT_TASK_3(double, tree3, int, depth, double, w, const long *, bump)
{
    double r = 0;

    if (depth == 0)
        return w + (double)*bump;
    for (int i = 0; i < 2; i++)
        if (tree3_spawn(depth - 1, w / 2, bump) != 0)
            return -1e9;
    r += tree3(depth - 1, w, bump);
    r += tree3_sync();
    r += tree3_sync();
    return r;
}

static double
tree3_expect(int depth, double w, long bump)
{
    if (depth == 0)
        return w + (double)bump;
    return tree3_expect(depth - 1, w, bump) +
           2 * tree3_expect(depth - 1, w / 2, bump);
}

WEFT_TASK_2(int64_t, sum2, int64_t, lo, int64_t, hi)
{
    int64_t mid, a, b;

    if (hi - lo < 4) {
        int64_t s = 0;
        for (int64_t i = lo; i < hi; i++)
            s += i;
        return s;
    }
    mid = lo + (hi - lo) / 2;
    sum2_spawn(mid, hi);
    a = sum2(lo, mid);
    b = sum2_sync();
    return a + b;
}

static weft_pool_t *
make_pool(unsigned workers)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    weft_pool_t *p = NULL;

    o.workers = workers;
    ck_assert_int_eq(weft_pool_create(&o, &p), 0);
    return p;
}

START_TEST(fib_all_sizes)
{
    static const unsigned sizes[] = {1, 2, 3, 8, 16};

    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        weft_pool_t *p = make_pool(sizes[i]);
        long r = -1;
        ck_assert_int_eq(tfib_run(p, 24, &r), 0);
        ck_assert_int_eq(r, 46368);
        ck_assert_int_eq(tfib_run(p, 1, &r), 0);
        ck_assert_int_eq(r, 1);
        ck_assert_int_eq(tfib_run(p, 25, NULL), 0); /* out may be NULL */
        ck_assert_int_eq(weft_pool_destroy(p), 0);
    }
}
END_TEST

START_TEST(arities)
{
    weft_pool_t *p = make_pool(4);
    static const long bump = 3;
    double d = 0;
    int64_t s = 0;

    ck_assert_int_eq(tree3_run(p, 9, 1024.0, &bump, &d), 0);
    ck_assert(d == tree3_expect(9, 1024.0, bump));
    ck_assert_int_eq(sum2_run(p, 0, 100000, &s), 0);
    ck_assert_int_eq(s, (int64_t)100000 * 99999 / 2);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

START_TEST(off_a_worker)
{
    long r = 0;

    /* Not on a worker: spawn and sync run on the thread's own stack, so
     * the body is a plain function anywhere; a sync with nothing spawned
     * returns zero; run wants a pool. */
    ck_assert_int_eq(tfib_sync(), 0);
    ck_assert_int_eq(tfib_spawn(12), 0);
    ck_assert_int_eq(tfib_spawn(3), 0);
    ck_assert_int_eq(tfib(10), 55);
    ck_assert_int_eq(tfib_sync(), 2);
    ck_assert_int_eq(tfib_sync(), 144);
    ck_assert_int_eq(tfib_sync(), 0);
    ck_assert_int_eq(tfib_run(NULL, 3, &r), -EINVAL);
}
END_TEST

/* A sync with no typed spawn outstanding on the worker returns zero. */
static long
lonely_sync(void)
{
    return tfib_sync();
}

WEFT_TASK_1(long, unmatched, int, unused)
{
    (void)unused;
    return lonely_sync() + 7;
}

START_TEST(sync_without_spawn)
{
    weft_pool_t *p = make_pool(2);
    long r = 0;

    ck_assert_int_eq(unmatched_run(p, 0, &r), 0);
    ck_assert_int_eq(r, 7);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

START_TEST(stats_count_typed_spawns)
{
    weft_pool_t *p = make_pool(1);
    struct weft_pool_stats before = {0}, after = {0};
    long r;

    ck_assert_int_eq(weft_pool_stats(p, &before), 0);
    ck_assert_int_eq(tfib_run(p, 20, &r), 0);
    ck_assert_int_eq(r, 6765);
    ck_assert_int_eq(weft_pool_stats(p, &after), 0);
    /* fib(20) spawns fib(21) - 1 times. */
    ck_assert_uint_eq(after.total.tasks_spawned - before.total.tasks_spawned,
                      10945);
    /* One worker: nobody stole, so it ran every one itself. */
    ck_assert_uint_eq(after.total.tasks_stolen - before.total.tasks_stolen, 0);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

static const char ctx_key = 'k';

/* Every node checks that it runs in the context the root set. */
WEFT_TASK_2(long, cfib, int, n, void *, want)
{
    long a, b;

    if (weft_context_get(&ctx_key) != want)
        return -1000000;
    if (n < 2)
        return n;
    cfib_spawn(n - 1, want);
    b = cfib(n - 2, want);
    a = cfib_sync();
    return a + b;
}

static int
ctx_root(void *arg, void **res)
{
    long r;

    (void)res;
    ck_assert_int_eq(weft_context_set(&ctx_key, arg), 0);
    r = cfib(18, arg);
    weft_context_clear();
    return r == 2584 ? 0 : -EIO;
}

START_TEST(context_reaches_typed_tasks)
{
    weft_pool_t *p = make_pool((unsigned)_i);
    int v;

    for (int k = 0; k < 20; k++)
        ck_assert_int_eq(weft_pool_run(p, ctx_root, &v, NULL), 0);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

/* weft_spawn() records and typed tasks nested in each other. */
static int mixed_fn(void *arg, void **res);

WEFT_TASK_1(long, mfib, int, n)
{
    weft_task_t t;
    void *a = NULL;
    long b, c;

    if (n < 2)
        return n;
    if (n % 3 == 0) { /* a weft_task_t child, a typed sibling */
        ck_assert_int_eq(weft_spawn(&t, mixed_fn, (void *)(intptr_t)(n - 1)),
                         0);
        mfib_spawn(n - 2);
        c = mfib_sync();
        ck_assert_int_eq(weft_sync(&t, &a), 0);
        return (long)(intptr_t)a + c;
    }
    mfib_spawn(n - 1);
    b = mfib(n - 2);
    return mfib_sync() + b;
}

static int
mixed_fn(void *arg, void **res)
{
    *res = (void *)(intptr_t)mfib((int)(intptr_t)arg);
    return 0;
}

/* Deeper than the typed deque: NODE_N nodes outstanding at once, each a
 * small tree of its own (three nested spawns), synced in reverse. The
 * spawns past WEFT_TYPED_DEPTH (and those their tasks make) run at once
 * and their syncs return the results kept for them. */
#define NODE_N 100000
WEFT_TASK_2(long, node, long, i, int, d)
{
    long a, b;

    if (d == 0)
        return i;
    if (node_spawn(i * 2, d - 1) != 0)
        return -1;
    b = node(i * 2 + 1, d - 1);
    a = node_sync();
    return a + b;
}

/* Returns how many results were wrong (or spawns failed). */
WEFT_TASK_1(long, many_nodes, long, n)
{
    long bad = 0;

    for (long i = 0; i < n; i++)
        if (node_spawn(i, 2) != 0)
            return -1;
    for (long i = n - 1; i >= 0; i--)
        bad += node_sync() != 16 * i + 6; /* leaves 4i .. 4i + 3 */
    return bad;
}

START_TEST(deeper_than_the_deque)
{
    unsigned workers = (unsigned)_i;
    weft_pool_t *p = make_pool(workers);
    struct weft_pool_stats before = {0}, after = {0};
    const uint64_t over = NODE_N - WEFT_TYPED_DEPTH;
    long bad = -1;

    ck_assert(NODE_N > WEFT_TYPED_DEPTH);
    ck_assert_int_eq(weft_pool_stats(p, &before), 0);
    ck_assert_int_eq(many_nodes_run(p, NODE_N, &bad), 0);
    ck_assert_int_eq(bad, 0);
    ck_assert_int_eq(weft_pool_stats(p, &after), 0);
    ck_assert_uint_eq(after.total.tasks_spawned - before.total.tasks_spawned,
                      4 * (uint64_t)NODE_N);
    if (workers == 1)
        /* Each overflowed node and its three nested spawns; and one
         * more: when the node in the deque's last slot is synced (run
         * in place, the slot free again), its child takes that slot and
         * its grandchild finds the deque full. */
        ck_assert_uint_eq(after.total.typed_overflows -
                              before.total.typed_overflows,
                          4 * over + 1);
    else
        /* Thieves take old slots; the owner's head stays at the top. */
        ck_assert_uint_ge(
            after.total.typed_overflows - before.total.typed_overflows, over);
    /* The worker is still fine afterwards. */
    ck_assert_int_eq(many_nodes_run(p, 1000, &bad), 0);
    ck_assert_int_eq(bad, 0);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

static void *
many_nodes_thread(void *arg)
{
    return (void *)(intptr_t)many_nodes((long)(intptr_t)arg);
}

START_TEST(deeper_than_the_stack_off_a_worker)
{
    pthread_t th;
    void *bad = (void *)1;

    /* The calling thread (its own stack of slots), twice: the overflow
     * chunks are reused; then a thread that exits (they are freed). */
    ck_assert_int_eq(many_nodes(NODE_N), 0);
    ck_assert_int_eq(many_nodes(NODE_N), 0);
    ck_assert_int_eq(tfib_sync(), 0); /* nothing left outstanding */
    ck_assert_int_eq(
        pthread_create(&th, NULL, many_nodes_thread, (void *)(intptr_t)NODE_N),
        0);
    ck_assert_int_eq(pthread_join(th, &bad), 0);
    ck_assert_ptr_eq(bad, NULL);
}
END_TEST

START_TEST(mixed_with_weft_spawn)
{
    weft_pool_t *p = make_pool(4);
    long r = 0;

    for (int k = 0; k < 10; k++) {
        ck_assert_int_eq(mfib_run(p, 20, &r), 0);
        ck_assert_int_eq(r, 6765);
    }
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

static Suite *
typed_suite(void)
{
    Suite *s = suite_create("typed");
    TCase *tc = tcase_create("typed");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, fib_all_sizes);
    tcase_add_test(tc, arities);
    tcase_add_test(tc, off_a_worker);
    tcase_add_test(tc, sync_without_spawn);
    tcase_add_test(tc, stats_count_typed_spawns);
    tcase_add_loop_test(tc, context_reaches_typed_tasks, 1, 5);
    tcase_add_test(tc, mixed_with_weft_spawn);
    tcase_add_loop_test(tc, deeper_than_the_deque, 1, 3);
    tcase_add_test(tc, deeper_than_the_stack_off_a_worker);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(typed_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
