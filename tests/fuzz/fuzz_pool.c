/* SPDX-License-Identifier: MIT */
/*
 * fuzz_pool.c - libFuzzer harness: a pool of 1-4 workers driven by an
 * operation sequence, checked for exactly-once completion.
 *
 * Input: byte 0 and 1 pick the pool's options (workers, policies, spin,
 * park timeout) and whether the waitset knows the pool. Then one operation
 * per step: submit a task (plain, spinning, waiting on an earlier future,
 * submitting and awaiting a child future, or spawn/sync), cancel, result
 * and the state queries, done callbacks, retain/release, waitset add and
 * next, weft_wait in its three modes, weft_pool_run, shutdown (drain or
 * cancel-pending, with a POLL, short or NEVER deadline) at any point, and
 * bad arguments. Waits use POLL, a short deadline, or NEVER where the
 * awaited work always ends (every task is finite).
 *
 * The interleaving is not the input's to choose, so only invariants that
 * hold for every interleaving are checked, at each step (a return code
 * among the allowed ones, monotone facts such as "done" after a wait said
 * so) and at the end, after weft_pool_destroy(): every submitted task and
 * child ended exactly once - it ran once, or it was cancelled (by a cancel
 * that returned 0, or by a cancel-pending shutdown) and never ran, and its
 * future reports exactly that, with the task's own code and result; every
 * done callback ran once; the waitset returned every added entry once,
 * with its tag.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <weft/future.h>
#include <weft/pool.h>
#include <weft/wait.h>
#include <weft/waitset.h>

#include "fuzz.h"

#define RECS     48u
#define MAX_OPS  256u
#define ADDS     96u
#define SHORT_NS (50 * WEFT_NS_PER_US)

enum kind { PLAIN, SPIN, WAIT_EARLIER, CHILD, SPAWN, KINDS };

static const int task_codes[] = {0, -EIO, -EPIPE};

/* A task submitted by the child-submitting kind, from inside its task. */
struct child {
    _Atomic int runs;
    weft_future_t *f; /* written by the parent task */
    int submit_rc;
    int waited_rc;
};

struct rec {
    enum kind kind;
    int rc;                /* what the task returns */
    weft_future_t *f;      /* the harness's reference */
    weft_future_t *target; /* WAIT_EARLIER: an earlier future */
    struct rec *target_rec;
    bool target_never; /* wait with WEFT_DEADLINE_NEVER */
    _Atomic int runs;
    _Atomic int cbs; /* done callbacks that ran */
    int cbs_registered;
    bool cancel_ok;   /* a cancel returned 0 */
    bool cancel_busy; /* a cancel returned -EBUSY */
    int waited_rc;    /* WAIT_EARLIER, CHILD: the awaited code */
    int returned;     /* times the waitset returned it */
    int added;        /* times added to the waitset */
    struct child child;
};

struct harness {
    weft_pool_t *pool;
    weft_waitset_t *ws;
    struct rec recs[RECS];
    unsigned n;
    unsigned adds, returns; /* waitset entries */
    bool shut_called;       /* any shutdown call: submits fail */
    bool shut_done;         /* a shutdown returned 0 */
    bool cancel_pending;    /* a shutdown asked to cancel pending work */
};

static struct harness H;

/* ---- the tasks ----------------------------------------------------------- */

static int
child_fn(void *arg, void **result)
{
    struct child *c = arg;

    /* relaxed: a count, read after the pool is joined. */
    atomic_fetch_add_explicit(&c->runs, 1, memory_order_relaxed);
    *result = c;
    return -EPIPE;
}

static int
spawn_fn(void *arg, void **result)
{
    _Atomic int *runs = arg;

    /* relaxed: weft_sync orders it before the spawner's check. */
    atomic_fetch_add_explicit(runs, 1, memory_order_relaxed);
    *result = arg;
    return -EIO;
}

