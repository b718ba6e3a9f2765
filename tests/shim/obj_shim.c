/* obj_shim.c: see obj_shim.h. Compiled as C. */
#include "tests/shim/obj_shim.h"

#include "core/digest.h"
#include "core/keyspace.h"
#include "core/obj.h"
#include "core/rdb_codec.h"
#include "core/sdict.h"

#include <stdio.h>

static inline struct sv
mk(const char *p, size_t n)
{
    return (struct sv){p, n};
}

/* ---- sdict ---- */
sds_t *sds_create(void) { return sdict_create(); }
void sds_destroy(sds_t *d) { sdict_destroy(&d); }
sds_t *sds_dup(const sds_t *d) { return sdict_dup(d); }
size_t sds_size(const sds_t *d) { return sdict_size(d); }
size_t sds_mem(const sds_t *d) { return sdict_mem(d); }
bool sds_set(sds_t *d, const char *k, size_t kl, const char *v, size_t vl) { return sdict_set(d, mk(k, kl), mk(v, vl)); }
bool sds_add(sds_t *d, const char *k, size_t kl) { return sdict_add(d, mk(k, kl)); }
bool sds_del(sds_t *d, const char *k, size_t kl) { return sdict_delete(d, mk(k, kl)); }

bool
sds_get(sds_t *d, const char *k, size_t kl, char *out, size_t cap, size_t *outlen)
{
    struct sdict_elem *e = sdict_find(d, mk(k, kl));
    if (!e)
        return false;
    struct sv v = sdict_elem_val(e);
    memcpy(out, v.ptr, TS_MIN(v.len, cap));
    *outlen = v.len;
    return true;
}

struct key_cb {
    sds_key_fn fn;
    void *arg;
};

static void
key_visit(void *arg, const struct sdict_elem *e)
{
    struct key_cb *cb = arg;
    struct sv k = sdict_elem_key(e);
    cb->fn(cb->arg, k.ptr, k.len);
}

uint64_t
sds_scan(sds_t *d, uint64_t cursor, sds_key_fn fn, void *arg)
{
    struct key_cb cb = {fn, arg};
    return sdict_scan(d, cursor, key_visit, &cb);
}

size_t
sds_iterate(sds_t *d, sds_key_fn fn, void *arg)
{
    struct sdict_iter it;
    size_t n = 0;
    sdict_iter_init(&it, d);
    for (const struct sdict_elem *e; (e = sdict_iter_next(&it)) != NULL; n++) {
        struct sv k = sdict_elem_key(e);
        fn(arg, k.ptr, k.len);
    }
    return n;
}

bool
sds_random(sds_t *d, uint64_t r1, uint64_t r2, char *out, size_t cap, size_t *outlen)
{
    const struct sdict_elem *e = sdict_random(d, r1, r2);
    if (!e)
        return false;
    struct sv k = sdict_elem_key(e);
    memcpy(out, k.ptr, TS_MIN(k.len, cap));
    *outlen = k.len;
    return true;
}

/* ---- RDB codec ---- */
static size_t
take(struct ts_buf *b, uint8_t *out, size_t cap)
{
    size_t n = TS_MIN(b->len, cap);
    memcpy(out, b->data, n);
    ts_buf_free(b);
    return n;
}

size_t
rdbs_put_len(uint64_t len, uint8_t *out, size_t cap)
{
    struct ts_buf b = {0};
    rdb_put_len(&b, len);
    return take(&b, out, cap);
}

size_t
rdbs_put_str(const char *p, size_t n, uint8_t *out, size_t cap)
{
    struct ts_buf b = {0};
    rdb_put_str(&b, p, n);
    return take(&b, out, cap);
}

size_t
rdbs_get_len(const uint8_t *in, size_t n, uint64_t *len)
{
    struct rdb_in r;
    rdb_in_init(&r, in, n);
    *len = rdb_get_len(&r);
    size_t used = r.err ? 0 : r.pos;
    rdb_in_deinit(&r);
    return used;
}

size_t
rdbs_get_str(const uint8_t *in, size_t n, char *out, size_t cap, size_t *outlen)
{
    struct rdb_in r;
    rdb_in_init(&r, in, n);
    struct sv s = rdb_get_str(&r);
    size_t used = r.err ? 0 : r.pos;
    if (!r.err) {
        memcpy(out, s.ptr, TS_MIN(s.len, cap));
        *outlen = s.len;
    }
    rdb_in_deinit(&r);
    return used;
}

/* ---- SHA-1 ---- */
void
dgs_sha1_hex(const void *p, size_t n, char out[41])
{
    dgs_sha1_hex_chunks(p, n, n ? n : 1, out);
}

void
dgs_sha1_hex_chunks(const void *p, size_t n, size_t chunk, char out[41])
{
    struct ts_sha1 s;
    uint8_t d[20];
    ts_sha1_init(&s);
    for (size_t off = 0; off < n; off += chunk)
        ts_sha1_update(&s, (const char *)p + off, TS_MIN(chunk, n - off));
    ts_sha1_final(&s, d);
    digest_hex(d, out);
}

/* ---- A test collection type: a blob of n bytes, all 'x' ---- */
struct blob {
    size_t n;
    char *p;
};

static int test_frees, test_dups;

static void
blob_free(void *o)
{
    struct blob *b = o;
    test_frees++;
    ts_free(b->p);
    ts_free(b);
}

static struct blob *
blob_new(size_t n)
{
    struct blob *b = ts_malloc(sizeof(*b));
    b->n = n;
    b->p = ts_malloc(n ? n : 1);
    memset(b->p, 'x', n);
    return b;
}

