/* obj_set.c: the set type (obj_set.h): intset and hashtable encodings,
 * conversion, and the obj.h hooks (free, dup, mem_usage, encoding, DEBUG
 * DIGEST, RDB save/load).
 *
 *   void *o --+-- low bit 1: (struct intset *)(o - 1)   "intset"
 *             +-- low bit 0: (struct sdict *)o          "hashtable"
 *
 * Allocations are at least 8-byte aligned, so the tag bit is free. Nothing
 * outside this file looks at the tag. */
#include "core/obj_set.h"

#include "core/config.h"
#include "core/digest.h"
#include "core/intset.h"
#include "core/keyspace.h"
#include "core/obj.h"
#include "core/rdb_codec.h"

#include <stdio.h>

#define TSET_INTSET_TAG ((uintptr_t)1)

static inline bool
is_tagged(const void *o)
{
    return ((uintptr_t)o & TSET_INTSET_TAG) != 0;
}

static inline struct intset *
as_is(const void *o)
{
    return (struct intset *)((uintptr_t)o & ~TSET_INTSET_TAG);
}

static inline struct sdict *
as_ht(const void *o)
{
    return (struct sdict *)o;
}

static inline void *
tag_is(struct intset *is)
{
    return (void *)((uintptr_t)is | TSET_INTSET_TAG);
}

/* A member that an intset can hold: Redis's string2ll rules (no sign '+',
 * no leading zeros, no spaces, in int64 range). */
static inline bool
member_int(struct sv m, int64_t *v)
{
    long long x;
    if (m.len == 0 || m.len > 20 || !ts_str_to_ll(m.ptr, m.len, &x))
        return false;
    *v = x;
    return true;
}

size_t
tset_max_intset_entries(void)
{
    long long m = __atomic_load_n(&g_cfg.set_max_intset_entries, __ATOMIC_RELAXED);
    if (m < 0)
        m = 0;
    return m >= (1LL << 30) ? (size_t)1 << 30 : (size_t)m;
}

/* ---- Creation ---- */

void *
tset_new_intset(void)
{
    return tag_is(intset_new());
}

void *
tset_new_hashtable(void)
{
    return sdict_create();
}

void *
tset_new_for(struct sv first)
{
    int64_t v;
    return member_int(first, &v) ? tset_new_intset() : tset_new_hashtable();
}

void
tset_free(void *o)
{
    if (!o)
        return;
    if (is_tagged(o)) {
        intset_free(as_is(o));
    } else {
        struct sdict *d = as_ht(o);
        sdict_destroy(&d);
    }
}

void *
tset_dup(const void *o)
{
    return is_tagged(o) ? tag_is(intset_dup(as_is(o))) : (void *)sdict_dup(as_ht(o));
}

/* ---- Queries ---- */

size_t
tset_size(const void *o)
{
    return is_tagged(o) ? intset_len(as_is(o)) : sdict_size(as_ht(o));
}

size_t
tset_mem(const void *o)
{
    return is_tagged(o) ? ts_usable_size(as_is(o)) : sdict_mem(as_ht(o));
}

bool
tset_is_intset(const void *o)
{
    return is_tagged(o);
}

bool
tset_contains(const void *o, struct sv m)
{
    if (!is_tagged(o))
        return sdict_find(as_ht(o), m) != NULL;
    int64_t v;
    return member_int(m, &v) && intset_find(as_is(o), v);
}

bool
tset_contains_int(const void *o, int64_t v)
{
    if (is_tagged(o))
        return intset_find(as_is(o), v);
    char tmp[24];
    int n = ts_ll_to_str(tmp, v);
    return sdict_find(as_ht(o), (struct sv){tmp, (size_t)n}) != NULL;
}

struct sv
tset_random(const void *o, uint64_t r1, uint64_t r2, char tmp[24])
{
    if (is_tagged(o)) {
        const struct intset *is = as_is(o);
        int64_t v = 0;
        intset_get(is, (size_t)(r1 % intset_len(is)), &v);
        int n = ts_ll_to_str(tmp, v);
        return (struct sv){tmp, (size_t)n};
    }
    const struct sdict_elem *e = sdict_random(as_ht(o), r1, r2);
    return sdict_elem_key(e);
}

/* ---- Conversion ---- */

