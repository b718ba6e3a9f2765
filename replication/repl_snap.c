/* repl_snap.c: full sync (repl_snap.h). */
#include "replication/repl_snap.h"

#include "core/cmd.h"
#include "core/config.h"
#include "core/crc64.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/rdb.h"
#include "core/server.h"
#include "core/shard.h"
#include "core/snapshot.h"
#include "core/tx.h"
#include "net/net_int.h"
#include "net/runtime.h"
#include "replication/repl.h"
#include "replication/repl_feed.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#define SNAP_CHUNK (256 * 1024)  /* bytes a worker writes per pull */
#define SNAP_DRAIN_KEYS 4096     /* keys an abandoned snapshot walks per loop turn */
#define RDB_VERSION 10           /* what a Redis 7.0 replica loads */

/* ---- The thread's side ---- */

static struct {
    struct repl_sync_req *queue, *queue_tail;
    struct repl_sync_req *cur;   /* the sync being cut or sent */
    uint64_t next_id;
    uint64_t id;                 /* cur's cut id */
    bool cutting;                /* waiting for the workers' cuts */
    bool cut_in[MAX_WORKERS];
    int ncut;
    bool running;                /* cut done, the replica's worker is sending */
    int done;                    /* atomic: the replica's worker is done with it */
} S;

void
repl_snap_enqueue(struct repl_sync_req *q)
{
    q->queued_ms = ts_mstime();
    q->next = NULL;
    if (S.queue_tail)
        S.queue_tail->next = q;
    else
        S.queue = q;
    S.queue_tail = q;
}

bool
repl_snap_worker_at_cut(int w)
{
    return S.cutting && S.cut_in[w];
}

/* ---- The cut: a global transaction (tx.h) ----
 * Every worker cuts inside one transaction holding the whole keyspace, so
 * each transaction over several workers is wholly before the cut, or
 * wholly after it, on all of them: the snapshot never holds half of one.
 * Its id tells the thread which units follow the sync's offset. */
static uint64_t cut_txid; /* atomic: the pending cut's transaction id, 0 until scheduled */

bool
repl_snap_defers(uint64_t txid)
{
    uint64_t c = __atomic_load_n(&cut_txid, __ATOMIC_ACQUIRE);
    /* a unit after the cut was handed over after c was published (its
     * part ran after the cut's on some worker), so c == 0 means before */
    return S.cutting && c != 0 && txid > c;
}

static void
cut_part(struct shard *sh, struct tx *t, struct tx_part *p, int phase)
{
    (void)p;
    (void)phase;
    uint64_t id = (uint64_t)(uintptr_t)t->ctx;
    if (sh->snap) /* an abandoned one still walking: finish it first */
        snap_drain(sh, SIZE_MAX);
    /* the thread switched the stream on before it asked for the cut, but
     * its message and ours travel on different rings */
    sh->fx.stream_on = true;
    repl_feed_cut(sh, id);
    snap_begin(sh, id);
}

static void
cut_scheduled(struct tx *t)
{
    __atomic_store_n(&cut_txid, t->id, __ATOMIC_RELEASE);
}

static void
cut_reply(struct tx *t, struct reply *r)
{
    (void)t;
    (void)r;
}

static void
cut_done(void *arg, const char *reply, size_t len, bool error)
{
    (void)arg;
    (void)reply;
    (void)len;
    (void)error;
}

static const struct tx_ops cut_ops = {.phases = 1, .part = cut_part, .reply = cut_reply, .scheduled = cut_scheduled};
static const struct cmd_def cut_cmd = {.name = "sync-cut", .flags = CMD_WRITE};

/* On worker 0, for the thread. */
static void
cut_launch(void *arg, int worker)
{
    struct tx *t = tx_prepare(g_shards[worker], &cut_cmd, &cut_ops, 0, NULL, NULL, 0, 2, 0);
    t->global = true;
    t->internal = true;
    t->ctx = arg;
    tx_launch(t, cut_done, NULL);
}

static int
queued_count(void)
{
    int n = 0;
    for (struct repl_sync_req *q = S.queue; q; q = q->next)
        n++;
    return n;
}

/* repl-diskless-sync-delay: wait for more replicas (unless the maximum
 * has come); a disk-based sync starts at once. */
static bool
start_due(int64_t now)
{
    struct repl_sync_req *q = S.queue;
    bool diskless = g_cfg.repl_diskless_sync && q->capa_eof;
    if (!diskless)
        return true;
    int max = g_cfg.repl_diskless_sync_max_replicas;
    if (max > 0 && queued_count() >= max)
        return true;
    return now - q->queued_ms >= (int64_t)g_cfg.repl_diskless_sync_delay * 1000;
}

