/* SPDX-License-Identifier: MIT */
/*
 * as_completed.c - Python's
 *
 *     futures = {ex.submit(fetch, url): url for url in URLS}
 *     for fut in as_completed(futures, timeout=20):
 *         url = futures[fut]
 *         try:
 *             data = fut.result()
 *         except Exception as exc:
 *             print(f"{url} failed: {exc}")
 *
 * in C with a waitset. Each future is added with a tag (here the index of
 * its URL), so the loop learns which one finished without a lookup. The
 * deadline is absolute: one deadline covers the whole loop, as Python's
 * timeout= does. weft_waitset_next() returns a future that is done, so
 * weft_future_result(f, WEFT_DEADLINE_POLL, ...) never waits. Each failed
 * "fetch" returns a negative error code instead of raising.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <weft.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

struct site {
    const char *url;
    int delay_ms; /* how long the "download" takes */
    int error;    /* 0, or the error the download fails with */
};

static struct site SITES[] = {
    {"https://example.org/", 12, 0},
    {"https://example.com/missing", 2, -ENOENT},
    {"https://example.net/", 6, 0},
    {"https://slow.example/", 20, 0},
    {"https://down.example/", 4, -ECONNREFUSED},
    {"https://example.edu/", 1, 0},
};
enum { NSITES = sizeof(SITES) / sizeof(SITES[0]) };

/* A task: "download" a page; the result is its length. */
static int
fetch(void *arg, void **result)
{
    const struct site *s = arg;
    struct timespec ts = {0, s->delay_ms * 1000000L};

    nanosleep(&ts, NULL);
    if (s->error != 0)
        return s->error;
    *result = (void *)(uintptr_t)(strlen(s->url) * 100);
    return 0;
}

int
main(void)
{
    weft_pool_t *pool;
    weft_waitset_t *ws;
    weft_future_t *f;
    weft_deadline_t deadline;
    bool seen[NSITES] = {false};
    uintptr_t tag;
    void *res;
    int rc, nok = 0, nfailed = 0, want_failed = 0;

    CHECK(weft_pool_create(NULL, &pool) == 0);
    CHECK(weft_waitset_create(pool, &ws) == 0);
    for (size_t i = 0; i < NSITES; i++) {
        want_failed += SITES[i].error != 0;
        CHECK(weft_pool_submit(pool, fetch, &SITES[i], &f) == 0);
        /* The waitset takes its own reference; drop ours. */
        CHECK(weft_waitset_add(ws, f, i) == 0);
        weft_future_release(f);
    }

    deadline = weft_deadline_in(20 * WEFT_NS_PER_SEC);
    while ((rc = weft_waitset_next(ws, deadline, &f, &tag)) == 0) {
        const struct site *s = &SITES[tag];

        CHECK(tag < NSITES && !seen[tag]); /* each one comes out once */
        seen[tag] = true;
        CHECK(weft_future_done(f));
        rc = weft_future_result(f, WEFT_DEADLINE_POLL, &res);
        weft_future_release(f); /* next() gave us a reference */
        if (rc == 0) {
            printf("%-28s %lu bytes\n", s->url, (unsigned long)(uintptr_t)res);
            CHECK(s->error == 0);
            CHECK((uintptr_t)res == strlen(s->url) * 100);
            nok++;
        } else {
            printf("%-28s failed: %s\n", s->url, weft_strerror(rc));
            CHECK(rc == s->error); /* the task's own code comes back */
            nfailed++;
        }
    }
    /* -ENOENT: every future added was returned (-ETIMEDOUT would mean the
     * deadline passed first). */
    CHECK(rc == -ENOENT);
    CHECK(nfailed == want_failed && nok + nfailed == NSITES);
    CHECK(weft_waitset_pending(ws) == 0);

    weft_waitset_destroy(ws);
    CHECK(weft_pool_destroy(pool) == 0);
    return 0;
}
