// Unit tests for core/evict.c and core/mem.c through tests/shim/evict_shim.h:
// Redis's LFU counter maths, the eviction time limit, the eviction pool,
// choosing keys to evict by policy, and the allocation accounting.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/shim/evict_shim.h"

namespace {

const int64_t T0 = 1700000000000LL; // unix ms

struct KS {
    kss_t *ks;
    KS() : ks(kss_create()) {}
    ~KS() { kss_destroy(ks); }
    operator kss_t *() { return ks; }
};

void
set(kss_t *ks, const std::string &k, const std::string &v, int64_t exp = KSS_EXPIRE_NONE)
{
    kss_set_str(ks, 7, k.data(), k.size(), v.data(), v.size(), exp);
}

bool
exists(kss_t *ks, const std::string &k)
{
    return kss_get(ks, 7, k.data(), k.size(), 0, KSS_NOTOUCH | KSS_NOEXPIRE, nullptr, 0, nullptr);
}

} // namespace

// ---- LFU ----

TEST(EvictLfu, DecayIsOnePerDecayTimeMinutes)
{
    EXPECT_EQ(evs_lfu_decr(10, 59, 1), 10u);
    EXPECT_EQ(evs_lfu_decr(10, 60, 1), 9u);
    EXPECT_EQ(evs_lfu_decr(10, 120, 1), 8u);
    EXPECT_EQ(evs_lfu_decr(10, 600, 2), 5u);
    EXPECT_EQ(evs_lfu_decr(3, 3600, 1), 0u);
    EXPECT_EQ(evs_lfu_decr(200, 1000000, 0), 200u); // lfu-decay-time 0: never decays
}

TEST(EvictLfu, IncrementProbabilityBoundary)
{
    // Up to the initial value 5 every hit counts; 255 is the ceiling.
    for (unsigned c = 0; c <= 5; c++)
        EXPECT_EQ(evs_lfu_incr(c, 0xffffffffu, 10), c + 1);
    EXPECT_EQ(evs_lfu_incr(255, 0, 10), 255u);
    // Counter 15, factor 10: p = 1/101, so r must be below 2^32/101.
    uint32_t edge = (uint32_t)((UINT64_C(1) << 32) / 101); // 42524428
    EXPECT_EQ(evs_lfu_incr(15, edge, 10), 16u);
    EXPECT_EQ(evs_lfu_incr(15, edge + 1, 10), 15u);
    // Factor 0: every hit counts.
    EXPECT_EQ(evs_lfu_incr(100, 0xffffffffu, 0), 101u);
}

TEST(EvictLfu, LogarithmicGrowthMatchesRedisTable)
{
    // Redis's redis.conf table for lfu-log-factor 10: 1K hits -> 18,
    // 100K -> 142, 1M -> 255.
    std::mt19937 rng(12345);
    unsigned c = 5;
    for (int i = 0; i < 1000; i++)
        c = evs_lfu_incr(c, (uint32_t)rng(), 10);
    EXPECT_GE(c, 14u);
    EXPECT_LE(c, 23u);
    for (int i = 1000; i < 100000; i++)
        c = evs_lfu_incr(c, (uint32_t)rng(), 10);
    EXPECT_GE(c, 125u);
    EXPECT_LE(c, 160u);
    for (int i = 100000; i < 1000000; i++)
        c = evs_lfu_incr(c, (uint32_t)rng(), 10);
    EXPECT_GE(c, 240u);
}

TEST(EvictLfu, KeyspaceAccessUsesConfiguredFactor)
{
    KS ks;
    kss_set_clock(ks, T0);
    set(ks, "hot", "v");
    evs_set_lfu(0, 1); // every access counts
    evs_touch(ks, 7, "hot", 3, T0, 100);
    EXPECT_EQ(kss_freq(ks, 7, "hot", 3), 105);
    evs_set_lfu(10, 1);
}

TEST(Evict, TimeLimitFollowsTenacity)
{
    EXPECT_EQ(evs_time_limit_us(0), 0u);
    EXPECT_EQ(evs_time_limit_us(5), 250u);
    EXPECT_EQ(evs_time_limit_us(10), 500u);
    EXPECT_EQ(evs_time_limit_us(11), 575u);
    EXPECT_GT(evs_time_limit_us(99), 100000000u); // about two minutes
    EXPECT_EQ(evs_time_limit_us(100), UINT64_MAX);
}

// ---- The pool ----

