/* multikey.c: atomic cross-worker multi-key commands (multikey.h). */
#include "net/multikey.h"

#include "core/keyspace.h"
#include "core/reply.h"
#include "core/slot.h"
#include "core/slotmap.h"
#include "core/t_commands.h"
#include "net/net_int.h"

/* ---- Key locks, per worker ---- */

struct keylock {
    struct keylock *next;
    uint64_t hash;
    int excl;   /* exclusive holders (0 or 1) */
    int shared; /* shared holders */
    size_t len;
    char key[];
};

#define KL_BUCKETS 256
struct keylock_table {
    int nlocked;                 /* keys with a holder */
    struct keylock *b[KL_BUCKETS];
    struct wmsg *wait_head, *wait_tail; /* parked work, in arrival order */
};

static uint64_t
kl_hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static struct keylock_table *
kl_table(struct worker *w)
{
    if (!w->shard.locks)
        w->shard.locks = ts_calloc(1, sizeof(struct keylock_table));
    return w->shard.locks;
}

static struct keylock *
kl_find(struct keylock_table *t, struct sv k, uint64_t h, bool create)
{
    struct keylock **pp = &t->b[h % KL_BUCKETS];
    for (struct keylock *l = *pp; l; l = l->next)
        if (l->hash == h && l->len == k.len && memcmp(l->key, k.ptr, k.len) == 0)
            return l;
    if (!create)
        return NULL;
    struct keylock *l = ts_calloc(1, sizeof(*l) + k.len);
    l->hash = h;
    l->len = k.len;
    memcpy(l->key, k.ptr, k.len);
    l->next = *pp;
    *pp = l;
    return l;
}

static void
kl_drop(struct keylock_table *t, struct keylock *l)
{
    struct keylock **pp = &t->b[l->hash % KL_BUCKETS];
    while (*pp != l)
        pp = &(*pp)->next;
    *pp = l->next;
    ts_free(l);
}

static bool
kl_conflicts(struct keylock_table *t, struct sv k, bool excl)
{
    struct keylock *l = kl_find(t, k, kl_hash(k.ptr, k.len), false);
    if (!l)
        return false;
    return l->excl > 0 || (excl && l->shared > 0);
}

bool
multikey_any_locked(const struct worker *w)
{
    return w->shard.locks && w->shard.locks->nlocked > 0;
}

bool
multikey_blocked(struct worker *w, const struct cmd_def *cmd, int argc, const struct sv *argv)
{
    struct keylock_table *t = w->shard.locks;
    if (!t || t->nlocked == 0)
        return false;
    int idx[64];
    int nk = cmd_get_keys(cmd, argc, (struct sv *)argv, idx, 64);
    bool excl = (cmd->flags & CMD_WRITE) != 0;
    for (int i = 0; i < nk; i++)
        if (kl_conflicts(t, argv[idx[i]], excl))
            return true;
    /* More than 64 keys: be conservative and wait for all locks to clear. */
    return nk == 64;
}

static void
park_msg(struct worker *w, struct wmsg *m)
{
    struct keylock_table *t = kl_table(w);
    m->next = NULL;
    if (t->wait_tail)
        t->wait_tail->next = m;
    else
        t->wait_head = m;
    t->wait_tail = m;
}

void
multikey_park(struct worker *w, struct req *r)
{
    park_msg(w, &r->msg);
}

void
multikey_park_msg(struct worker *w, struct wmsg *m)
{
    park_msg(w, m);
}

/* Re-run everything that waited; what is still blocked parks again, in order. */
static void
kl_wake(struct worker *w)
{
    struct keylock_table *t = w->shard.locks;
    struct wmsg *m = t->wait_head;
    t->wait_head = t->wait_tail = NULL;
    while (m) {
        struct wmsg *next = m->next;
        m->run(w, m);
        m = next;
    }
}

/* ---- Transactions ---- */

enum mk_kind { MK_MGET, MK_MSET, MK_MSETNX, MK_DEL, MK_EXISTS, MK_TOUCH, MK_RENAME, MK_RENAMENX, MK_COPY };

