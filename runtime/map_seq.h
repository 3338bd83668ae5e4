/* SPDX-License-Identifier: MIT */
/*
 * map_seq.h - the per-node sequence counter of byte-map nodes (map.c
 * [M10]-[M11]): in-place value updates under a seqlock, and the claim of a
 * node's removal. Private to map.c.
 *
 * The counter: bit 0 WRITING (a writer is storing the value), bit 1 DEAD
 * (a thread owns the node's unlinking: no writer may start any more), the
 * version in the bits above. Stable means WRITING clear; DEAD is stable
 * (the value of a dead node never changes again).
 * [S1] read: s = acquire load (pairs with [S3]'s release store), wait while
 *      WRITING; copy the value with relaxed word loads; acquire fence;
 *      relaxed load == s, else copy again. A copy accepted was made with no
 *      writer in between (Boehm, MSPC 2012; the Linux kernel's
 *      read_seqcount_begin / read_seqcount_retry).
 * [S2] write begin: CAS a stable, not DEAD s to s | WRITING (acquire:
 *      after the previous writer's [S3] and killer's reads), then a release
 *      fence: the mark before the data stores (pairs with [S1]'s fence).
 *      "from" variants CAS only from a given s (compute: nothing changed
 *      since its snapshot).
 * [S3] write end: data stores (relaxed words), then release store of
 *      s + SEQ_STEP.
 * [S4] kill: CAS a stable, not DEAD s to s | DEAD (acquire: after the last
 *      writer's stores, which then happen-before the retire). Exactly one
 *      thread kills a node, and only it unlinks it (cds_lfht_del/replace
 *      cannot fail for it).
 * Values are stored in whole 8-byte words (the node keeps round8(vlen)
 * bytes, padding zero), 8-aligned.
 */
#ifndef WEFT_MAP_SEQ_H
#define WEFT_MAP_SEQ_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "atomics.h"

#define SEQ_WRITING 1u
#define SEQ_DEAD    2u
#define SEQ_STEP    4u

/* Spin politely; after a while give the (preempted) other thread the CPU. */
static inline void
mseq_backoff(unsigned *spins)
{
    if (++*spins % 64 == 0)
        sched_yield();
    else
        WEFT_CPU_RELAX();
}

/* [S1] */
static inline uint32_t
mseq_read_begin(_Atomic uint32_t *seq)
{
    unsigned spins = 0;
    uint32_t s;

    /* acquire: pairs with the release store of [S3]. */
    while ((s = atomic_load_explicit(seq, memory_order_acquire)) & SEQ_WRITING)
        mseq_backoff(&spins);
    return s;
}

/* [S1] true: the copy may be torn, copy again. */
static inline bool
mseq_read_retry(_Atomic uint32_t *seq, uint32_t s)
{
    /* The data loads before the re-read; pairs with [S2]'s fence. */
    WEFT_FENCE_ACQUIRE();
    /* relaxed: ordered by the fence above. */
    return atomic_load_explicit(seq, memory_order_relaxed) != s;
}

/* Copy n value bytes at src (8-aligned, round8(n) bytes) to dst. Whole
 * words with fixed-size copies (no memcpy call), then the tail bytes. */
static inline void
mval_load(void *dst, const unsigned char *src, size_t n)
{
    unsigned char *d = dst, t[8];
    uint64_t w;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        /* relaxed: [S1], validated by mseq_read_retry(). */
        w = atomic_load_explicit(
            (_Atomic uint64_t *)(void *)(uintptr_t)(src + i),
            memory_order_relaxed);
        memcpy(d + i, &w, 8);
    }
    if (i < n) {
        /* relaxed: as above. */
        w = atomic_load_explicit(
            (_Atomic uint64_t *)(void *)(uintptr_t)(src + i),
            memory_order_relaxed);
        memcpy(t, &w, 8);
        for (size_t j = 0; i + j < n; j++)
            d[i + j] = t[j];
    }
}

