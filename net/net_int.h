/* net_int.h: private types of the runtime (net/): workers, connections,
 * cross-worker messages and requests. Not used outside net/.
 *
 * Threads share nothing but messages. Each ordered pair of workers has a
 * single-producer single-consumer ck_ring of message pointers:
 *
 *   worker A --ring[A][B]--> worker B      (A produces, B consumes)
 *   worker A <--ring[B][A]-- worker B
 *
 * A message is a struct wmsg whose run() the receiver calls. A request
 * (struct req) is a message that carries one client command to the worker
 * owning its slot and comes back with the reply; the connection keeps its
 * requests in a FIFO and releases replies strictly in request order. */
#ifndef TESSERA_NET_INT_H
#define TESSERA_NET_INT_H

#include <ck_ring.h>
#include <liburing.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "core/buf.h"
#include "core/obuf.h"
#include "core/client.h"
#include "core/cmd.h"
#include "core/shard.h"
#include "net/prefetch.h"
#include "net/resp.h"

struct worker;
struct wmsg;
struct tx;

typedef void (*wmsg_run_fn)(struct worker *w, struct wmsg *m);

struct wmsg {
    wmsg_run_fn run;
    struct wmsg *next; /* in the sender's backlog while the ring is full */
};

/* ---- user_data encoding: pointer | op in the low 3 bits ---- */
enum ud_op { UD_ACCEPT = 1, UD_RECV = 2, UD_SEND = 3, UD_WAKE = 4, UD_INBOX = 5, UD_NOP = 6 };
static inline uint64_t
ud_make(void *p, enum ud_op op)
{
    return (uint64_t)(uintptr_t)p | (uint64_t)op;
}
static inline enum ud_op
ud_op(uint64_t ud)
{
    return (enum ud_op)(ud & 7);
}
static inline void *
ud_ptr(uint64_t ud)
{
    return (void *)(uintptr_t)(ud & ~(uint64_t)7);
}

/* ---- Requests ---- */
#define REQ_INLINE_ARGS 8
struct conn;

struct req {
    struct wmsg msg;           /* first: a req travels as a message */
    struct req *next;          /* in the connection's FIFO */
    struct conn *conn;         /* origin connection (only the origin touches it) */
    int origin;                /* worker that owns conn */
    int target;                /* worker that must execute */
    int hops;                  /* forwards so far (bounded) */
    bool done;                 /* reply is in .reply */
    bool suppress;             /* CLIENT REPLY OFF/SKIP: drop the reply */
    bool skip_reply;           /* paused while under CLIENT REPLY SKIP */
    bool tx_pending;           /* a cross-worker transaction waiting for the earlier requests */
    bool self_queued;          /* counted in conn->self_queued until it runs */
    bool remote;               /* sent to another worker to run there (send_req) */
    bool head_wait;            /* a keyless command run once it is the FIFO head (process_command) */
    uint64_t khash;            /* its first key's keyspace hash, set by prefetch_requests on the target; 0: none */
    struct tx *txp;            /* a transaction a command prepared, launched when first in the FIFO */
    uint8_t resp;
    uint32_t cflags;
    uint64_t client_id;
    int slot;
    const struct cmd_def *cmd;
    int argc;
    struct sv *argv;           /* points into argbuf */
    struct sv argv_inline[REQ_INLINE_ARGS];
    struct sv *argv_heap;
    int argv_heap_cap;
    struct ts_buf argbuf;      /* copies of the argument bytes */
    struct ts_buf reply;
    size_t acct;               /* reply bytes counted in conn->fifo_bytes */
    int credit_dst;            /* worker whose request credit this holds, -1 if none */
    void *fanout;              /* fan-out state when this req waits for one */
    struct req *wait_next;     /* key-lock / pause wait lists */
};

/* ---- Connections ---- */
/* The longest a connection's ready replies wait for the next one to come
 * back from another worker (conn_flush_all); a worker holding some never
 * sleeps longer than this. */
#define CONN_HOLD_US 500
#define CONN_SEND_IOV 16 /* blocks per send (16 x 16 KB) */

