/* repl_wait.c: WAIT, ROLE, INFO replication, and GETACK on a replica.
 *
 * WAIT's target is the stream offset after the calling client's writes.
 * Those writes ran (the dispatcher runs a keyless command only after the
 * connection's earlier ones), but their bytes may still sit in their
 * workers' stream buffers, not yet merged. So WAIT notes every worker's
 * appended-bytes counter; once the thread has merged that much of each,
 * the stream's end is the target (an upper bound of the client's own
 * offset: it may include other clients' writes of the same moment, never
 * miss one of its own). A transaction over several workers reaches the
 * stream as a unit (repl_unit.h): WAIT also notes how many units were
 * handed over and waits until those are in. */
#include "replication/repl_wait.h"

#include "core/cmd.h"
#include "core/config.h"
#include "core/log.h"
#include "core/reply.h"
#include "core/server.h"
#include "core/shard.h"
#include "replication/repl.h"
#include "replication/repl_feed.h"
#include "replication/repl_unit.h"

#include <stdio.h>
#include <unistd.h>

struct repl_wait {
    struct cmd_deferred *reply;
    long long want;
    int64_t deadline;          /* unix ms, 0: none */
    uint64_t appended[MAX_WORKERS];
    uint64_t units;            /* units handed over before it (repl_unit.h) */
    int64_t target;            /* -1 until the client's writes are merged */
    bool getack_sent;
    struct repl_wait *next;
};

static struct repl_wait *waits;    /* the thread's */
static uint64_t merged[MAX_WORKERS]; /* the thread's */
static int waits_pending;          /* atomic */

/* Per worker, its last batches: how far into its own bytes each ended and
 * where in the stream, so a WAIT's target is the end of the batch that
 * held its bytes, not the stream's end (which may hold a later GETACK). */
#define WAIT_MARKS 64
struct batch_mark {
    uint64_t local_end;
    int64_t global_end;
};
static struct batch_mark marks[MAX_WORKERS][WAIT_MARKS];
static unsigned nmarks[MAX_WORKERS];

void
repl_wait_merged(int w, size_t n)
{
    merged[w] += n;
    if (n == 0)
        return;
    struct batch_mark *m = &marks[w][nmarks[w]++ % WAIT_MARKS];
    m->local_end = merged[w];
    m->global_end = repl_buf_end(&g_repl.buf);
}

/* The stream offset by which worker w's first `upto` bytes are in: the
 * end of the batch holding byte upto (an upper bound when that batch is
 * older than the marks kept). */
static int64_t
offset_of(int w, uint64_t upto)
{
    if (upto == 0 || nmarks[w] == 0)
        return 0;
    unsigned n = nmarks[w] < WAIT_MARKS ? nmarks[w] : WAIT_MARKS;
    int64_t best = -1;
    for (unsigned i = 0; i < n; i++) {
        const struct batch_mark *m = &marks[w][(nmarks[w] - 1 - i) % WAIT_MARKS];
        if (m->local_end < upto)
            break;
        best = m->global_end;
    }
    return best >= 0 ? best : marks[w][(nmarks[w] - 1) % WAIT_MARKS].global_end;
}

static int
acked_at(int64_t target)
{
    int n = 0;
    pthread_mutex_lock(&g_repl.reg_lock);
    for (struct repl_replica *rr = g_repl.replicas; rr; rr = rr->next)
        if (rr->state == RR_ONLINE && __atomic_load_n(&rr->ack_off, __ATOMIC_ACQUIRE) >= target)
            n++;
    pthread_mutex_unlock(&g_repl.reg_lock);
    return n;
}

static bool
target_reached(struct repl_wait *w)
{
    if (!repl_unit_all_out(w->units))
        return false;
    for (int k = 0; k < g_repl.nworkers; k++) {
        uint64_t gone = merged[k] + __atomic_load_n(&g_shards[k]->fx.discarded, __ATOMIC_RELAXED);
        if (gone < w->appended[k])
            return false;
    }
    return true;
}

