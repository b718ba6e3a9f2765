/* listpack.c: Redis-format listpacks (listpack.h, spec/rdb.md §7.1).
 *
 * Entry encodings (first byte):
 *
 *   0xxxxxxx            uint 0..127                    1 byte
 *   10llllll            string, len < 64               1 + len
 *   110vvvvv vvvvvvvv   int13 (two's complement)       2
 *   1110llll llllllll   string, len < 4096             2 + len
 *   11110000 + u32 LE   string                         5 + len
 *   0xF1 / F2 / F3 / F4 int16 / int24 / int32 / int64  3 / 4 / 5 / 9
 *   0xFF                end of the listpack
 *
 * After each entry, its backlen: the size L of encoding+data in 1..5 bytes,
 * big-endian groups of 7 bits where every byte but the first has 0x80 set,
 * so it can be read from its last byte backwards (lp_prev). */
#include "core/listpack.h"

#include <stdlib.h>

#define LP_COUNT_UNKNOWN 65535

/* ---- Little-endian helpers and the header ---- */

static inline uint32_t
lp_rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void
lp_wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline unsigned
lp_hdr_count(const uint8_t *lp)
{
    return (unsigned)lp[4] | (unsigned)lp[5] << 8;
}

static inline void
lp_set_hdr_count(uint8_t *lp, unsigned long n)
{
    unsigned v = n >= LP_COUNT_UNKNOWN ? LP_COUNT_UNKNOWN : (unsigned)n;
    lp[4] = (uint8_t)v;
    lp[5] = (uint8_t)(v >> 8);
}

size_t
lp_bytes(const uint8_t *lp)
{
    return lp_rd32(lp);
}

uint8_t *
lp_create(void)
{
    uint8_t *lp = ts_malloc(LP_HDR_SIZE + 1);
    lp_wr32(lp, LP_HDR_SIZE + 1);
    lp_set_hdr_count(lp, 0);
    lp[LP_HDR_SIZE] = LP_EOF;
    return lp;
}

void
lp_free(uint8_t *lp)
{
    ts_free(lp);
}

/* ---- Sizes ---- */

/* Bytes of a backlen holding l (the spec's "<" thresholds). */
static inline size_t
lp_backlen_size(uint64_t l)
{
    if (l <= 127)
        return 1;
    if (l < 16383)
        return 2;
    if (l < 2097151)
        return 3;
    if (l < 268435455)
        return 4;
    return 5;
}

static size_t
lp_backlen_encode(uint8_t *buf, uint64_t l)
{
    size_t n = lp_backlen_size(l);
    /* first byte: the highest bits, no flag; then 0x80 | 7 bits each */
    for (size_t i = 0; i < n; i++) {
        size_t shift = 7 * (n - 1 - i);
        uint8_t b = (uint8_t)((l >> shift) & 127);
        buf[i] = i == 0 ? (uint8_t)(l >> shift) : (uint8_t)(b | 128);
    }
    return n;
}

/* Decode the backlen whose last byte is at p, reading at most to lo (the
 * first byte that may belong to it). UINT64_MAX when malformed. */
static uint64_t
lp_backlen_decode(const uint8_t *p, const uint8_t *lo)
{
    uint64_t val = 0;
    unsigned shift = 0;
    for (;;) {
        val |= (uint64_t)(p[0] & 127) << shift;
        if (!(p[0] & 128))
            return val;
        shift += 7;
        if (shift > 28 || p == lo)
            return UINT64_MAX;
        p--;
    }
}

/* Size of encoding+data of the entry at p, given that avail bytes are
 * readable from p. 0 when the encoding is invalid or does not fit. */
