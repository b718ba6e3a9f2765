// test_server_cmds.cpp: INFO formatting, COMMAND INFO shapes, CLIENT LIST
// lines, slowlog argument capping and MONITOR quoting, checked against the
// bytes redis-server 7.0.15 produces.
#include <gtest/gtest.h>

#include <string>

#include "tests/shim/server_shim.h"

static std::string
info(const char *args)
{
    static char buf[64 * 1024];
    size_t n = shim_info_text(args, buf, sizeof(buf));
    return std::string(buf, n);
}

static std::string
cmdinfo(const char *which, int resp)
{
    static char buf[64 * 1024];
    size_t n = shim_command_info(which, resp, buf, sizeof(buf));
    return std::string(buf, n);
}

TEST(Info, DefaultSectionsInRedisOrder)
{
    std::string s = info("");
    const char *order[] = { "# Server\r\n", "# Clients\r\n", "# Memory\r\n", "# Persistence\r\n", "# Stats\r\n",
                            "# Replication\r\n", "# CPU\r\n", "# Modules\r\n", "# Errorstats\r\n",
                            "# Cluster\r\n", "# Keyspace\r\n" };
    size_t pos = 0;
    for (const char *h : order) {
        size_t p = s.find(h);
        ASSERT_NE(p, std::string::npos) << h;
        EXPECT_GE(p, pos) << h;
        pos = p;
    }
    EXPECT_EQ(s.find("# Commandstats"), std::string::npos);
    EXPECT_EQ(s.compare(0, 10, "# Server\r\n"), 0);
    EXPECT_EQ(s.substr(s.size() - 2), "\r\n");
    EXPECT_EQ(s.substr(s.size() - 4), "=0\r\n"); /* ends with the keyspace line, one CRLF */
}

TEST(Info, ServerFields)
{
    std::string s = info("server");
    EXPECT_EQ(s.rfind("# Server\r\nredis_version:7.0.15\r\n", 0), 0u);
    EXPECT_NE(s.find("\r\nredis_mode:standalone\r\n"), std::string::npos);
    EXPECT_NE(s.find("\r\nmultiplexing_api:io_uring\r\n"), std::string::npos);
    EXPECT_NE(s.find("\r\nprocess_id:4242\r\n"), std::string::npos);
    EXPECT_NE(s.find("\r\nrun_id:0123456789abcdef0123456789abcdef01234567\r\n"), std::string::npos);
    EXPECT_NE(s.find("\r\ntcp_port:6379\r\n"), std::string::npos);
    EXPECT_NE(s.find("\r\nuptime_in_seconds:172805\r\nuptime_in_days:2\r\n"), std::string::npos);
    EXPECT_NE(s.find("\r\nexecutable:/usr/bin/tessera-server\r\nconfig_file:\r\nio_threads_active:0\r\n"),
              std::string::npos);
    EXPECT_NE(s.find("\r\ntessera_version:"), std::string::npos);
    EXPECT_EQ(s.find("# Clients"), std::string::npos);
}

TEST(Info, ClientsMemoryStats)
{
    std::string s = info("clients memory stats");
    EXPECT_NE(s.find("# Clients\r\nconnected_clients:3\r\n"), std::string::npos);
    EXPECT_NE(s.find("\r\nmaxclients:10000\r\n"), std::string::npos);
    EXPECT_NE(s.find("\r\n\r\n# Memory\r\nused_memory:1042016\r\nused_memory_human:1017.59K\r\n"),
              std::string::npos);
    EXPECT_NE(s.find("\r\nused_memory_rss:7041024\r\nused_memory_rss_human:6.71M\r\n"), std::string::npos);
    EXPECT_NE(s.find("\r\nused_memory_peak_perc:50.00%\r\n"), std::string::npos);
    EXPECT_NE(s.find("\r\nmaxmemory:0\r\nmaxmemory_human:0B\r\nmaxmemory_policy:noeviction\r\n"), std::string::npos);
    EXPECT_NE(s.find("\r\nmem_allocator:mimalloc-2.0.9\r\n"), std::string::npos);
    EXPECT_NE(s.find("# Stats\r\ntotal_connections_received:10\r\ntotal_commands_processed:100\r\n"
                     "instantaneous_ops_per_sec:42\r\n"),
              std::string::npos);
    EXPECT_NE(s.find("\r\nexpired_keys:8\r\n"), std::string::npos);
    EXPECT_NE(s.find("\r\nkeyspace_hits:5\r\nkeyspace_misses:6\r\n"), std::string::npos);
    EXPECT_NE(s.find("\r\ntotal_error_replies:7\r\n"), std::string::npos);
}

