/* SPDX-License-Identifier: MIT */
/* test_waitset - as_completed: completion order, cancelled futures,
 * timeouts with one total deadline, already-done and duplicate futures,
 * destroy with futures pending or racing completions, entry reuse, add
 * racing next, waitsets inside tasks of a 1-worker pool, bad input. */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
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

/* A task that blocks until its gate opens, then returns rc / val. */
struct gated {
    _Atomic int open;
    _Atomic int started;
    int rc;
    long val;
};

static int
gated_fn(void *arg, void **res)
{
    struct gated *g = (struct gated *)arg;

    atomic_store(&g->started, 1);
    while (!atomic_load(&g->open))
        sched_yield();
    *res = (void *)g->val;
    return g->rc;
}

static void
wait_started(struct gated *g)
{
    while (!atomic_load(&g->started))
        sched_yield();
}

static int
ident(void *arg, void **res)
{
    *res = arg;
    return 0;
}

START_TEST(bad_input)
{
    weft_pool_t *p = make_pool(1);
    weft_waitset_t *ws = NULL;
    weft_future_t *f = NULL, *got = NULL;
    uintptr_t tag = 0;

    ck_assert_int_eq(weft_waitset_create(p, NULL), -EINVAL);
    ck_assert_int_eq(weft_waitset_create(NULL, &ws), 0);
    ck_assert_int_eq(weft_waitset_add(NULL, NULL, 0), -EINVAL);
    ck_assert_int_eq(weft_waitset_add(ws, NULL, 0), -EINVAL);
    ck_assert_int_eq(weft_pool_submit(p, ident, NULL, &f), 0);
    ck_assert_int_eq(weft_waitset_add(NULL, f, 0), -EINVAL);
    ck_assert_int_eq(weft_waitset_next(NULL, 0, &got, &tag), -EINVAL);
    ck_assert_int_eq(weft_waitset_next(ws, 0, NULL, &tag), -EINVAL);
    ck_assert_uint_eq(weft_waitset_pending(NULL), 0);
    /* Empty: drained at once, whatever the deadline. */
    ck_assert_int_eq(weft_waitset_next(ws, WEFT_DEADLINE_NEVER, &got, &tag),
                     -ENOENT);
    ck_assert_ptr_null(got);
    weft_waitset_destroy(NULL); /* ignored */
    weft_waitset_destroy(ws);
    weft_future_release(f);
    weft_pool_destroy(p);
}
END_TEST

static void
set_flag(weft_future_t *f, void *ctx)
{
    (void)f;
    atomic_store((_Atomic int *)ctx, 1);
}

/* Futures come out in the order they complete, not the order added. A
 * completion is over once the future's callbacks have run (they run in
 * registration order, so a callback added after add() marks it). */
START_TEST(completion_order)
{
    enum { N = 4 };
    static const int order[N] = {2, 0, 3, 1};
    weft_pool_t *p = make_pool(N);
    struct gated g[N] = {0};
    _Atomic int cb[N] = {0};
    weft_future_t *f[N], *got;
    weft_waitset_t *ws;
    uintptr_t tag;
    void *r;

    ck_assert_int_eq(weft_waitset_create(p, &ws), 0);
    for (int i = 0; i < N; i++) {
        g[i].val = 100 + i;
        ck_assert_int_eq(weft_pool_submit(p, gated_fn, &g[i], &f[i]), 0);
        ck_assert_int_eq(weft_waitset_add(ws, f[i], (uintptr_t)i), 0);
        ck_assert_int_eq(weft_future_on_done(f[i], set_flag, &cb[i]), 0);
    }
    ck_assert_uint_eq(weft_waitset_pending(ws), N);
    for (int k = 0; k < N; k++) {
        int i = order[k];
        wait_started(&g[i]);
        atomic_store(&g[i].open, 1);
        ck_assert_int_eq(weft_future_result(f[i], WEFT_DEADLINE_NEVER, NULL),
                         0);
        while (!atomic_load(&cb[i]))
            sched_yield();
    }
    for (int k = 0; k < N; k++) {
        ck_assert_int_eq(weft_waitset_next(ws, WEFT_DEADLINE_NEVER, &got, &tag),
                         0);
        ck_assert_uint_eq(tag, (uintptr_t)order[k]);
        ck_assert_ptr_eq(got, f[order[k]]);
        ck_assert(weft_future_done(got));
        /* Already done: the result does not wait. */
        ck_assert_int_eq(weft_future_result(got, WEFT_DEADLINE_POLL, &r), 0);
        ck_assert_int_eq((long)r, 100 + order[k]);
        weft_future_release(got);
        ck_assert_uint_eq(weft_waitset_pending(ws), (unsigned)(N - k - 1));
    }
    ck_assert_int_eq(weft_waitset_next(ws, WEFT_DEADLINE_POLL, &got, &tag),
                     -ENOENT);
    weft_waitset_destroy(ws);
    for (int i = 0; i < N; i++)
        weft_future_release(f[i]);
    weft_pool_destroy(p);
}
END_TEST