TEST(EvictPool, KeepsTheBestAndPopsBestFirst)
{
    evs_pool_t *p = evs_pool_create();
    std::vector<int> scores;
    for (int i = 0; i < 40; i++)
        scores.push_back(i * 3);
    std::shuffle(scores.begin(), scores.end(), std::mt19937(7));
    for (int s : scores) {
        std::string k = "k" + std::to_string(s);
        evs_pool_insert(p, (uint64_t)s, (uint16_t)(s % 5), k.data(), k.size());
    }
    ASSERT_EQ(evs_pool_count(p), evs_pool_size());
    // worse than everything pooled: not taken
    evs_pool_insert(p, 1, 0, "low", 3);
    EXPECT_EQ(evs_pool_count(p), evs_pool_size());
    // already pooled: not twice
    evs_pool_insert(p, 117, 117 % 5, "k117", 4);
    EXPECT_EQ(evs_pool_count(p), evs_pool_size());
    for (int i = 0; i < evs_pool_size(); i++) {
        uint64_t score;
        uint16_t slot;
        char buf[64];
        size_t len;
        ASSERT_TRUE(evs_pool_pop(p, &score, &slot, buf, sizeof(buf), &len));
        EXPECT_EQ(score, (uint64_t)(117 - 3 * i));
        EXPECT_EQ(slot, (uint16_t)(score % 5));
        EXPECT_EQ(std::string(buf, len), "k" + std::to_string(score));
    }
    uint64_t score;
    uint16_t slot;
    char buf[8];
    size_t len;
    EXPECT_FALSE(evs_pool_pop(p, &score, &slot, buf, sizeof(buf), &len));
    evs_pool_destroy(p);
}

TEST(EvictPool, LongKeysAndReuse)
{
    evs_pool_t *p = evs_pool_create();
    std::string big(1000, 'x');
    evs_pool_insert(p, 5, 1, big.data(), big.size());
    evs_pool_insert(p, 9, 2, "short", 5);
    uint64_t score;
    uint16_t slot;
    std::vector<char> buf(2000);
    size_t len;
    ASSERT_TRUE(evs_pool_pop(p, &score, &slot, buf.data(), buf.size(), &len));
    EXPECT_EQ(std::string(buf.data(), len), "short");
    // the freed entry's buffer is reused by the next insert
    evs_pool_insert(p, 7, 3, big.data(), 999);
    ASSERT_TRUE(evs_pool_pop(p, &score, &slot, buf.data(), buf.size(), &len));
    EXPECT_EQ(score, 7u);
    EXPECT_EQ(len, 999u);
    ASSERT_TRUE(evs_pool_pop(p, &score, &slot, buf.data(), buf.size(), &len));
    EXPECT_EQ(std::string(buf.data(), len), big);
    evs_pool_destroy(p);
}

// ---- Choosing keys ----

TEST(EvictKeys, SmallKeyspaceLruIsExact)
{
    KS ks;
    for (int i = 0; i < 20; i++) {
        kss_set_clock(ks, T0 + i * 1000);
        set(ks, "k" + std::to_string(i), "v");
    }
    for (int i = 0; i < 20; i++) {
        ASSERT_GT(evs_evict_one(ks, EVS_ALLKEYS_LRU, 64, T0 + 100000), 0u);
        EXPECT_FALSE(exists(ks, "k" + std::to_string(i))) << "oldest first, at " << i;
        if (i + 1 < 20) {
            EXPECT_TRUE(exists(ks, "k" + std::to_string(i + 1)));
        }
    }
    EXPECT_EQ(kss_count(ks), 0u);
    EXPECT_EQ(evs_evict_one(ks, EVS_ALLKEYS_LRU, 5, T0), 0u);
    EXPECT_EQ(evs_evicted(ks), 20u);
}

TEST(EvictKeys, SamplesAboveTheKeyCountRankEveryKey)
{
    // maxmemory-samples goes up to INT_MAX, as in Redis: 500 samples over
    // 200 keys rank them all, so the order is exact.
    KS ks;
    std::vector<int> ages(200);
    for (int i = 0; i < 200; i++)
        ages[i] = i;
    std::shuffle(ages.begin(), ages.end(), std::mt19937(3));
    for (int i : ages) {
        kss_set_clock(ks, T0 + (int64_t)i * 1000);
        set(ks, "k" + std::to_string(i), "v");
    }
    for (int i = 0; i < 50; i++) {
        ASSERT_GT(evs_evict_one(ks, EVS_ALLKEYS_LRU, 500, T0 + 1000000), 0u);
        EXPECT_FALSE(exists(ks, "k" + std::to_string(i)));
        EXPECT_TRUE(exists(ks, "k" + std::to_string(i + 1)));
    }
}

