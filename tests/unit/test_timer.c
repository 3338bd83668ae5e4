/* SPDX-License-Identifier: MIT */
/*
 * test_timer.c - weft_pool_submit_after / weft_pool_submit_every.
 * Only lower bounds on time are asserted (a timer never fires early);
 * upper bounds would be flaky on 2 shared cores. Coalescing is checked by
 * counting runs, which a slow machine can only lower.
 */
#include <check.h>
#include <dirent.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <weft/future.h>
#include <weft/timer.h>
#include <weft/waitset.h>

#include "weft_test.h"

#define MS   WEFT_NS_PER_MS
#define LONG weft_deadline_in(30 * WEFT_NS_PER_SEC)

static weft_pool_t *
mkpool(unsigned workers)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    weft_pool_t *p = NULL;

    o.workers = workers;
    ck_assert_int_eq(weft_pool_create(&o, &p), 0);
    return p;
}

struct stamp {
    _Atomic uint64_t at;
    _Atomic int runs;
    int rc;
};

static int
stamp_fn(void *arg, void **result)
{
    struct stamp *s = arg;

    atomic_store_explicit(&s->at, weft_now_ns(), memory_order_relaxed);
    atomic_fetch_add_explicit(&s->runs, 1, memory_order_relaxed);
    *result = s;
    return s->rc;
}

