/* SPDX-License-Identifier: MIT */
/*
 * fuzz_queue.c - libFuzzer harness: weft_queue (FIFO, LIFO, priority,
 * FIFO lanes)
 * against a reference model.
 *
 * Input: byte 0 picks the kind, byte 1 the capacity; then one operation
 * per step: try/blocking put and get (POLL, a short deadline, or NEVER
 * only when the model says it cannot block), put_prio, task_done, join,
 * shutdown (plain, immediate, bad flags), the snapshots, bad arguments,
 * and hand-offs with a second thread blocked in get, put or join (woken
 * by a put, a get, task_done or a shutdown). Every return code, every
 * item (identity and order: exact for WEFT_QUEUE_FIFO, FIFO per producer
 * thread for WEFT_QUEUE_FIFO_LANES) and every snapshot must match the
 * model.
 * Single-threaded except for the hand-offs, whose outcome is fixed: the
 * helper thread can only finish after the main thread's unblocking step.
 */
#include <pthread.h>
#include <string.h>

#include <weft/queue.h>

#include "fuzz.h"

#define CAP_MAX  300u
#define MAX_OPS  4096u
#define THREADS  4u /* hand-offs per input: each creates a thread */
#define SHORT_NS (20 * WEFT_NS_PER_US)

enum { OPEN = 0, SHUT = 1, IMMEDIATE = 2 };

struct ent {
    int64_t prio;
    uint64_t seq;
    void *item;
};

struct model {
    enum weft_queue_kind kind;
    size_t cap, n;
    struct ent ents[CAP_MAX];
    uint64_t seq, puts, done, next_item;
    int64_t helpers; /* FIFO_LANES: hand-off helper threads that put */
    int state;
};

/* ---- the model ----------------------------------------------------------- */

static void
m_push(struct model *m, void *item, int64_t prio)
{
    FZ_CHECK(m->n < m->cap);
    m->ents[m->n++] = (struct ent){prio, m->seq++, item};
    m->puts++;
}

/* The index of the entry the queue must hand out next. */
static size_t
m_next(const struct model *m)
{
    size_t best = 0;

    if (m->kind == WEFT_QUEUE_FIFO || m->kind == WEFT_QUEUE_FIFO_LANES)
        return 0;
    if (m->kind == WEFT_QUEUE_LIFO)
        return m->n - 1;
    for (size_t i = 1; i < m->n; i++)
        if (m->ents[i].prio < m->ents[best].prio)
            best = i; /* ties: the lower index has the lower seq */
    return best;
}

static void *
m_pop(struct model *m)
{
    size_t i = m_next(m);
    void *item = m->ents[i].item;

    memmove(&m->ents[i], &m->ents[i + 1], (m->n - i - 1) * sizeof(m->ents[0]));
    m->n--;
    return item;
}

/* A get returned got. FIFO_LANES is FIFO per producer (weft/queue.h), so
 * got must be the oldest queued item of its producer (a FIFO_LANES entry's
 * prio holds its producer: 0 for the main thread, -k for the k-th helper
 * thread that put; not the item, which may be NULL). The other kinds (FIFO:
 * exact order across threads): exactly the model's next item. */
static bool
m_take(struct model *m, void *got)
{
    size_t i;

    if (m->kind != WEFT_QUEUE_FIFO_LANES)
        return got == m_pop(m);
    for (i = 0; i < m->n && m->ents[i].item != got; i++)
        ;
    if (i == m->n)
        return false;
    for (size_t j = 0; j < i; j++)
        if (m->ents[j].prio == m->ents[i].prio)
            return false;
    memmove(&m->ents[i], &m->ents[i + 1], (m->n - i - 1) * sizeof(m->ents[0]));
    m->n--;
    return true;
}

/* The code a put must return when it does not wait (or waits in vain). */
static int
m_put_rc(const struct model *m, int full_rc)
{
    if (m->state != OPEN)
        return -ESHUTDOWN;
    return m->n == m->cap ? full_rc : 0;
}

static int
m_get_rc(const struct model *m, int empty_rc)
{
    if (m->state == IMMEDIATE || (m->n == 0 && m->state == SHUT))
        return -ESHUTDOWN;
    return m->n == 0 ? empty_rc : 0;
}

