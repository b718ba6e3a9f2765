/* t_db.c: commands over the whole keyspace, which is spread over every
 * worker: DBSIZE, KEYS, RANDOMKEY, FLUSHDB, FLUSHALL (fan-outs, cmd.h) and
 * SCAN (runs on the worker owning the cursor's slot, cmd_forward).
 *
 * SCAN cursor: (position inside the slot's table << 14) | slot. Slots are
 * visited in increasing order; a call scans on one worker and stops at the
 * first slot another worker owns, returning a cursor that points there, so
 * the next call goes to that worker. Per-slot positions are the keyspace's
 * reverse-binary cursors, stable across table resizes. */
#include <stdio.h>

#include "core/cmd.h"
#include "core/config.h"
#include "core/keyspace.h"
#include "core/multi.h"
#include "core/obj.h"
#include "core/shard.h"
#include "core/slot.h"
#include "core/slot_move.h"
#include "core/slotmap.h"
#include "core/server.h"
#include "core/t_commands.h"
#include "core/t_db.h"

/* ---- DBSIZE ---- */

struct count_state {
    uint64_t n[MAX_WORKERS];
};

static void
dbsize_each(struct shard *sh, void *st, int w)
{
    ((struct count_state *)st)->n[w] = ks_count(sh->ks);
}

static void
dbsize_done(void *st, struct reply *r, struct client *cl)
{
    uint64_t sum = 0;
    for (int i = 0; i < cmd_nworkers(); i++)
        sum += ((struct count_state *)st)->n[i];
    reply_int(r, (long long)sum);
}

static void
dbsize_proc(struct cmd_ctx *c)
{
    cmd_fanout(c, ts_calloc(1, sizeof(struct count_state)), dbsize_each, dbsize_done, ts_free);
}

/* ---- KEYS ---- */

struct keys_state {
    struct sv pattern;
    bool all;
    int64_t now_ms;
    uint8_t resp;
    struct ts_buf out[MAX_WORKERS]; /* encoded bulk strings */
    uint64_t n[MAX_WORKERS];
};

struct keys_visit {
    struct keys_state *st;
    int w;
};

static void
keys_visit(void *arg, const struct kv *e)
{
    struct keys_visit *v = arg;
    struct sv k = kv_key(e);
    if (!v->st->all && !ts_glob_match(v->st->pattern.ptr, v->st->pattern.len, k.ptr, k.len, false))
        return;
    struct reply r;
    reply_init(&r, &v->st->out[v->w], v->st->resp);
    reply_bulk(&r, k.ptr, k.len);
    v->st->n[v->w]++;
}

/* One worker's share of KEYS. A KEYS over millions of keys takes a while
 * even with a linear matcher; when the server is shutting down, the rest
 * is skipped (the reply is never sent), so SIGTERM ends the process
 * promptly instead of after the scan. */
static void
keys_each(struct shard *sh, void *arg, int w)
{
    struct keys_state *st = arg;
    struct keys_visit v = {st, w};
    for (int s = 0; s < CLUSTER_SLOTS; s++) {
        if (ks_count_slot(sh->ks, (uint16_t)s) == 0)
            continue;
        uint64_t cur = 0;
        do {
            if (__atomic_load_n(&g_server.shutdown_requested, __ATOMIC_RELAXED))
                return;
            cur = ks_scan_slot(sh->ks, (uint16_t)s, cur, 1024, st->now_ms, keys_visit, &v);
        } while (cur != 0);
    }
}

static void
keys_done(void *arg, struct reply *r, struct client *cl)
{
    struct keys_state *st = arg;
    uint64_t total = 0;
    for (int i = 0; i < cmd_nworkers(); i++)
        total += st->n[i];
    reply_array(r, (long)total);
    for (int i = 0; i < cmd_nworkers(); i++)
        reply_raw(r, st->out[i].data, st->out[i].len);
}

static void
keys_free(void *arg)
{
    struct keys_state *st = arg;
    for (int i = 0; i < MAX_WORKERS; i++)
        ts_buf_free(&st->out[i]);
    ts_free((void *)st->pattern.ptr);
    ts_free(st);
}

