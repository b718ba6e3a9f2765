/* cmd_server.c: connection and server commands that need no keys: PING,
 * ECHO, QUIT, RESET, SELECT, HELLO, AUTH, TIME, LASTSAVE, SHUTDOWN and
 * DEBUG. They run on the client's own worker (ROUTE_LOCAL); the exceptions
 * are DEBUG OBJECT, which hands itself to the worker owning the key's slot
 * (cmd_forward), and DEBUG POPULATE, which fans out so each worker inserts
 * the keys of its own slots.
 *
 * Reply texts are those of redis-server 7.0.15. */
#include "core/server_cmds.h"

#include "core/config.h"
#include "core/digest.h"
#include "core/keyspace.h"
#include "core/multi.h"
#include "core/obj.h"
#include "core/pubsub.h"
#include "core/server.h"
#include "core/shard.h"
#include "core/slot.h"
#include "core/slot_move.h"
#include "core/slotmap.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* ---- Shared helpers ---- */

void
server_reply_help(struct reply *r, const char *name_upper, const char *const *lines)
{
    long n = 0;
    while (lines[n])
        n++;
    reply_array(r, n + 3);
    char head[128];
    snprintf(head, sizeof(head), "%s <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", name_upper);
    reply_simple(r, head);
    for (long i = 0; i < n; i++)
        reply_simple(r, lines[i]);
    reply_simple(r, "HELP");
    reply_simple(r, "    Prints this help.");
}

void
server_container_proc(struct cmd_ctx *c)
{
    const struct cmd_def *parent = c->cmd;
    if (c->argc < 2) {
        reply_wrong_args(c->r, parent->name);
        return;
    }
    const struct cmd_def *sub = cmd_lookup_sub(parent, c->argv[1]);
    if (sub == NULL) {
        cmd_reply_unknown_sub(c);
        return;
    }
    if (!cmd_arity_ok(sub, c->argc)) {
        char full[96];
        snprintf(full, sizeof(full), "%s|%s", parent->name, sub->name);
        reply_wrong_args(c->r, full);
        return;
    }
    c->cmd = sub;
    sub->proc(c);
}

/* ---- PING ECHO QUIT RESET TIME LASTSAVE ---- */

static void
cmd_ping(struct cmd_ctx *c)
{
    if (c->argc > 2) {
        reply_wrong_args(c->r, "ping");
        return;
    }
    if ((c->cflags & CL_PUBSUB) && c->r->resp == 2) {
        /* RESP2 subscribed context: an array, as Redis answers there */
        reply_array(c->r, 2);
        reply_bulk(c->r, "pong", 4);
        reply_bulk(c->r, c->argc == 2 ? c->argv[1].ptr : "", c->argc == 2 ? c->argv[1].len : 0);
        return;
    }
    if (c->argc == 2)
        reply_bulk(c->r, c->argv[1].ptr, c->argv[1].len);
    else
        reply_simple(c->r, "PONG");
}

static void
cmd_echo(struct cmd_ctx *c)
{
    reply_bulk(c->r, c->argv[1].ptr, c->argv[1].len);
}

/* QUIT: +OK, then the runtime closes the connection once it is flushed. */
static void
cmd_quit(struct cmd_ctx *c)
{
    if (c->cl)
        c->cl->flags |= CL_CLOSE_AFTER_REPLY;
    reply_ok(c->r);
}

/* RESET: back to a fresh connection's state (RESP2, db 0, no name, replies
 * on, not a monitor, no subscriptions, not authenticated when a password is
 * required). */
