/* tx.c: transactions across workers (tx.h).
 *
 * Per worker, a struct tx_shard holds the queue of the transaction parts
 * scheduled there, in id order, and a table of key intents:
 *
 *   queue:  head -> [id 7: a(X) b(S)] -> [id 9: b(X)] -> [id 12: c(S)] -> tail
 *   intents: a: X1   b: S1 X1   c: S1
 *
 * A part may run its requested phase when no part before it in the queue
 * conflicts with it (shares a key that either of them writes). Part 9
 * above waits for 7 (both use b, 9 writes it); 12 may run at once. A part
 * stays in the queue, intents held, until its transaction is over.
 *
 * A global transaction (t->global: an EXEC that runs DBSIZE, FLUSHALL...)
 * has a part on every worker and an intent on the whole keyspace there:
 * gexcl / gshared count them. It conflicts with every other part (when
 * either writes) and with every ordinary command (a write, or anything
 * when it writes itself). */
#include "core/tx.h"

#include <stdio.h>

#include "core/cmd.h"
#include "core/cmdstats.h"
#include "core/keyspace.h"
#include "core/log.h"
#include "core/server.h"
#include "core/shard.h"
#include "core/slot.h"
#include "core/slot_move.h"
#include "core/snapshot.h"
#include "core/slotmap.h"

uint64_t tx_started, tx_retried;
void (*tx_locks_released)(struct shard *sh);
static uint64_t tx_next_id = 1; /* atomic: one counter orders every transaction */

/* ---- Key intents ---- */

struct tx_intent {
    struct tx_intent *next;
    uint64_t hash;
    int excl, shared;
    size_t len;
    char key[];
};

#define TXI_BUCKETS 256
struct tx_shard {
    uint64_t max_id;                /* highest id queued here */
    struct tx_part *head, *tail;    /* queue, in id order */
    int nkeys;                      /* keys with an intent */
    int gexcl, gshared;             /* global intents (t->global) */
    struct tx_intent *b[TXI_BUCKETS];
};

static struct tx_shard *
txs_get(struct shard *sh)
{
    if (!sh->tx)
        sh->tx = ts_calloc(1, sizeof(struct tx_shard));
    return sh->tx;
}

static uint64_t
txi_hash(struct sv k)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < k.len; i++)
        h = (h ^ (unsigned char)k.ptr[i]) * 1099511628211ull;
    return h;
}

static struct tx_intent *
txi_find(struct tx_shard *ts, struct sv k, bool create)
{
    uint64_t h = txi_hash(k);
    struct tx_intent **pp = &ts->b[h % TXI_BUCKETS];
    for (struct tx_intent *l = *pp; l; l = l->next)
        if (l->hash == h && l->len == k.len && memcmp(l->key, k.ptr, k.len) == 0)
            return l;
    if (!create)
        return NULL;
    struct tx_intent *l = ts_calloc(1, sizeof(*l) + k.len);
    l->hash = h;
    l->len = k.len;
    memcpy(l->key, k.ptr, k.len);
    l->next = *pp;
    *pp = l;
    ts->nkeys++;
    return l;
}

static void
txi_add(struct tx_shard *ts, struct sv k, bool excl, int delta)
{
    struct tx_intent *l = txi_find(ts, k, delta > 0);
    if (!l)
        return;
    if (excl)
        l->excl += delta;
    else
        l->shared += delta;
    if (l->excl == 0 && l->shared == 0) {
        struct tx_intent **pp = &ts->b[l->hash % TXI_BUCKETS];
        while (*pp != l)
            pp = &(*pp)->next;
        *pp = l->next;
        ts_free(l);
        ts->nkeys--;
    }
}

bool
tx_any_locked(const struct shard *sh)
{
    /* on the request path: one test of the three counts (none is negative) */
    return sh->tx && (sh->tx->nkeys | sh->tx->gexcl | sh->tx->gshared) != 0;
}

