/* kv_entry.c: the keyspace entry (struct kv) and detached values (struct
 * kvval): building entries from a key + TTL + value description, value
 * encodings (int / embstr / raw), accessors, LRU/LFU stamping and memory
 * accounting of single entries. The entry layout is drawn in
 * keyspace_int.h. */
#include "core/keyspace_int.h"

#include "core/evict.h"
#include "core/obj.h"

#include <stdlib.h>

/* ---- Value encoding ---- */

/* Choose the encoding Redis would report for string bytes: canonical
 * integers as ENC_INT (ts_str_to_ll only accepts strings that print back
 * identically: no '+', no leading zeros, no "-0"), up to KV_EMBSTR_MAX
 * bytes inline, the rest in a separate buffer. */
void
kv_valspec_str(struct kv_valspec *v, const char *s, size_t len)
{
    memset(v, 0, sizeof(*v));
    v->type = OBJ_STRING;
    v->s = s;
    v->len = len;
    if (len <= 20 && ts_str_to_ll(s, len, &v->i))
        v->enc = ENC_INT;
    else if (len <= KV_EMBSTR_MAX)
        v->enc = ENC_EMBSTR;
    else
        v->enc = ENC_RAW;
}

size_t
kv_value_bytes(const struct kv_valspec *v)
{
    if (v->type != OBJ_STRING)
        return sizeof(void *);
    switch (v->enc) {
    case ENC_INT:
        return 8;
    case ENC_EMBSTR:
        return 1 + v->len;
    default:
        return sizeof(char *) + 8;
    }
}

/* Write the value part of an entry at dst. A RAW buffer is allocated here;
 * the source bytes are copied before the caller frees any old buffer, so
 * the source may alias the entry being replaced. */
void
kv_value_write(struct ks *ks, uint8_t *dst, const struct kv_valspec *v)
{
    if (v->type != OBJ_STRING) {
        memcpy(dst, &v->obj, sizeof(void *));
        ks->mem += obj_ops_of(v->type)->mem_usage(v->obj);
        return;
    }
    switch (v->enc) {
    case ENC_INT:
        kv_st64(dst, (uint64_t)v->i);
        break;
    case ENC_EMBSTR:
        /* bytes first: the source may be this entry's own inline value,
         * overlapping dst[0] when a TTL block is being inserted */
        memmove(dst + 1, v->s, v->len);
        dst[0] = (uint8_t)v->len;
        break;
    default: {
        size_t cap = TS_MAX(TS_MAX(v->len, v->raw_cap), 1);
        char *buf = ts_malloc(cap);
        memcpy(buf, v->s, v->len);
        ks->mem += ts_usable_size(buf);
        memcpy(dst, &buf, sizeof(buf));
        kv_st64(dst + sizeof(buf), v->len);
        break;
    }
    }
}

struct kv *
kv_build(struct ks *ks, uint16_t slot, uint8_t htag, struct sv key, bool ttl, int64_t deadline,
         const struct kv_valspec *v)
{
    size_t kb = key.len < KV_KLEN_WIDE ? 1 : 5;
    size_t sz = KV_HDR + kb + key.len + (ttl ? KV_TTL_BYTES : 0) + kv_value_bytes(v);
    struct kv *e = ts_malloc(sz);
    e->next = NULL;
    e->lru = ks->clock_s & 0xffffff;
    e->freq = KV_LFU_INIT;
    e->slot = slot;
    e->tenc = (uint8_t)((v->type & 0x0f) | (v->enc << 4));
    e->flags = (uint8_t)((ttl ? KV_F_TTL : 0) | ks->snap_bit); /* new: not due in a running snapshot */
    e->htag = htag;
    if (kb == 1) {
        e->data[0] = (uint8_t)key.len;
    } else {
        e->data[0] = KV_KLEN_WIDE;
        kv_st32(e->data + 1, (uint32_t)key.len);
    }
    memcpy(e->data + kb, key.ptr, key.len);
    if (ttl) {
        kv_st64(e->data + kb + key.len, (uint64_t)deadline);
        kv_st32(e->data + kb + key.len + 8, UINT32_MAX);
    }
    kv_value_write(ks, kv_valptr(e), v);
    ks->mem += ts_usable_size(e);
    return e;
}

static char *
kv_raw_buf(const struct kv *e)
{
    char *p;
    memcpy(&p, e->data + kv_val_off(e), sizeof(p));
    return p;
}

