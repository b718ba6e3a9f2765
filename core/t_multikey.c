/* t_multikey.c: the per-worker parts (tx.h) of the string and key
 * commands whose keys may live on several workers in standalone mode:
 * MGET, MSET, MSETNX, DEL, UNLINK, EXISTS, TOUCH, RENAME, RENAMENX, COPY.
 *
 * Each part runs on the worker owning its keys, with the same per-key
 * helpers the single-worker procs use (t_commands.h), so the two paths
 * give the same replies, events and statistics. Two-phase commands read
 * in phase 1 and write in phase 2; the coordinator decides in between. */
#include "core/t_commands.h"

#include "core/effect.h"
#include "core/slot.h"
#include "core/tx.h"

static inline int
tx_lflags(const struct tx *t)
{
    return t_lookup_flags(t->cflags);
}

static long long
tx_sum(const struct tx *t)
{
    long long n = 0;
    for (int i = 0; i < t->nparts; i++)
        n += t->parts[i].count;
    return n;
}

/* MSET and MSETNX take key-value pairs. */
static bool
pairs_check(struct tx *t, struct reply *r)
{
    if (t->argc % 2 == 0) {
        reply_wrong_args(r, t->cmd->name);
        return false;
    }
    return true;
}

/* ---- MGET ---- */

static void
mget_part(struct shard *sh, struct tx *t, struct tx_part *p, int phase)
{
    struct reply r;
    reply_init(&r, &p->out, t->resp);
    p->offs = ts_malloc(sizeof(size_t) * ((size_t)p->nkeys + 1));
    for (int i = 0; i < p->nkeys; i++) {
        p->offs[i] = p->out.len;
        t_get_reply(sh, t->argv[p->keys[i]], sh->now_ms, tx_lflags(t), &r);
    }
    p->offs[p->nkeys] = p->out.len;
}

/* The parts' values, back in key order. */
static void
mget_reply(struct tx *t, struct reply *r)
{
    int cursor[MAX_WORKERS] = {0};
    reply_array(r, t->nkeys);
    for (int k = 0; k < t->nkeys; k++) {
        struct tx_part *p = &t->parts[t->kpart[k]];
        int j = cursor[t->kpart[k]]++;
        reply_raw(r, p->out.data + p->offs[j], p->offs[j + 1] - p->offs[j]);
    }
}

const struct tx_ops t_mget_tx = {.phases = 1, .part = mget_part, .reply = mget_reply};

/* ---- MSET, MSETNX ---- */

static void
mset_part(struct shard *sh, struct tx *t, struct tx_part *p, int phase)
{
    for (int i = 0; i < p->nkeys; i++)
        t_set_key(sh, t->argv[p->keys[i]], t->argv[p->keys[i] + 1]);
}

static void
mset_reply(struct tx *t, struct reply *r)
{
    reply_ok(r);
}

const struct tx_ops t_mset_tx = {.phases = 1, .stream_as = "", .check = pairs_check, .part = mset_part,
                                 .reply = mset_reply};

/* Whether key holds a value that has not expired, without deleting an
 * expired one: a probe that must leave lazy expiry to the phase that
 * mirrors Redis's own lookups. */
static bool
live_key(struct shard *sh, struct sv key)
{
    struct kv *e = ks_lookup(sh->ks, slot_of_sv(key), key, sh->now_ms, KS_LOOKUP_NOTOUCH | KS_LOOKUP_NOEXPIRE);
    if (e == NULL)
        return false;
    int64_t when = kv_expire(e);
    return when < 0 || sh->now_ms <= when;
}

/* MSETNX. Redis looks the keys up in order and stops at the first that
 * exists, so exactly the keys before it get lazily expired. Phase 1 (in
 * parallel): each part finds its first live key without expiring anything
 * (flag, and its argv index in count). Between the phases the coordinator
 * keeps the first of all in t->opt (0: none). Phase 2: each part expires
 * what Redis's lookups would have (its keys before that one, or all),
 * then, when no key exists, sets its keys. */
static void
msetnx_part(struct shard *sh, struct tx *t, struct tx_part *p, int phase)
{
    if (phase == 1) {
        for (int i = 0; i < p->nkeys && !p->flag; i++) {
            if (live_key(sh, t->argv[p->keys[i]])) {
                p->flag = true;
                p->count = p->keys[i];
            }
        }
        return;
    }
    for (int i = 0; i < p->nkeys && (t->opt == 0 || p->keys[i] < (int)t->opt); i++)
        t_exists_key(sh, t->argv[p->keys[i]], sh->now_ms, false);
    if (t->opt == 0)
        mset_part(sh, t, p, phase);
}

static bool
msetnx_next(struct tx *t, int done)
{
    for (int i = 0; i < t->nparts; i++)
        if (t->parts[i].flag && (t->opt == 0 || t->parts[i].count < (long long)t->opt))
            t->opt = (unsigned)t->parts[i].count;
    /* the first key exists: nothing before it to expire, nothing to set */
    return t->opt != (unsigned)t->keyidx[0];
}

static void
msetnx_reply(struct tx *t, struct reply *r)
{
    reply_int(r, t->opt != 0 ? 0 : 1);
}

const struct tx_ops t_msetnx_tx = {
    .stream_as = "MSET",
    .phases = 2, .check = pairs_check, .part = msetnx_part, .next_phase = msetnx_next, .reply = msetnx_reply};

