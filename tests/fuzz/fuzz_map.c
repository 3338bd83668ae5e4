/* SPDX-License-Identifier: MIT */
/*
 * fuzz_map.c - libFuzzer harness: weft_map, byte and intrusive, against a
 * reference model (an array of entries searched linearly).
 *
 * Input: byte 0 picks the kind (byte / intrusive), the hash (built-in,
 * constant, first byte, or a case-folding FNV) and the key equality
 * (exact or ASCII case-folding, in key_eq or node_eq); byte 1 the bucket
 * counts. Then one operation per step: put, put_if_absent, replace,
 * remove, get (with a buffer too small, exact or larger), contains,
 * get_with and compute (with map calls nested in the callback), foreach
 * (whole or stopped), len, clear, the calling thread's RCU modes, and bad
 * arguments. Every code, value, stored key and visit count must match the
 * model; an intrusive map must hand back exactly the nodes that left it,
 * each once, and only after they left (ASan sees a premature free when a
 * later callback touches the node).
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include <weft/map.h>

#include "fuzz.h"

#define KEY_MAX   40u  /* model keys: short, from a small alphabet */
#define VAL_MAX   300u /* model values */
#define ENTRIES   256u /* model capacity: inserts beyond it are skipped */
#define MAX_OPS   4096u
#define STOP_CODE 7

enum { IN_MAP = 1, LEFT = 2 }; /* an object's state, as the model sees it */

struct obj { /* an intrusive map's element */
    struct weft_map_node node;
    uint8_t key[KEY_MAX];
    size_t klen;
    _Atomic int state; /* LEFT before the call that removes it */
};

/* Maps live across inputs, one per configuration (a map's destroy waits
 * for an RCU barrier, ~20 ms, which would cap the harness at ~50 inputs
 * a second); an input ends with the map cleared, and destroys it when
 * byte 0's high nibble is 0xf, checking then that every node the map
 * took came back through node_free. */
struct slot {
    weft_map_t *map;
    size_t nodes_given; /* nodes the map took */
    _Atomic size_t nodes_freed;
};

struct ent {
    uint8_t key[KEY_MAX];
    size_t klen;
    uint8_t val[VAL_MAX]; /* byte maps */
    size_t vlen;
    struct obj *obj; /* intrusive maps */
    bool seen;       /* foreach */
};

struct harness {
    struct slot *slot;
    weft_map_t *map;
    bool intrusive, fold;
    unsigned hash_mode;
    struct ent ents[ENTRIES];
    size_t n;
    bool attached;    /* weft_map_reader_attach() */
    unsigned offline; /* offline_begin nesting while attached */
    struct fz_reader *r;
};

static struct harness H; /* large: not on the stack */
static struct slot slots[16][32];

/* ---- keys, hashes, equality ---------------------------------------------- */

static uint8_t
fold(uint8_t b)
{
    return (uint8_t)(b & ~0x20u);
}

static bool
key_equal(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
    if (alen != blen)
        return false;
    if (!H.fold)
        return memcmp(a, b, alen) == 0;
    for (size_t i = 0; i < alen; i++)
        if (fold(a[i]) != fold(b[i]))
            return false;
    return true;
}

static uint64_t
hash_fn(const void *key, size_t klen, void *ctx)
{
    const uint8_t *k = key;
    uint64_t h = 0xcbf29ce484222325ull;

    FZ_CHECK(ctx == H.slot);
    switch (H.hash_mode) {
    case 1:
        return 0; /* every key in one chain */
    case 2:
        return fold(k[0]);
    default:
        for (size_t i = 0; i < klen; i++)
            h = (h ^ fold(k[i])) * 0x100000001b3ull;
        return h;
    }
}

static bool
key_eq_fn(const void *a, size_t alen, const void *b, size_t blen, void *ctx)
{
    FZ_CHECK(ctx == H.slot);
    return key_equal(a, alen, b, blen);
}

