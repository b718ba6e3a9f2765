/* repl_master.c: the replication thread (repl_master.h): merges the
 * workers' batches into the stream, keeps the history (replid, replid2,
 * offsets) and the backlog, answers PSYNC's question (partial or full),
 * pings the replicas, drives WAIT and runs the requests other threads post
 * to it. */
#include "replication/repl_master.h"

#include "core/cmd.h"
#include "core/config.h"
#include "core/log.h"
#include "core/server.h"
#include "core/shard.h"
#include "net/runtime.h"
#include "replication/repl.h"
#include "replication/repl_feed.h"
#include "replication/repl_snap.h"
#include "replication/repl_unit.h"
#include "replication/repl_wait.h"

#include <ck_ring.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

struct repl_master g_repl;

/* A request posted to the thread (repl_run). */
struct repl_req {
    void (*fn)(void *arg);
    void *arg;
    struct repl_req *next;
};

void
repl_random_id(char out[REPL_ID_LEN + 1])
{
    unsigned char b[REPL_ID_LEN / 2];
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b))
        for (size_t i = 0; i < sizeof(b); i++)
            b[i] = (unsigned char)(ts_ustime() >> (i % 8)) ^ (unsigned char)i;
    for (size_t i = 0; i < sizeof(b); i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

static void
repl_wake(void)
{
    if (__atomic_load_n(&g_repl.sleeping, __ATOMIC_SEQ_CST)) {
        uint64_t one = 1;
        ssize_t r = write(g_repl.efd, &one, sizeof(one));
        (void)r;
    }
}

void
repl_run(void (*fn)(void *arg), void *arg)
{
    struct repl_req *q = ts_malloc(sizeof(*q));
    q->fn = fn;
    q->arg = arg;
    q->next = NULL;
    pthread_mutex_lock(&g_repl.req_lock);
    if (g_repl.reqs_tail)
        g_repl.reqs_tail->next = q;
    else
        g_repl.reqs = q;
    g_repl.reqs_tail = q;
    pthread_mutex_unlock(&g_repl.req_lock);
    uint64_t one = 1;
    ssize_t r = write(g_repl.efd, &one, sizeof(one));
    (void)r;
}

static bool
run_requests(void)
{
    pthread_mutex_lock(&g_repl.req_lock);
    struct repl_req *q = g_repl.reqs;
    g_repl.reqs = g_repl.reqs_tail = NULL;
    pthread_mutex_unlock(&g_repl.req_lock);
    bool any = q != NULL;
    while (q) {
        struct repl_req *n = q->next;
        q->fn(q->arg);
        ts_free(q);
        q = n;
    }
    return any;
}

/* ---- History ---- */

void
repl_history_get(char replid[REPL_ID_LEN + 1], int64_t *offset)
{
    pthread_mutex_lock(&g_repl.hist_lock);
    memcpy(replid, g_repl.replid, REPL_ID_LEN + 1);
    *offset = __atomic_load_n(&g_repl.offset, __ATOMIC_ACQUIRE);
    pthread_mutex_unlock(&g_repl.hist_lock);
}

/* Both run on the thread: the buffer is its own. */
struct hist_change {
    char id[REPL_ID_LEN + 1];
    int64_t offset;
    bool reset;
};

static void
hist_apply(void *arg)
{
    struct hist_change *h = arg;
    pthread_mutex_lock(&g_repl.hist_lock);
    if (h->reset) {
        memcpy(g_repl.replid, h->id, REPL_ID_LEN + 1);
        memset(g_repl.replid2, '0', REPL_ID_LEN);
        g_repl.second_off = -1;
        __atomic_store_n(&g_repl.offset, h->offset, __ATOMIC_RELEASE);
    } else {
        memcpy(g_repl.replid2, g_repl.replid, REPL_ID_LEN + 1);
        g_repl.second_off = __atomic_load_n(&g_repl.offset, __ATOMIC_RELAXED) + 1;
        memcpy(g_repl.replid, h->id, REPL_ID_LEN + 1);
    }
    pthread_mutex_unlock(&g_repl.hist_lock);
    if (h->reset && g_repl.backlog_on) /* our own replicas may still read the old history */
        repl_buf_restart(&g_repl.buf, h->offset);
    if (h->reset)
        repl_unit_reset();
    log_notice("Replication history: replid %s, offset %lld%s", h->id, (long long)h->offset,
               h->reset ? " (full sync from the master)" : " (the master's new ID; ours is kept as replid2)");
    repl_disconnect_replicas();
    ts_free(h);
}

void
repl_history_reset(const char *replid, int64_t offset)
{
    struct hist_change *h = ts_calloc(1, sizeof(*h));
    snprintf(h->id, sizeof(h->id), "%s", replid);
    h->offset = offset;
    h->reset = true;
    repl_run(hist_apply, h);
}

void
repl_history_switch(const char *newid)
{
    struct hist_change *h = ts_calloc(1, sizeof(*h));
    snprintf(h->id, sizeof(h->id), "%s", newid);
    h->offset = __atomic_load_n(&g_repl.offset, __ATOMIC_ACQUIRE);
    repl_run(hist_apply, h);
}

/* Promotion (repl.h): replid2 = replid valid up to offset + 1, a new ID. */
static void
promote_apply(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_repl.hist_lock);
    memcpy(g_repl.replid2, g_repl.replid, REPL_ID_LEN + 1);
    g_repl.second_off = __atomic_load_n(&g_repl.offset, __ATOMIC_RELAXED) + 1;
    repl_random_id(g_repl.replid);
    pthread_mutex_unlock(&g_repl.hist_lock);
    log_notice("Setting secondary replication ID to %s, valid up to offset: %lld. New replication ID is %s",
               g_repl.replid2, (long long)g_repl.second_off, g_repl.replid);
    repl_disconnect_replicas();
    repl_workers_stream(true, false);
}

