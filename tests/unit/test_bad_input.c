/* SPDX-License-Identifier: MIT */
/*
 * test_bad_input - the bad-input contract of every public function.
 *
 * One test per header of include/weft/; each is a table of CASE lines: a
 * call with a NULL pointer, a zero or huge size or count, a past or POLL
 * deadline, an unknown flag or mode, a use after shutdown or a detectable
 * double release, and the code the header documents for it. A case must
 * return exactly that code (and must not crash: Check forks per test, and
 * the asan preset runs this under ASan and UBSan). Each test prints how
 * many cases it ran; tests/README.md has the totals.
 */
#include <check.h>
#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <weft.h>

/* One row: expr must equal want. */
#define CASE(expr, want)                                                 \
    do {                                                                 \
        long long got_ = (long long)(expr);                              \
        ck_assert_msg(got_ == (long long)(want), "%s = %lld, want %lld", \
                      #expr, got_, (long long)(want));                   \
        ncases++;                                                        \
    } while (0)
/* A row whose result depends on timing: expr must be one of two codes. */
#define CASE2(expr, a, b)                                               \
    do {                                                                \
        long long got_ = (long long)(expr);                             \
        ck_assert_msg(got_ == (long long)(a) || got_ == (long long)(b), \
                      "%s = %lld, want %lld or %lld", #expr, got_,      \
                      (long long)(a), (long long)(b));                  \
        ncases++;                                                       \
    } while (0)

static int ncases;

static void
done_header(const char *h)
{
    printf("bad_input %-12s %3d cases\n", h, ncases);
    fflush(stdout);
}

/* A deadline long past (POLL is 0; this is 1 ns after boot). */
#define PAST ((weft_deadline_t)1)

static weft_pool_t *
pool_new(unsigned workers)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    weft_pool_t *p = NULL;

    o.workers = workers;
    ck_assert_int_eq(weft_pool_create(&o, &p), 0);
    return p;
}

static int
nop(void *arg, void **res)
{
    *res = arg;
    return 0;
}

static struct weft_event gate;

static int
gated(void *arg, void **res)
{
    *res = arg;
    return weft_event_wait(&gate, WEFT_DEADLINE_NEVER);
}

static void
nop_cb(weft_future_t *f, void *ctx)
{
    (void)f;
    (void)ctx;
}

static int
range_nop(void *ctx, size_t b, size_t e)
{
    (void)ctx;
    (void)b;
    (void)e;
    return 0;
}

START_TEST(common_h)
{
    CASE(weft_strerror(0) != NULL, 1);
    CASE(weft_strerror(-EINVAL) != NULL, 1);
    CASE(weft_strerror(EINVAL) != NULL, 1);
    CASE(weft_strerror(-2147483647 - 1) != NULL, 1);
    CASE(weft_strerror(123456) != NULL, 1);
    CASE(weft_now_ns() > 0, 1);
    CASE(weft_deadline_in(UINT64_MAX) == WEFT_DEADLINE_NEVER, 1);
    CASE(weft_deadline_in(UINT64_MAX - 1) == WEFT_DEADLINE_NEVER, 1);
    CASE(weft_deadline_in(0) != WEFT_DEADLINE_POLL, 1);
    done_header("common.h");
}
END_TEST

/* Runs inside a task: the calls that need a worker. */
static int
pool_in_task(void *arg, void **res)
{
    weft_task_t t;
    int *n = arg;

    (void)res;
    memset(&t, 0, sizeof(t));
    ck_assert_int_eq(weft_sync(&t, NULL), -EINVAL); /* never spawned */
    ck_assert_int_eq(weft_spawn(&t, nop, NULL), 0);
    ck_assert_int_eq(weft_sync(&t, NULL), 0);
    ck_assert_int_eq(weft_sync(&t, NULL), -EINVAL); /* synced twice */
    ck_assert_int_eq(weft_spawn(NULL, nop, NULL), -EINVAL);
    ck_assert_int_eq(weft_spawn(&t, NULL, NULL), -EINVAL);
    ck_assert_int_eq(weft_sync(NULL, NULL), -EINVAL);
    ck_assert_int_eq(weft_pool_destroy(weft_pool_current()), -EDEADLK);
    ck_assert_int_eq(weft_pool_shutdown(weft_pool_current(),
                                        WEFT_SHUTDOWN_DRAIN,
                                        WEFT_DEADLINE_NEVER),
                     -EDEADLK);
    ck_assert_int_ge(weft_worker_index(), 0);
    *n += 9;
    return 0;
}

START_TEST(pool_h)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    weft_pool_t *p = (weft_pool_t *)0x1;
    weft_task_t t;
    void *r = (void *)0x1;
    int n = 0;

    CASE(weft_pool_create(NULL, NULL), -EINVAL);
    CASE(weft_pool_create(&o, NULL), -EINVAL);
    o.size = 0;
    CASE(weft_pool_create(&o, &p), -EINVAL);
    o.size = offsetof(struct weft_pool_opts, name); /* not even v1 */
    CASE(weft_pool_create(&o, &p), -EINVAL);
    o.size = sizeof(o);
    o.workers = WEFT_POOL_MAX_WORKERS + 1;
    CASE(weft_pool_create(&o, &p), -EINVAL);
    o.workers = UINT32_MAX;
    CASE(weft_pool_create(&o, &p), -EINVAL);
    o.workers = 1;
    o.victim = 3;
    CASE(weft_pool_create(&o, &p), -EINVAL);
    o.victim = 0;
    o.steal = 2;
    CASE(weft_pool_create(&o, &p), -EINVAL);
    o.steal = 0;
    o.order = 99;
    CASE(weft_pool_create(&o, &p), -EINVAL);
    o.order = 0;
    o.idle = WEFT_IDLE_SPIN + 1;
    CASE(weft_pool_create(&o, &p), -EINVAL);
    o.idle = WEFT_IDLE_SPIN;
    o.idle_spin_ns = (uint64_t)WEFT_IDLE_SPIN_MAX_NS + 1;
    CASE(weft_pool_create(&o, &p), -EINVAL);
    o.idle = 0;
    o.idle_spin_ns = 0;
    CASE(weft_pool_destroy(NULL), -EINVAL);
    CASE(weft_pool_shutdown(NULL, WEFT_SHUTDOWN_DRAIN, WEFT_DEADLINE_NEVER),
         -EINVAL);
    CASE(weft_pool_workers(NULL), 0);
    CASE(weft_pool_run(NULL, nop, NULL, &r), -EINVAL);
    CASE(weft_spawn(&t, nop, NULL), -EPERM); /* not on a worker */
    CASE(weft_spawn(NULL, nop, NULL), -EINVAL);
    CASE(weft_spawn(&t, NULL, NULL), -EINVAL);
    CASE(weft_sync(NULL, NULL), -EINVAL);
    memset(&t, 0, sizeof(t));
    CASE(weft_sync(&t, NULL), -EPERM); /* not on a worker */
    CASE(weft_parallel_for(NULL, 0, 1, 0, range_nop, NULL), -EINVAL);
    CASE(weft_pool_current() == NULL, 1);
    CASE(weft_worker_index(), -1);

    p = pool_new(1);
    CASE(weft_pool_run(p, NULL, NULL, &r), -EINVAL);
    CASE(weft_pool_run(p, pool_in_task, &n, NULL), 0);
    CASE(n, 9); /* the in-task cases ran */
    ncases += 10;
    CASE(weft_parallel_for(p, 0, 1, 0, NULL, NULL), -EINVAL);
    CASE(weft_parallel_for(p, 2, 1, 0, range_nop, NULL), -EINVAL);
    CASE(weft_parallel_for(p, 5, 5, 0, range_nop, NULL), 0); /* empty */
    CASE(weft_parallel_for(p, 0, SIZE_MAX, SIZE_MAX, range_nop, NULL), 0);
    CASE(weft_pool_shutdown(p, 0x80u, WEFT_DEADLINE_NEVER), -EINVAL);
    CASE(weft_pool_shutdown(
             p, WEFT_SHUTDOWN_DRAIN | WEFT_SHUTDOWN_CANCEL_PENDING, PAST),
         -EINVAL);
    CASE2(weft_pool_shutdown(p, WEFT_SHUTDOWN_DRAIN, PAST), 0, -ETIMEDOUT);
    CASE(weft_pool_shutdown(p, WEFT_SHUTDOWN_DRAIN, WEFT_DEADLINE_NEVER), 0);
    CASE(weft_pool_shutdown(p, WEFT_SHUTDOWN_CANCEL_PENDING,
                            WEFT_DEADLINE_NEVER),
         0); /* a second call */
    /* Use after shutdown. */
    CASE(weft_pool_run(p, nop, NULL, &r), -ESHUTDOWN);
    CASE(weft_parallel_for(p, 0, 10, 1, range_nop, NULL), -ESHUTDOWN);
    CASE(weft_pool_workers(p), 1);
    CASE(weft_pool_destroy(p), 0);
    done_header("pool.h");
}
END_TEST

