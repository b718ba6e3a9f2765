/* config.h: redis.conf directives. One X-macro table declares the
 * directives whose value other modules read (a g_cfg field), with Redis's
 * name, type, default, bounds, whether CONFIG SET may change it at run time
 * and its class; it expands into the fields of struct ts_config (g_cfg),
 * the defaults, CONFIG GET/SET and REWRITE. The other directives Redis
 * knows are rows kept as text in config.c's table.
 *
 * Reading: any thread reads g_cfg fields directly. Scalars changed by CONFIG
 * SET are written with relaxed atomic stores (ints, longs and bools are
 * word-sized and aligned), so a reader sees either the old or new value;
 * string fields are immutable after start-up unless marked MODIFIABLE, whose
 * old strings are kept alive (never freed while running).
 *
 * client-output-buffer-limit keeps its Redis text form in the table and its
 * parsed numbers in g_cfg.cobl.
 *
 * Every directive has a class (see "Classes" below and the table head in
 * config.c). Anything unknown is refused at start-up the way Redis does:
 *   *** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***
 *   Reading the configuration file, at line N
 *   >>> 'directive args'
 *   Bad directive or wrong number of arguments
 */
#ifndef TESSERA_CONFIG_H
#define TESSERA_CONFIG_H

#include "core/common.h"

enum cfg_type { CFG_BOOL, CFG_INT, CFG_LL, CFG_MEM, CFG_STR, CFG_ENUM, CFG_SPECIAL };
/* CFG_PROTECTED: as Redis's protected configs (dir, dbfilename), CONFIG SET
 * refuses them unless enable-protected-configs is yes (or local and the
 * client is on loopback). */
enum cfg_flag {
    CFG_IMMUTABLE = 1,
    CFG_MODIFIABLE = 2,
    CFG_SENSITIVE = 4,
    CFG_PROTECTED = 8,
    /* Class (no class bit = acts: implemented as Redis does). */
    CFG_COSMETIC = 16, /* no effect on data, safety or limits: any valid value */
    CFG_NOT_YET = 32,  /* only Redis's default is accepted, see CFG_NY_* */
};

/* Classes
 *
 *   acts      implemented as Redis does.
 *   cosmetic  accepted with any value Redis accepts, and shown, but changes
 *             nothing that matters (process title, syslog ident, ...);
 *             logged once at start-up when named.
 *   not yet   Redis's default is accepted (in every spelling Redis takes:
 *             YES, 1gb, "no one", ...), shown by CONFIG GET and kept by
 *             CONFIG REWRITE; any other value is refused at start-up (the
 *             FATAL CONFIG block, exit code 1) and by CONFIG SET:
 *               tls-port 6380 is not supported by Tessera yet (no TLS): use tls-port 0
 *
 * A not-yet flag names the missing part (its text goes in the message);
 * when that part lands its directives lose the flag and become "acts". */
#define CFG_NY_AREA(a) (CFG_NOT_YET | ((a) << 8))
#define CFG_NY_AREA_OF(fl) (((fl) >> 8) & 0xff)
enum cfg_ny_area {
    CFG_AREA_NONE,
    CFG_AREA_PERSIST,  /* " (no persistence)" */
    CFG_AREA_REPL,     /* " (no replication)" */
    CFG_AREA_TLS,      /* " (no TLS)" */
    CFG_AREA_ACL,      /* " (no ACL)" */
    CFG_AREA_TYPES,    /* " (no lists, sorted sets, streams or HyperLogLogs)" */
    CFG_AREA_LAZYFREE, /* " (no lazy freeing)" */
    CFG_AREA_DEFRAG,   /* " (no active defragmentation)" */
    CFG_AREA_SCRIPT,   /* " (no scripting)" */
    CFG_AREA_MODULES,  /* " (no modules)" */
    CFG_AREA_THREADS,  /* " (Tessera's workers are set by threads)" */
};
#define CFG_NY CFG_NY_AREA(CFG_AREA_NONE)
#define CFG_NY_PERSIST CFG_NY_AREA(CFG_AREA_PERSIST)
#define CFG_NY_REPL CFG_NY_AREA(CFG_AREA_REPL)
#define CFG_NY_TLS CFG_NY_AREA(CFG_AREA_TLS)
#define CFG_NY_ACL CFG_NY_AREA(CFG_AREA_ACL)
#define CFG_NY_TYPES CFG_NY_AREA(CFG_AREA_TYPES)
#define CFG_NY_LAZYFREE CFG_NY_AREA(CFG_AREA_LAZYFREE)
#define CFG_NY_DEFRAG CFG_NY_AREA(CFG_AREA_DEFRAG)
#define CFG_NY_SCRIPT CFG_NY_AREA(CFG_AREA_SCRIPT)
#define CFG_NY_MODULES CFG_NY_AREA(CFG_AREA_MODULES)
#define CFG_NY_THREADS CFG_NY_AREA(CFG_AREA_THREADS)

