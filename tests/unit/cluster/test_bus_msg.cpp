// test_bus_msg.cpp: the cluster bus codec (cluster/bus_msg.c) against the
// wire format of cluster-bus.md: exact byte offsets and verified captures,
// round trips of every type, framing, and rejection of each malformed case
// (decode must ignore it, never crash, never read past len).
#include "tests/shim/bus_shim.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

typedef std::vector<uint8_t> Bytes;

const char *kA = "1db3e8e9d3e7b4c3d74972e1a2bf39b40b7c8e36";
const char *kB = "163c9aac53adab7ecf1a5d2e5cbc3525f2d0c8b1";
const char *kC = "dadd523aa063dfba0cd2ce0aba85f8e946eb9727";
const char *kD = "0123456789abcdef0123456789abcdef01234567";

Bytes
Encode(const bus_out &o, size_t *ret = nullptr)
{
    Bytes dst(8u << 20);
    size_t r = 0;
    size_t n = bus_shim_encode_after(nullptr, 0, &o, dst.data(), dst.size(), &r);
    EXPECT_EQ(n, r);
    dst.resize(n);
    if (ret)
        *ret = r;
    return dst;
}

Bytes
Hex(const std::string &h)
{
    Bytes b;
    std::string digits;
    for (char c : h)
        if (c != ' ')
            digits += c;
    for (size_t i = 0; i + 1 < digits.size(); i += 2)
        b.push_back((uint8_t)std::stoul(digits.substr(i, 2), nullptr, 16));
    return b;
}

Bytes
Slice(const Bytes &b, size_t off, size_t n)
{
    return Bytes(b.begin() + off, b.begin() + off + n);
}

uint32_t
Get32(const Bytes &b, size_t off)
{
    return ((uint32_t)b[off] << 24) | ((uint32_t)b[off + 1] << 16) | ((uint32_t)b[off + 2] << 8) | b[off + 3];
}

uint16_t
Get16(const Bytes &b, size_t off)
{
    return (uint16_t)((b[off] << 8) | b[off + 1]);
}

void
Put32(Bytes &b, size_t off, uint32_t v)
{
    b[off] = (uint8_t)(v >> 24);
    b[off + 1] = (uint8_t)(v >> 16);
    b[off + 2] = (uint8_t)(v >> 8);
    b[off + 3] = (uint8_t)v;
}

void
Put16(Bytes &b, size_t off, uint16_t v)
{
    b[off] = (uint8_t)(v >> 8);
    b[off + 1] = (uint8_t)v;
}

// Resize a message and make its totlen field agree, so only the body
// validation can reject it.
void
Resize(Bytes &b, size_t n)
{
    b.resize(n, 0);
    Put32(b, 4, (uint32_t)n);
}

int
Decode(const Bytes &b, bus_msg *m, const char **why = nullptr)
{
    const char *w = nullptr;
    int rc = bus_msg_decode(b.data(), b.size(), m, &w);
    if (rc != 0) {
        EXPECT_TRUE(w != nullptr && w[0] != '\0') << "a rejection names its reason";
    }
    if (why)
        *why = w;
    return rc;
}

int
DecodeExact(const Bytes &b)
{
    bus_msg m;
    const char *why = nullptr;
    return bus_shim_decode_exact(b.data(), b.size(), &m, &why);
}

// A header with every field distinct and non-zero.
bus_out
BaseOut(uint16_t type)
{
    bus_out o;
    memset(&o, 0, sizeof(o));
    o.h.type = type;
    o.h.port = 30001;
    o.h.current_epoch = 0x0102030405060708ULL;
    o.h.config_epoch = 0x1112131415161718ULL;
    o.h.offset = 0x2122232425262728ULL;
    memcpy(o.h.sender, kA, BUS_NAMELEN);
    bus_slot_set(o.h.myslots, 0);
    bus_slot_set(o.h.myslots, 9);
    bus_slot_set(o.h.myslots, 16383);
    memcpy(o.h.slaveof, kB, BUS_NAMELEN);
    strcpy(o.h.myip, "10.0.0.1");
    o.h.pport = 6380;
    o.h.cport = 40001;
    o.h.flags = 18;
    o.h.state = 1;
    o.h.mflags[0] = BUS_MF_PAUSED;
    return o;
}

bus_gossip
Gossip(const char *id, const char *ip, uint16_t port, uint16_t flags)
{
    bus_gossip g;
    memset(&g, 0, sizeof(g));
    memcpy(g.nodename, id, BUS_NAMELEN);
    g.ping_sent = 0x11223344;
    g.pong_received = 0x6b0228e2;
    strcpy(g.ip, ip);
    g.port = port;
    g.cport = (uint16_t)(port + 10000);
    g.flags = flags;
    g.pport = 7;
    return g;
}

