// Unit tests for the hash type (core/obj_hash.c, core/obj_hash_rdb.c):
// both encodings, the one-way conversion at hash-max-listpack-entries /
// -value, memory figures, DEBUG DIGEST-VALUE against redis-server 7.0.15,
// and the RDB hooks: round trips of each encoding, payloads written by a
// real redis-server (DUMP minus type byte and trailer), hand-made ziplist
// and zipmap payloads, and corrupt input.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "tests/shim/hash_shim.h"

namespace {

using Map = std::map<std::string, std::string>;

void
collect(void *arg, const char *f, size_t fl, const char *v, size_t vl)
{
    (*static_cast<Map *>(arg))[std::string(f, fl)] = std::string(v, vl);
}

Map
contents(const hs_t *h)
{
    Map m;
    hs_iterate(h, collect, &m);
    return m;
}

std::vector<uint8_t>
unhex(const std::string &s)
{
    std::vector<uint8_t> v;
    for (size_t i = 0; i + 1 < s.size(); i += 2)
        v.push_back((uint8_t)std::stoi(s.substr(i, 2), nullptr, 16));
    return v;
}

// A DUMP payload's value part: without the type byte and the 10-byte
// trailer (RDB version + CRC64).
std::vector<uint8_t>
dump_value(const std::string &h, int *type)
{
    std::vector<uint8_t> v = unhex(h);
    *type = v[0];
    return std::vector<uint8_t>(v.begin() + 1, v.end() - 10);
}

void
set(hs_t *h, const std::string &f, const std::string &v)
{
    hs_set(h, f.data(), f.size(), v.data(), v.size());
}

class Hash : public ::testing::Test {
  protected:
    void SetUp() override { hs_config(512, 64); }
    void TearDown() override { hs_config(512, 64); }
};

} // namespace

TEST_F(Hash, SetGetDeleteInBothEncodings)
{
    for (int big = 0; big < 2; big++) {
        hs_config(big ? 0 : 512, 64); // 0 entries: the first field converts
        hs_t *h = hs_create();
        EXPECT_STREQ(hs_encoding(h), "listpack");
        EXPECT_TRUE(hs_set(h, "a", 1, "1", 1));
        EXPECT_FALSE(hs_set(h, "a", 1, "two", 3)); // update, not new
        EXPECT_TRUE(hs_set(h, "", 0, "", 0));      // empty field and value
        EXPECT_TRUE(hs_set(h, "12", 2, "-5", 2));
        EXPECT_STREQ(hs_encoding(h), big ? "hashtable" : "listpack");
        char out[64];
        size_t n = 0;
        ASSERT_TRUE(hs_get(h, "a", 1, out, sizeof(out), &n));
        EXPECT_EQ(std::string(out, n), "two");
        ASSERT_TRUE(hs_get(h, "12", 2, out, sizeof(out), &n));
        EXPECT_EQ(std::string(out, n), "-5");
        ASSERT_TRUE(hs_get(h, "", 0, out, sizeof(out), &n));
        EXPECT_EQ(n, 0u);
        EXPECT_FALSE(hs_get(h, "012", 3, out, sizeof(out), &n)); // not the field "12"
        EXPECT_EQ(hs_len(h), 3u);
        EXPECT_TRUE(hs_del(h, "12", 2));
        EXPECT_FALSE(hs_del(h, "12", 2));
        EXPECT_EQ(contents(h), (Map{{"a", "two"}, {"", ""}}));
        hs_destroy(h);
    }
}

TEST_F(Hash, ListpackKeepsInsertionOrderAndUpdatesInPlace)
{
    hs_t *h = hs_create();
    set(h, "z", "1");
    set(h, "a", "2");
    set(h, "m", "3");
    set(h, "a", "updated");
    std::vector<std::string> order;
    hs_iterate(
        h, [](void *arg, const char *f, size_t fl, const char *, size_t) {
            static_cast<std::vector<std::string> *>(arg)->emplace_back(f, fl);
        },
        &order);
    EXPECT_EQ(order, (std::vector<std::string>{"z", "a", "m"}));
    hs_destroy(h);
}