static void
cmd_reset(struct cmd_ctx *c)
{
    struct client *cl = c->cl;
    if (cl) {
        if (cl->flags & CL_MONITOR)
            monitor_client_closed(cl);
        pubsub_client_clear(c->sh, cl);
        multi_client_clear(c->sh, cl);
        cl->flags &= ~(uint32_t)(CL_NO_TOUCH | CL_NO_EVICT | CL_ASKING | CL_READONLY | CL_MONITOR);
        if (g_cfg.requirepass && g_cfg.requirepass[0])
            cl->flags &= ~(uint32_t)CL_AUTHENTICATED;
        cl->reply_mode = REPLY_ON;
        cl->db = 0;
        cl->resp = 2;
        ts_free(cl->name);
        cl->name = NULL;
        c->r->resp = 2;
    }
    reply_simple(c->r, "RESET");
}

static void
cmd_time(struct cmd_ctx *c)
{
    int64_t us = ts_ustime();
    reply_array(c->r, 2);
    reply_bulk_ll(c->r, us / 1000000);
    reply_bulk_ll(c->r, us % 1000000);
}

static void
cmd_lastsave(struct cmd_ctx *c)
{
    reply_int(c->r, __atomic_load_n(&g_server.lastsave, __ATOMIC_RELAXED));
}

/* ---- SELECT ---- */

/* Only database 0 exists. Cluster mode refuses any other index with Redis's
 * text; standalone mode refuses out-of-range indexes with Redis's text and
 * in-range ones with an honest Tessera message. */
static void
cmd_select(struct cmd_ctx *c)
{
    long long id;
    if (!ts_str_to_ll(c->argv[1].ptr, c->argv[1].len, &id) || id < -2147483648LL || id > 2147483647LL) {
        reply_error(c->r, ERR_NOT_INT);
        return;
    }
    if (g_server.cluster_mode && id != 0) {
        reply_error(c->r, "ERR SELECT is not allowed in cluster mode");
        return;
    }
    if (id < 0 || id >= g_cfg.databases) {
        reply_error(c->r, "ERR DB index is out of range");
        return;
    }
    if (id != 0) {
        reply_error(c->r, "ERR Tessera serves database 0 only");
        return;
    }
    if (c->cl)
        c->cl->db = 0;
    reply_ok(c->r);
}

/* ---- AUTH / HELLO ---- */

/* Length-independent comparison so response time does not leak how much of
 * the password matched. */
static bool
auth_secure_eq(const char *a, size_t alen, const char *b, size_t blen)
{
    unsigned char diff = (unsigned char)(alen != blen);
    size_t n = TS_MAX(alen, blen);
    for (size_t i = 0; i < n; i++) {
        unsigned char x = i < alen ? (unsigned char)a[i] : 0;
        unsigned char y = i < blen ? (unsigned char)b[i] : 0;
        diff |= x ^ y;
    }
    return diff == 0;
}

/* Check user/password against the default user: with no requirepass the
 * default user is "nopass", so any password is accepted for it. */
static bool
auth_check(struct sv user, struct sv pass)
{
    if (user.len != 7 || memcmp(user.ptr, "default", 7) != 0) /* user names are case-sensitive */
        return false;
    const char *rp = g_cfg.requirepass;
    if (rp == NULL || rp[0] == '\0')
        return true;
    return auth_secure_eq(pass.ptr, pass.len, rp, strlen(rp));
}

static void
cmd_auth(struct cmd_ctx *c)
{
    if (c->argc > 3) {
        reply_error(c->r, ERR_SYNTAX);
        return;
    }
    struct sv user = { "default", 7 };
    struct sv pass = c->argv[1];
    if (c->argc == 2) {
        if (g_cfg.requirepass == NULL || g_cfg.requirepass[0] == '\0') {
            reply_error(c->r, "ERR AUTH <password> called without any password configured for the default "
                              "user. Are you sure your configuration is correct?");
            return;
        }
    } else {
        user = c->argv[1];
        pass = c->argv[2];
    }
    if (!auth_check(user, pass)) {
        reply_error(c->r, "WRONGPASS invalid username-password pair or user is disabled.");
        return;
    }
    if (c->cl)
        c->cl->flags |= CL_AUTHENTICATED;
    reply_ok(c->r);
}

