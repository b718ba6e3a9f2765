/* rdb_load.c: the streaming RDB loader (rdb.h, spec/rdb.md §1, §4-6, §9,
 * §12).
 *
 * The stream is a header and then a sequence of items: an opcode with its
 * payload, or a key entry (type byte, key, value). An item is handled only
 * once all of its bytes are there, in two passes over the same bytes:
 *
 *   1. measure: walk the item's fields (strings, lengths, fixed-size
 *      numbers) without decoding them, to find where it ends. The walk is
 *      resumable: when the bytes run out it records how far it got and how
 *      many bytes it needs before it can go on, and the next feed resumes
 *      there. So a value is measured once however it is chunked, and a
 *      length is never used for anything but this arithmetic: nothing is
 *      allocated from it.
 *   2. decode: the item's exact bytes go to the type's rdb_load hook (or
 *      to rdb_codec for strings and opcodes); anything it does not consume
 *      is corruption.
 *
 * Where the bytes are:
 *
 *   feed(chunk) --pend empty--> parse in place in the chunk --tail--> pend
 *              \-pend not empty--> append chunk to pend, parse in pend
 *
 * pend holds the incomplete item (from its first byte), so the loader's
 * memory is one item plus the chunk being parsed. Scan offsets are relative
 * to the item's first byte and stay valid when the tail moves to pend.
 *
 * The running CRC-64 covers each completed item once, in one update per
 * feed over all the items it completed; the EOF item folds its 0xFF in
 * and compares with the stored checksum. */
#include "core/rdb.h"

#include "core/crc64.h"
#include "core/keyspace.h"
#include "core/obj.h"
#include "core/rdb_codec.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

/* No field of a real file comes near this (256 TiB); it only keeps the
 * offset arithmetic of a hostile length from overflowing. */
#define RDB_FIELD_MAX (1ULL << 48)
/* LZF's densest form is a 3-byte back-reference producing 264 bytes, so a
 * compressed string claiming more than 88 times its size is corrupt (and
 * must not make the decoder allocate it). */
#define RDB_LZF_MAX_RATIO 88
/* pend and the decoders' scratch buffers keep this much capacity after a
 * big item passed through them; beyond, they shrink. */
#define RDB_KEEP_BYTES (64 * 1024)

/* ---- Item shapes: the fields to measure ---- */
enum fld { F_STR = 1, F_LEN, F_FIX1, F_FIX4, F_FIX8, F_TXTDBL };

/* head fields, then (counted) a length n and n elements of elem fields. */
struct shape {
    uint8_t head[2], nhead;
    bool counted;
    uint8_t elem[2], nelem;
};

enum scan_res { SCAN_OK, SCAN_NEED, SCAN_BAD };

/* Where measuring stands inside the current item. */
struct scan {
    size_t off;    /* bytes of the item measured so far (from its first byte) */
    size_t need;   /* item bytes required before measuring can go on */
    size_t mark;   /* end of the first head field: the key of a key entry */
    uint8_t step;  /* next head field */
    uint8_t sub;   /* next field of the current element */
    bool have_n;   /* the element count has been read */
    uint64_t n;    /* the element count */
    uint64_t left; /* elements still to measure */
};

enum { ST_HEADER, ST_BODY, ST_DONE, ST_ERROR };

struct rdb_loader {
    const struct rdb_load_ops *ops;
    void *arg;
    int state;
    int version;
    int db;
    int64_t expire;     /* for the next key, -1 none */
    uint64_t crc;       /* of every completed item, the header included */
    bool in_item;       /* an item has started: shape and scan are valid */
    uint8_t op;         /* its first byte */
    const struct obj_ops *vt; /* a key entry's value type (NULL: string) */
    struct shape shape;
    struct scan sc;
    struct ts_buf pend; /* the incomplete item's bytes */
    struct rdb_in kin, vin; /* decoders of a key and of a value; scratch reused */
    size_t consumed;
    uint64_t keys, empty;
    char err[256];
};

static int
fail(struct rdb_loader *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int
fail(struct rdb_loader *l, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->err, sizeof(l->err), fmt, ap);
    va_end(ap);
    l->state = ST_ERROR;
    return RDB_LOAD_ERROR;
}

