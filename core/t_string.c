/* t_string.c: the string commands (GET, SET and its options, the INCR
 * family, APPEND, GETRANGE/SETRANGE, MGET/MSET, ...), with Redis 7.0's
 * replies, error texts and command metadata.
 *
 * Each proc runs on the worker owning its keys and touches only that
 * worker's keyspace. GET and SET are the hot path: their plain forms do one
 * keyspace call, no allocation and no formatting; option parsing happens
 * only when there are options. */
#include "core/t_commands.h"

#include "core/config.h"
#include "core/effect.h"
#include "core/keyspace.h"
#include "core/reply.h"
#include "core/shard.h"
#include "core/slot.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- Shared helpers ---- */

/* Slot of argv[1]: the dispatcher already computed it for the first key. */
static inline uint16_t
first_slot(const struct cmd_ctx *c)
{
    return c->slot >= 0 ? (uint16_t)c->slot : slot_of_sv(c->argv[1]);
}

static inline int
lflags(const struct cmd_ctx *c)
{
    return t_lookup_flags(c->cflags);
}

/* proto-max-bulk-len bounds every string a command builds (APPEND,
 * SETRANGE), as Redis's checkStringLength does. */
static inline long long
max_bulk_len(void)
{
    long long m = __atomic_load_n(&g_cfg.proto_max_bulk_len, __ATOMIC_RELAXED);
    return m > 0 ? m : 512LL * 1024 * 1024;
}

static inline void
reply_str_value(struct reply *r, const struct kv *e)
{
    char tmp[24];
    struct sv v = kv_str(e, tmp);
    reply_bulk(r, v.ptr, v.len);
}

