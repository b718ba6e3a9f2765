/* multi.c: MULTI, EXEC, DISCARD, WATCH, UNWATCH (multi.h). */
#include "core/multi.h"

#include "core/cluster_state.h"
#include "core/cmd.h"
#include "core/cmdstats.h"
#include "core/keyspace.h"
#include "core/reply.h"
#include "core/server.h"
#include "core/shard.h"
#include "core/slot.h"
#include "core/slotmap.h"
#include "core/tx.h"

/* ---- State ---- */

/* Shared by a client and the registry entries of its watched keys on any
 * worker: refs counts them all (atomic); dirty is set by any worker. */
struct watch_state {
    int refs;
    int dirty;
};

struct multi_cmd {
    const struct cmd_def *cmd;
    int argc;
    struct sv *argv; /* into buf */
    char *buf;
};

struct multi_state {
    bool active;
    bool dirty;               /* a command was refused while queuing: EXECABORT */
    int n, cap;
    struct multi_cmd *cmds;
    struct watch_state *ws;   /* NULL when nothing is watched */
    int nwatch, capwatch;
    struct sv *wkeys;         /* each key ts_malloc'd */
};

static void
ws_unref(struct watch_state *ws)
{
    if (__atomic_sub_fetch(&ws->refs, 1, __ATOMIC_ACQ_REL) == 0)
        ts_free(ws);
}

static struct multi_state *
ms_get(struct client *cl)
{
    if (!cl->multi)
        cl->multi = ts_calloc(1, sizeof(struct multi_state));
    return cl->multi;
}

bool
multi_active(const struct client *cl)
{
    return cl->multi && cl->multi->active;
}

uint32_t
multi_queued_flags(const struct client *cl)
{
    uint32_t f = 0;
    if (multi_active(cl))
        for (int i = 0; i < cl->multi->n; i++)
            f |= cl->multi->cmds[i].cmd->flags;
    return f;
}

void
multi_flag_error(struct client *cl)
{
    if (multi_active(cl))
        cl->multi->dirty = true;
}

static void
ms_free_queue(struct multi_state *ms)
{
    for (int i = 0; i < ms->n; i++) {
        ts_free(ms->cmds[i].argv);
        ts_free(ms->cmds[i].buf);
    }
    ts_free(ms->cmds);
    ms->cmds = NULL;
    ms->n = ms->cap = 0;
    ms->active = false;
    ms->dirty = false;
}

/* ---- Watch registry, per worker ----
 * key -> entries (watch state, and whether the key was already logically
 * expired when watched: Redis aborts EXEC for a key that expired since). */
struct watch_entry {
    struct watch_entry *next;
    struct watch_state *ws;
    bool expired_at_watch;
};

struct watch_key {
    struct watch_key *next;
    uint64_t hash;
    struct watch_entry *entries;
    size_t len;
    char key[];
};

#define WK_BUCKETS 256
struct watch_table {
    int nkeys;
    struct watch_key *b[WK_BUCKETS];
};

static uint64_t
wk_hash(struct sv k)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < k.len; i++)
        h = (h ^ (unsigned char)k.ptr[i]) * 1099511628211ull;
    return h;
}

static struct watch_key **
wk_link(struct watch_table *t, struct sv k, uint64_t h)
{
    struct watch_key **pp = &t->b[h % WK_BUCKETS];
    while (*pp && !((*pp)->hash == h && (*pp)->len == k.len && memcmp((*pp)->key, k.ptr, k.len) == 0))
        pp = &(*pp)->next;
    return pp;
}

/* The key is there but past its deadline (not yet deleted). */
static bool
key_expired(struct shard *sh, struct sv key)
{
    struct kv *e = ks_lookup(sh->ks, slot_of_sv(key), key, sh->now_ms, KS_LOOKUP_NOTOUCH | KS_LOOKUP_NOEXPIRE);
    return e && kv_expire(e) >= 0 && sh->now_ms > kv_expire(e);
}

