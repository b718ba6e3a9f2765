/* slowlog.c: SLOWLOG GET/LEN/RESET/HELP and slowlog_observe.
 *
 * Each worker keeps its own ring of slow commands, written only by its own
 * thread from slowlog_observe (so the request path takes no lock), and read
 * or cleared only by the same thread when a SLOWLOG command fans out to it.
 * Entry ids come from one process-wide atomic counter, touched only when a
 * command is actually slow, so merging the rings by id gives Redis's global
 * newest-first order. */
#include "core/server_cmds.h"

#include "core/config.h"
#include "core/server.h"
#include "core/shard.h"

#include <stdio.h>
#include <stdlib.h>

struct slowlog_entry {
    uint64_t id;
    int64_t time;        /* unix seconds */
    uint64_t duration;   /* microseconds */
    int argc;
    char **argv;
    size_t *argl;
    char *addr, *name;
};

/* Ring of the newest entries: e[(head - 1 - i) mod cap] is the i-th newest. */
struct slowlog {
    struct slowlog_entry *e;
    size_t cap, len, head;
};

static struct slowlog *slowlogs[MAX_WORKERS]; /* each touched only by its worker */
static uint64_t slowlog_next_id;              /* atomic */

int
slowlog_cap_args(int argc, const struct sv *argv, char **out, size_t *outlen)
{
    int n = TS_MIN(argc, SLOWLOG_MAX_ARGC);
    for (int i = 0; i < n; i++) {
        char buf[SLOWLOG_MAX_STRING + 64];
        if (n == SLOWLOG_MAX_ARGC && i == n - 1 && argc > SLOWLOG_MAX_ARGC) {
            int l = snprintf(buf, sizeof(buf), "... (%d more arguments)", argc - SLOWLOG_MAX_ARGC + 1);
            out[i] = ts_strndup(buf, (size_t)l);
            outlen[i] = (size_t)l;
        } else if (argv[i].len > SLOWLOG_MAX_STRING) {
            memcpy(buf, argv[i].ptr, SLOWLOG_MAX_STRING);
            int l = snprintf(buf + SLOWLOG_MAX_STRING, sizeof(buf) - SLOWLOG_MAX_STRING, "... (%zu more bytes)",
                             argv[i].len - SLOWLOG_MAX_STRING);
            out[i] = ts_malloc(SLOWLOG_MAX_STRING + (size_t)l + 1);
            memcpy(out[i], buf, SLOWLOG_MAX_STRING + (size_t)l);
            out[i][SLOWLOG_MAX_STRING + l] = '\0';
            outlen[i] = SLOWLOG_MAX_STRING + (size_t)l;
        } else {
            out[i] = ts_malloc(argv[i].len + 1);
            memcpy(out[i], argv[i].ptr, argv[i].len);
            out[i][argv[i].len] = '\0';
            outlen[i] = argv[i].len;
        }
    }
    return n;
}

static void
slowlog_entry_deinit(struct slowlog_entry *e)
{
    for (int i = 0; i < e->argc; i++)
        ts_free(e->argv[i]);
    ts_free(e->argv);
    ts_free(e->argl);
    ts_free(e->addr);
    ts_free(e->name);
    memset(e, 0, sizeof(*e));
}

static void
slowlog_entry_copy(struct slowlog_entry *dst, const struct slowlog_entry *src)
{
    *dst = *src;
    dst->argv = ts_malloc((size_t)(src->argc ? src->argc : 1) * sizeof(char *));
    dst->argl = ts_malloc((size_t)(src->argc ? src->argc : 1) * sizeof(size_t));
    for (int i = 0; i < src->argc; i++) {
        dst->argv[i] = ts_malloc(src->argl[i] + 1);
        memcpy(dst->argv[i], src->argv[i], src->argl[i] + 1);
        dst->argl[i] = src->argl[i];
    }
    dst->addr = ts_strdup(src->addr);
    dst->name = ts_strdup(src->name);
}

static void
slowlog_clear(struct slowlog *sl)
{
    for (size_t i = 0; i < sl->cap; i++)
        if (sl->e[i].argv)
            slowlog_entry_deinit(&sl->e[i]);
    sl->len = sl->head = 0;
}

