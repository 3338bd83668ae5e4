/* SPDX-License-Identifier: MIT */
/*
 * probe.c - the server test's client: well-formed, partial, pipelined,
 * malformed, oversized and random requests against a running server, each
 * answer checked. Exits non-zero on the first wrong answer.
 *
 *   server_probe PORT [SEED]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
            exit(1);                                                         \
        }                                                                    \
    } while (0)

enum { TIMEOUT_MS = 20000, STRICT_BURST = 5, STRICT_RATE = 5 };

static int port;

static int
dial(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    CHECK(fd >= 0);
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    return fd;
}

static void
send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return; /* the server may close early on bad input */
        p += k;
        n -= (size_t)k;
    }
}

/* Read one response: its status (0 at EOF before any byte), body into
 * body[cap] (NUL-terminated). *closed: the server said Connection: close. */
struct resp {
    int status;
    int closed;
    char body[16384];
};
static char rbuf[65536];
static size_t rlen;
static int head_request; /* the answer has no body, whatever its length */

static int
recv_some(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    ssize_t n;

    CHECK(poll(&p, 1, TIMEOUT_MS) == 1); /* a hung server fails here */
    n = recv(fd, rbuf + rlen, sizeof(rbuf) - rlen, 0);
    if (n < 0 && errno == ECONNRESET)
        return 0;
    CHECK(n >= 0);
    rlen += (size_t)n;
    return (int)n;
}

static void
read_resp(int fd, struct resp *r)
{
    char *end, *cl;
    size_t hlen, blen;

    memset(r, 0, sizeof(*r));
    while ((end = memmem(rbuf, rlen, "\r\n\r\n", 4)) == NULL) {
        if (recv_some(fd) == 0) {
            CHECK(rlen == 0); /* EOF in the middle of a response */
            return;
        }
    }
    *end = '\0';
    hlen = (size_t)(end - rbuf) + 4;
    CHECK(sscanf(rbuf, "HTTP/1.1 %d ", &r->status) == 1);
    CHECK((cl = strstr(rbuf, "Content-Length: ")) != NULL);
    blen = head_request ? 0 : strtoul(cl + 16, NULL, 10);
    CHECK(blen < sizeof(r->body));
    r->closed = strstr(rbuf, "Connection: close") != NULL;
    while (rlen < hlen + blen)
        CHECK(recv_some(fd) > 0);
    memcpy(r->body, rbuf + hlen, blen);
    memmove(rbuf, rbuf + hlen + blen, rlen - hlen - blen);
    rlen -= hlen + blen;
}

/* The server closed fd (EOF or reset) after its last answer. */
static void
expect_eof(int fd)
{
    CHECK(rlen == 0);
    CHECK(recv_some(fd) == 0);
}

/* One request on a new connection; the first answer's status. */
static int
once(const char *req, size_t n, struct resp *r)
{
    int fd = dial();

    rlen = 0;
    send_all(fd, req, n);
    read_resp(fd, r);
    close(fd);
    rlen = 0;
    return r->status;
}

