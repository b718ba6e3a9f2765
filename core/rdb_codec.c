/* rdb_codec.c: RDB lengths and strings (rdb_codec.h, spec/rdb.md §2-3). */
#include "core/rdb_codec.h"

#include <stdio.h>

#define RDB_ENC_INT8 0
#define RDB_ENC_INT16 1
#define RDB_ENC_INT32 2
#define RDB_ENC_LZF 3

/* ---- Writing ---- */

void
rdb_put_len(struct ts_buf *b, uint64_t len)
{
    uint8_t buf[9];
    size_t n;
    if (len < 64) {
        buf[0] = (uint8_t)len;
        n = 1;
    } else if (len < 16384) {
        buf[0] = (uint8_t)(0x40 | (len >> 8));
        buf[1] = (uint8_t)len;
        n = 2;
    } else if (len <= UINT32_MAX) {
        buf[0] = 0x80;
        for (int i = 0; i < 4; i++)
            buf[1 + i] = (uint8_t)(len >> (24 - 8 * i));
        n = 5;
    } else {
        buf[0] = 0x81;
        for (int i = 0; i < 8; i++)
            buf[1 + i] = (uint8_t)(len >> (56 - 8 * i));
        n = 9;
    }
    ts_buf_append(b, buf, n);
}

void
rdb_put_raw(struct ts_buf *b, const void *p, size_t n)
{
    rdb_put_len(b, n);
    ts_buf_append(b, p, n);
}

void
rdb_put_str(struct ts_buf *b, const void *p, size_t n)
{
    long long v;
    if (n > 0 && n <= 11 && ts_str_to_ll(p, n, &v) && v >= INT32_MIN && v <= INT32_MAX) {
        uint8_t buf[5];
        size_t w;
        if (v >= INT8_MIN && v <= INT8_MAX) {
            buf[0] = 0xC0 | RDB_ENC_INT8;
            w = 1;
        } else if (v >= INT16_MIN && v <= INT16_MAX) {
            buf[0] = 0xC0 | RDB_ENC_INT16;
            w = 2;
        } else {
            buf[0] = 0xC0 | RDB_ENC_INT32;
            w = 4;
        }
        uint32_t u = (uint32_t)(int32_t)v;
        for (size_t i = 0; i < w; i++)
            buf[1 + i] = (uint8_t)(u >> (8 * i));
        ts_buf_append(b, buf, 1 + w);
        return;
    }
    rdb_put_raw(b, p, n);
}

/* ---- Reading ---- */

void
rdb_in_deinit(struct rdb_in *in)
{
    ts_buf_free(&in->scratch);
}

static inline bool
rdb_need(struct rdb_in *in, size_t n)
{
    if (in->err || in->len - in->pos < n) {
        in->err = true;
        return false;
    }
    return true;
}

/* Read a length, or a special encoding: *special is then its code. */
static uint64_t
rdb_get_len_or_enc(struct rdb_in *in, int *special)
{
    *special = -1;
    if (!rdb_need(in, 1))
        return 0;
    uint8_t b = in->p[in->pos++];
    switch (b >> 6) {
    case 0:
        return b & 0x3f;
    case 1:
        if (!rdb_need(in, 1))
            return 0;
        return ((uint64_t)(b & 0x3f) << 8) | in->p[in->pos++];
    case 3:
        *special = b & 0x3f;
        return 0;
    default:
        break;
    }
    size_t w = b == 0x80 ? 4 : b == 0x81 ? 8 : 0;
    if (w == 0 || !rdb_need(in, w)) {
        in->err = true;
        return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < w; i++)
        v = (v << 8) | in->p[in->pos++];
    return v;
}

uint64_t
rdb_get_len(struct rdb_in *in)
{
    int special;
    uint64_t v = rdb_get_len_or_enc(in, &special);
    if (special >= 0) {
        in->err = true;
        return 0;
    }
    return v;
}

static struct sv
rdb_get_int_str(struct rdb_in *in, int code)
{
    size_t w = code == RDB_ENC_INT8 ? 1 : code == RDB_ENC_INT16 ? 2 : 4;
    if (!rdb_need(in, w))
        return (struct sv){"", 0};
    uint32_t u = 0;
    for (size_t i = 0; i < w; i++)
        u |= (uint32_t)in->p[in->pos++] << (8 * i);
    long long v = w == 1 ? (int8_t)u : w == 2 ? (int16_t)u : (int32_t)u;
    in->scratch.len = 0;
    char *dst = ts_buf_reserve(&in->scratch, 24);
    in->scratch.len = (size_t)ts_ll_to_str(dst, v);
    return (struct sv){in->scratch.data, in->scratch.len};
}

static struct sv
rdb_get_lzf_str(struct rdb_in *in)
{
    uint64_t clen = rdb_get_len(in), ulen = rdb_get_len(in);
    if (in->err || !rdb_need(in, clen) || ulen > ((uint64_t)1 << 32)) {
        in->err = true;
        return (struct sv){"", 0};
    }
    in->scratch.len = 0;
    uint8_t *dst = (uint8_t *)ts_buf_reserve(&in->scratch, ulen ? ulen : 1);
    if (!rdb_lzf_decompress(in->p + in->pos, clen, dst, ulen)) {
        in->err = true;
        return (struct sv){"", 0};
    }
    in->pos += clen;
    in->scratch.len = ulen;
    return (struct sv){in->scratch.data, ulen};
}

struct sv
rdb_get_str(struct rdb_in *in)
{
    int special;
    uint64_t n = rdb_get_len_or_enc(in, &special);
    if (in->err)
        return (struct sv){"", 0};
    if (special >= 0) {
        if (special <= RDB_ENC_INT32)
            return rdb_get_int_str(in, special);
        if (special == RDB_ENC_LZF)
            return rdb_get_lzf_str(in);
        in->err = true;
        return (struct sv){"", 0};
    }
    if (!rdb_need(in, n))
        return (struct sv){"", 0};
    struct sv s = {(const char *)in->p + in->pos, (size_t)n};
    in->pos += n;
    return s;
}

bool
rdb_get_str_copy(struct rdb_in *in, char **out, size_t *n)
{
    struct sv s = rdb_get_str(in);
    if (in->err)
        return false;
    *out = ts_malloc(s.len ? s.len : 1);
    memcpy(*out, s.ptr, s.len);
    *n = s.len;
    return true;
}

/* LZF (spec/rdb.md §3): control byte c < 32 is a literal run of c + 1
 * bytes; otherwise a back-reference of (c >> 5) + 2 bytes (7 means "add
 * the next byte") at distance ((c & 31) << 8) + next byte + 1. */
bool
rdb_lzf_decompress(const uint8_t *in, size_t clen, uint8_t *out, size_t ulen)
{
    size_t ip = 0, op = 0;
    while (ip < clen) {
        unsigned c = in[ip++];
        if (c < 32) {
            size_t run = c + 1;
            if (clen - ip < run || ulen - op < run)
                return false;
            memcpy(out + op, in + ip, run);
            ip += run;
            op += run;
            continue;
        }
        size_t len = c >> 5;
        if (len == 7) {
            if (ip >= clen)
                return false;
            len += in[ip++];
        }
        if (ip >= clen)
            return false;
        size_t dist = ((size_t)(c & 0x1f) << 8) + in[ip++] + 1;
        len += 2;
        if (dist > op || ulen - op < len)
            return false;
        for (size_t i = 0; i < len; i++, op++)
            out[op] = out[op - dist];
    }
    return op == ulen;
}
