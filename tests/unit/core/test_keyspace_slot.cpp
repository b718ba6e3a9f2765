// test_keyspace_slot.cpp: moving a slot's table between keyspaces (the
// keyspace side of the slot hand-off, core/slot_move.h): counts, TTLs and
// the volatile set, the memory figure, random keys, scans, a table in the
// middle of a resize, merging, and freeing a detached table.
#include "tests/shim/keyspace_shim.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace {

const int64_t T0 = 1700000000000LL;

struct KS {
    kss_t *ks;
    KS() : ks(kss_create()) { kss_set_clock(ks, T0); }
    ~KS() { kss_destroy(ks); }
    operator kss_t *() { return ks; }
};

void
set(kss_t *ks, uint16_t slot, const std::string &k, const std::string &v, int64_t exp = KSS_EXPIRE_NONE)
{
    kss_set_str(ks, slot, k.data(), k.size(), v.data(), v.size(), exp);
}

bool
get(kss_t *ks, uint16_t slot, const std::string &k, std::string *out, int64_t now = T0)
{
    char buf[4096];
    size_t n = 0;
    if (!kss_get(ks, slot, k.data(), k.size(), now, KSS_NOTOUCH, buf, sizeof(buf), &n))
        return false;
    if (out)
        out->assign(buf, std::min(n, sizeof(buf)));
    return true;
}

bool
has_table(kss_t *ks, uint16_t slot)
{
    uint64_t u, b0, b1;
    return kss_table(ks, slot, &u, &b0, &b1);
}

void
collect(void *arg, const char *k, size_t n)
{
    static_cast<std::set<std::string> *>(arg)->insert(std::string(k, n));
}

// Slot 10 gets n keys of every string encoding (a third with a TTL) and a
// few sets; slot 11 gets keys that stay behind.
void
fill(kss_t *ks, int n)
{
    for (int i = 0; i < n; i++) {
        std::string k = "k" + std::to_string(i);
        int64_t exp = i % 3 == 0 ? T0 + 100000 + i : KSS_EXPIRE_NONE;
        if (i % 4 == 0)
            kss_set_int(ks, 10, k.data(), k.size(), i, exp);
        else if (i % 4 == 1)
            set(ks, 10, k, "short" + std::to_string(i), exp);
        else if (i % 4 == 2)
            set(ks, 10, k, std::string(100 + i % 50, 'r'), exp);
        else
            kss_set_set(ks, 10, k.data(), k.size(), 5 + i % 20, exp);
    }
    for (int i = 0; i < 50; i++)
        set(ks, 11, "stay" + std::to_string(i), "v", i % 2 ? T0 + 5000 : KSS_EXPIRE_NONE);
}

} // namespace