START_TEST(future_h)
{
    weft_pool_t *p = pool_new(1);
    weft_future_t *f = (weft_future_t *)0x1, *g;
    void *r = NULL;

    CASE(weft_pool_submit(NULL, nop, NULL, &f), -EINVAL);
    CASE(weft_pool_submit(p, NULL, NULL, &f), -EINVAL);
    CASE(weft_pool_submit(p, nop, NULL, NULL), -EINVAL);
    CASE(weft_future_result(NULL, WEFT_DEADLINE_NEVER, &r), -EINVAL);
    CASE(weft_future_done(NULL), false);
    CASE(weft_future_running(NULL), false);
    CASE(weft_future_cancelled(NULL), false);
    CASE(weft_future_cancel(NULL), -EINVAL);
    CASE(weft_future_on_done(NULL, nop_cb, NULL), -EINVAL);
    CASE(weft_future_retain(NULL), -EINVAL);
    weft_future_release(NULL); /* ignored */

    weft_event_init(&gate);
    ck_assert_int_eq(weft_pool_submit(p, gated, NULL, &f), 0);
    ck_assert_int_eq(weft_pool_submit(p, nop, (void *)7, &g), 0);
    CASE(weft_future_on_done(f, NULL, NULL), -EINVAL);
    CASE(weft_future_result(f, WEFT_DEADLINE_POLL, &r), -ETIMEDOUT);
    CASE(weft_future_result(f, PAST, NULL), -ETIMEDOUT);
    /* g waits behind f on the one worker: cancel it, twice. */
    CASE(weft_future_cancel(g), 0);
    CASE(weft_future_cancel(g), 0);
    CASE(weft_future_result(g, WEFT_DEADLINE_NEVER, &r), -ECANCELED);
    CASE(weft_future_cancelled(g), true);
    weft_event_set(&gate);
    CASE(weft_future_result(f, WEFT_DEADLINE_NEVER, &r), 0);
    CASE(weft_future_cancel(f), -EBUSY); /* done */
    CASE(weft_future_retain(f), 0);
    weft_future_release(f);
    weft_future_release(g);
    ck_assert_int_eq(
        weft_pool_shutdown(p, WEFT_SHUTDOWN_DRAIN, WEFT_DEADLINE_NEVER), 0);
    CASE(weft_pool_submit(p, nop, NULL, &g), -ESHUTDOWN); /* after shutdown */
    /* A future outlives its pool. */
    CASE(weft_pool_destroy(p), 0);
    CASE(weft_future_done(f), true);
    CASE(weft_future_result(f, PAST, &r), 0);
    weft_future_release(f);
    weft_event_fini(&gate);
    done_header("future.h");
}
END_TEST

START_TEST(waitset_h)
{
    weft_pool_t *p = pool_new(1);
    weft_waitset_t *ws;
    weft_future_t *f, *d = (weft_future_t *)0x1;
    uintptr_t tag = 99;

    CASE(weft_waitset_create(p, NULL), -EINVAL);
    CASE(weft_waitset_add(NULL, (weft_future_t *)0x1, 0), -EINVAL);
    CASE(weft_waitset_next(NULL, PAST, &d, &tag), -EINVAL);
    CASE(weft_waitset_pending(NULL), 0);
    weft_waitset_destroy(NULL); /* ignored */
    ck_assert_int_eq(weft_waitset_create(p, &ws), 0);
    CASE(weft_waitset_add(ws, NULL, 0), -EINVAL);
    CASE(weft_waitset_next(ws, PAST, NULL, &tag), -EINVAL);
    CASE(weft_waitset_next(ws, WEFT_DEADLINE_POLL, &d, &tag), -ENOENT);
    CASE(weft_waitset_next(ws, WEFT_DEADLINE_NEVER, &d, NULL), -ENOENT);
    weft_event_init(&gate);
    ck_assert_int_eq(weft_pool_submit(p, gated, NULL, &f), 0);
    CASE(weft_waitset_add(ws, f, 5), 0);
    CASE(weft_waitset_next(ws, PAST, &d, &tag), -ETIMEDOUT);
    CASE(weft_waitset_pending(ws), 1);
    weft_event_set(&gate);
    CASE(weft_waitset_next(ws, WEFT_DEADLINE_NEVER, &d, NULL), 0);
    CASE(d == f, 1);
    weft_future_release(d);
    CASE(weft_waitset_next(ws, WEFT_DEADLINE_NEVER, &d, &tag), -ENOENT);
    weft_waitset_destroy(ws);
    weft_future_release(f);
    CASE(weft_pool_destroy(p), 0);
    weft_event_fini(&gate);
    done_header("waitset.h");
}
END_TEST

static int
fail_odd(void *arg, void **res)
{
    (void)res;
    return ((long)arg & 1) ? -EDOM : 0;
}

START_TEST(wait_h)
{
    weft_pool_t *p = pool_new(1);
    weft_future_t *fs[2] = {NULL, NULL};
    void *args[3] = {(void *)0, (void *)1, (void *)2};
    void *res[3];
    int err[3];
    size_t nd = 77;

    CASE(weft_wait(NULL, 1, WEFT_ALL_COMPLETED, PAST, &nd), -EINVAL);
    CASE(nd, 0);
    CASE(weft_wait(fs, 2, WEFT_ALL_COMPLETED, PAST, NULL), -EINVAL);
    CASE(weft_wait(NULL, 0, WEFT_ALL_COMPLETED, PAST, &nd), 0);
    CASE(weft_wait(NULL, 0, WEFT_FIRST_COMPLETED, WEFT_DEADLINE_NEVER, NULL),
         0);
    weft_event_init(&gate);
    ck_assert_int_eq(weft_pool_submit(p, gated, NULL, &fs[0]), 0);
    ck_assert_int_eq(weft_pool_submit(p, gated, NULL, &fs[1]), 0);
    CASE(weft_wait(fs, 2, 0, PAST, &nd), -EINVAL);
    CASE(weft_wait(fs, 2, 99, PAST, &nd), -EINVAL);
    CASE(weft_wait(fs, 2, -1, PAST, &nd), -EINVAL);
    CASE(weft_wait(fs, 2, WEFT_FIRST_COMPLETED, PAST, &nd), -ETIMEDOUT);
    CASE(nd, 0);
    CASE(weft_wait(fs, 2, WEFT_ALL_COMPLETED, WEFT_DEADLINE_POLL, &nd),
         -ETIMEDOUT);
    weft_event_set(&gate);
    CASE(weft_wait(fs, 2, WEFT_ALL_COMPLETED, WEFT_DEADLINE_NEVER, &nd), 0);
    CASE(nd, 2);
    weft_future_release(fs[0]);
    weft_future_release(fs[1]);

    CASE(weft_pool_map(NULL, nop, args, 3, res, err, PAST), -EINVAL);
    CASE(weft_pool_map(p, NULL, args, 3, res, err, PAST), -EINVAL);
    CASE(weft_pool_map(p, nop, NULL, 3, res, err, PAST), -EINVAL);
    CASE(weft_pool_map(p, nop, NULL, 0, NULL, NULL, PAST), 0);
    CASE(weft_pool_map(p, nop, args, 3, NULL, NULL, WEFT_DEADLINE_NEVER), 0);
    CASE(weft_pool_map(p, fail_odd, args, 3, res, err, WEFT_DEADLINE_NEVER),
         -EDOM);
    CASE(err[1], -EDOM);
    ck_assert_int_eq(
        weft_pool_shutdown(p, WEFT_SHUTDOWN_DRAIN, WEFT_DEADLINE_NEVER), 0);
    CASE(weft_pool_map(p, nop, args, 3, res, err, WEFT_DEADLINE_NEVER),
         -ESHUTDOWN); /* after shutdown */
    CASE(err[0], -ESHUTDOWN);
    CASE(err[2], -ECANCELED);
    CASE(weft_pool_destroy(p), 0);
    weft_event_fini(&gate);
    done_header("wait.h");
}
END_TEST

