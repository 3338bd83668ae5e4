/* SPDX-License-Identifier: MIT */
/*
 * trace.c - per-worker event rings and the drainer that writes Chrome Trace
 * Event JSON (<weft/trace.h>).
 *
 * Concurrency protocol:
 * [X1] start: rings are built (or emptied), then each worker's trace
 *      pointer is release-stored; workers acquire-load it in every hook.
 * [X2] each ring is SPSC: the worker puts (weft__trace_record), the
 *      drainer thread gets; ring.h carries ck_ring's order ([R1]).
 * [X3] stop: pointers are stored NULL, the drainer is joined and the rings
 *      drained once more. A worker that loaded the pointer just before may
 *      still put one event afterwards; it stays in the ring and is thrown
 *      away at the next start. So rings live until the pool is freed.
 * dropped: written by the owning worker only (relaxed load + store).
 */
#define _GNU_SOURCE
#include "trace.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <weft/trace.h>

#include "ring.h"
#include "worker.h"

struct weft__trace_buf {
    struct weft__trace_ring ring;
    _Atomic uint64_t dropped;
    /* Drainer-only: open task and park spans, so that an end whose begin
     * came before the trace started is left out. */
    uint64_t open_tasks;
    bool open_park;
};

struct weft__tracer {
    struct weft__trace_buf *bufs; /* one per worker; kept until pool free */
    FILE *file;                   /* NULL when not tracing */
    uint64_t t0;
    pthread_t drainer;
    _Atomic uint32_t stop;
    int write_error;
};

static _Atomic unsigned env_pools; /* pools traced through WEFT_TRACE */

void
weft__trace_record(struct weft__trace_buf *t, enum weft__ev kind, uint32_t arg,
                   uint64_t id)
{
    struct weft__trace_ev ev;

    ev.ts = weft_now_ns();
    ev.id = id;
    ev.kind = (uint32_t)kind;
    ev.arg = arg;
    if (!weft__trace_ring_put(&t->ring, &ev)) {
        /* relaxed: one writer, the owning worker. */
        uint64_t d = atomic_load_explicit(&t->dropped, memory_order_relaxed);
        atomic_store_explicit(&t->dropped, d + 1, memory_order_relaxed);
    }
}

static void
write_event(struct weft__tracer *tr, uint64_t pid, unsigned tid,
            const struct weft__trace_ev *ev)
{
    double ts = ev->ts > tr->t0 ? (double)(ev->ts - tr->t0) / 1000.0 : 0.0;
    unsigned long long p = (unsigned long long)pid;
    unsigned long long id = (unsigned long long)ev->id;
    struct weft__trace_buf *b = &tr->bufs[tid];
    int n;

    switch ((enum weft__ev)ev->kind) {
    case WEFT_EV_TASK_START:
        b->open_tasks++;
        break;
    case WEFT_EV_TASK_END:
        if (b->open_tasks == 0)
            return;
        b->open_tasks--;
        break;
    case WEFT_EV_PARK:
        if (b->open_park)
            return; /* the span opened at trace start goes on */
        b->open_park = true;
        break;
    case WEFT_EV_UNPARK:
        if (!b->open_park)
            return;
        b->open_park = false;
        break;
    default:
        break;
    }
#define HEAD \
    ",\n{\"name\":\"%s\",\"ph\":\"%s\",\"ts\":%.3f,\"pid\":%llu,\"tid\":%u"
    switch ((enum weft__ev)ev->kind) {
    case WEFT_EV_TASK_START:
    case WEFT_EV_TASK_END:
        n = fprintf(tr->file, HEAD ",\"args\":{\"id\":\"%llx\"}}", "task",
                    ev->kind == WEFT_EV_TASK_START ? "B" : "E", ts, p, tid, id);
        break;
    case WEFT_EV_STEAL:
        n = fprintf(tr->file,
                    HEAD ",\"s\":\"t\",\"args\":{\"victim\":%u,\"jobs\":%llu}}",
                    "steal", "i", ts, p, tid, ev->arg, id);
        break;
    case WEFT_EV_PARK:
    case WEFT_EV_UNPARK:
        n = fprintf(tr->file, HEAD "}", "parked",
                    ev->kind == WEFT_EV_PARK ? "B" : "E", ts, p, tid);
        break;
    case WEFT_EV_LANE:
        n = fprintf(tr->file, HEAD ",\"s\":\"t\",\"args\":{\"jobs\":%u}}",
                    "lane", "i", ts, p, tid, ev->arg);
        break;
    case WEFT_EV_SPAWN:
    case WEFT_EV_SUBMIT:
    default:
        n = fprintf(tr->file, HEAD ",\"s\":\"t\",\"args\":{\"id\":\"%llx\"}}",
                    ev->kind == WEFT_EV_SPAWN ? "spawn" : "submit", "i", ts, p,
                    tid, id);
        break;
    }
#undef HEAD
    if (n < 0)
        tr->write_error = 1;
}

