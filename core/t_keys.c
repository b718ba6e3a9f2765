/* t_keys.c: the generic key commands: DEL, UNLINK, EXISTS, TOUCH, TYPE,
 * the EXPIRE family and TTL queries, PERSIST, RENAME(NX), COPY, OBJECT and
 * MEMORY USAGE, with Redis 7.0's replies, error texts and metadata.
 *
 * Like the string commands, each proc runs on the worker that owns its
 * keys. The multi-key commands are written over per-key helpers
 * (t_commands.h) so the standalone multi-worker split can run the same
 * code on each worker. Keys of one command may sit in different slots in
 * standalone mode, so each key's slot is computed from the key itself. */
#include "core/t_commands.h"

#include "core/server_cmds.h"
#include "core/config.h"
#include "core/effect.h"
#include "core/keyspace.h"
#include "core/obj.h"
#include "core/reply.h"
#include "core/shard.h"
#include "core/slot.h"

#include <limits.h>

static inline int
lflags(const struct cmd_ctx *c)
{
    return t_lookup_flags(c->cflags);
}

/* Lookup on behalf of a read command: counts a keyspace hit or miss (and
 * a miss is a "keymiss" event). */
static inline struct kv *
read_lookup(struct cmd_ctx *c, struct sv key, int flags)
{
    struct kv *e = ks_lookup(c->sh->ks, slot_of_sv(key), key, c->now_ms, flags);
    t_note_read(c->sh, key, e != NULL);
    return e;
}

/* ---- Per-key helpers ---- */

bool
t_del_key(struct shard *sh, struct sv key, int64_t now_ms)
{
    /* Look up first so that a logically expired key is not counted as
     * deleted (it is expired, then absent). */
    struct kv *e = ks_lookup(sh->ks, slot_of_sv(key), key, now_ms, KS_LOOKUP_NOTOUCH);
    if (e == NULL)
        return false;
    ks_delete_entry(sh->ks, e);
    fx_key(sh, FX_GENERIC, "del", key);
    return true;
}

int
t_exists_key(struct shard *sh, struct sv key, int64_t now_ms, bool count_stats)
{
    struct kv *e = ks_lookup(sh->ks, slot_of_sv(key), key, now_ms, KS_LOOKUP_NOTOUCH);
    if (count_stats)
        t_note_read(sh, key, e != NULL);
    return e != NULL;
}

int
t_touch_key(struct shard *sh, struct sv key, int64_t now_ms)
{
    /* TOUCH updates the access time even for CLIENT NO-TOUCH clients:
     * that is its whole purpose. */
    struct kv *e = ks_lookup(sh->ks, slot_of_sv(key), key, now_ms, 0);
    t_note_read(sh, key, e != NULL);
    return e != NULL;
}

struct kvval *
t_take_value(struct shard *sh, struct sv key, int64_t now_ms, int64_t *expire_ms)
{
    struct kv *e = ks_lookup(sh->ks, slot_of_sv(key), key, now_ms, KS_LOOKUP_NOTOUCH);
    if (e == NULL)
        return NULL;
    int64_t when = kv_expire(e);
    *expire_ms = when >= 0 ? when : KS_EXPIRE_NONE;
    struct kvval *v = kv_value_dup(e);
    ks_delete_entry(sh->ks, e);
    fx_key(sh, FX_GENERIC, "rename_from", key);
    return v;
}

struct kvval *
t_dup_value(struct shard *sh, struct sv key, int64_t now_ms, int lookup_flags, int64_t *expire_ms)
{
    struct kv *e = ks_lookup(sh->ks, slot_of_sv(key), key, now_ms, lookup_flags & ~T_LOOKUP_NOSTATS);
    if (!(lookup_flags & T_LOOKUP_NOSTATS))
        t_note_read(sh, key, e != NULL);
    if (e == NULL)
        return NULL;
    int64_t when = kv_expire(e);
    *expire_ms = when >= 0 ? when : KS_EXPIRE_NONE;
    return kv_value_dup(e);
}

bool
t_put_value(struct shard *sh, struct sv key, struct kvval *v, int64_t expire_ms, bool nx, int64_t now_ms,
            const char *event)
{
    uint16_t slot = slot_of_sv(key);
    bool exists = (nx || fx_wants(FX_NEW)) && ks_lookup(sh->ks, slot, key, now_ms, KS_LOOKUP_NOTOUCH) != NULL;
    if (nx && exists)
        return false;
    ks_set_value(sh->ks, slot, key, v, expire_ms);
    if (exists) /* Redis deletes the old key and adds a new one: "new" */
        fx_new(sh, key);
    fx_key(sh, FX_GENERIC, event, key);
    return true;
}