START_TEST(timer_h)
{
    weft_pool_t *p = pool_new(1);
    weft_future_t *f = NULL;

    CASE(weft_pool_submit_after(NULL, 0, nop, NULL, &f), -EINVAL);
    CASE(weft_pool_submit_after(p, 0, NULL, NULL, &f), -EINVAL);
    CASE(weft_pool_submit_after(p, 0, nop, NULL, NULL), -EINVAL);
    CASE(weft_pool_submit_after(p, WEFT_TIMER_MAX_NS + 1, nop, NULL, &f),
         -EINVAL);
    CASE(weft_pool_submit_after(p, UINT64_MAX, nop, NULL, &f), -EINVAL);
    CASE(weft_pool_submit_every(NULL, 1000, nop, NULL, &f), -EINVAL);
    CASE(weft_pool_submit_every(p, 1000, NULL, NULL, &f), -EINVAL);
    CASE(weft_pool_submit_every(p, 1000, nop, NULL, NULL), -EINVAL);
    CASE(weft_pool_submit_every(p, 0, nop, NULL, &f), -EINVAL);
    CASE(weft_pool_submit_every(p, UINT64_MAX, nop, NULL, &f), -EINVAL);
    CASE(weft_timers_armed() < SIZE_MAX, 1);
    /* The longest delay is accepted, and cancelled at once. */
    CASE(weft_pool_submit_after(p, WEFT_TIMER_MAX_NS, nop, NULL, &f), 0);
    CASE(weft_future_cancel(f), 0);
    CASE(weft_future_result(f, WEFT_DEADLINE_NEVER, NULL), -ECANCELED);
    weft_future_release(f);
    ck_assert_int_eq(
        weft_pool_shutdown(p, WEFT_SHUTDOWN_DRAIN, WEFT_DEADLINE_NEVER), 0);
    /* After shutdown: arming is refused (timer.h). */
    CASE(weft_pool_submit_after(p, 0, nop, NULL, &f), -ESHUTDOWN);
    CASE(weft_pool_submit_every(p, 1000, nop, NULL, &f), -ESHUTDOWN);
    CASE(weft_pool_destroy(p), 0);
    done_header("timer.h");
}
END_TEST

START_TEST(trace_h)
{
    weft_pool_t *p = pool_new(1);
    char path[64];
    uint64_t dropped = 9;

    snprintf(path, sizeof(path), "/tmp/weft-bad-input-%d.json", (int)getpid());
    CASE(weft_pool_trace_start(NULL, path), -EINVAL);
    CASE(weft_pool_trace_start(p, NULL), -EINVAL);
    CASE(weft_pool_trace_start(p, "/nonexistent-weft-dir/t.json"), -ENOENT);
    CASE(weft_pool_trace_start(p, ""), -ENOENT);
    CASE(weft_pool_trace_stop(NULL, &dropped), -EINVAL);
    CASE(weft_pool_trace_stop(p, &dropped), -ENOENT); /* not tracing */
    CASE(weft_pool_trace_start(p, path), 0);
    CASE(weft_pool_trace_start(p, path), -EBUSY);
    CASE(weft_pool_trace_stop(p, NULL), 0);
    CASE(weft_pool_trace_stop(p, &dropped), -ENOENT); /* stopped twice */
    CASE(weft_pool_destroy(p), 0);
    unlink(path);
    done_header("trace.h");
}
END_TEST

START_TEST(stats_h)
{
    weft_pool_t *p = pool_new(2);
    struct weft_pool_stats st;
    struct weft_worker_stats ws[1];
    char buf[16];
    size_t len = 0;

    memset(&st, 0, sizeof(st));
    CASE(weft_pool_stats(NULL, &st), -EINVAL);
    CASE(weft_pool_stats(p, NULL), -EINVAL);
    st.worker = ws; /* fewer entries than workers */
    st.worker_capacity = 1;
    CASE(weft_pool_stats(p, &st), 0);
    CASE(st.workers, 2);
    CASE(weft_pool_stats_print(NULL, stdout), -EINVAL);
    CASE(weft_pool_stats_print(p, NULL), -EINVAL);
    CASE(weft_pool_stats_openmetrics(NULL, buf, sizeof(buf), &len), -EINVAL);
    CASE(weft_pool_stats_openmetrics(p, buf, sizeof(buf), NULL), -EINVAL);
    CASE(weft_pool_stats_openmetrics(p, NULL, 5, &len), -EINVAL);
    CASE(weft_pool_stats_openmetrics(p, NULL, 0, &len), -ENOSPC);
    CASE(len > sizeof(buf), 1);
    CASE(weft_pool_stats_openmetrics(p, buf, sizeof(buf), &len), -ENOSPC);
    CASE(weft_pool_destroy(p), 0);
    done_header("stats.h");
}
END_TEST

START_TEST(counter_h)
{
    weft_counter_t *c;
    weft_atomic_t a;
    int64_t v = 5, e;

    CASE(weft_counter_create(NULL), -EINVAL);
    weft_counter_destroy(NULL); /* ignored */
    CASE(weft_counter_add(NULL, 1), -EINVAL);
    CASE(weft_counter_inc(NULL), -EINVAL);
    CASE(weft_counter_add_noinline(NULL, 1), -EINVAL);
    CASE(weft_counter_add_slow(NULL, 1), -EINVAL);
    CASE(weft_counter_read(NULL, &v), -EINVAL);
    CASE(weft_counter_reset(NULL), -EINVAL);
    ck_assert_int_eq(weft_counter_create(&c), 0);
    CASE(weft_counter_read(c, NULL), -EINVAL);
    /* Huge deltas wrap modulo 2^64 (no signed overflow: UBSan). */
    CASE(weft_counter_add(c, INT64_MAX), 0);
    CASE(weft_counter_add_noinline(c, INT64_MAX), 0);
    CASE(weft_counter_add(c, INT64_MIN), 0);
    CASE(weft_counter_add(c, INT64_MIN), 0);
    CASE(weft_counter_read(c, &v), 0);
    CASE(v, -2);
    CASE(weft_counter_reset(c), 0);
    CASE(weft_counter_read(c, &v), 0);
    CASE(v, 0);
    weft_counter_destroy(c);

    CASE(weft_atomic_init(NULL, 1), -EINVAL);
    CASE(weft_atomic_load(NULL, &v), -EINVAL);
    CASE(weft_atomic_store(NULL, 1), -EINVAL);
    CASE(weft_atomic_add(NULL, 1, &v), -EINVAL);
    CASE(weft_atomic_cas(NULL, &e, 1), -EINVAL);
    CASE(weft_atomic_init(&a, INT64_MAX), 0);
    CASE(weft_atomic_load(&a, NULL), -EINVAL);
    CASE(weft_atomic_cas(&a, NULL, 1), -EINVAL);
    CASE(weft_atomic_add(&a, 1, NULL), 0); /* wraps */
    CASE(weft_atomic_load(&a, &v), 0);
    CASE(v, INT64_MIN);
    e = 3;
    CASE(weft_atomic_cas(&a, &e, 1), -EAGAIN);
    CASE(e, INT64_MIN);
    CASE(weft_atomic_cas(&a, &e, 1), 0);
    CASE(weft_atomic_store(&a, -1), 0);
    CASE(weft_atomic_add(&a, INT64_MIN, &v), 0);
    CASE(v, INT64_MAX);
    done_header("counter.h");
}
END_TEST