void
ExpectHdr(const bus_hdr &got, const bus_hdr &want, uint32_t totlen, uint16_t count, uint16_t exts)
{
    EXPECT_EQ(got.totlen, totlen);
    EXPECT_EQ(got.ver, 1);
    EXPECT_EQ(got.port, want.port);
    EXPECT_EQ(got.type, want.type);
    EXPECT_EQ(got.count, count);
    EXPECT_EQ(got.current_epoch, want.current_epoch);
    EXPECT_EQ(got.config_epoch, want.config_epoch);
    EXPECT_EQ(got.offset, want.offset);
    EXPECT_EQ(0, memcmp(got.sender, want.sender, BUS_NAMELEN));
    EXPECT_EQ(0, memcmp(got.myslots, want.myslots, BUS_SLOT_BYTES));
    EXPECT_EQ(0, memcmp(got.slaveof, want.slaveof, BUS_NAMELEN));
    EXPECT_STREQ(got.myip, want.myip);
    EXPECT_EQ(got.extensions, exts);
    EXPECT_EQ(got.pport, want.pport);
    EXPECT_EQ(got.cport, want.cport);
    EXPECT_EQ(got.flags, want.flags);
    EXPECT_EQ(got.state, want.state);
    EXPECT_EQ(got.mflags[1], want.mflags[1]);
    EXPECT_EQ(got.mflags[2], want.mflags[2]);
}

// A PING with three gossip entries and a hostname: the richest valid input.
struct Ping {
    bus_gossip g[3];
    bus_out o;
    Ping(uint16_t type = BUS_PING, const char *host = "node2.example")
    {
        g[0] = Gossip(kB, "127.0.0.1", 30002, 1);
        g[1] = Gossip(kC, "::1", 30003, 2 | 4);
        g[2] = Gossip(kD, "192.168.100.200", 30004, 8);
        o = BaseOut(type);
        o.gossip = g;
        o.ngossip = 3;
        o.hostname = host;
    }
};

/* ---- Framing ---- */

TEST(BusFrame, NeedsEightBytes)
{
    Bytes b = Encode(BaseOut(BUS_MFSTART));
    for (size_t n = 0; n < 8; n++) {
        uint32_t t = 12345;
        EXPECT_EQ(bus_frame_check(b.data(), n, &t), BUS_FRAME_MORE) << n;
        EXPECT_EQ(t, 12345u) << "totlen untouched before the preamble is complete";
    }
}

TEST(BusFrame, ReadyOnlyWhenWholeMessageIsThere)
{
    Ping p;
    Bytes b = Encode(p.o);
    for (size_t n = 8; n < b.size(); n += 97) {
        uint32_t t = 0;
        EXPECT_EQ(bus_frame_check(b.data(), n, &t), BUS_FRAME_MORE) << n;
        EXPECT_EQ(t, b.size()) << "totlen known as soon as 8 bytes are in";
    }
    uint32_t t = 0;
    EXPECT_EQ(bus_frame_check(b.data(), b.size() - 1, &t), BUS_FRAME_MORE);
    EXPECT_EQ(bus_frame_check(b.data(), b.size(), &t), BUS_FRAME_READY);
    EXPECT_EQ(t, b.size());
    // Two back-to-back messages: the first is framed on its own totlen.
    Bytes two = b;
    two.insert(two.end(), b.begin(), b.end());
    t = 0;
    EXPECT_EQ(bus_frame_check(two.data(), two.size(), &t), BUS_FRAME_READY);
    EXPECT_EQ(t, b.size());
}

TEST(BusFrame, BadSignatureAndLengths)
{
    Bytes b = Encode(BaseOut(BUS_MFSTART));
    uint32_t t = 0;
    for (int i = 0; i < 4; i++) {
        Bytes c = b;
        c[i] ^= 0x20;
        EXPECT_EQ(bus_frame_check(c.data(), c.size(), &t), BUS_FRAME_BAD) << i;
        EXPECT_EQ(bus_frame_check(c.data(), 8, &t), BUS_FRAME_BAD) << "judged on the preamble alone";
    }
    Bytes c = b;
    Put32(c, 4, BUS_HDR_LEN - 1);
    EXPECT_EQ(bus_frame_check(c.data(), c.size(), &t), BUS_FRAME_BAD);
    Put32(c, 4, 0);
    EXPECT_EQ(bus_frame_check(c.data(), c.size(), &t), BUS_FRAME_BAD);
    Put32(c, 4, BUS_MAX_MSG_LEN + 1);
    EXPECT_EQ(bus_frame_check(c.data(), 8, &t), BUS_FRAME_BAD);
    Put32(c, 4, 0xffffffffu);
    EXPECT_EQ(bus_frame_check(c.data(), 8, &t), BUS_FRAME_BAD);
    // Both bounds themselves are acceptable.
    Put32(c, 4, BUS_MAX_MSG_LEN);
    EXPECT_EQ(bus_frame_check(c.data(), 8, &t), BUS_FRAME_MORE);
    EXPECT_EQ(t, BUS_MAX_MSG_LEN);
    Put32(c, 4, BUS_HDR_LEN);
    EXPECT_EQ(bus_frame_check(c.data(), c.size(), &t), BUS_FRAME_READY);
    EXPECT_EQ(t, (uint32_t)BUS_HDR_LEN);
}

/* ---- Exact bytes ---- */

