/* obj_set.h: the set value type (OBJ_SET): its two encodings, the
 * conversion between them, and its obj.h operations table.
 *
 *   "intset"     sorted integers (intset.h), for sets whose members are all
 *                canonical 64-bit integers, up to set-max-intset-entries;
 *   "hashtable"  an sdict of members without values, everything else.
 *
 * The conversion is one way (intset -> hashtable), on the first member that
 * is not an integer or when the intset grows past set-max-intset-entries,
 * exactly when Redis 7.0 converts, so OBJECT ENCODING answers the same.
 *
 * A set is handled as a void * (what the keyspace entry stores). An intset
 * is a tagged pointer (low bit set) to its bare Redis-format blob, so a
 * small integer set costs one allocation of 8 + n * width bytes.
 *
 * Moving: a mutation that needs a new block (an intset outgrowing its
 * allocation or shrinking well below it, a conversion) never frees the
 * block it was given: it stores the new set in *op and the old one in
 * *old, which the caller frees (tset_free) or hands to kv_obj_replace
 * (which frees it and accounts the size change). Otherwise *old = NULL
 * and the caller reports the size change with ks_obj_account.
 *
 * Not thread-safe: a set belongs to one keyspace entry, or to one command
 * as a temporary result. */
#ifndef TESSERA_OBJ_SET_H
#define TESSERA_OBJ_SET_H

#include "core/common.h"
#include "core/sdict.h"

/* ---- Creation ---- */
/* An empty set able to hold first: an intset when first is an integer, a
 * hashtable otherwise (Redis's setTypeCreate). */
void *tset_new_for(struct sv first);
/* An empty intset (the starting point of SUNION/SINTERSTORE results). */
void *tset_new_intset(void);
/* An empty hashtable set. */
void *tset_new_hashtable(void);
void tset_free(void *o);
void *tset_dup(const void *o);

/* ---- Queries ---- */
size_t tset_size(const void *o);
/* Bytes held (allocator usable sizes); O(1). */
size_t tset_mem(const void *o);
bool tset_is_intset(const void *o);
bool tset_contains(const void *o, struct sv m);
/* Membership of an integer member (no formatting when o is an intset). */
bool tset_contains_int(const void *o, int64_t v);
/* A random member (r1, r2: random numbers). Integers are printed into
 * tmp. The set must not be empty. */
struct sv tset_random(const void *o, uint64_t r1, uint64_t r2, char tmp[24]);

/* ---- Mutation (see "Moving" above) ---- */
/* Add m; true when it was not a member. Converts to a hashtable as Redis
 * does. */
bool tset_add(void **op, struct sv m, void **old);
/* Remove m; true when it was a member. */
bool tset_remove(void **op, struct sv m, void **old);
/* The same for a set the caller owns outright: a moved-from block is
 * freed here. */
bool tset_add_owned(void **op, struct sv m);
bool tset_remove_owned(void **op, struct sv m);

/* ---- Iteration ----
 * intset: ascending integers; hashtable: table order. The set must not be
 * modified during an iteration. For integers, *is_int is set and *iv holds
 * the value; m points into it->tmp (printed) in either case. */
struct tset_iter {
    const void *o;
    size_t pos;
    struct sdict_iter di;
    char tmp[24];
};
void tset_iter_init(struct tset_iter *it, const void *o);
bool tset_iter_next(struct tset_iter *it, struct sv *m, bool *is_int, int64_t *iv);

/* SSCAN of a hashtable set: visit one cursor step; returns the next
 * cursor (0: done). Only for hashtable sets. */
typedef void (*tset_visit_fn)(void *arg, struct sv m);
uint64_t tset_scan(const void *o, uint64_t cursor, tset_visit_fn fn, void *arg);

/* The set-max-intset-entries limit in force (capped at 2^30, as Redis). */
size_t tset_max_intset_entries(void);

/* ---- Type registration ---- */
/* Register OBJ_SET with obj.h (obj_setup). */
void obj_set_register(void);

#endif
