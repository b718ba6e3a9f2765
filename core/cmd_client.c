/* cmd_client.c: the CLIENT container command.
 *
 * Subcommands about the calling connection (ID, SETNAME, GETNAME, INFO,
 * REPLY, NO-EVICT, NO-TOUCH, SETINFO) act on ctx->cl directly. LIST and KILL
 * concern every worker's connections, which only their owning worker may
 * touch, so they fan out: each worker formats (or closes) its own clients
 * into its own slot of the state, and the client's worker merges:
 *
 *   proc: parse filters -> state{filters, per_worker[N]}
 *   each(w): walk g_shards[w]->clients -> per_worker[w]
 *   done: merge by client id -> one reply
 *
 * PAUSE/UNPAUSE set the process-wide g_pause atomics the dispatcher reads. */
#include "core/server_cmds.h"

#include "core/server.h"
#include "core/shard.h"

#include <stdio.h>
#include <stdlib.h>

/* ---- Line formatting ---- */

/* Flag letters as Redis prints them; 'N' when none applies. */
static void
client_flag_letters(const struct client *cl, char *out)
{
    char *p = out;
    if (cl->flags & CL_MONITOR)
        *p++ = 'O';
    if ((cl->flags & CL_REPLICA) && !(cl->flags & CL_MONITOR))
        *p++ = 'S';
    if (cl->flags & CL_MASTER)
        *p++ = 'M';
    if (cl->flags & CL_PUBSUB)
        *p++ = 'P';
    if (cl->flags & CL_CLOSE_AFTER_REPLY)
        *p++ = 'c';
    if (cl->flags & CL_CLOSE_ASAP)
        *p++ = 'A';
    if (cl->flags & CL_READONLY)
        *p++ = 'r';
    if (cl->flags & CL_NO_EVICT)
        *p++ = 'e';
    if (cl->flags & CL_NO_TOUCH)
        *p++ = 'T';
    if (p == out)
        *p++ = 'N';
    *p = '\0';
}

void
client_format_line(struct ts_buf *out, const struct client *cl, int64_t now_ms)
{
    char flags[16];
    client_flag_letters(cl, flags);
    size_t qbuf = __atomic_load_n(&cl->qbuf, __ATOMIC_RELAXED);
    size_t qcap = __atomic_load_n(&cl->qbuf_cap, __ATOMIC_RELAXED);
    size_t obl = __atomic_load_n(&cl->obl, __ATOMIC_RELAXED);
    size_t oll = __atomic_load_n(&cl->oll, __ATOMIC_RELAXED);
    size_t omem = __atomic_load_n(&cl->omem, __ATOMIC_RELAXED);
    size_t ocap = __atomic_load_n(&cl->obuf_cap, __ATOMIC_RELAXED);
    int64_t ctime = __atomic_load_n(&cl->ctime_ms, __ATOMIC_RELAXED);
    int64_t last = __atomic_load_n(&cl->last_ms, __ATOMIC_RELAXED);
    const char *cmd = __atomic_load_n(&cl->last_cmd, __ATOMIC_RELAXED);
    const char *sub = __atomic_load_n(&cl->last_sub, __ATOMIC_RELAXED);
    char fullcmd[128];
    if (sub) { /* Redis prints container commands as "client|list" */
        snprintf(fullcmd, sizeof(fullcmd), "%s|%s", cmd, sub);
        cmd = fullcmd;
    }
    int64_t age = ctime > 0 && now_ms > ctime ? (now_ms - ctime) / 1000 : 0;
    int64_t idle = last > 0 && now_ms > last ? (now_ms - last) / 1000 : age;
    /* As Redis: obl is the bytes in the block replies are appended to (its
     * fixed buffer), oll the blocks queued behind it, omem the output memory
     * client-output-buffer-limit is checked against; tot-mem adds the query
     * buffer, the current block and the client struct. */
    size_t totmem = qcap + ocap + omem + sizeof(*cl);
    char line[1024];
    int n = snprintf(line, sizeof(line),
                     "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d sub=%u psub=%u "
                     "ssub=%u multi=-1 qbuf=%zu qbuf-free=%zu argv-mem=0 multi-mem=0 rbs=%zu rbp=%zu obl=%zu "
                     "oll=%zu omem=%zu tot-mem=%zu events=%s cmd=%s user=default redir=-1 resp=%d\n",
                     (unsigned long long)cl->id, cl->addr, cl->laddr, cl->fd, cl->name ? cl->name : "",
                     (long long)age, (long long)idle, flags, cl->db,
                     __atomic_load_n(&cl->sub_channels, __ATOMIC_RELAXED),
                     __atomic_load_n(&cl->sub_patterns, __ATOMIC_RELAXED),
                     __atomic_load_n(&cl->sub_shard, __ATOMIC_RELAXED), qbuf, qcap > qbuf ? qcap - qbuf : 0, ocap,
                     ocap, obl, oll, omem, totmem, (obl || oll) ? "rw" : "r", cmd ? cmd : "NULL", cl->resp ? cl->resp : 2);
    if (n < 0)
        return;
    ts_buf_append(out, line, TS_MIN((size_t)n, sizeof(line) - 1));
}

