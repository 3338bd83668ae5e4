/* SPDX-License-Identifier: MIT */
/*
 * weft/map.h - a concurrent hash map with lock-free reads (liburcu's
 * resizable cds_lfht, QSBR flavour, underneath).
 *
 * Two kinds of map, chosen at creation:
 *  - byte maps (the default): keys and values are byte strings copied in;
 *    readers copy a value out (weft_map_get) or look at it in place under
 *    the read lock (weft_map_get_with). A value of at most
 *    WEFT_MAP_INPLACE_MAX bytes is rewritten in place when an update
 *    brings a value of the same length (no allocation, no grace period):
 *    readers copy such values out under a per-entry sequence counter and
 *    retry when a write raced, and callbacks are given that copy. Longer
 *    values, and updates that change a value's length, are copy-on-write
 *    (a new entry replaces the old). Either way readers never see a torn
 *    value.
 *  - intrusive maps (opts.node_eq set): the caller embeds a
 *    struct weft_map_node in its own objects (zero copy); the map hands a
 *    removed or replaced object back through opts.node_free once no reader
 *    can still see it.
 * Removed and replaced entries are freed after an RCU grace period
 * (call_rcu); weft_map_destroy() waits for all of them (rcu_barrier).
 *
 * Calling context and cost. Every thread may use a map:
 *  - on weft workers (and threads that called weft_map_reader_attach())
 *    a read costs what a cds_lfht lookup costs: the worker announces RCU
 *    quiescent states between tasks and goes offline while it parks;
 *  - any other thread is registered on first use (unregistered at thread
 *    exit) and pays about three full memory barriers per operation.
 * Callbacks (get_with, compute, foreach, the intrusive find/foreach) run
 * inside the read section: they must not block, must not call
 * weft_map_destroy(), weft_map_reader_attach()/detach(), and should be
 * short. A weft task that runs for a long time delays grace periods (so
 * the freeing of removed entries: memory grows) until it returns; call
 * weft_map_quiescent() from such a task now and then, and bracket blocking
 * system calls made from tasks with weft_map_offline_begin()/end().
 * Not supported: threads that register themselves with liburcu's QSBR
 * flavour (weft owns that registration), and calling map functions from
 * opts.node_free.
 *
 * Errors common to every function: -EINVAL for a NULL map or a bad
 * argument (NULL key, klen == 0 or > WEFT_MAP_KEY_MAX, NULL value with
 * vlen > 0, vlen > WEFT_MAP_VALUE_MAX); -EPERM for a byte-map function on
 * an intrusive map or the reverse; -EAGAIN when the calling thread could
 * not be registered with RCU (out of pthread keys).
 *
 * Thread safety: every function may run concurrently on the same map from
 * any threads, except weft_map_destroy() (sole use, once).
 */
#ifndef WEFT_MAP_H
#define WEFT_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <weft/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct weft_map weft_map_t;

#define WEFT_MAP_KEY_MAX     ((size_t)65535)   /* bytes */
#define WEFT_MAP_VALUE_MAX   ((size_t)1 << 30) /* bytes */
/* Values up to this many bytes are updated in place (same length). */
#define WEFT_MAP_INPLACE_MAX ((size_t)64)

/* A hash of a key: any 64-bit function; equal keys must hash equal. */
typedef uint64_t (*weft_map_hash_fn)(const void *key, size_t klen, void *ctx);
/* Byte maps: do stored key a equal probe key b? NULL means memcmp. */
typedef bool (*weft_map_key_eq_fn)(const void *a, size_t alen, const void *b,
                                   size_t blen, void *ctx);

/* Intrusive maps: embed this in your object; the layout is private. */
struct weft_map_node {
    uintptr_t weft_private[6];
};
/* Intrusive maps: does node's key equal the probe key? */
typedef bool (*weft_map_node_eq_fn)(const struct weft_map_node *node,
                                    const void *key, size_t klen, void *ctx);
/* Intrusive maps: the map gives node back (after a grace period). */
typedef void (*weft_map_node_free_fn)(struct weft_map_node *node, void *ctx);

