// test_resp.cpp: the RESP request parser (net/resp.c) through resp_shim.h.
// Expected behaviour was checked against redis-server 7.0.15 with raw bytes.
#include "tests/shim/resp_shim.h"

#include <gtest/gtest.h>

#include <climits>
#include <string>
#include <vector>

namespace {

const long long kDefaultMaxBulk = 512LL * 1024 * 1024;

// One parser outcome: a command (args), an empty line/"*0", or an error.
struct Event {
    int status;
    std::vector<std::string> args;
    std::string err;
    bool operator==(const Event &o) const
    {
        return status == o.status && args == o.args && err == o.err;
    }
};

std::ostream &
operator<<(std::ostream &os, const Event &e)
{
    os << "{" << e.status;
    for (auto &a : e.args)
        os << " [" << a << "]";
    if (!e.err.empty())
        os << " err=" << e.err;
    return os << "}";
}

Event
Cmd(std::vector<std::string> args)
{
    return Event{ RESP_SHIM_COMMAND, std::move(args), "" };
}

Event
Empty()
{
    return Event{ RESP_SHIM_EMPTY, {}, "" };
}

Event
Err(const std::string &e)
{
    return Event{ RESP_SHIM_ERROR, {}, "Protocol error: " + e };
}

// A connection's query buffer: bytes are appended, complete commands are
// consumed from the front, as net/ does.
class Stream {
  public:
    explicit Stream(long long max_bulk = kDefaultMaxBulk) : p_(resp_shim_create(max_bulk)) {}
    ~Stream() { resp_shim_destroy(&p_); }
    resp_shim *parser() { return p_; }

    // Append bytes and parse as far as possible; returns false after an error.
    bool Feed(const std::string &bytes)
    {
        if (failed_)
            return false;
        q_ += bytes;
        for (;;) {
            size_t consumed = 0;
            int st = resp_shim_parse(p_, q_.data(), q_.size(), &consumed);
            EXPECT_LE(consumed, q_.size());
            if (st == RESP_SHIM_NEED_MORE) {
                EXPECT_EQ(consumed, 0u);
                return true;
            }
            if (st == RESP_SHIM_ERROR) {
                events_.push_back(Event{ st, {}, resp_shim_err(p_) });
                failed_ = true;
                return false;
            }
            Event e{ st, {}, "" };
            if (st == RESP_SHIM_COMMAND) {
                for (int i = 0; i < resp_shim_argc(p_); i++) {
                    size_t n;
                    const char *a = resp_shim_arg(p_, i, &n);
                    e.args.emplace_back(a, n);
                }
            }
            EXPECT_GT(consumed, 0u);
            events_.push_back(e);
            q_.erase(0, consumed);
            if (q_.empty())
                return true;
        }
    }
    const std::vector<Event> &events() const { return events_; }
    size_t pending() const { return q_.size(); }

  private:
    resp_shim *p_;
    std::string q_;
    std::vector<Event> events_;
    bool failed_ = false;
};

std::vector<Event>
ParseAll(const std::string &bytes, long long max_bulk = kDefaultMaxBulk)
{
    Stream s(max_bulk);
    s.Feed(bytes);
    return s.events();
}

// Parse the first thing in bytes in one call.
Event
ParseOne(const std::string &bytes, long long max_bulk = kDefaultMaxBulk)
{
    auto ev = ParseAll(bytes, max_bulk);
    if (ev.empty())
        return Event{ RESP_SHIM_NEED_MORE, {}, "" };
    return ev[0];
}

std::string
Mbulk(const std::vector<std::string> &args)
{
    std::string s = "*" + std::to_string(args.size()) + "\r\n";
    for (auto &a : args)
        s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    return s;
}

} // namespace

// ---- Complete and pipelined commands ----

TEST(Resp, SingleMultibulk)
{
    EXPECT_EQ(ParseAll("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n"),
              std::vector<Event>{ Cmd({ "SET", "key", "value" }) });
}

