/* cmd.h: the command table and the context a command runs in.
 *
 * Every command is a struct cmd_def in a module's table, registered at
 * setup (cmd_register_table). The dispatcher (net/) looks a command up,
 * checks arity, decides which worker runs it, and calls its proc with a
 * struct cmd_ctx. Key-based commands run on the worker that owns the slot of
 * their first key; keyless commands run on the client's own worker.
 *
 *   client's worker                      slot owner (maybe the same)
 *   parse -> lookup -> arity -> route -> proc(ctx) -> reply bytes
 *                                  \__ ring __/         \__ ring back, in order
 *
 * A proc writes exactly one reply through ctx->r (reply.h), unless it hands
 * the command on with cmd_forward / cmd_fanout, whose machinery then
 * produces the reply.
 */
#ifndef TESSERA_CMD_H
#define TESSERA_CMD_H

#include "core/buf.h"
#include "core/client.h"
#include "core/common.h"
#include "core/reply.h"

struct shard;
struct cmd_def;

/* Command flags; names (cmd_flag_names) are Redis's, for COMMAND INFO. */
enum cmd_flag {
    CMD_WRITE = 1 << 0,
    CMD_READONLY = 1 << 1,
    CMD_DENYOOM = 1 << 2,
    CMD_ADMIN = 1 << 3,
    CMD_PUBSUB = 1 << 4,
    CMD_NOSCRIPT = 1 << 5,
    CMD_BLOCKING = 1 << 6,
    CMD_LOADING = 1 << 7,
    CMD_STALE = 1 << 8,
    CMD_SKIP_MONITOR = 1 << 9,
    CMD_SKIP_SLOWLOG = 1 << 10,
    CMD_FAST = 1 << 11,
    CMD_NO_AUTH = 1 << 12,
    CMD_MAY_REPLICATE = 1 << 13,
    CMD_NO_MANDATORY_KEYS = 1 << 14,
    CMD_NO_MULTI = 1 << 15,
    CMD_MOVABLE_KEYS = 1 << 16,
    CMD_ALLOW_BUSY = 1 << 17,
    /* Tessera-internal routing flags (not shown by COMMAND) */
    CMD_ASKING = 1 << 24,       /* behaves as if ASKING (RESTORE-ASKING) */
    CMD_CONTAINER = 1 << 25,    /* has subcommands (CLIENT, CONFIG, ...) */
    CMD_SUBSCRIBED_OK = 1 << 26, /* allowed in a RESP2 subscribed context ((P|S)(UN)SUBSCRIBE, PING, QUIT, RESET) */
    CMD_TX_CONTROL = 1 << 27,    /* runs at once inside MULTI instead of being queued (MULTI, EXEC, DISCARD, WATCH, QUIT, RESET) */
    CMD_LOCAL_ONLY = 1 << 28,    /* keyless, reads and writes no data, never fans out nor forwards (PING, ECHO):
                                  * EXEC need not lock every worker for it, as it must for any other keyless
                                  * command queued in MULTI (multi_exec.c) */
};

/* What the dispatcher may do with a command:
 *  ROUTE_KEYS        key arguments decide the worker (first_key/last_key/step);
 *  ROUTE_LOCAL       run on the client's worker with ctx->cl set (no keys);
 *  ROUTE_LOCAL_KEYS  the key positions count for cluster checks (-MOVED,
 *                    CROSSSLOT) and COMMAND INFO, but the command runs on the
 *                    client's worker with ctx->cl set: SSUBSCRIBE's "keys"
 *                    are shard channels, whose state lives with the client. */
enum cmd_route { ROUTE_LOCAL = 0, ROUTE_KEYS = 1, ROUTE_LOCAL_KEYS = 2 };

struct cmd_ctx {
    struct shard *sh;          /* the worker executing the command */
    struct client *cl;         /* issuing client: set only when executing on the client's worker */
    const struct cmd_def *cmd; /* the command (the subcommand for containers) */
    int argc;
    struct sv *argv;
    struct reply *r;
    int64_t now_ms;            /* unix ms, cached per loop turn */
    uint32_t cflags;           /* client flags copied at dispatch (CL_NO_TOUCH, ...) */
    uint64_t client_id;
    int slot;                  /* slot of the first key, -1 for keyless */
    /* Set by cmd_forward/cmd_fanout; read by the dispatcher after proc. */
    int forward_to;            /* >= 0: run proc again on this worker */
    int forward_slot;          /* >= 0: ... as a request about this slot (cmd_forward_slot) */
    bool in_exec;              /* run by EXEC: the proc must answer now (no cmd_defer, fan-out, forward) */
    void *fanout;              /* non-NULL: a fan-out (or a deferred reply) was started */
    struct tx *tx;             /* non-NULL: a prepared transaction to launch (cmd_tx) */
};

typedef void (*cmd_proc_fn)(struct cmd_ctx *c);
/* Key positions for commands whose keys are not a fixed range: fills
 * idx[] with argv indexes of the keys, returns how many (max n), or -1 on a
 * syntax error (then the command's proc reports it). */