/* ---- DEL, UNLINK, EXISTS, TOUCH ---- */

/* DEL and UNLINK: the count of keys that existed. Values are freed inline
 * either way: an entry is one or two allocations, so there is nothing to
 * gain from a background free until aggregate types exist. */
static void
cmd_del(struct cmd_ctx *c)
{
    long long n = 0;
    for (int j = 1; j < c->argc; j++)
        n += t_del_key(c->sh, c->argv[j], c->now_ms);
    reply_int(c->r, n);
}

/* EXISTS counts repeated keys each time (EXISTS k k -> 2). */
static void
cmd_exists(struct cmd_ctx *c)
{
    long long n = 0;
    for (int j = 1; j < c->argc; j++)
        n += t_exists_key(c->sh, c->argv[j], c->now_ms, true);
    reply_int(c->r, n);
}

static void
cmd_touch(struct cmd_ctx *c)
{
    long long n = 0;
    for (int j = 1; j < c->argc; j++)
        n += t_touch_key(c->sh, c->argv[j], c->now_ms);
    reply_int(c->r, n);
}

/* ---- TYPE ---- */

static void
cmd_type(struct cmd_ctx *c)
{
    struct kv *e = read_lookup(c, c->argv[1], KS_LOOKUP_NOTOUCH);
    reply_simple(c->r, e ? obj_type_name(kv_type(e)) : "none");
}

/* ---- EXPIRE family ---- */

enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

/* EXPIRE key t [NX|XX|GT|LT], and PEXPIRE / EXPIREAT / PEXPIREAT: base is
 * 0 for the absolute forms and now for the relative ones; seconds says the
 * unit. Negative times are allowed (they delete the key); only overflow of
 * the conversion is an error. A deadline at or before now deletes the key
 * and replies 1, as Redis does on a master.
 *
 * GT/LT treat "no TTL" as an infinite TTL: GT never succeeds on a
 * persistent key, LT always does. */
static void
expire_generic(struct cmd_ctx *c, int64_t base, bool seconds)
{
    int fl = 0;
    for (int j = 3; j < c->argc; j++) {
        struct sv o = c->argv[j];
        if (sv_eq_ci(o, "nx"))
            fl |= EXP_NX;
        else if (sv_eq_ci(o, "xx"))
            fl |= EXP_XX;
        else if (sv_eq_ci(o, "gt"))
            fl |= EXP_GT;
        else if (sv_eq_ci(o, "lt"))
            fl |= EXP_LT;
        else {
            reply_errorf(c->r, "ERR Unsupported option %.*s", (int)TS_MIN(o.len, 128), o.ptr);
            return;
        }
    }
    if ((fl & EXP_NX) && (fl & (EXP_XX | EXP_GT | EXP_LT))) {
        reply_error(c->r, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return;
    }
    if ((fl & EXP_GT) && (fl & EXP_LT)) {
        reply_error(c->r, "ERR GT and LT options at the same time are not compatible");
        return;
    }
    long long when;
    if (!ts_str_to_ll(c->argv[2].ptr, c->argv[2].len, &when)) {
        reply_error(c->r, ERR_NOT_INT);
        return;
    }
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000)
            goto invalid;
        when *= 1000;
    }
    if (when > LLONG_MAX - base)
        goto invalid;
    when += base;

    struct ks *ks = c->sh->ks;
    struct sv key = c->argv[1];
    struct kv *e = ks_lookup(ks, slot_of_sv(key), key, c->now_ms, lflags(c));
    if (e == NULL) {
        reply_int(c->r, 0);
        return;
    }
    if (fl) {
        int64_t cur = kv_expire(e);
        if (((fl & EXP_NX) && cur != -1) || ((fl & EXP_XX) && cur == -1) ||
            ((fl & EXP_GT) && (cur == -1 || when <= cur)) || ((fl & EXP_LT) && cur != -1 && when >= cur)) {
            reply_int(c->r, 0);
            return;
        }
    }
    if (when <= c->now_ms)
        ks_delete_entry(ks, e);
    else
        ks_set_expire(ks, e, when);
    fx_key(c->sh, FX_GENERIC, when <= c->now_ms ? "del" : "expire", key);
    if (when <= c->now_ms)
        fx_propagate_key(c->sh, "DEL", key);
    else
        fx_propagate_pexpireat(c->sh, key, when); /* absolute: replicas apply it later */
    reply_int(c->r, 1);
    return;
