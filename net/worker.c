/* worker.c: worker threads. Each worker owns an io_uring, its listeners
 * (SO_REUSEPORT, so the kernel spreads connections), its connections, its
 * shard of the keyspace, and the receiving end of one SPSC ring per other
 * worker. One loop turn:
 *
 *   reap CQEs (accept, recv -> parse -> execute/forward, send done)
 *   drain incoming rings (requests to execute, replies coming back)
 *   run what other threads posted (runtime_post), if the inbox flag is set
 *   queue sends for every connection with output; push overflowed messages
 *   wake peers that were sent something and are asleep (MSG_RING)
 *   cron (expiry, rehash, rcu) every 1000/hz ms
 *   submit, and sleep in io_uring_enter only if there is nothing to do
 *
 * Sleeping uses a flag handshake so a message is never left unseen: the
 * consumer sets sleeping=1, fences, re-checks its rings; a producer
 * enqueues, fences, and wakes the consumer if it finds sleeping=1.
 *
 * Threads that are not workers (the cluster bus) have no ring to send
 * from; they post to a worker's inbox instead (a list under a mutex) and
 * write its eventfd, on which the worker always keeps a read armed, so a
 * sleeping worker wakes. An idle loop turn pays one relaxed load for it. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "core/config.h"
#include "core/evict.h"
#include "core/keyspace.h"
#include "core/log.h"
#include "core/rcu.h"
#include "core/server.h"
#include "core/shard.h"
#include "core/slot_move.h"
#include "core/slotmap.h"
#include "core/tx.h"
#include "net/net_int.h"
#include "net/prefetch.h"
#include "net/runtime.h"

struct worker *g_workers[MAX_WORKERS];
int g_nworkers;
struct wring *g_wrings;
void (*runtime_cron_hook)(int worker, int64_t now_ms);
void (*runtime_local_ip_hook)(const char *ip);

static __thread struct worker *tls_worker;
static int listen_port;

struct worker *
worker_self(void)
{
    return tls_worker;
}

int
runtime_nworkers(void)
{
    return g_nworkers;
}

/* Get an SQE, submitting the queue first if it is full. */
struct io_uring_sqe *
worker_sqe(struct worker *w)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
    while (unlikely(sqe == NULL)) {
        io_uring_submit(&w->ring);
        sqe = io_uring_get_sqe(&w->ring);
    }
    return sqe;
}

/* ---- CPU selection ---- */

/* Parse "0-3,8,10-11" into cpus[]; returns count or -1. */
static int
parse_cpu_list(const char *s, int *cpus, int max)
{
    int n = 0;
    while (*s) {
        char *end;
        long a = strtol(s, &end, 10);
        if (end == s || a < 0 || a >= CPU_SETSIZE)
            return -1;
        long b = a;
        s = end;
        if (*s == '-') {
            b = strtol(s + 1, &end, 10);
            if (end == s + 1 || b < a || b >= CPU_SETSIZE)
                return -1;
            s = end;
        }
        for (long c = a; c <= b; c++) {
            if (n >= max)
                return -1;
            cpus[n++] = (int)c;
        }
        if (*s == ',')
            s++;
        else if (*s)
            return -1;
    }
    return n;
}

/* Workers: `threads N` if set, else one per CPU in worker-cpus, else one per
 * CPU of the process's affinity mask (so taskset decides). Workers are
 * pinned to those CPUs in order; with `threads` larger than the CPU list,
 * the extra workers wrap around. */
