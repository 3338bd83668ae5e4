/* SPDX-License-Identifier: MIT */
/* test_queue.c - weft_queue semantics (ports of CPython's test_queue). */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

#include <weft/queue.h>

#include "weft_test.h"

#define P(x) ((void *)(uintptr_t)(x))
#define MS   WEFT_NS_PER_MS

static const enum weft_queue_kind kinds[] = {WEFT_QUEUE_FIFO, WEFT_QUEUE_LIFO,
                                             WEFT_QUEUE_PRIORITY,
                                             WEFT_QUEUE_FIFO_LANES};
#define NKINDS 4

START_TEST(test_bad_input)
{
    weft_queue_t *q = NULL;
    void *it;

    ck_assert_int_eq(weft_queue_create(WEFT_QUEUE_FIFO, 4, NULL), -EINVAL);
    ck_assert_int_eq(weft_queue_create(WEFT_QUEUE_FIFO, 0, &q), -EINVAL);
    ck_assert_int_eq(weft_queue_create((enum weft_queue_kind)7, 4, &q),
                     -EINVAL);
    ck_assert_int_eq(
        weft_queue_create(WEFT_QUEUE_FIFO, WEFT_QUEUE_MAX_CAPACITY + 1, &q),
        -EINVAL);
    ck_assert_ptr_null(q);
    ck_assert_int_eq(weft_queue_put(NULL, P(1), WEFT_DEADLINE_POLL), -EINVAL);
    ck_assert_int_eq(weft_queue_get(NULL, &it, WEFT_DEADLINE_POLL), -EINVAL);
    ck_assert_int_eq(weft_queue_try_put(NULL, P(1)), -EINVAL);
    ck_assert_int_eq(weft_queue_try_get(NULL, &it), -EINVAL);
    ck_assert_int_eq(weft_queue_task_done(NULL), -EINVAL);
    ck_assert_int_eq(weft_queue_join(NULL, WEFT_DEADLINE_POLL), -EINVAL);
    ck_assert_int_eq(weft_queue_shutdown(NULL, 0), -EINVAL);
    ck_assert_int_eq(weft_queue_destroy(NULL), -EINVAL);
    ck_assert_uint_eq(weft_queue_len(NULL), 0);
    ck_assert_uint_eq(weft_queue_capacity(NULL), 0);
    ck_assert_int_eq(weft_queue_create(WEFT_QUEUE_FIFO_LANES, 0, &q), -EINVAL);
    ck_assert_int_eq(weft_queue_create(WEFT_QUEUE_FIFO_LANES,
                                       WEFT_QUEUE_MAX_CAPACITY + 1, &q),
                     -EINVAL);
    ck_assert_int_eq(weft_queue_create(WEFT_QUEUE_FIFO_LANES, 4, NULL),
                     -EINVAL);
    ck_assert_ptr_null(q);
    for (int k = 0; k < 2; k++) {
        ck_assert_int_eq(
            weft_queue_create(k ? WEFT_QUEUE_FIFO_LANES : WEFT_QUEUE_FIFO, 4,
                              &q),
            0);
        ck_assert_int_eq(weft_queue_get(q, NULL, WEFT_DEADLINE_POLL), -EINVAL);
        ck_assert_int_eq(weft_queue_try_get(q, NULL), -EINVAL);
        ck_assert_int_eq(weft_queue_put_prio(q, P(1), 3, WEFT_DEADLINE_POLL),
                         -EINVAL);
        ck_assert_int_eq(weft_queue_shutdown(q, 0x10), -EINVAL);
        ck_assert(!weft_queue_is_shutdown(q));
        ck_assert_uint_eq(weft_queue_capacity(q), 4);
        ck_assert_int_eq(weft_queue_destroy(q), 0);
        q = NULL;
    }
}
END_TEST

