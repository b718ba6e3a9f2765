// Unit tests for the string and generic key commands (core/t_string.c,
// core/t_keys.c), through tests/shim/commands_shim.h. Expected bytes were
// taken from Debian's redis-server 7.0.15 given the same commands.
#include "tests/shim/commands_shim.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <vector>

namespace {

const int64_t T0 = 1700000000000LL; // the fake clock's start, unix ms

const std::string OK = "+OK\r\n";
const std::string NIL = "$-1\r\n";
const std::string EMPTY = "$0\r\n\r\n";
const std::string SYNTAX = "-ERR syntax error\r\n";
const std::string NOTINT = "-ERR value is not an integer or out of range\r\n";
const std::string NOTFLOAT = "-ERR value is not a valid float\r\n";
const std::string OVERFLOW = "-ERR increment or decrement would overflow\r\n";

std::string
I(long long v)
{
    return ":" + std::to_string(v) + "\r\n";
}

std::string
B(const std::string &s)
{
    return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

std::string
E(const std::string &msg)
{
    return "-" + msg + "\r\n";
}

std::string
WrongArgs(const std::string &name)
{
    return E("ERR wrong number of arguments for '" + name + "' command");
}

std::string
BadExpire(const std::string &name)
{
    return E("ERR invalid expire time in '" + name + "' command");
}

class Cmds : public ::testing::Test {
  protected:
    cmds_shim *s = nullptr;
    int64_t now = T0;

    void SetUp() override { s = cmds_shim_create(T0); }
    void TearDown() override { cmds_shim_destroy(&s); }

    std::string
    R(std::initializer_list<std::string> args)
    {
        std::vector<std::string> v(args);
        return Rv(v);
    }

    std::string
    Rv(const std::vector<std::string> &v)
    {
        std::vector<const char *> p;
        std::vector<size_t> l;
        for (const auto &a : v) {
            p.push_back(a.data());
            l.push_back(a.size());
        }
        size_t n = 0;
        const char *out = cmds_shim_run(s, (int)v.size(), p.data(), l.data(), &n);
        return std::string(out, n);
    }

    void
    Advance(int64_t ms)
    {
        now += ms;
        cmds_shim_set_time(s, now);
    }
};

// ---- GET / SET ----

TEST_F(Cmds, GetSetBasic)
{
    EXPECT_EQ(R({"GET", "k"}), NIL);
    EXPECT_EQ(R({"SET", "k", "hello"}), OK);
    EXPECT_EQ(R({"GET", "k"}), B("hello"));
    EXPECT_EQ(R({"set", "k", ""}), OK);
    EXPECT_EQ(R({"get", "k"}), EMPTY);
    std::string bin("a\0b\r\nc", 6);
    EXPECT_EQ(R({"SET", "k", bin}), OK);
    EXPECT_EQ(R({"GET", "k"}), B(bin));
    EXPECT_EQ(R({"SET", "n", "12345"}), OK);
    EXPECT_EQ(R({"GET", "n"}), B("12345"));
    EXPECT_EQ(R({"GET"}), WrongArgs("get"));
    EXPECT_EQ(R({"GET", "a", "b"}), WrongArgs("get"));
    EXPECT_EQ(R({"SET", "k"}), WrongArgs("set"));
}

TEST_F(Cmds, GetResp3Null)
{
    cmds_shim_set_resp(s, 3);
    EXPECT_EQ(R({"GET", "k"}), "_\r\n");
    EXPECT_EQ(R({"SET", "k", "v", "XX"}), "_\r\n");
}

TEST_F(Cmds, GetCountsHitsAndMisses)
{
    R({"SET", "k", "v"});
    uint64_t h = cmds_shim_hits(s), m = cmds_shim_misses(s);
    R({"GET", "k"});
    R({"GET", "nope"});
    EXPECT_EQ(cmds_shim_hits(s), h + 1);
    EXPECT_EQ(cmds_shim_misses(s), m + 1);
}

TEST_F(Cmds, SetNxXx)
{
    EXPECT_EQ(R({"SET", "k", "v", "XX"}), NIL);
    EXPECT_EQ(R({"EXISTS", "k"}), I(0));
    EXPECT_EQ(R({"SET", "k", "v", "NX"}), OK);
    EXPECT_EQ(R({"SET", "k", "w", "NX"}), NIL);
    EXPECT_EQ(R({"GET", "k"}), B("v"));
    EXPECT_EQ(R({"SET", "k", "w", "xx"}), OK);
    EXPECT_EQ(R({"GET", "k"}), B("w"));
}

TEST_F(Cmds, SetGetOption)
{
    EXPECT_EQ(R({"SET", "k", "v", "GET"}), NIL);
    EXPECT_EQ(R({"SET", "k", "w", "GET"}), B("v"));
    EXPECT_EQ(R({"SET", "k", "x", "GET", "GET"}), B("w"));
    // NX GET (allowed since 7.0): returns the old value and does not write
    EXPECT_EQ(R({"SET", "k", "y", "NX", "GET"}), B("x"));
    EXPECT_EQ(R({"GET", "k"}), B("x"));
    EXPECT_EQ(R({"SET", "new", "y", "NX", "GET"}), NIL);
    EXPECT_EQ(R({"GET", "new"}), B("y"));
    EXPECT_EQ(R({"SET", "nope", "y", "XX", "GET"}), NIL);
    EXPECT_EQ(R({"EXISTS", "nope"}), I(0));
}

TEST_F(Cmds, SetOptionConflicts)
{
    R({"SET", "k", "v"});
    EXPECT_EQ(R({"SET", "k", "v", "NX", "XX"}), SYNTAX);
    EXPECT_EQ(R({"SET", "k", "v", "XX", "NX"}), SYNTAX);
    EXPECT_EQ(R({"SET", "k", "v", "EX", "10", "PX", "20"}), SYNTAX);
    EXPECT_EQ(R({"SET", "k", "v", "PX", "10", "EXAT", "20"}), SYNTAX);
    EXPECT_EQ(R({"SET", "k", "v", "EXAT", "10", "PXAT", "20"}), SYNTAX);
    EXPECT_EQ(R({"SET", "k", "v", "KEEPTTL", "EX", "1"}), SYNTAX);
    EXPECT_EQ(R({"SET", "k", "v", "EX", "1", "KEEPTTL"}), SYNTAX);
    EXPECT_EQ(R({"SET", "k", "v", "EX"}), SYNTAX);
    EXPECT_EQ(R({"SET", "k", "v", "PERSIST"}), SYNTAX);
    EXPECT_EQ(R({"SET", "k", "v", "FOO"}), SYNTAX);
    EXPECT_EQ(R({"GET", "k"}), B("v"));
}

TEST_F(Cmds, SetExpireErrors)
{
    EXPECT_EQ(R({"SET", "k", "v", "EX", "0"}), BadExpire("set"));
    EXPECT_EQ(R({"SET", "k", "v", "EX", "-1"}), BadExpire("set"));
    EXPECT_EQ(R({"SET", "k", "v", "PX", "0"}), BadExpire("set"));
    EXPECT_EQ(R({"SET", "k", "v", "EXAT", "0"}), BadExpire("set"));
    EXPECT_EQ(R({"SET", "k", "v", "EX", "abc"}), NOTINT);
    EXPECT_EQ(R({"SET", "k", "v", "EX", "1.5"}), NOTINT);
    EXPECT_EQ(R({"SET", "k", "v", "EX", "9223372036854775"}), BadExpire("set"));
    EXPECT_EQ(R({"SET", "k", "v", "PX", "9223372036854775807"}), BadExpire("set"));
    EXPECT_EQ(R({"EXISTS", "k"}), I(0));
    // absolute: no addition, so the largest value is fine
    EXPECT_EQ(R({"SET", "k", "v", "PXAT", "9223372036854775807"}), OK);
    EXPECT_EQ(R({"PEXPIRETIME", "k"}), I(9223372036854775807LL));
    EXPECT_EQ(R({"SET", "k", "v", "EX", "9223372036854"}), OK);
}

TEST_F(Cmds, SetWithExpiry)
{
    EXPECT_EQ(R({"SET", "k", "v", "EX", "10"}), OK);
    EXPECT_EQ(R({"TTL", "k"}), I(10));
    EXPECT_EQ(R({"PTTL", "k"}), I(10000));
    EXPECT_EQ(R({"PEXPIRETIME", "k"}), I(T0 + 10000));
    Advance(10000);
    EXPECT_EQ(R({"GET", "k"}), B("v")); // expired only when now > deadline
    Advance(1);
    EXPECT_EQ(R({"GET", "k"}), NIL);
    EXPECT_EQ(cmds_shim_key_count(s), 0u);

    EXPECT_EQ(R({"SET", "k", "v", "PX", "1500"}), OK);
    EXPECT_EQ(R({"PTTL", "k"}), I(1500));
    EXPECT_EQ(R({"TTL", "k"}), I(2)); // rounded
    EXPECT_EQ(R({"SET", "k", "v", "EXAT", std::to_string(now / 1000 + 100)}), OK);
    EXPECT_EQ(R({"EXPIRETIME", "k"}), I(now / 1000 + 100));
    EXPECT_EQ(R({"SET", "k", "v", "PXAT", std::to_string(now + 5)}), OK);
    EXPECT_EQ(R({"PTTL", "k"}), I(5));
    // repeated EX: the last one wins
    EXPECT_EQ(R({"SET", "k", "v", "EX", "10", "EX", "20"}), OK);
    EXPECT_EQ(R({"TTL", "k"}), I(20));
    // a deadline in the past: the key is gone right away
    EXPECT_EQ(R({"SET", "k", "v", "EXAT", "1"}), OK);
    EXPECT_EQ(R({"EXISTS", "k"}), I(0));
}

TEST_F(Cmds, SetClearsOrKeepsTtl)
{
    R({"SET", "k", "v", "EX", "100"});
    EXPECT_EQ(R({"SET", "k", "w", "KEEPTTL"}), OK);
    EXPECT_EQ(R({"TTL", "k"}), I(100));
    EXPECT_EQ(R({"SET", "k", "x", "keepttl", "GET"}), B("w"));
    EXPECT_EQ(R({"TTL", "k"}), I(100));
    EXPECT_EQ(R({"SET", "k", "y"}), OK);
    EXPECT_EQ(R({"TTL", "k"}), I(-1));
    EXPECT_EQ(cmds_shim_volatile_count(s), 0u);
}

TEST_F(Cmds, SetNxSetexPsetex)
{
    EXPECT_EQ(R({"SETNX", "k", "v"}), I(1));
    EXPECT_EQ(R({"SETNX", "k", "w"}), I(0));
    EXPECT_EQ(R({"GET", "k"}), B("v"));

    EXPECT_EQ(R({"SETEX", "k", "10", "x"}), OK);
    EXPECT_EQ(R({"GET", "k"}), B("x"));
    EXPECT_EQ(R({"TTL", "k"}), I(10));
    EXPECT_EQ(R({"SETEX", "k", "0", "v"}), BadExpire("setex"));
    EXPECT_EQ(R({"SETEX", "k", "abc", "v"}), NOTINT);
    EXPECT_EQ(R({"SETEX", "k", "10"}), WrongArgs("setex"));

    EXPECT_EQ(R({"PSETEX", "k", "1500", "y"}), OK);
    EXPECT_EQ(R({"PTTL", "k"}), I(1500));
    EXPECT_EQ(R({"GET", "k"}), B("y"));
    EXPECT_EQ(R({"PSETEX", "k", "-5", "v"}), BadExpire("psetex"));
}

TEST_F(Cmds, GetSetGetDel)
{
    EXPECT_EQ(R({"GETSET", "k", "1"}), NIL);
    R({"EXPIRE", "k", "100"});
    EXPECT_EQ(R({"GETSET", "k", "2"}), B("1"));
    EXPECT_EQ(R({"TTL", "k"}), I(-1)); // GETSET clears the TTL
    EXPECT_EQ(R({"GETDEL", "k"}), B("2"));
    EXPECT_EQ(R({"GETDEL", "k"}), NIL);
    EXPECT_EQ(R({"EXISTS", "k"}), I(0));
}

TEST_F(Cmds, GetEx)
{
    EXPECT_EQ(R({"GETEX", "nope"}), NIL);
    EXPECT_EQ(R({"GETEX", "nope", "EX", "0"}), NIL); // value checked only for an existing key
    R({"SET", "k", "v"});
    EXPECT_EQ(R({"GETEX", "k"}), B("v"));
    EXPECT_EQ(R({"TTL", "k"}), I(-1));
    EXPECT_EQ(R({"GETEX", "k", "EX", "100"}), B("v"));
    EXPECT_EQ(R({"TTL", "k"}), I(100));
    EXPECT_EQ(R({"GETEX", "k", "PX", "5000"}), B("v"));
    EXPECT_EQ(R({"PTTL", "k"}), I(5000));
    EXPECT_EQ(R({"GETEX", "k", "EXAT", std::to_string(T0 / 1000 + 50)}), B("v"));
    EXPECT_EQ(R({"TTL", "k"}), I(50));
    EXPECT_EQ(R({"GETEX", "k", "PXAT", std::to_string(T0 + 700)}), B("v"));
    EXPECT_EQ(R({"PTTL", "k"}), I(700));
    EXPECT_EQ(R({"GETEX", "k", "PERSIST"}), B("v"));
    EXPECT_EQ(R({"TTL", "k"}), I(-1));
    EXPECT_EQ(R({"GETEX", "k", "persist"}), B("v")); // no TTL: nothing to do
    EXPECT_EQ(R({"GETEX", "k", "ex", "10", "ex", "20"}), B("v"));
    EXPECT_EQ(R({"TTL", "k"}), I(20));
}

TEST_F(Cmds, GetExErrors)
{
    R({"SET", "k", "v"});
    EXPECT_EQ(R({"GETEX", "k", "NX"}), SYNTAX);
    EXPECT_EQ(R({"GETEX", "k", "XX"}), SYNTAX);
    EXPECT_EQ(R({"GETEX", "k", "GET"}), SYNTAX);
    EXPECT_EQ(R({"GETEX", "k", "KEEPTTL"}), SYNTAX);
    EXPECT_EQ(R({"GETEX", "k", "EX"}), SYNTAX);
    EXPECT_EQ(R({"GETEX", "k", "PERSIST", "EX", "10"}), SYNTAX);
    EXPECT_EQ(R({"GETEX", "k", "EX", "10", "PERSIST"}), SYNTAX);
    EXPECT_EQ(R({"GETEX", "k", "EX", "10", "PX", "10"}), SYNTAX);
    EXPECT_EQ(R({"GETEX", "missing", "FOO"}), SYNTAX);
    EXPECT_EQ(R({"GETEX", "k", "EX", "0"}), BadExpire("getex"));
    EXPECT_EQ(R({"GETEX", "k", "EX", "x"}), NOTINT);
    EXPECT_EQ(R({"TTL", "k"}), I(-1));
}

TEST_F(Cmds, GetExPastDeadlineDeletes)
{
    R({"SET", "k", "v"});
    EXPECT_EQ(R({"GETEX", "k", "EXAT", "1"}), B("v"));
    EXPECT_EQ(R({"EXISTS", "k"}), I(0));
    R({"SET", "k", "v"});
    EXPECT_EQ(R({"GETEX", "k", "PXAT", std::to_string(T0)}), B("v"));
    EXPECT_EQ(R({"EXISTS", "k"}), I(0));
}

// ---- MGET / MSET / MSETNX ----

TEST_F(Cmds, MsetMget)
{
    EXPECT_EQ(R({"MSET", "a", "1", "b"}), WrongArgs("mset"));
    EXPECT_EQ(R({"MSET", "a", "1", "b", "2"}), OK);
    EXPECT_EQ(R({"MGET", "a", "b", "nope", "a"}), "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n$1\r\n1\r\n");
    R({"EXPIRE", "a", "100"});
    EXPECT_EQ(R({"MSET", "a", "x"}), OK);
    EXPECT_EQ(R({"TTL", "a"}), I(-1));
    EXPECT_EQ(R({"MGET"}), WrongArgs("mget"));
}

TEST_F(Cmds, Msetnx)
{
    EXPECT_EQ(R({"MSETNX", "a", "1", "b"}), WrongArgs("msetnx"));
    EXPECT_EQ(R({"MSETNX", "a", "1", "b", "2"}), I(1));
    EXPECT_EQ(R({"MSETNX", "a", "9", "c", "3"}), I(0));
    EXPECT_EQ(R({"MGET", "a", "b", "c"}), "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n");
    EXPECT_EQ(R({"MSETNX", "c", "3", "d", "4"}), I(1));
    EXPECT_EQ(R({"MGET", "c", "d"}), "*2\r\n$1\r\n3\r\n$1\r\n4\r\n");
}

// ---- APPEND / STRLEN ----

TEST_F(Cmds, AppendStrlen)
{
    EXPECT_EQ(R({"STRLEN", "k"}), I(0));
    EXPECT_EQ(R({"APPEND", "k", "abc"}), I(3));
    EXPECT_EQ(R({"APPEND", "k", "de"}), I(5));
    EXPECT_EQ(R({"APPEND", "k", ""}), I(5));
    EXPECT_EQ(R({"GET", "k"}), B("abcde"));
    EXPECT_EQ(R({"STRLEN", "k"}), I(5));
    R({"SET", "n", "10"});
    EXPECT_EQ(R({"APPEND", "n", "5"}), I(3));
    EXPECT_EQ(R({"GET", "n"}), B("105"));
    EXPECT_EQ(R({"INCR", "n"}), I(106));
    EXPECT_EQ(R({"STRLEN", "n"}), I(3));
}

TEST_F(Cmds, AppendGrowthKeepsTtl)
{
    R({"SET", "k", "", "EX", "100"});
    std::string want;
    for (int i = 0; i < 2000; i++) {
        std::string piece = std::to_string(i) + ",";
        want += piece;
        ASSERT_EQ(R({"APPEND", "k", piece}), I((long long)want.size()));
    }
    EXPECT_EQ(R({"GET", "k"}), B(want));
    EXPECT_EQ(R({"TTL", "k"}), I(100));
    EXPECT_EQ(R({"OBJECT", "ENCODING", "k"}), B("raw"));
}

TEST_F(Cmds, AppendSetrangeLimit)
{
    long long old = cmds_shim_set_max_bulk(10);
    R({"SET", "k", "12345678"});
    EXPECT_EQ(R({"APPEND", "k", "ab"}), I(10));
    EXPECT_EQ(R({"APPEND", "k", "c"}), E("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
    EXPECT_EQ(R({"SETRANGE", "k", "9", "xy"}), E("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
    EXPECT_EQ(R({"SETRANGE", "k", "8", "xy"}), I(10));
    EXPECT_EQ(R({"SETRANGE", "new", "10", "x"}), E("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
    EXPECT_EQ(R({"EXISTS", "new"}), I(0));
    cmds_shim_set_max_bulk(old);
    EXPECT_EQ(R({"SETRANGE", "k", "9223372036854775807", "x"}),
              E("ERR string exceeds maximum allowed size (proto-max-bulk-len)"));
    EXPECT_EQ(R({"GET", "k"}), B("12345678xy"));
}

// ---- INCR family ----

TEST_F(Cmds, IncrDecr)
{
    EXPECT_EQ(R({"INCR", "n"}), I(1));
    EXPECT_EQ(R({"INCR", "n"}), I(2));
    EXPECT_EQ(R({"DECR", "n"}), I(1));
    EXPECT_EQ(R({"INCRBY", "n", "100"}), I(101));
    EXPECT_EQ(R({"DECRBY", "n", "1"}), I(100));
    EXPECT_EQ(R({"INCRBY", "n", "-200"}), I(-100));
    EXPECT_EQ(R({"GET", "n"}), B("-100"));
    EXPECT_EQ(R({"DECR", "m"}), I(-1));
    EXPECT_EQ(R({"INCRBY", "x", "12"}), I(12));
    EXPECT_EQ(R({"OBJECT", "ENCODING", "x"}), B("int"));
}

TEST_F(Cmds, IncrErrors)
{
    R({"SET", "s", "abc"});
    EXPECT_EQ(R({"INCR", "s"}), NOTINT);
    R({"SET", "s", " 1"});
    EXPECT_EQ(R({"INCR", "s"}), NOTINT);
    R({"SET", "s", "01"});
    EXPECT_EQ(R({"INCR", "s"}), NOTINT);
    R({"SET", "s", "1.5"});
    EXPECT_EQ(R({"INCR", "s"}), NOTINT);
    R({"SET", "s", "99999999999999999999"});
    EXPECT_EQ(R({"INCR", "s"}), NOTINT);
    EXPECT_EQ(R({"INCRBY", "n", "abc"}), NOTINT);
    EXPECT_EQ(R({"INCRBY", "n", "+1"}), NOTINT);
    EXPECT_EQ(R({"DECRBY", "n", "1x"}), NOTINT);
    EXPECT_EQ(R({"EXISTS", "n"}), I(0));
}

TEST_F(Cmds, IncrOverflowBoundaries)
{
    R({"SET", "n", "9223372036854775806"});
    EXPECT_EQ(R({"INCR", "n"}), I(9223372036854775807LL));
    EXPECT_EQ(R({"INCR", "n"}), OVERFLOW);
    EXPECT_EQ(R({"DECRBY", "n", "-1"}), OVERFLOW);
    EXPECT_EQ(R({"INCRBY", "n", "0"}), I(9223372036854775807LL));
    EXPECT_EQ(R({"GET", "n"}), B("9223372036854775807"));
    R({"SET", "n", "-9223372036854775807"});
    EXPECT_EQ(R({"DECR", "n"}), ":-9223372036854775808\r\n");
    EXPECT_EQ(R({"DECR", "n"}), OVERFLOW);
    EXPECT_EQ(R({"INCRBY", "n", "-1"}), OVERFLOW);
    EXPECT_EQ(R({"INCRBY", "n", "9223372036854775807"}), I(-1));
    EXPECT_EQ(R({"DECRBY", "n", "-9223372036854775808"}), E("ERR decrement would overflow"));
    EXPECT_EQ(R({"INCRBY", "m", "-9223372036854775808"}), ":-9223372036854775808\r\n");
}

TEST_F(Cmds, IncrKeepsTtl)
{
    R({"SET", "n", "5", "EX", "100"});
    EXPECT_EQ(R({"INCR", "n"}), I(6));
    EXPECT_EQ(R({"TTL", "n"}), I(100));
    EXPECT_EQ(R({"INCRBYFLOAT", "n", "0.5"}), B("6.5"));
    EXPECT_EQ(R({"TTL", "n"}), I(100));
}

TEST_F(Cmds, IncrByFloat)
{
    EXPECT_EQ(R({"INCRBYFLOAT", "f", "1.5"}), B("1.5"));
    R({"SET", "f", "10.50"});
    EXPECT_EQ(R({"INCRBYFLOAT", "f", "0.1"}), B("10.6"));
    EXPECT_EQ(R({"INCRBYFLOAT", "f", "1.0e3"}), B("1010.59999999999999998"));
    EXPECT_EQ(R({"INCRBYFLOAT", "f", "-1010.6"}), B("0"));
    EXPECT_EQ(R({"GET", "f"}), B("0"));
    R({"SET", "g", "5"});
    EXPECT_EQ(R({"INCRBYFLOAT", "g", "-5.5"}), B("-0.5"));
    EXPECT_EQ(R({"INCRBYFLOAT", "g", "3"}), B("2.5"));
    // long double range, fixed notation (redis-server 7.0.15, x86-64)
    EXPECT_EQ(R({"INCRBYFLOAT", "h", "1e400"}),
              B("1000000000000000000028188068394758651458645343362905203862591069353968553400862986203936399484"
                "8324160522094053927317616200295822777259255734023828976593340661017797447434546173917862448116"
                "6749717237789438243915933380474706750262466844013592375136038303437354855052449559649790218250"
                "3828009106841494740245689865304095101751265809261582758892018347251164331659136266413817630973"
                "4806343732497430221946880"));
}

TEST_F(Cmds, IncrByFloatErrors)
{
    EXPECT_EQ(R({"INCRBYFLOAT", "f", "abc"}), NOTFLOAT);
    EXPECT_EQ(R({"INCRBYFLOAT", "f", " 1"}), NOTFLOAT);
    EXPECT_EQ(R({"INCRBYFLOAT", "f", "nan"}), NOTFLOAT);
    R({"SET", "s", "abc"});
    EXPECT_EQ(R({"INCRBYFLOAT", "s", "1"}), NOTFLOAT);
    R({"SET", "f", "inf"});
    EXPECT_EQ(R({"INCRBYFLOAT", "f", "1"}), E("ERR increment would produce NaN or Infinity"));
    R({"SET", "g", "1"});
    EXPECT_EQ(R({"INCRBYFLOAT", "g", "inf"}), E("ERR increment would produce NaN or Infinity"));
    EXPECT_EQ(R({"INCRBYFLOAT", "g", "-inf"}), E("ERR increment would produce NaN or Infinity"));
    EXPECT_EQ(R({"GET", "g"}), B("1"));
    // overflow / underflow of the parse itself is not a valid float (ERANGE)
    R({"SET", "w", "1e5000"});
    EXPECT_EQ(R({"INCRBYFLOAT", "w", "1"}), NOTFLOAT);
    EXPECT_EQ(R({"INCRBYFLOAT", "g", "1e-5000"}), NOTFLOAT);
    R({"SET", "w", "1.0inf"});
    EXPECT_EQ(R({"INCRBYFLOAT", "w", "1"}), NOTFLOAT);
    // strtold's hex floats are accepted, as in Redis
    EXPECT_EQ(R({"INCRBYFLOAT", "q", "0x10"}), B("16"));
}

// ---- GETRANGE / SETRANGE ----

TEST_F(Cmds, GetRange)
{
    R({"SET", "s", "Hello"});
    EXPECT_EQ(R({"GETRANGE", "s", "0", "-1"}), B("Hello"));
    EXPECT_EQ(R({"GETRANGE", "s", "-3", "-1"}), B("llo"));
    EXPECT_EQ(R({"GETRANGE", "s", "-1", "-3"}), EMPTY);
    EXPECT_EQ(R({"GETRANGE", "s", "10", "20"}), EMPTY);
    EXPECT_EQ(R({"GETRANGE", "s", "3", "1"}), EMPTY);
    EXPECT_EQ(R({"GETRANGE", "s", "-100", "2"}), B("Hel"));
    EXPECT_EQ(R({"GETRANGE", "s", "0", "100"}), B("Hello"));
    EXPECT_EQ(R({"GETRANGE", "s", "-100", "-90"}), B("H"));
    EXPECT_EQ(R({"GETRANGE", "s", "4", "4"}), B("o"));
    EXPECT_EQ(R({"GETRANGE", "missing", "0", "1"}), EMPTY);
    EXPECT_EQ(R({"GETRANGE", "s", "a", "1"}), NOTINT);
    EXPECT_EQ(R({"GETRANGE", "s", "0", "-1", "x"}), WrongArgs("getrange"));
    EXPECT_EQ(R({"SUBSTR", "s", "1", "2"}), B("el"));
    R({"SET", "n", "12345"});
    EXPECT_EQ(R({"GETRANGE", "n", "1", "-2"}), B("234"));
    R({"SET", "e", ""});
    EXPECT_EQ(R({"GETRANGE", "e", "0", "-1"}), EMPTY);
}

TEST_F(Cmds, SetRange)
{
    EXPECT_EQ(R({"SETRANGE", "s", "-1", "x"}), E("ERR offset is out of range"));
    EXPECT_EQ(R({"SETRANGE", "s", "abc", "x"}), NOTINT);
    EXPECT_EQ(R({"SETRANGE", "s", "5", ""}), I(0));
    EXPECT_EQ(R({"EXISTS", "s"}), I(0));
    EXPECT_EQ(R({"SETRANGE", "s", "3", "ab"}), I(5));
    EXPECT_EQ(R({"GET", "s"}), B(std::string("\0\0\0ab", 5)));
    R({"SET", "h", "Hello World"});
    EXPECT_EQ(R({"SETRANGE", "h", "6", "Redis"}), I(11));
    EXPECT_EQ(R({"GET", "h"}), B("Hello Redis"));
    EXPECT_EQ(R({"SETRANGE", "h", "0", ""}), I(11));
    EXPECT_EQ(R({"SETRANGE", "h", "13", "!"}), I(14));
    EXPECT_EQ(R({"GET", "h"}), B(std::string("Hello Redis\0\0!", 14)));
    R({"SET", "n", "1234", "EX", "100"});
    EXPECT_EQ(R({"SETRANGE", "n", "1", "x"}), I(4));
    EXPECT_EQ(R({"GET", "n"}), B("1x34"));
    EXPECT_EQ(R({"TTL", "n"}), I(100));
}

// ---- DEL / UNLINK / EXISTS / TOUCH / TYPE ----

TEST_F(Cmds, DelExistsTouch)
{
    R({"MSET", "a", "1", "b", "2", "c", "3"});
    EXPECT_EQ(R({"EXISTS", "a", "a", "nope"}), I(2));
    EXPECT_EQ(R({"TOUCH", "a", "b", "nope"}), I(2));
    EXPECT_EQ(R({"DEL", "a", "nope", "a"}), I(1));
    EXPECT_EQ(R({"UNLINK", "b", "c"}), I(2));
    EXPECT_EQ(R({"EXISTS", "a", "b", "c"}), I(0));
    EXPECT_EQ(cmds_shim_key_count(s), 0u);
    EXPECT_EQ(R({"DEL"}), WrongArgs("del"));
}

TEST_F(Cmds, DelOfExpiredKeyCountsZero)
{
    R({"SET", "k", "v", "PX", "10"});
    Advance(11);
    EXPECT_EQ(R({"DEL", "k"}), I(0));
    EXPECT_EQ(R({"EXISTS", "k"}), I(0));
}

TEST_F(Cmds, Type)
{
    R({"SET", "s", "v"});
    EXPECT_EQ(R({"TYPE", "s"}), "+string\r\n");
    EXPECT_EQ(R({"TYPE", "nope"}), "+none\r\n");
}

// ---- EXPIRE family ----

TEST_F(Cmds, ExpireBasic)
{
    EXPECT_EQ(R({"EXPIRE", "nope", "10"}), I(0));
    R({"SET", "k", "v"});
    EXPECT_EQ(R({"TTL", "k"}), I(-1));
    EXPECT_EQ(R({"EXPIRE", "k", "100"}), I(1));
    EXPECT_EQ(R({"TTL", "k"}), I(100));
    EXPECT_EQ(R({"PEXPIRE", "k", "1500"}), I(1));
    EXPECT_EQ(R({"PTTL", "k"}), I(1500));
    EXPECT_EQ(R({"EXPIREAT", "k", std::to_string(T0 / 1000 + 30)}), I(1));
    EXPECT_EQ(R({"TTL", "k"}), I(30));
    EXPECT_EQ(R({"EXPIRETIME", "k"}), I(T0 / 1000 + 30));
    EXPECT_EQ(R({"PEXPIREAT", "k", std::to_string(T0 + 2500)}), I(1));
    EXPECT_EQ(R({"PEXPIRETIME", "k"}), I(T0 + 2500));
    EXPECT_EQ(R({"TTL", "k"}), I(3));
    Advance(2400);
    EXPECT_EQ(R({"PTTL", "k"}), I(100));
    EXPECT_EQ(R({"TTL", "k"}), I(0));
    Advance(101);
    EXPECT_EQ(R({"TTL", "k"}), I(-2));
    EXPECT_EQ(R({"PTTL", "k"}), I(-2));
    EXPECT_EQ(R({"EXPIRETIME", "k"}), I(-2));
    EXPECT_EQ(R({"PEXPIRETIME", "k"}), I(-2));
}

TEST_F(Cmds, ExpireInPastDeletes)
{
    R({"SET", "k", "v"});
    EXPECT_EQ(R({"EXPIRE", "k", "-1"}), I(1));
    EXPECT_EQ(R({"EXISTS", "k"}), I(0));
    R({"SET", "k", "v"});
    EXPECT_EQ(R({"PEXPIRE", "k", "0"}), I(1));
    EXPECT_EQ(R({"EXISTS", "k"}), I(0));
    R({"SET", "k", "v"});
    EXPECT_EQ(R({"EXPIREAT", "k", "1"}), I(1));
    EXPECT_EQ(R({"EXISTS", "k"}), I(0));
    R({"SET", "k", "v"});
    EXPECT_EQ(R({"EXPIRE", "k", "-9223372036854775"}), I(1));
    EXPECT_EQ(cmds_shim_key_count(s), 0u);
}

TEST_F(Cmds, ExpireErrors)
{
    R({"SET", "k", "v"});
    const std::string nxconf = E("ERR NX and XX, GT or LT options at the same time are not compatible");
    const std::string gtlt = E("ERR GT and LT options at the same time are not compatible");
    EXPECT_EQ(R({"EXPIRE", "k", "100", "NX", "XX"}), nxconf);
    EXPECT_EQ(R({"EXPIRE", "k", "100", "NX", "GT"}), nxconf);
    EXPECT_EQ(R({"EXPIRE", "k", "100", "nx", "gt", "lt"}), nxconf);
    EXPECT_EQ(R({"EXPIRE", "nope", "100", "NX", "XX"}), nxconf);
    EXPECT_EQ(R({"EXPIRE", "k", "100", "GT", "LT"}), gtlt);
    EXPECT_EQ(R({"EXPIRE", "k", "100", "FOO"}), E("ERR Unsupported option FOO"));
    EXPECT_EQ(R({"EXPIRE", "k", "abc", "FOO"}), E("ERR Unsupported option FOO"));
    EXPECT_EQ(R({"EXPIRE", "k", "abc", "NX", "XX"}), nxconf);
    EXPECT_EQ(R({"EXPIRE", "k", "abc"}), NOTINT);
    EXPECT_EQ(R({"EXPIRE", "k", "9223372036854775"}), BadExpire("expire"));
    EXPECT_EQ(R({"EXPIREAT", "k", "9223372036854776"}), BadExpire("expireat"));
    EXPECT_EQ(R({"PEXPIRE", "k", "9223372036854775807"}), BadExpire("pexpire"));
    EXPECT_EQ(R({"EXPIRE", "k"}), WrongArgs("expire"));
    EXPECT_EQ(R({"TTL", "k"}), I(-1));
    EXPECT_EQ(R({"PEXPIREAT", "k", "9223372036854775807"}), I(1));
    EXPECT_EQ(R({"PEXPIRETIME", "k"}), I(9223372036854775807LL));
    EXPECT_EQ(R({"EXPIRETIME", "k"}), I(9223372036854776LL));
}

TEST_F(Cmds, ExpireNxXxGtLt)
{
    R({"SET", "k", "v"});
    EXPECT_EQ(R({"EXPIRE", "k", "100", "XX"}), I(0));
    EXPECT_EQ(R({"EXPIRE", "k", "100", "GT"}), I(0)); // no TTL = infinite
    EXPECT_EQ(R({"EXPIRE", "k", "-5", "XX"}), I(0));
    EXPECT_EQ(R({"EXISTS", "k"}), I(1));
    EXPECT_EQ(R({"EXPIRE", "k", "100", "LT"}), I(1));
    EXPECT_EQ(R({"EXPIRE", "k", "100", "NX"}), I(0));
    EXPECT_EQ(R({"EXPIRE", "k", "50", "GT"}), I(0));
    EXPECT_EQ(R({"EXPIRE", "k", "100", "GT"}), I(0)); // equal is not greater
    EXPECT_EQ(R({"EXPIRE", "k", "500", "gt"}), I(1));
    EXPECT_EQ(R({"TTL", "k"}), I(500));
    EXPECT_EQ(R({"EXPIRE", "k", "500", "LT"}), I(0));
    EXPECT_EQ(R({"EXPIRE", "k", "50", "LT"}), I(1));
    EXPECT_EQ(R({"TTL", "k"}), I(50));
    EXPECT_EQ(R({"EXPIRE", "k", "60", "XX"}), I(1));
    EXPECT_EQ(R({"EXPIRE", "k", "60", "xx", "xx"}), I(1));
    EXPECT_EQ(R({"EXPIRE", "k", "70", "GT", "XX"}), I(1));
    EXPECT_EQ(R({"TTL", "k"}), I(70));
    R({"SET", "k", "v"});
    EXPECT_EQ(R({"EXPIRE", "k", "100", "NX"}), I(1));
    EXPECT_EQ(R({"EXPIRE", "k", "0", "LT"}), I(1));
    EXPECT_EQ(R({"EXISTS", "k"}), I(0));
}

TEST_F(Cmds, Persist)
{
    EXPECT_EQ(R({"PERSIST", "nope"}), I(0));
    R({"SET", "k", "v"});
    EXPECT_EQ(R({"PERSIST", "k"}), I(0));
    R({"EXPIRE", "k", "10"});
    EXPECT_EQ(cmds_shim_volatile_count(s), 1u);
    EXPECT_EQ(R({"PERSIST", "k"}), I(1));
    EXPECT_EQ(R({"TTL", "k"}), I(-1));
    EXPECT_EQ(cmds_shim_volatile_count(s), 0u);
    Advance(100000);
    EXPECT_EQ(R({"GET", "k"}), B("v"));
}

// ---- RENAME / RENAMENX / COPY ----

TEST_F(Cmds, Rename)
{
    EXPECT_EQ(R({"RENAME", "nope", "x"}), E("ERR no such key"));
    EXPECT_EQ(R({"RENAME", "nope", "nope"}), E("ERR no such key"));
    EXPECT_EQ(R({"RENAMENX", "nope", "x"}), E("ERR no such key"));
    R({"SET", "s", "v"});
    EXPECT_EQ(R({"RENAME", "s", "s"}), OK);
    EXPECT_EQ(R({"RENAMENX", "s", "s"}), I(0));
    EXPECT_EQ(R({"GET", "s"}), B("v"));
    R({"EXPIRE", "s", "100"});
    EXPECT_EQ(R({"RENAME", "s", "t"}), OK);
    EXPECT_EQ(R({"TTL", "t"}), I(100));
    EXPECT_EQ(R({"EXISTS", "s"}), I(0));
    R({"SET", "u", "1"});
    EXPECT_EQ(R({"RENAMENX", "t", "u"}), I(0));
    EXPECT_EQ(R({"RENAME", "t", "u"}), OK);
    EXPECT_EQ(R({"GET", "u"}), B("v"));
    EXPECT_EQ(R({"TTL", "u"}), I(100));
    EXPECT_EQ(R({"RENAMENX", "u", "w"}), I(1));
    EXPECT_EQ(R({"GET", "w"}), B("v"));
    EXPECT_EQ(cmds_shim_key_count(s), 1u);
    // a persistent source replaces a volatile destination's TTL too
    R({"SET", "p", "1"});
    R({"SET", "q", "2", "EX", "5"});
    EXPECT_EQ(R({"RENAME", "p", "q"}), OK);
    EXPECT_EQ(R({"TTL", "q"}), I(-1));
    // keys in different slots of the same worker
    R({"SET", "{a}x", "42"});
    EXPECT_EQ(R({"RENAME", "{a}x", "{b}y"}), OK);
    EXPECT_EQ(R({"GET", "{b}y"}), B("42"));
    EXPECT_EQ(R({"OBJECT", "ENCODING", "{b}y"}), B("int"));
}

TEST_F(Cmds, RenameNxOntoExpiredDestination)
{
    R({"SET", "a", "1"});
    R({"SET", "b", "2", "PX", "5"});
    Advance(6);
    EXPECT_EQ(R({"RENAMENX", "a", "b"}), I(1));
    EXPECT_EQ(R({"GET", "b"}), B("1"));
}

TEST_F(Cmds, Copy)
{
    R({"SET", "u", "v", "EX", "100"});
    EXPECT_EQ(R({"COPY", "u", "u"}), E("ERR source and destination objects are the same"));
    EXPECT_EQ(R({"COPY", "nope", "x"}), I(0));
    EXPECT_EQ(R({"COPY", "u", "x"}), I(1));
    EXPECT_EQ(R({"GET", "x"}), B("v"));
    EXPECT_EQ(R({"TTL", "x"}), I(100));
    R({"SET", "u", "w"});
    EXPECT_EQ(R({"COPY", "u", "x"}), I(0));
    EXPECT_EQ(R({"GET", "x"}), B("v"));
    EXPECT_EQ(R({"COPY", "u", "x", "REPLACE"}), I(1));
    EXPECT_EQ(R({"GET", "x"}), B("w"));
    EXPECT_EQ(R({"TTL", "x"}), I(-1));
    EXPECT_EQ(R({"COPY", "u", "x", "replace", "REPLACE"}), I(1));
    EXPECT_EQ(R({"COPY", "u", "x", "DB", "0", "REPLACE"}), I(1));
    EXPECT_EQ(R({"GET", "u"}), B("w"));
}

TEST_F(Cmds, CopyErrors)
{
    R({"SET", "u", "v"});
    // databases is 16 (Redis's default): 1 is a valid index Tessera does not serve
    EXPECT_EQ(R({"COPY", "u", "x", "DB", "1"}), E("ERR Tessera serves database 0 only"));
    EXPECT_EQ(R({"COPY", "u", "x", "DB", "16"}), E("ERR DB index is out of range"));
    EXPECT_EQ(R({"COPY", "u", "x", "DB", "-1"}), E("ERR DB index is out of range"));
    EXPECT_EQ(R({"COPY", "u", "x", "DB", "abc"}), NOTINT);
    EXPECT_EQ(R({"COPY", "u", "x", "DB", "2147483648"}),
              E("ERR value is out of range, value must between -2147483648 and 2147483647"));
    EXPECT_EQ(R({"COPY", "u", "x", "DB"}), SYNTAX);
    EXPECT_EQ(R({"COPY", "u", "x", "FOO"}), SYNTAX);
    EXPECT_EQ(R({"COPY", "u"}), WrongArgs("copy"));
    EXPECT_EQ(R({"EXISTS", "x"}), I(0));
}

// ---- OBJECT / MEMORY ----

TEST_F(Cmds, ObjectEncodingRefcount)
{
    R({"SET", "i", "100"});
    R({"SET", "j", "100000"});
    R({"SET", "e", "abc"});
    R({"SET", "r", "012345678901234567890123456789012345678901234567890"});
    EXPECT_EQ(R({"OBJECT", "ENCODING", "i"}), B("int"));
    EXPECT_EQ(R({"OBJECT", "ENCODING", "j"}), B("int"));
    EXPECT_EQ(R({"object", "encoding", "e"}), B("embstr"));
    EXPECT_EQ(R({"OBJECT", "ENCODING", "r"}), B("raw"));
    EXPECT_EQ(R({"OBJECT", "ENCODING", "nope"}), NIL);
    EXPECT_EQ(R({"OBJECT", "REFCOUNT", "i"}), I(2147483647));
    EXPECT_EQ(R({"OBJECT", "REFCOUNT", "j"}), I(1));
    EXPECT_EQ(R({"OBJECT", "REFCOUNT", "e"}), I(1));
    EXPECT_EQ(R({"OBJECT", "REFCOUNT", "nope"}), NIL);
}

TEST_F(Cmds, ObjectIdletimeFreq)
{
    R({"SET", "k", "v"});
    EXPECT_EQ(R({"OBJECT", "IDLETIME", "k"}), I(0));
    Advance(5000);
    EXPECT_EQ(R({"OBJECT", "IDLETIME", "k"}), I(5)); // OBJECT itself does not touch
    EXPECT_EQ(R({"OBJECT", "IDLETIME", "k"}), I(5));
    EXPECT_EQ(R({"TTL", "k"}), I(-1)); // nor does TTL
    EXPECT_EQ(R({"OBJECT", "IDLETIME", "k"}), I(5));
    cmds_shim_set_no_touch(s, 1);
    EXPECT_EQ(R({"GET", "k"}), B("v"));
    EXPECT_EQ(R({"OBJECT", "IDLETIME", "k"}), I(5)); // CLIENT NO-TOUCH
    EXPECT_EQ(R({"TOUCH", "k"}), I(1));              // TOUCH touches anyway
    EXPECT_EQ(R({"OBJECT", "IDLETIME", "k"}), I(0));
    cmds_shim_set_no_touch(s, 0);
    Advance(3000);
    EXPECT_EQ(R({"GET", "k"}), B("v"));
    EXPECT_EQ(R({"OBJECT", "IDLETIME", "k"}), I(0));
    EXPECT_EQ(R({"OBJECT", "IDLETIME", "nope"}), NIL);
    EXPECT_EQ(R({"OBJECT", "FREQ", "k"}),
              E("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that "
                "when switching between policies at runtime LRU and LFU data will take some time to adjust."));
    EXPECT_EQ(R({"OBJECT", "FREQ", "nope"}), NIL);
}

TEST_F(Cmds, ObjectErrorsAndHelp)
{
    EXPECT_EQ(R({"OBJECT"}), WrongArgs("object"));
    EXPECT_EQ(R({"OBJECT", "ENCODING"}), WrongArgs("object|encoding"));
    EXPECT_EQ(R({"OBJECT", "foo"}), E("ERR unknown subcommand 'foo'. Try OBJECT HELP."));
    std::string h = R({"OBJECT", "HELP"});
    EXPECT_EQ(h.substr(0, 71), "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n");
    EXPECT_EQ(h.substr(h.size() - 31), "+HELP\r\n+    Prints this help.\r\n");
}

TEST_F(Cmds, MemoryUsage)
{
    R({"SET", "e", "abc"});
    std::string u = R({"MEMORY", "USAGE", "e"});
    ASSERT_EQ(u[0], ':');
    long long n = std::stoll(u.substr(1));
    EXPECT_GT(n, 3);
    EXPECT_LT(n, 256);
    EXPECT_EQ(R({"MEMORY", "USAGE", "e", "SAMPLES", "5"}), u);
    EXPECT_EQ(R({"MEMORY", "USAGE", "e", "samples", "0"}), u);
    EXPECT_EQ(R({"MEMORY", "USAGE", "nope"}), NIL);
    EXPECT_EQ(R({"MEMORY", "USAGE", "e", "SAMPLES", "-1"}), SYNTAX);
    EXPECT_EQ(R({"MEMORY", "USAGE", "nope", "SAMPLES", "-1"}), SYNTAX);
    EXPECT_EQ(R({"MEMORY", "USAGE", "e", "SAMPLES", "x"}), NOTINT);
    EXPECT_EQ(R({"MEMORY", "USAGE", "e", "SAMPLES"}), SYNTAX);
    EXPECT_EQ(R({"MEMORY", "USAGE", "e", "foo"}), SYNTAX);
    EXPECT_EQ(R({"MEMORY", "USAGE"}), WrongArgs("memory|usage"));
    EXPECT_EQ(R({"MEMORY", "foo"}), E("ERR unknown subcommand 'foo'. Try MEMORY HELP."));
    // a big value costs at least its bytes
    R({"SET", "big", std::string(10000, 'x')});
    u = R({"MEMORY", "USAGE", "big"});
    EXPECT_GE(std::stoll(u.substr(1)), 10000);
    std::string h = R({"MEMORY", "HELP"});
    EXPECT_EQ(h.substr(0, 5), "*14\r\n");
}

// ---- Per-key helpers ----

TEST_F(Cmds, PerKeyHelpers)
{
    R({"SET", "a", "1", "EX", "100"});
    R({"SET", "b", "2"});
    EXPECT_EQ(cmds_shim_exists_key(s, "a"), 1);
    EXPECT_EQ(cmds_shim_exists_key(s, "z"), 0);
    EXPECT_EQ(cmds_shim_move_value(s, "z", "y", 0), -1);
    EXPECT_EQ(cmds_shim_move_value(s, "a", "b", 1), 0); // refused: a was taken, v freed by caller
    EXPECT_EQ(R({"EXISTS", "a"}), I(0));
    R({"SET", "a", "1", "EX", "100"});
    EXPECT_EQ(cmds_shim_move_value(s, "a", "c", 1), 1);
    EXPECT_EQ(R({"GET", "c"}), B("1"));
    EXPECT_EQ(R({"TTL", "c"}), I(100));
    EXPECT_EQ(cmds_shim_del_key(s, "c"), 1);
    EXPECT_EQ(cmds_shim_del_key(s, "c"), 0);
}

// ---- Metadata ----

struct Meta {
    const char *name;
    int arity;
    uint32_t flags;
    int first, last, step;
    const char *acl;
    const char *ks_flags;
};

TEST(CmdsMeta, MatchesRedis)
{
    const uint32_t W = CMDS_SHIM_WRITE, RO = CMDS_SHIM_READONLY, DO = CMDS_SHIM_DENYOOM, F = CMDS_SHIM_FAST;
    const Meta want[] = {
        {"get", 2, RO | F, 1, 1, 1, "read string fast", "RO ACCESS"},
        {"set", -3, W | DO, 1, 1, 1, "write string slow", "RW ACCESS UPDATE VARIABLE_FLAGS"},
        {"setnx", 3, W | DO | F, 1, 1, 1, "write string fast", "OW INSERT"},
        {"getdel", 2, W | F, 1, 1, 1, "write string fast", "RW ACCESS DELETE"},
        {"mget", -2, RO | F, 1, -1, 1, "read string fast", "RO ACCESS"},
        {"mset", -3, W | DO, 1, -1, 2, "write string slow", "OW UPDATE"},
        {"msetnx", -3, W | DO, 1, -1, 2, "write string slow", "OW INSERT"},
        {"append", 3, W | DO | F, 1, 1, 1, "write string fast", "RW INSERT"},
        {"getrange", 4, RO, 1, 1, 1, "read string slow", "RO ACCESS"},
        {"del", -2, W, 1, -1, 1, "keyspace write slow", "RM DELETE"},
        {"exists", -2, RO | F, 1, -1, 1, "keyspace read fast", "RO"},
        {"expire", -3, W | F, 1, 1, 1, "keyspace write fast", "RW UPDATE"},
        {"rename", 3, W, 1, 2, 1, "keyspace write slow", "RW ACCESS DELETE"},
        {"copy", -3, W | DO, 1, 2, 1, "keyspace write slow", "RO ACCESS"},
        {"object|encoding", 3, RO, 2, 2, 1, "keyspace read slow", "RO"},
        {"memory|usage", -3, RO, 2, 2, 1, "read slow", "RO"},
    };
    for (const Meta &m : want) {
        int arity, first, last, step;
        uint32_t flags;
        ASSERT_EQ(cmds_shim_meta(m.name, &arity, &flags, &first, &last, &step), 0) << m.name;
        EXPECT_EQ(arity, m.arity) << m.name;
        EXPECT_EQ(flags, m.flags) << m.name;
        EXPECT_EQ(first, m.first) << m.name;
        EXPECT_EQ(last, m.last) << m.name;
        EXPECT_EQ(step, m.step) << m.name;
        EXPECT_STREQ(cmds_shim_meta_str(m.name, "acl"), m.acl) << m.name;
        EXPECT_STREQ(cmds_shim_meta_str(m.name, "ks_flags"), m.ks_flags) << m.name;
    }
    EXPECT_STREQ(cmds_shim_meta_str("getex", "since"), "6.2.0");
    EXPECT_STREQ(cmds_shim_meta_str("expiretime", "group"), "generic");
    EXPECT_STREQ(cmds_shim_meta_str("incrbyfloat", "summary"), "Increment the float value of a key by the given amount");
    int arity, first, last, step;
    uint32_t flags;
    ASSERT_EQ(cmds_shim_meta("object", &arity, &flags, &first, &last, &step), 0);
    EXPECT_TRUE(flags & CMDS_SHIM_CONTAINER);
    EXPECT_EQ(cmds_shim_meta("lcs", &arity, &flags, &first, &last, &step), -1);
}

} // namespace
