// test_config.cpp: redis.conf parsing, --arguments, CONFIG GET/SET/
// RESETSTAT/REWRITE/HELP. Expected texts were taken from Debian's
// redis-server 7.0.15.
#include <gtest/gtest.h>

#include <fstream>
#include <limits.h>
#include <sstream>
#include <stdlib.h>
#include <string>
#include <unistd.h>
#include <vector>

#include "tests/unit/core/config_client.h"

namespace {

using Config = ConfigFixture;

} // namespace

/* ---- tokenising ---- */

TEST(ConfigParse, SplitArgs)
{
    char out[256];
    EXPECT_EQ(cfg_shim_splitargs("  port   6379 ", out, sizeof(out)), 2);
    EXPECT_STREQ(out, "port|6379");
    EXPECT_EQ(cfg_shim_splitargs("a \"b c\" 'd e' \"x\\x41\\n\"", out, sizeof(out)), 4);
    EXPECT_STREQ(out, "a|b c|d e|xA\n");
    EXPECT_EQ(cfg_shim_splitargs("'it\\'s'", out, sizeof(out)), 1);
    EXPECT_STREQ(out, "it's");
    EXPECT_EQ(cfg_shim_splitargs("save \"\"", out, sizeof(out)), 2);
    EXPECT_STREQ(out, "save|");
    EXPECT_EQ(cfg_shim_splitargs("port \"abc", out, sizeof(out)), -1);
    EXPECT_EQ(cfg_shim_splitargs("port \"1\"2", out, sizeof(out)), -1);
    EXPECT_EQ(cfg_shim_splitargs("port 'a'b", out, sizeof(out)), -1);
    EXPECT_EQ(cfg_shim_splitargs("   ", out, sizeof(out)), 0);
}

TEST(ConfigParse, Repr)
{
    char out[64];
    cfg_shim_repr("a\"b\\c\n\x01", 7, out, sizeof(out));
    EXPECT_STREQ(out, "\"a\\\"b\\\\c\\n\\x01\"");
    cfg_shim_repr("", 0, out, sizeof(out));
    EXPECT_STREQ(out, "\"\"");
}

TEST(ConfigParse, MemoryValues)
{
    long long v;
    struct {
        const char *s;
        long long want;
    } ok[] = { { "0", 0 },          { "100", 100 },          { "1k", 1000 },        { "1kb", 1024 },
               { "1KB", 1024 },     { "2m", 2000000 },       { "2mb", 2097152 },    { "1g", 1000000000 },
               { "1Gb", 1073741824 }, { "5b", 5 },
               { "9223372036854775807", 9223372036854775807LL } };
    for (auto &c : ok) {
        ASSERT_EQ(cfg_shim_parse_mem(c.s, &v), 1) << c.s;
        EXPECT_EQ(v, c.want) << c.s;
    }
    for (const char *bad : { "", "1x", "-1", " 10", "1.5k", "0x10", "kb", "9223372036854775808",
                             "100000000000000000000gb" })
        EXPECT_EQ(cfg_shim_parse_mem(bad, &v), 0) << bad;
}

/* ---- loading ---- */

TEST_F(Config, Defaults)
{
    EXPECT_EQ(cfg_shim_field("port"), 6379);
    EXPECT_EQ(get("bind"), "* -::*");
    EXPECT_EQ(cfg_shim_field("nbind"), 2);
    EXPECT_STREQ(cfg_shim_bind_addr(0), "*");
    EXPECT_STREQ(cfg_shim_bind_addr(1), "-::*");
    // Redis says "3600 1 300 100 60 10000"; Tessera cannot save yet, so no
    // rule is set by default (and none can be set, see PersistenceRefused).
    EXPECT_EQ(get("save"), "");
    EXPECT_EQ(cfg_shim_save(), std::string(""));
    EXPECT_EQ(get("appendonly"), "no");
    EXPECT_EQ(get("maxmemory-policy"), "noeviction");
    EXPECT_EQ(get("appendfsync"), "everysec");
    EXPECT_EQ(get("proto-max-bulk-len"), "536870912");
    EXPECT_EQ(get("protected-mode"), "yes");
    EXPECT_EQ(get("client-output-buffer-limit"),
              "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60");
    EXPECT_EQ(get("slave-read-only"), "yes");
    EXPECT_EQ(get("threads"), "0");
    EXPECT_EQ(get("no-such-thing"), "<null>");
    EXPECT_EQ(cfg_shim_config_file(), nullptr);
    EXPECT_STREQ(cfg_shim_executable(), "/usr/bin/tessera-server");
    EXPECT_EQ(get("dir"), std::string(cwd_));
}

