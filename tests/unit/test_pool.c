/* SPDX-License-Identifier: MIT */
/* test_pool - pool lifecycle, fork-join, parallel_for and their errors. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <weft.h>

#include "weft_test.h"

static weft_pool_t *
make_pool(unsigned workers)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    weft_pool_t *p = NULL;

    o.workers = workers;
    ck_assert_int_eq(weft_pool_create(&o, &p), 0);
    ck_assert_ptr_nonnull(p);
    return p;
}

START_TEST(create_bad_input)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    weft_pool_t *p = (weft_pool_t *)0x1;

    ck_assert_int_eq(weft_pool_create(NULL, NULL), -EINVAL);
    o.size = 4; /* a caller that knows no fields */
    ck_assert_int_eq(weft_pool_create(&o, &p), -EINVAL);
    ck_assert_ptr_null(p); /* *out is cleared on failure */
    o.size = sizeof(o);
    o.workers = WEFT_POOL_MAX_WORKERS + 1;
    ck_assert_int_eq(weft_pool_create(&o, &p), -EINVAL);
    ck_assert_int_eq(weft_pool_destroy(NULL), -EINVAL);
    ck_assert_uint_eq(weft_pool_workers(NULL), 0);
}
END_TEST

START_TEST(create_defaults)
{
    weft_pool_t *p = NULL;

    ck_assert_int_eq(weft_pool_create(NULL, &p), 0);
    ck_assert_uint_ge(weft_pool_workers(p), 1);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

START_TEST(fib_all_sizes)
{
    static const unsigned sizes[] = {1, 2, 3, 8, 16};

    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        weft_pool_t *p = make_pool(sizes[i]);
        void *r = NULL;
        ck_assert_int_eq(weft_pool_run(p, weft_test_fib, (void *)22L, &r), 0);
        ck_assert_int_eq((long)r, 17711);
        ck_assert_uint_eq(weft_pool_workers(p), sizes[i]);
        ck_assert_int_eq(weft_pool_destroy(p), 0);
    }
}
END_TEST

START_TEST(spawn_outside_worker)
{
    weft_task_t t;

    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(weft_spawn(NULL, weft_test_fib, NULL), -EINVAL);
    ck_assert_int_eq(weft_spawn(&t, NULL, NULL), -EINVAL);
    ck_assert_int_eq(weft_spawn(&t, weft_test_fib, (void *)3L), -EPERM);
    ck_assert_int_eq(weft_sync(NULL, NULL), -EINVAL);
    ck_assert_int_eq(weft_sync(&t, NULL), -EPERM);
    ck_assert_ptr_null(weft_pool_current());
    ck_assert_int_eq(weft_worker_index(), -1);
}
END_TEST

static int
fails(void *arg, void **res)
{
    (void)res;
    return (int)(long)arg;
}

static int
sync_errors(void *arg, void **res)
{
    weft_task_t t;
    int rc;

    (void)arg;
    (void)res;
    memset(&t, 0, sizeof(t));
    /* Never spawned: -EINVAL. */
    if (weft_sync(&t, NULL) != -EINVAL)
        return -1000;
    /* The task's own error comes back through sync. */
    if (weft_spawn(&t, fails, (void *)(long)-EIO) != 0)
        return -1001;
    rc = weft_sync(&t, NULL);
    if (rc != -EIO)
        return -1002;
    /* Synced twice: -EINVAL. */
    if (weft_sync(&t, NULL) != -EINVAL)
        return -1003;
    return 0;
}

START_TEST(sync_bad_input)
{
    weft_pool_t *p = make_pool(2);

    ck_assert_int_eq(weft_pool_run(p, sync_errors, NULL, NULL), 0);
    ck_assert_int_eq(weft_pool_run(NULL, fails, NULL, NULL), -EINVAL);
    ck_assert_int_eq(weft_pool_run(p, NULL, NULL, NULL), -EINVAL);
    ck_assert_int_eq(weft_pool_run(p, fails, (void *)(long)-EMSGSIZE, NULL),
                     -EMSGSIZE);
    weft_pool_destroy(p);
}
END_TEST

/* A record spawned on one worker and synced on another: -EPERM. */
static weft_task_t shared_task;
static _Atomic int spawned_on = -1;

static int
spawner(void *arg, void **res)
{
    (void)res;
    (void)arg;
    return weft_spawn(&shared_task, fails, (void *)0L);
}

static int
other_syncer(void *arg, void **res)
{
    (void)arg;
    (void)res;
    return weft_sync(&shared_task, NULL);
}