TEST_F(Hash, ConvertsPastTheEntryLimit)
{
    hs_config(4, 64);
    hs_t *h = hs_create();
    for (int i = 0; i < 4; i++)
        set(h, "f" + std::to_string(i), "v");
    EXPECT_STREQ(hs_encoding(h), "listpack");
    set(h, "f0", "updating keeps the count");
    EXPECT_STREQ(hs_encoding(h), "listpack");
    set(h, "f4", "v");
    EXPECT_STREQ(hs_encoding(h), "hashtable");
    // one way: deleting back below the limit keeps the hashtable
    hs_del(h, "f4", 2);
    hs_del(h, "f3", 2);
    EXPECT_STREQ(hs_encoding(h), "hashtable");
    EXPECT_EQ(contents(h).size(), 3u);
    EXPECT_EQ(contents(h)["f0"], "updating keeps the count");
    hs_destroy(h);
}

// Redis's hashTypeSet checks the entry limit after every set, an update
// included: a listpack longer than a limit lowered since (CONFIG SET)
// converts on its next write of an existing field, not only of a new one.
TEST_F(Hash, UpdatePastALoweredLimitConverts)
{
    hs_t *h = hs_create();
    for (int i = 0; i < 4; i++)
        set(h, "f" + std::to_string(i), "v");
    hs_config(2, 64);
    EXPECT_STREQ(hs_encoding(h), "listpack"); // nothing converts by itself
    EXPECT_TRUE(hs_del(h, "f3", 2));
    EXPECT_STREQ(hs_encoding(h), "listpack"); // nor on a delete
    EXPECT_FALSE(hs_set(h, "f1", 2, "new", 3)); // an update: still "not added"
    EXPECT_STREQ(hs_encoding(h), "hashtable");
    EXPECT_EQ(contents(h), (Map{{"f0", "v"}, {"f1", "new"}, {"f2", "v"}}));
    hs_destroy(h);
}

TEST_F(Hash, ConvertsOnALongFieldOrValue)
{
    std::string v64(64, 'x'), v65(65, 'x');
    hs_t *h = hs_create();
    set(h, "f", v64);
    set(h, v64, "f");
    EXPECT_STREQ(hs_encoding(h), "listpack");
    set(h, "g", v65); // as HINCRBYFLOAT's long result: converts inside set
    EXPECT_STREQ(hs_encoding(h), "hashtable");
    EXPECT_EQ(contents(h)["g"], v65);
    hs_destroy(h);

    h = hs_create();
    const char *args[] = {"f", v65.c_str()};
    size_t lens[] = {1, 65};
    hs_prepare(h, args, lens, 2); // HSET's check of all arguments first
    EXPECT_STREQ(hs_encoding(h), "hashtable");
    hs_destroy(h);

    h = hs_create();
    hs_prepare(h, args, lens, 1);
    EXPECT_STREQ(hs_encoding(h), "listpack");
    hs_destroy(h);
}

TEST_F(Hash, MemoryFollowsTheContents)
{
    hs_t *h = hs_create();
    size_t empty = hs_mem(h);
    EXPECT_GT(empty, 0u);
    for (int i = 0; i < 100; i++)
        set(h, "field:" + std::to_string(i), "value:" + std::to_string(i));
    size_t lp = hs_mem(h);
    EXPECT_GT(lp, empty + 100 * 10);
    hs_config(100, 64);
    set(h, "one more", "x");
    EXPECT_STREQ(hs_encoding(h), "hashtable");
    EXPECT_GT(hs_mem(h), lp); // a hashtable costs more than the listpack
    hs_t *d = hs_dup(h);
    EXPECT_GT(hs_mem(d), lp); // its own table, sized for its contents
    EXPECT_EQ(contents(d), contents(h));
    hs_destroy(d);
    hs_destroy(h);
}

