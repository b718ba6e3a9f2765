/* config.c: the directive table and its values. Builds cfg_opts[] from
 * TS_CONFIG_LIST (values in g_cfg) plus the rest of Redis 7.0's directives
 * (values kept as text), each with its class (acts, cosmetic, not yet;
 * config.h), and implements validating, refusing what Tessera cannot do
 * yet, publishing and formatting one value. Reading files and argv is
 * config_parse.c; CONFIG REWRITE is config_rewrite.c.
 *
 * Publishing is safe against concurrent readers: scalars are relaxed atomic
 * stores, strings are release stores of a fresh pointer, and a replaced
 * string is moved to a retired list instead of being freed, since another
 * worker may still be reading it. */
#include "core/config.h"

#include "core/config_int.h"
#include "core/effect.h"
#include "core/log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct ts_config g_cfg;
void (*config_resetstat_hook)(void);
void (*config_min_replicas_hook)(void);
pthread_mutex_t cfg_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- The table ---- */

/* A TS_CONFIG_LIST default is a number or a string literal depending on the
 * type; _Generic picks the right initializer for each column. */
#define CFG_DEFNUM(d) _Generic((d), char *: 0LL, const char *: 0LL, default: (d))
#define CFG_DEFSTR(d) _Generic((d), char *: (d), const char *: (d), default: (const char *)0)

/* A directive whose value is kept as text in the table itself (no g_cfg
 * field): the kind says how it is validated and written back. */
#define CFG_TXT(n, k, d, fl) \
    { .name = n, .type = CFG_STR, .flags = (fl), .def_str = d, .field = NULL, .kind = (k) }
#define IMM CFG_IMMUTABLE
#define MOD CFG_MODIFIABLE
#define SEN (CFG_MODIFIABLE | CFG_SENSITIVE)

/* Every directive Tessera accepts, with its class in the flags column
 * (config.h, "Classes"): no class flag = acts, CFG_COSMETIC, or a CFG_NY_*
 * (not yet, refusing all but Redis's default). Counts at the time of
 * writing: 46 acts, 9 cosmetic, 121 not yet (test_config_table prints
 * them), plus the lines that are not options (cfg_others in
 * config_parse.c: 3 cosmetic, 3 not yet).
 *
 * Acts only where the g_cfg field (or the text) is read by code that does
 * what Redis does with it. Not yet, notably: persistence (no RDB/AOF),
 * replication and replica failover, TLS, eviction (maxmemory and its
 * tuning), lazy freeing, ACL, the data types Tessera lacks, active
 * defragmentation and rehashing, and process-level features (unix socket,
 * supervised, syslog, OOM score, THP, CPU lists). */
