/* tx.h: transactions across workers (DESIGN.md, seam 3).
 *
 * A command whose keys live on several workers (standalone MSET, RENAME,
 * SMOVE, SUNIONSTORE..., later MULTI/EXEC and scripts) runs as a
 * transaction, atomically, without a global lock, in the manner of
 * Dragonfly's VLL:
 *
 *   1. schedule  the coordinator (the client's worker) takes an id from one
 *                atomic counter and asks every involved worker at once (one
 *                message each) to queue the transaction and record intent
 *                locks on its keys there: shared for a read, exclusive for a
 *                write. A worker refuses an id lower than one it has already
 *                queued; the coordinator then cancels and retries with a new
 *                id, so every worker's queue is in id order.
 *   2. phases    each worker runs its part of a phase when no earlier
 *                transaction in its queue holds a conflicting intent on the
 *                same keys. All queues share one order, so the oldest
 *                pending transaction can always run: no deadlock. A command
 *                declares one or two phases (MSETNX: probe, then set;
 *                RENAME: read, then write); between them the coordinator
 *                decides whether to go on.
 *   3. release   the coordinator writes the reply; each worker drops the
 *                intents and runs what waited.
 *
 * While intents are held, ordinary commands on the same keys wait (the
 * runtime asks tx_conflicts), so no client sees half a transaction.
 *
 * Commands declare their per-worker work in the command table (cmd_def.tx,
 * struct tx_ops); nothing is special-cased by name. In cluster mode every
 * command's keys share one slot, so none of this is on the fast path.
 *
 * Threads: a struct tx belongs to its coordinator; a struct tx_part is
 * written only by its worker while that worker runs it, and read by the
 * coordinator after the part's answer arrived (the ring orders the two).
 * Messages travel through g_rt.worker_call. */
#ifndef TESSERA_TX_H
#define TESSERA_TX_H

#include "core/buf.h"
#include "core/common.h"
#include "core/reply.h"

struct shard;
struct cmd_def;
struct kvval;
struct tx;

/* Captured effects of a unit (effect.h, "Units"): a part's or the
 * coordinator's, in segments tagged with the phase they ran in. */
struct tx_fx_seg {
    int phase;
    size_t end;       /* in b */
    uint64_t ncmds;
};
struct tx_fx {
    struct ts_buf b;
    int nseg, capseg;
    struct tx_fx_seg *seg;
};

/* One worker's share of a transaction: the keys it owns and what its part
 * left for the reply. */
struct tx_part {
    struct tx *tx;
    int worker;
    int nkeys;
    int *keys;           /* argv indexes of this worker's keys, in argv order */
    /* results, as the command's part function chooses to use them */
    long long count;
    bool flag;
    struct kvval *val;   /* a value on its way to another worker (RENAME, COPY) */
    int64_t expire;
    struct ts_buf out;   /* encoded replies (MGET) */
    size_t *offs;        /* start of each key's reply in out, nkeys + 1 entries */
    /* Per key (nkeys entries, in keys order), for a part that hands values
     * to the coordinator (the set algebra gathers copies of its sets);
     * NULL when unused. The part function allocates them (ts_malloc):
     *   kstate[i]  what the part found at key i, in the command's terms
     *   kobj[i]    an object for the coordinator (a deep copy, obj.h dup)
     *              or NULL; the coordinator may take one (it then sets the
     *              slot to NULL) or put one there for a later phase
     * kobj_free frees the objects still in kobj when the transaction ends
     * (on whichever thread drops it last: mimalloc frees anywhere). */
    int *kstate;
    void **kobj;
    void (*kobj_free)(void *o);
    /* Set by next_phase (on the coordinator): this part sits out the next
     * phase (keeps its intents, runs nothing). Cleared once it is sent. */
    bool idle;
    /* the worker's queue (private to tx.c) */
    struct tx_part *qnext, *qprev;
    int run_phase;       /* phase requested and not yet run, 0 if none */
    bool fx_began;       /* its worker's stream has a MULTI/EXEC unit open for it (effect.h) */
    bool queued;
    bool q_marked;       /* its worker's stream has the unit's QUEUED mark */
    struct tx_fx fx;     /* t->unit: the effects of its runs */
};

/* ops->phases for a transaction whose number of phases is decided as it
 * goes (EXEC): next_phase alone ends it, and t->stopped stays false. */
#define TX_PHASES_OPEN 0x7fffffff

struct tx_ops {
    int phases; /* 1 or 2, or TX_PHASES_OPEN */
    /* Replication (tx_part_propagate): a writing part's share of the
     * effects is the command named here with that worker's keys and their
     * values ("" = the command's own name: DEL, UNLINK, MSET; "MSET" for
     * MSETNX, whose decision was the master's). NULL: no such share; the
     * coordinator streams the command as it was sent (tx_finish). */
    const char *stream_as;
    /* Coordinator, before anything is locked: check the arguments; false
     * after writing an error reply into r (the transaction then ends). May
     * set t->opt. NULL: nothing to check. */
    bool (*check)(struct tx *t, struct reply *r);
    /* Worker: run p's keys for phase (1-based) on shard sh. */
    void (*part)(struct shard *sh, struct tx *t, struct tx_part *p, int phase);
    /* Coordinator, after phase done ran everywhere: true to run the next
     * phase. NULL: run every phase. */
    bool (*next_phase)(struct tx *t, int done);
    /* Coordinator, at the end: the command's reply. */
    void (*reply)(struct tx *t, struct reply *r);
    /* Coordinator, once every worker queued it and before phase 1 (t->id
     * is final). NULL: nothing. */
    void (*scheduled)(struct tx *t);
    /* Release t->ctx (NULL: nothing to release). */
    void (*free_ctx)(void *ctx);
};

