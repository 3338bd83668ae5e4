/* SPDX-License-Identifier: MIT */
/*
 * background_worker.c - one background thread that takes slow side work
 * (writing log lines, shipping metrics) off the hot path, fed through a
 * bounded queue, stopped with a drain. In Python:
 *
 *     q = queue.Queue(maxsize=64)
 *     def writer():
 *         while (item := q.get()) is not None:
 *             try:
 *                 write(item)
 *             except Exception as e:
 *                 log_error(item, e)      # one bad item does not stop it
 *     t = threading.Thread(target=writer, name="log-writer"); t.start()
 *     for line in lines: q.put(line)      # from many threads
 *     q.put(None); t.join()               # drain, then stop
 *
 * weft_bgworker is that thread, queue and loop. Here 4 pool tasks submit
 * "log records"; the worker appends them to a journal; every 50th record
 * is malformed and fails, which the error hook counts. Checked: every
 * record was processed exactly once, in order per submitter, the failures
 * were all reported, and submitting after the stop is refused.
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

enum { PRODUCERS = 4, PER_PRODUCER = 500, BAD_EVERY = 50, CAPACITY = 64 };

/* A record is (producer << 16 | sequence number), passed as the item. */
#define RECORD(p, i) ((void *)(uintptr_t)((uintptr_t)(p) << 16 | (i)))

/* Only the worker thread touches the journal: no lock needed. */
static struct {
    unsigned count;
    int last_seq[PRODUCERS];
    unsigned out_of_order;
} journal;
static weft_counter_t *hook_errors;
static weft_bgworker_t *writer;

/* The slow side work: append one record to the journal. */
static int
write_record(void *ctx, void *item)
{
    uintptr_t r = (uintptr_t)item;
    unsigned p = (unsigned)(r >> 16), seq = (unsigned)(r & 0xffff);

    (void)ctx;
    if (seq % BAD_EVERY == BAD_EVERY / 2)
        return -EBADMSG; /* a malformed record: reported, not fatal */
    if ((int)seq <= journal.last_seq[p])
        journal.out_of_order++;
    journal.last_seq[p] = (int)seq;
    journal.count++;
    return 0;
}

/* The error hook: called on the worker thread for each failure. */
static void
on_error(void *ctx, void *item, int rc)
{
    (void)ctx, (void)item;
    if (rc == -EBADMSG)
        weft_counter_inc(hook_errors);
}

/* A request handler: it logs without waiting for the disk (the queue
 * absorbs bursts; a full queue makes it wait, which is back-pressure). */
static int
handler(void *arg, void **result)
{
    uintptr_t p = (uintptr_t)arg;

    (void)result;
    for (unsigned i = 0; i < PER_PRODUCER; i++) {
        int rc = weft_bgworker_submit(writer, RECORD(p, i),
                                      weft_deadline_in(30 * WEFT_NS_PER_SEC));
        if (rc != 0)
            return rc;
    }
    return 0;
}

int
main(void)
{
    struct weft_pool_opts opts = WEFT_POOL_OPTS_INIT;
    struct weft_bgworker_stats st;
    weft_future_t *fs[PRODUCERS];
    weft_pool_t *pool;
    int64_t hooked;
    const unsigned total = PRODUCERS * PER_PRODUCER;
    const unsigned bad = total / BAD_EVERY;

    for (int p = 0; p < PRODUCERS; p++)
        journal.last_seq[p] = -1;
    CHECK(weft_counter_create(&hook_errors) == 0);
    CHECK(weft_bgworker_start(write_record, NULL, CAPACITY, "log-writer",
                              &writer) == 0);
    CHECK(weft_bgworker_set_hooks(writer, on_error, NULL, NULL) == 0);
    opts.workers = PRODUCERS;
    CHECK(weft_pool_create(&opts, &pool) == 0);
    for (uintptr_t p = 0; p < PRODUCERS; p++)
        CHECK(weft_pool_submit(pool, handler, (void *)p, &fs[p]) == 0);
    for (int p = 0; p < PRODUCERS; p++) {
        CHECK(weft_future_result(fs[p], WEFT_DEADLINE_NEVER, NULL) == 0);
        weft_future_release(fs[p]);
    }

    /* q.put(None); t.join(): process what is queued, then stop. */
    CHECK(weft_bgworker_stop(writer, WEFT_BGWORKER_DRAIN,
                             weft_deadline_in(30 * WEFT_NS_PER_SEC)) == 0);
    CHECK(weft_bgworker_submit(writer, RECORD(0, 0), WEFT_DEADLINE_POLL) ==
          -ESHUTDOWN);

    /* The thread has exited: its writes to the journal are visible. */
    CHECK(weft_bgworker_stats(writer, &st) == 0);
    CHECK(st.processed == total && st.errors == bad && st.dropped == 0 &&
          st.queued == 0);
    CHECK(journal.count == total - bad && journal.out_of_order == 0);
    for (int p = 0; p < PRODUCERS; p++)
        CHECK(journal.last_seq[p] == PER_PRODUCER - 1);
    CHECK(weft_counter_read(hook_errors, &hooked) == 0 && hooked == bad);
    printf("log-writer processed %llu records (%llu malformed, reported by "
           "the hook), in order per producer\n",
           (unsigned long long)st.processed, (unsigned long long)st.errors);

    CHECK(weft_pool_destroy(pool) == 0);
    CHECK(weft_bgworker_destroy(writer) == 0);
    weft_counter_destroy(hook_errors);
    return 0;
}
