/* SPDX-License-Identifier: MIT */
/*
 * weft/sync.h - the synchronisation primitives of Python's threading module
 * (and Java's CountDownLatch): lock, rlock, cond, event, sem, latch,
 * barrier.
 *
 * All are caller-embedded objects (libdill style): the caller owns the
 * storage (static, on the stack, inside its own structs), calls
 * weft_<x>_init() before any other use and weft_<x>_fini() after the last.
 * The layouts are private and not ABI-stable before 1.0: treat the
 * weft_private arrays as opaque. Using an object that was never
 * initialised, or after fini, is undefined.
 *
 * Common contract:
 * - Thread safety: every function may run concurrently on the same object
 *   from any threads, except init and fini: no other call on the object
 *   may run during them (nor after fini).
 * - Return codes: 0, or a negative WEFT_E* (common.h). NULL object
 *   pointers give -EINVAL, never a crash.
 * - Deadlines are absolute CLOCK_MONOTONIC ns (weft_deadline_in()):
 *   WEFT_DEADLINE_POLL never blocks, WEFT_DEADLINE_NEVER waits forever.
 *   A wait whose deadline passes returns -ETIMEDOUT.
 * - Uncontended paths (lock/unlock, event set/wait on a set event, sem
 *   acquire with a count, ...) are one or two atomic operations and make
 *   no system call. Waiters spin for a microsecond or two, then sleep on
 *   a futex: an idle waiter uses no CPU.
 * - Context: any thread. Called from a task on a weft worker, a blocking
 *   wait blocks that worker thread (it does not run other tasks
 *   meanwhile). Before it sleeps, an idle worker is woken if its deque
 *   holds work, and the other workers keep stealing from that deque, so
 *   nothing queued there is stranded; the pool runs one worker short
 *   until the wait ends. Prefer short waits (or
 *   WEFT_DEADLINE_POLL) inside tasks.
 */
#ifndef WEFT_SYNC_H
#define WEFT_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <weft/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- weft_lock: a non-reentrant mutex (Python's threading.Lock) ------ */

struct weft_lock {
    uint32_t weft_private[2];
};

/* weft_lock_init() - an unlocked lock. Return: 0; -EINVAL (NULL). */
WEFT_API int weft_lock_init(struct weft_lock *lock);

/*
 * weft_lock_fini() - end the lock's life.
 * Return: 0; -EINVAL (NULL); -EBUSY (still locked: nothing done).
 */
WEFT_API int weft_lock_fini(struct weft_lock *lock);

/*
 * weft_lock_acquire() - take the lock, waiting until deadline.
 * Return: 0 (the caller holds it); -ETIMEDOUT; -EINVAL (NULL).
 * Not reentrant: a thread that acquires a lock it holds waits until its
 * deadline (use weft_rlock for recursion).
 * Ordering: the previous holder's release happens-before a 0 return.
 */
WEFT_API int weft_lock_acquire(struct weft_lock *lock,
                               weft_deadline_t deadline);

/*
 * weft_lock_try() - take the lock if free. Never blocks.
 * Return: true if the caller now holds it; false if it is held, or NULL.
 * Ordering as weft_lock_acquire().
 */
WEFT_API bool weft_lock_try(struct weft_lock *lock);

/*
 * weft_lock_release() - release the lock. As in Python, any thread may
 * release it, not only the acquirer.
 * Return: 0; -EINVAL (NULL); -EPERM (the lock is not locked).
 * Ordering: everything before the release happens-before the next
 * acquisition. Wakes one waiter if any (a system call only then).
 */
WEFT_API int weft_lock_release(struct weft_lock *lock);

/*
 * weft_lock_locked() - a snapshot (relaxed).
 * Return: true if it is held now; false if not, or NULL.
 */
WEFT_API bool weft_lock_locked(const struct weft_lock *lock);

/* ---- weft_rlock: a reentrant, owner-checked lock (threading.RLock) -- */

struct weft_rlock {
    uintptr_t weft_private[3];
};

/* weft_rlock_init() - Return: 0; -EINVAL (NULL). */
WEFT_API int weft_rlock_init(struct weft_rlock *lock);
/* weft_rlock_fini() - Return: 0; -EINVAL (NULL); -EBUSY (held). */
WEFT_API int weft_rlock_fini(struct weft_rlock *lock);

/*
 * weft_rlock_acquire() - take the lock, or one more level of it if the
 * calling thread already owns it (never waits then).
 * Return: 0; -ETIMEDOUT; -EINVAL (NULL); -EOVERFLOW (2^32 - 1 levels).
 */
WEFT_API int weft_rlock_acquire(struct weft_rlock *lock,
                                weft_deadline_t deadline);

/*
 * weft_rlock_release() - drop one level; the last one releases the lock.
 * Return: 0; -EINVAL (NULL); -EPERM (the caller does not own it).
 */
WEFT_API int weft_rlock_release(struct weft_rlock *lock);

/* weft_rlock_is_owned() - Return: true if the calling thread owns it;
 * false if not, or NULL. */
WEFT_API bool weft_rlock_is_owned(const struct weft_rlock *lock);

