/* SPDX-License-Identifier: MIT */
/* test_event.c - weft_event and weft_latch (CPython EventTests). */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

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

/* 1 if thread tid sleeps in a futex wait on word, 0 if not (yet), -1 if
 * /proc cannot tell: the system call it is in and its first argument. */
static int
asleep_on(pid_t tid, const void *word)
{
    char path[64];
    unsigned long a0;
    long nr;
    FILE *f;
    int n;

    snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
    f = fopen(path, "r");
    if (f == NULL)
        return -1;
    n = fscanf(f, "%ld %lx", &nr, &a0); /* "running": 0 */
    fclose(f);
    return n == 2 && nr == SYS_futex && a0 == (unsigned long)(uintptr_t)word;
}

START_TEST(test_event_basic)
{
    struct weft_event e;

    ck_assert_int_eq(weft_event_init(NULL), -EINVAL);
    ck_assert_int_eq(weft_event_set(NULL), -EINVAL);
    ck_assert_int_eq(weft_event_clear(NULL), -EINVAL);
    ck_assert_int_eq(weft_event_wait(NULL, 0), -EINVAL);
    ck_assert(!weft_event_is_set(NULL));
    ck_assert_int_eq(weft_event_init(&e), 0);
    ck_assert(!weft_event_is_set(&e));
    ck_assert_int_eq(weft_event_wait(&e, WEFT_DEADLINE_POLL), -ETIMEDOUT);
    ck_assert_int_eq(weft_event_wait(&e, weft_deadline_in(2 * MS)), -ETIMEDOUT);
    ck_assert_int_eq(weft_event_set(&e), 0);
    ck_assert(weft_event_is_set(&e));
    ck_assert_int_eq(weft_event_set(&e), 0); /* idempotent */
    ck_assert_int_eq(weft_event_wait(&e, WEFT_DEADLINE_POLL), 0);
    ck_assert_int_eq(weft_event_clear(&e), 0);
    ck_assert(!weft_event_is_set(&e));
    ck_assert_int_eq(weft_event_wait(&e, weft_deadline_in(1 * MS)), -ETIMEDOUT);
    ck_assert_int_eq(weft_event_fini(&e), 0);
}
END_TEST

struct ew {
    struct weft_event e;
    int rc[8];
    int data;
    _Atomic int entered; /* waiters about to call weft_event_wait */
    _Atomic int ntid;
    pid_t tid[8]; /* theirs, published by entered */
};

static void *
ev_waiter(void *arg)
{
    struct ew *w = arg;
    static _Atomic int next;
    int me = atomic_fetch_add_explicit(&next, 1, memory_order_relaxed) % 8;

    w->tid[atomic_fetch_add(&w->ntid, 1) % 8] = (pid_t)syscall(SYS_gettid);
    atomic_fetch_add_explicit(&w->entered, 1, memory_order_release);
    w->rc[me] = weft_event_wait(&w->e, long_deadline());
    if (w->rc[me] == 0)
        ck_assert_int_eq(w->data, 42); /* set() happens-before */
    return NULL;
}

/* CPython test_notify: set() releases every waiter. */
START_TEST(test_event_releases_all)
{
    struct ew w = {0};
    pthread_t t[8];
    struct timespec ts = {0, 20 * 1000 * 1000};

    weft_event_init(&w.e);
    for (int i = 0; i < 8; i++)
        pthread_create(&t[i], NULL, ev_waiter, &w);
    nanosleep(&ts, NULL);
    w.data = 42;
    weft_event_set(&w.e);
    for (int i = 0; i < 8; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(w.rc[i], 0);
    }
}
END_TEST

/* CPython test_set_and_clear: waiters asleep at set() are released even
 * when clear() follows at once. */
START_TEST(test_event_set_then_clear)
{
    struct ew w = {0};
    pthread_t t[4];
    struct timespec ts = {0, 1000 * 1000};
    int asleep = 0;

    weft_event_init(&w.e);
    w.data = 42;
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, ev_waiter, &w);
    /* Every waiter is at the call (thread start-up can take longer than
     * any fixed sleep on a loaded machine), then asleep in the event's
     * futex (so past its first look at the event): no time is assumed. */
    while (atomic_load_explicit(&w.entered, memory_order_acquire) < 4)
        sched_yield();
    while (asleep < 4) {
        asleep = 0;
        for (int i = 0; i < 4; i++) {
            int a = asleep_on(w.tid[i], &w.e);
            if (a < 0) { /* no /proc: the old margin, 100 ms */
                ts.tv_nsec = 100 * 1000 * 1000;
                asleep = 4;
                break;
            }
            asleep += a;
        }
        nanosleep(&ts, NULL);
    }
    weft_event_set(&w.e);
    weft_event_clear(&w.e);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(w.rc[i], 0);
}
END_TEST

struct lw {
    struct weft_latch l;
    int rc;
};

static void *
latch_waiter(void *arg)
{
    struct lw *w = arg;

    w->rc = weft_latch_wait(&w->l, long_deadline());
    return NULL;
}

START_TEST(test_latch)
{
    struct lw w = {0};
    pthread_t t;

    ck_assert_int_eq(weft_latch_init(NULL, 1), -EINVAL);
    ck_assert_int_eq(weft_latch_init(&w.l, 0x80000000u), -EINVAL);
    ck_assert_int_eq(weft_latch_count_down(NULL, 1), -EINVAL);
    ck_assert_int_eq(weft_latch_wait(NULL, 0), -EINVAL);
    ck_assert_int_eq(weft_latch_init(&w.l, 3), 0);
    ck_assert_uint_eq(weft_latch_count(&w.l), 3);
    ck_assert_int_eq(weft_latch_wait(&w.l, weft_deadline_in(2 * MS)),
                     -ETIMEDOUT);
    w.rc = 1;
    pthread_create(&t, NULL, latch_waiter, &w);
    ck_assert_int_eq(weft_latch_count_down(&w.l, 1), 0);
    ck_assert_int_eq(weft_latch_count_down(&w.l, 1), 0);
    ck_assert_uint_eq(weft_latch_count(&w.l), 1);
    ck_assert_int_eq(weft_latch_count_down(&w.l, 5), 0); /* saturates */
    ck_assert_uint_eq(weft_latch_count(&w.l), 0);
    ck_assert_int_eq(weft_latch_count_down(&w.l, 1), 0); /* no-op at 0 */
    pthread_join(t, NULL);
    ck_assert_int_eq(w.rc, 0);
    ck_assert_int_eq(weft_latch_wait(&w.l, WEFT_DEADLINE_POLL), 0);
    ck_assert_int_eq(weft_latch_fini(&w.l), 0);
}
END_TEST

static Suite *
event_suite(void)
{
    Suite *s = suite_create("event");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60 * weft_test_timeout_multiplier());
    tcase_add_test(tc, test_event_basic);
    tcase_add_test(tc, test_event_releases_all);
    tcase_add_test(tc, test_event_set_then_clear);
    tcase_add_test(tc, test_latch);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(event_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
