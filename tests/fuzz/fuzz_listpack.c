/* fuzz_listpack.c: libFuzzer target for listpack validation (core/listpack.c)
 * and the hash type's RDB loaders that sit on it (core/obj_hash*.c).
 *
 * Byte 0 selects what the rest is:
 *   0..3  a raw listpack blob: lp_validate must never read out of bounds;
 *         a blob that validates must iterate forwards and backwards over
 *         the same number of entries, every entry inside the blob, each
 *         readable as text; and then survive being edited (an append, a
 *         replace of the first entry, a delete of the last).
 *   4     an RDB HASH_LISTPACK (16) value payload, through hash_rdb_load
 *   5     an RDB HASH (4) payload
 *   6     an RDB HASH_ZIPLIST (13) payload
 *   7     an RDB HASH_ZIPMAP (9) payload
 * A loaded hash must iterate over exactly hash_len fields. The input is
 * copied into an exactly-sized malloc block so ASan sees any overread.
 * Seeds: corpus_listpack/. */
#include "core/config.h"
#include "core/listpack.h"
#include "core/rdb_codec.h"
#include "core/t_hash.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(c)                                                                              \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_listpack: check failed: %s (line %d)\n", #c, __LINE__);        \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static void
fuzz_blob(const uint8_t *p, size_t n)
{
    unsigned long count = 0;
    if (!lp_validate(p, n, &count))
        return;
    unsigned long fw = 0, bw = 0;
    char buf[LP_INTBUF];
    for (const uint8_t *q = lp_first(p); q; q = lp_next(p, q)) {
        FUZZ_CHECK(q >= p + LP_HDR_SIZE && q < p + n - 1);
        struct sv s = lp_get_sv(q, buf);
        FUZZ_CHECK(s.ptr == buf || ((const uint8_t *)s.ptr >= p && (const uint8_t *)s.ptr + s.len <= p + n));
        fw++;
    }
    for (const uint8_t *q = lp_last(p); q; q = lp_prev(p, q)) {
        FUZZ_CHECK(q >= p + LP_HDR_SIZE && q < p + n - 1);
        bw++;
    }
    FUZZ_CHECK(fw == count && bw == count && lp_length(p) == count);
    /* A validated blob is as good as one we built: edit it. */
    uint8_t *lp = malloc(n);
    memcpy(lp, p, n);
    uint8_t *mine = ts_malloc(n);
    memcpy(mine, lp, n);
    free(lp);
    mine = lp_append(mine, "fuzz", 4);
    mine = lp_insert(mine, lp_first(mine), LP_REPLACE, "12345", 5, NULL);
    mine = lp_delete(mine, lp_last(mine), NULL);
    FUZZ_CHECK(lp_validate(mine, lp_bytes(mine), &count));
    lp_free(mine);
}

static void
fuzz_rdb(int type, const uint8_t *p, size_t n)
{
    struct rdb_in in;
    char err[128];
    rdb_in_init(&in, p, n);
    struct hobj *h = hash_rdb_load(type, &in, err);
    rdb_in_deinit(&in);
    if (!h)
        return;
    struct hash_iter it;
    struct sv f, v;
    size_t k = 0;
    hash_iter_init(&it, h);
    while (hash_iter_next(&it, &f, &v))
        k++;
    FUZZ_CHECK(k == hash_len(h) && k > 0);
    hash_free(h);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    if (!init) {
        g_cfg.hash_max_listpack_entries = 512;
        g_cfg.hash_max_listpack_value = 64;
        init = true;
    }
    if (size < 1)
        return 0;
    size_t n = size - 1;
    uint8_t *p = malloc(n ? n : 1);
    memcpy(p, data + 1, n);
    static const int types[] = {RDB_TYPE_HASH_LISTPACK, RDB_TYPE_HASH, RDB_TYPE_HASH_ZIPLIST, RDB_TYPE_HASH_ZIPMAP};
    unsigned sel = data[0] & 7;
    if (sel < 4)
        fuzz_blob(p, n);
    else
        fuzz_rdb(types[sel - 4], p, n);
    free(p);
    return 0;
}