/* Cancelled futures come out too, as cancelled, in cancellation order. */
START_TEST(cancelled_come_out)
{
    weft_pool_t *p = make_pool(1);
    struct gated b = {0};
    weft_future_t *blk, *f[3], *got;
    weft_waitset_t *ws;
    uintptr_t tag;

    ck_assert_int_eq(weft_pool_submit(p, gated_fn, &b, &blk), 0);
    wait_started(&b); /* the only worker is busy: f[] stay pending */
    ck_assert_int_eq(weft_waitset_create(NULL, &ws), 0);
    for (int i = 0; i < 3; i++) {
        ck_assert_int_eq(weft_pool_submit(p, ident, NULL, &f[i]), 0);
        ck_assert_int_eq(weft_waitset_add(ws, f[i], (uintptr_t)i), 0);
    }
    ck_assert_int_eq(weft_waitset_next(ws, WEFT_DEADLINE_POLL, &got, &tag),
                     -ETIMEDOUT);
    ck_assert_int_eq(weft_future_cancel(f[1]), 0);
    ck_assert_int_eq(weft_future_cancel(f[2]), 0);
    ck_assert_int_eq(weft_future_cancel(f[0]), 0);
    static const uintptr_t want[3] = {1, 2, 0};
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(weft_waitset_next(ws, WEFT_DEADLINE_POLL, &got, &tag),
                         0);
        ck_assert_uint_eq(tag, want[k]);
        ck_assert(weft_future_cancelled(got));
        ck_assert_int_eq(weft_future_result(got, WEFT_DEADLINE_POLL, NULL),
                         -ECANCELED);
        weft_future_release(got);
    }
    ck_assert_int_eq(weft_waitset_next(ws, WEFT_DEADLINE_POLL, &got, &tag),
                     -ENOENT);
    atomic_store(&b.open, 1);
    weft_waitset_destroy(ws);
    for (int i = 0; i < 3; i++)
        weft_future_release(f[i]);
    weft_future_release(blk);
    weft_pool_destroy(p);
}
END_TEST

/* One total deadline: the done future comes out, then -ETIMEDOUT once the
 * deadline has passed; later, with a new deadline, the rest. */
START_TEST(total_deadline)
{
    weft_pool_t *p = make_pool(2);
    struct gated g = {0}, gf = {0};
    _Atomic int fast_cb = 0;
    weft_future_t *slow, *fast, *got;
    weft_waitset_t *ws;
    weft_deadline_t dl;
    uint64_t t0;
    uintptr_t tag;

    ck_assert_int_eq(weft_waitset_create(p, &ws), 0);
    ck_assert_int_eq(weft_pool_submit(p, gated_fn, &g, &slow), 0);
    ck_assert_int_eq(weft_pool_submit(p, gated_fn, &gf, &fast), 0);
    ck_assert_int_eq(weft_waitset_add(ws, slow, 1), 0);
    ck_assert_int_eq(weft_waitset_add(ws, fast, 2), 0);
    /* No timing assumption: fast's completion is over (the waitset's
     * callback ran: see completion_order) before the deadline starts. A
     * finished result alone is not enough: the completer wakes result()
     * before it runs the callbacks, and may be descheduled in between. */
    ck_assert_int_eq(weft_future_on_done(fast, set_flag, &fast_cb), 0);
    atomic_store(&gf.open, 1);
    ck_assert_int_eq(weft_future_result(fast, WEFT_DEADLINE_NEVER, NULL), 0);
    while (!atomic_load(&fast_cb))
        sched_yield();
    t0 = weft_now_ns();
    dl = t0 + 30 * WEFT_NS_PER_MS;
    ck_assert_int_eq(weft_waitset_next(ws, dl, &got, &tag), 0);
    ck_assert_uint_eq(tag, 2);
    weft_future_release(got);
    ck_assert_int_eq(weft_waitset_next(ws, dl, &got, &tag), -ETIMEDOUT);
    ck_assert_uint_ge(weft_now_ns(), dl);
    /* A deadline already in the past: -ETIMEDOUT without sleeping. */
    ck_assert_int_eq(weft_waitset_next(ws, t0, &got, &tag), -ETIMEDOUT);
    ck_assert_uint_eq(weft_waitset_pending(ws), 1);
    atomic_store(&g.open, 1);
    ck_assert_int_eq(weft_waitset_next(ws, WEFT_DEADLINE_NEVER, &got, &tag), 0);
    ck_assert_uint_eq(tag, 1);
    ck_assert_ptr_eq(got, slow);
    weft_future_release(got);
    ck_assert_int_eq(weft_waitset_next(ws, WEFT_DEADLINE_NEVER, &got, &tag),
                     -ENOENT);
    weft_waitset_destroy(ws);
    weft_future_release(slow);
    weft_future_release(fast);
    weft_pool_destroy(p);
}
END_TEST

