/* SPDX-License-Identifier: MIT */
/* test_stats - statistics add up and export; every policy runs correctly. */
#include <check.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <weft.h>

#include <weft/stats.h>

#include "weft_test.h"

static int
submit_children(void *arg, void **res)
{
    weft_future_t *f[10];
    int rc = 0;

    (void)arg;
    (void)res;
    for (int i = 0; i < 10; i++)
        rc |= weft_pool_submit(weft_pool_current(), weft_test_fib, (void *)10L,
                               &f[i]);
    for (int i = 0; i < 10; i++) {
        rc |= weft_future_result(f[i], WEFT_DEADLINE_NEVER, NULL);
        weft_future_release(f[i]);
    }
    return rc;
}

START_TEST(counts_add_up)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    struct weft_worker_stats per[4];
    struct weft_pool_stats st;
    weft_pool_t *p;
    void *r = NULL;
    uint64_t sum_run = 0;

    o.workers = 4;
    ck_assert_int_eq(weft_pool_create(&o, &p), 0);
    ck_assert_int_eq(weft_pool_run(p, weft_test_fib, (void *)20L, &r), 0);
    ck_assert_int_eq((long)r, 6765);
    ck_assert_int_eq(weft_pool_run(p, submit_children, NULL, NULL), 0);
    /* The sums below are exact only on a quiescent pool (weft/stats.h: one
     * snapshot is not an instant): idle workers go on searching after the
     * run, and an attempt counted before its outcome would be off by one. */
    ck_assert_int_eq(
        weft_pool_shutdown(p, WEFT_SHUTDOWN_DRAIN, WEFT_DEADLINE_NEVER), 0);
    memset(&st, 0, sizeof(st));
    st.worker = per;
    st.worker_capacity = 4;
    ck_assert_int_eq(weft_pool_stats(p, &st), 0);
    ck_assert_uint_eq(st.workers, 4);
    /* fib(20) spawns at every inner node: F(21) - 1 = 10945 spawns; each
     * fib(10) child adds F(11) - 1 = 88. */
    ck_assert_uint_eq(st.total.tasks_spawned, 10945 + 10 * 88);
    ck_assert_uint_eq(st.total.tasks_submitted, 10);
    ck_assert_uint_eq(st.submitted_outside, 2);
    ck_assert_uint_eq(st.total.cancelled, 0);
    /* Every job submitted or spawned ran exactly once. */
    ck_assert_uint_eq(st.total.tasks_run, st.total.tasks_spawned +
                                              st.total.tasks_submitted +
                                              st.submitted_outside);
    for (int i = 0; i < 4; i++)
        sum_run += per[i].tasks_run;
    ck_assert_uint_eq(sum_run, st.total.tasks_run);
    ck_assert_uint_eq(st.total.steals, st.total.steal_attempts -
                                           st.total.steal_empty -
                                           st.total.steal_lost);
    ck_assert_uint_ge(st.total.tasks_stolen, st.total.steals);
    ck_assert_uint_gt(st.total.ns_running + st.total.ns_idle, 0);
    ck_assert_int_eq(weft_pool_stats(NULL, &st), -EINVAL);
    ck_assert_int_eq(weft_pool_stats(p, NULL), -EINVAL);
    weft_pool_destroy(p);
}
END_TEST

