/* obj_hash.c: the hash value type (t_hash.h): its two encodings, the
 * one-way conversion between them, and its obj_ops (free, dup, memory,
 * encoding name, DEBUG DIGEST, RDB save/load). The commands are t_hash.c;
 * the RDB loaders of the legacy encodings (ziplist, zipmap) are
 * obj_hash_rdb.c. */
#include "core/t_hash.h"

#include "core/config.h"
#include "core/digest.h"
#include "core/keyspace.h"
#include "core/obj.h"
#include "core/rdb_codec.h"

#include <stdio.h>

/* ---- Thresholds ---- */

long long
hash_max_entries(void)
{
    return __atomic_load_n(&g_cfg.hash_max_listpack_entries, __ATOMIC_RELAXED);
}

long long
hash_max_value(void)
{
    return __atomic_load_n(&g_cfg.hash_max_listpack_value, __ATOMIC_RELAXED);
}

/* ---- Life cycle ---- */

struct hobj *
hash_create(void)
{
    struct hobj *h = ts_malloc(sizeof(*h));
    h->lp = lp_create();
    h->enc = HASH_ENC_LISTPACK;
    h->nlp = 0;
    return h;
}

void
hash_free(struct hobj *h)
{
    if (!h)
        return;
    if (h->enc == HASH_ENC_LISTPACK)
        lp_free(h->lp);
    else
        sdict_destroy(&h->d);
    ts_free(h);
}

struct hobj *
hash_dup(const struct hobj *h)
{
    struct hobj *n = ts_malloc(sizeof(*n));
    *n = *h;
    if (h->enc == HASH_ENC_LISTPACK) {
        size_t b = lp_bytes(h->lp);
        n->lp = ts_malloc(b);
        memcpy(n->lp, h->lp, b);
    } else {
        n->d = sdict_dup(h->d);
    }
    return n;
}

size_t
hash_len(const struct hobj *h)
{
    return h->enc == HASH_ENC_LISTPACK ? h->nlp : sdict_size(h->d);
}

size_t
hash_mem(const struct hobj *h)
{
    size_t m = ts_usable_size(h);
    return m + (h->enc == HASH_ENC_LISTPACK ? ts_usable_size(h->lp) : sdict_mem(h->d));
}

const char *
hash_encoding_name(const struct hobj *h)
{
    return h->enc == HASH_ENC_LISTPACK ? "listpack" : "hashtable";
}

/* ---- Conversion ---- */

void
hash_convert(struct hobj *h)
{
    if (h->enc != HASH_ENC_LISTPACK)
        return;
    struct sdict *d = sdict_create();
    char kb[LP_INTBUF], vb[LP_INTBUF];
    for (uint8_t *p = lp_first(h->lp); p; p = lp_next(h->lp, p)) {
        uint8_t *v = lp_next(h->lp, p);
        sdict_set(d, lp_get_sv(p, kb), lp_get_sv(v, vb));
        p = v;
    }
    lp_free(h->lp);
    h->d = d;
    h->enc = HASH_ENC_HT;
    h->nlp = 0;
}

void
hash_prepare_set(struct hobj *h, const struct sv *args, int n)
{
    if (h->enc != HASH_ENC_LISTPACK)
        return;
    long long maxv = hash_max_value();
    size_t sum = 0;
    for (int i = 0; i < n; i++) {
        if ((long long)args[i].len > maxv) {
            hash_convert(h);
            return;
        }
        sum += args[i].len;
    }
    if (lp_bytes(h->lp) + sum > LP_SAFETY_SIZE)
        hash_convert(h);
}

/* ---- Field access ---- */

/* The listpack entry of field's name, NULL if absent. */
static uint8_t *
hash_lp_find(const struct hobj *h, struct sv field)
{
    uint8_t *p = lp_first(h->lp);
    return p ? lp_find(h->lp, p, field.ptr, field.len, 1) : NULL;
}

bool
hash_get(const struct hobj *h, struct sv field, struct sv *val, char buf[LP_INTBUF])
{
    if (h->enc == HASH_ENC_LISTPACK) {
        uint8_t *p = hash_lp_find(h, field);
        if (!p)
            return false;
        *val = lp_get_sv(lp_next(h->lp, p), buf);
        return true;
    }
    struct sdict_elem *e = sdict_find(h->d, field);
    if (!e)
        return false;
    *val = sdict_elem_val(e);
    return true;
}

bool
hash_exists(const struct hobj *h, struct sv field)
{
    if (h->enc == HASH_ENC_LISTPACK)
        return hash_lp_find(h, field) != NULL;
    return sdict_find(h->d, field) != NULL;
}

/* As Redis's hashTypeSet: a string too long for the listpack converts
 * first (HINCRBYFLOAT can produce long values without a prior
 * hash_prepare_set), an update replaces the value in place (the field keeps
 * its position), a new field is appended, and passing the entry limit
 * converts afterwards. */
