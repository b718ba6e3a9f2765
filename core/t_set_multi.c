/* t_set_multi.c: the set commands on several keys: SMOVE, and the set
 * algebra (SINTER and SMEMBERS, SINTERCARD, SINTERSTORE, SUNION,
 * SUNIONSTORE, SDIFF, SDIFFSTORE), with Redis 7.0's algorithms where they
 * decide what a client can see: which set is walked (the reply order of
 * SINTER), how a result set is built (an intset until a member or the
 * size says otherwise, hence the order and encoding of SUNION/SDIFF and of
 * stored results), which DIFF algorithm runs, and the keyspace events.
 *
 * The algorithms work on arrays of set objects (tset_algebra) and the
 * SMOVE mutation on entries (tset_move_out / tset_move_in), so one
 * implementation serves both ways of getting at the keys: the procs here,
 * for keys all on this worker (cluster mode: one slot; standalone: one
 * worker), look the sets up in place; the cross-worker parts (t_set_tx.c,
 * DESIGN.md seam 3) gather copies of them from every owning worker. Each
 * key's slot is computed here. */
#include "core/t_set_int.h"

#include "core/reply.h"

#include <limits.h>
#include <stdlib.h>

/* ---- Shared ---- */

/* Look up every key of keys[0..n) as a set for reading; a missing key is
 * NULL (an empty set). Returns false after replying WRONGTYPE, as Redis
 * does at the first key of another type (the keys after it are not looked
 * up, so not counted as hits or misses). */
