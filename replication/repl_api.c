/* repl_api.c: the replica's end of the stream on worker 0 (repl_int.h:
 * repl_link_established), the periodic REPLCONF ACK, promotion and the
 * manual failover's pause (repl.h). */
#include "core/cmd.h"
#include "core/config.h"
#include "core/log.h"
#include "core/server.h"
#include "core/shard.h"
#include "net/net_int.h"
#include "net/runtime.h"
#include "replication/repl.h"
#include "replication/repl_feed.h"
#include "replication/repl_unit.h"
#include "replication/repl_wait.h"

#include <stdio.h>
#include <unistd.h>

void (*repl_link_lost_hook)(void);

/* Worker 0's client for our master (NULL: none); only worker 0 touches it. */
static struct client *master_cl;
static int64_t master_last_ack_ms;

int64_t
repl_applied_offset(void)
{
    return __atomic_load_n(&g_fx_applied, __ATOMIC_ACQUIRE);
}

struct adopt {
    int fd;
    int64_t offset;
    size_t npre;
    char pre[];
};

static void
adopt_on_worker(void *arg, int worker)
{
    struct adopt *a = arg;
    if (master_cl) { /* an older link: it goes */
        master_cl->flags |= CL_CLOSE_ASAP;
        g_rt.close_client(master_cl);
        master_cl = NULL;
    }
    __atomic_store_n(&g_fx_applied, a->offset, __ATOMIC_RELEASE);
    __atomic_store_n(&g_fx_master_io_ms, g_shards[worker]->now_ms, __ATOMIC_RELAXED);
    __atomic_store_n(&g_fx_link_up, 1, __ATOMIC_RELAXED);
    master_cl = conn_adopt(a->fd, CL_MASTER, a->pre, a->npre);
    /* the close hook fires for clients with cl->repl set */
    if (!master_cl->repl)
        master_cl->repl = ts_calloc(1, sizeof(*master_cl->repl));
    log_notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization or finished the full "
               "sync; streaming from offset %lld",
               (long long)a->offset);
    ts_free(a);
    (void)worker;
}

/* On the thread: our stream (backlog, own replicas) is the master's from
 * now on, then worker 0 takes the socket. */
static void
establish_on_thread(void *arg)
{
    struct adopt *a = arg;
    repl_backlog_create(false);
    repl_workers_stream(true, true);
    if (runtime_post(0, adopt_on_worker, a) < 0) {
        close(a->fd);
        ts_free(a);
    }
}

void
repl_link_established(int fd, int64_t offset, const void *pre, size_t npre)
{
    struct adopt *a = ts_malloc(sizeof(*a) + npre);
    a->fd = fd;
    a->offset = offset;
    a->npre = npre;
    if (npre)
        memcpy(a->pre, pre, npre);
    repl_run(establish_on_thread, a);
}

static void
enter_replica_on_thread(void *arg)
{
    (void)arg;
    repl_workers_stream(g_repl.backlog_on, true);
}

void
repl_enter_replica_mode(void)
{
    repl_run(enter_replica_on_thread, NULL);
}

/* Worker 0, when the master's connection closes. */
void
repl_master_conn_closed(struct client *cl)
{
    if (cl != master_cl)
        return;
    master_cl = NULL;
    __atomic_store_n(&g_fx_link_up, 0, __ATOMIC_RELAXED);
    log_notice("Connection with master lost.");
    if (repl_link_lost_hook)
        repl_link_lost_hook();
}

static void
drop_master_conn(void *arg, int worker)
{
    (void)arg;
    (void)worker;
    if (!master_cl)
        return;
    struct client *cl = master_cl;
    master_cl = NULL; /* no link-lost report: we are leaving it */
    __atomic_store_n(&g_fx_link_up, 0, __ATOMIC_RELAXED);
    cl->flags |= CL_CLOSE_ASAP;
    g_rt.close_client(cl);
}

