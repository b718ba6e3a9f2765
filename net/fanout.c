/* fanout.c: running a command's part on every worker (the runtime side of
 * cmd_fanout) and bytes pushed to a client owned by another worker
 * (MONITOR). See cmd.h for the contracts.
 *
 * A fan-out sends one message per worker; each worker runs each() on its
 * own shard and sends the message back; when the last one is home, done()
 * writes the reply into the waiting request and the connection releases it
 * in order. Only the origin worker touches the counter. */
#include "core/log.h"
#include "core/server.h"
#include "core/slot_move.h"
#include "core/tx.h"
#include "net/net_int.h"
#include "net/runtime.h"

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
    bool hold;         /* cmd_fanout_hold: the connection parses nothing until the reply */
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
    (void)cmd_defer_done_take();
    f->done(f->state, &rep, c->closing ? NULL : &c->cl);
    struct cmd_deferred *d = cmd_defer_done_take();
    bool hold = f->hold;
    if (f->free_state)
        f->free_state(f->state);
    ts_free(f);
    slot_move_exit(); /* every worker ran its part */
    if (d) { /* done() handed the reply on (cmd_defer_done) */
        r->fanout = NULL;
        d->hold = hold; /* the connection keeps waiting, if it did */
        deferred_bind(w, r, d);
        return;
    }
    if (hold)
        c->tx_active = false;
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

static void
fanout_start(struct worker *w, struct req *r, struct cmd_fanout *cf)
{
    struct fanout *f = ts_calloc(1, sizeof(*f) + sizeof(struct fanout_msg) * (size_t)g_nworkers);
    f->state = cf->state;
    f->each = cf->each;
    f->done = cf->done;
    f->free_state = cf->free_state;
    f->hold = cf->hold;
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

/* A slot move ended (slot_move_enter): start the fan-out that waited, and
 * let its connection parse again. */
static void
fanout_resume(void *arg, int worker)
{
    struct req *r = arg;
    struct worker *w = g_workers[worker];
    struct conn *c = r->conn;
    c->tx_active = ((struct cmd_fanout *)r->fanout)->hold;
    fanout_start(w, r, r->fanout);
    conn_hold(c);
    dispatch_deliver(w, c);
    conn_release(w, c);
}

/* ---- Deferred replies (cmd_defer) ---- */

/* On the origin worker: the reply of a deferred command is in. */
static void
deferred_finish(void *arg, int worker)
{
    struct cmd_deferred *d = arg;
    struct worker *w = g_workers[worker];
    struct req *r = d->req;
    struct conn *c = r->conn;
    if (d->hold)
        c->tx_active = false; /* parse what the client sent meanwhile (dispatch_deliver) */
    ts_buf_append(&r->reply, d->reply.data, d->reply.len);
    ts_buf_free(&d->reply);
    ts_free(d);
    r->done = true;
    conn_hold(c);
    dispatch_deliver(w, c);
    conn_release(w, c);
}

/* cmd_deferred_ready: from any thread, to the origin worker. */
static void
deferred_ready(struct cmd_deferred *d)
{
    if (worker_self())
        worker_call_impl(d->origin, deferred_finish, d);
    else if (runtime_post(d->origin, deferred_finish, d) < 0)
        log_verbose("Deferred reply dropped: shutting down");
}

void
deferred_bind(struct worker *w, struct req *r, struct cmd_deferred *d)
{
    d->req = r;
    d->origin = r->origin;
    r->reply.len = 0;
    if (__atomic_exchange_n(&d->state, 1, __ATOMIC_ACQ_REL) == 2) /* already answered */
        deferred_ready(d);
}

void
fanout_setup(void)
{
    cmd_deferred_ready = deferred_ready;
}

void
fanout_launch(struct worker *w, struct req *r, void *request)
{
    struct cmd_fanout *cf = request;
    if (cf->deferred) {
        struct cmd_deferred *d = cf->deferred;
        ts_free(cf);
        if (r->conn) {
            /* Later commands wait for this one's effect (cmd.h). Set
             * before the bind, which may deliver the reply at once. */
            d->hold = true;
            r->conn->tx_active = true;
        }
        deferred_bind(w, r, d);
        return;
    }
    if (cf->hold && r->conn)
        r->conn->tx_active = true;
    if (!slot_move_enter(w->id, fanout_resume, r)) {
        /* A slot move is in flight: the fan-out starts after it, and the
         * connection sends nothing more until then (its later commands
         * must not overtake it). */
        r->fanout = cf;
        if (r->conn)
            r->conn->tx_active = true;
        return;
    }
    fanout_start(w, r, cf);
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
