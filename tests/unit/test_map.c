/* SPDX-License-Identifier: MIT */
/* test_map.c - weft_map_*: every operation, bad input, a model test, the
 * intrusive variant and the scheduler's RCU hooks. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <weft/future.h>
#include <weft/map.h>
#include <weft/pool.h>

#include "rcu.h"
#include "weft_test.h"

static weft_map_t *
new_map(void)
{
    weft_map_t *m = NULL;

    ck_assert_int_eq(weft_map_create(NULL, &m), 0);
    ck_assert_ptr_nonnull(m);
    return m;
}

static size_t
map_len(weft_map_t *m)
{
    size_t n = (size_t)-1;

    ck_assert_int_eq(weft_map_len(m, &n), 0);
    return n;
}

START_TEST(test_map_create_bad)
{
    struct weft_map_opts o = WEFT_MAP_OPTS_INIT;
    weft_map_t *m;

    ck_assert_int_eq(weft_map_create(NULL, NULL), -EINVAL);
    o.size = 4;
    ck_assert_int_eq(weft_map_create(&o, &m), -EINVAL);
    o = (struct weft_map_opts)WEFT_MAP_OPTS_INIT;
    o.initial_buckets = WEFT_MAP_BUCKETS_MAX * 2;
    ck_assert_int_eq(weft_map_create(&o, &m), -EINVAL);
    o = (struct weft_map_opts)WEFT_MAP_OPTS_INIT;
    o.node_free = (weft_map_node_free_fn)1; /* node_free without node_eq */
    ck_assert_int_eq(weft_map_create(&o, &m), -EINVAL);
    o = (struct weft_map_opts)WEFT_MAP_OPTS_INIT;
    o.initial_buckets = 3; /* rounded up */
    o.max_buckets = 5;
    ck_assert_int_eq(weft_map_create(&o, &m), 0);
    ck_assert_int_eq(weft_map_destroy(m), 0);
    ck_assert_int_eq(weft_map_destroy(NULL), -EINVAL);
}
END_TEST

START_TEST(test_map_basic_ops)
{
    weft_map_t *m = new_map();
    char buf[16];
    size_t vlen = 0;
    bool replaced = true;

    ck_assert_int_eq(weft_map_get(m, "a", 1, buf, sizeof(buf), &vlen), -ENOENT);
    ck_assert_int_eq(weft_map_put(m, "a", 1, "one", 3, &replaced), 0);
    ck_assert(!replaced);
    ck_assert_int_eq(weft_map_get(m, "a", 1, buf, sizeof(buf), &vlen), 0);
    ck_assert_uint_eq(vlen, 3);
    ck_assert_int_eq(memcmp(buf, "one", 3), 0);
    ck_assert_int_eq(weft_map_contains(m, "a", 1), 0);
    ck_assert_int_eq(weft_map_contains(m, "b", 1), -ENOENT);
    ck_assert_int_eq(weft_map_put(m, "a", 1, "uno", 3, &replaced), 0);
    ck_assert(replaced);
    ck_assert_int_eq(weft_map_get(m, "a", 1, buf, sizeof(buf), NULL), 0);
    ck_assert_int_eq(memcmp(buf, "uno", 3), 0);
    ck_assert_uint_eq(map_len(m), 1);

    ck_assert_int_eq(weft_map_put_if_absent(m, "a", 1, "x", 1), WEFT_EEXIST);
    ck_assert_int_eq(weft_map_put_if_absent(m, "b", 1, "two", 3), 0);
    ck_assert_uint_eq(map_len(m), 2);
    ck_assert_int_eq(weft_map_replace(m, "c", 1, "x", 1), -ENOENT);
    ck_assert_int_eq(weft_map_contains(m, "c", 1), -ENOENT);
    ck_assert_int_eq(weft_map_replace(m, "b", 1, "deux!", 5), 0);
    ck_assert_int_eq(weft_map_get(m, "b", 1, buf, sizeof(buf), &vlen), 0);
    ck_assert_uint_eq(vlen, 5);
    ck_assert_int_eq(memcmp(buf, "deux!", 5), 0);

    /* Too small a buffer: the needed length, buf untouched. */
    memset(buf, 'z', sizeof(buf));
    ck_assert_int_eq(weft_map_get(m, "b", 1, buf, 2, &vlen), -EOVERFLOW);
    ck_assert_uint_eq(vlen, 5);
    ck_assert_int_eq(buf[0], 'z');

    /* Empty values are values. */
    ck_assert_int_eq(weft_map_put(m, "e", 1, NULL, 0, NULL), 0);
    ck_assert_int_eq(weft_map_get(m, "e", 1, NULL, 0, &vlen), 0);
    ck_assert_uint_eq(vlen, 0);

    ck_assert_int_eq(weft_map_remove(m, "a", 1), 0);
    ck_assert_int_eq(weft_map_remove(m, "a", 1), -ENOENT);
    ck_assert_int_eq(weft_map_get(m, "a", 1, buf, sizeof(buf), &vlen), -ENOENT);
    ck_assert_uint_eq(map_len(m), 2);
    ck_assert_int_eq(weft_map_clear(m), 0);
    ck_assert_uint_eq(map_len(m), 0);
    ck_assert_int_eq(weft_map_contains(m, "b", 1), -ENOENT);
    ck_assert_int_eq(weft_map_put(m, "b", 1, "again", 5, NULL), 0);
    ck_assert_uint_eq(map_len(m), 1);
    ck_assert_int_eq(weft_map_destroy(m), 0);
}
END_TEST