/* ---- DEL / UNLINK, EXISTS, TOUCH: counts ---- */

static void
del_part(struct shard *sh, struct tx *t, struct tx_part *p, int phase)
{
    for (int i = 0; i < p->nkeys; i++)
        p->count += t_del_key(sh, t->argv[p->keys[i]], sh->now_ms);
}

static void
exists_part(struct shard *sh, struct tx *t, struct tx_part *p, int phase)
{
    for (int i = 0; i < p->nkeys; i++)
        p->count += t_exists_key(sh, t->argv[p->keys[i]], sh->now_ms, true);
}

static void
touch_part(struct shard *sh, struct tx *t, struct tx_part *p, int phase)
{
    for (int i = 0; i < p->nkeys; i++)
        p->count += t_touch_key(sh, t->argv[p->keys[i]], sh->now_ms);
}

static void
count_reply(struct tx *t, struct reply *r)
{
    reply_int(r, tx_sum(t));
}

const struct tx_ops t_del_tx = {.phases = 1, .stream_as = "", .part = del_part, .reply = count_reply};
const struct tx_ops t_exists_tx = {.phases = 1, .part = exists_part, .reply = count_reply};
const struct tx_ops t_touch_tx = {.phases = 1, .part = touch_part, .reply = count_reply};

/* ---- RENAME, RENAMENX, COPY ----
 * Key 0 is the source, key 1 the destination, on two workers. Phase 1:
 * the source part copies the value out (flag: it exists), the destination
 * part notes whether the key exists (flag). Phase 2: the source is
 * deleted (RENAME), the destination stores the value. */

enum { MOVE_RENAME = 0, MOVE_COPY = 1 << 0, MOVE_NX = 1 << 1, MOVE_REPLACE = 1 << 2 };

static inline struct tx_part *
src_part(struct tx *t)
{
    return &t->parts[t->kpart[0]];
}

static inline struct tx_part *
dst_part(struct tx *t)
{
    return &t->parts[t->kpart[1]];
}

static void
move_part(struct shard *sh, struct tx *t, struct tx_part *p, int phase)
{
    bool is_src = p == src_part(t);
    struct sv key = t->argv[p->keys[0]];
    if (phase == 1) {
        if (is_src) {
            /* COPY reads like a read command (stats, access time), RENAME
             * like a write (neither) */
            struct kvval *v = (t->opt & MOVE_COPY)
                                  ? t_dup_value(sh, key, sh->now_ms, tx_lflags(t), &p->expire)
                                  : t_dup_value(sh, key, sh->now_ms, KS_LOOKUP_NOTOUCH | T_LOOKUP_NOSTATS, &p->expire);
            p->val = v;
            p->flag = v != NULL;
        } else {
            /* Not an expiring lookup: Redis looks dst up only once src is
             * found, so a failed move must not delete an expired dst;
             * when the move goes on, phase 2's store expires it first. */
            p->flag = live_key(sh, key);
        }
        return;
    }
    if (is_src) {
        if (t->opt & MOVE_COPY)
            return; /* COPY leaves the source alone */
        struct kv *e = ks_lookup(sh->ks, slot_of_sv(key), key, sh->now_ms, KS_LOOKUP_NOTOUCH);
        if (e) {
            ks_delete_entry(sh->ks, e);
            fx_key(sh, FX_GENERIC, "rename_from", key);
        }
        return;
    }
    struct kvval *v = p->val;
    p->val = NULL;
    t_put_value(sh, key, v, p->expire, false, sh->now_ms, (t->opt & MOVE_COPY) ? "copy_to" : "rename_to");
}

/* Between the phases: nothing to move when the source is missing or the
 * destination exists under NX / COPY without REPLACE. */
static bool
move_next(struct tx *t, int done)
{
    struct tx_part *src = src_part(t), *dst = dst_part(t);
    if (!src->flag)
        return false;
    if (dst->flag && ((t->opt & MOVE_NX) || ((t->opt & MOVE_COPY) && !(t->opt & MOVE_REPLACE))))
        return false;
    dst->val = src->val;
    dst->expire = src->expire;
    src->val = NULL;
    return true;
}

static void
move_reply(struct tx *t, struct reply *r)
{
    bool moved = !t->stopped;
    if (t->opt & MOVE_COPY)
        reply_int(r, moved ? 1 : 0);
    else if (!src_part(t)->flag)
        reply_error(r, ERR_NO_KEY);
    else if (t->opt & MOVE_NX)
        reply_int(r, moved ? 1 : 0);
    else
        reply_ok(r);
}

static bool
renamenx_check(struct tx *t, struct reply *r)
{
    t->opt = MOVE_NX;
    return true;
}

/* COPY's options, parsed as the single-worker proc parses them. */
static bool
copy_check(struct tx *t, struct reply *r)
{
    bool replace;
    if (!t_copy_parse(t->argc, t->argv, &replace, r))
        return false;
    t->opt = MOVE_COPY | (replace ? MOVE_REPLACE : 0);
    return true;
}

const struct tx_ops t_rename_tx = {.phases = 2, .part = move_part, .next_phase = move_next, .reply = move_reply};
const struct tx_ops t_renamenx_tx = {
    .phases = 2, .check = renamenx_check, .part = move_part, .next_phase = move_next, .reply = move_reply};
const struct tx_ops t_copy_tx = {
    .phases = 2, .check = copy_check, .part = move_part, .next_phase = move_next, .reply = move_reply};