/* Done before add: queued by add(), in add order; duplicates come out once
 * per add, each with its own tag and its own reference. */
START_TEST(already_done_and_duplicates)
{
    weft_pool_t *p = make_pool(2);
    weft_future_t *f[3], *got;
    weft_waitset_t *ws;
    uintptr_t tag;
    unsigned seen = 0;

    for (long i = 0; i < 3; i++) {
        ck_assert_int_eq(weft_pool_submit(p, ident, (void *)i, &f[i]), 0);
        ck_assert_int_eq(weft_future_result(f[i], WEFT_DEADLINE_NEVER, NULL),
                         0);
    }
    ck_assert_int_eq(weft_waitset_create(NULL, &ws), 0);
    ck_assert_int_eq(weft_waitset_add(ws, f[2], 2), 0);
    ck_assert_int_eq(weft_waitset_add(ws, f[0], 0), 0);
    ck_assert_int_eq(weft_waitset_add(ws, f[1], 1), 0);
    static const uintptr_t want[3] = {2, 0, 1};
    for (int k = 0; k < 3; k++) {
        ck_assert_int_eq(weft_waitset_next(ws, WEFT_DEADLINE_POLL, &got, &tag),
                         0);
        ck_assert_uint_eq(tag, want[k]);
        ck_assert_ptr_eq(got, f[want[k]]);
        weft_future_release(got);
    }
    /* The same future three times. */
    for (uintptr_t t = 10; t < 13; t++)
        ck_assert_int_eq(weft_waitset_add(ws, f[0], t), 0);
    ck_assert_uint_eq(weft_waitset_pending(ws), 3);
    while (weft_waitset_next(ws, WEFT_DEADLINE_POLL, &got, &tag) == 0) {
        ck_assert_ptr_eq(got, f[0]);
        ck_assert(tag >= 10 && tag < 13);
        seen |= 1u << (tag - 10);
        weft_future_release(got);
    }
    ck_assert_uint_eq(seen, 7);
    weft_waitset_destroy(ws);
    /* Our references are intact: every returned one was the waitset's. */
    for (int i = 0; i < 3; i++) {
        void *r = NULL;
        ck_assert_int_eq(weft_future_result(f[i], WEFT_DEADLINE_POLL, &r), 0);
        ck_assert_int_eq((long)r, i);
        weft_future_release(f[i]);
    }
    weft_pool_destroy(p);
}
END_TEST

/* Destroy with futures pending and some done but not returned: later
 * completions must not touch freed memory (ASan/TSan builds check). */
START_TEST(destroy_with_pending)
{
    enum { N = 16 };
    weft_pool_t *p = make_pool(2);
    struct gated g = {0};
    weft_future_t *f[N];

    for (int round = 0; round < 2; round++) {
        weft_waitset_t *ws;

        atomic_store(&g.open, 0);
        ck_assert_int_eq(weft_waitset_create(round ? p : NULL, &ws), 0);
        for (int i = 0; i < N; i++) {
            ck_assert_int_eq(
                weft_pool_submit(p, i % 2 ? gated_fn : ident, &g, &f[i]), 0);
            ck_assert_int_eq(weft_waitset_add(ws, f[i], (uintptr_t)i), 0);
            weft_future_release(f[i]); /* the waitset's ref is the last */
        }
        weft_waitset_destroy(ws);
        atomic_store(&g.open, 1);
    }
    weft_pool_destroy(p); /* every future completes before this returns */
}
END_TEST

