/* slotmap.c: slot -> worker table (slotmap.h). */
#include "core/slotmap.h"

#include "core/rcu.h"

struct slotmap *g_slotmap_current;
static int slotmap_nworkers = 1;

static void
default_split(struct slotmap *m, int nworkers)
{
    for (int s = 0; s < CLUSTER_SLOTS; s++)
        m->worker[s] = (uint8_t)((long)s * nworkers / CLUSTER_SLOTS);
}

void
slotmap_setup(int nworkers)
{
    slotmap_nworkers = nworkers;
    struct slotmap *m = ts_malloc(sizeof(*m));
    default_split(m, nworkers);
    struct slotmap *old = __atomic_exchange_n(&g_slotmap_current, m, __ATOMIC_ACQ_REL);
    ts_free(old); /* setup runs before any reader exists */
}

static void
slotmap_free(void *p)
{
    ts_free(p);
}

void
slotmap_publish(const struct slotmap *table)
{
    struct slotmap *m = ts_malloc(sizeof(*m));
    memcpy(m, table, sizeof(*m));
    struct slotmap *old = __atomic_exchange_n(&g_slotmap_current, m, __ATOMIC_ACQ_REL);
    rcu_retire(old, slotmap_free);
}

void
slotmap_rebalance(const bool *owned, const bool *has_keys)
{
    const struct slotmap *cur = __atomic_load_n(&g_slotmap_current, __ATOMIC_ACQUIRE);
    struct slotmap next;
    default_split(&next, slotmap_nworkers);
    int nowned = 0;
    for (int s = 0; s < CLUSTER_SLOTS; s++)
        nowned += owned[s] ? 1 : 0;
    /* Walk owned slots in order, giving each worker a contiguous share. */
    int seen = 0;
    for (int s = 0; s < CLUSTER_SLOTS; s++) {
        if (!owned[s])
            continue;
        if (has_keys && has_keys[s])
            next.worker[s] = cur->worker[s];
        else
            next.worker[s] = (uint8_t)((long)seen * slotmap_nworkers / (nowned ? nowned : 1));
        seen++;
    }
    if (memcmp(&next, cur, sizeof(next)) != 0)
        slotmap_publish(&next);
}
