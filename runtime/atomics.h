/* SPDX-License-Identifier: MIT */
/*
 * atomics.h - the only home for fences, cache-line layout and the
 * ThreadSanitizer annotations (STYLE.md sections 4 and 7, tsan/README.md).
 */
#ifndef WEFT_ATOMICS_H
#define WEFT_ATOMICS_H

#include <stdatomic.h>

#define WEFT_CACHELINE 64
/* Two lines: adjacent-line prefetch pulls pairs of lines on x86. */
#define WEFT_PAD_ALIGN 128

#if defined(__SANITIZE_THREAD__)
#    define WEFT_TSAN 1
#elif defined(__has_feature)
#    if __has_feature(thread_sanitizer)
#        define WEFT_TSAN 1
#    endif
#endif

/*
 * WEFT_FENCE_SC() - a sequentially consistent fence, for the algorithms that
 * need one (Chase-Lev pop/steal, the sleep/wake handshake). TSan does not
 * model fences: in TSan builds the fence stays (it is still needed for
 * correctness of the handshake) and WEFT_MO_FENCED() upgrades the accesses
 * next to it to seq_cst, so TSan checks a slightly stronger program. The
 * plain -O2 stress run checks the real one (tsan/README.md).
 */
#define WEFT_FENCE_SC() atomic_thread_fence(memory_order_seq_cst)
#ifdef WEFT_TSAN
#    define WEFT_MO_FENCED(mo) memory_order_seq_cst
#else
#    define WEFT_MO_FENCED(mo) (mo)
#endif

/*
 * WEFT_FENCE_ACQUIRE() / WEFT_FENCE_RELEASE() - the two fences of a
 * seqlock whose data accesses are relaxed atomics (Boehm, "Can seqlocks get
 * along with programming language memory models?", MSPC 2012): the reader's
 * acquire fence orders its data loads before its second counter load; the
 * writer's release fence orders its "writing" mark before its data stores.
 * Compiler barriers only on x86. TSan does not model them, but every access
 * they order is atomic, so it reports nothing; -O2 stress checks the real
 * ordering (map_seq.h).
 */
#define WEFT_FENCE_ACQUIRE() atomic_thread_fence(memory_order_acquire)
#define WEFT_FENCE_RELEASE() atomic_thread_fence(memory_order_release)

/*
 * Happens-before annotations at the third-party seams (ck_ring, liburcu)
 * whose own synchronisation TSan cannot see. No-ops outside TSan.
 */
#ifdef WEFT_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#    define WEFT_HB_RELEASE(p) __tsan_release((void *)(p))
#    define WEFT_HB_ACQUIRE(p) __tsan_acquire((void *)(p))
#else
#    define WEFT_HB_RELEASE(p) ((void)(p))
#    define WEFT_HB_ACQUIRE(p) ((void)(p))
#endif

/* A polite spin: pause on x86, nothing elsewhere (no inline asm needed). */
#if defined(__x86_64__) || defined(__i386__)
#    define WEFT_CPU_RELAX() __builtin_ia32_pause()
#else
#    define WEFT_CPU_RELAX() ((void)0)
#endif

#endif /* WEFT_ATOMICS_H */
