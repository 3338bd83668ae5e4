/* SPDX-License-Identifier: MIT */
/* test_barrier.c - weft_barrier (CPython BarrierTests). */
#include <check.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include <weft/sync.h>

#include "weft_test.h"

#define MS WEFT_NS_PER_MS
#define N  5

/* A hang guard for waits that must succeed: 10 s, scaled for slow builds
 * (TSan) as every timeout is. */
static weft_deadline_t
long_deadline(void)
{
    return weft_deadline_in(
        (uint64_t)(10000 * MS * weft_test_timeout_multiplier()));
}

struct bw {
    struct weft_barrier b;
    _Atomic int phase_count[3];
    _Atomic int actions;
    _Atomic unsigned index_mask;
    _Atomic int rc_sum[8];
    int fail_action;
};

static int
action(void *arg)
{
    struct bw *w = arg;

    atomic_fetch_add(&w->actions, 1);
    /* calling the barrier from its action is refused, not a deadlock */
    if (weft_barrier_wait(&w->b, 0, NULL) != -EDEADLK)
        return -EINVAL;
    return w->fail_action ? -ECANCELED : 0;
}

static void *
multipass(void *arg)
{
    struct bw *w = arg;
    unsigned idx;

    for (int p = 0; p < 3; p++) {
        atomic_fetch_add(&w->phase_count[p], 1);
        ck_assert_int_eq(weft_barrier_wait(&w->b, long_deadline(), &idx), 0);
        /* everyone of this phase arrived before anyone left */
        ck_assert_int_eq(atomic_load(&w->phase_count[p]), N);
        if (p == 0)
            atomic_fetch_or(&w->index_mask, 1u << idx);
        weft_barrier_wait(&w->b, long_deadline(), NULL);
    }
    return NULL;
}

/* CPython test_barrier (multipass), test_action, test_wait_return. */
START_TEST(test_barrier_cycles)
{
    static struct bw w;
    pthread_t t[N];

    ck_assert_int_eq(weft_barrier_init(&w.b, N, action, &w), 0);
    ck_assert_uint_eq(weft_barrier_parties(&w.b), N);
    for (int i = 0; i < N; i++)
        pthread_create(&t[i], NULL, multipass, &w);
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&w.actions), 6);
    ck_assert_uint_eq(atomic_load(&w.index_mask), (1u << N) - 1);
    ck_assert(!weft_barrier_broken(&w.b));
    ck_assert_uint_eq(weft_barrier_n_waiting(&w.b), 0);
    ck_assert_int_eq(weft_barrier_fini(&w.b), 0);
}
END_TEST

START_TEST(test_barrier_bad_input)
{
    struct weft_barrier b;

    ck_assert_int_eq(weft_barrier_init(NULL, 2, NULL, NULL), -EINVAL);
    ck_assert_int_eq(weft_barrier_init(&b, 0, NULL, NULL), -EINVAL);
    ck_assert_int_eq(weft_barrier_wait(NULL, 0, NULL), -EINVAL);
    ck_assert_int_eq(weft_barrier_abort(NULL), -EINVAL);
    ck_assert_int_eq(weft_barrier_reset(NULL), -EINVAL);
    ck_assert_int_eq(weft_barrier_fini(NULL), -EINVAL);
    ck_assert_uint_eq(weft_barrier_parties(NULL), 0);
    ck_assert(!weft_barrier_broken(NULL));
    /* a single party never waits */
    ck_assert_int_eq(weft_barrier_init(&b, 1, NULL, NULL), 0);
    unsigned idx = 9;
    ck_assert_int_eq(weft_barrier_wait(&b, WEFT_DEADLINE_POLL, &idx), 0);
    ck_assert_uint_eq(idx, 0);
}
END_TEST

struct one {
    struct bw *w;
    int slot;
    weft_deadline_t dl;
};

static void *
once(void *arg)
{
    struct one *o = arg;

    atomic_store(&o->w->rc_sum[o->slot],
                 weft_barrier_wait(&o->w->b, o->dl, NULL));
    return NULL;
}

/* CPython test_timeout: one thread's timeout breaks it for all. */
START_TEST(test_barrier_timeout_breaks)
{
    static struct bw w;
    pthread_t t[2];
    struct one o[2] = {{&w, 0, 0}, {&w, 1, 0}};

    weft_barrier_init(&w.b, 3, NULL, NULL);
    o[0].dl = long_deadline();
    pthread_create(&t[0], NULL, once, &o[0]);
    /* The other arrives only once the first is waiting, however late its
     * thread starts: its timeout is then what breaks the barrier. */
    while (weft_barrier_n_waiting(&w.b) < 1)
        sched_yield();
    o[1].dl = weft_deadline_in(30 * MS);
    pthread_create(&t[1], NULL, once, &o[1]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&w.rc_sum[0]), -EPIPE);
    ck_assert_int_eq(atomic_load(&w.rc_sum[1]), -ETIMEDOUT);
    ck_assert(weft_barrier_broken(&w.b));
    ck_assert_int_eq(weft_barrier_wait(&w.b, WEFT_DEADLINE_POLL, NULL), -EPIPE);
    ck_assert_int_eq(weft_barrier_reset(&w.b), 0);
    ck_assert(!weft_barrier_broken(&w.b));
}
END_TEST

