/* SPDX-License-Identifier: MIT */
/* stats.c - snapshots, the table and the OpenMetrics text of <weft/stats.h>
 * (the counters themselves: stat.h, written by each worker). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <weft/stats.h>

#include "worker.h"

static void
read_worker(struct weft__worker *w, uint64_t now, struct weft_worker_stats *o)
{
    uint64_t c[WEFT_ST_COUNT];
    uint64_t start, end, alive, busy;

    for (int i = 0; i < WEFT_ST_COUNT; i++)
        /* relaxed: untorn values are all a snapshot promises. */
        c[i] = atomic_load_explicit(&w->stats.c[i], memory_order_relaxed);
    start = atomic_load_explicit(&w->stats.start_ns, memory_order_relaxed);
    end = atomic_load_explicit(&w->stats.end_ns, memory_order_relaxed);
    if (end != 0)
        now = end; /* an exited worker's times stop at its exit */
    /* Own spawned tasks run here = spawned - run elsewhere (stat.h). */
    /* relaxed: the same (counted by the spawns, inline ones too). */
    c[WEFT_ST_SPAWNED] +=
        atomic_load_explicit(&w->dq.spawned, memory_order_relaxed);
    o->tasks_run =
        c[WEFT_ST_RUN] + c[WEFT_ST_SPAWNED] -
        atomic_load_explicit(&w->stats.stolen_from, memory_order_relaxed);
    o->tasks_spawned = c[WEFT_ST_SPAWNED];
    o->tasks_submitted = c[WEFT_ST_SUBMITTED];
    o->lane_jobs = c[WEFT_ST_LANE];
    o->steal_attempts = c[WEFT_ST_STEAL_ATTEMPTS];
    o->steals = c[WEFT_ST_STEALS];
    o->tasks_stolen = c[WEFT_ST_STOLEN];
    o->steal_empty = c[WEFT_ST_STEAL_EMPTY];
    o->steal_lost = c[WEFT_ST_STEAL_LOST];
    o->parks = c[WEFT_ST_PARKS];
    o->wakeups = c[WEFT_ST_WAKEUPS];
    o->wakeups_no_work = c[WEFT_ST_WAKEUPS_NO_WORK];
    o->helps = c[WEFT_ST_HELPS];
    o->cancelled = c[WEFT_ST_CANCELLED];
    o->ns_stealing = c[WEFT_ST_NS_STEALING];
    o->ns_idle = c[WEFT_ST_NS_IDLE];
    o->typed_overflows = c[WEFT_ST_TYPED_OVERFLOW];
    alive = start != 0 && now > start ? now - start : 0;
    busy = o->ns_stealing + o->ns_idle;
    o->ns_running = alive > busy ? alive - busy : 0;
}

static void
add(struct weft_worker_stats *sum, const struct weft_worker_stats *w)
{
    const uint64_t *src = (const uint64_t *)w;
    uint64_t *dst = (uint64_t *)sum;

    _Static_assert(sizeof(*w) % sizeof(uint64_t) == 0,
                   "weft_worker_stats holds only uint64_t counters");
    for (size_t i = 0; i < sizeof(*w) / sizeof(uint64_t); i++)
        dst[i] += src[i];
}

WEFT_API int
weft_pool_stats(weft_pool_t *pool, struct weft_pool_stats *out)
{
    uint64_t now = weft_now_ns();
    struct weft_worker_stats one;

    if (pool == NULL || out == NULL)
        return -EINVAL;
    out->workers = pool->nworkers;
    out->submitted_outside = weft__lanes_submitted(pool);
    memset(&out->total, 0, sizeof(out->total));
    for (unsigned i = 0; i < pool->nworkers; i++) {
        read_worker(&pool->workers[i], now, &one);
        add(&out->total, &one);
        if (out->worker != NULL && i < out->worker_capacity)
            out->worker[i] = one;
    }
    return 0;
}

/* Rows of the table and of the exporter: name, help, offset in the
 * struct, and whether it is a time in ns. */
struct field {
    const char *name;
    const char *help;
    size_t off;
    int ns;
};

#define F(m, h)                                         \
    {                                                   \
#        m, h, offsetof(struct weft_worker_stats, m), 0 \
    }
#define T(m, h)                                         \
    {                                                   \
#        m, h, offsetof(struct weft_worker_stats, m), 1 \
    }
