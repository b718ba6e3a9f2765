/* intset.c: Redis-format sorted integer arrays (intset.h).
 *
 * The header and elements are little-endian on disk and in memory; this
 * file reads and writes them through memcpy, which is the identity on the
 * little-endian hosts Tessera targets (checked at compile time below), so
 * a blob is valid RDB payload as it sits in memory. */
#include "core/intset.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "intset.c stores Redis's little-endian layout natively; add byte swapping for this host"
#endif

struct intset {
    uint32_t width;
    uint32_t length;
    uint8_t contents[];
};

_Static_assert(sizeof(struct intset) == INTSET_HDR, "intset header is 8 bytes as in Redis");

/* ---- Element access ---- */

static inline int64_t
raw_at(const uint8_t *contents, size_t pos, unsigned width)
{
    const uint8_t *p = contents + pos * width;
    if (width == 2) {
        int16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    if (width == 4) {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline int64_t
is_at(const struct intset *is, size_t pos, unsigned width)
{
    return raw_at(is->contents, pos, width);
}

static inline void
is_put(struct intset *is, size_t pos, unsigned width, int64_t v)
{
    uint8_t *p = is->contents + pos * width;
    if (width == 2) {
        int16_t x = (int16_t)v;
        memcpy(p, &x, 2);
    } else if (width == 4) {
        int32_t x = (int32_t)v;
        memcpy(p, &x, 4);
    } else {
        memcpy(p, &v, 8);
    }
}

/* Smallest width holding v. */
static inline unsigned
width_for(int64_t v)
{
    if (v < INT32_MIN || v > INT32_MAX)
        return 8;
    if (v < INT16_MIN || v > INT16_MAX)
        return 4;
    return 2;
}

/* Binary search: true and *pos = index when found, else false and *pos =
 * where v would be inserted. */
static bool
is_search(const struct intset *is, int64_t v, size_t *pos)
{
    size_t lo = 0, hi = is->length;
    unsigned w = is->width;
    if (hi > 0) { /* the common append / prepend cases without a search */
        if (v > is_at(is, hi - 1, w)) {
            *pos = hi;
            return false;
        }
        if (v < is_at(is, 0, w)) {
            *pos = 0;
            return false;
        }
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t cur = is_at(is, mid, w);
        if (cur == v) {
            *pos = mid;
            return true;
        }
        if (cur < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    *pos = lo;
    return false;
}

/* ---- Read API ---- */

struct intset *
intset_new(void)
{
    struct intset *is = ts_malloc(INTSET_HDR);
    is->width = 2;
    is->length = 0;
    return is;
}

void
intset_free(struct intset *is)
{
    ts_free(is);
}

size_t
intset_len(const struct intset *is)
{
    return is->length;
}

unsigned
intset_width(const struct intset *is)
{
    return is->width;
}

size_t
intset_blob_len(const struct intset *is)
{
    return INTSET_HDR + (size_t)is->length * is->width;
}

struct intset *
intset_dup(const struct intset *is)
{
    size_t n = intset_blob_len(is);
    struct intset *c = ts_malloc(n);
    memcpy(c, is, n);
    return c;
}

bool
intset_find(const struct intset *is, int64_t v)
{
    size_t pos;
    return width_for(v) <= is->width && is_search(is, v, &pos);
}

bool
intset_get(const struct intset *is, size_t pos, int64_t *v)
{
    if (pos >= is->length)
        return false;
    *v = is_at(is, pos, is->width);
    return true;
}

/* ---- In-place mutation ---- */

size_t
intset_need(const struct intset *is, int64_t v)
{
    if (intset_find(is, v))
        return intset_blob_len(is);
    unsigned w = TS_MAX(is->width, width_for(v));
    return INTSET_HDR + ((size_t)is->length + 1) * w;
}

/* Widen every element to width w, from the back so nothing is overwritten
 * before it is read, leaving one free slot at the front (v < every
 * element) or at the back (v > every element): a value that needs a wider
 * type is beyond the range of all current ones. Then store v there. */
static void
is_upgrade_insert(struct intset *is, int64_t v, unsigned w)
{
    unsigned old = is->width;
    size_t n = is->length;
    bool front = v < 0;
    is->width = w;
    for (size_t i = n; i-- > 0;)
        is_put(is, i + (front ? 1 : 0), w, is_at(is, i, old));
    is_put(is, front ? 0 : n, w, v);
    is->length = (uint32_t)(n + 1);
}

void
intset_insert(struct intset *is, int64_t v)
{
    unsigned need = width_for(v);
    if (need > is->width) {
        is_upgrade_insert(is, v, need);
        return;
    }
    size_t pos;
    if (is_search(is, v, &pos))
        return; /* contract says absent; stay safe */
    unsigned w = is->width;
    memmove(is->contents + (pos + 1) * w, is->contents + pos * w, (is->length - pos) * (size_t)w);
    is_put(is, pos, w, v);
    is->length++;
}

bool
intset_remove(struct intset *is, int64_t v)
{
    size_t pos;
    if (width_for(v) > is->width || !is_search(is, v, &pos))
        return false;
    unsigned w = is->width;
    memmove(is->contents + pos * w, is->contents + (pos + 1) * w, (is->length - pos - 1) * (size_t)w);
    is->length--;
    return true;
}

/* ---- Realloc-style mutation ---- */

struct intset *
intset_add(struct intset *is, int64_t v, bool *added)
{
    if (intset_find(is, v)) {
        *added = false;
        return is;
    }
    size_t need = intset_need(is, v);
    if (need > ts_usable_size(is))
        is = ts_realloc(is, need);
    intset_insert(is, v);
    *added = true;
    return is;
}

struct intset *
intset_del(struct intset *is, int64_t v, bool *removed)
{
    *removed = intset_remove(is, v);
    if (*removed)
        is = ts_realloc(is, intset_blob_len(is));
    return is;
}

/* ---- Validation of untrusted blobs ---- */

bool
intset_validate(const void *blob, size_t size)
{
    if (size < INTSET_HDR)
        return false;
    struct intset h;
    memcpy(&h, blob, INTSET_HDR);
    if (h.width != 2 && h.width != 4 && h.width != 8)
        return false;
    if (h.length == 0 || (size - INTSET_HDR) / h.width != h.length || (size - INTSET_HDR) % h.width != 0)
        return false;
    /* The blob may be unaligned (inside an RDB buffer): read it as bytes. */
    const uint8_t *contents = (const uint8_t *)blob + INTSET_HDR;
    int64_t prev = raw_at(contents, 0, h.width);
    for (size_t i = 1; i < h.length; i++) {
        int64_t cur = raw_at(contents, i, h.width);
        if (cur <= prev)
            return false;
        prev = cur;
    }
    return true;
}