/* Destroy while workers are completing the futures, after taking a few:
 * the completions that land after destroy free the waitset (the last one)
 * and drop its references; ASan/TSan builds check the memory. Every task
 * runs exactly once. */
static _Atomic long ran;

static int
count_fn(void *arg, void **res)
{
    atomic_fetch_add(&ran, 1);
    *res = arg;
    return 0;
}

START_TEST(destroy_races_completions)
{
    enum { ROUNDS = 200, N = 40 };
    weft_pool_t *p = make_pool(2);

    atomic_store(&ran, 0);
    for (int round = 0; round < ROUNDS; round++) {
        weft_waitset_t *ws;
        weft_future_t *f;
        uintptr_t tag;

        ck_assert_int_eq(weft_waitset_create(round % 2 ? p : NULL, &ws), 0);
        for (int i = 0; i < N; i++) {
            ck_assert_int_eq(weft_pool_submit(p, count_fn, NULL, &f), 0);
            ck_assert_int_eq(weft_waitset_add(ws, f, (uintptr_t)i), 0);
            weft_future_release(f);
        }
        for (int i = 0; i < round % 5; i++) {
            ck_assert_int_eq(
                weft_waitset_next(ws, WEFT_DEADLINE_NEVER, &f, &tag), 0);
            ck_assert(weft_future_done(f));
            ck_assert_uint_lt(tag, N);
            weft_future_release(f);
        }
        ck_assert_uint_eq(weft_waitset_pending(ws), N - round % 5);
        weft_waitset_destroy(ws);
    }
    weft_pool_destroy(p); /* every future completes before this returns */
    ck_assert_int_eq(atomic_load(&ran), (long)ROUNDS * N);
}
END_TEST

/* One waitset used as a stream: entries are recycled across many add/next
 * cycles (more than a chunk and a recycle batch each) and every tag comes
 * back exactly once per cycle. */
START_TEST(long_lived_stream)
{
    enum { CYCLES = 20, N = 100 };
    weft_pool_t *p = make_pool(2);
    weft_waitset_t *ws;

    ck_assert_int_eq(weft_waitset_create(NULL, &ws), 0);
    for (int c = 0; c < CYCLES; c++) {
        unsigned char seen[N] = {0};
        weft_future_t *f;
        uintptr_t tag;
        void *r;

        for (long i = 0; i < N; i++) {
            ck_assert_int_eq(weft_pool_submit(p, ident, (void *)i, &f), 0);
            ck_assert_int_eq(weft_waitset_add(ws, f, (uintptr_t)i), 0);
            weft_future_release(f);
        }
        for (int i = 0; i < N; i++) {
            ck_assert_int_eq(
                weft_waitset_next(ws, WEFT_DEADLINE_NEVER, &f, &tag), 0);
            ck_assert_int_eq(weft_future_result(f, WEFT_DEADLINE_POLL, &r), 0);
            ck_assert_int_eq((long)r, (long)tag);
            ck_assert_int_eq(seen[tag], 0);
            seen[tag] = 1;
            weft_future_release(f);
        }
        ck_assert_uint_eq(weft_waitset_pending(ws), 0);
        ck_assert_int_eq(weft_waitset_next(ws, WEFT_DEADLINE_POLL, &f, &tag),
                         -ENOENT);
    }
    weft_waitset_destroy(ws);
    weft_pool_destroy(p);
}
END_TEST

static weft_waitset_t *shared_ws;

/* A waiter blocks in next(NEVER) until another thread completes. */
static void *
late_canceller(void *arg)
{
    struct timespec ts = {0, 20 * 1000 * 1000};

    nanosleep(&ts, NULL);
    ck_assert_int_eq(weft_future_cancel((weft_future_t *)arg), 0);
    return NULL;
}