/* HELLO [protover [AUTH user pass] [SETNAME name]]: switch protocol,
 * authenticate and name the connection in one step, then describe the
 * server in the (new) protocol. Options are validated before anything
 * changes, as Redis does. */
static void
cmd_hello(struct cmd_ctx *c)
{
    long long ver = 0;
    int j = 1;
    if (c->argc >= 2) {
        if (!ts_str_to_ll(c->argv[1].ptr, c->argv[1].len, &ver)) {
            reply_error(c->r, "ERR Protocol version is not an integer or out of range");
            return;
        }
        if (ver < 2 || ver > 3) {
            reply_error(c->r, "NOPROTO unsupported protocol version");
            return;
        }
        j = 2;
    }
    struct sv user = { NULL, 0 }, pass = { NULL, 0 }, name = { NULL, 0 };
    bool have_auth = false, have_name = false;
    for (; j < c->argc; j++) {
        int left = c->argc - j - 1;
        if (sv_eq_ci(c->argv[j], "AUTH") && left >= 2) {
            user = c->argv[j + 1];
            pass = c->argv[j + 2];
            have_auth = true;
            j += 2;
        } else if (sv_eq_ci(c->argv[j], "SETNAME") && left >= 1) {
            name = c->argv[j + 1];
            have_name = true;
            j += 1;
        } else {
            reply_errorf(c->r, "ERR Syntax error in HELLO option '%.*s'", (int)TS_MIN(c->argv[j].len, 128),
                         c->argv[j].ptr);
            return;
        }
    }
    if (have_auth && !auth_check(user, pass)) {
        reply_error(c->r, "WRONGPASS invalid username-password pair or user is disabled.");
        return;
    }
    if (have_name) {
        for (size_t i = 0; i < name.len; i++) {
            if (name.ptr[i] < '!' || name.ptr[i] > '~') {
                reply_error(c->r, "ERR Client names cannot contain spaces, newlines or special characters.");
                return;
            }
        }
    }
    struct client *cl = c->cl;
    if (cl) {
        if (have_auth)
            cl->flags |= CL_AUTHENTICATED;
        if (have_name) {
            ts_free(cl->name);
            cl->name = name.len ? ts_strndup(name.ptr, name.len) : NULL;
        }
        if (ver)
            cl->resp = (uint8_t)ver;
        c->r->resp = cl->resp;
    } else if (ver) {
        c->r->resp = (uint8_t)ver;
    }
    reply_map(c->r, 7);
    reply_bulk_cstr(c->r, "server");
    reply_bulk_cstr(c->r, "redis");
    reply_bulk_cstr(c->r, "version");
    reply_bulk_cstr(c->r, TESSERA_REDIS_VERSION);
    reply_bulk_cstr(c->r, "proto");
    reply_int(c->r, c->r->resp);
    reply_bulk_cstr(c->r, "id");
    reply_int(c->r, (long long)(cl ? cl->id : c->client_id));
    reply_bulk_cstr(c->r, "mode");
    reply_bulk_cstr(c->r, g_server.cluster_mode ? "cluster" : "standalone");
    reply_bulk_cstr(c->r, "role");
    reply_bulk_cstr(c->r, "master");
    reply_bulk_cstr(c->r, "modules");
    reply_array(c->r, 0);
}

/* ---- SHUTDOWN ---- */

/* SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]. On success there is no
 * reply: the runtime flushes and closes every connection and exits. Tessera
 * never has a shutdown waiting for replicas, so ABORT always fails, and it
 * has no persistence yet, so SAVE is an error. */