static int
choose_workers(int *cpus)
{
    int ncpu = 0;
    if (g_cfg.worker_cpus && g_cfg.worker_cpus[0]) {
        ncpu = parse_cpu_list(g_cfg.worker_cpus, cpus, MAX_WORKERS);
        if (ncpu <= 0) {
            log_warn("Invalid worker-cpus '%s'", g_cfg.worker_cpus);
            return -EINVAL;
        }
    } else {
        cpu_set_t set;
        CPU_ZERO(&set);
        if (sched_getaffinity(0, sizeof(set), &set) == 0) {
            for (int c = 0; c < CPU_SETSIZE && ncpu < MAX_WORKERS; c++)
                if (CPU_ISSET(c, &set))
                    cpus[ncpu++] = c;
        }
        if (ncpu == 0) {
            cpus[0] = -1;
            ncpu = 1;
        }
    }
    int n = g_cfg.threads > 0 ? g_cfg.threads : ncpu;
    if (n > MAX_WORKERS)
        n = MAX_WORKERS;
    for (int i = ncpu; i < n; i++)
        cpus[i] = cpus[i % ncpu];
    return n;
}

/* ---- Listeners ---- */

int
runtime_listen_tcp(const char *addr, int port, bool reuseport)
{
    bool v6 = strchr(addr, ':') != NULL;
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (reuseport)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (v6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    struct sockaddr_storage ss;
    socklen_t sl;
    memset(&ss, 0, sizeof(ss));
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        if (strcmp(addr, "::*") == 0 || strcmp(addr, "::") == 0)
            a->sin6_addr = in6addr_any;
        else if (inet_pton(AF_INET6, addr, &a->sin6_addr) != 1) {
            close(fd);
            return -EINVAL;
        }
        sl = sizeof(*a);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        if (strcmp(addr, "*") == 0 || strcmp(addr, "0.0.0.0") == 0)
            a->sin_addr.s_addr = htonl(INADDR_ANY);
        else if (inet_pton(AF_INET, addr, &a->sin_addr) != 1) {
            close(fd);
            return -EINVAL;
        }
        sl = sizeof(*a);
    }
    if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, g_cfg.tcp_backlog) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

/* Every worker gets its own listening socket per bind address. An address
 * prefixed with '-' is optional (Redis's "-::*"): failing to bind it is not
 * an error. */
static int
setup_listeners(struct worker *w)
{
    const char *defaults[] = {"*", "-::*", NULL};
    char **addrs = g_cfg.bind_addrs && g_cfg.nbind ? g_cfg.bind_addrs : (char **)defaults;
    for (int i = 0; addrs[i] && w->nlisten < (int)ARRAY_SIZE(w->listen_fds); i++) {
        const char *a = addrs[i];
        bool optional = a[0] == '-';
        if (optional)
            a++;
        int fd = 0;
        if (w->id == 0) {
            /* SO_REUSEPORT would let a second server on the same port (same
             * user) share it silently; bind once without it first so an
             * occupied port fails like Redis's "Address already in use". */
            fd = runtime_listen_tcp(a, listen_port, false);
            if (fd >= 0)
                close(fd);
        }
        if (fd >= 0)
            fd = runtime_listen_tcp(a, listen_port, true);
        if (fd < 0) {
            if (optional)
                continue;
            log_warn("Warning: Could not create server TCP listening socket %s:%d: %s", a, listen_port,
                     strerror(-fd));
            return fd;
        }
        w->listen_fds[w->nlisten++] = fd;
    }
    return w->nlisten ? 0 : -EADDRNOTAVAIL;
}

/* ---- Provided receive buffers ---- */

static int
setup_buf_ring(struct worker *w)
{
    w->br_count = 256;
    w->br_size = 16 * 1024;
    size_t ring_bytes = w->br_count * sizeof(struct io_uring_buf);
    void *ringmem = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
    if (ringmem == MAP_FAILED)
        return -errno;
    w->br = ringmem;
    io_uring_buf_ring_init(w->br);
    struct io_uring_buf_reg reg = {.ring_addr = (uint64_t)(uintptr_t)ringmem, .ring_entries = w->br_count, .bgid = 0};
    int ret = io_uring_register_buf_ring(&w->ring, &reg, 0);
    if (ret < 0)
        return ret;
    w->br_mem = ts_malloc((size_t)w->br_count * w->br_size);
    int mask = io_uring_buf_ring_mask(w->br_count);
    for (unsigned i = 0; i < w->br_count; i++)
        io_uring_buf_ring_add(w->br, w->br_mem + (size_t)i * w->br_size, w->br_size, (unsigned short)i, mask, (int)i);
    io_uring_buf_ring_advance(w->br, (int)w->br_count);
    return 0;
}