START_TEST(sleeper_is_woken)
{
    weft_pool_t *p = make_pool(1);
    struct gated b = {0};
    weft_future_t *blk, *f, *got;
    weft_waitset_t *ws;
    pthread_t t;
    uintptr_t tag;

    ck_assert_int_eq(weft_pool_submit(p, gated_fn, &b, &blk), 0);
    wait_started(&b);
    ck_assert_int_eq(weft_pool_submit(p, ident, NULL, &f), 0);
    ck_assert_int_eq(weft_waitset_create(NULL, &ws), 0);
    ck_assert_int_eq(weft_waitset_add(ws, f, 5), 0);
    ck_assert_int_eq(pthread_create(&t, NULL, late_canceller, f), 0);
    ck_assert_int_eq(weft_waitset_next(ws, WEFT_DEADLINE_NEVER, &got, &tag), 0);
    ck_assert_uint_eq(tag, 5);
    ck_assert(weft_future_cancelled(got));
    weft_future_release(got);
    pthread_join(t, NULL);
    atomic_store(&b.open, 1);
    weft_waitset_destroy(ws);
    weft_future_release(f);
    weft_future_release(blk);
    weft_pool_destroy(p);
}
END_TEST

/* add() on one thread while next() runs on another. */
struct adder {
    weft_pool_t *pool;
    weft_waitset_t *ws;
    long n;
};

static void *
adder_main(void *arg)
{
    struct adder *a = (struct adder *)arg;

    for (long i = 0; i < a->n; i++) {
        weft_future_t *f;
        ck_assert_int_eq(weft_pool_submit(a->pool, ident, (void *)i, &f), 0);
        ck_assert_int_eq(weft_waitset_add(a->ws, f, (uintptr_t)i), 0);
        weft_future_release(f);
        if (i % 64 == 0)
            sched_yield();
    }
    return NULL;
}

START_TEST(add_races_next)
{
    for (int with_pool = 0; with_pool < 2; with_pool++) {
        struct adder a;
        weft_future_t *got;
        uintptr_t tag;
        pthread_t t;
        long n = 5000, count = 0, sum = 0;
        unsigned char *seen = calloc((size_t)n, 1);

        a.pool = make_pool(2);
        a.n = n;
        ck_assert_int_eq(weft_waitset_create(with_pool ? a.pool : NULL, &a.ws),
                         0);
        shared_ws = a.ws;
        ck_assert_int_eq(pthread_create(&t, NULL, adder_main, &a), 0);
        while (count < n) {
            int rc = weft_waitset_next(a.ws, weft_deadline_in(WEFT_NS_PER_MS),
                                       &got, &tag);
            if (rc == -ENOENT || rc == -ETIMEDOUT)
                continue; /* the adder is behind */
            ck_assert_int_eq(rc, 0);
            void *r = NULL;
            ck_assert_int_eq(weft_future_result(got, WEFT_DEADLINE_POLL, &r),
                             0);
            ck_assert_int_eq((long)r, (long)tag);
            ck_assert_int_eq(seen[tag], 0);
            seen[tag] = 1;
            sum += (long)tag;
            count++;
            weft_future_release(got);
        }
        pthread_join(t, NULL);
        ck_assert_int_eq(sum, n * (n - 1) / 2);
        ck_assert_int_eq(
            weft_waitset_next(a.ws, WEFT_DEADLINE_POLL, &got, &tag), -ENOENT);
        weft_waitset_destroy(a.ws);
        weft_pool_destroy(a.pool);
        free(seen);
    }
}
END_TEST

/* weft_waitset_submit(): argument checks, every task's result comes out
 * once with its tag, then -ENOENT; with and without the waitset's pool. */
START_TEST(submit_basic)
{
    enum { N = 1000 };
    weft_pool_t *p = make_pool(2);
    static unsigned char seen[N];

    for (int round = 0; round < 2; round++) {
        weft_waitset_t *ws;
        weft_future_t *f;
        uintptr_t tag;
        int rc;

        ck_assert_int_eq(weft_waitset_create(round ? p : NULL, &ws), 0);
        ck_assert_int_eq(weft_waitset_submit(NULL, p, ident, NULL, 0), -EINVAL);
        ck_assert_int_eq(weft_waitset_submit(ws, NULL, ident, NULL, 0),
                         -EINVAL);
        ck_assert_int_eq(weft_waitset_submit(ws, p, NULL, NULL, 0), -EINVAL);
        ck_assert_uint_eq(weft_waitset_pending(ws), 0);
        memset(seen, 0, sizeof(seen));
        for (long i = 0; i < N; i++)
            ck_assert_int_eq(weft_waitset_submit(ws, p, ident, (void *)(i * 3),
                                                 (uintptr_t)i),
                             0);
        for (int i = 0; i < N; i++) {
            void *r = NULL;
            ck_assert_int_eq(
                weft_waitset_next(ws, WEFT_DEADLINE_NEVER, &f, &tag), 0);
            ck_assert_uint_lt(tag, N);
            ck_assert_int_eq(seen[tag], 0);
            seen[tag] = 1;
            ck_assert_int_eq(weft_future_result(f, WEFT_DEADLINE_POLL, &r), 0);
            ck_assert_int_eq((long)r, (long)tag * 3);
            weft_future_release(f);
        }
        rc = weft_waitset_next(ws, WEFT_DEADLINE_POLL, &f, &tag);
        ck_assert_int_eq(rc, -ENOENT);
        ck_assert_uint_eq(weft_waitset_pending(ws), 0);
        weft_waitset_destroy(ws);
    }
    weft_pool_destroy(p);
}
END_TEST

