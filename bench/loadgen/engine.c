/* engine.c: a loadgen thread's io_uring loop: connections, requests,
 * replies, redirects, reconnects (engine.h).
 *
 * One iteration of the loop:
 *
 *   reap CQEs (connect / send / recv done) -> replies: record latency,
 *     follow MOVED / ASK, free in-flight slots
 *   timers: progress epoch, reconnects, cluster map refresh
 *   issue: closed loop fills every client up to P in flight; open loop
 *     issues what is due (start = scheduled time)
 *   flush: one send per connection with everything queued
 *   io_uring_submit_and_wait_timeout (one syscall for all of it)
 *
 * Timestamps are taken once per iteration: every reply reaped in it gets
 * the same receive time and every request issued in it the same start. */
#include "bench/loadgen/engine_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LG_MAX_REDIRECTS 5
#define LG_MAX_WAIT_NS 50000000ull /* wake at least every 50 ms (epochs) */

/* ---- Issuing requests ---- */

static inline bool
can_issue(const struct lg_thread *t)
{
    return !t->stopping && (t->quota == 0 || t->issued < t->quota);
}

/* One new request from the mix, sent to the owner of its key. */
static void
issue(struct lg_thread *t, struct lg_client *cl, uint64_t start, uint64_t now)
{
    const struct lg_opts *o = t->o;
    const struct lg_cmdgen *g = &o->gen;
    unsigned ti = g->cycle[t->cycle_pos];
    if (++t->cycle_pos == g->ncycle)
        t->cycle_pos = 0;
    const struct lg_tmpl *tm = &g->tmpl[ti];
    struct lg_req r = {.start = start, .tmpl = (uint8_t)ti, .vlen = g->vmin};
    if (g->vmax > g->vmin)
        r.vlen = g->vmin + (uint32_t)lg_rng_below(&t->vrng, (uint64_t)(g->vmax - g->vmin) + 1);
    char kbuf[LG_MAX_KEY];
    const char *key = NULL;
    if (tm->has_key) {
        r.key = lg_keygen_next(&t->kg);
        lg_key_render(g, r.key, kbuf);
        key = kbuf;
    }
    int node = 0;
    if (o->cluster) {
        node = LG_NO_NODE;
        if (key)
            node = lg_cmap_key_node(&t->map, key, g->key_len);
        if (node == LG_NO_NODE) { /* keyless, or an unowned slot: any master */
            for (int i = 0; i < t->map.nnodes; i++) {
                int n = (int)((cl->rr + (unsigned)i) % (unsigned)t->map.nnodes);
                if (t->map.nodes[n].has_slots) {
                    node = n;
                    break;
                }
            }
            cl->rr++;
            if (node == LG_NO_NODE)
                node = 0;
        }
    }
    lg_conn_enqueue(lg_conn_get(t, cl, node, now), &r, false, key);
    cl->inflight++;
    t->inflight++;
    t->issued++;
}

static uint64_t
issue_all(struct lg_thread *t, uint64_t now)
{
    uint64_t wake = UINT64_MAX;
    unsigned p = (unsigned)t->o->pipeline;
    for (int i = 0; i < t->nclients && can_issue(t); i++) {
        struct lg_client *cl = &t->clients[i];
        if (t->interval_ns == 0) {
            while (cl->inflight < p && can_issue(t))
                issue(t, cl, now, now);
            continue;
        }
        while (cl->next_due <= now && cl->inflight < p && can_issue(t)) {
            issue(t, cl, cl->next_due, now);
            cl->next_due += t->interval_ns;
        }
        if (cl->inflight < p && cl->next_due < wake)
            wake = cl->next_due;
    }
    return wake;
}

/* ---- Replies ---- */

/* One complete reply on c: pop its request; follow a redirect, or record
 * its latency (errors too, as redis-benchmark does) and free its slot.
 * False when the connection failed. */
