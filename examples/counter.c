/* SPDX-License-Identifier: MIT */
/*
 * counter.c - the classic threading tutorial: `counter += 1` from many
 * threads loses updates, so Python wraps it in a Lock:
 *
 *     with lock:
 *         counter += 1
 *
 * weft offers three ways, all shown here with tasks on a pool:
 * - weft_lock around a plain variable (Python's Lock; fine, but every
 *   increment takes the lock);
 * - weft_atomic_t: one shared atomic, when the caller needs the value its
 *   add produced (ticket numbers, like next(itertools.count()));
 * - weft_counter_t: a sharded statistics counter, each thread adds to its
 *   own slot; the cheapest when nobody needs the value of each add. Its
 *   read is exact once the adding tasks have completed.
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

enum { TASKS = 8, PER_TASK = 20000, TOTAL = TASKS * PER_TASK };

static struct weft_lock lock;
static long locked_counter; /* protected by lock */
static weft_atomic_t next_ticket = WEFT_ATOMIC_INIT(0);
static weft_counter_t *requests;
static int64_t tickets[TOTAL]; /* task t writes [t*PER_TASK, (t+1)*PER_TASK) */

static int
worker(void *arg, void **result)
{
    intptr_t t = (intptr_t)arg;

    (void)result;
    for (int i = 0; i < PER_TASK; i++) {
        /* 1. A lock around a plain increment. */
        if (weft_lock_acquire(&lock, WEFT_DEADLINE_NEVER) != 0)
            return -EINVAL;
        locked_counter++;
        weft_lock_release(&lock);

        /* 2. An atomic add that returns the new value: a unique ticket. */
        weft_atomic_add(&next_ticket, 1, &tickets[t * PER_TASK + i]);

        /* 3. A statistics counter: an add to this thread's own slot. */
        weft_counter_inc(requests);
    }
    return 0;
}

int
main(void)
{
    static bool seen[TOTAL + 1];
    weft_pool_t *pool;
    weft_future_t *fs[TASKS];
    int64_t value;

    CHECK(weft_lock_init(&lock) == 0);
    CHECK(weft_counter_create(&requests) == 0);
    CHECK(weft_pool_create(NULL, &pool) == 0);
    for (intptr_t t = 0; t < TASKS; t++)
        CHECK(weft_pool_submit(pool, worker, (void *)t, &fs[t]) == 0);
    for (int t = 0; t < TASKS; t++) {
        CHECK(weft_future_result(fs[t], WEFT_DEADLINE_NEVER, NULL) == 0);
        weft_future_release(fs[t]);
    }

    /* Every task completed: their writes are visible, counts are exact. */
    CHECK(locked_counter == TOTAL);
    CHECK(weft_atomic_load(&next_ticket, &value) == 0 && value == TOTAL);
    CHECK(weft_counter_read(requests, &value) == 0 && value == TOTAL);
    /* Each ticket 1..TOTAL was handed out exactly once. */
    for (int i = 0; i < TOTAL; i++) {
        CHECK(tickets[i] >= 1 && tickets[i] <= TOTAL && !seen[tickets[i]]);
        seen[tickets[i]] = true;
    }
    printf("lock: %ld, atomic: %d unique tickets, counter: %lld\n",
           locked_counter, TOTAL, (long long)value);

    CHECK(weft_counter_reset(requests) == 0);
    CHECK(weft_counter_read(requests, &value) == 0 && value == 0);

    CHECK(weft_pool_destroy(pool) == 0);
    weft_counter_destroy(requests);
    CHECK(weft_lock_fini(&lock) == 0);
    return 0;
}
