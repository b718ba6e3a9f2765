/* fuzz_intset.c: libFuzzer target for untrusted intset blobs and the set
 * type's RDB loader (core/intset.c, core/obj_set.c).
 *
 * Byte 0 picks what the rest is:
 *   even: an intset blob. intset_validate must agree with an independent
 *         check of the layout (width, size, strictly ascending); a blob it
 *         accepts must then survive every operation: finds, gets in
 *         ascending order, adds and deletes of values derived from the
 *         input (including widening ones), staying valid throughout.
 *   odd:  an RDB payload for type SET (byte 0 & 2) or SET_INTSET, fed to
 *         the set type's rdb_load hook; whatever it builds must save and
 *         load back to the same members.
 * Blobs are copied into exactly-sized blocks so ASan sees any overread. */
#include "core/config.h"
#include "core/intset.h"
#include "core/obj.h"
#include "core/obj_set.h"
#include "core/rdb_codec.h"
#include "core/keyspace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(c)                                                                              \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_intset: check failed: %s (line %d)\n", #c, __LINE__);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static int64_t
rd(const uint8_t *p, unsigned w)
{
    if (w == 2) {
        int16_t v;
        memcpy(&v, p, 2);
        return v;
    }
    if (w == 4) {
        int32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* The layout rules restated independently of intset.c. */
static bool
ref_valid(const uint8_t *b, size_t n)
{
    if (n < 8)
        return false;
    uint32_t w, len;
    memcpy(&w, b, 4);
    memcpy(&len, b + 4, 4);
    if ((w != 2 && w != 4 && w != 8) || len == 0 || (uint64_t)len * w + 8 != n)
        return false;
    for (uint32_t i = 1; i < len; i++)
        if (rd(b + 8 + (size_t)i * w, w) <= rd(b + 8 + (size_t)(i - 1) * w, w))
            return false;
    return true;
}

static void
exercise(const uint8_t *blob, size_t n)
{
    struct intset *own = ts_malloc(n);
    memcpy(own, blob, n);
    size_t len = intset_len(own);
    int64_t prev = 0, v;
    for (size_t i = 0; intset_get(own, i, &v); i++) {
        FUZZ_CHECK(i == 0 || v > prev);
        FUZZ_CHECK(intset_find(own, v));
        prev = v;
    }
    /* Values from the input, shifted into every width. */
    for (size_t i = 8; i + 8 <= n && i < 8 + 64 * 8; i += 8) {
        int64_t x = rd(blob + i, 8);
        int64_t cands[4] = {x, (int16_t)x, (int32_t)x, x ^ 1};
        for (int k = 0; k < 4; k++) {
            bool did;
            bool had = intset_find(own, cands[k]);
            own = intset_add(own, cands[k], &did);
            FUZZ_CHECK(did == !had);
            FUZZ_CHECK(intset_find(own, cands[k]));
            len += did;
            FUZZ_CHECK(intset_len(own) == len);
            FUZZ_CHECK(intset_validate(own, intset_blob_len(own)));
            if (k == 3) {
                own = intset_del(own, cands[k], &did);
                FUZZ_CHECK(did);
                len--;
                FUZZ_CHECK(!intset_find(own, cands[k]));
            }
        }
    }
    intset_free(own);
}

static void
rdb_case(int type, const uint8_t *data, size_t size)
{
    static bool registered;
    if (!registered) {
        g_cfg.set_max_intset_entries = 512; /* the default (no config file is read here) */
        obj_setup();
        registered = true;
    }
    const struct obj_ops *t = obj_ops_of(OBJ_SET);
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    struct rdb_in in;
    rdb_in_init(&in, copy, size);
    char err[128] = "";
    void *o = t->rdb_load(type, &in, err);
    rdb_in_deinit(&in);
    free(copy);
    if (!o) {
        FUZZ_CHECK(err[0] != '\0');
        return;
    }
    struct ts_buf b = {0};
    int st = t->rdb_save(o, &b);
    struct rdb_in in2;
    rdb_in_init(&in2, b.data, b.len);
    void *back = t->rdb_load(st, &in2, err);
    FUZZ_CHECK(back != NULL);
    FUZZ_CHECK(in2.pos == b.len);
    FUZZ_CHECK(tset_size(back) == tset_size(o));
    struct tset_iter it;
    struct sv m;
    bool is_int;
    int64_t iv;
    tset_iter_init(&it, o);
    while (tset_iter_next(&it, &m, &is_int, &iv))
        FUZZ_CHECK(tset_contains(back, m));
    rdb_in_deinit(&in2);
    ts_buf_free(&b);
    tset_free(back);
    tset_free(o);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t sel = data[0];
    data++;
    size--;
    if ((sel & 1) == 0) {
        uint8_t *blob = malloc(size ? size : 1);
        memcpy(blob, data, size);
        bool ok = intset_validate(blob, size);
        FUZZ_CHECK(ok == ref_valid(blob, size));
        if (ok)
            exercise(blob, size);
        free(blob);
        return 0;
    }
    rdb_case((sel & 2) ? RDB_TYPE_SET : RDB_TYPE_SET_INTSET, data, size);
    return 0;
}
