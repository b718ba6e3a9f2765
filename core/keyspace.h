/* keyspace.h: one worker's share of the keyspace.
 *
 * A worker owns the keys of the hash slots assigned to it. Its keyspace is a
 * kvstore in the manner of Valkey 8: one small hash table per hash slot,
 * created on first insert, so that key count and iteration per slot (CLUSTER
 * COUNTKEYSINSLOT / GETKEYSINSLOT, FLUSHSLOTS, migration) come for free and a
 * SCAN cursor is (slot, position inside that slot's table).
 *
 * Each table is chained and resizes incrementally: while rehashing, every
 * lookup/insert/delete also moves a few buckets, and ks_cron moves more, so
 * there is never a stop-the-world rehash. Table positions are visited in
 * reverse-binary order by scans, so a SCAN cursor stays valid across resizes
 * (every key present for the whole scan is returned at least once).
 *
 * Entries (struct kv) hold key, value and metadata in one allocation where
 * they can: integers are stored as integers (ENC_INT), short strings inline
 * (ENC_EMBSTR), longer ones in a separate growable buffer (ENC_RAW). An
 * expiring key carries its absolute unix-ms deadline; a per-worker volatile
 * set lets the active expiry cycle sample only keys with a TTL.
 *
 * Threading: a struct ks is owned by one worker and never touched by another
 * thread. Any call that modifies the keyspace may move or free entries: a
 * struct kv * is valid only until the next modifying call on the same ks.
 */
#ifndef TESSERA_KEYSPACE_H
#define TESSERA_KEYSPACE_H

#include "core/common.h"

/* Value types: numbering matches Redis's OBJ_* (TYPE, OBJECT, RDB). */
enum obj_type {
    OBJ_STRING = 0,
    OBJ_LIST = 1,
    OBJ_SET = 2,
    OBJ_ZSET = 3,
    OBJ_HASH = 4,
    OBJ_STREAM = 6,
};

/* Encodings: names reported by OBJECT ENCODING are in kv_encoding_name. */
enum obj_enc {
    ENC_RAW = 0,
    ENC_INT = 1,
    ENC_EMBSTR = 8,
    ENC_OBJ = 15, /* a collection: the entry holds a pointer to its type's object (obj.h) */
};

/* Strings up to this many bytes are stored inside the entry (ENC_EMBSTR),
 * longer ones in their own buffer (ENC_RAW); 44 as in Redis, so OBJECT
 * ENCODING answers the same. */
#define KV_EMBSTR_MAX 44

struct kv;  /* a key with its value and metadata */
struct ks;  /* a worker's keyspace */
struct kvval; /* a detached value, movable between workers (RENAME, COPY) */

/* ---- Lifecycle ---- */
struct ks *ks_create(void);
void ks_destroy(struct ks **ks);
struct shard;
/* The worker's shard this keyspace belongs to: expirations are reported
 * to its write-effect point (effect.h). */
void ks_set_owner(struct ks *ks, struct shard *owner);

/* ---- Entry accessors ---- */
struct sv kv_key(const struct kv *e);
int kv_type(const struct kv *e);
int kv_encoding(const struct kv *e);
const char *kv_encoding_name(const struct kv *e); /* "int", "embstr", "raw", or the type's ("listpack"...) */
int64_t kv_expire(const struct kv *e);            /* absolute unix ms, or -1 */
/* Seconds since last access (OBJECT IDLETIME), from a 1 s resolution clock. */
uint64_t kv_idle_seconds(const struct kv *e, int64_t now_ms);
/* Logarithmic access frequency counter 0..255 (OBJECT FREQ). */
int kv_freq(const struct kv *e);
/* Bytes this entry takes (MEMORY USAGE): allocator usable sizes, not guesses. */
size_t kv_mem_usage(const struct kv *e);

/* String value. For ENC_INT the digits are written into tmp (>= 21 bytes)
 * and the returned view points there. */
