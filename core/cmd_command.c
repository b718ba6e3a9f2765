/* cmd_command.c: COMMAND and its subcommands (COUNT, INFO, DOCS, LIST,
 * GETKEYS, GETKEYSANDFLAGS, HELP), describing the registered command table
 * in Redis 7.0's reply shapes. Cluster clients (redis-py, ioredis,
 * redis-cli --cluster) read first/last/step and the flags from COMMAND INFO
 * to route requests, so those come straight from the struct cmd_def that
 * the dispatcher itself routes by.
 *
 * A COMMAND INFO entry:
 *   [name, arity, ~flags, first, last, step, ~@acl-categories, ~tips,
 *    key-specs: [ {flags, begin_search {type, spec}, find_keys {type, spec}} ],
 *    subcommands: [entry...] ]
 */
#include "core/server_cmds.h"

#include <ctype.h>
#include <stdio.h>

/* ---- Flags and tips ---- */

/* Redis's flag names, in the order Redis prints them. */
static const struct {
    uint32_t flag;
    const char *name;
} cmd_flag_names[] = {
    { CMD_WRITE, "write" },
    { CMD_READONLY, "readonly" },
    { CMD_DENYOOM, "denyoom" },
    { CMD_ADMIN, "admin" },
    { CMD_PUBSUB, "pubsub" },
    { CMD_NOSCRIPT, "noscript" },
    { CMD_BLOCKING, "blocking" },
    { CMD_LOADING, "loading" },
    { CMD_STALE, "stale" },
    { CMD_SKIP_MONITOR, "skip_monitor" },
    { CMD_SKIP_SLOWLOG, "skip_slowlog" },
    { CMD_ASKING, "asking" },
    { CMD_FAST, "fast" },
    { CMD_NO_AUTH, "no_auth" },
    { CMD_MAY_REPLICATE, "may_replicate" },
    { CMD_NO_MANDATORY_KEYS, "no_mandatory_keys" },
    { CMD_NO_MULTI, "no_multi" },
    { CMD_MOVABLE_KEYS, "movablekeys" },
    { CMD_ALLOW_BUSY, "allow_busy" },
};

/* Command tips (Redis's JSON "command_tips"), which cluster-aware clients
 * use to decide where keyless or multi-key commands go. struct cmd_def
 * carries none, so the well-known ones live here by full name. */
static const struct {
    const char *name;
    const char *tips; /* space separated */
} cmd_tips[] = {
    { "ping", "request_policy:all_shards response_policy:all_succeeded" },
    { "mset", "request_policy:multi_shard response_policy:all_succeeded" },
    { "mget", "request_policy:multi_shard" },
    { "del", "request_policy:multi_shard response_policy:agg_sum" },
    { "unlink", "request_policy:multi_shard response_policy:agg_sum" },
    { "exists", "request_policy:multi_shard response_policy:agg_sum" },
    { "touch", "request_policy:multi_shard response_policy:agg_sum" },
    { "dbsize", "request_policy:all_shards response_policy:agg_sum" },
    { "keys", "request_policy:all_shards nondeterministic_output_order" },
    { "flushall", "request_policy:all_shards response_policy:all_succeeded" },
    { "flushdb", "request_policy:all_shards response_policy:all_succeeded" },
    { "randomkey", "request_policy:all_shards response_policy:special nondeterministic_output" },
    { "scan", "nondeterministic_output request_policy:special response_policy:special" },
    { "info", "nondeterministic_output request_policy:all_shards response_policy:special" },
    { "time", "nondeterministic_output" },
    { "hkeys", "nondeterministic_output_order" },
    { "hvals", "nondeterministic_output_order" },
    { "hgetall", "nondeterministic_output_order" },
    { "hrandfield", "nondeterministic_output" },
    { "hscan", "nondeterministic_output" },
    { "lastsave", "nondeterministic_output" },
    { "client|list", "nondeterministic_output" },
    { "client|info", "nondeterministic_output" },
    { "slowlog|get", "request_policy:all_nodes nondeterministic_output" },
    { "slowlog|len", "request_policy:all_nodes response_policy:agg_sum nondeterministic_output" },
    { "slowlog|reset", "request_policy:all_nodes response_policy:all_succeeded" },
    { "latency|latest", "nondeterministic_output request_policy:all_nodes response_policy:special" },
    { "latency|history", "nondeterministic_output request_policy:all_nodes response_policy:special" },
    { "latency|reset", "request_policy:all_nodes response_policy:agg_sum" },
    { "latency|doctor", "nondeterministic_output request_policy:all_nodes response_policy:special" },
    { "config|resetstat", "request_policy:all_nodes response_policy:all_succeeded" },
    { "config|set", "request_policy:all_nodes response_policy:all_succeeded" },
    { "config|rewrite", "request_policy:all_nodes response_policy:all_succeeded" },
    { "cluster|countkeysinslot", NULL },
    { "smembers", "nondeterministic_output_order" },
    { "sinter", "nondeterministic_output_order" },
    { "sunion", "nondeterministic_output_order" },
    { "sdiff", "nondeterministic_output_order" },
    { "spop", "nondeterministic_output" },
    { "srandmember", "nondeterministic_output" },
    { "sscan", "nondeterministic_output" },
};

