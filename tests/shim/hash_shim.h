/* hash_shim.h: plain-C wrappers for the unit tests of the listpack module
 * (tests/unit/core/test_listpack.cpp) and of the hash type
 * (tests/unit/core/test_hash.cpp): encodings, conversion, RDB hooks,
 * digest. Strings cross as (pointer, length); listpack positions as byte
 * offsets, so C++ never sees listpack.h or t_hash.h. */
#ifndef TESSERA_HASH_SHIM_H
#define TESSERA_HASH_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- listpack (positions: byte offsets into the blob, 0 = none) ---- */
typedef struct lps lps_t; /* a listpack owned by the shim */
lps_t *lps_create(void);
void lps_destroy(lps_t *l);
const uint8_t *lps_data(const lps_t *l);
size_t lps_bytes(const lps_t *l);
unsigned long lps_length(const lps_t *l);
void lps_append(lps_t *l, const char *s, size_t n);
/* where: 0 before, 1 after, 2 replace. Returns the new entry's offset. */
size_t lps_insert(lps_t *l, size_t off, int where, const char *s, size_t n);
/* Returns the offset of the next entry (0 at the end). */
size_t lps_delete(lps_t *l, size_t off);
void lps_delete_range(lps_t *l, size_t off, unsigned long count);
size_t lps_first(const lps_t *l);
size_t lps_last(const lps_t *l);
size_t lps_next(const lps_t *l, size_t off);
size_t lps_prev(const lps_t *l, size_t off);
size_t lps_seek(const lps_t *l, long index);
size_t lps_find(const lps_t *l, size_t from, const char *s, size_t n, unsigned skip);
/* Entry as text into out (cap bytes); returns its length. *is_int tells
 * whether it is stored as an integer. */
size_t lps_get(const lps_t *l, size_t off, char *out, size_t cap, bool *is_int);
bool lps_eq(const lps_t *l, size_t off, const char *s, size_t n);
size_t lps_entry_size_for(const char *s, size_t n);
/* Validate an arbitrary blob. */
bool lps_validate(const uint8_t *p, size_t n, unsigned long *count);
/* Walk a blob that validated, forwards and backwards; true when both walks
 * agree with count (what the fuzz target asserts). */
bool lps_walk_both_ways(const uint8_t *p, size_t n, unsigned long count);

/* ---- hash type ---- */
typedef struct hs hs_t; /* a hash owned by the shim (the object may move) */
void hs_config(long long max_entries, long long max_value);
hs_t *hs_create(void);
void hs_destroy(hs_t *h);
hs_t *hs_dup(const hs_t *h);
bool hs_set(hs_t *h, const char *f, size_t fl, const char *v, size_t vl);
/* hash_prepare_set over n strings of the same length, then nothing else. */
void hs_prepare(hs_t *h, const char *const *s, const size_t *len, int n);
bool hs_get(const hs_t *h, const char *f, size_t fl, char *out, size_t cap, size_t *outlen);
bool hs_del(hs_t *h, const char *f, size_t fl);
size_t hs_len(const hs_t *h);
size_t hs_mem(const hs_t *h);
const char *hs_encoding(const hs_t *h);
typedef void (*hs_pair_fn)(void *arg, const char *f, size_t fl, const char *v, size_t vl);
void hs_iterate(const hs_t *h, hs_pair_fn fn, void *arg);
/* Random field into out; false when empty. */
bool hs_random(const hs_t *h, uint64_t r1, uint64_t r2, char *out, size_t cap, size_t *outlen);
/* DEBUG DIGEST-VALUE of a hash without TTL (type mixed in first). */
void hs_digest_value(const hs_t *h, char out[41]);
/* rdb_save into out; returns bytes (0 if cap too small); *type the RDB type. */
size_t hs_rdb_save(const hs_t *h, uint8_t *out, size_t cap, int *type);
/* rdb_load from a value payload; NULL with err (128 bytes) on failure.
 * *consumed gets the bytes read. */
hs_t *hs_rdb_load(int type, const uint8_t *p, size_t n, char *err, size_t *consumed);

#ifdef __cplusplus
}
#endif
#endif