// cluster-bus.md §13: the PONG Debian's redis-server 7.0.15 sent.
TEST(BusEncode, VerifiedPongCapture)
{
    bus_gossip g[2] = { Gossip(kB, "127.0.0.1", 30032, 1), Gossip(kC, "127.0.0.1", 30033, 1) };
    g[0].ping_sent = 0;
    g[0].pport = 0;
    g[0].cport = 30132;
    bus_out o;
    memset(&o, 0, sizeof(o));
    o.h.type = BUS_PONG;
    o.h.port = 30031;
    o.h.current_epoch = 5;
    o.h.config_epoch = 5;
    o.h.offset = 75;
    memcpy(o.h.sender, kA, BUS_NAMELEN);
    o.h.cport = 30131;
    o.h.flags = 0x11;
    o.gossip = g;
    o.ngossip = 2;
    Bytes b = Encode(o);
    ASSERT_EQ(b.size(), 2464u);
    EXPECT_EQ(Slice(b, 0, 40), Hex("52436d62 000009a0 0001 754f 0001 0002 0000000000000005 "
                                   "0000000000000005 000000000000004b"));
    // Bytes 2214-2256: extensions 0, 30 zeros, pport 0, cport 75b3, flags
    // 0011, state 0; mflags[0] is 0x04 because we always advertise EXT_DATA.
    Bytes tail = Hex("0000" + std::string(60, '0') + "0000 75b3 0011 00 040000");
    EXPECT_EQ(Slice(b, 2214, 42), tail);
    // First gossip entry (§13).
    Bytes ge = Slice(b, 2256, 104);
    EXPECT_EQ(Slice(ge, 0, 40), Bytes(kB, kB + 40));
    EXPECT_EQ(Slice(ge, 40, 8), Hex("00000000 6b0228e2"));
    Bytes ip = Hex("3132372e302e302e31");
    ip.resize(46, 0);
    EXPECT_EQ(Slice(ge, 48, 46), ip);
    EXPECT_EQ(Slice(ge, 94, 10), Hex("7550 75b4 0001 0000 0000"));
    EXPECT_EQ(Get16(b, 2256 + 104 + 94), 30033);
}

TEST(BusEncode, EveryHeaderFieldAtItsOffset)
{
    bus_out o = BaseOut(BUS_AUTH_REQUEST);
    o.h.mflags[0] = BUS_MF_FORCEACK;
    o.h.mflags[1] = 0xaa;
    o.h.mflags[2] = 0x55;
    // Fields the encoder computes itself must be ignored from the caller.
    o.h.totlen = 99;
    o.h.ver = 7;
    o.h.count = 5;
    o.h.extensions = 3;
    Bytes b = Encode(o);
    ASSERT_EQ(b.size(), 2256u);
    EXPECT_EQ(Slice(b, 0, 4), Hex("52436d62"));
    EXPECT_EQ(Get32(b, 4), 2256u);
    EXPECT_EQ(Get16(b, 8), 1);
    EXPECT_EQ(Get16(b, 10), 30001);
    EXPECT_EQ(Get16(b, 12), BUS_AUTH_REQUEST);
    EXPECT_EQ(Get16(b, 14), 0);
    EXPECT_EQ(Slice(b, 16, 24), Hex("0102030405060708 1112131415161718 2122232425262728"));
    EXPECT_EQ(Slice(b, 40, 40), Bytes(kA, kA + 40));
    // Slot s is bit (s & 7) of byte s >> 3: 0 -> byte 0 bit 0, 9 -> byte 1
    // bit 1, 16383 -> byte 2047 bit 7.
    EXPECT_EQ(b[80], 0x01);
    EXPECT_EQ(b[81], 0x02);
    EXPECT_EQ(b[80 + 2047], 0x80);
    for (size_t i = 82; i < 80 + 2047; i++)
        ASSERT_EQ(b[i], 0) << i;
    EXPECT_EQ(Slice(b, 2128, 40), Bytes(kB, kB + 40));
    Bytes ip = Hex("31302e302e302e31");
    ip.resize(46, 0);
    EXPECT_EQ(Slice(b, 2168, 46), ip);
    EXPECT_EQ(Get16(b, 2214), 0);
    EXPECT_EQ(Slice(b, 2216, 30), Bytes(30, 0));
    EXPECT_EQ(Get16(b, 2246), 6380);
    EXPECT_EQ(Get16(b, 2248), 40001);
    EXPECT_EQ(Get16(b, 2250), 18);
    EXPECT_EQ(b[2252], 1);
    EXPECT_EQ(Slice(b, 2253, 3), Hex("02aa55")) << "no EXT_DATA forced on non-ping types";
}

TEST(BusEncode, HostnameExtensionVerifiedBytes)
{
    bus_out o = BaseOut(BUS_PING);
    o.h.mflags[0] = 0;
    o.hostname = "node2.example";
    Bytes b = Encode(o);
    ASSERT_EQ(b.size(), 2256u + 24);
    EXPECT_EQ(Get16(b, 14), 0);
    EXPECT_EQ(Get16(b, 2214), 1);
    EXPECT_EQ(b[2253], 0x04);
    EXPECT_EQ(Slice(b, 2256, 24), Hex("00000018 0000 0000 6e6f6465322e6578616d706c65 000000"));
}

TEST(BusEncode, HostnameExtensionPadding)
{
    // ext length = 8 + round_up_8(strlen + 1)
    struct {
        const char *host;
        size_t ext;
    } cases[] = { { "a", 16 }, { "1234567", 16 }, { "12345678", 24 }, { "123456789012345", 24 } };
    for (auto &c : cases) {
        bus_out o = BaseOut(BUS_MEET);
        o.hostname = c.host;
        Bytes b = Encode(o);
        ASSERT_EQ(b.size(), 2256 + c.ext) << c.host;
        EXPECT_EQ(Get32(b, 2256), c.ext);
        size_t n = strlen(c.host);
        EXPECT_EQ(0, memcmp(&b[2264], c.host, n));
        for (size_t i = 2264 + n; i < b.size(); i++)
            EXPECT_EQ(b[i], 0) << "NUL and padding are zero";
    }
}

