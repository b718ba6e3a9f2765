// test_loadgen_cluster.cpp: loadgen's cluster side: the slot map built
// from CLUSTER SLOTS (bench/loadgen/cmap.h), key -> node, MOVED updates
// the map and ASK does not; and the incremental reply scanner with its
// error kinds (reply.h), fed whole, byte by byte and in random pieces.
#include "tests/shim/loadgen_shim.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace {

struct Map {
    void *m = lgs_cmap_create();
    ~Map() { lgs_cmap_destroy(m); }
};

std::string
Bulk(const std::string &s)
{
    return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

std::string
Int(long v)
{
    return ":" + std::to_string(v) + "\r\n";
}

// One node entry as Redis 7 writes it: [host, port, id, [metadata]].
std::string
Node(const std::string &host, int port, const std::string &id)
{
    return "*4\r\n" + Bulk(host) + Int(port) + Bulk(id) + "*0\r\n";
}

struct Range {
    int lo, hi;
    std::string host;
    int port;
    int replicas;
};

std::string
SlotsReply(const std::vector<Range> &ranges)
{
    std::string r = "*" + std::to_string(ranges.size()) + "\r\n";
    for (const auto &x : ranges) {
        r += "*" + std::to_string(3 + x.replicas) + "\r\n" + Int(x.lo) + Int(x.hi);
        r += Node(x.host, x.port, std::string(40, 'a'));
        for (int i = 0; i < x.replicas; i++)
            r += Node(x.host, x.port + 100 + i, std::string(40, 'b'));
    }
    return r;
}

// The three-master split of redis-cli --cluster create.
std::string
ThreeMasters()
{
    return SlotsReply({{0, 5460, "127.0.0.1", 7000, 1},
                       {5461, 10922, "127.0.0.1", 7001, 1},
                       {10923, 16383, "127.0.0.1", 7002, 1}});
}

int
Load(Map &m, const std::string &reply, const char *dflt = "10.0.0.9")
{
    return lgs_cmap_load(m.m, reply.data(), reply.size(), dflt);
}

}  // namespace

TEST(LoadgenCmap, KeySlotsAreRedisCluster)
{
    EXPECT_EQ(lgs_key_slot("foo"), 12182);
    EXPECT_EQ(lgs_key_slot("bar"), 5061);
    EXPECT_EQ(lgs_key_slot("123456789"), 0x31C3 % 16384);
    EXPECT_EQ(lgs_key_slot("{user1000}.following"), lgs_key_slot("{user1000}.followers"));
    EXPECT_EQ(lgs_key_slot("{user1000}.following"), lgs_key_slot("user1000"));
    EXPECT_EQ(lgs_key_slot("foo{}{bar}"), lgs_key_slot("foo{}{bar}"));
    EXPECT_NE(lgs_key_slot("foo{}{bar}"), lgs_key_slot("bar"));  // empty tag: whole key
}

TEST(LoadgenCmap, BuildsFromClusterSlots)
{
    Map m;
    ASSERT_EQ(Load(m, ThreeMasters()), 3);
    ASSERT_EQ(lgs_cmap_nnodes(m.m), 3) << "replicas are not added";
    for (int n = 0; n < 3; n++) {
        EXPECT_STREQ(lgs_cmap_node_host(m.m, n), "127.0.0.1");
        EXPECT_EQ(lgs_cmap_node_port(m.m, n), 7000 + n);
        EXPECT_TRUE(lgs_cmap_node_has_slots(m.m, n));
    }
    EXPECT_EQ(lgs_cmap_node_slots(m.m, 0), 5461u);
    EXPECT_EQ(lgs_cmap_node_slots(m.m, 1), 5462u);
    EXPECT_EQ(lgs_cmap_node_slots(m.m, 2), 5461u);
    EXPECT_EQ(lgs_cmap_slot_owner(m.m, 0), 0);
    EXPECT_EQ(lgs_cmap_slot_owner(m.m, 5460), 0);
    EXPECT_EQ(lgs_cmap_slot_owner(m.m, 5461), 1);
    EXPECT_EQ(lgs_cmap_slot_owner(m.m, 16383), 2);
    EXPECT_EQ(lgs_cmap_key_node(m.m, "foo"), 2);  // slot 12182
    EXPECT_EQ(lgs_cmap_key_node(m.m, "bar"), 0);  // slot 5061
    EXPECT_EQ(lgs_cmap_key_node(m.m, "{bar}.x"), 0);
}