static bool
node_eq_fn(const struct weft_map_node *node, const void *key, size_t klen,
           void *ctx)
{
    const struct obj *o = (const struct obj *)(const void *)node;

    FZ_CHECK(ctx == H.slot);
    return key_equal(o->key, o->klen, key, klen);
}

/* Called by liburcu's call_rcu thread after a grace period. */
static void
node_free_fn(struct weft_map_node *node, void *ctx)
{
    struct slot *s = ctx;
    struct obj *o = (struct obj *)(void *)node;

    /* relaxed: the map's call_rcu hand-off orders the main thread's
     * store (made before the removing call) before this load. */
    FZ_CHECK(atomic_load_explicit(&o->state, memory_order_relaxed) == LEFT);
    /* relaxed: a count; destroy's rcu_barrier orders it before the
     * check in LLVMFuzzerTestOneInput. */
    atomic_fetch_add_explicit(&s->nodes_freed, 1, memory_order_relaxed);
    free(node);
}

/* The model's entry e is about to leave an intrusive map. */
static void
leaving(const struct ent *e)
{
    if (H.intrusive)
        /* relaxed: read by node_free_fn, after the map's hand-off. */
        atomic_store_explicit(&e->obj->state, LEFT, memory_order_relaxed);
}

/* A key from the input: mostly 1-3 bytes over 16 letters that differ in
 * case (bit 0x20), so keys repeat and fold together; now and then long. */
static size_t
read_key(struct fz_reader *r, uint8_t *key)
{
    size_t klen = 1 + fz_u8(r) % 4;

    if (klen == 4)
        klen = 4 + fz_u8(r) % (KEY_MAX - 3);
    for (size_t i = 0; i < klen; i++)
        key[i] = (uint8_t)('A' + (fz_u8(r) & 0x27));
    return klen;
}

static size_t
read_value(struct fz_reader *r, uint8_t *val)
{
    size_t vlen = fz_u8(r) % 24;

    if (vlen == 23)
        vlen = fz_below(r, VAL_MAX + 1);
    fz_bytes(r, val, vlen);
    return vlen;
}

static struct ent *
find(const uint8_t *key, size_t klen)
{
    for (size_t i = 0; i < H.n; i++)
        if (key_equal(H.ents[i].key, H.ents[i].klen, key, klen))
            return &H.ents[i];
    return NULL;
}

static void
forget(struct ent *e)
{
    *e = H.ents[--H.n];
}

static struct ent *
add(const uint8_t *key, size_t klen)
{
    struct ent *e = &H.ents[H.n++];

    memcpy(e->key, key, klen);
    e->klen = klen;
    return e;
}

static void
set_value(struct ent *e, const uint8_t *key, size_t klen, const uint8_t *val,
          size_t vlen)
{
    memcpy(e->key, key, klen); /* a replacing put stores its own key */
    e->klen = klen;
    memcpy(e->val, val, vlen);
    e->vlen = vlen;
}

/* ---- callbacks ----------------------------------------------------------- */

struct expect {
    const struct ent *e;
    int ret;       /* what the callback returns */
    unsigned nest; /* a map call to make inside the read section */
};

/* A map call nested in a callback: reads work, blocking calls refuse. */
static void
nested(unsigned what)
{
    uint8_t key[KEY_MAX], buf[VAL_MAX];
    size_t klen, vlen;
    struct ent *e;

    switch (what % 6) {
    case 1:
        FZ_CHECK_RC(weft_map_clear(H.map), -EDEADLK);
        break;
    case 2:
        FZ_CHECK_RC(weft_map_destroy(H.map), -EDEADLK);
        break;
    case 3:
        FZ_CHECK_RC(weft_map_reader_attach(), -EDEADLK);
        FZ_CHECK_RC(weft_map_reader_detach(), -EDEADLK);
        break;
    case 4:
        if (H.intrusive)
            break;
        klen = read_key(H.r, key);
        e = find(key, klen);
        FZ_CHECK_RC(weft_map_get(H.map, key, klen, buf, sizeof(buf), &vlen),
                    e ? 0 : -ENOENT);
        FZ_CHECK(e == NULL || (vlen == e->vlen && !memcmp(buf, e->val, vlen)));
        break;
    case 5:
        weft_map_quiescent(); /* no effect inside a read section */
        break;
    default:
        break;
    }
}

