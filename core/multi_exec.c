/* multi_exec.c: EXEC (multi.h), the queue of a MULTI run as one
 * cross-worker transaction (tx.h).
 *
 * The transaction holds intents on every key of every queued command and
 * on the watched keys, from its first phase to its end. When a queued
 * command is keyless (DBSIZE, KEYS, FLUSHALL, RANDOMKEY, SCAN, INFO...,
 * anything but CMD_LOCAL_ONLY's PING and ECHO), its proc may fan out to
 * every worker or forward itself to any of them: the transaction is then
 * global (t->global), with a part and a whole-keyspace intent on every
 * worker. Its phases:
 *
 *   phase 1   each part checks its watched keys (expired since WATCH)
 *   (coordinator: a watched key changed -> null array, nothing runs)
 *   phase 2.. one step of the queue per phase, decided by the coordinator
 *             between phases (exec_advance), while every part is idle:
 *     batch    a maximal run of commands each with all its keys on one
 *              worker: every worker runs its own of them, in queue order
 *              (commands of different workers have disjoint keys and
 *              commute); parts with none sit the phase out. PING and ECHO
 *              in the run are answered after it by the coordinator (they
 *              read no data)
 *     span     one command with keys on several workers (MSET, RENAME,
 *              SINTERSTORE...): its own per-worker parts (cmd->tx), one
 *              of its phases per EXEC phase (tx_sub_*), its reply made by
 *              the coordinator
 *     keyless  run on the coordinator between two phases, with the
 *              client; a fan-out's each() is then one phase on the
 *              workers it names, and done() follows on the coordinator; a
 *              forward (SCAN's cursor on another worker) re-runs the proc
 *              as one phase on the worker it names
 *
 * Invariant: a queued command starts only after every command queued
 * before it has finished on every worker -- a later step starts only when
 * the previous phase has ended everywhere, and within a batch a worker
 * runs its commands in queue order while other workers' commands touch
 * none of its keys. So each command sees exactly the effects of those
 * before it, as in Redis (SET a; RENAME a b; GET b; DBSIZE with a and b on
 * two workers). No other client sees any of it before the last step: the
 * intents are dropped only then, and ordinary commands, fan-outs and other
 * transactions on those keys (on any key, for a global one) wait. */
#include "core/multi.h"

#include "core/cmd.h"
#include "core/cmdstats.h"
#include "core/multi_int.h"
#include "core/reply.h"
#include "core/server.h"
#include "core/shard.h"
#include "core/slot.h"
#include "core/snapshot.h"
#include "core/tx.h"

enum exec_step { STEP_NONE = 0, STEP_BATCH, STEP_SPAN, STEP_FANOUT, STEP_FORWARD };

/* Where queued command i runs (cpart[i]): a part index, or one of these. */
enum { CP_COORD = -1, CP_SPAN = -2 };

struct exec_state {
    struct client *cl;       /* the client, on the coordinator */
    uint64_t client_id;
    struct watch_state *ws;  /* a reference, or NULL */
    int n;
    struct multi_cmd *cmds;  /* taken over from the client's queue */
    int *base;               /* argv index in the tx's argv of each command's argv[0] */
    int *k0, *kn;            /* each command's keys: the tx's key numbers k0 .. k0 + kn */
    int *cpart;              /* the part running each command, CP_COORD or CP_SPAN (exec_plan) */
    int *where;              /* the part whose out holds each reply, -1: cout */
    size_t *start, *end;     /* each reply in that buffer */
    struct ts_buf cout;      /* replies made on the coordinator */
    bool planned, aborted;
    /* the step in flight (read by the parts during its phase) */
    int step;
    int pc, pc_end;          /* its command (batch: commands pc .. pc_end) */
    struct tx *sub;          /* STEP_SPAN */
    struct cmd_fanout *fan;  /* STEP_FANOUT */
    const struct cmd_def *fan_cmd;
    int fwd_slot;            /* STEP_FORWARD: the slot the proc asked for */
    uint64_t t0;             /* when the step's command started (stats) */
    int nwatch;
    int watch_base;          /* tx argv index of the first watched key */
    struct sv *wkeys;        /* the client's watched keys, unregistered when EXEC is over */
};

