// The slot -> worker table: the default split, and how a cluster node's
// owned slots are spread over its workers as ownership changes.
#include <gtest/gtest.h>

#include <map>

#include "tests/shim/slotmap_shim.h"

static std::map<int, int>
PerWorker(int a, int b)
{
    std::map<int, int> m;
    for (int s = a; s <= b; s++)
        m[slotmap_shim_worker(s)]++;
    return m;
}

// Count runs of consecutive slots on one worker within [a, b].
static int
Runs(int a, int b)
{
    int runs = 1;
    for (int s = a + 1; s <= b; s++)
        runs += slotmap_shim_worker(s) != slotmap_shim_worker(s - 1);
    return runs;
}

TEST(Slotmap, DefaultSplitIsContiguousAndEven)
{
    slotmap_shim_setup(4);
    auto m = PerWorker(0, 16383);
    ASSERT_EQ(m.size(), 4u);
    for (auto &kv : m)
        EXPECT_EQ(kv.second, 4096);
    EXPECT_EQ(Runs(0, 16383), 4);
}

TEST(Slotmap, OwnedSlotsAreSpreadOverAllWorkers)
{
    slotmap_shim_setup(2);
    int first[] = {0, 5460};
    slotmap_shim_own_ranges(first, 1);
    auto m = PerWorker(0, 5460);
    ASSERT_EQ(m.size(), 2u); // the default split would put all of them on worker 0
    EXPECT_NEAR(m[0], 2730, 1);
    EXPECT_NEAR(m[1], 2730, 1);
    EXPECT_EQ(Runs(0, 5460), 2);

    // Gaining a second range keeps the first where it is, and balances.
    int before = slotmap_shim_worker(100);
    int both[] = {0, 5460, 10923, 16383};
    slotmap_shim_own_ranges(both, 2);
    EXPECT_EQ(slotmap_shim_worker(100), before);
    auto m2 = PerWorker(10923, 16383);
    EXPECT_EQ(m2.size(), 2u);
    auto all0 = PerWorker(0, 5460), all1 = PerWorker(10923, 16383);
    EXPECT_NEAR(all0[0] + all1[0], all0[1] + all1[1], 2);
}
