/* SPDX-License-Identifier: MIT */
/*
 * fault.h - allocation-failure injection for tests (tests/faults.cmake).
 *
 * Built only with -DWEFT_FAULT_INJECT (the library target weft_fault): the
 * allocation macros below then pass each call site's __FILE__/__LINE__ to
 * alloc.c, which fails the n-th allocation counted from
 * weft__fault_fail_at(n) and records the site it failed. The normal
 * library has none of this: internal.h declares plain functions.
 */
#ifndef WEFT_FAULT_H
#define WEFT_FAULT_H

#include <stddef.h>

/* One failed call site (file is a string literal). */
struct weft__fault_site {
    const char *file;
    int line;
};

/* Whose allocations weft__fault_fail_at() counts. */
enum weft__fault_scope {
    WEFT__FAULT_CALLER = 0, /* the calling thread's: a deterministic order */
    WEFT__FAULT_OTHERS = 1  /* every other thread's: workers, timer, ... */
};

/*
 * weft__fault_fail_at() - fail the n-th allocation counted from now on
 * (see scope), once; 0 disarms. Resets weft__fault_count() and fired().
 */
void weft__fault_fail_at(unsigned long n, enum weft__fault_scope scope);
/* weft__fault_count() - allocations counted since weft__fault_fail_at(). */
unsigned long weft__fault_count(void);
/* weft__fault_fired() - whether the armed failure has happened. */
int weft__fault_fired(void);
/*
 * weft__fault_sites() - the distinct sites failed so far (since process
 * start) into buf[0..cap); returns how many there are.
 */
size_t weft__fault_sites(struct weft__fault_site *buf, size_t cap);

#ifdef WEFT_FAULT_INJECT
void *weft__fault_malloc(size_t n, const char *file, int line);
void *weft__fault_calloc(size_t n, size_t size, const char *file, int line);
void *weft__fault_aligned_alloc(size_t align, size_t n, const char *file,
                                int line);
/* An allocation made some other way (mmap): nonzero means fail it. */
int weft__fault_hit(const char *file, int line);
#endif
#if defined(WEFT_FAULT_INJECT) && !defined(WEFT_FAULT_NO_MACROS)
#    define weft__malloc(n) weft__fault_malloc((n), __FILE__, __LINE__)
#    define weft__calloc(n, size) \
        weft__fault_calloc((n), (size), __FILE__, __LINE__)
#    define weft__aligned_alloc(align, n) \
        weft__fault_aligned_alloc((align), (n), __FILE__, __LINE__)
#    define weft__fault_point() weft__fault_hit(__FILE__, __LINE__)
#endif

#endif /* WEFT_FAULT_H */