static int
val_nop(void *ctx, const void *v, size_t n)
{
    (void)ctx;
    (void)v;
    (void)n;
    return 0;
}

static int
entry_nop(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    (void)ctx;
    (void)k;
    (void)kl;
    (void)v;
    (void)vl;
    return 0;
}

static int
bad_verdict(void *ctx, const void *old, size_t old_len, bool present,
            const void **nv, size_t *nl)
{
    (void)old;
    (void)old_len;
    (void)present;
    (void)nv;
    (void)nl;
    return (int)(long)ctx;
}

static int
destroy_inside(void *ctx, const void *v, size_t n)
{
    (void)v;
    (void)n;
    return weft_map_destroy(ctx);
}

static int
node_nop(void *ctx, struct weft_map_node *n)
{
    (void)ctx;
    (void)n;
    return 0;
}

static bool
node_eq(const struct weft_map_node *n, const void *k, size_t kl, void *ctx)
{
    (void)n;
    (void)k;
    (void)kl;
    (void)ctx;
    return true;
}

static void
node_free(struct weft_map_node *n, void *ctx)
{
    (void)n;
    (void)ctx;
}

START_TEST(map_h)
{
    struct weft_map_opts o = WEFT_MAP_OPTS_INIT;
    struct weft_map_node nd;
    weft_map_t *m = (weft_map_t *)0x1, *im;
    static char big[WEFT_MAP_KEY_MAX + 1];
    long v = 1;
    char buf[4];
    size_t len = 9;

    CASE(weft_map_create(NULL, NULL), -EINVAL);
    o.size = 0;
    CASE(weft_map_create(&o, &m), -EINVAL);
    o.size = sizeof(o);
    o.initial_buckets = WEFT_MAP_BUCKETS_MAX + 1;
    CASE(weft_map_create(&o, &m), -EINVAL);
    o.initial_buckets = 0;
    o.max_buckets = SIZE_MAX;
    CASE(weft_map_create(&o, &m), -EINVAL);
    o.max_buckets = 0;
    o.node_eq = node_eq;
    CASE(weft_map_create(&o, &m), -EINVAL); /* node_eq without node_free */
    o.node_eq = NULL;
    o.node_free = node_free;
    CASE(weft_map_create(&o, &m), -EINVAL); /* node_free without node_eq */
    o.node_eq = node_eq;
    o.key_eq = (weft_map_key_eq_fn)1;
    CASE(weft_map_create(&o, &m), -EINVAL); /* key_eq with node_eq */
    o.key_eq = NULL;
    CASE(weft_map_destroy(NULL), -EINVAL);
    /* Every function with a NULL map. */
    CASE(weft_map_get(NULL, "k", 1, &v, sizeof(v), NULL), -EINVAL);
    CASE(weft_map_contains(NULL, "k", 1), -EINVAL);
    CASE(weft_map_get_with(NULL, "k", 1, val_nop, NULL), -EINVAL);
    CASE(weft_map_put(NULL, "k", 1, &v, sizeof(v), NULL), -EINVAL);
    CASE(weft_map_put_if_absent(NULL, "k", 1, &v, sizeof(v)), -EINVAL);
    CASE(weft_map_replace(NULL, "k", 1, &v, sizeof(v)), -EINVAL);
    CASE(weft_map_remove(NULL, "k", 1), -EINVAL);
    CASE(weft_map_compute(NULL, "k", 1, bad_verdict, NULL), -EINVAL);
    CASE(weft_map_foreach(NULL, entry_nop, NULL), -EINVAL);
    CASE(weft_map_len(NULL, &len), -EINVAL);
    CASE(weft_map_clear(NULL), -EINVAL);
    CASE(weft_map_node_put(NULL, &nd, "k", 1), -EINVAL);
    CASE(weft_map_node_put_if_absent(NULL, &nd, "k", 1), -EINVAL);
    CASE(weft_map_node_find(NULL, "k", 1, node_nop, NULL), -EINVAL);
    CASE(weft_map_node_remove(NULL, "k", 1), -EINVAL);
    CASE(weft_map_node_foreach(NULL, node_nop, NULL), -EINVAL);

    ck_assert_int_eq(weft_map_create(NULL, &m), 0);
    ck_assert_int_eq(weft_map_create(&o, &im), 0);
    /* Keys: NULL, empty, too long. */
    CASE(weft_map_put(m, NULL, 1, &v, sizeof(v), NULL), -EINVAL);
    CASE(weft_map_put(m, "k", 0, &v, sizeof(v), NULL), -EINVAL);
    CASE(weft_map_put(m, big, sizeof(big), &v, sizeof(v), NULL), -EINVAL);
    CASE(weft_map_get(m, NULL, 1, &v, sizeof(v), NULL), -EINVAL);
    CASE(weft_map_get(m, "k", 0, &v, sizeof(v), NULL), -EINVAL);
    CASE(weft_map_get(m, big, sizeof(big), &v, sizeof(v), NULL), -EINVAL);
    CASE(weft_map_contains(m, NULL, 1), -EINVAL);
    CASE(weft_map_contains(m, "k", SIZE_MAX), -EINVAL);
    CASE(weft_map_remove(m, NULL, 1), -EINVAL);
    CASE(weft_map_remove(m, "k", 0), -EINVAL);
    /* Values: NULL with a length, too long. */
    CASE(weft_map_put(m, "k", 1, NULL, 4, NULL), -EINVAL);
    CASE(weft_map_put(m, "k", 1, &v, WEFT_MAP_VALUE_MAX + 1, NULL), -EINVAL);
    CASE(weft_map_put(m, "k", 1, &v, SIZE_MAX, NULL), -EINVAL);
    CASE(weft_map_put_if_absent(m, "k", 1, NULL, 4), -EINVAL);
    CASE(weft_map_replace(m, "k", 1, NULL, 4), -EINVAL);
    /* Absent keys. */
    CASE(weft_map_get(m, "k", 1, &v, sizeof(v), &len), -ENOENT);
    CASE(weft_map_contains(m, "k", 1), -ENOENT);
    CASE(weft_map_get_with(m, "k", 1, val_nop, NULL), -ENOENT);
    CASE(weft_map_replace(m, "k", 1, &v, sizeof(v)), -ENOENT);
    CASE(weft_map_remove(m, "k", 1), -ENOENT);
    /* Present key: small buffer, NULL buffer, callbacks. */
    CASE(weft_map_put(m, "k", 1, &v, sizeof(v), NULL), 0);
    CASE(weft_map_put(m, "z", 1, NULL, 0, NULL), 0); /* empty value */
    CASE(weft_map_put_if_absent(m, "k", 1, &v, sizeof(v)), -EEXIST);
    CASE(weft_map_get(m, "k", 1, buf, sizeof(buf), &len), -EOVERFLOW);
    CASE(len, sizeof(v));
    CASE(weft_map_get(m, "k", 1, NULL, 8, &len), -EINVAL);
    CASE(weft_map_get(m, "k", 1, NULL, 0, NULL), -EOVERFLOW);
    CASE(weft_map_get_with(m, "k", 1, NULL, NULL), -EINVAL);
    CASE(weft_map_compute(m, "k", 1, NULL, NULL), -EINVAL);
    CASE(weft_map_compute(m, "k", 1, bad_verdict, (void *)7L), -EINVAL);
    CASE(weft_map_compute(m, "k", 1, bad_verdict, (void *)-EDOM), -EDOM);
    CASE(weft_map_foreach(m, NULL, NULL), -EINVAL);
    CASE(weft_map_len(m, NULL), -EINVAL);
    CASE(weft_map_get_with(m, "k", 1, destroy_inside, m), -EDEADLK);
    /* Wrong kind of map. */
    CASE(weft_map_node_put(m, &nd, "k", 1), -EPERM);
    CASE(weft_map_node_put_if_absent(m, &nd, "k", 1), -EPERM);
    CASE(weft_map_node_find(m, "k", 1, node_nop, NULL), -EPERM);
    CASE(weft_map_node_remove(m, "k", 1), -EPERM);
    CASE(weft_map_node_foreach(m, node_nop, NULL), -EPERM);
    CASE(weft_map_get(im, "k", 1, &v, sizeof(v), NULL), -EPERM);
    CASE(weft_map_put(im, "k", 1, &v, sizeof(v), NULL), -EPERM);
    CASE(weft_map_foreach(im, entry_nop, NULL), -EPERM);
    /* Intrusive: NULL node and callbacks. */
    CASE(weft_map_node_put(im, NULL, "k", 1), -EINVAL);
    CASE(weft_map_node_put_if_absent(im, NULL, "k", 1), -EINVAL);
    CASE(weft_map_node_put(im, &nd, NULL, 1), -EINVAL);
    CASE(weft_map_node_find(im, "k", 1, NULL, NULL), -EINVAL);
    CASE(weft_map_node_foreach(im, NULL, NULL), -EINVAL);
    CASE(weft_map_node_remove(im, "k", 1), -ENOENT);
    CASE(weft_map_node_find(im, "k", 1, node_nop, NULL), -ENOENT);
    CASE(weft_map_len(im, &len), 0);
    CASE(len, 0);
    CASE(weft_map_clear(m), 0);
    CASE(weft_map_clear(m), 0);
    /* The calling thread as a reader. */
    CASE(weft_map_reader_detach(), -EPERM); /* not attached */
    CASE(weft_map_offline_end(), 0);        /* not attached: no effect */
    CASE(weft_map_reader_attach(), 0);
    CASE(weft_map_reader_attach(), 0); /* twice */
    weft_map_quiescent();
    CASE(weft_map_offline_end(), -EPERM); /* end without begin */
    CASE(weft_map_offline_begin(), 0);
    CASE(weft_map_offline_end(), 0);
    CASE(weft_map_offline_end(), -EPERM); /* ended twice */
    CASE(weft_map_reader_detach(), 0);
    CASE(weft_map_reader_detach(), -EPERM); /* detached twice */
    weft_map_quiescent();                   /* not attached: no effect */
    CASE(weft_map_destroy(m), 0);
    CASE(weft_map_destroy(im), 0);
    done_header("map.h");
}
END_TEST

