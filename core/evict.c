/* evict.c: maxmemory eviction (evict.h): the eviction pool, sampling a
 * worker's keys, evicting one key through the write-effect point, and a
 * worker's share of an eviction run. */
#include "core/evict.h"

#include "core/cluster_state.h"
#include "core/keyspace_int.h"
#include "core/server.h"
#include "core/shard.h"

#include <math.h>

/* ---- Policies ---- */

bool
evict_policy_volatile(int policy)
{
    return policy == MAXMEMORY_VOLATILE_LRU || policy == MAXMEMORY_VOLATILE_LFU ||
           policy == MAXMEMORY_VOLATILE_RANDOM || policy == MAXMEMORY_VOLATILE_TTL;
}

static bool
policy_random(int policy)
{
    return policy == MAXMEMORY_VOLATILE_RANDOM || policy == MAXMEMORY_ALLKEYS_RANDOM;
}

uint64_t
evict_time_limit_us(int tenacity)
{
    if (tenacity <= 10)
        return 50u * (uint64_t)(tenacity < 0 ? 0 : tenacity);
    if (tenacity < 100)
        return (uint64_t)(500.0 * pow(1.15, tenacity - 10.0));
    return UINT64_MAX;
}

/* ---- The pool ----
 *
 * Sorted ascending by score, so the best candidate is the last one and
 * the worst (first to drop when a better one comes) is entry 0:
 *
 *   [ s=3 | s=9 | s=40 | s=41 | ... | s=700 ]  n entries
 *     ^ dropped when full                ^ popped first
 *
 * Keys are copied (the entry may be freed or moved by the time the pool
 * is used); each slot keeps its buffer across uses. */
struct evict_pool_entry {
    uint64_t score;
    uint16_t slot;
    size_t len, cap;
    char *key;
};

struct evict_pool {
    int n;
    struct evict_pool_entry e[EVICT_POOL_SIZE];
};

struct evict_pool *
evict_pool_create(void)
{
    return ts_calloc(1, sizeof(struct evict_pool));
}

void
evict_pool_destroy(struct evict_pool **pp)
{
    struct evict_pool *p = *pp;
    if (!p)
        return;
    for (int i = 0; i < EVICT_POOL_SIZE; i++)
        ts_free(p->e[i].key);
    ts_free(p);
    *pp = NULL;
}

int
evict_pool_count(const struct evict_pool *p)
{
    return p->n;
}

static bool
pool_has(const struct evict_pool *p, uint16_t slot, struct sv key)
{
    for (int i = 0; i < p->n; i++)
        if (p->e[i].slot == slot && p->e[i].len == key.len && memcmp(p->e[i].key, key.ptr, key.len) == 0)
            return true;
    return false;
}

void
evict_pool_insert(struct evict_pool *p, uint64_t score, uint16_t slot, struct sv key)
{
    if (pool_has(p, slot, key))
        return;
    int k = 0; /* first entry not better than the candidate */
    while (k < p->n && p->e[k].score < score)
        k++;
    struct evict_pool_entry spare;
    if (p->n < EVICT_POOL_SIZE) {
        /* room: shift the better ones right, reusing the free buffer */
        spare = p->e[p->n];
        memmove(&p->e[k + 1], &p->e[k], sizeof(p->e[0]) * (size_t)(p->n - k));
        p->n++;
    } else {
        if (k == 0)
            return; /* worse than everything pooled */
        /* full: drop the worst (entry 0), shift the worse ones left */
        spare = p->e[0];
        memmove(&p->e[0], &p->e[1], sizeof(p->e[0]) * (size_t)(k - 1));
        k--;
    }
    if (spare.cap < key.len) {
        ts_free(spare.key);
        spare.cap = TS_MAX(key.len, (size_t)32);
        spare.key = ts_malloc(spare.cap);
    }
    memcpy(spare.key, key.ptr, key.len);
    spare.len = key.len;
    spare.score = score;
    spare.slot = slot;
    p->e[k] = spare;
}