/* ---- Measuring ---- */

/* The header of a length or string at p: its size *hl, and either the
 * length (*special = -1) or a special string encoding's code. */
static enum scan_res
len_header(const uint8_t *p, size_t avail, uint64_t *hl, uint64_t *len, int *special)
{
    *special = -1;
    *hl = 1;
    if (avail < 1)
        return SCAN_NEED;
    uint8_t b = p[0];
    switch (b >> 6) {
    case 0:
        *len = b & 0x3F;
        return SCAN_OK;
    case 1:
        *hl = 2;
        if (avail < 2)
            return SCAN_NEED;
        *len = (uint64_t)(b & 0x3F) << 8 | p[1];
        return SCAN_OK;
    case 3:
        *special = b & 0x3F;
        return SCAN_OK;
    default:
        break;
    }
    if (b != 0x80 && b != 0x81)
        return SCAN_BAD;
    unsigned w = b == 0x80 ? 4 : 8;
    *hl = 1 + w;
    if (avail < 1 + w)
        return SCAN_NEED;
    uint64_t v = 0;
    for (unsigned i = 0; i < w; i++)
        v = v << 8 | p[1 + i];
    *len = v;
    return SCAN_OK;
}

/* The size of an LZF string after its 0xC3 byte: two lengths, then the
 * compressed bytes. */
static enum scan_res
lzf_size(const uint8_t *p, size_t avail, uint64_t *size)
{
    uint64_t h1, h2, clen, ulen;
    int s1, s2;
    enum scan_res r = len_header(p, avail, &h1, &clen, &s1);
    if (r != SCAN_OK) {
        *size = h1;
        return r;
    }
    r = len_header(p + h1, avail - h1, &h2, &ulen, &s2);
    if (r != SCAN_OK) {
        *size = h1 + h2;
        return r;
    }
    if (s1 >= 0 || s2 >= 0 || clen > RDB_FIELD_MAX || ulen > clen * RDB_LZF_MAX_RATIO)
        return SCAN_BAD;
    *size = h1 + h2 + clen;
    return SCAN_OK;
}

/* The size of one field at p (avail bytes there). SCAN_NEED: *size is the
 * number of bytes from p needed to go on (at least avail + 1). */
static enum scan_res
field_size(int f, const uint8_t *p, size_t avail, uint64_t *size, uint64_t *val)
{
    uint64_t hl, len;
    int special;
    enum scan_res r;
    switch (f) {
    case F_FIX1:
        *size = 1;
        break;
    case F_FIX4:
        *size = 4;
        break;
    case F_FIX8:
        *size = 8;
        break;
    case F_TXTDBL: /* a length byte, then that many chars; 253-255 stand alone */
        *size = 1;
        if (avail >= 1 && p[0] < 253)
            *size = 1 + (uint64_t)p[0];
        break;
    case F_LEN:
        r = len_header(p, avail, &hl, val, &special);
        *size = hl;
        if (r != SCAN_OK)
            return r;
        if (special >= 0)
            return SCAN_BAD;
        break;
    default: /* F_STR */
        r = len_header(p, avail, &hl, &len, &special);
        *size = hl;
        if (r != SCAN_OK)
            return r;
        if (special < 0) {
            if (len > RDB_FIELD_MAX)
                return SCAN_BAD;
            *size = hl + len;
        } else if (special <= 2) { /* int8/16/32 */
            *size = 1 + (1u << special);
        } else if (special == 3) {
            uint64_t lz;
            r = lzf_size(p + 1, avail - 1, &lz);
            *size = 1 + lz;
            if (r != SCAN_OK)
                return r;
        } else {
            return SCAN_BAD;
        }
        break;
    }
    return avail < *size ? SCAN_NEED : SCAN_OK;
}

/* One field of the current item at sc->off: advances sc->off, or records
 * in sc->need what it waits for. */
static enum scan_res
scan_field(struct scan *sc, int f, const uint8_t *item, size_t avail, uint64_t *val)
{
    uint64_t sz;
    enum scan_res r = field_size(f, item + sc->off, avail - sc->off, &sz, val);
    if (r == SCAN_NEED)
        sc->need = sc->off + (size_t)sz;
    else if (r == SCAN_OK)
        sc->off += (size_t)sz;
    return r;
}