bool
tx_conflicts(struct shard *sh, const struct cmd_def *cmd, int argc, const struct sv *argv)
{
    struct tx_shard *ts = sh->tx;
    if (!ts)
        return false;
    bool excl = (cmd->flags & CMD_WRITE) != 0;
    if (ts->gexcl > 0 || (excl && ts->gshared > 0))
        return true;
    if (ts->nkeys == 0)
        return false;
    int idx[64];
    int nk = cmd_get_keys(cmd, argc, (struct sv *)argv, idx, 64);
    for (int i = 0; i < nk; i++) {
        struct tx_intent *l = txi_find(ts, argv[idx[i]], false);
        if (l && (l->excl > 0 || (excl && l->shared > 0)))
            return true;
    }
    return nk == 64; /* more keys than looked at: wait for every intent to clear */
}

/* ---- Queue ---- */

/* Do parts p and q (of different transactions, on one worker) touch a
 * common key that either of them writes? */
static bool
parts_conflict(const struct tx_part *p, const struct tx_part *q)
{
    if (!p->tx->excl && !q->tx->excl)
        return false;
    if (p->tx->global || q->tx->global)
        return true;
    for (int i = 0; i < p->nkeys; i++)
        for (int j = 0; j < q->nkeys; j++)
            if (sv_eq(p->tx->argv[p->keys[i]], q->tx->argv[q->keys[j]]))
                return true;
    return false;
}

static bool
part_runnable(const struct tx_part *p)
{
    for (const struct tx_part *q = p->qprev; q; q = q->qprev)
        if (parts_conflict(p, q))
            return false;
    return true;
}

static void msg_phase_done(void *arg, int worker);

/* ---- Units (effect.h): a writing transaction over several workers ---- */

static void
txfx_free(struct tx_fx *f)
{
    ts_buf_free(&f->b);
    ts_free(f->seg);
}

/* A run's captured effects (fx_capture_begin on f->b before it) become a
 * segment of f tagged with phase. */
static void
txfx_close(struct shard *sh, struct tx_fx *f, int phase, struct fx_capture *c)
{
    uint64_t n = fx_capture_end(sh, &f->b, c);
    size_t start = f->nseg ? f->seg[f->nseg - 1].end : 0;
    if (f->b.len == start)
        return;
    if (f->nseg == f->capseg) {
        f->capseg = f->capseg ? f->capseg * 2 : 4;
        f->seg = ts_realloc(f->seg, sizeof(*f->seg) * (size_t)f->capseg);
    }
    f->seg[f->nseg++] = (struct tx_fx_seg){.phase = phase, .end = f->b.len, .ncmds = n};
}

/* Decided at each schedule, after the id is taken: a cut of a full sync
 * (an internal global transaction, repl_snap.c) scheduled before this id
 * was scheduled after the stream came on, so every transaction after the
 * cut sees it on. A transaction on one worker is a unit too: a MULTI/EXEC
 * wrapped in that worker's stream could not let another unit in between
 * its MULTI and its EXEC without nesting them. */
static bool
tx_wants_unit(const struct tx *t)
{
    return t->excl && !t->internal && !(t->cflags & CL_MASTER) && fx_unit_hook != NULL &&
           !g_shards[t->origin]->fx.replica && __atomic_load_n(&fx_stream_active, __ATOMIC_SEQ_CST);
}

static uint64_t
txfx_cmds(const struct tx_fx *f)
{
    uint64_t n = 0;
    for (int i = 0; i < f->nseg; i++)
        n += f->seg[i].ncmds;
    return n;
}

/* The captured effects of source s of t's unit: its parts in order, then
 * (s == nparts) the coordinator's. */
static const struct tx_fx *
tx_unit_src(const struct tx *t, int s)
{
    return s < t->nparts ? &t->parts[s].fx : &t->cfx;
}

/* The unit: every source's segments phase by phase (the parts in order,
 * then the coordinator's steps after that phase), wrapped in MULTI/EXEC
 * unless it is one command. Effects of different parts in one phase touch
 * different keys, so their order there is free. */