static int
value_fn(void *ctx, const void *value, size_t vlen)
{
    struct expect *x = ctx;

    FZ_CHECK(vlen == x->e->vlen &&
             (vlen == 0 || !memcmp(value, x->e->val, vlen)));
    nested(x->nest);
    return x->ret;
}

static int
node_fn(void *ctx, struct weft_map_node *node)
{
    struct expect *x = ctx;

    FZ_CHECK((struct obj *)(void *)node == x->e->obj);
    nested(x->nest);
    return x->ret;
}

struct compute {
    const struct ent *e;
    int verdict;
    uint8_t val[VAL_MAX];
    size_t vlen;
};

static int
compute_fn(void *ctx, const void *old, size_t old_len, bool present,
           const void **new_value, size_t *new_len)
{
    struct compute *c = ctx;

    FZ_CHECK(present == (c->e != NULL));
    if (present)
        FZ_CHECK(old_len == c->e->vlen &&
                 (old_len == 0 || !memcmp(old, c->e->val, old_len)));
    else
        FZ_CHECK(old == NULL && old_len == 0);
    *new_value = c->vlen == SIZE_MAX ? NULL : c->val;
    *new_len = c->vlen == SIZE_MAX ? 1 : c->vlen;
    return c->verdict;
}

struct walk {
    size_t visits, stop_after;
};

static struct ent *
walk_visit(struct walk *w, const void *key, size_t klen)
{
    struct ent *e = find(key, klen);

    FZ_CHECK(e != NULL && !e->seen);
    FZ_CHECK(e->klen == klen && !memcmp(e->key, key, klen)); /* stored key */
    e->seen = true;
    w->visits++;
    return e;
}

static int
entry_fn(void *ctx, const void *key, size_t klen, const void *value,
         size_t vlen)
{
    struct walk *w = ctx;
    struct ent *e = walk_visit(w, key, klen);

    FZ_CHECK(vlen == e->vlen && (vlen == 0 || !memcmp(value, e->val, vlen)));
    return w->visits == w->stop_after ? STOP_CODE : 0;
}

static int
node_entry_fn(void *ctx, struct weft_map_node *node)
{
    struct walk *w = ctx;
    struct obj *o = (struct obj *)(void *)node;
    struct ent *e = walk_visit(w, o->key, o->klen);

    FZ_CHECK(e->obj == o);
    return w->visits == w->stop_after ? STOP_CODE : 0;
}

/* ---- operations shared by both kinds ------------------------------------- */

static void
op_foreach(struct fz_reader *r)
{
    struct walk w = {0,
                     fz_u8(r) % 4 == 0 ? (size_t)(1 + fz_u8(r) % 8) : SIZE_MAX};
    int rc;

    for (size_t i = 0; i < H.n; i++)
        H.ents[i].seen = false;
    rc = H.intrusive ? weft_map_node_foreach(H.map, node_entry_fn, &w)
                     : weft_map_foreach(H.map, entry_fn, &w);
    if (w.stop_after <= H.n) {
        FZ_CHECK_RC(rc, STOP_CODE);
        FZ_CHECK(w.visits == w.stop_after);
    } else {
        FZ_CHECK_RC(rc, 0);
        FZ_CHECK(w.visits == H.n);
    }
}

