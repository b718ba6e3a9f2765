/* reply.c: the RESP2/RESP3 reply encoder (reply.h).
 *
 * Every call appends one complete protocol element to r->out. Headers and
 * integers are written with a hand-rolled decimal writer into space reserved
 * once per call (no snprintf, no per-byte calls): these run for every reply
 * of every command. Only the double formatters use snprintf, because their
 * output must be byte-identical to Redis's printf-based formatting.
 *
 * r->count counts reply_* calls that start an element (every call except
 * reply_defer_set, whose header was counted by reply_defer). r->error is set
 * by reply_error and never cleared here: the caller resets it per command.
 */
#include "core/reply.h"

#include "core/obuf.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

/* Longest header: type byte + "-9223372036854775808" + "\r\n". */
#define REPLY_HDR_MAX 24
/* ld2string's buffer in Redis (MAX_LONG_DOUBLE_CHARS): %.17Lf of the
 * largest long double needs about 4,950 characters. */
#define REPLY_LD_MAX (5 * 1024)

/* ---- Number formatting ---- */

static const char reply_digits2[201] = "00010203040506070809"
                                       "10111213141516171819"
                                       "20212223242526272829"
                                       "30313233343536373839"
                                       "40414243444546474849"
                                       "50515253545556575859"
                                       "60616263646566676869"
                                       "70717273747576777879"
                                       "80818283848586878889"
                                       "90919293949596979899";

static inline int
reply_u64_len(uint64_t v)
{
    int n = 1;
    for (;;) {
        if (v < 10)
            return n;
        if (v < 100)
            return n + 1;
        if (v < 1000)
            return n + 2;
        if (v < 10000)
            return n + 3;
        v /= 10000;
        n += 4;
    }
}

/* Write v in decimal at dst (no NUL); returns the number of bytes. Two
 * digits per division, from the right, into a length computed first. */
static inline int
reply_u64_write(char *dst, uint64_t v)
{
    int len = reply_u64_len(v);
    char *p = dst + len;
    while (v >= 100) {
        unsigned i = (unsigned)(v % 100) * 2;
        v /= 100;
        *--p = reply_digits2[i + 1];
        *--p = reply_digits2[i];
    }
    if (v >= 10) {
        *--p = reply_digits2[v * 2 + 1];
        *--p = reply_digits2[v * 2];
    } else {
        *--p = (char)('0' + v);
    }
    return len;
}

static inline int
reply_ll_write(char *dst, long long v)
{
    if (v < 0) {
        *dst = '-';
        return 1 + reply_u64_write(dst + 1, 0 - (uint64_t)v);
    }
    return reply_u64_write(dst, (uint64_t)v);
}

/* "<type><v>\r\n" into already reserved space; returns bytes written. */
static inline size_t
reply_hdr_write(char *dst, char type, long long v)
{
    dst[0] = type;
    size_t n = 1 + (size_t)reply_ll_write(dst + 1, v);
    dst[n] = '\r';
    dst[n + 1] = '\n';
    return n + 2;
}

size_t
reply_header(char *dst, char type, long long v)
{
    return reply_hdr_write(dst, type, v);
}

/* ---- Room in the output ---- */

/* May the element about to be written start a new block? Not inside a
 * deferred aggregate (its token is an offset in out) nor after an error
 * (err_at is one). */
static inline bool
reply_may_seal(const struct reply *r)
{
    return r->sink != NULL && r->defer_open == 0 && !r->error;
}

/* Out of room: seal the full block into the list rather than grow it (a
 * growth would copy every byte queued so far), then make room as usual. A
 * small block (a new connection's, below OBUF_BLOCK) simply grows. */
static char *
reply_reserve_slow(struct reply *r, size_t n)
{
    struct ts_buf *b = r->out;
    if (reply_may_seal(r) && b->cap >= OBUF_BLOCK && b->len > 0)
        obuf_seal(r->sink);
    return ts_buf_reserve(b, n);
}

static inline char *
reply_reserve(struct reply *r, size_t n)
{
    struct ts_buf *b = r->out;
    if (likely(b->cap - b->len >= n))
        return b->data + b->len;
    return reply_reserve_slow(r, n);
}

static inline void
reply_hdr(struct reply *r, char type, long long v)
{
    char *dst = reply_reserve(r, REPLY_HDR_MAX);
    r->out->len += reply_hdr_write(dst, type, v);
}

static inline void
reply_put(struct reply *r, const char *s, size_t n)
{
    if (unlikely(n == 0))
        return;
    char *dst = reply_reserve(r, n);
    memcpy(dst, s, n);
    r->out->len += n;
}

/* ---- Simple types ---- */

