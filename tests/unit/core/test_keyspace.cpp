// test_keyspace.cpp: unit tests of core/keyspace (through keyspace_shim.h).
#include "tests/shim/keyspace_shim.h"

#include <gtest/gtest.h>

#include <climits>
#include <random>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

const int64_t T0 = 1700000000000LL; // a fixed "now" in unix ms

struct KS {
    kss_t *ks;
    KS() : ks(kss_create()) { kss_set_clock(ks, T0); }
    ~KS() { kss_destroy(ks); }
    operator kss_t *() { return ks; }
};

void
set(kss_t *ks, uint16_t slot, const std::string &k, const std::string &v, int64_t exp = KSS_EXPIRE_NONE)
{
    kss_set_str(ks, slot, k.data(), k.size(), v.data(), v.size(), exp);
}

bool
get(kss_t *ks, uint16_t slot, const std::string &k, std::string *out, int64_t now = T0, int flags = 0)
{
    char buf[4096];
    size_t n = 0;
    if (!kss_get(ks, slot, k.data(), k.size(), now, flags, buf, sizeof(buf), &n))
        return false;
    if (out)
        out->assign(buf, std::min(n, sizeof(buf)));
    return true;
}

std::string
get_big(kss_t *ks, uint16_t slot, const std::string &k)
{
    size_t n = 0;
    EXPECT_TRUE(kss_get(ks, slot, k.data(), k.size(), T0, KSS_NOTOUCH, nullptr, 0, &n));
    std::string s(n, '\0');
    kss_get(ks, slot, k.data(), k.size(), T0, KSS_NOTOUCH, &s[0], n, &n);
    return s;
}

int
enc(kss_t *ks, uint16_t slot, const std::string &k)
{
    return kss_encoding(ks, slot, k.data(), k.size());
}

void
collect(void *arg, const char *k, size_t n)
{
    static_cast<std::vector<std::string> *>(arg)->emplace_back(k, n);
}

std::string
rand_key(std::mt19937_64 &rng)
{
    size_t len = 1 + rng() % 40;
    if (rng() % 50 == 0)
        len = 255 + rng() % 300; // wide key length encoding
    std::string s(len, '\0');
    for (auto &c : s)
        c = (char)(rng() & 0xff);
    return s;
}

} // namespace

TEST(Keyspace, InsertLookupDeleteOverwrite100k)
{
    KS ks;
    std::mt19937_64 rng(42);
    std::unordered_map<std::string, std::pair<uint16_t, std::string>> model;
    while (model.size() < 100000) {
        std::string k = rand_key(rng);
        uint16_t slot = rng() % 16384;
        if (model.count(k))
            continue;
        std::string v = std::to_string(rng() % 100000) + (rng() % 2 ? std::string(rng() % 80, 'v') : "");
        model[k] = {slot, v};
        set(ks, slot, k, v);
    }
    EXPECT_EQ(kss_count(ks), model.size());
    for (auto &kv : model) {
        std::string out;
        ASSERT_TRUE(get(ks, kv.second.first, kv.first, &out));
        ASSERT_EQ(out, kv.second.second);
        ASSERT_EQ(kss_entry_slot(ks, kv.second.first, kv.first.data(), kv.first.size()), kv.second.first);
    }
    // a key in the wrong slot is not found
    auto it = model.begin();
    EXPECT_FALSE(get(ks, (it->second.first + 1) % 16384, it->first, nullptr));
    // overwrite half, delete a quarter
    size_t i = 0, deleted = 0;
    for (auto &kv : model) {
        if (i % 2 == 0) {
            kv.second.second = "new" + std::to_string(i) + std::string(i % 60, 'x');
            set(ks, kv.second.first, kv.first, kv.second.second);
        } else if (i % 4 == 1) {
            ASSERT_TRUE(kss_delete(ks, kv.second.first, kv.first.data(), kv.first.size()));
            ASSERT_FALSE(kss_delete(ks, kv.second.first, kv.first.data(), kv.first.size()));
            kv.second.second = "<deleted>";
            deleted++;
        }
        i++;
    }
    EXPECT_EQ(kss_count(ks), model.size() - deleted);
    for (auto &kv : model) {
        std::string out;
        bool found = get(ks, kv.second.first, kv.first, &out);
        if (kv.second.second == "<deleted>") {
            ASSERT_FALSE(found);
        } else {
            ASSERT_TRUE(found);
            ASSERT_EQ(out, kv.second.second);
        }
    }
    uint64_t total = 0;
    for (uint16_t s = 0; s < 16384; s++)
        total += kss_count_slot(ks, s);
    EXPECT_EQ(total, kss_count(ks));
}

