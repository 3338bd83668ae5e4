/* SPDX-License-Identifier: MIT */
/*
 * backend.h - what the server needs from a concurrency library, behind one
 * tiny interface so the same server source builds twice:
 *   weft_server   backend_weft.c: a weft pool, a weft_map session cache,
 *                 weft_counter statistics, a weft_ratelimit per client;
 *   mutex_server  backend_mutex.c: the textbook baseline, a pthread
 *                 mutex+condvar thread pool, a mutex-guarded hash map,
 *                 mutex-guarded counters and token buckets.
 * Every function may be called from any thread once backend_create()
 * returned, until backend_destroy().
 */
#ifndef SERVER_BACKEND_H
#define SERVER_BACKEND_H

#include <stddef.h>
#include <stdint.h>

/* The statistics the server keeps (shown at /stats). */
enum stat {
    STAT_REQUESTS,     /* requests answered (any status) */
    STAT_BYTES_IN,     /* bytes read from clients */
    STAT_BYTES_OUT,    /* bytes written to clients */
    STAT_ERRORS,       /* answers with a 4xx/5xx status other than 429 */
    STAT_RATE_LIMITED, /* answers with 429 */
    STAT_CONNECTIONS,  /* connections accepted */
    STAT_COUNT
};

/* The two per-client quotas: every request, and the strict /limited. */
enum quota { QUOTA_ALL, QUOTA_STRICT, QUOTA_COUNT };

struct backend;
typedef void (*backend_job)(void *arg);

struct backend_opts {
    unsigned workers;         /* pool threads */
    backend_job job;          /* what backend_submit(b, arg) runs */
    double rate[QUOTA_COUNT]; /* permits per second, per client */
    uint32_t burst[QUOTA_COUNT];
};

/* The name printed at start-up: "weft" or "mutex". */
extern const char backend_name[];

/* 0 or -errno. */
int backend_create(const struct backend_opts *opts, struct backend **out);
/* Run every queued job, join the threads, free everything. */
void backend_destroy(struct backend *b);
/* Run opts->job(arg) on the pool. 0 or -errno (then it does not run).
 * arg must point to a struct whose first member is the struct backend *
 * (struct conn does): the weft backend finds the job through it. */
int backend_submit(struct backend *b, void *arg);

/* Add delta to a statistic; read the total. */
void backend_count(struct backend *b, enum stat s, int64_t delta);
int64_t backend_read(struct backend *b, enum stat s);

/* Count a visit to session id: *visits gets the new count (1 for a new
 * session). 0 or -errno. */
int backend_session_visit(struct backend *b, const char *id, size_t len,
                          uint64_t *visits);

/* May client (any bytes: an address or a header value) make one more
 * request under quota q now? 0 yes; -EAGAIN no (answer 429); -errno. */
int backend_allow(struct backend *b, enum quota q, const char *client,
                  size_t len);

#endif /* SERVER_BACKEND_H */