static void
exec_free(void *arg)
{
    struct exec_state *x = arg;
    for (int i = 0; i < x->n; i++) {
        ts_free(x->cmds[i].argv);
        ts_free(x->cmds[i].buf);
    }
    ts_free(x->cmds);
    ts_free(x->base);
    ts_free(x->k0);
    ts_free(x->kn);
    ts_free(x->cpart);
    ts_free(x->where);
    ts_free(x->start);
    ts_free(x->end);
    ts_buf_free(&x->cout);
    if (x->sub)
        tx_sub_free(x->sub);
    if (x->fan) {
        if (x->fan->free_state)
            x->fan->free_state(x->fan->state);
        ts_free(x->fan);
    }
    if (x->ws) {
        /* Only now: until EXEC has decided, a change must still mark it. */
        multi_watch_drop_keys(x->ws, x->wkeys, x->nwatch);
        multi_ws_unref(x->ws);
    }
    ts_free(x->wkeys);
    ts_free(x);
}

/* ---- Running one queued command ---- */

/* Count a command run inside EXEC as the dispatcher counts any other. */
static void
exec_count(struct shard *sh, const struct cmd_def *cmd, const struct reply *r, uint64_t t0)
{
    uint64_t dur = ts_ticks_to_us(ts_ticks() - t0);
    sh->stats.commands++;
    if (r->error) {
        sh->stats.errors++;
        if (r->err_at < r->out->len)
            cmdstats_error(&sh->cstats, r->out->data + r->err_at + 1, r->out->len - r->err_at - 1);
    }
    cmdstats_call(&sh->cstats, cmd, dur, r->error);
}

/* Run queued command i's proc on sh (cl set only on the client's worker),
 * its reply into r. slot: the slot a forward asked for, or -1 to take the
 * first key's. What it leaves for the runtime stays in *ctx. */
static void
exec_call(struct shard *sh, struct client *cl, const struct tx *t, const struct exec_state *x, int i, int slot,
          struct reply *r, struct cmd_ctx *ctx)
{
    const struct multi_cmd *q = &x->cmds[i];
    struct sv *argv = t->argv + x->base[i];
    if (slot < 0) {
        int idx[1];
        slot = cmd_get_keys(q->cmd, q->argc, argv, idx, 1) > 0 ? slot_of_sv(argv[idx[0]]) : -1;
    }
    *ctx = (struct cmd_ctx){.sh = sh, .cl = cl, .cmd = q->cmd, .argc = q->argc, .argv = argv, .r = r,
                            .now_ms = sh->now_ms, .cflags = t->cflags, .client_id = x->client_id, .slot = slot,
                            .forward_to = -1, .forward_slot = -1, .in_exec = true};
    if (unlikely(sh->snap != NULL) && (ctx->cmd->flags & (CMD_WRITE | CMD_MAY_REPLICATE | CMD_ADMIN)))
        snap_guard_cmd(sh, ctx->cmd, ctx->argc, ctx->argv);
    fx_command_begin(&sh->fx);
    sh->fx.from_master = (t->cflags & CL_MASTER) != 0;
    ctx->cmd->proc(ctx);
    if (!ctx->fanout && ctx->forward_to < 0 && !ctx->tx)
        fx_command_end(sh, ctx->argc, ctx->argv);
    sh->fx.cmd_writes = 0; /* streamed: the part runner must not stream it again (tx_part_propagate) */
}

/* The proc handed its command on (fan-out, forward, transaction) where
 * EXEC cannot follow: drop what it left (nothing was done yet) and answer
 * an error in its place, from mark on in r's buffer. */
static void
exec_refuse_handoff(struct cmd_ctx *ctx, struct reply *r, size_t mark)
{
    if (ctx->fanout) {
        struct cmd_fanout *f = ctx->fanout;
        if (f->free_state)
            f->free_state(f->state);
        ts_free(f);
        ctx->fanout = NULL;
    }
    if (ctx->tx) {
        tx_drop(ctx->tx);
        ctx->tx = NULL;
    }
    ctx->forward_to = -1;
    r->out->len = mark;
    reply_errorf(r, "ERR '%s' inside MULTI is not supported by Tessera yet", ctx->cmd->name);
}

