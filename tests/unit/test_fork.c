/* SPDX-License-Identifier: MIT */
/*
 * test_fork.c - fork() from a process with a running pool (pool.h, "Fork").
 * The parent forks while tasks run (reading a map, adding to a counter)
 * and timers are armed. The child checks that the inherited pool refuses
 * work with -ESHUTDOWN, that destroying it returns without joining and
 * cancels its armed timers, and that a new pool works: tasks, a timer, a
 * map (whose frees need grace periods: a dead worker of the parent must
 * not hold them up) and a counter. The parent's pool keeps working. The
 * child is awaited with a deadline: a hang fails the test (the child is
 * killed), it does not hang ctest.
 */
#define _GNU_SOURCE
#include <check.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <weft.h>

#include "weft_test.h"

/* TSan refuses to start threads in the child of a multi-threaded fork
 * unless told otherwise; the child here must (its new pool). */
#if defined(__SANITIZE_THREAD__)
#    define FORK_TSAN 1
#elif defined(__has_feature)
#    if __has_feature(thread_sanitizer)
#        define FORK_TSAN 1
#    endif
#endif
#ifdef FORK_TSAN
const char *__tsan_default_options(void);
const char *
__tsan_default_options(void)
{
    return "die_after_fork=0";
}
#endif

/* ASan (clang 14) does not hold its allocator's locks across fork(): a
 * thread allocating at the fork can leave one held in the child, which
 * then hangs in malloc. Under ASan no thread allocates at the fork: the
 * periodic timer (whose fires allocate) is an hour long there. */
#if defined(__SANITIZE_ADDRESS__)
#    define FORK_ASAN 1
#elif defined(__has_feature)
#    if __has_feature(address_sanitizer)
#        define FORK_ASAN 1
#    endif
#endif
#ifdef FORK_ASAN
#    define PERIOD (3600 * WEFT_NS_PER_SEC)
#else
#    define PERIOD WEFT_NS_PER_MS
#endif

static _Atomic int stop, spinning;
static struct weft_event release_user;

/* A non-daemon weft thread alive at the fork: the child must not wait for
 * it (it does not exist there), neither in join nor at exit. */
static int
user_thread(void *arg)
{
    (void)arg;
    return weft_event_wait(&release_user, WEFT_DEADLINE_NEVER);
}
static weft_map_t *map;
static weft_counter_t *counter;

/* Runs until stop: an online map reader on a worker at the fork. */
static int
spinner(void *arg, void **result)
{
    int k = 1, v;

    (void)arg;
    (void)result;
    /* The first pass allocates (counter slot, RCU registration): before
     * the fork. */
    (void)weft_map_get(map, &k, sizeof(k), &v, sizeof(v), NULL);
    (void)weft_counter_add(counter, 1);
    atomic_fetch_add(&spinning, 1);
    while (!atomic_load(&stop)) {
        (void)weft_map_get(map, &k, sizeof(k), &v, sizeof(v), NULL);
        (void)weft_counter_add(counter, 1);
        sched_yield();
    }
    return 0;
}

static int
square(void *arg, void **result)
{
    *result = (void *)((uintptr_t)arg * (uintptr_t)arg);
    return 0;
}

static int
noop(void *arg, void **result)
{
    (void)arg;
    (void)result;
    return 0;
}

/* The child's checks; returns the number of the first that failed. */
static int
child(weft_pool_t *old, weft_future_t *timer_old, weft_thread_t *th)
{
    int th_rc = 0;

    weft_pool_t *p = NULL;
    weft_future_t *f = NULL, *fs[32];
    weft_map_t *m = NULL;
    weft_counter_t *c = NULL;
    int64_t total = -1;
    void *res;

    /* The parent's thread is gone here: done at once, rc -ECHILD, not
     * listed (so the atexit join of non-daemon threads skips it). */
    if (weft_thread_is_alive(th) ||
        weft_thread_join(th, WEFT_DEADLINE_POLL, &th_rc) != 0 ||
        th_rc != -ECHILD || weft_threads_active_count() != 0)
        return 14;
    if (weft_pool_submit(old, noop, NULL, &f) != -ESHUTDOWN)
        return 1;
    if (weft_pool_submit_after(old, 1, noop, NULL, &f) != -ESHUTDOWN)
        return 2;
    if (weft_pool_destroy(old) != 0) /* no workers to join */
        return 3;
    if (weft_future_result(timer_old, WEFT_DEADLINE_POLL, NULL) != -ECANCELED)
        return 4;
    if (weft_pool_create(NULL, &p) != 0)
        return 5;
    for (uintptr_t i = 0; i < 32; i++)
        if (weft_pool_submit(p, square, (void *)i, &fs[i]) != 0)
            return 6;
    for (uintptr_t i = 0; i < 32; i++) {
        if (weft_future_result(fs[i], WEFT_DEADLINE_NEVER, &res) != 0 ||
            (uintptr_t)res != i * i)
            return 7;
        weft_future_release(fs[i]);
    }
    if (weft_pool_submit_after(p, WEFT_NS_PER_MS, noop, NULL, &f) != 0 ||
        weft_future_result(f, WEFT_DEADLINE_NEVER, NULL) != 0)
        return 8;
    weft_future_release(f);
    if (weft_map_create(NULL, &m) != 0)
        return 9;
    for (int k = 0; k < 1000; k++)
        if (weft_map_put(m, &k, sizeof(k), &k, sizeof(k), NULL) != 0 ||
            weft_map_remove(m, &k, sizeof(k)) != 0)
            return 10;
    if (weft_map_destroy(m) != 0) /* waits for the grace periods */
        return 11;
    if (weft_counter_create(&c) != 0 || weft_counter_add(c, 5) != 0 ||
        weft_counter_read(c, &total) != 0 || total != 5)
        return 12;
    weft_counter_destroy(c);
    if (weft_pool_destroy(p) != 0)
        return 13;
    return 0;
}

