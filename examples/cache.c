/* SPDX-License-Identifier: MIT */
/*
 * cache.c - a thread-safe cache shared by many threads. In Python:
 *
 *     cache, lock = {}, threading.Lock()
 *     def profile(user):
 *         with lock:
 *             if user in cache: return cache[user]
 *         value = expensive(user)          # outside the lock
 *         with lock:
 *             return cache.setdefault(user, value)
 *
 * weft_map reads take no lock at all. A miss computes the value and
 * inserts it with weft_map_put_if_absent(): when two tasks race on the
 * same key, one insert wins (-EEXIST for the other) and both return the
 * same value. A second map counts visits per key with weft_map_compute(),
 * an atomic read-modify-write of one key (Python: `with lock: d[k] += 1`).
 * Hits and misses go to sharded weft_counter_t statistics.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <weft.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

enum { USERS = 64, TASKS = 8, LOOKUPS = 1000 };

struct profile {
    uint64_t user;
    uint64_t score;
};

static weft_map_t *cache, *visits;
static weft_counter_t *hits, *misses, *inserts;

/* The slow function being cached. */
static struct profile
expensive(uint64_t user)
{
    struct profile p = {user, user};

    for (int i = 0; i < 500; i++)
        p.score = p.score * 6364136223846793005u + 1442695040888963407u;
    return p;
}

/* The users task t looks up, in order (a small LCG, seeded by t). */
static uint64_t
pick_user(uint32_t *state)
{
    *state = *state * 1103515245u + 12345u;
    return (*state >> 16) % USERS;
}

static int
key_of(uint64_t user, char *buf, size_t cap)
{
    return snprintf(buf, cap, "user:%llu", (unsigned long long)user);
}

/* weft_map_compute() callback: count one more visit. May run more than
 * once per call (it is retried on a conflict), so it only computes. */
static int
add_visit(void *ctx, const void *old, size_t old_len, bool present,
          const void **new_value, size_t *new_len)
{
    uint64_t *n = ctx;

    *n = 0;
    if (present && old_len == sizeof(*n))
        memcpy(n, old, sizeof(*n));
    *n += 1;
    *new_value = n;
    *new_len = sizeof(*n);
    return WEFT_MAP_SET;
}

static int
lookup(uint64_t user, struct profile *out)
{
    char key[32];
    int klen = key_of(user, key, sizeof(key)), rc;
    uint64_t scratch;

    rc = weft_map_get(cache, key, (size_t)klen, out, sizeof(*out), NULL);
    if (rc == 0) {
        weft_counter_inc(hits);
    } else if (rc == -ENOENT) {
        weft_counter_inc(misses);
        *out = expensive(user);
        rc =
            weft_map_put_if_absent(cache, key, (size_t)klen, out, sizeof(*out));
        if (rc == 0)
            weft_counter_inc(inserts);
        else if (rc != -EEXIST) /* -EEXIST: another task was first */
            return rc;
    } else {
        return rc;
    }
    return weft_map_compute(visits, key, (size_t)klen, add_visit, &scratch);
}

static int
client(void *arg, void **result)
{
    uint32_t state = (uint32_t)(uintptr_t)arg;
    struct profile p;
    int rc;

    (void)result;
    for (int i = 0; i < LOOKUPS; i++) {
        uint64_t user = pick_user(&state);

        rc = lookup(user, &p);
        if (rc != 0)
            return rc;
        /* A cached value must equal a fresh one. */
        if (p.user != user || p.score != expensive(user).score)
            return -EPROTO;
    }
    return 0;
}

/* weft_map_foreach() callback: check one visits entry against the count
 * the main thread predicted. */
static int
check_visits(void *ctx, const void *key, size_t klen, const void *value,
             size_t vlen)
{
    const uint64_t *want = ctx;
    unsigned long long user;
    char buf[32];
    uint64_t n;

    if (klen >= sizeof(buf) || vlen != sizeof(n))
        return -EPROTO;
    memcpy(buf, key, klen);
    buf[klen] = '\0';
    memcpy(&n, value, sizeof(n));
    if (sscanf(buf, "user:%llu", &user) != 1 || user >= USERS ||
        want[user] != n)
        return -EPROTO;
    return 0;
}

int
main(void)
{
    weft_pool_t *pool;
    weft_future_t *fs[TASKS];
    uint64_t want[USERS] = {0};
    int64_t h, m, ins;
    size_t len, distinct = 0;

    CHECK(weft_map_create(NULL, &cache) == 0);
    CHECK(weft_map_create(NULL, &visits) == 0);
    CHECK(weft_counter_create(&hits) == 0);
    CHECK(weft_counter_create(&misses) == 0);
    CHECK(weft_counter_create(&inserts) == 0);
    CHECK(weft_pool_create(NULL, &pool) == 0);

    for (uintptr_t t = 0; t < TASKS; t++)
        CHECK(weft_pool_submit(pool, client, (void *)(t + 1), &fs[t]) == 0);
    for (int t = 0; t < TASKS; t++) {
        int rc = weft_future_result(fs[t], WEFT_DEADLINE_NEVER, NULL);

        if (rc != 0)
            fprintf(stderr, "client %d: %s\n", t, weft_strerror(rc));
        CHECK(rc == 0);
        weft_future_release(fs[t]);
    }

    /* Replay the clients' choices to know what the maps must hold. */
    for (uint32_t t = 0; t < TASKS; t++) {
        uint32_t state = t + 1;

        for (int i = 0; i < LOOKUPS; i++)
            want[pick_user(&state)]++;
    }
    for (int u = 0; u < USERS; u++)
        distinct += want[u] != 0;

    CHECK(weft_counter_read(hits, &h) == 0);
    CHECK(weft_counter_read(misses, &m) == 0);
    CHECK(weft_counter_read(inserts, &ins) == 0);
    printf("%d lookups: %lld hits, %lld misses, %lld values cached\n",
           TASKS * LOOKUPS, (long long)h, (long long)m, (long long)ins);
    CHECK(h + m == TASKS * LOOKUPS);
    CHECK((size_t)ins == distinct && m >= ins); /* one insert per key */
    CHECK(weft_map_len(cache, &len) == 0 && len == distinct);
    CHECK(weft_map_len(visits, &len) == 0 && len == distinct);
    CHECK(weft_map_foreach(visits, check_visits, want) == 0);

    CHECK(weft_pool_destroy(pool) == 0);
    weft_counter_destroy(hits);
    weft_counter_destroy(misses);
    weft_counter_destroy(inserts);
    CHECK(weft_map_destroy(visits) == 0);
    CHECK(weft_map_destroy(cache) == 0);
    return 0;
}