/* ---- Setup ---- */

int
runtime_setup(void)
{
    int cpus[MAX_WORKERS];
    int n = choose_workers(cpus);
    if (n < 0)
        return n;
    g_nworkers = n;
    g_server.nworkers = n;
    listen_port = g_cfg.port;
    g_server.listen_port = listen_port;
    slotmap_setup(n);

    g_rt.client_push = dispatch_push;
    g_rt.post = runtime_post;
    g_rt.worker_call = worker_call_impl;
    tx_locks_released = dispatch_tx_released;
    g_slot_move_rt.release_held = dispatch_slot_arrived;
    fanout_setup();
    g_wrings = ts_calloc((size_t)n * n, sizeof(struct wring));
    for (int i = 0; i < n * n; i++) {
        g_wrings[i].buf = ts_calloc(WRING_SIZE, sizeof(ck_ring_buffer_t));
        ck_ring_init(&g_wrings[i].ring, WRING_SIZE);
    }
    for (int i = 0; i < n; i++) {
        struct worker *w = ts_calloc(1, sizeof(*w));
        w->id = i;
        w->cpu = cpus[i];
        g_server.worker_cpu[i] = cpus[i];
        w->shard.id = i;
        w->shard.ks = ks_create();
        ks_set_owner(w->shard.ks, &w->shard);
        w->shard.runtime = w;
        w->shard.now_ms = ts_mstime();
        g_shards[i] = &w->shard;
        g_workers[i] = w;
        pthread_mutex_init(&w->inbox_lock, NULL);
        /* Blocking on purpose: io_uring polls it, and posters never block
         * on an eventfd whose counter cannot fill. */
        w->inbox_fd = eventfd(0, EFD_CLOEXEC);
        if (w->inbox_fd < 0)
            return -errno;

        int ret;
        if ((ret = setup_listeners(w)) < 0)
            return ret;
    }
    return 0;
}

/* ---- Messaging ----
 *
 * Bounded hand-offs between workers. Each ordered pair of workers has one
 * SPSC ring of WRING_SIZE messages. What a worker sends is either
 *
 *   new work, admitted from a client connection's input: a command for the
 *   worker that owns its slot, the parts of a fan-out, multi-key lock
 *   requests, MONITOR lines; or
 *   the completion of admitted work: a reply going home, a fan-out ack, a
 *   request forwarded because its slot moved, lock releases.
 *
 * worker_send never waits: a message that finds the ring full joins the
 * sender's backlog for that peer (in order: once a backlog exists, later
 * messages queue behind it) and flush_peers moves it into the ring as the
 * peer drains. So no worker ever waits for another, and two workers each
 * feeding the other cannot deadlock; completions in particular always
 * make progress, since the peer drains its rings every loop turn whatever
 * its own state.
 *
 * What bounds the queues is that new work is admitted only from client
 * input, and input is throttled at the source:
 *
 *   - a send that leaves the ring at or past WRING_HIGH, or that goes to the
 *     backlog, marks the peer congested, and the connection whose input is
 *     being dispatched (w->feeder) waits for that peer (conn->wait_peer):
 *     it parses no further command and its recv is cancelled;
 *   - the peer is uncongested once its backlog is empty and the ring is at
 *     or below WRING_LOW; the connections that waited for it resume;
 *   - if the backlogs reach WBACKLOG_MAX in total, no connection of this
 *     worker parses until they are empty.
 *
 * A connection stops at the next command boundary after the mark, so at
 * most one command's messages per connection pass the mark, and none once
 * the backlog cap is reached; completions are bounded by the admitted work
 * they finish (one reply per request, at most MAX_HOPS forwards). The
 * backlog is therefore bounded by WBACKLOG_MAX plus one command's messages
 * plus the completions of work already in flight; there is no unbounded
 * overflow list. */

