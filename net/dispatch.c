/* dispatch.c: from parsed command to reply, on the right worker, in order.
 *
 * For each command the client's worker looks it up, checks arity and
 * authentication, and routes it:
 *
 *   keyless (ROUTE_LOCAL)            -> run here, with the client
 *   keyed, slot owned by this worker -> run here
 *   keyed, slot owned by worker W    -> copy args into a struct req, ring to W,
 *                                       W runs it and rings the req back
 *   keys on several workers          -> one transaction (core/tx.h), standalone
 *
 * Ordering: a connection whose FIFO of outstanding requests is empty writes
 * replies straight into its output buffer (the common, fast case). Once a
 * request is outstanding, every later command also becomes a request, run
 * when it can be, and replies are released strictly from the FIFO head.
 * Commands on the same slot always travel the same path to the same worker,
 * so their effects keep their order too.
 *
 * The fast path (a GET on a local slot with nothing outstanding) makes no
 * system call and no allocation: parse, hash, table lookup, reply append. */
#include <stdio.h>

#include "core/cluster_state.h"
#include "core/config.h"
#include "core/evict.h"
#include "core/log.h"
#include "core/server.h"
#include "core/slot.h"
#include "core/slot_move.h"
#include "core/snapshot.h"
#include "core/slotmap.h"
#include "core/multi.h"
#include "core/tx.h"
#include "net/net_int.h"

#define MAX_HOPS 8

/* ---- Execution ---- */

static void
observe(struct shard *sh, const struct client *cl, int argc, const struct sv *argv, uint64_t dur)
{
    long long slower = __atomic_load_n(&g_cfg.slowlog_log_slower_than, __ATOMIC_RELAXED);
    if (unlikely(slower >= 0 && dur >= (uint64_t)slower)) /* the call only for a candidate */
        slowlog_observe(sh, cl, argc, argv, dur);
    if (g_cfg.latency_monitor_threshold && dur / 1000 >= (uint64_t)g_cfg.latency_monitor_threshold)
        latency_observe("command", dur / 1000);
}

/* Run a command on this worker. Returns the worker it must go to instead
 * (cmd_forward), or -1 when done (reply written, or a fan-out started). */
/* A slot in the middle of a reshard (cluster-commands.md §2 rules 5-6):
 * only this worker knows which of the command's keys it still holds. On a
 * MIGRATING slot, keys all gone -> -ASK to the target, some gone ->
 * -TRYAGAIN; on an IMPORTING slot reached with ASKING, a multi-key command
 * missing keys -> -TRYAGAIN. True when a redirection was written. */
static bool
resharding_redirect(struct worker *w, struct cmd_ctx *ctx)
{
    const struct cluster_snap *s = cluster_snap_get();
    uint16_t slot = (uint16_t)ctx->slot;
    bool migrating = cluster_slot_migrating(s, slot) >= 0;
    bool importing = s->importing_from[slot] >= 0 && (ctx->cflags & CL_ASKING);
    if (!migrating && !importing)
        return false;
    /* Every key counts (a command has at most argc - 1 of them): with only
     * the first few looked at, MGET of 20 keys whose last ones had moved
     * answered nils instead of -TRYAGAIN. */
    int idxbuf[MAX_KEYS_ON_STACK];
    int *idx = idxbuf;
    int maxk = ctx->argc > MAX_KEYS_ON_STACK ? ctx->argc : MAX_KEYS_ON_STACK;
    if (maxk > MAX_KEYS_ON_STACK)
        idx = ts_malloc(sizeof(int) * (size_t)maxk);
    int nk = cmd_get_keys(ctx->cmd, ctx->argc, ctx->argv, idx, maxk);
    int missing = 0;
    for (int i = 0; i < nk; i++)
        missing += ks_lookup(w->shard.ks, slot, ctx->argv[idx[i]], w->shard.now_ms, KS_LOOKUP_NOTOUCH) == NULL;
    if (idx != idxbuf)
        ts_free(idx);
    if (nk <= 0 || missing == 0)
        return false;
    if (migrating) {
        if (missing < nk)
            reply_error(ctx->r, CLUSTER_ERR_TRYAGAIN);
        else
            cluster_reply_ask(s, slot, ctx->r);
        return true;
    }
    if (nk > 1) {
        reply_error(ctx->r, CLUSTER_ERR_TRYAGAIN);
        return true;
    }
    return false;
}

static int
exec_here(struct worker *w, struct cmd_ctx *ctx, const struct client *cl_for_log)
{
    ctx->sh = &w->shard;
    ctx->now_ms = w->shard.now_ms;
    ctx->forward_to = -1;
    ctx->forward_slot = -1;
    ctx->fanout = NULL;
    ctx->tx = NULL;
    if (unlikely(g_server.cluster_mode) && ctx->slot >= 0 && ctx->cmd->route == ROUTE_KEYS &&
        resharding_redirect(w, ctx))
        return -1;
    /* Over maxmemory: the worker about to grow its keys frees its share
     * first (evict.h); the client's worker already refused what could
     * not be made room for. */
    if (unlikely(ctx->cmd->flags & CMD_DENYOOM) && evict_over_limit())
        evict_run(&w->shard);
    uint64_t t0 = ts_ticks();
    if (unlikely(w->shard.snap != NULL) && (ctx->cmd->flags & (CMD_WRITE | CMD_MAY_REPLICATE | CMD_ADMIN)))
        snap_guard_cmd(&w->shard, ctx->cmd, ctx->argc, ctx->argv); /* a full sync's due keys first */
    struct fx_state *fx = &w->shard.fx;
    fx_command_begin(fx);
    if (unlikely(fx->replica))
        fx->from_master = (ctx->cflags & CL_MASTER) != 0;
    ctx->cmd->proc(ctx);
    if (ctx->forward_to >= 0)
        return ctx->forward_to; /* counted where it really runs */
    fx_command_end(&w->shard, ctx->argc, ctx->argv);
    uint64_t dur = ts_ticks_to_us(ts_ticks() - t0);
    w->shard.stats.commands++;
    bool failed = ctx->r->error;
    if (failed) {
        w->shard.stats.errors++;
        const struct ts_buf *o = ctx->r->out;
        if (ctx->r->err_at < o->len)
            cmdstats_error(&w->shard.cstats, o->data + ctx->r->err_at + 1, o->len - ctx->r->err_at - 1);
    }
    cmdstats_call(&w->shard.cstats, ctx->cmd, dur, failed);
    observe(&w->shard, cl_for_log, ctx->argc, ctx->argv, dur);
    return ctx->forward_to;
}

