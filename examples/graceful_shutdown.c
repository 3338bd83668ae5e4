/* SPDX-License-Identifier: MIT */
/*
 * graceful_shutdown.c - stop long-running workers on an event, then shut
 * the pool down, cancelling work that never started. In Python:
 *
 *     stop = threading.Event()
 *     def poller():
 *         while not stop.wait(0.001):   # sleep 1 ms, or wake at once
 *             poll_once()
 *     ...
 *     ex.shutdown(wait=False, cancel_futures=True)
 *     stop.set()
 *     ex.shutdown(wait=True)
 *
 * A server would call weft_event_set() from its signal-handling thread
 * (sigwait()) on SIGTERM. Here the main thread sets it once the pollers
 * have done some work. The order matters: shutdown with
 * WEFT_SHUTDOWN_CANCEL_PENDING first (new outside submissions fail with
 * -ESHUTDOWN from then on and queued futures complete as -ECANCELED),
 * then the event lets the running tasks return, then a second shutdown
 * call waits for the workers to exit.
 */
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

enum { POLLERS = 2, QUEUED = 5, WARMUP_POLLS = 20 };

static struct weft_event stop;
static struct weft_latch all_started;
static weft_counter_t *polls;

/* A long-running task: poll every millisecond until `stop` is set; the
 * result is how many times it polled. */
static int
poller(void *arg, void **result)
{
    uintptr_t n = 0;
    int rc;

    (void)arg;
    weft_latch_count_down(&all_started, 1);
    for (;;) {
        rc = weft_event_wait(&stop, weft_deadline_in(WEFT_NS_PER_MS));
        if (rc == 0)
            break; /* stop was set */
        if (rc != -ETIMEDOUT)
            return rc;
        weft_counter_inc(polls); /* "poll_once()" */
        n++;
    }
    *result = (void *)n;
    return 0;
}

static int
never_runs(void *arg, void **result)
{
    (void)arg;
    (void)result;
    return -EPROTO; /* a wrong result if it ever ran */
}

int
main(void)
{
    struct weft_pool_opts opts = WEFT_POOL_OPTS_INIT;
    weft_pool_t *pool;
    weft_future_t *pollers[POLLERS], *queued[QUEUED], *late;
    int64_t total = 0;
    uintptr_t sum = 0;
    void *res;
    int rc;

    CHECK(weft_event_init(&stop) == 0);
    CHECK(weft_latch_init(&all_started, POLLERS) == 0);
    CHECK(weft_counter_create(&polls) == 0);
    opts.workers = POLLERS; /* the pollers occupy every worker */
    CHECK(weft_pool_create(&opts, &pool) == 0);
    for (int i = 0; i < POLLERS; i++)
        CHECK(weft_pool_submit(pool, poller, NULL, &pollers[i]) == 0);
    CHECK(weft_latch_wait(&all_started,
                          weft_deadline_in(20 * WEFT_NS_PER_SEC)) == 0);
    /* These wait behind the pollers: no worker is free to start them. */
    for (int i = 0; i < QUEUED; i++)
        CHECK(weft_pool_submit(pool, never_runs, NULL, &queued[i]) == 0);

    /* Let the pollers work a little. */
    while (total < WARMUP_POLLS) {
        CHECK(weft_event_wait(&stop, weft_deadline_in(WEFT_NS_PER_MS)) ==
              -ETIMEDOUT);
        CHECK(weft_counter_read(polls, &total) == 0);
    }

    /* 1. Stop accepting work and cancel what has not started. The
     * pollers still run, so the workers cannot exit yet: -ETIMEDOUT. */
    rc = weft_pool_shutdown(pool, WEFT_SHUTDOWN_CANCEL_PENDING,
                            WEFT_DEADLINE_POLL);
    CHECK(rc == -ETIMEDOUT);
    CHECK(weft_pool_submit(pool, never_runs, NULL, &late) == -ESHUTDOWN);

    /* 2. Tell the long-running tasks to finish. */
    CHECK(weft_event_set(&stop) == 0);

    /* 3. Wait (with a deadline) for the workers to exit. */
    CHECK(weft_pool_shutdown(pool, WEFT_SHUTDOWN_CANCEL_PENDING,
                             weft_deadline_in(20 * WEFT_NS_PER_SEC)) == 0);

    for (int i = 0; i < POLLERS; i++) {
        CHECK(weft_future_result(pollers[i], WEFT_DEADLINE_POLL, &res) == 0);
        sum += (uintptr_t)res;
        weft_future_release(pollers[i]);
    }
    for (int i = 0; i < QUEUED; i++) {
        CHECK(weft_future_cancelled(queued[i]));
        CHECK(weft_future_result(queued[i], WEFT_DEADLINE_POLL, NULL) ==
              -ECANCELED);
        weft_future_release(queued[i]);
    }
    /* The pollers are done: the counter is exact and matches them. */
    CHECK(weft_counter_read(polls, &total) == 0 && (uintptr_t)total == sum);
    printf("%d pollers polled %lld times; %d queued tasks cancelled\n", POLLERS,
           (long long)total, QUEUED);

    CHECK(weft_pool_destroy(pool) == 0);
    weft_counter_destroy(polls);
    CHECK(weft_latch_fini(&all_started) == 0);
    CHECK(weft_event_fini(&stop) == 0);
    return 0;
}
