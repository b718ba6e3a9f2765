/* keyspace_shim.c: see keyspace_shim.h. Compiled as C. */
#include "tests/shim/keyspace_shim.h"

#include "core/config.h"
#include "core/keyspace.h"
#include "core/obj.h"
#include "core/obj_set.h"

#include <assert.h>
#include <stdio.h>

static_assert(KSS_ENC_RAW == ENC_RAW && KSS_ENC_INT == ENC_INT && KSS_ENC_EMBSTR == ENC_EMBSTR,
              "encoding mirror");
static_assert(KSS_EMBSTR_MAX == KV_EMBSTR_MAX, "embstr mirror");
static_assert(KSS_EXPIRE_KEEP == KS_EXPIRE_KEEP && KSS_EXPIRE_NONE == KS_EXPIRE_NONE, "expire mirror");
static_assert(KSS_NOTOUCH == KS_LOOKUP_NOTOUCH && KSS_NOEXPIRE == KS_LOOKUP_NOEXPIRE, "flag mirror");

static inline struct sv
mk(const char *p, size_t n)
{
    return (struct sv){p, n};
}

static struct kv *
peek(kss_t *ks, uint16_t slot, const char *k, size_t klen)
{
    return ks_lookup(ks, slot, mk(k, klen), 0, KS_LOOKUP_NOTOUCH | KS_LOOKUP_NOEXPIRE);
}

kss_t *
kss_create(void)
{
    /* Access stamping reads the LFU directives: Redis's defaults, as
     * config_load sets them in the server. */
    g_cfg.lfu_log_factor = 10;
    g_cfg.lfu_decay_time = 1;
    return ks_create();
}

void
kss_destroy(kss_t *ks)
{
    ks_destroy(&ks);
}

void
kss_set_clock(kss_t *ks, int64_t now_ms)
{
    ks_set_clock(ks, now_ms);
}

void
kss_set_str(kss_t *ks, uint16_t slot, const char *k, size_t klen, const char *v, size_t vlen,
            int64_t expire_ms)
{
    ks_set_str(ks, slot, mk(k, klen), mk(v, vlen), expire_ms);
}

void
kss_set_str_noint(kss_t *ks, uint16_t slot, const char *k, size_t klen, const char *v, size_t vlen,
                  int64_t expire_ms)
{
    ks_set_str_noint(ks, slot, mk(k, klen), mk(v, vlen), expire_ms);
}

void
kss_set_int(kss_t *ks, uint16_t slot, const char *k, size_t klen, long long v, int64_t expire_ms)
{
    ks_set_int(ks, slot, mk(k, klen), v, expire_ms);
}

bool
kss_get(kss_t *ks, uint16_t slot, const char *k, size_t klen, int64_t now_ms, int flags, char *out,
        size_t cap, size_t *outlen)
{
    struct kv *e = ks_lookup(ks, slot, mk(k, klen), now_ms, flags);
    if (!e)
        return false;
    char tmp[24];
    struct sv s = kv_str(e, tmp);
    if (outlen)
        *outlen = s.len;
    if (out)
        memcpy(out, s.ptr, TS_MIN(s.len, cap));
    return true;
}

bool
kss_exists(kss_t *ks, uint16_t slot, const char *k, size_t klen, int64_t now_ms)
{
    return ks_lookup(ks, slot, mk(k, klen), now_ms, KS_LOOKUP_NOTOUCH) != NULL;
}

int
kss_encoding(kss_t *ks, uint16_t slot, const char *k, size_t klen)
{
    struct kv *e = peek(ks, slot, k, klen);
    return e ? kv_encoding(e) : -1;
}

const char *
kss_encoding_name(kss_t *ks, uint16_t slot, const char *k, size_t klen)
{
    struct kv *e = peek(ks, slot, k, klen);
    return e ? kv_encoding_name(e) : NULL;
}

bool
kss_get_int(kss_t *ks, uint16_t slot, const char *k, size_t klen, long long *v)
{
    struct kv *e = peek(ks, slot, k, klen);
    return e && kv_str_int(e, v);
}

