/* t_hash.c: the hash commands of Redis 7.0 (HSET, HGET, HDEL, HINCRBY,
 * HRANDFIELD, HSCAN, ...), with redis-server's replies, error texts, RESP3
 * shapes, keyspace events and command metadata. The type itself (encodings,
 * conversion, RDB, digest) is obj_hash.c.
 *
 * Every command has one key, so it runs on the worker owning that key's
 * slot and touches only that worker's keyspace. A change to a hash in the
 * keyspace is bracketed by hash_mem before and after (ks_obj_account), so
 * INFO used_memory stays exact; a hash whose last field goes is deleted. */
#include "core/t_hash.h"

#include "core/config.h"
#include "core/effect.h"
#include "core/keyspace.h"
#include "core/reply.h"
#include "core/shard.h"
#include "core/slot.h"
#include "core/t_commands.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- Shared helpers ---- */

static inline uint16_t
first_slot(const struct cmd_ctx *c)
{
    return c->slot >= 0 ? (uint16_t)c->slot : slot_of_sv(c->argv[1]);
}

/* Look the key up for a read (counts a hit or miss). Returns the hash, or
 * NULL with *missing set when there is no key; replies WRONGTYPE and
 * returns NULL with *missing clear when the key holds another type. */
static struct hobj *
lookup_read(struct cmd_ctx *c, bool *missing)
{
    struct ks *ks = c->sh->ks;
    struct kv *e = ks_lookup(ks, first_slot(c), c->argv[1], c->now_ms, t_lookup_flags(c->cflags));
    t_note_read(c->sh, c->argv[1], e != NULL);
    *missing = e == NULL;
    if (!e)
        return NULL;
    if (kv_type(e) != OBJ_HASH) {
        reply_error(c->r, ERR_WRONGTYPE);
        return NULL;
    }
    return kv_obj(e);
}

/* Look the key up for a write. Same contract as lookup_read, without the
 * hit/miss count (Redis's lookupKeyWrite). *ep receives the entry. */
static struct hobj *
lookup_write(struct cmd_ctx *c, bool *missing, struct kv **ep)
{
    struct kv *e = ks_lookup(c->sh->ks, first_slot(c), c->argv[1], c->now_ms, t_lookup_flags(c->cflags));
    *missing = e == NULL;
    *ep = e;
    if (!e)
        return NULL;
    if (kv_type(e) != OBJ_HASH) {
        reply_error(c->r, ERR_WRONGTYPE);
        return NULL;
    }
    return kv_obj(e);
}

/* After changing hash h (before: its hash_mem beforehand): store it under
 * the key, new (e == NULL) or existing, whose object may have moved. */
static void
commit_hash(struct cmd_ctx *c, struct kv *e, struct hobj *h, size_t before)
{
    if (!e) {
        ks_set_obj(c->sh->ks, first_slot(c), c->argv[1], OBJ_HASH, h, KS_EXPIRE_NONE);
        return;
    }
    if (kv_obj(e) != (void *)h)
        kv_obj_set(e, h);
    ks_obj_account(c->sh->ks, before, hash_mem(h));
}

/* Per-thread xorshift64* for HRANDFIELD: not cryptographic, just uniform. */
static uint64_t
hrand(void)
{
    static __thread uint64_t s;
    if (s == 0)
        s = (uint64_t)ts_ustime() ^ ((uint64_t)(uintptr_t)&s << 16) ^ 0x9E3779B97F4A7C15ULL;
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1DULL;
}

/* ---- HSET / HMSET / HSETNX ---- */

/* HSET and HMSET: pairs after the key; an odd count is an arity error
 * naming the command. HSET replies with the number of new fields, HMSET
 * with +OK; both notify "hset". */
