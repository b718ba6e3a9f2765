/* keyspace.c: a worker's keyspace (keyspace.h): the array of per-slot
 * tables with its list of non-empty slots, lookups with lazy expiry, string
 * writes (in place when the entry's block has room), deletion, flushing,
 * per-slot iteration and SCAN, random keys, background rehashing and
 * stats. Table internals are in kvstore_dict.c, the entry encoding in
 * kv_entry.c, TTLs and active expiry in expire.c. */
#include "core/keyspace.h"
#include "core/keyspace_int.h"

#include "core/evict.h"
#include "core/obj.h"
#include "core/shard.h"

#include <stdlib.h>
#include <sys/random.h>

/* ---- Lifecycle ---- */

struct ks *
ks_create(void)
{
    struct ks *ks = ts_calloc(1, sizeof(*ks));
    if (getrandom(&ks->rng, sizeof(ks->rng), 0) != (ssize_t)sizeof(ks->rng))
        ks->rng = (uint64_t)ts_ustime();
    ks->rng |= 1; /* xorshift state must not be zero */
    ks->clock_s = (uint32_t)(ts_mstime() / 1000);
    return ks;
}

void
ks_destroy(struct ks **ksp)
{
    if (!*ksp)
        return;
    ks_flush(*ksp);
    evict_pool_destroy(&(*ksp)->evpool);
    ts_free(*ksp);
    *ksp = NULL;
}

void
ks_set_owner(struct ks *ks, struct shard *owner)
{
    ks->owner = owner;
}

void
ks_set_clock(struct ks *ks, int64_t now_ms)
{
    ks->clock_s = (uint32_t)(now_ms / 1000);
}

/* ---- Non-empty slot list ---- */

static struct kvdict *
slot_dict_get(struct ks *ks, uint16_t slot)
{
    struct kvdict *d = ks->slots[slot];
    if (likely(d != NULL))
        return d;
    d = ks->slots[slot] = kvd_create(ks);
    ks->ne_pos[slot] = (uint16_t)ks->ne_n;
    ks->ne_list[ks->ne_n++] = slot;
    return d;
}

/* An empty slot gives its table back, so 16384 mostly-empty slots cost
 * only the pointer array. */
static void
slot_dict_release(struct ks *ks, uint16_t slot)
{
    struct kvdict *d = ks->slots[slot];
    kvd_destroy(ks, d);
    ks->slots[slot] = NULL;
    uint16_t p = ks->ne_pos[slot];
    uint16_t last = ks->ne_list[--ks->ne_n];
    ks->ne_list[p] = last;
    ks->ne_pos[last] = p;
}

/* ---- Unlink / replace ---- */

static void
unlink_free_h(struct ks *ks, struct kvdict *d, struct kv *e, uint64_t h)
{
    uint16_t slot = e->slot;
    kvd_unlink(d, e, h);
    if (e->flags & KV_F_TTL)
        ks_vol_remove(ks, e);
    kv_free(ks, e);
    ks->count--;
    if (d->used == 0)
        slot_dict_release(ks, slot);
}

void
ks_unlink_free(struct ks *ks, struct kv *e)
{
    struct sv k = kv_key(e);
    unlink_free_h(ks, ks->slots[e->slot], e, ks_hash(k.ptr, k.len));
}

void
ks_replace_entry(struct ks *ks, struct kv *old, struct kv *nu)
{
    struct kvdict *d = ks->slots[old->slot];
    struct sv k = kv_key(old);
    struct kv **link = kvd_link_of(d, old, ks_hash(k.ptr, k.len));
    nu->next = old->next;
    *link = nu;
    ks->mem -= ts_usable_size(old);
    ts_free(old);
}

/* ---- Lookup ---- */

__thread struct ks_hash_hint ks_hint;

uint64_t
ks_key_hash(const char *key, size_t len)
{
    return ks_hash(key, len);
}

/* The GET path: one hash, an optional single rehash step, a chain walk
 * comparing the 8-bit hash tag and length before memcmp. Never
 * allocates. */
