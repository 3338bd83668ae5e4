/* SPDX-License-Identifier: MIT */
/* futex.c - the one file that calls the futex system call. */
#include "futex.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

int
weft__futex_wait_woken(_Atomic uint32_t *word, uint32_t expected,
                       weft_deadline_t deadline)
{
    struct timespec ts, *tsp = NULL;
    long rc;

    if (deadline != WEFT_DEADLINE_NEVER) {
        if (weft_now_ns() >= deadline)
            return -ETIMEDOUT;
        weft__ns_to_timespec(deadline, &ts);
        tsp = &ts;
    }
    WEFT_CHAOS_POINT();
    /* FUTEX_WAIT_BITSET takes an absolute CLOCK_MONOTONIC timeout. */
    rc = syscall(SYS_futex, (uint32_t *)word,
                 FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, expected, tsp, NULL,
                 FUTEX_BITSET_MATCH_ANY);
    if (rc == 0)
        return 1; /* the kernel returns 0 only to a sleeper a wake took */
    if (errno == ETIMEDOUT)
        return -ETIMEDOUT;
    return 0;
}

int
weft__futex_wait(_Atomic uint32_t *word, uint32_t expected,
                 weft_deadline_t deadline)
{
    return weft__futex_wait_woken(word, expected, deadline) == -ETIMEDOUT
               ? -ETIMEDOUT
               : 0;
}

int
weft__futex_wake_count(_Atomic uint32_t *word, int n)
{
    long rc;

    WEFT_CHAOS_POINT();
    rc = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG,
                 n, NULL, NULL, 0);
    return rc > 0 ? (int)rc : 0;
}

void
weft__futex_wake(_Atomic uint32_t *word, int n)
{
    (void)weft__futex_wake_count(word, n);
}