/* ---- Slots moving between workers (core/slot_move.h) ----
 *
 * A keyed request runs only on the worker holding its slot's keys. While
 * a move is in flight (rare), every key's slot is asked: a slot on its way
 * here holds the request, one elsewhere sends it on. Held requests run in
 * arrival order as soon as the keys arrive (dispatch_slot_arrived), before
 * anything that arrives later. */
static int
gate_slots(int worker, const struct cmd_def *cmd, int argc, struct sv *argv, int slot)
{
    int g = slot_move_where(worker, (uint16_t)slot);
    if (cmd->route != ROUTE_KEYS || g == SLOT_MOVE_HOLD || g_server.cluster_mode)
        return g; /* cluster mode: every key is in that slot */
    int idxbuf[MAX_KEYS_ON_STACK];
    int *idx = argc <= MAX_KEYS_ON_STACK ? idxbuf : ts_malloc(sizeof(int) * (size_t)argc);
    int nk = cmd_get_keys(cmd, argc, argv, idx, TS_MAX(argc, MAX_KEYS_ON_STACK));
    for (int i = 1; i < nk && g == SLOT_MOVE_RUN; i++)
        g = slot_move_where(worker, slot_of_sv(argv[idx[i]]));
    if (idx != idxbuf)
        ts_free(idx);
    return g;
}

/* Where request r may run, seen from this worker. The common case (no
 * move in flight) is one load and the table check the dispatcher always
 * made. */
static inline int
req_gate(struct worker *w, struct req *r)
{
    if (likely(!slot_move_active())) {
        int owner = slotmap_worker((uint16_t)r->slot);
        return owner == w->id ? SLOT_MOVE_RUN : owner;
    }
    return gate_slots(w->id, r->cmd, r->argc, r->argv, r->slot);
}

static void
slot_hold(struct worker *w, struct wmsg *m)
{
    m->next = NULL;
    if (w->sm_held_tail)
        w->sm_held_tail->next = m;
    else
        w->sm_held_head = m;
    w->sm_held_tail = m;
}

/* g_slot_move_rt.release_held: the keys are here; run what waited for
 * them, in arrival order (each passes the gate again and now runs). */
void
dispatch_slot_arrived(int worker)
{
    struct worker *w = g_workers[worker];
    struct wmsg *m = w->sm_held_head;
    w->sm_held_head = w->sm_held_tail = NULL;
    while (m) {
        struct wmsg *next = m->next;
        m->run(w, m);
        m = next;
    }
}

/* A deferred command (cmd_defer) executed for another worker's client:
 * the reply goes straight to the client's worker when it comes. */
static void
req_remote_deferred(struct worker *w, struct req *r, struct cmd_ctx *ctx)
{
    struct cmd_fanout *cf = ctx->fanout;
    if (cf->deferred) {
        struct cmd_deferred *d = cf->deferred;
        ts_free(cf);
        deferred_bind(w, r, d);
        return;
    }
    /* fan-outs start on the client's worker only; not reached today */
    if (cf->free_state)
        cf->free_state(cf->state);
    ts_free(cf);
    r->reply.len = 0;
    struct reply rep;
    reply_init(&rep, &r->reply, r->resp);
    reply_error(&rep, "ERR internal: fan-out from a forwarded command");
    r->msg.run = req_home;
    worker_send(w, r->origin, &r->msg);
}