/* Go on measuring the current item, whose first avail bytes are at item.
 * Each element takes at least one byte, so a hostile count ends with the
 * bytes, not with a long loop. */
static enum scan_res
measure(struct rdb_loader *l, const uint8_t *item, size_t avail)
{
    struct scan *sc = &l->sc;
    const struct shape *sh = &l->shape;
    uint64_t v;
    enum scan_res r;
    while (sc->step < sh->nhead) {
        if ((r = scan_field(sc, sh->head[sc->step], item, avail, &v)) != SCAN_OK)
            return r;
        if (sc->step++ == 0)
            sc->mark = sc->off;
    }
    if (!sh->counted)
        return SCAN_OK;
    if (!sc->have_n) {
        if ((r = scan_field(sc, F_LEN, item, avail, &sc->n)) != SCAN_OK)
            return r;
        sc->have_n = true;
        sc->left = sc->n;
    }
    for (; sc->left > 0; sc->left--, sc->sub = 0)
        for (; sc->sub < sh->nelem; sc->sub++)
            if ((r = scan_field(sc, sh->elem[sc->sub], item, avail, &v)) != SCAN_OK)
                return r;
    return SCAN_OK;
}

/* ---- Item kinds ---- */

/* Redis's type name of each RDB value type byte, for error messages. */
static const char *
rdb_type_name(int t)
{
    static const char *const names[] = {
        [0] = "string", [1] = "list",    [2] = "set",     [3] = "zset",    [4] = "hash",    [5] = "zset",
        [6] = "module", [7] = "module",  [9] = "hash",    [10] = "list",   [11] = "set",    [12] = "zset",
        [13] = "hash",  [14] = "list",   [15] = "stream", [16] = "hash",   [17] = "zset",   [18] = "list",
        [19] = "stream", [20] = "set",   [21] = "stream",
    };
    return (size_t)t < ARRAY_SIZE(names) ? names[t] : NULL;
}

/* The shape of a value of RDB type t after its key; false for types whose
 * layout is not a plain string or counted strings (streams, modules). */
static bool
value_shape(int t, struct shape *sh)
{
    *sh = (struct shape){.head = {F_STR, F_STR}, .nhead = 2};
    switch (t) {
    case RDB_TYPE_LIST:
    case RDB_TYPE_SET:
    case RDB_TYPE_LIST_QUICKLIST:
        *sh = (struct shape){{F_STR}, 1, true, {F_STR}, 1};
        return true;
    case RDB_TYPE_HASH:
        *sh = (struct shape){{F_STR}, 1, true, {F_STR, F_STR}, 2};
        return true;
    case RDB_TYPE_ZSET:
        *sh = (struct shape){{F_STR}, 1, true, {F_STR, F_TXTDBL}, 2};
        return true;
    case RDB_TYPE_ZSET_2:
        *sh = (struct shape){{F_STR}, 1, true, {F_STR, F_FIX8}, 2};
        return true;
    case RDB_TYPE_LIST_QUICKLIST_2:
        *sh = (struct shape){{F_STR}, 1, true, {F_LEN, F_STR}, 2};
        return true;
    case 6:
    case 7:
    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2:
    case 21:
        return false;
    default: /* one string: plain string, listpack, intset, ziplist, zipmap */
        return true;
    }
}

/* The item starting with byte op: its shape, or an error for what this
 * loader cannot or will not read. */
