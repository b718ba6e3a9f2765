/* cmd_config.c: the CONFIG command (GET, SET, RESETSTAT, REWRITE, HELP).
 * Runs on the client's worker (ROUTE_LOCAL); values live in config.c.
 *
 * CONFIG SET is all or nothing, as in Redis 7: every name is checked
 * (unknown, immutable, protected, duplicate), every value is parsed and
 * validated, and only then are the values published, under cfg_lock so two
 * CONFIG SETs on different workers do not interleave. */
#include "core/config.h"
#include "core/server.h"
#include "core/keyspace.h"
#include "core/shard.h"

#include "core/cmd.h"
#include "core/config_int.h"
#include "core/log.h"
#include "core/reply.h"

#include <stdio.h>

#define CFG_MAX_SET_PAIRS 256

static char *
cfg_sv_dup(struct sv s)
{
    return ts_strndup(s.ptr, s.len);
}

/* ---- CONFIG GET ---- */

struct cfg_match {
    const char *name;
    char *value;
};

static bool
cfg_any_match(struct cmd_ctx *c, const char *name)
{
    for (int i = 2; i < c->argc; i++)
        if (ts_glob_match(c->argv[i].ptr, c->argv[i].len, name, strlen(name), true))
            return true;
    return false;
}

/* Each name (canonical or alias) that matches any pattern is listed once:
 * a map in RESP3, a flat name/value array in RESP2 (reply_map does both). */
static void
cfg_cmd_get(struct cmd_ctx *c)
{
    struct cfg_match *m = ts_malloc(2 * cfg_nopts * sizeof(*m));
    size_t n = 0;
    for (size_t i = 0; i < cfg_nopts; i++) {
        const struct cfg_opt *o = &cfg_opts[i];
        const char *names[2] = { o->name, cfg_alias_of(o) };
        for (int k = 0; k < 2; k++) {
            if (names[k] && cfg_any_match(c, names[k]))
                m[n++] = (struct cfg_match){ names[k], cfg_format(o) };
        }
    }
    reply_map(c->r, (long)n);
    for (size_t i = 0; i < n; i++) {
        reply_bulk_cstr(c->r, m[i].name);
        reply_bulk_cstr(c->r, m[i].value);
        ts_free(m[i].value);
    }
    ts_free(m);
}

/* ---- CONFIG SET ---- */

/* Loopback or unix-socket clients count as local for the "local" value of
 * enable-protected-configs and enable-debug-command. */
static bool
cfg_client_is_local(const struct client *cl)
{
    if (!cl)
        return true; /* internal caller */
    const char *a = cl->addr;
    return a[0] == '\0' || a[0] == '/' || !strncmp(a, "127.", 4) || !strncmp(a, "::1:", 4) ||
           !strncmp(a, "[::1]", 5);
}

bool
config_protected_action_allowed(int mode, const struct client *cl)
{
    return mode == PROTECTED_CONFIGS_YES || (mode == PROTECTED_CONFIGS_LOCAL && cfg_client_is_local(cl));
}

static bool
cfg_protected_allowed(const struct cmd_ctx *c)
{
    return config_protected_action_allowed(__atomic_load_n(&g_cfg.enable_protected_configs, __ATOMIC_RELAXED),
                                           c->cl);
}

static void
cfg_cmd_set(struct cmd_ctx *c)
{
    if ((c->argc - 2) % 2 != 0) {
        reply_error(c->r, ERR_SYNTAX);
        return;
    }
    int npairs = (c->argc - 2) / 2;
    if (npairs > CFG_MAX_SET_PAIRS) {
        reply_error(c->r, ERR_SYNTAX);
        return;
    }
    struct cfg_staged st[CFG_MAX_SET_PAIRS];
    int nstaged = 0;
    char err[512];

    /* 1: names, in order, as Redis reports the first bad one */
    for (int i = 0; i < npairs; i++) {
        struct sv name = c->argv[2 + 2 * i];
        struct cfg_opt *o = cfg_lookup(name.ptr, name.len);
        const char *why = NULL;
        if (!o) {
            reply_errorf(c->r, "ERR Unknown option or number of arguments for CONFIG SET - '%.*s'",
                         (int)TS_MIN(name.len, 128), name.ptr);
            return;
        }
        if (o->flags & CFG_IMMUTABLE)
            why = "can't set immutable config";
        else if ((o->flags & CFG_PROTECTED) && !cfg_protected_allowed(c))
            why = "can't set protected config";
        for (int j = 0; j < i && !why; j++) {
            struct sv prev = c->argv[2 + 2 * j];
            if (cfg_lookup(prev.ptr, prev.len) == o)
                why = "duplicate parameter";
        }
        if (why) {
            reply_errorf(c->r, "ERR CONFIG SET failed (possibly related to argument '%.*s') - %s",
                         (int)TS_MIN(name.len, 128), name.ptr, why);
            return;
        }
    }

    /* 2: parse and validate every value; nothing is published yet */
    for (int i = 0; i < npairs; i++) {
        struct sv name = c->argv[2 + 2 * i];
        struct cfg_opt *o = cfg_lookup(name.ptr, name.len);
        char *val = cfg_sv_dup(c->argv[3 + 2 * i]);
        char *args[2] = { val, NULL };
        int rc = cfg_stage(o, 1, args, false, &st[nstaged], err, sizeof(err));
        ts_free(val);
        if (rc != 0) {
            for (int j = 0; j < nstaged; j++)
                cfg_discard(&st[j]);
            reply_errorf(c->r, "ERR CONFIG SET failed (possibly related to argument '%.*s') - %s",
                         (int)TS_MIN(name.len, 128), name.ptr, err);
            return;
        }
        nstaged++;
    }

    /* 3: publish. dir first: chdir is the only step that can still fail,
     * and nothing else has changed when it does. */
    pthread_mutex_lock(&cfg_lock);
    for (int i = 0; i < nstaged; i++) {
        if (st[i].opt->field != &g_cfg.dir)
            continue;
        if (cfg_commit(&st[i], false, err, sizeof(err)) != 0) {
            pthread_mutex_unlock(&cfg_lock);
            for (int j = 0; j < nstaged; j++)
                cfg_discard(&st[j]);
            reply_errorf(c->r, "ERR CONFIG SET failed (possibly related to argument 'dir') - %s", err);
            return;
        }
    }
    for (int i = 0; i < nstaged; i++) {
        if (st[i].opt->field == &g_cfg.dir)
            continue;
        cfg_commit(&st[i], false, err, sizeof(err));
        if (st[i].opt->flags & CFG_COSMETIC)
            log_warn(CFG_WARN_COSMETIC, st[i].opt->name);
    }
    pthread_mutex_unlock(&cfg_lock);
    reply_ok(c->r);
}

