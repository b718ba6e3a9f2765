// test_reply.cpp: the RESP2/RESP3 reply encoder (core/reply.c) through
// resp_shim.h, byte for byte.
#include "tests/shim/resp_shim.h"

#include <gtest/gtest.h>

#include <climits>
#include <cmath>
#include <limits>
#include <string>

namespace {

class Reply {
  public:
    explicit Reply(int resp) : s_(reply_shim_create(resp)) {}
    ~Reply() { reply_shim_destroy(&s_); }
    reply_shim *operator->() { return s_; }
    operator reply_shim *() { return s_; }
    std::string Take()
    {
        size_t n;
        const char *d = reply_shim_data(s_, &n);
        std::string out(d, n);
        reply_shim_clear(s_);
        return out;
    }

  private:
    reply_shim *s_;
};

// Encode with f in RESP2 and RESP3; compare both.
template <typename F>
void
Both(F f, const std::string &resp2, const std::string &resp3)
{
    Reply r2(2), r3(3);
    f(r2);
    f(r3);
    EXPECT_EQ(r2.Take(), resp2);
    EXPECT_EQ(r3.Take(), resp3);
}

std::string
BulkDouble(long double v)
{
    Reply r(2);
    reply_shim_bulk_double(r, v);
    return r.Take();
}

std::string
Double(int resp, double v)
{
    Reply r(resp);
    reply_shim_double(r, v);
    return r.Take();
}

} // namespace

TEST(Reply, Simple)
{
    Both([](reply_shim *s) { reply_shim_ok(s); }, "+OK\r\n", "+OK\r\n");
    Both([](reply_shim *s) { reply_shim_simple(s, "PONG"); }, "+PONG\r\n", "+PONG\r\n");
    Both([](reply_shim *s) { reply_shim_simple_len(s, "QUEUEDxx", 6); }, "+QUEUED\r\n", "+QUEUED\r\n");
    Both([](reply_shim *s) { reply_shim_simple(s, ""); }, "+\r\n", "+\r\n");
}

TEST(Reply, Integers)
{
    Both([](reply_shim *s) { reply_shim_int(s, 0); }, ":0\r\n", ":0\r\n");
    Both([](reply_shim *s) { reply_shim_int(s, -1); }, ":-1\r\n", ":-1\r\n");
    Both([](reply_shim *s) { reply_shim_int(s, LLONG_MAX); }, ":9223372036854775807\r\n",
         ":9223372036854775807\r\n");
    Both([](reply_shim *s) { reply_shim_int(s, LLONG_MIN); }, ":-9223372036854775808\r\n",
         ":-9223372036854775808\r\n");
    // Every digit-count boundary against std::to_string.
    Reply r(2);
    long long v = 1;
    for (int i = 0; i < 19; i++, v = i < 19 ? v * 10 : v)
        for (long long x : { v - 1, v, v + 1, -v, -(v - 1), -(v + 1) }) {
            reply_shim_int(r, x);
            ASSERT_EQ(r.Take(), ":" + std::to_string(x) + "\r\n");
            reply_shim_bulk_ll(r, x);
            std::string d = std::to_string(x);
            ASSERT_EQ(r.Take(), "$" + std::to_string(d.size()) + "\r\n" + d + "\r\n");
        }
}

TEST(Reply, Bulk)
{
    Both([](reply_shim *s) { reply_shim_bulk(s, "hello", 5); }, "$5\r\nhello\r\n", "$5\r\nhello\r\n");
    Both([](reply_shim *s) { reply_shim_bulk(s, "", 0); }, "$0\r\n\r\n", "$0\r\n\r\n");
    Both([](reply_shim *s) { reply_shim_bulk(s, nullptr, 0); }, "$0\r\n\r\n", "$0\r\n\r\n");
    Both([](reply_shim *s) { reply_shim_bulk(s, "a\0\r\n", 4); }, std::string("$4\r\na\0\r\n\r\n", 10),
         std::string("$4\r\na\0\r\n\r\n", 10));
    Both([](reply_shim *s) { reply_shim_bulk_cstr(s, "abc"); }, "$3\r\nabc\r\n", "$3\r\nabc\r\n");
    Both([](reply_shim *s) { reply_shim_bulk_ll(s, -42); }, "$3\r\n-42\r\n", "$3\r\n-42\r\n");
    std::string big(100000, 'x');
    Reply r(2);
    reply_shim_bulk(r, big.data(), big.size());
    EXPECT_EQ(r.Take(), "$100000\r\n" + big + "\r\n");
    for (size_t n = 0; n < 40; n++) {
        std::string s(n, 'q');
        reply_shim_bulk(r, s.data(), n);
        ASSERT_EQ(r.Take(), "$" + std::to_string(n) + "\r\n" + s + "\r\n");
    }
}

