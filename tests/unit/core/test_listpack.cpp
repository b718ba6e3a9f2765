// Unit tests for core/listpack.{h,c}: Redis's byte layout (spec/rdb.md
// §7.1), every integer and string encoding at its boundaries, backlen sizes,
// insertion/deletion/search, the 65535 "unknown count" header, and
// validation of hostile blobs (truncations, bit flips, bad counts).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/shim/hash_shim.h"

namespace {

std::string
hex(const uint8_t *p, size_t n)
{
    static const char *d = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < n; i++) {
        s += d[p[i] >> 4];
        s += d[p[i] & 15];
    }
    return s;
}

std::string
get(const lps_t *l, size_t off, bool *is_int = nullptr)
{
    char buf[1 << 17];
    bool ii;
    size_t n = lps_get(l, off, buf, sizeof(buf), &ii);
    if (is_int)
        *is_int = ii;
    return std::string(buf, n);
}

std::vector<std::string>
forward(const lps_t *l)
{
    std::vector<std::string> v;
    for (size_t p = lps_first(l); p; p = lps_next(l, p))
        v.push_back(get(l, p));
    return v;
}

std::vector<std::string>
backward(const lps_t *l)
{
    std::vector<std::string> v;
    for (size_t p = lps_last(l); p; p = lps_prev(l, p))
        v.insert(v.begin(), get(l, p));
    return v;
}

} // namespace

TEST(Listpack, EmptyIsSevenBytes)
{
    lps_t *l = lps_create();
    EXPECT_EQ(hex(lps_data(l), lps_bytes(l)), "07000000" "0000" "ff");
    EXPECT_EQ(lps_length(l), 0u);
    EXPECT_EQ(lps_first(l), 0u);
    EXPECT_EQ(lps_last(l), 0u);
    lps_destroy(l);
}

TEST(Listpack, SpecExampleByteForByte)
{
    // spec/rdb.md §7.1, verified against redis-server.
    lps_t *l = lps_create();
    std::string x70(70, 'x');
    for (const std::string &s : {std::string("a"), std::string("1"), std::string("-1"), std::string("300"), x70})
        lps_append(l, s.data(), s.size());
    std::string want = "5b000000" "0500" "816102" "0101" "dfff02" "c12c02" "e046";
    for (int i = 0; i < 70; i++)
        want += "78";
    want += "48ff";
    EXPECT_EQ(hex(lps_data(l), lps_bytes(l)), want);
    unsigned long n = 0;
    EXPECT_TRUE(lps_validate(lps_data(l), lps_bytes(l), &n));
    EXPECT_EQ(n, 5u);
    lps_destroy(l);
}

TEST(Listpack, IntegerEncodingsAtTheirBoundaries)
{
    struct {
        long long v;
        size_t entry; // encoding + data + backlen
    } cases[] = {
        {0, 2}, {127, 2}, {128, 3}, {-1, 3}, {-4096, 3}, {4095, 3}, {4096, 4}, {-4097, 4},
        {32767, 4}, {-32768, 4}, {32768, 5}, {8388607, 5}, {-8388608, 5}, {8388608, 6},
        {2147483647LL, 6}, {-2147483648LL, 6}, {2147483648LL, 10}, {INT64_MAX, 10}, {INT64_MIN, 10},
    };
    lps_t *l = lps_create();
    for (auto &c : cases) {
        std::string s = std::to_string(c.v);
        EXPECT_EQ(lps_entry_size_for(s.data(), s.size()), c.entry) << s;
        size_t before = lps_bytes(l);
        lps_append(l, s.data(), s.size());
        EXPECT_EQ(lps_bytes(l) - before, c.entry) << s;
        bool is_int = false;
        EXPECT_EQ(get(l, lps_last(l), &is_int), s);
        EXPECT_TRUE(is_int) << s;
        EXPECT_TRUE(lps_eq(l, lps_last(l), s.data(), s.size()));
    }
    // Strings that only look like integers stay strings, byte for byte.
    for (const char *s : {"012", "+1", "-0", " 1", "1 ", "9223372036854775808", "-", "", "1.0", "0x10"}) {
        lps_append(l, s, strlen(s));
        bool is_int = true;
        EXPECT_EQ(get(l, lps_last(l), &is_int), s);
        EXPECT_FALSE(is_int) << s;
    }
    EXPECT_EQ(forward(l), backward(l));
    unsigned long n = 0;
    EXPECT_TRUE(lps_validate(lps_data(l), lps_bytes(l), &n));
    EXPECT_EQ(n, lps_length(l));
    lps_destroy(l);
}