TEST(Keyspace, IntegerEncoding)
{
    KS ks;
    struct Case {
        const char *v;
        int enc;
    } cases[] = {
        {"123", KSS_ENC_INT},
        {"0", KSS_ENC_INT},
        {"-1", KSS_ENC_INT},
        {"0123", KSS_ENC_EMBSTR},
        {"-0", KSS_ENC_EMBSTR},
        {"+1", KSS_ENC_EMBSTR},
        {" 1", KSS_ENC_EMBSTR},
        {"1 ", KSS_ENC_EMBSTR},
        {"9223372036854775807", KSS_ENC_INT},
        {"-9223372036854775808", KSS_ENC_INT},
        {"9223372036854775808", KSS_ENC_EMBSTR},
        {"-9223372036854775809", KSS_ENC_EMBSTR},
        {"", KSS_ENC_EMBSTR},
        {"12a", KSS_ENC_EMBSTR},
    };
    for (auto &c : cases) {
        std::string k = std::string("k:") + c.v;
        set(ks, 1, k, c.v);
        EXPECT_EQ(enc(ks, 1, k), c.enc) << c.v;
        std::string out;
        ASSERT_TRUE(get(ks, 1, k, &out));
        EXPECT_EQ(out, c.v);
    }
    long long v = 0;
    ASSERT_TRUE(kss_get_int(ks, 1, "k:-9223372036854775808", 22, &v));
    EXPECT_EQ(v, LLONG_MIN);
    EXPECT_FALSE(kss_get_int(ks, 1, "k:0123", 6, &v));
    kss_set_int(ks, 2, "n", 1, LLONG_MIN, KSS_EXPIRE_NONE);
    std::string out;
    ASSERT_TRUE(get(ks, 2, "n", &out));
    EXPECT_EQ(out, "-9223372036854775808");
    EXPECT_STREQ(kss_encoding_name(ks, 2, "n", 1), "int");
}

TEST(Keyspace, EmbstrRawBoundary)
{
    KS ks;
    std::string a(KSS_EMBSTR_MAX, 'a'), b(KSS_EMBSTR_MAX + 1, 'b');
    set(ks, 5, "a", a);
    set(ks, 5, "b", b);
    EXPECT_EQ(enc(ks, 5, "a"), KSS_ENC_EMBSTR);
    EXPECT_STREQ(kss_encoding_name(ks, 5, "a", 1), "embstr");
    EXPECT_EQ(enc(ks, 5, "b"), KSS_ENC_RAW);
    EXPECT_STREQ(kss_encoding_name(ks, 5, "b", 1), "raw");
    EXPECT_EQ(get_big(ks, 5, "a"), a);
    EXPECT_EQ(get_big(ks, 5, "b"), b);
    // overwrite across encodings in both directions, with and without TTL
    set(ks, 5, "a", b, T0 + 1000);
    EXPECT_EQ(enc(ks, 5, "a"), KSS_ENC_RAW);
    EXPECT_EQ(get_big(ks, 5, "a"), b);
    set(ks, 5, "a", "42", KSS_EXPIRE_KEEP);
    EXPECT_EQ(enc(ks, 5, "a"), KSS_ENC_INT);
    EXPECT_EQ(kss_expire(ks, 5, "a", 1), T0 + 1000);
    set(ks, 5, "a", "short");
    EXPECT_EQ(kss_expire(ks, 5, "a", 1), -1);
    EXPECT_EQ(kss_count_volatile(ks), 0u);
    EXPECT_EQ(get_big(ks, 5, "a"), "short");
    std::string big(100000, 'z');
    set(ks, 5, "big", big);
    EXPECT_EQ(get_big(ks, 5, "big"), big);
    EXPECT_GE(kss_entry_mem(ks, 5, "big", 3), big.size());
}

