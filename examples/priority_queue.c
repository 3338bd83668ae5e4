/* SPDX-License-Identifier: MIT */
/*
 * priority_queue.c - Python's queue.PriorityQueue and queue.LifoQueue.
 *
 *     pq = queue.PriorityQueue()
 *     pq.put((2, "write report"))
 *     prio, job = pq.get()            # the lowest priority value first
 *
 * weft_queue_put_prio() takes the priority beside the item, and equal
 * priorities come out in put order (Python needs a (prio, seq, item)
 * tuple for that). Two producer tasks put jobs at the same time; once
 * both are done a consumer drains the queue and checks the order.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <weft.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

enum { PER_PRODUCER = 100, PRODUCERS = 2, NPRIO = 4 };

struct job {
    int producer; /* who put it */
    int seq;      /* its place in that producer's puts */
    int prio;
};

static struct job jobs[PRODUCERS][PER_PRODUCER];
static weft_queue_t *pq;

/* A producer task: put this producer's jobs with mixed priorities. */
static int
producer(void *arg, void **result)
{
    int p = (int)(intptr_t)arg;

    (void)result;
    for (int i = 0; i < PER_PRODUCER; i++) {
        struct job *j = &jobs[p][i];
        int rc;

        j->producer = p;
        j->seq = i;
        j->prio = (i * 7 + p) % NPRIO;
        rc = weft_queue_put_prio(pq, j, j->prio, WEFT_DEADLINE_NEVER);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int
main(void)
{
    weft_pool_t *pool;
    weft_queue_t *lifo;
    weft_future_t *fs[PRODUCERS];
    int last_prio = -1, last_seq[PRODUCERS], n = 0;
    void *item;

    CHECK(weft_pool_create(NULL, &pool) == 0);
    CHECK(weft_queue_create(WEFT_QUEUE_PRIORITY, PRODUCERS * PER_PRODUCER,
                            &pq) == 0);
    for (intptr_t p = 0; p < PRODUCERS; p++)
        CHECK(weft_pool_submit(pool, producer, (void *)p, &fs[p]) == 0);
    for (int p = 0; p < PRODUCERS; p++) {
        CHECK(weft_future_result(fs[p], WEFT_DEADLINE_NEVER, NULL) == 0);
        weft_future_release(fs[p]);
    }

    /* Lowest priority value first; within one priority, each producer's
     * jobs keep their put order. */
    while (weft_queue_try_get(pq, &item) == 0) {
        struct job *j = item;

        if (j->prio != last_prio) {
            CHECK(j->prio > last_prio);
            last_prio = j->prio;
            for (int p = 0; p < PRODUCERS; p++)
                last_seq[p] = -1;
        }
        CHECK(j->seq > last_seq[j->producer]);
        last_seq[j->producer] = j->seq;
        n++;
    }
    CHECK(n == PRODUCERS * PER_PRODUCER);
    printf("%d jobs came out by priority, FIFO within each\n", n);

    /* queue.LifoQueue: a stack. */
    CHECK(weft_queue_create(WEFT_QUEUE_LIFO, 3, &lifo) == 0);
    for (intptr_t i = 1; i <= 3; i++)
        CHECK(weft_queue_put(lifo, (void *)i, WEFT_DEADLINE_NEVER) == 0);
    /* Full: a put with a deadline in the past (POLL) times out. */
    CHECK(weft_queue_put(lifo, NULL, WEFT_DEADLINE_POLL) == -ETIMEDOUT);
    CHECK(weft_queue_try_put(lifo, NULL) == -EAGAIN);
    for (intptr_t want = 3; want >= 1; want--) {
        CHECK(weft_queue_get(lifo, &item, WEFT_DEADLINE_POLL) == 0);
        CHECK((intptr_t)item == want);
    }
    CHECK(weft_queue_get(lifo, &item, WEFT_DEADLINE_POLL) == -ETIMEDOUT);

    CHECK(weft_queue_destroy(lifo) == 0);
    CHECK(weft_queue_destroy(pq) == 0);
    CHECK(weft_pool_destroy(pool) == 0);
    return 0;
}