TEST(BusEncode, NoHostnameMeansNoExtensionButExtData)
{
    for (const char *host : { (const char *)nullptr, "" }) {
        bus_out o = BaseOut(BUS_PING);
        o.h.mflags[0] = BUS_MF_PAUSED;
        o.hostname = host;
        Bytes b = Encode(o);
        ASSERT_EQ(b.size(), 2256u);
        EXPECT_EQ(Get16(b, 2214), 0);
        EXPECT_EQ(b[2253], BUS_MF_PAUSED | BUS_MF_EXT_DATA);
        bus_msg m;
        ASSERT_EQ(Decode(b, &m), 0);
        EXPECT_FALSE(m.has_hostname);
    }
}

TEST(BusEncode, TotlenPerType)
{
    Ping p(BUS_PING, nullptr);
    size_t ret = 0;
    EXPECT_EQ(Encode(p.o, &ret).size(), 2568u);
    EXPECT_EQ(ret, 2568u);

    bus_out f = BaseOut(BUS_FAIL);
    f.nodename = kC;
    EXPECT_EQ(Encode(f).size(), 2296u);

    uint8_t slots[BUS_SLOT_BYTES] = { 0 };
    bus_out u = BaseOut(BUS_UPDATE);
    u.nodename = kC;
    u.update_slots = slots;
    EXPECT_EQ(Encode(u).size(), 4352u);

    bus_out pub = BaseOut(BUS_PUBLISH);
    pub.channel = "chan";
    pub.channel_len = 4;
    pub.message = "hello-world";
    pub.message_len = 11;
    Bytes b = Encode(pub);
    ASSERT_EQ(b.size(), 2279u);
    EXPECT_EQ(Slice(b, 2256, 23), Hex("00000004 0000000b 6368616e 68656c6c6f2d776f726c64"));

    for (uint16_t t : { BUS_AUTH_REQUEST, BUS_AUTH_ACK, BUS_MFSTART })
        EXPECT_EQ(Encode(BaseOut(t)).size(), 2256u) << t;
}

TEST(BusEncode, AppendsAfterExistingBytes)
{
    Ping p;
    Bytes alone = Encode(p.o);
    std::vector<uint8_t> dst(alone.size() + 100);
    size_t ret = 0;
    size_t n = bus_shim_encode_after("xyz", 3, &p.o, dst.data(), dst.size(), &ret);
    ASSERT_EQ(ret, alone.size());
    ASSERT_EQ(n, 3 + alone.size());
    EXPECT_EQ(0, memcmp(dst.data(), "xyz", 3));
    EXPECT_EQ(0, memcmp(dst.data() + 3, alone.data(), alone.size()));
}

TEST(BusEncode, LongIpIsTruncatedToKeepTheTerminator)
{
    bus_gossip g = Gossip(kB, "1.2.3.4", 1, 1);
    memset(g.ip, 'g', sizeof(g.ip)); // no NUL at all
    bus_out o = BaseOut(BUS_PONG);
    memset(o.h.myip, 'h', sizeof(o.h.myip));
    o.gossip = &g;
    o.ngossip = 1;
    Bytes b = Encode(o);
    EXPECT_EQ(b[2168 + 44], 'h');
    EXPECT_EQ(b[2168 + 45], 0);
    EXPECT_EQ(b[2256 + 48 + 44], 'g');
    EXPECT_EQ(b[2256 + 48 + 45], 0);
    bus_msg m;
    ASSERT_EQ(Decode(b, &m), 0);
    EXPECT_EQ(strlen(m.h.myip), 45u);
}

/* ---- Round trips ---- */

TEST(BusRoundTrip, PingPongMeetWithGossipAndHostname)
{
    for (uint16_t type : { BUS_PING, BUS_PONG, BUS_MEET }) {
        Ping p(type);
        Bytes b = Encode(p.o);
        ASSERT_EQ(b.size(), 2256u + 3 * 104 + 24);
        bus_msg m;
        ASSERT_EQ(Decode(b, &m), 0) << type;
        ExpectHdr(m.h, p.o.h, (uint32_t)b.size(), 3, 1);
        EXPECT_EQ(m.h.mflags[0], BUS_MF_PAUSED | BUS_MF_EXT_DATA);
        EXPECT_TRUE(m.has_hostname);
        EXPECT_STREQ(m.hostname, "node2.example");
        EXPECT_FALSE(m.has_shard_id);
        EXPECT_EQ(m.gossip, b.data() + 2256);
        for (unsigned i = 0; i < 3; i++) {
            bus_gossip g;
            bus_gossip_get(&m, i, &g);
            EXPECT_EQ(0, memcmp(g.nodename, p.g[i].nodename, BUS_NAMELEN));
            EXPECT_EQ(g.ping_sent, p.g[i].ping_sent);
            EXPECT_EQ(g.pong_received, p.g[i].pong_received);
            EXPECT_STREQ(g.ip, p.g[i].ip);
            EXPECT_EQ(g.port, p.g[i].port);
            EXPECT_EQ(g.cport, p.g[i].cport);
            EXPECT_EQ(g.flags, p.g[i].flags);
            EXPECT_EQ(g.pport, p.g[i].pport);
        }
    }
}