static void
cmd_shutdown(struct cmd_ctx *c)
{
    int flags = SHUTDOWN_NOFLAGS;
    bool abort_req = false;
    for (int j = 1; j < c->argc; j++) {
        struct sv a = c->argv[j];
        if (sv_eq_ci(a, "nosave"))
            flags |= SHUTDOWN_NOSAVE;
        else if (sv_eq_ci(a, "save"))
            flags |= SHUTDOWN_SAVE;
        else if (sv_eq_ci(a, "now"))
            flags |= SHUTDOWN_NOW;
        else if (sv_eq_ci(a, "force"))
            flags |= SHUTDOWN_FORCE;
        else if (sv_eq_ci(a, "abort"))
            abort_req = true;
        else {
            reply_error(c->r, ERR_SYNTAX);
            return;
        }
    }
    if ((abort_req && flags != SHUTDOWN_NOFLAGS) ||
        ((flags & SHUTDOWN_NOSAVE) && (flags & SHUTDOWN_SAVE))) {
        reply_error(c->r, ERR_SYNTAX);
        return;
    }
    if (abort_req) {
        reply_error(c->r, "ERR No shutdown in progress.");
        return;
    }
    /* Nothing can be saved yet: SAVE (FORCE or not) is refused and the
     * server keeps running, rather than exiting as if the data were safe.
     * Plain SHUTDOWN saves nothing, since no save rule can be set. */
    if (flags & SHUTDOWN_SAVE) {
        reply_error(c->r, "ERR SHUTDOWN SAVE is not supported by Tessera yet (no persistence): use SHUTDOWN NOSAVE");
        return;
    }
    g_rt.shutdown(flags);
}

/* ---- DEBUG ---- */

static const char *const debug_help[] = {
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "MOVESLOT <slot> <worker>",
    "    (Tessera) Move a hash slot with its keys to a worker thread; replies",
    "    [keys moved, microseconds] once it is there.",
    "    Output a hex signature of the values of all the specified keys.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "SLOTWORKER <slot>",
    "    (Tessera) The worker thread that owns a hash slot.",
    NULL,
};

/* Bytes an RDB file would use for a string value: integers that fit 8, 16
 * or 32 bits are stored as such, other strings as length + bytes (without
 * LZF, which Tessera's estimate ignores). */
static size_t
debug_rdb_str_len(const struct kv *e)
{
    long long v;
    if (kv_str_int(e, &v)) {
        if (v >= -128 && v <= 127)
            return 2;
        if (v >= -32768 && v <= 32767)
            return 3;
        if (v >= -2147483648LL && v <= 2147483647LL)
            return 5;
    }
    size_t n = kv_str_len(e);
    size_t hdr = n < 64 ? 1 : n < 16384 ? 2 : n <= 0xffffffffu ? 5 : 9;
    return hdr + n;
}

/* DEBUG OBJECT key runs where the key lives: the first call (on the
 * client's worker) forwards itself to the slot's owner if that is another
 * worker; there the same proc finds it owns the slot and answers. */
static void
debug_object(struct cmd_ctx *c)
{
    uint16_t slot = slot_of_sv(c->argv[2]);
    if (slot_move_where(c->sh->id, slot) != SLOT_MOVE_RUN) {
        cmd_forward_slot(c, slot);
        return;
    }
    struct kv *e = ks_lookup(c->sh->ks, slot, c->argv[2], c->now_ms, KS_LOOKUP_NOTOUCH);
    if (e == NULL) {
        reply_error(c->r, ERR_NO_KEY);
        return;
    }
    uint64_t idle = kv_idle_seconds(e, c->now_ms);
    unsigned lru = (unsigned)((uint64_t)(c->now_ms / 1000 - (int64_t)idle) & ((1u << 24) - 1));
    size_t ser;
    const struct obj_ops *t = obj_ops_of(kv_type(e));
    if (t) {
        struct ts_buf b = {0};
        t->rdb_save(kv_obj(e), &b);
        ser = b.len;
        ts_buf_free(&b);
    } else {
        ser = debug_rdb_str_len(e);
    }
    char buf[256];
    snprintf(buf, sizeof(buf), "Value at:%p refcount:1 encoding:%s serializedlength:%zu lru:%u lru_seconds_idle:%llu",
             (const void *)e, kv_encoding_name(e), ser, lru, (unsigned long long)idle);
    reply_simple(c->r, buf);
}