TEST(Resp, ArgsAreViewsIntoBuffer)
{
    resp_shim *p = resp_shim_create(kDefaultMaxBulk);
    std::string b = Mbulk({ "GET", "k" });
    size_t consumed;
    ASSERT_EQ(resp_shim_parse(p, b.data(), b.size(), &consumed), RESP_SHIM_COMMAND);
    EXPECT_EQ(consumed, b.size());
    size_t n;
    const char *a = resp_shim_arg(p, 1, &n);
    EXPECT_EQ(a, b.data() + b.size() - 3);
    EXPECT_EQ(n, 1u);
    resp_shim_destroy(&p);
    EXPECT_EQ(p, nullptr);
}

TEST(Resp, BinarySafeBulk)
{
    std::string v("a\r\n\0b*$\n", 8);
    EXPECT_EQ(ParseAll(Mbulk({ "SET", "k", v })), std::vector<Event>{ Cmd({ "SET", "k", v }) });
    EXPECT_EQ(ParseAll(Mbulk({ "SET", "", "" })), std::vector<Event>{ Cmd({ "SET", "", "" }) });
}

TEST(Resp, Pipelined)
{
    std::string b = Mbulk({ "PING" }) + Mbulk({ "SET", "a", "1" }) + "PING\r\n" + Mbulk({ "GET", "a" });
    EXPECT_EQ(ParseAll(b), (std::vector<Event>{ Cmd({ "PING" }), Cmd({ "SET", "a", "1" }), Cmd({ "PING" }),
                                                Cmd({ "GET", "a" }) }));
}

TEST(Resp, EmptyCounts)
{
    // Redis 7.0 skips any "*N" with N <= 0 silently.
    EXPECT_EQ(ParseAll("*0\r\n*-1\r\n*-5\r\nPING\r\n"),
              (std::vector<Event>{ Empty(), Empty(), Empty(), Cmd({ "PING" }) }));
}

TEST(Resp, UncheckedTrailers)
{
    // Redis skips the two bytes after a header's '\r' and after bulk data
    // without checking them.
    EXPECT_EQ(ParseAll("*1\rX$4\r\nPINGXY*1\r\n$4\r\nPING\r\n"),
              (std::vector<Event>{ Cmd({ "PING" }), Cmd({ "PING" }) }));
}

TEST(Resp, WaitsForByteAfterCR)
{
    EXPECT_EQ(ParseOne("*1\r").status, RESP_SHIM_NEED_MORE);
    EXPECT_EQ(ParseOne("*1\r\n$4\r").status, RESP_SHIM_NEED_MORE);
    EXPECT_EQ(ParseOne("*1\r\n$4\r\nPING\r").status, RESP_SHIM_NEED_MORE);
    EXPECT_EQ(ParseOne("*1\r\nX").status, RESP_SHIM_NEED_MORE);
    EXPECT_EQ(ParseOne("").status, RESP_SHIM_NEED_MORE);
}

// ---- Partial input: every split point gives the same result ----

static const std::string kStream = Mbulk({ "SET", "key", std::string("v\r\n\0x", 5) }) + "PING\r\n" + "\r\n" +
                                   "*0\r\n" + "ECHO \"a b\\x41\" 'c\\'d'\n" + Mbulk({ "GET", "key" }) +
                                   "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n" + Mbulk({ std::string(300, 'z') });

TEST(Resp, ExpectedStream)
{
    EXPECT_EQ(ParseAll(kStream),
              (std::vector<Event>{ Cmd({ "SET", "key", std::string("v\r\n\0x", 5) }), Cmd({ "PING" }), Empty(),
                                   Empty(), Cmd({ "ECHO", "a bA", "c'd" }), Cmd({ "GET", "key" }),
                                   Cmd({ "ECHO", "" }), Cmd({ std::string(300, 'z') }) }));
}

TEST(Resp, ByteByByte)
{
    auto whole = ParseAll(kStream);
    Stream s;
    for (char c : kStream)
        ASSERT_TRUE(s.Feed(std::string(1, c)));
    EXPECT_EQ(s.events(), whole);
    EXPECT_EQ(s.pending(), 0u);
}

