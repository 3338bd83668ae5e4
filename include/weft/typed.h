/* SPDX-License-Identifier: MIT */
/*
 * weft/typed.h - typed fork-join tasks: a task's descriptor (function,
 * arguments, result, stolen/done state) lives in a slot of its worker's
 * typed deque, and a sync whose task was not stolen calls the function
 * directly (inlinable). The cheap way to spawn at every level: fib costs
 * about 18 instructions per node more than plain recursion (37.9 against
 * 20; weft_spawn()/weft_sync() cost 96; bench/README.md, --callgrind).
 *
 *     WEFT_TASK_1(long, fib, int, n)
 *     {
 *         long a, b;
 *         if (n < 2)
 *             return n;
 *         fib_spawn(n - 1);        // may be stolen from now on
 *         b = fib(n - 2);          // a plain call
 *         a = fib_sync();          // fib(n - 1): run here, or the thief's
 *         return a + b;
 *     }
 *     ... long r; fib_run(pool, 30, &r);   // from any thread
 *
 * WEFT_TASK_n(RTYPE, NAME, T1, a1, ...) (n = 1, 2, 3) declares the task and
 * starts its body; it defines:
 *   RTYPE NAME(T1 a1, ...)          the body, a plain C function;
 *   int   NAME_spawn(T1 a1, ...)    push it on the worker's typed deque;
 *   RTYPE NAME_sync(void)           pop the newest typed task and return
 *                                   its result (runs it here if nobody
 *                                   stole it, else helps the thief and
 *                                   waits);
 *   int   NAME_run(weft_pool_t *pool, T1 a1, ..., RTYPE *out)
 *                                   weft_pool_run() of the body.
 * Limits: the arguments and the result each fit in 24 bytes, aligned to
 * at most 8 (checked at compile time); gcc or clang (the macros use
 * their builtins; without them this header declares nothing).
 *
 * How it runs (runtime/typed.c has the protocol): each worker's typed
 * deque is split in two, Lace-style. Slots above the split are private:
 * spawn and sync touch them with plain stores and no fence. Slots below
 * it are shared: thieves take the oldest with a CAS on one word (tail |
 * split). A thief that finds the shared part empty asks the owner for
 * more by a bit in its alert word; the owner's next spawn or sync (any set
 * alert bit sends them to the exported functions below) moves the split
 * up with a release. A sync below the split moves it down with a CAS.
 * Trace events, contexts (captured at spawn, as weft_spawn() does),
 * statistics (spawned, stolen) and idle-worker wake-ups work as for
 * weft_spawn(); the weft_task_t API and this one can be mixed freely in
 * one task. The pool's WEFT_STEAL_HALF and WEFT_ORDER_FIFO policies do
 * not apply to typed tasks: a thief takes one typed slot at a time (the
 * oldest shared one), and the owner runs its typed tasks only at their
 * syncs, newest first (fork-join); the victim policy does apply.
 *
 * Depth: a thread's typed deque (or, off the workers, its stack) holds
 * WEFT_TYPED_DEPTH outstanding spawns. A spawn past that runs the task at
 * once, on the calling thread, as a plain call inside NAME_spawn() (in the
 * caller's context; not stealable), and keeps its result for the matching
 * NAME_sync(), which returns it (syncs still pair with spawns in LIFO
 * order). The results wait in chunks allocated on the way (64 KiB per
 * 1024 spawns; the thread keeps at most one spare chunk above those in
 * use, and its first until it exits). Each such spawn is counted in
 * weft_worker_stats.typed_overflows. The fast paths are unchanged: while
 * a worker has spawns past the depth outstanding, its syncs take the slow
 * path (an alert bit).
 *
 * Thread safety: NAME_spawn()/NAME_sync() act on the calling thread's own
 * typed deque: each sync on the thread that spawned, typed syncs in the
 * reverse order of that task's typed spawns (strictly nested, as in Lace;
 * weft_task_t records may interleave with them), and every typed spawn
 * synced before the task that made it returns. Ordering: every write of
 * the task happens-before its NAME_sync() returns. On a weft worker
 * the tasks can be stolen; off the workers a thread has a stack of its own
 * and its syncs run them in place (so the body is a correct plain call
 * anywhere). NAME_spawn() returns 0, or -ENOMEM when a thread off the
 * workers cannot map that stack, or when a spawn past WEFT_TYPED_DEPTH
 * cannot allocate a chunk for its result (the task did not run and
 * nothing is outstanding for it: do not sync it; the thread's typed
 * tasks stay usable); NAME_sync() with no spawn outstanding
 * returns a zero RTYPE. NAME_run() from any thread: 0 or weft_pool_run()'s
 * error codes (-EINVAL for a NULL pool).
 */
