// test_cluster.cpp: single-node cluster mode: CLUSTER replies (RESP2/3),
// nodes.conf round trips and corrupt files, redirection decisions, and
// snapshot publication under concurrent readers.
#include "tests/shim/cluster_shim.h"

#include <gtest/gtest.h>

#include <dirent.h>
#include <errno.h>
#include <fstream>
#include <sstream>
#include <stdlib.h>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

const char *kA = "1db3e8e9d3e7b4c3d74972e1a2bf39b40b7c8e36";
const char *kB = "163c9aac53adab7ecf1a5d2e5cbc3525f2d0c8b1";
const char *kC = "dadd523aa063dfba0cd2ce0aba85f8e946eb9727";

std::string
Cmd(const std::string &line, int resp = 2)
{
    std::vector<char> out(1 << 20);
    size_t n = cls_run(resp, line.c_str(), out.data(), out.size());
    EXPECT_LT(n, out.size());
    return std::string(out.data(), std::min(n, out.size() - 1));
}

std::string
Route(uint16_t slot, bool write, uint32_t flags, int *rc)
{
    char out[256];
    *rc = cls_route(slot, write, flags, out, sizeof(out));
    return out;
}

std::string
Bulk(const std::string &s)
{
    return "$" + std::to_string(s.size()) + "\r\n" + s + "\r\n";
}

std::string
Verbatim(const std::string &s)
{
    return "=" + std::to_string(s.size() + 4) + "\r\ntxt:" + s + "\r\n";
}

