// RDB interoperation with a real redis-server 7.0.15 (Debian's), both ways:
//   - redis-server SAVEs a dataset; Tessera's loader reads the file
//     (LZF-compressed and integer-encoded strings, listpack and hashtable
//     hashes, intset and hashtable sets, TTLs, its AUX fields);
//   - Tessera's writer writes a dataset; redis-server starts from the file.
// Both sides hold the same commands' result, checked with DEBUG DIGEST /
// DIGEST-VALUE (Tessera computes them the same way, digest.h) and values.
// Skipped when /usr/bin/redis-server is missing. Ports 24010-24011
// (this test's block: 24000-24099), loopback only; the server is stopped
// by its PID.
#include <gtest/gtest.h>

#include <dirent.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tests/shim/rdb_shim.h"
#include "tests/unit/net/resp_client.h"

extern char **environ;

using Bytes = std::vector<uint8_t>;

namespace {

const char *kRedis = "/usr/bin/redis-server";
const int64_t kFuture = 4102444800000LL; // 2100-01-01, in ms

// A redis-server child on loopback, stopped (by PID) and its directory
// removed when the object goes.
class RedisServer {
  public:
    RedisServer(int port, const std::string &dir, const std::string &dbfile) : port_(port), dir_(dir)
    {
        std::vector<std::string> args = {kRedis,        "--port",          std::to_string(port),
                                         "--bind",      "127.0.0.1",       "--save",
                                         "",            "--appendonly",    "no",
                                         "--dir",       dir,               "--dbfilename",
                                         dbfile,        "--logfile",       dir + "/redis.log",
                                         "--daemonize", "no",              "--enable-debug-command",
                                         "yes",         "--protected-mode", "no"};
        std::vector<char *> argv;
        for (auto &a : args)
            argv.push_back(const_cast<char *>(a.c_str()));
        argv.push_back(nullptr);
        if (posix_spawn(&pid_, kRedis, nullptr, nullptr, argv.data(), environ) != 0)
            pid_ = 0;
    }
    ~RedisServer()
    {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            int st;
            for (int i = 0; i < 500 && waitpid(pid_, &st, WNOHANG) == 0; i++)
                usleep(10000);
            if (waitpid(pid_, &st, WNOHANG) == 0) {
                kill(pid_, SIGKILL);
                waitpid(pid_, &st, 0);
            }
        }
    }
    bool started() const { return pid_ > 0; }
    // A client once the server answers PING (it says LOADING until its
    // RDB is in). Bounded: 10 s.
    bool
    wait_ready()
    {
        (void)&StartServer; /* resp_client.h's in-process server is not used here */
        g_port = port_;
        for (int i = 0; i < 200; i++) {
            Client c;
            if (c.Call({"PING"}) == "+PONG")
                return true;
            usleep(50000);
        }
        return false;
    }
    std::string log() const
    {
        std::ifstream in(dir_ + "/redis.log");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

  private:
    int port_;
    std::string dir_;
    pid_t pid_ = 0;
};

// A fresh temporary directory, removed with its files at the end.
struct TmpDir {
    std::string path;
    TmpDir()
    {
        char tmpl[] = "/tmp/tessera-rdb-XXXXXX";
        path = mkdtemp(tmpl) ? tmpl : "";
    }
    ~TmpDir()
    {
        if (DIR *d = opendir(path.c_str())) {
            while (dirent *e = readdir(d))
                if (e->d_name[0] != '.')
                    unlink((path + "/" + e->d_name).c_str());
            closedir(d);
        }
        rmdir(path.c_str());
    }
};

using Cmd = std::vector<std::string>;

// The dataset, as commands both sides understand: strings of every
// encoding (int, embstr, raw; compressible ones that Redis LZF-compresses),
// hashes and sets in both encodings, TTLs on each type.
std::vector<Cmd>
dataset()
{
    std::vector<Cmd> cmds = {
        {"SET", "int", "12345"},        {"SET", "neg", "-7"},
        {"SET", "bigint", "12345678901"}, {"SET", "lead0", "007"},
        {"SET", "empty", ""},           {"SET", "short", "hello"},
        {"SET", "lzf", std::string(30000, 'a') + "tail"},
        {"SET", std::string("bin\0key", 7), std::string("\0\xff\x01", 3)},
        {"SET", "12", "a key that is an integer"},
        {"SET", "ttl:str", "v", "PXAT", std::to_string(kFuture + 1)},
    };
    std::string noise;
    uint32_t x = 1;
    for (int i = 0; i < 25000; i++, x = x * 1664525u + 1013904223u)
        noise += static_cast<char>(x >> 24);
    cmds.push_back({"SET", "noise", noise});
    auto hash = [&](const std::string &k, int n, size_t vlen) {
        Cmd c = {"HSET", k};
        for (int i = 0; i < n; i++)
            c.push_back("f" + std::to_string(i)), c.push_back(std::string(vlen, 'v') + std::to_string(i * 7));
        cmds.push_back(c);
    };
    hash("h:small", 10, 3);
    hash("h:big", 600, 4);
    hash("h:longval", 2, 100);
    hash("ttl:h", 4, 1);
    cmds.push_back({"HSET", "h:ints", "1", "2", "300", "-40000", "big", "9223372036854775807"});
    auto set = [&](const std::string &k, int n, const std::string &prefix, int step) {
        Cmd c = {"SADD", k};
        for (int i = 0; i < n; i++)
            c.push_back(prefix + std::to_string(i * step - 50));
        cmds.push_back(c);
    };
    set("s:intset", 20, "", 3);
    set("s:wide", 3, "", 100000);
    set("s:bigints", 600, "", 1);
    set("s:words", 1500, "w", 1);
    set("s:few", 3, "m", 1);
    set("ttl:s", 5, "", 1);
    cmds.push_back({"PEXPIREAT", "ttl:h", std::to_string(kFuture + 2)});
    cmds.push_back({"PEXPIREAT", "ttl:s", std::to_string(kFuture + 3)});
    return cmds;
}

// Apply one dataset command to a Tessera keyspace.
void
apply_cmd(rdbx_ks_t *ks, const Cmd &c)
{
    const std::string &k = c[1];
    if (c[0] == "SET") {
        int64_t ttl = c.size() == 5 ? std::stoll(c[4]) : -1;
        rdbx_set_str(ks, k.data(), k.size(), c[2].data(), c[2].size(), ttl);
    } else if (c[0] == "HSET") {
        for (size_t i = 2; i + 1 < c.size(); i += 2)
            rdbx_hset(ks, k.data(), k.size(), c[i].data(), c[i].size(), c[i + 1].data(), c[i + 1].size(), -1);
    } else if (c[0] == "SADD") {
        for (size_t i = 2; i < c.size(); i++)
            rdbx_sadd(ks, k.data(), k.size(), c[i].data(), c[i].size(), -1);
    } else {
        ASSERT_TRUE(rdbx_pexpireat(ks, k.data(), k.size(), std::stoll(c[2])));
    }
}

std::vector<std::string>
keys_of(const std::vector<Cmd> &cmds)
{
    std::vector<std::string> ks;
    for (auto &c : cmds)
        if (c[0] != "PEXPIREAT")
            ks.push_back(c[1]);
    return ks;
}

// Redis (through c) and Tessera's keyspace ks hold the same data.
void
expect_same(Client &c, rdbx_ks_t *ks, const std::vector<std::string> &keys)
{
    EXPECT_EQ(c.Call({"DBSIZE"}), ":" + std::to_string(rdbx_count(ks)));
    char d[41];
    rdbx_digest(ks, d);
    EXPECT_EQ(c.Call({"DEBUG", "DIGEST"}), std::string("+") + d);
    for (auto &k : keys) {
        ASSERT_TRUE(rdbx_digest_value(ks, k.data(), k.size(), d)) << k;
        EXPECT_EQ(c.Call({"DEBUG", "DIGEST-VALUE", k}), std::string("*1[+") + d + "]") << k;
        EXPECT_EQ(c.Call({"TYPE", k}), std::string("+") + rdbx_type(ks, k.data(), k.size())) << k;
        EXPECT_EQ(c.Call({"OBJECT", "ENCODING", k}), std::string("$") + rdbx_encoding(ks, k.data(), k.size()))
            << k;
        EXPECT_EQ(c.Call({"PEXPIRETIME", k}), ":" + std::to_string(rdbx_expire(ks, k.data(), k.size()))) << k;
    }
    // A few values read back byte for byte.
    char buf[40000];
    size_t n = 0;
    for (const char *k : {"noise", "lzf", "int", "12"}) {
        ASSERT_TRUE(rdbx_get_str(ks, k, strlen(k), buf, sizeof(buf), &n)) << k;
        EXPECT_EQ(c.Call({"GET", k}), "$" + std::string(buf, n)) << k;
    }
    ASSERT_TRUE(rdbx_hget(ks, "h:big", 5, "f299", 4, buf, sizeof(buf), &n));
    EXPECT_EQ(c.Call({"HGET", "h:big", "f299"}), "$" + std::string(buf, n));
    EXPECT_EQ(c.Call({"HLEN", "h:big"}), ":" + std::to_string(rdbx_len(ks, "h:big", 5)));
    EXPECT_TRUE(rdbx_sismember(ks, "s:words", 7, "w1449", 5));
    EXPECT_EQ(c.Call({"SISMEMBER", "s:words", "w1449"}), ":1");
    EXPECT_EQ(c.Call({"SCARD", "s:bigints"}), ":" + std::to_string(rdbx_len(ks, "s:bigints", 9)));
}

Bytes
read_file(const std::string &path)
{
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

class RdbInterop : public ::testing::Test {
  protected:
    void
    SetUp() override
    {
        if (access(kRedis, X_OK) != 0)
            GTEST_SKIP() << kRedis << " is not installed";
        rdbx_setup();
        ASSERT_FALSE(dir_.path.empty());
    }
    TmpDir dir_;
};

TEST_F(RdbInterop, LoadsWhatRedisSaved)
{
    RedisServer srv(24010, dir_.path, "dump.rdb");
    ASSERT_TRUE(srv.started());
    ASSERT_TRUE(srv.wait_ready()) << srv.log();
    Client c;
    std::vector<Cmd> cmds = dataset();
    rdbx_ks_t *want = rdbx_ks_create();
    for (auto &cmd : cmds) {
        ASSERT_NE(c.Call(cmd)[0], '-') << cmd[0] << " " << cmd[1];
        apply_cmd(want, cmd);
    }
    ASSERT_EQ(c.Call({"SAVE"}), "+OK");
    Bytes f = read_file(dir_.path + "/dump.rdb");
    ASSERT_GT(f.size(), 1000u);
    // Whole, byte by byte and in random chunks.
    struct {
        size_t chunk;
        uint32_t seed;
    } modes[] = {{0, 0}, {1, 0}, {1500, 5}};
    for (auto m : modes) {
        rdbx_ks_t *got = rdbx_ks_create();
        rdbx_result r;
        rdbx_load(got, f.data(), f.size(), m.chunk, m.seed, 0, &r);
        ASSERT_EQ(r.status, 1) << r.err;
        EXPECT_EQ(r.used, f.size());
        EXPECT_EQ(r.version, 10);
        EXPECT_STREQ(r.redis_ver, "7.0.15");
        EXPECT_GE(r.aux, 5); // redis-ver, redis-bits, ctime, used-mem, aof-base (+ repl-*)
        EXPECT_EQ(r.keys, rdbx_count(want));
        expect_same(c, got, keys_of(cmds));
        rdbx_ks_destroy(got);
    }
    // And what Tessera built from the same commands matches too.
    expect_same(c, want, keys_of(cmds));
    rdbx_ks_destroy(want);
}

TEST_F(RdbInterop, RedisLoadsWhatTesseraWrote)
{
    std::vector<Cmd> cmds = dataset();
    rdbx_ks_t *ks = rdbx_ks_create();
    for (auto &cmd : cmds)
        apply_cmd(ks, cmd);
    uint8_t *out = nullptr;
    size_t n = rdbx_write(ks, 10, &out);
    {
        std::ofstream o(dir_.path + "/tessera.rdb", std::ios::binary);
        o.write(reinterpret_cast<const char *>(out), static_cast<std::streamsize>(n));
    }
    free(out);
    RedisServer srv(24011, dir_.path, "tessera.rdb");
    ASSERT_TRUE(srv.started());
    ASSERT_TRUE(srv.wait_ready()) << srv.log();
    EXPECT_NE(srv.log().find("Done loading RDB, keys loaded: " + std::to_string(rdbx_count(ks))), std::string::npos)
        << srv.log();
    Client c;
    expect_same(c, ks, keys_of(cmds));
    rdbx_ks_destroy(ks);
}

} // namespace