START_TEST(queue_h)
{
    weft_queue_t *q = (weft_queue_t *)0x1, *pq;
    void *item = (void *)0x1;

    CASE(weft_queue_create(WEFT_QUEUE_FIFO, 4, NULL), -EINVAL);
    CASE(weft_queue_create((enum weft_queue_kind)4, 4, &q), -EINVAL);
    CASE(weft_queue_create((enum weft_queue_kind) - 1, 4, &q), -EINVAL);
    CASE(weft_queue_create(WEFT_QUEUE_LIFO, 0, &q), -EINVAL);
    CASE(
        weft_queue_create(WEFT_QUEUE_PRIORITY, WEFT_QUEUE_MAX_CAPACITY + 1, &q),
        -EINVAL);
    CASE(weft_queue_create(WEFT_QUEUE_FIFO, SIZE_MAX, &q), -EINVAL);
    CASE(weft_queue_destroy(NULL), -EINVAL);
    CASE(weft_queue_put(NULL, item, PAST), -EINVAL);
    CASE(weft_queue_put_prio(NULL, item, 0, PAST), -EINVAL);
    CASE(weft_queue_get(NULL, &item, PAST), -EINVAL);
    CASE(weft_queue_try_put(NULL, item), -EINVAL);
    CASE(weft_queue_try_get(NULL, &item), -EINVAL);
    CASE(weft_queue_task_done(NULL), -EINVAL);
    CASE(weft_queue_join(NULL, PAST), -EINVAL);
    CASE(weft_queue_shutdown(NULL, 0), -EINVAL);
    CASE(weft_queue_len(NULL), 0);
    CASE(weft_queue_capacity(NULL), 0);
    CASE(weft_queue_is_shutdown(NULL), false);

    ck_assert_int_eq(weft_queue_create(WEFT_QUEUE_FIFO, 1, &q), 0);
    ck_assert_int_eq(weft_queue_create(WEFT_QUEUE_PRIORITY, 1, &pq), 0);
    CASE(weft_queue_get(q, NULL, PAST), -EINVAL);
    CASE(weft_queue_try_get(q, NULL), -EINVAL);
    CASE(weft_queue_put_prio(q, item, 1, PAST), -EINVAL); /* not PRIORITY */
    CASE(weft_queue_get(q, &item, WEFT_DEADLINE_POLL), -ETIMEDOUT);
    CASE(weft_queue_get(q, &item, PAST), -ETIMEDOUT);
    CASE(weft_queue_try_get(q, &item), -EAGAIN);
    CASE(weft_queue_task_done(q), -EOVERFLOW); /* more dones than puts */
    CASE(weft_queue_join(q, PAST), 0);         /* nothing unfinished */
    CASE(weft_queue_try_put(q, NULL), 0);      /* NULL is an item */
    CASE(weft_queue_try_put(q, item), -EAGAIN);
    CASE(weft_queue_put(q, item, PAST), -ETIMEDOUT);
    CASE(weft_queue_join(q, PAST), -ETIMEDOUT);
    CASE(weft_queue_put_prio(pq, item, INT64_MIN, PAST), 0);
    CASE(weft_queue_put_prio(pq, item, INT64_MAX, PAST), -ETIMEDOUT);
    CASE(weft_queue_shutdown(q, 0x80u), -EINVAL);
    CASE(weft_queue_shutdown(q, 0), 0);
    CASE(weft_queue_shutdown(q, 0), 0); /* idempotent */
    CASE(weft_queue_is_shutdown(q), true);
    /* Use after shutdown: puts fail, queued items still come out. */
    CASE(weft_queue_put(q, item, WEFT_DEADLINE_NEVER), -ESHUTDOWN);
    CASE(weft_queue_try_put(q, item), -ESHUTDOWN);
    CASE(weft_queue_get(q, &item, PAST), 0);
    CASE(item == NULL, 1);
    CASE(weft_queue_get(q, &item, WEFT_DEADLINE_NEVER), -ESHUTDOWN);
    CASE(weft_queue_try_get(q, &item), -ESHUTDOWN);
    CASE(weft_queue_task_done(q), 0);
    CASE(weft_queue_task_done(q), -EOVERFLOW); /* done twice */
    CASE(weft_queue_shutdown(pq, WEFT_QUEUE_SHUTDOWN_IMMEDIATE), 0);
    CASE(weft_queue_len(pq), 0);
    CASE(weft_queue_put_prio(pq, item, 0, WEFT_DEADLINE_NEVER), -ESHUTDOWN);
    CASE(weft_queue_join(pq, PAST), 0); /* the dropped item counts as done */
    CASE(weft_queue_destroy(q), 0);
    CASE(weft_queue_destroy(pq), 0);
    done_header("queue.h");
}
END_TEST

