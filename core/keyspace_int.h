/* keyspace_int.h: private parts of the keyspace, shared by keyspace.c
 * (public API glue), kv_entry.c (entry encoding), kvstore_dict.c (the
 * per-slot hash tables) and expire.c (volatile set and active expiry).
 * Nothing outside core/keyspace*.c, kv_entry.c, kvstore_dict.c, expire.c
 * and evict.c (which samples a worker's keys) may include it. */
#ifndef TESSERA_KEYSPACE_INT_H
#define TESSERA_KEYSPACE_INT_H

#include "core/keyspace.h"

#include "core/effect.h"

/* ---- Entry ----
 *
 * One allocation per key. The fixed header is 17 bytes; everything after it
 * is variable and located by computing offsets from the key length and the
 * TTL flag (all multi-byte fields past the header are unaligned and read
 * with memcpy):
 *
 *   0        8         12      14     15      16     17
 *   +--------+---------+-------+------+-------+------+------------------+
 *   | next   | lru:24  | slot  | type | flags | htag | klen: 1 byte, or |
 *   | (chain)| freq:8  |       | :4   |  TTL  |      | 0xff + u32       |
 *   |        |         |       | enc:4|       |      |                  |
 *   +--------+---------+-------+------+-------+------+------------------+
 *   | key bytes (klen) | [deadline i64 + volatile index u32] | value    |
 *   +------------------+-------------------------------------+----------+
 *                        ^ present only when flags & KV_F_TTL
 *
 *   value by encoding:
 *     ENC_INT     int64                                  (8 bytes)
 *     ENC_EMBSTR  u8 len (<= KV_EMBSTR_MAX) + bytes      (1 + len)
 *     ENC_RAW     char *buf + u64 len; capacity is the   (16 bytes)
 *                 allocator's usable size of buf
 *     other types void *obj (type-specific object, later) (8 bytes)
 *
 * The header is what a failed chain comparison touches: htag (8 bits of
 * the hash) and the first klen byte reject almost every non-matching entry
 * before memcmp, all within the first cache line. A key "key:123456" with a
 * 32-byte value takes 17 + 1 + 10 + 1 + 32 = 61 bytes: one 64-byte
 * mimalloc block. */
struct kv {
    struct kv *next;
    uint32_t lru : 24;  /* last access, seconds, wraps every ~194 days */
    uint32_t freq : 8;  /* logarithmic access counter (OBJECT FREQ) */
    uint16_t slot;
    uint8_t tenc;       /* type in the low nibble, encoding in the high */
    uint8_t flags;      /* KV_F_* */
    uint8_t htag;       /* top 8 bits of the key's hash */
    uint8_t data[];
};

#define KV_HDR ((size_t)offsetof(struct kv, data))
#define KV_F_TTL 0x01
#define KV_F_SNAP 0x02 /* snapshot parity (snapshot.h): due while it differs from ks->snap_bit */
#define KV_TTL_BYTES 12 /* i64 deadline + u32 index in the volatile set */
#define KV_KLEN_WIDE 0xff
#define KV_LFU_INIT 5