TEST(KeyspaceSlot, MoveKeepsCountsTtlsAndMemory)
{
    KS a, b;
    size_t base_a = kss_mem_bytes(a), base_b = kss_mem_bytes(b);
    fill(a, 3000);
    uint64_t vol_a = kss_count_volatile(a);
    size_t mem_before = kss_mem_bytes(a);
    ASSERT_EQ(kss_count(a), 3050u);
    ASSERT_EQ(vol_a, 1000u + 25u);

    ASSERT_EQ(kss_move_slot(a, b, 10), 3000u);
    EXPECT_EQ(kss_count(a), 50u);
    EXPECT_EQ(kss_count_slot(a, 10), 0u);
    EXPECT_EQ(kss_count_slot(a, 11), 50u);
    EXPECT_EQ(kss_count(b), 3000u);
    EXPECT_EQ(kss_count_slot(b, 10), 3000u);
    EXPECT_EQ(kss_count_volatile(a), 25u);
    EXPECT_EQ(kss_count_volatile(b), 1000u);
    // The figure left with the table (the volatile vectors' capacities
    // change a little on both sides).
    EXPECT_LT(kss_mem_bytes(a), mem_before / 10);
    EXPECT_GT(kss_mem_bytes(b), mem_before * 9 / 10);
    EXPECT_FALSE(has_table(a, 10));
    EXPECT_TRUE(has_table(b, 10));

    // Every value, encoding and TTL arrived.
    for (int i = 0; i < 3000; i++) {
        std::string k = "k" + std::to_string(i), v;
        EXPECT_FALSE(kss_exists(a, 10, k.data(), k.size(), T0));
        int64_t want_exp = i % 3 == 0 ? T0 + 100000 + i : -1;
        EXPECT_EQ(kss_expire(b, 10, k.data(), k.size()), want_exp) << k;
        if (i % 4 == 0) {
            long long x = -1;
            EXPECT_TRUE(kss_get_int(b, 10, k.data(), k.size(), &x));
            EXPECT_EQ(x, i);
        } else if (i % 4 == 1) {
            ASSERT_TRUE(get(b, 10, k, &v));
            EXPECT_EQ(v, "short" + std::to_string(i));
        } else if (i % 4 == 2) {
            ASSERT_TRUE(get(b, 10, k, &v));
            EXPECT_EQ(v, std::string(100 + i % 50, 'r'));
            EXPECT_STREQ(kss_encoding_name(b, 10, k.data(), k.size()), "raw");
        } else {
            EXPECT_STREQ(kss_encoding_name(b, 10, k.data(), k.size()), "hashtable");
        }
    }

    // Back and forth many times: nothing drifts.
    for (int round = 0; round < 20; round++) {
        ASSERT_EQ(kss_move_slot(b, a, 10), 3000u);
        ASSERT_EQ(kss_move_slot(a, b, 10), 3000u);
    }
    EXPECT_EQ(kss_count(b), 3000u);
    EXPECT_EQ(kss_count_volatile(b), 1000u);

    // TTLs work where the keys are now: the volatile set was rebuilt with
    // the entries' new indexes (active expiry samples it, deletes update it).
    EXPECT_EQ(kss_active_expire(b, T0 + 1000000, 100000), 1000u);
    EXPECT_EQ(kss_count_volatile(b), 0u);
    EXPECT_EQ(kss_count(b), 2000u);
    EXPECT_EQ(kss_active_expire(a, T0 + 1000000, 100000), 25u);

    // Deleting everything on both sides returns both figures to the empty
    // keyspace's: the memory figure moved exactly.
    kss_flush(a);
    kss_flush(b);
    EXPECT_EQ(kss_mem_bytes(a), base_a);
    EXPECT_EQ(kss_mem_bytes(b), base_b);
}

TEST(KeyspaceSlot, ExactMemoryDeletingKeyByKey)
{
    KS a, b;
    size_t base_b = kss_mem_bytes(b);
    fill(a, 500);
    kss_move_slot(a, b, 10);
    // Delete one by one on the receiver (each delete subtracts what that
    // entry holds, so a wrong figure would underflow or stay above base).
    for (int i = 0; i < 500; i++) {
        std::string k = "k" + std::to_string(i);
        ASSERT_TRUE(kss_delete(b, 10, k.data(), k.size()));
    }
    EXPECT_EQ(kss_count(b), 0u);
    EXPECT_EQ(kss_mem_bytes(b), base_b);
    EXPECT_FALSE(has_table(b, 10));
}

TEST(KeyspaceSlot, LazyExpiryAfterMove)
{
    KS a, b;
    set(a, 7, "soon", "v", T0 + 10);
    set(a, 7, "later", "v", T0 + 100000);
    kss_move_slot(a, b, 7);
    EXPECT_FALSE(get(b, 7, "soon", nullptr, T0 + 20)); // expired: lazily deleted
    EXPECT_EQ(kss_count(b), 1u);
    EXPECT_EQ(kss_count_volatile(b), 1u);
    EXPECT_TRUE(get(b, 7, "later", nullptr, T0 + 20));
    EXPECT_TRUE(kss_set_expire(b, 7, "later", 5, -1)); // PERSIST on the new side
    EXPECT_EQ(kss_count_volatile(b), 0u);
}