/* The decision for one replica, run on its worker. */
struct sync_start {
    struct repl_sync_req *q;
    struct repl_reader rd;
    uint64_t id;
    int64_t offset;
    char replid[REPL_ID_LEN + 1];
};

static void sync_start_on_worker(void *arg, int worker);

static void
cut_complete(void)
{
    struct repl_sync_req *q = S.cur;
    S.cutting = false;
    memset(S.cut_in, 0, sizeof(S.cut_in));
    S.ncut = 0;
    S.running = true;
    struct sync_start *st = ts_calloc(1, sizeof(*st));
    st->q = q;
    st->id = S.id;
    st->offset = repl_buf_end(&g_repl.buf); /* every worker's batches up to its cut are in, none after */
    pthread_mutex_lock(&g_repl.hist_lock);
    memcpy(st->replid, g_repl.replid, sizeof(st->replid));
    pthread_mutex_unlock(&g_repl.hist_lock);
    repl_buf_attach(&g_repl.buf, st->offset, &st->rd);
    log_notice("Starting full sync %llu for replica %s:%d at offset %lld",
               (unsigned long long)S.id, q->ip, q->port, (long long)st->offset);
    /* the reply first, then the feed: the feed waits until it is out */
    char line[128];
    int n = q->plain_sync ? 0 : snprintf(line, sizeof(line), "+FULLRESYNC %s %lld\r\n", st->replid, (long long)st->offset);
    cmd_deferred_reply(q->reply, line, (size_t)n, false);
    if (runtime_post(q->worker, sync_start_on_worker, st) < 0) {
        repl_reader_detach(&st->rd);
        ts_free(st);
        __atomic_store_n(&S.done, 1, __ATOMIC_RELEASE);
    }
}

void
repl_snap_worker_cut(int w, uint64_t cut)
{
    if (!S.cutting || cut != S.id || S.cut_in[w])
        return;
    S.cut_in[w] = true;
    if (++S.ncut == g_repl.nworkers)
        cut_complete();
}

bool
repl_snap_step(int64_t now)
{
    if (S.running && __atomic_load_n(&S.done, __ATOMIC_ACQUIRE)) {
        S.running = false;
        __atomic_store_n(&S.done, 0, __ATOMIC_RELAXED);
        ts_free(S.cur);
        S.cur = NULL;
    }
    if (S.cur || !S.queue || !start_due(now))
        return false;
    S.cur = S.queue;
    S.queue = S.queue->next;
    if (!S.queue)
        S.queue_tail = NULL;
    S.id = ++S.next_id;
    S.cutting = true;
    S.ncut = 0;
    memset(S.cut_in, 0, sizeof(S.cut_in));
    __atomic_store_n(&cut_txid, 0, __ATOMIC_RELEASE);
    runtime_post(0, cut_launch, (void *)(uintptr_t)S.id);
    return true;
}

/* ---- The replica's worker: sending the RDB ---- */

/* What the feed of a replica in full sync keeps. Freed when the last
 * chunk is in (a pull in flight keeps it alive after an abort). */
struct repl_snap_out {
    uint64_t id;
    int worker;            /* the replica's */
    uint64_t client_id;
    int cur;               /* the worker being pulled */
    bool inflight;         /* a pull is out */
    bool orphan;           /* the replica is gone */
    bool eof_mark;         /* $EOF:<mark> form, else a file and $<size> */
    char mark[REPL_ID_LEN + 1];
    uint64_t crc;
    int64_t offset;
    char replid[REPL_ID_LEN + 1];
    int fd;                /* disk-based: the file being written, then read */
    char path[512];
    int64_t file_size, file_sent;
    bool file_done;        /* written: now sending */
    bool header_done;
};

struct pull {
    struct repl_snap_out *o;
    struct ts_buf data;
    bool last;             /* the producer's snapshot is over */
};

