/* sdict.c: a chained hash table of strings with optional values (sdict.h).
 *
 *   t[0]  [ moved | moved | rehash_idx -> | old | old | ... ]
 *   t[1]  [ new table, 2x (grow) or smaller (shrink)         ]
 *
 * While rehashing, buckets of t[0] below rehash_idx are empty and new
 * elements go to t[1]; each insert or delete moves one more bucket. Elements
 * do not store their hash (a move recomputes it), which keeps a set member
 * of 8 bytes in a 32-byte block. */
#include "core/sdict.h"

#include "core/keyspace_int.h"
#include "core/scan_cursor.h" /* ks_hash: one seeded hash for every table */

#define SD_MIN_EXP 2
#define SD_EMPTY_VISITS 10

struct sdict_elem {
    struct sdict_elem *next;
    uint32_t klen;
    uint32_t vlen;
    char data[]; /* key bytes, then value bytes */
};

struct sdict {
    struct sdict_elem **t[2];
    uint8_t exp[2];
    int64_t rehash_idx; /* -1 when not rehashing */
    uint64_t used;
    size_t mem;         /* usable bytes of this struct, tables and elements */
};

uint64_t
sdict_hash(const void *p, size_t n)
{
    return ks_hash(p, n);
}

static inline uint64_t
sd_mask(const struct sdict *d, int t)
{
    return ((uint64_t)1 << d->exp[t]) - 1;
}

static inline bool
sd_rehashing(const struct sdict *d)
{
    return d->rehash_idx >= 0;
}

static struct sdict_elem **
sd_table_alloc(struct sdict *d, uint8_t exp)
{
    struct sdict_elem **t = ts_calloc((size_t)1 << exp, sizeof(*t));
    d->mem += ts_usable_size(t);
    return t;
}

static void
sd_table_free(struct sdict *d, struct sdict_elem **t)
{
    d->mem -= ts_usable_size(t);
    ts_free(t);
}

struct sdict *
sdict_create(void)
{
    struct sdict *d = ts_calloc(1, sizeof(*d));
    d->mem = ts_usable_size(d);
    d->exp[0] = SD_MIN_EXP;
    d->t[0] = sd_table_alloc(d, SD_MIN_EXP);
    d->rehash_idx = -1;
    return d;
}

void
sdict_destroy(struct sdict **dp)
{
    struct sdict *d = *dp;
    if (!d)
        return;
    for (int t = 0; t < 2; t++) {
        if (!d->t[t])
            continue;
        uint64_t size = (uint64_t)1 << d->exp[t];
        for (uint64_t b = 0; b < size; b++) {
            struct sdict_elem *e = d->t[t][b];
            while (e) {
                struct sdict_elem *next = e->next;
                ts_free(e);
                e = next;
            }
        }
        ts_free(d->t[t]);
    }
    ts_free(d);
    *dp = NULL;
}

size_t
sdict_size(const struct sdict *d)
{
    return (size_t)d->used;
}

size_t
sdict_mem(const struct sdict *d)
{
    return d->mem;
}

struct sv
sdict_elem_key(const struct sdict_elem *e)
{
    return (struct sv){e->data, e->klen};
}

struct sv
sdict_elem_val(const struct sdict_elem *e)
{
    return (struct sv){e->data + e->klen, e->vlen};
}

static struct sdict_elem *
sd_elem_new(struct sdict *d, struct sv key, struct sv val)
{
    struct sdict_elem *e = ts_malloc(sizeof(*e) + key.len + val.len);
    e->next = NULL;
    e->klen = (uint32_t)key.len;
    e->vlen = (uint32_t)val.len;
    memcpy(e->data, key.ptr, key.len);
    if (val.len)
        memcpy(e->data + key.len, val.ptr, val.len);
    d->mem += ts_usable_size(e);
    return e;
}

static void
sd_elem_free(struct sdict *d, struct sdict_elem *e)
{
    d->mem -= ts_usable_size(e);
    ts_free(e);
}

/* ---- Resizing ---- */

static uint8_t
exp_for(uint64_t n)
{
    uint8_t e = SD_MIN_EXP;
    while (((uint64_t)1 << e) < n)
        e++;
    return e;
}

static void
sd_resize_start(struct sdict *d, uint8_t exp)
{
    d->exp[1] = exp;
    d->t[1] = sd_table_alloc(d, exp);
    d->rehash_idx = 0;
}