struct kv *
ks_lookup(struct ks *ks, uint16_t slot, struct sv key, int64_t now_ms, int flags)
{
    struct kvdict *d = ks->slots[slot];
    if (!d)
        return NULL;
    uint64_t h = ks_hash_hinted(key);
    if (unlikely(kvd_rehashing(d)))
        kvd_rehash(ks, d, 1);
    struct kv *e = kvd_find(d, key, h);
    if (!e)
        return NULL;
    if ((e->flags & KV_F_TTL) && !(flags & KS_LOOKUP_NOEXPIRE) && now_ms > kv_deadline(e)) {
        /* A replica deletes nothing itself (its master's DEL will come):
         * its clients see the key gone, its master's commands see it. */
        if (unlikely(ks->owner && ks->owner->fx.replica))
            return ks->owner->fx.from_master ? e : NULL;
        ks_note_expired(ks, e);
        unlink_free_h(ks, d, e, h);
        return NULL;
    }
    if (!(flags & KS_LOOKUP_NOTOUCH)) {
        ks->clock_s = (uint32_t)(now_ms / 1000);
        kv_touch(ks, e, ks->clock_s);
    }
    return e;
}

#define KS_PREFETCH_VALUE_MAX 2048

void
ks_prefetch_batch(struct ks *ks, struct ks_prefetch *v, int n)
{
    for (int i = 0; i < n; i++)
        __builtin_prefetch(&ks->slots[v[i].slot]);
    for (int i = 0; i < n; i++) {
        const struct kvdict *d = ks->slots[v[i].slot];
        v[i].next = d;
        if (d)
            __builtin_prefetch(d);
    }
    for (int i = 0; i < n; i++) {
        const struct kvdict *d = v[i].next;
        v[i].next = NULL;
        if (d && !kvd_rehashing(d)) { /* rehashing tables are rare: skip them */
            struct kv *const *b = &d->t[0][v[i].h & (((uint64_t)1 << d->exp[0]) - 1)];
            v[i].next = b;
            __builtin_prefetch(b);
        }
    }
    for (int i = 0; i < n; i++) {
        struct kv *const *b = v[i].next;
        const struct kv *e = b ? *b : NULL;
        v[i].next = e;
        if (e) {
            /* a 16-byte key with a 32-byte value spans two lines */
            __builtin_prefetch(e);
            __builtin_prefetch((const char *)e + 64);
        }
    }
    /* At load factor 1/2 to 1, a third to a half of the hits are not
     * first in their chain: when the first entry's hash tag says it is
     * someone else, fetch the next one too. */
    for (int i = 0; i < n; i++) {
        const struct kv *e = v[i].next;
        if (!e)
            continue;
        if (e->htag != ks_htag(v[i].h)) {
            if (e->next) {
                __builtin_prefetch(e->next);
                __builtin_prefetch((const char *)e->next + 64);
            }
        } else if (v[i].value && kv_type_raw(e) == OBJ_STRING && kv_enc_raw(e) == ENC_RAW) {
            /* A long string lives in its own buffer, which the reply will
             * copy: fetch up to its first KS_PREFETCH_VALUE_MAX bytes
             * (into L2; the hardware prefetcher streams what follows). */
            const uint8_t *val = e->data + kv_val_off(e);
            const char *buf;
            uint64_t len;
            memcpy(&buf, val, sizeof(buf));
            memcpy(&len, val + sizeof(buf), sizeof(len));
            if (len > KS_PREFETCH_VALUE_MAX)
                len = KS_PREFETCH_VALUE_MAX;
            for (uint64_t off = 0; off < len; off += 64)
                __builtin_prefetch(buf + off, 0, 2);
        } else if (kv_enc_raw(e) == ENC_OBJ) {
            /* Every command on a collection reads its object (a small
             * hash is one listpack): fetch its first line, read or write. */
            __builtin_prefetch(kv_obj(e));
        }
    }
}

/* ---- Writes ---- */

/* Give an existing entry a new value and TTL state. In place when the
 * entry's block is big enough and not more than twice what is needed (so
 * a shrinking value does not pin a big block); otherwise a new entry is
 * built and relinked. The value source may alias the old entry or its RAW
 * buffer: it is copied before anything old is freed. */
