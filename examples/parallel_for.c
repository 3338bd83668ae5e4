/* SPDX-License-Identifier: MIT */
/*
 * parallel_for.c - a loop over an index range split across the pool:
 * weft_parallel_for() calls the body on pieces [begin, end) and splits a
 * piece only while some worker may be hungry, never below `grain` items.
 * In Python one would chunk the range by hand:
 *
 *     chunks = [range(i, min(i + G, N)) for i in range(0, N, G)]
 *     total = sum(ex.map(count_primes, chunks))
 *
 * Here each piece writes its own slice of an output array (no sharing)
 * and adds its count of primes to one atomic; a piece's nonzero return
 * would be the call's result.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <weft.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

enum { N = 100000 };

struct job {
    unsigned char is_prime[N]; /* output: one byte per index */
    weft_atomic_t count;
    weft_atomic_t pieces;
};

static bool
trial_division(size_t n)
{
    if (n < 2)
        return false;
    for (size_t d = 2; d * d <= n; d++)
        if (n % d == 0)
            return false;
    return true;
}

/* The body: one piece of the range. */
static int
mark_primes(void *ctx, size_t begin, size_t end)
{
    struct job *job = ctx;
    int64_t n = 0;

    for (size_t i = begin; i < end; i++) {
        job->is_prime[i] = trial_division(i);
        n += job->is_prime[i];
    }
    weft_atomic_add(&job->count, n, NULL);
    weft_atomic_add(&job->pieces, 1, NULL);
    return 0;
}

int
main(void)
{
    static struct job job;
    static unsigned char sieve[N];
    weft_pool_t *pool;
    int64_t count, pieces, want = 0;

    CHECK(weft_atomic_init(&job.count, 0) == 0);
    CHECK(weft_atomic_init(&job.pieces, 0) == 0);
    CHECK(weft_pool_create(NULL, &pool) == 0);
    /* grain 0: weft picks one from the range and the number of workers. */
    CHECK(weft_parallel_for(pool, 0, N, 0, mark_primes, &job) == 0);

    /* Check against a sequential sieve of Eratosthenes. */
    memset(sieve, 1, sizeof(sieve));
    sieve[0] = sieve[1] = 0;
    for (size_t i = 2; i * i < N; i++)
        if (sieve[i])
            for (size_t j = i * i; j < N; j += i)
                sieve[j] = 0;
    for (size_t i = 0; i < N; i++) {
        CHECK(job.is_prime[i] == sieve[i]);
        want += sieve[i];
    }
    CHECK(weft_atomic_load(&job.count, &count) == 0 && count == want);
    CHECK(weft_atomic_load(&job.pieces, &pieces) == 0 && pieces >= 1);
    printf("%lld primes below %d, found in %lld pieces on %u workers\n",
           (long long)count, N, (long long)pieces, weft_pool_workers(pool));

    /* An empty range is fine; a reversed one is an error. */
    CHECK(weft_parallel_for(pool, 5, 5, 0, mark_primes, &job) == 0);
    CHECK(weft_parallel_for(pool, 6, 5, 0, mark_primes, &job) == -EINVAL);
    CHECK(weft_pool_destroy(pool) == 0);
    return 0;
}
