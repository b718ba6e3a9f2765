/* hist.h: an HDR-style latency histogram for loadgen: log-linear buckets,
 * every value counted (no sampling), fixed memory, O(1) record.
 *
 * Values are unsigned 64-bit integers (loadgen records nanoseconds). Values
 * below 2 * LG_HIST_SUB (256) have a bucket each; above that, every power
 * of two [2^e, 2^(e+1)) is cut into LG_HIST_SUB (128) equal sub-buckets, so
 * a bucket is at most 1/128 of its lower bound wide:
 *
 *   index:  0 1 2 ... 255 | 256 ... 383 | 384 ... 511 | ...
 *   width:  1 1 1 ...   1 |   2 ...   2 |   4 ...   4 | ...
 *   values: 0 ....... 255 | 256 ... 511 | 512 .. 1023 | ...
 *
 * A percentile is reported as the middle of its bucket, clamped to the
 * exact minimum and maximum, so its relative error is below 0.4% (1% is
 * the requirement). Values at or above 2^LG_HIST_MAX_BITS (about 18
 * minutes in ns) share the top bucket; max stays exact.
 *
 * Ownership: a histogram is plain memory owned by whoever created it;
 * nothing is shared. loadgen gives each thread its own and merges them. */
#ifndef LOADGEN_HIST_H
#define LOADGEN_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LG_HIST_SUB_BITS 7
#define LG_HIST_SUB (1u << LG_HIST_SUB_BITS)
#define LG_HIST_MAX_BITS 40
/* Bucket count: 2*SUB exact buckets, then SUB per octave from 2^8 up to
 * 2^MAX_BITS. */
#define LG_HIST_BUCKETS ((LG_HIST_MAX_BITS - LG_HIST_SUB_BITS) * LG_HIST_SUB + LG_HIST_SUB)

struct lg_hist {
    uint64_t count;
    uint64_t min;  /* exact; UINT64_MAX when empty */
    uint64_t max;  /* exact; 0 when empty */
    double sum;    /* for the mean; double so 2^64 ns totals cannot wrap */
    uint64_t buckets[LG_HIST_BUCKETS];
};

/* Allocate an empty histogram (aborts on OOM); destroy frees and NULLs. */
struct lg_hist *lg_hist_create(void);
void lg_hist_destroy(struct lg_hist **h);
/* Empty a histogram in place. */
void lg_hist_reset(struct lg_hist *h);

/* The bucket a value falls in, and the range [lo, hi] a bucket covers. */
static inline unsigned
lg_hist_index(uint64_t v)
{
    if (v < 2 * LG_HIST_SUB)
        return (unsigned)v;
    unsigned e = 63u - (unsigned)__builtin_clzll(v); /* 2^e <= v < 2^(e+1), e >= 8 */
    if (e >= LG_HIST_MAX_BITS)
        return LG_HIST_BUCKETS - 1;
    unsigned shift = e - LG_HIST_SUB_BITS;
    return (shift << LG_HIST_SUB_BITS) + (unsigned)(v >> shift);
}
void lg_hist_bucket_range(unsigned idx, uint64_t *lo, uint64_t *hi);

/* Count one value (n times for record_n). */
static inline void
lg_hist_record_n(struct lg_hist *h, uint64_t v, uint64_t n)
{
    h->buckets[lg_hist_index(v)] += n;
    h->count += n;
    h->sum += (double)v * (double)n;
    if (v < h->min)
        h->min = v;
    if (v > h->max)
        h->max = v;
}
static inline void
lg_hist_record(struct lg_hist *h, uint64_t v)
{
    lg_hist_record_n(h, v, 1);
}

/* dst += src (counts, min, max, sum). */
void lg_hist_merge(struct lg_hist *dst, const struct lg_hist *src);

/* The value at percentile q (0..100): the smallest recorded value v such
 * that at least q% of the values are <= v, to within one bucket. q <= 0
 * gives the exact min, q >= 100 the exact max; 0 when empty. */
uint64_t lg_hist_percentile(const struct lg_hist *h, double q);
double lg_hist_mean(const struct lg_hist *h);

#endif