TEST(Resp, EveryTwoWaySplit)
{
    auto whole = ParseAll(kStream);
    for (size_t i = 0; i <= kStream.size(); i++) {
        Stream s;
        ASSERT_TRUE(s.Feed(kStream.substr(0, i)));
        ASSERT_TRUE(s.Feed(kStream.substr(i)));
        ASSERT_EQ(s.events(), whole) << "split at " << i;
        ASSERT_EQ(s.pending(), 0u);
    }
}

TEST(Resp, EveryThreeWaySplitOfShortStream)
{
    std::string b = Mbulk({ "SET", "k", "v" }) + "PING\r\n" + Mbulk({ "GET", "k" });
    auto whole = ParseAll(b);
    for (size_t i = 0; i <= b.size(); i++)
        for (size_t j = i; j <= b.size(); j++) {
            Stream s;
            s.Feed(b.substr(0, i));
            s.Feed(b.substr(i, j - i));
            s.Feed(b.substr(j));
            ASSERT_EQ(s.events(), whole) << i << "," << j;
        }
}

TEST(Resp, ErrorAtEverySplit)
{
    std::string b = Mbulk({ "PING" }) + "*1\r\n$x\r\n";
    for (size_t i = 0; i <= b.size(); i++) {
        Stream s;
        s.Feed(b.substr(0, i));
        s.Feed(b.substr(i));
        ASSERT_EQ(s.events(), (std::vector<Event>{ Cmd({ "PING" }), Err("invalid bulk length") })) << i;
    }
}

// ---- Inline ----

TEST(Resp, InlineBasic)
{
    EXPECT_EQ(ParseOne("SET k v\r\n"), Cmd({ "SET", "k", "v" }));
    EXPECT_EQ(ParseOne("  SET \t k   v  \n"), Cmd({ "SET", "k", "v" }));
    EXPECT_EQ(ParseOne("PING\n"), Cmd({ "PING" }));
    EXPECT_EQ(ParseOne("PING").status, RESP_SHIM_NEED_MORE);
    EXPECT_EQ(ParseOne("PING\r").status, RESP_SHIM_NEED_MORE);
}

TEST(Resp, InlineEmptyLinesSkipped)
{
    EXPECT_EQ(ParseAll("\r\n\n  \t \r\nPING\n"), (std::vector<Event>{ Empty(), Empty(), Empty(), Cmd({ "PING" }) }));
}

TEST(Resp, InlineQuotes)
{
    EXPECT_EQ(ParseOne("ECHO \"a\\x41\\n\"\r\n"), Cmd({ "ECHO", "aA\n" }));
    EXPECT_EQ(ParseOne("ECHO \"\\r\\t\\b\\a\\q\\\"\\\\\"\r\n"), Cmd({ "ECHO", "\r\t\b\aq\"\\" }));
    EXPECT_EQ(ParseOne("ECHO \"\\x4\"\r\n"), Cmd({ "ECHO", "x4" }));
    EXPECT_EQ(ParseOne("ECHO \"\\xzz\"\r\n"), Cmd({ "ECHO", "xzz" }));
    EXPECT_EQ(ParseOne("ECHO \"\\xfF\\x00\"\r\n"), Cmd({ "ECHO", std::string("\xff\0", 2) }));
    EXPECT_EQ(ParseOne("ECHO 'a\\'b'\r\n"), Cmd({ "ECHO", "a'b" }));
    EXPECT_EQ(ParseOne("ECHO 'a\\x'\r\n"), Cmd({ "ECHO", "a\\x" }));
    EXPECT_EQ(ParseOne("ECHO 'a \"b'\r\n"), Cmd({ "ECHO", "a \"b" }));
    EXPECT_EQ(ParseOne("ECHO \"\" ''\r\n"), Cmd({ "ECHO", "", "" }));
    EXPECT_EQ(ParseOne("ECHO ab\"c d\"\r\n"), Cmd({ "ECHO", "abc d" }));
    EXPECT_EQ(ParseOne("SET \"k 1\" plain 'v 2'\n"), Cmd({ "SET", "k 1", "plain", "v 2" }));
    // A closing quote may be followed by any isspace() byte.
    EXPECT_EQ(ParseOne("ECHO 'a'\vx\r\n"), Cmd({ "ECHO", "a", "x" }));
    // \v and \f separate only at the start of an argument (sdssplitargs).
    EXPECT_EQ(ParseOne("ECHO a\vb\r\n"), Cmd({ "ECHO", "a\vb" }));
    EXPECT_EQ(ParseOne("\vECHO x\r\n"), Cmd({ "ECHO", "x" }));
    // "\r\r\n": the first \r is a separator.
    EXPECT_EQ(ParseOne("PING\r\r\n"), Cmd({ "PING" }));
}