TEST(Reply, Nulls)
{
    Both([](reply_shim *s) { reply_shim_null(s); }, "$-1\r\n", "_\r\n");
    Both([](reply_shim *s) { reply_shim_null_array(s); }, "*-1\r\n", "_\r\n");
}

TEST(Reply, Aggregates)
{
    Both([](reply_shim *s) { reply_shim_array(s, 3); }, "*3\r\n", "*3\r\n");
    Both([](reply_shim *s) { reply_shim_array(s, 0); }, "*0\r\n", "*0\r\n");
    Both([](reply_shim *s) { reply_shim_map(s, 2); }, "*4\r\n", "%2\r\n");
    Both([](reply_shim *s) { reply_shim_map(s, 0); }, "*0\r\n", "%0\r\n");
    Both([](reply_shim *s) { reply_shim_set(s, 5); }, "*5\r\n", "~5\r\n");
    Both(
        [](reply_shim *s) {
            reply_shim_map(s, 1);
            reply_shim_bulk_cstr(s, "k");
            reply_shim_int(s, 1);
        },
        "*2\r\n$1\r\nk\r\n:1\r\n", "%1\r\n$1\r\nk\r\n:1\r\n");
}

TEST(Reply, Bool)
{
    Both([](reply_shim *s) { reply_shim_bool(s, 1); }, ":1\r\n", "#t\r\n");
    Both([](reply_shim *s) { reply_shim_bool(s, 0); }, ":0\r\n", "#f\r\n");
}

TEST(Reply, Verbatim)
{
    Both([](reply_shim *s) { reply_shim_verbatim(s, "hello", 5, "txt"); }, "$5\r\nhello\r\n",
         "=9\r\ntxt:hello\r\n");
    Both([](reply_shim *s) { reply_shim_verbatim(s, "# x\r\n", 5, "mkd"); }, "$5\r\n# x\r\n\r\n",
         "=9\r\nmkd:# x\r\n\r\n");
    Both([](reply_shim *s) { reply_shim_verbatim(s, "", 0, "txt"); }, "$0\r\n\r\n", "=4\r\ntxt:\r\n");
}

TEST(Reply, Raw)
{
    Both([](reply_shim *s) { reply_shim_raw(s, "+X\r\n", 4); }, "+X\r\n", "+X\r\n");
}

TEST(Reply, Errors)
{
    Reply r(2);
    reply_shim_error_msg(r, "ERR syntax error");
    EXPECT_TRUE(reply_shim_error(r));
    EXPECT_EQ(r.Take(), "-ERR syntax error\r\n");
    EXPECT_FALSE(reply_shim_error(r));
    reply_shim_error_msg(r, "ERR bad\r\nthing\nhere\r");
    EXPECT_EQ(r.Take(), "-ERR bad  thing here \r\n");
    reply_shim_error_msg(r, "-WRONGTYPE relayed");
    EXPECT_EQ(r.Take(), "-WRONGTYPE relayed\r\n");
    reply_shim_errorf_str(r, "ERR Protocol error:", "expected '$', got '\r'");
    EXPECT_EQ(r.Take(), "-ERR Protocol error: expected '$', got ' '\r\n");
    reply_shim_wrong_args(r, "get");
    EXPECT_EQ(r.Take(), "-ERR wrong number of arguments for 'get' command\r\n");
    // Longer than reply_errorf's stack buffer.
    std::string longmsg(1000, 'e');
    reply_shim_errorf_str(r, "ERR", longmsg.c_str());
    EXPECT_EQ(r.Take(), "-ERR " + longmsg + "\r\n");
    Reply r3(3);
    reply_shim_error_msg(r3, "ERR x");
    EXPECT_EQ(r3.Take(), "-ERR x\r\n");
}

TEST(Reply, Count)
{
    Reply r(3);
    reply_shim_array(r, 2);
    reply_shim_int(r, 1);
    reply_shim_null(r);
    EXPECT_EQ(reply_shim_count(r), 3u);
    size_t t = reply_shim_defer(r);
    reply_shim_ok(r);
    reply_shim_defer_set(r, t, '*', 1);
    EXPECT_EQ(reply_shim_count(r), 5u);
    EXPECT_FALSE(reply_shim_error(r));
}

