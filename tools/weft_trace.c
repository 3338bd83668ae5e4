/* SPDX-License-Identifier: MIT */
/*
 * weft-trace - summarise a weft scheduling trace and draw its timeline.
 *
 *   weft-trace [--outermost] [--svg out.svg] trace.json
 *
 * The input is what runtime/trace.c writes (WEFT_TRACE=path or
 * weft_pool_trace_start/stop): a Chrome Trace Event JSON object with one
 * event per line and a fixed key order. The whole shape is checked, line
 * by line: the header and closing lines, the JSON of every event, its keys
 * and their order, the event names and phases, metadata before events,
 * per-worker timestamps that never go backwards, task ends that match the
 * open task, steal victims that exist, one dropped-count record per worker
 * at the end. Anything else is rejected with file:line and a reason.
 *
 * Exit status: 0; 1 when the SVG could not be written; 2 for a usage
 * error, an unreadable file or input that is not a complete weft trace.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_json.h"
#include "trace_model.h"
#include "trace_svg.h"

#define MAX_NESTING 65536u     /* task spans open at once on one worker */
#define MAX_LINE    (1u << 16) /* trace.c lines are far shorter */

enum kind {
    K_TASK,
    K_PARKED,
    K_STEAL,
    K_SPAWN,
    K_SUBMIT,
    K_LANE,
    K_PROCESS,
    K_THREAD,
    K_DROPPED,
    K_OTHER
};

static const char *const kind_names[] = {
    "task", "parked",       "steal",       "spawn",       "submit",
    "lane", "process_name", "thread_name", "weft_dropped"};

/* The keys in the order trace.c writes them. */
static const char *const key_order[] = {"name", "ph", "ts",  "pid",
                                        "tid",  "s",  "args"};
enum { KEY_NAME, KEY_PH, KEY_TS, KEY_PID, KEY_TID, KEY_S, KEY_ARGS, NKEYS };

static struct trace the_trace; /* static: still reachable at exit(2) */

__attribute__((format(printf, 2, 3), noreturn)) static void
bad(const struct trace *t, const char *fmt, ...)
{
    va_list ap;

    if (t->line > 0)
        fprintf(stderr, "weft-trace: %s:%lu: ", t->path, t->line);
    else
        fprintf(stderr, "weft-trace: %s: ", t->path);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n", stderr);
    exit(2);
}

static void *
xrealloc(void *p, size_t n, size_t size)
{
    void *q;

    if (n != 0 && size > SIZE_MAX / n) {
        fputs("weft-trace: out of memory\n", stderr);
        exit(1);
    }
    q = realloc(p, n * size);
    if (q == NULL && n * size != 0) {
        fputs("weft-trace: out of memory\n", stderr);
        exit(1);
    }
    return q;
}

static void *
vec_push(struct vec *v, size_t size)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 256;
        v->v = xrealloc(v->v, v->cap, size);
    }
    return (char *)v->v + size * v->n++;
}

/* ---- durations and numbers as text --------------------------------- */

static void
fmt_ns(char *buf, size_t size, uint64_t ns)
{
    if (ns < 1000)
        snprintf(buf, size, "%llu ns", (unsigned long long)ns);
    else if (ns < 1000000)
        snprintf(buf, size, "%.1f us", (double)ns / 1e3);
    else if (ns < 1000000000)
        snprintf(buf, size, "%.2f ms", (double)ns / 1e6);
    else
        snprintf(buf, size, "%.3f s", (double)ns / 1e9);
}

