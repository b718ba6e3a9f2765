/* hist.c: the log-linear latency histogram (hist.h). */
#include "bench/loadgen/hist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lg_hist *
lg_hist_create(void)
{
    struct lg_hist *h = malloc(sizeof(*h));
    if (h == NULL) {
        fprintf(stderr, "loadgen: out of memory (histogram)\n");
        abort();
    }
    lg_hist_reset(h);
    return h;
}

void
lg_hist_destroy(struct lg_hist **h)
{
    free(*h);
    *h = NULL;
}

void
lg_hist_reset(struct lg_hist *h)
{
    memset(h, 0, sizeof(*h));
    h->min = UINT64_MAX;
}

/* Inverse of lg_hist_index: bucket idx holds the values [lo, hi]. Index
 * idx >= 2*SUB sits in octave e = (idx >> SUB_BITS) + SUB_BITS - 1 with
 * sub-bucket (idx & (SUB-1)), i.e. values (SUB + sub) << shift, width
 * 1 << shift, shift = e - SUB_BITS. */
void
lg_hist_bucket_range(unsigned idx, uint64_t *lo, uint64_t *hi)
{
    if (idx < 2 * LG_HIST_SUB) {
        *lo = *hi = idx;
        return;
    }
    unsigned shift = (idx >> LG_HIST_SUB_BITS) - 1;
    uint64_t sub = (uint64_t)(idx & (LG_HIST_SUB - 1)) + LG_HIST_SUB;
    *lo = sub << shift;
    *hi = *lo + (((uint64_t)1 << shift) - 1);
}

void
lg_hist_merge(struct lg_hist *dst, const struct lg_hist *src)
{
    if (src->count == 0)
        return;
    for (unsigned i = 0; i < LG_HIST_BUCKETS; i++)
        dst->buckets[i] += src->buckets[i];
    dst->count += src->count;
    dst->sum += src->sum;
    if (src->min < dst->min)
        dst->min = src->min;
    if (src->max > dst->max)
        dst->max = src->max;
}

/* Rank r = ceil(q/100 * count) (at least 1): the answer is in the first
 * bucket whose cumulative count reaches r. Its middle is returned, so the
 * error is at most half a bucket (< 0.4%); the exact min and max bound it,
 * and the first and last ranks are the min and max themselves, which makes
 * constant distributions and the extremes exact. */
uint64_t
lg_hist_percentile(const struct lg_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    if (q <= 0)
        return h->min;
    if (q >= 100)
        return h->max;
    double want = ceil(q / 100.0 * (double)h->count);
    uint64_t rank = want < 1 ? 1 : (uint64_t)want;
    if (rank >= h->count)
        return h->max; /* the last value: exact */
    if (rank == 1)
        return h->min;
    uint64_t seen = 0;
    for (unsigned i = 0; i < LG_HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen >= rank) {
            uint64_t lo, hi;
            lg_hist_bucket_range(i, &lo, &hi);
            uint64_t mid = lo + (hi - lo) / 2;
            if (mid < h->min)
                mid = h->min;
            if (mid > h->max)
                mid = h->max;
            return mid;
        }
    }
    return h->max;
}

double
lg_hist_mean(const struct lg_hist *h)
{
    return h->count ? h->sum / (double)h->count : 0.0;
}
