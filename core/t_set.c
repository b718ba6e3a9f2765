/* t_set.c: the set commands on one key (SADD, SREM, SISMEMBER,
 * SMISMEMBER, SCARD, SPOP, SRANDMEMBER, SSCAN) and the set command table,
 * with Redis 7.0's replies, error texts, keyspace events, propagation and
 * command metadata. The multi-key commands are in t_set_multi.c.
 *
 * Each proc runs on the worker owning its key and changes the set through
 * obj_set.h, reporting every size change to the keyspace (tset_commit),
 * and deletes the key when its last member goes, as Redis does. SPOP and
 * SRANDMEMBER follow Redis 7.0's choice of algorithm for each count, which
 * decides what is propagated (SPOP -> SREM per member, or DEL) and the
 * resulting encoding. */
#include "core/t_set_int.h"

#include "core/config.h"
#include "core/reply.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>

/* ---- Shared helpers ---- */

void
tset_reply_members(struct reply *r, const void *o)
{
    struct tset_iter it;
    struct sv m;
    bool is_int;
    int64_t iv;
    reply_set(r, (long)tset_size(o));
    tset_iter_init(&it, o);
    while (tset_iter_next(&it, &m, &is_int, &iv))
        reply_bulk(r, m.ptr, m.len);
}

/* A member copied out of a set before the set changes (SPOP, SMOVE):
 * short members stay on the stack. */
struct member_copy {
    struct sv m;
    char *heap;
    char buf[64];
};

static void
member_copy_set(struct member_copy *mc, struct sv m)
{
    mc->heap = NULL;
    char *dst = mc->buf;
    if (m.len > sizeof(mc->buf))
        dst = mc->heap = ts_malloc(m.len);
    memcpy(dst, m.ptr, m.len);
    mc->m = (struct sv){dst, m.len};
}

static void
member_copy_done(struct member_copy *mc)
{
    ts_free(mc->heap);
    mc->heap = NULL;
}

/* Propagate "SREM key member" in place of the running command. */
static void
propagate_srem(struct cmd_ctx *c, struct sv member)
{
    struct sv v[3] = {{"SREM", 4}, c->argv[1], member};
    fx_propagate(c->sh, 3, v);
}

/* ---- SADD / SREM ---- */

/* SADD key member [member ...]: a new key starts as an intset when the
 * first member is an integer (Redis's setTypeCreate), then every member is
 * added, converting when Redis would. */
static void
cmd_sadd(struct cmd_ctx *c)
{
    struct ks *ks = c->sh->ks;
    bool wrong;
    struct kv *e = tset_lookup(c, &c->argv[1], false, &wrong);
    if (wrong) {
        reply_error(c->r, ERR_WRONGTYPE);
        return;
    }
    long long added = 0;
    if (e == NULL) {
        void *o = tset_new_for(c->argv[2]);
        for (int j = 2; j < c->argc; j++)
            added += tset_add_owned(&o, c->argv[j]);
        ks_set_obj(ks, tset_first_slot(c), c->argv[1], OBJ_SET, o, KS_EXPIRE_NONE);
    } else {
        void *o = kv_obj(e);
        for (int j = 2; j < c->argc; j++) {
            size_t before = tset_mem(o);
            void *old;
            added += tset_add(&o, c->argv[j], &old);
            tset_commit(ks, e, o, old, before);
        }
    }
    if (added)
        fx_key(c->sh, FX_SET, "sadd", c->argv[1]);
    reply_int(c->r, added);
}

/* SREM key member [member ...]: the key goes with its last member (then
 * "srem" and "del" are both signalled). */
static void
cmd_srem(struct cmd_ctx *c)
{
    struct ks *ks = c->sh->ks;
    bool wrong;
    struct kv *e = tset_lookup(c, &c->argv[1], false, &wrong);
    if (e == NULL || wrong) {
        if (wrong)
            reply_error(c->r, ERR_WRONGTYPE);
        else
            reply_int(c->r, 0);
        return;
    }
    long long deleted = 0;
    bool key_removed = false;
    void *o = kv_obj(e);
    for (int j = 2; j < c->argc; j++) {
        size_t before = tset_mem(o);
        void *old;
        if (!tset_remove(&o, c->argv[j], &old))
            continue;
        tset_commit(ks, e, o, old, before);
        deleted++;
        if (tset_size(o) == 0) {
            ks_delete_entry(ks, e);
            key_removed = true;
            break;
        }
    }
    if (deleted) {
        fx_key(c->sh, FX_SET, "srem", c->argv[1]);
        if (key_removed)
            fx_key(c->sh, FX_GENERIC, "del", c->argv[1]);
    }
    reply_int(c->r, deleted);
}