/* Executed on the target worker: run, then send the request home. */
void
req_exec_remote(struct worker *w, struct wmsg *m)
{
    struct req *r = (struct req *)m;
    /* Wait while a transaction holds a conflicting intent here, and behind
     * whatever already waits: nothing overtakes a parked command (a read
     * after a parked write of the same client would see the old value). */
    if (unlikely(tx_any_locked(&w->shard)) && r->cmd->route == ROUTE_KEYS &&
        (w->tx_wait_head || tx_conflicts(&w->shard, r->cmd, r->argc, r->argv))) {
        dispatch_tx_park(w, m); /* re-run when this worker's intents change */
        return;
    }
    /* The slot's keys: here, on their way here, or elsewhere. A request
     * is never executed where they are not. */
    int gate = r->slot >= 0 ? req_gate(w, r) : SLOT_MOVE_RUN;
    if (unlikely(gate == SLOT_MOVE_HOLD)) {
        slot_hold(w, m); /* still counted in self_queued: nothing of its connection overtakes it */
        return;
    }
    if (r->self_queued) {
        r->self_queued = false;
        r->conn->self_queued--;
    }
    if (unlikely(gate >= 0)) {
        /* The slot moved to another worker while this was in flight. */
        if (r->hops >= MAX_HOPS) {
            struct reply er;
            r->reply.len = 0;
            reply_init(&er, &r->reply, r->resp);
            reply_error(&er, "TRYAGAIN Hash slot moved between worker threads while the command was in flight");
            r->msg.run = req_home;
            worker_send(w, r->origin, &r->msg);
            return;
        }
        r->hops++;
        r->target = gate;
        worker_send(w, r->target, &r->msg);
        return;
    }
    struct reply rep;
    r->reply.len = 0;
    reply_init(&rep, &r->reply, r->resp);
    struct cmd_ctx ctx = {.cl = NULL, .cmd = r->cmd, .argc = r->argc, .argv = r->argv, .r = &rep,
                          .cflags = r->cflags, .client_id = r->client_id, .slot = r->slot};
    if (r->khash) /* hashed by prefetch_requests: its key, as keyspace.h's hint */
        ks_hint = (struct ks_hash_hint){r->argv[r->cmd->first_key].ptr, r->argv[r->cmd->first_key].len, r->khash};
    int fwd = exec_here(w, &ctx, NULL);
    ks_hint.key = NULL;
    r->khash = 0;
    w->shard.stats.forwarded++;
    if (unlikely(ctx.fanout != NULL)) {
        req_remote_deferred(w, r, &ctx);
        return;
    }
    if (fwd >= 0 && (fwd != w->id || ctx.forward_slot >= 0) && r->hops < MAX_HOPS) {
        r->hops++;
        r->target = fwd;
        r->slot = ctx.forward_slot >= 0 ? ctx.forward_slot : r->slot;
        r->reply.len = 0;
        worker_send(w, fwd, &r->msg);
        return;
    }
    r->msg.run = req_home;
    worker_send(w, r->origin, &r->msg);
}

/* Make a request for this command and send it to target (or run it here
 * when target is this worker, because earlier replies are outstanding). */
static struct req *
make_req(struct worker *w, struct conn *c, const struct cmd_def *cmd, int argc, const struct sv *argv, int slot,
         bool suppress)
{
    struct req *r = req_borrow(w);
    r->conn = c;
    r->origin = w->id;
    r->cmd = cmd;
    r->slot = slot;
    r->resp = c->cl.resp;
    r->cflags = c->cl.flags | (c->asking_now ? CL_ASKING : 0);
    r->client_id = c->cl.id;
    r->suppress = suppress;
    req_copy_args(r, argc, argv);
    fifo_push(c, r);
    return r;
}

static void
send_req(struct worker *w, struct req *r, int target)
{
    r->target = target;
    r->remote = target != w->id;
    r->msg.run = req_exec_remote;
    if (target == w->id && r->conn) { /* through our own ring: later local commands must not overtake it */
        r->self_queued = true;
        r->conn->self_queued++;
    }
    worker_send(w, target, &r->msg);
}

/* A fan-out was started by the command: attach it to a request. */
static void
start_fanout(struct worker *w, struct conn *c, struct cmd_ctx *ctx, bool suppress)
{
    struct req *r = make_req(w, c, ctx->cmd, 0, NULL, -1, suppress);
    fanout_launch(w, r, ctx->fanout);
}

/* Error reply for a command that could not even be routed: in order. */
static void
reply_error_ordered(struct worker *w, struct conn *c, const char *msg)
{
    struct req *r = NULL;
    struct reply rep;
    if (c->fifo_head) {
        r = req_borrow(w);
        r->conn = c;
        r->origin = w->id;
        fifo_push(c, r);
        reply_init(&rep, &r->reply, c->cl.resp);
    } else {
        reply_init_obuf(&rep, &c->ob, c->cl.resp);
    }
    reply_error(&rep, msg);
    multi_flag_error(&c->cl); /* refused before it could be queued: EXEC will abort */
    w->shard.stats.errors++;
    cmdstats_error(&w->shard.cstats, msg[0] == '-' ? msg + 1 : msg, strlen(msg) - (msg[0] == '-'));
    if (r)
        r->done = true;
    else
        conn_mark_output(w, c);
}

static void
reply_unknown_command(struct worker *w, struct conn *c, int argc, const struct sv *argv)
{
    char msg[CMD_UNKNOWN_MSG_MAX];
    cmd_unknown_command_msg(msg, sizeof(msg), argc, argv);
    reply_error_ordered(w, c, msg);
}


/* (P|S)(UN)SUBSCRIBE answer with pushes, which Redis sends whatever
 * CLIENT REPLY says. */
static inline bool
replies_are_pushes(const struct cmd_def *cmd)
{
    return (cmd->flags & (CMD_PUBSUB | CMD_SUBSCRIBED_OK)) == (CMD_PUBSUB | CMD_SUBSCRIBED_OK);
}

static void
reply_subscribed_context(struct worker *w, struct conn *c, const struct cmd_def *cmd, const struct cmd_def *parent)
{
    char msg[320];
    snprintf(msg, sizeof(msg),
             "ERR Can't execute '%s%s%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are "
             "allowed in this context",
             parent ? parent->name : "", parent ? "|" : "", cmd->name);
    reply_error_ordered(w, c, msg);
    cmdstats_rejected(&w->shard.cstats, cmd);
}

/* After a local command ran: whether its reply is dropped by CLIENT REPLY
 * OFF or SKIP. A REPLY_ON_ACK left by the command (CLIENT REPLY ON) keeps
 * its reply and becomes REPLY_ON. */
static inline bool
reply_dropped(struct client *cl, bool skip_this)
{
    if (cl->reply_mode == REPLY_ON_ACK) {
        cl->reply_mode = REPLY_ON;
        return false;
    }
    if (cl->reply_mode == REPLY_NONE_THIS) { /* REPLCONF ACK answers nothing */
        cl->reply_mode = REPLY_ON;
        return true;
    }
    return skip_this || cl->reply_mode == REPLY_OFF;
}