static void
m_shutdown(struct model *m, unsigned flags)
{
    if (flags & WEFT_QUEUE_SHUTDOWN_IMMEDIATE) {
        m->done += m->n;
        m->n = 0;
        m->state = IMMEDIATE;
    } else if (m->state == OPEN) {
        m->state = SHUT;
    }
}

/* ---- decoding ------------------------------------------------------------ */

/* A fresh item: distinct non-NULL pointers, and now and then NULL. */
static void *
next_item(struct model *m, struct fz_reader *r)
{
    if (fz_u8(r) % 16 == 0)
        return NULL;
    return (void *)(uintptr_t)++m->next_item;
}

/* A deadline for a call that may wait: NEVER only if it would not block. */
static weft_deadline_t
deadline(struct fz_reader *r, int would_block)
{
    switch (fz_u8(r) % 3) {
    case 0:
        return WEFT_DEADLINE_POLL;
    case 1:
        return weft_deadline_in(SHORT_NS);
    default:
        return would_block ? weft_deadline_in(SHORT_NS) : WEFT_DEADLINE_NEVER;
    }
}

/* ---- hand-offs with a blocked second thread ------------------------------ */

enum { BLOCK_GET, BLOCK_PUT, BLOCK_JOIN };

struct helper {
    weft_queue_t *q;
    int what;
    void *item;
    int64_t prio;
    int rc;
};

static void *
helper_main(void *arg)
{
    struct helper *h = arg;

    switch (h->what) {
    case BLOCK_GET:
        h->rc = weft_queue_get(h->q, &h->item, WEFT_DEADLINE_NEVER);
        break;
    case BLOCK_PUT:
        h->rc = h->prio != 0
                    ? weft_queue_put_prio(h->q, h->item, h->prio,
                                          WEFT_DEADLINE_NEVER)
                    : weft_queue_put(h->q, h->item, WEFT_DEADLINE_NEVER);
        break;
    default:
        h->rc = weft_queue_join(h->q, WEFT_DEADLINE_NEVER);
        break;
    }
    return NULL;
}

/* One hand-off, if the model's state allows its kind; the main thread's
 * calls use NEVER only where the model guarantees progress (the helper may
 * hold the queue's lock for a moment, so try_ calls could say -EAGAIN). */
static void
handoff(weft_queue_t *q, struct model *m, struct fz_reader *r)
{
    struct helper h = {.q = q, .what = fz_u8(r) % 3};
    int wake_by_shutdown = fz_u8(r) % 4 == 0;
    unsigned flags = fz_u8(r) & 1 ? WEFT_QUEUE_SHUTDOWN_IMMEDIATE : 0;
    pthread_t t;
    void *got;

    if (m->state != OPEN || (h.what == BLOCK_GET && m->n != 0) ||
        (h.what == BLOCK_PUT && m->n != m->cap) ||
        (h.what == BLOCK_JOIN && m->done >= m->puts))
        return;
    if (h.what == BLOCK_PUT) {
        h.item = next_item(m, r);
        /* FIFO_LANES: only the main thread puts NULL (items are told
         * apart by identity; all NULLs then share one producer). */
        if (m->kind == WEFT_QUEUE_FIFO_LANES && h.item == NULL)
            h.item = (void *)(uintptr_t)++m->next_item;
        if (m->kind == WEFT_QUEUE_PRIORITY)
            h.prio = (int8_t)fz_u8(r);
    }
    FZ_CHECK(pthread_create(&t, NULL, helper_main, &h) == 0);
    if (h.what == BLOCK_JOIN) {
        if (wake_by_shutdown && m->done + m->n >= m->puts) {
            FZ_CHECK_RC(weft_queue_shutdown(q, WEFT_QUEUE_SHUTDOWN_IMMEDIATE),
                        0);
            m_shutdown(m, WEFT_QUEUE_SHUTDOWN_IMMEDIATE);
        }
        while (m->done < m->puts) {
            FZ_CHECK_RC(weft_queue_task_done(q), 0);
            m->done++;
        }
        FZ_CHECK(pthread_join(t, NULL) == 0);
        FZ_CHECK_RC(h.rc, 0);
        return;
    }
    if (wake_by_shutdown) {
        FZ_CHECK_RC(weft_queue_shutdown(q, flags), 0);
        m_shutdown(m, flags);
        FZ_CHECK(pthread_join(t, NULL) == 0);
        FZ_CHECK_RC(h.rc, -ESHUTDOWN);
        return;
    }
    if (h.what == BLOCK_GET) {
        void *item = next_item(m, r);
        FZ_CHECK_RC(weft_queue_put(q, item, WEFT_DEADLINE_NEVER), 0);
        m_push(m, item, 0);
        FZ_CHECK(pthread_join(t, NULL) == 0);
        FZ_CHECK_RC(h.rc, 0);
        FZ_CHECK(m_take(m, h.item));
        return;
    }
    FZ_CHECK_RC(weft_queue_get(q, &got, WEFT_DEADLINE_NEVER), 0);
    FZ_CHECK(m_take(m, got));
    FZ_CHECK(pthread_join(t, NULL) == 0);
    FZ_CHECK_RC(h.rc, 0);
    m_push(m, h.item,
           m->kind == WEFT_QUEUE_FIFO_LANES ? -++m->helpers : h.prio);
}