static int
begin_item(struct rdb_loader *l, uint8_t op)
{
    struct shape *sh = &l->shape;
    *sh = (struct shape){0};
    switch (op) {
    case RDB_OPCODE_AUX:
        *sh = (struct shape){.head = {F_STR, F_STR}, .nhead = 2};
        break;
    case RDB_OPCODE_SELECTDB:
    case RDB_OPCODE_IDLE:
        *sh = (struct shape){.head = {F_LEN}, .nhead = 1};
        break;
    case RDB_OPCODE_RESIZEDB:
        *sh = (struct shape){.head = {F_LEN, F_LEN}, .nhead = 2};
        break;
    case RDB_OPCODE_EXPIRETIME_MS:
        *sh = (struct shape){.head = {F_FIX8}, .nhead = 1};
        break;
    case RDB_OPCODE_EXPIRETIME:
        *sh = (struct shape){.head = {F_FIX4}, .nhead = 1};
        break;
    case RDB_OPCODE_FREQ:
        *sh = (struct shape){.head = {F_FIX1}, .nhead = 1};
        break;
    case RDB_OPCODE_EOF: /* the checksum, since version 5 */
        if (l->version >= 5)
            *sh = (struct shape){.head = {F_FIX8}, .nhead = 1};
        break;
    case RDB_OPCODE_FUNCTION2:
        return fail(l, "the RDB holds function libraries (FUNCTION2), which Tessera does not support yet");
    case RDB_OPCODE_FUNCTION_PRE_GA:
        return fail(l, "the RDB holds functions in the pre-GA format (opcode 246), which Tessera does not support");
    case RDB_OPCODE_MODULE_AUX:
        return fail(l, "the RDB holds module data (MODULE_AUX), which Tessera does not support");
    default: {
        const char *name = rdb_type_name(op);
        if (!name)
            return fail(l, "unknown RDB value type or opcode %d", op);
        l->vt = op == RDB_TYPE_STRING ? NULL : obj_ops_of_rdb(op);
        if (op != RDB_TYPE_STRING && !l->vt)
            return fail(l, "RDB value type %d (%s) is not supported by Tessera yet", op, name);
        if (!value_shape(op, sh))
            return fail(l, "RDB value type %d (%s) is not supported by the RDB loader yet", op, name);
        break;
    }
    }
    l->op = op;
    l->sc = (struct scan){.off = 1, .need = 1};
    l->in_item = true;
    return RDB_LOAD_MORE;
}

/* ---- Decoding complete items ---- */

/* Point a decoder at p..p+n, keeping its scratch buffer. */
static struct rdb_in *
in_over(struct rdb_in *in, const uint8_t *p, size_t n)
{
    in->p = p;
    in->len = n;
    in->pos = 0;
    in->err = false;
    return in;
}

static inline uint64_t
le_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* The key of a failed entry, printable and short, for the message. */
static const char *
key_for_msg(struct sv k, char out[68])
{
    size_t n = TS_MIN(k.len, 64);
    for (size_t i = 0; i < n; i++)
        out[i] = k.ptr[i] >= 0x20 && k.ptr[i] < 0x7F ? k.ptr[i] : '?';
    strcpy(out + n, k.len > 64 ? "..." : "");
    return out;
}

static int
aborted(struct rdb_loader *l, const char *what)
{
    return fail(l, "RDB load aborted by the %s callback", what);
}

/* A key entry of RDB type l->op whose bytes are item[0..size). */
static int
load_key(struct rdb_loader *l, const uint8_t *item, size_t size)
{
    struct rdb_loaded_key k = {.db = l->db, .type = OBJ_STRING, .expire_ms = l->expire};
    l->expire = -1;
    k.key = rdb_get_str(in_over(&l->kin, item + 1, l->sc.mark - 1));
    struct rdb_in *vin = in_over(&l->vin, item + l->sc.mark, size - l->sc.mark);
    char err[128] = "", kb[68];
    if (l->shape.counted && l->sc.n == 0) {
        l->empty++; /* Redis too skips an empty collection */
        return RDB_LOAD_MORE;
    }
    const struct obj_ops *t = l->vt;
    if (!t) {
        k.str = rdb_get_str(vin);
    } else {
        k.obj = t->rdb_load(l->op, vin, err);
        k.type = t->type;
    }
    if (l->kin.err || vin->err || vin->pos != vin->len || (t && !k.obj)) {
        if (k.obj)
            t->free(k.obj);
        return fail(l, "malformed value of key '%s' (RDB type %d)%s%s", key_for_msg(k.key, kb), l->op,
                    err[0] ? ": " : "", err);
    }
    l->keys++;
    if (l->ops->key)
        return l->ops->key(l->arg, &k) ? aborted(l, "key") : RDB_LOAD_MORE;
    if (k.obj)
        t->free(k.obj);
    return RDB_LOAD_MORE;
}

