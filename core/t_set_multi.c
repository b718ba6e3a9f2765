/* t_set_multi.c: the set commands on several keys: SMOVE, and the set
 * algebra (SINTER and SMEMBERS, SINTERCARD, SINTERSTORE, SUNION,
 * SUNIONSTORE, SDIFF, SDIFFSTORE), with Redis 7.0's algorithms where they
 * decide what a client can see: which set is walked (the reply order of
 * SINTER), how a result set is built (an intset until a member or the
 * size says otherwise, hence the order and encoding of SUNION/SDIFF and of
 * stored results), which DIFF algorithm runs, and the keyspace events.
 *
 * Every key of these commands is on this worker: in cluster mode they
 * share a slot (CROSSSLOT otherwise); in standalone mode the dispatcher
 * refuses a call whose keys span workers until the transaction seam lands
 * (DESIGN.md, seam 3). Each key's slot is computed here. */
#include "core/t_set_int.h"

#include "core/reply.h"

#include <limits.h>
#include <stdlib.h>

/* ---- Shared ---- */

/* Look up every key of keys[0..n) as a set for reading; a missing key is
 * NULL (an empty set). Returns false after replying WRONGTYPE, as Redis
 * does at the first key of another type. */
static bool
lookup_sets(struct cmd_ctx *c, const struct sv *keys, int n, void **sets, int *missing)
{
    *missing = 0;
    for (int j = 0; j < n; j++) {
        bool wrong;
        struct kv *e = tset_lookup(c, &keys[j], true, &wrong);
        if (wrong) {
            reply_error(c->r, ERR_WRONGTYPE);
            return false;
        }
        sets[j] = e ? kv_obj(e) : NULL;
        *missing += e == NULL;
    }
    return true;
}

static void **
sets_alloc(int n, void **stackbuf, int stackn)
{
    return n <= stackn ? stackbuf : ts_malloc(sizeof(void *) * (size_t)n);
}

static void
sets_release(void **sets, void **stackbuf)
{
    if (sets != stackbuf)
        ts_free(sets);
}

/* Store a result into dst (SINTERSTORE & co.): a non-empty set replaces
 * any value and TTL and is signalled with the command's own event; an
 * empty one deletes dst (a "del" event if it existed). Replies with the
 * result's size. Takes ownership of res. */
static void
store_result(struct cmd_ctx *c, const struct sv *dst, void *res, const char *event)
{
    struct ks *ks = c->sh->ks;
    size_t n = tset_size(res);
    if (n > 0) {
        ks_set_obj(ks, tset_slot_of(c, dst), *dst, OBJ_SET, res, KS_EXPIRE_NONE);
        reply_int(c->r, (long long)n);
        fx_key(c->sh, FX_SET, event, *dst);
        return;
    }
    tset_free(res);
    reply_int(c->r, 0);
    if (ks_delete(ks, tset_slot_of(c, dst), *dst))
        fx_key(c->sh, FX_GENERIC, "del", *dst);
}

void *
tset_union_of(void *const *sets, int n)
{
    void *u = tset_new_intset();
    for (int j = 0; j < n; j++) {
        if (!sets[j])
            continue;
        struct tset_iter it;
        struct sv m;
        bool is_int;
        int64_t iv;
        tset_iter_init(&it, sets[j]);
        while (tset_iter_next(&it, &m, &is_int, &iv))
            tset_add_owned(&u, m);
    }
    return u;
}

/* ---- SMOVE ---- */

/* SMOVE source destination member: both keys are checked for type before
 * anything changes (a missing source answers 0 first); moving within one
 * key only tests membership. Events: "srem" on the source (then "del" if
 * it emptied), "sadd" on the destination when the member was new there. */