static void
drain(struct weft_pool *pool, struct weft__tracer *tr, bool keep)
{
    struct weft__trace_ev ev;

    for (unsigned w = 0; w < pool->nworkers; w++)
        while (weft__trace_ring_get(&tr->bufs[w].ring, &ev))
            if (keep)
                write_event(tr, pool->id, w, &ev);
}

static void *
drainer_main(void *arg)
{
    struct weft_pool *pool = (struct weft_pool *)arg;
    struct weft__tracer *tr = pool->tracer;
    struct timespec nap = {0, 2 * 1000 * 1000};

    pthread_setname_np(pthread_self(), "weft-trace");
    /* acquire: pairs with the release store in weft_pool_trace_stop. */
    while (!atomic_load_explicit(&tr->stop, memory_order_acquire)) {
        drain(pool, tr, true);
        nanosleep(&nap, NULL);
    }
    return NULL;
}

static int
tracer_alloc(struct weft_pool *pool)
{
    struct weft__tracer *tr;
    unsigned slots = 65536;
    unsigned i;

    while (slots > 4096 && (uint64_t)slots * pool->nworkers > (1u << 22))
        slots /= 2; /* at most 4M events (96 MiB) per pool */
    tr = (struct weft__tracer *)weft__calloc(1, sizeof(*tr));
    if (tr == NULL)
        return -ENOMEM;
    tr->bufs = (struct weft__trace_buf *)weft__calloc(pool->nworkers,
                                                      sizeof(*tr->bufs));
    if (tr->bufs == NULL)
        goto err;
    for (i = 0; i < pool->nworkers; i++)
        if (weft__trace_ring_init(&tr->bufs[i].ring, slots) != 0)
            goto err;
    pool->tracer = tr;
    return 0;
err:
    if (tr->bufs != NULL)
        for (unsigned j = 0; j < pool->nworkers; j++)
            weft__trace_ring_fini(&tr->bufs[j].ring);
    weft__free(tr->bufs);
    weft__free(tr);
    return -ENOMEM;
}

/* The pool's name as a JSON string body: printable ASCII, no quote or
 * backslash (anything else becomes '_'). */
static void
json_name(const char *in, char *out, size_t size)
{
    size_t i;

    for (i = 0; in[i] != '\0' && i + 1 < size; i++)
        out[i] =
            (in[i] >= 0x20 && in[i] < 0x7f && in[i] != '"' && in[i] != '\\')
                ? in[i]
                : '_';
    out[i] = '\0';
}

WEFT_API int
weft_pool_trace_start(weft_pool_t *pool, const char *path)
{
    char name[sizeof(pool->name)];
    struct weft__tracer *tr;
    int rc;

    if (pool == NULL || path == NULL)
        return -EINVAL;
    if (pool->tracer == NULL && (rc = tracer_alloc(pool)) != 0)
        return rc;
    tr = pool->tracer;
    if (tr->file != NULL)
        return -EBUSY;
    tr->file = fopen(path, "w");
    if (tr->file == NULL)
        return errno ? -errno : -EIO;
    json_name(pool->name, name, sizeof(name));
    drain(pool, tr, false); /* [X3] late events of an earlier trace */
    for (unsigned w = 0; w < pool->nworkers; w++) {
        tr->bufs[w].open_tasks = 0;
        tr->bufs[w].open_park = false;
    }
    tr->write_error = 0;
    tr->t0 = weft_now_ns();
    /* The first line has no leading comma; every event after it has. */
    fprintf(tr->file,
            "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"
            "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%llu,\"tid\":0,"
            "\"args\":{\"name\":\"weft pool %s\"}}",
            (unsigned long long)pool->id, name);
    for (unsigned w = 0; w < pool->nworkers; w++)
        fprintf(tr->file,
                ",\n{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%llu,"
                "\"tid\":%u,\"args\":{\"name\":\"weft-%s-%u\"}}",
                (unsigned long long)pool->id, w, name, w);
    /* Workers asleep now: open their parked span at the start (their own
     * park event came before the trace). */
    for (unsigned w = 0; w < pool->nworkers; w++) {
        /* relaxed: a snapshot; a worker waking now writes its unpark. */
        if (atomic_load_explicit(&pool->workers[w].parked,
                                 memory_order_relaxed) == WEFT__PARK_SLEEPING) {
            fprintf(tr->file,
                    ",\n{\"name\":\"parked\",\"ph\":\"B\",\"ts\":0.000,"
                    "\"pid\":%llu,\"tid\":%u}",
                    (unsigned long long)pool->id, w);
            tr->bufs[w].open_park = true;
        }
    }
    /* relaxed: published by pthread_create below. */
    atomic_store_explicit(&tr->stop, 0, memory_order_relaxed);
    if (pthread_create(&tr->drainer, NULL, drainer_main, pool) != 0) {
        fclose(tr->file);
        tr->file = NULL;
        return -EAGAIN;
    }
    for (unsigned w = 0; w < pool->nworkers; w++) {
        /* [X1] release: the ring before the pointer. */
        atomic_store_explicit(&pool->workers[w].trace, &tr->bufs[w],
                              memory_order_release);
        /* relaxed: a hint for the inline spawn/sync (deque.h); they then
         * take the hooks above, which read trace with acquire. */
        atomic_fetch_or_explicit(&pool->workers[w].dq.alert, WEFT_ALERT_TRACE,
                                 memory_order_relaxed);
    }
    return 0;
}

