/* repl.h: replication (DESIGN.md "Replication", spec/replication.md), as
 * the rest of the server sees it: the role of this node, its replication
 * IDs and offset, and the calls the cluster thread makes when an election,
 * a manual failover or a cluster decision changes who replicates whom.
 *
 * The master side merges the workers' effect streams (core/effect.h) into
 * one Redis-compatible stream with one byte offset, keeps the backlog and
 * feeds the replicas; the replica side keeps the link to its master,
 * loads the RDB and hands each streamed command to the worker owning its
 * slot. Both run on the replication thread (repl_thread.c); every call here
 * may be made from any thread unless it says otherwise. */
#ifndef TESSERA_REPL_H
#define TESSERA_REPL_H

#include "core/common.h"

/* ---- State readable from any thread (relaxed atomics) ---- */

/* master_repl_offset: on a master the bytes of stream produced, on a
 * replica the bytes of its master's stream applied. The cluster bus puts it
 * in every header's offset field; elections rank replicas by it. */
int64_t repl_offset(void);
/* True when this node is a replica (REPLICAOF host port or a cluster
 * decision), whether its link is up or not. */
bool repl_is_replica(void);
/* On a replica: is the link to the master up (handshake and sync done)? */
bool repl_link_up(void);
/* On a replica: milliseconds since the master link was last usable: 0 while
 * it is up, else now minus the moment it went down (or since it became a
 * replica, if it never came up). Redis's data_age in the replica validity
 * check of an election (cluster-replica-validity-factor). */
int64_t repl_link_down_ms(void);

/* ---- Role changes (asynchronous: they take effect on the replication
 * thread soon after the call; calls from one thread apply in call order) ---- */

/* Replicate ip:port (REPLICAOF, CLUSTER REPLICATE, a cluster decision to
 * follow a new master). Calling it again with the same address while a link
 * to it exists or is being made does nothing. The dataset is kept until the
 * sync (partial if the new master shares our history, else full). */
void repl_set_master(const char *ip, int port);
/* Become a master (REPLICAOF NO ONE, an election won, CLUSTER FAILOVER
 * TAKEOVER): the link is dropped, replid2 = replid with
 * second_repl_offset = offset + 1, a new replid, so the other replicas of
 * the old master (and the old master itself) can continue with PSYNC. */
void repl_promote(void);

/* ---- Manual failover (CLUSTER FAILOVER, spec/cluster-algorithms.md) ---- */

/* Master side, when the MFSTART of a replica arrives: writes are paused for
 * up to pause_ms (clients wait as with CLIENT PAUSE WRITE) and the
 * periodic ping of the stream is suppressed, so the offset stops moving;
 * returns at once. repl_offset() settles once every write executed before
 * the pause is in the stream. */
void repl_mf_pause_writes(int64_t pause_ms);
/* The pause is over (failover done or timed out). */
void repl_mf_unpause(void);
/* Master side: true once repl_offset() includes every write accepted
 * before the pause (what the master must announce as its paused offset). */
bool repl_mf_offset_settled(void);

/* ---- Lifecycle (main.c) ---- */
/* Before the workers start: commands, hooks, the replication thread. */
int repl_setup(void);
void repl_stop(void);

#endif