static struct kv *
kv_rewrite(struct ks *ks, struct kv *old, bool ttl, int64_t dl, const struct kv_valspec *v)
{
    size_t toff = kv_ttl_off(old);
    size_t need = KV_HDR + toff + (ttl ? KV_TTL_BYTES : 0) + kv_value_bytes(v);
    size_t usable = ts_usable_size(old);
    bool had = (old->flags & KV_F_TTL) != 0;
    /* The old value's external part (a RAW buffer or a collection) is
     * freed last: the new value may be built from its bytes. */
    int old_enc = kv_enc_raw(old), old_type = kv_type_raw(old);
    void *oldext = NULL;
    size_t oldext_bytes = 0;
    if (old_enc == ENC_RAW || old_enc == ENC_OBJ) {
        memcpy(&oldext, kv_valptr(old), sizeof(oldext));
        oldext_bytes = kv_value_ext_bytes(old);
    }
    struct kv *e;
    if (need <= usable && usable <= need * 2) {
        e = old;
        if (had && !ttl)
            ks_vol_remove(ks, e);
        kv_value_write(ks, e->data + toff + (ttl ? KV_TTL_BYTES : 0), v);
        if (ttl)
            kv_st64(e->data + toff, (uint64_t)dl);
        e->flags = (uint8_t)((ttl ? KV_F_TTL : 0) | ks->snap_bit); /* written over: not due (snapshot.h) */
        e->tenc = (uint8_t)((v->type & 0x0f) | (v->enc << 4));
        if (ttl && !had)
            ks_vol_add(ks, e);
    } else {
        e = kv_build(ks, old->slot, old->htag, kv_key(old), ttl, dl, v);
        e->freq = old->freq;
        if (had && ttl) {
            uint32_t idx = kv_vol_idx(old);
            kv_set_vol_idx(e, idx);
            ks->vol[idx] = e;
        } else if (had) {
            ks_vol_remove(ks, old);
        }
        ks_replace_entry(ks, old, e);
        if (ttl && !had)
            ks_vol_add(ks, e);
    }
    if (oldext) {
        ks->mem -= oldext_bytes;
        if (old_enc == ENC_OBJ)
            obj_ops_of(old_type)->free(oldext);
        else
            ts_free(oldext);
    }
    e->lru = ks->clock_s & 0xffffff;
    return e;
}

/* Is e, found by a write, logically expired at the worker's current time?
 * Only a keyspace with an owner knows the time (unit tests have none). */
static inline bool
kv_expired_for_write(const struct ks *ks, const struct kv *e)
{
    return (e->flags & KV_F_TTL) && ks->owner && ks->owner->now_ms > kv_deadline(e);
}

/* Insert a new entry for key (not in the table), with v and expire_ms
 * (KS_EXPIRE_KEEP: none). old, when not NULL, is a logically expired entry
 * for the same key: it is deleted as expired first (see ks_set_common);
 * the new entry is built before it is freed, as v may point into it. */
static struct kv *
ks_insert_new(struct ks *ks, struct kvdict *d, uint16_t slot, uint64_t h, struct sv key,
              const struct kv_valspec *v, int64_t expire_ms, struct kv *old)
{
    bool ttl = expire_ms >= 0;
    struct kv *e = kv_build(ks, slot, ks_htag(h), key, ttl, expire_ms, v);
    if (unlikely(old != NULL)) {
        ks_note_expired(ks, old);
        unlink_free_h(ks, d, old, h);
        d = slot_dict_get(ks, slot); /* the slot's table goes when its last key does */
    }
    kvd_insert(ks, d, e, h);
    ks->count++;
    if (ttl)
        ks_vol_add(ks, e);
    if (unlikely(ks->count == 1 || (ttl && ks->vol_n == 1)) && ks->owner)
        evict_publish(ks->owner); /* the first key: others may now count on evicting here */
    if (unlikely(fx_wants(FX_NEW)) && ks->owner)
        fx_new(ks->owner, kv_key(e));
    return e;
}

/* Store a value under key, overwriting any entry. An entry that is there
 * but logically expired is not overwritten in place: Redis's writers look
 * the key up first (lookupKeyWrite), which deletes it as expired (the
 * "expired" notification, a DEL in the effect stream) and the write then
 * creates the key anew ("new", and no TTL kept by KEEPTTL). */