/* save is refused with its own text (its value is a list of rules). */
#define CFG_ERR_NO_SAVE "save rules are not supported by Tessera yet (no persistence): use save \"\""

/* X(field, "name", type, default, min, max, flags)
 * CFG_MEM accepts 1k 1kb 1m 1mb 1g 1gb suffixes (k=1000, kb=1024, as Redis).
 * CFG_ENUM defaults are the enum's string; the value is stored as int index. */
#define TS_CONFIG_LIST(X)                                                                                 \
    X(port, "port", CFG_INT, 6379, 0, 65535, CFG_IMMUTABLE)                                              \
    X(bind, "bind", CFG_SPECIAL, "* -::*", 0, 0, CFG_IMMUTABLE)                                          \
    X(protected_mode, "protected-mode", CFG_BOOL, 1, 0, 1, CFG_MODIFIABLE)                               \
    X(tcp_backlog, "tcp-backlog", CFG_INT, 511, 0, 65535, CFG_IMMUTABLE)                                 \
    X(timeout, "timeout", CFG_INT, 0, 0, 2147483647, CFG_MODIFIABLE)                                     \
    X(tcp_keepalive, "tcp-keepalive", CFG_INT, 300, 0, 2147483647, CFG_MODIFIABLE)                       \
    X(daemonize, "daemonize", CFG_BOOL, 0, 0, 1, CFG_IMMUTABLE)                                          \
    X(pidfile, "pidfile", CFG_STR, "", 0, 0, CFG_IMMUTABLE)                                              \
    X(loglevel, "loglevel", CFG_ENUM, "notice", 0, 0, CFG_MODIFIABLE)                                    \
    X(logfile, "logfile", CFG_STR, "", 0, 0, CFG_IMMUTABLE)                                              \
    X(databases, "databases", CFG_INT, 16, 1, 2147483647, CFG_IMMUTABLE)                                 \
    X(dir, "dir", CFG_SPECIAL, "./", 0, 0, CFG_MODIFIABLE | CFG_PROTECTED)                                           \
    X(dbfilename, "dbfilename", CFG_STR, "dump.rdb", 0, 0, CFG_MODIFIABLE | CFG_PROTECTED | CFG_NY_PERSIST)                           \
    X(save, "save", CFG_SPECIAL, "", 0, 0, CFG_MODIFIABLE | CFG_NY_PERSIST)                                         \
    X(appendonly, "appendonly", CFG_BOOL, 0, 0, 1, CFG_MODIFIABLE | CFG_NY_PERSIST)                                       \
    X(appendfilename, "appendfilename", CFG_STR, "appendonly.aof", 0, 0, CFG_IMMUTABLE | CFG_NY_PERSIST)                  \
    X(appenddirname, "appenddirname", CFG_STR, "appendonlydir", 0, 0, CFG_IMMUTABLE | CFG_NY_PERSIST)                     \
    X(appendfsync, "appendfsync", CFG_ENUM, "everysec", 0, 0, CFG_MODIFIABLE | CFG_NY_PERSIST)                            \
    X(requirepass, "requirepass", CFG_STR, "", 0, 0, CFG_MODIFIABLE | CFG_SENSITIVE)                     \
    X(maxclients, "maxclients", CFG_INT, 10000, 1, 2147483647, CFG_MODIFIABLE)                           \
    X(maxmemory, "maxmemory", CFG_MEM, 0, 0, 9223372036854775807LL, CFG_MODIFIABLE)                      \
    X(maxmemory_policy, "maxmemory-policy", CFG_ENUM, "noeviction", 0, 0, CFG_MODIFIABLE)                \
    X(maxmemory_samples, "maxmemory-samples", CFG_INT, 5, 1, 2147483647, CFG_MODIFIABLE)                  \
    X(maxmemory_eviction_tenacity, "maxmemory-eviction-tenacity", CFG_INT, 10, 0, 100, CFG_MODIFIABLE)      \
    X(lfu_log_factor, "lfu-log-factor", CFG_INT, 10, 0, 2147483647, CFG_MODIFIABLE)                        \
    X(lfu_decay_time, "lfu-decay-time", CFG_INT, 1, 0, 2147483647, CFG_MODIFIABLE)                         \
    X(replica_ignore_maxmemory, "replica-ignore-maxmemory", CFG_BOOL, 1, 0, 1, CFG_MODIFIABLE)             \
    X(proto_max_bulk_len, "proto-max-bulk-len", CFG_MEM, 512LL * 1024 * 1024, 1024 * 1024,              \
      9223372036854775807LL, CFG_MODIFIABLE)                                                             \
    X(client_query_buffer_limit, "client-query-buffer-limit", CFG_MEM, 1024LL * 1024 * 1024,            \
      1024 * 1024, 9223372036854775807LL, CFG_MODIFIABLE)                                                \
    X(hz, "hz", CFG_INT, 10, 1, 500, CFG_MODIFIABLE)                                                     \
    X(active_expire_effort, "active-expire-effort", CFG_INT, 1, 1, 10, CFG_MODIFIABLE)                  \
    X(slowlog_log_slower_than, "slowlog-log-slower-than", CFG_LL, 10000, -1, 9223372036854775807LL,     \
      CFG_MODIFIABLE)                                                                                    \
    X(slowlog_max_len, "slowlog-max-len", CFG_LL, 128, 0, 9223372036854775807LL, CFG_MODIFIABLE)         \
    X(latency_monitor_threshold, "latency-monitor-threshold", CFG_LL, 0, 0, 9223372036854775807LL,       \
      CFG_MODIFIABLE)                                                                                    \
    X(latency_tracking, "latency-tracking", CFG_BOOL, 1, 0, 1, CFG_MODIFIABLE)                           \
    X(latency_tracking_info_percentiles, "latency-tracking-info-percentiles", CFG_STR, "50 99 99.9", 0, 0, \
      CFG_MODIFIABLE)                                                                                    \
    X(notify_keyspace_events, "notify-keyspace-events", CFG_SPECIAL, "", 0, 0, CFG_MODIFIABLE)        \
    X(lazyfree_lazy_user_flush, "lazyfree-lazy-user-flush", CFG_BOOL, 0, 0, 1, CFG_MODIFIABLE | CFG_NY_LAZYFREE)           \
    X(lazyfree_lazy_user_del, "lazyfree-lazy-user-del", CFG_BOOL, 0, 0, 1, CFG_MODIFIABLE | CFG_NY_LAZYFREE)               \
    X(set_max_intset_entries, "set-max-intset-entries", CFG_LL, 512, 0, 9223372036854775807LL,           \
      CFG_MODIFIABLE)                                                                                    \
    X(cluster_enabled, "cluster-enabled", CFG_BOOL, 0, 0, 1, CFG_IMMUTABLE)                              \
    X(cluster_config_file, "cluster-config-file", CFG_STR, "nodes.conf", 0, 0, CFG_IMMUTABLE)            \
    X(cluster_node_timeout, "cluster-node-timeout", CFG_LL, 15000, 0, 9223372036854775807LL,             \
      CFG_MODIFIABLE)                                                                                    \
    X(cluster_port, "cluster-port", CFG_INT, 0, 0, 65535, CFG_IMMUTABLE)                                 \
    X(cluster_require_full_coverage, "cluster-require-full-coverage", CFG_BOOL, 1, 0, 1, CFG_MODIFIABLE) \
    X(cluster_allow_reads_when_down, "cluster-allow-reads-when-down", CFG_BOOL, 0, 0, 1,                 \
      CFG_MODIFIABLE)                                                                                    \
    X(cluster_announce_ip, "cluster-announce-ip", CFG_STR, "", 0, 0, CFG_MODIFIABLE)                     \
    X(cluster_announce_port, "cluster-announce-port", CFG_INT, 0, 0, 65535, CFG_MODIFIABLE)              \
    X(cluster_announce_bus_port, "cluster-announce-bus-port", CFG_INT, 0, 0, 65535, CFG_MODIFIABLE)      \
    X(cluster_announce_hostname, "cluster-announce-hostname", CFG_STR, "", 0, 0, CFG_MODIFIABLE)         \
    X(cluster_preferred_endpoint_type, "cluster-preferred-endpoint-type", CFG_ENUM, "ip", 0, 0,         \
      CFG_MODIFIABLE)                                                                                    \
    X(cluster_replica_validity_factor, "cluster-replica-validity-factor", CFG_INT, 10, 0, 2147483647,   \
      CFG_MODIFIABLE)                                                                                    \
    X(cluster_migration_barrier, "cluster-migration-barrier", CFG_INT, 1, 0, 2147483647,                 \
      CFG_MODIFIABLE)                                                                                    \
    X(cluster_allow_replica_migration, "cluster-allow-replica-migration", CFG_BOOL, 1, 0, 1,             \
      CFG_MODIFIABLE)                                                                                    \
    X(cluster_replica_no_failover, "cluster-replica-no-failover", CFG_BOOL, 0, 0, 1, CFG_MODIFIABLE)     \
    X(cluster_link_sendbuf_limit, "cluster-link-sendbuf-limit", CFG_MEM, 0, 0, 9223372036854775807LL,     \
      CFG_MODIFIABLE)                                                                                    \
    X(repl_backlog_size, "repl-backlog-size", CFG_MEM, 1024 * 1024, 1, 9223372036854775807LL,            \
      CFG_MODIFIABLE)                                                                                    \
    X(repl_backlog_ttl, "repl-backlog-ttl", CFG_INT, 3600, 0, 2147483647, CFG_MODIFIABLE)                 \
    X(repl_ping_replica_period, "repl-ping-replica-period", CFG_INT, 10, 1, 2147483647, CFG_MODIFIABLE)   \
    X(repl_diskless_sync, "repl-diskless-sync", CFG_BOOL, 1, 0, 1, CFG_MODIFIABLE)                       \
    X(repl_diskless_sync_delay, "repl-diskless-sync-delay", CFG_INT, 5, 0, 2147483647, CFG_MODIFIABLE)    \
    X(repl_diskless_sync_max_replicas, "repl-diskless-sync-max-replicas", CFG_INT, 0, 0, 2147483647,      \
      CFG_MODIFIABLE)                                                                                    \
    X(repl_timeout, "repl-timeout", CFG_INT, 60, 1, 2147483647, CFG_MODIFIABLE)                          \
    X(min_replicas_to_write, "min-replicas-to-write", CFG_INT, 0, 0, 2147483647, CFG_MODIFIABLE)          \
    X(min_replicas_max_lag, "min-replicas-max-lag", CFG_INT, 10, 0, 2147483647, CFG_MODIFIABLE)           \
    X(replica_announce_port, "replica-announce-port", CFG_INT, 0, 0, 65535, CFG_MODIFIABLE)                  \
    X(replica_read_only, "replica-read-only", CFG_BOOL, 1, 0, 1, CFG_MODIFIABLE)                         \
    /* replica-priority and replica-announced: what INFO tells Sentinel    \
     * (Redis Cluster's failover does not read them, nor does Tessera's) */ \
    X(replica_priority, "replica-priority", CFG_INT, 100, 0, 2147483647, CFG_MODIFIABLE)                  \
    X(replica_announced, "replica-announced", CFG_BOOL, 1, 0, 1, CFG_MODIFIABLE)                         \
    X(replica_serve_stale_data, "replica-serve-stale-data", CFG_BOOL, 1, 0, 1, CFG_MODIFIABLE)           \
    X(io_threads, "io-threads", CFG_INT, 1, 1, 128, CFG_IMMUTABLE | CFG_NY_THREADS)                                       \
    X(threads, "threads", CFG_INT, 0, 0, MAX_WORKERS, CFG_IMMUTABLE)                                     \
    X(worker_cpus, "worker-cpus", CFG_STR, "", 0, 0, CFG_IMMUTABLE)                                      \
    X(io_uring_entries, "io-uring-entries", CFG_INT, 4096, 64, 32768, CFG_IMMUTABLE)                     \
    X(enable_protected_configs, "enable-protected-configs", CFG_ENUM, "no", 0, 0, CFG_IMMUTABLE)          \
    X(enable_debug_command, "enable-debug-command", CFG_ENUM, "no", 0, 0, CFG_IMMUTABLE)                  \
    X(hash_max_listpack_entries, "hash-max-listpack-entries", CFG_LL, 512, 0, 9223372036854775807LL,     \
      CFG_MODIFIABLE)                                                                                    \
    X(hash_max_listpack_value, "hash-max-listpack-value", CFG_MEM, 64, 0, 9223372036854775807LL,          \
      CFG_MODIFIABLE)