/* The hashtable holding the members of intset is (Redis's setTypeConvert). */
static struct sdict *
intset_to_ht(const struct intset *is)
{
    struct sdict *d = sdict_create();
    int64_t v;
    char tmp[24];
    for (size_t i = 0; intset_get(is, i, &v); i++) {
        int n = ts_ll_to_str(tmp, v);
        sdict_add(d, (struct sv){tmp, (size_t)n});
    }
    return d;
}

/* ---- Mutation ---- */

/* Insert v into the intset *op (v absent), moving to a bigger block when
 * the current one is too small; past the entry limit, convert. */
static void
intset_insert_moving(void **op, int64_t v, void **old)
{
    struct intset *is = as_is(*op);
    size_t need = intset_need(is, v);
    if (need > ts_usable_size(is)) {
        struct intset *n = ts_malloc(need);
        memcpy(n, is, intset_blob_len(is));
        *old = *op;
        is = n;
        *op = tag_is(n);
    }
    intset_insert(is, v);
    if (intset_len(is) > tset_max_intset_entries()) {
        struct sdict *d = intset_to_ht(is);
        if (*old) /* the block allocated above is ours: drop it */
            intset_free(is);
        else
            *old = *op;
        *op = d;
    }
}

bool
tset_add(void **op, struct sv m, void **old)
{
    *old = NULL;
    void *o = *op;
    if (!is_tagged(o))
        return sdict_add(as_ht(o), m);
    int64_t v;
    if (member_int(m, &v)) {
        if (intset_find(as_is(o), v))
            return false;
        intset_insert_moving(op, v, old);
        return true;
    }
    /* Not an integer: the set becomes a hashtable for good. */
    struct sdict *d = intset_to_ht(as_is(o));
    sdict_add(d, m);
    *old = o;
    *op = d;
    return true;
}

bool
tset_remove(void **op, struct sv m, void **old)
{
    *old = NULL;
    void *o = *op;
    if (!is_tagged(o))
        return sdict_delete(as_ht(o), m);
    int64_t v;
    struct intset *is = as_is(o);
    if (!member_int(m, &v) || !intset_remove(is, v))
        return false;
    /* Give back a block that is now mostly empty (as Redis's realloc). */
    size_t len = intset_blob_len(is), cap = ts_usable_size(is);
    if (cap > 32 && len * 2 < cap) {
        struct intset *n = ts_malloc(len);
        memcpy(n, is, len);
        *old = o;
        *op = tag_is(n);
    }
    return true;
}

bool
tset_add_owned(void **op, struct sv m)
{
    void *old;
    bool r = tset_add(op, m, &old);
    tset_free(old);
    return r;
}

bool
tset_remove_owned(void **op, struct sv m)
{
    void *old;
    bool r = tset_remove(op, m, &old);
    tset_free(old);
    return r;
}

/* ---- Iteration ---- */

void
tset_iter_init(struct tset_iter *it, const void *o)
{
    it->o = o;
    it->pos = 0;
    if (!is_tagged(o))
        sdict_iter_init(&it->di, as_ht(o));
}

bool
tset_iter_next(struct tset_iter *it, struct sv *m, bool *is_int, int64_t *iv)
{
    if (is_tagged(it->o)) {
        int64_t v;
        if (!intset_get(as_is(it->o), it->pos, &v))
            return false;
        it->pos++;
        int n = ts_ll_to_str(it->tmp, v);
        *m = (struct sv){it->tmp, (size_t)n};
        *is_int = true;
        *iv = v;
        return true;
    }
    const struct sdict_elem *e = sdict_iter_next(&it->di);
    if (!e)
        return false;
    *m = sdict_elem_key(e);
    *is_int = false;
    return true;
}

struct scan_cb {
    tset_visit_fn fn;
    void *arg;
};

static void
scan_visit(void *arg, const struct sdict_elem *e)
{
    struct scan_cb *cb = arg;
    cb->fn(cb->arg, sdict_elem_key(e));
}

uint64_t
tset_scan(const void *o, uint64_t cursor, tset_visit_fn fn, void *arg)
{
    struct scan_cb cb = {fn, arg};
    return sdict_scan(as_ht(o), cursor, scan_visit, &cb);
}

/* ---- obj.h hooks ---- */

static void
set_free_hook(void *o)
{
    tset_free(o);
}

