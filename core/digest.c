/* digest.c: SHA-1 (FIPS 180-4) and the DEBUG DIGEST scheme (digest.h). */
#include "core/digest.h"

#include "core/keyspace.h"
#include "core/obj.h"

#include <arpa/inet.h>

/* ---- SHA-1 ---- */

static inline uint32_t
rol(uint32_t v, int n)
{
    return (v << n) | (v >> (32 - n));
}

static void
sha1_block(uint32_t h[5], const uint8_t *p)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 | (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5a827999;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ed9eba1;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8f1bbcdc;
        } else {
            f = b ^ c ^ d;
            k = 0xca62c1d6;
        }
        uint32_t t = rol(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rol(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

void
ts_sha1_init(struct ts_sha1 *s)
{
    static const uint32_t iv[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    memcpy(s->h, iv, sizeof(iv));
    s->bytes = 0;
    s->used = 0;
}

void
ts_sha1_update(struct ts_sha1 *s, const void *data, size_t n)
{
    const uint8_t *p = data;
    s->bytes += n;
    while (n > 0) {
        if (s->used == 0 && n >= 64) {
            sha1_block(s->h, p);
            p += 64;
            n -= 64;
            continue;
        }
        size_t take = TS_MIN(64 - s->used, n);
        memcpy(s->block + s->used, p, take);
        s->used += take;
        p += take;
        n -= take;
        if (s->used == 64) {
            sha1_block(s->h, s->block);
            s->used = 0;
        }
    }
}

void
ts_sha1_final(struct ts_sha1 *s, uint8_t out[20])
{
    uint64_t bits = s->bytes * 8;
    uint8_t pad = 0x80;
    ts_sha1_update(s, &pad, 1);
    uint8_t zero = 0;
    while (s->used != 56)
        ts_sha1_update(s, &zero, 1);
    uint8_t len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (uint8_t)(bits >> (56 - 8 * i));
    ts_sha1_update(s, len, 8);
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (uint8_t)(s->h[i] >> 24);
        out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
        out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
        out[4 * i + 3] = (uint8_t)s->h[i];
    }
}

/* ---- Digest scheme ---- */

void
digest_xor(uint8_t d[20], const void *p, size_t n)
{
    struct ts_sha1 s;
    uint8_t h[20];
    ts_sha1_init(&s);
    ts_sha1_update(&s, p, n);
    ts_sha1_final(&s, h);
    for (int i = 0; i < 20; i++)
        d[i] ^= h[i];
}

void
digest_mix(uint8_t d[20], const void *p, size_t n)
{
    struct ts_sha1 s;
    digest_xor(d, p, n);
    ts_sha1_init(&s);
    ts_sha1_update(&s, d, 20);
    ts_sha1_final(&s, d);
}

void
digest_hex(const uint8_t d[20], char out[41])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 20; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[40] = '\0';
}

void
digest_value(const struct kv *e, uint8_t d[20])
{
    uint32_t type = htonl((uint32_t)kv_type(e));
    digest_mix(d, &type, sizeof(type));
    const struct obj_ops *t = obj_ops_of(kv_type(e));
    if (t) {
        t->digest(kv_obj(e), d);
    } else {
        char tmp[24];
        struct sv v = kv_str(e, tmp);
        digest_mix(d, v.ptr, v.len);
    }
    if (kv_expire(e) >= 0)
        digest_xor(d, "!!expire!!", 10);
}

void
digest_key(const struct kv *e, uint8_t d[20])
{
    struct sv k = kv_key(e);
    memset(d, 0, 20);
    digest_mix(d, k.ptr, k.len);
    digest_value(e, d);
}
