/* SPDX-License-Identifier: MIT */
/*
 * trace_svg.h - weft-trace --svg: the timeline as one SVG picture.
 *
 * One lane per worker (<g class="lane" id="lane-N">, one element per
 * line). Task spans are rectangles (class "task"), nested spans inset and
 * darker by nesting level; parked spans are grey (class "parked"); steals
 * are red marks on the thief's lane (class "steal"). Spans closer than
 * half a pixel on the same level are merged into one rectangle (its
 * tooltip says how many), so a trace of millions of tasks still gives a
 * picture of a few thousand elements. Below the lanes, a time axis. Only
 * weft_trace.c includes this file.
 */
#ifndef WEFT_TOOLS_TRACE_SVG_H
#define WEFT_TOOLS_TRACE_SVG_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace_model.h"

#define SVG_W      1200
#define SVG_LEFT   100
#define SVG_RIGHT  24
#define SVG_TOP    64
#define SVG_LANE_H 30
#define SVG_GAP    10

struct svg {
    FILE *f;
    uint64_t len; /* ns shown across the plot */
    double plot_w;
};

static double
svg_x(const struct svg *s, uint64_t ns)
{
    return SVG_LEFT + (double)ns * s->plot_w / (double)s->len;
}

static void
svg_text(FILE *f, const char *s)
{
    for (; *s != '\0'; s++)
        switch (*s) {
        case '&':
            fputs("&amp;", f);
            break;
        case '<':
            fputs("&lt;", f);
            break;
        case '>':
            fputs("&gt;", f);
            break;
        case '"':
            fputs("&quot;", f);
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\t')
                fputc(*s, f);
        }
}

static void
svg_dur(char *buf, size_t size, uint64_t ns)
{
    if (ns < 1000)
        snprintf(buf, size, "%llu ns", (unsigned long long)ns);
    else if (ns < 1000000)
        snprintf(buf, size, "%.2f \xc2\xb5s", (double)ns / 1e3);
    else if (ns < 1000000000)
        snprintf(buf, size, "%.3f ms", (double)ns / 1e6);
    else
        snprintf(buf, size, "%.4f s", (double)ns / 1e9);
}

static int
svg_span_cmp(const void *a, const void *b)
{
    const struct span *x = a, *y = b;

    if (x->depth != y->depth)
        return x->depth < y->depth ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return 0;
}

/* A run of merged spans on one level, drawn when the next one is apart. */
struct svg_run {
    double x0, x1;
    uint64_t start, end, id, n;
    uint32_t depth;
};

static void
svg_run_draw(const struct svg *s, const struct trace *t,
             const struct svg_run *r, double lane_y, bool parked)
{
    double inset = 0.0, w = r->x1 - r->x0;
    char a[32], b[32], d[32];
    unsigned cr = 168, cg = 168, cb = 168;

    if (w < 1.0)
        w = 1.0;
    if (!parked && t->max_depth > 0) {
        double step = (SVG_LANE_H / 2.0 - 3.0) / t->max_depth;
        double k = (double)r->depth / t->max_depth;
        inset = r->depth * (step < 3.0 ? step : 3.0);
        /* #9ecae1 (outermost) to #1f4e8c (deepest). */
        cr = (unsigned)(158 + (31.0 - 158) * k);
        cg = (unsigned)(202 + (78.0 - 202) * k);
        cb = (unsigned)(225 + (140.0 - 225) * k);
    } else if (!parked) {
        cr = 158, cg = 202, cb = 225;
    }
    fprintf(s->f,
            "<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
            "height=\"%.2f\" fill=\"#%02x%02x%02x\" stroke=\"none\">",
            parked ? "parked" : "task", r->x0, lane_y + inset, w,
            SVG_LANE_H - 2 * inset, cr, cg, cb);
    svg_dur(a, sizeof(a), r->start);
    svg_dur(b, sizeof(b), r->end);
    svg_dur(d, sizeof(d), r->end - r->start);
    if (parked)
        fprintf(s->f, "<title>parked %s to %s (%s)</title></rect>\n", a, b, d);
    else if (r->n == 1)
        fprintf(s->f,
                "<title>task %llx: %s, %s to %s, nesting level %u</title>"
                "</rect>\n",
                (unsigned long long)r->id, d, a, b, r->depth);
    else
        fprintf(s->f,
                "<title>%llu tasks at nesting level %u, %s to %s</title>"
                "</rect>\n",
                (unsigned long long)r->n, r->depth, a, b);
}