TEST_F(Hash, RandomFieldIsAMember)
{
    for (int enc = 0; enc < 2; enc++) {
        hs_config(enc ? 1 : 512, 64);
        hs_t *h = hs_create();
        for (int i = 0; i < 50; i++)
            set(h, "f" + std::to_string(i), std::to_string(i));
        std::mt19937_64 rng(7);
        std::map<std::string, int> seen;
        char out[32];
        size_t n;
        for (int i = 0; i < 2000; i++) {
            ASSERT_TRUE(hs_random(h, rng(), rng(), out, sizeof(out), &n));
            seen[std::string(out, n)]++;
        }
        EXPECT_EQ(seen.size(), 50u) << enc; // every field shows up
        hs_destroy(h);
    }
    hs_t *e = hs_create();
    char out[8];
    size_t n;
    EXPECT_FALSE(hs_random(e, 1, 2, out, sizeof(out), &n));
    hs_destroy(e);
}

TEST_F(Hash, DigestMatchesRedis)
{
    // redis-server 7.0.15: HSET d1 a 1 b -1 c 300 dd <'x'*60> n 1234567890123 e ""
    // DEBUG DIGEST-VALUE d1 -> 2b7438fa...; d2 {f1:v1, f2:22, f3:v3} -> a5de53c0...
    hs_t *h = hs_create();
    for (auto &kv : std::vector<std::pair<std::string, std::string>>{
             {"a", "1"}, {"b", "-1"}, {"c", "300"}, {"dd", std::string(60, 'x')}, {"n", "1234567890123"}, {"e", ""}})
        set(h, kv.first, kv.second);
    char d[41];
    hs_digest_value(h, d);
    EXPECT_STREQ(d, "2b7438fafdc5c73a6d1c0188d14d2c9dd37c9472");
    hs_destroy(h);
    hs_config(2, 64);
    h = hs_create();
    set(h, "f1", "v1");
    set(h, "f2", "22");
    set(h, "f3", "v3");
    EXPECT_STREQ(hs_encoding(h), "hashtable");
    hs_digest_value(h, d);
    EXPECT_STREQ(d, "a5de53c0a40e70a2e164eec755a022751d2c9817"); // same for either encoding
    hs_destroy(h);
}

TEST_F(Hash, RdbRoundTripOfEachEncoding)
{
    for (int enc = 0; enc < 2; enc++) {
        hs_config(enc ? 10 : 512, 64);
        hs_t *h = hs_create();
        for (int i = 0; i < 40; i++)
            set(h, "k" + std::to_string(i), i % 3 ? std::to_string(i * 1000003LL) : "text " + std::to_string(i));
        std::vector<uint8_t> buf(1 << 16);
        int type = -1;
        size_t n = hs_rdb_save(h, buf.data(), buf.size(), &type);
        ASSERT_GT(n, 0u);
        EXPECT_EQ(type, enc ? 4 : 16);
        char err[128];
        size_t used = 0;
        hs_t *back = hs_rdb_load(type, buf.data(), n, err, &used);
        ASSERT_NE(back, nullptr) << err;
        EXPECT_EQ(used, n);
        EXPECT_EQ(contents(back), contents(h));
        EXPECT_STREQ(hs_encoding(back), hs_encoding(h));
        hs_destroy(back);
        hs_destroy(h);
    }
}

