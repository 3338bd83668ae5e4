/* SPDX-License-Identifier: MIT */
/*
 * trace_json.h - the small JSON reader behind weft-trace: one event line of
 * a weft trace (runtime/trace.c writes one JSON object per line) is parsed
 * in place into at most JSON_MAX_FIELDS top-level fields, and the "args"
 * object into as many again. Strings are unescaped in place (the result is
 * never longer than the source); numbers are kept as validated tokens.
 * Nesting deeper than JSON_MAX_DEPTH is rejected, so the recursion is
 * bounded whatever the input. Only weft_trace.c includes this file.
 */
#ifndef WEFT_TOOLS_TRACE_JSON_H
#define WEFT_TOOLS_TRACE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_FIELDS 16
#define JSON_MAX_DEPTH  8

enum json_type { JSON_STR, JSON_NUM, JSON_OBJ, JSON_OTHER };

struct json_field {
    const char *key;
    enum json_type type;
    const char *str; /* JSON_STR: unescaped, NUL-terminated; JSON_NUM: token */
    size_t len;      /* its length */
    struct json_obj *obj; /* JSON_OBJ at depth 1 (args) */
};

struct json_obj {
    int n;
    struct json_field f[JSON_MAX_FIELDS];
};

struct json_lexer {
    char *p;
    const char *err;      /* the first error, or NULL */
    struct json_obj args; /* storage for the one nested object kept */
    bool args_used;
};

static bool
json_fail(struct json_lexer *lx, const char *why)
{
    if (lx->err == NULL)
        lx->err = why;
    return false;
}

static void
json_ws(struct json_lexer *lx)
{
    while (*lx->p == ' ' || *lx->p == '\t')
        lx->p++;
}

static int
json_hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool
json_u4(struct json_lexer *lx, const char *s, uint32_t *out)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++) {
        int h = json_hex(s[i]);
        if (h < 0)
            return json_fail(lx, "bad \\u escape in a string");
        v = v * 16 + (uint32_t)h;
    }
    *out = v;
    return true;
}