static void
task_body(struct rec *r)
{
    _Atomic int spawned = 0;
    weft_task_t t;
    void *res = NULL;
    int rc;

    switch (r->kind) {
    case SPIN:
        for (int i = 0; i < 16; i++) /* others run meanwhile */
            sched_yield();
        break;
    case WAIT_EARLIER:
        r->waited_rc = weft_future_result(
            r->target,
            r->target_never ? WEFT_DEADLINE_NEVER : weft_deadline_in(SHORT_NS),
            &res);
        FZ_CHECK(r->waited_rc != -ETIMEDOUT || !r->target_never);
        FZ_CHECK(r->waited_rc != r->target_rec->rc || res == r->target_rec);
        break;
    case CHILD:
        r->child.submit_rc = weft_pool_submit(weft_pool_current(), child_fn,
                                              &r->child, &r->child.f);
        FZ_CHECK_RC(r->child.submit_rc, 0); /* tasks may always submit */
        r->child.waited_rc =
            weft_future_result(r->child.f, WEFT_DEADLINE_NEVER, &res);
        FZ_CHECK(r->child.waited_rc == -EPIPE ||
                 r->child.waited_rc == -ECANCELED);
        FZ_CHECK(r->child.waited_rc != -EPIPE || res == &r->child);
        break;
    case SPAWN:
        FZ_CHECK_RC(weft_spawn(&t, spawn_fn, &spawned), 0);
        rc = weft_sync(&t, &res);
        FZ_CHECK_RC(rc, -EIO);
        FZ_CHECK(res == &spawned);
        /* relaxed: weft_sync ordered the child's increment. */
        FZ_CHECK(atomic_load_explicit(&spawned, memory_order_relaxed) == 1);
        FZ_CHECK_RC(weft_sync(&t, &res), -EINVAL); /* synced already */
        break;
    default:
        break;
    }
}

static int
task_fn(void *arg, void **result)
{
    struct rec *r = arg;

    /* relaxed: a count, read after the pool is joined (or after a wait
     * that acquired the completion). */
    atomic_fetch_add_explicit(&r->runs, 1, memory_order_relaxed);
    task_body(r);
    *result = r;
    return r->rc;
}

static void
done_cb(weft_future_t *f, void *ctx)
{
    struct rec *r = ctx;

    FZ_CHECK(f == r->f && weft_future_done(f));
    /* relaxed: a count, read after the pool is joined. */
    atomic_fetch_add_explicit(&r->cbs, 1, memory_order_relaxed);
}

/* ---- checks -------------------------------------------------------------- */

/* What a poll of r's future may say now; if it says done, it must be
 * consistent with the task's run count and code. */
static void
check_result(struct rec *r, weft_deadline_t dl)
{
    void *res = NULL;
    int rc = weft_future_result(r->f, dl, &res);

    if (rc == -ETIMEDOUT) {
        FZ_CHECK(dl != WEFT_DEADLINE_NEVER);
        return;
    }
    FZ_CHECK(weft_future_done(r->f));
    if (rc == -ECANCELED) {
        FZ_CHECK(weft_future_cancelled(r->f));
        FZ_CHECK(r->cancel_ok || H.cancel_pending);
        FZ_CHECK(!r->cancel_busy);
        /* relaxed: cancelled futures never run; nothing to order. */
        FZ_CHECK(atomic_load_explicit(&r->runs, memory_order_relaxed) == 0);
        return;
    }
    FZ_CHECK_RC(rc, r->rc);
    FZ_CHECK(res == r);
    FZ_CHECK(!r->cancel_ok && !weft_future_cancelled(r->f));
    /* relaxed: the result's acquire ordered the task's increment. */
    FZ_CHECK(atomic_load_explicit(&r->runs, memory_order_relaxed) == 1);
}

static weft_deadline_t
deadline(struct fz_reader *rd)
{
    switch (fz_u8(rd) % 3) {
    case 0:
        return WEFT_DEADLINE_POLL;
    case 1:
        return weft_deadline_in(SHORT_NS);
    default:
        return WEFT_DEADLINE_NEVER; /* every task ends */
    }
}

static struct rec *
pick(struct fz_reader *rd)
{
    return H.n ? &H.recs[fz_u8(rd) % H.n] : NULL;
}

