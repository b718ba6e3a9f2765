/* failover_shim.h: cluster/bus_failover.c and bus_migrate.c for the C++ unit
 * tests (tests/unit/cluster/test_bus_failover.cpp): the pure election
 * arithmetic, and vote counting / replica migration on a node table built
 * with cluster_shim.h (cls_fresh, cls_add_node, ...). No cluster thread and
 * no links: messages the code would send are dropped. */
#ifndef TESSERA_FAILOVER_SHIM_H
#define TESSERA_FAILOVER_SHIM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FOS_CN_NOFAILOVER 512
#define FOS_CN_MIGRATE_TO 256

/* ---- Pure parts ---- */
long long fos_delay(long long node_timeout, int rank, unsigned rnd);
long long fos_rank_step(long long node_timeout);
int fos_quorum(int size);
/* Rank of myself at my_offset in the current master copy. */
int fos_rank(long long my_offset);

/* ---- State of the master copy and the bus ---- */
void fos_reset(long long now_ms, long long node_timeout);
void fos_set_master(int idx, int master);
uint32_t fos_flags(int idx);
void fos_set_fail(int idx, long long fail_time);
uint64_t fos_config_epoch(int idx);
int fos_owner(int slot);
/* Publish (recomputes size and state). */
void fos_publish(void);

/* ---- Election ---- */
/* As if myself sent its AUTH_REQUEST for epoch at now - 1 ms. */
void fos_election_sent(unsigned long long epoch);
/* An AUTH_ACK from node idx whose header carries current_epoch. */
void fos_ack(int idx, unsigned long long current_epoch);
int fos_votes(void);

/* ---- Migration ---- */
void fos_set_now(long long now_ms);
void fos_set_migration_barrier(int barrier);
/* Zero the orphan clocks of every node in the table (peers outlive a
 * test's node table). */
void fos_clear_orphan_clocks(void);
/* Master idx just got its first slots (slot-update rule). */
void fos_first_slots(int idx);
/* One migration check on myself, then a publish. */
void fos_migrate_check(void);

#ifdef __cplusplus
}
#endif

#endif
