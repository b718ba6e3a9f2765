/* dispatch_req.c: requests (struct req) and the in-order release of their
 * replies. A request is borrowed from its origin worker's pool, carries a
 * copy of its arguments, travels to the worker that runs it and comes back
 * home; its connection's FIFO releases replies strictly from the head
 * (dispatch_deliver), which is also where a command that waited for the
 * earlier ones runs. */
#include <stdio.h>
#include <sys/socket.h>

#include "core/tx.h"
#include "net/net_int.h"

/* ---- Request pool (origin-owned) ---- */

struct req *
req_borrow(struct worker *w)
{
    struct req *r = w->req_pool;
    if (r) {
        w->req_pool = r->next;
    } else {
        r = ts_calloc(1, sizeof(*r));
    }
    r->next = NULL;
    r->done = false;
    r->suppress = false;
    r->hops = 0;
    r->fanout = NULL;
    r->wait_next = NULL;
    r->skip_reply = false;
    r->tx_pending = false;
    r->self_queued = false;
    r->remote = false;
    r->khash = 0;
    r->head_wait = false;
    r->txp = NULL;
    r->argc = 0;
    r->argv = NULL;
    r->reply.len = 0;
    r->acct = 0;
    r->credit_dst = -1;
    r->argbuf.len = 0;
    return r;
}

void
req_return(struct worker *w, struct req *r)
{
    /* Keep modest buffers for reuse; give back big ones. */
    if (r->reply.cap > 64 * 1024)
        ts_buf_free(&r->reply);
    if (r->argbuf.cap > 64 * 1024)
        ts_buf_free(&r->argbuf);
    if (r->argv_heap_cap > 64) {
        ts_free(r->argv_heap);
        r->argv_heap = NULL;
        r->argv_heap_cap = 0;
    }
    r->conn = NULL;
    r->next = w->req_pool;
    w->req_pool = r;
}

/* Copy argv into the request so it outlives the query buffer. */
void
req_copy_args(struct req *r, int argc, const struct sv *argv)
{
    size_t total = 0;
    for (int i = 0; i < argc; i++)
        total += argv[i].len;
    r->argbuf.len = 0;
    ts_buf_reserve(&r->argbuf, total ? total : 1);
    struct sv *v;
    if (argc <= REQ_INLINE_ARGS) {
        v = r->argv_inline;
    } else {
        if (r->argv_heap_cap < argc) {
            ts_free(r->argv_heap);
            r->argv_heap = ts_malloc(sizeof(struct sv) * (size_t)argc);
            r->argv_heap_cap = argc;
        }
        v = r->argv_heap;
    }
    char *base = r->argbuf.data;
    for (int i = 0; i < argc; i++) {
        memcpy(base + r->argbuf.len, argv[i].ptr, argv[i].len);
        v[i].ptr = base + r->argbuf.len;
        v[i].len = argv[i].len;
        r->argbuf.len += argv[i].len;
    }
    r->argv = v;
    r->argc = argc;
}

/* ---- Replies released in order ---- */

static void
conn_drain_check(struct worker *w, struct conn *c)
{
    (void)w;
    if (c->closing && (c->cl.flags & CL_CLOSE_AFTER_REPLY) && c->pending == 0 && obuf_pending(&c->ob) == 0 &&
        !c->send_armed) {
        c->cl.flags &= ~(uint32_t)CL_CLOSE_AFTER_REPLY;
        shutdown(c->fd, SHUT_RDWR);
    }
}

/* The keyless command that waited for its connection's earlier commands
 * (process_command) is now the FIFO head, and its only entry: the
 * connection parsed nothing after it. Taken out and processed afresh, it
 * runs at once. */
static void
run_waiting_head(struct worker *w, struct conn *c)
{
    struct req *r = c->fifo_head;
    c->fifo_head = c->fifo_tail = NULL;
    c->pending--;
    c->head_wait = false;
    if (!c->closing)
        dispatch_reprocess(w, c, r);
    req_return(w, r); /* after: argv points into it */
}