TEST(Reply, DeferredLengths)
{
    Both(
        [](reply_shim *s) {
            size_t t = reply_shim_defer(s);
            for (int i = 0; i < 12; i++)
                reply_shim_int(s, i);
            reply_shim_defer_set(s, t, '*', 12);
        },
        [] {
            std::string s = "*12\r\n";
            for (int i = 0; i < 12; i++)
                s += ":" + std::to_string(i) + "\r\n";
            return s;
        }(),
        [] {
            std::string s = "*12\r\n";
            for (int i = 0; i < 12; i++)
                s += ":" + std::to_string(i) + "\r\n";
            return s;
        }());
    Both(
        [](reply_shim *s) {
            reply_shim_array(s, 2);
            reply_shim_bulk_cstr(s, "0");
            size_t t = reply_shim_defer(s);
            reply_shim_bulk_cstr(s, "f");
            reply_shim_int(s, 1);
            reply_shim_defer_set(s, t, '%', 1);
        },
        "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nf\r\n:1\r\n", "*2\r\n$1\r\n0\r\n%1\r\n$1\r\nf\r\n:1\r\n");
    Both(
        [](reply_shim *s) {
            size_t t = reply_shim_defer(s);
            reply_shim_defer_set(s, t, '~', 0);
        },
        "*0\r\n", "~0\r\n");
    // Nested deferred: inner set first, then outer; with large content so
    // the buffer reallocates between defer and set.
    Reply r(3);
    size_t outer = reply_shim_defer(r);
    size_t inner = reply_shim_defer(r);
    std::string big(50000, 'b');
    reply_shim_bulk(r, big.data(), big.size());
    reply_shim_defer_set(r, inner, '*', 1);
    reply_shim_null(r);
    reply_shim_defer_set(r, outer, '*', 2);
    EXPECT_EQ(r.Take(), "*2\r\n*1\r\n$50000\r\n" + big + "\r\n_\r\n");
}

TEST(Reply, BulkDoubleHuman)
{
    // INCRBYFLOAT formatting: %.17Lf with trailing zeros and dot removed.
    EXPECT_EQ(BulkDouble(10.5L), "$4\r\n10.5\r\n");
    EXPECT_EQ(BulkDouble(3.0L), "$1\r\n3\r\n");
    EXPECT_EQ(BulkDouble(5.0e3L), "$4\r\n5000\r\n");
    EXPECT_EQ(BulkDouble(10.5L + 0.1L), "$4\r\n10.6\r\n");
    EXPECT_EQ(BulkDouble(0.1L), "$3\r\n0.1\r\n");
    EXPECT_EQ(BulkDouble(-0.0L), "$1\r\n0\r\n");
    EXPECT_EQ(BulkDouble(-1.25L), "$5\r\n-1.25\r\n");
    EXPECT_EQ(BulkDouble(0.0L), "$1\r\n0\r\n");
    EXPECT_EQ(BulkDouble(1e20L), "$21\r\n100000000000000000000\r\n");
    EXPECT_EQ(BulkDouble(1e-20L), "$1\r\n0\r\n");
    EXPECT_EQ(BulkDouble(5.0e-17L), "$19\r\n0.00000000000000005\r\n");
    EXPECT_EQ(BulkDouble(std::numeric_limits<long double>::infinity()), "$3\r\ninf\r\n");
    EXPECT_EQ(BulkDouble(-std::numeric_limits<long double>::infinity()), "$4\r\n-inf\r\n");
    // The largest long double still fits (about 4,933 digits).
    std::string m = BulkDouble(std::numeric_limits<long double>::max());
    EXPECT_EQ(m.substr(0, 7), "$4933\r\n");
    EXPECT_EQ(m.size(), 7u + 4933 + 2);
}

TEST(Reply, Double)
{
    EXPECT_EQ(Double(3, 1.5), ",1.5\r\n");
    EXPECT_EQ(Double(2, 1.5), "$3\r\n1.5\r\n");
    EXPECT_EQ(Double(3, 0.1), ",0.10000000000000001\r\n");
    EXPECT_EQ(Double(2, 0.1), "$19\r\n0.10000000000000001\r\n");
    EXPECT_EQ(Double(3, 3.0), ",3\r\n");
    EXPECT_EQ(Double(3, -2.5e-300), ",-2.5e-300\r\n");
    EXPECT_EQ(Double(3, 1e300), ",1.0000000000000001e+300\r\n");
    EXPECT_EQ(Double(3, INFINITY), ",inf\r\n");
    EXPECT_EQ(Double(3, -INFINITY), ",-inf\r\n");
    EXPECT_EQ(Double(2, INFINITY), "$3\r\ninf\r\n");
    EXPECT_EQ(Double(2, -INFINITY), "$4\r\n-inf\r\n");
    EXPECT_EQ(Double(3, NAN), ",nan\r\n");
    EXPECT_EQ(Double(3, -NAN), ",nan\r\n");
    EXPECT_EQ(Double(2, NAN), "$3\r\nnan\r\n");
}