static void
keys_proc(struct cmd_ctx *c)
{
    struct keys_state *st = ts_calloc(1, sizeof(*st));
    st->pattern.ptr = ts_strndup(c->argv[1].ptr, c->argv[1].len);
    st->pattern.len = c->argv[1].len;
    st->all = st->pattern.len == 1 && st->pattern.ptr[0] == '*';
    st->now_ms = c->now_ms;
    st->resp = c->r->resp;
    cmd_fanout(c, st, keys_each, keys_done, keys_free);
}

/* ---- RANDOMKEY ---- */

struct rand_state {
    uint64_t count[MAX_WORKERS];
    char *key[MAX_WORKERS];
    size_t len[MAX_WORKERS];
    int64_t now_ms;
};

static void
rand_each(struct shard *sh, void *arg, int w)
{
    struct rand_state *st = arg;
    struct kv *e = ks_random(sh->ks, st->now_ms);
    st->count[w] = ks_count(sh->ks);
    if (e) {
        struct sv k = kv_key(e);
        st->key[w] = ts_strndup(k.ptr, k.len);
        st->len[w] = k.len;
    }
}

/* Pick a worker with probability proportional to its key count, so every
 * key is about equally likely whatever the worker split. */
static void
rand_done(void *arg, struct reply *r, struct client *cl)
{
    struct rand_state *st = arg;
    uint64_t total = 0;
    for (int i = 0; i < cmd_nworkers(); i++)
        if (st->key[i])
            total += st->count[i];
    if (total == 0) {
        reply_null(r);
        return;
    }
    uint64_t pick = (uint64_t)ts_ustime() * 0x9E3779B97F4A7C15ull % total;
    for (int i = 0; i < cmd_nworkers(); i++) {
        if (!st->key[i])
            continue;
        if (pick < st->count[i]) {
            reply_bulk(r, st->key[i], st->len[i]);
            return;
        }
        pick -= st->count[i];
    }
    reply_null(r);
}

static void
rand_free(void *arg)
{
    struct rand_state *st = arg;
    for (int i = 0; i < MAX_WORKERS; i++)
        ts_free(st->key[i]);
    ts_free(st);
}

static void
randomkey_proc(struct cmd_ctx *c)
{
    struct rand_state *st = ts_calloc(1, sizeof(*st));
    st->now_ms = c->now_ms;
    cmd_fanout(c, st, rand_each, rand_done, rand_free);
}

/* ---- FLUSHDB / FLUSHALL ---- */

/* The stream's form of FLUSHALL on one worker of several: its keys are
 * other workers' business, and the workers' streams merge in any order
 * (effect.h), so a FLUSHALL from each would also wipe keys another worker
 * wrote after its own flush. Each worker streams DELs of the keys it held,
 * in commands of up to FLUSH_DEL_KEYS keys. */
#define FLUSH_DEL_KEYS 512
struct flush_dels {
    struct shard *sh;
    struct sv argv[FLUSH_DEL_KEYS + 1];
    int n;
};

static void
flush_dels_emit(struct flush_dels *d)
{
    if (d->n == 0)
        return;
    fx_propagate(d->sh, d->n + 1, d->argv);
    d->n = 0;
}

static void
flush_dels_add(void *arg, const struct kv *e)
{
    struct flush_dels *d = arg;
    d->argv[++d->n] = kv_key(e);
    if (d->n == FLUSH_DEL_KEYS)
        flush_dels_emit(d);
}

static void
flush_stream(struct shard *sh)
{
    if (!sh->fx.stream_on || sh->fx.replica)
        return;
    if (cmd_nworkers() == 1) {
        struct sv argv[1] = {{"FLUSHALL", 8}};
        fx_propagate(sh, 1, argv);
        return;
    }
    struct flush_dels *d = ts_malloc(sizeof(*d));
    d->sh = sh;
    d->n = 0;
    d->argv[0] = (struct sv){"DEL", 3};
    for (int slot = 0; slot < CLUSTER_SLOTS; slot++)
        if (ks_count_slot(sh->ks, (uint16_t)slot) > 0)
            ks_slot_keys(sh->ks, (uint16_t)slot, SIZE_MAX, flush_dels_add, d);
    flush_dels_emit(d);
    ts_free(d);
}

