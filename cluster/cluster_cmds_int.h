/* cluster_cmds_int.h: helpers shared by the CLUSTER subcommand files
 * (cluster_cmds.c: slots, keys, epochs, read-only views;
 * cluster_cmds_nodes.c: the node table - MEET, FORGET, RESET, REPLICATE, FAILOVER,
 * REPLICAS, LINKS, COUNT-FAILURE-REPORTS; cluster_cmds_setslot.c: SETSLOT). */
#ifndef TESSERA_CLUSTER_CMDS_INT_H
#define TESSERA_CLUSTER_CMDS_INT_H

#include "cluster/cluster.h"
#include "core/cmd.h"

/* False (after replying) when cluster mode is off. */
bool cl_enabled(struct cmd_ctx *c);
/* False (after replying like an unknown subcommand) unless argc == want. */
bool cl_argc(struct cmd_ctx *c, int want);
/* Save nodes.conf and publish; under cluster_lock. On the cluster thread
 * the snapshot is published at once and nodes.conf is written at the end
 * of the loop turn, before the reply is sent. */
void cl_commit_locked(void);

/* ---- Posting to the cluster thread (cluster_post.c) ---- */
/* The part of an admin command that reads or changes the master copy. It
 * runs with cluster_lock held, with c->argv/argc/r/cmd set and c->sh and
 * c->cl NULL (on the cluster thread there is no worker and no client); arg
 * carries what the worker computed beforehand (SETSLOT: the slot's key
 * count). It writes exactly one reply through c->r. */
typedef void (*cl_apply_fn)(struct cmd_ctx *c, uint64_t arg);
/* Run apply for this command on the cluster thread, with argv copied, and
 * answer later (cmd_defer); the reply is sent after the new snapshot is
 * published and nodes.conf written. Without a running cluster thread (unit
 * tests), or inside EXEC (c->in_exec: the reply cannot wait), apply runs
 * inline under cluster_lock. The proc returns right after. */
void cl_post(struct cmd_ctx *c, cl_apply_fn apply, uint64_t arg);
/* The same from a fan-out's done() on the client's worker (after every
 * worker counted its keys): argv is copied; worker is the one running
 * done(), the client's. Inline (into r) without a cluster thread. */
void cl_post_done(struct reply *r, int worker, const struct cmd_def *cmd, int argc, const struct sv *argv,
                  cl_apply_fn apply, uint64_t arg);
/* Count keys on every worker first (all of them, or slot's when slot >= 0;
 * a fan-out, after any slot move in flight), then post apply with the
 * total as arg. The connection executes nothing more until the reply. */
void cl_post_after_count(struct cmd_ctx *c, int slot, cl_apply_fn apply);
/* nodes.conf for a change made by an apply part: written now (inline) or
 * at the end of the cluster thread's turn. Under cluster_lock. */
void cl_save_locked(void);
/* SAVECONFIG on the cluster thread: the reply is built from the result of
 * this turn's save (no-op inline). */
void cl_want_save_rc(void);
/* True while an apply part runs on the cluster thread. */
bool cl_on_cluster_thread(void);

void cluster_cmd_meet(struct cmd_ctx *c);
void cluster_cmd_forget(struct cmd_ctx *c);
void cluster_cmd_reset(struct cmd_ctx *c);
void cluster_cmd_replicate(struct cmd_ctx *c);
void cluster_cmd_failover(struct cmd_ctx *c);
void cluster_cmd_replicas(struct cmd_ctx *c);
void cluster_cmd_links(struct cmd_ctx *c);
void cluster_cmd_count_failure_reports(struct cmd_ctx *c);
void cluster_cmd_setslot(struct cmd_ctx *c);

#endif
