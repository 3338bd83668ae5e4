/* SPDX-License-Identifier: MIT */
/*
 * bench_sync.c - the cost of the uncontended paths (one thread) and of a
 * contended lock (2 threads), in ns per operation:
 *   lock_acquire_release  weft_lock vs pthread_mutex (system "mutex");
 *   event_set_wait_clear  weft_event vs a mutex+condvar flag ("mutex");
 *   sem_release_acquire   weft_sem vs POSIX sem_t ("posix");
 *   lock_contended        2 threads incrementing one counter under the lock.
 * N: WEFT_BENCH_SYNC_N (10M; 1M in --quick). With the argument
 * "uncontended" only the single-thread rows run: `strace -f -c
 * bench_sync uncontended` then shows that they make no futex call.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

#include <weft/sync.h>

#include "bench.h"

static unsigned long n;

static double
per_op(uint64_t t0, unsigned long ops)
{
    return (double)(bench_now_ns() - t0) / (double)ops;
}

static void
uncontended(void)
{
    struct weft_lock wl;
    pthread_mutex_t pm = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t pc = PTHREAD_COND_INITIALIZER;
    struct weft_event ev;
    struct weft_sem ws;
    sem_t ps;
    int flag = 0;
    uint64_t t0;

    weft_lock_init(&wl);
    t0 = bench_now_ns();
    for (unsigned long i = 0; i < n; i++) {
        weft_lock_acquire(&wl, WEFT_DEADLINE_NEVER);
        weft_lock_release(&wl);
    }
    bench_emit("lock_acquire_release", "threads=1", "weft", per_op(t0, n),
               "ns/op", "lower");
    t0 = bench_now_ns();
    for (unsigned long i = 0; i < n; i++) {
        pthread_mutex_lock(&pm);
        pthread_mutex_unlock(&pm);
    }
    bench_emit("lock_acquire_release", "threads=1", "mutex", per_op(t0, n),
               "ns/op", "lower");

    weft_event_init(&ev);
    t0 = bench_now_ns();
    for (unsigned long i = 0; i < n; i++) {
        weft_event_set(&ev);
        weft_event_wait(&ev, WEFT_DEADLINE_NEVER);
        weft_event_clear(&ev);
    }
    bench_emit("event_set_wait_clear", "threads=1", "weft", per_op(t0, n),
               "ns/op", "lower");
    t0 = bench_now_ns();
    for (unsigned long i = 0; i < n; i++) {
        pthread_mutex_lock(&pm);
        flag = 1;
        pthread_cond_broadcast(&pc);
        pthread_mutex_unlock(&pm);
        pthread_mutex_lock(&pm);
        while (!flag)
            pthread_cond_wait(&pc, &pm);
        pthread_mutex_unlock(&pm);
        pthread_mutex_lock(&pm);
        flag = 0;
        pthread_mutex_unlock(&pm);
    }
    bench_emit("event_set_wait_clear", "threads=1", "mutex", per_op(t0, n),
               "ns/op", "lower");

    weft_sem_init(&ws, 0, 0);
    t0 = bench_now_ns();
    for (unsigned long i = 0; i < n; i++) {
        weft_sem_release(&ws, 1);
        weft_sem_acquire(&ws, WEFT_DEADLINE_NEVER);
    }
    bench_emit("sem_release_acquire", "threads=1", "weft", per_op(t0, n),
               "ns/op", "lower");
    sem_init(&ps, 0, 0);
    t0 = bench_now_ns();
    for (unsigned long i = 0; i < n; i++) {
        sem_post(&ps);
        sem_wait(&ps);
    }
    bench_emit("sem_release_acquire", "threads=1", "posix", per_op(t0, n),
               "ns/op", "lower");
}

static struct weft_lock cl;
static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static unsigned long counter;
static int use_weft;

static void *
contender(void *arg)
{
    (void)arg;
    for (unsigned long i = 0; i < n / 2; i++) {
        if (use_weft) {
            weft_lock_acquire(&cl, WEFT_DEADLINE_NEVER);
            counter++;
            weft_lock_release(&cl);
        } else {
            pthread_mutex_lock(&cm);
            counter++;
            pthread_mutex_unlock(&cm);
        }
    }
    return NULL;
}

static void
contended(void)
{
    for (use_weft = 1; use_weft >= 0; use_weft--) {
        pthread_t t[2];
        uint64_t t0;

        weft_lock_init(&cl);
        counter = 0;
        t0 = bench_now_ns();
        for (int i = 0; i < 2; i++)
            pthread_create(&t[i], NULL, contender, NULL);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        if (counter != n / 2 * 2) {
            fprintf(stderr, "bench_sync: lost increments\n");
            exit(1);
        }
        bench_emit("lock_contended", "threads=2", use_weft ? "weft" : "mutex",
                   per_op(t0, counter), "ns/op", "lower");
    }
}

static void *
nothing(void *arg)
{
    return arg;
}

int
main(int argc, char **argv)
{
    pthread_t t;

    /* glibc skips the atomic instructions of its locks while a process has
     * only ever had one thread: start one, so "mutex" is the real cost. */
    pthread_create(&t, NULL, nothing, NULL);
    pthread_join(t, NULL);
    n = bench_size("WEFT_BENCH_SYNC_N", 10000000, 1000000);
    uncontended();
    if (argc < 2 || strcmp(argv[1], "uncontended") != 0)
        contended();
    return 0;
}