void
tset_cmd_smove(struct cmd_ctx *c)
{
    struct ks *ks = c->sh->ks;
    const struct sv *src = &c->argv[1], *dst = &c->argv[2];
    struct sv member = c->argv[3];
    bool wrong_s, wrong_d;
    struct kv *se = tset_lookup(c, src, false, &wrong_s);
    struct kv *de = tset_lookup(c, dst, false, &wrong_d);
    if (se == NULL) {
        reply_int(c->r, 0);
        return;
    }
    if (wrong_s || wrong_d) {
        reply_error(c->r, ERR_WRONGTYPE);
        return;
    }
    if (se == de) {
        reply_int(c->r, tset_contains(kv_obj(se), member));
        return;
    }
    void *o = kv_obj(se), *old;
    size_t before = tset_mem(o);
    if (!tset_remove(&o, member, &old)) {
        reply_int(c->r, 0);
        return;
    }
    tset_commit(ks, se, o, old, before);
    fx_key(c->sh, FX_SET, "srem", *src);
    if (tset_size(o) == 0) {
        ks_delete_entry(ks, se);
        fx_key(c->sh, FX_GENERIC, "del", *src);
    }
    /* The source's deletion may have moved entries: find dst again. */
    uint16_t dslot = tset_slot_of(c, dst);
    de = de ? ks_lookup(ks, dslot, *dst, c->now_ms, KS_LOOKUP_NOTOUCH) : NULL;
    if (de == NULL) {
        void *n = tset_new_for(member);
        tset_add_owned(&n, member);
        ks_set_obj(ks, dslot, *dst, OBJ_SET, n, KS_EXPIRE_NONE);
        fx_key(c->sh, FX_SET, "sadd", *dst);
    } else {
        void *d = kv_obj(de);
        before = tset_mem(d);
        if (tset_add(&d, member, &old)) {
            tset_commit(ks, de, d, old, before);
            fx_key(c->sh, FX_SET, "sadd", *dst);
        }
    }
    reply_int(c->r, 1);
}

/* ---- SINTER family ---- */

struct card_ix {
    const void *set;
    size_t size;
    int pos; /* tie-break: keeps the sort stable, as glibc's qsort is */
};

static int
card_cmp(const void *a, const void *b)
{
    const struct card_ix *x = a, *y = b;
    if (x->size != y->size)
        return x->size < y->size ? -1 : 1;
    return x->pos - y->pos;
}

/* Is the member at the iterator (string m, or integer iv when is_int) in
 * every set of sets[1..n) (skipping repeats of sets[0])? */
static bool
in_all_others(struct card_ix *sets, int n, struct sv m, bool is_int, int64_t iv)
{
    for (int j = 1; j < n; j++) {
        if (sets[j].set == sets[0].set)
            continue;
        if (is_int ? !tset_contains_int(sets[j].set, iv) : !tset_contains(sets[j].set, m))
            return false;
    }
    return true;
}

/* SINTER / SINTERSTORE / SINTERCARD over keys[0..nkeys). dst: store the
 * result there (SINTERSTORE); card_only: reply with the size, stopping at
 * limit when it is not 0 (SINTERCARD). A missing key makes the result
 * empty at once. The smallest set is walked, so its order is the reply's
 * (an intset's ascending order when it is one). */