void
reply_ok(struct reply *r)
{
    r->count++;
    reply_put(r, "+OK\r\n", 5);
}

void
reply_simple_len(struct reply *r, const char *s, size_t n)
{
    r->count++;
    char *dst = reply_reserve(r, n + 3);
    dst[0] = '+';
    memcpy(dst + 1, s, n);
    dst[n + 1] = '\r';
    dst[n + 2] = '\n';
    r->out->len += n + 3;
}

void
reply_simple(struct reply *r, const char *s)
{
    reply_simple_len(r, s, strlen(s));
}

/* An error must stay one protocol line, so CR and LF inside the message
 * become spaces (Redis addReplyErrorLength does the same). A message that
 * already starts with '-' (an error relayed verbatim) gets no second '-'. */
void
reply_error(struct reply *r, const char *msg)
{
    size_t n = strlen(msg);
    r->count++;
    bool dash = n > 0 && msg[0] == '-';
    char *dst = reply_reserve(r, n + 3); /* may start a new block: err_at after it */
    r->error = true;
    r->err_at = r->out->len;
    size_t o = 0;
    if (!dash)
        dst[o++] = '-';
    for (size_t i = 0; i < n; i++) {
        char c = msg[i];
        dst[o++] = (c == '\r' || c == '\n') ? ' ' : c;
    }
    dst[o++] = '\r';
    dst[o++] = '\n';
    r->out->len += o;
}

void
reply_errorf(struct reply *r, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        reply_error(r, "ERR");
        return;
    }
    if ((size_t)n < sizeof(small)) {
        reply_error(r, small);
        return;
    }
    char *big = ts_malloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    reply_error(r, big);
    ts_free(big);
}

void
reply_wrong_args(struct reply *r, const char *cmdname)
{
    reply_errorf(r, "ERR wrong number of arguments for '%s' command", cmdname);
}

void
reply_int(struct reply *r, long long v)
{
    r->count++;
    reply_hdr(r, ':', v);
}

void
reply_bool(struct reply *r, bool v)
{
    r->count++;
    if (r->resp >= 3)
        reply_put(r, v ? "#t\r\n" : "#f\r\n", 4);
    else
        reply_put(r, v ? ":1\r\n" : ":0\r\n", 4);
}

void
reply_null(struct reply *r)
{
    r->count++;
    if (r->resp >= 3)
        reply_put(r, "_\r\n", 3);
    else
        reply_put(r, "$-1\r\n", 5);
}

void
reply_null_array(struct reply *r)
{
    r->count++;
    if (r->resp >= 3)
        reply_put(r, "_\r\n", 3);
    else
        reply_put(r, "*-1\r\n", 5);
}

void
reply_raw(struct reply *r, const void *p, size_t n)
{
    r->count++;
    reply_put(r, p, n);
}

/* ---- Bulk strings ---- */

/* A payload larger than a block, into an output block list: the header
 * ends the current block's content, the payload is copied across fresh
 * blocks, then the trailer. No realloc of a multi-megabyte buffer. */
static void
reply_bulk_spill(struct reply *r, const void *p, size_t n)
{
    char *dst = reply_reserve(r, REPLY_HDR_MAX);
    r->out->len += reply_hdr_write(dst, '$', (long long)n);
    obuf_append(r->sink, p, n);
    obuf_append(r->sink, "\r\n", 2);
}

/* Header, payload and trailer in one reservation. */
static inline void
reply_bulk_write(struct reply *r, const void *p, size_t n)
{
    if (unlikely(n > OBUF_BLOCK) && reply_may_seal(r)) {
        reply_bulk_spill(r, p, n);
        return;
    }
    char *dst = reply_reserve(r, REPLY_HDR_MAX + n + 2);
    size_t o = reply_hdr_write(dst, '$', (long long)n);
    if (n)
        memcpy(dst + o, p, n);
    o += n;
    dst[o] = '\r';
    dst[o + 1] = '\n';
    r->out->len += o + 2;
}

void
reply_bulk(struct reply *r, const void *p, size_t n)
{
    r->count++;
    reply_bulk_write(r, p, n);
}

void
reply_bulk_cstr(struct reply *r, const char *s)
{
    r->count++;
    reply_bulk_write(r, s, strlen(s));
}

void
reply_bulk_ll(struct reply *r, long long v)
{
    char tmp[21];
    r->count++;
    reply_bulk_write(r, tmp, (size_t)reply_ll_write(tmp, v));
}

/* INCRBYFLOAT's "human" long double format: %.17Lf, then trailing zeros
 * after the point and a bare trailing point removed, "-0" shown as "0",
 * infinities as "inf"/"-inf" (as Redis's ld2string in LD_STR_HUMAN mode). */
