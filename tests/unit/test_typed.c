/* SPDX-License-Identifier: MIT */
/* test_typed - typed fork-join tasks (weft/typed.h): results, arities,
 * the calls off a worker, statistics, contexts, and mixing with
 * weft_spawn()/weft_sync(). */
#include <check.h>
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