/* The EOF opcode and, since version 5, the checksum of everything before
 * it (the 0xFF included). A stored 0 means "not computed". */
static int
load_eof(struct rdb_loader *l, const uint8_t *item)
{
    l->crc = crc64_update(l->crc, item, 1);
    if (l->version >= 5) {
        uint64_t stored = le_u64(item + 1);
        if (stored != 0 && stored != l->crc)
            return fail(l, "RDB checksum mismatch: stored %016llx, computed %016llx", (unsigned long long)stored,
                        (unsigned long long)l->crc);
    }
    l->state = ST_DONE;
    return RDB_LOAD_DONE;
}

/* An opcode item other than EOF. */
static int
load_opcode(struct rdb_loader *l, const uint8_t *item, size_t size)
{
    struct rdb_in *in = in_over(&l->vin, item + 1, size - 1);
    switch (l->op) {
    case RDB_OPCODE_AUX: {
        struct sv key = rdb_get_str(in_over(&l->kin, item + 1, l->sc.mark - 1));
        struct sv val = rdb_get_str(in_over(&l->vin, item + l->sc.mark, size - l->sc.mark));
        if (l->kin.err || l->vin.err)
            return fail(l, "malformed AUX field");
        return l->ops->aux && l->ops->aux(l->arg, key, val) ? aborted(l, "aux") : RDB_LOAD_MORE;
    }
    case RDB_OPCODE_SELECTDB: {
        uint64_t db = rdb_get_len(in);
        if (db > INT_MAX)
            return fail(l, "RDB SELECTDB %llu is out of range", (unsigned long long)db);
        l->db = (int)db;
        return l->ops->select_db && l->ops->select_db(l->arg, l->db) ? aborted(l, "select_db") : RDB_LOAD_MORE;
    }
    case RDB_OPCODE_RESIZEDB: {
        uint64_t keys = rdb_get_len(in), expires = rdb_get_len(in);
        return l->ops->resize_db && l->ops->resize_db(l->arg, keys, expires) ? aborted(l, "resize_db")
                                                                             : RDB_LOAD_MORE;
    }
    case RDB_OPCODE_EXPIRETIME_MS: { /* signed; a negative deadline is long past */
        int64_t ms = (int64_t)le_u64(item + 1);
        l->expire = ms < 0 ? 0 : ms;
        return RDB_LOAD_MORE;
    }
    case RDB_OPCODE_EXPIRETIME: { /* signed 32-bit seconds */
        int32_t s = (int32_t)((uint32_t)item[1] | (uint32_t)item[2] << 8 | (uint32_t)item[3] << 16 |
                              (uint32_t)item[4] << 24);
        l->expire = s < 0 ? 0 : (int64_t)s * 1000;
        return RDB_LOAD_MORE;
    }
    default: /* IDLE, FREQ: eviction hints, not kept */
        return RDB_LOAD_MORE;
    }
}

/* "REDIS" and four digits: the version, 1..RDB_VERSION_MAX. */
static int
load_header(struct rdb_loader *l, const uint8_t *p)
{
    if (memcmp(p, "REDIS", 5) != 0)
        return fail(l, "not an RDB file: wrong signature");
    int v = 0;
    for (int i = 5; i < 9; i++) {
        if (p[i] < '0' || p[i] > '9')
            return fail(l, "not an RDB file: bad version digits");
        v = v * 10 + (p[i] - '0');
    }
    if (v < 1 || v > RDB_VERSION_MAX)
        return fail(l, "Can't handle RDB format version %d", v);
    l->version = v;
    l->crc = crc64_update(0, p, 9);
    l->state = ST_BODY;
    return RDB_LOAD_MORE;
}

/* Handle every complete item of w[*pos..wlen); *pos ends at the first
 * byte of the incomplete one (or after the checksum). */
