// Latency buckets (INFO latencystats, LATENCY HISTOGRAM) and errorstats.
#include <gtest/gtest.h>

#include <string>

#include "tests/shim/cmdstats_shim.h"

TEST(CmdstatsLatency, SmallValuesAreExact)
{
    for (uint64_t v = 0; v < 16; v++) {
        EXPECT_EQ(cmdstats_shim_lat_index(v), (int)v);
        EXPECT_EQ(cmdstats_shim_lat_upper((int)v), v);
    }
}

TEST(CmdstatsLatency, BucketsHoldTheirValuesWithinOneSixteenth)
{
    int prev = -1;
    for (uint64_t v = 1; v < (1ULL << 42); v = v + 1 + v / 7) {
        int idx = cmdstats_shim_lat_index(v);
        ASSERT_GE(idx, prev) << "index must not decrease, v=" << v;
        prev = idx;
        uint64_t up = cmdstats_shim_lat_upper(idx);
        ASSERT_GE(up, v) << "v=" << v;
        ASSERT_LE((double)(up - v), (double)v / 16.0 + 1) << "v=" << v;
        if (idx > 0) {
            ASSERT_LT(cmdstats_shim_lat_upper(idx - 1), v) << "v=" << v << " belongs to a lower bucket";
        }
    }
}

TEST(CmdstatsLatency, PowersOfTwoStartGroups)
{
    // LATENCY HISTOGRAM reports at 2^k ns: 2^k must be the first value of
    // its bucket, so "values below 2^k" is a whole number of buckets.
    for (int k = 4; k < 43; k++) {
        int idx = cmdstats_shim_lat_index(1ULL << k);
        EXPECT_EQ(idx % 16, 0) << "k=" << k;
        EXPECT_EQ(idx, (k - 4 + 1) * 16) << "k=" << k;
        EXPECT_EQ(cmdstats_shim_lat_upper(idx - 1), (1ULL << k) - 1) << "k=" << k;
    }
    EXPECT_EQ(cmdstats_shim_lat_index(~0ULL), cmdstats_shim_lat_buckets() - 1);
}

TEST(CmdstatsErrors, CountedByFirstWord)
{
    const char *errs[] = {"ERR unknown command 'x'", "WRONGTYPE Operation", "ERR syntax error", "NOAUTH x",
                          "ERR"};
    char out[512];
    cmdstats_shim_errorstats(errs, 5, out, sizeof(out));
    EXPECT_EQ(std::string(out), "errorstat_ERR:count=3\r\nerrorstat_WRONGTYPE:count=1\r\nerrorstat_NOAUTH:count=1\r\n");
}