TEST(BusRoundTrip, PongWithoutGossip)
{
    bus_out o = BaseOut(BUS_PONG);
    memset(o.h.slaveof, 0, BUS_NAMELEN);
    Bytes b = Encode(o);
    bus_msg m;
    ASSERT_EQ(Decode(b, &m), 0);
    ExpectHdr(m.h, o.h, 2256, 0, 0);
    EXPECT_TRUE(bus_name_is_null(m.h.slaveof));
    EXPECT_FALSE(m.has_hostname);
}

TEST(BusRoundTrip, Fail)
{
    bus_out o = BaseOut(BUS_FAIL);
    o.nodename = kD;
    Bytes b = Encode(o);
    bus_msg m;
    ASSERT_EQ(Decode(b, &m), 0);
    ExpectHdr(m.h, o.h, 2296, 0, 0);
    EXPECT_EQ(0, memcmp(m.nodename, kD, BUS_NAMELEN));
    EXPECT_EQ(m.gossip, nullptr);
}

TEST(BusRoundTrip, PublishAndPublishShard)
{
    std::string big(70000, 'm');
    big[0] = 0;
    big[69999] = '\n'; // binary-safe payload
    for (uint16_t type : { BUS_PUBLISH, BUS_PUBLISHSHARD }) {
        bus_out o = BaseOut(type);
        o.channel = "news.{x}";
        o.channel_len = 8;
        o.message = big.data();
        o.message_len = (uint32_t)big.size();
        Bytes b = Encode(o);
        bus_msg m;
        ASSERT_EQ(Decode(b, &m), 0);
        ExpectHdr(m.h, o.h, (uint32_t)(2264 + 8 + big.size()), 0, 0);
        ASSERT_EQ(m.channel_len, 8u);
        EXPECT_EQ(std::string(m.channel, m.channel_len), "news.{x}");
        ASSERT_EQ(m.message_len, big.size());
        EXPECT_EQ(std::string(m.message, m.message_len), big);
        EXPECT_EQ((const uint8_t *)m.channel, b.data() + 2264);
    }
    // Empty channel and message.
    bus_out o = BaseOut(BUS_PUBLISH);
    Bytes b = Encode(o);
    ASSERT_EQ(b.size(), 2264u);
    bus_msg m;
    ASSERT_EQ(Decode(b, &m), 0);
    EXPECT_EQ(m.channel_len, 0u);
    EXPECT_EQ(m.message_len, 0u);
}

TEST(BusRoundTrip, HeaderOnlyTypes)
{
    for (uint16_t type : { BUS_AUTH_REQUEST, BUS_AUTH_ACK, BUS_MFSTART }) {
        bus_out o = BaseOut(type);
        o.h.mflags[0] = BUS_MF_FORCEACK;
        o.h.state = 1;
        Bytes b = Encode(o);
        bus_msg m;
        ASSERT_EQ(Decode(b, &m), 0) << type;
        ExpectHdr(m.h, o.h, 2256, 0, 0);
        EXPECT_EQ(m.h.mflags[0], BUS_MF_FORCEACK);
    }
}

TEST(BusRoundTrip, Update)
{
    uint8_t slots[BUS_SLOT_BYTES] = { 0 };
    for (unsigned s = 5461; s <= 10922; s++)
        bus_slot_set(slots, s);
    bus_out o = BaseOut(BUS_UPDATE);
    o.nodename = kC;
    o.update_config_epoch = 0xfedcba9876543210ULL;
    o.update_slots = slots;
    Bytes b = Encode(o);
    EXPECT_EQ(Slice(b, 2256, 8), Hex("fedcba9876543210"));
    EXPECT_EQ(Slice(b, 2264, 40), Bytes(kC, kC + 40));
    bus_msg m;
    ASSERT_EQ(Decode(b, &m), 0);
    ExpectHdr(m.h, o.h, 4352, 0, 0);
    EXPECT_EQ(m.update_config_epoch, 0xfedcba9876543210ULL);
    EXPECT_EQ(0, memcmp(m.nodename, kC, BUS_NAMELEN));
    ASSERT_EQ(m.update_slots, b.data() + 2304);
    EXPECT_EQ(0, memcmp(m.update_slots, slots, BUS_SLOT_BYTES));
    EXPECT_FALSE(bus_slot_test(m.update_slots, 5460));
    EXPECT_TRUE(bus_slot_test(m.update_slots, 5461));
    EXPECT_TRUE(bus_slot_test(m.update_slots, 10922));
    EXPECT_FALSE(bus_slot_test(m.update_slots, 10923));
}

TEST(BusRoundTrip, ModuleIsEncodedEmptyAndValidates)
{
    Bytes b = Encode(BaseOut(BUS_MODULE));
    ASSERT_EQ(b.size(), (size_t)BUS_MODULE_MIN);
    bus_msg m;
    EXPECT_EQ(Decode(b, &m), 0);
    EXPECT_EQ(m.h.type, BUS_MODULE);
}

/* ---- Decoding details ---- */

TEST(BusDecode, ForcesNulTermination)
{
    Ping p;
    Bytes b = Encode(p.o);
    memset(&b[2168], 'x', 46);           // myip without NUL
    memset(&b[2256 + 104 + 48], 'y', 46); // second gossip ip without NUL
    bus_msg m;
    ASSERT_EQ(Decode(b, &m), 0);
    EXPECT_EQ(std::string(m.h.myip), std::string(45, 'x'));
    bus_gossip g;
    bus_gossip_get(&m, 1, &g);
    EXPECT_EQ(std::string(g.ip), std::string(45, 'y'));
}

