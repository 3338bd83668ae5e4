/* SPDX-License-Identifier: MIT */
/*
 * routes.c - the handlers. Every request is first charged to its client's
 * general quota (429 when over); then:
 *   GET /                 hello
 *   GET /session?id=ID    count a visit in the session cache
 *   GET /stats            the counters, as JSON
 *   GET /limited          charged to a second, strict per-client quota
 *   POST /echo            the body back
 *   GET /quit             start the drain (only with -t, else 404)
 * The client is the X-Client header when present, else the peer address.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server.h"

void
respond(struct conn *c, int status, const char *type, const char *body,
        size_t len, bool head_only, bool close)
{
    char *p = c->out + c->out_len;
    size_t room = sizeof(c->out) - c->out_len;
    const char *reason = http_reason(status);
    int n;

    if (body == NULL) {
        body = reason;
        len = strlen(reason);
    }
    n = snprintf(p, room,
                 "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n"
                 "Content-Length: %zu\r\n%s\r\n",
                 status, reason, type, len + (body == reason),
                 close ? "Connection: close\r\n" : "");
    if (n < 0 || (size_t)n + len + 1 > room)
        return; /* cannot happen: conn.c flushes before each request */
    c->out_len += (size_t)n;
    if (!head_only) {
        memcpy(c->out + c->out_len, body, len);
        c->out_len += len;
        if (body == reason)
            c->out[c->out_len++] = '\n';
    }
    backend_count(c->backend, STAT_REQUESTS, 1);
    if (status == 429)
        backend_count(c->backend, STAT_RATE_LIMITED, 1);
    else if (status >= 400)
        backend_count(c->backend, STAT_ERRORS, 1);
}

static bool
method_is(const struct http_req *r, const char *method)
{
    return strlen(method) == r->method_len &&
           memcmp(r->method, method, r->method_len) == 0;
}

/* Is r "method path" or "method path?query"? */
static bool
is(const struct http_req *r, const char *method, const char *path)
{
    size_t n = strlen(path);

    return method_is(r, method) && r->target_len >= n &&
           memcmp(r->target, path, n) == 0 &&
           (r->target_len == n || r->target[n] == '?');
}

/* /session?id=ID with ID of [A-Za-z0-9_-]{1,64}. */
static void
session(struct conn *c, const struct http_req *r, bool head, bool close)
{
    const char *q = memchr(r->target, '?', r->target_len);
    const char *id, *end = r->target + r->target_len;
    char body[128];
    uint64_t visits;
    int n;

    if (q == NULL || end - q < 5 || memcmp(q + 1, "id=", 3) != 0)
        goto bad;
    id = q + 4;
    if (end - id > 64)
        goto bad;
    for (const char *p = id; p < end; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
            goto bad;
    if (backend_session_visit(c->backend, id, (size_t)(end - id), &visits)) {
        respond(c, 500, "text/plain", NULL, 0, head, close);
        return;
    }
    n = snprintf(body, sizeof(body), "session %.*s visits %" PRIu64 "\n",
                 (int)(end - id), id, visits);
    respond(c, 200, "text/plain", body, (size_t)n, head, close);
    return;
bad:
    respond(c, 400, "text/plain", "want /session?id=[A-Za-z0-9_-]{1,64}\n", 37,
            head, close);
}

static void
stats(struct conn *c, bool head, bool close)
{
    static const char *const names[STAT_COUNT] = {
        "requests", "bytes_in",     "bytes_out",
        "errors",   "rate_limited", "connections"};
    char body[512];
    size_t n = 0;

    for (int s = 0; s < STAT_COUNT; s++)
        n += (size_t)snprintf(body + n, sizeof(body) - n, "%s\"%s\": %" PRId64,
                              s ? ", " : "{", names[s],
                              backend_read(c->backend, (enum stat)s));
    n += (size_t)snprintf(body + n, sizeof(body) - n,
                          ", \"backend\": \"%s\"}\n", backend_name);
    respond(c, 200, "application/json", body, n, head, close);
}

void
route(struct conn *c, const struct http_req *r, bool *keep)
{
    const char *client = r->client ? r->client : c->client;
    /* At most 64 bytes of a client name are a key: bounded memory. */
    size_t clen =
        r->client ? (r->client_len < 64 ? r->client_len : 64) : c->client_len;
    bool head = method_is(r, "HEAD");
    bool close = !*keep;
    struct http_req g = *r;

    if (head) { /* HEAD is GET without the body */
        g.method = "GET";
        g.method_len = 3;
    }
    if (backend_allow(c->backend, QUOTA_ALL, client, clen) != 0) {
        respond(c, 429, "text/plain", NULL, 0, head, close);
    } else if (is(&g, "GET", "/") && g.target_len == 1) {
        respond(c, 200, "text/plain", "hello\n", 6, head, close);
    } else if (is(&g, "GET", "/session")) {
        session(c, &g, head, close);
    } else if (is(&g, "GET", "/stats")) {
        stats(c, head, close);
    } else if (is(&g, "GET", "/limited")) {
        int rc = backend_allow(c->backend, QUOTA_STRICT, client, clen);

        respond(c, rc == 0 ? 200 : 429, "text/plain", rc ? NULL : "ok\n", 3,
                head, close);
    } else if (is(&g, "POST", "/echo")) {
        respond(c, 200, "application/octet-stream", r->body, r->body_len, false,
                close);
    } else if (is(&g, "GET", "/quit") && c->srv->test_mode) {
        uint64_t one = 1;

        respond(c, 200, "text/plain", "bye\n", 4, head, true);
        *keep = false;
        if (write(c->srv->quit_fd, &one, sizeof(one)) < 0)
            perror("server: /quit");
    } else if (method_is(&g, "GET") || method_is(&g, "POST")) {
        respond(c, 404, "text/plain", NULL, 0, head, close);
    } else {
        respond(c, 405, "text/plain", NULL, 0, head, close);
    }
}
