/* rdb_codec.h: the primitives of Redis's RDB encoding (spec/rdb.md §2-3)
 * that every value type's rdb_save/rdb_load hook (obj.h) is written with:
 * lengths, strings (raw, integer-encoded, LZF-compressed on load), and a
 * bounds-checked reader over an in-memory payload.
 *
 * The file layout (header, opcodes, AUX, CRC64) belongs to the RDB writer
 * and loader; these calls only encode and decode values. Readers never
 * trust a length: every read is checked against what remains, and a
 * failure leaves in->err set, so a hook can read a whole value and check
 * once at the end. */
#ifndef TESSERA_RDB_CODEC_H
#define TESSERA_RDB_CODEC_H

#include "core/buf.h"
#include "core/common.h"

/* Value type bytes (spec/rdb.md §6). */
enum rdb_type {
    RDB_TYPE_STRING = 0,
    RDB_TYPE_LIST = 1,
    RDB_TYPE_SET = 2,
    RDB_TYPE_ZSET = 3,
    RDB_TYPE_HASH = 4,
    RDB_TYPE_ZSET_2 = 5,
    RDB_TYPE_HASH_ZIPMAP = 9,
    RDB_TYPE_LIST_ZIPLIST = 10,
    RDB_TYPE_SET_INTSET = 11,
    RDB_TYPE_ZSET_ZIPLIST = 12,
    RDB_TYPE_HASH_ZIPLIST = 13,
    RDB_TYPE_LIST_QUICKLIST = 14,
    RDB_TYPE_STREAM_LISTPACKS = 15,
    RDB_TYPE_HASH_LISTPACK = 16,
    RDB_TYPE_ZSET_LISTPACK = 17,
    RDB_TYPE_LIST_QUICKLIST_2 = 18,
    RDB_TYPE_STREAM_LISTPACKS_2 = 19,
    RDB_TYPE_SET_LISTPACK = 20,
};

/* ---- Writing ---- */
/* A length in the smallest form. */
void rdb_put_len(struct ts_buf *b, uint64_t len);
/* A string: int8/16/32-encoded when it is a canonical integer of at most
 * 11 characters in int32 range (as Redis writes them), raw otherwise. */
void rdb_put_str(struct ts_buf *b, const void *p, size_t n);
/* A string always written raw (blobs: listpacks, intsets). */
void rdb_put_raw(struct ts_buf *b, const void *p, size_t n);

/* ---- Reading ---- */
struct rdb_in {
    const uint8_t *p;
    size_t len;
    size_t pos;
    bool err;             /* a read ran past the end or met a bad encoding */
    struct ts_buf scratch; /* decoded strings (integers, LZF): owned, freed by rdb_in_deinit */
};

static inline void
rdb_in_init(struct rdb_in *in, const void *p, size_t len)
{
    memset(in, 0, sizeof(*in));
    in->p = p;
    in->len = len;
}

void rdb_in_deinit(struct rdb_in *in);

/* A length; 0 and in->err set on failure (or when the byte is a special
 * string encoding, which is not a length). */
uint64_t rdb_get_len(struct rdb_in *in);
/* A string in any form. The view points into the input (raw strings) or
 * into in->scratch (decoded ones): valid until the next rdb_get_str. On
 * failure returns an empty view and sets in->err. */
struct sv rdb_get_str(struct rdb_in *in);
/* Like rdb_get_str, but copies the string into a new ts_malloc block
 * (*out, length *n); false on failure. */
bool rdb_get_str_copy(struct rdb_in *in, char **out, size_t *n);

/* LZF decompression of clen bytes into exactly ulen bytes at out; false
 * if the input is malformed or does not produce ulen bytes. */
bool rdb_lzf_decompress(const uint8_t *in, size_t clen, uint8_t *out, size_t ulen);

#endif