TEST_F(Hash, LoadsPayloadsWrittenByRedis)
{
    // DUMP d1 (listpack, LZF-compressed by redis-server) and DUMP d2
    // (hashtable, type 4 with int-encoded "22").
    int type;
    std::vector<uint8_t> v = dump_value(
        "10c336406c1c6c0000000c008161020101816202dfff02816302c12c0282646403bc78e03200133d816e02f4cb04fb711f01000009816502"
        "8001ff0a00a35d03e11ba85796",
        &type);
    ASSERT_EQ(type, 16);
    char err[128];
    hs_t *h = hs_rdb_load(type, v.data(), v.size(), err, nullptr);
    ASSERT_NE(h, nullptr) << err;
    EXPECT_STREQ(hs_encoding(h), "listpack");
    EXPECT_EQ(contents(h), (Map{{"a", "1"}, {"b", "-1"}, {"c", "300"}, {"dd", std::string(60, 'x')},
                                {"n", "1234567890123"}, {"e", ""}}));
    char d[41];
    hs_digest_value(h, d);
    EXPECT_STREQ(d, "2b7438fafdc5c73a6d1c0188d14d2c9dd37c9472");
    // Saving it again gives redis-server's uncompressed listpack bytes.
    std::vector<uint8_t> buf(4096);
    int t2;
    size_t n = hs_rdb_save(h, buf.data(), buf.size(), &t2);
    EXPECT_EQ(t2, 16);
    EXPECT_EQ(n, 2 + 0x6c); // 14-bit length + the 108-byte listpack
    hs_destroy(h);

    v = dump_value("0403026633027633026632c0160266310276310a0026a5b338c4e8502c", &type);
    ASSERT_EQ(type, 4);
    h = hs_rdb_load(type, v.data(), v.size(), err, nullptr);
    ASSERT_NE(h, nullptr) << err;
    EXPECT_EQ(contents(h), (Map{{"f1", "v1"}, {"f2", "22"}, {"f3", "v3"}}));
    EXPECT_STREQ(hs_encoding(h), "listpack"); // 3 fields fit the default limits
    hs_destroy(h);
}

TEST_F(Hash, LoadsZiplistAndZipmap)
{
    // Ziplist (spec/rdb.md §8) of "name" "tessera" "n" 7 "big" 70000:
    // prevlen, encoding (00llllll string, 0xF1+v immediate, 0xF0 int24), data.
    std::vector<uint8_t> zl = {0, 0, 0, 0, 0, 0, 0, 0, 6, 0};
    std::vector<size_t> starts;
    size_t prev = 0;
    auto add = [&](std::vector<uint8_t> enc) {
        starts.push_back(zl.size());
        std::vector<uint8_t> e = {(uint8_t)prev};
        e.insert(e.end(), enc.begin(), enc.end());
        zl.insert(zl.end(), e.begin(), e.end());
        prev = e.size();
    };
    add({0x04, 'n', 'a', 'm', 'e'});
    add({0x07, 't', 'e', 's', 's', 'e', 'r', 'a'});
    add({0x01, 'n'});
    add({0xF8}); // immediate 7
    add({0x03, 'b', 'i', 'g'});
    add({0xF0, 0x70, 0x11, 0x01}); // int24 70000
    zl.push_back(0xFF);
    uint32_t total = (uint32_t)zl.size(), tail = (uint32_t)starts.back();
    for (int i = 0; i < 4; i++)
        zl[i] = (uint8_t)(total >> (8 * i)), zl[4 + i] = (uint8_t)(tail >> (8 * i));
    std::vector<uint8_t> payload = {(uint8_t)zl.size()};
    payload.insert(payload.end(), zl.begin(), zl.end());
    char err[128];
    hs_t *h = hs_rdb_load(13, payload.data(), payload.size(), err, nullptr);
    ASSERT_NE(h, nullptr) << err;
    EXPECT_EQ(contents(h), (Map{{"name", "tessera"}, {"n", "7"}, {"big", "70000"}}));
    hs_destroy(h);
    // A wrong prevlen in the chain is corruption.
    payload[1 + starts[2]] = 3; // the entry before it takes 9 bytes
    EXPECT_EQ(hs_rdb_load(13, payload.data(), payload.size(), err, nullptr), nullptr);

    // Zipmap: count 2, "a" -> "1" (free 0), "bb" -> "xyz" with 2 free bytes.
    std::vector<uint8_t> zm = {2, 1, 'a', 1, 0, '1', 2, 'b', 'b', 3, 2, 'x', 'y', 'z', 0, 0, 0xFF};
    std::vector<uint8_t> zp = {(uint8_t)zm.size()};
    zp.insert(zp.end(), zm.begin(), zm.end());
    h = hs_rdb_load(9, zp.data(), zp.size(), err, nullptr);
    ASSERT_NE(h, nullptr) << err;
    EXPECT_EQ(contents(h), (Map{{"a", "1"}, {"bb", "xyz"}}));
    hs_destroy(h);
    zp[1 + 10] = 50; // free bytes past the end
    EXPECT_EQ(hs_rdb_load(9, zp.data(), zp.size(), err, nullptr), nullptr);
}

