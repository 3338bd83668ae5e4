/* SPDX-License-Identifier: MIT */
/*
 * weft/queue.h - bounded blocking queues of pointers: Python's queue.Queue,
 * LifoQueue and PriorityQueue, with deadlines, task_done/join and the
 * Python 3.13 shutdown.
 *
 * Kinds:
 * - WEFT_QUEUE_FIFO: built on a Concurrency Kit ring used single-producer
 *   single-consumer, with one lock for producers and one for consumers, so
 *   items stream between a producer and a consumer in cache-line batches.
 *   Order: exact FIFO. Puts are totally ordered by the producer lock and
 *   gets by the consumer lock: the k-th successful get returns the item of
 *   the k-th successful put. So items of one producer come out in the
 *   order it put them, and a put that returned before another put began
 *   comes out first.
 * - WEFT_QUEUE_FIFO_LANES: opt-in, faster FIFO that is FIFO per producer
 *   only: per-producer lanes, each a Concurrency Kit ring used
 *   single-producer single-consumer, so that items stream between a
 *   producer and a consumer in cache-line batches with no locked
 *   instruction per item while each thread keeps its lane.
 *   Order: FIFO per producer. The items one thread puts come out in the
 *   order it put them (to any number of consumers: a get that returns a
 *   later item of that thread never happens-before the get of an earlier
 *   one). Across producers, the order of puts that are not ordered by
 *   happens-before is unspecified, and even ordered puts of two different
 *   threads (A puts x, tells B, B puts y) may come out as y before x. So
 *   "join the producers, then put an end marker" does not work: the
 *   marker may overtake their items; let each producer put its own
 *   markers after its items (or use WEFT_QUEUE_FIFO).
 *   Threads are mapped to lanes by a per-thread number (8 lanes), so
 *   producers may share a lane; they then serialise on it. A consumer
 *   keeps taking from the lane it last took from and moves to the next
 *   one when it is empty, and at least every 1024 gets (leaving a lane
 *   another consumer keeps taking from to that one, except every 65536
 *   gets and when nothing else is queued): a producer's items never wait
 *   forever behind a busier producer's.
 *   A put blocked on a full queue polls until there is room for a run
 *   of items (32, or a quarter of the capacity if smaller) before it
 *   tries again, and goes to the sleeping path (which takes any room)
 *   after its polling phase (~20 us): so a consumer that frees one slot
 *   and stops may leave it waiting that long, while streaming producers
 *   and consumers each move items in runs instead of one at a time.
 *   Capacity is still exact for the whole queue: a put that finds its own
 *   lane's share of the capacity used moves unused shares of other lanes
 *   over, so put blocks (try_put fails) only when the queue holds
 *   capacity items, or, for try_put, while another thread holds a lane
 *   for a moment. Memory: 8 rings of capacity + 1 rounded up to a power
 *   of two pointers each; allocated by create when a ring is at most
 *   128 KiB (capacity < 16384), else on the lane's first put (which may
 *   then fail with -ENOMEM). len() sums per-lane snapshots.
 * - WEFT_QUEUE_LIFO: the most recently put item first.
 * - WEFT_QUEUE_PRIORITY: the lowest priority value first, FIFO among equal
 *   values (Python's PriorityQueue with (priority, sequence) entries).
 *
 * Items are opaque pointers (NULL is a valid item); the queue never
 * dereferences or frees them. Capacity is exact: any value in
 * [1, WEFT_QUEUE_MAX_CAPACITY]; there is no unbounded mode (bounded memory).
 *
 * Common contract:
 * - Return codes: 0 or a negative WEFT_E*; a NULL queue or out-pointer is
 *   -EINVAL, never a crash.
 * - Deadlines: absolute CLOCK_MONOTONIC ns (weft_deadline_in()); a blocking
 *   call whose deadline passes returns -ETIMEDOUT. WEFT_DEADLINE_POLL makes
 *   put/get equal to try_put/try_get except for the code (-ETIMEDOUT).
 * - Ordering: a put happens-before the get that returns its item (writes to
 *   the pointee before put are visible after get).
 * - Thread safety: every function may be called from any number of
 *   threads at once, except destroy.
 * - Context: any thread. Waiters spin for a microsecond or two (up to
 *   about 20 us, yielding now and then, for WEFT_QUEUE_FIFO_LANES), then
 *   sleep on a futex (no CPU use while idle); uncontended put/get make no
 *   system call, and a put/get wakes (a system call) only a waiter that
 *   is asleep, not one still spinning. Called from a task on a weft
 *   worker, a blocking put/get blocks the worker thread; before it sleeps
 *   an idle worker is woken if its deque holds work, and the other
 *   workers keep stealing from it.
 *   Inside tasks prefer try_put/try_get or short deadlines.
 */
#ifndef WEFT_QUEUE_H
#define WEFT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <weft/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_queue weft_queue_t;

enum weft_queue_kind {
    WEFT_QUEUE_FIFO = 0,
    WEFT_QUEUE_LIFO = 1,
    WEFT_QUEUE_PRIORITY = 2,
    WEFT_QUEUE_FIFO_LANES = 3 /* FIFO per producer; see above */
};