struct cfg_opt cfg_opts[] = {
#define CFG_ROW(f, n, t, d, mn, mx, fl)                                                               \
    { .name = n, .type = t, .flags = (fl), .min = (mn), .max = (mx), .def_num = CFG_DEFNUM(d),        \
      .def_str = CFG_DEFSTR(d), .field = &g_cfg.f },
    TS_CONFIG_LIST(CFG_ROW)
#undef CFG_ROW
    /* The rest of Redis 7.0.15's CONFIG GET * (less aliases), with Redis's
     * defaults and mutability, their values kept as text. */
    CFG_TXT("acl-pubsub-default", 'e', "resetchannels", MOD | CFG_NY_ACL),
    CFG_TXT("aclfile", 's', "", IMM | CFG_NY_ACL),
    CFG_TXT("acllog-max-len", 'i', "128", MOD | CFG_NY_ACL),
    CFG_TXT("active-defrag-cycle-max", 'i', "25", MOD | CFG_NY_DEFRAG),
    CFG_TXT("active-defrag-cycle-min", 'i', "1", MOD | CFG_NY_DEFRAG),
    CFG_TXT("active-defrag-ignore-bytes", 'm', "104857600", MOD | CFG_NY_DEFRAG),
    CFG_TXT("active-defrag-max-scan-fields", 'i', "1000", MOD | CFG_NY_DEFRAG),
    CFG_TXT("active-defrag-threshold-lower", 'i', "10", MOD | CFG_NY_DEFRAG),
    CFG_TXT("active-defrag-threshold-upper", 'i', "100", MOD | CFG_NY_DEFRAG),
    CFG_TXT("activedefrag", 'b', "no", MOD | CFG_NY_DEFRAG),
    CFG_TXT("activerehashing", 'b', "yes", MOD | CFG_NY),
    CFG_TXT("always-show-logo", 'b', "no", IMM | CFG_COSMETIC),
    CFG_TXT("aof-disable-auto-gc", 'b', "no", MOD | CFG_NY_PERSIST),
    CFG_TXT("aof-load-truncated", 'b', "yes", MOD | CFG_NY_PERSIST),
    CFG_TXT("aof-rewrite-incremental-fsync", 'b', "yes", MOD | CFG_NY_PERSIST),
    CFG_TXT("aof-timestamp-enabled", 'b', "no", MOD | CFG_NY_PERSIST),
    CFG_TXT("aof-use-rdb-preamble", 'b', "yes", MOD | CFG_NY_PERSIST),
    CFG_TXT("aof_rewrite_cpulist", 's', "", IMM | CFG_NY_PERSIST),
    CFG_TXT("auto-aof-rewrite-min-size", 'm', "67108864", MOD | CFG_NY_PERSIST),
    CFG_TXT("auto-aof-rewrite-percentage", 'i', "100", MOD | CFG_NY_PERSIST),
    CFG_TXT("bgsave_cpulist", 's', "", IMM | CFG_NY_PERSIST),
    CFG_TXT("bind-source-addr", 's', "", MOD | CFG_NY),
    CFG_TXT("bio_cpulist", 's', "", IMM | CFG_NY),
    CFG_TXT("busy-reply-threshold", 'i', "5000", MOD | CFG_NY_SCRIPT),
    CFG_TXT("client-output-buffer-limit", 'C',
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", MOD),
    CFG_TXT("cluster-allow-pubsubshard-when-down", 'b', "yes", MOD | CFG_NY),
    CFG_TXT("cluster-announce-tls-port", 'i', "0", MOD | CFG_NY_TLS),
    CFG_TXT("crash-log-enabled", 'b', "yes", MOD | CFG_COSMETIC),
    CFG_TXT("crash-memcheck-enabled", 'b', "yes", MOD | CFG_COSMETIC),
    CFG_TXT("disable-thp", 'b', "yes", IMM | CFG_NY),
    CFG_TXT("dynamic-hz", 'b', "yes", MOD | CFG_NY),
    CFG_TXT("enable-module-command", 'e', "no", IMM | CFG_NY_MODULES),
    CFG_TXT("hll-sparse-max-bytes", 'm', "3000", MOD | CFG_NY_TYPES),
    CFG_TXT("ignore-warnings", 's', "", MOD | CFG_COSMETIC),
    CFG_TXT("io-threads-do-reads", 'b', "no", IMM | CFG_NY_THREADS),
    CFG_TXT("jemalloc-bg-thread", 'b', "yes", MOD | CFG_COSMETIC),
    CFG_TXT("lazyfree-lazy-eviction", 'b', "no", MOD | CFG_NY_LAZYFREE),
    CFG_TXT("lazyfree-lazy-expire", 'b', "no", MOD | CFG_NY_LAZYFREE),
    CFG_TXT("lazyfree-lazy-server-del", 'b', "no", MOD | CFG_NY_LAZYFREE),
    CFG_TXT("list-compress-depth", 'i', "0", MOD | CFG_NY_TYPES),
    CFG_TXT("list-max-listpack-size", 'i', "-2", MOD | CFG_NY_TYPES),
    CFG_TXT("masterauth", 's', "", SEN),
    CFG_TXT("masteruser", 's', "", SEN),
    CFG_TXT("maxmemory-clients", 'e', "0", MOD | CFG_NY),
    CFG_TXT("no-appendfsync-on-rewrite", 'b', "no", MOD | CFG_NY_PERSIST),
    CFG_TXT("oom-score-adj", 'e', "no", MOD | CFG_NY),
    CFG_TXT("oom-score-adj-values", 'M', "0 200 800", MOD | CFG_NY),
    CFG_TXT("proc-title-template", 's', "{title} {listen-addr} {server-mode}", MOD | CFG_COSMETIC),
    CFG_TXT("propagation-error-behavior", 'e', "ignore", MOD | CFG_NY_REPL),
    CFG_TXT("rdb-del-sync-files", 'b', "no", MOD | CFG_NY_PERSIST),
    CFG_TXT("rdb-save-incremental-fsync", 'b', "yes", MOD | CFG_NY_PERSIST),
    CFG_TXT("rdbchecksum", 'b', "yes", IMM | CFG_NY_PERSIST),
    CFG_TXT("rdbcompression", 'b', "yes", MOD | CFG_NY_PERSIST),
    CFG_TXT("repl-disable-tcp-nodelay", 'b', "no", MOD | CFG_NY_REPL),
    CFG_TXT("repl-diskless-load", 'e', "disabled", MOD | CFG_NY_REPL),
    CFG_TXT("replica-announce-ip", 's', "", MOD),
    CFG_TXT("replica-ignore-disk-write-errors", 'b', "no", MOD | CFG_NY_REPL),
    CFG_TXT("replica-lazy-flush", 'b', "no", MOD | CFG_NY_LAZYFREE),
    CFG_TXT("replicaof", 'R', "", IMM),
    CFG_TXT("sanitize-dump-payload", 'e', "no", MOD | CFG_NY),
    CFG_TXT("server_cpulist", 's', "", IMM | CFG_NY),
    CFG_TXT("set-proc-title", 'b', "yes", IMM | CFG_COSMETIC),
    CFG_TXT("shutdown-on-sigint", 'M', "default", MOD | CFG_NY_PERSIST),
    CFG_TXT("shutdown-on-sigterm", 'M', "default", MOD | CFG_NY_PERSIST),
    CFG_TXT("shutdown-timeout", 'i', "10", MOD | CFG_NY_REPL),
    CFG_TXT("socket-mark-id", 'i', "0", IMM | CFG_NY),
    CFG_TXT("stop-writes-on-bgsave-error", 'b', "yes", MOD | CFG_NY_PERSIST),
    CFG_TXT("stream-node-max-bytes", 'm', "4096", MOD | CFG_NY_TYPES),
    CFG_TXT("stream-node-max-entries", 'i', "100", MOD | CFG_NY_TYPES),
    CFG_TXT("supervised", 'e', "no", IMM | CFG_NY),
    CFG_TXT("syslog-enabled", 'b', "no", IMM | CFG_NY),
    CFG_TXT("syslog-facility", 'e', "local0", IMM | CFG_COSMETIC),
    CFG_TXT("syslog-ident", 's', "redis", IMM | CFG_COSMETIC),
    CFG_TXT("tls-auth-clients", 'e', "yes", MOD | CFG_NY_TLS),
    CFG_TXT("tls-ca-cert-dir", 's', "", MOD | CFG_NY_TLS),
    CFG_TXT("tls-ca-cert-file", 's', "", MOD | CFG_NY_TLS),
    CFG_TXT("tls-cert-file", 's', "", MOD | CFG_NY_TLS),
    CFG_TXT("tls-ciphers", 's', "", MOD | CFG_NY_TLS),
    CFG_TXT("tls-ciphersuites", 's', "", MOD | CFG_NY_TLS),
    CFG_TXT("tls-client-cert-file", 's', "", MOD | CFG_NY_TLS),
    CFG_TXT("tls-client-key-file", 's', "", MOD | CFG_NY_TLS),
    CFG_TXT("tls-client-key-file-pass", 's', "", SEN | CFG_NY_TLS),
    CFG_TXT("tls-cluster", 'b', "no", MOD | CFG_NY_TLS),
    CFG_TXT("tls-dh-params-file", 's', "", MOD | CFG_NY_TLS),
    CFG_TXT("tls-key-file", 's', "", MOD | CFG_NY_TLS),
    CFG_TXT("tls-key-file-pass", 's', "", SEN | CFG_NY_TLS),
    CFG_TXT("tls-port", 'i', "0", MOD | CFG_NY_TLS),
    CFG_TXT("tls-prefer-server-ciphers", 'b', "no", MOD | CFG_NY_TLS),
    CFG_TXT("tls-protocols", 's', "", MOD | CFG_NY_TLS),
    CFG_TXT("tls-replication", 'b', "no", MOD | CFG_NY_TLS),
    CFG_TXT("tls-session-cache-size", 'i', "20480", MOD | CFG_NY_TLS),
    CFG_TXT("tls-session-cache-timeout", 'i', "300", MOD | CFG_NY_TLS),
    CFG_TXT("tls-session-caching", 'b', "yes", MOD | CFG_NY_TLS),
    CFG_TXT("tracking-table-max-keys", 'i', "1000000", MOD | CFG_NY),
    CFG_TXT("unixsocket", 's', "", IMM | CFG_NY),
    CFG_TXT("unixsocketperm", 'o', "0", IMM | CFG_NY),
    CFG_TXT("zset-max-listpack-entries", 'i', "128", MOD | CFG_NY_TYPES),
    CFG_TXT("zset-max-listpack-value", 'i', "64", MOD | CFG_NY_TYPES),
};
const size_t cfg_nopts = ARRAY_SIZE(cfg_opts);

/* Old names Redis still accepts (and lists in CONFIG GET *). */
static const struct {
    const char *name, *alias;
} cfg_aliases[] = {
    { "replica-read-only", "slave-read-only" },
    { "cluster-replica-validity-factor", "cluster-slave-validity-factor" },
    { "cluster-replica-no-failover", "cluster-slave-no-failover" },
    { "replicaof", "slaveof" },
    { "replica-serve-stale-data", "slave-serve-stale-data" },
    { "replica-ignore-maxmemory", "slave-ignore-maxmemory" },
    { "replica-lazy-flush", "slave-lazy-flush" },
    { "replica-priority", "slave-priority" },
    { "replica-announce-ip", "slave-announce-ip" },
    { "replica-announce-port", "slave-announce-port" },
    { "min-replicas-to-write", "min-slaves-to-write" },
    { "min-replicas-max-lag", "min-slaves-max-lag" },
    { "repl-ping-replica-period", "repl-ping-slave-period" },
    { "hash-max-listpack-entries", "hash-max-ziplist-entries" },
    { "hash-max-listpack-value", "hash-max-ziplist-value" },
    { "list-max-listpack-size", "list-max-ziplist-size" },
    { "zset-max-listpack-entries", "zset-max-ziplist-entries" },
    { "zset-max-listpack-value", "zset-max-ziplist-value" },
    { "busy-reply-threshold", "lua-time-limit" },
};

/* ---- Enums ---- */

struct cfg_enum {
    const char *name;
    int value;
    bool hidden; /* accepted, but not listed in errors (Redis 7.0 lacks it) */
};

/* Listed in Redis's order, which its error messages follow. */
static const struct cfg_enum cfg_enum_loglevel[] = {
    { "debug", LOGLEVEL_DEBUG, false },   { "verbose", LOGLEVEL_VERBOSE, false },
    { "notice", LOGLEVEL_NOTICE, false }, { "warning", LOGLEVEL_WARNING, false },
    { "nothing", LOGLEVEL_NOTHING, true }, { NULL, 0, false },
};
static const struct cfg_enum cfg_enum_appendfsync[] = {
    { "everysec", APPENDFSYNC_EVERYSEC, false },
    { "always", APPENDFSYNC_ALWAYS, false },
    { "no", APPENDFSYNC_NO, false },
    { NULL, 0, false },
};
static const struct cfg_enum cfg_enum_maxmemory_policy[] = {
    { "volatile-lru", MAXMEMORY_VOLATILE_LRU, false },
    { "volatile-lfu", MAXMEMORY_VOLATILE_LFU, false },
    { "volatile-random", MAXMEMORY_VOLATILE_RANDOM, false },
    { "volatile-ttl", MAXMEMORY_VOLATILE_TTL, false },
    { "allkeys-lru", MAXMEMORY_ALLKEYS_LRU, false },
    { "allkeys-lfu", MAXMEMORY_ALLKEYS_LFU, false },
    { "allkeys-random", MAXMEMORY_ALLKEYS_RANDOM, false },
    { "noeviction", MAXMEMORY_NOEVICTION, false },
    { NULL, 0, false },
};
static const struct cfg_enum cfg_enum_endpoint[] = {
    { "ip", ENDPOINT_IP, false },
    { "hostname", ENDPOINT_HOSTNAME, false },
    { "unknown-endpoint", ENDPOINT_UNKNOWN, false },
    { NULL, 0, false },
};
static const struct cfg_enum cfg_enum_protected[] = {
    { "no", PROTECTED_CONFIGS_NO, false },
    { "yes", PROTECTED_CONFIGS_YES, false },
    { "local", PROTECTED_CONFIGS_LOCAL, false },
    { NULL, 0, false },
};

static const struct cfg_enum *
cfg_enums(const struct cfg_opt *o)
{
    if (o->field == &g_cfg.loglevel)
        return cfg_enum_loglevel;
    if (o->field == &g_cfg.appendfsync)
        return cfg_enum_appendfsync;
    if (o->field == &g_cfg.maxmemory_policy)
        return cfg_enum_maxmemory_policy;
    if (o->field == &g_cfg.cluster_preferred_endpoint_type)
        return cfg_enum_endpoint;
    if (o->field == &g_cfg.enable_protected_configs || o->field == &g_cfg.enable_debug_command)
        return cfg_enum_protected;
    return NULL;
}

static int
cfg_enum_parse(const struct cfg_enum *e, const char *s)
{
    for (; e->name; e++)
        if (strcasecmp(e->name, s) == 0)
            return e->value;
    return -1;
}

static const char *
cfg_enum_name(const struct cfg_enum *e, int v)
{
    for (; e->name; e++)
        if (e->value == v)
            return e->name;
    return "";
}

const char *
config_maxmemory_policy_name(int v)
{
    return cfg_enum_name(cfg_enum_maxmemory_policy, v);
}

/* ---- Lookup ---- */

struct cfg_opt *
cfg_lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < cfg_nopts; i++)
        if (strlen(cfg_opts[i].name) == len && strncasecmp(cfg_opts[i].name, name, len) == 0)
            return &cfg_opts[i];
    for (size_t i = 0; i < ARRAY_SIZE(cfg_aliases); i++)
        if (strlen(cfg_aliases[i].alias) == len && strncasecmp(cfg_aliases[i].alias, name, len) == 0)
            return cfg_lookup(cfg_aliases[i].name, strlen(cfg_aliases[i].name));
    return NULL;
}

