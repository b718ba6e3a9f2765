// Dispatch tests: an in-process runtime (2 workers) driven over loopback.
// They check what the dispatcher promises: replies in request order across
// workers, every key on the worker owning its slot, fan-outs that see the
// connection's earlier writes, and cross-worker multi-key commands that no
// reader observes half-done.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "tests/shim/net_shim.h"

#include "tests/unit/net/resp_client.h"

namespace {

// Two keys owned by different workers.
std::pair<std::string, std::string>
KeysOnTwoWorkers()
{
    std::string a = "atom:a";
    for (int i = 0; i < 1000; i++) {
        std::string b = "atom:b" + std::to_string(i);
        if (net_shim_key_worker(a.c_str()) != net_shim_key_worker(b.c_str()))
            return {a, b};
    }
    return {a, a};
}

} // namespace

TEST(Dispatch, PipelineKeepsOrderAcrossWorkers)
{
    StartServer(23101);
    Client c;
    ASSERT_EQ(c.Call({"FLUSHALL"}), "+OK");
    const int n = 4000;
    std::string pipe;
    for (int i = 0; i < n; i++) {
        std::string k = "ord:" + std::to_string(i);
        pipe += Client::Encode({"SET", k, std::to_string(i)});
        pipe += Client::Encode({"GET", k});
        pipe += Client::Encode({"INCR", "ctr:" + std::to_string(i % 5)});
        pipe += Client::Encode({"GET", "ord:" + std::to_string(i / 2)});
    }
    c.Send(pipe);
    for (int i = 0; i < n; i++) {
        ASSERT_EQ(c.Reply(), "+OK") << i;
        ASSERT_EQ(c.Reply(), "$" + std::to_string(i)) << i;
        ASSERT_EQ(c.Reply(), ":" + std::to_string(i / 5 + 1)) << i;
        ASSERT_EQ(c.Reply(), "$" + std::to_string(i / 2)) << i;
    }
    // Every key sits on the worker that owns its slot, and both workers got some.
    std::vector<uint64_t> expect(net_shim_nworkers(), 0);
    for (int i = 0; i < n; i++)
        expect[net_shim_key_worker(("ord:" + std::to_string(i)).c_str())]++;
    for (int i = 0; i < 5; i++)
        expect[net_shim_key_worker(("ctr:" + std::to_string(i)).c_str())]++;
    ASSERT_EQ(c.Call({"PING"}), "+PONG"); // quiesce: everything above is applied
    for (int w = 0; w < net_shim_nworkers(); w++) {
        EXPECT_GT(expect[w], 0u);
        EXPECT_EQ(net_shim_worker_keys(w), expect[w]) << "worker " << w;
    }
}

TEST(Dispatch, FanoutSeesEarlierPipelinedWrites)
{
    StartServer(23102);
    Client c;
    ASSERT_EQ(c.Call({"FLUSHALL"}), "+OK");
    auto ab = KeysOnTwoWorkers();
    std::string pipe;
    for (int i = 0; i < 300; i++) {
        pipe += Client::Encode({"SET", "fan:" + std::to_string(i), "v"});
        if (i % 50 == 0) // cross-worker commands in between, holding key locks
            pipe += Client::Encode({"MSET", ab.first, "x", ab.second, "y"});
    }
    pipe += Client::Encode({"DBSIZE"});
    pipe += Client::Encode({"KEYS", "fan:29?"});
    c.Send(pipe);
    for (int i = 0; i < 300; i++) {
        ASSERT_EQ(c.Reply(), "+OK");
        if (i % 50 == 0) {
            ASSERT_EQ(c.Reply(), "+OK");
        }
    }
    EXPECT_EQ(c.Reply(), ":302");
    std::string keys = c.Reply();
    EXPECT_EQ(keys.substr(0, 5), "*10[$");
}

TEST(Dispatch, CrossWorkerMsetIsAtomic)
{
    StartServer(23103);
    auto ab = KeysOnTwoWorkers();
    ASSERT_NE(ab.first, ab.second);
    {
        Client c;
        ASSERT_EQ(c.Call({"MSET", ab.first, "0", ab.second, "0"}), "+OK");
    }
    std::atomic<bool> stop{false};
    std::atomic<long> reads{0}, torn{0};
    std::thread writer([&] {
        Client c;
        for (int v = 1; v <= 3000 && !stop; v++)
            if (c.Call({"MSET", ab.first, std::to_string(v), ab.second, std::to_string(v)}) != "+OK")
                torn++;
        stop = true;
    });
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; r++)
        readers.emplace_back([&] {
            Client c;
            while (!stop) {
                std::string m = c.Call({"MGET", ab.first, ab.second});
                // "*2[$v,$v]": both halves equal
                size_t comma = m.find(',');
                if (m.substr(3, comma - 3) != m.substr(comma + 1, m.size() - comma - 2))
                    torn++;
                reads++;
            }
        });
    writer.join();
    for (auto &t : readers)
        t.join();
    EXPECT_GT(reads.load(), 0);
    EXPECT_EQ(torn.load(), 0);
    Client c;
    EXPECT_EQ(c.Call({"MGET", ab.first, ab.second}), "*2[$3000,$3000]");
}

