/* SPDX-License-Identifier: MIT */
/* test_future - submission, results, errors, cancel, callbacks, waiting
 * on workers (inline run, no unrelated work), futures outliving pools and
 * the threads that made or released them. */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
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

static int
fails(void *arg, void **res)
{
    (void)res;
    return (int)(long)arg;
}

/* Blocks its worker until `gate` opens. */
static _Atomic int gate;
static _Atomic int blocker_started;

static int
blocker(void *arg, void **res)
{
    (void)arg;
    (void)res;
    atomic_store(&blocker_started, 1);
    while (!atomic_load(&gate))
        sched_yield();
    return 0;
}

static void
wait_started(void)
{
    while (!atomic_load(&blocker_started))
        sched_yield();
}

START_TEST(submit_and_result)
{
    weft_pool_t *p = make_pool(2);
    weft_future_t *fs[100];
    void *r;

    for (long i = 0; i < 100; i++)
        ck_assert_int_eq(weft_pool_submit(p, square, (void *)i, &fs[i]), 0);
    for (long i = 0; i < 100; i++) {
        r = NULL;
        ck_assert_int_eq(weft_future_result(fs[i], WEFT_DEADLINE_NEVER, &r), 0);
        ck_assert_int_eq((long)r, i * i);
        ck_assert(weft_future_done(fs[i]));
        ck_assert(!weft_future_running(fs[i]));
        ck_assert(!weft_future_cancelled(fs[i]));
        /* a second read gives the same answer */
        ck_assert_int_eq(weft_future_result(fs[i], WEFT_DEADLINE_POLL, NULL),
                         0);
        weft_future_release(fs[i]);
    }
    weft_pool_destroy(p);
}
END_TEST

START_TEST(task_error_reaches_reader)
{
    weft_pool_t *p = make_pool(2);
    weft_future_t *f;

    ck_assert_int_eq(weft_pool_submit(p, fails, (void *)(long)-EIO, &f), 0);
    ck_assert_int_eq(weft_future_result(f, WEFT_DEADLINE_NEVER, NULL), -EIO);
    weft_future_release(f);
    weft_pool_destroy(p);
}
END_TEST

START_TEST(bad_input)
{
    weft_pool_t *p = make_pool(1);
    weft_future_t *f = NULL;

    ck_assert_int_eq(weft_pool_submit(NULL, square, NULL, &f), -EINVAL);
    ck_assert_int_eq(weft_pool_submit(p, NULL, NULL, &f), -EINVAL);
    ck_assert_int_eq(weft_pool_submit(p, square, NULL, NULL), -EINVAL);
    ck_assert_int_eq(weft_future_result(NULL, 0, NULL), -EINVAL);
    ck_assert_int_eq(weft_future_cancel(NULL), -EINVAL);
    ck_assert_int_eq(weft_future_on_done(NULL, NULL, NULL), -EINVAL);
    ck_assert_int_eq(weft_future_retain(NULL), -EINVAL);
    ck_assert(!weft_future_done(NULL));
    ck_assert(!weft_future_running(NULL));
    ck_assert(!weft_future_cancelled(NULL));
    weft_future_release(NULL); /* ignored */
    ck_assert_int_eq(weft_pool_submit(p, square, NULL, &f), 0);
    ck_assert_int_eq(weft_future_on_done(f, NULL, NULL), -EINVAL);
    weft_future_release(f);
    weft_pool_destroy(p);
}
END_TEST

START_TEST(deadlines)
{
    weft_pool_t *p = make_pool(1);
    weft_future_t *f;
    uint64_t t0;

    atomic_store(&gate, 0);
    atomic_store(&blocker_started, 0);
    ck_assert_int_eq(weft_pool_submit(p, blocker, NULL, &f), 0);
    ck_assert_int_eq(weft_future_result(f, WEFT_DEADLINE_POLL, NULL),
                     -ETIMEDOUT);
    t0 = weft_now_ns();
    ck_assert_int_eq(weft_future_result(f, t0 - 1, NULL), -ETIMEDOUT);
    ck_assert_int_eq(
        weft_future_result(f, weft_deadline_in(20 * WEFT_NS_PER_MS), NULL),
        -ETIMEDOUT);
    ck_assert_uint_ge(weft_now_ns() - t0, 20 * WEFT_NS_PER_MS);
    ck_assert(!weft_future_done(f));
    atomic_store(&gate, 1);
    ck_assert_int_eq(weft_future_result(f, WEFT_DEADLINE_NEVER, NULL), 0);
    weft_future_release(f);
    ck_assert_uint_eq(weft_deadline_in(UINT64_MAX), WEFT_DEADLINE_NEVER);
    ck_assert_uint_ne(weft_deadline_in(0), WEFT_DEADLINE_POLL);
    weft_pool_destroy(p);
}
END_TEST

