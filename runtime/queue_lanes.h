/* SPDX-License-Identifier: MIT */
/*
 * queue_lanes.h - private: the WEFT_QUEUE_FIFO_LANES kind (queue_lanes.c).
 * queue.c validates the arguments and dispatches here on the kind, which
 * is the first member of both queue structs. Same returns as the
 * weft_queue_* function of the same name (include/weft/queue.h).
 */
#ifndef WEFT_QUEUE_LANES_H
#define WEFT_QUEUE_LANES_H

#include <stdbool.h>
#include <stddef.h>

#include <weft/queue.h>

int weft__qlanes_create(size_t capacity, weft_queue_t **out);
int weft__qlanes_destroy(weft_queue_t *q);
int weft__qlanes_put(weft_queue_t *q, void *item, weft_deadline_t deadline);
int weft__qlanes_try_put(weft_queue_t *q, void *item);
int weft__qlanes_get(weft_queue_t *q, void **item, weft_deadline_t deadline);
int weft__qlanes_try_get(weft_queue_t *q, void **item);
int weft__qlanes_task_done(weft_queue_t *q);
int weft__qlanes_join(weft_queue_t *q, weft_deadline_t deadline);
int weft__qlanes_shutdown(weft_queue_t *q, unsigned flags);
size_t weft__qlanes_len(const weft_queue_t *q);
size_t weft__qlanes_capacity(const weft_queue_t *q);
bool weft__qlanes_is_shutdown(const weft_queue_t *q);

/* The kind of q (non-NULL): the first member of either struct. */
static inline enum weft_queue_kind
weft__queue_kind(const weft_queue_t *q)
{
    return *(const enum weft_queue_kind *)(const void *)q;
}

#endif /* WEFT_QUEUE_LANES_H */
