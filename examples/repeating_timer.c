/* SPDX-License-Identifier: MIT */
/*
 * repeating_timer.c - run a function every period until told to stop. In
 * Python:
 *
 *     class RepeatingTimer(threading.Thread):
 *         def __init__(self, interval, fn):
 *             super().__init__(daemon=True)
 *             self.stopped = threading.Event(); ...
 *         def run(self):
 *             while not self.stopped.wait(self.interval):
 *                 self.fn()
 *     t = RepeatingTimer(0.01, heartbeat); t.start()
 *     ...
 *     t.stopped.set()
 *
 * weft_pool_submit_every() needs no thread per timer: one timer thread
 * for the whole process submits each run to the pool, at a fixed rate
 * (runs never overlap; missed periods are skipped, never bunched). The
 * timer is a future: weft_future_cancel() stops it, and a run that
 * returns an error stops it too (its code becomes the future's result).
 * Checked: at most the run in progress during the cancel runs after it
 * (runs never overlap), and the failing timer ran exactly until its
 * failing run.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <weft.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

enum { PERIOD_MS = 5, BEATS = 5, FAIL_AT = 3 };

struct beat {
    _Atomic int started;
    struct weft_event enough; /* set by every run from the BEATS-th on */
};

static int
heartbeat(void *arg, void **result)
{
    struct beat *b = arg;
    /* relaxed: a run count; the event and the future give the ordering. */
    int n = atomic_fetch_add_explicit(&b->started, 1, memory_order_relaxed);

    (void)result;
    if (n + 1 >= BEATS)
        weft_event_set(&b->enough);
    return 0;
}

/* A job that fails on its FAIL_AT-th run: the timer stops by itself. */
static int
flaky(void *arg, void **result)
{
    _Atomic int *runs = arg;

    (void)result;
    /* relaxed: runs never overlap, and the future orders the last one. */
    if (atomic_fetch_add_explicit(runs, 1, memory_order_relaxed) + 1 == FAIL_AT)
        return -EIO;
    return 0;
}

int
main(void)
{
    struct weft_pool_opts opts = WEFT_POOL_OPTS_INIT;
    static struct beat b;
    static _Atomic int flaky_runs;
    weft_future_t *timer, *failing;
    weft_pool_t *pool;
    int after_cancel;

    CHECK(weft_event_init(&b.enough) == 0);
    opts.workers = 2;
    CHECK(weft_pool_create(&opts, &pool) == 0);
    CHECK(weft_pool_submit_every(pool, PERIOD_MS * WEFT_NS_PER_MS, heartbeat,
                                 &b, &timer) == 0);
    CHECK(weft_event_wait(&b.enough, weft_deadline_in(30 * WEFT_NS_PER_SEC)) ==
          0);

    /* t.stopped.set(): cancel through the future. A run in progress may
     * still finish; none starts after cancel returned. */
    CHECK(weft_future_cancel(timer) == 0);
    CHECK(weft_future_result(timer, WEFT_DEADLINE_POLL, NULL) == -ECANCELED);
    /* relaxed: a count; compared below. */
    after_cancel = atomic_load_explicit(&b.started, memory_order_relaxed);
    /* Ten more periods: a timer that was not really stopped would run
     * again and again; at most the one run in progress during the cancel
     * may still have entered heartbeat() after it returned. */
    nanosleep(&(struct timespec){0, 10 * PERIOD_MS * 1000000L}, NULL);
    /* relaxed: a count. */
    CHECK(atomic_load_explicit(&b.started, memory_order_relaxed) <=
          after_cancel + 1);
    CHECK(after_cancel >= BEATS);
    weft_future_release(timer);

    /* A run that fails ends the timer with its code. */
    CHECK(weft_pool_submit_every(pool, PERIOD_MS * WEFT_NS_PER_MS, flaky,
                                 &flaky_runs, &failing) == 0);
    CHECK(weft_future_result(failing, WEFT_DEADLINE_NEVER, NULL) == -EIO);
    weft_future_release(failing);
    /* relaxed: the future's completion ordered the last run before us. */
    CHECK(atomic_load_explicit(&flaky_runs, memory_order_relaxed) == FAIL_AT);

    printf("heartbeat ran %d times every %d ms until cancelled; the flaky "
           "timer stopped itself after run %d\n",
           after_cancel, PERIOD_MS, FAIL_AT);
    CHECK(weft_pool_destroy(pool) == 0);
    CHECK(weft_event_fini(&b.enough) == 0);
    return 0;
}