struct conn {
    struct client cl;          /* first: core sees &conn->cl */
    struct worker *w;
    int fd;
    int inflight;              /* io_uring ops in flight (recv, send, close) */
    bool recv_armed;           /* a multishot recv is active */
    bool recv_cancelled;       /* ... and we asked to cancel it (throttling) */
    bool send_armed;
    bool closing;              /* no more reads; free when drained */
    bool closed_fd;
    bool throttled;            /* reading paused (too much pending work) */
    bool in_dirty;             /* listed for output: in w->flush_head, or held in w->held_head */
    bool dispatching;          /* inside dispatch_input: no re-entrant parsing */
    bool asking_now;           /* the command being dispatched runs under ASKING
                                * (the one-shot flag is already cleared in cl) */
    bool paused;               /* a command waits for CLIENT PAUSE to end */
    bool tx_active;            /* a cross-worker transaction of this connection runs: parse nothing more */
    bool head_wait;            /* a keyless command waits for the earlier ones (dispatch_deliver): parse nothing more */
    int self_queued;           /* its requests and fan-out parts waiting in this worker's own ring */
    bool eof;                  /* the client shut down its write side: answer, then close */
    int wait_peer;             /* fed that worker's queue past its watermark: parse nothing until it drains (-1: none) */
    struct ts_buf in;          /* unconsumed query bytes */
    struct resp_parser parser;
    struct obuf ob;            /* replies: a block list; the kernel sends from its head */
    size_t fifo_bytes;         /* reply bytes of finished requests held in the FIFO */
    int64_t obuf_soft_ms;      /* since when output is over the soft limit (0: it is not) */
    struct req *fifo_head;     /* requests awaiting replies, in order */
    struct req *fifo_tail;
    int pending;               /* requests in the FIFO */
    struct conn *flush_next;   /* next in w->flush_head or w->held_head */
    uint64_t held_since_us;    /* when its output was first held (conn_flush_all) */
    struct msghdr smsg;        /* a send of several blocks (untouched while in flight) */
    struct iovec siov[CONN_SEND_IOV];
};

/* ---- Workers ----
 *
 * Bounded hand-offs (worker.c has the full argument). A message goes into
 * the ring to its destination, or, when the ring is full, into a backlog
 * kept by the sender in order. No sender ever waits for space, so no cycle
 * of workers can wait on each other; instead the work that feeds a queue
 * is throttled at its source, the client connections:
 *
 *   ring occupancy >= WRING_HIGH, or any backlog  -> the peer is congested:
 *       a connection whose command sends to it stops parsing (wait_peer)
 *       and reading (its recv is cancelled) until the peer drains
 *   ring occupancy <= WRING_LOW and no backlog    -> not congested; its
 *       waiting connections resume
 *   backlog total >= WBACKLOG_MAX                 -> every connection of
 *       the worker stops parsing until the backlogs are empty
 *
 * Replies, fan-out acks and forwarded requests are never throttled: they
 * finish work already admitted, so every queue keeps draining. */
#define WRING_SIZE 4096
#define WRING_HIGH (WRING_SIZE * 3 / 4)
#define WRING_LOW (WRING_SIZE / 4)
#define WBACKLOG_MAX 1024

struct peer_out {
    struct wmsg *ovf_head, *ovf_tail; /* backlog: messages waiting for ring space, in order */
    uint32_t novf;                    /* its length */
    bool congested;                   /* past WRING_HIGH (or backlogged) and not yet back to WRING_LOW */
    bool dirty;                       /* something was sent this turn: maybe wake */
};

/* Work posted to a worker by another thread (runtime_post). */
struct post_item {
    struct post_item *next;
    void (*fn)(void *arg, int worker);
    void *arg;
};