#define TS_CFG_FIELD_CFG_BOOL int
#define TS_CFG_FIELD_CFG_INT int
#define TS_CFG_FIELD_CFG_LL long long
#define TS_CFG_FIELD_CFG_MEM long long
#define TS_CFG_FIELD_CFG_STR char *
#define TS_CFG_FIELD_CFG_ENUM int
#define TS_CFG_FIELD_CFG_SPECIAL char *

struct ts_config {
#define TS_CFG_DECLARE(field, name, type, def, min, max, flags) TS_CFG_FIELD_##type field;
    TS_CONFIG_LIST(TS_CFG_DECLARE)
#undef TS_CFG_DECLARE
    /* Derived from the directives above at load time. */
    char **bind_addrs;   /* parsed "bind" list, NULL-terminated */
    int nbind;
    char *config_file;   /* absolute path of the config file, NULL if none */
    /* client-output-buffer-limit, per class (enum obuf_class: normal,
     * replica, pubsub) {hard bytes, soft bytes, soft seconds}; 0 = none.
     * Parsed from the directive's value at every change (relaxed atomics). */
    long long cobl[3][3];
    char *executable;    /* absolute path of the binary */
};

extern struct ts_config g_cfg;

/* enum values of CFG_ENUM directives */
enum { LOGLEVEL_DEBUG, LOGLEVEL_VERBOSE, LOGLEVEL_NOTICE, LOGLEVEL_WARNING, LOGLEVEL_NOTHING };
enum { APPENDFSYNC_ALWAYS, APPENDFSYNC_EVERYSEC, APPENDFSYNC_NO };
enum { ENDPOINT_IP, ENDPOINT_HOSTNAME, ENDPOINT_UNKNOWN };
enum {
    MAXMEMORY_VOLATILE_LRU,
    MAXMEMORY_ALLKEYS_LRU,
    MAXMEMORY_VOLATILE_LFU,
    MAXMEMORY_ALLKEYS_LFU,
    MAXMEMORY_VOLATILE_RANDOM,
    MAXMEMORY_ALLKEYS_RANDOM,
    MAXMEMORY_VOLATILE_TTL,
    MAXMEMORY_NOEVICTION,
};
enum { PROTECTED_CONFIGS_NO, PROTECTED_CONFIGS_YES, PROTECTED_CONFIGS_LOCAL };