const char *
cfg_alias_of(const struct cfg_opt *o)
{
    for (size_t i = 0; i < ARRAY_SIZE(cfg_aliases); i++)
        if (strcmp(cfg_aliases[i].name, o->name) == 0)
            return cfg_aliases[i].alias;
    return NULL;
}

bool
cfg_is_multi(const struct cfg_opt *o)
{
    return (o->type == CFG_SPECIAL && o->field != &g_cfg.dir && o->field != &g_cfg.notify_keyspace_events) ||
           o->kind == CFGK_MULTI ||
           o->kind == CFGK_COBL || o->kind == CFGK_REPLOF;
}

/* ---- Reading values ---- */

static long long
cfg_num(const struct cfg_opt *o)
{
    if (o->type == CFG_LL || o->type == CFG_MEM)
        return __atomic_load_n((long long *)o->field, __ATOMIC_RELAXED);
    return __atomic_load_n((int *)o->field, __ATOMIC_RELAXED);
}

static const char *
cfg_str(const struct cfg_opt *o)
{
    const char *s = o->field ? __atomic_load_n((char **)o->field, __ATOMIC_ACQUIRE)
                             : __atomic_load_n(&((struct cfg_opt *)o)->sval, __ATOMIC_ACQUIRE);
    return s ? s : "";
}