/* maxmemory (evict.h), called only while the process is over the limit:
 * Redis refuses a denyoom command, anything queued inside MULTI, and an
 * EXEC whose queue holds a denyoom command, when eviction cannot bring
 * memory back under the limit (the worker running the command evicts,
 * in exec_here). True when -OOM was answered (which also flags a
 * MULTI). */
static bool
oom_refused(struct worker *w, struct conn *c, const struct cmd_def *cmd, bool queue_it)
{
    if (c->cl.flags & CL_MASTER) /* our master's stream is never refused */
        return false;
    bool deny = (cmd->flags & CMD_DENYOOM) || queue_it ||
                (strcmp(cmd->name, "exec") == 0 && (multi_queued_flags(&c->cl) & CMD_DENYOOM));
    if (!deny || !evict_reject_oom(&w->shard))
        return false;
    reply_error_ordered(w, c, EVICT_OOM_ERR);
    cmdstats_rejected(&w->shard.cstats, cmd);
    return true;
}

/* min-replicas-to-write (called only while g_noreplicas is set): a master
 * with fewer good replicas than that refuses a write, anything written
 * queued inside MULTI, and an EXEC whose queue writes (which then ends the
 * transaction, as Redis's rejectCommand). True after answering. */
static __attribute__((noinline)) bool
noreplicas_refuses(struct worker *w, struct conn *c, const struct cmd_def *cmd)
{
    static const char err[] = "NOREPLICAS Not enough good replicas to write.";
    if (c->cl.flags & CL_MASTER)
        return false;
    bool exec = strcmp(cmd->name, "exec") == 0;
    if (!(cmd->flags & CMD_WRITE) && !(exec && (multi_queued_flags(&c->cl) & CMD_WRITE)))
        return false;
    if (exec && multi_exec_abort(&c->cl))
        reply_error_ordered(w, c, "EXECABORT Transaction discarded because of: NOREPLICAS Not enough good replicas "
                                  "to write.");
    else
        reply_error_ordered(w, c, err);
    cmdstats_rejected(&w->shard.cstats, cmd);
    return true;
}

/* The keys decide where cmd runs: *slotp gets the first key's slot and
 * *targetp its worker (ROUTE_KEYS). Returns true when the command was dealt
 * with here: a cluster redirection, CROSSSLOT, queued inside MULTI, or a
 * transaction across workers started (tx.h). */
static __attribute__((noinline)) bool
route_keys_general(struct worker *w, struct conn *c, const struct cmd_def *cmd, int argc, struct sv *argv,
                   uint32_t route_flags, bool queue_it, bool suppress, int *slotp, int *targetp,
                   struct ks_hash_hint *hintp)
{
    struct client *cl = &c->cl;
    char msg[256];
    int slot = -1, target = w->id;
    int idxbuf[MAX_KEYS_ON_STACK];
    int *idx = idxbuf;
    int maxk = (argc < MAX_KEYS_ON_STACK) ? MAX_KEYS_ON_STACK : argc;
    if (maxk > MAX_KEYS_ON_STACK)
        idx = ts_malloc(sizeof(int) * (size_t)maxk);
    int nk = cmd_get_keys(cmd, argc, argv, idx, maxk);
    if (nk > 0) {
        uint64_t h;
        slot = prefetch_slot_of(&w->hints, argv[idx[0]], &h);
        if (h)
            *hintp = (struct ks_hash_hint){argv[idx[0]].ptr, argv[idx[0]].len, h};
        if (cmd->route == ROUTE_KEYS) /* ROUTE_LOCAL_KEYS runs here whatever the slot */
            target = slotmap_worker((uint16_t)slot);
        bool multi_worker = false;
        /* Redis checks the first key's slot for an owner before it looks
         * at the other keys: an unowned first slot beats CROSSSLOT. */
        if (g_server.cluster_mode) {
            const struct cluster_snap *snap = cluster_snap_get();
            if (snap && snap->owner[slot] < 0 && !(route_flags & CL_MASTER)) {
                if (idx != idxbuf)
                    ts_free(idx);
                reply_error_ordered(w, c, "CLUSTERDOWN Hash slot not served");
                return true;
            }
        }
        for (int i = 1; i < nk; i++) {
            int s = slot_of_sv(argv[idx[i]]);
            if (s == slot)
                continue;
            if (g_server.cluster_mode && !(route_flags & CL_MASTER)) {
                if (idx != idxbuf)
                    ts_free(idx);
                reply_error_ordered(w, c, ERR_CROSSSLOT);
                return true;
            }
            if (cmd->route == ROUTE_KEYS && slotmap_worker((uint16_t)s) != target)
                multi_worker = true;
        }
        if (g_server.cluster_mode) {
            struct ts_buf eb = {0};
            struct reply er;
            reply_init(&er, &eb, cl->resp);
            if (cluster_route(cluster_snap_get(), (uint16_t)slot, (cmd->flags & CMD_WRITE) != 0, route_flags,
                              &er)) {
                /* -MOVED / -ASK / -CLUSTERDOWN: strip "-" and CRLF */
                eb.data[eb.len - 2] = '\0';
                if (idx != idxbuf)
                    ts_free(idx);
                reply_error_ordered(w, c, eb.data + 1);
                ts_buf_free(&eb);
                return true;
            }
            ts_buf_free(&eb);
        }
        /* After the cluster's redirections, before queuing: Redis's order. */
        if ((unlikely((cmd->flags & CMD_DENYOOM) || queue_it) && evict_over_limit() &&
             oom_refused(w, c, cmd, queue_it)) ||
            (unlikely(queue_it) && unlikely(__atomic_load_n(&g_noreplicas, __ATOMIC_RELAXED)) &&
             noreplicas_refuses(w, c, cmd))) {
            if (idx != idxbuf)
                ts_free(idx);
            return true;
        }
        if (unlikely(queue_it)) {
            if (idx != idxbuf)
                ts_free(idx);
            multi_queue_ordered(w, c, cmd, argc, argv, multi_worker, suppress);
            return true;
        }
        if (multi_worker) {
            if (cmd->tx == NULL) {
                if (idx != idxbuf)
                    ts_free(idx);
                snprintf(msg, sizeof(msg),
                         "ERR '%s' with keys on different worker threads is not supported yet; "
                         "give the keys one {hash tag}",
                         cmd->name);
                reply_error_ordered(w, c, msg);
                return true;
            }
            /* One transaction across the workers (tx.h), started once
             * the connection's earlier commands have run; the
             * connection parses nothing more until it is over. */
            if (idx != idxbuf)
                ts_free(idx);
            struct req *r = make_req(w, c, cmd, argc, argv, slot, suppress);
            c->tx_active = true;
            r->tx_pending = true;
            if (c->fifo_head == r)
                tx_req_start(w, c, r);
            return true;
        }
    } else if (nk < 0) {
        slot = -1; /* syntax error: let the proc report it here */
    }
    if (idx != idxbuf)
        ts_free(idx);
    *slotp = slot;
    *targetp = target;
    return false;
}