static void
watch_register(struct shard *sh, struct sv key, struct watch_state *ws)
{
    if (!sh->watch)
        sh->watch = ts_calloc(1, sizeof(struct watch_table));
    struct watch_table *t = sh->watch;
    uint64_t h = wk_hash(key);
    struct watch_key **pp = wk_link(t, key, h);
    if (!*pp) {
        struct watch_key *k = ts_calloc(1, sizeof(*k) + key.len);
        k->hash = h;
        k->len = key.len;
        memcpy(k->key, key.ptr, key.len);
        *pp = k;
        t->nkeys++;
    }
    struct watch_entry *e = ts_malloc(sizeof(*e));
    e->expired_at_watch = key_expired(sh, key);
    e->ws = ws;
    __atomic_add_fetch(&ws->refs, 1, __ATOMIC_RELAXED);
    e->next = (*pp)->entries;
    (*pp)->entries = e;
}

static void
watch_unregister(struct shard *sh, struct sv key, struct watch_state *ws)
{
    struct watch_table *t = sh->watch;
    if (!t)
        return;
    struct watch_key **pp = wk_link(t, key, wk_hash(key));
    if (!*pp)
        return;
    for (struct watch_entry **ep = &(*pp)->entries; *ep; ep = &(*ep)->next) {
        if ((*ep)->ws != ws)
            continue;
        struct watch_entry *e = *ep;
        *ep = e->next;
        ws_unref(e->ws);
        ts_free(e);
        break;
    }
    if (!(*pp)->entries) {
        struct watch_key *k = *pp;
        *pp = k->next;
        ts_free(k);
        t->nkeys--;
    }
}

static struct watch_entry *
watch_find(struct shard *sh, struct sv key, struct watch_state *ws)
{
    struct watch_table *t = sh->watch;
    if (!t)
        return NULL;
    struct watch_key *k = *wk_link(t, key, wk_hash(key));
    for (struct watch_entry *e = k ? k->entries : NULL; e; e = e->next)
        if (e->ws == ws)
            return e;
    return NULL;
}

void
watch_touch(struct shard *sh, struct sv key)
{
    struct watch_table *t = sh->watch;
    if (!t || t->nkeys == 0)
        return;
    struct watch_key *k = *wk_link(t, key, wk_hash(key));
    for (struct watch_entry *e = k ? k->entries : NULL; e; e = e->next)
        __atomic_store_n(&e->ws->dirty, 1, __ATOMIC_RELAXED);
}

/* Redis (touchWatchedKey): a key that was already expired when watched
 * reads as missing to its watcher; deleting it for its expiry changes
 * nothing the watcher saw, so the watch stays clean and now simply
 * watches a missing key (the flag is cleared: a later write marks it). */
void
watch_expired(struct shard *sh, struct sv key)
{
    struct watch_table *t = sh->watch;
    if (!t || t->nkeys == 0)
        return;
    struct watch_key *k = *wk_link(t, key, wk_hash(key));
    for (struct watch_entry *e = k ? k->entries : NULL; e; e = e->next) {
        if (e->expired_at_watch)
            e->expired_at_watch = false;
        else
            __atomic_store_n(&e->ws->dirty, 1, __ATOMIC_RELAXED);
    }
}

void
watch_touch_all(struct shard *sh)
{
    struct watch_table *t = sh->watch;
    if (!t || t->nkeys == 0)
        return;
    for (int b = 0; b < WK_BUCKETS; b++)
        for (struct watch_key *k = t->b[b]; k; k = k->next) {
            struct sv key = {k->key, k->len};
            if (!ks_lookup(sh->ks, slot_of_sv(key), key, sh->now_ms, KS_LOOKUP_NOTOUCH | KS_LOOKUP_NOEXPIRE))
                continue; /* FLUSHALL touches only keys that exist, as Redis */
            for (struct watch_entry *e = k->entries; e; e = e->next) {
                if (e->expired_at_watch)
                    e->expired_at_watch = false; /* as watch_expired: no change seen */
                else
                    __atomic_store_n(&e->ws->dirty, 1, __ATOMIC_RELAXED);
            }
        }
}

/* ---- UNWATCH: each key's owner drops the entry (a message there) ---- */

