/* SPDX-License-Identifier: MIT */
/*
 * heap.c - the ASan canaries (tests/tsan_canary.cmake), one program per
 * macro, each run under the asan preset's ASAN_OPTIONS:
 *   CANARY_UAF   reads a heap block after free(): ASan must report a
 *                heap-use-after-free;
 *   CANARY_LEAK  loses its only pointer to a block: LeakSanitizer must
 *                report a leak at exit (detect_leaks=1);
 *   (neither)    the clean twin: the same block used, then freed, in the
 *                right order: no report.
 * The block lives on a thread that has exited by the time LSan scans, so
 * no stale copy of the pointer on a live stack can hide the leak (with the
 * block on main's stack the leak was missed in some runs).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* volatile: keeps the compiler from folding the bad access away. */
static char *volatile block;

static void *
use_block(void *arg)
{
    char *p = malloc(64);

    (void)arg;
    if (p == NULL)
        abort();
    memset(p, 7, 64);
    block = p;
#ifndef CANARY_LEAK
    free(p);
#endif
    return NULL;
}

int
main(void)
{
    pthread_t t;
    int v = 0;

    if (pthread_create(&t, NULL, use_block, NULL) != 0)
        return 2;
    pthread_join(t, NULL);
#ifdef CANARY_UAF
    v = block[10]; /* the block was freed on the thread */
#endif
    block = NULL;
    printf("heap: read %d\n", v);
    return 0;
}
