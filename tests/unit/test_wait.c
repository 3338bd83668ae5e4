/* SPDX-License-Identifier: MIT */
/* test_wait - weft_wait() in each mode: already-done futures, timeouts
 * (ndone still reported), wake-ups, exceptions vs cancellation, duplicates,
 * records outliving a timed-out call, waiting inside a 1-worker pool, bad
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

struct gated {
    _Atomic int open;
    _Atomic int started;
    int rc;
};

static int
gated_fn(void *arg, void **res)
{
    struct gated *g = (struct gated *)arg;

    (void)res;
    atomic_store(&g->started, 1);
    while (!atomic_load(&g->open))
        sched_yield();
    return g->rc;
}

static int
ret(void *arg, void **res)
{
    (void)res;
    return (int)(long)arg;
}

static void
done_now(weft_pool_t *p, int rc, weft_future_t **out)
{
    ck_assert_int_eq(weft_pool_submit(p, ret, (void *)(long)rc, out), 0);
    ck_assert_int_eq(weft_future_result(*out, WEFT_DEADLINE_NEVER, NULL), rc);
}

/* Opens a gate after a delay, from another thread. */
struct opener {
    struct gated *g;
    long ms;
};

static void *
opener_main(void *arg)
{
    struct opener *o = (struct opener *)arg;
    struct timespec ts = {0, o->ms * 1000 * 1000};

    nanosleep(&ts, NULL);
    atomic_store(&o->g->open, 1);
    return NULL;
}

START_TEST(bad_input)
{
    weft_pool_t *p = make_pool(1);
    weft_future_t *f, *fs[2];
    size_t nd = 99;

    done_now(p, 0, &f);
    fs[0] = f;
    fs[1] = NULL;
    ck_assert_int_eq(weft_wait(NULL, 1, WEFT_ALL_COMPLETED, 0, &nd), -EINVAL);
    ck_assert_uint_eq(nd, 0);
    ck_assert_int_eq(weft_wait(fs, 2, WEFT_ALL_COMPLETED, 0, &nd), -EINVAL);
    ck_assert_int_eq(weft_wait(fs, 1, 0, 0, &nd), -EINVAL);
    ck_assert_int_eq(weft_wait(fs, 1, 4, 0, &nd), -EINVAL);
    ck_assert_int_eq(weft_wait(fs, 1, -1, 0, NULL), -EINVAL);
    /* n == 0: the condition holds at once in every mode. */
    for (int m = WEFT_FIRST_COMPLETED; m <= WEFT_ALL_COMPLETED; m++) {
        nd = 99;
        ck_assert_int_eq(weft_wait(NULL, 0, m, WEFT_DEADLINE_NEVER, &nd), 0);
        ck_assert_uint_eq(nd, 0);
    }
    ck_assert_int_eq(weft_wait(fs, 1, WEFT_ALL_COMPLETED, 0, NULL), 0);
    weft_future_release(f);
    weft_pool_destroy(p);
}
END_TEST

/* Everything done already: each mode returns 0 at once, even with POLL. */
START_TEST(already_done)
{
    weft_pool_t *p = make_pool(1);
    weft_future_t *fs[3];
    size_t nd;

    done_now(p, 0, &fs[0]);
    done_now(p, -EIO, &fs[1]);
    done_now(p, 0, &fs[2]);
    for (int m = WEFT_FIRST_COMPLETED; m <= WEFT_ALL_COMPLETED; m++) {
        nd = 0;
        ck_assert_int_eq(weft_wait(fs, 3, m, WEFT_DEADLINE_POLL, &nd), 0);
        ck_assert_uint_eq(nd, 3);
    }
    for (int i = 0; i < 3; i++)
        weft_future_release(fs[i]);
    weft_pool_destroy(p);
}
END_TEST