char *
cfg_format(const struct cfg_opt *o)
{
    char buf[32];
    switch (o->type) {
    case CFG_BOOL:
        return ts_strdup(cfg_num(o) ? "yes" : "no");
    case CFG_INT:
    case CFG_LL:
    case CFG_MEM:
        ts_ll_to_str(buf, cfg_num(o));
        return ts_strdup(buf);
    case CFG_ENUM:
        return ts_strdup(cfg_enum_name(cfg_enums(o), (int)cfg_num(o)));
    case CFG_STR:
    case CFG_SPECIAL:
        if (o->field == &g_cfg.dir) {
            /* Redis shows the real working directory, not the text given. */
            char cwd[PATH_MAX];
            if (getcwd(cwd, sizeof(cwd)))
                return ts_strdup(cwd);
        }
        return ts_strdup(cfg_str(o));
    }
    return ts_strdup("");
}

bool
cfg_is_default(const struct cfg_opt *o)
{
    switch (o->type) {
    case CFG_BOOL:
    case CFG_INT:
    case CFG_LL:
    case CFG_MEM:
        return cfg_num(o) == o->def_num;
    case CFG_ENUM:
        return cfg_num(o) == cfg_enum_parse(cfg_enums(o), o->def_str);
    default:
        return strcmp(cfg_str(o), o->def_str) == 0;
    }
}

