/* evict_shim.h: plain-C wrappers over core/evict.h for the C++ unit tests
 * (tests/unit/core/test_evict.cpp): the LFU counter maths, the eviction
 * pool, and evicting keys of a keyspace made with keyspace_shim.h. */
#ifndef TESSERA_EVICT_SHIM_H
#define TESSERA_EVICT_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/shim/keyspace_shim.h"

#ifdef __cplusplus
extern "C" {
#endif

/* maxmemory-policy values (config.h MAXMEMORY_*, checked in the .c). */
enum {
    EVS_VOLATILE_LRU,
    EVS_ALLKEYS_LRU,
    EVS_VOLATILE_LFU,
    EVS_ALLKEYS_LFU,
    EVS_VOLATILE_RANDOM,
    EVS_ALLKEYS_RANDOM,
    EVS_VOLATILE_TTL,
    EVS_NOEVICTION,
};

unsigned evs_lfu_decr(unsigned counter, uint32_t idle_s, long long decay_time);
unsigned evs_lfu_incr(unsigned counter, uint32_t r, long long log_factor);
uint64_t evs_time_limit_us(int tenacity);
void evs_set_lfu(int log_factor, int decay_time);

typedef struct evict_pool evs_pool_t;
int evs_pool_size(void);
evs_pool_t *evs_pool_create(void);
void evs_pool_destroy(evs_pool_t *p);
void evs_pool_insert(evs_pool_t *p, uint64_t score, uint16_t slot, const char *k, size_t klen);
/* Pops the best; copies its key (up to cap bytes). */
bool evs_pool_pop(evs_pool_t *p, uint64_t *score, uint16_t *slot, char *out, size_t cap, size_t *outlen);
int evs_pool_count(const evs_pool_t *p);

/* Evict one key of ks (no shard); returns bytes freed (0: none). */
size_t evs_evict_one(kss_t *ks, int policy, int samples, int64_t now_ms);
uint64_t evs_evicted(kss_t *ks);
/* Access a key at now_ms n times (LRU stamp, LFU counter). */
void evs_touch(kss_t *ks, uint16_t slot, const char *k, size_t klen, int64_t now_ms, int n);

/* Allocation accounting (mem.h) through the ts_* wrappers. */
void *evs_alloc(size_t n);
void *evs_realloc(void *p, size_t n);
void evs_free(void *p);
size_t evs_usable(const void *p);
void evs_mem_flush(void);  /* this thread's delta */
size_t evs_mem_used(void); /* the published total */

#ifdef __cplusplus
}
#endif

#endif
