/* conn.c: client connections on a worker's io_uring.
 *
 * Reads are single-shot recvs that pick a buffer from the worker's provided
 * buffer ring (no memory is pinned per idle connection); a completed recv is
 * parsed straight from that buffer when no partial command is pending, and
 * only a trailing partial command is copied to the connection's query
 * buffer. Replies accumulate in conn->ob (a list of blocks, core/obuf.h)
 * during a loop turn; at the end of the turn every connection with output
 * gets one send of everything it has: the current block is sealed into the
 * list and the list goes out with one send (one block) or sendmsg (several),
 * while new replies go into a fresh block. Output limits
 * (client-output-buffer-limit) are checked as the list grows (outlimit.c).
 *
 * Lifetime: a connection is freed only when no io_uring op and no request
 * (which another worker may be executing) refers to it. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/config.h"
#include "core/log.h"
#include "core/multi.h"
#include "core/pubsub.h"
#include "core/server.h"
#include "net/net_int.h"
#include "net/runtime.h"
#include "core/server_cmds.h"

static uint64_t next_client_id = 1; /* atomic */
static int nclients;                /* atomic: all workers' connections */

static void
format_addr(const struct sockaddr_storage *ss, char *out, size_t n)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        port = ntohs(a->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
        port = ntohs(a->sin6_port);
    }
    snprintf(out, n, "%s:%d", ip, port);
}

static bool
is_loopback(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
    if (ss->ss_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ss)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) ||
               (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return true; /* unix sockets */
}

/* Redis 7's protected mode: with protected-mode yes and no password for
 * the default user, only loopback (and unix-socket) clients may connect,
 * whatever "bind" says (Redis 6 also required the default bind; 7.0 does
 * not, and its default bind "* -::*" listens everywhere). */
bool
conn_protected_mode_denies(const struct sockaddr_storage *peer)
{
    if (!__atomic_load_n(&g_cfg.protected_mode, __ATOMIC_RELAXED))
        return false;
    const char *pass = __atomic_load_n(&g_cfg.requirepass, __ATOMIC_ACQUIRE);
    return (!pass || !pass[0]) && !is_loopback(peer);
}

/* Refuse a connection with a one-line error, synchronously: the socket is
 * fresh, so a short write cannot block meaningfully. */
static void
refuse(int fd, const char *msg)
{
    ssize_t r = write(fd, msg, strlen(msg));
    (void)r;
    close(fd);
}

static struct conn *conn_new(struct worker *w, int fd, const struct sockaddr_storage *peer_in,
                             const struct sockaddr_storage *local_in);
static void parse_buffered(struct worker *w, struct conn *c);

/* Both ends of a connected socket (zeroed when unknown). */
static void
sock_addrs(int fd, struct sockaddr_storage *peer, struct sockaddr_storage *local)
{
    socklen_t pl = sizeof(*peer), ll = sizeof(*local);
    memset(peer, 0, sizeof(*peer));
    memset(local, 0, sizeof(*local));
    getpeername(fd, (struct sockaddr *)peer, &pl);
    getsockname(fd, (struct sockaddr *)local, &ll);
}

void
conn_accepted(struct worker *w, int fd)
{
    struct sockaddr_storage peer, local;
    sock_addrs(fd, &peer, &local);

    if (__atomic_add_fetch(&nclients, 1, __ATOMIC_RELAXED) > g_cfg.maxclients) {
        __atomic_sub_fetch(&nclients, 1, __ATOMIC_RELAXED);
        w->shard.stats.rejected_conns++;
        refuse(fd, "-ERR max number of clients reached\r\n");
        return;
    }
    if (conn_protected_mode_denies(&peer)) {
        __atomic_sub_fetch(&nclients, 1, __ATOMIC_RELAXED);
        w->shard.stats.rejected_conns++;
        refuse(fd, "-DENIED Running in protected mode because protected mode is enabled and no password is "
                   "set for the default user. Connect from the loopback interface, set a password, or "
                   "disable protected mode.\r\n");
        return;
    }

    struct conn *c = conn_new(w, fd, &peer, &local);
    conn_arm_recv(w, c);
}

/* The part of accepting shared with conn_adopt: options, the client,
 * its place in the worker's list. */
