/* keydist.c: random numbers and key distributions (keydist.h). */
#include "bench/loadgen/keydist.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t
splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void
lg_rng_seed(struct lg_rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

/* ---- Zipf by rejection-inversion ----
 *
 * h(x) = x^-theta is the (unnormalized) density of a continuous stand-in;
 * H is its integral and Hinv the inverse. A uniform u between H(1.5) - 1
 * and H(n + 0.5) is mapped through Hinv to x and rounded to k; k is taken
 * when it is close enough to x (k - x <= s, the "squeeze") or u clears
 * H(k + 0.5) - h(k); otherwise draw again. The expected number of draws is
 * close to 1 for every theta. helper1/helper2 are log1p(x)/x and
 * expm1(x)/x, with series near 0 so theta = 1 needs no special case. */

static double
zipf_helper1(double x)
{
    return fabs(x) > 1e-8 ? log1p(x) / x : 1 - x * (0.5 - x * (1.0 / 3 - 0.25 * x));
}

static double
zipf_helper2(double x)
{
    return fabs(x) > 1e-8 ? expm1(x) / x : 1 + x * 0.5 * (1 + x * (1.0 / 3) * (1 + 0.25 * x));
}

static double
zipf_h(const struct lg_dist *d, double x)
{
    return exp(-d->theta * log(x));
}

static double
zipf_H(const struct lg_dist *d, double x)
{
    double lx = log(x);
    return zipf_helper2((1 - d->theta) * lx) * lx;
}

static double
zipf_Hinv(const struct lg_dist *d, double x)
{
    double t = x * (1 - d->theta);
    if (t < -1)
        t = -1; /* rounding guard: 1 + t must stay >= 0 */
    return exp(zipf_helper1(t) * x);
}

uint64_t
lg_zipf_sample(const struct lg_dist *d, struct lg_rng *r)
{
    for (;;) {
        double u = d->h_n + lg_rng_double(r) * (d->h_x1 - d->h_n);
        double x = zipf_Hinv(d, u);
        double kd = floor(x + 0.5);
        if (kd < 1)
            kd = 1;
        else if (kd > (double)d->n)
            kd = (double)d->n;
        if (kd - x <= d->s || u >= zipf_H(d, kd + 0.5) - zipf_h(d, kd))
            return (uint64_t)kd;
    }
}

int
lg_dist_parse(struct lg_dist *d, const char *spec, uint64_t n)
{
    memset(d, 0, sizeof(*d));
    d->n = n ? n : 1;
    if (strcmp(spec, "uniform") == 0 || strcmp(spec, "R") == 0) {
        d->kind = LG_DIST_UNIFORM;
    } else if (strcmp(spec, "sequential") == 0 || strcmp(spec, "S") == 0) {
        d->kind = LG_DIST_SEQUENTIAL;
    } else if (strncmp(spec, "zipf", 4) == 0 && (spec[4] == '\0' || spec[4] == ':')) {
        d->kind = LG_DIST_ZIPF;
        d->theta = 0.99;
        if (spec[4] == ':') {
            char *end;
            d->theta = strtod(spec + 5, &end);
            if (end == spec + 5 || *end != '\0' || !(d->theta > 0) || d->theta > 100)
                return -EINVAL;
        }
        d->h_x1 = zipf_H(d, 1.5) - 1;
        d->h_n = zipf_H(d, (double)d->n + 0.5);
        d->s = 2 - zipf_Hinv(d, zipf_H(d, 2.5) - zipf_h(d, 2));
    } else {
        return -EINVAL;
    }
    return 0;
}

const char *
lg_dist_name(enum lg_dist_kind k)
{
    switch (k) {
    case LG_DIST_SEQUENTIAL:
        return "sequential";
    case LG_DIST_ZIPF:
        return "zipf";
    default:
        return "uniform";
    }
}

void
lg_keygen_init(struct lg_keygen *g, const struct lg_dist *d, uint64_t seed, uint64_t seq_start,
               uint64_t seq_stride)
{
    g->d = d;
    lg_rng_seed(&g->rng, seed);
    g->seq_next = seq_start % d->n;
    g->seq_stride = seq_stride ? seq_stride : 1;
}