TEST(Keyspace, OverwriteWithOwnValue)
{
    KS ks;
    const char *vals[] = {"1234", "hello", "an embedded string of forty-four bytes......",
                          "a raw string that is longer than forty-four bytes, surely"};
    for (const char *v : vals) {
        for (int64_t exp : {(int64_t)KSS_EXPIRE_NONE, T0 + 100, (int64_t)KSS_EXPIRE_KEEP, T0 + 200,
                            (int64_t)KSS_EXPIRE_NONE}) {
            set(ks, 4, "self", v);
            ASSERT_TRUE(kss_self_overwrite(ks, 4, "self", 4, exp));
            ASSERT_TRUE(kss_self_overwrite(ks, 4, "self", 4, exp));
            EXPECT_EQ(get_big(ks, 4, "self"), v);
            // the key itself may also be passed from the entry
            std::string wide(300, 'w');
            set(ks, 4, wide, v, exp == KSS_EXPIRE_KEEP ? T0 + 5 : exp);
            ASSERT_TRUE(kss_self_overwrite(ks, 4, wide.data(), wide.size(), exp));
            EXPECT_EQ(get_big(ks, 4, wide), v);
        }
    }
    EXPECT_EQ(kss_count(ks), 2u);
    EXPECT_EQ(kss_count_volatile(ks), 0u);
}

TEST(Keyspace, LongValueOverwrites)
{
    KS ks;
    std::string a(1000, 'a'), b(1000, 'b'), c(990, 'c'), small(100, 's');
    set(ks, 9, "k", a);
    size_t mem = kss_mem_bytes(ks);
    // about the same size: the same memory
    set(ks, 9, "k", b);
    EXPECT_EQ(get_big(ks, 9, "k"), b);
    EXPECT_EQ(kss_mem_bytes(ks), mem);
    set(ks, 9, "k", c);
    EXPECT_EQ(get_big(ks, 9, "k"), c);
    EXPECT_EQ(kss_mem_bytes(ks), mem);
    // a TTL arriving or leaving moves the value's descriptor in the entry
    set(ks, 9, "k", a, T0 + 100);
    EXPECT_EQ(get_big(ks, 9, "k"), a);
    EXPECT_EQ(kss_expire(ks, 9, "k", 1), T0 + 100);
    set(ks, 9, "k", b, KSS_EXPIRE_KEEP);
    EXPECT_EQ(get_big(ks, 9, "k"), b);
    EXPECT_EQ(kss_expire(ks, 9, "k", 1), T0 + 100);
    set(ks, 9, "k", c);
    EXPECT_EQ(get_big(ks, 9, "k"), c);
    EXPECT_EQ(kss_expire(ks, 9, "k", 1), -1);
    EXPECT_EQ(kss_count_volatile(ks), 0u);
    // much smaller: a new buffer, so the big one is not kept pinned
    set(ks, 9, "k", small);
    EXPECT_EQ(get_big(ks, 9, "k"), small);
    EXPECT_LT(kss_mem_bytes(ks), mem - 500);
    set(ks, 9, "k", a);
    EXPECT_EQ(get_big(ks, 9, "k"), a);
    EXPECT_EQ(kss_mem_bytes(ks), mem);
    kss_delete(ks, 9, "k", 1);
    EXPECT_EQ(kss_count(ks), 0u);
}

TEST(Keyspace, AppendGrowth)
{
    KS ks;
    set(ks, 9, "s", "12");
    EXPECT_EQ(enc(ks, 9, "s"), KSS_ENC_INT);
    std::string model = "12";
    for (int i = 0; i < 2000; i++) {
        std::string piece = "p" + std::to_string(i);
        model += piece;
        size_t n = kss_append(ks, 9, "s", 1, piece.data(), piece.size());
        ASSERT_EQ(n, model.size());
    }
    EXPECT_EQ(enc(ks, 9, "s"), KSS_ENC_RAW);
    EXPECT_EQ(get_big(ks, 9, "s"), model);
    // amortised: capacity has slack, at most ~2x the length
    size_t mem = kss_entry_mem(ks, 9, "s", 1);
    EXPECT_GE(mem, model.size());
    EXPECT_LE(mem, model.size() * 2 + 256);
    // resize pads with zeros and may truncate
    EXPECT_EQ(kss_resize(ks, 9, "s", 1, model.size() + 10), model.size() + 10);
    std::string got = get_big(ks, 9, "s");
    EXPECT_EQ(got.substr(0, model.size()), model);
    EXPECT_EQ(got.substr(model.size()), std::string(10, '\0'));
    EXPECT_EQ(kss_resize(ks, 9, "s", 1, 3), 3u);
    EXPECT_EQ(get_big(ks, 9, "s"), "12p");
    // append keeps a TTL; embstr with TTL converts correctly
    set(ks, 9, "t", "hello", T0 + 5000);
    EXPECT_EQ(kss_append(ks, 9, "t", 1, " world", 6), 11u);
    EXPECT_EQ(get_big(ks, 9, "t"), "hello world");
    EXPECT_EQ(kss_expire(ks, 9, "t", 1), T0 + 5000);
    EXPECT_EQ(kss_count_volatile(ks), 1u);
}

