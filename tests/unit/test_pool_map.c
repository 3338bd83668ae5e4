/* SPDX-License-Identifier: MIT */
/* test_pool_map - weft_pool_map(): input-order results, the bounded
 * window, the first error (by input order) cancelling what has not started,
 * timeouts, a long input in O(1) memory, use inside a 1-worker pool, bad
 * input. */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <weft.h>

#include "weft_test.h"

static weft_pool_t *
make_pool(unsigned workers)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    weft_pool_t *p = NULL;

    o.workers = workers;
    ck_assert_int_eq(weft_pool_create(&o, &p), 0);
    return p;
}

static int
square(void *arg, void **res)
{
    long x = (long)arg;
    *res = (void *)(x * x);
    return 0;
}

START_TEST(bad_input)
{
    weft_pool_t *p = make_pool(1);
    void *args[1] = {(void *)3L}, *res[1] = {NULL};
    int err[1] = {1};

    ck_assert_int_eq(weft_pool_map(NULL, square, args, 1, res, err, 0),
                     -EINVAL);
    ck_assert_int_eq(weft_pool_map(p, NULL, args, 1, res, err, 0), -EINVAL);
    ck_assert_int_eq(weft_pool_map(p, square, NULL, 1, res, err, 0), -EINVAL);
    ck_assert_int_eq(err[0], 1); /* nothing touched */
    ck_assert_ptr_null(res[0]);
    ck_assert_int_eq(
        weft_pool_map(p, square, NULL, 0, NULL, NULL, WEFT_DEADLINE_NEVER), 0);
    /* results and errors are optional. */
    ck_assert_int_eq(
        weft_pool_map(p, square, args, 1, NULL, NULL, WEFT_DEADLINE_NEVER), 0);
    ck_assert_int_eq(
        weft_pool_map(p, square, args, 1, res, NULL, WEFT_DEADLINE_NEVER), 0);
    ck_assert_int_eq((long)res[0], 9);
    weft_pool_destroy(p);
}
END_TEST

START_TEST(results_in_input_order)
{
    enum { N = 5000 };
    weft_pool_t *p = make_pool(2);
    static void *args[N], *res[N];
    static int err[N];

    for (long i = 0; i < N; i++) {
        args[i] = (void *)i;
        err[i] = 12345;
    }
    ck_assert_int_eq(
        weft_pool_map(p, square, args, N, res, err, WEFT_DEADLINE_NEVER), 0);
    for (long i = 0; i < N; i++) {
        ck_assert_int_eq(err[i], 0);
        ck_assert_int_eq((long)res[i], i * i);
    }
    weft_pool_destroy(p);
}
END_TEST

/* Item 0 blocks; with W = 2 * workers + 16 batches of B = 64 items (the
 * batch size for n >= 8 * workers * 64), only item 0 of batch 0 and the
 * W - 1 batches after it can start until item 0 is collected. */
static _Atomic int gate0;
static _Atomic long started;

static int
count_start(void *arg, void **res)
{
    long i = (long)arg;

    atomic_fetch_add(&started, 1);
    if (i == 0)
        while (!atomic_load(&gate0))
            sched_yield();
    *res = arg;
    return 0;
}

struct map_call {
    weft_pool_t *pool;
    void **args;
    size_t n;
    void **res;
    int *err;
    int rc;
};

static void *
map_main(void *arg)
{
    struct map_call *c = (struct map_call *)arg;

    c->rc = weft_pool_map(c->pool, count_start, c->args, c->n, c->res, c->err,
                          WEFT_DEADLINE_NEVER);
    return NULL;
}

START_TEST(window_is_bounded)
{
    enum { N = 100000, WORKERS = 2, W = 2 * WORKERS + 16, B = 64 };
    static void *args[N], *res[N];
    static int err[N];
    struct map_call c = {make_pool(WORKERS), args, N, res, err, 1};
    struct timespec ts = {0, 30 * 1000 * 1000};
    pthread_t t;

    for (long i = 0; i < N; i++)
        args[i] = (void *)i;
    atomic_store(&gate0, 0);
    atomic_store(&started, 0);
    ck_assert_int_eq(pthread_create(&t, NULL, map_main, &c), 0);
    while (atomic_load(&started) < 1 + (W - 1) * B)
        sched_yield();
    nanosleep(&ts, NULL); /* room for a broken window to overshoot */
    ck_assert_int_eq(atomic_load(&started), 1 + (W - 1) * B);
    atomic_store(&gate0, 1);
    pthread_join(t, NULL);
    ck_assert_int_eq(c.rc, 0);
    ck_assert_int_eq(atomic_load(&started), N);
    for (long i = 0; i < N; i++)
        ck_assert_int_eq((long)res[i], i);
    weft_pool_destroy(c.pool);
}
END_TEST

/* Item 5 fails after a delay; item 70 (in the next batch) fails at once. */
static int
fail_some(void *arg, void **res)
{
    long i = (long)arg;

    *res = arg;
    if (i == 5) {
        for (int k = 0; k < 100; k++)
            sched_yield();
        return -EIO;
    }
    if (i == 70)
        return -EPERM; /* fails earlier in time, later in input order */
    return 0;
}

