/* SPDX-License-Identifier: MIT */
/*
 * barrier.c - threading.Barrier with an action: the parties of an
 * iterative computation meet after each step, and the last one to arrive
 * runs the action (here: swap the buffers and record a statistic) before
 * any of them goes on. In Python:
 *
 *     b = threading.Barrier(PARTIES, action=next_generation)
 *     def part(i):
 *         for step in range(STEPS):
 *             compute_slice(i)
 *             b.wait()
 *
 * The computation is the rule-30 cellular automaton on a ring of cells,
 * each party owning one slice; the result is compared with a sequential
 * run. The parties are tasks on a pool with one worker per party: a
 * barrier wait blocks the worker that runs it, so fewer workers than
 * parties would deadlock (the deadline turns that into -ETIMEDOUT).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <weft.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

enum { CELLS = 256, PARTIES = 4, SLICE = CELLS / PARTIES, STEPS = 100 };

static unsigned char buf_a[CELLS], buf_b[CELLS];
/* Written only by the action, read by every party after the barrier. */
static unsigned char *cur = buf_a, *next = buf_b;
static unsigned population[STEPS];
static unsigned step;
static struct weft_barrier barrier;

static unsigned char
rule30(const unsigned char *c, int i)
{
    unsigned l = c[(i + CELLS - 1) % CELLS], m = c[i], r = c[(i + 1) % CELLS];

    return (unsigned char)((30u >> (l << 2 | m << 1 | r)) & 1u);
}

/* The action: run once per step by the last party to arrive. */
static int
next_generation(void *arg)
{
    unsigned char *t = cur;
    unsigned n = 0;

    (void)arg;
    cur = next;
    next = t;
    for (int i = 0; i < CELLS; i++)
        n += cur[i];
    population[step++] = n;
    return 0;
}

static int
part(void *arg, void **result)
{
    int lo = (int)(intptr_t)arg * SLICE;
    weft_deadline_t deadline = weft_deadline_in(20 * WEFT_NS_PER_SEC);

    (void)result;
    for (int s = 0; s < STEPS; s++) {
        /* Read cur (every slice), write only our slice of next. */
        for (int i = lo; i < lo + SLICE; i++)
            next[i] = rule30(cur, i);
        int rc = weft_barrier_wait(&barrier, deadline, NULL);
        if (rc != 0)
            return rc;
    }
    return 0;
}

int
main(void)
{
    struct weft_pool_opts opts = WEFT_POOL_OPTS_INIT;
    unsigned char seq[CELLS], tmp[CELLS];
    weft_pool_t *pool;
    weft_future_t *fs[PARTIES];

    buf_a[CELLS / 2] = 1;
    memcpy(seq, buf_a, CELLS);
    CHECK(weft_barrier_init(&barrier, PARTIES, next_generation, NULL) == 0);
    opts.workers = PARTIES;
    CHECK(weft_pool_create(&opts, &pool) == 0);
    for (intptr_t i = 0; i < PARTIES; i++)
        CHECK(weft_pool_submit(pool, part, (void *)i, &fs[i]) == 0);
    for (int i = 0; i < PARTIES; i++) {
        int rc = weft_future_result(fs[i], WEFT_DEADLINE_NEVER, NULL);

        if (rc != 0)
            fprintf(stderr, "party %d: %s\n", i, weft_strerror(rc));
        CHECK(rc == 0);
        weft_future_release(fs[i]);
    }
    CHECK(step == STEPS && !weft_barrier_broken(&barrier));

    /* The same computation, sequentially. */
    for (int s = 0; s < STEPS; s++) {
        unsigned n = 0;

        for (int i = 0; i < CELLS; i++)
            n += tmp[i] = rule30(seq, i);
        memcpy(seq, tmp, CELLS);
        CHECK(population[s] == n);
    }
    CHECK(memcmp(seq, cur, CELLS) == 0);
    printf("%d steps of rule 30 on %d parties; final population %u\n", STEPS,
           PARTIES, population[STEPS - 1]);

    CHECK(weft_pool_destroy(pool) == 0);
    CHECK(weft_barrier_fini(&barrier) == 0);
    return 0;
}