/* On a part's worker: run command i there, its reply into the part's out. */
static void
exec_run_here(struct shard *sh, struct tx *t, struct tx_part *p, int i, int slot)
{
    struct exec_state *x = t->ctx;
    struct reply r;
    reply_init(&r, &p->out, t->resp);
    x->where[i] = (int)(p - t->parts);
    x->start[i] = p->out.len;
    uint64_t t0 = ts_ticks();
    struct cmd_ctx ctx;
    exec_call(sh, NULL, t, x, i, slot, &r, &ctx);
    if (ctx.fanout || ctx.forward_to >= 0 || ctx.tx)
        exec_refuse_handoff(&ctx, &r, x->start[i]);
    exec_count(sh, ctx.cmd, &r, t0);
    x->end[i] = p->out.len;
}

/* ---- The parts ---- */

static void
exec_part(struct shard *sh, struct tx *t, struct tx_part *p, int phase)
{
    struct exec_state *x = t->ctx;
    if (phase == 1) {
        /* a watched key that was not expired when watched and is now */
        for (int i = 0; i < p->nkeys && x->ws; i++) {
            if (p->keys[i] < x->watch_base)
                continue;
            struct sv key = t->argv[p->keys[i]];
            struct watch_entry *e = multi_watch_find(sh, key, x->ws);
            if (e && !e->expired_at_watch && multi_key_expired(sh, key))
                p->flag = true;
        }
        return;
    }
    int pi = (int)(p - t->parts);
    switch (x->step) {
    case STEP_BATCH:
        for (int i = x->pc; i < x->pc_end; i++)
            if (x->cpart[i] == pi)
                exec_run_here(sh, t, p, i, -1);
        break;
    case STEP_SPAN:
        for (int j = 0; j < x->sub->nparts; j++)
            if (x->sub->parts[j].worker == p->worker) {
                fx_command_begin(&sh->fx);
                x->sub->ops->part(sh, x->sub, &x->sub->parts[j], x->sub->phase);
                tx_part_propagate(sh, x->sub, &x->sub->parts[j]);
                sh->fx.cmd_writes = 0;
            }
        break;
    case STEP_FANOUT:
        x->fan->each(sh, x->fan->state, p->worker);
        break;
    case STEP_FORWARD:
        exec_run_here(sh, t, p, x->pc, x->fwd_slot);
        break;
    }
}

/* ---- The steps, on the coordinator ---- */

/* Which part runs each command: the one owning all its keys, or several
 * (CP_SPAN), or none (keyless: CP_COORD). Read under the transaction's
 * intents, so no slot moves meanwhile. */
static void
exec_plan(struct tx *t, struct exec_state *x)
{
    x->planned = true;
    for (int i = 0; i < x->n; i++) {
        if (x->kn[i] == 0) {
            x->cpart[i] = CP_COORD;
            continue;
        }
        int p0 = t->kpart[x->k0[i]];
        x->cpart[i] = p0;
        for (int k = 1; k < x->kn[i]; k++)
            if (t->kpart[x->k0[i] + k] != p0)
                x->cpart[i] = CP_SPAN;
    }
}

static int
part_of_worker(const struct tx *t, int worker)
{
    for (int j = 0; j < t->nparts; j++)
        if (t->parts[j].worker == worker)
            return j;
    return -1;
}

/* The next phase runs on the parts of the sub-transaction's workers. */
static void
involve_sub(struct tx *t, const struct tx *sub)
{
    for (int j = 0; j < t->nparts; j++)
        t->parts[j].idle = true;
    for (int j = 0; j < sub->nparts; j++)
        t->parts[part_of_worker(t, sub->parts[j].worker)].idle = false;
}

static void
reply_begin(struct tx *t, struct exec_state *x, struct reply *r)
{
    reply_init(r, &x->cout, t->resp);
    x->where[x->pc] = -1;
    x->start[x->pc] = x->cout.len;
    x->t0 = ts_ticks();
}

static void
reply_end(struct tx *t, struct exec_state *x, const struct cmd_def *cmd, const struct reply *r)
{
    exec_count(g_shards[t->origin], cmd, r, x->t0);
    x->end[x->pc] = x->cout.len;
}

/* Command pc has keys on several workers: set up its sub-transaction
 * (true), or answer at once (its arguments are wrong, or it has no
 * per-worker parts). */