/* ---- operations ---------------------------------------------------------- */

static void
op_submit(struct fz_reader *rd)
{
    struct rec *r = &H.recs[H.n];
    uint8_t b = fz_u8(rd);
    int rc;

    if (H.n == RECS)
        return;
    memset(r, 0, sizeof(*r));
    r->kind = (enum kind)(b % KINDS);
    r->rc = task_codes[(b / KINDS) % 3];
    if (r->kind == WAIT_EARLIER) {
        if (H.n == 0) {
            r->kind = PLAIN;
        } else {
            r->target_rec = pick(rd);
            r->target = r->target_rec->f;
            r->target_never = b & 0x80;
        }
    }
    rc = weft_pool_submit(H.pool, task_fn, r, &r->f);
    FZ_CHECK_RC(rc, H.shut_called ? -ESHUTDOWN : 0);
    if (rc == 0)
        H.n++;
}

static void
op_wait(struct fz_reader *rd)
{
    weft_future_t *fs[8];
    struct rec *rs[8];
    size_t n = fz_u8(rd) % 9, ndone = SIZE_MAX, done_now = 0, exc = 0;
    int mode = 1 + fz_u8(rd) % 3, rc;
    weft_deadline_t dl = deadline(rd);

    if (H.n == 0)
        n = 0;
    for (size_t i = 0; i < n; i++) {
        rs[i] = pick(rd);
        fs[i] = rs[i]->f;
    }
    rc = weft_wait(fs, n, mode, dl, &ndone);
    FZ_CHECK(rc == 0 || (rc == -ETIMEDOUT && dl != WEFT_DEADLINE_NEVER));
    FZ_CHECK(ndone <= n);
    for (size_t i = 0; i < n; i++) {
        void *res;
        if (!weft_future_done(fs[i]))
            continue;
        done_now++;
        check_result(rs[i], WEFT_DEADLINE_POLL);
        exc += weft_future_result(fs[i], WEFT_DEADLINE_POLL, &res) < 0 &&
               !weft_future_cancelled(fs[i]);
    }
    FZ_CHECK(ndone <= done_now); /* done is monotone */
    if (rc != 0)
        return;
    if (mode == WEFT_ALL_COMPLETED)
        FZ_CHECK(done_now == n);
    else if (mode == WEFT_FIRST_COMPLETED)
        FZ_CHECK(n == 0 || done_now > 0);
    else
        FZ_CHECK(done_now == n || exc > 0);
}

static void
op_waitset(struct fz_reader *rd)
{
    struct rec *r = pick(rd);
    weft_future_t *f = NULL;
    uintptr_t tag = UINTPTR_MAX;
    int rc;

    if (r != NULL && H.adds < ADDS && fz_u8(rd) % 2) {
        FZ_CHECK_RC(weft_waitset_add(H.ws, r->f, (uintptr_t)(r - H.recs)), 0);
        r->added++;
        H.adds++;
    } else {
        weft_deadline_t dl = deadline(rd);
        if (dl == WEFT_DEADLINE_NEVER && H.adds == H.returns)
            dl = WEFT_DEADLINE_POLL; /* would wait for nothing */
        rc = weft_waitset_next(H.ws, dl, &f, &tag);
        if (H.adds == H.returns) {
            FZ_CHECK_RC(rc, -ENOENT);
        } else if (rc == 0) {
            FZ_CHECK(tag < H.n && H.recs[tag].f == f);
            FZ_CHECK(++H.recs[tag].returned <= H.recs[tag].added);
            H.returns++;
            check_result(&H.recs[tag], WEFT_DEADLINE_POLL);
            FZ_CHECK(weft_future_done(f)); /* next() said it completed */
            weft_future_release(f);
        } else {
            FZ_CHECK(rc == -ETIMEDOUT && dl != WEFT_DEADLINE_NEVER);
        }
    }
    FZ_CHECK(weft_waitset_pending(H.ws) == H.adds - H.returns);
}