/* ---- Filters shared by LIST and KILL ---- */

enum client_type { CTYPE_ANY = -1, CTYPE_NORMAL = 0, CTYPE_REPLICA = 1, CTYPE_PUBSUB = 2, CTYPE_MASTER = 3 };

static int
client_type_of(const struct client *cl)
{
    if (cl->flags & CL_MASTER)
        return CTYPE_MASTER;
    if ((cl->flags & CL_REPLICA) && !(cl->flags & CL_MONITOR))
        return CTYPE_REPLICA;
    if (cl->flags & CL_PUBSUB)
        return CTYPE_PUBSUB;
    return CTYPE_NORMAL;
}

static int
client_type_parse(struct sv a)
{
    if (sv_eq_ci(a, "normal"))
        return CTYPE_NORMAL;
    if (sv_eq_ci(a, "slave") || sv_eq_ci(a, "replica"))
        return CTYPE_REPLICA;
    if (sv_eq_ci(a, "pubsub"))
        return CTYPE_PUBSUB;
    if (sv_eq_ci(a, "master"))
        return CTYPE_MASTER;
    return -2;
}

struct client_filter {
    int type;           /* CTYPE_ANY or a type */
    uint64_t *ids;      /* NULL = any */
    int nids;
    char *addr, *laddr; /* NULL = any */
    bool skipme;
    uint64_t me;        /* issuing client's id */
};

static bool
client_filter_match(const struct client_filter *f, const struct client *cl)
{
    if (f->type != CTYPE_ANY && client_type_of(cl) != f->type)
        return false;
    if (f->ids) {
        bool found = false;
        for (int i = 0; i < f->nids && !found; i++)
            found = f->ids[i] == cl->id;
        if (!found)
            return false;
    }
    if (f->addr && strcmp(f->addr, cl->addr) != 0)
        return false;
    if (f->laddr && strcmp(f->laddr, cl->laddr) != 0)
        return false;
    if (f->skipme && cl->id == f->me)
        return false;
    return true;
}

struct client_fanout {
    struct client_filter f;
    bool old_kill;                /* CLIENT KILL addr: +OK / error instead of a count */
    struct ts_buf lines[MAX_WORKERS];
    uint64_t killed[MAX_WORKERS];
};

static void
client_fanout_free(void *arg)
{
    struct client_fanout *st = arg;
    for (int i = 0; i < MAX_WORKERS; i++)
        ts_buf_free(&st->lines[i]);
    ts_free(st->f.ids);
    ts_free(st->f.addr);
    ts_free(st->f.laddr);
    ts_free(st);
}

static struct client_fanout *
client_fanout_create(const struct cmd_ctx *c)
{
    struct client_fanout *st = ts_calloc(1, sizeof(*st));
    st->f.type = CTYPE_ANY;
    st->f.me = c->cl ? c->cl->id : c->client_id;
    return st;
}

/* ---- LIST ---- */

