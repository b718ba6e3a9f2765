/* repl_feed.c: the workers' side of the master (repl_feed.h): each loop
 * turn a worker hands its effects to the replication thread and copies the
 * stream to the replicas it owns; REPLCONF, PSYNC and SYNC. */
#include "replication/repl_feed.h"

#include "core/cmd.h"
#include "core/config.h"
#include "core/log.h"
#include "core/server.h"
#include "core/shard.h"
#include "net/net_int.h"
#include "net/runtime.h"
#include "replication/repl.h"
#include "replication/repl_snap.h"
#include "replication/repl_wait.h"

#include <stdio.h>
#include <stdlib.h>

/* Per worker, touched only by that worker. */
struct feed_worker {
    struct repl_feed *feeds;
    struct repl_batch *pending; /* a batch waiting for ring space: nothing newer goes before it */
    int nudged;                 /* atomic: a nudge is queued (repl_wake_feeders) */
};
static struct feed_worker fw[MAX_WORKERS];

/* ---- The stream out of the worker ---- */

static struct repl_batch *
take_stream(struct shard *sh, uint64_t cut)
{
    struct repl_batch *b = ts_calloc(1, sizeof(*b));
    b->data = sh->fx.stream.data;
    b->len = sh->fx.stream.len;
    b->cut = cut;
    b->marks = sh->fx.marks;
    b->nmarks = sh->fx.nmarks;
    sh->fx.stream = (struct ts_buf){0};
    sh->fx.marks = NULL;
    sh->fx.nmarks = sh->fx.capmarks = 0;
    sh->fx.flushes++;
    return b;
}

/* Hand the turn's effects over; a batch the full ring refused waits, and
 * later effects stay in the stream buffer behind it. */
static void
hand_over(struct shard *sh)
{
    struct feed_worker *f = &fw[sh->id];
    if (f->pending) {
        if (!repl_post_batch(sh->id, f->pending))
            return;
        f->pending = NULL;
    }
    if (sh->fx.stream.len == 0 && sh->fx.nmarks == 0)
        return;
    struct repl_batch *b = take_stream(sh, 0);
    if (!repl_post_batch(sh->id, b))
        f->pending = b;
}

/* The cut of full sync `cut` on this worker (repl_snap.c asked): what
 * was streamed so far goes before the sync's offset, the snapshot starts
 * now, with nothing in between. */
void
repl_feed_cut(struct shard *sh, uint64_t cut)
{
    struct feed_worker *f = &fw[sh->id];
    if (f->pending) { /* the cut batch must follow it: extend it instead */
        struct repl_batch *p = f->pending;
        p->data = ts_realloc(p->data, p->len + sh->fx.stream.len + 1);
        memcpy(p->data + p->len, sh->fx.stream.data ? sh->fx.stream.data : "", sh->fx.stream.len);
        if (sh->fx.nmarks) {
            p->marks = ts_realloc(p->marks, sizeof(*p->marks) * (p->nmarks + sh->fx.nmarks));
            for (uint32_t i = 0; i < sh->fx.nmarks; i++) {
                p->marks[p->nmarks + i] = sh->fx.marks[i];
                p->marks[p->nmarks + i].pos += p->len;
            }
            p->nmarks += sh->fx.nmarks;
            sh->fx.nmarks = 0;
        }
        p->len += sh->fx.stream.len;
        p->cut = cut;
        ts_buf_reset(&sh->fx.stream);
        sh->fx.flushes++;
    } else {
        struct repl_batch *b = take_stream(sh, cut);
        if (!repl_post_batch(sh->id, b))
            f->pending = b;
    }
    sh->fx.turn_hook = true;
}

/* ---- Feeding replicas ---- */

static void
feed_close(struct repl_feed *f, const char *why)
{
    log_warn("Client %s (replica) scheduled to be closed ASAP: %s", f->cl->addr, why);
    if (strstr(why, "output buffer limit"))
        g_shards[f->cl->worker]->stats.obuf_limit_disconnections++;
    f->cl->flags |= CL_CLOSE_ASAP;
    conn_close_client(f->cl);
}

/* client-output-buffer-limit replica: its output plus the stream it has
 * not taken yet, as Redis 7 counts the shared replication buffer. */