struct unwatch_msg {
    struct watch_state *ws;
    struct sv key; /* owned */
};

static void
unwatch_run(void *arg, int worker)
{
    struct unwatch_msg *m = arg;
    watch_unregister(g_shards[worker], m->key, m->ws);
    ts_free((void *)m->key.ptr);
    ts_free(m);
}

/* Ask each key's owner to drop ws's entry for it; the keys' memory goes
 * with the messages. */
static void
watch_drop_keys(struct watch_state *ws, struct sv *keys, int n)
{
    for (int i = 0; i < n; i++) {
        struct unwatch_msg *m = ts_malloc(sizeof(*m));
        m->ws = ws;
        m->key = keys[i];
        g_rt.worker_call(slotmap_worker(slot_of_sv(m->key)), unwatch_run, m);
    }
}

/* Forget every watched key: the owners unregister them; the client lets go
 * of its state (entries still registered hold references until then). */
static void
ms_unwatch_all(struct multi_state *ms)
{
    if (!ms->ws)
        return;
    watch_drop_keys(ms->ws, ms->wkeys, ms->nwatch);
    ts_free(ms->wkeys);
    ms->wkeys = NULL;
    ms->nwatch = ms->capwatch = 0;
    ws_unref(ms->ws);
    ms->ws = NULL;
}

void
multi_client_clear(struct shard *sh, struct client *cl)
{
    struct multi_state *ms = cl->multi;
    if (!ms)
        return;
    ms_free_queue(ms);
    ms_unwatch_all(ms);
    ts_free(ms);
    cl->multi = NULL;
}

/* ---- Queuing ---- */

void
multi_queue(struct client *cl, const struct cmd_def *cmd, int argc, const struct sv *argv, struct reply *r,
            bool multi_worker)
{
    struct multi_state *ms = ms_get(cl);
    if (cmd->flags & CMD_NO_MULTI) {
        reply_error(r, "ERR Command not allowed inside a transaction");
        ms->dirty = true;
        return;
    }
    if (multi_worker) {
        reply_errorf(r, "ERR '%s' with keys on different worker threads is not supported inside MULTI yet; "
                        "give the keys one {hash tag}",
                     cmd->name);
        ms->dirty = true;
        return;
    }
    if (ms->n == ms->cap) {
        ms->cap = ms->cap ? ms->cap * 2 : 8;
        ms->cmds = ts_realloc(ms->cmds, sizeof(*ms->cmds) * (size_t)ms->cap);
    }
    struct multi_cmd *q = &ms->cmds[ms->n++];
    size_t total = 0;
    for (int i = 0; i < argc; i++)
        total += argv[i].len;
    q->cmd = cmd;
    q->argc = argc;
    q->buf = ts_malloc(total ? total : 1);
    q->argv = ts_malloc(sizeof(struct sv) * (size_t)argc);
    for (int i = 0, off = 0; i < argc; off += (int)argv[i].len, i++) {
        memcpy(q->buf + off, argv[i].ptr, argv[i].len);
        q->argv[i] = (struct sv){q->buf + off, argv[i].len};
    }
    reply_simple(r, "QUEUED");
}

/* ---- Running one queued command ---- */

/* Run cmd on this worker (cl set only on the client's worker), its reply
 * into r, counted in commandstats like any command. A command that would
 * need to go on to other workers (a fan-out, a forward) cannot, inside a
 * transaction: it is answered with an error instead. */
