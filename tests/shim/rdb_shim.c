/* rdb_shim.c: see rdb_shim.h. Compiled as C. */
#include "tests/shim/rdb_shim.h"

#include "core/config.h"
#include "core/crc64.h"
#include "core/digest.h"
#include "core/keyspace.h"
#include "core/obj.h"
#include "core/obj_set.h"
#include "core/rdb.h"
#include "core/server.h"
#include "core/slot.h"
#include "core/t_hash.h"

#include <stdio.h>
#include <stdlib.h>

static inline struct sv
mk(const char *p, size_t n)
{
    return (struct sv){p, n};
}

uint64_t
rdbx_crc64(uint64_t crc, const void *p, size_t n)
{
    return crc64_update(crc, p, n);
}

void
rdbx_setup(void)
{
    if (!obj_ops_of(OBJ_SET))
        obj_setup();
    g_cfg.hash_max_listpack_entries = 512;
    g_cfg.hash_max_listpack_value = 64;
    g_cfg.set_max_intset_entries = 512;
}

rdbx_ks_t *rdbx_ks_create(void) { return ks_create(); }
void rdbx_ks_destroy(rdbx_ks_t *ks) { ks_destroy(&ks); }
uint64_t rdbx_count(rdbx_ks_t *ks) { return ks_count(ks); }

static struct kv *
peek(rdbx_ks_t *ks, const char *k, size_t kl)
{
    return ks_lookup(ks, slot_of(k, kl), mk(k, kl), 0, KS_LOOKUP_NOTOUCH | KS_LOOKUP_NOEXPIRE);
}

void
rdbx_set_str(rdbx_ks_t *ks, const char *k, size_t kl, const char *v, size_t vl, int64_t expire_ms)
{
    ks_set_str(ks, slot_of(k, kl), mk(k, kl), mk(v, vl), expire_ms);
}

void
rdbx_hset(rdbx_ks_t *ks, const char *k, size_t kl, const char *f, size_t fl, const char *v, size_t vl,
          int64_t expire_ms)
{
    struct kv *e = peek(ks, k, kl);
    struct hobj *h = e ? kv_obj(e) : hash_create();
    size_t before = e ? hash_mem(h) : 0;
    struct sv args[2] = {mk(f, fl), mk(v, vl)};
    hash_prepare_set(&h, args, 2);
    hash_set(&h, args[0], args[1]);
    if (!e) {
        ks_set_obj(ks, slot_of(k, kl), mk(k, kl), OBJ_HASH, h, expire_ms);
        return;
    }
    if (kv_obj(e) != (void *)h)
        kv_obj_set(e, h);
    ks_obj_account(ks, before, hash_mem(h));
}

void
rdbx_sadd(rdbx_ks_t *ks, const char *k, size_t kl, const char *m, size_t ml, int64_t expire_ms)
{
    struct kv *e = peek(ks, k, kl);
    if (!e) {
        void *o = tset_new_for(mk(m, ml));
        tset_add_owned(&o, mk(m, ml));
        ks_set_obj(ks, slot_of(k, kl), mk(k, kl), OBJ_SET, o, expire_ms);
        return;
    }
    void *o = kv_obj(e), *old = NULL;
    size_t before = tset_mem(o);
    tset_add(&o, mk(m, ml), &old);
    if (old)
        kv_obj_replace(ks, e, o);
    else
        ks_obj_account(ks, before, tset_mem(o));
}

bool
rdbx_pexpireat(rdbx_ks_t *ks, const char *k, size_t kl, int64_t when_ms)
{
    struct kv *e = peek(ks, k, kl);
    if (e)
        ks_set_expire(ks, e, when_ms);
    return e != NULL;
}

const char *
rdbx_type(rdbx_ks_t *ks, const char *k, size_t kl)
{
    struct kv *e = peek(ks, k, kl);
    return e ? obj_type_name(kv_type(e)) : NULL;
}

const char *
rdbx_encoding(rdbx_ks_t *ks, const char *k, size_t kl)
{
    struct kv *e = peek(ks, k, kl);
    return e ? kv_encoding_name(e) : NULL;
}

int64_t
rdbx_expire(rdbx_ks_t *ks, const char *k, size_t kl)
{
    struct kv *e = peek(ks, k, kl);
    return e ? kv_expire(e) : -2;
}