static bool
feed_over_limit(struct repl_feed *f, size_t out, int64_t now)
{
    long long hard = __atomic_load_n(&g_cfg.cobl[1][0], __ATOMIC_RELAXED);
    long long soft = __atomic_load_n(&g_cfg.cobl[1][1], __ATOMIC_RELAXED);
    long long secs = __atomic_load_n(&g_cfg.cobl[1][2], __ATOMIC_RELAXED);
    int64_t lag = f->rd.b ? repl_buf_end(&g_repl.buf) - repl_reader_offset(&f->rd) : 0;
    long long used = (long long)out + lag;
    if (hard > 0 && used >= hard) {
        feed_close(f, "over the hard replica output buffer limit");
        return true;
    }
    if (soft > 0 && used >= soft) {
        if (f->soft_since == 0)
            f->soft_since = now;
        else if (now - f->soft_since >= secs * 1000) {
            feed_close(f, "over the soft replica output buffer limit");
            return true;
        }
    } else {
        f->soft_since = 0;
    }
    return false;
}

/* Copy what the replica has not taken yet, while its output is small. */
static void
feed_stream(struct repl_feed *f, struct conn *c)
{
    size_t budget = REPL_FEED_TURN;
    while (budget > 0 && conn_out_used(c) < REPL_FEED_HIGH) {
        const char *p;
        size_t n = repl_reader_peek(&f->rd, &p, TS_MIN(budget, (size_t)64 * 1024));
        if (n == 0)
            break;
        g_rt.client_push(f->cl, p, n);
        repl_reader_advance(&f->rd, n);
        budget -= n;
    }
}

static void
feed_progress(struct shard *sh, struct repl_feed *f)
{
    struct conn *c = (struct conn *)f->cl;
    if (c->closing || (f->cl->flags & CL_CLOSE_ASAP))
        return;
    if (f->state == FEED_WAIT_REPLY && f->next_state < 0) {
        /* a full sync waiting for its turn (repl-diskless-sync-delay, or
         * another replica's sync): a bare "\n" each second keeps the
         * replica's read alive; it is not part of the stream (spec §4.2) */
        if (sh->now_ms - f->newline_ms >= 1000) {
            f->newline_ms = sh->now_ms;
            g_rt.client_push(f->cl, "\n", 1);
        }
        return;
    }
    if (f->state == FEED_WAIT_REPLY) {
        if (c->fifo_head != NULL) /* PSYNC's own reply first */
            return;
        f->state = f->next_state;
        if (f->rr) {
            pthread_mutex_lock(&g_repl.reg_lock);
            f->rr->state = f->state == FEED_SNAP ? RR_SEND_BULK : RR_ONLINE;
            pthread_mutex_unlock(&g_repl.reg_lock);
        }
    }
    if (f->state == FEED_SNAP)
        repl_snap_feed(sh, f);
    if (f->state == FEED_ONLINE)
        feed_stream(f, c);
    /* the output's own check may have closed it already (outlimit.c) */
    if (f->state != FEED_WAIT_REPLY && !(f->cl->flags & CL_CLOSE_ASAP) && !c->closing)
        feed_over_limit(f, conn_out_used(c), sh->now_ms);
}

void
repl_turn(struct shard *sh)
{
    hand_over(sh);
    if (sh->id == 0)
        repl_master_ack_flush();
    struct feed_worker *w = &fw[sh->id];
    __atomic_store_n(&w->nudged, 0, __ATOMIC_RELEASE);
    for (struct repl_feed *f = w->feeds; f; f = f->next)
        feed_progress(sh, f);
    sh->fx.turn_hook = w->feeds != NULL || w->pending != NULL || repl_snap_busy(sh);
}

static void
nudge(void *arg, int worker)
{
    (void)arg;
    g_shards[worker]->fx.turn_hook = true;
}

/* The stream grew: the workers with replicas look at it soon. */
void
repl_wake_feeders(void)
{
    for (int w = 0; w < g_repl.nworkers; w++) {
        if (__atomic_load_n(&g_repl.feeders[w], __ATOMIC_RELAXED) == 0)
            continue;
        if (__atomic_exchange_n(&fw[w].nudged, 1, __ATOMIC_ACQ_REL) == 0)
            runtime_post(w, nudge, NULL);
    }
}

void
repl_feed_start(int worker, struct repl_feed *f, uint64_t client_id)
{
    (void)client_id;
    struct feed_worker *w = &fw[worker];
    f->next = w->feeds;
    w->feeds = f;
    __atomic_add_fetch(&g_repl.feeders[worker], 1, __ATOMIC_RELAXED);
    g_shards[worker]->fx.turn_hook = true;
}

struct client *
repl_find_client(int worker, uint64_t id)
{
    for (struct client *cl = g_shards[worker]->clients; cl; cl = cl->next_in_worker)
        if (cl->id == id)
            return cl;
    return NULL;
}

