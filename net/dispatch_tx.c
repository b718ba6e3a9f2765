/* dispatch_tx.c: the dispatcher's side of transactions (core/tx.h) and of
 * MULTI (core/multi.h): requests that wait for a transaction's intents,
 * starting a connection's transaction once its earlier commands have run,
 * releasing its reply in order, and queuing commands inside MULTI. */
#include "core/cmdstats.h"
#include "core/multi.h"
#include "core/tx.h"
#include "net/net_int.h"

/* ---- Waiting for transactions (tx.h) ----
 *
 * A message that must not run while a cross-worker transaction holds
 * intents here (a command on its keys; a fan-out part, which must not
 * overtake what waits) is parked, and every parked message runs again, in
 * arrival order, whenever intents are dropped on this worker. */
void
dispatch_tx_park(struct worker *w, struct wmsg *m)
{
    m->next = NULL;
    if (w->tx_wait_tail)
        w->tx_wait_tail->next = m;
    else
        w->tx_wait_head = m;
    w->tx_wait_tail = m;
}

/* tx_locks_released: retry what waited; what still conflicts parks again. */
void
dispatch_tx_released(struct shard *sh)
{
    struct worker *w = sh->runtime;
    struct wmsg *m = w->tx_wait_head;
    w->tx_wait_head = w->tx_wait_tail = NULL;
    while (m) {
        struct wmsg *next = m->next;
        m->run(w, m);
        m = next;
    }
}

/* A cross-worker transaction ended on its coordinator: its reply goes out
 * in order, and the connection parses again. */
static void
tx_req_done(void *arg, const char *reply, size_t len, bool error)
{
    struct req *r = arg;
    struct conn *c = r->conn;
    struct worker *w = c->w;
    ts_buf_append(&r->reply, reply, len);
    c->tx_active = false;
    conn_hold(c);
    dispatch_finished(w, c, r);
    conn_release(w, c);
}

/* Start the transaction of request r, which is now first in its
 * connection's FIFO: everything the connection sent before it has run, so
 * its effects come after theirs on every worker. */
void
tx_req_start(struct worker *w, struct conn *c, struct req *r)
{
    if (r->txp) { /* prepared by the command (EXEC, WATCH) */
        struct tx *t = r->txp;
        r->txp = NULL;
        r->tx_pending = false;
        tx_launch(t, tx_req_done, r);
        return;
    }
    int idxbuf[MAX_KEYS_ON_STACK];
    int *idx = r->argc <= MAX_KEYS_ON_STACK ? idxbuf : ts_malloc(sizeof(int) * (size_t)r->argc);
    int nk = cmd_get_keys(r->cmd, r->argc, r->argv, idx, TS_MAX(r->argc, MAX_KEYS_ON_STACK));
    r->tx_pending = false;
    tx_start(&w->shard, r->cmd, r->argc, r->argv, idx, nk, r->resp, r->cflags, tx_req_done, r);
    if (idx != idxbuf)
        ts_free(idx);
}

/* Inside MULTI: queue the command, answering +QUEUED (or the error that
 * flags the transaction) in order. */
void
multi_queue_ordered(struct worker *w, struct conn *c, const struct cmd_def *cmd, int argc, const struct sv *argv,
                    bool multi_worker, bool suppress)
{
    struct req *r = NULL;
    struct reply rep;
    size_t mark = 0, nblocks = c->ob.nblocks;
    if (c->fifo_head) {
        r = req_borrow(w);
        r->conn = c;
        r->origin = w->id;
        fifo_push(c, r);
        reply_init(&rep, &r->reply, c->cl.resp);
        r->suppress = suppress;
    } else if (suppress) { /* a small reply in the current block, taken back below */
        mark = c->ob.cur.len;
        reply_init(&rep, &c->ob.cur, c->cl.resp);
    } else {
        reply_init_obuf(&rep, &c->ob, c->cl.resp);
    }
    multi_queue(&c->cl, cmd, argc, argv, &rep, multi_worker);
    if (rep.error) {
        w->shard.stats.errors++;
        cmdstats_error(&w->shard.cstats, rep.out->data + rep.err_at + 1, rep.out->len - rep.err_at - 1);
        cmdstats_rejected(&w->shard.cstats, cmd);
    }
    if (r) {
        r->done = true;
    } else {
        if (suppress)
            out_rollback(c, mark, nblocks);
        conn_mark_output(w, c);
    }
}

/* A command prepared a transaction (cmd_tx): it starts once the
 * connection's earlier commands have run (tx_req_start), and the
 * connection parses nothing more until it is over. */
void
launch_cmd_tx(struct worker *w, struct conn *c, struct req *r, struct tx *t)
{
    c->tx_active = true;
    r->txp = t;
    r->tx_pending = true;
    if (c->fifo_head == r)
        tx_req_start(w, c, r);
}