TEST(Resp, InlineUnbalancedQuotes)
{
    for (const char *s : { "ECHO \"a\"b\r\n", "ECHO \"abc\r\n", "ECHO \"a\\\"\r\n", "ECHO 'abc\r\n", "ECHO 'a'b\n",
                           "ECHO \"a\\\n" })
        EXPECT_EQ(ParseOne(s), Err("unbalanced quotes in request")) << s;
}

// Redis finds the inline newline with strchr, which stops at a NUL: the line
// never completes and the client waits, until the inline limit is passed.
TEST(Resp, InlineNulStallsLikeRedis)
{
    EXPECT_EQ(ParseOne(std::string("ECHO a\0b\r\nPING\r\n", 16)).status, RESP_SHIM_NEED_MORE);
    std::string big(RESP_SHIM_INLINE_MAX + 10, 'x');
    big[3] = '\0';
    EXPECT_EQ(ParseOne(big + "\n"), Err("too big inline request"));
}

TEST(Resp, InlineLimits)
{
    std::string line(RESP_SHIM_INLINE_MAX, 'x');
    EXPECT_EQ(ParseOne(line + "\n"), Cmd({ line }));
    EXPECT_EQ(ParseOne(line).status, RESP_SHIM_NEED_MORE);
    EXPECT_EQ(ParseOne(line + "y"), Err("too big inline request"));
    std::string mb(1024 * 1024, 'a');
    EXPECT_EQ(ParseOne(mb), Err("too big inline request"));
    EXPECT_EQ(ParseOne(mb + "\r\n"), Err("too big inline request"));
    // Same verdict when the line arrives in pieces.
    Stream s;
    for (size_t i = 0; i < mb.size(); i += 16384)
        if (!s.Feed(mb.substr(i, 16384)))
            break;
    EXPECT_EQ(s.events(), std::vector<Event>{ Err("too big inline request") });
}

TEST(Resp, InlineManyArgs)
{
    std::string line;
    for (int i = 0; i < 5000; i++)
        line += "a" + std::to_string(i) + (i % 2 ? " " : " \"q\" ");
    Event e = ParseOne(line + "\n");
    ASSERT_EQ(e.status, RESP_SHIM_COMMAND);
    EXPECT_EQ(e.args.size(), 7500u);
    EXPECT_EQ(e.args[0], "a0");
    EXPECT_EQ(e.args[1], "q");
    EXPECT_EQ(e.args[2], "a1");
}

// ---- Malformed multibulk ----

TEST(Resp, InvalidMultibulkLength)
{
    for (const char *s : { "*abc\r\n", "*\r\n", "*01\r\n", "*-0\r\n", "*+1\r\n", "*1 \r\n", "*1073741825\r\n",
                           "*2147483648\r\n", "*3000000000\r\n", "*9223372036854775808\r\n",
                           "*99999999999999999999999\r\n" })
        EXPECT_EQ(ParseOne(s), Err("invalid multibulk length")) << s;
}