/* ---- Membership and size ---- */

static void
cmd_sismember(struct cmd_ctx *c)
{
    bool wrong;
    struct kv *e = tset_lookup(c, &c->argv[1], true, &wrong);
    if (wrong) {
        reply_error(c->r, ERR_WRONGTYPE);
        return;
    }
    reply_int(c->r, e != NULL && tset_contains(kv_obj(e), c->argv[2]));
}

/* SMISMEMBER: a missing key is an empty set (all zeros), not an error. */
static void
cmd_smismember(struct cmd_ctx *c)
{
    bool wrong;
    struct kv *e = tset_lookup(c, &c->argv[1], true, &wrong);
    if (wrong) {
        reply_error(c->r, ERR_WRONGTYPE);
        return;
    }
    const void *o = e ? kv_obj(e) : NULL;
    reply_array(c->r, c->argc - 2);
    for (int j = 2; j < c->argc; j++)
        reply_int(c->r, o != NULL && tset_contains(o, c->argv[j]));
}

static void
cmd_scard(struct cmd_ctx *c)
{
    bool wrong;
    struct kv *e = tset_lookup(c, &c->argv[1], true, &wrong);
    if (wrong) {
        reply_error(c->r, ERR_WRONGTYPE);
        return;
    }
    reply_int(c->r, e ? (long long)tset_size(kv_obj(e)) : 0);
}

/* ---- SPOP ---- */

/* Redis's SPOP_MOVE_STRATEGY_MUL: when fewer than count * 5 members would
 * remain, SPOP builds the remainder as a new set instead of popping one by
 * one. */
#define SPOP_MOVE_MUL 5

/* Remove one random member of e's set (o) and reply with it; returns the
 * set as it is now. */
static void *
spop_one(struct cmd_ctx *c, struct kv *e, void *o, bool propagate)
{
    struct ks *ks = c->sh->ks;
    char tmp[24];
    struct member_copy mc;
    member_copy_set(&mc, tset_random(o, ks_random_u64(ks), ks_random_u64(ks), tmp));
    reply_bulk(c->r, mc.m.ptr, mc.m.len);
    if (propagate)
        propagate_srem(c, mc.m);
    size_t before = tset_mem(o);
    void *old;
    tset_remove(&o, mc.m, &old);
    tset_commit(ks, e, o, old, before);
    member_copy_done(&mc);
    return o;
}

/* SPOP key count, Redis 7.0's three cases:
 *  1. count >= size: reply with the whole set (as SUNION of it would),
 *     delete the key, propagate DEL;
 *  2. many members remain: pop count random members, each propagated as
 *     SREM;
 *  3. few remain: move `remaining` random members to a new set, reply with
 *     (and propagate an SREM for) everything left in the old one, and make
 *     the new set the key's value (its encoding is decided afresh). */
