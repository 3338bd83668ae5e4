/* SPDX-License-Identifier: MIT */
/* test_pool_timers - destroying a pool with armed timers is safe: its
 * shutdown completes them as cancelled (a periodic timer stops), and they
 * keep the pool's memory until freed. ASan checks that nothing touches
 * the pool after it is freed. */
#include <check.h>
#include <weft.h>

static int
noop(void *arg, void **res)
{
    (void)arg;
    (void)res;
    return 0;
}

START_TEST(destroy_with_armed_timers)
{
    weft_pool_t *p;
    weft_future_t *once, *every;
    int rc;

    ck_assert_int_eq(weft_pool_create(NULL, &p), 0);
    ck_assert_int_eq(
        weft_pool_submit_after(p, 20 * WEFT_NS_PER_MS, noop, NULL, &once), 0);
    ck_assert_int_eq(
        weft_pool_submit_every(p, WEFT_NS_PER_MS, noop, NULL, &every), 0);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
    /* The one-shot ran (it came due before the destroy) or was cancelled
     * (after): either way it completes. */
    rc = weft_future_result(once, WEFT_DEADLINE_NEVER, NULL);
    ck_assert(rc == 0 || rc == -ECANCELED);
    /* The periodic one was ended by the shutdown. */
    ck_assert_int_eq(weft_future_result(every, WEFT_DEADLINE_NEVER, NULL),
                     -ECANCELED);
    weft_future_release(once);
    weft_future_release(every);
}
END_TEST

START_TEST(fired_and_cancelled_timers)
{
    weft_pool_t *p;
    weft_future_t *f, *g;

    ck_assert_int_eq(weft_pool_create(NULL, &p), 0);
    ck_assert_int_eq(weft_pool_submit_after(p, WEFT_NS_PER_MS, noop, NULL, &f),
                     0);
    ck_assert_int_eq(
        weft_pool_submit_after(p, 60 * WEFT_NS_PER_SEC, noop, NULL, &g), 0);
    ck_assert_int_eq(weft_future_result(f, WEFT_DEADLINE_NEVER, NULL), 0);
    ck_assert_int_eq(weft_future_cancel(g), 0);
    ck_assert_int_eq(weft_pool_destroy(p), 0);
    weft_future_release(f);
    weft_future_release(g);
}
END_TEST

int
main(void)
{
    Suite *s = suite_create("pool_timers");
    TCase *tc = tcase_create("pool_timers");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, destroy_with_armed_timers);
    tcase_add_test(tc, fired_and_cancelled_timers);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
