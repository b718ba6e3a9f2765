// Unit tests for the RDB file layer (core/rdb.h, core/crc64.h): CRC-64,
// the writer's bytes, round trips of every kind of value through the
// streaming loader in every chunking, and the loader's refusals
// (corruption, truncation, versions, types and opcodes it does not read).
// Interoperation with a real redis-server is in test_rdb_interop.cpp.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/shim/rdb_shim.h"

namespace {

using Bytes = std::vector<uint8_t>;

constexpr int kDone = 1, kMore = 0, kError = -1;

Bytes
bytes(const std::string &s)
{
    return Bytes(s.begin(), s.end());
}

// A hand-built file: header, body, then EOF and a correct checksum.
Bytes
file_of(const std::string &body, int version = 10)
{
    Bytes f(9 + body.size() + 9);
    size_t n = rdbx_header(f.data(), version);
    memcpy(f.data() + n, body.data(), body.size());
    n += body.size();
    n += rdbx_eof(f.data(), n);
    f.resize(n);
    return f;
}

rdbx_result
load(rdbx_ks_t *dst, const Bytes &f, size_t chunk = 0, uint32_t seed = 0, uint64_t abort_after = 0)
{
    rdbx_result r;
    rdbx_load(dst, f.data(), f.size(), chunk, seed, abort_after, &r);
    return r;
}

std::string
hexs(const Bytes &b, size_t from, size_t to)
{
    static const char *d = "0123456789abcdef";
    std::string s;
    for (size_t i = from; i < to && i < b.size(); i++)
        s += d[b[i] >> 4], s += d[b[i] & 15];
    return s;
}

class Rdb : public ::testing::Test {
  protected:
    void SetUp() override { rdbx_setup(); }
};

// ---- CRC-64 ----

TEST(Crc64, CheckValueAndChunking)
{
    EXPECT_EQ(rdbx_crc64(0, "123456789", 9), 0xe9c6d914c4b8d9caULL);
    EXPECT_EQ(rdbx_crc64(0, "", 0), 0u);
    // A DUMP payload of "hello" from redis-server 7.0.15 (spec/rdb.md §10):
    // type, value and version bytes, then this CRC stored little endian.
    const uint8_t dump[] = {0x00, 0x05, 'h', 'e', 'l', 'l', 'o', 0x0a, 0x00};
    EXPECT_EQ(rdbx_crc64(0, dump, sizeof(dump)), 0x0a20346576df7263ULL);
    // The eight-byte path equals the byte-at-a-time path at every length
    // and alignment.
    std::string data;
    for (int i = 0; i < 300; i++)
        data += static_cast<char>(i * 37 + 11);
    for (size_t len = 0; len <= data.size(); len += 7) {
        uint64_t one = 0;
        for (size_t i = 0; i < len; i++)
            one = rdbx_crc64(one, data.data() + i, 1);
        ASSERT_EQ(rdbx_crc64(0, data.data(), len), one) << len;
        uint64_t split = rdbx_crc64(rdbx_crc64(0, data.data(), len / 3), data.data() + len / 3, len - len / 3);
        ASSERT_EQ(split, one) << len;
    }
}

// ---- Writer ----

TEST_F(Rdb, WriterBytes)
{
    rdbx_ks_t *ks = rdbx_ks_create();
    rdbx_set_str(ks, "k", 1, "v", 1, -1);
    uint8_t *out = nullptr;
    size_t n = rdbx_write(ks, 10, &out);
    Bytes f(out, out + n);
    free(out);
    ASSERT_GT(n, 30u);
    EXPECT_EQ(std::string(f.begin(), f.begin() + 9), "REDIS0010");
    // AUX redis-ver first, as Redis writes it.
    EXPECT_EQ(hexs(f, 9, 27), "fa09" + hexs(bytes("redis-ver"), 0, 9) + "06" + hexs(bytes("7.0.15"), 0, 6));
    // redis-bits as an int8-encoded string.
    EXPECT_NE(hexs(f, 0, n).find("fa0a" + hexs(bytes("redis-bits"), 0, 10) + "c040"), std::string::npos);
    // SELECTDB 0, RESIZEDB 1 0, the key, EOF, then the CRC of everything
    // before the checksum (0xFF included), little endian.
    EXPECT_EQ(hexs(f, n - 19, n - 8), "fe00fb010000016b0176ff");
    uint64_t crc = rdbx_crc64(0, f.data(), n - 8), stored = 0;
    for (int i = 0; i < 8; i++)
        stored |= uint64_t(f[n - 8 + i]) << (8 * i);
    EXPECT_EQ(stored, crc);

    // A TTL: EXPIRETIME_MS and 8 bytes little endian before the type byte.
    rdbx_set_str(ks, "k", 1, "12", 2, 0x01A2065F2603LL);
    n = rdbx_write(ks, 10, &out);
    f.assign(out, out + n);
    free(out);
    EXPECT_EQ(hexs(f, n - 28, n - 8), "fe00fb0101fc03265f06a2010000" "00016bc00cff");
    rdbx_ks_destroy(ks);
}

// The 61-byte file of spec/rdb.md §11, checksum from a real 7.0.15.
TEST_F(Rdb, LoadsSpecMinimalFile)
{
    const char *hex = "524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469732d62697473"
                      "023634fe00fb010000016b0176ffe1942c08dfcb3a00";
    Bytes f;
    for (const char *p = hex; p[0] && p[1]; p += 2)
        f.push_back(static_cast<uint8_t>(std::stoi(std::string(p, 2), nullptr, 16)));
    ASSERT_EQ(f.size(), 61u);
    rdbx_ks_t *ks = rdbx_ks_create();
    rdbx_result r = load(ks, f, 1);
    EXPECT_EQ(r.status, kDone) << r.err;
    EXPECT_EQ(r.version, 10);
    EXPECT_EQ(r.aux, 2);
    EXPECT_STREQ(r.redis_ver, "7.0.15");
    EXPECT_EQ(r.selects, 1);
    EXPECT_EQ(r.resize_keys, 1u);
    char v[8];
    size_t vl = 0;
    ASSERT_TRUE(rdbx_get_str(ks, "k", 1, v, sizeof(v), &vl));
    EXPECT_EQ(std::string(v, vl), "v");
    rdbx_ks_destroy(ks);
}

// ---- Round trips ----

struct Fixture {
    rdbx_ks_t *ks;
    std::vector<std::string> keys;
};

void
add_str(Fixture &fx, const std::string &k, const std::string &v, int64_t ttl = -1)
{
    rdbx_set_str(fx.ks, k.data(), k.size(), v.data(), v.size(), ttl);
    fx.keys.push_back(k);
}

// Every kind of value Tessera has, in both encodings, some with a TTL.
Fixture
every_kind()
{
    Fixture fx{rdbx_ks_create(), {}};
    add_str(fx, "int", "12345");
    add_str(fx, "negint", "-7");
    add_str(fx, "bigint", "12345678901");
    add_str(fx, "notcanon", "007");
    add_str(fx, "empty", "");
    add_str(fx, "short", "hello");
    add_str(fx, std::string("bin\0key", 7), std::string("\0\xff\x01", 3));
    add_str(fx, "ttl:str", "expiring", 4102444800000LL);
    add_str(fx, "ttl:past", "gone", 1000);
    std::string big;
    srand(7);
    for (int i = 0; i < 25000; i++)
        big += static_cast<char>(rand() % 256);
    add_str(fx, "long", big);
    auto hset = [&](const std::string &k, int n, int vlen, int64_t ttl) {
        for (int i = 0; i < n; i++) {
            std::string f = "f" + std::to_string(i), v = std::string(vlen, 'a' + i % 26) + std::to_string(i);
            rdbx_hset(fx.ks, k.data(), k.size(), f.data(), f.size(), v.data(), v.size(), ttl);
        }
        fx.keys.push_back(k);
    };
    hset("h:small", 10, 3, -1);
    hset("h:big", 600, 5, -1);
    hset("h:longval", 3, 100, -1);
    hset("ttl:h", 5, 2, 4102444800123LL);
    auto sadd = [&](const std::string &k, const std::vector<std::string> &ms, int64_t ttl) {
        for (auto &m : ms)
            rdbx_sadd(fx.ks, k.data(), k.size(), m.data(), m.size(), ttl);
        fx.keys.push_back(k);
    };
    sadd("s:intset", {"1", "-3", "70000", "1099511627776", "42"}, -1);
    std::vector<std::string> many, words;
    for (int i = 0; i < 600; i++)
        many.push_back(std::to_string(i * 3 - 100));
    for (int i = 0; i < 2000; i++)
        words.push_back("member:" + std::to_string(i));
    sadd("s:bigints", many, -1);
    sadd("s:words", words, -1);
    sadd("ttl:s", {"x", "y"}, 4102444800999LL);
    return fx;
}

void
expect_same(const Fixture &fx, rdbx_ks_t *got, const std::string &how)
{
    ASSERT_EQ(rdbx_count(got), rdbx_count(fx.ks)) << how;
    char a[41], b[41];
    rdbx_digest(fx.ks, a);
    rdbx_digest(got, b);
    EXPECT_STREQ(a, b) << how;
    for (auto &k : fx.keys) {
        ASSERT_TRUE(rdbx_digest_value(fx.ks, k.data(), k.size(), a));
        ASSERT_TRUE(rdbx_digest_value(got, k.data(), k.size(), b)) << how << " " << k;
        EXPECT_STREQ(a, b) << how << " " << k;
        EXPECT_STREQ(rdbx_type(got, k.data(), k.size()), rdbx_type(fx.ks, k.data(), k.size())) << k;
        EXPECT_STREQ(rdbx_encoding(got, k.data(), k.size()), rdbx_encoding(fx.ks, k.data(), k.size())) << k;
        EXPECT_EQ(rdbx_expire(got, k.data(), k.size()), rdbx_expire(fx.ks, k.data(), k.size())) << k;
    }
}

Bytes
write_all(rdbx_ks_t *ks, int version = 10)
{
    uint8_t *out = nullptr;
    size_t n = rdbx_write(ks, version, &out);
    Bytes f(out, out + n);
    free(out);
    return f;
}

TEST_F(Rdb, RoundTripEveryKindEveryChunking)
{
    Fixture fx = every_kind();
    // Both encodings of each type are really there.
    EXPECT_STREQ(rdbx_encoding(fx.ks, "h:small", 7), "listpack");
    EXPECT_STREQ(rdbx_encoding(fx.ks, "h:big", 5), "hashtable");
    EXPECT_STREQ(rdbx_encoding(fx.ks, "h:longval", 9), "hashtable");
    EXPECT_STREQ(rdbx_encoding(fx.ks, "s:intset", 8), "intset");
    EXPECT_STREQ(rdbx_encoding(fx.ks, "s:bigints", 9), "hashtable");
    EXPECT_STREQ(rdbx_encoding(fx.ks, "int", 3), "int");
    EXPECT_STREQ(rdbx_encoding(fx.ks, "long", 4), "raw");
    Bytes f = write_all(fx.ks);
    struct Mode {
        size_t chunk;
        uint32_t seed;
    } modes[] = {{0, 0}, {1, 0}, {8, 0}, {4096, 0}, {7, 1}, {100, 2}, {3000, 3}, {70000, 4}};
    for (auto m : modes) {
        std::string how = "chunk " + std::to_string(m.chunk) + " seed " + std::to_string(m.seed);
        rdbx_ks_t *got = rdbx_ks_create();
        rdbx_result r = load(got, f, m.chunk, m.seed);
        ASSERT_EQ(r.status, kDone) << how << ": " << r.err;
        EXPECT_EQ(r.keys, fx.keys.size()) << how;
        EXPECT_EQ(r.used, f.size()) << how;
        EXPECT_EQ(r.resize_keys, fx.keys.size());
        EXPECT_EQ(r.resize_expires, 4u);
        EXPECT_EQ(r.stays_done, 1);
        expect_same(fx, got, how);
        rdbx_ks_destroy(got);
    }
    rdbx_ks_destroy(fx.ks);
}

TEST_F(Rdb, VersionElevenAndEmptyKeyspace)
{
    Fixture fx = every_kind();
    Bytes f = write_all(fx.ks, 11);
    rdbx_ks_t *got = rdbx_ks_create();
    rdbx_result r = load(got, f, 5, 9);
    ASSERT_EQ(r.status, kDone) << r.err;
    EXPECT_EQ(r.version, 11);
    expect_same(fx, got, "v11");
    rdbx_ks_destroy(got);
    rdbx_ks_destroy(fx.ks);

    rdbx_ks_t *empty = rdbx_ks_create();
    f = write_all(empty);
    r = load(nullptr, f, 1);
    EXPECT_EQ(r.status, kDone) << r.err;
    EXPECT_EQ(r.keys, 0u);
    EXPECT_EQ(r.selects, 0);
    rdbx_ks_destroy(empty);
}

// Bytes after the checksum are not the file's: the loader takes exactly
// the file, whatever the chunk holding its end carries after it.
TEST_F(Rdb, StopsAtTheChecksum)
{
    Fixture fx = every_kind();
    Bytes f = write_all(fx.ks);
    Bytes more = f;
    for (char c : std::string("+FULLRESYNC trailing bytes"))
        more.push_back(static_cast<uint8_t>(c));
    for (size_t chunk : {size_t(0), size_t(1), size_t(13), size_t(5000)}) {
        rdbx_result r = load(nullptr, more, chunk, chunk == 13 ? 77 : 0);
        ASSERT_EQ(r.status, kDone) << r.err;
        EXPECT_EQ(r.used, f.size()) << chunk;
    }
    rdbx_ks_destroy(fx.ks);
}

// ---- Refusals ----

TEST_F(Rdb, CorruptionIsACheckSumErrorNeverDone)
{
    Fixture fx{rdbx_ks_create(), {}};
    add_str(fx, "a", "some value long enough to be worth corrupting");
    rdbx_hset(fx.ks, "h", 1, "f", 1, "v", 1, -1);
    rdbx_sadd(fx.ks, "s", 1, "1", 1, 5000);
    Bytes f = write_all(fx.ks);
    // A flipped bit inside the string value: everything parses, the CRC does not match.
    Bytes bad = f;
    std::string text(f.begin(), f.end());
    size_t at = text.find("worth corrupting");
    ASSERT_NE(at, std::string::npos);
    bad[at] ^= 0x20;
    rdbx_result r = load(nullptr, bad);
    ASSERT_EQ(r.status, kError);
    EXPECT_NE(std::string(r.err).find("checksum mismatch"), std::string::npos) << r.err;
    // Any single corrupted byte anywhere: an error, or (a length grew)
    // waiting for bytes that never come, but never a successful load.
    for (size_t i = 0; i < f.size(); i++) {
        for (uint8_t x : {uint8_t(0x01), uint8_t(0x80), uint8_t(0xFF)}) {
            Bytes c = f;
            c[i] ^= x;
            rdbx_ks_t *got = rdbx_ks_create();
            rdbx_result cr = load(got, c, 3, uint32_t(i + 1));
            ASSERT_NE(cr.status, kDone) << "byte " << i << " ^ " << int(x);
            rdbx_ks_destroy(got);
        }
    }
    // A stored checksum of zero means "not computed".
    Bytes zero = f;
    for (size_t i = f.size() - 8; i < f.size(); i++)
        zero[i] = 0;
    EXPECT_EQ(load(nullptr, zero).status, kDone);
    rdbx_ks_destroy(fx.ks);
}

TEST_F(Rdb, TruncationWantsMore)
{
    Fixture fx = every_kind();
    Bytes f = write_all(fx.ks);
    // Every prefix of the first 2000 bytes and a sample of the rest.
    for (size_t len = 0; len < f.size(); len += len < 2000 ? 1 : 997) {
        Bytes part(f.begin(), f.begin() + len);
        rdbx_result r = load(nullptr, part, len % 5 + 1, uint32_t(len));
        ASSERT_EQ(r.status, kMore) << len << ": " << r.err;
        EXPECT_EQ(r.used, len);
    }
    rdbx_ks_destroy(fx.ks);
}

// A big value arriving in small pieces is measured once, not re-parsed
// per piece: 8 MB in 64-byte chunks (131072 feeds) must stay linear.
TEST_F(Rdb, BigValueInSmallChunks)
{
    Fixture fx{rdbx_ks_create(), {}};
    add_str(fx, "huge", std::string(8 << 20, 'z'));
    for (int i = 0; i < 3000; i++) {
        std::string m = "w" + std::to_string(i);
        rdbx_sadd(fx.ks, "set", 3, m.data(), m.size(), -1);
    }
    fx.keys.push_back("set");
    Bytes f = write_all(fx.ks);
    rdbx_ks_t *got = rdbx_ks_create();
    rdbx_result r = load(got, f, 64);
    ASSERT_EQ(r.status, kDone) << r.err;
    expect_same(fx, got, "64-byte chunks");
    rdbx_ks_destroy(got);
    rdbx_ks_destroy(fx.ks);
}

TEST_F(Rdb, Versions)
{
    std::string body = std::string("\xfe\x00\xfb\x01\x00", 5) + std::string("\x00\x01k\x01v", 5);
    for (int v : {5, 9, 10, 11}) {
        rdbx_result r = load(nullptr, file_of(body, v), 1);
        EXPECT_EQ(r.status, kDone) << v << ": " << r.err;
        EXPECT_EQ(r.keys, 1u);
    }
    rdbx_result r = load(nullptr, file_of(body, 12));
    EXPECT_EQ(r.status, kError);
    EXPECT_STREQ(r.err, "Can't handle RDB format version 12");
    r = load(nullptr, file_of(body, 0));
    EXPECT_EQ(r.status, kError);
    // Before version 5 there is no checksum after EOF.
    for (const char *hdr : {"REDIS0001", "REDIS0004"}) {
        Bytes old = bytes(hdr + body + "\xff");
        r = load(nullptr, old, 1);
        EXPECT_EQ(r.status, kDone) << r.err;
        EXPECT_EQ(r.used, old.size());
        EXPECT_EQ(r.keys, 1u);
    }
    r = load(nullptr, bytes("RUBIS0010" + body));
    EXPECT_EQ(r.status, kError);
    EXPECT_NE(std::string(r.err).find("signature"), std::string::npos);
}

// Each body, between a header and a valid EOF, fails with a message
// containing msg.
struct BadCase {
    std::string body, msg;
};

void
expect_refused(const std::vector<BadCase> &cases, const std::string &prefix = "")
{
    for (auto &c : cases) {
        rdbx_result r = load(nullptr, file_of(prefix + c.body), 1);
        EXPECT_EQ(r.status, kError) << c.msg;
        EXPECT_NE(std::string(r.err).find(c.msg), std::string::npos) << r.err;
    }
}

TEST_F(Rdb, UnsupportedTypesAndOpcodes)
{
    expect_refused({
        {std::string("\x0e\x01k\x01\x01x", 6), "RDB value type 14 (list) is not supported by Tessera yet"},
        {std::string("\x12\x01k", 3), "RDB value type 18 (list) is not supported by Tessera yet"},
        {std::string("\x05\x01k", 3), "RDB value type 5 (zset) is not supported by Tessera yet"},
        {std::string("\x13\x01k", 3), "RDB value type 19 (stream) is not supported by Tessera yet"},
        {std::string("\x07\x01k", 3), "RDB value type 7 (module) is not supported by Tessera yet"},
        {std::string("\x08\x01k", 3), "unknown RDB value type or opcode 8"},
        {std::string("\x40", 1), "unknown RDB value type or opcode 64"},
        {std::string("\xf5\x04" "code", 6), "FUNCTION2"},
        {std::string("\xf7\x01", 2), "MODULE_AUX"},
        {std::string("\xf6", 1), "pre-GA"},
    }, std::string("\xfe\x00", 2));
}

TEST_F(Rdb, OpcodesAndExpiries)
{
    rdbx_ks_t *ks = rdbx_ks_create();
    std::string body = std::string("\xfa\x03xyz\xc1\x39\x30", 8)       // unknown AUX, int16 value
                       + std::string("\xfe\x00\xfb\x03\x02", 5)         // SELECTDB 0, RESIZEDB 3 2
                       + std::string("\xfd\x10\x27\x00\x00", 5)         // EXPIRETIME 10000 s
                       + std::string("\x00\x02s1\x01" "a", 6)              //   s1 = a
                       + std::string("\xf8\x05\xf9\x07", 4)             // IDLE 5, FREQ 7 (skipped)
                       + std::string("\x00\x02s2\xc2\x40\x42\x0f\x00", 9)   // s2 = 1000000 (int32)
                       + std::string("\xfc\x01\x02\x03\x04\x05\x06\x00\x00", 9) // EXPIRETIME_MS
                       + std::string("\x00\xc0\x07\x01z", 5);           //   key "7" (int8-encoded) = z
    rdbx_result r = load(ks, file_of(body), 1);
    ASSERT_EQ(r.status, kDone) << r.err;
    EXPECT_EQ(r.aux, 1);
    EXPECT_EQ(r.keys, 3u);
    EXPECT_EQ(rdbx_expire(ks, "s1", 2), 10000000);
    EXPECT_EQ(rdbx_expire(ks, "s2", 2), -1);
    EXPECT_EQ(rdbx_expire(ks, "7", 1), 0x060504030201LL);
    char v[16];
    size_t vl = 0;
    ASSERT_TRUE(rdbx_get_str(ks, "s2", 2, v, sizeof(v), &vl));
    EXPECT_EQ(std::string(v, vl), "1000000");
    rdbx_ks_destroy(ks);
}

TEST_F(Rdb, LzfStrings)
{
    // 100 x 'a' as redis-server stores it (spec/rdb.md §3), as key and value.
    std::string lzf = std::string("\xc3\x09\x40\x64\x01\x61\x61\xe0\x57\x00\x01\x61\x61", 13);
    rdbx_ks_t *ks = rdbx_ks_create();
    rdbx_result r = load(ks, file_of(std::string("\x00", 1) + lzf + lzf), 1);
    ASSERT_EQ(r.status, kDone) << r.err;
    std::string a100(100, 'a');
    char v[128];
    size_t vl = 0;
    ASSERT_TRUE(rdbx_get_str(ks, a100.data(), 100, v, sizeof(v), &vl));
    EXPECT_EQ(std::string(v, vl), a100);
    rdbx_ks_destroy(ks);
    // A compressed length far beyond what the compressed bytes can expand
    // to is refused before anything is allocated for it.
    r = load(nullptr, file_of(std::string("\x00\x01k\xc3\x02\x80\x40\x00\x00\x00\x01\x61", 12)));
    EXPECT_EQ(r.status, kError);
    EXPECT_NE(std::string(r.err).find("malformed"), std::string::npos) << r.err;
}

// Hashes from old Redis versions: a ziplist (type 13, Redis <= 6.2) and a
// zipmap (type 9, Redis <= 2.4), each {f: v}, become Tessera hashes.
TEST_F(Rdb, LegacyHashEncodings)
{
    std::string ziplist = std::string("\x11\x00\x00\x00\x0d\x00\x00\x00\x02\x00", 10) + // zlbytes zltail zllen
                          std::string("\x00\x01" "f" "\x03\x01" "v" "\xff", 7);
    std::string zipmap = std::string("\x01\x01" "f" "\x01\x00" "v" "\xff", 7);
    std::string body = std::string("\x0d\x02zl", 4) + char(ziplist.size()) + ziplist +
                       std::string("\x09\x02zm", 4) + char(zipmap.size()) + zipmap;
    rdbx_ks_t *ks = rdbx_ks_create();
    rdbx_result r = load(ks, file_of(body, 6), 1);
    ASSERT_EQ(r.status, kDone) << r.err;
    for (const char *k : {"zl", "zm"}) {
        char v[8];
        size_t vl = 0;
        ASSERT_TRUE(rdbx_hget(ks, k, 2, "f", 1, v, sizeof(v), &vl)) << k;
        EXPECT_EQ(std::string(v, vl), "v");
        EXPECT_EQ(rdbx_len(ks, k, 2), 1u);
        EXPECT_STREQ(rdbx_encoding(ks, k, 2), "listpack");
    }
    rdbx_ks_destroy(ks);
}

TEST_F(Rdb, HostileLengthsWaitWithoutAllocating)
{
    // A string claiming 2^40 bytes: the loader waits for them (it holds
    // only what arrived), and 2^60 is refused outright.
    rdbx_result r = load(nullptr, bytes("REDIS0010" + std::string("\x00\x01k\x81\x00\x00\x01\x00\x00\x00\x00\x00xy", 14)));
    EXPECT_EQ(r.status, kMore) << r.err;
    r = load(nullptr, bytes("REDIS0010" + std::string("\x00\x01k\x81\x10\x00\x00\x00\x00\x00\x00\x00", 12)));
    EXPECT_EQ(r.status, kError);
    // A set claiming 2^32 members with three present: waits.
    r = load(nullptr, bytes("REDIS0010" + std::string("\x02\x01s\x80\xff\xff\xff\xff\x01\x61\x01\x62\x01\x63", 14)), 1);
    EXPECT_EQ(r.status, kMore) << r.err;
}

TEST_F(Rdb, MalformedValuesAndAborts)
{
    expect_refused({
        // intset of width 3
        {std::string("\x0b\x01s\x0a\x03\x00\x00\x00\x01\x00\x00\x00\x01\x00", 14), "Intset integrity"},
        // plain set with a duplicate member
        {std::string("\x02\x01s\x02\x01x\x01x", 8), "Duplicate set members"},
        // listpack hash whose blob is not a listpack
        {std::string("\x10\x01h\x03" "abc", 7), "hash listpack integrity"},
        // a bad length byte (0x82) where a string starts
        {std::string("\x00\x01k\x82", 4), "bad length"},
    });
    // An empty collection is skipped, as Redis does.
    rdbx_result r = load(nullptr, file_of(std::string("\x02\x01s\x00\x00\x01k\x01v", 9)));
    EXPECT_EQ(r.status, kDone) << r.err;
    EXPECT_EQ(r.empty, 1u);
    EXPECT_EQ(r.keys, 1u);
    // A key callback refusing a key (here: a duplicate) aborts the load.
    rdbx_ks_t *ks = rdbx_ks_create();
    r = load(ks, file_of(std::string("\x00\x01k\x01v\x00\x01k\x01w", 10)));
    EXPECT_EQ(r.status, kError);
    EXPECT_NE(std::string(r.err).find("callback"), std::string::npos) << r.err;
    rdbx_ks_destroy(ks);
    // Objects handed to a callback that aborts are its own: no leak (ASan).
    Fixture fx = every_kind();
    ks = rdbx_ks_create();
    r = load(ks, write_all(fx.ks), 0, 0, 12);
    EXPECT_EQ(r.status, kError);
    EXPECT_EQ(r.keys, 12u);
    rdbx_ks_destroy(ks);
    rdbx_ks_destroy(fx.ks);
}

} // namespace
