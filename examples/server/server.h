/* SPDX-License-Identifier: MIT */
/*
 * server.h - the server's connections and routes, shared by main.c (the
 * epoll accept loop), conn.c (a connection's job on the pool) and
 * routes.c (the handlers).
 *
 * Concurrency protocol. A connection is registered in epoll with
 * EPOLLONESHOT, so at any time one party serves it: the kernel (armed,
 * idle), the loop thread (between an event and the submit), or one pool job
 * (from its start until it re-arms it). The kernel orders the hand-back
 * from a job to the loop thread, but no sanitizer sees that, so the
 * connection carries its own edges:
 * [C1] a job release-stores conn->turn just before re-arming it;
 * [C2] the loop thread acquire-loads conn->turn before submitting the job.
 * The submit itself orders the loop thread before the next job.
 * [C3] server->draining: set (release) by the loop thread on a signal or
 * /quit; jobs read it (acquire) to close instead of re-arming.
 * [C4] conn->refs: 1 while the connection is open, plus 1 per job given to
 * the pool. A job that re-armed the connection may still be inside
 * epoll_ctl() when the next job runs, so neither may close the fd alone:
 * each drops its references with an acq_rel RMW after its last use of the
 * fd, and whoever drops the last one closes and frees (TSan then sees
 * every epoll_ctl() on the fd happen before its close()).
 */
#ifndef SERVER_SERVER_H
#define SERVER_SERVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "backend.h"
#include "http.h"

struct server {
    struct backend *backend;
    int epfd;
    int quit_fd;           /* an eventfd: /quit wakes the loop */
    bool test_mode;        /* -t: /quit is allowed */
    _Atomic bool draining; /* [C3] */
    pthread_mutex_t lock;  /* guards the connection list, live */
    struct conn *conns;    /* every open connection */
    size_t live;
};

struct conn {
    struct backend *backend; /* first: backend_submit()'s job argument */
    struct server *srv;
    struct conn *prev, *next; /* the server's list, under srv->lock */
    int fd;
    _Atomic unsigned turn; /* [C1]/[C2] */
    _Atomic unsigned refs; /* [C4] */
    bool closing;          /* owned by the running job */
    size_t in_len, out_len;
    char client[64]; /* the peer's address: the default rate-limit key */
    size_t client_len;
    char in[HTTP_REQUEST_MAX];
    char out[HTTP_REQUEST_MAX + 1024];
};

/* conn.c: the job run for a connection that became readable; the caller
 * took a reference for it with conn_ref(). */
void conn_job(void *arg);
void conn_ref(struct conn *c);
/* conn.c: register a new connection (0 or -errno; fd closed on error). */
int conn_open(struct server *srv, int fd, const char *client);
/* conn.c: shut every connection's reading side (their jobs then close
 * them); main.c calls it once when draining starts. */
void conn_shutdown_all(struct server *srv);
/* conn.c: close and free what is left once the pool is gone. */
void conn_close_all(struct server *srv);

/* routes.c: answer one request into c->out (may set *close_after). */
void route(struct conn *c, const struct http_req *req, bool *close_after);
/* routes.c: append a complete response with status and body. */
void respond(struct conn *c, int status, const char *type, const char *body,
             size_t len, bool head_only, bool close);

#endif /* SERVER_SERVER_H */
