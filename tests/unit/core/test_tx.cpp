// test_tx.cpp: the cross-worker transaction seam (core/tx.c) through
// tests/shim/tx_shim.h: global intents, parts sitting a phase out,
// open-ended phases, nested transactions, and the id order between them.
#include <gtest/gtest.h>

#include <string>

#include "tests/shim/tx_shim.h"

namespace {

class Tx : public ::testing::Test {
  protected:
    void SetUp() override
    {
        tx_shim_setup(2);
        // one key on each worker
        for (int i = 0; k0.empty() || k1.empty(); i++) {
            std::string k = "key" + std::to_string(i);
            (tx_shim_worker_of(k.c_str()) == 0 ? k0 : k1) = k;
        }
    }
    void TearDown() override { tx_shim_teardown(); }
    void run_all()
    {
        for (int i = 0; i < 1000 && tx_shim_deliver(1) > 0; i++) {
        }
    }
    std::string k0, k1;
};

// Deliver messages until every part of the transactions started so far
// is queued with its intents (schedule, then the coordinator's answer).
void
schedule(int nparts)
{
    tx_shim_deliver(2 * nparts);
}

TEST_F(Tx, GlobalWriteLocksEveryKeyOfEveryWorker)
{
    const char *keys[] = {k0.c_str(), nullptr}; // keys on worker 0 only
    tx_shim_start("G", 0, keys, 1, 1, 2, -1);
    schedule(2);
    for (int w = 0; w < 2; w++) {
        EXPECT_TRUE(tx_shim_any_locked(w)) << w;
        EXPECT_TRUE(tx_shim_conflicts(w, "unrelated", 0)) << w;
        EXPECT_TRUE(tx_shim_conflicts(w, "unrelated", 1)) << w;
    }
    run_all();
    EXPECT_EQ(std::string(tx_shim_log()), "G:w0p1 G:w1p1 G:w0p2 G:w1p2 G:done ");
    for (int w = 0; w < 2; w++) {
        EXPECT_FALSE(tx_shim_any_locked(w)) << w;
        EXPECT_FALSE(tx_shim_conflicts(w, "unrelated", 1)) << w;
    }
}

TEST_F(Tx, GlobalReadBlocksWritesOnly)
{
    const char *keys[] = {nullptr};
    tx_shim_start("R", 1, keys, 0, 1, 1, -1);
    schedule(2);
    EXPECT_TRUE(tx_shim_any_locked(0));
    EXPECT_FALSE(tx_shim_conflicts(0, "x", 0));
    EXPECT_TRUE(tx_shim_conflicts(0, "x", 1));
    EXPECT_FALSE(tx_shim_conflicts(1, "y", 0));
    EXPECT_TRUE(tx_shim_conflicts(1, "y", 1));
    run_all();
    EXPECT_EQ(std::string(tx_shim_log()), "R:w0p1 R:w1p1 R:done ");
}

TEST_F(Tx, KeyedTransactionWaitsBehindAGlobalOne)
{
    const char *none[] = {nullptr};
    const char *keys[] = {k0.c_str(), k1.c_str(), nullptr};
    tx_shim_start("G", 0, none, 1, 1, 2, -1);
    tx_shim_start("K", 1, keys, 1, 0, 1, -1);
    run_all();
    // K (a later id, conflicting: G writes everything) runs only after G ended
    EXPECT_EQ(std::string(tx_shim_log()), "G:w0p1 G:w1p1 G:w0p2 G:w1p2 G:done K:w0p1 K:w1p1 K:done ");
}

TEST_F(Tx, GlobalReadAndKeyedReadRunTogether)
{
    const char *none[] = {nullptr};
    const char *keys[] = {k0.c_str(), nullptr};
    tx_shim_start("G", 0, none, 0, 1, 2, -1);
    tx_shim_start("K", 1, keys, 0, 0, 1, -1);
    run_all();
    // two readers do not wait for each other: K finishes before G's end
    std::string log = tx_shim_log();
    EXPECT_LT(log.find("K:done"), log.find("G:done")) << log;
}

TEST_F(Tx, IdlePartSitsOutOnePhase)
{
    const char *keys[] = {k0.c_str(), k1.c_str(), nullptr};
    tx_shim_start("I", 0, keys, 1, 0, 3, 1);
    run_all();
    EXPECT_EQ(std::string(tx_shim_log()), "I:w0p1 I:w1p1 I:w0p2 I:w0p3 I:w1p3 I:done ");
    EXPECT_FALSE(tx_shim_any_locked(0));
    EXPECT_FALSE(tx_shim_any_locked(1));
}

TEST_F(Tx, OpenPhasesEndWhenNextPhaseSaysSo)
{
    const char *keys[] = {k1.c_str(), nullptr};
    tx_shim_start("O", 0, keys, 1, 0, -4, -1);
    run_all();
    // TX_PHASES_OPEN: four phases, and not reported as stopped early
    EXPECT_EQ(std::string(tx_shim_log()), "O:w1p1 O:w1p2 O:w1p3 O:w1p4 O:done ");
}

TEST_F(Tx, FixedPhasesRunToTheirCount)
{
    const char *keys[] = {k0.c_str(), nullptr};
    tx_shim_start("S", 0, keys, 1, 0, 3, -1);
    run_all();
    EXPECT_EQ(std::string(tx_shim_log()), "S:w0p1 S:w0p2 S:w0p3 S:done ");
}

TEST_F(Tx, SubTransactionGroupsKeysByWorker)
{
    const char *keys[] = {k1.c_str(), k0.c_str(), k1.c_str(), nullptr};
    int kpart[3] = {-1, -1, -1};
    EXPECT_EQ(tx_shim_sub_parts(keys, kpart), 2);
    EXPECT_EQ(kpart[0], 1);
    EXPECT_EQ(kpart[1], 0);
    EXPECT_EQ(kpart[2], 1);
    const char *one[] = {k0.c_str(), k0.c_str(), nullptr};
    EXPECT_EQ(tx_shim_sub_parts(one, kpart), 1);
    EXPECT_EQ(kpart[0], 0);
}

} // namespace