static uint64_t
lp_encsize_bounded(const uint8_t *p, uint64_t avail)
{
    if (avail < 1)
        return 0;
    uint8_t b = p[0];
    uint64_t need;
    if (b < 0x80)
        need = 1;
    else if ((b & 0xC0) == 0x80)
        need = 1 + (uint64_t)(b & 0x3F);
    else if ((b & 0xE0) == 0xC0)
        need = 2;
    else if ((b & 0xF0) == 0xE0) {
        if (avail < 2)
            return 0;
        need = 2 + ((uint64_t)(b & 0x0F) << 8 | p[1]);
    } else if (b == 0xF0) {
        if (avail < 5)
            return 0;
        need = 5 + (uint64_t)lp_rd32(p + 1);
    } else if (b == 0xF1)
        need = 3;
    else if (b == 0xF2)
        need = 4;
    else if (b == 0xF3)
        need = 5;
    else if (b == 0xF4)
        need = 9;
    else
        return 0; /* 0xF5..0xFF: not an entry */
    return need <= avail ? need : 0;
}

/* encoding+data size of a trusted entry. */
static inline uint64_t
lp_encsize(const uint8_t *p)
{
    return lp_encsize_bounded(p, UINT64_MAX);
}

/* Whole entry size (with backlen) of a trusted entry. */
static inline size_t
lp_entry_size(const uint8_t *p)
{
    uint64_t l = lp_encsize(p);
    return (size_t)(l + lp_backlen_size(l));
}

/* ---- Encoding new entries ---- */

/* How s will be stored: as an integer (returns true, *v) or a string. */
static inline bool
lp_as_int(const void *s, size_t n, long long *v)
{
    return n > 0 && n <= 20 && ts_str_to_ll(s, n, v);
}

static size_t
lp_int_encsize(long long v)
{
    if (v >= 0 && v <= 127)
        return 1;
    if (v >= -4096 && v <= 4095)
        return 2;
    if (v >= -32768 && v <= 32767)
        return 3;
    if (v >= -8388608 && v <= 8388607)
        return 4;
    if (v >= INT32_MIN && v <= INT32_MAX)
        return 5;
    return 9;
}

static inline size_t
lp_str_encsize(size_t n)
{
    return n < 64 ? 1 + n : n < 4096 ? 2 + n : 5 + n;
}

size_t
lp_entry_size_for(const void *s, size_t n)
{
    long long v;
    size_t l = lp_as_int(s, n, &v) ? lp_int_encsize(v) : lp_str_encsize(n);
    return l + lp_backlen_size(l);
}

/* Write the entry for s at out (which has room for lp_entry_size_for
 * bytes); returns the bytes written. */
static size_t
lp_encode(uint8_t *out, const void *s, size_t n)
{
    long long v;
    size_t l;
    if (lp_as_int(s, n, &v)) {
        l = lp_int_encsize(v);
        uint64_t u = (uint64_t)v;
        switch (l) {
        case 1:
            out[0] = (uint8_t)v;
            break;
        case 2: {
            uint64_t t = v < 0 ? (uint64_t)((1 << 13) + v) : u;
            out[0] = (uint8_t)(0xC0 | (t >> 8));
            out[1] = (uint8_t)t;
            break;
        }
        default:
            out[0] = l == 3 ? 0xF1 : l == 4 ? 0xF2 : l == 5 ? 0xF3 : 0xF4;
            for (size_t i = 1; i < l; i++)
                out[i] = (uint8_t)(u >> (8 * (i - 1)));
        }
    } else {
        l = lp_str_encsize(n);
        if (n < 64) {
            out[0] = (uint8_t)(0x80 | n);
        } else if (n < 4096) {
            out[0] = (uint8_t)(0xE0 | (n >> 8));
            out[1] = (uint8_t)n;
        } else {
            out[0] = 0xF0;
            lp_wr32(out + 1, (uint32_t)n);
        }
        memcpy(out + (l - n), s, n);
    }
    return l + lp_backlen_encode(out + l, l);
}

/* ---- Reading entries ---- */

static inline long long
lp_sext(uint64_t u, unsigned bits)
{
    uint64_t sign = 1ULL << (bits - 1);
    return u & sign ? (long long)(u - (sign << 1)) : (long long)u;
}

