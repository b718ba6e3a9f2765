// test_slot.cpp: CRC16-XMODEM and hash-tag vectors (cluster-commands.md §1).
#include "tests/shim/cluster_shim.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace {

uint16_t
Bitwise(const std::string &s)
{
    uint16_t crc = 0;
    for (unsigned char b : s) {
        crc ^= static_cast<uint16_t>(b << 8);
        for (int i = 0; i < 8; i++)
            crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : static_cast<uint16_t>(crc << 1);
    }
    return crc;
}

uint16_t
Slot(const std::string &s)
{
    return cls_slot_of(s.data(), s.size());
}

}  // namespace

TEST(Slot, Crc16CheckValue)
{
    EXPECT_EQ(cls_crc16("123456789", 9), 0x31C3);
    EXPECT_EQ(cls_crc16("", 0), 0);
}

TEST(Slot, TableMatchesBitwiseForEveryByte)
{
    for (int b = 0; b < 256; b++) {
        std::string s(1, static_cast<char>(b));
        ASSERT_EQ(cls_crc16(s.data(), 1), Bitwise(s)) << b;
    }
}

TEST(Slot, TableMatchesBitwiseRandom)
{
    std::mt19937 rng(12345);
    for (int n = 0; n < 2000; n++) {
        std::string s(rng() % 64, '\0');
        for (auto &ch : s)
            ch = static_cast<char>(rng());
        ASSERT_EQ(cls_crc16(s.data(), s.size()), Bitwise(s));
    }
}

TEST(Slot, SpecVectors)
{
    EXPECT_EQ(Slot("123456789"), 12739);
    EXPECT_EQ(Slot("foo"), 12182);
    EXPECT_EQ(Slot(""), 0);
    EXPECT_EQ(Slot("{user1000}.following"), 3443);
    EXPECT_EQ(Slot("foo{}{bar}"), 8363);
    EXPECT_EQ(Slot("foo{{bar}}zap"), 4015);
    EXPECT_EQ(Slot("foo{bar}{zap}"), 5061);
    EXPECT_EQ(Slot("a"), 15495);
}

TEST(Slot, HashTagRules)
{
    // A tag hashes like the bare tag.
    EXPECT_EQ(Slot("{user1000}.following"), Slot("user1000"));
    EXPECT_EQ(Slot("{user1000}.followers"), Slot("{user1000}.following"));
    EXPECT_EQ(Slot("foo{bar}{zap}"), Slot("bar"));
    EXPECT_EQ(Slot("foo{{bar}}zap"), Slot("{bar"));
    // No closing brace, or empty tag: the whole key.
    EXPECT_EQ(Slot("foo{bar"), Bitwise("foo{bar") & 16383);
    EXPECT_EQ(Slot("{}"), Bitwise("{}") & 16383);
    EXPECT_EQ(Slot("foo{}{bar}"), Bitwise("foo{}{bar}") & 16383);
    EXPECT_EQ(Slot("}{a}"), Slot("a"));
    // Binary-safe keys.
    std::string bin("\0{x}\0", 5);
    EXPECT_EQ(Slot(bin), Slot("x"));
}

TEST(Slot, RangeIsMasked)
{
    std::mt19937 rng(7);
    for (int n = 0; n < 1000; n++) {
        std::string s = std::to_string(rng());
        uint16_t v = Slot(s);
        ASSERT_LT(v, 16384);
        ASSERT_EQ(v, Bitwise(s) & 16383);
    }
}