typedef int (*cmd_getkeys_fn)(int argc, struct sv *argv, int *idx, int n);

struct tx_ops; /* tx.h: a command's per-worker parts when its keys live on several workers */

struct cmd_def {
    const char *name;     /* lower case; "client|list" style is built from parent */
    int arity;            /* Redis convention: N exact, -N at least N */
    uint32_t flags;       /* enum cmd_flag */
    uint8_t route;        /* enum cmd_route */
    int8_t first_key;     /* argv index of the first key, 0 if none */
    int8_t last_key;      /* last key index, negative counts from the end (-1 = last arg) */
    int8_t key_step;
    cmd_proc_fn proc;
    cmd_getkeys_fn getkeys;      /* for CMD_MOVABLE_KEYS */
    const struct tx_ops *tx;     /* per-worker parts across workers, standalone mode (tx.h); NULL: not splittable */
    const struct cmd_def *subcommands; /* container commands: table ended by a NULL name */
    const char *acl;      /* ACL categories without '@', space separated: "write string slow" */
    const char *group;    /* COMMAND DOCS group: "string", "generic", "server", "connection", "cluster" */
    const char *since;    /* first Redis version with the command */
    const char *summary;  /* COMMAND DOCS summary */
    const char *ks_flags; /* key-spec flags for COMMAND INFO, e.g. "RW ACCESS UPDATE" (NULL = derived) */
    /* COMMAND GETKEYSANDFLAGS: the flags of the nth key (0-based) when they
     * differ per key or depend on the arguments, as Redis's key specs and
     * getkeys procs give them (RENAME's target is "OW UPDATE", SET without
     * GET "OW UPDATE"); NULL = ks_flags for every key. */
    const char *(*key_flags)(int argc, const struct sv *argv, int nth);
};

/* ---- Registry ---- */
/* Register a table ended by an entry with a NULL name. Not thread-safe:
 * call during setup, before workers start. */
void cmd_register_table(const struct cmd_def *table);
/* Look up a command by name, case-insensitively. NULL if unknown. */
const struct cmd_def *cmd_lookup(struct sv name);
/* The last name a worker looked up, byte for byte as the client sent it:
 * a pipeline repeats one command, and an exact match skips the hash probe
 * and the case-insensitive compare. The table never changes after setup,
 * so a cached definition stays valid. */
struct cmd_name_cache {
    const struct cmd_def *def; /* NULL: empty */
    uint8_t len;
    char bytes[23];
};
static inline const struct cmd_def *
cmd_lookup_cached(struct cmd_name_cache *c, struct sv name)
{
    if (name.len == c->len && c->def) {
        size_t i = 0;
        while (i < name.len && name.ptr[i] == c->bytes[i])
            i++;
        if (i == name.len)
            return c->def;
    }
    const struct cmd_def *d = cmd_lookup(name);
    if (d && name.len <= sizeof(c->bytes)) {
        memcpy(c->bytes, name.ptr, name.len);
        c->len = (uint8_t)name.len;
        c->def = d;
    }
    return d;
}
/* Look up the subcommand argv[1] of a container; NULL if unknown. */
const struct cmd_def *cmd_lookup_sub(const struct cmd_def *parent, struct sv sub);
/* Iterate all top-level commands (COMMAND, COMMAND COUNT/LIST). */
size_t cmd_count(void);
const struct cmd_def *cmd_at(size_t i);
/* Check arity: true if argc is acceptable. */
static inline bool
cmd_arity_ok(const struct cmd_def *d, int argc)
{
    return d->arity >= 0 ? argc == d->arity : argc >= -d->arity;
}
/* Fill idx[] with the argv indexes of the command's keys; returns count,
 * or -1 when getkeys reported a syntax error. */
int cmd_get_keys_slow(const struct cmd_def *d, int argc, struct sv *argv, int *idx, int n);
static inline int
cmd_get_keys(const struct cmd_def *d, int argc, struct sv *argv, int *idx, int n)
{
    /* One fixed key (GET, SET, HSET...): every request takes this. */
    if (d->getkeys == NULL && d->first_key > 0 && d->first_key == d->last_key && d->first_key < argc && n > 0) {
        idx[0] = d->first_key;
        return 1;
    }
    return cmd_get_keys_slow(d, argc, argv, idx, n);
}
/* The error text (no leading '-') for an unknown command, byte for byte
 * as Redis 7.0's processCommand builds it: the name cut at 128 bytes, then
 * "'arg' " per argument while that list is shorter than 128 bytes, each
 * argument cut to what is left of the 128 -- one budget for all of them.
 * A NUL byte ends a name or an argument (Redis formats with %s). Writes at
 * most cap bytes including the NUL (CMD_UNKNOWN_MSG_MAX always fits);
 * returns the length. */
#define CMD_UNKNOWN_MSG_MAX 512
size_t cmd_unknown_command_msg(char *out, size_t cap, int argc, const struct sv *argv);