/* The largest capacity a queue may have (2^30 items). */
#define WEFT_QUEUE_MAX_CAPACITY ((size_t)1 << 30)

/*
 * weft_queue_create() - a queue of the given kind holding up to capacity
 * items.
 * Return: 0; -EINVAL (NULL out, unknown kind, capacity 0 or above
 * WEFT_QUEUE_MAX_CAPACITY); -ENOMEM.
 * Ownership: on 0, pass *out to weft_queue_destroy() once.
 */
WEFT_API int weft_queue_create(enum weft_queue_kind kind, size_t capacity,
                               weft_queue_t **out);

/*
 * weft_queue_destroy() - free the queue. Items still inside are dropped
 * (not freed: they are the caller's). Return: 0; -EINVAL (NULL).
 * Context: no other thread may use q during or after the call (shut it
 * down and let every user return first).
 */
WEFT_API int weft_queue_destroy(weft_queue_t *q);

/*
 * weft_queue_put() - append item, waiting for room until deadline.
 * For a priority queue the item gets priority 0.
 * Return: 0; -ETIMEDOUT (still full at the deadline); -ESHUTDOWN (the
 * queue is shut down: item not queued); -EINVAL (NULL q); -ENOMEM
 * (WEFT_QUEUE_FIFO_LANES with capacity >= 16384: the first put of a lane
 * could not allocate its ring).
 * Each successful put adds one unfinished task (see weft_queue_task_done).
 */
WEFT_API int weft_queue_put(weft_queue_t *q, void *item,
                            weft_deadline_t deadline);

/*
 * weft_queue_put_prio() - put with a priority (lower comes out first;
 * equal priorities keep put order). Return: as weft_queue_put(), and
 * -EINVAL when q is not a WEFT_QUEUE_PRIORITY queue.
 */
WEFT_API int weft_queue_put_prio(weft_queue_t *q, void *item, int64_t prio,
                                 weft_deadline_t deadline);

/*
 * weft_queue_get() - remove the next item (by kind) into *item, waiting
 * until deadline.
 * Return: 0; -ETIMEDOUT (still empty at the deadline); -ESHUTDOWN (shut
 * down and empty, or shut down immediately); -EINVAL (NULL q or item).
 */
WEFT_API int weft_queue_get(weft_queue_t *q, void **item,
                            weft_deadline_t deadline);

/*
 * weft_queue_try_put() / weft_queue_try_get() - never block.
 * Return: 0; -EAGAIN (full / empty now); -ESHUTDOWN; -EINVAL; -ENOMEM
 * (try_put, as for put).
 * (int rather than bool: -ESHUTDOWN must be told from -EAGAIN.) They may
 * return -EAGAIN while another producer (consumer) holds the side's lock
 * for a moment.
 */
WEFT_API int weft_queue_try_put(weft_queue_t *q, void *item);
WEFT_API int weft_queue_try_get(weft_queue_t *q, void **item);

/*
 * weft_queue_task_done() - a consumer reports that one item it got is
 * fully processed. Return: 0; -EINVAL (NULL); -EOVERFLOW (called more
 * times than items were put: Python's ValueError; nothing changes).
 * Ordering: the processing before task_done happens-before the return of
 * a join() that it lets through.
 */
WEFT_API int weft_queue_task_done(weft_queue_t *q);

/*
 * weft_queue_join() - wait until every item ever put has been marked done
 * (task_done, or dropped by an immediate shutdown).
 * Return: 0; -ETIMEDOUT; -EINVAL.
 */
WEFT_API int weft_queue_join(weft_queue_t *q, weft_deadline_t deadline);

/* Flags for weft_queue_shutdown(). */
#define WEFT_QUEUE_SHUTDOWN_IMMEDIATE 1u

/*
 * weft_queue_shutdown() - Python 3.13's Queue.shutdown(). From now on put
 * returns -ESHUTDOWN, and every blocked producer wakes with it. Without
 * WEFT_QUEUE_SHUTDOWN_IMMEDIATE, gets keep returning the items already
 * queued, then -ESHUTDOWN (blocked consumers wake with it once the queue
 * is empty). With it, the queued items are dropped at once (the caller
 * keeps ownership of whatever they point to: drain first if they own
 * memory), each counts as task_done, and every get returns -ESHUTDOWN.
 * Idempotent; an immediate shutdown may follow a plain one.
 * Return: 0; -EINVAL (NULL q, unknown flags).
 */
WEFT_API int weft_queue_shutdown(weft_queue_t *q, unsigned flags);

/* Snapshots (exact when no other thread uses the queue; under concurrency
 * a WEFT_QUEUE_FIFO_LANES len sums per-lane snapshots taken one after the
 * other, clamped to the capacity). Return: the items queued; the capacity;
 * whether it is shut down. 0/false for NULL. */
WEFT_API size_t weft_queue_len(const weft_queue_t *q);
WEFT_API size_t weft_queue_capacity(const weft_queue_t *q);
WEFT_API bool weft_queue_is_shutdown(const weft_queue_t *q);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_QUEUE_H */
