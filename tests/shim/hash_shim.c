/* hash_shim.c: see hash_shim.h. Compiled as C. */
#include "tests/shim/hash_shim.h"

#include "core/config.h"
#include "core/digest.h"
#include "core/listpack.h"
#include "core/rdb_codec.h"
#include "core/t_hash.h"

#include <arpa/inet.h>
#include <stdio.h>

struct lps {
    uint8_t *lp;
};

static inline uint8_t *
at(const lps_t *l, size_t off)
{
    return off ? l->lp + off : NULL;
}

static inline size_t
off_of(const lps_t *l, const uint8_t *p)
{
    return p ? (size_t)(p - l->lp) : 0;
}

lps_t *
lps_create(void)
{
    lps_t *l = ts_malloc(sizeof(*l));
    l->lp = lp_create();
    return l;
}

void
lps_destroy(lps_t *l)
{
    lp_free(l->lp);
    ts_free(l);
}

const uint8_t *
lps_data(const lps_t *l)
{
    return l->lp;
}

size_t
lps_bytes(const lps_t *l)
{
    return lp_bytes(l->lp);
}

unsigned long
lps_length(const lps_t *l)
{
    return lp_length(l->lp);
}

void
lps_append(lps_t *l, const char *s, size_t n)
{
    l->lp = lp_append(l->lp, s, n);
}

size_t
lps_insert(lps_t *l, size_t off, int where, const char *s, size_t n)
{
    uint8_t *np;
    uint8_t *p = off ? l->lp + off : l->lp + lp_bytes(l->lp) - 1;
    l->lp = lp_insert(l->lp, p, (enum lp_where)where, s, n, &np);
    return off_of(l, np);
}

size_t
lps_delete(lps_t *l, size_t off)
{
    uint8_t *next;
    l->lp = lp_delete(l->lp, l->lp + off, &next);
    return off_of(l, next);
}

void
lps_delete_range(lps_t *l, size_t off, unsigned long count)
{
    l->lp = lp_delete_range(l->lp, l->lp + off, count);
}

size_t
lps_first(const lps_t *l)
{
    return off_of(l, lp_first(l->lp));
}

size_t
lps_last(const lps_t *l)
{
    return off_of(l, lp_last(l->lp));
}

size_t
lps_next(const lps_t *l, size_t off)
{
    return off_of(l, lp_next(l->lp, at(l, off)));
}

size_t
lps_prev(const lps_t *l, size_t off)
{
    return off_of(l, lp_prev(l->lp, at(l, off)));
}

size_t
lps_seek(const lps_t *l, long index)
{
    return off_of(l, lp_seek(l->lp, index));
}

size_t
lps_find(const lps_t *l, size_t from, const char *s, size_t n, unsigned skip)
{
    return off_of(l, lp_find(l->lp, at(l, from), s, n, skip));
}

size_t
lps_get(const lps_t *l, size_t off, char *out, size_t cap, bool *is_int)
{
    struct lp_entry e;
    lp_get(l->lp + off, &e);
    *is_int = e.str == NULL;
    char buf[LP_INTBUF];
    struct sv v = lp_get_sv(l->lp + off, buf);
    size_t n = v.len < cap ? v.len : cap;
    memcpy(out, v.ptr, n);
    return v.len;
}

bool
lps_eq(const lps_t *l, size_t off, const char *s, size_t n)
{
    return lp_eq(l->lp + off, s, n);
}

size_t
lps_entry_size_for(const char *s, size_t n)
{
    return lp_entry_size_for(s, n);
}

bool
lps_validate(const uint8_t *p, size_t n, unsigned long *count)
{
    return lp_validate(p, n, count);
}

bool
lps_walk_both_ways(const uint8_t *p, size_t n, unsigned long count)
{
    unsigned long fw = 0, bw = 0;
    char buf[LP_INTBUF];
    size_t sum = 0;
    for (const uint8_t *q = lp_first(p); q; q = lp_next(p, q)) {
        if (q < p + LP_HDR_SIZE || q >= p + n - 1)
            return false;
        sum += lp_get_sv(q, buf).len;
        fw++;
    }
    for (const uint8_t *q = lp_last(p); q; q = lp_prev(p, q)) {
        if (q < p + LP_HDR_SIZE || q >= p + n - 1)
            return false;
        bw++;
    }
    (void)sum;
    return fw == count && bw == count && lp_length(p) == count;
}

