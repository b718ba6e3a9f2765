// Unit tests for the value-type seam (core/obj.h): the type table through
// the keyspace, sdict (the hashtable encoding of hashes and sets), the RDB
// codec, SHA-1 and the DEBUG DIGEST scheme.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "tests/shim/obj_shim.h"

namespace {

void
collect(void *arg, const char *k, size_t kl)
{
    static_cast<std::vector<std::string> *>(arg)->emplace_back(k, kl);
}

std::string
key(int i)
{
    return "member:" + std::to_string(i);
}

// ---- sdict ----

TEST(Sdict, SetFindDeleteThroughResizes)
{
    sds_t *d = sds_create();
    size_t base = sds_mem(d);
    for (int i = 0; i < 20000; i++) {
        std::string k = key(i), v = "v" + std::to_string(i * 7);
        ASSERT_TRUE(sds_set(d, k.data(), k.size(), v.data(), v.size()));
    }
    EXPECT_EQ(sds_size(d), 20000u);
    // Overwrite: not new; values of other sizes and of the same size.
    std::string k5 = key(5);
    EXPECT_FALSE(sds_set(d, k5.data(), k5.size(), "longer value here", 17));
    EXPECT_FALSE(sds_set(d, k5.data(), k5.size(), "short", 5));
    char out[64];
    size_t n = 0;
    ASSERT_TRUE(sds_get(d, k5.data(), k5.size(), out, sizeof(out), &n));
    EXPECT_EQ(std::string(out, n), "short");
    for (int i = 0; i < 20000; i++) {
        std::string k = key(i), want = i == 5 ? "short" : "v" + std::to_string(i * 7);
        ASSERT_TRUE(sds_get(d, k.data(), k.size(), out, sizeof(out), &n)) << k;
        ASSERT_EQ(std::string(out, n), want);
    }
    EXPECT_FALSE(sds_get(d, "nope", 4, out, sizeof(out), &n));
    for (int i = 0; i < 20000; i++) {
        std::string k = key(i);
        ASSERT_TRUE(sds_del(d, k.data(), k.size()));
        ASSERT_FALSE(sds_del(d, k.data(), k.size()));
    }
    EXPECT_EQ(sds_size(d), 0u);
    // Deleting shrinks back to the initial table: nothing leaks in the count.
    for (int i = 0; i < 50; i++)
        sds_add(d, "x", 1), sds_del(d, "x", 1);
    EXPECT_EQ(sds_mem(d), base);
    sds_destroy(d);
}

TEST(Sdict, AddIsSetMembership)
{
    sds_t *d = sds_create();
    EXPECT_TRUE(sds_add(d, "a", 1));
    EXPECT_FALSE(sds_add(d, "a", 1));
    EXPECT_TRUE(sds_add(d, "", 0)); // the empty string is a member like any other
    EXPECT_FALSE(sds_add(d, "", 0));
    EXPECT_EQ(sds_size(d), 2u);
    char out[8];
    size_t n = 99;
    ASSERT_TRUE(sds_get(d, "a", 1, out, sizeof(out), &n));
    EXPECT_EQ(n, 0u);
    sds_destroy(d);
}

TEST(Sdict, ScanVisitsEveryElementAcrossGrowth)
{
    sds_t *d = sds_create();
    for (int i = 0; i < 1000; i++) {
        std::string k = key(i);
        sds_add(d, k.data(), k.size());
    }
    std::vector<std::string> seen;
    uint64_t cur = 0;
    int steps = 0, added = 1000;
    do {
        cur = sds_scan(d, cur, collect, &seen);
        // Grow the table while the scan is running: every element present
        // for the whole scan must still be returned at least once.
        if (steps++ % 3 == 0 && added < 4000)
            for (int j = 0; j < 40; j++, added++) {
                std::string k = key(added);
                sds_add(d, k.data(), k.size());
            }
        ASSERT_LT(steps, 100000);
    } while (cur != 0);
    std::set<std::string> uniq(seen.begin(), seen.end());
    for (int i = 0; i < 1000; i++)
        EXPECT_TRUE(uniq.count(key(i))) << key(i);
    sds_destroy(d);
}

TEST(Sdict, IterateDupAndRandom)
{
    sds_t *d = sds_create();
    for (int i = 0; i < 300; i++) {
        std::string k = key(i);
        sds_set(d, k.data(), k.size(), k.data(), k.size());
    }
    sds_t *c = sds_dup(d);
    std::vector<std::string> a, b;
    EXPECT_EQ(sds_iterate(d, collect, &a), 300u);
    EXPECT_EQ(sds_iterate(c, collect, &b), 300u);
    EXPECT_EQ(std::set<std::string>(a.begin(), a.end()), std::set<std::string>(b.begin(), b.end()));
    // The copy is independent.
    std::string k0 = key(0);
    sds_del(d, k0.data(), k0.size());
    char out[64];
    size_t n;
    EXPECT_TRUE(sds_get(c, k0.data(), k0.size(), out, sizeof(out), &n));
    // Random picks are members and, over many draws, spread out.
    std::set<std::string> picked;
    uint64_t x = 88172645463325252ull;
    for (int i = 0; i < 3000; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        ASSERT_TRUE(sds_random(c, x, x >> 17, out, sizeof(out), &n));
        picked.insert(std::string(out, n));
    }
    EXPECT_GT(picked.size(), 250u);
    sds_t *e = sds_create();
    EXPECT_FALSE(sds_random(e, 1, 2, out, sizeof(out), &n));
    sds_destroy(e);
    sds_destroy(c);
    sds_destroy(d);
}

// ---- RDB codec (spec/rdb.md §2-3) ----

std::string
hex(const uint8_t *p, size_t n)
{
    static const char h[] = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < n; i++)
        s += h[p[i] >> 4], s += h[p[i] & 15];
    return s;
}

