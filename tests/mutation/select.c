/* SPDX-License-Identifier: MIT */
/*
 * select.c - linked into the library only when CMake's WEFT_MUTATE is
 * "select" (runtime/mutate.h): the environment variable WEFT_MUTANT picks
 * the mutant before main(); unset or 0 runs the correct code.
 */
#include <stdlib.h>

#include <weft/pool.h>

#include "mutate.h"

int weft__mutant;

/* For the inline spawn/sync's mutants 4 and 5 (weft/pool.h). */
WEFT_API int
weft_mutation_selected(void)
{
    return weft__mutant;
}

__attribute__((constructor)) static void
mutant_select(void)
{
    const char *s = getenv("WEFT_MUTANT");

    /* Before main(), before any thread: a plain store. */
    weft__mutant = s != NULL ? atoi(s) : 0;
}