static void
spop_count(struct cmd_ctx *c)
{
    struct ks *ks = c->sh->ks;
    long long l;
    if (!ts_str_to_ll(c->argv[2].ptr, c->argv[2].len, &l) || l < 0) {
        reply_error(c->r, "ERR value is out of range, must be positive");
        return;
    }
    bool wrong;
    struct kv *e = tset_lookup(c, &c->argv[1], false, &wrong);
    if (wrong) {
        reply_error(c->r, ERR_WRONGTYPE);
        return;
    }
    if (e == NULL || l == 0) {
        reply_set(c->r, 0);
        return;
    }
    unsigned long long count = (unsigned long long)l;
    void *o = kv_obj(e);
    size_t size = tset_size(o);
    fx_key(c->sh, FX_SET, "spop", c->argv[1]);
    if (count >= size) {
        ks_note_hit(ks, true); /* Redis re-reads the key through SUNION's lookup */
        void *u = tset_union_of(&o, 1);
        tset_reply_members(c->r, u);
        tset_free(u);
        ks_delete_entry(ks, e);
        fx_key(c->sh, FX_GENERIC, "del", c->argv[1]);
        struct sv del[2] = {{"DEL", 3}, c->argv[1]};
        fx_propagate(c->sh, 2, del);
        return;
    }
    reply_set(c->r, (long)count);
    unsigned long long remaining = size - count;
    if (remaining * SPOP_MOVE_MUL > count) {
        while (count--)
            o = spop_one(c, e, o, true);
        return;
    }
    void *keep = NULL;
    char tmp[24];
    while (remaining--) {
        struct member_copy mc;
        member_copy_set(&mc, tset_random(o, ks_random_u64(ks), ks_random_u64(ks), tmp));
        if (!keep)
            keep = tset_new_for(mc.m);
        tset_add_owned(&keep, mc.m);
        size_t before = tset_mem(o);
        void *old;
        tset_remove(&o, mc.m, &old);
        tset_commit(ks, e, o, old, before);
        member_copy_done(&mc);
    }
    struct tset_iter it;
    struct sv m;
    bool is_int;
    int64_t iv;
    tset_iter_init(&it, o);
    while (tset_iter_next(&it, &m, &is_int, &iv)) {
        reply_bulk(c->r, m.ptr, m.len);
        propagate_srem(c, m);
    }
    kv_obj_replace(ks, e, keep);
}

/* SPOP and SRANDMEMBER without a count: the set, or NULL after the reply
 * (a syntax error past the count, WRONGTYPE, or null for no key). */
static struct kv *
one_member_key(struct cmd_ctx *c, bool read)
{
    if (c->argc > 3) {
        reply_error(c->r, ERR_SYNTAX);
        return NULL;
    }
    bool wrong;
    struct kv *e = tset_lookup(c, &c->argv[1], read, &wrong);
    if (e == NULL || wrong) {
        if (wrong)
            reply_error(c->r, ERR_WRONGTYPE);
        else
            reply_null(c->r);
        return NULL;
    }
    return e;
}

/* SPOP key [count]: without count, one member (or null) propagated as
 * SREM key member. */
static void
cmd_spop(struct cmd_ctx *c)
{
    if (c->argc == 3) {
        spop_count(c);
        return;
    }
    struct kv *e = one_member_key(c, false);
    if (e == NULL)
        return;
    fx_key(c->sh, FX_SET, "spop", c->argv[1]);
    void *o = spop_one(c, e, kv_obj(e), true);
    if (tset_size(o) == 0) {
        ks_delete_entry(c->sh->ks, e);
        fx_key(c->sh, FX_GENERIC, "del", c->argv[1]);
    }
}

/* ---- SRANDMEMBER ---- */

/* Redis's SRANDMEMBER_SUB_STRATEGY_MUL: when count * 3 > size, copy the
 * set and remove random members; otherwise pick until count distinct. */
#define SRAND_SUB_MUL 3

/* Reply with every member of the temporary sdict d (its order). */
static void
reply_sdict(struct reply *r, struct sdict *d)
{
    struct sdict_iter it;
    reply_array(r, (long)sdict_size(d));
    sdict_iter_init(&it, d);
    for (const struct sdict_elem *x; (x = sdict_iter_next(&it)) != NULL;) {
        struct sv k = sdict_elem_key(x);
        reply_bulk(r, k.ptr, k.len);
    }
}

/* SRANDMEMBER key count: a negative count allows repetitions (and is the
 * only case in random order); a positive one gives distinct members, by
 * one of Redis 7.0's three methods depending on count and size. Counts
 * beyond +-LONG_MAX are refused as Redis 7.0.15 refuses them. */