TEST(BusDecode, UnknownTypesDecodeAsHeaderOnly)
{
    for (uint16_t type : { (uint16_t)11, (uint16_t)200, (uint16_t)(0x8000 | BUS_PUBLISH) }) {
        Bytes b = Encode(BaseOut(BUS_MFSTART));
        Put16(b, 12, type);
        Resize(b, 2256 + 13); // any body length is fine for an unknown type
        bus_msg m;
        ASSERT_EQ(Decode(b, &m), 0) << type;
        EXPECT_EQ(m.h.type, type);
        EXPECT_EQ(m.h.port, 30001);
        EXPECT_EQ(m.gossip, nullptr);
        EXPECT_EQ(m.channel, nullptr);
    }
}

TEST(BusDecode, ExtDataClearIgnoresExtensionsField)
{
    Ping p(BUS_PING, nullptr);
    Bytes b = Encode(p.o);
    b[2253] = 0;
    Put16(b, 2214, 9); // meaningless without EXT_DATA (as 7.0)
    bus_msg m;
    ASSERT_EQ(Decode(b, &m), 0);
    EXPECT_EQ(m.h.count, 3);
    EXPECT_FALSE(m.has_hostname);
}

// Builds a PING with no gossip, EXT_DATA and the given raw extensions.
Bytes
PingWithExts(const std::vector<Bytes> &exts)
{
    bus_out o = BaseOut(BUS_PING);
    Bytes b = Encode(o);
    for (auto &e : exts)
        b.insert(b.end(), e.begin(), e.end());
    Put32(b, 4, (uint32_t)b.size());
    Put16(b, 2214, (uint16_t)exts.size());
    return b;
}

Bytes
Ext(uint16_t type, const Bytes &payload)
{
    Bytes e(8, 0);
    e.insert(e.end(), payload.begin(), payload.end());
    while (e.size() % 8)
        e.push_back(0);
    Put32(e, 0, (uint32_t)e.size());
    Put16(e, 4, type);
    return e;
}

Bytes
Str(const std::string &s)
{
    return Bytes(s.begin(), s.end());
}

TEST(BusDecode, ExtensionsOfEveryKind)
{
    Bytes shard = Str(kD);
    Bytes forgotten = Str(kB);
    forgotten.resize(48, 0);
    Bytes b = PingWithExts({ Ext(BUS_EXT_HUMAN_NODENAME, Str(std::string("human") + '\0')),
                             Ext(BUS_EXT_FORGOTTEN_NODE, forgotten), Ext(BUS_EXT_SHARDID, shard),
                             Ext(77, Str("future")), Ext(BUS_EXT_HOSTNAME, Str(std::string("h.example") + '\0')) });
    bus_msg m;
    ASSERT_EQ(Decode(b, &m), 0);
    EXPECT_EQ(m.h.extensions, 5);
    EXPECT_TRUE(m.has_hostname);
    EXPECT_STREQ(m.hostname, "h.example");
    ASSERT_TRUE(m.has_shard_id);
    EXPECT_EQ(0, memcmp(m.shard_id, kD, BUS_NAMELEN));
    EXPECT_EQ(DecodeExact(b), 0);
}

TEST(BusDecode, HostnameBoundedByExtensionAndBuffer)
{
    // 8 payload bytes and no NUL: stop at the extension's end.
    Bytes b = PingWithExts({ Ext(BUS_EXT_HOSTNAME, Str("abcdefgh")), Ext(99, Str("zzzzzzz")) });
    bus_msg m;
    ASSERT_EQ(Decode(b, &m), 0);
    EXPECT_STREQ(m.hostname, "abcdefgh");
    // Last in the message, no NUL: must not read past len (ASan copy).
    Bytes last = PingWithExts({ Ext(BUS_EXT_HOSTNAME, Str("abcdefgh")) });
    EXPECT_EQ(DecodeExact(last), 0);
    // Longer than 255: truncated.
    Bytes longer = PingWithExts({ Ext(BUS_EXT_HOSTNAME, Str(std::string(300, 'q'))) });
    ASSERT_EQ(Decode(longer, &m), 0);
    EXPECT_EQ(std::string(m.hostname), std::string(255, 'q'));
    EXPECT_EQ(DecodeExact(longer), 0);
    // Empty payload (length 8).
    Bytes empty = PingWithExts({ Ext(BUS_EXT_HOSTNAME, Bytes()) });
    ASSERT_EQ(Decode(empty, &m), 0);
    EXPECT_TRUE(m.has_hostname);
    EXPECT_STREQ(m.hostname, "");
}

TEST(BusDecode, ShortShardIdIsSkipped)
{
    Bytes b = PingWithExts({ Ext(BUS_EXT_SHARDID, Str("0123456789abcdef")) });
    bus_msg m;
    ASSERT_EQ(Decode(b, &m), 0);
    EXPECT_FALSE(m.has_shard_id);
}

/* ---- Rejections ---- */