static void
command_full_name(char *buf, size_t cap, const struct cmd_def *d, const struct cmd_def *parent)
{
    if (parent && !strchr(d->name, '|'))
        snprintf(buf, cap, "%s|%s", parent->name, d->name);
    else
        snprintf(buf, cap, "%s", d->name);
}

/* Write a space-separated word list as a set; prefix is prepended to each
 * word ("@" for ACL categories); as_bulk writes bulk strings instead of
 * status strings (tips are bulk strings in Redis). */
static void
reply_word_set(struct reply *r, const char *words, const char *prefix, bool as_bulk, bool lower_except_caps)
{
    size_t tok = reply_defer(r);
    long n = 0;
    const char *p = words ? words : "";
    while (*p) {
        while (*p == ' ')
            p++;
        if (!*p)
            break;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        char w[96];
        size_t pl = strlen(prefix);
        size_t wl = TS_MIN((size_t)(e - p), sizeof(w) - pl - 1);
        memcpy(w, prefix, pl);
        memcpy(w + pl, p, wl);
        w[pl + wl] = '\0';
        if (lower_except_caps) {
            /* key-spec flags: RO/RW/OW/RM are upper case, the rest lower */
            bool access = wl == 2 && (!strncasecmp(w, "RO", 2) || !strncasecmp(w, "RW", 2) ||
                                      !strncasecmp(w, "OW", 2) || !strncasecmp(w, "RM", 2));
            for (size_t i = 0; i < pl + wl; i++)
                w[i] = (char)(access ? toupper((unsigned char)w[i]) : tolower((unsigned char)w[i]));
        }
        if (as_bulk)
            reply_bulk(r, w, pl + wl);
        else
            reply_simple(r, w);
        n++;
        p = e;
    }
    reply_defer_set(r, tok, '~', n);
}

static const char *
command_tips(const char *fullname)
{
    for (size_t i = 0; i < ARRAY_SIZE(cmd_tips); i++)
        if (strcmp(cmd_tips[i].name, fullname) == 0)
            return cmd_tips[i].tips;
    return NULL;
}

static bool
command_movable(const struct cmd_def *d)
{
    return d->getkeys != NULL || (d->flags & CMD_MOVABLE_KEYS);
}

static void
reply_flags(struct reply *r, const struct cmd_def *d)
{
    uint32_t f = d->flags;
    if (command_movable(d))
        f |= CMD_MOVABLE_KEYS;
    long n = 0;
    for (size_t i = 0; i < ARRAY_SIZE(cmd_flag_names); i++)
        n += (f & cmd_flag_names[i].flag) != 0;
    reply_set(r, n);
    for (size_t i = 0; i < ARRAY_SIZE(cmd_flag_names); i++)
        if (f & cmd_flag_names[i].flag)
            reply_simple(r, cmd_flag_names[i].name);
}

/* Key-spec flags when the table gives none: Redis's usual pairs. */
static const char *
command_ks_flags(const struct cmd_def *d)
{
    if (d->ks_flags)
        return d->ks_flags;
    if (d->flags & CMD_WRITE)
        return "RW UPDATE";
    if (d->flags & CMD_READONLY)
        return "RO ACCESS";
    return "RW";
}