/* The calling thread's RCU modes (map.h: attach, quiescent, offline). */
static void
op_reader(struct fz_reader *r)
{
    switch (fz_u8(r) % 5) {
    case 0:
        FZ_CHECK_RC(weft_map_reader_attach(), 0);
        if (!H.attached)
            H.offline = 0;
        H.attached = true;
        break;
    case 1:
        FZ_CHECK_RC(weft_map_reader_detach(), H.attached ? 0 : -EPERM);
        H.attached = false;
        break;
    case 2:
        weft_map_quiescent();
        break;
    case 3:
        FZ_CHECK_RC(weft_map_offline_begin(), 0);
        H.offline += H.attached;
        break;
    default:
        FZ_CHECK_RC(weft_map_offline_end(),
                    H.attached && H.offline == 0 ? -EPERM : 0);
        H.offline -= H.attached && H.offline > 0;
        break;
    }
}

static void
op_common(struct fz_reader *r, unsigned what)
{
    size_t len;

    switch (what % 4) {
    case 0:
        op_foreach(r);
        break;
    case 1:
        FZ_CHECK_RC(weft_map_len(H.map, &len), 0);
        FZ_CHECK(len == H.n);
        break;
    case 2:
        for (size_t i = 0; i < H.n; i++)
            leaving(&H.ents[i]);
        FZ_CHECK_RC(weft_map_clear(H.map), 0);
        H.n = 0;
        break;
    default:
        op_reader(r);
        break;
    }
}

/* Calls that must be refused, whatever the map's state. */
static void
op_bad(struct fz_reader *r)
{
    struct obj o = {0};
    uint8_t k = 'a', v = 0, buf[4];
    size_t len;
    int perm_b = H.intrusive ? -EPERM : -EINVAL; /* byte op, valid key */

    switch (fz_u8(r) % 8) {
    case 0:
        FZ_CHECK_RC(weft_map_put(NULL, &k, 1, &v, 1, NULL), -EINVAL);
        FZ_CHECK_RC(weft_map_put(H.map, NULL, 1, &v, 1, NULL), -EINVAL);
        FZ_CHECK_RC(weft_map_put(H.map, &k, 0, &v, 1, NULL), -EINVAL);
        FZ_CHECK_RC(weft_map_put(H.map, &k, WEFT_MAP_KEY_MAX + 1, &v, 1, NULL),
                    -EINVAL);
        break;
    case 1:
        FZ_CHECK_RC(weft_map_put(H.map, &k, 1, NULL, 1, NULL), perm_b);
        FZ_CHECK_RC(
            weft_map_put_if_absent(H.map, &k, 1, &v, WEFT_MAP_VALUE_MAX + 1),
            perm_b);
        FZ_CHECK_RC(weft_map_replace(H.map, &k, 1, NULL, 3), perm_b);
        break;
    case 2:
        FZ_CHECK_RC(weft_map_get(H.map, &k, 1, NULL, 1, &len), perm_b);
        FZ_CHECK_RC(weft_map_get_with(H.map, &k, 1, NULL, NULL), perm_b);
        FZ_CHECK_RC(weft_map_compute(H.map, &k, 1, NULL, NULL), perm_b);
        FZ_CHECK_RC(weft_map_foreach(H.map, NULL, NULL), -EINVAL);
        break;
    case 3:
        FZ_CHECK_RC(weft_map_len(NULL, &len), -EINVAL);
        FZ_CHECK_RC(weft_map_len(H.map, NULL), -EINVAL);
        FZ_CHECK_RC(weft_map_clear(NULL), -EINVAL);
        FZ_CHECK_RC(weft_map_destroy(NULL), -EINVAL);
        FZ_CHECK_RC(weft_map_create(NULL, NULL), -EINVAL);
        break;
    case 4: /* the other kind's calls */
        if (H.intrusive) {
            FZ_CHECK_RC(weft_map_contains(H.map, &k, 1), -EPERM);
            FZ_CHECK_RC(weft_map_remove(H.map, &k, 1), -EPERM);
            FZ_CHECK_RC(weft_map_get(H.map, &k, 1, buf, 4, NULL), -EPERM);
            FZ_CHECK_RC(weft_map_foreach(H.map, entry_fn, NULL), -EPERM);
        } else {
            FZ_CHECK_RC(weft_map_node_put(H.map, &o.node, &k, 1), -EPERM);
            FZ_CHECK_RC(weft_map_node_remove(H.map, &k, 1), -EPERM);
            FZ_CHECK_RC(weft_map_node_find(H.map, &k, 1, node_fn, NULL),
                        -EPERM);
            FZ_CHECK_RC(weft_map_node_foreach(H.map, node_fn, NULL), -EPERM);
        }
        break;
    case 5:
        FZ_CHECK_RC(weft_map_node_put(H.map, NULL, &k, 1),
                    H.intrusive ? -EINVAL : -EPERM);
        FZ_CHECK_RC(weft_map_node_put_if_absent(NULL, &o.node, &k, 1), -EINVAL);
        FZ_CHECK_RC(weft_map_node_find(H.map, &k, 1, NULL, NULL),
                    H.intrusive ? -EINVAL : -EPERM);
        FZ_CHECK_RC(weft_map_node_foreach(NULL, node_fn, NULL), -EINVAL);
        break;
    default: {
        struct weft_map_opts opts = WEFT_MAP_OPTS_INIT;
        weft_map_t *none = NULL;

        switch (fz_u8(r) % 5) {
        case 0:
            opts.size = fz_u8(r) % sizeof(opts);
            break;
        case 1:
            opts.node_eq = node_eq_fn;
            break;
        case 2:
            opts.node_free = node_free_fn;
            break;
        case 3:
            opts.node_eq = node_eq_fn;
            opts.node_free = node_free_fn;
            opts.key_eq = key_eq_fn;
            break;
        default:
            opts.initial_buckets = WEFT_MAP_BUCKETS_MAX + 1;
            break;
        }
        FZ_CHECK_RC(weft_map_create(&opts, &none), -EINVAL);
        FZ_CHECK(none == NULL);
        break;
    }
    }
}

