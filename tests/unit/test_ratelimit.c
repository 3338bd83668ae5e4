/* SPDX-License-Identifier: MIT */
/* test_ratelimit.c - GCRA limiter against a fake clock. */
#include <check.h>
#include <stdint.h>

#include <weft/ratelimit.h>

#include "weft_test.h"

#define MS WEFT_NS_PER_MS

struct fake {
    uint64_t t;
    unsigned sleeps;
    uint64_t slept; /* total ns slept */
};

static uint64_t
fake_now(void *ctx)
{
    return ((struct fake *)ctx)->t;
}

static int
fake_sleep_until(void *ctx, uint64_t t)
{
    struct fake *f = ctx;

    f->sleeps++;
    if (t > f->t) {
        f->slept += t - f->t;
        f->t = t;
    }
    return 0;
}

static weft_ratelimit_t *
mk(struct fake *f, double rate, uint32_t burst)
{
    struct weft_clock c = {fake_now, fake_sleep_until, f};
    weft_ratelimit_t *rl = NULL;

    ck_assert_int_eq(weft_ratelimit_create(rate, burst, &c, &rl), 0);
    return rl;
}

START_TEST(test_args)
{
    struct weft_clock bad = {NULL, NULL, NULL};
    weft_ratelimit_t *rl = NULL;
    uint64_t w;

    ck_assert_int_eq(weft_ratelimit_create(10, 1, NULL, NULL), -EINVAL);
    ck_assert_int_eq(weft_ratelimit_create(0, 1, NULL, &rl), -EINVAL);
    ck_assert_int_eq(weft_ratelimit_create(-1, 1, NULL, &rl), -EINVAL);
    ck_assert_int_eq(weft_ratelimit_create(1e10, 1, NULL, &rl), -EINVAL);
    ck_assert_int_eq(weft_ratelimit_create(10, 0, NULL, &rl), -EINVAL);
    ck_assert_int_eq(weft_ratelimit_create(10, 1, &bad, &rl), -EINVAL);
    ck_assert_int_eq(weft_ratelimit_try_acquire(NULL, 1, &w), -EINVAL);
    ck_assert_int_eq(weft_ratelimit_acquire(NULL, 1, 0), -EINVAL);
    ck_assert_int_eq(weft_ratelimit_destroy(NULL), -EINVAL);
    ck_assert_int_eq(weft_ratelimit_create(10, 4, NULL, &rl), 0);
    ck_assert_int_eq(weft_ratelimit_try_acquire(rl, 0, &w), -EINVAL);
    ck_assert_int_eq(weft_ratelimit_try_acquire(rl, 5, &w), -EINVAL);
    ck_assert_int_eq(weft_ratelimit_acquire(rl, 5, WEFT_DEADLINE_NEVER),
                     -EINVAL);
    ck_assert_int_eq(weft_ratelimit_try_acquire(rl, 4, NULL), 0);
    ck_assert_int_eq(weft_ratelimit_destroy(rl), 0);
}
END_TEST

/* Burst at once, then exactly one per interval, with the right wait. */
START_TEST(test_burst_then_rate)
{
    struct fake f = {1000 * MS, 0, 0};
    weft_ratelimit_t *rl = mk(&f, 100, 5); /* 10 ms per permit */
    uint64_t w = 0;

    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(weft_ratelimit_try_acquire(rl, 1, &w), 0);
    ck_assert_int_eq(weft_ratelimit_try_acquire(rl, 1, &w), -EAGAIN);
    ck_assert_uint_eq(w, 10 * MS);
    f.t += 4 * MS;
    ck_assert_int_eq(weft_ratelimit_try_acquire(rl, 1, &w), -EAGAIN);
    ck_assert_uint_eq(w, 6 * MS);
    ck_assert_int_eq(weft_ratelimit_try_acquire(rl, 2, &w), -EAGAIN);
    ck_assert_uint_eq(w, 16 * MS);
    f.t += 6 * MS;
    ck_assert_int_eq(weft_ratelimit_try_acquire(rl, 1, &w), 0);
    ck_assert_int_eq(weft_ratelimit_try_acquire(rl, 1, &w), -EAGAIN);
    /* Idle for a long time: the burst refills, but never beyond it. */
    f.t += 10000 * MS;
    ck_assert_int_eq(weft_ratelimit_try_acquire(rl, 5, &w), 0);
    ck_assert_int_eq(weft_ratelimit_try_acquire(rl, 1, &w), -EAGAIN);
    weft_ratelimit_destroy(rl);
}
END_TEST

