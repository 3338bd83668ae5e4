/* SPDX-License-Identifier: MIT */
/*
 * ratelimit.c - GCRA on one atomic word (weft/ratelimit.h).
 *
 * T = emission interval (ns per permit), tau = burst * T.
 * tat = the theoretical arrival time: when the bucket would be empty again.
 * A request for n permits at time now computes new = max(tat, now) + n * T
 * and conforms iff new - tau <= now (then CAS tat: old -> new).
 *
 * Concurrency protocol:
 * [R1] tat is the only shared mutable word. Every grant is one successful
 *      CAS from the value the decision was computed on, so concurrent
 *      grants are serialised in CAS order and each adds n * T: the bound
 *      "at most rate * d + burst in any interval d" holds exactly as for
 *      one thread. relaxed is enough: no other memory is published through
 *      tat (the limiter guards no data; callers order their own).
 * [R2] acquire() reserves with the same CAS and then sleeps until
 *      new - tau; the grant time is the end of the sleep.
 * Immutable after create: T, tau, clock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include <weft/ratelimit.h>

#include "atomics.h"
#include "internal.h"

struct weft_ratelimit {
    _Alignas(WEFT_CACHELINE) _Atomic uint64_t tat; /* [R1] */
    uint64_t interval;                             /* T, ns */
    uint64_t tau;                                  /* burst * T */
    uint32_t burst;
    struct weft_clock clock;
};

static uint64_t
mono_now(void *ctx)
{
    (void)ctx;
    return weft_now_ns();
}

static int
mono_sleep_until(void *ctx, uint64_t t)
{
    struct timespec ts;
    int rc;

    (void)ctx;
    weft__ns_to_timespec(t, &ts);
    do {
        rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
    } while (rc == EINTR);
    return -rc;
}

WEFT_API int
weft_ratelimit_create(double rate_per_sec, uint32_t burst,
                      const struct weft_clock *clock, weft_ratelimit_t **out)
{
    weft_ratelimit_t *rl;
    double interval;

    if (out == NULL || !isfinite(rate_per_sec) || rate_per_sec <= 0.0 ||
        burst == 0 || burst > WEFT_RATELIMIT_MAX_BURST ||
        (clock != NULL && clock->now == NULL))
        return -EINVAL;
    interval = 1e9 / rate_per_sec;
    if (!(interval >= 1.0) || interval > 4611686018427387904.0 ||
        interval * (double)burst > 4611686018427387904.0)
        return -EINVAL;
    rl = weft__aligned_alloc(WEFT_CACHELINE, sizeof(*rl));
    if (rl == NULL)
        return -ENOMEM;
    rl->interval = (uint64_t)(interval + 0.5);
    rl->burst = burst;
    rl->tau = rl->interval * burst;
    if (clock != NULL) {
        rl->clock = *clock;
    } else {
        rl->clock.now = mono_now;
        rl->clock.sleep_until = mono_sleep_until;
        rl->clock.ctx = NULL;
    }
    atomic_init(&rl->tat, 0);
    *out = rl;
    return 0;
}

WEFT_API int
weft_ratelimit_destroy(weft_ratelimit_t *rl)
{
    if (rl == NULL)
        return -EINVAL;
    weft__free(rl);
    return 0;
}

/*
 * One GCRA step. On 0 the CAS took the permits and *due is when they are
 * granted (<= now: at once). reserve: take them even when due > now, as
 * long as due <= deadline. Otherwise -EAGAIN with *due.
 */
static int
gcra(weft_ratelimit_t *rl, uint32_t n, bool reserve, uint64_t deadline,
     uint64_t *now_out, uint64_t *due)
{
    uint64_t now = rl->clock.now(rl->clock.ctx);
    uint64_t need = (uint64_t)n * rl->interval;
    /* relaxed: [R1] no data is published through tat. */
    uint64_t tat = atomic_load_explicit(&rl->tat, memory_order_relaxed);

    *now_out = now;
    for (;;) {
        uint64_t base = tat > now ? tat : now;
        uint64_t next = base + need;

        /* Conforms iff next - tau <= now: due is when it would. */
        *due = next > rl->tau ? next - rl->tau : 0;
        if (*due > now && (!reserve || *due > deadline))
            return -EAGAIN;
        /* relaxed: [R1] the CAS order is the grant order; no payload. */
        if (atomic_compare_exchange_weak_explicit(&rl->tat, &tat, next,
                                                  memory_order_relaxed,
                                                  memory_order_relaxed))
            return 0;
    }
}

WEFT_API int
weft_ratelimit_try_acquire(weft_ratelimit_t *rl, uint32_t n, uint64_t *wait_ns)
{
    uint64_t now, due;
    int rc;

    if (rl == NULL || n == 0 || n > rl->burst)
        return -EINVAL;
    rc = gcra(rl, n, false, 0, &now, &due);
    if (rc == -EAGAIN && wait_ns != NULL)
        *wait_ns = due - now;
    return rc;
}

WEFT_API int
weft_ratelimit_acquire(weft_ratelimit_t *rl, uint32_t n,
                       weft_deadline_t deadline)
{
    uint64_t now, due;
    int rc;

    if (rl == NULL || n == 0 || n > rl->burst)
        return -EINVAL;
    if (rl->clock.sleep_until == NULL) {
        /* Without a way to sleep only an immediate grant is possible. */
        rc = gcra(rl, n, false, 0, &now, &due);
        if (rc == 0)
            return 0;
        return due > deadline ? -ETIMEDOUT : -EINVAL;
    }
    rc = gcra(rl, n, true, deadline, &now, &due);
    if (rc != 0)
        return -ETIMEDOUT;
    if (due <= now)
        return 0;
    /* [R2] reserved: sleep until the permits are due. */
    for (;;) {
        rc = rl->clock.sleep_until(rl->clock.ctx, due);
        if (rc != 0)
            return rc;
        if (rl->clock.now(rl->clock.ctx) >= due)
            return 0;
    }
}