static bool
lookup_sets(struct cmd_ctx *c, const struct sv *keys, int n, void **sets)
{
    for (int j = 0; j < n; j++) {
        bool wrong;
        struct kv *e = tset_lookup(c, &keys[j], true, &wrong);
        if (wrong) {
            reply_error(c->r, ERR_WRONGTYPE);
            return false;
        }
        sets[j] = e ? kv_obj(e) : NULL;
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

long long
tset_store(struct shard *sh, uint16_t slot, struct sv dst, void *res, const char *event, struct reply *r)
{
    long long n = (long long)tset_size(res);
    if (n > 0) {
        ks_set_obj(sh->ks, slot, dst, OBJ_SET, res, KS_EXPIRE_NONE);
        if (r)
            reply_int(r, n);
        fx_key(sh, FX_SET, event, dst);
        return n;
    }
    tset_free(res);
    if (r)
        reply_int(r, 0);
    if (ks_delete(sh->ks, slot, dst))
        fx_key(sh, FX_GENERIC, "del", dst);
    return 0;
}

const char *
tset_store_event(int op)
{
    return op == TSET_UNION ? "sunionstore" : op == TSET_DIFF ? "sdiffstore" : "sinterstore";
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

bool
tset_move_out(struct shard *sh, struct kv *e, struct sv key, struct sv member)
{
    void *o = kv_obj(e), *old;
    size_t before = tset_mem(o);
    if (!tset_remove(&o, member, &old))
        return false;
    tset_commit(sh->ks, e, o, old, before);
    fx_key(sh, FX_SET, "srem", key);
    if (tset_size(o) == 0) {
        ks_delete_entry(sh->ks, e);
        fx_key(sh, FX_GENERIC, "del", key);
    }
    return true;
}

void
tset_move_in(struct shard *sh, uint16_t slot, struct sv key, struct kv *e, struct sv member)
{
    if (e == NULL) {
        void *n = tset_new_for(member);
        tset_add_owned(&n, member);
        ks_set_obj(sh->ks, slot, key, OBJ_SET, n, KS_EXPIRE_NONE);
        fx_key(sh, FX_SET, "sadd", key);
        return;
    }
    void *d = kv_obj(e), *old;
    size_t before = tset_mem(d);
    if (tset_add(&d, member, &old)) {
        tset_commit(sh->ks, e, d, old, before);
        fx_key(sh, FX_SET, "sadd", key);
    }
}

/* SMOVE source destination member: both keys are checked for type before
 * anything changes (a missing source answers 0 first); moving within one
 * key only tests membership. */
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
    if (!tset_move_out(c->sh, se, *src, member)) {
        reply_int(c->r, 0);
        return;
    }
    /* The source's deletion may have moved entries: find dst again. */
    uint16_t dslot = tset_slot_of(c, dst);
    de = de ? ks_lookup(ks, dslot, *dst, c->now_ms, KS_LOOKUP_NOTOUCH) : NULL;
    tset_move_in(c->sh, dslot, *dst, de, member);
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

/* The intersection of raw[0..n) (NULL: a missing key, which makes it
 * empty at once). r NULL: build and return it as a set (SINTERSTORE);
 * otherwise reply with its members (SINTER, and SMEMBERS as the set as it
 * is) or, for TSET_INTERCARD, its size, stopping at limit when that is
 * not 0. The smallest set is walked, so its order is the reply's (an
 * intset's ascending order when it is one). */
static void *
inter_of(int op, void *const *raw, int n, unsigned long long limit, struct reply *r)
{
    bool card_only = op == TSET_INTERCARD;
    for (int j = 0; j < n; j++) {
        if (raw[j])
            continue;
        if (!r)
            return tset_new_intset();
        if (card_only)
            reply_int(r, 0);
        else
            reply_set(r, 0);
        return NULL;
    }
    if (n == 1 && r && !card_only) { /* SMEMBERS: the set as it is */
        tset_reply_members(r, raw[0]);
        return NULL;
    }
    struct card_ix *sets = ts_malloc(sizeof(*sets) * (size_t)n);
    for (int j = 0; j < n; j++)
        sets[j] = (struct card_ix){raw[j], tset_size(raw[j]), j};
    qsort(sets, (size_t)n, sizeof(*sets), card_cmp);
    void *res = r ? NULL : tset_new_intset();
    size_t tok = (r && !card_only) ? reply_defer(r) : 0;
    unsigned long long card = 0;
    struct tset_iter it;
    struct sv m;
    bool is_int;
    int64_t iv;
    tset_iter_init(&it, sets[0].set);
    while (tset_iter_next(&it, &m, &is_int, &iv)) {
        if (!in_all_others(sets, n, m, is_int, iv))
            continue;
        card++;
        if (card_only) {
            if (limit && card >= limit)
                break;
        } else if (!r) {
            tset_add_owned(&res, m);
        } else {
            reply_bulk(r, m.ptr, m.len);
        }
    }
    ts_free(sets);
    if (card_only)
        reply_int(r, (long long)card);
    else if (r)
        reply_defer_set(r, tok, '~', (long)card);
    return res;
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

bool
tset_sintercard_parse(int argc, const struct sv *argv, int *nkeys, unsigned long long *limit, struct reply *r)
{
    long long nk = sintercard_numkeys(argc, argv);
    if (nk == -1) {
        reply_error(r, "ERR numkeys should be greater than 0");
        return false;
    }
    if (nk == -2) {
        reply_error(r, "ERR Number of keys can't be greater than number of args");
        return false;
    }
    long long lim = 0;
    for (int j = 2 + (int)nk; j < argc; j++) {
        bool more = argc - 1 - j > 0;
        if (more && sv_eq_ci(argv[j], "limit")) {
            j++;
            if (!ts_str_to_ll(argv[j].ptr, argv[j].len, &lim) || lim < 0) {
                reply_error(r, "ERR LIMIT can't be negative");
                return false;
            }
        } else {
            reply_error(r, ERR_SYNTAX);
            return false;
        }
    }
    *nkeys = (int)nk;
    *limit = (unsigned long long)lim;
    return true;
}

/* ---- SUNION / SDIFF ---- */

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
diff_walk(void *const *sets, int n)
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
diff_remove(void *const *sets, int n)
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

/* sets[0] minus the others, with Redis's cheaper algorithm for the set
 * sizes (which decides the result's build order, hence its order). */
static void *
diff_of(void *const *sets, int n)
{
    if (!sets[0])
        return tset_new_intset();
    long long one = 0, two = 0;
    for (int j = 0; j < n; j++) {
        if (!sets[j])
            continue;
        one += (long long)tset_size(sets[0]);
        two += (long long)tset_size(sets[j]);
    }
    one /= 2; /* algorithm 1 has the better constants */
    return one <= two ? diff_walk(sets, n) : diff_remove(sets, n);
}

/* ---- The algebra, and the procs on one worker ---- */

void *
tset_algebra(int op, void *const *sets, int n, unsigned long long limit, struct reply *r)
{
    if (op == TSET_INTER || op == TSET_INTERCARD)
        return inter_of(op, sets, n, limit, r);
    void *res = op == TSET_UNION ? tset_union_of(sets, n) : diff_of(sets, n);
    if (!r)
        return res;
    tset_reply_members(r, res);
    tset_free(res);
    return NULL;
}

/* Every key of keys[0..n) is here: look the sets up, then reply with the
 * result of op or store it into dst (the STORE forms). */
static void
algebra_here(struct cmd_ctx *c, int op, const struct sv *keys, int n, const struct sv *dst,
             unsigned long long limit)
{
    void *stackbuf[16];
    void **sets = sets_alloc(n, stackbuf, 16);
    if (lookup_sets(c, keys, n, sets)) {
        if (dst) {
            void *res = tset_algebra(op, sets, n, 0, NULL);
            tset_store(c->sh, tset_slot_of(c, dst), *dst, res, tset_store_event(op), c->r);
        } else {
            tset_algebra(op, sets, n, limit, c->r);
        }
    }
    sets_release(sets, stackbuf);
}

void
tset_cmd_sinter(struct cmd_ctx *c)
{
    algebra_here(c, TSET_INTER, &c->argv[1], c->argc - 1, NULL, 0);
}

void
tset_cmd_sinterstore(struct cmd_ctx *c)
{
    algebra_here(c, TSET_INTER, &c->argv[2], c->argc - 2, &c->argv[1], 0);
}

/* SINTERCARD numkeys key [key ...] [LIMIT limit]: arguments are checked
 * (numkeys, then every option) before any key is read. */
void
tset_cmd_sintercard(struct cmd_ctx *c)
{
    int nk;
    unsigned long long limit;
    if (tset_sintercard_parse(c->argc, c->argv, &nk, &limit, c->r))
        algebra_here(c, TSET_INTERCARD, &c->argv[2], nk, NULL, limit);
}

void
tset_cmd_sunion(struct cmd_ctx *c)
{
    algebra_here(c, TSET_UNION, &c->argv[1], c->argc - 1, NULL, 0);
}

void
tset_cmd_sunionstore(struct cmd_ctx *c)
{
    algebra_here(c, TSET_UNION, &c->argv[2], c->argc - 2, &c->argv[1], 0);
}

void
tset_cmd_sdiff(struct cmd_ctx *c)
{
    algebra_here(c, TSET_DIFF, &c->argv[1], c->argc - 1, NULL, 0);
}

void
tset_cmd_sdiffstore(struct cmd_ctx *c)
{
    algebra_here(c, TSET_DIFF, &c->argv[2], c->argc - 2, &c->argv[1], 0);
}