TEST(Listpack, StringLengthsAndBacklenSizes)
{
    // encoding+data L = 1+len (<64), 2+len (<4096), 5+len; backlen 1 byte up
    // to 127, 2 below 16383, 3 below 2097151.
    struct {
        size_t len, entry;
    } cases[] = {
        {0, 2}, {63, 65}, {64, 66 + 1}, {125, 127 + 1}, {126, 128 + 2}, {4095, 4097 + 2},
        {4096, 4101 + 2}, {16377, 16382 + 2}, {16378, 16383 + 3}, {70000, 70005 + 3},
    };
    lps_t *l = lps_create();
    std::vector<std::string> want;
    for (auto &c : cases) {
        std::string s(c.len, 'a' + (c.len % 26));
        EXPECT_EQ(lps_entry_size_for(s.data(), s.size()), c.entry) << c.len;
        lps_append(l, s.data(), s.size());
        want.push_back(s);
    }
    EXPECT_EQ(forward(l), want);
    EXPECT_EQ(backward(l), want);
    EXPECT_TRUE(lps_validate(lps_data(l), lps_bytes(l), nullptr));
    lps_destroy(l);
}

TEST(Listpack, InsertReplaceDeleteSeekFind)
{
    lps_t *l = lps_create();
    for (const char *s : {"f1", "v1", "f2", "22", "f3", "v3"})
        lps_append(l, s, strlen(s));
    // find with skip 1 looks at fields only: "v1" is a value.
    EXPECT_EQ(lps_find(l, lps_first(l), "v1", 2, 1), 0u);
    size_t f2 = lps_find(l, lps_first(l), "f2", 2, 1);
    ASSERT_NE(f2, 0u);
    EXPECT_EQ(f2, lps_seek(l, 2));
    // An integer entry matches its canonical spelling only.
    EXPECT_EQ(lps_find(l, lps_first(l), "22", 2, 0), lps_seek(l, 3));
    EXPECT_EQ(lps_find(l, lps_first(l), "022", 3, 0), 0u);
    // replace a value with a longer one, insert before/after, delete
    size_t v2 = lps_next(l, f2);
    lps_insert(l, v2, 2, "a much longer value", 19);
    EXPECT_EQ(get(l, lps_seek(l, 3)), "a much longer value");
    lps_insert(l, lps_seek(l, 0), 0, "head", 4);
    lps_insert(l, lps_seek(l, -1), 1, "tail", 4);
    EXPECT_EQ(forward(l), (std::vector<std::string>{"head", "f1", "v1", "f2", "a much longer value", "f3", "v3",
                                                    "tail"}));
    EXPECT_EQ(lps_length(l), 8u);
    size_t next = lps_delete(l, lps_seek(l, 0));
    EXPECT_EQ(get(l, next), "f1");
    lps_delete_range(l, lps_seek(l, 2), 2); // f2 and its value
    EXPECT_EQ(forward(l), (std::vector<std::string>{"f1", "v1", "f3", "v3", "tail"}));
    EXPECT_EQ(lps_delete(l, lps_seek(l, -1)), 0u); // the last one: no next
    EXPECT_EQ(backward(l), (std::vector<std::string>{"f1", "v1", "f3", "v3"}));
    lps_delete_range(l, lps_first(l), 100); // more than there are
    EXPECT_EQ(lps_length(l), 0u);
    EXPECT_EQ(lps_bytes(l), 7u);
    EXPECT_EQ(lps_seek(l, 0), 0u);
    lps_destroy(l);
}

TEST(Listpack, CountHeaderSaturatesAt65535)
{
    lps_t *l = lps_create();
    for (int i = 0; i < 70000; i++)
        lps_append(l, "x", 1);
    EXPECT_EQ(lps_data(l)[4] | lps_data(l)[5] << 8, 65535);
    EXPECT_EQ(lps_length(l), 70000u);
    unsigned long n = 0;
    EXPECT_TRUE(lps_validate(lps_data(l), lps_bytes(l), &n));
    EXPECT_EQ(n, 70000u);
    lps_delete_range(l, lps_first(l), 69000);
    EXPECT_EQ(lps_length(l), 1000u); // walks: the header stays "unknown", as Redis
    EXPECT_TRUE(lps_validate(lps_data(l), lps_bytes(l), &n));
    lps_destroy(l);
}