static bool
span_start(struct tx *t, struct exec_state *x)
{
    const struct multi_cmd *q = &x->cmds[x->pc];
    struct reply r;
    reply_begin(t, x, &r);
    if (q->cmd->tx == NULL) { /* the keys' slots moved apart since it was queued */
        reply_errorf(&r, "ERR '%s' with keys on different worker threads is not supported yet; "
                         "give the keys one {hash tag}",
                     q->cmd->name);
        reply_end(t, x, q->cmd, &r);
        return false;
    }
    int nk = x->kn[x->pc];
    int *idx = ts_malloc(sizeof(int) * (size_t)nk);
    for (int k = 0; k < nk; k++)
        idx[k] = t->keyidx[x->k0[x->pc] + k] - x->base[x->pc];
    struct tx *sub = tx_sub_create(t, q->cmd, q->argc, t->argv + x->base[x->pc], idx, nk);
    ts_free(idx);
    if (sub->ops->check && !sub->ops->check(sub, &r)) {
        reply_end(t, x, q->cmd, &r);
        tx_sub_free(sub);
        return false;
    }
    x->sub = sub;
    x->step = STEP_SPAN;
    involve_sub(t, sub);
    return true;
}

/* A phase of the sub-transaction ran: its next phase (true), or its reply. */
static bool
span_next(struct tx *t, struct exec_state *x)
{
    struct tx *sub = x->sub;
    if (tx_sub_next(sub)) {
        involve_sub(t, sub);
        return true;
    }
    struct reply r;
    reply_init(&r, &x->cout, t->resp);
    sub->ops->reply(sub, &r);
    tx_sub_stream(t, sub, &r); /* in the EXEC's unit, between the effects before and after it */
    reply_end(t, x, sub->cmd, &r);
    tx_sub_free(sub);
    x->sub = NULL;
    return false;
}

/* The fan-out's parts ran (or it named no worker): done() writes the reply. */
static void
fanout_finish(struct tx *t, struct exec_state *x)
{
    struct cmd_fanout *f = x->fan;
    struct reply r;
    reply_init(&r, &x->cout, t->resp);
    (void)cmd_defer_done_take();
    f->done(f->state, &r, x->cl);
    if (cmd_defer_done_take()) { /* it would answer later: EXEC cannot wait (none does, in_exec) */
        x->cout.len = x->start[x->pc];
        reply_errorf(&r, "ERR '%s' inside MULTI is not supported by Tessera yet", x->fan_cmd->name);
    }
    if (f->free_state)
        f->free_state(f->state);
    ts_free(f);
    x->fan = NULL;
    reply_end(t, x, x->fan_cmd, &r);
}

/* Keyless command pc: run it here with the client; true when it goes on
 * as a phase (a fan-out's parts, a forward), false when it is answered. */
static bool
keyless_start(struct tx *t, struct exec_state *x)
{
    struct reply r;
    reply_begin(t, x, &r);
    struct cmd_ctx ctx;
    exec_call(g_shards[t->origin], x->cl, t, x, x->pc, -1, &r, &ctx);
    t->resp = r.resp; /* HELLO switches the protocol of what follows */
    struct cmd_fanout *f = ctx.fanout;
    if (f && !f->deferred && !ctx.tx && t->global) {
        x->fan = f;
        x->fan_cmd = ctx.cmd;
        x->step = STEP_FANOUT;
        bool any = false;
        for (int j = 0; j < t->nparts; j++) {
            int w = t->parts[j].worker;
            t->parts[j].idle = f->masked && !(f->mask[w / 64] & (1ull << (w % 64)));
            any |= !t->parts[j].idle;
        }
        if (any)
            return true;
        fanout_finish(t, x); /* an empty mask (PUBLISH without subscribers) */
        return false;
    }
    int pj = ctx.forward_to >= 0 ? part_of_worker(t, ctx.forward_to) : -1;
    if (!f && !ctx.tx && pj >= 0) {
        x->fwd_slot = ctx.forward_slot;
        x->step = STEP_FORWARD;
        t->parts[pj].idle = false;
        return true;
    }
    if (f || ctx.forward_to >= 0 || ctx.tx) /* not reached: the EXEC would have been global */
        exec_refuse_handoff(&ctx, &r, x->start[x->pc]);
    reply_end(t, x, ctx.cmd, &r);
    return false;
}

/* Answer the coordinator's commands from x->pc on, up to the next step
 * that needs workers: true when one is set up (its parts are the ones not
 * idle), false when the queue is done. */