/* The connection of a replica (or of one that sent REPLCONF) is closing. */
static void
client_closed(struct client *cl)
{
    if (cl->flags & CL_MASTER)
        repl_master_conn_closed(cl);
    struct repl_peer *p = cl->repl;
    cl->repl = NULL;
    struct repl_feed *f = p->feed;
    if (f) {
        struct feed_worker *w = &fw[cl->worker];
        for (struct repl_feed **pp = &w->feeds; *pp; pp = &(*pp)->next)
            if (*pp == f) {
                *pp = f->next;
                break;
            }
        __atomic_sub_fetch(&g_repl.feeders[cl->worker], 1, __ATOMIC_RELAXED);
        if (f->snap)
            repl_snap_out_abort(f);
        repl_reader_detach(&f->rd);
        if (f->rr) {
            log_notice("Connection with replica %s:%d lost.", f->rr->ip, f->rr->port);
            repl_replica_del(f->rr);
        }
        ts_free(f);
    }
    ts_free(p);
}

/* ---- The replica registry ---- */

struct repl_replica *
repl_replica_add(uint64_t id, int worker, const char *ip, int port, int state)
{
    struct repl_replica *rr = ts_calloc(1, sizeof(*rr));
    rr->id = id;
    rr->worker = worker;
    snprintf(rr->ip, sizeof(rr->ip), "%s", ip);
    rr->port = port;
    rr->state = state;
    rr->ack_ms = ts_mstime();
    pthread_mutex_lock(&g_repl.reg_lock);
    rr->next = g_repl.replicas;
    g_repl.replicas = rr;
    __atomic_add_fetch(&g_repl.nreplicas, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&g_repl.reg_lock);
    return rr;
}

void
repl_replica_del(struct repl_replica *rr)
{
    pthread_mutex_lock(&g_repl.reg_lock);
    for (struct repl_replica **pp = &g_repl.replicas; *pp; pp = &(*pp)->next)
        if (*pp == rr) {
            *pp = rr->next;
            break;
        }
    if (__atomic_sub_fetch(&g_repl.nreplicas, 1, __ATOMIC_RELAXED) == 0)
        g_repl.no_replicas_since = ts_mstime();
    pthread_mutex_unlock(&g_repl.reg_lock);
    ts_free(rr);
}

static void
kill_feeds(void *arg, int worker)
{
    (void)arg;
    for (struct repl_feed *f = fw[worker].feeds; f; f = f->next)
        feed_close(f, "the replication history changed");
}

void
repl_disconnect_replicas(void)
{
    for (int w = 0; w < g_repl.nworkers; w++)
        if (__atomic_load_n(&g_repl.feeders[w], __ATOMIC_RELAXED) > 0)
            runtime_post(w, kill_feeds, NULL);
}

static void
kill_silent(void *arg, int worker)
{
    int64_t now = ts_mstime(), limit = (int64_t)g_cfg.repl_timeout * 1000;
    for (struct repl_feed *f = fw[worker].feeds; f; f = f->next)
        if (f->state == FEED_ONLINE && f->rr && now - __atomic_load_n(&f->rr->ack_ms, __ATOMIC_RELAXED) > limit)
            feed_close(f, "timeout: no REPLCONF ACK for repl-timeout seconds");
    (void)arg;
}

void
repl_replicas_cron(int64_t now)
{
    static int64_t last;
    if (now - last < 1000)
        return;
    last = now;
    for (int w = 0; w < g_repl.nworkers; w++)
        if (__atomic_load_n(&g_repl.feeders[w], __ATOMIC_RELAXED) > 0)
            runtime_post(w, kill_silent, NULL);
}

/* ---- Switching the workers' streams ---- */

struct stream_switch {
    bool on, replica;
};

static void
stream_switch_apply(void *arg, int worker)
{
    struct stream_switch *s = arg;
    struct shard *sh = g_shards[worker];
    if (!s->on) {
        __atomic_store_n(&sh->fx.discarded, sh->fx.discarded + sh->fx.stream.len, __ATOMIC_RELAXED);
        ts_buf_reset(&sh->fx.stream);
        sh->fx.nmarks = 0;
    }
    sh->fx.stream_on = s->on;
    sh->fx.replica = s->replica;
    sh->fx.turn_hook = true;
}

void
repl_workers_stream(bool on, bool replica)
{
    static struct stream_switch modes[2][2] = {{{false, false}, {false, true}}, {{true, false}, {true, true}}};
    __atomic_store_n(&fx_stream_active, on ? 1 : 0, __ATOMIC_RELAXED);
    for (int w = 0; w < g_repl.nworkers; w++)
        runtime_post(w, stream_switch_apply, &modes[on][replica]);
}

void
repl_feed_setup(void)
{
    fx_turn_hook = repl_turn;
    repl_client_closed_hook = client_closed;
}
