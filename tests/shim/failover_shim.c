/* failover_shim.c: see failover_shim.h. Compiled as C. */
#include "tests/shim/failover_shim.h"

#include "cluster/bus_int.h"
#include "core/config.h"

#include <assert.h>

static_assert(FOS_CN_NOFAILOVER == CN_NOFAILOVER && FOS_CN_MIGRATE_TO == CN_MIGRATE_TO, "node flag mirror");

long long
fos_delay(long long node_timeout, int rank, unsigned rnd)
{
    return bus_fo_delay(node_timeout, rank, rnd);
}

long long
fos_rank_step(long long node_timeout)
{
    return bus_fo_rank_step(node_timeout);
}

int
fos_quorum(int size)
{
    return bus_fo_quorum(size);
}

int
fos_rank(long long my_offset)
{
    cluster_lock();
    int r = bus_fo_rank(cluster_mc(), my_offset);
    cluster_unlock();
    return r;
}

void
fos_reset(long long now_ms, long long node_timeout)
{
    memset(&g_bus.fo, 0, sizeof(g_bus.fo));
    g_bus.fo.mf_master_offset = -1;
    g_bus.now = now_ms;
    g_cfg.cluster_node_timeout = node_timeout;
    g_cfg.cluster_replica_no_failover = 0;
    g_cfg.cluster_replica_validity_factor = 10;
    g_cfg.cluster_migration_barrier = 1;
    g_cfg.cluster_allow_replica_migration = 1;
}

void
fos_set_master(int idx, int master)
{
    cluster_lock();
    bus_set_master(cluster_mc(), idx, master);
    cluster_unlock();
}

uint32_t
fos_flags(int idx)
{
    cluster_lock();
    uint32_t f = cluster_mc()->nodes[idx].flags;
    cluster_unlock();
    return f;
}

void
fos_set_fail(int idx, long long fail_time)
{
    cluster_lock();
    struct cluster_node *n = &cluster_mc()->nodes[idx];
    n->flags |= CN_FAIL;
    n->fail_time = fail_time;
    cluster_unlock();
}

uint64_t
fos_config_epoch(int idx)
{
    cluster_lock();
    uint64_t e = cluster_mc()->nodes[idx].config_epoch;
    cluster_unlock();
    return e;
}

int
fos_owner(int slot)
{
    cluster_lock();
    int o = cluster_mc()->owner[slot];
    cluster_unlock();
    return o;
}

void
fos_publish(void)
{
    cluster_lock();
    cluster_mc_publish();
    cluster_unlock();
}

void
fos_election_sent(unsigned long long epoch)
{
    g_bus.fo.auth_sent = true;
    g_bus.fo.auth_epoch = epoch;
    g_bus.fo.auth_time = g_bus.now - 1;
    g_bus.fo.auth_count = 0;
}

void
fos_ack(int idx, unsigned long long current_epoch)
{
    struct bus_msg m;
    memset(&m, 0, sizeof(m));
    m.h.type = BUS_AUTH_ACK;
    m.h.current_epoch = current_epoch;
    cluster_lock();
    bus_fo_on_auth_ack(cluster_mc(), idx, &m);
    cluster_unlock();
}

int
fos_votes(void)
{
    return g_bus.fo.auth_count;
}

void
fos_set_now(long long now_ms)
{
    g_bus.now = now_ms;
}

void
fos_set_migration_barrier(int barrier)
{
    g_cfg.cluster_migration_barrier = barrier;
}

void
fos_clear_orphan_clocks(void)
{
    cluster_lock();
    struct cluster_snap *mc = cluster_mc();
    for (int i = 0; i < mc->nnodes; i++) {
        struct bus_peer *p = bus_peer_find(mc->nodes[i].id);
        if (p)
            p->orphaned_time = 0;
    }
    cluster_unlock();
}

void
fos_migrate_check(void)
{
    cluster_lock();
    bus_migrate_check(cluster_mc());
    cluster_mc_publish();
    cluster_unlock();
}

void
fos_first_slots(int idx)
{
    cluster_lock();
    bus_migrate_first_slots(cluster_mc(), idx);
    cluster_unlock();
}
