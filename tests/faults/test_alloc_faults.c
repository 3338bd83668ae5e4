/* SPDX-License-Identifier: MIT */
/*
 * test_alloc_faults - every allocation site of the runtime fails in turn.
 *
 * Linked against weft_fault (tests/faults.cmake: the runtime built with
 * -DWEFT_FAULT_INJECT, runtime/fault.h). Each scenario below drives one
 * part of the public API; run() repeats it failing allocation k = 1, 2, ...
 * (one failure per run) until a run makes no failing allocation. Inside a
 * scenario, every call that may allocate goes through TRY(): it must
 * return 0, or -ENOMEM exactly when the injected failure fired; after
 * -ENOMEM the same call is made again and must succeed (the object is
 * still usable). The scenarios then check their results exactly, so a
 * failure that lost a task, an item or an add shows. Leaks on the error
 * paths are LeakSanitizer's job in the asan preset.
 *
 * At the end the distinct failed sites are printed and must be at least
 * MIN_SITES: every site there is (count them with grep; tests/README.md).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include <weft.h>

#include <weft/typed.h>

#include "fault.h"
#include "weft_test.h"

/* Distinct sites this test must fail: all 30 (tests/README.md). */
#define MIN_SITES 30
#define MAX_SITES 64

static const char *cur_name;
static unsigned long cur_k;

/* call must return want, or -ENOMEM once (when the fault fired) and then
 * want. */
