/* SPDX-License-Identifier: MIT */
/*
 * trace_model.h - what weft-trace keeps of a trace: per-worker counters,
 * the steal matrix, duration histograms and (for --svg) the spans to draw.
 * Times are nanoseconds since tracing started (the trace's ts 0).
 */
#ifndef WEFT_TOOLS_TRACE_MODEL_H
#define WEFT_TOOLS_TRACE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAX_WORKERS  1024u /* WEFT_POOL_MAX_WORKERS */
#define HIST_BUCKETS 65    /* 0 ns, then [2^(b-1), 2^b) ns for b = 1..64 */

struct span {
    uint64_t start, end, id;
    uint32_t depth; /* task nesting level, 0: outermost */
};

struct steal_mark {
    uint64_t ts, jobs;
    uint32_t victim;
};

struct vec {
    void *v;
    size_t n, cap;
};

struct worker {
    uint64_t last_ts;
    uint64_t *open_id, *open_ts; /* the stack of open task spans */
    size_t depth, open_cap;
    uint32_t max_depth; /* deepest nesting level seen, 0-based */
    bool parked, has_dropped;
    uint64_t park_ts, busy_ns, parked_ns;
    uint64_t tasks, spawns, submits, lanes, lane_jobs;
    uint64_t steals, jobs_in, jobs_out, dropped;
    struct vec spans, parks, marks; /* with --svg only */
};

struct trace {
    const char *path;
    unsigned long line; /* being read; 0 once the file is done */
    bool keep;          /* --svg: keep spans for drawing */
    char pool[256];
    uint64_t pid;
    unsigned nworkers;
    struct worker *w;
    bool timed_seen, closing;
    uint64_t events, other, end_ns, open_at_end;
    uint64_t *matrix; /* jobs taken, [victim * nworkers + thief] */
    uint64_t hist_all[HIST_BUCKETS], hist_outer[HIST_BUCKETS];
    uint32_t max_depth;
};

#endif /* WEFT_TOOLS_TRACE_MODEL_H */
