/* t_set_tx.c: the cross-worker parts (tx.h) of the set commands on several
 * keys, for standalone mode when their keys live on several workers:
 * SMOVE, SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF,
 * SDIFFSTORE. Each runs as one transaction, atomically, with the replies,
 * errors, keyspace events, statistics and result encodings of the
 * single-worker procs (t_set_multi.c), whose code it shares:
 *
 *   SMOVE src dst m        phase 1: each side looks its key up (type; the
 *                          source also whether m is a member); the
 *                          coordinator decides (0, WRONGTYPE, or go on);
 *                          phase 2: tset_move_out on the source's worker,
 *                          tset_move_in on the destination's.
 *   SINTER/SUNION/SDIFF/   phase 1: each owner looks its keys up, expiring
 *   SINTERCARD             none, and hands over a copy of each set (kobj)
 *                          or a missing / expired / wrong-type mark
 *                          (kstate); the coordinator finds where Redis's
 *                          lookups stop (the first key of another type);
 *                          phase 2, only when a key up to there is missing
 *                          or expired: its owner deletes it if expired and
 *                          counts the miss ("expired", "keymiss" events in
 *                          Redis's order); the coordinator runs
 *                          tset_algebra on the copies in key order.
 *   ...STORE dst keys      phase 1 as above (dst itself is not read); the
 *                          coordinator computes the result between the
 *                          phases and puts it in dst's slot of dst's part;
 *                          phase 2: the misses as above, and dst's worker
 *                          stores the result (tset_store).
 *
 * Statistics: Redis counts a keyspace hit or miss for each source key up
 * to and including the first one of another type (where it stops with
 * WRONGTYPE). Only the coordinator knows where that is, so the parts look
 * up without counting; the coordinator counts the hits on its own
 * keyspace (INFO sums every worker's), the owners the misses in phase 2.
 * A part also stops looking up at its own first key of another type;
 * keys after it on other workers are still looked up (their access time
 * is updated, nothing is expired), which the single-worker path would not
 * do: the only difference, and only in the WRONGTYPE case. */
#include "core/t_set_int.h"

#include "core/reply.h"
#include "core/tx.h"

#include <stdlib.h>

/* kstate of a key in a set part: one of these, or >= 0 for a repeat of
 * the part's key at that position (the same key again: the same copy). */
enum {
    SK_EXPIRED = -5, /* there but expired: a missing key, deleted in phase 2 */
    SK_UNSEEN = -4,  /* not looked up (after a key of another type) */
    SK_MISSING = -3, /* no such key: an empty set */
    SK_WRONG = -2,   /* a key of another type */
    SK_SET = -1,     /* a set: its copy is in kobj (when one was needed) */
};

/* t->opt of the algebra commands: the tset_op, and whether argv[1] is a
 * destination (the STORE forms). */
#define OPT_OP_MASK 0xffu
#define OPT_STORE (1u << 8)

static void
kobj_free_set(void *o)
{
    tset_free(o);
}

static void
part_arrays(struct tx_part *p)
{
    p->kstate = ts_malloc(sizeof(int) * (size_t)p->nkeys);
    p->kobj = ts_calloc((size_t)p->nkeys, sizeof(void *));
    p->kobj_free = kobj_free_set;
    for (int i = 0; i < p->nkeys; i++)
        p->kstate[i] = SK_UNSEEN;
}

/* Look key up on sh as the command's client would (access time unless
 * CLIENT NO-TOUCH), without counting a hit or miss. */
static struct kv *
part_lookup(struct shard *sh, const struct tx *t, struct sv key, int *state)
{
    struct kv *e = ks_lookup(sh->ks, slot_of_sv(key), key, sh->now_ms, t_lookup_flags(t->cflags));
    *state = e == NULL ? SK_MISSING : kv_type(e) == OBJ_SET ? SK_SET : SK_WRONG;
    return e;
}

/* ---- SMOVE ----
 * Two keys on two workers: each part has one key. Phase 1 leaves in count
 * the key's state and, on the source, in flag whether the member is
 * there. */

static inline struct tx_part *
smove_src(struct tx *t)
{
    return &t->parts[t->kpart[0]];
}

static inline struct tx_part *
smove_dst(struct tx *t)
{
    return &t->parts[t->kpart[1]];
}