#define EXPECT(call, want)                                                    \
    do {                                                                      \
        int rc_ = (call);                                                     \
        if (rc_ == -ENOMEM && weft__fault_fired())                            \
            rc_ = (call);                                                     \
        if (rc_ != (want)) {                                                  \
            fprintf(stderr, "%s:%d: scenario %s, k=%lu: %s = %d\n", __FILE__, \
                    __LINE__, cur_name, cur_k, #call, rc_);                   \
            abort();                                                          \
        }                                                                     \
    } while (0)
#define TRY(call) EXPECT(call, 0)

static int
square(void *arg, void **res)
{
    *res = (void *)((long)arg * (long)arg);
    return 0;
}

static _Atomic long hits;

static int
hit(void *arg, void **res)
{
    (void)arg;
    (void)res;
    /* relaxed: read after the pool or future joined. */
    atomic_fetch_add_explicit(&hits, 1, memory_order_relaxed);
    return 0;
}

/* Spawns more than a deque holds (1024), so the owner's deque grows. */
#define WIDE 2000
static int
wide_spawn(void *arg, void **res)
{
    weft_task_t *t = malloc(WIDE * sizeof(*t));

    (void)arg;
    (void)res;
    ASSERT_TRUE(t != NULL);
    for (int i = 0; i < WIDE; i++)
        ASSERT_EQ(weft_spawn(&t[i], hit, NULL), 0);
    for (int i = WIDE - 1; i >= 0; i--)
        ASSERT_EQ(weft_sync(&t[i], NULL), 0);
    free(t);
    return 0;
}

/*
 * Fills the worker's deque to just below its 1024 slots with spawns (no
 * allocation), then submits to its own pool: a few future allocations and
 * the deque's growth, each of which may fail (submit: -ENOMEM).
 */
#define FILL    1020
#define SUBMITS 8
static int
fill_then_submit(void *arg, void **res)
{
    weft_task_t *t = malloc(FILL * sizeof(*t));
    weft_future_t *f[SUBMITS];

    (void)arg;
    (void)res;
    ASSERT_TRUE(t != NULL);
    for (int i = 0; i < FILL; i++)
        ASSERT_EQ(weft_spawn(&t[i], hit, NULL), 0);
    for (int i = 0; i < SUBMITS; i++)
        TRY(weft_pool_submit(weft_pool_current(), hit, NULL, &f[i]));
    for (int i = 0; i < SUBMITS; i++) {
        ASSERT_EQ(weft_future_result(f[i], WEFT_DEADLINE_NEVER, NULL), 0);
        weft_future_release(f[i]);
    }
    for (int i = FILL - 1; i >= 0; i--)
        ASSERT_EQ(weft_sync(&t[i], NULL), 0);
    free(t);
    return 0;
}

static int
range_sum(void *ctx, size_t begin, size_t end)
{
    (void)ctx;
    /* relaxed: read after the call returned. */
    atomic_fetch_add_explicit(&hits, (long)(end - begin), memory_order_relaxed);
    return 0;
}

static weft_pool_t *
pool_new(unsigned workers)
{
    struct weft_pool_opts o = WEFT_POOL_OPTS_INIT;
    weft_pool_t *p = NULL;

    o.workers = workers;
    o.name = "flt";
    TRY(weft_pool_create(&o, &p));
    return p;
}

static long
hits_take(void)
{
    /* relaxed: the threads that added joined (or completed a future). */
    return atomic_exchange_explicit(&hits, 0, memory_order_relaxed);
}

/* Typed spawns past WEFT_TYPED_DEPTH outstanding: two chunks of the
 * overflow stack (typed.c), on a worker and off the workers (whose stack
 * of slots is an mmap with a fault site of its own). */
#define TYPED_N (WEFT_TYPED_DEPTH + 1500)
WEFT_TASK_1(long, fsq, long, i)
{
    return i * i;
}

WEFT_TASK_1(long, fsq_many, long, n)
{
    long bad = 0;

    for (long i = 0; i < n; i++)
        EXPECT(fsq_spawn(i), 0);
    for (long i = n - 1; i >= 0; i--)
        bad += fsq_sync() != i * i;
    return bad;
}

static void
sc_typed(void)
{
    weft_pool_t *p = pool_new(1);
    long bad = -1;

    TRY(fsq_many_run(p, TYPED_N, &bad));
    ASSERT_EQ(bad, 0);
    ASSERT_EQ(weft_pool_destroy(p), 0);
    ASSERT_EQ(fsq_many(TYPED_N), 0);
}

/* The worker's deque grows under submissions from its own task. */
static void
sc_deque_grow(void)
{
    weft_pool_t *p = pool_new(1);

    hits_take();
    TRY(weft_pool_run(p, fill_then_submit, NULL, NULL));
    ASSERT_EQ(hits_take(), FILL + SUBMITS);
    ASSERT_EQ(weft_pool_destroy(p), 0);
}

static void
sc_pool(void)
{
    weft_pool_t *p = pool_new(2);
    weft_future_t *f;
    void *r;

    for (long i = 0; i < 3; i++) {
        TRY(weft_pool_submit(p, square, (void *)i, &f));
        r = NULL;
        ASSERT_EQ(weft_future_result(f, WEFT_DEADLINE_NEVER, &r), 0);
        ASSERT_EQ((long)r, i * i);
        weft_future_release(f);
    }
    r = NULL;
    TRY(weft_pool_run(p, weft_test_fib, (void *)15L, &r));
    ASSERT_EQ((long)r, 610);
    hits_take();
    TRY(weft_pool_run(p, wide_spawn, NULL, NULL));
    ASSERT_EQ(hits_take(), WIDE);
    TRY(weft_parallel_for(p, 0, 10000, 0, range_sum, NULL));
    ASSERT_EQ(hits_take(), 10000);
    ASSERT_EQ(weft_pool_shutdown(p, WEFT_SHUTDOWN_DRAIN, WEFT_DEADLINE_NEVER),
              0);
    ASSERT_EQ(weft_pool_destroy(p), 0);
}

static struct weft_event gate;

static int
gated(void *arg, void **res)
{
    *res = arg;
    return weft_event_wait(&gate, WEFT_DEADLINE_NEVER);
}

static void
count_cb(weft_future_t *f, void *ctx)
{
    (void)f;
    /* relaxed: read after the pool joined its workers. */
    atomic_fetch_add_explicit((_Atomic long *)ctx, 1, memory_order_relaxed);
}

static void
sc_future_cb(void)
{
    weft_pool_t *p = pool_new(1);
    weft_future_t *f;
    _Atomic long calls = 0;

    weft_event_init(&gate);
    TRY(weft_pool_submit(p, gated, NULL, &f));
    TRY(weft_future_on_done(f, count_cb, &calls));
    weft_event_set(&gate);
    ASSERT_EQ(weft_future_result(f, WEFT_DEADLINE_NEVER, NULL), 0);
    ASSERT_EQ(weft_pool_destroy(p), 0);
    /* relaxed: the workers joined. */
    ASSERT_EQ(atomic_load_explicit(&calls, memory_order_relaxed), 1);
    weft_future_release(f);
    weft_event_fini(&gate);
}

static void
sc_waitset(void)
{
    weft_pool_t *p = pool_new(2);
    weft_waitset_t *ws[2];
    weft_future_t *f;
    uintptr_t tag, tags;

    TRY(weft_waitset_create(p, &ws[0]));
    TRY(weft_waitset_create(NULL, &ws[1]));
    for (int w = 0; w < 2; w++) {
        for (long i = 0; i < 3; i++) {
            TRY(weft_pool_submit(p, square, (void *)i, &f));
            TRY(weft_waitset_add(ws[w], f, (uintptr_t)i + 1));
            weft_future_release(f);
        }
        tags = 0;
        for (int i = 0; i < 3; i++) {
            void *r = NULL;
            ASSERT_EQ(weft_waitset_next(ws[w], WEFT_DEADLINE_NEVER, &f, &tag),
                      0);
            ASSERT_EQ(weft_future_result(f, WEFT_DEADLINE_POLL, &r), 0);
            ASSERT_EQ((long)r, (long)(tag - 1) * (long)(tag - 1));
            tags += tag;
            weft_future_release(f);
        }
        ASSERT_EQ(tags, 6);
        ASSERT_EQ(weft_waitset_next(ws[w], WEFT_DEADLINE_POLL, &f, NULL),
                  -ENOENT);
        weft_waitset_destroy(ws[w]);
    }
    ASSERT_EQ(weft_pool_destroy(p), 0);
}

static void
sc_wait(void)
{
    weft_pool_t *p = pool_new(2);
    weft_future_t *fs[4];
    size_t ndone = 99;
    int rc;

    weft_event_init(&gate);
    for (long i = 0; i < 4; i++)
        TRY(weft_pool_submit(p, gated, (void *)i, &fs[i]));
    /* The gate is shut: nothing can complete, so only these two codes. */
    rc = weft_wait(fs, 4, WEFT_FIRST_COMPLETED, weft_deadline_in(100000),
                   &ndone);
    if (rc == -ENOMEM) {
        ASSERT_TRUE(weft__fault_fired());
        rc = weft_wait(fs, 4, WEFT_FIRST_COMPLETED, weft_deadline_in(100000),
                       &ndone);
    }
    ASSERT_EQ(rc, -ETIMEDOUT);
    ASSERT_EQ(ndone, 0);
    weft_event_set(&gate);
    TRY(weft_wait(fs, 4, WEFT_ALL_COMPLETED, WEFT_DEADLINE_NEVER, &ndone));
    ASSERT_EQ(ndone, 4);
    for (int i = 0; i < 4; i++)
        weft_future_release(fs[i]);
    ASSERT_EQ(weft_pool_destroy(p), 0);
    weft_event_fini(&gate);
}

#define MAP_N 24
static void
sc_pool_map(void)
{
    weft_pool_t *p = pool_new(2);
    void *args[MAP_N], *res[MAP_N];
    int err[MAP_N], rc;

    for (long i = 0; i < MAP_N; i++)
        args[i] = (void *)i;
    for (int i = 0; i < MAP_N; i++)
        err[i] = 12345;
    rc = weft_pool_map(p, square, args, MAP_N, res, err, WEFT_DEADLINE_NEVER);
    if (rc == -ENOMEM) {
        /* Every slot written; the failed one is -ENOMEM. */
        int seen = 0;
        ASSERT_TRUE(weft__fault_fired());
        for (int i = 0; i < MAP_N; i++) {
            ASSERT_TRUE(err[i] == 0 || err[i] == -ENOMEM ||
                        err[i] == -ECANCELED);
            seen += err[i] == -ENOMEM;
        }
        ASSERT_EQ(seen, 1);
        rc = weft_pool_map(p, square, args, MAP_N, res, err,
                           WEFT_DEADLINE_NEVER);
    }
    ASSERT_EQ(rc, 0);
    for (long i = 0; i < MAP_N; i++) {
        ASSERT_EQ(err[i], 0);
        ASSERT_EQ((long)res[i], i * i);
    }
    ASSERT_EQ(weft_pool_destroy(p), 0);
}

static void
sc_queue(void)
{
    for (int kind = WEFT_QUEUE_FIFO; kind <= WEFT_QUEUE_PRIORITY; kind++) {
        weft_queue_t *q;
        void *item;

        TRY(weft_queue_create((enum weft_queue_kind)kind, 8, &q));
        for (long i = 0; i < 5; i++)
            ASSERT_EQ(weft_queue_try_put(q, (void *)i), 0);
        for (long i = 0; i < 5; i++) {
            ASSERT_EQ(weft_queue_try_get(q, &item), 0);
            ASSERT_EQ((long)item, kind == WEFT_QUEUE_LIFO ? 4 - i : i);
        }
        ASSERT_EQ(weft_queue_destroy(q), 0);
    }
}

/* A map put that fails must leave the map unchanged. */
static void
map_put(weft_map_t *m, const char *k, long v)
{
    int rc = weft_map_put(m, k, strlen(k), &v, sizeof(v), NULL);

    if (rc == -ENOMEM) {
        long old;
        ASSERT_TRUE(weft__fault_fired());
        rc = weft_map_get(m, k, strlen(k), &old, sizeof(old), NULL);
        ASSERT_TRUE(rc == -ENOENT || (rc == 0 && old != v));
        rc = weft_map_put(m, k, strlen(k), &v, sizeof(v), NULL);
    }
    ASSERT_EQ(rc, 0);
}

static int
incr(void *ctx, const void *old, size_t old_len, bool present,
     const void **new_value, size_t *new_len)
{
    long *v = ctx;

    ASSERT_TRUE(present && old_len == sizeof(long));
    memcpy(v, old, sizeof(*v));
    (*v)++;
    *new_value = v;
    *new_len = sizeof(*v);
    return WEFT_MAP_SET;
}

struct obj {
    struct weft_map_node node; /* first: the cast below */
    long key;
};

static bool
obj_eq(const struct weft_map_node *n, const void *key, size_t klen, void *ctx)
{
    (void)ctx;
    return klen == sizeof(long) &&
           ((const struct obj *)n)->key == *(const long *)key;
}

static void
obj_free(struct weft_map_node *n, void *ctx)
{
    (void)n;
    /* relaxed: read after weft_map_destroy() (rcu_barrier) returned. */
    atomic_fetch_add_explicit((_Atomic long *)ctx, 1, memory_order_relaxed);
}

#define KEYS 6
static void
sc_map(void)
{
    struct weft_map_opts o = WEFT_MAP_OPTS_INIT;
    struct obj objs[KEYS];
    _Atomic long freed = 0;
    weft_map_t *m;
    char k[16];
    long v, scratch;
    size_t len;

    TRY(weft_map_create(NULL, &m));
    for (long i = 0; i < KEYS; i++) {
        snprintf(k, sizeof(k), "k%ld", i);
        map_put(m, k, i);
    }
    map_put(m, "k0", 100); /* a replace */
    v = 7;
    TRY(weft_map_replace(m, "k1", 2, &v, sizeof(v)));
    TRY(weft_map_put_if_absent(m, "new", 3, &v, sizeof(v)));
    EXPECT(weft_map_put_if_absent(m, "new", 3, &v, sizeof(v)), -EEXIST);
    TRY(weft_map_compute(m, "k2", 2, incr, &scratch));
    ASSERT_EQ(weft_map_remove(m, "k3", 2), 0);
    ASSERT_EQ(weft_map_len(m, &len), 0);
    ASSERT_EQ(len, KEYS);
    for (long i = 4; i < KEYS; i++) {
        snprintf(k, sizeof(k), "k%ld", i);
        ASSERT_EQ(weft_map_get(m, k, strlen(k), &v, sizeof(v), NULL), 0);
        ASSERT_EQ(v, i);
    }
    ASSERT_EQ(weft_map_get(m, "k0", 2, &v, sizeof(v), NULL), 0);
    ASSERT_EQ(v, 100);
    ASSERT_EQ(weft_map_get(m, "k1", 2, &v, sizeof(v), NULL), 0);
    ASSERT_EQ(v, 7);
    ASSERT_EQ(weft_map_get(m, "k2", 2, &v, sizeof(v), NULL), 0);
    ASSERT_EQ(v, 3);
    ASSERT_EQ(weft_map_destroy(m), 0);

    o.node_eq = obj_eq;
    o.node_free = obj_free;
    o.ctx = (void *)&freed;
    TRY(weft_map_create(&o, &m));
    for (long i = 0; i < KEYS; i++) {
        objs[i].key = i;
        ASSERT_EQ(
            weft_map_node_put(m, &objs[i].node, &objs[i].key, sizeof(long)), 0);
    }
    ASSERT_EQ(weft_map_node_remove(m, &objs[0].key, sizeof(long)), 0);
    ASSERT_EQ(weft_map_destroy(m), 0);
    /* relaxed: destroy waited for every node_free. */
    ASSERT_EQ(atomic_load_explicit(&freed, memory_order_relaxed), KEYS);
}

static weft_counter_t *shared_counter;

static void *
adder(void *arg)
{
    (void)arg;
    for (int i = 0; i < 1000; i++)
        ASSERT_EQ(weft_counter_add(shared_counter, 1), 0);
    return NULL;
}

static void
sc_counter(void)
{
    pthread_t th;
    int64_t v;

    TRY(weft_counter_create(&shared_counter));
    for (int i = 0; i < 1000; i++)
        ASSERT_EQ(weft_counter_inc(shared_counter), 0);
    ASSERT_EQ(pthread_create(&th, NULL, adder, NULL), 0);
    ASSERT_EQ(pthread_join(th, NULL), 0);
    /* A chunk that could not be allocated sent its adds to overflow. */
    ASSERT_EQ(weft_counter_read(shared_counter, &v), 0);
    ASSERT_EQ(v, 2000);
    weft_counter_destroy(shared_counter);
}

static int
thread_body(void *arg)
{
    *(int *)arg = 42; /* the join orders it for the reader */
    return 0;
}

static void
sc_thread(void)
{
    struct weft_thread_opts o = WEFT_THREAD_OPTS_INIT;
    weft_thread_t *t;
    int rc = -1, out = 0;

    o.name = "flt-thread";
    TRY(weft_thread_start(&o, thread_body, &out, &t));
    ASSERT_EQ(weft_thread_join(t, WEFT_DEADLINE_NEVER, &rc), 0);
    ASSERT_EQ(rc, 0);
    ASSERT_EQ(out, 42);
    ASSERT_EQ(strcmp(weft_thread_name(t), "flt-thread"), 0);
    ASSERT_EQ(weft_thread_destroy(t), 0);
}

static _Atomic int ticks;

static int
tick3(void *arg, void **res)
{
    (void)arg;
    (void)res;
    /* relaxed: the future's completion orders it for the reader. */
    return atomic_fetch_add_explicit(&ticks, 1, memory_order_relaxed) == 2
               ? -EOVERFLOW
               : 0;
}

static void
sc_timer(void)
{
    weft_pool_t *p = pool_new(1);
    weft_future_t *f;
    void *r = NULL;

    TRY(weft_pool_submit_after(p, 100000, square, (void *)5L, &f));
    ASSERT_EQ(weft_future_result(f, WEFT_DEADLINE_NEVER, &r), 0);
    ASSERT_EQ((long)r, 25);
    weft_future_release(f);
    /* relaxed: no run is in flight. */
    atomic_store_explicit(&ticks, 0, memory_order_relaxed);
    TRY(weft_pool_submit_every(p, 100000, tick3, NULL, &f));
    ASSERT_EQ(weft_future_result(f, WEFT_DEADLINE_NEVER, NULL), -EOVERFLOW);
    /* relaxed: ordered by the result. */
    ASSERT_EQ(atomic_load_explicit(&ticks, memory_order_relaxed), 3);
    weft_future_release(f);
    ASSERT_EQ(weft_pool_destroy(p), 0);
}

static void
sc_ratelimit(void)
{
    weft_ratelimit_t *rl;

    TRY(weft_ratelimit_create(1000.0, 4, NULL, &rl));
    for (int i = 0; i < 4; i++)
        ASSERT_EQ(weft_ratelimit_try_acquire(rl, 1, NULL), 0);
    ASSERT_EQ(weft_ratelimit_destroy(rl), 0);
}

static const char key_a, key_b;

static int
ctx_probe(void *arg, void **res)
{
    (void)arg;
    *res = weft_context_get(&key_b);
    return 0;
}

/* A context change that fails must change nothing. */
static void
ctx_set(const void *key, void *value, void *before)
{
    int rc = weft_context_set(key, value);

    if (rc == -ENOMEM) {
        ASSERT_TRUE(weft__fault_fired());
        ASSERT_TRUE(weft_context_get(key) == before);
        rc = weft_context_set(key, value);
    }
    ASSERT_EQ(rc, 0);
    ASSERT_TRUE(weft_context_get(key) == value);
}

static void
sc_context(void)
{
    weft_pool_t *p = pool_new(1);
    weft_future_t *f;
    void *r = NULL, *v;

    ctx_set(&key_a, (void *)1, NULL);
    ctx_set(&key_b, (void *)2, NULL);
    ctx_set(&key_a, (void *)3, (void *)1);
    TRY(weft_pool_submit(p, ctx_probe, NULL, &f));
    ASSERT_EQ(weft_future_result(f, WEFT_DEADLINE_NEVER, &r), 0);
    ASSERT_TRUE(r == (void *)2);
    weft_future_release(f);
    TRY(weft_context_unset(&key_a));
    ASSERT_EQ(weft_context_lookup(&key_a, &v), -ENOENT);
    ASSERT_EQ(weft_context_lookup(&key_b, &v), 0);
    ASSERT_TRUE(v == (void *)2);
    weft_context_clear();
    ASSERT_EQ(weft_pool_destroy(p), 0);
}

static int
bg_fn(void *ctx, void *item)
{
    /* relaxed: read after the worker thread was joined. */
    atomic_fetch_add_explicit((_Atomic long *)ctx, (long)item,
                              memory_order_relaxed);
    return 0;
}

static void
sc_bgworker(void)
{
    struct weft_bgworker_stats st;
    _Atomic long sum = 0;
    weft_bgworker_t *w;

    TRY(weft_bgworker_start(bg_fn, (void *)&sum, 16, "flt-bg", &w));
    for (long i = 1; i <= 10; i++)
        ASSERT_EQ(weft_bgworker_submit(w, (void *)i, WEFT_DEADLINE_NEVER), 0);
    ASSERT_EQ(weft_bgworker_stop(w, WEFT_BGWORKER_DRAIN, WEFT_DEADLINE_NEVER),
              0);
    ASSERT_EQ(weft_bgworker_stats(w, &st), 0);
    ASSERT_EQ(st.processed, 10);
    /* relaxed: stop joined the worker. */
    ASSERT_EQ(atomic_load_explicit(&sum, memory_order_relaxed), 55);
    ASSERT_EQ(weft_bgworker_destroy(w), 0);
}

static void
sc_trace_stats(void)
{
    weft_pool_t *p = pool_new(2);
    char path[64], buf[8192];
    uint64_t dropped = 1;
    size_t len;
    FILE *null;

    snprintf(path, sizeof(path), "/tmp/weft-faults-%d.json", (int)getpid());
    TRY(weft_pool_trace_start(p, path));
    hits_take();
    TRY(weft_parallel_for(p, 0, 1000, 10, range_sum, NULL));
    ASSERT_EQ(hits_take(), 1000);
    ASSERT_EQ(weft_pool_trace_stop(p, &dropped), 0);
    null = fopen("/dev/null", "w");
    ASSERT_TRUE(null != NULL);
    TRY(weft_pool_stats_print(p, null));
    fclose(null);
    ASSERT_EQ(weft_pool_stats_openmetrics(p, buf, sizeof(buf), &len), 0);
    ASSERT_TRUE(len > 0 && strstr(buf, "# EOF\n") != NULL);
    ASSERT_EQ(weft_pool_destroy(p), 0);
    unlink(path);
}

/* What a child reports to run(): shared memory survives its exit. */
struct report {
    int fired;
    unsigned long count;
    size_t nsites;
    struct weft__fault_site sites[MAX_SITES];
};
static struct report *rep;

static void
report_sites(void)
{
    struct weft__fault_site s[MAX_SITES];
    size_t n = weft__fault_sites(s, MAX_SITES);

    for (size_t i = 0; i < n && i < MAX_SITES; i++) {
        size_t j;
        for (j = 0; j < rep->nsites; j++)
            if (rep->sites[j].line == s[i].line &&
                strcmp(rep->sites[j].file, s[i].file) == 0)
                break;
        if (j == rep->nsites && j < MAX_SITES)
            rep->sites[rep->nsites++] = s[i];
    }
}

/* One run of fn, in a child process, with allocation k of scope failing.
 * Returns whether the failure fired. */
static int
run_once(void (*fn)(void), unsigned long k, enum weft__fault_scope scope)
{
    int status;
    pid_t pid;

    cur_k = k;
    fflush(NULL);
    pid = fork();
    ASSERT_TRUE(pid >= 0);
    if (pid == 0) {
        weft__fault_fail_at(k, scope);
        fn();
        rep->fired = weft__fault_fired();
        rep->count = weft__fault_count();
        report_sites();
        exit(0); /* LeakSanitizer checks the child here (asan preset) */
    }
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "scenario %s, k=%lu: child died (status %#x)\n",
                cur_name, k, status);
        abort();
    }
    return rep->fired;
}