START_TEST(fork_with_running_pool)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    weft_pool_t *pool = NULL;
    weft_future_t *spin[2], *armed = NULL, *every = NULL, *f = NULL;
    weft_thread_t *th = NULL;
    int th_rc = -1;
    uint64_t dl;
    int k = 1, status = 0;
    pid_t pid, w;
    void *res;

    o.workers = 2;
    ck_assert_int_eq(weft_pool_create(&o, &pool), 0);
    ck_assert_int_eq(weft_map_create(NULL, &map), 0);
    ck_assert_int_eq(weft_map_put(map, &k, sizeof(k), &k, sizeof(k), NULL), 0);
    ck_assert_int_eq(weft_counter_create(&counter), 0);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(weft_pool_submit(pool, spinner, NULL, &spin[i]), 0);
    ck_assert_int_eq(weft_pool_submit_after(pool, 3600 * WEFT_NS_PER_SEC, noop,
                                            NULL, &armed),
                     0);
    ck_assert_int_eq(weft_pool_submit_every(pool, PERIOD, noop, NULL, &every),
                     0);
    while (atomic_load(&spinning) < 2)
        sched_yield();

    weft_event_init(&release_user);
    ck_assert_int_eq(weft_thread_start(NULL, user_thread, NULL, &th), 0);

    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(child(pool, armed, th));

    dl = weft_deadline_in(
        (uint64_t)(30 * WEFT_NS_PER_SEC * weft_test_timeout_multiplier()));
    while ((w = waitpid(pid, &status, WNOHANG)) == 0 && weft_now_ns() < dl)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
    if (w == 0) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    ck_assert_msg(w == pid, "the child hung (killed)");
    ck_assert_msg(WIFEXITED(status), "the child crashed");
    ck_assert_int_eq(WEXITSTATUS(status), 0);

    /* The parent's pool, timers and map are untouched. */
    ck_assert(!weft_future_done(armed) && !weft_future_done(every));
    atomic_store(&stop, 1); /* frees both workers */
    ck_assert_int_eq(weft_pool_submit(pool, square, (void *)7, &f), 0);
    ck_assert_int_eq(weft_future_result(f, WEFT_DEADLINE_NEVER, &res), 0);
    ck_assert_ptr_eq(res, (void *)49);
    weft_future_release(f);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(weft_future_result(spin[i], WEFT_DEADLINE_NEVER, NULL),
                         0);
        weft_future_release(spin[i]);
    }
    ck_assert_int_eq(weft_pool_destroy(pool), 0);
    ck_assert_int_eq(weft_future_result(armed, WEFT_DEADLINE_POLL, NULL),
                     -ECANCELED);
    ck_assert_int_eq(weft_future_result(every, WEFT_DEADLINE_POLL, NULL),
                     -ECANCELED);
    weft_future_release(armed);
    weft_future_release(every);
    ck_assert_int_eq(weft_map_destroy(map), 0);
    weft_counter_destroy(counter);
    /* In the parent the thread is alive and joins as usual. */
    ck_assert(weft_thread_is_alive(th));
    weft_event_set(&release_user);
    ck_assert_int_eq(weft_thread_join(th, WEFT_DEADLINE_NEVER, &th_rc), 0);
    ck_assert_int_eq(th_rc, 0);
    weft_thread_destroy(th);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("fork");
    TCase *tc = tcase_create("fork");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 120 * weft_test_timeout_multiplier());
    tcase_add_test(tc, fork_with_running_pool);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
