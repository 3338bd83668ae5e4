/* SPDX-License-Identifier: MIT */
/*
 * test_cpython_futures - CPython's Lib/test/test_concurrent_futures
 * (test_wait.py, test_as_completed.py, test_future.py, executor map tests)
 * ported to weft. Each test names the Python test it ports. Python's
 * "raises an exception" is a negative task return code here; Python's
 * timeout= (relative seconds) is an absolute deadline. Deliberate
 * difference: as_completed deduplicates its input, a weft waitset returns
 * a future once per add (each with its own tag).
 */
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
mul(void *arg, void **res)
{
    long x = (long)arg;
    *res = (void *)(x * 2);
    return 0;
}

static int
raise_exc(void *arg, void **res)
{
    (void)arg;
    (void)res;
    return -EIO;
}

/* "time.sleep(n)": spins with sched_yield() for arg milliseconds. */
static int
sleep_ms(void *arg, void **res)
{
    uint64_t end = weft_now_ns() + (uint64_t)(long)arg * WEFT_NS_PER_MS;

    (void)res;
    while (weft_now_ns() < end)
        sched_yield();
    return 0;
}

/* Python's long time.sleep() in a test that checks a future is still
 * pending: a task that runs until the test opens its gate, so "still
 * running" holds however slow the machine is (a fixed sleep does not:
 * under load the check can come after the sleep ended). */
struct gated {
    _Atomic int open;
};

static int
gated_fn(void *arg, void **res)
{
    struct gated *g = (struct gated *)arg;

    (void)res;
    while (!atomic_load(&g->open))
        sched_yield();
    return 0;
}

/* A future that stays pending: the pool's only worker is blocked. */
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

struct fixture {
    weft_pool_t *pool;
    weft_future_t *blk;
};

static void
block_pool(struct fixture *fx)
{
    fx->pool = make_pool(1);
    atomic_store(&gate, 0);
    atomic_store(&blocker_started, 0);
    ck_assert_int_eq(weft_pool_submit(fx->pool, blocker, NULL, &fx->blk), 0);
    while (!atomic_load(&blocker_started))
        sched_yield();
}

static void
unblock_pool(struct fixture *fx)
{
    atomic_store(&gate, 1);
    weft_future_release(fx->blk);
    weft_pool_destroy(fx->pool);
}

static weft_future_t *
done_future(weft_pool_t *p, weft_fn fn, long arg)
{
    weft_future_t *f;

    ck_assert_int_eq(weft_pool_submit(p, fn, (void *)arg, &f), 0);
    (void)weft_future_result(f, WEFT_DEADLINE_NEVER, NULL);
    return f;
}

/* --- test_wait.py --------------------------------------------------- */

/* WaitTests.test_20369: a future listed twice, ALL_COMPLETED. */
START_TEST(wait_test_20369)
{
    weft_pool_t *p = make_pool(2);
    weft_future_t *f, *fs[2];
    size_t nd;

    ck_assert_int_eq(weft_pool_submit(p, sleep_ms, (void *)2L, &f), 0);
    fs[0] = fs[1] = f;
    ck_assert_int_eq(
        weft_wait(fs, 2, WEFT_ALL_COMPLETED, WEFT_DEADLINE_NEVER, &nd), 0);
    ck_assert_uint_eq(nd, 2);
    weft_future_release(f);
    weft_pool_destroy(p);
}
END_TEST

/* WaitTests.test_first_completed: future1 = submit(mul, 21, 2); future2 =
 * submit(sleep, 1.5); wait([CANCELLED_FUTURE, future1, future2]) returns
 * done = {future1}... here the cancelled future is done too (as in
 * Python, where CANCELLED_FUTURE ends up in done). */
