/* SPDX-License-Identifier: MIT */
/*
 * joinwait.h - an owner waits for a stolen child to finish: help its thief
 * first, then spin, then yield, then sleep on the child's state word.
 * Shared by spawn/sync (task.c [T3]) and typed tasks (typed.c [Y5]).
 */
#ifndef WEFT_JOINWAIT_H
#define WEFT_JOINWAIT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct weft__worker;

/*
 * weft__join_help_fn() - one round of help for the waiter: run a job the
 * thief spawned under the child (leapfrogging). Return: true if it ran
 * one (the waiter loops without counting idle rounds), false if none.
 */
typedef bool (*weft__join_help_fn)(struct weft__worker *self, void *child);

/*
 * weft__join_wait() - return once *state has the done bit. The thief sets
 * done with a release RMW and, if it finds the waiter bit, futex-wakes
 * state; a sleep is capped at 100 us either way, so a wake that raced the
 * waiter bit costs at most that.
 * Context: worker thread (the waiter goes RCU-offline while asleep).
 */
void weft__join_wait(struct weft__worker *self, _Atomic uint32_t *state,
                     uint32_t done, uint32_t waiter, weft__join_help_fn help,
                     void *child);

#endif /* WEFT_JOINWAIT_H */
