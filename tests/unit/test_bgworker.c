/* SPDX-License-Identifier: MIT */
/* test_bgworker.c - the background worker: order, errors, stop modes. */
#include <check.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include <weft/bgworker.h>
#include <weft/sync.h>
#include <weft/thread.h>

#include "weft_test.h"

#define LONG weft_deadline_in(30 * WEFT_NS_PER_SEC)

struct sink {
    struct weft_event gate; /* fn waits for it when hold is set */
    int hold;
    uintptr_t seen[4096];
    _Atomic int n;
    int errors_seen;
    uintptr_t last_err_item;
    int last_err_rc;
    _Atomic int discarded;
    weft_thread_t *thread;
};

static int
sink_fn(void *ctx, void *item)
{
    struct sink *s = ctx;
    int i = atomic_load_explicit(&s->n, memory_order_relaxed);

    if (s->hold)
        weft_event_wait(&s->gate, LONG);
    s->thread = weft_thread_current();
    s->seen[i] = (uintptr_t)item;
    atomic_store_explicit(&s->n, i + 1, memory_order_release);
    return (uintptr_t)item % 5 == 0 ? -EIO : 0;
}

static void
err_hook(void *hctx, void *item, int rc)
{
    struct sink *s = hctx;

    s->errors_seen++;
    s->last_err_item = (uintptr_t)item;
    s->last_err_rc = rc;
}

static void
discard_hook(void *hctx, void *item)
{
    (void)item;
    atomic_fetch_add_explicit(&((struct sink *)hctx)->discarded, 1,
                              memory_order_relaxed);
}

static struct sink *
mksink(void)
{
    struct sink *s = calloc(1, sizeof(*s));

    ck_assert_ptr_nonnull(s);
    weft_event_init(&s->gate);
    return s;
}

START_TEST(test_args)
{
    weft_bgworker_t *w = NULL;
    struct weft_bgworker_stats st;

    ck_assert_int_eq(weft_bgworker_start(NULL, NULL, 4, "x", &w), -EINVAL);
    ck_assert_int_eq(weft_bgworker_start(sink_fn, NULL, 0, "x", &w), -EINVAL);
    ck_assert_int_eq(weft_bgworker_start(sink_fn, NULL, 4, "x", NULL), -EINVAL);
    ck_assert_int_eq(weft_bgworker_submit(NULL, NULL, 0), -EINVAL);
    ck_assert_int_eq(weft_bgworker_try_submit(NULL, NULL), -EINVAL);
    ck_assert_int_eq(weft_bgworker_stop(NULL, 0, 0), -EINVAL);
    ck_assert_int_eq(weft_bgworker_destroy(NULL), -EINVAL);
    ck_assert_int_eq(weft_bgworker_stats(NULL, &st), -EINVAL);
    ck_assert_int_eq(weft_bgworker_set_hooks(NULL, NULL, NULL, NULL), -EINVAL);
    ck_assert_int_eq(weft_bgworker_start(sink_fn, NULL, 4, NULL, &w), 0);
    ck_assert_int_eq(weft_bgworker_stop(w, 7, 0), -EINVAL);
    ck_assert_int_eq(weft_bgworker_stats(w, NULL), -EINVAL);
    ck_assert_int_eq(weft_bgworker_destroy(w), 0);
}
END_TEST

/* Items run in order on the worker's named thread; errors are counted and
 * reported to the hook, and the worker goes on. */
START_TEST(test_order_and_errors)
{
    struct sink *s = mksink();
    weft_bgworker_t *w = NULL;
    struct weft_bgworker_stats st;
    const int n = 1000;

    ck_assert_int_eq(weft_bgworker_start(sink_fn, s, 16, "bg-test", &w), 0);
    ck_assert_int_eq(weft_bgworker_set_hooks(w, err_hook, NULL, s), 0);
    for (int i = 1; i <= n; i++)
        ck_assert_int_eq(weft_bgworker_submit(w, (void *)(uintptr_t)i, LONG),
                         0);
    ck_assert_int_eq(weft_bgworker_stop(w, WEFT_BGWORKER_DRAIN, LONG), 0);
    ck_assert_int_eq(atomic_load(&s->n), n);
    for (int i = 0; i < n; i++)
        ck_assert_uint_eq(s->seen[i], (uintptr_t)(i + 1));
    ck_assert_int_eq(weft_bgworker_stats(w, &st), 0);
    ck_assert_uint_eq(st.processed, (uint64_t)n);
    ck_assert_uint_eq(st.errors, (uint64_t)n / 5);
    ck_assert_uint_eq(st.dropped, 0);
    ck_assert_uint_eq(st.queued, 0);
    ck_assert_int_eq(s->errors_seen, n / 5);
    ck_assert_uint_eq(s->last_err_item, (uintptr_t)n);
    ck_assert_int_eq(s->last_err_rc, -EIO);
    ck_assert_str_eq(weft_thread_name(s->thread), "bg-test");
    /* Stopped: no more items. */
    ck_assert_int_eq(weft_bgworker_submit(w, NULL, LONG), -ESHUTDOWN);
    ck_assert_int_eq(weft_bgworker_try_submit(w, NULL), -ESHUTDOWN);
    ck_assert_int_eq(weft_bgworker_stop(w, WEFT_BGWORKER_DRAIN, 0), 0);
    ck_assert_int_eq(weft_bgworker_destroy(w), 0);
    free(s);
}
END_TEST