TEST(Resp, HugeCountAccepted)
{
    // 1024*1024*1024 is the cap; the parser must not preallocate for it.
    Stream s;
    ASSERT_TRUE(s.Feed("*1073741824\r\n$1\r\na\r\n$1\r\nb\r\n"));
    EXPECT_TRUE(s.events().empty());
}

TEST(Resp, ExpectedDollar)
{
    EXPECT_EQ(ParseOne("*1\r\nfoo\r\n"), Err("expected '$', got 'f'"));
    EXPECT_EQ(ParseOne("*2\r\n$1\r\na\r\n:1\r\n"), Err("expected '$', got ':'"));
    // The client sees a space: reply_error turns '\r' into ' '.
    EXPECT_EQ(ParseOne("*1\r\n\r\n"), Err("expected '$', got '\r'"));
}

TEST(Resp, InvalidBulkLength)
{
    for (const char *s : { "*1\r\n$-1\r\n", "*1\r\n$abc\r\n", "*1\r\n$+4\r\n", "*1\r\n$-0\r\n", "*1\r\n$04\r\n",
                           "*1\r\n$\r\n", "*1\r\n$536870913\r\n", "*1\r\n$9223372036854775808\r\n",
                           "*1\r\n$18446744073709551616\r\n" })
        EXPECT_EQ(ParseOne(s), Err("invalid bulk length")) << s;
}

TEST(Resp, TooBigCountStrings)
{
    std::string digits(70000, '1');
    EXPECT_EQ(ParseOne("*" + digits), Err("too big mbulk count string"));
    EXPECT_EQ(ParseOne("*1\r\n$" + digits), Err("too big bulk count string"));
    EXPECT_EQ(ParseOne("*" + std::string(RESP_SHIM_INLINE_MAX - 1, '1')).status, RESP_SHIM_NEED_MORE);
    // A terminator inside the first 64 KB: a number check, not a size one.
    EXPECT_EQ(ParseOne("*" + std::string(1000, '1') + "\r\n"), Err("invalid multibulk length"));
    // Byte by byte gives the same verdict.
    Stream s;
    std::string b = "*1\r\n$" + digits;
    for (char c : b)
        if (!s.Feed(std::string(1, c)))
            break;
    EXPECT_EQ(s.events(), std::vector<Event>{ Err("too big bulk count string") });
}

TEST(Resp, ParserUsableAfterError)
{
    resp_shim *p = resp_shim_create(kDefaultMaxBulk);
    size_t c;
    std::string bad = "*1\r\n$x\r\n";
    EXPECT_EQ(resp_shim_parse(p, bad.data(), bad.size(), &c), RESP_SHIM_ERROR);
    std::string good = Mbulk({ "PING" });
    EXPECT_EQ(resp_shim_parse(p, good.data(), good.size(), &c), RESP_SHIM_COMMAND);
    EXPECT_EQ(resp_shim_argc(p), 1);
    resp_shim_destroy(&p);
}

// ---- Big bulks, limits and resp_want ----

TEST(Resp, MaxBulkLen)
{
    EXPECT_EQ(ParseOne(Mbulk({ std::string(10, 'x') }), 10), Cmd({ std::string(10, 'x') }));
    EXPECT_EQ(ParseOne(Mbulk({ std::string(11, 'x') }), 10), Err("invalid bulk length"));
    // The limit is read on every call, so a CONFIG SET applies mid-stream.
    Stream s(10);
    s.Feed("*1\r\n");
    resp_shim_set_max_bulk(s.parser(), 100);
    s.Feed("$50\r\n" + std::string(50, 'y') + "\r\n");
    EXPECT_EQ(s.events(), std::vector<Event>{ Cmd({ std::string(50, 'y') }) });
}

TEST(Resp, Bulk2Pow40)
{
    std::string h = "*2\r\n$3\r\nSET\r\n$1099511627776\r\n";
    EXPECT_EQ(ParseOne(h), Err("invalid bulk length"));
    resp_shim *p = resp_shim_create(LLONG_MAX);
    size_t c;
    EXPECT_EQ(resp_shim_parse(p, h.data(), h.size(), &c), RESP_SHIM_NEED_MORE);
    EXPECT_EQ(resp_shim_want(p), h.size() + (1ULL << 40) + 2);
    resp_shim_destroy(&p);
}