static void
list_each(struct shard *sh, void *arg, int worker)
{
    struct client_fanout *st = arg;
    int64_t now = ts_mstime();
    for (struct client *cl = sh->clients; cl; cl = cl->next_in_worker)
        if (client_filter_match(&st->f, cl))
            client_format_line(&st->lines[worker], cl, now);
}

/* A line's client id, for merging the workers' lists into id order (the
 * order Redis lists connections in). */
static uint64_t
line_id(const char *p)
{
    return strtoull(p + 3, NULL, 10);
}

struct line_ref {
    uint64_t id;
    const char *p;
    size_t n;
};

static int
line_ref_cmp(const void *a, const void *b)
{
    const struct line_ref *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

static void
list_done(void *arg, struct reply *r, struct client *cl)
{
    struct client_fanout *st = arg;
    int nw = cmd_nworkers();
    size_t nlines = 0, total = 0;
    for (int w = 0; w < nw; w++) {
        total += st->lines[w].len;
        for (size_t i = 0; i < st->lines[w].len; i++)
            nlines += st->lines[w].data[i] == '\n';
    }
    struct line_ref *refs = ts_malloc((nlines + 1) * sizeof(*refs));
    size_t k = 0;
    for (int w = 0; w < nw; w++) {
        const char *p = st->lines[w].data, *end = p + st->lines[w].len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = (size_t)(nl - p) + 1;
            refs[k++] = (struct line_ref){ line_id(p), p, n };
            p += n;
        }
    }
    qsort(refs, k, sizeof(*refs), line_ref_cmp);
    struct ts_buf out = { 0 };
    ts_buf_reserve(&out, total + 1);
    for (size_t i = 0; i < k; i++)
        ts_buf_append(&out, refs[i].p, refs[i].n);
    reply_verbatim(r, out.data ? out.data : "", out.len, "txt");
    ts_buf_free(&out);
    ts_free(refs);
}

static void
client_list(struct cmd_ctx *c)
{
    struct client_fanout *st = client_fanout_create(c);
    st->f.skipme = false;
    for (int j = 2; j < c->argc; j++) {
        bool more = j + 1 < c->argc;
        if (sv_eq_ci(c->argv[j], "type") && more) {
            int t = client_type_parse(c->argv[j + 1]);
            if (t == -2) {
                reply_errorf(c->r, "ERR Unknown client type '%.*s'", (int)TS_MIN(c->argv[j + 1].len, 128),
                             c->argv[j + 1].ptr);
                goto fail;
            }
            st->f.type = t;
            j++;
        } else if (sv_eq_ci(c->argv[j], "id") && more) {
            int n = c->argc - j - 1;
            st->f.ids = ts_realloc(st->f.ids, (size_t)(st->f.nids + n) * sizeof(uint64_t));
            for (j = j + 1; j < c->argc; j++) {
                long long id;
                if (!ts_str_to_ll(c->argv[j].ptr, c->argv[j].len, &id) || id <= 0) {
                    reply_error(c->r, "ERR Invalid client ID");
                    goto fail;
                }
                st->f.ids[st->f.nids++] = (uint64_t)id;
            }
        } else {
            reply_error(c->r, ERR_SYNTAX);
            goto fail;
        }
    }
    cmd_fanout(c, st, list_each, list_done, client_fanout_free);
    return;
fail:
    client_fanout_free(st);
}

static void
client_info(struct cmd_ctx *c)
{
    struct ts_buf out = { 0 };
    if (c->cl)
        client_format_line(&out, c->cl, ts_mstime());
    reply_verbatim(c->r, out.data ? out.data : "", out.len, "txt");
    ts_buf_free(&out);
}

/* ---- KILL ---- */

/* Runs on worker w: close its matching clients. The issuing client, when
 * it matches (SKIPME no, or the old form), is closed after its reply
 * instead, so it still gets the answer. */
static void
kill_each(struct shard *sh, void *arg, int worker)
{
    struct client_fanout *st = arg;
    struct client *next;
    for (struct client *cl = sh->clients; cl; cl = next) {
        next = cl->next_in_worker;
        if (!client_filter_match(&st->f, cl))
            continue;
        st->killed[worker]++;
        if (cl->id == st->f.me)
            cl->flags |= CL_CLOSE_AFTER_REPLY;
        else
            g_rt.close_client(cl);
    }
}