/* Submitted futures cancelled by a CANCEL_PENDING shutdown come out as
 * cancelled; a submit the pool refuses returns -ESHUTDOWN and adds
 * nothing (next() then ends with -ENOENT, not a wait). */
START_TEST(submit_cancel_pending_and_refused)
{
    enum { N = 20 };
    weft_pool_t *p = make_pool(1);
    struct gated g = {0};
    weft_waitset_t *ws;
    weft_future_t *f;
    uintptr_t tag;
    int cancelled = 0, ran_ok = 0;

    ck_assert_int_eq(weft_waitset_create(NULL, &ws), 0);
    g.val = 7;
    ck_assert_int_eq(weft_waitset_submit(ws, p, gated_fn, &g, 0), 0);
    wait_started(&g); /* the one worker is busy from here */
    for (int i = 1; i <= N; i++)
        ck_assert_int_eq(weft_waitset_submit(ws, p, ident, NULL, (uintptr_t)i),
                         0);
    /* Starts the shutdown (the worker is still in gated_fn). */
    ck_assert_int_eq(
        weft_pool_shutdown(p, WEFT_SHUTDOWN_CANCEL_PENDING, WEFT_DEADLINE_POLL),
        -ETIMEDOUT);
    ck_assert_int_eq(weft_waitset_submit(ws, p, ident, NULL, 99), -ESHUTDOWN);
    ck_assert_uint_eq(weft_waitset_pending(ws), N + 1);
    atomic_store(&g.open, 1);
    ck_assert_int_eq(weft_pool_shutdown(p, WEFT_SHUTDOWN_CANCEL_PENDING,
                                        WEFT_DEADLINE_NEVER),
                     0);
    for (int i = 0; i <= N; i++) {
        void *r = NULL;
        int rc;

        ck_assert_int_eq(weft_waitset_next(ws, WEFT_DEADLINE_POLL, &f, &tag),
                         0);
        rc = weft_future_result(f, WEFT_DEADLINE_POLL, &r);
        if (tag == 0) {
            ck_assert_int_eq(rc, 0);
            ck_assert_int_eq((long)r, 7);
            ran_ok++;
        } else {
            ck_assert_uint_le(tag, N);
            ck_assert_int_eq(rc, -ECANCELED);
            cancelled++;
        }
        weft_future_release(f);
    }
    ck_assert_int_eq(ran_ok, 1);
    ck_assert_int_eq(cancelled, N);
    ck_assert_int_eq(weft_waitset_next(ws, WEFT_DEADLINE_NEVER, &f, &tag),
                     -ENOENT);
    weft_waitset_destroy(ws);
    weft_pool_destroy(p);
}
END_TEST

/* A refused submit while next() sleeps on the waitset: the undone count
 * wakes it with -ENOENT ([W8]), never a wait to the deadline. */
static void *
refused_submitter(void *arg)
{
    weft_pool_t *p = (weft_pool_t *)arg;

    /* Until the consumer sleeps (its SLEEPING mark is not visible here:
     * a few yields make it likely, either order must end in -ENOENT). */
    for (int i = 0; i < 100; i++)
        sched_yield();
    ck_assert_int_eq(weft_waitset_submit(shared_ws, p, ident, NULL, 1),
                     -ESHUTDOWN);
    return NULL;
}