void
lp_get(const uint8_t *p, struct lp_entry *e)
{
    uint8_t b = p[0];
    e->str = NULL;
    e->len = 0;
    if (b < 0x80) {
        e->ival = b;
    } else if ((b & 0xC0) == 0x80) {
        e->len = b & 0x3F;
        e->str = p + 1;
    } else if ((b & 0xE0) == 0xC0) {
        e->ival = lp_sext((uint64_t)(b & 0x1F) << 8 | p[1], 13);
    } else if ((b & 0xF0) == 0xE0) {
        e->len = (uint32_t)(b & 0x0F) << 8 | p[1];
        e->str = p + 2;
    } else if (b == 0xF0) {
        e->len = lp_rd32(p + 1);
        e->str = p + 5;
    } else {
        unsigned nb = b == 0xF1 ? 2 : b == 0xF2 ? 3 : b == 0xF3 ? 4 : 8;
        uint64_t u = 0;
        for (unsigned i = 0; i < nb; i++)
            u |= (uint64_t)p[1 + i] << (8 * i);
        e->ival = nb == 8 ? (long long)u : lp_sext(u, nb * 8);
    }
}

struct sv
lp_get_sv(const uint8_t *p, char buf[LP_INTBUF])
{
    struct lp_entry e;
    lp_get(p, &e);
    if (e.str)
        return (struct sv){(const char *)e.str, e.len};
    return (struct sv){buf, (size_t)ts_ll_to_str(buf, e.ival)};
}

bool
lp_eq(const uint8_t *p, const void *s, size_t n)
{
    struct lp_entry e;
    lp_get(p, &e);
    if (e.str)
        return e.len == n && (n == 0 || memcmp(e.str, s, n) == 0);
    long long v;
    return lp_as_int(s, n, &v) && v == e.ival;
}

/* ---- Iteration ---- */

uint8_t *
lp_first(const uint8_t *lp)
{
    const uint8_t *p = lp + LP_HDR_SIZE;
    return *p == LP_EOF ? NULL : (uint8_t *)p;
}

uint8_t *
lp_next(const uint8_t *lp, const uint8_t *p)
{
    (void)lp;
    p += lp_entry_size(p);
    return *p == LP_EOF ? NULL : (uint8_t *)p;
}

uint8_t *
lp_prev(const uint8_t *lp, const uint8_t *p)
{
    if (p <= lp + LP_HDR_SIZE)
        return NULL;
    uint64_t l = lp_backlen_decode(p - 1, lp + LP_HDR_SIZE);
    return (uint8_t *)(p - lp_backlen_size(l) - l);
}

uint8_t *
lp_last(const uint8_t *lp)
{
    return lp_prev(lp, lp + lp_bytes(lp) - 1);
}

unsigned long
lp_length(const uint8_t *lp)
{
    unsigned c = lp_hdr_count(lp);
    if (c != LP_COUNT_UNKNOWN)
        return c;
    unsigned long n = 0;
    for (const uint8_t *p = lp_first(lp); p; p = lp_next(lp, p))
        n++;
    return n;
}

uint8_t *
lp_seek(const uint8_t *lp, long index)
{
    uint8_t *p;
    if (index >= 0) {
        for (p = lp_first(lp); p && index > 0; index--)
            p = lp_next(lp, p);
    } else {
        for (p = lp_last(lp); p && index < -1; index++)
            p = lp_prev(lp, p);
    }
    return p;
}

uint8_t *
lp_find(const uint8_t *lp, const uint8_t *p, const void *s, size_t n, unsigned skip)
{
    long long want = 0;
    bool want_int = lp_as_int(s, n, &want);
    while (p && *p != LP_EOF) {
        struct lp_entry e;
        lp_get(p, &e);
        if (e.str ? (e.len == n && (n == 0 || memcmp(e.str, s, n) == 0)) : (want_int && e.ival == want))
            return (uint8_t *)p;
        p += lp_entry_size(p);
        for (unsigned k = 0; k < skip && *p != LP_EOF; k++)
            p += lp_entry_size(p);
    }
    return NULL;
}