/* Resize the ring to slowlog-max-len, keeping the newest entries. Only when
 * the setting changed, so the common path is one comparison. */
static void
slowlog_resize(struct slowlog *sl, size_t cap)
{
    struct slowlog_entry *e = ts_calloc(cap ? cap : 1, sizeof(*e));
    size_t keep = TS_MIN(sl->len, cap);
    for (size_t i = 0; i < keep; i++) {
        size_t from = (sl->head + sl->cap - 1 - i) % sl->cap;
        e[keep - 1 - i] = sl->e[from];
        sl->e[from].argv = NULL;
    }
    for (size_t i = 0; i < sl->cap; i++)
        if (sl->e[i].argv)
            slowlog_entry_deinit(&sl->e[i]);
    ts_free(sl->e);
    sl->e = e;
    sl->cap = cap;
    sl->len = keep;
    sl->head = cap ? keep % cap : 0;
}

void
slowlog_observe(struct shard *sh, const struct client *cl, int argc, const struct sv *argv, uint64_t duration_us)
{
    long long thr = __atomic_load_n(&g_cfg.slowlog_log_slower_than, __ATOMIC_RELAXED);
    if (thr < 0 || duration_us < (uint64_t)thr)
        return;
    long long maxlen = __atomic_load_n(&g_cfg.slowlog_max_len, __ATOMIC_RELAXED);
    int w = sh ? sh->id : 0;
    struct slowlog *sl = slowlogs[w];
    if (sl == NULL)
        sl = slowlogs[w] = ts_calloc(1, sizeof(*sl));
    if ((size_t)maxlen != sl->cap)
        slowlog_resize(sl, (size_t)maxlen);
    if (sl->cap == 0)
        return;
    struct slowlog_entry *e = &sl->e[sl->head];
    if (e->argv)
        slowlog_entry_deinit(e);
    int n = TS_MIN(argc, SLOWLOG_MAX_ARGC);
    e->argv = ts_malloc((size_t)(n ? n : 1) * sizeof(char *));
    e->argl = ts_malloc((size_t)(n ? n : 1) * sizeof(size_t));
    e->argc = slowlog_cap_args(argc, argv, e->argv, e->argl);
    e->id = __atomic_fetch_add(&slowlog_next_id, 1, __ATOMIC_RELAXED);
    e->time = ts_mstime() / 1000;
    e->duration = duration_us;
    e->addr = ts_strdup(cl ? cl->addr : "");
    e->name = ts_strdup(cl && cl->name ? cl->name : "");
    sl->head = (sl->head + 1) % sl->cap;
    if (sl->len < sl->cap)
        sl->len++;
}

/* ---- Commands (fan-out over the workers' rings) ---- */

struct slowlog_fanout {
    int op;        /* 'G'et, 'L'en, 'R'eset */
    long long count;
    struct slowlog_entry *got[MAX_WORKERS];
    size_t ngot[MAX_WORKERS];
};

static void
slowlog_each(struct shard *sh, void *arg, int worker)
{
    struct slowlog_fanout *st = arg;
    struct slowlog *sl = slowlogs[worker];
    if (sl == NULL)
        return;
    if (st->op == 'R') {
        slowlog_clear(sl);
    } else if (st->op == 'L') {
        st->ngot[worker] = sl->len;
    } else {
        size_t n = st->count < 0 ? sl->len : TS_MIN(sl->len, (size_t)st->count);
        st->got[worker] = ts_calloc(n ? n : 1, sizeof(struct slowlog_entry));
        for (size_t i = 0; i < n; i++)
            slowlog_entry_copy(&st->got[worker][i], &sl->e[(sl->head + sl->cap - 1 - i) % sl->cap]);
        st->ngot[worker] = n;
    }
}

static void
slowlog_reply_entry(struct reply *r, const struct slowlog_entry *e)
{
    reply_array(r, 6);
    reply_int(r, (long long)e->id);
    reply_int(r, e->time);
    reply_int(r, (long long)e->duration);
    reply_array(r, e->argc);
    for (int i = 0; i < e->argc; i++)
        reply_bulk(r, e->argv[i], e->argl[i]);
    reply_bulk_cstr(r, e->addr);
    reply_bulk_cstr(r, e->name);
}