START_TEST(submit_refused_wakes_sleeper)
{
    weft_pool_t *p = make_pool(1);
    weft_future_t *f;
    pthread_t t;

    ck_assert_int_eq(weft_pool_shutdown(p, 0, WEFT_DEADLINE_NEVER), 0);
    ck_assert_int_eq(weft_waitset_create(NULL, &shared_ws), 0);
    for (int round = 0; round < 20; round++) {
        ck_assert_int_eq(pthread_create(&t, NULL, refused_submitter, p), 0);
        /* -ENOENT at once, or after the (undone) count made it wait. */
        ck_assert_int_eq(
            weft_waitset_next(shared_ws, WEFT_DEADLINE_NEVER, &f, NULL),
            -ENOENT);
        ck_assert_int_eq(pthread_join(t, NULL), 0);
    }
    weft_waitset_destroy(shared_ws);
    weft_pool_destroy(p);
}
END_TEST

/* A task on a 1-worker pool fans out children to its own pool and
 * consumes them with a waitset: next() runs them inline, no deadlock. */
static int
fan_out(void *arg, void **res)
{
    long n = (long)arg >> 1, sum = 0, count = 0;
    bool fused = (long)arg & 1; /* weft_waitset_submit() */
    weft_pool_t *p = weft_pool_current();
    weft_waitset_t *ws;
    weft_future_t *f;
    uintptr_t tag;
    int rc;

    if (p == NULL)
        return -EPERM;
    rc = weft_waitset_create(p, &ws);
    if (rc != 0)
        return rc;
    for (long i = 1; i <= n && rc == 0; i++) {
        if (fused) {
            rc = weft_waitset_submit(ws, p, ident, (void *)(i * i),
                                     (uintptr_t)i);
            continue;
        }
        rc = weft_pool_submit(p, ident, (void *)(i * i), &f);
        if (rc == 0) {
            rc = weft_waitset_add(ws, f, (uintptr_t)i);
            weft_future_release(f);
        }
    }
    while (rc == 0 &&
           (rc = weft_waitset_next(ws, WEFT_DEADLINE_NEVER, &f, &tag)) == 0) {
        void *r = NULL;
        rc = weft_future_result(f, WEFT_DEADLINE_POLL, &r);
        if (rc == 0 && (long)r != (long)(tag * tag))
            rc = -EPROTO;
        sum += (long)r;
        count++;
        weft_future_release(f);
    }
    weft_waitset_destroy(ws);
    if (rc != -ENOENT)
        return rc == 0 ? -EPROTO : rc;
    *res = (void *)(count == n ? sum : -1);
    return 0;
}

START_TEST(waitset_inside_one_worker_pool)
{
    weft_pool_t *p = make_pool(1);
    weft_future_t *f[4];
    void *r = NULL;

    for (long fused = 0; fused < 2; fused++) {
        ck_assert_int_eq(
            weft_pool_run(p, fan_out, (void *)(100L << 1 | fused), &r), 0);
        ck_assert_int_eq((long)r, 100L * 101 * 201 / 6);
    }
    /* Several at once, each waiting inside the same single worker (half
     * of them with weft_waitset_submit()). */
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(
            weft_pool_submit(p, fan_out, (void *)(50L << 1 | (i & 1)), &f[i]),
            0);
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(weft_future_result(f[i], WEFT_DEADLINE_NEVER, &r), 0);
        ck_assert_int_eq((long)r, 50L * 51 * 101 / 6);
        weft_future_release(f[i]);
    }
    weft_pool_destroy(p);
}
END_TEST

static Suite *
waitset_suite(void)
{
    Suite *s = suite_create("waitset");
    TCase *tc = tcase_create("waitset");

    tcase_set_timeout(tc, 60 * weft_test_timeout_multiplier());
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, completion_order);
    tcase_add_test(tc, cancelled_come_out);
    tcase_add_test(tc, total_deadline);
    tcase_add_test(tc, already_done_and_duplicates);
    tcase_add_test(tc, destroy_with_pending);
    tcase_add_test(tc, destroy_races_completions);
    tcase_add_test(tc, long_lived_stream);
    tcase_add_test(tc, sleeper_is_woken);
    tcase_add_test(tc, add_races_next);
    tcase_add_test(tc, waitset_inside_one_worker_pool);
    tcase_add_test(tc, submit_basic);
    tcase_add_test(tc, submit_cancel_pending_and_refused);
    tcase_add_test(tc, submit_refused_wakes_sleeper);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(waitset_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