START_TEST(print_and_openmetrics)
{
    weft_pool_t *p;
    char small[16], *buf;
    size_t len = 0, need;
    FILE *f = tmpfile();
    char line[4096];
    int found = 0;

    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(weft_pool_create(NULL, &p), 0);
    ck_assert_int_eq(weft_pool_run(p, weft_test_fib, (void *)12L, NULL), 0);
    ck_assert_int_eq(weft_pool_stats_print(p, f), 0);
    rewind(f);
    while (fgets(line, sizeof(line), f))
        found += strncmp(line, "tasks_run", 9) == 0;
    fclose(f);
    ck_assert_int_eq(found, 1);
    ck_assert_int_eq(weft_pool_stats_print(NULL, stdout), -EINVAL);
    ck_assert_int_eq(weft_pool_stats_print(p, NULL), -EINVAL);

    ck_assert_int_eq(weft_pool_stats_openmetrics(p, small, sizeof(small), &len),
                     -ENOSPC);
    need = len;
    ck_assert_uint_gt(need, sizeof(small));
    /* The pool is live: idle workers' counters may gain a digit between two
     * calls. Then the text no longer fits and its new length is reported:
     * size again, as a caller must. */
    for (;;) {
        int rc;

        buf = malloc(need + 1);
        ck_assert_ptr_nonnull(buf);
        rc = weft_pool_stats_openmetrics(p, buf, need + 1, &len);
        if (rc == 0)
            break;
        ck_assert_int_eq(rc, -ENOSPC);
        ck_assert_uint_gt(len, need);
        free(buf);
        need = len;
    }
    ck_assert_uint_eq(len, need);
    ck_assert_uint_eq(strlen(buf), len);
    ck_assert_ptr_nonnull(strstr(buf, "# TYPE weft_tasks_run counter\n"));
    ck_assert_ptr_nonnull(strstr(buf, "weft_tasks_run_total{pool=\"pool\""));
    ck_assert_ptr_nonnull(strstr(buf, "weft_running_seconds_total{"));
    ck_assert_str_eq(buf + len - 6, "# EOF\n");
    ck_assert_int_eq(weft_pool_stats_openmetrics(NULL, buf, 10, &len), -EINVAL);
    ck_assert_int_eq(weft_pool_stats_openmetrics(p, NULL, 10, &len), -EINVAL);
    ck_assert_int_eq(weft_pool_stats_openmetrics(p, buf, 10, NULL), -EINVAL);
    ck_assert_int_eq(weft_pool_stats_openmetrics(p, NULL, 0, &len), -ENOSPC);
    free(buf);
    weft_pool_destroy(p);
}
END_TEST

START_TEST(bad_policies)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    weft_pool_t *p = NULL;

    o.victim = 3;
    ck_assert_int_eq(weft_pool_create(&o, &p), -EINVAL);
    o.victim = 0;
    o.steal = 2;
    ck_assert_int_eq(weft_pool_create(&o, &p), -EINVAL);
    o.steal = 0;
    o.order = 2;
    ck_assert_int_eq(weft_pool_create(&o, &p), -EINVAL);
    /* An old caller that knows only the first four fields. */
    o.order = 99;
    o.size = offsetof(struct weft_pool_opts, victim);
    ck_assert_int_eq(weft_pool_create(&o, &p), 0);
    weft_pool_destroy(p);
}
END_TEST

static _Atomic long chooser_calls;

static unsigned
next_one(void *ctx, unsigned self, unsigned n, unsigned attempt)
{
    (void)ctx;
    atomic_fetch_add_explicit(&chooser_calls, 1, memory_order_relaxed);
    if (attempt >= n - 1)
        return n; /* stop */
    return (self + 1 + attempt) % n;
}

struct sum {
    _Atomic long total;
};

static int
add_range(void *ctx, size_t b, size_t e)
{
    struct sum *s = (struct sum *)ctx;
    long v = 0;
    for (size_t i = b; i < e; i++)
        v += (long)i;
    atomic_fetch_add_explicit(&s->total, v, memory_order_relaxed);
    return 0;
}

START_TEST(every_policy_runs)
{
    for (unsigned victim = 0; victim <= 3; victim++)
        for (unsigned steal = 0; steal <= 1; steal++)
            for (unsigned order = 0; order <= 1; order++) {
                struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
                weft_pool_t *p;
                struct sum s;
                void *r = NULL;

                o.workers = 4;
                o.victim = victim < 3 ? victim : 0;
                o.victim_fn = victim == 3 ? next_one : NULL;
                o.steal = steal;
                o.order = order;
                o.spin = 4;
                o.spin_yield = order;
                o.park_timeout_ns = steal ? WEFT_NS_PER_MS : 0;
                ck_assert_int_eq(weft_pool_create(&o, &p), 0);
                ck_assert_int_eq(
                    weft_pool_run(p, weft_test_fib, (void *)18L, &r), 0);
                ck_assert_int_eq((long)r, 2584);
                atomic_init(&s.total, 0);
                ck_assert_int_eq(
                    weft_parallel_for(p, 0, 10000, 7, add_range, &s), 0);
                ck_assert_int_eq(atomic_load(&s.total), 49995000L);
                weft_pool_destroy(p);
            }
    ck_assert_int_gt(atomic_load(&chooser_calls), 0);
}
END_TEST

static Suite *
stats_suite(void)
{
    Suite *s = suite_create("stats");
    TCase *tc = tcase_create("stats");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, counts_add_up);
    tcase_add_test(tc, print_and_openmetrics);
    tcase_add_test(tc, bad_policies);
    tcase_add_test(tc, every_policy_runs);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(stats_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