/* ---- Modification ---- */

/* Replace the del bytes at offset off with add bytes from src, growing or
 * shrinking the allocation, and fix the header's byte count. count_delta
 * adjusts the entry count, which stays "unknown" (65535) once it got
 * there, as in Redis. */
static uint8_t *
lp_splice(uint8_t *lp, size_t off, size_t del, const uint8_t *src, size_t add, long count_delta)
{
    size_t old = lp_bytes(lp), nb = old - del + add;
    if (add > del)
        lp = ts_realloc(lp, nb);
    memmove(lp + off + add, lp + off + del, old - off - del);
    if (add)
        memcpy(lp + off, src, add);
    if (add < del)
        lp = ts_realloc(lp, nb);
    lp_wr32(lp, (uint32_t)nb);
    unsigned c = lp_hdr_count(lp);
    if (c != LP_COUNT_UNKNOWN)
        lp_set_hdr_count(lp, (unsigned long)((long)c + count_delta));
    return lp;
}

uint8_t *
lp_insert(uint8_t *lp, uint8_t *p, enum lp_where where, const void *s, size_t n, uint8_t **newp)
{
    uint8_t small[64];
    size_t need = lp_entry_size_for(s, n);
    uint8_t *buf = need <= sizeof(small) ? small : ts_malloc(need);
    size_t len = lp_encode(buf, s, n);
    size_t off = (size_t)(p - lp), del = 0;
    long delta = 1;
    if (where == LP_AFTER && *p != LP_EOF)
        off += lp_entry_size(p);
    else if (where == LP_REPLACE) {
        del = lp_entry_size(p);
        delta = 0;
    }
    lp = lp_splice(lp, off, del, buf, len, delta);
    if (buf != small)
        ts_free(buf);
    if (newp)
        *newp = lp + off;
    return lp;
}

uint8_t *
lp_append(uint8_t *lp, const void *s, size_t n)
{
    return lp_insert(lp, lp + lp_bytes(lp) - 1, LP_BEFORE, s, n, NULL);
}

uint8_t *
lp_delete(uint8_t *lp, uint8_t *p, uint8_t **nextp)
{
    size_t off = (size_t)(p - lp);
    lp = lp_splice(lp, off, lp_entry_size(p), NULL, 0, -1);
    if (nextp)
        *nextp = lp[off] == LP_EOF ? NULL : lp + off;
    return lp;
}

uint8_t *
lp_delete_range(uint8_t *lp, uint8_t *p, unsigned long count)
{
    size_t off = (size_t)(p - lp);
    const uint8_t *q = p;
    unsigned long k = 0;
    while (k < count && *q != LP_EOF) {
        q += lp_entry_size(q);
        k++;
    }
    if (k == 0)
        return lp;
    return lp_splice(lp, off, (size_t)(q - p), NULL, 0, -(long)k);
}

/* ---- Validation of untrusted blobs ---- */

bool
lp_validate(const uint8_t *lp, size_t size, unsigned long *count)
{
    if (size < LP_HDR_SIZE + 1 || size > UINT32_MAX || lp_rd32(lp) != size || lp[size - 1] != LP_EOF)
        return false;
    const uint8_t *p = lp + LP_HDR_SIZE, *end = lp + size - 1; /* end: the terminator */
    unsigned long n = 0;
    while (p < end) {
        uint64_t avail = (uint64_t)(end - p);
        uint64_t l = lp_encsize_bounded(p, avail);
        if (l == 0)
            return false;
        uint64_t bl = lp_backlen_size(l);
        if (l + bl > avail)
            return false;
        if (lp_backlen_decode(p + l + bl - 1, p + l) != l)
            return false;
        p += l + bl;
        n++;
    }
    unsigned c = lp_hdr_count(lp);
    if (c != LP_COUNT_UNKNOWN && c != n)
        return false;
    if (count)
        *count = n;
    return true;
}
