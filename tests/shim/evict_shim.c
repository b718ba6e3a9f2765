/* evict_shim.c: see evict_shim.h. Compiled as C. */
#include "tests/shim/evict_shim.h"

#include "core/config.h"
#include "core/evict.h"
#include "core/keyspace.h"

#include <assert.h>

static_assert((int)EVS_VOLATILE_LRU == (int)MAXMEMORY_VOLATILE_LRU && (int)EVS_ALLKEYS_LRU == (int)MAXMEMORY_ALLKEYS_LRU &&
                  (int)EVS_VOLATILE_LFU == (int)MAXMEMORY_VOLATILE_LFU && (int)EVS_ALLKEYS_LFU == (int)MAXMEMORY_ALLKEYS_LFU &&
                  (int)EVS_VOLATILE_RANDOM == (int)MAXMEMORY_VOLATILE_RANDOM &&
                  (int)EVS_ALLKEYS_RANDOM == (int)MAXMEMORY_ALLKEYS_RANDOM && (int)EVS_VOLATILE_TTL == (int)MAXMEMORY_VOLATILE_TTL &&
                  (int)EVS_NOEVICTION == (int)MAXMEMORY_NOEVICTION,
              "policy mirror");

unsigned
evs_lfu_decr(unsigned counter, uint32_t idle_s, long long decay_time)
{
    return evict_lfu_decr(counter, idle_s, decay_time);
}

unsigned
evs_lfu_incr(unsigned counter, uint32_t r, long long log_factor)
{
    return evict_lfu_incr(counter, r, log_factor);
}

uint64_t
evs_time_limit_us(int tenacity)
{
    return evict_time_limit_us(tenacity);
}

void
evs_set_lfu(int log_factor, int decay_time)
{
    g_cfg.lfu_log_factor = log_factor;
    g_cfg.lfu_decay_time = decay_time;
}

int
evs_pool_size(void)
{
    return EVICT_POOL_SIZE;
}

evs_pool_t *
evs_pool_create(void)
{
    return evict_pool_create();
}

void
evs_pool_destroy(evs_pool_t *p)
{
    evict_pool_destroy(&p);
}

void
evs_pool_insert(evs_pool_t *p, uint64_t score, uint16_t slot, const char *k, size_t klen)
{
    evict_pool_insert(p, score, slot, (struct sv){k, klen});
}

bool
evs_pool_pop(evs_pool_t *p, uint64_t *score, uint16_t *slot, char *out, size_t cap, size_t *outlen)
{
    struct sv key;
    if (!evict_pool_pop(p, score, slot, &key))
        return false;
    size_t n = key.len < cap ? key.len : cap;
    memcpy(out, key.ptr, n);
    *outlen = key.len;
    return true;
}

int
evs_pool_count(const evs_pool_t *p)
{
    return evict_pool_count(p);
}

size_t
evs_evict_one(kss_t *ks, int policy, int samples, int64_t now_ms)
{
    return evict_one(ks, NULL, policy, samples, now_ms);
}

uint64_t
evs_evicted(kss_t *ks)
{
    return ks_get_stats(ks)->evicted_keys;
}

void
evs_touch(kss_t *ks, uint16_t slot, const char *k, size_t klen, int64_t now_ms, int n)
{
    for (int i = 0; i < n; i++)
        ks_lookup(ks, slot, (struct sv){k, klen}, now_ms, 0);
}

void *
evs_alloc(size_t n)
{
    return ts_malloc(n);
}

void *
evs_realloc(void *p, size_t n)
{
    return ts_realloc(p, n);
}

void
evs_free(void *p)
{
    ts_free(p);
}

size_t
evs_usable(const void *p)
{
    return ts_usable_size(p);
}

void
evs_mem_flush(void)
{
    mem_flush();
}

size_t
evs_mem_used(void)
{
    return mem_used();
}