struct worker {
    int id;
    int cpu;
    pthread_t thread;
    struct io_uring ring;
    int ring_fd;
    struct shard shard;
    int listen_fds[8];
    int nlisten;
    unsigned accept_armed;     /* listeners with a multishot accept in flight */
    unsigned accept_paused;    /* listeners whose accept waits for the next cron tick */
    /* provided receive buffers */
    struct io_uring_buf_ring *br;
    char *br_mem;
    unsigned br_count;
    unsigned br_size;
    /* messaging */
    int sleeping;              /* atomic: 1 while blocked in io_uring_enter */
    struct peer_out out[MAX_WORKERS];
    int ncongested;            /* peers with .congested set */
    uint32_t backlog_total;    /* sum of out[].novf */
    bool backlog_full;         /* backlog_total reached WBACKLOG_MAX: no connection parses */
    bool resume_conns;         /* congestion ended: resume the connections that waited */
    struct conn *feeder;       /* the connection whose input is being dispatched (or NULL) */
    uint32_t backlog_peak;     /* largest backlog_total seen (tests, diagnostics) */
    uint64_t congestions;      /* times a peer became congested */
    struct conn *flush_head;   /* connections with output to send */
    struct conn *held_head;    /* connections whose output waits for a reply from another worker */
    struct obuf_pool obuf_pool; /* spare output blocks of this worker's connections */
    struct req *req_pool;      /* free requests (origin-owned) */
    struct prefetch_hints hints; /* slots of the keys of the window being run */
    struct cmd_name_cache name_cache; /* resolve_command's last look-up */
    struct wmsg *tx_wait_head; /* messages waiting for transactions' intents here (dispatch.c) */
    struct wmsg *tx_wait_tail;
    struct wmsg *sm_held_head; /* requests held for slots moving here (slot_move.h), in arrival order */
    struct wmsg *sm_held_tail;
    struct req *paused_head;   /* commands held by CLIENT PAUSE, in arrival order */
    struct req *paused_tail;
    int nconns;
    struct client *cron_cursor; /* where conn_cron resumes in the client list */
    uint64_t next_cron_us;
    bool stopping;
    /* inbox: work posted by threads that are not workers (runtime_post) */
    pthread_mutex_t inbox_lock;
    struct post_item *inbox_head, *inbox_tail; /* under inbox_lock */
    int inbox_pending;         /* atomic: the inbox is not empty (one relaxed load per loop turn) */
    int inbox_fd;              /* eventfd the worker keeps a read armed on, to wake it */
    uint64_t inbox_fd_buf;     /* that read's target */
};

extern struct worker *g_workers[MAX_WORKERS];
extern int g_nworkers;

/* ring[src][dst] */
struct wring {
    ck_ring_t ring;
    ck_ring_buffer_t *buf;
} __attribute__((aligned(64)));
extern struct wring *g_wrings; /* g_nworkers * g_nworkers */

static inline struct wring *
wring_at(int src, int dst)
{
    return &g_wrings[src * g_nworkers + dst];
}

/* worker.c */
void worker_send(struct worker *w, int dst, struct wmsg *m);
void worker_resume_waiting(struct worker *w);
struct worker *worker_self(void);
struct io_uring_sqe *worker_sqe(struct worker *w);

/* conn.c */
void conn_accepted(struct worker *w, int fd);
/* A socket the server connected itself (the link to our master) made a
 * client of the calling worker with flags (CL_MASTER: no replies); pre
 * holds bytes already read from it, parsed first. */
struct client *conn_adopt(int fd, uint32_t flags, const void *pre, size_t npre);
/* True when protected mode refuses a client from peer (no password set,
 * peer not on loopback). */
bool conn_protected_mode_denies(const struct sockaddr_storage *peer);
void conn_on_recv(struct worker *w, struct conn *c, struct io_uring_cqe *cqe);
void conn_on_send(struct worker *w, struct conn *c, int res);
void conn_flush_all(struct worker *w);
void conn_mark_output(struct worker *w, struct conn *c);
void conn_close(struct worker *w, struct conn *c);
void conn_maybe_resume(struct worker *w, struct conn *c);
void conn_arm_recv(struct worker *w, struct conn *c);
void conn_cron(struct worker *w);
void conn_free_if_done(struct worker *w, struct conn *c);
void conn_close_client(struct client *cl);
/* Entry points from the event loop hold the connection while they work on
 * it, so nothing inside can free it; the release frees it if it is done. */
static inline void
conn_hold(struct conn *c)
{
    c->inflight++;
}
static inline void
conn_release(struct worker *w, struct conn *c)
{
    c->inflight--;
    conn_free_if_done(w, c);
}

/* outlimit.c */
size_t conn_out_used(const struct conn *c);
void conn_out_publish(struct conn *c);
void conn_out_check(struct conn *c);
void conn_out_grew(struct obuf *o);

/* dispatch.c */
void dispatch_push(struct client *cl, const void *p, size_t n);
/* Process every complete command in buf; returns bytes consumed, or -1 if
 * the connection must close (protocol error already replied). */