START_TEST(sync_from_other_worker)
{
    weft_pool_t *a = make_pool(1), *b = make_pool(1);

    (void)spawned_on;
    memset(&shared_task, 0, sizeof(shared_task));
    ck_assert_int_eq(weft_pool_run(a, spawner, NULL, NULL), 0);
    ck_assert_int_eq(weft_pool_run(b, other_syncer, NULL, NULL), -EPERM);
    /* The record is still a's worker's: its deque drains it on destroy. */
    weft_pool_destroy(a);
    weft_pool_destroy(b);
}
END_TEST

static int
destroy_self(void *arg, void **res)
{
    (void)res;
    return weft_pool_destroy((weft_pool_t *)arg);
}

START_TEST(destroy_from_own_worker)
{
    weft_pool_t *p = make_pool(2);

    ck_assert_int_eq(weft_pool_run(p, destroy_self, p, NULL), -EDEADLK);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

static int
where_am_i(void *arg, void **res)
{
    *res = (void *)weft_pool_current();
    return weft_worker_index() >= 0 &&
                   weft_worker_index() <
                       (int)weft_pool_workers((weft_pool_t *)arg)
               ? 0
               : -1;
}

START_TEST(current_pool)
{
    weft_pool_t *p = make_pool(3);
    void *r = NULL;

    ck_assert_int_eq(weft_pool_run(p, where_am_i, p, &r), 0);
    ck_assert_ptr_eq(r, p);
    weft_pool_destroy(p);
}
END_TEST

struct sum_ctx {
    _Atomic long sum;
    _Atomic long calls;
    size_t fail_at;
};

static int
add_range(void *ctx, size_t b, size_t e)
{
    struct sum_ctx *c = (struct sum_ctx *)ctx;
    long s = 0;

    for (size_t i = b; i < e; i++) {
        if (i == c->fail_at)
            return -ERANGE;
        s += (long)i;
    }
    atomic_fetch_add_explicit(&c->sum, s, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->calls, 1, memory_order_relaxed);
    return 0;
}

START_TEST(parallel_for_sums)
{
    weft_pool_t *p = make_pool(4);
    struct sum_ctx c;
    size_t n = 100000;

    atomic_init(&c.sum, 0);
    atomic_init(&c.calls, 0);
    c.fail_at = (size_t)-1;
    ck_assert_int_eq(weft_parallel_for(p, 0, n, 0, add_range, &c), 0);
    ck_assert_int_eq(atomic_load(&c.sum), (long)(n * (n - 1) / 2));
    ck_assert_int_ge(atomic_load(&c.calls), 1);
    /* grain 1 over a small range, begin != 0 */
    atomic_store(&c.sum, 0);
    ck_assert_int_eq(weft_parallel_for(p, 10, 20, 1, add_range, &c), 0);
    ck_assert_int_eq(atomic_load(&c.sum), 145);
    /* empty range, bad input */
    ck_assert_int_eq(weft_parallel_for(p, 5, 5, 1, add_range, &c), 0);
    ck_assert_int_eq(weft_parallel_for(p, 6, 5, 1, add_range, &c), -EINVAL);
    ck_assert_int_eq(weft_parallel_for(NULL, 0, 5, 1, add_range, &c), -EINVAL);
    ck_assert_int_eq(weft_parallel_for(p, 0, 5, 1, NULL, &c), -EINVAL);
    /* an error in one piece comes back */
    c.fail_at = 777;
    ck_assert_int_eq(weft_parallel_for(p, 0, n, 16, add_range, &c), -ERANGE);
    weft_pool_destroy(p);
}
END_TEST

static _Atomic long drained;

static int
count_one(void *arg, void **res)
{
    (void)arg;
    (void)res;
    atomic_fetch_add_explicit(&drained, 1, memory_order_relaxed);
    return 0;
}

START_TEST(destroy_drains_queued_work)
{
    weft_pool_t *p = make_pool(2);
    weft_future_t *f;

    atomic_store(&drained, 0);
    for (int i = 0; i < 20000; i++) {
        ck_assert_int_eq(weft_pool_submit(p, count_one, NULL, &f), 0);
        weft_future_release(f);
    }
    ck_assert_int_eq(weft_pool_destroy(p), 0);
    ck_assert_int_eq(atomic_load(&drained), 20000);
}
END_TEST

struct submitter_args {
    weft_pool_t **pools;
    int npools;
    int tasks;
    int failures;
};

static void *
submit_some(void *arg)
{
    struct submitter_args *a = (struct submitter_args *)arg;

    for (int i = 0; i < a->tasks; i++) {
        weft_future_t *f;
        weft_pool_t *p = a->pools[i % a->npools];
        if (weft_pool_submit(p, count_one, NULL, &f) != 0) {
            a->failures++;
            continue;
        }
        if (weft_future_result(f, WEFT_DEADLINE_NEVER, NULL) != 0)
            a->failures++;
        weft_future_release(f);
    }
    return NULL;
}

/* More outside threads than lanes (256): the rest share the MPMC lane;
 * lanes of exited threads are reused by later ones. */
START_TEST(many_submitting_threads)
{
    weft_pool_t *p = make_pool(2);
    enum { BATCH = 150, ROUNDS = 3 };
    pthread_t t[BATCH];
    struct submitter_args a[BATCH];

    atomic_store(&drained, 0);
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < BATCH; i++) {
            a[i].pools = &p;
            a[i].npools = 1;
            a[i].tasks = 20;
            a[i].failures = 0;
            ck_assert_int_eq(pthread_create(&t[i], NULL, submit_some, &a[i]),
                             0);
        }
        for (int i = 0; i < BATCH; i++) {
            pthread_join(t[i], NULL);
            ck_assert_int_eq(a[i].failures, 0);
        }
    }
    ck_assert_int_eq(atomic_load(&drained), BATCH * ROUNDS * 20);
    weft_pool_destroy(p);
}
END_TEST

