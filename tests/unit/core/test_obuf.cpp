// test_obuf.cpp: output block lists (core/obuf.h), the reply encoder
// writing into one, and the client-output-buffer-limit rule.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "tests/shim/obuf_shim.h"

namespace {

const size_t kBlock = 16 * 1024;

struct Obuf : ::testing::Test {
    obuf_shim *s = nullptr;
    void SetUp() override { s = obuf_shim_create(1); }
    void TearDown() override { obuf_shim_destroy(s); }
    std::string drain(int max_iov = 16, size_t chunk = 1 << 30)
    {
        size_t n = 0;
        char *p = obuf_shim_drain(s, max_iov, chunk, &n);
        std::string r(p, n);
        free(p);
        return r;
    }
};

std::string
pattern(size_t n, unsigned seed)
{
    std::string v(n, '\0');
    for (size_t i = 0; i < n; i++)
        v[i] = (char)('a' + (i * 7 + seed) % 26);
    return v;
}

} // namespace

TEST_F(Obuf, SmallAppendsStayInTheCurrentBlock)
{
    obuf_shim_append(s, "+OK\r\n", 5);
    obuf_shim_append(s, ":1\r\n", 4);
    EXPECT_EQ(obuf_shim_nblocks(s), 0u);
    EXPECT_EQ(obuf_shim_cur_len(s), 9u);
    EXPECT_EQ(obuf_shim_pending(s), 9u);
    EXPECT_EQ(obuf_shim_mem(s), 9u); // cur counts by content
    EXPECT_EQ(obuf_shim_grew_calls(s), 0);
    EXPECT_EQ(drain(), "+OK\r\n:1\r\n");
    EXPECT_EQ(obuf_shim_pending(s), 0u);
    EXPECT_EQ(obuf_shim_mem(s), 0u);
}

TEST_F(Obuf, AppendAcrossBlocksKeepsBytesAndOrder)
{
    std::string want;
    for (unsigned i = 0; i < 50; i++) {
        std::string piece = pattern(1000 + i * 997, i);
        obuf_shim_append(s, piece.data(), piece.size());
        want += piece;
    }
    EXPECT_GT(obuf_shim_nblocks(s), want.size() / kBlock - 2);
    // fixed-size blocks: nothing grew past a block
    EXPECT_LE(obuf_shim_max_block_cap(s), 2 * kBlock);
    EXPECT_EQ(obuf_shim_pending(s), want.size());
    EXPECT_EQ(obuf_shim_grew_calls(s), (int)obuf_shim_nblocks(s));
    // sent in pieces that end anywhere, a few blocks per "send"
    EXPECT_EQ(drain(3, 5000), want);
    EXPECT_EQ(obuf_shim_nblocks(s), 0u);
    EXPECT_EQ(obuf_shim_mem(s), 0u);
}

TEST_F(Obuf, BigAppendIsCopiedOnceIntoBlocks)
{
    std::string big = pattern(3 * 1024 * 1024 + 17, 3);
    obuf_shim_append(s, "$x\r\n", 4);
    obuf_shim_append(s, big.data(), big.size());
    EXPECT_GE(obuf_shim_nblocks(s), big.size() / kBlock - 1);
    EXPECT_LE(obuf_shim_max_block_cap(s), 2 * kBlock);
    // memory is about the bytes held, in whole blocks
    EXPECT_GE(obuf_shim_mem(s), big.size());
    EXPECT_LE(obuf_shim_mem(s), big.size() + big.size() / 8 + 2 * kBlock);
    EXPECT_EQ(drain(), "$x\r\n" + big);
}

TEST_F(Obuf, SentBlocksAreRecycled)
{
    std::string piece = pattern(kBlock * 4, 1);
    obuf_shim_append(s, piece.data(), piece.size());
    drain();
    int pooled = obuf_shim_pool_size(s);
    EXPECT_GT(pooled, 0);
    obuf_shim_append(s, piece.data(), piece.size());
    EXPECT_LT(obuf_shim_pool_size(s), pooled); // blocks came from the pool
    EXPECT_EQ(drain(), piece);
}

TEST_F(Obuf, AdoptSmallCopiesLargeLinks)
{
    obuf_shim_append(s, "A", 1);
    obuf_shim_adopt(s, "BC", 2);
    EXPECT_EQ(obuf_shim_nblocks(s), 0u); // copied into cur
    std::string big = pattern(200 * 1024, 5);
    obuf_shim_adopt(s, big.data(), big.size());
    EXPECT_EQ(obuf_shim_nblocks(s), 2u); // cur sealed first (order), then the reply as one block
    obuf_shim_append(s, "D", 1);
    EXPECT_EQ(drain(), "ABC" + big + "D");
}

