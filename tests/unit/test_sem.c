/* SPDX-License-Identifier: MIT */
/* test_sem.c - weft_sem (CPython SemaphoreTests, BoundedSemaphoreTests). */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <weft/sync.h>

#include "weft_test.h"

#define MS WEFT_NS_PER_MS

/* A hang guard for waits that must succeed: 10 s, scaled for slow builds
 * (TSan) as every timeout is. */
static weft_deadline_t
long_deadline(void)
{
    return weft_deadline_in(
        (uint64_t)(10000 * MS * weft_test_timeout_multiplier()));
}

START_TEST(test_sem_basic)
{
    struct weft_sem s;

    ck_assert_int_eq(weft_sem_init(NULL, 0, 0), -EINVAL);
    ck_assert_int_eq(weft_sem_init(&s, 5, 3), -EINVAL); /* value > max */
    ck_assert_int_eq(weft_sem_init(&s, WEFT_SEM_VALUE_MAX + 1u, 0), -EINVAL);
    ck_assert_int_eq(weft_sem_acquire(NULL, 0), -EINVAL);
    ck_assert_int_eq(weft_sem_release(NULL, 1), -EINVAL);
    ck_assert(!weft_sem_try(NULL));
    ck_assert_int_eq(weft_sem_init(&s, 2, 0), 0);
    ck_assert_int_eq(weft_sem_release(&s, 0), -EINVAL);
    ck_assert(weft_sem_try(&s));
    ck_assert_int_eq(weft_sem_acquire(&s, WEFT_DEADLINE_POLL), 0);
    ck_assert_uint_eq(weft_sem_value(&s), 0);
    ck_assert(!weft_sem_try(&s));
    ck_assert_int_eq(weft_sem_acquire(&s, weft_deadline_in(2 * MS)),
                     -ETIMEDOUT);
    ck_assert_int_eq(weft_sem_release(&s, 3), 0);
    ck_assert_uint_eq(weft_sem_value(&s), 3);
    ck_assert_int_eq(weft_sem_release(&s, WEFT_SEM_VALUE_MAX), -EOVERFLOW);
    ck_assert_uint_eq(weft_sem_value(&s), 3);
    ck_assert_int_eq(weft_sem_fini(&s), 0);
}
END_TEST

/* BoundedSemaphore: over-release is -EOVERFLOW and changes nothing. */
START_TEST(test_sem_bounded)
{
    struct weft_sem s;

    ck_assert_int_eq(weft_sem_init(&s, 2, 2), 0);
    ck_assert_int_eq(weft_sem_release(&s, 1), -EOVERFLOW);
    ck_assert(weft_sem_try(&s));
    ck_assert_int_eq(weft_sem_release(&s, 2), -EOVERFLOW);
    ck_assert_int_eq(weft_sem_release(&s, 1), 0);
    ck_assert_uint_eq(weft_sem_value(&s), 2);
    ck_assert_int_eq(weft_sem_release(&s, 1), -EOVERFLOW);
}
END_TEST

struct sw {
    struct weft_sem s;
    _Atomic int inside, max_inside, got;
};

static void *
sem_worker(void *arg)
{
    struct sw *w = arg;

    for (int i = 0; i < 200; i++) {
        ck_assert_int_eq(weft_sem_acquire(&w->s, long_deadline()), 0);
        int in = atomic_fetch_add(&w->inside, 1) + 1;
        int m = atomic_load(&w->max_inside);
        while (in > m && !atomic_compare_exchange_weak(&w->max_inside, &m, in))
            ;
        atomic_fetch_add(&w->got, 1);
        atomic_fetch_sub(&w->inside, 1);
        weft_sem_release(&w->s, 1);
    }
    return NULL;
}

/* CPython test_constructor/test_acquire_contended: never more than value
 * holders at once, and all acquires finish. */
START_TEST(test_sem_limits_holders)
{
    struct sw w = {0};
    pthread_t t[8];

    weft_sem_init(&w.s, 3, 3);
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, sem_worker, &w);
    for (int i = 0; i < 8; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&w.got), 1600);
    ck_assert_int_le(atomic_load(&w.max_inside), 3);
    ck_assert_uint_eq(weft_sem_value(&w.s), 3);
}
END_TEST

static void *
sem_blocker(void *arg)
{
    struct sw *w = arg;

    if (weft_sem_acquire(&w->s, long_deadline()) == 0)
        atomic_fetch_add(&w->got, 1);
    return NULL;
}

/* release(n) wakes n sleepers. */
START_TEST(test_sem_release_n_wakes)
{
    struct sw w = {0};
    pthread_t t[4];
    weft_deadline_t dl;
    int rc;

    weft_sem_init(&w.s, 0, 0);
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, sem_blocker, &w);
    /* fini refuses while threads wait: poll until one does (thread
     * start-up takes no fixed time, so no sleep can promise it). */
    dl = long_deadline();
    while ((rc = weft_sem_fini(&w.s)) == 0 && weft_now_ns() < dl)
        sched_yield();
    ck_assert_int_eq(rc, -EBUSY);
    ck_assert_int_eq(atomic_load(&w.got), 0);
    ck_assert_int_eq(weft_sem_release(&w.s, 4), 0);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&w.got), 4);
    ck_assert_int_eq(weft_sem_fini(&w.s), 0);
}
END_TEST

static Suite *
sem_suite(void)
{
    Suite *s = suite_create("sem");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60 * weft_test_timeout_multiplier());
    tcase_add_test(tc, test_sem_basic);
    tcase_add_test(tc, test_sem_bounded);
    tcase_add_test(tc, test_sem_limits_holders);
    tcase_add_test(tc, test_sem_release_n_wakes);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(sem_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