invalid:
    reply_errorf(c->r, "ERR invalid expire time in '%s' command", c->cmd->name);
}

static void
cmd_expire(struct cmd_ctx *c)
{
    expire_generic(c, c->now_ms, true);
}

static void
cmd_pexpire(struct cmd_ctx *c)
{
    expire_generic(c, c->now_ms, false);
}

static void
cmd_expireat(struct cmd_ctx *c)
{
    expire_generic(c, 0, true);
}

static void
cmd_pexpireat(struct cmd_ctx *c)
{
    expire_generic(c, 0, false);
}

/* TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 for a missing key, -1 without a
 * TTL; otherwise the remaining time (never negative) or the absolute
 * deadline, in ms or rounded to the nearest second. Never touches the
 * key. */
static void
ttl_generic(struct cmd_ctx *c, bool ms, bool absolute)
{
    struct kv *e = read_lookup(c, c->argv[1], KS_LOOKUP_NOTOUCH);
    if (e == NULL) {
        reply_int(c->r, -2);
        return;
    }
    int64_t when = kv_expire(e);
    if (when == -1) {
        reply_int(c->r, -1);
        return;
    }
    int64_t t = absolute ? when : when - c->now_ms;
    if (t < 0)
        t = 0;
    /* (t + 500) / 1000 without overflowing near INT64_MAX */
    reply_int(c->r, ms ? t : t / 1000 + (t % 1000 >= 500));
}

static void
cmd_ttl(struct cmd_ctx *c)
{
    ttl_generic(c, false, false);
}

static void
cmd_pttl(struct cmd_ctx *c)
{
    ttl_generic(c, true, false);
}

static void
cmd_expiretime(struct cmd_ctx *c)
{
    ttl_generic(c, false, true);
}

static void
cmd_pexpiretime(struct cmd_ctx *c)
{
    ttl_generic(c, true, true);
}

static void
cmd_persist(struct cmd_ctx *c)
{
    struct ks *ks = c->sh->ks;
    struct sv key = c->argv[1];
    struct kv *e = ks_lookup(ks, slot_of_sv(key), key, c->now_ms, lflags(c));
    if (e == NULL || kv_expire(e) == -1) {
        reply_int(c->r, 0);
        return;
    }
    ks_set_expire(ks, e, -1);
    fx_key(c->sh, FX_GENERIC, "persist", key);
    reply_int(c->r, 1);
}

/* ---- RENAME, RENAMENX, COPY ---- */

/* RENAME src dst / RENAMENX: the value and its TTL move to dst, replacing
 * dst (RENAME) or giving up when dst exists (RENAMENX: 0). Renaming a key
 * onto itself succeeds without doing anything, but a missing source is
 * still an error. */
static void
rename_generic(struct cmd_ctx *c, bool nx)
{
    struct ks *ks = c->sh->ks;
    struct sv src = c->argv[1], dst = c->argv[2];
    bool same = sv_eq(src, dst);
    uint16_t sslot = slot_of_sv(src), dslot = slot_of_sv(dst);
    /* src first, as Redis: with src missing, dst is not looked up (so an
     * expired dst is not deleted and notified by a failed RENAME). */
    struct kv *e = ks_lookup(ks, sslot, src, c->now_ms, lflags(c));
    if (e == NULL) {
        reply_error(c->r, ERR_NO_KEY);
        return;
    }
    bool dst_exists = false;
    if (nx && !same) {
        dst_exists = ks_lookup(ks, dslot, dst, c->now_ms, lflags(c)) != NULL;
        /* that lookup may have deleted an expired dst, and a change of
         * the keyspace may move entries: find src again */
        if (!dst_exists)
            e = ks_lookup(ks, sslot, src, c->now_ms, KS_LOOKUP_NOTOUCH | KS_LOOKUP_NOEXPIRE);
    }
    if (same || dst_exists) {
        if (nx)
            reply_int(c->r, 0);
        else
            reply_ok(c->r);
        return;
    }
    /* Detach before storing: storing dst may move e. */
    int64_t when = kv_expire(e);
    struct kvval *v = kv_value_dup(e);
    ks_delete_entry(ks, e);
    bool dst_replaced = fx_wants(FX_NEW) && ks_lookup(ks, dslot, dst, c->now_ms, KS_LOOKUP_NOTOUCH) != NULL;
    ks_set_value(ks, dslot, dst, v, when >= 0 ? when : KS_EXPIRE_NONE);
    if (dst_replaced) /* Redis deletes the old key and adds a new one: "new" */
        fx_new(c->sh, dst);
    fx_key(c->sh, FX_GENERIC, "rename_from", src);
    fx_key(c->sh, FX_GENERIC, "rename_to", dst);
    if (nx)
        reply_int(c->r, 1);
    else
        reply_ok(c->r);
}