bool
lg_reply_done(struct lg_conn *c, const struct lg_reply *rep, uint64_t now)
{
    struct lg_thread *t = c->t;
    if (lg_fifo_len(&c->fifo) == 0) {
        lg_errtab_add(&t->errs, "protocol", 8, "reply without a request", 23, 1);
        lg_conn_fail(c, -EPROTO, now);
        return false;
    }
    struct lg_req r = c->fifo.a[c->fifo.head++ & c->fifo.mask];
    if (r.tmpl == LG_TMPL_ASKING)
        return true; /* +OK of ASKING; the command's own reply follows */
    if (rep->type == '-') {
        struct lg_redirect rd;
        enum lg_redirect_kind k = LG_REDIR_NONE;
        if (t->o->cluster && r.redirects < LG_MAX_REDIRECTS)
            k = lg_parse_redirect(rep->line, rep->line_len, &rd);
        if (k != LG_REDIR_NONE) {
            int node;
            if (k == LG_REDIR_MOVED) {
                node = lg_cmap_apply_moved(&t->map, &rd);
                t->moved++;
                t->refresh_wanted = true;
            } else {
                node = lg_cmap_node(&t->map, rd.host, strlen(rd.host), rd.port);
                t->ask++;
            }
            if (node >= 0) {
                r.redirects++;
                lg_conn_enqueue(lg_conn_get(t, c->cl, node, now), &r, k == LG_REDIR_ASK, NULL);
                return true;
            }
        }
        if (t->o->cluster && rep->line_len >= 11 && memcmp(rep->line, "CLUSTERDOWN", 11) == 0)
            t->refresh_wanted = true;
        lg_errtab_add_line(&t->errs, rep->line, rep->line_len);
    }
    uint64_t lat = now > r.start ? now - r.start : 0;
    lg_hist_record(t->tot[r.tmpl], lat);
    lg_hist_record(t->iv[t->cur], lat);
    c->cl->inflight--;
    t->inflight--;
    t->completed++;
    t->t_last = now;
    return true;
}

/* Reap what is ready, then wait up to wait_ns for more (submitting first). */
static void
ring_turn(struct lg_thread *t, uint64_t wait_ns)
{
    struct __kernel_timespec ts = {.tv_sec = (long long)(wait_ns / 1000000000ull),
                                   .tv_nsec = (long long)(wait_ns % 1000000000ull)};
    struct io_uring_cqe *cqe;
    if (wait_ns == 0)
        io_uring_submit_and_get_events(&t->ring); /* DEFER_TASKRUN: runs completions */
    else
        io_uring_submit_and_wait_timeout(&t->ring, &cqe, 1, &ts, NULL);
    uint64_t now = lg_now_ns();
    unsigned head, n = 0;
    io_uring_for_each_cqe(&t->ring, head, cqe)
    {
        lg_conn_handle_cqe(t, cqe, now);
        n++;
    }
    io_uring_cq_advance(&t->ring, n);
}

/* ---- Cluster map refresh ---- */

/* Ask a master (then the seed) for CLUSTER SLOTS, at most every
 * refresh_ms; then stop reconnecting to nodes that own nothing, dropping
 * what waited for them. Blocking, as cluster clients' refreshes are: on
 * loopback it costs well under a millisecond. */
static void
refresh_map(struct lg_thread *t, uint64_t now)
{
    const struct lg_opts *o = t->o;
    char err[200];
    int ret = -ENOENT, tries = 0;
    t->last_refresh = now;
    for (int i = 0; i < t->map.nnodes && ret < 0 && tries < 3; i++) {
        if (!t->map.nodes[i].has_slots)
            continue;
        tries++;
        ret = lg_cmap_fetch(&t->map, t->map.nodes[i].host, t->map.nodes[i].port, 250, err, sizeof(err));
    }
    if (ret < 0)
        ret = lg_cmap_fetch(&t->map, o->host, o->port, 250, err, sizeof(err));
    if (ret < 0)
        return; /* try again after refresh_ms */
    t->refresh_wanted = false;
    t->refreshes++;
    for (int i = 0; i < t->nconns; i++) {
        struct lg_conn *c = t->conns[i];
        if (c->state != CS_BACKOFF || t->map.nodes[c->node].has_slots)
            continue;
        lg_conn_drop_queued(c);
        c->out[0].len = c->out[1].len = 0;
        c->state = CS_RETIRED;
        t->nbackoff--;
    }
}

/* ---- Thread ---- */