/*
 * Map options. Start from WEFT_MAP_OPTS_INIT; zero fields mean defaults.
 */
struct weft_map_opts {
    size_t size;                 /* sizeof(struct weft_map_opts) */
    size_t initial_buckets;      /* 0: 64; rounded up to a power of two */
    size_t max_buckets;          /* 0: no limit; else rounded up (power of 2) */
    weft_map_hash_fn hash;       /* NULL: built-in hash with a per-map seed */
    weft_map_key_eq_fn key_eq;   /* byte maps; NULL: memcmp */
    weft_map_node_eq_fn node_eq; /* set: an intrusive map */
    weft_map_node_free_fn node_free; /* intrusive: required */
    void *ctx;                       /* passed to the four functions */
};
#define WEFT_MAP_OPTS_INIT                                \
    {                                                     \
        sizeof(struct weft_map_opts), 0, 0, 0, 0, 0, 0, 0 \
    }
#define WEFT_MAP_BUCKETS_MAX ((size_t)1 << 31)

/*
 * weft_map_create() - a new, empty map. opts may be NULL (a byte map with
 * all defaults).
 * Return: 0; -EINVAL (NULL out, opts->size too small, buckets above
 * WEFT_MAP_BUCKETS_MAX, node_eq without node_free or the reverse, key_eq
 * with node_eq); -ENOMEM.
 * Ownership: on 0, *out must be passed to weft_map_destroy() once.
 * Context: any thread.
 */
WEFT_API int weft_map_create(const struct weft_map_opts *opts,
                             weft_map_t **out);

/*
 * weft_map_destroy() - remove every entry, wait until all removed entries
 * were freed (intrusive maps: node_free called for each), free the map.
 * Return: 0; -EINVAL (NULL); -EDEADLK when called from inside a map
 * callback (nothing is done); -EBUSY if entries kept appearing (another
 * thread still used the map: a caller bug; the map stays valid).
 * Thread safety: no other thread may use map during or after the call.
 * Context: any thread but liburcu's call_rcu threads (node_free).
 */
WEFT_API int weft_map_destroy(weft_map_t *map);

/* ---- byte maps ---------------------------------------------------------- */

/*
 * weft_map_get() - copy the value of key into buf (capacity cap bytes) and
 * its length into *vlen (vlen may be NULL).
 * Return: 0; -ENOENT (absent); -EOVERFLOW (cap too small: *vlen gets the
 * length needed, buf is untouched); -EINVAL (also NULL buf with cap > 0).
 * Ordering: the put that stored the value happens-before the copy.
 * Thread safety: any number of threads, concurrently with all updates.
 */
WEFT_API int weft_map_get(weft_map_t *map, const void *key, size_t klen,
                          void *buf, size_t cap, size_t *vlen);

/* weft_map_contains() - Return: 0 if key is present; -ENOENT if not; the
 * common errors. */
WEFT_API int weft_map_contains(weft_map_t *map, const void *key, size_t klen);

/* A read-only look at a value; its return code is passed through. */
typedef int (*weft_map_value_fn)(void *ctx, const void *value, size_t vlen);

/*
 * weft_map_get_with() - call fn(ctx, value, vlen) on key's value, inside
 * the read section. The pointer is valid only during the call, and what it
 * shows never changes during the call: a value of at most
 * WEFT_MAP_INPLACE_MAX bytes is a private snapshot (a consistent copy of
 * one version, taken before the call; updates made meanwhile, even by fn
 * itself, are not seen); a longer value is the entry's own immutable bytes
 * (zero copy). fn must not block (see the header comment).
 * Return: fn's return value; -ENOENT (absent: fn not called); -EINVAL.
 */
WEFT_API int weft_map_get_with(weft_map_t *map, const void *key, size_t klen,
                               weft_map_value_fn fn, void *ctx);