TEST(Dispatch, CrossWorkerRenameAndCopy)
{
    StartServer(23104);
    auto ab = KeysOnTwoWorkers();
    ASSERT_NE(ab.first, ab.second);
    Client c;
    ASSERT_EQ(c.Call({"DEL", ab.first, ab.second}).substr(0, 1), ":");
    ASSERT_EQ(c.Call({"SET", ab.first, "hello", "PX", "100000"}), "+OK");
    EXPECT_EQ(c.Call({"RENAME", ab.first, ab.second}), "+OK");
    EXPECT_EQ(c.Call({"EXISTS", ab.first}), ":0");
    EXPECT_EQ(c.Call({"GET", ab.second}), "$hello");
    EXPECT_EQ(c.Call({"PTTL", ab.second}).substr(0, 1), ":"); // TTL travelled with it
    EXPECT_NE(c.Call({"PTTL", ab.second}), ":-1");
    EXPECT_EQ(c.Call({"COPY", ab.second, ab.first}), ":1");
    EXPECT_EQ(c.Call({"COPY", ab.second, ab.first}), ":0");
    EXPECT_EQ(c.Call({"RENAMENX", ab.second, ab.first}), ":0");
    EXPECT_EQ(c.Call({"MGET", ab.first, ab.second}), "*2[$hello,$hello]");
    EXPECT_EQ(c.Call({"DEL", ab.first, ab.second, "nokey"}), ":2");
    EXPECT_EQ(c.Call({"RENAME", ab.first, ab.second}), "-ERR no such key");
    EXPECT_EQ(c.Call({"MSETNX", ab.first, "1", ab.second, "2"}), ":1");
    EXPECT_EQ(c.Call({"MSETNX", ab.first, "3", "other", "4"}), ":0");
    EXPECT_EQ(c.Call({"MSET", ab.first, "1", ab.second}), "-ERR wrong number of arguments for 'mset' command");
}

TEST(Dispatch, ErrorsKeepTheirPlaceInAPipeline)
{
    StartServer(23105);
    Client c;
    auto ab = KeysOnTwoWorkers();
    std::string pipe = Client::Encode({"SET", ab.second, "2"}) + Client::Encode({"NOSUCHCMD", "x"}) +
                       Client::Encode({"GET", ab.second}) + Client::Encode({"GET"}) +
                       Client::Encode({"GET", ab.second});
    c.Send(pipe);
    EXPECT_EQ(c.Reply(), "+OK");
    EXPECT_EQ(c.Reply(), "-ERR unknown command 'NOSUCHCMD', with args beginning with: 'x' ");
    EXPECT_EQ(c.Reply(), "$2");
    EXPECT_EQ(c.Reply(), "-ERR wrong number of arguments for 'get' command");
    EXPECT_EQ(c.Reply(), "$2");
}

namespace {

// A key owned by worker w.
std::string
KeyOnWorker(int w, const std::string &prefix)
{
    for (int i = 0; i < 100000; i++) {
        std::string k = prefix + std::to_string(i);
        if (net_shim_key_worker(k.c_str()) == w)
            return k;
    }
    return prefix;
}

int
ClientWorker(Client &c)
{
    std::string id = c.Call({"CLIENT", "ID"});
    return net_shim_client_worker(std::stoull(id.substr(1)));
}

} // namespace

// A connection pipelining far more commands for a stalled worker than a ring
// holds: the queue to that worker stops at its watermark (the connection
// waits, nothing piles up in a backlog), and once the worker runs again
// every reply arrives, in order.
TEST(Dispatch, QueueToASlowWorkerIsBounded)
{
    StartServer(23111);
    Client c;
    int mine = ClientWorker(c);
    ASSERT_GE(mine, 0);
    int other = 1 - mine;
    std::string key = KeyOnWorker(other, "slow:");
    ASSERT_EQ(c.Call({"SET", key, "v"}), "+OK");
    uint64_t congested_before = net_shim_congestions(mine);

    const int n = 20000; // five times the ring
    std::string pipe;
    for (int i = 0; i < n; i++)
        pipe += Client::Encode({"INCR", key + ":n"}) ;
    net_shim_stall_worker(other, 400);
    usleep(20000); // the stall has begun
    c.Send(pipe);
    for (int i = 0; i < n; i++)
        ASSERT_EQ(c.Reply(), ":" + std::to_string(i + 1)) << i;
    EXPECT_GT(net_shim_congestions(mine), congested_before) << "the watermark was reached";
    EXPECT_LT(net_shim_backlog_peak(mine), 64u) << "the connection stopped, not the queue";
    EXPECT_EQ(c.Call({"PING"}), "+PONG");
}

// Two connections on different workers, each flooding the other worker
// while both workers are stalled in turn: neither can wait for the other
// forever (replies always go home), and every reply arrives.
TEST(Dispatch, CrossFloodingWorkersDoNotDeadlock)
{
    StartServer(23112);
    std::vector<Client *> cs;
    Client *on[2] = {nullptr, nullptr};
    for (int tries = 0; tries < 64 && (!on[0] || !on[1]); tries++) {
        Client *c = new Client();
        cs.push_back(c);
        int w = ClientWorker(*c);
        if (w >= 0 && !on[w])
            on[w] = c;
    }
    ASSERT_TRUE(on[0] && on[1]) << "connections on both workers";
    const int n = 15000;
    std::string k0 = KeyOnWorker(1, "flood0:"), k1 = KeyOnWorker(0, "flood1:");
    std::string p0, p1;
    for (int i = 0; i < n; i++) {
        p0 += Client::Encode({"INCR", k0});
        p1 += Client::Encode({"INCR", k1});
    }
    net_shim_stall_worker(0, 200);
    std::thread t0([&] {
        on[0]->Send(p0);
        for (int i = 0; i < n; i++)
            ASSERT_EQ(on[0]->Reply(), ":" + std::to_string(i + 1)) << i;
    });
    std::thread t1([&] {
        on[1]->Send(p1);
        for (int i = 0; i < n; i++)
            ASSERT_EQ(on[1]->Reply(), ":" + std::to_string(i + 1)) << i;
    });
    usleep(100000);
    net_shim_stall_worker(1, 200);
    t0.join();
    t1.join();
    for (Client *c : cs)
        delete c;
}
