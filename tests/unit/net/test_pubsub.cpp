// Pub/Sub over the in-process runtime (2 workers), driven over loopback,
// plus runtime_post and the cluster seams called from foreign threads.
// What it checks: a PUBLISH reaches subscribers on every worker exactly
// once; counts, patterns, shard channels and PUBSUB introspection merge
// the workers' registries; unsubscribe forms; per-publisher order; closing
// a connection drops its subscriptions; the RESP2 subscribed context and
// RESP3 pushes; runtime_post runs on each worker in order;
// pubsub_deliver_external and pubsub_cluster_hook.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <errno.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tests/shim/net_shim.h"
#include "tests/shim/pubsub_shim.h"
#include "tests/unit/net/resp_client.h"

namespace {

using ClientPtr = std::unique_ptr<Client>;

// At least `per` connections on each worker; w[i] is the worker of c[i].
struct Spread {
    std::vector<ClientPtr> c;
    std::vector<int> w;
};

Spread
OnEveryWorker(int per)
{
    Spread s;
    int nw = net_shim_nworkers();
    std::vector<int> count(nw, 0);
    for (int tries = 0; tries < 256; tries++) {
        bool enough = true;
        for (int n : count)
            enough &= n >= per;
        if (enough)
            break;
        auto cl = std::make_unique<Client>();
        int w = pubsub_shim_client_worker(cl->Id(), 5000);
        if (w < 0 || count[w] >= per)
            continue; // keep the spread even; the extra connection closes
        count[w]++;
        s.w.push_back(w);
        s.c.push_back(std::move(cl));
    }
    return s;
}

std::string
Msg(const std::string &type, const std::string &ch, const std::string &m, char kind = '*')
{
    return std::string(1, kind) + "3[$" + type + ",$" + ch + ",$" + m + "]";
}

std::string
Event(const std::string &type, const std::string &ch, int n, char kind = '*')
{
    return std::string(1, kind) + "3[$" + type + "," + (ch == "nil" ? "$nil" : "$" + ch) + ",:" +
           std::to_string(n) + "]";
}

// ---- runtime_post ----

TEST(RuntimePost, ForeignThreadRunsOnEachWorker)
{
    StartServer(22050);
    int ran = -1, bad = 0;
    std::thread t([&] {
        ran = pubsub_shim_post_each(5000);
        bad = pubsub_shim_post_bad_worker();
    });
    t.join();
    EXPECT_EQ(ran, net_shim_nworkers()) << "every worker runs its task, on its own thread";
    EXPECT_EQ(bad, -EINVAL);
    // A second round: the inbox keeps working after a drain.
    std::thread t2([&] { ran = pubsub_shim_post_each(5000); });
    t2.join();
    EXPECT_EQ(ran, net_shim_nworkers());
}

// ---- PUBLISH across workers ----

TEST(PubSub, PublishReachesEveryWorkerOnce)
{
    StartServer(22051);
    Spread s = OnEveryWorker(3);
    ASSERT_EQ((int)s.c.size(), 3 * net_shim_nworkers()) << "subscribers on every worker";
    for (auto &c : s.c)
        EXPECT_EQ(c->Call({"SUBSCRIBE", "news"}), Event("subscribe", "news", 1));
    Client pub;
    EXPECT_EQ(pub.Call({"PUBLISH", "news", "hello"}), ":" + std::to_string(s.c.size()));
    for (auto &c : s.c) {
        EXPECT_EQ(c->Reply(), Msg("message", "news", "hello"));
        EXPECT_EQ(c->Call({"PING"}), "*2[$pong,$]") << "exactly one message";
    }
    EXPECT_EQ(pub.Call({"PUBLISH", "nobody", "x"}), ":0");
    EXPECT_EQ(pub.Call({"PUBSUB", "NUMSUB", "news"}), "*2[$news,:" + std::to_string(s.c.size()) + "]");
}

TEST(PubSub, CountsPatternsShardAndIntrospection)
{
    StartServer(22052);
    Spread s = OnEveryWorker(1);
    ASSERT_GE(s.c.size(), 2u);
    Client &a = *s.c[0], &b = *s.c[1]; // on different workers
    EXPECT_EQ(a.Call({"SUBSCRIBE", "a"}), Event("subscribe", "a", 1));
    a.Send(Client::Encode({"SUBSCRIBE", "b", "a"}));
    EXPECT_EQ(a.Reply(), Event("subscribe", "b", 2));
    EXPECT_EQ(a.Reply(), Event("subscribe", "a", 2)) << "a repeat is confirmed, not counted";
    EXPECT_EQ(a.Call({"PSUBSCRIBE", "n*"}), Event("psubscribe", "n*", 3));
    EXPECT_EQ(a.Call({"SSUBSCRIBE", "s"}), Event("ssubscribe", "s", 1)) << "shard channels count apart";
    EXPECT_EQ(b.Call({"SUBSCRIBE", "a"}), Event("subscribe", "a", 1));
    EXPECT_EQ(b.Call({"PSUBSCRIBE", "n*"}), Event("psubscribe", "n*", 2));

    Client q;
    EXPECT_EQ(q.Call({"PUBSUB", "NUMSUB", "a", "b", "zz"}), "*6[$a,:2,$b,:1,$zz,:0]");
    EXPECT_EQ(q.Call({"PUBSUB", "NUMSUB"}), "*0[]");
    EXPECT_EQ(q.Call({"PUBSUB", "NUMPAT"}), ":1") << "distinct patterns, as Redis 7.0";
    EXPECT_EQ(q.Call({"PUBSUB", "CHANNELS"}), "*2[$a,$b]") << "a is on both workers, listed once";
    EXPECT_EQ(q.Call({"PUBSUB", "CHANNELS", "b*"}), "*1[$b]");
    EXPECT_EQ(q.Call({"PUBSUB", "SHARDCHANNELS"}), "*1[$s]");
    EXPECT_EQ(q.Call({"PUBSUB", "SHARDNUMSUB", "s", "a"}), "*4[$s,:1,$a,:0]");

    EXPECT_EQ(q.Call({"PUBLISH", "news", "x"}), ":2");
    EXPECT_EQ(a.Reply(), "*4[$pmessage,$n*,$news,$x]");
    EXPECT_EQ(b.Reply(), "*4[$pmessage,$n*,$news,$x]");
    EXPECT_EQ(q.Call({"PUBLISH", "a", "y"}), ":2");
    EXPECT_EQ(a.Reply(), Msg("message", "a", "y"));
    EXPECT_EQ(b.Reply(), Msg("message", "a", "y"));
    EXPECT_EQ(q.Call({"PUBLISH", "nap", "z"}), ":2") << "channel subscriber and pattern, each counted";
    EXPECT_EQ(q.Call({"SPUBLISH", "s", "z"}), ":1");
    EXPECT_EQ(a.Reply(), "*4[$pmessage,$n*,$nap,$z]");
    EXPECT_EQ(a.Reply(), Msg("smessage", "s", "z"));
    EXPECT_EQ(b.Reply(), "*4[$pmessage,$n*,$nap,$z]");
    EXPECT_EQ(q.Call({"PUBLISH", "s", "z"}), ":0") << "shard channels are apart from channels";
    EXPECT_EQ(q.Call({"SPUBLISH", "a", "z"}), ":0");
    EXPECT_TRUE(a.Quiet(50));
    EXPECT_TRUE(b.Quiet(50));
}

TEST(PubSub, UnsubscribeForms)
{
    StartServer(22053);
    Client c;
    EXPECT_EQ(c.Call({"UNSUBSCRIBE"}), Event("unsubscribe", "nil", 0));
    EXPECT_EQ(c.Call({"PUNSUBSCRIBE"}), Event("punsubscribe", "nil", 0));
    EXPECT_EQ(c.Call({"SUNSUBSCRIBE"}), Event("sunsubscribe", "nil", 0));
    EXPECT_EQ(c.Call({"GET", "x"}), "$nil") << "not subscribed: normal commands";
    c.Send(Client::Encode({"SUBSCRIBE", "a", "b", "c"}));
    for (int i = 0; i < 3; i++)
        c.Reply();
    EXPECT_EQ(c.Call({"PSUBSCRIBE", "p1"}), Event("psubscribe", "p1", 4));
    EXPECT_EQ(c.Call({"UNSUBSCRIBE", "b"}), Event("unsubscribe", "b", 3));
    EXPECT_EQ(c.Call({"UNSUBSCRIBE", "zz"}), Event("unsubscribe", "zz", 3));
    c.Send(Client::Encode({"UNSUBSCRIBE"}));
    EXPECT_EQ(c.Reply(), Event("unsubscribe", "a", 2)) << "subscription order";
    EXPECT_EQ(c.Reply(), Event("unsubscribe", "c", 1));
    EXPECT_EQ(c.Call({"UNSUBSCRIBE"}), Event("unsubscribe", "nil", 1));
    EXPECT_EQ(c.Call({"GET", "x"}).substr(0, 20), "-ERR Can't execute '") << "still subscribed to p1";
    EXPECT_EQ(c.Call({"PUNSUBSCRIBE"}), Event("punsubscribe", "p1", 0));
    EXPECT_EQ(c.Call({"GET", "x"}), "$nil") << "left the subscribed context";
    Client p;
    EXPECT_EQ(p.Call({"PUBLISH", "a", "m"}), ":0");
    EXPECT_EQ(p.Call({"PUBSUB", "CHANNELS"}), "*0[]");
}

TEST(PubSub, PerPublisherOrderAcrossWorkers)
{
    StartServer(22054);
    Spread s = OnEveryWorker(2);
    ASSERT_EQ((int)s.c.size(), 2 * net_shim_nworkers());
    for (auto &c : s.c)
        ASSERT_EQ(c->Call({"SUBSCRIBE", "seq"}), Event("subscribe", "seq", 1));
    Spread pubs = OnEveryWorker(1); // one publisher per worker
    const int N = 2000;
    std::vector<std::thread> ts;
    for (size_t p = 0; p < pubs.c.size(); p++) {
        ts.emplace_back([&, p] {
            std::string batch;
            for (int i = 0; i < N; i++)
                batch += Client::Encode({"PUBLISH", "seq", std::to_string(p) + ":" + std::to_string(i)});
            pubs.c[p]->Send(batch);
            for (int i = 0; i < N; i++)
                pubs.c[p]->Reply();
        });
    }
    size_t np = pubs.c.size();
    for (auto &c : s.c) {
        std::vector<int> next(np, 0);
        for (size_t k = 0; k < N * np; k++) {
            std::string r = c->Reply();
            size_t colon = r.rfind(':'), comma = r.rfind(",$");
            ASSERT_NE(colon, std::string::npos) << r;
            size_t p = std::stoul(r.substr(comma + 2, colon - comma - 2));
            int i = std::stoi(r.substr(colon + 1));
            ASSERT_LT(p, np);
            ASSERT_EQ(i, next[p]) << "publisher " << p << "'s messages in order";
            next[p]++;
        }
    }
    for (auto &t : ts)
        t.join();
}

TEST(PubSub, CloseDropsSubscriptions)
{
    StartServer(22055);
    Client q;
    {
        Spread s = OnEveryWorker(2);
        for (auto &c : s.c) {
            ASSERT_EQ(c->Call({"SUBSCRIBE", "gone"}), Event("subscribe", "gone", 1));
            ASSERT_EQ(c->Call({"PSUBSCRIBE", "g*"}), Event("psubscribe", "g*", 2));
            ASSERT_EQ(c->Call({"SSUBSCRIBE", "sg"}), Event("ssubscribe", "sg", 1));
        }
        EXPECT_EQ(q.Call({"PUBSUB", "NUMSUB", "gone"}), "*2[$gone,:" + std::to_string(s.c.size()) + "]");
        std::string info = q.Call({"INFO", "stats"});
        EXPECT_NE(info.find("pubsub_channels:1\r\npubsub_patterns:1\r\npubsubshard_channels:1\r\n"),
                  std::string::npos);
    } // every subscriber disconnects
    std::string r;
    for (int i = 0; i < 500; i++) {
        r = q.Call({"PUBSUB", "NUMSUB", "gone"});
        if (r == "*2[$gone,:0]")
            break;
        usleep(10000);
    }
    EXPECT_EQ(r, "*2[$gone,:0]");
    EXPECT_EQ(q.Call({"PUBSUB", "NUMPAT"}), ":0");
    EXPECT_EQ(q.Call({"PUBSUB", "SHARDNUMSUB", "sg"}), "*2[$sg,:0]");
    EXPECT_EQ(q.Call({"PUBLISH", "gone", "x"}), ":0");
    std::string info = q.Call({"INFO", "stats"});
    EXPECT_NE(info.find("pubsub_channels:0\r\npubsub_patterns:0\r\npubsubshard_channels:0\r\n"), std::string::npos);
}

TEST(PubSub, SubscribedContextAndResp3)
{
    StartServer(22056);
    Client c2;
    EXPECT_EQ(c2.Call({"SUBSCRIBE", "a"}), Event("subscribe", "a", 1));
    EXPECT_EQ(c2.Call({"GET", "x"}), "-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
                                     "QUIT / RESET are allowed in this context");
    EXPECT_EQ(c2.Call({"CLIENT", "LIST"}).substr(0, 32), "-ERR Can't execute 'client|list'");
    EXPECT_EQ(c2.Call({"PING"}), "*2[$pong,$]");
    EXPECT_EQ(c2.Call({"PING", "hi"}), "*2[$pong,$hi]");
    EXPECT_EQ(c2.Call({"RESET"}), "+RESET");
    EXPECT_EQ(c2.Call({"GET", "x"}), "$nil") << "RESET leaves the context";
    EXPECT_EQ(c2.Call({"PING"}), "+PONG");

    Client c3;
    EXPECT_EQ(c3.Call({"HELLO", "3"}).substr(0, 3), "%14");
    EXPECT_EQ(c3.Call({"SUBSCRIBE", "r3"}), Event("subscribe", "r3", 1, '>'));
    EXPECT_EQ(c3.Call({"GET", "x"}), "_") << "RESP3 allows every command";
    EXPECT_EQ(c3.Call({"PING"}), "+PONG");
    Client p;
    EXPECT_EQ(p.Call({"PUBLISH", "r3", "m"}), ":1");
    EXPECT_EQ(c3.Reply(), Msg("message", "r3", "m", '>'));
    // Publishing to oneself: the message comes before the count, as Redis.
    c3.Send(Client::Encode({"PUBLISH", "r3", "self"}));
    EXPECT_EQ(c3.Reply(), Msg("message", "r3", "self", '>'));
    EXPECT_EQ(c3.Reply(), ":1");
    EXPECT_EQ(c3.Call({"UNSUBSCRIBE"}), Event("unsubscribe", "r3", 0, '>'));
}

TEST(PubSub, ExternalDeliveryFromForeignThread)
{
    StartServer(22057);
    pubsub_shim_capture_hook(1);
    Spread s = OnEveryWorker(2);
    ASSERT_EQ((int)s.c.size(), 2 * net_shim_nworkers());
    for (size_t i = 0; i < s.c.size(); i++) {
        if (i % 2)
            ASSERT_EQ(s.c[i]->Call({"SUBSCRIBE", "ext"}), Event("subscribe", "ext", 1));
        else
            ASSERT_EQ(s.c[i]->Call({"SSUBSCRIBE", "sx"}), Event("ssubscribe", "sx", 1));
    }
    std::thread t([] {
        for (int i = 0; i < 100; i++) {
            pubsub_shim_deliver_external(0, "ext", ("m" + std::to_string(i)).c_str());
            pubsub_shim_deliver_external(1, "sx", ("s" + std::to_string(i)).c_str());
        }
        pubsub_shim_deliver_external(0, "sx", "not-for-shard");
        pubsub_shim_deliver_external(1, "ext", "not-for-channel");
    });
    t.join();
    for (size_t i = 0; i < s.c.size(); i++) {
        for (int k = 0; k < 100; k++) {
            if (i % 2)
                ASSERT_EQ(s.c[i]->Reply(), Msg("message", "ext", "m" + std::to_string(k)));
            else
                ASSERT_EQ(s.c[i]->Reply(), Msg("smessage", "sx", "s" + std::to_string(k)));
        }
        EXPECT_EQ(s.c[i]->Call({"PING"}), "*2[$pong,$]") << "nothing else arrived";
    }
    EXPECT_EQ(pubsub_shim_hook_calls(), 0) << "external messages are not sent back to the cluster";
    pubsub_shim_capture_hook(0);
}

TEST(PubSub, ClusterHookAfterLocalDelivery)
{
    StartServer(22058);
    pubsub_shim_capture_hook(1);
    Client sub, pub;
    EXPECT_EQ(sub.Call({"SUBSCRIBE", "h1"}), Event("subscribe", "h1", 1));
    EXPECT_EQ(pub.Call({"PUBLISH", "h1", "payload"}), ":1");
    EXPECT_EQ(sub.Reply(), Msg("message", "h1", "payload"));
    // The hook ran before the reply was written.
    EXPECT_EQ(pubsub_shim_hook_calls(), 1);
    int sharded = -1;
    char ch[64], msg[64];
    pubsub_shim_hook_last(&sharded, ch, sizeof(ch), msg, sizeof(msg));
    EXPECT_EQ(sharded, 0);
    EXPECT_STREQ(ch, "h1");
    EXPECT_STREQ(msg, "payload");
    EXPECT_EQ(pub.Call({"SPUBLISH", "nobody", "m2"}), ":0");
    EXPECT_EQ(pubsub_shim_hook_calls(), 2) << "called with no local subscriber too";
    pubsub_shim_hook_last(&sharded, ch, sizeof(ch), msg, sizeof(msg));
    EXPECT_EQ(sharded, 1);
    EXPECT_STREQ(ch, "nobody");
    EXPECT_STREQ(msg, "m2");
    pubsub_shim_capture_hook(0);
}

} // namespace