START_TEST(first_completed)
{
    weft_pool_t *p = make_pool(2);
    struct gated g1 = {0}, g2 = {0};
    weft_future_t *fs[3];
    struct opener o = {&g2, 20};
    pthread_t t;
    size_t nd = 99;
    uint64_t t0;

    ck_assert_int_eq(weft_pool_submit(p, gated_fn, &g1, &fs[0]), 0);
    ck_assert_int_eq(weft_pool_submit(p, gated_fn, &g2, &fs[1]), 0);
    /* Nothing done: times out, ndone 0. */
    ck_assert_int_eq(
        weft_wait(fs, 2, WEFT_FIRST_COMPLETED, WEFT_DEADLINE_POLL, &nd),
        -ETIMEDOUT);
    ck_assert_uint_eq(nd, 0);
    t0 = weft_now_ns();
    ck_assert_int_eq(
        weft_wait(fs, 2, WEFT_FIRST_COMPLETED, t0 + 20 * WEFT_NS_PER_MS, &nd),
        -ETIMEDOUT);
    ck_assert_uint_ge(weft_now_ns() - t0, 20 * WEFT_NS_PER_MS);
    ck_assert_uint_eq(nd, 0);
    /* One completes later: the sleeper wakes, ndone 1. */
    ck_assert_int_eq(pthread_create(&t, NULL, opener_main, &o), 0);
    ck_assert_int_eq(
        weft_wait(fs, 2, WEFT_FIRST_COMPLETED, WEFT_DEADLINE_NEVER, &nd), 0);
    ck_assert_uint_eq(nd, 1);
    ck_assert(weft_future_done(fs[1]));
    ck_assert(!weft_future_done(fs[0]));
    pthread_join(t, NULL);
    /* Some already completed: at once. */
    done_now(p, 0, &fs[2]);
    ck_assert_int_eq(
        weft_wait(&fs[0], 1, WEFT_FIRST_COMPLETED, WEFT_DEADLINE_POLL, &nd),
        -ETIMEDOUT);
    ck_assert_int_eq(
        weft_wait(fs, 3, WEFT_FIRST_COMPLETED, WEFT_DEADLINE_POLL, &nd), 0);
    ck_assert_uint_eq(nd, 2);
    atomic_store(&g1.open, 1);
    for (int i = 0; i < 3; i++)
        weft_future_release(fs[i]);
    weft_pool_destroy(p);
}
END_TEST

/* Cancellation completes a future: FIRST_COMPLETED wakes for it. */
START_TEST(first_completed_by_cancel)
{
    weft_pool_t *p = make_pool(1);
    struct gated b = {0};
    weft_future_t *blk, *fs[2];
    size_t nd;

    ck_assert_int_eq(weft_pool_submit(p, gated_fn, &b, &blk), 0);
    while (!atomic_load(&b.started))
        sched_yield();
    ck_assert_int_eq(weft_pool_submit(p, ret, NULL, &fs[0]), 0);
    ck_assert_int_eq(weft_pool_submit(p, ret, NULL, &fs[1]), 0);
    ck_assert_int_eq(weft_future_cancel(fs[1]), 0);
    ck_assert_int_eq(
        weft_wait(fs, 2, WEFT_FIRST_COMPLETED, WEFT_DEADLINE_POLL, &nd), 0);
    ck_assert_uint_eq(nd, 1);
    atomic_store(&b.open, 1);
    weft_future_release(fs[0]);
    weft_future_release(fs[1]);
    weft_future_release(blk);
    weft_pool_destroy(p);
}
END_TEST

START_TEST(first_exception)
{
    weft_pool_t *p = make_pool(3);
    struct gated ok = {0}, bad = {.rc = -EIO}, slow = {0};
    struct opener o = {&bad, 20};
    weft_future_t *fs[3], *c;
    pthread_t t;
    size_t nd = 99;

    ck_assert_int_eq(weft_pool_submit(p, gated_fn, &ok, &fs[0]), 0);
    ck_assert_int_eq(weft_pool_submit(p, gated_fn, &bad, &fs[1]), 0);
    ck_assert_int_eq(weft_pool_submit(p, gated_fn, &slow, &fs[2]), 0);
    /* A success alone does not satisfy it. */
    atomic_store(&ok.open, 1);
    ck_assert_int_eq(weft_future_result(fs[0], WEFT_DEADLINE_NEVER, NULL), 0);
    ck_assert_int_eq(weft_wait(fs, 3, WEFT_FIRST_EXCEPTION,
                               weft_deadline_in(10 * WEFT_NS_PER_MS), &nd),
                     -ETIMEDOUT);
    ck_assert_uint_eq(nd, 1);
    /* The failure arrives while waiting: wakes although slow is pending. */
    ck_assert_int_eq(pthread_create(&t, NULL, opener_main, &o), 0);
    ck_assert_int_eq(
        weft_wait(fs, 3, WEFT_FIRST_EXCEPTION, WEFT_DEADLINE_NEVER, &nd), 0);
    ck_assert_uint_eq(nd, 2);
    ck_assert(!weft_future_done(fs[2]));
    pthread_join(t, NULL);
    /* One already failed: at once. */
    ck_assert_int_eq(
        weft_wait(fs, 3, WEFT_FIRST_EXCEPTION, WEFT_DEADLINE_POLL, &nd), 0);
    /* A cancelled future is not an exception (Python's rule). */
    ck_assert_int_eq(weft_pool_submit(p, ret, NULL, &c), 0);
    weft_future_cancel(c); /* may lose to a worker; then it succeeded */
    /* Either way it is done before the deadline starts: a worker that won
     * the race may still be running it. */
    (void)weft_future_result(c, WEFT_DEADLINE_NEVER, NULL);
    weft_future_t *two[2] = {c, fs[2]};
    ck_assert_int_eq(weft_wait(two, 2, WEFT_FIRST_EXCEPTION,
                               weft_deadline_in(10 * WEFT_NS_PER_MS), &nd),
                     -ETIMEDOUT);
    ck_assert_uint_eq(nd, 1);
    /* With no exception it waits for all. */
    atomic_store(&slow.open, 1);
    ck_assert_int_eq(
        weft_wait(two, 2, WEFT_FIRST_EXCEPTION, WEFT_DEADLINE_NEVER, &nd), 0);
    ck_assert_uint_eq(nd, 2);
    weft_future_release(c);
    for (int i = 0; i < 3; i++)
        weft_future_release(fs[i]);
    weft_pool_destroy(p);
}
END_TEST