TEST(LoadgenCmap, HolesUnknownHostsAndReload)
{
    Map m;
    // Slots 100..199 unassigned; "?" and "" mean the node that was asked.
    ASSERT_EQ(Load(m, SlotsReply({{0, 99, "?", 7000, 0}, {200, 16383, "", 7001, 0}}), "10.0.0.9"), 2);
    EXPECT_STREQ(lgs_cmap_node_host(m.m, 0), "10.0.0.9");
    EXPECT_STREQ(lgs_cmap_node_host(m.m, 1), "10.0.0.9");
    EXPECT_EQ(lgs_cmap_slot_owner(m.m, 150), LGS_NO_NODE);
    // A reload keeps node indices; a node that lost everything stays, empty.
    ASSERT_EQ(Load(m, SlotsReply({{0, 16383, "10.0.0.9", 7001, 0}})), 1);
    EXPECT_EQ(lgs_cmap_nnodes(m.m), 2);
    EXPECT_FALSE(lgs_cmap_node_has_slots(m.m, 0));
    EXPECT_EQ(lgs_cmap_node_slots(m.m, 1), 16384u);
}

TEST(LoadgenCmap, MalformedRepliesLeaveTheMapAlone)
{
    Map m;
    ASSERT_EQ(Load(m, ThreeMasters()), 3);
    uint64_t v = lgs_cmap_version(m.m);
    std::string good = ThreeMasters();
    const std::vector<std::string> bad = {
        "",
        "-ERR This instance has cluster support disabled\r\n",
        "*1\r\n*3\r\n:0\r\n:16384\r\n" + Node("h", 1, "x"),   // slot out of range
        "*1\r\n*3\r\n:10\r\n:5\r\n" + Node("h", 1, "x"),      // hi < lo
        "*1\r\n*3\r\n:0\r\n:5\r\n*2\r\n$1\r\nh\r\n:0\r\n",     // port 0
        "*1\r\n*2\r\n:0\r\n:5\r\n",                            // no node
        good.substr(0, good.size() - 7),                       // truncated
    };
    for (const auto &b : bad) {
        EXPECT_LT(Load(m, b), 0) << b;
        EXPECT_EQ(lgs_cmap_slot_owner(m.m, 0), 0);
        EXPECT_EQ(lgs_cmap_slot_owner(m.m, 16383), 2);
    }
    EXPECT_EQ(lgs_cmap_version(m.m), v) << "owners unchanged";
    Map empty;
    EXPECT_EQ(Load(empty, "*0\r\n"), 0);
    EXPECT_EQ(lgs_cmap_slot_owner(empty.m, 0), LGS_NO_NODE);
}

TEST(LoadgenCmap, ParsesRedirects)
{
    int slot, port;
    char host[64];
    EXPECT_EQ(lgs_parse_redirect("MOVED 3999 127.0.0.1:6381", &slot, host, sizeof(host), &port), LGS_REDIR_MOVED);
    EXPECT_EQ(slot, 3999);
    EXPECT_STREQ(host, "127.0.0.1");
    EXPECT_EQ(port, 6381);
    EXPECT_EQ(lgs_parse_redirect("ASK 16383 node-b.local:7002", &slot, host, sizeof(host), &port), LGS_REDIR_ASK);
    EXPECT_EQ(slot, 16383);
    EXPECT_STREQ(host, "node-b.local");
    EXPECT_EQ(port, 7002);
    EXPECT_EQ(lgs_parse_redirect("MOVED 0 ::1:7000", &slot, host, sizeof(host), &port), LGS_REDIR_MOVED);
    EXPECT_STREQ(host, "::1");
    EXPECT_EQ(port, 7000);
    for (const char *bad : {"MOVED", "MOVED 3999", "MOVED 3999 127.0.0.1", "MOVED 16384 h:1", "MOVED x h:1",
                            "MOVED 1 h:0", "MOVED 1 h:65536", "MOVED 1 :7000", "MOVED 1 h:", "ERR MOVED 1 h:1",
                            "ASKING 1 h:1", "CLUSTERDOWN The cluster is down", "TRYAGAIN x"})
        EXPECT_EQ(lgs_parse_redirect(bad, &slot, host, sizeof(host), &port), LGS_REDIR_NONE) << bad;
}

