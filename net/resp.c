/* resp.c: the streaming RESP request parser (resp.h).
 *
 * Two request forms, chosen by the first byte of a command as redis-server
 * does: '*' starts a multibulk request ("*N\r\n" then N "$len\r\n<bytes>\r\n"
 * arguments), anything else is an inline command (one line, split on spaces
 * with sdssplitargs-style quoting).
 *
 * The parser never copies multibulk arguments: it records (offset, length)
 * pairs relative to the command start and turns them into views when the
 * command is complete. All progress is kept as offsets, so the caller may
 * move or grow the query buffer between calls:
 *
 *   command start                     pos            len
 *   |                                 |              |
 *   *3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048576\r\n.......
 *   '---- args[0], args[1] done -----''- bulk_len = 1048576, data pending
 *
 * Redis 7.0 quirks kept on purpose (checked against redis-server 7.0.15):
 *  - the two bytes after a header's '\r' and after a bulk's data are skipped
 *    without checking that they are "\r\n";
 *  - "*N" with any N <= 0 is an empty command, not an error;
 *  - a too-long header or inline line is an error only when no terminator
 *    was found in the first 64 KB (+1 byte) of it.
 *  - an inline line holding a NUL byte never completes (Redis's strchr stops
 *    there); it waits for more bytes until the 64 KB inline limit.
 * Deviation: a NUL in a multibulk header is simply not a digit (an error)
 * rather than a stall.
 */
#include "net/resp.h"

#include <limits.h>
#include <stdio.h>

/* ---- Helpers ---- */

/* Decimal to long long with the exact strictness of Redis's string2ll: no
 * spaces, no '+', no leading zeros, "-0" rejected, overflow rejected. Used
 * for "*N" and "$N" headers, so it is a tight loop without calls. */
