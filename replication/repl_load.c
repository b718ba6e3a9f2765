/* repl_load.c: the RDB of a full sync into the workers (spec/replication.md
 * §2 steps 6-7).
 *
 * The link thread reads the payload file (received whole first, as with
 * Redis's repl-diskless-load disabled) through an RDB loader (core/rdb.h);
 * each key goes to the worker owning its slot, in batches: one runtime_post
 * per ~256 keys or ~1 MB per worker, never one per key.
 *
 *   link thread                                   worker w
 *   repl_load_begin ---- flush (FLUSHALL) ------>  watch_touch_all, ks_flush
 *   key callback -> open[w] --full--> post ----->  ks_set_str / ks_set_obj
 *   repl_load_finish: post the rest, wait          pending-- (signal)
 *
 * Messages from one thread to one worker run in posting order, so the flush
 * runs before any batch. What is in flight is bounded (LOAD_INFLIGHT_MAX
 * bytes): the loader waits for the workers past it, calling the link's tick
 * (its "\n" keepalives) while it waits. The counters are process-wide, so a
 * load abandoned midway leaves nothing dangling: its posted batches still
 * apply and count down, and the next load's finish waits for them too.
 *
 * A replica keeps the keys that are already expired at load time (Redis
 * drops them only when loading as a master; the master sends their DELs).
 * Tessera serves database 0 only: keys of other databases are skipped with
 * a warning. */
#include "replication/repl_link.h"

#include "core/keyspace.h"
#include "core/log.h"
#include "core/multi.h"
#include "core/obj.h"
#include "core/rdb.h"
#include "core/shard.h"
#include "core/slot.h"
#include "core/slot_move.h"
#include "core/slotmap.h"
#include "net/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

#define LOAD_BATCH_KEYS 256
#define LOAD_BATCH_BYTES (1024 * 1024)
#define LOAD_INFLIGHT_MAX (64LL * 1024 * 1024) /* bytes posted and not yet applied */
#define LOAD_WAIT_TICK_MS 200
#define LOAD_STALL_MS 60000 /* no batch applied for this long while waiting: give up */

struct load_item {
    uint16_t slot;
    uint8_t type;
    int64_t expire_ms;
    size_t koff, klen; /* key bytes in the batch's arena */
    size_t voff, vlen; /* string value bytes in the arena */
    void *obj;         /* collections: owned by the batch until inserted */
};

struct load_batch {
    int n, cap;
    struct load_item *items;
    struct ts_buf arena;
    int64_t bytes; /* counted in flight while posted */
};

/* Batches posted and not yet applied, all loads together. */
static struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int64_t batches, bytes;
    uint64_t applied; /* batches applied so far (progress while waiting) */
} g_inflight = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

struct repl_load {
    struct rdb_loader *loader;
    struct load_batch *open[MAX_WORKERS];
    repl_load_tick_fn tick;
    void *tick_arg;
    uint64_t keys, other_db_keys;
    bool failed;  /* the load cannot go on */
    bool aborted; /* ... because the link told it to stop (not an RDB error) */
};

/* ---- Batches ---- */

static void
load_batch_free(struct load_batch *b)
{
    for (int i = 0; i < b->n; i++) {
        const struct obj_ops *ops = b->items[i].obj ? obj_ops_of(b->items[i].type) : NULL;
        if (ops)
            ops->free(b->items[i].obj);
    }
    ts_free(b->items);
    ts_buf_free(&b->arena);
    ts_free(b);
}

static void
load_inflight_add(int64_t batches, int64_t bytes)
{
    pthread_mutex_lock(&g_inflight.lock);
    g_inflight.batches += batches;
    g_inflight.bytes += bytes;
    if (batches < 0) {
        g_inflight.applied++;
        pthread_cond_broadcast(&g_inflight.cond);
    }
    pthread_mutex_unlock(&g_inflight.lock);
}

static void load_apply(void *arg, int worker);

/* Post b to worker w; on failure (the server is stopping) it is freed. */
static int
load_post(struct load_batch *b, int w)
{
    load_inflight_add(1, b->bytes);
    int rc = runtime_post(w, load_apply, b);
    if (rc != 0) {
        load_inflight_add(-1, -b->bytes);
        load_batch_free(b);
    }
    return rc;
}

/* An item that must run elsewhere (its slot is moving between workers) is
 * passed on alone to where slot_move_where says, or back to this worker's
 * queue while the slot's keys are on their way here. */
