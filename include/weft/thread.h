/* SPDX-License-Identifier: MIT */
/*
 * weft/thread.h - named threads with Python's threading.Thread semantics:
 * join with a deadline, is_alive, ident and native id, the daemon flag, a
 * consistent enumeration, and an excepthook for thread functions that
 * fail.
 *
 * A thread function returns int: 0 is success; nonzero is its
 * "exception", passed to the excepthook (default: one line on stderr) and
 * returned by weft_thread_join().
 *
 * Daemon threads: at normal process exit (exit() or returning from main,
 * through atexit), every non-daemon weft thread still running is joined
 * first; daemon threads are not waited for (as in Python).
 *
 * Thread safety: every function may run concurrently on the same handle
 * from any threads, except weft_thread_destroy() (once, with no other use
 * of the handle during or after it).
 */
#ifndef WEFT_THREAD_H
#define WEFT_THREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <weft/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_thread weft_thread_t;

/* A thread body: 0, or nonzero (an error: reported to the excepthook). */
typedef int (*weft_thread_fn)(void *arg);

struct weft_thread_opts {
    size_t size;       /* sizeof(struct weft_thread_opts) */
    const char *name;  /* NULL: "Thread-<ident>"; copied (63 bytes max) */
    int daemon;        /* nonzero: not joined at process exit */
    size_t stack_size; /* 0: the default */
};
#define WEFT_THREAD_OPTS_INIT                       \
    {                                               \
        sizeof(struct weft_thread_opts), NULL, 0, 0 \
    }

/* The longest name kept (the kernel shows the first 15 bytes). */
#define WEFT_THREAD_NAME_MAX 63

/*
 * weft_thread_start() - create and start a thread running fn(arg).
 * opts may be NULL (defaults). When it returns 0 the thread has started:
 * it is alive, enumerated, and its native id is known.
 * Return: 0; -EINVAL (NULL fn or out, opts->size too small, a stack size
 * the system refuses); -ENOMEM; -EAGAIN (no thread could be created).
 * Ownership: *out must be passed to weft_thread_destroy() once; the thread
 * runs on independently of its handle.
 * Ordering: writes before the call happen-before fn starts.
 * Context: any thread.
 */
WEFT_API int weft_thread_start(const struct weft_thread_opts *opts,
                               weft_thread_fn fn, void *arg,
                               weft_thread_t **out);

/*
 * weft_thread_join() - wait until the thread has finished, or the deadline.
 * *rc (may be NULL) gets fn's return value. May be called any number of
 * times, from any number of threads.
 * Return: 0; -ETIMEDOUT; -EDEADLK (the thread joins itself); -EPERM (a
 * pool worker's entry from weft_thread_current: not joinable); -EINVAL.
 * Ordering: everything the thread did happens-before a 0 return.
 * Context: any thread; blocks until the deadline (on a weft worker it
 * blocks that worker).
 */
WEFT_API int weft_thread_join(weft_thread_t *t, weft_deadline_t deadline,
                              int *rc);

/*
 * weft_thread_destroy() - drop the handle. A running thread goes on (and
 * a non-daemon one is still joined at exit); its memory is freed when both
 * the handle is destroyed and the thread has finished.
 * Return: 0; -EINVAL (NULL); -EPERM (a pool worker's entry from
 * weft_thread_current(), which nobody owns).
 * Context: any thread, the thread itself included; once per handle.
 */
WEFT_API int weft_thread_destroy(weft_thread_t *t);

/*
 * Queries. Return: is_alive: true if started and not finished; ident: a
 * process-unique id, never reused, nonzero; native_id: the kernel's thread
 * id (gettid); name: the handle's copy (borrowed: valid until the handle
 * is destroyed); daemon: the flag. false/0/NULL for NULL t.
 * Context: any thread; never block.
 */
WEFT_API bool weft_thread_is_alive(const weft_thread_t *t);
WEFT_API uint64_t weft_thread_ident(const weft_thread_t *t);
WEFT_API int weft_thread_native_id(const weft_thread_t *t);
WEFT_API const char *weft_thread_name(const weft_thread_t *t);
WEFT_API bool weft_thread_daemon(const weft_thread_t *t);

/*
 * weft_thread_current() - the calling thread's entry: a weft thread's own
 * handle, or a pool worker's entry.
 * Return: that entry; NULL for any other thread.
 * Ownership: borrowed, valid while the thread runs; a worker's entry
 * must not be destroyed.
 * Context: any thread.
 */
WEFT_API weft_thread_t *weft_thread_current(void);

/* What weft_threads_enumerate() reports about one thread. */
enum weft_thread_kind {
    WEFT_THREAD_USER = 0,       /* made with weft_thread_start() */
    WEFT_THREAD_POOL_WORKER = 1 /* a worker of a weft pool */
};
struct weft_thread_info {
    uint64_t ident;
    int native_id;
    int kind; /* enum weft_thread_kind */
    bool daemon;
    char name[WEFT_THREAD_NAME_MAX + 1];
};

/*
 * weft_threads_active_count() - threads alive now.
 * Return: the count of weft-started threads and registered pool workers
 * alive. Context: any thread. After fork(), in the child, only the
 * forking thread exists: the others leave the registry, report not alive,
 * and weft_thread_join() on them returns 0 at once with rc -ECHILD (so
 * the atexit join of non-daemon threads never waits for them).
 */
WEFT_API size_t weft_threads_active_count(void);

/*
 * weft_threads_enumerate() - a consistent snapshot (taken at one instant)
 * of the alive threads, in start order, into buf[0..cap).
 * Return: 0 with *n = the count; -ENOSPC when more than cap are alive (*n
 * = the count needed, buf filled with the first cap); -EINVAL (NULL n, or
 * NULL buf with cap > 0).
 * Pool workers (named weft-<pool>-<n>, kind WEFT_THREAD_POOL_WORKER,
 * daemon) are listed while they run.
 * Context: any thread; takes the thread registry's lock briefly.
 */
WEFT_API int weft_threads_enumerate(struct weft_thread_info *buf, size_t cap,
                                    size_t *n);

/*
 * The excepthook (Python's threading.excepthook): called on the failing
 * thread, after fn returned rc != 0, with that thread's info.
 */
typedef void (*weft_thread_excepthook_fn)(const struct weft_thread_info *t,
                                          int rc, void *ctx);

/*
 * weft_thread_set_excepthook() - install hook (NULL: the default, which
 * prints "weft: thread '<name>' (ident <n>) failed: <rc> (<text>)" to
 * stderr). old_hook and old_ctx (each may be NULL) get the previous one.
 * Return: 0. Context: any thread; a thread failing concurrently uses the
 * old or the new hook.
 */
WEFT_API int weft_thread_set_excepthook(weft_thread_excepthook_fn hook,
                                        void *ctx,
                                        weft_thread_excepthook_fn *old_hook,
                                        void **old_ctx);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_THREAD_H */
