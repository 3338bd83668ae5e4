/* SPDX-License-Identifier: MIT */
/*
 * producer_consumer.c - Python's
 *
 *     q = queue.Queue(maxsize=8)
 *     def consumer():
 *         while True:
 *             try:
 *                 item = q.get()
 *             except queue.ShutDown:
 *                 return
 *             process(item)
 *             q.task_done()
 *     for item in range(N): q.put(item)   # blocks while the queue is full
 *     q.join()                            # every item processed
 *     q.shutdown()                        # consumers leave their loop
 *
 * in C with a bounded weft_queue. The consumers are tasks on a pool with
 * one worker per consumer: a blocking get blocks the worker that runs it.
 * Items are opaque pointers; here small integers are carried in them.
 * weft_queue_join() returns once every item put has been task_done()'d,
 * and what the consumers did before task_done() is visible after it.
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

enum { N = 2000, CAPACITY = 8, CONSUMERS = 3 };

static weft_queue_t *q;
static weft_atomic_t processed_sum = WEFT_ATOMIC_INIT(0);

/* A consumer task: process items until the queue is shut down; the result
 * is how many items this consumer processed. */
static int
consumer(void *arg, void **result)
{
    uintptr_t count = 0;
    void *item;
    int rc;

    (void)arg;
    while ((rc = weft_queue_get(q, &item, WEFT_DEADLINE_NEVER)) == 0) {
        /* "process" the item */
        weft_atomic_add(&processed_sum, (int64_t)(intptr_t)item, NULL);
        count++;
        CHECK(weft_queue_task_done(q) == 0);
    }
    /* -ESHUTDOWN: shut down and drained. Anything else is a bug. */
    *result = (void *)count;
    return rc == -ESHUTDOWN ? 0 : rc;
}

int
main(void)
{
    struct weft_pool_opts opts = WEFT_POOL_OPTS_INIT;
    weft_pool_t *pool;
    weft_future_t *consumers[CONSUMERS];
    int64_t sum, want = 0;
    uintptr_t total = 0;
    void *res;

    opts.workers = CONSUMERS;
    CHECK(weft_pool_create(&opts, &pool) == 0);
    CHECK(weft_queue_create(WEFT_QUEUE_FIFO, CAPACITY, &q) == 0);
    for (int i = 0; i < CONSUMERS; i++)
        CHECK(weft_pool_submit(pool, consumer, NULL, &consumers[i]) == 0);

    /* The producer: put blocks while CAPACITY items wait (backpressure). */
    for (intptr_t item = 1; item <= N; item++) {
        CHECK(weft_queue_put(q, (void *)item, WEFT_DEADLINE_NEVER) == 0);
        want += item;
    }

    /* q.join(): wait until every item was processed (task_done). */
    CHECK(weft_queue_join(q, weft_deadline_in(20 * WEFT_NS_PER_SEC)) == 0);
    CHECK(weft_atomic_load(&processed_sum, &sum) == 0);
    printf("processed %d items, sum %lld\n", N, (long long)sum);
    CHECK(sum == want);
    CHECK(weft_queue_len(q) == 0);

    /* q.shutdown(): blocked gets wake with -ESHUTDOWN; a put now fails. */
    CHECK(weft_queue_shutdown(q, 0) == 0);
    CHECK(weft_queue_put(q, NULL, WEFT_DEADLINE_POLL) == -ESHUTDOWN);
    for (int i = 0; i < CONSUMERS; i++) {
        CHECK(weft_future_result(consumers[i], WEFT_DEADLINE_NEVER, &res) == 0);
        printf("consumer %d took %lu items\n", i,
               (unsigned long)(uintptr_t)res);
        total += (uintptr_t)res;
        weft_future_release(consumers[i]);
    }
    CHECK(total == N);

    CHECK(weft_pool_destroy(pool) == 0);
    CHECK(weft_queue_destroy(q) == 0);
    return 0;
}