/* One key spec covering the command's key range; commands whose keys need
 * parsing (getkeys) get Redis's "unknown" search types, which clients treat
 * as "ask COMMAND GETKEYS". */
static void
reply_key_specs(struct reply *r, const struct cmd_def *d)
{
    if (d->first_key <= 0 && !command_movable(d)) {
        reply_set(r, 0);
        return;
    }
    reply_set(r, 1);
    reply_map(r, 3);
    reply_bulk_cstr(r, "flags");
    reply_word_set(r, command_ks_flags(d), "", false, true);
    if (d->first_key <= 0 || d->getkeys) {
        reply_bulk_cstr(r, "begin_search");
        reply_map(r, 2);
        reply_bulk_cstr(r, "type");
        reply_bulk_cstr(r, "unknown");
        reply_bulk_cstr(r, "spec");
        reply_map(r, 0);
        reply_bulk_cstr(r, "find_keys");
        reply_map(r, 2);
        reply_bulk_cstr(r, "type");
        reply_bulk_cstr(r, "unknown");
        reply_bulk_cstr(r, "spec");
        reply_map(r, 0);
        return;
    }
    reply_bulk_cstr(r, "begin_search");
    reply_map(r, 2);
    reply_bulk_cstr(r, "type");
    reply_bulk_cstr(r, "index");
    reply_bulk_cstr(r, "spec");
    reply_map(r, 1);
    reply_bulk_cstr(r, "index");
    reply_int(r, d->first_key);
    reply_bulk_cstr(r, "find_keys");
    reply_map(r, 2);
    reply_bulk_cstr(r, "type");
    reply_bulk_cstr(r, "range");
    reply_bulk_cstr(r, "spec");
    reply_map(r, 3);
    reply_bulk_cstr(r, "lastkey");
    reply_int(r, d->last_key >= 0 ? d->last_key - d->first_key : d->last_key);
    reply_bulk_cstr(r, "keystep");
    reply_int(r, d->key_step > 0 ? d->key_step : 1);
    reply_bulk_cstr(r, "limit");
    reply_int(r, 0);
}

void
command_reply_info(struct reply *r, const struct cmd_def *d, const struct cmd_def *parent)
{
    char name[128];
    command_full_name(name, sizeof(name), d, parent);
    reply_array(r, 10);
    reply_bulk_cstr(r, name);
    reply_int(r, d->arity);
    reply_flags(r, d);
    bool range = d->first_key > 0;
    reply_int(r, range ? d->first_key : 0);
    reply_int(r, range ? d->last_key : 0);
    reply_int(r, range ? (d->key_step > 0 ? d->key_step : 1) : 0);
    reply_word_set(r, d->acl, "@", false, false);
    reply_word_set(r, command_tips(name), "", true, false);
    reply_key_specs(r, d);
    if (d->subcommands) {
        long n = 0;
        while (d->subcommands[n].name)
            n++;
        reply_array(r, n);
        for (long i = 0; i < n; i++)
            command_reply_info(r, &d->subcommands[i], d);
    } else {
        reply_set(r, 0);
    }
}

/* Resolve "get" or "client|list" to a definition (and its parent). */
static const struct cmd_def *
command_find(struct sv name, const struct cmd_def **parent)
{
    *parent = NULL;
    const char *bar = memchr(name.ptr, '|', name.len);
    if (!bar)
        return cmd_lookup(name);
    struct sv top = { name.ptr, (size_t)(bar - name.ptr) };
    struct sv sub = { bar + 1, name.len - top.len - 1 };
    const struct cmd_def *p = cmd_lookup(top);
    if (!p || !p->subcommands)
        return NULL;
    *parent = p;
    return cmd_lookup_sub(p, sub);
}

/* ---- COMMAND, COUNT, INFO ---- */

static void
command_all(struct cmd_ctx *c)
{
    size_t n = cmd_count();
    reply_array(c->r, (long)n);
    for (size_t i = 0; i < n; i++)
        command_reply_info(c->r, cmd_at(i), NULL);
}

static void
command_proc(struct cmd_ctx *c)
{
    if (c->argc == 1) {
        command_all(c);
        return;
    }
    server_container_proc(c);
}