static bool
exec_advance(struct tx *t, struct exec_state *x)
{
    for (; x->pc < x->n; x->pc++) {
        for (int j = 0; j < t->nparts; j++)
            t->parts[j].idle = true;
        int cp = x->cpart[x->pc];
        if (cp >= 0) {
            x->pc_end = x->pc;
            for (; x->pc_end < x->n; x->pc_end++) {
                int c = x->cpart[x->pc_end];
                if (c >= 0)
                    t->parts[c].idle = false;
                else if (c != CP_COORD || !(x->cmds[x->pc_end].cmd->flags & CMD_LOCAL_ONLY))
                    break;
            }
            x->step = STEP_BATCH;
            return true;
        }
        if (cp == CP_SPAN ? span_start(t, x) : keyless_start(t, x))
            return true;
    }
    for (int j = 0; j < t->nparts; j++)
        t->parts[j].idle = false;
    x->step = STEP_NONE;
    return false;
}

/* After phase done ran on its parts: the next phase, or the end. */
static bool
exec_next(struct tx *t, int done)
{
    struct exec_state *x = t->ctx;
    if (done == 1) {
        for (int i = 0; i < t->nparts; i++)
            x->aborted |= t->parts[i].flag;
        x->aborted |= x->ws && __atomic_load_n(&x->ws->dirty, __ATOMIC_RELAXED);
        if (x->aborted)
            return false;
        exec_plan(t, x);
        return exec_advance(t, x);
    }
    switch (x->step) {
    case STEP_BATCH: {
        /* PING and ECHO met in the batch: they read no data, so answering
         * them after it is the same as in their place. */
        int end = x->pc_end;
        for (int i = x->pc; i < end; i++) {
            if (x->cpart[i] != CP_COORD)
                continue;
            x->pc = i;
            (void)keyless_start(t, x); /* answered at once: CMD_LOCAL_ONLY */
        }
        x->pc = end;
        break;
    }
    case STEP_SPAN:
        if (span_next(t, x))
            return true;
        x->pc++;
        break;
    case STEP_FANOUT:
        fanout_finish(t, x);
        x->pc++;
        break;
    case STEP_FORWARD:
        x->pc++;
        break;
    }
    return exec_advance(t, x);
}

static void
exec_reply(struct tx *t, struct reply *r)
{
    struct exec_state *x = t->ctx;
    if (!x->planned && !x->aborted) {
        /* No key at all, so no worker involved: the queue is PING/ECHO
         * only (anything else keyless makes the EXEC global), answered
         * here; no step needs a worker. */
        x->aborted = x->ws && __atomic_load_n(&x->ws->dirty, __ATOMIC_RELAXED);
        if (!x->aborted) {
            exec_plan(t, x);
            (void)exec_advance(t, x);
        }
    }
    if (x->aborted) {
        reply_null_array(r);
        return;
    }
    reply_array(r, x->n);
    for (int i = 0; i < x->n; i++) {
        const struct ts_buf *b = x->where[i] >= 0 ? &t->parts[x->where[i]].out : &x->cout;
        reply_raw(r, b->data + x->start[i], x->end[i] - x->start[i]);
    }
    r->resp = t->resp;
    r->error = false; /* EXEC itself succeeded whatever its commands did */
}

static const struct tx_ops exec_tx = {.phases = TX_PHASES_OPEN, .part = exec_part, .next_phase = exec_next,
                                      .reply = exec_reply, .free_ctx = exec_free};

/* ---- EXEC ---- */

/* In cluster mode every key of the transaction must be in one slot, and
 * that slot served here (Redis checks the whole queue at EXEC). */
static bool
exec_cluster_check(struct cmd_ctx *c, struct multi_state *ms)
{
    int slot = -1;
    for (int i = 0; i < ms->n; i++) {
        int idx[256];
        int nk = cmd_get_keys(ms->cmds[i].cmd, ms->cmds[i].argc, ms->cmds[i].argv, idx, 256);
        for (int k = 0; k < nk; k++) {
            int s = slot_of_sv(ms->cmds[i].argv[idx[k]]);
            if (slot >= 0 && s != slot) {
                reply_error(c->r, ERR_CROSSSLOT);
                return false;
            }
            slot = s;
        }
    }
    return true;
}