static _Atomic int cb_calls;

static void
count_cb(weft_future_t *f, void *ctx)
{
    (void)f;
    atomic_fetch_add(&cb_calls, (int)(long)ctx);
}

START_TEST(cancel_pending_and_running)
{
    weft_pool_t *p = make_pool(1);
    weft_future_t *b, *f;

    atomic_store(&gate, 0);
    atomic_store(&blocker_started, 0);
    atomic_store(&cb_calls, 0);
    ck_assert_int_eq(weft_pool_submit(p, blocker, NULL, &b), 0);
    wait_started();
    ck_assert(weft_future_running(b));
    ck_assert_int_eq(weft_future_cancel(b), -EBUSY);
    ck_assert_int_eq(weft_pool_submit(p, square, (void *)3L, &f), 0);
    ck_assert_int_eq(weft_future_on_done(f, count_cb, (void *)1L), 0);
    ck_assert_int_eq(weft_future_cancel(f), 0);
    ck_assert_int_eq(weft_future_cancel(f), 0); /* idempotent */
    ck_assert(weft_future_cancelled(f));
    ck_assert(weft_future_done(f));
    ck_assert_int_eq(atomic_load(&cb_calls), 1); /* ran on cancel */
    ck_assert_int_eq(weft_future_result(f, WEFT_DEADLINE_NEVER, NULL),
                     -ECANCELED);
    atomic_store(&gate, 1);
    ck_assert_int_eq(weft_future_result(b, WEFT_DEADLINE_NEVER, NULL), 0);
    ck_assert_int_eq(weft_future_cancel(b), -EBUSY); /* done */
    weft_future_release(f);
    weft_future_release(b);
    weft_pool_destroy(p);
    ck_assert_int_eq(atomic_load(&cb_calls), 1); /* never twice */
}
END_TEST

START_TEST(callbacks_once_each)
{
    weft_pool_t *p = make_pool(2);
    weft_future_t *f;

    atomic_store(&cb_calls, 0);
    atomic_store(&gate, 0);
    atomic_store(&blocker_started, 0);
    ck_assert_int_eq(weft_pool_submit(p, blocker, NULL, &f), 0);
    ck_assert_int_eq(weft_future_on_done(f, count_cb, (void *)1L), 0);
    ck_assert_int_eq(weft_future_on_done(f, count_cb, (void *)10L), 0);
    ck_assert_int_eq(atomic_load(&cb_calls), 0);
    atomic_store(&gate, 1);
    ck_assert_int_eq(weft_future_result(f, WEFT_DEADLINE_NEVER, NULL), 0);
    /* Callbacks run before waiters could see it done? Not promised; wait
     * for both to land. */
    while (atomic_load(&cb_calls) != 11)
        sched_yield();
    /* Already done: runs at once, on the caller. */
    ck_assert_int_eq(weft_future_on_done(f, count_cb, (void *)100L), 0);
    ck_assert_int_eq(atomic_load(&cb_calls), 111);
    weft_future_release(f);
    weft_pool_destroy(p);
}
END_TEST

START_TEST(refcount_and_outliving_the_pool)
{
    weft_pool_t *p = make_pool(2);
    weft_future_t *f;
    void *r = NULL;

    ck_assert_int_eq(weft_pool_submit(p, square, (void *)9L, &f), 0);
    ck_assert_int_eq(weft_future_retain(f), 0);
    weft_future_release(f);
    weft_pool_destroy(p); /* runs it, then the pool is gone */
    ck_assert(weft_future_done(f));
    ck_assert_int_eq(weft_future_result(f, WEFT_DEADLINE_POLL, &r), 0);
    ck_assert_int_eq((long)r, 81);
    weft_future_release(f);
}
END_TEST

/* 1000 nested futures on a single worker: each level submits the next and
 * waits for it; the wait runs the child inline. */
static int
nested(void *arg, void **res)
{
    long depth = (long)arg;
    weft_future_t *f;
    void *r = NULL;
    int rc;

    if (depth == 0) {
        *res = (void *)0L;
        return 0;
    }
    rc = weft_pool_submit(weft_pool_current(), nested, (void *)(depth - 1), &f);
    if (rc != 0)
        return rc;
    rc = weft_future_result(f, WEFT_DEADLINE_NEVER, &r);
    weft_future_release(f);
    *res = (void *)((long)r + 1);
    return rc;
}