void *
kv_obj(const struct kv *e)
{
    void *p;
    memcpy(&p, e->data + kv_val_off(e), sizeof(p));
    return p;
}

size_t
kv_value_ext_bytes(const struct kv *e)
{
    if (kv_enc_raw(e) == ENC_OBJ)
        return obj_ops_of(kv_type_raw(e))->mem_usage(kv_obj(e));
    if (kv_enc_raw(e) == ENC_RAW)
        return ts_usable_size(kv_raw_buf(e));
    return 0;
}

void
kv_value_free_ext(struct kv *e)
{
    if (kv_enc_raw(e) == ENC_OBJ) {
        obj_ops_of(kv_type_raw(e))->free(kv_obj(e));
    } else if (kv_enc_raw(e) == ENC_RAW) {
        ts_free(kv_raw_buf(e));
    } else {
        return;
    }
    memset(kv_valptr(e), 0, sizeof(void *));
}

void
kv_free(struct ks *ks, struct kv *e)
{
    ks->mem -= kv_value_ext_bytes(e) + ts_usable_size(e);
    kv_value_free_ext(e);
    ts_free(e);
}

void
kv_obj_replace(struct ks *ks, struct kv *e, void *obj)
{
    const struct obj_ops *t = obj_ops_of(kv_type_raw(e));
    void *old = kv_obj(e);
    ks_obj_account(ks, t->mem_usage(old), t->mem_usage(obj));
    memcpy(kv_valptr(e), &obj, sizeof(obj));
    t->free(old);
}

void
kv_obj_set(struct kv *e, void *obj)
{
    memcpy(kv_valptr(e), &obj, sizeof(obj));
}

void
ks_obj_account(struct ks *ks, size_t before, size_t after)
{
    ks->mem += after - before; /* modular: a shrink subtracts */
}

/* Access stamping. Both the LRU stamp and Redis's logarithmic LFU
 * counter are kept whatever the policy (they have their own fields), so
 * a policy change needs no warm-up: the counter first decays by one per
 * lfu-decay-time idle minutes since the last access, then grows with
 * probability 1 / ((counter - 5) * lfu-log-factor + 1) (evict.h). */
void
kv_touch(struct ks *ks, struct kv *e, uint32_t now_s)
{
    uint32_t idle = (now_s - e->lru) & 0xffffff;
    unsigned c = evict_lfu_decr(e->freq, idle, __atomic_load_n(&g_cfg.lfu_decay_time, __ATOMIC_RELAXED));
    e->freq = evict_lfu_incr(c, (uint32_t)(ks_rand(ks) >> 32), __atomic_load_n(&g_cfg.lfu_log_factor, __ATOMIC_RELAXED));
    e->lru = now_s & 0xffffff;
}

/* ---- Public accessors ---- */

struct sv
kv_key(const struct kv *e)
{
    return (struct sv){(const char *)kv_keyptr(e), kv_klen(e)};
}

int
kv_type(const struct kv *e)
{
    return kv_type_raw(e);
}

int
kv_encoding(const struct kv *e)
{
    return kv_enc_raw(e);
}

const char *
kv_encoding_name(const struct kv *e)
{
    switch (kv_enc_raw(e)) {
    case ENC_OBJ:
        return obj_ops_of(kv_type_raw(e))->encoding(kv_obj(e));
    case ENC_INT:
        return "int";
    case ENC_EMBSTR:
        return "embstr";
    case ENC_RAW:
        return "raw";
    default:
        return "unknown";
    }
}

int64_t
kv_expire(const struct kv *e)
{
    return (e->flags & KV_F_TTL) ? kv_deadline(e) : -1;
}

uint64_t
kv_idle_seconds(const struct kv *e, int64_t now_ms)
{
    uint32_t now_s = (uint32_t)(now_ms / 1000);
    return (now_s - e->lru) & 0xffffff;
}

int
kv_freq(const struct kv *e)
{
    return e->freq;
}

size_t
kv_mem_usage(const struct kv *e)
{
    return ts_usable_size(e) + kv_value_ext_bytes(e);
}

uint16_t
kv_slot(const struct kv *e)
{
    return e->slot;
}

