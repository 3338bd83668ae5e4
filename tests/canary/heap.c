/* SPDX-License-Identifier: MIT */
/*
 * uaf.c - the ASan canaries (tests/tsan_canary.cmake), one program per
 * macro, each run under the asan preset's ASAN_OPTIONS:
 *   CANARY_UAF    reads a heap block after free(): ASan must report a
 *                 heap-use-after-free;
 *   CANARY_LEAK   loses its only pointer to a block: LeakSanitizer must
 *                 report a leak at exit (detect_leaks=1);
 *   (neither)     the clean twin: the same allocation used and freed in the
 *                 right order must run without a report.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* volatile: keeps the compiler from folding the bad access away. */
static char *volatile keep;

int
main(void)
{
    char *p = malloc(64);
    int v;

    if (p == NULL)
        return 2;
    memset(p, 7, 64);
#if defined(CANARY_UAF)
    keep = p;
    free(p);
    v = keep[10]; /* use after free */
#elif defined(CANARY_LEAK)
    v = p[10];
    keep = NULL;
    p = NULL; /* the block is now unreachable */
#else
    keep = p;
    v = keep[10];
    free(p);
#endif
    printf("uaf: read %d\n", v);
    return 0;
}