void
repl_promote_history(void)
{
    repl_run(promote_apply, NULL);
}

/* The stream is on from the first replica (or the first sync from a
 * master) on. A master that had none starts a new history, as Redis's
 * createReplicationBacklog with changeReplicationId. */
void
repl_backlog_create(bool new_replid)
{
    if (g_repl.backlog_on)
        return;
    int64_t off = __atomic_load_n(&g_repl.offset, __ATOMIC_ACQUIRE);
    repl_buf_init(&g_repl.buf, off);
    if (new_replid) {
        pthread_mutex_lock(&g_repl.hist_lock);
        repl_random_id(g_repl.replid);
        memset(g_repl.replid2, '0', REPL_ID_LEN);
        g_repl.second_off = -1;
        pthread_mutex_unlock(&g_repl.hist_lock);
    }
    __atomic_store_n(&g_repl.backlog_on, true, __ATOMIC_RELEASE);
}

/* repl-backlog-ttl: a master without replicas for that long drops its
 * backlog and its history (Redis 7.0: a new replid, replid2 cleared). */
static void
backlog_ttl_check(int64_t now)
{
    if (!g_repl.backlog_on || repl_is_replica() || g_repl.nreplicas > 0 || g_cfg.repl_backlog_ttl == 0)
        return;
    if (g_repl.no_replicas_since == 0 || now - g_repl.no_replicas_since < (int64_t)g_cfg.repl_backlog_ttl * 1000)
        return;
    log_notice("Replication backlog freed after %d seconds without connected replicas.", g_cfg.repl_backlog_ttl);
    repl_workers_stream(false, false);
    __atomic_store_n(&g_repl.backlog_on, false, __ATOMIC_RELEASE);
    repl_buf_reset(&g_repl.buf, __atomic_load_n(&g_repl.offset, __ATOMIC_ACQUIRE));
    pthread_mutex_lock(&g_repl.hist_lock);
    repl_random_id(g_repl.replid);
    memset(g_repl.replid2, '0', REPL_ID_LEN);
    g_repl.second_off = -1;
    pthread_mutex_unlock(&g_repl.hist_lock);
}

/* min-replicas-to-write / min-replicas-max-lag: replicas online whose
 * last ACK is at most max-lag seconds old are good (Redis's
 * refreshGoodSlavesCount); a master with fewer than asked refuses writes
 * (g_noreplicas, read by the dispatcher). Both 0: no check. */
int g_repl_good_replicas; /* atomic: for INFO */