struct populate_state {
    unsigned long long count;
    size_t size;     /* 0 = "value:<n>" as is */
    char *prefix;
};

/* Each worker walks the whole index range and inserts the keys whose slot
 * it owns, skipping keys that already exist (as Redis). */
static void
populate_each(struct shard *sh, void *arg, int worker)
{
    struct populate_state *st = arg;
    size_t plen = strlen(st->prefix);
    char *key = ts_malloc(plen + 32);
    char vbuf[64];
    char *val = st->size > sizeof(vbuf) ? ts_calloc(1, st->size) : NULL;
    int64_t now = ts_mstime();
    for (unsigned long long j = 0; j < st->count; j++) {
        int klen = snprintf(key, plen + 32, "%s:%llu", st->prefix, j);
        struct sv k = { key, (size_t)klen };
        uint16_t slot = slot_of_sv(k);
        if (slotmap_worker(slot) != worker)
            continue;
        if (ks_lookup(sh->ks, slot, k, now, KS_LOOKUP_NOTOUCH | KS_LOOKUP_NOEXPIRE))
            continue;
        int vlen = snprintf(vbuf, sizeof(vbuf), "value:%llu", j);
        struct sv v = { vbuf, (size_t)vlen };
        if (st->size) {
            /* Redis: exactly size bytes, the "value:<n>" text zero-padded or cut. */
            char *dst = val ? val : vbuf;
            if (val) {
                memset(val, 0, st->size);
                memcpy(val, vbuf, TS_MIN((size_t)vlen, st->size));
            } else if ((size_t)vlen < st->size) {
                memset(vbuf + vlen, 0, st->size - (size_t)vlen);
            }
            v.ptr = dst;
            v.len = st->size;
        }
        ks_set_str(sh->ks, slot, k, v, KS_EXPIRE_NONE);
    }
    ts_free(val);
    ts_free(key);
}

static void
populate_done(void *arg, struct reply *r, struct client *cl)
{
    reply_ok(r);
}

static void
populate_free(void *arg)
{
    struct populate_state *st = arg;
    ts_free(st->prefix);
    ts_free(st);
}

/* ---- DEBUG DIGEST / DIGEST-VALUE ----
 * Each worker digests the keys it owns (digest.h: XOR commutes, so the
 * parts combine in any order); DIGEST-VALUE's keys are answered by the
 * workers owning their slots, each writing only its own keys' results. */
struct digest_state {
    int nkeys;            /* DIGEST-VALUE: keys to digest; 0 for DIGEST */
    char **keys;
    size_t *klens;
    uint8_t (*vals)[20];  /* DIGEST-VALUE: one per key */
    uint8_t part[MAX_WORKERS][20]; /* DIGEST: each worker's XOR of key digests */
    uint64_t count[MAX_WORKERS];
};

static void
digest_visit(void *arg, const struct kv *e)
{
    uint8_t *acc = arg, d[20];
    digest_key(e, d);
    digest_xor(acc, d, 20); /* acc ^= SHA1(key digest) */
}

static void
digest_each(struct shard *sh, void *arg, int worker)
{
    struct digest_state *st = arg;
    if (st->nkeys == 0) {
        for (uint32_t slot = 0; slot < CLUSTER_SLOTS; slot++)
            if (ks_count_slot(sh->ks, (uint16_t)slot))
                st->count[worker] += ks_slot_keys(sh->ks, (uint16_t)slot, SIZE_MAX, digest_visit, st->part[worker]);
        return;
    }
    for (int i = 0; i < st->nkeys; i++) {
        struct sv k = {st->keys[i], st->klens[i]};
        uint16_t slot = slot_of_sv(k);
        if (slotmap_worker(slot) != worker)
            continue;
        /* logically expired keys too, as Redis's debug lookup */
        struct kv *e = ks_lookup(sh->ks, slot, k, sh->now_ms, KS_LOOKUP_NOTOUCH | KS_LOOKUP_NOEXPIRE);
        if (e)
            digest_value(e, st->vals[i]);
    }
}

