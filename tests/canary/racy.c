/* SPDX-License-Identifier: MIT */
/*
 * racy.c - the TSan canary (tests/tsan_canary.cmake). Two threads increment
 * one plain int: a real data race, which TSan must report under the exact
 * TSAN_OPTIONS and suppressions the tsan preset uses. Built with
 * -DCANARY_CLEAN it is the clean twin: the same program with a mutex, which
 * must run without a report. Together they show the TSan run is neither
 * blind nor noisy.
 */
#include <pthread.h>
#include <stdio.h>

#define ROUNDS 100000

static int counter; /* shared; racy unless CANARY_CLEAN */
#ifdef CANARY_CLEAN
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
#endif

static void *
bump(void *arg)
{
    (void)arg;
    for (int i = 0; i < ROUNDS; i++) {
#ifdef CANARY_CLEAN
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
#else
        counter++;
#endif
    }
    return NULL;
}

int
main(void)
{
    pthread_t t[2];

    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, bump, NULL) != 0)
            return 2;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("racy: counter = %d of %d\n", counter, 2 * ROUNDS);
#ifdef CANARY_CLEAN
    /* The clean twin is also checked for the right answer. */
    return counter == 2 * ROUNDS ? 0 : 1;
#else
    return 0;
#endif
}