static void
cmd_rename(struct cmd_ctx *c)
{
    rename_generic(c, false);
}

static void
cmd_renamenx(struct cmd_ctx *c)
{
    rename_generic(c, true);
}

const char *
t_copy_options(int argc, const struct sv *argv, bool *replace)
{
    *replace = false;
    long long dbid = 0;
    for (int j = 3; j < argc; j++) {
        if (sv_eq_ci(argv[j], "replace")) {
            *replace = true;
        } else if (sv_eq_ci(argv[j], "db") && j + 1 < argc) {
            if (!ts_str_to_ll(argv[j + 1].ptr, argv[j + 1].len, &dbid))
                return ERR_NOT_INT;
            if (dbid < INT_MIN || dbid > INT_MAX)
                return "ERR value is out of range, value must between -2147483648 and 2147483647";
            if (dbid != 0 && (dbid < 0 || dbid >= g_cfg.databases)) /* database 0 always exists */
                return "ERR DB index is out of range";
            j++;
        } else {
            return ERR_SYNTAX;
        }
    }
    if (dbid != 0)
        return g_cfg.cluster_enabled ? "ERR Copying to another database is not allowed in cluster mode"
                                     : "ERR Tessera serves database 0 only";
    return NULL;
}

bool
t_copy_parse(int argc, const struct sv *argv, bool *replace, struct reply *r)
{
    const char *err = t_copy_options(argc, argv, replace);
    if (err)
        reply_error(r, err);
    return err == NULL;
}

/* COPY src dst [DB n] [REPLACE]: 1 if copied (value and TTL), 0 when src
 * is missing or dst exists without REPLACE. */
static void
cmd_copy(struct cmd_ctx *c)
{
    bool replace;
    if (!t_copy_parse(c->argc, c->argv, &replace, c->r))
        return;
    struct sv src = c->argv[1], dst = c->argv[2];
    if (sv_eq(src, dst)) {
        reply_error(c->r, "ERR source and destination objects are the same");
        return;
    }
    int64_t when;
    struct kvval *v = t_dup_value(c->sh, src, c->now_ms, lflags(c), &when);
    if (v == NULL) {
        reply_int(c->r, 0);
        return;
    }
    if (!t_put_value(c->sh, dst, v, when, !replace, c->now_ms, "copy_to")) {
        kvval_free(&v);
        reply_int(c->r, 0);
        return;
    }
    reply_int(c->r, 1);
}

/* ---- OBJECT ---- */

/* Whether the configured maxmemory-policy is an LFU one: OBJECT FREQ needs
 * it, OBJECT IDLETIME refuses it (Redis keeps one 24-bit field for either). */
static bool
lfu_policy(void)
{
    int p = __atomic_load_n(&g_cfg.maxmemory_policy, __ATOMIC_RELAXED);
    return p == MAXMEMORY_VOLATILE_LFU || p == MAXMEMORY_ALLKEYS_LFU;
}

/* Redis shares the integer objects 0..9999, which then report a refcount
 * of INT_MAX; every other value has a single owner. */
#define SHARED_INTEGERS 10000

/* OBJECT <sub> key: shared lookup. A missing key replies null. Does not
 * touch the key: inspecting it must not change its idle time. */
static struct kv *
object_lookup(struct cmd_ctx *c)
{
    /* counted, but no "keymiss" event: Redis's LOOKUP_NONOTIFY */
    struct kv *e = ks_lookup(c->sh->ks, slot_of_sv(c->argv[2]), c->argv[2], c->now_ms, KS_LOOKUP_NOTOUCH);
    ks_note_hit(c->sh->ks, e != NULL);
    if (e == NULL)
        reply_null(c->r);
    return e;
}