void
t_db_flush_worker(struct shard *sh)
{
    flush_stream(sh); /* while the keys are there */
    watch_touch_all(sh); /* before the keys are gone: it touches the ones that exist */
    ks_flush(sh->ks);
}

static void
flush_each(struct shard *sh, void *arg, int w)
{
    t_db_flush_worker(sh);
}

static void
flush_done(void *arg, struct reply *r, struct client *cl)
{
    reply_ok(r);
}

static void
flush_proc(struct cmd_ctx *c)
{
    /* ASYNC frees in the background in Redis; here every worker empties its
     * own share in parallel, which is what ASYNC buys. */
    if (c->argc > 2 || (c->argc == 2 && !sv_eq_ci(c->argv[1], "async") && !sv_eq_ci(c->argv[1], "sync"))) {
        reply_error(c->r, ERR_SYNTAX);
        return;
    }
    cmd_fanout(c, NULL, flush_each, flush_done, NULL);
}

/* ---- SCAN ---- */

struct scan_visit {
    struct reply *r;
    struct sv pattern;
    bool has_pattern;
    int type;
    long n;
    struct shard *sh;
    int64_t now_ms;
    struct ts_buf dead; /* expired keys met, each as a u32 length + bytes */
};

/* One entry of a scanned bucket, expired ones included (the scan runs with
 * a time before every deadline). Redis filters the keys a SCAN call
 * collected in this order: MATCH; TYPE, through a read lookup (a hit, or
 * for an expired key its deletion, a miss and "keymiss"); then an expired
 * key is deleted ("expired"). Deleting now would change the table being
 * walked, so the keys to delete are noted and scan_reap deletes them. */
static void
scan_visit(void *arg, const struct kv *e)
{
    struct scan_visit *v = arg;
    struct sv k = kv_key(e);
    if (v->has_pattern && !ts_glob_match(v->pattern.ptr, v->pattern.len, k.ptr, k.len, false))
        return;
    int64_t when = kv_expire(e);
    bool expired = when >= 0 && v->now_ms > when;
    if (expired) {
        uint32_t len = (uint32_t)k.len;
        ts_buf_append(&v->dead, &len, sizeof(len));
        ts_buf_append(&v->dead, k.ptr, k.len);
        return;
    }
    if (v->type >= 0) {
        ks_note_hit(v->sh->ks, true); /* TYPE's lookup */
        if (kv_type(e) != v->type)
            return;
    }
    reply_bulk(v->r, k.ptr, k.len);
    v->n++;
}

/* Delete the expired keys scan_visit noted (lazy expiry: "expired"); with
 * TYPE, each also counts as a read miss ("keymiss"). */
static void
scan_reap(struct scan_visit *v)
{
    for (size_t off = 0; off < v->dead.len;) {
        uint32_t len;
        memcpy(&len, v->dead.data + off, sizeof(len));
        struct sv key = {v->dead.data + off + sizeof(len), len};
        off += sizeof(len) + len;
        ks_lookup(v->sh->ks, slot_of_sv(key), key, v->now_ms, KS_LOOKUP_NOTOUCH);
        if (v->type >= 0)
            t_note_read(v->sh, key, false);
    }
    v->dead.len = 0;
}

static int
type_by_name(struct sv n)
{
    int t = obj_type_by_name(n);
    return t >= 0 ? t : 100; /* unknown type names match nothing, as in Redis 7.0 */
}