static void
kill_done(void *arg, struct reply *r, struct client *cl)
{
    struct client_fanout *st = arg;
    uint64_t n = 0;
    for (int w = 0; w < cmd_nworkers(); w++)
        n += st->killed[w];
    if (st->old_kill) {
        if (n)
            reply_ok(r);
        else
            reply_error(r, "ERR No such client");
    } else {
        reply_int(r, (long long)n);
    }
}

static void
client_kill(struct cmd_ctx *c)
{
    struct client_fanout *st = client_fanout_create(c);
    if (c->argc == 3) {
        st->old_kill = true;
        st->f.addr = ts_strndup(c->argv[2].ptr, c->argv[2].len);
        st->f.skipme = false;
        cmd_fanout(c, st, kill_each, kill_done, client_fanout_free);
        return;
    }
    st->f.skipme = true;
    if ((c->argc - 2) % 2 != 0) {
        reply_error(c->r, ERR_SYNTAX);
        goto fail;
    }
    for (int j = 2; j < c->argc; j += 2) {
        struct sv opt = c->argv[j], val = c->argv[j + 1];
        if (sv_eq_ci(opt, "id")) {
            long long id;
            if (!ts_str_to_ll(val.ptr, val.len, &id) || id <= 0) {
                reply_error(c->r, "ERR client-id should be greater than 0");
                goto fail;
            }
            st->f.ids = ts_realloc(st->f.ids, (size_t)(st->f.nids + 1) * sizeof(uint64_t));
            st->f.ids[0] = (uint64_t)id;
            st->f.nids = 1;
        } else if (sv_eq_ci(opt, "type")) {
            int t = client_type_parse(val);
            if (t == -2) {
                reply_errorf(c->r, "ERR Unknown client type '%.*s'", (int)TS_MIN(val.len, 128), val.ptr);
                goto fail;
            }
            st->f.type = t;
        } else if (sv_eq_ci(opt, "addr")) {
            ts_free(st->f.addr);
            st->f.addr = ts_strndup(val.ptr, val.len);
        } else if (sv_eq_ci(opt, "laddr")) {
            ts_free(st->f.laddr);
            st->f.laddr = ts_strndup(val.ptr, val.len);
        } else if (sv_eq_ci(opt, "user")) {
            /* Only the default user exists and every client is it. */
            if (val.len != 7 || memcmp(val.ptr, "default", 7) != 0) {
                reply_errorf(c->r, "ERR No such user '%.*s'", (int)TS_MIN(val.len, 128), val.ptr);
                goto fail;
            }
        } else if (sv_eq_ci(opt, "skipme")) {
            if (sv_eq_ci(val, "yes"))
                st->f.skipme = true;
            else if (sv_eq_ci(val, "no"))
                st->f.skipme = false;
            else {
                reply_error(c->r, ERR_SYNTAX);
                goto fail;
            }
        } else {
            reply_error(c->r, ERR_SYNTAX);
            goto fail;
        }
    }
    cmd_fanout(c, st, kill_each, kill_done, client_fanout_free);
    return;
fail:
    client_fanout_free(st);
}

/* ---- Per-connection settings ---- */

static void
client_id(struct cmd_ctx *c)
{
    reply_int(c->r, (long long)(c->cl ? c->cl->id : c->client_id));
}

/* Names and library info are shown space-separated by CLIENT LIST, so
 * Redis allows only printable non-space ASCII. */
static bool
client_valid_name(struct sv s)
{
    for (size_t i = 0; i < s.len; i++)
        if (s.ptr[i] < '!' || s.ptr[i] > '~')
            return false;
    return true;
}