static void
cmd_object_encoding(struct cmd_ctx *c)
{
    struct kv *e = object_lookup(c);
    if (e != NULL)
        reply_bulk_cstr(c->r, kv_encoding_name(e));
}

static void
cmd_object_refcount(struct cmd_ctx *c)
{
    struct kv *e = object_lookup(c);
    if (e == NULL)
        return;
    long long v;
    bool shared = kv_str_int(e, &v) && v >= 0 && v < SHARED_INTEGERS;
    reply_int(c->r, shared ? INT_MAX : 1);
}

static void
cmd_object_idletime(struct cmd_ctx *c)
{
    struct kv *e = object_lookup(c);
    if (e == NULL)
        return;
    if (lfu_policy()) {
        reply_error(c->r, "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that "
                          "when switching between policies at runtime LRU and LFU data will take some time "
                          "to adjust.");
        return;
    }
    reply_int(c->r, (long long)kv_idle_seconds(e, c->now_ms));
}

static void
cmd_object_freq(struct cmd_ctx *c)
{
    struct kv *e = object_lookup(c);
    if (e == NULL)
        return;
    if (!lfu_policy()) {
        reply_error(c->r, "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please "
                          "note that when switching between policies at runtime LRU and LFU data will take "
                          "some time to adjust.");
        return;
    }
    reply_int(c->r, kv_freq(e));
}

static void
reply_help(struct reply *r, const char *const *lines, size_t n)
{
    reply_array(r, (long)n);
    for (size_t i = 0; i < n; i++)
        reply_simple(r, lines[i]);
}

static void
cmd_object_help(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c->r, lines, ARRAY_SIZE(lines));
}

/* Container procs run only for a subcommand the table does not know. */
static void
cmd_container_unknown(struct cmd_ctx *c)
{
    cmd_reply_unknown_sub(c);
}

/* ---- MEMORY ---- */

/* MEMORY USAGE key [SAMPLES n]: bytes of the entry and its value as the
 * allocator reports them. SAMPLES is validated (Redis samples aggregate
 * types) but strings are measured exactly. */
static void
cmd_memory_usage(struct cmd_ctx *c)
{
    for (int j = 3; j < c->argc; j++) {
        if (sv_eq_ci(c->argv[j], "samples") && j + 1 < c->argc) {
            long long n;
            if (!ts_str_to_ll(c->argv[j + 1].ptr, c->argv[j + 1].len, &n)) {
                reply_error(c->r, ERR_NOT_INT);
                return;
            }
            if (n < 0) {
                reply_error(c->r, ERR_SYNTAX);
                return;
            }
            j++;
        } else {
            reply_error(c->r, ERR_SYNTAX);
            return;
        }
    }
    struct sv key = c->argv[2];
    struct kv *e = ks_lookup(c->sh->ks, slot_of_sv(key), key, c->now_ms, KS_LOOKUP_NOTOUCH);
    if (e == NULL) {
        reply_null(c->r);
        return;
    }
    reply_int(c->r, (long long)kv_mem_usage(e));
}

static void
cmd_memory_help(struct cmd_ctx *c)
{
    static const char *const lines[] = {
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DOCTOR",
        "    Return memory problems reports.",
        "MALLOC-STATS",
        "    Return internal statistics report from the memory allocator.",
        "PURGE",
        "    Attempt to purge dirty pages for reclamation by the allocator.",
        "STATS",
        "    Return information about the memory usage of the server.",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c->r, lines, ARRAY_SIZE(lines));
}

/* ---- Tables ---- */

