/* kvstore_dict.c: the per-slot hash table of a keyspace (struct kvdict).
 *
 * Chained buckets, power-of-two sizes, and incremental rehashing: a resize
 * allocates the new table and then moves one bucket per operation (plus
 * what ks_cron moves) until the old table is empty, so no single call pays
 * for the whole table. While rehashing, buckets of t[0] below rehash_idx
 * are empty and new entries go to t[1].
 *
 *   t[0]  [ moved | moved | rehash_idx -> | old | old | ... ]
 *   t[1]  [ new table, 2x (grow) or smaller (shrink)         ]
 *
 * Grow when used reaches the bucket count (load factor 1); shrink (from
 * ks_cron) when fewer than 1/8 of the buckets' worth of entries remain.
 * Entries do not store their hash: a move recomputes it from the key,
 * which keeps entries 8 bytes smaller.
 *
 * Also here: the seeded 64-bit key hash and the per-keyspace PRNG. */
#include "core/keyspace_int.h"
#include "core/scan_cursor.h"

#include <stdlib.h>
#include <sys/random.h>
#include <unistd.h>

#define KVD_MIN_EXP 2     /* 4 buckets */
#define KVD_EMPTY_VISITS 10 /* empty buckets one rehash step may skip */

/* ---- Hash ----
 *
 * A multiply-fold hash: each 16-byte block is folded into the state with
 * one 64x64->128 multiply whose halves are xored together. Strong enough
 * to scatter keys an attacker picks, as long as the seed is secret: it is
 * drawn from getrandom() when the process starts. */
static uint64_t ks_seed[4] = {0x9e3779b97f4a7c15ull, 0xd6e8feb86659fd93ull,
                              0xa0761d6478bd642full, 0xe7037ed1a0b428dbull};

__attribute__((constructor)) static void
ks_seed_init(void)
{
    uint64_t r[4];
    if (getrandom(r, sizeof(r), 0) == (ssize_t)sizeof(r)) {
        for (int i = 0; i < 4; i++)
            ks_seed[i] ^= r[i] | 1;
    }
}