/* Bytes of the RDB: to the replica, or to the file. */
static void
out_put(struct repl_snap_out *o, struct client *cl, const void *p, size_t n)
{
    o->crc = crc64_update(o->crc, p, n);
    if (o->eof_mark) {
        g_rt.client_push(cl, p, n);
        return;
    }
    const char *s = p;
    while (n > 0) {
        ssize_t w = write(o->fd, s, n);
        if (w <= 0) {
            log_warn("Writing the full sync file %s failed: %s", o->path, strerror(errno));
            cl->flags |= CL_CLOSE_ASAP;
            g_rt.close_client(cl);
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

static void
out_header(struct repl_snap_out *o, struct client *cl)
{
    if (o->eof_mark) {
        char line[64];
        int n = snprintf(line, sizeof(line), "$EOF:%s\r\n", o->mark);
        g_rt.client_push(cl, line, (size_t)n);
    }
    struct ts_buf b = {0};
    rdb_write_header(&b, RDB_VERSION);
    rdb_write_aux(&b, "redis-ver", (struct sv){TESSERA_REDIS_VERSION, strlen(TESSERA_REDIS_VERSION)});
    rdb_write_aux_int(&b, "redis-bits", 64);
    rdb_write_aux_int(&b, "ctime", (long long)(ts_mstime() / 1000));
    rdb_write_aux_int(&b, "used-mem", (long long)mem_used());
    rdb_write_aux_int(&b, "repl-stream-db", 0);
    rdb_write_aux(&b, "repl-id", (struct sv){o->replid, REPL_ID_LEN});
    rdb_write_aux_int(&b, "repl-offset", (long long)o->offset);
    rdb_write_aux_int(&b, "aof-base", 0);
    uint64_t keys = 0;
    for (int w = 0; w < cmd_nworkers(); w++)
        keys += ks_count(g_shards[w]->ks);
    rdb_write_select_db(&b, 0, keys, 0);
    out_put(o, cl, b.data, b.len);
    ts_buf_free(&b);
}

static void pull_done(void *arg, int worker);

static void
pull_run(void *arg, int worker)
{
    struct pull *p = arg;
    struct shard *sh = g_shards[worker];
    if (sh->snap && sh->snap->id == p->o->id)
        p->last = snap_produce(sh, &p->data, SNAP_CHUNK);
    else
        p->last = true; /* nothing of ours (cannot happen: the cut started it) */
    g_rt.worker_call(p->o->worker, pull_done, p);
}

static void
pull_next(struct repl_snap_out *o)
{
    struct pull *p = ts_calloc(1, sizeof(*p));
    p->o = o;
    o->inflight = true;
    g_rt.worker_call(o->cur, pull_run, p);
}

static void
abort_worker(void *arg, int worker)
{
    struct shard *sh = g_shards[worker];
    if (sh->snap && sh->snap->id == (uint64_t)(uintptr_t)arg) {
        snap_abort(sh);
        sh->fx.turn_hook = true;
    }
}

static void
out_free(struct repl_snap_out *o)
{
    if (o->fd >= 0) {
        close(o->fd);
        unlink(o->path);
    }
    ts_free(o);
}

/* The snapshot of workers cur.. will not be read: let them finish it. */
static void
out_abandon(struct repl_snap_out *o)
{
    for (int w = o->cur; w < cmd_nworkers(); w++)
        g_rt.worker_call(w, abort_worker, (void *)(uintptr_t)o->id);
    __atomic_store_n(&S.done, 1, __ATOMIC_RELEASE);
}

static void
out_finish_rdb(struct repl_snap_out *o, struct client *cl)
{
    struct ts_buf b = {0};
    rdb_write_eof(&b, o->crc);
    /* the checksum bytes are the last of the file: pushed, not summed */
    if (o->eof_mark) {
        g_rt.client_push(cl, b.data, b.len);
        g_rt.client_push(cl, o->mark, REPL_ID_LEN);
    } else {
        out_put(o, cl, b.data, b.len);
        o->file_size = lseek(o->fd, 0, SEEK_CUR);
        lseek(o->fd, 0, SEEK_SET);
        char line[32];
        int n = snprintf(line, sizeof(line), "$%lld\r\n", (long long)o->file_size);
        g_rt.client_push(cl, line, (size_t)n);
        o->file_done = true;
    }
    ts_buf_free(&b);
}

static void
pull_done(void *arg, int worker)
{
    struct pull *p = arg;
    struct repl_snap_out *o = p->o;
    o->inflight = false;
    struct client *cl = o->orphan ? NULL : repl_find_client(worker, o->client_id);
    if (!cl || o->orphan) {
        if (!p->last)
            g_rt.worker_call(o->cur, abort_worker, (void *)(uintptr_t)o->id);
        for (int w = o->cur + 1; w < cmd_nworkers(); w++)
            g_rt.worker_call(w, abort_worker, (void *)(uintptr_t)o->id);
        ts_buf_free(&p->data);
        ts_free(p);
        out_free(o);
        __atomic_store_n(&S.done, 1, __ATOMIC_RELEASE);
        return;
    }
    if (p->data.len)
        out_put(o, cl, p->data.data, p->data.len);
    ts_buf_free(&p->data);
    if (p->last)
        o->cur++;
    ts_free(p);
    if (o->cur == cmd_nworkers())
        out_finish_rdb(o, cl);
    g_shards[worker]->fx.turn_hook = true; /* repl_snap_feed goes on at the end of the turn */
}

static void
sync_start_on_worker(void *arg, int worker)
{
    struct sync_start *st = arg;
    struct repl_sync_req *q = st->q;
    struct client *cl = repl_find_client(worker, q->client_id);
    if (!cl || !cl->repl || !cl->repl->feed) {
        repl_reader_detach(&st->rd);
        for (int w = 0; w < cmd_nworkers(); w++)
            g_rt.worker_call(w, abort_worker, (void *)(uintptr_t)st->id);
        __atomic_store_n(&S.done, 1, __ATOMIC_RELEASE);
        ts_free(st);
        return;
    }
    struct repl_feed *f = cl->repl->feed;
    struct repl_snap_out *o = ts_calloc(1, sizeof(*o));
    o->id = st->id;
    o->worker = worker;
    o->client_id = q->client_id;
    o->fd = -1;
    o->offset = st->offset;
    memcpy(o->replid, st->replid, sizeof(o->replid));
    o->eof_mark = g_cfg.repl_diskless_sync && q->capa_eof;
    if (o->eof_mark) {
        repl_random_id(o->mark);
    } else {
        snprintf(o->path, sizeof(o->path), "temp-sync-%d-%llu.rdb", (int)getpid(), (unsigned long long)o->id);
        o->fd = open(o->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (o->fd < 0) {
            log_warn("Can't open the full sync file %s: %s", o->path, strerror(errno));
            ts_free(o);
            repl_reader_detach(&st->rd);
            for (int w = 0; w < cmd_nworkers(); w++)
                g_rt.worker_call(w, abort_worker, (void *)(uintptr_t)st->id);
            __atomic_store_n(&S.done, 1, __ATOMIC_RELEASE);
            cl->flags |= CL_CLOSE_ASAP;
            g_rt.close_client(cl);
            ts_free(st);
            return;
        }
    }
    f->rd = st->rd;
    f->snap = o;
    f->state = FEED_WAIT_REPLY;
    f->next_state = FEED_SNAP;
    g_shards[worker]->fx.turn_hook = true;
    ts_free(st);
}

/* Disk-based: the file, then the stream. */
static void
send_file(struct repl_feed *f, struct conn *c)
{
    struct repl_snap_out *o = f->snap;
    char buf[64 * 1024];
    while (o->file_sent < o->file_size && conn_out_used(c) < REPL_FEED_HIGH) {
        ssize_t n = read(o->fd, buf, sizeof(buf));
        if (n <= 0) {
            log_warn("Reading the full sync file %s failed", o->path);
            f->cl->flags |= CL_CLOSE_ASAP;
            g_rt.close_client(f->cl);
            return;
        }
        g_rt.client_push(f->cl, buf, (size_t)n);
        o->file_sent += n;
    }
}

static void
sync_sent(struct repl_feed *f, bool wait_ack)
{
    log_notice("Synchronization with replica %s:%d succeeded", f->rr ? f->rr->ip : "?", f->rr ? f->rr->port : 0);
    out_free(f->snap);
    f->snap = NULL;
    __atomic_store_n(&S.done, 1, __ATOMIC_RELEASE);
    f->state = wait_ack ? FEED_WAIT_ACK : FEED_ONLINE;
    if (f->rr) {
        pthread_mutex_lock(&g_repl.reg_lock);
        f->rr->state = wait_ack ? RR_WAIT_ACK : RR_ONLINE;
        pthread_mutex_unlock(&g_repl.reg_lock);
    }
}

void
repl_snap_feed(struct shard *sh, struct repl_feed *f)
{
    struct repl_snap_out *o = f->snap;
    struct conn *c = (struct conn *)f->cl;
    if (!o || o->inflight)
        return;
    if (o->file_done) {
        send_file(f, c);
        if (o->file_sent >= o->file_size)
            sync_sent(f, false);
        return;
    }
    if (o->cur == cmd_nworkers()) { /* EOF-marked, all out */
        sync_sent(f, true);
        return;
    }
    if (o->eof_mark && conn_out_used(c) >= REPL_FEED_HIGH)
        return;
    if (!o->header_done) {
        o->header_done = true;
        out_header(o, f->cl);
    }
    pull_next(o);
    (void)sh;
}

void
repl_snap_out_abort(struct repl_feed *f)
{
    struct repl_snap_out *o = f->snap;
    f->snap = NULL;
    if (o->inflight) { /* pull_done frees it and lets the rest go */
        o->orphan = true;
        return;
    }
    out_abandon(o);
    out_free(o);
}

bool
repl_snap_busy(struct shard *sh)
{
    if (!sh->snap || !sh->snap->aborted)
        return false;
    return !snap_drain(sh, SNAP_DRAIN_KEYS);
}
