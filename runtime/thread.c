/* SPDX-License-Identifier: MIT */
/*
 * thread.c - named threads, join with a deadline, daemon flag, registry,
 * excepthook (weft/thread.h).
 *
 * Concurrency protocol:
 * [H1] reg.lock (a pthread mutex) guards the registry list (alive threads
 *      in start order), the excepthook and the atexit state. enumerate and
 *      active_count read the list under it: a consistent snapshot.
 * [H2] t->done: the thread stores rc, leaves the registry, then
 *      release-stores done = 1 and wakes joiners; join acquire-loads it,
 *      so everything the thread did happens-before join's 0.
 * [H3] t->started: the new thread writes its native id and registers,
 *      then release-stores started = 1; weft_thread_start() acquire-waits
 *      for it.
 * [H4] refs: the handle's and the running thread's; the last frees.
 * Threads are detached: "joined" means done was seen; after [H2] the
 * thread only drops its reference and returns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <weft/thread.h>

#include "atomics.h"
#include "futex.h"
#include "internal.h"
#include "syncwait.h"

/*
 * Pool workers call weft__thread_worker_enter(name) when they start, on
 * their own thread, and weft__thread_worker_exit() before they return
 * (internal.h, scheduler.c); that makes them visible to
 * weft_thread_current / enumerate / active_count. Neither fails (a worker
 * whose entry cannot be allocated is just not listed).
 */

struct weft_thread {
    _Atomic uint32_t done;    /* [H2] */
    _Atomic uint32_t started; /* [H3] */
    _Atomic uint32_t refs;    /* [H4] */
    int rc;
    int native_id;
    int kind;
    bool daemon;
    bool listed; /* [H1] */
    uint64_t ident;
    weft_thread_fn fn;
    void *arg;
    struct weft_thread *prev, *next; /* [H1] */
    char name[WEFT_THREAD_NAME_MAX + 1];
};

static struct {
    pthread_mutex_t lock;
    struct weft_thread *head, *tail;
    size_t n;
    weft_thread_excepthook_fn hook;
    void *hook_ctx;
    bool atexit_done;
} reg = {.lock = PTHREAD_MUTEX_INITIALIZER};

static _Atomic uint64_t next_ident = 1;
static __thread struct weft_thread *self_thread;

static void
thread_release(struct weft_thread *t)
{
    /* acq_rel: [H4] the last owner sees the other's writes. */
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1)
        weft__free(t);
}

/* Under reg.lock. */
static void
list_add(struct weft_thread *t)
{
    t->prev = reg.tail;
    t->next = NULL;
    if (reg.tail)
        reg.tail->next = t;
    else
        reg.head = t;
    reg.tail = t;
    reg.n++;
    t->listed = true;
}

static void
list_del(struct weft_thread *t)
{
    if (!t->listed)
        return;
    if (t->prev)
        t->prev->next = t->next;
    else
        reg.head = t->next;
    if (t->next)
        t->next->prev = t->prev;
    else
        reg.tail = t->prev;
    reg.n--;
    t->listed = false;
}

static void
fill_info(const struct weft_thread *t, struct weft_thread_info *i)
{
    i->ident = t->ident;
    i->native_id = t->native_id;
    i->kind = t->kind;
    i->daemon = t->daemon;
    memcpy(i->name, t->name, sizeof(i->name));
}

static void
report_failure(struct weft_thread *t, int rc)
{
    struct weft_thread_info info;
    weft_thread_excepthook_fn hook;
    void *ctx;

    fill_info(t, &info);
    pthread_mutex_lock(&reg.lock);
    hook = reg.hook;
    ctx = reg.hook_ctx;
    pthread_mutex_unlock(&reg.lock);
    if (hook != NULL) {
        hook(&info, rc, ctx);
        return;
    }
    fprintf(stderr, "weft: thread '%s' (ident %llu) failed: %d (%s)\n",
            info.name, (unsigned long long)info.ident, rc, weft_strerror(rc));
}