static double
pct(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

static unsigned
bucket_of(uint64_t ns)
{
    unsigned b = 0;

    while (ns != 0) {
        b++;
        ns >>= 1;
    }
    return b; /* 0: 0 ns; b: [2^(b-1), 2^b) ns */
}

/* ---- one event ------------------------------------------------------ */

struct event {
    enum kind kind;
    char ph;
    bool has_ts;
    uint64_t ts, pid, tid;
    const struct json_field *f[NKEYS];
    const struct json_obj *args;
};

static enum kind
kind_of(const char *name)
{
    for (unsigned k = 0; k < K_OTHER; k++)
        if (strcmp(name, kind_names[k]) == 0)
            return (enum kind)k;
    return K_OTHER;
}

/* The args object must hold exactly the keys listed (NULL-terminated). */
static void
want_args(const struct trace *t, const struct event *e, const char *k1,
          const char *k2)
{
    int want = (k1 != NULL) + (k2 != NULL);

    if (e->args == NULL)
        bad(t, "%s event without an \"args\" object", kind_names[e->kind]);
    if (e->args->n != want || (k1 && !json_get(e->args, k1)) ||
        (k2 && !json_get(e->args, k2)))
        bad(t, "%s event: \"args\" must hold %s%s%s", kind_names[e->kind],
            k1 ? k1 : "nothing", k2 ? " and " : "", k2 ? k2 : "");
}

static uint64_t
arg_uint(const struct trace *t, const struct event *e, const char *key,
         uint64_t max)
{
    uint64_t v;

    if (!json_uint(json_get(e->args, key), max, &v))
        bad(t, "%s event: args.%s is not an integer in [0, %llu]",
            kind_names[e->kind], key, (unsigned long long)max);
    return v;
}

static uint64_t
arg_id(const struct trace *t, const struct event *e)
{
    uint64_t v;

    if (!json_hex_id(json_get(e->args, "id"), &v))
        bad(t, "%s event: args.id is not a hex id", kind_names[e->kind]);
    return v;
}

/* Splits the fields of one line into e, checking names, order and types. */
static void
decode(const struct trace *t, const struct json_obj *o, struct event *e)
{
    int last = -1;

    memset(e, 0, sizeof(*e));
    for (int i = 0; i < o->n; i++) {
        int k = 0;
        while (k < NKEYS && strcmp(o->f[i].key, key_order[k]) != 0)
            k++;
        if (k == NKEYS)
            bad(t, "unexpected key \"%.40s\"", o->f[i].key);
        if (k <= last)
            bad(t, "key \"%s\" repeated or out of order", key_order[k]);
        last = k;
        e->f[k] = &o->f[i];
    }
    if (!e->f[KEY_NAME] || e->f[KEY_NAME]->type != JSON_STR)
        bad(t, "event without a string \"name\"");
    if (!e->f[KEY_PH] || e->f[KEY_PH]->type != JSON_STR ||
        e->f[KEY_PH]->len != 1)
        bad(t, "event without a one-letter \"ph\"");
    e->kind = kind_of(e->f[KEY_NAME]->str);
    e->ph = e->f[KEY_PH]->str[0];
    if (!json_uint(e->f[KEY_PID], UINT64_MAX, &e->pid))
        bad(t, "\"pid\" missing or not an unsigned integer");
    if (!json_uint(e->f[KEY_TID], MAX_WORKERS - 1, &e->tid))
        bad(t, "\"tid\" missing or not a worker index below %u", MAX_WORKERS);
    if (e->f[KEY_TS] != NULL) {
        if (!json_us_to_ns(e->f[KEY_TS], &e->ts))
            bad(t, "\"ts\" is not a non-negative number of microseconds");
        e->has_ts = true;
    }
    if (e->f[KEY_ARGS] != NULL) {
        if (e->f[KEY_ARGS]->type != JSON_OBJ || e->f[KEY_ARGS]->obj == NULL)
            bad(t, "\"args\" is not an object");
        e->args = e->f[KEY_ARGS]->obj;
    }
    if (e->f[KEY_S] != NULL &&
        (e->f[KEY_S]->type != JSON_STR || strcmp(e->f[KEY_S]->str, "t") != 0))
        bad(t, "\"s\" must be \"t\" (thread scope)");
}

/* Which phases each event may have, and whether it has ts and s. */
static void
check_shape(const struct trace *t, const struct event *e)
{
    bool meta =
        e->kind == K_PROCESS || e->kind == K_THREAD || e->kind == K_DROPPED;
    bool span = e->kind == K_TASK || e->kind == K_PARKED;

    if (meta && e->ph != 'M')
        bad(t, "%s event with phase '%c' (want 'M')", kind_names[e->kind],
            e->ph);
    if (span && e->ph != 'B' && e->ph != 'E')
        bad(t, "%s event with phase '%c' (want 'B' or 'E')",
            kind_names[e->kind], e->ph);
    if (!meta && !span && e->kind != K_OTHER && e->ph != 'i')
        bad(t, "%s event with phase '%c' (want 'i')", kind_names[e->kind],
            e->ph);
    if (e->kind == K_OTHER && e->ph != 'i' && e->ph != 'M')
        bad(t, "unknown span event \"%.40s\" (phase '%c')", e->f[KEY_NAME]->str,
            e->ph);
    if (e->ph == 'M' && (e->has_ts || e->f[KEY_S] != NULL))
        bad(t, "metadata event with \"ts\" or \"s\"");
    if (e->ph != 'M' && !e->has_ts)
        bad(t, "event without \"ts\"");
    if (e->ph == 'i' && e->f[KEY_S] == NULL)
        bad(t, "instant event without \"s\"");
    if ((e->ph == 'B' || e->ph == 'E') && e->f[KEY_S] != NULL)
        bad(t, "span event with \"s\"");
}

static void
on_metadata(struct trace *t, const struct event *e)
{
    const struct json_field *name;
    struct worker *w;

    if (e->kind == K_OTHER)
        return; /* metadata of a kind this tool does not know */
    if (e->kind == K_PROCESS) {
        if (t->events != 1)
            bad(t, "process_name must be the first event");
        want_args(t, e, "name", NULL);
        name = json_get(e->args, "name");
        if (name == NULL || name->type != JSON_STR)
            bad(t, "process_name: args.name is not a string");
        snprintf(t->pool, sizeof(t->pool), "%s", name->str);
        t->pid = e->pid;
        return;
    }
    if (t->events == 1)
        bad(t, "the first event must be process_name");
    if (e->pid != t->pid)
        bad(t, "pid %llu differs from the process_name's %llu",
            (unsigned long long)e->pid, (unsigned long long)t->pid);
    if (e->kind == K_THREAD) {
        if (t->timed_seen || t->closing)
            bad(t, "thread_name after the first timed event");
        if (e->tid != t->nworkers)
            bad(t, "thread_name for worker %llu, expected %u",
                (unsigned long long)e->tid, t->nworkers);
        want_args(t, e, "name", NULL);
        name = json_get(e->args, "name");
        if (name == NULL || name->type != JSON_STR)
            bad(t, "thread_name: args.name is not a string");
        t->w = xrealloc(t->w, t->nworkers + 1, sizeof(*t->w));
        memset(&t->w[t->nworkers], 0, sizeof(*t->w));
        t->nworkers++;
        return;
    }
    /* weft_dropped: one per worker, after every timed event. */
    if (e->tid >= t->nworkers)
        bad(t, "weft_dropped for worker %llu, but only %u workers",
            (unsigned long long)e->tid, t->nworkers);
    w = &t->w[e->tid];
    if (w->has_dropped)
        bad(t, "a second weft_dropped record for worker %llu",
            (unsigned long long)e->tid);
    want_args(t, e, "dropped", NULL);
    w->dropped = arg_uint(t, e, "dropped", UINT64_MAX);
    w->has_dropped = true;
    t->closing = true;
}

static void
task_begin(struct trace *t, struct worker *w, const struct event *e)
{
    uint64_t id = arg_id(t, e);

    if (w->depth == w->open_cap) {
        if (w->open_cap >= MAX_NESTING)
            bad(t, "more than %u task spans open on one worker", MAX_NESTING);
        w->open_cap = w->open_cap ? w->open_cap * 2 : 64;
        w->open_id = xrealloc(w->open_id, w->open_cap, sizeof(uint64_t));
        w->open_ts = xrealloc(w->open_ts, w->open_cap, sizeof(uint64_t));
    }
    w->open_id[w->depth] = id;
    w->open_ts[w->depth] = e->ts;
    if (w->depth > w->max_depth)
        w->max_depth = (uint32_t)w->depth;
    w->depth++;
    w->tasks++;
}

static void
task_end(struct trace *t, struct worker *w, const struct event *e)
{
    uint64_t id = arg_id(t, e), start, dur;
    struct span *s;

    if (w->depth == 0)
        bad(t, "task end on worker %llu with no task open",
            (unsigned long long)e->tid);
    if (w->open_id[w->depth - 1] != id)
        bad(t, "task end %llx on worker %llu, but the open task is %llx",
            (unsigned long long)id, (unsigned long long)e->tid,
            (unsigned long long)w->open_id[w->depth - 1]);
    w->depth--;
    start = w->open_ts[w->depth];
    dur = e->ts - start;
    t->hist_all[bucket_of(dur)]++;
    if (w->depth == 0) {
        t->hist_outer[bucket_of(dur)]++;
        w->busy_ns += dur;
    }
    if (t->keep) {
        s = vec_push(&w->spans, sizeof(*s));
        s->start = start;
        s->end = e->ts;
        s->id = id;
        s->depth = (uint32_t)w->depth;
    }
}

static void
on_timed(struct trace *t, const struct event *e)
{
    struct worker *w;
    struct span *s;
    struct steal_mark *m;
    uint64_t victim, jobs;

    if (t->nworkers == 0)
        bad(t, "an event before any thread_name record");
    if (t->closing)
        bad(t, "an event after the weft_dropped records");
    if (e->pid != t->pid)
        bad(t, "pid %llu differs from the process_name's %llu",
            (unsigned long long)e->pid, (unsigned long long)t->pid);
    if (e->tid >= t->nworkers)
        bad(t, "event on worker %llu, but only %u workers",
            (unsigned long long)e->tid, t->nworkers);
    if (t->matrix == NULL) {
        t->matrix =
            xrealloc(NULL, (size_t)t->nworkers * t->nworkers, sizeof(uint64_t));
        memset(t->matrix, 0, sizeof(uint64_t) * t->nworkers * t->nworkers);
    }
    w = &t->w[e->tid];
    if (e->ts < w->last_ts)
        bad(t, "time goes backwards on worker %llu",
            (unsigned long long)e->tid);
    w->last_ts = e->ts;
    if (e->ts > t->end_ns)
        t->end_ns = e->ts;
    t->timed_seen = true;
    switch (e->kind) {
    case K_TASK:
        want_args(t, e, "id", NULL);
        if (e->ph == 'B')
            task_begin(t, w, e);
        else
            task_end(t, w, e);
        break;
    case K_PARKED:
        if (e->args != NULL)
            bad(t, "parked event with \"args\"");
        if (e->ph == 'B') {
            if (w->parked)
                bad(t, "worker %llu parks while parked",
                    (unsigned long long)e->tid);
            w->parked = true;
            w->park_ts = e->ts;
            break;
        }
        if (!w->parked)
            bad(t, "worker %llu unparks without having parked",
                (unsigned long long)e->tid);
        w->parked = false;
        w->parked_ns += e->ts - w->park_ts;
        if (t->keep) {
            s = vec_push(&w->parks, sizeof(*s));
            s->start = w->park_ts;
            s->end = e->ts;
            s->id = 0;
            s->depth = 0;
        }
        break;
    case K_STEAL:
        want_args(t, e, "victim", "jobs");
        victim = arg_uint(t, e, "victim", t->nworkers - 1);
        jobs = arg_uint(t, e, "jobs", UINT32_MAX);
        if (victim == e->tid)
            bad(t, "worker %llu steals from itself",
                (unsigned long long)e->tid);
        if (jobs == 0)
            bad(t, "a steal of 0 jobs");
        w->steals++;
        w->jobs_in += jobs;
        t->w[victim].jobs_out += jobs;
        t->matrix[victim * t->nworkers + e->tid] += jobs;
        if (t->keep) {
            m = vec_push(&w->marks, sizeof(*m));
            m->ts = e->ts;
            m->jobs = jobs;
            m->victim = (uint32_t)victim;
        }
        break;
    case K_SPAWN:
    case K_SUBMIT:
        want_args(t, e, "id", NULL);
        (void)arg_id(t, e);
        if (e->kind == K_SPAWN)
            w->spawns++;
        else
            w->submits++;
        break;
    case K_LANE:
        want_args(t, e, "jobs", NULL);
        w->lane_jobs += arg_uint(t, e, "jobs", UINT32_MAX);
        w->lanes++;
        break;
    default:
        t->other++; /* an instant event of a kind this tool does not know */
        break;
    }
}

static void
on_event(struct trace *t, const struct json_obj *o)
{
    struct event e;

    decode(t, o, &e);
    check_shape(t, &e);
    t->events++;
    if (e.ph == 'M')
        on_metadata(t, &e);
    else
        on_timed(t, &e);
}

/* ---- the file, line by line ---------------------------------------- */

static const char header[] = "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[";

static void
read_trace(struct trace *t, FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    bool comma = false, done = false;
    struct json_lexer lx;
    struct json_obj top;

    while ((n = getline(&line, &cap, f)) >= 0) {
        t->line++;
        if (done)
            bad(t, "text after the closing \"]}\"");
        if ((size_t)n > MAX_LINE)
            bad(t, "line longer than %u bytes", MAX_LINE);
        if (n == 0 || line[n - 1] != '\n')
            bad(t, "truncated: the last line has no newline");
        line[--n] = '\0';
        if (strlen(line) != (size_t)n)
            bad(t, "NUL byte in the line");
        if (t->line == 1) {
            if (strcmp(line, header) != 0)
                bad(t, "not a weft trace: the first line must be %s", header);
            continue;
        }
        if (strcmp(line, "]}") == 0) {
            if (t->line == 2)
                bad(t, "no events");
            if (comma)
                bad(t, "',' after the last event");
            done = true;
            continue;
        }
        if (t->line > 2 && !comma)
            bad(t, "missing ',' at the end of the previous line");
        memset(&lx, 0, sizeof(lx));
        lx.p = line;
        if (!json_object(&lx, 0, &top))
            bad(t, "malformed JSON: %s", lx.err ? lx.err : "?");
        comma = *lx.p == ',';
        if (comma)
            lx.p++;
        if (*lx.p != '\0')
            bad(t, "text after the event's closing '}'");
        on_event(t, &top);
    }
    free(line);
    if (ferror(f))
        bad(t, "read error: %s", strerror(errno));
    if (!done) {
        t->line = 0;
        bad(t, "truncated: no closing \"]}\" line (was the trace stopped?)");
    }
    t->line = 0;
    if (t->nworkers == 0)
        bad(t, "no workers (no thread_name records)");
    for (unsigned i = 0; i < t->nworkers; i++)
        if (!t->w[i].has_dropped)
            bad(t, "no weft_dropped record for worker %u", i);
    if (t->matrix == NULL) {
        t->matrix =
            xrealloc(NULL, (size_t)t->nworkers * t->nworkers, sizeof(uint64_t));
        memset(t->matrix, 0, sizeof(uint64_t) * t->nworkers * t->nworkers);
    }
}

/* Spans still open at the end of the trace are closed there. */
static void
close_open(struct trace *t)
{
    for (unsigned i = 0; i < t->nworkers; i++) {
        struct worker *w = &t->w[i];
        struct span *s;

        t->open_at_end += w->depth;
        while (w->depth > 0) {
            w->depth--;
            if (w->depth == 0)
                w->busy_ns += t->end_ns - w->open_ts[0];
            if (t->keep) {
                s = vec_push(&w->spans, sizeof(*s));
                s->start = w->open_ts[w->depth];
                s->end = t->end_ns;
                s->id = w->open_id[w->depth];
                s->depth = (uint32_t)w->depth;
            }
        }
        if (w->parked) {
            w->parked_ns += t->end_ns - w->park_ts;
            if (t->keep) {
                s = vec_push(&w->parks, sizeof(*s));
                s->start = w->park_ts;
                s->end = t->end_ns;
                s->id = 0;
                s->depth = 0;
            }
        }
        if (w->max_depth > t->max_depth)
            t->max_depth = w->max_depth;
    }
}

/* ---- the text summary ------------------------------------------------ */

static void
print_hist(const struct trace *t, bool outer)
{
    const uint64_t *h = outer ? t->hist_outer : t->hist_all;
    uint64_t total = 0, top = 0;
    unsigned lo = HIST_BUCKETS, hi = 0;
    char a[32], b[32];

    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        total += h[i];
        if (h[i] > top)
            top = h[i];
        if (h[i] && i < lo)
            lo = i;
        if (h[i])
            hi = i;
    }
    printf("\ntask durations: %s (%llu spans; log2 buckets; spans still "
           "open at the end are left out)\n",
           outer ? "outermost task spans only, inclusive of what they "
                   "nest"
                 : "every task span, inclusive of nested spans",
           (unsigned long long)total);
    if (total == 0) {
        printf("  (none)\n");
        return;
    }
    for (unsigned i = lo; i <= hi; i++) {
        int bar = (int)((h[i] * 50 + top - 1) / top);
        if (i == 0) {
            snprintf(a, sizeof(a), "0 ns");
            snprintf(b, sizeof(b), "1 ns");
        } else {
            fmt_ns(a, sizeof(a), (uint64_t)1 << (i - 1));
            fmt_ns(b, sizeof(b), i < 64 ? (uint64_t)1 << i : UINT64_MAX);
        }
        printf("  [%9s, %9s) %9llu %5.1f%% %.*s\n", a, b,
               (unsigned long long)h[i], pct(h[i], total), bar,
               "##################################################");
    }
}