TEST(Info, PersistenceReplicationCpu)
{
    std::string s = info("persistence replication cpu");
    EXPECT_NE(s.find("# Persistence\r\nloading:0\r\n"), std::string::npos);
    EXPECT_NE(s.find("\r\nrdb_changes_since_last_save:0\r\nrdb_bgsave_in_progress:0\r\n"
                     "rdb_last_save_time:1700000000\r\n"),
              std::string::npos);
    EXPECT_NE(s.find("\r\naof_enabled:0\r\n"), std::string::npos);
    EXPECT_NE(s.find("# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"), std::string::npos);
    EXPECT_NE(s.find("\r\nmaster_replid:fedcba9876543210fedcba9876543210fedcba98\r\n"), std::string::npos);
    EXPECT_NE(s.find("\r\nmaster_repl_offset:0\r\n"), std::string::npos);
    EXPECT_NE(s.find("\r\nrepl_backlog_active:0\r\n"), std::string::npos);
    EXPECT_NE(s.find("# CPU\r\nused_cpu_sys:0.500000\r\nused_cpu_user:1.250000\r\n"), std::string::npos);
    EXPECT_NE(s.find("\r\nused_cpu_user_worker_1:0.500000\r\n"), std::string::npos);
}

TEST(Info, ClusterAndKeyspace)
{
    EXPECT_EQ(info("keyspace"), "# Keyspace\r\ndb0:keys=12,expires=3,avg_ttl=0\r\n");
    EXPECT_EQ(info("keyspace empty"), "# Keyspace\r\n");
    EXPECT_EQ(info("cluster"), "# Cluster\r\ncluster_enabled:1\r\ncluster_state:ok\r\n"); /* hook */
    EXPECT_EQ(info("keyspace cluster empty").find("# Cluster\r\ncluster_enabled:1"), 0u);
    EXPECT_NE(info("server cluster").find("redis_mode:cluster"), std::string::npos);
}

TEST(Info, SectionSelection)
{
    EXPECT_EQ(shim_info_mask(""), shim_info_mask("default"));
    EXPECT_EQ(shim_info_mask("all"), shim_info_mask("everything"));
    EXPECT_NE(shim_info_mask("all"), shim_info_mask("default"));
    EXPECT_EQ(shim_info_mask("nosuchsection"), 0u);
    EXPECT_EQ(info("nosuchsection"), "");
    EXPECT_NE(info("all").find("# Commandstats\r\n"), std::string::npos);
}

TEST(Info, BytesHuman)
{
    char b[32];
    shim_bytes_human(0, b, sizeof(b));
    EXPECT_STREQ(b, "0B");
    shim_bytes_human(1023, b, sizeof(b));
    EXPECT_STREQ(b, "1023B");
    shim_bytes_human(1024, b, sizeof(b));
    EXPECT_STREQ(b, "1.00K");
    shim_bytes_human(25276502016ULL, b, sizeof(b));
    EXPECT_STREQ(b, "23.54G");
}

TEST(CommandInfo, GetMatchesRedisResp2)
{
    EXPECT_EQ(cmdinfo("get", 2),
              "*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n+@read\r\n+@string\r\n"
              "+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n"
              "$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n"
              "$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n"
              "$5\r\nlimit\r\n:0\r\n*0\r\n");
}

TEST(CommandInfo, GetMatchesRedisResp3)
{
    EXPECT_EQ(cmdinfo("get", 3),
              "*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n+@read\r\n+@string\r\n"
              "+@fast\r\n~0\r\n~1\r\n%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n"
              "$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n%1\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n%2\r\n"
              "$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n%3\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n"
              "$5\r\nlimit\r\n:0\r\n~0\r\n");
}

TEST(CommandInfo, MsetMatchesRedis)
{
    EXPECT_EQ(cmdinfo("mset", 2),
              "*10\r\n$4\r\nmset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:-1\r\n:2\r\n*3\r\n+@write\r\n"
              "+@string\r\n+@slow\r\n*2\r\n$26\r\nrequest_policy:multi_shard\r\n$29\r\nresponse_policy:all_succeeded"
              "\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+OW\r\n+update\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n"
              "$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n"
              "$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n:2\r\n$5\r\nlimit\r\n"
              ":0\r\n*0\r\n");
}

TEST(CommandInfo, ClientContainer)
{
    std::string s = cmdinfo("client", 2);
    EXPECT_EQ(s.rfind("*10\r\n$6\r\nclient\r\n:-2\r\n*0\r\n:0\r\n:0\r\n:0\r\n*1\r\n+@slow\r\n*0\r\n*0\r\n*14\r\n", 0),
              0u)
        << s.substr(0, 80);
    EXPECT_NE(s.find("*10\r\n$11\r\nclient|list\r\n:-2\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n+stale\r\n"
                     ":0\r\n:0\r\n:0\r\n*4\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n+@connection\r\n*1\r\n$23\r\n"
                     "nondeterministic_output\r\n*0\r\n*0\r\n"),
              std::string::npos);
    std::string s3 = cmdinfo("client", 3);
    EXPECT_EQ(s3.rfind("*10\r\n$6\r\nclient\r\n:-2\r\n~0\r\n:0\r\n:0\r\n:0\r\n~1\r\n+@slow\r\n~0\r\n~0\r\n*14\r\n", 0),
              0u);
}

