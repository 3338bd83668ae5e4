/* SPDX-License-Identifier: MIT */
/*
 * soak_data.c - the data-structure workloads of the soak runner: a FIFO
 * queue between producers and consumers, a background worker, map churn
 * against a per-thread model, a sharded counter (from long-lived and
 * short-lived threads), and the sync primitives. Each check is exact:
 * items in == items out with the same checksum, the map equals its model,
 * the counter equals the sum of what was added.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "soak.h"
#include "weft_test.h"

#define PRODUCERS   2
#define CONSUMERS   2
#define MAP_THREADS 3
#define MAP_KEYS    512 /* per thread, disjoint: each thread's model is exact */

static weft_queue_t *queue;
static _Atomic int producers_left = PRODUCERS;
static _Atomic uint64_t q_in, q_out, q_sum_in, q_sum_out;

static weft_bgworker_t *bg;
static _Atomic uint64_t bg_in, bg_sum_in, bg_sum_out;

static weft_map_t *map;
static uint64_t model[MAP_THREADS][MAP_KEYS]; /* 0: absent */
static _Atomic uint64_t map_computes;

static weft_counter_t *counter;
static _Atomic int64_t counter_added;

static struct weft_lock lock;
static uint64_t locked_count; /* guarded by lock */
static _Atomic uint64_t lock_ops;
static struct weft_sem sem;
static _Atomic int sem_inside;

/* ---- queue: per producer, each consumer sees sequence numbers rise ---- */

static int
queue_init(void)
{
    return weft_queue_create(WEFT_QUEUE_FIFO, 128, &queue);
}

static void *
queue_thread(void *index)
{
    uintptr_t id = (uintptr_t)index;
    uint64_t n = 0, sum = 0, last[PRODUCERS] = {0};

    if (id < PRODUCERS) { /* items are (producer << 48 | seq), seq from 1 */
        for (uint64_t seq = 1; SOAK_RUNNING(); seq++) {
            uintptr_t item = (id << 48) | seq;
            int rc;
            while ((rc = weft_queue_put(
                        queue, (void *)item,
                        weft_deadline_in(WEFT_NS_PER_MS * 50))) == -ETIMEDOUT &&
                   SOAK_RUNNING())
                ;
            if (rc != 0)
                break; /* stopped while full: not counted */
            n++;
            sum += item;
        }
        atomic_fetch_add_explicit(&q_in, n, memory_order_relaxed);
        atomic_fetch_add_explicit(&q_sum_in, sum, memory_order_relaxed);
        /* release: our puts before a consumer's final drain. */
        atomic_fetch_sub_explicit(&producers_left, 1, memory_order_release);
        return NULL;
    }
    for (;;) {
        void *item;
        /* acquire: pairs with the producers' release decrement. */
        bool last_drain =
            atomic_load_explicit(&producers_left, memory_order_acquire) == 0;
        int rc = last_drain ? weft_queue_try_get(queue, &item)
                            : weft_queue_get(queue, &item,
                                             weft_deadline_in(WEFT_NS_PER_MS));
        if (rc != 0) {
            if (last_drain)
                break;
            continue;
        }
        uintptr_t v = (uintptr_t)item, p = v >> 48, seq = v & 0xffffffffffff;
        if (p >= PRODUCERS || seq <= last[p])
            SOAK_FAIL("queue: item %#lx out of order\n", (unsigned long)v);
        else
            last[p] = seq;
        SOAK_ADD(items, 1);
        n++;
        sum += v;
    }
    atomic_fetch_add_explicit(&q_out, n, memory_order_relaxed);
    atomic_fetch_add_explicit(&q_sum_out, sum, memory_order_relaxed);
    return NULL;
}