void
repl_good_replicas_update(int64_t now)
{
    int want = __atomic_load_n(&g_cfg.min_replicas_to_write, __ATOMIC_RELAXED);
    int lag = __atomic_load_n(&g_cfg.min_replicas_max_lag, __ATOMIC_RELAXED);
    int good = 0;
    pthread_mutex_lock(&g_repl.reg_lock);
    for (struct repl_replica *rr = g_repl.replicas; rr; rr = rr->next)
        if (rr->state == RR_ONLINE && (now - __atomic_load_n(&rr->ack_ms, __ATOMIC_RELAXED)) / 1000 <= lag)
            good++;
    pthread_mutex_unlock(&g_repl.reg_lock);
    __atomic_store_n(&g_repl_good_replicas, good, __ATOMIC_RELAXED);
    bool refuse = want > 0 && lag > 0 && good < want && !repl_is_replica();
    __atomic_store_n(&g_noreplicas, refuse ? 1 : 0, __ATOMIC_RELAXED);
}

static void
min_replicas_changed(void)
{
    repl_good_replicas_update(ts_mstime());
}

/* ---- Merging ---- */

/* Bytes the thread put in the stream itself (pings, GETACK). */
void
repl_feed_stream(const void *p, size_t n)
{
    if (!g_repl.backlog_on)
        return;
    repl_buf_append(&g_repl.buf, p, n);
    __atomic_store_n(&g_repl.offset, repl_buf_end(&g_repl.buf), __ATOMIC_RELEASE);
}

/* Per worker, the batch being merged: held at a RELEASED mark whose unit
 * is not in the stream yet (repl_unit.h). The thread's own. */
static struct merge_cursor {
    struct repl_batch *b;
    size_t pos;
    uint32_t mi;
} cursors[MAX_WORKERS];

static bool
merge_bytes(int w, const char *p, size_t n)
{
    bool any = false;
    if (n > 0 && g_repl.backlog_on) {
        repl_buf_append(&g_repl.buf, p, n);
        /* now, not at the end of the round: a cut completed by this
         * batch takes the offset as its sync's */
        __atomic_store_n(&g_repl.offset, repl_buf_end(&g_repl.buf), __ATOMIC_RELEASE);
        any = true;
    }
    repl_wait_merged(w, n);
    __atomic_add_fetch(&g_repl.merged_total[w], n, __ATOMIC_RELEASE);
    return any;
}

/* Merge the rest of worker w's current batch, mark by mark: false when
 * held at a mark. */
static bool
merge_cursor(int w, bool *any)
{
    struct merge_cursor *c = &cursors[w];
    struct repl_batch *b = c->b;
    for (; c->mi < b->nmarks; c->mi++) {
        const struct fx_mark *m = &b->marks[c->mi];
        *any |= merge_bytes(w, b->data + c->pos, m->pos - c->pos);
        c->pos = m->pos;
        if (m->kind == FX_MARK_QUEUED)
            repl_unit_queued(w, m->id);
        else if (!repl_unit_out(m->id))
            return false;
    }
    *any |= merge_bytes(w, b->data + c->pos, b->len - c->pos);
    if (b->cut)
        repl_snap_worker_cut(w, b->cut);
    ts_free(b->data);
    ts_free(b->marks);
    ts_free(b);
    c->b = NULL;
    return true;
}

/* Whether worker w has a batch the thread may take now. */
static bool
merge_ready(int w)
{
    return cursors[w].b == NULL && !repl_snap_worker_at_cut(w) && ck_ring_size(&g_repl.rings[w].ring) > 0;
}

/* Take every worker's batches, in each worker's order, and the units that
 * may go between them; a worker whose cut of a pending full sync came
 * stays there until every worker's has (repl_snap.c decides), one at a
 * unit's RELEASED mark until the unit is in. Returns whether anything
 * went into the stream. */
static bool
merge_batches(void)
{
    bool any = false, progress = true;
    while (progress) {
        progress = false;
        for (int w = 0; w < g_repl.nworkers; w++) {
            struct repl_wring *r = &g_repl.rings[w];
            for (;;) {
                struct merge_cursor *c = &cursors[w];
                if (c->b == NULL) {
                    if (repl_snap_worker_at_cut(w) || !ck_ring_dequeue_spsc(&r->ring, r->buf, &c->b))
                        break;
                    c->pos = 0;
                    c->mi = 0;
                }
                if (!merge_cursor(w, &any))
                    break;
                progress = true;
            }
        }
        if (repl_unit_emit())
            progress = any = true;
    }
    return any;
}