char *
config_get_value(const char *name)
{
    const struct cfg_opt *o = cfg_lookup(name, strlen(name));
    return o ? cfg_format(o) : NULL;
}

/* ---- Validation ---- */

static int
cfg_fail(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return -1;
}

static int
cfg_range_err(const struct cfg_opt *o, long long min, long long max, char *err, size_t errlen)
{
    snprintf(err, errlen, "argument must be between %lld and %lld inclusive", min, max);
    return -1;
}

/* Join args with single spaces (list directives are stored that way). */
static char *
cfg_join(int argc, char **args)
{
    struct ts_buf b = { 0 };
    for (int i = 0; i < argc; i++) {
        if (i)
            ts_buf_putc(&b, ' ');
        ts_buf_append(&b, args[i], strlen(args[i]));
    }
    ts_buf_putc(&b, '\0');
    char *s = ts_strdup(b.data);
    ts_buf_free(&b);
    return s;
}

/* save: pairs of "seconds changes"; an empty single argument disables. At
 * start-up the first save line replaces the default list and later lines
 * add to it, as in Redis.
 *
 * Tessera cannot write snapshots yet, so a rule that would save is refused
 * (at start-up and by CONFIG SET) rather than accepted and silently never
 * run; the default is therefore "" where Redis's is "3600 1 300 100 60
 * 10000". The syntax is checked first, so a malformed rule gets Redis's
 * own error. */
static bool cfg_save_loaded;

static int
cfg_stage_save(struct cfg_opt *o, int argc, char **args, bool loading, struct cfg_staged *st, char *err,
               size_t errlen)
{
    if (argc == 1 && args[0][0] == '\0')
        argc = 0;
    if (argc % 2)
        return cfg_fail(err, errlen, "Invalid save parameters");
    for (int i = 0; i < argc; i++) {
        long long v;
        if (!ts_str_to_ll(args[i], strlen(args[i]), &v) || v < (i % 2 ? 0 : 1))
            return cfg_fail(err, errlen, "Invalid save parameters");
    }
    if (argc > 0)
        return cfg_fail(err, errlen, CFG_ERR_NO_SAVE);
    char *list = cfg_join(argc, args);
    if (loading && cfg_save_loaded && argc > 0) {
        const char *cur = cfg_str(o);
        if (cur[0]) {
            char *both = ts_malloc(strlen(cur) + strlen(list) + 2);
            sprintf(both, "%s %s", cur, list);
            ts_free(list);
            list = both;
        }
    }
    st->str = list;
    return 0;
}

/* client-output-buffer-limit <class> <hard> <soft> <seconds> [...]: each
 * group replaces one class of the current value, which always lists the
 * three classes (normal, slave, pubsub) in plain bytes as Redis shows them. */
static int
cfg_stage_cobl(struct cfg_opt *o, int argc, char **args, struct cfg_staged *st, char *err, size_t errlen)
{
    static const char *const classes[3] = { "normal", "slave", "pubsub" };
    long long v[3][3] = { { 0 } };
    const char *cur = cfg_str(o);
    if (sscanf(cur, "normal %lld %lld %lld slave %lld %lld %lld pubsub %lld %lld %lld", &v[0][0], &v[0][1],
               &v[0][2], &v[1][0], &v[1][1], &v[1][2], &v[2][0], &v[2][1], &v[2][2]) != 9)
        memset(v, 0, sizeof(v));
    if (argc % 4 || argc == 0)
        return cfg_fail(err, errlen, "Wrong number of arguments in buffer limit configuration.");
    for (int i = 0; i < argc; i += 4) {
        int c;
        if (!strcasecmp(args[i], "normal"))
            c = 0;
        else if (!strcasecmp(args[i], "replica") || !strcasecmp(args[i], "slave"))
            c = 1;
        else if (!strcasecmp(args[i], "pubsub"))
            c = 2;
        else
            return cfg_fail(err, errlen, "Invalid client class specified in buffer limit configuration.");
        long long hard, soft, secs;
        if (!cfg_parse_mem(args[i + 1], &hard) || !cfg_parse_mem(args[i + 2], &soft) ||
            !ts_str_to_ll(args[i + 3], strlen(args[i + 3]), &secs) || secs < 0)
            return cfg_fail(err, errlen,
                            "Error in hard, soft or soft_seconds setting in buffer limit configuration.");
        v[c][0] = hard;
        v[c][1] = soft;
        v[c][2] = secs;
    }
    char buf[256];
    int n = 0;
    for (int c = 0; c < 3; c++)
        n += snprintf(buf + n, sizeof(buf) - (size_t)n, "%s%s %lld %lld %lld", c ? " " : "", classes[c], v[c][0],
                      v[c][1], v[c][2]);
    st->str = ts_strdup(buf);
    return 0;
}