/* Merge the workers' newest-first lists by id, newest first. */
static void
slowlog_done(void *arg, struct reply *r, struct client *cl)
{
    struct slowlog_fanout *st = arg;
    int nw = cmd_nworkers();
    if (st->op == 'R') {
        reply_ok(r);
        return;
    }
    size_t total = 0;
    for (int w = 0; w < nw; w++)
        total += st->ngot[w];
    if (st->op == 'L') {
        reply_int(r, (long long)total);
        return;
    }
    size_t want = st->count < 0 ? total : TS_MIN(total, (size_t)st->count);
    size_t pos[MAX_WORKERS] = { 0 };
    reply_array(r, (long)want);
    for (size_t k = 0; k < want; k++) {
        int best = -1;
        for (int w = 0; w < nw; w++)
            if (pos[w] < st->ngot[w] &&
                (best < 0 || st->got[w][pos[w]].id > st->got[best][pos[best]].id))
                best = w;
        slowlog_reply_entry(r, &st->got[best][pos[best]]);
        pos[best]++;
    }
}

static void
slowlog_free(void *arg)
{
    struct slowlog_fanout *st = arg;
    for (int w = 0; w < MAX_WORKERS; w++) {
        for (size_t i = 0; st->got[w] && i < st->ngot[w]; i++)
            slowlog_entry_deinit(&st->got[w][i]);
        ts_free(st->got[w]);
    }
    ts_free(st);
}

static void
slowlog_start(struct cmd_ctx *c, int op, long long count)
{
    struct slowlog_fanout *st = ts_calloc(1, sizeof(*st));
    st->op = op;
    st->count = count;
    cmd_fanout(c, st, slowlog_each, slowlog_done, slowlog_free);
}

static void
slowlog_get(struct cmd_ctx *c)
{
    long long count = 10;
    if (c->argc == 3) {
        if (!ts_str_to_ll(c->argv[2].ptr, c->argv[2].len, &count) || count < -1) {
            reply_error(c->r, "ERR count should be greater than or equal to -1");
            return;
        }
    }
    slowlog_start(c, 'G', count);
}

static void
slowlog_len(struct cmd_ctx *c)
{
    slowlog_start(c, 'L', 0);
}

static void
slowlog_reset(struct cmd_ctx *c)
{
    slowlog_start(c, 'R', 0);
}

static const char *const slowlog_help_lines[] = {
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    NULL,
};

static void
slowlog_help(struct cmd_ctx *c)
{
    server_reply_help(c->r, "SLOWLOG", slowlog_help_lines);
}

#define SL_SUB(n, a, f, p, acl_, sum)                                                                  \
    {                                                                                                  \
        .name = n, .arity = a, .flags = (f), .proc = p, .acl = acl_, .group = "server",              \
        .since = "2.2.12", .summary = sum,                                                             \
    }

static const struct cmd_def slowlog_subs[] = {
    SL_SUB("get", -2, CMD_ADMIN | CMD_LOADING | CMD_STALE, slowlog_get, "admin slow dangerous",
           "Get the slow log's entries"),
    SL_SUB("len", 2, CMD_ADMIN | CMD_LOADING | CMD_STALE, slowlog_len, "admin slow dangerous",
           "Get the slow log's length"),
    SL_SUB("reset", 2, CMD_ADMIN | CMD_LOADING | CMD_STALE, slowlog_reset, "admin slow dangerous",
           "Clear all entries from the slow log"),
    SL_SUB("help", 2, CMD_LOADING | CMD_STALE, slowlog_help, "slow", "Show helpful text about the different subcommands"),
    { .name = NULL },
};

static const struct cmd_def slowlog_cmds[] = {
    { .name = "slowlog", .arity = -2, .flags = CMD_CONTAINER, .proc = server_container_proc,
      .subcommands = slowlog_subs, .acl = "slow", .group = "server", .since = "2.2.12",
      .summary = "A container for slow log commands" },
    { .name = NULL },
};

void
slowlog_register(void)
{
    cmd_register_table(slowlog_cmds);
}