static struct conn *
conn_new(struct worker *w, int fd, const struct sockaddr_storage *peer_in, const struct sockaddr_storage *local_in)
{
    struct sockaddr_storage peer = *peer_in, local = *local_in;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (g_cfg.tcp_keepalive > 0) {
        int idle = g_cfg.tcp_keepalive, intvl = TS_MAX(g_cfg.tcp_keepalive / 3, 1), cnt = 3;
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
    }

    struct conn *c = ts_calloc(1, sizeof(*c));
    c->w = w;
    c->fd = fd;
    c->cl.id = __atomic_fetch_add(&next_client_id, 1, __ATOMIC_RELAXED);
    c->cl.worker = w->id;
    c->cl.fd = fd;
    c->cl.resp = 2;
    c->cl.ctime_ms = c->cl.last_ms = w->shard.now_ms;
    c->cl.last_cmd = "NULL";
    if (!g_cfg.requirepass || !g_cfg.requirepass[0])
        c->cl.flags |= CL_AUTHENTICATED;
    format_addr(&peer, c->cl.addr, sizeof(c->cl.addr));
    format_addr(&local, c->cl.laddr, sizeof(c->cl.laddr));
    if (runtime_local_ip_hook) {
        char ip[64];
        snprintf(ip, sizeof(ip), "%s", c->cl.laddr);
        char *colon = strrchr(ip, ':');
        if (colon)
            *colon = '\0';
        runtime_local_ip_hook(ip);
    }
    resp_parser_init(&c->parser, g_cfg.proto_max_bulk_len);
    obuf_init(&c->ob, &w->obuf_pool);
    c->ob.grew = conn_out_grew;
    c->wait_peer = -1;

    struct shard *sh = &w->shard;
    c->cl.next_in_worker = sh->clients;
    if (sh->clients)
        sh->clients->prev_in_worker = &c->cl;
    sh->clients = &c->cl;
    sh->stats.connections++;
    sh->stats.connected_clients++;
    w->nconns++;
    return c;
}

struct client *
conn_adopt(int fd, uint32_t flags, const void *pre, size_t npre)
{
    struct worker *w = worker_self();
    struct sockaddr_storage peer, local;
    sock_addrs(fd, &peer, &local);
    __atomic_add_fetch(&nclients, 1, __ATOMIC_RELAXED);
    struct conn *c = conn_new(w, fd, &peer, &local);
    c->cl.flags |= flags | CL_AUTHENTICATED;
    if (flags & CL_MASTER)
        c->cl.reply_mode = REPLY_OFF; /* a master gets no replies (REPLCONF ACK is pushed) */
    if (npre > 0) {
        ts_buf_append(&c->in, pre, npre);
        parse_buffered(w, c);
    }
    if (!c->closing)
        conn_arm_recv(w, c);
    return &c->cl;
}

void
conn_arm_recv(struct worker *w, struct conn *c)
{
    if (c->recv_armed || c->closing || c->throttled || c->eof)
        return;
    /* Multishot: one armed recv delivers every chunk until it ends (EOF,
     * error, out of buffers, or our cancel when throttling). */
    struct io_uring_sqe *sqe = worker_sqe(w);
    io_uring_prep_recv_multishot(sqe, c->fd, NULL, 0, 0);
    sqe->flags |= IOSQE_BUFFER_SELECT;
    sqe->buf_group = 0;
    io_uring_sqe_set_data64(sqe, ud_make(c, UD_RECV));
    c->recv_armed = true;
    c->recv_cancelled = false;
    c->inflight++;
}

/* Stop the multishot recv of a connection we do not want to read from for
 * now (too much work pending); conn_maybe_resume arms it again. */
static void
conn_pause_recv(struct worker *w, struct conn *c)
{
    if (!c->recv_armed || c->recv_cancelled)
        return;
    struct io_uring_sqe *sqe = worker_sqe(w);
    io_uring_prep_cancel64(sqe, ud_make(c, UD_RECV), 0);
    io_uring_sqe_set_data64(sqe, ud_make(NULL, UD_NOP));
    c->recv_cancelled = true;
}

static void
return_buffer(struct worker *w, unsigned bid)
{
    io_uring_buf_ring_add(w->br, w->br_mem + (size_t)bid * w->br_size, w->br_size, (unsigned short)bid,
                          io_uring_buf_ring_mask(w->br_count), 0);
    io_uring_buf_ring_advance(w->br, 1);
}

void
conn_free_if_done(struct worker *w, struct conn *c)
{
    if (!c->closing || c->inflight > 0 || c->pending > 0 || c->in_dirty)
        return;
    if ((c->cl.flags & CL_CLOSE_AFTER_REPLY) && obuf_pending(&c->ob)) /* the last replies still go out */
        return;
    if (!c->closed_fd) {
        close(c->fd);
        c->closed_fd = true;
    }
    resp_parser_deinit(&c->parser);
    ts_buf_free(&c->in);
    obuf_deinit(&c->ob);
    ts_free(c->cl.name);
    ts_free(c->cl.lib_name);
    ts_free(c->cl.lib_ver);
    ts_free(c);
}