START_TEST(all_completed)
{
    weft_pool_t *p = make_pool(2);
    struct gated g = {0};
    struct opener o = {&g, 20};
    weft_future_t *fs[4];
    pthread_t t;
    size_t nd = 0;

    done_now(p, 0, &fs[0]);
    done_now(p, -EIO, &fs[1]); /* failures do not stop ALL_COMPLETED */
    ck_assert_int_eq(weft_pool_submit(p, gated_fn, &g, &fs[2]), 0);
    fs[3] = fs[0]; /* a duplicate counts twice */
    ck_assert_int_eq(weft_wait(fs, 4, WEFT_ALL_COMPLETED,
                               weft_deadline_in(10 * WEFT_NS_PER_MS), &nd),
                     -ETIMEDOUT);
    ck_assert_uint_eq(nd, 3);
    ck_assert_int_eq(pthread_create(&t, NULL, opener_main, &o), 0);
    ck_assert_int_eq(
        weft_wait(fs, 4, WEFT_ALL_COMPLETED, WEFT_DEADLINE_NEVER, &nd), 0);
    ck_assert_uint_eq(nd, 4);
    pthread_join(t, NULL);
    for (int i = 0; i < 3; i++)
        weft_future_release(fs[i]);
    weft_pool_destroy(p);
}
END_TEST

/* A timed-out FIRST_* call leaves callbacks behind; they run after the
 * call returned and the caller dropped its references (ASan checks). */
START_TEST(record_outlives_timeout)
{
    weft_pool_t *p = make_pool(2);
    struct gated g = {0};
    weft_future_t *fs[8];
    size_t nd;

    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(weft_pool_submit(p, gated_fn, &g, &fs[i]), 0);
    ck_assert_int_eq(weft_wait(fs, 8, WEFT_FIRST_COMPLETED,
                               weft_deadline_in(WEFT_NS_PER_MS), &nd),
                     -ETIMEDOUT);
    ck_assert_int_eq(weft_wait(fs, 8, WEFT_FIRST_EXCEPTION,
                               weft_deadline_in(WEFT_NS_PER_MS), &nd),
                     -ETIMEDOUT);
    for (int i = 0; i < 8; i++)
        weft_future_release(fs[i]);
    atomic_store(&g.open, 1);
    weft_pool_destroy(p);
}
END_TEST

/* Inside a task of a 1-worker pool: children run inline, no deadlock. */
static int
parent(void *arg, void **res)
{
    int mode = (int)(long)arg;
    weft_pool_t *p = weft_pool_current();
    weft_future_t *fs[16];
    size_t nd = 0;
    int rc;

    for (int i = 0; i < 16; i++) {
        rc =
            weft_pool_submit(p, ret, (void *)(long)(i == 9 ? -EIO : 0), &fs[i]);
        if (rc != 0)
            return rc;
    }
    rc = weft_wait(fs, 16, mode, WEFT_DEADLINE_NEVER, &nd);
    for (int i = 0; i < 16; i++)
        weft_future_release(fs[i]);
    *res = (void *)nd;
    return rc;
}

START_TEST(inside_one_worker_pool)
{
    weft_pool_t *p = make_pool(1);
    void *r = NULL;

    ck_assert_int_eq(
        weft_pool_run(p, parent, (void *)(long)WEFT_ALL_COMPLETED, &r), 0);
    ck_assert_int_eq((long)r, 16);
    ck_assert_int_eq(
        weft_pool_run(p, parent, (void *)(long)WEFT_FIRST_COMPLETED, &r), 0);
    ck_assert_int_ge((long)r, 1);
    ck_assert_int_eq(
        weft_pool_run(p, parent, (void *)(long)WEFT_FIRST_EXCEPTION, &r), 0);
    ck_assert_int_ge((long)r, 10); /* 0..9 ran inline, 9 failed */
    weft_pool_destroy(p);
}
END_TEST

static Suite *
wait_suite(void)
{
    Suite *s = suite_create("wait");
    TCase *tc = tcase_create("wait");

    tcase_set_timeout(tc, 60 * weft_test_timeout_multiplier());
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, already_done);
    tcase_add_test(tc, first_completed);
    tcase_add_test(tc, first_completed_by_cancel);
    tcase_add_test(tc, first_exception);
    tcase_add_test(tc, all_completed);
    tcase_add_test(tc, record_outlives_timeout);
    tcase_add_test(tc, inside_one_worker_pool);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(wait_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