void
dispatch_reprocess(struct worker *w, struct conn *c, struct req *r)
{
    if (r->skip_reply)
        c->cl.reply_mode = REPLY_SKIP_NEXT;
    struct conn *prev_feeder = w->feeder;
    w->feeder = c;
    process_command(w, c, r->argc, r->argv);
    w->feeder = prev_feeder;
    if (unlikely(c->cl.flags & (CL_CLOSE_AFTER_REPLY | CL_CLOSE_ASAP))) { /* QUIT: as dispatch_input */
        if (c->cl.flags & CL_CLOSE_ASAP)
            c->cl.flags &= ~(uint32_t)CL_CLOSE_AFTER_REPLY;
        conn_close(w, c);
    }
}

void
dispatch_deliver(struct worker *w, struct conn *c)
{
    bool keep = !c->closing || (c->cl.flags & CL_CLOSE_AFTER_REPLY);
    bool any = false;
    while (c->fifo_head && c->fifo_head->done) {
        struct req *r = c->fifo_head;
        c->fifo_head = r->next;
        if (!c->fifo_head)
            c->fifo_tail = NULL;
        c->pending--;
        c->fifo_bytes -= r->acct;
        if (keep && !r->suppress && r->reply.len) {
            obuf_adopt(&c->ob, &r->reply); /* a large reply moves as a block, uncopied */
            any = true;
        }
        req_return(w, r);
    }
    if (any)
        conn_mark_output(w, c);
    if (unlikely(c->fifo_head && c->fifo_head->tx_pending)) {
        if (!c->closing) {
            tx_req_start(w, c, c->fifo_head);
        } else {
            /* the client is gone: its transaction never starts */
            if (c->fifo_head->txp) {
                tx_drop(c->fifo_head->txp);
                c->fifo_head->txp = NULL;
            }
            c->fifo_head->tx_pending = false;
            c->fifo_head->done = true;
            c->fifo_head->suppress = true;
            c->tx_active = false;
            dispatch_deliver(w, c);
            return;
        }
    }
    if (unlikely(c->fifo_head && c->fifo_head->head_wait))
        run_waiting_head(w, c);
    if (c->closing) {
        conn_drain_check(w, c); /* the holder's conn_release frees it */
        return;
    }
    conn_maybe_resume(w, c);
}

/* A finished request's reply counts as its connection's output while it
 * waits in the FIFO (behind an unfinished one), so a client whose replies
 * pile up there meets its output limit like one whose list grows. */
void
dispatch_finished(struct worker *w, struct conn *c, struct req *r)
{
    r->done = true;
    r->acct = r->reply.len;
    c->fifo_bytes += r->acct;
    if (r->acct && c->fifo_head != r)
        conn_out_check(c);
    dispatch_deliver(w, c);
}

/* g_rt.client_push: bytes for a client of this worker that are not the
 * reply to one of its commands (Pub/Sub messages). They go after every
 * reply already produced and before the replies still being computed: a
 * finished reply waits in the FIFO only behind an unfinished one, so the
 * bytes go behind the last finished entry, or straight out when no entry
 * has finished (a PUBLISH to oneself gets its message before its count,
 * as in Redis; a SUBSCRIBE confirmation always precedes the messages). */
void
dispatch_push(struct client *cl, const void *p, size_t n)
{
    struct conn *c = (struct conn *)cl;
    struct worker *w = c->w;
    if (c->closing || (c->cl.flags & CL_CLOSE_ASAP))
        return; /* closing (over its output limit, maybe): dropped */
    struct req *last_done = NULL;
    for (struct req *q = c->fifo_head; q; q = q->next)
        if (q->done)
            last_done = q;
    if (last_done == NULL) {
        obuf_append(&c->ob, p, n);
        conn_mark_output(w, c);
        return;
    }
    struct req *r = req_borrow(w);
    r->conn = c;
    r->origin = w->id;
    r->cmd = NULL;
    r->done = true;
    ts_buf_append(&r->reply, p, n);
    r->next = last_done->next;
    last_done->next = r;
    if (c->fifo_tail == last_done)
        c->fifo_tail = r;
    c->pending++;
    r->acct = n;
    c->fifo_bytes += n;
    conn_out_check(c);
}

/* A request finished on another worker comes home. */
void
req_home(struct worker *w, struct wmsg *m)
{
    struct req *r = (struct req *)m;
    struct conn *c = r->conn;
    conn_hold(c);
    dispatch_finished(w, c, r);
    conn_release(w, c);
}

