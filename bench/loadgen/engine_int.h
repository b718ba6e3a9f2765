/* engine_int.h: the connection layer shared by engine.c (thread loop,
 * requests, replies) and conn.c (connect, send, recv, reconnect). Private
 * to bench/loadgen/.
 *
 * A connection's life:
 *
 *   NEW -> CONNECTING --ok--> UP --error/EOF--> CLOSING --ops drained-->
 *              |  ^                                          BACKOFF
 *              |  '------------- retry_at reached -------------'
 *              '--fail--> CLOSING           BACKOFF --node owns no slot--> RETIRED
 *
 * ops counts this connection's SQEs in flight; the socket is closed only
 * when it is 0, so no completion can name a reused descriptor. */
#ifndef LOADGEN_ENGINE_INT_H
#define LOADGEN_ENGINE_INT_H

#include "bench/loadgen/engine.h"

#include <netinet/in.h>
#include <sys/socket.h>

#define LG_TMPL_ASKING 0xff
#define LG_BACKOFF_MIN_NS 10000000ull
#define LG_BACKOFF_MAX_NS 1000000000ull
#define LG_RBUF_MIN (64u << 10)
#define LG_RBUF_MAX (256u << 20)

/* ---- user_data: connection pointer | operation (liburing proxy.h) ---- */

enum lg_op { LG_OP_CONNECT = 1, LG_OP_SEND = 2, LG_OP_RECV = 3, LG_OP_LTIMEOUT = 4 };

static inline uint64_t
ud_make(struct lg_conn *c, enum lg_op op)
{
    return (uint64_t)(uintptr_t)c | (uint64_t)op;
}

/* ---- Connections and clients ---- */

struct lg_req {
    uint64_t start;    /* send time, or scheduled time in open loop (ns) */
    uint64_t key;
    uint32_t vlen;
    uint8_t tmpl;      /* template index, or LG_TMPL_ASKING */
    uint8_t redirects;
};

struct lg_fifo {
    struct lg_req *a;
    uint32_t head, tail, mask; /* head == tail: empty; capacity mask + 1 */
};

struct lg_buf {
    char *data;
    size_t len, cap;
};

enum lg_conn_state { CS_NEW, CS_CONNECTING, CS_UP, CS_CLOSING, CS_BACKOFF, CS_RETIRED };

struct lg_conn {
    struct lg_thread *t;
    struct lg_client *cl;
    int node;
    int fd;
    enum lg_conn_state state;
    unsigned ops;
    bool send_posted, recv_posted, dirty, ever_up;
    struct lg_buf out[2];  /* out[cur] is being sent, out[cur ^ 1] fills */
    int cur;
    size_t send_off;
    char *rbuf;
    size_t rlen, rcap;
    struct lg_scan scan;
    struct lg_fifo fifo;
    uint64_t backoff, retry_at;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    struct __kernel_timespec cto; /* connect timeout, read at submit */
};

struct lg_client {
    struct lg_conn *conns[LG_MAX_NODES]; /* by node index; [0] standalone */
    uint32_t inflight;
    uint32_t rr;        /* keyless commands: round robin over masters */
    uint64_t next_due;  /* open loop */
};


static inline uint32_t
lg_fifo_len(const struct lg_fifo *f)
{
    return f->tail - f->head;
}


/* ---- conn.c ---- */

void *lg_xrealloc(void *p, size_t n);
/* The client's connection to node (index in t->map; 0 standalone),
 * created and connecting on first use; a RETIRED one reconnects. */
struct lg_conn *lg_conn_get(struct lg_thread *t, struct lg_client *cl, int node, uint64_t now);
/* Open a socket and submit connect + link timeout. */
void lg_conn_start(struct lg_conn *c, uint64_t now);
/* Lost: count a conn-error, drop what is in flight, reconnect later. */
void lg_conn_fail(struct lg_conn *c, int err, uint64_t now);
void lg_conn_drop_queued(struct lg_conn *c);
/* Queue one request (ASKING first with asking); key is the rendered key
 * or NULL (rendered here from r->key). */
void lg_conn_enqueue(struct lg_conn *c, const struct lg_req *r, bool asking, const char *key);
/* One send per connection with everything queued since the last. */
void lg_conn_flush_dirty(struct lg_thread *t);
void lg_conn_handle_cqe(struct lg_thread *t, struct io_uring_cqe *cqe, uint64_t now);

/* ---- engine.c ---- */

/* A complete reply arrived on c; false when c failed meanwhile. */
bool lg_reply_done(struct lg_conn *c, const struct lg_reply *rep, uint64_t now);

#endif