static void
wait_answer(struct repl_wait *w, int n)
{
    char line[32];
    int len = snprintf(line, sizeof(line), ":%d\r\n", n);
    cmd_deferred_reply(w->reply, line, (size_t)len, false);
}

void
repl_wait_step(int64_t now)
{
    bool need_getack = false;
    for (struct repl_wait **pp = &waits; *pp;) {
        struct repl_wait *w = *pp;
        if (w->target < 0 && target_reached(w)) {
            w->target = repl_unit_end_upto(w->units);
            for (int k = 0; k < g_repl.nworkers; k++)
                w->target = TS_MAX(w->target, offset_of(k, w->appended[k] - __atomic_load_n(&g_shards[k]->fx.discarded, __ATOMIC_RELAXED)));
        }
        int n = w->target >= 0 ? acked_at(w->target) : 0;
        if ((w->target >= 0 && n >= w->want) || (w->deadline && now >= w->deadline)) {
            wait_answer(w, n);
            *pp = w->next;
            ts_free(w);
            __atomic_sub_fetch(&waits_pending, 1, __ATOMIC_RELAXED);
            continue;
        }
        if (w->target >= 0 && !w->getack_sent) {
            w->getack_sent = true;
            need_getack = true;
        }
        pp = &w->next;
    }
    /* one GETACK for every WAIT of this round (counted in the offset); none
     * while a manual failover holds the offset still */
    if (need_getack && !__atomic_load_n(&g_repl.mf_paused, __ATOMIC_RELAXED)) {
        static const char getack[] = "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n";
        repl_feed_stream(getack, sizeof(getack) - 1);
        repl_wake_feeders();
    }
}

int
repl_wait_timeout_ms(int64_t now, int max)
{
    int t = max;
    for (struct repl_wait *w = waits; w; w = w->next) {
        if (w->target < 0)
            return 1; /* its writes are on their way: look again soon */
        if (w->deadline && w->deadline - now < t)
            t = (int)TS_MAX(w->deadline - now, 0);
    }
    return t;
}

void
repl_wait_ack_arrived(void)
{
    if (__atomic_load_n(&waits_pending, __ATOMIC_RELAXED) > 0 && __atomic_load_n(&g_repl.sleeping, __ATOMIC_SEQ_CST)) {
        uint64_t one = 1;
        ssize_t r = write(g_repl.efd, &one, sizeof(one));
        (void)r;
    }
}

static void
wait_add(void *arg)
{
    struct repl_wait *w = arg;
    w->next = waits;
    waits = w;
}

static void
wait_proc(struct cmd_ctx *c)
{
    long long want, timeout;
    if (!ts_str_to_ll(c->argv[1].ptr, c->argv[1].len, &want) ||
        !ts_str_to_ll(c->argv[2].ptr, c->argv[2].len, &timeout))
        return reply_error(c->r, "ERR value is not an integer or out of range");
    if (timeout < 0)
        return reply_error(c->r, "ERR timeout is negative");
    if (repl_is_replica())
        return reply_error(c->r, "ERR WAIT cannot be used with replica instances. Please also note that since Redis "
                                 "4.0 if a replica is configured to be writable (which is not the default) writes to "
                                 "replicas are just local and are not propagated.");
    if (c->in_exec || !g_repl.backlog_on) { /* in MULTI: answer now, as Redis */
        int64_t off = __atomic_load_n(&g_repl.offset, __ATOMIC_ACQUIRE);
        return reply_int(c->r, g_repl.backlog_on ? acked_at(off) : 0);
    }
    struct repl_wait *w = ts_calloc(1, sizeof(*w));
    w->want = want;
    w->deadline = timeout > 0 ? c->now_ms + timeout : 0;
    w->target = -1;
    for (int k = 0; k < g_repl.nworkers; k++)
        w->appended[k] = __atomic_load_n(&g_shards[k]->fx.appended, __ATOMIC_RELAXED);
    w->units = repl_unit_taken();
    w->reply = cmd_defer(c);
    __atomic_add_fetch(&waits_pending, 1, __ATOMIC_RELAXED);
    repl_run(wait_add, w);
}

/* ---- A replica answering its master ---- */

