/* bus_link.c: the cluster thread: its own io_uring, the bus listeners, and
 * the links (one outbound link per known node, inbound links accepted from
 * peers), with framing of the input and batched output.
 *
 * One loop turn: wait for completions (at most until the next 100 ms cron),
 * take cluster_lock, handle completions (accepted sockets, received bytes ->
 * framed messages -> bus_proto.c, finished sends and connects), run the cron
 * when due, arm sends and receives, free closed links, save nodes.conf and
 * publish a snapshot if anything changed, release the lock, submit.
 * Workers never wait for this thread: they read published snapshots.
 *
 * A link's operations are tracked by an in-flight count; closing a link
 * shuts its socket down (completing pending reads), cancels a pending
 * connect, and the link is freed when nothing is in flight any more. */
#include "cluster/bus_int.h"

#include "core/cmd.h"
#include "core/config.h"
#include "core/log.h"
#include "core/rcu.h"
#include "net/runtime.h"

#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct bus_state g_bus;
uint64_t g_bus_sent[BUS_TYPE_COUNT];
uint64_t g_bus_recv[BUS_TYPE_COUNT];
uint64_t g_bus_links_limit_exceeded;

#define BUS_MAX_LISTEN 8
#define BUS_RECV_CHUNK (64 * 1024)

enum bus_op { OP_RECV = 1, OP_SEND = 2, OP_CONNECT = 3, OP_ACCEPT = 4, OP_IGNORE = 5, OP_WAKE = 6 };

struct bus_listener {
    int fd;
    struct sockaddr_storage addr;
    socklen_t addrlen;
};

static struct io_uring bus_ring;
static pthread_t bus_thread;
static bool bus_running;
static int bus_stop_flag;
static int bus_pong_request;
static struct bus_listener bus_listeners[BUS_MAX_LISTEN];
static int bus_nlisten;

static struct io_uring_sqe *
bus_sqe(void)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&bus_ring);
    if (!sqe) {
        io_uring_submit(&bus_ring);
        sqe = io_uring_get_sqe(&bus_ring);
    }
    return sqe; /* non-NULL: the ring was just emptied */
}

static uint64_t
ud_link(struct bus_link *l, enum bus_op op)
{
    return (uint64_t)(uintptr_t)l | (uint64_t)op;
}

/* ---- Links ---- */

static struct bus_link *
link_new(int fd, bool outbound)
{
    struct bus_link *l = ts_calloc(1, sizeof(*l));
    l->fd = fd;
    l->outbound = outbound;
    l->ctime = g_bus.now;
    l->next = g_bus.links;
    g_bus.links = l;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return l;
}

static bool
parse_addr(const char *ip, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (port <= 0 || port > 65535)
        return false;
    if (inet_pton(AF_INET, ip, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)port);
        *len = sizeof(*a4);
        return true;
    }
    if (inet_pton(AF_INET6, ip, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*a6);
        return true;
    }
    return false;
}

struct bus_link *
bus_link_connect(struct cluster_snap *mc, int idx)
{
    struct cluster_node *n = &mc->nodes[idx];
    struct sockaddr_storage ss;
    socklen_t len;
    if (!parse_addr(n->ip, n->cport, &ss, &len))
        return NULL;
    int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        log_warn("Cluster bus: socket(): %s", strerror(errno));
        return NULL;
    }
    struct bus_link *l = link_new(fd, true);
    memcpy(&l->addr, &ss, len);
    l->addrlen = len;
    snprintf(l->node, sizeof(l->node), "%s", n->id);
    struct io_uring_sqe *sqe = bus_sqe();
    io_uring_prep_connect(sqe, fd, (struct sockaddr *)&l->addr, l->addrlen);
    io_uring_sqe_set_data64(sqe, ud_link(l, OP_CONNECT));
    l->inflight++;
    struct bus_peer *p = bus_peer_get(n->id);
    p->out = l;
    n->link_connected = true;
    return l;
}