static void *
blob_dup(const void *o)
{
    test_dups++;
    return blob_new(((const struct blob *)o)->n);
}

static size_t
blob_mem(const void *o)
{
    const struct blob *b = o;
    return ts_usable_size(b) + ts_usable_size(b->p);
}

static const char *
blob_enc(const void *o)
{
    return ((const struct blob *)o)->n < 100 ? "small" : "big";
}

static void
blob_digest(const void *o, uint8_t d[20])
{
    const struct blob *b = o;
    digest_mix(d, b->p, b->n);
}

static int
blob_rdb_save(const void *o, struct ts_buf *out)
{
    const struct blob *b = o;
    rdb_put_str(out, b->p, b->n);
    return 99;
}

static void *
blob_rdb_load(int rdb_type, struct rdb_in *in, char *err)
{
    struct sv s = rdb_get_str(in);
    if (in->err) {
        snprintf(err, 128, "truncated blob");
        return NULL;
    }
    return blob_new(s.len);
}

static const int blob_rdb_types[] = {99, -1};
static const struct obj_ops blob_type = {
    .type = OBJS_TEST_TYPE, .name = "blob", .free = blob_free, .dup = blob_dup, .mem_usage = blob_mem,
    .encoding = blob_enc, .digest = blob_digest, .rdb_save = blob_rdb_save, .rdb_load = blob_rdb_load,
    .rdb_types = blob_rdb_types,
};

void
objs_register_test_type(void)
{
    if (!obj_ops_of(OBJS_TEST_TYPE))
        obj_register(&blob_type);
}

int objs_test_frees(void) { return test_frees; }
int objs_test_dups(void) { return test_dups; }
objs_ks_t *objs_ks_create(void) { return ks_create(); }
void objs_ks_destroy(objs_ks_t *ks) { ks_destroy(&ks); }
size_t objs_ks_mem(objs_ks_t *ks) { return ks_mem_bytes(ks); }

static struct kv *
peek(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl)
{
    return ks_lookup(ks, slot, mk(k, kl), 0, KS_LOOKUP_NOTOUCH | KS_LOOKUP_NOEXPIRE);
}

void
objs_set_blob(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl, size_t size)
{
    ks_set_obj(ks, slot, mk(k, kl), OBJS_TEST_TYPE, blob_new(size), KS_EXPIRE_NONE);
}

bool
objs_grow_blob(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl, size_t size)
{
    struct kv *e = peek(ks, slot, k, kl);
    if (!e || kv_type(e) != OBJS_TEST_TYPE)
        return false;
    struct blob *b = kv_obj(e);
    size_t before = blob_mem(b);
    b->p = ts_realloc(b->p, size);
    memset(b->p, 'x', size);
    b->n = size;
    ks_obj_account(ks, before, blob_mem(b));
    return true;
}

void
objs_set_str(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl, const char *v, size_t vl)
{
    ks_set_str(ks, slot, mk(k, kl), mk(v, vl), KS_EXPIRE_NONE);
}

bool
objs_delete(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl)
{
    return ks_delete(ks, slot, mk(k, kl));
}

int
objs_type(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl)
{
    struct kv *e = peek(ks, slot, k, kl);
    return e ? kv_type(e) : -1;
}

const char *
objs_type_name(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl)
{
    struct kv *e = peek(ks, slot, k, kl);
    return e ? obj_type_name(kv_type(e)) : NULL;
}

const char *
objs_encoding(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl)
{
    struct kv *e = peek(ks, slot, k, kl);
    return e ? kv_encoding_name(e) : NULL;
}

size_t
objs_entry_mem(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl)
{
    struct kv *e = peek(ks, slot, k, kl);
    return e ? kv_mem_usage(e) : 0;
}

bool
objs_copy(objs_ks_t *src, uint16_t slot, const char *k, size_t kl, objs_ks_t *dst, const char *dk, size_t dkl)
{
    struct kv *e = peek(src, slot, k, kl);
    if (!e)
        return false;
    ks_set_value(dst, slot, mk(dk, dkl), kv_value_dup(e), KS_EXPIRE_NONE);
    return true;
}

long
objs_blob_size(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl)
{
    struct kv *e = peek(ks, slot, k, kl);
    if (!e || kv_type(e) != OBJS_TEST_TYPE)
        return -1;
    return (long)((struct blob *)kv_obj(e))->n;
}

bool
objs_digest_value(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl, char out[41])
{
    struct kv *e = peek(ks, slot, k, kl);
    if (!e)
        return false;
    uint8_t d[20] = {0};
    digest_value(e, d);
    digest_hex(d, out);
    return true;
}

bool
objs_rdb_roundtrip(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl, const char *dk, size_t dkl)
{
    struct kv *e = peek(ks, slot, k, kl);
    if (!e)
        return false;
    const struct obj_ops *t = obj_ops_of(kv_type(e));
    struct ts_buf b = {0};
    int rt = t->rdb_save(kv_obj(e), &b);
    const struct obj_ops *lt = obj_ops_of_rdb(rt);
    struct rdb_in in;
    rdb_in_init(&in, b.data, b.len);
    char err[128] = "";
    void *o = lt ? lt->rdb_load(rt, &in, err) : NULL;
    rdb_in_deinit(&in);
    ts_buf_free(&b);
    if (!o)
        return false;
    ks_set_obj(ks, slot, mk(dk, dkl), lt->type, o, KS_EXPIRE_NONE);
    return true;
}