struct sv
kv_str(const struct kv *e, char tmp[24])
{
    const uint8_t *v = e->data + kv_val_off(e);
    switch (kv_enc_raw(e)) {
    case ENC_INT: {
        int n = ts_ll_to_str(tmp, (long long)kv_ld64(v));
        return (struct sv){tmp, (size_t)n};
    }
    case ENC_EMBSTR:
        return (struct sv){(const char *)v + 1, v[0]};
    default: {
        const char *p;
        memcpy(&p, v, sizeof(p));
        return (struct sv){p, kv_ld64(v + sizeof(p))};
    }
    }
}

bool
kv_str_int(const struct kv *e, long long *out)
{
    if (kv_type_raw(e) != OBJ_STRING || kv_enc_raw(e) != ENC_INT)
        return false;
    *out = (long long)kv_ld64(e->data + kv_val_off(e));
    return true;
}

size_t
kv_str_len(const struct kv *e)
{
    const uint8_t *v = e->data + kv_val_off(e);
    switch (kv_enc_raw(e)) {
    case ENC_INT: {
        char tmp[24];
        return (size_t)ts_ll_to_str(tmp, (long long)kv_ld64(v));
    }
    case ENC_EMBSTR:
        return v[0];
    default:
        return kv_ld64(v + sizeof(char *));
    }
}

/* ---- Detached values ----
 *
 * A kvval is a self-contained copy of a value, so it can cross to another
 * worker (RENAME, COPY, MIGRATE staging). Strings keep their encoding, not
 * only their bytes: Redis's RENAME moves the object itself and COPY's
 * dupStringObject keeps int / embstr / raw, so OBJECT ENCODING of the new
 * key answers what it answered for the old one (an APPENDed "12" stays
 * raw, an INCRBYFLOAT "3" stays embstr). Collections carry a deep copy
 * made by their type's dup (obj.h). */
struct kvval {
    uint8_t type;
    uint8_t enc;  /* a string's enum obj_enc */
    bool is_int;
    long long i;
    void *obj;
    size_t len;
    char data[];
};

struct kvval *
kv_value_dup(const struct kv *e)
{
    struct kvval *v;
    long long i;
    if (kv_enc_raw(e) == ENC_OBJ) {
        v = ts_malloc(sizeof(*v));
        v->is_int = false;
        v->i = 0;
        v->len = 0;
        v->obj = obj_ops_of(kv_type_raw(e))->dup(kv_obj(e));
    } else if (kv_str_int(e, &i)) {
        v = ts_malloc(sizeof(*v));
        v->is_int = true;
        v->i = i;
        v->len = 0;
        v->obj = NULL;
    } else {
        char tmp[24];
        struct sv s = kv_str(e, tmp);
        v = ts_malloc(sizeof(*v) + s.len);
        v->is_int = false;
        v->i = 0;
        v->len = s.len;
        v->obj = NULL;
        memcpy(v->data, s.ptr, s.len);
    }
    v->type = (uint8_t)kv_type_raw(e);
    v->enc = (uint8_t)kv_enc_raw(e);
    return v;
}

void
kvval_free(struct kvval **v)
{
    if (*v) {
        if ((*v)->obj)
            obj_ops_of((*v)->type)->free((*v)->obj);
        ts_free(*v);
        *v = NULL;
    }
}

int
kvval_type(const struct kvval *v)
{
    return v->type;
}

struct sv
kvval_str(const struct kvval *v, char tmp[24])
{
    if (v->is_int) {
        int n = ts_ll_to_str(tmp, v->i);
        return (struct sv){tmp, (size_t)n};
    }
    return (struct sv){v->data, v->len};
}

struct kv *
ks_set_value(struct ks *ks, uint16_t slot, struct sv key, struct kvval *v, int64_t expire_ms)
{
    struct kv *e;
    if (v->obj) {
        e = ks_set_obj(ks, slot, key, v->type, v->obj, expire_ms);
    } else if (v->is_int) {
        e = ks_set_int(ks, slot, key, v->i, expire_ms);
    } else {
        /* embstr or raw as before, even when the bytes read as an integer */
        e = ks_set_str_noint(ks, slot, key, (struct sv){v->data, v->len}, expire_ms);
        if (v->enc == ENC_RAW && kv_enc_raw(e) != ENC_RAW)
            ks_str_resize(ks, &e, v->len); /* a short raw string stays raw */
    }
    ts_free(v);
    return e;
}
