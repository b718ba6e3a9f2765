/* outlimit.c: client-output-buffer-limit for connections.
 *
 * A connection's output memory is its block list (core/obuf.h) plus the
 * replies of finished requests held in its FIFO behind an unfinished one
 * (they are output too, only not yet releasable). It is checked whenever
 * the list grows (a block sealed or a forwarded reply adopted: the obuf
 * `grew` hook, so every append path is covered: inline replies, forwarded
 * replies, Pub/Sub messages, MONITOR lines) and whenever the FIFO's share
 * grows (dispatch.c), which is where Redis checks too (when its reply list
 * grows, past the fixed 16 KB buffer).
 *
 * The class is Redis's getClientType: replica for a replica link that is
 * not a MONITOR, pubsub for a subscribed client, normal otherwise (MONITOR
 * and the master link included). A client over its hard limit, or over its
 * soft limit for more than the soft seconds, is flagged CL_CLOSE_ASAP and
 * closed at the next safe point of its worker's loop (after the command
 * being run, or at the end of the turn); from the flag on, its output is
 * dropped rather than queued, so memory stops growing at once. */
#include <stddef.h>

#include "core/config.h"
#include "core/log.h"
#include "core/server_cmds.h"
#include "net/net_int.h"

static int
out_class(const struct client *cl)
{
    if ((cl->flags & CL_REPLICA) && !(cl->flags & CL_MONITOR))
        return OBUF_CLASS_REPLICA;
    if (cl->flags & CL_PUBSUB)
        return OBUF_CLASS_PUBSUB;
    return OBUF_CLASS_NORMAL;
}

size_t
conn_out_used(const struct conn *c)
{
    return obuf_mem(&c->ob) + c->fifo_bytes;
}

/* CLIENT LIST's obl / oll / omem, readable by other workers. */
void
conn_out_publish(struct conn *c)
{
    __atomic_store_n(&c->cl.obl, c->ob.cur.len, __ATOMIC_RELAXED);
    __atomic_store_n(&c->cl.oll, c->ob.nblocks, __ATOMIC_RELAXED);
    __atomic_store_n(&c->cl.omem, conn_out_used(c), __ATOMIC_RELAXED);
    __atomic_store_n(&c->cl.obuf_cap, c->ob.cur.cap, __ATOMIC_RELAXED);
}

/* Over the limit: schedule the close, as Redis's freeClientAsync, and log
 * Redis's line with the client's CLIENT LIST description. */
static void
conn_out_over(struct conn *c)
{
    struct worker *w = c->w;
    conn_out_publish(c);
    c->cl.flags |= CL_CLOSE_ASAP;
    struct ts_buf line = { 0 };
    client_format_line(&line, &c->cl, w->shard.now_ms);
    size_t n = line.len;
    if (n && line.data[n - 1] == '\n')
        n--;
    log_warn("Client %.*s scheduled to be closed ASAP for overcoming of output buffer limits.", (int)n,
             line.data ? line.data : "");
    ts_buf_free(&line);
    c->ob.drop = true;
    w->shard.stats.obuf_limit_disconnections++;
    conn_mark_output(w, c); /* the turn's flush closes it */
}

void
conn_out_check(struct conn *c)
{
    if (c->cl.flags & CL_CLOSE_ASAP)
        return;
    const long long *lim = g_cfg.cobl[out_class(&c->cl)];
    long long hard = __atomic_load_n(&lim[0], __ATOMIC_RELAXED);
    long long soft = __atomic_load_n(&lim[1], __ATOMIC_RELAXED);
    if (hard == 0 && soft == 0) {
        c->obuf_soft_ms = 0;
        return;
    }
    long long secs = __atomic_load_n(&lim[2], __ATOMIC_RELAXED);
    if (obuf_limit_reached(hard, soft, secs, conn_out_used(c), c->w->shard.now_ms, &c->obuf_soft_ms))
        conn_out_over(c);
}

/* The obuf hook: the block list of a connection grew. Output that fits in
 * two blocks is not checked: Redis too checks only once its reply list
 * grows past the fixed 16 KB buffer, so a limit below that acts a little
 * above it; this keeps the check off the path of a connection that flushes
 * one small block per turn. */
void
conn_out_grew(struct obuf *o)
{
    struct conn *c = (struct conn *)((char *)o - offsetof(struct conn, ob));
    if (likely(obuf_mem(o) + c->fifo_bytes <= 2 * OBUF_BLOCK)) {
        c->obuf_soft_ms = 0; /* under any soft limit Redis could see: its clock restarts */
        return;
    }
    conn_out_check(c);
}