bool
hash_set(struct hobj *h, struct sv field, struct sv val)
{
    if (h->enc == HASH_ENC_LISTPACK) {
        long long maxv = hash_max_value();
        if ((long long)field.len > maxv || (long long)val.len > maxv ||
            lp_bytes(h->lp) + field.len + val.len > LP_SAFETY_SIZE)
            hash_convert(h);
    }
    if (h->enc == HASH_ENC_HT)
        return sdict_set(h->d, field, val);
    uint8_t *p = hash_lp_find(h, field);
    if (p) {
        h->lp = lp_insert(h->lp, lp_next(h->lp, p), LP_REPLACE, val.ptr, val.len, NULL);
        return false;
    }
    h->lp = lp_append(h->lp, field.ptr, field.len);
    h->lp = lp_append(h->lp, val.ptr, val.len);
    h->nlp++;
    if ((long long)h->nlp > hash_max_entries())
        hash_convert(h);
    return true;
}

bool
hash_delete(struct hobj *h, struct sv field)
{
    if (h->enc == HASH_ENC_HT)
        return sdict_delete(h->d, field);
    uint8_t *p = hash_lp_find(h, field);
    if (!p)
        return false;
    h->lp = lp_delete_range(h->lp, p, 2);
    h->nlp--;
    return true;
}

/* ---- Iteration and random fields ---- */

void
hash_iter_init(struct hash_iter *it, const struct hobj *h)
{
    it->h = h;
    if (h->enc == HASH_ENC_LISTPACK)
        it->p = lp_first(h->lp);
    else
        sdict_iter_init(&it->it, h->d);
}

bool
hash_iter_next(struct hash_iter *it, struct sv *field, struct sv *val)
{
    if (it->h->enc == HASH_ENC_LISTPACK) {
        if (!it->p)
            return false;
        const uint8_t *v = lp_next(it->h->lp, it->p);
        *field = lp_get_sv(it->p, it->kbuf);
        *val = lp_get_sv(v, it->vbuf);
        it->p = lp_next(it->h->lp, v);
        return true;
    }
    const struct sdict_elem *e = sdict_iter_next(&it->it);
    if (!e)
        return false;
    *field = sdict_elem_key(e);
    *val = sdict_elem_val(e);
    return true;
}

bool
hash_random(const struct hobj *h, uint64_t r1, uint64_t r2, struct sv *field, struct sv *val,
            char kbuf[LP_INTBUF], char vbuf[LP_INTBUF])
{
    if (hash_len(h) == 0)
        return false;
    if (h->enc == HASH_ENC_LISTPACK) {
        uint8_t *p = lp_seek(h->lp, (long)(r1 % h->nlp) * 2);
        *field = lp_get_sv(p, kbuf);
        *val = lp_get_sv(lp_next(h->lp, p), vbuf);
        return true;
    }
    const struct sdict_elem *e = sdict_random(h->d, r1, r2);
    *field = sdict_elem_key(e);
    *val = sdict_elem_val(e);
    return true;
}

/* ---- obj_ops ---- */

static void
hash_ops_free(void *o)
{
    hash_free(o);
}

static void *
hash_ops_dup(const void *o)
{
    return hash_dup(o);
}

static size_t
hash_ops_mem(const void *o)
{
    return hash_mem(o);
}

static const char *
hash_ops_encoding(const void *o)
{
    return hash_encoding_name(o);
}

/* Redis's DEBUG DIGEST of a hash: for each field, mix the field then the
 * value into a zeroed element digest and XOR that into d, so the result
 * does not depend on iteration order or encoding. */
void
hash_digest(const void *o, uint8_t d[20])
{
    struct hash_iter it;
    struct sv f, v;
    hash_iter_init(&it, o);
    while (hash_iter_next(&it, &f, &v)) {
        uint8_t ed[20] = {0};
        digest_mix(ed, f.ptr, f.len);
        digest_mix(ed, v.ptr, v.len);
        digest_xor(d, ed, sizeof(ed));
    }
}

/* Small hashes as HASH_LISTPACK (the listpack's bytes), big ones as HASH:
 * a count and field/value strings. */
int
hash_rdb_save(const void *o, struct ts_buf *out)
{
    const struct hobj *h = o;
    if (h->enc == HASH_ENC_LISTPACK) {
        rdb_put_raw(out, h->lp, lp_bytes(h->lp));
        return RDB_TYPE_HASH_LISTPACK;
    }
    rdb_put_len(out, sdict_size(h->d));
    struct sdict_iter it;
    sdict_iter_init(&it, h->d);
    for (const struct sdict_elem *e; (e = sdict_iter_next(&it));) {
        struct sv k = sdict_elem_key(e), v = sdict_elem_val(e);
        rdb_put_str(out, k.ptr, k.len);
        rdb_put_str(out, v.ptr, v.len);
    }
    return RDB_TYPE_HASH;
}

/* The listpack-wide checks of a loaded field/value listpack: an even,
 * non-zero number of entries and no duplicate field (what Redis's deep
 * sanitisation refuses). Conversion of a big one builds the sdict, which
 * finds duplicates in O(n); small ones are compared pairwise. */