#ifndef WEFT_TYPED_H
#define WEFT_TYPED_H

#include <stddef.h>
#include <stdint.h>

#include <weft/common.h>
#include <weft/pool.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(WEFT_HAVE_INLINE_TASKS)
#    define WEFT_HAVE_TYPED_TASKS 1

/* The typed spawns one thread's deque (or stack, off the workers) holds
 * outstanding (not yet synced); each spawn past it runs at once and keeps
 * its result for its sync (see "Depth" above). */
#    define WEFT_TYPED_DEPTH 32768u

/*
 * A slot of a typed deque: 64 bytes, written by the macros below and by
 * runtime/typed.c (which asserts this layout). Layout is not ABI-stable
 * before 1.0; never use it directly.
 */
struct weft_typed_slot {
    void *thief; /* atomic: who runs it, once stolen */
    void (*wrap)(struct weft_typed_slot *); /* a thief's way to run it */
    void *ctx;                              /* captured context (runtime) */
    int64_t cbase;                          /* runtime: the thief's bases */
    int32_t tbase;
    uint32_t state;         /* atomic: runtime (done, waiter, extra) */
    unsigned char data[24]; /* the arguments, then the result */
};

/*
 * weft_typed_spawn_reserve() - the slow path of NAME_spawn(): a slot to
 * fill, then weft_typed_spawn_commit(). Off a worker, a slot of the
 * thread's own stack of typed slots (its sync runs the task there).
 * Past WEFT_TYPED_DEPTH, a slot of the thread's overflow stack (commit
 * then runs the task at once, its result kept in the slot).
 * Return: the slot; NULL when a thread off the workers cannot map its
 * stack, or no overflow chunk can be allocated (NAME_spawn() then returns
 * -ENOMEM and queues nothing).
 * Thread safety: the calling thread's own deque only.
 * Context: only from the WEFT_TASK_n macros.
 */
WEFT_API struct weft_typed_slot *weft_typed_spawn_reserve(void);

/*
 * weft_typed_spawn_commit() - finish a spawn whose slot the macros filled
 * (trace, context capture, publication to thieves, wake-ups); for an
 * overflow slot, run the task now.
 * Return: nothing. Thread safety: as weft_typed_spawn_reserve().
 * Context: only from the WEFT_TASK_n macros.
 */
WEFT_API void weft_typed_spawn_commit(struct weft_typed_slot *s);

/* What weft_typed_sync_slow() tells the macros to do. */
enum weft_typed_how {
    WEFT_TYPED_RUN = 0,      /* popped: run it here */
    WEFT_TYPED_RUN_HOOK = 1, /* popped: run it, then weft_typed_ran() */
    WEFT_TYPED_DONE = 2,     /* it ran (a thief, or at an overflowing
                                spawn): the result is in the slot */
    WEFT_TYPED_NONE = 3      /* nothing to sync (not a worker, no spawn) */
};

/*
 * weft_typed_sync_slow() - the slow path of NAME_sync() for *s (the
 * worker's newest slot): moves the split, waits for a thief, handles the
 * alert word; off a worker, *s becomes the thread's own newest slot; if
 * the newest spawn overflowed (WEFT_TYPED_DEPTH), *s becomes its overflow
 * slot, which holds the result (WEFT_TYPED_DONE).
 * save is scratch for weft_typed_ran() (the slot may be reused by the
 * task's own spawns before that: everything needed is kept in save).
 * Return: an enum weft_typed_how. Thread safety: the calling worker only.
 * Context: only from the WEFT_TASK_n macros; may block (helping first).
 */
WEFT_API int weft_typed_sync_slow(struct weft_typed_slot **s,
                                  uintptr_t save[3]);

/*
 * weft_typed_ran() - after a WEFT_TYPED_RUN_HOOK run: trace end, context.
 * Return: nothing. Thread safety: the calling worker only.
 * Context: only from the WEFT_TASK_n macros.
 */
WEFT_API void weft_typed_ran(struct weft_typed_slot *s, uintptr_t save[3]);

