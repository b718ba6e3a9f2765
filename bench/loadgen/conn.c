/* conn.c: loadgen's connections: connect (with a linked timeout), the
 * double-buffered send, the recv buffer and its reply scan, failure and
 * reconnect with back-off (engine_int.h has the state diagram). */
#include "bench/loadgen/engine_int.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char lg_asking[] = "*1\r\n$6\r\nASKING\r\n";

void *
lg_xrealloc(void *p, size_t n)
{
    p = realloc(p, n);
    if (p == NULL) {
        fprintf(stderr, "loadgen: out of memory\n");
        abort();
    }
    return p;
}

/* Append a request; the ring doubles when full, keeping the order. */
static void
fifo_push(struct lg_fifo *f, const struct lg_req *r)
{
    if (f->a == NULL || f->tail - f->head > f->mask) {
        uint32_t cap = f->a ? (f->mask + 1) * 2 : 64;
        struct lg_req *a = lg_xrealloc(NULL, cap * sizeof(*a));
        uint32_t n = f->a ? f->tail - f->head : 0;
        for (uint32_t i = 0; i < n; i++)
            a[i] = f->a[(f->head + i) & f->mask];
        free(f->a);
        f->a = a;
        f->head = 0;
        f->tail = n;
        f->mask = cap - 1;
    }
    f->a[f->tail++ & f->mask] = *r;
}

static inline void
buf_reserve(struct lg_buf *b, size_t n)
{
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        b->data = lg_xrealloc(b->data, cap);
        b->cap = cap;
    }
}

/* An SQE, submitting what is queued first if the ring is full. */
static struct io_uring_sqe *
get_sqe(struct lg_thread *t)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&t->ring);
    if (sqe == NULL) {
        io_uring_submit(&t->ring);
        sqe = io_uring_get_sqe(&t->ring);
    }
    return sqe; /* never NULL right after a submit */
}

/* Remember that c has requests to send (flushed once per loop turn). */
static void
mark_dirty(struct lg_conn *c)
{
    if (!c->dirty) {
        c->dirty = true;
        c->t->dirty[c->t->ndirty++] = c;
    }
}

/* One recv into the free end of rbuf, doubling it when full (a line or
 * header longer than the buffer; conn_on_data bounds the growth). */
