/* rdb.h: the RDB file layer (spec/rdb.md §1, §4, §5, §9, §11, §12): the
 * header, AUX fields, opcodes, key entries with their expiry, EOF and the
 * CRC-64 trailer, written to and read from a byte stream.
 *
 * Values are encoded and decoded by their type's hooks (obj.h rdb_save /
 * rdb_load, built on rdb_codec.h); strings by rdb_codec.h. This layer never
 * looks inside a collection.
 *
 * Writing: the calls append to a struct ts_buf that the caller ships away
 * in chunks (a socket, a file) whenever it likes, so the checksum is a
 * running value the caller keeps (crc64.h):
 *
 *     uint64_t crc = 0;
 *     rdb_write_header(&b, RDB_VERSION);
 *     rdb_write_aux(&b, "redis-ver", ...);  ...
 *     rdb_write_select_db(&b, 0, keys, volatile_keys);
 *     for each key: rdb_write_key(&b, e);
 *         ... whenever b is shipped:  crc = crc64_update(crc, b.data, b.len); ship; reset
 *     crc = crc64_update(crc, b.data, b.len);  (whatever is still in b)
 *     rdb_write_eof(&b, crc);                   then ship b
 *
 * rdb_write_eof's argument is the CRC of every byte before the EOF opcode,
 * the header included; it adds the 0xFF itself (the stored checksum covers
 * it, as Redis's does) and appends the 8 checksum bytes. The result is the
 * checksum written.
 *
 * Loading: a push parser fed arbitrary chunks (a socket read, a file read,
 * one byte at a time) that hands out AUX fields, DB changes and keys one by
 * one through callbacks. It trusts no length: nothing is allocated from a
 * length before the bytes it announces have arrived, the loader holds at
 * most one incomplete entry besides the chunk being parsed, and a value is
 * decoded only once all of its bytes are there (the loader works out how
 * many bytes it still needs, so a large value fed in small chunks is not
 * re-parsed over and over). Threading: a loader belongs to one thread. */
#ifndef TESSERA_RDB_H
#define TESSERA_RDB_H

#include "core/buf.h"
#include "core/common.h"

#define RDB_VERSION 10     /* what Redis 7.0 writes, and Tessera by default */
#define RDB_VERSION_MAX 11 /* Redis 7.2 / Valkey 8: the highest the loader reads */

/* Opcodes (spec/rdb.md §4). */
enum rdb_opcode {
    RDB_OPCODE_FUNCTION2 = 245,
    RDB_OPCODE_FUNCTION_PRE_GA = 246,
    RDB_OPCODE_MODULE_AUX = 247,
    RDB_OPCODE_IDLE = 248,
    RDB_OPCODE_FREQ = 249,
    RDB_OPCODE_AUX = 250,
    RDB_OPCODE_RESIZEDB = 251,
    RDB_OPCODE_EXPIRETIME_MS = 252,
    RDB_OPCODE_EXPIRETIME = 253,
    RDB_OPCODE_SELECTDB = 254,
    RDB_OPCODE_EOF = 255,
};

/* ---- Writer ---- */
struct kv;

/* "REDIS" and the version as four digits ("REDIS0010"). */
void rdb_write_header(struct ts_buf *b, int version);
/* An AUX field with a string value. */
void rdb_write_aux(struct ts_buf *b, const char *key, struct sv val);
/* An AUX field with an integer value, written as Redis writes redis-bits,
 * ctime, used-mem, repl-stream-db, repl-offset and aof-base: its decimal
 * text, integer-encoded when it fits 32 bits (spec/rdb.md §3, §5). */
void rdb_write_aux_int(struct ts_buf *b, const char *key, long long val);
/* SELECTDB db, then RESIZEDB with the key count and the count of keys
 * with a TTL (sizing hints for the loader). */
void rdb_write_select_db(struct ts_buf *b, int db, uint64_t db_size, uint64_t expires_size);
/* One key entry: EXPIRETIME_MS when the key has a TTL, the value's type
 * byte, the key, the value (strings as rdb_put_str, collections through
 * their type's rdb_save hook). The entry is only read. */
void rdb_write_key(struct ts_buf *b, const struct kv *e);
/* The EOF opcode and the checksum. crc_before_eof is the CRC-64 of every
 * byte of the file before this call (see the file comment); the 0xFF is
 * folded in here. Returns the checksum written. */
uint64_t rdb_write_eof(struct ts_buf *b, uint64_t crc_before_eof);

/* ---- Loader ---- */

enum rdb_load_status {
    RDB_LOAD_MORE = 0,   /* everything fed was used; feed more bytes */
    RDB_LOAD_DONE = 1,   /* EOF read and the checksum verified (a stored 0 is not checked) */
    RDB_LOAD_ERROR = -1, /* rdb_loader_error says why; feeding more changes nothing */
};

/* A key handed to the key callback. */
struct rdb_loaded_key {
    int db;            /* the last SELECTDB (0 before any) */
    struct sv key;     /* valid during the callback only */
    int type;          /* OBJ_* of keyspace.h */
    struct sv str;     /* OBJ_STRING: the value, valid during the callback only */
    void *obj;         /* collections: the object (obj_ops_of(type)); the callback owns it */
    int64_t expire_ms; /* absolute unix ms, or -1 (expired keys are handed out too) */
};

/* Callbacks; any may be NULL (the item is then ignored, a key's object
 * freed). A nonzero return aborts the load with RDB_LOAD_ERROR. The key
 * callback owns obj whatever it returns. */
struct rdb_load_ops {
    int (*aux)(void *arg, struct sv key, struct sv val);
    int (*select_db)(void *arg, int db);
    int (*resize_db)(void *arg, uint64_t db_size, uint64_t expires_size);
    int (*key)(void *arg, const struct rdb_loaded_key *k);
};

struct rdb_loader;

/* A loader expecting the first byte of a file ("REDIS..."). ops is
 * borrowed and must outlive the loader. */
struct rdb_loader *rdb_loader_create(const struct rdb_load_ops *ops, void *arg);
void rdb_loader_destroy(struct rdb_loader **l);
/* Parse the next n bytes of the stream: callbacks run for every complete
 * item in them. Returns an rdb_load_status. On RDB_LOAD_DONE the bytes
 * after the checksum are not part of the file and are left alone:
 * rdb_loader_consumed says how many of these n bytes were used. */
int rdb_loader_feed(struct rdb_loader *l, const void *p, size_t n);
/* Bytes of the last rdb_loader_feed's input that belonged to the file
 * (all of them unless it returned RDB_LOAD_DONE; 0 after an error). */
size_t rdb_loader_consumed(const struct rdb_loader *l);
/* Why the load failed (RDB_LOAD_ERROR), else "". */
const char *rdb_loader_error(const struct rdb_loader *l);
/* The file's RDB version (0 until the header is read). */
int rdb_loader_version(const struct rdb_loader *l);
/* Keys handed to the key callback so far. */
uint64_t rdb_loader_keys(const struct rdb_loader *l);
/* Empty collections met and skipped (Redis skips them with a warning). */
uint64_t rdb_loader_empty_skipped(const struct rdb_loader *l);

#endif
