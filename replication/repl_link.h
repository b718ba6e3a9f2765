/* repl_link.h: the replica side of replication, as the rest of
 * replication/ and main.c see it (spec/replication.md §2, §3, §6-§8).
 *
 *   repl_link.c   the link thread: one per process, started by the first
 *                 repl_set_master. It connects, runs the handshake (PING,
 *                 AUTH, REPLCONF, PSYNC or SYNC), receives the RDB of a full
 *                 sync, then hands the socket to worker 0 through
 *                 repl_link_established (repl_int.h). When that connection
 *                 closes (repl_link_lost_hook) or any step fails, it waits
 *                 about a second and starts again with PSYNC.
 *   repl_load.c   the RDB of a full sync into the workers: flush, then each
 *                 key to the worker owning its slot, in batches.
 *   repl_cmds.c   REPLICAOF / SLAVEOF.
 *
 * repl.h's repl_is_replica, repl_link_up, repl_link_down_ms and
 * repl_set_master, and repl_int.h's repl_link_info, are implemented by
 * repl_link.c; every call is thread-safe (one mutex, never taken on a
 * request path: only by these calls, the link thread and the lost hook). */
#ifndef TESSERA_REPL_LINK_H
#define TESSERA_REPL_LINK_H

#include "core/common.h"

/* Stop replicating: drop the link (a handshake or a transfer in progress
 * is cut at once, a connection already handed to worker 0 is shut down,
 * which closes it there) and make repl_is_replica() false. The dataset is
 * kept; a load into the workers already under way completes first (in the
 * background), as Redis's blocking load would. Called by repl_promote
 * (REPLICAOF NO ONE, an election won); idempotent. */
void repl_link_stop(void);

/* True while the RDB of a full sync is being loaded into the workers (from
 * the flush until every key is applied): Redis answers -LOADING then, and
 * INFO persistence shows loading:1 (sizes in repl_link_info). Relaxed
 * load, any thread. */
bool repl_link_loading(void);

/* Start-up (main.c, after the workers run): apply the replicaof directive
 * of the configuration, if any. Returns 0, or -1 when it cannot act (the
 * error is logged; cluster mode refuses replicaof as Redis does). */
int repl_link_start_configured(void);

/* Process exit (main.c): stop the link thread and join it. */
void repl_link_shutdown(void);

/* Register REPLICAOF and SLAVEOF (repl_cmds.c); setup only. */
void repl_link_register_commands(void);

/* ---- Between repl_link.c and repl_load.c ---- */

/* Called at least every 200 ms while a load waits for the workers, and
 * after each chunk: the link sends its "\n" keepalives from it. Returns
 * false when the load must be abandoned (the process is exiting). */
typedef bool (*repl_load_tick_fn)(void *arg);
/* Load the RDB file at path (a full sync's payload) into the workers:
 * every worker's keyspace is emptied first (as FLUSHALL: WATCHed keys
 * touched), then each key goes to the worker owning its slot, in batches,
 * and the call returns once every key is applied. Returns 0, or -1 when
 * the file is not a valid RDB (logged), the tick said stop, or the workers
 * applied nothing for stall_ms (the server stopping); keys loaded so far
 * stay then. *keys: keys handed to the workers. */
int repl_load_file(const char *path, repl_load_tick_fn tick, void *arg, int64_t stall_ms, uint64_t *keys);

#endif