static void
smove_part(struct shard *sh, struct tx *t, struct tx_part *p, int phase)
{
    bool is_src = p == smove_src(t);
    struct sv key = t->argv[p->keys[0]], member = t->argv[3];
    int state;
    if (phase == 1) {
        struct kv *e = part_lookup(sh, t, key, &state);
        p->count = state;
        p->flag = is_src && state == SK_SET && tset_contains(kv_obj(e), member);
        return;
    }
    /* Phase 2: the keys are as phase 1 saw them (exclusive intents), unless
     * one expired in between, which is the same as expiring just after the
     * move. */
    uint16_t slot = slot_of_sv(key);
    struct kv *e = ks_lookup(sh->ks, slot, key, sh->now_ms, KS_LOOKUP_NOTOUCH);
    if (e && kv_type(e) != OBJ_SET)
        return;
    if (is_src) {
        if (e)
            tset_move_out(sh, e, key, member);
    } else {
        tset_move_in(sh, slot, key, e, member);
    }
}

/* Redis's order: a missing source answers 0 before any type check. */
static bool
smove_next(struct tx *t, int done)
{
    struct tx_part *src = smove_src(t), *dst = smove_dst(t);
    return src->count == SK_SET && dst->count != SK_WRONG && src->flag;
}

static void
smove_reply(struct tx *t, struct reply *r)
{
    struct tx_part *src = smove_src(t), *dst = smove_dst(t);
    if (src->count == SK_MISSING)
        reply_int(r, 0);
    else if (src->count == SK_WRONG || dst->count == SK_WRONG)
        reply_error(r, ERR_WRONGTYPE);
    else
        reply_int(r, t->stopped ? 0 : 1);
}

const struct tx_ops tset_smove_tx = {.phases = 2, .part = smove_part, .next_phase = smove_next, .reply = smove_reply};

/* ---- The algebra: gathering copies ---- */

struct obj_pos {
    const void *o;
    int pos;
};

static int
obj_pos_cmp(const void *a, const void *b)
{
    const struct obj_pos *x = a, *y = b;
    if (x->o != y->o)
        return (uintptr_t)x->o < (uintptr_t)y->o ? -1 : 1;
    return x->pos - y->pos;
}

/* Copy the sets found at the part's keys into kobj, once per distinct key:
 * a repeated key (the same object here) gets the position of its first
 * occurrence in kstate instead. orig[i] is key i's set (kstate SK_SET). */
static void
part_copy_sets(struct tx_part *p, void *const *orig)
{
    struct obj_pos *v = ts_malloc(sizeof(*v) * (size_t)p->nkeys);
    int n = 0;
    for (int i = 0; i < p->nkeys; i++)
        if (p->kstate[i] == SK_SET)
            v[n++] = (struct obj_pos){orig[i], i};
    qsort(v, (size_t)n, sizeof(*v), obj_pos_cmp);
    int first = -1;
    for (int j = 0; j < n; j++) {
        if (j > 0 && v[j].o == v[j - 1].o) {
            p->kstate[v[j].pos] = first;
            continue;
        }
        first = v[j].pos;
        p->kobj[first] = tset_dup(v[j].o);
    }
    ts_free(v);
}

/* Phase 1 of the algebra commands: look up each source key of the part (a
 * STORE form's destination is not read), stopping at the first key of
 * another type, then copy the sets, unless the result cannot need them:
 * a key of another type here fails the whole command, and a missing key
 * makes an intersection empty. */
static void
algebra_gather_part(struct shard *sh, struct tx *t, struct tx_part *p)
{
    int op = (int)(t->opt & OPT_OP_MASK);
    bool store = (t->opt & OPT_STORE) != 0;
    bool wrong = false, missing = false;
    void **orig = ts_calloc((size_t)p->nkeys, sizeof(void *));
    part_arrays(p);
    for (int i = 0; i < p->nkeys && !wrong; i++) {
        if (store && p->keys[i] == t->keyidx[0])
            continue; /* the destination: written in phase 2 */
        struct kv *e = ks_lookup(sh->ks, slot_of_sv(t->argv[p->keys[i]]), t->argv[p->keys[i]], sh->now_ms,
                                 t_lookup_flags(t->cflags) | KS_LOOKUP_NOEXPIRE);
        if (e && kv_expire(e) >= 0 && sh->now_ms > kv_expire(e))
            p->kstate[i] = SK_EXPIRED;
        else
            p->kstate[i] = e == NULL ? SK_MISSING : kv_type(e) == OBJ_SET ? SK_SET : SK_WRONG;
        wrong = p->kstate[i] == SK_WRONG;
        missing |= p->kstate[i] == SK_MISSING || p->kstate[i] == SK_EXPIRED;
        orig[i] = p->kstate[i] == SK_SET ? kv_obj(e) : NULL;
    }
    if (!wrong && !(missing && (op == TSET_INTER || op == TSET_INTERCARD)))
        part_copy_sets(p, orig);
    ts_free(orig);
}