static void
digest_done(void *arg, struct reply *r, struct client *cl)
{
    struct digest_state *st = arg;
    char hex[41];
    if (st->nkeys == 0) {
        uint8_t final[20] = {0};
        uint64_t total = 0;
        for (int w = 0; w < cmd_nworkers(); w++) {
            total += st->count[w];
            for (int i = 0; i < 20; i++)
                final[i] ^= st->part[w][i];
        }
        if (total) {
            /* the database id is mixed in before its keys' digests */
            uint8_t db[20] = {0};
            uint32_t id = 0;
            digest_mix(db, &id, sizeof(id));
            for (int i = 0; i < 20; i++)
                final[i] ^= db[i];
        }
        digest_hex(final, hex);
        reply_simple(r, hex);
        return;
    }
    reply_array(r, st->nkeys);
    for (int i = 0; i < st->nkeys; i++) {
        digest_hex(st->vals[i], hex);
        reply_simple(r, hex);
    }
}

static void
digest_free(void *arg)
{
    struct digest_state *st = arg;
    for (int i = 0; i < st->nkeys; i++)
        ts_free(st->keys[i]);
    ts_free(st->keys);
    ts_free(st->klens);
    ts_free(st->vals);
    ts_free(st);
}

static void
debug_digest(struct cmd_ctx *c, bool values)
{
    struct digest_state *st = ts_calloc(1, sizeof(*st));
    if (values) {
        st->nkeys = c->argc - 2;
        st->keys = ts_calloc((size_t)st->nkeys + 1, sizeof(char *));
        st->klens = ts_calloc((size_t)st->nkeys + 1, sizeof(size_t));
        st->vals = ts_calloc((size_t)st->nkeys + 1, 20);
        for (int i = 0; i < st->nkeys; i++) {
            st->keys[i] = ts_strndup(c->argv[2 + i].ptr, c->argv[2 + i].len);
            st->klens[i] = c->argv[2 + i].len;
        }
        if (st->nkeys == 0) { /* DEBUG DIGEST-VALUE with no keys: an empty array */
            digest_free(st);
            reply_array(c->r, 0);
            return;
        }
    }
    cmd_fanout(c, st, digest_each, digest_done, digest_free);
}

static bool
debug_parse_positive(struct cmd_ctx *c, struct sv a, long long *out)
{
    if (!ts_str_to_ll(a.ptr, a.len, out) || *out < 0) {
        reply_error(c->r, "ERR value is out of range, must be positive");
        return false;
    }
    return true;
}

static void
debug_populate(struct cmd_ctx *c)
{
    long long count, size = 0;
    if (!debug_parse_positive(c, c->argv[2], &count))
        return;
    if (c->argc >= 5 && !debug_parse_positive(c, c->argv[4], &size))
        return;
    struct populate_state *st = ts_calloc(1, sizeof(*st));
    st->count = (unsigned long long)count;
    st->size = (size_t)size;
    st->prefix = c->argc >= 4 ? ts_strndup(c->argv[3].ptr, c->argv[3].len) : ts_strdup("key");
    cmd_fanout(c, st, populate_each, populate_done, populate_free);
}

/* DEBUG MOVESLOT (Tessera's; Redis has no worker threads): the reply
 * comes when the slot and its keys are on the worker (slot_move.h). */
