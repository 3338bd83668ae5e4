/* SPDX-License-Identifier: MIT */
/*
 * test_shutdown.c - shutting a pool down with work in flight (issue
 * "Shutdown and fork"):
 * - destroy with tasks queued and running: every one runs exactly once;
 * - threads blocked in weft_future_result / weft_waitset_next / weft_wait
 *   on the pool's futures (tasks and a timer) when it shuts down: they
 *   return the result (drain) or -ECANCELED (cancel pending), never hang
 *   (joined with a deadline);
 * - a shutdown from a second thread while the first submits: each submit
 *   returns -ESHUTDOWN or its task completes; none is lost.
 */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <weft.h>

#include "weft_test.h"

static _Atomic int ran;

static int
count(void *arg, void **result)
{
    (void)arg;
    for (int i = 0; i < 10; i++)
        sched_yield();
    atomic_fetch_add(&ran, 1);
    *result = (void *)1;
    return 0;
}

static weft_pool_t *
mkpool(unsigned workers)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    weft_pool_t *p = NULL;

    o.workers = workers;
    ck_assert_int_eq(weft_pool_create(&o, &p), 0);
    return p;
}

/* Join t, failing (instead of hanging) after the hang guard. */
static void
join_guarded(pthread_t t)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(30 * weft_test_timeout_multiplier());
    ck_assert_msg(pthread_timedjoin_np(t, NULL, &ts) == 0,
                  "a waiter hung in a pool's shutdown");
}

START_TEST(destroy_with_work_in_flight)
{
    enum { N = 300 };
    weft_pool_t *p = mkpool(2);
    weft_future_t *f[N];
    void *res;

    atomic_store(&ran, 0);
    for (int i = 0; i < N; i++)
        ck_assert_int_eq(weft_pool_submit(p, count, NULL, &f[i]), 0);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
    ck_assert_int_eq(atomic_load(&ran), N);
    for (int i = 0; i < N; i++) {
        ck_assert(weft_future_done(f[i]));
        ck_assert_int_eq(weft_future_result(f[i], WEFT_DEADLINE_POLL, &res), 0);
        ck_assert_ptr_eq(res, (void *)1);
        weft_future_release(f[i]);
    }
}
END_TEST

/* ---- blocked waiters ------------------------------------------------- */

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

enum { W_RESULT, W_WAITSET, W_WAIT, W_TIMER, NW };

struct waiter {
    int kind;
    weft_future_t *f;
    int rc;  /* what the wait returned */
    int out; /* the future's own outcome, seen by the waiter */
    _Atomic int started;
};

static void *
waiter_main(void *arg)
{
    struct waiter *w = arg;
    weft_waitset_t *ws = NULL;
    weft_future_t *done = NULL;
    uintptr_t tag;
    size_t ndone = 0;

    atomic_store(&w->started, 1);
    switch (w->kind) {
    case W_RESULT:
    case W_TIMER:
        w->rc = weft_future_result(w->f, WEFT_DEADLINE_NEVER, NULL);
        w->out = w->rc;
        break;
    case W_WAITSET:
        w->rc = weft_waitset_create(NULL, &ws);
        if (w->rc == 0)
            w->rc = weft_waitset_add(ws, w->f, 7);
        if (w->rc == 0)
            w->rc = weft_waitset_next(ws, WEFT_DEADLINE_NEVER, &done, &tag);
        if (w->rc == 0) {
            w->out = weft_future_result(done, WEFT_DEADLINE_POLL, NULL);
            weft_future_release(done);
        }
        weft_waitset_destroy(ws);
        break;
    default:
        w->rc = weft_wait(&w->f, 1, WEFT_ALL_COMPLETED, WEFT_DEADLINE_NEVER,
                          &ndone);
        w->out = weft_future_result(w->f, WEFT_DEADLINE_POLL, NULL);
        break;
    }
    return NULL;
}

/* One worker busy with the blocker; the waiters' futures queue behind it
 * (and a timer an hour away). Shut down with `flags`. */