static struct kv *
ks_set_common(struct ks *ks, uint16_t slot, struct sv key, const struct kv_valspec *v,
              int64_t expire_ms)
{
    struct kvdict *d = slot_dict_get(ks, slot);
    uint64_t h = ks_hash_hinted(key);
    if (kvd_rehashing(d))
        kvd_rehash(ks, d, 1);
    struct kv *old = kvd_find(d, key, h);
    if (old) {
        if (unlikely(kv_expired_for_write(ks, old)))
            return ks_insert_new(ks, d, slot, h, key, v, expire_ms, old);
        bool ttl;
        int64_t dl;
        if (expire_ms == KS_EXPIRE_KEEP) {
            ttl = (old->flags & KV_F_TTL) != 0;
            dl = ttl ? kv_deadline(old) : 0;
        } else {
            ttl = expire_ms >= 0;
            dl = expire_ms;
        }
        return kv_rewrite(ks, old, ttl, dl, v);
    }
    return ks_insert_new(ks, d, slot, h, key, v, expire_ms, NULL);
}

struct kv *
ks_set_str(struct ks *ks, uint16_t slot, struct sv key, struct sv val, int64_t expire_ms)
{
    struct kv_valspec v;
    kv_valspec_str(&v, val.ptr, val.len);
    return ks_set_common(ks, slot, key, &v, expire_ms);
}

struct kv *
ks_set_str_noint(struct ks *ks, uint16_t slot, struct sv key, struct sv val, int64_t expire_ms)
{
    struct kv_valspec v;
    kv_valspec_str(&v, val.ptr, val.len);
    if (v.enc == ENC_INT)
        v.enc = val.len <= KV_EMBSTR_MAX ? ENC_EMBSTR : ENC_RAW;
    return ks_set_common(ks, slot, key, &v, expire_ms);
}

struct kv *
ks_set_obj(struct ks *ks, uint16_t slot, struct sv key, int type, void *obj, int64_t expire_ms)
{
    struct kv_valspec v;
    memset(&v, 0, sizeof(v));
    v.type = type;
    v.enc = ENC_OBJ;
    v.obj = obj;
    return ks_set_common(ks, slot, key, &v, expire_ms);
}

struct kv *
ks_set_int(struct ks *ks, uint16_t slot, struct sv key, long long i, int64_t expire_ms)
{
    struct kv_valspec v;
    memset(&v, 0, sizeof(v));
    v.type = OBJ_STRING;
    v.enc = ENC_INT;
    v.i = i;
    return ks_set_common(ks, slot, key, &v, expire_ms);
}

/* Growth policy for writable strings: double below 1 MiB, then +1 MiB,
 * as sds does, so a run of APPENDs costs amortised O(1) per byte without
 * doubling huge values. */
static size_t
raw_grow_cap(size_t newlen)
{
    const size_t mib = 1024 * 1024;
    return newlen < mib ? newlen * 2 : newlen + mib;
}

char *
ks_str_resize(struct ks *ks, struct kv **ep, size_t newlen)
{
    struct kv *e = *ep;
    uint8_t *vp = kv_valptr(e);
    if (kv_enc_raw(e) == ENC_RAW) {
        char *buf;
        memcpy(&buf, vp, sizeof(buf));
        size_t len = kv_ld64(vp + sizeof(buf));
        size_t cap = ts_usable_size(buf);
        if (newlen > cap) {
            ks->mem -= cap;
            buf = ts_realloc(buf, raw_grow_cap(newlen));
            ks->mem += ts_usable_size(buf);
            memcpy(vp, &buf, sizeof(buf));
        }
        if (newlen > len)
            memset(buf + len, 0, newlen - len);
        kv_st64(vp + sizeof(buf), newlen);
        return buf;
    }
    /* int or embstr: convert to a RAW buffer with room to grow */
    char tmp[24];
    struct sv cur = kv_str(e, tmp);
    struct kv_valspec v;
    memset(&v, 0, sizeof(v));
    v.type = OBJ_STRING;
    v.enc = ENC_RAW;
    v.s = cur.ptr;
    v.len = TS_MIN(cur.len, newlen);
    v.raw_cap = newlen > cur.len ? raw_grow_cap(newlen) : newlen;
    bool ttl = (e->flags & KV_F_TTL) != 0;
    e = kv_rewrite(ks, e, ttl, ttl ? kv_deadline(e) : 0, &v);
    *ep = e;
    vp = kv_valptr(e);
    char *buf;
    memcpy(&buf, vp, sizeof(buf));
    if (newlen > v.len)
        memset(buf + v.len, 0, newlen - v.len);
    kv_st64(vp + sizeof(buf), newlen);
    return buf;
}

