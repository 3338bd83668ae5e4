/* SPDX-License-Identifier: MIT */
/*
 * semaphore.c - threading.BoundedSemaphore limiting how many tasks use a
 * scarce resource at once (say, 3 database connections for 6 workers):
 *
 *     conns = threading.BoundedSemaphore(3)
 *     def query(q):
 *         with conns:
 *             return run(q)
 *
 * weft_sem_init(&sem, 3, 3) is BoundedSemaphore(3): releasing more than
 * was acquired fails with -EOVERFLOW (Python's ValueError) instead of
 * silently raising the limit. The example measures the most tasks ever
 * inside at once and checks it never exceeds the limit.
 */
#include <stdint.h>
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

enum { CONNECTIONS = 3, WORKERS = 6, QUERIES = 24 };

static struct weft_sem conns;
static weft_atomic_t inside = WEFT_ATOMIC_INIT(0);
static weft_atomic_t most_inside = WEFT_ATOMIC_INIT(0);

/* Record a new maximum of `inside` (a CAS loop on one atomic). */
static void
note_max(int64_t now)
{
    int64_t seen;

    weft_atomic_load(&most_inside, &seen);
    while (now > seen && weft_atomic_cas(&most_inside, &seen, now) != 0)
        ; /* seen was reloaded: retry */
}

static int
query(void *arg, void **result)
{
    struct timespec ts = {0, 1000000}; /* the query takes 1 ms */
    int64_t now;
    int rc;

    rc = weft_sem_acquire(&conns, weft_deadline_in(20 * WEFT_NS_PER_SEC));
    if (rc != 0)
        return rc;
    weft_atomic_add(&inside, 1, &now);
    note_max(now);
    nanosleep(&ts, NULL);
    weft_atomic_add(&inside, -1, NULL);
    *result = arg;
    return weft_sem_release(&conns, 1);
}

int
main(void)
{
    struct weft_pool_opts opts = WEFT_POOL_OPTS_INIT;
    weft_pool_t *pool;
    weft_future_t *fs[QUERIES];
    int64_t most;
    void *res;

    CHECK(weft_sem_init(&conns, CONNECTIONS, CONNECTIONS) == 0);
    opts.workers = WORKERS; /* more workers than connections */
    CHECK(weft_pool_create(&opts, &pool) == 0);
    for (intptr_t i = 0; i < QUERIES; i++)
        CHECK(weft_pool_submit(pool, query, (void *)i, &fs[i]) == 0);
    for (intptr_t i = 0; i < QUERIES; i++) {
        CHECK(weft_future_result(fs[i], WEFT_DEADLINE_NEVER, &res) == 0);
        CHECK((intptr_t)res == i);
        weft_future_release(fs[i]);
    }
    CHECK(weft_atomic_load(&most_inside, &most) == 0);
    printf("%d queries, at most %lld connections in use at once (limit %d)\n",
           QUERIES, (long long)most, CONNECTIONS);
    CHECK(most >= 1 && most <= CONNECTIONS);

    /* Every unit is back, and a bounded semaphore refuses one more. */
    CHECK(weft_sem_value(&conns) == CONNECTIONS);
    CHECK(weft_sem_release(&conns, 1) == -EOVERFLOW);

    CHECK(weft_pool_destroy(pool) == 0);
    CHECK(weft_sem_fini(&conns) == 0);
    return 0;
}
