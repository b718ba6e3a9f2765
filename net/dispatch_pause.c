/* dispatch_pause.c: CLIENT PAUSE on the dispatch path. A paused command
 * waits, first in its connection's FIFO, and the connection parses nothing
 * more; every loop turn the worker checks whether the pause is over and
 * then runs the held commands as if they had just arrived. */
#include "core/server.h"
#include "net/net_int.h"

/* ---- CLIENT PAUSE ---- */

/* Does the current pause hold this command? WRITE pauses commands that
 * write or may replicate; ALL pauses everything, as in Redis 7.0. */
bool
dispatch_pause_applies(struct worker *w, const struct cmd_def *cmd)
{
    int type = __atomic_load_n(&g_pause.type, __ATOMIC_ACQUIRE);
    if (type == PAUSE_NONE || w->shard.now_ms >= __atomic_load_n(&g_pause.end_ms, __ATOMIC_RELAXED))
        return false;
    return type == PAUSE_ALL || (cmd->flags & (CMD_WRITE | CMD_MAY_REPLICATE));
}

/* The paused request stays first in its connection's FIFO; the connection
 * parses nothing more until the pause ends (pause_release). Like Redis,
 * INFO counts such a client in blocked_clients while it waits. */
void
dispatch_pause_park(struct worker *w, struct conn *c, struct req *r)
{
    c->paused = true;
    w->shard.stats.blocked_clients++;
    r->wait_next = NULL;
    if (w->paused_tail)
        w->paused_tail->wait_next = r;
    else
        w->paused_head = r;
    w->paused_tail = r;
}

/* Called every loop turn while something is paused here: once the pause is
 * over, run the held commands as if they had just arrived. */
void
dispatch_pause_release(struct worker *w)
{
    struct req *r = w->paused_head;
    if (!r || dispatch_pause_applies(w, r->cmd))
        return;
    w->paused_head = w->paused_tail = NULL;
    while (r) {
        struct req *next = r->wait_next;
        struct conn *c = r->conn;
        /* Take the request out of the FIFO (it is the last entry: the
         * connection parsed nothing after it) and process it afresh. */
        struct req **pp = &c->fifo_head;
        while (*pp != r)
            pp = &(*pp)->next;
        *pp = NULL;
        c->fifo_tail = NULL;
        for (struct req *q = c->fifo_head; q; q = q->next)
            c->fifo_tail = q;
        c->pending--;
        c->paused = false;
        w->shard.stats.blocked_clients--;
        conn_hold(c);
        if (!c->closing) {
            dispatch_reprocess(w, c, r);
            dispatch_deliver(w, c);
        }
        req_return(w, r);
        conn_release(w, c);
        r = next;
    }
}