/* CPython's simple_queue_test: order per kind, any capacity, full/empty. */
START_TEST(test_order_and_capacity)
{
    static const int in[] = {111, 333, 222};
    static const int want[NKINDS][3] = {
        {111, 333, 222}, {222, 333, 111}, {111, 222, 333}, {111, 333, 222}};
    for (int k = 0; k < NKINDS; k++) {
        for (size_t cap = 3; cap <= 7; cap++) { /* not powers of two too */
            weft_queue_t *q;
            void *it;

            ck_assert_int_eq(weft_queue_create(kinds[k], cap, &q), 0);
            ck_assert_uint_eq(weft_queue_capacity(q), cap);
            ck_assert_int_eq(weft_queue_try_get(q, &it), -EAGAIN);
            for (int i = 0; i < 3; i++) {
                if (kinds[k] == WEFT_QUEUE_PRIORITY)
                    ck_assert_int_eq(weft_queue_put_prio(q, P(in[i]), in[i],
                                                         WEFT_DEADLINE_POLL),
                                     0);
                else
                    ck_assert_int_eq(weft_queue_try_put(q, P(in[i])), 0);
            }
            ck_assert_uint_eq(weft_queue_len(q), 3);
            for (size_t i = 3; i < cap; i++) /* fillers come out last */
                ck_assert_int_eq(
                    kinds[k] == WEFT_QUEUE_PRIORITY
                        ? weft_queue_put_prio(q, P(i), 1000, WEFT_DEADLINE_POLL)
                        : weft_queue_try_put(q, P(i)),
                    0);
            ck_assert_uint_eq(weft_queue_len(q), cap);
            ck_assert_int_eq(weft_queue_try_put(q, P(9)), -EAGAIN);
            ck_assert_int_eq(weft_queue_put(q, P(9), weft_deadline_in(1 * MS)),
                             -ETIMEDOUT);
            ck_assert_int_eq(weft_queue_put(q, P(9), WEFT_DEADLINE_POLL),
                             -ETIMEDOUT);
            if (kinds[k] != WEFT_QUEUE_LIFO) {
                for (int i = 0; i < 3; i++) {
                    ck_assert_int_eq(
                        weft_queue_get(q, &it, WEFT_DEADLINE_NEVER), 0);
                    ck_assert_ptr_eq(it, P(want[k][i]));
                }
            }
            while (weft_queue_try_get(q, &it) == 0)
                ;
            ck_assert_uint_eq(weft_queue_len(q), 0);
            ck_assert_int_eq(weft_queue_get(q, &it, weft_deadline_in(1 * MS)),
                             -ETIMEDOUT);
            ck_assert_int_eq(weft_queue_destroy(q), 0);
        }
    }
}
END_TEST

START_TEST(test_lifo_order)
{
    weft_queue_t *q;
    void *it;

    ck_assert_int_eq(weft_queue_create(WEFT_QUEUE_LIFO, 5, &q), 0);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(weft_queue_try_put(q, P(i)), 0);
    for (int i = 4; i >= 0; i--) {
        ck_assert_int_eq(weft_queue_try_get(q, &it), 0);
        ck_assert_ptr_eq(it, P(i));
    }
    weft_queue_destroy(q);
}
END_TEST

START_TEST(test_priority_fifo_among_equals)
{
    weft_queue_t *q;
    void *it;
    int64_t prios[] = {5, 1, 5, -3, 1, 5, 0, -3};
    int order[] = {3, 7, 6, 1, 4, 0, 2, 5};

    ck_assert_int_eq(weft_queue_create(WEFT_QUEUE_PRIORITY, 8, &q), 0);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(
            weft_queue_put_prio(q, P(i), prios[i], WEFT_DEADLINE_POLL), 0);
    for (int i = 0; i < 8; i++) {
        ck_assert_int_eq(weft_queue_try_get(q, &it), 0);
        ck_assert_ptr_eq(it, P(order[i]));
    }
    /* plain put on a priority queue is priority 0 */
    ck_assert_int_eq(weft_queue_put_prio(q, P(1), 1, WEFT_DEADLINE_POLL), 0);
    ck_assert_int_eq(weft_queue_try_put(q, P(2)), 0);
    ck_assert_int_eq(weft_queue_try_get(q, &it), 0);
    ck_assert_ptr_eq(it, P(2));
    weft_queue_destroy(q);
}
END_TEST

/* A large FIFO keeps order through wrap-around; NULL items pass. */
START_TEST(test_fifo_wrap_and_null)
{
    weft_queue_t *q;
    void *it;

    ck_assert_int_eq(weft_queue_create(WEFT_QUEUE_FIFO, 3, &q), 0);
    for (int i = 0; i < 1000; i++) {
        ck_assert_int_eq(weft_queue_try_put(q, P(i)), 0);
        ck_assert_int_eq(weft_queue_try_put(q, NULL), 0);
        ck_assert_int_eq(weft_queue_try_get(q, &it), 0);
        ck_assert_ptr_eq(it, P(i));
        ck_assert_int_eq(weft_queue_try_get(q, &it), 0);
        ck_assert_ptr_null(it);
    }
    weft_queue_destroy(q);
}
END_TEST

struct pc {
    weft_queue_t *q;
    int n;
    long sum;
    int rc;
};

static void *
producer(void *arg)
{
    struct pc *p = arg;

    for (int i = 1; i <= p->n; i++) {
        p->rc = weft_queue_put(p->q, P(i), WEFT_DEADLINE_NEVER);
        if (p->rc != 0)
            break;
    }
    return NULL;
}