TEST(Keyspace, TtlSetPersistLazyExpiry)
{
    KS ks;
    // many keys so some TTL additions realloc and some fit in place
    for (int i = 0; i < 1000; i++) {
        std::string k = "key:" + std::to_string(i), v = std::string(i % 50, 'v');
        set(ks, 3, k, v);
        ASSERT_TRUE(kss_set_expire(ks, 3, k.data(), k.size(), T0 + 1000 + i));
    }
    EXPECT_EQ(kss_count_volatile(ks), 1000u);
    for (int i = 0; i < 1000; i++) {
        std::string k = "key:" + std::to_string(i), out;
        ASSERT_EQ(kss_expire(ks, 3, k.data(), k.size()), T0 + 1000 + i);
        ASSERT_TRUE(get(ks, 3, k, &out));
        ASSERT_EQ(out, std::string(i % 50, 'v'));
    }
    // persist half
    for (int i = 0; i < 1000; i += 2) {
        std::string k = "key:" + std::to_string(i);
        ASSERT_TRUE(kss_set_expire(ks, 3, k.data(), k.size(), -1));
        ASSERT_EQ(kss_expire(ks, 3, k.data(), k.size()), -1);
    }
    EXPECT_EQ(kss_count_volatile(ks), 500u);
    // update a deadline in place
    ASSERT_TRUE(kss_set_expire(ks, 3, "key:1", 5, T0 + 10));
    EXPECT_EQ(kss_expire(ks, 3, "key:1", 5), T0 + 10);
    // lazy expiry: exactly at the deadline the key still lives (Redis: now > when)
    EXPECT_TRUE(get(ks, 3, "key:1", nullptr, T0 + 10));
    EXPECT_TRUE(get(ks, 3, "key:1", nullptr, T0 + 11, KSS_NOEXPIRE));
    EXPECT_EQ(kss_count(ks), 1000u);
    EXPECT_FALSE(get(ks, 3, "key:1", nullptr, T0 + 11));
    EXPECT_EQ(kss_count(ks), 999u);
    EXPECT_EQ(kss_count_volatile(ks), 499u);
    uint64_t exp, hits, misses;
    kss_stats(ks, &exp, &hits, &misses);
    EXPECT_EQ(exp, 1u);
    // the persisted keys survive any time
    EXPECT_TRUE(get(ks, 3, "key:0", nullptr, T0 + 1000000));
    // SET without KEEP clears the TTL, with KEEP keeps it
    set(ks, 3, "key:3", "x");
    EXPECT_EQ(kss_expire(ks, 3, "key:3", 5), -1);
    set(ks, 3, "key:5", "y", KSS_EXPIRE_KEEP);
    EXPECT_EQ(kss_expire(ks, 3, "key:5", 5), T0 + 1005);
    // scan skips logically expired keys without deleting
    std::vector<std::string> keys;
    uint64_t c = 0;
    do {
        c = kss_scan_slot(ks, 3, c, 100, T0 + 1500, collect, &keys);
    } while (c);
    size_t live = 0;
    for (int i = 0; i < 1000; i++)
        if (i != 1 && (i % 2 == 0 || i == 3 || 1000 + i >= 1500))
            live++;
    EXPECT_EQ(keys.size(), live);
    EXPECT_EQ(kss_count(ks), 999u);
}

TEST(Keyspace, ActiveExpiry)
{
    KS ks;
    for (int i = 0; i < 10000; i++) {
        std::string k = "e" + std::to_string(i);
        set(ks, i % 100, k, "v", i < 8000 ? T0 + 100 : T0 + 100000);
    }
    for (int i = 0; i < 1000; i++)
        set(ks, i % 100, "p" + std::to_string(i), "v");
    EXPECT_EQ(kss_count_volatile(ks), 10000u);
    EXPECT_EQ(kss_active_expire(ks, T0, 1000), 0u); // nothing expired yet
    // bounded by budget
    uint64_t n = kss_active_expire(ks, T0 + 200, 100);
    EXPECT_GT(n, 0u);
    EXPECT_LE(n, 100u);
    // repeat until it stops finding much: at most a quarter stay expired
    uint64_t total = n;
    for (int round = 0; round < 10000 && total < 8000; round++)
        total += kss_active_expire(ks, T0 + 200, 200);
    EXPECT_EQ(total, 8000u);
    EXPECT_EQ(kss_count(ks), 3000u);
    EXPECT_EQ(kss_count_volatile(ks), 2000u);
    uint64_t exp, hits, misses;
    kss_stats(ks, &exp, &hits, &misses);
    EXPECT_EQ(exp, 8000u);
    EXPECT_EQ(kss_active_expire(ks, T0 + 200, 1000), 0u);
}