/* ---- Delete ---- */

/* Deletes the key if its entry is present, even when it is logically
 * expired (callers wanting DEL semantics look it up first). */
bool
ks_delete(struct ks *ks, uint16_t slot, struct sv key)
{
    struct kvdict *d = ks->slots[slot];
    if (!d)
        return false;
    uint64_t h = ks_hash_hinted(key);
    struct kv *e = kvd_find(d, key, h);
    if (!e)
        return false;
    unlink_free_h(ks, d, e, h);
    return true;
}

void
ks_delete_entry(struct ks *ks, struct kv *e)
{
    ks_unlink_free(ks, e);
}

/* ---- Counting ---- */

uint64_t
ks_count(const struct ks *ks)
{
    return ks->count;
}

uint64_t
ks_count_slot(const struct ks *ks, uint16_t slot)
{
    const struct kvdict *d = ks->slots[slot];
    return d ? d->used : 0;
}

size_t
ks_mem_bytes(const struct ks *ks)
{
    return ks->mem;
}

static size_t dict_struct_bytes(const struct kvdict *d);

void
ks_overhead(const struct ks *ks, struct ks_overhead *out)
{
    out->main = 0;
    for (uint32_t i = 0; i < ks->ne_n; i++)
        out->main += dict_struct_bytes(ks->slots[ks->ne_list[i]]);
    out->expires = ts_usable_size(ks->vol);
    out->slot_index = ts_usable_size(ks);
}

/* ---- Iteration ---- */

struct scan_ctx {
    ks_visit_fn fn;
    void *arg;
    int64_t now_ms;
    size_t n;
};

static void
scan_visit(void *arg, struct kv *e)
{
    struct scan_ctx *c = arg;
    if ((e->flags & KV_F_TTL) && c->now_ms > kv_deadline(e))
        return;
    c->fn(c->arg, e);
    c->n++;
}

/* Visits whole buckets until about count entries were returned, giving up
 * after count * 10 buckets so a sparse table cannot make one call long. */
uint64_t
ks_scan_slot(struct ks *ks, uint16_t slot, uint64_t cursor, size_t count, int64_t now_ms,
             ks_visit_fn fn, void *arg)
{
    struct kvdict *d = ks->slots[slot];
    if (!d)
        return 0;
    struct scan_ctx c = {fn, arg, now_ms, 0};
    size_t iters = TS_MAX(count, (size_t)1) * 10;
    do {
        cursor = kvd_scan(d, cursor, scan_visit, &c);
    } while (cursor && c.n < count && --iters);
    return cursor;
}

size_t
ks_slot_keys(struct ks *ks, uint16_t slot, size_t max, ks_visit_fn fn, void *arg)
{
    struct kvdict *d = ks->slots[slot];
    size_t n = 0;
    if (!d)
        return 0;
    for (int t = 0; t < 2 && n < max; t++) {
        if (!d->t[t])
            continue;
        uint64_t size = (uint64_t)1 << d->exp[t];
        for (uint64_t b = 0; b < size && n < max; b++)
            for (struct kv *e = d->t[t][b]; e && n < max; e = e->next) {
                fn(arg, e);
                n++;
            }
    }
    return n;
}

uint64_t
ks_random_u64(struct ks *ks)
{
    return ks_rand(ks);
}

/* Random non-empty slot in O(1) from the non-empty list, then a random
 * entry of its table. Expired picks are deleted (at most 16 per call) or
 * skipped; after 100 tries give up, which only happens when nearly every
 * key has expired. */