static void *
consumer_done(void *arg)
{
    struct pc *p = arg;
    void *it;

    for (;;) {
        p->rc = weft_queue_get(p->q, &it, WEFT_DEADLINE_NEVER);
        if (p->rc != 0)
            break;
        p->sum += (long)(uintptr_t)it;
        weft_queue_task_done(p->q);
    }
    return NULL;
}

/* CPython's test_queue_task_done / queue_join_test. */
START_TEST(test_task_done_join)
{
    for (int k = 0; k < NKINDS; k++) {
        weft_queue_t *q;
        struct pc c[2] = {{0}};
        pthread_t t[2];
        long total = 0;

        ck_assert_int_eq(weft_queue_create(kinds[k], 10, &q), 0);
        ck_assert_int_eq(weft_queue_task_done(q), -EOVERFLOW);
        ck_assert_int_eq(weft_queue_join(q, WEFT_DEADLINE_POLL), 0);
        for (int i = 0; i < 2; i++) {
            c[i].q = q;
            pthread_create(&t[i], NULL, consumer_done, &c[i]);
        }
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 100; i++)
                ck_assert_int_eq(weft_queue_put(q, P(i), WEFT_DEADLINE_NEVER),
                                 0);
            /* a hang guard, scaled for slow builds (TSan) */
            ck_assert_int_eq(
                weft_queue_join(
                    q, weft_deadline_in(
                           (uint64_t)(10000 * MS *
                                      weft_test_timeout_multiplier()))),
                0);
            ck_assert_uint_eq(weft_queue_len(q), 0);
        }
        ck_assert_int_eq(weft_queue_shutdown(q, 0), 0);
        for (int i = 0; i < 2; i++) {
            pthread_join(t[i], NULL);
            ck_assert_int_eq(c[i].rc, -ESHUTDOWN);
            total += c[i].sum;
        }
        ck_assert_int_eq(total, 2 * 4950);
        ck_assert_int_eq(weft_queue_task_done(q), -EOVERFLOW);
        weft_queue_destroy(q);
    }
}
END_TEST

START_TEST(test_join_timeout)
{
    weft_queue_t *q;
    void *it;

    ck_assert_int_eq(weft_queue_create(WEFT_QUEUE_FIFO, 2, &q), 0);
    ck_assert_int_eq(weft_queue_try_put(q, P(1)), 0);
    ck_assert_int_eq(weft_queue_join(q, weft_deadline_in(2 * MS)), -ETIMEDOUT);
    ck_assert_int_eq(weft_queue_try_get(q, &it), 0);
    ck_assert_int_eq(weft_queue_join(q, WEFT_DEADLINE_POLL), -ETIMEDOUT);
    ck_assert_int_eq(weft_queue_task_done(q), 0);
    ck_assert_int_eq(weft_queue_join(q, WEFT_DEADLINE_POLL), 0);
    weft_queue_destroy(q);
}
END_TEST

/* Many items through a small queue between threads, blocking both ways. */
START_TEST(test_blocking_transfer)
{
    for (int k = 0; k < NKINDS; k++) {
        weft_queue_t *q;
        struct pc p = {0}, c = {0};
        pthread_t tp, tc;

        ck_assert_int_eq(weft_queue_create(kinds[k], 3, &q), 0);
        p.q = c.q = q;
        p.n = 20000;
        pthread_create(&tc, NULL, consumer_done, &c);
        pthread_create(&tp, NULL, producer, &p);
        pthread_join(tp, NULL);
        ck_assert_int_eq(p.rc, 0);
        ck_assert_int_eq(weft_queue_join(q, WEFT_DEADLINE_NEVER), 0);
        weft_queue_shutdown(q, 0);
        pthread_join(tc, NULL);
        ck_assert_int_eq(c.rc, -ESHUTDOWN);
        ck_assert_int_eq(c.sum, 20000L * 20001 / 2);
        weft_queue_destroy(q);
    }
}
END_TEST