static void
queue_check(void)
{
    if (SOAK_GET(q_in) != SOAK_GET(q_out) ||
        SOAK_GET(q_sum_in) != SOAK_GET(q_sum_out))
        SOAK_FAIL("queue: %lu in, %lu out (checksums %#lx, %#lx)\n",
                  (unsigned long)SOAK_GET(q_in), (unsigned long)SOAK_GET(q_out),
                  (unsigned long)SOAK_GET(q_sum_in),
                  (unsigned long)SOAK_GET(q_sum_out));
    if (weft_queue_shutdown(queue, 0) != 0 || weft_queue_destroy(queue) != 0)
        SOAK_FAIL("queue: shutdown/destroy\n");
}

/* ---- background worker ------------------------------------------------ */

static int
bg_fn(void *ctx, void *item)
{
    (void)ctx;
    SOAK_ADD(items, 1);
    /* relaxed: read after weft_bgworker_stop() joined the worker. */
    atomic_fetch_add_explicit(&bg_sum_out, (uintptr_t)item,
                              memory_order_relaxed);
    return 0;
}

static int
bg_init(void)
{
    return weft_bgworker_start(bg_fn, NULL, 256, "soak-bg", &bg);
}

static void *
bg_thread(void *index)
{
    uint64_t n = 0, sum = 0;

    (void)index;
    for (uintptr_t item = 1; SOAK_RUNNING(); item++) {
        int rc = weft_bgworker_submit(bg, (void *)item,
                                      weft_deadline_in(WEFT_NS_PER_MS * 50));
        if (rc == -ETIMEDOUT)
            continue;
        if (rc != 0) {
            SOAK_FAIL("bgworker submit: %d\n", rc);
            break;
        }
        n++;
        sum += item;
    }
    atomic_fetch_add_explicit(&bg_in, n, memory_order_relaxed);
    atomic_fetch_add_explicit(&bg_sum_in, sum, memory_order_relaxed);
    return NULL;
}

static void
bg_check(void)
{
    struct weft_bgworker_stats st;

    if (weft_bgworker_stop(bg, WEFT_BGWORKER_DRAIN, soak_patience()) != 0 ||
        weft_bgworker_stats(bg, &st) != 0)
        SOAK_FAIL("bgworker: stop\n");
    else if (st.processed != SOAK_GET(bg_in) || st.errors != 0 ||
             SOAK_GET(bg_sum_in) != SOAK_GET(bg_sum_out))
        SOAK_FAIL("bgworker: %lu submitted, %lu processed\n",
                  (unsigned long)SOAK_GET(bg_in), (unsigned long)st.processed);
    weft_bgworker_destroy(bg);
}

/* ---- map: disjoint keys per thread, plus one key every thread bumps ---- */

static const char hits_key[] = "hits";

static int
map_init(void)
{
    return weft_map_create(NULL, &map);
}

static int
bump(void *ctx, const void *old, size_t old_len, bool present,
     const void **new_value, size_t *new_len)
{
    uint64_t *v = ctx;

    *v = 1;
    if (present && old_len == sizeof(*v))
        memcpy(v, old, sizeof(*v)), *v += 1;
    *new_value = v;
    *new_len = sizeof(*v);
    return WEFT_MAP_SET;
}

static void *
map_thread(void *index)
{
    uintptr_t t = (uintptr_t)index;
    uint64_t rng = soak.seed ^ (t + 1) * 0x3c6e, computes = 0;

    while (SOAK_RUNNING()) {
        uint64_t r = weft_test_rand(&rng), k = r % MAP_KEYS, v = 0, want;
        uint64_t key = (t << 32) | k;
        size_t vlen = 0;
        bool replaced = false;
        int rc;

        switch ((r >> 32) % 8) {
        case 0:
        case 1:
        case 2:
            want = weft_test_rand(&rng) | 1;
            rc = weft_map_put(map, &key, sizeof(key), &want, sizeof(want),
                              &replaced);
            if (rc != 0 || replaced != (model[t][k] != 0))
                SOAK_FAIL("map put: rc %d, replaced %d\n", rc, replaced);
            model[t][k] = want;
            break;
        case 3:
        case 4:
            rc = weft_map_remove(map, &key, sizeof(key));
            if (rc != (model[t][k] != 0 ? 0 : -ENOENT))
                SOAK_FAIL("map remove: rc %d\n", rc);
            model[t][k] = 0;
            break;
        case 5:
        case 6:
            rc = weft_map_get(map, &key, sizeof(key), &v, sizeof(v), &vlen);
            if (model[t][k] == 0 ? rc != -ENOENT
                                 : (rc != 0 || v != model[t][k]))
                SOAK_FAIL("map get: rc %d, %#lx != %#lx\n", rc,
                          (unsigned long)v, (unsigned long)model[t][k]);
            break;
        default:
            if (weft_map_compute(map, hits_key, sizeof(hits_key), bump, &v) !=
                0)
                SOAK_FAIL("map compute\n");
            computes++;
        }
        SOAK_ADD(ops, 1);
    }
    atomic_fetch_add_explicit(&map_computes, computes, memory_order_relaxed);
    return NULL;
}