static void
sinter_generic(struct cmd_ctx *c, const struct sv *keys, int nkeys, const struct sv *dst, bool card_only,
               unsigned long long limit)
{
    void *stackbuf[16];
    void **raw = sets_alloc(nkeys, stackbuf, 16);
    int missing;
    if (!lookup_sets(c, keys, nkeys, raw, &missing))
        goto out;
    if (missing) {
        if (dst) {
            reply_int(c->r, 0);
            if (ks_delete(c->sh->ks, tset_slot_of(c, dst), *dst))
                fx_key(c->sh, FX_GENERIC, "del", *dst);
        } else if (card_only) {
            reply_int(c->r, 0);
        } else {
            reply_set(c->r, 0);
        }
        goto out;
    }
    if (nkeys == 1 && !dst && !card_only) { /* SMEMBERS: the set as it is */
        tset_reply_members(c->r, raw[0]);
        goto out;
    }
    struct card_ix *sets = ts_malloc(sizeof(*sets) * (size_t)nkeys);
    for (int j = 0; j < nkeys; j++)
        sets[j] = (struct card_ix){raw[j], tset_size(raw[j]), j};
    qsort(sets, (size_t)nkeys, sizeof(*sets), card_cmp);
    void *res = dst ? tset_new_intset() : NULL;
    size_t tok = (!dst && !card_only) ? reply_defer(c->r) : 0;
    unsigned long long card = 0;
    struct tset_iter it;
    struct sv m;
    bool is_int;
    int64_t iv;
    tset_iter_init(&it, sets[0].set);
    while (tset_iter_next(&it, &m, &is_int, &iv)) {
        if (!in_all_others(sets, nkeys, m, is_int, iv))
            continue;
        card++;
        if (card_only) {
            if (limit && card >= limit)
                break;
        } else if (dst) {
            tset_add_owned(&res, m);
        } else {
            reply_bulk(c->r, m.ptr, m.len);
        }
    }
    ts_free(sets);
    if (card_only)
        reply_int(c->r, (long long)card);
    else if (dst)
        store_result(c, dst, res, "sinterstore");
    else
        reply_defer_set(c->r, tok, '~', (long)card);
out:
    sets_release(raw, stackbuf);
}

void
tset_cmd_sinter(struct cmd_ctx *c)
{
    sinter_generic(c, &c->argv[1], c->argc - 1, NULL, false, 0);
}

void
tset_cmd_sinterstore(struct cmd_ctx *c)
{
    sinter_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], false, 0);
}

/* numkeys of SINTERCARD: 1..LONG_MAX and at most the arguments left. */
static long long
sintercard_numkeys(int argc, const struct sv *argv)
{
    long long n;
    if (!ts_str_to_ll(argv[1].ptr, argv[1].len, &n) || n < 1)
        return -1;
    return n > argc - 2 ? -2 : n;
}

/* Key positions of SINTERCARD numkeys key [key ...] [LIMIT n]; -1 when
 * numkeys is bad (the proc then reports it). */
int
tset_sintercard_keys(int argc, struct sv *argv, int *idx, int n)
{
    long long nk = argc >= 2 ? sintercard_numkeys(argc, argv) : -1;
    if (nk < 0)
        return -1;
    int k = 0;
    for (long long j = 0; j < nk && k < n; j++)
        idx[k++] = (int)(2 + j);
    return k;
}

/* SINTERCARD numkeys key [key ...] [LIMIT limit]: arguments are checked
 * (numkeys, then every option) before any key is read. */
void
tset_cmd_sintercard(struct cmd_ctx *c)
{
    long long nk = sintercard_numkeys(c->argc, c->argv);
    if (nk == -1) {
        reply_error(c->r, "ERR numkeys should be greater than 0");
        return;
    }
    if (nk == -2) {
        reply_error(c->r, "ERR Number of keys can't be greater than number of args");
        return;
    }
    long long limit = 0;
    for (int j = 2 + (int)nk; j < c->argc; j++) {
        bool more = c->argc - 1 - j > 0;
        if (more && sv_eq_ci(c->argv[j], "limit")) {
            j++;
            if (!ts_str_to_ll(c->argv[j].ptr, c->argv[j].len, &limit) || limit < 0) {
                reply_error(c->r, "ERR LIMIT can't be negative");
                return;
            }
        } else {
            reply_error(c->r, ERR_SYNTAX);
            return;
        }
    }
    sinter_generic(c, &c->argv[2], (int)nk, NULL, true, (unsigned long long)limit);
}

/* ---- SUNION / SDIFF ---- */

enum { OP_UNION, OP_DIFF };

