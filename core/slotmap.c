/* slotmap.c: slot -> worker table (slotmap.h). */
#include "core/slotmap.h"

#include "core/keyspace.h"
#include "core/rcu.h"
#include "core/shard.h"

struct slotmap *g_slotmap_current;
static int slotmap_nworkers = 1;
static bool owned_prev[CLUSTER_SLOTS]; /* last ownership applied (writer side) */
static bool owned_pending[CLUSTER_SLOTS];
static bool have_pending;

static void spread_owned(const bool *owned);

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
    memset(owned_prev, 0, sizeof(owned_prev));
    if (have_pending) {
        have_pending = false;
        spread_owned(owned_pending);
    }
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

/* Does slot hold keys on its current worker? Only asked about slots this
 * node did not own, which receive no writes (they are redirected), so the
 * read of another worker's counter cannot race with an insert. */
static bool
slot_has_keys(const struct slotmap *m, int slot)
{
    struct shard *sh = g_shards[m->worker[slot]];
    return sh && sh->ks && ks_count_slot(sh->ks, (uint16_t)slot) > 0;
}

static void
spread_owned(const bool *owned)
{
    const struct slotmap *cur = __atomic_load_n(&g_slotmap_current, __ATOMIC_ACQUIRE);
    struct slotmap next;
    memcpy(&next, cur, sizeof(next));
    int n = slotmap_nworkers;
    long load[MAX_WORKERS] = {0};
    long total = 0;
    for (int s = 0; s < CLUSTER_SLOTS; s++) {
        if (!owned[s])
            continue;
        total++;
        if (owned_prev[s] || slot_has_keys(cur, s))
            load[cur->worker[s]]++;
    }
    long target = (total + n - 1) / n;
    int w = -1;
    for (int s = 0; s < CLUSTER_SLOTS; s++) {
        if (!owned[s] || owned_prev[s] || slot_has_keys(cur, s))
            continue;
        if (w < 0 || load[w] >= target) {
            /* next run goes to the least-loaded worker */
            w = 0;
            for (int i = 1; i < n; i++)
                if (load[i] < load[w])
                    w = i;
        }
        next.worker[s] = (uint8_t)w;
        load[w]++;
    }
    memcpy(owned_prev, owned, sizeof(owned_prev));
    if (memcmp(&next, cur, sizeof(next)) != 0)
        slotmap_publish(&next);
}

void
slotmap_set_owned(const bool *owned)
{
    if (__atomic_load_n(&g_slotmap_current, __ATOMIC_ACQUIRE) == NULL) {
        memcpy(owned_pending, owned, sizeof(owned_pending));
        have_pending = true;
        return;
    }
    spread_owned(owned);
}
