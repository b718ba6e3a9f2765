/* multi.h: MULTI, EXEC, DISCARD, WATCH, UNWATCH with Redis 7.0's semantics.
 *
 * A client's MULTI queue lives with the client, on its worker. EXEC runs
 * the queue as one cross-worker transaction (tx.h) over every key of every
 * queued command plus the watched keys (over every worker's whole keyspace
 * when a keyless command such as DBSIZE or FLUSHALL is queued):
 *
 *   phase 1  each involved worker checks its watched keys (a key that
 *            expired since WATCH counts as changed)
 *   (coordinator: any watched key changed -> EXEC replies a null array)
 *   phase 2..  the queue in ordered steps (multi_exec.c): runs of commands
 *            whose keys each sit on one worker, run by those workers in
 *            queue order; a command with keys on several workers through
 *            its per-worker parts (cmd_def.tx); keyless commands on the
 *            client's worker, a fan-out's parts on every worker
 *
 * All intents are held from phase 1 to the end, so no other client sees or
 * changes anything in between: the transaction is atomic across workers.
 * In cluster mode every queued key must be in one slot (-CROSSSLOT at
 * EXEC otherwise, as Redis), hence one worker.
 *
 * WATCH registers (key, the client's watch state) on the worker owning the
 * key; every change of that key there (effect.h: commands, expiry,
 * FLUSHALL) sets the state's dirty flag, which EXEC reads. */
#ifndef TESSERA_MULTI_H
#define TESSERA_MULTI_H

#include "core/common.h"

struct shard;
struct client;
struct cmd_def;
struct reply;

/* Register the command table. */
void multi_register(void);

/* Inside MULTI (between MULTI and EXEC/DISCARD). */
bool multi_active(const struct client *cl);
/* Queue a command (already checked by the dispatcher) and reply +QUEUED,
 * or refuse it (CMD_NO_MULTI; keys on several workers for a command with
 * no per-worker parts, cmd_def.tx) with an error that flags the
 * transaction. */
void multi_queue(struct client *cl, const struct cmd_def *cmd, int argc, const struct sv *argv, struct reply *r,
                 bool multi_worker);
/* A command was refused before it could be queued (unknown, arity, a
 * redirection...): EXEC will abort with EXECABORT. */
void multi_flag_error(struct client *cl);
/* The union of the command flags of what is queued (EXEC is refused for
 * -OOM when a queued command is denyoom, as Redis's mstate.cmd_flags). */
uint32_t multi_queued_flags(const struct client *cl);
/* EXEC refused before it ran (-NOREPLICAS): the client leaves MULTI, its
 * queue and watches dropped, as Redis's execCommandAbort. False when it
 * was not in MULTI. */
bool multi_exec_abort(struct client *cl);
/* Drop the client's queue and watches (RESET, connection close). */
void multi_client_clear(struct shard *sh, struct client *cl);

/* ---- For the write-effect point ---- */
/* The key changed on worker sh: mark its watchers. */
void watch_touch(struct shard *sh, struct sv key);
/* The key is being deleted because it expired: mark its watchers, except
 * those that watched it already expired (for them nothing changed). */
void watch_expired(struct shard *sh, struct sv key);
/* Every watched key that exists on worker sh is about to be flushed
 * (watchers of a key already expired when watched are not marked). */
void watch_touch_all(struct shard *sh);

#endif