static void
hset_generic(struct cmd_ctx *c, bool is_hmset)
{
    if (c->argc % 2 == 1) {
        reply_wrong_args(c->r, c->cmd->name);
        return;
    }
    bool missing;
    struct kv *e;
    struct hobj *h = lookup_write(c, &missing, &e);
    if (!h && !missing)
        return;
    size_t before = 0;
    if (missing)
        h = hash_create();
    else
        before = hash_mem(h);
    hash_prepare_set(&h, c->argv + 2, c->argc - 2);
    long long created = 0;
    for (int i = 2; i < c->argc; i += 2)
        created += hash_set(&h, c->argv[i], c->argv[i + 1]);
    commit_hash(c, e, h, before);
    fx_key(c->sh, FX_HASH, "hset", c->argv[1]);
    if (is_hmset)
        reply_ok(c->r);
    else
        reply_int(c->r, created);
}

static void
cmd_hset(struct cmd_ctx *c)
{
    hset_generic(c, false);
}

static void
cmd_hmset(struct cmd_ctx *c)
{
    hset_generic(c, true);
}

static void
cmd_hsetnx(struct cmd_ctx *c)
{
    bool missing;
    struct kv *e;
    struct hobj *h = lookup_write(c, &missing, &e);
    if (!h && !missing)
        return;
    if (h && hash_exists(h, c->argv[2])) {
        reply_int(c->r, 0);
        return;
    }
    size_t before = h ? hash_mem(h) : 0;
    if (!h)
        h = hash_create();
    hash_prepare_set(&h, c->argv + 2, 2);
    hash_set(&h, c->argv[2], c->argv[3]);
    commit_hash(c, e, h, before);
    fx_key(c->sh, FX_HASH, "hset", c->argv[1]);
    reply_int(c->r, 1);
}

/* ---- Reads of single fields ---- */

static void
cmd_hget(struct cmd_ctx *c)
{
    bool missing;
    struct hobj *h = lookup_read(c, &missing);
    if (!h) {
        if (missing)
            reply_null(c->r);
        return;
    }
    char buf[LP_INTBUF];
    struct sv v;
    if (hash_get(h, c->argv[2], &v, buf))
        reply_bulk(c->r, v.ptr, v.len);
    else
        reply_null(c->r);
}

static void
cmd_hmget(struct cmd_ctx *c)
{
    bool missing;
    struct hobj *h = lookup_read(c, &missing);
    if (!h && !missing)
        return;
    reply_array(c->r, c->argc - 2);
    for (int i = 2; i < c->argc; i++) {
        char buf[LP_INTBUF];
        struct sv v;
        if (h && hash_get(h, c->argv[i], &v, buf))
            reply_bulk(c->r, v.ptr, v.len);
        else
            reply_null(c->r);
    }
}

static void
cmd_hexists(struct cmd_ctx *c)
{
    bool missing;
    struct hobj *h = lookup_read(c, &missing);
    if (!h) {
        if (missing)
            reply_int(c->r, 0);
        return;
    }
    reply_int(c->r, hash_exists(h, c->argv[2]));
}

static void
cmd_hlen(struct cmd_ctx *c)
{
    bool missing;
    struct hobj *h = lookup_read(c, &missing);
    if (!h) {
        if (missing)
            reply_int(c->r, 0);
        return;
    }
    reply_int(c->r, (long long)hash_len(h));
}

static void
cmd_hstrlen(struct cmd_ctx *c)
{
    bool missing;
    struct hobj *h = lookup_read(c, &missing);
    if (!h) {
        if (missing)
            reply_int(c->r, 0);
        return;
    }
    char buf[LP_INTBUF];
    struct sv v;
    reply_int(c->r, hash_get(h, c->argv[2], &v, buf) ? (long long)v.len : 0);
}

/* ---- HDEL ---- */

/* Deletes fields until the hash is empty; then the key goes too, with a
 * "del" event after "hdel", as Redis does. */
static void
cmd_hdel(struct cmd_ctx *c)
{
    bool missing;
    struct kv *e;
    struct hobj *h = lookup_write(c, &missing, &e);
    if (!h) {
        if (missing)
            reply_int(c->r, 0);
        return;
    }
    struct ks *ks = c->sh->ks;
    size_t before = hash_mem(h);
    long long deleted = 0;
    bool removed = false;
    for (int i = 2; i < c->argc; i++) {
        if (hash_delete(&h, c->argv[i])) {
            deleted++;
            if (hash_len(h) == 0) {
                removed = true;
                break;
            }
        }
    }
    commit_hash(c, e, h, before); /* before a delete: the entry frees its current object */
    if (removed)
        ks_delete_entry(ks, e);
    if (deleted) {
        fx_key(c->sh, FX_HASH, "hdel", c->argv[1]);
        if (removed)
            fx_key(c->sh, FX_GENERIC, "del", c->argv[1]);
    }
    reply_int(c->r, deleted);
}

