/* multi.c: MULTI, EXEC, DISCARD, WATCH, UNWATCH (multi.h). */
#include "core/multi.h"

#include "core/multi_int.h"

#include "core/cluster_state.h"
#include "core/cmd.h"
#include "core/cmdstats.h"
#include "core/keyspace.h"
#include "core/reply.h"
#include "core/server.h"
#include "core/server_cmds.h"
#include "core/shard.h"
#include "core/slot.h"
#include "core/slotmap.h"
#include "core/tx.h"

void
multi_ws_unref(struct watch_state *ws)
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

void
multi_free_queue(struct multi_state *ms)
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
bool
multi_key_expired(struct shard *sh, struct sv key)
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
    e->expired_at_watch = multi_key_expired(sh, key);
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
        multi_ws_unref(e->ws);
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

struct watch_entry *
multi_watch_find(struct shard *sh, struct sv key, struct watch_state *ws)
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
void
multi_watch_drop_keys(struct watch_state *ws, struct sv *keys, int n)
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
void
multi_unwatch_all(struct multi_state *ms)
{
    if (!ms->ws)
        return;
    multi_watch_drop_keys(ms->ws, ms->wkeys, ms->nwatch);
    ts_free(ms->wkeys);
    ms->wkeys = NULL;
    ms->nwatch = ms->capwatch = 0;
    multi_ws_unref(ms->ws);
    ms->ws = NULL;
}

bool
multi_exec_abort(struct client *cl)
{
    struct multi_state *ms = cl->multi;
    if (!ms || !ms->active)
        return false;
    multi_free_queue(ms);
    multi_unwatch_all(ms);
    return true;
}

void
multi_client_clear(struct shard *sh, struct client *cl)
{
    struct multi_state *ms = cl->multi;
    if (!ms)
        return;
    multi_free_queue(ms);
    multi_unwatch_all(ms);
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
    if (!strcmp(cmd->name, "debug") && !server_debug_allowed(cl, r)) {
        ms->dirty = true;
        return;
    }
    /* Keys on several workers: EXEC runs the command through its
     * per-worker parts (cmd->tx), as outside MULTI; without them it is
     * refused here as it would be outside MULTI. */
    if (multi_worker && cmd->tx == NULL) {
        reply_errorf(r, "ERR '%s' with keys on different worker threads is not supported yet; "
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
    multi_free_queue(ms);
    multi_unwatch_all(ms);
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
    multi_ws_unref(arg);
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
        multi_unwatch_all(c->cl->multi);
    reply_ok(c->r);
}

#define TXC (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_ALLOW_BUSY)

static const struct cmd_def multi_cmds[] = {
    {.name = "multi", .arity = 1, .flags = TXC | CMD_TX_CONTROL, .proc = cmd_multi,
     .acl = "fast transaction", .group = "transactions", .since = "1.2.0",
     .summary = "Start a transaction block"},
    {.name = "exec", .arity = 1, .flags = CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_SKIP_SLOWLOG | CMD_TX_CONTROL,
     .proc = multi_cmd_exec, .acl = "slow transaction", .group = "transactions", .since = "1.2.0",
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