static void
print_summary(const struct trace *t, bool outer)
{
    uint64_t tasks = 0, steals = 0, jobs = 0, dropped = 0;
    uint64_t spawns = 0, submits = 0, lane_jobs = 0;
    char len[32];

    for (unsigned i = 0; i < t->nworkers; i++) {
        tasks += t->w[i].tasks;
        steals += t->w[i].steals;
        jobs += t->w[i].jobs_in;
        dropped += t->w[i].dropped;
        spawns += t->w[i].spawns;
        submits += t->w[i].submits;
        lane_jobs += t->w[i].lane_jobs;
    }
    fmt_ns(len, sizeof(len), t->end_ns);
    printf("trace: %s\n", t->path);
    printf("pool: \"%s\" (pid %llu), %u workers\n", t->pool,
           (unsigned long long)t->pid, t->nworkers);
    printf("length: %s (from the start of tracing to the last event)\n", len);
    printf("events: %llu (%llu of kinds this tool does not know)\n",
           (unsigned long long)t->events, (unsigned long long)t->other);
    printf("dropped: %llu%s\n", (unsigned long long)dropped,
           dropped ? " (rings were full: counts below are low)" : "");
    printf("tasks run: %llu (%llu spans still open at the end)\n",
           (unsigned long long)tasks, (unsigned long long)t->open_at_end);
    printf("steals: %llu (%llu jobs)\n", (unsigned long long)steals,
           (unsigned long long)jobs);
    printf("spawns: %llu, submits from tasks: %llu, jobs from outside "
           "lanes: %llu\n",
           (unsigned long long)spawns, (unsigned long long)submits,
           (unsigned long long)lane_jobs);

    printf("\n%6s %9s %7s %7s %7s %8s %8s %8s %6s %8s\n", "worker", "tasks",
           "busy", "parked", "steals", "jobs-in", "jobs-out", "spawns", "depth",
           "dropped");
    for (unsigned i = 0; i < t->nworkers; i++) {
        const struct worker *w = &t->w[i];
        printf("%6u %9llu %6.1f%% %6.1f%% %7llu %8llu %8llu %8llu %6u "
               "%8llu\n",
               i, (unsigned long long)w->tasks, pct(w->busy_ns, t->end_ns),
               pct(w->parked_ns, t->end_ns), (unsigned long long)w->steals,
               (unsigned long long)w->jobs_in, (unsigned long long)w->jobs_out,
               (unsigned long long)w->spawns, w->tasks ? w->max_depth + 1 : 0,
               (unsigned long long)w->dropped);
    }
    printf("%6s %9llu %7s %7s %7llu %8llu %8llu %8llu %6s %8llu\n", "total",
           (unsigned long long)tasks, "", "", (unsigned long long)steals,
           (unsigned long long)jobs, (unsigned long long)jobs,
           (unsigned long long)spawns, "", (unsigned long long)dropped);
    printf("busy: time inside outermost task spans; parked: time in parked "
           "spans; both as a\nshare of the length. depth: the deepest nesting "
           "of task spans (a task run\ninline at its sync, or helped with "
           "while waiting, nests inside the waiting\ntask). A worker already "
           "asleep when tracing started shows no parked time\nuntil it "
           "wakes.\n");

    printf("\nsteal matrix: jobs taken (rows: victim, columns: thief)\n");
    printf("%12s", "victim\\thief");
    for (unsigned j = 0; j < t->nworkers; j++)
        printf(" %8u", j);
    printf("\n");
    for (unsigned v = 0; v < t->nworkers; v++) {
        printf("%12u", v);
        for (unsigned j = 0; j < t->nworkers; j++)
            if (v == j)
                printf(" %8s", "-");
            else
                printf(" %8llu",
                       (unsigned long long)t->matrix[v * t->nworkers + j]);
        printf("\n");
    }
    print_hist(t, outer);
}