static void
blocked_waiters(unsigned flags)
{
    weft_pool_t *p = mkpool(1);
    weft_future_t *b = NULL;
    struct waiter w[NW] = {{0}};
    pthread_t th[NW];
    int expect = flags == WEFT_SHUTDOWN_CANCEL_PENDING ? -ECANCELED : 0;

    atomic_store(&blocker_in, 0);
    atomic_store(&blocker_go, 0);
    ck_assert_int_eq(weft_pool_submit(p, blocker, NULL, &b), 0);
    while (!atomic_load(&blocker_in))
        sched_yield();
    for (int i = 0; i < NW; i++) {
        w[i].kind = i;
        if (i == W_TIMER)
            ck_assert_int_eq(weft_pool_submit_after(p, 3600 * WEFT_NS_PER_SEC,
                                                    count, NULL, &w[i].f),
                             0);
        else
            ck_assert_int_eq(weft_pool_submit(p, count, NULL, &w[i].f), 0);
        ck_assert_int_eq(pthread_create(&th[i], NULL, waiter_main, &w[i]), 0);
    }
    for (int i = 0; i < NW; i++)
        while (!atomic_load(&w[i].started))
            sched_yield();
    if (flags == WEFT_SHUTDOWN_CANCEL_PENDING) {
        /* Cancels what is queued at once, before the blocker ends. */
        ck_assert_int_eq(weft_pool_shutdown(p, flags, WEFT_DEADLINE_POLL),
                         -ETIMEDOUT);
        for (int i = 0; i < NW; i++)
            join_guarded(th[i]);
        atomic_store(&blocker_go, 1);
    } else {
        atomic_store(&blocker_go, 1);
        ck_assert_int_eq(weft_pool_shutdown(p, flags, WEFT_DEADLINE_NEVER), 0);
        for (int i = 0; i < NW; i++)
            join_guarded(th[i]);
    }
    ck_assert_int_eq(weft_pool_destroy(p), 0);
    ck_assert_int_eq(w[W_RESULT].rc, expect);
    ck_assert_int_eq(w[W_WAITSET].rc, 0);
    ck_assert_int_eq(w[W_WAITSET].out, expect);
    ck_assert_int_eq(w[W_WAIT].rc, 0);
    ck_assert_int_eq(w[W_WAIT].out, expect);
    ck_assert_int_eq(w[W_TIMER].rc, -ECANCELED); /* never came due */
    for (int i = 0; i < NW; i++)
        weft_future_release(w[i].f);
    ck_assert_int_eq(weft_future_result(b, WEFT_DEADLINE_POLL, NULL), 0);
    weft_future_release(b);
}

START_TEST(waiters_drain)
{
    blocked_waiters(WEFT_SHUTDOWN_DRAIN);
}
END_TEST

START_TEST(waiters_cancel_pending)
{
    blocked_waiters(WEFT_SHUTDOWN_CANCEL_PENDING);
}
END_TEST

/* ---- shutdown racing a submitter ------------------------------------ */

enum { MAXF = 200000 };

struct submitter {
    weft_pool_t *pool;
    weft_future_t **f;
    _Atomic int n;
    int last_rc;
};

static void *
submitter_main(void *arg)
{
    struct submitter *s = arg;
    int rc = 0, n = 0;

    while (n < MAXF &&
           (rc = weft_pool_submit(s->pool, count, NULL, &s->f[n])) == 0)
        atomic_store(&s->n, ++n);
    s->last_rc = rc;
    return NULL;
}

static void
shutdown_races_submit(unsigned flags)
{
    struct submitter s = {.pool = mkpool(2)};
    pthread_t th;
    int ok = 0;

    atomic_store(&ran, 0);
    s.f = calloc(MAXF, sizeof(*s.f));
    ck_assert_ptr_nonnull(s.f);
    ck_assert_int_eq(pthread_create(&th, NULL, submitter_main, &s), 0);
    while (atomic_load(&s.n) < 100)
        sched_yield();
    ck_assert_int_eq(weft_pool_shutdown(s.pool, flags, WEFT_DEADLINE_NEVER), 0);
    join_guarded(th);
    ck_assert_int_eq(s.last_rc, -ESHUTDOWN);
    for (int i = 0; i < atomic_load(&s.n); i++) {
        int rc = weft_future_result(s.f[i], WEFT_DEADLINE_POLL, NULL);
        if (flags == WEFT_SHUTDOWN_DRAIN)
            ck_assert_int_eq(rc, 0);
        else
            ck_assert(rc == 0 || rc == -ECANCELED);
        ok += rc == 0;
        weft_future_release(s.f[i]);
    }
    ck_assert_int_eq(atomic_load(&ran), ok); /* each ran once, or not */
    ck_assert_int_eq(weft_pool_destroy(s.pool), 0);
    free(s.f);
}

START_TEST(shutdown_vs_submit_drain)
{
    shutdown_races_submit(WEFT_SHUTDOWN_DRAIN);
}
END_TEST

START_TEST(shutdown_vs_submit_cancel)
{
    shutdown_races_submit(WEFT_SHUTDOWN_CANCEL_PENDING);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("shutdown");
    TCase *tc = tcase_create("shutdown");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 120 * weft_test_timeout_multiplier());
    tcase_add_test(tc, destroy_with_work_in_flight);
    tcase_add_test(tc, waiters_drain);
    tcase_add_test(tc, waiters_cancel_pending);
    tcase_add_test(tc, shutdown_vs_submit_drain);
    tcase_add_test(tc, shutdown_vs_submit_cancel);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
