/* SPDX-License-Identifier: MIT */
/*
 * stress_wakeup.c - a lost wake-up detector. Every hand-off here has
 * exactly one party that can wake the other, so a lost wake-up cannot be
 * hidden by a later, unrelated one: the wait runs into its generous
 * deadline (20 s, scaled by WEFT_TEST_TIMEOUT_MULTIPLIER) and the run
 * fails with "lost wake-up" instead of hanging.
 * argv: threads seconds seed. Three phases (1/2, 1/4, 1/4 of the time):
 *  - pool, 1 then 2 workers: one outside thread per pool submits one
 *    task at a time and waits for each result (one job in flight: no
 *    other submission can wake a worker that missed it); workers park
 *    after one idle round; a random pause before each submit, so that
 *    submissions land anywhere on a worker's way to sleep (park.c
 *    [P1]/[W1]). The pools take the idle policies in turn: adaptive, a
 *    fixed 1 us spin (a spinner turns sleeper all the time: [P3]), and
 *    park-only.
 *  - queue: pairs of threads ping-pong one token through two capacity-1
 *    FIFO queues with blocking put/get (queue.c, syncwait.h [E1]/[E2]);
 *    some hand-offs wait past the getter's polling phase first.
 * Also checked: every task ran once and returned its argument, every token
 * came back in order.
 * This is a catcher of tests/mutation.sh (mutants 12, 14, 51 and 52).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <weft/future.h>
#include <weft/pool.h>
#include <weft/queue.h>

#include "weft_test.h"

#define MAXT 16

static uint64_t seed;
static uint64_t long_ns;
static weft_deadline_t phase_end;
static _Atomic long handoffs;

/* A pause of 0 to ~1 us: about a worker's way from a task to its park. */
static void
pause_random(uint64_t *rs)
{
    unsigned n = (unsigned)(weft_test_rand(rs) % 384);

    for (volatile unsigned i = 0; i < n; i++)
        ;
}

static void
lost_wakeup(const char *what, unsigned id, long round)
{
    fprintf(stderr,
            "stress_wakeup: lost wake-up: %s, thread %u, round %ld: not "
            "woken within %.1f s\n",
            what, id, round, (double)long_ns / 1e9);
    abort();
}

/* ---- pool: submit one, wait for it ---------------------------------- */

static int
echo(void *arg, void **result)
{
    *result = arg;
    return 0;
}

struct client {
    weft_pool_t *pool;
    unsigned id;
};

static void *
submitter(void *arg)
{
    struct client *c = arg;
    unsigned id = c->id;
    uint64_t rs = seed ^ (id * 0x9e3779b97f4a7c15ull);
    long round = 0;

    for (; round == 0 || weft_now_ns() < phase_end; round++) {
        weft_future_t *f;
        void *res = NULL;
        void *want = (void *)(uintptr_t)(round + 1);
        int rc;

        pause_random(&rs);
        ASSERT_EQ(weft_pool_submit(c->pool, echo, want, &f), 0);
        rc = weft_future_result(f, weft_deadline_in(long_ns), &res);
        if (rc == -ETIMEDOUT)
            lost_wakeup("a parked worker missed a submitted task", id, round);
        ASSERT_EQ(rc, 0);
        ASSERT_TRUE(res == want);
        weft_future_release(f);
    }
    atomic_fetch_add_explicit(&handoffs, round, memory_order_relaxed);
    return NULL;
}

/* npools pools of `workers` workers, one submitter each. */
static void
phase_pool(unsigned workers, unsigned npools)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    struct client c[MAXT];
    pthread_t th[MAXT];

    o.workers = workers;
    o.spin = 1; /* park after one idle round: as many parks as possible */
    for (unsigned i = 0; i < npools; i++) {
        static const unsigned policy[] = {WEFT_IDLE_ADAPTIVE, WEFT_IDLE_SPIN,
                                          WEFT_IDLE_PARK};
        c[i].id = i;
        o.idle = policy[i % 3];
        o.idle_spin_ns = o.idle == WEFT_IDLE_SPIN ? 1000 : 0;
        ASSERT_EQ(weft_pool_create(&o, &c[i].pool), 0);
        ASSERT_EQ(pthread_create(&th[i], NULL, submitter, &c[i]), 0);
    }
    for (unsigned i = 0; i < npools; i++) {
        ASSERT_EQ(pthread_join(th[i], NULL), 0);
        ASSERT_EQ(weft_pool_destroy(c[i].pool), 0);
    }
}

/* ---- queue: ping-pong through two capacity-1 queues ------------------ */

/* A pause before a hand-off: mostly pause_random(), but one in 8 lasts
 * 50-250 us, longer than a blocked get's polling phase (~20 us), so the
 * other side is asleep in the event count when the hand-off comes and
 * only the put's wake can get it out ([E2]; mutant 12). */
static void
pause_queue(uint64_t *rs)
{
    uint64_t r = weft_test_rand(rs);

    if ((r & 7) == 0) {
        struct timespec ts = {0, (long)(50000 + (r >> 8) % 200000)};

        nanosleep(&ts, NULL);
    } else {
        pause_random(rs);
    }
}