/* ---- HKEYS / HVALS / HGETALL ---- */

enum { HG_KEYS = 1, HG_VALS = 2 };

static void
hgetall_generic(struct cmd_ctx *c, int what)
{
    bool missing;
    struct hobj *h = lookup_read(c, &missing);
    bool map = what == (HG_KEYS | HG_VALS);
    if (!h) {
        if (missing) {
            if (map)
                reply_map(c->r, 0);
            else
                reply_array(c->r, 0);
        }
        return;
    }
    if (map)
        reply_map(c->r, (long)hash_len(h));
    else
        reply_array(c->r, (long)hash_len(h));
    struct hash_iter it;
    struct sv f, v;
    hash_iter_init(&it, h);
    while (hash_iter_next(&it, &f, &v)) {
        if (what & HG_KEYS)
            reply_bulk(c->r, f.ptr, f.len);
        if (what & HG_VALS)
            reply_bulk(c->r, v.ptr, v.len);
    }
}

static void
cmd_hkeys(struct cmd_ctx *c)
{
    hgetall_generic(c, HG_KEYS);
}

static void
cmd_hvals(struct cmd_ctx *c)
{
    hgetall_generic(c, HG_VALS);
}

static void
cmd_hgetall(struct cmd_ctx *c)
{
    hgetall_generic(c, HG_KEYS | HG_VALS);
}

/* ---- HINCRBY / HINCRBYFLOAT ---- */

/* Set field to the formatted result and account for the change; creates
 * the key when it did not exist (e == NULL, h == NULL). */
static void
store_field(struct cmd_ctx *c, struct kv *e, struct hobj *h, struct sv val)
{
    size_t before = h ? hash_mem(h) : 0;
    if (!h)
        h = hash_create();
    hash_set(&h, c->argv[2], val);
    commit_hash(c, e, h, before);
}

static void
cmd_hincrby(struct cmd_ctx *c)
{
    long long incr, value = 0;
    if (!ts_str_to_ll(c->argv[3].ptr, c->argv[3].len, &incr)) {
        reply_error(c->r, ERR_NOT_INT);
        return;
    }
    bool missing;
    struct kv *e;
    struct hobj *h = lookup_write(c, &missing, &e);
    if (!h && !missing)
        return;
    char buf[LP_INTBUF];
    struct sv cur;
    if (h && hash_get(h, c->argv[2], &cur, buf)) {
        if (!ts_str_to_ll(cur.ptr, cur.len, &value)) {
            reply_error(c->r, "ERR hash value is not an integer");
            return;
        }
    }
    if ((incr < 0 && value < 0 && incr < LLONG_MIN - value) ||
        (incr > 0 && value > 0 && incr > LLONG_MAX - value)) {
        reply_error(c->r, ERR_OVERFLOW);
        return;
    }
    value += incr;
    char out[LP_INTBUF];
    size_t n = (size_t)ts_ll_to_str(out, value);
    store_field(c, e, h, (struct sv){out, n});
    fx_key(c->sh, FX_HASH, "hincrby", c->argv[1]);
    reply_int(c->r, value);
}

/* Redis's string2ld: the whole string, no leading space, no NaN, no value
 * that overflowed to infinity or underflowed to zero (ERANGE). */
#define HASH_LD_MAX_CHARS (5 * 1024)
static bool
hash_parse_ld(struct sv s, long double *out)
{
    char buf[HASH_LD_MAX_CHARS];
    if (s.len == 0 || s.len >= sizeof(buf))
        return false;
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = '\0';
    if (isspace((unsigned char)buf[0]))
        return false;
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if (*end != '\0' || isnan(v))
        return false;
    if (errno == ERANGE && (isinf(v) || fpclassify(v) == FP_ZERO))
        return false;
    *out = v;
    return true;
}