static void
peer_congest(struct worker *w, int dst)
{
    struct peer_out *po = &w->out[dst];
    if (!po->congested) {
        po->congested = true;
        w->ncongested++;
        w->congestions++;
    }
    struct conn *c = w->feeder;
    if (c && c->wait_peer < 0)
        c->wait_peer = dst;
}

/* Queue message m for worker dst. Called by the current worker only (the
 * ring is single-producer per source). Keeps order: once something is in
 * the backlog, later messages queue behind it. */
void
worker_send(struct worker *w, int dst, struct wmsg *m)
{
    struct peer_out *po = &w->out[dst];
    m->next = NULL;
    po->dirty = true;
    w->shard.stats.messages_sent += dst != w->id;
    if (likely(po->ovf_head == NULL)) {
        struct wring *r = wring_at(w->id, dst);
        unsigned int size;
        if (likely(ck_ring_enqueue_spsc_size(&r->ring, r->buf, m, &size))) {
            if (unlikely(size + 1 >= WRING_HIGH))
                peer_congest(w, dst);
            return;
        }
    }
    if (po->ovf_tail)
        po->ovf_tail->next = m;
    else
        po->ovf_head = m;
    po->ovf_tail = m;
    po->novf++;
    if (++w->backlog_total >= WBACKLOG_MAX)
        w->backlog_full = true;
    if (w->backlog_total > w->backlog_peak)
        w->backlog_peak = w->backlog_total;
    peer_congest(w, dst);
}

/* Is dst's queue drained enough to admit new work again? */
static void
peer_check_drained(struct worker *w, int dst)
{
    struct peer_out *po = &w->out[dst];
    if (po->ovf_head || ck_ring_size(&wring_at(w->id, dst)->ring) > WRING_LOW)
        return;
    po->congested = false;
    w->ncongested--;
    w->resume_conns = true;
}

/* Resume the connections that waited for a peer that is no longer
 * congested (or for the backlog cap). Walks the worker's clients: this
 * runs only after congestion, never on the normal path. */
void
worker_resume_waiting(struct worker *w)
{
    w->resume_conns = false;
    struct client *cl = w->shard.clients;
    while (cl) {
        struct client *next = cl->next_in_worker;
        struct conn *c = (struct conn *)cl;
        if (c->wait_peer >= 0 && !w->out[c->wait_peer].congested)
            c->wait_peer = -1;
        if (c->throttled && c->wait_peer < 0) {
            conn_hold(c);
            conn_maybe_resume(w, c);
            conn_release(w, c);
        }
        cl = next;
    }
}

/* Move backlogged messages into rings and wake sleeping peers that were
 * sent something this turn. */
static void
flush_peers(struct worker *w)
{
    bool any = false;
    for (int d = 0; d < g_nworkers; d++) {
        struct peer_out *po = &w->out[d];
        if (!po->dirty && !po->congested)
            continue;
        while (po->ovf_head) {
            struct wring *r = wring_at(w->id, d);
            if (!ck_ring_enqueue_spsc(&r->ring, r->buf, po->ovf_head))
                break;
            po->ovf_head = po->ovf_head->next;
            if (!po->ovf_head)
                po->ovf_tail = NULL;
            po->novf--;
            w->backlog_total--;
            po->dirty = true;
        }
        if (po->congested)
            peer_check_drained(w, d);
        any |= po->dirty;
    }
    if (w->backlog_full && w->backlog_total == 0) {
        w->backlog_full = false;
        w->resume_conns = true;
    }
    if (!any)
        return;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    for (int d = 0; d < g_nworkers; d++) {
        struct peer_out *po = &w->out[d];
        if (!po->dirty)
            continue;
        po->dirty = po->ovf_head != NULL; /* keep trying next turn */
        struct worker *peer = g_workers[d];
        if (d == w->id)
            continue;
        if (__atomic_load_n(&peer->sleeping, __ATOMIC_SEQ_CST) &&
            __atomic_exchange_n(&peer->sleeping, 0, __ATOMIC_SEQ_CST)) {
            struct io_uring_sqe *sqe = worker_sqe(w);
            w->shard.stats.wakeups_sent++;
            io_uring_prep_msg_ring(sqe, __atomic_load_n(&peer->ring_fd, __ATOMIC_ACQUIRE), 0, ud_make(NULL, UD_WAKE), 0);
            sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
            io_uring_sqe_set_data64(sqe, ud_make(NULL, UD_NOP));
        }
    }
}