TEST(LoadgenCmap, MovedUpdatesTheMapAskDoesNot)
{
    Map m;
    ASSERT_EQ(Load(m, ThreeMasters()), 3);
    int foo = lgs_key_slot("foo");  // 12182, on 7002
    ASSERT_EQ(lgs_cmap_key_node(m.m, "foo"), 2);
    uint64_t v = lgs_cmap_version(m.m);

    // ASK: resend to 7000 once; the map still says 7002.
    EXPECT_EQ(lgs_cmap_follow(m.m, ("ASK " + std::to_string(foo) + " 127.0.0.1:7000").c_str()), 0);
    EXPECT_EQ(lgs_cmap_key_node(m.m, "foo"), 2);
    EXPECT_EQ(lgs_cmap_version(m.m), v);

    // MOVED to an existing node: that slot (only) changes owner.
    EXPECT_EQ(lgs_cmap_follow(m.m, ("MOVED " + std::to_string(foo) + " 127.0.0.1:7000").c_str()), 0);
    EXPECT_EQ(lgs_cmap_key_node(m.m, "foo"), 0);
    EXPECT_EQ(lgs_cmap_slot_owner(m.m, foo - 1), 2);
    EXPECT_EQ(lgs_cmap_slot_owner(m.m, foo + 1), 2);
    EXPECT_EQ(lgs_cmap_node_slots(m.m, 0), 5462u);
    EXPECT_EQ(lgs_cmap_node_slots(m.m, 2), 5460u);
    EXPECT_GT(lgs_cmap_version(m.m), v);

    // MOVED to a node not seen before: it is added and owns the slot.
    EXPECT_EQ(lgs_cmap_follow(m.m, "MOVED 0 127.0.0.2:7100"), 3);
    EXPECT_EQ(lgs_cmap_nnodes(m.m), 4);
    EXPECT_EQ(lgs_cmap_slot_owner(m.m, 0), 3);
    EXPECT_TRUE(lgs_cmap_node_has_slots(m.m, 3));
    EXPECT_STREQ(lgs_cmap_node_host(m.m, 3), "127.0.0.2");
    // ASK to a new node adds it but gives it nothing.
    EXPECT_EQ(lgs_cmap_follow(m.m, "ASK 1 127.0.0.3:7200"), 4);
    EXPECT_FALSE(lgs_cmap_node_has_slots(m.m, 4));
    EXPECT_EQ(lgs_cmap_slot_owner(m.m, 1), 0);
    // Not a redirect.
    EXPECT_LT(lgs_cmap_follow(m.m, "ERR unknown command"), 0);
}

// ---- Reply scanner ----