void
repl_answer_getack(struct cmd_ctx *c)
{
    if (c->cl)
        c->cl->reply_mode = (c->cl->flags & CL_MASTER) ? c->cl->reply_mode : REPLY_NONE_THIS;
    reply_ok(c->r);
    if (!c->cl || !(c->cl->flags & CL_MASTER))
        return;
    /* this GETACK is not counted yet: it is added once it has run. The
     * ACK leaves at the end of the loop turn: a master's commands answer
     * nothing, and bytes pushed while one runs would be dropped with its
     * reply. */
    repl_master_ack_later(c->sh, __atomic_load_n(&g_fx_applied, __ATOMIC_ACQUIRE));
}

/* ---- ROLE and INFO replication ---- */

static const char *
link_state_name(int st)
{
    static const char *names[] = {"none", "connect", "connecting", "handshake", "sync", "connected"};
    return st >= 0 && st <= REPL_LINK_CONNECTED ? names[st] : "none";
}

static void
role_proc(struct cmd_ctx *c)
{
    if (repl_is_replica()) {
        struct repl_link_info li;
        repl_link_info(&li);
        reply_array(c->r, 5);
        reply_bulk_cstr(c->r, "slave");
        reply_bulk_cstr(c->r, li.host);
        reply_int(c->r, li.port);
        reply_bulk_cstr(c->r, link_state_name(li.state));
        reply_int(c->r, li.state == REPL_LINK_CONNECTED ? repl_offset() : -1);
        return;
    }
    reply_array(c->r, 3);
    reply_bulk_cstr(c->r, "master");
    reply_int(c->r, repl_offset());
    pthread_mutex_lock(&g_repl.reg_lock);
    int n = 0;
    for (struct repl_replica *rr = g_repl.replicas; rr; rr = rr->next)
        n += rr->state == RR_ONLINE;
    reply_array(c->r, n);
    for (struct repl_replica *rr = g_repl.replicas; rr; rr = rr->next) {
        if (rr->state != RR_ONLINE)
            continue;
        reply_array(c->r, 3);
        reply_bulk_cstr(c->r, rr->ip);
        reply_bulk_ll(c->r, rr->port);
        reply_bulk_ll(c->r, __atomic_load_n(&rr->ack_off, __ATOMIC_RELAXED));
    }
    pthread_mutex_unlock(&g_repl.reg_lock);
}

static void
info_replicas(struct ts_buf *o)
{
    static const char *states[] = {"wait_bgsave", "send_bulk", "online", "online"};
    int64_t now = ts_mstime();
    pthread_mutex_lock(&g_repl.reg_lock);
    ts_buf_printf(o, "connected_slaves:%d\r\n", __atomic_load_n(&g_repl.nreplicas, __ATOMIC_RELAXED));
    if (__atomic_load_n(&g_cfg.min_replicas_to_write, __ATOMIC_RELAXED) > 0 &&
        __atomic_load_n(&g_cfg.min_replicas_max_lag, __ATOMIC_RELAXED) > 0)
        ts_buf_printf(o, "min_slaves_good_slaves:%d\r\n", __atomic_load_n(&g_repl_good_replicas, __ATOMIC_RELAXED));
    int i = 0;
    for (struct repl_replica *rr = g_repl.replicas; rr; rr = rr->next, i++)
        ts_buf_printf(o, "slave%d:ip=%s,port=%d,state=%s,offset=%lld,lag=%lld\r\n", i, rr->ip, rr->port,
                      states[rr->state], (long long)__atomic_load_n(&rr->ack_off, __ATOMIC_RELAXED),
                      (long long)((now - __atomic_load_n(&rr->ack_ms, __ATOMIC_RELAXED)) / 1000));
    pthread_mutex_unlock(&g_repl.reg_lock);
}