void
bus_link_close(struct bus_link *l)
{
    if (l->closing)
        return;
    l->closing = true;
    struct bus_peer *p = l->node[0] ? bus_peer_find(l->node) : NULL;
    if (p && p->out == l) {
        p->out = NULL;
        struct cluster_snap *mc = cluster_mc();
        int idx = cluster_snap_find(mc, l->node, CLUSTER_NAMELEN);
        if (idx >= 0) {
            mc->nodes[idx].link_connected = false;
            g_bus.dirty_publish = true;
        }
    }
    if (p && p->in == l)
        p->in = NULL;
    shutdown(l->fd, SHUT_RDWR);
    if (l->outbound && !l->connected && l->inflight) {
        struct io_uring_sqe *sqe = bus_sqe();
        io_uring_prep_cancel64(sqe, ud_link(l, OP_CONNECT), 0);
        io_uring_sqe_set_data64(sqe, OP_IGNORE);
    }
}

void
bus_link_write(struct bus_link *l, const void *p, size_t n)
{
    if (l->closing)
        return;
    ts_buf_append(&l->out, p, n);
    long long limit = __atomic_load_n(&g_cfg.cluster_link_sendbuf_limit, __ATOMIC_RELAXED);
    if (limit > 0 && (long long)(l->out.len + l->sending.len) > limit) {
        log_warn("Cluster bus: freeing the link to %.40s: send buffer over cluster-link-sendbuf-limit", l->node);
        __atomic_fetch_add(&g_bus_links_limit_exceeded, 1, __ATOMIC_RELAXED);
        bus_link_close(l);
    }
}

static void
arm_recv(struct bus_link *l)
{
    /* Read at least what the current message still needs. */
    uint32_t totlen = 0;
    size_t want = BUS_RECV_CHUNK;
    if (bus_frame_check((const uint8_t *)l->in.data, l->in.len, &totlen) == BUS_FRAME_MORE && totlen > l->in.len &&
        totlen - l->in.len > want)
        want = totlen - l->in.len;
    char *dst = ts_buf_reserve(&l->in, want);
    struct io_uring_sqe *sqe = bus_sqe();
    io_uring_prep_recv(sqe, l->fd, dst, want, 0);
    io_uring_sqe_set_data64(sqe, ud_link(l, OP_RECV));
    l->recv_armed = true;
    l->inflight++;
}

static void
arm_send(struct bus_link *l)
{
    if (l->sending.len == 0) {
        struct ts_buf t = l->sending;
        l->sending = l->out;
        l->out = t;
        l->out.len = 0;
        l->sent = 0;
    }
    struct io_uring_sqe *sqe = bus_sqe();
    io_uring_prep_send(sqe, l->fd, l->sending.data + l->sent, l->sending.len - l->sent, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, ud_link(l, OP_SEND));
    l->send_armed = true;
    l->inflight++;
}

static void
on_recv(struct bus_link *l, int res)
{
    l->recv_armed = false;
    if (l->closing)
        return;
    if (res <= 0) {
        if (res < 0 && res != -ECONNRESET)
            log_verbose("Cluster bus: read error on the link %s %.40s: %s", l->outbound ? "to" : "from",
                        l->node[0] ? l->node : "(unknown)", strerror(-res));
        /* The peer closed our link (a killed process does at once): that
         * counts as an unanswered ping from now, as a failed reconnect
         * would from the next cron tick, so PFAIL comes T after the death
         * rather than up to 100 ms later. */
        int idx = l->outbound ? cluster_snap_find(cluster_mc(), l->node, CLUSTER_NAMELEN) : -1;
        if (idx >= 0 && cluster_mc()->nodes[idx].ping_sent == 0)
            cluster_mc()->nodes[idx].ping_sent = g_bus.now;
        bus_link_close(l);
        return;
    }
    l->in.len += (size_t)res;
    size_t off = 0;
    for (;;) {
        uint32_t totlen = 0;
        enum bus_frame f = bus_frame_check((const uint8_t *)l->in.data + off, l->in.len - off, &totlen);
        if (f == BUS_FRAME_MORE)
            break;
        if (f == BUS_FRAME_BAD) {
            log_warn("Cluster bus: bad message length or signature received from %s link %.40s; closing it",
                     l->outbound ? "outbound" : "inbound", l->node[0] ? l->node : l->peer_ip);
            bus_link_close(l);
            return;
        }
        bus_handle_msg(l, (const uint8_t *)l->in.data + off, totlen);
        off += totlen;
        if (l->closing)
            return;
    }
    ts_buf_consume(&l->in, off);
    if (l->in.len == 0)
        ts_buf_trim(&l->in, BUS_RECV_CHUNK * 2);
}

