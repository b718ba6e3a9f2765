// test_cmdparse.cpp: two argument parsers that must match Redis 7.0 byte
// for byte: the unknown-command error text (core/cmd.c) and SCAN's cursor
// (core/util.c), and COPY's options (core/t_keys.c). Every expected value below was produced by Debian's
// redis-server 7.0.15 (an unknown command with these arguments; SCAN with
// these cursors on an empty database; COPY with these options).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/shim/cmdparse_shim.h"

namespace {

std::string
unknown_msg(const std::vector<std::string> &args)
{
    std::vector<const char *> p;
    std::vector<size_t> l;
    for (const std::string &a : args) {
        p.push_back(a.data());
        l.push_back(a.size());
    }
    char buf[CMDPARSE_SHIM_MSG_MAX];
    size_t n = cmdparse_shim_unknown((int)args.size(), p.data(), l.data(), buf, sizeof(buf));
    return std::string(buf, n);
}

std::string
rep(const std::string &s, int n)
{
    std::string out;
    for (int i = 0; i < n; i++)
        out += s;
    return out;
}

} // namespace

TEST(CmdParse, UnknownCommandSharesOneBudget)
{
    struct Row {
        std::vector<std::string> args;
        std::string want;
    };
    const Row rows[] = {
        { { std::string("FOO", 3), std::string("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 200) }, std::string("ERR unknown command 'FOO', with args beginning with: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' ", 184) },
        { { std::string("FOO", 3), std::string("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 100), std::string("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 100) }, std::string("ERR unknown command 'FOO', with args beginning with: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' 'bbbbbbbbbbbbbbbbbbbbbbbbb' ", 184) },
        { { std::string("FOO", 3), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1), std::string("x", 1) }, std::string("ERR unknown command 'FOO', with args beginning with: 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' 'x' ", 181) },
        { { std::string("FOO", 3), std::string("a\0b", 3), std::string("c", 1) }, std::string("ERR unknown command 'FOO', with args beginning with: 'a' 'c' ", 61) },
        { { std::string("NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN", 200), std::string("q", 1) }, std::string("ERR unknown command 'NNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNNN', with args beginning with: 'q' ", 182) },
        { { std::string("FOO", 3), std::string("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 125), std::string("b", 1) }, std::string("ERR unknown command 'FOO', with args beginning with: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' ", 181) },
        { { std::string("FOO", 3), std::string("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 124), std::string("b", 1), std::string("c", 1) }, std::string("ERR unknown command 'FOO', with args beginning with: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' 'b' ", 184) },
        { { std::string("FOO", 3) }, std::string("ERR unknown command 'FOO', with args beginning with: ", 53) },
        { { std::string("FOO", 3), std::string("", 0) }, std::string("ERR unknown command 'FOO', with args beginning with: '' ", 56) },
    };
    for (const Row &r : rows)
        EXPECT_EQ(unknown_msg(r.args), r.want) << r.args[0].substr(0, 20) << " with " << r.args.size() - 1 << " args";
    // the budget is shared: 32 one-byte arguments fill it ("'x' " is 4 bytes)
    std::vector<std::string> many(1, "FOO");
    for (int i = 0; i < 50; i++)
        many.push_back("x");
    EXPECT_EQ(unknown_msg(many), "ERR unknown command 'FOO', with args beginning with: " + rep("'x' ", 32));
    // huge arguments never overflow the buffer
    std::vector<std::string> big = { rep("N", 5000), rep("a", 100000), rep("b", 100000) };
    EXPECT_LT(unknown_msg(big).size(), (size_t)CMDPARSE_SHIM_MSG_MAX);
}

TEST(CmdParse, ScanCursorAsStrtoul)
{
    struct Row {
        std::string cursor;
        bool valid;
    };
    const Row rows[] = {
        { std::string("", 0), true },
        { std::string("+0", 2), true },
        { std::string("-0", 2), true },
        { std::string(" 0", 2), false },
        { std::string("\x090", 2), false },
        { std::string("0 ", 2), false },
        { std::string("-1", 2), true },
        { std::string("+", 1), false },
        { std::string("-", 1), false },
        { std::string("18446744073709551615", 20), true },
        { std::string("18446744073709551616", 20), false },
        { std::string("-18446744073709551615", 21), true },
        { std::string("-18446744073709551616", 21), false },
        { std::string("0x10", 4), false },
        { std::string("1e3", 3), false },
        { std::string("00012", 5), true },
        { std::string("0\0abc", 5), true },
        { std::string("\0", 1), true },
        { std::string("+-1", 3), false },
        { std::string("12abc", 5), false },
    };
    for (const Row &r : rows) {
        unsigned long long v = 12345;
        EXPECT_EQ(cmdparse_shim_cursor(r.cursor.data(), r.cursor.size(), &v) != 0, r.valid) << "'" << r.cursor << "'";
    }
    unsigned long long v = 1;
    ASSERT_TRUE(cmdparse_shim_cursor("", 0, &v));
    EXPECT_EQ(v, 0u);
    ASSERT_TRUE(cmdparse_shim_cursor("-1", 2, &v));
    EXPECT_EQ(v, 18446744073709551615ull);
    ASSERT_TRUE(cmdparse_shim_cursor("-18446744073709551615", 21, &v));
    EXPECT_EQ(v, 1u);
    ASSERT_TRUE(cmdparse_shim_cursor("+00012", 6, &v));
    EXPECT_EQ(v, 12u);
    ASSERT_TRUE(cmdparse_shim_cursor("7\0abc", 5, &v));
    EXPECT_EQ(v, 7u);
}

TEST(CmdParse, CopyOptionsInRedisOrder)
{
    struct Row {
        std::vector<const char *> args;
        int cluster;
        const char *want; /* nullptr: accepted */
        int replace;
    };
    const Row rows[] = {
        { { "COPY", "k", "d" }, 0, nullptr, 0 },
        { { "COPY", "k", "d", "REPLACE" }, 0, nullptr, 1 },
        { { "COPY", "k", "d", "DB", "0", "replace" }, 0, nullptr, 1 },
        { { "COPY", "k", "d", "DB", "1", "DB" }, 0, "ERR syntax error", 0 },
        { { "COPY", "k", "d", "DB", "1", "DB" }, 1, "ERR syntax error", 0 },
        { { "COPY", "k", "d", "DB", "x" }, 0, "ERR value is not an integer or out of range", 0 },
        { { "COPY", "k", "d", "DB", "x", "foo" }, 0, "ERR value is not an integer or out of range", 0 },
        { { "COPY", "k", "d", "foo", "DB", "x" }, 0, "ERR syntax error", 0 },
        { { "COPY", "k", "d", "DB", "99", "DB" }, 0, "ERR DB index is out of range", 0 },
        { { "COPY", "k", "d", "DB", "-1" }, 0, "ERR DB index is out of range", 0 },
        { { "COPY", "k", "d", "DB", "99999999999" }, 0,
          "ERR value is out of range, value must between -2147483648 and 2147483647", 0 },
        { { "COPY", "k", "d", "REPLACE", "DB" }, 0, "ERR syntax error", 0 },
        { { "COPY", "k", "d", "DB", "1" }, 1, "ERR Copying to another database is not allowed in cluster mode", 0 },
        // Tessera-only: database 0 is all there is (SELECT 1 says the same)
        { { "COPY", "k", "d", "DB", "1" }, 0, "ERR Tessera serves database 0 only", 0 },
    };
    for (const Row &r : rows) {
        int replace = -1;
        const char *err = cmdparse_shim_copy((int)r.args.size(), r.args.data(), r.cluster, &replace);
        std::string line;
        for (const char *a : r.args)
            line += std::string(a) + " ";
        if (r.want == nullptr) {
            EXPECT_EQ(err, nullptr) << line << ": " << err;
            EXPECT_EQ(replace, r.replace) << line;
        } else {
            ASSERT_NE(err, nullptr) << line;
            EXPECT_STREQ(err, r.want) << line;
        }
    }
}
