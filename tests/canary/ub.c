/* SPDX-License-Identifier: MIT */
/*
 * ub.c - the UBSan canary (tests/tsan_canary.cmake): a signed overflow the
 * asan preset (address;undefined, -fno-sanitize-recover=all) must stop
 * with a "runtime error". -DCANARY_CLEAN is the twin that stays in range.
 */
#include <limits.h>
#include <stdio.h>

/* volatile: the value is not known at compile time. */
static volatile int base = INT_MAX - 1;

int
main(void)
{
#ifdef CANARY_CLEAN
    int step = -1;
#else
    int step = 2;
#endif
    int sum = base + step; /* overflows unless CANARY_CLEAN */

    printf("ub: %d\n", sum);
    return 0;
}