/* ---- the operations ------------------------------------------------------ */

static void
bad_arguments(weft_queue_t *q, struct fz_reader *r)
{
    weft_queue_t *none = NULL;
    void *it;

    switch (fz_u8(r) % 12) {
    case 0:
        FZ_CHECK_RC(weft_queue_create(WEFT_QUEUE_FIFO, 0, &none), -EINVAL);
        FZ_CHECK_RC(weft_queue_create(WEFT_QUEUE_LIFO,
                                      WEFT_QUEUE_MAX_CAPACITY + 1, &none),
                    -EINVAL);
        FZ_CHECK_RC(
            weft_queue_create((enum weft_queue_kind)(4 + fz_u8(r)), 1, &none),
            -EINVAL);
        FZ_CHECK_RC(weft_queue_create(WEFT_QUEUE_FIFO, 1, NULL), -EINVAL);
        FZ_CHECK(none == NULL);
        break;
    case 1:
        FZ_CHECK_RC(weft_queue_put(NULL, NULL, WEFT_DEADLINE_POLL), -EINVAL);
        FZ_CHECK_RC(weft_queue_put_prio(NULL, NULL, 0, WEFT_DEADLINE_POLL),
                    -EINVAL);
        break;
    case 2:
        FZ_CHECK_RC(weft_queue_get(NULL, &it, WEFT_DEADLINE_POLL), -EINVAL);
        FZ_CHECK_RC(weft_queue_get(q, NULL, WEFT_DEADLINE_NEVER), -EINVAL);
        break;
    case 3:
        FZ_CHECK_RC(weft_queue_try_put(NULL, NULL), -EINVAL);
        FZ_CHECK_RC(weft_queue_try_get(NULL, &it), -EINVAL);
        FZ_CHECK_RC(weft_queue_try_get(q, NULL), -EINVAL);
        break;
    case 4:
        FZ_CHECK_RC(weft_queue_task_done(NULL), -EINVAL);
        FZ_CHECK_RC(weft_queue_join(NULL, WEFT_DEADLINE_NEVER), -EINVAL);
        break;
    case 5:
        FZ_CHECK_RC(weft_queue_shutdown(NULL, 0), -EINVAL);
        FZ_CHECK_RC(weft_queue_shutdown(q, 2u << (fz_u8(r) % 31)), -EINVAL);
        break;
    default:
        FZ_CHECK_RC(weft_queue_destroy(NULL), -EINVAL);
        FZ_CHECK(weft_queue_len(NULL) == 0);
        FZ_CHECK(weft_queue_capacity(NULL) == 0);
        FZ_CHECK(!weft_queue_is_shutdown(NULL));
        break;
    }
}

