/* obj_shim.h: plain-C wrappers for the value-type seam's unit tests
 * (tests/unit/core/test_obj.cpp): sdict, the RDB codec, SHA-1 and the
 * digest scheme, and a test collection type registered through obj.h. */
#ifndef TESSERA_OBJ_SHIM_H
#define TESSERA_OBJ_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- sdict ---- */
typedef struct sdict sds_t;
sds_t *sds_create(void);
void sds_destroy(sds_t *d);
sds_t *sds_dup(const sds_t *d);
size_t sds_size(const sds_t *d);
size_t sds_mem(const sds_t *d);
bool sds_set(sds_t *d, const char *k, size_t kl, const char *v, size_t vl);
bool sds_add(sds_t *d, const char *k, size_t kl);
bool sds_del(sds_t *d, const char *k, size_t kl);
/* Copies the value; false when absent. */
bool sds_get(sds_t *d, const char *k, size_t kl, char *out, size_t cap, size_t *outlen);
typedef void (*sds_key_fn)(void *arg, const char *k, size_t kl);
uint64_t sds_scan(sds_t *d, uint64_t cursor, sds_key_fn fn, void *arg);
size_t sds_iterate(sds_t *d, sds_key_fn fn, void *arg);
bool sds_random(sds_t *d, uint64_t r1, uint64_t r2, char *out, size_t cap, size_t *outlen);

/* ---- RDB codec: encode into out (returns bytes written, cap >= need) ---- */
size_t rdbs_put_len(uint64_t len, uint8_t *out, size_t cap);
size_t rdbs_put_str(const char *p, size_t n, uint8_t *out, size_t cap);
/* Decode one length / string; returns bytes consumed, 0 on error. */
size_t rdbs_get_len(const uint8_t *in, size_t n, uint64_t *len);
size_t rdbs_get_str(const uint8_t *in, size_t n, char *out, size_t cap, size_t *outlen);

/* ---- SHA-1 and digests (40 hex chars + NUL) ---- */
void dgs_sha1_hex(const void *p, size_t n, char out[41]);
void dgs_sha1_hex_chunks(const void *p, size_t n, size_t chunk, char out[41]);

/* ---- Value types: a test collection type (a counted byte blob) ---- */
#define OBJS_TEST_TYPE 9
void objs_register_test_type(void); /* idempotent */
/* Frees/dups performed on test objects so far. */
int objs_test_frees(void);
int objs_test_dups(void);
typedef struct ks objs_ks_t;
objs_ks_t *objs_ks_create(void);
void objs_ks_destroy(objs_ks_t *ks);
size_t objs_ks_mem(objs_ks_t *ks);
/* Store a new test object of size bytes under key. */
void objs_set_blob(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl, size_t size);
/* Grow key's blob to size bytes in place, reporting it (ks_obj_account). */
bool objs_grow_blob(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl, size_t size);
void objs_set_str(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl, const char *v, size_t vl);
bool objs_delete(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl);
/* -1 when missing. */
int objs_type(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl);
const char *objs_type_name(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl);
const char *objs_encoding(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl);
size_t objs_entry_mem(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl);
/* kv_value_dup from src, ks_set_value into dst. */
bool objs_copy(objs_ks_t *src, uint16_t slot, const char *k, size_t kl, objs_ks_t *dst, const char *dk, size_t dkl);
/* Size of the blob under key, or -1. */
long objs_blob_size(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl);
/* DEBUG DIGEST-VALUE of key as hex; false when missing. */
bool objs_digest_value(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl, char out[41]);
/* RDB round trip of key's value through its type's hooks into a new key. */
bool objs_rdb_roundtrip(objs_ks_t *ks, uint16_t slot, const char *k, size_t kl, const char *dk, size_t dkl);

#ifdef __cplusplus
}
#endif
#endif
