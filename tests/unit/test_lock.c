/* SPDX-License-Identifier: MIT */
/* test_lock.c - weft_lock, weft_rlock, weft_cond (CPython lock_tests). */
#include <check.h>
#include <pthread.h>
#include <sched.h>
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

START_TEST(test_lock_basic)
{
    struct weft_lock l;

    ck_assert_int_eq(weft_lock_init(NULL), -EINVAL);
    ck_assert_int_eq(weft_lock_acquire(NULL, 0), -EINVAL);
    ck_assert_int_eq(weft_lock_release(NULL), -EINVAL);
    ck_assert_int_eq(weft_lock_fini(NULL), -EINVAL);
    ck_assert(!weft_lock_try(NULL));
    ck_assert(!weft_lock_locked(NULL));
    ck_assert_int_eq(weft_lock_init(&l), 0);
    ck_assert(!weft_lock_locked(&l));
    ck_assert_int_eq(weft_lock_release(&l), -EPERM); /* RuntimeError */
    ck_assert_int_eq(weft_lock_acquire(&l, WEFT_DEADLINE_NEVER), 0);
    ck_assert(weft_lock_locked(&l));
    ck_assert(!weft_lock_try(&l));
    ck_assert_int_eq(weft_lock_acquire(&l, WEFT_DEADLINE_POLL), -ETIMEDOUT);
    ck_assert_int_eq(weft_lock_acquire(&l, weft_deadline_in(2 * MS)),
                     -ETIMEDOUT);
    ck_assert_int_eq(weft_lock_fini(&l), -EBUSY);
    ck_assert_int_eq(weft_lock_release(&l), 0);
    ck_assert(weft_lock_try(&l));
    ck_assert_int_eq(weft_lock_release(&l), 0);
    ck_assert_int_eq(weft_lock_fini(&l), 0);
}
END_TEST

struct shared {
    struct weft_lock l;
    struct weft_cond c;
    long counter;
    int ready;
    int waiting; /* cond waiters that reached the wait, under the lock */
    int woken;
};

static void *
locker(void *arg)
{
    struct shared *s = arg;

    for (int i = 0; i < 20000; i++) {
        weft_lock_acquire(&s->l, WEFT_DEADLINE_NEVER);
        s->counter++;
        weft_lock_release(&s->l);
    }
    return NULL;
}

START_TEST(test_lock_mutual_exclusion)
{
    struct shared s = {0};
    pthread_t t[4];

    weft_lock_init(&s.l);
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, locker, &s);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(s.counter, 80000);
}
END_TEST

static void *
release_later(void *arg)
{
    struct shared *s = arg;
    struct timespec ts = {0, 10 * 1000 * 1000};

    nanosleep(&ts, NULL);
    ck_assert_int_eq(weft_lock_release(&s->l), 0); /* another thread: ok */
    return NULL;
}

/* CPython test_thread_leak / test_different_thread: a blocked acquire
 * wakes when another thread releases. */
START_TEST(test_lock_wakes_waiter)
{
    struct shared s = {0};
    pthread_t t;

    weft_lock_init(&s.l);
    weft_lock_acquire(&s.l, WEFT_DEADLINE_NEVER);
    pthread_create(&t, NULL, release_later, &s);
    ck_assert_int_eq(weft_lock_acquire(&s.l, long_deadline()), 0);
    pthread_join(t, NULL);
    ck_assert_int_eq(weft_lock_release(&s.l), 0);
}
END_TEST

START_TEST(test_rlock)
{
    struct weft_rlock r;

    ck_assert_int_eq(weft_rlock_init(NULL), -EINVAL);
    ck_assert_int_eq(weft_rlock_acquire(NULL, 0), -EINVAL);
    ck_assert_int_eq(weft_rlock_release(NULL), -EINVAL);
    ck_assert(!weft_rlock_is_owned(NULL));
    ck_assert_int_eq(weft_rlock_init(&r), 0);
    ck_assert_int_eq(weft_rlock_release(&r), -EPERM);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(weft_rlock_acquire(&r, WEFT_DEADLINE_POLL), 0);
    ck_assert(weft_rlock_is_owned(&r));
    ck_assert_int_eq(weft_rlock_fini(&r), -EBUSY);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(weft_rlock_release(&r), 0);
    ck_assert(!weft_rlock_is_owned(&r));
    ck_assert_int_eq(weft_rlock_release(&r), -EPERM);
    ck_assert_int_eq(weft_rlock_fini(&r), 0);
}
END_TEST

static void *
rlock_foreign(void *arg)
{
    struct weft_rlock *r = arg;

    /* CPython test_release_unacquired / different thread: RuntimeError */
    ck_assert(!weft_rlock_is_owned(r));
    ck_assert_int_eq(weft_rlock_release(r), -EPERM);
    ck_assert_int_eq(weft_rlock_acquire(r, weft_deadline_in(2 * MS)),
                     -ETIMEDOUT);
    return NULL;
}

