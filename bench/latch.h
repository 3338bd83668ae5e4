/* SPDX-License-Identifier: MIT */
/*
 * latch.h - a count-down latch for the peers that have no futures (GLib):
 * each task counts down with one atomic; the last one wakes the waiter
 * through a mutex + condvar, so waiting costs no CPU and no per-task lock.
 */
#ifndef WEFT_BENCH_LATCH_H
#define WEFT_BENCH_LATCH_H

#include <pthread.h>
#include <stdatomic.h>

struct latch {
    atomic_long left;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int open; /* under lock */
};

static inline void
latch_init(struct latch *l, long count)
{
    atomic_init(&l->left, count);
    pthread_mutex_init(&l->lock, NULL);
    pthread_cond_init(&l->cond, NULL);
    l->open = 0;
}

static inline void
latch_count_down(struct latch *l)
{
    /* acq_rel: the last task sees every task's writes. */
    if (atomic_fetch_sub_explicit(&l->left, 1, memory_order_acq_rel) == 1) {
        pthread_mutex_lock(&l->lock);
        l->open = 1;
        pthread_cond_signal(&l->cond);
        pthread_mutex_unlock(&l->lock);
    }
}

static inline void
latch_wait(struct latch *l)
{
    pthread_mutex_lock(&l->lock);
    while (!l->open)
        pthread_cond_wait(&l->cond, &l->lock);
    pthread_mutex_unlock(&l->lock);
}

static inline void
latch_fini(struct latch *l)
{
    pthread_cond_destroy(&l->cond);
    pthread_mutex_destroy(&l->lock);
}

#endif /* WEFT_BENCH_LATCH_H */