static void
on_send(struct bus_link *l, int res)
{
    l->send_armed = false;
    if (l->closing)
        return;
    if (res < 0) {
        bus_link_close(l);
        return;
    }
    l->sent += (size_t)res;
    if (l->sent >= l->sending.len) {
        l->sending.len = 0;
        l->sent = 0;
        ts_buf_trim(&l->sending, BUS_RECV_CHUNK);
    }
}

static void
on_connect(struct bus_link *l, int res)
{
    if (l->closing)
        return;
    if (res < 0) {
        /* Failure detection must still advance for a node we cannot reach:
         * count the attempt as a ping in flight. */
        struct cluster_snap *mc = cluster_mc();
        int idx = cluster_snap_find(mc, l->node, CLUSTER_NAMELEN);
        if (idx >= 0 && mc->nodes[idx].ping_sent == 0)
            mc->nodes[idx].ping_sent = g_bus.now;
        log_verbose("Connection with Node %.40s at %s:%d failed: %s", l->node, idx >= 0 ? mc->nodes[idx].ip : "?",
                    idx >= 0 ? mc->nodes[idx].cport : 0, strerror(-res));
        bus_connect_failed(l->node);
        bus_link_close(l);
        return;
    }
    l->connected = true;
    struct bus_peer *p = bus_peer_find(l->node);
    if (p)
        p->connect_fails = 0;
    bus_link_established(l);
}

static void
arm_accept(int i)
{
    struct bus_listener *ls = &bus_listeners[i];
    ls->addrlen = sizeof(ls->addr);
    struct io_uring_sqe *sqe = bus_sqe();
    io_uring_prep_accept(sqe, ls->fd, (struct sockaddr *)&ls->addr, &ls->addrlen, SOCK_CLOEXEC);
    io_uring_sqe_set_data64(sqe, ((uint64_t)i << 3) | OP_ACCEPT);
}

static void
on_accept(int i, int res)
{
    struct bus_listener *ls = &bus_listeners[i];
    if (res >= 0) {
        struct bus_link *l = link_new(res, false);
        memcpy(&l->addr, &ls->addr, ls->addrlen);
        l->addrlen = ls->addrlen;
        if (ls->addr.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ls->addr;
            inet_ntop(AF_INET6, &a->sin6_addr, l->peer_ip, sizeof(l->peer_ip));
            if (strncmp(l->peer_ip, "::ffff:", 7) == 0 && strchr(l->peer_ip + 7, '.'))
                memmove(l->peer_ip, l->peer_ip + 7, strlen(l->peer_ip + 7) + 1);
        } else {
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ls->addr)->sin_addr, l->peer_ip, sizeof(l->peer_ip));
        }
        int ka = 1;
        setsockopt(l->fd, SOL_SOCKET, SO_KEEPALIVE, &ka, sizeof(ka));
        log_verbose("Accepting cluster node connection from %s", l->peer_ip);
    } else if (res == -EMFILE || res == -ENFILE) {
        log_warn("Cluster bus: accept: %s", strerror(-res));
    }
    if (!bus_stop_flag)
        arm_accept(i);
}

static uint64_t wake_count;

static void
arm_wake(void)
{
    struct io_uring_sqe *sqe = bus_sqe();
    io_uring_prep_read(sqe, g_bus_wake_fd, &wake_count, sizeof(wake_count), 0);
    io_uring_sqe_set_data64(sqe, OP_WAKE);
}

static void
handle_cqe(struct io_uring_cqe *cqe)
{
    uint64_t ud = io_uring_cqe_get_data64(cqe);
    enum bus_op op = (enum bus_op)(ud & 7);
    if (op == OP_IGNORE)
        return;
    if (op == OP_WAKE) {
        if (!bus_stop_flag)
            arm_wake();
        return;
    }
    if (op == OP_ACCEPT) {
        on_accept((int)(ud >> 3), cqe->res);
        return;
    }
    struct bus_link *l = (struct bus_link *)(uintptr_t)(ud & ~(uint64_t)7);
    l->inflight--;
    switch (op) {
    case OP_RECV:
        on_recv(l, cqe->res);
        break;
    case OP_SEND:
        on_send(l, cqe->res);
        break;
    case OP_CONNECT:
        on_connect(l, cqe->res);
        break;
    default:
        break;
    }
}