/* Move up to n non-empty buckets (visiting at most n * SD_EMPTY_VISITS
 * empty ones); finish the rehash once t[0] has been walked. */
static void
sd_rehash(struct sdict *d, size_t n)
{
    size_t empty = n * SD_EMPTY_VISITS;
    uint64_t size0 = (uint64_t)1 << d->exp[0], m1 = sd_mask(d, 1);
    while (n && (uint64_t)d->rehash_idx < size0) {
        struct sdict_elem *e = d->t[0][d->rehash_idx];
        if (!e) {
            d->rehash_idx++;
            if (--empty == 0)
                break;
            continue;
        }
        while (e) {
            struct sdict_elem *next = e->next;
            uint64_t b = ks_hash(e->data, e->klen) & m1;
            e->next = d->t[1][b];
            d->t[1][b] = e;
            e = next;
        }
        d->t[0][d->rehash_idx++] = NULL;
        n--;
    }
    if ((uint64_t)d->rehash_idx >= size0) {
        sd_table_free(d, d->t[0]);
        d->t[0] = d->t[1];
        d->exp[0] = d->exp[1];
        d->t[1] = NULL;
        d->exp[1] = 0;
        d->rehash_idx = -1;
    }
}

static void
sd_maybe_shrink(struct sdict *d)
{
    if (sd_rehashing(d) || d->exp[0] <= SD_MIN_EXP)
        return;
    if (d->used * 8 < ((uint64_t)1 << d->exp[0]))
        sd_resize_start(d, exp_for(d->used));
}

/* ---- Find / insert / delete ---- */

static inline bool
sd_key_eq(const struct sdict_elem *e, struct sv key)
{
    return e->klen == key.len && memcmp(e->data, key.ptr, key.len) == 0;
}

/* The link pointing at key's element (or the NULL link ending its chain in
 * the table new elements go to, when absent). */
static struct sdict_elem **
sd_link(const struct sdict *d, struct sv key, uint64_t h, bool *found)
{
    struct sdict_elem **link = NULL;
    for (int t = 0; t < 2; t++) {
        link = &d->t[t][h & sd_mask(d, t)];
        for (; *link; link = &(*link)->next)
            if (sd_key_eq(*link, key)) {
                *found = true;
                return link;
            }
        if (!sd_rehashing(d))
            break;
    }
    *found = false;
    return NULL;
}

struct sdict_elem *
sdict_find(const struct sdict *d, struct sv key)
{
    bool found;
    struct sdict_elem **link = sd_link(d, key, ks_hash(key.ptr, key.len), &found);
    return found ? *link : NULL;
}

static void
sd_insert(struct sdict *d, struct sdict_elem *e, uint64_t h)
{
    if (sd_rehashing(d))
        sd_rehash(d, 1);
    else if (d->used >= ((uint64_t)1 << d->exp[0]))
        sd_resize_start(d, d->exp[0] + 1);
    int t = sd_rehashing(d) ? 1 : 0;
    struct sdict_elem **b = &d->t[t][h & sd_mask(d, t)];
    e->next = *b;
    *b = e;
    d->used++;
}

bool
sdict_set(struct sdict *d, struct sv key, struct sv val)
{
    uint64_t h = ks_hash(key.ptr, key.len);
    bool found;
    struct sdict_elem **link = sd_link(d, key, h, &found);
    if (found) {
        struct sdict_elem *old = *link;
        if (old->vlen == val.len) { /* same size: in place (memmove: val may alias) */
            memmove(old->data + old->klen, val.ptr, val.len);
            return false;
        }
        struct sdict_elem *e = sd_elem_new(d, key, val); /* copies before old is freed */
        e->next = old->next;
        *link = e;
        sd_elem_free(d, old);
        return false;
    }
    sd_insert(d, sd_elem_new(d, key, val), h);
    return true;
}

bool
sdict_add(struct sdict *d, struct sv key)
{
    uint64_t h = ks_hash(key.ptr, key.len);
    bool found;
    sd_link(d, key, h, &found);
    if (found)
        return false;
    sd_insert(d, sd_elem_new(d, key, (struct sv){NULL, 0}), h);
    return true;
}

