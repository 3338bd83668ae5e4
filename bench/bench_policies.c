/* SPDX-License-Identifier: MIT */
/*
 * bench_policies.c - the scheduling policies of struct weft_pool_opts,
 * swept over three fork-join workloads (system "weft").
 *
 * Policies: victim (random, round-robin, last-success) x steal (one, half)
 * x order (lifo, fifo), plus one user victim_fn ("user-neighbour": try
 * the next workers in index order, steal one, lifo). Workloads, each
 * checked against its known answer (a wrong one prints a
 * weft-bench-missing row instead of a time):
 *   fib      spawn/sync at every level; n=27 (quick 22); fib(n) known.
 *   uts      an unbalanced tree search: a binomial tree (UTS's T3 kind):
 *            the root has R children, every other node has 4 children with
 *            probability 0.2375 (expected 0.95: a few long chains among
 *            many leaves), decided by a hash of the node's id, so the tree
 *            is the same on every run; one spawn per child; nodes counted
 *            and compared with a sequential count of the same tree.
 *   nqueens  one spawn per safe column of each row; n=11 (quick 10):
 *            2680 (724) solutions.
 * Rows per (workload, policy, workers), params like
 * "fib n=27,victim=random,steal=one,order=lifo,threads=2":
 *   policies         ms per run                                 lower
 *   policies-steals  successful steals in that run (unit "steals";
 *                    weft_pool_stats before and after)          lower
 * The steal count is a separate benchmark name because bench/run.sh keys
 * rows by (benchmark, params, system). Workers: WEFT_BENCH_THREADS, else
 * 2. Sizes: WEFT_BENCH_POLICIES_FIB_N, WEFT_BENCH_POLICIES_UTS_ROOTS,
 * WEFT_BENCH_POLICIES_NQ_N.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <weft/pool.h>
#include <weft/stats.h>

#include "bench.h"
#include "weft_fib.h"

#define BENCH "policies"

/* ---- fib ------------------------------------------------------------- */

static uint64_t
fib_expect(int n)
{
    uint64_t a = 0, b = 1;

    for (int i = 0; i < n; i++) {
        uint64_t c = a + b;
        a = b;
        b = c;
    }
    return a;
}

/* ---- uts: a binomial tree from a hash per node ----------------------- */

#define UTS_M      4
/* 0.2375 * 2^32: a node has UTS_M children with this probability. */
#define UTS_Q_2_32 1020054733u