/* Redis's ld2string(LD_STR_HUMAN): %.17Lf, trailing zeros and a bare
 * point removed, "-0" as "0". buf holds HASH_LD_BUF bytes. */
#define HASH_LD_BUF (5 * 1024 + 64)
static size_t
hash_fmt_ld(char *buf, long double v)
{
    int l = snprintf(buf, HASH_LD_BUF, "%.17Lf", v);
    if (l < 0 || l >= HASH_LD_BUF)
        return 0;
    size_t n = (size_t)l;
    if (memchr(buf, '.', n)) {
        while (n > 0 && buf[n - 1] == '0')
            n--;
        if (n > 0 && buf[n - 1] == '.')
            n--;
    }
    if (n == 2 && buf[0] == '-' && buf[1] == '0') {
        buf[0] = '0';
        n = 1;
    }
    return n;
}

/* HINCRBYFLOAT: propagated as HSET key field <result>, so replicas and the
 * AOF store the same string whatever their float arithmetic. */
static void
cmd_hincrbyfloat(struct cmd_ctx *c)
{
    long double incr, value = 0;
    if (!hash_parse_ld(c->argv[3], &incr)) {
        reply_error(c->r, ERR_NOT_FLOAT);
        return;
    }
    if (isnan(incr) || isinf(incr)) {
        reply_error(c->r, "ERR value is NaN or Infinity");
        return;
    }
    bool missing;
    struct kv *e;
    struct hobj *h = lookup_write(c, &missing, &e);
    if (!h && !missing)
        return;
    char buf[LP_INTBUF];
    struct sv cur;
    if (h && hash_get(h, c->argv[2], &cur, buf) && !hash_parse_ld(cur, &value)) {
        reply_error(c->r, "ERR hash value is not a float");
        return;
    }
    value += incr;
    if (isnan(value) || isinf(value)) {
        reply_error(c->r, "ERR increment would produce NaN or Infinity");
        return;
    }
    char *out = ts_malloc(HASH_LD_BUF);
    size_t n = hash_fmt_ld(out, value);
    struct sv res = {out, n};
    store_field(c, e, h, res);
    fx_key(c->sh, FX_HASH, "hincrbyfloat", c->argv[1]);
    struct sv prop[4] = {{"HSET", 4}, c->argv[1], c->argv[2], res};
    fx_propagate(c->sh, 4, prop);
    reply_bulk(c->r, out, n);
    ts_free(out);
}

/* ---- HRANDFIELD ---- */

/* One element of an HRANDFIELD reply: the field, and with values the value
 * too (a pair of its own in RESP3, flat in RESP2). */
static void
reply_pair(struct cmd_ctx *c, struct sv f, struct sv v, bool withvalues)
{
    if (withvalues && c->r->resp > 2)
        reply_array(c->r, 2);
    reply_bulk(c->r, f.ptr, f.len);
    if (withvalues)
        reply_bulk(c->r, v.ptr, v.len);
}

/* count distinct fields of a hash with more than count fields: a partial
 * Fisher-Yates shuffle over the fields' positions. */
static void
hrandfield_distinct(struct cmd_ctx *c, struct hobj *h, unsigned long count, bool withvalues)
{
    size_t size = hash_len(h);
    struct sv(*all)[2] = ts_malloc(size * sizeof(*all));
    struct hash_iter it;
    char(*nums)[2][LP_INTBUF] = NULL;
    hash_iter_init(&it, h);
    if (hash_is_listpack(h))
        nums = ts_malloc(size * sizeof(*nums)); /* integers need a home while the views live */
    for (size_t i = 0; hash_iter_next(&it, &all[i][0], &all[i][1]); i++) {
        if (nums) {
            for (int k = 0; k < 2; k++) {
                if (all[i][k].ptr == it.kbuf || all[i][k].ptr == it.vbuf) {
                    memcpy(nums[i][k], all[i][k].ptr, all[i][k].len);
                    all[i][k].ptr = nums[i][k];
                }
            }
        }
    }
    for (unsigned long i = 0; i < count; i++) {
        size_t j = i + (size_t)(hrand() % (size - i));
        struct sv t0 = all[i][0], t1 = all[i][1];
        all[i][0] = all[j][0], all[i][1] = all[j][1];
        all[j][0] = t0, all[j][1] = t1;
        reply_pair(c, all[i][0], all[i][1], withvalues);
    }
    ts_free(nums);
    ts_free(all);
}