START_TEST(wait_first_completed)
{
    weft_pool_t *p = make_pool(2);
    weft_future_t *f1, *f2, *cancelled, *fs[3];
    struct gated slow = {0};
    size_t nd;

    ck_assert_int_eq(weft_pool_submit(p, gated_fn, &slow, &f2), 0);
    ck_assert_int_eq(weft_pool_submit(p, mul, (void *)21L, &f1), 0);
    cancelled = f1; /* placeholder, replaced below */
    {
        struct fixture fx;
        block_pool(&fx);
        ck_assert_int_eq(weft_pool_submit(fx.pool, mul, NULL, &cancelled), 0);
        ck_assert_int_eq(weft_future_cancel(cancelled), 0);
        unblock_pool(&fx);
    }
    fs[0] = cancelled;
    fs[1] = f1;
    fs[2] = f2;
    ck_assert_int_eq(
        weft_wait(fs, 3, WEFT_FIRST_COMPLETED, WEFT_DEADLINE_NEVER, &nd), 0);
    ck_assert_uint_ge(nd, 1);
    ck_assert(weft_future_done(cancelled));
    ck_assert(!weft_future_done(f2)); /* still sleeping */
    atomic_store(&slow.open, 1);
    ck_assert_int_eq(weft_future_result(f2, WEFT_DEADLINE_NEVER, NULL), 0);
    weft_future_release(cancelled);
    weft_future_release(f1);
    weft_future_release(f2);
    weft_pool_destroy(p);
}
END_TEST

/* WaitTests.test_first_completed_some_already_completed */
START_TEST(wait_first_completed_some_already_completed)
{
    weft_pool_t *p = make_pool(2);
    weft_future_t *fs[3];
    struct gated slow = {0};
    size_t nd;

    ck_assert_int_eq(weft_pool_submit(p, gated_fn, &slow, &fs[0]), 0);
    fs[1] = done_future(p, mul, 1);
    fs[2] = done_future(p, raise_exc, 0);
    ck_assert_int_eq(
        weft_wait(fs, 3, WEFT_FIRST_COMPLETED, WEFT_DEADLINE_NEVER, &nd), 0);
    ck_assert_uint_eq(nd, 2);
    ck_assert(!weft_future_done(fs[0]));
    atomic_store(&slow.open, 1);
    for (int i = 0; i < 3; i++)
        weft_future_release(fs[i]);
    weft_pool_destroy(p);
}
END_TEST

/* WaitTests.test_first_exception: future1 = mul, future2 = sleep then
 * raise, future3 = long sleep: done = {future1, future2}. */
static int
sleep_and_raise(void *arg, void **res)
{
    sleep_ms(arg, res);
    return -EIO;
}

START_TEST(wait_first_exception)
{
    weft_pool_t *p = make_pool(3);
    weft_future_t *fs[3];
    struct gated slow = {0};
    size_t nd;

    ck_assert_int_eq(weft_pool_submit(p, mul, (void *)21L, &fs[0]), 0);
    ck_assert_int_eq(weft_pool_submit(p, sleep_and_raise, (void *)20L, &fs[1]),
                     0);
    ck_assert_int_eq(weft_pool_submit(p, gated_fn, &slow, &fs[2]), 0);
    ck_assert_int_eq(
        weft_wait(fs, 3, WEFT_FIRST_EXCEPTION, WEFT_DEADLINE_NEVER, &nd), 0);
    ck_assert(weft_future_done(fs[1]));
    ck_assert_int_eq(weft_future_result(fs[1], WEFT_DEADLINE_POLL, NULL), -EIO);
    ck_assert(!weft_future_done(fs[2]));
    atomic_store(&slow.open, 1);
    for (int i = 0; i < 3; i++)
        weft_future_release(fs[i]);
    weft_pool_destroy(p);
}
END_TEST

/* WaitTests.test_first_exception_some_already_complete: a cancelled and a
 * successful future are done, one raises later. */
START_TEST(wait_first_exception_some_already_complete)
{
    weft_pool_t *p = make_pool(2);
    weft_future_t *fs[4];
    struct fixture fx;
    struct gated slow = {0};
    size_t nd;

    block_pool(&fx);
    ck_assert_int_eq(weft_pool_submit(fx.pool, mul, NULL, &fs[0]), 0);
    ck_assert_int_eq(weft_future_cancel(fs[0]), 0);
    unblock_pool(&fx);
    fs[1] = done_future(p, mul, 1);
    ck_assert_int_eq(weft_pool_submit(p, sleep_and_raise, (void *)20L, &fs[2]),
                     0);
    ck_assert_int_eq(weft_pool_submit(p, gated_fn, &slow, &fs[3]), 0);
    ck_assert_int_eq(
        weft_wait(fs, 4, WEFT_FIRST_EXCEPTION, WEFT_DEADLINE_NEVER, &nd), 0);
    ck_assert_uint_eq(nd, 3);
    ck_assert(!weft_future_done(fs[3]));
    atomic_store(&slow.open, 1);
    for (int i = 0; i < 4; i++)
        weft_future_release(fs[i]);
    weft_pool_destroy(p);
}
END_TEST