static void *
set_dup_hook(const void *o)
{
    return tset_dup(o);
}

static size_t
set_mem_hook(const void *o)
{
    return tset_mem(o);
}

static const char *
set_encoding_hook(const void *o)
{
    return is_tagged(o) ? "intset" : "hashtable";
}

/* Redis's xorObjectDigest for sets: every member (integers as decimal
 * text) XOR-ed in, so the order does not matter. */
static void
set_digest_hook(const void *o, uint8_t d[20])
{
    struct tset_iter it;
    struct sv m;
    bool is_int;
    int64_t iv;
    tset_iter_init(&it, o);
    while (tset_iter_next(&it, &m, &is_int, &iv))
        digest_xor(d, m.ptr, m.len);
}

/* An intset is saved as its blob (SET_INTSET), a hashtable as SET: the
 * count, then each member (integer-encoded where Redis would). */
static int
set_rdb_save_hook(const void *o, struct ts_buf *out)
{
    if (is_tagged(o)) {
        const struct intset *is = as_is(o);
        rdb_put_raw(out, is, intset_blob_len(is));
        return RDB_TYPE_SET_INTSET;
    }
    struct sdict *d = as_ht(o);
    rdb_put_len(out, sdict_size(d));
    struct sdict_iter it;
    sdict_iter_init(&it, d);
    for (const struct sdict_elem *e; (e = sdict_iter_next(&it)) != NULL;) {
        struct sv k = sdict_elem_key(e);
        rdb_put_str(out, k.ptr, k.len);
    }
    return RDB_TYPE_SET;
}

/* SET_INTSET: one string holding an intset blob, validated before use; a
 * set over the entry limit becomes a hashtable (as Redis's loader). */
static void *
load_intset(struct rdb_in *in, char *err)
{
    struct sv s = rdb_get_str(in);
    if (in->err) {
        snprintf(err, 128, "truncated intset");
        return NULL;
    }
    if (!intset_validate(s.ptr, s.len)) {
        snprintf(err, 128, "Intset integrity check failed.");
        return NULL;
    }
    struct intset *is = ts_malloc(s.len);
    memcpy(is, s.ptr, s.len);
    if (intset_len(is) > tset_max_intset_entries()) {
        struct sdict *d = intset_to_ht(is);
        intset_free(is);
        return d;
    }
    return tag_is(is);
}

/* SET: a count and that many members; an intset while they are integers
 * and the count is within the limit, as Redis's loader decides. */
static void *
load_plain(struct rdb_in *in, char *err)
{
    uint64_t n = rdb_get_len(in);
    if (in->err) {
        snprintf(err, 128, "truncated set length");
        return NULL;
    }
    if (n == 0) {
        snprintf(err, 128, "empty set");
        return NULL;
    }
    void *o = n > tset_max_intset_entries() ? tset_new_hashtable() : tset_new_intset();
    for (uint64_t i = 0; i < n; i++) {
        struct sv m = rdb_get_str(in);
        if (in->err) {
            snprintf(err, 128, "truncated set member");
            goto err;
        }
        if (!tset_add_owned(&o, m)) {
            snprintf(err, 128, "Duplicate set members detected");
            goto err;
        }
    }
    return o;
err:
    tset_free(o);
    return NULL;
}

static void *
set_rdb_load_hook(int rdb_type, struct rdb_in *in, char *err)
{
    if (rdb_type == RDB_TYPE_SET_INTSET)
        return load_intset(in, err);
    if (rdb_type == RDB_TYPE_SET)
        return load_plain(in, err);
    snprintf(err, 128, "unsupported set encoding %d", rdb_type);
    return NULL;
}

static const int set_rdb_types[] = {RDB_TYPE_SET, RDB_TYPE_SET_INTSET, -1};

static const struct obj_ops set_ops = {
    .type = OBJ_SET,
    .name = "set",
    .free = set_free_hook,
    .dup = set_dup_hook,
    .mem_usage = set_mem_hook,
    .encoding = set_encoding_hook,
    .digest = set_digest_hook,
    .rdb_save = set_rdb_save_hook,
    .rdb_load = set_rdb_load_hook,
    .rdb_types = set_rdb_types,
};

void
obj_set_register(void)
{
    obj_register(&set_ops);
}
