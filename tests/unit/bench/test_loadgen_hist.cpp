// test_loadgen_hist.cpp: loadgen's log-linear latency histogram
// (bench/loadgen/hist.h): bucket layout, percentiles of known
// distributions within 1%, merge, extremes.
#include "tests/shim/loadgen_shim.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace {

struct Hist {
    void *h = lgs_hist_create();
    ~Hist() { lgs_hist_destroy(h); }
    Hist() = default;
    Hist(const Hist &) = delete;
    Hist &operator=(const Hist &) = delete;
};

// The exact q-percentile of sorted values, by the same rank rule:
// the smallest v with at least q% of the values <= v.
uint64_t
ExactPercentile(std::vector<uint64_t> v, double q)
{
    std::sort(v.begin(), v.end());
    double want = std::ceil(q / 100.0 * static_cast<double>(v.size()));
    size_t rank = want < 1 ? 1 : static_cast<size_t>(want);
    return v[rank - 1];
}

void
ExpectWithin(uint64_t got, uint64_t want, double rel, const char *what)
{
    double err = std::fabs(static_cast<double>(got) - static_cast<double>(want)) / static_cast<double>(want);
    EXPECT_LT(err, rel) << what << ": got " << got << ", want " << want;
}

const double kQs[] = {50, 90, 99, 99.9};

}  // namespace

TEST(LoadgenHist, BucketsCoverEveryValueWithSmallRelativeWidth)
{
    // Contiguous: bucket i+1 starts right after bucket i ends.
    uint64_t prev_hi = 0;
    for (unsigned i = 0; i < lgs_hist_buckets(); i++) {
        uint64_t lo, hi;
        lgs_hist_bucket_range(i, &lo, &hi);
        if (i > 0) {
            ASSERT_EQ(lo, prev_hi + 1) << "bucket " << i;
        }
        ASSERT_LE(lo, hi);
        // Width / lower bound <= 1/128 once buckets are wider than 1.
        if (hi > lo) {
            ASSERT_LE(static_cast<double>(hi - lo + 1) / static_cast<double>(lo), 1.0 / 128 + 1e-12);
        }
        prev_hi = hi;
    }
    EXPECT_EQ(prev_hi, (uint64_t(1) << lgs_hist_max_bits()) - 1);
    // Every value maps into the bucket that covers it.
    std::mt19937_64 rng(42);
    for (int i = 0; i < 200000; i++) {
        uint64_t v = rng() >> (rng() % 64);
        if (v >> lgs_hist_max_bits())
            continue;
        uint64_t lo, hi;
        lgs_hist_bucket_range(lgs_hist_index(v), &lo, &hi);
        ASSERT_LE(lo, v);
        ASSERT_GE(hi, v);
    }
    for (uint64_t v = 0; v < 256; v++)
        EXPECT_EQ(lgs_hist_index(v), v) << "values below 256 are exact";
}

TEST(LoadgenHist, EmptyReportsZero)
{
    Hist h;
    EXPECT_EQ(lgs_hist_count(h.h), 0u);
    EXPECT_EQ(lgs_hist_percentile(h.h, 50), 0u);
    EXPECT_EQ(lgs_hist_percentile(h.h, 100), 0u);
    EXPECT_EQ(lgs_hist_mean(h.h), 0.0);
}

TEST(LoadgenHist, ConstantIsExact)
{
    Hist h;
    for (int i = 0; i < 10000; i++)
        lgs_hist_record(h.h, 123457);
    for (double q : {0.0, 1.0, 50.0, 99.0, 99.9, 100.0})
        EXPECT_EQ(lgs_hist_percentile(h.h, q), 123457u) << q;
    EXPECT_EQ(lgs_hist_min(h.h), 123457u);
    EXPECT_EQ(lgs_hist_max(h.h), 123457u);
    EXPECT_DOUBLE_EQ(lgs_hist_mean(h.h), 123457.0);
}

TEST(LoadgenHist, UniformWithinOnePercent)
{
    Hist h;
    std::vector<uint64_t> v;
    for (uint64_t x = 1; x <= 1000000; x++) {
        lgs_hist_record(h.h, x * 1000);  // 1 us .. 1 s in ns
        v.push_back(x * 1000);
    }
    for (double q : kQs)
        ExpectWithin(lgs_hist_percentile(h.h, q), ExactPercentile(v, q), 0.01, "uniform");
    EXPECT_EQ(lgs_hist_percentile(h.h, 50), lgs_hist_percentile(h.h, 50));
    ExpectWithin(lgs_hist_percentile(h.h, 50), 500000000, 0.01, "uniform p50");
    ExpectWithin(lgs_hist_percentile(h.h, 99), 990000000, 0.01, "uniform p99");
    EXPECT_EQ(lgs_hist_min(h.h), 1000u);
    EXPECT_EQ(lgs_hist_max(h.h), 1000000000u);
    EXPECT_EQ(lgs_hist_percentile(h.h, 100), 1000000000u);
    EXPECT_NEAR(lgs_hist_mean(h.h), 500000500.0, 1.0);
}