struct lg_thread *
lg_thread_create(struct lg_run *run, int id)
{
    const struct lg_opts *o = run->o;
    struct lg_thread *t = lg_xrealloc(NULL, sizeof(*t));
    memset(t, 0, sizeof(*t));
    t->id = id;
    t->run = run;
    t->o = o;
    t->nclients = o->conns;
    t->clients = lg_xrealloc(NULL, (size_t)o->conns * sizeof(*t->clients));
    memset(t->clients, 0, (size_t)o->conns * sizeof(*t->clients));
    if (o->cluster)
        t->map = *run->map0;
    uint64_t T = (uint64_t)o->threads;
    lg_keygen_init(&t->kg, &o->dist, o->seed * 1000003u + (uint64_t)id, (uint64_t)id, T);
    lg_rng_seed(&t->vrng, o->seed * 7919u + (uint64_t)id + 0x5eed);
    if (o->requests)
        t->quota = o->requests / T + ((uint64_t)id < o->requests % T ? 1 : 0);
    if (o->rate > 0)
        t->interval_ns = (uint64_t)(1e9 * (double)(T * (uint64_t)o->conns) / o->rate);
    if (o->rate > 0 && t->interval_ns == 0)
        t->interval_ns = 1;
    for (unsigned i = 0; i < o->gen.ntmpl; i++)
        t->tot[i] = lg_hist_create();
    t->iv[0] = lg_hist_create();
    t->iv[1] = lg_hist_create();
    return t;
}

void
lg_thread_destroy(struct lg_thread **tp)
{
    struct lg_thread *t = *tp;
    if (t == NULL)
        return;
    for (int i = 0; i < t->nconns; i++) {
        struct lg_conn *c = t->conns[i];
        free(c->out[0].data);
        free(c->out[1].data);
        free(c->rbuf);
        free(c->fifo.a);
        free(c);
    }
    free(t->conns);
    free(t->dirty);
    free(t->clients);
    for (unsigned i = 0; i < LG_MAX_TMPL; i++)
        if (t->tot[i])
            lg_hist_destroy(&t->tot[i]);
    lg_hist_destroy(&t->iv[0]);
    lg_hist_destroy(&t->iv[1]);
    free(t);
    *tp = NULL;
}

static int
ring_setup(struct lg_thread *t, unsigned entries)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
    int ret = io_uring_queue_init_params(entries, &t->ring, &p);
    if (ret < 0) { /* older kernel */
        memset(&p, 0, sizeof(p));
        ret = io_uring_queue_init_params(entries, &t->ring, &p);
    }
    return ret;
}

/* Connect every client to its node(s) before the clock starts. */
static void
connect_all(struct lg_thread *t)
{
    uint64_t now = lg_now_ns();
    for (int i = 0; i < t->nclients; i++) {
        if (!t->o->cluster) {
            lg_conn_get(t, &t->clients[i], 0, now);
            continue;
        }
        for (int n = 0; n < t->map.nnodes; n++)
            if (t->map.nodes[n].has_slots)
                lg_conn_get(t, &t->clients[i], n, now);
    }
    uint64_t deadline = now + (uint64_t)t->o->connect_timeout_ms * 1000000ull + 500000000ull;
    while (!t->start_err[0]) {
        int up = 0;
        for (int i = 0; i < t->nconns; i++)
            up += t->conns[i]->state == CS_UP;
        if (up == t->nconns)
            return;
        if (lg_now_ns() > deadline) {
            snprintf(t->start_err, sizeof(t->start_err), "connections not established in %d ms",
                     t->o->connect_timeout_ms);
            return;
        }
        ring_turn(t, 10000000);
    }
}

static void
check_epoch(struct lg_thread *t)
{
    unsigned e = atomic_load_explicit(&t->run->epoch, memory_order_acquire);
    if (e != t->epoch) {
        t->epoch = e;
        t->cur = e & 1;
        atomic_store_explicit(&t->acked, e, memory_order_release);
    }
    atomic_store_explicit(&t->pub_errors, t->errs.total, memory_order_relaxed);
}