TEST(ClientList, LineFormat)
{
    char buf[1024];
    shim_client_line("", 0, buf, sizeof(buf));
    EXPECT_EQ(std::string(buf).rfind("id=7 addr=127.0.0.1:40000 laddr=127.0.0.1:6379 fd=9 name= age=5 idle=3 flags=N db=0 "
                      "sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=16358 argv-mem=0 multi-mem=0 rbs=1024 "
                      "rbp=1024 obl=0 oll=0 omem=0 tot-mem=", 0), 0u);
}

TEST(ClientList, Flags)
{
    char buf[1024];
    shim_client_line("worker1", 1u << 1 /* CL_NO_EVICT */, buf, sizeof(buf));
    std::string s(buf);
    EXPECT_NE(s.find(" name=worker1 "), std::string::npos);
    EXPECT_NE(s.find(" flags=e "), std::string::npos);
    EXPECT_NE(s.find(" events=r cmd=client|list user=default redir=-1 resp=2\n"), std::string::npos);
    EXPECT_EQ(s.back(), '\n');
    shim_client_line("", 1u << 4 /* CL_MONITOR */, buf, sizeof(buf));
    EXPECT_NE(std::string(buf).find(" flags=O "), std::string::npos);
}

TEST(Slowlog, ArgumentCapping)
{
    char buf[512];
    EXPECT_EQ(shim_slowlog_cap(3, 5, 1, buf, sizeof(buf)), 3);
    EXPECT_STREQ(buf, "aaaaa");
    EXPECT_EQ(shim_slowlog_cap(2, 200, 0, buf, sizeof(buf)), 2);
    EXPECT_EQ(std::string(buf), std::string(128, 'a') + "... (72 more bytes)");
    EXPECT_EQ(shim_slowlog_cap(2, 128, 0, buf, sizeof(buf)), 2);
    EXPECT_EQ(std::string(buf), std::string(128, 'a'));
    EXPECT_EQ(shim_slowlog_cap(40, 1, 31, buf, sizeof(buf)), 32);
    EXPECT_STREQ(buf, "... (9 more arguments)");
    EXPECT_EQ(shim_slowlog_cap(32, 1, 31, buf, sizeof(buf)), 32);
    EXPECT_STREQ(buf, "a");
}

TEST(Monitor, QuotingMatchesRedis)
{
    char buf[512];
    const char *argv[] = { "set", "a b", "x\"y\\n\x01\xc3\xa9" };
    size_t lens[] = { 3, 3, 8 };
    shim_monitor_line(1795308648109855LL, "127.0.0.1:46032", 3, argv, lens, buf, sizeof(buf));
    /* redis-server 7.0.15's bytes for the same command */
    EXPECT_STREQ(buf, "+1795308648.109855 [0 127.0.0.1:46032] \"set\" \"a b\" \"x\\\"y\\\\n\\x01\\xc3\\xa9\"\r\n");
    const char *ctl[] = { "echo", "\r\n\t\a\b" };
    size_t cl[] = { 4, 5 };
    shim_monitor_line(1000000000000005LL, "1.2.3.4:5", 2, ctl, cl, buf, sizeof(buf));
    EXPECT_STREQ(buf, "+1000000000.000005 [0 1.2.3.4:5] \"echo\" \"\\r\\n\\t\\a\\b\"\r\n");
}

TEST(Monitor, Redaction)
{
    char buf[512];
    const char *a1[] = { "auth", "foo" };
    size_t l1[] = { 4, 3 };
    shim_monitor_line(1795308648116167LL, "127.0.0.1:46048", 2, a1, l1, buf, sizeof(buf));
    EXPECT_STREQ(buf, "+1795308648.116167 [0 127.0.0.1:46048] \"auth\" \"(redacted)\"\r\n");
    const char *a2[] = { "hello", "3", "AUTH", "u", "p", "SETNAME", "n" };
    size_t l2[] = { 5, 1, 4, 1, 1, 7, 1 };
    shim_monitor_line(1000000, "x:1", 7, a2, l2, buf, sizeof(buf));
    EXPECT_STREQ(buf, "+1.000000 [0 x:1] \"hello\" \"3\" \"AUTH\" \"(redacted)\" \"(redacted)\" \"SETNAME\" \"n\"\r\n");
}