static void
op_shutdown(struct fz_reader *rd)
{
    uint8_t b = fz_u8(rd);
    unsigned flags = b & 1 ? WEFT_SHUTDOWN_CANCEL_PENDING
                           : (b & 2 ? WEFT_SHUTDOWN_DRAIN : 0);
    weft_deadline_t dl = deadline(rd);
    int rc;

    if (b % 16 == 15) {
        FZ_CHECK_RC(
            weft_pool_shutdown(
                H.pool, WEFT_SHUTDOWN_DRAIN | WEFT_SHUTDOWN_CANCEL_PENDING, dl),
            -EINVAL);
        FZ_CHECK_RC(weft_pool_shutdown(H.pool, 4u << (b % 8), dl), -EINVAL);
        return;
    }
    H.shut_called = true;
    if (flags & WEFT_SHUTDOWN_CANCEL_PENDING && !H.shut_done)
        H.cancel_pending = true;
    rc = weft_pool_shutdown(H.pool, flags, dl);
    FZ_CHECK(rc == 0 || (rc == -ETIMEDOUT && dl != WEFT_DEADLINE_NEVER));
    FZ_CHECK(!H.shut_done || rc == 0); /* a second call after joining */
    if (rc != 0)
        return;
    H.shut_done = true;
    for (unsigned i = 0; i < H.n; i++) {
        FZ_CHECK(weft_future_done(H.recs[i].f)); /* workers joined */
        check_result(&H.recs[i], WEFT_DEADLINE_POLL);
    }
}

static void
op_future(struct fz_reader *rd)
{
    struct rec *r = pick(rd);
    int rc;

    if (r == NULL)
        return;
    switch (fz_u8(rd) % 5) {
    case 0:
        rc = weft_future_cancel(r->f);
        FZ_CHECK(rc == 0 || rc == -EBUSY);
        FZ_CHECK(weft_future_done(r->f) || rc == -EBUSY);
        r->cancel_ok |= rc == 0;
        r->cancel_busy |= rc == -EBUSY;
        FZ_CHECK(!(r->cancel_ok && r->cancel_busy)); /* never both */
        break;
    case 1:
        check_result(r, deadline(rd));
        break;
    case 2:
        FZ_CHECK(!weft_future_cancelled(r->f) || weft_future_done(r->f));
        if (weft_future_done(r->f))
            check_result(r, WEFT_DEADLINE_POLL);
        break;
    case 3:
        FZ_CHECK_RC(weft_future_on_done(r->f, done_cb, r), 0);
        r->cbs_registered++;
        break;
    default:
        FZ_CHECK_RC(weft_future_retain(r->f), 0);
        weft_future_release(r->f);
        break;
    }
}

static int
run_fn(void *arg, void **result)
{
    FZ_CHECK(weft_pool_current() == H.pool && weft_worker_index() >= 0);
    *result = arg;
    return -EPIPE;
}