namespace {

struct Reply {
    char type;
    std::string line;
};

// Feed `stream` in pieces given by `cuts`, as loadgen's recv path does:
// the unconsumed tail of each scan stays at the front of the buffer and
// the next piece is appended. Returns the replies, or stops at an error.
std::vector<Reply>
ScanInPieces(const std::string &stream, const std::vector<size_t> &pieces, int *err = nullptr)
{
    void *s = lgs_scan_create();
    std::vector<Reply> out;
    std::string buf;
    size_t off = 0;
    if (err)
        *err = 0;
    for (size_t p : pieces) {
        buf += stream.substr(off, p);
        off += p;
        size_t pos = 0;
        for (;;) {
            size_t used;
            char type;
            const char *line;
            size_t ll;
            int r = lgs_scan_feed(s, buf.data() + pos, buf.size() - pos, &used, &type, &line, &ll);
            EXPECT_LE(pos + used, buf.size()) << "never past the buffer";
            pos += used;
            if (r < 0) {
                if (err)
                    *err = r;
                lgs_scan_destroy(s);
                return out;
            }
            if (r == 0)
                break;
            out.push_back({type, std::string(line, ll)});
        }
        buf.erase(0, pos);
    }
    lgs_scan_destroy(s);
    return out;
}

std::vector<Reply>
ScanWhole(const std::string &s, int *err = nullptr)
{
    return ScanInPieces(s, {s.size()}, err);
}

std::vector<Reply>
ScanBytewise(const std::string &s)
{
    return ScanInPieces(s, std::vector<size_t>(s.size(), 1));
}

const std::string kStream = "+OK\r\n"
                            "-MOVED 3999 127.0.0.1:6381\r\n"
                            ":1000\r\n"
                            "$5\r\nhello\r\n"
                            "$-1\r\n"
                            "$0\r\n\r\n"
                            "*3\r\n$3\r\nfoo\r\n*2\r\n:1\r\n$-1\r\n*0\r\n"
                            "*-1\r\n"
                            "-ERR unknown command 'FOO'\r\n"
                            "%2\r\n+a\r\n:1\r\n+b\r\n*1\r\n_\r\n"     // RESP3 map
                            "|1\r\n+ttl\r\n:3\r\n$2\r\nhi\r\n"        // attribute, then the reply
                            ">2\r\n+message\r\n+x\r\n"                // push: not a reply
                            ",3.14\r\n#t\r\n(12345678901234567890\r\n"
                            "=7\r\ntxt:abc\r\n"
                            "~2\r\n:1\r\n:2\r\n";

void
CheckStream(const std::vector<Reply> &r)
{
    ASSERT_EQ(r.size(), 16u);
    const char types[] = {'+', '-', ':', '$', '$', '$', '*', '*', '-', '%', '$', ',', '#', '(', '=', '~'};
    for (size_t i = 0; i < 16; i++)
        EXPECT_EQ(r[i].type, types[i]) << i;
    EXPECT_EQ(r[1].line, "MOVED 3999 127.0.0.1:6381");
    EXPECT_EQ(r[8].line, "ERR unknown command 'FOO'");
}

}  // namespace

TEST(LoadgenScan, WholeStream)
{
    auto r = ScanWhole(kStream);
    CheckStream(r);
}

TEST(LoadgenScan, ByteByByte)
{
    auto r = ScanBytewise(kStream);
    CheckStream(r);
}

TEST(LoadgenScan, RandomPiecesAndLargeBulks)
{
    // Big bulks split anywhere, including inside the CRLF after the payload.
    std::string big(100000, 'v');
    std::string s;
    for (int i = 0; i < 50; i++)
        s += "$100000\r\n" + big + "\r\n" + "+OK\r\n" + "*2\r\n$100000\r\n" + big + "\r\n:7\r\n";
    std::mt19937 rng(1);
    for (int trial = 0; trial < 20; trial++) {
        std::vector<size_t> pieces;
        size_t left = s.size();
        while (left) {
            size_t n = std::min(left, static_cast<size_t>(1 + rng() % 70000));
            pieces.push_back(n);
            left -= n;
        }
        auto r = ScanInPieces(s, pieces);
        ASSERT_EQ(r.size(), 150u);
        for (size_t i = 0; i < r.size(); i++)
            ASSERT_EQ(r[i].type, "$+*"[i % 3]);
    }
}

TEST(LoadgenScan, PartialFramesNeedMore)
{
    void *s = lgs_scan_create();
    size_t used;
    char type;
    const char *line;
    size_t ll;
    // A header line without its \n is not consumed.
    EXPECT_EQ(lgs_scan_feed(s, "$5\r", 3, &used, &type, &line, &ll), 0);
    EXPECT_EQ(used, 0u);
    // Header complete, payload partial: consumed, reply not done.
    EXPECT_EQ(lgs_scan_feed(s, "$5\r\nhel", 7, &used, &type, &line, &ll), 0);
    EXPECT_EQ(used, 7u);
    EXPECT_EQ(lgs_scan_feed(s, "lo\r", 3, &used, &type, &line, &ll), 0);
    EXPECT_EQ(used, 3u);
    EXPECT_EQ(lgs_scan_feed(s, "\n+OK\r\n", 6, &used, &type, &line, &ll), 1);
    EXPECT_EQ(used, 1u);
    EXPECT_EQ(type, '$');
    EXPECT_EQ(lgs_scan_feed(s, "+OK\r\n", 5, &used, &type, &line, &ll), 1);
    EXPECT_EQ(type, '+');
    // Nothing at all.
    EXPECT_EQ(lgs_scan_feed(s, "", 0, &used, &type, &line, &ll), 0);
    EXPECT_EQ(used, 0u);
    lgs_scan_destroy(s);
}