static void
client_setname(struct cmd_ctx *c)
{
    struct sv name = c->argv[2];
    if (!client_valid_name(name)) {
        reply_error(c->r, "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    if (c->cl) {
        ts_free(c->cl->name);
        c->cl->name = name.len ? ts_strndup(name.ptr, name.len) : NULL;
    }
    reply_ok(c->r);
}

static void
client_getname(struct cmd_ctx *c)
{
    if (c->cl && c->cl->name)
        reply_bulk_cstr(c->r, c->cl->name);
    else
        reply_null(c->r);
}

static void
client_setinfo(struct cmd_ctx *c)
{
    struct sv attr = c->argv[2], val = c->argv[3];
    char **dst;
    if (sv_eq_ci(attr, "lib-name"))
        dst = c->cl ? &c->cl->lib_name : NULL;
    else if (sv_eq_ci(attr, "lib-ver"))
        dst = c->cl ? &c->cl->lib_ver : NULL;
    else {
        reply_errorf(c->r, "ERR Unrecognized option '%.*s'", (int)TS_MIN(attr.len, 128), attr.ptr);
        return;
    }
    if (!client_valid_name(val)) {
        reply_errorf(c->r, "ERR %s cannot contain spaces, newlines or special characters.",
                     sv_eq_ci(attr, "lib-name") ? "lib-name" : "lib-ver");
        return;
    }
    if (dst) {
        ts_free(*dst);
        *dst = val.len ? ts_strndup(val.ptr, val.len) : NULL;
    }
    reply_ok(c->r);
}

/* CLIENT REPLY: ON answers +OK, also when it is the command a SKIP
 * applies to (REPLY_ON_ACK); OFF and SKIP answer nothing (their own reply
 * is the first one suppressed), and SKIP changes nothing while replies are
 * OFF, as in Redis. The dispatcher applies reply_mode: SKIP_NEXT becomes
 * "skip the next command's reply". */
static void
client_reply(struct cmd_ctx *c)
{
    struct sv a = c->argv[2];
    int mode;
    if (sv_eq_ci(a, "on"))
        mode = REPLY_ON;
    else if (sv_eq_ci(a, "off"))
        mode = REPLY_OFF;
    else if (sv_eq_ci(a, "skip"))
        mode = REPLY_SKIP_NEXT;
    else {
        reply_error(c->r, ERR_SYNTAX);
        return;
    }
    if (mode == REPLY_SKIP_NEXT && c->cl && c->cl->reply_mode == REPLY_OFF)
        return;
    if (c->cl)
        c->cl->reply_mode = (uint8_t)(mode == REPLY_ON ? REPLY_ON_ACK : mode);
    if (mode == REPLY_ON)
        reply_ok(c->r);
}

static void
client_flag_onoff(struct cmd_ctx *c, uint32_t flag)
{
    struct sv a = c->argv[2];
    if (sv_eq_ci(a, "on")) {
        if (c->cl)
            c->cl->flags |= flag;
    } else if (sv_eq_ci(a, "off")) {
        if (c->cl)
            c->cl->flags &= ~flag;
    } else {
        reply_error(c->r, ERR_SYNTAX);
        return;
    }
    reply_ok(c->r);
}

static void
client_no_evict(struct cmd_ctx *c)
{
    client_flag_onoff(c, CL_NO_EVICT);
}

static void
client_no_touch(struct cmd_ctx *c)
{
    client_flag_onoff(c, CL_NO_TOUCH);
}

static void
client_getredir(struct cmd_ctx *c)
{
    reply_int(c->r, -1);
}

/* ---- PAUSE / UNPAUSE ---- */

/* A pause already in force is only ever strengthened: the later end time
 * and the stronger type (ALL over WRITE) win, as in Redis. end_ms is
 * published before type so a dispatcher that sees the type sees the end. */
static void
client_pause(struct cmd_ctx *c)
{
    long long timeout;
    if (!ts_str_to_ll(c->argv[2].ptr, c->argv[2].len, &timeout)) {
        reply_error(c->r, "ERR timeout is not an integer or out of range");
        return;
    }
    if (timeout < 0) {
        reply_error(c->r, "ERR timeout is negative");
        return;
    }
    int type = PAUSE_ALL;
    if (c->argc == 4) {
        if (sv_eq_ci(c->argv[3], "write"))
            type = PAUSE_WRITE;
        else if (sv_eq_ci(c->argv[3], "all"))
            type = PAUSE_ALL;
        else {
            reply_error(c->r, "ERR CLIENT PAUSE mode must be WRITE or ALL");
            return;
        }
    } else if (c->argc > 4) {
        reply_error(c->r, ERR_SYNTAX);
        return;
    }
    int64_t now = ts_mstime();
    int64_t end = timeout > INT64_MAX - now ? INT64_MAX : now + timeout;
    int cur = __atomic_load_n(&g_pause.type, __ATOMIC_ACQUIRE);
    int64_t cur_end = __atomic_load_n(&g_pause.end_ms, __ATOMIC_RELAXED);
    if (cur != PAUSE_NONE && cur_end > now) {
        type = TS_MAX(type, cur);
        end = TS_MAX(end, cur_end);
    }
    __atomic_store_n(&g_pause.end_ms, end, __ATOMIC_RELAXED);
    __atomic_store_n(&g_pause.type, type, __ATOMIC_RELEASE);
    reply_ok(c->r);
}

static void
client_unpause(struct cmd_ctx *c)
{
    __atomic_store_n(&g_pause.type, PAUSE_NONE, __ATOMIC_RELEASE);
    __atomic_store_n(&g_pause.end_ms, 0, __ATOMIC_RELAXED);
    reply_ok(c->r);
}

/* ---- HELP and table ---- */

static const char *const client_help_lines[] = {
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "SETINFO <option> <value>",
    "    Set client meta attr. Options are:",
    "    * LIB-NAME: the client lib name.",
    "    * LIB-VER: the client lib version.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "NO-TOUCH (ON|OFF)",
    "    Will not touch LRU/LFU stats when this mode is on.",
    NULL,
};

static void
client_help(struct cmd_ctx *c)
{
    server_reply_help(c->r, "CLIENT", client_help_lines);
}

#define CL_SUB(n, a, f, p, s)                                                                          \
    {                                                                                                  \
        .name = n, .arity = a, .flags = (f), .proc = p, .group = "connection", .since = s,            \
        .acl = ((f) & CMD_ADMIN) ? "admin slow dangerous connection" : "slow connection",              \
    }
#define CL_ADM (CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)
#define CL_STD (CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

static const struct cmd_def client_subs[] = {
    CL_SUB("id", 2, CL_STD, client_id, "5.0.0"),
    CL_SUB("setname", 3, CL_STD, client_setname, "2.6.9"),
    CL_SUB("getname", 2, CL_STD, client_getname, "2.6.9"),
    CL_SUB("list", -2, CL_ADM, client_list, "2.4.0"),
    CL_SUB("info", 2, CL_STD, client_info, "6.2.0"),
    CL_SUB("kill", -3, CL_ADM, client_kill, "2.4.0"),
    CL_SUB("pause", -3, CL_ADM, client_pause, "2.9.50"),
    CL_SUB("unpause", 2, CL_ADM, client_unpause, "6.2.0"),
    CL_SUB("reply", 3, CL_STD, client_reply, "3.2.0"),
    CL_SUB("no-evict", 3, CL_ADM, client_no_evict, "7.0.0"),
    CL_SUB("no-touch", 3, CL_STD, client_no_touch, "7.2.0"),
    CL_SUB("setinfo", 4, CL_STD, client_setinfo, "7.2.0"),
    CL_SUB("getredir", 2, CL_STD, client_getredir, "6.0.0"),
    { .name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .proc = client_help,
      .acl = "slow connection", .group = "connection", .since = "5.0.0", .summary = "Show helpful text about the different subcommands" },
    { .name = NULL },
};

static const struct cmd_def client_cmds[] = {
    { .name = "client", .arity = -2, .flags = CMD_CONTAINER, .proc = server_container_proc,
      .subcommands = client_subs, .acl = "slow", .group = "connection", .since = "2.4.0",
      .summary = "A container for client connection commands" },
    { .name = NULL },
};

void
cmd_client_register(void)
{
    cmd_register_table(client_cmds);
}