/* ---- byte maps ----------------------------------------------------------- */

static void
op_get(const uint8_t *key, size_t klen, const struct ent *e,
       struct fz_reader *r)
{
    uint8_t buf[VAL_MAX + 8];
    size_t cap, vlen = SIZE_MAX;
    int want;

    memset(buf, 0xa5, sizeof(buf));
    cap = fz_below(r, sizeof(buf) + 1);
    if (e == NULL)
        want = -ENOENT;
    else
        want = e->vlen > cap ? -EOVERFLOW : 0;
    FZ_CHECK_RC(weft_map_get(H.map, key, klen, cap ? buf : NULL, cap, &vlen),
                want);
    if (e == NULL) {
        FZ_CHECK(vlen == SIZE_MAX);
        return;
    }
    FZ_CHECK(vlen == e->vlen);
    if (want == 0)
        FZ_CHECK(vlen == 0 || !memcmp(buf, e->val, vlen));
    for (size_t i = want == 0 ? vlen : 0; i < sizeof(buf); i++)
        FZ_CHECK(buf[i] == 0xa5); /* nothing written past the value */
}

static void
op_compute(const uint8_t *key, size_t klen, struct ent *e, struct fz_reader *r)
{
    static struct compute c;
    int want;

    c.e = e;
    c.verdict = (int)(fz_u8(r) % 6);
    c.vlen = read_value(r, c.val);
    switch (c.verdict) {
    case WEFT_MAP_SET:
        if (e == NULL && H.n == ENTRIES)
            return;
        want = 0;
        break;
    case WEFT_MAP_DELETE:
    case WEFT_MAP_KEEP:
        want = 0;
        break;
    case 3:
        c.verdict = want = -EIO; /* passed through */
        break;
    case 4:
        c.verdict = WEFT_MAP_SET;
        c.vlen = SIZE_MAX; /* NULL value, length 1 */
        want = -EINVAL;
        break;
    default:
        c.verdict = 3 + fz_u8(r) % 100; /* not a verdict */
        want = -EINVAL;
        break;
    }
    FZ_CHECK_RC(weft_map_compute(H.map, key, klen, compute_fn, &c), want);
    if (want != 0 || c.verdict == WEFT_MAP_KEEP)
        return;
    if (c.verdict == WEFT_MAP_DELETE) {
        if (e != NULL)
            forget(e);
        return;
    }
    set_value(e ? e : add(key, klen), key, klen, c.val, c.vlen);
}

