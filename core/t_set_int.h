/* t_set_int.h: what the parts of the set commands share: t_set.c
 * (commands on one key: SADD, SREM, SISMEMBER, SMISMEMBER, SCARD, SPOP,
 * SRANDMEMBER, SSCAN, and the command table) and t_set_multi.c (SMOVE and
 * the set algebra: SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE,
 * SDIFF, SDIFFSTORE; SMEMBERS is SINTER of one key, as in Redis 7.0) and
 * t_set_tx.c (the cross-worker parts of the latter). Private to those
 * files. */
#ifndef TESSERA_T_SET_INT_H
#define TESSERA_T_SET_INT_H

#include "core/cmd.h"
#include "core/effect.h"
#include "core/keyspace.h"
#include "core/obj_set.h"
#include "core/shard.h"
#include "core/slot.h"
#include "core/t_commands.h"

/* Slot of argv[1]: the dispatcher already computed it for the first key. */
static inline uint16_t
tset_first_slot(const struct cmd_ctx *c)
{
    return c->slot >= 0 ? (uint16_t)c->slot : slot_of_sv(c->argv[1]);
}

/* Slot of any key argument (argv[1]'s is cached). */
static inline uint16_t
tset_slot_of(const struct cmd_ctx *c, const struct sv *key)
{
    return key == &c->argv[1] ? tset_first_slot(c) : slot_of_sv(*key);
}

/* Look up a key that must hold a set. read: a read lookup, counted as a
 * keyspace hit or miss (Redis's lookupKeyRead); writes are not counted
 * (lookupKeyWrite). Returns the entry or NULL when missing; *wrong is set
 * when the key holds another type (the caller replies WRONGTYPE). */
static inline struct kv *
tset_lookup(struct cmd_ctx *c, const struct sv *key, bool read, bool *wrong)
{
    struct ks *ks = c->sh->ks;
    struct kv *e = ks_lookup(ks, tset_slot_of(c, key), *key, c->now_ms, t_lookup_flags(c->cflags));
    if (read)
        t_note_read(c->sh, *key, e != NULL);
    *wrong = e != NULL && kv_type(e) != OBJ_SET;
    return e;
}

/* After mutating the set of entry e: o is the set now (maybe a new
 * block), old the block it moved from or NULL, before the size it had.
 * Swaps the entry's object (freeing old) or accounts the size change. */
static inline void
tset_commit(struct ks *ks, struct kv *e, void *o, void *old, size_t before)
{
    if (old)
        kv_obj_replace(ks, e, o);
    else
        ks_obj_account(ks, before, tset_mem(o));
}

/* Reply with every member of o as a set (RESP3 '~'), in o's order. */
void tset_reply_members(struct reply *r, const void *o);
/* The union of the given sets (NULL entries are empty sets) as a new
 * set, built as Redis builds it (an intset until a member or the size
 * says otherwise), so its order and encoding match. */
void *tset_union_of(void *const *sets, int n);

/* ---- The set algebra (t_set_multi.c) ----
 * One implementation for both ways of getting the sets: looked up in place
 * by the procs (keys on one worker), or copied from every owning worker by
 * the cross-worker parts (t_set_tx.c). */
enum tset_op {
    TSET_INTER,     /* SINTER, SMEMBERS (one key), SINTERSTORE */
    TSET_INTERCARD, /* SINTERCARD */
    TSET_UNION,     /* SUNION, SUNIONSTORE */
    TSET_DIFF,      /* SDIFF, SDIFFSTORE */
};
/* op over sets[0..n), in key order; NULL entries are missing keys (empty
 * sets; one makes an intersection empty at once). Repeated keys should be
 * the same pointer (a shortcut, not needed for the result). r NULL: return
 * the result as a new set (caller owns it; never NULL), for the STORE
 * forms. Otherwise write the command's reply into r (members as a set, or
 * the size for TSET_INTERCARD, counting up to limit when not 0) and
 * return NULL. Reads the sets only. */
void *tset_algebra(int op, void *const *sets, int n, unsigned long long limit, struct reply *r);
/* Store res (owned, consumed) into dst, as SINTERSTORE & co. do: a
 * non-empty set replaces any value and TTL and is signalled with event;
 * an empty one deletes dst ("del" if it existed). Replies with the size
 * into r when r is not NULL (before the events, as Redis). Returns the
 * size. */
long long tset_store(struct shard *sh, uint16_t slot, struct sv dst, void *res, const char *event,
                     struct reply *r);
/* The keyspace event of op's STORE form ("sinterstore"...). */
const char *tset_store_event(int op);
/* SINTERCARD's arguments: numkeys, then every option, checked as Redis
 * checks them before any key is read. False after the error reply. */
bool tset_sintercard_parse(int argc, const struct sv *argv, int *nkeys, unsigned long long *limit,
                           struct reply *r);

/* SMOVE's two halves, on the worker owning each key. tset_move_out
 * removes member from the set of entry e (key), signalling "srem" and,
 * when it emptied, deleting the key with "del"; false when it was not a
 * member. tset_move_in adds member to the set of entry e, or creates key
 * (slot) when e is NULL, signalling "sadd" when it was new there. */
bool tset_move_out(struct shard *sh, struct kv *e, struct sv key, struct sv member);
void tset_move_in(struct shard *sh, uint16_t slot, struct sv key, struct kv *e, struct sv member);

/* The multi-key procs (t_set_multi.c), for the command table. */
void tset_cmd_smove(struct cmd_ctx *c);
void tset_cmd_sinter(struct cmd_ctx *c);
void tset_cmd_sintercard(struct cmd_ctx *c);
void tset_cmd_sinterstore(struct cmd_ctx *c);
void tset_cmd_sunion(struct cmd_ctx *c);
void tset_cmd_sunionstore(struct cmd_ctx *c);
void tset_cmd_sdiff(struct cmd_ctx *c);
void tset_cmd_sdiffstore(struct cmd_ctx *c);
int tset_sintercard_keys(int argc, struct sv *argv, int *idx, int n);

/* Their cross-worker parts (t_set_tx.c), the table's .tx. */
struct tx_ops;
extern const struct tx_ops tset_smove_tx, tset_sinter_tx, tset_sintercard_tx, tset_sinterstore_tx,
    tset_sunion_tx, tset_sunionstore_tx, tset_sdiff_tx, tset_sdiffstore_tx;

#endif