struct sv kv_str(const struct kv *e, char tmp[24]);
/* True if the string is held as an integer; stores it in *v. */
bool kv_str_int(const struct kv *e, long long *v);
size_t kv_str_len(const struct kv *e);

/* ---- Lookup ---- */
enum {
    KS_LOOKUP_NOTOUCH = 1 << 0, /* do not update access time / frequency */
    KS_LOOKUP_NOEXPIRE = 1 << 1, /* return logically expired keys too (no lazy delete) */
};
/* Find key in slot; deletes it and returns NULL if it has expired (lazy
 * expiry), unless KS_LOOKUP_NOEXPIRE. */
struct kv *ks_lookup(struct ks *ks, uint16_t slot, struct sv key, int64_t now_ms, int flags);

/* Batched prefetch for lookups that are about to happen (a pipeline, or
 * many clients' requests read in one loop turn). A lookup walks four
 * dependent cache lines: the slot's table pointer, the dict, the bucket and
 * the entry (then, for a read, a long string's own buffer, which the reply
 * copies).
 * Walking them stage by stage over the whole batch keeps a dozen misses in
 * flight instead of one, so the lookups that follow find their lines in
 * cache. Only reads and prefetches: nothing changes, and a wrong guess (a
 * key of another slot, a non-key argument) costs a wasted prefetch.
 * Callers fill key, len, slot and value; h and next are scratch. */
struct ks_prefetch {
    const char *key;
    size_t len;
    uint16_t slot;
    bool value;       /* the command reads the value: fetch a long string's buffer */
    uint64_t h;       /* ks_key_hash(key, len), filled in by the caller */
    const void *next; /* the line the next stage reads */
};
void ks_prefetch_batch(struct ks *ks, struct ks_prefetch *v, int n);
/* The keyspace hash of a key (the seeded hash every table uses). */
uint64_t ks_key_hash(const char *key, size_t len);

/* A hash already computed for the key a command was routed by (the
 * prefetch hashed it): the worker sets it around that one command and
 * clears it after, and a lookup of exactly that key (same pointer and
 * length: the bytes cannot have changed while the command runs) takes it
 * instead of hashing again. Thread-local: one per worker thread. */
struct ks_hash_hint {
    const char *key; /* NULL: no hint */
    size_t len;
    uint64_t h;
};
extern __thread struct ks_hash_hint ks_hint;

/* ---- String writes ---- */
#define KS_EXPIRE_KEEP (-2) /* keep the key's existing TTL (SET KEEPTTL, APPEND, INCR) */
#define KS_EXPIRE_NONE (-1) /* no TTL (plain SET clears a TTL) */
/* Create or overwrite key with a string value (any previous type is
 * replaced). Values that are canonical integers (what ts_str_to_ll accepts
 * and prints back identically) are stored as ENC_INT. expire_ms is an
 * absolute unix ms deadline, KS_EXPIRE_NONE or KS_EXPIRE_KEEP. Returns the
 * new entry. */
struct kv *ks_set_str(struct ks *ks, uint16_t slot, struct sv key, struct sv val, int64_t expire_ms);
/* Same, but never as ENC_INT: INCRBYFLOAT's result is a string in Redis
 * even when it reads as an integer ("2"), and OBJECT ENCODING shows it. */
struct kv *ks_set_str_noint(struct ks *ks, uint16_t slot, struct sv key, struct sv val, int64_t expire_ms);
/* Same with an integer value (INCR/DECR family). */
struct kv *ks_set_int(struct ks *ks, uint16_t slot, struct sv key, long long v, int64_t expire_ms);
/* Make the string value of *ep writable with length newlen (extra bytes are
 * zeroed, like SETRANGE's padding); converts to ENC_RAW with room to grow so
 * repeated APPENDs are amortised O(1). Updates *ep (the entry may move) and
 * returns a pointer to the value bytes. */
char *ks_str_resize(struct ks *ks, struct kv **ep, size_t newlen);