/* Keys are byte strings: embedded NULs and long keys. */
START_TEST(test_map_binary_keys)
{
    weft_map_t *m = new_map();
    unsigned char k1[3] = {0, 1, 0}, k2[3] = {0, 1, 1};
    static unsigned char big[WEFT_MAP_KEY_MAX];
    int64_t v = 0;

    ck_assert_int_eq(weft_map_put(m, k1, 3, "1", 1, NULL), 0);
    ck_assert_int_eq(weft_map_put(m, k2, 3, "2", 1, NULL), 0);
    ck_assert_int_eq(weft_map_put(m, k1, 2, "p", 1, NULL), 0); /* prefix */
    ck_assert_uint_eq(map_len(m), 3);
    memset(big, 7, sizeof(big));
    ck_assert_int_eq(weft_map_put(m, big, sizeof(big), &v, sizeof(v), NULL), 0);
    ck_assert_int_eq(weft_map_contains(m, big, sizeof(big)), 0);
    big[sizeof(big) - 1] = 8;
    ck_assert_int_eq(weft_map_contains(m, big, sizeof(big)), -ENOENT);
    ck_assert_int_eq(weft_map_destroy(m), 0);
}
END_TEST

static int
noop_value(void *ctx, const void *v, size_t n)
{
    (void)ctx, (void)v, (void)n;
    return 0;
}

static int
noop_compute(void *ctx, const void *o, size_t ol, bool p, const void **nv,
             size_t *nl)
{
    (void)ctx, (void)o, (void)ol, (void)p, (void)nv, (void)nl;
    return WEFT_MAP_KEEP;
}

static int
noop_entry(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    (void)ctx, (void)k, (void)kl, (void)v, (void)vl;
    return 0;
}

START_TEST(test_map_bad_input)
{
    weft_map_t *m = new_map();
    char buf[4];
    size_t n;

    /* NULL map. */
    ck_assert_int_eq(weft_map_get(NULL, "k", 1, buf, 4, &n), -EINVAL);
    ck_assert_int_eq(weft_map_contains(NULL, "k", 1), -EINVAL);
    ck_assert_int_eq(weft_map_put(NULL, "k", 1, "v", 1, NULL), -EINVAL);
    ck_assert_int_eq(weft_map_put_if_absent(NULL, "k", 1, "v", 1), -EINVAL);
    ck_assert_int_eq(weft_map_replace(NULL, "k", 1, "v", 1), -EINVAL);
    ck_assert_int_eq(weft_map_remove(NULL, "k", 1), -EINVAL);
    ck_assert_int_eq(weft_map_compute(NULL, "k", 1, noop_compute, NULL),
                     -EINVAL);
    ck_assert_int_eq(weft_map_get_with(NULL, "k", 1, noop_value, NULL),
                     -EINVAL);
    ck_assert_int_eq(weft_map_foreach(NULL, noop_entry, NULL), -EINVAL);
    ck_assert_int_eq(weft_map_len(NULL, &n), -EINVAL);
    ck_assert_int_eq(weft_map_clear(NULL), -EINVAL);
    /* NULL and zero-length keys, oversized keys. */
    ck_assert_int_eq(weft_map_put(m, NULL, 1, "v", 1, NULL), -EINVAL);
    ck_assert_int_eq(weft_map_put(m, "k", 0, "v", 1, NULL), -EINVAL);
    ck_assert_int_eq(weft_map_get(m, NULL, 1, buf, 4, &n), -EINVAL);
    ck_assert_int_eq(weft_map_get(m, "k", 0, buf, 4, &n), -EINVAL);
    ck_assert_int_eq(weft_map_remove(m, "k", 0), -EINVAL);
    ck_assert_int_eq(weft_map_contains(m, "k", WEFT_MAP_KEY_MAX + 1), -EINVAL);
    ck_assert_int_eq(weft_map_put(m, "k", SIZE_MAX, "v", 1, NULL), -EINVAL);
    /* NULL values with a length, huge values, NULL buffers. */
    ck_assert_int_eq(weft_map_put(m, "k", 1, NULL, 1, NULL), -EINVAL);
    ck_assert_int_eq(weft_map_put(m, "k", 1, "v", WEFT_MAP_VALUE_MAX + 1, NULL),
                     -EINVAL);
    ck_assert_int_eq(weft_map_put(m, "k", 1, "v", SIZE_MAX, NULL), -EINVAL);
    ck_assert_int_eq(weft_map_put_if_absent(m, "k", 1, NULL, 9), -EINVAL);
    ck_assert_int_eq(weft_map_replace(m, "k", 1, "v", SIZE_MAX), -EINVAL);
    ck_assert_int_eq(weft_map_get(m, "k", 1, NULL, 4, &n), -EINVAL);
    ck_assert_int_eq(weft_map_get_with(m, "k", 1, NULL, NULL), -EINVAL);
    ck_assert_int_eq(weft_map_compute(m, "k", 1, NULL, NULL), -EINVAL);
    ck_assert_int_eq(weft_map_foreach(m, NULL, NULL), -EINVAL);
    ck_assert_int_eq(weft_map_len(m, NULL), -EINVAL);
    /* Intrusive calls on a byte map. */
    {
        struct weft_map_node node;
        ck_assert_int_eq(weft_map_node_put(m, &node, "k", 1), -EPERM);
        ck_assert_int_eq(weft_map_node_remove(m, "k", 1), -EPERM);
        ck_assert_int_eq(weft_map_node_foreach(m, NULL, NULL), -EINVAL);
    }
    /* Nothing of the above changed the map. */
    ck_assert_uint_eq(map_len(m), 0);
    ck_assert_int_eq(weft_map_contains(m, "k", 1), -ENOENT);
    ck_assert_int_eq(weft_map_destroy(m), 0);
}
END_TEST