bool
evict_pool_pop(struct evict_pool *p, uint64_t *score, uint16_t *slot, struct sv *key)
{
    if (p->n == 0)
        return false;
    /* the popped entry stays in place (beyond n), its buffer with it */
    struct evict_pool_entry *b = &p->e[--p->n];
    *score = b->score;
    *slot = b->slot;
    *key = (struct sv){b->key, b->len};
    return true;
}

/* ---- Sampling ---- */

/* One random candidate: a random index of the volatile set, or a random
 * non-empty slot and a random entry of its table. */
static struct kv *
random_key(struct ks *ks, bool vol)
{
    if (vol)
        return ks->vol_n ? ks->vol[ks_rand(ks) % ks->vol_n] : NULL;
    if (ks->ne_n == 0)
        return NULL;
    return kvd_random(ks, ks->slots[ks->ne_list[ks_rand(ks) % ks->ne_n]]);
}

static uint64_t score_of(const struct kv *e, int policy, uint32_t now_s);

static void
pool_offer(struct ks *ks, const struct kv *e, int policy, uint32_t now_s)
{
    evict_pool_insert(ks->evpool, score_of(e, policy, now_s), e->slot, kv_key(e));
}

struct offer_ctx {
    int policy;
    uint32_t now_s;
};

static void
offer_each(struct ks *ks, struct kv *e, void *arg)
{
    const struct offer_ctx *c = arg;
    pool_offer(ks, e, c->policy, c->now_s);
}

/* Offer samples candidates to the pool: every candidate when there are
 * no more (so a small keyspace is ranked exactly), else samples random
 * picks (with replacement; the pool ignores a key it already holds). */
static void
sample_into_pool(struct ks *ks, bool vol, int policy, int samples, uint32_t now_s)
{
    uint64_t n = vol ? ks->vol_n : ks->count;
    if (n > (uint64_t)samples) {
        for (int i = 0; i < samples; i++)
            pool_offer(ks, random_key(ks, vol), policy, now_s);
        return;
    }
    if (vol) {
        for (uint32_t i = 0; i < ks->vol_n; i++)
            pool_offer(ks, ks->vol[i], policy, now_s);
        return;
    }
    struct offer_ctx c = {policy, now_s};
    for (uint32_t s = 0; s < ks->ne_n; s++)
        kvd_each(ks->slots[ks->ne_list[s]], offer_each, ks, &c);
}

/* Higher = evict first. */
static uint64_t
score_of(const struct kv *e, int policy, uint32_t now_s)
{
    uint32_t idle = (now_s - e->lru) & 0xffffff;
    switch (policy) {
    case MAXMEMORY_VOLATILE_TTL:
        return UINT64_MAX - (uint64_t)kv_deadline(e);
    case MAXMEMORY_VOLATILE_LFU:
    case MAXMEMORY_ALLKEYS_LFU:
        return 255 - evict_lfu_decr(e->freq, idle, __atomic_load_n(&g_cfg.lfu_decay_time, __ATOMIC_RELAXED));
    default:
        return idle;
    }
}

/* Find a pooled key again; NULL when it is gone (or lost its TTL under a
 * volatile policy). */
static struct kv *
pool_resolve(struct ks *ks, uint16_t slot, struct sv key, bool vol)
{
    struct kvdict *d = ks->slots[slot];
    if (!d)
        return NULL;
    struct kv *e = kvd_find(d, key, ks_hash(key.ptr, key.len));
    if (e && vol && !(e->flags & KV_F_TTL))
        return NULL;
    return e;
}

/* The best candidate by sampling into the pool: Redis's loop, bounded. */
static struct kv *
pick_from_pool(struct ks *ks, int policy, int samples, uint32_t now_s)
{
    bool vol = evict_policy_volatile(policy);
    if (!ks->evpool)
        ks->evpool = evict_pool_create();
    samples = TS_MAX(1, samples);
    for (int round = 0; round < 16; round++) {
        sample_into_pool(ks, vol, policy, samples, now_s);
        uint64_t score;
        uint16_t slot;
        struct sv key;
        while (evict_pool_pop(ks->evpool, &score, &slot, &key)) {
            struct kv *e = pool_resolve(ks, slot, key, vol);
            if (e)
                return e;
        }
    }
    return NULL;
}