static bool
drain_rings(struct worker *w)
{
    bool got = false;
    for (int s = 0; s < g_nworkers; s++) {
        struct wring *r = wring_at(s, w->id);
        /* Bounded per source per turn so one busy peer cannot starve I/O;
         * taken in batches whose keys are prefetched before they run. */
        for (int total = 0; total < 1024;) {
            struct wmsg *batch[PREFETCH_WINDOW];
            int n = 0;
            while (n < PREFETCH_WINDOW && ck_ring_dequeue_spsc(&r->ring, r->buf, &batch[n]))
                n++;
            if (n == 0)
                break;
            prefetch_requests(w, batch, n);
            for (int i = 0; i < n; i++)
                batch[i]->run(w, batch[i]);
            got = true;
            total += n;
        }
    }
    return got;
}

static bool
rings_nonempty(struct worker *w)
{
    for (int s = 0; s < g_nworkers; s++)
        if (ck_ring_size(&wring_at(s, w->id)->ring) > 0)
            return true;
    return false;
}

/* ---- Inbox: work from threads that are not workers ---- */

/* Keep a read armed on the inbox eventfd: its completion is what wakes a
 * sleeping worker when another thread posts. */
static void
arm_inbox(struct worker *w)
{
    struct io_uring_sqe *sqe = worker_sqe(w);
    io_uring_prep_read(sqe, w->inbox_fd, &w->inbox_fd_buf, sizeof(w->inbox_fd_buf), 0);
    io_uring_sqe_set_data64(sqe, ud_make(NULL, UD_INBOX));
}

/* Run everything posted so far, in posting order. */
static bool
drain_inbox(struct worker *w)
{
    pthread_mutex_lock(&w->inbox_lock);
    struct post_item *it = w->inbox_head;
    w->inbox_head = w->inbox_tail = NULL;
    __atomic_store_n(&w->inbox_pending, 0, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&w->inbox_lock);
    bool got = it != NULL;
    while (it) {
        struct post_item *next = it->next;
        it->fn(it->arg, w->id);
        ts_free(it);
        it = next;
    }
    return got;
}

int
runtime_post(int worker, void (*fn)(void *arg, int worker), void *arg)
{
    if (worker < 0 || worker >= g_nworkers || fn == NULL)
        return -EINVAL;
    if (__atomic_load_n(&g_server.shutdown_requested, __ATOMIC_ACQUIRE))
        return -ESHUTDOWN;
    struct worker *w = g_workers[worker];
    struct post_item *it = ts_malloc(sizeof(*it));
    it->next = NULL;
    it->fn = fn;
    it->arg = arg;
    pthread_mutex_lock(&w->inbox_lock);
    if (w->inbox_tail)
        w->inbox_tail->next = it;
    else
        w->inbox_head = it;
    w->inbox_tail = it;
    bool was_pending = __atomic_load_n(&w->inbox_pending, __ATOMIC_RELAXED);
    __atomic_store_n(&w->inbox_pending, 1, __ATOMIC_RELAXED);
    pthread_mutex_unlock(&w->inbox_lock);
    /* One wake per batch: the worker clears the flag when it drains, so a
     * post that finds it set is covered by the wake already sent. */
    if (!was_pending) {
        uint64_t one = 1;
        ssize_t n = write(w->inbox_fd, &one, sizeof(one));
        (void)n; /* only fails if the counter is full, which wakes it anyway */
    }
    return 0;
}

/* ---- Accept ---- */

