/* pubsub.c: the per-worker Pub/Sub registry, message delivery, the
 * node-wide census of names, and delivery of messages from other nodes.
 * See pubsub.h for the design and pubsub_int.h for the data structures;
 * the commands are in cmd_pubsub.c. */
#include "core/pubsub_int.h"

#include "core/cmd.h"
#include "core/keyspace_int.h"
#include "core/reply.h"
#include "core/server.h"
#include "core/shard.h"

#include <pthread.h>

void (*pubsub_cluster_hook)(bool sharded, const char *ch, size_t chlen, const char *msg, size_t msglen);

/* ---- Hash ----
 *
 * Channel names come from clients: they use the keyspace's seeded hash
 * (ks_hash), so an attacker cannot pick names that share a bucket. The kind
 * is mixed in so "a" as channel and as pattern land apart. */
static inline uint64_t
ps_hash(int kind, const char *p, size_t n)
{
    return ks_hash(n ? p : "", n) ^ ((uint64_t)(kind + 1) * 0x9e3779b97f4a7c15ull);
}

/* Subscriptions are keyed by (channel, client) pointers: not chosen by
 * clients, so a plain mix is enough. */
static inline uint64_t
sub_hash(const struct ps_chan *ch, const struct client *cl)
{
    uint64_t h = (uint64_t)(uintptr_t)ch * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)cl * 0xc2b2ae3d27d4eb4full;
    return h ^ (h >> 31);
}

/* ---- Intrusive hash table ---- */

static void
table_resize(struct ps_table *t, size_t size)
{
    struct ps_node **nb = ts_calloc(size, sizeof(*nb));
    for (size_t i = 0; i < t->size; i++) {
        struct ps_node *e = t->b[i];
        while (e) {
            struct ps_node *next = e->next;
            size_t j = e->hash & (size - 1);
            e->next = nb[j];
            nb[j] = e;
            e = next;
        }
    }
    ts_free(t->b);
    t->b = nb;
    t->size = size;
}

static void
table_add(struct ps_table *t, struct ps_node *e)
{
    if (t->n >= t->size)
        table_resize(t, t->size ? t->size * 2 : 16);
    size_t j = e->hash & (t->size - 1);
    e->next = t->b[j];
    t->b[j] = e;
    t->n++;
}

/* Unlink e (which must be in t); shrink when mostly empty, so a burst of
 * subscriptions does not pin a big bucket array forever. */
static void
table_del(struct ps_table *t, struct ps_node *e)
{
    struct ps_node **pp = &t->b[e->hash & (t->size - 1)];
    while (*pp != e)
        pp = &(*pp)->next;
    *pp = e->next;
    t->n--;
    if (t->size > 16 && t->n < t->size / 8)
        table_resize(t, t->size / 2);
}

static inline struct ps_node *
table_bucket(const struct ps_table *t, uint64_t hash)
{
    return t->size ? t->b[hash & (t->size - 1)] : NULL;
}

/* ---- Census: distinct names on the whole node (INFO) ----
 *
 * One entry per (kind, name) subscribed on at least one worker, counting
 * the workers that have it. Workers update it only when a name appears on
 * or disappears from their registry, under census_lock; INFO reads the
 * three counters without the lock. */
struct census_ent {
    struct ps_node node;
    uint32_t workers;
    uint8_t kind;
    size_t len;
    char name[];
};

static pthread_mutex_t census_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ps_table census;
static uint64_t census_n[PUBSUB_NKINDS]; /* atomic */

static struct census_ent *
census_find(int kind, const char *name, size_t len, uint64_t h)
{
    for (struct ps_node *n = table_bucket(&census, h); n; n = n->next) {
        struct census_ent *e = (struct census_ent *)n;
        if (n->hash == h && e->kind == kind && e->len == len && memcmp(e->name, name, len) == 0)
            return e;
    }
    return NULL;
}