/* Coordinator, after phase 1: where Redis's lookups of the source keys
 * (keys first..nkeys) stop, at the first key of another type (true) or
 * after the last. Counts a keyspace hit for each key found up to there
 * (the owners count the misses in phase 2); every key after it is marked
 * SK_UNSEEN. *misses: a key up to there is missing or expired, so phase
 * 2 has to run. */
static bool
algebra_stop(struct tx *t, int first, bool *misses)
{
    struct ks *ks = g_shards[t->origin]->ks;
    int cursor[MAX_WORKERS] = {0};
    bool wrong = false;
    *misses = false;
    for (int k = 0; k < t->nkeys; k++) {
        struct tx_part *p = &t->parts[t->kpart[k]];
        int j = cursor[t->kpart[k]]++;
        if (k < first)
            continue;
        if (wrong) {
            p->kstate[j] = SK_UNSEEN;
            continue;
        }
        int st = p->kstate[j];
        wrong = st == SK_WRONG || st == SK_UNSEEN; /* UNSEEN: its part stopped at an earlier WRONG */
        if (st == SK_MISSING || st == SK_EXPIRED)
            *misses = true;
        else if (st != SK_UNSEEN)
            ks_note_hit(ks, true);
    }
    return wrong;
}

/* Coordinator: the source sets in key order (keys first..nkeys) into
 * sets[]; false at a key of another type. The sets stay the parts'. */
static bool
gather_sets(struct tx *t, int first, void **sets)
{
    int cursor[MAX_WORKERS] = {0};
    for (int k = 0; k < t->nkeys; k++) {
        struct tx_part *p = &t->parts[t->kpart[k]];
        int j = cursor[t->kpart[k]]++;
        if (k < first)
            continue;
        int st = p->kstate[j];
        if (st == SK_WRONG || st == SK_UNSEEN)
            return false;
        sets[k - first] = st == SK_MISSING || st == SK_EXPIRED ? NULL : p->kobj[st >= 0 ? st : j];
    }
    return true;
}

/* Phase 2 on each part: the source keys Redis looked up and found
 * missing, in key order: an expired one is deleted now ("expired"), then
 * each counts a miss ("keymiss"). */
static void
algebra_miss_part(struct shard *sh, struct tx *t, struct tx_part *p)
{
    for (int i = 0; i < p->nkeys; i++) {
        struct sv key = t->argv[p->keys[i]];
        if (p->kstate[i] == SK_EXPIRED) {
            (void)ks_lookup(sh->ks, slot_of_sv(key), key, sh->now_ms, KS_LOOKUP_NOTOUCH);
            p->kstate[i] = SK_MISSING;
        }
        if (p->kstate[i] == SK_MISSING)
            t_note_read(sh, key, false);
    }
}

/* ---- SINTER, SINTERCARD, SUNION, SDIFF: one phase, reply on the
 * coordinator ---- */

static void
algebra_read_part(struct shard *sh, struct tx *t, struct tx_part *p, int phase)
{
    if (phase == 1)
        algebra_gather_part(sh, t, p);
    else
        algebra_miss_part(sh, t, p);
}

/* Phase 2 only for the misses. */
static bool
algebra_read_next(struct tx *t, int done)
{
    bool misses;
    (void)algebra_stop(t, 0, &misses);
    return misses;
}

static void
algebra_read_reply(struct tx *t, struct reply *r)
{
    int op = (int)(t->opt & OPT_OP_MASK);
    unsigned long long limit = 0;
    int nk = t->nkeys;
    if (op == TSET_INTERCARD && !tset_sintercard_parse(t->argc, t->argv, &nk, &limit, r))
        return; /* not reached: check parsed the same arguments */
    void **sets = ts_malloc(sizeof(void *) * (size_t)t->nkeys);
    if (gather_sets(t, 0, sets))
        tset_algebra(op, sets, t->nkeys, limit, r);
    else
        reply_error(r, ERR_WRONGTYPE);
    ts_free(sets);
}

static bool
sinter_check(struct tx *t, struct reply *r)
{
    t->opt = TSET_INTER;
    return true;
}

static bool
sunion_check(struct tx *t, struct reply *r)
{
    t->opt = TSET_UNION;
    return true;
}

