/* listpack.h: Redis's listpack, byte for byte (spec/rdb.md §7.1): a
 * sequence of strings and integers in one contiguous allocation, the
 * compact encoding of small hashes (and later of small sorted sets and of
 * list nodes). Because the bytes are exactly Redis's, an RDB value of type
 * HASH_LISTPACK is saved and loaded as a copy.
 *
 *   +------------+----------+---------+---------+-----+------+
 *   | total u32  | count u16| entry 0 | entry 1 | ... | 0xFF |
 *   +------------+----------+---------+---------+-----+------+
 *   entry = encoding+data | backlen (size of encoding+data, read right to left)
 *
 * count is the number of entries, or 65535 when there are at least that
 * many (then lp_length walks). Strings that are canonical int64 (what
 * ts_str_to_ll accepts) are stored as integers in the smallest form, as
 * Redis does; readers accept any form.
 *
 * A listpack is a plain ts_malloc'd byte array owned by its caller. Every
 * modifying call may move it: use the returned pointer and re-derive
 * entry pointers (the calls that take one return its new position).
 *
 * Untrusted blobs (RDB, RESTORE) must pass lp_validate before any other
 * call: it checks every entry's encoding and backlen within the blob in
 * O(size) time, and a blob that passes can be iterated both ways without
 * reading out of bounds. */
#ifndef TESSERA_LISTPACK_H
#define TESSERA_LISTPACK_H

#include "core/common.h"

#define LP_HDR_SIZE 6
#define LP_EOF 0xFF
/* Bytes a caller's buffer needs to hold an integer entry printed as text. */
#define LP_INTBUF 24
/* Largest listpack Tessera builds (Redis's LISTPACK_MAX_SAFETY_SIZE): a
 * collection converts to its hashtable form before growing past it. */
#define LP_SAFETY_SIZE (1u << 30)

/* One entry, decoded: a string (str != NULL, len bytes, pointing into the
 * listpack) or an integer (str == NULL, value in ival). */
struct lp_entry {
    const uint8_t *str;
    uint32_t len;
    long long ival;
};

enum lp_where { LP_BEFORE = 0, LP_AFTER = 1, LP_REPLACE = 2 };

/* An empty listpack (7 bytes). */
uint8_t *lp_create(void);
void lp_free(uint8_t *lp);
/* Total bytes (the header's u32). */
size_t lp_bytes(const uint8_t *lp);
/* Number of entries (walks when the header says 65535). */
unsigned long lp_length(const uint8_t *lp);

/* ---- Iteration: entry pointers, NULL past either end ---- */
uint8_t *lp_first(const uint8_t *lp);
uint8_t *lp_last(const uint8_t *lp);
uint8_t *lp_next(const uint8_t *lp, const uint8_t *p);
uint8_t *lp_prev(const uint8_t *lp, const uint8_t *p);
/* The entry at index (negative: from the end), NULL when out of range. */
uint8_t *lp_seek(const uint8_t *lp, long index);

/* Decode the entry at p. */
void lp_get(const uint8_t *p, struct lp_entry *e);
/* The entry as a string view; integers are printed into buf. */
struct sv lp_get_sv(const uint8_t *p, char buf[LP_INTBUF]);
/* True when the entry at p equals the string s (an integer entry equals
 * its decimal spelling). */
bool lp_eq(const uint8_t *p, const void *s, size_t n);

/* ---- Modification ---- */
/* Append s at the end. */
uint8_t *lp_append(uint8_t *lp, const void *s, size_t n);
/* Insert s before or after the entry at p, or replace it (LP_REPLACE); p
 * may be the terminator for LP_BEFORE (an append). *newp (if not NULL)
 * receives the position of the new entry in the returned listpack. */
uint8_t *lp_insert(uint8_t *lp, uint8_t *p, enum lp_where where, const void *s, size_t n, uint8_t **newp);
/* Delete the entry at p; *nextp (if not NULL) receives the position of the
 * entry that followed it (NULL at the end). */
uint8_t *lp_delete(uint8_t *lp, uint8_t *p, uint8_t **nextp);
/* Delete count entries starting at p (fewer if the listpack ends first). */
uint8_t *lp_delete_range(uint8_t *lp, uint8_t *p, unsigned long count);

/* Find the string s among the entries p, p + skip + 1, p + 2 * (skip + 1)...
 * (skip 1: the keys of a field/value listpack). NULL if absent. */
uint8_t *lp_find(const uint8_t *lp, const uint8_t *p, const void *s, size_t n, unsigned skip);

/* Bytes that the entry for s would take (encoding, data and backlen). */
size_t lp_entry_size_for(const void *s, size_t n);

/* Check an untrusted blob of size bytes: header, every entry (encoding in
 * range, data and backlen inside the blob, backlen consistent), the
 * terminator, and the header's count. Stores the entry count in *count
 * (if not NULL). Bounded: O(size), no allocation. */
bool lp_validate(const uint8_t *lp, size_t size, unsigned long *count);

#endif