#    ifdef __cplusplus
#        define WEFT__TT_ASSERT(c, m) static_assert(c, m)
#        define WEFT__TT_ALIGNOF(t)   alignof(t)
#    else
#        define WEFT__TT_ASSERT(c, m) _Static_assert(c, m)
#        define WEFT__TT_ALIGNOF(t)   _Alignof(t)
#    endif
#    define WEFT__TT_U(...) __VA_ARGS__
#    if (!defined(WEFT_STATS) || WEFT_STATS) && defined(__x86_64__) && \
        !defined(WEFT_INLINE_TSAN)
/* The owner's count of spawns: one add to memory, as in
 * weft_spawn_inline() (a single writer; an aligned 8-byte store is
 * single-copy atomic on x86-64, so stats.c's relaxed loads see the old or
 * the new count). */
#        define WEFT__TT_COUNT(w) \
            __asm__ volatile("addq $1, %0" : "+m"((w)->spawned))
#    elif !defined(WEFT_STATS) || WEFT_STATS
/* relaxed (both): the owner is the only writer of spawned; readers
 * (stats.c) need untorn values only. */
#        define WEFT__TT_COUNT(w)                                     \
            __atomic_store_n(                                         \
                &(w)->spawned,                                        \
                __atomic_load_n(&(w)->spawned, __ATOMIC_RELAXED) + 1, \
                __ATOMIC_RELAXED)
#    else
#        define WEFT__TT_COUNT(w) ((void)0)
#    endif

/* The shared body of WEFT_TASK_n: PARAMS "(T1 a1, ...)", FIELDS "(T1 a1;
 * ...)", STORE "(x->a1 = a1, ...)", LOAD "(x->a1, ...)"; x is the slot's
 * argument record. */