static void
debug_moveslot_done(void *arg, uint64_t keys, uint64_t usec)
{
    struct cmd_deferred *d = arg;
    struct ts_buf out = {0};
    struct reply r;
    reply_init(&r, &out, cmd_deferred_resp(d));
    reply_array(&r, 2);
    reply_int(&r, (long long)keys);
    reply_int(&r, (long long)usec);
    cmd_deferred_reply(d, out.data, out.len, false);
    ts_buf_free(&out);
}

static bool
debug_parse_slot(struct cmd_ctx *c, struct sv a, uint16_t *slot)
{
    long long v;
    if (!ts_str_to_ll(a.ptr, a.len, &v) || v < 0 || v >= CLUSTER_SLOTS) {
        reply_error(c->r, "ERR Invalid or out of range slot");
        return false;
    }
    *slot = (uint16_t)v;
    return true;
}

static void
debug_moveslot(struct cmd_ctx *c)
{
    uint16_t slot;
    long long w;
    if (!debug_parse_slot(c, c->argv[2], &slot))
        return;
    if (!ts_str_to_ll(c->argv[3].ptr, c->argv[3].len, &w) || w < 0 || w >= cmd_nworkers()) {
        reply_errorf(c->r, "ERR Invalid worker: this server has %d worker thread(s)", cmd_nworkers());
        return;
    }
    if (c->in_exec) {
        /* the move waits for every transaction in flight, EXEC included:
         * refused before anything is submitted */
        reply_error(c->r, "ERR DEBUG MOVESLOT inside MULTI is not supported by Tessera");
        return;
    }
    struct cmd_deferred *d = cmd_defer(c);
    if (slot_move_submit(&slot, 1, (int)w, debug_moveslot_done, d) < 0) {
        const char *e = "-ERR slot move refused\r\n";
        cmd_deferred_reply(d, e, strlen(e), true);
    }
}

bool
server_debug_allowed(const struct client *cl, struct reply *r)
{
    if (config_protected_action_allowed(__atomic_load_n(&g_cfg.enable_debug_command, __ATOMIC_RELAXED), cl))
        return true;
    reply_error(r, "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you "
                   "can run it from a local connection, otherwise you need to set this option in the "
                   "configuration file, and then restart the server.");
    return false;
}

static void
cmd_debug(struct cmd_ctx *c)
{
    struct sv sub = c->argv[1];
    /* queued in MULTI: checked when it was queued */
    if (!c->in_exec && !server_debug_allowed(c->cl, c->r))
        return;
    if (sv_eq_ci(sub, "help") && c->argc == 2) {
        server_reply_help(c->r, "DEBUG", debug_help);
    } else if (sv_eq_ci(sub, "segfault") && c->argc == 2) {
        raise(SIGSEGV);
        abort(); /* only reached if SIGSEGV is ignored or handled and returned */
    } else if (sv_eq_ci(sub, "sleep") && c->argc == 3) {
        long double secs = 0;
        if (!ts_str_to_ld(c->argv[2].ptr, c->argv[2].len, &secs) || secs < 0)
            secs = 0; /* Redis parses with strtold and no checks: junk sleeps 0 */
        if (secs > 0) {
            struct timespec ts;
            ts.tv_sec = (time_t)secs;
            ts.tv_nsec = (long)((secs - (long double)ts.tv_sec) * 1e9L);
            while (nanosleep(&ts, &ts) != 0) {
            }
        }
        reply_ok(c->r);
    } else if (sv_eq_ci(sub, "set-active-expire") && c->argc == 3) {
        long long v = 0;
        ts_str_to_ll(c->argv[2].ptr, c->argv[2].len, &v);
        __atomic_store_n(&g_active_expire_enabled, v ? 1 : 0, __ATOMIC_RELAXED);
        reply_ok(c->r);
    } else if (sv_eq_ci(sub, "digest") && c->argc == 2) {
        debug_digest(c, false);
    } else if (sv_eq_ci(sub, "digest-value") && c->argc >= 2) {
        debug_digest(c, true);
    } else if (sv_eq_ci(sub, "object") && c->argc == 3) {
        debug_object(c);
    } else if (sv_eq_ci(sub, "populate") && c->argc >= 3 && c->argc <= 5) {
        debug_populate(c);
    } else if (sv_eq_ci(sub, "moveslot") && c->argc == 4) {
        debug_moveslot(c);
    } else if (sv_eq_ci(sub, "slotworker") && c->argc == 3) {
        uint16_t slot;
        if (debug_parse_slot(c, c->argv[2], &slot))
            reply_int(c->r, slotmap_worker(slot));
    } else {
        reply_errorf(c->r, "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try DEBUG HELP.",
                     (int)TS_MIN(sub.len, 128), sub.ptr);
    }
}