static uint64_t
uts_hash(uint64_t x)
{
    /* splitmix64's finaliser */
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t
uts_child(uint64_t node, uint64_t i)
{
    return uts_hash(node * 0x100000001b3ull + i + 1);
}

static int
uts_kids(uint64_t node)
{
    return (uint32_t)(node >> 32) < UTS_Q_2_32 ? UTS_M : 0;
}

static uint64_t
uts_seq_node(uint64_t node)
{
    uint64_t n = 1;
    int k = uts_kids(node);

    for (int i = 0; i < k; i++)
        n += uts_seq_node(uts_child(node, (uint64_t)i));
    return n;
}

static int
uts_node_task(void *arg, void **result)
{
    uint64_t node = (uint64_t)(uintptr_t)arg, n = 1;
    int k = uts_kids(node), ns = 1, rc = 0;
    weft_task_t t[UTS_M];
    void *r = NULL;

    /* Children 1..k-1 are spawned, child 0 runs here. */
    for (; ns < k && rc == 0; ns++)
        rc = weft_spawn(&t[ns], uts_node_task,
                        (void *)(uintptr_t)uts_child(node, (uint64_t)ns));
    if (rc != 0)
        ns--; /* that spawn failed: nothing to sync */
    if (k > 0 && rc == 0) {
        uts_node_task((void *)(uintptr_t)uts_child(node, 0), &r);
        n += (uint64_t)(uintptr_t)r;
    }
    while (--ns >= 1) {
        int rc2 = weft_sync(&t[ns], &r);
        if (rc2 == 0)
            n += (uint64_t)(uintptr_t)r;
        else if (rc == 0)
            rc = rc2;
    }
    *result = (void *)(uintptr_t)n;
    return rc;
}

/* The root's children [lo, hi), split in halves, one spawn per half. */
struct uts_range {
    uint64_t root, lo, hi;
};

static int
uts_range_task(void *arg, void **result)
{
    const struct uts_range *in = arg;
    struct uts_range half;
    weft_task_t t;
    void *a = NULL, *b = NULL;
    int rc;

    if (in->hi - in->lo == 1)
        return uts_node_task((void *)(uintptr_t)uts_child(in->root, in->lo),
                             result);
    half.root = in->root;
    half.lo = in->lo + (in->hi - in->lo) / 2;
    half.hi = in->hi;
    rc = weft_spawn(&t, uts_range_task, &half);
    if (rc != 0)
        return rc;
    {
        struct uts_range lower = {in->root, in->lo, half.lo};
        uts_range_task(&lower, &a);
    }
    rc = weft_sync(&t, &b);
    *result = (void *)((uintptr_t)a + (uintptr_t)b);
    return rc;
}

static uint64_t
uts_seq(uint64_t root, uint64_t roots)
{
    uint64_t n = 1;

    for (uint64_t i = 0; i < roots; i++)
        n += uts_seq_node(uts_child(root, i));
    return n;
}

/* ---- nqueens --------------------------------------------------------- */

#define NQ_MAX 14

struct nq_board {
    int n, row;
    int8_t col[NQ_MAX]; /* the queen's column in each placed row */
};

static int
nq_safe(const struct nq_board *b, int c)
{
    for (int r = 0; r < b->row; r++) {
        int d = b->col[r] - c;
        if (d == 0 || d == b->row - r || d == r - b->row)
            return 0;
    }
    return 1;
}

static int
nq_task(void *arg, void **result)
{
    const struct nq_board *b = arg;
    struct nq_board next[NQ_MAX];
    weft_task_t t[NQ_MAX];
    int ns = 0, rc = 0;
    uintptr_t count = 0;

    if (b->row == b->n) {
        *result = (void *)(uintptr_t)1;
        return 0;
    }
    for (int c = 0; c < b->n && rc == 0; c++) {
        if (!nq_safe(b, c))
            continue;
        next[ns] = *b;
        next[ns].col[b->row] = (int8_t)c;
        next[ns].row = b->row + 1;
        rc = weft_spawn(&t[ns], nq_task, &next[ns]);
        if (rc == 0)
            ns++;
    }
    while (ns > 0) {
        void *r = NULL;
        int rc2 = weft_sync(&t[--ns], &r);
        if (rc2 == 0)
            count += (uintptr_t)r;
        else if (rc == 0)
            rc = rc2;
    }
    *result = (void *)count;
    return rc;
}

static uint64_t
nq_expect(int n)
{
    static const uint64_t known[NQ_MAX + 1] = {
        1, 1, 0, 0, 2, 10, 4, 40, 92, 352, 724, 2680, 14200, 73712, 365596};
    return n >= 0 && n <= NQ_MAX ? known[n] : 0;
}

/* ---- policies -------------------------------------------------------- */

/* The user chooser: the next workers after self, in index order. */
static unsigned
victim_neighbour(void *ctx, unsigned self, unsigned nworkers, unsigned attempt)
{
    (void)ctx;
    if (attempt + 1 >= nworkers)
        return nworkers; /* every other worker tried: stop */
    return (self + 1 + attempt) % nworkers;
}

struct policy {
    const char *victim_name;
    unsigned victim, steal, order;
    weft_victim_fn fn;
};

static const char *const steal_names[] = {"one", "half"};
static const char *const order_names[] = {"lifo", "fifo"};

/* ---- one measured run ------------------------------------------------- */

enum work { W_FIB, W_UTS, W_NQ };

struct sizes {
    int fib_n, nq_n;
    uint64_t uts_roots, uts_nodes; /* uts_nodes: the sequential count */
};

static uint64_t
pool_steals(weft_pool_t *pool)
{
    struct weft_pool_stats s;

    memset(&s, 0, sizeof(s));
    return weft_pool_stats(pool, &s) == 0 ? s.total.steals : 0;
}

static void
measure(weft_pool_t *pool, enum work w, const struct sizes *sz,
        const char *params)
{
    static const uint64_t uts_root = 0x5eed;
    struct uts_range all = {uts_root, 0, sz->uts_roots};
    struct nq_board board;
    uint64_t s0, s1, t0, t1, got = 0, want = 0;
    void *r = NULL;
    int rc = 0;
    char why[160];

    memset(&board, 0, sizeof(board));
    board.n = sz->nq_n;
    s0 = pool_steals(pool);
    t0 = bench_now_ns();
    BENCH_REGION_BEGIN();
    switch (w) {
    case W_FIB:
        rc = weft_pool_run(pool, fib_task, (void *)(intptr_t)sz->fib_n, &r);
        want = fib_expect(sz->fib_n);
        break;
    case W_UTS:
        rc = weft_pool_run(pool, uts_range_task, &all, &r);
        want = sz->uts_nodes - 1; /* the root itself is not a task */
        break;
    case W_NQ:
        rc = weft_pool_run(pool, nq_task, &board, &r);
        want = nq_expect(sz->nq_n);
        break;
    }
    BENCH_REGION_END();
    t1 = bench_now_ns();
    s1 = pool_steals(pool);
    got = (uint64_t)(uintptr_t)r;
    if (rc != 0) {
        snprintf(why, sizeof(why), "weft_pool_run: %s", weft_strerror(rc));
        bench_missing(BENCH, params, "weft", why);
        return;
    }
    if (got != want) {
        snprintf(why, sizeof(why), "wrong result: %llu, expected %llu",
                 (unsigned long long)got, (unsigned long long)want);
        bench_missing(BENCH, params, "weft", why);
        return;
    }
    bench_emit(BENCH, params, "weft", (double)(t1 - t0) / 1e6, "ms", "lower");
    bench_emit(BENCH "-steals", params, "weft", (double)(s1 - s0), "steals",
               "lower");
}

static void
run_policy(const struct policy *p, unsigned threads, const struct sizes *sz)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    weft_pool_t *pool;
    char pol[96], params[160];
    void *r = NULL;
    int rc;

    snprintf(pol, sizeof(pol), "victim=%s,steal=%s,order=%s,threads=%u",
             p->victim_name, steal_names[p->steal], order_names[p->order],
             threads);
    o.workers = threads;
    o.name = "policies";
    o.victim = p->victim;
    o.steal = p->steal;
    o.order = p->order;
    o.victim_fn = p->fn;
    rc = weft_pool_create(&o, &pool);
    if (rc != 0) {
        char why[96];
        snprintf(why, sizeof(why), "weft_pool_create: %s", weft_strerror(rc));
        snprintf(params, sizeof(params), "* %s", pol);
        bench_missing(BENCH, params, "weft", why);
        return;
    }
    /* Warm up: threads running, deques grown, code paged in. */
    weft_pool_run(pool, fib_task, (void *)(intptr_t)18, &r);
    snprintf(params, sizeof(params), "fib n=%d,%s", sz->fib_n, pol);
    measure(pool, W_FIB, sz, params);
    snprintf(params, sizeof(params), "uts roots=%llu,%s",
             (unsigned long long)sz->uts_roots, pol);
    measure(pool, W_UTS, sz, params);
    snprintf(params, sizeof(params), "nqueens n=%d,%s", sz->nq_n, pol);
    measure(pool, W_NQ, sz, params);
    weft_pool_destroy(pool);
}