static void
tx_unit_push(struct tx *t)
{
    int nsrc = t->nparts + 1;
    uint64_t total = 0;
    int maxph = 0;
    for (int s = 0; s < nsrc; s++) {
        const struct tx_fx *f = tx_unit_src(t, s);
        total += txfx_cmds(f);
        if (f->nseg)
            maxph = TS_MAX(maxph, f->seg[f->nseg - 1].phase);
    }
    /* nothing, or this node became a replica meanwhile: its own effects
     * are no longer streamed (its master's history replaces them) */
    struct shard *sh = g_shards[t->origin];
    if (total == 0 || sh->fx.replica || !sh->fx.stream_on)
        return;
    struct ts_buf u = {0};
    if (total > 1)
        ts_buf_append(&u, "*1\r\n$5\r\nMULTI\r\n", 15);
    int *cur = ts_calloc((size_t)nsrc, sizeof(int));
    for (int ph = 0; ph <= maxph; ph++)
        for (int s = 0; s < nsrc; s++) {
            const struct tx_fx *f = tx_unit_src(t, s);
            for (; cur[s] < f->nseg && f->seg[cur[s]].phase == ph; cur[s]++) {
                size_t start = cur[s] ? f->seg[cur[s] - 1].end : 0;
                ts_buf_append(&u, f->b.data + start, f->seg[cur[s]].end - start);
            }
        }
    ts_free(cur);
    if (total > 1)
        ts_buf_append(&u, "*1\r\n$4\r\nEXEC\r\n", 14);
    struct fx_unit *un = ts_calloc(1, sizeof(*un));
    un->id = t->id;
    un->origin = t->origin;
    un->qw = ts_malloc(sizeof(int) * (size_t)t->nparts);
    for (int i = 0; i < t->nparts; i++)
        if (t->parts[i].q_marked)
            un->qw[un->nq++] = t->parts[i].worker;
    un->data = u.data;
    un->len = u.len;
    t->unit_pushed = true;
    fx_unit_hook(un);
}

/* Run every part of this worker's queue whose requested phase may run now,
 * in queue order. */
static void
txs_run_ready(struct shard *sh)
{
    struct tx_shard *ts = sh->tx;
    for (struct tx_part *p = ts->head; p; p = p->qnext) {
        if (!p->run_phase || !part_runnable(p))
            continue;
        int phase = p->run_phase;
        p->run_phase = 0;
        struct tx *t = p->tx;
        /* a writing part's effects go out as one MULTI/EXEC unit of this
         * worker's stream, closed when the part is released (over several
         * workers: captured for the transaction's unit instead) */
        if (t->excl && !p->fx_began && !t->unit) {
            p->fx_began = true;
            fx_tx_begin(sh);
        }
        if (unlikely(sh->snap != NULL) && t->excl)
            for (int i = 0; i < p->nkeys; i++)
                snap_guard_key(sh, t->argv[p->keys[i]]);
        fx_command_begin(&sh->fx);
        sh->fx.from_master = (t->cflags & CL_MASTER) != 0;
        struct fx_capture cap;
        if (t->unit)
            fx_capture_begin(sh, &p->fx.b, &cap);
        t->ops->part(sh, t, p, phase);
        tx_part_propagate(sh, t, p);
        if (t->unit)
            txfx_close(sh, &p->fx, phase, &cap);
        sh->stats.forwarded++;
        g_rt.worker_call(t->origin, msg_phase_done, p);
    }
}

/* ---- Messages, worker side ---- */

static void msg_scheduled(void *arg, int worker);

static void
msg_schedule(void *arg, int worker)
{
    struct tx_part *p = arg;
    struct tx *t = p->tx;
    struct shard *sh = g_shards[worker];
    struct tx_shard *ts = txs_get(sh);
    /* A lower id than one already queued would break the common order. */
    if (t->id < ts->max_id) {
        p->queued = false;
    } else {
        ts->max_id = t->id;
        p->queued = true;
        p->qprev = ts->tail;
        p->qnext = NULL;
        if (ts->tail)
            ts->tail->qnext = p;
        else
            ts->head = p;
        ts->tail = p;
        for (int i = 0; i < p->nkeys; i++)
            txi_add(ts, t->argv[p->keys[i]], t->excl, 1);
        if (t->global)
            *(t->excl ? &ts->gexcl : &ts->gshared) += 1;
        /* effects streamed before this point precede the unit */
        if (t->unit && sh->fx.stream_on && !sh->fx.replica) {
            fx_mark_put(sh, FX_MARK_QUEUED, t->id);
            p->q_marked = true;
        }
    }
    g_rt.worker_call(t->origin, msg_scheduled, p);
}

static void
msg_run(void *arg, int worker)
{
    struct tx_part *p = arg;
    p->run_phase = p->tx->phase;
    txs_run_ready(g_shards[worker]);
}