static void
send_ack(int64_t offset)
{
    char off[24];
    int n = snprintf(off, sizeof(off), "%lld", (long long)offset);
    char line[96];
    int len = snprintf(line, sizeof(line), "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$%d\r\n%s\r\n", n, off);
    g_rt.client_push(master_cl, line, (size_t)len);
}

static int64_t ack_due = -1; /* a GETACK's answer, sent at the end of the turn (worker 0) */

void
repl_master_ack_later(struct shard *sh, int64_t offset)
{
    ack_due = offset;
    sh->fx.turn_hook = true;
}

void
repl_master_ack_flush(void)
{
    if (ack_due < 0)
        return;
    if (master_cl)
        send_ack(ack_due);
    ack_due = -1;
}

/* Worker 0's cron: a master silent for repl-timeout is dropped (the link
 * reconnects); REPLCONF ACK every second. */
void
repl_cron(int worker, int64_t now_ms)
{
    if (worker != 0 || !master_cl)
        return;
    int64_t io = __atomic_load_n(&g_fx_master_io_ms, __ATOMIC_RELAXED);
    if (now_ms - io > (int64_t)__atomic_load_n(&g_cfg.repl_timeout, __ATOMIC_RELAXED) * 1000) {
        log_warn("MASTER timeout: no data nor PING received...");
        master_cl->flags |= CL_CLOSE_ASAP;
        g_rt.close_client(master_cl); /* repl_master_conn_closed reports the link lost */
        return;
    }
    if (now_ms - master_last_ack_ms < 1000)
        return;
    master_last_ack_ms = now_ms;
    send_ack(repl_applied_offset());
}

/* ---- Promotion ---- */

void
repl_promote(void)
{
    repl_link_stop();
    runtime_post(0, drop_master_conn, NULL);
    repl_promote_history();
}

/* ---- Manual failover ---- */

static int64_t mf_end_ms;

void
repl_mf_pause_writes(int64_t pause_ms)
{
    int64_t now = ts_mstime(), end = now + pause_ms;
    int cur = __atomic_load_n(&g_pause.type, __ATOMIC_ACQUIRE);
    int64_t cur_end = __atomic_load_n(&g_pause.end_ms, __ATOMIC_RELAXED);
    int type = PAUSE_WRITE;
    if (cur != PAUSE_NONE && cur_end > now) {
        type = TS_MAX(type, cur);
        end = TS_MAX(end, cur_end);
    }
    mf_end_ms = end;
    __atomic_store_n(&g_repl.mf_paused, 1, __ATOMIC_RELAXED);
    __atomic_store_n(&g_pause.end_ms, end, __ATOMIC_RELAXED);
    __atomic_store_n(&g_pause.type, type, __ATOMIC_RELEASE);
}

void
repl_mf_unpause(void)
{
    __atomic_store_n(&g_repl.mf_paused, 0, __ATOMIC_RELAXED);
    /* only our own pause: a CLIENT PAUSE that outlasts it stays */
    if (__atomic_load_n(&g_pause.end_ms, __ATOMIC_RELAXED) == mf_end_ms) {
        __atomic_store_n(&g_pause.type, PAUSE_NONE, __ATOMIC_RELEASE);
        __atomic_store_n(&g_pause.end_ms, 0, __ATOMIC_RELAXED);
    }
}

bool
repl_mf_offset_settled(void)
{
    if (!repl_unit_settled())
        return false;
    for (int k = 0; k < g_repl.nworkers; k++) {
        struct shard *sh = g_shards[k];
        uint64_t app = __atomic_load_n(&sh->fx.appended, __ATOMIC_RELAXED);
        uint64_t gone = __atomic_load_n(&g_repl.merged_total[k], __ATOMIC_ACQUIRE) +
                        __atomic_load_n(&sh->fx.discarded, __ATOMIC_RELAXED);
        if (gone < app)
            return false;
    }
    return true;
}

void
repl_register_commands(void)
{
    repl_psync_register();
    repl_wait_register();
    repl_link_register_commands();
}