START_TEST(nested_futures_one_worker)
{
    weft_pool_t *p = make_pool(1);
    void *r = NULL;

    ck_assert_int_eq(weft_pool_run(p, nested, (void *)1000L, &r), 0);
    ck_assert_int_eq((long)r, 1000);
    weft_pool_destroy(p);
}
END_TEST

/* A waiter holding a lock is never handed an unrelated task: while `held`
 * is set by the waiting task on its thread, an unrelated task must not run
 * on that thread. */
static _Thread_local int lock_held;
static _Atomic int violations;
static _Atomic int unrelated_ran;

static int
unrelated(void *arg, void **res)
{
    (void)arg;
    (void)res;
    if (lock_held)
        atomic_fetch_add(&violations, 1);
    atomic_fetch_add(&unrelated_ran, 1);
    return 0;
}

static int
slow_child(void *arg, void **res)
{
    (void)arg;
    (void)res;
    for (int i = 0; i < 200; i++)
        sched_yield();
    return 0;
}

static int
lock_holder(void *arg, void **res)
{
    weft_pool_t *p = (weft_pool_t *)arg;
    weft_future_t *f;
    int rc;

    (void)res;
    lock_held = 1;
    rc = weft_pool_submit(p, slow_child, NULL, &f);
    if (rc == 0) {
        rc = weft_future_result(f, WEFT_DEADLINE_NEVER, NULL);
        weft_future_release(f);
    }
    lock_held = 0;
    return rc;
}

START_TEST(waiter_gets_no_unrelated_work)
{
    for (unsigned workers = 1; workers <= 2; workers++) {
        weft_pool_t *p = make_pool(workers);
        weft_future_t *h[8], *u[64];

        atomic_store(&violations, 0);
        atomic_store(&unrelated_ran, 0);
        for (int i = 0; i < 8; i++) {
            ck_assert_int_eq(weft_pool_submit(p, lock_holder, p, &h[i]), 0);
            for (int k = 0; k < 8; k++)
                ck_assert_int_eq(
                    weft_pool_submit(p, unrelated, NULL, &u[i * 8 + k]), 0);
        }
        for (int i = 0; i < 8; i++) {
            ck_assert_int_eq(
                weft_future_result(h[i], WEFT_DEADLINE_NEVER, NULL), 0);
            weft_future_release(h[i]);
        }
        for (int i = 0; i < 64; i++) {
            ck_assert_int_eq(
                weft_future_result(u[i], WEFT_DEADLINE_NEVER, NULL), 0);
            weft_future_release(u[i]);
        }
        ck_assert_int_eq(atomic_load(&unrelated_ran), 64);
        ck_assert_int_eq(atomic_load(&violations), 0);
        weft_pool_destroy(p);
    }
}
END_TEST

static int
wait_on_self(void *arg, void **res)
{
    weft_future_t **slot = (weft_future_t **)arg;

    (void)res;
    weft_future_t *f;

    while ((f = __atomic_load_n(slot, __ATOMIC_ACQUIRE)) == NULL)
        sched_yield();
    return weft_future_result(f, WEFT_DEADLINE_NEVER, NULL);
}

START_TEST(task_waiting_on_itself)
{
    weft_pool_t *p = make_pool(1);
    static weft_future_t *self_f;
    weft_future_t *f;

    self_f = NULL;
    ck_assert_int_eq(weft_pool_submit(p, wait_on_self, &self_f, &f), 0);
    __atomic_store_n(&self_f, f, __ATOMIC_RELEASE);
    ck_assert_int_eq(weft_future_result(f, WEFT_DEADLINE_NEVER, NULL),
                     -EDEADLK);
    weft_future_release(f);
    weft_pool_destroy(p);
}
END_TEST

struct shut_args {
    weft_pool_t *pool;
    unsigned flags;
    uint64_t timeout;
    int rc;
};

static void *
shutdown_thread(void *arg)
{
    struct shut_args *a = (struct shut_args *)arg;
    a->rc = weft_pool_shutdown(a->pool, a->flags, weft_deadline_in(a->timeout));
    return NULL;
}