/* ---- Evicting ---- */

size_t
evict_one(struct ks *ks, struct shard *sh, int policy, int samples, int64_t now_ms)
{
    bool vol = evict_policy_volatile(policy);
    if (policy == MAXMEMORY_NOEVICTION || (vol ? ks->vol_n == 0 : ks->count == 0))
        return 0;
    struct kv *e;
    if (policy_random(policy)) {
        e = random_key(ks, vol);
    } else {
        e = pick_from_pool(ks, policy, samples, (uint32_t)(now_ms / 1000));
    }
    if (!e)
        return 0;
    size_t before = ks->mem;
    /* The effect point first, while the key's bytes still exist; Redis
     * deletes first, but nothing observes the difference. */
    if (sh)
        fx_evicted(sh, kv_key(e));
    ks->stats.evicted_keys++;
    ks_unlink_free(ks, e);
    return before > ks->mem ? before - ks->mem : 1;
}

/* ---- Sharing the work among workers ---- */

/* What each worker last published about its keyspace: read by others to
 * size their share and to know whether anyone can still evict. */
struct evict_pub {
    _Alignas(64) int64_t mem;
    uint64_t keys, vol;
};
static struct evict_pub evict_pubs[MAX_WORKERS];

void
evict_publish(struct shard *sh)
{
    struct evict_pub *p = &evict_pubs[sh->id];
    __atomic_store_n(&p->mem, (int64_t)sh->ks->mem, __ATOMIC_RELAXED);
    __atomic_store_n(&p->keys, sh->ks->count, __ATOMIC_RELAXED);
    __atomic_store_n(&p->vol, (uint64_t)sh->ks->vol_n, __ATOMIC_RELAXED);
}

/* How strongly a worker holding more than an even part of the dataset
 * evicts more than its proportion (see my_share). */
#define EVICT_BALANCE_GAIN 8.0

static double
share_weight(double share, int nw)
{
    double k = share * (1.0 + EVICT_BALANCE_GAIN * (share - 1.0 / nw) * nw);
    return k > 0 ? k : 0;
}

/* This worker's part of excess. In proportion to its bytes of the
 * dataset, leaned towards evening the workers out: each thread's heap can
 * reuse only the memory its own thread freed, so a worker that shrank
 * while another grew by as much would leave RSS above used_memory by the
 * difference. Proportional shares alone let the split drift by several
 * MB (2 workers, 100 MB: RSS 20% over the limit); the lean holds each
 * worker's part steady within about a MB (RSS 5-7% over). Uniform
 * hashing gives every worker an even part anyway; under a skewed write
 * load the split settles near even (by these weights, 75% of the writes
 * on one of two workers holds 53% of the data there), so that worker
 * evicts younger keys than global LRU would. The weights are normalised:
 * the workers together still free the excess. All of it when the others
 * have published nothing. */
static int64_t
my_share(const struct shard *sh, size_t excess)
{
    int nw = TS_MIN(g_server.nworkers, MAX_WORKERS);
    double mem[MAX_WORKERS], sum = 0;
    for (int w = 0; w < nw; w++) {
        mem[w] = (double)__atomic_load_n(&evict_pubs[w].mem, __ATOMIC_RELAXED);
        sum += mem[w];
    }
    mem[sh->id] = (double)sh->ks->mem; /* published just now, but exact */
    if (!(sum > 0 && mem[sh->id] < sum))
        return (int64_t)excess;
    double total = 0;
    for (int w = 0; w < nw; w++)
        total += share_weight(mem[w] / sum, nw);
    double mine = share_weight(mem[sh->id] / sum, nw);
    return total > 0 ? (int64_t)((double)excess * mine / total) : 0;
}

/* A replica (standalone or in a cluster) leaves eviction to its master while
 * replica-ignore-maxmemory is yes (Redis's isSafeToPerformEvictions). */