TEST(RdbCodec, LengthForms)
{
    struct {
        uint64_t v;
        const char *enc;
    } cases[] = {{0, "00"},          {63, "3f"},         {64, "4040"},           {16383, "7fff"},
                 {16384, "8000004000"}, {4294967295ull, "80ffffffff"}, {4294967296ull, "810000000100000000"}};
    for (auto &c : cases) {
        uint8_t buf[16];
        size_t n = rdbs_put_len(c.v, buf, sizeof(buf));
        EXPECT_EQ(hex(buf, n), c.enc) << c.v;
        uint64_t back = 0;
        EXPECT_EQ(rdbs_get_len(buf, n, &back), n);
        EXPECT_EQ(back, c.v);
        EXPECT_EQ(rdbs_get_len(buf, n - 1, &back), 0u) << "truncated must fail";
    }
}

TEST(RdbCodec, StringsIntegerEncodedAsRedisWritesThem)
{
    struct {
        const char *s;
        const char *enc;
    } cases[] = {{"123", "c07b"},       {"-1", "c0ff"},         {"300", "c12c01"},
                 {"100000", "c2a0860100"}, {"2147483648", "0a32313437343833363438"}, // beyond int32: raw
                 {"012", "03303132"},   {"+1", "022b31"},       {"abc", "03616263"}};
    for (auto &c : cases) {
        uint8_t buf[64];
        size_t n = rdbs_put_str(c.s, strlen(c.s), buf, sizeof(buf));
        EXPECT_EQ(hex(buf, n), c.enc) << c.s;
        char out[64];
        size_t olen = 0;
        EXPECT_EQ(rdbs_get_str(buf, n, out, sizeof(out), &olen), n);
        EXPECT_EQ(std::string(out, olen), c.s);
    }
}

TEST(RdbCodec, LzfStringFromSpec)
{
    // 100 x 'a' as Redis stores it (spec/rdb.md §3).
    const uint8_t enc[] = {0xc3, 0x09, 0x40, 0x64, 0x01, 0x61, 0x61, 0xe0, 0x57, 0x00, 0x01, 0x61, 0x61};
    char out[128];
    size_t n = 0;
    ASSERT_EQ(rdbs_get_str(enc, sizeof(enc), out, sizeof(out), &n), sizeof(enc));
    EXPECT_EQ(std::string(out, n), std::string(100, 'a'));
    // Corrupt: a back-reference before the start, a wrong output size, truncation.
    uint8_t bad[sizeof(enc)];
    memcpy(bad, enc, sizeof(enc));
    bad[4] = 0xe0; // first control byte is now a back-reference
    EXPECT_EQ(rdbs_get_str(bad, sizeof(bad), out, sizeof(out), &n), 0u);
    memcpy(bad, enc, sizeof(enc));
    bad[3] = 0x65; // claims 101 bytes
    EXPECT_EQ(rdbs_get_str(bad, sizeof(bad), out, sizeof(out), &n), 0u);
    EXPECT_EQ(rdbs_get_str(enc, sizeof(enc) - 1, out, sizeof(out), &n), 0u);
    const uint8_t unknown_enc[] = {0xc5, 0x00};
    EXPECT_EQ(rdbs_get_str(unknown_enc, 2, out, sizeof(out), &n), 0u);
}

// ---- SHA-1 ----