static void
info_replica_link(struct ts_buf *o)
{
    struct repl_link_info li;
    repl_link_info(&li);
    int64_t now = ts_mstime();
    bool up = li.state == REPL_LINK_CONNECTED;
    ts_buf_printf(o, "role:slave\r\nmaster_host:%s\r\nmaster_port:%d\r\nmaster_link_status:%s\r\n"
                     "master_last_io_seconds_ago:%lld\r\nmaster_sync_in_progress:%d\r\n",
                  li.host, li.port, up ? "up" : "down",
                  up ? (long long)((now - __atomic_load_n(&g_fx_master_io_ms, __ATOMIC_RELAXED)) / 1000)
                     : li.last_io_ms > 0 ? (long long)((now - li.last_io_ms) / 1000) : -1LL,
                  li.state == REPL_LINK_TRANSFER);
    int64_t off = repl_offset();
    ts_buf_printf(o, "slave_read_repl_offset:%lld\r\nslave_repl_offset:%lld\r\n", (long long)off, (long long)off);
    if (li.state == REPL_LINK_TRANSFER) {
        long long total = li.sync_total, read = li.sync_read;
        ts_buf_printf(o, "master_sync_total_bytes:%lld\r\nmaster_sync_read_bytes:%lld\r\nmaster_sync_left_bytes:%lld\r\n"
                         "master_sync_perc:%.2f\r\nmaster_sync_last_io_seconds_ago:%lld\r\n",
                      total, read, total > 0 ? total - read : -1LL, total > 0 ? 100.0 * (double)read / (double)total : 0.0,
                      (long long)((now - li.sync_last_io_ms) / 1000));
    }
    if (!up)
        ts_buf_printf(o, "master_link_down_since_seconds:%lld\r\n",
                      li.down_since_ms > 0 ? (long long)((now - li.down_since_ms) / 1000) : -1LL);
    ts_buf_printf(o, "slave_priority:%d\r\nslave_read_only:%d\r\nreplica_announced:%d\r\n",
                  __atomic_load_n(&g_cfg.replica_priority, __ATOMIC_RELAXED),
                  __atomic_load_n(&g_cfg.replica_read_only, __ATOMIC_RELAXED) ? 1 : 0,
                  __atomic_load_n(&g_cfg.replica_announced, __ATOMIC_RELAXED) ? 1 : 0);
}

static void
info_replication(struct ts_buf *o)
{
    if (repl_is_replica())
        info_replica_link(o);
    else
        ts_buf_printf(o, "role:master\r\n");
    info_replicas(o);
    pthread_mutex_lock(&g_repl.hist_lock);
    ts_buf_printf(o, "master_failover_state:no-failover\r\nmaster_replid:%s\r\nmaster_replid2:%s\r\n"
                     "master_repl_offset:%lld\r\nsecond_repl_offset:%lld\r\n",
                  g_repl.replid, g_repl.replid2, (long long)repl_offset(), (long long)g_repl.second_off);
    pthread_mutex_unlock(&g_repl.hist_lock);
    bool on = __atomic_load_n(&g_repl.backlog_on, __ATOMIC_ACQUIRE);
    int64_t end = on ? repl_buf_end(&g_repl.buf) : 0;
    int64_t start = on ? __atomic_load_n(&g_repl.buf.start, __ATOMIC_RELAXED) : 0;
    ts_buf_printf(o, "repl_backlog_active:%d\r\nrepl_backlog_size:%lld\r\nrepl_backlog_first_byte_offset:%lld\r\n"
                     "repl_backlog_histlen:%lld\r\n",
                  on, (long long)g_cfg.repl_backlog_size, on ? (long long)start + 1 : 0LL,
                  on ? (long long)(end - start) : 0LL);
}

static const struct cmd_def repl_wait_cmds[] = {
    {.name = "wait", .arity = 3, .flags = 0, .route = ROUTE_LOCAL, .proc = wait_proc, .acl = "slow connection",
     .group = "generic", .since = "3.0.0",
     .summary = "Blocks until the asynchronous replication of all preceding write commands sent by the connection "
                "is completed."},
    {.name = "role", .arity = 1, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST, .route = ROUTE_LOCAL,
     .proc = role_proc, .acl = "admin fast dangerous", .group = "server", .since = "2.8.12",
     .summary = "Returns the replication role."},
    {.name = NULL},
};

void
repl_wait_register(void)
{
    cmd_register_table(repl_wait_cmds);
    info_replication_hook = info_replication;
}
