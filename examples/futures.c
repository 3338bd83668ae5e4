/* SPDX-License-Identifier: MIT */
/*
 * futures.c - the rest of Python's Future and concurrent.futures.wait():
 *
 *     f.cancel()  f.cancelled()  f.running()  f.done()
 *     f.result(timeout=0.01)                  # TimeoutError
 *     f.add_done_callback(cb)
 *     done, not_done = wait(fs, timeout, return_when=FIRST_COMPLETED)
 *
 * One worker is kept busy by a task that waits for an event, so the
 * futures submitted behind it stay pending and can be cancelled.
 * Differences from Python: cancel() returns 0 or -EBUSY instead of
 * True/False; result() and wait() take absolute deadlines and return
 * -ETIMEDOUT; wait() counts the done futures (weft_future_done() tells
 * which) instead of returning two sets.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <weft.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

static struct weft_event started, go;

/* Occupies the pool's only worker until `go` is set. */
static int
blocker(void *arg, void **result)
{
    (void)arg;
    weft_event_set(&started);
    if (weft_event_wait(&go, weft_deadline_in(20 * WEFT_NS_PER_SEC)) != 0)
        return -ETIMEDOUT;
    *result = (void *)(uintptr_t)42;
    return 0;
}

static int
answer(void *arg, void **result)
{
    *result = arg;
    return 0;
}

/* A done callback: ctx is the caller's. */
struct seen {
    struct weft_latch latch;
    weft_future_t *who;
};

static void
on_done(weft_future_t *f, void *ctx)
{
    struct seen *s = ctx;

    s->who = f;
    weft_latch_count_down(&s->latch, 1);
}

int
main(void)
{
    struct weft_pool_opts opts = WEFT_POOL_OPTS_INIT;
    weft_pool_t *pool;
    weft_future_t *busy, *doomed, *later, *both[2];
    struct seen cb1, cb2;
    size_t ndone;
    void *res;

    CHECK(weft_event_init(&started) == 0 && weft_event_init(&go) == 0);
    opts.workers = 1;
    CHECK(weft_pool_create(&opts, &pool) == 0);

    CHECK(weft_pool_submit(pool, blocker, NULL, &busy) == 0);
    CHECK(weft_event_wait(&started, weft_deadline_in(20 * WEFT_NS_PER_SEC)) ==
          0);
    CHECK(weft_future_running(busy) && !weft_future_done(busy));
    CHECK(weft_pool_submit(pool, answer, (void *)7, &doomed) == 0);
    CHECK(weft_pool_submit(pool, answer, (void *)8, &later) == 0);

    /* cancel(): a pending future never runs; a running one cannot be. */
    CHECK(weft_future_cancel(doomed) == 0);
    CHECK(weft_future_cancelled(doomed) && weft_future_done(doomed));
    CHECK(weft_future_result(doomed, WEFT_DEADLINE_POLL, NULL) == -ECANCELED);
    CHECK(weft_future_cancel(busy) == -EBUSY);

    /* result(timeout=0.01): -ETIMEDOUT, and the task goes on. */
    CHECK(weft_future_result(busy, weft_deadline_in(10 * WEFT_NS_PER_MS),
                             &res) == -ETIMEDOUT);

    /* add_done_callback() on a future that is not done yet. */
    CHECK(weft_latch_init(&cb1.latch, 1) == 0);
    CHECK(weft_future_on_done(busy, on_done, &cb1) == 0);

    /* wait(FIRST_COMPLETED, timeout): nothing can finish yet. */
    both[0] = busy;
    both[1] = later;
    CHECK(weft_wait(both, 2, WEFT_FIRST_COMPLETED,
                    weft_deadline_in(10 * WEFT_NS_PER_MS),
                    &ndone) == -ETIMEDOUT);
    CHECK(ndone == 0);

    /* Let the blocker finish; wait(ALL_COMPLETED). */
    CHECK(weft_event_set(&go) == 0);
    CHECK(weft_wait(both, 2, WEFT_ALL_COMPLETED,
                    weft_deadline_in(20 * WEFT_NS_PER_SEC), &ndone) == 0);
    CHECK(ndone == 2 && weft_future_done(busy) && weft_future_done(later));
    CHECK(weft_future_result(busy, WEFT_DEADLINE_POLL, &res) == 0);
    CHECK((uintptr_t)res == 42);
    CHECK(weft_future_result(later, WEFT_DEADLINE_POLL, &res) == 0);
    CHECK((uintptr_t)res == 8);

    /* The callback ran once, on the thread that completed the future. It
     * may still be running when result() returns: wait for its latch. */
    CHECK(weft_latch_wait(&cb1.latch, weft_deadline_in(20 * WEFT_NS_PER_SEC)) ==
          0);
    CHECK(cb1.who == busy);

    /* On a future that is already done, the callback runs at once, here. */
    CHECK(weft_latch_init(&cb2.latch, 1) == 0);
    CHECK(weft_future_on_done(doomed, on_done, &cb2) == 0);
    CHECK(weft_latch_count(&cb2.latch) == 0 && cb2.who == doomed);
    printf("cancel, timeout, callbacks and wait behaved as documented\n");

    weft_future_release(busy);
    weft_future_release(doomed);
    weft_future_release(later);
    CHECK(weft_pool_destroy(pool) == 0);
    CHECK(weft_latch_fini(&cb1.latch) == 0 && weft_latch_fini(&cb2.latch) == 0);
    CHECK(weft_event_fini(&started) == 0 && weft_event_fini(&go) == 0);
    return 0;
}