static void
reply_too_big(struct reply *r)
{
    reply_error(r, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
}

/* ---- GET / SET ---- */

static void
cmd_get(struct cmd_ctx *c)
{
    struct ks *ks = c->sh->ks;
    struct kv *e = ks_lookup(ks, first_slot(c), c->argv[1], c->now_ms, lflags(c));
    ks_note_hit(ks, e != NULL); /* t_note_read, spelled out for the hot path */
    if (e == NULL) {
        t_note_miss_event(c->sh, c->argv[1]);
        reply_null(c->r);
        return;
    }
    if (unlikely(kv_type(e) != OBJ_STRING)) {
        reply_error(c->r, ERR_WRONGTYPE);
        return;
    }
    reply_str_value(c->r, e);
}

/* Options of SET and GETEX, as bits. The same parser serves both commands
 * because Redis shares one (with per-command rules on which are legal). */
enum {
    SO_NX = 1 << 0,
    SO_XX = 1 << 1,
    SO_GET = 1 << 2,
    SO_KEEPTTL = 1 << 3,
    SO_PERSIST = 1 << 4,
    SO_EX = 1 << 5,
    SO_PX = 1 << 6,
    SO_EXAT = 1 << 7,
    SO_PXAT = 1 << 8,
};
#define SO_ANY_EXPIRE (SO_EX | SO_PX | SO_EXAT | SO_PXAT)

/* Parse argv[from..] as SET (is_set) or GETEX options into *flags and the
 * expire argument *exp. Conflicting options are a syntax error; a repeated
 * option is accepted and the last expire value wins (Redis 7.0). Returns
 * false after replying with the error. */
static bool
parse_set_opts(struct cmd_ctx *c, int from, bool is_set, unsigned *flags, struct sv *exp)
{
    unsigned f = 0;
    for (int j = from; j < c->argc; j++) {
        struct sv o = c->argv[j];
        bool has_next = j + 1 < c->argc;
        unsigned other_exp;
        if (is_set && sv_eq_ci(o, "nx") && !(f & SO_XX)) {
            f |= SO_NX;
        } else if (is_set && sv_eq_ci(o, "xx") && !(f & SO_NX)) {
            f |= SO_XX;
        } else if (is_set && sv_eq_ci(o, "get")) {
            f |= SO_GET;
        } else if (is_set && sv_eq_ci(o, "keepttl") && !(f & (SO_PERSIST | SO_ANY_EXPIRE))) {
            f |= SO_KEEPTTL;
        } else if (!is_set && sv_eq_ci(o, "persist") && !(f & (SO_KEEPTTL | SO_ANY_EXPIRE))) {
            f |= SO_PERSIST;
        } else {
            unsigned bit;
            if (sv_eq_ci(o, "ex"))
                bit = SO_EX;
            else if (sv_eq_ci(o, "px"))
                bit = SO_PX;
            else if (sv_eq_ci(o, "exat"))
                bit = SO_EXAT;
            else if (sv_eq_ci(o, "pxat"))
                bit = SO_PXAT;
            else
                goto syntax;
            other_exp = SO_ANY_EXPIRE & ~bit;
            if ((f & (SO_KEEPTTL | SO_PERSIST | other_exp)) || !has_next)
                goto syntax;
            f |= bit;
            *exp = c->argv[++j];
        }
    }
    *flags = f;
    return true;
syntax:
    reply_error(c->r, ERR_SYNTAX);
    return false;
}

/* Convert an expire argument to an absolute unix-ms deadline. seconds: the
 * value is in seconds (EX/EXAT/SETEX); relative: add now (EX/PX). A value
 * <= 0 or one whose conversion overflows is refused with Redis's
 * "invalid expire time in '<cmd>' command". */
static bool
parse_expire_arg(struct cmd_ctx *c, struct sv arg, bool seconds, bool relative, int64_t *out)
{
    long long v;
    if (!ts_str_to_ll(arg.ptr, arg.len, &v)) {
        reply_error(c->r, ERR_NOT_INT);
        return false;
    }
    if (v <= 0 || (seconds && v > LLONG_MAX / 1000))
        goto invalid;
    if (seconds)
        v *= 1000;
    if (relative) {
        if (v > LLONG_MAX - c->now_ms)
            goto invalid;
        v += c->now_ms;
    }
    *out = v;
    return true;
invalid:
    reply_errorf(c->r, "ERR invalid expire time in '%s' command", c->cmd->name);
    return false;
}

/* The body of SET with options, SETEX and PSETEX. 'flags' changes the
 * behaviour: NX/XX make the write conditional (a refused write replies
 * null), GET replies with the old value instead of OK (and refuses a
 * non-string old value before writing anything), KEEPTTL keeps the key's
 * TTL; otherwise the TTL is cleared or replaced by the expire argument. */
static void
set_generic(struct cmd_ctx *c, unsigned flags, struct sv exp)
{
    struct ks *ks = c->sh->ks;
    uint16_t slot = first_slot(c);
    int64_t when = (flags & SO_KEEPTTL) ? KS_EXPIRE_KEEP : KS_EXPIRE_NONE;

    if (flags & SO_ANY_EXPIRE) {
        bool secs = (flags & (SO_EX | SO_EXAT)) != 0;
        bool rel = (flags & (SO_EX | SO_PX)) != 0;
        if (!parse_expire_arg(c, exp, secs, rel, &when))
            return;
    }
    struct kv *e = ks_lookup(ks, slot, c->argv[1], c->now_ms, lflags(c));
    if (flags & SO_GET) {
        t_note_read(c->sh, c->argv[1], e != NULL);
        if (e == NULL) {
            reply_null(c->r);
        } else if (kv_type(e) != OBJ_STRING) {
            reply_error(c->r, ERR_WRONGTYPE);
            return;
        } else {
            reply_str_value(c->r, e);
        }
    }
    if (((flags & SO_NX) && e != NULL) || ((flags & SO_XX) && e == NULL)) {
        if (!(flags & SO_GET))
            reply_null(c->r);
        return;
    }
    ks_set_str(ks, slot, c->argv[1], c->argv[2], when);
    fx_key(c->sh, FX_STRING, "set", c->argv[1]);
    if (when >= 0) {
        fx_key(c->sh, FX_GENERIC, "expire", c->argv[1]);
        fx_propagate_set_pxat(c->sh, c->argv[1], c->argv[2], when); /* a relative TTL would drift on replicas */
    }
    if (!(flags & SO_GET))
        reply_ok(c->r);
}

static void
cmd_set(struct cmd_ctx *c)
{
    if (likely(c->argc == 3)) {
        ks_set_str(c->sh->ks, first_slot(c), c->argv[1], c->argv[2], KS_EXPIRE_NONE);
        fx_key(c->sh, FX_STRING, "set", c->argv[1]);
        reply_ok(c->r);
        return;
    }
    unsigned flags;
    struct sv exp = {NULL, 0};
    if (!parse_set_opts(c, 3, true, &flags, &exp))
        return;
    set_generic(c, flags, exp);
}

/* SETEX key seconds value / PSETEX key ms value: SET with EX/PX, with the
 * value and the expire in other positions. */
static void
setex_generic(struct cmd_ctx *c, unsigned flag)
{
    struct sv args[3] = {c->argv[0], c->argv[1], c->argv[3]};
    struct sv exp = c->argv[2];
    struct sv *saved = c->argv;
    c->argv = args; /* set_generic reads key and value from argv[1], argv[2] */
    set_generic(c, flag, exp);
    c->argv = saved;
}

static void
cmd_setex(struct cmd_ctx *c)
{
    setex_generic(c, SO_EX);
}

static void
cmd_psetex(struct cmd_ctx *c)
{
    setex_generic(c, SO_PX);
}

static void
cmd_setnx(struct cmd_ctx *c)
{
    struct ks *ks = c->sh->ks;
    uint16_t slot = first_slot(c);
    if (ks_lookup(ks, slot, c->argv[1], c->now_ms, lflags(c)) != NULL) {
        reply_int(c->r, 0);
        return;
    }
    ks_set_str(ks, slot, c->argv[1], c->argv[2], KS_EXPIRE_NONE);
    fx_key(c->sh, FX_STRING, "set", c->argv[1]);
    reply_int(c->r, 1);
}

/* GETSET: SET key value GET (the TTL is cleared). */
static void
cmd_getset(struct cmd_ctx *c)
{
    set_generic(c, SO_GET, (struct sv){NULL, 0});
}

/* GETDEL: reply with the value, then delete the key. */
static void
cmd_getdel(struct cmd_ctx *c)
{
    struct ks *ks = c->sh->ks;
    struct kv *e = ks_lookup(ks, first_slot(c), c->argv[1], c->now_ms, lflags(c));
    t_note_read(c->sh, c->argv[1], e != NULL);
    if (e == NULL) {
        reply_null(c->r);
        return;
    }
    if (kv_type(e) != OBJ_STRING) {
        reply_error(c->r, ERR_WRONGTYPE);
        return;
    }
    reply_str_value(c->r, e); /* copied into the output before e is freed */
    ks_delete_entry(ks, e);
    fx_key(c->sh, FX_GENERIC, "del", c->argv[1]);
    fx_propagate_key(c->sh, "DEL", c->argv[1]);
}

/* GETEX key [EX|PX|EXAT|PXAT t | PERSIST]: reply with the value, then
 * change the TTL. An absolute deadline already in the past deletes the key
 * (Redis's checkAlreadyExpired). The expire value is validated only when
 * the key exists, as in Redis. */
static void
cmd_getex(struct cmd_ctx *c)
{
    struct ks *ks = c->sh->ks;
    unsigned flags = 0;
    struct sv exp = {NULL, 0};
    if (c->argc > 2 && !parse_set_opts(c, 2, false, &flags, &exp))
        return;
    struct kv *e = ks_lookup(ks, first_slot(c), c->argv[1], c->now_ms, lflags(c));
    t_note_read(c->sh, c->argv[1], e != NULL);
    if (e == NULL) {
        reply_null(c->r);
        return;
    }
    if (kv_type(e) != OBJ_STRING) {
        reply_error(c->r, ERR_WRONGTYPE);
        return;
    }
    int64_t when = 0;
    if (flags & SO_ANY_EXPIRE) {
        bool secs = (flags & (SO_EX | SO_EXAT)) != 0;
        bool rel = (flags & (SO_EX | SO_PX)) != 0;
        if (!parse_expire_arg(c, exp, secs, rel, &when))
            return;
    }
    reply_str_value(c->r, e);
    if ((flags & (SO_EXAT | SO_PXAT)) && when <= c->now_ms) {
        ks_delete_entry(ks, e);
        fx_key(c->sh, FX_GENERIC, "del", c->argv[1]);
        fx_propagate_key(c->sh, "DEL", c->argv[1]);
    } else if (flags & SO_ANY_EXPIRE) {
        ks_set_expire(ks, e, when);
        fx_key(c->sh, FX_GENERIC, "expire", c->argv[1]);
        fx_propagate_pexpireat(c->sh, c->argv[1], when);
    } else if ((flags & SO_PERSIST) && kv_expire(e) != -1) {
        ks_set_expire(ks, e, -1);
        fx_key(c->sh, FX_GENERIC, "persist", c->argv[1]);
        fx_propagate_key(c->sh, "PERSIST", c->argv[1]);
    }
}

/* ---- Multi-key: MGET, MSET, MSETNX ---- */

void
t_get_reply(struct shard *sh, struct sv key, int64_t now_ms, int lookup_flags, struct reply *r)
{
    struct kv *e = ks_lookup(sh->ks, slot_of_sv(key), key, now_ms, lookup_flags);
    t_note_read(sh, key, e != NULL);
    /* MGET never fails: a value of another type reads as missing. */
    if (e == NULL || kv_type(e) != OBJ_STRING)
        reply_null(r);
    else
        reply_str_value(r, e);
}

void
t_set_key(struct shard *sh, struct sv key, struct sv val)
{
    ks_set_str(sh->ks, slot_of_sv(key), key, val, KS_EXPIRE_NONE);
    fx_key(sh, FX_STRING, "set", key);
}

static void
cmd_mget(struct cmd_ctx *c)
{
    reply_array(c->r, c->argc - 1);
    for (int j = 1; j < c->argc; j++)
        t_get_reply(c->sh, c->argv[j], c->now_ms, lflags(c), c->r);
}

static void
cmd_mset(struct cmd_ctx *c)
{
    if ((c->argc % 2) == 0) {
        reply_wrong_args(c->r, c->cmd->name);
        return;
    }
    for (int j = 1; j < c->argc; j += 2)
        t_set_key(c->sh, c->argv[j], c->argv[j + 1]);
    reply_ok(c->r);
}

/* MSETNX: all or nothing; refused (0) if any of the keys exists. */
static void
cmd_msetnx(struct cmd_ctx *c)
{
    if ((c->argc % 2) == 0) {
        reply_wrong_args(c->r, c->cmd->name);
        return;
    }
    for (int j = 1; j < c->argc; j += 2) {
        if (t_exists_key(c->sh, c->argv[j], c->now_ms, false)) {
            reply_int(c->r, 0);
            return;
        }
    }
    for (int j = 1; j < c->argc; j += 2)
        t_set_key(c->sh, c->argv[j], c->argv[j + 1]);
    reply_int(c->r, 1);
}

/* ---- APPEND, STRLEN ---- */

/* APPEND grows the value in place: ks_str_resize keeps spare capacity, so
 * a loop of appends is amortised O(1) per byte. The TTL is kept. */
static void
cmd_append(struct cmd_ctx *c)
{
    struct ks *ks = c->sh->ks;
    uint16_t slot = first_slot(c);
    struct sv add = c->argv[2];
    struct kv *e = ks_lookup(ks, slot, c->argv[1], c->now_ms, lflags(c));
    if (e == NULL) {
        ks_set_str(ks, slot, c->argv[1], add, KS_EXPIRE_NONE);
        fx_key(c->sh, FX_STRING, "append", c->argv[1]);
        reply_int(c->r, (long long)add.len);
        return;
    }
    if (kv_type(e) != OBJ_STRING) {
        reply_error(c->r, ERR_WRONGTYPE);
        return;
    }
    size_t olen = kv_str_len(e);
    if ((long long)add.len > max_bulk_len() - (long long)olen) {
        reply_too_big(c->r);
        return;
    }
    char *p = ks_str_resize(ks, &e, olen + add.len);
    memcpy(p + olen, add.ptr, add.len);
    fx_key(c->sh, FX_STRING, "append", c->argv[1]);
    reply_int(c->r, (long long)(olen + add.len));
}

static void
cmd_strlen(struct cmd_ctx *c)
{
    struct ks *ks = c->sh->ks;
    struct kv *e = ks_lookup(ks, first_slot(c), c->argv[1], c->now_ms, lflags(c));
    t_note_read(c->sh, c->argv[1], e != NULL);
    if (e == NULL) {
        reply_int(c->r, 0);
        return;
    }
    if (kv_type(e) != OBJ_STRING) {
        reply_error(c->r, ERR_WRONGTYPE);
        return;
    }
    reply_int(c->r, (long long)kv_str_len(e));
}

/* ---- INCR family ---- */

/* Add delta to the integer value of argv[1] (a missing key counts as 0),
 * keeping its TTL. The value must parse as a canonical 64-bit integer and
 * the sum must not overflow. */
static void
incr_generic(struct cmd_ctx *c, long long delta)
{
    struct ks *ks = c->sh->ks;
    uint16_t slot = first_slot(c);
    struct kv *e = ks_lookup(ks, slot, c->argv[1], c->now_ms, lflags(c));
    long long v = 0;
    if (e != NULL) {
        if (kv_type(e) != OBJ_STRING) {
            reply_error(c->r, ERR_WRONGTYPE);
            return;
        }
        if (!kv_str_int(e, &v)) {
            /* Raw strings (e.g. built by APPEND) may still hold digits. */
            char tmp[24];
            struct sv s = kv_str(e, tmp);
            if (!ts_str_to_ll(s.ptr, s.len, &v)) {
                reply_error(c->r, ERR_NOT_INT);
                return;
            }
        }
    }
    if ((delta < 0 && v < 0 && delta < LLONG_MIN - v) || (delta > 0 && v > 0 && delta > LLONG_MAX - v)) {
        reply_error(c->r, ERR_OVERFLOW);
        return;
    }
    v += delta;
    ks_set_int(ks, slot, c->argv[1], v, e != NULL ? KS_EXPIRE_KEEP : KS_EXPIRE_NONE);
    fx_key(c->sh, FX_STRING, "incrby", c->argv[1]);
    reply_int(c->r, v);
}

static void
cmd_incr(struct cmd_ctx *c)
{
    incr_generic(c, 1);
}

static void
cmd_decr(struct cmd_ctx *c)
{
    incr_generic(c, -1);
}

static void
cmd_incrby(struct cmd_ctx *c)
{
    long long d;
    if (!ts_str_to_ll(c->argv[2].ptr, c->argv[2].len, &d)) {
        reply_error(c->r, ERR_NOT_INT);
        return;
    }
    incr_generic(c, d);
}

static void
cmd_decrby(struct cmd_ctx *c)
{
    long long d;
    if (!ts_str_to_ll(c->argv[2].ptr, c->argv[2].len, &d)) {
        reply_error(c->r, ERR_NOT_INT);
        return;
    }
    if (d == LLONG_MIN) { /* -d is not representable */
        reply_error(c->r, "ERR decrement would overflow");
        return;
    }
    incr_generic(c, -d);
}

/* Format v as Redis's "human" long double strings: fixed notation with 17
 * digits after the point, trailing zeros (and a bare point) removed, "-0"
 * printed as "0". buf must hold LD_BUF bytes: the largest finite long
 * double needs 4933 integer digits. Returns the length. */
#define LD_BUF (5 * 1024 + 64)
static size_t
fmt_ld_human(char *buf, long double v)
{
    int l = snprintf(buf, LD_BUF, "%.17Lf", v);
    if (l < 0 || l >= LD_BUF)
        return 0;
    size_t n = (size_t)l;
    if (memchr(buf, '.', n) != NULL) {
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

/* Parse a long double as Redis's string2ld: the whole string, no leading
 * space, no NaN, and no value that overflows to infinity or underflows to
 * zero (ERANGE), which ts_str_to_ld lets through; "inf" itself is fine. */
#define LD_MAX_CHARS (5 * 1024)
static bool
parse_ld(struct sv s, long double *out)
{
    char buf[LD_MAX_CHARS];
    if (s.len == 0 || s.len >= sizeof(buf))
        return false;
    memcpy(buf, s.ptr, s.len);
    buf[s.len] = '\0';
    if (isspace((unsigned char)buf[0]))
        return false;
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if ((size_t)(end - buf) != s.len || isnan(v))
        return false;
    if (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO))
        return false;
    *out = v;
    return true;
}

/* INCRBYFLOAT: long double arithmetic; the stored value is the formatted
 * result (not the float), so every replica computes the same string. */
static void
cmd_incrbyfloat(struct cmd_ctx *c)
{
    struct ks *ks = c->sh->ks;
    uint16_t slot = first_slot(c);
    struct kv *e = ks_lookup(ks, slot, c->argv[1], c->now_ms, lflags(c));
    long double v = 0, incr;
    if (e != NULL) {
        if (kv_type(e) != OBJ_STRING) {
            reply_error(c->r, ERR_WRONGTYPE);
            return;
        }
        char tmp[24];
        struct sv s = kv_str(e, tmp);
        if (!parse_ld(s, &v)) {
            reply_error(c->r, ERR_NOT_FLOAT);
            return;
        }
    }
    if (!parse_ld(c->argv[2], &incr)) {
        reply_error(c->r, ERR_NOT_FLOAT);
        return;
    }
    v += incr;
    if (isnan(v) || isinf(v)) {
        reply_error(c->r, "ERR increment would produce NaN or Infinity");
        return;
    }
    char buf[LD_BUF];
    size_t n = fmt_ld_human(buf, v);
    ks_set_str_noint(ks, slot, c->argv[1], (struct sv){buf, n}, e != NULL ? KS_EXPIRE_KEEP : KS_EXPIRE_NONE);
    fx_key(c->sh, FX_STRING, "incrbyfloat", c->argv[1]);
    fx_propagate_set_keepttl(c->sh, c->argv[1], (struct sv){buf, n}); /* float formatting may differ elsewhere */
    reply_bulk(c->r, buf, n);
}

/* ---- GETRANGE / SETRANGE ---- */

/* GETRANGE key start end (and the old name SUBSTR): inclusive range,
 * negative indexes count from the end and are clamped to the string; an
 * empty result is an empty bulk string, also for a missing key. */
static void
cmd_getrange(struct cmd_ctx *c)
{
    long long start, end;
    if (!ts_str_to_ll(c->argv[2].ptr, c->argv[2].len, &start) ||
        !ts_str_to_ll(c->argv[3].ptr, c->argv[3].len, &end)) {
        reply_error(c->r, ERR_NOT_INT);
        return;
    }
    struct ks *ks = c->sh->ks;
    struct kv *e = ks_lookup(ks, first_slot(c), c->argv[1], c->now_ms, lflags(c));
    t_note_read(c->sh, c->argv[1], e != NULL);
    if (e == NULL) {
        reply_bulk(c->r, "", 0);
        return;
    }
    if (kv_type(e) != OBJ_STRING) {
        reply_error(c->r, ERR_WRONGTYPE);
        return;
    }
    char tmp[24];
    struct sv s = kv_str(e, tmp);
    long long len = (long long)s.len;
    /* Both negative and inverted: empty, before clamping could make the
     * range look non-empty. */
    if (start < 0 && end < 0 && start > end) {
        reply_bulk(c->r, "", 0);
        return;
    }
    if (start < 0)
        start += len;
    if (end < 0)
        end += len;
    if (start < 0)
        start = 0;
    if (end < 0)
        end = 0;
    if (end >= len)
        end = len - 1;
    if (len == 0 || start > end) {
        reply_bulk(c->r, "", 0);
        return;
    }
    reply_bulk(c->r, s.ptr + start, (size_t)(end - start + 1));
}

/* SETRANGE key offset value: overwrite from offset, zero-padding a shorter
 * (or missing) value. An empty value changes nothing and creates nothing;
 * the reply is the resulting length. */
static void
cmd_setrange(struct cmd_ctx *c)
{
    long long off;
    if (!ts_str_to_ll(c->argv[2].ptr, c->argv[2].len, &off)) {
        reply_error(c->r, ERR_NOT_INT);
        return;
    }
    if (off < 0) {
        reply_error(c->r, "ERR offset is out of range");
        return;
    }
    struct ks *ks = c->sh->ks;
    uint16_t slot = first_slot(c);
    struct sv val = c->argv[3];
    struct kv *e = ks_lookup(ks, slot, c->argv[1], c->now_ms, lflags(c));
    size_t olen = 0;
    if (e != NULL) {
        if (kv_type(e) != OBJ_STRING) {
            reply_error(c->r, ERR_WRONGTYPE);
            return;
        }
        olen = kv_str_len(e);
    }
    if (val.len == 0) {
        reply_int(c->r, (long long)olen);
        return;
    }
    if ((long long)val.len > max_bulk_len() || off > max_bulk_len() - (long long)val.len) {
        reply_too_big(c->r);
        return;
    }
    size_t need = (size_t)off + val.len;
    if (e == NULL)
        e = ks_set_str(ks, slot, c->argv[1], (struct sv){"", 0}, KS_EXPIRE_NONE);
    char *p = ks_str_resize(ks, &e, TS_MAX(olen, need));
    memcpy(p + off, val.ptr, val.len);
    fx_key(c->sh, FX_STRING, "setrange", c->argv[1]);
    reply_int(c->r, (long long)TS_MAX(olen, need));
}

/* ---- Table ---- */

/* COMMAND GETKEYSANDFLAGS for SET (cmd_def.key_flags): as Redis's
 * setGetKeys, any argument "GET" after the value makes the key read too
 * ("RW ACCESS UPDATE"); otherwise SET only overwrites it ("OW UPDATE"). */
static const char *
set_key_flags(int argc, const struct sv *argv, int nth)
{
    (void)nth;
    for (int i = 3; i < argc; i++)
        if (sv_eq_ci(argv[i], "get"))
            return "RW ACCESS UPDATE";
    return "OW UPDATE";
}

static const struct cmd_def string_cmds[] = {
    {.name = "get", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_get, .acl = "read string fast", .group = "string",
     .since = "1.0.0", .summary = "Get the value of a key", .ks_flags = "RO ACCESS"},
    {.name = "set", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_set, .acl = "write string slow", .group = "string",
     .since = "1.0.0", .summary = "Set the string value of a key",
     .ks_flags = "RW ACCESS UPDATE VARIABLE_FLAGS", .key_flags = set_key_flags},
    {.name = "setnx", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .route = ROUTE_KEYS,
     .first_key = 1, .last_key = 1, .key_step = 1, .proc = cmd_setnx, .acl = "write string fast",
     .group = "string", .since = "1.0.0", .summary = "Set the value of a key, only if the key does not exist",
     .ks_flags = "OW INSERT"},
    {.name = "setex", .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_setex, .acl = "write string slow", .group = "string",
     .since = "2.0.0", .summary = "Set the value and expiration of a key", .ks_flags = "OW UPDATE"},
    {.name = "psetex", .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_psetex, .acl = "write string slow", .group = "string",
     .since = "2.6.0", .summary = "Set the value and expiration in milliseconds of a key",
     .ks_flags = "OW UPDATE"},
    {.name = "getset", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .route = ROUTE_KEYS,
     .first_key = 1, .last_key = 1, .key_step = 1, .proc = cmd_getset, .acl = "write string fast",
     .group = "string", .since = "1.0.0", .summary = "Set the string value of a key and return its old value",
     .ks_flags = "RW ACCESS UPDATE"},
    {.name = "getdel", .arity = 2, .flags = CMD_WRITE | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_getdel, .acl = "write string fast", .group = "string",
     .since = "6.2.0", .summary = "Get the value of a key and delete the key", .ks_flags = "RW ACCESS DELETE"},
    {.name = "getex", .arity = -2, .flags = CMD_WRITE | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_getex, .acl = "write string fast", .group = "string",
     .since = "6.2.0", .summary = "Get the value of a key and optionally set its expiration",
     .ks_flags = "RW ACCESS UPDATE"},
    {.name = "mget", .arity = -2, .flags = CMD_READONLY | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = -1, .key_step = 1, .proc = cmd_mget, .acl = "read string fast", .group = "string",
     .since = "1.0.0", .summary = "Get the values of all the given keys", .ks_flags = "RO ACCESS", .tx = &t_mget_tx},
    {.name = "mset", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = -1, .key_step = 2, .proc = cmd_mset, .acl = "write string slow", .group = "string",
     .since = "1.0.1", .summary = "Set multiple keys to multiple values", .ks_flags = "OW UPDATE", .tx = &t_mset_tx},
    {.name = "msetnx", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = -1, .key_step = 2, .proc = cmd_msetnx, .acl = "write string slow", .group = "string",
     .since = "1.0.1", .summary = "Set multiple keys to multiple values, only if none of the keys exist",
     .ks_flags = "OW INSERT", .tx = &t_msetnx_tx},
    {.name = "append", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .route = ROUTE_KEYS,
     .first_key = 1, .last_key = 1, .key_step = 1, .proc = cmd_append, .acl = "write string fast",
     .group = "string", .since = "2.0.0", .summary = "Append a value to a key", .ks_flags = "RW INSERT"},
    {.name = "strlen", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_strlen, .acl = "read string fast", .group = "string",
     .since = "2.2.0", .summary = "Get the length of the value stored in a key", .ks_flags = "RO"},
    {.name = "incr", .arity = 2, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .route = ROUTE_KEYS,
     .first_key = 1, .last_key = 1, .key_step = 1, .proc = cmd_incr, .acl = "write string fast",
     .group = "string", .since = "1.0.0", .summary = "Increment the integer value of a key by one",
     .ks_flags = "RW ACCESS UPDATE"},
    {.name = "decr", .arity = 2, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .route = ROUTE_KEYS,
     .first_key = 1, .last_key = 1, .key_step = 1, .proc = cmd_decr, .acl = "write string fast",
     .group = "string", .since = "1.0.0", .summary = "Decrement the integer value of a key by one",
     .ks_flags = "RW ACCESS UPDATE"},
    {.name = "incrby", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .route = ROUTE_KEYS,
     .first_key = 1, .last_key = 1, .key_step = 1, .proc = cmd_incrby, .acl = "write string fast",
     .group = "string", .since = "1.0.0", .summary = "Increment the integer value of a key by the given amount",
     .ks_flags = "RW ACCESS UPDATE"},
    {.name = "decrby", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .route = ROUTE_KEYS,
     .first_key = 1, .last_key = 1, .key_step = 1, .proc = cmd_decrby, .acl = "write string fast",
     .group = "string", .since = "1.0.0", .summary = "Decrement the integer value of a key by the given number",
     .ks_flags = "RW ACCESS UPDATE"},
    {.name = "incrbyfloat", .arity = 3, .flags = CMD_WRITE | CMD_DENYOOM | CMD_FAST, .route = ROUTE_KEYS,
     .first_key = 1, .last_key = 1, .key_step = 1, .proc = cmd_incrbyfloat, .acl = "write string fast",
     .group = "string", .since = "2.6.0", .summary = "Increment the float value of a key by the given amount",
     .ks_flags = "RW ACCESS UPDATE"},
    {.name = "getrange", .arity = 4, .flags = CMD_READONLY, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_getrange, .acl = "read string slow", .group = "string",
     .since = "2.4.0", .summary = "Get a substring of the string stored at a key", .ks_flags = "RO ACCESS"},
    {.name = "setrange", .arity = 4, .flags = CMD_WRITE | CMD_DENYOOM, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_setrange, .acl = "write string slow", .group = "string",
     .since = "2.2.0", .summary = "Overwrite part of a string at key starting at the specified offset",
     .ks_flags = "RW UPDATE"},
    {.name = "substr", .arity = 4, .flags = CMD_READONLY, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_getrange, .acl = "read string slow", .group = "string",
     .since = "1.0.0", .summary = "Get a substring of the string stored at a key", .ks_flags = "RO ACCESS"},
    {.name = NULL},
};

const struct cmd_def *
t_string_table(void)
{
    return string_cmds;
}

void
t_string_register(void)
{
    cmd_register_table(string_cmds);
}
