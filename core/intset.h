/* intset.h: a sorted array of distinct integers in Redis's intset format
 * (spec/rdb.md §7.2): the "intset" encoding of small all-integer sets, and
 * the payload of RDB type SET_INTSET (11), so saving is a copy of the blob
 * and loading is a validation of it.
 *
 *   0          4          8
 *   +----------+----------+-------------------------------------+
 *   | width    | length   | length x int<width*8>_t, ascending   |
 *   | u32 LE   | u32 LE   | little-endian, no duplicates         |
 *   +----------+----------+-------------------------------------+
 *   width = 2, 4 or 8: the smallest that fits every element
 *
 * Adding a value that needs a wider type upgrades the whole array (as
 * Redis's intsetUpgradeAndAdd); widths never shrink (as Redis). Lookups
 * are binary searches. The blob is one allocation with no hidden header,
 * so its usable size is its memory cost.
 *
 * Two styles of mutation:
 *  - intset_add / intset_del: realloc-style, may move the blob (the old
 *    pointer is then invalid), for code that owns the pointer;
 *  - intset_need / intset_insert / intset_remove: in place within a block
 *    the caller sized, so a caller that must keep the old block alive until
 *    it swaps pointers (a keyspace entry) decides when to move.
 *
 * Untrusted blobs (RDB, RESTORE) must pass intset_validate before any other
 * call. Not thread-safe; owned by one set object. */
#ifndef TESSERA_INTSET_H
#define TESSERA_INTSET_H

#include "core/common.h"

struct intset;

#define INTSET_HDR 8

/* An empty intset of width 2 (8 bytes). */
struct intset *intset_new(void);
void intset_free(struct intset *is);
/* An exact copy in a new block. */
struct intset *intset_dup(const struct intset *is);

size_t intset_len(const struct intset *is);
/* Bytes of the blob: 8 + len * width (what RDB stores). */
size_t intset_blob_len(const struct intset *is);
/* Element width in bytes: 2, 4 or 8. */
unsigned intset_width(const struct intset *is);

/* True if v is an element. */
bool intset_find(const struct intset *is, int64_t v);
/* Element at pos (ascending order); false past the end. */
bool intset_get(const struct intset *is, size_t pos, int64_t *v);

/* Realloc-style: insert v; *added tells whether it was new. Returns the
 * (maybe moved) blob. */
struct intset *intset_add(struct intset *is, int64_t v, bool *added);
/* Realloc-style: delete v; *removed tells whether it was there. The blob
 * is shrunk to its new size. */
struct intset *intset_del(struct intset *is, int64_t v, bool *removed);

/* In place: bytes the blob needs to also hold v (its current size when v
 * is already an element). */
size_t intset_need(const struct intset *is, int64_t v);
/* In place: insert v, which must be absent, into a block of at least
 * intset_need(is, v) bytes. */
void intset_insert(struct intset *is, int64_t v);
/* In place: delete v; true when it was there. The block is not shrunk. */
bool intset_remove(struct intset *is, int64_t v);

/* Check an untrusted blob of size bytes: a width of 2, 4 or 8, size equal
 * to 8 + length * width, at least one element (Redis refuses an empty
 * intset the same way), and strictly ascending elements (which also rules
 * out duplicates). */
bool intset_validate(const void *blob, size_t size);

#endif