int
main(void)
{
    static const struct {
        const char *name;
        unsigned v;
    } victims[] = {{"random", WEFT_VICTIM_RANDOM},
                   {"round-robin", WEFT_VICTIM_ROUND_ROBIN},
                   {"last-success", WEFT_VICTIM_LAST_SUCCESS}};
    struct policy pol[16];
    struct sizes sz;
    unsigned threads[BENCH_MAX_THREADS];
    int np = 0, nt;
    uint64_t t0;

    sz.fib_n = (int)bench_size("WEFT_BENCH_POLICIES_FIB_N", 30, 24);
    sz.nq_n = (int)bench_size("WEFT_BENCH_POLICIES_NQ_N", 11, 10);
    sz.uts_roots = bench_size("WEFT_BENCH_POLICIES_UTS_ROOTS", 600000, 60000);
    if (sz.fib_n < 2 || sz.fib_n > 40 || sz.nq_n < 1 || sz.nq_n > NQ_MAX ||
        sz.uts_roots < 1) {
        fprintf(stderr, "bench_policies: sizes out of range\n");
        return 2;
    }
    t0 = bench_now_ns();
    sz.uts_nodes = uts_seq(0x5eed, sz.uts_roots);
    fprintf(stderr,
            "bench_policies: uts tree of %llu nodes (counted in %.1f "
            "ms sequentially)\n",
            (unsigned long long)sz.uts_nodes,
            (double)(bench_now_ns() - t0) / 1e6);

    for (unsigned v = 0; v < 3; v++)
        for (unsigned s = 0; s < 2; s++)
            for (unsigned o = 0; o < 2; o++)
                pol[np++] =
                    (struct policy){victims[v].name, victims[v].v, s, o, NULL};
    pol[np++] =
        (struct policy){"user-neighbour", WEFT_VICTIM_RANDOM, WEFT_STEAL_ONE,
                        WEFT_ORDER_LIFO, victim_neighbour};

    nt = bench_threads(threads, BENCH_MAX_THREADS, "2");
    for (int i = 0; i < nt; i++)
        for (int p = 0; p < np; p++)
            run_policy(&pol[p], threads[i], &sz);
    return 0;
}