static void
run_queued(struct shard *sh, struct client *cl, const struct cmd_def *cmd, int argc, struct sv *argv,
           struct reply *r, uint32_t cflags, uint64_t client_id)
{
    int idx[1];
    int nk = cmd_get_keys(cmd, argc, argv, idx, 1);
    struct cmd_ctx ctx = {.sh = sh, .cl = cl, .cmd = cmd, .argc = argc, .argv = argv, .r = r, .now_ms = sh->now_ms,
                          .cflags = cflags, .client_id = client_id, .slot = nk > 0 ? slot_of_sv(argv[idx[0]]) : -1,
                          .forward_to = -1, .in_exec = true};
    size_t mark = r->out->len;
    uint64_t t0 = ts_ticks();
    cmd->proc(&ctx);
    if (ctx.fanout || ctx.forward_to >= 0 || ctx.tx) {
        /* The proc's state for the runtime is dropped: nothing was done yet. */
        if (ctx.fanout) {
            struct cmd_fanout *f = ctx.fanout;
            if (f->free_state)
                f->free_state(f->state);
            ts_free(f);
        }
        r->out->len = mark;
        reply_errorf(r, "ERR '%s' inside MULTI is not supported by Tessera yet", cmd->name);
    }
    uint64_t dur = ts_ticks_to_us(ts_ticks() - t0);
    sh->stats.commands++;
    if (r->error) {
        sh->stats.errors++;
        if (r->err_at < r->out->len)
            cmdstats_error(&sh->cstats, r->out->data + r->err_at + 1, r->out->len - r->err_at - 1);
    }
    cmdstats_call(&sh->cstats, cmd, dur, r->error);
}

/* ---- EXEC ---- */

struct exec_state {
    struct client *cl;       /* the client, on the coordinator */
    uint64_t client_id;
    struct watch_state *ws;  /* a reference, or NULL */
    int n;
    struct multi_cmd *cmds;  /* taken over from the client's queue */
    int *base;               /* argv index in the tx's argv of each command's argv[0] */
    int *key0;               /* tx argv index of each command's first key, -1 for keyless */
    size_t *start, *end;     /* a keyed command's reply in its part's out */
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
    ts_free(x->key0);
    ts_free(x->start);
    ts_free(x->end);
    if (x->ws) {
        /* Only now: until EXEC has decided, a change must still mark it. */
        watch_drop_keys(x->ws, x->wkeys, x->nwatch);
        ws_unref(x->ws);
    }
    ts_free(x->wkeys);
    ts_free(x);
}

/* The worker that runs queued command i: its keys' owner, read while the
 * transaction holds its intents (slots cannot move then), -1 for a
 * keyless command. */
static int
cmd_worker(const struct tx *t, const struct exec_state *x, int i)
{
    return x->key0[i] < 0 ? -1 : slotmap_worker(slot_of_sv(t->argv[x->key0[i]]));
}

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
            struct watch_entry *e = watch_find(sh, key, x->ws);
            if (e && !e->expired_at_watch && key_expired(sh, key))
                p->flag = true;
        }
        return;
    }
    struct reply r;
    reply_init(&r, &p->out, t->resp);
    for (int i = 0; i < x->n; i++) {
        if (cmd_worker(t, x, i) != p->worker)
            continue;
        x->start[i] = p->out.len;
        run_queued(sh, NULL, x->cmds[i].cmd, x->cmds[i].argc, t->argv + x->base[i], &r, t->cflags, x->client_id);
        r.error = false;
        x->end[i] = p->out.len;
    }
}

static bool
exec_next(struct tx *t, int done)
{
    struct exec_state *x = t->ctx;
    for (int i = 0; i < t->nparts; i++)
        if (t->parts[i].flag)
            return false;
    return !(x->ws && __atomic_load_n(&x->ws->dirty, __ATOMIC_RELAXED));
}

static void
exec_reply(struct tx *t, struct reply *r)
{
    struct exec_state *x = t->ctx;
    bool aborted = t->stopped || (t->nparts == 0 && x->ws && __atomic_load_n(&x->ws->dirty, __ATOMIC_RELAXED));
    if (aborted) {
        reply_null_array(r);
        return;
    }
    reply_array(r, x->n);
    for (int i = 0; i < x->n; i++) {
        int wk = cmd_worker(t, x, i);
        if (wk >= 0) {
            struct tx_part *p = &t->parts[0];
            for (int j = 0; j < t->nparts; j++)
                if (t->parts[j].worker == wk)
                    p = &t->parts[j];
            reply_raw(r, p->out.data + x->start[i], x->end[i] - x->start[i]);
            continue;
        }
        struct reply sub;
        reply_init(&sub, r->out, r->resp);
        run_queued(g_shards[t->origin], x->cl, x->cmds[i].cmd, x->cmds[i].argc, t->argv + x->base[i], &sub,
                   t->cflags, x->client_id);
        r->resp = sub.resp; /* HELLO inside MULTI switches the protocol for what follows */
    }
    r->error = false; /* EXEC itself succeeded whatever its commands did */
}