/* Full queue: try_submit says -EAGAIN, submit times out; stop with a
 * deadline times out while fn is busy; DISCARD drops the queued items
 * through the discard hook and counts them. */
START_TEST(test_full_and_discard)
{
    struct sink *s = mksink();
    weft_bgworker_t *w = NULL;
    struct weft_bgworker_stats st;
    int queued = 0;

    s->hold = 1;
    ck_assert_int_eq(weft_bgworker_start(sink_fn, s, 4, "bg-full", &w), 0);
    ck_assert_int_eq(weft_bgworker_set_hooks(w, NULL, discard_hook, s), 0);
    /* One item is taken by the (held) worker, then 4 fill the queue. */
    ck_assert_int_eq(weft_bgworker_submit(w, (void *)1, LONG), 0);
    do { /* until the worker has taken it (and waits on the gate) */
        ck_assert_int_eq(weft_bgworker_stats(w, &st), 0);
    } while (st.queued != 0);
    while (weft_bgworker_try_submit(w, (void *)2) == 0)
        queued++;
    ck_assert_int_eq(queued, 4);
    ck_assert_int_eq(weft_bgworker_try_submit(w, (void *)3), -EAGAIN);
    ck_assert_int_eq(
        weft_bgworker_submit(w, (void *)3, weft_deadline_in(WEFT_NS_PER_MS)),
        -ETIMEDOUT);
    ck_assert_int_eq(weft_bgworker_stop(w, WEFT_BGWORKER_DISCARD,
                                        weft_deadline_in(WEFT_NS_PER_MS)),
                     -ETIMEDOUT);
    ck_assert_int_eq(weft_bgworker_submit(w, NULL, LONG), -ESHUTDOWN);
    weft_event_set(&s->gate);
    ck_assert_int_eq(weft_bgworker_stop(w, WEFT_BGWORKER_DISCARD, LONG), 0);
    ck_assert_int_eq(weft_bgworker_stats(w, &st), 0);
    /* Exactly once each: processed + dropped = accepted. */
    ck_assert_uint_eq(st.processed + st.dropped, (uint64_t)queued + 1);
    ck_assert_uint_ge(st.dropped, (uint64_t)queued - 1);
    ck_assert_int_eq(atomic_load(&s->discarded), (int)st.dropped);
    ck_assert_int_eq(weft_bgworker_destroy(w), 0);
    free(s);
}
END_TEST

/* Destroy without stop discards what is queued; the item in progress
 * finishes. */
START_TEST(test_destroy_discards)
{
    struct sink *s = mksink();
    weft_bgworker_t *w = NULL;

    s->hold = 1;
    ck_assert_int_eq(weft_bgworker_start(sink_fn, s, 8, "bg-d", &w), 0);
    ck_assert_int_eq(weft_bgworker_set_hooks(w, NULL, discard_hook, s), 0);
    for (int i = 1; i <= 5; i++)
        ck_assert_int_eq(weft_bgworker_submit(w, (void *)(uintptr_t)i, LONG),
                         0);
    weft_event_set(&s->gate);
    ck_assert_int_eq(weft_bgworker_destroy(w), 0);
    ck_assert_int_eq(atomic_load(&s->n) + atomic_load(&s->discarded), 5);
    free(s);
}
END_TEST

static weft_bgworker_t *self_w;
static _Atomic int self_rc = 1;

static int
stop_self(void *ctx, void *item)
{
    (void)ctx;
    (void)item;
    atomic_store(&self_rc, weft_bgworker_stop(self_w, 0, LONG));
    return 0;
}

START_TEST(test_stop_from_fn)
{
    ck_assert_int_eq(weft_bgworker_start(stop_self, NULL, 2, "bg-s", &self_w),
                     0);
    ck_assert_int_eq(weft_bgworker_submit(self_w, NULL, LONG), 0);
    ck_assert_int_eq(weft_bgworker_stop(self_w, 0, LONG), 0);
    ck_assert_int_eq(atomic_load(&self_rc), -EDEADLK);
    ck_assert_int_eq(weft_bgworker_destroy(self_w), 0);
}
END_TEST

static Suite *
bg_suite(void)
{
    Suite *s = suite_create("bgworker");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30 * weft_test_timeout_multiplier());
    tcase_add_test(tc, test_args);
    tcase_add_test(tc, test_order_and_errors);
    tcase_add_test(tc, test_full_and_discard);
    tcase_add_test(tc, test_destroy_discards);
    tcase_add_test(tc, test_stop_from_fn);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(bg_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
