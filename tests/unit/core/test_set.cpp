// Unit tests for the set type (core/obj_set): encodings and the one-way
// conversion exactly where Redis 7.0 converts, moves that keep the old
// block alive for the keyspace, iteration order, random members, DEBUG
// DIGEST-VALUE against values from redis-server 7.0.15, RDB round trips of
// both encodings and payloads taken from redis-server's DUMP, and the
// keyspace's memory figure through adds, conversions and removals; the set
// algebra (SINTER/SUNION/SDIFF results) against a reference, on original
// sets and on the copies the cross-worker path hands to the coordinator.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/shim/set_shim.h"

namespace {

std::vector<std::string>
members(const void *o)
{
    char **s;
    size_t *l;
    size_t n = sets_members(o, &s, &l);
    std::vector<std::string> v;
    for (size_t i = 0; i < n; i++)
        v.emplace_back(s[i], l[i]);
    sets_free_strs(s, l, n);
    return v;
}

void *
make(std::initializer_list<const char *> ms)
{
    void *o = nullptr;
    for (const char *m : ms) {
        if (!o)
            o = sets_new_for(m, strlen(m));
        sets_add(&o, m, strlen(m));
    }
    return o;
}

std::vector<uint8_t>
unhex(const std::string &s)
{
    std::vector<uint8_t> v;
    for (size_t i = 0; i + 1 < s.size(); i += 2)
        v.push_back((uint8_t)std::stoi(s.substr(i, 2), nullptr, 16));
    return v;
}

class Set : public ::testing::Test {
  protected:
    void SetUp() override { sets_set_max_intset(512); }
    void TearDown() override { sets_set_max_intset(512); }
};

TEST_F(Set, EncodingFollowsRedis)
{
    void *o = make({"3", "1", "2"});
    EXPECT_STREQ(sets_encoding(o), "intset");
    EXPECT_EQ(members(o), (std::vector<std::string>{"1", "2", "3"}));
    // Not canonical integers: a hashtable for good.
    for (const char *m : {"007", "+1", "-0", " 1", "1.0", "9223372036854775808", ""}) {
        void *c = sets_dup(o);
        EXPECT_TRUE(sets_add(&c, m, strlen(m))) << m;
        EXPECT_STREQ(sets_encoding(c), "hashtable") << m;
        EXPECT_TRUE(sets_remove(&c, m, strlen(m)));
        EXPECT_STREQ(sets_encoding(c), "hashtable") << "one way: " << m;
        EXPECT_TRUE(sets_contains(c, "2", 1));
        sets_free(c);
    }
    // Extremes of int64 stay in the intset.
    EXPECT_TRUE(sets_add(&o, "-9223372036854775808", 20));
    EXPECT_TRUE(sets_add(&o, "9223372036854775807", 19));
    EXPECT_STREQ(sets_encoding(o), "intset");
    EXPECT_FALSE(sets_add(&o, "2", 1));
    EXPECT_TRUE(sets_contains(o, "9223372036854775807", 19));
    EXPECT_FALSE(sets_contains(o, "02", 2));
    sets_free(o);
    // A first member that is not an integer starts a hashtable.
    void *h = make({"a", "1"});
    EXPECT_STREQ(sets_encoding(h), "hashtable");
    sets_free(h);
}

TEST_F(Set, IntsetLimitConvertsPastIt)
{
    sets_set_max_intset(3);
    void *o = make({"1", "2", "3"});
    EXPECT_STREQ(sets_encoding(o), "intset");
    EXPECT_TRUE(sets_add(&o, "4", 1));
    EXPECT_STREQ(sets_encoding(o), "hashtable");
    EXPECT_EQ(sets_size(o), 4u);
    for (const char *m : {"1", "2", "3", "4"})
        EXPECT_TRUE(sets_contains(o, m, 1));
    sets_free(o);
    sets_set_max_intset(0); // even one member is too many
    void *z = make({"7"});
    EXPECT_STREQ(sets_encoding(z), "hashtable");
    sets_free(z);
}

TEST_F(Set, MovesKeepTheOldBlockForTheCaller)
{
    void *o = sets_new_for("1", 1);
    int moves = 0;
    for (int i = 0; i < 400; i++) {
        std::string m = std::to_string(i * 1000); // widths 2 then 4
        void *before = o, *old = nullptr;
        ASSERT_TRUE(sets_add_keep(&o, m.data(), m.size(), &old));
        if (old) {
            moves++;
            EXPECT_EQ(old, before);
            EXPECT_NE(o, before);
            sets_free(old); // what kv_obj_replace does
        } else {
            EXPECT_EQ(o, before);
        }
    }
    EXPECT_GT(moves, 3);
    EXPECT_STREQ(sets_encoding(o), "intset");
    void *old = nullptr;
    ASSERT_TRUE(sets_add_keep(&o, "x", 1, &old)); // conversion
    EXPECT_NE(old, nullptr);
    EXPECT_STREQ(sets_encoding(o), "hashtable");
    sets_free(old);
    EXPECT_EQ(sets_size(o), 401u);
    sets_free(o);
}

TEST_F(Set, RandomMembersAreMembersAndSpread)
{
    for (bool ints : {true, false}) {
        void *o = nullptr;
        for (int i = 0; i < 200; i++) {
            std::string m = (ints ? "" : "m") + std::to_string(i);
            if (!o)
                o = sets_new_for(m.data(), m.size());
            sets_add(&o, m.data(), m.size());
        }
        EXPECT_STREQ(sets_encoding(o), ints ? "intset" : "hashtable");
        std::set<std::string> seen;
        uint64_t x = 0x9e3779b97f4a7c15ULL;
        for (int i = 0; i < 4000; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            char buf[32];
            size_t n = sets_random(o, x, x >> 11, buf, sizeof(buf));
            std::string m(buf, n);
            ASSERT_TRUE(sets_contains(o, m.data(), m.size())) << m;
            seen.insert(m);
        }
        EXPECT_GT(seen.size(), 180u);
        sets_free(o);
    }
}

// DEBUG DIGEST-VALUE of the same sets on redis-server 7.0.15.
TEST_F(Set, DigestMatchesRedis)
{
    char h[41];
    void *i = make({"1", "2", "3"});
    sets_digest_hex(i, h);
    EXPECT_STREQ(h, "2a462a3f51a1db89738ebbeef0c47ce1bbc85246");
    // The same members as a hashtable digest the same (order-free, as text).
    sets_add(&i, "x", 1);
    sets_remove(&i, "x", 1);
    ASSERT_STREQ(sets_encoding(i), "hashtable");
    sets_digest_hex(i, h);
    EXPECT_STREQ(h, "2a462a3f51a1db89738ebbeef0c47ce1bbc85246");
    sets_free(i);
    void *x = make({"x"});
    sets_digest_hex(x, h);
    EXPECT_STREQ(h, "a34f6477bb8cac0aabc1e59ba2388f7bdf3ec994");
    sets_free(x);
    void *w = make({"1", "2", "100000"});
    sets_digest_hex(w, h);
    EXPECT_STREQ(h, "1d06d7fc7b1bee41ac7c887feb9cc6e6ecf5e931");
    sets_free(w);
    void *m = make({"a", "1"});
    sets_digest_hex(m, h);
    EXPECT_STREQ(h, "012434e5fd10923eb5614823e20e4674a940a6f5");
    sets_free(m);
}

void
expect_roundtrip(void *o, int want_type)
{
    uint8_t buf[1 << 16];
    int type = -1;
    size_t n = sets_rdb_save(o, buf, sizeof(buf), &type);
    EXPECT_EQ(type, want_type);
    char err[128];
    void *back = sets_rdb_load(type, buf, n, err);
    ASSERT_NE(back, nullptr) << err;
    EXPECT_STREQ(sets_encoding(back), sets_encoding(o));
    std::vector<std::string> a = members(o), b = members(back);
    if (want_type == 2) {
        std::sort(a.begin(), a.end());
        std::sort(b.begin(), b.end());
    }
    EXPECT_EQ(a, b);
    char h1[41], h2[41];
    sets_digest_hex(o, h1);
    sets_digest_hex(back, h2);
    EXPECT_STREQ(h1, h2);
    sets_free(back);
}

TEST_F(Set, RdbRoundTripsBothEncodings)
{
    EXPECT_TRUE(sets_rdb_accepts(2));
    EXPECT_TRUE(sets_rdb_accepts(11));
    void *i = make({"-3", "5", "70000"});
    expect_roundtrip(i, 11);
    sets_free(i);
    void *h = make({"a", "b", "123", "-5", "x"});
    sets_add(&h, std::string(300, 'z').c_str(), 300);
    expect_roundtrip(h, 2);
    sets_free(h);
    void *big = sets_new_for("0", 1);
    for (int k = 0; k < 2000; k++) {
        std::string m = std::to_string(k * 3);
        sets_add(&big, m.data(), m.size());
    }
    EXPECT_STREQ(sets_encoding(big), "hashtable"); // past 512
    expect_roundtrip(big, 2);
    sets_free(big);
}

// Payloads from redis-server 7.0.15's DUMP (type byte and the 10-byte
// version + CRC trailer stripped).
TEST_F(Set, LoadsRedisDumpPayloads)
{
    char err[128];
    // SADD i 1 2 100000: SET_INTSET, int32 width.
    std::vector<uint8_t> p = unhex("140400000003000000010000000200000" "0a0860100");
    void *o = sets_rdb_load(11, p.data(), p.size(), err);
    ASSERT_NE(o, nullptr) << err;
    EXPECT_STREQ(sets_encoding(o), "intset");
    EXPECT_EQ(members(o), (std::vector<std::string>{"1", "2", "100000"}));
    sets_free(o);
    // SADD h a 1: SET with a raw and an int8-encoded member.
    p = unhex("020161c001");
    o = sets_rdb_load(2, p.data(), p.size(), err);
    ASSERT_NE(o, nullptr) << err;
    EXPECT_STREQ(sets_encoding(o), "hashtable");
    EXPECT_TRUE(sets_contains(o, "a", 1));
    EXPECT_TRUE(sets_contains(o, "1", 1));
    sets_free(o);
    // A SET of integers (written by a server with a small intset limit)
    // loads as an intset here, as Redis's loader decides.
    p = unhex("02c005c006");
    o = sets_rdb_load(2, p.data(), p.size(), err);
    ASSERT_NE(o, nullptr) << err;
    EXPECT_STREQ(sets_encoding(o), "intset");
    char h[41];
    sets_digest_hex(o, h);
    EXPECT_STREQ(h, "df5268410e16c6c2450830e065c75004fb6a615a");
    sets_free(o);
    // Over the limit on load: SET_INTSET becomes a hashtable.
    sets_set_max_intset(2);
    p = unhex("140400000003000000010000000200000" "0a0860100");
    o = sets_rdb_load(11, p.data(), p.size(), err);
    ASSERT_NE(o, nullptr) << err;
    EXPECT_STREQ(sets_encoding(o), "hashtable");
    EXPECT_EQ(sets_size(o), 3u);
    sets_free(o);
}

TEST_F(Set, CorruptPayloadsAreErrors)
{
    char err[128];
    const char *bad[][2] = {
        {"11", "100300000003000000010002000300"}, // width 3
        {"11", "0c02000000030000000100020003"},   // length says 3 elements, has 2 bytes short
        {"11", "0e020000000300000001000300" "0200"}, // not ascending
        {"11", "0802000000000000" "00"},          // empty intset (+ junk)
        {"11", "08020000000000000"},              // truncated string
        {"11", "ff"},                             // not a length
        {"2", "00"},                              // empty set
        {"2", "03016101620161"},                  // duplicate member
        {"2", "03c001c002c001"},                  // duplicate int member
        {"2", "0501610162"},                      // count beyond the data
        {"2", "8fffffff"},                        // bad length encoding
        {"20", "00"},                             // SET_LISTPACK: not read yet
    };
    for (auto &b : bad) {
        std::vector<uint8_t> p = unhex(b[1]);
        void *o = sets_rdb_load(atoi(b[0]), p.data(), p.size(), err);
        EXPECT_EQ(o, nullptr) << b[0] << " " << b[1];
        if (o) {
            sets_free(o);
        } else {
            EXPECT_GT(strlen(err), 0u);
        }
    }
}

TEST_F(Set, KeyspaceMemoryFollowsEveryChange)
{
    sets_ks_t *ks = sets_ks_create();
    sets_ks_sadd(ks, "{t}anchor", "1", 1); // the slot's table exists before base
    size_t base = sets_ks_mem(ks);
    for (int i = 0; i < 1000; i++) {
        std::string m = std::to_string(i * 37);
        ASSERT_EQ(sets_ks_sadd(ks, "{t}s", m.data(), m.size()), 1);
        ASSERT_EQ(sets_ks_mem(ks) - base, sets_ks_entry_mem(ks, "{t}s")) << i;
    }
    ASSERT_EQ(sets_ks_sadd(ks, "{t}s", "word", 4), 1);
    EXPECT_EQ(sets_ks_mem(ks) - base, sets_ks_entry_mem(ks, "{t}s"));
    for (int i = 0; i < 1000; i++) {
        std::string m = std::to_string(i * 37);
        ASSERT_EQ(sets_ks_srem(ks, "{t}s", m.data(), m.size()), 1);
        ASSERT_EQ(sets_ks_mem(ks) - base, sets_ks_entry_mem(ks, "{t}s")) << i;
    }
    ASSERT_EQ(sets_ks_srem(ks, "{t}s", "word", 4), 1);
    EXPECT_FALSE(sets_ks_exists(ks, "{t}s"));
    EXPECT_EQ(sets_ks_mem(ks), base);
    // An intset that grows and shrinks through moves, back to base.
    for (int i = 0; i < 300; i++) {
        std::string m = std::to_string(i);
        sets_ks_sadd(ks, "{t}i", m.data(), m.size());
    }
    for (int i = 0; i < 300; i++) {
        std::string m = std::to_string(i);
        sets_ks_srem(ks, "{t}i", m.data(), m.size());
        if (i < 299) {
            ASSERT_EQ(sets_ks_mem(ks) - base, sets_ks_entry_mem(ks, "{t}i"));
        }
    }
    EXPECT_EQ(sets_ks_mem(ks), base);
    sets_ks_destroy(ks);
}

void *
alg(int op, std::vector<void *> sets)
{
    return sets_algebra(op, sets.data(), (int)sets.size());
}

std::set<std::string>
as_set(const void *o)
{
    auto v = members(o);
    return {v.begin(), v.end()};
}

// The reference: op over the member sets (nullptr: a missing key).
std::set<std::string>
reference(int op, const std::vector<const std::set<std::string> *> &in)
{
    std::set<std::string> out;
    if (op == SETS_UNION) {
        for (auto *s : in)
            if (s)
                out.insert(s->begin(), s->end());
        return out;
    }
    if (!in[0])
        return out;
    if (op == SETS_INTER) {
        for (auto *s : in)
            if (!s)
                return out;
        for (auto &m : *in[0])
            if (std::all_of(in.begin(), in.end(), [&](auto *s) { return s->count(m) > 0; }))
                out.insert(m);
        return out;
    }
    for (auto &m : *in[0])
        if (std::none_of(in.begin() + 1, in.end(), [&](auto *s) { return s && s->count(m) > 0; }))
            out.insert(m);
    return out;
}

TEST_F(Set, AlgebraResultsAreBuiltAsRedisBuildsThem)
{
    void *a = make({"1", "2", "3"}), *b = make({"3", "4"}), *h = make({"x", "3", "1"});
    void *u = alg(SETS_UNION, {a, b});
    EXPECT_STREQ(sets_encoding(u), "intset");
    EXPECT_EQ(members(u), (std::vector<std::string>{"1", "2", "3", "4"}));
    // an intersection of hashtables whose common members are integers
    // starts as an intset, as SINTERSTORE's result does in Redis 7.0
    void *i = alg(SETS_INTER, {h, a});
    EXPECT_STREQ(sets_encoding(i), "intset");
    EXPECT_EQ(members(i), (std::vector<std::string>{"1", "3"}));
    void *d = alg(SETS_DIFF, {h, a});
    EXPECT_STREQ(sets_encoding(d), "hashtable");
    EXPECT_EQ(members(d), (std::vector<std::string>{"x"}));
    void *e = alg(SETS_INTER, {a, nullptr});
    EXPECT_EQ(sets_size(e), 0u);
    void *big = sets_new_for("0", 1);
    for (int j = 0; j < 300; j++)
        sets_add(&big, std::to_string(j).c_str(), std::to_string(j).size());
    void *big2 = sets_new_for("0", 1);
    for (int j = 300; j < 513; j++)
        sets_add(&big2, std::to_string(j).c_str(), std::to_string(j).size());
    void *bu = alg(SETS_UNION, {big, big2});
    EXPECT_STREQ(sets_encoding(bu), "hashtable"); // 513 > set-max-intset-entries
    EXPECT_EQ(sets_size(bu), 513u);
    for (void *o : {a, b, h, u, i, d, e, big, big2, bu})
        sets_free(o);
}

// The cross-worker path runs the algebra on deep copies (obj.h dup) of the
// sets, a repeated key sharing one copy; the single-worker path on the
// originals, a repeated key being the same pointer. Same members, same
// encoding, both equal to the reference, for random sets and key lists.
TEST_F(Set, AlgebraOnCopiesEqualsAlgebraOnOriginals)
{
    std::mt19937 rng(7);
    for (int round = 0; round < 300; round++) {
        int nsets = 1 + (int)(rng() % 4);
        std::vector<void *> orig;
        std::vector<std::set<std::string>> ref;
        for (int j = 0; j < nsets; j++) {
            size_t n = 1 + rng() % (round % 10 == 0 ? 700 : 20);
            bool strings = rng() % 3 == 0;
            void *o = nullptr;
            std::set<std::string> r;
            for (size_t k = 0; k < n; k++) {
                std::string m = strings && rng() % 4 == 0 ? "s" + std::to_string(rng() % 30)
                                                          : std::to_string((int)(rng() % 900) - 100);
                if (!o)
                    o = sets_new_for(m.data(), m.size());
                sets_add(&o, m.data(), m.size());
                r.insert(m);
            }
            orig.push_back(o);
            ref.push_back(r);
        }
        // a key list: sets by index, repeats, and missing keys (-1)
        int nkeys = 1 + (int)(rng() % 5);
        std::vector<int> keys;
        for (int k = 0; k < nkeys; k++)
            keys.push_back(rng() % 6 == 0 ? -1 : (int)(rng() % nsets));
        std::vector<void *> here, copies, shared(nsets, nullptr);
        std::vector<const std::set<std::string> *> refs;
        for (int k : keys) {
            here.push_back(k < 0 ? nullptr : orig[k]);
            if (k >= 0 && !shared[k])
                shared[k] = sets_dup(orig[k]);
            copies.push_back(k < 0 ? nullptr : shared[k]);
            refs.push_back(k < 0 ? nullptr : &ref[k]);
        }
        for (int op : {SETS_INTER, SETS_UNION, SETS_DIFF}) {
            void *r1 = sets_algebra(op, here.data(), nkeys);
            void *r2 = sets_algebra(op, copies.data(), nkeys);
            std::string what = "round " + std::to_string(round) + " op " + std::to_string(op);
            EXPECT_EQ(as_set(r1), reference(op, refs)) << what;
            EXPECT_EQ(as_set(r2), as_set(r1)) << what;
            EXPECT_STREQ(sets_encoding(r2), sets_encoding(r1)) << what;
            if (std::string(sets_encoding(r1)) == "intset") {
                EXPECT_EQ(members(r2), members(r1)) << what; // ascending: the same order
            }
            sets_free(r1);
            sets_free(r2);
        }
        for (void *o : shared)
            if (o)
                sets_free(o);
        for (void *o : orig)
            sets_free(o);
    }
}

} // namespace