struct hobj *
hash_from_listpack(uint8_t *lp, unsigned long n, char *err)
{
    struct hobj *h = ts_malloc(sizeof(*h));
    h->lp = lp;
    h->enc = HASH_ENC_LISTPACK;
    h->nlp = (uint32_t)(n / 2);
    if (n == 0 || n % 2 != 0 || n / 2 > UINT32_MAX) {
        snprintf(err, 128, n == 0 ? "empty hash listpack" : "hash listpack with an odd number of entries");
        goto err;
    }
    long long maxv = hash_max_value();
    bool big = (long long)(n / 2) > hash_max_entries();
    char kb[LP_INTBUF];
    for (uint8_t *p = lp_first(lp); p && !big; p = lp_next(lp, lp_next(lp, p))) {
        struct sv f = lp_get_sv(p, kb);
        uint8_t *v = lp_next(lp, p);
        char vb[LP_INTBUF];
        if ((long long)f.len > maxv || (long long)lp_get_sv(v, vb).len > maxv)
            big = true;
    }
    if (big) {
        struct sdict *d = sdict_create();
        char vb[LP_INTBUF];
        for (uint8_t *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
            if (!sdict_set(d, lp_get_sv(p, kb), lp_get_sv(lp_next(lp, p), vb))) {
                sdict_destroy(&d);
                snprintf(err, 128, "duplicate hash field in listpack");
                goto err;
            }
        }
        lp_free(lp);
        h->d = d;
        h->enc = HASH_ENC_HT;
        h->nlp = 0;
        return h;
    }
    for (uint8_t *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
        struct sv f = lp_get_sv(p, kb);
        uint8_t *q = lp_next(lp, lp_next(lp, p));
        if (q && lp_find(lp, q, f.ptr, f.len, 1)) {
            snprintf(err, 128, "duplicate hash field in listpack");
            goto err;
        }
    }
    return h;
err:
    hash_free(h);
    return NULL;
}

/* RDB_TYPE_HASH: n pairs of strings, into a listpack while they fit the
 * thresholds, else a hashtable. A duplicate field is corruption. */
static void *
hash_load_plain(struct rdb_in *in, char *err)
{
    uint64_t n = rdb_get_len(in);
    if (in->err || n == 0) {
        snprintf(err, 128, in->err ? "truncated hash" : "empty hash");
        return NULL;
    }
    struct hobj *h = hash_create();
    if ((long long)n > hash_max_entries())
        hash_convert(h);
    long long maxv = hash_max_value();
    for (uint64_t i = 0; i < n; i++) {
        char *f;
        size_t fl;
        if (!rdb_get_str_copy(in, &f, &fl))
            goto trunc;
        struct sv v = rdb_get_str(in);
        if (in->err) {
            ts_free(f);
            goto trunc;
        }
        struct sv fs = {f, fl};
        if (h->enc == HASH_ENC_LISTPACK && ((long long)fl > maxv || (long long)v.len > maxv))
            hash_convert(h);
        bool dup = hash_exists(h, fs);
        if (!dup)
            hash_set(h, fs, v);
        ts_free(f);
        if (dup) {
            snprintf(err, 128, "duplicate hash field");
            goto err;
        }
    }
    return h;
trunc:
    snprintf(err, 128, "truncated hash");
err:
    hash_free(h);
    return NULL;
}

void *
hash_rdb_load(int rdb_type, struct rdb_in *in, char *err)
{
    switch (rdb_type) {
    case RDB_TYPE_HASH:
        return hash_load_plain(in, err);
    case RDB_TYPE_HASH_LISTPACK: {
        char *blob;
        size_t n;
        unsigned long cnt;
        if (!rdb_get_str_copy(in, &blob, &n)) {
            snprintf(err, 128, "truncated hash listpack");
            return NULL;
        }
        if (!lp_validate((uint8_t *)blob, n, &cnt)) {
            ts_free(blob);
            snprintf(err, 128, "hash listpack integrity check failed");
            return NULL;
        }
        return hash_from_listpack((uint8_t *)blob, cnt, err);
    }
    case RDB_TYPE_HASH_ZIPLIST:
        return hash_load_ziplist(in, err);
    case RDB_TYPE_HASH_ZIPMAP:
        return hash_load_zipmap(in, err);
    default:
        snprintf(err, 128, "not a hash RDB type: %d", rdb_type);
        return NULL;
    }
}

static const int hash_rdb_types[] = {RDB_TYPE_HASH, RDB_TYPE_HASH_ZIPMAP, RDB_TYPE_HASH_ZIPLIST,
                                     RDB_TYPE_HASH_LISTPACK, -1};

static const struct obj_ops hash_ops = {
    .type = OBJ_HASH,
    .name = "hash",
    .free = hash_ops_free,
    .dup = hash_ops_dup,
    .mem_usage = hash_ops_mem,
    .encoding = hash_ops_encoding,
    .digest = hash_digest,
    .rdb_save = hash_rdb_save,
    .rdb_load = hash_rdb_load,
    .rdb_types = hash_rdb_types,
};

void
obj_hash_register(void)
{
    obj_register(&hash_ops);
}