TEST(BusReject, WrongVersion)
{
    for (uint16_t ver : { 0, 2, 0x100, 0xffff }) {
        Ping p;
        Bytes b = Encode(p.o);
        Put16(b, 8, ver);
        bus_msg m;
        const char *why = nullptr;
        EXPECT_EQ(Decode(b, &m, &why), -1) << ver;
        EXPECT_EQ(m.h.ver, ver);
    }
}

TEST(BusReject, TotlenFieldDiffersFromLength)
{
    Bytes b = Encode(BaseOut(BUS_MFSTART));
    Put32(b, 4, 2257);
    bus_msg m;
    EXPECT_EQ(Decode(b, &m), -1);
    b.push_back(0); // now 2257 bytes with totlen 2257: MFSTART must be 2256
    EXPECT_EQ(Decode(b, &m), -1);
}

TEST(BusReject, ShorterThanHeaderOrBadSignature)
{
    Bytes b = Encode(BaseOut(BUS_MFSTART));
    bus_msg m;
    Bytes shortb(b.begin(), b.begin() + 100);
    Put32(shortb, 4, 100);
    EXPECT_EQ(Decode(shortb, &m), -1);
    b[0] = 'X';
    EXPECT_EQ(Decode(b, &m), -1);
}

TEST(BusReject, FixedSizeTypesWithWrongLength)
{
    uint8_t slots[BUS_SLOT_BYTES] = { 0 };
    for (uint16_t type : { BUS_FAIL, BUS_UPDATE, BUS_AUTH_REQUEST, BUS_AUTH_ACK, BUS_MFSTART }) {
        bus_out o = BaseOut(type);
        o.nodename = kC;
        o.update_slots = slots;
        Bytes good = Encode(o);
        bus_msg m;
        ASSERT_EQ(Decode(good, &m), 0) << type;
        for (long delta : { -8L, -1L, 1L, 8L, 104L }) {
            Bytes b = good;
            if ((long)b.size() + delta < BUS_HDR_LEN)
                continue;
            Resize(b, (size_t)((long)b.size() + delta));
            EXPECT_EQ(Decode(b, &m), -1) << type << " " << delta;
        }
    }
    // A FAIL / UPDATE cut down to the bare header.
    for (uint16_t type : { BUS_FAIL, BUS_UPDATE }) {
        Bytes b = Encode(BaseOut(BUS_MFSTART));
        Put16(b, 12, type);
        bus_msg m;
        EXPECT_EQ(Decode(b, &m), -1) << type;
    }
}

TEST(BusReject, GossipCountDisagreesWithLength)
{
    for (bool ext : { false, true }) {
        Ping p(BUS_PONG, nullptr);
        Bytes good = Encode(p.o);
        if (!ext)
            good[2253] = 0;
        bus_msg m;
        ASSERT_EQ(Decode(good, &m), 0);
        for (uint16_t count : { 0, 2, 4, 22, 0xffff }) {
            Bytes b = good;
            Put16(b, 14, count);
            EXPECT_EQ(Decode(b, &m), -1) << ext << " " << count;
        }
    }
}

TEST(BusReject, PublishLengths)
{
    bus_out o = BaseOut(BUS_PUBLISH);
    o.channel = "chan";
    o.channel_len = 4;
    o.message = "hello-world";
    o.message_len = 11;
    Bytes good = Encode(o);
    bus_msg m;
    ASSERT_EQ(Decode(good, &m), 0);
    struct {
        uint32_t ch, msg;
    } bad[] = {
        { 5, 11 }, { 4, 10 }, { 0, 0 }, { 16, 0 },
        { 0xffffffffu, 16 },             // wraps to 15 in 32 bits
        { 16, 0xffffffffu },             // same, other way round
        { 0x80000000u, 0x8000000fu },    // both halves large, sum wraps to 15
        { 0xffffffffu, 0xffffffffu },
    };
    for (auto &c : bad) {
        for (uint16_t type : { BUS_PUBLISH, BUS_PUBLISHSHARD }) {
            Bytes b = good;
            Put16(b, 12, type);
            Put32(b, 2256, c.ch);
            Put32(b, 2260, c.msg);
            EXPECT_EQ(Decode(b, &m), -1) << c.ch << " " << c.msg;
            EXPECT_EQ(DecodeExact(b), -1);
        }
    }
    // Shorter than the two length fields.
    Bytes b = good;
    Resize(b, 2260);
    EXPECT_EQ(Decode(b, &m), -1);
}

TEST(BusReject, ExtensionLengthNotMultipleOf8)
{
    for (uint32_t elen : { 9u, 20u, 23u, 17u }) {
        Bytes b = PingWithExts({ Ext(BUS_EXT_HOSTNAME, Str("node2.example")) });
        Put32(b, 2256, elen);
        bus_msg m;
        EXPECT_EQ(Decode(b, &m), -1) << elen;
    }
    // Consistent totlen for a 20-byte ext (message is 2276): still bad.
    Bytes b = PingWithExts({ Ext(BUS_EXT_HOSTNAME, Str("node2.example")) });
    Put32(b, 2256, 20);
    Resize(b, 2276);
    bus_msg m;
    EXPECT_EQ(Decode(b, &m), -1);
}

TEST(BusReject, ExtensionLengthBelow8)
{
    for (uint32_t elen : { 0u, 1u, 4u, 7u }) {
        Bytes b = PingWithExts({ Ext(BUS_EXT_HOSTNAME, Str("abc")), Ext(99, Str("x")) });
        Put32(b, 2256, elen);
        bus_msg m;
        const char *why = nullptr;
        EXPECT_EQ(Decode(b, &m, &why), -1) << elen;
        if (elen == 0) { // 0 is a multiple of 8 that fits: only the >= 8 rule names it
            EXPECT_STREQ(why, "extension length < 8");
        }
        EXPECT_EQ(DecodeExact(b), -1);
    }
}