TEST(Resp, BulkNearLLongMax)
{
    resp_shim *p = resp_shim_create(LLONG_MAX);
    std::string h = "*1\r\n$9223372036854775807\r\n" + std::string(100, 'x');
    size_t c;
    EXPECT_EQ(resp_shim_parse(p, h.data(), h.size(), &c), RESP_SHIM_NEED_MORE);
    EXPECT_EQ(resp_shim_want(p), 26 + (size_t)LLONG_MAX + 2);
    resp_shim_destroy(&p);
}

TEST(Resp, WantAndNoRescan)
{
    const size_t big = 1024 * 1024;
    std::string b = Mbulk({ "SET", "k", std::string(big, 'v') });
    std::string hdr = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1048576\r\n";
    resp_shim *p = resp_shim_create(kDefaultMaxBulk);
    size_t c;
    EXPECT_EQ(resp_shim_want(p), 0u);
    // Header of the big bulk not complete yet: unknown.
    EXPECT_EQ(resp_shim_parse(p, b.data(), hdr.size() - 3, &c), RESP_SHIM_NEED_MORE);
    EXPECT_EQ(resp_shim_want(p), 0u);
    size_t n = hdr.size();
    for (; n < b.size(); n += 65536) {
        ASSERT_EQ(resp_shim_parse(p, b.data(), n, &c), RESP_SHIM_NEED_MORE);
        EXPECT_EQ(resp_shim_want(p), b.size());
        EXPECT_EQ(resp_shim_pos(p), hdr.size()); // data start, no rescan
    }
    ASSERT_EQ(resp_shim_parse(p, b.data(), b.size(), &c), RESP_SHIM_COMMAND);
    EXPECT_EQ(c, b.size());
    EXPECT_EQ(resp_shim_want(p), 0u);
    size_t l;
    resp_shim_arg(p, 2, &l);
    EXPECT_EQ(l, big);
    resp_shim_destroy(&p);
}

TEST(Resp, HeaderScanResumes)
{
    // An inline line arriving in pieces is searched once: scan advances.
    resp_shim *p = resp_shim_create(kDefaultMaxBulk);
    std::string line(1000, 'a');
    size_t c;
    EXPECT_EQ(resp_shim_parse(p, line.data(), 500, &c), RESP_SHIM_NEED_MORE);
    EXPECT_EQ(resp_shim_scan(p), 500u);
    EXPECT_EQ(resp_shim_parse(p, line.data(), 1000, &c), RESP_SHIM_NEED_MORE);
    EXPECT_EQ(resp_shim_scan(p), 1000u);
    line += "\n";
    EXPECT_EQ(resp_shim_parse(p, line.data(), line.size(), &c), RESP_SHIM_COMMAND);
    resp_shim_destroy(&p);
}

TEST(Resp, ManyArgs)
{
    std::vector<std::string> args;
    for (int i = 0; i < 10000; i++)
        args.push_back(std::to_string(i));
    std::string b = Mbulk(args);
    Stream s;
    for (size_t i = 0; i < b.size(); i += 7)
        s.Feed(b.substr(i, 7));
    ASSERT_EQ(s.events().size(), 1u);
    EXPECT_EQ(s.events()[0], Cmd(args));
}