/* Parse what is buffered in c->in (after throttling ends or more data). */
static void
parse_buffered(struct worker *w, struct conn *c)
{
    if (c->in.len == 0 || !conn_may_parse(c))
        return;
    c->dispatching = true;
    long used = dispatch_input(w, c, c->in.data, c->in.len);
    c->dispatching = false;
    if (used < 0) {
        c->in.len = 0;
        return;
    }
    ts_buf_consume(&c->in, (size_t)used);
}

/* A client that shut down its write side (read returned 0) is still owed
 * the replies to everything it sent before, as redis-server gives them: its
 * buffered commands are parsed as usual, and once none is left to run and
 * no reply is still being computed (another worker, a cross-worker
 * command, CLIENT PAUSE), the connection closes after its output is sent.
 * An incomplete command at EOF can never complete, so it is dropped. */
static void
conn_eof_check(struct worker *w, struct conn *c)
{
    if (!c->eof || c->closing || c->dispatching || c->throttled || c->pending > 0)
        return;
    c->cl.flags |= CL_CLOSE_AFTER_REPLY;
    conn_close(w, c);
}

void
conn_maybe_resume(struct worker *w, struct conn *c)
{
    if (c->closing || c->dispatching)
        return;
    if (c->throttled && conn_may_parse(c)) {
        parse_buffered(w, c);
        if (conn_may_parse(c)) {
            c->throttled = false;
            conn_arm_recv(w, c);
        }
    }
    conn_eof_check(w, c);
}

/* Feed the start of a new read into a partial command held in c->in: a
 * pending bulk gets exactly the bytes it lacks, a header or an inline line
 * a small piece at a time, until the command is complete (c->in empty) or
 * the read is used up. Returns how many bytes of data were consumed. Stops
 * early when parsing is not allowed (the rest is queued by the caller). */
#define PARTIAL_PIECE 256

static size_t
complete_partial(struct worker *w, struct conn *c, const char *data, size_t n)
{
    size_t off = 0;
    while (off < n && c->in.len > 0 && conn_may_parse(c)) {
        size_t want = resp_want(&c->parser), take = n - off;
        if (want > c->in.len)
            take = TS_MIN(take, want - c->in.len);
        else
            take = TS_MIN(take, (size_t)PARTIAL_PIECE);
        ts_buf_append(&c->in, data + off, take);
        off += take;
        parse_buffered(w, c);
        if ((long long)c->in.len > g_cfg.client_query_buffer_limit)
            break; /* the caller closes the connection */
    }
    return off;
}

void
conn_on_recv(struct worker *w, struct conn *c, struct io_uring_cqe *cqe)
{
    /* Hold the connection while working on it; when the multishot has
     * ended (no F_MORE), its own inflight count goes with the hold. */
    if (cqe->flags & IORING_CQE_F_MORE)
        conn_hold(c);
    else
        c->recv_armed = false;
    int res = cqe->res;
    if (res <= 0) {
        if ((res == -ENOBUFS || (res == -ECANCELED && c->recv_cancelled)) && !c->closing) {
            conn_arm_recv(w, c); /* buffers come back within this turn; throttled conns wait */
        } else if (res == 0 && !c->closing) {
            c->eof = true; /* half-closed: answer what came before, then close */
            conn_eof_check(w, c);
        } else if (!c->closing) {
            conn_close(w, c);
        }
        conn_release(w, c);
        return;
    }
    unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
    const char *data = w->br_mem + (size_t)bid * w->br_size;
    size_t n = (size_t)res;
    w->shard.stats.net_input_bytes += n;
    c->cl.tot_net_in += n;

    if (c->closing) {
        return_buffer(w, bid);
        conn_release(w, c);
        return;
    }
    /* A command left partial by the previous read is completed in c->in
     * with just the bytes it needs; what follows it is dispatched straight
     * from the receive buffer, so a pipeline of large values is not copied
     * a second time (and its keys were prefetched from there). */
    size_t off = complete_partial(w, c, data, n);
    if (off < n) {
        if (c->in.len == 0 && conn_may_parse(c)) {
            c->dispatching = true;
            long used = dispatch_input(w, c, data + off, n - off);
            c->dispatching = false;
            if (used >= 0 && (size_t)used < n - off && !c->closing)
                ts_buf_append(&c->in, data + off + used, n - off - (size_t)used);
        } else if (!c->closing) {
            ts_buf_append(&c->in, data + off, n - off);
            parse_buffered(w, c);
        }
    }
    return_buffer(w, bid);
    c->cl.qbuf = c->in.len;
    c->cl.qbuf_cap = c->in.cap;

    if (c->closing) {
        conn_release(w, c);
        return;
    }
    if ((long long)c->in.len > g_cfg.client_query_buffer_limit) {
        log_warn("Closing client that reached max query buffer length: id=%llu addr=%s (qbuf initial bytes: "
                 "%zu)",
                 (unsigned long long)c->cl.id, c->cl.addr, c->in.len);
        conn_close(w, c);
        conn_release(w, c);
        return;
    }
    if (!conn_may_parse(c)) {
        c->throttled = true;
        /* Stop reading only when the client is far ahead of us, or feeds a
         * congested worker queue (worker.c); a wait for a cross-worker
         * command or a CLIENT PAUSE is short, and its input is bounded by
         * client-query-buffer-limit anyway. */
        if (c->pending >= CONN_PENDING_HIGH || obuf_pending(&c->ob) >= CONN_OUT_HIGH || c->wait_peer >= 0 ||
            w->backlog_full)
            conn_pause_recv(w, c);
    }
    conn_arm_recv(w, c);
    conn_release(w, c);
}

