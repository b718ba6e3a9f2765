/* digest.h: SHA-1 and the order-independent dataset digest of DEBUG
 * DIGEST / DEBUG DIGEST-VALUE, computed the way redis-server computes it
 * so a Tessera node and a redis-server holding the same data (a replica
 * and its master, a node before and after a restart) report the same hex
 * string:
 *
 *   xor(d, p)  d ^= SHA1(p)                 (unordered elements: sets)
 *   mix(d, p)  d = SHA1(d ^ SHA1(p))        (ordered parts: a field then its value)
 *
 *   value digest (DIGEST-VALUE): mix(d, htonl(type)), then by type (obj.h
 *     digest hook; strings: mix(d, bytes)), then xor(d, "!!expire!!")
 *     when the key has a TTL
 *   key digest: mix(kd, key), then the value digest
 *   dataset:    mix(final, htonl(db)), then xor(final, key digest) for
 *               every key
 *
 * Since XOR commutes, each worker XORs its own keys' digests and the
 * results are XORed together in any order. */
#ifndef TESSERA_DIGEST_H
#define TESSERA_DIGEST_H

#include "core/common.h"

struct ts_sha1 {
    uint32_t h[5];
    uint64_t bytes;
    uint8_t block[64];
    size_t used;
};

void ts_sha1_init(struct ts_sha1 *s);
void ts_sha1_update(struct ts_sha1 *s, const void *p, size_t n);
void ts_sha1_final(struct ts_sha1 *s, uint8_t out[20]);

void digest_xor(uint8_t d[20], const void *p, size_t n);
void digest_mix(uint8_t d[20], const void *p, size_t n);
/* 40 lower-case hex digits and a NUL. */
void digest_hex(const uint8_t d[20], char out[41]);

struct kv;
/* The value digest of an entry (DEBUG DIGEST-VALUE), TTL marker included. */
void digest_value(const struct kv *e, uint8_t d[20]);
/* The key digest of an entry: key, type, value (DEBUG DIGEST's term). */
void digest_key(const struct kv *e, uint8_t d[20]);

#endif
