/* slotmap.c: slot -> worker table (slotmap.h). */
#include "core/slotmap.h"

#include "core/keyspace.h"
#include "core/rcu.h"
#include "core/shard.h"
#include "core/slot_move.h"

#include <pthread.h>

struct slotmap *g_slotmap_current;
static int slotmap_nworkers = 1;
static bool owned_prev[CLUSTER_SLOTS]; /* last ownership applied (writer side) */
static bool owned_pending[CLUSTER_SLOTS];
static bool have_pending;
/* Serializes table writers (a move's publish, start-up assignments); never
 * taken by readers. */
static pthread_mutex_t slotmap_mu = PTHREAD_MUTEX_INITIALIZER;

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
slotmap_assign(const uint64_t *slots, int worker)
{
    pthread_mutex_lock(&slotmap_mu);
    const struct slotmap *cur = __atomic_load_n(&g_slotmap_current, __ATOMIC_ACQUIRE);
    struct slotmap next;
    memcpy(&next, cur, sizeof(next));
    for (int s = 0; s < CLUSTER_SLOTS; s++)
        if ((slots[s / 64] >> (s % 64)) & 1)
            next.worker[s] = (uint8_t)worker;
    if (memcmp(&next, cur, sizeof(next)) != 0)
        slotmap_publish(&next);
    pthread_mutex_unlock(&slotmap_mu);
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

/* Newly owned slots (keys or not: an import may have filled them) go to
 * the least-loaded workers in contiguous runs; slots already owned stay.
 * The changes are handed to the slot hand-off (slot_move.h), which moves
 * each slot with its keys and publishes the table as it goes. */
static void
spread_owned(const bool *owned)
{
    const struct slotmap *cur = __atomic_load_n(&g_slotmap_current, __ATOMIC_ACQUIRE);
    int n = slotmap_nworkers;
    long load[MAX_WORKERS] = {0};
    long total = 0;
    for (int s = 0; s < CLUSTER_SLOTS; s++) {
        if (!owned[s])
            continue;
        total++;
        if (owned_prev[s])
            load[cur->worker[s]]++;
    }
    long target = (total + n - 1) / n;
    int w = -1;
    uint16_t *moves = ts_malloc(sizeof(uint16_t) * CLUSTER_SLOTS);
    uint8_t *to = ts_malloc(CLUSTER_SLOTS);
    for (int s = 0; s < CLUSTER_SLOTS; s++) {
        to[s] = cur->worker[s];
        if (!owned[s] || owned_prev[s])
            continue;
        if (w < 0 || load[w] >= target) {
            /* next run goes to the least-loaded worker */
            w = 0;
            for (int i = 1; i < n; i++)
                if (load[i] < load[w])
                    w = i;
        }
        to[s] = (uint8_t)w;
        load[w]++;
    }
    memcpy(owned_prev, owned, sizeof(owned_prev));
    for (int d = 0; d < n; d++) {
        int k = 0;
        for (int s = 0; s < CLUSTER_SLOTS; s++)
            if (to[s] == d && cur->worker[s] != d)
                moves[k++] = (uint16_t)s;
        if (k)
            slot_move_submit(moves, k, d, NULL, NULL);
    }
    ts_free(to);
    ts_free(moves);
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