static void
op_bad(struct fz_reader *rd)
{
    struct weft_pool_opts opts = WEFT_POOL_OPTS_INIT;
    weft_pool_t *none = NULL;
    weft_future_t *f = NULL;
    void *res = NULL;
    weft_task_t t;

    switch (fz_u8(rd) % 6) {
    case 0:
        FZ_CHECK_RC(weft_pool_submit(NULL, task_fn, NULL, &f), -EINVAL);
        FZ_CHECK_RC(weft_pool_submit(H.pool, NULL, NULL, &f), -EINVAL);
        FZ_CHECK_RC(weft_pool_submit(H.pool, task_fn, NULL, NULL), -EINVAL);
        FZ_CHECK(f == NULL);
        break;
    case 1:
        FZ_CHECK_RC(weft_future_result(NULL, WEFT_DEADLINE_NEVER, &res),
                    -EINVAL);
        FZ_CHECK_RC(weft_future_cancel(NULL), -EINVAL);
        FZ_CHECK_RC(weft_future_retain(NULL), -EINVAL);
        FZ_CHECK_RC(weft_future_on_done(NULL, done_cb, NULL), -EINVAL);
        FZ_CHECK(!weft_future_done(NULL) && !weft_future_running(NULL) &&
                 !weft_future_cancelled(NULL));
        weft_future_release(NULL);
        break;
    case 2:
        FZ_CHECK_RC(
            weft_wait(NULL, 1, WEFT_ALL_COMPLETED, WEFT_DEADLINE_NEVER, NULL),
            -EINVAL);
        FZ_CHECK_RC(
            weft_wait(&f, 1, WEFT_ALL_COMPLETED, WEFT_DEADLINE_NEVER, NULL),
            -EINVAL);
        if (H.n > 0)
            FZ_CHECK_RC(weft_wait(&H.recs[0].f, 1, 4 + fz_u8(rd) % 8,
                                  WEFT_DEADLINE_NEVER, NULL),
                        -EINVAL);
        break;
    case 3:
        FZ_CHECK_RC(weft_waitset_add(NULL, f, 0), -EINVAL);
        FZ_CHECK_RC(weft_waitset_add(H.ws, NULL, 0), -EINVAL);
        FZ_CHECK_RC(weft_waitset_next(H.ws, WEFT_DEADLINE_POLL, NULL, NULL),
                    -EINVAL);
        FZ_CHECK(weft_waitset_pending(NULL) == 0);
        break;
    case 4:
        FZ_CHECK_RC(weft_pool_shutdown(NULL, 0, WEFT_DEADLINE_POLL), -EINVAL);
        FZ_CHECK_RC(weft_pool_destroy(NULL), -EINVAL);
        FZ_CHECK_RC(weft_pool_run(NULL, run_fn, NULL, NULL), -EINVAL);
        FZ_CHECK_RC(weft_pool_run(H.pool, NULL, NULL, NULL), -EINVAL);
        FZ_CHECK(weft_pool_workers(NULL) == 0);
        FZ_CHECK(weft_pool_current() == NULL && weft_worker_index() == -1);
        FZ_CHECK_RC(weft_spawn(NULL, run_fn, NULL), -EINVAL);
        FZ_CHECK_RC(weft_spawn(&t, run_fn, NULL), -EPERM); /* not a task */
        break;
    default:
        switch (fz_u8(rd) % 4) {
        case 0:
            /* below the first version of the struct (name included) */
            opts.size = fz_u8(rd) % (offsetof(struct weft_pool_opts, name) +
                                     sizeof(opts.name));
            break;
        case 1:
            opts.workers = WEFT_POOL_MAX_WORKERS + 1 + fz_u8(rd);
            break;
        case 2:
            opts.victim = 3 + fz_u8(rd);
            break;
        default:
            opts.order = 2 + fz_u8(rd);
            break;
        }
        FZ_CHECK_RC(weft_pool_create(&opts, &none), -EINVAL);
        FZ_CHECK(none == NULL);
        FZ_CHECK_RC(weft_pool_create(NULL, NULL), -EINVAL);
        break;
    }
}

static void
step(struct fz_reader *rd)
{
    void *res = NULL;

    switch (fz_u8(rd) % 12) {
    case 0:
    case 1:
    case 2:
        op_submit(rd);
        break;
    case 3:
    case 4:
        op_future(rd);
        break;
    case 5:
    case 6:
        op_waitset(rd);
        break;
    case 7:
        op_wait(rd);
        break;
    case 8:
        op_shutdown(rd);
        break;
    case 9:
        FZ_CHECK_RC(weft_pool_run(H.pool, run_fn, &H, &res),
                    H.shut_called ? -ESHUTDOWN : -EPIPE);
        FZ_CHECK(H.shut_called || res == &H);
        break;
    case 10:
        op_bad(rd);
        break;
    default:
        FZ_CHECK(weft_pool_workers(H.pool) >= 1);
        break;
    }
}

/* ---- one input ----------------------------------------------------------- */