void
conn_mark_output(struct worker *w, struct conn *c)
{
    if (c->in_dirty)
        return;
    c->in_dirty = true;
    c->flush_next = w->flush_head;
    w->flush_head = c;
}

/* Send what the list holds from its head: one block with send, several
 * with sendmsg (the common case of a connection that keeps up is one block
 * a turn, so it pays no msghdr). The blocks and c->smsg stay untouched
 * until the completion. */
static void
submit_send(struct worker *w, struct conn *c)
{
    struct io_uring_sqe *sqe = worker_sqe(w);
    const struct oblock *h = c->ob.head;
    if (h->next == NULL) {
        io_uring_prep_send(sqe, c->fd, h->b.data + c->ob.head_off, h->b.len - c->ob.head_off, MSG_NOSIGNAL);
    } else {
        memset(&c->smsg, 0, sizeof(c->smsg));
        c->smsg.msg_iov = c->siov;
        c->smsg.msg_iovlen = (size_t)obuf_iov(&c->ob, c->siov, CONN_SEND_IOV);
        io_uring_prep_sendmsg(sqe, c->fd, &c->smsg, MSG_NOSIGNAL);
    }
    io_uring_sqe_set_data64(sqe, ud_make(c, UD_SEND));
    c->send_armed = true;
    c->inflight++;
}

/* Seal the current block and hand the list to the kernel. */
static void
start_send(struct worker *w, struct conn *c)
{
    if (c->send_armed || c->closed_fd)
        return;
    obuf_seal(&c->ob);
    if (c->ob.head == NULL)
        return;
    submit_send(w, c);
}

/* Replies wait for the next one when it is on its way back from another
 * worker: a pipeline whose keys are spread over the workers then leaves in
 * one send, not in a send per reply that happened to be ready. The
 * arrival of that reply makes the head done and the next turn sends; a
 * connection with CONN_HOLD_MAX bytes ready, or held CONN_HOLD_US already
 * (a request waiting on the other worker for a transaction's keys, say),
 * sends at once. Held connections stay in_dirty, so they are neither
 * listed twice nor freed while held. */
#define CONN_HOLD_MAX (16 * 1024)
static inline bool
conn_hold_output(const struct conn *c)
{
    const struct req *h = c->fifo_head;
    return h != NULL && !h->done && h->remote && !c->closing && obuf_pending(&c->ob) < CONN_HOLD_MAX;
}

static void
conn_flush_one(struct worker *w, struct conn *c)
{
    c->in_dirty = false;
    if ((!c->closing || (c->cl.flags & CL_CLOSE_AFTER_REPLY)) && !(c->cl.flags & CL_CLOSE_ASAP))
        start_send(w, c); /* its seal may find the client over its output limit */
    if (unlikely(c->cl.flags & CL_CLOSE_ASAP) && !c->closing)
        conn_close(w, c); /* over its output limit: what it has is dropped */
    conn_out_publish(c);
    if (c->closing)
        conn_free_if_done(w, c);
}

void
conn_flush_all(struct worker *w)
{
    uint64_t now_us = 0;
    struct conn *c = w->held_head;
    w->held_head = NULL;
    if (c)
        now_us = ts_monotonic_us();
    while (c) {
        struct conn *next = c->flush_next;
        if (conn_hold_output(c) && now_us - c->held_since_us < CONN_HOLD_US) {
            c->flush_next = w->held_head;
            w->held_head = c;
        } else {
            conn_flush_one(w, c);
        }
        c = next;
    }
    c = w->flush_head;
    w->flush_head = NULL;
    while (c) {
        struct conn *next = c->flush_next;
        if (conn_hold_output(c)) {
            if (now_us == 0)
                now_us = ts_monotonic_us();
            c->held_since_us = now_us;
            c->flush_next = w->held_head;
            w->held_head = c;
        } else {
            conn_flush_one(w, c);
        }
        c = next;
    }
}