static void
post_recv(struct lg_conn *c)
{
    if (c->rlen == c->rcap) {
        c->rcap *= 2;
        c->rbuf = lg_xrealloc(c->rbuf, c->rcap);
    }
    struct io_uring_sqe *sqe = get_sqe(c->t);
    io_uring_prep_recv(sqe, c->fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
    io_uring_sqe_set_data64(sqe, ud_make(c, LG_OP_RECV));
    c->recv_posted = true;
    c->ops++;
    c->t->ops++;
}

/* Send the rest of out[cur]; out[cur ^ 1] keeps filling meanwhile. */
static void
post_send(struct lg_conn *c)
{
    struct lg_buf *b = &c->out[c->cur];
    struct io_uring_sqe *sqe = get_sqe(c->t);
    io_uring_prep_send(sqe, c->fd, b->data + c->send_off, b->len - c->send_off, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, ud_make(c, LG_OP_SEND));
    c->send_posted = true;
    c->ops++;
    c->t->ops++;
}

/* host:port -> socket address (the first getaddrinfo answer). */
static int
resolve(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
    char ps[16];
    snprintf(ps, sizeof(ps), "%d", port);
    if (getaddrinfo(host, ps, &hints, &ai) != 0)
        return -EHOSTUNREACH;
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}

/* Open a socket and submit connect, linked to a timeout. */
void
lg_conn_start(struct lg_conn *c, uint64_t now)
{
    struct lg_thread *t = c->t;
    if (c->state == CS_BACKOFF)
        t->nbackoff--;
    c->fd = socket(c->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        c->state = CS_CONNECTING;
        lg_conn_fail(c, -errno, now);
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    c->state = CS_CONNECTING;
    c->cto.tv_sec = t->o->connect_timeout_ms / 1000;
    c->cto.tv_nsec = (long long)(t->o->connect_timeout_ms % 1000) * 1000000;
    if (io_uring_sq_space_left(&t->ring) < 2) /* keep the linked pair in one batch */
        io_uring_submit(&t->ring);
    struct io_uring_sqe *sqe = get_sqe(t);
    io_uring_prep_connect(sqe, c->fd, (struct sockaddr *)&c->addr, c->addrlen);
    io_uring_sqe_set_data64(sqe, ud_make(c, LG_OP_CONNECT));
    sqe->flags |= IOSQE_IO_LINK;
    sqe = get_sqe(t);
    io_uring_prep_link_timeout(sqe, &c->cto, 0);
    io_uring_sqe_set_data64(sqe, ud_make(c, LG_OP_LTIMEOUT));
    c->ops += 2;
    t->ops += 2;
}

/* The client's connection to a node, created (and connecting) on first use. */
struct lg_conn *
lg_conn_get(struct lg_thread *t, struct lg_client *cl, int node, uint64_t now)
{
    struct lg_conn *c = cl->conns[node];
    if (c) {
        if (c->state == CS_RETIRED) { /* the node owns slots again */
            c->state = CS_BACKOFF;
            c->retry_at = now;
            t->nbackoff++;
        }
        return c;
    }
    c = lg_xrealloc(NULL, sizeof(*c));
    memset(c, 0, sizeof(*c));
    c->t = t;
    c->cl = cl;
    c->node = node;
    c->fd = -1;
    c->rcap = LG_RBUF_MIN;
    c->rbuf = lg_xrealloc(NULL, c->rcap);
    c->backoff = LG_BACKOFF_MIN_NS;
    lg_scan_reset(&c->scan);
    cl->conns[node] = c;
    if (t->nconns == t->conns_cap) {
        t->conns_cap = t->conns_cap ? t->conns_cap * 2 : 64;
        t->conns = lg_xrealloc(t->conns, (size_t)t->conns_cap * sizeof(*t->conns));
        t->dirty = lg_xrealloc(t->dirty, (size_t)t->conns_cap * sizeof(*t->dirty));
    }
    t->conns[t->nconns++] = c;
    const char *host = t->o->cluster ? t->map.nodes[node].host : t->o->host;
    int port = t->o->cluster ? t->map.nodes[node].port : t->o->port;
    int ret = resolve(host, port, &c->addr, &c->addrlen);
    if (ret < 0) {
        c->state = CS_CONNECTING;
        lg_conn_fail(c, ret, now);
        return c;
    }
    lg_conn_start(c, now);
    return c;
}

/* Forget every request queued or in flight on c: each is lost, and frees
 * its client's in-flight slot. */
void
lg_conn_drop_queued(struct lg_conn *c)
{
    struct lg_thread *t = c->t;
    for (; c->fifo.head != c->fifo.tail; c->fifo.head++) {
        struct lg_req *r = &c->fifo.a[c->fifo.head & c->fifo.mask];
        if (r->tmpl == LG_TMPL_ASKING)
            continue;
        c->cl->inflight--;
        t->inflight--;
        t->lost++;
    }
}

/* Every operation of a failed connection has completed: close the socket
 * and schedule the reconnect (back-off doubles up to LG_BACKOFF_MAX_NS). */
static void
conn_closed(struct lg_conn *c, uint64_t now)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->out[0].len = c->out[1].len = 0;
    c->send_off = 0;
    c->state = CS_BACKOFF;
    c->retry_at = now + c->backoff;
    c->backoff = c->backoff * 2 > LG_BACKOFF_MAX_NS ? LG_BACKOFF_MAX_NS : c->backoff * 2;
    c->t->nbackoff++;
}

/* The connection is lost: count it, drop what it had in flight (lost),
 * shut the socket so posted operations complete, and reconnect once they
 * have (conn_closed). Requests queued later wait for the reconnect. */
void
lg_conn_fail(struct lg_conn *c, int err, uint64_t now)
{
    struct lg_thread *t = c->t;
    if (c->state == CS_CLOSING || c->state == CS_BACKOFF || c->state == CS_RETIRED)
        return;
    const char *host = t->o->cluster ? t->map.nodes[c->node].host : t->o->host;
    int port = t->o->cluster ? t->map.nodes[c->node].port : t->o->port;
    char msg[160];
    int n = snprintf(msg, sizeof(msg), "%s:%d: %s", host, port, strerror(-err));
    lg_errtab_add(&t->errs, "conn-error", 10, msg, (size_t)n, 1);
    if (!t->started && !t->start_err[0])
        snprintf(t->start_err, sizeof(t->start_err), "%s", msg);
    lg_conn_drop_queued(c);
    c->out[c->cur ^ 1].len = 0; /* out[cur] may still be read by a send */
    c->rlen = 0;
    lg_scan_reset(&c->scan);
    if (t->o->cluster)
        t->refresh_wanted = true;
    c->state = CS_CLOSING;
    if (c->fd >= 0)
        shutdown(c->fd, SHUT_RDWR);
    if (c->ops == 0)
        conn_closed(c, now);
}

/* Connected: post the first recv and send whatever queued meanwhile. */
static void
conn_up(struct lg_conn *c)
{
    c->state = CS_UP;
    c->backoff = LG_BACKOFF_MIN_NS;
    if (c->ever_up)
        c->t->reconnects++;
    c->ever_up = true;
    post_recv(c);
    if (c->out[c->cur ^ 1].len)
        mark_dirty(c);
}

/* Append one request (ASKING first when asked) to the filling buffer. */
void
lg_conn_enqueue(struct lg_conn *c, const struct lg_req *r, bool asking, const char *key)
{
    struct lg_thread *t = c->t;
    const struct lg_cmdgen *g = &t->o->gen;
    const struct lg_tmpl *tm = &g->tmpl[r->tmpl];
    char kbuf[LG_MAX_KEY];
    if (key == NULL && tm->has_key) {
        lg_key_render(g, r->key, kbuf);
        key = kbuf;
    }
    struct lg_buf *b = &c->out[c->cur ^ 1];
    buf_reserve(b, lg_tmpl_size(g, tm, r->vlen) + sizeof(lg_asking));
    if (asking) {
        memcpy(b->data + b->len, lg_asking, sizeof(lg_asking) - 1);
        b->len += sizeof(lg_asking) - 1;
        struct lg_req ask = {.tmpl = LG_TMPL_ASKING};
        fifo_push(&c->fifo, &ask);
    }
    b->len += lg_tmpl_render(g, tm, key, r->vlen, b->data + b->len);
    fifo_push(&c->fifo, r);
    mark_dirty(c);
}

void
lg_conn_flush_dirty(struct lg_thread *t)
{
    for (int i = 0; i < t->ndirty; i++) {
        struct lg_conn *c = t->dirty[i];
        c->dirty = false;
        if (c->state == CS_UP && !c->send_posted && c->out[c->cur ^ 1].len) {
            c->cur ^= 1;
            c->send_off = 0;
            post_send(c);
        }
    }
    t->ndirty = 0;
}

/* n new bytes arrived: scan out complete replies, keep a partial line. */
static void
conn_on_data(struct lg_conn *c, size_t n, uint64_t now)
{
    c->rlen += n;
    c->t->bytes_in += n;
    size_t pos = 0;
    while (pos < c->rlen) {
        struct lg_reply rep;
        size_t used;
        int r = lg_scan_feed(&c->scan, c->rbuf + pos, c->rlen - pos, &used, &rep);
        pos += used;
        if (r == 1) {
            if (!lg_reply_done(c, &rep, now))
                return;
            continue;
        }
        if (r < 0) {
            lg_errtab_add(&c->t->errs, "protocol", 8, "unparseable reply", 17, 1);
            lg_conn_fail(c, -EPROTO, now);
            return;
        }
        break;
    }
    if (pos) {
        memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
        c->rlen -= pos;
    }
    if (c->rlen == c->rcap && c->rcap >= LG_RBUF_MAX) {
        lg_errtab_add(&c->t->errs, "protocol", 8, "reply line too long", 19, 1);
        lg_conn_fail(c, -E2BIG, now);
        return;
    }
    post_recv(c);
}

/* One completion: the operation is in the low bits of user_data, the
 * connection in the rest. During teardown only the counts matter. */
void
lg_conn_handle_cqe(struct lg_thread *t, struct io_uring_cqe *cqe, uint64_t now)
{
    uint64_t ud = io_uring_cqe_get_data64(cqe);
    struct lg_conn *c = (struct lg_conn *)(uintptr_t)(ud & ~(uint64_t)7);
    enum lg_op op = (enum lg_op)(ud & 7);
    int res = cqe->res;
    c->ops--;
    t->ops--;
    if (t->closing_all) /* teardown: shut sockets complete their operations */
        return;
    switch (op) {
    case LG_OP_CONNECT:
        if (c->state != CS_CONNECTING)
            break;
        if (res == 0)
            conn_up(c);
        else
            lg_conn_fail(c, res == -ECANCELED ? -ETIMEDOUT : res, now);
        break;
    case LG_OP_SEND:
        c->send_posted = false;
        if (c->state != CS_UP) {
            c->out[c->cur].len = 0;
            break;
        }
        if (res < 0) {
            lg_conn_fail(c, res, now);
            break;
        }
        t->bytes_out += (uint64_t)res;
        c->send_off += (size_t)res;
        if (c->send_off < c->out[c->cur].len) {
            post_send(c); /* short send: the rest */
        } else {
            c->out[c->cur].len = 0;
            c->send_off = 0;
            if (c->out[c->cur ^ 1].len)
                mark_dirty(c);
        }
        break;
    case LG_OP_RECV:
        c->recv_posted = false;
        if (c->state != CS_UP)
            break;
        if (res <= 0)
            lg_conn_fail(c, res == 0 ? -ECONNRESET : res, now);
        else
            conn_on_data(c, (size_t)res, now);
        break;
    default:
        break;
    }
    if (c->state == CS_CLOSING && c->ops == 0)
        conn_closed(c, now);
}