static void *
thread_main(void *arg)
{
    struct weft_thread *t = arg;
    char kname[16];
    int rc;

    self_thread = t;
    t->native_id = (int)gettid();
    /* The kernel keeps 15 bytes; longer names make the call fail. */
    memcpy(kname, t->name, sizeof(kname) - 1);
    kname[sizeof(kname) - 1] = '\0';
    pthread_setname_np(pthread_self(), kname);
    pthread_mutex_lock(&reg.lock);
    list_add(t);
    pthread_mutex_unlock(&reg.lock);
    /* [H3] release: native_id before started. */
    atomic_store_explicit(&t->started, 1, memory_order_release);
    weft__futex_wake(&t->started, 1);

    rc = t->fn(t->arg);
    t->rc = rc;
    if (rc != 0)
        report_failure(t, rc);
    pthread_mutex_lock(&reg.lock);
    list_del(t);
    pthread_mutex_unlock(&reg.lock);
    /* [H2] release: rc and all of fn's writes before done. */
    atomic_store_explicit(&t->done, 1, memory_order_release);
    weft__futex_wake(&t->done, INT32_MAX);
    self_thread = NULL;
    thread_release(t);
    return NULL;
}

/* atexit: join every non-daemon thread still alive (Python's shutdown). */
static void
join_non_daemon(void)
{
    for (;;) {
        struct weft_thread *t, *found = NULL;

        pthread_mutex_lock(&reg.lock);
        for (t = reg.head; t != NULL; t = t->next) {
            if (!t->daemon && t->kind == WEFT_THREAD_USER && t != self_thread) {
                found = t;
                /* relaxed: [H4] we hold the lock; it is listed. */
                atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
                break;
            }
        }
        pthread_mutex_unlock(&reg.lock);
        if (found == NULL)
            return;
        (void)weft_thread_join(found, WEFT_DEADLINE_NEVER, NULL);
        thread_release(found);
    }
}

WEFT_API int
weft_thread_start(const struct weft_thread_opts *opts, weft_thread_fn fn,
                  void *arg, weft_thread_t **out)
{
    struct weft_thread_opts o = WEFT_THREAD_OPTS_INIT;
    struct weft_thread *t;
    pthread_attr_t attr;
    pthread_t th;
    uint32_t s;
    int rc;

    if (fn == NULL || out == NULL)
        return -EINVAL;
    if (opts != NULL) {
        if (opts->size < sizeof(o))
            return -EINVAL;
        o = *opts;
    }
    t = weft__calloc(1, sizeof(*t));
    if (t == NULL)
        return -ENOMEM;
    atomic_init(&t->done, 0);
    atomic_init(&t->started, 0);
    atomic_init(&t->refs, 2);
    /* relaxed: a unique number only. */
    t->ident = atomic_fetch_add_explicit(&next_ident, 1, memory_order_relaxed);
    t->fn = fn;
    t->arg = arg;
    t->daemon = o.daemon != 0;
    t->kind = WEFT_THREAD_USER;
    if (o.name != NULL)
        snprintf(t->name, sizeof(t->name), "%s", o.name);
    else
        snprintf(t->name, sizeof(t->name), "Thread-%llu",
                 (unsigned long long)t->ident);
    pthread_mutex_lock(&reg.lock);
    if (!reg.atexit_done) {
        reg.atexit_done = true;
        (void)atexit(join_non_daemon);
    }
    pthread_mutex_unlock(&reg.lock);
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    rc = 0;
    if (o.stack_size != 0 && pthread_attr_setstacksize(&attr, o.stack_size))
        rc = -EINVAL;
    if (rc == 0 && pthread_create(&th, &attr, thread_main, t) != 0)
        rc = -EAGAIN;
    pthread_attr_destroy(&attr);
    if (rc != 0) {
        weft__free(t);
        return rc;
    }
    /* [H3] acquire: pairs with the new thread's release. */
    while ((s = atomic_load_explicit(&t->started, memory_order_acquire)) == 0)
        weft__wait_u32(&t->started, s, WEFT_DEADLINE_NEVER);
    *out = t;
    return 0;
}

WEFT_API int
weft_thread_join(weft_thread_t *t, weft_deadline_t deadline, int *rc)
{
    uint32_t d;

    if (t == NULL)
        return -EINVAL;
    if (t->kind != WEFT_THREAD_USER)
        return -EPERM;
    if (t == self_thread)
        return -EDEADLK;
    for (;;) {
        /* [H2] acquire: pairs with the thread's release of done. */
        d = atomic_load_explicit(&t->done, memory_order_acquire);
        if (d != 0)
            break;
        if (deadline == WEFT_DEADLINE_POLL || weft_now_ns() >= deadline)
            return -ETIMEDOUT;
        weft__wait_u32(&t->done, d, deadline);
    }
    if (rc != NULL)
        *rc = t->rc;
    return 0;
}

WEFT_API int
weft_thread_destroy(weft_thread_t *t)
{
    if (t == NULL)
        return -EINVAL;
    if (t->kind != WEFT_THREAD_USER)
        return -EPERM;
    thread_release(t);
    return 0;
}