WEFT_API int
weft_pool_trace_stop(weft_pool_t *pool, uint64_t *dropped)
{
    struct weft__tracer *tr;
    uint64_t lost = 0;
    int bad;

    if (pool == NULL)
        return -EINVAL;
    tr = pool->tracer;
    if (tr == NULL || tr->file == NULL)
        return -ENOENT;
    for (unsigned w = 0; w < pool->nworkers; w++) {
        /* [X3] relaxed: hooks that still see the buffer are harmless. */
        atomic_store_explicit(&pool->workers[w].trace, NULL,
                              memory_order_relaxed);
        /* relaxed: the same (the bit is only a hint). */
        atomic_fetch_and_explicit(&pool->workers[w].dq.alert,
                                  ~(uint64_t)WEFT_ALERT_TRACE,
                                  memory_order_relaxed);
    }
    /* release: pairs with the drainer's acquire load. */
    atomic_store_explicit(&tr->stop, 1, memory_order_release);
    pthread_join(tr->drainer, NULL);
    drain(pool, tr, true);
    for (unsigned w = 0; w < pool->nworkers; w++) {
        /* relaxed: a statistic (workers may still count one more). */
        uint64_t d =
            atomic_load_explicit(&tr->bufs[w].dropped, memory_order_relaxed);
        fprintf(tr->file,
                ",\n{\"name\":\"weft_dropped\",\"ph\":\"M\",\"pid\":%llu,"
                "\"tid\":%u,\"args\":{\"dropped\":%llu}}",
                (unsigned long long)pool->id, w, (unsigned long long)d);
        lost += d;
        atomic_store_explicit(&tr->bufs[w].dropped, 0, memory_order_relaxed);
    }
    fprintf(tr->file, "\n]}\n");
    bad = tr->write_error | (ferror(tr->file) != 0);
    bad |= fclose(tr->file) != 0;
    tr->file = NULL;
    if (dropped != NULL)
        *dropped = lost;
    return bad ? -EIO : 0;
}

void
weft__trace_from_env(struct weft_pool *pool)
{
    const char *path = getenv("WEFT_TRACE");
    char buf[4096];
    unsigned n;

    if (path == NULL || *path == '\0')
        return;
    /* relaxed: a counter for file names. */
    n = atomic_fetch_add_explicit(&env_pools, 1, memory_order_relaxed) + 1;
    if (n > 1) {
        snprintf(buf, sizeof(buf), "%s.%u", path, n);
        path = buf;
    }
    if (weft_pool_trace_start(pool, path) != 0)
        fprintf(stderr, "weft: WEFT_TRACE: cannot trace to %s\n", path);
}

void
weft__trace_free(struct weft_pool *pool)
{
    struct weft__tracer *tr = pool->tracer;

    if (tr == NULL)
        return;
    if (tr->file != NULL)
        weft_pool_trace_stop(pool, NULL);
    for (unsigned w = 0; w < pool->nworkers; w++)
        weft__trace_ring_fini(&tr->bufs[w].ring);
    weft__free(tr->bufs);
    weft__free(tr);
    pool->tracer = NULL;
}