TEST(Keyspace, SlotCountsIterationFlush)
{
    KS ks;
    for (int i = 0; i < 3000; i++)
        set(ks, i % 3 == 0 ? 100 : 16383, "k" + std::to_string(i), "v", i % 2 ? T0 + 999 : -1);
    EXPECT_EQ(kss_count_slot(ks, 100), 1000u);
    EXPECT_EQ(kss_count_slot(ks, 16383), 2000u);
    EXPECT_EQ(kss_count_slot(ks, 0), 0u);
    std::vector<std::string> keys;
    EXPECT_EQ(kss_slot_keys(ks, 100, 10, collect, &keys), 10u);
    keys.clear();
    EXPECT_EQ(kss_slot_keys(ks, 100, 5000, collect, &keys), 1000u);
    std::set<std::string> uniq(keys.begin(), keys.end());
    EXPECT_EQ(uniq.size(), 1000u);
    for (auto &k : uniq)
        EXPECT_EQ(std::stoi(k.substr(1)) % 3, 0);
    EXPECT_EQ(kss_slot_keys(ks, 7, 10, collect, &keys), 0u);

    size_t base_vol = kss_count_volatile(ks);
    EXPECT_EQ(kss_flush_slot(ks, 100), 1000u);
    EXPECT_EQ(kss_flush_slot(ks, 100), 0u);
    EXPECT_EQ(kss_count_slot(ks, 100), 0u);
    EXPECT_EQ(kss_count(ks), 2000u);
    EXPECT_EQ(kss_count_volatile(ks), base_vol - 500);
    EXPECT_FALSE(get(ks, 100, "k0", nullptr));
    EXPECT_TRUE(get(ks, 16383, "k1", nullptr));
    // the keyspace is usable after flushing and after a full flush
    set(ks, 100, "again", "1");
    EXPECT_EQ(kss_count_slot(ks, 100), 1u);
    kss_flush(ks);
    EXPECT_EQ(kss_count(ks), 0u);
    EXPECT_EQ(kss_count_volatile(ks), 0u);
    EXPECT_EQ(kss_mem_bytes(ks), 0u);
    set(ks, 1, "x", "1", T0 + 5);
    EXPECT_EQ(kss_count(ks), 1u);
    EXPECT_EQ(kss_count_volatile(ks), 1u);
}

// Scan a slot while keys are added (grow) or removed (shrink) between
// calls: every key present for the whole scan must come back.
static void
scan_with_churn(bool grow)
{
    KS ks;
    const uint16_t slot = 777;
    std::vector<std::string> stable;
    int base = grow ? 200 : 5000;
    for (int i = 0; i < base; i++) {
        std::string k = "s" + std::to_string(i);
        set(ks, slot, k, "v");
        if (grow || i % 25 == 0)
            stable.push_back(k);
    }
    kss_cron(ks, 1u << 30); // settle any rehash
    uint64_t used, b0, b1;
    ASSERT_TRUE(kss_table(ks, slot, &used, &b0, &b1));
    uint64_t start_buckets = b0;
    std::vector<std::string> seen;
    uint64_t c = 0;
    int step = 0, extra = 0;
    bool saw_rehash = false;
    do {
        c = kss_scan_slot(ks, slot, c, 7, T0, collect, &seen);
        step++;
        if (grow) {
            for (int j = 0; j < 40; j++)
                set(ks, slot, "g" + std::to_string(extra++), "v");
        } else if (step % 2 == 0) {
            for (int j = 0; j < 400; j++) {
                int i = (step * 400 + j) % base;
                if (i % 25 != 0) {
                    std::string k = "s" + std::to_string(i);
                    kss_delete(ks, slot, k.data(), k.size());
                }
            }
            kss_cron(ks, 3); // shrink incrementally, a few buckets a time
        }
        kss_table(ks, slot, &used, &b0, &b1);
        saw_rehash |= b1 != 0;
    } while (c != 0 && step < 100000);
    ASSERT_EQ(c, 0u);
    kss_cron(ks, 1u << 30);
    kss_table(ks, slot, &used, &b0, &b1);
    EXPECT_TRUE(saw_rehash);
    if (grow)
        EXPECT_GT(b0, start_buckets);
    else
        EXPECT_LT(b0, start_buckets);
    std::set<std::string> got(seen.begin(), seen.end());
    for (auto &k : stable)
        ASSERT_TRUE(got.count(k)) << k;
}

