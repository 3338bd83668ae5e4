/* SPDX-License-Identifier: MIT */
/*
 * mutex_pool.h - the baseline: a textbook thread pool with futures, one
 * pthread mutex and condition variable guarding a FIFO list, and one
 * mutex + condition variable per future (as std::promise/std::future are
 * usually built). No tricks and no handicaps: tasks and futures are one
 * malloc, workers sleep on the condvar only when the queue is empty, and
 * submit signals only when a worker sleeps.
 */
#ifndef WEFT_BENCH_MUTEX_POOL_H
#define WEFT_BENCH_MUTEX_POOL_H

typedef struct mutex_pool mutex_pool_t;
typedef struct mutex_future mutex_future_t;
typedef int (*mutex_fn)(void *arg, void **result);

/* 0, or a positive errno. */
int mutex_pool_create(unsigned workers, mutex_pool_t **out);
/* Runs what is queued, joins the workers, frees the pool. */
void mutex_pool_destroy(mutex_pool_t *pool);
/* 0 with *out holding one reference, or a positive errno. */
int mutex_pool_submit(mutex_pool_t *pool, mutex_fn fn, void *arg,
                      mutex_future_t **out);
/* Waits for the task; returns its code and sets *result (may be NULL). */
int mutex_future_result(mutex_future_t *f, void **result);
/* Drops the caller's reference. */
void mutex_future_release(mutex_future_t *f);

#endif /* WEFT_BENCH_MUTEX_POOL_H */
