/* t_set_int.h: what the two halves of the set commands share: t_set.c
 * (commands on one key: SADD, SREM, SISMEMBER, SMISMEMBER, SCARD, SPOP,
 * SRANDMEMBER, SSCAN, and the command table) and t_set_multi.c (SMOVE and
 * the set algebra: SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE,
 * SDIFF, SDIFFSTORE; SMEMBERS is SINTER of one key, as in Redis 7.0).
 * Private to those two files. */
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

#endif