/* ---- weft_cond: a condition variable over a weft_lock ---------------- */

struct weft_cond {
    uint32_t weft_private[2];
};

/* weft_cond_init() - Return: 0; -EINVAL (NULL). */
WEFT_API int weft_cond_init(struct weft_cond *cond);
/* weft_cond_fini() - Return: 0; -EINVAL (NULL); -EBUSY (waiters). */
WEFT_API int weft_cond_fini(struct weft_cond *cond);

/*
 * weft_cond_wait() - atomically release lock and sleep until notified or
 * the deadline; re-acquire lock before returning, whatever the result
 * (it may wait past the deadline for the lock itself).
 * Return: 0 (notified, or a spurious wake-up: callers re-check their
 * predicate, or use weft_cond_wait_for()); -ETIMEDOUT; -EINVAL (NULL);
 * -EPERM (lock is not locked: nothing done).
 * Context: the caller holds lock (as for Python's Condition).
 */
WEFT_API int weft_cond_wait(struct weft_cond *cond, struct weft_lock *lock,
                            weft_deadline_t deadline);

/* A predicate for weft_cond_wait_for(): evaluated with the lock held. */
typedef bool (*weft_pred_fn)(void *arg);

/*
 * weft_cond_wait_for() - wait until pred(arg) is true (checked first, and
 * after every wake-up, with lock held), or the deadline.
 * Return: 0 (pred was true); -ETIMEDOUT (pred still false at the deadline,
 * evaluated once more after it); -EINVAL (NULL cond, lock or pred);
 * -EPERM (lock not locked).
 */
WEFT_API int weft_cond_wait_for(struct weft_cond *cond, struct weft_lock *lock,
                                weft_pred_fn pred, void *arg,
                                weft_deadline_t deadline);

/*
 * weft_cond_notify() - wake up to n waiters (n = 0 does nothing).
 * weft_cond_notify_all() - wake all waiters.
 * Return: 0; -EINVAL (NULL); -EPERM (lock not locked).
 * Context: the caller holds the lock the waiters use (it is passed so
 * that is checked, as Python raises RuntimeError). Waiters that started
 * waiting before the call are the ones woken; more may return
 * (spuriously), never fewer. A system call only when someone waits.
 */
WEFT_API int weft_cond_notify(struct weft_cond *cond, struct weft_lock *lock,
                              unsigned n);
WEFT_API int weft_cond_notify_all(struct weft_cond *cond,
                                  struct weft_lock *lock);

/* ---- weft_event: a flag threads wait for (threading.Event) ----------- */

struct weft_event {
    uint32_t weft_private[2];
};

/* weft_event_init() - a clear event. Return: 0; -EINVAL (NULL). */
WEFT_API int weft_event_init(struct weft_event *ev);
/* weft_event_fini() - Return: 0; -EINVAL (NULL). No thread may wait on
 * it (not checked: never -EBUSY). */
WEFT_API int weft_event_fini(struct weft_event *ev);

/*
 * weft_event_set() - set the flag and wake every waiter.
 * Return: 0; -EINVAL. Ordering: writes before set() happen-before every
 * wait() that returns 0 because of it. No system call when no one waits.
 */
WEFT_API int weft_event_set(struct weft_event *ev);
/* weft_event_clear() - clear the flag. Return: 0; -EINVAL. */
WEFT_API int weft_event_clear(struct weft_event *ev);
/* weft_event_is_set() - Return: the flag now (acquire: true orders as a
 * wait() returning 0); false for NULL. */
WEFT_API bool weft_event_is_set(const struct weft_event *ev);

/*
 * weft_event_wait() - return once the flag is set, or at the deadline.
 * Return: 0 (the flag was seen set); -ETIMEDOUT; -EINVAL (NULL). As in
 * Python, a set() followed at once by clear() may or may not release a
 * waiter; a waiter that was already asleep at the set() is released.
 */
WEFT_API int weft_event_wait(struct weft_event *ev, weft_deadline_t deadline);

/* ---- weft_sem: counting semaphores (threading.[Bounded]Semaphore) ---- */

struct weft_sem {
    uint32_t weft_private[4];
};

/* The largest count a semaphore holds. */
#define WEFT_SEM_VALUE_MAX 0x7fffffffu

/*
 * weft_sem_init() - a semaphore with count value. max 0: unbounded (up to
 * WEFT_SEM_VALUE_MAX); else a bounded semaphore whose count may never
 * exceed max (Python's BoundedSemaphore(value) is max = value).
 * Return: 0; -EINVAL (NULL, value > max when bounded, value or max above
 * WEFT_SEM_VALUE_MAX).
 */
WEFT_API int weft_sem_init(struct weft_sem *sem, uint32_t value, uint32_t max);
/* weft_sem_fini() - Return: 0; -EINVAL; -EBUSY (threads wait on it). */
WEFT_API int weft_sem_fini(struct weft_sem *sem);

/*
 * weft_sem_acquire() - take one unit, waiting until deadline.
 * Return: 0; -ETIMEDOUT; -EINVAL. Not FIFO among waiters.
 * Ordering: the release() whose unit this is happens-before the return.
 */