static void
command_count(struct cmd_ctx *c)
{
    reply_int(c->r, (long long)cmd_count());
}

static void
command_info(struct cmd_ctx *c)
{
    if (c->argc == 2) {
        command_all(c);
        return;
    }
    reply_array(c->r, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        const struct cmd_def *parent;
        const struct cmd_def *d = command_find(c->argv[j], &parent);
        if (d)
            command_reply_info(c->r, d, parent);
        else
            reply_null(c->r);
    }
}

/* ---- DOCS ---- */

static void
command_reply_docs(struct reply *r, const struct cmd_def *d, const struct cmd_def *parent)
{
    char name[128];
    command_full_name(name, sizeof(name), d, parent);
    reply_bulk_cstr(r, name);
    long n = 3 + (d->subcommands != NULL);
    reply_map(r, n);
    reply_bulk_cstr(r, "summary");
    reply_bulk_cstr(r, d->summary ? d->summary : "");
    reply_bulk_cstr(r, "since");
    reply_bulk_cstr(r, d->since ? d->since : "1.0.0");
    reply_bulk_cstr(r, "group");
    reply_bulk_cstr(r, d->group ? d->group : (parent && parent->group ? parent->group : "generic"));
    if (d->subcommands) {
        long k = 0;
        while (d->subcommands[k].name)
            k++;
        reply_bulk_cstr(r, "subcommands");
        reply_map(r, k);
        for (long i = 0; i < k; i++)
            command_reply_docs(r, &d->subcommands[i], d);
    }
}

static void
command_docs(struct cmd_ctx *c)
{
    if (c->argc == 2) {
        size_t n = cmd_count();
        reply_map(c->r, (long)n);
        for (size_t i = 0; i < n; i++)
            command_reply_docs(c->r, cmd_at(i), NULL);
        return;
    }
    size_t tok = reply_defer(c->r);
    long n = 0;
    for (int j = 2; j < c->argc; j++) {
        const struct cmd_def *parent;
        const struct cmd_def *d = command_find(c->argv[j], &parent);
        if (!d)
            continue; /* Redis skips unknown names */
        command_reply_docs(c->r, d, parent);
        n++;
    }
    reply_defer_set(c->r, tok, '%', n);
}

/* ---- LIST ---- */

enum list_filter { LF_NONE, LF_MODULE, LF_ACLCAT, LF_PATTERN };

static bool
acl_has_category(const char *acl, struct sv cat)
{
    const char *p = acl ? acl : "";
    while (*p) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        if ((size_t)(e - p) == cat.len && strncasecmp(p, cat.ptr, cat.len) == 0)
            return true;
        p = e;
    }
    return false;
}

static bool
list_match(const struct cmd_def *d, const char *full, int kind, struct sv arg)
{
    switch (kind) {
    case LF_MODULE:
        return false; /* no modules */
    case LF_ACLCAT:
        return acl_has_category(d->acl, arg);
    case LF_PATTERN:
        return ts_glob_match(arg.ptr, arg.len, full, strlen(full), true);
    default:
        return true;
    }
}

static void
command_list(struct cmd_ctx *c)
{
    int kind = LF_NONE;
    struct sv arg = { "", 0 };
    if (c->argc == 5 && sv_eq_ci(c->argv[2], "filterby")) {
        if (sv_eq_ci(c->argv[3], "module"))
            kind = LF_MODULE;
        else if (sv_eq_ci(c->argv[3], "aclcat"))
            kind = LF_ACLCAT;
        else if (sv_eq_ci(c->argv[3], "pattern"))
            kind = LF_PATTERN;
        arg = c->argv[4];
    }
    if (c->argc != 2 && kind == LF_NONE) {
        reply_error(c->r, ERR_SYNTAX);
        return;
    }
    size_t tok = reply_defer(c->r);
    long n = 0;
    char full[128];
    for (size_t i = 0; i < cmd_count(); i++) {
        const struct cmd_def *d = cmd_at(i);
        if (list_match(d, d->name, kind, arg)) {
            reply_bulk_cstr(c->r, d->name);
            n++;
        }
        for (const struct cmd_def *s = d->subcommands; s && s->name; s++) {
            command_full_name(full, sizeof(full), s, d);
            if (list_match(s, full, kind, arg)) {
                reply_bulk_cstr(c->r, full);
                n++;
            }
        }
    }
    reply_defer_set(c->r, tok, '*', n);
}