/* An action that blocks (holding the barrier's lock) until released. */
struct held {
    struct weft_event go;
    _Atomic int running;
};

static int
held_action(void *arg)
{
    struct held *h = arg;

    atomic_store(&h->running, 1);
    return weft_event_wait(&h->go, WEFT_DEADLINE_NEVER);
}

/* A deadline that passes before the thread could even arrive (the previous
 * cycle's action holds the lock) still breaks the barrier: -ETIMEDOUT
 * means broken, whichever path the late thread took ([B4]). */
START_TEST(test_barrier_timeout_before_arrival)
{
    static struct bw w;
    static struct held h;
    pthread_t t[3];
    struct one o[3];

    weft_event_init(&h.go);
    weft_barrier_init(&w.b, 2, held_action, &h);
    for (int i = 0; i < 2; i++) {
        o[i] = (struct one){&w, i, long_deadline()};
        pthread_create(&t[i], NULL, once, &o[i]);
    }
    while (!atomic_load(&h.running))
        sched_yield();
    o[2] = (struct one){&w, 2, weft_deadline_in(20 * MS)};
    pthread_create(&t[2], NULL, once, &o[2]);
    /* Let the late thread's deadline pass while the action runs (usually
     * with the thread waiting for the lock; any other path must give the
     * same answers below). */
    while (weft_now_ns() < o[2].dl + 20 * MS)
        sched_yield();
    weft_event_set(&h.go);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++) {
        int rc = atomic_load(&w.rc_sum[i]);
        ck_assert_msg(rc == 0 || rc == -EPIPE, "party %d: %d", i, rc);
    }
    ck_assert_int_eq(atomic_load(&w.rc_sum[2]), -ETIMEDOUT);
    ck_assert(weft_barrier_broken(&w.b));
    ck_assert_int_eq(weft_barrier_wait(&w.b, WEFT_DEADLINE_POLL, NULL), -EPIPE);
}
END_TEST

/* CPython test_abort and test_reset: waiters get BrokenBarrierError. */
START_TEST(test_barrier_abort_reset)
{
    static struct bw w;
    pthread_t t[2];
    struct one o[2];

    for (int mode = 0; mode < 2; mode++) {
        weft_barrier_init(&w.b, 3, NULL, NULL);
        for (int i = 0; i < 2; i++) {
            o[i] = (struct one){&w, i, long_deadline()};
            pthread_create(&t[i], NULL, once, &o[i]);
        }
        /* Both are waiting (thread start-up takes no fixed time). */
        while (weft_barrier_n_waiting(&w.b) < 2)
            sched_yield();
        ck_assert_uint_eq(weft_barrier_n_waiting(&w.b), 2);
        if (mode == 0)
            ck_assert_int_eq(weft_barrier_abort(&w.b), 0);
        else
            ck_assert_int_eq(weft_barrier_reset(&w.b), 0);
        for (int i = 0; i < 2; i++) {
            pthread_join(t[i], NULL);
            ck_assert_int_eq(atomic_load(&w.rc_sum[i]), -EPIPE);
        }
        ck_assert(weft_barrier_broken(&w.b) == (mode == 0));
        weft_barrier_reset(&w.b);
        /* usable again after reset */
        for (int i = 0; i < 2; i++) {
            o[i] = (struct one){&w, i, long_deadline()};
            pthread_create(&t[i], NULL, once, &o[i]);
        }
        ck_assert_int_eq(weft_barrier_wait(&w.b, long_deadline(), NULL), 0);
        for (int i = 0; i < 2; i++) {
            pthread_join(t[i], NULL);
            ck_assert_int_eq(atomic_load(&w.rc_sum[i]), 0);
        }
    }
}
END_TEST

/* CPython test_action_exception: the action's failure breaks the barrier;
 * its thread gets the code, the others -EPIPE. */
START_TEST(test_barrier_action_fails)
{
    static struct bw w;
    pthread_t t;
    struct one o = {&w, 0, 0};

    w.fail_action = 1;
    weft_barrier_init(&w.b, 2, action, &w);
    o.dl = long_deadline();
    pthread_create(&t, NULL, once, &o);
    int rc = weft_barrier_wait(&w.b, long_deadline(), NULL);
    pthread_join(t, NULL);
    int other = atomic_load(&w.rc_sum[0]);
    ck_assert((rc == -ECANCELED && other == -EPIPE) ||
              (rc == -EPIPE && other == -ECANCELED));
    ck_assert(weft_barrier_broken(&w.b));
}
END_TEST

static Suite *
barrier_suite(void)
{
    Suite *s = suite_create("barrier");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 60 * weft_test_timeout_multiplier());
    tcase_add_test(tc, test_barrier_cycles);
    tcase_add_test(tc, test_barrier_bad_input);
    tcase_add_test(tc, test_barrier_timeout_breaks);
    tcase_add_test(tc, test_barrier_timeout_before_arrival);
    tcase_add_test(tc, test_barrier_abort_reset);
    tcase_add_test(tc, test_barrier_action_fails);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(barrier_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