static void tx_unref(struct tx *t);

/* Leave the queue and drop the intents; then whatever waited may run. */
static void
part_dequeue(struct shard *sh, struct tx_part *p)
{
    struct tx_shard *ts = sh->tx;
    if (!p->queued)
        return;
    if (p->qprev)
        p->qprev->qnext = p->qnext;
    else
        ts->head = p->qnext;
    if (p->qnext)
        p->qnext->qprev = p->qprev;
    else
        ts->tail = p->qprev;
    p->qnext = p->qprev = NULL;
    p->queued = false;
    if (p->fx_began) {
        p->fx_began = false;
        fx_tx_end(sh);
    }
    for (int i = 0; i < p->nkeys; i++)
        txi_add(ts, p->tx->argv[p->keys[i]], p->tx->excl, -1);
    if (p->tx->global)
        *(p->tx->excl ? &ts->gexcl : &ts->gshared) -= 1;
    txs_run_ready(sh);
    if (tx_locks_released)
        tx_locks_released(sh);
}

/* A schedule refused elsewhere: withdraw this worker's part (the
 * coordinator schedules again with a new id). */
static void
msg_withdraw(void *arg, int worker)
{
    part_dequeue(g_shards[worker], arg);
}

/* The transaction is over: this part is done with. */
static void
msg_release(void *arg, int worker)
{
    struct tx_part *p = arg;
    struct tx *t = p->tx;
    struct shard *sh = g_shards[worker];
    /* effects streamed after this point follow the unit (pushed before
     * any release was sent) */
    if (t->unit_pushed && sh->fx.stream_on && !sh->fx.replica)
        fx_mark_put(sh, FX_MARK_RELEASED, t->id);
    part_dequeue(sh, p);
    tx_unref(t);
}

/* ---- Coordinator ---- */

/* Free t and what its parts hold. */
static void
tx_free(struct tx *t)
{
    for (int i = 0; i < t->nparts; i++) {
        struct tx_part *p = &t->parts[i];
        ts_free(p->keys);
        ts_buf_free(&p->out);
        ts_free(p->offs);
        if (p->val)
            kvval_free(&p->val);
        for (int k = 0; p->kobj && k < p->nkeys; k++)
            if (p->kobj[k])
                p->kobj_free(p->kobj[k]);
        ts_free(p->kobj);
        ts_free(p->kstate);
        txfx_free(&p->fx);
    }
    txfx_free(&t->cfx);
    ts_free(t->parts);
    ts_free(t->keyidx);
    ts_free(t->kpart);
    ts_free(t->argv);
    ts_buf_free(&t->argbuf);
    if (t->ops->free_ctx && t->ctx)
        t->ops->free_ctx(t->ctx);
    ts_free(t);
}

