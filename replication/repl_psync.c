/* repl_psync.c: the commands a replica sends its master: REPLCONF, PSYNC
 * and SYNC (spec/replication.md §4, §7), and the thread's answer to a
 * PSYNC: continue from the backlog, or a full sync. */
#include "core/cmd.h"
#include "core/config.h"
#include "core/log.h"
#include "core/reply.h"
#include "core/server.h"
#include "core/shard.h"
#include "net/net_int.h"
#include "net/runtime.h"
#include "replication/repl.h"
#include "replication/repl_feed.h"
#include "replication/repl_snap.h"
#include "replication/repl_wait.h"

#include <stdio.h>
#include <stdlib.h>

static struct repl_peer *
peer_of(struct client *cl)
{
    if (!cl->repl)
        cl->repl = ts_calloc(1, sizeof(*cl->repl));
    return cl->repl;
}

/* ---- REPLCONF ---- */

static bool
parse_ll(struct sv s, long long *v)
{
    return ts_str_to_ll(s.ptr, s.len, v);
}

/* REPLCONF ACK <offset> [FACK <offset>] from a replica: no reply. */
static void
replconf_ack(struct cmd_ctx *c, struct sv off)
{
    c->cl->reply_mode = REPLY_NONE_THIS;
    reply_ok(c->r);
    struct repl_peer *p = c->cl->repl;
    long long v;
    if (!p || !p->feed || !p->feed->rr || !parse_ll(off, &v))
        return;
    struct repl_feed *f = p->feed;
    if (v > __atomic_load_n(&f->rr->ack_off, __ATOMIC_RELAXED))
        __atomic_store_n(&f->rr->ack_off, v, __ATOMIC_RELEASE);
    __atomic_store_n(&f->rr->ack_ms, c->now_ms, __ATOMIC_RELAXED);
    if (f->state == FEED_WAIT_ACK) { /* the first ACK after an EOF-marked RDB starts the stream */
        f->state = FEED_ONLINE;
        pthread_mutex_lock(&g_repl.reg_lock);
        f->rr->state = RR_ONLINE;
        pthread_mutex_unlock(&g_repl.reg_lock);
        c->sh->fx.turn_hook = true;
    }
    repl_wait_ack_arrived();
}

static void
replconf_proc(struct cmd_ctx *c)
{
    if (c->argc % 2 == 0) {
        reply_error(c->r, ERR_SYNTAX);
        return;
    }
    struct client *cl = c->cl;
    for (int i = 1; i < c->argc; i += 2) {
        struct sv opt = c->argv[i], val = c->argv[i + 1];
        long long v;
        if (sv_eq_ci(opt, "ack")) {
            replconf_ack(c, val);
            return;
        } else if (sv_eq_ci(opt, "getack")) {
            repl_answer_getack(c);
            return;
        } else if (sv_eq_ci(opt, "listening-port")) {
            if (!parse_ll(val, &v) || v < 0 || v > 65535) {
                reply_error(c->r, "ERR value is out of range");
                return;
            }
            peer_of(cl)->port = (int)v;
        } else if (sv_eq_ci(opt, "ip-address")) {
            if (val.len >= sizeof(peer_of(cl)->ip)) {
                reply_errorf(c->r, "ERR REPLCONF ip-address provided by replica instance is too long: %zu bytes",
                             val.len);
                return;
            }
            snprintf(peer_of(cl)->ip, sizeof(peer_of(cl)->ip), "%.*s", (int)val.len, val.ptr);
        } else if (sv_eq_ci(opt, "capa")) {
            if (sv_eq_ci(val, "eof"))
                peer_of(cl)->capa_eof = true;
            else if (sv_eq_ci(val, "psync2"))
                peer_of(cl)->capa_psync2 = true;
        } else if (sv_eq_ci(opt, "rdb-only")) {
            if (!parse_ll(val, &v) || (v != 0 && v != 1)) {
                reply_error(c->r, "ERR value is out of range");
                return;
            }
            peer_of(cl)->rdb_only = v == 1;
        } else if (sv_eq_ci(opt, "rdb-filter-only")) {
            if (val.len != 0) { /* only "functions" exists, and Tessera has none */
                reply_error(c->r, "ERR filtered RDB transfers are not supported by Tessera yet (no functions)");
                return;
            }
        } else if (sv_eq_ci(opt, "version")) {
            /* a Valkey 8 replica's: known and harmless (spec §7) */
        } else {
            reply_errorf(c->r, "ERR Unrecognized REPLCONF option: %.*s", (int)opt.len, opt.ptr);
            return;
        }
    }
    reply_ok(c->r);
}

/* ---- PSYNC / SYNC ---- */

struct feed_decision {
    struct repl_sync_req *q;
    struct repl_reader rd;
};

static void
partial_on_worker(void *arg, int worker)
{
    struct feed_decision *d = arg;
    struct client *cl = repl_find_client(worker, d->q->client_id);
    struct repl_feed *f = cl && cl->repl ? cl->repl->feed : NULL;
    if (!f) {
        repl_reader_detach(&d->rd);
    } else {
        f->rd = d->rd;
        f->state = FEED_WAIT_REPLY;
        f->next_state = FEED_ONLINE;
        g_shards[worker]->fx.turn_hook = true;
    }
    ts_free(d->q);
    ts_free(d);
}