TEST(Sha1, KnownVectors)
{
    char h[41];
    dgs_sha1_hex("", 0, h);
    EXPECT_STREQ(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    dgs_sha1_hex("abc", 3, h);
    EXPECT_STREQ(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
    const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    dgs_sha1_hex(two, strlen(two), h);
    EXPECT_STREQ(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    std::string million(1000000, 'a');
    for (size_t chunk : {1000000ul, 1ul, 63ul, 64ul, 65ul, 4096ul}) {
        dgs_sha1_hex_chunks(million.data(), million.size(), chunk, h);
        EXPECT_STREQ(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f") << chunk;
    }
}

// ---- The type table through the keyspace ----

class ObjTypes : public ::testing::Test {
  protected:
    void SetUp() override { objs_register_test_type(); }
};

TEST_F(ObjTypes, NamesEncodingsAndMemory)
{
    objs_ks_t *ks = objs_ks_create();
    objs_set_str(ks, 7, "s", 1, "v", 1); // the slot's table exists before base is taken
    size_t base = objs_ks_mem(ks);
    objs_set_blob(ks, 7, "b", 1, 10);
    EXPECT_EQ(objs_type(ks, 7, "b", 1), OBJS_TEST_TYPE);
    EXPECT_STREQ(objs_type_name(ks, 7, "b", 1), "blob");
    EXPECT_STREQ(objs_encoding(ks, 7, "b", 1), "small");
    size_t small = objs_entry_mem(ks, 7, "b", 1);
    EXPECT_GT(small, 10u);
    ASSERT_TRUE(objs_grow_blob(ks, 7, "b", 1, 5000));
    EXPECT_STREQ(objs_encoding(ks, 7, "b", 1), "big");
    EXPECT_GE(objs_entry_mem(ks, 7, "b", 1), small + 4900);
    // The keyspace figure follows every change, back to where it started.
    EXPECT_EQ(objs_ks_mem(ks) - base, objs_entry_mem(ks, 7, "b", 1));
    int frees = objs_test_frees();
    ASSERT_TRUE(objs_delete(ks, 7, "b", 1));
    EXPECT_EQ(objs_test_frees(), frees + 1);
    EXPECT_EQ(objs_ks_mem(ks), base);
    objs_ks_destroy(ks);
}

TEST_F(ObjTypes, OverwritingFreesTheOldObject)
{
    objs_ks_t *ks = objs_ks_create();
    objs_set_str(ks, 1, "s", 1, "v", 1);
    size_t base = objs_ks_mem(ks);
    int frees = objs_test_frees();
    objs_set_blob(ks, 1, "k", 1, 200);
    objs_set_blob(ks, 1, "k", 1, 300); // object over object
    EXPECT_EQ(objs_test_frees(), frees + 1);
    EXPECT_EQ(objs_blob_size(ks, 1, "k", 1), 300);
    objs_set_str(ks, 1, "k", 1, "now a string", 12); // string over object
    EXPECT_EQ(objs_test_frees(), frees + 2);
    EXPECT_STREQ(objs_type_name(ks, 1, "k", 1), "string");
    objs_set_blob(ks, 1, "k", 1, 50); // object over string
    EXPECT_EQ(objs_blob_size(ks, 1, "k", 1), 50);
    objs_delete(ks, 1, "k", 1);
    EXPECT_EQ(objs_test_frees(), frees + 3);
    EXPECT_EQ(objs_ks_mem(ks), base);
    objs_ks_destroy(ks);
}

TEST_F(ObjTypes, DetachedCopiesAreDeepAndAccounted)
{
    objs_ks_t *a = objs_ks_create(), *b = objs_ks_create();
    objs_set_str(b, 3, "s", 1, "v", 1);
    size_t base_b = objs_ks_mem(b);
    objs_set_blob(a, 3, "src", 3, 120);
    int dups = objs_test_dups();
    ASSERT_TRUE(objs_copy(a, 3, "src", 3, b, "dst", 3));
    EXPECT_EQ(objs_test_dups(), dups + 1);
    EXPECT_EQ(objs_blob_size(b, 3, "dst", 3), 120);
    ASSERT_TRUE(objs_grow_blob(a, 3, "src", 3, 10)); // the copy does not change
    EXPECT_EQ(objs_blob_size(b, 3, "dst", 3), 120);
    EXPECT_EQ(objs_ks_mem(b) - base_b, objs_entry_mem(b, 3, "dst", 3));
    objs_ks_destroy(a);
    objs_ks_destroy(b);
}

TEST_F(ObjTypes, DigestAndRdbHooks)
{
    objs_ks_t *ks = objs_ks_create();
    objs_set_blob(ks, 2, "x", 1, 40);
    ASSERT_TRUE(objs_rdb_roundtrip(ks, 2, "x", 1, "y", 1));
    EXPECT_EQ(objs_blob_size(ks, 2, "y", 1), 40);
    char dx[41], dy[41], ds[41];
    ASSERT_TRUE(objs_digest_value(ks, 2, "x", 1, dx));
    ASSERT_TRUE(objs_digest_value(ks, 2, "y", 1, dy));
    EXPECT_STREQ(dx, dy);
    // The type is part of a value's digest: a string of the same bytes
    // differs from the blob, and equals another string of those bytes.
    std::string forty(40, 'x');
    objs_set_str(ks, 2, "s", 1, forty.data(), forty.size());
    ASSERT_TRUE(objs_digest_value(ks, 2, "s", 1, ds));
    EXPECT_STRNE(ds, dx);
    char dt[41];
    objs_set_str(ks, 2, "t", 1, forty.data(), forty.size());
    ASSERT_TRUE(objs_digest_value(ks, 2, "t", 1, dt));
    EXPECT_STREQ(ds, dt);
    // The value digest of "1" is redis-server 7.0.15's DEBUG DIGEST-VALUE.
    objs_set_str(ks, 2, "one", 3, "1", 1);
    ASSERT_TRUE(objs_digest_value(ks, 2, "one", 3, dt));
    EXPECT_STREQ(dt, "b4fc66738120fba0b5aa500ab5c2bf89cea1c5da");
    objs_ks_destroy(ks);
}

} // namespace