TEST_F(Config, Arguments)
{
    ASSERT_EQ(load({ "--port", "7000", "--hash-max-listpack-value", "1kb", "--appendonly", "NO", "--bind",
                     "127.0.0.1", "::1", "--cluster-preferred-endpoint-type", "HOSTNAME", "--loglevel", "warning",
                     "--save", "--hz", "11" }),
              0);
    EXPECT_EQ(cfg_shim_field("port"), 7000);
    EXPECT_EQ(get("hash-max-listpack-value"), "1024");
    EXPECT_EQ(cfg_shim_field("appendonly"), 0);
    EXPECT_EQ(get("appendonly"), "no");
    EXPECT_EQ(get("bind"), "127.0.0.1 ::1");
    EXPECT_EQ(cfg_shim_field("nbind"), 2);
    EXPECT_STREQ(cfg_shim_bind_addr(1), "::1");
    EXPECT_EQ(get("cluster-preferred-endpoint-type"), "hostname");
    EXPECT_EQ(get("loglevel"), "warning");
    EXPECT_EQ(cfg_shim_field("log_level"), 3);
    EXPECT_EQ(get("save"), "");
    EXPECT_EQ(cfg_shim_field("hz"), 11);
    // "--name value" in one argument, and "--save" last
    ASSERT_EQ(load({ "--port 6390", "--save" }), 0);
    EXPECT_EQ(cfg_shim_field("port"), 6390);
    EXPECT_EQ(get("save"), "");
    // hz is clamped, not refused
    ASSERT_EQ(load({ "--hz", "1000" }), 0);
    EXPECT_EQ(cfg_shim_field("hz"), 500);
}