TEST_F(Hash, CorruptPayloadsAreErrors)
{
    char err[128];
    // listpack with a duplicate field: ["a","1","a","2"]
    std::vector<uint8_t> lp = {0x13, 0, 0, 0, 4, 0, 0x81, 'a', 2, 1, 1, 0x81, 'a', 2, 2, 1, 0xff};
    lp[0] = (uint8_t)lp.size();
    std::vector<uint8_t> p = {(uint8_t)lp.size()};
    p.insert(p.end(), lp.begin(), lp.end());
    EXPECT_EQ(hs_rdb_load(16, p.data(), p.size(), err, nullptr), nullptr);
    EXPECT_NE(std::string(err).find("duplicate"), std::string::npos) << err;
    // the same with the duplicate found through the hashtable path
    hs_config(1, 64);
    EXPECT_EQ(hs_rdb_load(16, p.data(), p.size(), err, nullptr), nullptr);
    hs_config(512, 64);
    // an odd number of entries
    std::vector<uint8_t> odd = {0x0a, 0, 0, 0, 1, 0, 0x81, 'a', 2, 0xff};
    std::vector<uint8_t> po = {(uint8_t)odd.size()};
    po.insert(po.end(), odd.begin(), odd.end());
    EXPECT_EQ(hs_rdb_load(16, po.data(), po.size(), err, nullptr), nullptr);
    // an empty listpack, an empty plain hash, a duplicate in a plain hash
    std::vector<uint8_t> empty = {7, 7, 0, 0, 0, 0, 0, 0xff};
    EXPECT_EQ(hs_rdb_load(16, empty.data(), empty.size(), err, nullptr), nullptr);
    uint8_t zero[] = {0};
    EXPECT_EQ(hs_rdb_load(4, zero, 1, err, nullptr), nullptr);
    uint8_t dup4[] = {2, 1, 'a', 1, '1', 1, 'a', 1, '2'};
    EXPECT_EQ(hs_rdb_load(4, dup4, sizeof(dup4), err, nullptr), nullptr);
    // Every truncation and every byte value at every position of real
    // payloads: an error or a valid hash, never a crash (ASan build).
    int type;
    std::vector<uint8_t> good[] = {
        dump_value("0403026633027633026632c0160266310276310a0026a5b338c4e8502c", &type), p};
    int types[] = {4, 16};
    p[1 + 7] = 'b'; // make the listpack valid: ["a","1","b","2"]
    good[1] = p;
    for (int g = 0; g < 2; g++) {
        hs_t *ok = hs_rdb_load(types[g], good[g].data(), good[g].size(), err, nullptr);
        ASSERT_NE(ok, nullptr) << err;
        hs_destroy(ok);
        for (size_t k = 0; k < good[g].size(); k++) {
            hs_t *h = hs_rdb_load(types[g], good[g].data(), k, err, nullptr);
            EXPECT_EQ(h, nullptr) << k;
            hs_destroy(h);
        }
        for (size_t i = 0; i < good[g].size(); i++) {
            for (int v = 0; v < 256; v++) {
                std::vector<uint8_t> b = good[g];
                b[i] = (uint8_t)v;
                hs_t *h = hs_rdb_load(types[g], b.data(), b.size(), err, nullptr);
                if (h) {
                    EXPECT_EQ(contents(h).size(), hs_len(h));
                }
                hs_destroy(h);
            }
        }
    }
}