static bool
pred_false(void *arg)
{
    (void)arg;
    return false;
}

static struct weft_barrier bar;

static int
action_reenters(void *arg)
{
    (void)arg;
    ck_assert_int_eq(weft_barrier_abort(&bar), -EDEADLK);
    ck_assert_int_eq(weft_barrier_reset(&bar), -EDEADLK);
    return weft_barrier_wait(&bar, PAST, NULL);
}

START_TEST(sync_h)
{
    struct weft_lock l;
    struct weft_rlock rl;
    struct weft_cond c;
    struct weft_event ev;
    struct weft_sem s;
    struct weft_latch la;
    unsigned idx = 9;

    /* lock */
    CASE(weft_lock_init(NULL), -EINVAL);
    CASE(weft_lock_fini(NULL), -EINVAL);
    CASE(weft_lock_acquire(NULL, PAST), -EINVAL);
    CASE(weft_lock_try(NULL), false);
    CASE(weft_lock_release(NULL), -EINVAL);
    CASE(weft_lock_locked(NULL), false);
    CASE(weft_lock_init(&l), 0);
    CASE(weft_lock_release(&l), -EPERM); /* not locked */
    CASE(weft_lock_acquire(&l, PAST), 0);
    CASE(weft_lock_acquire(&l, PAST), -ETIMEDOUT); /* not reentrant */
    CASE(weft_lock_try(&l), false);
    CASE(weft_lock_fini(&l), -EBUSY);
    /* cond (uses l, held) */
    CASE(weft_cond_init(NULL), -EINVAL);
    CASE(weft_cond_fini(NULL), -EINVAL);
    CASE(weft_cond_init(&c), 0);
    CASE(weft_cond_wait(NULL, &l, PAST), -EINVAL);
    CASE(weft_cond_wait(&c, NULL, PAST), -EINVAL);
    CASE(weft_cond_wait(&c, &l, PAST), -ETIMEDOUT);
    CASE(weft_lock_locked(&l), true); /* re-acquired */
    CASE(weft_cond_wait_for(NULL, &l, pred_false, NULL, PAST), -EINVAL);
    CASE(weft_cond_wait_for(&c, NULL, pred_false, NULL, PAST), -EINVAL);
    CASE(weft_cond_wait_for(&c, &l, NULL, NULL, PAST), -EINVAL);
    CASE(weft_cond_wait_for(&c, &l, pred_false, NULL, PAST), -ETIMEDOUT);
    CASE(weft_cond_notify(NULL, &l, 1), -EINVAL);
    CASE(weft_cond_notify(&c, NULL, 1), -EINVAL);
    CASE(weft_cond_notify(&c, &l, 0), 0);
    CASE(weft_cond_notify(&c, &l, UINT32_MAX), 0);
    CASE(weft_cond_notify_all(NULL, &l), -EINVAL);
    CASE(weft_cond_notify_all(&c, NULL), -EINVAL);
    CASE(weft_lock_release(&l), 0);
    CASE(weft_lock_release(&l), -EPERM);        /* released twice */
    CASE(weft_cond_wait(&c, &l, PAST), -EPERM); /* lock not held */
    CASE(weft_cond_wait_for(&c, &l, pred_false, NULL, PAST), -EPERM);
    CASE(weft_cond_notify(&c, &l, 1), -EPERM);
    CASE(weft_cond_notify_all(&c, &l), -EPERM);
    CASE(weft_cond_fini(&c), 0);
    CASE(weft_lock_fini(&l), 0);
    /* rlock */
    CASE(weft_rlock_init(NULL), -EINVAL);
    CASE(weft_rlock_fini(NULL), -EINVAL);
    CASE(weft_rlock_acquire(NULL, PAST), -EINVAL);
    CASE(weft_rlock_release(NULL), -EINVAL);
    CASE(weft_rlock_is_owned(NULL), false);
    CASE(weft_rlock_init(&rl), 0);
    CASE(weft_rlock_release(&rl), -EPERM); /* not owned */
    CASE(weft_rlock_acquire(&rl, PAST), 0);
    CASE(weft_rlock_acquire(&rl, PAST), 0); /* reentrant */
    CASE(weft_rlock_fini(&rl), -EBUSY);
    CASE(weft_rlock_release(&rl), 0);
    CASE(weft_rlock_release(&rl), 0);
    CASE(weft_rlock_release(&rl), -EPERM); /* released once too often */
    CASE(weft_rlock_fini(&rl), 0);
    /* event */
    CASE(weft_event_init(NULL), -EINVAL);
    CASE(weft_event_fini(NULL), -EINVAL);
    CASE(weft_event_set(NULL), -EINVAL);
    CASE(weft_event_clear(NULL), -EINVAL);
    CASE(weft_event_is_set(NULL), false);
    CASE(weft_event_wait(NULL, PAST), -EINVAL);
    CASE(weft_event_init(&ev), 0);
    CASE(weft_event_wait(&ev, PAST), -ETIMEDOUT);
    CASE(weft_event_wait(&ev, WEFT_DEADLINE_POLL), -ETIMEDOUT);
    CASE(weft_event_set(&ev), 0);
    CASE(weft_event_set(&ev), 0);
    CASE(weft_event_wait(&ev, PAST), 0);
    CASE(weft_event_fini(&ev), 0);
    /* sem */
    CASE(weft_sem_init(NULL, 0, 0), -EINVAL);
    CASE(weft_sem_init(&s, 2, 1), -EINVAL); /* value > max */
    CASE(weft_sem_init(&s, WEFT_SEM_VALUE_MAX + 1, 0), -EINVAL);
    CASE(weft_sem_init(&s, 0, UINT32_MAX), -EINVAL);
    CASE(weft_sem_fini(NULL), -EINVAL);
    CASE(weft_sem_acquire(NULL, PAST), -EINVAL);
    CASE(weft_sem_try(NULL), false);
    CASE(weft_sem_release(NULL, 1), -EINVAL);
    CASE(weft_sem_value(NULL), 0);
    CASE(weft_sem_init(&s, 1, 1), 0);
    CASE(weft_sem_release(&s, 0), -EINVAL);
    CASE(weft_sem_release(&s, 1), -EOVERFLOW); /* bounded: max 1 */
    CASE(weft_sem_acquire(&s, PAST), 0);
    CASE(weft_sem_acquire(&s, PAST), -ETIMEDOUT);
    CASE(weft_sem_try(&s), false);
    CASE(weft_sem_release(&s, UINT32_MAX), -EOVERFLOW);
    CASE(weft_sem_value(&s), 0);
    CASE(weft_sem_fini(&s), 0);
    CASE(weft_sem_init(&s, WEFT_SEM_VALUE_MAX, 0), 0);
    CASE(weft_sem_release(&s, 1), -EOVERFLOW); /* unbounded: VALUE_MAX */
    CASE(weft_sem_fini(&s), 0);
    /* latch */
    CASE(weft_latch_init(NULL, 1), -EINVAL);
    CASE(weft_latch_init(&la, (uint32_t)INT32_MAX + 1), -EINVAL);
    CASE(weft_latch_fini(NULL), -EINVAL);
    CASE(weft_latch_count_down(NULL, 1), -EINVAL);
    CASE(weft_latch_count(NULL), 0);
    CASE(weft_latch_wait(NULL, PAST), -EINVAL);
    CASE(weft_latch_init(&la, 2), 0);
    CASE(weft_latch_wait(&la, PAST), -ETIMEDOUT);
    CASE(weft_latch_count_down(&la, UINT32_MAX), 0); /* saturates */
    CASE(weft_latch_count(&la), 0);
    CASE(weft_latch_count_down(&la, 1), 0); /* at zero: nothing */
    CASE(weft_latch_wait(&la, PAST), 0);
    CASE(weft_latch_fini(&la), 0);
    /* barrier */
    CASE(weft_barrier_init(NULL, 1, NULL, NULL), -EINVAL);
    CASE(weft_barrier_init(&bar, 0, NULL, NULL), -EINVAL);
    CASE(weft_barrier_init(&bar, (unsigned)INT32_MAX + 1, NULL, NULL), -EINVAL);
    CASE(weft_barrier_fini(NULL), -EINVAL);
    CASE(weft_barrier_wait(NULL, PAST, &idx), -EINVAL);
    CASE(weft_barrier_abort(NULL), -EINVAL);
    CASE(weft_barrier_reset(NULL), -EINVAL);
    CASE(weft_barrier_parties(NULL), 0);
    CASE(weft_barrier_n_waiting(NULL), 0);
    CASE(weft_barrier_broken(NULL), false);
    CASE(weft_barrier_init(&bar, 2, NULL, NULL), 0);
    CASE(weft_barrier_wait(&bar, PAST, &idx), -ETIMEDOUT); /* breaks it */
    CASE(weft_barrier_broken(&bar), true);
    CASE(weft_barrier_wait(&bar, WEFT_DEADLINE_NEVER, NULL), -EPIPE);
    CASE(weft_barrier_reset(&bar), 0);
    CASE(weft_barrier_abort(&bar), 0);
    CASE(weft_barrier_wait(&bar, WEFT_DEADLINE_NEVER, NULL), -EPIPE);
    CASE(weft_barrier_reset(&bar), 0);
    CASE(weft_barrier_fini(&bar), 0);
    CASE(weft_barrier_init(&bar, 1, action_reenters, NULL), 0);
    CASE(weft_barrier_wait(&bar, PAST, &idx), -EDEADLK); /* action's code */
    CASE(weft_barrier_fini(&bar), 0);
    done_header("sync.h");
}
END_TEST