static const struct cmd_def object_subs[] = {
    {.name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .route = ROUTE_LOCAL,
     .proc = cmd_object_help, .acl = "keyspace slow", .group = "generic", .since = "6.2.0",
     .summary = "Show helpful text about the different subcommands"},
    {.name = "freq", .arity = 3, .flags = CMD_READONLY, .route = ROUTE_KEYS, .first_key = 2, .last_key = 2,
     .key_step = 1, .proc = cmd_object_freq, .acl = "keyspace read slow", .group = "generic",
     .since = "4.0.0", .summary = "Get the logarithmic access frequency counter of a Redis object",
     .ks_flags = "RO"},
    {.name = "idletime", .arity = 3, .flags = CMD_READONLY, .route = ROUTE_KEYS, .first_key = 2,
     .last_key = 2, .key_step = 1, .proc = cmd_object_idletime, .acl = "keyspace read slow",
     .group = "generic", .since = "2.2.3", .summary = "Get the time since a Redis object was last accessed",
     .ks_flags = "RO"},
    {.name = "encoding", .arity = 3, .flags = CMD_READONLY, .route = ROUTE_KEYS, .first_key = 2,
     .last_key = 2, .key_step = 1, .proc = cmd_object_encoding, .acl = "keyspace read slow",
     .group = "generic", .since = "2.2.3", .summary = "Inspect the internal encoding of a Redis object",
     .ks_flags = "RO"},
    {.name = "refcount", .arity = 3, .flags = CMD_READONLY, .route = ROUTE_KEYS, .first_key = 2,
     .last_key = 2, .key_step = 1, .proc = cmd_object_refcount, .acl = "keyspace read slow",
     .group = "generic", .since = "2.2.3", .summary = "Get the number of references to the value of the key",
     .ks_flags = "RO"},
    {.name = NULL},
};

static const struct cmd_def memory_subs[] = {
    {.name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .route = ROUTE_LOCAL,
     .proc = cmd_memory_help, .acl = "slow", .group = "server", .since = "4.0.0",
     .summary = "Show helpful text about the different subcommands"},
    {.name = "stats", .arity = 2, .flags = 0, .route = ROUTE_LOCAL, .proc = cmd_memory_stats, .acl = "slow",
     .group = "server", .since = "4.0.0", .summary = "Show memory usage details"},
    {.name = "usage", .arity = -3, .flags = CMD_READONLY, .route = ROUTE_KEYS, .first_key = 2, .last_key = 2,
     .key_step = 1, .proc = cmd_memory_usage, .acl = "read slow", .group = "server", .since = "4.0.0",
     .summary = "Estimate the memory usage of a key", .ks_flags = "RO"},
    {.name = NULL},
};

/* COMMAND GETKEYSANDFLAGS per key (cmd_def.key_flags): Redis gives the
 * source and the target of RENAME, RENAMENX and COPY different key specs. */
static const char *
rename_key_flags(int argc, const struct sv *argv, int nth)
{
    (void)argc;
    (void)argv;
    return nth == 0 ? "RW ACCESS DELETE" : "OW UPDATE";
}

static const char *
renamenx_key_flags(int argc, const struct sv *argv, int nth)
{
    (void)argc;
    (void)argv;
    return nth == 0 ? "RW ACCESS DELETE" : "OW INSERT";
}

static const char *
copy_key_flags(int argc, const struct sv *argv, int nth)
{
    (void)argc;
    (void)argv;
    return nth == 0 ? "RO ACCESS" : "OW UPDATE";
}