struct map_walk {
    size_t entries;
    size_t wrong;
};

static int
map_visit(void *ctx, const void *key, size_t klen, const void *value,
          size_t vlen)
{
    struct map_walk *w = ctx;
    uint64_t k, v;

    w->entries++;
    if (vlen != sizeof(v)) {
        w->wrong++;
        return 0;
    }
    memcpy(&v, value, sizeof(v));
    if (klen == sizeof(hits_key) && memcmp(key, hits_key, klen) == 0) {
        w->wrong += v != SOAK_GET(map_computes);
        return 0;
    }
    memcpy(&k, key, sizeof(k));
    if (klen != sizeof(k) || (k >> 32) >= MAP_THREADS ||
        (k & 0xffffffff) >= MAP_KEYS || model[k >> 32][k & 0xffffffff] != v)
        w->wrong++;
    return 0;
}

static void
map_check(void)
{
    struct map_walk w = {0, 0};
    size_t len = 0, want = SOAK_GET(map_computes) != 0;

    for (int t = 0; t < MAP_THREADS; t++)
        for (int k = 0; k < MAP_KEYS; k++)
            want += model[t][k] != 0;
    if (weft_map_foreach(map, map_visit, &w) != 0 ||
        weft_map_len(map, &len) != 0 || w.wrong != 0 || w.entries != want ||
        len != want)
        SOAK_FAIL("map: %zu entries (%zu wrong), len %zu, model %zu\n",
                  w.entries, w.wrong, len, want);
    if (weft_map_destroy(map) != 0)
        SOAK_FAIL("map destroy\n");
}

/* ---- counter: long-lived adders and short-lived threads ---------------- */

static int
counter_init(void)
{
    return weft_counter_create(&counter);
}

static int
short_lived(void *arg)
{
    int64_t d = (int64_t)(intptr_t)arg;

    /* a fresh thread: claims a slot, adds, releases it at exit. */
    return weft_counter_add(counter, d);
}

static void *
counter_thread(void *index)
{
    uint64_t rng = soak.seed ^ ((uintptr_t)index + 1) * 0x1f3d;
    int64_t added = 0;

    while (SOAK_RUNNING()) {
        int64_t d = (int64_t)(weft_test_rand(&rng) % 2001) - 1000;
        if ((uintptr_t)index == 0) { /* thread create/join churn */
            weft_thread_t *th;
            int rc = -1;
            if (weft_thread_start(NULL, short_lived, (void *)(intptr_t)d,
                                  &th) != 0) {
                SOAK_FAIL("thread start\n");
                continue;
            }
            if (weft_thread_join(th, soak_patience(), &rc) != 0 || rc != 0 ||
                weft_thread_destroy(th) != 0)
                SOAK_FAIL("thread join: rc %d\n", rc);
        } else if (weft_counter_add(counter, d) != 0) {
            SOAK_FAIL("counter add\n");
            continue;
        }
        added += d;
        SOAK_ADD(ops, 1);
    }
    atomic_fetch_add_explicit(&counter_added, added, memory_order_relaxed);
    return NULL;
}

static void
counter_check(void)
{
    int64_t v = 0;

    if (weft_counter_read(counter, &v) != 0 || v != SOAK_GET(counter_added))
        SOAK_FAIL("counter: %ld, added %ld\n", (long)v,
                  (long)SOAK_GET(counter_added));
    weft_counter_destroy(counter);
}