/* WaitTests.test_first_exception_one_already_failed */
START_TEST(wait_first_exception_one_already_failed)
{
    weft_pool_t *p = make_pool(2);
    weft_future_t *fs[2];
    struct gated slow = {0};
    size_t nd;

    fs[0] = done_future(p, raise_exc, 0);
    ck_assert_int_eq(weft_pool_submit(p, gated_fn, &slow, &fs[1]), 0);
    ck_assert_int_eq(
        weft_wait(fs, 2, WEFT_FIRST_EXCEPTION, WEFT_DEADLINE_NEVER, &nd), 0);
    ck_assert_uint_eq(nd, 1);
    atomic_store(&slow.open, 1);
    for (int i = 0; i < 2; i++)
        weft_future_release(fs[i]);
    weft_pool_destroy(p);
}
END_TEST

/* WaitTests.test_all_completed: done = all, including cancelled and
 * raised ones. */
START_TEST(wait_all_completed)
{
    weft_pool_t *p = make_pool(2);
    weft_future_t *fs[4];
    struct fixture fx;
    size_t nd;

    block_pool(&fx);
    ck_assert_int_eq(weft_pool_submit(fx.pool, mul, NULL, &fs[0]), 0);
    ck_assert_int_eq(weft_future_cancel(fs[0]), 0);
    unblock_pool(&fx);
    fs[1] = done_future(p, raise_exc, 0);
    ck_assert_int_eq(weft_pool_submit(p, mul, (void *)2L, &fs[2]), 0);
    ck_assert_int_eq(weft_pool_submit(p, raise_exc, NULL, &fs[3]), 0);
    ck_assert_int_eq(
        weft_wait(fs, 4, WEFT_ALL_COMPLETED, WEFT_DEADLINE_NEVER, &nd), 0);
    ck_assert_uint_eq(nd, 4);
    for (int i = 0; i < 4; i++)
        weft_future_release(fs[i]);
    weft_pool_destroy(p);
}
END_TEST

/* WaitTests.test_timeout: ALL_COMPLETED with timeout while one sleeps:
 * the others are done, the sleeper is not. */
START_TEST(wait_timeout)
{
    weft_pool_t *p = make_pool(2);
    weft_future_t *fs[3];
    struct gated slow = {0};
    size_t nd;

    fs[0] = done_future(p, mul, 1);
    fs[1] = done_future(p, raise_exc, 0);
    ck_assert_int_eq(weft_pool_submit(p, gated_fn, &slow, &fs[2]), 0);
    ck_assert_int_eq(weft_wait(fs, 3, WEFT_ALL_COMPLETED,
                               weft_deadline_in(200 * WEFT_NS_PER_MS), &nd),
                     -ETIMEDOUT);
    ck_assert_uint_eq(nd, 2);
    ck_assert(!weft_future_done(fs[2]));
    atomic_store(&slow.open, 1);
    for (int i = 0; i < 3; i++)
        weft_future_release(fs[i]);
    weft_pool_destroy(p);
}
END_TEST

/* --- test_as_completed.py ------------------------------------------- */