START_TEST(shutdown_cancel_pending)
{
    weft_pool_t *p = make_pool(1);
    weft_future_t *b, *fs[10], *late;
    struct shut_args a;
    pthread_t t;

    atomic_store(&gate, 0);
    atomic_store(&blocker_started, 0);
    atomic_store(&cb_calls, 0);
    ck_assert_int_eq(weft_pool_submit(p, blocker, NULL, &b), 0);
    wait_started();
    for (long i = 0; i < 10; i++) {
        ck_assert_int_eq(weft_pool_submit(p, square, (void *)i, &fs[i]), 0);
        ck_assert_int_eq(weft_future_on_done(fs[i], count_cb, (void *)1L), 0);
    }
    /* The only worker is busy: the shutdown times out, but the pending
     * futures are cancelled at once all the same. */
    a.pool = p;
    a.flags = WEFT_SHUTDOWN_CANCEL_PENDING;
    a.timeout = 30 * WEFT_NS_PER_MS;
    ck_assert_int_eq(pthread_create(&t, NULL, shutdown_thread, &a), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(a.rc, -ETIMEDOUT);
    for (int i = 0; i < 10; i++) {
        ck_assert_int_eq(weft_future_result(fs[i], WEFT_DEADLINE_POLL, NULL),
                         -ECANCELED);
        weft_future_release(fs[i]);
    }
    ck_assert_int_eq(atomic_load(&cb_calls), 10);
    ck_assert_int_eq(weft_pool_submit(p, square, NULL, &late), -ESHUTDOWN);
    atomic_store(&gate, 1);
    ck_assert_int_eq(weft_pool_shutdown(p, WEFT_SHUTDOWN_CANCEL_PENDING,
                                        WEFT_DEADLINE_NEVER),
                     0);
    /* The running one finished normally. */
    ck_assert_int_eq(weft_future_result(b, WEFT_DEADLINE_POLL, NULL), 0);
    weft_future_release(b);
    ck_assert_int_eq(weft_pool_shutdown(p, 0, WEFT_DEADLINE_POLL), 0);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

/* A done callback that shuts its own pool down: it runs on the thread of
 * the shutdown that cancels its future, which holds the shutdown. */
struct reenter {
    weft_pool_t *pool;
    int shutdown_rc, destroy_rc;
};

static void
reenter_cb(weft_future_t *f, void *ctx)
{
    struct reenter *r = ctx;

    (void)f;
    r->shutdown_rc =
        weft_pool_shutdown(r->pool, WEFT_SHUTDOWN_DRAIN, WEFT_DEADLINE_NEVER);
    r->destroy_rc = weft_pool_destroy(r->pool);
}

START_TEST(shutdown_from_own_callback)
{
    weft_pool_t *p = make_pool(1);
    struct reenter r = {p, 1, 1};
    weft_future_t *b, *f;

    atomic_store(&gate, 0);
    atomic_store(&blocker_started, 0);
    ck_assert_int_eq(weft_pool_submit(p, blocker, NULL, &b), 0);
    wait_started();
    ck_assert_int_eq(weft_pool_submit(p, square, (void *)3L, &f), 0);
    ck_assert_int_eq(weft_future_on_done(f, reenter_cb, &r), 0);
    /* The worker is busy: this thread cancels f and runs its callback. */
    ck_assert_int_eq(weft_pool_shutdown(p, WEFT_SHUTDOWN_CANCEL_PENDING,
                                        weft_deadline_in(WEFT_NS_PER_MS)),
                     -ETIMEDOUT);
    ck_assert_int_eq(r.shutdown_rc, -EDEADLK);
    ck_assert_int_eq(r.destroy_rc, -EDEADLK);
    ck_assert_int_eq(weft_future_result(f, WEFT_DEADLINE_POLL, NULL),
                     -ECANCELED);
    atomic_store(&gate, 1);
    ck_assert_int_eq(weft_future_result(b, WEFT_DEADLINE_NEVER, NULL), 0);
    /* Outside the shutdown, the same thread may shut down again. */
    ck_assert_int_eq(
        weft_pool_shutdown(p, WEFT_SHUTDOWN_DRAIN, WEFT_DEADLINE_NEVER), 0);
    weft_future_release(f);
    weft_future_release(b);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

static _Atomic int chain_ran;

static int
chain(void *arg, void **res)
{
    long n = (long)arg;
    weft_future_t *f;

    (void)res;
    atomic_fetch_add(&chain_ran, 1);
    /* Submitting from a task during shutdown: accepted, then drained. */
    if (n > 0 &&
        weft_pool_submit(weft_pool_current(), chain, (void *)(n - 1), &f) == 0)
        weft_future_release(f);
    return 0;
}

START_TEST(shutdown_drain_and_bad_input)
{
    weft_pool_t *p = make_pool(2);
    weft_future_t *f;

    atomic_store(&chain_ran, 0);
    ck_assert_int_eq(weft_pool_shutdown(NULL, 0, 0), -EINVAL);
    ck_assert_int_eq(weft_pool_shutdown(p, 0x80, 0), -EINVAL);
    ck_assert_int_eq(
        weft_pool_shutdown(
            p, WEFT_SHUTDOWN_DRAIN | WEFT_SHUTDOWN_CANCEL_PENDING, 0),
        -EINVAL);
    ck_assert_int_eq(weft_pool_submit(p, chain, (void *)50L, &f), 0);
    ck_assert_int_eq(
        weft_pool_shutdown(p, WEFT_SHUTDOWN_DRAIN, WEFT_DEADLINE_NEVER), 0);
    ck_assert_int_eq(atomic_load(&chain_ran), 51);
    ck_assert_int_eq(weft_future_result(f, WEFT_DEADLINE_POLL, NULL), 0);
    weft_future_release(f);
    ck_assert_int_eq(weft_pool_run(p, chain, NULL, NULL), -ESHUTDOWN);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

/*
 * Future memory (runtime/fcache.c) crosses threads: a thread that submits
 * more futures than one 2 MiB chunk holds exits before they are waited for
 * and released (by main); then main submits and a short-lived thread
 * releases them, so its cache goes back to main's chunks when it exits.
 * Every result must be the task's own: an object handed out twice while
 * live, or freed under a user, corrupts one (and TSan sees the race).
 */
#define CROSS_N 40000 /* more than a chunk's 32767 slots */

struct cross {
    weft_pool_t *pool;
    weft_future_t **f;
    long base;
};

static void *
cross_submit(void *arg)
{
    struct cross *c = arg;

    for (long i = 0; i < CROSS_N; i++)
        ck_assert_int_eq(
            weft_pool_submit(c->pool, square, (void *)(c->base + i), &c->f[i]),
            0);
    return NULL;
}

static void *
cross_release(void *arg)
{
    struct cross *c = arg;

    for (long i = 0; i < CROSS_N; i++)
        weft_future_release(c->f[i]);
    return NULL;
}

static void
cross_check(struct cross *c)
{
    for (long i = 0; i < CROSS_N; i++) {
        void *r = NULL;
        long x = c->base + i;
        ck_assert_int_eq(weft_future_result(c->f[i], WEFT_DEADLINE_NEVER, &r),
                         0);
        ck_assert_int_eq((long)r, x * x);
    }
}

START_TEST(futures_cross_threads_and_outlive_them)
{
    struct cross c = {make_pool(2), NULL, 0};
    pthread_t t;

    c.f = malloc(CROSS_N * sizeof(*c.f));
    ck_assert_ptr_nonnull(c.f);
    /* made on a thread that is gone when they are used */
    ck_assert_int_eq(pthread_create(&t, NULL, cross_submit, &c), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    cross_check(&c);
    for (long i = 0; i < CROSS_N; i++)
        weft_future_release(c.f[i]);
    /* made here (on the memory just freed), released on a thread that
     * then exits; other arguments, so a stale result shows */
    c.base = CROSS_N;
    cross_submit(&c);
    cross_check(&c);
    ck_assert_int_eq(pthread_create(&t, NULL, cross_release, &c), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    free(c.f);
    weft_pool_destroy(c.pool);
}
END_TEST

static Suite *
future_suite(void)
{
    Suite *s = suite_create("future");
    TCase *tc = tcase_create("future");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, submit_and_result);
    tcase_add_test(tc, task_error_reaches_reader);
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, deadlines);
    tcase_add_test(tc, cancel_pending_and_running);
    tcase_add_test(tc, callbacks_once_each);
    tcase_add_test(tc, refcount_and_outliving_the_pool);
    tcase_add_test(tc, nested_futures_one_worker);
    tcase_add_test(tc, waiter_gets_no_unrelated_work);
    tcase_add_test(tc, task_waiting_on_itself);
    tcase_add_test(tc, shutdown_cancel_pending);
    tcase_add_test(tc, shutdown_from_own_callback);
    tcase_add_test(tc, shutdown_drain_and_bad_input);
    tcase_add_test(tc, futures_cross_threads_and_outlive_them);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(future_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