static void
arm_accept(struct worker *w, int idx)
{
    struct io_uring_sqe *sqe = worker_sqe(w);
    io_uring_prep_multishot_accept(sqe, w->listen_fds[idx], NULL, NULL, SOCK_CLOEXEC);
    w->accept_armed |= 1u << idx;
    io_uring_sqe_set_data64(sqe, ud_make((void *)(uintptr_t)((idx + 1) << 3), UD_ACCEPT));
}

/* ---- Cron ---- */

static void
worker_cron(struct worker *w)
{
    struct shard *sh = &w->shard;
    /* a replica expires nothing itself: its master's DELs do */
    if (__atomic_load_n(&g_active_expire_enabled, __ATOMIC_RELAXED) && !sh->fx.replica) {
        size_t budget = 200 * (size_t)g_cfg.active_expire_effort;
        uint64_t n = ks_active_expire(sh->ks, sh->now_ms, budget);
        sh->stats.expired_keys += n;
    }
    ks_cron(sh->ks, 1000);
    evict_cron(sh);
    conn_cron(w);
    if (w->accept_paused) {
        for (int i = 0; i < w->nlisten; i++)
            if ((w->accept_paused & (1u << i)) && !(w->accept_armed & (1u << i)))
                arm_accept(w, i);
        w->accept_paused = 0;
    }
    if (runtime_cron_hook)
        runtime_cron_hook(w->id, sh->now_ms);
    rcu_poll();
}

static uint64_t
cron_period_us(void)
{
    int hz = __atomic_load_n(&g_cfg.hz, __ATOMIC_RELAXED);
    return 1000000 / (uint64_t)(hz > 0 ? hz : 10);
}

/* ---- The loop ---- */

static void
process_cqe(struct worker *w, struct io_uring_cqe *cqe)
{
    uint64_t ud = cqe->user_data;
    switch (ud_op(ud)) {
    case UD_ACCEPT: {
        int idx = (int)((uintptr_t)ud_ptr(ud) >> 3) - 1;
        if (cqe->res >= 0) {
            conn_accepted(w, cqe->res);
        } else if (cqe->res == -EMFILE || cqe->res == -ENFILE || cqe->res == -ENOMEM || cqe->res == -ENOBUFS) {
            /* Out of descriptors or memory: retrying at once would spin.
             * The listen backlog holds clients until the next cron tick. */
            if (!(w->accept_paused & (1u << idx)))
                log_warn("Accepting client connection: %s", strerror(-cqe->res));
            w->accept_paused |= 1u << idx;
        } else if (cqe->res != -ECANCELED && !w->stopping) {
            log_verbose("Accept error: %s", strerror(-cqe->res));
        }
        if (!(cqe->flags & IORING_CQE_F_MORE)) {
            w->accept_armed &= ~(1u << idx);
            if (!w->stopping && !(w->accept_paused & (1u << idx)))
                arm_accept(w, idx);
        }
        break;
    }
    case UD_RECV:
        conn_on_recv(w, ud_ptr(ud), cqe);
        break;
    case UD_SEND:
        conn_on_send(w, ud_ptr(ud), cqe->res);
        break;
    case UD_INBOX:
        /* The eventfd was written (runtime_post): the loop drains the
         * inbox this turn; keep a read armed for the next wake. */
        if (!w->stopping && cqe->res != -ECANCELED)
            arm_inbox(w);
        break;
    case UD_WAKE:
    case UD_NOP:
    default:
        break;
    }
}

/* The ring is created by the worker thread itself: with SINGLE_ISSUER and
 * DEFER_TASKRUN only the creating task may submit to it. */
static int
setup_ring(struct worker *w)
{
    struct io_uring_params p;
    memset(&p, 0, sizeof(p));
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SUBMIT_ALL;
    int ret = io_uring_queue_init_params((unsigned)g_cfg.io_uring_entries, &w->ring, &p);
    if (ret == -EINVAL) {
        memset(&p, 0, sizeof(p));
        ret = io_uring_queue_init_params((unsigned)g_cfg.io_uring_entries, &w->ring, &p);
    }
    if (ret < 0) {
        log_warn("io_uring_queue_init failed: %s", strerror(-ret));
        return ret;
    }
    __atomic_store_n(&w->ring_fd, w->ring.ring_fd, __ATOMIC_RELEASE);
    if ((ret = setup_buf_ring(w)) < 0) {
        log_warn("io_uring provided buffer ring setup failed: %s", strerror(-ret));
        return ret;
    }
    return 0;
}

