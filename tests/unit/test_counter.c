/* SPDX-License-Identifier: MIT */
/* test_counter.c - weft_counter_* and weft_atomic_*. */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include <weft/counter.h>

#include "weft_test.h"

START_TEST(test_counter_bad_input)
{
    int64_t v = 0;
    weft_counter_t *c;

    ck_assert_int_eq(weft_counter_create(NULL), -EINVAL);
    ck_assert_int_eq(weft_counter_add(NULL, 1), -EINVAL);
    ck_assert_int_eq(weft_counter_add_noinline(NULL, 1), -EINVAL);
    ck_assert_int_eq(weft_counter_inc(NULL), -EINVAL);
    ck_assert_int_eq(weft_counter_read(NULL, &v), -EINVAL);
    ck_assert_int_eq(weft_counter_reset(NULL), -EINVAL);
    weft_counter_destroy(NULL); /* ignored */
    ck_assert_int_eq(weft_counter_create(&c), 0);
    ck_assert_int_eq(weft_counter_read(c, NULL), -EINVAL);
    weft_counter_destroy(c);
}
END_TEST

START_TEST(test_counter_single_thread)
{
    weft_counter_t *c;
    int64_t v = -1;

    ck_assert_int_eq(weft_counter_create(&c), 0);
    ck_assert_int_eq(weft_counter_read(c, &v), 0);
    ck_assert_int_eq(v, 0);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(weft_counter_inc(c), 0);
    ck_assert_int_eq(weft_counter_add(c, -250), 0);
    ck_assert_int_eq(weft_counter_add_noinline(c, 7), 0);
    ck_assert_int_eq(weft_counter_read(c, &v), 0);
    ck_assert_int_eq(v, 757);
    ck_assert_int_eq(weft_counter_reset(c), 0);
    ck_assert_int_eq(weft_counter_read(c, &v), 0);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(weft_counter_add(c, -3), 0);
    ck_assert_int_eq(weft_counter_read(c, &v), 0);
    ck_assert_int_eq(v, -3);
    /* Wraps modulo 2^64 instead of trapping. */
    ck_assert_int_eq(weft_counter_add(c, INT64_MAX), 0);
    ck_assert_int_eq(weft_counter_add(c, INT64_MAX), 0);
    ck_assert_int_eq(weft_counter_read(c, &v), 0);
    ck_assert_int_eq(v, (int64_t)((uint64_t)INT64_MAX * 2 - 3));
    weft_counter_destroy(c);
}
END_TEST

/* Two counters do not share slots. */
START_TEST(test_counter_independent)
{
    weft_counter_t *a, *b;
    int64_t va, vb;

    ck_assert_int_eq(weft_counter_create(&a), 0);
    ck_assert_int_eq(weft_counter_create(&b), 0);
    weft_counter_add(a, 5);
    weft_counter_add(b, 11);
    weft_counter_read(a, &va);
    weft_counter_read(b, &vb);
    ck_assert_int_eq(va, 5);
    ck_assert_int_eq(vb, 11);
    weft_counter_destroy(a);
    weft_counter_destroy(b);
}
END_TEST

struct adder {
    weft_counter_t *c;
    int n;
    uint32_t tid; /* the id this thread got */
};

static void *
adder_main(void *arg)
{
    struct adder *a = arg;

    for (int i = 0; i < a->n; i++)
        weft_counter_inc(a->c);
    weft_counter_add(a->c, -1);
    a->tid = weft_counter_private_tid;
    return NULL;
}

