/* repl_shim.c: see repl_shim.h. */
#include "tests/shim/repl_shim.h"

#include "core/crc64.h"
#include "core/effect.h"
#include "core/keyspace.h"
#include "core/obj.h"
#include "core/rdb.h"
#include "core/shard.h"
#include "core/slot.h"
#include "core/snapshot.h"
#include "replication/repl_buf.h"

#include <stdio.h>
#include <stdlib.h>

struct replx_buf {
    struct repl_buf rb;
};
struct replx_reader {
    struct repl_reader r;
};

struct replx_buf *
replx_buf_create(int64_t off)
{
    struct replx_buf *b = calloc(1, sizeof(*b));
    repl_buf_init(&b->rb, off);
    return b;
}

void
replx_buf_destroy(struct replx_buf *b)
{
    repl_buf_reset(&b->rb, 0); /* frees every chain, then one empty block */
    ts_free(b->rb.head);
    free(b);
}

void replx_buf_append(struct replx_buf *b, const void *p, size_t n) { repl_buf_append(&b->rb, p, n); }
void replx_buf_trim(struct replx_buf *b, size_t keep) { repl_buf_trim(&b->rb, keep); }
void replx_buf_restart(struct replx_buf *b, int64_t off) { repl_buf_restart(&b->rb, off); }
int64_t replx_buf_start(const struct replx_buf *b) { return b->rb.start; }
int64_t replx_buf_end(const struct replx_buf *b) { return repl_buf_end(&b->rb); }
size_t replx_buf_mem(const struct replx_buf *b) { return b->rb.mem; }

struct replx_reader *
replx_reader_attach(struct replx_buf *b, int64_t off)
{
    struct replx_reader *r = calloc(1, sizeof(*r));
    if (!repl_buf_attach(&b->rb, off, &r->r)) {
        free(r);
        return NULL;
    }
    return r;
}

size_t
replx_reader_read(struct replx_reader *r, char *out, size_t max, size_t piece)
{
    size_t got = 0;
    while (got < max) {
        const char *p;
        size_t n = repl_reader_peek(&r->r, &p, piece < max - got ? piece : max - got);
        if (n == 0)
            break;
        memcpy(out + got, p, n);
        repl_reader_advance(&r->r, n);
        got += n;
    }
    return got;
}

int64_t replx_reader_offset(const struct replx_reader *r) { return repl_reader_offset(&r->r); }

void
replx_reader_detach(struct replx_reader *r)
{
    repl_reader_detach(&r->r);
    free(r);
}

/* ---- stream ---- */

struct replx_shard {
    struct shard sh;
    struct ts_buf cap;
    struct fx_capture c;
};

struct replx_shard *
replx_shard_create(void)
{
    static bool types;
    if (!types) {
        obj_setup();
        types = true;
    }
    struct replx_shard *s = calloc(1, sizeof(*s));
    s->sh.ks = ks_create();
    ks_set_owner(s->sh.ks, &s->sh);
    s->sh.fx.stream_on = true;
    s->sh.now_ms = 1000;
    return s;
}

void
replx_shard_destroy(struct replx_shard *s)
{
    while (s->sh.snap && !snap_drain(&s->sh, SIZE_MAX))
        ;
    ts_buf_free(&s->sh.fx.stream);
    ts_free(s->sh.fx.marks);
    ks_destroy(&s->sh.ks);
    free(s);
}

void
replx_stream_cmd(struct replx_shard *s, int argc, const char **argv)
{
    struct sv v[16];
    for (int i = 0; i < argc && i < 16; i++)
        v[i] = (struct sv){argv[i], strlen(argv[i])};
    fx_command_begin(&s->sh.fx);
    s->sh.fx.cmd_writes = 1;
    fx_command_end(&s->sh, argc, v);
}

void replx_tx_begin(struct replx_shard *s) { fx_tx_begin(&s->sh); }
void replx_tx_end(struct replx_shard *s) { fx_tx_end(&s->sh); }