/* ---- hash type ---- */

void
hs_config(long long max_entries, long long max_value)
{
    g_cfg.hash_max_listpack_entries = max_entries;
    g_cfg.hash_max_listpack_value = max_value;
}

struct hs {
    struct hobj *h;
};

static hs_t *
hs_wrap(struct hobj *h)
{
    if (!h)
        return NULL;
    hs_t *w = ts_malloc(sizeof(*w));
    w->h = h;
    return w;
}

hs_t *
hs_create(void)
{
    return hs_wrap(hash_create());
}

void
hs_destroy(hs_t *h)
{
    if (!h)
        return;
    hash_free(h->h);
    ts_free(h);
}

hs_t *
hs_dup(const hs_t *h)
{
    return hs_wrap(hash_dup(h->h));
}

bool
hs_set(hs_t *h, const char *f, size_t fl, const char *v, size_t vl)
{
    return hash_set(&h->h, (struct sv){f, fl}, (struct sv){v, vl});
}

void
hs_prepare(hs_t *h, const char *const *s, const size_t *len, int n)
{
    struct sv a[16];
    for (int i = 0; i < n && i < 16; i++)
        a[i] = (struct sv){s[i], len[i]};
    hash_prepare_set(&h->h, a, n < 16 ? n : 16);
}

bool
hs_get(const hs_t *h, const char *f, size_t fl, char *out, size_t cap, size_t *outlen)
{
    char buf[LP_INTBUF];
    struct sv v;
    if (!hash_get(h->h, (struct sv){f, fl}, &v, buf))
        return false;
    *outlen = v.len;
    memcpy(out, v.ptr, v.len < cap ? v.len : cap);
    return true;
}

bool
hs_del(hs_t *h, const char *f, size_t fl)
{
    return hash_delete(&h->h, (struct sv){f, fl});
}

size_t
hs_len(const hs_t *h)
{
    return hash_len(h->h);
}

size_t
hs_mem(const hs_t *h)
{
    return hash_mem(h->h);
}

const char *
hs_encoding(const hs_t *h)
{
    return hash_encoding_name(h->h);
}

void
hs_iterate(const hs_t *h, hs_pair_fn fn, void *arg)
{
    struct hash_iter it;
    struct sv f, v;
    hash_iter_init(&it, h->h);
    while (hash_iter_next(&it, &f, &v))
        fn(arg, f.ptr, f.len, v.ptr, v.len);
}

bool
hs_random(const hs_t *h, uint64_t r1, uint64_t r2, char *out, size_t cap, size_t *outlen)
{
    char kb[LP_INTBUF], vb[LP_INTBUF];
    struct sv f, v;
    if (!hash_random(h->h, r1, r2, &f, &v, kb, vb))
        return false;
    *outlen = f.len;
    memcpy(out, f.ptr, f.len < cap ? f.len : cap);
    return true;
}

void
hs_digest_value(const hs_t *h, char out[41])
{
    uint8_t d[20] = {0};
    uint32_t type = htonl(4);
    digest_mix(d, &type, sizeof(type));
    hash_digest(h->h, d);
    digest_hex(d, out);
}

size_t
hs_rdb_save(const hs_t *h, uint8_t *out, size_t cap, int *type)
{
    struct ts_buf b = {0};
    *type = hash_rdb_save(h->h, &b);
    size_t n = b.len <= cap ? b.len : 0;
    if (n)
        memcpy(out, b.data, n);
    ts_buf_free(&b);
    return n;
}

hs_t *
hs_rdb_load(int type, const uint8_t *p, size_t n, char *err, size_t *consumed)
{
    struct rdb_in in;
    rdb_in_init(&in, p, n);
    err[0] = '\0';
    struct hobj *h = hash_rdb_load(type, &in, err);
    if (consumed)
        *consumed = in.pos;
    rdb_in_deinit(&in);
    return hs_wrap(h);
}
