/* SPDX-License-Identifier: MIT */
/*
 * weft_test.h - what every test shares: typed asserts that print both
 * values, the seed (printed, replayed with WEFT_TEST_SEED), stress duration
 * (WEFT_STRESS_SECONDS) and the timeout multiplier
 * (WEFT_TEST_TIMEOUT_MULTIPLIER).
 */
#ifndef WEFT_TEST_H
#define WEFT_TEST_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <weft/pool.h>

#define ASSERT_EQ(a, b)                                                 \
    do {                                                                \
        long long a_ = (long long)(a), b_ = (long long)(b);             \
        if (a_ != b_) {                                                 \
            fprintf(stderr, "%s:%d: ASSERT_EQ(%s, %s): %lld != %lld\n", \
                    __FILE__, __LINE__, #a, #b, a_, b_);                \
            abort();                                                    \
        }                                                               \
    } while (0)

#define ASSERT_TRUE(c)                                                   \
    do {                                                                 \
        if (!(c)) {                                                      \
            fprintf(stderr, "%s:%d: ASSERT_TRUE(%s) failed\n", __FILE__, \
                    __LINE__, #c);                                       \
            abort();                                                     \
        }                                                                \
    } while (0)

/* fib(n) by fork-join, a spawn at every inner node (fib(n+1) - 1 spawns):
 * the tests' standard tree of tasks. A task: weft_pool_run(pool,
 * weft_test_fib, (void *)n, &r). Errors of spawn/sync are returned. */
static inline int
weft_test_fib(void *arg, void **res)
{
    long n = (long)arg;
    weft_task_t t;
    void *a = NULL, *b = NULL;
    int rc;

    if (n < 2) {
        *res = (void *)n;
        return 0;
    }
    rc = weft_spawn(&t, weft_test_fib, (void *)(n - 1));
    if (rc != 0)
        return rc;
    weft_test_fib((void *)(n - 2), &b);
    rc = weft_sync(&t, &a);
    *res = (void *)((long)a + (long)b);
    return rc;
}

static inline double
weft_test_env_double(const char *name, double dflt)
{
    const char *s = getenv(name);
    return (s && *s) ? atof(s) : dflt;
}

/* Seconds a stress test runs: argv[2] if given, else WEFT_STRESS_SECONDS. */
static inline double
weft_test_seconds(int argc, char **argv, double dflt)
{
    if (argc > 2)
        return atof(argv[2]);
    return weft_test_env_double("WEFT_STRESS_SECONDS", dflt);
}

/* The seed: argv[3], else WEFT_TEST_SEED, else the clock; always printed. */
static inline uint64_t
weft_test_seed(int argc, char **argv)
{
    const char *s = argc > 3 ? argv[3] : getenv("WEFT_TEST_SEED");
    uint64_t seed;

    if (s && *s) {
        seed = strtoull(s, NULL, 0);
    } else {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20);
    }
    fprintf(stderr, "seed: WEFT_TEST_SEED=%" PRIu64 "\n", seed);
    return seed;
}

/* xorshift64*: a small per-thread generator for tests. */
static inline uint64_t
weft_test_rand(uint64_t *s)
{
    uint64_t x = *s ? *s : 0x9e3779b97f4a7c15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dull;
}

static inline double
weft_test_timeout_multiplier(void)
{
    return weft_test_env_double("WEFT_TEST_TIMEOUT_MULTIPLIER", 1.0);
}

#endif /* WEFT_TEST_H */