/* Allocation failure: -ENOMEM and the map unchanged. Uses an address-
 * space limit, so only outside sanitizer builds (their shadow memory
 * needs the address space). Check forks each test: the limit stays here. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#    define WEFT_TEST_SANITIZED 1
#elif defined(__has_feature)
#    if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#        define WEFT_TEST_SANITIZED 1
#    endif
#endif

START_TEST(test_map_enomem)
{
#ifdef WEFT_TEST_SANITIZED
    ck_assert(1); /* skipped: see above */
#else
    weft_map_t *m = new_map();
    struct rlimit rl = {(rlim_t)512 << 20, (rlim_t)512 << 20};
    size_t big = (size_t)768 << 20; /* <= WEFT_MAP_VALUE_MAX */
    char *v = NULL;

    ck_assert_int_eq(weft_map_put(m, "k", 1, "old", 3, NULL), 0);
    ck_assert_int_eq(setrlimit(RLIMIT_AS, &rl), 0);
    /* Any readable pointer will do: the map fails before reading it. */
    v = (char *)&rl;
    ck_assert_int_eq(weft_map_put(m, "k", 1, v, big, NULL), -ENOMEM);
    ck_assert_int_eq(weft_map_put_if_absent(m, "n", 1, v, big), -ENOMEM);
    ck_assert_int_eq(weft_map_replace(m, "k", 1, v, big), -ENOMEM);
    ck_assert_int_eq(weft_map_contains(m, "n", 1), -ENOENT);
    {
        char buf[8];
        size_t n = 0;
        ck_assert_int_eq(weft_map_get(m, "k", 1, buf, sizeof(buf), &n), 0);
        ck_assert_uint_eq(n, 3);
    }
    ck_assert_int_eq(weft_map_destroy(m), 0);
#endif
}
END_TEST

/* get_with, compute and foreach. */
static int
sum_value(void *ctx, const void *v, size_t n)
{
    int64_t x;

    ck_assert_uint_eq(n, sizeof(x));
    memcpy(&x, v, sizeof(x));
    *(int64_t *)ctx += x;
    return 7;
}

struct add_ctx {
    int64_t delta;
    int64_t buf;
    int calls;
};

/* Adds delta to an int64 value; absent counts as 0; 0 result deletes. */
static int
add_compute(void *ctx, const void *old, size_t old_len, bool present,
            const void **nv, size_t *nl)
{
    struct add_ctx *a = ctx;
    int64_t x = 0;

    a->calls++;
    if (present) {
        if (old_len != sizeof(x))
            return -EINVAL;
        memcpy(&x, old, sizeof(x));
    }
    a->buf = x + a->delta;
    if (a->buf == 0)
        return WEFT_MAP_DELETE;
    *nv = &a->buf;
    *nl = sizeof(a->buf);
    return WEFT_MAP_SET;
}

static int
failing_compute(void *ctx, const void *o, size_t ol, bool p, const void **nv,
                size_t *nl)
{
    (void)ctx, (void)o, (void)ol, (void)p, (void)nv, (void)nl;
    return -ECANCELED;
}

static int
bad_verdict_compute(void *ctx, const void *o, size_t ol, bool p,
                    const void **nv, size_t *nl)
{
    (void)ctx, (void)o, (void)ol, (void)p, (void)nv, (void)nl;
    return 42;
}

static int
count_entry(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    int64_t x;

    ck_assert_uint_eq(kl, 1);
    ck_assert_uint_eq(vl, sizeof(x));
    memcpy(&x, v, sizeof(x));
    ck_assert_int_eq(x, ((const char *)k)[0]);
    (*(int *)ctx)++;
    return 0;
}

static int
stop_entry(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    (void)k, (void)kl, (void)v, (void)vl;
    (*(int *)ctx)++;
    return 99;
}

START_TEST(test_map_callbacks)
{
    weft_map_t *m = new_map();
    struct add_ctx a = {5, 0, 0};
    int64_t sum = 0, x;
    int n = 0;

    ck_assert_int_eq(weft_map_get_with(m, "k", 1, sum_value, &sum), -ENOENT);
    ck_assert_int_eq(weft_map_compute(m, "k", 1, add_compute, &a), 0);
    ck_assert_int_eq(weft_map_compute(m, "k", 1, add_compute, &a), 0);
    ck_assert_int_eq(weft_map_get_with(m, "k", 1, sum_value, &sum), 7);
    ck_assert_int_eq(sum, 10);
    ck_assert_uint_eq(map_len(m), 1);
    a.delta = -10; /* reaches 0: deleted */
    ck_assert_int_eq(weft_map_compute(m, "k", 1, add_compute, &a), 0);
    ck_assert_int_eq(weft_map_contains(m, "k", 1), -ENOENT);
    ck_assert_uint_eq(map_len(m), 0);
    ck_assert_int_eq(a.calls, 3); /* no contention: once each */
    ck_assert_int_eq(weft_map_compute(m, "k", 1, failing_compute, NULL),
                     -ECANCELED);
    ck_assert_int_eq(weft_map_compute(m, "k", 1, bad_verdict_compute, NULL),
                     -EINVAL);
    ck_assert_int_eq(weft_map_compute(m, "k", 1, noop_compute, NULL), 0);
    ck_assert_int_eq(weft_map_contains(m, "k", 1), -ENOENT);

    for (char c = 'a'; c <= 'z'; c++) {
        x = c;
        ck_assert_int_eq(weft_map_put(m, &c, 1, &x, sizeof(x), NULL), 0);
    }
    ck_assert_int_eq(weft_map_foreach(m, count_entry, &n), 0);
    ck_assert_int_eq(n, 26);
    n = 0;
    ck_assert_int_eq(weft_map_foreach(m, stop_entry, &n), 99);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(weft_map_destroy(m), 0);
}
END_TEST

