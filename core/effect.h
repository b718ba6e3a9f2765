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

#include "core/buf.h"
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

/* Per-worker effect state, in struct shard.
 *
 * The stream: while replication wants it (stream_on, switched by the
 * worker itself when the replication thread asks), every effect is
 * appended to `stream` as a RESP command, in execution order. At the end
 * of each loop turn the runtime calls fx_turn_hook, which hands the bytes
 * to the replication thread in one batch (replication/). Effects of
 * different workers touch different keys, so the thread may merge the
 * batches of different workers in any order; only a worker's own order
 * matters, and one worker appends in the order it executes. A
 * transaction over several workers is the exception: see "Units". */
struct fx_state {
    uint64_t seq;        /* effects this worker has produced */
    uint32_t cmd_writes; /* fx_key calls by the running command */
    uint32_t cmd_props;  /* fx_propagate calls by the running command */
    bool stream_on;      /* replication takes this worker's stream */
    bool replica;        /* this node replicates: its own effects are not streamed, its master's stream is (verbatim) */
    bool from_master;    /* (replica) the running command comes from our master: it sees expired keys */
    bool turn_hook;      /* run fx_turn_hook at the end of every loop turn (replicas fed here, ...) */
    /* MULTI/EXEC of a transaction part running here (fx_tx_begin/end) */
    int tx_depth;
    uint32_t tx_writes;      /* commands with effects since fx_tx_begin */
    bool tx_wrapped;         /* MULTI went in before the first: EXEC is due at fx_tx_end */
    size_t tx_mark;          /* stream.len before the first of them */
    uint64_t tx_flushes;     /* `flushes` at that moment */
    uint64_t flushes;        /* batches handed over so far */
    uint64_t appended;       /* atomic: bytes ever appended to stream (WAIT compares it with what was merged) */
    uint64_t discarded;      /* atomic: of those, dropped unsent (the stream switched off) */
    uint64_t ncmds;          /* commands appended (a capture counts its own) */
    struct ts_buf stream;    /* RESP commands not yet handed to replication */
    /* Cross-worker transaction markers at positions of `stream` (see
     * "Units" below); handed over with the bytes. */
    struct fx_mark *marks;
    uint32_t nmarks, capmarks;
};

/* Some worker streams (relaxed atomic, set by replication): commands whose
 * effects cannot be streamed yet are refused while it is set. */
extern int fx_stream_active;
/* This node is a replica whose link to its master is up (relaxed atomic,
 * set by replication): replica-serve-stale-data reads it. */
extern int g_fx_link_up;

/* Run by the runtime at the end of a loop turn when stream.len > 0 or
 * turn_hook is set (installed by replication; NULL: none). */
extern void (*fx_turn_hook)(struct shard *sh);

/* The runtime around every command proc: */
static inline void
fx_command_begin(struct fx_state *fx)
{
    fx->cmd_writes = 0;
    fx->cmd_props = 0;
}
void fx_stream_command(struct shard *sh, int argc, const struct sv *argv);
/* A command that changed keys and gave no fx_propagate form goes into the
 * stream as it was sent. */
#define fx_command_end(sh, argc, argv)                                                                   \
    do {                                                                                                 \
        if (unlikely((sh)->fx.cmd_writes != 0) && (sh)->fx.cmd_props == 0 && (sh)->fx.stream_on &&         \
            !(sh)->fx.replica)                                                                           \
            fx_stream_command((sh), (argc), (argv));                                                     \
    } while (0)
/* Bytes of our master's stream, applied here, go into ours verbatim (a
 * replica's backlog and its own replicas share its master's offsets). */
void fx_stream_raw(struct shard *sh, const void *p, size_t n);
/* A command of our master's stream was taken (its n bytes at p): into our
 * stream, and the applied offset (g_fx_applied) moves past it. */
