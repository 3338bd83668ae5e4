/* SPDX-License-Identifier: MIT */
/*
 * soak_pool.c - the pool workloads of the soak runner: futures submitted
 * from outside threads (results, cancels, as_completed through a waitset,
 * weft_wait), fork-join trees, one-shot timers. Every task records its runs
 * in a slot of its batch; once the batch is settled each slot must hold
 * exactly 1, or 0 for a future whose cancel succeeded.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "soak.h"
#include "weft_test.h"

#define BATCH 64

struct slot {
    _Atomic uint32_t runs;
};

static int
leaf(void *arg, void **res)
{
    struct slot *s = arg;

    /* relaxed: read after the future's completion, which orders it. */
    atomic_fetch_add_explicit(&s->runs, 1, memory_order_relaxed);
    SOAK_ADD(tasks, 1);
    *res = arg;
    return 0;
}

/* Settle one future: its result (or cancellation) must match its slot. */
static void
settle(weft_future_t *f, struct slot *s, bool cancelled)
{
    void *res = NULL;
    int rc = weft_future_result(f, soak_patience(), &res);
    /* relaxed: the result above ordered the task's increment. */
    uint32_t runs = atomic_load_explicit(&s->runs, memory_order_relaxed);

    if (rc == -ETIMEDOUT) {
        fprintf(stderr, "soak: a future never completed: lost task\n");
        abort(); /* its slot is on our stack: cannot go on */
    }
    if (cancelled ? (rc != -ECANCELED || runs != 0)
                  : (rc != 0 || res != s || runs != 1))
        SOAK_FAIL("future: rc %d, runs %u, cancelled %d\n", rc, runs,
                  cancelled);
}

static void
batch_as_completed(weft_future_t **fs, struct slot *slots, bool *cancelled,
                   int n)
{
    weft_waitset_t *ws;
    weft_future_t *done;
    uintptr_t tag;
    int seen = 0;

    if (weft_waitset_create(soak.pool, &ws) != 0) {
        SOAK_FAIL("waitset_create\n");
        for (int i = 0; i < n; i++)
            settle(fs[i], &slots[i], cancelled[i]);
        return;
    }
    for (int i = 0; i < n; i++)
        if (weft_waitset_add(ws, fs[i], (uintptr_t)i) != 0)
            SOAK_FAIL("waitset_add\n");
    while (weft_waitset_next(ws, soak_patience(), &done, &tag) == 0) {
        if (tag >= (uintptr_t)n || done != fs[tag])
            SOAK_FAIL("waitset returned a wrong tag\n");
        weft_future_release(done); /* the waitset's reference, now ours */
        seen++;
    }
    if (seen != n)
        SOAK_FAIL("as_completed: %d of %d\n", seen, n);
    for (int i = 0; i < n; i++)
        settle(fs[i], &slots[i], cancelled[i]);
    weft_waitset_destroy(ws);
}

static void *
submitter(void *index)
{
    uint64_t rng = soak.seed ^ (uintptr_t)index * 0x9e37;
    weft_future_t *fs[BATCH];
    struct slot slots[BATCH];
    bool cancelled[BATCH];

    while (SOAK_RUNNING()) {
        int n = 1 + (int)(weft_test_rand(&rng) % BATCH);
        uint64_t mode = weft_test_rand(&rng) % 3;

        for (int i = 0; i < n; i++) {
            atomic_init(&slots[i].runs, 0);
            if (weft_pool_submit(soak.pool, leaf, &slots[i], &fs[i]) != 0) {
                SOAK_FAIL("submit\n");
                n = i;
                break;
            }
            cancelled[i] =
                weft_test_rand(&rng) % 8 == 0 && weft_future_cancel(fs[i]) == 0;
        }
        if (mode == 0) {
            batch_as_completed(fs, slots, cancelled, n);
        } else {
            if (mode == 1 && n > 0 &&
                weft_wait(fs, (size_t)n, WEFT_ALL_COMPLETED, soak_patience(),
                          NULL) != 0)
                SOAK_FAIL("weft_wait\n");
            for (int i = 0; i < n; i++)
                settle(fs[i], &slots[i], cancelled[i]);
        }
        for (int i = 0; i < n; i++)
            weft_future_release(fs[i]);
    }
    return NULL;
}

static uintptr_t
fib_seq(uintptr_t n)
{
    return n < 2 ? n : fib_seq(n - 1) + fib_seq(n - 2);
}

static int
fib(void *arg, void **res)
{
    uintptr_t n = (uintptr_t)arg;
    weft_task_t t;
    void *a = NULL, *b = NULL;

    SOAK_ADD(tasks, 1);
    if (n < 2) {
        *res = arg;
        return 0;
    }
    if (weft_spawn(&t, fib, (void *)(n - 1)) != 0) {
        SOAK_FAIL("spawn\n");
        return -EIO;
    }
    if (fib(((void *)(n - 2)), &b) != 0 || weft_sync(&t, &a) != 0)
        return -EIO;
    *res = (void *)((uintptr_t)a + (uintptr_t)b);
    return 0;
}

static void *
forkjoin(void *index)
{
    uint64_t rng = soak.seed ^ (uintptr_t)index * 0x51ed;

    while (SOAK_RUNNING()) {
        uintptr_t n = 10 + weft_test_rand(&rng) % 8;
        void *res = NULL;
        int rc = weft_pool_run(soak.pool, fib, (void *)n, &res);
        if (rc != 0 || (uintptr_t)res != fib_seq(n))
            SOAK_FAIL("fork-join fib(%u): rc %d\n", (unsigned)n, rc);
    }
    return NULL;
}

/* One-shot timers of 0-2 ms, some cancelled; the same exactly-once rule. */
static void *
timers(void *index)
{
    uint64_t rng = soak.seed ^ (uintptr_t)index * 0x7173;
    weft_future_t *fs[16];
    struct slot slots[16];
    bool cancelled[16];

    while (SOAK_RUNNING()) {
        int n = 0;
        for (; n < 16; n++) {
            uint64_t delay = weft_test_rand(&rng) % (2 * WEFT_NS_PER_MS);
            atomic_init(&slots[n].runs, 0);
            if (weft_pool_submit_after(soak.pool, delay, leaf, &slots[n],
                                       &fs[n]) != 0) {
                SOAK_FAIL("submit_after\n");
                break;
            }
            cancelled[n] =
                weft_test_rand(&rng) % 4 == 0 && weft_future_cancel(fs[n]) == 0;
        }
        for (int i = 0; i < n; i++) {
            settle(fs[i], &slots[i], cancelled[i]);
            weft_future_release(fs[i]);
        }
    }
    return NULL;
}

const struct soak_workload soak_pool_workloads[] = {
    {"submit/result/cancel/as_completed/wait", 2, NULL, submitter, NULL},
    {"fork-join", 1, NULL, forkjoin, NULL},
    {"timers", 1, NULL, timers, NULL},
    {NULL, 0, NULL, NULL, NULL},
};