/* [M10] Updates of the same length rewrite the value in place; other
 * lengths replace the node. Either way a get_with callback's view of the
 * value does not change under it, even when it updates the key itself. */
struct inplace_ctx {
    weft_map_t *m;
    size_t len;
    unsigned char seen[100];
};

static int
update_inside(void *ctx, const void *v, size_t n)
{
    struct inplace_ctx *c = ctx;
    unsigned char nv[100];

    ck_assert_uint_eq(n, c->len);
    memcpy(c->seen, v, n);
    memset(nv, 0xee, sizeof(nv));
    ck_assert_int_eq(weft_map_put(c->m, "key", 3, nv, n, NULL), 0);
    ck_assert_int_eq(memcmp(v, c->seen, n), 0); /* unchanged view */
    return 3;
}

START_TEST(test_map_inplace)
{
    static const size_t lens[] = {0, 1, 7, 8, 9, 16, 63, 64, 65, 100};
    weft_map_t *m = new_map();
    unsigned char v[100], buf[100];
    size_t n;
    bool rep = false;

    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        size_t len = lens[i];
        struct inplace_ctx c = {m, len, {0}};
        for (int round = 0; round < 3; round++) {
            memset(v, 'a' + round + (int)i, sizeof(v));
            ck_assert_int_eq(weft_map_put(m, "key", 3, v, len, &rep), 0);
            ck_assert(rep == (i > 0 || round > 0));
            n = 999;
            ck_assert_int_eq(weft_map_get(m, "key", 3, buf, len, &n), 0);
            ck_assert_uint_eq(n, len);
            ck_assert_int_eq(memcmp(buf, v, len), 0);
            ck_assert_uint_eq(map_len(m), 1);
        }
        memset(v, 'z', sizeof(v));
        ck_assert_int_eq(weft_map_replace(m, "key", 3, v, len), 0);
        ck_assert_int_eq(weft_map_get(m, "key", 3, buf, sizeof(buf), &n), 0);
        ck_assert_int_eq(memcmp(buf, v, len), 0);
        ck_assert_int_eq(weft_map_get_with(m, "key", 3, update_inside, &c), 3);
        ck_assert_int_eq(memcmp(c.seen, v, len), 0);
        memset(v, 0xee, sizeof(v));
        ck_assert_int_eq(weft_map_get(m, "key", 3, buf, sizeof(buf), &n), 0);
        ck_assert_uint_eq(n, len);
        ck_assert_int_eq(memcmp(buf, v, len), 0);
    }
    ck_assert_int_eq(weft_map_remove(m, "key", 3), 0);
    ck_assert_uint_eq(map_len(m), 0);
    ck_assert_int_eq(weft_map_destroy(m), 0);
}
END_TEST

/* Map calls that are not allowed from inside a callback say so. */
static int
nested_value(void *ctx, const void *v, size_t n)
{
    weft_map_t *m = ctx;
    char buf[8];

    (void)v, (void)n;
    ck_assert_int_eq(weft_map_destroy(m), -EDEADLK);
    ck_assert_int_eq(weft_map_clear(m), -EDEADLK);
    ck_assert_int_eq(weft_map_reader_attach(), -EDEADLK);
    /* Nested reads are fine. */
    ck_assert_int_eq(weft_map_get(m, "k", 1, buf, sizeof(buf), NULL), 0);
    return 0;
}

START_TEST(test_map_nested_calls)
{
    weft_map_t *m = new_map();

    ck_assert_int_eq(weft_map_put(m, "k", 1, "v", 1, NULL), 0);
    ck_assert_int_eq(weft_map_get_with(m, "k", 1, nested_value, m), 0);
    ck_assert_int_eq(weft_map_destroy(m), 0);
}
END_TEST

/* ---- model test ------------------------------------------------------------
 */

enum { MODEL_KEYS = 48, MODEL_STEPS = 3000 };

struct model {
    bool present[MODEL_KEYS];
    size_t len[MODEL_KEYS];
    unsigned char val[MODEL_KEYS][40];
};

static void
model_key(unsigned k, char *key, size_t *klen)
{
    /* Keys of different lengths (1..12 bytes). */
    *klen = 1 + k % 12;
    memset(key, 'a' + (int)(k % 26), *klen);
    key[0] = (char)k;
}

struct walk {
    const struct model *md;
    int seen;
};

static int
model_entry(void *ctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct walk *w = ctx;
    unsigned idx = ((const unsigned char *)k)[0];

    ck_assert_uint_lt(idx, MODEL_KEYS);
    ck_assert(w->md->present[idx]);
    ck_assert_uint_eq(kl, 1 + idx % 12);
    ck_assert_uint_eq(vl, w->md->len[idx]);
    ck_assert_int_eq(memcmp(v, w->md->val[idx], vl), 0);
    w->seen++;
    return 0;
}

