/* set_shim.c: see set_shim.h. Compiled as C. */
#include "tests/shim/set_shim.h"

#include "core/config.h"
#include "core/digest.h"
#include "core/intset.h"
#include "core/keyspace.h"
#include "core/obj.h"
#include "core/obj_set.h"
#include "core/rdb_codec.h"
#include "core/slot.h"
#include "core/t_set_int.h"

#include <arpa/inet.h>
#include <stdio.h>

static inline struct sv
mk(const char *p, size_t n)
{
    return (struct sv){p, n};
}

/* ---- intset ---- */
isx_t *isx_new(void) { return intset_new(); }
void isx_free(isx_t *is) { intset_free(is); }
isx_t *isx_add(isx_t *is, int64_t v, bool *added) { return intset_add(is, v, added); }
isx_t *isx_del(isx_t *is, int64_t v, bool *removed) { return intset_del(is, v, removed); }
bool isx_find(const isx_t *is, int64_t v) { return intset_find(is, v); }
bool isx_get(const isx_t *is, size_t pos, int64_t *v) { return intset_get(is, pos, v); }
size_t isx_len(const isx_t *is) { return intset_len(is); }
unsigned isx_width(const isx_t *is) { return intset_width(is); }
size_t isx_usable(const isx_t *is) { return ts_usable_size(is); }
bool isx_validate(const void *blob, size_t size) { return intset_validate(blob, size); }

const uint8_t *
isx_blob(const isx_t *is, size_t *len)
{
    *len = intset_blob_len(is);
    return (const uint8_t *)is;
}

/* ---- set objects ---- */

static void
ensure_registered(void)
{
    if (!obj_ops_of(OBJ_SET))
        obj_setup();
}

void
sets_set_max_intset(long long n)
{
    g_cfg.set_max_intset_entries = n;
}

void *
sets_new_for(const char *m, size_t n)
{
    ensure_registered();
    return tset_new_for(mk(m, n));
}

void *
sets_algebra(int op, void *const *sets, int n)
{
    ensure_registered();
    int top = op == SETS_INTER ? TSET_INTER : op == SETS_UNION ? TSET_UNION : TSET_DIFF;
    return tset_algebra(top, sets, n, 0, NULL);
}

void sets_free(void *o) { tset_free(o); }
void *sets_dup(const void *o) { return tset_dup(o); }
bool sets_add(void **o, const char *m, size_t n) { return tset_add_owned(o, mk(m, n)); }
bool sets_remove(void **o, const char *m, size_t n) { return tset_remove_owned(o, mk(m, n)); }
bool sets_add_keep(void **o, const char *m, size_t n, void **old) { return tset_add(o, mk(m, n), old); }
bool sets_contains(const void *o, const char *m, size_t n) { return tset_contains(o, mk(m, n)); }
size_t sets_size(const void *o) { return tset_size(o); }
size_t sets_mem(const void *o) { return tset_mem(o); }

const char *
sets_encoding(const void *o)
{
    ensure_registered();
    return obj_ops_of(OBJ_SET)->encoding(o);
}

size_t
sets_members(const void *o, char ***out, size_t **lens)
{
    size_t n = tset_size(o), i = 0;
    *out = ts_malloc(sizeof(char *) * (n + 1));
    *lens = ts_malloc(sizeof(size_t) * (n + 1));
    struct tset_iter it;
    struct sv m;
    bool is_int;
    int64_t iv;
    tset_iter_init(&it, o);
    while (tset_iter_next(&it, &m, &is_int, &iv) && i < n) {
        (*out)[i] = ts_strndup(m.ptr, m.len);
        (*lens)[i] = m.len;
        i++;
    }
    return i;
}

void
sets_free_strs(char **s, size_t *lens, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ts_free(s[i]);
    ts_free(s);
    ts_free(lens);
}