static const struct cmd_def key_cmds[] = {
    {.name = "del", .arity = -2, .flags = CMD_WRITE, .route = ROUTE_KEYS, .first_key = 1, .last_key = -1,
     .key_step = 1, .proc = cmd_del, .acl = "keyspace write slow", .group = "generic", .since = "1.0.0",
     .summary = "Delete a key", .ks_flags = "RM DELETE", .tx = &t_del_tx},
    {.name = "unlink", .arity = -2, .flags = CMD_WRITE | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = -1, .key_step = 1, .proc = cmd_del, .acl = "keyspace write fast", .group = "generic",
     .since = "4.0.0",
     .summary = "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
     .ks_flags = "RM DELETE", .tx = &t_del_tx},
    {.name = "exists", .arity = -2, .flags = CMD_READONLY | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = -1, .key_step = 1, .proc = cmd_exists, .acl = "keyspace read fast", .group = "generic",
     .since = "1.0.0", .summary = "Determine if a key exists", .ks_flags = "RO", .tx = &t_exists_tx},
    {.name = "touch", .arity = -2, .flags = CMD_READONLY | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = -1, .key_step = 1, .proc = cmd_touch, .acl = "keyspace read fast", .group = "generic",
     .since = "3.2.1",
     .summary = "Alters the last access time of a key(s). Returns the number of existing keys specified.",
     .ks_flags = "RO", .tx = &t_touch_tx},
    {.name = "expire", .arity = -3, .flags = CMD_WRITE | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_expire, .acl = "keyspace write fast", .group = "generic",
     .since = "1.0.0", .summary = "Set a key's time to live in seconds", .ks_flags = "RW UPDATE"},
    {.name = "pexpire", .arity = -3, .flags = CMD_WRITE | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_pexpire, .acl = "keyspace write fast", .group = "generic",
     .since = "2.6.0", .summary = "Set a key's time to live in milliseconds", .ks_flags = "RW UPDATE"},
    {.name = "expireat", .arity = -3, .flags = CMD_WRITE | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_expireat, .acl = "keyspace write fast", .group = "generic",
     .since = "1.2.0", .summary = "Set the expiration for a key as a UNIX timestamp", .ks_flags = "RW UPDATE"},
    {.name = "pexpireat", .arity = -3, .flags = CMD_WRITE | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_pexpireat, .acl = "keyspace write fast", .group = "generic",
     .since = "2.6.0", .summary = "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
     .ks_flags = "RW UPDATE"},
    {.name = "expiretime", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_expiretime, .acl = "keyspace read fast", .group = "generic",
     .since = "7.0.0", .summary = "Get the expiration Unix timestamp for a key", .ks_flags = "RO ACCESS"},
    {.name = "pexpiretime", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_pexpiretime, .acl = "keyspace read fast", .group = "generic",
     .since = "7.0.0", .summary = "Get the expiration Unix timestamp for a key in milliseconds",
     .ks_flags = "RO ACCESS"},
    {.name = "ttl", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_ttl, .acl = "keyspace read fast", .group = "generic",
     .since = "1.0.0", .summary = "Get the time to live for a key in seconds", .ks_flags = "RO ACCESS"},
    {.name = "pttl", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_pttl, .acl = "keyspace read fast", .group = "generic",
     .since = "2.6.0", .summary = "Get the time to live for a key in milliseconds", .ks_flags = "RO ACCESS"},
    {.name = "persist", .arity = 2, .flags = CMD_WRITE | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_persist, .acl = "keyspace write fast", .group = "generic",
     .since = "2.2.0", .summary = "Remove the expiration from a key", .ks_flags = "RW UPDATE"},
    {.name = "type", .arity = 2, .flags = CMD_READONLY | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 1, .key_step = 1, .proc = cmd_type, .acl = "keyspace read fast", .group = "generic",
     .since = "1.0.0", .summary = "Determine the type stored at key", .ks_flags = "RO"},
    {.name = "rename", .arity = 3, .flags = CMD_WRITE, .route = ROUTE_KEYS, .first_key = 1, .last_key = 2,
     .key_step = 1, .proc = cmd_rename, .acl = "keyspace write slow", .group = "generic", .since = "1.0.0",
     .summary = "Rename a key", .ks_flags = "RW ACCESS DELETE", .key_flags = rename_key_flags,
     .tx = &t_rename_tx},
    {.name = "renamenx", .arity = 3, .flags = CMD_WRITE | CMD_FAST, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 2, .key_step = 1, .proc = cmd_renamenx, .acl = "keyspace write fast", .group = "generic",
     .since = "1.0.0", .summary = "Rename a key, only if the new key does not exist",
     .ks_flags = "RW ACCESS DELETE", .key_flags = renamenx_key_flags, .tx = &t_renamenx_tx},
    {.name = "copy", .arity = -3, .flags = CMD_WRITE | CMD_DENYOOM, .route = ROUTE_KEYS, .first_key = 1,
     .last_key = 2, .key_step = 1, .proc = cmd_copy, .acl = "keyspace write slow", .group = "generic",
     .since = "6.2.0", .summary = "Copy a key", .ks_flags = "RO ACCESS", .key_flags = copy_key_flags, .tx = &t_copy_tx},
    {.name = "object", .arity = -2, .flags = CMD_CONTAINER, .route = ROUTE_LOCAL,
     .proc = cmd_container_unknown, .subcommands = object_subs, .acl = "slow", .group = "generic",
     .since = "2.2.3", .summary = "A container for object introspection commands"},
    {.name = "memory", .arity = -2, .flags = CMD_CONTAINER, .route = ROUTE_LOCAL,
     .proc = cmd_container_unknown, .subcommands = memory_subs, .acl = "slow", .group = "server",
     .since = "4.0.0", .summary = "A container for memory diagnostics commands"},
    {.name = NULL},
};

const struct cmd_def *
t_keys_table(void)
{
    return key_cmds;
}

void
t_keys_register(void)
{
    cmd_register_table(key_cmds);
}
