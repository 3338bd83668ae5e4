/* SPDX-License-Identifier: MIT */
/*
 * http.c - the request parser of http.h (RFC 9112, the strict subset):
 * request-line = method SP request-target SP "HTTP/1." DIGIT CRLF; header
 * lines "name: value" CRLF; an empty line; then Content-Length bytes.
 * Bare LF, obsolete line folding, NUL and other control bytes are errors.
 */
#include "http.h"

#include <string.h>
#include <strings.h>

/* tchar of RFC 9110: the bytes of a method or a header name. */
static bool
is_tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || (c != 0 && strchr("!#$%&'*+-.^_`|~", c));
}

/* Printable ASCII or HTAB or obs-text: a header value byte. */
static bool
is_vchar(unsigned char c)
{
    return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static bool
name_is(const char *p, size_t n, const char *name)
{
    return n == strlen(name) && strncasecmp(p, name, n) == 0;
}

/* The line starting at p (up to but excluding "\r\n"): its length, or -1
 * if none ends before end, or -2 if it holds a bare LF or a control byte
 * other than HTAB and CR (checked as bytes arrive: binary garbage is
 * rejected at once). */
static long
line_len(const char *p, const char *end)
{
    for (const char *q = p; q < end; q++) {
        unsigned char c = (unsigned char)*q;

        if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f ||
            (c == '\n' && (q == p || q[-1] != '\r')))
            return -2;
        if (*q == '\n')
            return (long)(q - p - 1);
    }
    return -1;
}

/* The request line "GET /x HTTP/1.1": 0 or -400/-505. */
static int
parse_request_line(const char *p, size_t n, struct http_req *req)
{
    const char *end = p + n, *sp1, *sp2;

    req->method = p;
    for (sp1 = p; sp1 < end && is_tchar((unsigned char)*sp1); sp1++)
        ;
    if (sp1 == p || sp1 == end || *sp1 != ' ')
        return -400;
    req->method_len = (size_t)(sp1 - p);
    req->target = sp1 + 1;
    for (sp2 = req->target; sp2<end && * sp2> ' ' && *sp2 != 0x7f; sp2++)
        ;
    if (sp2 == req->target || sp2 == end || *sp2 != ' ' ||
        req->target[0] != '/')
        return -400;
    req->target_len = (size_t)(sp2 - req->target);
    if ((size_t)(end - sp2 - 1) != 8 || memcmp(sp2 + 1, "HTTP/", 5) != 0 ||
        sp2[6] < '0' || sp2[6] > '9' || sp2[7] != '.' || sp2[8] < '0' ||
        sp2[8] > '9')
        return -400;
    if (sp2[6] != '1')
        return -505;
    req->minor = sp2[8] - '0';
    req->keep_alive = req->minor >= 1;
    return 0;
}

/* A Content-Length value: 0 with *out, or -400 / -413. */
static int
parse_length(const char *v, size_t n, size_t *out)
{
    size_t x = 0;

    if (n == 0)
        return -400;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -400;
        x = x * 10 + (size_t)(v[i] - '0');
        if (x > HTTP_BODY_MAX)
            return -413;
    }
    *out = x;
    return 0;
}

/* One header line: 0 or a negated status. *clen is SIZE_MAX until a
 * Content-Length was seen. */
static int
parse_header(const char *p, size_t n, struct http_req *req, size_t *clen)
{
    const char *colon = p, *v, *ve = p + n;
    size_t x;
    int rc;

    while (colon < ve && is_tchar((unsigned char)*colon))
        colon++;
    if (colon == p || colon == ve || *colon != ':')
        return -400; /* also obs-fold: a line starting with SP/HTAB */
    for (v = colon + 1; v < ve && (*v == ' ' || *v == '\t'); v++)
        ;
    while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
        ve--;
    for (const char *q = v; q < ve; q++)
        if (!is_vchar((unsigned char)*q))
            return -400;
    n = (size_t)(colon - p);
    if (name_is(p, n, "content-length")) {
        if ((rc = parse_length(v, (size_t)(ve - v), &x)) != 0)
            return rc;
        if (*clen != (size_t)-1 && *clen != x)
            return -400; /* two different lengths: smuggling */
        *clen = x;
    } else if (name_is(p, n, "transfer-encoding")) {
        return -501;
    } else if (name_is(p, n, "connection")) {
        if (name_is(v, (size_t)(ve - v), "close"))
            req->keep_alive = false;
        else if (name_is(v, (size_t)(ve - v), "keep-alive"))
            req->keep_alive = true;
    } else if (name_is(p, n, "x-client")) {
        req->client = v;
        req->client_len = (size_t)(ve - v);
    }
    return 0;
}

int
http_parse(const char *buf, size_t len, struct http_req *req)
{
    const char *p = buf,
               *end = buf + (len < HTTP_HEADER_MAX ? len : HTTP_HEADER_MAX);
    size_t clen = (size_t)-1;
    long n;
    int rc, lines = 0;

    memset(req, 0, sizeof(*req));
    /* The request line is checked as soon as it is complete, so garbage
     * is answered at once instead of after HTTP_HEADER_MAX bytes. */
    if ((n = line_len(p, end)) < 0)
        return n == -2 ? -400 : len >= HTTP_HEADER_MAX ? -431 : 0;
    if ((rc = parse_request_line(p, (size_t)n, req)) != 0)
        return rc;
    p += n + 2;
    for (;;) {
        if ((n = line_len(p, end)) < 0)
            return n == -2 ? -400 : len >= HTTP_HEADER_MAX ? -431 : 0;
        if (n == 0)
            break;
        if (++lines > HTTP_HEADERS_MAX)
            return -431;
        if ((rc = parse_header(p, (size_t)n, req, &clen)) != 0)
            return rc;
        p += n + 2;
    }
    p += 2;
    req->body = p;
    req->body_len = clen == (size_t)-1 ? 0 : clen;
    if ((size_t)(p - buf) + req->body_len > len)
        return 0;
    return (int)((size_t)(p - buf) + req->body_len);
}

const char *
http_reason(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 413:
        return "Content Too Large";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 503:
        return "Service Unavailable";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return "Unknown";
    }
}