/* Hostname checks Redis applies to cluster-announce-hostname. */
static int
cfg_check_hostname(const char *s, char *err, size_t errlen)
{
    if (strlen(s) >= 256)
        return cfg_fail(err, errlen, "Hostnames must be less than 256 characters");
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '.'))
            return cfg_fail(err, errlen, "Hostnames may only contain alphanumeric characters, hyphens or dots");
    return 0;
}

/* Values of the directives Tessera does not act on: validated by kind so
 * CONFIG SET refuses what Redis refuses, then stored normalised. */
static int
cfg_stage_ignored(struct cfg_opt *o, int argc, char **args, struct cfg_staged *st, char *err, size_t errlen)
{
    const char *a = argc > 0 ? args[0] : "";
    char buf[32];
    long long v;
    switch (o->kind) {
    case CFGK_BOOL:
        if (strcasecmp(a, "yes") && strcasecmp(a, "no"))
            return cfg_fail(err, errlen, "argument must be 'yes' or 'no'");
        st->str = ts_strdup(strcasecmp(a, "yes") ? "no" : "yes");
        return 0;
    case CFGK_INT:
        if (!ts_str_to_ll(a, strlen(a), &v))
            return cfg_fail(err, errlen, "argument couldn't be parsed into an integer");
        ts_ll_to_str(buf, v);
        st->str = ts_strdup(buf);
        return 0;
    case CFGK_MEM:
        if (!cfg_parse_mem(a, &v))
            return cfg_fail(err, errlen, "argument must be a memory value");
        ts_ll_to_str(buf, v);
        st->str = ts_strdup(buf);
        return 0;
    case CFGK_OCT: {
        char *end;
        errno = 0;
        long p = strtol(a, &end, 8);
        if (!a[0] || *end || errno || p < 0 || p > 0777)
            return cfg_fail(err, errlen, "argument couldn't be parsed as an octal number");
        snprintf(buf, sizeof(buf), "%lo", (unsigned long)p);
        st->str = ts_strdup(buf);
        return 0;
    }
    case CFGK_COBL:
        return cfg_stage_cobl(o, argc, args, st, err, errlen);
    case CFGK_REPLOF:
        if (argc != 2)
            return cfg_fail(err, errlen, "wrong number of arguments");
        if (!strcasecmp(args[0], "no") && !strcasecmp(args[1], "one")) {
            st->str = ts_strdup("");
            return 0;
        }
        if (!ts_str_to_ll(args[1], strlen(args[1]), &v) || v < 0 || v > 65535)
            return cfg_fail(err, errlen, "Invalid master port");
        st->str = cfg_join(argc, args);
        return 0;
    case CFGK_MULTI:
        st->str = cfg_join(argc, args);
        return 0;
    default:
        st->str = ts_strdup(a);
        return 0;
    }
}

/* Parse and validate by type (Redis's checks and messages); the class is
 * cfg_stage's business. */