static int
rev_card_cmp(const void *a, const void *b)
{
    const struct card_ix *x = a, *y = b;
    if (x->size != y->size)
        return x->size > y->size ? -1 : 1;
    return x->pos - y->pos;
}

/* DIFF, Redis's algorithm 1: each member of the first set that no other
 * set holds (others sorted by decreasing size, so a member is usually
 * found early). */
static void *
diff_walk(void **sets, int n)
{
    void *res = tset_new_intset();
    struct card_ix *others = ts_malloc(sizeof(*others) * (size_t)(n > 1 ? n - 1 : 1));
    for (int j = 1; j < n; j++)
        others[j - 1] = (struct card_ix){sets[j], sets[j] ? tset_size(sets[j]) : 0, j};
    qsort(others, (size_t)(n - 1), sizeof(*others), rev_card_cmp);
    struct tset_iter it;
    struct sv m;
    bool is_int;
    int64_t iv;
    tset_iter_init(&it, sets[0]);
    while (tset_iter_next(&it, &m, &is_int, &iv)) {
        int j;
        for (j = 0; j < n - 1; j++) {
            if (!others[j].set)
                continue;
            if (others[j].set == sets[0] || tset_contains(others[j].set, m))
                break;
        }
        if (j == n - 1)
            tset_add_owned(&res, m);
    }
    ts_free(others);
    return res;
}

/* DIFF, algorithm 2: copy the first set, remove every member of the
 * others, stopping once nothing is left. */
static void *
diff_remove(void **sets, int n)
{
    void *res = tset_union_of(sets, 1);
    for (int j = 1; j < n && tset_size(res) > 0; j++) {
        if (!sets[j])
            continue;
        struct tset_iter it;
        struct sv m;
        bool is_int;
        int64_t iv;
        tset_iter_init(&it, sets[j]);
        while (tset_iter_next(&it, &m, &is_int, &iv))
            tset_remove_owned(&res, m);
    }
    return res;
}

/* SUNION / SDIFF and their STORE forms over keys[0..n). DIFF picks Redis's
 * cheaper algorithm from the set sizes; both build the result as a new
 * set, so the reply follows the result's own order. */
static void
sunion_diff_generic(struct cmd_ctx *c, const struct sv *keys, int n, const struct sv *dst, int op)
{
    void *stackbuf[16];
    void **sets = sets_alloc(n, stackbuf, 16);
    int missing;
    if (!lookup_sets(c, keys, n, sets, &missing))
        goto out;
    void *res;
    if (op == OP_UNION) {
        res = tset_union_of(sets, n);
    } else if (!sets[0]) {
        res = tset_new_intset();
    } else {
        long long one = 0, two = 0;
        for (int j = 0; j < n; j++) {
            if (!sets[j])
                continue;
            one += (long long)tset_size(sets[0]);
            two += (long long)tset_size(sets[j]);
        }
        one /= 2; /* algorithm 1 has the better constants */
        res = one <= two ? diff_walk(sets, n) : diff_remove(sets, n);
    }
    if (dst) {
        store_result(c, dst, res, op == OP_UNION ? "sunionstore" : "sdiffstore");
    } else {
        tset_reply_members(c->r, res);
        tset_free(res);
    }
out:
    sets_release(sets, stackbuf);
}

void
tset_cmd_sunion(struct cmd_ctx *c)
{
    sunion_diff_generic(c, &c->argv[1], c->argc - 1, NULL, OP_UNION);
}

void
tset_cmd_sunionstore(struct cmd_ctx *c)
{
    sunion_diff_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], OP_UNION);
}

void
tset_cmd_sdiff(struct cmd_ctx *c)
{
    sunion_diff_generic(c, &c->argv[1], c->argc - 1, NULL, OP_DIFF);
}

void
tset_cmd_sdiffstore(struct cmd_ctx *c)
{
    sunion_diff_generic(c, &c->argv[2], c->argc - 2, &c->argv[1], OP_DIFF);
}