/* route_keys_general for every command; inline here, the common case of
 * one fixed key (GET, SET, HSET...) outside MULTI, under maxmemory, on a
 * slot that this node serves in a healthy cluster or in standalone mode:
 * no CROSSSLOT, no redirection, no transaction, no -OOM can apply, so only
 * the slot and the worker remain to find. */
static inline bool
route_keys(struct worker *w, struct conn *c, const struct cmd_def *cmd, int argc, struct sv *argv,
           uint32_t route_flags, bool queue_it, bool suppress, int *slotp, int *targetp,
           struct ks_hash_hint *hintp)
{
    int fk = cmd->first_key;
    if (likely(cmd->getkeys == NULL && fk > 0 && fk == cmd->last_key && fk < argc && !queue_it) &&
        !(unlikely(cmd->flags & CMD_DENYOOM) && evict_over_limit())) { /* over maxmemory: the general path */
        uint64_t h;
        uint16_t slot = prefetch_slot_of(&w->hints, argv[fk], &h);
        const struct cluster_snap *snap;
        if (!g_server.cluster_mode ||
            ((snap = cluster_snap_get()) != NULL && snap->owner[slot] == snap->myself &&
             cluster_snap_state(snap) == CLUSTER_OK)) {
            if (h)
                *hintp = (struct ks_hash_hint){argv[fk].ptr, argv[fk].len, h};
            *slotp = slot;
            *targetp = cmd->route == ROUTE_KEYS ? slotmap_worker(slot) : w->id;
            return false;
        }
        /* The general path asks prefetch_slot_of again: the hint is used
         * up, so it computes the same slot from the bytes. */
    }
    return route_keys_general(w, c, cmd, argc, argv, route_flags, queue_it, suppress, slotp, targetp, hintp);
}

/* The fast path: run now on this worker, nothing outstanding, the reply
 * straight into the output block. A reply that will be dropped (CLIENT
 * REPLY OFF/SKIP) stays in the current block, so the mark can take it
 * back; otherwise a full block may be sealed into the list as the reply
 * grows. A single call site: the compiler inlines it. */
static void
run_now(struct worker *w, struct conn *c, const struct cmd_def *cmd, int argc, struct sv *argv, int slot,
        const struct ks_hash_hint *hint, bool suppress, bool skip_this, bool local_cmd)
{
    struct client *cl = &c->cl;
    /* Fast path: run now, reply straight into the output block. A
     * reply that will be dropped (CLIENT REPLY OFF/SKIP) stays in the
     * current block, so the mark can take it back; otherwise a full
     * block may be sealed into the list as the reply grows. */
    size_t mark = c->ob.cur.len, nblocks = c->ob.nblocks;
    struct reply rep;
    if (unlikely(suppress))
        reply_init(&rep, &c->ob.cur, cl->resp);
    else
        reply_init_obuf(&rep, &c->ob, cl->resp);
    struct cmd_ctx ctx = {.cl = local_cmd ? cl : NULL, .cmd = cmd, .argc = argc, .argv = argv, .r = &rep,
                          .cflags = cl->flags | (c->asking_now ? CL_ASKING : 0),
                          .client_id = cl->id, .slot = slot};
    if (hint->key) /* the routing key's hash, from the prefetch (keyspace.h) */
        ks_hint = *hint;
    int fwd = exec_here(w, &ctx, cl);
    ks_hint.key = NULL;
    if (unlikely(ctx.fanout != NULL)) {
        out_rollback(c, mark, nblocks);
        start_fanout(w, c, &ctx, suppress);
        return;
    }
    if (unlikely(ctx.tx != NULL)) {
        out_rollback(c, mark, nblocks);
        launch_cmd_tx(w, c, make_req(w, c, cmd, 0, NULL, -1, suppress), ctx.tx);
        return;
    }
    if (unlikely(fwd >= 0 && (fwd != w->id || ctx.forward_slot >= 0))) {
        out_rollback(c, mark, nblocks);
        struct req *r = make_req(w, c, cmd, argc, argv, ctx.forward_slot, suppress);
        send_req(w, r, fwd);
        return;
    }
    if (unlikely(skip_this || cl->reply_mode != REPLY_ON) && reply_dropped(cl, skip_this) &&
        !replies_are_pushes(cmd))
        out_rollback(c, mark, nblocks);
    if (cl->resp != rep.resp) /* HELLO switched protocol */
        cl->resp = rep.resp;
    conn_mark_output(w, c);
    return;
}