TEST(EvictKeys, SampledLruPrefersOldKeys)
{
    KS ks;
    const int n = 1000;
    for (int i = 0; i < n; i++) {
        kss_set_clock(ks, T0 + (int64_t)i * 1000);
        set(ks, "k" + std::to_string(i), "v");
    }
    for (int i = 0; i < 100; i++)
        ASSERT_GT(evs_evict_one(ks, EVS_ALLKEYS_LRU, 5, T0 + (int64_t)n * 1000), 0u);
    // Random choice would leave a mean evicted index of ~500 (sd ~29);
    // sampling 5 into a pool of 16 evicts from the oldest few hundred.
    double sum = 0;
    int gone = 0;
    for (int i = 0; i < n; i++)
        if (!exists(ks, "k" + std::to_string(i))) {
            sum += i;
            gone++;
        }
    ASSERT_EQ(gone, 100);
    EXPECT_LT(sum / gone, 300.0);
}

TEST(EvictKeys, LfuKeepsHotKeys)
{
    KS ks;
    kss_set_clock(ks, T0);
    for (int i = 0; i < 100; i++)
        set(ks, "k" + std::to_string(i), "v");
    for (int i = 0; i < 10; i++) {
        std::string k = "k" + std::to_string(i * 10);
        evs_touch(ks, 7, k.data(), k.size(), T0, 2000);
    }
    for (int i = 0; i < 70; i++)
        ASSERT_GT(evs_evict_one(ks, EVS_ALLKEYS_LFU, 10, T0), 0u);
    for (int i = 0; i < 10; i++)
        EXPECT_TRUE(exists(ks, "k" + std::to_string(i * 10)));
}

TEST(EvictKeys, VolatileTtlSoonestFirstAndOnlyVolatile)
{
    KS ks;
    kss_set_clock(ks, T0);
    std::vector<int> order = {5, 2, 9, 0, 7, 3, 8, 1, 6, 4};
    for (int i : order)
        set(ks, "v" + std::to_string(i), "x", T0 + 10000 + i * 1000);
    for (int i = 0; i < 10; i++)
        set(ks, "p" + std::to_string(i), "x");
    for (int i = 0; i < 10; i++) {
        ASSERT_GT(evs_evict_one(ks, EVS_VOLATILE_TTL, 16, T0), 0u);
        EXPECT_FALSE(exists(ks, "v" + std::to_string(i)));
        if (i < 9) {
            EXPECT_TRUE(exists(ks, "v" + std::to_string(i + 1)));
        }
    }
    // no volatile keys left: every volatile policy finds nothing
    for (int pol : {EVS_VOLATILE_TTL, EVS_VOLATILE_LRU, EVS_VOLATILE_LFU, EVS_VOLATILE_RANDOM})
        EXPECT_EQ(evs_evict_one(ks, pol, 5, T0), 0u);
    EXPECT_EQ(evs_evict_one(ks, EVS_NOEVICTION, 5, T0), 0u);
    EXPECT_EQ(kss_count(ks), 10u);
}

TEST(EvictKeys, RandomPoliciesAndFreedBytes)
{
    KS ks;
    kss_set_clock(ks, T0);
    std::string big(5000, 'b');
    for (int i = 0; i < 50; i++)
        set(ks, "k" + std::to_string(i), big, i % 2 ? T0 + 100000 : KSS_EXPIRE_NONE);
    size_t before = kss_mem_bytes(ks);
    size_t f = evs_evict_one(ks, EVS_VOLATILE_RANDOM, 5, T0);
    EXPECT_GE(f, 5000u);
    EXPECT_EQ(kss_mem_bytes(ks), before - f);
    EXPECT_EQ(kss_count_volatile(ks), 24u);
    while (evs_evict_one(ks, EVS_ALLKEYS_RANDOM, 5, T0) > 0) {
    }
    EXPECT_EQ(kss_count(ks), 0u);
}

// ---- Accounting ----

TEST(MemAccounting, WrappersCountUsableSizes)
{
    evs_mem_flush();
    size_t base = evs_mem_used();
    void *p = evs_alloc(1000);
    size_t u = evs_usable(p);
    EXPECT_GE(u, 1000u);
    evs_mem_flush();
    EXPECT_EQ(evs_mem_used(), base + u);
    p = evs_realloc(p, 100000);
    size_t u2 = evs_usable(p);
    evs_mem_flush();
    EXPECT_EQ(evs_mem_used(), base + u2);
    evs_free(p);
    evs_mem_flush();
    EXPECT_EQ(evs_mem_used(), base);
}

TEST(MemAccounting, CrossThreadFreeKeepsTheSumExact)
{
    evs_mem_flush();
    size_t base = evs_mem_used();
    std::vector<void *> blocks;
    size_t total = 0;
    std::thread a([&] {
        for (int i = 0; i < 1000; i++) {
            blocks.push_back(evs_alloc(100 + i));
            total += evs_usable(blocks.back());
        }
        evs_mem_flush();
    });
    a.join();
    EXPECT_EQ(evs_mem_used(), base + total);
    std::thread b([&] {
        for (void *p : blocks)
            evs_free(p);
        evs_mem_flush();
    });
    b.join();
    EXPECT_EQ(evs_mem_used(), base);
}