START_TEST(test_counter_threads_exact)
{
    enum { T = 8, N = 100000 };
    struct adder ad[T];
    pthread_t th[T];
    weft_counter_t *c;
    int64_t v;

    ck_assert_int_eq(weft_counter_create(&c), 0);
    for (int i = 0; i < T; i++) {
        ad[i] = (struct adder){c, N, 0};
        ck_assert_int_eq(pthread_create(&th[i], NULL, adder_main, &ad[i]), 0);
    }
    for (int i = 0; i < T; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(weft_counter_read(c, &v), 0);
    ck_assert_int_eq(v, (int64_t)T * (N - 1));
    weft_counter_destroy(c);
}
END_TEST

/* Threads that come and go: their sums survive them, their ids are
 * reused (the set of ids stays as small as the live thread count). */
START_TEST(test_counter_threads_come_and_go)
{
    enum { ROUNDS = 200 };
    weft_counter_t *c;
    uint32_t max_tid = 0;
    int64_t v;

    ck_assert_int_eq(weft_counter_create(&c), 0);
    weft_counter_inc(c); /* main thread takes an id too */
    for (int r = 0; r < ROUNDS; r++) {
        struct adder a[2] = {{c, 10, 0}, {c, 10, 0}};
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            ck_assert_int_eq(pthread_create(&t[i], NULL, adder_main, &a[i]), 0);
        for (int i = 0; i < 2; i++) {
            pthread_join(t[i], NULL);
            ck_assert_uint_ne(a[i].tid, 0);
            if (a[i].tid > max_tid)
                max_tid = a[i].tid;
        }
    }
    ck_assert_int_eq(weft_counter_read(c, &v), 0);
    ck_assert_int_eq(v, 1 + ROUNDS * 2 * 9);
    /* 400 threads ran, never more than 3 at once: ids were reused. */
    ck_assert_uint_le(max_tid, 8);
    ck_assert_int_eq(weft_counter_reset(c), 0);
    ck_assert_int_eq(weft_counter_read(c, &v), 0);
    ck_assert_int_eq(v, 0);
    weft_counter_destroy(c);
}
END_TEST

/* Many counters added to alternately by two threads (each add misses the
 * one-pair cache and replaces it): every add lands in its own counter. */
enum { MANY = 40, MANY_ROUNDS = 500 };

static void *
many_main(void *arg)
{
    weft_counter_t **cs = arg;

    for (int r = 0; r < MANY_ROUNDS; r++)
        for (int i = 0; i < MANY; i++)
            ck_assert_int_eq(weft_counter_add(cs[i], i + 1), 0);
    return NULL;
}

START_TEST(test_counter_many_alternating)
{
    weft_counter_t *cs[MANY];
    pthread_t t;
    int64_t v;

    for (int i = 0; i < MANY; i++)
        ck_assert_int_eq(weft_counter_create(&cs[i]), 0);
    ck_assert_int_eq(pthread_create(&t, NULL, many_main, cs), 0);
    many_main(cs);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    for (int i = 0; i < MANY; i++) {
        ck_assert_int_eq(weft_counter_read(cs[i], &v), 0);
        ck_assert_int_eq(v, (int64_t)2 * MANY_ROUNDS * (i + 1));
        weft_counter_destroy(cs[i]);
    }
}
END_TEST

/* A thread that cached a counter's slot must not write through that
 * entry into a counter later created at the same address (glibc hands the
 * block straight back; ASan's quarantine does not). `hold` takes the freed
 * slot chunk's block, so a stale slot pointer would miss the new counter:
 * this fails without destroy's invalidation of the inline entry. */
struct recreate {
    weft_counter_t *c;
    pthread_barrier_t *b;
};

static void *
recreate_main(void *arg)
{
    struct recreate *r = arg;

    for (int i = 0; i < 50; i++) {
        pthread_barrier_wait(r->b); /* main created r->c */
        ck_assert_int_eq(weft_counter_add(r->c, 3), 0);
        pthread_barrier_wait(r->b); /* main checks, destroys, recreates */
    }
    return NULL;
}

START_TEST(test_counter_recreate_same_address)
{
    pthread_barrier_t b;
    struct recreate r = {NULL, &b};
    void *hold = NULL;
    pthread_t t;
    int64_t v;

    ck_assert_int_eq(pthread_barrier_init(&b, NULL, 2), 0);
    ck_assert_int_eq(pthread_create(&t, NULL, recreate_main, &r), 0);
    for (int i = 0; i < 50; i++) {
        ck_assert_int_eq(weft_counter_create(&r.c), 0);
        ck_assert_int_eq(weft_counter_add(r.c, 1), 0);
        pthread_barrier_wait(&b);
        pthread_barrier_wait(&b);
        ck_assert_int_eq(weft_counter_read(r.c, &v), 0);
        ck_assert_int_eq(v, 4);
        weft_counter_destroy(r.c);
        free(hold);
        hold = aligned_alloc(128, sizeof(struct weft_counter_chunk));
        ck_assert_ptr_nonnull(hold);
    }
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    free(hold);
    pthread_barrier_destroy(&b);
}
END_TEST

/* A thread's slots outlive it and go to the next thread with its id,
 * whose empty cache finds them again. */
static void *
two_main(void *arg)
{
    struct adder *a = arg;

    ck_assert_int_eq(weft_counter_add(a[0].c, a[0].n), 0);
    ck_assert_int_eq(weft_counter_add(a[1].c, a[1].n), 0);
    a[0].tid = weft_counter_private_tid;
    return NULL;
}

START_TEST(test_counter_exit_and_reuse)
{
    weft_counter_t *c1, *c2;
    struct adder a[2];
    uint32_t first = 0;
    pthread_t t;
    int64_t v;

    ck_assert_int_eq(weft_counter_create(&c1), 0);
    ck_assert_int_eq(weft_counter_create(&c2), 0);
    weft_counter_inc(c1); /* the main thread holds its own id */
    for (int i = 0; i < 20; i++) {
        a[0] = (struct adder){c1, 1 + i, 0};
        a[1] = (struct adder){c2, 100, 0};
        ck_assert_int_eq(pthread_create(&t, NULL, two_main, a), 0);
        ck_assert_int_eq(pthread_join(t, NULL), 0);
        ck_assert_uint_ne(a[0].tid, 0);
        if (i == 0)
            first = a[0].tid;
        ck_assert_uint_eq(a[0].tid, first); /* one id, handed over */
        ck_assert_uint_ne(a[0].tid, weft_counter_private_tid);
    }
    ck_assert_int_eq(weft_counter_read(c1, &v), 0);
    ck_assert_int_eq(v, 1 + 20 * 21 / 2);
    ck_assert_int_eq(weft_counter_read(c2, &v), 0);
    ck_assert_int_eq(v, 20 * 100);
    weft_counter_destroy(c1);
    weft_counter_destroy(c2);
}
END_TEST

START_TEST(test_atomic_basic)
{
    weft_atomic_t a;
    int64_t v = 0, exp;

    ck_assert_int_eq(weft_atomic_init(NULL, 0), -EINVAL);
    ck_assert_int_eq(weft_atomic_load(NULL, &v), -EINVAL);
    ck_assert_int_eq(weft_atomic_store(NULL, 1), -EINVAL);
    ck_assert_int_eq(weft_atomic_add(NULL, 1, &v), -EINVAL);
    ck_assert_int_eq(weft_atomic_cas(NULL, &v, 1), -EINVAL);
    ck_assert_int_eq(weft_atomic_init(&a, 40), 0);
    ck_assert_int_eq(weft_atomic_load(&a, NULL), -EINVAL);
    ck_assert_int_eq(weft_atomic_cas(&a, NULL, 1), -EINVAL);
    ck_assert_int_eq(weft_atomic_add(&a, 2, &v), 0);
    ck_assert_int_eq(v, 42);
    ck_assert_int_eq(weft_atomic_add(&a, -50, NULL), 0);
    ck_assert_int_eq(weft_atomic_load(&a, &v), 0);
    ck_assert_int_eq(v, -8);
    exp = 3;
    ck_assert_int_eq(weft_atomic_cas(&a, &exp, 9), -EAGAIN);
    ck_assert_int_eq(exp, -8);
    ck_assert_int_eq(weft_atomic_cas(&a, &exp, 9), 0);
    ck_assert_int_eq(weft_atomic_load(&a, &v), 0);
    ck_assert_int_eq(v, 9);
    ck_assert_int_eq(weft_atomic_store(&a, INT64_MAX), 0);
    ck_assert_int_eq(weft_atomic_add(&a, 1, &v), 0);
    ck_assert_int_eq(v, INT64_MIN); /* wraps */
}
END_TEST

/* Every add returns a distinct new value: 1..T*N exactly once. */
struct aadder {
    weft_atomic_t *a;
    unsigned char *seen;
    int n;
};

static void *
aadder_main(void *arg)
{
    struct aadder *x = arg;
    int64_t v;

    for (int i = 0; i < x->n; i++) {
        weft_atomic_add(x->a, 1, &v);
        x->seen[v - 1] = 1; /* distinct v: no two threads write one byte */
    }
    return NULL;
}

START_TEST(test_atomic_threads_unique)
{
    enum { T = 4, N = 50000 };
    weft_atomic_t a = WEFT_ATOMIC_INIT(0);
    unsigned char *seen = calloc(T * N, 1);
    struct aadder x = {&a, seen, N};
    pthread_t th[T];
    int64_t v;

    ck_assert_ptr_nonnull(seen);
    for (int i = 0; i < T; i++)
        pthread_create(&th[i], NULL, aadder_main, &x);
    for (int i = 0; i < T; i++)
        pthread_join(th[i], NULL);
    weft_atomic_load(&a, &v);
    ck_assert_int_eq(v, T * N);
    for (int i = 0; i < T * N; i++)
        ck_assert_int_eq(seen[i], 1);
    free(seen);
}
END_TEST

static Suite *
counter_suite(void)
{
    Suite *s = suite_create("counter");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 20 * weft_test_timeout_multiplier());
    tcase_add_test(tc, test_counter_bad_input);
    tcase_add_test(tc, test_counter_single_thread);
    tcase_add_test(tc, test_counter_independent);
    tcase_add_test(tc, test_counter_threads_exact);
    tcase_add_test(tc, test_counter_threads_come_and_go);
    tcase_add_test(tc, test_counter_many_alternating);
    tcase_add_test(tc, test_counter_recreate_same_address);
    tcase_add_test(tc, test_counter_exit_and_reuse);
    tcase_add_test(tc, test_atomic_basic);
    tcase_add_test(tc, test_atomic_threads_unique);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(counter_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
