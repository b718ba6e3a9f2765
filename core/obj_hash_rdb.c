/* obj_hash_rdb.c: loading hashes saved by old Redis versions: the ziplist
 * (RDB type 13, Redis <= 6.2) and zipmap (type 9, Redis <= 2.4) encodings
 * (spec/rdb.md §8). Both blobs come from untrusted input: every length is
 * checked against the blob before it is used, and the result is rebuilt
 * as a listpack, so nothing downstream ever reads the old formats. */
#include "core/t_hash.h"

#include "core/rdb_codec.h"

#include <stdio.h>

static inline uint32_t
rd32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t
rdle(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* ---- Ziplist ---- */

/* Decode the ziplist entry at p (avail bytes readable before the
 * terminator): its total size, and its content as a string (s, n) or an
 * integer (*iv, s = NULL). 0 when malformed. prevlen is returned too, for
 * the chain check. */
static size_t
zl_entry(const uint8_t *p, size_t avail, uint64_t *prevlen, const uint8_t **s, uint64_t *n, long long *iv)
{
    size_t h;
    if (avail < 1)
        return 0;
    if (p[0] < 254) {
        *prevlen = p[0];
        h = 1;
    } else if (p[0] == 254) {
        if (avail < 5)
            return 0;
        *prevlen = rd32le(p + 1);
        h = 5;
    } else {
        return 0;
    }
    if (avail < h + 1)
        return 0;
    const uint8_t *e = p + h;
    uint8_t b = e[0];
    uint64_t hdr, len = 0;
    *s = NULL;
    switch (b >> 6) {
    case 0:
        hdr = 1, len = b & 0x3F;
        break;
    case 1:
        if (avail < h + 2)
            return 0;
        hdr = 2, len = (uint64_t)(b & 0x3F) << 8 | e[1];
        break;
    case 2:
        if (b != 0x80 || avail < h + 5)
            return 0;
        hdr = 5, len = (uint64_t)e[1] << 24 | (uint64_t)e[2] << 16 | (uint64_t)e[3] << 8 | e[4];
        break;
    default: {
        unsigned nb;
        if (b == 0xC0)
            nb = 2;
        else if (b == 0xD0)
            nb = 4;
        else if (b == 0xE0)
            nb = 8;
        else if (b == 0xF0)
            nb = 3;
        else if (b == 0xFE)
            nb = 1;
        else if (b >= 0xF1 && b <= 0xFD)
            nb = 0;
        else
            return 0;
        if (avail < h + 1 + nb)
            return 0;
        if (nb == 0) {
            *iv = (b & 0x0F) - 1;
        } else {
            uint64_t u = rdle(e + 1, nb);
            unsigned bits = nb * 8;
            *iv = bits == 64 ? (long long)u
                             : (u & (1ULL << (bits - 1)) ? (long long)(u - (1ULL << bits)) : (long long)u);
        }
        return h + 1 + nb;
    }
    }
    if (len > avail - h - hdr)
        return 0;
    *s = e + hdr;
    *n = len;
    return (size_t)(h + hdr + len);
}

bool
hash_ziplist_to_listpack(const uint8_t *zl, size_t size, uint8_t **lp, unsigned long *count)
{
    if (size < 11 || rd32le(zl) != size || zl[size - 1] != 0xFF)
        return false;
    uint32_t tail = rd32le(zl + 4);
    unsigned zllen = (unsigned)zl[8] | (unsigned)zl[9] << 8;
    const uint8_t *p = zl + 10, *end = zl + size - 1;
    uint64_t prev_size = 0;
    size_t last_off = 10;
    unsigned long n = 0;
    while (p < end) {
        uint64_t prevlen, sl = 0;
        const uint8_t *s;
        long long iv = 0;
        size_t esz = zl_entry(p, (size_t)(end - p), &prevlen, &s, &sl, &iv);
        if (esz == 0 || prevlen != prev_size)
            return false;
        if (s) {
            *lp = lp_append(*lp, s, sl);
        } else {
            char buf[24];
            *lp = lp_append(*lp, buf, (size_t)ts_ll_to_str(buf, iv));
        }
        if (lp_bytes(*lp) > LP_SAFETY_SIZE)
            return false;
        last_off = (size_t)(p - zl);
        prev_size = esz;
        p += esz;
        n++;
    }
    if ((n > 0 && tail != last_off) || (n == 0 && tail != 10))
        return false;
    if (zllen != 65535 && zllen != n)
        return false;
    *count = n;
    return true;
}

void *
hash_load_ziplist(struct rdb_in *in, char *err)
{
    struct sv blob = rdb_get_str(in);
    if (in->err) {
        snprintf(err, 128, "truncated hash ziplist");
        return NULL;
    }
    uint8_t *lp = lp_create();
    unsigned long n = 0;
    if (!hash_ziplist_to_listpack((const uint8_t *)blob.ptr, blob.len, &lp, &n)) {
        lp_free(lp);
        snprintf(err, 128, "hash ziplist integrity check failed");
        return NULL;
    }
    return hash_from_listpack(lp, n, err);
}

/* ---- Zipmap ----
 * <count u8> then (<len> field <len> <free u8> value <free bytes>)* 0xFF,
 * where <len> is one byte < 254, or 254 and a u32 (little endian). */

static bool
zm_len(const uint8_t **p, const uint8_t *end, uint64_t *len)
{
    if (*p >= end || **p == 255)
        return false;
    if (**p < 254) {
        *len = **p;
        *p += 1;
        return true;
    }
    if (end - *p < 5)
        return false;
    *len = rd32le(*p + 1);
    *p += 5;
    return true;
}

void *
hash_load_zipmap(struct rdb_in *in, char *err)
{
    struct sv blob = rdb_get_str(in);
    if (in->err) {
        snprintf(err, 128, "truncated hash zipmap");
        return NULL;
    }
    const uint8_t *zm = (const uint8_t *)blob.ptr, *end = zm + blob.len, *p = zm + 1;
    uint8_t *lp = lp_create();
    unsigned long pairs = 0;
    if (blob.len < 2 || zm[blob.len - 1] != 0xFF)
        goto bad;
    end--; /* the terminator */
    while (p < end) {
        uint64_t fl, vl;
        if (!zm_len(&p, end, &fl) || fl > (uint64_t)(end - p))
            goto bad;
        const uint8_t *f = p;
        p += fl;
        if (!zm_len(&p, end, &vl) || p >= end)
            goto bad;
        uint64_t freeb = *p++;
        if (vl > (uint64_t)(end - p) || freeb > (uint64_t)(end - p) - vl)
            goto bad;
        lp = lp_append(lp, f, fl);
        lp = lp_append(lp, p, vl);
        if (lp_bytes(lp) > LP_SAFETY_SIZE)
            goto bad;
        p += vl + freeb;
        pairs++;
    }
    if (p != end || (zm[0] < 254 && zm[0] != pairs))
        goto bad;
    return hash_from_listpack(lp, pairs * 2, err);
bad:
    lp_free(lp);
    snprintf(err, 128, "hash zipmap integrity check failed");
    return NULL;
}