WEFT_API int weft_sem_acquire(struct weft_sem *sem, weft_deadline_t deadline);
/* weft_sem_try() - take one unit if there is one; never blocks.
 * Return: true if a unit was taken; false if none, or NULL. */
WEFT_API bool weft_sem_try(struct weft_sem *sem);

/*
 * weft_sem_release() - add n units (n >= 1) and wake up to n waiters.
 * Return: 0; -EINVAL (NULL, n == 0); -EOVERFLOW (the count would exceed
 * max, or WEFT_SEM_VALUE_MAX: nothing is added).
 */
WEFT_API int weft_sem_release(struct weft_sem *sem, uint32_t n);
/* weft_sem_value() - Return: the count now (a relaxed snapshot); 0 for
 * NULL. */
WEFT_API uint32_t weft_sem_value(const struct weft_sem *sem);

/* ---- weft_latch: a count-down latch (Java's CountDownLatch) ---------- */

struct weft_latch {
    uint32_t weft_private[2];
};

/* weft_latch_init() - Return: 0; -EINVAL (NULL, count > INT32_MAX). */
WEFT_API int weft_latch_init(struct weft_latch *latch, uint32_t count);
/* weft_latch_fini() - Return: 0; -EINVAL; -EBUSY (threads wait on it). */
WEFT_API int weft_latch_fini(struct weft_latch *latch);

/*
 * weft_latch_count_down() - subtract n (saturating at zero, as Java's
 * countDown does nothing at zero; n == 0 does nothing); reaching zero
 * releases every waiter.
 * Return: 0; -EINVAL (NULL). Ordering: every count_down happens-before
 * the return of every wait() that sees zero.
 */
WEFT_API int weft_latch_count_down(struct weft_latch *latch, uint32_t n);
/* weft_latch_count() - Return: the count now (acquire: 0 orders as a
 * wait() returning 0); 0 for NULL. */
WEFT_API uint32_t weft_latch_count(const struct weft_latch *latch);
/* weft_latch_wait() - wait until the count is zero.
 * Return: 0; -ETIMEDOUT; -EINVAL (NULL). */
WEFT_API int weft_latch_wait(struct weft_latch *latch,
                             weft_deadline_t deadline);

/* ---- weft_barrier: a cyclic barrier (threading.Barrier) -------------- */

struct weft_barrier {
    uintptr_t weft_private[10];
};

/* Run once per cycle by the last thread to arrive, before any is let go;
 * nonzero breaks the barrier (Python: the action raised). */
typedef int (*weft_barrier_action_fn)(void *arg);

/*
 * weft_barrier_init() - a barrier for parties threads; action (may be
 * NULL) runs once per cycle, called with arg.
 * Return: 0; -EINVAL (NULL, parties == 0 or > INT32_MAX).
 */
WEFT_API int weft_barrier_init(struct weft_barrier *b, unsigned parties,
                               weft_barrier_action_fn action, void *arg);
/* weft_barrier_fini() - Return: 0; -EINVAL; -EBUSY (threads inside). */
WEFT_API int weft_barrier_fini(struct weft_barrier *b);

/*
 * weft_barrier_wait() - arrive and wait for the other parties.
 * *index (may be NULL) gets a distinct value in [0, parties) per thread of
 * the cycle (parties - 1 for the thread that ran the action).
 * Return: 0 (the cycle completed); -EPIPE (the barrier is or became
 * broken: abort(), reset() while waiting, another thread's deadline or a
 * failed action); -ETIMEDOUT (this thread's deadline passed, also before
 * it could arrive: it breaks the barrier, so the others get -EPIPE; if
 * another cycle's action is running then, the break and the return wait
 * for that action to finish); the action's own nonzero code (to
 * the thread that ran it; the others get -EPIPE); -EDEADLK (called from
 * the action); -EINVAL (NULL).
 * Ordering: everything each party did before arriving happens-before the
 * action and every 0 return of the cycle.
 * Context: the action runs with the barrier's internal lock held: it must
 * not call this barrier's functions (they return -EDEADLK).
 */
WEFT_API int weft_barrier_wait(struct weft_barrier *b, weft_deadline_t deadline,
                               unsigned *index);

/* weft_barrier_abort() - break it: current and future waiters get -EPIPE
 * until weft_barrier_reset(). Return: 0; -EINVAL; -EDEADLK (from the
 * action). */
WEFT_API int weft_barrier_abort(struct weft_barrier *b);
/* weft_barrier_reset() - back to the empty state; threads waiting now get
 * -EPIPE. Return: 0; -EINVAL; -EDEADLK (from the action). */
WEFT_API int weft_barrier_reset(struct weft_barrier *b);
/* Relaxed snapshots. Return: parties: the party count; n_waiting: threads
 * arrived in the cycle now filling; broken: whether it is broken. 0/false
 * for NULL. Callable from the action too (they take no lock). */
WEFT_API unsigned weft_barrier_parties(const struct weft_barrier *b);
WEFT_API unsigned weft_barrier_n_waiting(const struct weft_barrier *b);
WEFT_API bool weft_barrier_broken(const struct weft_barrier *b);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_SYNC_H */
