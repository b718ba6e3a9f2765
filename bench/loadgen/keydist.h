/* keydist.h: loadgen's random numbers and key-space distributions.
 *
 * Keys are integers in [0, n) (cmdgen prints them as "key:%012d", as
 * redis-benchmark -r does). Three distributions:
 *   uniform      every key equally likely;
 *   sequential   each generator walks start, start+stride, ... mod n, so
 *                G generators with starts 0..G-1 and stride G cover the
 *                key space once every n requests without overlap (prefill);
 *   zipf:THETA   P(rank k) ~ 1/k^THETA, key = k - 1 (key 0 the hottest),
 *                sampled in O(1) without tables by rejection-inversion
 *                (Hoermann and Derflinger 1996, as Apache Commons RNG's
 *                RejectionInversionZipfSampler), any THETA > 0.
 * Every generator is seeded from (--seed, thread, connection), so a run is
 * reproducible. The generators are per connection and never shared. */
#ifndef LOADGEN_KEYDIST_H
#define LOADGEN_KEYDIST_H

#include <stdbool.h>
#include <stdint.h>

/* ---- Random numbers: xoshiro256** seeded through splitmix64 ---- */

struct lg_rng {
    uint64_t s[4];
};

void lg_rng_seed(struct lg_rng *r, uint64_t seed);

static inline uint64_t
lg_rng_rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t
lg_rng_next(struct lg_rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = lg_rng_rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = lg_rng_rotl(s[3], 45);
    return out;
}

/* Uniform in [0, n) by multiply-shift (Lemire; bias < n / 2^64). */
static inline uint64_t
lg_rng_below(struct lg_rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)lg_rng_next(r) * n) >> 64);
}

/* Uniform double in [0, 1). */
static inline double
lg_rng_double(struct lg_rng *r)
{
    return (double)(lg_rng_next(r) >> 11) * 0x1.0p-53;
}

/* ---- Distributions ---- */

enum lg_dist_kind { LG_DIST_UNIFORM, LG_DIST_SEQUENTIAL, LG_DIST_ZIPF };

struct lg_dist {
    enum lg_dist_kind kind;
    uint64_t n;     /* key space size, >= 1 */
    double theta;   /* zipf exponent */
    /* zipf constants (rejection-inversion) */
    double h_x1, h_n, s;
};

/* Parse "uniform", "sequential", "zipf" (theta 0.99) or "zipf:THETA" and
 * set up d for n keys. Returns 0 or -EINVAL. */
int lg_dist_parse(struct lg_dist *d, const char *spec, uint64_t n);
const char *lg_dist_name(enum lg_dist_kind k);

/* One connection's key generator. */
struct lg_keygen {
    const struct lg_dist *d;
    struct lg_rng rng;
    uint64_t seq_next;
    uint64_t seq_stride;
};

/* seq_start/seq_stride only matter for sequential. */
void lg_keygen_init(struct lg_keygen *g, const struct lg_dist *d, uint64_t seed, uint64_t seq_start,
                    uint64_t seq_stride);
uint64_t lg_zipf_sample(const struct lg_dist *d, struct lg_rng *r);

static inline uint64_t
lg_keygen_next(struct lg_keygen *g)
{
    switch (g->d->kind) {
    case LG_DIST_SEQUENTIAL: {
        uint64_t k = g->seq_next;
        g->seq_next += g->seq_stride;
        if (g->seq_next >= g->d->n)
            g->seq_next %= g->d->n;
        return k;
    }
    case LG_DIST_ZIPF:
        return lg_zipf_sample(g->d, &g->rng) - 1;
    default:
        return lg_rng_below(&g->rng, g->d->n);
    }
}

#endif