/* Arm I/O for live links; free closed ones whose I/O has completed. */
static void
links_service(void)
{
    struct bus_link **pp = &g_bus.links;
    while (*pp) {
        struct bus_link *l = *pp;
        if (l->closing) {
            if (l->inflight == 0) {
                *pp = l->next;
                close(l->fd);
                ts_buf_free(&l->in);
                ts_buf_free(&l->out);
                ts_buf_free(&l->sending);
                ts_free(l);
                continue;
            }
        } else if (!l->outbound || l->connected) {
            if (!l->recv_armed)
                arm_recv(l);
            if (!l->send_armed && (l->out.len || l->sending.len > l->sent))
                arm_send(l);
        }
        pp = &l->next;
    }
}

/* ---- The thread ---- */

/* Tell every node about a change of mine at once (a new role, slots)
 * instead of waiting for the next ping to each. */
static void
broadcast_pong(void)
{
    struct cluster_snap *mc = cluster_mc();
    for (int i = 0; i < mc->nnodes; i++) {
        if (i == mc->myself || (mc->nodes[i].flags & CN_HANDSHAKE))
            continue;
        struct bus_peer *p = bus_peer_find(mc->nodes[i].id);
        if (p && p->out && p->out->connected && !p->out->closing)
            bus_send_ping(p->out, BUS_PONG);
    }
}

void
cluster_bus_request_pong(void)
{
    __atomic_store_n(&bus_pong_request, 1, __ATOMIC_RELEASE);
}

static void *
bus_main(void *arg)
{
    (void)arg;
    rcu_thread_register();
    cluster_reader_register();
    int64_t next_cron = 0, fo_due = INT64_MAX;
    struct ts_buf save_text = {0};
    while (!__atomic_load_n(&bus_stop_flag, __ATOMIC_ACQUIRE)) {
        int64_t now = ts_mstime();
        /* An election waiting out its delay is started on time, not at
         * the next cron tick (up to 100 ms later). */
        int64_t wake = TS_MIN(next_cron, fo_due);
        int64_t wait_ms = wake > now ? wake - now : 0;
        struct __kernel_timespec ts = {wait_ms / 1000, (wait_ms % 1000) * 1000000};
        struct io_uring_cqe *cqe = NULL;
        io_uring_submit_and_wait_timeout(&bus_ring, &cqe, 1, &ts, NULL);

        cluster_lock();
        g_bus.now = ts_mstime();
        unsigned head, n = 0;
        io_uring_for_each_cqe(&bus_ring, head, cqe)
        {
            handle_cqe(cqe);
            n++;
        }
        io_uring_cq_advance(&bus_ring, n);
        if (g_bus.now >= next_cron) {
            bus_cron();
            next_cron = g_bus.now + 100;
        } else if (g_bus.now >= bus_fo_due()) {
            bus_fo_tick(cluster_mc());
        }
        bus_post_drain(); /* admin commands posted by workers */
        if (__atomic_exchange_n(&bus_pong_request, 0, __ATOMIC_ACQ_REL))
            broadcast_pong();
        bus_pubsub_drain();
        links_service();
        uint64_t save = g_bus.dirty_save ? cluster_mc_save_begin(&save_text) : 0;
        if (g_bus.dirty_save || g_bus.dirty_publish)
            cluster_mc_publish();
        g_bus.dirty_save = g_bus.dirty_publish = false;
        fo_due = bus_fo_due(); /* read under the lock, like all of g_bus */
        cluster_unlock();
        /* fsync outside the writer mutex: admin commands on workers never
         * wait for the disk on our behalf. */
        int save_rc = save ? cluster_mc_save_finish(&save_text, save) : 0;
        if (save_rc < 0)
            log_warn("Cluster bus: can't update cluster config file");
        /* Replies to posted admin commands leave after the publish and the
         * fsync, so a client that got +OK routes by the new state and finds
         * it on disk. */
        bus_post_finish(save_rc);
        rcu_poll();
    }
    ts_buf_free(&save_text);
    return NULL;
}