TEST(Keyspace, ScanCompleteAcrossGrow)
{
    scan_with_churn(true);
}

TEST(Keyspace, ScanCompleteAcrossShrink)
{
    scan_with_churn(false);
}

TEST(Keyspace, ScanNoDuplicatesWithoutResize)
{
    KS ks;
    for (int i = 0; i < 5000; i++)
        set(ks, 42, "k" + std::to_string(i), "v");
    kss_cron(ks, 1u << 30);
    std::vector<std::string> seen;
    uint64_t c = 0;
    do {
        c = kss_scan_slot(ks, 42, c, 10, T0, collect, &seen);
    } while (c);
    std::set<std::string> got(seen.begin(), seen.end());
    EXPECT_EQ(seen.size(), 5000u);
    EXPECT_EQ(got.size(), 5000u);
    EXPECT_EQ(kss_scan_slot(ks, 43, 0, 10, T0, collect, &seen), 0u);
}

TEST(Keyspace, RandomKey)
{
    KS ks;
    char buf[64];
    size_t n;
    uint16_t slot;
    EXPECT_FALSE(kss_random(ks, T0, buf, sizeof(buf), &n, &slot));
    std::set<std::string> all;
    for (int i = 0; i < 500; i++) {
        std::string k = "r" + std::to_string(i);
        set(ks, (uint16_t)(i * 31 % 16384), k, "v");
        all.insert(k);
    }
    std::set<std::string> seen;
    for (int i = 0; i < 20000; i++) {
        ASSERT_TRUE(kss_random(ks, T0, buf, sizeof(buf), &n, &slot));
        std::string k(buf, n);
        ASSERT_TRUE(all.count(k));
        ASSERT_EQ(slot, (uint16_t)(std::stoi(k.substr(1)) * 31 % 16384));
        seen.insert(k);
    }
    EXPECT_GT(seen.size(), 450u); // roughly uniform
    // expired keys are skipped / lazily deleted
    kss_flush(ks);
    for (int i = 0; i < 50; i++)
        set(ks, 1, "x" + std::to_string(i), "v", T0);
    set(ks, 2, "live", "v");
    for (int i = 0; i < 100; i++) {
        ASSERT_TRUE(kss_random(ks, T0 + 1, buf, sizeof(buf), &n, &slot));
        ASSERT_EQ(std::string(buf, n), "live");
    }
    EXPECT_LT(kss_count(ks), 51u);
}

TEST(Keyspace, MemAccountingBaseline)
{
    KS ks;
    size_t base = kss_mem_bytes(ks);
    std::mt19937_64 rng(7);
    std::vector<std::pair<uint16_t, std::string>> keys;
    for (int i = 0; i < 50000; i++) {
        std::string k = rand_key(rng);
        uint16_t slot = rng() % 2000;
        std::string v(rng() % 200, 'x');
        set(ks, slot, k, v, i % 3 == 0 ? T0 + 1000 : KSS_EXPIRE_NONE);
        if (i % 5 == 0)
            kss_append(ks, slot, k.data(), k.size(), "tail", 4);
        if (i % 7 == 0)
            kss_set_expire(ks, slot, k.data(), k.size(), i % 2 ? -1 : T0 + 7);
        keys.push_back({slot, k});
    }
    size_t full = kss_mem_bytes(ks);
    EXPECT_GT(full, base + 50000 * 24);
    size_t sum = 0;
    for (auto &p : keys)
        sum += kss_entry_mem(ks, p.first, p.second.data(), p.second.size());
    EXPECT_LE(sum, full);
    for (auto &p : keys)
        kss_delete(ks, p.first, p.second.data(), p.second.size());
    EXPECT_EQ(kss_count(ks), 0u);
    EXPECT_EQ(kss_mem_bytes(ks), base);
}