static void
byte_step(struct fz_reader *r)
{
    static uint8_t val[VAL_MAX];
    uint8_t key[KEY_MAX];
    unsigned what = fz_u8(r) % 14;
    size_t klen = read_key(r, key), vlen;
    struct ent *e = find(key, klen);
    struct expect x = {e, 0, 0};
    bool replaced = !e;

    switch (what) {
    case 0:
    case 1:
        vlen = read_value(r, val);
        if (e == NULL && H.n == ENTRIES)
            break;
        FZ_CHECK_RC(
            weft_map_put(H.map, key, klen, val, vlen, what ? &replaced : NULL),
            0);
        FZ_CHECK(what == 0 || replaced == (e != NULL));
        set_value(e ? e : add(key, klen), key, klen, val, vlen);
        break;
    case 2:
        vlen = read_value(r, val);
        if (e == NULL && H.n == ENTRIES)
            break;
        FZ_CHECK_RC(weft_map_put_if_absent(H.map, key, klen, val, vlen),
                    e ? -EEXIST : 0);
        if (e == NULL)
            set_value(add(key, klen), key, klen, val, vlen);
        break;
    case 3:
        vlen = read_value(r, val);
        FZ_CHECK_RC(weft_map_replace(H.map, key, klen, val, vlen),
                    e ? 0 : -ENOENT);
        if (e != NULL)
            set_value(e, key, klen, val, vlen);
        break;
    case 4:
        FZ_CHECK_RC(weft_map_remove(H.map, key, klen), e ? 0 : -ENOENT);
        if (e != NULL)
            forget(e);
        break;
    case 5:
    case 6:
        op_get(key, klen, e, r);
        break;
    case 7:
        FZ_CHECK_RC(weft_map_contains(H.map, key, klen), e ? 0 : -ENOENT);
        break;
    case 8:
        x.ret = (int)(fz_u8(r) % 5) - 2;
        x.nest = fz_u8(r);
        FZ_CHECK_RC(weft_map_get_with(H.map, key, klen, value_fn, &x),
                    e ? x.ret : -ENOENT);
        break;
    case 9:
    case 10:
        op_compute(key, klen, e, r);
        break;
    case 11:
        op_bad(r);
        break;
    default:
        op_common(r, fz_u8(r));
        break;
    }
}

/* ---- intrusive maps ------------------------------------------------------ */

static struct obj *
new_obj(const uint8_t *key, size_t klen)
{
    struct obj *o = calloc(1, sizeof(*o));

    FZ_CHECK(o != NULL);
    memcpy(o->key, key, klen);
    o->klen = klen;
    atomic_init(&o->state, IN_MAP);
    return o;
}

