/* set_shim.h: plain-C wrappers for the set type's unit tests
 * (tests/unit/core/test_intset.cpp, test_set.cpp): the intset module, the
 * set object (obj_set.h) with its obj.h hooks, and a keyspace for memory
 * accounting. */
#ifndef TESSERA_SET_SHIM_H
#define TESSERA_SET_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- intset ---- */
typedef struct intset isx_t;
isx_t *isx_new(void);
void isx_free(isx_t *is);
isx_t *isx_add(isx_t *is, int64_t v, bool *added);
isx_t *isx_del(isx_t *is, int64_t v, bool *removed);
bool isx_find(const isx_t *is, int64_t v);
bool isx_get(const isx_t *is, size_t pos, int64_t *v);
size_t isx_len(const isx_t *is);
unsigned isx_width(const isx_t *is);
/* The blob bytes (what RDB stores) and their length. */
const uint8_t *isx_blob(const isx_t *is, size_t *len);
size_t isx_usable(const isx_t *is);
bool isx_validate(const void *blob, size_t size);

/* ---- set objects (void *) ---- */
void sets_set_max_intset(long long n); /* set-max-intset-entries */
void *sets_new_for(const char *m, size_t n);
void sets_free(void *o);
void *sets_dup(const void *o);
bool sets_add(void **o, const char *m, size_t n);    /* owned: moved-from blocks freed */
bool sets_remove(void **o, const char *m, size_t n);
/* Keyspace-style: returns whether the object moved (old kept alive until
 * the caller's free, as kv_obj_replace does); *old receives it. */
bool sets_add_keep(void **o, const char *m, size_t n, void **old);
bool sets_contains(const void *o, const char *m, size_t n);
size_t sets_size(const void *o);
size_t sets_mem(const void *o);
const char *sets_encoding(const void *o);      /* through the obj.h table */
/* Members in iteration order, each as an owned C string into out[i]
 * (caller frees with sets_free_strs); returns count. */
size_t sets_members(const void *o, char ***out, size_t **lens);
void sets_free_strs(char **s, size_t *lens, size_t n);
/* A random member (copied to buf); its length. */
size_t sets_random(const void *o, uint64_t r1, uint64_t r2, char *buf, size_t cap);
/* DEBUG DIGEST-VALUE of a set value without TTL (type mixed in). */
void sets_digest_hex(const void *o, char out[41]);
/* RDB hooks: save into out (returns bytes, *type = RDB type byte); load
 * from a payload, NULL with err filled on malformed input. */
size_t sets_rdb_save(const void *o, uint8_t *out, size_t cap, int *type);
void *sets_rdb_load(int type, const uint8_t *p, size_t n, char err[128]);
/* The type's RDB types accept list contains t. */
bool sets_rdb_accepts(int t);

/* ---- The set algebra (t_set_multi.c's tset_algebra) ---- */
enum { SETS_INTER = 0, SETS_UNION = 1, SETS_DIFF = 2 };
/* The result of op over sets[0..n) (NULL entries: missing keys) as a new
 * set the caller frees: what the STORE forms store, computed by the code
 * both the single-worker procs and the cross-worker parts run. */
void *sets_algebra(int op, void *const *sets, int n);

/* ---- Keyspace accounting ---- */
typedef struct ks sets_ks_t;
sets_ks_t *sets_ks_create(void);
void sets_ks_destroy(sets_ks_t *ks);
size_t sets_ks_mem(sets_ks_t *ks);
/* SADD/SREM the way the commands do it (create, commit each change,
 * delete the key when empty); returns members added/removed. */
long sets_ks_sadd(sets_ks_t *ks, const char *key, const char *m, size_t n);
long sets_ks_srem(sets_ks_t *ks, const char *key, const char *m, size_t n);
bool sets_ks_exists(sets_ks_t *ks, const char *key);
/* MEMORY USAGE-style figure of the key's entry (0 when missing). */
size_t sets_ks_entry_mem(sets_ks_t *ks, const char *key);

#ifdef __cplusplus
}
#endif
#endif