TEST_F(Obuf, DropDiscardsInsteadOfQueueing)
{
    std::string piece = pattern(kBlock * 3, 2);
    obuf_shim_append(s, piece.data(), piece.size());
    size_t before = obuf_shim_pending(s);
    obuf_shim_set_drop(s, 1);
    obuf_shim_append(s, piece.data(), piece.size());
    obuf_shim_adopt(s, piece.data(), piece.size());
    obuf_shim_seal(s);
    EXPECT_LE(obuf_shim_pending(s), before);
    EXPECT_LE(obuf_shim_mem(s), before + 2 * kBlock);
}

TEST_F(Obuf, ReplyBulkSpillsWithoutGrowingABlock)
{
    std::string v = pattern(1024 * 1024, 9);
    obuf_shim_reply_int(s, 42);
    obuf_shim_reply_bulk(s, v.data(), v.size());
    obuf_shim_reply_int(s, 7);
    EXPECT_LE(obuf_shim_max_block_cap(s), 2 * kBlock);
    EXPECT_EQ(drain(), ":42\r\n$1048576\r\n" + v + "\r\n:7\r\n");
}

TEST_F(Obuf, RepliesFillBlocksThenSeal)
{
    std::string want;
    std::string v = pattern(100, 4);
    for (int i = 0; i < 2000; i++) {
        obuf_shim_reply_bulk(s, v.data(), v.size());
        want += "$100\r\n" + v + "\r\n";
    }
    EXPECT_GE(obuf_shim_nblocks(s), 10u);
    EXPECT_LE(obuf_shim_max_block_cap(s), 2 * kBlock);
    EXPECT_EQ(drain(), want);
}

TEST_F(Obuf, DeferredArrayStaysContiguous)
{
    // a deferred header is an offset into the block: no seal until it is set
    obuf_shim_reply_defer_array(s, 300, 200);
    std::string want = "*300\r\n";
    for (int i = 0; i < 300; i++)
        want += "$200\r\n" + std::string(200, (char)('a' + i % 26)) + "\r\n";
    EXPECT_EQ(drain(), want);
}

TEST_F(Obuf, ErrorOffsetSurvivesAFollowingBigReply)
{
    std::string pre = pattern(kBlock - 10, 1); // cur nearly full
    obuf_shim_append(s, pre.data(), pre.size());
    char *e = obuf_shim_reply_error_then_bulk(s, "ERR boom", 64 * 1024);
    EXPECT_STREQ(e, "-ERR boom");
    free(e);
}

TEST(ObufLimit, HardLimit)
{
    int64_t since = 0;
    EXPECT_FALSE(obuf_shim_limit(0, 0, 0, 1u << 30, 1000, &since)); // 0 0 0: none
    EXPECT_FALSE(obuf_shim_limit(100, 0, 0, 99, 1000, &since));
    EXPECT_TRUE(obuf_shim_limit(100, 0, 0, 100, 1000, &since));
    EXPECT_TRUE(obuf_shim_limit(100, 0, 0, 1000, 1000, &since));
}

TEST(ObufLimit, SoftLimitNeedsTime)
{
    int64_t since = 0;
    // first seen over the soft limit: the clock starts, not closed
    EXPECT_FALSE(obuf_shim_limit(0, 100, 2, 150, 10000, &since));
    EXPECT_EQ(since, 10000);
    EXPECT_FALSE(obuf_shim_limit(0, 100, 2, 150, 11000, &since));
    EXPECT_FALSE(obuf_shim_limit(0, 100, 2, 150, 12000, &since)); // exactly 2 s: not more than
    EXPECT_TRUE(obuf_shim_limit(0, 100, 2, 150, 12001, &since));
}

TEST(ObufLimit, SoftLimitClockResetsUnderTheLimit)
{
    int64_t since = 0;
    EXPECT_FALSE(obuf_shim_limit(0, 100, 1, 150, 1000, &since));
    EXPECT_FALSE(obuf_shim_limit(0, 100, 1, 50, 1500, &since)); // back under
    EXPECT_EQ(since, 0);
    EXPECT_FALSE(obuf_shim_limit(0, 100, 1, 150, 2600, &since)); // starts again
    EXPECT_FALSE(obuf_shim_limit(0, 100, 1, 150, 3500, &since));
    EXPECT_TRUE(obuf_shim_limit(0, 100, 1, 150, 3700, &since));
}

TEST(ObufLimit, HardBeatsSoftClock)
{
    int64_t since = 0;
    EXPECT_TRUE(obuf_shim_limit(200, 100, 60, 250, 1000, &since));
    since = 0;
    EXPECT_FALSE(obuf_shim_limit(200, 100, 0, 150, 1000, &since)); // soft 0 s: on a later check
    EXPECT_TRUE(obuf_shim_limit(200, 100, 0, 150, 1001, &since));
}