static void
load_pass_on(struct load_batch *from, struct load_item *it, int worker, int where)
{
    struct load_batch *b = ts_calloc(1, sizeof(*b));
    b->cap = b->n = 1;
    b->items = ts_malloc(sizeof(*b->items));
    b->items[0] = *it;
    b->items[0].koff = 0;
    ts_buf_append(&b->arena, from->arena.data + it->koff, it->klen);
    if (!it->obj) {
        b->items[0].voff = b->arena.len;
        ts_buf_append(&b->arena, from->arena.data + it->voff, it->vlen);
    }
    b->bytes = (int64_t)b->arena.len;
    it->obj = NULL; /* moved */
    load_post(b, where == SLOT_MOVE_HOLD ? worker : where);
}

/* On worker w: insert the batch's keys. */
static void
load_apply(void *arg, int worker)
{
    struct load_batch *b = arg;
    struct ks *ks = g_shards[worker]->ks;
    for (int i = 0; i < b->n; i++) {
        struct load_item *it = &b->items[i];
        int where = slot_move_where(worker, it->slot);
        if (where != SLOT_MOVE_RUN) {
            load_pass_on(b, it, worker, where);
            continue;
        }
        struct sv key = {b->arena.data + it->koff, it->klen};
        if (it->obj) {
            ks_set_obj(ks, it->slot, key, it->type, it->obj, it->expire_ms);
            it->obj = NULL;
        } else {
            struct sv val = {b->arena.data + it->voff, it->vlen};
            ks_set_str(ks, it->slot, key, val, it->expire_ms);
        }
    }
    int64_t bytes = b->bytes;
    load_batch_free(b);
    load_inflight_add(-1, -bytes);
}

/* Wait until at most max_bytes are in flight (0: nothing at all). Gives up
 * when nothing was applied for LOAD_STALL_MS or when the tick says so. */
static int
load_wait(struct repl_load *ld, int64_t max_bytes, int64_t stall_ms)
{
    pthread_mutex_lock(&g_inflight.lock);
    uint64_t seen = g_inflight.applied;
    int64_t since = ts_mstime();
    int rc = 0;
    while (max_bytes ? g_inflight.bytes > max_bytes : g_inflight.batches > 0) {
        int64_t now = ts_mstime();
        if (g_inflight.applied != seen) {
            seen = g_inflight.applied;
            since = now;
        } else if (now - since >= stall_ms) {
            rc = -1;
            break;
        }
        int64_t at = now + LOAD_WAIT_TICK_MS;
        struct timespec ts = {.tv_sec = at / 1000, .tv_nsec = (at % 1000) * 1000000};
        pthread_cond_timedwait(&g_inflight.cond, &g_inflight.lock, &ts);
        pthread_mutex_unlock(&g_inflight.lock);
        if (ld->tick && !ld->tick(ld->tick_arg)) {
            ld->aborted = true;
            return -1;
        }
        pthread_mutex_lock(&g_inflight.lock);
    }
    pthread_mutex_unlock(&g_inflight.lock);
    return rc;
}

static int
load_flush_batch(struct repl_load *ld, int w)
{
    struct load_batch *b = ld->open[w];
    ld->open[w] = NULL;
    if (!b)
        return 0;
    if (load_post(b, w) != 0) {
        ld->aborted = true; /* the server is stopping: not the RDB's fault */
        return -1;
    }
    return load_wait(ld, LOAD_INFLIGHT_MAX, LOAD_STALL_MS);
}

/* ---- Loader callbacks ---- */

static int
load_key(void *arg, const struct rdb_loaded_key *k)
{
    struct repl_load *ld = arg;
    if (k->db != 0) {
        ld->other_db_keys++;
        const struct obj_ops *ops = k->obj ? obj_ops_of(k->type) : NULL;
        if (ops)
            ops->free(k->obj);
        return 0;
    }
    uint16_t slot = slot_of(k->key.ptr, k->key.len);
    int w = slotmap_worker(slot);
    struct load_batch *b = ld->open[w];
    if (!b) {
        b = ld->open[w] = ts_calloc(1, sizeof(*b));
        b->cap = 64;
        b->items = ts_malloc((size_t)b->cap * sizeof(*b->items));
    }
    if (b->n == b->cap) {
        b->cap *= 2;
        b->items = ts_realloc(b->items, (size_t)b->cap * sizeof(*b->items));
    }
    struct load_item *it = &b->items[b->n++];
    *it = (struct load_item){.slot = slot, .type = (uint8_t)k->type, .expire_ms = k->expire_ms,
                             .koff = b->arena.len, .klen = k->key.len, .obj = k->obj};
    ts_buf_append(&b->arena, k->key.ptr, k->key.len);
    if (!k->obj) {
        it->voff = b->arena.len;
        it->vlen = k->str.len;
        ts_buf_append(&b->arena, k->str.ptr, k->str.len);
    }
    /* A collection's size is known to its type; count it in flight too. */
    const struct obj_ops *ops = k->obj ? obj_ops_of(k->type) : NULL;
    b->bytes += (int64_t)(k->key.len + (k->obj ? 0 : k->str.len)) + (ops ? (int64_t)ops->mem_usage(k->obj) : 0);
    ld->keys++;
    if (b->n >= LOAD_BATCH_KEYS || b->bytes >= LOAD_BATCH_BYTES)
        return load_flush_batch(ld, w);
    return 0;
}