static bool
resp_parse_ll(const char *s, size_t n, long long *out)
{
    if (n == 0 || n > 20)
        return false;
    if (n == 1 && s[0] == '0') {
        *out = 0;
        return true;
    }
    bool neg = false;
    size_t i = 0;
    if (s[0] == '-') {
        neg = true;
        i = 1;
        if (n == 1)
            return false;
    }
    if (s[i] < '1' || s[i] > '9')
        return false;
    unsigned long long v = (unsigned long long)(s[i] - '0');
    for (i++; i < n; i++) {
        unsigned d = (unsigned)((unsigned char)s[i] - '0');
        if (d > 9)
            return false;
        if (v > (ULLONG_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (unsigned long long)LLONG_MAX + 1)
            return false;
        *out = (long long)(0 - v);
    } else {
        if (v > (unsigned long long)LLONG_MAX)
            return false;
        *out = (long long)v;
    }
    return true;
}

static void
resp_set_err(char *err, size_t errlen, const char *msg)
{
    if (err && errlen)
        snprintf(err, errlen, "Protocol error: %s", msg);
}

/* Forget the partial command; argc/argv of a finished one stay readable. */
static void
resp_reset(struct resp_parser *p)
{
    p->kind = 0;
    p->mbulk_left = -1;
    p->bulk_len = -1;
    p->pos = 0;
    p->scan = 0;
}

static void
resp_argv_reserve(struct resp_parser *p, int n)
{
    if (n <= p->argv_cap)
        return;
    int cap = p->argv_cap ? p->argv_cap : 8;
    while (cap < n)
        cap *= 2;
    p->argv = ts_realloc(p->argv, (size_t)cap * sizeof(*p->argv));
    p->argv_cap = cap;
}

/* Find the terminator c of the line starting at h, remembering in p->scan
 * how far the search got so a line arriving byte by byte is scanned once.
 * Only the first RESP_INLINE_MAX + 1 bytes of the line are searched, so the
 * verdict does not depend on how the stream was chunked.
 * Returns the terminator's offset, -1 if more bytes are needed, -2 if the
 * line is too long. */
static long long
resp_find_line(struct resp_parser *p, const char *buf, size_t len, size_t h, char c)
{
    size_t limit = h + TS_MIN(len - h, (size_t)RESP_INLINE_MAX + 1);
    size_t from = TS_MAX(p->scan, h);
    if (from < limit) {
        const char *t = memchr(buf + from, c, limit - from);
        if (t) {
            p->scan = (size_t)(t - buf);
            return (long long)p->scan;
        }
    }
    p->scan = TS_MAX(from, limit);
    if (len - h > RESP_INLINE_MAX)
        return -2;
    return -1;
}

/* ---- Multibulk ---- */

/* Fast path for a short, well-formed header "<t><digits>\r?" at h: the
 * common case of every request. Accepts exactly what the general path
 * accepts (first digit 1-9, or a lone "0"; at most 18 digits, so no
 * overflow) and needs the byte after '\r' present, as the general path
 * does; anything else returns false and the general path decides, with
 * its exact error texts. On success *val is the number and *next the
 * offset after the header. */
static inline bool
resp_fast_header(const char *buf, size_t len, size_t h, char t, long long *val, size_t *next)
{
    if (h + 3 >= len || buf[h] != t)
        return false;
    size_t i = h + 1;
    unsigned d = (unsigned)((unsigned char)buf[i] - '0');
    if (d > 9 || (d == 0 && buf[i + 1] != '\r'))
        return false;
    long long v = 0;
    size_t end = TS_MIN(len, h + 1 + 18);
    while (i < end && (d = (unsigned)((unsigned char)buf[i] - '0')) <= 9) {
        v = v * 10 + (long long)d;
        i++;
    }
    if (i >= end || buf[i] != '\r' || i + 1 >= len)
        return false;
    *val = v;
    *next = i + 2;
    return true;
}

static int
resp_parse_mbulk(struct resp_parser *p, const char *buf, size_t len, size_t *consumed, char *err,
                 size_t errlen)
{
    long long ll;

    size_t next;
    if (p->mbulk_left < 0 && resp_fast_header(buf, len, 0, '*', &ll, &next) && ll <= RESP_MBULK_MAX && ll > 0) {
        p->pos = next;
        p->mbulk_left = ll;
        p->bulk_len = -1;
        p->scan = p->pos;
    }
    if (p->mbulk_left < 0) {
        long long cr = resp_find_line(p, buf, len, 0, '\r');
        if (cr == -2) {
            resp_set_err(err, errlen, "too big mbulk count string");
            goto error;
        }
        /* Redis also waits for the byte after '\r' (not checking it). */
        if (cr < 0 || (size_t)cr + 1 >= len)
            return RESP_NEED_MORE;
        if (!resp_parse_ll(buf + 1, (size_t)cr - 1, &ll) || ll > RESP_MBULK_MAX) {
            resp_set_err(err, errlen, "invalid multibulk length");
            goto error;
        }
        p->pos = (size_t)cr + 2;
        if (ll <= 0) {
            *consumed = p->pos;
            p->argc = 0;
            resp_reset(p);
            return RESP_EMPTY;
        }
        p->mbulk_left = ll;
        p->bulk_len = -1;
        p->scan = p->pos;
    }

    while (p->mbulk_left > 0) {
        if (p->bulk_len < 0 && resp_fast_header(buf, len, p->pos, '$', &ll, &next) && ll <= p->max_bulk_len) {
            p->bulk_len = ll;
            p->pos = next;
        }
        if (p->bulk_len < 0) {
            size_t h = p->pos;
            long long cr = resp_find_line(p, buf, len, h, '\r');
            if (cr == -2) {
                resp_set_err(err, errlen, "too big bulk count string");
                goto error;
            }
            if (cr < 0 || (size_t)cr + 1 >= len)
                return RESP_NEED_MORE;
            if (buf[h] != '$') {
                if (err && errlen)
                    snprintf(err, errlen, "Protocol error: expected '$', got '%c'", buf[h]);
                goto error;
            }
            if (!resp_parse_ll(buf + h + 1, (size_t)cr - h - 1, &ll) || ll < 0 ||
                ll > p->max_bulk_len) {
                resp_set_err(err, errlen, "invalid bulk length");
                goto error;
            }
            p->bulk_len = ll;
            p->pos = (size_t)cr + 2;
        }
        /* pos <= len always; bulk_len + 2 cannot wrap (bulk_len < 2^63). */
        if (len - p->pos < (unsigned long long)p->bulk_len + 2)
            return RESP_NEED_MORE;
        if (unlikely(p->argc == p->cap)) {
            /* Grow with the arguments actually received, never with the
             * announced count: "*1073741824" must not allocate 16 GB. */
            int cap = p->cap ? p->cap * 2 : (int)TS_MIN(p->mbulk_left, 16);
            p->args = ts_realloc(p->args, (size_t)cap * sizeof(*p->args));
            p->cap = cap;
        }
        p->args[p->argc].off = p->pos;
        p->args[p->argc].len = (size_t)p->bulk_len;
        p->argc++;
        p->pos += (size_t)p->bulk_len + 2;
        p->bulk_len = -1;
        p->scan = p->pos;
        p->mbulk_left--;
    }

    resp_argv_reserve(p, p->argc);
    for (int i = 0; i < p->argc; i++) {
        p->argv[i].ptr = buf + p->args[i].off;
        p->argv[i].len = p->args[i].len;
    }
    *consumed = p->pos;
    resp_reset(p);
    return RESP_COMMAND;

error:
    p->argc = 0;
    resp_reset(p);
    return RESP_ERROR;
}

/* ---- Inline ---- */

static inline bool
resp_isspace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static inline int
resp_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Split one inline line [s, s+n) into p->argv the way sdssplitargs does:
 * whitespace separates arguments, "..." takes \n \r \t \b \a \xHH and \<c>
 * escapes, '...' takes \' only, and a closing quote must be followed by
 * whitespace or the end of the line. An argument without quotes is a view
 * into the line; one with quotes is decoded into p->scratch, which is sized
 * up front (decoding never grows a string) so views stay valid. Returns
 * false on unbalanced quotes. */
static bool
resp_split_inline(struct resp_parser *p, const char *s, size_t n)
{
    if (p->scratch_cap < n) {
        ts_free(p->scratch);
        p->scratch = ts_malloc(n);
        p->scratch_cap = n;
    }
    char *out = p->scratch;
    size_t i = 0;
    p->argc = 0;

    for (;;) {
        while (i < n && resp_isspace(s[i]))
            i++;
        if (i == n)
            return true;

        /* Fast path: a plain token is a view into the line. */
        size_t start = i;
        while (i < n && s[i] != ' ' && s[i] != '\n' && s[i] != '\r' && s[i] != '\t' && s[i] != '"' &&
               s[i] != '\'')
            i++;
        struct sv arg = { s + start, i - start };

        if (i < n && (s[i] == '"' || s[i] == '\'')) {
            /* Quoted (possibly after a plain prefix): decode into scratch. */
            char *dst = out;
            memcpy(dst, s + start, i - start);
            dst += i - start;
            bool inq = false, insq = false;
            for (;;) {
                if (inq) {
                    if (i >= n)
                        return false;
                    char c = s[i];
                    if (c == '\\' && i + 3 < n && s[i + 1] == 'x' && resp_hexval(s[i + 2]) >= 0 &&
                        resp_hexval(s[i + 3]) >= 0) {
                        *dst++ = (char)(resp_hexval(s[i + 2]) * 16 + resp_hexval(s[i + 3]));
                        i += 4;
                    } else if (c == '\\' && i + 1 < n) {
                        char e = s[i + 1];
                        switch (e) {
                        case 'n': e = '\n'; break;
                        case 'r': e = '\r'; break;
                        case 't': e = '\t'; break;
                        case 'b': e = '\b'; break;
                        case 'a': e = '\a'; break;
                        default: break;
                        }
                        *dst++ = e;
                        i += 2;
                    } else if (c == '"') {
                        if (i + 1 < n && !resp_isspace(s[i + 1]))
                            return false;
                        i++;
                        break;
                    } else {
                        *dst++ = c;
                        i++;
                    }
                } else if (insq) {
                    if (i >= n)
                        return false;
                    char c = s[i];
                    if (c == '\\' && i + 1 < n && s[i + 1] == '\'') {
                        *dst++ = '\'';
                        i += 2;
                    } else if (c == '\'') {
                        if (i + 1 < n && !resp_isspace(s[i + 1]))
                            return false;
                        i++;
                        break;
                    } else {
                        *dst++ = c;
                        i++;
                    }
                } else {
                    if (i >= n)
                        break;
                    char c = s[i];
                    if (c == ' ' || c == '\n' || c == '\r' || c == '\t')
                        break;
                    if (c == '"')
                        inq = true;
                    else if (c == '\'')
                        insq = true;
                    else
                        *dst++ = c;
                    i++;
                }
            }
            arg.ptr = out;
            arg.len = (size_t)(dst - out);
            out = dst;
        }
        resp_argv_reserve(p, p->argc + 1);
        p->argv[p->argc++] = arg;
    }
}

static int
resp_parse_inline(struct resp_parser *p, const char *buf, size_t len, size_t *consumed, char *err,
                  size_t errlen)
{
    long long nl = resp_find_line(p, buf, len, 0, '\n');
    if (nl == -2) {
        resp_set_err(err, errlen, "too big inline request");
        goto error;
    }
    if (nl < 0)
        return RESP_NEED_MORE;

    size_t n = (size_t)nl;
    if (n > 0 && buf[n - 1] == '\r')
        n--;
    /* Redis looks for the newline with strchr, which stops at a NUL: such a
     * line never completes, so (like Redis) wait for more bytes until the
     * inline limit turns it into an error. TLS hellos on the plain port hit
     * this. */
    if (memchr(buf, '\0', n)) {
        if (len > RESP_INLINE_MAX) {
            resp_set_err(err, errlen, "too big inline request");
            goto error;
        }
        return RESP_NEED_MORE;
    }
    if (!resp_split_inline(p, buf, n)) {
        resp_set_err(err, errlen, "unbalanced quotes in request");
        goto error;
    }
    *consumed = (size_t)nl + 1;
    resp_reset(p);
    return p->argc ? RESP_COMMAND : RESP_EMPTY;

error:
    p->argc = 0;
    resp_reset(p);
    return RESP_ERROR;
}

/* ---- API ---- */

void
resp_parser_init(struct resp_parser *p, long long max_bulk_len)
{
    memset(p, 0, sizeof(*p));
    p->max_bulk_len = max_bulk_len;
    resp_reset(p);
}

void
resp_parser_deinit(struct resp_parser *p)
{
    ts_free(p->args);
    ts_free(p->argv);
    ts_free(p->scratch);
    memset(p, 0, sizeof(*p));
    resp_reset(p);
}

/* The request type is fixed by the first byte of the command and kept until
 * the command completes, as redis's c->reqtype. */
/* The common case in one pass: a whole multibulk command in buf, with
 * short headers and at most argv_cap arguments. Positions live in locals,
 * not in the parser (stores through p would be re-read after every byte
 * load of buf, which may alias them). Succeeds only where the general path
 * would give the same result; false leaves p untouched for it. */
static inline bool
resp_parse_whole(struct resp_parser *p, const char *buf, size_t len, size_t *consumed)
{
    long long n, bl;
    size_t pos;
    if (!resp_fast_header(buf, len, 0, '*', &n, &pos) || n <= 0 || n > p->argv_cap)
        return false;
    struct sv *argv = p->argv;
    for (long long i = 0; i < n; i++) {
        size_t next;
        if (!resp_fast_header(buf, len, pos, '$', &bl, &next) || bl > p->max_bulk_len ||
            len - next < (unsigned long long)bl + 2)
            return false;
        argv[i].ptr = buf + next;
        argv[i].len = (size_t)bl;
        pos = next + (size_t)bl + 2;
    }
    p->argc = (int)n;
    *consumed = pos;
    return true;
}

int
resp_parse(struct resp_parser *p, const char *buf, size_t len, size_t *consumed, char *err, size_t errlen)
{
    *consumed = 0;
    if (p->kind == 0 && resp_parse_whole(p, buf, len, consumed))
        return RESP_COMMAND;
    if (p->kind == 0) {
        if (len == 0)
            return RESP_NEED_MORE;
        p->kind = buf[0] == '*' ? '*' : 'i';
        p->argc = 0;
        p->mbulk_left = -1;
        p->bulk_len = -1;
        p->pos = 0;
        p->scan = 0;
    }
    if (p->kind == '*')
        return resp_parse_mbulk(p, buf, len, consumed, err, errlen);
    return resp_parse_inline(p, buf, len, consumed, err, errlen);
}

size_t
resp_want(const struct resp_parser *p)
{
    if (p->kind != '*' || p->mbulk_left <= 0 || p->bulk_len < 0)
        return 0;
    return p->pos + (size_t)p->bulk_len + 2;
}

size_t
resp_command_end(const struct resp_parser *p)
{
    return p->mbulk_left == 1 ? resp_want(p) : 0;
}

/* ---- Look ahead (resp_peek_keys) ---- */

/* A decimal of 1 to 10 digits followed by CRLF, starting at p; returns
 * what follows, or NULL. */
static inline const char *
peek_count(const char *p, const char *end, uint64_t *out)
{
    const char *lim = end - p > 11 ? p + 11 : end;
    const char *q = p;
    uint64_t v = 0;
    unsigned d;
    while (q < lim && (d = (unsigned)((unsigned char)*q - '0')) <= 9) {
        v = v * 10 + d;
        q++;
    }
    if (q == p || q - p > 10 || end - q < 2 || q[0] != '\r' || q[1] != '\n')
        return NULL;
    *out = v;
    return q + 2;
}

int
resp_peek_keys(const char *buf, size_t len, struct resp_peek *out, int max)
{
    const char *p = buf, *end = buf + len;
    int n = 0;
    while (n < max && p < end && *p == '*') {
        uint64_t argc, blen;
        if (!(p = peek_count(p + 1, end, &argc)) || argc < 1 || argc > RESP_PEEK_MAX_ARGS)
            break;
        struct resp_peek cmd = {{NULL, 0}, {NULL, 0}};
        for (uint64_t i = 0; i < argc; i++) {
            if (p >= end || *p != '$' || !(p = peek_count(p + 1, end, &blen)) || (uint64_t)(end - p) < blen + 2)
                return n;
            if (i == 0)
                cmd.name = (struct sv){p, (size_t)blen};
            else if (i == 1)
                cmd.key = (struct sv){p, (size_t)blen};
            p += blen + 2;
        }
        if (argc >= 2)
            out[n++] = cmd;
    }
    return n;
}