/* Python 3.13 shutdown: blocked producer and consumer both wake. */
START_TEST(test_shutdown_wakes_blocked)
{
    for (int k = 0; k < NKINDS; k++) {
        weft_queue_t *q, *q2;
        struct pc p = {0}, c = {0};
        pthread_t tp, tc;

        ck_assert_int_eq(weft_queue_create(kinds[k], 1, &q), 0);
        ck_assert_int_eq(weft_queue_create(kinds[k], 1, &q2), 0);
        ck_assert_int_eq(weft_queue_try_put(q, P(1)), 0);
        p.q = q;
        p.n = 1;  /* blocks: q is full */
        c.q = q2; /* blocks: q2 is empty */
        pthread_create(&tp, NULL, producer, &p);
        pthread_create(&tc, NULL, consumer_done, &c);
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        ck_assert(!weft_queue_is_shutdown(q));
        ck_assert_int_eq(weft_queue_shutdown(q, 0), 0);
        ck_assert_int_eq(weft_queue_shutdown(q2, 0), 0);
        ck_assert(weft_queue_is_shutdown(q));
        pthread_join(tp, NULL);
        pthread_join(tc, NULL);
        ck_assert_int_eq(p.rc, -ESHUTDOWN);
        ck_assert_int_eq(c.rc, -ESHUTDOWN);
        weft_queue_destroy(q);
        weft_queue_destroy(q2);
    }
}
END_TEST

START_TEST(test_shutdown_drain_and_immediate)
{
    for (int k = 0; k < NKINDS; k++) {
        weft_queue_t *q;
        void *it;

        /* non-immediate: queued items still come out, then ESHUTDOWN */
        ck_assert_int_eq(weft_queue_create(kinds[k], 4, &q), 0);
        ck_assert_int_eq(weft_queue_try_put(q, P(1)), 0);
        ck_assert_int_eq(weft_queue_try_put(q, P(2)), 0);
        ck_assert_int_eq(weft_queue_shutdown(q, 0), 0);
        ck_assert_int_eq(weft_queue_shutdown(q, 0), 0); /* idempotent */
        ck_assert_int_eq(weft_queue_try_put(q, P(3)), -ESHUTDOWN);
        ck_assert_int_eq(weft_queue_put(q, P(3), WEFT_DEADLINE_NEVER),
                         -ESHUTDOWN);
        ck_assert_int_eq(weft_queue_get(q, &it, WEFT_DEADLINE_NEVER), 0);
        ck_assert_int_eq(weft_queue_try_get(q, &it), 0);
        ck_assert_int_eq(weft_queue_get(q, &it, WEFT_DEADLINE_NEVER),
                         -ESHUTDOWN);
        ck_assert_int_eq(weft_queue_try_get(q, &it), -ESHUTDOWN);
        ck_assert_int_eq(weft_queue_join(q, WEFT_DEADLINE_POLL), -ETIMEDOUT);
        weft_queue_destroy(q);

        /* immediate: items dropped, counted done, join passes */
        ck_assert_int_eq(weft_queue_create(kinds[k], 4, &q), 0);
        ck_assert_int_eq(weft_queue_try_put(q, P(1)), 0);
        ck_assert_int_eq(weft_queue_try_put(q, P(2)), 0);
        ck_assert_int_eq(weft_queue_try_get(q, &it), 0);
        ck_assert_int_eq(weft_queue_task_done(q), 0);
        ck_assert_int_eq(weft_queue_shutdown(q, WEFT_QUEUE_SHUTDOWN_IMMEDIATE),
                         0);
        ck_assert_uint_eq(weft_queue_len(q), 0);
        ck_assert_int_eq(weft_queue_try_get(q, &it), -ESHUTDOWN);
        ck_assert_int_eq(weft_queue_join(q, WEFT_DEADLINE_POLL), 0);
        ck_assert_int_eq(weft_queue_task_done(q), -EOVERFLOW);
        weft_queue_destroy(q);
    }
}
END_TEST

/* WEFT_QUEUE_FIFO_LANES ([Q7] credits): each thread puts into its own
 * lane, and the
 * capacity still holds for the whole queue. A thread whose lane has no
 * credit left takes the unused ones of another lane (here: of a thread
 * that has exited, whose lane stays biased to it), so try_put fails only
 * when the queue holds capacity items. */
#define LANE_CAP     5
#define LANE_THREADS 8
static weft_queue_t *lane_q;
static _Atomic unsigned lane_puts;

static void *
lane_filler(void *arg)
{
    uintptr_t id = (uintptr_t)arg;

    for (uintptr_t s = 1;; s++) {
        int rc = weft_queue_try_put(lane_q, P((id << 16) | s));
        if (rc != 0) {
            ck_assert_int_eq(rc, -EAGAIN);
            return NULL;
        }
        /* relaxed: read after join. */
        atomic_fetch_add_explicit(&lane_puts, 1, memory_order_relaxed);
    }
}

