/* SPDX-License-Identifier: MIT */
/*
 * main.c - a small HTTP/1.1 server on 127.0.0.1: one thread runs the epoll
 * loop (accepts, and hands readable connections to the pool); the handlers
 * run on the pool (conn.c, routes.c). Built twice from the same source:
 * weft_server (backend_weft.c) and mutex_server (backend_mutex.c).
 *
 *   weft_server [-p PORT] [-w WORKERS] [-r RATE] [-b BURST] [-t]
 *     -p  port (default 0: a free one); "listening on 127.0.0.1:PORT" is
 *         printed once ready
 *     -w  pool threads (default 2)
 *     -r, -b  every client's general quota: requests/s and burst
 *         (default 1e6/s, 100000); /limited is 5/s with a burst of 5
 *     -t  test mode: GET /quit starts the drain
 * SIGINT or SIGTERM (or /quit) drains: the listener closes, requests in
 * progress are answered, idle connections are closed, and the process
 * exits 0 once every connection is gone (or after 10 s).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server.h"

enum { DRAIN_SECONDS = 10, MAX_EVENTS = 64 };

/* epoll tags of the three non-connection fds. */
static char tag_listen, tag_signal, tag_quit;

static int
listen_on(int port)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(fd, 1024) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        close(fd);
        return -1;
    }
    printf("listening on 127.0.0.1:%d (%s backend)\n", ntohs(a.sin_port),
           backend_name);
    fflush(stdout);
    return fd;
}

static int
add_fd(int epfd, int fd, void *tag)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = tag};

    return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void
accept_all(struct server *srv, int lfd)
{
    for (;;) {
        struct sockaddr_in a;
        socklen_t alen = sizeof(a);
        char client[INET_ADDRSTRLEN] = "?";
        int fd = accept4(lfd, (struct sockaddr *)&a, &alen,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                perror("server: accept");
            return; /* EMFILE too: retried on the next event */
        }
        inet_ntop(AF_INET, &a.sin_addr, client, sizeof(client));
        conn_open(srv, fd, client);
    }
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The loop: runs until drained; returns the connections left open. */
static size_t
run(struct server *srv, int lfd, int sfd)
{
    struct epoll_event evs[MAX_EVENTS];
    double drain_end = 0;
    size_t live;

    for (;;) {
        int n = epoll_wait(srv->epfd, evs, MAX_EVENTS, drain_end ? 50 : -1);

        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;

            if (p == &tag_listen) {
                accept_all(srv, lfd);
            } else if (p == &tag_signal || p == &tag_quit) {
                if (drain_end)
                    continue;
                drain_end = now_s() + DRAIN_SECONDS;
                epoll_ctl(srv->epfd, EPOLL_CTL_DEL, lfd, NULL);
                epoll_ctl(srv->epfd, EPOLL_CTL_DEL, sfd, NULL);
                epoll_ctl(srv->epfd, EPOLL_CTL_DEL, srv->quit_fd, NULL);
                /* [C3] release: pairs with the jobs' acquire loads. */
                atomic_store_explicit(&srv->draining, true,
                                      memory_order_release);
                conn_shutdown_all(srv);
            } else {
                struct conn *c = p;

                /* [C2] acquire: pairs with [C1], the last job's re-arm. */
                atomic_load_explicit(&c->turn, memory_order_acquire);
                conn_ref(c);
                if (backend_submit(srv->backend, c) != 0)
                    conn_job(c); /* no memory: serve it here */
            }
        }
        if (n < 0 && errno != EINTR) {
            perror("server: epoll_wait");
            return 1;
        }
        if (drain_end) {
            pthread_mutex_lock(&srv->lock);
            live = srv->live;
            pthread_mutex_unlock(&srv->lock);
            if (live == 0 || now_s() > drain_end)
                return live;
        }
    }
}

int
main(int argc, char **argv)
{
    struct backend_opts bo = {
        .workers = 2, .job = conn_job, .rate = {1e6, 5}, .burst = {100000, 5}};
    struct server srv = {.epfd = -1};
    int port = 0, opt, lfd, sfd;
    sigset_t sigs;
    size_t left;

    while ((opt = getopt(argc, argv, "p:w:r:b:t")) != -1) {
        switch (opt) {
        case 'p':
            port = atoi(optarg);
            break;
        case 'w':
            bo.workers = (unsigned)atoi(optarg);
            break;
        case 'r':
            bo.rate[QUOTA_ALL] = atof(optarg);
            break;
        case 'b':
            bo.burst[QUOTA_ALL] = (uint32_t)atol(optarg);
            break;
        case 't':
            srv.test_mode = true;
            break;
        default:
            fprintf(stderr,
                    "usage: %s [-p port] [-w workers] [-r rate] "
                    "[-b burst] [-t]\n",
                    argv[0]);
            return 2;
        }
    }
    if (port < 0 || port > 65535 || bo.workers == 0 || bo.workers > 256 ||
        !(bo.rate[QUOTA_ALL] >= 1) || bo.burst[QUOTA_ALL] == 0) {
        fprintf(stderr, "server: bad argument\n");
        return 2;
    }
    /* Before any thread starts, so every thread blocks them: only the
     * signalfd sees SIGINT and SIGTERM. */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    pthread_mutex_init(&srv.lock, NULL);
    /* [C3] no other thread yet. */
    atomic_init(&srv.draining, false);
    if (backend_create(&bo, &srv.backend) != 0) {
        fprintf(stderr, "server: cannot start the %s backend\n", backend_name);
        return 1;
    }
    sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
    srv.quit_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    srv.epfd = epoll_create1(EPOLL_CLOEXEC);
    if (sfd < 0 || srv.quit_fd < 0 || srv.epfd < 0 ||
        (lfd = listen_on(port)) < 0 || add_fd(srv.epfd, lfd, &tag_listen) ||
        add_fd(srv.epfd, sfd, &tag_signal) ||
        add_fd(srv.epfd, srv.quit_fd, &tag_quit)) {
        perror("server: start");
        return 1;
    }
    left = run(&srv, lfd, sfd);
    close(lfd);
    backend_destroy(srv.backend); /* the jobs still queued run first */
    if (left)
        fprintf(stderr, "server: %zu connections still open after %d s\n", left,
                DRAIN_SECONDS);
    conn_close_all(&srv);
    close(srv.epfd);
    close(srv.quit_fd);
    close(sfd);
    printf("server: drained, exiting\n");
    return 0;
}
