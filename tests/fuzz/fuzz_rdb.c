/* fuzz_rdb.c: libFuzzer target for the streaming RDB loader (core/rdb.h).
 *
 * Byte 0 of the input is a selector: bit 0 prepends a valid "REDIS0010"
 * header (so the body is explored without first finding the signature),
 * bits 1-3 pick the largest chunk size (1, 2, 3, 8, 64, 512, 4096 or
 * 65536 bytes), bit 7 makes the key callback abort at the third key. The
 * rest is the stream. It is loaded twice: once in one piece and once in
 * PRNG-sized chunks, each chunk copied into an exactly-sized malloc block
 * so ASan sees any read past it. Checked:
 *  - consumed <= the chunk, and == the chunk while the status is MORE;
 *  - after DONE or ERROR, feeding more changes nothing and takes nothing;
 *  - ERROR comes with a message, other statuses with none;
 *  - both deliveries produce the same callbacks (a digest of AUX fields,
 *    DB changes, keys with type, value digest and expiry), the same status,
 *    error text and (unless an error) bytes used: chunking must not matter.
 * Every object handed to the key callback is digested and freed there.
 * Tessera allocates through mimalloc, which LeakSanitizer does not see, so
 * leaks are caught by the allocation count instead (mem.h): every byte
 * allocated during a load must be freed by its end. */
#include "core/config.h"
#include "core/digest.h"
#include "core/keyspace.h"
#include "core/mem.h"
#include "core/obj.h"
#include "core/rdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(c)                                                                              \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "fuzz_rdb: check failed: %s (line %d)\n", #c, __LINE__);             \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

struct fuzz_ctx {
    uint64_t h;        /* digest of the callbacks */
    int keys;
    bool abort_third;
};

static void
mix(struct fuzz_ctx *c, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        c->h = (c->h ^ s[i]) * 1099511628211ULL;
}

static int
on_aux(void *arg, struct sv key, struct sv val)
{
    mix(arg, "A", 1);
    mix(arg, key.ptr, key.len);
    mix(arg, val.ptr, val.len);
    return 0;
}

static int
on_select(void *arg, int db)
{
    mix(arg, "S", 1);
    mix(arg, &db, sizeof(db));
    return 0;
}

static int
on_resize(void *arg, uint64_t keys, uint64_t expires)
{
    mix(arg, "R", 1);
    mix(arg, &keys, sizeof(keys));
    mix(arg, &expires, sizeof(expires));
    return 0;
}

static int
on_key(void *arg, const struct rdb_loaded_key *k)
{
    struct fuzz_ctx *c = arg;
    mix(c, "K", 1);
    mix(c, &k->db, sizeof(k->db));
    mix(c, k->key.ptr, k->key.len);
    mix(c, &k->type, sizeof(k->type));
    mix(c, &k->expire_ms, sizeof(k->expire_ms));
    if (k->type == OBJ_STRING) {
        FUZZ_CHECK(k->obj == NULL);
        mix(c, k->str.ptr, k->str.len);
    } else {
        const struct obj_ops *t = obj_ops_of(k->type);
        FUZZ_CHECK(t && k->obj);
        uint8_t d[20] = {0};
        t->digest(k->obj, d);
        mix(c, d, sizeof(d));
        t->free(k->obj);
    }
    return c->abort_third && ++c->keys == 3;
}

static const struct rdb_load_ops fuzz_ops = {on_aux, on_select, on_resize, on_key};

struct fuzz_out {
    uint64_t h;
    int status;
    size_t used;
    char err[256];
};

static void
fuzz_run(const uint8_t *data, size_t size, size_t max_chunk, uint64_t seed, bool abort_third, struct fuzz_out *o)
{
    mem_flush();
    int64_t mem_before = mem_total_g.bytes;
    struct fuzz_ctx c = {1469598103934665603ULL, 0, abort_third};
    struct rdb_loader *l = rdb_loader_create(&fuzz_ops, &c);
    size_t off = 0;
    int st = RDB_LOAD_MORE;
    o->used = 0;
    while (off < size && st == RDB_LOAD_MORE) {
        size_t len = size - off;
        if (max_chunk) {
            seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
            len = TS_MIN(len, 1 + (size_t)((seed >> 33) % max_chunk));
        }
        uint8_t *chunk = malloc(len);
        memcpy(chunk, data + off, len);
        st = rdb_loader_feed(l, chunk, len);
        free(chunk);
        size_t used = rdb_loader_consumed(l);
        FUZZ_CHECK(used <= len);
        FUZZ_CHECK(st != RDB_LOAD_MORE || used == len);
        o->used += used;
        off += len;
    }
    FUZZ_CHECK((st == RDB_LOAD_ERROR) == (rdb_loader_error(l)[0] != '\0'));
    if (st != RDB_LOAD_MORE) {
        FUZZ_CHECK(rdb_loader_feed(l, "\xff", 1) == st);
        FUZZ_CHECK(rdb_loader_consumed(l) == 0);
    }
    o->status = st;
    o->h = c.h;
    snprintf(o->err, sizeof(o->err), "%s", rdb_loader_error(l));
    rdb_loader_destroy(&l);
    FUZZ_CHECK(l == NULL);
    mem_flush();
    FUZZ_CHECK(mem_total_g.bytes == mem_before);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool setup;
    if (!setup) {
        obj_setup();
        g_cfg.hash_max_listpack_entries = 512;
        g_cfg.hash_max_listpack_value = 64;
        g_cfg.set_max_intset_entries = 512;
        setup = true;
    }
    if (size < 1)
        return 0;
    static const size_t chunks[] = {1, 2, 3, 8, 64, 512, 4096, 65536};
    uint8_t sel = data[0];
    size_t n = size - 1, hdr = (sel & 1) ? 9 : 0;
    uint8_t *stream = malloc(n + hdr + 1);
    memcpy(stream, "REDIS0010", hdr);
    memcpy(stream + hdr, data + 1, n);
    n += hdr;
    struct fuzz_out whole, parts;
    fuzz_run(stream, n, 0, 0, sel & 0x80, &whole);
    fuzz_run(stream, n, chunks[(sel >> 1) & 7], size * 2654435761u, sel & 0x80, &parts);
    FUZZ_CHECK(whole.status == parts.status);
    FUZZ_CHECK(whole.h == parts.h);
    FUZZ_CHECK(whole.status == RDB_LOAD_ERROR || whole.used == parts.used); /* an error takes no bytes of its chunk */
    FUZZ_CHECK(strcmp(whole.err, parts.err) == 0);
    free(stream);
    return 0;
}
