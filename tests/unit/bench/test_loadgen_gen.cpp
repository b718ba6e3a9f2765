// test_loadgen_gen.cpp: loadgen's request side: key distributions
// (bench/loadgen/keydist.h) and RESP templates and mix (cmdgen.h).
#include "tests/shim/loadgen_shim.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace {

struct Gen {
    void *g;
    explicit Gen(const char *spec, uint64_t n, uint64_t seed = 1, uint64_t start = 0, uint64_t stride = 1)
        : g(lgs_keygen_create(spec, n, seed, start, stride))
    {
    }
    ~Gen() { lgs_keygen_destroy(g); }
};

std::string
Render(const char *tmpl, uint32_t vlen, uint64_t key, const char *prefix = "key:")
{
    char buf[4096];
    long n = lgs_render(tmpl, prefix, vlen, key, buf, sizeof(buf));
    return n < 0 ? std::string("<invalid>") : std::string(buf, static_cast<size_t>(n));
}

}  // namespace

TEST(LoadgenKeys, SpecsParse)
{
    for (const char *ok : {"uniform", "sequential", "zipf", "zipf:0.5", "zipf:1", "zipf:1.2", "R", "S"}) {
        Gen g(ok, 100);
        EXPECT_NE(g.g, nullptr) << ok;
    }
    for (const char *bad : {"", "gauss", "zipf:", "zipf:0", "zipf:-1", "zipf:x", "zipfy"}) {
        Gen g(bad, 100);
        EXPECT_EQ(g.g, nullptr) << bad;
    }
}

TEST(LoadgenKeys, UniformStaysInRangeAndSpreads)
{
    Gen g("uniform", 1000, 5);
    std::vector<int> count(1000);
    for (int i = 0; i < 1000000; i++) {
        uint64_t k = lgs_keygen_next(g.g);
        ASSERT_LT(k, 1000u);
        count[k]++;
    }
    for (int c : count)
        EXPECT_NEAR(c, 1000, 200);  // ~6 sigma
    // Same seed, same sequence.
    Gen a("uniform", 1000000, 9), b("uniform", 1000000, 9);
    for (int i = 0; i < 1000; i++)
        ASSERT_EQ(lgs_keygen_next(a.g), lgs_keygen_next(b.g));
}

TEST(LoadgenKeys, SequentialGeneratorsPartitionTheKeySpace)
{
    // Three generators (threads) with starts 0, 1, 2 and stride 3 cover
    // 0..9 exactly once in n = 10 requests split 4 + 3 + 3.
    std::multiset<uint64_t> seen;
    const int share[3] = {4, 3, 3};
    for (int t = 0; t < 3; t++) {
        Gen g("sequential", 10, 1, t, 3);
        for (int i = 0; i < share[t]; i++)
            seen.insert(lgs_keygen_next(g.g));
    }
    EXPECT_EQ(seen.size(), 10u);
    for (uint64_t k = 0; k < 10; k++)
        EXPECT_EQ(seen.count(k), 1u) << k;
    Gen w("sequential", 5);
    for (int i = 0; i < 12; i++)
        EXPECT_EQ(lgs_keygen_next(w.g), static_cast<uint64_t>(i % 5));
}

TEST(LoadgenKeys, ZipfFollowsThePowerLaw)
{
    for (double theta : {0.5, 0.99, 1.5}) {
        std::string spec = "zipf:" + std::to_string(theta);
        const uint64_t n = 10000;
        Gen g(spec.c_str(), n, 11);
        std::map<uint64_t, int> count;
        const int draws = 2000000;
        for (int i = 0; i < draws; i++) {
            uint64_t k = lgs_keygen_next(g.g);
            ASSERT_LT(k, n);
            count[k]++;
        }
        // P(k) ~ (k+1)^-theta: compare ranks 1, 2, 10 with rank 1.
        double c1 = count[0];
        EXPECT_NEAR(count[1] / c1, std::pow(2.0, -theta), 0.03) << spec;
        EXPECT_NEAR(count[9] / c1, std::pow(10.0, -theta), 0.03) << spec;
        // And the absolute share of rank 1: 1 / H(n, theta).
        double h = 0;
        for (uint64_t k = 1; k <= n; k++)
            h += std::pow(static_cast<double>(k), -theta);
        EXPECT_NEAR(c1 / draws, 1 / h, 0.05 / h + 0.002) << spec;
    }
}

TEST(LoadgenCmd, RendersResp)
{
    EXPECT_EQ(Render("GET __key__", 3, 42), "*2\r\n$3\r\nGET\r\n$16\r\nkey:000000000042\r\n");
    EXPECT_EQ(Render("SET __key__ __data__", 5, 7),
              "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000007\r\n$5\r\nxxxxx\r\n");
    EXPECT_EQ(Render("SET __key__ __data__", 0, 7), "*3\r\n$3\r\nSET\r\n$16\r\nkey:000000000007\r\n$0\r\n\r\n");
    EXPECT_EQ(Render("INCR counter:__key__", 3, 999999999999), "*2\r\n$4\r\nINCR\r\n$24\r\ncounter:key:999999999999\r\n");
    EXPECT_EQ(Render("PING", 3, 1), "*1\r\n$4\r\nPING\r\n");
    // Key and data inside one argument; repeated placeholders; quotes.
    EXPECT_EQ(Render("HSET h:__key__ \"a field\" v__data__v", 2, 1, "{t}"),
              "*4\r\n$4\r\nHSET\r\n$17\r\nh:{t}000000000001\r\n$7\r\na field\r\n$4\r\nvxxv\r\n");
    EXPECT_EQ(Render("MSET __key__ __data__ __key__ __data__", 1, 3, "k"),
              "*5\r\n$4\r\nMSET\r\n$13\r\nk000000000003\r\n$1\r\nx\r\n$13\r\nk000000000003\r\n$1\r\nx\r\n");
    EXPECT_EQ(Render("", 3, 1), "<invalid>");
    EXPECT_EQ(Render("GET \"unbalanced", 3, 1), "<invalid>");
}

TEST(LoadgenCmd, MixCycleIsExactAndInterleaved)
{
    const char *t[] = {"SET __key__ __data__", "GET __key__"};
    unsigned char cyc[4096];
    unsigned w1[] = {1, 10};
    int n = lgs_mix_cycle(t, w1, 2, cyc, sizeof(cyc));
    ASSERT_EQ(n, 11);
    int sets = 0;
    for (int i = 0; i < n; i++)
        sets += cyc[i] == 0;
    EXPECT_EQ(sets, 1);
    unsigned w2[] = {30, 50};  // reduced by the gcd: 3:5
    n = lgs_mix_cycle(t, w2, 2, cyc, sizeof(cyc));
    ASSERT_EQ(n, 8);
    sets = 0;
    int run = 0, longest = 0;
    for (int i = 0; i < n; i++) {
        sets += cyc[i] == 0;
        run = cyc[i] == 0 ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    EXPECT_EQ(sets, 3);
    EXPECT_EQ(longest, 1) << "smooth: no two SETs in a row at 3:5";
}
