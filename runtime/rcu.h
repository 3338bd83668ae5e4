/* SPDX-License-Identifier: MIT */
/*
 * rcu.h - weft's RCU layer (liburcu's QSBR flavour) and the scheduler
 * hooks. Does not include <urcu/...>: only rcu.c and map.c do.
 *
 * Every thread that touches a weft map is a QSBR reader, in one of two
 * modes:
 *  - ONLINE (weft workers, and threads that called
 *    weft_map_thread_online()): registered and online all the time; a read
 *    section costs nothing. The thread announces quiescent states between
 *    tasks (weft__rcu_worker_quiescent) and goes offline around every
 *    blocking wait, so grace periods never wait on a sleeping thread.
 *  - OUTSIDE (any other thread): registered on first use, unregistered at
 *    thread exit (pthread key destructor), and offline except inside a map
 *    operation: each outermost operation goes online and offline again
 *    (about three full barriers).
 *
 * Contract for code running on an ONLINE thread: between two quiescent
 * announcements it holds every node it looked at. So a map callback
 * (get_with, compute, foreach) must not block, and a task that runs for a
 * long time delays every grace period, and with it the freeing of removed
 * entries, until it returns or calls weft_map_quiescent().
 */
#ifndef WEFT_RCU_H
#define WEFT_RCU_H

#include <stdbool.h>

#include "atomics.h"
#include "internal.h"

/* ---- scheduler hooks (called by the worker loop) ----------------------- */

/* Worker thread start: register as a QSBR reader, online. */
void weft__rcu_worker_enter(void);
/* After every task: cheap; announces a quiescent state every
 * WEFT__RCU_QS_EVERY tasks (or at once when a grace period waits). */
void weft__rcu_worker_quiescent(void);
/* Around every park or blocking wait of a worker (nestable). */
void weft__rcu_worker_offline(void);
void weft__rcu_worker_online(void);
/* Worker thread end: unregister. */
void weft__rcu_worker_exit(void);

#define WEFT__RCU_QS_EVERY 16u

/* ---- used by map.c ----------------------------------------------------- */

/*
 * Per-thread state. Invariant: fast == (online_mode && offline == 0), and
 * fast implies is_online. A thread that is not fast is offline (or not
 * registered) whenever depth == 0.
 */
struct weft__rcu_tls {
    bool fast;
    bool registered;
    bool is_online;     /* the liburcu QSBR state of this thread */
    bool online_mode;   /* worker or weft_map_reader_attach() */
    bool worker;        /* between weft__rcu_worker_enter() and exit */
    unsigned offline;   /* nesting of offline requests (online mode) */
    unsigned depth;     /* nesting of read sections (map callbacks) */
    unsigned countdown; /* tasks until the next quiescent announcement */
    /* While registered: liburcu's reader record of this thread, and the
     * list of registered threads (rcu.c, for fork). */
    void *reader;
    struct weft__rcu_tls *reg_next, *reg_prev;
};
extern __thread struct weft__rcu_tls weft__rcu_tls
    __attribute__((tls_model("initial-exec")));

/* Fork (pthread_atfork handlers, called by scheduler.c): pause liburcu's
 * call_rcu threads around fork(); in the child, the readers registered by
 * threads that the fork did not copy count as offline, so grace periods
 * (and the maps' frees) do not wait for them forever. */
void weft__rcu_fork_prepare(void);
void weft__rcu_fork_parent(void);
void weft__rcu_fork_child(void);

/* map.c [M8]/[M9]: hand the calling thread's batch of retired nodes to
 * call_rcu; at thread exit also free its cache of reusable nodes. rcu.c
 * calls the latter before a thread unregisters, so nothing of a thread's
 * outlives it. */
void weft__map_retire_flush(void);
void weft__map_thread_exit(void);

/* Slow paths of the read section: register, go online / offline. */
int weft__rcu_enter_slow(void);
void weft__rcu_exit_slow(void);

/* TSan: read sections end by releasing this token; grace-period users
 * (call_rcu callbacks, after a barrier) acquire it (tsan-recipe). */
extern char weft__rcu_gp_token;
#define WEFT_RCU_READER_END() WEFT_HB_RELEASE(&weft__rcu_gp_token)
#define WEFT_RCU_GP_DONE()    WEFT_HB_ACQUIRE(&weft__rcu_gp_token)
/* The end of every call_rcu callback releases this token; the code after
 * rcu_barrier() acquires it (the callbacks' work happened-before). */
extern char weft__rcu_cb_token;
#define WEFT_RCU_CALLBACK_END() WEFT_HB_RELEASE(&weft__rcu_cb_token)

/*
 * A read section around every cds_lfht operation (nestable).
 * Return: 0; -EAGAIN when the thread could not be registered (out of
 * pthread keys), and then the section was not entered.
 */
static inline int
weft__rcu_read_enter(void)
{
    weft__rcu_tls.depth++;
    if (weft_likely(weft__rcu_tls.fast))
        return 0;
    return weft__rcu_enter_slow();
}

static inline void
weft__rcu_read_exit(void)
{
    weft__rcu_tls.depth--;
    if (weft_unlikely(!weft__rcu_tls.fast))
        weft__rcu_exit_slow();
}

/*
 * rcu_barrier() from any thread: goes offline around it if needed.
 * Return: 0; -EDEADLK inside a read section (a map callback). Not from a
 * call_rcu callback.
 */
int weft__rcu_barrier(void);

#endif /* WEFT_RCU_H */
