/* SPDX-License-Identifier: MIT */
/*
 * alloc.c - the runtime's one allocation path. Every allocation site goes
 * through here, so that a fault-injection build (-DWEFT_FAULT_INJECT,
 * fault.h) can fail each in turn.
 *
 * Fault protocol (test builds only): fault_left counts down the
 * allocations in scope (the arming thread's, or every other thread's)
 * until the armed failure; the one that moves it from 1 to 0
 * fails, and exactly one can (fetch_sub returns 1 to one caller). Sites
 * are recorded under a mutex: the test reads them after the calls.
 */
#include <stdlib.h>

#define WEFT_FAULT_NO_MACROS /* this file defines the real functions */
#include "internal.h"

void *
weft__malloc(size_t n)
{
    return malloc(n);
}

void *
weft__calloc(size_t n, size_t size)
{
    return calloc(n, size);
}

void *
weft__aligned_alloc(size_t align, size_t n)
{
    void *p;

    /* posix_memalign accepts any size; aligned_alloc wants a multiple. */
    if (posix_memalign(&p, align, n) != 0)
        return NULL;
    return p;
}

void
weft__free(void *p)
{
    free(p);
}

#ifdef WEFT_FAULT_INJECT
#    include <pthread.h>
#    include <stdatomic.h>
#    include <string.h>

#    define MAX_SITES 128

static _Atomic unsigned long fault_left; /* 0: disarmed */
static _Atomic int fault_scope;          /* enum weft__fault_scope */
static __thread int fault_armer;         /* this thread armed it */
static _Atomic unsigned long fault_count;
static _Atomic int fault_fired;
static pthread_mutex_t site_lock = PTHREAD_MUTEX_INITIALIZER;
static struct weft__fault_site sites[MAX_SITES];
static size_t nsites;

void
weft__fault_fail_at(unsigned long n, enum weft__fault_scope scope)
{
    fault_armer = 1;
    /* relaxed: as below. */
    atomic_store_explicit(&fault_scope, (int)scope, memory_order_relaxed);
    /* relaxed: set by the test before the calls it makes (and any thread
     * they start); thread creation or a queue push orders it for them. */
    atomic_store_explicit(&fault_count, 0, memory_order_relaxed);
    /* relaxed: as above. */
    atomic_store_explicit(&fault_fired, 0, memory_order_relaxed);
    /* relaxed: as above. */
    atomic_store_explicit(&fault_left, n, memory_order_relaxed);
}

unsigned long
weft__fault_count(void)
{
    /* relaxed: a statistic read after the calls returned. */
    return atomic_load_explicit(&fault_count, memory_order_relaxed);
}

int
weft__fault_fired(void)
{
    /* relaxed: read after the calls returned (they joined the thread that
     * set it, or it is the caller's own). */
    return atomic_load_explicit(&fault_fired, memory_order_relaxed);
}

size_t
weft__fault_sites(struct weft__fault_site *buf, size_t cap)
{
    size_t n;

    pthread_mutex_lock(&site_lock);
    n = nsites;
    memcpy(buf, sites, (n < cap ? n : cap) * sizeof(*buf));
    pthread_mutex_unlock(&site_lock);
    return n;
}

static void
record(const char *file, int line)
{
    size_t i;

    pthread_mutex_lock(&site_lock);
    for (i = 0; i < nsites; i++)
        if (sites[i].line == line && strcmp(sites[i].file, file) == 0)
            break;
    if (i == nsites && nsites < MAX_SITES) {
        sites[nsites].file = file;
        sites[nsites].line = line;
        nsites++;
    }
    pthread_mutex_unlock(&site_lock);
}

/* Whether this allocation is the one to fail. */
static int
should_fail(const char *file, int line)
{
    unsigned long left;

    /* relaxed: set before the calls that allocate (see fail_at). */
    if ((atomic_load_explicit(&fault_scope, memory_order_relaxed) ==
         WEFT__FAULT_CALLER) != fault_armer)
        return 0;
    /* relaxed: a statistic. */
    atomic_fetch_add_explicit(&fault_count, 1, memory_order_relaxed);
    /* relaxed: a countdown; only its value matters, not what it orders. */
    left = atomic_load_explicit(&fault_left, memory_order_relaxed);
    while (left != 0) {
        /* relaxed: the CAS only picks the one allocation that fails. */
        if (atomic_compare_exchange_weak_explicit(&fault_left, &left, left - 1,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed)) {
            if (left != 1)
                return 0;
            record(file, line);
            /* relaxed: read by the test after the calls (see fired()). */
            atomic_store_explicit(&fault_fired, 1, memory_order_relaxed);
            return 1;
        }
    }
    return 0;
}

void *
weft__fault_malloc(size_t n, const char *file, int line)
{
    return should_fail(file, line) ? NULL : weft__malloc(n);
}

void *
weft__fault_calloc(size_t n, size_t size, const char *file, int line)
{
    return should_fail(file, line) ? NULL : weft__calloc(n, size);
}

void *
weft__fault_aligned_alloc(size_t align, size_t n, const char *file, int line)
{
    return should_fail(file, line) ? NULL : weft__aligned_alloc(align, n);
}

int
weft__fault_hit(const char *file, int line)
{
    return should_fail(file, line);
}
#endif /* WEFT_FAULT_INJECT */
