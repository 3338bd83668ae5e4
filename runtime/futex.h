/* SPDX-License-Identifier: MIT */
/*
 * futex.h - park and wake on a 32-bit word (Linux futex, private).
 * Used by every blocking primitive: the uncontended path never gets here.
 */
#ifndef WEFT_FUTEX_H
#define WEFT_FUTEX_H

#include <stdatomic.h>
#include <stdint.h>

#include <weft/common.h>

/*
 * weft__futex_wait() - sleep while *word == expected, until woken or the
 * absolute CLOCK_MONOTONIC deadline passes.
 * Return: 0 (woken, value changed or spurious: re-check), -ETIMEDOUT.
 */
int weft__futex_wait(_Atomic uint32_t *word, uint32_t expected,
                     weft_deadline_t deadline);

/* weft__futex_wake() - wake up to n sleepers on word (INT32_MAX: all). */
void weft__futex_wake(_Atomic uint32_t *word, int n);

/*
 * weft__futex_wait_woken() / weft__futex_wake_count() - the same, telling
 * who woke whom (syncwait.h [E4] counts its sleepers with them).
 * Return: wait_woken: 1 when a wake took this sleeper off the futex (each
 * such sleeper is counted in exactly one wake_count return), 0 otherwise
 * (value changed, signal), -ETIMEDOUT; wake_count: the sleepers woken.
 */
int weft__futex_wait_woken(_Atomic uint32_t *word, uint32_t expected,
                           weft_deadline_t deadline);
int weft__futex_wake_count(_Atomic uint32_t *word, int n);

#endif /* WEFT_FUTEX_H */