static size_t
reply_ld_human(char *buf, size_t cap, long double v)
{
    if (isinf(v)) {
        const char *s = v > 0 ? "inf" : "-inf";
        size_t n = strlen(s);
        memcpy(buf, s, n);
        return n;
    }
    int l = snprintf(buf, cap, "%.17Lf", v);
    if (l < 0)
        return 0;
    if ((size_t)l >= cap)
        l = (int)cap - 1;
    if (memchr(buf, '.', (size_t)l)) {
        while (l > 0 && buf[l - 1] == '0')
            l--;
        if (l > 0 && buf[l - 1] == '.')
            l--;
    }
    if (l == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        l = 1;
    }
    return (size_t)l;
}

void
reply_bulk_double(struct reply *r, long double v)
{
    char buf[REPLY_LD_MAX];
    r->count++;
    reply_bulk_write(r, buf, reply_ld_human(buf, sizeof(buf), v));
}

/* %.17g as Redis 7.0's addReplyDouble; infinities and NaN spelled out so
 * libc differences ("-nan") do not reach the wire. */
static size_t
reply_double_fmt(char *buf, size_t cap, double v)
{
    const char *s = NULL;
    if (isinf(v))
        s = v > 0 ? "inf" : "-inf";
    else if (isnan(v))
        s = "nan";
    if (s) {
        size_t n = strlen(s);
        memcpy(buf, s, n);
        return n;
    }
    int l = snprintf(buf, cap, "%.17g", v);
    return l < 0 ? 0 : TS_MIN((size_t)l, cap - 1);
}

void
reply_double(struct reply *r, double v)
{
    char buf[64];
    size_t n = reply_double_fmt(buf, sizeof(buf), v);
    r->count++;
    if (r->resp >= 3) {
        char *dst = reply_reserve(r, n + 3);
        dst[0] = ',';
        memcpy(dst + 1, buf, n);
        dst[n + 1] = '\r';
        dst[n + 2] = '\n';
        r->out->len += n + 3;
    } else {
        reply_bulk_write(r, buf, n);
    }
}

/* RESP3 verbatim string: "=<len>\r\n<ext>:<text>\r\n", len counting the
 * 4-byte "txt:" prefix. RESP2 clients get the text as a plain bulk. */
void
reply_verbatim(struct reply *r, const char *p, size_t n, const char *ext3)
{
    r->count++;
    if (r->resp < 3) {
        reply_bulk_write(r, p, n);
        return;
    }
    char *dst = reply_reserve(r, REPLY_HDR_MAX + 4 + n + 2);
    size_t o = reply_hdr_write(dst, '=', (long long)n + 4);
    const char *ext = (ext3 && strlen(ext3) >= 3) ? ext3 : "txt";
    memcpy(dst + o, ext, 3);
    o += 3;
    dst[o++] = ':';
    if (n)
        memcpy(dst + o, p, n);
    o += n;
    dst[o] = '\r';
    dst[o + 1] = '\n';
    r->out->len += o + 2;
}

/* ---- Aggregates ---- */

void
reply_array(struct reply *r, long n)
{
    r->count++;
    reply_hdr(r, '*', n);
}

void
reply_map(struct reply *r, long n)
{
    r->count++;
    if (r->resp >= 3)
        reply_hdr(r, '%', n);
    else
        reply_hdr(r, '*', (long long)n * 2);
}

void
reply_set(struct reply *r, long n)
{
    r->count++;
    reply_hdr(r, r->resp >= 3 ? '~' : '*', n);
}

/* The token is the output offset where the header goes. Offsets, not
 * pointers, because the buffer may be reallocated while the elements are
 * written. */
size_t
reply_defer(struct reply *r)
{
    r->count++;
    r->defer_open++; /* no new block until the header is set */
    return r->out->len;
}

/* Insert the header at the token: reserve room, slide the elements written
 * since reply_defer right by the header's size, copy the header in. A map
 * is *2n and a set *n for RESP2 clients. */
void
reply_defer_set(struct reply *r, size_t token, char kind, long n)
{
    char hdr[REPLY_HDR_MAX];
    long long v = n;
    if (r->resp < 3) {
        if (kind == '%')
            v = (long long)n * 2;
        kind = '*';
    }
    size_t hl = reply_hdr_write(hdr, kind, v);
    if (r->defer_open)
        r->defer_open--;
    struct ts_buf *b = r->out;
    if (token > b->len)
        token = b->len;
    ts_buf_reserve(b, hl);
    memmove(b->data + token + hl, b->data + token, b->len - token);
    memcpy(b->data + token, hdr, hl);
    b->len += hl;
}