static void
srandmember_count(struct cmd_ctx *c)
{
    struct ks *ks = c->sh->ks;
    long long l;
    if (!ts_str_to_ll(c->argv[2].ptr, c->argv[2].len, &l)) {
        reply_error(c->r, ERR_NOT_INT);
        return;
    }
    if (l == LLONG_MIN) {
        reply_errorf(c->r, "ERR value is out of range, value must between %lld and %lld", -LLONG_MAX, LLONG_MAX);
        return;
    }
    bool uniq = l >= 0;
    unsigned long long count = uniq ? (unsigned long long)l : (unsigned long long)-l;
    bool wrong;
    struct kv *e = tset_lookup(c, &c->argv[1], true, &wrong);
    if (wrong) {
        reply_error(c->r, ERR_WRONGTYPE);
        return;
    }
    if (e == NULL || count == 0) {
        reply_array(c->r, 0);
        return;
    }
    const void *o = kv_obj(e);
    size_t size = tset_size(o);
    char tmp[24];
    if (!uniq || count == 1) {
        reply_array(c->r, (long)count);
        while (count--) {
            struct sv m = tset_random(o, ks_random_u64(ks), ks_random_u64(ks), tmp);
            reply_bulk(c->r, m.ptr, m.len);
        }
        return;
    }
    if (count >= size) {
        struct tset_iter it;
        struct sv m;
        bool is_int;
        int64_t iv;
        reply_array(c->r, (long)size);
        tset_iter_init(&it, o);
        while (tset_iter_next(&it, &m, &is_int, &iv))
            reply_bulk(c->r, m.ptr, m.len);
        return;
    }
    struct sdict *d = sdict_create();
    if (count * SRAND_SUB_MUL > size) {
        struct tset_iter it;
        struct sv m;
        bool is_int;
        int64_t iv;
        tset_iter_init(&it, o);
        while (tset_iter_next(&it, &m, &is_int, &iv))
            sdict_add(d, m);
        while (sdict_size(d) > count) {
            const struct sdict_elem *x = sdict_random(d, ks_random_u64(ks), ks_random_u64(ks));
            struct member_copy mc;
            member_copy_set(&mc, sdict_elem_key(x));
            sdict_delete(d, mc.m);
            member_copy_done(&mc);
        }
    } else {
        while (sdict_size(d) < count)
            sdict_add(d, tset_random(o, ks_random_u64(ks), ks_random_u64(ks), tmp));
    }
    reply_sdict(c->r, d);
    sdict_destroy(&d);
}

/* SRANDMEMBER key [count]: without count, one member or null. Never
 * propagated (a read). */
static void
cmd_srandmember(struct cmd_ctx *c)
{
    if (c->argc == 3) {
        srandmember_count(c);
        return;
    }
    struct kv *e = one_member_key(c, true);
    if (e == NULL)
        return;
    char tmp[24];
    struct ks *ks = c->sh->ks;
    struct sv m = tset_random(kv_obj(e), ks_random_u64(ks), ks_random_u64(ks), tmp);
    reply_bulk(c->r, m.ptr, m.len);
}

/* ---- SSCAN ---- */

/* Redis's parseScanCursorOrReply: strtoul semantics, so "-1" wraps and
 * "+5" or "" are accepted; leading space, trailing junk and overflow are
 * not. */