/* weft_queue_get() with a deadline: a get that returns only at or after
 * its deadline waited through it with the item there (a put cannot take
 * 20 s here), so its wake-up was lost even if the last look found the
 * item and returned 0. */
static int
get_woken(weft_queue_t *q, void **item, const char *what, unsigned id,
          long round)
{
    weft_deadline_t d = weft_deadline_in(long_ns);
    int rc = weft_queue_get(q, item, d);

    if (rc == -ETIMEDOUT || weft_now_ns() >= d)
        lost_wakeup(what, id, round);
    return rc;
}

struct pair {
    weft_queue_t *ping, *pong;
    unsigned id;
    _Atomic long rounds; /* set by the server when it stops */
};

static void *
server(void *arg)
{
    struct pair *p = arg;
    uint64_t rs = seed ^ (p->id * 0xda942042e4dd58b5ull);
    long round = 0;
    void *item;
    int rc;

    for (;; round++) {
        rc = get_woken(p->ping, &item, "a consumer missed a put", p->id, round);
        ASSERT_EQ(rc, 0);
        if (item == NULL)
            break;
        ASSERT_EQ((uintptr_t)item, (uintptr_t)(round + 1));
        pause_queue(&rs);
        rc = weft_queue_put(p->pong, item, weft_deadline_in(long_ns));
        if (rc == -ETIMEDOUT)
            lost_wakeup("a producer missed a get", p->id, round);
        ASSERT_EQ(rc, 0);
    }
    /* relaxed: read after pthread_join. */
    atomic_store_explicit(&p->rounds, round, memory_order_relaxed);
    return NULL;
}

static void *
client(void *arg)
{
    struct pair *p = arg;
    uint64_t rs = seed ^ (p->id * 0x2545f4914f6cdd1dull);
    long round = 0;
    void *item;
    int rc;

    for (; round == 0 || weft_now_ns() < phase_end; round++) {
        void *want = (void *)(uintptr_t)(round + 1);

        pause_queue(&rs);
        ASSERT_EQ(weft_queue_put(p->ping, want, weft_deadline_in(long_ns)), 0);
        rc = get_woken(p->pong, &item, "a consumer missed a reply", p->id,
                       round);
        ASSERT_EQ(rc, 0);
        ASSERT_TRUE(item == want);
    }
    ASSERT_EQ(weft_queue_put(p->ping, NULL, weft_deadline_in(long_ns)), 0);
    atomic_fetch_add_explicit(&handoffs, round, memory_order_relaxed);
    return NULL;
}

static void
phase_queue(unsigned npairs)
{
    struct pair pairs[MAXT / 2];
    pthread_t th[MAXT];

    for (unsigned i = 0; i < npairs; i++) {
        pairs[i].id = i;
        atomic_init(&pairs[i].rounds, -1);
        ASSERT_EQ(weft_queue_create(WEFT_QUEUE_FIFO, 1, &pairs[i].ping), 0);
        ASSERT_EQ(weft_queue_create(WEFT_QUEUE_FIFO, 1, &pairs[i].pong), 0);
        ASSERT_EQ(pthread_create(&th[2 * i], NULL, server, &pairs[i]), 0);
        ASSERT_EQ(pthread_create(&th[2 * i + 1], NULL, client, &pairs[i]), 0);
    }
    for (unsigned i = 0; i < 2 * npairs; i++)
        ASSERT_EQ(pthread_join(th[i], NULL), 0);
    for (unsigned i = 0; i < npairs; i++) {
        /* relaxed: after pthread_join. */
        ASSERT_TRUE(
            atomic_load_explicit(&pairs[i].rounds, memory_order_relaxed) > 0);
        ASSERT_EQ(weft_queue_len(pairs[i].ping), 0);
        ASSERT_EQ(weft_queue_len(pairs[i].pong), 0);
        weft_queue_destroy(pairs[i].ping);
        weft_queue_destroy(pairs[i].pong);
    }
}

int
main(int argc, char **argv)
{
    unsigned threads = argc > 1 ? (unsigned)atoi(argv[1]) : 4;
    double seconds = weft_test_seconds(argc, argv, 2.0);

    seed = weft_test_seed(argc, argv);
    long_ns = (uint64_t)(20 * WEFT_NS_PER_SEC * weft_test_timeout_multiplier());
    if (threads < 2)
        threads = 2;
    if (threads > MAXT)
        threads = MAXT;
    /* phase_end: written before each phase's pthread_create. */
    phase_end = weft_deadline_in((uint64_t)(seconds / 2 * 1e9));
    phase_pool(1, threads / 2);
    phase_end = weft_deadline_in((uint64_t)(seconds / 4 * 1e9));
    phase_pool(2, threads / 2);
    phase_end = weft_deadline_in((uint64_t)(seconds / 4 * 1e9));
    phase_queue(threads / 2);
    fprintf(stderr, "stress_wakeup: %ld hand-offs, none lost\n",
            atomic_load_explicit(&handoffs, memory_order_relaxed));
    ASSERT_TRUE(atomic_load_explicit(&handoffs, memory_order_relaxed) > 0);
    return 0;
}