static void
node_step(struct fz_reader *r)
{
    uint8_t key[KEY_MAX];
    unsigned what = fz_u8(r) % 9;
    size_t klen = read_key(r, key);
    struct ent *e = find(key, klen);
    struct expect x = {e, 0, 0};
    struct obj *o;

    switch (what) {
    case 0:
    case 1:
        if (e == NULL && H.n == ENTRIES)
            break;
        o = new_obj(key, klen);
        if (e != NULL)
            leaving(e); /* replaced */
        FZ_CHECK_RC(weft_map_node_put(H.map, &o->node, key, klen), 0);
        H.slot->nodes_given++;
        e = e ? e : add(key, klen);
        memcpy(e->key, key, klen); /* the new node's key is stored */
        e->obj = o;
        break;
    case 2:
        if (e == NULL && H.n == ENTRIES)
            break;
        o = new_obj(key, klen);
        FZ_CHECK_RC(weft_map_node_put_if_absent(H.map, &o->node, key, klen),
                    e ? -EEXIST : 0);
        if (e != NULL) {
            free(o); /* still ours */
            break;
        }
        H.slot->nodes_given++;
        add(key, klen)->obj = o;
        break;
    case 3:
        if (e != NULL)
            leaving(e);
        FZ_CHECK_RC(weft_map_node_remove(H.map, key, klen), e ? 0 : -ENOENT);
        if (e != NULL)
            forget(e);
        break;
    case 4:
    case 5:
        x.ret = (int)(fz_u8(r) % 5) - 2;
        x.nest = fz_u8(r);
        FZ_CHECK_RC(weft_map_node_find(H.map, key, klen, node_fn, &x),
                    e ? x.ret : -ENOENT);
        break;
    case 6:
        op_bad(r);
        break;
    default:
        op_common(r, fz_u8(r));
        break;
    }
}

/* ---- one input ----------------------------------------------------------- */

/* The map for this input's configuration, created on first use. */
static void
take_map(uint8_t c0, uint8_t c1)
{
    struct weft_map_opts opts = WEFT_MAP_OPTS_INIT;
    size_t len;

    H.slot = &slots[c0 & 15][(c1 & 7) | ((c1 >> 1) & 0x18)];
    if (H.slot->map == NULL) {
        opts.hash = H.hash_mode ? hash_fn : NULL;
        opts.key_eq = !H.intrusive && H.fold ? key_eq_fn : NULL;
        opts.node_eq = H.intrusive ? node_eq_fn : NULL;
        opts.node_free = H.intrusive ? node_free_fn : NULL;
        opts.ctx = H.slot;
        opts.initial_buckets = (c1 & 7) ? (size_t)1 << (c1 & 7) : 0;
        opts.max_buckets = (c1 & 0x30) ? (size_t)1 << (((c1 >> 4) & 3) * 3) : 0;
        FZ_CHECK_RC(weft_map_create(&opts, &H.slot->map), 0);
    }
    H.map = H.slot->map;
    FZ_CHECK_RC(weft_map_len(H.map, &len), 0);
    FZ_CHECK(len == 0); /* the last input cleared it */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_reader r = {data, size};
    uint8_t c0 = fz_u8(&r), c1 = fz_u8(&r);
    size_t len;

    H.n = 0; /* the entries themselves are written before use */
    H.attached = false;
    H.offline = 0;
    H.r = &r;
    H.intrusive = c0 & 1;
    H.hash_mode = (c0 >> 1) & 3;
    H.fold = (c0 >> 3) & 1;
    if (H.fold && H.hash_mode == 0)
        H.hash_mode = 3; /* equal keys must hash equal */
    take_map(c0, c1);
    for (unsigned i = 0; i < MAX_OPS && fz_more(&r); i++) {
        if (H.intrusive)
            node_step(&r);
        else
            byte_step(&r);
    }
    FZ_CHECK_RC(weft_map_len(H.map, &len), 0);
    FZ_CHECK(len == H.n);
    if (H.attached && (c1 & 0x80))
        FZ_CHECK_RC(weft_map_reader_detach(), 0);
    for (size_t i = 0; i < H.n; i++)
        leaving(&H.ents[i]);
    if ((c0 >> 4) != 15) {
        FZ_CHECK_RC(weft_map_clear(H.map), 0);
    } else {
        FZ_CHECK_RC(weft_map_destroy(H.map), 0);
        /* relaxed: destroy's rcu_barrier ordered every node_free. */
        FZ_CHECK(
            atomic_load_explicit(&H.slot->nodes_freed, memory_order_relaxed) ==
            H.slot->nodes_given);
        memset(H.slot, 0, sizeof(*H.slot));
    }
    if (H.attached && !(c1 & 0x80))
        FZ_CHECK_RC(weft_map_reader_detach(), 0);
    return 0;
}