static void
step(weft_queue_t *q, struct model *m, struct fz_reader *r, unsigned *threads)
{
    weft_deadline_t dl;
    void *item, *got;
    int64_t prio;
    unsigned flags;

    switch (fz_u8(r) % 13) {
    case 0:
        item = next_item(m, r);
        FZ_CHECK_RC(weft_queue_try_put(q, item), m_put_rc(m, -EAGAIN));
        if (m_put_rc(m, -EAGAIN) == 0)
            m_push(m, item, 0);
        break;
    case 1:
    case 2:
        item = next_item(m, r);
        dl = deadline(r, m->n == m->cap && m->state == OPEN);
        FZ_CHECK_RC(weft_queue_put(q, item, dl), m_put_rc(m, -ETIMEDOUT));
        if (m_put_rc(m, -ETIMEDOUT) == 0)
            m_push(m, item, 0);
        break;
    case 3:
        item = next_item(m, r);
        prio = (int8_t)fz_u8(r) / 16; /* few values: many ties */
        dl = deadline(r, m->n == m->cap && m->state == OPEN);
        if (m->kind != WEFT_QUEUE_PRIORITY) {
            FZ_CHECK_RC(weft_queue_put_prio(q, item, prio, dl), -EINVAL);
            break;
        }
        FZ_CHECK_RC(weft_queue_put_prio(q, item, prio, dl),
                    m_put_rc(m, -ETIMEDOUT));
        if (m_put_rc(m, -ETIMEDOUT) == 0)
            m_push(m, item, prio);
        break;
    case 4:
        got = (void *)1;
        FZ_CHECK_RC(weft_queue_try_get(q, &got), m_get_rc(m, -EAGAIN));
        if (m_get_rc(m, -EAGAIN) == 0)
            FZ_CHECK(m_take(m, got));
        break;
    case 5:
    case 6:
        dl = deadline(r, m_get_rc(m, -EAGAIN) == -EAGAIN);
        FZ_CHECK_RC(weft_queue_get(q, &got, dl), m_get_rc(m, -ETIMEDOUT));
        if (m_get_rc(m, -ETIMEDOUT) == 0)
            FZ_CHECK(m_take(m, got));
        break;
    case 7:
        FZ_CHECK_RC(weft_queue_task_done(q),
                    m->done < m->puts ? 0 : -EOVERFLOW);
        if (m->done < m->puts)
            m->done++;
        break;
    case 8:
        dl = deadline(r, m->done < m->puts);
        FZ_CHECK_RC(weft_queue_join(q, dl),
                    m->done >= m->puts ? 0 : -ETIMEDOUT);
        break;
    case 9:
        flags = fz_u8(r) % 8 == 0 ? WEFT_QUEUE_SHUTDOWN_IMMEDIATE : 0;
        FZ_CHECK_RC(weft_queue_shutdown(q, flags), 0);
        m_shutdown(m, flags);
        break;
    case 10:
        FZ_CHECK(weft_queue_len(q) == m->n);
        FZ_CHECK(weft_queue_capacity(q) == m->cap);
        FZ_CHECK(weft_queue_is_shutdown(q) == (m->state != OPEN));
        break;
    case 11:
        if (*threads < THREADS) {
            ++*threads;
            handoff(q, m, r);
        }
        break;
    default:
        bad_arguments(q, r);
        break;
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_reader r = {data, size};
    static struct model m; /* large: not on the stack */
    weft_queue_t *q = NULL;
    unsigned threads = 0;
    void *got;

    memset(&m, 0, sizeof(m));
    m.kind = (enum weft_queue_kind)(fz_u8(&r) % 4);
    m.cap = 1 + fz_u8(&r) % 16;
    if (m.cap == 16)
        m.cap = CAP_MAX - fz_u8(&r) % 64; /* now and then a large one */
    FZ_CHECK_RC(weft_queue_create(m.kind, m.cap, &q), 0);
    for (unsigned i = 0; i < MAX_OPS && fz_more(&r); i++)
        step(q, &m, &r, &threads);
    /* Drain what is left: it must come out in the model's order (per
     * producer for FIFO_LANES). */
    while (m_get_rc(&m, -EAGAIN) == 0) {
        FZ_CHECK_RC(weft_queue_try_get(q, &got), 0);
        FZ_CHECK(m_take(&m, got));
    }
    FZ_CHECK_RC(weft_queue_try_get(q, &got), m_get_rc(&m, -EAGAIN));
    FZ_CHECK(weft_queue_len(q) == 0);
    FZ_CHECK_RC(weft_queue_destroy(q), 0);
    return 0;
}