static struct exec_state *
exec_state_create(struct cmd_ctx *c, struct multi_state *ms)
{
    struct exec_state *x = ts_calloc(1, sizeof(*x));
    size_t n1 = (size_t)ms->n + 1;
    x->cl = c->cl;
    x->client_id = c->client_id;
    x->n = ms->n;
    x->cmds = ms->cmds;
    x->base = ts_malloc(sizeof(int) * n1);
    x->k0 = ts_malloc(sizeof(int) * n1);
    x->kn = ts_malloc(sizeof(int) * n1);
    x->cpart = ts_malloc(sizeof(int) * n1);
    x->where = ts_malloc(sizeof(int) * n1);
    x->start = ts_calloc(n1, sizeof(size_t));
    x->end = ts_calloc(n1, sizeof(size_t));
    return x;
}

void
multi_cmd_exec(struct cmd_ctx *c)
{
    struct multi_state *ms = c->cl->multi;
    if (!ms || !ms->active) {
        reply_error(c->r, "ERR EXEC without MULTI");
        return;
    }
    if (ms->dirty) {
        multi_free_queue(ms);
        multi_unwatch_all(ms);
        reply_error(c->r, "EXECABORT Transaction discarded because of previous errors.");
        return;
    }
    if (g_server.cluster_mode && !exec_cluster_check(c, ms)) {
        multi_free_queue(ms);
        multi_unwatch_all(ms);
        return;
    }
    /* One argv for the transaction: every command's arguments, then the
     * watched keys; the keys are their positions in it. */
    struct exec_state *x = exec_state_create(c, ms);
    int total = ms->nwatch, nk = 0, maxargc = 1;
    bool writes = false, global = false;
    for (int i = 0; i < ms->n; i++) {
        total += ms->cmds[i].argc;
        maxargc = TS_MAX(maxargc, ms->cmds[i].argc);
        /* admin commands too: DEBUG POPULATE writes keys without CMD_WRITE */
        writes |= (ms->cmds[i].cmd->flags & (CMD_WRITE | CMD_MAY_REPLICATE | CMD_ADMIN)) != 0;
    }
    struct sv *argv = ts_malloc(sizeof(struct sv) * (size_t)(total + 1));
    int *idx = ts_malloc(sizeof(int) * (size_t)(total + 1));
    int *kidx = ts_malloc(sizeof(int) * (size_t)maxargc);
    int pos = 0;
    for (int i = 0; i < ms->n; i++) {
        struct multi_cmd *q = &ms->cmds[i];
        x->base[i] = pos;
        int k = q->cmd->route == ROUTE_KEYS ? cmd_get_keys(q->cmd, q->argc, q->argv, kidx, q->argc) : 0;
        k = TS_MAX(k, 0);
        x->k0[i] = nk;
        x->kn[i] = k;
        /* a keyless proc may fan out or forward: every worker is involved */
        global |= k == 0 && !(q->cmd->flags & CMD_LOCAL_ONLY);
        for (int j = 0; j < k; j++)
            idx[nk++] = pos + kidx[j];
        for (int j = 0; j < q->argc; j++)
            argv[pos++] = q->argv[j];
    }
    ts_free(kidx);
    x->watch_base = pos;
    x->nwatch = ms->nwatch;
    for (int i = 0; i < ms->nwatch; i++) {
        idx[nk++] = pos;
        argv[pos++] = ms->wkeys[i];
    }
    if (ms->ws) { /* the watch state and its keys go with the transaction */
        x->ws = ms->ws;
        x->wkeys = ms->wkeys;
        ms->ws = NULL;
        ms->wkeys = NULL;
        ms->nwatch = ms->capwatch = 0;
    }
    struct tx *t = tx_prepare(c->sh, c->cmd, &exec_tx, pos, argv, idx, nk, c->r->resp, c->cflags);
    t->excl = writes;
    t->global = global;
    t->ctx = x;
    ts_free(argv);
    ts_free(idx);
    /* The queue now belongs to the transaction; the client leaves MULTI
     * and stops watching (the transaction keeps its own reference). */
    ms->cmds = NULL;
    ms->n = ms->cap = 0;
    ms->active = false;
    ms->dirty = false;
    multi_unwatch_all(ms);
    cmd_tx(c, t);
}