std::string
Slurp(const std::string &path)
{
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

class Cluster : public ::testing::Test {
  protected:
    void SetUp() override
    {
        cls_cfg_reset(true);
        cls_client_set_flags(0);
        cls_fresh(kA, "127.0.0.1", 30001, 40001, nullptr);
    }
    void TearDown() override { cls_teardown(); }
};

class TempDir {
  public:
    TempDir()
    {
        char tmpl[] = "/tmp/tessera-cluster-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir()
    {
        DIR *d = opendir(path.c_str());
        if (d) {
            while (dirent *e = readdir(d))
                if (e->d_name[0] != '.')
                    unlink((path + "/" + e->d_name).c_str());
            closedir(d);
        }
        rmdir(path.c_str());
    }
    std::vector<std::string> Files() const
    {
        std::vector<std::string> v;
        DIR *d = opendir(path.c_str());
        while (dirent *e = readdir(d))
            if (e->d_name[0] != '.')
                v.push_back(e->d_name);
        closedir(d);
        return v;
    }
    std::string path;
};

}  // namespace

/* ---- Simple subcommands ---- */

TEST_F(Cluster, KeyslotMyidLinks)
{
    EXPECT_EQ(Cmd("CLUSTER KEYSLOT foo"), ":12182\r\n");
    EXPECT_EQ(Cmd("cluster keyslot {user1000}.following"), ":3443\r\n");
    EXPECT_EQ(Cmd("CLUSTER MYID"), Bulk(kA));
    EXPECT_EQ(Cmd("CLUSTER LINKS"), "*0\r\n");
    EXPECT_EQ(Cmd("CLUSTER COUNT-FAILURE-REPORTS " + std::string(kA)), ":0\r\n");
    EXPECT_EQ(Cmd("CLUSTER COUNT-FAILURE-REPORTS abc"), "-ERR Unknown node abc\r\n");
}

TEST_F(Cluster, UnknownSubcommandAndCounts)
{
    EXPECT_EQ(Cmd("CLUSTER FOO"), "-ERR unknown subcommand 'FOO'. Try CLUSTER HELP.\r\n");
    EXPECT_EQ(Cmd("CLUSTER info extra"), "-ERR unknown subcommand 'info'. Try CLUSTER HELP.\r\n");
    EXPECT_EQ(Cmd("CLUSTER KEYSLOT"), "-ERR unknown subcommand 'KEYSLOT'. Try CLUSTER HELP.\r\n");
    std::string help = Cmd("CLUSTER HELP");
    EXPECT_EQ(help.rfind("*", 0), 0u);
    EXPECT_NE(help.find("+CLUSTER <subcommand>"), std::string::npos);
}

TEST(ClusterDisabled, EverySubcommandRefused)
{
    cls_cfg_reset(false);
    const char *err = "-ERR This instance has cluster support disabled\r\n";
    EXPECT_EQ(Cmd("CLUSTER INFO"), err);
    EXPECT_EQ(Cmd("CLUSTER KEYSLOT foo"), err);
    EXPECT_EQ(Cmd("CLUSTER HELP"), err);
    EXPECT_EQ(Cmd("CLUSTER ADDSLOTS 1"), err);
    EXPECT_EQ(Cmd("ASKING"), err);
    EXPECT_EQ(Cmd("READONLY"), err);
    EXPECT_EQ(Cmd("READWRITE"), err);
    char sec[64];
    cls_info_section(sec, sizeof(sec));
    EXPECT_STREQ(sec, "cluster_enabled:0\r\n");
    cls_cfg_reset(true);
    cls_info_section(sec, sizeof(sec));
    EXPECT_STREQ(sec, "cluster_enabled:1\r\n");
}

TEST_F(Cluster, ConnectionFlags)
{
    EXPECT_EQ(Cmd("READONLY"), "+OK\r\n");
    EXPECT_TRUE(cls_client_flags() & CLS_CL_READONLY);
    EXPECT_EQ(Cmd("READWRITE"), "+OK\r\n");
    EXPECT_FALSE(cls_client_flags() & CLS_CL_READONLY);
    EXPECT_EQ(Cmd("ASKING"), "+OK\r\n");
    EXPECT_TRUE(cls_client_flags() & CLS_CL_ASKING);
}

/* ---- ADDSLOTS / DELSLOTS ---- */

TEST_F(Cluster, AddSlotsErrors)
{
    EXPECT_EQ(Cmd("CLUSTER ADDSLOTS 0 1 2"), "+OK\r\n");
    EXPECT_EQ(Cmd("CLUSTER ADDSLOTS 2"), "-ERR Slot 2 is already busy\r\n");
    EXPECT_EQ(Cmd("CLUSTER ADDSLOTS 5 5"), "-ERR Slot 5 specified multiple times\r\n");
    EXPECT_EQ(Cmd("CLUSTER ADDSLOTS 16384"), "-ERR Invalid or out of range slot\r\n");
    EXPECT_EQ(Cmd("CLUSTER ADDSLOTS -1"), "-ERR Invalid or out of range slot\r\n");
    EXPECT_EQ(Cmd("CLUSTER ADDSLOTS abc"), "-ERR Invalid or out of range slot\r\n");
    EXPECT_EQ(Cmd("CLUSTER ADDSLOTS"), "-ERR unknown subcommand 'ADDSLOTS'. Try CLUSTER HELP.\r\n");
    // Nothing applied when one argument fails.
    EXPECT_EQ(Cmd("CLUSTER ADDSLOTS 7 2"), "-ERR Slot 2 is already busy\r\n");
    EXPECT_EQ(Cmd("CLUSTER DELSLOTS 7"), "-ERR Slot 7 is already unassigned\r\n");
    EXPECT_EQ(Cmd("CLUSTER DELSLOTS 1"), "+OK\r\n");
    EXPECT_EQ(Cmd("CLUSTER DELSLOTS 1"), "-ERR Slot 1 is already unassigned\r\n");
    EXPECT_EQ(Cmd("CLUSTER DELSLOTS 0 0"), "-ERR Slot 0 specified multiple times\r\n");
}

TEST_F(Cluster, AddSlotsRangeErrors)
{
    EXPECT_EQ(Cmd("CLUSTER ADDSLOTSRANGE 10 5"), "-ERR start slot number 10 is greater than end slot number 5\r\n");
    EXPECT_EQ(Cmd("CLUSTER ADDSLOTSRANGE 1"),
              "-ERR wrong number of arguments for 'cluster|addslotsrange' command\r\n");
    EXPECT_EQ(Cmd("CLUSTER ADDSLOTSRANGE 1 2 3"),
              "-ERR wrong number of arguments for 'cluster|addslotsrange' command\r\n");
    EXPECT_EQ(Cmd("CLUSTER DELSLOTSRANGE 1"),
              "-ERR wrong number of arguments for 'cluster|delslotsrange' command\r\n");
    EXPECT_EQ(Cmd("CLUSTER ADDSLOTSRANGE 0 16384"), "-ERR Invalid or out of range slot\r\n");
    EXPECT_EQ(Cmd("CLUSTER ADDSLOTSRANGE 100 200 150 250"), "-ERR Slot 150 specified multiple times\r\n");
    EXPECT_EQ(Cmd("CLUSTER ADDSLOTSRANGE 100 200 300 300"), "+OK\r\n");
    EXPECT_EQ(Cmd("CLUSTER ADDSLOTSRANGE 50 100"), "-ERR Slot 100 is already busy\r\n");
    EXPECT_EQ(Cmd("CLUSTER DELSLOTSRANGE 150 160 299 300"), "-ERR Slot 299 is already unassigned\r\n");
    EXPECT_EQ(Cmd("CLUSTER DELSLOTSRANGE 150 160"), "+OK\r\n");
    std::string nodes = Cmd("CLUSTER NODES");
    EXPECT_NE(nodes.find(" connected 100-149 161-200 300\n"), std::string::npos) << nodes;
}

/* ---- NODES / INFO ---- */

TEST_F(Cluster, NodesLineFormat)
{
    Cmd("CLUSTER ADDSLOTSRANGE 0 5460");
    Cmd("CLUSTER ADDSLOTS 6000");
    std::string line = std::string(kA) + " 127.0.0.1:30001@40001 myself,master - 0 0 0 connected 0-5460 6000\n";
    EXPECT_EQ(Cmd("CLUSTER NODES"), Bulk(line));
    EXPECT_EQ(Cmd("CLUSTER NODES", 3), Verbatim(line));

    int b = cls_add_node(kB, "127.0.0.1", 30004, 30104, "node2.example", CLS_CN_SLAVE, kA, 0);
    cls_set_epochs(cls_myself(), 7, 7);
    cls_set_migrating(6000, b);
    cls_set_importing(7000, b);
    std::string want = std::string(kA) + " 127.0.0.1:30001@40001 myself,master - 0 0 7 connected 0-5460 6000 [6000->-" +
                       kB + "] [7000-<-" + kB + "]\n" + kB + " 127.0.0.1:30004@30104,node2.example slave " + kA +
                       " 0 0 7 connected\n";
    EXPECT_EQ(Cmd("CLUSTER NODES"), Bulk(want));
}

TEST_F(Cluster, InfoFields)
{
    std::string info = Cmd("CLUSTER INFO");
    EXPECT_NE(info.find("cluster_state:fail\r\n"), std::string::npos);
    EXPECT_NE(info.find("cluster_slots_assigned:0\r\n"), std::string::npos);
    EXPECT_EQ(Cmd("CLUSTER ADDSLOTSRANGE 0 16383"), "+OK\r\n");
    std::string body = "cluster_state:ok\r\n"
                       "cluster_slots_assigned:16384\r\n"
                       "cluster_slots_ok:16384\r\n"
                       "cluster_slots_pfail:0\r\n"
                       "cluster_slots_fail:0\r\n"
                       "cluster_known_nodes:1\r\n"
                       "cluster_size:1\r\n"
                       "cluster_current_epoch:0\r\n"
                       "cluster_my_epoch:0\r\n"
                       "cluster_stats_messages_sent:0\r\n"
                       "cluster_stats_messages_received:0\r\n"
                       "total_cluster_links_buffer_limit_exceeded:0\r\n";
    EXPECT_EQ(Cmd("CLUSTER INFO"), Bulk(body));
    EXPECT_EQ(Cmd("CLUSTER INFO", 3), Verbatim(body));
    EXPECT_EQ(cls_state(), 0);
    EXPECT_EQ(cls_size(), 1);
}

/* ---- SLOTS / SHARDS ---- */

TEST_F(Cluster, SlotsShapeResp2AndResp3)
{
    EXPECT_EQ(Cmd("CLUSTER SLOTS"), "*0\r\n");
    Cmd("CLUSTER ADDSLOTSRANGE 0 5460");
    int b = cls_add_node(kB, "127.0.0.1", 30002, 30102, nullptr, CLS_CN_MASTER, nullptr, 0);
    cls_add_node(kC, "127.0.0.1", 30005, 30105, "h2.test", CLS_CN_SLAVE, kB, 28);
    cls_set_owner(5461, 10922, b);
    std::string a2 = "*4\r\n$9\r\n127.0.0.1\r\n:30001\r\n" + Bulk(kA) + "*0\r\n";
    std::string b2 = "*4\r\n$9\r\n127.0.0.1\r\n:30002\r\n" + Bulk(kB) + "*0\r\n";
    std::string c2 = "*4\r\n$9\r\n127.0.0.1\r\n:30005\r\n" + Bulk(kC) + "*2\r\n$8\r\nhostname\r\n$7\r\nh2.test\r\n";
    EXPECT_EQ(Cmd("CLUSTER SLOTS"), "*2\r\n*3\r\n:0\r\n:5460\r\n" + a2 + "*4\r\n:5461\r\n:10922\r\n" + b2 + c2);
    std::string a3 = "*4\r\n$9\r\n127.0.0.1\r\n:30001\r\n" + Bulk(kA) + "%0\r\n";
    std::string s3 = Cmd("CLUSTER SLOTS", 3);
    EXPECT_EQ(s3.rfind("*2\r\n*3\r\n:0\r\n:5460\r\n" + a3, 0), 0u) << s3;
    EXPECT_NE(s3.find("%1\r\n$8\r\nhostname\r\n$7\r\nh2.test\r\n"), std::string::npos);

    // Replicas that never synced (offset 0) or are FAIL are left out.
    cls_add_node("0000000000000000000000000000000000000001", "127.0.0.1", 30006, 30106, nullptr, CLS_CN_SLAVE, kB, 0);
    EXPECT_EQ(Cmd("CLUSTER SLOTS"), "*2\r\n*3\r\n:0\r\n:5460\r\n" + a2 + "*4\r\n:5461\r\n:10922\r\n" + b2 + c2);

    // hostname endpoint: endpoint is the hostname or "?", metadata has the ip.
    cls_cfg_endpoint(CLS_ENDPOINT_HOSTNAME);
    std::string h = Cmd("CLUSTER SLOTS");
    EXPECT_EQ(h.rfind("*2\r\n*3\r\n:0\r\n:5460\r\n*4\r\n$1\r\n?\r\n:30001\r\n" + Bulk(kA) +
                          "*2\r\n$2\r\nip\r\n$9\r\n127.0.0.1\r\n",
                      0),
              0u)
        << h;
    cls_cfg_endpoint(CLS_ENDPOINT_UNKNOWN);
    h = Cmd("CLUSTER SLOTS");
    EXPECT_EQ(h.rfind("*2\r\n*3\r\n:0\r\n:5460\r\n*4\r\n$-1\r\n:30001\r\n", 0), 0u) << h;
    cls_cfg_endpoint(CLS_ENDPOINT_IP);
}

TEST_F(Cluster, ShardsShape)
{
    Cmd("CLUSTER ADDSLOTSRANGE 0 5460");
    Cmd("CLUSTER ADDSLOTS 6000");
    std::string node = "%7\r\n" + Bulk("id") + Bulk(kA) + Bulk("port") + ":30001\r\n" + Bulk("ip") + Bulk("127.0.0.1") +
                       Bulk("endpoint") + Bulk("127.0.0.1") + Bulk("role") + Bulk("master") +
                       Bulk("replication-offset") + ":0\r\n" + Bulk("health") + Bulk("online");
    std::string want3 = "*1\r\n%2\r\n" + Bulk("slots") + "*4\r\n:0\r\n:5460\r\n:6000\r\n:6000\r\n" + Bulk("nodes") +
                        "*1\r\n" + node;
    EXPECT_EQ(Cmd("CLUSTER SHARDS", 3), want3);
    std::string node2 = node;
    node2.replace(0, 4, "*14\r\n");
    std::string want2 = "*1\r\n*4\r\n" + Bulk("slots") + "*4\r\n:0\r\n:5460\r\n:6000\r\n:6000\r\n" + Bulk("nodes") +
                        "*1\r\n" + node2;
    EXPECT_EQ(Cmd("CLUSTER SHARDS", 2), want2);

    // A slot-less master gets an empty slots array; replicas follow their master.
    cls_add_node(kB, "127.0.0.1", 30002, 30102, nullptr, CLS_CN_MASTER, nullptr, 0);
    cls_add_node(kC, "127.0.0.1", 30005, 30105, nullptr, CLS_CN_SLAVE | CLS_CN_FAIL, kB, 0);
    std::string s = Cmd("CLUSTER SHARDS", 3);
    EXPECT_EQ(s.rfind("*2\r\n", 0), 0u);
    EXPECT_NE(s.find(Bulk("slots") + "*0\r\n" + Bulk("nodes") + "*2\r\n"), std::string::npos) << s;
    EXPECT_NE(s.find(Bulk("role") + Bulk("replica") + Bulk("replication-offset") + ":0\r\n" + Bulk("health") +
                     Bulk("fail")),
              std::string::npos);
}

/* ---- Keys of a slot ---- */

TEST_F(Cluster, CountAndGetKeysInSlot)
{
    cls_add_key("{t}a");
    cls_add_key("{t}b");
    cls_add_key("other");
    uint16_t slot = cls_slot_of("t", 1);
    EXPECT_EQ(Cmd("CLUSTER COUNTKEYSINSLOT " + std::to_string(slot)), ":2\r\n");
    EXPECT_EQ(Cmd("CLUSTER COUNTKEYSINSLOT 1"), ":0\r\n");
    EXPECT_EQ(Cmd("CLUSTER COUNTKEYSINSLOT x"), "-ERR value is not an integer or out of range\r\n");
    EXPECT_EQ(Cmd("CLUSTER COUNTKEYSINSLOT 16384"), "-ERR Invalid slot\r\n");
    EXPECT_EQ(Cmd("CLUSTER COUNTKEYSINSLOT -1"), "-ERR Invalid slot\r\n");
    std::string keys = Cmd("CLUSTER GETKEYSINSLOT " + std::to_string(slot) + " 10");
    EXPECT_EQ(keys.rfind("*2\r\n", 0), 0u) << keys;
    EXPECT_NE(keys.find(Bulk("{t}a")), std::string::npos);
    EXPECT_NE(keys.find(Bulk("{t}b")), std::string::npos);
    EXPECT_EQ(Cmd("CLUSTER GETKEYSINSLOT " + std::to_string(slot) + " 1").rfind("*1\r\n", 0), 0u);
    EXPECT_EQ(Cmd("CLUSTER GETKEYSINSLOT " + std::to_string(slot) + " 0"), "*0\r\n");
    EXPECT_EQ(Cmd("CLUSTER GETKEYSINSLOT 0 -1"), "-ERR Invalid slot or number of keys\r\n");
    EXPECT_EQ(Cmd("CLUSTER GETKEYSINSLOT 16384 1"), "-ERR Invalid slot or number of keys\r\n");
    EXPECT_EQ(Cmd("CLUSTER GETKEYSINSLOT a 1"), "-ERR value is not an integer or out of range\r\n");
}

/* ---- Epochs ---- */

TEST_F(Cluster, BumpAndSetConfigEpoch)
{
    EXPECT_EQ(Cmd("CLUSTER SET-CONFIG-EPOCH -5"), "-ERR Invalid config epoch specified: -5\r\n");
    EXPECT_EQ(Cmd("CLUSTER SET-CONFIG-EPOCH x"), "-ERR value is not an integer or out of range\r\n");
    EXPECT_EQ(Cmd("CLUSTER SET-CONFIG-EPOCH 3"), "+OK\r\n");
    EXPECT_NE(Cmd("CLUSTER INFO").find("cluster_current_epoch:3\r\ncluster_my_epoch:3\r\n"), std::string::npos);
    EXPECT_EQ(Cmd("CLUSTER SET-CONFIG-EPOCH 4"), "-ERR Node config epoch is already non-zero\r\n");
    EXPECT_EQ(Cmd("CLUSTER BUMPEPOCH"), "+STILL 3\r\n");
    cls_add_node(kB, "127.0.0.1", 30002, 30102, nullptr, CLS_CN_MASTER, nullptr, 0);
    cls_set_epochs(1, 3, 3);
    EXPECT_EQ(Cmd("CLUSTER BUMPEPOCH"), "+BUMPED 4\r\n");
    EXPECT_EQ(Cmd("CLUSTER BUMPEPOCH"), "+STILL 4\r\n");
    EXPECT_EQ(Cmd("CLUSTER SET-CONFIG-EPOCH 9"),
              "-ERR The user can assign a config epoch only when the node does not know any other node.\r\n");
}

TEST(ClusterEpoch, BumpFromZero)
{
    cls_cfg_reset(true);
    cls_fresh(kA, "127.0.0.1", 30001, 40001, nullptr);
    EXPECT_EQ(Cmd("CLUSTER BUMPEPOCH"), "+BUMPED 1\r\n");
    EXPECT_EQ(Cmd("CLUSTER BUMPEPOCH"), "+STILL 1\r\n");
    cls_teardown();
}

/* ---- Routing ---- */

TEST_F(Cluster, RouteDecisions)
{
    int rc;
    EXPECT_EQ(Route(5, false, 0, &rc), "-CLUSTERDOWN Hash slot not served\r\n");
    EXPECT_EQ(rc, 1);
    Cmd("CLUSTER ADDSLOTSRANGE 0 8191");
    int b = cls_add_node(kB, "127.0.0.1", 30003, 30103, "b.example", CLS_CN_MASTER, nullptr, 0);
    cls_set_owner(8192, 16383, b);
    EXPECT_EQ(cls_state(), 0);
    EXPECT_EQ(Route(5, true, 0, &rc), "");
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(Route(12182, false, 0, &rc), "-MOVED 12182 127.0.0.1:30003\r\n");
    EXPECT_EQ(rc, 1);
    cls_cfg_endpoint(CLS_ENDPOINT_HOSTNAME);
    EXPECT_EQ(Route(12182, false, 0, &rc), "-MOVED 12182 b.example:30003\r\n");
    cls_cfg_endpoint(CLS_ENDPOINT_UNKNOWN);
    EXPECT_EQ(Route(12182, false, 0, &rc), "-MOVED 12182 :30003\r\n");
    cls_cfg_endpoint(CLS_ENDPOINT_IP);

    // Importing: only with ASKING.
    cls_set_importing(12182, b);
    EXPECT_EQ(Route(12182, true, CLS_CL_ASKING, &rc), "");
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(Route(12182, true, 0, &rc), "-MOVED 12182 127.0.0.1:30003\r\n");
    // Migrating: executes here (ASK is decided where the keys live).
    cls_set_migrating(5, b);
    EXPECT_EQ(Route(5, false, 0, &rc), "");
    EXPECT_EQ(rc, 0);

    // Uncovered slot -> state fail -> CLUSTERDOWN.
    cls_set_owner(16000, 16000, -1);
    EXPECT_EQ(cls_state(), 1);
    EXPECT_EQ(Route(16000, false, 0, &rc), "-CLUSTERDOWN Hash slot not served\r\n");
    EXPECT_EQ(Route(5, false, 0, &rc), "-CLUSTERDOWN The cluster is down\r\n");
    EXPECT_EQ(rc, 1);
    cls_cfg_reads_when_down(true);
    EXPECT_EQ(Route(5, false, 0, &rc), "");
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(Route(5, true, 0, &rc), "-CLUSTERDOWN The cluster is down and only accepts read commands\r\n");
    EXPECT_EQ(Route(12182, false, 0, &rc), "-MOVED 12182 127.0.0.1:30003\r\n");
    cls_cfg_reads_when_down(false);
    // Without full coverage the hole does not fail the cluster.
    cls_cfg_full_coverage(false);
    EXPECT_EQ(cls_state(), 0);
    EXPECT_EQ(Route(5, true, 0, &rc), "");
    cls_cfg_full_coverage(true);
    EXPECT_EQ(cls_state(), 1);
    cls_set_owner(16000, 16000, b);
    EXPECT_EQ(cls_state(), 0);
    // An owner in FAIL fails the cluster.
    cls_set_flags(b, CLS_CN_MASTER | CLS_CN_FAIL);
    EXPECT_EQ(cls_state(), 1);
    EXPECT_EQ(Route(5, false, 0, &rc), "-CLUSTERDOWN The cluster is down\r\n");
}

TEST(ClusterRoute, ReadonlyReplica)
{
    cls_cfg_reset(true);
    cls_fresh(kA, "127.0.0.1", 30004, 30104, nullptr);
    int b = cls_add_node(kB, "127.0.0.1", 30001, 30101, nullptr, CLS_CN_MASTER, nullptr, 0);
    cls_set_owner(0, 16383, b);
    cls_add_node(kC, "127.0.0.1", 30002, 30102, nullptr, CLS_CN_MASTER, nullptr, 0);
    // Make myself a replica of B.
    cls_teardown();
    cls_fresh(kA, "127.0.0.1", 30004, 30104, nullptr);
    b = cls_add_node(kB, "127.0.0.1", 30001, 30101, nullptr, CLS_CN_MASTER, nullptr, 0);
    cls_set_owner(0, 16383, b);
    char conf[8192];
    cls_conf_text(conf, sizeof(conf));
    std::string text = std::string(kA) + " 127.0.0.1:30004@30104 myself,slave " + kB + " 0 0 0 connected\n" + kB +
                       " 127.0.0.1:30001@30101 master - 0 0 0 disconnected 0-16383\nvars currentEpoch 0 lastVoteEpoch 0\n";
    char out[8192];
    ASSERT_EQ(cls_conf_roundtrip(text.c_str(), out, sizeof(out)), 0) << out;
    EXPECT_EQ(text, out);
    cls_teardown();
    TempDir d;
    std::string path = d.path + "/nodes.conf";
    std::ofstream(path) << text;
    cls_cfg_conf_file(path.c_str());
    cls_cfg_ports(30004, 30104);
    ASSERT_EQ(cls_setup(), 0);
    int rc;
    EXPECT_EQ(Route(3300, false, CLS_CL_READONLY, &rc), "");
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(Route(3300, true, CLS_CL_READONLY, &rc), "-MOVED 3300 127.0.0.1:30001\r\n");
    EXPECT_EQ(Route(3300, false, 0, &rc), "-MOVED 3300 127.0.0.1:30001\r\n");
    cls_teardown();
}

/* ---- nodes.conf ---- */

TEST(ClusterConf, RoundTripByteExact)
{
    std::string text =
        std::string(kA) + " 127.0.0.1:30001@30101 myself,master - 0 0 1 connected 0-5460 6000 [6000->-" + kC +
        "] [7000-<-" + kC + "]\n" + kB + " 127.0.0.1:30004@30104,node4.example slave " + kA +
        " 0 0 1 disconnected\n" + kC + " 10.0.0.3:30003@30103 master,fail?,nofailover - 0 0 3 disconnected 5461-5999 6001-10922\n" +
        "0000000000000000000000000000000000000009 [::1]:1@2 noflags - 0 0 0 disconnected\n" +
        "vars currentEpoch 5 lastVoteEpoch 2\n";
    char out[16384];
    ASSERT_EQ(cls_conf_roundtrip(text.c_str(), out, sizeof(out)), 0) << out;
    EXPECT_EQ(text, out);
    // Blank lines and a missing final newline are accepted.
    std::string loose = "\n" + text.substr(0, text.size() - 1);
    ASSERT_EQ(cls_conf_roundtrip(loose.c_str(), out, sizeof(out)), 0) << out;
    EXPECT_EQ(text, out);
}

TEST(ClusterConf, LoadRules)
{
    // Placeholder master, "now" for non-zero times, epochs raised, cport default.
    std::string text = std::string(kB) + " 127.0.0.1:30004 myself,slave " + kA + " 1795303156000 1795303157000 9 connected\n" +
                       "vars currentEpoch 1 lastVoteEpoch 0\n";
    long long ping, pong;
    unsigned long long epoch, cur;
    int nnodes;
    ASSERT_EQ(cls_conf_parse_info(text.c_str(), 0, &ping, &pong, &epoch, &cur, &nnodes), 0);
    EXPECT_EQ(ping, 1000);
    EXPECT_EQ(pong, 1000);
    EXPECT_EQ(epoch, 0u); /* replica's own epoch is unknown */
    EXPECT_EQ(nnodes, 2);
    char out[4096];
    std::string zero = std::string(kB) + " 127.0.0.1:30004 myself,slave " + kA + " 0 0 9 connected\n" +
                       "vars currentEpoch 1 lastVoteEpoch 0\n";
    ASSERT_EQ(cls_conf_roundtrip(zero.c_str(), out, sizeof(out)), 0);
    EXPECT_EQ(std::string(out), std::string(kB) + " 127.0.0.1:30004@40004 myself,slave " + kA +
                                    " 0 0 0 connected\n" + kA + " :0@0 noflags - 0 0 0 disconnected\n" +
                                    "vars currentEpoch 1 lastVoteEpoch 0\n")
        << out;
    // currentEpoch is raised to the largest configEpoch; no vars line is fine.
    std::string t2 = std::string(kA) + " :0@0 myself,master - 0 0 7 connected\n";
    ASSERT_EQ(cls_conf_parse_info(t2.c_str(), 0, &ping, &pong, &epoch, &cur, &nnodes), 0);
    EXPECT_EQ(epoch, 7u);
    EXPECT_EQ(cur, 7u);
}

TEST(ClusterConf, CorruptFilesRefused)
{
    std::string id = kA;
    std::string vars = "vars currentEpoch 0 lastVoteEpoch 0\n";
    struct Case {
        std::string bad;
        bool is_vars;
    };
    std::vector<Case> cases = {
        {id + " 127.0.0.1:30001@30101 myself,master - 0 0", false},                   // truncated line
        {id.substr(0, 39) + " 127.0.0.1:30001@30101 myself,master - 0 0 0 connected", false}, // short id
        {"1DB3E8E9D3E7B4C3D74972E1A2BF39B40B7C8E36 :0@0 myself,master - 0 0 0 connected", false}, // bad chars
        {id + " 127.0.0.1:30001@30101 myself,master - 0 0 0 connected 5-3", false},   // bad range
        {id + " 127.0.0.1:30001@30101 myself,master - 0 0 0 connected 16384", false}, // out of range
        {id + " 127.0.0.1:30001@30101 myself,master - 0 0 0 connected 0-16384", false},
        {id + " 127.0.0.1:30001@30101 myself,master - 0 0 0 connected x", false},
        {id + " 127.0.0.1:30001@30101 myself,master - 0 0 0 connected [5->-abc]", false},
        {id + " 127.0.0.1:30001@30101 myself,bogus - 0 0 0 connected", false},        // unknown flag
        {id + " 127.0.0.1@30101 myself,master - 0 0 0 connected", false},              // no port
        {id + " 127.0.0.1:30001@30101 myself,master xyz 0 0 0 connected", false},     // bad master id
        {id + " 127.0.0.1:30001@30101 myself,master - 0 0 x connected", false},       // bad epoch
        {"vars currentEpoch", true},                                                  // missing vars value
        {"vars currentEpoch 1 lastVoteEpoch", true},
        {"vars currentEpoch abc", true},
    };
    for (const auto &c : cases) {
        std::string text = c.is_vars ? id + " :0@0 myself,master - 0 0 0 connected\n" + c.bad + "\n" : c.bad + "\n" + vars;
        char out[4096];
        ASSERT_EQ(cls_conf_roundtrip(text.c_str(), out, sizeof(out)), -1) << c.bad;
        EXPECT_EQ(std::string(out), "Unrecoverable error: corrupted cluster config file \"" + c.bad + "\".");
    }
    char out[4096];
    std::string nomyself = id + " :0@0 master - 0 0 0 connected\n" + vars;
    EXPECT_EQ(cls_conf_roundtrip(nomyself.c_str(), out, sizeof(out)), -1);
    EXPECT_NE(std::string(out).find("Unrecoverable error: corrupted cluster config file"), std::string::npos);
}

TEST(ClusterConf, SetupCreatesLoadsLocksAndSaves)
{
    TempDir d;
    std::string path = d.path + "/nodes.conf";
    cls_cfg_reset(true);
    cls_cfg_conf_file(path.c_str());
    cls_cfg_ports(30001, 0);
    ASSERT_EQ(cls_setup(), 0);
    char id[41];
    cls_my_id(id);
    EXPECT_TRUE(cls_id_valid(id));
    EXPECT_EQ(Slurp(path), std::string(id) + " :30001@40001 myself,master - 0 0 0 connected\n" +
                               "vars currentEpoch 0 lastVoteEpoch 0\n");
    // Locked while we run, also after a save (rename to a new inode).
    EXPECT_EQ(cls_try_lock_other(path.c_str()), -EWOULDBLOCK);
    EXPECT_EQ(Cmd("CLUSTER ADDSLOTSRANGE 0 99"), "+OK\r\n");
    EXPECT_EQ(cls_try_lock_other(path.c_str()), -EWOULDBLOCK);
    EXPECT_EQ(Cmd("CLUSTER SAVECONFIG"), "+OK\r\n");
    EXPECT_EQ(Cmd("CLUSTER BUMPEPOCH"), "+BUMPED 1\r\n");
    EXPECT_EQ(d.Files(), std::vector<std::string>{"nodes.conf"}); // no temp files left
    std::string saved = Slurp(path);
    EXPECT_EQ(saved, std::string(id) + " :30001@40001 myself,master - 0 0 1 connected 0-99\n" +
                         "vars currentEpoch 1 lastVoteEpoch 0\n");
    // A second setup on the same file while locked is refused.
    cls_teardown();
    EXPECT_EQ(cls_try_lock_other(path.c_str()), 0);

    // Restart: same ID and slots; the IP is learned from a connection.
    cls_cfg_ports(30001, 30101);
    ASSERT_EQ(cls_setup(), 0);
    char id2[41];
    cls_my_id(id2);
    EXPECT_STREQ(id, id2);
    char ip[64];
    EXPECT_FALSE(cls_my_ip(ip, sizeof(ip)));
    cls_set_my_ip_if_unknown("::ffff:127.0.0.1");
    EXPECT_TRUE(cls_my_ip(ip, sizeof(ip)));
    EXPECT_STREQ(ip, "127.0.0.1");
    cls_set_my_ip_if_unknown("10.1.1.1");
    cls_my_ip(ip, sizeof(ip));
    EXPECT_STREQ(ip, "127.0.0.1");
    EXPECT_EQ(Slurp(path), std::string(id) + " 127.0.0.1:30001@30101 myself,master - 0 0 1 connected 0-99\n" +
                               "vars currentEpoch 1 lastVoteEpoch 0\n");
    cls_teardown();

    // Corrupt file: refused.
    std::ofstream(path) << std::string(id) + " :30001@40001 myself,master - 0\n";
    EXPECT_EQ(cls_setup(), -EINVAL);
    EXPECT_EQ(cls_try_lock_other(path.c_str()), 0); // lock released on failure
    cls_cfg_conf_file("nodes.conf");
}

TEST(ClusterConf, AnnouncedAddress)
{
    TempDir d;
    std::string path = d.path + "/n.conf";
    cls_cfg_reset(true);
    cls_cfg_conf_file(path.c_str());
    cls_cfg_ports(7000, 17777);
    cls_cfg_announce("10.0.0.5", "node5.example");
    ASSERT_EQ(cls_setup(), 0);
    std::string nodes = Cmd("CLUSTER NODES");
    EXPECT_NE(nodes.find(" 10.0.0.5:7000@17777,node5.example myself,master - 0 0 0 connected\n"), std::string::npos)
        << nodes;
    cls_teardown();
    cls_cfg_reset(true);
}

TEST(ClusterIds, GeneratedIdsAreValidAndDistinct)
{
    char a[41], b[41];
    cls_gen_id(a);
    cls_gen_id(b);
    EXPECT_EQ(strlen(a), 40u);
    EXPECT_TRUE(cls_id_valid(a));
    EXPECT_STRNE(a, b);
    EXPECT_FALSE(cls_id_valid("abc"));
    EXPECT_FALSE(cls_id_valid("1DB3E8E9D3E7B4C3D74972E1A2BF39B40B7C8E36"));
}

/* ---- Snapshot publication under readers ---- */

TEST(ClusterSnapshot, ReadersWhileWriterPublishes10k)
{
    long seen = 0;
    long bad = cls_stress(2, 10000, &seen);
    EXPECT_EQ(bad, 0);
    EXPECT_GT(seen, 0);
}