/* count distinct fields of a hashtable with at least 3 * count fields:
 * random picks, repeats skipped through a set of the fields already sent,
 * so the work is O(count) however big the hash (Redis's case 4). */
static void
hrandfield_sample(struct cmd_ctx *c, struct hobj *h, unsigned long count, bool withvalues)
{
    struct sdict *d = hash_sdict(h), *seen = sdict_create();
    for (unsigned long added = 0; added < count;) {
        const struct sdict_elem *e = sdict_random(d, hrand(), hrand());
        if (!sdict_add(seen, sdict_elem_key(e)))
            continue;
        reply_pair(c, sdict_elem_key(e), sdict_elem_val(e), withvalues);
        added++;
    }
    sdict_destroy(&seen);
}

/* HRANDFIELD key count [WITHVALUES]: a positive count gives distinct
 * fields (the whole hash when count >= size), a negative one |count|
 * fields that may repeat. A reply longer than proto-max-bulk-len bytes is
 * refused (Redis would build it until memory runs out). */
static void
hrandfield_count(struct cmd_ctx *c, long long l, bool withvalues)
{
    bool missing;
    struct hobj *h = lookup_read(c, &missing);
    if (!h) {
        if (missing)
            reply_array(c->r, 0);
        return;
    }
    size_t size = hash_len(h);
    bool uniq = l >= 0;
    unsigned long count = uniq ? (unsigned long)l : (unsigned long)-l;
    if (count == 0) {
        reply_array(c->r, 0);
        return;
    }
    char kb[LP_INTBUF], vb[LP_INTBUF];
    struct sv f, v;
    if (!uniq || count == 1) {
        long long maxb = __atomic_load_n(&g_cfg.proto_max_bulk_len, __ATOMIC_RELAXED);
        double per = 16.0 + (double)hash_mem(h) / (double)size;
        if ((double)count * per > (double)maxb) {
            reply_error(c->r, "ERR value is out of range, the reply would exceed proto-max-bulk-len");
            return;
        }
        reply_array(c->r, (long)(withvalues && c->r->resp == 2 ? count * 2 : count));
        while (count--) {
            hash_random(h, hrand(), hrand(), &f, &v, kb, vb);
            reply_pair(c, f, v, withvalues);
        }
        return;
    }
    unsigned long n = count < size ? count : size;
    reply_array(c->r, (long)(withvalues && c->r->resp == 2 ? n * 2 : n));
    if (count >= size) {
        struct hash_iter it;
        hash_iter_init(&it, h);
        while (hash_iter_next(&it, &f, &v))
            reply_pair(c, f, v, withvalues);
        return;
    }
    if (!hash_is_listpack(h) && count * 3 <= size)
        hrandfield_sample(c, h, count, withvalues);
    else
        hrandfield_distinct(c, h, count, withvalues);
}

static void
cmd_hrandfield(struct cmd_ctx *c)
{
    if (c->argc >= 3) {
        long long l;
        if (!ts_str_to_ll(c->argv[2].ptr, c->argv[2].len, &l)) {
            reply_error(c->r, ERR_NOT_INT);
            return;
        }
        if (l < -LLONG_MAX) {
            reply_error(c->r, "ERR value is out of range, value must between -9223372036854775807 and "
                              "9223372036854775807");
            return;
        }
        bool withvalues = false;
        if (c->argc > 4 || (c->argc == 4 && !sv_eq_ci(c->argv[3], "withvalues"))) {
            reply_error(c->r, ERR_SYNTAX);
            return;
        } else if (c->argc == 4) {
            withvalues = true;
            if (l < -LLONG_MAX / 2 || l > LLONG_MAX / 2) {
                reply_error(c->r, "ERR value is out of range");
                return;
            }
        }
        hrandfield_count(c, l, withvalues);
        return;
    }
    bool missing;
    struct hobj *h = lookup_read(c, &missing);
    if (!h) {
        if (missing)
            reply_null(c->r);
        return;
    }
    char kb[LP_INTBUF], vb[LP_INTBUF];
    struct sv f, v;
    hash_random(h, hrand(), hrand(), &f, &v, kb, vb);
    reply_bulk(c->r, f.ptr, f.len);
}