static int workers_ready;  /* atomic: workers that finished setup */
static int workers_failed; /* atomic */

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    if (setup_ring(w) < 0) {
        __atomic_add_fetch(&workers_failed, 1, __ATOMIC_RELEASE);
        return NULL;
    }
    __atomic_add_fetch(&workers_ready, 1, __ATOMIC_RELEASE);
    tls_worker = w;
    char name[16];
    snprintf(name, sizeof(name), "tessera-w%d", w->id);
    pthread_setname_np(pthread_self(), name);
    if (w->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(w->cpu, &set);
        pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    }
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    mi_thread_init();
    rcu_thread_register();
    io_uring_register_ring_fd(&w->ring);

    for (int i = 0; i < w->nlisten; i++)
        arm_accept(w, i);
    arm_inbox(w);
    uint64_t period_us = cron_period_us();
    w->next_cron_us = ts_monotonic_us() + period_us;

    while (!__atomic_load_n(&g_server.shutdown_requested, __ATOMIC_ACQUIRE)) {
        rcu_read_begin();
        w->shard.now_ms = ts_mstime();
        w->shard.stats.loop_turns++;
        bool busy = false;
        /* Causal order: messages from other workers are run before the
         * completions taken in this turn. A completion in the snapshot
         * (say a client's next command) may be caused by something another
         * worker did after it enqueued a message here (a keyspace
         * notification, then the reply the client waited for), so that
         * message is already in the ring when the snapshot is taken, and
         * runs first, as one thread would have ordered them. */
        unsigned head = *w->ring.cq.khead;
        unsigned tail = io_uring_smp_load_acquire(w->ring.cq.ktail);
        unsigned n = tail - head;
        busy |= drain_rings(w);
        /* Completions in windows: prefetch the keys a window's reads
         * carry, then run the window. */
        while (head != tail) {
            unsigned stop = prefetch_cqe_window(w, head, tail);
            for (; head != stop; head++)
                process_cqe(w, &w->ring.cq.cqes[io_uring_cqe_index(&w->ring, head, w->ring.cq.ring_mask)]);
            prefetch_window_done(&w->hints);
        }
        io_uring_cq_advance(&w->ring, n);
        if (unlikely(__atomic_load_n(&w->inbox_pending, __ATOMIC_RELAXED)))
            busy |= drain_inbox(w);
        if (unlikely(w->paused_head != NULL))
            dispatch_pause_release(w);
        if (unlikely(w->resume_conns))
            worker_resume_waiting(w);
        if (unlikely(w->shard.evict_more)) /* an eviction run stopped at its time limit */
            busy |= evict_run(&w->shard) == EVICT_RUNNING;
        if (unlikely(w->shard.fx.stream.len != 0 || w->shard.fx.turn_hook) && fx_turn_hook)
            fx_turn_hook(&w->shard); /* the turn's effects to replication; replicas fed (effect.h) */
        conn_flush_all(w);
        flush_peers(w);
        rcu_read_end();

        uint64_t now_us = ts_monotonic_us();
        if (now_us >= w->next_cron_us) {
            worker_cron(w);
            period_us = cron_period_us(); /* CONFIG SET hz applies at once */
            w->next_cron_us = now_us + period_us;
        }
        /* More work may already be waiting: don't sleep if so. A worker
         * with congested peers looks again soon (the peer's draining sends
         * us nothing when no reply is due, e.g. MONITOR lines). */
        if (busy || w->resume_conns || io_uring_cq_ready(&w->ring)) {
            io_uring_submit(&w->ring);
            continue;
        }
        __atomic_store_n(&w->sleeping, 1, __ATOMIC_SEQ_CST);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        if (rings_nonempty(w)) {
            __atomic_store_n(&w->sleeping, 0, __ATOMIC_SEQ_CST);
            io_uring_submit(&w->ring);
            continue;
        }
        uint64_t wait_us = w->next_cron_us > now_us ? w->next_cron_us - now_us : 0;
        if (unlikely(w->ncongested > 0 || w->backlog_full) && wait_us > 1000)
            wait_us = 1000;
        if (w->held_head != NULL && wait_us > CONN_HOLD_US) /* held output is sent by then */
            wait_us = CONN_HOLD_US;
        struct __kernel_timespec ts = {.tv_sec = (long long)(wait_us / 1000000),
                                       .tv_nsec = (long long)(wait_us % 1000000) * 1000};
        struct io_uring_cqe *dummy;
        w->shard.stats.sleeps++;
        io_uring_submit_and_wait_timeout(&w->ring, &dummy, 1, &ts, NULL);
        __atomic_store_n(&w->sleeping, 0, __ATOMIC_SEQ_CST);
    }
    w->stopping = true;
    for (int i = 0; i < w->nlisten; i++)
        close(w->listen_fds[i]);
    rcu_thread_unregister();
    return NULL;
}

