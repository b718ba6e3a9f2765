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

/* ---- Representation ----
 * A listpack's first u32 is its byte size (>= 7); the hashtable form
 * starts with a zero u32 instead, which tells the two apart. */

struct hash_ht {
    uint32_t zero;
    uint32_t pad;
    struct sdict *d;
};

bool
hash_is_listpack(const struct hobj *h)
{
    uint32_t tag;
    memcpy(&tag, h, sizeof(tag));
    return tag != 0;
}

static inline uint8_t *
hlp(const struct hobj *h)
{
    return (uint8_t *)h;
}

struct sdict *
hash_sdict(const struct hobj *h)
{
    return hash_is_listpack(h) ? NULL : ((const struct hash_ht *)h)->d;
}

/* ---- Life cycle ---- */

struct hobj *
hash_create(void)
{
    return (struct hobj *)lp_create();
}

void
hash_free(struct hobj *h)
{
    if (!h)
        return;
    if (!hash_is_listpack(h)) {
        struct hash_ht *t = (struct hash_ht *)h;
        sdict_destroy(&t->d);
    }
    ts_free(h);
}

struct hobj *
hash_dup(const struct hobj *h)
{
    if (hash_is_listpack(h)) {
        size_t b = lp_bytes(hlp(h));
        uint8_t *n = ts_malloc(b);
        memcpy(n, h, b);
        return (struct hobj *)n;
    }
    struct hash_ht *t = ts_malloc(sizeof(*t));
    t->zero = t->pad = 0;
    t->d = sdict_dup(hash_sdict(h));
    return (struct hobj *)t;
}

size_t
hash_len(const struct hobj *h)
{
    return hash_is_listpack(h) ? lp_length(hlp(h)) / 2 : sdict_size(hash_sdict(h));
}

size_t
hash_mem(const struct hobj *h)
{
    size_t m = ts_usable_size(h);
    return hash_is_listpack(h) ? m : m + sdict_mem(hash_sdict(h));
}

const char *
hash_encoding_name(const struct hobj *h)
{
    return hash_is_listpack(h) ? "listpack" : "hashtable";
}

/* ---- Conversion ---- */

void
hash_convert(struct hobj **hp)
{
    if (!hash_is_listpack(*hp))
        return;
    uint8_t *lp = hlp(*hp);
    struct sdict *d = sdict_create();
    char kb[LP_INTBUF], vb[LP_INTBUF];
    for (uint8_t *p = lp_first(lp); p; p = lp_next(lp, p)) {
        uint8_t *v = lp_next(lp, p);
        sdict_set(d, lp_get_sv(p, kb), lp_get_sv(v, vb));
        p = v;
    }
    lp_free(lp);
    struct hash_ht *t = ts_malloc(sizeof(*t));
    t->zero = t->pad = 0;
    t->d = d;
    *hp = (struct hobj *)t;
}

void
hash_prepare_set(struct hobj **hp, const struct sv *args, int n)
{
    if (!hash_is_listpack(*hp))
        return;
    long long maxv = hash_max_value();
    size_t sum = 0;
    for (int i = 0; i < n; i++) {
        if ((long long)args[i].len > maxv) {
            hash_convert(hp);
            return;
        }
        sum += args[i].len;
    }
    if (lp_bytes(hlp(*hp)) + sum > LP_SAFETY_SIZE)
        hash_convert(hp);
}

/* ---- Field access ---- */

/* The listpack entry of field's name, NULL if absent. */
static uint8_t *
hash_lp_find(const uint8_t *lp, struct sv field)
{
    uint8_t *p = lp_first(lp);
    return p ? lp_find(lp, p, field.ptr, field.len, 1) : NULL;
}

bool
hash_get(const struct hobj *h, struct sv field, struct sv *val, char buf[LP_INTBUF])
{
    if (hash_is_listpack(h)) {
        uint8_t *p = hash_lp_find(hlp(h), field);
        if (!p)
            return false;
        *val = lp_get_sv(lp_next(hlp(h), p), buf);
        return true;
    }
    struct sdict_elem *e = sdict_find(hash_sdict(h), field);
    if (!e)
        return false;
    *val = sdict_elem_val(e);
    return true;
}

bool
hash_exists(const struct hobj *h, struct sv field)
{
    if (hash_is_listpack(h))
        return hash_lp_find(hlp(h), field) != NULL;
    return sdict_find(hash_sdict(h), field) != NULL;
}

/* As Redis's hashTypeSet: a string too long for the listpack converts
 * first (HINCRBYFLOAT can produce long values without a prior
 * hash_prepare_set), an update replaces the value in place (the field keeps
 * its position), a new field is appended, and being past the entry limit
 * converts afterwards -- after an update too, so a listpack left longer
 * than a limit lowered since (CONFIG SET hash-max-listpack-entries)
 * converts on its next HSET / HINCRBY of an existing field, as in Redis. */