/*
 * Repeat fn failing allocation k = 1, 2, ... until no allocation fails:
 * first the allocations of the thread running fn (their order is
 * deterministic, so no site is skipped), then those of every other thread
 * (workers, the timer thread: the asynchronous sites). Each run is a fresh
 * child process, so allocations made once per process (the timer heap, a
 * timer gate, per-thread caches) fail in turn too, a crash names its
 * scenario and k, and each run is leak-checked on its own.
 */
static void
run(const char *name, void (*fn)(void))
{
    const char *only = getenv("WEFT_FAULT_SCENARIO");
    unsigned long k, runs[2], count[2];

    if (only != NULL && *only != '\0' && strcmp(only, name) != 0)
        return;
    cur_name = name;
    for (int scope = WEFT__FAULT_CALLER; scope <= WEFT__FAULT_OTHERS; scope++) {
        for (k = 1; run_once(fn, k, (enum weft__fault_scope)scope); k++)
            ;
        runs[scope] = k;
        count[scope] = rep->count;
    }
    printf("%-12s %4lu + %4lu runs (allocations: %lu by the caller, %lu by "
           "other threads)\n",
           name, runs[0], runs[1], count[0], count[1]);
}

int
main(void)
{
    rep = mmap(NULL, sizeof(*rep), PROT_READ | PROT_WRITE,
               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    ASSERT_TRUE(rep != MAP_FAILED);
    run("pool", sc_pool);
    run("future_cb", sc_future_cb);
    run("waitset", sc_waitset);
    run("wait", sc_wait);
    run("pool_map", sc_pool_map);
    run("queue", sc_queue);
    run("map", sc_map);
    run("counter", sc_counter);
    run("thread", sc_thread);
    run("timer", sc_timer);
    run("ratelimit", sc_ratelimit);
    run("context", sc_context);
    run("bgworker", sc_bgworker);
    run("trace_stats", sc_trace_stats);
    run("deque_grow", sc_deque_grow);
    run("typed", sc_typed);
    printf("distinct allocation sites failed: %zu\n", rep->nsites);
    for (size_t i = 0; i < rep->nsites; i++)
        printf("  %s:%d\n", rep->sites[i].file, rep->sites[i].line);
    fflush(stdout);
    if (getenv("WEFT_FAULT_SCENARIO") == NULL) /* all scenarios ran */
        ASSERT_TRUE(rep->nsites >= MIN_SITES);
    return 0;
}