long dispatch_input(struct worker *w, struct conn *c, const char *buf, size_t len);
void dispatch_deliver(struct worker *w, struct conn *c);
/* r (in c's FIFO) has its reply: count it as c's output, then deliver. */
void dispatch_finished(struct worker *w, struct conn *c, struct req *r);
struct req *req_borrow(struct worker *w);
void req_return(struct worker *w, struct req *r);
/* Copy argv into the request so it outlives the query buffer. */
void req_copy_args(struct req *r, int argc, const struct sv *argv);
/* wmsg run hook of a request finished on another worker, back home. */
void req_home(struct worker *w, struct wmsg *m);
void req_exec_remote(struct worker *w, struct wmsg *m);
void dispatch_pause_release(struct worker *w);
/* May c's next command be parsed now? conn_may_parse is the whole rule;
 * conn_may_parse_next the part that can change while a batch of input is
 * dispatched, for the per-command loop, which checks the rest once on
 * entry: CL_CLOSE_ASAP after each command anyway, and a worker backlog
 * reaching its cap always marks the connection being dispatched. */
#define CONN_OUT_HIGH (64u * 1024 * 1024) /* stop parsing above this much unsent output */
#define CONN_PENDING_HIGH 4096            /* or this many outstanding requests */
static inline bool
conn_may_parse_next(const struct conn *c)
{
    /* list_bytes counts the head block's sent part too: close enough for
     * a 64 MB threshold, one load less per command. */
    return !c->closing && !c->tx_active && !c->head_wait && !c->paused && c->wait_peer < 0 && c->pending < CONN_PENDING_HIGH &&
           c->ob.list_bytes + c->ob.cur.len < CONN_OUT_HIGH;
}
static inline bool
conn_may_parse(const struct conn *c)
{
    return conn_may_parse_next(c) && !(c->cl.flags & CL_CLOSE_ASAP) && !c->w->backlog_full;
}
void dispatch_tx_park(struct worker *w, struct wmsg *m);
void dispatch_tx_released(struct shard *sh);
void dispatch_slot_arrived(int worker);


/* ---- Small helpers shared by dispatch.c and dispatch_tx.c ---- */
#define MAX_KEYS_ON_STACK 64 /* key indexes kept on the stack; more go to the heap */
static inline void
fifo_push(struct conn *c, struct req *r)
{
    r->next = NULL;
    if (c->fifo_tail)
        c->fifo_tail->next = r;
    else
        c->fifo_head = r;
    c->fifo_tail = r;
    c->pending++;
}

/* Take back what the command being run wrote into the current block (its
 * reply is dropped: CLIENT REPLY OFF, or it went elsewhere). Only commands
 * with small replies (CLIENT REPLY, forwarding ones that wrote nothing) get
 * here unsuppressed; if the block they wrote into was sealed first, their
 * reply starts the fresh block, at 0. */
static inline void
out_rollback(struct conn *c, size_t mark, size_t nblocks)
{
    c->ob.cur.len = (c->ob.nblocks == nblocks && mark <= c->ob.cur.len) ? mark : 0;
}


/* dispatch.c: route and run one command of connection c */
void process_command(struct worker *w, struct conn *c, int argc, struct sv *argv);
/* Process a request taken out of c's FIFO afresh, as if just parsed (a
 * command released by CLIENT PAUSE, or one that waited to be the head);
 * the caller returns r after. */
void dispatch_reprocess(struct worker *w, struct conn *c, struct req *r);

/* dispatch_pause.c */
/* Does the current CLIENT PAUSE hold this command? */
bool dispatch_pause_applies(struct worker *w, const struct cmd_def *cmd);
/* Hold request r (first in c's FIFO) until the pause ends. */
void dispatch_pause_park(struct worker *w, struct conn *c, struct req *r);

/* dispatch_tx.c */
/* Start r's cross-worker transaction; r is first in its connection's FIFO. */
void tx_req_start(struct worker *w, struct conn *c, struct req *r);
/* A command prepared transaction t (cmd_tx): launch it in order. */
void launch_cmd_tx(struct worker *w, struct conn *c, struct req *r, struct tx *t);
/* Inside MULTI: queue a command and answer +QUEUED (or the error) in order. */
void multi_queue_ordered(struct worker *w, struct conn *c, const struct cmd_def *cmd, int argc, const struct sv *argv,
                         bool multi_worker, bool suppress);

/* fanout.c */
void fanout_launch(struct worker *w, struct req *r, void *fanout);
/* A deferred command's reply (cmd_defer) goes to request r when it comes. */
struct cmd_deferred;
void deferred_bind(struct worker *w, struct req *r, struct cmd_deferred *d);
void fanout_setup(void); /* installs cmd_deferred_ready */
void client_send_impl(int worker, uint64_t client_id, const void *p, size_t n);
void worker_call_impl(int worker, void (*fn)(void *arg, int worker), void *arg);

#endif
