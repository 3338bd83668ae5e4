/* SPDX-License-Identifier: MIT */
/*
 * backend_weft.c - the server's backend on weft: a work-stealing pool runs
 * the connection jobs, a weft_map holds the sessions (lock-free reads,
 * weft_map_compute for the read-modify-write of a visit count), sharded
 * weft_counter statistics, and one lock-free weft_ratelimit per client,
 * found through a weft_map from the client's name to the limiter.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <weft.h>

#include "backend.h"

/* Clients beyond this many share one limiter (bounded memory). */
enum { MAX_CLIENTS = 4096 };

const char backend_name[] = "weft";

struct backend {
    weft_pool_t *pool;
    backend_job job;
    weft_map_t *sessions;
    weft_map_t *limiters[QUOTA_COUNT]; /* client -> weft_ratelimit_t * */
    _Atomic int nclients[QUOTA_COUNT];
    double rate[QUOTA_COUNT];
    uint32_t burst[QUOTA_COUNT];
    weft_counter_t *stats[STAT_COUNT];
};

static int
run_job(void *arg, void **result)
{
    struct backend *b = *(struct backend **)arg;

    (void)result;
    b->job(arg);
    return 0;
}

int
backend_create(const struct backend_opts *opts, struct backend **out)
{
    struct weft_pool_opts po = WEFT_POOL_OPTS_INIT;
    struct backend *b = calloc(1, sizeof(*b));
    int rc = -ENOMEM;

    if (b == NULL)
        return -ENOMEM;
    b->job = opts->job;
    po.workers = opts->workers;
    po.name = "http";
    if ((rc = weft_pool_create(&po, &b->pool)) != 0 ||
        (rc = weft_map_create(NULL, &b->sessions)) != 0)
        goto fail;
    for (int q = 0; q < QUOTA_COUNT; q++) {
        b->rate[q] = opts->rate[q];
        b->burst[q] = opts->burst[q];
        if ((rc = weft_map_create(NULL, &b->limiters[q])) != 0)
            goto fail;
    }
    for (int s = 0; s < STAT_COUNT; s++)
        if ((rc = weft_counter_create(&b->stats[s])) != 0)
            goto fail;
    *out = b;
    return 0;
fail:
    backend_destroy(b);
    return rc;
}

static int
free_limiter(void *ctx, const void *key, size_t klen, const void *value,
             size_t vlen)
{
    weft_ratelimit_t *rl;

    (void)ctx, (void)key, (void)klen, (void)vlen;
    memcpy(&rl, value, sizeof(rl));
    weft_ratelimit_destroy(rl);
    return 0;
}

void
backend_destroy(struct backend *b)
{
    if (b->pool != NULL)
        weft_pool_destroy(b->pool); /* drains: every queued job runs */
    if (b->sessions != NULL)
        weft_map_destroy(b->sessions);
    for (int q = 0; q < QUOTA_COUNT; q++) {
        if (b->limiters[q] == NULL)
            continue;
        weft_map_foreach(b->limiters[q], free_limiter, NULL);
        weft_map_destroy(b->limiters[q]);
    }
    for (int s = 0; s < STAT_COUNT; s++)
        if (b->stats[s] != NULL)
            weft_counter_destroy(b->stats[s]);
    free(b);
}

/* arg starts with a struct backend * (the connection's first member). */
int
backend_submit(struct backend *b, void *arg)
{
    weft_future_t *f;
    int rc = weft_pool_submit(b->pool, run_job, arg, &f);

    if (rc == 0)
        weft_future_release(f); /* fire and forget */
    return rc;
}

void
backend_count(struct backend *b, enum stat s, int64_t delta)
{
    weft_counter_add(b->stats[s], delta);
}

int64_t
backend_read(struct backend *b, enum stat s)
{
    int64_t v = 0;

    weft_counter_read(b->stats[s], &v);
    return v;
}

/* The compute function of a visit: absent -> 1, else old + 1. It may run
 * more than once (compute retries on a race), so it only writes ctx. */
static int
visit(void *ctx, const void *old, size_t old_len, bool present,
      const void **new_value, size_t *new_len)
{
    uint64_t *next = ctx;

    *next = 1;
    if (present && old_len == sizeof(*next)) {
        memcpy(next, old, sizeof(*next));
        ++*next;
    }
    *new_value = next;
    *new_len = sizeof(*next);
    return WEFT_MAP_SET;
}

int
backend_session_visit(struct backend *b, const char *id, size_t len,
                      uint64_t *visits)
{
    return weft_map_compute(b->sessions, id, len, visit, visits);
}

/* The limiter of client under quota q, created on first sight. */
static int
limiter_of(struct backend *b, enum quota q, const char *client, size_t len,
           weft_ratelimit_t **out)
{
    weft_map_t *m = b->limiters[q];
    weft_ratelimit_t *rl;
    int rc;

    for (;;) {
        rc = weft_map_get(m, client, len, out, sizeof(*out), NULL);
        if (rc != -ENOENT)
            return rc;
        /* relaxed: a soft cap (racing inserts may pass it by a few). */
        if (atomic_load_explicit(&b->nclients[q], memory_order_relaxed) >=
                MAX_CLIENTS &&
            (len != 1 || client[0] != '\0')) {
            client = "", len = 1; /* the shared overflow limiter */
            continue;
        }
        rc = weft_ratelimit_create(b->rate[q], b->burst[q], NULL, &rl);
        if (rc != 0)
            return rc;
        rc = weft_map_put_if_absent(m, client, len, &rl, sizeof(rl));
        if (rc == 0) {
            /* relaxed: only the soft cap above reads it. */
            atomic_fetch_add_explicit(&b->nclients[q], 1, memory_order_relaxed);
            *out = rl;
            return 0;
        }
        weft_ratelimit_destroy(rl); /* -EEXIST: another thread was first */
        if (rc != -EEXIST)
            return rc;
    }
}

int
backend_allow(struct backend *b, enum quota q, const char *client, size_t len)
{
    weft_ratelimit_t *rl;
    int rc = limiter_of(b, q, client, len, &rl);

    return rc != 0 ? rc : weft_ratelimit_try_acquire(rl, 1, NULL);
}