static const struct rdb_load_ops load_ops = {.key = load_key};

/* ---- One load ---- */

static void
load_flush_worker(void *arg, int worker)
{
    struct shard *sh = g_shards[worker];
    watch_touch_all(sh); /* before the keys are gone, as FLUSHALL */
    ks_flush(sh->ks);
    load_inflight_add(-1, 0);
}

static struct repl_load *
repl_load_begin(repl_load_tick_fn tick, void *arg)
{
    struct repl_load *ld = ts_calloc(1, sizeof(*ld));
    ld->tick = tick;
    ld->tick_arg = arg;
    ld->loader = rdb_loader_create(&load_ops, ld);
    for (int w = 0; w < runtime_nworkers(); w++) {
        load_inflight_add(1, 0);
        if (runtime_post(w, load_flush_worker, NULL) != 0) {
            load_inflight_add(-1, 0);
            ld->failed = true;
        }
    }
    return ld;
}

static int
repl_load_feed(struct repl_load *ld, const void *p, size_t n, size_t *used)
{
    *used = 0;
    if (ld->failed)
        return -1;
    int rc = rdb_loader_feed(ld->loader, p, n);
    if (rc == RDB_LOAD_ERROR) {
        if (!ld->aborted)
            log_warn("MASTER <-> REPLICA sync: the RDB from the master cannot be loaded: %s",
                     rdb_loader_error(ld->loader));
        ld->failed = true;
        return -1;
    }
    *used = rdb_loader_consumed(ld->loader);
    return rc == RDB_LOAD_DONE ? 1 : 0;
}

static int
repl_load_finish(struct repl_load *ld, int64_t timeout_ms)
{
    for (int w = 0; w < MAX_WORKERS && !ld->failed; w++)
        if (load_flush_batch(ld, w) != 0)
            ld->failed = true;
    if (ld->other_db_keys)
        log_warn("MASTER <-> REPLICA sync: %llu keys of databases other than 0 skipped (Tessera serves "
                 "database 0 only)",
                 (unsigned long long)ld->other_db_keys);
    if (ld->failed || load_wait(ld, 0, timeout_ms) != 0)
        return -1;
    return 0;
}

static uint64_t
repl_load_keys(const struct repl_load *ld)
{
    return ld->keys;
}

static void
repl_load_destroy(struct repl_load **ldp)
{
    struct repl_load *ld = *ldp;
    if (!ld)
        return;
    for (int w = 0; w < MAX_WORKERS; w++)
        if (ld->open[w])
            load_batch_free(ld->open[w]);
    rdb_loader_destroy(&ld->loader);
    ts_free(ld);
    *ldp = NULL;
}

/* ---- API (repl_link.h) ---- */

#define LOAD_READ_CHUNK (1024 * 1024)

int
repl_load_file(const char *path, repl_load_tick_fn tick, void *arg, int64_t stall_ms, uint64_t *keys)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        log_warn("MASTER <-> REPLICA sync: cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char *buf = ts_malloc(LOAD_READ_CHUNK);
    struct repl_load *ld = repl_load_begin(tick, arg);
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, buf, LOAD_READ_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n < 0 || !ld->aborted)
                log_warn("MASTER <-> REPLICA sync: the RDB from the master %s",
                         n < 0 ? strerror(errno) : "ends before its EOF opcode (truncated)");
            rc = -1;
            break;
        }
        size_t used;
        rc = repl_load_feed(ld, buf, (size_t)n, &used);
        if (rc != 0 || (tick && !tick(arg))) {
            /* 1: the RDB's EOF and checksum (what follows is ignored, as
             * Redis ignores the end of the file past its EOF opcode) */
            rc = rc == 1 ? 0 : -1;
            break;
        }
    }
    if (rc == 0)
        rc = repl_load_finish(ld, stall_ms);
    *keys = repl_load_keys(ld);
    repl_load_destroy(&ld);
    ts_free(buf);
    close(fd);
    return rc;
}