/* Draws spans (sorted by level, then start), merging near neighbours. */
static void
svg_spans(const struct svg *s, const struct trace *t, const struct span *sp,
          size_t n, double lane_y, bool parked)
{
    struct svg_run r;

    for (size_t i = 0; i < n; i++) {
        double x0 = svg_x(s, sp[i].start), x1 = svg_x(s, sp[i].end);
        if (i > 0 && sp[i].depth == r.depth && x0 - r.x1 < 0.5) {
            if (x1 > r.x1)
                r.x1 = x1;
            if (sp[i].end > r.end)
                r.end = sp[i].end;
            r.n++;
            continue;
        }
        if (i > 0)
            svg_run_draw(s, t, &r, lane_y, parked);
        r.x0 = x0;
        r.x1 = x1;
        r.start = sp[i].start;
        r.end = sp[i].end;
        r.id = sp[i].id;
        r.depth = sp[i].depth;
        r.n = 1;
    }
    if (n > 0)
        svg_run_draw(s, t, &r, lane_y, parked);
}

static void
svg_marks(const struct svg *s, const struct steal_mark *m, size_t n,
          double lane_y)
{
    size_t i = 0;
    char a[32];

    while (i < n) {
        size_t j = i + 1;
        uint64_t jobs = m[i].jobs;
        double x = svg_x(s, m[i].ts);

        while (j < n && svg_x(s, m[j].ts) - x < 2.0)
            jobs += m[j++].jobs;
        svg_dur(a, sizeof(a), m[i].ts);
        fprintf(s->f,
                "<path class=\"steal\" d=\"M%.2f %.2fl-4.5 -9h9z\" "
                "fill=\"#d62728\" stroke=\"#fff\" stroke-width=\"0.5\">",
                x, lane_y + 7.0);
        if (j - i == 1)
            fprintf(s->f,
                    "<title>steal at %s: %llu job%s from worker %u</title>"
                    "</path>\n",
                    a, (unsigned long long)jobs, jobs == 1 ? "" : "s",
                    m[i].victim);
        else
            fprintf(s->f,
                    "<title>%llu steals from %s: %llu jobs</title></path>\n",
                    (unsigned long long)(j - i), a, (unsigned long long)jobs);
        i = j;
    }
}

/* The tick step: 1, 2 or 5 times a power of ten, at most 10 ticks. */
static uint64_t
svg_step(uint64_t len)
{
    static const uint64_t mult[] = {1, 2, 5};

    for (uint64_t mag = 1;; mag *= 10)
        for (int i = 0; i < 3; i++)
            if (len / (mult[i] * mag) <= 10)
                return mult[i] * mag;
}

static void
svg_axis(const struct svg *s, double y_axis)
{
    uint64_t step = svg_step(s->len), unit = 1;
    const char *uname = "ns";

    if (step >= 1000000000) {
        unit = 1000000000, uname = "s";
    } else if (step >= 1000000) {
        unit = 1000000, uname = "ms";
    } else if (step >= 1000) {
        unit = 1000, uname = "\xc2\xb5s";
    }
    fprintf(s->f,
            "<line class=\"axis\" x1=\"%d\" y1=\"%.1f\" x2=\"%.2f\" "
            "y2=\"%.1f\" stroke=\"#444\"/>\n",
            SVG_LEFT, y_axis, svg_x(s, s->len), y_axis);
    for (uint64_t tk = 0; tk <= s->len; tk += step) {
        double x = svg_x(s, tk);
        fprintf(s->f,
                "<line class=\"grid\" x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" "
                "y2=\"%.1f\" stroke=\"#ddd\"/>\n",
                x, SVG_TOP - 4, x, y_axis + 4);
        fprintf(s->f,
                "<text class=\"tick\" x=\"%.2f\" y=\"%.1f\" "
                "text-anchor=\"middle\">%llu %s</text>\n",
                x, y_axis + 17, (unsigned long long)(tk / unit), uname);
    }
}