TEST(Keyspace, ValueDupRoundTrip)
{
    KS a, b;
    std::string big(300, 'q');
    set(a, 10, "int", "-77", T0 + 50);
    set(a, 10, "emb", "hello");
    set(a, 10, "raw", big);
    ASSERT_TRUE(kss_copy(a, 10, "int", 3, b, 20, "int2", 4, KSS_EXPIRE_NONE));
    ASSERT_TRUE(kss_copy(a, 10, "emb", 3, b, 20, "emb2", 4, T0 + 9));
    ASSERT_TRUE(kss_copy(a, 10, "raw", 3, b, 21, "raw2", 4, KSS_EXPIRE_NONE));
    ASSERT_TRUE(kss_copy(a, 10, "emb", 3, a, 10, "raw", 3, KSS_EXPIRE_NONE)); // overwrite
    EXPECT_FALSE(kss_copy(a, 10, "missing", 7, b, 20, "x", 1, KSS_EXPIRE_NONE));
    long long v;
    ASSERT_TRUE(kss_get_int(b, 20, "int2", 4, &v));
    EXPECT_EQ(v, -77);
    EXPECT_EQ(get_big(b, 20, "emb2"), "hello");
    EXPECT_EQ(enc(b, 20, "emb2"), KSS_ENC_EMBSTR);
    EXPECT_EQ(kss_expire(b, 20, "emb2", 4), T0 + 9);
    EXPECT_EQ(get_big(b, 21, "raw2"), big);
    EXPECT_EQ(enc(b, 21, "raw2"), KSS_ENC_RAW);
    EXPECT_EQ(get_big(a, 10, "raw"), "hello");
    EXPECT_EQ(kss_count(b), 3u);
}

// RENAME and COPY (kv_value_dup + ks_set_value) keep a string's encoding,
// as Redis does (RENAME moves the object, COPY's dupStringObject keeps
// it): an APPENDed "12" stays raw and INCRBYFLOAT's "3" stays embstr,
// although both read as integers.
TEST(Keyspace, CopyKeepsStringEncoding)
{
    KS a, b;
    kss_set_int(a, 10, "n", 1, 1, KSS_EXPIRE_NONE);
    ASSERT_EQ(kss_append(a, 10, "n", 1, "2", 1), 2u);
    ASSERT_EQ(enc(a, 10, "n"), KSS_ENC_RAW);
    kss_set_str_noint(a, 10, "f", 1, "3", 1, KSS_EXPIRE_NONE);
    ASSERT_EQ(enc(a, 10, "f"), KSS_ENC_EMBSTR);
    set(a, 10, "i", "42");
    ASSERT_TRUE(kss_copy(a, 10, "n", 1, b, 20, "n2", 2, KSS_EXPIRE_NONE));
    ASSERT_TRUE(kss_copy(a, 10, "f", 1, b, 20, "f2", 2, T0 + 5));
    ASSERT_TRUE(kss_copy(a, 10, "i", 1, b, 20, "i2", 2, KSS_EXPIRE_NONE));
    ASSERT_TRUE(kss_copy(a, 10, "n", 1, a, 10, "f", 1, KSS_EXPIRE_NONE)); // over an existing key
    EXPECT_EQ(enc(b, 20, "n2"), KSS_ENC_RAW);
    EXPECT_EQ(get_big(b, 20, "n2"), "12");
    EXPECT_EQ(enc(b, 20, "f2"), KSS_ENC_EMBSTR);
    EXPECT_EQ(get_big(b, 20, "f2"), "3");
    EXPECT_EQ(kss_expire(b, 20, "f2", 2), T0 + 5);
    EXPECT_EQ(enc(b, 20, "i2"), KSS_ENC_INT);
    EXPECT_EQ(enc(a, 10, "f"), KSS_ENC_RAW);
    EXPECT_EQ(get_big(a, 10, "f"), "12");
    // the raw copy is a real buffer: appending to it works
    EXPECT_EQ(kss_append(b, 20, "n2", 2, "34", 2), 4u);
    EXPECT_EQ(get_big(b, 20, "n2"), "1234");
    EXPECT_EQ(get_big(a, 10, "n"), "12");
}

