/* SPDX-License-Identifier: MIT */
/*
 * http.h - a strict, bounded HTTP/1.x request parser. It never reads past
 * len, never allocates, and rejects what it does not understand.
 */
#ifndef SERVER_HTTP_H
#define SERVER_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#define HTTP_HEADER_MAX  8192 /* request line + headers, bytes */
#define HTTP_BODY_MAX    8192 /* Content-Length limit */
#define HTTP_HEADERS_MAX 64   /* header lines */
#define HTTP_REQUEST_MAX (HTTP_HEADER_MAX + HTTP_BODY_MAX)

struct http_req {
    const char *method, *target, *client, *body;
    size_t method_len, target_len, client_len, body_len;
    int minor;       /* HTTP/1.<minor> */
    bool keep_alive; /* the connection stays open after the answer */
};

/*
 * http_parse() - parse the request at the start of buf[0..len).
 * Return: its length (> 0) with *req filled (pointers into buf); 0 when
 * more bytes are needed; or the negated HTTP status to answer before
 * closing: -400 (malformed), -413 (body too large), -431 (headers too
 * large or too many), -501 (Transfer-Encoding), -505 (not HTTP/1.x).
 */
int http_parse(const char *buf, size_t len, struct http_req *req);

/* The reason phrase of status ("OK", "Not Found", ...). */
const char *http_reason(int status);

#endif /* SERVER_HTTP_H */
