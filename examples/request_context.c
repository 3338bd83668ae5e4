/* SPDX-License-Identifier: MIT */
/*
 * request_context.c - a request id that follows the work into every log
 * line, across tasks submitted and spawned on behalf of the request. In
 * Python:
 *
 *     request_id = contextvars.ContextVar("request_id", default="-")
 *     def log(msg):
 *         print(f"[{request_id.get()}] {msg}")
 *     def handle(rid):
 *         request_id.set(rid)
 *         log("start")
 *         ctx = contextvars.copy_context()
 *         f = ex.submit(ctx.run, lookup_user)     # the id goes along
 *         ...
 *
 * In weft every task captures its submitter's context when it is
 * submitted or spawned, so there is no copy_context() to forget. Here 8
 * "requests" run on a pool of 2; each logs, submits a lookup task, and
 * spawns two sub-tasks (fork-join); every log line is recorded with the
 * request id its code was working for and the id the context reports.
 * Checked: they always agree, a worker's context does not leak into the
 * next task, and the main thread's own context is untouched.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <weft.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

enum { REQUESTS = 8, LINES_PER_REQUEST = 6 };

/* The key: any unique address (ContextVar("request_id")). */
static const char request_id;

static const char *const ids[REQUESTS] = {"req-a", "req-b", "req-c", "req-d",
                                          "req-e", "req-f", "req-g", "req-h"};
static weft_counter_t *lines, *mismatches;

/* log(): prefix with the current request id, "-" outside any request.
 * `expect` is what the calling code knows it works for (NULL: none). */
static void
log_line(const char *expect, const char *msg)
{
    const char *rid = weft_context_get(&request_id);

    if (getenv("WEFT_EXAMPLE_VERBOSE") != NULL)
        printf("[%s] %s\n", rid ? rid : "-", msg);
    weft_counter_inc(lines);
    if (rid != expect && (rid == NULL || expect == NULL || strcmp(rid, expect)))
        weft_counter_inc(mismatches);
}

/* A submitted task: it never set the id itself, it inherited it. */
static int
lookup_user(void *arg, void **result)
{
    log_line(arg, "lookup_user");
    *result = weft_context_get(&request_id);
    return 0;
}

/* A spawned sub-task (fork-join): inherits the id the same way. */
static int
render(void *arg, void **result)
{
    (void)result;
    log_line(arg, "render part");
    return 0;
}

static int
handle(void *arg, void **result)
{
    const char *rid = arg;
    weft_task_t parts[2];
    weft_future_t *f;
    void *seen;
    int rc;

    (void)result;
    log_line(NULL, "picked up"); /* a fresh task: no id yet */
    if ((rc = weft_context_set(&request_id, (void *)rid)) != 0)
        return rc;
    log_line(rid, "start");
    if ((rc = weft_pool_submit(weft_pool_current(), lookup_user, arg, &f)))
        return rc;
    for (int i = 0; i < 2; i++)
        if ((rc = weft_spawn(&parts[i], render, arg)) != 0)
            return rc;
    for (int i = 1; i >= 0; i--)
        if ((rc = weft_sync(&parts[i], NULL)) != 0)
            return rc;
    rc = weft_future_result(f, WEFT_DEADLINE_NEVER, &seen);
    weft_future_release(f);
    if (rc == 0 && seen != rid)
        weft_counter_inc(mismatches);
    log_line(rid, "done");
    return rc;
}

int
main(void)
{
    struct weft_pool_opts opts = WEFT_POOL_OPTS_INIT;
    weft_future_t *fs[REQUESTS];
    static const char main_id[] = "main";
    weft_pool_t *pool;
    int64_t n, bad;

    CHECK(weft_counter_create(&lines) == 0);
    CHECK(weft_counter_create(&mismatches) == 0);
    opts.workers = 2;
    CHECK(weft_pool_create(&opts, &pool) == 0);
    for (int i = 0; i < REQUESTS; i++)
        CHECK(weft_pool_submit(pool, handle, (void *)ids[i], &fs[i]) == 0);
    for (int i = 0; i < REQUESTS; i++) {
        CHECK(weft_future_result(fs[i], WEFT_DEADLINE_NEVER, NULL) == 0);
        weft_future_release(fs[i]);
    }
    /* Setting an id inside a task did not change the submitter's. And the
     * main thread has a context of its own, which its tasks inherit. */
    CHECK(weft_context_get(&request_id) == NULL);
    CHECK(weft_context_set(&request_id, (void *)main_id) == 0);
    CHECK(weft_pool_submit(pool, lookup_user, (void *)main_id, &fs[0]) == 0);
    CHECK(weft_future_result(fs[0], WEFT_DEADLINE_NEVER, NULL) == 0);
    weft_future_release(fs[0]);
    CHECK(weft_context_unset(&request_id) == 0);
    CHECK(weft_context_get(&request_id) == NULL);

    CHECK(weft_pool_destroy(pool) == 0);
    CHECK(weft_counter_read(lines, &n) == 0);
    CHECK(weft_counter_read(mismatches, &bad) == 0);
    CHECK(n == REQUESTS * LINES_PER_REQUEST + 1 && bad == 0);
    printf("%lld log lines from %d requests on 2 workers: every line carried "
           "its request's id\n",
           (long long)n, REQUESTS);
    weft_counter_destroy(lines);
    weft_counter_destroy(mismatches);
    return 0;
}