static bool
ignore_maxmemory(const struct shard *sh)
{
    if (!__atomic_load_n(&g_cfg.replica_ignore_maxmemory, __ATOMIC_RELAXED))
        return false;
    if (sh->fx.replica) /* REPLICAOF, or a cluster replica whose link came up */
        return true;
    if (!g_server.cluster_mode)
        return false;
    const struct cluster_snap *s = cluster_snap_get();
    return s && s->myself >= 0 && (s->nodes[s->myself].flags & CN_SLAVE);
}

enum evict_result
evict_run(struct shard *sh)
{
    sh->evict_more = false;
    long long mm = __atomic_load_n(&g_cfg.maxmemory, __ATOMIC_RELAXED);
    if (mm <= 0 || ignore_maxmemory(sh))
        return EVICT_OK;
    mem_flush();
    evict_publish(sh);
    size_t used = mem_used();
    if (used <= (size_t)mm) {
        sh->evict_debt = 0;
        return EVICT_OK;
    }
    int policy = __atomic_load_n(&g_cfg.maxmemory_policy, __ATOMIC_RELAXED);
    if (policy == MAXMEMORY_NOEVICTION)
        return EVICT_FAIL;
    int samples = __atomic_load_n(&g_cfg.maxmemory_samples, __ATOMIC_RELAXED);
    uint64_t limit = evict_time_limit_us(__atomic_load_n(&g_cfg.maxmemory_eviction_tenacity, __ATOMIC_RELAXED));
    /* The share is owed, not rounded up to a key: a worker whose share
     * is a tenth of a key evicts one key every ten runs. So the workers'
     * evictions keep the proportion of their datasets (rounding every
     * share up to a whole key made a worker that runs more often shrink
     * while the other grew). What a key freed beyond the share is
     * credited to the next runs. */
    sh->evict_debt += my_share(sh, used - (size_t)mm);
    uint64_t t0 = ts_monotonic_us();
    enum evict_result res = EVICT_OK;
    for (unsigned n = 1; sh->evict_debt > 0; n++) {
        size_t f = evict_one(sh->ks, sh, policy, samples, sh->now_ms);
        if (f == 0) {
            sh->evict_debt = 0;
            res = EVICT_FAIL;
            break;
        }
        sh->evict_debt -= (int64_t)f;
        if (n % 16 == 0 && sh->evict_debt > 0 && ts_monotonic_us() - t0 > limit) {
            res = EVICT_RUNNING;
            sh->evict_more = true;
            break;
        }
    }
    mem_flush();
    evict_publish(sh);
    return res;
}

bool
evict_reject_oom(struct shard *sh)
{
    if (ignore_maxmemory(sh))
        return false;
    int policy = __atomic_load_n(&g_cfg.maxmemory_policy, __ATOMIC_RELAXED);
    if (policy == MAXMEMORY_NOEVICTION)
        return true;
    /* Some worker can still evict: the command runs, and the worker
     * running it frees its share first (evict_run). */
    evict_publish(sh);
    bool vol = evict_policy_volatile(policy);
    int nw = TS_MIN(g_server.nworkers, MAX_WORKERS);
    for (int w = 0; w < nw; w++)
        if (__atomic_load_n(vol ? &evict_pubs[w].vol : &evict_pubs[w].keys, __ATOMIC_RELAXED))
            return false;
    return true;
}

static int evict_first_ticks; /* atomic: workers past their first cron tick */

void
evict_cron(struct shard *sh)
{
    mem_flush();
    /* used_memory_startup: once every worker has set itself up (rings,
     * buffers, keyspace) and published it, at its first tick. */
    if (unlikely(!sh->cron_ticked)) {
        sh->cron_ticked = true;
        if (__atomic_add_fetch(&evict_first_ticks, 1, __ATOMIC_ACQ_REL) == g_server.nworkers)
            mem_set_startup();
    }
    evict_publish(sh);
    if (evict_over_limit())
        evict_run(sh);
}
