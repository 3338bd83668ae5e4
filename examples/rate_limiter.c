/* SPDX-License-Identifier: MIT */
/*
 * rate_limiter.c - a token bucket around calls to a rate-limited service,
 * shared by many tasks. In Python:
 *
 *     class TokenBucket:
 *         def __init__(self, rate, burst):
 *             self.lock = threading.Lock(); self.tokens = burst; ...
 *         def acquire(self):
 *             while True:
 *                 with self.lock:
 *                     self._refill()
 *                     if self.tokens >= 1:
 *                         self.tokens -= 1
 *                         return
 *                     wait = (1 - self.tokens) / self.rate
 *                 time.sleep(wait)
 *
 *     bucket = TokenBucket(rate=200, burst=10)
 *     def call(i):
 *         bucket.acquire()
 *         return api(i)
 *     results = list(ex.map(call, range(60)))
 *
 * weft_ratelimit is that bucket without the lock: one atomic word (GCRA).
 * weft_ratelimit_acquire() sleeps exactly until the permit is due;
 * weft_ratelimit_try_acquire() never waits and says how long to wait
 * (Python's "non-blocking acquire"). What is checked is the limiter's
 * contract, not speed: N permits granted since creation at time t0 take
 * at least (N - burst) / rate seconds, whatever the load on the machine.
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

enum { CALLS = 60, RATE = 200, BURST = 10, WORKERS = 4 };

static weft_ratelimit_t *bucket;
static weft_counter_t *api_calls;

/* The rate-limited service: here it only counts its calls. */
static int
api(intptr_t i, void **result)
{
    weft_counter_inc(api_calls);
    *result = (void *)(i * i);
    return 0;
}

/* Each task takes one permit (sleeping until it is due), then calls. */
static int
call(void *arg, void **result)
{
    int rc = weft_ratelimit_acquire(bucket, 1,
                                    weft_deadline_in(30 * WEFT_NS_PER_SEC));

    if (rc != 0)
        return rc; /* -ETIMEDOUT: the call is not made */
    return api((intptr_t)arg, result);
}

int
main(void)
{
    struct weft_pool_opts opts = WEFT_POOL_OPTS_INIT;
    void *args[CALLS], *results[CALLS];
    int errors[CALLS];
    uint64_t t0, elapsed, map_elapsed, wait_ns;
    int64_t calls;
    weft_pool_t *pool;
    int granted = 0;

    CHECK(weft_counter_create(&api_calls) == 0);
    t0 = weft_now_ns();
    CHECK(weft_ratelimit_create(RATE, BURST, NULL, &bucket) == 0);
    opts.workers = WORKERS;
    CHECK(weft_pool_create(&opts, &pool) == 0);

    /* ex.map(call, range(CALLS)): every call waits for its permit. */
    for (intptr_t i = 0; i < CALLS; i++)
        args[i] = (void *)i;
    CHECK(weft_pool_map(pool, call, args, CALLS, results, errors,
                        WEFT_DEADLINE_NEVER) == 0);
    elapsed = map_elapsed = weft_now_ns() - t0;
    for (intptr_t i = 0; i < CALLS; i++)
        CHECK(errors[i] == 0 && results[i] == (void *)(i * i));
    CHECK(weft_counter_read(api_calls, &calls) == 0 && calls == CALLS);
    /* The limiter's promise: at most BURST + RATE * elapsed permits. */
    CHECK((double)CALLS <= BURST + (double)RATE * (double)elapsed / 1e9);

    /* Non-blocking: tries fail at once while the bucket is empty, and say
     * how long until a permit is due. Counting every permit granted since
     * creation, the promise above still holds. */
    for (int i = 0; i < BURST + 5; i++) {
        if (weft_ratelimit_try_acquire(bucket, 1, &wait_ns) == 0)
            granted++;
        else
            CHECK(wait_ns > 0);
    }
    elapsed = weft_now_ns() - t0;
    CHECK((double)(CALLS + granted) <=
          BURST + (double)RATE * (double)elapsed / 1e9);
    /* More than the burst in one call is never possible. */
    CHECK(weft_ratelimit_try_acquire(bucket, BURST + 1, NULL) == -EINVAL);
    /* A deadline too close for BURST permits: -ETIMEDOUT at once, with
     * nothing reserved; unless the bucket refilled meanwhile (only if this
     * thread was descheduled for (BURST - 1) / RATE seconds). */
    while (weft_ratelimit_try_acquire(bucket, 1, NULL) == 0)
        ;
    t0 = weft_now_ns();
    if (weft_ratelimit_acquire(bucket, BURST, WEFT_DEADLINE_POLL) == 0)
        CHECK(weft_now_ns() - t0 >= (BURST - 1) * (WEFT_NS_PER_SEC / RATE));

    printf("%d rate-limited calls at %d/s (burst %d) took %.3f s; the "
           "limit allows no less than %.3f s\n",
           CALLS, RATE, BURST, (double)map_elapsed / 1e9,
           (double)(CALLS - BURST) / RATE);
    CHECK(weft_pool_destroy(pool) == 0);
    CHECK(weft_ratelimit_destroy(bucket) == 0);
    weft_counter_destroy(api_calls);
    return 0;
}