static int
thread_self_checks(void *arg)
{
    weft_thread_t *me = weft_thread_current();

    (void)arg;
    ck_assert_ptr_nonnull(me);
    ck_assert_int_eq(weft_thread_join(me, PAST, NULL), -EDEADLK);
    return 0;
}

static int
worker_entry_checks(void *arg, void **res)
{
    weft_thread_t *me = weft_thread_current();

    (void)arg;
    (void)res;
    ck_assert_ptr_nonnull(me);
    ck_assert_int_eq(weft_thread_join(me, PAST, NULL), -EPERM);
    ck_assert_int_eq(weft_thread_destroy(me), -EPERM);
    return 0;
}

static int
thread_gated(void *arg)
{
    (void)arg;
    return weft_event_wait(&gate, WEFT_DEADLINE_NEVER);
}

START_TEST(thread_h)
{
    struct weft_thread_opts o = WEFT_THREAD_OPTS_INIT;
    struct weft_thread_info info[1];
    weft_thread_t *t = (weft_thread_t *)0x1;
    weft_thread_excepthook_fn old = NULL;
    void *old_ctx = (void *)0x1;
    weft_pool_t *p;
    size_t n = 0;
    int rc = 5;

    CASE(weft_thread_start(NULL, NULL, NULL, &t), -EINVAL);
    CASE(weft_thread_start(NULL, thread_self_checks, NULL, NULL), -EINVAL);
    o.size = 0;
    CASE(weft_thread_start(&o, thread_self_checks, NULL, &t), -EINVAL);
    o.size = sizeof(o);
    o.stack_size = 1;
    CASE(weft_thread_start(&o, thread_self_checks, NULL, &t), -EINVAL);
    o.stack_size = 0;
    CASE(weft_thread_join(NULL, PAST, &rc), -EINVAL);
    CASE(weft_thread_destroy(NULL), -EINVAL);
    CASE(weft_thread_is_alive(NULL), false);
    CASE(weft_thread_ident(NULL), 0);
    CASE(weft_thread_native_id(NULL), 0);
    CASE(weft_thread_name(NULL) == NULL, 1);
    CASE(weft_thread_daemon(NULL), false);
    CASE(weft_thread_current() == NULL, 1); /* main is not a weft thread */
    CASE(weft_threads_active_count() < SIZE_MAX, 1);
    CASE(weft_threads_enumerate(NULL, 0, NULL), -EINVAL);
    CASE(weft_threads_enumerate(NULL, 3, &n), -EINVAL);
    CASE(weft_threads_enumerate(info, 0, NULL), -EINVAL);
    CASE(weft_thread_set_excepthook(NULL, NULL, &old, &old_ctx), 0);
    CASE(weft_thread_set_excepthook(NULL, NULL, NULL, NULL), 0);
    /* A 64-byte name is cut to WEFT_THREAD_NAME_MAX. */
    o.name = "0123456789012345678901234567890123456789012345678901234567890123";
    CASE(weft_thread_start(&o, thread_self_checks, NULL, &t), 0);
    CASE(weft_thread_join(t, WEFT_DEADLINE_NEVER, &rc), 0);
    CASE(rc, 0);
    CASE(strlen(weft_thread_name(t)), WEFT_THREAD_NAME_MAX);
    CASE(weft_thread_join(t, PAST, NULL), 0); /* joined twice */
    CASE(weft_thread_destroy(t), 0);
    /* A running thread: join times out, enumerate reports -ENOSPC. */
    weft_event_init(&gate);
    o.name = NULL;
    CASE(weft_thread_start(&o, thread_gated, NULL, &t), 0);
    CASE(weft_thread_join(t, PAST, &rc), -ETIMEDOUT);
    CASE(weft_thread_join(t, WEFT_DEADLINE_POLL, &rc), -ETIMEDOUT);
    CASE(weft_threads_enumerate(NULL, 0, &n), -ENOSPC);
    CASE(n >= 1, 1);
    weft_event_set(&gate);
    CASE(weft_thread_join(t, WEFT_DEADLINE_NEVER, &rc), 0);
    CASE(weft_thread_destroy(t), 0);
    weft_event_fini(&gate);
    /* A pool worker's entry is not the caller's to join or destroy. */
    p = pool_new(1);
    CASE(weft_pool_run(p, worker_entry_checks, NULL, NULL), 0);
    ncases += 2;
    CASE(weft_pool_destroy(p), 0);
    ncases += 1; /* thread_self_checks: join itself */
    done_header("thread.h");
}
END_TEST

START_TEST(context_h)
{
    static const char keys[WEFT_CONTEXT_MAX + 1];
    void *v = (void *)0x1;

    CASE(weft_context_set(NULL, v), -EINVAL);
    CASE(weft_context_unset(NULL), -EINVAL);
    CASE(weft_context_lookup(NULL, &v), -EINVAL);
    CASE(weft_context_lookup(&keys[0], NULL), -EINVAL);
    CASE(weft_context_lookup(&keys[0], &v), -ENOENT);
    CASE(weft_context_get(NULL) == NULL, 1);
    CASE(weft_context_get(&keys[0]) == NULL, 1);
    CASE(weft_context_unset(&keys[0]), 0); /* not set */
    for (int i = 0; i < WEFT_CONTEXT_MAX; i++)
        ck_assert_int_eq(weft_context_set(&keys[i], v), 0);
    CASE(weft_context_set(&keys[WEFT_CONTEXT_MAX], v), -ENOSPC);
    CASE(weft_context_get(&keys[WEFT_CONTEXT_MAX]) == NULL, 1);
    CASE(weft_context_set(&keys[0], NULL), 0); /* a rebind: no new pair */
    CASE(weft_context_lookup(&keys[0], &v), 0);
    CASE(v == NULL, 1);
    weft_context_clear();
    weft_context_clear(); /* twice */
    CASE(weft_context_lookup(&keys[1], &v), -ENOENT);
    done_header("context.h");
}
END_TEST