/* One thread, more pools than its lane cache holds (4): lanes are evicted
 * and claimed again; destroying pools in between is safe. */
START_TEST(one_thread_many_pools)
{
    weft_pool_t *pools[7];
    struct submitter_args a;

    atomic_store(&drained, 0);
    for (int i = 0; i < 7; i++)
        pools[i] = make_pool(1 + (unsigned)i % 3);
    a.pools = pools;
    a.npools = 7;
    a.tasks = 700;
    a.failures = 0;
    submit_some(&a);
    ck_assert_int_eq(a.failures, 0);
    weft_pool_destroy(pools[3]);
    pools[3] = make_pool(2); /* a new pool, maybe at the same address */
    submit_some(&a);
    ck_assert_int_eq(a.failures, 0);
    for (int i = 0; i < 7; i++)
        weft_pool_destroy(pools[i]);
    ck_assert_int_eq(atomic_load(&drained), 1400);
}
END_TEST

static void
sleep_ms(void)
{
    struct timespec ts = {0, 1000000};

    nanosleep(&ts, NULL);
}

static int
echo(void *arg, void **result)
{
    *result = arg;
    return 0;
}

/* Every idle policy (weft/pool.h) runs tasks, and an idle pool ends with
 * every worker asleep: no spinner is left (the test times out if one is). */
START_TEST(idle_policies)
{
    static const unsigned policy[] = {WEFT_IDLE_ADAPTIVE, WEFT_IDLE_PARK,
                                      WEFT_IDLE_SPIN};
    unsigned workers = (unsigned)(_i % 2) + 1;
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    struct weft_pool_stats st;
    weft_pool_t *p = NULL;

    o.workers = workers;
    o.idle = policy[_i / 2];
    o.idle_spin_ns = o.idle == WEFT_IDLE_SPIN ? 1000000u : 0;
    ck_assert_int_eq(weft_pool_create(&o, &p), 0);
    for (long i = 0; i < 300; i++) {
        weft_future_t *f;
        void *r = NULL;

        ck_assert_int_eq(weft_pool_submit(p, echo, (void *)(i + 1), &f), 0);
        ck_assert_int_eq(weft_future_result(f, WEFT_DEADLINE_NEVER, &r), 0);
        ck_assert_ptr_eq(r, (void *)(i + 1));
        weft_future_release(f);
        if (i % 50 == 0) /* a gap of about a ms, now and then */
            sleep_ms();
    }
    memset(&st, 0, sizeof(st)); /* no per-worker array */
    /* Asleep: counted a park and not yet the wake-up after it. */
    for (;;) {
        ck_assert_int_eq(weft_pool_stats(p, &st), 0);
        if (st.total.parks == st.total.wakeups + workers)
            break;
        sleep_ms();
    }
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

static Suite *
pool_suite(void)
{
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("pool");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, create_bad_input);
    tcase_add_test(tc, create_defaults);
    tcase_add_test(tc, fib_all_sizes);
    tcase_add_test(tc, spawn_outside_worker);
    tcase_add_test(tc, sync_bad_input);
    tcase_add_test(tc, sync_from_other_worker);
    tcase_add_test(tc, destroy_from_own_worker);
    tcase_add_test(tc, current_pool);
    tcase_add_test(tc, parallel_for_sums);
    tcase_add_test(tc, destroy_drains_queued_work);
    tcase_add_test(tc, many_submitting_threads);
    tcase_add_test(tc, one_thread_many_pools);
    tcase_add_loop_test(tc, idle_policies, 0, 6);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(pool_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