char *
replx_hand_over(struct replx_shard *s, size_t *n)
{
    *n = s->sh.fx.stream.len;
    char *out = malloc(*n + 1);
    memcpy(out, s->sh.fx.stream.data ? s->sh.fx.stream.data : "", *n);
    ts_buf_reset(&s->sh.fx.stream);
    s->sh.fx.flushes++;
    return out;
}

uint64_t replx_appended(const struct replx_shard *s) { return s->sh.fx.appended; }

void replx_mark(struct replx_shard *s, uint64_t id) { fx_mark_put(&s->sh, FX_MARK_QUEUED, id); }

int
replx_mark_positions(const struct replx_shard *s, size_t *pos, int max)
{
    int n = 0;
    for (uint32_t i = 0; i < s->sh.fx.nmarks && n < max; i++)
        pos[n++] = s->sh.fx.marks[i].pos;
    return n;
}

void
replx_capture_begin(struct replx_shard *s)
{
    s->cap = (struct ts_buf){0};
    fx_capture_begin(&s->sh, &s->cap, &s->c);
}

char *
replx_capture_end(struct replx_shard *s, size_t *n, uint64_t *ncmds)
{
    *ncmds = fx_capture_end(&s->sh, &s->cap, &s->c);
    *n = s->cap.len;
    char *out = malloc(*n + 1);
    memcpy(out, s->cap.data ? s->cap.data : "", *n);
    ts_buf_free(&s->cap);
    return out;
}

/* ---- snapshot ---- */

static struct sv
svs(const char *s)
{
    return (struct sv){s, strlen(s)};
}

void
replx_set(struct replx_shard *s, const char *k, const char *v)
{
    ks_set_str(s->sh.ks, slot_of_sv(svs(k)), svs(k), svs(v), -1);
}

void
replx_del(struct replx_shard *s, const char *k)
{
    ks_delete(s->sh.ks, slot_of_sv(svs(k)), svs(k));
}

void replx_guard(struct replx_shard *s, const char *k) { snap_guard_key(&s->sh, svs(k)); }

static struct ts_buf snap_out;

void
replx_snap_begin(struct replx_shard *s, uint64_t id)
{
    ts_buf_reset(&snap_out);
    snap_begin(&s->sh, id);
}

bool replx_snap_produce(struct replx_shard *s, size_t max) { return snap_produce(&s->sh, &snap_out, max); }
void replx_snap_abort(struct replx_shard *s) { snap_abort(&s->sh); }
bool replx_snap_drain(struct replx_shard *s, size_t budget) { return snap_drain(&s->sh, budget); }
bool replx_snap_running(const struct replx_shard *s) { return s->sh.snap != NULL; }

struct load_ctx {
    void (*fn)(void *arg, const char *k, const char *v);
    void *arg;
};

static int
load_key(void *arg, const struct rdb_loaded_key *k)
{
    struct load_ctx *c = arg;
    char kb[256], vb[256];
    snprintf(kb, sizeof(kb), "%.*s", (int)k->key.len, k->key.ptr);
    snprintf(vb, sizeof(vb), "%.*s", (int)k->str.len, k->str.ptr);
    c->fn(c->arg, kb, vb);
    return 0;
}

long
replx_snap_load(struct replx_shard *s, void (*fn)(void *arg, const char *k, const char *v), void *arg, char *err,
                size_t errlen)
{
    (void)s;
    struct ts_buf f = {0};
    rdb_write_header(&f, 10);
    rdb_write_select_db(&f, 0, 0, 0);
    ts_buf_append(&f, snap_out.data, snap_out.len);
    uint64_t crc = crc64_update(0, f.data, f.len);
    rdb_write_eof(&f, crc);
    struct load_ctx c = {fn, arg};
    struct rdb_load_ops ops = {.key = load_key};
    struct rdb_loader *l = rdb_loader_create(&ops, &c);
    int st = rdb_loader_feed(l, f.data, f.len);
    long keys = (long)rdb_loader_keys(l);
    if (st != RDB_LOAD_DONE) {
        snprintf(err, errlen, "%s", st == RDB_LOAD_ERROR ? rdb_loader_error(l) : "incomplete");
        keys = -1;
    }
    rdb_loader_destroy(&l);
    ts_buf_free(&f);
    return keys;
}