static void
census_add(int kind, const char *name, size_t len, uint64_t h)
{
    pthread_mutex_lock(&census_lock);
    struct census_ent *e = census_find(kind, name, len, h);
    if (e) {
        e->workers++;
    } else {
        e = ts_malloc(sizeof(*e) + len);
        e->node.hash = h;
        e->workers = 1;
        e->kind = (uint8_t)kind;
        e->len = len;
        memcpy(e->name, name, len);
        table_add(&census, &e->node);
        __atomic_store_n(&census_n[kind], census_n[kind] + 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&census_lock);
}

static void
census_del(int kind, const char *name, size_t len, uint64_t h)
{
    pthread_mutex_lock(&census_lock);
    struct census_ent *e = census_find(kind, name, len, h);
    if (e && --e->workers == 0) {
        table_del(&census, &e->node);
        ts_free(e);
        __atomic_store_n(&census_n[kind], census_n[kind] - 1, __ATOMIC_RELAXED);
    }
    pthread_mutex_unlock(&census_lock);
}

void
pubsub_census(uint64_t out[PUBSUB_NKINDS])
{
    for (int k = 0; k < PUBSUB_NKINDS; k++)
        out[k] = __atomic_load_n(&census_n[k], __ATOMIC_RELAXED);
}

/* ---- Per-worker registry ---- */

struct ps_worker {
    struct ps_table names;             /* (kind, name) -> ps_chan */
    struct ps_table subs;              /* (chan, client) -> ps_sub */
    struct ps_chan *pat_head, *pat_tail;
};

/* Each slot is created and used only by its worker's thread. */
static struct ps_worker *ps_workers[MAX_WORKERS];

/* Subscriptions per worker, [0] channels + patterns, [1] shard channels:
 * written by the owner (release), read by publishers on any thread to skip
 * workers that have nobody to deliver to. One cache line per worker. */
static struct {
    uint64_t n[2];
} __attribute__((aligned(64))) ps_load[MAX_WORKERS];

static inline int
load_idx(int kind)
{
    return kind == PUBSUB_SHARD ? 1 : 0;
}

static struct ps_worker *
ps_worker_get(struct shard *sh)
{
    struct ps_worker *pw = ps_workers[sh->id];
    if (unlikely(pw == NULL))
        pw = ps_workers[sh->id] = ts_calloc(1, sizeof(*pw));
    return pw;
}

int
pubsub_workers_with_subs(bool sharded, uint64_t *mask)
{
    int n = 0, nw = cmd_nworkers();
    for (int w = 0; w < nw && w < MAX_WORKERS; w++) {
        if (__atomic_load_n(&ps_load[w].n[sharded ? 1 : 0], __ATOMIC_ACQUIRE)) {
            mask[w / 64] |= 1ull << (w % 64);
            n++;
        }
    }
    return n;
}

static struct ps_chan *
chan_find(const struct ps_worker *pw, int kind, const char *name, size_t len, uint64_t h)
{
    for (struct ps_node *n = table_bucket(&pw->names, h); n; n = n->next) {
        struct ps_chan *c = (struct ps_chan *)n;
        if (n->hash == h && c->kind == kind && c->len == len && memcmp(c->name, name, len) == 0)
            return c;
    }
    return NULL;
}

static struct ps_sub *
sub_find(const struct ps_worker *pw, const struct ps_chan *ch, const struct client *cl)
{
    uint64_t h = sub_hash(ch, cl);
    for (struct ps_node *n = table_bucket(&pw->subs, h); n; n = n->next) {
        struct ps_sub *s = (struct ps_sub *)n;
        if (s->chan == ch && s->cl == cl)
            return s;
    }
    return NULL;
}

struct ps_chan *
pubsub_lookup(struct shard *sh, int kind, const char *name, size_t len)
{
    const struct ps_worker *pw = ps_workers[sh->id];
    return pw ? chan_find(pw, kind, name, len, ps_hash(kind, name, len)) : NULL;
}

void
pubsub_foreach(struct shard *sh, int kind, void (*fn)(const struct ps_chan *ch, void *arg), void *arg)
{
    const struct ps_worker *pw = ps_workers[sh->id];
    if (pw == NULL)
        return;
    for (size_t i = 0; i < pw->names.size; i++)
        for (struct ps_node *n = pw->names.b[i]; n; n = n->next)
            if (((struct ps_chan *)n)->kind == kind)
                fn((const struct ps_chan *)n, arg);
}

static struct ps_chan *
chan_create(struct ps_worker *pw, int kind, const char *name, size_t len, uint64_t h)
{
    struct ps_chan *c = ts_calloc(1, sizeof(*c) + len);
    c->node.hash = h;
    c->kind = (uint8_t)kind;
    c->len = len;
    memcpy(c->name, name, len);
    table_add(&pw->names, &c->node);
    if (kind == PUBSUB_PATTERN) {
        c->pprev = pw->pat_tail;
        if (pw->pat_tail)
            pw->pat_tail->pnext = c;
        else
            pw->pat_head = c;
        pw->pat_tail = c;
    }
    census_add(kind, name, len, h);
    return c;
}

static void
chan_destroy(struct ps_worker *pw, struct ps_chan *c)
{
    table_del(&pw->names, &c->node);
    if (c->kind == PUBSUB_PATTERN) {
        if (c->pprev)
            c->pprev->pnext = c->pnext;
        else
            pw->pat_head = c->pnext;
        if (c->pnext)
            c->pnext->pprev = c->pprev;
        else
            pw->pat_tail = c->pprev;
    }
    census_del(c->kind, c->name, c->len, c->node.hash);
    ts_free(c);
}

/* Publish cl's count of a kind for CLIENT LIST on other workers. */
static void
client_count_store(struct client *cl, int kind, uint32_t n)
{
    uint32_t *f = kind == PUBSUB_CHANNEL ? &cl->sub_channels : kind == PUBSUB_PATTERN ? &cl->sub_patterns : &cl->sub_shard;
    __atomic_store_n(f, n, __ATOMIC_RELAXED);
}

static void
load_change(int worker, int kind, int delta)
{
    uint64_t *p = &ps_load[worker].n[load_idx(kind)];
    __atomic_store_n(p, *p + (uint64_t)(int64_t)delta, __ATOMIC_RELEASE);
}

bool
pubsub_sub_add(struct shard *sh, struct client *cl, int kind, const char *name, size_t len)
{
    struct ps_worker *pw = ps_worker_get(sh);
    uint64_t h = ps_hash(kind, name, len);
    struct ps_chan *c = chan_find(pw, kind, name, len, h);
    if (c && sub_find(pw, c, cl))
        return false;
    if (c == NULL)
        c = chan_create(pw, kind, name, len, h);
    struct pubsub_client *pc = cl->pubsub;
    if (pc == NULL)
        pc = cl->pubsub = ts_calloc(1, sizeof(*pc));
    struct ps_sub *s = ts_malloc(sizeof(*s));
    s->node.hash = sub_hash(c, cl);
    s->chan = c;
    s->cl = cl;
    s->cnext = NULL;
    s->cprev = c->subs_tail;
    if (c->subs_tail)
        c->subs_tail->cnext = s;
    else
        c->subs_head = s;
    c->subs_tail = s;
    c->nsubs++;
    s->knext = NULL;
    s->kprev = pc->tail[kind];
    if (pc->tail[kind])
        pc->tail[kind]->knext = s;
    else
        pc->head[kind] = s;
    pc->tail[kind] = s;
    pc->n[kind]++;
    table_add(&pw->subs, &s->node);
    client_count_store(cl, kind, pc->n[kind]);
    load_change(sh->id, kind, 1);
    return true;
}

/* Unlink s from its channel, its client and the membership table; the
 * channel goes when its last subscriber does. */
static void
sub_remove(struct shard *sh, struct ps_worker *pw, struct ps_sub *s)
{
    struct ps_chan *c = s->chan;
    struct client *cl = s->cl;
    struct pubsub_client *pc = cl->pubsub;
    int kind = c->kind;
    if (s->cprev)
        s->cprev->cnext = s->cnext;
    else
        c->subs_head = s->cnext;
    if (s->cnext)
        s->cnext->cprev = s->cprev;
    else
        c->subs_tail = s->cprev;
    c->nsubs--;
    if (s->kprev)
        s->kprev->knext = s->knext;
    else
        pc->head[kind] = s->knext;
    if (s->knext)
        s->knext->kprev = s->kprev;
    else
        pc->tail[kind] = s->kprev;
    pc->n[kind]--;
    table_del(&pw->subs, &s->node);
    ts_free(s);
    client_count_store(cl, kind, pc->n[kind]);
    load_change(sh->id, kind, -1);
    if (c->nsubs == 0)
        chan_destroy(pw, c);
}

bool
pubsub_sub_del(struct shard *sh, struct client *cl, int kind, const char *name, size_t len)
{
    struct ps_worker *pw = ps_workers[sh->id];
    if (pw == NULL || cl->pubsub == NULL)
        return false;
    struct ps_chan *c = chan_find(pw, kind, name, len, ps_hash(kind, name, len));
    struct ps_sub *s = c ? sub_find(pw, c, cl) : NULL;
    if (s == NULL)
        return false;
    sub_remove(sh, pw, s);
    return true;
}

void
pubsub_client_clear(struct shard *sh, struct client *cl)
{
    struct pubsub_client *pc = cl->pubsub;
    cl->flags &= ~(uint32_t)CL_PUBSUB;
    if (pc == NULL)
        return;
    struct ps_worker *pw = ps_workers[sh->id];
    for (int k = 0; k < PUBSUB_NKINDS; k++)
        while (pc->head[k])
            sub_remove(sh, pw, pc->head[k]);
    ts_free(pc);
    cl->pubsub = NULL;
}

/* ---- Delivery ---- */

/* One message frame in RESP2 form: *3 type channel message, or *4
 * pmessage pattern channel message. Each receiver gets it with the first
 * byte set for its protocol ('*' or RESP3's push '>'). */
static void
frame_build(struct ts_buf *f, const char *type, const char *pat, size_t patlen, const char *ch, size_t chlen,
            const char *msg, size_t msglen)
{
    struct reply r;
    f->len = 0;
    reply_init(&r, f, 2);
    reply_array(&r, pat ? 4 : 3);
    reply_bulk_cstr(&r, type);
    if (pat)
        reply_bulk(&r, pat, patlen);
    reply_bulk(&r, ch, chlen);
    reply_bulk(&r, msg, msglen);
}

static long
push_all(const struct ps_chan *c, struct ts_buf *f)
{
    long n = 0;
    for (const struct ps_sub *s = c->subs_head; s; s = s->cnext, n++) {
        f->data[0] = s->cl->resp >= 3 ? '>' : '*';
        g_rt.client_push(s->cl, f->data, f->len);
    }
    return n;
}

long
pubsub_deliver_local(struct shard *sh, bool sharded, const char *ch, size_t chlen, const char *msg,
                     size_t msglen)
{
    const struct ps_worker *pw = ps_workers[sh->id];
    if (pw == NULL)
        return 0;
    long n = 0;
    struct ts_buf f = { 0 };
    int kind = sharded ? PUBSUB_SHARD : PUBSUB_CHANNEL;
    const struct ps_chan *c = chan_find(pw, kind, ch, chlen, ps_hash(kind, ch, chlen));
    if (c) {
        frame_build(&f, sharded ? "smessage" : "message", NULL, 0, ch, chlen, msg, msglen);
        n += push_all(c, &f);
    }
    /* Shard channels ignore patterns, as in Redis. */
    for (const struct ps_chan *p = sharded ? NULL : pw->pat_head; p; p = p->pnext) {
        if (!ts_glob_match(p->name, p->len, ch, chlen, false))
            continue;
        frame_build(&f, "pmessage", p->name, p->len, ch, chlen, msg, msglen);
        n += push_all(p, &f);
    }
    ts_buf_free(&f);
    return n;
}

/* ---- Messages from other nodes ----
 *
 * One copy shared by the workers it is posted to; the last one frees it. */
struct ps_ext {
    int refs; /* atomic */
    bool sharded;
    size_t chlen, msglen;
    char data[]; /* channel, then message */
};

static void
ps_ext_unref(struct ps_ext *m)
{
    if (__atomic_sub_fetch(&m->refs, 1, __ATOMIC_ACQ_REL) == 0)
        ts_free(m);
}

static void
ps_ext_run(void *arg, int worker)
{
    struct ps_ext *m = arg;
    pubsub_deliver_local(g_shards[worker], m->sharded, m->data, m->chlen, m->data + m->chlen, m->msglen);
    ps_ext_unref(m);
}

void
pubsub_deliver_external(bool sharded, const char *ch, size_t chlen, const char *msg, size_t msglen)
{
    uint64_t mask[CMD_FANOUT_MASK_WORDS] = { 0 };
    if (pubsub_workers_with_subs(sharded, mask) == 0)
        return;
    struct ps_ext *m = ts_malloc(sizeof(*m) + chlen + msglen);
    m->refs = 1; /* ours, while posting */
    m->sharded = sharded;
    m->chlen = chlen;
    m->msglen = msglen;
    if (chlen)
        memcpy(m->data, ch, chlen);
    if (msglen)
        memcpy(m->data + chlen, msg, msglen);
    int nw = cmd_nworkers();
    for (int w = 0; w < nw && w < MAX_WORKERS; w++) {
        if (!(mask[w / 64] & (1ull << (w % 64))))
            continue;
        __atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
        if (g_rt.post(w, ps_ext_run, m) != 0)
            ps_ext_unref(m);
    }
    ps_ext_unref(m);
}

/* ---- Messages published on this node only (keyspace notifications) ---- */

void
pubsub_deliver_node(struct shard *sh, const char *ch, size_t chlen, const char *msg, size_t msglen)
{
    uint64_t mask[CMD_FANOUT_MASK_WORDS] = { 0 };
    if (pubsub_workers_with_subs(false, mask) == 0)
        return;
    struct ps_ext *m = NULL;
    int nw = cmd_nworkers();
    for (int w = 0; w < nw && w < MAX_WORKERS; w++) {
        if (!(mask[w / 64] & (1ull << (w % 64))))
            continue;
        if (w == sh->id) {
            pubsub_deliver_local(sh, false, ch, chlen, msg, msglen);
            continue;
        }
        if (!m) {
            m = ts_malloc(sizeof(*m) + chlen + msglen);
            m->refs = 1; /* ours, while sending */
            m->sharded = false;
            m->chlen = chlen;
            m->msglen = msglen;
            memcpy(m->data, ch, chlen);
            if (msglen)
                memcpy(m->data + chlen, msg, msglen);
        }
        __atomic_add_fetch(&m->refs, 1, __ATOMIC_RELAXED);
        g_rt.worker_call(w, ps_ext_run, m);
    }
    if (m)
        ps_ext_unref(m);
}
