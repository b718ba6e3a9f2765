/* slotmap_shim.c: see slotmap_shim.h. */
#include "tests/shim/slotmap_shim.h"

#include "core/rcu.h"
#include "core/slotmap.h"

void
slotmap_shim_setup(int nworkers)
{
    rcu_thread_register();
    slotmap_setup(nworkers);
}

void
slotmap_shim_own_ranges(const int *ranges, int nranges)
{
    static bool owned[CLUSTER_SLOTS];
    memset(owned, 0, sizeof(owned));
    for (int i = 0; i < nranges; i++)
        for (int s = ranges[2 * i]; s <= ranges[2 * i + 1]; s++)
            owned[s] = true;
    slotmap_set_owned(owned);
    rcu_barrier();
}

int
slotmap_shim_worker(int slot)
{
    return slotmap_worker((uint16_t)slot);
}
