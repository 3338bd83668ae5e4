/* SPDX-License-Identifier: MIT */
/*
 * rcu.c - weft's RCU layer over liburcu's QSBR flavour: per-thread reader
 * state, the scheduler hooks and the public reader calls of map.h.
 *
 * Concurrency protocol (all state here is thread-local; the shared state
 * is liburcu's, whose own barriers order it).
 * [R1] A thread is a QSBR reader while registered. Online, it may hold
 *      references to map nodes; a grace period waits until every online
 *      reader announced a quiescent state or went offline.
 * [R2] weft workers and attached threads stay online ("fast"): their read
 *      sections are free. They announce a quiescent state every
 *      WEFT__RCU_QS_EVERY tasks (between tasks no node is held) and go
 *      offline around every park/blocking wait.
 * [R3] other threads are offline except inside read sections: the
 *      outermost enter goes online (store + full barrier), the outermost
 *      exit goes offline (full barriers), so they never delay a grace
 *      period while not in a map call.
 * [R4] offline requests inside a read section (a task blocking inside a
 *      map callback: a contract violation) are deferred to the end of the
 *      section, so nothing is ever freed under a reader.
 * [R5] TSan: before each quiescent announcement or going offline the
 *      thread releases weft__rcu_gp_token; call_rcu callbacks and the code
 *      after rcu_barrier acquire it (map.c). This is the happens-before
 *      edge liburcu's grace period provides but TSan cannot see.
 */
#include "rcu.h"

#include <pthread.h>

/* The inline QSBR fast paths (rcu.h includes atomics.h, so WEFT_TSAN is
 * known here), except under TSan: inlined into our instrumented code,
 * liburcu's own plain accesses would be reported as races. */
#ifndef WEFT_TSAN
#    define _LGPL_SOURCE
#endif
#include <urcu/urcu-qsbr.h>
/* struct urcu_qsbr_reader, for fork (also when the fast paths are not
 * inlined). */
#include <urcu/static/urcu-qsbr.h>

#include <weft/map.h>

__thread struct weft__rcu_tls weft__rcu_tls
    __attribute__((tls_model("initial-exec")));
char weft__rcu_gp_token;
char weft__rcu_cb_token;

/* Registered threads (fork): guarded by reg_lock. */
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct weft__rcu_tls *reg_head;
static bool fork_was_online;

static void
reg_add(struct weft__rcu_tls *t)
{
    t->reader = &URCU_TLS(urcu_qsbr_reader);
    pthread_mutex_lock(&reg_lock);
    t->reg_prev = NULL;
    t->reg_next = reg_head;
    if (reg_head != NULL)
        reg_head->reg_prev = t;
    reg_head = t;
    pthread_mutex_unlock(&reg_lock);
}

static void
reg_remove(struct weft__rcu_tls *t)
{
    pthread_mutex_lock(&reg_lock);
    if (t->reg_prev != NULL)
        t->reg_prev->reg_next = t->reg_next;
    else
        reg_head = t->reg_next;
    if (t->reg_next != NULL)
        t->reg_next->reg_prev = t->reg_prev;
    pthread_mutex_unlock(&reg_lock);
}

static pthread_key_t rcu_key;
static pthread_once_t rcu_once = PTHREAD_ONCE_INIT;
static int rcu_key_ok;

/* Thread exit of a thread still registered: leave the registry. */
static void
rcu_thread_exit(void *arg)
{
    struct weft__rcu_tls *t = &weft__rcu_tls;

    (void)arg;
    if (!t->registered)
        return;
    weft__map_thread_exit();
    /* [R5] */
    WEFT_RCU_READER_END();
    urcu_qsbr_unregister_thread();
    reg_remove(t);
    *t = (struct weft__rcu_tls){0};
}

static void
rcu_key_init(void)
{
    rcu_key_ok = pthread_key_create(&rcu_key, rcu_thread_exit) == 0;
}

/* Register the calling thread (it is then online). 0 or -EAGAIN. */
static int
rcu_register(void)
{
    struct weft__rcu_tls *t = &weft__rcu_tls;

    if (t->registered)
        return 0;
    pthread_once(&rcu_once, rcu_key_init);
    if (!rcu_key_ok || pthread_setspecific(rcu_key, t) != 0)
        return -EAGAIN;
    urcu_qsbr_register_thread();
    reg_add(t);
    t->registered = true;
    t->is_online = true;
    return 0;
}

static void
rcu_go_online(struct weft__rcu_tls *t)
{
    if (t->is_online)
        return;
    urcu_qsbr_thread_online();
    t->is_online = true;
}

static void
rcu_go_offline(struct weft__rcu_tls *t)
{
    if (!t->is_online)
        return;
    /* [R5] */
    WEFT_RCU_READER_END();
    urcu_qsbr_thread_offline();
    t->is_online = false;
}

static void
rcu_update_fast(struct weft__rcu_tls *t)
{
    t->fast = t->online_mode && t->offline == 0 && t->is_online;
}

int
weft__rcu_enter_slow(void)
{
    struct weft__rcu_tls *t = &weft__rcu_tls;
    int rc;

    /* depth was already incremented by weft__rcu_read_enter(). */
    if (!t->registered) {
        rc = rcu_register();
        if (rc != 0) {
            t->depth--;
            return rc;
        }
    }
    /* [R3] outermost section: go online. */
    rcu_go_online(t);
    return 0;
}

void
weft__rcu_exit_slow(void)
{
    struct weft__rcu_tls *t = &weft__rcu_tls;

    /* [R3]/[R4] outermost section of a thread that is not fast. */
    if (t->depth == 0 && !t->fast)
        rcu_go_offline(t);
}

