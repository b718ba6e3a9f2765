/* rdb_shim.h: plain-C wrappers for the RDB file layer's unit tests
 * (tests/unit/core/test_rdb*.cpp): CRC-64, a keyspace filled with every
 * kind of value, the whole keyspace written as an RDB file (the test-only
 * serializer: the product writes worker by worker), and the streaming
 * loader fed in chosen chunkings into another keyspace. */
#ifndef TESSERA_RDB_SHIM_H
#define TESSERA_RDB_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

uint64_t rdbx_crc64(uint64_t crc, const void *p, size_t n);

/* Register the value types and set Redis 7.0's default encoding limits
 * (hash-max-listpack-entries 512 / value 64, set-max-intset-entries 512),
 * which a unit test has no config file to take from. Idempotent. */
void rdbx_setup(void);

typedef struct ks rdbx_ks_t;
rdbx_ks_t *rdbx_ks_create(void);
void rdbx_ks_destroy(rdbx_ks_t *ks);
/* expire_ms: absolute unix ms, or -1. */
void rdbx_set_str(rdbx_ks_t *ks, const char *k, size_t kl, const char *v, size_t vl, int64_t expire_ms);
/* Add a field to a hash / a member to a set, creating the key (with that
 * TTL) when missing. */
void rdbx_hset(rdbx_ks_t *ks, const char *k, size_t kl, const char *f, size_t fl, const char *v, size_t vl,
               int64_t expire_ms);
void rdbx_sadd(rdbx_ks_t *ks, const char *k, size_t kl, const char *m, size_t ml, int64_t expire_ms);

/* Set a key's TTL (absolute unix ms); false when missing. */
bool rdbx_pexpireat(rdbx_ks_t *ks, const char *k, size_t kl, int64_t when_ms);

uint64_t rdbx_count(rdbx_ks_t *ks);
/* "string", "hash", "set"; NULL when missing. */
const char *rdbx_type(rdbx_ks_t *ks, const char *k, size_t kl);
const char *rdbx_encoding(rdbx_ks_t *ks, const char *k, size_t kl);
/* -2 when missing, -1 without TTL. */
int64_t rdbx_expire(rdbx_ks_t *ks, const char *k, size_t kl);
/* A string's value (copied up to cap; *len is its real length). */
bool rdbx_get_str(rdbx_ks_t *ks, const char *k, size_t kl, char *out, size_t cap, size_t *len);
bool rdbx_hget(rdbx_ks_t *ks, const char *k, size_t kl, const char *f, size_t fl, char *out, size_t cap,
               size_t *len);
bool rdbx_sismember(rdbx_ks_t *ks, const char *k, size_t kl, const char *m, size_t ml);
/* Fields of a hash / members of a set. */
size_t rdbx_len(rdbx_ks_t *ks, const char *k, size_t kl);
/* DEBUG DIGEST-VALUE of one key / DEBUG DIGEST of the keyspace (as db 0),
 * 40 hex digits. */
bool rdbx_digest_value(rdbx_ks_t *ks, const char *k, size_t kl, char out[41]);
void rdbx_digest(rdbx_ks_t *ks, char out[41]);

/* The whole keyspace as an RDB file of the given version: header, the AUX
 * fields Redis 7.0 writes (without replication info), SELECTDB 0, every
 * key, EOF and checksum. *out is malloc'd (free()). */
size_t rdbx_write(rdbx_ks_t *ks, int version, uint8_t **out);
/* The same from parts, for hand-built files: a header, and EOF + CRC of
 * everything in buf so far (appended in place; buf must have 9 spare
 * bytes). Return the bytes written. */
size_t rdbx_header(uint8_t *out, int version);
size_t rdbx_eof(uint8_t *buf, size_t len);

struct rdbx_result {
    int status;          /* RDB_LOAD_MORE 0, RDB_LOAD_DONE 1, RDB_LOAD_ERROR -1 */
    char err[256];
    uint64_t keys;       /* keys handed out */
    uint64_t empty;      /* empty collections skipped */
    size_t fed;          /* bytes given to the loader */
    size_t used;         /* bytes it took (fed minus what followed the checksum) */
    int version;
    int aux;             /* AUX fields seen */
    char redis_ver[32];  /* value of the redis-ver AUX field */
    int selects;         /* SELECTDB seen */
    uint64_t resize_keys, resize_expires;
    int stays_done;      /* a feed after DONE returned DONE and took nothing */
};

/* Feed p[0..n) to a new loader, loading keys into dst (NULL: keys are
 * dropped). Chunks: whole (chunk 0), fixed size chunk, or, with seed != 0,
 * random sizes in 1..chunk. Stops at the first non-MORE status and then
 * feeds the rest once more to check the loader stays in its final state.
 * abort_after: the key callback aborts at that key (0: never). */
void rdbx_load(rdbx_ks_t *dst, const uint8_t *p, size_t n, size_t chunk, uint32_t seed, uint64_t abort_after,
               struct rdbx_result *res);

#ifdef __cplusplus
}
#endif
#endif
