/* obj.h: value types through an operations table (DESIGN.md, seam 1).
 *
 * A key's value is either a string, which the keyspace keeps inside the
 * entry itself (int / embstr / raw, kv_entry.c: the string type's own
 * file), or a collection: an object owned by the entry through one pointer,
 * whose type registers a struct obj_ops here. Everything that handles
 * values without knowing their type (freeing, copying to another key or
 * worker, MEMORY USAGE, OBJECT ENCODING, TYPE, DEBUG DIGEST, the RDB
 * writer and reader, RENAME/COPY across workers) goes through this table;
 * nothing outside a type's own file switches on the type.
 *
 *   struct kv (entry) ... | void *obj | ---> type's object (listpack, dict, intset...)
 *                                            ops = obj_ops_of(kv_type(e))
 *
 * Ownership: an object belongs to one entry, hence to the worker owning
 * that entry's slot. dup() makes a deep copy that may be handed to another
 * worker (mimalloc frees on any thread). mem_usage() is O(1): each type
 * keeps its own byte count (allocator usable sizes), so the keyspace can
 * account memory on every change without walking the object.
 *
 * Types register at setup (obj_setup), before any worker runs; the table
 * is read-only afterwards. */
#ifndef TESSERA_OBJ_H
#define TESSERA_OBJ_H

#include "core/common.h"

struct ts_buf;
struct rdb_in;

struct obj_ops {
    uint8_t type;     /* OBJ_* of keyspace.h (Redis's numbering) */
    const char *name; /* TYPE reply, SCAN TYPE: "hash", "set", ... */
    /* Free the object and everything it owns. */
    void (*free)(void *o);
    /* A deep copy, independent of the original (any thread may free it). */
    void *(*dup)(const void *o);
    /* Bytes the object holds, allocator usable sizes; O(1). */
    size_t (*mem_usage)(const void *o);
    /* Encoding name for OBJECT ENCODING ("listpack", "hashtable", "intset"). */
    const char *(*encoding)(const void *o);
    /* Redis's DEBUG DIGEST-VALUE of the object, XOR-ed/mixed into d[20]
     * exactly as redis-server computes it (digest.h), so a Tessera node and
     * a redis-server holding the same data report the same digest. */
    void (*digest)(const void *o, uint8_t d[20]);
    /* RDB: append the value's payload (without the type byte) to out and
     * return the RDB type byte it chose (spec/rdb.md). */
    int (*rdb_save)(const void *o, struct ts_buf *out);
    /* RDB: build an object from the payload of a value whose RDB type byte
     * is rdb_type (one of this type's: plain, listpack, intset, ziplist...).
     * Returns NULL on malformed input (err says why; at most 128 bytes). */
    void *(*rdb_load)(int rdb_type, struct rdb_in *in, char *err);
    /* RDB type bytes this type's rdb_load accepts, ended by -1. */
    const int *rdb_types;
};

/* Register a type (setup only). Registering a type number twice aborts. */
void obj_register(const struct obj_ops *t);
/* The type table entry of a collection type; NULL for strings and for
 * types not (yet) implemented. */
const struct obj_ops *obj_ops_of(int type);
/* The type that loads RDB type byte rdb_type; NULL if none does. */
const struct obj_ops *obj_ops_of_rdb(int rdb_type);
/* TYPE's name for a type number: "string" for strings, the registered
 * name for collections, "unknown" otherwise. */
const char *obj_type_name(int type);
/* Type number for a TYPE name ("hash" -> OBJ_HASH), any Redis type name,
 * registered or not (SCAN TYPE filters by it); -1 if not a type name. */
int obj_type_by_name(struct sv name);

/* Register every collection type core/ implements (called by
 * core_register_commands). */
void obj_setup(void);

#endif