static void
model_compare(weft_map_t *m, const struct model *md)
{
    unsigned char buf[64];
    char key[16];
    size_t klen, vlen, n = 0;
    struct walk w = {md, 0};

    for (unsigned k = 0; k < MODEL_KEYS; k++) {
        model_key(k, key, &klen);
        int rc = weft_map_get(m, key, klen, buf, sizeof(buf), &vlen);
        if (!md->present[k]) {
            ck_assert_int_eq(rc, -ENOENT);
            continue;
        }
        n++;
        ck_assert_int_eq(rc, 0);
        ck_assert_uint_eq(vlen, md->len[k]);
        ck_assert_int_eq(memcmp(buf, md->val[k], vlen), 0);
    }
    ck_assert_uint_eq(map_len(m), n);
    ck_assert_int_eq(weft_map_foreach(m, model_entry, &w), 0);
    ck_assert_int_eq(w.seen, (int)n);
}

START_TEST(test_map_model)
{
    uint64_t seed = weft_test_seed(0, NULL), rs = seed;
    struct model md;
    struct weft_map_opts o = WEFT_MAP_OPTS_INIT;
    weft_map_t *m;

    memset(&md, 0, sizeof(md));
    o.initial_buckets = 2; /* forces resizes */
    ck_assert_int_eq(weft_map_create(&o, &m), 0);
    for (int step = 0; step < MODEL_STEPS; step++) {
        unsigned k = (unsigned)(weft_test_rand(&rs) % MODEL_KEYS);
        unsigned op = (unsigned)(weft_test_rand(&rs) % 7);
        unsigned char v[40];
        size_t vl = weft_test_rand(&rs) % sizeof(v);
        char key[16];
        size_t klen;
        int rc;

        for (size_t i = 0; i < vl; i++)
            v[i] = (unsigned char)weft_test_rand(&rs);
        model_key(k, key, &klen);
        switch (op) {
        case 0: /* put */
        case 1: {
            bool rep;
            ck_assert_int_eq(weft_map_put(m, key, klen, v, vl, &rep), 0);
            ck_assert(rep == md.present[k]);
            md.present[k] = true;
            break;
        }
        case 2: /* put_if_absent */
            rc = weft_map_put_if_absent(m, key, klen, v, vl);
            ck_assert_int_eq(rc, md.present[k] ? WEFT_EEXIST : 0);
            if (rc != 0)
                vl = md.len[k], memcpy(v, md.val[k], vl);
            md.present[k] = true;
            break;
        case 3: /* replace */
            rc = weft_map_replace(m, key, klen, v, vl);
            ck_assert_int_eq(rc, md.present[k] ? 0 : -ENOENT);
            if (rc != 0)
                continue;
            break;
        case 4: /* remove */
            rc = weft_map_remove(m, key, klen);
            ck_assert_int_eq(rc, md.present[k] ? 0 : -ENOENT);
            md.present[k] = false;
            break;
        case 5: { /* compute: add 3 to an int64 or delete at 0 */
            struct add_ctx a = {3, 0, 0};
            int64_t x = 0;
            if (md.present[k] && md.len[k] != sizeof(x)) {
                ck_assert_int_eq(
                    weft_map_compute(m, key, klen, add_compute, &a), -EINVAL);
                continue;
            }
            if (md.present[k])
                memcpy(&x, md.val[k], sizeof(x));
            x += 3;
            ck_assert_int_eq(weft_map_compute(m, key, klen, add_compute, &a),
                             0);
            if (x == 0) {
                md.present[k] = false;
            } else {
                md.present[k] = true;
                vl = sizeof(x);
                memcpy(v, &x, sizeof(x));
            }
            break;
        }
        case 6: /* clear, rarely */
            if (weft_test_rand(&rs) % 50 == 0) {
                ck_assert_int_eq(weft_map_clear(m), 0);
                memset(&md, 0, sizeof(md));
            }
            continue;
        }
        if (md.present[k]) {
            md.len[k] = vl;
            memcpy(md.val[k], v, vl);
        }
        model_compare(m, &md);
    }
    ck_assert_int_eq(weft_map_destroy(m), 0);
}
END_TEST

/* ---- custom hash / compare ---------------------------------------------- */

static uint64_t
bad_hash(const void *key, size_t klen, void *ctx)
{
    (void)key, (void)klen, (void)ctx;
    return 42; /* every key collides: the compare does all the work */
}

/* Case-insensitive ASCII keys. */
static bool
icase_eq(const void *a, size_t al, const void *b, size_t bl, void *ctx)
{
    const char *x = a, *y = b;

    (void)ctx;
    if (al != bl)
        return false;
    for (size_t i = 0; i < al; i++)
        if ((x[i] | 0x20) != (y[i] | 0x20))
            return false;
    return true;
}

START_TEST(test_map_custom_hash_eq)
{
    struct weft_map_opts o = WEFT_MAP_OPTS_INIT;
    weft_map_t *m;
    char buf[8];

    o.hash = bad_hash;
    o.key_eq = icase_eq;
    ck_assert_int_eq(weft_map_create(&o, &m), 0);
    ck_assert_int_eq(weft_map_put(m, "Hello", 5, "1", 1, NULL), 0);
    ck_assert_int_eq(weft_map_put(m, "World", 5, "2", 1, NULL), 0);
    ck_assert_int_eq(weft_map_put_if_absent(m, "HELLO", 5, "3", 1),
                     WEFT_EEXIST);
    ck_assert_int_eq(weft_map_get(m, "world", 5, buf, sizeof(buf), NULL), 0);
    ck_assert_int_eq(buf[0], '2');
    ck_assert_uint_eq(map_len(m), 2);
    for (int i = 0; i < 100; i++) {
        char k[4] = {'k', (char)('0' + i / 10), (char)('0' + i % 10), 0};
        ck_assert_int_eq(weft_map_put(m, k, 3, k, 3, NULL), 0);
    }
    ck_assert_uint_eq(map_len(m), 102);
    ck_assert_int_eq(weft_map_remove(m, "K42", 3), 0);
    ck_assert_int_eq(weft_map_contains(m, "k42", 3), -ENOENT);
    ck_assert_int_eq(weft_map_contains(m, "k43", 3), 0);
    ck_assert_int_eq(weft_map_destroy(m), 0);
}
END_TEST

