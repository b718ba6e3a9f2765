/* cluster_cmds_setslot.c: CLUSTER SETSLOT <slot> IMPORTING|MIGRATING|NODE
 * <id> and SETSLOT <slot> STABLE (cluster-commands.md §4): the slot-state
 * half of resharding. "Do I still hold keys in it" is answered by the
 * workers (cl_post_after_count), the change is made by the cluster thread
 * (cluster_post.c). */
#include "cluster/cluster_cmds_int.h"

#include "core/config.h"
#include "core/keyspace.h"
#include "core/log.h"
#include "core/reply.h"
#include "core/shard.h"
#include "core/slot_move.h"
#include "core/slotmap.h"

#define ERR_SETSLOT_SYNTAX "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"

/* The locked part of SETSLOT (cl_post); keys: how many keys this node
 * held in the slot when the worker that owns it looked. */
static void
cl_setslot_apply(struct cmd_ctx *c, uint64_t keys)
{
    long long slot = 0;
    ts_str_to_ll(c->argv[2].ptr, c->argv[2].len, &slot); /* checked on the worker */
    struct sv action = c->argv[3];
    bool stable = sv_eq_ci(action, "stable");
    struct cluster_snap *mc = cluster_mc();
    struct cluster_node *me = &mc->nodes[mc->myself];
    if (me->flags & CN_SLAVE) {
        reply_error(c->r, "ERR Please use SETSLOT only with masters.");
        return;
    }
    int n = -1;
    if (!stable) {
        struct sv id = c->argv[4];
        n = cluster_snap_find(mc, id.ptr, id.len);
        if (n < 0) {
                if (sv_eq_ci(action, "node"))
                reply_errorf(c->r, "ERR Unknown node %.*s", (int)TS_MIN(id.len, 128), id.ptr);
            else
                reply_errorf(c->r, "ERR I don't know about node %.*s", (int)TS_MIN(id.len, 128), id.ptr);
            return;
        }
        if (mc->nodes[n].flags & CN_SLAVE) {
                reply_error(c->r, "ERR Target node is not a master");
            return;
        }
    }
    const char *err = NULL;
    if (sv_eq_ci(action, "migrating")) {
        if (mc->owner[slot] != mc->myself)
            err = "not owner";
        else
            mc->migrating_to[slot] = (int16_t)n;
    } else if (sv_eq_ci(action, "importing")) {
        if (mc->owner[slot] == mc->myself)
            err = "already owner";
        else
            mc->importing_from[slot] = (int16_t)n;
    } else if (stable) {
        mc->migrating_to[slot] = mc->importing_from[slot] = -1;
    } else { /* NODE */
        bool was_mine = mc->owner[slot] == mc->myself;
        if (was_mine && n != mc->myself && keys) {
            err = "holds keys";
        } else {
            if (mc->migrating_to[slot] >= 0 && keys == 0)
                mc->migrating_to[slot] = -1;
            if (n == mc->myself && mc->importing_from[slot] >= 0) {
                /* Closing an import: my claim must win over the old
                 * owner's without waiting for an election. */
                if (cluster_mc_bump_epoch(mc))
                    log_notice("configEpoch updated after importing slot %lld", slot);
                mc->importing_from[slot] = -1;
            }
            mc->owner[slot] = (int16_t)n;
            if (was_mine && n != mc->myself && g_cfg.cluster_allow_replica_migration) {
                bool any = false;
                for (int j = 0; j < CLUSTER_SLOTS && !any; j++)
                    any = mc->owner[j] == mc->myself;
                if (!any) {
                    log_notice("Lost my last slot: configured as a replica of %.40s", mc->nodes[n].id);
                    me->flags = (me->flags & ~(uint32_t)(CN_MASTER | CN_MIGRATE_TO)) | CN_SLAVE;
                    me->master = (int16_t)n;
                }
            }
        }
    }
    if (!err)
        cl_commit_locked();
    if (!err)
        reply_ok(c->r);
    else if (err[0] == 'n')
        reply_errorf(c->r, "ERR I'm not the owner of hash slot %lld", slot);
    else if (err[0] == 'a')
        reply_errorf(c->r, "ERR I'm already the owner of hash slot %lld", slot);
    else
        reply_errorf(c->r,
                     "ERR Can't assign hashslot %lld to a different node while I still hold keys for this hash slot.",
                     slot);
}

/* SETSLOT: syntax here; the slot's key count from the workers (a fan-out,
 * which waits for a slot move in flight); the slot state on the cluster
 * thread. */
void
cluster_cmd_setslot(struct cmd_ctx *c)
{
    if (!cl_enabled(c))
        return;
    if (c->argc < 4) {
        reply_error(c->r, ERR_SETSLOT_SYNTAX);
        return;
    }
    long long slot;
    if (!ts_str_to_ll(c->argv[2].ptr, c->argv[2].len, &slot) || slot < 0 || slot >= CLUSTER_SLOTS) {
        reply_error(c->r, "ERR Invalid or out of range slot");
        return;
    }
    struct sv action = c->argv[3];
    bool stable = sv_eq_ci(action, "stable");
    if (!(stable && c->argc == 4) &&
        !((sv_eq_ci(action, "migrating") || sv_eq_ci(action, "importing") || sv_eq_ci(action, "node")) &&
          c->argc == 5)) {
        reply_error(c->r, ERR_SETSLOT_SYNTAX);
        return;
    }
    cl_post_after_count(c, (int)slot, cl_setslot_apply);
}