static bool
copy_out(struct sv v, char *out, size_t cap, size_t *len)
{
    memcpy(out, v.ptr, TS_MIN(v.len, cap));
    *len = v.len;
    return true;
}

bool
rdbx_get_str(rdbx_ks_t *ks, const char *k, size_t kl, char *out, size_t cap, size_t *len)
{
    struct kv *e = peek(ks, k, kl);
    if (!e || kv_type(e) != OBJ_STRING)
        return false;
    char tmp[24];
    return copy_out(kv_str(e, tmp), out, cap, len);
}

bool
rdbx_hget(rdbx_ks_t *ks, const char *k, size_t kl, const char *f, size_t fl, char *out, size_t cap, size_t *len)
{
    struct kv *e = peek(ks, k, kl);
    struct sv v;
    char buf[LP_INTBUF];
    if (!e || kv_type(e) != OBJ_HASH || !hash_get(kv_obj(e), mk(f, fl), &v, buf))
        return false;
    return copy_out(v, out, cap, len);
}

bool
rdbx_sismember(rdbx_ks_t *ks, const char *k, size_t kl, const char *m, size_t ml)
{
    struct kv *e = peek(ks, k, kl);
    return e && kv_type(e) == OBJ_SET && tset_contains(kv_obj(e), mk(m, ml));
}

size_t
rdbx_len(rdbx_ks_t *ks, const char *k, size_t kl)
{
    struct kv *e = peek(ks, k, kl);
    if (!e)
        return 0;
    if (kv_type(e) == OBJ_HASH)
        return hash_len(kv_obj(e));
    return kv_type(e) == OBJ_SET ? tset_size(kv_obj(e)) : 0;
}

bool
rdbx_digest_value(rdbx_ks_t *ks, const char *k, size_t kl, char out[41])
{
    struct kv *e = peek(ks, k, kl);
    if (!e)
        return false;
    uint8_t d[20] = {0};
    digest_value(e, d);
    digest_hex(d, out);
    return true;
}

static void
digest_visit(void *arg, const struct kv *e)
{
    uint8_t *acc = arg, d[20];
    digest_key(e, d);
    digest_xor(acc, d, 20);
}

/* As DEBUG DIGEST (cmd_server.c): db 0 mixed into zero, XOR of key digests. */
void
rdbx_digest(rdbx_ks_t *ks, char out[41])
{
    uint8_t final[20] = {0};
    for (uint32_t slot = 0; slot < CLUSTER_SLOTS; slot++)
        if (ks_count_slot(ks, (uint16_t)slot))
            ks_slot_keys(ks, (uint16_t)slot, SIZE_MAX, digest_visit, final);
    if (ks_count(ks)) {
        uint8_t db[20] = {0};
        uint32_t id = 0;
        digest_mix(db, &id, sizeof(id));
        for (int i = 0; i < 20; i++)
            final[i] ^= db[i];
    }
    digest_hex(final, out);
}

/* ---- Writing ---- */

static void
write_visit(void *arg, const struct kv *e)
{
    rdb_write_key(arg, e);
}

size_t
rdbx_write(rdbx_ks_t *ks, int version, uint8_t **out)
{
    struct ts_buf b = {0};
    rdb_write_header(&b, version);
    rdb_write_aux(&b, "redis-ver", mk(TESSERA_REDIS_VERSION, strlen(TESSERA_REDIS_VERSION)));
    rdb_write_aux_int(&b, "redis-bits", 64);
    rdb_write_aux_int(&b, "ctime", ts_mstime() / 1000);
    rdb_write_aux_int(&b, "used-mem", (long long)ks_mem_bytes(ks));
    rdb_write_aux_int(&b, "aof-base", 0);
    /* Ship the bytes so far in the middle, as the product does, so the
     * running CRC is exercised across a reset of the buffer. */
    struct ts_buf file = {0};
    uint64_t crc = crc64_update(0, b.data, b.len);
    ts_buf_append(&file, b.data, b.len);
    ts_buf_reset(&b);
    if (ks_count(ks)) {
        rdb_write_select_db(&b, 0, ks_count(ks), ks_count_volatile(ks));
        for (uint32_t slot = 0; slot < CLUSTER_SLOTS; slot++)
            if (ks_count_slot(ks, (uint16_t)slot))
                ks_slot_keys(ks, (uint16_t)slot, SIZE_MAX, write_visit, &b);
    }
    crc = crc64_update(crc, b.data, b.len);
    rdb_write_eof(&b, crc);
    ts_buf_append(&file, b.data, b.len);
    ts_buf_free(&b);
    *out = malloc(file.len);
    memcpy(*out, file.data, file.len);
    size_t n = file.len;
    ts_buf_free(&file);
    return n;
}