static int
cfg_stage_value(struct cfg_opt *o, int argc, char **args, bool loading, struct cfg_staged *st, char *err,
                size_t errlen)
{
    st->opt = o;
    st->num = 0;
    st->str = NULL;
    if (!cfg_is_multi(o)) {
        if (argc != 1)
            return cfg_fail(err, errlen, "wrong number of arguments");
    } else if (argc == 1 && args[0][0]) {
        /* One argument holding a list ("save '3600 1 300 100'", CONFIG SET):
         * split it, as Redis does for its multi-argument configs. */
        int n;
        char **v = cfg_splitargs(args[0], &n);
        if (!v)
            return cfg_fail(err, errlen, "wrong number of arguments");
        int rc = n == 1 ? -2 : cfg_stage_value(o, n, v, loading, st, err, errlen);
        cfg_freeargs(v);
        if (rc != -2)
            return rc;
    }
    if (o->kind != CFGK_NONE)
        return cfg_stage_ignored(o, argc, args, st, err, errlen);

    const char *a = argc > 0 ? args[0] : "";
    long long v;
    switch (o->type) {
    case CFG_BOOL:
        if (strcasecmp(a, "yes") && strcasecmp(a, "no"))
            return cfg_fail(err, errlen, "argument must be 'yes' or 'no'");
        st->num = strcasecmp(a, "yes") == 0;
        return 0;
    case CFG_INT:
    case CFG_LL:
        if (!ts_str_to_ll(a, strlen(a), &v))
            return cfg_fail(err, errlen, "argument couldn't be parsed into an integer");
        if (o->field == &g_cfg.hz) {
            /* Redis takes any non-negative hz and clamps it to 1..500. */
            if (v < 0 || v > INT_MAX)
                return cfg_range_err(o, 0, INT_MAX, err, errlen);
            v = TS_MAX(o->min, TS_MIN(o->max, v));
        }
        if (v < o->min || v > o->max)
            return cfg_range_err(o, o->min, o->max, err, errlen);
        st->num = v;
        return 0;
    case CFG_MEM:
        if (!cfg_parse_mem(a, &v))
            return cfg_fail(err, errlen, "argument must be a memory value");
        if (v < o->min || v > o->max)
            return cfg_range_err(o, o->min, o->max, err, errlen);
        st->num = v;
        return 0;
    case CFG_ENUM: {
        const struct cfg_enum *e = cfg_enums(o);
        int ev = cfg_enum_parse(e, a);
        if (ev < 0) {
            int n = snprintf(err, errlen, "argument(s) must be one of the following: ");
            for (bool first = true; e->name; e++) {
                if (e->hidden)
                    continue;
                n += snprintf(err + n, n < (int)errlen ? errlen - (size_t)n : 0, "%s%s", first ? "" : ", ",
                              e->name);
                first = false;
            }
            return -1;
        }
        st->num = ev;
        return 0;
    }
    case CFG_STR:
        if (o->field == &g_cfg.dbfilename && strchr(a, '/'))
            return cfg_fail(err, errlen, "dbfilename can't be a path, just a filename");
        if (o->field == &g_cfg.appendfilename && strchr(a, '/'))
            return cfg_fail(err, errlen, "appendfilename can't be a path, just a filename");
        if (o->field == &g_cfg.appenddirname && strchr(a, '/'))
            return cfg_fail(err, errlen, "appenddirname can't be a path, just a dirname");
        if (o->field == &g_cfg.cluster_announce_hostname && cfg_check_hostname(a, err, errlen))
            return -1;
        st->str = ts_strdup(a);
        return 0;
    case CFG_SPECIAL:
        if (o->field == &g_cfg.save)
            return cfg_stage_save(o, argc, args, loading, st, err, errlen);
        if (o->field == &g_cfg.notify_keyspace_events) {
            int classes = fx_classes_parse(a);
            if (classes < 0)
                return cfg_fail(err, errlen, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
            char canon[32];
            fx_classes_format(classes, canon);
            /* CONFIG GET shows Redis's canonical form, which drops n under
             * A; the flags themselves keep it, as in Redis. */
            st->str = ts_strdup(canon);
            st->num = classes;
            return 0;
        }
        if (o->field == &g_cfg.bind) {
            if (argc > 16)
                return cfg_fail(err, errlen, "Too many bind addresses specified.");
            st->str = cfg_join(argc, args);
            return 0;
        }
        /* dir: checked by chdir at commit */
        st->str = ts_strdup(a);
        return 0;
    }
    return cfg_fail(err, errlen, "Bad directive or wrong number of arguments");
}

int
cfg_stage(struct cfg_opt *o, int argc, char **args, bool loading, struct cfg_staged *st, char *err, size_t errlen)
{
    if (cfg_stage_value(o, argc, args, loading, st, err, errlen) != 0)
        return -1;
    return cfg_stage_class(o, argc, args, st, err, errlen);
}

int
cfg_enum_default(const struct cfg_opt *o)
{
    return cfg_enum_parse(cfg_enums(o), o->def_str);
}

void
cfg_discard(struct cfg_staged *st)
{
    ts_free(st->str);
    st->str = NULL;
}

/* ---- Publishing ---- */

/* Replaced strings: never freed (readers on other workers may hold them).
 * Appended under cfg_lock at run time; CONFIG SET is rare, so the list
 * stays small. */
static void **cfg_retired;
static size_t cfg_nretired, cfg_retired_cap;

static void
cfg_retire(void *p, bool loading)
{
    /* Even at start-up the old value is kept: g_cfg strings may have been
     * set by code that does not own them (tests assign literals). */
    (void)loading;
    if (!p)
        return;
    if (cfg_nretired == cfg_retired_cap) {
        cfg_retired_cap = cfg_retired_cap ? cfg_retired_cap * 2 : 16;
        cfg_retired = ts_realloc(cfg_retired, cfg_retired_cap * sizeof(*cfg_retired));
    }
    cfg_retired[cfg_nretired++] = p;
}

/* client-output-buffer-limit's normalised text ("normal h s t slave h s t
 * pubsub h s t", as cfg_stage_cobl writes it) into g_cfg.cobl, where the
 * workers read it. */
static void
cfg_publish_cobl(const char *s)
{
    long long v[3][3];
    if (sscanf(s, "normal %lld %lld %lld slave %lld %lld %lld pubsub %lld %lld %lld", &v[0][0], &v[0][1], &v[0][2],
               &v[1][0], &v[1][1], &v[1][2], &v[2][0], &v[2][1], &v[2][2]) != 9)
        return;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 3; i++)
            __atomic_store_n(&g_cfg.cobl[c][i], v[c][i], __ATOMIC_RELAXED);
}

static void
cfg_store_str(struct cfg_opt *o, char *s, bool loading)
{
    char **slot = o->field ? (char **)o->field : &o->sval;
    if (o->kind == CFGK_COBL && s)
        cfg_publish_cobl(s);
    char *old = __atomic_exchange_n(slot, s, __ATOMIC_ACQ_REL);
    cfg_retire(old, loading);
}