TEST(Resp, CommandEndKnownOnlyInTheLastBulk)
{
    std::string b = Mbulk({"SET", "key", std::string(100, 'v')});
    resp_shim *p = resp_shim_create(kDefaultMaxBulk);
    size_t c;
    for (size_t cut = 1; cut < b.size(); cut++) {
        ASSERT_EQ(resp_shim_parse(p, b.data(), cut, &c), RESP_SHIM_NEED_MORE);
        size_t end = resp_shim_command_end(p);
        /* "$100\r\n" of the value has been read: from then on it is known */
        size_t value_hdr_end = b.size() - 100 - 2;
        if (cut >= value_hdr_end)
            EXPECT_EQ(end, b.size()) << cut;
        else
            EXPECT_EQ(end, 0u) << cut;
        resp_shim_destroy(&p);
        p = resp_shim_create(kDefaultMaxBulk);
    }
    ASSERT_EQ(resp_shim_parse(p, b.data(), b.size(), &c), RESP_SHIM_COMMAND);
    EXPECT_EQ(resp_shim_command_end(p), 0u);
    resp_shim_destroy(&p);
}

/* ---- resp_peek_keys: the look ahead used for prefetching ---- */

static std::vector<std::string>
PeekKeys(const std::string &b, int max = 64)
{
    /* An exactly sized copy: ASan sees a read past the end. */
    std::vector<char> buf(b.begin(), b.end());
    size_t offs[256], lens[256];
    int n = resp_shim_peek_keys(buf.data(), buf.size(), offs, lens, max);
    std::vector<std::string> out;
    for (int i = 0; i < n; i++) {
        EXPECT_LE(offs[i] + lens[i], buf.size());
        out.emplace_back(buf.data() + offs[i], lens[i]);
    }
    return out;
}

TEST(RespPeek, PipelineOfCommands)
{
    std::string b = Mbulk({"GET", "k1"}) + Mbulk({"SET", "k2", "v"}) + Mbulk({"PING"}) +
                    Mbulk({"MSET", "k3", "a", "k4", "b"}) + Mbulk({"GET", ""});
    EXPECT_EQ(PeekKeys(b), (std::vector<std::string>{"k1", "k2", "k3", ""}));
}

TEST(RespPeek, StopsAtPartialCommand)
{
    std::string full = Mbulk({"GET", "k1"}) + Mbulk({"GET", "key2"});
    for (size_t cut = 0; cut < full.size(); cut++) {
        std::vector<std::string> got = PeekKeys(full.substr(0, cut));
        size_t complete = cut >= Mbulk({"GET", "k1"}).size() ? 1 : 0;
        EXPECT_EQ(got.size(), complete) << cut;
    }
    EXPECT_EQ(PeekKeys(full).size(), 2u);
}

TEST(RespPeek, StopsAtWhatOnlyTheParserHandles)
{
    EXPECT_TRUE(PeekKeys("GET k1\r\n" + Mbulk({"GET", "k2"})).empty()); /* inline */
    EXPECT_TRUE(PeekKeys("*0\r\n" + Mbulk({"GET", "k2"})).empty());
    EXPECT_TRUE(PeekKeys("*-1\r\n").empty());
    EXPECT_TRUE(PeekKeys("*2\r\n:3\r\n").empty());
    EXPECT_TRUE(PeekKeys("*2\r\n$3\r\nGET\r\n$99999999999\r\nx\r\n").empty()); /* 11 digits */
    EXPECT_TRUE(PeekKeys("*2\r\n$3\r\nGET\r\n$2\nk1\r\n").empty());             /* LF only */
    EXPECT_EQ(PeekKeys(Mbulk({"GET", "a"}) + "garbage" + Mbulk({"GET", "b"})),
              (std::vector<std::string>{"a"}));
}

TEST(RespPeek, BoundedWork)
{
    std::vector<std::string> many(RESP_SHIM_PEEK_MAX_ARGS + 1, "x");
    many[0] = "MGET";
    EXPECT_TRUE(PeekKeys(Mbulk(many) + Mbulk({"GET", "k"})).empty());
    many.pop_back();
    EXPECT_EQ(PeekKeys(Mbulk(many)).size(), 1u);
    std::string b;
    for (int i = 0; i < 10; i++)
        b += Mbulk({"GET", "k" + std::to_string(i)});
    EXPECT_EQ(PeekKeys(b, 3), (std::vector<std::string>{"k0", "k1", "k2"}));
}