bool
repl_post_batch(int worker, struct repl_batch *b)
{
    struct repl_wring *r = &g_repl.rings[worker];
    if (!ck_ring_enqueue_spsc(&r->ring, r->buf, b))
        return false;
    repl_wake();
    return true;
}

/* repl-ping-replica-period: a ping into the stream, so replicas see their
 * master alive (not during a manual failover: the offset must hold). */
static void
ping_replicas(int64_t now)
{
    if (!g_repl.backlog_on || repl_is_replica() || g_repl.nreplicas == 0)
        return;
    if (now - g_repl.last_ping_ms < (int64_t)g_cfg.repl_ping_replica_period * 1000)
        return;
    g_repl.last_ping_ms = now;
    if (__atomic_load_n(&g_repl.mf_paused, __ATOMIC_RELAXED))
        return;
    static const char ping[] = "*1\r\n$4\r\nping\r\n";
    repl_feed_stream(ping, sizeof(ping) - 1);
}

static void *
repl_main(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "tessera-repl");
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    int64_t last_cron = 0;
    while (!__atomic_load_n(&g_repl.stop, __ATOMIC_ACQUIRE)) {
        bool busy = run_requests();
        busy |= merge_batches();
        int64_t now = ts_mstime();
        busy |= repl_snap_step(now);
        if (g_repl.backlog_on) {
            repl_buf_trim(&g_repl.buf, (size_t)g_cfg.repl_backlog_size);
            __atomic_store_n(&g_repl_backlog_mem, g_repl.buf.mem, __ATOMIC_RELAXED);
        }
        repl_wait_step(now);
        if (busy)
            repl_wake_feeders();
        if (now - last_cron >= 100) {
            last_cron = now;
            ping_replicas(now);
            backlog_ttl_check(now);
            repl_good_replicas_update(now);
            repl_replicas_cron(now);
        }
        if (busy)
            continue;
        __atomic_store_n(&g_repl.sleeping, 1, __ATOMIC_SEQ_CST);
        bool pending = repl_unit_inbox_pending();
        for (int w = 0; w < g_repl.nworkers && !pending; w++)
            pending = merge_ready(w);
        if (!pending) {
            struct pollfd pfd = {.fd = g_repl.efd, .events = POLLIN};
            int timeout = repl_wait_timeout_ms(now, 100);
            if (poll(&pfd, 1, timeout) > 0) {
                uint64_t v;
                ssize_t r = read(g_repl.efd, &v, sizeof(v));
                (void)r;
            }
        }
        __atomic_store_n(&g_repl.sleeping, 0, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

int64_t
repl_offset(void)
{
    if (repl_is_replica())
        return repl_applied_offset();
    return __atomic_load_n(&g_repl.offset, __ATOMIC_ACQUIRE);
}

int
repl_setup(void)
{
    g_repl.nworkers = cmd_nworkers();
    g_repl.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (g_repl.efd < 0)
        return -errno;
    pthread_mutex_init(&g_repl.hist_lock, NULL);
    pthread_mutex_init(&g_repl.reg_lock, NULL);
    pthread_mutex_init(&g_repl.req_lock, NULL);
    repl_random_id(g_repl.replid);
    memset(g_repl.replid2, '0', REPL_ID_LEN);
    g_repl.second_off = -1;
    g_repl.no_replicas_since = ts_mstime();
    for (int w = 0; w < g_repl.nworkers; w++) {
        g_repl.rings[w].buf = ts_calloc(REPL_WORKER_RING, sizeof(ck_ring_buffer_t));
        ck_ring_init(&g_repl.rings[w].ring, REPL_WORKER_RING);
    }
    repl_feed_setup();
    repl_unit_setup();
    return 0;
}

int
repl_start(void)
{
    repl_good_replicas_update(ts_mstime()); /* before the first client: min-replicas-to-write from the start */
    config_min_replicas_hook = min_replicas_changed;
    int rc = pthread_create(&g_repl.thread, NULL, repl_main, NULL);
    if (rc != 0)
        return -rc;
    g_repl.running = true;
    return 0;
}

void
repl_stop(void)
{
    if (!g_repl.running)
        return;
    __atomic_store_n(&g_repl.stop, 1, __ATOMIC_RELEASE);
    uint64_t one = 1;
    ssize_t r = write(g_repl.efd, &one, sizeof(one));
    (void)r;
    pthread_join(g_repl.thread, NULL);
    g_repl.running = false;
}
