/* SPDX-License-Identifier: MIT */
/* test_context - context that follows tasks (contextvars semantics). */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <weft.h>

#include "weft_test.h"

static const char request_id, user, other;

START_TEST(set_get_unset)
{
    void *v = (void *)1;
    char keys[WEFT_CONTEXT_MAX + 1];

    ck_assert_ptr_null(weft_context_get(&request_id));
    ck_assert_int_eq(weft_context_lookup(&request_id, &v), -ENOENT);
    ck_assert_int_eq(weft_context_set(&request_id, (void *)42), 0);
    ck_assert_int_eq(weft_context_set(&user, NULL), 0);
    ck_assert_ptr_eq(weft_context_get(&request_id), (void *)42);
    ck_assert_int_eq(weft_context_lookup(&user, &v), 0); /* bound to NULL */
    ck_assert_ptr_null(v);
    ck_assert_int_eq(weft_context_set(&request_id, (void *)43), 0);
    ck_assert_ptr_eq(weft_context_get(&request_id), (void *)43);
    ck_assert_int_eq(weft_context_unset(&request_id), 0);
    ck_assert_int_eq(weft_context_unset(&request_id), 0);
    ck_assert_ptr_null(weft_context_get(&request_id));
    ck_assert_int_eq(weft_context_lookup(&user, &v), 0);
    ck_assert_int_eq(weft_context_set(NULL, v), -EINVAL);
    ck_assert_int_eq(weft_context_unset(NULL), -EINVAL);
    ck_assert_int_eq(weft_context_lookup(NULL, &v), -EINVAL);
    ck_assert_int_eq(weft_context_lookup(&user, NULL), -EINVAL);
    ck_assert_ptr_null(weft_context_get(NULL));
    weft_context_clear();
    ck_assert_int_eq(weft_context_lookup(&user, &v), -ENOENT);
    for (int i = 0; i < WEFT_CONTEXT_MAX; i++)
        ck_assert_int_eq(weft_context_set(&keys[i], (void *)(intptr_t)i), 0);
    ck_assert_int_eq(weft_context_set(&keys[WEFT_CONTEXT_MAX], v), -ENOSPC);
    for (int i = 0; i < WEFT_CONTEXT_MAX; i++)
        ck_assert_ptr_eq(weft_context_get(&keys[i]), (void *)(intptr_t)i);
    weft_context_clear();
}
END_TEST

/* A task: returns its request id; sets another value that must not leak. */
static int
read_and_scribble(void *arg, void **res)
{
    (void)arg;
    *res = weft_context_get(&request_id);
    return weft_context_set(&other, (void *)99);
}

static int
read_other(void *arg, void **res)
{
    (void)arg;
    *res = weft_context_get(&other);
    return 0;
}

START_TEST(submit_captures)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    weft_pool_t *p;
    weft_future_t *f[64];
    void *r;

    o.workers = 1; /* every task on the same worker thread */
    ck_assert_int_eq(weft_pool_create(&o, &p), 0);
    for (intptr_t i = 0; i < 64; i++) {
        ck_assert_int_eq(weft_context_set(&request_id, (void *)(i + 1)), 0);
        ck_assert_int_eq(weft_pool_submit(p, read_and_scribble, NULL, &f[i]),
                         0);
    }
    weft_context_clear();
    for (intptr_t i = 0; i < 64; i++) {
        r = NULL;
        ck_assert_int_eq(weft_future_result(f[i], WEFT_DEADLINE_NEVER, &r), 0);
        ck_assert_ptr_eq(r, (void *)(i + 1));
        weft_future_release(f[i]);
    }
    /* What the tasks set stayed inside them. */
    ck_assert_int_eq(weft_pool_run(p, read_other, NULL, &r), 0);
    ck_assert_ptr_null(r);
    ck_assert_ptr_null(weft_context_get(&other));
    weft_pool_destroy(p);
}
END_TEST

static int
child(void *arg, void **res)
{
    (void)arg;
    *res = weft_context_get(&user);
    return 0;
}

