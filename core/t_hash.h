/* t_hash.h: the hash value type (obj_hash.c) and its commands (t_hash.c).
 *
 * A hash is a struct hobj, the object a keyspace entry points to (obj.h),
 * in one of two encodings:
 *
 *   listpack   field, value, field, value... in one Redis-format listpack
 *              (listpack.h), in insertion order; used while the hash has at
 *              most hash-max-listpack-entries fields and no field or value
 *              longer than hash-max-listpack-value bytes
 *   hashtable  an sdict of field -> value (sdict.h)
 *
 * Conversion is one way (listpack -> hashtable), as in Redis, and happens
 * inside hash_set / hash_prepare_set, so OBJECT ENCODING reports what
 * redis-server reports after the same operations.
 *
 * Memory: hash_mem is O(1) (allocator usable size of the listpack, or of
 * the hashtable's struct plus sdict_mem). Callers that change a hash stored in the
 * keyspace report hash_mem before and after with ks_obj_account.
 *
 * Ownership: a hash belongs to one entry, hence to one worker. Views (struct
 * sv) returned by the getters point into the hash (or into the caller's
 * buffer for integers stored as integers) and are valid until the next
 * modification of the same hash. */
#ifndef TESSERA_T_HASH_H
#define TESSERA_T_HASH_H

#include "core/common.h"
#include "core/listpack.h"
#include "core/sdict.h"

/* A hash object: either a listpack itself (its first u32 is its size, at
 * least 7) or, for the hashtable encoding, a struct whose first u32 is 0
 * followed by the sdict. No header in front of the listpack, so a small
 * hash is one allocation and one cache miss away from its entry. Calls
 * that can grow or convert a hash take struct hobj ** and may move it; the
 * caller then stores the new address in its entry (kv_obj_set). */
struct hobj;

/* A new, empty hash (listpack). */
struct hobj *hash_create(void);
void hash_free(struct hobj *h);
struct hobj *hash_dup(const struct hobj *h);
bool hash_is_listpack(const struct hobj *h);
size_t hash_len(const struct hobj *h);
size_t hash_mem(const struct hobj *h);
const char *hash_encoding_name(const struct hobj *h);
/* The sdict of a hashtable-encoded hash (NULL for a listpack). */
struct sdict *hash_sdict(const struct hobj *h);

/* The thresholds (hash-max-listpack-entries / -value), read atomically
 * from the live config. */
long long hash_max_entries(void);
long long hash_max_value(void);

/* Convert to the hashtable encoding (no-op if already). */
void hash_convert(struct hobj **hp);
/* Before setting the strings args[0..n) (fields and values): convert when
 * one is longer than hash-max-listpack-value, or when the listpack would
 * grow past LP_SAFETY_SIZE (Redis's hashTypeTryConversion). */
void hash_prepare_set(struct hobj **hp, const struct sv *args, int n);

/* Value of field: true if present, *val set (integers printed into buf). */
bool hash_get(const struct hobj *h, struct sv field, struct sv *val, char buf[LP_INTBUF]);
bool hash_exists(const struct hobj *h, struct sv field);
/* Set field to val; true when the field is new. Converts when a string is
 * too long for the listpack or the field count passes the limit. */
bool hash_set(struct hobj **hp, struct sv field, struct sv val);
/* Delete field; true if it was present. */
bool hash_delete(struct hobj **hp, struct sv field);

/* Iteration over every field and value; the hash must not change during
 * it. Views are valid until the next hash_iter_next. */
struct hash_iter {
    const struct hobj *h;
    const uint8_t *p;
    struct sdict_iter it;
    char kbuf[LP_INTBUF], vbuf[LP_INTBUF];
};
void hash_iter_init(struct hash_iter *it, const struct hobj *h);
bool hash_iter_next(struct hash_iter *it, struct sv *field, struct sv *val);

/* A random field (and its value), r1/r2 random numbers; false when empty. */
bool hash_random(const struct hobj *h, uint64_t r1, uint64_t r2, struct sv *field, struct sv *val,
                 char kbuf[LP_INTBUF], char vbuf[LP_INTBUF]);

/* Register the type with obj.h (obj_setup) and the commands (t_hash.c). */
void obj_hash_register(void);
void t_hash_register(void);
/* The command table, ended by a NULL name (tests). */
struct cmd_def;
const struct cmd_def *t_hash_table(void);

/* RDB hooks, exposed for the unit tests (obj.h contracts). */
struct ts_buf;
struct rdb_in;
int hash_rdb_save(const void *o, struct ts_buf *out);
void *hash_rdb_load(int rdb_type, struct rdb_in *in, char *err);
void hash_digest(const void *o, uint8_t d[20]);
/* A hash over a validated listpack of n entries (taking ownership of lp):
 * NULL (err set, lp freed) when n is odd or 0 or a field repeats; converted
 * to a hashtable when past the thresholds. */
struct hobj *hash_from_listpack(uint8_t *lp, unsigned long n, char *err);
/* Legacy RDB encodings (obj_hash_rdb.c): ziplist (13) and zipmap (9). */
void *hash_load_ziplist(struct rdb_in *in, char *err);
void *hash_load_zipmap(struct rdb_in *in, char *err);
/* Check an untrusted ziplist blob (spec/rdb.md §8) and append each of its
 * entries, as a string, to *lp; false when malformed. */
bool hash_ziplist_to_listpack(const uint8_t *zl, size_t size, uint8_t **lp, unsigned long *count);

#endif