/* AsCompletedTests.test_no_timeout: every future comes out once. */
START_TEST(as_completed_no_timeout)
{
    weft_pool_t *p = make_pool(2);
    weft_future_t *fs[3], *got;
    struct fixture fx;
    weft_waitset_t *ws;
    uintptr_t tag;
    unsigned seen = 0;

    block_pool(&fx);
    ck_assert_int_eq(weft_pool_submit(fx.pool, mul, NULL, &fs[0]), 0);
    ck_assert_int_eq(weft_future_cancel(fs[0]), 0); /* CANCELLED_AND_NOTIFIED */
    unblock_pool(&fx);
    fs[1] = done_future(p, raise_exc, 0);
    ck_assert_int_eq(weft_pool_submit(p, mul, (void *)7L, &fs[2]), 0);
    ck_assert_int_eq(weft_waitset_create(p, &ws), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(weft_waitset_add(ws, fs[i], (uintptr_t)i), 0);
    while (weft_waitset_next(ws, WEFT_DEADLINE_NEVER, &got, &tag) == 0) {
        ck_assert_ptr_eq(got, fs[tag]);
        ck_assert(!(seen & (1u << tag)));
        seen |= 1u << tag;
        weft_future_release(got);
    }
    ck_assert_uint_eq(seen, 7);
    weft_waitset_destroy(ws);
    for (int i = 0; i < 3; i++)
        weft_future_release(fs[i]);
    weft_pool_destroy(p);
}
END_TEST

/* AsCompletedTests.test_future_times_out: timeout=0 yields the done ones,
 * then raises TimeoutError. */
START_TEST(as_completed_future_times_out)
{
    weft_pool_t *p = make_pool(2);
    weft_future_t *fs[3], *got;
    weft_waitset_t *ws;
    struct gated slow = {0};
    uintptr_t tag;
    unsigned seen = 0;
    int rc;

    fs[0] = done_future(p, mul, 1);
    fs[1] = done_future(p, raise_exc, 0);
    ck_assert_int_eq(weft_pool_submit(p, gated_fn, &slow, &fs[2]), 0);
    ck_assert_int_eq(weft_waitset_create(NULL, &ws), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(weft_waitset_add(ws, fs[i], (uintptr_t)i), 0);
    while ((rc = weft_waitset_next(ws, WEFT_DEADLINE_POLL, &got, &tag)) == 0) {
        seen |= 1u << tag;
        weft_future_release(got);
    }
    ck_assert_int_eq(rc, -ETIMEDOUT);
    ck_assert_uint_eq(seen, 3);
    weft_waitset_destroy(ws); /* fs[2] still pending: safe */
    atomic_store(&slow.open, 1);
    for (int i = 0; i < 3; i++)
        weft_future_release(fs[i]);
    weft_pool_destroy(p);
}
END_TEST

/* AsCompletedTests.test_duplicate_futures: Python yields future1 once for
 * as_completed(repeat(future1, 3)); a waitset yields it once per add. */
START_TEST(as_completed_duplicate_futures)
{
    weft_pool_t *p = make_pool(1);
    weft_future_t *f, *got;
    weft_waitset_t *ws;
    uintptr_t tag;
    int n = 0;

    ck_assert_int_eq(weft_pool_submit(p, sleep_ms, (void *)2L, &f), 0);
    ck_assert_int_eq(weft_waitset_create(NULL, &ws), 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(weft_waitset_add(ws, f, 42), 0);
    while (weft_waitset_next(ws, WEFT_DEADLINE_NEVER, &got, &tag) == 0) {
        ck_assert_ptr_eq(got, f);
        ck_assert_uint_eq(tag, 42);
        weft_future_release(got);
        n++;
    }
    ck_assert_int_eq(n, 3);
    weft_waitset_destroy(ws);
    weft_future_release(f);
    weft_pool_destroy(p);
}
END_TEST

/* --- executor map tests --------------------------------------------- */

/* ExecutorTest.test_map: same as the sequential map. */
START_TEST(executor_map)
{
    enum { N = 10 };
    weft_pool_t *p = make_pool(2);
    void *args[N], *res[N];

    for (long i = 0; i < N; i++)
        args[i] = (void *)i;
    ck_assert_int_eq(
        weft_pool_map(p, mul, args, N, res, NULL, WEFT_DEADLINE_NEVER), 0);
    for (long i = 0; i < N; i++)
        ck_assert_int_eq((long)res[i], 2 * i);
    weft_pool_destroy(p);
}
END_TEST

/* ExecutorTest.test_map_exception: map(divmod, [1,1,1,1], [2,2,0,2]):
 * two results, then ZeroDivisionError. */
static int
div10(void *arg, void **res)
{
    long d = (long)arg;

    if (d == 0)
        return -EDOM;
    *res = (void *)(10 / d);
    return 0;
}

START_TEST(executor_map_exception)
{
    weft_pool_t *p = make_pool(2);
    void *args[4] = {(void *)2L, (void *)2L, (void *)0L, (void *)2L};
    void *res[4];
    int err[4];

    ck_assert_int_eq(
        weft_pool_map(p, div10, args, 4, res, err, WEFT_DEADLINE_NEVER), -EDOM);
    ck_assert_int_eq(err[0], 0);
    ck_assert_int_eq((long)res[0], 5);
    ck_assert_int_eq(err[1], 0);
    ck_assert_int_eq((long)res[1], 5);
    ck_assert_int_eq(err[2], -EDOM);
    /* Item 3 was submitted before the failure was seen: ran or cancelled. */
    ck_assert(err[3] == 0 || err[3] == -ECANCELED);
    weft_pool_destroy(p);
}
END_TEST

/* "time.sleep(0)" for a NULL argument, else a gated task. */
static int
now_or_gated(void *arg, void **res)
{
    return arg == NULL ? 0 : gated_fn(arg, res);
}

/* ExecutorTest.test_map_timeout: map(time.sleep, [0, 0, 6], timeout=5):
 * the first two results, then TimeoutError. Item 2 runs until a gate that
 * opens only after the call, so it cannot finish in time. Items 0 and 1
 * return at once, but no timeout is long enough for them to be sure to
 * finish on a loaded machine: an attempt where one was caught unfinished
 * (-ETIMEDOUT, and what follows it cancelled) proves nothing, so it is
 * repeated with twice the timeout. */
START_TEST(executor_map_timeout)
{
    uint64_t timeout = 200 * WEFT_NS_PER_MS;

    for (int attempt = 0;; attempt++) {
        weft_pool_t *p = make_pool(2);
        struct gated slow = {0};
        void *args[3] = {NULL, NULL, &slow};
        int err[3];

        ck_assert_int_eq(weft_pool_map(p, now_or_gated, args, 3, NULL, err,
                                       weft_deadline_in(timeout)),
                         -ETIMEDOUT);
        atomic_store(&slow.open, 1);
        weft_pool_destroy(p);
        if (err[0] == 0 && err[1] == 0) {
            ck_assert_int_eq(err[2], -ETIMEDOUT);
            break;
        }
        ck_assert(err[0] == -ETIMEDOUT || err[1] == -ETIMEDOUT);
        ck_assert_int_lt(attempt, 7); /* 25 s in all */
        timeout *= 2;
    }
}
END_TEST

/* --- test_future.py ------------------------------------------------- */

static _Atomic long cb_value;
static _Atomic int cb_count;

static void
record_cb(weft_future_t *f, void *ctx)
{
    void *r = NULL;
    int rc = weft_future_result(f, WEFT_DEADLINE_POLL, &r);

    (void)ctx;
    atomic_store(&cb_value, rc == 0 ? (long)r : rc);
    atomic_fetch_add(&cb_count, 1);
}

/* test_done_callback_with_result / _with_exception / _with_cancel */
START_TEST(done_callback_with_result_exception_cancel)
{
    struct fixture fx;
    weft_future_t *f;

    block_pool(&fx);
    atomic_store(&cb_count, 0);
    ck_assert_int_eq(weft_pool_submit(fx.pool, mul, (void *)5L, &f), 0);
    ck_assert_int_eq(weft_future_on_done(f, record_cb, NULL), 0);
    ck_assert_int_eq(atomic_load(&cb_count), 0);
    ck_assert_int_eq(weft_future_cancel(f), 0);
    ck_assert_int_eq(atomic_load(&cb_count), 1);
    ck_assert_int_eq(atomic_load(&cb_value), -ECANCELED);
    weft_future_release(f);
    unblock_pool(&fx);

    weft_pool_t *p = make_pool(1);
    atomic_store(&cb_count, 0);
    ck_assert_int_eq(weft_pool_submit(p, mul, (void *)5L, &f), 0);
    ck_assert_int_eq(weft_future_on_done(f, record_cb, NULL), 0);
    weft_pool_destroy(p); /* runs it */
    ck_assert_int_eq(atomic_load(&cb_count), 1);
    ck_assert_int_eq(atomic_load(&cb_value), 10);
    weft_future_release(f);

    p = make_pool(1);
    ck_assert_int_eq(weft_pool_submit(p, raise_exc, NULL, &f), 0);
    ck_assert_int_eq(weft_future_on_done(f, record_cb, NULL), 0);
    weft_pool_destroy(p);
    ck_assert_int_eq(atomic_load(&cb_count), 2);
    ck_assert_int_eq(atomic_load(&cb_value), -EIO);
    weft_future_release(f);
}
END_TEST

/* test_done_callback_already_successful / _failed / _cancelled: called
 * at once, on the caller. */
START_TEST(done_callback_already_done)
{
    weft_pool_t *p = make_pool(1);
    weft_future_t *f;

    atomic_store(&cb_count, 0);
    f = done_future(p, mul, 4);
    ck_assert_int_eq(weft_future_on_done(f, record_cb, NULL), 0);
    ck_assert_int_eq(atomic_load(&cb_count), 1);
    ck_assert_int_eq(atomic_load(&cb_value), 8);
    weft_future_release(f);
    f = done_future(p, raise_exc, 0);
    ck_assert_int_eq(weft_future_on_done(f, record_cb, NULL), 0);
    ck_assert_int_eq(atomic_load(&cb_count), 2);
    ck_assert_int_eq(atomic_load(&cb_value), -EIO);
    weft_future_release(f);
    weft_pool_destroy(p);
}
END_TEST

/* FutureTests.test_cancel: pending -> True; running -> False; finished ->
 * False; cancelled -> True again. */
START_TEST(future_cancel)
{
    struct fixture fx;
    weft_future_t *f;

    block_pool(&fx);
    ck_assert_int_eq(weft_future_cancel(fx.blk), -EBUSY); /* running */
    ck_assert_int_eq(weft_pool_submit(fx.pool, mul, NULL, &f), 0);
    ck_assert_int_eq(weft_future_cancel(f), 0);
    ck_assert_int_eq(weft_future_cancel(f), 0);
    ck_assert(weft_future_cancelled(f));
    ck_assert_int_eq(weft_future_result(f, WEFT_DEADLINE_NEVER, NULL),
                     -ECANCELED);
    weft_future_release(f);
    atomic_store(&gate, 1);
    ck_assert_int_eq(weft_future_result(fx.blk, WEFT_DEADLINE_NEVER, NULL), 0);
    ck_assert_int_eq(weft_future_cancel(fx.blk), -EBUSY); /* finished */
    unblock_pool(&fx);
}
END_TEST

/* FutureTests.test_result_with_timeout / test_exception_with_timeout */
START_TEST(future_result_with_timeout)
{
    struct fixture fx;
    weft_future_t *f;

    block_pool(&fx);
    ck_assert_int_eq(weft_pool_submit(fx.pool, raise_exc, NULL, &f), 0);
    ck_assert_int_eq(
        weft_future_result(f, weft_deadline_in(WEFT_NS_PER_MS), NULL),
        -ETIMEDOUT);
    atomic_store(&gate, 1);
    ck_assert_int_eq(weft_future_result(f, WEFT_DEADLINE_NEVER, NULL), -EIO);
    weft_future_release(f);
    unblock_pool(&fx);
}
END_TEST

static Suite *
cpython_suite(void)
{
    Suite *s = suite_create("cpython_futures");
    TCase *tc = tcase_create("cpython_futures");

    tcase_set_timeout(tc, 60 * weft_test_timeout_multiplier());
    tcase_add_test(tc, wait_test_20369);
    tcase_add_test(tc, wait_first_completed);
    tcase_add_test(tc, wait_first_completed_some_already_completed);
    tcase_add_test(tc, wait_first_exception);
    tcase_add_test(tc, wait_first_exception_some_already_complete);
    tcase_add_test(tc, wait_first_exception_one_already_failed);
    tcase_add_test(tc, wait_all_completed);
    tcase_add_test(tc, wait_timeout);
    tcase_add_test(tc, as_completed_no_timeout);
    tcase_add_test(tc, as_completed_future_times_out);
    tcase_add_test(tc, as_completed_duplicate_futures);
    tcase_add_test(tc, executor_map);
    tcase_add_test(tc, executor_map_exception);
    tcase_add_test(tc, executor_map_timeout);
    tcase_add_test(tc, done_callback_with_result_exception_cancel);
    tcase_add_test(tc, done_callback_already_done);
    tcase_add_test(tc, future_cancel);
    tcase_add_test(tc, future_result_with_timeout);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(cpython_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