/* Spawns children under "user" = depth, changes it after spawning, and
 * checks each child saw the value from its spawn time. */
static int
parent(void *arg, void **res)
{
    intptr_t base = (intptr_t)arg;
    weft_task_t t[8];
    void *r;
    int bad = 0;

    (void)res;
    for (intptr_t i = 0; i < 8; i++) {
        weft_context_set(&user, (void *)(base + i));
        weft_spawn(&t[i], child, NULL);
    }
    weft_context_set(&user, (void *)-1);
    for (intptr_t i = 7; i >= 0; i--) {
        r = NULL;
        weft_sync(&t[i], &r);
        bad += r != (void *)(base + i);
    }
    bad += weft_context_get(&user) != (void *)-1;
    return bad ? -EPROTO : 0;
}

START_TEST(spawn_captures)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    weft_pool_t *p;
    weft_future_t *f[32];

    o.workers = 4; /* some children are stolen, some run inline */
    ck_assert_int_eq(weft_pool_create(&o, &p), 0);
    for (intptr_t i = 0; i < 32; i++)
        ck_assert_int_eq(weft_pool_submit(p, parent, (void *)(i * 100), &f[i]),
                         0);
    for (int i = 0; i < 32; i++) {
        ck_assert_int_eq(weft_future_result(f[i], WEFT_DEADLINE_NEVER, NULL),
                         0);
        weft_future_release(f[i]);
    }
    weft_pool_destroy(p);
}
END_TEST

static int
nothing(void *arg, void **res)
{
    (void)arg;
    (void)res;
    return 0;
}

/* Without a context: a child run inline by weft_sync must not leak what it
 * sets; a child spawned under a context must see it even if the parent
 * cleared it before the sync (the inline sync leaves both to weft_sync).
 * `below` keeps a job under each child, so the inline pop can take it. */
static int
inline_parent(void *arg, void **res)
{
    weft_task_t below, t;
    void *r = (void *)1;
    int bad = 0;

    (void)arg;
    (void)res;
    bad += weft_spawn(&below, nothing, NULL) != 0;
    bad += weft_context_get(&other) != NULL;
    bad += weft_spawn(&t, read_and_scribble, NULL) != 0;
    bad += weft_sync(&t, &r) != 0 || r != NULL;
    bad += weft_context_get(&other) != NULL; /* the child's did not leak */
    weft_context_set(&user, (void *)5);
    bad += weft_spawn(&t, child, NULL) != 0;
    weft_context_clear();
    r = NULL;
    bad += weft_sync(&t, &r) != 0 || r != (void *)5;
    bad += weft_context_get(&user) != NULL;
    bad += weft_sync(&below, NULL) != 0;
    return bad ? -EPROTO : 0;
}

START_TEST(spawn_inline_context)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    weft_pool_t *p;

    o.workers = 1; /* every child runs inline in its parent's sync */
    ck_assert_int_eq(weft_pool_create(&o, &p), 0);
    for (int i = 0; i < 16; i++)
        ck_assert_int_eq(weft_pool_run(p, inline_parent, NULL, NULL), 0);
    weft_pool_destroy(p);
}
END_TEST

static void *
thread_with_context(void *arg)
{
    (void)arg;
    weft_context_set(&request_id, (void *)7);
    weft_context_set(&user, (void *)8);
    return NULL; /* exits holding a context: LSan checks it is freed */
}

START_TEST(thread_exit_frees)
{
    pthread_t t;

    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq(pthread_create(&t, NULL, thread_with_context, NULL),
                         0);
        pthread_join(t, NULL);
    }
}
END_TEST

static Suite *
context_suite(void)
{
    Suite *s = suite_create("context");
    TCase *tc = tcase_create("context");

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, set_get_unset);
    tcase_add_test(tc, submit_captures);
    tcase_add_test(tc, spawn_captures);
    tcase_add_test(tc, spawn_inline_context);
    tcase_add_test(tc, thread_exit_frees);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(context_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? 0 : 1;
}