static void
run_loop(struct lg_thread *t)
{
    const struct lg_opts *o = t->o;
    struct lg_run *run = t->run;
    uint64_t t0 = run->t0;
    t->end_ns = o->duration > 0 ? t0 + (uint64_t)(o->duration * 1e9) : 0;
    uint64_t drain_ns = (uint64_t)(o->drain_s * 1e9);
    uint64_t nclients_total = (uint64_t)o->threads * (uint64_t)o->conns;
    for (int i = 0; i < t->nclients; i++) /* spread the open-loop phases */
        t->clients[i].next_due = t0 + t->interval_ns * ((uint64_t)t->id * (uint64_t)o->conns + (uint64_t)i) /
                                          (nclients_total ? nclients_total : 1);
    t->t_last = t0;
    uint64_t now = lg_now_ns();
    for (;;) {
        check_epoch(t);
        if (!t->stopping && (atomic_load_explicit(&run->abort, memory_order_relaxed) ||
                             (t->end_ns && now >= t->end_ns))) {
            t->stopping = true;
            t->stop_at = now;
        }
        if (t->refresh_wanted && now - t->last_refresh >= (uint64_t)o->refresh_ms * 1000000ull)
            refresh_map(t, now);
        uint64_t wake = now + LG_MAX_WAIT_NS;
        if (t->nbackoff && !t->stopping) {
            for (int i = 0; i < t->nconns; i++) {
                struct lg_conn *c = t->conns[i];
                if (c->state != CS_BACKOFF)
                    continue;
                if (c->retry_at <= now)
                    lg_conn_start(c, now);
                else if (c->retry_at < wake)
                    wake = c->retry_at;
            }
        }
        uint64_t due = issue_all(t, now);
        if (due < wake)
            wake = due;
        if (t->end_ns && !t->stopping && t->end_ns < wake)
            wake = t->end_ns;
        lg_conn_flush_dirty(t);
        if (!can_issue(t)) {
            if (t->stop_at == 0)
                t->stop_at = now; /* quota reached: the drain clock starts */
            if (t->inflight == 0)
                break;
            if (now >= t->stop_at + drain_ns) {
                t->timeouts = t->inflight;
                lg_errtab_add(&t->errs, "timeout", 7, "no reply before the end of the drain", 36, t->inflight);
                break;
            }
            if (t->stop_at + drain_ns < wake)
                wake = t->stop_at + drain_ns;
        }
        ring_turn(t, wake > now ? wake - now : 0);
        now = lg_now_ns();
    }
    check_epoch(t);
}

/* Shut every socket so posted operations complete, reap them (bounded),
 * then close. If something never completes the buffers are leaked rather
 * than freed under the kernel. */
static bool
teardown(struct lg_thread *t)
{
    t->closing_all = true;
    for (int i = 0; i < t->nconns; i++)
        if (t->conns[i]->fd >= 0)
            shutdown(t->conns[i]->fd, SHUT_RDWR);
    uint64_t deadline = lg_now_ns() + 2000000000ull;
    while (t->ops && lg_now_ns() < deadline)
        ring_turn(t, 10000000);
    bool clean = t->ops == 0;
    for (int i = 0; i < t->nconns; i++) {
        if (t->conns[i]->fd >= 0)
            close(t->conns[i]->fd);
        t->conns[i]->fd = -1;
    }
    io_uring_queue_exit(&t->ring);
    t->ring_ok = false;
    if (!clean)
        t->nconns = 0; /* leak the connections: the kernel may still hold them */
    return clean;
}

void *
lg_thread_main(void *arg)
{
    struct lg_thread *t = arg;
    const struct lg_opts *o = t->o;
    struct lg_run *run = t->run;
    if (o->ncpus > 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(o->cpus[t->id % o->ncpus], &set);
        pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    }
    unsigned per_client = o->cluster ? (unsigned)run->map0->nnodes : 1;
    unsigned entries = 256;
    while (entries < 4096 && entries < 2 * per_client * (unsigned)o->conns + 64)
        entries *= 2;
    int ret = ring_setup(t, entries);
    if (ret < 0) {
        snprintf(t->start_err, sizeof(t->start_err), "io_uring_queue_init: %s", strerror(-ret));
    } else {
        t->ring_ok = true;
        connect_all(t);
    }
    if (t->start_err[0])
        atomic_store(&run->abort, true);
    pthread_barrier_wait(&run->ready);
    pthread_barrier_wait(&run->go); /* main has set t0 */
    t->started = true;
    if (!atomic_load(&run->abort))
        run_loop(t);
    if (t->ring_ok)
        teardown(t);
    atomic_store(&t->finished, true);
    atomic_fetch_add(&run->ndone, 1);
    return NULL;
}