struct mk;
struct mk_part {
    struct wmsg msg; /* first */
    struct mk *mk;
    int worker;
    int nidx;
    int *idx;        /* argv indexes of this worker's keys */
    /* results */
    long long count;
    bool flag;       /* MSETNX: some key exists; RENAME: dst exists */
    struct kvval *val;
    int64_t expire;
    struct ts_buf out; /* MGET: encoded values */
    size_t *offs;      /* MGET: start of each key's value in out */
};

struct mk {
    struct req *req;
    int origin;
    enum mk_kind kind;
    bool excl;
    bool replace;      /* COPY REPLACE */
    bool stop;         /* a phase decided the outcome: skip the rest */
    int phase;
    int remaining;
    int next_lock;
    int nparts;
    int refs;          /* atomic: parts still holding locks + the coordinator */
    struct mk_part *parts;
    int *kpart;        /* key number -> part index */
    struct sv *argv;   /* own copy: the request is recycled before unlocks run */
    struct ts_buf argbuf;
    int nk;
    int keyidx[];      /* argv index of each key, in argv order */
};

static void mk_lock_try(struct worker *w, struct wmsg *m);
static void mk_phase_run(struct worker *w, struct wmsg *m);

static void
mk_unref(struct mk *x)
{
    if (__atomic_sub_fetch(&x->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    for (int i = 0; i < x->nparts; i++) {
        ts_free(x->parts[i].idx);
        ts_buf_free(&x->parts[i].out);
        ts_free(x->parts[i].offs);
        if (x->parts[i].val)
            kvval_free(&x->parts[i].val);
    }
    ts_free(x->parts);
    ts_free(x->kpart);
    ts_free(x->argv);
    ts_buf_free(&x->argbuf);
    ts_free(x);
}

static enum mk_kind
mk_kind_of(const char *name, bool *excl)
{
    static const struct {
        const char *n;
        enum mk_kind k;
        bool excl;
    } kinds[] = {{"mget", MK_MGET, false},     {"mset", MK_MSET, true},      {"msetnx", MK_MSETNX, true},
                 {"del", MK_DEL, true},        {"unlink", MK_DEL, true},     {"exists", MK_EXISTS, false},
                 {"touch", MK_TOUCH, false},   {"rename", MK_RENAME, true},  {"renamenx", MK_RENAMENX, true},
                 {"copy", MK_COPY, true}};
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++)
        if (strcmp(kinds[i].n, name) == 0) {
            *excl = kinds[i].excl;
            return kinds[i].k;
        }
    *excl = true;
    return (enum mk_kind)-1;
}

/* ---- Phase 1: locks, one worker at a time in ascending order ---- */

static void
mk_locked_home(struct worker *w, struct wmsg *m)
{
    struct mk *x = ((struct mk_part *)m)->mk;
    x->next_lock++;
    if (x->next_lock < x->nparts) {
        struct mk_part *p = &x->parts[x->next_lock];
        p->msg.run = mk_lock_try;
        worker_send(w, p->worker, &p->msg);
        return;
    }
    /* All locked: run the first phase everywhere. */
    x->phase = 1;
    x->remaining = x->nparts;
    for (int i = 0; i < x->nparts; i++) {
        x->parts[i].msg.run = mk_phase_run;
        worker_send(w, x->parts[i].worker, &x->parts[i].msg);
    }
}

static void
mk_lock_try(struct worker *w, struct wmsg *m)
{
    struct mk_part *p = (struct mk_part *)m;
    struct mk *x = p->mk;
    struct keylock_table *t = kl_table(w);
    struct sv *argv = x->argv;
    for (int i = 0; i < p->nidx; i++)
        if (kl_conflicts(t, argv[p->idx[i]], x->excl)) {
            park_msg(w, m);
            return;
        }
    for (int i = 0; i < p->nidx; i++) {
        struct sv k = argv[p->idx[i]];
        struct keylock *l = kl_find(t, k, kl_hash(k.ptr, k.len), true);
        if (l->excl == 0 && l->shared == 0)
            t->nlocked++;
        if (x->excl)
            l->excl++;
        else
            l->shared++;
    }
    p->msg.run = mk_locked_home;
    worker_send(w, x->origin, &p->msg);
}

static void
mk_unlock_run(struct worker *w, struct wmsg *m)
{
    struct mk_part *p = (struct mk_part *)m;
    struct mk *x = p->mk;
    struct keylock_table *t = kl_table(w);
    struct sv *argv = x->argv;
    for (int i = 0; i < p->nidx; i++) {
        struct sv k = argv[p->idx[i]];
        struct keylock *l = kl_find(t, k, kl_hash(k.ptr, k.len), false);
        if (!l)
            continue;
        if (x->excl)
            l->excl--;
        else
            l->shared--;
        if (l->excl == 0 && l->shared == 0) {
            t->nlocked--;
            kl_drop(t, l);
        }
    }
    mk_unref(x);
    kl_wake(w);
}

/* ---- Phases: the command's work on each worker ---- */

static void
part_work(struct worker *w, struct mk *x, struct mk_part *p)
{
    struct ks *ks = w->shard.ks;
    int64_t now = w->shard.now_ms;
    struct sv *argv = x->argv;
    switch (x->kind) {
    case MK_MGET: {
        struct reply rep;
        reply_init(&rep, &p->out, x->req->resp);
        p->offs = ts_malloc(sizeof(size_t) * ((size_t)p->nidx + 1));
        for (int i = 0; i < p->nidx; i++) {
            p->offs[i] = p->out.len;
            struct sv k = argv[p->idx[i]];
            struct kv *e = ks_lookup(ks, slot_of_sv(k), k, now, 0);
            ks_note_hit(ks, e != NULL);
            if (e && kv_type(e) == OBJ_STRING) {
                char tmp[24];
                struct sv v = kv_str(e, tmp);
                reply_bulk(&rep, v.ptr, v.len);
            } else {
                reply_null(&rep);
            }
        }
        p->offs[p->nidx] = p->out.len;
        break;
    }
    case MK_MSET:
        if (x->phase == 2 || x->kind == MK_MSET)
            for (int i = 0; i < p->nidx; i++) {
                struct sv k = argv[p->idx[i]];
                ks_set_str(ks, slot_of_sv(k), k, argv[p->idx[i] + 1], KS_EXPIRE_NONE);
                t_key_modified(&w->shard, k);
            }
        break;
    case MK_MSETNX:
        for (int i = 0; i < p->nidx; i++) {
            struct sv k = argv[p->idx[i]];
            if (x->phase == 1) {
                if (ks_lookup(ks, slot_of_sv(k), k, now, KS_LOOKUP_NOTOUCH))
                    p->flag = true;
            } else {
                ks_set_str(ks, slot_of_sv(k), k, argv[p->idx[i] + 1], KS_EXPIRE_NONE);
                t_key_modified(&w->shard, k);
            }
        }
        break;
    case MK_DEL:
        for (int i = 0; i < p->nidx; i++) {
            struct sv k = argv[p->idx[i]];
            uint16_t s = slot_of_sv(k);
            if (ks_lookup(ks, s, k, now, KS_LOOKUP_NOTOUCH) && ks_delete(ks, s, k)) {
                p->count++;
                t_key_modified(&w->shard, k);
            }
        }
        break;
    case MK_EXISTS:
    case MK_TOUCH:
        for (int i = 0; i < p->nidx; i++) {
            struct sv k = argv[p->idx[i]];
            int fl = x->kind == MK_EXISTS ? KS_LOOKUP_NOTOUCH : 0;
            if (ks_lookup(ks, slot_of_sv(k), k, now, fl))
                p->count++;
        }
        break;
    case MK_RENAME:
    case MK_RENAMENX:
    case MK_COPY: {
        /* part of key 0 is the source, part of key 1 the destination */
        bool is_src = p->idx[0] == x->keyidx[0];
        struct sv k = argv[p->idx[0]];
        uint16_t s = slot_of_sv(k);
        if (x->phase == 1) {
            struct kv *e = ks_lookup(ks, s, k, now, KS_LOOKUP_NOTOUCH);
            if (is_src) {
                p->flag = e != NULL;
                if (e) {
                    p->val = kv_value_dup(e);
                    p->expire = kv_expire(e);
                }
            } else {
                p->flag = e != NULL;
            }
        } else if (is_src) {
            if (x->kind != MK_COPY) {
                ks_delete(ks, s, k);
                t_key_modified(&w->shard, k);
            }
        } else {
            ks_set_value(ks, s, k, p->val, p->expire >= 0 ? p->expire : KS_EXPIRE_NONE);
            p->val = NULL;
            t_key_modified(&w->shard, k);
        }
        break;
    }
    }
    w->shard.stats.commands++;
}

static void mk_phase_home(struct worker *w, struct wmsg *m);

static void
mk_phase_run(struct worker *w, struct wmsg *m)
{
    struct mk_part *p = (struct mk_part *)m;
    part_work(w, p->mk, p);
    p->msg.run = mk_phase_home;
    worker_send(w, p->mk->origin, &p->msg);
}

/* Between phases (on the coordinator): decide whether phase 2 runs and
 * hand values from source to destination. Returns true to run phase 2. */
static bool
mk_need_phase2(struct mk *x)
{
    if (x->kind == MK_MSETNX) {
        for (int i = 0; i < x->nparts; i++)
            if (x->parts[i].flag)
                return false;
        return true;
    }
    if (x->kind == MK_RENAME || x->kind == MK_RENAMENX || x->kind == MK_COPY) {
        struct mk_part *src = &x->parts[x->kpart[0]], *dst = &x->parts[x->kpart[1]];
        if (!src->flag)
            return false;
        if (dst->flag && (x->kind == MK_RENAMENX || (x->kind == MK_COPY && !x->replace)))
            return false;
        dst->val = src->val;
        dst->expire = src->expire;
        src->val = NULL;
        return true;
    }
    return false;
}

static void
mk_reply(struct mk *x, struct reply *r)
{
    long long sum = 0;
    for (int i = 0; i < x->nparts; i++)
        sum += x->parts[i].count;
    switch (x->kind) {
    case MK_MGET: {
        reply_array(r, x->nk);
        int *cursor = ts_calloc((size_t)x->nparts, sizeof(int));
        for (int k = 0; k < x->nk; k++) {
            struct mk_part *p = &x->parts[x->kpart[k]];
            int j = cursor[x->kpart[k]]++;
            reply_raw(r, p->out.data + p->offs[j], p->offs[j + 1] - p->offs[j]);
        }
        ts_free(cursor);
        break;
    }
    case MK_MSET:
        reply_ok(r);
        break;
    case MK_MSETNX:
        reply_int(r, x->phase == 2 ? 1 : 0);
        break;
    case MK_DEL:
    case MK_EXISTS:
    case MK_TOUCH:
        reply_int(r, sum);
        break;
    case MK_RENAME:
    case MK_RENAMENX:
    case MK_COPY:
        if (!x->parts[x->kpart[0]].flag) {
            if (x->kind == MK_COPY)
                reply_int(r, 0);
            else
                reply_error(r, ERR_NO_KEY);
        } else if (x->kind == MK_RENAME) {
            reply_ok(r);
        } else {
            reply_int(r, x->phase == 2 ? 1 : 0);
        }
        break;
    }
}

static void
mk_finish(struct worker *w, struct mk *x)
{
    struct req *r = x->req;
    struct conn *c = r->conn;
    struct reply rep;
    r->reply.len = 0;
    reply_init(&rep, &r->reply, r->resp);
    mk_reply(x, &rep);
    for (int i = 0; i < x->nparts; i++) {
        x->parts[i].msg.run = mk_unlock_run;
        worker_send(w, x->parts[i].worker, &x->parts[i].msg);
    }
    c->mk_active = false;
    conn_hold(c);
    dispatch_finished(w, c, r);
    conn_release(w, c);
    mk_unref(x);
}

static void
mk_phase_home(struct worker *w, struct wmsg *m)
{
    struct mk *x = ((struct mk_part *)m)->mk;
    if (--x->remaining > 0)
        return;
    if (x->phase == 1 && (x->kind == MK_MSETNX || x->kind == MK_RENAME || x->kind == MK_RENAMENX ||
                          x->kind == MK_COPY) &&
        mk_need_phase2(x)) {
        x->phase = 2;
        x->remaining = x->nparts;
        for (int i = 0; i < x->nparts; i++) {
            x->parts[i].msg.run = mk_phase_run;
            worker_send(w, x->parts[i].worker, &x->parts[i].msg);
        }
        return;
    }
    mk_finish(w, x);
}

/* ---- Start ---- */

void
multikey_start(struct worker *w, struct req *r, const int *idx, int nk)
{
    struct conn *c = r->conn;
    bool excl;
    enum mk_kind kind = mk_kind_of(r->cmd->name, &excl);
    if ((int)kind < 0) {
        struct reply rep;
        reply_init(&rep, &r->reply, r->resp);
        reply_error(&rep, ERR_CROSSSLOT);
        r->done = true;
        dispatch_deliver(w, c);
        return;
    }
    if ((kind == MK_MSET || kind == MK_MSETNX) && r->argc % 2 == 0) {
        struct reply rep;
        reply_init(&rep, &r->reply, r->resp);
        reply_wrong_args(&rep, r->cmd->name);
        r->done = true;
        dispatch_deliver(w, c);
        return;
    }
    struct mk *x = ts_calloc(1, sizeof(*x) + sizeof(int) * (size_t)nk);
    x->req = r;
    x->origin = w->id;
    x->kind = kind;
    x->excl = excl;
    x->nk = nk;
    memcpy(x->keyidx, idx, sizeof(int) * (size_t)nk);
    x->argv = ts_malloc(sizeof(struct sv) * (size_t)r->argc);
    for (int i = 0; i < r->argc; i++)
        ts_buf_append(&x->argbuf, r->argv[i].ptr, r->argv[i].len);
    for (int i = 0, off = 0; i < r->argc; off += (int)r->argv[i].len, i++)
        x->argv[i] = (struct sv){x->argbuf.data + off, r->argv[i].len};
    if (kind == MK_COPY) {
        for (int i = 3; i < r->argc; i++) {
            if (sv_eq_ci(r->argv[i], "replace")) {
                x->replace = true;
            } else if (sv_eq_ci(r->argv[i], "db") && i + 1 < r->argc) {
                long long db;
                if (!ts_str_to_ll(r->argv[i + 1].ptr, r->argv[i + 1].len, &db) || db != 0) {
                    struct reply rep;
                    reply_init(&rep, &r->reply, r->resp);
                    reply_error(&rep, db != 0 ? "ERR DB index is out of range" : ERR_NOT_INT);
                    r->done = true;
                    ts_free(x->argv);
                    ts_buf_free(&x->argbuf);
                    ts_free(x);
                    dispatch_deliver(w, c);
                    return;
                }
                i++;
            } else {
                struct reply rep;
                reply_init(&rep, &r->reply, r->resp);
                reply_error(&rep, ERR_SYNTAX);
                r->done = true;
                ts_free(x->argv);
                ts_buf_free(&x->argbuf);
                ts_free(x);
                dispatch_deliver(w, c);
                return;
            }
        }
    }
    /* Group keys by worker, parts in ascending worker order. */
    int owner[MAX_WORKERS];
    for (int i = 0; i < MAX_WORKERS; i++)
        owner[i] = -1;
    int *kworker = ts_malloc(sizeof(int) * (size_t)nk);
    int nparts = 0;
    for (int k = 0; k < nk; k++) {
        kworker[k] = slotmap_worker(slot_of_sv(r->argv[idx[k]]));
        if (owner[kworker[k]] < 0) {
            owner[kworker[k]] = 0;
            nparts++;
        }
    }
    x->parts = ts_calloc((size_t)nparts, sizeof(struct mk_part));
    x->kpart = ts_malloc(sizeof(int) * (size_t)nk);
    int pi = 0;
    for (int wk = 0; wk < MAX_WORKERS; wk++) {
        if (owner[wk] < 0)
            continue;
        owner[wk] = pi;
        x->parts[pi].worker = wk;
        x->parts[pi].mk = x;
        x->parts[pi].idx = ts_malloc(sizeof(int) * (size_t)nk);
        pi++;
    }
    for (int k = 0; k < nk; k++) {
        struct mk_part *p = &x->parts[owner[kworker[k]]];
        x->kpart[k] = owner[kworker[k]];
        p->idx[p->nidx++] = idx[k];
    }
    ts_free(kworker);
    x->nparts = nparts;
    x->refs = nparts + 1;
    c->mk_active = true;
    x->next_lock = 0;
    x->parts[0].msg.run = mk_lock_try;
    worker_send(w, x->parts[0].worker, &x->parts[0].msg);
}