static bool
sdiff_check(struct tx *t, struct reply *r)
{
    t->opt = TSET_DIFF;
    return true;
}

/* SINTERCARD's numkeys and options, checked before any key is read (the
 * dispatcher already gave a bad numkeys to the proc). */
static bool
sintercard_check(struct tx *t, struct reply *r)
{
    int nk;
    unsigned long long limit;
    if (!tset_sintercard_parse(t->argc, t->argv, &nk, &limit, r))
        return false;
    t->opt = TSET_INTERCARD;
    return true;
}

const struct tx_ops tset_sinter_tx = {.phases = 2, .check = sinter_check, .part = algebra_read_part,
                                      .next_phase = algebra_read_next, .reply = algebra_read_reply};
const struct tx_ops tset_sintercard_tx = {.phases = 2, .check = sintercard_check, .part = algebra_read_part,
                                          .next_phase = algebra_read_next, .reply = algebra_read_reply};
const struct tx_ops tset_sunion_tx = {.phases = 2, .check = sunion_check, .part = algebra_read_part,
                                      .next_phase = algebra_read_next, .reply = algebra_read_reply};
const struct tx_ops tset_sdiff_tx = {.phases = 2, .check = sdiff_check, .part = algebra_read_part,
                                     .next_phase = algebra_read_next, .reply = algebra_read_reply};

/* ---- SINTERSTORE, SUNIONSTORE, SDIFFSTORE: computed between the phases,
 * stored in phase 2 ----
 * Key 0 (argv[1]) is the destination: the first key of its part, so the
 * result travels in that part's kobj[0]. */

static inline struct tx_part *
store_dst(struct tx *t)
{
    return &t->parts[t->kpart[0]];
}

static void
algebra_store_part(struct shard *sh, struct tx *t, struct tx_part *p, int phase)
{
    if (phase == 1) {
        algebra_gather_part(sh, t, p);
        return;
    }
    algebra_miss_part(sh, t, p);
    if (p != store_dst(t) || p->kstate[0] != SK_SET)
        return; /* not the destination, or a key of another type: nothing stored */
    struct sv dst = t->argv[t->keyidx[0]];
    void *res = p->kobj[0];
    p->kobj[0] = NULL;
    p->count = tset_store(sh, slot_of_sv(dst), dst, res, tset_store_event((int)(t->opt & OPT_OP_MASK)), NULL);
}

/* The coordinator computes the result from the sources (keys 1..) and
 * puts it in the destination's slot (kstate SK_SET: store it); phase 2
 * stores it, unless a key is of another type, and counts the misses. */
static bool
algebra_store_next(struct tx *t, int done)
{
    bool misses;
    if (algebra_stop(t, 1, &misses))
        return misses;
    int n = t->nkeys - 1;
    void **sets = ts_malloc(sizeof(void *) * (size_t)n);
    (void)gather_sets(t, 1, sets);
    struct tx_part *dp = store_dst(t);
    dp->kobj[0] = tset_algebra((int)(t->opt & OPT_OP_MASK), sets, n, 0, NULL);
    dp->kstate[0] = SK_SET;
    ts_free(sets);
    return true;
}

static void
algebra_store_reply(struct tx *t, struct reply *r)
{
    if (store_dst(t)->kstate[0] != SK_SET)
        reply_error(r, ERR_WRONGTYPE);
    else
        reply_int(r, store_dst(t)->count);
}

static bool
sinterstore_check(struct tx *t, struct reply *r)
{
    t->opt = TSET_INTER | OPT_STORE;
    return true;
}

static bool
sunionstore_check(struct tx *t, struct reply *r)
{
    t->opt = TSET_UNION | OPT_STORE;
    return true;
}

static bool
sdiffstore_check(struct tx *t, struct reply *r)
{
    t->opt = TSET_DIFF | OPT_STORE;
    return true;
}

const struct tx_ops tset_sinterstore_tx = {.phases = 2,
                                           .check = sinterstore_check,
                                           .part = algebra_store_part,
                                           .next_phase = algebra_store_next,
                                           .reply = algebra_store_reply};
const struct tx_ops tset_sunionstore_tx = {.phases = 2,
                                           .check = sunionstore_check,
                                           .part = algebra_store_part,
                                           .next_phase = algebra_store_next,
                                           .reply = algebra_store_reply};
const struct tx_ops tset_sdiffstore_tx = {.phases = 2,
                                          .check = sdiffstore_check,
                                          .part = algebra_store_part,
                                          .next_phase = algebra_store_next,
                                          .reply = algebra_store_reply};