TEST(LoadgenHist, ExponentialWithinOnePercent)
{
    // Deterministic quantile grid of an exponential with mean 200 us:
    // x_i = -mean * ln(1 - (i + 0.5) / N); its q-quantile is -mean ln(1-q).
    const int n = 400000;
    const double mean = 200000;
    Hist h;
    std::vector<uint64_t> v;
    v.reserve(n);
    for (int i = 0; i < n; i++) {
        auto x = static_cast<uint64_t>(-mean * std::log(1.0 - (i + 0.5) / n));
        lgs_hist_record(h.h, x);
        v.push_back(x);
    }
    for (double q : kQs) {
        ExpectWithin(lgs_hist_percentile(h.h, q), ExactPercentile(v, q), 0.01, "exponential vs exact");
        ExpectWithin(lgs_hist_percentile(h.h, q), static_cast<uint64_t>(-mean * std::log(1 - q / 100)), 0.01,
                     "exponential vs formula");
    }
    EXPECT_NEAR(lgs_hist_mean(h.h), mean, mean * 0.01);
}

TEST(LoadgenHist, RandomLogNormalWithinOnePercent)
{
    std::mt19937_64 rng(7);
    std::lognormal_distribution<double> d(11.0, 1.5);  // ns: median ~60 us, long tail
    Hist h;
    std::vector<uint64_t> v;
    for (int i = 0; i < 300000; i++) {
        auto x = static_cast<uint64_t>(d(rng)) + 1;
        lgs_hist_record(h.h, x);
        v.push_back(x);
    }
    for (double q : kQs)
        ExpectWithin(lgs_hist_percentile(h.h, q), ExactPercentile(v, q), 0.01, "lognormal");
    EXPECT_EQ(lgs_hist_max(h.h), *std::max_element(v.begin(), v.end()));
    EXPECT_EQ(lgs_hist_min(h.h), *std::min_element(v.begin(), v.end()));
}

TEST(LoadgenHist, MergeEqualsRecordingEverythingInOne)
{
    Hist a, b, whole;
    std::mt19937_64 rng(3);
    for (int i = 0; i < 100000; i++) {
        uint64_t x = rng() % 5000000;
        lgs_hist_record(i % 3 ? a.h : b.h, x);
        lgs_hist_record(whole.h, x);
    }
    lgs_hist_merge(a.h, b.h);
    EXPECT_EQ(lgs_hist_count(a.h), 100000u);
    EXPECT_EQ(lgs_hist_min(a.h), lgs_hist_min(whole.h));
    EXPECT_EQ(lgs_hist_max(a.h), lgs_hist_max(whole.h));
    for (double q : {1.0, 25.0, 50.0, 75.0, 90.0, 99.0, 99.9, 99.99})
        EXPECT_EQ(lgs_hist_percentile(a.h, q), lgs_hist_percentile(whole.h, q)) << q;
    EXPECT_NEAR(lgs_hist_mean(a.h), lgs_hist_mean(whole.h), 1e-6 * lgs_hist_mean(whole.h));
    // Merging an empty histogram changes nothing; reset empties.
    Hist empty;
    lgs_hist_merge(a.h, empty.h);
    EXPECT_EQ(lgs_hist_count(a.h), 100000u);
    lgs_hist_merge(empty.h, a.h);
    EXPECT_EQ(lgs_hist_percentile(empty.h, 50), lgs_hist_percentile(whole.h, 50));
    lgs_hist_reset(a.h);
    EXPECT_EQ(lgs_hist_count(a.h), 0u);
    EXPECT_EQ(lgs_hist_percentile(a.h, 99), 0u);
}

TEST(LoadgenHist, Extremes)
{
    Hist h;
    lgs_hist_record(h.h, 0);
    lgs_hist_record(h.h, UINT64_MAX);  // beyond the top bucket: counted, max exact
    lgs_hist_record(h.h, uint64_t(1) << 45);
    EXPECT_EQ(lgs_hist_count(h.h), 3u);
    EXPECT_EQ(lgs_hist_min(h.h), 0u);
    EXPECT_EQ(lgs_hist_max(h.h), UINT64_MAX);
    EXPECT_EQ(lgs_hist_percentile(h.h, 0), 0u);
    EXPECT_EQ(lgs_hist_percentile(h.h, 30), 0u);
    EXPECT_EQ(lgs_hist_percentile(h.h, 100), UINT64_MAX);
    EXPECT_GE(lgs_hist_percentile(h.h, 99), uint64_t(1) << (lgs_hist_max_bits() - 1));
    EXPECT_EQ(lgs_hist_index(UINT64_MAX), lgs_hist_buckets() - 1);
    // One outlier among many: p99.9 ignores it at n = 10000, max does not.
    Hist o;
    for (int i = 0; i < 9999; i++)
        lgs_hist_record(o.h, 1000);
    lgs_hist_record(o.h, 50000000);
    // 1000 shares a bucket with 1001..1003: within the bucket, not above.
    EXPECT_GE(lgs_hist_percentile(o.h, 99.9), 1000u);
    EXPECT_LE(lgs_hist_percentile(o.h, 99.9), 1003u);
    EXPECT_LE(lgs_hist_percentile(o.h, 99.99), 1003u);
    EXPECT_EQ(lgs_hist_percentile(o.h, 99.995), 50000000u) << "the last rank is the exact max";
    EXPECT_EQ(lgs_hist_percentile(o.h, 0.001), 1000u) << "the first rank is the exact min";
    EXPECT_EQ(lgs_hist_max(o.h), 50000000u);
    // record_n counts n values.
    Hist n;
    lgs_hist_record_n(n.h, 777, 1000);
    lgs_hist_record_n(n.h, 5, 1000);
    EXPECT_EQ(lgs_hist_count(n.h), 2000u);
    EXPECT_EQ(lgs_hist_percentile(n.h, 50), 5u);
    EXPECT_EQ(lgs_hist_percentile(n.h, 50.1), 777u);
}