static void
svg_legend(FILE *f)
{
    static const struct {
        const char *fill, *label;
    } items[] = {{"#9ecae1", "task"},
                 {"#1f4e8c", "nested task (darker: deeper)"},
                 {"#a8a8a8", "parked"}};
    double x = SVG_LEFT;

    for (int i = 0; i < 3; i++) {
        fprintf(f,
                "<rect class=\"legend\" x=\"%.1f\" y=\"34\" width=\"14\" "
                "height=\"12\" fill=\"%s\"/>\n",
                x, items[i].fill);
        fprintf(f, "<text x=\"%.1f\" y=\"44\">%s</text>\n", x + 19,
                items[i].label);
        x += 34 + 6.2 * (double)strlen(items[i].label);
    }
    fprintf(f,
            "<path class=\"legend\" d=\"M%.1f 46l-4.5 -9h9z\" "
            "fill=\"#d62728\"/>\n",
            x + 6);
    fprintf(f, "<text x=\"%.1f\" y=\"44\">steal (on the thief)</text>\n",
            x + 16);
}

/* Returns 0, or -1 with errno set. Sorts the spans in place. */
static int
write_svg(struct trace *t, const char *path)
{
    struct svg s;
    unsigned n = t->nworkers;
    double y_axis = SVG_TOP + (double)n * (SVG_LANE_H + SVG_GAP);
    int h = (int)y_axis + 32;
    uint64_t tasks = 0, steals = 0;
    char len[32];
    int bad;

    s.f = fopen(path, "w");
    if (s.f == NULL)
        return -1;
    s.len = t->end_ns > 0 ? t->end_ns : 1;
    s.plot_w = SVG_W - SVG_LEFT - SVG_RIGHT;
    for (unsigned i = 0; i < n; i++) {
        tasks += t->w[i].tasks;
        steals += t->w[i].steals;
    }
    svg_dur(len, sizeof(len), t->end_ns);
    fprintf(s.f,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
            "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" "
            "font-size=\"12\">\n",
            SVG_W, h, SVG_W, h);
    fprintf(s.f,
            "<rect class=\"page\" x=\"0\" y=\"0\" width=\"%d\" "
            "height=\"%d\" fill=\"#fff\"/>\n",
            SVG_W, h);
    fputs("<text x=\"12\" y=\"20\" font-size=\"14\" font-weight=\"bold\">",
          s.f);
    svg_text(s.f, t->pool);
    fprintf(s.f, ": %u workers, %s, %llu tasks, %llu steals</text>\n", n, len,
            (unsigned long long)tasks, (unsigned long long)steals);
    svg_legend(s.f);
    for (unsigned i = 0; i < n; i++)
        fprintf(s.f,
                "<rect class=\"bg\" x=\"%d\" y=\"%.1f\" width=\"%.2f\" "
                "height=\"%d\" fill=\"#f3f3f3\" stroke=\"none\"/>\n",
                SVG_LEFT, SVG_TOP + (double)i * (SVG_LANE_H + SVG_GAP),
                s.plot_w, SVG_LANE_H);
    svg_axis(&s, y_axis); /* grid lines over the lane backgrounds */
    for (unsigned i = 0; i < n; i++) {
        struct worker *w = &t->w[i];
        double y = SVG_TOP + (double)i * (SVG_LANE_H + SVG_GAP);

        fprintf(s.f, "<g class=\"lane\" id=\"lane-%u\">\n", i);
        fprintf(s.f,
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">worker "
                "%u</text>\n",
                SVG_LEFT - 8, y + 13, i);
        fprintf(s.f,
                "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\" "
                "font-size=\"10\" fill=\"#555\">%.0f%% busy</text>\n",
                SVG_LEFT - 8, y + 26,
                t->end_ns ? 100.0 * (double)w->busy_ns / (double)t->end_ns
                          : 0.0);
        svg_spans(&s, t, (const struct span *)w->parks.v, w->parks.n, y, true);
        if (w->spans.n > 1)
            qsort(w->spans.v, w->spans.n, sizeof(struct span), svg_span_cmp);
        svg_spans(&s, t, (const struct span *)w->spans.v, w->spans.n, y, false);
        svg_marks(&s, (const struct steal_mark *)w->marks.v, w->marks.n, y);
        fputs("</g>\n", s.f);
    }
    fputs("</svg>\n", s.f);
    bad = ferror(s.f);
    if (fclose(s.f) != 0 || bad) {
        if (errno == 0)
            errno = EIO;
        return -1;
    }
    return 0;
}

#endif /* WEFT_TOOLS_TRACE_SVG_H */