WEFT_API bool
weft_thread_is_alive(const weft_thread_t *t)
{
    /* acquire: [H2] a false answer means the thread's work is visible. */
    return t != NULL &&
           atomic_load_explicit(&t->done, memory_order_acquire) == 0;
}

WEFT_API uint64_t
weft_thread_ident(const weft_thread_t *t)
{
    return t != NULL ? t->ident : 0;
}

WEFT_API int
weft_thread_native_id(const weft_thread_t *t)
{
    return t != NULL ? t->native_id : 0;
}

WEFT_API const char *
weft_thread_name(const weft_thread_t *t)
{
    return t != NULL ? t->name : NULL;
}

WEFT_API bool
weft_thread_daemon(const weft_thread_t *t)
{
    return t != NULL && t->daemon;
}

WEFT_API weft_thread_t *
weft_thread_current(void)
{
    return self_thread;
}

WEFT_API size_t
weft_threads_active_count(void)
{
    size_t n;

    pthread_mutex_lock(&reg.lock);
    n = reg.n;
    pthread_mutex_unlock(&reg.lock);
    return n;
}

WEFT_API int
weft_threads_enumerate(struct weft_thread_info *buf, size_t cap, size_t *n)
{
    struct weft_thread *t;
    size_t i = 0;

    if (n == NULL || (buf == NULL && cap > 0))
        return -EINVAL;
    pthread_mutex_lock(&reg.lock);
    for (t = reg.head; t != NULL; t = t->next, i++) {
        if (i < cap)
            fill_info(t, &buf[i]);
    }
    pthread_mutex_unlock(&reg.lock);
    *n = i;
    return i > cap ? -ENOSPC : 0;
}

WEFT_API int
weft_thread_set_excepthook(weft_thread_excepthook_fn hook, void *ctx,
                           weft_thread_excepthook_fn *old_hook, void **old_ctx)
{
    pthread_mutex_lock(&reg.lock);
    if (old_hook != NULL)
        *old_hook = reg.hook;
    if (old_ctx != NULL)
        *old_ctx = reg.hook_ctx;
    reg.hook = hook;
    reg.hook_ctx = hook != NULL ? ctx : NULL;
    pthread_mutex_unlock(&reg.lock);
    return 0;
}

/* In a forked child only the forking thread exists (Python's
 * threading._after_fork): every other registered thread is marked done
 * with rc -ECHILD, so joining it returns at once and the atexit join of
 * non-daemon threads cannot hang; it leaves the registry, and its running
 * side's reference is dropped (that thread will never drop it). */
static void
forget_others_locked(void)
{
    struct weft_thread *t = reg.head, *next;

    for (; t != NULL; t = next) {
        next = t->next;
        if (t == self_thread)
            continue;
        list_del(t);
        t->rc = -ECHILD;
        /* [H2] release: as the thread itself would; one thread now. */
        atomic_store_explicit(&t->done, 1, memory_order_release);
        thread_release(t);
    }
}

void
weft__thread_fork(enum weft__fork_phase phase)
{
    if (phase == WEFT__FORK_PREPARE) {
        pthread_mutex_lock(&reg.lock);
        return;
    }
    if (phase == WEFT__FORK_CHILD)
        forget_others_locked();
    pthread_mutex_unlock(&reg.lock); /* the forking thread holds it */
}

void
weft__thread_worker_enter(const char *name)
{
    struct weft_thread *t = weft__calloc(1, sizeof(*t));

    if (t == NULL)
        return;
    atomic_init(&t->done, 0);
    atomic_init(&t->started, 1);
    atomic_init(&t->refs, 1);
    /* relaxed: a unique number only. */
    t->ident = atomic_fetch_add_explicit(&next_ident, 1, memory_order_relaxed);
    t->native_id = (int)gettid();
    t->kind = WEFT_THREAD_POOL_WORKER;
    t->daemon = true;
    snprintf(t->name, sizeof(t->name), "%s", name != NULL ? name : "worker");
    pthread_mutex_lock(&reg.lock);
    list_add(t);
    pthread_mutex_unlock(&reg.lock);
    self_thread = t;
}

void
weft__thread_worker_exit(void)
{
    struct weft_thread *t = self_thread;

    if (t == NULL || t->kind != WEFT_THREAD_POOL_WORKER)
        return;
    pthread_mutex_lock(&reg.lock);
    list_del(t);
    pthread_mutex_unlock(&reg.lock);
    self_thread = NULL;
    weft__free(t);
}
