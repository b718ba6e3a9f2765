/* cluster_cmds_int.h: helpers shared by the CLUSTER subcommand files
 * (cluster_cmds.c: slots, keys, epochs, read-only views;
 * cluster_cmds_nodes.c: the node table - MEET, FORGET, RESET, REPLICATE,
 * REPLICAS, LINKS, COUNT-FAILURE-REPORTS; cluster_cmds_setslot.c: SETSLOT). */
#ifndef TESSERA_CLUSTER_CMDS_INT_H
#define TESSERA_CLUSTER_CMDS_INT_H

#include "cluster/cluster.h"
#include "core/cmd.h"

/* False (after replying) when cluster mode is off. */
bool cl_enabled(struct cmd_ctx *c);
/* False (after replying like an unknown subcommand) unless argc == want. */
bool cl_argc(struct cmd_ctx *c, int want);
/* Save nodes.conf and publish; under cluster_lock. */
void cl_commit_locked(void);

void cluster_cmd_meet(struct cmd_ctx *c);
void cluster_cmd_forget(struct cmd_ctx *c);
void cluster_cmd_reset(struct cmd_ctx *c);
void cluster_cmd_replicate(struct cmd_ctx *c);
void cluster_cmd_replicas(struct cmd_ctx *c);
void cluster_cmd_links(struct cmd_ctx *c);
void cluster_cmd_count_failure_reports(struct cmd_ctx *c);
void cluster_cmd_setslot(struct cmd_ctx *c);

#endif
