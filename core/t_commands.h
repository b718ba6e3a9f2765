/* t_commands.h: the string commands (t_string.c: GET, SET, INCR, APPEND,
 * ...) and the generic key commands (t_keys.c: DEL, EXISTS, RENAME, COPY,
 * OBJECT, MEMORY USAGE; t_expire.c: EXPIRE family, TTL, PERSIST).
 *
 * Every proc here runs on the worker that owns its keys: in cluster mode the
 * CROSSSLOT rule guarantees that for the multi-key commands too. In
 * standalone mode the keys of MGET/MSET/DEL/RENAME/... may live on several
 * workers; the multi-worker code then calls the per-key helpers below on
 * each owning worker (each helper touches one key of one shard, computes
 * the key's slot itself and reports what it writes to the write-effect
 * point, effect.h).
 *
 * Ownership: helpers returning a struct kvval hand it to the caller, which
 * must either store it (t_put_value) or free it (kvval_free), on any
 * thread. */
#ifndef TESSERA_T_COMMANDS_H
#define TESSERA_T_COMMANDS_H

#include "core/client.h"
#include "core/cmd.h"
#include "core/common.h"
#include "core/effect.h"
#include "core/keyspace.h"
#include "core/reply.h"
#include "core/shard.h"

/* ---- Registration ---- */
/* Register the command tables (call once at setup, before workers start). */
void t_string_register(void);
void t_keys_register(void);
void t_set_register(void); /* t_set.c: the set commands */
/* The tables themselves, ended by a NULL name (tests look commands up in
 * them without going through the global registry). */
const struct cmd_def *t_string_table(void);
const struct cmd_def *t_keys_table(void);
const struct cmd_def *t_set_table(void);

/* ks_lookup flags for a read on behalf of a client: CLIENT NO-TOUCH clients
 * do not update access time / frequency. */
static inline int
t_lookup_flags(uint32_t cflags)
{
    return (cflags & CL_NO_TOUCH) ? KS_LOOKUP_NOTOUCH : 0;
}

/* A read lookup of key found nothing: the "keymiss" event of class m, if
 * enabled (one relaxed load otherwise). */
static inline void
t_note_miss_event(struct shard *sh, struct sv key)
{
    if (unlikely(fx_wants(FX_KEY_MISS)))
        fx_keymiss(sh, key);
}

/* After a read lookup of key (Redis's lookupKeyRead): a keyspace hit or
 * miss for INFO and, on a miss, the "keymiss" event. OBJECT counts
 * without the event (Redis looks up with LOOKUP_NONOTIFY). */
static inline void
t_note_read(struct shard *sh, struct sv key, bool hit)
{
    ks_note_hit(sh->ks, hit);
    if (!hit)
        t_note_miss_event(sh, key);
}

/* ---- Per-key helpers (multi-worker split of multi-key commands) ----
 * lflags is t_lookup_flags(client flags); now_ms the command's time. */

/* COPY's options (argv[3..]): REPLACE and DB <n>, checked in Redis 7.0's
 * order -- left to right, each DB value as it is read (an integer, an
 * existing database), the "other database" rules after the last option,
 * so "DB 1 DB" is a syntax error. Returns NULL (then *replace is set) or
 * the error text. Shared by COPY on one worker and across workers. */
const char *t_copy_options(int argc, const struct sv *argv, bool *replace);

/* MGET element: writes one bulk reply (or null when the key is missing or
 * not a string) into r. Counts a keyspace hit/miss. */
void t_get_reply(struct shard *sh, struct sv key, int64_t now_ms, int lflags, struct reply *r);
/* MSET element: set key to val, clearing any TTL. */
void t_set_key(struct shard *sh, struct sv key, struct sv val);
/* DEL / UNLINK element: true if a live key was deleted (an expired key
 * counts as absent). */
bool t_del_key(struct shard *sh, struct sv key, int64_t now_ms);
/* EXISTS element: 1 if the key exists, else 0. Never touches the key.
 * count_stats: count a keyspace hit/miss (EXISTS does; MSETNX's existence
 * probe, a write-side lookup in Redis, does not). */
int t_exists_key(struct shard *sh, struct sv key, int64_t now_ms, bool count_stats);
/* TOUCH element: 1 if the key exists (its access time is updated). */
int t_touch_key(struct shard *sh, struct sv key, int64_t now_ms);
/* RENAME source: detach the value of key and delete the key. Returns NULL
 * if the key does not exist. *expire_ms receives its deadline or
 * KS_EXPIRE_NONE. */
struct kvval *t_take_value(struct shard *sh, struct sv key, int64_t now_ms, int64_t *expire_ms);
/* COPY source: a copy of the value of key (key unchanged), or NULL.
 * Counts a keyspace hit/miss unless lflags has T_LOOKUP_NOSTATS. */
#define T_LOOKUP_NOSTATS (1 << 8)
struct kvval *t_dup_value(struct shard *sh, struct sv key, int64_t now_ms, int lflags, int64_t *expire_ms);
/* RENAME / COPY destination: store v under key with expire_ms (absolute
 * unix ms or KS_EXPIRE_NONE), replacing any value; event is the keyspace
 * event ("rename_to", "copy_to"). When nx is set and the key exists,
 * nothing is stored, false is returned and the caller still owns v;
 * otherwise v is consumed and true returned. */
bool t_put_value(struct shard *sh, struct sv key, struct kvval *v, int64_t expire_ms, bool nx,
                 int64_t now_ms, const char *event);

/* COPY's options (argv[3..]): DB n (only 0) and REPLACE. False after
 * writing the error reply, with Redis's checks in Redis's order. */
bool t_copy_parse(int argc, const struct sv *argv, bool *replace, struct reply *r);

/* ---- Cross-worker parts (t_multikey.c, tx.h) ---- */
struct tx_ops;
extern const struct tx_ops t_mget_tx, t_mset_tx, t_msetnx_tx, t_del_tx, t_exists_tx, t_touch_tx, t_rename_tx,
    t_renamenx_tx, t_copy_tx;

#endif