/* Parse the bind list into g_cfg.bind_addrs (NULL-terminated). */
static void
cfg_set_bind_addrs(const char *list, bool loading)
{
    int n;
    char **v = cfg_splitargs(list, &n);
    if (!v) {
        v = ts_calloc(1, sizeof(char *));
        n = 0;
    }
    char **old = g_cfg.bind_addrs;
    __atomic_store_n(&g_cfg.nbind, n, __ATOMIC_RELAXED);
    __atomic_store_n(&g_cfg.bind_addrs, v, __ATOMIC_RELEASE);
    if (old) {
        for (char **p = old; *p; p++)
            cfg_retire(*p, loading);
        cfg_retire(old, loading);
    }
}

int
cfg_commit(struct cfg_staged *st, bool loading, char *err, size_t errlen)
{
    struct cfg_opt *o = st->opt;
    if (o->kind != CFGK_NONE) {
        cfg_store_str(o, st->str, loading);
        st->str = NULL;
        return 0;
    }
    switch (o->type) {
    case CFG_BOOL:
    case CFG_INT:
    case CFG_ENUM:
        __atomic_store_n((int *)o->field, (int)st->num, __ATOMIC_RELAXED);
        if (o->field == &g_cfg.loglevel)
            log_set_level((int)st->num);
        if ((o->field == &g_cfg.min_replicas_to_write || o->field == &g_cfg.min_replicas_max_lag) &&
            config_min_replicas_hook && !loading)
            config_min_replicas_hook();
        return 0;
    case CFG_LL:
    case CFG_MEM:
        __atomic_store_n((long long *)o->field, st->num, __ATOMIC_RELAXED);
        return 0;
    case CFG_STR:
    case CFG_SPECIAL:
        break;
    }
    if (o->field == &g_cfg.dir) {
        if (chdir(st->str) != 0) {
            snprintf(err, errlen, "%s", strerror(errno));
            cfg_discard(st);
            return -1;
        }
        /* keep the absolute directory, as CONFIG GET dir shows it */
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof(cwd))) {
            ts_free(st->str);
            st->str = ts_strdup(cwd);
        }
    }
    if (o->field == &g_cfg.save && loading)
        cfg_save_loaded = true;
    if (o->field == &g_cfg.bind)
        cfg_set_bind_addrs(st->str, loading);
    if (o->field == &g_cfg.notify_keyspace_events)
        fx_set_notify((int)st->num);
    cfg_store_str(o, st->str, loading);
    st->str = NULL;
    return 0;
}

/* ---- Public entry points ---- */

/* Reset every directive to its default (start of config_load). */
void
cfg_reset_defaults(void)
{
    cfg_save_loaded = false;
    for (size_t i = 0; i < cfg_nopts; i++) {
        struct cfg_opt *o = &cfg_opts[i];
        o->seen = false;
        if (o->kind != CFGK_NONE || o->type == CFG_STR || o->type == CFG_SPECIAL) {
            cfg_store_str(o, ts_strdup(o->def_str), true);
            continue;
        }
        long long v = o->type == CFG_ENUM ? cfg_enum_parse(cfg_enums(o), o->def_str) : o->def_num;
        if (o->type == CFG_LL || o->type == CFG_MEM)
            *(long long *)o->field = v;
        else
            *(int *)o->field = (int)v;
    }
    cfg_set_bind_addrs(g_cfg.bind, true);
    fx_set_notify(0);
}

int
config_set_internal(const char *name, int argc, char **args)
{
    struct cfg_opt *o = cfg_lookup(name, strlen(name));
    struct cfg_staged st;
    char err[256];
    if (!o || cfg_stage(o, argc, args, false, &st, err, sizeof(err)) != 0)
        return -1;
    pthread_mutex_lock(&cfg_lock);
    int rc = cfg_commit(&st, false, err, sizeof(err));
    pthread_mutex_unlock(&cfg_lock);
    return rc;
}

int
config_apply(const char *name, int argc, char **args, bool at_runtime, char *err, size_t errlen)
{
    struct cfg_opt *o = cfg_lookup(name, strlen(name));
    if (!o)
        return cfg_fail(err, errlen, "Bad directive or wrong number of arguments");
    if (at_runtime && (o->flags & CFG_IMMUTABLE))
        return cfg_fail(err, errlen, "can't set immutable config");
    if (at_runtime && (o->flags & CFG_PROTECTED) && g_cfg.enable_protected_configs == PROTECTED_CONFIGS_NO)
        return cfg_fail(err, errlen, "can't set protected config");
    struct cfg_staged st;
    if (cfg_stage(o, argc, args, !at_runtime, &st, err, errlen) != 0)
        return -1;
    if (at_runtime)
        pthread_mutex_lock(&cfg_lock);
    int rc = cfg_commit(&st, !at_runtime, err, errlen);
    if (at_runtime)
        pthread_mutex_unlock(&cfg_lock);
    if (rc == 0 && (o->flags & CFG_COSMETIC)) {
        if (at_runtime)
            log_warn(CFG_WARN_COSMETIC, o->name);
        else
            o->seen = true;
    }
    return rc;
}