/* ---- Collections (obj.h) ----
 * A collection's object belongs to its entry. Commands change it in place
 * through their type's API and then report the change of its size with
 * ks_obj_account, so the keyspace's memory figure stays exact without
 * walking objects. */
void *kv_obj(const struct kv *e);
/* Create or overwrite key with a collection value (taking ownership of
 * obj, whose type is type). expire_ms as for ks_set_str. */
struct kv *ks_set_obj(struct ks *ks, uint16_t slot, struct sv key, int type, void *obj, int64_t expire_ms);
/* Replace e's object by obj (an encoding conversion): the old object is
 * freed, the memory figure adjusted. */
void kv_obj_replace(struct ks *ks, struct kv *e, void *obj);
/* The object of e moved (its type reallocated it in place of the old
 * one, which must not be freed again): store its new address. Memory is
 * reported separately (ks_obj_account). */
void kv_obj_set(struct kv *e, void *obj);
/* The object of some entry grew or shrank from before to after bytes. */
void ks_obj_account(struct ks *ks, size_t before, size_t after);

/* ---- Generic key operations ---- */
/* True if the key's entry existed (even if logically expired: DEL-style
 * callers that must not count expired keys look the key up first). */
bool ks_delete(struct ks *ks, uint16_t slot, struct sv key);
void ks_delete_entry(struct ks *ks, struct kv *e);
/* Set/clear the TTL of an existing entry (absolute unix ms, or -1 = persist).
 * Adding a TTL to an entry that had none may move it: the entry's new
 * address is returned and e must not be used afterwards (callers that
 * ignore the result simply look the key up again). */
struct kv *ks_set_expire(struct ks *ks, struct kv *e, int64_t when_ms);
/* Slot an entry lives in. */
uint16_t kv_slot(const struct kv *e);

/* Detached values, to move or copy a value to another key, possibly on
 * another worker (mimalloc allows freeing on any thread). */
struct kvval *kv_value_dup(const struct kv *e);
void kvval_free(struct kvval **v);
int kvval_type(const struct kvval *v);
/* String contents of a detached string value (integers are printed into
 * tmp); valid while v lives. Only for strings (kvval_type OBJ_STRING). */
struct sv kvval_str(const struct kvval *v, char tmp[24]);
/* Store v under key (taking ownership of v), replacing any value. */
struct kv *ks_set_value(struct ks *ks, uint16_t slot, struct sv key, struct kvval *v, int64_t expire_ms);

/* ---- Counting and iteration ---- */
uint64_t ks_count(const struct ks *ks);                  /* all keys incl. not yet expired-and-deleted */
uint64_t ks_count_volatile(const struct ks *ks);         /* keys with a TTL */
uint64_t ks_count_slot(const struct ks *ks, uint16_t slot);
/* Memory used by this keyspace's tables and entries (INFO used_memory part). */
size_t ks_mem_bytes(const struct ks *ks);
/* The structure around the keys, as MEMORY STATS splits it: the per-slot
 * tables (dict headers and bucket arrays: overhead.hashtable.main), the
 * volatile set (overhead.hashtable.expires) and the keyspace's own slot
 * index (overhead.hashtable.slot-to-keys). Walks the non-empty slots. */
struct ks_overhead {
    size_t main, expires, slot_index;
};
void ks_overhead(const struct ks *ks, struct ks_overhead *out);

typedef void (*ks_visit_fn)(void *arg, const struct kv *e);
/* Scan one slot's table from position cursor, calling fn on each entry of
 * at least one bucket and of about count entries; returns the next position
 * (0 = slot finished). Expired keys are skipped (not deleted). */
uint64_t ks_scan_slot(struct ks *ks, uint16_t slot, uint64_t cursor, size_t count, int64_t now_ms,
                      ks_visit_fn fn, void *arg);
/* Up to max keys of one slot (GETKEYSINSLOT). Returns how many were visited. */
size_t ks_slot_keys(struct ks *ks, uint16_t slot, size_t max, ks_visit_fn fn, void *arg);
/* 64 random bits from the keyspace's own generator (xorshift64*, seeded
 * from getrandom at creation): SRANDMEMBER, SPOP, HRANDFIELD. Not for
 * anything secret. */