int
runtime_start(void)
{
    for (int i = 0; i < g_nworkers; i++) {
        int ret = pthread_create(&g_workers[i]->thread, NULL, worker_main, g_workers[i]);
        if (ret != 0) {
            log_warn("pthread_create: %s", strerror(ret));
            return -ret;
        }
    }
    /* Report a failed ring setup at start-up rather than run half a server. */
    while (__atomic_load_n(&workers_ready, __ATOMIC_ACQUIRE) + __atomic_load_n(&workers_failed, __ATOMIC_ACQUIRE) <
           g_nworkers)
        usleep(1000);
    if (__atomic_load_n(&workers_failed, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&g_server.shutdown_requested, 1, __ATOMIC_RELEASE);
        for (int i = 0; i < g_nworkers; i++)
            pthread_join(g_workers[i]->thread, NULL);
        return -EIO;
    }
    slot_move_set_running(true);
    return 0;
}

/* Stop the workers and wait for them. Each worker sleeps at most one cron
 * period (1000/hz ms), so setting the flag is enough to end every idle
 * loop; a worker inside a long command only sees it afterwards, so the
 * wait is bounded (runtime.h) and such a worker is left behind. */
static bool workers_left_running;

int
runtime_stop(void)
{
    __atomic_store_n(&g_server.shutdown_requested, 1, __ATOMIC_RELEASE);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += RUNTIME_STOP_WAIT_MS / 1000;
    deadline.tv_nsec += (long)(RUNTIME_STOP_WAIT_MS % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    int rc = 0;
    for (int i = 0; i < g_nworkers; i++) {
        if (pthread_timedjoin_np(g_workers[i]->thread, NULL, &deadline) != 0) {
            log_warn("Worker %d is still busy %d ms after shutdown was requested (a long command); exiting "
                     "without it",
                     i, RUNTIME_STOP_WAIT_MS);
            rc = -ETIMEDOUT;
        }
    }
    workers_left_running = rc != 0;
    if (rc == 0)
        slot_move_set_running(false);
    return rc;
}

bool
runtime_workers_left_running(void)
{
    return workers_left_running;
}

int
runtime_run_until_shutdown(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    for (;;) {
        struct timespec ts = {0, 100 * 1000 * 1000};
        int sig = sigtimedwait(&set, NULL, &ts);
        if (sig == SIGTERM || sig == SIGINT) {
            log_warn("Received %s scheduling shutdown...", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            __atomic_store_n(&g_server.shutdown_requested, 1, __ATOMIC_RELEASE);
        }
        if (__atomic_load_n(&g_server.shutdown_requested, __ATOMIC_ACQUIRE))
            break;
    }
    runtime_stop();
    log_warn("Tessera is now ready to exit, bye bye...");
    return 0;
}
