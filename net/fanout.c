/* fanout.c: running a command's part on every worker (the runtime side of
 * cmd_fanout) and bytes pushed to a client owned by another worker
 * (MONITOR). See cmd.h for the contracts.
 *
 * A fan-out sends one message per worker; each worker runs each() on its
 * own shard and sends the message back; when the last one is home, done()
 * writes the reply into the waiting request and the connection releases it
 * in order. Only the origin worker touches the counter. */
#include "core/server.h"
#include "core/tx.h"
#include "net/net_int.h"

struct fanout_msg {
    struct wmsg msg; /* first */
    struct fanout *f;
    int worker;
};

struct fanout {
    struct req *req;
    int origin;
    int remaining;
    void *state;
    fanout_each_fn each;
    fanout_done_fn done;
    void (*free_state)(void *);
    bool self_queued;  /* our own part is counted in the connection's self_queued */
    struct fanout_msg msgs[];
};


static void
fanout_complete(struct worker *w, struct fanout *f)
{
    struct req *r = f->req;
    struct conn *c = r->conn;
    struct reply rep;
    r->reply.len = 0;
    reply_init(&rep, &r->reply, r->resp);
    f->done(f->state, &rep, c->closing ? NULL : &c->cl);
    if (f->free_state)
        f->free_state(f->state);
    ts_free(f);
    conn_hold(c);
    dispatch_finished(w, c, r);
    conn_release(w, c);
}

static void
fanout_ack(struct worker *w, struct wmsg *m)
{
    struct fanout *f = ((struct fanout_msg *)m)->f;
    if (--f->remaining == 0)
        fanout_complete(w, f);
}

static void
fanout_run_each(struct worker *w, struct wmsg *m)
{
    struct fanout_msg *fm = (struct fanout_msg *)m;
    struct fanout *f = fm->f;
    if (tx_any_locked(&w->shard)) {
        /* Commands parked behind transactions came first: run after them. */
        dispatch_tx_park(w, m);
        return;
    }
    if (w->id == f->origin && f->self_queued) {
        f->self_queued = false;
        if (f->req && f->req->conn)
            f->req->conn->self_queued--;
    }
    f->each(&w->shard, f->state, w->id);
    fm->msg.run = fanout_ack;
    worker_send(w, f->origin, &fm->msg);
}

void
fanout_launch(struct worker *w, struct req *r, void *request)
{
    struct cmd_fanout *cf = request;
    struct fanout *f = ts_calloc(1, sizeof(*f) + sizeof(struct fanout_msg) * (size_t)g_nworkers);
    f->state = cf->state;
    f->each = cf->each;
    f->done = cf->done;
    f->free_state = cf->free_state;
    f->req = r;
    r->fanout = f;
    f->origin = w->id;
    f->remaining = 0;
    for (int i = 0; i < g_nworkers; i++)
        f->remaining += !cf->masked || (cf->mask[i / 64] & (1ull << (i % 64)));
    /* Our own part goes through our own ring too: requests this connection
     * queued there earlier must run first. */
    for (int i = 0; i < g_nworkers; i++) {
        if (cf->masked && !(cf->mask[i / 64] & (1ull << (i % 64))))
            continue;
        f->msgs[i].f = f;
        f->msgs[i].worker = i;
        f->msgs[i].msg.run = fanout_run_each;
        if (i == w->id && r->conn) {
            f->self_queued = true;
            r->conn->self_queued++;
        }
        worker_send(w, i, &f->msgs[i].msg);
    }
    ts_free(cf);
    if (f->remaining == 0) /* an empty mask: nothing to wait for */
        fanout_complete(w, f);
}

/* ---- Pushing bytes to a client on any worker ---- */

struct send_msg {
    struct wmsg msg;
    uint64_t client_id;
    size_t len;
    char data[];
};

static void
deliver_to_client(struct worker *w, uint64_t id, const void *p, size_t n)
{
    for (struct client *cl = w->shard.clients; cl; cl = cl->next_in_worker) {
        if (cl->id != id)
            continue;
        struct conn *c = (struct conn *)cl;
        if (cl->flags & CL_CLOSE_ASAP)
            return; /* over its output limit: closing, output dropped */
        obuf_append(&c->ob, p, n); /* checks the limit as the list grows */
        conn_mark_output(w, c);
        return;
    }
}

static void
send_msg_run(struct worker *w, struct wmsg *m)
{
    struct send_msg *s = (struct send_msg *)m;
    deliver_to_client(w, s->client_id, s->data, s->len);
    ts_free(s);
}

void
client_send_impl(int worker, uint64_t client_id, const void *p, size_t n)
{
    struct worker *self = worker_self();
    if (self == NULL || worker < 0 || worker >= g_nworkers)
        return; /* only workers feed clients */
    if (worker == self->id) {
        deliver_to_client(self, client_id, p, n);
        return;
    }
    struct send_msg *s = ts_malloc(sizeof(*s) + n);
    s->msg.run = send_msg_run;
    s->client_id = client_id;
    s->len = n;
    memcpy(s->data, p, n);
    worker_send(self, worker, &s->msg);
}

/* ---- Calls from one worker to another (g_rt.worker_call) ---- */

struct call_msg {
    struct wmsg msg;
    void (*fn)(void *arg, int worker);
    void *arg;
};

static void
call_msg_run(struct worker *w, struct wmsg *m)
{
    struct call_msg *c = (struct call_msg *)m;
    c->fn(c->arg, w->id);
    ts_free(c);
}

void
worker_call_impl(int worker, void (*fn)(void *arg, int worker), void *arg)
{
    struct worker *self = worker_self();
    if (self == NULL) { /* only workers call (unit tests call from a plain thread) */
        fn(arg, worker);
        return;
    }
    /* A call to oneself goes through the ring too: fn never runs inside
     * its caller, which may be walking a structure fn changes. */
    struct call_msg *c = ts_malloc(sizeof(*c));
    c->msg.run = call_msg_run;
    c->fn = fn;
    c->arg = arg;
    worker_send(self, worker, &c->msg);
}