/* Store n bytes of src at dst (8-aligned, round8(n) bytes; padding 0). */
static inline void
mval_store(unsigned char *dst, const void *src, size_t n)
{
    const unsigned char *s = src;
    unsigned char t[8] = {0};
    uint64_t w;
    size_t i = 0;

    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        /* relaxed: [S2]/[S3] order them. */
        atomic_store_explicit((_Atomic uint64_t *)(void *)(dst + i), w,
                              memory_order_relaxed);
    }
    if (i < n) {
        for (size_t j = 0; i + j < n; j++)
            t[j] = s[i + j];
        memcpy(&w, t, 8);
        /* relaxed: as above. */
        atomic_store_explicit((_Atomic uint64_t *)(void *)(dst + i), w,
                              memory_order_relaxed);
    }
}

/* [S2] from s exactly (s as read by [S1]); false if it changed or is DEAD. */
static inline bool
mseq_write_begin_from(_Atomic uint32_t *seq, uint32_t s)
{
    if (s & (SEQ_WRITING | SEQ_DEAD))
        return false;
    /* acquire: after the previous writer's [S3] (and the snapshot's). */
    if (!atomic_compare_exchange_strong_explicit(seq, &s, s | SEQ_WRITING,
                                                 memory_order_acquire,
                                                 memory_order_relaxed))
        return false;
    /* The WRITING mark before the data stores; pairs with [S1]'s fence. */
    WEFT_FENCE_RELEASE();
    return true;
}

/* [S2] from any stable s (waits out a writer); false if DEAD. *out gets
 * the s to pass to mseq_write_end(). */
static inline bool
mseq_write_begin(_Atomic uint32_t *seq, uint32_t *out)
{
    unsigned spins = 0;
    /* relaxed: a first guess; the CAS decides. */
    uint32_t s = atomic_load_explicit(seq, memory_order_relaxed);

    for (;;) {
        if (s & SEQ_DEAD)
            return false;
        if (s & SEQ_WRITING) {
            mseq_backoff(&spins);
            /* relaxed: as above. */
            s = atomic_load_explicit(seq, memory_order_relaxed);
            continue;
        }
        /* acquire: as in mseq_write_begin_from(). */
        if (atomic_compare_exchange_weak_explicit(seq, &s, s | SEQ_WRITING,
                                                  memory_order_acquire,
                                                  memory_order_relaxed))
            break;
    }
    /* As in mseq_write_begin_from(). */
    WEFT_FENCE_RELEASE();
    *out = s;
    return true;
}

/* [S3] */
static inline void
mseq_write_end(_Atomic uint32_t *seq, uint32_t s)
{
    /* release: the value's stores before; pairs with [S1]'s acquire. */
    atomic_store_explicit(seq, s + SEQ_STEP, memory_order_release);
}

/* [S4] from s exactly; false if it changed or is DEAD already. */
static inline bool
mseq_kill_from(_Atomic uint32_t *seq, uint32_t s)
{
    if (s & (SEQ_WRITING | SEQ_DEAD))
        return false;
    /* acquire: after the last writer's [S3]. */
    return atomic_compare_exchange_strong_explicit(
        seq, &s, s | SEQ_DEAD, memory_order_acquire, memory_order_relaxed);
}

/* [S4] from any stable s (waits out a writer); false if DEAD already
 * (another thread unlinks the node). */
static inline bool
mseq_kill(_Atomic uint32_t *seq)
{
    unsigned spins = 0;
    /* relaxed: a first guess; the CAS decides. */
    uint32_t s = atomic_load_explicit(seq, memory_order_relaxed);

    for (;;) {
        if (s & SEQ_DEAD)
            return false;
        if (s & SEQ_WRITING) {
            mseq_backoff(&spins);
            /* relaxed: as above. */
            s = atomic_load_explicit(seq, memory_order_relaxed);
            continue;
        }
        /* acquire: as in mseq_kill_from(). */
        if (atomic_compare_exchange_weak_explicit(seq, &s, s | SEQ_DEAD,
                                                  memory_order_acquire,
                                                  memory_order_relaxed))
            return true;
    }
}

#endif /* WEFT_MAP_SEQ_H */