/*
 * weft_map_put() - set key to value (insert, or replace the old value:
 * in place if both have the same length of at most WEFT_MAP_INPLACE_MAX
 * bytes and the stored key has the very bytes of key, else by a new
 * entry, the old one freed after a grace period). Either way the entry
 * then holds this call's key (with a custom key_eq, equal keys may differ
 * in their bytes); replace and compute's SET do the same.
 * *replaced (may be NULL) tells which happened.
 * Return: 0; -ENOMEM (the map is unchanged); -EINVAL.
 * Ordering: the copy of value happens-before any get that sees it.
 * Thread safety: any number of threads; concurrent puts of one key are
 * linearised (one of them wins last).
 */
WEFT_API int weft_map_put(weft_map_t *map, const void *key, size_t klen,
                          const void *value, size_t vlen, bool *replaced);

/* weft_map_put_if_absent() - insert only if key is absent.
 * Return: 0; -EEXIST (present; unchanged); -ENOMEM; -EINVAL. */
WEFT_API int weft_map_put_if_absent(weft_map_t *map, const void *key,
                                    size_t klen, const void *value,
                                    size_t vlen);

/* weft_map_replace() - replace the value only if key is present.
 * Return: 0; -ENOENT (absent; unchanged); -ENOMEM; -EINVAL. */
WEFT_API int weft_map_replace(weft_map_t *map, const void *key, size_t klen,
                              const void *value, size_t vlen);

/* weft_map_remove() - remove key (freed after a grace period).
 * Return: 0; -ENOENT (absent); -EINVAL. */
WEFT_API int weft_map_remove(weft_map_t *map, const void *key, size_t klen);

/* What a compute function asks for (it may also return a negative code,
 * which aborts the compute and is passed through). */
enum weft_map_verdict {
    WEFT_MAP_SET = 0,    /* store *new_value / *new_len */
    WEFT_MAP_DELETE = 1, /* remove the key (nothing if absent) */
    WEFT_MAP_KEEP = 2    /* leave the map as it is */
};

/*
 * A compute function: old is the current value (NULL and old_len 0 with
 * present false if the key is absent), a snapshot as in
 * weft_map_get_with(); the verdict is applied only if the key still holds
 * that version. To set, point *new_value at
 * new_len bytes that stay valid until weft_map_compute() returns (in ctx,
 * or inside old) and return WEFT_MAP_SET; the map copies them.
 */
typedef int (*weft_map_compute_fn)(void *ctx, const void *old, size_t old_len,
                                   bool present, const void **new_value,
                                   size_t *new_len);

/*
 * weft_map_compute() - atomically update key from its current value:
 * read-compute-compare-and-swap, retried when another thread changed the
 * key in between, so fn may run more than once and must only depend on
 * its inputs (no side effects that must happen once). fn runs inside the
 * read section: it must not block or call compute on the same map.
 * Return: 0 (the verdict was applied, or KEEP); fn's negative code
 * (nothing changed); -ENOMEM; -EINVAL (also a verdict out of range or an
 * invalid new value).
 * Ordering: linearisable with every other update of the key.
 */
WEFT_API int weft_map_compute(weft_map_t *map, const void *key, size_t klen,
                              weft_map_compute_fn fn, void *ctx);

/* An iteration callback: nonzero stops the walk and is returned. */
typedef int (*weft_map_entry_fn)(void *ctx, const void *key, size_t klen,
                                 const void *value, size_t vlen);

/*
 * weft_map_foreach() - call fn on every entry, in no particular order,
 * inside one read section (fn must not block; a long walk delays grace
 * periods). Safe against concurrent updates: an entry present for the
 * whole walk is visited exactly once (a concurrently replaced one is
 * seen with its old or its new value, once; values are shown as in
 * weft_map_get_with()); entries added or removed
 * during the walk may or may not be visited.
 * Return: 0, or fn's first nonzero return; -EINVAL.
 */
WEFT_API int weft_map_foreach(weft_map_t *map, weft_map_entry_fn fn, void *ctx);

/* ---- both kinds ---------------------------------------------------------- */

/*
 * weft_map_len() - the number of entries, into *len.
 * Return: 0; -EINVAL. Exact when no update runs concurrently; otherwise
 * an estimate (a sharded counter is summed). O(threads), not O(entries).
 */
