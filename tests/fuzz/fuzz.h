/* SPDX-License-Identifier: MIT */
/*
 * fuzz.h - what the libFuzzer harnesses share: the entry point's
 * prototype, a reader that turns the input bytes into operations, and
 * FZ_CHECK, which aborts (a crash libFuzzer reports, with the input)
 * when an invariant fails.
 *
 * The reader never fails: past the end of the input it yields zeros, so
 * every byte string decodes to a finite, valid operation sequence.
 */
#ifndef WEFT_FUZZ_H
#define WEFT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_CHECK(c)                                                    \
    do {                                                               \
        if (!(c)) {                                                    \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
                    __LINE__, #c);                                     \
            abort();                                                   \
        }                                                              \
    } while (0)

/* Check that an int-returning call gives exactly the expected code. */
#define FZ_CHECK_RC(got, want)                                        \
    do {                                                              \
        int g_ = (got), w_ = (want);                                  \
        if (g_ != w_) {                                               \
            fprintf(stderr, "%s:%d: %s returned %d, model says %d\n", \
                    __FILE__, __LINE__, #got, g_, w_);                \
            abort();                                                  \
        }                                                             \
    } while (0)

struct fz_reader {
    const uint8_t *p;
    size_t n;
};

static inline int
fz_more(const struct fz_reader *r)
{
    return r->n > 0;
}

static inline uint8_t
fz_u8(struct fz_reader *r)
{
    if (r->n == 0)
        return 0;
    r->n--;
    return *r->p++;
}

static inline uint16_t
fz_u16(struct fz_reader *r)
{
    uint16_t lo = fz_u8(r);

    return (uint16_t)(lo | (uint16_t)fz_u8(r) << 8);
}

/* A value in [0, n) (n > 0), from one byte (n <= 256) or two. */
static inline unsigned
fz_below(struct fz_reader *r, unsigned n)
{
    return n <= 256 ? fz_u8(r) % n : fz_u16(r) % n;
}

/* len bytes into out (zeros past the end of the input). */
static inline void
fz_bytes(struct fz_reader *r, void *out, size_t len)
{
    uint8_t *o = out;

    for (size_t i = 0; i < len; i++)
        o[i] = fz_u8(r);
}

#endif /* WEFT_FUZZ_H */