/* Not the fast path: a request in the connection's FIFO, sent to the
 * slot's worker, or run here behind earlier outstanding replies. */
static void
run_as_request(struct worker *w, struct conn *c, const struct cmd_def *cmd, int argc, struct sv *argv, int slot,
               int target, bool suppress, bool skip_this, bool local_cmd)
{
    struct client *cl = &c->cl;
    struct req *r = make_req(w, c, cmd, argc, argv, slot, suppress);
    if (target != w->id) {
        send_req(w, r, target);
        return;
    }
    if (c->self_queued > 0 && !local_cmd) {
        /* Something this connection sent earlier waits in our own ring
         * (a fan-out's part, a command held behind a transaction): queue
         * behind it rather than overtake it. */
        send_req(w, r, w->id);
        return;
    }
    /* Local, but earlier replies are outstanding: run now, release later. */
    struct reply rep;
    reply_init(&rep, &r->reply, cl->resp);
    struct cmd_ctx ctx = {.cl = local_cmd ? cl : NULL, .cmd = cmd, .argc = r->argc, .argv = r->argv, .r = &rep,
                          .cflags = cl->flags | (c->asking_now ? CL_ASKING : 0),
                              .client_id = cl->id, .slot = slot};
    int fwd = exec_here(w, &ctx, cl);
    if (unlikely(ctx.fanout != NULL)) {
        r->reply.len = 0;
        fanout_launch(w, r, ctx.fanout);
        return;
    }
    if (unlikely(ctx.tx != NULL)) {
        r->reply.len = 0;
        launch_cmd_tx(w, c, r, ctx.tx);
        return;
    }
    if (unlikely(fwd >= 0 && (fwd != w->id || ctx.forward_slot >= 0))) {
        r->reply.len = 0;
        r->slot = ctx.forward_slot;
        send_req(w, r, fwd);
        return;
    }
    if (cl->resp != rep.resp)
        cl->resp = rep.resp;
    r->suppress = (skip_this || cl->reply_mode != REPLY_ON) && reply_dropped(cl, skip_this) &&
                  !replies_are_pushes(cmd);
    dispatch_finished(w, c, r);
}

/* resolve_command past its fast case: an unknown name, a container's
 * subcommand, a wrong arity. NULL after answering the error. */
static __attribute__((noinline)) const struct cmd_def *
resolve_command_slow(struct worker *w, struct conn *c, int argc, struct sv *argv, const struct cmd_def *cmd,
                     const struct cmd_def **parentp)
{
    char msg[256];
    *parentp = NULL;
    if (unlikely(cmd == NULL)) {
        reply_unknown_command(w, c, argc, argv);
        return NULL;
    }
    if (unlikely(cmd->flags & CMD_CONTAINER) && argc >= 2) {
        const struct cmd_def *sub = cmd_lookup_sub(cmd, argv[1]);
        if (sub == NULL) {
            char up[64];
            size_t n = TS_MIN(strlen(cmd->name), sizeof(up) - 1);
            for (size_t i = 0; i < n; i++)
                up[i] = (char)(cmd->name[i] >= 'a' && cmd->name[i] <= 'z' ? cmd->name[i] - 32 : cmd->name[i]);
            up[n] = '\0';
            snprintf(msg, sizeof(msg), "ERR unknown subcommand '%.*s'. Try %s HELP.",
                     (int)TS_MIN(argv[1].len, (size_t)128), argv[1].ptr, up);
            reply_error_ordered(w, c, msg);
            return NULL;
        }
        if (!cmd_arity_ok(sub, argc)) {
            snprintf(msg, sizeof(msg), "ERR wrong number of arguments for '%s|%s' command", cmd->name, sub->name);
            reply_error_ordered(w, c, msg);
            cmdstats_rejected(&w->shard.cstats, sub);
            return NULL;
        }
        *parentp = cmd;
        cmd = sub;
    } else if (unlikely(!cmd_arity_ok(cmd, argc))) {
        snprintf(msg, sizeof(msg), "ERR wrong number of arguments for '%s' command", cmd->name);
        reply_error_ordered(w, c, msg);
        cmdstats_rejected(&w->shard.cstats, cmd);
        return NULL;
    }
    return cmd;
}

/* Redis's checks for a replica's own clients: -READONLY for a write
 * (standalone: in cluster mode the slot's owner is the master, and
 * routing answers -MOVED), -MASTERDOWN with replica-serve-stale-data no
 * while the link is down, -LOADING while a full sync's RDB is loaded.
 * True after answering. */
