/* tx_shim.c: see tx_shim.h. Compiled as C. */
#include "tests/shim/tx_shim.h"

#include "core/buf.h"
#include "core/cmd.h"
#include "core/keyspace.h"
#include "core/server.h"
#include "core/shard.h"
#include "core/slot.h"
#include "core/slotmap.h"
#include "core/tx.h"

#include <stdio.h>
#include <string.h>

struct shim_msg {
    struct shim_msg *next;
    void (*fn)(void *arg, int worker);
    void *arg;
    int worker;
};

static struct shim_msg *q_head, *q_tail;
static int q_len;
static int shim_nworkers;
static struct ts_buf shim_log;
static void (*saved_call)(int, void (*)(void *, int), void *);

static void
shim_call(int worker, void (*fn)(void *arg, int worker), void *arg)
{
    struct shim_msg *m = ts_calloc(1, sizeof(*m));
    m->fn = fn;
    m->arg = arg;
    m->worker = worker;
    if (q_tail)
        q_tail->next = m;
    else
        q_head = m;
    q_tail = m;
    q_len++;
}

void
tx_shim_setup(int nworkers)
{
    shim_nworkers = nworkers;
    g_server.nworkers = nworkers;
    slotmap_setup(nworkers);
    for (int i = 0; i < nworkers; i++) {
        struct shard *sh = ts_calloc(1, sizeof(*sh));
        sh->id = i;
        sh->ks = ks_create();
        g_shards[i] = sh;
    }
    saved_call = g_rt.worker_call;
    g_rt.worker_call = shim_call;
    shim_log.len = 0;
}

void
tx_shim_teardown(void)
{
    while (tx_shim_deliver(1000) > 0) {
    }
    for (int i = 0; i < shim_nworkers; i++) {
        ks_destroy(&g_shards[i]->ks);
        ts_free(g_shards[i]->tx);
        ts_free(g_shards[i]);
        g_shards[i] = NULL;
    }
    g_rt.worker_call = saved_call;
    ts_buf_free(&shim_log);
}

int
tx_shim_worker_of(const char *key)
{
    return slotmap_worker(slot_of_sv((struct sv){key, strlen(key)}));
}

/* argv = name, then the keys (at most 31); idx = the keys' positions.
 * Returns the number of keys. */
static int
shim_args(const char *name, const char *const *keys, struct sv *argv, int *idx)
{
    int n = 0;
    argv[0] = (struct sv){name, strlen(name)};
    for (; keys[n] && n < 31; n++) {
        argv[n + 1] = (struct sv){keys[n], strlen(keys[n])};
        idx[n] = n + 1;
    }
    return n;
}

/* ---- The recording operation ---- */

struct rec_ctx {
    char name[8];
    int idle1;
    int open_phases; /* > 0: TX_PHASES_OPEN, next_phase ends it after this many */
};

static void
rec_log(const char *s)
{
    ts_buf_append(&shim_log, s, strlen(s));
}

static void
rec_part(struct shard *sh, struct tx *t, struct tx_part *p, int phase)
{
    char b[48];
    snprintf(b, sizeof(b), "%s:w%dp%d ", ((struct rec_ctx *)t->ctx)->name, sh->id, phase);
    rec_log(b);
}

static bool
rec_next(struct tx *t, int done)
{
    struct rec_ctx *c = t->ctx;
    for (int i = 0; done == 1 && i < t->nparts; i++)
        t->parts[i].idle = t->parts[i].worker == c->idle1;
    return c->open_phases == 0 || done < c->open_phases;
}

static void
rec_reply(struct tx *t, struct reply *r)
{
    char b[48];
    snprintf(b, sizeof(b), "%s:done%s ", ((struct rec_ctx *)t->ctx)->name, t->stopped ? "(stopped)" : "");
    rec_log(b);
    reply_ok(r);
}

static void
rec_free(void *c)
{
    ts_free(c);
}

