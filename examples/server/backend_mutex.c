/* SPDX-License-Identifier: MIT */
/*
 * backend_mutex.c - the baseline backend, as a textbook would write it: a
 * thread pool of one pthread mutex + condvar guarding a FIFO list of jobs
 * (one malloc per job), and one mutex per table guarding a chained hash
 * table (sessions; per-client token buckets, GCRA as weft_ratelimit) and
 * the statistics. No tricks and no handicaps: the same server source runs
 * on it (backend.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "backend.h"

enum { BUCKETS = 4096, MAX_CLIENTS = 4096, MAX_WORKERS = 256 };

const char backend_name[] = "mutex";

struct job {
    struct job *next;
    void *arg;
};

/* A chained hash table of (key bytes -> one uint64_t), under one mutex. */
struct entry {
    struct entry *next;
    uint64_t value;
    size_t len;
    char key[];
};
struct table {
    pthread_mutex_t lock;
    size_t count;
    struct entry *bucket[BUCKETS];
};

struct backend {
    backend_job job;
    pthread_mutex_t lock; /* the pool: guards head, tail, stop */
    pthread_cond_t cond;
    struct job *head, *tail;
    int stop;
    unsigned nthreads;
    pthread_t threads[MAX_WORKERS];
    struct table sessions, limiters[QUOTA_COUNT];
    uint64_t interval[QUOTA_COUNT], tolerance[QUOTA_COUNT];
    pthread_mutex_t stats_lock;
    int64_t stats[STAT_COUNT];
};

static void *
worker(void *arg)
{
    struct backend *b = arg;

    pthread_mutex_lock(&b->lock);
    for (;;) {
        struct job *j = b->head;

        if (j == NULL) {
            if (b->stop)
                break;
            pthread_cond_wait(&b->cond, &b->lock);
            continue;
        }
        b->head = j->next;
        if (b->head == NULL)
            b->tail = NULL;
        pthread_mutex_unlock(&b->lock);
        b->job(j->arg);
        free(j);
        pthread_mutex_lock(&b->lock);
    }
    pthread_mutex_unlock(&b->lock);
    return NULL;
}

static void
table_init(struct table *t)
{
    pthread_mutex_init(&t->lock, NULL);
}

static void
table_fini(struct table *t)
{
    for (size_t i = 0; i < BUCKETS; i++) {
        while (t->bucket[i] != NULL) {
            struct entry *e = t->bucket[i];

            t->bucket[i] = e->next;
            free(e);
        }
    }
    pthread_mutex_destroy(&t->lock);
}

/* FNV-1a. */
static size_t
hash(const char *key, size_t len)
{
    uint64_t h = 1469598103934665603u;

    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)key[i]) * 1099511628211u;
    return (size_t)(h % BUCKETS);
}

/* The entry of key, inserted (value 0) if absent and fewer than max are
 * stored; NULL otherwise. Called with t->lock held. */
static struct entry *
table_find(struct table *t, const char *key, size_t len, size_t max)
{
    size_t h = hash(key, len);
    struct entry *e;

    for (e = t->bucket[h]; e != NULL; e = e->next)
        if (e->len == len && memcmp(e->key, key, len) == 0)
            return e;
    if (t->count >= max || (e = malloc(sizeof(*e) + len)) == NULL)
        return NULL;
    e->value = 0;
    e->len = len;
    memcpy(e->key, key, len);
    e->next = t->bucket[h];
    t->bucket[h] = e;
    t->count++;
    return e;
}

int
backend_create(const struct backend_opts *opts, struct backend **out)
{
    struct backend *b = calloc(1, sizeof(*b));

    if (b == NULL)
        return -ENOMEM;
    b->job = opts->job;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->cond, NULL);
    pthread_mutex_init(&b->stats_lock, NULL);
    table_init(&b->sessions);
    for (int q = 0; q < QUOTA_COUNT; q++) {
        table_init(&b->limiters[q]);
        b->interval[q] = (uint64_t)(1e9 / opts->rate[q]);
        if (b->interval[q] == 0)
            b->interval[q] = 1;
        b->tolerance[q] = b->interval[q] * opts->burst[q];
    }
    for (unsigned i = 0; i < opts->workers && i < MAX_WORKERS; i++) {
        if (pthread_create(&b->threads[i], NULL, worker, b) != 0)
            break;
        b->nthreads++;
    }
    if (b->nthreads == 0) {
        backend_destroy(b);
        return -EAGAIN;
    }
    *out = b;
    return 0;
}

void
backend_destroy(struct backend *b)
{
    pthread_mutex_lock(&b->lock);
    b->stop = 1;
    pthread_cond_broadcast(&b->cond);
    pthread_mutex_unlock(&b->lock);
    for (unsigned i = 0; i < b->nthreads; i++)
        pthread_join(b->threads[i], NULL);
    table_fini(&b->sessions);
    for (int q = 0; q < QUOTA_COUNT; q++)
        table_fini(&b->limiters[q]);
    pthread_mutex_destroy(&b->stats_lock);
    pthread_cond_destroy(&b->cond);
    pthread_mutex_destroy(&b->lock);
    free(b);
}

int
backend_submit(struct backend *b, void *arg)
{
    struct job *j = malloc(sizeof(*j));

    if (j == NULL)
        return -ENOMEM;
    j->next = NULL;
    j->arg = arg;
    pthread_mutex_lock(&b->lock);
    if (b->tail != NULL)
        b->tail->next = j;
    else
        b->head = j;
    b->tail = j;
    pthread_cond_signal(&b->cond);
    pthread_mutex_unlock(&b->lock);
    return 0;
}

void
backend_count(struct backend *b, enum stat s, int64_t delta)
{
    pthread_mutex_lock(&b->stats_lock);
    b->stats[s] += delta;
    pthread_mutex_unlock(&b->stats_lock);
}

int64_t
backend_read(struct backend *b, enum stat s)
{
    int64_t v;

    pthread_mutex_lock(&b->stats_lock);
    v = b->stats[s];
    pthread_mutex_unlock(&b->stats_lock);
    return v;
}

int
backend_session_visit(struct backend *b, const char *id, size_t len,
                      uint64_t *visits)
{
    struct entry *e;
    int rc = -ENOMEM;

    pthread_mutex_lock(&b->sessions.lock);
    if ((e = table_find(&b->sessions, id, len, SIZE_MAX)) != NULL) {
        *visits = ++e->value;
        rc = 0;
    }
    pthread_mutex_unlock(&b->sessions.lock);
    return rc;
}

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* GCRA, as weft_ratelimit: the entry's value is the theoretical arrival
 * time; a request is allowed when it is at most burst intervals ahead. */
int
backend_allow(struct backend *b, enum quota q, const char *client, size_t len)
{
    struct table *t = &b->limiters[q];
    uint64_t now = now_ns();
    struct entry *e;
    int rc = -EAGAIN;

    pthread_mutex_lock(&t->lock);
    e = table_find(t, client, len, MAX_CLIENTS);
    if (e == NULL)
        e = table_find(t, "", 1, SIZE_MAX); /* the shared overflow one */
    if (e == NULL) {
        rc = -ENOMEM;
    } else {
        uint64_t tat = e->value > now ? e->value : now;

        if (tat + b->interval[q] - now <= b->tolerance[q]) {
            e->value = tat + b->interval[q];
            rc = 0;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}