static const struct field fields[] = {
    F(tasks_run, "Jobs run to completion."),
    F(tasks_spawned, "weft_spawn() calls."),
    F(tasks_submitted, "weft_pool_submit() calls from tasks."),
    F(lane_jobs, "Jobs taken from outside threads' lanes."),
    F(steal_attempts, "Attempts to take a job from another deque."),
    F(steals, "Attempts that took at least one job."),
    F(tasks_stolen, "Jobs taken by steals."),
    F(steal_empty, "Failed attempts: the deque was empty."),
    F(steal_lost, "Failed attempts: lost the race for the job."),
    F(parks, "Times the worker went to sleep."),
    F(wakeups, "Times the worker woke up."),
    F(wakeups_no_work, "Wake-ups that found no work."),
    F(helps, "Jobs run while waiting in sync or result."),
    F(cancelled, "Futures cancelled when they reached the worker."),
    T(ns_running, "Time running tasks."),
    T(ns_stealing, "Time searching other workers and lanes."),
    T(ns_idle, "Time spinning or parked with nothing found."),
    F(typed_overflows, "Typed spawns run at once: the typed deque was full."),
};
#undef F
#undef T
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

static uint64_t
get(const struct weft_worker_stats *w, const struct field *f)
{
    uint64_t v;
    memcpy(&v, (const char *)w + f->off, sizeof(v));
    return v;
}

WEFT_API int
weft_pool_stats_print(weft_pool_t *pool, FILE *file)
{
    struct weft_pool_stats st;
    struct weft_worker_stats *ws;
    int bad = 0;

    if (pool == NULL || file == NULL)
        return -EINVAL;
    ws = (struct weft_worker_stats *)weft__calloc(pool->nworkers, sizeof(*ws));
    if (ws == NULL)
        return -ENOMEM;
    st.worker = ws;
    st.worker_capacity = pool->nworkers;
    weft_pool_stats(pool, &st);
    bad |= fprintf(file,
                   "weft pool %s: %u workers, %llu submitted from "
                   "outside\n%-16s",
                   pool->name, st.workers,
                   (unsigned long long)st.submitted_outside, "") < 0;
    for (unsigned i = 0; i < st.workers; i++)
        bad |= fprintf(file, " %12s%-3u", "worker ", i) < 0;
    bad |= fprintf(file, " %15s\n", "total") < 0;
    for (size_t k = 0; k < NFIELDS; k++) {
        const struct field *f = &fields[k];
        bad |= fprintf(file, "%-16s", f->name) < 0;
        for (unsigned i = 0; i < st.workers; i++)
            bad |= fprintf(file, " %15llu",
                           (unsigned long long)get(&ws[i], f)) < 0;
        bad |= fprintf(file, " %15llu\n",
                       (unsigned long long)get(&st.total, f)) < 0;
    }
    weft__free(ws);
    return bad ? -EIO : 0;
}

/* Appends to buf while there is room; counts the whole length anyway. */
struct out {
    char *buf;
    size_t size, len;
};

__attribute__((format(printf, 2, 3))) static void
put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(o->len < o->size ? o->buf + o->len : NULL,
                  o->len < o->size ? o->size - o->len : 0, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

WEFT_API int
weft_pool_stats_openmetrics(weft_pool_t *pool, char *buf, size_t size,
                            size_t *len)
{
    struct weft_worker_stats one;
    struct out o = {buf, size, 0};
    uint64_t now = weft_now_ns();

    if (pool == NULL || len == NULL || (buf == NULL && size != 0))
        return -EINVAL;
    put(&o,
        "# TYPE weft_submitted_outside counter\n"
        "# HELP weft_submitted_outside weft_pool_submit() calls from "
        "outside threads.\n"
        "weft_submitted_outside_total{pool=\"%s\"} %llu\n",
        pool->name, (unsigned long long)weft__lanes_submitted(pool));
    for (size_t k = 0; k < NFIELDS; k++) {
        const struct field *f = &fields[k];
        const char *base = f->ns ? f->name + 3 : f->name; /* drop "ns_" */
        put(&o, "# TYPE weft_%s%s counter\n# HELP weft_%s%s %s\n", base,
            f->ns ? "_seconds" : "", base, f->ns ? "_seconds" : "", f->help);
        for (unsigned i = 0; i < pool->nworkers; i++) {
            read_worker(&pool->workers[i], now, &one);
            if (f->ns)
                put(&o,
                    "weft_%s_seconds_total{pool=\"%s\",worker=\"%u\"} "
                    "%.9f\n",
                    base, pool->name, i, (double)get(&one, f) / 1e9);
            else
                put(&o, "weft_%s_total{pool=\"%s\",worker=\"%u\"} %llu\n", base,
                    pool->name, i, (unsigned long long)get(&one, f));
        }
    }
    put(&o, "# EOF\n");
    *len = o.len;
    return o.len < size ? 0 : -ENOSPC;
}