/* Over a long run with a greedy caller polling every 1 ms, the permits
 * granted in [0, t] track rate * t + burst and never exceed it. */
START_TEST(test_rate_over_time)
{
    struct fake f = {5 * MS, 0, 0};
    weft_ratelimit_t *rl = mk(&f, 250, 3); /* 4 ms per permit */
    uint64_t start = f.t, granted = 0;

    for (int step = 0; step < 10000; step++) {
        while (weft_ratelimit_try_acquire(rl, 1, NULL) == 0)
            granted++;
        uint64_t el = f.t - start;
        uint64_t bound = el / (4 * MS) + 3;
        ck_assert_uint_le(granted, bound);
        ck_assert_uint_ge(granted + 1, bound); /* greedy: at the bound */
        f.t += 1 * MS;
    }
    weft_ratelimit_destroy(rl);
}
END_TEST

/* acquire() sleeps exactly as long as needed, and refuses at once when
 * the deadline is too early (no sleep, nothing reserved). */
START_TEST(test_acquire_sleeps_exactly)
{
    struct fake f = {0, 0, 0};
    weft_ratelimit_t *rl = mk(&f, 1000, 2); /* 1 ms per permit */
    uint64_t w;

    ck_assert_int_eq(weft_ratelimit_acquire(rl, 2, WEFT_DEADLINE_POLL), 0);
    ck_assert_uint_eq(f.sleeps, 0);
    ck_assert_int_eq(weft_ratelimit_acquire(rl, 1, f.t + MS / 2), -ETIMEDOUT);
    ck_assert_uint_eq(f.sleeps, 0);
    ck_assert_uint_eq(f.t, 0);
    ck_assert_int_eq(weft_ratelimit_acquire(rl, 1, WEFT_DEADLINE_NEVER), 0);
    ck_assert_uint_eq(f.sleeps, 1);
    ck_assert_uint_eq(f.slept, 1 * MS);
    ck_assert_int_eq(weft_ratelimit_acquire(rl, 2, f.t + 2 * MS), 0);
    ck_assert_uint_eq(f.slept, 3 * MS);
    /* The reservation of a sleeper is not overtaken. */
    ck_assert_int_eq(weft_ratelimit_try_acquire(rl, 1, &w), -EAGAIN);
    ck_assert_uint_eq(w, 1 * MS);
    weft_ratelimit_destroy(rl);
}
END_TEST

/* The real clock: acquire returns no earlier than the permits are due. */
START_TEST(test_real_clock_lower_bound)
{
    weft_ratelimit_t *rl = NULL;
    uint64_t t0;

    ck_assert_int_eq(weft_ratelimit_create(500, 1, NULL, &rl), 0);
    ck_assert_int_eq(weft_ratelimit_acquire(rl, 1, WEFT_DEADLINE_NEVER), 0);
    t0 = weft_now_ns();
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(weft_ratelimit_acquire(rl, 1, WEFT_DEADLINE_NEVER), 0);
    /* 5 more permits at 2 ms each: at least 10 ms minus the first wait's
     * head start (< 2 ms). */
    ck_assert_uint_ge(weft_now_ns() - t0, 8 * MS);
    weft_ratelimit_destroy(rl);
}
END_TEST

static Suite *
rl_suite(void)
{
    Suite *s = suite_create("ratelimit");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30 * weft_test_timeout_multiplier());
    tcase_add_test(tc, test_args);
    tcase_add_test(tc, test_burst_then_rate);
    tcase_add_test(tc, test_rate_over_time);
    tcase_add_test(tc, test_acquire_sleeps_exactly);
    tcase_add_test(tc, test_real_clock_lower_bound);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(rl_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