int64_t
kss_expire(kss_t *ks, uint16_t slot, const char *k, size_t klen)
{
    struct kv *e = peek(ks, slot, k, klen);
    return e ? kv_expire(e) : -2;
}

bool
kss_set_expire(kss_t *ks, uint16_t slot, const char *k, size_t klen, int64_t when_ms)
{
    struct kv *e = peek(ks, slot, k, klen);
    if (!e)
        return false;
    e = ks_set_expire(ks, e, when_ms);
    return e != NULL;
}

uint64_t
kss_idle(kss_t *ks, uint16_t slot, const char *k, size_t klen, int64_t now_ms)
{
    struct kv *e = peek(ks, slot, k, klen);
    return e ? kv_idle_seconds(e, now_ms) : 0;
}

int
kss_freq(kss_t *ks, uint16_t slot, const char *k, size_t klen)
{
    struct kv *e = peek(ks, slot, k, klen);
    return e ? kv_freq(e) : -1;
}

size_t
kss_entry_mem(kss_t *ks, uint16_t slot, const char *k, size_t klen)
{
    struct kv *e = peek(ks, slot, k, klen);
    return e ? kv_mem_usage(e) : 0;
}

uint16_t
kss_entry_slot(kss_t *ks, uint16_t slot, const char *k, size_t klen)
{
    struct kv *e = peek(ks, slot, k, klen);
    return e ? kv_slot(e) : 0xffff;
}

bool
kss_delete(kss_t *ks, uint16_t slot, const char *k, size_t klen)
{
    return ks_delete(ks, slot, mk(k, klen));
}

bool
kss_delete_entry(kss_t *ks, uint16_t slot, const char *k, size_t klen)
{
    struct kv *e = peek(ks, slot, k, klen);
    if (!e)
        return false;
    ks_delete_entry(ks, e);
    return true;
}

size_t
kss_append(kss_t *ks, uint16_t slot, const char *k, size_t klen, const char *d, size_t dlen)
{
    struct kv *e = peek(ks, slot, k, klen);
    if (!e)
        return 0;
    size_t old = kv_str_len(e);
    char *p = ks_str_resize(ks, &e, old + dlen);
    memcpy(p + old, d, dlen);
    return kv_str_len(e);
}

size_t
kss_resize(kss_t *ks, uint16_t slot, const char *k, size_t klen, size_t newlen)
{
    struct kv *e = peek(ks, slot, k, klen);
    if (!e)
        return 0;
    ks_str_resize(ks, &e, newlen);
    return kv_str_len(e);
}

bool
kss_copy(kss_t *src, uint16_t slot, const char *k, size_t klen, kss_t *dst, uint16_t dslot,
         const char *dk, size_t dklen, int64_t expire_ms)
{
    struct kv *e = peek(src, slot, k, klen);
    if (!e)
        return false;
    struct kvval *v = kv_value_dup(e);
    if (kvval_type(v) != OBJ_STRING) {
        kvval_free(&v);
        return false;
    }
    ks_set_value(dst, dslot, mk(dk, dklen), v, expire_ms);
    return true;
}

bool
kss_self_overwrite(kss_t *ks, uint16_t slot, const char *k, size_t klen, int64_t expire_ms)
{
    struct kv *e = peek(ks, slot, k, klen);
    if (!e)
        return false;
    char tmp[24];
    struct sv v = kv_str(e, tmp);
    ks_set_str(ks, slot, kv_key(e), v, expire_ms);
    return true;
}

uint64_t
kss_count(kss_t *ks)
{
    return ks_count(ks);
}

uint64_t
kss_count_volatile(kss_t *ks)
{
    return ks_count_volatile(ks);
}

uint64_t
kss_count_slot(kss_t *ks, uint16_t slot)
{
    return ks_count_slot(ks, slot);
}

size_t
kss_mem_bytes(kss_t *ks)
{
    return ks_mem_bytes(ks);
}

struct visit {
    kss_key_fn fn;
    void *arg;
};

