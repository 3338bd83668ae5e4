/* SPDX-License-Identifier: MIT */
/*
 * test_timer.c - weft_pool_submit_after / weft_pool_submit_every.
 * Ordering, deadlines, coalescing of missed periods and cancel-vs-fire run
 * on a fake clock (timer_int.h): the test moves it and ticks the timer
 * thread, so what fired is known exactly; a fired timer's queued job is
 * then awaited without a time bound (hang guards only). The real-clock
 * tests assert only lower bounds on time (a timer never fires early).
 */
#include <check.h>
#include <dirent.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <weft/future.h>
#include <weft/timer.h>
#include <weft/waitset.h>

#include "timer_int.h"
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

/* Threads of this process whose name starts with prefix. */
static int
threads_named(const char *prefix)
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
            strncmp(comm, prefix, strlen(prefix)) == 0)
            n++;
        fclose(f);
    }
    closedir(d);
    return n;
}

/* Many timers, half cancelled: every one ends exactly once, and one
 * timer thread serves them all (no helper pools or threads). */
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
    ck_assert_int_eq(threads_named("weft-timer"), 1);
    ck_assert_int_eq(threads_named("weft-"), 1); /* the pool's are gone */
    ck_assert_uint_eq(weft_timers_armed(), 0);
}
END_TEST

/* ---- fake clock ---------------------------------------------------------- */

#define T0 (1000 * WEFT_NS_PER_SEC) /* the fake clock's start */

static _Atomic uint64_t fake_ns;

static uint64_t
fake_clock(void)
{
    /* relaxed: one test thread moves it; tick orders it for the timer
     * thread, and fn reads only a snapshot. */
    return atomic_load_explicit(&fake_ns, memory_order_relaxed);
}

static void
fake_setup(void)
{
    atomic_store(&fake_ns, T0);
    weft__timer_clock_set(fake_clock);
}

static void
fake_teardown(void)
{
    weft__timer_clock_set(NULL);
}

/* Move the fake clock to T0 + at and fire what is due by then. */
static void
fake_at(uint64_t at)
{
    atomic_store(&fake_ns, T0 + at);
    weft__timer_tick();
}

/* Wait (no time bound but the hang guard) for a condition that a queued
 * job makes true. */