START_TEST(test_rlock_owner_checked)
{
    struct weft_rlock r;
    pthread_t t;

    weft_rlock_init(&r);
    weft_rlock_acquire(&r, WEFT_DEADLINE_NEVER);
    pthread_create(&t, NULL, rlock_foreign, &r);
    pthread_join(t, NULL);
    ck_assert_int_eq(weft_rlock_release(&r), 0);
    ck_assert_int_eq(weft_rlock_fini(&r), 0);
}
END_TEST

static bool
is_ready(void *arg)
{
    return ((struct shared *)arg)->ready != 0;
}

static void *
cond_waiter(void *arg)
{
    struct shared *s = arg;

    weft_lock_acquire(&s->l, WEFT_DEADLINE_NEVER);
    s->waiting++;
    ck_assert_int_eq(
        weft_cond_wait_for(&s->c, &s->l, is_ready, s, long_deadline()), 0);
    s->woken++;
    weft_lock_release(&s->l);
    return NULL;
}

START_TEST(test_cond_bad_input_and_timeout)
{
    struct shared s = {0};

    ck_assert_int_eq(weft_cond_init(NULL), -EINVAL);
    weft_lock_init(&s.l);
    weft_cond_init(&s.c);
    ck_assert_int_eq(weft_cond_wait(NULL, &s.l, 0), -EINVAL);
    ck_assert_int_eq(weft_cond_wait(&s.c, NULL, 0), -EINVAL);
    ck_assert_int_eq(weft_cond_wait_for(&s.c, &s.l, NULL, NULL, 0), -EINVAL);
    /* not holding the lock: Python's RuntimeError */
    ck_assert_int_eq(weft_cond_wait(&s.c, &s.l, 0), -EPERM);
    ck_assert_int_eq(weft_cond_notify(&s.c, &s.l, 1), -EPERM);
    ck_assert_int_eq(weft_cond_notify_all(&s.c, &s.l), -EPERM);
    weft_lock_acquire(&s.l, WEFT_DEADLINE_NEVER);
    ck_assert_int_eq(weft_cond_notify(&s.c, &s.l, 1), 0); /* no waiters */
    ck_assert_int_eq(weft_cond_wait(&s.c, &s.l, weft_deadline_in(2 * MS)),
                     -ETIMEDOUT);
    ck_assert(weft_lock_locked(&s.l)); /* re-acquired after timeout */
    ck_assert_int_eq(
        weft_cond_wait_for(&s.c, &s.l, is_ready, &s, weft_deadline_in(2 * MS)),
        -ETIMEDOUT);
    s.ready = 1;
    ck_assert_int_eq(
        weft_cond_wait_for(&s.c, &s.l, is_ready, &s, WEFT_DEADLINE_POLL), 0);
    weft_lock_release(&s.l);
    ck_assert_int_eq(weft_cond_fini(&s.c), 0);
}
END_TEST

/* CPython ConditionTests._check_notify: notify(n) wakes n, notify_all the
 * rest; nobody is lost. */
START_TEST(test_cond_notify_n_and_all)
{
    struct shared s = {0};
    pthread_t t[5];
    struct timespec ts = {0, 1000 * 1000};
    weft_deadline_t dl;

    weft_lock_init(&s.l);
    weft_cond_init(&s.c);
    for (int i = 0; i < 5; i++)
        pthread_create(&t[i], NULL, cond_waiter, &s);
    /* All five are in the wait: each counted itself under the lock, and
     * the wait releases it only once the waiter is registered. Thread
     * start-up takes no fixed time, so no sleep can promise this. */
    for (;;) {
        weft_lock_acquire(&s.l, WEFT_DEADLINE_NEVER);
        if (s.waiting == 5)
            break;
        weft_lock_release(&s.l);
        nanosleep(&ts, NULL);
    }
    ck_assert_int_eq(s.woken, 0); /* predicate false: nobody passed */
    s.ready = 1;
    ck_assert_int_eq(weft_cond_notify(&s.c, &s.l, 2), 0);
    weft_lock_release(&s.l);
    /* The two woken pass (each needs the lock, then a CPU, first: no fixed
     * time either); the other three stay until notify_all. */
    dl = long_deadline();
    for (;;) {
        weft_lock_acquire(&s.l, WEFT_DEADLINE_NEVER);
        if (s.woken >= 2 || weft_now_ns() >= dl)
            break;
        weft_lock_release(&s.l);
        nanosleep(&ts, NULL);
    }
    ck_assert_int_ge(s.woken, 2);
    ck_assert_int_eq(weft_cond_notify_all(&s.c, &s.l), 0);
    weft_lock_release(&s.l);
    for (int i = 0; i < 5; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(s.woken, 5);
    ck_assert_int_eq(weft_cond_fini(&s.c), 0);
}
END_TEST

static Suite *
lock_suite(void)
{
    Suite *s = suite_create("lock");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60 * weft_test_timeout_multiplier());
    tcase_add_test(tc, test_lock_basic);
    tcase_add_test(tc, test_lock_mutual_exclusion);
    tcase_add_test(tc, test_lock_wakes_waiter);
    tcase_add_test(tc, test_rlock);
    tcase_add_test(tc, test_rlock_owner_checked);
    tcase_add_test(tc, test_cond_bad_input_and_timeout);
    tcase_add_test(tc, test_cond_notify_n_and_all);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(lock_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