bool
hash_set(struct hobj **hp, struct sv field, struct sv val)
{
    if (hash_is_listpack(*hp)) {
        long long maxv = hash_max_value();
        if ((long long)field.len > maxv || (long long)val.len > maxv ||
            lp_bytes(hlp(*hp)) + field.len + val.len > LP_SAFETY_SIZE)
            hash_convert(hp);
    }
    if (!hash_is_listpack(*hp))
        return sdict_set(hash_sdict(*hp), field, val);
    uint8_t *lp = hlp(*hp);
    uint8_t *p = hash_lp_find(lp, field);
    bool added = p == NULL;
    if (p) {
        lp = lp_insert(lp, lp_next(lp, p), LP_REPLACE, val.ptr, val.len, NULL);
    } else {
        lp = lp_append(lp, field.ptr, field.len);
        lp = lp_append(lp, val.ptr, val.len);
    }
    *hp = (struct hobj *)lp;
    if ((long long)(lp_length(lp) / 2) > hash_max_entries())
        hash_convert(hp);
    return added;
}

bool
hash_delete(struct hobj **hp, struct sv field)
{
    if (!hash_is_listpack(*hp))
        return sdict_delete(hash_sdict(*hp), field);
    uint8_t *lp = hlp(*hp);
    uint8_t *p = hash_lp_find(lp, field);
    if (!p)
        return false;
    *hp = (struct hobj *)lp_delete_range(lp, p, 2);
    return true;
}

/* ---- Iteration and random fields ---- */

void
hash_iter_init(struct hash_iter *it, const struct hobj *h)
{
    it->h = h;
    if (hash_is_listpack(h))
        it->p = lp_first(hlp(h));
    else
        sdict_iter_init(&it->it, hash_sdict(h));
}

bool
hash_iter_next(struct hash_iter *it, struct sv *field, struct sv *val)
{
    if (hash_is_listpack(it->h)) {
        if (!it->p)
            return false;
        const uint8_t *lp = hlp(it->h), *v = lp_next(lp, it->p);
        *field = lp_get_sv(it->p, it->kbuf);
        *val = lp_get_sv(v, it->vbuf);
        it->p = lp_next(lp, v);
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
    size_t n = hash_len(h);
    if (n == 0)
        return false;
    if (hash_is_listpack(h)) {
        uint8_t *p = lp_seek(hlp(h), (long)(r1 % n) * 2);
        *field = lp_get_sv(p, kbuf);
        *val = lp_get_sv(lp_next(hlp(h), p), vbuf);
        return true;
    }
    const struct sdict_elem *e = sdict_random(hash_sdict(h), r1, r2);
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
    if (hash_is_listpack(h)) {
        rdb_put_raw(out, h, lp_bytes(hlp(h)));
        return RDB_TYPE_HASH_LISTPACK;
    }
    struct sdict *d = hash_sdict(h);
    rdb_put_len(out, sdict_size(d));
    struct sdict_iter it;
    sdict_iter_init(&it, d);
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
    struct hobj *h = (struct hobj *)lp;
    if (n == 0 || n % 2 != 0) {
        snprintf(err, 128, n == 0 ? "empty hash listpack" : "hash listpack with an odd number of entries");
        goto err;
    }
    long long maxv = hash_max_value();
    bool big = (long long)(n / 2) > hash_max_entries();
    char kb[LP_INTBUF], vb[LP_INTBUF];
    for (uint8_t *p = lp_first(lp); p && !big; p = lp_next(lp, lp_next(lp, p))) {
        if ((long long)lp_get_sv(p, kb).len > maxv || (long long)lp_get_sv(lp_next(lp, p), vb).len > maxv)
            big = true;
    }
    if (big) {
        struct sdict *d = sdict_create();
        for (uint8_t *p = lp_first(lp); p; p = lp_next(lp, lp_next(lp, p))) {
            if (!sdict_set(d, lp_get_sv(p, kb), lp_get_sv(lp_next(lp, p), vb))) {
                sdict_destroy(&d);
                snprintf(err, 128, "duplicate hash field in listpack");
                goto err;
            }
        }
        lp_free(lp);
        struct hash_ht *t = ts_malloc(sizeof(*t));
        t->zero = t->pad = 0;
        t->d = d;
        return (struct hobj *)t;
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
        hash_convert(&h);
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
        if (hash_is_listpack(h) && ((long long)fl > maxv || (long long)v.len > maxv))
            hash_convert(&h);
        bool dup = hash_exists(h, fs);
        if (!dup)
            hash_set(&h, fs, v);
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