int
cluster_bus_start(void)
{
    if (!g_cfg.cluster_enabled)
        return 0;
    int cport = g_cfg.cluster_port ? g_cfg.cluster_port : g_cfg.port + 10000;
    if (cport > 65535) {
        log_warn("Redis port number too high. Cluster communication port is 10,000 port numbers higher than your "
                 "Redis port. Your Redis port number must be 55535 or less.");
        return -EINVAL;
    }
    const char *defaults[] = {"*", "-::*", NULL};
    char **addrs = g_cfg.bind_addrs && g_cfg.nbind ? g_cfg.bind_addrs : (char **)defaults;
    for (int i = 0; addrs[i] && bus_nlisten < BUS_MAX_LISTEN; i++) {
        const char *a = addrs[i];
        bool optional = a[0] == '-';
        if (optional)
            a++;
        int fd = runtime_listen_tcp(a, cport, false);
        if (fd < 0) {
            if (optional)
                continue;
            log_warn("Could not create the cluster bus listening socket %s:%d: %s", a, cport, strerror(-fd));
            return fd;
        }
        bus_listeners[bus_nlisten++].fd = fd;
    }
    int ret = io_uring_queue_init(1024, &bus_ring, 0);
    if (ret < 0) {
        log_warn("Cluster bus: io_uring_queue_init: %s", strerror(-ret));
        return ret;
    }
    g_bus.now = ts_mstime();
    for (int i = 0; i < bus_nlisten; i++)
        arm_accept(i);
    int wfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wfd < 0) {
        log_warn("Cluster bus: eventfd: %s", strerror(errno));
        return -errno;
    }
    __atomic_store_n(&g_bus_wake_fd, wfd, __ATOMIC_RELEASE);
    bus_post_start(cmd_nworkers());
    arm_wake();
    io_uring_submit(&bus_ring);
    ret = pthread_create(&bus_thread, NULL, bus_main, NULL);
    if (ret != 0) {
        bus_post_stop();
        return -ret;
    }
    pthread_setname_np(bus_thread, "tessera-bus");
    bus_running = true;
    log_notice("Cluster bus listening on port %d", cport);
    return 0;
}

void
cluster_bus_stop(void)
{
    if (!bus_running)
        return;
    __atomic_store_n(&bus_stop_flag, 1, __ATOMIC_RELEASE);
    pthread_join(bus_thread, NULL);
    bus_running = false;
    for (struct bus_link *l = g_bus.links, *nx; l; l = nx) {
        nx = l->next;
        close(l->fd);
        ts_buf_free(&l->in);
        ts_buf_free(&l->out);
        ts_buf_free(&l->sending);
        ts_free(l);
    }
    g_bus.links = NULL;
    for (int i = 0; i < bus_nlisten; i++)
        close(bus_listeners[i].fd);
    bus_nlisten = 0;
    int wfd = __atomic_exchange_n(&g_bus_wake_fd, -1, __ATOMIC_ACQ_REL);
    if (wfd >= 0)
        close(wfd);
    bus_pubsub_discard();
    bus_post_stop();
    io_uring_queue_exit(&bus_ring);
}

/* CLUSTER LINKS (cluster-commands.md §5.5); caller holds cluster_lock. */
void
cluster_bus_links_reply(struct reply *r)
{
    int n = 0;
    for (struct bus_link *l = g_bus.links; l; l = l->next)
        n += !l->closing && l->node[0];
    reply_array(r, n);
    for (struct bus_link *l = g_bus.links; l; l = l->next) {
        if (l->closing || !l->node[0])
            continue;
        reply_map(r, 6);
        reply_bulk_cstr(r, "direction");
        reply_bulk_cstr(r, l->outbound ? "to" : "from");
        reply_bulk_cstr(r, "node");
        reply_bulk(r, l->node, CLUSTER_NAMELEN);
        reply_bulk_cstr(r, "create-time");
        reply_int(r, l->ctime);
        reply_bulk_cstr(r, "events");
        bool w = l->out.len || l->sending.len;
        reply_bulk_cstr(r, w ? "rw" : "r");
        reply_bulk_cstr(r, "send-buffer-allocated");
        reply_int(r, (long long)(l->out.cap + l->sending.cap));
        reply_bulk_cstr(r, "send-buffer-used");
        reply_int(r, (long long)(l->out.len + l->sending.len - l->sent));
    }
}
