/* SPDX-License-Identifier: MIT */
/*
 * chaos.c - the chaos points of a WEFT_CHAOS=ON build (chaos.h). Empty in
 * every other build.
 *
 * Each thread draws from its own xorshift64* generator, seeded from
 * WEFT_TEST_SEED (or a constant) and the order in which threads first reach
 * a point, so a seed replays the same choices per thread, though not the
 * same interleaving. Environment, read once per thread:
 *   WEFT_CHAOS_YIELD=N     sched_yield() at 1 point in N (default 16; 0 off)
 *   WEFT_CHAOS_DELAY=N     sleep at 1 point in N (default 256; 0 off)
 *   WEFT_CHAOS_DELAY_US=M  the sleep lasts 1..M microseconds (default 50)
 */
#ifdef WEFT_CHAOS

#    include "chaos.h"

#    include <errno.h>
#    include <sched.h>
#    include <stdatomic.h>
#    include <stdint.h>
#    include <stdlib.h>
#    include <time.h>

struct chaos_state {
    uint64_t rng;    /* 0: not yet seeded */
    uint64_t yield;  /* 1 in yield points yields; 0 never */
    uint64_t delay;  /* 1 in delay points sleeps; 0 never */
    uint64_t max_us; /* sleep length bound */
};

static _Thread_local struct chaos_state chaos;
static _Atomic uint64_t chaos_threads;

static uint64_t
env_u64(const char *name, uint64_t dflt)
{
    const char *s = getenv(name);
    return (s && *s) ? strtoull(s, NULL, 0) : dflt;
}

static void
chaos_seed(void)
{
    /* relaxed: a ticket; only its uniqueness matters. */
    uint64_t n =
        atomic_fetch_add_explicit(&chaos_threads, 1, memory_order_relaxed);
    uint64_t s = env_u64("WEFT_TEST_SEED", 0x5eedULL);

    chaos.yield = env_u64("WEFT_CHAOS_YIELD", 16);
    chaos.delay = env_u64("WEFT_CHAOS_DELAY", 256);
    chaos.max_us = env_u64("WEFT_CHAOS_DELAY_US", 50);
    if (chaos.max_us == 0)
        chaos.max_us = 1;
    /* splitmix64 of (seed, thread ordinal): never 0 in practice; forced. */
    s += (n + 1) * 0x9e3779b97f4a7c15ULL;
    s = (s ^ (s >> 30)) * 0xbf58476d1ce4e5b9ULL;
    s = (s ^ (s >> 27)) * 0x94d049bb133111ebULL;
    chaos.rng = (s ^ (s >> 31)) | 1;
}

static uint64_t
chaos_rand(void)
{
    uint64_t x = chaos.rng;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    chaos.rng = x;
    return x * 0x2545f4914f6cdd1dULL;
}

void
weft__chaos_point(void)
{
    int saved = errno; /* a point may sit near a syscall's errno check */
    uint64_t r;

    if (chaos.rng == 0)
        chaos_seed();
    r = chaos_rand();
    if (chaos.delay != 0 && (r >> 32) % chaos.delay == 0) {
        struct timespec ts = {0, (long)(1000 * (1 + r % chaos.max_us))};
        nanosleep(&ts, NULL);
    } else if (chaos.yield != 0 && (r >> 16) % chaos.yield == 0) {
        sched_yield();
    }
    errno = saved;
}

#endif /* WEFT_CHAOS */