static void
lane_run(unsigned threads)
{
    pthread_t th[LANE_THREADS];

    for (unsigned i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, lane_filler, (void *)(uintptr_t)(i + 1));
    for (unsigned i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
}

START_TEST(test_fifo_lanes_capacity)
{
    uint32_t last[LANE_THREADS + 2] = {0};
    void *it;
    unsigned got = 0;

    ck_assert_int_eq(
        weft_queue_create(WEFT_QUEUE_FIFO_LANES, LANE_CAP, &lane_q), 0);
    atomic_store_explicit(&lane_puts, 0, memory_order_relaxed);
    /* One thread fills the queue and exits, its lane holding every credit. */
    lane_run(1);
    ck_assert_uint_eq(atomic_load_explicit(&lane_puts, memory_order_relaxed),
                      LANE_CAP);
    ck_assert_uint_eq(weft_queue_len(lane_q), LANE_CAP);
    ck_assert_int_eq(weft_queue_try_put(lane_q, P(1)), -EAGAIN);
    /* One get frees one credit in that lane: another thread may use it. */
    ck_assert_int_eq(weft_queue_try_get(lane_q, &it), 0);
    ck_assert_ptr_eq(it, P((1u << 16) | 1));
    atomic_store_explicit(&lane_puts, 0, memory_order_relaxed);
    lane_run(1);
    ck_assert_uint_eq(atomic_load_explicit(&lane_puts, memory_order_relaxed),
                      1);
    /* Drain; then many threads race for the credits: never more than
     * LANE_CAP items, and a last filler tops the queue up to exactly it. */
    while (weft_queue_try_get(lane_q, &it) == 0)
        ;
    ck_assert_uint_eq(weft_queue_len(lane_q), 0);
    atomic_store_explicit(&lane_puts, 0, memory_order_relaxed);
    lane_run(LANE_THREADS);
    ck_assert_uint_le(atomic_load_explicit(&lane_puts, memory_order_relaxed),
                      LANE_CAP);
    lane_run(1);
    ck_assert_uint_eq(atomic_load_explicit(&lane_puts, memory_order_relaxed),
                      LANE_CAP);
    ck_assert_uint_eq(weft_queue_len(lane_q), LANE_CAP);
    /* Each producer's items come out in its order. */
    while (weft_queue_try_get(lane_q, &it) == 0) {
        uintptr_t v = (uintptr_t)it, id = v >> 16;
        ck_assert_uint_le(id, LANE_THREADS);
        ck_assert_uint_gt(v & 0xffff, last[id]);
        last[id] = (uint32_t)(v & 0xffff);
        got++;
    }
    ck_assert_uint_eq(got, LANE_CAP);
    weft_queue_destroy(lane_q);
}
END_TEST

/* No lane starves: with one producer's lane always full, another
 * producer's item still comes out within Q_FAIR (1024) gets. */
static void *
fair_filler(void *arg)
{
    uintptr_t n = (uintptr_t)arg;

    for (uintptr_t i = 1; i <= n; i++)
        ck_assert_int_eq(weft_queue_try_put(lane_q, P(i)), 0);
    return NULL;
}

START_TEST(test_fifo_lanes_fair)
{
    pthread_t a, b;
    void *it;
    unsigned k;

    ck_assert_int_eq(weft_queue_create(WEFT_QUEUE_FIFO_LANES, 4096, &lane_q),
                     0);
    pthread_create(&a, NULL, fair_filler, (void *)(uintptr_t)3000);
    pthread_join(a, NULL);
    pthread_create(&b, NULL, fair_filler, (void *)(uintptr_t)1);
    pthread_join(b, NULL);
    for (k = 1; k <= 3001; k++) {
        ck_assert_int_eq(weft_queue_try_get(lane_q, &it), 0);
        if (it == P(1) && k > 1)
            break; /* the second 1: B's item (or A's first, after B's) */
    }
    ck_assert_uint_le(k, 1025);
    weft_queue_destroy(lane_q);
}
END_TEST

static Suite *
queue_suite(void)
{
    Suite *s = suite_create("queue");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60 * weft_test_timeout_multiplier());
    tcase_add_test(tc, test_bad_input);
    tcase_add_test(tc, test_order_and_capacity);
    tcase_add_test(tc, test_lifo_order);
    tcase_add_test(tc, test_priority_fifo_among_equals);
    tcase_add_test(tc, test_fifo_wrap_and_null);
    tcase_add_test(tc, test_task_done_join);
    tcase_add_test(tc, test_join_timeout);
    tcase_add_test(tc, test_blocking_transfer);
    tcase_add_test(tc, test_shutdown_wakes_blocked);
    tcase_add_test(tc, test_shutdown_drain_and_immediate);
    tcase_add_test(tc, test_fifo_lanes_capacity);
    tcase_add_test(tc, test_fifo_lanes_fair);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(queue_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