START_TEST(first_error_cancels_rest)
{
    enum { N = 10000 };
    weft_pool_t *p = make_pool(2);
    static void *args[N], *res[N];
    static int err[N];
    const long w = (2 * 2 + 16) * 64; /* window: 20 batches of 64 items */

    for (long i = 0; i < N; i++)
        args[i] = (void *)i;
    ck_assert_int_eq(
        weft_pool_map(p, fail_some, args, N, res, err, WEFT_DEADLINE_NEVER),
        -EIO);
    for (long i = 0; i < 5; i++) {
        ck_assert_int_eq(err[i], 0);
        ck_assert_int_eq((long)res[i], i);
    }
    ck_assert_int_eq(err[5], -EIO);
    ck_assert_ptr_null(res[5]);
    /* Item 5's batch stops at its failure: 6 .. 63 never start. */
    for (long i = 6; i < 64; i++)
        ck_assert_int_eq(err[i], -ECANCELED);
    /* Submitted before the failure was collected: ran or cancelled. */
    for (long i = 64; i < w; i++) {
        if (i == 70) /* the next batch's own failure */
            ck_assert(err[i] == -EPERM || err[i] == -ECANCELED);
        else
            ck_assert(err[i] == 0 || err[i] == -ECANCELED);
    }
    /* Never submitted. */
    for (long i = w; i < N; i++) {
        ck_assert_int_eq(err[i], -ECANCELED);
        ck_assert_ptr_null(res[i]);
    }
    weft_pool_destroy(p);
}
END_TEST

static _Atomic int gate_t;
static _Atomic int ran_t[100];

static int
blocks(void *arg, void **res)
{
    (void)res;
    atomic_store(&ran_t[(long)arg], 1);
    while (!atomic_load(&gate_t))
        sched_yield();
    return 0;
}

START_TEST(timeout)
{
    enum { N = 100 };
    weft_pool_t *p = make_pool(2);
    static void *args[N], *res[N];
    static int err[N];
    uint64_t t0;
    long timed = 0, ran = 0;

    atomic_store(&gate_t, 0);
    for (long i = 0; i < N; i++) {
        args[i] = (void *)i;
        atomic_store(&ran_t[i], 0);
    }
    t0 = weft_now_ns();
    ck_assert_int_eq(
        weft_pool_map(p, blocks, args, N, res, err, t0 + 200 * WEFT_NS_PER_MS),
        -ETIMEDOUT);
    ck_assert_uint_ge(weft_now_ns() - t0, 200 * WEFT_NS_PER_MS);
    /* Item 0 is collected first, under the deadline: caught unfinished,
     * whether it had started (on a loaded machine it may not have). */
    ck_assert_int_eq(err[0], -ETIMEDOUT);
    atomic_store(&gate_t, 1);
    weft_pool_destroy(p); /* the running ones finish here */
    /* After the deadline the others are cancelled unless already running:
     * every later item that timed out ran, every one that ran timed out. */
    for (long i = 0; i < N; i++) {
        ck_assert(err[i] == -ETIMEDOUT || err[i] == -ECANCELED);
        timed += err[i] == -ETIMEDOUT;
        ran += atomic_load(&ran_t[i]);
        if (atomic_load(&ran_t[i]))
            ck_assert_int_eq(err[i], -ETIMEDOUT);
        else if (i > 0)
            ck_assert_int_eq(err[i], -ECANCELED);
    }
    ck_assert_int_le(ran, 2); /* only the two workers' tasks ever ran */
    ck_assert_int_eq(timed, ran + !atomic_load(&ran_t[0]));
}
END_TEST

/* A long input in bounded memory (the window, not n futures). */
static int
noop(void *arg, void **res)
{
    (void)arg;
    (void)res;
    return 0;
}

START_TEST(long_input)
{
    size_t n = 200000;
    weft_pool_t *p = make_pool(2);
    void **args = calloc(n, sizeof(*args));

    ck_assert_ptr_nonnull(args);
    ck_assert_int_eq(
        weft_pool_map(p, noop, args, n, NULL, NULL, WEFT_DEADLINE_NEVER), 0);
    free(args);
    weft_pool_destroy(p);
}
END_TEST

static int
map_inside(void *arg, void **res)
{
    enum { N = 300 };
    void *args[N], *out[N];
    int err[N], rc;
    long sum = 0;

    (void)arg;
    for (long i = 0; i < N; i++)
        args[i] = (void *)i;
    rc = weft_pool_map(weft_pool_current(), square, args, N, out, err,
                       WEFT_DEADLINE_NEVER);
    for (long i = 0; i < N; i++)
        sum += err[i] == 0 ? (long)out[i] : -1000000;
    *res = (void *)sum;
    return rc;
}

START_TEST(inside_one_worker_pool)
{
    weft_pool_t *p = make_pool(1);
    void *r = NULL;

    ck_assert_int_eq(weft_pool_run(p, map_inside, NULL, &r), 0);
    ck_assert_int_eq((long)r, 299L * 300 * 599 / 6);
    weft_pool_destroy(p);
}
END_TEST

static Suite *
map_suite(void)
{
    Suite *s = suite_create("pool_map");
    TCase *tc = tcase_create("pool_map");

    tcase_set_timeout(tc, 60 * weft_test_timeout_multiplier());
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, results_in_input_order);
    tcase_add_test(tc, window_is_bounded);
    tcase_add_test(tc, first_error_cancels_rest);
    tcase_add_test(tc, timeout);
    tcase_add_test(tc, long_input);
    tcase_add_test(tc, inside_one_worker_pool);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(map_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
