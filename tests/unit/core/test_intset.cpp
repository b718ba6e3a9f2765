// Unit tests for core/intset: Redis's intset layout byte for byte, width
// upgrades, ordered membership against std::set, and validation of
// untrusted blobs (the RDB SET_INTSET payload).
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/shim/set_shim.h"

namespace {

std::string
hex(const uint8_t *p, size_t n)
{
    static const char h[] = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < n; i++)
        s += h[p[i] >> 4], s += h[p[i] & 15];
    return s;
}

std::vector<uint8_t>
unhex(const std::string &s)
{
    std::vector<uint8_t> v;
    for (size_t i = 0; i + 1 < s.size(); i += 2)
        v.push_back((uint8_t)std::stoi(s.substr(i, 2), nullptr, 16));
    return v;
}

isx_t *
build(std::initializer_list<int64_t> vals)
{
    isx_t *is = isx_new();
    for (int64_t v : vals) {
        bool added;
        is = isx_add(is, v, &added);
    }
    return is;
}

std::string
blob_hex(const isx_t *is)
{
    size_t n;
    const uint8_t *p = isx_blob(is, &n);
    return hex(p, n);
}

TEST(Intset, LayoutMatchesSpecExamples)
{
    // spec/rdb.md §7.2: {1,2,3} and {1,2,100000}, inserted out of order.
    isx_t *a = build({3, 1, 2});
    EXPECT_EQ(blob_hex(a), "020000000300000001000200" "0300");
    isx_t *b = build({100000, 2, 1});
    EXPECT_EQ(blob_hex(b), "0400000003000000010000000200000" "0a0860100");
    isx_free(a);
    isx_free(b);
}

TEST(Intset, UpgradesKeepOrderAtBothEnds)
{
    isx_t *is = build({5, -7, 300});
    EXPECT_EQ(isx_width(is), 2u);
    bool added;
    is = isx_add(is, -70000, &added); // int32, below everything: goes in front
    ASSERT_TRUE(added);
    EXPECT_EQ(isx_width(is), 4u);
    is = isx_add(is, 5000000000LL, &added); // int64, above everything: at the back
    EXPECT_EQ(isx_width(is), 8u);
    is = isx_add(is, INT64_MIN, &added);
    is = isx_add(is, INT64_MAX, &added);
    std::vector<int64_t> got;
    int64_t v;
    for (size_t i = 0; isx_get(is, i, &v); i++)
        got.push_back(v);
    EXPECT_EQ(got, (std::vector<int64_t>{INT64_MIN, -70000, -7, 5, 300, 5000000000LL, INT64_MAX}));
    // Widths never shrink (as Redis): removing the wide values keeps 8.
    bool removed;
    is = isx_del(is, INT64_MIN, &removed);
    is = isx_del(is, INT64_MAX, &removed);
    is = isx_del(is, 5000000000LL, &removed);
    is = isx_del(is, -70000, &removed);
    EXPECT_EQ(isx_width(is), 8u);
    EXPECT_EQ(isx_len(is), 3u);
    EXPECT_TRUE(isx_find(is, -7));
    size_t n;
    isx_blob(is, &n);
    EXPECT_EQ(n, 8u + 3 * 8);
    isx_free(is);
}

TEST(Intset, RandomOperationsAgainstStdSet)
{
    std::mt19937_64 rng(42);
    isx_t *is = isx_new();
    std::set<int64_t> ref;
    auto pick = [&]() -> int64_t {
        switch (rng() % 4) {
        case 0: return (int64_t)(rng() % 200) - 100;
        case 1: return (int64_t)(rng() % 100000) - 50000;
        case 2: return (int64_t)(rng() % 10000000000ULL) - 5000000000LL;
        default: return (int64_t)rng();
        }
    };
    for (int i = 0; i < 20000; i++) {
        int64_t v = pick();
        bool did;
        if (rng() % 3) {
            is = isx_add(is, v, &did);
            ASSERT_EQ(did, ref.insert(v).second);
        } else {
            is = isx_del(is, v, &did);
            ASSERT_EQ(did, ref.erase(v) == 1);
        }
        ASSERT_EQ(isx_len(is), ref.size());
        ASSERT_EQ(isx_find(is, v), ref.count(v) == 1);
    }
    size_t i = 0;
    for (int64_t want : ref) {
        int64_t v;
        ASSERT_TRUE(isx_get(is, i++, &v));
        ASSERT_EQ(v, want);
    }
    // The blob of a live intset always validates.
    size_t n;
    const uint8_t *p = isx_blob(is, &n);
    EXPECT_EQ(isx_validate(p, n), !ref.empty());
    EXPECT_GE(isx_usable(is), n);
    isx_free(is);
}

TEST(Intset, FindOutsideTheWidth)
{
    isx_t *is = build({1, 2, 3});
    EXPECT_FALSE(isx_find(is, 65536 + 1)); // would alias 1 if truncated to 16 bits
    EXPECT_FALSE(isx_find(is, 4294967297LL));
    EXPECT_FALSE(isx_find(is, -65535));
    bool removed;
    is = isx_del(is, 65537, &removed);
    EXPECT_FALSE(removed);
    EXPECT_EQ(isx_len(is), 3u);
    isx_free(is);
}

TEST(Intset, ValidateRefusesMalformedBlobs)
{
    auto ok = [](const std::string &h) {
        std::vector<uint8_t> b = unhex(h);
        return isx_validate(b.data(), b.size());
    };
        EXPECT_TRUE(ok("020000000300000001000200" "0300"));
    EXPECT_TRUE(ok("0400000003000000010000000200000" "0a0860100"));
    EXPECT_TRUE(ok("0800000001000000ffffffffffffff7f")); // INT64_MAX alone
    EXPECT_FALSE(ok(""));
    EXPECT_FALSE(ok("0200000000000000"));                   // empty
    EXPECT_FALSE(ok("030000000100000001"));                 // width 3
    EXPECT_FALSE(ok("000000000100000001"));                 // width 0
    EXPECT_FALSE(ok("02000000030000000100020003"));        // truncated element
    EXPECT_FALSE(ok("020000000200000001000200" "0300"));   // trailing bytes
    EXPECT_FALSE(ok("020000000300000001000300" "0200"));   // not ascending
    EXPECT_FALSE(ok("020000000300000001000200" "0200"));   // duplicate
    EXPECT_FALSE(ok("02000000ffffffff0100"));               // length beyond the blob
    EXPECT_FALSE(ok("0200000001"));                         // short header
    // A blob that starts at an odd address (inside an RDB buffer).
    std::vector<uint8_t> b = unhex("00020000000200000001000200");
    EXPECT_TRUE(isx_validate(b.data() + 1, b.size() - 1));
}

} // namespace
