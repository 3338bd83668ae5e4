/* SPDX-License-Identifier: MIT */
/* test_trace - a trace of a known run: well-formed Chrome Trace Event JSON
 * with exactly one begin and one end per task run; the API's errors;
 * WEFT_TRACE from the environment. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <weft.h>

#include <weft/typed.h>

#include "weft_test.h"

struct counts {
    long lines, task_b, task_e, spawn, bad;
    int head_ok, tail_ok;
};

/* The writer puts one event per line: check every line's shape and count
 * the events by name and phase. */
static struct counts
scan(const char *path)
{
    struct counts c;
    char line[1024], last[1024] = "";
    FILE *f = fopen(path, "r");

    memset(&c, 0, sizeof(c));
    ck_assert_ptr_nonnull(f);
    if (fgets(line, sizeof(line), f))
        c.head_ok = strcmp(line, "{\"displayTimeUnit\":\"ns\","
                                 "\"traceEvents\":[\n") == 0;
    while (fgets(line, sizeof(line), f)) {
        size_t n = strlen(line);
        strcpy(last, line);
        if (strcmp(line, "]}\n") == 0)
            break;
        c.lines++;
        /* {"name":...}, or {"name":...}\n before the closing line */
        if (strncmp(line, "{\"name\":\"", 9) != 0 || n < 3 ||
            (strcmp(line + n - 3, "},\n") != 0 &&
             strcmp(line + n - 2, "}\n") != 0))
            c.bad++;
        if (strstr(line, "\"name\":\"task\",\"ph\":\"B\""))
            c.task_b++;
        if (strstr(line, "\"name\":\"task\",\"ph\":\"E\""))
            c.task_e++;
        if (strstr(line, "\"name\":\"spawn\""))
            c.spawn++;
    }
    c.tail_ok = strcmp(last, "]}\n") == 0;
    fclose(f);
    return c;
}

START_TEST(known_run)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    struct weft_pool_stats st;
    char path[] = "/tmp/weft-trace-XXXXXX";
    weft_pool_t *p;
    uint64_t dropped = 1;
    struct counts c;
    int fd = mkstemp(path);
    void *r = NULL;

    ck_assert_int_ge(fd, 0);
    close(fd);
    o.workers = 2;
    ck_assert_int_eq(weft_pool_create(&o, &p), 0);
    ck_assert_int_eq(weft_pool_trace_start(p, path), 0);
    ck_assert_int_eq(weft_pool_trace_start(p, path), -EBUSY);
    ck_assert_int_eq(weft_pool_run(p, weft_test_fib, (void *)15L, &r), 0);
    ck_assert_int_eq((long)r, 610);
    memset(&st, 0, sizeof(st));
    ck_assert_int_eq(weft_pool_trace_stop(p, &dropped), 0);
    ck_assert_int_eq(weft_pool_stats(p, &st), 0);
    ck_assert_uint_eq(dropped, 0);
    c = scan(path);
    ck_assert(c.head_ok);
    ck_assert(c.tail_ok);
    ck_assert_int_eq(c.bad, 0);
    /* fib(15): F(16) - 1 = 986 spawns, plus the weft_pool_run future. */
    ck_assert_int_eq(c.spawn, 986);
    ck_assert_int_eq(c.task_b, 987);
    ck_assert_int_eq(c.task_e, 987);
    ck_assert_uint_eq(st.total.tasks_run, 987);
    ck_assert_int_eq(weft_pool_trace_stop(p, NULL), -ENOENT);
    /* A second trace on the same pool. */
    ck_assert_int_eq(weft_pool_trace_start(p, path), 0);
    ck_assert_int_eq(weft_pool_run(p, weft_test_fib, (void *)10L, &r), 0);
    ck_assert_int_eq(weft_pool_trace_stop(p, NULL), 0);
    c = scan(path);
    ck_assert_int_eq(c.task_b, 89);
    ck_assert_int_eq(c.task_e, 89);
    weft_pool_destroy(p);
    unlink(path);
}
END_TEST

WEFT_TASK_1(long, tfib, int, n)
{
    long a, b;

    if (n < 2)
        return n;
    tfib_spawn(n - 1);
    b = tfib(n - 2);
    a = tfib_sync();
    return a + b;
}

/* Typed tasks (weft/typed.h) leave the same events as weft_spawn(). */
START_TEST(typed_run)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    char path[] = "/tmp/weft-trace-XXXXXX";
    weft_pool_t *p;
    uint64_t dropped = 1;
    struct counts c;
    int fd = mkstemp(path);
    long r = 0;

    ck_assert_int_ge(fd, 0);
    close(fd);
    o.workers = 2;
    ck_assert_int_eq(weft_pool_create(&o, &p), 0);
    ck_assert_int_eq(weft_pool_trace_start(p, path), 0);
    ck_assert_int_eq(tfib_run(p, 15, &r), 0);
    ck_assert_int_eq(r, 610);
    ck_assert_int_eq(weft_pool_trace_stop(p, &dropped), 0);
    ck_assert_uint_eq(dropped, 0);
    c = scan(path);
    ck_assert(c.head_ok);
    ck_assert(c.tail_ok);
    ck_assert_int_eq(c.bad, 0);
    /* 986 typed spawns, each run once, plus the weft_pool_run future. */
    ck_assert_int_eq(c.spawn, 986);
    ck_assert_int_eq(c.task_b, 987);
    ck_assert_int_eq(c.task_e, 987);
    weft_pool_destroy(p);
    unlink(path);
}
END_TEST

START_TEST(bad_input)
{
    weft_pool_t *p;

    ck_assert_int_eq(weft_pool_create(NULL, &p), 0);
    ck_assert_int_eq(weft_pool_trace_start(NULL, "/tmp/x"), -EINVAL);
    ck_assert_int_eq(weft_pool_trace_start(p, NULL), -EINVAL);
    ck_assert_int_eq(weft_pool_trace_stop(NULL, NULL), -EINVAL);
    ck_assert_int_eq(weft_pool_trace_stop(p, NULL), -ENOENT);
    ck_assert_int_eq(weft_pool_trace_start(p, "/nonexistent/dir/t.json"),
                     -ENOENT);
    weft_pool_destroy(p);
}
END_TEST

START_TEST(from_environment)
{
    char path[] = "/tmp/weft-trace-env-XXXXXX";
    weft_pool_t *p;
    struct counts c;
    int fd = mkstemp(path);

    ck_assert_int_ge(fd, 0);
    close(fd);
    setenv("WEFT_TRACE", path, 1);
    ck_assert_int_eq(weft_pool_create(NULL, &p), 0);
    unsetenv("WEFT_TRACE");
    ck_assert_int_eq(weft_pool_run(p, weft_test_fib, (void *)8L, NULL), 0);
    weft_pool_destroy(p); /* stops and closes the trace */
    c = scan(path);
    ck_assert(c.head_ok && c.tail_ok);
    ck_assert_int_eq(c.task_b, 34);
    unlink(path);
}
END_TEST

static Suite *
trace_suite(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("trace");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, known_run);
    tcase_add_test(tc, typed_run);
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, from_environment);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(trace_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
