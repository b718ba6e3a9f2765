// test_bus_failover.cpp: the replica side of elections (cluster/
// bus_failover.c) and replica migration (bus_migrate.c) on hand-built node
// tables: delay formula and its bounds, rank by advertised offset, vote
// counting and the win, MIGRATE_TO bookkeeping and the migration choice.
#include "tests/shim/cluster_shim.h"
#include "tests/shim/failover_shim.h"

#include <gtest/gtest.h>

namespace {

const char *kMe = "1000000000000000000000000000000000000000";
const char *kM1 = "2000000000000000000000000000000000000000";
const char *kM2 = "3000000000000000000000000000000000000000";
const char *kM3 = "4000000000000000000000000000000000000000";
const char *kR2 = "5000000000000000000000000000000000000000";
const char *kR3 = "0500000000000000000000000000000000000000";
const long long kNow = 1000000000000LL;

TEST(FailoverDelay, ScalesWithTheNodeTimeoutWithinRedisBounds)
{
    // T = 2000: 50 ms base, up to 50 ms jitter, 200 ms per rank.
    EXPECT_EQ(fos_delay(2000, 0, 0), 50);
    EXPECT_EQ(fos_delay(2000, 0, 49), 99);
    EXPECT_EQ(fos_delay(2000, 0, 50), 50);
    EXPECT_EQ(fos_delay(2000, 2, 0), 450);
    EXPECT_EQ(fos_rank_step(2000), 200);
    // T >= 20000 gives Redis's own 500 + 0..499 + rank * 1000.
    EXPECT_EQ(fos_delay(20000, 0, 0), 500);
    EXPECT_EQ(fos_delay(20000, 0, 499), 999);
    EXPECT_EQ(fos_delay(20000, 1, 0), 1500);
    EXPECT_EQ(fos_delay(60000, 1, 0), 1500);
    // The default T = 15000: 375 + 0..374 + rank * 1000.
    EXPECT_EQ(fos_delay(15000, 1, 374), 1749);
    // A tiny T keeps the floors: 25 ms base, 100 ms per rank.
    EXPECT_EQ(fos_delay(100, 0, 0), 25);
    EXPECT_EQ(fos_delay(100, 1, 24), 149);
    EXPECT_EQ(fos_rank_step(1), 100);
}

TEST(FailoverDelay, RankSpacingExceedsTheJitter)
{
    // Rank r + 1 never starts before rank r's latest start.
    for (long long T : {100LL, 500LL, 2000LL, 5000LL, 15000LL, 100000LL})
        for (int r = 0; r < 3; r++)
            EXPECT_GT(fos_delay(T, r + 1, 0), fos_delay(T, r, 0xffffffffu)) << "T " << T << " rank " << r;
}

TEST(FailoverQuorum, MajorityOfSlotOwners)
{
    EXPECT_EQ(fos_quorum(0), 1);
    EXPECT_EQ(fos_quorum(1), 1);
    EXPECT_EQ(fos_quorum(2), 2);
    EXPECT_EQ(fos_quorum(3), 2);
    EXPECT_EQ(fos_quorum(4), 3);
    EXPECT_EQ(fos_quorum(5), 3);
}

class FailoverTable : public ::testing::Test {
  protected:
    int me = 0, m1 = -1, m2 = -1, m3 = -1;
    void SetUp() override
    {
        cls_cfg_reset(true);
        cls_fresh(kMe, "127.0.0.1", 7000, 17000, nullptr);
        fos_reset(kNow, 2000);
        me = cls_myself();
        m1 = cls_add_node(kM1, "127.0.0.1", 7001, 17001, "", CLS_CN_MASTER, nullptr, 0);
        m2 = cls_add_node(kM2, "127.0.0.1", 7002, 17002, "", CLS_CN_MASTER, nullptr, 0);
        m3 = cls_add_node(kM3, "127.0.0.1", 7003, 17003, "", CLS_CN_MASTER, nullptr, 0);
        cls_set_owner(0, 5460, m1);
        cls_set_owner(5461, 10922, m2);
        cls_set_owner(10923, 16383, m3);
        cls_set_flags(me, CLS_CN_MYSELF | CLS_CN_SLAVE);
        fos_set_master(me, m1);
        cls_set_epochs(m1, 1, 3);
        cls_set_epochs(m2, 2, 3);
        cls_set_epochs(m3, 3, 3);
        fos_publish();
    }
    void TearDown() override { cls_teardown(); }
};

TEST_F(FailoverTable, RankCountsSiblingsWithLargerOffsets)
{
    EXPECT_EQ(fos_rank(100), 0);
    cls_add_node("6000000000000000000000000000000000000000", "127.0.0.1", 7004, 17004, "", CLS_CN_SLAVE, kM1, 150);
    cls_add_node("7000000000000000000000000000000000000000", "127.0.0.1", 7005, 17005, "", CLS_CN_SLAVE, kM1, 100);
    // A replica of another master does not count, however far ahead.
    cls_add_node("8000000000000000000000000000000000000000", "127.0.0.1", 7006, 17006, "", CLS_CN_SLAVE, kM2, 900);
    EXPECT_EQ(fos_rank(100), 1) << "equal offsets share a rank";
    EXPECT_EQ(fos_rank(99), 2);
    EXPECT_EQ(fos_rank(150), 0);
    // A NOFAILOVER sibling never competes, so it does not push me back.
    cls_add_node("9000000000000000000000000000000000000000", "127.0.0.1", 7007, 17007, "",
                 CLS_CN_SLAVE | FOS_CN_NOFAILOVER, kM1, 1000);
    EXPECT_EQ(fos_rank(150), 0);
}

TEST_F(FailoverTable, VotesFromAMajorityOfSlotOwnersWin)
{
    fos_set_fail(m1, kNow - 100);
    fos_publish();
    fos_election_sent(4);
    fos_ack(m2, 3); // an older epoch: not a vote for this election
    EXPECT_EQ(fos_votes(), 0);
    int empty = cls_add_node("a000000000000000000000000000000000000000", "127.0.0.1", 7008, 17008, "",
                             CLS_CN_MASTER, nullptr, 0);
    fos_ack(empty, 4); // a master without slots does not vote
    EXPECT_EQ(fos_votes(), 0);
    fos_ack(m2, 4);
    EXPECT_EQ(fos_votes(), 1);
    EXPECT_TRUE(fos_flags(me) & CLS_CN_SLAVE) << "1 of 3 is no majority";
    EXPECT_EQ(fos_owner(0), m1);
    fos_ack(m3, 5);
    EXPECT_EQ(fos_votes(), 2);
    EXPECT_TRUE(fos_flags(me) & CLS_CN_MASTER);
    EXPECT_FALSE(fos_flags(me) & CLS_CN_SLAVE);
    EXPECT_EQ(fos_owner(0), me);
    EXPECT_EQ(fos_owner(5460), me);
    EXPECT_EQ(fos_owner(5461), m2);
    EXPECT_EQ(fos_config_epoch(me), 4u);
}

TEST_F(FailoverTable, NoElectionWhileTheMasterIsUp)
{
    fos_election_sent(4);
    fos_ack(m2, 4);
    fos_ack(m3, 4);
    EXPECT_TRUE(fos_flags(me) & CLS_CN_SLAVE) << "votes count only while the master is FAIL";
    EXPECT_EQ(fos_owner(0), m1);
}

TEST_F(FailoverTable, MigrateToFollowsReplicas)
{
    EXPECT_TRUE(fos_flags(m1) & FOS_CN_MIGRATE_TO);
    int r2 = cls_add_node(kR2, "127.0.0.1", 7010, 17010, "", CLS_CN_SLAVE, nullptr, 0);
    fos_set_master(r2, m2);
    EXPECT_TRUE(fos_flags(m2) & FOS_CN_MIGRATE_TO);
    fos_set_master(r2, m3);
    EXPECT_FALSE(fos_flags(m2) & FOS_CN_MIGRATE_TO) << "its last replica left";
    EXPECT_TRUE(fos_flags(m3) & FOS_CN_MIGRATE_TO);
}

TEST_F(FailoverTable, MigrationWaitsForTheOrphanToStayOrphaned)
{
    int r4 = cls_add_node("f000000000000000000000000000000000000000", "127.0.0.1", 7012, 17012, "", CLS_CN_SLAVE,
                          nullptr, 0);
    fos_set_master(r4, m1);
    int r2 = cls_add_node(kR2, "127.0.0.1", 7010, 17010, "", CLS_CN_SLAVE, nullptr, 0);
    fos_set_master(r2, m2);
    fos_set_fail(r2, kNow);
    fos_publish();
    fos_clear_orphan_clocks();
    char out[4096];
    const std::string stay = std::string(kMe) + " 127.0.0.1:7000@17000 myself,slave " + kM1;
    fos_migrate_check(); // m2 orphaned from now
    fos_set_now(kNow + 4900);
    fos_migrate_check();
    size_t n = cls_run(2, "CLUSTER NODES", out, sizeof(out));
    EXPECT_NE(std::string(out, n).find(stay), std::string::npos) << "not before 5 s";
    fos_set_now(kNow + 5100);
    fos_migrate_check();
    n = cls_run(2, "CLUSTER NODES", out, sizeof(out));
    EXPECT_NE(std::string(out, n).find(std::string(kMe) + " 127.0.0.1:7000@17000 myself,slave " + kM2),
              std::string::npos)
        << std::string(out, n);
}

TEST_F(FailoverTable, FirstSlotMakesAMigrationTarget)
{
    int m4 = cls_add_node("b000000000000000000000000000000000000000", "127.0.0.1", 7013, 17013, "",
                          CLS_CN_MASTER, nullptr, 0);
    fos_first_slots(m4);
    EXPECT_TRUE(fos_flags(m4) & FOS_CN_MIGRATE_TO) << "first slots while m1 has a replica (me)";
    // Nobody with replicas: no target.
    cls_set_flags(me, CLS_CN_MYSELF | CLS_CN_MASTER);
    fos_set_master(me, -1);
    int m5 = cls_add_node("c000000000000000000000000000000000000000", "127.0.0.1", 7014, 17014, "",
                          CLS_CN_MASTER, nullptr, 0);
    fos_first_slots(m5);
    EXPECT_FALSE(fos_flags(m5) & FOS_CN_MIGRATE_TO);
}

TEST_F(FailoverTable, SmallestIdReplicaMigratesToAnOrphanAfterTheDelay)
{
    // m1 has me and r3 (smaller ID than me); m2 has r2, which fails.
    int r3 = cls_add_node(kR3, "127.0.0.1", 7011, 17011, "", CLS_CN_SLAVE, nullptr, 0);
    fos_set_master(r3, m1);
    int r2 = cls_add_node(kR2, "127.0.0.1", 7010, 17010, "", CLS_CN_SLAVE, nullptr, 0);
    fos_set_master(r2, m2);
    fos_set_fail(r2, kNow);
    fos_publish();
    fos_clear_orphan_clocks();
    fos_migrate_check(); // starts m2's orphan clock
    fos_set_now(kNow + 6000);
    fos_migrate_check();
    char out[4096];
    size_t n;
    n = cls_run(2, "CLUSTER NODES", out, sizeof(out));
    std::string nodes(out, n);
    EXPECT_NE(nodes.find(std::string(kMe) + " 127.0.0.1:7000@17000 myself,slave " + kM1), std::string::npos)
        << "r3 has the smaller ID: it moves, I stay\n"
        << nodes;
    // With r3 gone to m3 (a failed r3 would still be the candidate, as in
    // Redis) and r4 keeping m1 at 2 replicas, I am the candidate.
    fos_set_master(r3, m3);
    int r4 = cls_add_node("f000000000000000000000000000000000000000", "127.0.0.1", 7012, 17012, "", CLS_CN_SLAVE,
                          nullptr, 0);
    fos_set_master(r4, m1);
    fos_publish();
    fos_set_now(kNow + 7000);
    fos_set_migration_barrier(2); // m1 must keep more than 2: it has 2
    fos_migrate_check();
    n = cls_run(2, "CLUSTER NODES", out, sizeof(out));
    EXPECT_NE(std::string(out, n).find(std::string(kMe) + " 127.0.0.1:7000@17000 myself,slave " + kM1),
              std::string::npos)
        << "cluster-migration-barrier 2 keeps me";
    fos_set_migration_barrier(1);
    fos_migrate_check();
    n = cls_run(2, "CLUSTER NODES", out, sizeof(out));
    nodes.assign(out, n);
    EXPECT_NE(nodes.find(std::string(kMe) + " 127.0.0.1:7000@17000 myself,slave " + kM2), std::string::npos)
        << nodes;
}

} // namespace