/* The key foreach shows for the single entry of m, into key (5 bytes). */
static int
first_key(void *ctx, const void *key, size_t klen, const void *v, size_t vl)
{
    (void)v, (void)vl;
    ck_assert_uint_eq(klen, 5);
    memcpy(ctx, key, 5);
    return 0;
}

static int
set_z(void *ctx, const void *old, size_t old_len, bool present, const void **nv,
      size_t *nl)
{
    (void)old, (void)old_len;
    ck_assert(present);
    *nv = ctx;
    *nl = 1;
    return WEFT_MAP_SET;
}

/* A replacement stores its own key, whether the value is rewritten in
 * place or by a new entry (found by fuzz_map: an in-place put kept the
 * old spelling of a case-folded key). */
START_TEST(test_map_replace_stores_key)
{
    static const char big[WEFT_MAP_INPLACE_MAX + 1];
    struct weft_map_opts o = WEFT_MAP_OPTS_INIT;
    char key[5], buf[8], z[] = "z";
    bool replaced = false;
    weft_map_t *m;

    o.key_eq = icase_eq;
    o.hash = bad_hash;
    ck_assert_int_eq(weft_map_create(&o, &m), 0);
    ck_assert_int_eq(weft_map_put(m, "hello", 5, "1", 1, NULL), 0);
    ck_assert_int_eq(weft_map_put(m, "HELLO", 5, "2", 1, &replaced), 0);
    ck_assert(replaced);
    ck_assert_int_eq(weft_map_foreach(m, first_key, key), 0);
    ck_assert_mem_eq(key, "HELLO", 5);
    ck_assert_int_eq(weft_map_replace(m, "Hello", 5, "3", 1), 0);
    ck_assert_int_eq(weft_map_foreach(m, first_key, key), 0);
    ck_assert_mem_eq(key, "Hello", 5);
    ck_assert_int_eq(weft_map_compute(m, "hELLO", 5, set_z, z), 0);
    ck_assert_int_eq(weft_map_foreach(m, first_key, key), 0);
    ck_assert_mem_eq(key, "hELLO", 5);
    ck_assert_int_eq(weft_map_put(m, "hello", 5, big, sizeof(big), NULL), 0);
    ck_assert_int_eq(weft_map_foreach(m, first_key, key), 0);
    ck_assert_mem_eq(key, "hello", 5);
    ck_assert_int_eq(weft_map_put(m, "HeLLo", 5, big, sizeof(big), NULL), 0);
    ck_assert_int_eq(weft_map_foreach(m, first_key, key), 0);
    ck_assert_mem_eq(key, "HeLLo", 5);
    ck_assert_int_eq(weft_map_put(m, "HeLLo", 5, "4", 1, NULL), 0);
    ck_assert_int_eq(weft_map_put(m, "HeLLo", 5, "5", 1, NULL), 0);
    ck_assert_int_eq(weft_map_get(m, "hello", 5, buf, sizeof(buf), NULL), 0);
    ck_assert_int_eq(buf[0], '5');
    ck_assert_uint_eq(map_len(m), 1);
    ck_assert_int_eq(weft_map_destroy(m), 0);
}
END_TEST

/* ---- intrusive maps ---------------------------------------------------- */

struct obj {
    struct weft_map_node node; /* first: the cast below relies on it */
    int key;
    int value;
};

static atomic_int freed;

static bool
obj_eq(const struct weft_map_node *n, const void *key, size_t klen, void *ctx)
{
    const struct obj *o = (const struct obj *)n;
    int k;

    (void)ctx;
    if (klen != sizeof(k))
        return false;
    memcpy(&k, key, sizeof(k));
    return o->key == k;
}

static void
obj_free(struct weft_map_node *n, void *ctx)
{
    ck_assert_ptr_eq(ctx, &freed);
    atomic_fetch_add_explicit(&freed, 1, memory_order_relaxed);
    free(n);
}

static struct obj *
obj_new(int key, int value)
{
    struct obj *o = calloc(1, sizeof(*o));

    ck_assert_ptr_nonnull(o);
    o->key = key;
    o->value = value;
    return o;
}

static int
obj_value(void *ctx, struct weft_map_node *n)
{
    *(int *)ctx = ((struct obj *)n)->value;
    return 0;
}

static int
obj_sum(void *ctx, struct weft_map_node *n)
{
    *(int *)ctx += ((struct obj *)n)->value;
    return 0;
}