static inline uint32_t
kv_ld32(const void *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline uint64_t
kv_ld64(const void *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline void
kv_st32(void *p, uint32_t v)
{
    memcpy(p, &v, 4);
}

static inline void
kv_st64(void *p, uint64_t v)
{
    memcpy(p, &v, 8);
}

static inline size_t
kv_klen(const struct kv *e)
{
    return e->data[0] != KV_KLEN_WIDE ? e->data[0] : kv_ld32(e->data + 1);
}

static inline const uint8_t *
kv_keyptr(const struct kv *e)
{
    return e->data + (e->data[0] != KV_KLEN_WIDE ? 1 : 5);
}

/* Offset (from e->data) of the TTL block, or of the value when no TTL. */
static inline size_t
kv_ttl_off(const struct kv *e)
{
    return (size_t)(kv_keyptr(e) - e->data) + kv_klen(e);
}

static inline size_t
kv_val_off(const struct kv *e)
{
    return kv_ttl_off(e) + ((e->flags & KV_F_TTL) ? KV_TTL_BYTES : 0);
}

static inline uint8_t *
kv_valptr(struct kv *e)
{
    return e->data + kv_val_off(e);
}

static inline int
kv_type_raw(const struct kv *e)
{
    return e->tenc & 0x0f;
}

static inline int
kv_enc_raw(const struct kv *e)
{
    return e->tenc >> 4;
}

/* Index of e in the volatile set (only when flags & KV_F_TTL). */
static inline uint32_t
kv_vol_idx(const struct kv *e)
{
    return kv_ld32(e->data + kv_ttl_off(e) + 8);
}

static inline void
kv_set_vol_idx(struct kv *e, uint32_t i)
{
    kv_st32(e->data + kv_ttl_off(e) + 8, i);
}

static inline int64_t
kv_deadline(const struct kv *e)
{
    return (int64_t)kv_ld64(e->data + kv_ttl_off(e));
}

/* A value to be written into an entry: what ks_set_* build from their
 * arguments. For strings s/len are borrowed (may alias the entry being
 * replaced: the builder copies before freeing anything). */
struct kv_valspec {
    int type;
    int enc;
    long long i;      /* ENC_INT */
    const char *s;    /* ENC_EMBSTR / ENC_RAW source bytes */
    size_t len;
    size_t raw_cap;   /* ENC_RAW: minimum capacity of the new buffer */
    void *obj;        /* non-string types (future) */
};

/* ---- Per-slot dict ---- */
struct kvdict {
    struct kv **t[2];   /* t[1] non-NULL only while rehashing */
    uint8_t exp[2];     /* log2 of each table's bucket count */
    int64_t rehash_idx; /* next t[0] bucket to move, -1 when not rehashing */
    uint64_t used;      /* entries in both tables */
};

/* ---- Keyspace ---- */
struct ks {
    struct kvdict *slots[CLUSTER_SLOTS];
    /* Non-empty slots, unordered, with each slot's position in the list,
     * so ks_random picks a slot in O(1) and ks_cron walks only live
     * tables. */
    uint16_t ne_list[CLUSTER_SLOTS];
    uint16_t ne_pos[CLUSTER_SLOTS];
    uint32_t ne_n;
    uint32_t cron_pos;
    uint64_t count;
    /* Volatile set: swap-remove vector of entries with a TTL; each entry
     * stores its index (kv_vol_idx). */
    struct kv **vol;
    uint32_t vol_n, vol_cap;
    size_t mem;         /* usable bytes of tables, dicts, entries, buffers */
    uint32_t clock_s;   /* last known unix seconds (LRU stamps) */
    uint64_t rng;
    struct ks_stats stats;
    struct evict_pool *evpool; /* maxmemory eviction candidates (evict.c), created on first use */
    struct shard *owner; /* the worker's shard, told of expirations (NULL in unit tests) */
    uint8_t snap_bit;    /* 0 or KV_F_SNAP: the snapshot parity every entry not due carries (snapshot.h) */
};

/* A key is being deleted because it expired (lazily or actively): count
 * it and tell the write-effect point, before the entry is freed. */
static inline void
ks_note_expired(struct ks *ks, const struct kv *e)
{
    ks->stats.expired_keys++;
    if (ks->owner)
        fx_expired(ks->owner, kv_key(e));
}

/* ---- kv_entry.c ---- */
size_t kv_value_bytes(const struct kv_valspec *v);
/* Write v's value bytes at dst (allocating a RAW buffer); safe when v's
 * source bytes overlap dst. */
void kv_value_write(struct ks *ks, uint8_t *dst, const struct kv_valspec *v);
/* Allocate and fill a new entry (next = NULL, not linked anywhere). */
struct kv *kv_build(struct ks *ks, uint16_t slot, uint8_t htag, struct sv key, bool ttl,
                    int64_t deadline, const struct kv_valspec *v);
/* Usable bytes owned by the value outside the entry (ENC_RAW buffer). */
size_t kv_value_ext_bytes(const struct kv *e);
/* Release what the value owns outside the entry. */
void kv_value_free_ext(struct kv *e);
/* Free an entry and its value; adjusts ks->mem. */
void kv_free(struct ks *ks, struct kv *e);
/* Build a valspec for string bytes (chooses INT/EMBSTR/RAW). */
void kv_valspec_str(struct kv_valspec *v, const char *s, size_t len);
void kv_touch(struct ks *ks, struct kv *e, uint32_t now_s);

/* ---- kvstore_dict.c ---- */
uint64_t ks_hash(const void *key, size_t len);
/* ks_hash, or the running command's hint when key is its routing key. */
static inline uint64_t
ks_hash_hinted(struct sv key)
{
    if (key.ptr == ks_hint.key && key.len == ks_hint.len)
        return ks_hint.h;
    return ks_hash(key.ptr, key.len);
}
static inline uint8_t
ks_htag(uint64_t h)
{
    return (uint8_t)(h >> 56);
}
struct kvdict *kvd_create(struct ks *ks);
void kvd_destroy(struct ks *ks, struct kvdict *d); /* entries must be gone */
struct kv *kvd_find(struct kvdict *d, struct sv key, uint64_t h);
/* Link of the chain pointer that points at e (e must be present). */
struct kv **kvd_link_of(struct kvdict *d, const struct kv *e, uint64_t h);
void kvd_insert(struct ks *ks, struct kvdict *d, struct kv *e, uint64_t h);
/* Unlink e (must be present). */
void kvd_unlink(struct kvdict *d, struct kv *e, uint64_t h);
/* Move up to n buckets of a rehash; returns buckets visited. */
size_t kvd_rehash(struct ks *ks, struct kvdict *d, size_t n);
static inline bool
kvd_rehashing(const struct kvdict *d)
{
    return d->rehash_idx >= 0;
}
/* Start shrinking when sparse; true if a resize was started. */
bool kvd_maybe_shrink(struct ks *ks, struct kvdict *d);
uint64_t kvd_scan(struct kvdict *d, uint64_t cursor, void (*fn)(void *, struct kv *), void *arg);
struct kv *kvd_random(struct ks *ks, struct kvdict *d);
/* Call fn(ks, e, arg) on every entry of d (both tables while rehashing);
 * fn must not relink entries. */
void kvd_each(struct kvdict *d, void (*fn)(struct ks *, struct kv *, void *), struct ks *ks, void *arg);
/* Free every entry (calling pre(arg, e) first) and the tables. */
void kvd_clear(struct ks *ks, struct kvdict *d, void (*pre)(struct ks *, struct kv *));
uint64_t ks_rand(struct ks *ks);

/* ---- expire.c ---- */
void ks_vol_add(struct ks *ks, struct kv *e);
void ks_vol_remove(struct ks *ks, struct kv *e);
/* Entry e moved from old (already freed or about to be): fix vol slot. */
static inline void
ks_vol_moved(struct ks *ks, struct kv *e)
{
    if (e->flags & KV_F_TTL)
        ks->vol[kv_vol_idx(e)] = e;
}

/* ---- keyspace.c ---- */
/* Replace entry old by nu in its chain (same key) and free old's block
 * (not its external value, and without touching the volatile set: the
 * caller decides both). */
void ks_replace_entry(struct ks *ks, struct kv *old, struct kv *nu);
void ks_unlink_free(struct ks *ks, struct kv *e);

#endif