void
conn_on_send(struct worker *w, struct conn *c, int res)
{
    c->send_armed = false; /* the send's inflight count is our hold until conn_release */
    if (res < 0) {
        if (!c->closing)
            conn_close(w, c);
        conn_release(w, c);
        return;
    }
    w->shard.stats.net_output_bytes += (uint64_t)res;
    c->cl.tot_net_out += (uint64_t)res;
    obuf_consume(&c->ob, (size_t)res);
    if (c->ob.head) {
        submit_send(w, c);
        conn_release(w, c);
        return;
    }
    if (c->ob.cur.len && (!c->closing || (c->cl.flags & CL_CLOSE_AFTER_REPLY))) {
        start_send(w, c);
        conn_release(w, c);
        return;
    }
    conn_out_publish(c);
    if (c->closing && (c->cl.flags & CL_CLOSE_AFTER_REPLY) && c->pending == 0) {
        c->cl.flags &= ~(uint32_t)CL_CLOSE_AFTER_REPLY;
        shutdown(c->fd, SHUT_RDWR);
    }
    conn_maybe_resume(w, c);
    conn_release(w, c);
}


/* Stop serving c. Output already queued is still sent when the connection
 * is closing after a reply (QUIT, protocol error); otherwise it is dropped.
 * shutdown() makes a pending recv complete so the fd can be closed. */
void
conn_close(struct worker *w, struct conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    struct shard *sh = &w->shard;
    if (w->cron_cursor == &c->cl)
        w->cron_cursor = c->cl.next_in_worker;
    if (c->cl.prev_in_worker)
        c->cl.prev_in_worker->next_in_worker = c->cl.next_in_worker;
    else
        sh->clients = c->cl.next_in_worker;
    if (c->cl.next_in_worker)
        c->cl.next_in_worker->prev_in_worker = c->cl.prev_in_worker;
    sh->stats.connected_clients--;
    w->nconns--;
    __atomic_sub_fetch(&nclients, 1, __ATOMIC_RELAXED);
    if (c->cl.flags & CL_MONITOR)
        monitor_client_closed(&c->cl);
    if (c->cl.pubsub)
        pubsub_client_clear(sh, &c->cl);
    if (c->cl.multi)
        multi_client_clear(sh, &c->cl);
    if (c->cl.repl && repl_client_closed_hook)
        repl_client_closed_hook(&c->cl);
    if (c->cl.flags & CL_CLOSE_AFTER_REPLY) {
        if (obuf_pending(&c->ob) || c->send_armed || c->pending) {
            conn_mark_output(w, c);
            if (c->recv_armed)
                shutdown(c->fd, SHUT_RD);
            return;
        }
    }
    if (c->inflight > 0)
        shutdown(c->fd, SHUT_RDWR);
    conn_free_if_done(w, c);
}

/* Close a client from a command (CLIENT KILL); runs on the owning worker. */
void
conn_close_client(struct client *cl)
{
    struct conn *c = (struct conn *)cl;
    conn_close(c->w, c);
}

/* Per cron tick: close clients idle for longer than `timeout` seconds, as
 * Redis does (clients waiting for a reply are not idle). Walks at most a
 * bounded slice of the client list per tick so a worker with many
 * connections never stalls. */
void
conn_cron(struct worker *w)
{
    int timeout = __atomic_load_n(&g_cfg.timeout, __ATOMIC_RELAXED);
    if (timeout <= 0)
        return;
    int64_t limit = w->shard.now_ms - (int64_t)timeout * 1000;
    int budget = 1000;
    struct client *cl = w->cron_cursor ? w->cron_cursor : w->shard.clients;
    while (cl && budget-- > 0) {
        struct client *next = cl->next_in_worker;
        struct conn *c = (struct conn *)cl;
        if (cl->last_ms < limit && c->pending == 0 &&
            !(cl->flags & (CL_MONITOR | CL_MASTER | CL_REPLICA | CL_PUBSUB))) { /* as Redis: subscribers never idle out */
            log_verbose("Closing idle client id=%llu addr=%s", (unsigned long long)cl->id, cl->addr);
            conn_close(w, c);
        }
        cl = next;
    }
    w->cron_cursor = cl;
}