START_TEST(test_map_intrusive)
{
    struct weft_map_opts o = WEFT_MAP_OPTS_INIT;
    weft_map_t *m;
    struct obj *a;
    int v = 0, k = 1, sum = 0;

    atomic_store_explicit(&freed, 0, memory_order_relaxed);
    o.node_eq = obj_eq;
    o.node_free = obj_free;
    o.ctx = &freed;
    ck_assert_int_eq(weft_map_create(&o, &m), 0);
    ck_assert_int_eq(weft_map_node_put(m, NULL, &k, sizeof(k)), -EINVAL);
    ck_assert_int_eq(weft_map_put(m, "k", 1, "v", 1, NULL), -EPERM);
    ck_assert_int_eq(weft_map_foreach(m, noop_entry, NULL), -EPERM);
    for (k = 0; k < 10; k++)
        ck_assert_int_eq(
            weft_map_node_put(m, &obj_new(k, k * 10)->node, &k, sizeof(k)), 0);
    k = 3;
    a = obj_new(3, 333);
    ck_assert_int_eq(weft_map_node_put_if_absent(m, &a->node, &k, sizeof(k)),
                     WEFT_EEXIST);
    free(a); /* still ours */
    ck_assert_int_eq(weft_map_node_find(m, &k, sizeof(k), obj_value, &v), 0);
    ck_assert_int_eq(v, 30);
    /* Replace: the old object goes to node_free. */
    ck_assert_int_eq(weft_map_node_put(m, &obj_new(3, 31)->node, &k, sizeof(k)),
                     0);
    ck_assert_int_eq(weft_map_node_find(m, &k, sizeof(k), obj_value, &v), 0);
    ck_assert_int_eq(v, 31);
    ck_assert_int_eq(weft_map_node_remove(m, &k, sizeof(k)), 0);
    ck_assert_int_eq(weft_map_node_remove(m, &k, sizeof(k)), -ENOENT);
    ck_assert_int_eq(weft_map_node_find(m, &k, sizeof(k), obj_value, &v),
                     -ENOENT);
    ck_assert_uint_eq(map_len(m), 9);
    ck_assert_int_eq(weft_map_node_foreach(m, obj_sum, &sum), 0);
    ck_assert_int_eq(sum, 450 - 30);
    ck_assert_int_eq(weft_map_destroy(m), 0);
    /* 10 inserted + 1 replacement = 11 objects, all handed back. */
    ck_assert_int_eq(atomic_load_explicit(&freed, memory_order_relaxed), 11);
}
END_TEST

/* ---- the scheduler hooks, from a harness "worker" thread ---------------- */

struct harness {
    weft_map_t *m;
    atomic_int phase;
    int found;
};

static void
wait_phase(atomic_int *p, int want)
{
    while (atomic_load_explicit(p, memory_order_acquire) < want)
        sched_yield();
}

static void *
harness_worker(void *arg)
{
    struct harness *h = arg;
    char buf[8];

    weft__rcu_worker_enter();
    ck_assert(weft__rcu_tls.fast);
    /* "Tasks": reads on the fast path, quiescent state after each. */
    for (int i = 0; i < 100; i++) {
        if (weft_map_get(h->m, "k", 1, buf, sizeof(buf), NULL) == 0)
            h->found++;
        weft__rcu_worker_quiescent();
    }
    ck_assert_int_eq(weft_map_reader_detach(), -EPERM); /* a worker */
    /* Park: offline, so the main thread's grace periods do not wait. */
    weft__rcu_worker_offline();
    ck_assert(!weft__rcu_tls.fast);
    atomic_store_explicit(&h->phase, 1, memory_order_release);
    wait_phase(&h->phase, 2);
    weft__rcu_worker_online();
    ck_assert(weft__rcu_tls.fast);
    ck_assert_int_eq(weft_map_get(h->m, "k", 1, buf, sizeof(buf), NULL), 0);
    ck_assert_int_eq(buf[0], 'w');
    weft__rcu_worker_exit();
    ck_assert(!weft__rcu_tls.fast);
    return NULL;
}

START_TEST(test_map_worker_hooks)
{
    struct harness h = {new_map(), 0, 0};
    pthread_t t;

    ck_assert_int_eq(weft_map_put(h.m, "k", 1, "v", 1, NULL), 0);
    ck_assert_int_eq(pthread_create(&t, NULL, harness_worker, &h), 0);
    wait_phase(&h.phase, 1);
    /* The worker is parked (offline): updates and a barrier complete. */
    ck_assert_int_eq(weft_map_put(h.m, "k", 1, "w", 1, NULL), 0);
    ck_assert_int_eq(weft__rcu_barrier(), 0);
    atomic_store_explicit(&h.phase, 2, memory_order_release);
    pthread_join(t, NULL);
    ck_assert_int_eq(h.found, 100);
    ck_assert_int_eq(weft_map_destroy(h.m), 0);
}
END_TEST

/* An attached (non-worker) thread: fast reads, quiescent, detach. */
START_TEST(test_map_reader_attach)
{
    weft_map_t *m = new_map();
    char buf[4];

    ck_assert_int_eq(weft_map_reader_detach(), -EPERM); /* not attached */
    ck_assert_int_eq(weft_map_offline_end(), 0); /* not attached: no-op */
    ck_assert_int_eq(weft_map_reader_attach(), 0);
    ck_assert_int_eq(weft_map_reader_attach(), 0);
    ck_assert(weft__rcu_tls.fast);
    ck_assert_int_eq(weft_map_put(m, "k", 1, "v", 1, NULL), 0);
    ck_assert_int_eq(weft_map_put(m, "k", 1, "w", 1, NULL), 0);
    weft_map_quiescent();
    ck_assert_int_eq(weft_map_offline_begin(), 0);
    ck_assert(!weft__rcu_tls.fast);
    /* Map calls still work while offline (outside-thread path). */
    ck_assert_int_eq(weft_map_get(m, "k", 1, buf, sizeof(buf), NULL), 0);
    ck_assert_int_eq(buf[0], 'w');
    ck_assert_int_eq(weft_map_offline_end(), 0);
    ck_assert_int_eq(weft_map_offline_end(), -EPERM);
    ck_assert(weft__rcu_tls.fast);
    /* Destroy from an online thread goes offline around its barrier. */
    ck_assert_int_eq(weft_map_destroy(m), 0);
    ck_assert(weft__rcu_tls.fast);
    ck_assert_int_eq(weft_map_reader_detach(), 0);
    ck_assert(!weft__rcu_tls.fast);
}
END_TEST

