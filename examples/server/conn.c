/* SPDX-License-Identifier: MIT */
/*
 * conn.c - one connection's job on the pool: read what has arrived, answer
 * every complete request in it (pipelining included), write the answers,
 * then re-arm the connection in epoll or close it. The protocol (who owns
 * a connection when) is in server.h.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server.h"

/* How long a job waits for a client that does not read its answers. */
enum { WRITE_TIMEOUT_MS = 5000 };

int
conn_open(struct server *srv, int fd, const char *client)
{
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT};
    struct conn *c = malloc(sizeof(*c));

    if (c == NULL) {
        close(fd);
        return -ENOMEM;
    }
    c->backend = srv->backend;
    c->srv = srv;
    c->fd = fd;
    c->in_len = c->out_len = 0;
    c->client_len = strlen(client);
    memcpy(c->client, client, c->client_len);
    c->closing = false;
    /* relaxed: no other thread can see c yet. */
    atomic_init(&c->turn, 0);
    /* [C4] the open connection's reference. */
    atomic_init(&c->refs, 1);
    pthread_mutex_lock(&srv->lock);
    c->prev = NULL;
    c->next = srv->conns;
    if (c->next != NULL)
        c->next->prev = c;
    srv->conns = c;
    srv->live++;
    pthread_mutex_unlock(&srv->lock);
    backend_count(srv->backend, STAT_CONNECTIONS, 1);
    ev.data.ptr = c;
    if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        int rc = -errno;

        conn_ref(c);
        c->closing = true;
        conn_job(c); /* closes */
        return rc;
    }
    return 0;
}

void
conn_ref(struct conn *c)
{
    /* [C4] relaxed: the caller already holds a reference (the open one). */
    atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
}

static void
conn_close(struct conn *c)
{
    struct server *srv = c->srv;

    /* Unlink first: conn_shutdown_all() only touches listed fds. */
    pthread_mutex_lock(&srv->lock);
    if (c->prev != NULL)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next != NULL)
        c->next->prev = c->prev;
    srv->live--;
    pthread_mutex_unlock(&srv->lock);
    close(c->fd); /* also removes it from epoll */
    free(c);
}

/* [C4] Drop n references; the last one closes. acq_rel: release our uses
 * of c and of the fd, acquire the others' before the close. */
static void
conn_unref(struct conn *c, unsigned n)
{
    if (atomic_fetch_sub_explicit(&c->refs, n, memory_order_acq_rel) == n)
        conn_close(c);
}

void
conn_shutdown_all(struct server *srv)
{
    pthread_mutex_lock(&srv->lock);
    for (struct conn *c = srv->conns; c != NULL; c = c->next)
        shutdown(c->fd, SHUT_RD); /* the armed ones wake up with EOF */
    pthread_mutex_unlock(&srv->lock);
}

void
conn_close_all(struct server *srv)
{
    /* The pool is gone: only the open references are left. */
    while (srv->conns != NULL)
        conn_unref(srv->conns, 1);
}

/* Write c->out; false if the client is gone or does not read. */
static bool
flush(struct conn *c)
{
    size_t done = 0;

    while (done < c->out_len) {
        ssize_t n = send(c->fd, c->out + done, c->out_len - done, MSG_NOSIGNAL);

        if (n > 0) {
            done += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct pollfd p = {.fd = c->fd, .events = POLLOUT};

            if (poll(&p, 1, WRITE_TIMEOUT_MS) <= 0)
                return false;
        } else {
            return false;
        }
    }
    backend_count(c->backend, STAT_BYTES_OUT, (int64_t)done);
    c->out_len = 0;
    return true;
}

/* Read what is there: >0 bytes, 0 at EOF, -EAGAIN nothing yet, -errno. */
static ssize_t
fill(struct conn *c)
{
    for (;;) {
        ssize_t n =
            recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);

        if (n >= 0)
            return n;
        if (errno != EINTR)
            return -errno;
    }
}

/* Answer every complete request in c->in; false: close the connection. */
static bool
serve(struct conn *c)
{
    struct http_req req;
    size_t off = 0;
    bool keep = true;
    int n;

    while (keep && (n = http_parse(c->in + off, c->in_len - off, &req)) != 0) {
        if (c->out_len > sizeof(c->out) - HTTP_BODY_MAX - 1024 && !flush(c))
            return false;
        if (n < 0) {
            respond(c, -n, "text/plain", NULL, 0, false, true);
            return false;
        }
        /* [C3] acquire: pairs with the loop's release when draining. */
        keep = req.keep_alive &&
               !atomic_load_explicit(&c->srv->draining, memory_order_acquire);
        route(c, &req, &keep);
        off += (size_t)n;
    }
    memmove(c->in, c->in + off, c->in_len - off);
    c->in_len -= off;
    return keep;
}

void
conn_job(void *arg)
{
    struct conn *c = arg;
    struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT,
                             .data.ptr = c};
    ssize_t n = c->closing ? 0 : fill(c);
    bool keep;

    if (n <= 0 && n != -EAGAIN)
        goto close; /* EOF, reset, or the drain's SHUT_RD */
    if (n > 0) {
        backend_count(c->backend, STAT_BYTES_IN, n);
        c->in_len += (size_t)n;
    }
    keep = serve(c);
    if (!flush(c) || !keep)
        goto close;
    /* [C3] acquire: pairs with the loop's release when draining. */
    if (atomic_load_explicit(&c->srv->draining, memory_order_acquire))
        goto close;
    /* [C1] release: this job's writes to c, then the loop may read c. */
    atomic_fetch_add_explicit(&c->turn, 1, memory_order_release);
    if (epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0) {
        conn_unref(c, 1); /* the next job may be running already */
        return;
    }
close:
    /* No more events: this job drops its own and the open reference. */
    shutdown(c->fd, SHUT_RDWR);
    conn_unref(c, 2);
}