static const struct tx_ops exec_tx = {.phases = 2, .part = exec_part, .next_phase = exec_next,
                                      .reply = exec_reply, .free_ctx = exec_free};

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

static void
cmd_exec(struct cmd_ctx *c)
{
    struct multi_state *ms = c->cl->multi;
    if (!ms || !ms->active) {
        reply_error(c->r, "ERR EXEC without MULTI");
        return;
    }
    if (ms->dirty) {
        ms_free_queue(ms);
        ms_unwatch_all(ms);
        reply_error(c->r, "EXECABORT Transaction discarded because of previous errors.");
        return;
    }
    if (g_server.cluster_mode && !exec_cluster_check(c, ms)) {
        ms_free_queue(ms);
        ms_unwatch_all(ms);
        return;
    }
    /* One argv for the transaction: every command's arguments, then the
     * watched keys; the keys are their positions in it. */
    struct exec_state *x = ts_calloc(1, sizeof(*x));
    x->cl = c->cl;
    x->client_id = c->client_id;
    x->n = ms->n;
    x->cmds = ms->cmds;
    x->base = ts_malloc(sizeof(int) * (size_t)(ms->n + 1));
    x->key0 = ts_malloc(sizeof(int) * (size_t)(ms->n + 1));
    x->start = ts_calloc((size_t)ms->n + 1, sizeof(size_t));
    x->end = ts_calloc((size_t)ms->n + 1, sizeof(size_t));
    int total = ms->nwatch, nk = 0;
    bool writes = false;
    for (int i = 0; i < ms->n; i++) {
        total += ms->cmds[i].argc;
        writes |= (ms->cmds[i].cmd->flags & (CMD_WRITE | CMD_MAY_REPLICATE)) != 0;
    }
    struct sv *argv = ts_malloc(sizeof(struct sv) * (size_t)(total + 1));
    int *idx = ts_malloc(sizeof(int) * (size_t)(total + 1));
    int pos = 0;
    for (int i = 0; i < ms->n; i++) {
        struct multi_cmd *q = &ms->cmds[i];
        x->base[i] = pos;
        int kidx[256];
        int k = q->cmd->route == ROUTE_KEYS ? cmd_get_keys(q->cmd, q->argc, q->argv, kidx, 256) : 0;
        x->key0[i] = k > 0 ? pos + kidx[0] : -1;
        for (int j = 0; j < k; j++)
            idx[nk++] = pos + kidx[j];
        for (int j = 0; j < q->argc; j++)
            argv[pos++] = q->argv[j];
    }
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
    t->ctx = x;
    ts_free(argv);
    ts_free(idx);
    /* The queue now belongs to the transaction; the client leaves MULTI
     * and stops watching (the transaction keeps its own reference). */
    ms->cmds = NULL;
    ms->n = ms->cap = 0;
    ms->active = false;
    ms->dirty = false;
    ms_unwatch_all(ms);
    cmd_tx(c, t);
}

/* ---- MULTI, DISCARD, WATCH, UNWATCH ---- */

static void
cmd_multi(struct cmd_ctx *c)
{
    struct multi_state *ms = ms_get(c->cl);
    if (ms->active) {
        reply_error(c->r, "ERR MULTI calls can not be nested");
        return;
    }
    ms->active = true;
    ms->dirty = false;
    reply_ok(c->r);
}

static void
cmd_discard(struct cmd_ctx *c)
{
    struct multi_state *ms = c->cl->multi;
    if (!ms || !ms->active) {
        reply_error(c->r, "ERR DISCARD without MULTI");
        return;
    }
    ms_free_queue(ms);
    ms_unwatch_all(ms);
    reply_ok(c->r);
}