/* ---- HSCAN ---- */

struct hscan_state {
    struct reply *r;
    struct sv pat;
    bool use_pat;
    long n; /* replies written: 2 per pair */
};

static void
hscan_emit(struct hscan_state *s, struct sv f, struct sv v)
{
    if (s->use_pat && !ts_glob_match(s->pat.ptr, s->pat.len, f.ptr, f.len, false))
        return;
    reply_bulk(s->r, f.ptr, f.len);
    reply_bulk(s->r, v.ptr, v.len);
    s->n += 2;
}

static void
hscan_visit(void *arg, const struct sdict_elem *e)
{
    hscan_emit(arg, sdict_elem_key(e), sdict_elem_val(e));
}

/* Redis's parseScanCursorOrReply: strtoul, so "-1" and "+5" are cursors
 * too; leading space, trailing junk and overflow are not. */
static bool
hscan_cursor(struct sv s, uint64_t *out)
{
    char buf[32];
    if (s.len == 0 || s.len >= sizeof(buf) || isspace((unsigned char)s.ptr[0]))
        return false;
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = '\0';
    char *end;
    errno = 0;
    unsigned long long v = strtoull(buf, &end, 10);
    if (*end != '\0' || errno == ERANGE)
        return false;
    *out = v;
    return true;
}

/* HSCAN key cursor [MATCH pattern] [COUNT count]: a listpack hash is
 * returned whole with cursor 0 (as Redis); a hashtable is walked with the
 * sdict's reverse-binary cursor, about count elements (fields and values
 * both count, as in Redis) and at most count * 10 buckets per call. */
static void
cmd_hscan(struct cmd_ctx *c)
{
    uint64_t cursor;
    if (!hscan_cursor(c->argv[2], &cursor)) {
        reply_error(c->r, "ERR invalid cursor");
        return;
    }
    bool missing;
    struct hobj *h = lookup_read(c, &missing);
    if (!h) {
        if (missing) {
            reply_array(c->r, 2);
            reply_bulk(c->r, "0", 1);
            reply_array(c->r, 0);
        }
        return;
    }
    long long count = 10;
    struct hscan_state st = {.use_pat = false};
    for (int i = 3; i < c->argc; i += 2) {
        if (c->argc - i >= 2 && sv_eq_ci(c->argv[i], "count")) {
            if (!ts_str_to_ll(c->argv[i + 1].ptr, c->argv[i + 1].len, &count)) {
                reply_error(c->r, ERR_NOT_INT);
                return;
            }
            if (count < 1) {
                reply_error(c->r, ERR_SYNTAX);
                return;
            }
        } else if (c->argc - i >= 2 && sv_eq_ci(c->argv[i], "match")) {
            st.pat = c->argv[i + 1];
            st.use_pat = !(st.pat.len == 1 && st.pat.ptr[0] == '*');
        } else {
            reply_error(c->r, ERR_SYNTAX);
            return;
        }
    }
    struct ts_buf items = {0};
    struct reply ir;
    reply_init(&ir, &items, c->r->resp);
    st.r = &ir;
    if (hash_is_listpack(h)) {
        struct hash_iter it;
        struct sv f, v;
        hash_iter_init(&it, h);
        while (hash_iter_next(&it, &f, &v))
            hscan_emit(&st, f, v);
        cursor = 0;
    } else {
        long long maxiter = count * 10;
        do {
            cursor = sdict_scan(hash_sdict(h), cursor, hscan_visit, &st);
        } while (cursor && maxiter-- && st.n < count);
    }
    char cb[24];
    int cl = snprintf(cb, sizeof(cb), "%llu", (unsigned long long)cursor);
    reply_array(c->r, 2);
    reply_bulk(c->r, cb, (size_t)cl);
    reply_array(c->r, st.n);
    reply_raw(c->r, items.data, items.len);
    ts_buf_free(&items);
}