static __attribute__((noinline)) bool
replica_refuses(struct worker *w, struct conn *c, const struct cmd_def *cmd)
{
    if (!(cmd->flags & CMD_LOADING) && __atomic_load_n(&g_loading, __ATOMIC_RELAXED)) {
        reply_error_ordered(w, c, "LOADING Redis is loading the dataset in memory");
        cmdstats_rejected(&w->shard.cstats, cmd);
        return true;
    }
    if (!g_server.cluster_mode && (cmd->flags & CMD_WRITE) && __atomic_load_n(&g_cfg.replica_read_only, __ATOMIC_RELAXED)) {
        reply_error_ordered(w, c, "READONLY You can't write against a read only replica.");
        cmdstats_rejected(&w->shard.cstats, cmd);
        return true;
    }
    if (!(cmd->flags & CMD_STALE) && !__atomic_load_n(&g_cfg.replica_serve_stale_data, __ATOMIC_RELAXED) &&
        !__atomic_load_n(&g_fx_link_up, __ATOMIC_RELAXED)) {
        reply_error_ordered(w, c, "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
        cmdstats_rejected(&w->shard.cstats, cmd);
        return true;
    }
    return false;
}

/* Look the command up (the subcommand for a container) and check its
 * arity; NULL after answering the error. *parentp is the container, or
 * NULL. */
static inline const struct cmd_def *
resolve_command(struct worker *w, struct conn *c, int argc, struct sv *argv, const struct cmd_def **parentp)
{
    const struct cmd_def *cmd = cmd_lookup_cached(&w->name_cache, argv[0]);
    *parentp = NULL;
    if (likely(cmd != NULL && !(cmd->flags & CMD_CONTAINER) && cmd_arity_ok(cmd, argc)))
        return cmd;
    return resolve_command_slow(w, c, argc, argv, cmd, parentp);
}

/* The client's view of its last command (CLIENT LIST's cmd, last
 * interaction, INFO's total) and MONITOR's feed. */
static inline __attribute__((always_inline)) void
client_note_command(struct worker *w, struct client *cl, const struct cmd_def *cmd, const struct cmd_def *parent,
                    int argc, struct sv *argv)
{
    cl->last_cmd = parent ? parent->name : cmd->name;
    cl->last_sub = parent ? cmd->name : NULL;
    cl->last_ms = w->shard.now_ms;
    cl->tot_cmds++;
    if (unlikely(__atomic_load_n(&g_monitor_count, __ATOMIC_RELAXED)) &&
        !(cmd->flags & (CMD_SKIP_MONITOR | CMD_ADMIN)))
        monitor_feed(&w->shard, cl, argc, argv);
}

/* process_command's last step: the command passed every check and its
 * worker is known; run it here, or send it as a request (to its worker,
 * or through the locks and the slot gate on this one). */
static inline __attribute__((always_inline)) void
dispatch_routed(struct worker *w, struct conn *c, const struct cmd_def *cmd, int argc, struct sv *argv, int slot,
                int target, struct ks_hash_hint *hint, bool suppress, bool skip_this)
{
    bool local_cmd = cmd->route != ROUTE_KEYS;
    if (unlikely(tx_any_locked(&w->shard)) && !local_cmd && target == w->id) {
        /* Keys here may be locked by a cross-worker command: take the
         * request path, which waits for the locks when needed. */
        struct req *r = make_req(w, c, cmd, argc, argv, slot, suppress);
        send_req(w, r, w->id);
        return;
    }
    if (unlikely(slot_move_active()) && !local_cmd && target == w->id && slot >= 0) {
        /* A slot move is in flight: the keys may be on their way here
         * (hold) or gone (pass on); the request path asks the gate. */
        int g = gate_slots(w->id, cmd, argc, argv, slot);
        if (g != SLOT_MOVE_RUN) {
            struct req *r = make_req(w, c, cmd, argc, argv, slot, suppress);
            send_req(w, r, g >= 0 ? g : w->id);
            return;
        }
    }
    if (target == w->id && c->fifo_head == NULL)
        run_now(w, c, cmd, argc, argv, slot, hint, suppress, skip_this, local_cmd);
    else
        run_as_request(w, c, cmd, argc, argv, slot, target, suppress, skip_this, local_cmd);
}

/* Route and run one command of connection c. */
void
process_command(struct worker *w, struct conn *c, int argc, struct sv *argv)
{
    struct client *cl = &c->cl;
    c->asking_now = false;
    const struct cmd_def *parent;
    const struct cmd_def *cmd = resolve_command(w, c, argc, argv, &parent);
    if (unlikely(cmd == NULL))
        return;
    if (unlikely(!(cl->flags & CL_AUTHENTICATED)) && !(cmd->flags & CMD_NO_AUTH)) {
        reply_error_ordered(w, c, "NOAUTH Authentication required.");
        cmdstats_rejected(&w->shard.cstats, cmd);
        return;
    }
    /* RESP2 subscribed context: only the pub/sub commands, PING, QUIT and
     * RESET. Redis checks it after the cluster redirection, so in cluster
     * mode a command with keys is checked after the routing below. */
    bool ps_reject = unlikely(cl->flags & CL_PUBSUB) && cl->resp == 2 && !(cmd->flags & CMD_SUBSCRIBED_OK);
    if (unlikely(ps_reject) && !(g_server.cluster_mode && cmd->route != ROUTE_LOCAL)) {
        reply_subscribed_context(w, c, cmd, parent);
        return;
    }

    /* CLIENT REPLY: a SKIP set by the previous command applies to this one;
     * OFF is judged after the command ran, so CLIENT REPLY ON answers. */
    bool skip_this = cl->reply_mode == REPLY_SKIP_NEXT || cl->reply_mode == REPLY_SKIP;
    if (unlikely(skip_this))
        cl->reply_mode = REPLY_ON;
    bool suppress = unlikely(skip_this || cl->reply_mode == REPLY_OFF) && !replies_are_pushes(cmd);

    /* A replica: writes only from its master (replica-read-only), and
     * while the link is down only what Redis allows when stale. */
    if (unlikely(w->shard.fx.replica) && !(cl->flags & CL_MASTER) && replica_refuses(w, c, cmd))
        return;

    /* CLIENT PAUSE: hold the command (and the connection) until it ends. */
    if (unlikely(__atomic_load_n(&g_pause.type, __ATOMIC_ACQUIRE) != PAUSE_NONE) && dispatch_pause_applies(w, cmd) &&
        !(cl->flags & CL_MASTER)) {
        struct req *r = make_req(w, c, cmd, argc, argv, -1, suppress);
        r->skip_reply = skip_this;
        dispatch_pause_park(w, c, r);
        return;
    }

    /* A keyless command behind unfinished ones (a pipelined SET that went
     * to another worker, say) waits for them, as one thread would have
     * run them in order: CONFIG SET, CLIENT KILL, PUBLISH, SHUTDOWN and,
     * later, WAIT must not take effect before an earlier write. Commands
     * with keys are ordered by their worker's queue; PING and ECHO have no
     * effect to order. */
    if (unlikely(c->fifo_head != NULL) && cmd->route == ROUTE_LOCAL && !(cmd->flags & CMD_LOCAL_ONLY)) {
        struct req *r = make_req(w, c, cmd, argc, argv, -1, suppress);
        r->skip_reply = skip_this;
        r->head_wait = true;
        c->head_wait = true;
        return;
    }

    /* ASKING is one-shot: it covers this command only (MULTI will extend
     * it). Commands flagged CMD_ASKING (RESTORE-ASKING) imply it. */
    uint32_t route_flags = cl->flags | ((cmd->flags & CMD_ASKING) ? CL_ASKING : 0);
    /* Shard channels (SSUBSCRIBE, SPUBLISH, ...) are served by the owner's
     * replicas too, as if READONLY: Redis's rule for pubsubshard commands. */
    if (cmd->route == ROUTE_LOCAL_KEYS)
        route_flags |= CL_READONLY;
    c->asking_now = (route_flags & CL_ASKING) != 0;
    if (unlikely(cl->flags & CL_ASKING) && strcmp(cmd->name, "asking") != 0)
        cl->flags &= ~(uint32_t)CL_ASKING;

    client_note_command(w, cl, cmd, parent, argc, argv);

    /* Inside MULTI, commands are queued once they pass the checks above
     * and the cluster's below (a refused one flags the transaction). */
    bool queue_it = unlikely(cl->multi != NULL) && multi_active(cl) && !(cmd->flags & CMD_TX_CONTROL);

    /* Routing. */
    int slot = -1;
    int target = w->id;
    struct ks_hash_hint hint = {NULL, 0, 0};
    if (cmd->route != ROUTE_LOCAL &&
        route_keys(w, c, cmd, argc, argv, route_flags, queue_it, suppress, &slot, &target, &hint))
        return;
    if (unlikely(ps_reject)) { /* cluster mode, keys: after the redirection checks */
        reply_subscribed_context(w, c, cmd, parent);
        return;
    }
    /* Commands with keys were checked in route_keys (slot >= 0). */
    if (slot < 0 && unlikely(evict_over_limit()) && oom_refused(w, c, cmd, queue_it))
        return;
    if (unlikely(__atomic_load_n(&g_noreplicas, __ATOMIC_RELAXED)) && noreplicas_refuses(w, c, cmd))
        return;
    if (unlikely(queue_it)) {
        multi_queue_ordered(w, c, cmd, argc, argv, false, suppress);
        return;
    }
    dispatch_routed(w, c, cmd, argc, argv, slot, target, &hint, suppress, skip_this);
}


static inline __attribute__((always_inline)) long dispatch_input_loop(struct worker *w, struct conn *c,
                                                                      const char *buf, size_t len, char *err,
                                                                      size_t errlen);

long
dispatch_input(struct worker *w, struct conn *c, const char *buf, size_t len)
{
    char err[160];
    c->parser.max_bulk_len = g_cfg.proto_max_bulk_len;
    /* Messages this input makes go to other workers' queues: a congested
     * one makes this connection wait (worker.c). */
    struct conn *prev_feeder = w->feeder;
    w->feeder = c;
    long r = dispatch_input_loop(w, c, buf, len, err, sizeof(err));
    w->feeder = prev_feeder;
    return r;
}

static inline __attribute__((always_inline)) long
dispatch_input_loop(struct worker *w, struct conn *c, const char *buf, size_t len, char *err, size_t errlen)
{
    size_t pos = 0;
    while (pos < len && conn_may_parse_next(c)) { /* callers checked conn_may_parse */
        size_t used = 0;
        int st = resp_parse(&c->parser, buf + pos, len - pos, &used, err, errlen);
        if (st == RESP_NEED_MORE) {
            size_t want = resp_want(&c->parser);
            if (want > c->in.cap && (long long)want <= g_cfg.client_query_buffer_limit)
                ts_buf_reserve(&c->in, want); /* grow once for a big argument */
            break;
        }
        if (unlikely(st == RESP_ERROR)) {
            char msg[200];
            snprintf(msg, sizeof(msg), "ERR %s", err);
            reply_error_ordered(w, c, msg);
            log_verbose("Protocol error (%s) from client: id=%llu addr=%s", err, (unsigned long long)c->cl.id,
                        c->cl.addr);
            c->cl.flags |= CL_CLOSE_AFTER_REPLY;
            conn_close(w, c);
            return -1;
        }
        pos += used;
        if (st == RESP_EMPTY)
            continue;
        process_command(w, c, c->parser.argc, c->parser.argv);
        if (unlikely(c->cl.flags & CL_MASTER)) /* our master's stream: ours too, and applied */
            fx_master_applied(&w->shard, buf + pos - used, used);
        if (unlikely(c->cl.flags & (CL_CLOSE_AFTER_REPLY | CL_CLOSE_ASAP))) {
            if (c->cl.flags & CL_CLOSE_ASAP)
                c->cl.flags &= ~(uint32_t)CL_CLOSE_AFTER_REPLY;
            conn_close(w, c);
            return -1;
        }
        if (c->closing)
            return -1;
    }
    return (long)pos;
}