#define AWAIT(cond)                                                         \
    do {                                                                    \
        uint64_t dl_ = weft_deadline_in(30 * WEFT_NS_PER_SEC *              \
                                        weft_test_timeout_multiplier());    \
        while (!(cond) && weft_now_ns() < dl_)                              \
            sched_yield();                                                  \
        ck_assert_msg(cond, "still false after the hang guard: %s", #cond); \
    } while (0)

struct frun {
    _Atomic int runs;
    _Atomic uint64_t at[8]; /* the fake time of each run */
    int fail_at;            /* run that returns -EPIPE; 0: never */
};

static int
frun_fn(void *arg, void **result)
{
    struct frun *r = arg;
    int k = atomic_fetch_add_explicit(&r->runs, 1, memory_order_relaxed);

    if (k < 8)
        atomic_store_explicit(&r->at[k], fake_clock(), memory_order_relaxed);
    *result = r;
    return k + 1 == r->fail_at ? -EPIPE : 0;
}

/* One worker kept busy by a task until released: fired jobs queue. */
static _Atomic int blocker_in, blocker_go;

static int
blocker(void *arg, void **result)
{
    (void)arg;
    (void)result;
    atomic_store(&blocker_in, 1);
    while (!atomic_load(&blocker_go))
        sched_yield();
    return 0;
}

static weft_future_t *
block_worker(weft_pool_t *p)
{
    weft_future_t *b = NULL;

    atomic_store(&blocker_in, 0);
    atomic_store(&blocker_go, 0);
    ck_assert_int_eq(weft_pool_submit(p, blocker, NULL, &b), 0);
    AWAIT(atomic_load(&blocker_in));
    return b;
}

static void
unblock_worker(weft_future_t *b)
{
    atomic_store(&blocker_go, 1);
    ck_assert_int_eq(weft_future_result(b, LONG, NULL), 0);
    weft_future_release(b);
}

/* Timers fire in deadline order, each exactly at its due time. */
static _Atomic int order_next;

static int
order_fn(void *arg, void **result)
{
    (void)result;
    *(int *)arg =
        atomic_fetch_add_explicit(&order_next, 1, memory_order_relaxed);
    return 0;
}

START_TEST(fake_order)
{
    weft_pool_t *p = mkpool(1);
    int pos[3] = {-1, -1, -1};
    const uint64_t d[3] = {30 * MS, 10 * MS, 20 * MS};
    weft_future_t *f[3];

    atomic_store(&order_next, 0);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(
            weft_pool_submit_after(p, d[i], order_fn, &pos[i], &f[i]), 0);
    ck_assert_uint_eq(weft_timers_armed(), 3);
    fake_at(10 * MS - 1);
    ck_assert_uint_eq(weft_timers_armed(), 3);
    fake_at(10 * MS);
    ck_assert_uint_eq(weft_timers_armed(), 2);
    ck_assert_int_eq(weft_future_result(f[1], LONG, NULL), 0);
    ck_assert_int_eq(weft_future_result(f[0], WEFT_DEADLINE_POLL, NULL),
                     -ETIMEDOUT);
    ck_assert_int_eq(weft_future_result(f[2], WEFT_DEADLINE_POLL, NULL),
                     -ETIMEDOUT);
    fake_at(30 * MS); /* both in one batch: still in deadline order */
    ck_assert_uint_eq(weft_timers_armed(), 0);
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

/* Before its due time a timer's future is pending and in no queue: a wait
 * from a worker (which runs pending futures inline) does not run it. */
struct early_wait {
    weft_future_t *f;
    int rc;
};

static int
wait_poll(void *arg, void **result)
{
    struct early_wait *w = arg;

    (void)result;
    w->rc = weft_future_result(w->f, WEFT_DEADLINE_POLL, NULL);
    return 0;
}

START_TEST(fake_never_early)
{
    weft_pool_t *p = mkpool(1);
    struct frun r = {0};
    struct early_wait w = {0};
    weft_future_t *f = NULL, *g = NULL;

    ck_assert_int_eq(weft_pool_submit_after(p, 100 * MS, frun_fn, &r, &f), 0);
    fake_at(100 * MS - 1);
    ck_assert_uint_eq(weft_timers_armed(), 1);
    w.f = f;
    w.rc = 1;
    ck_assert_int_eq(weft_pool_submit(p, wait_poll, &w, &g), 0);
    ck_assert_int_eq(weft_future_result(g, LONG, NULL), 0);
    weft_future_release(g);
    ck_assert_int_eq(w.rc, -ETIMEDOUT);
    ck_assert(!weft_future_running(f) && !weft_future_done(f));
    ck_assert_int_eq(atomic_load(&r.runs), 0);
    fake_at(100 * MS);
    ck_assert_int_eq(weft_future_result(f, LONG, NULL), 0);
    ck_assert_int_eq(atomic_load(&r.runs), 1);
    ck_assert_uint_eq(atomic_load(&r.at[0]), T0 + 100 * MS);
    weft_future_release(f);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

/* Cancelled before the fire: disarmed at once, never runs. */
START_TEST(fake_cancel_before_fire)
{
    weft_pool_t *p = mkpool(1);
    struct frun r = {0};
    weft_future_t *f = NULL;

    ck_assert_int_eq(weft_pool_submit_after(p, 10 * MS, frun_fn, &r, &f), 0);
    ck_assert_int_eq(weft_future_cancel(f), 0);
    ck_assert_uint_eq(weft_timers_armed(), 0);
    ck_assert_int_eq(weft_future_result(f, WEFT_DEADLINE_POLL, NULL),
                     -ECANCELED);
    fake_at(20 * MS);
    ck_assert_int_eq(weft_pool_destroy(p), 0); /* drains everything */
    ck_assert_int_eq(atomic_load(&r.runs), 0);
    weft_future_release(f);
}
END_TEST

/* Fired and queued but not started: cancel still wins (0) and fn never
 * runs; once fn ran, cancel is -EBUSY. */
START_TEST(fake_cancel_vs_fire)
{
    weft_pool_t *p = mkpool(1);
    struct frun r = {0};
    weft_future_t *f = NULL, *g = NULL, *b = block_worker(p);

    ck_assert_int_eq(weft_pool_submit_after(p, 10 * MS, frun_fn, &r, &f), 0);
    ck_assert_int_eq(weft_pool_submit_after(p, 10 * MS, frun_fn, &r, &g), 0);
    fake_at(10 * MS);
    ck_assert_uint_eq(weft_timers_armed(), 0); /* both fired, queued */
    ck_assert_int_eq(weft_future_cancel(f), 0);
    unblock_worker(b);
    ck_assert_int_eq(weft_future_result(g, LONG, NULL), 0);
    ck_assert_int_eq(weft_future_cancel(g), -EBUSY);
    ck_assert_int_eq(weft_future_result(f, LONG, NULL), -ECANCELED);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
    ck_assert_int_eq(atomic_load(&r.runs), 1);
    weft_future_release(f);
    weft_future_release(g);
}
END_TEST

/* Fixed rate; missed periods coalesce into one run, and the schedule
 * keeps its phase (start + k * period). */
START_TEST(fake_every_coalesces)
{
    weft_pool_t *p = mkpool(1);
    struct frun r = {0};
    weft_future_t *f = NULL;

    ck_assert_int_eq(weft_pool_submit_every(p, 10 * MS, frun_fn, &r, &f), 0);
    fake_at(10 * MS - 1);
    ck_assert_uint_eq(weft_timers_armed(), 1);
    fake_at(10 * MS);
    AWAIT(atomic_load(&r.runs) == 1 && weft_timers_armed() == 1);
    /* Five periods missed: one run now, the next at 70 ms. */
    fake_at(63 * MS);
    AWAIT(atomic_load(&r.runs) == 2 && weft_timers_armed() == 1);
    fake_at(70 * MS - 1);
    ck_assert_uint_eq(weft_timers_armed(), 1); /* nothing fired */
    ck_assert_int_eq(atomic_load(&r.runs), 2);
    fake_at(70 * MS);
    AWAIT(atomic_load(&r.runs) == 3 && weft_timers_armed() == 1);
    ck_assert_uint_eq(atomic_load(&r.at[0]), T0 + 10 * MS);
    ck_assert_uint_eq(atomic_load(&r.at[1]), T0 + 63 * MS);
    ck_assert_uint_eq(atomic_load(&r.at[2]), T0 + 70 * MS);
    ck_assert(!weft_future_done(f));
    ck_assert_int_eq(weft_future_cancel(f), 0);
    ck_assert_uint_eq(weft_timers_armed(), 0);
    ck_assert_int_eq(weft_future_result(f, LONG, NULL), -ECANCELED);
    weft_future_release(f);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
}
END_TEST

/* Cancelled between runs: no later run, however far the clock goes. */
START_TEST(fake_every_cancel)
{
    weft_pool_t *p = mkpool(1);
    struct frun r = {0};
    weft_future_t *f = NULL;

    ck_assert_int_eq(weft_pool_submit_every(p, 10 * MS, frun_fn, &r, &f), 0);
    fake_at(10 * MS);
    AWAIT(atomic_load(&r.runs) == 1 && weft_timers_armed() == 1);
    ck_assert_int_eq(weft_future_cancel(f), 0);
    ck_assert_uint_eq(weft_timers_armed(), 0);
    fake_at(100 * MS);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
    ck_assert_int_eq(atomic_load(&r.runs), 1);
    ck_assert_int_eq(weft_future_result(f, LONG, NULL), -ECANCELED);
    weft_future_release(f);
}
END_TEST

/* A run fired (queued) when the cancel comes does not start. */
START_TEST(fake_every_cancel_vs_fire)
{
    weft_pool_t *p = mkpool(1);
    struct frun r = {0};
    weft_future_t *f = NULL, *b = block_worker(p);

    ck_assert_int_eq(weft_pool_submit_every(p, 10 * MS, frun_fn, &r, &f), 0);
    fake_at(10 * MS);
    ck_assert_uint_eq(weft_timers_armed(), 0); /* the run is queued */
    ck_assert_int_eq(weft_future_cancel(f), 0);
    unblock_worker(b);
    ck_assert_int_eq(weft_pool_destroy(p), 0); /* the run job ran */
    ck_assert_int_eq(atomic_load(&r.runs), 0);
    ck_assert_uint_eq(weft_timers_armed(), 0);
    ck_assert_int_eq(weft_future_result(f, LONG, NULL), -ECANCELED);
    weft_future_release(f);
}
END_TEST

/* A failing run ends the timer with its code and result. */
START_TEST(fake_every_error)
{
    weft_pool_t *p = mkpool(1);
    struct frun r = {.fail_at = 2};
    weft_future_t *f = NULL;
    void *res = NULL;

    ck_assert_int_eq(weft_pool_submit_every(p, 10 * MS, frun_fn, &r, &f), 0);
    fake_at(10 * MS);
    AWAIT(atomic_load(&r.runs) == 1 && weft_timers_armed() == 1);
    fake_at(20 * MS);
    ck_assert_int_eq(weft_future_result(f, LONG, &res), -EPIPE);
    ck_assert_ptr_eq(res, &r);
    ck_assert_int_eq(weft_future_cancel(f), -EBUSY);
    ck_assert_uint_eq(weft_timers_armed(), 0);
    fake_at(100 * MS);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
    ck_assert_int_eq(atomic_load(&r.runs), 2);
    weft_future_release(f);
}
END_TEST

/* Shutting a pool down completes its armed timers as cancelled before it
 * returns, and refuses new ones; other pools' timers stay armed. */
START_TEST(fake_pool_shutdown)
{
    weft_pool_t *p = mkpool(1), *q = mkpool(1);
    struct frun r = {0};
    weft_future_t *f = NULL, *g = NULL, *h = NULL, *x = NULL;

    ck_assert_int_eq(weft_pool_submit_after(p, 10 * MS, frun_fn, &r, &f), 0);
    ck_assert_int_eq(weft_pool_submit_every(p, 10 * MS, frun_fn, &r, &g), 0);
    ck_assert_int_eq(weft_pool_submit_after(q, 10 * MS, frun_fn, &r, &h), 0);
    ck_assert_int_eq(
        weft_pool_shutdown(p, WEFT_SHUTDOWN_DRAIN, WEFT_DEADLINE_NEVER), 0);
    ck_assert(weft_future_done(f) && weft_future_done(g));
    ck_assert_int_eq(weft_future_result(f, WEFT_DEADLINE_POLL, NULL),
                     -ECANCELED);
    ck_assert_int_eq(weft_future_result(g, WEFT_DEADLINE_POLL, NULL),
                     -ECANCELED);
    ck_assert_int_eq(weft_pool_submit_after(p, MS, frun_fn, &r, &x),
                     -ESHUTDOWN);
    ck_assert_uint_eq(weft_timers_armed(), 1);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
    fake_at(10 * MS);
    ck_assert_int_eq(weft_future_result(h, LONG, NULL), 0);
    ck_assert_int_eq(atomic_load(&r.runs), 1);
    ck_assert_int_eq(weft_pool_destroy(q), 0);
    weft_future_release(f);
    weft_future_release(g);
    weft_future_release(h);
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
    tcase_add_test(tc, test_future_integration);
    tcase_add_test(tc, test_many);
    suite_add_tcase(s, tc);
    tc = tcase_create("fake_clock");
    tcase_set_timeout(tc, 60 * weft_test_timeout_multiplier());
    tcase_add_checked_fixture(tc, fake_setup, fake_teardown);
    tcase_add_test(tc, fake_order);
    tcase_add_test(tc, fake_never_early);
    tcase_add_test(tc, fake_cancel_before_fire);
    tcase_add_test(tc, fake_cancel_vs_fire);
    tcase_add_test(tc, fake_every_coalesces);
    tcase_add_test(tc, fake_every_cancel);
    tcase_add_test(tc, fake_every_cancel_vs_fire);
    tcase_add_test(tc, fake_every_error);
    tcase_add_test(tc, fake_pool_shutdown);
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
