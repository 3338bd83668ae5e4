/* SPDX-License-Identifier: MIT */
/*
 * mutex_pool.c - the textbook mutex + condvar thread pool (mutex_pool.h).
 *
 * Protocol: pool->lock guards the FIFO (head, tail), idle and stop; a
 * future's own lock guards its done flag, rc and result. A future has two
 * references: the submitter's and the queue's; the last release frees it.
 */
#include "mutex_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct mutex_future {
    struct mutex_future *next; /* FIFO link, under pool->lock */
    mutex_fn fn;
    void *arg;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int done; /* under lock */
    int rc;
    void *result;
    atomic_int refs;
};

struct mutex_pool {
    pthread_mutex_t lock;
    pthread_cond_t work; /* workers wait here for a task or stop */
    mutex_future_t *head, *tail;
    unsigned idle; /* workers waiting on work */
    int stop;
    unsigned nthreads;
    pthread_t threads[];
};

static void
future_put(mutex_future_t *f)
{
    /* acq_rel: the last owner sees every write of the other one. */
    if (atomic_fetch_sub_explicit(&f->refs, 1, memory_order_acq_rel) == 1) {
        pthread_cond_destroy(&f->cond);
        pthread_mutex_destroy(&f->lock);
        free(f);
    }
}

static void *
worker_main(void *arg)
{
    mutex_pool_t *pool = arg;

    pthread_mutex_lock(&pool->lock);
    for (;;) {
        mutex_future_t *f = pool->head;
        void *result = NULL;
        int rc;

        if (f == NULL) {
            if (pool->stop)
                break;
            pool->idle++;
            pthread_cond_wait(&pool->work, &pool->lock);
            pool->idle--;
            continue;
        }
        pool->head = f->next;
        if (pool->head == NULL)
            pool->tail = NULL;
        pthread_mutex_unlock(&pool->lock);

        rc = f->fn(f->arg, &result);
        pthread_mutex_lock(&f->lock);
        f->rc = rc;
        f->result = result;
        f->done = 1;
        pthread_cond_signal(&f->cond);
        pthread_mutex_unlock(&f->lock);
        future_put(f);

        pthread_mutex_lock(&pool->lock);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

int
mutex_pool_create(unsigned workers, mutex_pool_t **out)
{
    mutex_pool_t *pool;
    int rc = 0;

    if (workers == 0 || out == NULL)
        return EINVAL;
    pool = calloc(1, sizeof(*pool) + workers * sizeof(pthread_t));
    if (pool == NULL)
        return ENOMEM;
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->work, NULL);
    for (pool->nthreads = 0; pool->nthreads < workers; pool->nthreads++) {
        rc = pthread_create(&pool->threads[pool->nthreads], NULL, worker_main,
                            pool);
        if (rc != 0)
            break;
    }
    if (rc != 0) {
        mutex_pool_destroy(pool);
        return rc;
    }
    *out = pool;
    return 0;
}

void
mutex_pool_destroy(mutex_pool_t *pool)
{
    pthread_mutex_lock(&pool->lock);
    pool->stop = 1;
    pthread_cond_broadcast(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    for (unsigned i = 0; i < pool->nthreads; i++)
        pthread_join(pool->threads[i], NULL);
    pthread_cond_destroy(&pool->work);
    pthread_mutex_destroy(&pool->lock);
    free(pool);
}

int
mutex_pool_submit(mutex_pool_t *pool, mutex_fn fn, void *arg,
                  mutex_future_t **out)
{
    mutex_future_t *f = malloc(sizeof(*f));

    if (f == NULL)
        return ENOMEM;
    f->next = NULL;
    f->fn = fn;
    f->arg = arg;
    pthread_mutex_init(&f->lock, NULL);
    pthread_cond_init(&f->cond, NULL);
    f->done = 0;
    f->rc = 0;
    f->result = NULL;
    atomic_init(&f->refs, 2);

    pthread_mutex_lock(&pool->lock);
    if (pool->tail != NULL)
        pool->tail->next = f;
    else
        pool->head = f;
    pool->tail = f;
    if (pool->idle > 0)
        pthread_cond_signal(&pool->work);
    pthread_mutex_unlock(&pool->lock);
    *out = f;
    return 0;
}

int
mutex_future_result(mutex_future_t *f, void **result)
{
    int rc;

    pthread_mutex_lock(&f->lock);
    while (!f->done)
        pthread_cond_wait(&f->cond, &f->lock);
    rc = f->rc;
    if (result != NULL)
        *result = f->result;
    pthread_mutex_unlock(&f->lock);
    return rc;
}

void
mutex_future_release(mutex_future_t *f)
{
    if (f != NULL)
        future_put(f);
}