TEST_F(Config, ArgumentErrors)
{
    std::string err;
    EXPECT_EQ(load({ "--port", "abc" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "port \"abc\"", "argument couldn't be parsed into an integer"));
    EXPECT_EQ(load({ "--bogus", "1" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "bogus \"1\"", "Bad directive or wrong number of arguments"));
    EXPECT_EQ(load({ "--maxmemory", "1x" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "maxmemory \"1x\"", "argument must be a memory value"));
    EXPECT_EQ(load({ "--appendonly", "maybe" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "appendonly \"maybe\"", "argument must be 'yes' or 'no'"));
    EXPECT_EQ(load({ "--port", "70000" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "port \"70000\"", "argument must be between 0 and 65535 inclusive"));
    EXPECT_EQ(load({ "--loglevel", "foo" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "loglevel \"foo\"",
                         "argument(s) must be one of the following: debug, verbose, notice, warning"));
    EXPECT_EQ(load({ "--maxmemory-policy", "x" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "maxmemory-policy \"x\"",
                         "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, "
                         "volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"));
    EXPECT_EQ(load({ "--port" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "port", "wrong number of arguments"));
    EXPECT_EQ(load({ "--port", "1", "2" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "port \"1\" \"2\"", "wrong number of arguments"));
    EXPECT_EQ(load({ "--port", "--hz" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "port \"--hz\"", "argument couldn't be parsed into an integer"));
    EXPECT_EQ(load({ "--hz", "1000", "--port", "abc" }, &err), -1);
    EXPECT_EQ(err, fatal(3, "port \"abc\"", "argument couldn't be parsed into an integer"));
    EXPECT_EQ(load({ "--save", "--port", "abc" }, &err), -1);
    EXPECT_EQ(err, fatal(3, "port \"abc\"", "argument couldn't be parsed into an integer"));
    EXPECT_EQ(load({ "--save", "1" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "save \"1\"", "Invalid save parameters"));
    EXPECT_EQ(load({ "--save", "0", "1" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "save \"0\" \"1\"", "Invalid save parameters"));
    EXPECT_EQ(load({ "--slaveof", "a" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "slaveof \"a\"", "wrong number of arguments"));
    EXPECT_EQ(load({ "--client-output-buffer-limit", "normal", "1", "2" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "client-output-buffer-limit \"normal\" \"1\" \"2\"",
                         "Wrong number of arguments in buffer limit configuration."));
    EXPECT_EQ(load({ "--dir", "/nonexistent-tessera" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "dir \"/nonexistent-tessera\"", "No such file or directory"));
    EXPECT_EQ(load({ "--unixsocketperm", "999" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "unixsocketperm \"999\"", "argument couldn't be parsed as an octal number"));
    EXPECT_EQ(load({ "--rename-command" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "rename-command", "Bad directive or wrong number of arguments"));
    // lines that are not options: refused when they would change what
    // clients may run, logged once when Redis itself skips them
    EXPECT_EQ(load({ "--rename-command", "flushall", "" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "rename-command \"flushall\" \"\"", "rename-command is not supported by Tessera yet"));
    EXPECT_EQ(load({ "--user", "default", "on", "nopass" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "user \"default\" \"on\" \"nopass\"", "user is not supported by Tessera yet (no ACL)"));
    EXPECT_EQ(load({ "--loadmodule", "/x.so" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "loadmodule \"/x.so\"", "loadmodule is not supported by Tessera yet (no modules)"));
}

/* No persistence yet: a directive that would write to disk is refused at
 * start-up and by CONFIG SET rather than accepted and never acted on. */
TEST_F(Config, PersistenceRefused)
{
    const std::string no_aof = "appendonly yes is not supported by Tessera yet (no persistence): use appendonly no";
    const std::string no_save = "save rules are not supported by Tessera yet (no persistence): use save \"\"";
    std::string err;
    EXPECT_EQ(load({ "--appendonly", "yes" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "appendonly \"yes\"", no_aof));
    EXPECT_EQ(load({ "--port", "7000", "--appendonly", "Yes" }, &err), -1);
    EXPECT_EQ(err, fatal(3, "appendonly \"Yes\"", no_aof));
    EXPECT_EQ(load({ "--save", "3600", "1" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "save \"3600\" \"1\"", no_save));
    EXPECT_EQ(load({ "--save", "3600 1 300 100" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "save \"3600 1 300 100\"", no_save));
    // a malformed rule still gets Redis's own error first
    EXPECT_EQ(load({ "--save", "0", "1" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "save \"0\" \"1\"", "Invalid save parameters"));
    // the usual redis.conf lines
    write("p.conf", "port 7001\nsave 900 1\nsave 300 10\n");
    EXPECT_EQ(load({ (tmpdir_ + "/p.conf").c_str() }, &err), -1);
    EXPECT_EQ(err, fatal(2, "save 900 1", no_save));
    write("a.conf", "port 7001\n\nappendonly yes\n");
    EXPECT_EQ(load({ (tmpdir_ + "/a.conf").c_str() }, &err), -1);
    EXPECT_EQ(err, fatal(3, "appendonly yes", no_aof));
    // the defaults are accepted in any spelling; appendfsync is not yet
    // either, even though it means nothing while appendonly is no
    ASSERT_EQ(load({ "--save", "", "--appendonly", "NO", "--appendfsync", "EverySec", "--dbfilename", "dump.rdb" }), 0);
    EXPECT_EQ(get("appendfsync"), "everysec");
    EXPECT_EQ(load({ "--appendfsync", "always" }, &err), -1);
    EXPECT_EQ(err, fatal(2, "appendfsync \"always\"",
                         "appendfsync always is not supported by Tessera yet (no persistence): use appendfsync everysec"));
    write("d.conf", "dbfilename other.rdb\n");
    EXPECT_EQ(load({ (tmpdir_ + "/d.conf").c_str() }, &err), -1);
    EXPECT_EQ(err, fatal(1, "dbfilename other.rdb",
                         "dbfilename other.rdb is not supported by Tessera yet (no persistence): use dbfilename dump.rdb"));
    EXPECT_EQ(get("save"), "");
    EXPECT_EQ(get("appendonly"), "no");
    ASSERT_EQ(load({ "--save" }), 0);
    EXPECT_EQ(get("save"), "");

    EXPECT_EQ(cmd({ "config", "set", "appendonly", "yes" }),
              "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - " + no_aof + "\r\n");
    EXPECT_EQ(cmd({ "config", "set", "save", "60 10000" }),
              "-ERR CONFIG SET failed (possibly related to argument 'save') - " + no_save + "\r\n");
    // atomic: the good pair is not applied either
    EXPECT_EQ(cmd({ "config", "set", "hash-max-listpack-value", "7", "appendonly", "yes" }),
              "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - " + no_aof + "\r\n");
    EXPECT_EQ(get("hash-max-listpack-value"), "64");
    EXPECT_EQ(cfg_shim_field("appendonly"), 0);
    EXPECT_EQ(cmd({ "config", "set", "appendonly", "no", "save", "" }), "+OK\r\n");
    EXPECT_EQ(cmd({ "config", "get", "save" }), "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
}

TEST_F(Config, File)
{
    write("inc.conf", "proto-max-bulk-len 2mb\n");
    std::string path = write("t.conf", "# a comment\n"
                                       "  PORT 7001  \n"
                                       "\n"
                                       "save \"\"\n"
                                       "slave-read-only YES\n"
                                       "slaveof no one\n"
                                       "requirepass \"p w\\\"d\"\n"
                                       "include " + tmpdir_ + "/inc.conf\n"
                                       "crash-log-enabled no\n"
                                       "hash-max-ziplist-entries 100\n"
                                       "client-output-buffer-limit replica 1mb 2mb 3\n"
                                       "list-max-ziplist-entries 10\n"
                                       "bind \"127.0.0.1 ::1\"\n"
                                       "dir " + tmpdir_ + "\n");
    char rel[PATH_MAX];
    ASSERT_EQ(chdir(tmpdir_.c_str()), 0);
    snprintf(rel, sizeof(rel), "t.conf");
    ASSERT_EQ(load({ rel, "--port", "7002" }), 0);
    EXPECT_EQ(cfg_shim_field("port"), 7002);
    EXPECT_EQ(get("save"), "");
    EXPECT_EQ(cfg_shim_field("replica_read_only"), 1);
    EXPECT_EQ(get("slaveof"), "");
    EXPECT_EQ(get("requirepass"), "p w\"d");
    EXPECT_EQ(cfg_shim_field("proto_max_bulk_len"), 2 * 1024 * 1024);
    EXPECT_EQ(get("crash-log-enabled"), "no");
    EXPECT_EQ(get("hash-max-listpack-entries"), "100");
    EXPECT_EQ(get("client-output-buffer-limit"),
              "normal 0 0 0 slave 1048576 2097152 3 pubsub 33554432 8388608 60");
    EXPECT_EQ(cfg_shim_field("nbind"), 2);
    EXPECT_STREQ(cfg_shim_config_file(), path.c_str());
    EXPECT_EQ(get("dir"), tmpdir_);

    std::string err;
    write("bad.conf", "port 1\n  # x\nhz \"1\\x30\"\n  port \"abc\n");
    EXPECT_EQ(load({ (tmpdir_ + "/bad.conf").c_str() }, &err), -1);
    EXPECT_EQ(err, fatal(4, "port \"abc", "Unbalanced quotes in configuration line"));
    write("bad2.conf", "port 1\nhz 10\n");
    EXPECT_EQ(load({ (tmpdir_ + "/bad2.conf").c_str(), "--port", "abc" }, &err), -1);
    EXPECT_EQ(err, fatal(4, "port \"abc\"", "argument couldn't be parsed into an integer"));
    EXPECT_EQ(load({ (tmpdir_ + "/missing.conf").c_str() }), -1);
}

/* ---- config_apply ---- */

TEST_F(Config, ApplyRuntime)
{
    char err[256];
    const char *v1[] = { "no" };
    EXPECT_EQ(cfg_shim_apply("daemonize", 1, v1, 1, err, sizeof(err)), -1);
    EXPECT_STREQ(err, "can't set immutable config");
    const char *v2[] = { "verbose" };
    EXPECT_EQ(cfg_shim_apply("LogLevel", 1, v2, 1, err, sizeof(err)), 0);
    EXPECT_EQ(cfg_shim_field("loglevel"), 1);
    EXPECT_EQ(cfg_shim_field("log_level"), 1);
    const char *v3[] = { "x" };
    EXPECT_EQ(cfg_shim_apply("appendfsync", 1, v3, 1, err, sizeof(err)), -1);
    EXPECT_STREQ(err, "argument(s) must be one of the following: everysec, always, no");
    EXPECT_EQ(cfg_shim_apply("cluster-preferred-endpoint-type", 1, v3, 1, err, sizeof(err)), -1);
    EXPECT_STREQ(err, "argument(s) must be one of the following: ip, hostname, unknown-endpoint");
    const char *v4[] = { "hostname" };
    EXPECT_EQ(cfg_shim_apply("cluster-preferred-endpoint-type", 1, v4, 1, err, sizeof(err)), 0);
    EXPECT_EQ(cfg_shim_field("endpoint"), 1);
    const char *v5[] = { "100" };
    EXPECT_EQ(cfg_shim_apply("proto-max-bulk-len", 1, v5, 1, err, sizeof(err)), -1);
    EXPECT_STREQ(err, "argument must be between 1048576 and 9223372036854775807 inclusive");
    const char *v6[] = { "-2" };
    EXPECT_EQ(cfg_shim_apply("slowlog-log-slower-than", 1, v6, 1, err, sizeof(err)), -1);
    EXPECT_STREQ(err, "argument must be between -1 and 9223372036854775807 inclusive");
    const char *v7[] = { "a/b" };
    EXPECT_EQ(cfg_shim_apply("dbfilename", 1, v7, 0, err, sizeof(err)), -1);
    EXPECT_STREQ(err, "dbfilename can't be a path, just a filename");
    const char *v8[] = { "nothing" };
    EXPECT_EQ(cfg_shim_apply("loglevel", 1, v8, 1, err, sizeof(err)), 0);
    EXPECT_EQ(get("loglevel"), "nothing");
    const char *v9[] = { "notice" };
    EXPECT_EQ(cfg_shim_apply("loglevel", 1, v9, 1, err, sizeof(err)), 0);
}

/* ---- CONFIG command ---- */

TEST_F(Config, Get)
{
    EXPECT_EQ(cmd({ "config", "get", "port" }), "*2\r\n" + bulk("port") + bulk("6379"));
    EXPECT_EQ(cmd({ "config", "get", "PORT", "port" }), "*2\r\n" + bulk("port") + bulk("6379"));
    EXPECT_EQ(cmd({ "config", "get", "port*", "port" }, 3), "%1\r\n" + bulk("port") + bulk("6379"));
    EXPECT_EQ(cmd({ "config", "get", "nothing-matches" }), "*0\r\n");
    EXPECT_EQ(cmd({ "config", "get", "slaveof" }), "*2\r\n" + bulk("slaveof") + bulk(""));
    std::string r = cmd({ "config", "get", "*read-only" });
    EXPECT_NE(r.find(bulk("replica-read-only")), std::string::npos);
    EXPECT_NE(r.find(bulk("slave-read-only")), std::string::npos);
    EXPECT_EQ(r.substr(0, 4), "*4\r\n");
    // every name of Redis 7.0.15's CONFIG GET * (192) plus threads,
    // worker-cpus and io-uring-entries
    EXPECT_EQ(cmd({ "config", "get", "*" }).substr(0, 6), "*390\r\n");
    EXPECT_EQ(cmd({ "config", "get" }), "-ERR wrong number of arguments for 'config|get' command\r\n");
}

TEST_F(Config, Set)
{
    EXPECT_EQ(cmd({ "config", "set", "hash-max-listpack-value", "3mb", "hz", "20" }), "+OK\r\n");
    EXPECT_EQ(get("hash-max-listpack-value"), "3145728");
    EXPECT_EQ(cfg_shim_field("hz"), 20);
    // atomic: nothing changes when one pair is bad
    EXPECT_EQ(cmd({ "config", "set", "hash-max-listpack-value", "1", "foo", "5" }),
              "-ERR Unknown option or number of arguments for CONFIG SET - 'foo'\r\n");
    EXPECT_EQ(cmd({ "config", "set", "hash-max-listpack-value", "1", "port", "abc" }),
              "-ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config\r\n");
    EXPECT_EQ(cmd({ "config", "set", "hash-max-listpack-value", "1", "hz", "abc" }),
              "-ERR CONFIG SET failed (possibly related to argument 'hz') - argument couldn't be parsed into an "
              "integer\r\n");
    EXPECT_EQ(cmd({ "config", "set", "hash-max-listpack-value", "1", "tls-port", "6380" }),
              "-ERR CONFIG SET failed (possibly related to argument 'tls-port') - tls-port 6380 is not supported by "
              "Tessera yet (no TLS): use tls-port 0\r\n");
    EXPECT_EQ(get("hash-max-listpack-value"), "3145728");
    EXPECT_EQ(cmd({ "config", "set", "slave-read-only", "yes", "replica-read-only", "no" }),
              "-ERR CONFIG SET failed (possibly related to argument 'replica-read-only') - duplicate parameter\r\n");
    EXPECT_EQ(cmd({ "config", "set", "hz", "1", "port" }), "-ERR syntax error\r\n");
    EXPECT_EQ(cmd({ "config", "set", "hz" }), "-ERR wrong number of arguments for 'config|set' command\r\n");
    EXPECT_EQ(cmd({ "config", "set", "appendonly", "maybe" }),
              "-ERR CONFIG SET failed (possibly related to argument 'appendonly') - argument must be 'yes' or "
              "'no'\r\n");
    EXPECT_EQ(cmd({ "config", "set", "save", "1 2 3" }),
              "-ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters\r\n");
    EXPECT_EQ(cmd({ "config", "set", "save", "10 20 30 40" }),
              "-ERR CONFIG SET failed (possibly related to argument 'save') - save rules are not supported by "
              "Tessera yet (no persistence): use save \"\"\r\n");
    EXPECT_EQ(cfg_shim_save(), std::string(""));
    EXPECT_EQ(cmd({ "config", "set", "save", "" }), "+OK\r\n");
    EXPECT_EQ(get("save"), "");
    // not yet: Redis's own validation first, then only the default
    EXPECT_EQ(cmd({ "config", "set", "maxmemory-samples", "abc" }),
              "-ERR CONFIG SET failed (possibly related to argument 'maxmemory-samples') - argument couldn't be "
              "parsed into an integer\r\n");
    EXPECT_EQ(cmd({ "config", "set", "slave-lazy-flush", "yes" }),
              "-ERR CONFIG SET failed (possibly related to argument 'slave-lazy-flush') - replica-lazy-flush yes "
              "is not supported by Tessera yet (no lazy freeing): use replica-lazy-flush no\r\n");
    EXPECT_EQ(cmd({ "config", "set", "min-slaves-to-write", "2" }), "+OK\r\n"); // acts (replication)
    EXPECT_EQ(get("min-replicas-to-write"), "2");
    EXPECT_EQ(cmd({ "config", "set", "min-slaves-to-write", "0", "active-defrag-ignore-bytes", "100mb",
                    "replica-serve-stale-data", "YES", "oom-score-adj-values", "0 0200 800", "acl-pubsub-default",
                    "ResetChannels" }),
              "+OK\r\n");
    EXPECT_EQ(get("min-replicas-to-write"), "0");
    EXPECT_EQ(get("active-defrag-ignore-bytes"), "104857600");
    EXPECT_EQ(get("replica-serve-stale-data"), "yes");
    EXPECT_EQ(get("oom-score-adj-values"), "0 200 800");
    EXPECT_EQ(get("acl-pubsub-default"), "resetchannels");
    // cosmetic: any value
    EXPECT_EQ(cmd({ "config", "set", "proc-title-template", "{title}" }), "+OK\r\n");
    EXPECT_EQ(get("proc-title-template"), "{title}");
    EXPECT_EQ(cmd({ "config", "set", "client-output-buffer-limit", "pubsub 1 2 3 normal 5 6 7" }), "+OK\r\n");
    EXPECT_EQ(get("client-output-buffer-limit"), "normal 5 6 7 slave 268435456 67108864 60 pubsub 1 2 3");
    EXPECT_EQ(cmd({ "config", "set", "unixsocketperm", "700" }),
              "-ERR CONFIG SET failed (possibly related to argument 'unixsocketperm') - can't set immutable "
              "config\r\n");
}

TEST_F(Config, SetDirProtected)
{
    EXPECT_EQ(cmd({ "config", "set", "dir", tmpdir_.c_str() }),
              "-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config\r\n");
    cfg_shim_set_protected(2); // local
    EXPECT_EQ(cmd({ "config", "set", "dir", tmpdir_.c_str() }, 2, 0),
              "-ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config\r\n");
    EXPECT_EQ(cmd({ "config", "set", "dir", tmpdir_.c_str(), "hash-max-listpack-value", "5" }, 2, 1), "+OK\r\n");
    char now[PATH_MAX];
    ASSERT_NE(getcwd(now, sizeof(now)), nullptr);
    EXPECT_EQ(std::string(now), tmpdir_);
    EXPECT_EQ(get("dir"), tmpdir_);
    EXPECT_EQ(get("hash-max-listpack-value"), "5");
    // a failing chdir leaves everything unchanged
    EXPECT_EQ(cmd({ "config", "set", "hash-max-listpack-value", "6", "dir", "/nonexistent-tessera" }),
              "-ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory\r\n");
    EXPECT_EQ(get("hash-max-listpack-value"), "5");
    cfg_shim_set_protected(0);
}

TEST_F(Config, ResetstatHelp)
{
    cfg_shim_install_resetstat_hook();
    int before = cfg_shim_resetstat_calls();
    EXPECT_EQ(cmd({ "config", "resetstat" }), "+OK\r\n");
    EXPECT_EQ(cfg_shim_resetstat_calls(), before + 1);
    std::string h = cmd({ "config", "help" });
    EXPECT_EQ(h.substr(0, 71), "*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n");
    EXPECT_NE(h.find("+    Prints this help.\r\n"), std::string::npos);
    EXPECT_EQ(cmd({ "config", "foo" }), "-ERR unknown subcommand 'foo'. Try CONFIG HELP.\r\n");
}

TEST_F(Config, RewriteWithoutFile)
{
    EXPECT_EQ(cmd({ "config", "rewrite" }), "-ERR The server is running without a config file\r\n");
}

TEST_F(Config, Rewrite)
{
    std::string path = write("r.conf", "port 27152\n"
                                       "  # comment\n"
                                       "\n"
                                       "hz \"1\\x30\"\n"
                                       "slave-read-only yes\n"
                                       "save \"\"\n"
                                       "save \"\"\n"
                                       "list-max-ziplist-entries 10\n"
                                       "Tls-Port 0\n"
                                       "appendfsync EVERYSEC\n"
                                       "slaveof no one\n"
                                       "proto-max-bulk-len 1gb\n");
    ASSERT_EQ(load({ path.c_str(), "--port", "27153", "--dir", tmpdir_.c_str() }), 0);
    EXPECT_EQ(cmd({ "config", "set", "save", "", "cluster-preferred-endpoint-type", "hostname", "requirepass",
                    "a b\"c", "proto-max-bulk-len", "64mb", "client-output-buffer-limit", "replica 1mb 2mb 3",
                    "crash-log-enabled", "no", "maxmemory", "0" }),
              "+OK\r\n");
    EXPECT_EQ(cmd({ "config", "rewrite" }), "+OK\r\n");
    // not-yet directives at their default keep their lines (canonical
    // spelling), as Redis writes them; replicaof "no one" has no line
    std::string want = "port 27153\n"
                       "# comment\n"
                       "\n"
                       "hz 10\n"
                       "replica-read-only yes\n"
                       "save \"\"\n"
                       "\n"
                       "list-max-ziplist-entries 10\n"
                       "tls-port 0\n"
                       "appendfsync everysec\n"
                       "\n"
                       "proto-max-bulk-len 64mb\n"
                       "\n"
                       "# Generated by CONFIG REWRITE\n"
                       "dir \"" + tmpdir_ + "\"\n"
                       "requirepass \"a b\\\"c\"\n"
                       "cluster-preferred-endpoint-type hostname\n"
                       "client-output-buffer-limit replica 1mb 2mb 3\n"
                       "crash-log-enabled no\n";
    EXPECT_EQ(slurp(path), want);
    // the rewritten file loads back to the same values
    ASSERT_EQ(load({ path.c_str() }), 0);
    EXPECT_EQ(get("proto-max-bulk-len"), "67108864");
    EXPECT_EQ(get("requirepass"), "a b\"c");
    EXPECT_EQ(get("save"), "");
    EXPECT_EQ(get("tls-port"), "0");
    // a second rewrite with one more change appends without a new signature
    EXPECT_EQ(cmd({ "config", "set", "jemalloc-bg-thread", "no" }), "+OK\r\n");
    EXPECT_EQ(cmd({ "config", "rewrite" }), "+OK\r\n");
    EXPECT_EQ(slurp(path), want + "\njemalloc-bg-thread no\n");
}

TEST_F(Config, CosmeticDirectivesLogOnce)
{
    ASSERT_EQ(load({ "--crash-log-enabled", "no", "--syslog-ident", "tess", "--crash-log-enabled", "yes",
                     "--lua-replicate-commands", "yes", "--tls-port", "0" }),
              0);
    EXPECT_EQ(get("syslog-ident"), "tess");
    char *out = cfg_shim_log_warnings();
    std::string log(out);
    free(out);
    const std::string w1 = "Directive 'crash-log-enabled' is accepted but has no effect in Tessera (cosmetic)";
    EXPECT_NE(log.find(w1), std::string::npos);
    EXPECT_EQ(log.find(w1), log.rfind(w1));
    EXPECT_NE(log.find("Directive 'syslog-ident' is accepted"), std::string::npos);
    EXPECT_NE(log.find("Directive 'lua-replicate-commands' is accepted"), std::string::npos);
    // neither acted-on nor not-yet directives (at their default) are logged
    EXPECT_EQ(log.find("'tls-port'"), std::string::npos);
    EXPECT_EQ(log.find("'port'"), std::string::npos);
    // once per load
    out = cfg_shim_log_warnings();
    EXPECT_STREQ(out, "");
    free(out);
}