static void
tx_unref(struct tx *t)
{
    if (__atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    if (t->admitted)
        slot_move_exit(); /* every part released its intents */
    tx_free(t);
}

static void
tx_schedule(struct tx *t)
{
    t->id = __atomic_fetch_add(&tx_next_id, 1, __ATOMIC_SEQ_CST);
    t->unit = tx_wants_unit(t);
    t->rejected = false;
    t->pending = t->nparts;
    for (int i = 0; i < t->nparts; i++) {
        t->parts[i].q_marked = false;
        g_rt.worker_call(t->parts[i].worker, msg_schedule, &t->parts[i]);
    }
}

static void phase_complete(struct tx *t, int worker);

/* Start phase on every part not set idle by next_phase (at least one, or
 * the phase is over at once). */
static void
tx_send_phase(struct tx *t, int phase)
{
    t->phase = phase;
    t->pending = 0;
    for (int i = 0; i < t->nparts; i++)
        t->pending += !t->parts[i].idle;
    if (t->pending == 0) {
        phase_complete(t, t->origin);
        return;
    }
    for (int i = 0; i < t->nparts; i++) {
        if (t->parts[i].idle)
            t->parts[i].idle = false;
        else
            g_rt.worker_call(t->parts[i].worker, msg_run, &t->parts[i]);
    }
}

static void
msg_scheduled(void *arg, int worker)
{
    struct tx_part *p = arg;
    struct tx *t = p->tx;
    if (!p->queued)
        t->rejected = true;
    if (--t->pending > 0)
        return;
    if (!t->rejected) {
        if (t->ops->scheduled)
            t->ops->scheduled(t);
        tx_send_phase(t, 1);
        return;
    }
    /* Out of order somewhere: withdraw where it was queued, then try again
     * with a new id. Messages to one worker keep their order, so each
     * withdrawal runs before the new schedule there. */
    __atomic_add_fetch(&tx_retried, 1, __ATOMIC_RELAXED);
    for (int i = 0; i < t->nparts; i++)
        if (t->parts[i].queued)
            g_rt.worker_call(t->parts[i].worker, msg_withdraw, &t->parts[i]);
    tx_schedule(t);
}

/* The end: reply, count the command as the dispatcher counts any other,
 * release every worker's intents. */
static void
tx_finish(struct tx *t, int worker)
{
    struct shard *sh = g_shards[worker];
    struct ts_buf out = {0};
    struct reply r;
    reply_init(&r, &out, t->resp);
    struct fx_capture cap;
    if (t->unit)
        fx_capture_begin(sh, &t->cfx.b, &cap);
    t->ops->reply(t, &r);
    if (t->unit) {
        /* a command without per-worker shares goes as it was sent */
        if (!r.error && t->ops == t->cmd->tx && !tx_splits_by_keys(t->cmd))
            fx_stream_command(sh, t->argc, t->argv);
        txfx_close(sh, &t->cfx, t->phase, &cap);
        tx_unit_push(t);
    }
    if (!t->internal) {
        uint64_t dur = ts_ticks_to_us(ts_ticks() - t->t0);
        sh->stats.commands++;
        if (r.error) {
            sh->stats.errors++;
            if (r.err_at < out.len)
                cmdstats_error(&sh->cstats, out.data + r.err_at + 1, out.len - r.err_at - 1);
        }
        cmdstats_call(&sh->cstats, t->cmd, dur, r.error);
    }
    /* Releases first: the client's next commands, sent once it has the
     * reply, then reach every worker after them. */
    for (int i = 0; i < t->nparts; i++)
        g_rt.worker_call(t->parts[i].worker, msg_release, &t->parts[i]);
    t->done(t->done_arg, out.data, out.len, r.error);
    ts_buf_free(&out);
    tx_unref(t);
}

/* ops->next_phase on the coordinator; its steps' effects (EXEC runs
 * keyless commands there) join the unit after the phase's parts. */
static bool
tx_next_phase(struct tx *t)
{
    if (!t->ops->next_phase)
        return true;
    if (!t->unit)
        return t->ops->next_phase(t, t->phase);
    struct shard *sh = g_shards[t->origin];
    struct fx_capture cap;
    fx_capture_begin(sh, &t->cfx.b, &cap);
    bool more = t->ops->next_phase(t, t->phase);
    txfx_close(sh, &t->cfx, t->phase, &cap);
    return more;
}

/* Every part ran the phase: the next one, or the end. */
static void
phase_complete(struct tx *t, int worker)
{
    if (t->phase < t->ops->phases && tx_next_phase(t)) {
        tx_send_phase(t, t->phase + 1);
        return;
    }
    t->stopped = t->phase < t->ops->phases && t->ops->phases != TX_PHASES_OPEN;
    tx_finish(t, worker);
}

static void
msg_phase_done(void *arg, int worker)
{
    struct tx_part *p = arg;
    struct tx *t = p->tx;
    if (--t->pending > 0)
        return;
    phase_complete(t, worker);
}

/* Copy argv and the key indexes; the keys are grouped by worker later
 * (tx_group), once the transaction may start. */
struct tx *
tx_prepare(struct shard *sh, const struct cmd_def *cmd, const struct tx_ops *ops, int argc, const struct sv *argv,
           const int *idx, int nk, uint8_t resp, uint32_t cflags)
{
    struct tx *t = ts_calloc(1, sizeof(*t));
    t->cmd = cmd;
    t->ops = ops;
    t->excl = (cmd->flags & CMD_WRITE) != 0;
    t->origin = sh->id;
    t->now_ms = sh->now_ms;
    t->resp = resp;
    t->cflags = cflags;
    t->argc = argc;
    t->argv = ts_malloc(sizeof(struct sv) * (size_t)(argc ? argc : 1));
    /* Never a NULL buffer, even when every argument is empty (EXEC of
     * nothing but WATCH ""): the keys' views are handed to memcpy/memcmp. */
    ts_buf_reserve(&t->argbuf, 1);
    for (int i = 0; i < argc; i++)
        ts_buf_append(&t->argbuf, argv[i].ptr, argv[i].len);
    for (size_t i = 0, off = 0; i < (size_t)argc; off += argv[i].len, i++)
        t->argv[i] = (struct sv){t->argbuf.data + off, argv[i].len};
    t->nkeys = nk;
    t->keyidx = ts_malloc(sizeof(int) * (size_t)(nk ? nk : 1));
    t->kpart = ts_malloc(sizeof(int) * (size_t)(nk ? nk : 1));
    if (nk)
        memcpy(t->keyidx, idx, sizeof(int) * (size_t)nk);
    t->refs = 1;
    return t;
}

/* Group the keys by owning worker (parts in ascending worker order, keys
 * in argv order within a part). Runs once the slot hand-off admitted the
 * transaction (slot_move_enter), so the table cannot change until every
 * part has released its intents. */
static void
tx_group(struct tx *t)
{
    int nk = t->nkeys;
    const int *idx = t->keyidx;
    int part_of[MAX_WORKERS];
    for (int i = 0; i < MAX_WORKERS; i++)
        part_of[i] = -1;
    int *kw = ts_malloc(sizeof(int) * (size_t)(nk ? nk : 1));
    for (int k = 0; k < nk; k++) {
        kw[k] = slotmap_worker(slot_of_sv(t->argv[idx[k]]));
        if (part_of[kw[k]] < 0) {
            part_of[kw[k]] = 0;
            t->nparts++;
        }
    }
    for (int w = 0; t->global && w < cmd_nworkers(); w++) {
        if (part_of[w] < 0) {
            part_of[w] = 0;
            t->nparts++;
        }
    }
    t->parts = ts_calloc((size_t)(t->nparts ? t->nparts : 1), sizeof(struct tx_part));
    for (int w = 0, pi = 0; w < MAX_WORKERS; w++) {
        if (part_of[w] < 0)
            continue;
        part_of[w] = pi;
        t->parts[pi].tx = t;
        t->parts[pi].worker = w;
        t->parts[pi].keys = ts_malloc(sizeof(int) * (size_t)nk);
        pi++;
    }
    for (int k = 0; k < nk; k++) {
        struct tx_part *p = &t->parts[part_of[kw[k]]];
        t->kpart[k] = part_of[kw[k]];
        p->keys[p->nkeys++] = idx[k];
    }
    ts_free(kw);
    t->refs = t->nparts + 1;
}

/* ---- Replication of a part's effects ----
 *
 * A part of a command split across workers changes only its own keys, so
 * each worker has its own share of the effects. That share is a command
 * of its own: the command's name with this part's keys and the arguments
 * that go with each key, which is exact for the commands that declare it
 * (tx_ops.stream_as: DEL, UNLINK, MSET, MSETNX). Commands of another shape
 * (RENAME, SMOVE, SINTERSTORE... with keys on several workers) have no
 * share: the coordinator streams the command as it was sent, once, in the
 * transaction's unit (tx_finish, tx_sub_stream), where it follows the
 * effects of the phases before it and precedes those after. */
bool
tx_splits_by_keys(const struct cmd_def *cmd)
{
    return cmd->tx != NULL && cmd->tx->stream_as != NULL;
}

void
tx_part_propagate(struct shard *sh, struct tx *t, struct tx_part *p)
{
    struct fx_state *fx = &sh->fx;
    if (fx->cmd_writes == 0 || fx->cmd_props != 0 || !fx->stream_on || fx->replica || p->nkeys == 0)
        return;
    fx->cmd_writes = 0;
    if (!tx_splits_by_keys(t->cmd)) /* the coordinator streams it whole */
        return;
    int step = t->cmd->key_step, n = 1 + p->nkeys * step;
    struct sv *argv = ts_malloc(sizeof(struct sv) * (size_t)n);
    const char *as = t->cmd->tx->stream_as;
    argv[0] = as[0] ? (struct sv){as, strlen(as)} : t->argv[0];
    for (int i = 0; i < p->nkeys; i++)
        for (int j = 0; j < step; j++)
            argv[1 + i * step + j] = t->argv[p->keys[i] + j];
    fx_stream_command(sh, n, argv);
    ts_free(argv);
}

void
tx_sub_stream(struct tx *outer, const struct tx *sub, const struct reply *r)
{
    if (outer->unit && (sub->cmd->flags & CMD_WRITE) && !tx_splits_by_keys(sub->cmd) && !r->error)
        fx_stream_command(g_shards[outer->origin], sub->argc, sub->argv);
}

/* Admitted: group and schedule (on the coordinator). With no keys at all
 * nothing is locked and no worker is involved: the reply is made at once. */
static void
tx_admitted(void *arg, int worker)
{
    struct tx *t = arg;
    t->admitted = true;
    tx_group(t);
    if (t->nparts == 0) {
        tx_finish(t, t->origin);
        return;
    }
    __atomic_add_fetch(&tx_started, 1, __ATOMIC_RELAXED);
    tx_schedule(t);
}

void
tx_launch(struct tx *t, tx_done_fn done, void *done_arg)
{
    struct shard *sh = g_shards[t->origin];
    t->done = done;
    t->done_arg = done_arg;
    t->t0 = ts_ticks();
    if (t->ops->check) {
        struct ts_buf out = {0};
        struct reply r;
        reply_init(&r, &out, t->resp);
        if (!t->ops->check(t, &r)) {
            /* an argument error: counted and answered like a failed command */
            sh->stats.commands++;
            sh->stats.errors++;
            if (r.err_at < out.len)
                cmdstats_error(&sh->cstats, out.data + r.err_at + 1, out.len - r.err_at - 1);
            cmdstats_call(&sh->cstats, t->cmd, 0, true);
            done(done_arg, out.data, out.len, true);
            ts_buf_free(&out);
            tx_unref(t);
            return;
        }
        ts_buf_free(&out);
    }
    /* A slot move in flight: start when it is over (slot_move.h). */
    if (slot_move_enter(sh->id, tx_admitted, t))
        tx_admitted(t, sh->id);
}

void
tx_drop(struct tx *t)
{
    t->refs = 1;
    tx_unref(t);
}

void
tx_start(struct shard *sh, const struct cmd_def *cmd, int argc, const struct sv *argv, const int *idx, int nk,
         uint8_t resp, uint32_t cflags, tx_done_fn done, void *done_arg)
{
    tx_launch(tx_prepare(sh, cmd, cmd->tx, argc, argv, idx, nk, resp, cflags), done, done_arg);
}

/* ---- Nested transactions ---- */

struct tx *
tx_sub_create(const struct tx *outer, const struct cmd_def *cmd, int argc, const struct sv *argv, const int *idx,
              int nk)
{
    struct tx *t = ts_calloc(1, sizeof(*t));
    t->cmd = cmd;
    t->ops = cmd->tx;
    t->excl = (cmd->flags & CMD_WRITE) != 0;
    t->origin = outer->origin;
    t->now_ms = outer->now_ms;
    t->resp = outer->resp;
    t->cflags = outer->cflags;
    t->argc = argc;
    t->argv = ts_malloc(sizeof(struct sv) * (size_t)(argc ? argc : 1));
    memcpy(t->argv, argv, sizeof(struct sv) * (size_t)argc);
    t->nkeys = nk;
    t->keyidx = ts_malloc(sizeof(int) * (size_t)(nk ? nk : 1));
    t->kpart = ts_malloc(sizeof(int) * (size_t)(nk ? nk : 1));
    if (nk)
        memcpy(t->keyidx, idx, sizeof(int) * (size_t)nk);
    /* The enclosing transaction holds intents on these keys: their slots
     * cannot move, so the grouping stays true while t lives. */
    tx_group(t);
    t->phase = 1;
    return t;
}

bool
tx_sub_next(struct tx *t)
{
    if (t->phase < t->ops->phases && (!t->ops->next_phase || t->ops->next_phase(t, t->phase))) {
        t->phase++;
        return true;
    }
    t->stopped = t->phase < t->ops->phases;
    return false;
}

void
tx_sub_free(struct tx *t)
{
    tx_free(t);
}