WEFT_API int weft_map_len(weft_map_t *map, size_t *len);

/*
 * weft_map_clear() - remove every entry (each freed after a grace period).
 * Not atomic: entries put concurrently may survive.
 * Return: 0; -EINVAL. Context: not from inside a map callback (-EDEADLK).
 */
WEFT_API int weft_map_clear(weft_map_t *map);

/* ---- intrusive maps ------------------------------------------------------ */

/*
 * weft_map_node_put() - insert node under key, replacing (and handing to
 * node_free after a grace period) any node with an equal key. key/klen
 * are only hashed and compared: node_eq(node, key) must be true.
 * Ownership: on 0 the map owns node until it gives it to node_free.
 * Return: 0; -EINVAL (also NULL node).
 */
WEFT_API int weft_map_node_put(weft_map_t *map, struct weft_map_node *node,
                               const void *key, size_t klen);

/* weft_map_node_put_if_absent() - insert node unless key is present.
 * Return: 0 (the map owns node); -EEXIST (the caller keeps node);
 * -EINVAL. */
WEFT_API int weft_map_node_put_if_absent(weft_map_t *map,
                                         struct weft_map_node *node,
                                         const void *key, size_t klen);

/* A look at a node in place, inside the read section; code passed on. */
typedef int (*weft_map_node_fn)(void *ctx, struct weft_map_node *node);

/* weft_map_node_find() - call fn(ctx, node) for key's node (zero copy).
 * Return: fn's return value; -ENOENT (absent); -EINVAL. */
WEFT_API int weft_map_node_find(weft_map_t *map, const void *key, size_t klen,
                                weft_map_node_fn fn, void *ctx);

/* weft_map_node_remove() - remove key's node; node_free gets it after a
 * grace period. Return: 0; -ENOENT; -EINVAL. */
WEFT_API int weft_map_node_remove(weft_map_t *map, const void *key,
                                  size_t klen);

/* weft_map_node_foreach() - weft_map_foreach() for intrusive maps.
 * Return: 0 after a full walk; fn's first nonzero return (it stops the
 * walk); the common errors. */
WEFT_API int weft_map_node_foreach(weft_map_t *map, weft_map_node_fn fn,
                                   void *ctx);

/* ---- the calling thread as an RCU reader --------------------------------- */

/*
 * weft_map_reader_attach() - make the calling (non-worker) thread a
 * permanent RCU reader, so its map reads cost what workers' do. It then
 * MUST call weft_map_quiescent() regularly (every few milliseconds or
 * operations), bracket every blocking call with weft_map_offline_begin()
 * / end(), and call weft_map_reader_detach() before it blocks for long;
 * otherwise grace periods stall and removed entries are never freed.
 * Return: 0 (also when already attached, or on a weft worker: nothing to
 * do); -EDEADLK inside a map callback; -EAGAIN (registration failed).
 */
WEFT_API int weft_map_reader_attach(void);

/* weft_map_reader_detach() - undo attach (back to a barrier per
 * operation). Return: 0; -EPERM on weft workers (the runtime manages
 * them) or when not attached; -EDEADLK inside a map callback. */
WEFT_API int weft_map_reader_detach(void);

/*
 * weft_map_quiescent() - announce that the calling thread holds no map
 * data: lets grace periods (and so frees) proceed during a long task or
 * an attached thread's loop. No effect on other threads or inside a map
 * callback. Cheap (one load) unless a grace period is waiting.
 */
WEFT_API void weft_map_quiescent(void);

/*
 * weft_map_offline_begin() / weft_map_offline_end() - bracket a blocking
 * call on a worker or attached thread so grace periods do not wait for it
 * (nestable; map operations in between still work, at the outside-thread
 * cost). On other threads both do nothing and return 0. Return: 0;
 * -EPERM (end without a matching begin).
 */
WEFT_API int weft_map_offline_begin(void);
WEFT_API int weft_map_offline_end(void);

#ifdef __cplusplus
}
#endif
#endif /* WEFT_MAP_H */