TEST(KeyspaceSlot, RandomAndScanFollowTheTable)
{
    KS a, b;
    fill(a, 400);
    kss_move_slot(a, b, 10);
    char buf[64];
    size_t n;
    uint16_t slot;
    for (int i = 0; i < 500; i++) {
        ASSERT_TRUE(kss_random(a, T0, buf, sizeof(buf), &n, &slot));
        EXPECT_EQ(slot, 11);
        ASSERT_TRUE(kss_random(b, T0, buf, sizeof(buf), &n, &slot));
        EXPECT_EQ(slot, 10);
        EXPECT_EQ(std::string(buf, 1), "k");
    }
    std::set<std::string> seen;
    uint64_t cur = 0;
    do {
        cur = kss_scan_slot(b, 10, cur, 50, T0, collect, &seen);
    } while (cur);
    EXPECT_EQ(seen.size(), 400u);
    std::set<std::string> none;
    EXPECT_EQ(kss_scan_slot(a, 10, 0, 50, T0, collect, &none), 0u);
    EXPECT_TRUE(none.empty());
    // An emptied keyspace gives no random key; the receiver's slot list
    // shrinks back when its keys go.
    kss_move_slot(b, a, 10);
    EXPECT_FALSE(kss_random(b, T0, buf, sizeof(buf), &n, &slot));
}

TEST(KeyspaceSlot, TableMidResizeMoves)
{
    KS a, b;
    uint64_t used = 0, b0 = 0, b1 = 0;
    int i = 0;
    // Insert until a grow is in progress.
    for (; i < 100000; i++) {
        set(a, 3, "g" + std::to_string(i), "v");
        ASSERT_TRUE(kss_table(a, 3, &used, &b0, &b1));
        if (b1 && i > 1000)
            break;
    }
    ASSERT_GT(b1, 0u);
    int n = i + 1;
    kss_move_slot(a, b, 3);
    ASSERT_TRUE(kss_table(b, 3, &used, &b0, &b1));
    EXPECT_EQ(used, (uint64_t)n);
    EXPECT_GT(b1, 0u); // still resizing: moved as it was
    for (int j = 0; j < n; j++)
        ASSERT_TRUE(get(b, 3, "g" + std::to_string(j), nullptr)) << j;
    for (int j = 0; j < 100; j++)
        kss_cron(b, 100000);
    ASSERT_TRUE(kss_table(b, 3, &used, &b0, &b1));
    EXPECT_EQ(b1, 0u); // the receiver's cron finished it
    set(b, 3, "after", "x");
    EXPECT_EQ(kss_count(b), (uint64_t)n + 1);
}

TEST(KeyspaceSlot, AttachMergesIntoAResidentTable)
{
    KS a, b;
    set(a, 5, "both", "from-a", T0 + 5000);
    set(a, 5, "only-a", "1");
    set(b, 5, "both", "from-b");
    set(b, 5, "only-b", "2", T0 + 9000);
    size_t base = kss_mem_bytes(KS().ks);
    kss_move_slot(a, b, 5);
    EXPECT_EQ(kss_count(b), 3u);
    EXPECT_EQ(kss_count_slot(b, 5), 3u);
    std::string v;
    ASSERT_TRUE(get(b, 5, "both", &v));
    EXPECT_EQ(v, "from-a");
    EXPECT_EQ(kss_expire(b, 5, "both", 4), T0 + 5000);
    EXPECT_EQ(kss_count_volatile(b), 2u);
    kss_flush(b);
    EXPECT_EQ(kss_mem_bytes(b), base);
}

TEST(KeyspaceSlot, DetachAndFree)
{
    KS a;
    size_t base = kss_mem_bytes(a);
    fill(a, 200);
    EXPECT_EQ(kss_detach_free(a, 10), 200u);
    EXPECT_EQ(kss_detach_free(a, 10), 0u);
    EXPECT_EQ(kss_count(a), 50u);
    EXPECT_EQ(kss_count_volatile(a), 25u);
    kss_flush(a);
    EXPECT_EQ(kss_mem_bytes(a), base);
}