static bool
parse_scan_cursor(struct sv a, unsigned long *out)
{
    char *s = ts_strndup(a.ptr, a.len);
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    bool ok = !(s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r')) && *end == '\0' && errno != ERANGE;
    ts_free(s);
    *out = v;
    return ok;
}

struct sscan_state {
    struct reply *r; /* side buffer for the members */
    struct sv pat;
    bool use_pat;
    unsigned long long seen; /* members visited, before filtering (Redis's count test) */
    long emitted;
};

static void
sscan_emit(struct sscan_state *st, struct sv m)
{
    st->seen++;
    if (st->use_pat && !ts_glob_match(st->pat.ptr, st->pat.len, m.ptr, m.len, false))
        return;
    reply_bulk(st->r, m.ptr, m.len);
    st->emitted++;
}

static void
sscan_visit(void *arg, struct sv m)
{
    sscan_emit(arg, m);
}

/* Options of SSCAN (COUNT n, MATCH pat; TYPE is SCAN's only). Replies and
 * returns false on an error. */
static bool
sscan_opts(struct cmd_ctx *c, long long *count, struct sscan_state *st)
{
    for (int i = 3; i < c->argc; i += 2) {
        bool has = c->argc - i >= 2;
        if (has && sv_eq_ci(c->argv[i], "count")) {
            if (!ts_str_to_ll(c->argv[i + 1].ptr, c->argv[i + 1].len, count)) {
                reply_error(c->r, ERR_NOT_INT);
                return false;
            }
            if (*count < 1) {
                reply_error(c->r, ERR_SYNTAX);
                return false;
            }
        } else if (has && sv_eq_ci(c->argv[i], "match")) {
            st->pat = c->argv[i + 1];
            st->use_pat = !(st->pat.len == 1 && st->pat.ptr[0] == '*');
        } else {
            reply_error(c->r, ERR_SYNTAX);
            return false;
        }
    }
    return true;
}

/* SSCAN key cursor [MATCH pattern] [COUNT count]: an intset comes back
 * whole with cursor 0 whatever the cursor; a hashtable is walked with the
 * reverse-binary cursor, at most count * 10 steps, stopping once count
 * members (before MATCH filtering, as Redis counts) were collected. */
static void
cmd_sscan(struct cmd_ctx *c)
{
    unsigned long cursor;
    if (!parse_scan_cursor(c->argv[2], &cursor)) {
        reply_error(c->r, "ERR invalid cursor");
        return;
    }
    bool wrong;
    struct kv *e = tset_lookup(c, &c->argv[1], true, &wrong);
    if (wrong) {
        reply_error(c->r, ERR_WRONGTYPE);
        return;
    }
    if (e == NULL) {
        reply_array(c->r, 2);
        reply_bulk(c->r, "0", 1);
        reply_array(c->r, 0);
        return;
    }
    long long count = 10;
    struct ts_buf side = {0};
    struct reply sr;
    reply_init(&sr, &side, c->r->resp);
    struct sscan_state st = {.r = &sr};
    if (!sscan_opts(c, &count, &st))
        return;
    const void *o = kv_obj(e);
    if (tset_is_intset(o)) {
        struct tset_iter it;
        struct sv m;
        bool is_int;
        int64_t iv;
        tset_iter_init(&it, o);
        while (tset_iter_next(&it, &m, &is_int, &iv))
            sscan_emit(&st, m);
        cursor = 0;
    } else {
        unsigned long long maxit = count > LLONG_MAX / 10 ? ULLONG_MAX : (unsigned long long)count * 10;
        do {
            cursor = tset_scan(o, cursor, sscan_visit, &st);
        } while (cursor && maxit-- && st.seen < (unsigned long long)count);
    }
    reply_array(c->r, 2);
    reply_bulk_ll(c->r, (long long)cursor);
    reply_array(c->r, st.emitted);
    reply_raw(c->r, side.data, side.len);
    ts_buf_free(&side);
}

/* ---- Table ---- */

#define SET_KEY1 .route = ROUTE_KEYS, .first_key = 1, .last_key = 1, .key_step = 1
static const struct cmd_def set_cmds[] = {
    {.name = "sadd", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, SET_KEY1, .proc = cmd_sadd,
     .acl = "write set fast", .group = "set", .since = "1.0.0", .summary = "Add one or more members to a set",
     .ks_flags = "RW INSERT"},
    {.name = "srem", .arity = -3, .flags = CMD_WRITE | CMD_FAST, SET_KEY1, .proc = cmd_srem,
     .acl = "write set fast", .group = "set", .since = "1.0.0", .summary = "Remove one or more members from a set",
     .ks_flags = "RW DELETE"},
    {.name = "smembers", .arity = 2, .flags = CMD_READONLY, SET_KEY1, .proc = tset_cmd_sinter,
     .acl = "read set slow", .group = "set", .since = "1.0.0", .summary = "Get all the members in a set",
     .ks_flags = "RO ACCESS"},
    {.name = "sismember", .arity = 3, .flags = CMD_READONLY | CMD_FAST, SET_KEY1, .proc = cmd_sismember,
     .acl = "read set fast", .group = "set", .since = "1.0.0",
     .summary = "Determine if a given value is a member of a set", .ks_flags = "RO"},
    {.name = "smismember", .arity = -3, .flags = CMD_READONLY | CMD_FAST, SET_KEY1, .proc = cmd_smismember,
     .acl = "read set fast", .group = "set", .since = "6.2.0",
     .summary = "Returns the membership associated with the given elements for a set", .ks_flags = "RO ACCESS"},
    {.name = "scard", .arity = 2, .flags = CMD_READONLY | CMD_FAST, SET_KEY1, .proc = cmd_scard,
     .acl = "read set fast", .group = "set", .since = "1.0.0", .summary = "Get the number of members in a set",
     .ks_flags = "RO"},
    {.name = "spop", .arity = -2, .flags = CMD_WRITE | CMD_FAST, SET_KEY1, .proc = cmd_spop,
     .acl = "write set fast", .group = "set", .since = "1.0.0",
     .summary = "Remove and return one or multiple random members from a set", .ks_flags = "RW ACCESS DELETE"},
    {.name = "srandmember", .arity = -2, .flags = CMD_READONLY, SET_KEY1, .proc = cmd_srandmember,
     .acl = "read set slow", .group = "set", .since = "1.0.0",
     .summary = "Get one or multiple random members from a set", .ks_flags = "RO ACCESS"},
    {.name = "smove", .arity = 4, .flags = CMD_WRITE | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 2, .key_step = 1, .proc = tset_cmd_smove, .acl = "write set fast", .group = "set",
     .since = "1.0.0", .summary = "Move a member from one set to another", .ks_flags = "RW ACCESS DELETE",
     .tx = &tset_smove_tx},
    {.name = "sinter", .arity = -2, .flags = CMD_READONLY, .route = ROUTE_KEYS, .first_key = 1, .last_key = -1,
     .key_step = 1, .proc = tset_cmd_sinter, .acl = "read set slow", .group = "set", .since = "1.0.0",
     .summary = "Intersect multiple sets", .ks_flags = "RO ACCESS", .tx = &tset_sinter_tx},
    {.name = "sintercard", .arity = -3, .flags = CMD_READONLY | CMD_MOVABLE_KEYS, .route = ROUTE_KEYS,
     .proc = tset_cmd_sintercard, .getkeys = tset_sintercard_keys, .acl = "read set slow", .group = "set",
     .since = "7.0.0", .summary = "Intersect multiple sets and return the cardinality of the result",
     .ks_flags = "RO ACCESS", .tx = &tset_sintercard_tx},
    {.name = "sinterstore", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = -1, .key_step = 1, .proc = tset_cmd_sinterstore, .acl = "write set slow", .group = "set",
     .since = "1.0.0", .summary = "Intersect multiple sets and store the resulting set in a key",
     .ks_flags = "RW UPDATE", .tx = &tset_sinterstore_tx},
    {.name = "sunion", .arity = -2, .flags = CMD_READONLY, .route = ROUTE_KEYS, .first_key = 1, .last_key = -1,
     .key_step = 1, .proc = tset_cmd_sunion, .acl = "read set slow", .group = "set", .since = "1.0.0",
     .summary = "Add multiple sets", .ks_flags = "RO ACCESS", .tx = &tset_sunion_tx},
    {.name = "sunionstore", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = -1, .key_step = 1, .proc = tset_cmd_sunionstore, .acl = "write set slow", .group = "set",
     .since = "1.0.0", .summary = "Add multiple sets and store the resulting set in a key",
     .ks_flags = "OW UPDATE", .tx = &tset_sunionstore_tx},
    {.name = "sdiff", .arity = -2, .flags = CMD_READONLY, .route = ROUTE_KEYS, .first_key = 1, .last_key = -1,
     .key_step = 1, .proc = tset_cmd_sdiff, .acl = "read set slow", .group = "set", .since = "1.0.0",
     .summary = "Subtract multiple sets", .ks_flags = "RO ACCESS", .tx = &tset_sdiff_tx},
    {.name = "sdiffstore", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = -1, .key_step = 1, .proc = tset_cmd_sdiffstore, .acl = "write set slow", .group = "set",
     .since = "1.0.0", .summary = "Subtract multiple sets and store the resulting set in a key",
     .ks_flags = "OW UPDATE", .tx = &tset_sdiffstore_tx},
    {.name = "sscan", .arity = -3, .flags = CMD_READONLY, SET_KEY1, .proc = cmd_sscan, .acl = "read set slow",
     .group = "set", .since = "2.8.0", .summary = "Incrementally iterate Set elements", .ks_flags = "RO ACCESS"},
    {.name = NULL},
};

const struct cmd_def *
t_set_table(void)
{
    return set_cmds;
}

void
t_set_register(void)
{
    cmd_register_table(set_cmds);
}
