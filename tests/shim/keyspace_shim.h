/* keyspace_shim.h: plain-C wrappers over core/keyspace.h for the C++ unit
 * tests (tests/unit/core/test_keyspace.cpp). Keys and values are passed as
 * (pointer, length) pairs; entries are re-found by key on every call, so
 * C++ never holds a struct kv pointer across a modifying call. */
#ifndef TESSERA_KEYSPACE_SHIM_H
#define TESSERA_KEYSPACE_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ks kss_t;

/* Mirror keyspace.h constants (checked by static_assert in the .c). */
#define KSS_ENC_RAW 0
#define KSS_ENC_INT 1
#define KSS_ENC_EMBSTR 8
#define KSS_EMBSTR_MAX 44
#define KSS_EXPIRE_KEEP (-2)
#define KSS_EXPIRE_NONE (-1)
#define KSS_NOTOUCH 1
#define KSS_NOEXPIRE 2

kss_t *kss_create(void);
void kss_destroy(kss_t *ks);
void kss_set_clock(kss_t *ks, int64_t now_ms);

void kss_set_str(kss_t *ks, uint16_t slot, const char *k, size_t klen, const char *v, size_t vlen,
                 int64_t expire_ms);
/* ks_set_str_noint: never ENC_INT (INCRBYFLOAT's results). */
void kss_set_str_noint(kss_t *ks, uint16_t slot, const char *k, size_t klen, const char *v, size_t vlen,
                       int64_t expire_ms);
void kss_set_int(kss_t *ks, uint16_t slot, const char *k, size_t klen, long long v, int64_t expire_ms);
/* Lookup with flags; copies the value (up to cap bytes) and its length.
 * Returns false when missing (or expired and lazily deleted). */
bool kss_get(kss_t *ks, uint16_t slot, const char *k, size_t klen, int64_t now_ms, int flags,
             char *out, size_t cap, size_t *outlen);
bool kss_exists(kss_t *ks, uint16_t slot, const char *k, size_t klen, int64_t now_ms);
/* Metadata via a NOTOUCH|NOEXPIRE lookup; -1 / NULL when missing. */
int kss_encoding(kss_t *ks, uint16_t slot, const char *k, size_t klen);
const char *kss_encoding_name(kss_t *ks, uint16_t slot, const char *k, size_t klen);
bool kss_get_int(kss_t *ks, uint16_t slot, const char *k, size_t klen, long long *v);
int64_t kss_expire(kss_t *ks, uint16_t slot, const char *k, size_t klen);
bool kss_set_expire(kss_t *ks, uint16_t slot, const char *k, size_t klen, int64_t when_ms);
uint64_t kss_idle(kss_t *ks, uint16_t slot, const char *k, size_t klen, int64_t now_ms);
int kss_freq(kss_t *ks, uint16_t slot, const char *k, size_t klen);
size_t kss_entry_mem(kss_t *ks, uint16_t slot, const char *k, size_t klen);
uint16_t kss_entry_slot(kss_t *ks, uint16_t slot, const char *k, size_t klen);
bool kss_delete(kss_t *ks, uint16_t slot, const char *k, size_t klen);
/* Look up and delete through ks_delete_entry. */
bool kss_delete_entry(kss_t *ks, uint16_t slot, const char *k, size_t klen);

/* APPEND through ks_str_resize; returns the new length, or 0 if missing. */
size_t kss_append(kss_t *ks, uint16_t slot, const char *k, size_t klen, const char *d, size_t dlen);
/* SETRANGE-like: resize to newlen (zero padding) and return new length. */
size_t kss_resize(kss_t *ks, uint16_t slot, const char *k, size_t klen, size_t newlen);
/* kv_value_dup of (slot,k) in src, stored with ks_set_value at (dslot,dk)
 * in dst. Returns false when the source is missing. */
bool kss_copy(kss_t *src, uint16_t slot, const char *k, size_t klen, kss_t *dst, uint16_t dslot,
              const char *dk, size_t dklen, int64_t expire_ms);

/* SET key to its own current value, passing a view into the entry itself
 * (the aliasing case ks_set_str must survive). */
bool kss_self_overwrite(kss_t *ks, uint16_t slot, const char *k, size_t klen, int64_t expire_ms);

/* The calling thread's hash hint (keyspace.h ks_hint): a lookup of the
 * key at exactly k/klen takes h instead of hashing. */
void kss_set_hint(const char *k, size_t klen, uint64_t h);
void kss_clear_hint(void);
uint64_t kss_key_hash(const char *k, size_t klen);
uint64_t kss_count(kss_t *ks);
uint64_t kss_count_volatile(kss_t *ks);
uint64_t kss_count_slot(kss_t *ks, uint16_t slot);
size_t kss_mem_bytes(kss_t *ks);

typedef void (*kss_key_fn)(void *arg, const char *k, size_t klen);
uint64_t kss_scan_slot(kss_t *ks, uint16_t slot, uint64_t cursor, size_t count, int64_t now_ms,
                       kss_key_fn fn, void *arg);
size_t kss_slot_keys(kss_t *ks, uint16_t slot, size_t max, kss_key_fn fn, void *arg);
/* Copies a random key (up to cap bytes); false when none. */
bool kss_random(kss_t *ks, int64_t now_ms, char *out, size_t cap, size_t *outlen, uint16_t *slot);

void kss_flush(kss_t *ks);
uint64_t kss_flush_slot(kss_t *ks, uint16_t slot);
uint64_t kss_active_expire(kss_t *ks, int64_t now_ms, size_t budget);
void kss_cron(kss_t *ks, size_t budget);
/* Table shape of a slot: false if it has none. */
bool kss_table(kss_t *ks, uint16_t slot, uint64_t *used, uint64_t *buckets0, uint64_t *buckets1);

/* Slot hand-off: detach slot from src and attach it to dst; returns the
 * keys moved (0 when the slot was empty). */
uint64_t kss_move_slot(kss_t *src, kss_t *dst, uint16_t slot);
/* Detach and free (the path of a move abandoned at shutdown). */
uint64_t kss_detach_free(kss_t *ks, uint16_t slot);
/* A set value with n members "m0".."m{n-1}" (hashtable encoding when
 * members are not integers). */
void kss_set_set(kss_t *ks, uint16_t slot, const char *k, size_t klen, int n, int64_t expire_ms);

void kss_stats(kss_t *ks, uint64_t *expired, uint64_t *hits, uint64_t *misses);
void kss_reset_stats(kss_t *ks);
void kss_note_hit(kss_t *ks, bool hit);

#ifdef __cplusplus
}
#endif

#endif
