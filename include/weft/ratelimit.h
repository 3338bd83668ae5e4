/* SPDX-License-Identifier: MIT */
/*
 * weft/ratelimit.h - a lock-free rate limiter: GCRA (the generic cell rate
 * algorithm, a leaky bucket as a meter) on one atomic 64-bit word.
 *
 * A limiter of rate r permits/s and burst b grants, over any interval of
 * length d, at most r * d + b permits. A permit is "granted" when
 * try_acquire returns 0, or when acquire's sleep ends.
 *
 * Thread safety: every function may run concurrently on the same limiter
 * from any threads, except weft_ratelimit_destroy() (sole use, once).
 * Context: any thread; only weft_ratelimit_acquire() may block.
 */
#ifndef WEFT_RATELIMIT_H
#define WEFT_RATELIMIT_H

#include <stdint.h>

#include <weft/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_ratelimit weft_ratelimit_t;

/*
 * An injectable clock (tests use a fake one). now() returns monotonic ns;
 * sleep_until(ctx, t) returns once now() >= t (0) or early with a negative
 * code. sleep_until may be NULL when acquire() with a wait is never used
 * (acquire then returns -EINVAL instead of sleeping).
 */
struct weft_clock {
    uint64_t (*now)(void *ctx);
    int (*sleep_until)(void *ctx, uint64_t t);
    void *ctx;
};

/* The largest burst (n in one call is at most the burst). */
#define WEFT_RATELIMIT_MAX_BURST 0x7fffffffu

/*
 * weft_ratelimit_create() - a limiter granting rate_per_sec permits per
 * second on average, with bursts of up to burst at once.
 * clock: NULL for CLOCK_MONOTONIC (clock_nanosleep for sleeps); else it is
 * copied, and its now() must be monotonic and callable from any thread.
 * Deadlines passed to weft_ratelimit_acquire() are in the clock's time.
 * Return: 0; -EINVAL (NULL out, rate not finite or <= 0, an emission
 * interval 1e9/rate below 1 ns or above 2^62 ns, interval * burst above
 * 2^62 ns, burst 0 or above WEFT_RATELIMIT_MAX_BURST, clock without now);
 * -ENOMEM.
 * Ownership: on 0, pass *out to weft_ratelimit_destroy() once; clock
 * is copied, clock->ctx is borrowed until destroy.
 */
WEFT_API int weft_ratelimit_create(double rate_per_sec, uint32_t burst,
                                   const struct weft_clock *clock,
                                   weft_ratelimit_t **out);

/*
 * weft_ratelimit_destroy() - free it. Return: 0; -EINVAL (NULL).
 * Context: no other thread may use rl during or after the call.
 */
WEFT_API int weft_ratelimit_destroy(weft_ratelimit_t *rl);

/*
 * weft_ratelimit_try_acquire() - take n permits now, or none.
 * Return: 0; -EAGAIN (not enough now: *wait_ns, if wait_ns is not NULL,
 * gets how long until the n permits would be granted, assuming no one else
 * takes any); -EINVAL (NULL rl, n == 0, n > burst: never possible).
 * Thread safety: any number of threads (one CAS loop, no lock).
 * Never blocks, never makes a system call (besides the clock).
 */
WEFT_API int weft_ratelimit_try_acquire(weft_ratelimit_t *rl, uint32_t n,
                                        uint64_t *wait_ns);

/*
 * weft_ratelimit_acquire() - take n permits, sleeping exactly as long as
 * needed. The permits are reserved at once (a later caller cannot overtake
 * them: FIFO among sleepers), then the caller sleeps until they are due.
 * If they would be due after deadline, nothing is reserved and
 * -ETIMEDOUT is returned at once (no pointless sleep).
 * Return: 0; -ETIMEDOUT; -EINVAL (as try_acquire; or a wait is needed and
 * the injected clock has no sleep_until); a negative code from an injected
 * sleep_until (the reservation is then kept: those permits are spent).
 * Context: any thread; it blocks the thread (on a weft worker, the worker).
 */
WEFT_API int weft_ratelimit_acquire(weft_ratelimit_t *rl, uint32_t n,
                                    weft_deadline_t deadline);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_RATELIMIT_H */
