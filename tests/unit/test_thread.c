/* SPDX-License-Identifier: MIT */
/* test_thread.c - weft_thread_* (after CPython's test_threading). */
#define _GNU_SOURCE
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <weft/sync.h>
#include <weft/thread.h>

#include "internal.h"
#include "weft_test.h"

#define MS   WEFT_NS_PER_MS
#define LONG weft_deadline_in(30 * WEFT_NS_PER_SEC)

struct probe {
    struct weft_event go;
    weft_thread_t *cur;
    int tid;
    int rc;
    int wrote;
};

static int
probe_fn(void *arg)
{
    struct probe *p = arg;

    p->cur = weft_thread_current();
    p->tid = (int)gettid();
    ck_assert_int_eq(weft_event_wait(&p->go, LONG), 0);
    p->wrote = 42;
    return p->rc;
}

START_TEST(test_args)
{
    weft_thread_t *t = NULL;
    struct weft_thread_opts o = WEFT_THREAD_OPTS_INIT;
    size_t n;

    ck_assert_int_eq(weft_thread_start(NULL, NULL, NULL, &t), -EINVAL);
    ck_assert_int_eq(weft_thread_start(NULL, probe_fn, NULL, NULL), -EINVAL);
    o.size = 1;
    ck_assert_int_eq(weft_thread_start(&o, probe_fn, NULL, &t), -EINVAL);
    ck_assert_int_eq(weft_thread_join(NULL, 0, NULL), -EINVAL);
    ck_assert_int_eq(weft_thread_destroy(NULL), -EINVAL);
    ck_assert(!weft_thread_is_alive(NULL));
    ck_assert_uint_eq(weft_thread_ident(NULL), 0);
    ck_assert_ptr_null(weft_thread_name(NULL));
    ck_assert_ptr_null(weft_thread_current()); /* not a weft thread */
    ck_assert_int_eq(weft_threads_enumerate(NULL, 1, &n), -EINVAL);
    ck_assert_int_eq(weft_threads_enumerate(NULL, 0, NULL), -EINVAL);
}
END_TEST

START_TEST(test_lifecycle)
{
    struct weft_thread_opts o = WEFT_THREAD_OPTS_INIT;
    struct probe p = {.rc = 0};
    weft_thread_t *t = NULL;
    int rc = -1;

    ck_assert_int_eq(weft_event_init(&p.go), 0);
    o.name = "a-rather-long-thread-name";
    ck_assert_int_eq(weft_thread_start(&o, probe_fn, &p, &t), 0);
    ck_assert(weft_thread_is_alive(t));
    ck_assert_str_eq(weft_thread_name(t), "a-rather-long-thread-name");
    ck_assert(!weft_thread_daemon(t));
    ck_assert_uint_ne(weft_thread_ident(t), 0);
    ck_assert_int_gt(weft_thread_native_id(t), 0);
    ck_assert_int_ne(weft_thread_native_id(t), (int)gettid());
    /* Not finished: a deadline join times out, the thread goes on. */
    ck_assert_int_eq(weft_thread_join(t, WEFT_DEADLINE_POLL, &rc), -ETIMEDOUT);
    ck_assert_int_eq(weft_thread_join(t, weft_deadline_in(2 * MS), &rc),
                     -ETIMEDOUT);
    ck_assert_int_eq(rc, -1);
    ck_assert_int_eq(weft_event_set(&p.go), 0);
    ck_assert_int_eq(weft_thread_join(t, LONG, &rc), 0);
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(p.wrote, 42); /* join happens-after the thread */
    ck_assert(!weft_thread_is_alive(t));
    ck_assert_ptr_eq(p.cur, t);
    ck_assert_int_eq(p.tid, weft_thread_native_id(t));
    ck_assert_int_eq(weft_thread_join(t, WEFT_DEADLINE_POLL, NULL), 0);
    ck_assert_int_eq(weft_thread_destroy(t), 0);
    weft_event_fini(&p.go);
}
END_TEST

static int
self_join_fn(void *arg)
{
    (void)arg;
    return weft_thread_join(weft_thread_current(), WEFT_DEADLINE_POLL, NULL);
}

START_TEST(test_self_join_and_default_names)
{
    weft_thread_t *a = NULL, *b = NULL;
    int rc = 0;

    weft_thread_set_excepthook(NULL, NULL, NULL, NULL);
    ck_assert_int_eq(weft_thread_start(NULL, self_join_fn, NULL, &a), 0);
    ck_assert_int_eq(weft_thread_start(NULL, self_join_fn, NULL, &b), 0);
    ck_assert_int_eq(weft_thread_join(a, LONG, &rc), 0);
    ck_assert_int_eq(rc, -EDEADLK);
    ck_assert_int_eq(weft_thread_join(b, LONG, NULL), 0);
    ck_assert_uint_ne(weft_thread_ident(a), weft_thread_ident(b));
    ck_assert_int_eq(strncmp(weft_thread_name(a), "Thread-", 7), 0);
    ck_assert_str_ne(weft_thread_name(a), weft_thread_name(b));
    weft_thread_destroy(a);
    weft_thread_destroy(b);
}
END_TEST