/* ---- GETKEYS ---- */

static void
command_getkeys_common(struct cmd_ctx *c, bool with_flags)
{
    int argc = c->argc - 2;
    struct sv *argv = c->argv + 2;
    const struct cmd_def *d = cmd_lookup(argv[0]);
    if (d && d->subcommands && argc >= 2) /* an unknown subcommand is an unknown command */
        d = cmd_lookup_sub(d, argv[1]);
    if (!d) {
        reply_error(c->r, "ERR Invalid command specified");
        return;
    }
    /* As Redis: a command without keys says so before its arity is
     * checked; NOT_KEY specs (SPUBLISH's shard channel) are not keys. */
    if ((d->first_key <= 0 && !d->getkeys) || (d->ks_flags && strstr(d->ks_flags, "NOT_KEY"))) {
        reply_error(c->r, "ERR The command has no key arguments");
        return;
    }
    if (!cmd_arity_ok(d, argc)) {
        reply_error(c->r, "ERR Invalid number of arguments specified for command");
        return;
    }
    int cap = argc > 0 ? argc : 1;
    int *idx = ts_malloc((size_t)cap * sizeof(int));
    int n = cmd_get_keys(d, argc, argv, idx, cap);
    if (n < 0) {
        reply_error(c->r, "ERR Invalid arguments specified for command");
    } else if (n == 0) {
        reply_error(c->r, "ERR The command has no key arguments");
    } else {
        reply_array(c->r, n);
        for (int i = 0; i < n; i++) {
            struct sv k = argv[idx[i]];
            if (with_flags) {
                reply_array(c->r, 2);
                reply_bulk(c->r, k.ptr, k.len);
                const char *f = d->key_flags ? d->key_flags(argc, argv, i) : NULL;
                reply_word_set(c->r, f ? f : command_ks_flags(d), "", false, true);
            } else {
                reply_bulk(c->r, k.ptr, k.len);
            }
        }
    }
    ts_free(idx);
}

static void
command_getkeys(struct cmd_ctx *c)
{
    command_getkeys_common(c, false);
}

static void
command_getkeysandflags(struct cmd_ctx *c)
{
    command_getkeys_common(c, true);
}

static const char *const command_help_lines[] = {
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
    NULL,
};

static void
command_help(struct cmd_ctx *c)
{
    server_reply_help(c->r, "COMMAND", command_help_lines);
}

#define CO_FLAGS (CMD_LOADING | CMD_STALE)
#define CO_SUB(n, a, p, s, sum)                                                                        \
    {                                                                                                  \
        .name = n, .arity = a, .flags = CO_FLAGS, .proc = p, .acl = "slow connection",                \
        .group = "server", .since = s, .summary = sum,                                                \
    }

static const struct cmd_def command_subs[] = {
    CO_SUB("count", 2, command_count, "2.8.13", "Get total number of Redis commands"),
    CO_SUB("info", -2, command_info, "2.8.13", "Get array of specific Redis command details, or all when no argument is given."),
    CO_SUB("docs", -2, command_docs, "7.0.0", "Get array of specific Redis command documentation"),
    CO_SUB("list", -2, command_list, "7.0.0", "Get an array of Redis command names"),
    CO_SUB("getkeys", -4, command_getkeys, "2.8.13", "Extract keys given a full Redis command"),
    CO_SUB("getkeysandflags", -4, command_getkeysandflags, "7.0.0", "Extract keys and access flags given a full Redis command"),
    CO_SUB("help", 2, command_help, "5.0.0", "Show helpful text about the different subcommands"),
    { .name = NULL },
};

static const struct cmd_def command_cmds[] = {
    { .name = "command", .arity = -1, .flags = CMD_CONTAINER | CO_FLAGS, .proc = command_proc,
      .subcommands = command_subs, .acl = "slow connection", .group = "server", .since = "2.8.13",
      .summary = "Get array of Redis command details" },
    { .name = NULL },
};

void
cmd_command_register(void)
{
    cmd_register_table(command_cmds);
}
