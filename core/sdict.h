/* sdict.h: a hash table of binary-safe strings, each with an optional
 * string value: the "hashtable" encoding of hashes (field -> value) and of
 * sets (members, no value), and later of sorted sets' member index.
 *
 * One allocation per element (key and value bytes inline after a 16-byte
 * header), chained buckets, power-of-two sizes, incremental rehashing
 * (every insert/delete moves one bucket, so no single call pays for a whole
 * resize), growth at load factor 1 and shrinking below 1/8. Scans use a
 * reverse-binary cursor, as the keyspace's per-slot tables do, so an
 * HSCAN/SSCAN cursor stays valid across resizes.
 *
 * An sdict is owned by one object, hence by one worker at a time; it is not
 * thread-safe. Element pointers (struct sdict_elem *) are valid until the
 * next modifying call on the same sdict. */
#ifndef TESSERA_SDICT_H
#define TESSERA_SDICT_H

#include "core/common.h"

struct sdict;
struct sdict_elem;

struct sdict *sdict_create(void);
/* Free the table and every element; sets *d = NULL. */
void sdict_destroy(struct sdict **d);
/* A deep copy. */
struct sdict *sdict_dup(const struct sdict *d);

size_t sdict_size(const struct sdict *d);
/* Bytes held (usable sizes of the struct, tables and elements); O(1). */
size_t sdict_mem(const struct sdict *d);

/* Find key; NULL if absent. Pure read: no rehash step. */
struct sdict_elem *sdict_find(const struct sdict *d, struct sv key);
/* Insert key with value val (val.ptr may be NULL for no value) or replace
 * the value of an existing key. Returns true when the key is new. val may
 * alias the element being replaced. */
bool sdict_set(struct sdict *d, struct sv key, struct sv val);
/* Insert key (no value) if absent; true when added. */
bool sdict_add(struct sdict *d, struct sv key);
/* Delete key; true when it was present. */
bool sdict_delete(struct sdict *d, struct sv key);

struct sv sdict_elem_key(const struct sdict_elem *e);
struct sv sdict_elem_val(const struct sdict_elem *e);

/* Visit the elements of one cursor step (one bucket of the smaller table
 * and its images in the larger one while rehashing); returns the next
 * cursor, 0 when the scan is complete. */
typedef void (*sdict_visit_fn)(void *arg, const struct sdict_elem *e);
uint64_t sdict_scan(const struct sdict *d, uint64_t cursor, sdict_visit_fn fn, void *arg);

/* A uniformly chosen bucket, then an element of its chain (Redis's
 * dictGetFairRandomKey is no fairer for our chain lengths). r1 and r2 are
 * random numbers supplied by the caller. NULL when empty. */
const struct sdict_elem *sdict_random(const struct sdict *d, uint64_t r1, uint64_t r2);

/* Iteration over every element, in table order. The sdict must not be
 * modified during an iteration. */
struct sdict_iter {
    struct sdict *d;
    int table;
    uint64_t bucket;
    struct sdict_elem *next;
};
void sdict_iter_init(struct sdict_iter *it, struct sdict *d);
const struct sdict_elem *sdict_iter_next(struct sdict_iter *it);

/* The string hash used by sdict (seeded, shared with the keyspace). */
uint64_t sdict_hash(const void *p, size_t n);

#endif