/* ---- Table ---- */

#define CONN_FLAGS_NOAUTH (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH | CMD_ALLOW_BUSY)

static const struct cmd_def server_cmds[] = {
    { .name = "ping", .arity = -1, .flags = CMD_FAST | CMD_SUBSCRIBED_OK | CMD_LOCAL_ONLY, .proc = cmd_ping, .acl = "fast connection",
      .group = "connection", .since = "1.0.0", .summary = "Ping the server" },
    { .name = "echo", .arity = 2, .flags = CMD_FAST | CMD_LOCAL_ONLY, .proc = cmd_echo, .acl = "fast connection",
      .group = "connection", .since = "1.0.0", .summary = "Echo the given string" },
    { .name = "quit", .arity = -1, .flags = CONN_FLAGS_NOAUTH | CMD_SUBSCRIBED_OK | CMD_TX_CONTROL, .proc = cmd_quit, .acl = "fast connection",
      .group = "connection", .since = "1.0.0", .summary = "Close the connection" },
    { .name = "reset", .arity = 1, .flags = CONN_FLAGS_NOAUTH | CMD_SUBSCRIBED_OK | CMD_TX_CONTROL, .proc = cmd_reset, .acl = "fast connection",
      .group = "connection", .since = "6.2.0", .summary = "Reset the connection" },
    { .name = "select", .arity = 2, .flags = CMD_LOADING | CMD_STALE | CMD_FAST, .proc = cmd_select,
      .acl = "fast connection", .group = "connection", .since = "1.0.0",
      .summary = "Change the selected database for the current connection" },
    { .name = "auth", .arity = -2, .flags = CONN_FLAGS_NOAUTH, .proc = cmd_auth, .acl = "fast connection",
      .group = "connection", .since = "1.0.0", .summary = "Authenticate to the server" },
    { .name = "hello", .arity = -1, .flags = CONN_FLAGS_NOAUTH, .proc = cmd_hello, .acl = "fast connection",
      .group = "connection", .since = "6.0.0", .summary = "Handshake with Redis" },
    { .name = "time", .arity = 1, .flags = CMD_LOADING | CMD_STALE | CMD_FAST, .proc = cmd_time,
      .acl = "fast", .group = "server", .since = "2.6.0", .summary = "Return the current server time" },
    { .name = "lastsave", .arity = 1, .flags = CMD_LOADING | CMD_STALE | CMD_FAST, .proc = cmd_lastsave,
      .acl = "admin fast dangerous", .group = "server", .since = "1.0.0",
      .summary = "Get the UNIX time stamp of the last successful save to disk" },
    { .name = "shutdown", .arity = -1,
      .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_NO_MULTI | CMD_ALLOW_BUSY,
      .proc = cmd_shutdown, .acl = "admin slow dangerous", .group = "server", .since = "1.0.0",
      .summary = "Synchronously save the dataset to disk and then shut down the server" },
    { .name = "debug", .arity = -2, .flags = CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE,
      .proc = cmd_debug, .acl = "admin slow dangerous", .group = "server", .since = "1.0.0",
      .summary = "A container for debugging commands" },
    { .name = NULL },
};

void
cmd_server_register(void)
{
    cmd_register_table(server_cmds);
}