static void
visit_key(void *arg, const struct kv *e)
{
    struct visit *v = arg;
    struct sv k = kv_key(e);
    v->fn(v->arg, k.ptr, k.len);
}

uint64_t
kss_scan_slot(kss_t *ks, uint16_t slot, uint64_t cursor, size_t count, int64_t now_ms, kss_key_fn fn,
              void *arg)
{
    struct visit v = {fn, arg};
    return ks_scan_slot(ks, slot, cursor, count, now_ms, visit_key, &v);
}

size_t
kss_slot_keys(kss_t *ks, uint16_t slot, size_t max, kss_key_fn fn, void *arg)
{
    struct visit v = {fn, arg};
    return ks_slot_keys(ks, slot, max, visit_key, &v);
}

bool
kss_random(kss_t *ks, int64_t now_ms, char *out, size_t cap, size_t *outlen, uint16_t *slot)
{
    struct kv *e = ks_random(ks, now_ms);
    if (!e)
        return false;
    struct sv k = kv_key(e);
    memcpy(out, k.ptr, TS_MIN(k.len, cap));
    *outlen = k.len;
    if (slot)
        *slot = kv_slot(e);
    return true;
}

void
kss_flush(kss_t *ks)
{
    ks_flush(ks);
}

uint64_t
kss_flush_slot(kss_t *ks, uint16_t slot)
{
    return ks_flush_slot(ks, slot);
}

uint64_t
kss_active_expire(kss_t *ks, int64_t now_ms, size_t budget)
{
    return ks_active_expire(ks, now_ms, budget);
}

void
kss_cron(kss_t *ks, size_t budget)
{
    ks_cron(ks, budget);
}

bool
kss_table(kss_t *ks, uint16_t slot, uint64_t *used, uint64_t *buckets0, uint64_t *buckets1)
{
    struct ks_table_info ti;
    bool r = ks_slot_table_info(ks, slot, &ti);
    *used = ti.used;
    *buckets0 = ti.buckets0;
    *buckets1 = ti.buckets1;
    return r;
}

void
kss_stats(kss_t *ks, uint64_t *expired, uint64_t *hits, uint64_t *misses)
{
    const struct ks_stats *s = ks_get_stats(ks);
    *expired = s->expired_keys;
    *hits = s->keyspace_hits;
    *misses = s->keyspace_misses;
}

void
kss_reset_stats(kss_t *ks)
{
    ks_reset_stats(ks);
}

void
kss_note_hit(kss_t *ks, bool hit)
{
    ks_note_hit(ks, hit);
}

uint64_t
kss_move_slot(kss_t *src, kss_t *dst, uint16_t slot)
{
    struct ks_slot *t = ks_slot_detach(src, slot);
    if (!t)
        return 0;
    uint64_t n = ks_slot_keys_count(t);
    ks_slot_attach(dst, &t);
    return n;
}

uint64_t
kss_detach_free(kss_t *ks, uint16_t slot)
{
    struct ks_slot *t = ks_slot_detach(ks, slot);
    if (!t)
        return 0;
    uint64_t n = ks_slot_keys_count(t);
    ks_slot_free(&t);
    return n;
}

void
kss_set_set(kss_t *ks, uint16_t slot, const char *k, size_t klen, int n, int64_t expire_ms)
{
    if (!obj_ops_of(OBJ_SET))
        obj_setup();
    void *o = tset_new_hashtable();
    for (int i = 0; i < n; i++) {
        char m[24];
        int l = snprintf(m, sizeof(m), "m%d", i);
        tset_add_owned(&o, mk(m, (size_t)l));
    }
    ks_set_obj(ks, slot, mk(k, klen), OBJ_SET, o, expire_ms);
}

void
kss_set_hint(const char *k, size_t klen, uint64_t h)
{
    ks_hint = (struct ks_hash_hint){k, klen, h};
}

void
kss_clear_hint(void)
{
    ks_hint.key = NULL;
}

uint64_t
kss_key_hash(const char *k, size_t klen)
{
    return ks_key_hash(k, klen);
}