static void
scan_proc(struct cmd_ctx *c)
{
    unsigned long long cursor;
    if (!ts_parse_scan_cursor(c->argv[1].ptr, c->argv[1].len, &cursor)) {
        reply_error(c->r, "ERR invalid cursor");
        return;
    }
    long long count = 10;
    struct scan_visit v = {.r = c->r, .type = -1, .sh = c->sh, .now_ms = c->now_ms};
    for (int i = 2; i < c->argc; i += 2) {
        if (i + 1 >= c->argc) {
            reply_error(c->r, ERR_SYNTAX);
            return;
        }
        struct sv opt = c->argv[i], val = c->argv[i + 1];
        if (sv_eq_ci(opt, "count")) {
            if (!ts_str_to_ll(val.ptr, val.len, &count)) {
                reply_error(c->r, ERR_NOT_INT);
                return;
            }
            if (count < 1) {
                reply_error(c->r, ERR_SYNTAX);
                return;
            }
        } else if (sv_eq_ci(opt, "match")) {
            v.pattern = val;
            v.has_pattern = !(val.len == 1 && val.ptr[0] == '*');
        } else if (sv_eq_ci(opt, "type")) {
            v.type = type_by_name(val);
        } else {
            reply_error(c->r, ERR_SYNTAX);
            return;
        }
    }
    int slot = (int)(cursor & (CLUSTER_SLOTS - 1));
    uint64_t inner = cursor >> 14;
    if (slot_move_where(c->sh->id, (uint16_t)slot) != SLOT_MOVE_RUN) {
        cmd_forward_slot(c, slot);
        return;
    }
    reply_array(c->r, 2);
    /* The cursor goes first but is known last: write keys to a side buffer. */
    struct ts_buf keys = {0};
    struct reply kr;
    reply_init(&kr, &keys, c->r->resp);
    v.r = &kr;
    long long work = 0;
    while (slot < CLUSTER_SLOTS && slot_move_where(c->sh->id, (uint16_t)slot) == SLOT_MOVE_RUN && v.n < count &&
           work < count * 100) {
        if (ks_count_slot(c->sh->ks, (uint16_t)slot) == 0) {
            inner = 0;
            slot++;
            work++;
            continue;
        }
        /* INT64_MIN: before every deadline, so expired keys are visited too */
        inner = ks_scan_slot(c->sh->ks, (uint16_t)slot, inner, (size_t)(count - v.n), INT64_MIN, scan_visit, &v);
        scan_reap(&v);
        work += count;
        if (inner == 0)
            slot++;
    }
    unsigned long long next = slot >= CLUSTER_SLOTS ? 0 : ((unsigned long long)inner << 14) | (unsigned)slot;
    reply_bulk_ll(c->r, (long long)next);
    reply_array(c->r, v.n);
    reply_raw(c->r, keys.data, keys.len);
    ts_buf_free(&keys);
    ts_buf_free(&v.dead);
}

static const struct cmd_def db_cmds[] = {
    {.name = "dbsize", .arity = 1, .flags = CMD_READONLY | CMD_FAST, .route = ROUTE_LOCAL, .proc = dbsize_proc,
     .acl = "keyspace read fast", .group = "server", .since = "1.0.0",
     .summary = "Returns the number of keys in the database."},
    {.name = "keys", .arity = 2, .flags = CMD_READONLY, .route = ROUTE_LOCAL, .proc = keys_proc,
     .acl = "keyspace read slow dangerous", .group = "generic", .since = "1.0.0",
     .summary = "Returns all key names that match a pattern."},
    {.name = "randomkey", .arity = 1, .flags = CMD_READONLY, .route = ROUTE_LOCAL, .proc = randomkey_proc,
     .acl = "keyspace read slow", .group = "generic", .since = "1.0.0",
     .summary = "Returns a random key name from the database."},
    {.name = "scan", .arity = -2, .flags = CMD_READONLY, .route = ROUTE_LOCAL, .proc = scan_proc,
     .acl = "keyspace read slow", .group = "generic", .since = "2.8.0",
     .summary = "Iterates over the key names in the database."},
    {.name = "flushdb", .arity = -1, .flags = CMD_WRITE, .route = ROUTE_LOCAL, .proc = flush_proc,
     .acl = "keyspace write slow dangerous", .group = "server", .since = "1.0.0",
     .summary = "Remove all keys from the current database."},
    {.name = "flushall", .arity = -1, .flags = CMD_WRITE, .route = ROUTE_LOCAL, .proc = flush_proc,
     .acl = "keyspace write slow dangerous", .group = "server", .since = "1.0.0",
     .summary = "Removes all keys from all databases."},
    {.name = NULL},
};

void
t_db_register(void)
{
    cmd_register_table(db_cmds);
}
