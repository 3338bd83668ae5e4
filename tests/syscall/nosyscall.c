/* SPDX-License-Identifier: MIT */
/*
 * nosyscall.c - the program behind tests/syscall.cmake: issue #5's "an
 * uncontended lock/unlock and event set/wait make no system call", and the
 * same for an uncontended queue put/get.
 *
 *   nosyscall uncontended N   N rounds of lock acquire/release, event
 *                             set/wait/clear, queue put/get (blocking,
 *                             never deadline) and try_put/try_get, all on
 *                             one thread: nothing ever waits, so no futex.
 *   nosyscall control         event waits and queue gets that time out
 *                             (CONTROL_ROUNDS of each, 10 ms each): the
 *                             check must see futex calls here, or it
 *                             cannot see them at all.
 *
 * Set-up (the first queue_create registers membarrier under pthread_once,
 * whose completion is a futex wake) runs before the measured region, which
 * is bracketed by two getppid() calls as markers. check_futex.sh runs the
 * program under strace -f -e trace=futex,getppid and counts the futex calls
 * between the markers. Exit: 0, or 1 when a call returned an unexpected
 * code.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <weft/queue.h>
#include <weft/sync.h>

#define CONTROL_ROUNDS  8
#define CONTROL_WAIT_NS (10 * WEFT_NS_PER_MS)

static int
fail(const char *what, int rc)
{
    fprintf(stderr, "nosyscall: %s returned %d\n", what, rc);
    return 1;
}

static int
uncontended(long n)
{
    struct weft_lock lock;
    struct weft_event ev;
    weft_queue_t *q;
    void *item;
    int rc;

    if ((rc = weft_lock_init(&lock)) != 0 || (rc = weft_event_init(&ev)) != 0)
        return fail("init", rc);
    if ((rc = weft_queue_create(WEFT_QUEUE_FIFO, 64, &q)) != 0)
        return fail("weft_queue_create", rc);
    (void)getppid(); /* marker: the region starts */
    for (long i = 0; i < n; i++) {
        if ((rc = weft_lock_acquire(&lock, WEFT_DEADLINE_NEVER)) != 0)
            return fail("weft_lock_acquire", rc);
        if ((rc = weft_lock_release(&lock)) != 0)
            return fail("weft_lock_release", rc);
        if ((rc = weft_event_set(&ev)) != 0)
            return fail("weft_event_set", rc);
        if ((rc = weft_event_wait(&ev, WEFT_DEADLINE_NEVER)) != 0)
            return fail("weft_event_wait", rc);
        if ((rc = weft_event_clear(&ev)) != 0)
            return fail("weft_event_clear", rc);
        if ((rc = weft_queue_put(q, (void *)(uintptr_t)i,
                                 WEFT_DEADLINE_NEVER)) != 0)
            return fail("weft_queue_put", rc);
        if ((rc = weft_queue_try_put(q, &lock)) != 0)
            return fail("weft_queue_try_put", rc);
        if ((rc = weft_queue_get(q, &item, WEFT_DEADLINE_NEVER)) != 0 ||
            item != (void *)(uintptr_t)i)
            return fail("weft_queue_get", rc);
        if ((rc = weft_queue_try_get(q, &item)) != 0 || item != &lock)
            return fail("weft_queue_try_get", rc);
    }
    (void)getppid(); /* marker: the region ends */
    weft_queue_destroy(q);
    weft_event_fini(&ev);
    weft_lock_fini(&lock);
    printf("nosyscall: %ld uncontended rounds\n", n);
    return 0;
}

static int
control(void)
{
    struct weft_event ev;
    weft_queue_t *q;
    void *item;
    int rc;

    weft_event_init(&ev);
    if ((rc = weft_queue_create(WEFT_QUEUE_FIFO, 4, &q)) != 0)
        return fail("weft_queue_create", rc);
    (void)getppid(); /* marker: the region starts */
    /* Several rounds: a thread kept off the CPU past a deadline times out
     * without sleeping (seen at load 20), but not CONTROL_ROUNDS times. */
    for (int i = 0; i < CONTROL_ROUNDS; i++) {
        rc = weft_event_wait(&ev, weft_deadline_in(CONTROL_WAIT_NS));
        if (rc != -ETIMEDOUT)
            return fail("weft_event_wait (control)", rc);
        /* A get that times out on an empty queue sleeps on a futex too. */
        rc = weft_queue_get(q, &item, weft_deadline_in(CONTROL_WAIT_NS));
        if (rc != -ETIMEDOUT)
            return fail("weft_queue_get (control)", rc);
    }
    (void)getppid(); /* marker: the region ends */
    weft_queue_destroy(q);
    weft_event_fini(&ev);
    printf("nosyscall: control done\n");
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "uncontended") == 0)
        return uncontended(argc >= 3 ? atol(argv[2]) : 100000);
    if (argc >= 2 && strcmp(argv[1], "control") == 0)
        return control();
    fprintf(stderr, "usage: nosyscall uncontended [N] | control\n");
    return 2;
}