static int
bg_nop(void *ctx, void *item)
{
    (void)ctx;
    (void)item;
    return 0;
}

static int
bg_destroy_self(void *ctx, void *item)
{
    (void)item;
    ck_assert_int_eq(weft_bgworker_destroy(*(weft_bgworker_t **)ctx), -EDEADLK);
    ck_assert_int_eq(
        weft_bgworker_stop(*(weft_bgworker_t **)ctx, WEFT_BGWORKER_DRAIN, PAST),
        -EDEADLK);
    return 0;
}

START_TEST(bgworker_h)
{
    struct weft_bgworker_stats st;
    weft_bgworker_t *w = (weft_bgworker_t *)0x1;
    static weft_bgworker_t *self;

    CASE(weft_bgworker_start(NULL, NULL, 4, NULL, &w), -EINVAL);
    CASE(weft_bgworker_start(bg_nop, NULL, 4, NULL, NULL), -EINVAL);
    CASE(weft_bgworker_start(bg_nop, NULL, 0, NULL, &w), -EINVAL);
    CASE(weft_bgworker_start(bg_nop, NULL, WEFT_QUEUE_MAX_CAPACITY + 1, NULL,
                             &w),
         -EINVAL);
    CASE(weft_bgworker_set_hooks(NULL, NULL, NULL, NULL), -EINVAL);
    CASE(weft_bgworker_submit(NULL, NULL, PAST), -EINVAL);
    CASE(weft_bgworker_try_submit(NULL, NULL), -EINVAL);
    CASE(weft_bgworker_stop(NULL, WEFT_BGWORKER_DRAIN, PAST), -EINVAL);
    CASE(weft_bgworker_destroy(NULL), -EINVAL);
    CASE(weft_bgworker_stats(NULL, &st), -EINVAL);

    ck_assert_int_eq(weft_bgworker_start(bg_nop, NULL, 2, NULL, &w), 0);
    CASE(weft_bgworker_stats(w, NULL), -EINVAL);
    CASE(weft_bgworker_set_hooks(w, NULL, NULL, NULL), 0);
    CASE(weft_bgworker_stop(w, 7, PAST), -EINVAL);
    CASE(weft_bgworker_submit(w, NULL, WEFT_DEADLINE_NEVER), 0);
    CASE(weft_bgworker_stop(w, WEFT_BGWORKER_DRAIN, WEFT_DEADLINE_NEVER), 0);
    CASE(weft_bgworker_stop(w, WEFT_BGWORKER_DISCARD, WEFT_DEADLINE_NEVER),
         0); /* a second stop */
    /* Use after stop. */
    CASE(weft_bgworker_submit(w, NULL, WEFT_DEADLINE_NEVER), -ESHUTDOWN);
    CASE(weft_bgworker_try_submit(w, NULL), -ESHUTDOWN);
    CASE(weft_bgworker_stats(w, &st), 0);
    CASE(st.processed, 1);
    CASE(weft_bgworker_destroy(w), 0);
    /* From fn itself: -EDEADLK, nothing freed. */
    ck_assert_int_eq(weft_bgworker_start(bg_destroy_self, &self, 2, "x", &self),
                     0);
    CASE(weft_bgworker_submit(self, NULL, WEFT_DEADLINE_NEVER), 0);
    CASE(weft_bgworker_stop(self, WEFT_BGWORKER_DRAIN, WEFT_DEADLINE_NEVER), 0);
    ncases += 2;
    CASE(weft_bgworker_destroy(self), 0);
    done_header("bgworker.h");
}
END_TEST

static uint64_t
fake_now(void *ctx)
{
    (void)ctx;
    return 1000;
}

START_TEST(ratelimit_h)
{
    struct weft_clock nosleep = {fake_now, NULL, NULL};
    struct weft_clock nonow = {NULL, NULL, NULL};
    weft_ratelimit_t *rl = (weft_ratelimit_t *)0x1;
    uint64_t wait = 0;

    CASE(weft_ratelimit_create(10.0, 1, NULL, NULL), -EINVAL);
    CASE(weft_ratelimit_create(0.0, 1, NULL, &rl), -EINVAL);
    CASE(weft_ratelimit_create(-1.0, 1, NULL, &rl), -EINVAL);
    CASE(weft_ratelimit_create(NAN, 1, NULL, &rl), -EINVAL);
    CASE(weft_ratelimit_create(INFINITY, 1, NULL, &rl), -EINVAL);
    CASE(weft_ratelimit_create(2e9, 1, NULL, &rl), -EINVAL);   /* < 1 ns */
    CASE(weft_ratelimit_create(1e-12, 1, NULL, &rl), -EINVAL); /* > 2^62 */
    CASE(weft_ratelimit_create(10.0, 0, NULL, &rl), -EINVAL);
    CASE(weft_ratelimit_create(10.0, WEFT_RATELIMIT_MAX_BURST + 1, NULL, &rl),
         -EINVAL);
    CASE(weft_ratelimit_create(0.25, WEFT_RATELIMIT_MAX_BURST, NULL, &rl),
         -EINVAL); /* interval * burst above 2^62 ns */
    CASE(weft_ratelimit_create(10.0, 1, &nonow, &rl), -EINVAL);
    CASE(weft_ratelimit_destroy(NULL), -EINVAL);
    CASE(weft_ratelimit_try_acquire(NULL, 1, &wait), -EINVAL);
    CASE(weft_ratelimit_acquire(NULL, 1, PAST), -EINVAL);

    ck_assert_int_eq(weft_ratelimit_create(10.0, 2, &nosleep, &rl), 0);
    CASE(weft_ratelimit_try_acquire(rl, 0, NULL), -EINVAL);
    CASE(weft_ratelimit_try_acquire(rl, 3, NULL), -EINVAL); /* > burst */
    CASE(weft_ratelimit_acquire(rl, 0, PAST), -EINVAL);
    CASE(weft_ratelimit_acquire(rl, UINT32_MAX, PAST), -EINVAL);
    CASE(weft_ratelimit_try_acquire(rl, 2, NULL), 0);
    CASE(weft_ratelimit_try_acquire(rl, 1, &wait), -EAGAIN);
    CASE(wait > 0, 1);
    CASE(weft_ratelimit_acquire(rl, 1, PAST), -ETIMEDOUT); /* due later */
    CASE(weft_ratelimit_acquire(rl, 1, WEFT_DEADLINE_NEVER), -EINVAL);
    CASE(weft_ratelimit_destroy(rl), 0);
    done_header("ratelimit.h");
}
END_TEST

static Suite *
bad_input_suite(void)
{
    Suite *s = suite_create("bad_input");
    TCase *tc = tcase_create("headers");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, common_h);
    tcase_add_test(tc, pool_h);
    tcase_add_test(tc, future_h);
    tcase_add_test(tc, waitset_h);
    tcase_add_test(tc, wait_h);
    tcase_add_test(tc, timer_h);
    tcase_add_test(tc, trace_h);
    tcase_add_test(tc, stats_h);
    tcase_add_test(tc, counter_h);
    tcase_add_test(tc, map_h);
    tcase_add_test(tc, queue_h);
    tcase_add_test(tc, sync_h);
    tcase_add_test(tc, thread_h);
    tcase_add_test(tc, context_h);
    tcase_add_test(tc, bgworker_h);
    tcase_add_test(tc, ratelimit_h);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(bad_input_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