static void
watch_part(struct shard *sh, struct tx *t, struct tx_part *p, int phase)
{
    struct watch_state *ws = t->ctx;
    for (int i = 0; i < p->nkeys; i++)
        watch_register(sh, t->argv[p->keys[i]], ws);
}

static void
watch_reply(struct tx *t, struct reply *r)
{
    reply_ok(r);
}

static void
watch_ctx_free(void *arg)
{
    ws_unref(arg);
}

static const struct tx_ops watch_tx = {.phases = 1, .part = watch_part, .reply = watch_reply,
                                       .free_ctx = watch_ctx_free};

/* WATCH key...: the keys not watched yet are registered on their owners
 * (a transaction of shared intents, so the registration is ordered with
 * every other command on those keys). */
static void
cmd_watch(struct cmd_ctx *c)
{
    struct multi_state *ms = ms_get(c->cl);
    if (ms->active) {
        reply_error(c->r, "ERR WATCH inside MULTI is not allowed");
        return;
    }
    if (!ms->ws) {
        ms->ws = ts_calloc(1, sizeof(struct watch_state));
        ms->ws->refs = 1;
    }
    int *idx = ts_malloc(sizeof(int) * (size_t)c->argc);
    int nk = 0;
    for (int j = 1; j < c->argc; j++) {
        struct sv k = c->argv[j];
        bool seen = false;
        for (int i = 0; i < ms->nwatch && !seen; i++)
            seen = sv_eq(ms->wkeys[i], k);
        for (int i = 1; i < j && !seen; i++)
            seen = sv_eq(c->argv[i], k);
        if (seen)
            continue;
        idx[nk++] = j;
        if (ms->nwatch == ms->capwatch) {
            ms->capwatch = ms->capwatch ? ms->capwatch * 2 : 8;
            ms->wkeys = ts_realloc(ms->wkeys, sizeof(struct sv) * (size_t)ms->capwatch);
        }
        ms->wkeys[ms->nwatch++] = (struct sv){ts_strndup(k.ptr, k.len), k.len};
    }
    struct tx *t = tx_prepare(c->sh, c->cmd, &watch_tx, c->argc, c->argv, idx, nk, c->r->resp, c->cflags);
    ts_free(idx);
    t->excl = false;
    t->ctx = ms->ws;
    __atomic_add_fetch(&ms->ws->refs, 1, __ATOMIC_RELAXED);
    cmd_tx(c, t);
}

static void
cmd_unwatch(struct cmd_ctx *c)
{
    if (c->cl->multi)
        ms_unwatch_all(c->cl->multi);
    reply_ok(c->r);
}

#define TXC (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY)

static const struct cmd_def multi_cmds[] = {
    {.name = "multi", .arity = 1, .flags = TXC | CMD_TX_CONTROL, .proc = cmd_multi,
     .acl = "fast transaction", .group = "transactions", .since = "1.2.0",
     .summary = "Start a transaction block"},
    {.name = "exec", .arity = 1, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SKIP_SLOWLOG | CMD_TX_CONTROL,
     .proc = cmd_exec, .acl = "slow transaction", .group = "transactions", .since = "1.2.0",
     .summary = "Execute all commands issued after MULTI"},
    {.name = "discard", .arity = 1, .flags = TXC | CMD_TX_CONTROL, .proc = cmd_discard,
     .acl = "fast transaction", .group = "transactions", .since = "2.0.0",
     .summary = "Discard all commands issued after MULTI"},
    {.name = "watch", .arity = -2, .flags = TXC | CMD_TX_CONTROL, .route = ROUTE_LOCAL_KEYS,
     .first_key = 1, .last_key = -1, .key_step = 1, .proc = cmd_watch, .acl = "fast transaction",
     .group = "transactions", .since = "2.2.0",
     .summary = "Watch the given keys to determine execution of the MULTI/EXEC block", .ks_flags = "RO"},
    {.name = "unwatch", .arity = 1, .flags = TXC, .proc = cmd_unwatch, .acl = "fast transaction",
     .group = "transactions", .since = "2.2.0", .summary = "Forget about all watched keys"},
    {.name = NULL},
};

void
multi_register(void)
{
    cmd_register_table(multi_cmds);
}