/* Set defaults, then apply the config file (argv[1] when it does not start
 * with "--", or "-" for stdin) and "--directive value..." arguments in order,
 * as redis-server does. On error prints Redis's FATAL CONFIG error to stderr
 * and returns -1. */
int config_load(int argc, char **argv);
/* Log the start-up warnings config_load collected ("Directive 'x' is
 * accepted but has no effect in Tessera yet; ignored", one per directive).
 * Call after log_setup so they reach the logfile; runs once per load, and
 * config_register_commands calls it too as a safety net. */
void config_log_warnings(void);
/* Apply one directive with its arguments (the CONFIG SET / file path).
 * Returns 0, or -1 with a message in err (Redis's wording). */
int config_apply(const char *name, int argc, char **args, bool at_runtime, char *err, size_t errlen);
/* A directive whose value mirrors the server's state, set by the module
 * that owns that state (replicaof follows REPLICAOF and the cluster's
 * choice of master, as Redis's CONFIG GET/REWRITE show it): validated as
 * CONFIG SET would, immutability aside, and published under the config
 * lock. Returns 0 or -1 (a bad value). */
int config_set_internal(const char *name, int argc, char **args);
/* The value CONFIG GET shows for a directive (or an alias), as a new
 * ts_malloc'd string the caller frees; NULL for an unknown name. */