static void
final_checks(void)
{
    for (unsigned i = 0; i < H.n; i++) {
        struct rec *r = &H.recs[i];
        /* relaxed: the pool is joined; its workers' writes are ordered. */
        int runs = atomic_load_explicit(&r->runs, memory_order_relaxed);

        FZ_CHECK(weft_future_done(r->f));
        FZ_CHECK(runs == (weft_future_cancelled(r->f) ? 0 : 1));
        FZ_CHECK(!weft_future_cancelled(r->f) || !r->cancel_busy);
        FZ_CHECK(!r->cancel_ok || weft_future_cancelled(r->f));
        check_result(r, WEFT_DEADLINE_POLL);
        /* relaxed: as above. */
        FZ_CHECK(atomic_load_explicit(&r->cbs, memory_order_relaxed) ==
                 r->cbs_registered);
        FZ_CHECK(r->returned == r->added);
        if (r->kind == CHILD && runs == 1) {
            struct child *c = &r->child;
            /* relaxed: joined. */
            int cruns = atomic_load_explicit(&c->runs, memory_order_relaxed);
            FZ_CHECK(weft_future_done(c->f));
            FZ_CHECK(cruns == (weft_future_cancelled(c->f) ? 0 : 1));
            FZ_CHECK(!weft_future_cancelled(c->f) || H.cancel_pending);
            FZ_CHECK(c->waited_rc == (cruns ? -EPIPE : -ECANCELED));
            weft_future_release(c->f);
        }
        if (r->kind == WAIT_EARLIER && runs == 1) {
            struct rec *t = r->target_rec;
            FZ_CHECK(r->waited_rc == -ETIMEDOUT ||
                     r->waited_rc ==
                         (weft_future_cancelled(t->f) ? -ECANCELED : t->rc));
        }
    }
    for (unsigned i = 0; i < H.n; i++)
        weft_future_release(H.recs[i].f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_reader rd = {data, size};
    struct weft_pool_opts opts = WEFT_POOL_OPTS_INIT;
    uint8_t c0 = fz_u8(&rd), c1 = fz_u8(&rd), b;
    weft_future_t *f;
    uintptr_t tag;

    H.n = H.adds = H.returns = 0;
    H.shut_called = H.shut_done = H.cancel_pending = false;
    opts.workers = 1 + c0 % 4;
    opts.victim = (c0 >> 2) % 3;
    opts.steal = (c0 >> 4) & 1;
    opts.order = (c0 >> 5) & 1;
    opts.spin = 1 + c1 % 64;
    opts.spin_yield = (c1 >> 6) & 1;
    opts.park_timeout_ns = c0 & 0x40 ? 0 : 20 * WEFT_NS_PER_US;
    opts.name = "fuzz";
    FZ_CHECK_RC(weft_pool_create(&opts, &H.pool), 0);
    FZ_CHECK(weft_pool_workers(H.pool) == opts.workers);
    FZ_CHECK_RC(weft_waitset_create(c1 & 0x80 ? H.pool : NULL, &H.ws), 0);
    for (unsigned i = 0; i < MAX_OPS && fz_more(&rd); i++)
        step(&rd);
    /* The end: shut down (or let destroy drain), then every entry. */
    b = fz_u8(&rd);
    if (b & 1) {
        if (b & 2)
            H.cancel_pending |= !H.shut_done;
        FZ_CHECK_RC(weft_pool_shutdown(H.pool,
                                       b & 2 ? WEFT_SHUTDOWN_CANCEL_PENDING
                                             : WEFT_SHUTDOWN_DRAIN,
                                       WEFT_DEADLINE_NEVER),
                    0);
    }
    FZ_CHECK_RC(weft_pool_destroy(H.pool), 0);
    while (H.returns < H.adds) {
        FZ_CHECK_RC(weft_waitset_next(H.ws, WEFT_DEADLINE_POLL, &f, &tag), 0);
        FZ_CHECK(tag < H.n && H.recs[tag].f == f);
        H.recs[tag].returned++;
        H.returns++;
        weft_future_release(f);
    }
    FZ_CHECK_RC(weft_waitset_next(H.ws, WEFT_DEADLINE_POLL, &f, &tag), -ENOENT);
    weft_waitset_destroy(H.ws);
    final_checks();
    return 0;
}
