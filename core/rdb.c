/* rdb.c: the RDB writer (rdb.h, spec/rdb.md §1, §4, §5, §11). The loader
 * is in rdb_load.c. */
#include "core/rdb.h"

#include "core/crc64.h"
#include "core/keyspace.h"
#include "core/obj.h"
#include "core/rdb_codec.h"

#include <stdio.h>

static void
put_le64(struct ts_buf *b, uint64_t v)
{
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(v >> (8 * i));
    ts_buf_append(b, le, sizeof(le));
}

void
rdb_write_header(struct ts_buf *b, int version)
{
    char hdr[16];
    int n = snprintf(hdr, sizeof(hdr), "REDIS%04d", version);
    ts_buf_append(b, hdr, (size_t)n);
}

void
rdb_write_aux(struct ts_buf *b, const char *key, struct sv val)
{
    ts_buf_putc(b, (char)RDB_OPCODE_AUX);
    rdb_put_str(b, key, strlen(key));
    rdb_put_str(b, val.ptr, val.len);
}

void
rdb_write_aux_int(struct ts_buf *b, const char *key, long long val)
{
    char num[24];
    int n = ts_ll_to_str(num, val);
    rdb_write_aux(b, key, (struct sv){num, (size_t)n});
}

void
rdb_write_select_db(struct ts_buf *b, int db, uint64_t db_size, uint64_t expires_size)
{
    ts_buf_putc(b, (char)RDB_OPCODE_SELECTDB);
    rdb_put_len(b, (uint64_t)db);
    ts_buf_putc(b, (char)RDB_OPCODE_RESIZEDB);
    rdb_put_len(b, db_size);
    rdb_put_len(b, expires_size);
}

/* The type byte comes first but a collection's hook chooses it (listpack
 * or hashtable form) while writing the value, so its place is reserved
 * and filled in afterwards. Strings are never LZF-compressed (Tessera has
 * no rdbcompression directive; spec/rdb.md §3 allows raw). */
void
rdb_write_key(struct ts_buf *b, const struct kv *e)
{
    int64_t exp = kv_expire(e);
    if (exp >= 0) {
        ts_buf_putc(b, (char)RDB_OPCODE_EXPIRETIME_MS);
        put_le64(b, (uint64_t)exp);
    }
    size_t type_at = b->len;
    ts_buf_putc(b, RDB_TYPE_STRING);
    struct sv k = kv_key(e);
    rdb_put_str(b, k.ptr, k.len);
    int type = kv_type(e);
    if (type == OBJ_STRING) {
        char tmp[24];
        struct sv v = kv_str(e, tmp);
        rdb_put_str(b, v.ptr, v.len);
        return;
    }
    b->data[type_at] = (char)obj_ops_of(type)->rdb_save(kv_obj(e), b);
}

uint64_t
rdb_write_eof(struct ts_buf *b, uint64_t crc_before_eof)
{
    const uint8_t eof = RDB_OPCODE_EOF;
    uint64_t crc = crc64_update(crc_before_eof, &eof, 1);
    ts_buf_putc(b, (char)eof);
    put_le64(b, crc);
    return crc;
}