uint64_t ks_random_u64(struct ks *ks);
/* A random key among the slots in [0,16384) that have keys; NULL if empty.
 * Skips (and lazily deletes a bounded number of) expired keys. */
struct kv *ks_random(struct ks *ks, int64_t now_ms);

/* Shape of one slot's table (DEBUG HTSTATS, tests): bucket counts of the
 * main table and, while a resize is in progress, of the new one. Returns
 * false (and zeroes *out) when the slot has no table. */
struct ks_table_info {
    uint64_t used;     /* keys in the slot */
    uint64_t buckets0; /* main table */
    uint64_t buckets1; /* table being rehashed into, 0 when not resizing */
};
bool ks_slot_table_info(const struct ks *ks, uint16_t slot, struct ks_table_info *out);

/* ---- Moving a slot to another keyspace (slot hand-off, slot_move.h) ----
 * A slot's table leaves one worker's keyspace and joins another's whole:
 * no key or value is copied or re-hashed, and a table in the middle of an
 * incremental resize moves as it is. Detach and attach each walk the
 * slot's entries once (pointer reads only) to move the figures the
 * keyspace keeps for all its slots: the key count, the memory figure
 * (entries, their strings and collection objects, the table itself) and
 * the volatile set, whose entries store their index in it. Entries keep
 * their slot, TTL, LRU/LFU stamps and encoding. Memory may be freed by
 * the receiving worker (mimalloc frees on any thread). */
struct ks_slot;
/* Take slot's table out of ks; NULL when the slot has no keys there. The
 * caller owns the result until ks_slot_attach (or ks_slot_free). */
struct ks_slot *ks_slot_detach(struct ks *ks, uint16_t slot);
/* Add a detached table to ks, taking ownership (*t is set to NULL). If
 * ks already holds keys in that slot (never, in the hand-off protocol),
 * the entries are merged one by one, an arriving key replacing a
 * resident one of the same name. */
void ks_slot_attach(struct ks *ks, struct ks_slot **t);
uint16_t ks_slot_id(const struct ks_slot *t);
uint64_t ks_slot_keys_count(const struct ks_slot *t);
size_t ks_slot_mem(const struct ks_slot *t);
/* Free a detached table and its entries (shutdown with a move in flight). */
void ks_slot_free(struct ks_slot **t);

/* ---- Flushing ---- */
void ks_flush(struct ks *ks);                   /* delete every key */
uint64_t ks_flush_slot(struct ks *ks, uint16_t slot); /* returns keys deleted */

/* ---- Background work ---- */
/* Active expiry: sample keys with a TTL and delete expired ones, doing at
 * most about budget units of work (keys sampled), repeating while more than
 * a quarter of a sample was expired. Returns keys deleted. */
uint64_t ks_active_expire(struct ks *ks, int64_t now_ms, size_t budget);
/* Incremental rehash steps for tables in the middle of a resize, bounded by
 * budget buckets; also shrinks tables that became sparse. */
void ks_cron(struct ks *ks, size_t budget);

/* ---- Stats ---- */
struct ks_stats {
    uint64_t expired_keys;   /* deleted by lazy or active expiry */
    uint64_t evicted_keys;   /* deleted by maxmemory eviction (evict.h) */
    uint64_t keyspace_hits;
    uint64_t keyspace_misses;
};
const struct ks_stats *ks_get_stats(const struct ks *ks);
void ks_reset_stats(struct ks *ks);
/* Lookups by commands count hits/misses: call after a read lookup. */
void ks_note_hit(struct ks *ks, bool hit);
/* Tell the keyspace the current time, used to stamp the LRU clock of keys
 * created by ks_set_* (which take no time argument). ks_lookup,
 * ks_active_expire and ks_random update it as well. */
void ks_set_clock(struct ks *ks, int64_t now_ms);

#endif