struct kv *
ks_random(struct ks *ks, int64_t now_ms)
{
    int deleted = 0;
    for (int tries = 0; tries < 100 && ks->ne_n > 0; tries++) {
        uint16_t slot = ks->ne_list[ks_rand(ks) % ks->ne_n];
        struct kv *e = kvd_random(ks, ks->slots[slot]);
        if ((e->flags & KV_F_TTL) && now_ms > kv_deadline(e)) {
            if (deleted < 16 && !(ks->owner && ks->owner->fx.replica)) {
                ks_note_expired(ks, e);
                ks_unlink_free(ks, e);
                deleted++;
            }
            continue;
        }
        return e;
    }
    return NULL;
}

/* ---- Moving a slot to another keyspace ---- */

struct ks_slot {
    struct kvdict *d;
    uint16_t slot;
    uint64_t keys;
    size_t mem; /* what the slot added to its keyspace's memory figure */
};

/* Bytes an entry contributes to ks->mem: its block and what its value
 * owns outside it (the same sum kv_free subtracts). */
static inline size_t
entry_bytes(const struct kv *e)
{
    return ts_usable_size((void *)e) + kv_value_ext_bytes(e);
}

static size_t
dict_struct_bytes(const struct kvdict *d)
{
    size_t n = ts_usable_size((void *)d);
    for (int t = 0; t < 2; t++)
        if (d->t[t])
            n += ts_usable_size(d->t[t]);
    return n;
}

void
kvd_each(struct kvdict *d, void (*fn)(struct ks *, struct kv *, void *), struct ks *ks, void *acc)
{
    for (int t = 0; t < 2; t++) {
        if (!d->t[t])
            continue;
        uint64_t size = (uint64_t)1 << d->exp[t];
        for (uint64_t b = 0; b < size; b++)
            for (struct kv *e = d->t[t][b]; e; e = e->next)
                fn(ks, e, acc);
    }
}

static void
detach_entry(struct ks *ks, struct kv *e, void *acc)
{
    *(size_t *)acc += entry_bytes(e);
    if (e->flags & KV_F_TTL)
        ks_vol_remove(ks, e);
}

static void
attach_entry(struct ks *ks, struct kv *e, void *acc)
{
    (void)acc;
    if (e->flags & KV_F_TTL)
        ks_vol_add(ks, e);
}

struct ks_slot *
ks_slot_detach(struct ks *ks, uint16_t slot)
{
    struct kvdict *d = ks->slots[slot];
    if (!d)
        return NULL;
    struct ks_slot *t = ts_malloc(sizeof(*t));
    t->d = d;
    t->slot = slot;
    t->keys = d->used;
    t->mem = dict_struct_bytes(d);
    kvd_each(d, detach_entry, ks, &t->mem);
    /* unlist the slot without freeing its table */
    ks->slots[slot] = NULL;
    uint16_t p = ks->ne_pos[slot];
    uint16_t last = ks->ne_list[--ks->ne_n];
    ks->ne_list[p] = last;
    ks->ne_pos[last] = p;
    if (ks->cron_pos >= ks->ne_n)
        ks->cron_pos = 0;
    ks->count -= t->keys;
    ks->mem -= t->mem;
    return t;
}

/* The rare merge: move each arriving entry into the resident table. */
static void
attach_merge(struct ks *ks, struct ks_slot *t)
{
    struct kvdict *in = t->d;
    for (int i = 0; i < 2; i++) {
        if (!in->t[i])
            continue;
        uint64_t size = (uint64_t)1 << in->exp[i];
        for (uint64_t b = 0; b < size; b++) {
            struct kv *e = in->t[i][b];
            while (e) {
                struct kv *next = e->next;
                struct sv k = kv_key(e);
                uint64_t h = ks_hash(k.ptr, k.len);
                struct kvdict *d = ks->slots[t->slot];
                struct kv *old = d ? kvd_find(d, k, h) : NULL;
                if (old)
                    unlink_free_h(ks, d, old, h); /* may release d */
                d = slot_dict_get(ks, t->slot);
                kvd_insert(ks, d, e, h);
                ks->count++;
                ks->mem += entry_bytes(e);
                if (e->flags & KV_F_TTL)
                    ks_vol_add(ks, e);
                e = next;
            }
            in->t[i][b] = NULL;
        }
    }
    for (int i = 0; i < 2; i++)
        ts_free(in->t[i]);
    ts_free(in);
}

