/* test_prefetch.cpp: the slot hints the prefetch window leaves for the
 * dispatch (net/prefetch.h). Hints here carry deliberately wrong slots, so
 * an answer shows whether it came from a hint or was computed. */
#include "tests/shim/prefetch_shim.h"
#include "tests/shim/cluster_shim.h"

#include <gtest/gtest.h>

#include <string>

namespace {

constexpr unsigned kFake = 20000; /* above 16383: never a real slot */

unsigned
Real(const std::string &k)
{
    return cls_slot_of(k.c_str(), k.size());
}

class PrefetchHints : public ::testing::Test {
  protected:
    void SetUp() override { s_ = prefetch_shim_create(); }
    void TearDown() override { prefetch_shim_destroy(&s_); }
    unsigned Ask(const char *p, size_t n) { return prefetch_shim_slot_of(s_, p, n); }
    prefetch_shim *s_ = nullptr;
};

TEST_F(PrefetchHints, SameViewTakesTheHintInOrder)
{
    std::string buf = "aaaa bbbb cccc";
    const char *a = buf.data(), *b = buf.data() + 5, *c = buf.data() + 10;
    prefetch_shim_add(s_, a, 4, kFake);
    prefetch_shim_add(s_, b, 4, kFake + 1);
    prefetch_shim_add(s_, c, 4, kFake + 2);
    EXPECT_EQ(Ask(a, 4), kFake);
    EXPECT_EQ(Ask(b, 4), kFake + 1);
    EXPECT_EQ(Ask(c, 4), kFake + 2);
    /* used up: computed from the bytes */
    EXPECT_EQ(Ask(a, 4), Real("aaaa"));
}

TEST_F(PrefetchHints, OtherBytesAreComputed)
{
    std::string buf = "aaaa", copy = "aaaa";
    prefetch_shim_add(s_, buf.data(), 4, kFake);
    EXPECT_EQ(Ask(copy.data(), 4), Real("aaaa")); /* same bytes elsewhere */
    EXPECT_EQ(Ask(buf.data(), 3), Real("aaa"));   /* same pointer, other length */
    EXPECT_EQ(Ask(buf.data(), 4), kFake);         /* the hint is still there */
}

TEST_F(PrefetchHints, SkipsKeysNeverAskedFor)
{
    std::string buf = "k0 e1 e2 k3";
    const char *p = buf.data();
    for (int i = 0; i < 4; i++)
        prefetch_shim_add(s_, p + 3 * i, 2, kFake + (unsigned)i);
    EXPECT_EQ(Ask(p, 2), kFake);
    EXPECT_EQ(Ask(p + 9, 2), kFake + 3); /* e1, e2 (ECHO's argument, say) skipped */
    EXPECT_EQ(Ask(p + 3, 2), Real("e1")); /* behind: not taken again */
}

TEST_F(PrefetchHints, LooksOnlyAFewAhead)
{
    std::string buf(40, 'x');
    for (int i = 0; i < 20; i++)
        prefetch_shim_add(s_, buf.data() + i, 1, kFake);
    EXPECT_EQ(Ask(buf.data() + 19, 1), Real("x")); /* 19 ahead: computed */
    EXPECT_EQ(Ask(buf.data() + 5, 1), kFake);
}

TEST_F(PrefetchHints, GoneWhenTheWindowIsDone)
{
    std::string buf = "aaaa";
    prefetch_shim_add(s_, buf.data(), 4, kFake);
    prefetch_shim_done(s_);
    EXPECT_EQ(Ask(buf.data(), 4), Real("aaaa"));
}

TEST_F(PrefetchHints, HandsOutTheWindowsHashWithTheSlot)
{
    std::string buf = "aaaa bbbb";
    prefetch_shim_add_hashed(s_, buf.data(), 4, kFake, 0x1234);
    prefetch_shim_add(s_, buf.data() + 5, 4, kFake + 1); /* another worker's key: no hash */
    unsigned long long h = 99;
    EXPECT_EQ(prefetch_shim_slot_hash_of(s_, buf.data(), 4, &h), kFake);
    EXPECT_EQ(h, 0x1234u);
    EXPECT_EQ(prefetch_shim_slot_hash_of(s_, buf.data() + 5, 4, &h), kFake + 1);
    EXPECT_EQ(h, 0u);
    h = 99;
    EXPECT_EQ(prefetch_shim_slot_hash_of(s_, buf.data(), 4, &h), Real("aaaa")); /* used up */
    EXPECT_EQ(h, 0u);
}

} // namespace