#    define WEFT__TASK(RTYPE, NAME, PARAMS, FIELDS, STORE, LOAD)             \
        static RTYPE NAME PARAMS;                                            \
        struct NAME##_weft_args {                                            \
            WEFT__TT_U FIELDS                                                \
        };                                                                   \
        WEFT__TT_ASSERT(sizeof(struct NAME##_weft_args) <= 24 &&             \
                            WEFT__TT_ALIGNOF(struct NAME##_weft_args) <= 8,  \
                        "weft typed task " #NAME ": arguments too large");   \
        WEFT__TT_ASSERT(sizeof(RTYPE) <= 24 && WEFT__TT_ALIGNOF(RTYPE) <= 8, \
                        "weft typed task " #NAME ": result too large");      \
        static __attribute__((unused)) void NAME##_weft_wrap(                \
            struct weft_typed_slot *s__)                                     \
        {                                                                    \
            struct NAME##_weft_args *x =                                     \
                (struct NAME##_weft_args *)(void *)s__->data;                \
            RTYPE r__ = NAME(WEFT__TT_U LOAD);                               \
            *(RTYPE *)(void *)s__->data = r__;                               \
        }                                                                    \
        static inline __attribute__((unused)) int NAME##_spawn PARAMS        \
        {                                                                    \
            struct weft_worker_layout *w__ = weft_worker_tls;                \
            struct weft_typed_slot *s__ = w__->tt_head;                      \
            struct NAME##_weft_args *x;                                      \
            /* relaxed: alert is a hint (see weft_spawn_inline()). */        \
            if (__builtin_expect(                                            \
                    s__ >= w__->tt_lim ||                                    \
                        __atomic_load_n(&w__->alert, __ATOMIC_RELAXED),      \
                    0)) {                                                    \
                s__ = weft_typed_spawn_reserve();                            \
                if (s__ == NULL)                                             \
                    return -ENOMEM;                                          \
                x = (struct NAME##_weft_args *)(void *)s__->data;            \
                s__->wrap = NAME##_weft_wrap;                                \
                WEFT__TT_U STORE;                                            \
                weft_typed_spawn_commit(s__);                                \
                return 0;                                                    \
            }                                                                \
            /* Private slot: plain stores; a later move of the split         \
             * (release, runtime/typed.c [Y1]) publishes them. */            \
            w__->tt_head = s__ + 1;                                          \
            WEFT__TT_COUNT(w__);                                             \
            x = (struct NAME##_weft_args *)(void *)s__->data;                \
            s__->wrap = NAME##_weft_wrap;                                    \
            WEFT__TT_U STORE;                                                \
            return 0;                                                        \
        }                                                                    \
        static __attribute__((noinline, unused))                             \
        RTYPE NAME##_weft_slow(struct weft_typed_slot *s__)                  \
        {                                                                    \
            struct NAME##_weft_args *x;                                      \
            uintptr_t save__[3];                                             \
            RTYPE r__;                                                       \
            int how__ = weft_typed_sync_slow(&s__, save__);                  \
            x = (struct NAME##_weft_args *)(void *)s__->data;                \
            if (how__ <= WEFT_TYPED_RUN_HOOK) {                              \
                r__ = NAME(WEFT__TT_U LOAD);                                 \
                if (how__ == WEFT_TYPED_RUN_HOOK)                            \
                    weft_typed_ran(s__, save__);                             \
                return r__;                                                  \
            }                                                                \
            if (how__ == WEFT_TYPED_DONE)                                    \
                return *(RTYPE *)(void *)s__->data;                          \
            __builtin_memset((void *)&r__, 0, sizeof(r__));                  \
            return r__;                                                      \
        }                                                                    \
        static inline __attribute__((unused)) RTYPE NAME##_sync(void)        \
        {                                                                    \
            struct weft_worker_layout *w__ = weft_worker_tls;                \
            struct weft_typed_slot *s__ = w__->tt_head - 1;                  \
            struct NAME##_weft_args *x;                                      \
            /* Above the split nobody can steal it: pop and call. */         \
            /* relaxed: alert, as in spawn. */                               \
            if (__builtin_expect(                                            \
                    s__ < w__->tt_split ||                                   \
                        __atomic_load_n(&w__->alert, __ATOMIC_RELAXED),      \
                    0))                                                      \
                return NAME##_weft_slow(s__);                                \
            w__->tt_head = s__;                                              \
            x = (struct NAME##_weft_args *)(void *)s__->data;                \
            return NAME(WEFT__TT_U LOAD);                                    \
        }                                                                    \
        struct NAME##_weft_run {                                             \
            struct NAME##_weft_args args;                                    \
            RTYPE *out;                                                      \
        };                                                                   \
        static __attribute__((unused)) int NAME##_weft_entry(void *arg__,    \
                                                             void **res__)   \
        {                                                                    \
            struct NAME##_weft_run *r__ = (struct NAME##_weft_run *)arg__;   \
            struct NAME##_weft_args *x = &r__->args;                         \
            RTYPE v__ = NAME(WEFT__TT_U LOAD);                               \
            (void)res__;                                                     \
            if (r__->out != NULL)                                            \
                *r__->out = v__;                                             \
            return 0;                                                        \
        }                                                                    \
        static inline __attribute__((unused)) int NAME##_run(                \
            weft_pool_t *pool__, WEFT__TT_U PARAMS, RTYPE *out__)            \
        {                                                                    \
            struct NAME##_weft_run r__;                                      \
            struct NAME##_weft_args *x = &r__.args;                          \
            WEFT__TT_U STORE;                                                \
            r__.out = out__;                                                 \
            return weft_pool_run(pool__, NAME##_weft_entry, &r__, NULL);     \
        }                                                                    \
        static RTYPE NAME PARAMS

/* WEFT_TASK_1(RTYPE, NAME, T1, a1) { body } - see the file comment. */
#    define WEFT_TASK_1(RTYPE, NAME, T1, a1) \
        WEFT__TASK(RTYPE, NAME, (T1 a1), (T1 a1;), (x->a1 = a1), (x->a1))
/* WEFT_TASK_2(RTYPE, NAME, T1, a1, T2, a2) { body } */
#    define WEFT_TASK_2(RTYPE, NAME, T1, a1, T2, a2)             \
        WEFT__TASK(RTYPE, NAME, (T1 a1, T2 a2), (T1 a1; T2 a2;), \
                   (x->a1 = a1, x->a2 = a2), (x->a1, x->a2))
/* WEFT_TASK_3(RTYPE, NAME, T1, a1, T2, a2, T3, a3) { body } */
#    define WEFT_TASK_3(RTYPE, NAME, T1, a1, T2, a2, T3, a3)                   \
        WEFT__TASK(RTYPE, NAME, (T1 a1, T2 a2, T3 a3), (T1 a1; T2 a2; T3 a3;), \
                   (x->a1 = a1, x->a2 = a2, x->a3 = a3),                       \
                   (x->a1, x->a2, x->a3))

#endif /* WEFT_HAVE_INLINE_TASKS */

#ifdef __cplusplus
}
#endif
#endif /* WEFT_TYPED_H */