void
ks_slot_attach(struct ks *ks, struct ks_slot **tp)
{
    struct ks_slot *t = *tp;
    *tp = NULL;
    if (!t)
        return;
    if (ks->slots[t->slot]) {
        attach_merge(ks, t);
    } else {
        ks->slots[t->slot] = t->d;
        ks->ne_pos[t->slot] = (uint16_t)ks->ne_n;
        ks->ne_list[ks->ne_n++] = t->slot;
        ks->count += t->keys;
        ks->mem += t->mem;
        kvd_each(t->d, attach_entry, ks, NULL);
    }
    ts_free(t);
}

uint16_t
ks_slot_id(const struct ks_slot *t)
{
    return t->slot;
}

uint64_t
ks_slot_keys_count(const struct ks_slot *t)
{
    return t->keys;
}

size_t
ks_slot_mem(const struct ks_slot *t)
{
    return t->mem;
}

void
ks_slot_free(struct ks_slot **tp)
{
    struct ks_slot *t = *tp;
    if (!t)
        return;
    *tp = NULL;
    /* A scratch keyspace absorbs the figures; the entries are not in any
     * volatile set any more, so clear them without touching one. */
    struct ks *scratch = ts_calloc(1, sizeof(*scratch));
    kvd_clear(scratch, t->d, NULL);
    kvd_destroy(scratch, t->d);
    ts_free(scratch);
    ts_free(t);
}

/* ---- Flushing ---- */

void
ks_flush(struct ks *ks)
{
    while (ks->ne_n > 0) {
        uint16_t slot = ks->ne_list[ks->ne_n - 1];
        kvd_clear(ks, ks->slots[slot], NULL);
        slot_dict_release(ks, slot);
    }
    /* entries are gone: drop the volatile set wholesale */
    ks->mem -= ts_usable_size(ks->vol);
    ts_free(ks->vol);
    ks->vol = NULL;
    ks->vol_n = ks->vol_cap = 0;
    ks->count = 0;
}

static void
flush_pre(struct ks *ks, struct kv *e)
{
    if (e->flags & KV_F_TTL)
        ks_vol_remove(ks, e);
}

uint64_t
ks_flush_slot(struct ks *ks, uint16_t slot)
{
    struct kvdict *d = ks->slots[slot];
    if (!d)
        return 0;
    uint64_t n = d->used;
    kvd_clear(ks, d, flush_pre);
    slot_dict_release(ks, slot);
    ks->count -= n;
    return n;
}

/* ---- Background work ---- */

/* Walk the non-empty slots round-robin from where the last call stopped:
 * start shrinking sparse tables and advance rehashes. Each slot looked at
 * costs one unit, each bucket visited one more. */
void
ks_cron(struct ks *ks, size_t budget)
{
    size_t looked = 0;
    while (budget > 0 && ks->ne_n > 0 && looked < ks->ne_n) {
        if (ks->cron_pos >= ks->ne_n)
            ks->cron_pos = 0;
        struct kvdict *d = ks->slots[ks->ne_list[ks->cron_pos]];
        budget--;
        looked++;
        if (!kvd_rehashing(d))
            kvd_maybe_shrink(ks, d);
        if (kvd_rehashing(d)) {
            size_t v = kvd_rehash(ks, d, budget);
            budget -= TS_MIN(v, budget);
            if (kvd_rehashing(d))
                continue; /* out of budget: resume here next time */
        }
        ks->cron_pos++;
    }
}

bool
ks_slot_table_info(const struct ks *ks, uint16_t slot, struct ks_table_info *out)
{
    const struct kvdict *d = ks->slots[slot];
    memset(out, 0, sizeof(*out));
    if (!d)
        return false;
    out->used = d->used;
    out->buckets0 = (uint64_t)1 << d->exp[0];
    out->buckets1 = kvd_rehashing(d) ? (uint64_t)1 << d->exp[1] : 0;
    return true;
}

/* ---- Stats ---- */

const struct ks_stats *
ks_get_stats(const struct ks *ks)
{
    return &ks->stats;
}

void
ks_reset_stats(struct ks *ks)
{
    memset(&ks->stats, 0, sizeof(ks->stats));
}

void
ks_note_hit(struct ks *ks, bool hit)
{
    if (hit)
        ks->stats.keyspace_hits++;
    else
        ks->stats.keyspace_misses++;
}