/* [M8] More retired small nodes than the batch slots hold while no grace
 * period can end (an attached reader that never announces a quiescent
 * state): the thread's list grows instead of waiting, and destroy still
 * hands it over and frees everything (LeakSanitizer under ASan). */
START_TEST(test_map_retire_burst)
{
    weft_map_t *m = new_map();
    const uint64_t n = 40000; /* > 64 slots x 256 nodes */
    size_t len = 1;

    ck_assert_int_eq(weft_map_reader_attach(), 0);
    for (uint64_t k = 0; k < n; k++) {
        ck_assert_int_eq(weft_map_put(m, &k, sizeof(k), &k, sizeof(k), NULL),
                         0);
        ck_assert_int_eq(weft_map_remove(m, &k, sizeof(k)), 0);
    }
    ck_assert_int_eq(weft_map_len(m, &len), 0);
    ck_assert_uint_eq(len, 0);
    for (uint64_t k = 0; k < n; k += 997)
        ck_assert_int_eq(weft_map_contains(m, &k, sizeof(k)), -ENOENT);
    ck_assert_int_eq(weft_map_destroy(m), 0);
    /* The next map reuses what the callbacks kept ([M9]). */
    m = new_map();
    for (uint64_t k = 0; k < 1000; k++)
        ck_assert_int_eq(weft_map_put(m, &k, sizeof(k), &k, sizeof(k), NULL),
                         0);
    ck_assert_int_eq(weft_map_len(m, &len), 0);
    ck_assert_uint_eq(len, 1000);
    ck_assert_int_eq(weft_map_destroy(m), 0);
    ck_assert_int_eq(weft_map_reader_detach(), 0);
}
END_TEST

/* ---- on a real pool --------------------------------------------------------
 */

struct pool_job {
    weft_map_t *m;
    int id;
};

static int
pool_task(void *arg, void **result)
{
    struct pool_job *j = arg;
    char key[8], buf[8];
    int ok = 0;

    for (int i = 0; i < 200; i++) {
        int k = (j->id * 200 + i) % 300;
        memcpy(key, &k, sizeof(k));
        if (weft_map_put(j->m, key, sizeof(k), &k, sizeof(k), NULL) != 0)
            return -EIO;
        if (weft_map_get(j->m, key, sizeof(k), buf, sizeof(buf), NULL) == 0)
            ok++;
    }
    *result = (void *)(intptr_t)ok;
    return 0;
}

START_TEST(test_map_on_pool)
{
    struct weft_pool_opts po = WEFT_POOL_OPTS_INIT;
    struct pool_job jobs[16];
    weft_future_t *f[16];
    weft_pool_t *pool;
    weft_map_t *m = new_map();

    po.workers = 2;
    ck_assert_int_eq(weft_pool_create(&po, &pool), 0);
    for (int i = 0; i < 16; i++) {
        jobs[i] = (struct pool_job){m, i};
        ck_assert_int_eq(weft_pool_submit(pool, pool_task, &jobs[i], &f[i]), 0);
    }
    for (int i = 0; i < 16; i++) {
        void *r = NULL;
        ck_assert_int_eq(weft_future_result(f[i], WEFT_DEADLINE_NEVER, &r), 0);
        ck_assert_int_eq((int)(intptr_t)r, 200);
        weft_future_release(f[i]);
    }
    ck_assert_uint_eq(map_len(m), 300);
    /* Destroy while the pool's workers are alive (parked or idle). */
    ck_assert_int_eq(weft_map_destroy(m), 0);
    ck_assert_int_eq(weft_pool_destroy(pool), 0);
}
END_TEST

static Suite *
map_suite(void)
{
    Suite *s = suite_create("map");
    TCase *tc = tcase_create("core");

    tcase_set_timeout(tc, 30 * weft_test_timeout_multiplier());
    tcase_add_test(tc, test_map_create_bad);
    tcase_add_test(tc, test_map_basic_ops);
    tcase_add_test(tc, test_map_binary_keys);
    tcase_add_test(tc, test_map_bad_input);
    tcase_add_test(tc, test_map_enomem);
    tcase_add_test(tc, test_map_callbacks);
    tcase_add_test(tc, test_map_inplace);
    tcase_add_test(tc, test_map_nested_calls);
    tcase_add_test(tc, test_map_model);
    tcase_add_test(tc, test_map_custom_hash_eq);
    tcase_add_test(tc, test_map_replace_stores_key);
    tcase_add_test(tc, test_map_intrusive);
    tcase_add_test(tc, test_map_worker_hooks);
    tcase_add_test(tc, test_map_reader_attach);
    tcase_add_test(tc, test_map_retire_burst);
    tcase_add_test(tc, test_map_on_pool);
    suite_add_tcase(s, tc);
    return s;
}

int
main(void)
{
    SRunner *sr = srunner_create(map_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