/* After a part ran on sh: its share of the command's effects into sh's
 * stream (effect.h), unless the part streamed them itself. A command
 * without such a share (RENAME, SMOVE, SINTERSTORE...) is streamed as it
 * was sent, by the coordinator, in the transaction's unit. */
void tx_part_propagate(struct shard *sh, struct tx *t, struct tx_part *p);
/* Whether a writing command split across workers has a streamable share
 * per worker (tx_ops.stream_as). */
bool tx_splits_by_keys(const struct cmd_def *cmd);

/* Called on the coordinator with the reply bytes once the transaction is
 * over (its locks are being released). */
typedef void (*tx_done_fn)(void *arg, const char *reply, size_t len, bool error);

struct tx {
    uint64_t id;
    const struct cmd_def *cmd;
    const struct tx_ops *ops;
    int argc;
    struct sv *argv;     /* own copy, valid for the transaction's life */
    uint8_t resp;
    uint32_t cflags;     /* the client's flags (CL_NO_TOUCH...) */
    bool excl;           /* the command writes: exclusive intents */
    bool global;         /* set before tx_launch: a part on every worker, and
                          * its intent covers every key there, present or
                          * not (EXEC of a fan-out such as DBSIZE or FLUSHALL) */
    bool internal;       /* set before tx_launch: the server's own (a full
                          * sync's cut): not a command, not counted, no unit */
    bool unit;           /* its effects reach the stream as one unit (effect.h) */
    bool unit_pushed;    /* ... and that unit went to replication */
    struct tx_fx cfx;    /* t->unit: effects of the coordinator's steps */
    unsigned opt;        /* the command's parsed options (check) */
    void *ctx;           /* the command's own state (MULTI/EXEC), freed by ops->free_ctx */
    int64_t now_ms;
    int phase;           /* last phase started, 0 while scheduling */
    bool stopped;        /* next_phase ended it early */
    int nparts;
    struct tx_part *parts;
    int nkeys;
    int *keyidx;         /* key number -> argv index, argv order */
    int *kpart;          /* key number -> part index */
    int origin;          /* the coordinator's worker: check, next_phase and
                          * reply run on its thread (g_shards[origin]) */
    /* private */
    int pending;
    bool rejected;
    bool admitted;       /* counted by the slot hand-off (slot_move_enter) */
    int refs;            /* atomic */
    uint64_t t0;
    tx_done_fn done;
    void *done_arg;
    struct ts_buf argbuf;
};

/* Start a transaction for cmd (which has cmd->tx) on the coordinator sh:
 * idx[0..nk) are the argv indexes of its keys. done is called on this
 * worker when it is over. argv is copied. */
void tx_start(struct shard *sh, const struct cmd_def *cmd, int argc, const struct sv *argv, const int *idx, int nk,
              uint8_t resp, uint32_t cflags, tx_done_fn done, void *done_arg);
/* The same in two steps, for a command that builds its own key list
 * (EXEC, WATCH): tx_prepare copies argv and groups the keys (ops instead
 * of cmd->tx; t->ctx may be set before launching); tx_launch runs it. With
 * no keys at all, no worker is involved: the reply is made at once. */
struct tx *tx_prepare(struct shard *sh, const struct cmd_def *cmd, const struct tx_ops *ops, int argc,
                      const struct sv *argv, const int *idx, int nk, uint8_t resp, uint32_t cflags);
void tx_launch(struct tx *t, tx_done_fn done, void *done_arg);
/* Free a prepared transaction that will not be launched. */
void tx_drop(struct tx *t);

/* ---- Nested transactions (a cross-worker command queued in MULTI) ----
 * An enclosing transaction (EXEC) that already holds intents on every key
 * of cmd runs cmd's own parts inside its phases instead of scheduling it:
 * tx_sub_create groups the keys by worker (idx: argv indexes, argv viewed,
 * not copied: it must outlive the sub-transaction) and sets t->phase to 1;
 * the enclosing transaction runs t->ops->check on its coordinator, then
 * each phase's parts on their workers (t->ops->part); after a phase ran
 * everywhere tx_sub_next says whether another phase runs (t->phase is then
 * advanced) or not (t->stopped set as tx_launch would set it); then
 * t->ops->reply, and tx_sub_free. Only the coordinator's thread calls
 * these three. */
struct tx *tx_sub_create(const struct tx *outer, const struct cmd_def *cmd, int argc, const struct sv *argv,
                         const int *idx, int nk);
bool tx_sub_next(struct tx *t);
/* The enclosing transaction's unit gets sub's command as it was sent when
 * it has no per-worker share and did not fail (from its reply). */
void tx_sub_stream(struct tx *outer, const struct tx *sub, const struct reply *r);
void tx_sub_free(struct tx *t);

/* ---- For the runtime: ordinary commands and pending transactions ---- */
/* True when some transaction holds intents on this worker (a global one
 * included). */
bool tx_any_locked(const struct shard *sh);
/* True when a key of cmd conflicts with an intent held here (cmd must then
 * wait until tx_locks_released tells the runtime to retry). */
bool tx_conflicts(struct shard *sh, const struct cmd_def *cmd, int argc, const struct sv *argv);
/* Set by the runtime: called on worker sh's thread after intents were
 * dropped there, so it can retry the commands that waited. */
extern void (*tx_locks_released)(struct shard *sh);

/* Transactions started, retried after an out-of-order refusal (INFO). */
extern uint64_t tx_started, tx_retried;

#endif
