/* SPDX-License-Identifier: MIT */
/* test_pool_threads - pool workers are listed by weft_threads_enumerate()
 * as weft-<pool>-<n> while the pool lives, and gone after destroy. */
#include <check.h>
#include <string.h>
#include <weft.h>

#include <weft/thread.h>

static int
noop(void *arg, void **res)
{
    (void)arg;
    (void)res;
    return 0;
}

START_TEST(workers_listed)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    struct weft_thread_info info[64];
    weft_pool_t *p;
    size_t before = weft_threads_active_count(), n = 0, found = 0;

    o.workers = 3;
    o.name = "lst";
    ck_assert_int_eq(weft_pool_create(&o, &p), 0);
    /* Workers register on their own threads as they start: wait (no
     * timing assumption) until the count shows all three. */
    while (weft_threads_active_count() < before + 3)
        ck_assert_int_eq(weft_pool_run(p, noop, NULL, NULL), 0);
    ck_assert_int_eq(weft_threads_enumerate(info, 64, &n), 0);
    for (size_t i = 0; i < n; i++)
        if (strncmp(info[i].name, "weft-lst-", 9) == 0) {
            found++;
            ck_assert_int_eq(info[i].kind, WEFT_THREAD_POOL_WORKER);
            ck_assert_int_gt(info[i].native_id, 0);
        }
    ck_assert_uint_eq(found, 3);
    weft_pool_destroy(p);
    ck_assert_uint_eq(weft_threads_active_count(), before);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("pool_threads");
    TCase *tc = tcase_create("pool_threads");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, workers_listed);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