size_t
sets_random(const void *o, uint64_t r1, uint64_t r2, char *buf, size_t cap)
{
    char tmp[24];
    struct sv m = tset_random(o, r1, r2, tmp);
    memcpy(buf, m.ptr, TS_MIN(cap, m.len));
    return m.len;
}

void
sets_digest_hex(const void *o, char out[41])
{
    ensure_registered();
    uint8_t d[20] = {0};
    uint32_t type = htonl(OBJ_SET);
    digest_mix(d, &type, sizeof(type));
    obj_ops_of(OBJ_SET)->digest(o, d);
    digest_hex(d, out);
}

size_t
sets_rdb_save(const void *o, uint8_t *out, size_t cap, int *type)
{
    ensure_registered();
    struct ts_buf b = {0};
    *type = obj_ops_of(OBJ_SET)->rdb_save(o, &b);
    size_t n = TS_MIN(cap, b.len);
    memcpy(out, b.data, n);
    ts_buf_free(&b);
    return n;
}

void *
sets_rdb_load(int type, const uint8_t *p, size_t n, char err[128])
{
    ensure_registered();
    struct rdb_in in;
    rdb_in_init(&in, p, n);
    err[0] = '\0';
    void *o = obj_ops_of(OBJ_SET)->rdb_load(type, &in, err);
    if (o && in.pos != n) { /* trailing bytes: the payload was not one value */
        tset_free(o);
        o = NULL;
        snprintf(err, 128, "trailing bytes");
    }
    rdb_in_deinit(&in);
    return o;
}

bool
sets_rdb_accepts(int t)
{
    ensure_registered();
    return obj_ops_of_rdb(t) == obj_ops_of(OBJ_SET);
}

/* ---- Keyspace accounting ---- */

sets_ks_t *sets_ks_create(void) { ensure_registered(); return ks_create(); }
void sets_ks_destroy(sets_ks_t *ks) { ks_destroy(&ks); }
size_t sets_ks_mem(sets_ks_t *ks) { return ks_mem_bytes(ks); }

static struct kv *
peek(sets_ks_t *ks, const char *key)
{
    struct sv k = mk(key, strlen(key));
    return ks_lookup(ks, slot_of_sv(k), k, 0, KS_LOOKUP_NOTOUCH | KS_LOOKUP_NOEXPIRE);
}

/* As the commands commit (t_set_int.h's tset_commit). */
static void
commit(struct ks *ks, struct kv *e, void *o, void *old, size_t before)
{
    if (old)
        kv_obj_replace(ks, e, o);
    else
        ks_obj_account(ks, before, tset_mem(o));
}

long
sets_ks_sadd(sets_ks_t *ks, const char *key, const char *m, size_t n)
{
    struct kv *e = peek(ks, key);
    struct sv k = mk(key, strlen(key));
    if (!e) {
        void *o = tset_new_for(mk(m, n));
        tset_add_owned(&o, mk(m, n));
        ks_set_obj(ks, slot_of_sv(k), k, OBJ_SET, o, KS_EXPIRE_NONE);
        return 1;
    }
    void *o = kv_obj(e), *old;
    size_t before = tset_mem(o);
    bool added = tset_add(&o, mk(m, n), &old);
    commit(ks, e, o, old, before);
    return added;
}

long
sets_ks_srem(sets_ks_t *ks, const char *key, const char *m, size_t n)
{
    struct kv *e = peek(ks, key);
    if (!e)
        return 0;
    void *o = kv_obj(e), *old;
    size_t before = tset_mem(o);
    if (!tset_remove(&o, mk(m, n), &old))
        return 0;
    commit(ks, e, o, old, before);
    if (tset_size(o) == 0)
        ks_delete_entry(ks, e);
    return 1;
}

bool sets_ks_exists(sets_ks_t *ks, const char *key) { return peek(ks, key) != NULL; }

size_t
sets_ks_entry_mem(sets_ks_t *ks, const char *key)
{
    struct kv *e = peek(ks, key);
    return e ? kv_mem_usage(e) : 0;
}