size_t
rdbx_header(uint8_t *out, int version)
{
    struct ts_buf b = {0};
    rdb_write_header(&b, version);
    size_t n = b.len;
    memcpy(out, b.data, n);
    ts_buf_free(&b);
    return n;
}

size_t
rdbx_eof(uint8_t *buf, size_t len)
{
    struct ts_buf b = {0};
    rdb_write_eof(&b, crc64_update(0, buf, len));
    memcpy(buf + len, b.data, b.len);
    size_t n = b.len;
    ts_buf_free(&b);
    return n;
}

/* ---- Loading ---- */

struct load_ctx {
    rdbx_ks_t *dst;
    struct rdbx_result *res;
    uint64_t abort_after;
};

static int
on_aux(void *arg, struct sv key, struct sv val)
{
    struct load_ctx *c = arg;
    c->res->aux++;
    if (sv_eq_ci(key, "redis-ver"))
        snprintf(c->res->redis_ver, sizeof(c->res->redis_ver), "%.*s", (int)val.len, val.ptr);
    return 0;
}

static int
on_select(void *arg, int db)
{
    struct load_ctx *c = arg;
    c->res->selects++;
    return db != 0; /* one keyspace: as a cluster node, only db 0 */
}

static int
on_resize(void *arg, uint64_t keys, uint64_t expires)
{
    struct load_ctx *c = arg;
    c->res->resize_keys = keys;
    c->res->resize_expires = expires;
    return 0;
}

/* Store the key in dst; a duplicate aborts, as in Redis. */
static int
on_key(void *arg, const struct rdb_loaded_key *k)
{
    struct load_ctx *c = arg;
    uint64_t seen = ++c->res->keys;
    uint16_t slot = slot_of(k->key.ptr, k->key.len);
    bool refuse = (c->abort_after && seen >= c->abort_after) || !c->dst ||
                  ks_lookup(c->dst, slot, k->key, 0, KS_LOOKUP_NOTOUCH | KS_LOOKUP_NOEXPIRE);
    if (refuse) {
        if (k->obj)
            obj_ops_of(k->type)->free(k->obj);
        return c->dst != NULL; /* without a keyspace, keys are just counted */
    }
    if (k->type == OBJ_STRING)
        ks_set_str(c->dst, slot, k->key, k->str, k->expire_ms);
    else
        ks_set_obj(c->dst, slot, k->key, k->type, k->obj, k->expire_ms);
    return 0;
}

static const struct rdb_load_ops shim_ops = {on_aux, on_select, on_resize, on_key};

void
rdbx_load(rdbx_ks_t *dst, const uint8_t *p, size_t n, size_t chunk, uint32_t seed, uint64_t abort_after,
          struct rdbx_result *res)
{
    memset(res, 0, sizeof(*res));
    struct load_ctx c = {dst, res, abort_after};
    struct rdb_loader *l = rdb_loader_create(&shim_ops, &c);
    uint32_t rnd = seed;
    size_t off = 0;
    int st = RDB_LOAD_MORE;
    while (off < n && st == RDB_LOAD_MORE) {
        size_t len = chunk ? chunk : n;
        if (seed) {
            rnd = rnd * 1103515245u + 12345u;
            len = 1 + (rnd >> 8) % chunk;
        }
        len = TS_MIN(len, n - off);
        st = rdb_loader_feed(l, p + off, len);
        res->fed += len;
        res->used += rdb_loader_consumed(l);
        off += len;
    }
    res->status = st;
    if (st == RDB_LOAD_DONE && rdb_loader_feed(l, "x", 1) == RDB_LOAD_DONE && rdb_loader_consumed(l) == 0)
        res->stays_done = 1;
    snprintf(res->err, sizeof(res->err), "%s", rdb_loader_error(l));
    res->empty = rdb_loader_empty_skipped(l);
    res->version = rdb_loader_version(l);
    rdb_loader_destroy(&l);
}