static void
usage(FILE *f)
{
    fputs("usage: weft-trace [--outermost] [--svg out.svg] trace.json\n"
          "  Checks a weft trace (WEFT_TRACE=path, weft_pool_trace_start) "
          "and prints\n"
          "  per-worker utilisation, tasks, steals, the steal matrix and a "
          "task duration\n"
          "  histogram (every span; --outermost: outermost spans only).\n"
          "  --svg out.svg  also draw the timeline: one lane per worker.\n"
          "Exit: 0; 1 the SVG could not be written; 2 usage error, "
          "unreadable or\n"
          "  malformed trace.\n",
          f);
}

int
main(int argc, char **argv)
{
    struct trace *t = &the_trace;
    const char *svg = NULL;
    bool outer = false;
    FILE *f;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--svg") == 0 && i + 1 < argc) {
            svg = argv[++i];
        } else if (strncmp(a, "--svg=", 6) == 0) {
            svg = a + 6;
        } else if (strcmp(a, "--outermost") == 0) {
            outer = true;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "weft-trace: unknown option %s\n", a);
            usage(stderr);
            return 2;
        } else if (t->path != NULL) {
            fprintf(stderr, "weft-trace: one trace at a time\n");
            usage(stderr);
            return 2;
        } else {
            t->path = a;
        }
    }
    if (t->path == NULL || (svg != NULL && *svg == '\0')) {
        usage(stderr);
        return 2;
    }
    t->keep = svg != NULL;
    f = fopen(t->path, "r");
    if (f == NULL)
        bad(t, "cannot open: %s", strerror(errno));
    read_trace(t, f);
    fclose(f);
    close_open(t);
    print_summary(t, outer);
    if (svg != NULL) {
        if (write_svg(t, svg) != 0) {
            fprintf(stderr, "weft-trace: cannot write %s: %s\n", svg,
                    strerror(errno));
            return 1;
        }
        printf("\nsvg: %s\n", svg);
    }
    if (fflush(stdout) != 0)
        return 1;
    return 0;
}