/* Reply for an unknown subcommand: "ERR unknown subcommand 'x'. Try CMD HELP." */
void cmd_reply_unknown_sub(struct cmd_ctx *c);

/* ---- Handing a command on (implemented by the runtime) ---- */
/* Re-run this command's proc on worker w (e.g. SCAN on the owner of the
 * cursor's slot). The proc must return right after calling it. */
void cmd_forward(struct cmd_ctx *c, int worker);

/* Re-run this command's proc where slot's keys are (its owner in the
 * table), going through the slot hand-off's gate there like a keyed
 * command: while the slot moves between workers it waits until its keys
 * have arrived (slot_move.h). For procs that act on a slot's keys
 * (COUNTKEYSINSLOT, SCAN, DEBUG OBJECT...), when slot_move_where says the
 * slot does not run here. The proc must return right after calling it. */
void cmd_forward_slot(struct cmd_ctx *c, int slot);

/* Fan-out: run each(sh, state, worker) on every worker (concurrently: each
 * call may only write its own worker's part of state), then done(state, r,
 * cl) on the client's worker, which writes the reply; then free_state(state).
 * cl is the issuing client (still connected or NULL). Used by DBSIZE, KEYS,
 * FLUSHALL, CLIENT LIST, ... The proc must return right after calling it. */
typedef void (*fanout_each_fn)(struct shard *sh, void *state, int worker);
typedef void (*fanout_done_fn)(void *state, struct reply *r, struct client *cl);
void cmd_fanout(struct cmd_ctx *c, void *state, fanout_each_fn each, fanout_done_fn done,
                void (*free_state)(void *state));
/* The same, on the workers whose bit is set in mask (bit w of
 * mask[w / 64]; at least one). PUBLISH skips workers without subscribers.
 * Messages to one worker keep their order, so two fan-outs from one
 * connection run each() in issue order on every worker they share. */
#define CMD_FANOUT_MASK_WORDS (MAX_WORKERS / 64)
void cmd_fanout_some(struct cmd_ctx *c, void *state, const uint64_t *mask, fanout_each_fn each,
                     fanout_done_fn done, void (*free_state)(void *state));
/* ---- Answering later ----
 * A proc that hands its work to another thread (a slot move, the cluster
 * thread) calls cmd_defer and returns at once; the reply comes later,
 * from any thread, through cmd_deferred_reply (complete RESP bytes, built
 * for cmd_deferred_resp's protocol version), and the runtime releases it
 * in request order. When the proc ran on the client's worker, the
 * connection executes none of its later commands before the reply is in,
 * as if the command had run inline (CLUSTER ADDSLOTS then SET on that slot
 * in one pipeline finds the slot assigned). The handle is freed by the
 * runtime after the reply. */
struct cmd_deferred {
    int state;        /* atomic: 0 new, 1 bound to its request, 2 replied */
    int origin;       /* the client's worker */
    void *req;        /* the runtime's request waiting for the reply */
    uint8_t resp;
    bool error;
    bool hold;        /* runtime: the client's connection parses nothing more until the reply */
    struct ts_buf reply;
};
struct cmd_deferred *cmd_defer(struct cmd_ctx *c);
static inline uint8_t
cmd_deferred_resp(const struct cmd_deferred *d)
{
    return d->resp;
}
void cmd_deferred_reply(struct cmd_deferred *d, const char *bytes, size_t len, bool error);
/* From a fan-out's done() (on the client's worker): answer later instead
 * of writing into r, which done must then leave empty; the reply goes
 * through cmd_deferred_reply like cmd_defer's. */
struct cmd_deferred *cmd_defer_done(const struct reply *r);
/* The runtime, after done(): the handle done() asked for, or NULL. */
struct cmd_deferred *cmd_defer_done_take(void);
/* After cmd_fanout: the client's connection executes none of its later
 * commands until this one's reply is in (also when done() defers it), so
 * they see its effect, as if it had run inline. For admin commands. */
void cmd_fanout_hold(struct cmd_ctx *c);
/* Set by the runtime: deliver d (replied, and bound) to its origin. */
extern void (*cmd_deferred_ready)(struct cmd_deferred *d);

/* What cmd_fanout leaves in ctx->fanout for the runtime to launch. */
struct cmd_fanout {
    struct cmd_deferred *deferred;            /* non-NULL: not a fan-out, a reply that comes later */
    void *state;
    fanout_each_fn each;
    fanout_done_fn done;
    void (*free_state)(void *state);
    bool hold;                                /* cmd_fanout_hold */
    bool masked;                              /* false: every worker */
    uint64_t mask[CMD_FANOUT_MASK_WORDS];     /* when masked: the workers to run each() on */
};

/* Hand a prepared cross-worker transaction (tx_prepare) to the runtime,
 * which launches it and releases its reply in order (EXEC, WATCH). The
 * proc must return right after calling it. */
struct tx;
static inline void
cmd_tx(struct cmd_ctx *c, struct tx *t)
{
    c->tx = t;
}

/* Number of workers (fixed after start). */
int cmd_nworkers(void);

#endif