int
weft__rcu_barrier(void)
{
    struct weft__rcu_tls *t = &weft__rcu_tls;
    bool was_online = t->is_online;

    if (t->depth > 0)
        return -EDEADLK;
    /* An online caller would wait for itself: go offline around it. */
    if (was_online) {
        rcu_go_offline(t);
        t->fast = false;
    }
    urcu_qsbr_barrier();
    /* [R5] every callback queued before ran: their work (frees, node_free)
     * happens-before what follows. */
    WEFT_RCU_GP_DONE();
    WEFT_HB_ACQUIRE(&weft__rcu_cb_token);
    if (was_online) {
        rcu_go_online(t);
        rcu_update_fast(t);
    }
    return 0;
}

/* ---- the calling thread in online mode ----------------------------------- */

static int
online_mode_enter(void)
{
    struct weft__rcu_tls *t = &weft__rcu_tls;
    int rc;

    if (t->depth > 0)
        return -EDEADLK;
    if (t->online_mode)
        return 0;
    rc = rcu_register();
    if (rc != 0)
        return rc;
    rcu_go_online(t);
    t->online_mode = true;
    t->offline = 0;
    t->countdown = WEFT__RCU_QS_EVERY;
    rcu_update_fast(t);
    return 0;
}

static void
quiescent_now(struct weft__rcu_tls *t)
{
    if (!t->fast || t->depth > 0)
        return;
    /* [R5] */
    WEFT_RCU_READER_END();
    urcu_qsbr_quiescent_state();
}

void
weft__rcu_worker_enter(void)
{
    /* -EAGAIN (no pthread key) leaves the worker an outside reader:
     * correct, only slower. */
    (void)online_mode_enter();
    weft__rcu_tls.worker = true;
}

void
weft__rcu_worker_quiescent(void)
{
    struct weft__rcu_tls *t = &weft__rcu_tls;

    /* [R2] a countdown: the announcement itself is a shared load, plus
     * barriers when a grace period waits for us. */
    if (weft_likely(--t->countdown != 0))
        return;
    t->countdown = WEFT__RCU_QS_EVERY;
    quiescent_now(t);
}

void
weft__rcu_worker_offline(void)
{
    struct weft__rcu_tls *t = &weft__rcu_tls;

    t->offline++;
    t->fast = false;
    /* [R4] inside a read section: deferred to its end. */
    if (t->depth == 0)
        rcu_go_offline(t);
}

void
weft__rcu_worker_online(void)
{
    struct weft__rcu_tls *t = &weft__rcu_tls;

    if (t->offline == 0)
        return;
    if (--t->offline == 0 && t->online_mode)
        rcu_go_online(t);
    rcu_update_fast(t);
}

void
weft__rcu_worker_exit(void)
{
    struct weft__rcu_tls *t = &weft__rcu_tls;

    if (t->registered) {
        weft__map_thread_exit();
        /* [R5] */
        WEFT_RCU_READER_END();
        urcu_qsbr_unregister_thread();
        reg_remove(t);
        pthread_setspecific(rcu_key, NULL);
    }
    *t = (struct weft__rcu_tls){0};
}

/* ---- fork (rcu.h) --------------------------------------------------- */

void
weft__rcu_fork_prepare(void)
{
    struct weft__rcu_tls *t = &weft__rcu_tls;

    /* Online, the forking thread would hold up the grace period that a
     * call_rcu thread may be waiting for before it can pause. */
    fork_was_online = t->is_online;
    if (fork_was_online)
        rcu_go_offline(t);
    urcu_qsbr_call_rcu_before_fork();
    pthread_mutex_lock(&reg_lock);
}

void
weft__rcu_fork_parent(void)
{
    pthread_mutex_unlock(&reg_lock);
    urcu_qsbr_call_rcu_after_fork_parent();
    if (fork_was_online)
        rcu_go_online(&weft__rcu_tls);
}

void
weft__rcu_fork_child(void)
{
    struct weft__rcu_tls *self = &weft__rcu_tls, *t;

    pthread_mutex_init(&reg_lock, NULL);
    /* Only the forking thread was copied: every other registered reader
     * is gone but still in liburcu's registry, where grace periods would
     * wait for it, and glibc reuses its thread-local memory for the next
     * thread. Unlink each from the registry (what its unregister would
     * do; the only thread left cannot race with us). */
    for (t = reg_head; t != NULL; t = t->reg_next) {
        if (t != self)
            cds_list_del(&((struct urcu_qsbr_reader *)t->reader)->node);
    }
    reg_head = self->registered ? self : NULL;
    self->reg_prev = self->reg_next = NULL;
    urcu_qsbr_call_rcu_after_fork_child();
    if (fork_was_online)
        rcu_go_online(self);
}

/* ---- public reader calls (map.h) ------------------------------------------
 */

WEFT_API int
weft_map_reader_attach(void)
{
    return online_mode_enter();
}

WEFT_API int
weft_map_reader_detach(void)
{
    struct weft__rcu_tls *t = &weft__rcu_tls;

    if (t->depth > 0)
        return -EDEADLK;
    if (!t->online_mode)
        return -EPERM;
    if (t->worker)
        return -EPERM;
    t->online_mode = false;
    t->offline = 0;
    rcu_go_offline(t);
    rcu_update_fast(t);
    return 0;
}

WEFT_API void
weft_map_quiescent(void)
{
    quiescent_now(&weft__rcu_tls);
}

WEFT_API int
weft_map_offline_begin(void)
{
    if (!weft__rcu_tls.online_mode)
        return 0;
    weft__rcu_worker_offline();
    return 0;
}

WEFT_API int
weft_map_offline_end(void)
{
    struct weft__rcu_tls *t = &weft__rcu_tls;

    if (!t->online_mode)
        return 0;
    if (t->offline == 0)
        return -EPERM;
    weft__rcu_worker_online();
    return 0;
}