static inline uint64_t
fold(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

uint64_t
ks_hash(const void *key, size_t len)
{
    const uint8_t *p = key;
    uint64_t h = ks_seed[0] ^ fold(len ^ ks_seed[1], ks_seed[2]);
    uint64_t a, b;
    size_t n = len;
    while (n > 16) {
        h = fold(kv_ld64(p) ^ ks_seed[1], kv_ld64(p + 8) ^ h);
        p += 16;
        n -= 16;
    }
    if (n >= 8) {
        a = kv_ld64(p);
        b = kv_ld64(p + n - 8);
    } else if (n >= 4) {
        a = kv_ld32(p);
        b = kv_ld32(p + n - 4);
    } else if (n > 0) {
        a = ((uint64_t)p[0] << 16) | ((uint64_t)p[n >> 1] << 8) | p[n - 1];
        b = 0;
    } else {
        a = b = 0;
    }
    h = fold(a ^ ks_seed[2], b ^ h ^ ks_seed[3]);
    return fold(h ^ ks_seed[1], (uint64_t)len ^ ks_seed[0]);
}

/* xorshift64*: cheap randomness for sampling, LFU and ks_random. */
uint64_t
ks_rand(struct ks *ks)
{
    uint64_t x = ks->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    ks->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* ---- Tables ---- */

static inline uint64_t
kvd_mask(const struct kvdict *d, int t)
{
    return ((uint64_t)1 << d->exp[t]) - 1;
}

static struct kv **
kvd_table_alloc(struct ks *ks, uint8_t exp)
{
    struct kv **t = ts_calloc((size_t)1 << exp, sizeof(struct kv *));
    ks->mem += ts_usable_size(t);
    return t;
}

static void
kvd_table_free(struct ks *ks, struct kv **t)
{
    ks->mem -= ts_usable_size(t);
    ts_free(t);
}

struct kvdict *
kvd_create(struct ks *ks)
{
    struct kvdict *d = ts_malloc(sizeof(*d));
    ks->mem += ts_usable_size(d);
    d->exp[0] = KVD_MIN_EXP;
    d->exp[1] = 0;
    d->t[0] = kvd_table_alloc(ks, KVD_MIN_EXP);
    d->t[1] = NULL;
    d->rehash_idx = -1;
    d->used = 0;
    return d;
}

void
kvd_destroy(struct ks *ks, struct kvdict *d)
{
    for (int i = 0; i < 2; i++)
        if (d->t[i])
            kvd_table_free(ks, d->t[i]);
    ks->mem -= ts_usable_size(d);
    ts_free(d);
}

static inline uint8_t
exp_for(uint64_t n)
{
    uint8_t e = KVD_MIN_EXP;
    while (((uint64_t)1 << e) < n)
        e++;
    return e;
}

static void
kvd_resize_start(struct ks *ks, struct kvdict *d, uint8_t exp)
{
    d->exp[1] = exp;
    d->t[1] = kvd_table_alloc(ks, exp);
    d->rehash_idx = 0;
}

/* Move up to n non-empty buckets from t[0] to t[1], visiting at most
 * n * KVD_EMPTY_VISITS empty ones, so a step over a sparse table stays
 * bounded. Finishes the rehash when t[0] has been walked. */
size_t
kvd_rehash(struct ks *ks, struct kvdict *d, size_t n)
{
    if (n > ((size_t)1 << 24))
        n = (size_t)1 << 24; /* keep n * KVD_EMPTY_VISITS from overflowing */
    size_t empty = n * KVD_EMPTY_VISITS, visits = 0;
    uint64_t size0 = (uint64_t)1 << d->exp[0], m1 = kvd_mask(d, 1);
    while (n && (uint64_t)d->rehash_idx < size0) {
        struct kv *e = d->t[0][d->rehash_idx];
        visits++;
        if (!e) {
            d->rehash_idx++;
            if (--empty == 0)
                break;
            continue;
        }
        while (e) {
            struct kv *next = e->next;
            struct sv k = kv_key(e);
            uint64_t b = ks_hash(k.ptr, k.len) & m1;
            e->next = d->t[1][b];
            d->t[1][b] = e;
            e = next;
        }
        d->t[0][d->rehash_idx++] = NULL;
        n--;
    }
    if ((uint64_t)d->rehash_idx >= size0) {
        kvd_table_free(ks, d->t[0]);
        d->t[0] = d->t[1];
        d->exp[0] = d->exp[1];
        d->t[1] = NULL;
        d->exp[1] = 0;
        d->rehash_idx = -1;
    }
    return visits;
}

bool
kvd_maybe_shrink(struct ks *ks, struct kvdict *d)
{
    if (kvd_rehashing(d) || d->exp[0] <= KVD_MIN_EXP)
        return false;
    uint64_t size = (uint64_t)1 << d->exp[0];
    if (d->used * 8 >= size)
        return false;
    kvd_resize_start(ks, d, exp_for(d->used));
    return true;
}

/* ---- Find / insert / unlink ---- */

static inline bool
kv_key_eq(const struct kv *e, uint8_t tag, struct sv key)
{
    if (e->htag != tag)
        return false;
    if (e->data[0] != KV_KLEN_WIDE)
        return e->data[0] == key.len && memcmp(e->data + 1, key.ptr, key.len) == 0;
    return kv_ld32(e->data + 1) == key.len && memcmp(e->data + 5, key.ptr, key.len) == 0;
}

/* No allocation, no rehash step: a pure read, so GET paths stay cheap and
 * callers may look up while holding entry pointers. */
struct kv *
kvd_find(struct kvdict *d, struct sv key, uint64_t h)
{
    uint8_t tag = ks_htag(h);
    for (int t = 0; t < 2; t++) {
        struct kv *e = d->t[t][h & kvd_mask(d, t)];
        for (; e; e = e->next)
            if (kv_key_eq(e, tag, key))
                return e;
        if (!kvd_rehashing(d))
            break;
    }
    return NULL;
}

struct kv **
kvd_link_of(struct kvdict *d, const struct kv *e, uint64_t h)
{
    for (int t = 0; t < 2; t++) {
        struct kv **link = &d->t[t][h & kvd_mask(d, t)];
        for (; *link; link = &(*link)->next)
            if (*link == e)
                return link;
        if (!kvd_rehashing(d))
            break;
    }
    abort(); /* entry not in its table: keyspace corrupted */
}

void
kvd_insert(struct ks *ks, struct kvdict *d, struct kv *e, uint64_t h)
{
    if (kvd_rehashing(d))
        kvd_rehash(ks, d, 1);
    else if (d->used >= ((uint64_t)1 << d->exp[0]))
        kvd_resize_start(ks, d, d->exp[0] + 1);
    int t = kvd_rehashing(d) ? 1 : 0;
    struct kv **b = &d->t[t][h & kvd_mask(d, t)];
    e->next = *b;
    *b = e;
    d->used++;
}

void
kvd_unlink(struct kvdict *d, struct kv *e, uint64_t h)
{
    struct kv **link = kvd_link_of(d, e, h);
    *link = e->next;
    e->next = NULL;
    d->used--;
}

/* ---- Scan ----
 *
 * The cursor is a bucket index incremented in reverse-bit order (highest
 * bit first). Bucket b of a 2^n table splits into b and b + 2^n of the
 * 2^(n+1) table, which in reverse-binary order are visited right after each
 * other, so a resize between calls never makes the cursor skip a range:
 * grown tables revisit nothing they were owed, shrunk ones may return some
 * keys twice. While rehashing both tables hold keys, so each step visits
 * the bucket of the smaller table and every bucket of the larger table
 * that maps onto it. */
static void
visit_chain(struct kv *e, void (*fn)(void *, struct kv *), void *arg)
{
    while (e) {
        struct kv *next = e->next;
        fn(arg, e);
        e = next;
    }
}

uint64_t
kvd_scan(struct kvdict *d, uint64_t c, void (*fn)(void *, struct kv *), void *arg)
{
    if (!kvd_rehashing(d)) {
        uint64_t m = kvd_mask(d, 0);
        visit_chain(d->t[0][c & m], fn, arg);
        return scan_cursor_next(c, m);
    }
    int small = d->exp[0] <= d->exp[1] ? 0 : 1, large = 1 - small;
    uint64_t ms = kvd_mask(d, small), ml = kvd_mask(d, large);
    visit_chain(d->t[small][c & ms], fn, arg);
    do {
        visit_chain(d->t[large][c & ml], fn, arg);
        c = scan_cursor_next(c, ml);
    } while (c & (ms ^ ml));
    return c;
}

/* ---- Random ----
 *
 * Pick a random bucket over both tables until a non-empty one turns up,
 * then a random entry of its chain. Tables are kept at least 1/8 full by
 * shrinking, so a few tries usually suffice; after 64 misses fall back to
 * walking forward from a random bucket. */
struct kv *
kvd_random(struct ks *ks, struct kvdict *d)
{
    if (d->used == 0)
        return NULL;
    uint64_t s0 = (uint64_t)1 << d->exp[0];
    uint64_t s1 = kvd_rehashing(d) ? (uint64_t)1 << d->exp[1] : 0;
    uint64_t total = s0 + s1, r = ks_rand(ks) % total;
    struct kv *head = NULL;
    for (int tries = 0; !head; tries++) {
        if (tries < 64)
            r = ks_rand(ks) % total;
        else
            r = (r + 1) % total;
        head = r < s0 ? d->t[0][r] : d->t[1][r - s0];
    }
    size_t len = 0;
    for (struct kv *e = head; e; e = e->next)
        len++;
    size_t k = (size_t)(ks_rand(ks) % len);
    while (k--)
        head = head->next;
    return head;
}

/* ---- Clear ---- */
void
kvd_clear(struct ks *ks, struct kvdict *d, void (*pre)(struct ks *, struct kv *))
{
    for (int t = 0; t < 2; t++) {
        if (!d->t[t])
            continue;
        uint64_t size = (uint64_t)1 << d->exp[t];
        for (uint64_t b = 0; b < size; b++) {
            struct kv *e = d->t[t][b];
            while (e) {
                struct kv *next = e->next;
                if (pre)
                    pre(ks, e);
                kv_free(ks, e);
                e = next;
            }
            d->t[t][b] = NULL;
        }
    }
    d->used = 0;
}
