/* SPDX-License-Identifier: MIT */
/*
 * worker_pool.c - Python's
 *
 *     with ThreadPoolExecutor(max_workers=4) as ex:
 *         futs = [ex.submit(checksum, block) for block in blocks]
 *         sums = [f.result() for f in futs]
 *
 * in C: weft_pool_submit() hands a task to the pool and gives back a
 * future; weft_future_result() waits for it (until an absolute deadline)
 * and returns the task's own code, 0 or its negative "exception". Each
 * future must be released once (weft_future_release()): there is no
 * garbage collector. weft_pool_destroy() is the end of the with-block: it
 * runs everything still queued, then joins the workers.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <weft.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

enum { NBLOCKS = 64, BLOCK = 4096, CORRUPT = 42 };

struct block {
    unsigned char data[BLOCK];
    int valid; /* block CORRUPT is "unreadable" */
};

static struct block blocks[NBLOCKS];

/* Fletcher-16 over one block. */
static uint32_t
fletcher16(const unsigned char *p, size_t n)
{
    uint32_t a = 0, b = 0;

    for (size_t i = 0; i < n; i++) {
        a = (a + p[i]) % 255;
        b = (b + a) % 255;
    }
    return (b << 8) | a;
}

/* A task: 0 with the checksum in *result, or -EIO for a bad block. */
static int
checksum(void *arg, void **result)
{
    const struct block *blk = arg;

    if (!blk->valid)
        return -EIO;
    *result = (void *)(uintptr_t)fletcher16(blk->data, BLOCK);
    return 0;
}

int
main(void)
{
    struct weft_pool_opts opts = WEFT_POOL_OPTS_INIT;
    weft_pool_t *pool;
    weft_future_t *futs[NBLOCKS];
    weft_deadline_t deadline;
    void *res;
    int rc, nerr = 0;

    for (int i = 0; i < NBLOCKS; i++) {
        for (int j = 0; j < BLOCK; j++)
            blocks[i].data[j] = (unsigned char)(i * 31 + j * 7);
        blocks[i].valid = i != CORRUPT;
    }

    opts.workers = 4;
    CHECK(weft_pool_create(&opts, &pool) == 0);
    CHECK(weft_pool_workers(pool) == 4);
    for (int i = 0; i < NBLOCKS; i++)
        CHECK(weft_pool_submit(pool, checksum, &blocks[i], &futs[i]) == 0);

    /* One deadline for all the results, not a timeout per result. */
    deadline = weft_deadline_in(20 * WEFT_NS_PER_SEC);
    for (int i = 0; i < NBLOCKS; i++) {
        rc = weft_future_result(futs[i], deadline, &res);
        if (rc == 0) {
            /* The task's writes are visible: check against a rerun. */
            CHECK((uintptr_t)res == fletcher16(blocks[i].data, BLOCK));
        } else {
            printf("block %d: error %d (%s)\n", i, rc, weft_strerror(rc));
            CHECK(i == CORRUPT && rc == -EIO);
            nerr++;
        }
        /* result() may be called again: the outcome is kept. */
        CHECK(weft_future_result(futs[i], WEFT_DEADLINE_POLL, NULL) == rc);
        weft_future_release(futs[i]);
    }
    CHECK(nerr == 1);
    printf("%d blocks checksummed on %u workers, %d error\n", NBLOCKS,
           weft_pool_workers(pool), nerr);

    CHECK(weft_pool_destroy(pool) == 0);
    return 0;
}