static int
get(const char *req)
{
    static struct resp r;

    return once(req, strlen(req), &r);
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
well_formed(void)
{
    static struct resp r;
    const char two[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                       "GET /session?id=probe-a HTTP/1.1\r\nHost: x\r\n\r\n";
    const char post[] = "POST /echo HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
    int fd = dial();

    /* Two pipelined requests in one write, on one keep-alive connection. */
    rlen = 0;
    send_all(fd, two, sizeof(two) - 1);
    read_resp(fd, &r);
    CHECK(r.status == 200 && strcmp(r.body, "hello\n") == 0 && !r.closed);
    read_resp(fd, &r);
    CHECK(r.status == 200 && strcmp(r.body, "session probe-a visits 1\n") == 0);
    /* A request split in three writes, with pauses. */
    send_all(fd, "GET /sess", 9);
    usleep(20000);
    send_all(fd, "ion?id=probe-a HTTP/1.1\r\nHo", 27);
    usleep(20000);
    send_all(fd, "st: x\r\n\r\n", 9);
    read_resp(fd, &r);
    CHECK(r.status == 200 && strcmp(r.body, "session probe-a visits 2\n") == 0);
    /* A body, and Connection: close honoured. */
    send_all(fd, post, sizeof(post) - 1);
    read_resp(fd, &r);
    CHECK(r.status == 200 && strcmp(r.body, "hello") == 0);
    send_all(fd, "HEAD / HTTP/1.1\r\nConnection: close\r\n\r\n", 38);
    head_request = 1;
    read_resp(fd, &r);
    head_request = 0;
    CHECK(r.status == 200 && r.closed && r.body[0] == '\0');
    expect_eof(fd);
    close(fd);
    CHECK(get("GET / HTTP/1.0\r\n\r\n") == 200);
    CHECK(get("GET /nope HTTP/1.1\r\n\r\n") == 404);
    CHECK(get("DELETE / HTTP/1.1\r\n\r\n") == 405);
    CHECK(get("GET /session HTTP/1.1\r\n\r\n") == 400);
    CHECK(get("GET /session?id=a/b HTTP/1.1\r\n\r\n") == 400);
}

/* Malformed and oversized requests: the status, then the server closes. */
static void
malformed(void)
{
    static const struct {
        const char *req;
        int status;
    } cases[] = {
        {"hello\r\n\r\n", 400},
        {"GET / HTTP/1.1\n\n", 400},
        {"GET  / HTTP/1.1\r\n\r\n", 400},
        {"GET x HTTP/1.1\r\n\r\n", 400},
        {"GET / HTTP/1.1 \r\n\r\n", 400},
        {"GET / FTP/1.1\r\n\r\n", 400},
        {"GET / HTTP/2.0\r\n\r\n", 505},
        {"GET / HTTP/1.1\r\nNo colon\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\n folded: x\r\n\r\n", 400},
        {"GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n", 400},
        {"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400}, /* TLS hello */
        {"POST /echo HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400},
        {"POST /echo HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
         413},
        {"POST /echo HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n"
         "\r\nabcd",
         400},
        {"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501},
    };
    static struct resp r;
    static char big[12000];
    int fd;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fd = dial();
        rlen = 0;
        send_all(fd, cases[i].req, strlen(cases[i].req));
        read_resp(fd, &r);
        if (r.status != cases[i].status)
            fprintf(stderr, "case %zu: got %d, want %d\n", i, r.status,
                    cases[i].status);
        CHECK(r.status == cases[i].status && r.closed);
        expect_eof(fd);
        close(fd);
    }
    /* Headers past 8 KiB: 431. */
    memset(big, 'a', sizeof(big));
    memcpy(big, "GET / HTTP/1.1\r\nX-Big: ", 23);
    CHECK(once(big, sizeof(big), &r) == 431 && r.closed);
    /* Too many header lines: 431. */
    {
        char many[2048];
        size_t n = (size_t)snprintf(many, sizeof(many), "GET / HTTP/1.1\r\n");

        for (int i = 0; i < 70; i++)
            n += (size_t)snprintf(many + n, sizeof(many) - n, "H%d: v\r\n", i);
        n += (size_t)snprintf(many + n, sizeof(many) - n, "\r\n");
        CHECK(once(many, n, &r) == 431);
    }
    /* A client that leaves halfway: the server just closes. */
    fd = dial();
    send_all(fd, "GET / HT", 8);
    shutdown(fd, SHUT_WR);
    rlen = 0;
    expect_eof(fd);
    close(fd);
}

/* Random bytes, 200 connections: any answer is a 4xx/5xx or a 200. */
static void
garbage(unsigned seed)
{
    static struct resp r;
    char buf[512];

    printf("probe: random requests, seed %u (server_probe PORT %u)\n", seed,
           seed);
    srand(seed);
    for (int i = 0; i < 200; i++) {
        int fd = dial(), n = 1 + rand() % (int)sizeof(buf);

        for (int k = 0; k < n; k++)
            buf[k] = (char)(i % 2 ? rand() : " \r\nGET/HTP1.:a"[rand() % 14]);
        rlen = 0;
        send_all(fd, buf, (size_t)n);
        shutdown(fd, SHUT_WR);
        read_resp(fd, &r);
        CHECK(r.status == 0 || r.status == 200 || r.status >= 400);
        close(fd);
    }
    rlen = 0;
    CHECK(get("GET / HTTP/1.1\r\n\r\n") == 200); /* still up */
}

/* The strict quota: at most burst + rate * elapsed of 30 requests pass,
 * at least the burst does; /stats counts every 429. */
static void
rate_limit(void)
{
    static struct resp r;
    char client[64], req[256];
    int ok = 0, limited = 0, fd = dial(), n;
    double t0 = now_s(), el;
    long long rl;
    char *p;

    snprintf(client, sizeof(client), "probe-%d", (int)getpid());
    n = snprintf(req, sizeof(req),
                 "GET /limited HTTP/1.1\r\nX-Client: %s\r\n\r\n", client);
    rlen = 0;
    for (int i = 0; i < 30; i++) {
        send_all(fd, req, (size_t)n);
        read_resp(fd, &r);
        CHECK(r.status == 200 || r.status == 429);
        ok += r.status == 200;
        limited += r.status == 429;
    }
    el = now_s() - t0;
    close(fd);
    printf("probe: /limited: %d ok, %d rate-limited in %.2f s\n", ok, limited,
           el);
    CHECK(ok >= STRICT_BURST);
    CHECK(ok <= STRICT_BURST + STRICT_RATE * el + 1);
    CHECK(once("GET /stats HTTP/1.1\r\n\r\n", 23, &r) == 200);
    CHECK((p = strstr(r.body, "\"rate_limited\": ")) != NULL);
    rl = atoll(p + 16);
    CHECK(rl >= limited);
    printf("probe: /stats: %s", r.body);
}

int
main(int argc, char **argv)
{
    if (argc < 2 || (port = atoi(argv[1])) <= 0) {
        fprintf(stderr, "usage: %s PORT [SEED]\n", argv[0]);
        return 2;
    }
    well_formed();
    malformed();
    garbage(argc > 2 ? (unsigned)atoi(argv[2]) : (unsigned)time(NULL));
    rate_limit();
    printf("probe: all checks passed\n");
    return 0;
}