static int
parse(struct rdb_loader *l, const uint8_t *w, size_t wlen, size_t *pos)
{
    int r;
    if (l->state == ST_HEADER) {
        if (wlen - *pos < 9)
            return RDB_LOAD_MORE;
        if ((r = load_header(l, w + *pos)) != RDB_LOAD_MORE)
            return r;
        *pos += 9;
    }
    /* Complete items are checksummed together when parsing stops (one
     * crc64_update per feed, not per item): from crc_from to *pos. */
    size_t crc_from = *pos;
    for (;;) {
        size_t avail = wlen - *pos;
        const uint8_t *item = w + *pos;
        if (avail == 0 || (!l->in_item && (r = begin_item(l, item[0])) != RDB_LOAD_MORE))
            break;
        enum scan_res s = avail < l->sc.need ? SCAN_NEED : measure(l, item, avail);
        if (s == SCAN_NEED)
            break;
        if (s == SCAN_BAD)
            return fail(l, "malformed RDB: bad length or string encoding in item %d at its byte %zu", l->op,
                        l->sc.off);
        size_t size = l->sc.off;
        l->in_item = false;
        *pos += size;
        if (l->op == RDB_OPCODE_EOF) {
            l->crc = crc64_update(l->crc, w + crc_from, (size_t)(item - w) - crc_from);
            return load_eof(l, item);
        }
        r = l->op < RDB_OPCODE_FUNCTION2 ? load_key(l, item, size) : load_opcode(l, item, size);
        if (r != RDB_LOAD_MORE)
            return r;
    }
    l->crc = crc64_update(l->crc, w + crc_from, *pos - crc_from);
    return l->state == ST_ERROR ? RDB_LOAD_ERROR : RDB_LOAD_MORE;
}

/* ---- API ---- */

struct rdb_loader *
rdb_loader_create(const struct rdb_load_ops *ops, void *arg)
{
    struct rdb_loader *l = ts_calloc(1, sizeof(*l));
    l->ops = ops;
    l->arg = arg;
    l->state = ST_HEADER;
    l->expire = -1;
    return l;
}

void
rdb_loader_destroy(struct rdb_loader **lp)
{
    struct rdb_loader *l = *lp;
    if (!l)
        return;
    ts_buf_free(&l->pend);
    rdb_in_deinit(&l->kin);
    rdb_in_deinit(&l->vin);
    ts_free(l);
    *lp = NULL;
}

/* Give back the memory a big item left behind. */
static void
trim_buffers(struct rdb_loader *l)
{
    if (l->pend.len < l->pend.cap / 4) /* never while a big item is still arriving */
        ts_buf_trim(&l->pend, TS_MAX(l->pend.len, RDB_KEEP_BYTES));
    ts_buf_trim(&l->kin.scratch, RDB_KEEP_BYTES);
    ts_buf_trim(&l->vin.scratch, RDB_KEEP_BYTES);
}

int
rdb_loader_feed(struct rdb_loader *l, const void *p, size_t n)
{
    l->consumed = 0;
    if (l->state == ST_DONE)
        return RDB_LOAD_DONE;
    if (l->state == ST_ERROR)
        return RDB_LOAD_ERROR;
    bool in_pend = l->pend.len > 0;
    const uint8_t *w = p;
    size_t wlen = n, pos = 0;
    if (in_pend) {
        ts_buf_append(&l->pend, p, n);
        w = (const uint8_t *)l->pend.data;
        wlen = l->pend.len;
    }
    int r = parse(l, w, wlen, &pos);
    if (r == RDB_LOAD_MORE) {
        if (!in_pend)
            ts_buf_append(&l->pend, w + pos, wlen - pos);
        else if (pos > 0) /* never a no-op memmove of a big pending item */
            ts_buf_consume(&l->pend, pos);
        l->consumed = n;
    } else if (r == RDB_LOAD_DONE) {
        l->consumed = n - (wlen - pos); /* what follows the checksum came with this chunk */
        ts_buf_free(&l->pend);
    } else {
        ts_buf_free(&l->pend);
    }
    trim_buffers(l);
    return r;
}

size_t
rdb_loader_consumed(const struct rdb_loader *l)
{
    return l->consumed;
}

const char *
rdb_loader_error(const struct rdb_loader *l)
{
    return l->state == ST_ERROR ? l->err : "";
}

int
rdb_loader_version(const struct rdb_loader *l)
{
    return l->version;
}

uint64_t
rdb_loader_keys(const struct rdb_loader *l)
{
    return l->keys;
}

uint64_t
rdb_loader_empty_skipped(const struct rdb_loader *l)
{
    return l->empty;
}