/* Enumerate: a consistent list in start order; -ENOSPC reports the size. */
START_TEST(test_enumerate)
{
    enum { N = 3 };
    struct probe p[N];
    weft_thread_t *t[N];
    struct weft_thread_info info[16];
    size_t n = 0, base;
    int found = 0;

    ck_assert_int_eq(weft_threads_enumerate(info, 16, &base), 0);
    for (int i = 0; i < N; i++) {
        struct weft_thread_opts o = WEFT_THREAD_OPTS_INIT;
        memset(&p[i], 0, sizeof(p[i]));
        weft_event_init(&p[i].go);
        o.daemon = i == 1;
        ck_assert_int_eq(weft_thread_start(&o, probe_fn, &p[i], &t[i]), 0);
    }
    ck_assert_uint_eq(weft_threads_active_count(), base + N);
    ck_assert_int_eq(weft_threads_enumerate(info, 16, &n), 0);
    ck_assert_uint_eq(n, base + N);
    for (size_t k = 0, next = 0; k < n; k++) {
        if (next < N && info[k].ident == weft_thread_ident(t[next])) {
            ck_assert_int_eq(info[k].native_id, weft_thread_native_id(t[next]));
            ck_assert_int_eq(info[k].daemon, next == 1);
            ck_assert_int_eq(info[k].kind, WEFT_THREAD_USER);
            next++;
            found++;
        }
    }
    ck_assert_int_eq(found, N);
    ck_assert_int_eq(weft_threads_enumerate(info, 1, &n), -ENOSPC);
    ck_assert_uint_eq(n, base + N);
    for (int i = 0; i < N; i++) {
        weft_event_set(&p[i].go);
        ck_assert_int_eq(weft_thread_join(t[i], LONG, NULL), 0);
        weft_thread_destroy(t[i]);
        weft_event_fini(&p[i].go);
    }
    ck_assert_uint_eq(weft_threads_active_count(), base);
}
END_TEST

struct hooked {
    _Atomic int calls;
    int rc;
    uint64_t ident;
    char name[64];
};

static void
hook_fn(const struct weft_thread_info *ti, int rc, void *ctx)
{
    struct hooked *h = ctx;

    h->rc = rc;
    h->ident = ti->ident;
    memcpy(h->name, ti->name, sizeof(h->name));
    atomic_fetch_add_explicit(&h->calls, 1, memory_order_relaxed);
}

static int
fail_fn(void *arg)
{
    (void)arg;
    return -EIO;
}

/* A failing thread is reported to the hook, and join returns its code. */
START_TEST(test_excepthook)
{
    struct weft_thread_opts o = WEFT_THREAD_OPTS_INIT;
    struct hooked h = {0};
    weft_thread_excepthook_fn old = hook_fn;
    void *old_ctx = &h;
    weft_thread_t *t;
    int rc = 0;

    o.name = "failing";
    ck_assert_int_eq(weft_thread_set_excepthook(hook_fn, &h, &old, &old_ctx),
                     0);
    ck_assert_ptr_null(old); /* the default */
    ck_assert_int_eq(weft_thread_start(&o, fail_fn, NULL, &t), 0);
    ck_assert_int_eq(weft_thread_join(t, LONG, &rc), 0);
    ck_assert_int_eq(rc, -EIO);
    ck_assert_int_eq(atomic_load(&h.calls), 1);
    ck_assert_int_eq(h.rc, -EIO);
    ck_assert_uint_eq(h.ident, weft_thread_ident(t));
    ck_assert_str_eq(h.name, "failing");
    weft_thread_destroy(t);
    /* A thread that succeeds is not reported. */
    ck_assert_int_eq(weft_thread_start(NULL, self_join_fn, NULL, &t), 0);
    ck_assert_int_eq(weft_thread_join(t, LONG, &rc), 0);
    weft_thread_destroy(t);
    ck_assert_int_eq(atomic_load(&h.calls), 2); /* -EDEADLK: reported */
    ck_assert_int_eq(weft_thread_set_excepthook(NULL, NULL, &old, NULL), 0);
    ck_assert_ptr_eq(old, hook_fn);
}
END_TEST

/* The default hook prints one line on stderr. */
START_TEST(test_default_hook_prints)
{
    struct weft_thread_opts o = WEFT_THREAD_OPTS_INIT;
    char buf[256] = {0};
    weft_thread_t *t;
    FILE *tmp = tmpfile();
    int saved = dup(2);

    ck_assert_ptr_nonnull(tmp);
    weft_thread_set_excepthook(NULL, NULL, NULL, NULL);
    dup2(fileno(tmp), 2);
    o.name = "loud";
    ck_assert_int_eq(weft_thread_start(&o, fail_fn, NULL, &t), 0);
    ck_assert_int_eq(weft_thread_join(t, LONG, NULL), 0);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    rewind(tmp);
    ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), tmp));
    ck_assert_ptr_nonnull(strstr(buf, "thread 'loud'"));
    ck_assert_ptr_nonnull(strstr(buf, "-5"));
    fclose(tmp);
    weft_thread_destroy(t);
}
END_TEST

