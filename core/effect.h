/* effect.h: the one write-effect point (DESIGN.md, seam 2).
 *
 * Every change of the dataset, whoever causes it (a command, lazy or active
 * expiry, eviction, a cross-worker transaction, RESTORE, FLUSH), ends in
 * calls here, on the worker that owns the key:
 *
 *   fx_key(sh, FX_HASH, "hset", key)   the key changed: WATCH invalidation,
 *                                      the keyspace notification for
 *                                      (class, event), and the running
 *                                      command is marked as a write
 *   fx_propagate(sh, argc, argv)       what the replication stream and the
 *                                      AOF get instead of the running
 *                                      command's own arguments, in a
 *                                      deterministic form (SET EX -> SET
 *                                      PXAT, SPOP -> SREM, INCRBYFLOAT ->
 *                                      SET KEEPTTL); may be called several
 *                                      times for several commands
 *
 * A command that called fx_key and not fx_propagate is propagated as it
 * was sent. Each propagated command gets the worker's next effect sequence
 * number. Consumers (keyspace notifications today; the replication stream,
 * the AOF and WAIT later) read effects from here and nowhere else.
 *
 * Call fx_key where Redis calls notifyKeyspaceEvent, with the same class
 * and event name and in the same order (e.g. HDEL emptying a hash: "hdel"
 * then "del"), so subscribers see what redis-server would send. event may
 * be NULL for a change that Redis signals without a notification. */
#ifndef TESSERA_EFFECT_H
#define TESSERA_EFFECT_H

#include "core/common.h"

struct shard;

/* Keyspace event classes: the letters of notify-keyspace-events. */
enum fx_class {
    FX_GENERIC = 1 << 0,  /* g: DEL, EXPIRE, RENAME, ... */
    FX_STRING = 1 << 1,   /* $ */
    FX_LIST = 1 << 2,     /* l */
    FX_SET = 1 << 3,      /* s */
    FX_HASH = 1 << 4,     /* h */
    FX_ZSET = 1 << 5,     /* z */
    FX_EXPIRED = 1 << 6,  /* x */
    FX_EVICTED = 1 << 7,  /* e */
    FX_STREAM = 1 << 8,   /* t */
    FX_KEY_MISS = 1 << 9, /* m (not in A) */
    FX_MODULE = 1 << 10,  /* d */
    FX_NEW = 1 << 11,     /* n (not in A) */
    FX_KEYSPACE = 1 << 12, /* K: __keyspace@<db>__ channel */
    FX_KEYEVENT = 1 << 13, /* E: __keyevent@<db>__ channel */
};
/* A: every class but m and n. */
#define FX_ALL (FX_GENERIC | FX_STRING | FX_LIST | FX_SET | FX_HASH | FX_ZSET | FX_EXPIRED | FX_EVICTED | FX_STREAM | FX_MODULE)

/* Per-worker effect state, in struct shard. */
struct fx_state {
    uint64_t seq;        /* effects this worker has produced */
    uint32_t cmd_writes; /* fx_key calls by the running command */
    uint32_t cmd_props;  /* fx_propagate calls by the running command */
};

void fx_key(struct shard *sh, int cls, const char *event, struct sv key);
void fx_propagate(struct shard *sh, int argc, const struct sv *argv);
/* A key expired and was deleted (lazily on access or by the active cycle):
 * the "expired" notification, WATCH invalidation and a DEL of its own in
 * the stream; the running command, if any, is not marked as a write. */
void fx_expired(struct shard *sh, struct sv key);

/* A key was evicted for maxmemory (evict.h): WATCH invalidation, the
 * "evicted" notification (class e) and a DEL of its own in the stream;
 * the running command, if any, is not marked as a write. */
void fx_evicted(struct shard *sh, struct sv key);

/* A key was created ("new", class n). The keyspace calls it on every
 * insert when fx_wants(FX_NEW). */
void fx_new(struct shard *sh, struct sv key);

/* A read lookup found no key ("keymiss", class m, as Redis's lookupKey
 * for reads): a notification only, no change of the dataset. */
void fx_keymiss(struct shard *sh, struct sv key);

/* ---- notify-keyspace-events ---- */
extern int fx_notify_flags; /* atomic; read through fx_wants */
/* True when notifications of class cls are enabled: one relaxed load, for
 * call sites on the hot path. */
static inline bool
fx_wants(int cls)
{
    return (__atomic_load_n(&fx_notify_flags, __ATOMIC_RELAXED) & cls) != 0;
}

/* Class letters to flags ("KEA" -> FX_KEYSPACE|FX_KEYEVENT|FX_ALL); -1 on
 * a character that is not a class. */
int fx_classes_parse(const char *s);
/* Flags to Redis's canonical letters, as CONFIG GET shows them. */
void fx_classes_format(int flags, char out[32]);
/* Publish the classes notifications are sent for (config commit). */
void fx_set_notify(int flags);
int fx_get_notify(void);

#endif
