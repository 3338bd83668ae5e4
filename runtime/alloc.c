/* SPDX-License-Identifier: MIT */
/*
 * alloc.c - the runtime's one allocation path. Every allocation site goes
 * through here, so that a fault-injection build can fail each in turn.
 */
#include <stdlib.h>

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
