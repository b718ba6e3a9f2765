// Unit tests of replication's pieces: the shared stream buffer and its
// readers, a worker's effect stream (MULTI/EXEC units), and the fork-less
// snapshot's point-in-time guarantee.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/shim/repl_shim.h"

namespace {

std::string
pattern(size_t n, unsigned seed)
{
    std::string s(n, 'a');
    std::mt19937 rng(seed);
    for (auto &c : s)
        c = static_cast<char>('a' + rng() % 26);
    return s;
}

TEST(ReplBuf, ReadersSeeTheStreamFromTheirOffsetAcrossBlocks)
{
    replx_buf *b = replx_buf_create(100);
    std::string all = pattern(300 * 1024, 1);
    replx_reader *early = replx_reader_attach(b, 100);
    ASSERT_NE(early, nullptr);
    // appended in uneven pieces, some larger than a block
    size_t pos = 0;
    std::mt19937 rng(2);
    while (pos < all.size()) {
        size_t n = std::min(all.size() - pos, static_cast<size_t>(rng() % 90000 + 1));
        replx_buf_append(b, all.data() + pos, n);
        pos += n;
    }
    EXPECT_EQ(replx_buf_end(b), 100 + static_cast<int64_t>(all.size()));
    std::string got(all.size(), '\0');
    EXPECT_EQ(replx_reader_read(early, got.data(), got.size(), 7777), all.size());
    EXPECT_EQ(got, all);
    EXPECT_EQ(replx_reader_offset(early), replx_buf_end(b));
    // a reader placed in the middle reads from the byte after its offset
    replx_reader *mid = replx_reader_attach(b, 100 + 150000);
    ASSERT_NE(mid, nullptr);
    std::string rest(all.size(), '\0');
    size_t n = replx_reader_read(mid, rest.data(), rest.size(), 1 << 20);
    EXPECT_EQ(rest.substr(0, n), all.substr(150000));
    EXPECT_EQ(replx_reader_attach(b, 99), nullptr) << "before the start";
    EXPECT_EQ(replx_reader_attach(b, replx_buf_end(b) + 1), nullptr) << "after the end";
    replx_reader_detach(early);
    replx_reader_detach(mid);
    replx_buf_destroy(b);
}

TEST(ReplBuf, TrimKeepsTheBacklogWindowAndWhatReadersStillNeed)
{
    replx_buf *b = replx_buf_create(0);
    std::string chunk = pattern(1000, 3);
    replx_reader *slow = replx_reader_attach(b, 0);
    for (int i = 0; i < 1000; i++)
        replx_buf_append(b, chunk.data(), chunk.size());
    size_t mem_before = replx_buf_mem(b);
    replx_buf_trim(b, 10000);
    EXPECT_EQ(replx_buf_start(b), 0) << "the slow reader's block stays";
    // the slow reader moves on: its old blocks may go
    std::string sink(600000, '\0');
    EXPECT_EQ(replx_reader_read(slow, sink.data(), sink.size(), 65536), sink.size());
    replx_buf_trim(b, 10000);
    EXPECT_GT(replx_buf_start(b), 0);
    EXPECT_LE(replx_buf_start(b), 600000) << "not past the reader";
    EXPECT_LT(replx_buf_mem(b), mem_before);
    replx_reader_detach(slow);
    replx_buf_trim(b, 10000);
    EXPECT_GE(replx_buf_end(b) - replx_buf_start(b), 10000) << "the backlog window is kept";
    EXPECT_LT(replx_buf_end(b) - replx_buf_start(b), 10000 + 2 * 65536);
    // a PSYNC inside the window can attach, one before it cannot
    replx_reader *r = replx_reader_attach(b, replx_buf_end(b) - 10000);
    EXPECT_NE(r, nullptr);
    if (r)
        replx_reader_detach(r);
    EXPECT_EQ(replx_reader_attach(b, replx_buf_start(b) - 1), nullptr);
    replx_buf_destroy(b);
}

TEST(ReplBuf, ARestartKeepsTheOldHistoryReadableUntilItsReadersLeave)
{
    replx_buf *b = replx_buf_create(0);
    std::string old = pattern(200000, 5), fresh = pattern(1000, 6);
    replx_buf_append(b, old.data(), old.size());
    replx_reader *r = replx_reader_attach(b, 1000); // a replica of ours, mid-stream
    ASSERT_NE(r, nullptr);
    size_t mem_before = replx_buf_mem(b);
    replx_buf_restart(b, 5000000); // a full sync from our own master: a new history
    EXPECT_EQ(replx_buf_start(b), 5000000);
    EXPECT_EQ(replx_buf_end(b), 5000000);
    replx_buf_append(b, fresh.data(), fresh.size());
    // the old reader finishes the old history and never crosses into the new one
    std::string got(old.size() + fresh.size(), '\0');
    size_t n = replx_reader_read(r, got.data(), got.size(), 65536);
    EXPECT_EQ(got.substr(0, n), old.substr(1000));
    EXPECT_GE(replx_buf_mem(b), mem_before) << "the old blocks stay while a reader is in them";
    replx_reader *nr = replx_reader_attach(b, 5000000);
    ASSERT_NE(nr, nullptr);
    std::string got2(fresh.size(), '\0');
    EXPECT_EQ(replx_reader_read(nr, got2.data(), got2.size(), 4096), fresh.size());
    EXPECT_EQ(got2, fresh);
    replx_reader_detach(r);
    replx_buf_trim(b, 1 << 20);
    EXPECT_LT(replx_buf_mem(b), mem_before) << "freed once the old reader left";
    replx_reader_detach(nr);
    replx_buf_destroy(b);
}

std::string
resp(std::vector<std::string> args)
{
    std::string s = "*" + std::to_string(args.size()) + "\r\n";
    for (auto &a : args)
        s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    return s;
}

std::string
hand(replx_shard *s)
{
    size_t n;
    char *p = replx_hand_over(s, &n);
    std::string out(p, n);
    free(p);
    return out;
}

TEST(EffectStream, TransactionPartWithTwoWritesIsOneMultiExecUnit)
{
    replx_shard *s = replx_shard_create();
    const char *set[] = {"SET", "a", "1"}, *incr[] = {"INCR", "b"};
    replx_stream_cmd(s, 3, set); // before the transaction: outside the unit
    replx_tx_begin(s);
    replx_stream_cmd(s, 3, set);
    replx_stream_cmd(s, 2, incr);
    replx_tx_end(s);
    std::string want = resp({"SET", "a", "1"}) + resp({"MULTI"}) + resp({"SET", "a", "1"}) + resp({"INCR", "b"}) +
                       resp({"EXEC"});
    EXPECT_EQ(hand(s), want);
    EXPECT_EQ(replx_appended(s), want.size()) << "WAIT's counter counts every byte, MULTI and EXEC included";
    replx_shard_destroy(s);
}

TEST(EffectStream, OneWriteNeedsNoMultiAndAHandOverInBetweenLeavesTheUnitOpen)
{
    replx_shard *s = replx_shard_create();
    const char *set[] = {"SET", "a", "1"};
    replx_tx_begin(s);
    replx_stream_cmd(s, 3, set);
    replx_tx_end(s);
    EXPECT_EQ(hand(s), resp({"SET", "a", "1"}));
    // the first write already left with an earlier batch: no MULTI can go before it, so no EXEC either
    replx_tx_begin(s);
    replx_stream_cmd(s, 3, set);
    std::string first = hand(s);
    replx_stream_cmd(s, 3, set);
    replx_tx_end(s);
    EXPECT_EQ(first + hand(s), resp({"SET", "a", "1"}) + resp({"SET", "a", "1"}));
    replx_shard_destroy(s);
}

TEST(EffectStream, ACapturedPartLeavesTheStreamAndItsWrapAndCounters)
{
    replx_shard *s = replx_shard_create();
    const char *set[] = {"SET", "a", "1"}, *incr[] = {"INCR", "b"}, *del[] = {"DEL", "x"};
    replx_tx_begin(s); // a wrap of another transaction is open on this worker
    replx_stream_cmd(s, 3, set);
    uint64_t before = replx_appended(s);
    replx_capture_begin(s);
    replx_stream_cmd(s, 2, incr);
    replx_stream_cmd(s, 2, del);
    size_t n;
    uint64_t cmds;
    char *cap = replx_capture_end(s, &n, &cmds);
    EXPECT_EQ(std::string(cap, n), resp({"INCR", "b"}) + resp({"DEL", "x"})) << "the part's effects, captured";
    EXPECT_EQ(cmds, 2u);
    free(cap);
    EXPECT_EQ(replx_appended(s), before) << "captured bytes reach the stream as a unit, not as this worker's";
    replx_stream_cmd(s, 3, set);
    replx_tx_end(s);
    EXPECT_EQ(hand(s), resp({"MULTI"}) + resp({"SET", "a", "1"}) + resp({"SET", "a", "1"}) + resp({"EXEC"}))
        << "the open wrap did not see the captured commands";
    replx_shard_destroy(s);
}

TEST(EffectStream, MarksMoveWithTheBytesWhenMultiIsInsertedBeforeThem)
{
    replx_shard *s = replx_shard_create();
    const char *set[] = {"SET", "a", "1"};
    replx_mark(s, 1); // before the wrap's first write: stays before MULTI
    replx_tx_begin(s);
    replx_stream_cmd(s, 3, set);
    replx_mark(s, 2); // after it: MULTI goes in before it, so it moves
    replx_stream_cmd(s, 3, set);
    replx_tx_end(s);
    size_t pos[4];
    ASSERT_EQ(replx_mark_positions(s, pos, 4), 2);
    std::string want = resp({"MULTI"}) + resp({"SET", "a", "1"});
    EXPECT_EQ(pos[0], 0u);
    EXPECT_EQ(pos[1], want.size()) << "still between the two SETs";
    replx_shard_destroy(s);
}

// ---- snapshot ----

struct Loaded {
    std::map<std::string, std::string> kv;
    int dups = 0;
};

void
collect(void *arg, const char *k, const char *v)
{
    auto *l = static_cast<Loaded *>(arg);
    if (l->kv.count(k))
        l->dups++;
    l->kv[k] = v;
}

TEST(Snapshot, HoldsEveryKeyAsItWasAtTheCutWhileWritesGoOn)
{
    replx_shard *s = replx_shard_create();
    std::map<std::string, std::string> at_cut;
    for (int i = 0; i < 5000; i++) {
        std::string k = "k" + std::to_string(i), v = "v" + std::to_string(i);
        replx_set(s, k.c_str(), v.c_str());
        at_cut[k] = v;
    }
    replx_snap_begin(s, 1);
    std::mt19937 rng(11);
    std::set<std::string> deleted; // deleted at some point after the cut
    bool done = false;
    int rounds = 0;
    while (!done) {
        done = replx_snap_produce(s, 2048);
        rounds++;
        // writes between two chunks: overwrite (guarded), delete, create
        for (int j = 0; j < 30 && !done; j++) {
            std::string k = "k" + std::to_string(rng() % 5000);
            switch (rng() % 3) {
            case 0:
                replx_guard(s, k.c_str());
                replx_set(s, k.c_str(), "changed"); // if deleted before, this is a new key: not due
                break;
            case 1:
                replx_del(s, k.c_str());
                deleted.insert(k);
                break;
            default:
                replx_set(s, ("new" + std::to_string(rng())).c_str(), "new");
            }
        }
    }
    EXPECT_GT(rounds, 10) << "the snapshot was made in many steps";
    EXPECT_FALSE(replx_snap_running(s));
    Loaded l;
    char err[200] = "";
    long n = replx_snap_load(s, collect, &l, err, sizeof(err));
    ASSERT_GE(n, 0) << err;
    EXPECT_EQ(l.dups, 0) << "no key written twice";
    for (auto &[k, v] : l.kv) {
        ASSERT_TRUE(at_cut.count(k)) << "a key created after the cut: " << k;
        EXPECT_EQ(v, at_cut[k]) << "the value at the cut, never a later one: " << k;
    }
    // a key missing from the snapshot was deleted after the cut (its DEL is in the stream)
    size_t missing = 0;
    for (auto &[k, v] : at_cut)
        missing += !l.kv.count(k) && !deleted.count(k);
    EXPECT_EQ(missing, 0u) << "every key not deleted since the cut is in the snapshot";
    replx_shard_destroy(s);
}

TEST(Snapshot, AnAbandonedSnapshotFinishesItsWalkSoTheNextOneIsWhole)
{
    replx_shard *s = replx_shard_create();
    for (int i = 0; i < 3000; i++)
        replx_set(s, ("k" + std::to_string(i)).c_str(), "v");
    replx_snap_begin(s, 1);
    EXPECT_FALSE(replx_snap_produce(s, 1000));
    replx_snap_abort(s);
    int turns = 0;
    while (!replx_snap_drain(s, 100))
        turns++;
    EXPECT_GT(turns, 5) << "drained a little at a time";
    replx_snap_begin(s, 2);
    while (!replx_snap_produce(s, 1 << 20))
        ;
    Loaded l;
    char err[200] = "";
    ASSERT_EQ(replx_snap_load(s, collect, &l, err, sizeof(err)), 3000) << err;
    EXPECT_EQ(l.dups, 0);
    replx_shard_destroy(s);
}

} // namespace