static void
rec_done(void *arg, const char *reply, size_t len, bool error)
{
}

#define REC_MAX_PHASES 8
static struct tx_ops rec_ops[REC_MAX_PHASES + 1];
static const struct cmd_def rec_write = {.name = "recw", .flags = CMD_WRITE, .route = ROUTE_KEYS};
static const struct cmd_def rec_read = {.name = "recr", .flags = CMD_READONLY, .route = ROUTE_KEYS};

void
tx_shim_start(const char *name, int origin, const char *const *keys, int write, int global, int phases,
              int idle1)
{
    struct sv argv[32];
    int idx[32] = {0};
    int n = shim_args("rec", keys, argv, idx);
    int open = phases < 0 ? -phases : 0;
    if (phases < 1 || phases > REC_MAX_PHASES)
        phases = 1;
    struct tx_ops *ops = &rec_ops[open ? 0 : phases];
    *ops = (struct tx_ops){.phases = open ? TX_PHASES_OPEN : phases, .part = rec_part, .next_phase = rec_next, .reply = rec_reply,
                           .free_ctx = rec_free};
    struct tx *t = tx_prepare(g_shards[origin], write ? &rec_write : &rec_read, ops, n + 1, argv, idx, n, 2, 0);
    struct rec_ctx *c = ts_calloc(1, sizeof(*c));
    snprintf(c->name, sizeof(c->name), "%s", name);
    c->idle1 = idle1;
    c->open_phases = open;
    t->ctx = c;
    t->global = global != 0;
    tx_launch(t, rec_done, NULL);
}

int
tx_shim_deliver(int n)
{
    int ran = 0;
    while (ran < n && q_head) {
        struct shim_msg *m = q_head;
        q_head = m->next;
        if (!q_head)
            q_tail = NULL;
        q_len--;
        m->fn(m->arg, m->worker);
        ts_free(m);
        ran++;
    }
    return ran;
}

int
tx_shim_pending(void)
{
    return q_len;
}

const char *
tx_shim_log(void)
{
    ts_buf_reserve(&shim_log, 1);
    shim_log.data[shim_log.len] = '\0';
    return shim_log.data;
}

int
tx_shim_conflicts(int w, const char *key, int write)
{
    struct sv argv[2] = {{"cmd", 3}, {key, strlen(key)}};
    static const struct cmd_def get = {.name = "get", .flags = CMD_READONLY, .route = ROUTE_KEYS,
                                       .first_key = 1, .last_key = 1, .key_step = 1};
    static const struct cmd_def set = {.name = "set", .flags = CMD_WRITE, .route = ROUTE_KEYS,
                                       .first_key = 1, .last_key = 1, .key_step = 1};
    return tx_conflicts(g_shards[w], write ? &set : &get, 2, argv);
}

int
tx_shim_any_locked(int w)
{
    return tx_any_locked(g_shards[w]);
}

int
tx_shim_sub_parts(const char *const *keys, int *kpart_out)
{
    struct sv argv[32];
    int idx[32] = {0};
    int n = shim_args("mset", keys, argv, idx);
    static const struct tx_ops none = {.phases = 1};
    static const struct cmd_def mset = {.name = "mset", .flags = CMD_WRITE, .route = ROUTE_KEYS, .tx = &none};
    struct tx *outer = tx_prepare(g_shards[0], &mset, &none, n + 1, argv, idx, n, 2, 0);
    struct tx *sub = tx_sub_create(outer, &mset, n + 1, outer->argv, idx, n);
    for (int k = 0; k < n; k++)
        kpart_out[k] = sub->parts[sub->kpart[k]].worker;
    int nparts = sub->nparts;
    /* a one-phase command: no next phase, not stopped */
    if (tx_sub_next(sub) || sub->stopped)
        nparts = -1;
    tx_sub_free(sub);
    tx_drop(outer);
    return nparts;
}
