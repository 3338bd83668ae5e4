/* SPDX-License-Identifier: MIT */
/*
 * threads.c - plain named threads, Python's threading.Thread: start, join
 * with a timeout, is_alive, enumerate, and an excepthook for a thread
 * whose function fails. In Python:
 *
 *     def failed(args):                    # threading.excepthook
 *         print(f"{args.thread.name} raised {args.exc_value!r}")
 *     threading.excepthook = failed
 *     go = threading.Event()
 *     t = threading.Thread(target=wait_for_go, name="waiter"); t.start()
 *     t.join(timeout=0.05); assert t.is_alive()    # still waiting
 *     go.set(); t.join(); assert not t.is_alive()
 *     bad = threading.Thread(target=parse_config, name="config"); ...
 *
 * A weft thread function returns int: 0, or an error that goes to the
 * excepthook and comes back from weft_thread_join(). Checked: the join
 * deadline, the names in the enumeration, the excepthook seeing exactly
 * the failing thread with its code, and the results of the joins.
 */
#include <stdatomic.h>
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

static struct weft_event go;

/* What the excepthook saw (it runs on the failing thread). */
static struct {
    _Atomic int calls;
    char name[WEFT_THREAD_NAME_MAX + 1];
    int rc;
} hooked;

static void
excepthook(const struct weft_thread_info *t, int rc, void *ctx)
{
    (void)ctx;
    strcpy(hooked.name, t->name);
    hooked.rc = rc;
    /* release: the two writes above, before the join that reads them
     * (the join orders them anyway; this keeps the count honest). */
    atomic_fetch_add_explicit(&hooked.calls, 1, memory_order_release);
}

static int
wait_for_go(void *arg)
{
    (void)arg;
    return weft_event_wait(&go, weft_deadline_in(30 * WEFT_NS_PER_SEC));
}

static int
parse_config(void *arg)
{
    (void)arg;
    return -EINVAL; /* the "exception" */
}

/* Is a thread called name in the enumeration? */
static bool
listed(const char *name)
{
    struct weft_thread_info info[64];
    size_t n;

    CHECK(weft_threads_enumerate(info, 64, &n) == 0);
    for (size_t i = 0; i < n; i++)
        if (strcmp(info[i].name, name) == 0)
            return true;
    return false;
}

int
main(void)
{
    struct weft_thread_opts opts = WEFT_THREAD_OPTS_INIT;
    weft_thread_t *waiter, *config;
    int rc = 1;

    CHECK(weft_event_init(&go) == 0);
    CHECK(weft_thread_set_excepthook(excepthook, NULL, NULL, NULL) == 0);

    opts.name = "waiter";
    CHECK(weft_thread_start(&opts, wait_for_go, NULL, &waiter) == 0);
    CHECK(strcmp(weft_thread_name(waiter), "waiter") == 0);
    CHECK(weft_thread_native_id(waiter) > 0 && weft_thread_ident(waiter) != 0);
    CHECK(listed("waiter"));
    /* t.join(timeout=0.05): it is waiting for go, so the join times out. */
    CHECK(weft_thread_join(waiter, weft_deadline_in(50 * WEFT_NS_PER_MS),
                           &rc) == -ETIMEDOUT);
    CHECK(weft_thread_is_alive(waiter));
    CHECK(weft_event_set(&go) == 0);
    CHECK(weft_thread_join(waiter, WEFT_DEADLINE_NEVER, &rc) == 0 && rc == 0);
    CHECK(!weft_thread_is_alive(waiter) && !listed("waiter"));

    opts.name = "config";
    CHECK(weft_thread_start(&opts, parse_config, NULL, &config) == 0);
    CHECK(weft_thread_join(config, WEFT_DEADLINE_NEVER, &rc) == 0);
    CHECK(rc == -EINVAL);
    /* acquire: pairs with the hook's release. */
    CHECK(atomic_load_explicit(&hooked.calls, memory_order_acquire) == 1);
    CHECK(strcmp(hooked.name, "config") == 0 && hooked.rc == -EINVAL);
    printf("waiter joined after its timeout; %s failed with %d (%s), seen by "
           "the excepthook\n",
           hooked.name, hooked.rc, weft_strerror(hooked.rc));

    CHECK(weft_thread_destroy(waiter) == 0);
    CHECK(weft_thread_destroy(config) == 0);
    CHECK(weft_thread_set_excepthook(NULL, NULL, NULL, NULL) == 0);
    CHECK(weft_event_fini(&go) == 0);
    return 0;
}
