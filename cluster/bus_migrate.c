/* bus_migrate.c: replica migration (cluster-algorithms.md §11). A master
 * that owns slots, once had replicas (MIGRATE_TO) and has none left that
 * is not FAIL is orphaned; after it stayed so for 5 s, one replica of a
 * master with the most healthy replicas moves to it - the one with the
 * smallest node ID, so every replica reaches the same choice without
 * talking - provided its own master keeps more than
 * cluster-migration-barrier healthy replicas.
 *
 * Runs from the cron on a replica, on the cluster thread under
 * cluster_lock. The orphan clock of each master is bus_peer.orphaned_time. */
#include "cluster/bus_int.h"

#include "core/config.h"
#include "core/log.h"

#define MIGRATION_DELAY_MS 5000 /* CLUSTER_SLAVE_MIGRATION_DELAY */

/* Replicas of master that are not FAIL; with no_pfail, not PFAIL either. */
static int
ok_replicas(const struct cluster_snap *mc, int master, bool no_pfail)
{
    uint32_t bad = CN_FAIL | (no_pfail ? CN_PFAIL : 0);
    int n = 0;
    for (int i = 0; i < mc->nnodes; i++) {
        const struct cluster_node *r = &mc->nodes[i];
        if (r->master == master && (r->flags & CN_SLAVE) && !(r->flags & bad))
            n++;
    }
    return n;
}

static bool
owns_slots(const struct cluster_snap *mc, int idx)
{
    for (int j = 0; j < CLUSTER_SLOTS; j++)
        if (mc->owner[j] == idx)
            return true;
    return false;
}

/* Walk every master: start or stop its orphan clock; pick the target (the
 * first orphaned master with slots) and the candidate (smallest ID among
 * replicas of masters with exactly max healthy replicas, myself included). */
static int
choose(struct cluster_snap *mc, int max, int *candidate)
{
    int target = -1;
    *candidate = mc->myself;
    for (int i = 0; i < mc->nnodes; i++) {
        const struct cluster_node *n = &mc->nodes[i];
        if (n->flags & CN_HANDSHAKE)
            continue;
        bool master = (n->flags & CN_MASTER) != 0;
        int ok = master ? ok_replicas(mc, i, false) : 0;
        bool orphaned = master && !(n->flags & CN_FAIL) && (n->flags & CN_MIGRATE_TO) && ok == 0;
        struct bus_peer *p = i == mc->myself ? NULL : bus_peer_get(n->id);
        if (orphaned) {
            if (target < 0 && owns_slots(mc, i))
                target = i;
            if (p && !p->orphaned_time)
                p->orphaned_time = g_bus.now;
        } else if (p) {
            p->orphaned_time = 0;
        }
        if (!master || ok != max)
            continue;
        for (int k = 0; k < mc->nnodes; k++) {
            const struct cluster_node *r = &mc->nodes[k];
            if (r->master == i && (r->flags & CN_SLAVE) &&
                memcmp(r->id, mc->nodes[*candidate].id, CLUSTER_NAMELEN) < 0)
                *candidate = k;
        }
    }
    return target;
}

static void
migrate(struct cluster_snap *mc, int max)
{
    if (cluster_snap_state(mc) != CLUSTER_OK)
        return;
    struct cluster_node *me = &mc->nodes[mc->myself];
    if (me->master < 0)
        return;
    /* Replicas my master keeps that are neither FAIL nor PFAIL. */
    if (ok_replicas(mc, me->master, true) <= g_cfg.cluster_migration_barrier)
        return;
    int candidate;
    int target = choose(mc, max, &candidate);
    if (target < 0 || candidate != mc->myself || g_cfg.cluster_replica_no_failover)
        return;
    struct bus_peer *tp = bus_peer_find(mc->nodes[target].id);
    if (!tp || !tp->orphaned_time || g_bus.now - tp->orphaned_time <= MIGRATION_DELAY_MS)
        return;
    log_notice("Migrating to orphaned master %.40s", mc->nodes[target].id);
    bus_set_master(mc, mc->myself, target);
    g_bus.dirty_save = true;
    bus_fo_sync_repl(mc); /* a new master: repl_set_master, manual failover reset */
}

void
bus_migrate_first_slots(struct cluster_snap *mc, int s)
{
    for (int i = 0; i < mc->nnodes; i++) {
        if ((mc->nodes[i].flags & CN_SLAVE) && mc->nodes[i].master >= 0) {
            mc->nodes[s].flags |= CN_MIGRATE_TO;
            return;
        }
    }
}

void
bus_migrate_check(struct cluster_snap *mc)
{
    const struct cluster_node *me = &mc->nodes[mc->myself];
    int orphaned = 0, max = 0, mine = 0;
    for (int i = 0; i < mc->nnodes; i++) {
        const struct cluster_node *n = &mc->nodes[i];
        if (!(n->flags & CN_MASTER) || (n->flags & (CN_FAIL | CN_HANDSHAKE)))
            continue;
        int ok = ok_replicas(mc, i, false);
        if (ok == 0 && (n->flags & CN_MIGRATE_TO) && owns_slots(mc, i))
            orphaned++;
        if (ok > max)
            max = ok;
        if (me->master == i)
            mine = ok;
    }
    if (orphaned && max >= 2 && mine == max && g_cfg.cluster_allow_replica_migration)
        migrate(mc, max);
}