/* ---- RESETSTAT, REWRITE, HELP ---- */

/* Every worker zeroes its own counters (gauges such as connected_clients
 * stay); the last step answers. */
static void
resetstat_each(struct shard *sh, void *state, int worker)
{
    struct shard_stats *s = &sh->stats;
    uint64_t connected = s->connected_clients, blocked = s->blocked_clients;
    memset(s, 0, sizeof(*s));
    s->connected_clients = connected;
    s->blocked_clients = blocked;
    if (sh->ks)
        ks_reset_stats(sh->ks);
    cmdstats_reset(&sh->cstats);
}

static void
resetstat_done(void *state, struct reply *r, struct client *cl)
{
    if (config_resetstat_hook)
        config_resetstat_hook();
    __atomic_store_n(&g_sync_stats.full, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&g_sync_stats.partial_ok, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&g_sync_stats.partial_err, 0, __ATOMIC_RELAXED);
    reply_ok(r);
}

static void
resetstat_free(void *state)
{
}

static void
cfg_cmd_resetstat(struct cmd_ctx *c)
{
    cmd_fanout(c, NULL, resetstat_each, resetstat_done, resetstat_free);
}

static void
cfg_cmd_rewrite(struct cmd_ctx *c)
{
    char err[512];
    if (config_rewrite(err, sizeof(err)) != 0) {
        reply_errorf(c->r, "ERR %s", err);
        return;
    }
    reply_ok(c->r);
}

static void
cfg_cmd_help(struct cmd_ctx *c)
{
    static const char *const help[] = {
        "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "GET <pattern>",
        "    Return parameters matching the glob-like <pattern> and their values.",
        "SET <directive> <value>",
        "    Set the configuration <directive> to <value>.",
        "RESETSTAT",
        "    Reset statistics reported by the INFO command.",
        "REWRITE",
        "    Rewrite the configuration file.",
        "HELP",
        "    Prints this help.",
    };
    reply_array(c->r, (long)ARRAY_SIZE(help));
    for (size_t i = 0; i < ARRAY_SIZE(help); i++)
        reply_simple(c->r, help[i]);
}

/* The container itself: reached only when the dispatcher did not resolve
 * a subcommand. */
static void
cfg_cmd_container(struct cmd_ctx *c)
{
    if (c->argc < 2) {
        reply_wrong_args(c->r, "config");
        return;
    }
    cmd_reply_unknown_sub(c);
}

/* ---- Table ---- */

#define CFG_CMD_FLAGS (CMD_ADMIN | CMD_NOSCRIPT | CMD_LOADING | CMD_STALE)

static const struct cmd_def config_subcommands[] = {
    { .name = "get", .arity = -3, .flags = CFG_CMD_FLAGS, .route = ROUTE_LOCAL, .proc = cfg_cmd_get,
      .acl = "admin slow dangerous", .group = "server", .since = "2.0.0",
      .summary = "Returns the effective values of configuration parameters." },
    { .name = "set", .arity = -4, .flags = CFG_CMD_FLAGS, .route = ROUTE_LOCAL, .proc = cfg_cmd_set,
      .acl = "admin slow dangerous", .group = "server", .since = "2.0.0",
      .summary = "Sets configuration parameters in-flight." },
    { .name = "resetstat", .arity = 2, .flags = CFG_CMD_FLAGS, .route = ROUTE_LOCAL, .proc = cfg_cmd_resetstat,
      .acl = "admin slow dangerous", .group = "server", .since = "2.0.0", .summary = "Resets the server's statistics." },
    { .name = "rewrite", .arity = 2, .flags = CFG_CMD_FLAGS, .route = ROUTE_LOCAL, .proc = cfg_cmd_rewrite,
      .acl = "admin slow dangerous", .group = "server", .since = "2.8.0",
      .summary = "Persists the effective configuration to file." },
    { .name = "help", .arity = 2, .flags = CMD_LOADING | CMD_STALE, .route = ROUTE_LOCAL, .proc = cfg_cmd_help,
      .acl = "slow", .group = "server", .since = "5.0.0", .summary = "Returns helpful text about the different subcommands." },
    { .name = NULL },
};

static const struct cmd_def config_commands[] = {
    { .name = "config", .arity = -2, .flags = CMD_CONTAINER | CFG_CMD_FLAGS, .route = ROUTE_LOCAL, .proc = cfg_cmd_container,
      .subcommands = config_subcommands, .acl = "slow", .group = "server", .since = "2.0.0",
      .summary = "A container for server configuration commands." },
    { .name = NULL },
};

void
config_register_commands(void)
{
    cmd_register_table(config_commands);
    /* normally already done by main after log_setup; never lose them */
    config_log_warnings();
}