char *config_get_value(const char *name);
/* CONFIG REWRITE: rewrite g_cfg.config_file in place (temp file, fsync,
 * rename), keeping comments and lines it does not know, updating the
 * directives it knows and appending changed ones after
 * "# Generated by CONFIG REWRITE". Returns 0, or -1 with a message in err. */
int config_rewrite(char *err, size_t errlen);
/* Redis's allowProtectedAction: may client cl use a feature whose
 * directive (enable-protected-configs, enable-debug-command) is mode
 * (PROTECTED_CONFIGS_NO/YES/LOCAL)? "local" means loopback or unix socket;
 * a NULL client (an internal caller) counts as local. */
struct client;
bool config_protected_action_allowed(int mode, const struct client *cl);
/* Register CONFIG GET/SET/RESETSTAT/REWRITE/HELP (core command table). */
void config_register_commands(void);
/* The maxmemory-policy name of an enum value (INFO maxmemory_policy). */
const char *config_maxmemory_policy_name(int v);
/* Hook called by CONFIG RESETSTAT (the runtime resets its counters). */
extern void (*config_resetstat_hook)(void);
/* Set by replication: CONFIG SET of min-replicas-to-write or -max-lag
 * takes effect at once (the good replicas are recounted). */
extern void (*config_min_replicas_hook)(void);

#endif