/* spec §4.1: our history, and the backlog holding the first byte wanted. */
static bool
can_continue(const struct repl_sync_req *q)
{
    if (!g_repl.backlog_on || q->offset < 0)
        return false;
    pthread_mutex_lock(&g_repl.hist_lock);
    bool ours = strcmp(q->replid, g_repl.replid) == 0 ||
                (strcmp(q->replid, g_repl.replid2) == 0 && q->offset <= g_repl.second_off);
    pthread_mutex_unlock(&g_repl.hist_lock);
    int64_t first = g_repl.buf.start + 1, end = repl_buf_end(&g_repl.buf);
    return ours && q->offset >= first && q->offset <= end + 1;
}

/* On the thread. */
static void
sync_decide(void *arg)
{
    struct repl_sync_req *q = arg;
    if (!q->plain_sync && can_continue(q)) {
        struct feed_decision *d = ts_calloc(1, sizeof(*d));
        d->q = q;
        repl_buf_attach(&g_repl.buf, q->offset - 1, &d->rd);
        __atomic_add_fetch(&g_sync_stats.partial_ok, 1, __ATOMIC_RELAXED);
        char line[64];
        int n = q->capa_psync2 ? snprintf(line, sizeof(line), "+CONTINUE %s\r\n", g_repl.replid)
                               : snprintf(line, sizeof(line), "+CONTINUE\r\n");
        log_notice("Partial resynchronization request from %s:%d accepted. Sending %lld bytes of backlog "
                   "starting from offset %lld.",
                   q->ip, q->port, (long long)(repl_buf_end(&g_repl.buf) - q->offset + 1), (long long)q->offset);
        cmd_deferred_reply(q->reply, line, (size_t)n, false);
        if (runtime_post(q->worker, partial_on_worker, d) < 0) {
            repl_reader_detach(&d->rd);
            ts_free(d);
            ts_free(q);
        }
        return;
    }
    if (!q->plain_sync && strcmp(q->replid, "?") != 0) {
        __atomic_add_fetch(&g_sync_stats.partial_err, 1, __ATOMIC_RELAXED);
        log_notice("Partial resynchronization not accepted: replid %s offset %lld is not in our history",
                   q->replid, (long long)q->offset);
    }
    __atomic_add_fetch(&g_sync_stats.full, 1, __ATOMIC_RELAXED);
    if (!g_repl.backlog_on) {
        repl_backlog_create(!repl_is_replica());
        repl_workers_stream(true, repl_is_replica());
    }
    repl_snap_enqueue(q);
}

static void
sync_common(struct cmd_ctx *c, bool plain, struct sv replid, long long offset)
{
    struct client *cl = c->cl;
    if (cl->flags & CL_REPLICA)
        return reply_error(c->r, "ERR SYNC and PSYNC are invalid for a client that is already a replica");
    if (repl_is_replica() && !repl_link_up())
        return reply_error(c->r, "NOMASTERLINK Can't SYNC while not connected with my master");
    struct conn *conn = (struct conn *)cl;
    if (conn->fifo_head != NULL && conn->pending > 1)
        return reply_error(c->r, "ERR SYNC and PSYNC are invalid with pending output");
    struct repl_peer *p = peer_of(cl);
    struct repl_sync_req *q = ts_calloc(1, sizeof(*q));
    q->worker = c->sh->id;
    q->client_id = cl->id;
    snprintf(q->replid, sizeof(q->replid), "%.*s", (int)TS_MIN(replid.len, (size_t)REPL_ID_LEN), replid.ptr);
    q->offset = offset;
    q->plain_sync = plain;
    q->capa_eof = p->capa_eof;
    q->capa_psync2 = p->capa_psync2;
    q->port = p->port;
    if (p->ip[0]) {
        snprintf(q->ip, sizeof(q->ip), "%s", p->ip);
    } else {
        snprintf(q->ip, sizeof(q->ip), "%s", cl->addr);
        char *colon = strrchr(q->ip, ':');
        if (colon)
            *colon = '\0';
    }
    struct repl_feed *f = ts_calloc(1, sizeof(*f));
    f->cl = cl;
    f->state = FEED_WAIT_REPLY;
    f->next_state = -1; /* the thread decides */
    f->newline_ms = c->now_ms;
    p->feed = f;
    f->rr = repl_replica_add(cl->id, q->worker, q->ip, q->port, RR_WAIT_BGSAVE);
    cl->flags |= CL_REPLICA;
    repl_feed_start(q->worker, f, cl->id);
    q->reply = cmd_defer(c);
    repl_run(sync_decide, q);
}

static void
psync_proc(struct cmd_ctx *c)
{
    long long off;
    if (!parse_ll(c->argv[2], &off))
        off = -1;
    sync_common(c, false, c->argv[1], off);
}

static void
sync_proc(struct cmd_ctx *c)
{
    sync_common(c, true, (struct sv){"?", 1}, -1);
}

static const struct cmd_def repl_master_cmds[] = {
    {.name = "replconf", .arity = -1, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_ALLOW_BUSY,
     .route = ROUTE_LOCAL, .proc = replconf_proc, .acl = "admin slow dangerous", .group = "server", .since = "3.0.0",
     .summary = "An internal command for configuring the replication stream."},
    {.name = "psync", .arity = -3, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_MULTI,
     .route = ROUTE_LOCAL, .proc = psync_proc, .acl = "admin slow dangerous", .group = "server", .since = "2.8.0",
     .summary = "An internal command used in replication."},
    {.name = "sync", .arity = 1, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_NO_MULTI, .route = ROUTE_LOCAL,
     .proc = sync_proc, .acl = "admin slow dangerous", .group = "server", .since = "1.0.0",
     .summary = "An internal command used in replication."},
    {.name = NULL},
};

void
repl_psync_register(void)
{
    cmd_register_table(repl_master_cmds);
}