TEST(BusReject, ExtensionRunsPastTheEnd)
{
    for (uint32_t elen : { 32u, 0x1000u, 0x7ffffff8u, 0xfffffff8u }) {
        Bytes b = PingWithExts({ Ext(BUS_EXT_HOSTNAME, Str("node2.example")) });
        Put32(b, 2256, elen);
        bus_msg m;
        EXPECT_EQ(Decode(b, &m), -1) << elen;
        EXPECT_EQ(DecodeExact(b), -1);
    }
    // Count promises a second extension whose 8-byte header is not there.
    Bytes b = PingWithExts({ Ext(BUS_EXT_HOSTNAME, Str("node2.example")) });
    Put16(b, 2214, 2);
    Resize(b, b.size() + 4);
    bus_msg m;
    EXPECT_EQ(Decode(b, &m), -1);
    EXPECT_EQ(DecodeExact(b), -1);
    // Same, with no byte at all for it.
    Bytes c = PingWithExts({ Ext(BUS_EXT_HOSTNAME, Str("node2.example")) });
    Put16(c, 2214, 2);
    EXPECT_EQ(DecodeExact(c), -1);
}

TEST(BusReject, ExtensionsDoNotAddUpToTotlen)
{
    bus_msg m;
    // Trailing bytes after the last extension.
    Bytes b = PingWithExts({ Ext(BUS_EXT_HOSTNAME, Str("node2.example")) });
    Resize(b, b.size() + 8);
    EXPECT_EQ(Decode(b, &m), -1);
    // Extension count 0 with an extension present.
    Bytes c = PingWithExts({ Ext(BUS_EXT_HOSTNAME, Str("node2.example")) });
    Put16(c, 2214, 0);
    EXPECT_EQ(Decode(c, &m), -1);
    // Count 1 where two are present.
    Bytes d = PingWithExts({ Ext(BUS_EXT_HOSTNAME, Str("a")), Ext(99, Str("b")) });
    Put16(d, 2214, 1);
    EXPECT_EQ(Decode(d, &m), -1);
    // A shorter length leaves bytes over (multiple of 8, fits).
    Bytes e = PingWithExts({ Ext(BUS_EXT_HOSTNAME, Str("node2.example")) });
    Put32(e, 2256, 16);
    EXPECT_EQ(Decode(e, &m), -1);
}

TEST(BusReject, ModuleLength)
{
    Bytes good = Encode(BaseOut(BUS_MODULE));
    Resize(good, BUS_MODULE_MIN + 5);
    Put32(good, 2264, 5);
    bus_msg m;
    ASSERT_EQ(Decode(good, &m), 0);
    for (uint32_t len : { 0u, 4u, 6u, 0xffffffffu, 0xffffffffu - 2268u }) {
        Bytes b = good;
        Put32(b, 2264, len);
        EXPECT_EQ(Decode(b, &m), -1) << len;
    }
    Bytes b = good;
    Resize(b, 2268);
    EXPECT_EQ(Decode(b, &m), -1) << "shorter than the module header";
}

TEST(BusReject, EveryTruncationOfAValidPing)
{
    Ping p;
    Bytes full = Encode(p.o);
    Bytes withShard = PingWithExts({ Ext(BUS_EXT_SHARDID, Str(kD)), Ext(BUS_EXT_HOSTNAME, Str("n")) });
    for (const Bytes *src : { &full, &withShard }) {
        ASSERT_EQ(DecodeExact(*src), 0);
        for (size_t n = 0; n < src->size(); n++) {
            Bytes cut(src->begin(), src->begin() + n);
            ASSERT_EQ(DecodeExact(cut), -1) << n;
            if (n >= 8) {
                // Even with totlen patched to agree, the body is incomplete.
                Put32(cut, 4, (uint32_t)n);
                ASSERT_EQ(DecodeExact(cut), -1) << n;
            }
        }
    }
}

/* ---- Helpers ---- */

TEST(BusHelpers, NameIsNull)
{
    char name[BUS_NAMELEN] = { 0 };
    EXPECT_TRUE(bus_name_is_null(name));
    name[39] = 1;
    EXPECT_FALSE(bus_name_is_null(name));
    name[39] = 0;
    name[0] = '0';
    EXPECT_FALSE(bus_name_is_null(name));
    EXPECT_FALSE(bus_name_is_null(kA));
}

TEST(BusHelpers, TypeNames)
{
    const char *want[] = { "ping",   "pong",     "meet",    "fail",   "publish",     "auth-req",
                           "auth-ack", "update", "mfstart", "module", "publishshard" };
    ASSERT_EQ(sizeof(want) / sizeof(want[0]), (size_t)BUS_TYPE_COUNT);
    for (unsigned t = 0; t < BUS_TYPE_COUNT; t++)
        EXPECT_STREQ(bus_type_name(t), want[t]) << t;
    EXPECT_STREQ(bus_type_name(BUS_TYPE_COUNT), "unknown");
    EXPECT_STREQ(bus_type_name(0x8004), "unknown");
}

} // namespace