/* ---- sync primitives --------------------------------------------------- */

static int
sync_init(void)
{
    int rc = weft_lock_init(&lock);
    return rc != 0 ? rc : weft_sem_init(&sem, 2, 2);
}

/* A pool task of a latch/event round: count down, the last one sets. */
struct round {
    struct weft_latch latch;
    struct weft_event event;
};

static int
round_task(void *arg, void **res)
{
    struct round *r = arg;

    (void)res;
    SOAK_ADD(tasks, 1);
    if (weft_latch_count_down(&r->latch, 1) != 0)
        return -EIO;
    return weft_latch_count(&r->latch) == 0 ? weft_event_set(&r->event) : 0;
}

static void
sync_round(void)
{
    struct round r;
    weft_future_t *fs[8];
    int n = 0;

    if (weft_latch_init(&r.latch, 8) != 0 || weft_event_init(&r.event) != 0) {
        SOAK_FAIL("latch/event init\n");
        return;
    }
    for (; n < 8; n++)
        if (weft_pool_submit(soak.pool, round_task, &r, &fs[n]) != 0)
            break;
    if (n != 8)
        SOAK_FAIL("round submit\n");
    else if (weft_latch_wait(&r.latch, soak_patience()) != 0 ||
             weft_event_wait(&r.event, soak_patience()) != 0)
        SOAK_FAIL("latch/event wait: a lost wake-up\n");
    for (int i = 0; i < n; i++) { /* r is ours again once all are done */
        if (weft_future_result(fs[i], soak_patience(), NULL) != 0)
            SOAK_FAIL("round task\n");
        weft_future_release(fs[i]);
    }
    if (n == 8 && weft_latch_fini(&r.latch) != 0)
        SOAK_FAIL("latch fini\n");
    weft_event_fini(&r.event);
}

static void *
sync_thread(void *index)
{
    uintptr_t id = (uintptr_t)index;

    while (SOAK_RUNNING()) {
        if (id < 2) {
            if (weft_lock_acquire(&lock, soak_patience()) != 0) {
                SOAK_FAIL("lock: a lost wake-up\n");
                continue;
            }
            locked_count++;
            weft_lock_release(&lock);
            /* relaxed: a tally, read after the joins. */
            atomic_fetch_add_explicit(&lock_ops, 1, memory_order_relaxed);
        } else if (id < 4) {
            if (weft_sem_acquire(&sem, soak_patience()) != 0) {
                SOAK_FAIL("sem: a lost wake-up\n");
                continue;
            }
            /* relaxed: the semaphore orders; this counts holders. */
            if (atomic_fetch_add_explicit(&sem_inside, 1,
                                          memory_order_relaxed) >= 2)
                SOAK_FAIL("sem: three holders\n");
            atomic_fetch_sub_explicit(&sem_inside, 1, memory_order_relaxed);
            weft_sem_release(&sem, 1);
        } else {
            sync_round();
        }
        SOAK_ADD(ops, 1);
    }
    return NULL;
}

static void
sync_check(void)
{
    if (locked_count != SOAK_GET(lock_ops) || weft_sem_value(&sem) != 2)
        SOAK_FAIL("sync: %lu locked increments of %lu, sem %u\n",
                  (unsigned long)locked_count,
                  (unsigned long)SOAK_GET(lock_ops), weft_sem_value(&sem));
    weft_lock_fini(&lock);
    weft_sem_fini(&sem);
}

const struct soak_workload soak_data_workloads[] = {
    {"queue", PRODUCERS + CONSUMERS, queue_init, queue_thread, queue_check},
    {"bgworker", 1, bg_init, bg_thread, bg_check},
    {"map", MAP_THREADS, map_init, map_thread, map_check},
    {"counter+threads", 3, counter_init, counter_thread, counter_check},
    {"sync", 5, sync_init, sync_thread, sync_check},
    {NULL, 0, NULL, NULL, NULL},
};