TEST(Keyspace, StatsIdleFreq)
{
    KS ks;
    set(ks, 0, "k", "v");
    kss_note_hit(ks, true);
    kss_note_hit(ks, true);
    kss_note_hit(ks, false);
    uint64_t exp, hits, misses;
    kss_stats(ks, &exp, &hits, &misses);
    EXPECT_EQ(hits, 2u);
    EXPECT_EQ(misses, 1u);
    kss_reset_stats(ks);
    kss_stats(ks, &exp, &hits, &misses);
    EXPECT_EQ(hits + misses + exp, 0u);

    EXPECT_EQ(kss_idle(ks, 0, "k", 1, T0 + 10000), 10u);
    EXPECT_TRUE(get(ks, 0, "k", nullptr, T0 + 20000));
    EXPECT_EQ(kss_idle(ks, 0, "k", 1, T0 + 25000), 5u);
    // NOTOUCH leaves the clock alone
    EXPECT_TRUE(get(ks, 0, "k", nullptr, T0 + 40000, KSS_NOTOUCH));
    EXPECT_EQ(kss_idle(ks, 0, "k", 1, T0 + 40000), 20u);
    int f0 = kss_freq(ks, 0, "k", 1);
    EXPECT_GE(f0, 5); // first touches increment with probability 1, as in Redis
    EXPECT_LE(f0, 7);
    for (int i = 0; i < 5000; i++)
        get(ks, 0, "k", nullptr, T0 + 40000);
    int f1 = kss_freq(ks, 0, "k", 1);
    EXPECT_GT(f1, f0);
    EXPECT_LE(f1, 255);
    // idle minutes decay the counter
    get(ks, 0, "k", nullptr, T0 + 40000 + 3600 * 1000);
    EXPECT_LT(kss_freq(ks, 0, "k", 1), f1);
}

TEST(Keyspace, CronShrinksAndDeleteEntry)
{
    KS ks;
    for (int i = 0; i < 4096; i++)
        set(ks, 11, "c" + std::to_string(i), "v");
    kss_cron(ks, 1u << 30);
    uint64_t used, b0, b1;
    kss_table(ks, 11, &used, &b0, &b1);
    EXPECT_EQ(used, 4096u);
    EXPECT_GE(b0, 4096u);
    for (int i = 0; i < 4090; i++) {
        std::string k = "c" + std::to_string(i);
        ASSERT_TRUE(kss_delete_entry(ks, 11, k.data(), k.size()));
    }
    for (int i = 0; i < 1000; i++)
        kss_cron(ks, 16);
    kss_table(ks, 11, &used, &b0, &b1);
    EXPECT_EQ(used, 6u);
    EXPECT_LE(b0, 8u);
    EXPECT_EQ(b1, 0u);
    for (int i = 4090; i < 4096; i++)
        EXPECT_TRUE(get(ks, 11, "c" + std::to_string(i), nullptr));
    for (int i = 4090; i < 4096; i++)
        set(ks, 11, "c" + std::to_string(i), "w");
    EXPECT_FALSE(kss_table(ks, 12, &used, &b0, &b1));
}

/* The hash hint (keyspace.h): a lookup of exactly the hinted view takes
 * the hint's hash; any other view of the same bytes hashes them. A hint
 * with a wrong hash makes the hinted view miss, which shows it was used. */
TEST(Keyspace, HashHintIsTakenOnlyForItsView)
{
    KS ks;
    set(ks, 7, "hinted", "v");
    std::string view = "hinted", other = "hinted";
    char buf[16];
    size_t n = 0;
    kss_set_hint(view.data(), view.size(), kss_key_hash("hinted", 6));
    EXPECT_TRUE(kss_get(ks, 7, view.data(), view.size(), T0, 0, buf, sizeof(buf), &n));
    kss_set_hint(view.data(), view.size(), kss_key_hash("hinted", 6) ^ 1);
    EXPECT_FALSE(kss_get(ks, 7, view.data(), view.size(), T0, 0, buf, sizeof(buf), &n));
    EXPECT_TRUE(kss_get(ks, 7, other.data(), other.size(), T0, 0, buf, sizeof(buf), &n));
    EXPECT_TRUE(kss_get(ks, 7, view.data(), 5, T0, 0, buf, sizeof(buf), &n) == false); /* "hinte": absent */
    kss_clear_hint();
    EXPECT_TRUE(kss_get(ks, 7, view.data(), view.size(), T0, 0, buf, sizeof(buf), &n));
    /* A write through the hint lands where a plain lookup finds it. */
    std::string wkey = "written";
    kss_set_hint(wkey.data(), wkey.size(), kss_key_hash("written", 7));
    kss_set_str(ks, 7, wkey.data(), wkey.size(), "x", 1, KSS_EXPIRE_NONE);
    kss_clear_hint();
    EXPECT_TRUE(get(ks, 7, "written", nullptr));
}