/* Writes code point cp as UTF-8 at *w. */
static void
json_utf8(char **w, uint32_t cp)
{
    unsigned char *o = (unsigned char *)*w;

    if (cp < 0x80) {
        *o++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *o++ = (unsigned char)(0xc0 | (cp >> 6));
        *o++ = (unsigned char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (unsigned char)(0xe0 | (cp >> 12));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (unsigned char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (unsigned char)(0xf0 | (cp >> 18));
        *o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (unsigned char)(0x80 | (cp & 0x3f));
    }
    *w = (char *)o;
}

/* A string at lx->p (on its opening quote), unescaped in place. */
static bool
json_string(struct json_lexer *lx, const char **out, size_t *len)
{
    char *r = lx->p + 1, *w = r;
    const char *start = r;

    for (;;) {
        unsigned char c = (unsigned char)*r;
        if (c == '"')
            break;
        if (c == '\0')
            return json_fail(lx, "unterminated string");
        if (c < 0x20)
            return json_fail(lx, "control character in a string");
        if (c != '\\') {
            *w++ = *r++;
            continue;
        }
        r++;
        switch (*r) {
        case '"':
        case '\\':
        case '/':
            *w++ = *r++;
            break;
        case 'b':
            *w++ = '\b', r++;
            break;
        case 'f':
            *w++ = '\f', r++;
            break;
        case 'n':
            *w++ = '\n', r++;
            break;
        case 'r':
            *w++ = '\r', r++;
            break;
        case 't':
            *w++ = '\t', r++;
            break;
        case 'u': {
            uint32_t cp, lo;
            if (!json_u4(lx, r + 1, &cp))
                return false;
            r += 5;
            if (cp >= 0xdc00 && cp <= 0xdfff)
                return json_fail(lx, "lone low surrogate in a string");
            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (r[0] != '\\' || r[1] != 'u' || !json_u4(lx, r + 2, &lo) ||
                    lo < 0xdc00 || lo > 0xdfff)
                    return json_fail(lx, "lone high surrogate in a string");
                r += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (cp == 0)
                return json_fail(lx, "\\u0000 in a string");
            json_utf8(&w, cp);
            break;
        }
        default:
            return json_fail(lx, "bad escape in a string");
        }
    }
    lx->p = r + 1;
    *w = '\0';
    *out = start;
    *len = (size_t)(w - start);
    return true;
}

/* A number token (JSON grammar); it is converted later. */
static bool
json_number(struct json_lexer *lx, const char **out, size_t *len)
{
    char *q = lx->p;
    const char *s = q;

    if (*q == '-')
        q++;
    if (*q == '0')
        q++;
    else if (*q >= '1' && *q <= '9')
        while (*q >= '0' && *q <= '9')
            q++;
    else
        return json_fail(lx, "bad number");
    if (*q == '.') {
        q++;
        if (!(*q >= '0' && *q <= '9'))
            return json_fail(lx, "bad number");
        while (*q >= '0' && *q <= '9')
            q++;
    }
    if (*q == 'e' || *q == 'E') {
        q++;
        if (*q == '+' || *q == '-')
            q++;
        if (!(*q >= '0' && *q <= '9'))
            return json_fail(lx, "bad number");
        while (*q >= '0' && *q <= '9')
            q++;
    }
    *out = s;
    *len = (size_t)(q - s);
    lx->p = q;
    return true;
}

static bool json_object(struct json_lexer *lx, int depth, struct json_obj *o);

static bool json_array(struct json_lexer *lx, int depth);

/* Any value; objects below depth 1 and arrays are checked and dropped. */
static bool
json_value(struct json_lexer *lx, int depth, struct json_field *f)
{
    json_ws(lx);
    f->obj = NULL;
    f->str = NULL;
    f->len = 0;
    switch (*lx->p) {
    case '"':
        f->type = JSON_STR;
        return json_string(lx, &f->str, &f->len);
    case '{':
        f->type = JSON_OBJ;
        if (depth == 0 && !lx->args_used) {
            lx->args_used = true;
            f->obj = &lx->args;
            return json_object(lx, depth + 1, &lx->args);
        }
        return json_object(lx, depth + 1, NULL);
    case '[':
        f->type = JSON_OTHER;
        return json_array(lx, depth + 1);
    case 't':
    case 'f':
    case 'n':
        f->type = JSON_OTHER;
        if (strncmp(lx->p, "true", 4) == 0)
            lx->p += 4;
        else if (strncmp(lx->p, "false", 5) == 0)
            lx->p += 5;
        else if (strncmp(lx->p, "null", 4) == 0)
            lx->p += 4;
        else
            return json_fail(lx, "bad literal");
        return true;
    default:
        f->type = JSON_NUM;
        return json_number(lx, &f->str, &f->len);
    }
}

static bool
json_array(struct json_lexer *lx, int depth)
{
    struct json_field scratch;

    if (depth > JSON_MAX_DEPTH)
        return json_fail(lx, "nested too deeply");
    lx->p++; /* [ */
    json_ws(lx);
    if (*lx->p == ']') {
        lx->p++;
        return true;
    }
    for (;;) {
        if (!json_value(lx, depth, &scratch))
            return false;
        json_ws(lx);
        if (*lx->p == ']') {
            lx->p++;
            return true;
        }
        if (*lx->p != ',')
            return json_fail(lx, "expected ',' or ']' in an array");
        lx->p++;
    }
}

/* An object at lx->p; its fields go to o (NULL: checked and dropped). */
static bool
json_object(struct json_lexer *lx, int depth, struct json_obj *o)
{
    struct json_field scratch;

    if (depth > JSON_MAX_DEPTH)
        return json_fail(lx, "nested too deeply");
    if (*lx->p != '{')
        return json_fail(lx, "expected '{'");
    lx->p++;
    if (o != NULL)
        o->n = 0;
    json_ws(lx);
    if (*lx->p == '}') {
        lx->p++;
        return true;
    }
    for (;;) {
        struct json_field *f = &scratch;
        const char *key;
        size_t klen;

        json_ws(lx);
        if (*lx->p != '"')
            return json_fail(lx, "expected a key");
        if (!json_string(lx, &key, &klen))
            return false;
        json_ws(lx);
        if (*lx->p != ':')
            return json_fail(lx, "expected ':'");
        lx->p++;
        if (o != NULL) {
            if (o->n == JSON_MAX_FIELDS)
                return json_fail(lx, "too many fields in an object");
            f = &o->f[o->n++];
        }
        f->key = key;
        if (!json_value(lx, depth, f))
            return false;
        json_ws(lx);
        if (*lx->p == '}') {
            lx->p++;
            return true;
        }
        if (*lx->p != ',')
            return json_fail(lx, "expected ',' or '}' in an object");
        lx->p++;
    }
}

/* The field named key in o, or NULL. */
static const struct json_field *
json_get(const struct json_obj *o, const char *key)
{
    for (int i = 0; i < o->n; i++)
        if (strcmp(o->f[i].key, key) == 0)
            return &o->f[i];
    return NULL;
}

/* A non-negative integer token without fraction or exponent. */
static bool
json_uint(const struct json_field *f, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;

    if (f == NULL || f->type != JSON_NUM || f->len == 0)
        return false;
    for (size_t i = 0; i < f->len; i++) {
        unsigned d = (unsigned)(f->str[i] - '0');
        if (d > 9 || v > max / 10 || (v == max / 10 && d > max % 10))
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

/*
 * A timestamp in microseconds ("12.345", as trace.c writes with %.3f) to
 * whole nanoseconds, exactly; digits past the third decimal are dropped.
 * Negative numbers, exponents and values past ~100 days are refused.
 */
static bool
json_us_to_ns(const struct json_field *f, uint64_t *out)
{
    const uint64_t max_us = 10000000000000ull; /* 1e13 us, ~116 days */
    uint64_t us = 0, frac = 0;
    size_t i = 0;
    int nd = 0;

    if (f == NULL || f->type != JSON_NUM)
        return false;
    for (; i < f->len && f->str[i] >= '0' && f->str[i] <= '9'; i++) {
        us = us * 10 + (uint64_t)(f->str[i] - '0');
        if (us > max_us)
            return false;
    }
    if (i == 0)
        return false;
    if (i < f->len && f->str[i] == '.')
        for (i++; i < f->len && f->str[i] >= '0' && f->str[i] <= '9'; i++)
            if (nd < 3) {
                frac = frac * 10 + (uint64_t)(f->str[i] - '0');
                nd++;
            }
    if (i != f->len)
        return false;
    for (; nd < 3; nd++)
        frac *= 10;
    *out = us * 1000 + frac;
    return true;
}

/* A job id as trace.c writes it: lower-case hex, 1 to 16 digits. */
static bool
json_hex_id(const struct json_field *f, uint64_t *out)
{
    uint64_t v = 0;

    if (f == NULL || f->type != JSON_STR || f->len == 0 || f->len > 16)
        return false;
    for (size_t i = 0; i < f->len; i++) {
        int h = json_hex(f->str[i]);
        if (h < 0)
            return false;
        v = v * 16 + (uint64_t)h;
    }
    *out = v;
    return true;
}

#endif /* WEFT_TOOLS_TRACE_JSON_H */