/* The scheduler's registration hook (internal.h; each pool worker calls
 * it): a registered worker is listed as a pool worker, is its own
 * weft_thread_current(), and cannot be joined or destroyed through that
 * entry. Driven here from a plain pthread. */

struct wk {
    struct weft_event registered, leave;
    weft_thread_t *self;
    int join_rc, destroy_rc;
};

static void *
fake_worker(void *arg)
{
    struct wk *w = arg;

    weft__thread_worker_enter("weft-fake-0");
    w->self = weft_thread_current();
    w->join_rc = weft_thread_join(w->self, WEFT_DEADLINE_POLL, NULL);
    w->destroy_rc = weft_thread_destroy(w->self);
    weft_event_set(&w->registered);
    weft_event_wait(&w->leave, LONG);
    weft__thread_worker_exit();
    ck_assert_ptr_null(weft_thread_current());
    return NULL;
}

START_TEST(test_worker_hook)
{
    struct weft_thread_info info[64];
    struct wk w;
    pthread_t th;
    size_t n, base = weft_threads_active_count();
    int found = 0;

    memset(&w, 0, sizeof(w));
    weft_event_init(&w.registered);
    weft_event_init(&w.leave);
    ck_assert_int_eq(pthread_create(&th, NULL, fake_worker, &w), 0);
    ck_assert_int_eq(weft_event_wait(&w.registered, LONG), 0);
    ck_assert_ptr_nonnull(w.self);
    ck_assert_int_eq(w.join_rc, -EPERM);
    ck_assert_int_eq(w.destroy_rc, -EPERM);
    ck_assert_int_eq(weft_threads_enumerate(info, 64, &n), 0);
    ck_assert_uint_eq(n, base + 1);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(info[i].name, "weft-fake-0") == 0) {
            ck_assert_int_eq(info[i].kind, WEFT_THREAD_POOL_WORKER);
            ck_assert(info[i].daemon);
            ck_assert_int_gt(info[i].native_id, 0);
            found++;
        }
    }
    ck_assert_int_eq(found, 1);
    weft_event_set(&w.leave);
    pthread_join(th, NULL);
    ck_assert_uint_eq(weft_threads_active_count(), base);
}
END_TEST

/* Daemon semantics at exit, in a child process: a non-daemon thread is
 * joined (it finishes its write after main returned); a daemon thread
 * blocked forever does not keep the process alive. */
static int pipe_w;

static int
late_writer(void *arg)
{
    struct timespec ts = {0, 50 * 1000 * 1000};

    (void)arg;
    nanosleep(&ts, NULL);
    ck_assert_int_eq(write(pipe_w, "N", 1), 1);
    return 0;
}

static int
blocked_forever(void *arg)
{
    struct weft_event *e = arg;

    weft_event_wait(e, WEFT_DEADLINE_NEVER);
    ck_assert_int_eq(write(pipe_w, "D", 1), 1);
    return 0;
}

START_TEST(test_daemon_at_exit)
{
    int fds[2];
    pid_t pid;
    char buf[8] = {0};
    int status;
    ssize_t r;

    ck_assert_int_eq(pipe(fds), 0);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        static struct weft_event never;
        struct weft_thread_opts d = WEFT_THREAD_OPTS_INIT;
        weft_thread_t *a, *b;

        close(fds[0]);
        pipe_w = fds[1];
        weft_event_init(&never);
        d.daemon = 1;
        if (weft_thread_start(&d, blocked_forever, &never, &b) != 0 ||
            weft_thread_start(NULL, late_writer, NULL, &a) != 0)
            _exit(3);
        exit(0); /* atexit joins a, not b */
    }
    close(fds[1]);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    r = read(fds[0], buf, sizeof(buf));
    ck_assert_int_eq(r, 1);
    ck_assert_int_eq(buf[0], 'N');
    close(fds[0]);
}
END_TEST

static Suite *
thread_suite(void)
{
    Suite *s = suite_create("thread");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30 * weft_test_timeout_multiplier());
    tcase_add_test(tc, test_args);
    tcase_add_test(tc, test_lifecycle);
    tcase_add_test(tc, test_self_join_and_default_names);
    tcase_add_test(tc, test_enumerate);
    tcase_add_test(tc, test_excepthook);
    tcase_add_test(tc, test_default_hook_prints);
    tcase_add_test(tc, test_worker_hook);
    tcase_add_test(tc, test_daemon_at_exit);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(thread_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
