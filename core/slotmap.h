/* slotmap.h: which worker owns each of the 16384 hash slots.
 *
 * The table is read on every keyed command without locks: a worker loads
 * the current table pointer (acquire) inside its per-turn RCU read section.
 * Changing the assignment publishes a whole new table; the old one is freed
 * after a grace period (rcu.h). A slot that changes worker while a command
 * for it is in flight is handled by the dispatcher: the old owner sees it no
 * longer owns the slot and forwards the command to the new owner. Moving a
 * slot that holds keys also requires moving its keys between workers; until
 * that exists, only empty slots are reassigned. */
#ifndef TESSERA_SLOTMAP_H
#define TESSERA_SLOTMAP_H

#include "core/common.h"

struct slotmap {
    uint8_t worker[CLUSTER_SLOTS];
};

extern struct slotmap *g_slotmap_current; /* read via slotmap_worker */

/* Initial table: the 16384 slots split into nworkers contiguous ranges. */
void slotmap_setup(int nworkers);

static inline int
slotmap_worker(uint16_t slot)
{
    const struct slotmap *m = __atomic_load_n(&g_slotmap_current, __ATOMIC_ACQUIRE);
    return m->worker[slot];
}

/* Publish a copy of table (ownership stays with the caller). */
void slotmap_publish(const struct slotmap *table);

/* Give the slots whose bit is set in slots[] (bit s of slots[s / 64]) to
 * worker and publish: the hand-off's step 1 (slot_move.c) and start-up.
 * Table writers are serialized by a mutex no reader takes. */
void slotmap_assign(const uint64_t *slots, int worker);

/* Spread the slots marked in owned[] evenly over the workers in contiguous
 * runs, keeping slots for which has_keys[slot] is true on their current
 * worker; unowned slots keep the default range split. Publishes. */
void slotmap_rebalance(const bool *owned, const bool *has_keys);

/* Cluster mode: the node now owns exactly the slots marked in owned[].
 * Slots it already owned stay on their worker; newly owned slots, with
 * their keys if they have any (an import, keys loaded before ADDSLOTS),
 * go to the least-loaded workers in contiguous runs, so a node owning
 * 0-5460 still uses every worker. The moves go through the slot hand-off
 * (slot_move.h): asynchronous once the workers run, immediate before.
 * Callers are serialized by the cluster lock. Before slotmap_setup the
 * ownership is remembered and applied there. */
void slotmap_set_owned(const bool *owned);

#endif