/* ---- Table ---- */

#define HCMD(n, ar, fl, fn, acl_, since_, sum, ksf)                                                    \
    {.name = n, .arity = ar, .flags = fl, .route = ROUTE_KEYS, .first_key = 1, .last_key = 1,         \
     .key_step = 1, .proc = fn, .acl = acl_, .group = "hash", .since = since_, .summary = sum,         \
     .ks_flags = ksf}
#define W_FAST (CMD_WRITE | CMD_DENYOOM | CMD_FAST)
#define R_FAST (CMD_READONLY | CMD_FAST)

static const struct cmd_def hash_cmds[] = {
    HCMD("hset", -4, W_FAST, cmd_hset, "write hash fast", "2.0.0", "Set the string value of a hash field",
         "RW UPDATE"),
    HCMD("hsetnx", 4, W_FAST, cmd_hsetnx, "write hash fast", "2.0.0",
         "Set the value of a hash field, only if the field does not exist", "RW INSERT"),
    HCMD("hget", 3, R_FAST, cmd_hget, "read hash fast", "2.0.0", "Get the value of a hash field", "RO ACCESS"),
    HCMD("hmset", -4, W_FAST, cmd_hmset, "write hash fast", "2.0.0", "Set multiple hash fields to multiple values",
         "RW UPDATE"),
    HCMD("hmget", -3, R_FAST, cmd_hmget, "read hash fast", "2.0.0", "Get the values of all the given hash fields",
         "RO ACCESS"),
    HCMD("hdel", -3, CMD_WRITE | CMD_FAST, cmd_hdel, "write hash fast", "2.0.0", "Delete one or more hash fields",
         "RW DELETE"),
    HCMD("hexists", 3, R_FAST, cmd_hexists, "read hash fast", "2.0.0", "Determine if a hash field exists", "RO"),
    HCMD("hlen", 2, R_FAST, cmd_hlen, "read hash fast", "2.0.0", "Get the number of fields in a hash", "RO"),
    HCMD("hstrlen", 3, R_FAST, cmd_hstrlen, "read hash fast", "3.2.0", "Get the length of the value of a hash field",
         "RO"),
    HCMD("hkeys", 2, CMD_READONLY, cmd_hkeys, "read hash slow", "2.0.0", "Get all the fields in a hash",
         "RO ACCESS"),
    HCMD("hvals", 2, CMD_READONLY, cmd_hvals, "read hash slow", "2.0.0", "Get all the values in a hash",
         "RO ACCESS"),
    HCMD("hgetall", 2, CMD_READONLY, cmd_hgetall, "read hash slow", "2.0.0", "Get all the fields and values in a hash",
         "RO ACCESS"),
    HCMD("hincrby", 4, W_FAST, cmd_hincrby, "write hash fast", "2.0.0",
         "Increment the integer value of a hash field by the given number", "RW ACCESS UPDATE"),
    HCMD("hincrbyfloat", 4, W_FAST, cmd_hincrbyfloat, "write hash fast", "2.6.0",
         "Increment the float value of a hash field by the given amount", "RW ACCESS UPDATE"),
    HCMD("hrandfield", -2, CMD_READONLY, cmd_hrandfield, "read hash slow", "6.2.0",
         "Get one or multiple random fields from a hash", "RO ACCESS"),
    HCMD("hscan", -3, CMD_READONLY, cmd_hscan, "read hash slow", "2.8.0",
         "Incrementally iterate hash fields and associated values", "RO ACCESS"),
    {.name = NULL},
};

const struct cmd_def *
t_hash_table(void)
{
    return hash_cmds;
}

void
t_hash_register(void)
{
    cmd_register_table(hash_cmds);
}
