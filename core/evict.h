/* evict.h: maxmemory and key eviction (Redis 7.0's evict.c behaviour) for
 * a process whose keys are split among workers.
 *
 * One budget for the whole process: maxmemory is compared with the
 * process-wide allocation total (mem.h), which every thread feeds in
 * batches, so the limit holds whatever the worker count. The check on the
 * request path is one relaxed load of that total (and one of maxmemory).
 *
 * When the total is over the limit, each worker evicts from its own keys
 * a share of the excess proportional to its part of the dataset (each
 * worker publishes its keyspace's bytes and key counts, relaxed, at every
 * eviction run and cron tick):
 *
 *   excess = used - maxmemory
 *   worker w frees  excess * mem(w) / sum(mem)     (at least one key)
 *
 * A worker runs its share before each denyoom command it executes, in its
 * cron, and again every loop turn while a run stopped at its time limit
 * (maxmemory-eviction-tenacity). Since the excess is re-read before every
 * run and each worker publishes what it freed at once, the workers
 * together free the excess however many there are, and no worker ever
 * takes a lock or touches another's keys. Evicting where the command runs
 * (not where its client is) also keeps each worker freeing about what it
 * allocates: memory freed in one thread's heap is not reusable by
 * another's, so a worker that only shrank while another grew would leave
 * RSS above used_memory.
 *
 * Choosing a key is Redis's approximation: sample maxmemory-samples keys
 * (all keys, or only those with a TTL for volatile-*), score them (idle
 * seconds for LRU, 255 - the decayed LFU counter, or how soon the key
 * expires for volatile-ttl), keep the best 16 across rounds in an
 * eviction pool, and evict the best one that still exists. The random
 * policies pick a random key. Each eviction goes through the write-effect
 * point (fx_evicted: the "evicted" notification, WATCH, a DEL in the
 * effect stream).
 *
 * A denyoom command is refused with -OOM when the total is over the limit
 * and nothing can be evicted: noeviction, or no worker has a candidate
 * (volatile-* without volatile keys). A replica does not evict while
 * replica-ignore-maxmemory is yes (its master's DELs keep it in step). */
#ifndef TESSERA_EVICT_H
#define TESSERA_EVICT_H

#include "core/common.h"
#include "core/config.h"
#include "core/mem.h"

struct shard;
struct ks;
struct evict_pool;

#define EVICT_OOM_ERR "OOM command not allowed when used memory > 'maxmemory'."

enum evict_result {
    EVICT_OK,      /* under the limit, or this worker freed its share */
    EVICT_RUNNING, /* stopped at the time limit: more next loop turn */
    EVICT_FAIL,    /* over the limit and nothing (more) to evict here */
};

/* maxmemory is set and the process is over it: the request-path check. */
static inline bool
evict_over_limit(void)
{
    long long mm = __atomic_load_n(&g_cfg.maxmemory, __ATOMIC_RELAXED);
    return unlikely(mm > 0) && mem_used() > (size_t)mm;
}

/* Run this worker's share of eviction (see above). */
enum evict_result evict_run(struct shard *sh);
/* Before a denyoom command on the client's worker while over the limit:
 * whether it gets -OOM (noeviction, or no worker has a key the policy
 * may evict, from the figures they published). */
bool evict_reject_oom(struct shard *sh);
/* Publish this worker's keyspace figures (bytes, keys, volatile keys)
 * for the others: at every run and cron tick, and by the keyspace when it
 * stops being empty, so a -OOM decision never misses a worker's first
 * keys. */
void evict_publish(struct shard *sh);
/* Cron tick: publish this worker's figures, evict its share when over. */
void evict_cron(struct shard *sh);

/* ---- The parts below are exposed for the unit tests ---- */

/* Policy classes of a maxmemory-policy value (config.h MAXMEMORY_*). */
bool evict_policy_volatile(int policy);

/* Redis's LFU counter (8 bits, logarithmic). evict_lfu_decr: the counter
 * after idle_s seconds without access, minus one per lfu-decay-time
 * minutes (0: no decay). evict_lfu_incr: one access; r is 32 random bits,
 * the counter grows with probability 1 / ((counter - 5) * lfu-log-factor
 * + 1) (5 is a new key's value), so 255 takes about a million hits at
 * factor 10. */
static inline unsigned
evict_lfu_decr(unsigned counter, uint32_t idle_s, long long decay_time)
{
    if (decay_time <= 0 || idle_s < 60) /* the common hot-key case: no division */
        return counter;
    uint64_t periods = (uint64_t)(idle_s / 60) / (uint64_t)decay_time;
    return periods >= counter ? 0 : counter - (unsigned)periods;
}

static inline unsigned
evict_lfu_incr(unsigned counter, uint32_t r, long long log_factor)
{
    if (counter >= 255)
        return 255;
    uint64_t base = counter > 5 ? counter - 5 : 0;
    uint64_t den = base * (uint64_t)(log_factor > 0 ? log_factor : 0) + 1;
    /* r / 2^32 < 1 / den, without division */
    return (uint64_t)r * den < ((uint64_t)1 << 32) ? counter + 1 : counter;
}

/* The time one eviction run may take, from maxmemory-eviction-tenacity:
 * 50 us per step up to 10 (500 us), then 15% more per step, no limit at
 * 100 (Redis's evictionTimeLimitUs). */
uint64_t evict_time_limit_us(int tenacity);

/* The eviction pool: the 16 best candidates seen so far, kept sorted by
 * score (higher = evict first), each with a copy of its key. */
#define EVICT_POOL_SIZE 16
struct evict_pool *evict_pool_create(void);
void evict_pool_destroy(struct evict_pool **p);
/* Offer a candidate; kept if the pool has room or it beats the worst.
 * A key already pooled is not added twice. */
void evict_pool_insert(struct evict_pool *p, uint64_t score, uint16_t slot, struct sv key);
/* Take out the best candidate; *key stays valid until the next call on
 * the pool. False when empty. */
bool evict_pool_pop(struct evict_pool *p, uint64_t *score, uint16_t *slot, struct sv *key);
int evict_pool_count(const struct evict_pool *p);

/* Evict one key of ks by policy, sampling samples keys (the pool lives
 * in ks); sh, when not NULL, is told through the write-effect point.
 * Returns the bytes the keyspace gave back, 0 when no key qualifies. */
size_t evict_one(struct ks *ks, struct shard *sh, int policy, int samples, int64_t now_ms);

#endif