void fx_master_applied(struct shard *sh, const char *p, size_t n);
extern int64_t g_fx_applied; /* atomic: our master's stream applied up to here (replica) */
extern int64_t g_fx_master_io_ms; /* atomic: unix ms of the last command from our master */
/* A transaction part (EXEC) starts / ends on this worker: two or more
 * commands with effects between the calls go out wrapped in MULTI/EXEC,
 * one alone as it is (as Redis 7.0 propagates EXEC). Nested calls count
 * once. */
void fx_tx_begin(struct shard *sh);
void fx_tx_end(struct shard *sh);

/* ---- Units: a write transaction with parts on several workers ----
 *
 * Its effects must reach the stream as one MULTI/EXEC (or one command),
 * ordered with each participant's own effects on the same keys, although
 * each worker hands over its stream on its own. So (core/tx.c):
 *   - each participant, when it queues the transaction, marks its stream
 *     FX_MARK_QUEUED: its effects before the mark precede the unit;
 *   - the parts' effects are captured (fx_capture_*) instead of streamed,
 *     and the coordinator gives them, in phase order, to fx_unit_hook
 *     before any participant releases its intents;
 *   - each participant, at its release, marks FX_MARK_RELEASED: its
 *     effects after the mark follow the unit.
 * Between the two marks no other effect of that worker touches the
 * transaction's keys (its intents make them wait), so the replication
 * thread may put the unit anywhere between them: once it has merged every
 * participant up to its QUEUED mark, and before it merges any past its
 * RELEASED mark (replication/repl_unit.c). */
enum fx_mark_kind { FX_MARK_QUEUED = 1, FX_MARK_RELEASED = 2 };
struct fx_mark {
    size_t pos;   /* bytes of the stream buffer before it */
    uint64_t id;  /* the transaction's */
    int kind;     /* enum fx_mark_kind */
};
void fx_mark_put(struct shard *sh, int kind, uint64_t id);

/* A unit for the replication thread; it owns data and qw. */
struct fx_unit {
    uint64_t id;     /* transaction id: units of conflicting transactions come in id order */
    uint64_t seq;    /* set by replication when it takes the unit (WAIT) */
    int origin;      /* the coordinator's worker */
    int nq;
    int *qw;         /* workers whose QUEUED mark must be merged first */
    char *data;
    size_t len;
    struct fx_unit *next;
};
/* Installed by replication: take u (any worker thread). NULL: no taker. */
extern void (*fx_unit_hook)(struct fx_unit *u);

/* While a capture is open, this worker's effects go into *dst instead of
 * its stream (the part of a unit running here). */
struct fx_capture {
    struct ts_buf saved;
    uint64_t appended, ncmds;
    int tx_depth;
};
void fx_capture_begin(struct shard *sh, struct ts_buf *dst, struct fx_capture *c);
/* Close it: the commands it took. */
uint64_t fx_capture_end(struct shard *sh, struct ts_buf *dst, struct fx_capture *c);

void fx_key(struct shard *sh, int cls, const char *event, struct sv key);
void fx_propagate(struct shard *sh, int argc, const struct sv *argv);
/* Deterministic forms of common rewrites (spec/replication.md §4.3), each
 * an fx_propagate that builds its arguments only while streaming:
 *   SET key val PXAT ms        (SET EX/PX/EXAT, SETEX, PSETEX)
 *   SET key val KEEPTTL        (INCRBYFLOAT)
 *   PEXPIREAT key ms           (EXPIRE family, GETEX EX/PX/EXAT/PXAT)
 *   <name> key                 (DEL for GETDEL or a past deadline, PERSIST) */
void fx_propagate_set_pxat(struct shard *sh, struct sv key, struct sv val, int64_t when_ms);
void fx_propagate_set_keepttl(struct shard *sh, struct sv key, struct sv val);
void fx_propagate_pexpireat(struct shard *sh, struct sv key, int64_t when_ms);
void fx_propagate_key(struct shard *sh, const char *name, struct sv key);

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