TEST(Listpack, RandomOperationsMatchAModel)
{
    std::mt19937_64 rng(12345);
    lps_t *l = lps_create();
    std::vector<std::string> model;
    auto rand_str = [&]() -> std::string {
        switch (rng() % 5) {
        case 0:
            return std::to_string((long long)rng() >> (rng() % 64));
        case 1:
            return std::to_string(-(long long)(rng() % 100000));
        case 2:
            return std::string(rng() % 200, 'a' + rng() % 26);
        case 3:
            return std::string(rng() % 5000, 'q');
        default:
            return "s" + std::to_string(rng() % 1000);
        }
    };
    for (int step = 0; step < 4000; step++) {
        int op = rng() % 4;
        if (model.empty() || op == 0) {
            std::string s = rand_str();
            lps_append(l, s.data(), s.size());
            model.push_back(s);
        } else {
            long i = (long)(rng() % model.size());
            size_t p = lps_seek(l, i);
            ASSERT_NE(p, 0u);
            ASSERT_EQ(get(l, p), model[i]);
            if (op == 1) {
                std::string s = rand_str();
                int where = rng() % 3;
                lps_insert(l, p, where, s.data(), s.size());
                if (where == 2)
                    model[i] = s;
                else
                    model.insert(model.begin() + i + where, s);
            } else if (op == 2) {
                lps_delete(l, p);
                model.erase(model.begin() + i);
            } else {
                size_t f = lps_find(l, lps_first(l), model[i].data(), model[i].size(), 0);
                ASSERT_NE(f, 0u);
                EXPECT_EQ(get(l, f), model[i]);
            }
        }
        if (step % 500 == 0) {
            ASSERT_EQ(forward(l), model);
            ASSERT_EQ(backward(l), model);
            ASSERT_TRUE(lps_validate(lps_data(l), lps_bytes(l), nullptr));
        }
    }
    EXPECT_EQ(lps_length(l), model.size());
    lps_destroy(l);
}

TEST(Listpack, ValidationRefusesDamagedBlobs)
{
    lps_t *l = lps_create();
    for (const char *s : {"a", "1", "-1", "300", "hello world", "123456789012"})
        lps_append(l, s, strlen(s));
    std::vector<uint8_t> good(lps_data(l), lps_data(l) + lps_bytes(l));
    lps_destroy(l);
    unsigned long n = 0;
    ASSERT_TRUE(lps_validate(good.data(), good.size(), &n));
    EXPECT_EQ(n, 6u);
    // Every truncation (with the header's size fixed up or not) fails.
    for (size_t k = 0; k < good.size(); k++) {
        std::vector<uint8_t> b(good.begin(), good.begin() + k);
        EXPECT_FALSE(lps_validate(b.data(), b.size(), nullptr)) << k;
        if (k >= 7) {
            b[0] = (uint8_t)k, b[1] = b[2] = b[3] = 0;
            b[k - 1] = 0xff;
            EXPECT_FALSE(lps_validate(b.data(), b.size(), nullptr)) << "fixed " << k;
        }
    }
    // A wrong count in the header, a bad encoding byte, a broken backlen.
    std::vector<uint8_t> b = good;
    b[4] = 5;
    EXPECT_FALSE(lps_validate(b.data(), b.size(), nullptr));
    b = good;
    b[6] = 0xf5; // not an encoding
    EXPECT_FALSE(lps_validate(b.data(), b.size(), nullptr));
    b = good;
    b[8] = 3; // backlen of "a" says 3
    EXPECT_FALSE(lps_validate(b.data(), b.size(), nullptr));
    // Every single-byte change either fails validation or leaves a blob
    // that walks safely both ways (ASan build checks the bounds).
    for (size_t i = 0; i < good.size(); i++) {
        for (int v = 0; v < 256; v++) {
            b = good;
            b[i] = (uint8_t)v;
            unsigned long cnt = 0;
            if (lps_validate(b.data(), b.size(), &cnt)) {
                ASSERT_TRUE(lps_walk_both_ways(b.data(), b.size(), cnt)) << i << " " << v;
            }
        }
    }
    // A string length that points far past the end.
    uint8_t huge[] = {0x0c, 0, 0, 0, 1, 0, 0xf0, 0xff, 0xff, 0xff, 0x7f, 0xff};
    EXPECT_FALSE(lps_validate(huge, sizeof(huge), nullptr));
}