START_TEST(test_args)
{
    weft_pool_t *p = mkpool(1);
    weft_future_t *f = NULL;
    struct stamp s = {0};

    ck_assert_int_eq(weft_pool_submit_after(NULL, 1, stamp_fn, &s, &f),
                     -EINVAL);
    ck_assert_int_eq(weft_pool_submit_after(p, 1, NULL, &s, &f), -EINVAL);
    ck_assert_int_eq(weft_pool_submit_after(p, 1, stamp_fn, &s, NULL), -EINVAL);
    ck_assert_int_eq(weft_pool_submit_after(p, UINT64_MAX, stamp_fn, &s, &f),
                     -EINVAL);
    ck_assert_int_eq(weft_pool_submit_every(p, 0, stamp_fn, &s, &f), -EINVAL);
    ck_assert_int_eq(weft_pool_submit_every(NULL, MS, stamp_fn, &s, &f),
                     -EINVAL);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

/* A one-shot timer runs once, not before its delay, with fn's result. */
START_TEST(test_after_runs_once)
{
    weft_pool_t *p = mkpool(2);
    struct stamp s = {.rc = 0};
    weft_future_t *f = NULL;
    void *res = NULL;
    uint64_t t0 = weft_now_ns();

    ck_assert_int_eq(weft_pool_submit_after(p, 20 * MS, stamp_fn, &s, &f), 0);
    ck_assert(!weft_future_done(f));
    ck_assert_int_eq(weft_future_result(f, LONG, &res), 0);
    ck_assert_ptr_eq(res, &s);
    ck_assert_int_eq(atomic_load(&s.runs), 1);
    ck_assert_uint_ge(atomic_load(&s.at) - t0, 20 * MS);
    ck_assert_int_eq(weft_future_cancel(f), -EBUSY);
    weft_future_release(f);
    /* An error is the future's result. */
    s.rc = -EIO;
    ck_assert_int_eq(weft_pool_submit_after(p, 0, stamp_fn, &s, &f), 0);
    ck_assert_int_eq(weft_future_result(f, LONG, NULL), -EIO);
    weft_future_release(f);
    ck_assert_int_eq(atomic_load(&s.runs), 2);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

/* Cancelled before the fire: never runs, completes as cancelled, and is
 * disarmed at once. */
START_TEST(test_after_cancel)
{
    weft_pool_t *p = mkpool(1);
    struct stamp s = {0};
    weft_future_t *f = NULL, *g = NULL;
    size_t before = weft_timers_armed();

    ck_assert_int_eq(weft_pool_submit_after(p, 10 * MS, stamp_fn, &s, &f), 0);
    ck_assert_int_eq(
        weft_pool_submit_after(p, 3600 * WEFT_NS_PER_SEC, stamp_fn, &s, &g), 0);
    ck_assert_uint_eq(weft_timers_armed(), before + 2);
    ck_assert_int_eq(weft_future_cancel(f), 0);
    ck_assert_int_eq(weft_future_cancel(g), 0);
    ck_assert_uint_eq(weft_timers_armed(), before);
    ck_assert(weft_future_cancelled(f));
    ck_assert_int_eq(weft_future_result(f, LONG, NULL), -ECANCELED);
    ck_assert_int_eq(weft_future_result(g, LONG, NULL), -ECANCELED);
    /* Well past the first deadline: still nothing ran. */
    struct timespec ts = {0, 30 * 1000 * 1000};
    nanosleep(&ts, NULL);
    ck_assert_int_eq(atomic_load(&s.runs), 0);
    weft_future_release(f);
    weft_future_release(g);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

/* Deadline order: with one worker, fn runs in the order of deadlines,
 * not of submission. */
static _Atomic int order_next;

static int
order_fn(void *arg, void **result)
{
    (void)result;
    *(int *)arg =
        atomic_fetch_add_explicit(&order_next, 1, memory_order_relaxed);
    return 0;
}

START_TEST(test_after_order)
{
    weft_pool_t *p = mkpool(1);
    int pos[3] = {-1, -1, -1};
    const uint64_t d[3] = {30 * MS, 10 * MS, 20 * MS};
    weft_future_t *f[3];

    atomic_store(&order_next, 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(
            weft_pool_submit_after(p, d[i], order_fn, &pos[i], &f[i]), 0);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(weft_future_result(f[i], LONG, NULL), 0);
        weft_future_release(f[i]);
    }
    ck_assert_int_eq(pos[1], 0);
    ck_assert_int_eq(pos[2], 1);
    ck_assert_int_eq(pos[0], 2);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

/* Periodic: runs repeatedly, never before start + k * period; the
 * future completes only when cancelled, and no run starts after that. */
struct per {
    _Atomic int runs;
    int fail_at; /* run number that returns an error; 0: never */
    uint64_t t0, period;
    _Atomic int early;
    _Atomic uint64_t slow_until; /* first run sleeps this long */
};

static int
per_fn(void *arg, void **result)
{
    struct per *pp = arg;
    int k = atomic_fetch_add_explicit(&pp->runs, 1, memory_order_relaxed) + 1;
    uint64_t now = weft_now_ns();

    if (now < pp->t0 + (uint64_t)k * pp->period)
        atomic_store_explicit(&pp->early, 1, memory_order_relaxed);
    (void)result;
    if (k == pp->fail_at) {
        *result = pp;
        return -EPIPE;
    }
    return 0;
}

START_TEST(test_every_cancel)
{
    weft_pool_t *p = mkpool(2);
    struct per pp = {.period = 2 * MS};
    weft_future_t *f = NULL;
    int runs;

    pp.t0 = weft_now_ns();
    ck_assert_int_eq(weft_pool_submit_every(p, pp.period, per_fn, &pp, &f), 0);
    while (atomic_load(&pp.runs) < 5)
        ck_assert_int_eq(weft_future_result(f, weft_deadline_in(MS), NULL),
                         -ETIMEDOUT);
    ck_assert(!weft_future_done(f));
    ck_assert_int_eq(weft_future_cancel(f), 0);
    ck_assert_int_eq(weft_future_result(f, LONG, NULL), -ECANCELED);
    /* A run already under way may finish; none starts later. Give the
     * pool time to (wrongly) start more, then compare. */
    runs = atomic_load(&pp.runs);
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
    ck_assert_int_le(atomic_load(&pp.runs), runs + 1);
    ck_assert_int_eq(atomic_load(&pp.early), 0);
    weft_future_release(f);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

/* A run that fails ends the timer with its code and result. */
START_TEST(test_every_error)
{
    weft_pool_t *p = mkpool(1);
    struct per pp = {.period = 1 * MS, .fail_at = 3};
    weft_future_t *f = NULL;
    void *res = NULL;

    pp.t0 = weft_now_ns();
    ck_assert_int_eq(weft_pool_submit_every(p, pp.period, per_fn, &pp, &f), 0);
    ck_assert_int_eq(weft_future_result(f, LONG, &res), -EPIPE);
    ck_assert_ptr_eq(res, &pp);
    ck_assert_int_eq(atomic_load(&pp.runs), 3);
    ck_assert_int_eq(weft_future_cancel(f), -EBUSY);
    struct timespec ts = {0, 10 * 1000 * 1000};
    nanosleep(&ts, NULL);
    ck_assert_int_eq(atomic_load(&pp.runs), 3);
    weft_future_release(f);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

/* Missed periods are coalesced: after a run that takes 30 periods, the
 * next runs are not a burst of catch-ups. Counting runs whose start is
 * within one period of the slow run's end: a burst gives ~30, coalescing
 * at most 2. A slower machine only makes fewer runs. */
struct slow {
    _Atomic int runs;
    _Atomic uint64_t slow_end;
    _Atomic int near;
};

static int
slow_fn(void *arg, void **result)
{
    struct slow *s = arg;
    int k = atomic_fetch_add_explicit(&s->runs, 1, memory_order_relaxed);
    uint64_t now = weft_now_ns();

    (void)result;
    if (k == 0) {
        struct timespec ts = {0, 60 * 1000 * 1000}; /* 30 periods of 2 ms */
        nanosleep(&ts, NULL);
        atomic_store_explicit(&s->slow_end, weft_now_ns(),
                              memory_order_relaxed);
    } else if (now - atomic_load_explicit(&s->slow_end, memory_order_relaxed) <
               2 * MS) {
        atomic_fetch_add_explicit(&s->near, 1, memory_order_relaxed);
    }
    return 0;
}

START_TEST(test_every_coalesces)
{
    weft_pool_t *p = mkpool(2);
    struct slow s = {0};
    weft_future_t *f = NULL;

    ck_assert_int_eq(weft_pool_submit_every(p, 2 * MS, slow_fn, &s, &f), 0);
    while (atomic_load(&s.runs) < 6)
        (void)weft_future_result(f, weft_deadline_in(MS), NULL);
    ck_assert_int_eq(weft_future_cancel(f), 0);
    ck_assert_int_le(atomic_load(&s.near), 2);
    weft_future_release(f);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

/* The future works with waitsets and on_done like any other. */
static void
on_done_cb(weft_future_t *f, void *ctx)
{
    (void)f;
    atomic_fetch_add_explicit((_Atomic int *)ctx, 1, memory_order_relaxed);
}

START_TEST(test_future_integration)
{
    weft_pool_t *p = mkpool(2);
    weft_waitset_t *ws = NULL;
    struct stamp s = {0};
    weft_future_t *f[3], *done;
    _Atomic int cbs = 0;
    uintptr_t tag;
    int seen = 0;

    ck_assert_int_eq(weft_waitset_create(NULL, &ws), 0);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(weft_pool_submit_after(p, (uint64_t)(3 - i) * MS,
                                                stamp_fn, &s, &f[i]),
                         0);
        ck_assert_int_eq(weft_future_on_done(f[i], on_done_cb, &cbs), 0);
        ck_assert_int_eq(weft_waitset_add(ws, f[i], (uintptr_t)i), 0);
    }
    ck_assert_int_eq(weft_future_cancel(f[1]), 0);
    while (weft_waitset_next(ws, LONG, &done, &tag) == 0) {
        seen |= 1 << tag;
        weft_future_release(done); /* next() hands out a reference */
    }
    ck_assert_int_eq(seen, 7);
    ck_assert_int_eq(atomic_load(&cbs), 3);
    ck_assert_int_eq(atomic_load(&s.runs), 2);
    for (int i = 0; i < 3; i++)
        weft_future_release(f[i]);
    weft_waitset_destroy(ws);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

/* Threads of this process named weft-tgate-* (the timer gates). */
static int
gate_threads(void)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;
    int n = 0;

    ck_assert_ptr_nonnull(d);
    while ((e = readdir(d)) != NULL) {
        char path[300], comm[32] = {0};
        FILE *f;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
        f = fopen(path, "r");
        if (f == NULL)
            continue; /* exited meanwhile */
        if (fgets(comm, sizeof(comm), f) != NULL &&
            strncmp(comm, "weft-tgate-", 11) == 0)
            n++;
        fclose(f);
    }
    closedir(d);
    return n;
}

/* Many timers (more than one gate's worth, so gates retire and are
 * reclaimed), half cancelled: every one ends exactly once. */
START_TEST(test_many)
{
    enum { N = 3000 };
    weft_pool_t *p = mkpool(2);
    static weft_future_t *f[N];
    struct stamp s = {0};
    int cancelled = 0;

    for (int i = 0; i < N; i++)
        ck_assert_int_eq(weft_pool_submit_after(p, (uint64_t)(i % 7) * MS,
                                                stamp_fn, &s, &f[i]),
                         0);
    for (int i = 0; i < N; i += 2)
        cancelled += weft_future_cancel(f[i]) == 0;
    for (int i = 0; i < N; i++) {
        int rc = weft_future_result(f[i], LONG, NULL);
        ck_assert(rc == 0 || rc == -ECANCELED);
        weft_future_release(f[i]);
    }
    ck_assert_int_eq(atomic_load(&s.runs), N - cancelled);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
    /* The retired gates are reclaimed (their threads exit): at most the
     * active one stays. */
    uint64_t dl = weft_now_ns() + 20 * WEFT_NS_PER_SEC;
    while (gate_threads() > 1 && weft_now_ns() < dl)
        nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
    ck_assert_int_le(gate_threads(), 1);
}
END_TEST

static Suite *
timer_suite(void)
{
    Suite *s = suite_create("timer");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60 * weft_test_timeout_multiplier());
    tcase_add_test(tc, test_args);
    tcase_add_test(tc, test_after_runs_once);
    tcase_add_test(tc, test_after_cancel);
    tcase_add_test(tc, test_after_order);
    tcase_add_test(tc, test_every_cancel);
    tcase_add_test(tc, test_every_error);
    tcase_add_test(tc, test_every_coalesces);
    tcase_add_test(tc, test_future_integration);
    tcase_add_test(tc, test_many);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(timer_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