bool
sdict_delete(struct sdict *d, struct sv key)
{
    uint64_t h = ks_hash(key.ptr, key.len);
    if (sd_rehashing(d))
        sd_rehash(d, 1);
    bool found;
    struct sdict_elem **link = sd_link(d, key, h, &found);
    if (!found)
        return false;
    struct sdict_elem *e = *link;
    *link = e->next;
    sd_elem_free(d, e);
    d->used--;
    sd_maybe_shrink(d);
    return true;
}

struct sdict *
sdict_dup(const struct sdict *src)
{
    struct sdict *d = sdict_create();
    if (src->used > 4) { /* size the copy once instead of growing through rehashes */
        sd_table_free(d, d->t[0]);
        d->exp[0] = exp_for(src->used);
        d->t[0] = sd_table_alloc(d, d->exp[0]);
    }
    for (int t = 0; t < 2; t++) {
        if (!src->t[t])
            continue;
        uint64_t size = (uint64_t)1 << src->exp[t];
        for (uint64_t b = 0; b < size; b++)
            for (const struct sdict_elem *e = src->t[t][b]; e; e = e->next)
                sd_insert(d, sd_elem_new(d, sdict_elem_key(e), sdict_elem_val(e)),
                          ks_hash(e->data, e->klen));
    }
    return d;
}

/* ---- Scan ----
 *
 * Reverse-binary cursor, as kvstore_dict.c: bucket b of a 2^n table splits
 * into b and b + 2^n of the 2^(n+1) table, visited right after each other
 * in reverse-bit order, so a resize between calls never skips a range. */
static void
visit_chain(const struct sdict_elem *e, sdict_visit_fn fn, void *arg)
{
    for (; e; e = e->next)
        fn(arg, e);
}

uint64_t
sdict_scan(const struct sdict *d, uint64_t c, sdict_visit_fn fn, void *arg)
{
    if (!sd_rehashing(d)) {
        uint64_t m = sd_mask(d, 0);
        visit_chain(d->t[0][c & m], fn, arg);
        return scan_cursor_next(c, m);
    }
    int small = d->exp[0] <= d->exp[1] ? 0 : 1, large = 1 - small;
    uint64_t ms = sd_mask(d, small), ml = sd_mask(d, large);
    visit_chain(d->t[small][c & ms], fn, arg);
    do {
        visit_chain(d->t[large][c & ml], fn, arg);
        c = scan_cursor_next(c, ml);
    } while (c & (ms ^ ml));
    return c;
}

/* ---- Random ---- */

const struct sdict_elem *
sdict_random(const struct sdict *d, uint64_t r1, uint64_t r2)
{
    if (d->used == 0)
        return NULL;
    uint64_t s0 = (uint64_t)1 << d->exp[0];
    uint64_t s1 = sd_rehashing(d) ? (uint64_t)1 << d->exp[1] : 0;
    uint64_t total = s0 + s1;
    const struct sdict_elem *head = NULL;
    uint64_t x = r1;
    /* Probe pseudo-random buckets derived from r1 (tables are kept at
     * least 1/8 full, so a few probes suffice), then walk forward. */
    for (int tries = 0; !head; tries++) {
        uint64_t r;
        if (tries < 64) {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            r = (x * 0x2545f4914f6cdd1dull) % total;
        } else {
            r = (r1 + (uint64_t)tries) % total;
        }
        head = r < s0 ? d->t[0][r] : d->t[1][r - s0];
    }
    size_t len = 0;
    for (const struct sdict_elem *e = head; e; e = e->next)
        len++;
    size_t k = (size_t)(r2 % len);
    while (k--)
        head = head->next;
    return head;
}

/* ---- Iteration ---- */

void
sdict_iter_init(struct sdict_iter *it, struct sdict *d)
{
    it->d = d;
    it->table = 0;
    it->bucket = 0;
    it->next = NULL;
}

const struct sdict_elem *
sdict_iter_next(struct sdict_iter *it)
{
    struct sdict *d = it->d;
    while (!it->next) {
        if (it->table > 1 || !d->t[it->table])
            return NULL;
        uint64_t size = (uint64_t)1 << d->exp[it->table];
        if (it->bucket >= size) {
            it->table++;
            it->bucket = 0;
            continue;
        }
        it->next = d->t[it->table][it->bucket++];
    }
    struct sdict_elem *e = it->next;
    it->next = e->next;
    return e;
}