TEST(LoadgenScan, ProtocolErrors)
{
    std::string deep;  // 40 levels of nesting, over the limit of 32
    for (int i = 0; i < 40; i++)
        deep += "*1\r\n";
    deep += ":1\r\n";
    const std::vector<std::string> bad = {"?what\r\n", "+OK\n", "$abc\r\n", "$-2\r\n", "*-2\r\n", "$\r\n",
                                          "*99999999999999999999\r\n", deep};
    for (const auto &s : bad) {
        int err = 0;
        auto r = ScanWhole(s, &err);
        EXPECT_LT(err, 0) << s;
        EXPECT_TRUE(r.empty()) << s;
    }
    // 32 levels are fine.
    std::string ok;
    for (int i = 0; i < 32; i++)
        ok += "*1\r\n";
    ok += ":1\r\n";
    int err = 0;
    EXPECT_EQ(ScanWhole(ok, &err).size(), 1u);
    EXPECT_EQ(err, 0);
}

TEST(LoadgenErrors, CountsByKind)
{
    void *t = lgs_errtab_create();
    lgs_errtab_add_line(t, "MOVED 3999 127.0.0.1:6381");
    lgs_errtab_add_line(t, "MOVED 1 127.0.0.1:6382");
    lgs_errtab_add_line(t, "ASK 1 127.0.0.1:6382");
    lgs_errtab_add_line(t, "CLUSTERDOWN The cluster is down");
    lgs_errtab_add_line(t, "TRYAGAIN Multiple keys request during rehashing of slot");
    lgs_errtab_add_line(t, "ERR unknown command 'FOO'");
    lgs_errtab_add_line(t, "ERR value is not an integer or out of range");
    lgs_errtab_add_line(t, "WRONGTYPE Operation against a key holding the wrong kind of value");
    lgs_errtab_add_line(t, "");
    EXPECT_EQ(lgs_errtab_count(t, "MOVED"), 2u);
    EXPECT_EQ(lgs_errtab_count(t, "ASK"), 1u);
    EXPECT_EQ(lgs_errtab_count(t, "CLUSTERDOWN"), 1u);
    EXPECT_EQ(lgs_errtab_count(t, "TRYAGAIN"), 1u);
    EXPECT_EQ(lgs_errtab_count(t, "ERR"), 3u) << "an empty error counts as ERR";
    EXPECT_EQ(lgs_errtab_count(t, "WRONGTYPE"), 1u);
    EXPECT_EQ(lgs_errtab_total(t), 9u);
    // Merge adds counts by kind.
    void *u = lgs_errtab_create();
    lgs_errtab_add_line(u, "MOVED 5 h:1");
    lgs_errtab_add_line(u, "NOSCRIPT No matching script");
    lgs_errtab_merge(u, t);
    EXPECT_EQ(lgs_errtab_count(u, "MOVED"), 3u);
    EXPECT_EQ(lgs_errtab_count(u, "NOSCRIPT"), 1u);
    EXPECT_EQ(lgs_errtab_total(u), 11u);
    // Past the table size, new kinds go to "other"; the total stays right.
    for (int i = 0; i < 40; i++)
        lgs_errtab_add_line(u, ("KIND" + std::to_string(i) + " x").c_str());
    EXPECT_EQ(lgs_errtab_kinds(u), static_cast<unsigned>(lgs_errtab_max_kinds()));
    EXPECT_GT(lgs_errtab_count(u, "other"), 0u);
    EXPECT_EQ(lgs_errtab_total(u), 51u);
    lgs_errtab_destroy(t);
    lgs_errtab_destroy(u);
}
